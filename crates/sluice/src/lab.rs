//! `sluice lab [CONFIG]`: a configuration brought to life on this machine.
//!
//! Every DP becomes a userspace Open vSwitch bridge, every VLAN port a host in a network
//! namespace (see `sluice_lab::Lab`), and an in-process controller programs the bridges. Once
//! every DP is up, each host pings every other one and the reachability matrix (expected by
//! VLAN membership and ACLs, against measured) is printed. With `--check` the command then
//! exits, 0 if the two agree and 1 if not; otherwise it keeps running, printing what the controller
//! learns, until Ctrl-C, SIGTERM or `--duration` runs out. Everything it made is deleted on
//! the way out, also after an error or a signal (the handlers are installed before anything
//! is built).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use sluice_config::{Config, Loaded};
use sluice_lab::{Lab, LabError};
use sluice_runtime::{Notification, Options, Server};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, oneshot, watch};
use tracing_subscriber::EnvFilter;

/// The configuration used when none is given: two VLANs, three untagged hosts and a trunk
/// host carrying both VLANs tagged.
const BUILTIN: &str = include_str!("../../../examples/faucet.yaml");

/// How long the DPs get to connect and be programmed.
const UP_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `sluice lab`.
#[derive(Debug, Args)]
pub(crate) struct LabArgs {
    /// The configuration (FAUCET's faucet.yaml). Default: a built-in example (two VLANs,
    /// untagged hosts and a tagged trunk host; examples/faucet.yaml).
    #[arg(value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// Measure reachability once, then clean up and exit: 0 if it matches the configuration
    /// (VLAN membership and ACLs), 1 if not.
    #[arg(long)]
    check: bool,
    /// Address the in-process controller accepts the bridges on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Keep running this many seconds after the matrix, then clean up and exit (default:
    /// until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECS", conflicts_with = "check")]
    duration: Option<u64>,
}

/// Loads the configuration named on the command line, or the built-in one; prints every
/// problem found (with the offending lines) if it is rejected.
fn load_config(args: &LabArgs) -> anyhow::Result<(String, Loaded)> {
    let (name, result) = match &args.config {
        Some(path) => (
            path.display().to_string(),
            sluice_runtime::config::load(path),
        ),
        None => (
            "built-in example (examples/faucet.yaml)".to_string(),
            sluice_config::load_str(BUILTIN),
        ),
    };
    match result {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            Ok((name, loaded))
        }
        Err(errors) => {
            for w in &errors.warnings {
                eprintln!("{w}");
            }
            eprintln!("{}\n", errors.render());
            let n = errors.errors.len();
            bail!(
                "{name}: invalid, {n} error{}",
                if n == 1 { "" } else { "s" }
            )
        }
    }
}

/// Runs `sluice lab`.
pub(crate) fn main(args: LabArgs) -> anyhow::Result<()> {
    // The controller's own log: warnings and errors only, unless RUST_LOG says otherwise;
    // what matters here is printed as events.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();

    let (name, loaded) = load_config(&args)?;
    let config = loaded.config;
    sluice_lab::preflight()?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;

    // Signals first: from here on, Ctrl-C and SIGTERM only ask for a clean stop.
    let cancel = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = watch::channel(false);
    {
        let _enter = rt.enter();
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let cancel = cancel.clone();
        rt.spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            eprintln!("stopping: deleting the lab");
            cancel.store(true, Ordering::Relaxed);
            let _ = stop_tx.send(true);
        });
    }

    let listener = rt
        .block_on(TcpListener::bind(args.listen))
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // The seed only spreads learn timeouts.
    let seed = std::time::UNIX_EPOCH
        .elapsed()
        .map_or(0, |d| d.as_nanos() as u64);
    let server = Server::with_config(Options::default(), config.clone(), seed);
    let mut notes = server.subscribe();
    let (shutdown, down) = oneshot::channel::<()>();
    let task = rt.spawn(server.run(listener, async {
        let _ = down.await;
    }));

    println!("sluice lab: {name}: {}", config.summary());
    println!("controller: listening on {addr}");
    let session = Session {
        rt: &rt,
        config: &config,
        cancel: &cancel,
        stop: stop_rx,
        started: Instant::now(),
    };
    // The lab lives inside `run`: it is deleted when `run` returns, fails or panics.
    let outcome = session.run(&args, &format!("tcp:{addr}"), &mut notes);
    // Whatever happened, the lab is gone by now (its guards delete it when `run` returns).
    println!("lab deleted");

    let _ = shutdown.send(());
    match rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await }) {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("controller failed: {e}"),
        Ok(Err(e)) => eprintln!("controller task failed: {e}"),
        Err(_) => eprintln!("controller did not stop within 5 s"),
    }
    drop(rt);
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => {
            eprintln!("sluice lab --check: reachability differs from the configuration");
            std::process::exit(1)
        }
        Err(e) if matches!(e.downcast_ref::<LabError>(), Some(LabError::Cancelled)) => {
            eprintln!("sluice lab: interrupted");
            std::process::exit(130)
        }
        Err(e) => Err(e),
    }
}

/// What a run needs besides the lab itself.
struct Session<'a> {
    rt: &'a tokio::runtime::Runtime,
    config: &'a Config,
    cancel: &'a AtomicBool,
    stop: watch::Receiver<bool>,
    started: Instant,
}

impl Session<'_> {
    /// Builds the lab, waits for the DPs, prints the matrix, then follows events unless
    /// checking. True if the matrix is as expected (always, without `--check`).
    fn run(
        &self,
        args: &LabArgs,
        target: &str,
        notes: &mut broadcast::Receiver<Notification>,
    ) -> anyhow::Result<bool> {
        let lab = Lab::build_cancellable(self.config, target, self.cancel)?;
        println!(
            "lab: {} bridges, {} hosts (prefix {})",
            lab.bridges().count(),
            lab.hosts().len(),
            lab.prefix().name("")
        );
        print!("{}", lab.describe());
        self.wait_running(notes)?;
        let pairs = lab.endpoints().len() * lab.endpoints().len().saturating_sub(1);
        println!("measuring reachability (up to {pairs} pings, in parallel)");
        let matrix = lab.matrix_cancellable(self.cancel)?;
        println!("{matrix}");
        if args.check {
            return Ok(matrix.as_expected());
        }
        match args.duration {
            Some(s) => println!("running for {s} s; Ctrl-C to stop early"),
            None => println!("running; Ctrl-C to stop and delete the lab"),
        }
        if let Some(e) = lab.endpoints().first() {
            let peer = lab
                .endpoints()
                .iter()
                .find(|p| e.should_reach(p))
                .unwrap_or(e);
            println!("  try: ip netns exec {} ping {}", e.ns, peer.addr);
        }
        self.follow(notes, args.duration.map(Duration::from_secs));
        Ok(true)
    }

    /// Prints a notification with the time since the start.
    fn print(&self, n: &Notification) {
        println!("[{:7.1}s] {n}", self.started.elapsed().as_secs_f64());
    }

    /// Waits until every configured DP reports that it is programmed and running, and every
    /// stack link is up (its beacons heard at both ends).
    fn wait_running(&self, notes: &mut broadcast::Receiver<Notification>) -> anyhow::Result<()> {
        let mut waiting: Vec<u64> = self.config.dps.keys().map(|d| d.0).collect();
        // Each stack link is configured at both ends.
        let links = self
            .config
            .dps
            .values()
            .flat_map(|d| d.ports.values())
            .filter(|p| p.stack.is_some())
            .count()
            / 2;
        let mut links_down = links > 0;
        let mut stop = self.stop.clone();
        self.rt.block_on(async {
            let deadline = tokio::time::Instant::now() + UP_TIMEOUT;
            while !waiting.is_empty() || links_down {
                tokio::select! {
                    n = notes.recv() => match n {
                        Ok(n) => {
                            match &n {
                                Notification::DpRunning { dp_id, .. } => {
                                    waiting.retain(|d| d != dp_id);
                                }
                                Notification::StackTopology { links_up, .. } => {
                                    links_down = links_up.len() < links;
                                }
                                _ => {}
                            }
                            if !matches!(n, Notification::PortChange { .. }) {
                                self.print(&n);
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => bail!("the controller stopped"),
                    },
                    _ = stop.wait_for(|s| *s) => return Err(LabError::Cancelled.into()),
                    () = tokio::time::sleep_until(deadline) => {
                        let list = waiting
                            .iter()
                            .map(|d| format!("{d:#x}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        if list.is_empty() {
                            bail!("stack links not all up after {} s", UP_TIMEOUT.as_secs());
                        }
                        bail!("DPs {list} not up after {} s", UP_TIMEOUT.as_secs());
                    }
                }
            }
            Ok(())
        })
    }

    /// Prints the controller's notifications until stopped or `duration` has passed.
    fn follow(&self, notes: &mut broadcast::Receiver<Notification>, duration: Option<Duration>) {
        // What happened during the matrix is not news.
        *notes = notes.resubscribe();
        let mut stop = self.stop.clone();
        self.rt.block_on(async {
            let end = async {
                match duration {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(end);
            loop {
                tokio::select! {
                    n = notes.recv() => match n {
                        Ok(n) => self.print(&n),
                        Err(broadcast::error::RecvError::Lagged(k)) => {
                            println!("({k} events not shown)");
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = stop.wait_for(|s| *s) => return,
                    () = &mut end => return,
                }
            }
        });
    }
}
