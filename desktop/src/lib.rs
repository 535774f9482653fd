//! Terroir desktop (placeholder crate).
