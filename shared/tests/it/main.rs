//! Integration tests for the ledger core, including the data-driven conformance suites.

mod caps;
mod caps_props;
mod ear_tag;
mod ed25519;
mod gs1;
mod ledger;
mod log_conformance;
mod log_props;
mod mass_props;
mod props;
mod records;
mod rules;
mod state;
mod support;
mod units;
