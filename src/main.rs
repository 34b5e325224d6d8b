//! `papi`: the command line of the survey engine. Thin glue over the workspace crates.

mod cli;

/// mimalloc rather than the system's allocator: reading interviews back (exports, score runs)
/// allocates and frees hundreds of millions of small answers, freed on another thread than the
/// one that made them, where glibc's allocator spent a fifth of an export's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
