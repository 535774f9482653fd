//! The `terroir-backend` binary.

/// mimalloc instead of the system allocator: the server's requests allocate and free many small
/// buffers on many threads, and glibc's per-thread arenas kept growing and trimming their heaps
/// under that load. Without transparent huge pages (`no_thp`): with them, each first touch of
/// fresh heap zeroed a whole 2 MiB page, a tenth of the time of a page read that missed the cache.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    terroir_backend::cli::run()
}
