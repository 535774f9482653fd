//! The `terroir-backend` binary.

fn main() -> anyhow::Result<()> {
    terroir_backend::cli::run()
}
