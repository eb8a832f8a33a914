//! `sluice run`'s telemetry endpoints: FAUCET's Prometheus metrics, FAUCET's event socket,
//! and sluice's read-only JSON API, with FAUCET's environment variables.
//!
//! | what | flag | environment | default |
//! |---|---|---|---|
//! | Prometheus metrics | `--prometheus ADDR:PORT` | FAUCET_PROMETHEUS_ADDR, FAUCET_PROMETHEUS_PORT | 127.0.0.1:9302 |
//! | event socket | `--event-sock PATH` | FAUCET_EVENT_SOCK, FAUCET_EVENT_SOCK_HEARTBEAT | off |
//! | JSON API | `--api ADDR:PORT` | SLUICE_API | 127.0.0.1:9304 |
//! | built-in Gauge | `--gauge-config FILE` | GAUGE_CONFIG | off |
//!
//! The Gauge's Prometheus databases listen where `gauge.yaml` says (Gauge's port 9303;
//! 127.0.0.1 when no `prometheus_addr` is given).
//!
//! Unlike FAUCET (whose metrics listen on 0.0.0.0 by default), every endpoint listens on
//! loopback unless configured otherwise. `off` disables an endpoint. An endpoint that cannot
//! be opened is logged as an error and the controller runs on without it: switches keep
//! being controlled.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sluice_runtime::Server;
use sluice_runtime::gauge::{Db, Gauge, GaugeConfig};
use sluice_runtime::http::host_port;
use sluice_runtime::telemetry::events::{self, EventQueue};
use tokio::net::TcpListener;

/// FAUCET's Prometheus port.
const PROMETHEUS_PORT: u16 = 9302;
/// The JSON API's default address.
pub(crate) const DEFAULT_API: &str = "127.0.0.1:9304";

/// Telemetry options of `sluice run`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TelemetryArgs {
    /// Where to serve FAUCET's Prometheus metrics ("off" to disable). Default:
    /// FAUCET_PROMETHEUS_ADDR (127.0.0.1) and FAUCET_PROMETHEUS_PORT (9302).
    #[arg(long, value_name = "ADDR:PORT")]
    prometheus: Option<String>,
    /// Unix socket for FAUCET's event stream. Default: FAUCET_EVENT_SOCK (off when unset or
    /// 0; any other number means /var/run/faucet/faucet.sock).
    #[arg(long, value_name = "PATH")]
    event_sock: Option<PathBuf>,
    /// Where to serve the read-only JSON API that `sluice show` reads ("off" to disable).
    /// Default: SLUICE_API, else 127.0.0.1:9304.
    #[arg(long, value_name = "ADDR:PORT")]
    api: Option<String>,
    /// Run Gauge's watchers from this gauge.yaml inside the controller. Default:
    /// GAUGE_CONFIG (off when unset).
    #[arg(long, value_name = "FILE")]
    gauge_config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl TelemetryArgs {
    /// The metrics address, or `None` when disabled.
    fn prometheus(&self) -> Option<String> {
        let addr = self.prometheus.clone().unwrap_or_else(|| {
            let host = env("FAUCET_PROMETHEUS_ADDR").unwrap_or_else(|| "127.0.0.1".into());
            let port = env("FAUCET_PROMETHEUS_PORT").unwrap_or_else(|| PROMETHEUS_PORT.to_string());
            host_port(&host, &port)
        });
        (addr != "off").then_some(addr)
    }

    fn api(&self) -> Option<String> {
        let addr = self
            .api
            .clone()
            .or_else(|| env("SLUICE_API"))
            .unwrap_or_else(|| DEFAULT_API.into());
        (addr != "off").then_some(addr)
    }

    fn event_sock(&self) -> Option<PathBuf> {
        self.event_sock
            .clone()
            .or_else(|| events::sock_path(&env("FAUCET_EVENT_SOCK")?))
    }
}

/// Reads a `gauge.yaml`.
pub(crate) fn gauge_config(path: &std::path::Path) -> Result<GaugeConfig, String> {
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| GaugeConfig::parse(&text))
}

/// Starts the Gauge's databases: the text writer (whose sender is returned, if any watcher
/// writes text) and the Prometheus endpoints, reading what `server` publishes.
pub(crate) async fn gauge_dbs(
    config: &GaugeConfig,
    server: &Server,
) -> Option<tokio::sync::mpsc::Sender<sluice_runtime::gauge::text::Job>> {
    let has_text = config
        .watchers
        .iter()
        .flat_map(|w| &w.dbs)
        .any(|d| matches!(d, Db::Text { .. }));
    let text = has_text.then(|| {
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        tokio::spawn(sluice_runtime::gauge::text::run(rx));
        tx
    });
    for addr in config.prometheus_addrs() {
        match TcpListener::bind(&addr).await {
            Ok(listener) => {
                let shown = listener.local_addr().map_or(addr, |a| a.to_string());
                tracing::info!("serving Gauge's Prometheus metrics on {shown}");
                tokio::spawn(sluice_runtime::gauge::prometheus::serve(
                    listener,
                    server.telemetry(),
                ));
            }
            Err(e) => tracing::error!("Gauge's Prometheus metrics on {addr}: {e}"),
        }
    }
    text
}

/// Reads `gauge.yaml`, starts its databases, and gives the Gauge to `server`.
async fn gauge(path: &std::path::Path, server: Server) -> Server {
    let config = match gauge_config(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("gauge configuration {}: {e}; no Gauge", path.display());
            return server;
        }
    };
    let text = gauge_dbs(&config, &server).await;
    tracing::info!(
        "gauge: {} watchers from {}",
        config.watchers.len(),
        path.display()
    );
    server.with_gauge(Gauge::new(config, text))
}

/// Opens the configured endpoints and wires them to `server`; returns the server to run.
pub(crate) async fn start(args: &TelemetryArgs, mut server: Server) -> Server {
    if let Some(path) = args
        .gauge_config
        .clone()
        .or_else(|| env("GAUGE_CONFIG").map(PathBuf::from))
    {
        server = gauge(&path, server).await;
    }
    if let Some(path) = args.event_sock() {
        match events::bind(&path) {
            Ok(listener) => {
                let queue = EventQueue::new(events::DEFAULT_QUEUE);
                let heartbeat = env("FAUCET_EVENT_SOCK_HEARTBEAT")
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(Duration::from_secs_f64);
                tokio::spawn(events::serve(listener, queue.clone()));
                tracing::info!("serving FAUCET's event stream on {}", path.display());
                server = server.with_events(queue, heartbeat);
            }
            Err(e) => tracing::error!("event socket {}: {e}; no events", path.display()),
        }
    }
    if let Some(addr) = args.prometheus() {
        match TcpListener::bind(&addr).await {
            Ok(listener) => {
                let shown = listener.local_addr().map_or(addr, |a| a.to_string());
                tracing::info!("serving Prometheus metrics on {shown}");
                tokio::spawn(sluice_runtime::telemetry::serve_metrics(
                    listener,
                    server.telemetry(),
                ));
            }
            Err(e) => tracing::error!("Prometheus metrics on {addr}: {e}; no metrics"),
        }
    }
    if let Some(addr) = args.api() {
        match TcpListener::bind(&addr).await {
            Ok(listener) => {
                let shown = listener.local_addr().map_or(addr, |a| a.to_string());
                tracing::info!("serving the JSON API on {shown}");
                tokio::spawn(sluice_runtime::api::serve(
                    listener,
                    server.telemetry(),
                    server.handle(),
                ));
            }
            Err(e) => tracing::error!("JSON API on {addr}: {e}; no API"),
        }
    }
    server
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(host_port("::", "9302"), "[::]:9302");
        assert_eq!(host_port("0.0.0.0", 9302), "0.0.0.0:9302");
        let args = TelemetryArgs {
            prometheus: Some("off".into()),
            event_sock: None,
            api: Some("127.0.0.1:0".into()),
            gauge_config: None,
        };
        assert_eq!(args.prometheus(), None);
        assert_eq!(args.api().as_deref(), Some("127.0.0.1:0"));
    }
}
