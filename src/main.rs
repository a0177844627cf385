//! The `tiemeng` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// sled allocates and frees a node's worth of small buffers for every read and write; under
/// glibc's allocator that bookkeeping was a fifth of a node's CPU in the backlog drain's
/// profile (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tiemeng::cli::run(tiemeng::cli::Cli::parse())
}
