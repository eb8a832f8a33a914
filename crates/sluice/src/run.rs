//! `sluice run`: the controller.
//!
//! Honours FAUCET's environment so existing service files keep working: FAUCET_CONFIG (a
//! colon-separated list; the first file that exists is used), FAUCET_LOG (a file, or STDOUT /
//! STDERR), FAUCET_LOG_LEVEL, and FAUCET_EXCEPTION_LOG (where a crash report goes).
//!
//! SIGHUP reloads the configuration, as does any change to one of its files (see
//! [`sluice_runtime::reload`]); SIGTERM and SIGINT stop the controller, leaving the flows in
//! place on the switches.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use clap::Args;
use sluice_runtime::config::{first_existing, load};
use sluice_runtime::tls::{self, TlsFiles};
use sluice_runtime::{HaRole, Options, Reloader, Server};
use tokio::net::{TcpListener, TcpSocket};
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// FAUCET's default configuration locations.
const DEFAULT_CONFIG: &str = "/etc/faucet/faucet.yaml:/etc/ryu/faucet/faucet.yaml";

/// Arguments of `sluice run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The configuration (FAUCET's faucet.yaml). Default: the first existing file of
    /// FAUCET_CONFIG, else /etc/faucet/faucet.yaml or /etc/ryu/faucet/faucet.yaml.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to accept OpenFlow connections on.
    #[arg(long, default_value = "0.0.0.0:6653", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// OpenFlow over TLS: the controller's private key (PEM), as FAUCET's --ctl-privkey.
    #[arg(long, value_name = "FILE", requires = "ctl_cert")]
    ctl_privkey: Option<PathBuf>,
    /// OpenFlow over TLS: the controller's certificate (PEM), as FAUCET's --ctl-cert.
    #[arg(long, value_name = "FILE", requires = "ctl_privkey")]
    ctl_cert: Option<PathBuf>,
    /// With TLS: CA certificates (PEM) a switch's certificate must chain to; a switch
    /// without one is refused (FAUCET's --ca-certs).
    #[arg(long, value_name = "FILE", requires = "ctl_cert")]
    ca_certs: Option<PathBuf>,
    /// Run as one of two controllers of the same switches: the primary is master of every
    /// switch; the backup takes over while the primary (--ha-peer) does not answer.
    #[arg(long, value_enum, value_name = "ROLE")]
    ha_role: Option<HaArg>,
    /// The backup's view of the primary: the primary's OpenFlow address.
    #[arg(long, value_name = "ADDR:PORT", required_if_eq("ha_role", "backup"))]
    ha_peer: Option<SocketAddr>,
    #[command(flatten)]
    telemetry: crate::telemetry::TelemetryArgs,
}

/// `--ha-role`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum HaArg {
    Primary,
    Backup,
}

/// Sets up logging as FAUCET does: FAUCET_LOG names a file (or STDOUT / STDERR), at
/// FAUCET_LOG_LEVEL (INFO by default); RUST_LOG overrides the level. Without FAUCET_LOG the
/// log goes to standard output. `sluice gauge` reads Gauge's names (`prefix` "GAUGE").
pub(crate) fn init_logging(prefix: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let level = std::env::var(format!("{prefix}_LOG_LEVEL"))
            .unwrap_or_else(|_| "info".into())
            .to_lowercase();
        EnvFilter::new(level)
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match std::env::var(format!("{prefix}_LOG"))
        .ok()
        .filter(|s| !s.is_empty())
        .as_deref()
    {
        None | Some("STDOUT") => builder.with_ansi(std::io::stdout().is_terminal()).init(),
        Some("STDERR") => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init(),
        Some(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {prefix}_LOG {path}"))?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .init();
        }
    }
    Ok(())
}

/// With FAUCET_EXCEPTION_LOG (`prefix`_EXCEPTION_LOG) set, a crash report is appended to
/// that file as well.
pub(crate) fn init_exception_log(prefix: &str) {
    let Some(path) = std::env::var_os(format!("{prefix}_EXCEPTION_LOG")).filter(|p| !p.is_empty())
    else {
        return;
    };
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(&path) {
            let _ = writeln!(
                f,
                "sluice crashed: {info}\n{}",
                std::backtrace::Backtrace::force_capture()
            );
        }
        default(info);
    }));
}

/// Completes at SIGTERM or SIGINT (installed at once, so a signal sent from now on counts).
///
/// # Errors
/// If the handlers cannot be installed.
pub(crate) fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutting down");
    })
}

/// The configuration file to use: `--config`, else FAUCET_CONFIG, else FAUCET's defaults.
fn config_path(args: &RunArgs) -> Option<PathBuf> {
    if let Some(p) = &args.config {
        return Some(p.clone());
    }
    let list = std::env::var("FAUCET_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG.into());
    first_existing(&list)
}

/// Connections waiting to be accepted before the kernel drops new ones. A thousand switches
/// connecting at once overflow the default (128): each dropped SYN costs that switch a 1 s
/// retransmission (`sluice bench connect`: 1.3 s for 1,000 switches instead of 0.3 s).
const LISTEN_BACKLOG: u32 = 4096;

/// Binds the OpenFlow listener with a deep accept queue (see [`LISTEN_BACKLOG`]).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Runs the controller until SIGINT or SIGTERM.
pub(crate) fn main(args: RunArgs) -> anyhow::Result<()> {
    init_logging("FAUCET")?;
    init_exception_log("FAUCET");
    let opts = Options::default();
    let path = config_path(&args);
    let (server, files) = match &path {
        None => {
            tracing::warn!(
                "no configuration found: switches are accepted and followed, but not programmed"
            );
            (Server::new(opts), Vec::new())
        }
        Some(path) => match load(path) {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    tracing::warn!("{w}");
                }
                let dps = loaded.config.dps.len();
                tracing::info!("configuration {} loaded: {dps} datapaths", path.display());
                // The seed only spreads learn timeouts; any value will do.
                let seed = std::time::UNIX_EPOCH
                    .elapsed()
                    .map_or(0, |d| d.as_nanos() as u64);
                let files = loaded.config.files.clone();
                (Server::with_config(opts, loaded.config, seed), files)
            }
            Err(errors) => {
                // Like FAUCET: a bad configuration at start leaves switches unprogrammed, and
                // the controller keeps running (a reload can fix it).
                tracing::error!(
                    "configuration {} rejected; no switch will be programmed:\n{errors}",
                    path.display()
                );
                (Server::new(opts), Vec::new())
            }
        },
    };

    let server = match (&args.ctl_privkey, &args.ctl_cert) {
        (Some(key), Some(cert)) => {
            let files = TlsFiles {
                key: key.clone(),
                cert: cert.clone(),
                ca: args.ca_certs.clone(),
            };
            server.with_tls(tls::acceptor(&files).context("setting up TLS")?)
        }
        _ => server,
    };
    let server = match (args.ha_role, args.ha_peer) {
        (Some(HaArg::Primary), _) => server.with_ha(HaRole::Primary),
        (Some(HaArg::Backup), Some(peer)) => server.with_ha(HaRole::Backup { peer }),
        _ => server,
    };

    // One thread for everything. The controller task decides alone, so more threads only
    // pass each batch of packet-ins between them: a wake-up and a context switch each way.
    // On one thread a batch goes switch task -> controller task -> switch task without
    // either (at 100,000 packet-ins a second: 0.89 -> 0.64 cores, p50 latency 72 -> 38 µs;
    // docs/bench.md). Blocking work (loading a configuration, rendering metrics) still
    // goes to tokio's blocking threads.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async {
        let listener =
            listen(args.listen).with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(
            "accepting OpenFlow{} connections on {}",
            if args.ctl_cert.is_some() {
                " over TLS"
            } else {
                ""
            },
            listener.local_addr()?
        );
        // SIGHUP, or an edit of any of its files, reloads the configuration.
        if let Some(path) = path {
            let hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
            tokio::spawn(Reloader::new(path, files).run(server.handle(), hup));
        }
        tokio::spawn(sluice_runtime::memory::release_after_bursts());
        let server = crate::telemetry::start(&args.telemetry, server).await;
        let shutdown = shutdown_signal()?;
        // The controller loop is a task of its own, not the runtime's main future: a switch
        // task waking the main future makes the scheduler poll the poller (an `epoll_wait`)
        // before running it, one more system call per batch of packet-ins.
        tokio::spawn(server.run(listener, shutdown))
            .await
            .context("controller task")?
            .context("controller failed")
    })
}
