//! The station, driven through its public API.

mod labels;
