//! What a run measured: plain data that serialises to JSON (`--json`) and prints as a
//! readable table.

use std::fmt;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The mode: learn, connect, reload or scale.
    pub mode: String,
    /// The controller under test.
    pub controller: ControllerInfo,
    /// The machine while the run ran.
    pub machine: Machine,
    /// The emulated switches.
    pub topology: TopologyInfo,
    /// Connecting the switches and waiting until they are programmed (every mode does it).
    pub connect: Option<ConnectResult>,
    /// Learn runs: as fast as the controller takes them, then (with `--half-load`) at half
    /// that rate.
    pub learn: Vec<LearnResult>,
    /// With a floor command: each learn run again, same hosts and rate, against a controller
    /// that does no work. Their latency is the machine's and the generator's alone.
    pub floor: Vec<LearnResult>,
    /// The reload.
    pub reload: Option<ReloadResult>,
    /// Idle switches held.
    pub scale: Option<ScaleResult>,
    /// Things that skew or invalidate the numbers.
    pub warnings: Vec<String>,
}

/// The controller under test.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerInfo {
    /// Where the switches connected.
    pub addr: String,
    /// The command that started it, if the run started it.
    pub command: Option<String>,
    /// Its PID, if known.
    pub pid: Option<u32>,
    /// Its resident memory before any switch connected, in bytes.
    pub idle_rss: Option<u64>,
    /// Its resident memory at the end of the run, in bytes.
    pub final_rss: Option<u64>,
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPUs.
    pub cpus: usize,
    /// Worker threads the generator used.
    pub generator_threads: usize,
    /// Load averages (1, 5, 15 min) at the start.
    pub load_before: Option<[f64; 3]>,
    /// Load averages at the end.
    pub load_after: Option<[f64; 3]>,
}

/// The emulated switches.
#[derive(Debug, Clone, Serialize)]
pub struct TopologyInfo {
    /// The configuration their dp_ids and ports came from.
    pub config: String,
    /// Switches emulated.
    pub switches: usize,
    /// Ports over all of them.
    pub ports: usize,
}

/// CPU used during a phase, in cores (CPU seconds per second of the phase).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Cpu {
    /// The generator (this process).
    pub generator: f64,
    /// The controller, when its PID is known.
    pub controller: Option<f64>,
    /// Share of the machine's CPU time the hypervisor gave to other guests meanwhile (steal,
    /// from /proc/stat, in 10 ms ticks). A few percent is enough to put milliseconds into
    /// the latency tail of a run on a shared 2-vCPU VM.
    pub steal: Option<f64>,
}

/// Connecting switches until they are programmed.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectResult {
    /// Switches started.
    pub switches: usize,
    /// Switches whose handshake completed (FEATURES_REPLY sent).
    pub handshaken: usize,
    /// Switches that received at least one flow, group or meter mod.
    pub programmed: usize,
    /// Switches whose connection ended (with the first few reasons in `warnings`).
    pub failed: usize,
    /// From the first connect to the last switch's last mod or barrier reply, in seconds.
    pub all_programmed_s: Option<f64>,
    /// Per switch, from its TCP connect to its FEATURES_REPLY, in seconds.
    pub handshake_s: Option<Summary>,
    /// Per switch, from its TCP connect to its first mod, in seconds.
    pub first_mod_s: Option<Summary>,
    /// Per switch, from its TCP connect to its last mod or barrier reply, in seconds.
    pub per_switch_s: Option<Summary>,
    /// Flow mods received (all switches).
    pub flow_mods: u64,
    /// Group and meter mods received.
    pub group_meter_mods: u64,
    /// Barrier requests answered.
    pub barriers: u64,
    /// Fewest and most flow mods one switch received.
    pub flow_mods_per_switch: (u64, u64),
    /// Flow mods per second over `all_programmed_s`.
    pub flow_mods_per_s: Option<f64>,
    /// CPU during the phase.
    pub cpu: Cpu,
}

/// Percentiles of a set of values.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Summary {
    /// The summary of `values` (sorted here), or `None` if there are none.
    pub fn of(values: &mut [f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1;
            values[i]
        };
        Some(Summary {
            p50: at(0.5),
            p99: at(0.99),
            p999: at(0.999),
            max: values[values.len() - 1],
        })
    }
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
    /// Samples.
    pub count: u64,
}

impl Latency {
    /// Percentiles of a histogram of nanoseconds.
    pub fn of(h: &Histogram<u64>) -> Latency {
        let us = |ns: u64| ns as f64 / 1000.0;
        Latency {
            p50_us: us(h.value_at_quantile(0.5)),
            p90_us: us(h.value_at_quantile(0.9)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
            count: h.len(),
        }
    }
}

/// One learn run.
#[derive(Debug, Clone, Serialize)]
pub struct LearnResult {
    /// "saturated" (as fast as the window allows) or "paced".
    pub load: String,
    /// Packet-ins per second asked for (paced runs).
    pub target_rate: Option<f64>,
    /// Packet-ins outstanding at most, per switch.
    pub window: u32,
    /// Hosts asked for.
    pub hosts: u64,
    /// Packet-ins sent.
    pub packet_ins: u64,
    /// Hosts learned: packet-ins answered with both the eth_src and the eth_dst flow.
    pub learned: u64,
    /// Packet-ins not answered within the timeout.
    pub lost: u64,
    /// Host flow mods no outstanding packet-in explains (late or extra).
    pub stray: u64,
    /// Host flows deleted during the run.
    pub host_deletes: u64,
    /// Flow mods received during the run (all kinds).
    pub flow_mods: u64,
    /// Flow mods per learned host.
    pub flow_mods_per_host: Option<f64>,
    /// From the first packet-in to the last host learned, in seconds.
    pub seconds: f64,
    /// Hosts learned per second over the run.
    pub hosts_per_s: f64,
    /// Hosts per second in each twentieth of the run's hosts, in order: a rate that falls
    /// means learning slows as the host table grows.
    pub rate_by_hosts: Vec<RateStep>,
    /// The last quarter's rate over the first quarter's (1.0: no slowdown).
    pub slowdown: Option<f64>,
    /// Packet-in to second flow mod, per host: from writing the packet-in to the flow mod
    /// reaching the switch's socket (the kernel's stamp; the read time where it gives none).
    pub latency: Option<Latency>,
    /// The same until the switch read the flow mod: with the generator's own wake-up.
    pub latency_read: Option<Latency>,
    /// Hosts learned, sampled over time: (seconds since start, hosts).
    pub timeline: Vec<(f64, u64)>,
    /// CPU during the run.
    pub cpu: Cpu,
}

/// The learning rate over one stretch of hosts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RateStep {
    /// Hosts learned at the end of the stretch (over all switches, this run).
    pub hosts: u64,
    /// Hosts per second within the stretch.
    pub hosts_per_s: f64,
}

/// A reload.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadResult {
    /// What happened, in a sentence ("reloaded", "no flow mods within 10 s", ...).
    pub outcome: String,
    /// Whether the controller changed the switches' flows.
    pub reloaded: bool,
    /// Switches that received a mod after SIGHUP.
    pub switches_changed: usize,
    /// Switches connected when SIGHUP was sent.
    pub switches: usize,
    /// From SIGHUP to the first mod, in seconds.
    pub first_mod_s: Option<f64>,
    /// From SIGHUP to the last mod or barrier reply on any switch, in seconds.
    pub last_mod_s: Option<f64>,
    /// Flow mods received after SIGHUP.
    pub flow_mods: u64,
    /// Switches whose connection ended after SIGHUP.
    pub disconnected: usize,
    /// CPU from SIGHUP to the end.
    pub cpu: Cpu,
}

/// Idle switches held.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleResult {
    /// Switches asked for.
    pub switches: usize,
    /// Switches still connected at the end.
    pub connected: usize,
    /// Seconds they were held after being programmed.
    pub held_s: f64,
    /// Echo requests the controller sent while they were held.
    pub controller_echoes: u64,
    /// Controller resident memory with every switch connected, in bytes.
    pub rss: Option<u64>,
    /// `(rss - idle rss) / switches`, in bytes.
    pub rss_per_switch: Option<f64>,
    /// CPU while held.
    pub cpu: Cpu,
}

impl Report {
    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.3} s")
    }
}

fn rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k/s", r / 1e3)
    } else {
        format!("{r:.0} /s")
    }
}

fn cpu(c: &Cpu) -> String {
    let mut s = match c.controller {
        Some(ctl) => format!(
            "generator {:.2} cores, controller {ctl:.2} cores",
            c.generator
        ),
        None => format!(
            "generator {:.2} cores, controller unknown (no PID)",
            c.generator
        ),
    };
    if let Some(steal) = c.steal {
        s.push_str(&format!(", host steal {:.1}%", steal * 100.0));
    }
    s
}

/// One `name  value` row.
fn row(f: &mut fmt::Formatter<'_>, name: &str, value: impl fmt::Display) -> fmt::Result {
    writeln!(f, "  {name:<28} {value}")
}

/// One learn run's rows under `title`.
fn learn(f: &mut fmt::Formatter<'_>, title: &str, l: &LearnResult) -> fmt::Result {
    match l.target_rate {
        Some(t) => writeln!(f, "{title} ({}, {} target)", l.load, rate(t))?,
        None => writeln!(f, "{title} ({}, window {} per switch)", l.load, l.window)?,
    }
    row(
        f,
        "hosts",
        format!(
            "{} learned of {} asked ({} packet-ins, {} lost, {} stray flow mods, {} host deletes)",
            l.learned, l.hosts, l.packet_ins, l.lost, l.stray, l.host_deletes
        ),
    )?;
    row(
        f,
        "flow mods",
        format!(
            "{}{}",
            l.flow_mods,
            l.flow_mods_per_host
                .map_or(String::new(), |p| format!(" ({p:.2} per host)"))
        ),
    )?;
    row(
        f,
        "rate",
        format!("{} over {}", rate(l.hosts_per_s), secs(l.seconds)),
    )?;
    if !l.rate_by_hosts.is_empty() {
        // Each quarter of the hosts: its hosts over the time it took.
        let quarter = l.rate_by_hosts.len().div_ceil(4);
        let steps: Vec<String> = l
            .rate_by_hosts
            .chunks(quarter)
            .map(|c| {
                let step = l.hosts as f64 / l.rate_by_hosts.len().max(1) as f64;
                let time: f64 = c.iter().map(|s| step / s.hosts_per_s.max(1e-9)).sum();
                let upto = c.last().map_or(0, |s| s.hosts);
                format!("{} to {upto}", rate(step * c.len() as f64 / time))
            })
            .collect();
        row(f, "rate by quarter of hosts", steps.join(", "))?;
    }
    if let Some(s) = l.slowdown {
        row(f, "last/first quarter rate", format!("{s:.2}"))?;
    }
    for (name, lat) in [
        ("latency (packet-in->flows)", &l.latency),
        ("  as the generator read it", &l.latency_read),
    ] {
        if let Some(lat) = lat {
            row(
                f,
                name,
                format!(
                    "p50 {:.0} us  p90 {:.0} us  p99 {:.0} us  p99.9 {:.0} us  max {:.0} us",
                    lat.p50_us, lat.p90_us, lat.p99_us, lat.p999_us, lat.max_us
                ),
            )?;
        }
    }
    row(f, "cpu", cpu(&l.cpu))?;
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.controller;
        writeln!(f, "sluice bench {}", self.mode)?;
        row(f, "controller", &c.addr)?;
        if let Some(cmd) = &c.command {
            row(f, "command", cmd)?;
        }
        if let Some(pid) = c.pid {
            row(f, "pid", pid)?;
        }
        row(
            f,
            "switches",
            format!(
                "{} ({} ports) from {}",
                self.topology.switches, self.topology.ports, self.topology.config
            ),
        )?;
        let load = |l: Option<[f64; 3]>| {
            l.map_or("?".into(), |l| {
                format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])
            })
        };
        row(
            f,
            "machine",
            format!(
                "{} CPUs, generator on {} threads, load {} -> {}",
                self.machine.cpus,
                self.machine.generator_threads,
                load(self.machine.load_before),
                load(self.machine.load_after)
            ),
        )?;
        if let Some(rss) = c.idle_rss {
            row(f, "controller idle RSS", mb(rss))?;
        }
        if let Some(k) = &self.connect {
            writeln!(f, "connect")?;
            row(
                f,
                "switches",
                format!(
                    "{} started, {} handshaken, {} programmed, {} failed",
                    k.switches, k.handshaken, k.programmed, k.failed
                ),
            )?;
            if let Some(s) = k.all_programmed_s {
                row(f, "all programmed after", secs(s))?;
            }
            for (name, s) in [
                ("per switch: connect->features", &k.handshake_s),
                ("per switch: connect->1st mod", &k.first_mod_s),
                ("per switch: connect->done", &k.per_switch_s),
            ] {
                if let Some(s) = s {
                    row(
                        f,
                        name,
                        format!(
                            "p50 {}  p99 {}  max {}",
                            secs(s.p50),
                            secs(s.p99),
                            secs(s.max)
                        ),
                    )?;
                }
            }
            row(
                f,
                "flow mods",
                format!(
                    "{} ({}..{} per switch), {} group/meter mods, {} barriers",
                    k.flow_mods,
                    k.flow_mods_per_switch.0,
                    k.flow_mods_per_switch.1,
                    k.group_meter_mods,
                    k.barriers
                ),
            )?;
            if let Some(r) = k.flow_mods_per_s {
                row(f, "flow mod rate", rate(r))?;
            }
            row(f, "cpu", cpu(&k.cpu))?;
        }
        for l in &self.learn {
            learn(f, "learn", l)?;
        }
        if let Some(r) = &self.reload {
            writeln!(f, "reload")?;
            row(f, "outcome", &r.outcome)?;
            row(
                f,
                "switches changed",
                format!("{} of {}", r.switches_changed, r.switches),
            )?;
            if let Some(s) = r.first_mod_s {
                row(f, "SIGHUP -> first mod", secs(s))?;
            }
            if let Some(s) = r.last_mod_s {
                row(f, "SIGHUP -> last mod", secs(s))?;
            }
            row(f, "flow mods", r.flow_mods)?;
            if r.disconnected > 0 {
                row(f, "disconnected", r.disconnected)?;
            }
            row(f, "cpu", cpu(&r.cpu))?;
        }
        if let Some(s) = &self.scale {
            writeln!(f, "scale")?;
            row(
                f,
                "switches held",
                format!("{} of {} for {}", s.connected, s.switches, secs(s.held_s)),
            )?;
            row(f, "controller echo requests", s.controller_echoes)?;
            if let Some(rss) = s.rss {
                row(f, "controller RSS", mb(rss))?;
            }
            if let Some(p) = s.rss_per_switch {
                row(f, "RSS per switch", format!("{:.1} KB", p / 1e3))?;
            }
            row(f, "cpu", cpu(&s.cpu))?;
        }
        if let Some(rss) = c.final_rss {
            row(f, "controller final RSS", mb(rss))?;
        }
        for l in &self.floor {
            learn(f, "floor: learn", l)?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_pick_the_right_ranks() {
        let mut v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let s = Summary::of(&mut v).unwrap_or_else(|| unreachable!());
        assert_eq!((s.p50, s.p99, s.p999, s.max), (500.0, 990.0, 999.0, 1000.0));
        assert!(Summary::of(&mut []).is_none());
    }
}
