//! Integration tests for the ledger core, including the data-driven conformance suites.

mod records;
mod rules;
mod support;
