//! `sluice gauge`: Gauge in its own deployment shape, a second, read-only OpenFlow
//! controller that the switches connect to beside FAUCET (or `sluice run`), conventionally on
//! port 6654.
//!
//! It reads Gauge's `gauge.yaml` (`--config`, else GAUGE_CONFIG, else
//! /etc/faucet/gauge.yaml) and the FAUCET configuration its `faucet_configs` names (for DP,
//! port and table names), follows every switch that connects without programming anything,
//! tells each not to send it packet-ins (Gauge's `OFPSetAsync`), and polls them as the
//! watchers say. Logging follows GAUGE_LOG, GAUGE_LOG_LEVEL and GAUGE_EXCEPTION_LOG.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use sluice_runtime::gauge::Gauge;
use sluice_runtime::{Options, Server};
use tokio::net::TcpListener;

/// Gauge's default configuration file.
const DEFAULT_CONFIG: &str = "/etc/faucet/gauge.yaml";

/// Arguments of `sluice gauge`.
#[derive(Debug, Args)]
pub(crate) struct GaugeArgs {
    /// Gauge's configuration (gauge.yaml). Default: GAUGE_CONFIG, else
    /// /etc/faucet/gauge.yaml.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to accept OpenFlow connections on.
    #[arg(long, default_value = "0.0.0.0:6654", value_name = "ADDR:PORT")]
    listen: SocketAddr,
}

/// Runs until SIGINT or SIGTERM.
pub(crate) fn main(args: GaugeArgs) -> anyhow::Result<()> {
    crate::run::init_logging("GAUGE")?;
    crate::run::init_exception_log("GAUGE");
    let path = args
        .config
        .or_else(|| std::env::var_os("GAUGE_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let config = crate::telemetry::gauge_config(&path)
        .map_err(|e| anyhow::anyhow!("gauge configuration {}: {e}", path.display()))?;
    // Relative FAUCET configuration paths are relative to gauge.yaml, as Gauge reads them.
    let base = path.parent().map(PathBuf::from).unwrap_or_default();
    let Some(faucet_path) = config
        .faucet_configs
        .iter()
        .map(|p| base.join(p))
        .find(|p| p.exists())
    else {
        bail!(
            "gauge configuration {}: none of its faucet_configs exists",
            path.display()
        );
    };
    let faucet = sluice_runtime::config::load(&faucet_path)
        .map_err(|e| anyhow::anyhow!("{}:\n{e}", faucet_path.display()))?
        .config;
    tracing::info!(
        "gauge: {} watchers from {}, DPs from {}",
        config.watchers.len(),
        path.display(),
        faucet_path.display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async {
        let server = Server::new(Options::default());
        let text = crate::telemetry::gauge_dbs(&config, &server).await;
        let gauge = Gauge::new(config, text).standalone(faucet);
        let server = server.with_gauge(gauge);
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(
            "gauge: accepting OpenFlow connections on {}",
            listener.local_addr()?
        );
        let shutdown = crate::run::shutdown_signal()?;
        server.run(listener, shutdown).await.context("gauge failed")
    })
}
