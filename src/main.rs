//! `papi`: the command line of the survey engine. Thin glue over the workspace crates.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
