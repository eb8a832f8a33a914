//! `sluice run`: the controller.

use std::io::IsTerminal;
use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use sluice_runtime::{Options, Server};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// Arguments of `sluice run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Address to accept OpenFlow connections on.
    #[arg(long, default_value = "0.0.0.0:6653", value_name = "ADDR:PORT")]
    listen: SocketAddr,
}

/// Runs the controller until SIGINT or SIGTERM.
pub(crate) fn main(args: RunArgs) -> anyhow::Result<()> {
    // RUST_LOG wins; otherwise FAUCET's FAUCET_LOG_LEVEL (INFO by default).
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let level = std::env::var("FAUCET_LOG_LEVEL")
            .unwrap_or_else(|_| "info".into())
            .to_lowercase();
        EnvFilter::new(level)
    });
    // Colour only on a terminal, so log files stay plain text.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async {
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(
            "accepting OpenFlow connections on {}",
            listener.local_addr()?
        );
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("shutting down");
        };
        Server::new(Options::default())
            .run(listener, shutdown)
            .await
            .context("controller failed")
    })
}
