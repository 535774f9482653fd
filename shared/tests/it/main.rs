//! Integration tests for the ledger core, including the data-driven conformance suites.
mod log_conformance;
mod log_props;
