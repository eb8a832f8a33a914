//! `sluice bench`: the OpenFlow 1.3 load generator (see [`sluice_bench`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use sluice_bench::{ConfigSource, Generated, Mode, Options};

/// What to measure.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum BenchMode {
    /// Hosts learned per second as the table grows, and packet-in to flow-mod latency.
    Learn,
    /// Time from TCP connect to the last flow mod and barrier reply, N switches at once.
    Connect,
    /// Time from SIGHUP to the last flow mod over N switches.
    Reload,
    /// K idle switches held with echoes; the controller's memory per switch.
    Scale,
}

/// Arguments of `sluice bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// What to measure.
    mode: BenchMode,
    /// FAUCET configuration giving the switches' dp_ids and ports (the controller's own).
    /// Default: a generated one (--dps, --ports, --vlans) with learning unthrottled.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// DPs in the generated configuration [default: learn 1, connect 1000, reload 100,
    /// scale 10000].
    #[arg(long, value_name = "N")]
    dps: Option<usize>,
    /// Ports per DP in the generated configuration.
    #[arg(long, default_value_t = 24, value_name = "N")]
    ports: u32,
    /// VLANs in the generated configuration (ports spread over them).
    #[arg(long, default_value_t = 1, value_name = "N")]
    vlans: u16,
    /// Emulate only the first N DPs of the configuration.
    #[arg(long, value_name = "N")]
    switches: Option<usize>,
    /// The controller's address [default: 127.0.0.1:6653, or a free port with
    /// --controller-cmd].
    #[arg(long, value_name = "ADDR:PORT")]
    controller: Option<SocketAddr>,
    /// Start (and at the end stop, by PID) the controller with this shell command; {config},
    /// {port} and {addr} are replaced. Example: 'sluice run --config {config} --listen
    /// {addr}'.
    #[arg(long, value_name = "CMD")]
    controller_cmd: Option<String>,
    /// PID of a controller started elsewhere (memory, CPU, and SIGHUP for reload).
    #[arg(long, value_name = "PID")]
    controller_pid: Option<u32>,
    /// Seconds the controller may take to listen.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    start_timeout: f64,
    /// Generator worker threads, at most one per switch [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Seconds without a flow mod that mean "programmed".
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    settle: f64,
    /// Seconds connecting and programming may take.
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    timeout: f64,
    /// Switches between TCP connect and FEATURES_REPLY at once.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    connect_concurrency: usize,
    /// Seconds of silence after which an emulated switch sends an echo request.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    echo_interval: f64,
    /// learn: hosts to learn (over all switches).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    hosts: u64,
    /// learn: host numbers start here on every switch (so that runs against a controller
    /// that keeps running learn new hosts each time).
    #[arg(long, default_value_t = 0, value_name = "N")]
    first_host: u32,
    /// learn: packet-ins outstanding at most, per switch.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    window: u32,
    /// learn: packet-ins per second over all switches, instead of as fast as the controller
    /// takes them.
    #[arg(long, value_name = "PER_SEC")]
    rate: Option<f64>,
    /// learn: after the run at full speed, learn as many new hosts at half its rate (the
    /// latency at half load).
    #[arg(long)]
    half_load: bool,
    /// learn: hosts of the half-load run [default: --hosts].
    #[arg(long, value_name = "N")]
    half_load_hosts: Option<u64>,
    /// learn: seconds a learn run may last.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    duration: f64,
    /// learn: seconds after which an unanswered packet-in counts as lost.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    packet_in_timeout: f64,
    /// reload (with --config): the configuration to reload to. Its text is written over
    /// --config's file before SIGHUP and the original is put back afterwards.
    #[arg(long, value_name = "FILE")]
    reload_config: Option<PathBuf>,
    /// reload: seconds to wait for a flow mod after SIGHUP.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    reload_timeout: f64,
    /// scale: seconds to hold the switches idle before measuring memory.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    hold: f64,
    /// learn: make each learn run again, with the same hosts and rate, against a controller
    /// that does no work, and report it as the floor: the latency of this machine and the
    /// generator alone. The controller is `sluice reflect --listen {addr}`, or CMD.
    #[arg(long, value_name = "CMD", num_args = 0..=1, default_missing_value = "")]
    floor: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
}

fn secs(s: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).map_err(|e| anyhow::anyhow!("--{what} {s}: {e}"))
}

/// Runs `sluice bench`.
pub(crate) fn main(a: BenchArgs) -> anyhow::Result<()> {
    let mode = match a.mode {
        BenchMode::Learn => Mode::Learn,
        BenchMode::Connect => Mode::Connect,
        BenchMode::Reload => Mode::Reload,
        BenchMode::Scale => Mode::Scale,
    };
    let mut o = Options::new(mode);
    o.config = match a.config {
        Some(path) => ConfigSource::File(path),
        None => {
            let ConfigSource::Generate(g) = o.config else {
                unreachable!("Options::new generates its configuration")
            };
            ConfigSource::Generate(Generated {
                dps: a.dps.unwrap_or(g.dps),
                ports: a.ports,
                vlans: a.vlans,
            })
        }
    };
    o.switches = a.switches;
    o.controller = a.controller;
    o.controller_cmd = a.controller_cmd;
    o.controller_pid = a.controller_pid;
    o.start_timeout = secs(a.start_timeout, "start-timeout")?;
    if let Some(t) = a.threads {
        o.threads = t;
    }
    o.settle = secs(a.settle, "settle")?;
    o.timeout = secs(a.timeout, "timeout")?;
    o.connect_concurrency = a.connect_concurrency;
    o.echo_interval = secs(a.echo_interval, "echo-interval")?;
    o.hosts = a.hosts;
    o.first_host = a.first_host;
    o.window = a.window;
    o.rate = a.rate;
    o.half_load = a.half_load;
    o.half_load_hosts = a.half_load_hosts;
    o.duration = secs(a.duration, "duration")?;
    o.packet_in_timeout = secs(a.packet_in_timeout, "packet-in-timeout")?;
    o.reload_config = a.reload_config;
    o.reload_timeout = secs(a.reload_timeout, "reload-timeout")?;
    o.hold = secs(a.hold, "hold")?;
    o.floor_cmd = match a.floor {
        Some(cmd) if cmd.is_empty() => Some(format!("{} reflect --listen {{addr}}", own_path()?)),
        cmd => cmd,
    };
    o.progress = !a.quiet;
    let report = sluice_bench::run(&o)?;
    if a.json {
        println!("{}", report.to_json());
    } else {
        print!("{report}");
    }
    Ok(())
}

/// This executable's path, quoted for the shell.
fn own_path() -> anyhow::Result<String> {
    let exe = std::env::current_exe()?;
    Ok(format!(
        "'{}'",
        exe.display().to_string().replace('\'', r"'\''")
    ))
}

/// Arguments of `sluice reflect`.
#[derive(Debug, Args)]
pub(crate) struct ReflectArgs {
    /// Address to accept switches on.
    #[arg(long, default_value = "127.0.0.1:6653", value_name = "ADDR:PORT")]
    listen: SocketAddr,
}

/// Runs `sluice reflect` until it is stopped.
pub(crate) fn reflect(a: ReflectArgs) -> anyhow::Result<()> {
    Ok(sluice_bench::reflect::serve(a.listen)?)
}
