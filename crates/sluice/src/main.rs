//! The `sluice` command: argument parsing, logging and signals; everything else lives in the
//! library crates.

mod bench;
mod check;
mod gauge;
mod lab;
mod run;
mod show;
mod telemetry;

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
    /// Check FAUCET configuration files: exit 0 if valid, 1 with every error found.
    Check(check::CheckArgs),
    /// Build the configuration on this machine (an Open vSwitch bridge per DP, a host in a
    /// network namespace on every VLAN port), run the controller on it and show who reaches
    /// whom. Needs root.
    Lab(lab::LabArgs),
    /// Gauge on a connection of its own: a read-only second controller the switches also
    /// connect to (port 6654), polling them as gauge.yaml says.
    Gauge(gauge::GaugeArgs),
    /// Show what a running controller knows (from its JSON API): dps, ports, hosts, flows
    /// or stack.
    Show(show::ShowArgs),
    /// Load a controller as N emulated OpenFlow 1.3 switches and measure it: learning rate
    /// and latency, connect and reload times, memory per switch.
    Bench(bench::BenchArgs),
    /// A controller for `sluice bench` that does no work: it answers each packet-in with the
    /// two flows of a learned host and keeps no state. Measured against it, a learn run
    /// shows the floor of this machine (`sluice bench learn --floor`).
    Reflect(bench::ReflectArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Check(args) => check::main(args),
        Command::Lab(args) => lab::main(args),
        Command::Show(args) => show::main(args),
        Command::Gauge(args) => gauge::main(args),
        Command::Bench(args) => bench::main(args),
        Command::Reflect(args) => bench::reflect(args),
    }
}
