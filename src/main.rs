//! The `tiemeng` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tiemeng::cli::run(tiemeng::cli::Cli::parse())
}
