//! The station, driven through its public API.
