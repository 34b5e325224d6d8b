//! `papi`: the command line of the survey engine. Thin glue over the workspace crates.

mod cli;

/// mimalloc rather than the system's allocator: reading interviews back (exports, score runs)
/// allocates and frees hundreds of millions of small answers, freed on another thread than the
/// one that made them, where glibc's allocator spent a fifth of an export's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the 16th of `mi_option_e` in mimalloc.h): how many
/// milliseconds freed memory waits before it is given back to the system.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// For a command that runs and exits: freed memory is kept for the process's life. Scoring frees
/// and allocates column-sized buffers many times a second; given back at once, each new one is a
/// fresh page the kernel must zero, which was a quarter of the time of a million-row score.
pub(crate) fn keep_freed_memory() {
    // SAFETY: an option set before the command starts any thread (mimalloc's options are not
    // thread safe to set).
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_mimallocs() {
        // mimalloc 3's default purge delay is 1,000 ms; no option near it has that default.
        let default = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(default, 1000);
    }
}
