//! The `terroir-backend` binary.

/// mimalloc instead of the system allocator: the server's requests allocate and free many small
/// buffers on many threads, and glibc's per-thread arenas kept growing and trimming their heaps
/// under that load, so a large share of the time went to faulting in freshly zeroed pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    terroir_backend::cli::run()
}
