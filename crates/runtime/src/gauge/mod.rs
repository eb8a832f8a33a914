//! Built-in Gauge: FAUCET's statistics collector, inside the controller.
//!
//! It reads Gauge's `gauge.yaml` ([`GaugeConfig`]) and, for each DP a watcher names, polls
//! the switch over the controller's own connection with OpenFlow multipart requests
//! (PORT_STATS, FLOW, METER), at each watcher's interval after a random first delay, as
//! Gauge does. Port states need no polling: they come from the switch's PORT_STATUS
//! messages, which the controller follows anyway. Results go to Gauge's databases:
//! `prometheus` (Gauge's families, served by [`prometheus::serve`]) and `text` (Gauge's
//! log lines and flow table files, written by [`text::run`] on its own task).
//!
//! Polling never blocks learning: requests are queued to the switch's connection like any
//! other batch, replies are taken out of the connection's batch before the core sees it
//! (the core has no use for them), and everything the controller task does for a reply is
//! to keep it (behind an `Arc`) and queue its text lines.

pub mod config;
mod oxm;
pub mod prometheus;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use sluice_core::{Controller, Notification};
use sluice_ofp::msg::meter::OFPM_ALL;
use sluice_ofp::msg::multipart::{
    FlowStats, FlowStatsRequest, MeterStats, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody, PortStats,
};
use sluice_ofp::msg::port::PortReason;
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::{Encoded, Message, PortNo};
use tokio::sync::mpsc;
use tracing::{info, warn};

pub use config::{Db, GaugeConfig, WatcherType};
use text::TextWrite;

/// What Gauge's labels say of a DP: names from the FAUCET configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GaugeDp {
    /// The DP's name.
    pub name: String,
    /// Each configured port's name and description, by number.
    pub ports: BTreeMap<u32, (String, String)>,
    /// Each table's FAUCET name, by number.
    pub tables: BTreeMap<u8, &'static str>,
}

impl GaugeDp {
    /// The names of a configured DP.
    pub fn of(dp: &sluice_config::Dp) -> GaugeDp {
        let layout = sluice_core::pipeline::Layout::for_dp(dp);
        GaugeDp {
            name: dp.name.clone(),
            ports: dp
                .ports
                .values()
                .map(|p| (p.number.0, (p.name.clone(), p.description.clone())))
                .collect(),
            tables: layout.tables().map(|(t, id)| (id, t.name())).collect(),
        }
    }

    /// Gauge's `port` and `port_description` for a port number.
    pub fn port_labels(&self, no: u32) -> (String, String) {
        self.ports.get(&no).cloned().unwrap_or_else(|| {
            let name = PortNo(no)
                .reserved_name()
                .map_or_else(|| no.to_string(), str::to_string);
            (name.clone(), name)
        })
    }
}

/// The latest statistics of every watched DP, as published for readers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GaugeStats {
    /// The names of every configured DP, by datapath id.
    pub dps: BTreeMap<u64, GaugeDp>,
    /// DPs a watcher names, by datapath id, with the kinds watched into a Prometheus db.
    pub watched: BTreeMap<u64, BTreeSet<WatcherType>>,
    /// The last PORT_STATS reply of each DP.
    pub port_stats: BTreeMap<u64, Arc<Vec<PortStats>>>,
    /// The last FLOW reply of each DP.
    pub flows: BTreeMap<u64, Arc<Vec<FlowStats>>>,
    /// The last METER reply of each DP.
    pub meters: BTreeMap<u64, Arc<Vec<MeterStats>>>,
    /// The reason of each port's last status change (0 added, 1 deleted, 2 modified;
    /// Gauge's `of_port_reason`), by (DP, port).
    pub port_reason: BTreeMap<(u64, u32), u8>,
}

/// One (DP, kind) being polled.
#[derive(Debug)]
struct Poll {
    interval: Duration,
    next: StdInstant,
    pending: bool,
}

/// Where one (DP, kind)'s results go.
#[derive(Debug, Default, Clone)]
struct Sinks {
    interval: Option<Duration>,
    prometheus: bool,
    files: Vec<PathBufOr>,
}

/// A text db's destination for one kind: a file for lines, or a directory for flow dumps.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathBufOr {
    File(std::path::PathBuf),
    Dir(std::path::PathBuf, bool),
}

/// A Gauge: its watchers, polls and latest statistics (run by the controller task, see
/// [`crate::Server::with_gauge`]).
#[derive(Debug)]
pub struct Gauge {
    config: GaugeConfig,
    polls: BTreeMap<(u64, WatcherType), Poll>,
    stats: Arc<GaugeStats>,
    text: Option<mpsc::Sender<text::Job>>,
    /// A simple generator for the first poll's random delay.
    seed: u64,
    /// The FAUCET configuration naming the DPs when the controller has none (a Gauge on a
    /// connection of its own, `sluice gauge`).
    faucet: Option<Arc<sluice_config::Config>>,
    /// The configuration files the published names were taken from.
    named_from: Vec<sluice_config::FileDigest>,
    /// Switches that connected and are to be told not to send packet-ins here (only
    /// without FAUCET's logic: Gauge's `OFPSetAsync`).
    quiet: Vec<u64>,
}

impl Gauge {
    /// A Gauge for `config`, writing its text dbs through `text` (if any watcher has one).
    /// Its DPs are those of the controller's configuration.
    pub fn new(config: GaugeConfig, text: Option<mpsc::Sender<text::Job>>) -> Gauge {
        Gauge {
            config,
            polls: BTreeMap::new(),
            stats: Arc::new(GaugeStats::default()),
            text,
            seed: 0x9e37_79b9_7f4a_7c15,
            faucet: None,
            named_from: Vec::new(),
            quiet: Vec::new(),
        }
    }

    /// A Gauge on a connection of its own: DPs come from `faucet` (the controller follows
    /// the switches but has no FAUCET configuration and programs nothing), and each switch
    /// is told not to send packet-ins to this connection, as Gauge does.
    pub fn standalone(mut self, faucet: sluice_config::Config) -> Gauge {
        self.faucet = Some(Arc::new(faucet));
        self
    }

    /// The FAUCET configuration that names the DPs.
    fn faucet<'a>(&'a self, core: &'a Controller) -> Option<&'a sluice_config::Config> {
        self.faucet.as_deref().or_else(|| core.config())
    }

    /// The latest statistics.
    pub(crate) fn stats(&self) -> Arc<GaugeStats> {
        self.stats.clone()
    }

    /// Each watched (DP, kind) and where its results go, for the DPs configured now.
    fn sinks(&self, core: &Controller) -> BTreeMap<(u64, WatcherType), Sinks> {
        let mut out: BTreeMap<(u64, WatcherType), Sinks> = BTreeMap::new();
        let Some(config) = self.faucet(core) else {
            return out;
        };
        for w in &self.config.watchers {
            let dps: Vec<u64> = match &w.dps {
                None => config.dps.keys().map(|d| d.0).collect(),
                Some(names) => names
                    .iter()
                    .filter_map(|n| config.dp_by_name(n).map(|d| d.dp_id.0))
                    .collect(),
            };
            for dp_id in dps {
                let s = out.entry((dp_id, w.kind)).or_default();
                // As in Gauge, the first watcher of a kind for a DP sets the pace.
                s.interval.get_or_insert(w.interval);
                for db in &w.dbs {
                    match db {
                        Db::Prometheus { .. } => s.prometheus = true,
                        Db::Text {
                            file,
                            path,
                            compress,
                        } => {
                            let dest = if w.kind == WatcherType::FlowTable {
                                path.clone().map(|p| PathBufOr::Dir(p, *compress))
                            } else {
                                file.clone().map(PathBufOr::File)
                            };
                            if let Some(d) = dest.filter(|d| !s.files.contains(d)) {
                                s.files.push(d);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Names of watched DPs that are not configured (logged once at start, as Gauge does).
    pub(crate) fn unknown_dps(&self, core: &Controller) -> Vec<String> {
        let Some(config) = self.faucet(core) else {
            return Vec::new();
        };
        self.config
            .watchers
            .iter()
            .flat_map(|w| w.dps.iter().flatten())
            .filter(|n| config.dp_by_name(n).is_none())
            .cloned()
            .collect()
    }

    fn jitter(&mut self, interval: Duration) -> Duration {
        // xorshift: only spreads the first polls of many DPs over their interval.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let secs = interval.as_secs().max(1);
        Duration::from_secs(1 + self.seed % secs)
    }

    /// A second passed: the requests now due, per DP.
    pub(crate) fn tick(&mut self, now: StdInstant, core: &Controller) -> Vec<(u64, Encoded)> {
        let sinks = self.sinks(core);
        let watched: BTreeMap<u64, BTreeSet<WatcherType>> =
            sinks
                .iter()
                .fold(BTreeMap::new(), |mut m, ((dp, kind), s)| {
                    let kinds = m.entry(*dp).or_insert_with(BTreeSet::new);
                    if s.prometheus {
                        kinds.insert(*kind);
                    }
                    m
                });
        if watched != self.stats.watched {
            Arc::make_mut(&mut self.stats).watched = watched;
        }
        if let Some(config) = self.faucet(core)
            && config.files != self.named_from
        {
            let dps = config
                .dps
                .values()
                .map(|d| (d.dp_id.0, GaugeDp::of(d)))
                .collect();
            self.named_from = config.files.clone();
            Arc::make_mut(&mut self.stats).dps = dps;
        }
        // Stop polling what is no longer connected or watched.
        self.polls
            .retain(|key, _| sinks.contains_key(key) && core.datapath(key.0).is_some());
        let mut out: BTreeMap<u64, Encoded> = BTreeMap::new();
        for dp_id in std::mem::take(&mut self.quiet) {
            // Gauge's OFPSetAsync: no packet-ins, every port status, no flow removals.
            let quiet = Message::SetAsync(AsyncConfig {
                packet_in_mask: [0, 0],
                port_status_mask: [0b111, 0b111],
                flow_removed_mask: [0, 0],
            });
            let _ = out.entry(dp_id).or_default().push(&quiet);
        }
        for (&(dp_id, kind), s) in &sinks {
            let Some(interval) = s.interval else { continue };
            if kind == WatcherType::PortState || core.datapath(dp_id).is_none() {
                continue;
            }
            if !self.polls.contains_key(&(dp_id, kind)) {
                let first = now + self.jitter(interval);
                self.polls.insert(
                    (dp_id, kind),
                    Poll {
                        interval,
                        next: first,
                        pending: false,
                    },
                );
            }
            let Some(poll) = self.polls.get_mut(&(dp_id, kind)) else {
                continue;
            };
            if now < poll.next {
                continue;
            }
            if poll.pending {
                info!(
                    dp_id = format_args!("{dp_id:#x}"),
                    "gauge: no response to the {kind} request"
                );
            }
            poll.pending = true;
            poll.next = now + poll.interval;
            let body = match kind {
                WatcherType::PortStats => MultipartRequestBody::PortStats(PortNo::ANY),
                WatcherType::FlowTable => MultipartRequestBody::Flow(FlowStatsRequest::default()),
                WatcherType::MeterStats => MultipartRequestBody::Meter(OFPM_ALL),
                WatcherType::PortState => continue,
            };
            let msg = Message::MultipartRequest(MultipartRequest::new(body));
            // A request this small always encodes.
            let _ = out.entry(dp_id).or_default().push(&msg);
        }
        out.into_iter().collect()
    }

    /// Takes the statistics replies out of a batch from `dp_id`'s switch (a flow dump is
    /// left in place too: the core reads the flow dumps it asked for itself).
    pub(crate) fn replies(
        &mut self,
        core: &Controller,
        dp_id: u64,
        msgs: &mut Vec<(u32, Message)>,
        wall: f64,
    ) {
        if self.config.watchers.is_empty() {
            return;
        }
        let flow_wanted = self
            .polls
            .get(&(dp_id, WatcherType::FlowTable))
            .is_some_and(|p| p.pending);
        let mut taken = Vec::new();
        msgs.retain(|(_, m)| match m {
            Message::MultipartReply(r) => match &r.body {
                MultipartReplyBody::PortStats(_) | MultipartReplyBody::Meter(_) => {
                    taken.push(r.body.clone());
                    false
                }
                MultipartReplyBody::Flow(_) if flow_wanted => {
                    taken.push(r.body.clone());
                    true
                }
                _ => true,
            },
            _ => true,
        });
        if taken.is_empty() {
            return;
        }
        let sinks = self.sinks(core);
        for body in taken {
            let (kind, write) = match body {
                MultipartReplyBody::PortStats(stats) => {
                    let stats = Arc::new(stats);
                    Arc::make_mut(&mut self.stats)
                        .port_stats
                        .insert(dp_id, stats.clone());
                    (
                        WatcherType::PortStats,
                        TextWrite::PortStats { dp_id, stats },
                    )
                }
                MultipartReplyBody::Meter(stats) => {
                    let stats = Arc::new(stats);
                    Arc::make_mut(&mut self.stats)
                        .meters
                        .insert(dp_id, stats.clone());
                    (
                        WatcherType::MeterStats,
                        TextWrite::MeterStats { dp_id, stats },
                    )
                }
                MultipartReplyBody::Flow(flows) => {
                    let flows = Arc::new(flows);
                    Arc::make_mut(&mut self.stats)
                        .flows
                        .insert(dp_id, flows.clone());
                    (WatcherType::FlowTable, TextWrite::Flows { dp_id, flows })
                }
                _ => continue,
            };
            if let Some(p) = self.polls.get_mut(&(dp_id, kind)) {
                p.pending = false;
            }
            if let Some(s) = sinks.get(&(dp_id, kind)) {
                self.write(core, s, write, wall);
            }
        }
    }

    /// Follows port changes (Gauge's `port_state` watcher).
    pub(crate) fn notification(&mut self, core: &Controller, n: &Notification, wall: f64) {
        let (dp_id, events): (u64, Vec<(u32, PortReason, bool)>) = match n {
            Notification::PortChange {
                dp_id,
                port_no,
                reason,
                up,
                ..
            } => (*dp_id, vec![(port_no.0, *reason, *up)]),
            // On connect Gauge's port_state watcher sees every port as just added.
            Notification::DpConnected { dp_id, ports, .. } => (
                *dp_id,
                ports
                    .iter()
                    .filter(|p| p.is_standard())
                    .map(|p| (p.0, PortReason::Add, true))
                    .collect(),
            ),
            _ => return,
        };
        if self.faucet.is_some() && matches!(n, Notification::DpConnected { .. }) {
            self.quiet.push(dp_id);
        }
        let sinks = self.sinks(core);
        let Some(s) = sinks.get(&(dp_id, WatcherType::PortState)) else {
            return;
        };
        let stats = Arc::make_mut(&mut self.stats);
        for (port, reason, _) in &events {
            stats.port_reason.insert((dp_id, *port), u8::from(*reason));
        }
        let s = s.clone();
        self.write(core, &s, TextWrite::PortState { dp_id, events }, wall);
    }

    fn write(&self, core: &Controller, s: &Sinks, write: TextWrite, wall: f64) {
        let Some(tx) = &self.text else { return };
        if s.files.is_empty() {
            return;
        }
        let names = text::Names::of(self.faucet(core), write.dp_id());
        let job = text::Job {
            write,
            names,
            dests: s
                .files
                .iter()
                .map(|d| match d {
                    PathBufOr::File(f) => text::Dest::File(f.clone()),
                    PathBufOr::Dir(p, gz) => text::Dest::Dir(p.clone(), *gz),
                })
                .collect(),
            wall,
        };
        if tx.try_send(job).is_err() {
            warn!("gauge: the text writer is behind; a record was dropped");
        }
    }
}
