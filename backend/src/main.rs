//! The `terroir-backend` binary.

/// The server's allocator (see [`terroir_backend::Allocator`]).
#[global_allocator]
static ALLOCATOR: terroir_backend::Allocator = terroir_backend::Allocator;

fn main() -> anyhow::Result<()> {
    terroir_backend::cli::run()
}
