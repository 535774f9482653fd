//! Integration tests for the ledger core, including the data-driven conformance suites.

mod props;
mod records;
mod rules;
mod support;
