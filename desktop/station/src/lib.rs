//! The co-op station without its window: everything the desktop app does, as plain Rust that
//! tests drive directly. The Tauri shell in `desktop/src` only forwards its commands here.

pub mod labels;
