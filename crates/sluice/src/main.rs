//! The `sluice` command: argument parsing, logging and signals; everything else lives in the
//! library crates.

mod run;

use clap::{Parser, Subcommand};

/// sluice: an OpenFlow 1.3 controller suite, a drop-in replacement for FAUCET.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the controller: accept OpenFlow 1.3 switches and program them.
    Run(run::RunArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
    }
}
