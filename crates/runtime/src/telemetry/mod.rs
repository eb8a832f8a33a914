//! Telemetry: FAUCET's Prometheus metrics, its event stream, and the snapshot the JSON API
//! and `sluice show` read.
//!
//! ```text
//!  controller task                                   other tasks (never touch the controller)
//!  ───────────────                                   ───────────────────────────────────────
//!  Telemetry::observe(outputs)  counters, event ids
//!        │                      EventRecord ──► EventQueue ──► event socket writer
//!  Telemetry::publish (asked) ─ Arc<Published> ──► watch ──► Prometheus scrape (renders text)
//!                                                          └► JSON API, `sluice show`
//! ```
//!
//! The controller task only bumps counters and, when a reader finds the published value over
//! a second old ([`TelemetryHandle::latest`]), takes a [`sluice_core::telemetry::Snapshot`]
//! (copying host tables and port states: well under a millisecond for 10,000 hosts) and
//! publishes it behind an `Arc`. A scrape renders the latest published value on a blocking
//! thread, so however large the text, packet-in handling does not pause for it. Values are
//! therefore up to a second old; FAUCET refreshes its host metrics every five seconds.

pub mod events;
mod process;
pub mod prometheus;

pub use process::ProcessStats;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sluice_core::telemetry::{Counters, Snapshot, snapshot};
use sluice_core::{Controller, Instant, Notification, Output, Restart};
use sluice_ofp::Encoded;
use sluice_ofp::msg::multipart::Desc;
use tokio::sync::{Notify, watch};

use bytes::Bytes;
use events::{EventBody, EventQueue, EventRecord, LearnFrame, StackLink, StackTopo};

use crate::gauge::{Gauge, GaugeStats};

/// What the controller task publishes for readers, when they ask ([`TelemetryHandle`]).
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The core's state and counters.
    pub snapshot: Snapshot,
    /// Each connected switch's description (DESC reply), by datapath id. Shared with the
    /// controller task's own map: a DESC is over 1 KB, and this is published up to once a
    /// second.
    pub desc: BTreeMap<u64, Arc<Desc>>,
    /// The id of the last event (FAUCET's `faucet_event_id`).
    pub event_id: u64,
    /// Wall-clock seconds since the Unix epoch when this was published (its age decides
    /// whether a reader gets a new one).
    pub taken: f64,
    /// Wall-clock seconds since the Unix epoch when the controller started (the `_created`
    /// time of counters that exist from the start).
    pub started: f64,
    /// When each DP's series were created (it entered the configuration or connected).
    pub created: BTreeMap<u64, f64>,
    /// The echo keepalive settings, for FAUCET's `ryu_config` metric: seconds between echo
    /// requests, and unanswered requests before a switch is declared dead.
    pub echo: (f64, f64),
    /// The built-in Gauge's latest statistics (empty without a Gauge configuration).
    pub gauge: Arc<GaugeStats>,
}

/// A reader's view of what the controller publishes.
///
/// The controller takes a snapshot when a reader wants one, not on a timer: a snapshot
/// copies every host and port, which at 100,000 hosts stops the controller for a
/// millisecond or more, so a controller nobody watches should not pay for it every second.
/// A snapshot younger than [`FRESH`] is served as it is, so however many readers there are,
/// the controller takes at most about one a second.
#[derive(Debug, Clone)]
pub struct TelemetryHandle {
    rx: watch::Receiver<Arc<Published>>,
    /// Asks the controller task for a new snapshot (`None` for a fixed handle).
    want: Option<Arc<Notify>>,
}

/// How old a published snapshot may be and still be served.
pub const FRESH: Duration = Duration::from_secs(1);

/// How long a reader waits for a new snapshot before serving the old one (the controller
/// may be busy, or stopping).
const WAIT: Duration = Duration::from_secs(2);

impl TelemetryHandle {
    /// A handle that always reads `published` (for tests and benchmarks of readers).
    pub fn fixed(published: Published) -> TelemetryHandle {
        let (tx, rx) = watch::channel(Arc::new(published));
        // The value stays readable after the sender is gone.
        drop(tx);
        TelemetryHandle { rx, want: None }
    }

    /// The published state, no older than [`FRESH`]: an older one is replaced first (or
    /// served as it is if the controller does not answer within two seconds).
    pub async fn latest(&self) -> Arc<Published> {
        let current = self.rx.borrow().clone();
        let Some(want) = &self.want else {
            return current;
        };
        // Wall-clock age: a clock step either way makes the snapshot stale, not fresh.
        if (wall_now() - current.taken).abs() < FRESH.as_secs_f64() {
            return current;
        }
        let mut rx = self.rx.clone();
        rx.mark_unchanged();
        want.notify_one();
        let _ = tokio::time::timeout(WAIT, rx.changed()).await;
        rx.borrow().clone()
    }
}

/// Wall-clock seconds since the Unix epoch.
pub(crate) fn wall_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The controller task's telemetry state.
#[derive(Debug)]
pub(crate) struct Telemetry {
    counters: Counters,
    desc: BTreeMap<u64, Arc<Desc>>,
    created: BTreeMap<u64, f64>,
    started: f64,
    echo: (f64, f64),
    event_id: u64,
    events: Option<Arc<EventQueue>>,
    heartbeat: Option<(Duration, std::time::Instant)>,
    /// The frames of the packet-ins being handled, by (DP, source MAC), kept only while
    /// an event socket is open: L2_LEARN reports what the learned frame carried.
    frames: std::collections::HashMap<(u64, [u8; 6]), Bytes>,
    /// The configured DPs' names, for events.
    names: std::collections::HashMap<u64, Arc<str>>,
    gauge: Option<Gauge>,
    tx: watch::Sender<Arc<Published>>,
}

impl Telemetry {
    /// Telemetry publishing to `tx`; `echo` is the keepalive interval and the silence after
    /// which a switch is dead.
    pub(crate) fn new(tx: watch::Sender<Arc<Published>>, echo: (Duration, Duration)) -> Self {
        let interval = echo.0.as_secs_f64();
        let unanswered = if interval > 0.0 {
            (echo.1.as_secs_f64() / interval).floor()
        } else {
            0.0
        };
        Telemetry {
            counters: Counters::new(),
            desc: BTreeMap::new(),
            created: BTreeMap::new(),
            started: wall_now(),
            echo: (interval, unanswered),
            event_id: 0,
            events: None,
            heartbeat: None,
            frames: std::collections::HashMap::new(),
            names: std::collections::HashMap::new(),
            gauge: None,
            tx,
        }
    }

    /// Sends events to `queue` as well as counting them.
    pub(crate) fn set_events(&mut self, queue: Arc<EventQueue>, heartbeat: Option<Duration>) {
        self.events = Some(queue);
        self.heartbeat = heartbeat
            .filter(|d| !d.is_zero())
            .map(|d| (d, std::time::Instant::now()));
    }

    /// Runs the built-in Gauge.
    pub(crate) fn set_gauge(&mut self, gauge: Gauge) {
        self.gauge = Some(gauge);
    }

    /// Takes the replies to the Gauge's statistics requests out of a batch from a switch.
    pub(crate) fn stats_replies(&mut self, core: &Controller, event: &mut sluice_core::Event) {
        if let (Some(g), sluice_core::Event::Messages { dp_id, msgs }) = (&mut self.gauge, event) {
            g.replies(core, *dp_id, msgs, wall_now());
        }
    }

    /// The controller started: FAUCET announces each configured DP as new, then the
    /// configuration as loaded.
    pub(crate) fn started(&mut self, core: &Controller) {
        if let Some(g) = &self.gauge {
            for name in g.unknown_dps(core) {
                tracing::error!("gauge: DP {name} in Gauge but not configured in FAUCET");
            }
        }
        self.refresh_names(core);
        let Some(config) = core.config() else { return };
        for dp in config.dps_in_config_order() {
            self.event(dp.dp_id.0, || EventBody::ConfigRestart {
                restart_type: Restart::New,
            });
        }
        self.event(0, || loaded(core, None));
    }

    /// A switch completed its handshake and described itself.
    pub(crate) fn switch_up(&mut self, dp_id: u64, desc: Option<&Desc>) {
        match desc {
            Some(d) => self.desc.insert(dp_id, Arc::new(d.clone())),
            None => self.desc.remove(&dp_id),
        };
    }

    /// A batch of `n` packet-ins from `dp_id` took `took` to handle.
    pub(crate) fn packet_ins_took(&mut self, dp_id: u64, took: Duration, n: u64) {
        self.counters.packet_ins_took(dp_id, took.as_secs_f64(), n);
    }

    /// Keeps the frames of a batch of packet-ins for the L2_LEARN events their handling
    /// may cause (only when there is an event socket: otherwise nothing is kept).
    pub(crate) fn learning_frames(&mut self, event: &sluice_core::Event) {
        if self.events.is_none() {
            return;
        }
        if let sluice_core::Event::Messages { dp_id, msgs } = event {
            for (_, m) in msgs {
                if let sluice_ofp::Message::PacketIn(pi) = m
                    && let Some(src) = pi.data.get(6..12).and_then(|s| <[u8; 6]>::try_from(s).ok())
                {
                    self.frames.insert((*dp_id, src), pi.data.clone());
                }
            }
        }
    }

    /// Counts a batch of the core's outputs and turns its notifications into events. `core`
    /// is the state after the batch.
    pub(crate) fn observe(&mut self, core: &Controller, outputs: &[Output]) {
        self.counters.observe(outputs);
        for out in outputs {
            if let Output::Notify(n) = out {
                self.notification(core, n);
                if let Some(g) = &mut self.gauge {
                    g.notification(core, n, wall_now());
                }
            }
        }
        self.frames.clear();
    }

    /// Takes the configured DPs' names from the configuration in force.
    fn refresh_names(&mut self, core: &Controller) {
        self.names = core
            .config()
            .map(|c| {
                c.dps
                    .values()
                    .map(|d| (d.dp_id.0, Arc::from(d.name.as_str())))
                    .collect()
            })
            .unwrap_or_default();
    }

    fn notification(&mut self, core: &Controller, n: &Notification) {
        match n {
            Notification::DpConnected { dp_id, .. } if self.names.contains_key(dp_id) => {
                self.created.entry(*dp_id).or_insert_with(wall_now);
                self.event(*dp_id, || EventBody::DpChange {
                    reason: "cold_start",
                });
                self.event(*dp_id, || {
                    EventBody::PortsStatus(ports_status(core, *dp_id))
                });
            }
            Notification::DpDisconnected { dp_id, .. } => {
                if self.names.contains_key(dp_id) {
                    self.event(*dp_id, || EventBody::DpChange {
                        reason: "disconnect",
                    });
                }
                self.desc.remove(dp_id);
            }
            Notification::PortChange {
                dp_id,
                port_no,
                reason,
                up,
                state,
                ..
            } if self.names.contains_key(dp_id) => {
                self.event(*dp_id, || EventBody::PortChange {
                    port_no: port_no.0,
                    reason: reason.to_string(),
                    state: *state,
                    status: *up,
                });
            }
            // Hosts are only learned and forgotten by configured DPs. Written out rather
            // than through `event`, whose closure could not borrow the frames.
            Notification::HostLearned {
                dp_id,
                vid,
                mac,
                port,
                moved_from,
            } => {
                self.event_id += 1;
                if let Some(q) = &self.events {
                    let frame = self
                        .frames
                        .get(&(*dp_id, mac.0))
                        .and_then(|data| LearnFrame::parse(data));
                    let body = EventBody::L2Learn {
                        port_no: *port,
                        previous_port_no: *moved_from,
                        vid: *vid,
                        eth_src: *mac,
                        frame,
                        stack_descr: stack_descr(core, *dp_id, *port),
                    };
                    q.push(record(self.event_id, *dp_id, &self.names, body));
                }
            }
            Notification::HostExpired {
                dp_id,
                vid,
                mac,
                port,
            } => {
                self.event(*dp_id, || EventBody::L2Expire {
                    port_no: *port,
                    vid: *vid,
                    eth_src: *mac,
                });
            }
            // FAUCET sends no event for a DP that left the configuration.
            Notification::DpReconfigured { dp_id, restart }
                if *restart != Restart::Removed && self.names.contains_key(dp_id) =>
            {
                self.created.entry(*dp_id).or_insert_with(wall_now);
                self.event(*dp_id, || EventBody::ConfigRestart {
                    restart_type: *restart,
                });
            }
            Notification::ConfigApplied { .. } => {
                self.refresh_names(core);
                self.event(0, || loaded(core, None));
            }
            Notification::ConfigRejected { errors } => {
                self.event(0, || loaded(core, Some(errors)));
            }
            Notification::StackPortState { dp_id, port, state } => {
                self.event(*dp_id, || EventBody::StackState {
                    port: *port,
                    state: *state as u8,
                });
            }
            // FAUCET sends it from the DP whose port changed; the root stands in for it.
            Notification::StackTopology {
                root,
                root_ports,
                links_up,
                ..
            } => {
                let running = |id| {
                    core.valve(id)
                        .is_some_and(sluice_core::valve::Valve::is_running)
                };
                self.event(*root, || {
                    stack_topo(core.config(), running, *root, root_ports, links_up)
                });
            }
            _ => {}
        }
    }

    /// Gives the next event id to an event about `dp_id` (0 for the whole configuration),
    /// and queues it for the event socket if there is one; `body` is only made then.
    fn event(&mut self, dp_id: u64, body: impl FnOnce() -> EventBody) {
        self.event_id += 1;
        if let Some(q) = &self.events {
            q.push(record(self.event_id, dp_id, &self.names, body()));
        }
    }

    /// A second passed: sends the heartbeat event if one is due, and returns the Gauge's
    /// statistics requests now due, per DP.
    pub(crate) fn tick(&mut self, core: &Controller) -> Vec<(u64, Encoded)> {
        if let Some((every, last)) = &mut self.heartbeat
            && last.elapsed() >= *every
        {
            *last = std::time::Instant::now();
            self.event(0, || EventBody::Heartbeat);
        }
        match &mut self.gauge {
            Some(g) => g.tick(std::time::Instant::now(), core),
            None => Vec::new(),
        }
    }

    /// Publishes the current state for readers.
    pub(crate) fn publish(&mut self, now: Instant, core: &Controller) {
        let snapshot = snapshot(now, core, &self.counters);
        for dp in &snapshot.dps {
            self.created.entry(dp.dp_id).or_insert(self.started);
        }
        let published = Published {
            snapshot,
            desc: self.desc.clone(),
            event_id: self.event_id,
            taken: wall_now(),
            started: self.started,
            created: self.created.clone(),
            echo: self.echo,
            gauge: self.gauge.as_ref().map(Gauge::stats).unwrap_or_default(),
        };
        self.tx.send_replace(Arc::new(published));
    }
}

/// The packet-ins in an event from a switch (timed for `faucet_packet_in_secs`).
pub(crate) fn packet_ins(event: &sluice_core::Event) -> u64 {
    match event {
        sluice_core::Event::Messages { msgs, .. } => msgs
            .iter()
            .filter(|(_, m)| matches!(m, sluice_ofp::Message::PacketIn(_)))
            .count() as u64,
        _ => 0,
    }
}

/// A reader of what `tx`'s telemetry publishes, asking for new snapshots through `want`.
pub(crate) fn handle(rx: watch::Receiver<Arc<Published>>, want: Arc<Notify>) -> TelemetryHandle {
    TelemetryHandle {
        rx,
        want: Some(want),
    }
}

/// An event as queued: its id, time and DP name (`"0"` for the whole configuration).
fn record(
    id: u64,
    dp_id: u64,
    names: &std::collections::HashMap<u64, Arc<str>>,
    body: EventBody,
) -> EventRecord {
    EventRecord {
        id,
        time: wall_now(),
        dp_id,
        dp_name: names
            .get(&dp_id)
            .cloned()
            .unwrap_or_else(|| Arc::from(dp_id.to_string())),
        body,
    }
}

/// Whether each configured port of a DP is up, as FAUCET's PORTS_STATUS reports it.
fn ports_status(core: &Controller, dp_id: u64) -> Vec<(u32, bool)> {
    let Some(dp) = core
        .config()
        .and_then(|c| c.dps.get(&sluice_config::DpId(dp_id)))
    else {
        return Vec::new();
    };
    let sw = core.datapath(dp_id);
    dp.ports
        .values()
        .map(|p| {
            let up = sw
                .and_then(|s| s.ports.get(&sluice_ofp::PortNo(p.number.0)))
                .is_some_and(sluice_ofp::Port::is_up);
            (p.number.0, up || !p.opstatus_reconf)
        })
        .collect()
}

/// FAUCET's `stack_descr` of a port: `remote DP <name> Port <number>` for a stack port, the
/// far end's.
fn stack_descr(core: &Controller, dp_id: u64, port: u32) -> Option<String> {
    let config = core.config()?;
    let port = config
        .dps
        .get(&sluice_config::DpId(dp_id))?
        .ports
        .get(&sluice_config::PortNo(port))?;
    let peer = port.stack?;
    let name = &config.dps.get(&peer.dp)?.name;
    Some(format!("remote DP {name} Port {}", peer.port.0))
}

/// FAUCET's STACK_TOPO_CHANGE: the stack's DPs and the links up between them, by name, and
/// each running stacked DP's port towards the root.
fn stack_topo(
    config: Option<&sluice_config::Config>,
    running: impl Fn(u64) -> bool,
    root: u64,
    root_ports: &[(u64, Option<u32>)],
    links_up: &[(u64, u32, u64, u32)],
) -> EventBody {
    let dp = |id: u64| config.and_then(|c| c.dps.get(&sluice_config::DpId(id)));
    let name = |id: u64| dp(id).map_or_else(|| id.to_string(), |d| d.name.clone());
    let end = |id: u64, port: u32| {
        let port_name = dp(id)
            .and_then(|d| d.ports.get(&sluice_config::PortNo(port)))
            .map_or_else(|| port.to_string(), |p| p.name.clone());
        (name(id), port, port_name)
    };
    let mut links: Vec<StackLink> = links_up
        .iter()
        .map(|&(a, a_port, z, z_port)| {
            let (a, z) = (end(a, a_port), end(z, z_port));
            // FAUCET's order for a link's ends: by DP name, then port name.
            if (&z.0, &z.2) < (&a.0, &a.2) {
                StackLink { a: z, z: a }
            } else {
                StackLink { a, z }
            }
        })
        .collect();
    links.sort_by(|x, y| (&x.a.0, &x.a.2, &x.z.0, &x.z.2).cmp(&(&y.a.0, &y.a.2, &y.z.0, &y.z.2)));

    // A DP's root hop port counts only if following the hops reaches the root: one in a
    // part of the stack cut off from the root has none in FAUCET.
    let hops: BTreeMap<u64, Option<u32>> = root_ports.iter().copied().collect();
    let peer: BTreeMap<(u64, u32), u64> = links_up
        .iter()
        .flat_map(|&(a, a_port, z, z_port)| [((a, a_port), z), ((z, z_port), a)])
        .collect();
    let reaches_root = |mut d: u64| {
        for _ in 0..=hops.len() {
            if d == root {
                return true;
            }
            match hops
                .get(&d)
                .copied()
                .flatten()
                .and_then(|p| peer.get(&(d, p)))
            {
                Some(next) => d = *next,
                None => return false,
            }
        }
        false
    };
    let dps = root_ports
        .iter()
        .filter(|(id, _)| running(*id))
        .map(|&(id, port)| (name(id), port.filter(|_| reaches_root(id))))
        .collect();
    EventBody::StackTopoChange(Box::new(StackTopo {
        root: name(root),
        nodes: root_ports.iter().map(|(id, _)| name(*id)).collect(),
        links,
        dps,
    }))
}

/// FAUCET's config-wide CONFIG_CHANGE: the files in force and their hashes, or the error.
fn loaded(core: &Controller, error: Option<&String>) -> EventBody {
    let files: Vec<(String, Option<String>)> = core
        .config()
        .map(|c| {
            c.files
                .iter()
                .map(|f| (f.path.display().to_string(), f.sha256_hex()))
                .collect()
        })
        .unwrap_or_default();
    // Like FAUCET, only files that were read (a missing optional include has no hash).
    let present = files.iter().filter(|(_, h)| h.is_some());
    match error {
        None => EventBody::ConfigLoaded {
            success: true,
            config_files: present
                .clone()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>()
                .join(","),
            hashes: present
                .filter_map(|(_, h)| h.as_deref())
                .collect::<Vec<_>>()
                .join(","),
            error: String::new(),
        },
        Some(e) => EventBody::ConfigLoaded {
            success: false,
            config_files: files.first().map(|(f, _)| f.clone()).unwrap_or_default(),
            hashes: String::new(),
            error: e.clone(),
        },
    }
}

/// Serves FAUCET's metrics on `listener` until the task is dropped. As with FAUCET, any
/// path answers with every metric. Each scrape renders the latest published state on a
/// blocking thread, away from the controller (which takes a snapshot for it if the last is
/// over a second old).
pub async fn serve_metrics(listener: tokio::net::TcpListener, telemetry: TelemetryHandle) {
    crate::http::serve(listener, move |_req| {
        let telemetry = telemetry.clone();
        async move {
            let published = telemetry.latest().await;
            let rendered = tokio::task::spawn_blocking(move || {
                let process = process::ProcessStats::read();
                let mut text = String::with_capacity(64 * 1024);
                prometheus::render(&published, Some(&process), &mut text);
                text
            })
            .await;
            match rendered {
                Ok(text) => crate::http::Response::ok(prometheus::CONTENT_TYPE, text),
                Err(_) => crate::http::Response::error(503, "metrics could not be rendered"),
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sluice_wire::MacAddr;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_does_not_read_never_holds_up_the_controller() {
        let path = std::env::temp_dir().join(format!("sluice-events-{}.sock", std::process::id()));
        let listener = events::bind(&path).unwrap();
        let queue = EventQueue::new(1000);
        tokio::spawn(events::serve(listener, queue.clone()));
        // Connected, and never reads: the socket's buffer fills, then the writer waits.
        let _client = tokio::net::UnixStream::connect(&path).await.unwrap();
        let (tx, _rx) = watch::channel(Arc::default());
        let mut t = Telemetry::new(tx, (Duration::from_secs(5), Duration::from_secs(15)));
        t.set_events(queue.clone(), None);
        let core = Controller::new();
        let learned: Vec<Output> = (0..200_000u32)
            .map(|i| {
                let b = i.to_be_bytes();
                Output::Notify(Notification::HostLearned {
                    dp_id: 1,
                    vid: 100,
                    mac: MacAddr([0x0e, 0, b[0], b[1], b[2], b[3]]),
                    port: 1,
                    moved_from: None,
                })
            })
            .collect();
        let start = std::time::Instant::now();
        for batch in learned.chunks(1000) {
            t.observe(&core, batch);
            tokio::task::yield_now().await;
        }
        let took = start.elapsed();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(t.event_id, 200_000);
        assert!(
            queue.dropped() > 0,
            "the ring overflowed and dropped the oldest"
        );
        // Queuing 200,000 events is a matter of milliseconds whatever the reader does.
        assert!(took < Duration::from_secs(2), "{took:?}");
        let _ = std::fs::remove_file(&path);
    }

    const STACK_YAML: &str = "
vlans: {v: {vid: 100}}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      10: {name: to-sw2, stack: {dp: sw2, port: 10}}
  sw2:
    dp_id: 2
    interfaces:
      10: {name: to-sw1, stack: {dp: sw1, port: 10}}
      11: {stack: {dp: sw3, port: 11}}
  sw3:
    dp_id: 3
    interfaces:
      11: {stack: {dp: sw2, port: 11}}
      12: {stack: {dp: sw4, port: 12}}
  sw4:
    dp_id: 4
    interfaces:
      12: {stack: {dp: sw3, port: 12}}
";

    /// The stack of `STACK_YAML` with the link sw2-sw3 down: sw3 and sw4 are cut off from
    /// the root, sw3 their part's root.
    #[allow(clippy::type_complexity)]
    fn split_stack() -> (Vec<(u64, Option<u32>)>, Vec<(u64, u32, u64, u32)>) {
        (
            vec![(1, None), (2, Some(10)), (3, None), (4, Some(12))],
            vec![(1, 10, 2, 10), (3, 12, 4, 12)],
        )
    }

    /// A controller on `STACK_YAML` and telemetry with an event queue, the start-up events
    /// taken.
    async fn stack_telemetry() -> (Controller, Telemetry, Arc<EventQueue>) {
        let config = sluice_config::load_str(STACK_YAML).unwrap().config;
        let core = Controller::with_config(config, 1);
        let (tx, _rx) = watch::channel(Arc::default());
        let mut t = Telemetry::new(tx, (Duration::from_secs(5), Duration::from_secs(15)));
        let queue = EventQueue::new(100);
        t.set_events(queue.clone(), None);
        t.started(&core);
        queue.take().await;
        (core, t, queue)
    }

    fn json(e: &EventRecord) -> serde_json::Value {
        let mut s = String::new();
        e.to_json(&mut s);
        serde_json::from_str(&s).unwrap()
    }

    #[tokio::test]
    async fn stack_state_and_topology_events() {
        let (core, mut t, queue) = stack_telemetry().await;
        let (root_ports, links_up) = split_stack();
        t.observe(
            &core,
            &[
                Output::Notify(Notification::StackPortState {
                    dp_id: 2,
                    port: 10,
                    state: sluice_core::stack::PortState::Up,
                }),
                Output::Notify(Notification::StackTopology {
                    root: 1,
                    root_changed: false,
                    root_ports,
                    links_up,
                }),
            ],
        );
        let events: Vec<serde_json::Value> = queue.take().await.iter().map(json).collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["dp_name"], "sw2");
        assert_eq!(
            events[0]["STACK_STATE"],
            serde_json::json!({"port": 10, "state": 3})
        );
        assert_eq!(events[1]["dp_name"], "sw1");
        let topo = &events[1]["STACK_TOPO_CHANGE"];
        assert_eq!(topo["stack_root"], "sw1");
        let nodes: Vec<&str> = topo["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(nodes, ["sw1", "sw2", "sw3", "sw4"]);
        // Only links up, keyed by port names (a port's name defaults to its number).
        let keys: Vec<&str> = topo["graph"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["sw1:to-sw2-sw2:to-sw1", "sw3:12-sw4:12"]);
        // No switch is connected, so no DP is running: FAUCET lists running DPs only.
        assert_eq!(topo["dps"], serde_json::json!({}));
    }

    #[tokio::test]
    async fn a_host_learned_on_a_stack_port_names_the_far_end() {
        let (core, mut t, queue) = stack_telemetry().await;
        let learned = |port| {
            Output::Notify(Notification::HostLearned {
                dp_id: 2,
                vid: 100,
                mac: MacAddr([0x0e, 0, 0, 0, 0, 1]),
                port,
                moved_from: None,
            })
        };
        t.observe(&core, &[learned(10), learned(1)]);
        let events: Vec<serde_json::Value> = queue.take().await.iter().map(json).collect();
        assert_eq!(
            events[0]["L2_LEARN"]["stack_descr"],
            "remote DP sw1 Port 10"
        );
        assert!(events[1]["L2_LEARN"].get("stack_descr").is_none());
    }

    #[test]
    fn root_hop_ports_lead_to_the_root() {
        let config = sluice_config::load_str(STACK_YAML).unwrap().config;
        let (root_ports, links_up) = split_stack();
        let EventBody::StackTopoChange(topo) =
            stack_topo(Some(&config), |id| id != 2, 1, &root_ports, &links_up)
        else {
            panic!("not a STACK_TOPO_CHANGE");
        };
        // sw2 is not running; sw4's hop leads to sw3, cut off from the root.
        let dps: Vec<(&str, Option<u32>)> =
            topo.dps.iter().map(|(n, p)| (n.as_str(), *p)).collect();
        assert_eq!(dps, [("sw1", None), ("sw3", None), ("sw4", None)]);
        let (root_ports, links_up) = (
            vec![(1, None), (2, Some(10)), (3, Some(11))],
            vec![(1, 10, 2, 10), (2, 11, 3, 11)],
        );
        let EventBody::StackTopoChange(topo) =
            stack_topo(Some(&config), |_| true, 1, &root_ports, &links_up)
        else {
            panic!("not a STACK_TOPO_CHANGE");
        };
        let hops: Vec<Option<u32>> = topo.dps.iter().map(|(_, p)| *p).collect();
        assert_eq!(hops, [None, Some(10), Some(11)]);
    }

    #[tokio::test]
    async fn heartbeats_and_startup_events() {
        let config = sluice_config::load_str(
            "vlans: {v: {vid: 100}}\ndps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: v}}}}\n",
        )
        .unwrap()
        .config;
        let core = Controller::with_config(config, 1);
        let (tx, rx) = watch::channel(Arc::default());
        let mut t = Telemetry::new(tx, (Duration::from_secs(5), Duration::from_secs(15)));
        let queue = EventQueue::new(100);
        t.set_events(queue.clone(), Some(Duration::from_millis(1)));
        t.started(&core);
        std::thread::sleep(Duration::from_millis(5));
        t.tick(&core);
        t.publish(Instant(1000), &core);
        let events = queue.take().await;
        let kinds: Vec<String> = events
            .iter()
            .map(|e| {
                let mut s = String::new();
                e.to_json(&mut s);
                let v: serde_json::Value = serde_json::from_str(&s).unwrap();
                let key = v
                    .as_object()
                    .unwrap()
                    .keys()
                    .find(|k| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                    .unwrap()
                    .clone();
                format!("{}:{key}", v["dp_name"].as_str().unwrap())
            })
            .collect();
        // FAUCET's start: each DP is new, then the configuration is loaded; then a heartbeat.
        assert_eq!(
            kinds,
            [
                "sw1:CONFIG_CHANGE",
                "0:CONFIG_CHANGE",
                "0:EVENT_SOCK_HEARTBEAT"
            ]
        );
        assert_eq!(rx.borrow().event_id, 3);
        assert_eq!(rx.borrow().snapshot.dps.len(), 1);
    }

    #[tokio::test]
    async fn readers_get_a_new_snapshot_only_when_the_last_is_old() {
        let (tx, rx) = watch::channel(Arc::new(Published {
            event_id: 1,
            taken: wall_now(),
            ..Published::default()
        }));
        let want = Arc::new(Notify::new());
        let reader = handle(rx, want.clone());
        // The controller's side: each request publishes the next event id.
        let controller = tokio::spawn({
            let want = want.clone();
            async move {
                for id in 2.. {
                    want.notified().await;
                    tx.send_replace(Arc::new(Published {
                        event_id: id,
                        taken: wall_now(),
                        ..Published::default()
                    }));
                }
            }
        });
        // Fresh: served as it is.
        assert_eq!(reader.latest().await.event_id, 1);
        assert_eq!(reader.latest().await.event_id, 1);
        tokio::time::sleep(FRESH + Duration::from_millis(100)).await;
        // Old: replaced first, once.
        assert_eq!(reader.latest().await.event_id, 2);
        assert_eq!(reader.latest().await.event_id, 2);
        controller.abort();
    }
}
