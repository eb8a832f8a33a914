//! A run from start to end: the configuration, the controller process, the switches, the
//! measured phases and the report.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant as StdInstant};

use hdrhistogram::Histogram;
use nix::sys::signal::Signal;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

use crate::process::{self, ControllerProcess};
use crate::report::{
    ConnectResult, ControllerInfo, Cpu, Latency, LearnResult, Machine, RateStep, ReloadResult,
    Report, ScaleResult, Summary, TopologyInfo,
};
use crate::switch::{
    self, Clock, Latencies, LearnPlan, LearnProgress, Phase, SwitchStats, SwitchTask,
};
use crate::topo::{SwitchSpec, Topology};
use crate::{BenchError, ConfigSource, Mode, Options};

/// Runs the benchmark `opts` describes and reports what it measured.
///
/// # Errors
/// [`BenchError`] when the run cannot be made: the configuration does not load, the
/// controller does not start, a reload has no PID to signal. What goes wrong with the
/// controller during the run (switches refused, packet-ins unanswered, no reload) is
/// reported in the [`Report`] instead.
pub fn run(opts: &Options) -> Result<Report, BenchError> {
    let dir = tempfile::Builder::new()
        .prefix("sluice-bench")
        .tempdir()
        .map_err(|e| format!("creating a temporary directory: {e}"))?;
    let (config_path, config_name) = match &opts.config {
        ConfigSource::File(p) => {
            let abs = std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()))?;
            (abs.clone(), abs.display().to_string())
        }
        ConfigSource::Generate(g) => {
            let p = dir.path().join("faucet.yaml");
            std::fs::write(&p, g.yaml()).map_err(|e| format!("writing {}: {e}", p.display()))?;
            (
                p,
                format!(
                    "generated: {} DPs x {} ports, {} VLANs",
                    g.dps, g.ports, g.vlans
                ),
            )
        }
    };
    let loaded = sluice_runtime::config::load(&config_path)
        .map_err(|e| format!("configuration {}:\n{e}", config_path.display()))?;
    let topo = Topology::from_config(&loaded.config, opts.switches)?;
    if topo.switches.is_empty() {
        return Err(BenchError("the configuration has no DP to emulate".into()));
    }
    if topo.switches.len() > usize::from(u16::MAX) {
        return Err(BenchError(format!(
            "{} switches: at most {} can be emulated",
            topo.switches.len(),
            u16::MAX
        )));
    }
    if opts.mode == Mode::Learn && topo.switches.iter().any(|s| s.learn.is_empty()) {
        return Err(BenchError(
            "a DP has no port that learns (enabled, with a VLAN): nothing to send packet-ins on"
                .into(),
        ));
    }
    let reload_text = match (opts.mode, &opts.config) {
        (Mode::Reload, ConfigSource::Generate(g)) => Some(g.reload_yaml()),
        (Mode::Reload, ConfigSource::File(_)) => {
            let Some(p) = &opts.reload_config else {
                return Err(BenchError(
                    "reload with --config needs --reload-config FILE (the configuration to \
                     reload to)"
                        .into(),
                ));
            };
            Some(std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        _ => None,
    };
    process::raise_fd_limit();

    let addr = match (opts.controller, &opts.controller_cmd) {
        (Some(a), _) => a,
        (None, Some(_)) => SocketAddr::from(([127, 0, 0, 1], process::free_port()?)),
        (None, None) => SocketAddr::from(([127, 0, 0, 1], 6653)),
    };
    let load_before = process::loadavg();
    let (controller, command) = match &opts.controller_cmd {
        Some(cmd) => {
            let cmd = cmd
                .replace("{config}", &config_path.display().to_string())
                .replace("{port}", &addr.port().to_string())
                .replace("{addr}", &addr.to_string());
            let mut p = ControllerProcess::start(&cmd, &dir.path().join("controller.log"))?;
            p.wait_listening(addr, opts.start_timeout)?;
            (Some(p), Some(cmd))
        }
        None => (None, None),
    };
    let pid = controller
        .as_ref()
        .map(ControllerProcess::pid)
        .or(opts.controller_pid);
    let idle_rss = pid.and_then(process::rss_bytes);

    // No more workers than switches: a worker with no switch of its own only wakes up to
    // steal from the busy one (with one switch, the paced run's p50 was 58-136 µs on two
    // workers against 43-56 µs on one, docs/bench.md).
    let threads = opts.threads.clamp(1, topo.switches.len().max(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let mut bench = Bench {
        opts,
        clock: Clock::new(),
        addr,
        pid,
        controller,
        config_path: &config_path,
        stats: Vec::new(),
        warnings: topo.warnings.clone(),
        progress: Progress::new(opts.progress),
    };
    let mut report = Report {
        mode: opts.mode.name().into(),
        controller: ControllerInfo {
            addr: addr.to_string(),
            command,
            pid,
            idle_rss,
            final_rss: None,
        },
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            generator_threads: threads,
            load_before,
            load_after: None,
        },
        topology: TopologyInfo {
            config: config_name,
            switches: topo.switches.len(),
            ports: topo.ports(),
        },
        connect: None,
        learn: Vec::new(),
        floor: Vec::new(),
        reload: None,
        scale: None,
        warnings: Vec::new(),
    };
    if opts.mode != Mode::Learn {
        bench.warnings.clear(); // learning limits do not matter to the other modes
    }
    rt.block_on(bench.phases(topo.switches, reload_text, &mut report))?;
    report.controller.final_rss = pid.and_then(process::rss_bytes);
    report.machine.load_after = process::loadavg();
    bench.failures();
    if let Some(p) = &mut bench.controller {
        if let Some(status) = p.exited() {
            let tail = p.log_tail(10);
            bench.warnings.push(format!(
                "the controller exited during the run ({status})\n{tail}"
            ));
        }
        p.stop();
    }
    report.warnings = std::mem::take(&mut bench.warnings);
    if let (Mode::Learn, Some(cmd)) = (opts.mode, &opts.floor_cmd) {
        for l in &report.learn {
            let floor = Options {
                controller: None,
                controller_cmd: Some(cmd.clone()),
                controller_pid: None,
                hosts: l.hosts,
                first_host: 0,
                rate: l.target_rate,
                half_load: false,
                floor_cmd: None,
                ..opts.clone()
            };
            let r = run(&floor)?;
            report.floor.extend(r.learn);
            let warnings = r.warnings.into_iter().map(|w| format!("floor: {w}"));
            report.warnings.extend(warnings);
        }
    }
    Ok(report)
}

/// A run in progress.
struct Bench<'a> {
    opts: &'a Options,
    clock: Clock,
    addr: SocketAddr,
    pid: Option<u32>,
    controller: Option<ControllerProcess>,
    config_path: &'a Path,
    stats: Vec<Arc<SwitchStats>>,
    warnings: Vec<String>,
    progress: Progress,
}

/// How often the run looks at the switches while waiting for them.
const POLL: Duration = Duration::from_millis(20);

impl Bench<'_> {
    async fn phases(
        &mut self,
        switches: Vec<SwitchSpec>,
        reload_text: Option<String>,
        report: &mut Report,
    ) -> Result<(), BenchError> {
        let (phase_tx, phase_rx) = watch::channel(Phase::Hold);
        let connecting = Arc::new(Semaphore::new(self.opts.connect_concurrency.max(1)));
        let count = switches.len() as u64;
        let cpu = self.cpu_mark();
        let start_ns = self.clock.now();
        let mut tasks: Vec<JoinHandle<()>> = Vec::with_capacity(switches.len());
        for (i, spec) in switches.into_iter().enumerate() {
            let stats = Arc::new(SwitchStats::new());
            self.stats.push(stats.clone());
            let task = SwitchTask {
                index: u16::try_from(i).unwrap_or(u16::MAX),
                count,
                spec: Arc::new(spec),
                stats,
                clock: self.clock,
                addr: self.addr,
                phase: phase_rx.clone(),
                connecting: connecting.clone(),
                echo_interval: self.opts.echo_interval,
            };
            tasks.push(tokio::spawn(switch::run(task)));
        }
        report.connect = Some(self.wait_programmed(start_ns, cpu).await);
        match self.opts.mode {
            Mode::Connect => {}
            Mode::Learn => {
                let rate = self.opts.rate;
                let base = self.opts.first_host;
                let first = self.learn(&phase_tx, 1, self.opts.hosts, base, rate).await;
                let half = first.hosts_per_s / 2.0;
                report.learn.push(first);
                if self.opts.half_load && rate.is_none() && half > 0.0 {
                    let per_switch = u32::try_from(self.opts.hosts.div_ceil(count));
                    let base = base.saturating_add(per_switch.unwrap_or(u32::MAX));
                    let hosts = self.opts.half_load_hosts.unwrap_or(self.opts.hosts);
                    report
                        .learn
                        .push(self.learn(&phase_tx, 2, hosts, base, Some(half)).await);
                }
            }
            Mode::Reload => {
                if let Some(text) = reload_text {
                    report.reload = Some(self.reload(&text).await?);
                }
            }
            Mode::Scale => report.scale = Some(self.hold(report.controller.idle_rss).await),
        }
        self.progress.clear();
        let _ = phase_tx.send(Phase::Stop);
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        Ok(())
    }

    /// CPU time used so far by the generator and the controller, and when.
    fn cpu_mark(&self) -> CpuMark {
        CpuMark {
            at: StdInstant::now(),
            own: process::own_cpu_ns(),
            controller: self.pid.and_then(process::cpu_ns),
            machine: process::machine_ticks(),
        }
    }

    fn cpu_since(&self, mark: &CpuMark) -> Cpu {
        let secs = mark.at.elapsed().as_secs_f64().max(1e-9);
        let own = process::own_cpu_ns().saturating_sub(mark.own);
        let controller = match (mark.controller, self.pid.and_then(process::cpu_ns)) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e9 / secs),
            _ => None,
        };
        let generator = own as f64 / 1e9 / secs;
        let steal = match (mark.machine, process::machine_ticks()) {
            (Some(a), Some(b)) if b.total > a.total => {
                Some(b.steal.saturating_sub(a.steal) as f64 / (b.total - a.total) as f64)
            }
            _ => None,
        };
        Cpu {
            generator,
            controller,
            steal,
        }
    }

    /// Waits until every switch has been programmed (or failed) and the controller has sent
    /// nothing for `settle`.
    async fn wait_programmed(&mut self, start_ns: u64, cpu: CpuMark) -> ConnectResult {
        let n = self.stats.len();
        let deadline = StdInstant::now() + self.opts.timeout;
        let settle = dur_ns(self.opts.settle);
        loop {
            tokio::time::sleep(POLL).await;
            let now = self.clock.now();
            let (mut handshaken, mut programmed, mut failed, mut last) = (0, 0, 0, start_ns);
            let mut flow_mods = 0;
            for s in &self.stats {
                handshaken += usize::from(s.handshake.get().is_some());
                if s.first_mod.get().is_some() {
                    programmed += 1;
                } else if s.has_ended() {
                    failed += 1;
                }
                for t in [&s.handshake, &s.last_mod, &s.last_barrier] {
                    last = last.max(t.get().unwrap_or(0));
                }
                flow_mods += s.mods();
            }
            self.progress.show(format!(
                "connect: {handshaken}/{n} handshaken, {programmed} programmed, {failed} failed, \
                 {flow_mods} mods"
            ));
            if self.controller_gone() {
                break;
            }
            if programmed + failed == n && now.saturating_sub(last) >= settle {
                break;
            }
            if StdInstant::now() >= deadline {
                self.warnings.push(format!(
                    "not every switch was programmed within {:?} ({programmed} of {n})",
                    self.opts.timeout
                ));
                break;
            }
        }
        let cpu = self.cpu_since(&cpu);
        let c = |s: &SwitchStats, f: fn(&crate::switch::Counts) -> u64| f(&s.counts);
        let (mut per_switch, mut handshakes, mut first_mods) = (Vec::new(), Vec::new(), Vec::new());
        let mut first_connect = u64::MAX;
        let mut all_done = None::<u64>;
        let mut per_switch_flows = (u64::MAX, 0);
        let (mut flow_mods, mut group_meter, mut barriers) = (0, 0, 0);
        let (mut handshaken, mut programmed, mut failed) = (0, 0, 0);
        for s in &self.stats {
            let flows = c(s, |c| {
                c.flow_adds.load(Relaxed)
                    + c.flow_modifies.load(Relaxed)
                    + c.flow_deletes.load(Relaxed)
            });
            flow_mods += flows;
            group_meter += c(s, |c| c.group_meters());
            barriers += c(s, |c| c.barriers.load(Relaxed));
            per_switch_flows = (per_switch_flows.0.min(flows), per_switch_flows.1.max(flows));
            handshaken += usize::from(s.handshake.get().is_some());
            if let Some(start) = s.connect_start.get() {
                first_connect = first_connect.min(start);
                for (t, all) in [
                    (&s.handshake, &mut handshakes),
                    (&s.first_mod, &mut first_mods),
                ] {
                    if let Some(t) = t.get() {
                        all.push(t.saturating_sub(start) as f64 / 1e9);
                    }
                }
            }
            if s.first_mod.get().is_none() {
                failed += usize::from(s.has_ended());
                continue;
            }
            programmed += 1;
            let done = s
                .last_mod
                .get()
                .unwrap_or(0)
                .max(s.last_barrier.get().unwrap_or(0));
            all_done = Some(all_done.unwrap_or(0).max(done));
            if let Some(start) = s.connect_start.get() {
                per_switch.push(done.saturating_sub(start) as f64 / 1e9);
            }
        }
        let all_programmed_s = all_done
            .filter(|_| programmed == n)
            .map(|d| d.saturating_sub(first_connect) as f64 / 1e9);
        ConnectResult {
            switches: n,
            handshaken,
            programmed,
            failed,
            all_programmed_s,
            handshake_s: Summary::of(&mut handshakes),
            first_mod_s: Summary::of(&mut first_mods),
            per_switch_s: Summary::of(&mut per_switch),
            flow_mods,
            group_meter_mods: group_meter,
            barriers,
            flow_mods_per_switch: if n == 0 { (0, 0) } else { per_switch_flows },
            flow_mods_per_s: all_programmed_s
                .filter(|s| *s > 0.0)
                .map(|s| flow_mods as f64 / s),
            cpu,
        }
    }

    /// Whether the controller the run started has exited.
    fn controller_gone(&mut self) -> bool {
        self.controller
            .as_mut()
            .is_some_and(|p| p.exited().is_some())
    }

    /// Sums a counter over all switches.
    fn total(&self, f: fn(&crate::switch::Counts) -> u64) -> u64 {
        self.stats.iter().map(|s| f(&s.counts)).sum()
    }

    /// One learn run: `hosts` new hosts (over all switches) from host number `base` on
    /// every switch, as fast as the window allows or at `rate` packet-ins per second.
    async fn learn(
        &mut self,
        phase: &watch::Sender<Phase>,
        id: u32,
        hosts: u64,
        base: u32,
        rate: Option<f64>,
    ) -> LearnResult {
        let opts = self.opts;
        let n = self.stats.len() as f64;
        let progress = Arc::new(LearnProgress::new(hosts));
        let pacing = rate.filter(|r| *r > 0.0);
        let pacer = pacing.map(|_| Pacer::start());
        let plan = LearnPlan {
            id,
            total: hosts,
            base,
            window: opts.window.max(1),
            rate: pacing.map_or(0.0, |r| r / n),
            timeout: opts.packet_in_timeout,
            progress: progress.clone(),
            pacer: pacer.as_ref().map(|p| p.notify.clone()),
        };
        let before = LearnCounts::of(self);
        for s in &self.stats {
            s.learn_done.store(s.has_ended(), Relaxed);
        }
        let cpu = self.cpu_mark();
        let start_ns = self.clock.now();
        let _ = phase.send(Phase::Learn(plan));
        let deadline = StdInstant::now() + opts.duration;
        let mut timeline = Vec::new();
        let mut last_sample = StdInstant::now();
        loop {
            tokio::time::sleep(POLL).await;
            let learned = progress.learned.load(Relaxed);
            let t = self.clock.now().saturating_sub(start_ns) as f64 / 1e9;
            if last_sample.elapsed() >= Duration::from_millis(100) {
                timeline.push((t, learned));
                last_sample = StdInstant::now();
            }
            let lost = self.total(|c| c.lost.load(Relaxed)) - before.lost;
            self.progress.show(format!(
                "learn: {learned}/{hosts} hosts, {} in {t:.1} s, {lost} lost",
                rate_text(learned as f64 / t.max(1e-9)),
            ));
            if self.stats.iter().all(|s| s.learn_done.load(Relaxed)) {
                break;
            }
            if self.controller_gone() {
                self.warnings
                    .push("the controller exited during the learn run".into());
                break;
            }
            if StdInstant::now() >= deadline {
                self.warnings.push(format!(
                    "learn run {id} stopped after {:?} with {learned} of {hosts} hosts learned",
                    opts.duration
                ));
                break;
            }
        }
        let cpu = self.cpu_since(&cpu);
        if let Some(steal) = cpu.steal.filter(|s| *s >= STEAL_WARNING) {
            self.warnings.push(format!(
                "learn run {id}: the hypervisor gave {:.1}% of this machine's CPU time to other \
                 guests (steal); its latency tail may measure the host rather than the controller",
                steal * 100.0
            ));
        }
        drop(pacer);
        let _ = phase.send(Phase::Hold);
        // The switches hand over their latencies when they see the change.
        let wait = StdInstant::now() + Duration::from_secs(2);
        while !self.stats.iter().all(|s| s.learn_done.load(Relaxed)) && StdInstant::now() < wait {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let learned = progress.learned.load(Relaxed);
        let end_ns = progress.last.get().unwrap_or(start_ns);
        timeline.push((end_ns.saturating_sub(start_ns) as f64 / 1e9, learned));
        let seconds = end_ns.saturating_sub(start_ns) as f64 / 1e9;
        let mut latencies: Option<Latencies> = None;
        for s in &self.stats {
            let Some(l) = s.latency.lock().ok().and_then(|mut l| l.take()) else {
                continue;
            };
            match &mut latencies {
                Some(all) => all.add(&l),
                None => latencies = Some(l),
            }
        }
        let latency = |h: &Histogram<u64>| (!h.is_empty()).then(|| Latency::of(h));
        let after = LearnCounts::of(self);
        let flow_mods = after.flow_mods - before.flow_mods;
        let (rate_by_hosts, slowdown) = rate_steps(&progress, start_ns);
        LearnResult {
            load: if pacing.is_some() {
                "paced"
            } else {
                "saturated"
            }
            .into(),
            target_rate: pacing,
            window: opts.window.max(1),
            hosts,
            packet_ins: after.packet_ins - before.packet_ins,
            learned,
            lost: after.lost - before.lost,
            stray: after.stray - before.stray,
            host_deletes: after.host_deletes - before.host_deletes,
            flow_mods,
            flow_mods_per_host: (learned > 0).then(|| flow_mods as f64 / learned as f64),
            seconds,
            hosts_per_s: if seconds > 0.0 {
                learned as f64 / seconds
            } else {
                0.0
            },
            rate_by_hosts,
            slowdown,
            latency: latencies.as_ref().and_then(|l| latency(&l.arrived)),
            latency_read: latencies.as_ref().and_then(|l| latency(&l.read)),
            timeline,
            cpu,
        }
    }

    /// Writes the reload configuration, sends SIGHUP, and waits for the flow mods it causes.
    async fn reload(&mut self, text: &str) -> Result<ReloadResult, BenchError> {
        let Some(pid) = self.pid else {
            return Err(BenchError(
                "reload needs the controller's PID: start it with --controller-cmd, or give \
                 --controller-pid"
                    .into(),
            ));
        };
        let n = self.stats.len();
        let before: Vec<(u64, u64, bool)> = self
            .stats
            .iter()
            .map(|s| {
                let flows = s.counts.flow_adds.load(Relaxed)
                    + s.counts.flow_modifies.load(Relaxed)
                    + s.counts.flow_deletes.load(Relaxed);
                (s.mods(), flows, s.has_ended())
            })
            .collect();
        let connected = before.iter().filter(|b| !b.2).count();
        let _restore = Restore::new(self.config_path, text)?;
        let cpu = self.cpu_mark();
        let t0 = self.clock.now();
        for s in &self.stats {
            s.reset_mark(t0);
        }
        process::signal(pid, Signal::SIGHUP)?;
        let settle = dur_ns(self.opts.settle);
        let timeout = dur_ns(self.opts.reload_timeout);
        let outcome = loop {
            tokio::time::sleep(POLL).await;
            let now = self.clock.now();
            let mut changed = 0;
            let mut last = t0;
            for (s, b) in self.stats.iter().zip(&before) {
                if s.mods() > b.0 {
                    changed += 1;
                    last = last
                        .max(s.last_mod.get().unwrap_or(0))
                        .max(s.last_barrier.get().unwrap_or(0));
                }
            }
            self.progress.show(format!(
                "reload: {changed}/{n} switches changed, {:.2} s since SIGHUP",
                (now - t0) as f64 / 1e9
            ));
            if let Some(p) = self.controller.as_mut()
                && let Some(status) = p.exited()
            {
                break format!(
                    "the controller exited on SIGHUP ({status}): it does not reload\n{}",
                    p.log_tail(5)
                );
            }
            let quiet = now.saturating_sub(last) >= settle;
            if changed == connected && changed > 0 && quiet {
                break "reloaded".to_string();
            }
            if changed > 0 && quiet && now - t0 >= timeout {
                break format!("reloaded {changed} of {connected} switches within the timeout");
            }
            if changed == 0 && now - t0 >= timeout {
                break format!(
                    "no flow mod within {:?} of SIGHUP: the controller did not reload",
                    self.opts.reload_timeout
                );
            }
        };
        let cpu = self.cpu_since(&cpu);
        let mut first = None::<u64>;
        let mut last = None::<u64>;
        let (mut changed, mut flow_mods, mut disconnected) = (0, 0, 0);
        for (s, b) in self.stats.iter().zip(&before) {
            if s.mods() > b.0 {
                changed += 1;
                let flows = s.counts.flow_adds.load(Relaxed)
                    + s.counts.flow_modifies.load(Relaxed)
                    + s.counts.flow_deletes.load(Relaxed);
                flow_mods += flows - b.1;
                if let Some(f) = s.mark.get() {
                    first = Some(first.map_or(f, |x| x.min(f)));
                }
                let l = s
                    .last_mod
                    .get()
                    .unwrap_or(0)
                    .max(s.last_barrier.get().unwrap_or(0));
                last = Some(last.map_or(l, |x| x.max(l)));
            }
            if !b.2 && s.has_ended() {
                disconnected += 1;
            }
        }
        let since = |t: Option<u64>| t.map(|t| t.saturating_sub(t0) as f64 / 1e9);
        Ok(ReloadResult {
            reloaded: changed > 0,
            outcome,
            switches_changed: changed,
            switches: connected,
            first_mod_s: since(first),
            last_mod_s: since(last),
            flow_mods,
            disconnected,
            cpu,
        })
    }

    /// Holds the switches idle for `hold` and measures the controller's memory.
    async fn hold(&mut self, idle_rss: Option<u64>) -> ScaleResult {
        let n = self.stats.len();
        let echoes = self.total(|c| c.echo_requests.load(Relaxed));
        let cpu = self.cpu_mark();
        let start = StdInstant::now();
        while start.elapsed() < self.opts.hold {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let up = self.stats.iter().filter(|s| !s.has_ended()).count();
            self.progress.show(format!(
                "scale: {up}/{n} switches held for {:.1} s",
                start.elapsed().as_secs_f64()
            ));
            if self.controller_gone() {
                break;
            }
        }
        let cpu = self.cpu_since(&cpu);
        let rss = self.pid.and_then(process::rss_bytes);
        let connected = self.stats.iter().filter(|s| !s.has_ended()).count();
        ScaleResult {
            switches: n,
            connected,
            held_s: start.elapsed().as_secs_f64(),
            controller_echoes: self.total(|c| c.echo_requests.load(Relaxed)) - echoes,
            rss,
            rss_per_switch: match (rss, idle_rss) {
                (Some(r), Some(i)) if n > 0 => Some((r as f64 - i as f64) / n as f64),
                _ => None,
            },
            cpu,
        }
    }

    /// Adds a warning for switches whose connection failed, and for errors the controller
    /// sent.
    fn failures(&mut self) {
        let mut reasons: Vec<String> = Vec::new();
        let mut failed = 0;
        let mut errors = 0;
        let mut first_error = None;
        for s in &self.stats {
            errors += s.counts.errors.load(Relaxed);
            if first_error.is_none() {
                first_error = s.first_error.lock().ok().and_then(|e| e.clone());
            }
            let why = s.ended.lock().ok().and_then(|e| e.clone());
            if let Some(why) = why.filter(|w| w != "stopped by the run") {
                failed += 1;
                if reasons.len() < 3 && !reasons.contains(&why) {
                    reasons.push(why);
                }
            }
        }
        if failed > 0 {
            self.warnings.push(format!(
                "{failed} switch connection(s) ended before the run did: {}",
                reasons.join("; ")
            ));
        }
        if errors > 0 {
            self.warnings.push(format!(
                "the controller sent {errors} OpenFlow error(s); the first: {}",
                first_error.unwrap_or_default()
            ));
        }
    }
}

/// Steal (a share of the machine's CPU time) from which a learn run's latency is flagged. On
/// the 2-vCPU test VM at 400,000 packet-ins/s, runs with 3% or more had p99s of 2.2–15 ms,
/// runs with about 1% 0.13–1.8 ms, and runs with none 0.07–0.4 ms in most cases
/// (docs/bench.md, "Fewer system calls, steal").
const STEAL_WARNING: f64 = 0.01;

/// CPU counters at a moment.
struct CpuMark {
    at: StdInstant,
    own: u64,
    controller: Option<u64>,
    machine: Option<process::Ticks>,
}

/// Counter totals at the start and end of a learn run.
struct LearnCounts {
    packet_ins: u64,
    lost: u64,
    stray: u64,
    host_deletes: u64,
    flow_mods: u64,
}

impl LearnCounts {
    fn of(b: &Bench<'_>) -> Self {
        LearnCounts {
            packet_ins: b.total(|c| c.packet_ins.load(Relaxed)),
            lost: b.total(|c| c.lost.load(Relaxed)),
            stray: b.total(|c| c.stray.load(Relaxed)),
            host_deletes: b.total(|c| c.host_deletes.load(Relaxed)),
            flow_mods: b.total(|c| {
                c.flow_adds.load(Relaxed)
                    + c.flow_modifies.load(Relaxed)
                    + c.flow_deletes.load(Relaxed)
            }),
        }
    }
}

/// The learning rate over each twentieth of the hosts, and the last quarter's rate over the
/// first quarter's.
fn rate_steps(p: &LearnProgress, start_ns: u64) -> (Vec<RateStep>, Option<f64>) {
    let times: Vec<u64> = p.marks.iter().map_while(|m| m.get()).collect();
    let complete = times.len() == p.marks.len();
    rates(&times, p.step, start_ns, complete)
}

/// [`rate_steps`] from the marks' stamps `times` (each `step` hosts after the previous;
/// `complete` when every mark was reached).
///
/// A mark is stamped when the flows that reach it are read, so several marks can share a
/// stamp: one read brought all their flows (in a small or bursty run), or switches on other
/// threads stamped them a little out of order. Such marks share the time since the previous
/// later stamp, instead of each taking no time (which made rates of millions of M/s).
fn rates(times: &[u64], step: u64, start_ns: u64, complete: bool) -> (Vec<RateStep>, Option<f64>) {
    // Seconds each mark's stretch took.
    let mut spans = vec![0.0; times.len()];
    let (mut prev, mut i) = (start_ns, 0);
    while i < times.len() {
        let t = times[i].max(prev);
        let n = 1 + times[i + 1..].iter().take_while(|&&u| u <= t).count();
        let each = (t - prev).max(1) as f64 / 1e9 / n as f64;
        spans[i..i + n].fill(each);
        (prev, i) = (t, i + n);
    }
    let steps = spans
        .iter()
        .enumerate()
        .map(|(i, span)| RateStep {
            hosts: (i as u64 + 1) * step,
            hosts_per_s: step as f64 / span,
        })
        .collect();
    let q = spans.len() / 4;
    let slowdown = (q > 0 && complete).then(|| {
        let first: f64 = spans[..q].iter().sum();
        let last: f64 = spans[spans.len() - q..].iter().sum();
        first / last
    });
    (steps, slowdown)
}

fn dur_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn rate_text(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

/// A thread that wakes paced switches every 50 µs or so (tokio's timers tick in
/// milliseconds, far too coarse to spread packet-ins at hundreds of thousands a second).
struct Pacer {
    notify: Arc<Notify>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Pacer {
    fn start() -> Self {
        let notify = Arc::new(Notify::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (n, s) = (notify.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("bench-pacer".into())
            .spawn(move || {
                // Linux lets a sleep run 50 µs late by default (timer slack): the ticks came
                // every ~108 µs, in batches twice the size meant. 1 µs of slack keeps them
                // near 50.
                let _ = nix::sys::prctl::set_timerslack(1_000);
                while !s.load(Relaxed) {
                    std::thread::sleep(Duration::from_micros(50));
                    n.notify_waiters();
                }
            })
            .ok();
        Pacer {
            notify,
            stop,
            thread,
        }
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes a reload configuration over the configuration file, and puts the original back
/// when dropped.
struct Restore {
    path: PathBuf,
    original: String,
}

impl Restore {
    fn new(path: &Path, text: &str) -> Result<Self, BenchError> {
        let original =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(Restore {
            path: path.to_path_buf(),
            original,
        })
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

/// The progress line on standard error: rewritten in place on a terminal, a line a second
/// otherwise.
struct Progress {
    enabled: bool,
    tty: bool,
    last: Option<StdInstant>,
    shown: bool,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress {
            enabled,
            tty: std::io::stderr().is_terminal(),
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, line: String) {
        if !self.enabled {
            return;
        }
        let every = if self.tty {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        if self.last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.last = Some(StdInstant::now());
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[K{line}");
            self.shown = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::rates;

    fn per_s(times: &[u64]) -> (Vec<f64>, Option<f64>) {
        let (steps, slowdown) = rates(times, 100, 0, true);
        (steps.iter().map(|s| s.hosts_per_s).collect(), slowdown)
    }

    /// Every mark's stretch at `want` hosts per second.
    fn assert_all_at(rates: &[f64], want: f64) {
        assert!(rates.iter().all(|&r| (r - want).abs() < 1.0), "{rates:?}");
    }

    #[test]
    fn steady_learning_has_one_rate_and_no_slowdown() {
        let (rates, slowdown) = per_s(&[1_000, 2_000, 3_000, 4_000]);
        assert_all_at(&rates, 1e8);
        assert_eq!(slowdown, Some(1.0));
    }

    #[test]
    fn marks_read_together_share_the_time_since_the_stamp_before() {
        // Marks 2-4 came in one read: 300 hosts in the 3 µs since mark 1.
        let (rates, slowdown) = per_s(&[1_000, 4_000, 4_000, 4_000]);
        assert_all_at(&rates, 1e8);
        assert_eq!(slowdown, Some(1.0));
        // A whole run in one read: its rate, not an infinite one.
        let (rates, _) = per_s(&[2_000, 2_000, 2_000, 2_000]);
        assert_all_at(&rates, 2e8);
    }

    #[test]
    fn marks_stamped_out_of_order_count_as_read_together() {
        // Another thread stamped mark 3 just before mark 2.
        let (rates, slowdown) = per_s(&[1_000, 3_000, 2_990, 4_000]);
        assert_all_at(&rates, 1e8);
        assert_eq!(slowdown, Some(1.0));
    }

    #[test]
    fn a_slower_end_shows_as_slowdown() {
        let (_, slowdown) = per_s(&[1_000, 2_000, 3_000, 5_000]);
        assert_eq!(slowdown, Some(0.5));
        let (_, incomplete) = rates(&[1_000, 2_000], 100, 0, false);
        assert_eq!(incomplete, None);
    }
}
