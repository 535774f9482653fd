//! Terroir tests (placeholder crate).
