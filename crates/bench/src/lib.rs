//! `sluice bench`: an OpenFlow 1.3 load generator for FAUCET-style controllers.
//!
//! Cbench and its kin speak OpenFlow 1.0 and send table-miss packet-ins that FAUCET ignores,
//! so sluice has its own generator. It emulates switches that do the real handshake with the
//! controller under test (dp_ids and ports from a FAUCET configuration), answer it as a
//! switch with empty tables would, and measure:
//!
//! - **learn**: packet-ins as FAUCET's pipeline sends them (reason ACTION, the eth_src table,
//!   the DP cookie, a configured in_port, a frame tagged with the port's VLAN, a new source
//!   MAC each), as fast as the controller takes them within a bounded window per switch;
//!   hosts learned per second as the host table grows, and the packet-in to flow-mod latency
//!   histogram. A host counts as learned when both its eth_src and eth_dst flows arrived.
//! - **connect**: from TCP connect to the last flow mod and barrier reply, N switches at once.
//! - **reload**: from SIGHUP to the last flow mod over N switches.
//! - **scale**: K idle switches held with echoes, and the controller's resident memory.
//!
//! ```text
//!   run (orchestrator) ──watch: Hold / Learn(plan) / Stop──► switch tasks (one per switch,
//!        │  ▲                                                 tokio multi-thread runtime)
//!        │  └── atomics and stamps per switch, read every 20-100 ms ◄──┘   │ one TCP
//!        ▼                                                                 ▼ connection each
//!   controller process (--controller-cmd; stopped by PID)  ◄──────── the controller under test
//! ```
//!
//! The generator must not be the bottleneck: its switches spread over the runtime's worker
//! threads, each pass of a switch's loop sends its packet-ins with one `write`, packet-ins are
//! copies of a template with the MAC written in, and flow mods are scanned, not decoded
//! (see [`frames`]). Its own CPU use is reported next to the controller's.

pub mod frames;
mod inbox;
pub mod process;
pub mod reflect;
pub mod report;
mod run;
mod switch;
pub mod topo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use report::Report;
pub use run::run;
pub use topo::Generated;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Hosts learned per second and packet-in to flow-mod latency.
    Learn,
    /// Time to program N switches connecting at once.
    Connect,
    /// Time from SIGHUP to the last flow mod.
    Reload,
    /// Idle switches held, and the controller's memory per switch.
    Scale,
}

impl Mode {
    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Learn => "learn",
            Mode::Connect => "connect",
            Mode::Reload => "reload",
            Mode::Scale => "scale",
        }
    }
}

/// Where the switches' dp_ids and ports come from.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// A FAUCET configuration file (the controller's own).
    File(PathBuf),
    /// A configuration the run writes (see [`Generated`]); `{config}` in the controller
    /// command names it.
    Generate(Generated),
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to measure.
    pub mode: Mode,
    /// The configuration.
    pub config: ConfigSource,
    /// Emulate only the first N DPs of the configuration.
    pub switches: Option<usize>,
    /// The controller's address (default 127.0.0.1:6653, or a free port when the run starts
    /// the controller).
    pub controller: Option<SocketAddr>,
    /// A shell command that starts the controller; `{config}`, `{port}` and `{addr}` are
    /// replaced by the configuration's path, the port and the address to listen on.
    pub controller_cmd: Option<String>,
    /// The PID of a controller started elsewhere (for its memory, CPU and SIGHUP).
    pub controller_pid: Option<u32>,
    /// How long the controller may take to listen.
    pub start_timeout: Duration,
    /// Worker threads of the generator's runtime (at most one per switch is used).
    pub threads: usize,
    /// Quiet time after the last flow mod that means "programmed".
    pub settle: Duration,
    /// How long connecting and programming may take.
    pub timeout: Duration,
    /// Switches between TCP connect and FEATURES_REPLY at once.
    pub connect_concurrency: usize,
    /// Silence after which a switch sends an echo request.
    pub echo_interval: Duration,
    /// Hosts per learn run (over all switches).
    pub hosts: u64,
    /// Host numbers start here on every switch (so runs against a controller that keeps
    /// running learn new hosts each time).
    pub first_host: u32,
    /// Packet-ins outstanding at most per switch.
    pub window: u32,
    /// Packet-ins per second (over all switches) instead of as fast as the window allows.
    pub rate: Option<f64>,
    /// After the run at full speed, run again at half its rate (for latency at half load).
    pub half_load: bool,
    /// Hosts of the half-load run (default: `hosts`). With a different number the run can
    /// stay clear of the controller's host-table growth steps.
    pub half_load_hosts: Option<u64>,
    /// A learn run stops after this long, learned or not.
    pub duration: Duration,
    /// An unanswered packet-in counts as lost after this long.
    pub packet_in_timeout: Duration,
    /// The configuration to reload to (with [`ConfigSource::File`]; a generated
    /// configuration has its own variant). Its text is written over the configuration file
    /// before SIGHUP and the original is put back afterwards.
    pub reload_config: Option<PathBuf>,
    /// How long to wait for the first flow mod after SIGHUP.
    pub reload_timeout: Duration,
    /// How long the scale mode holds its switches idle.
    pub hold: Duration,
    /// A command that starts a controller doing no work (`sluice reflect --listen {addr}`).
    /// With it, each learn run is made again against that controller, with the same hosts
    /// and rate, and reported as the run's floor: the latency of the machine and the
    /// generator alone.
    pub floor_cmd: Option<String>,
    /// Show progress on standard error.
    pub progress: bool,
}

impl Options {
    /// Defaults for `mode` with a generated configuration sized for the mode's goal.
    pub fn new(mode: Mode) -> Self {
        let dps = match mode {
            Mode::Learn => 1,
            Mode::Connect => 1000,
            Mode::Reload => 100,
            Mode::Scale => 10_000,
        };
        Options {
            mode,
            config: ConfigSource::Generate(Generated {
                dps,
                ports: 24,
                vlans: 1,
            }),
            switches: None,
            controller: None,
            controller_cmd: None,
            controller_pid: None,
            start_timeout: Duration::from_secs(60),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            settle: Duration::from_secs(1),
            timeout: Duration::from_secs(120),
            connect_concurrency: 1000,
            echo_interval: Duration::from_secs(5),
            hosts: 100_000,
            first_host: 0,
            window: 4096,
            rate: None,
            half_load: false,
            half_load_hosts: None,
            duration: Duration::from_secs(60),
            packet_in_timeout: Duration::from_secs(5),
            reload_config: None,
            reload_timeout: Duration::from_secs(10),
            hold: Duration::from_secs(10),
            floor_cmd: None,
            progress: true,
        }
    }
}

/// Why a run could not be made (as opposed to what it measured).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BenchError(pub String);

impl From<String> for BenchError {
    fn from(s: String) -> Self {
        BenchError(s)
    }
}
