//! The ledger server end to end: HTTP in, SQLite and proofs out, each test on a fresh database.

mod api;
mod audit;
mod crash;
mod crash_campaign;
mod disk;
mod docs;
mod enrol;
mod epcis;
mod label;
mod layers;
mod methods;
mod metrics;
mod monitor;
mod newcomer;
mod old_ledger;
mod openapi_fuzz;
mod overload;
mod owner;
mod personal;
mod race;
mod resolver;

mod soak;
mod startup;
mod submit;
mod support;
mod wire_schema;
mod witness;
