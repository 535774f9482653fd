//! Terroir backend (placeholder crate).
