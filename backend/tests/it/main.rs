//! The backend's integration tests: one binary, a module per area.

mod audit;
