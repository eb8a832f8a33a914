//! Gives the memory the allocator holds free back to the operating system.
//!
//! glibc's `free` returns memory to the system only from the top of a heap (and whole
//! `mmap`ed blocks). Memory freed below a live allocation stays in the process's RSS until
//! the allocator reuses it. Loading a large configuration is the case that matters: the YAML
//! tree and the builder's definitions (hundreds of megabytes for 10,000 datapaths) are freed
//! once the model is built, but the model was allocated after them, above them, so without
//! help the whole peak stays resident. [`release_free_memory`] asks glibc to give back the
//! free pages wherever they are.
//!
//! This is the only crate of the workspace allowed unsafe code, for that one call.

/// Gives the free pages of every malloc arena back to the operating system: glibc's
/// `malloc_trim(0)`, which (since glibc 2.8) releases whole free pages anywhere in a heap,
/// not only at its top. The pages stay mapped, and cost nothing until they are used again.
///
/// Takes time in proportion to the free memory (a few milliseconds for hundreds of
/// megabytes), so call it after a large temporary is dropped, not routinely. With another C
/// library it does nothing.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointer and only reorganises the allocator's own free
    // lists, under the allocator's locks; it is safe to call at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::release_free_memory;

    /// The process's resident set, in bytes.
    fn rss() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("procfs");
        let pages: usize = statm
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("statm's second field");
        pages * 4096
    }

    #[test]
    fn freed_memory_below_a_live_allocation_is_given_back() {
        const BLOCKS: usize = 64 * 1024;
        // 64 MB in small blocks (below glibc's mmap threshold, so in the heap), written to
        // so they are resident, then one allocation above them that stays.
        let blocks: Vec<Box<[u8; 1024]>> = (0..BLOCKS).map(|_| Box::new([1u8; 1024])).collect();
        let above = vec![2u8; 1024];
        drop(blocks);
        let before = rss();
        release_free_memory();
        let after = rss();
        assert!(
            before.saturating_sub(after) > 32 << 20,
            "RSS {before} before the trim, {after} after"
        );
        assert_eq!(above[0], 2);
    }
}
