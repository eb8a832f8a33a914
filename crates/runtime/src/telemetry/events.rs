//! FAUCET's event stream (`FAUCET_EVENT_SOCK`): newline-delimited JSON on a unix stream
//! socket, one client at a time, with FAUCET's event types and fields.
//!
//! ```text
//!  controller task ──(EventRecord: a few words, O(1) push)──► EventQueue ──► writer task ──► client
//!    assigns event ids          bounded ring: when full the        formats JSON, writes;
//!    (faucet_event_id)          oldest is dropped and counted      a slow client slows only it
//! ```
//!
//! The controller task never formats JSON or waits on the socket: it pushes a small record
//! into a bounded ring under a mutex held for one `push_back`. FAUCET keeps 120 events; the
//! ring here keeps [`DEFAULT_QUEUE`] (sluice learns hosts much faster, and a burst of
//! learning after a reconnect should reach a reader that is keeping up).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::net::IpAddr;

use sluice_core::Restart;
use sluice_wire::meta::L3Meta;
use sluice_wire::{MacAddr, PacketMeta};
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;
use tracing::{info, warn};

/// Events kept for a slow or absent client before the oldest are dropped.
pub const DEFAULT_QUEUE: usize = 10_000;

/// FAUCET's default event socket path (`FAUCET_EVENT_SOCK=1`).
pub const DEFAULT_SOCK: &str = "/var/run/faucet/faucet.sock";

/// The event socket FAUCET's `FAUCET_EVENT_SOCK` value asks for: none for an empty value or
/// `0`, FAUCET's default path for any other integer, else the value as a path.
pub fn sock_path(value: &str) -> Option<PathBuf> {
    let v = value.trim();
    if v.is_empty() || v == "0" {
        return None;
    }
    match v.parse::<i64>() {
        Ok(_) => Some(PathBuf::from(DEFAULT_SOCK)),
        Err(_) => Some(PathBuf::from(v)),
    }
}

/// One event, as the controller task records it (formatted later, by the writer).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Its id: 1, 2, ... (FAUCET's `event_id`).
    pub id: u64,
    /// Wall-clock seconds since the Unix epoch.
    pub time: f64,
    /// The DP it is about (0 for configuration-wide events).
    pub dp_id: u64,
    /// The DP's name ("0" for configuration-wide events).
    pub dp_name: Arc<str>,
    /// What happened.
    pub body: EventBody,
}

/// The events FAUCET sends, with their fields.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    /// `CONFIG_CHANGE {restart_type}`: a DP took a new configuration.
    ConfigRestart {
        /// `new`, `warm` or `cold`.
        restart_type: Restart,
    },
    /// `CONFIG_CHANGE {success, config_hash_info}`: a configuration was loaded or rejected.
    ConfigLoaded {
        /// Whether it was applied.
        success: bool,
        /// The configuration files, comma-separated.
        config_files: String,
        /// Their sha256 hashes, comma-separated (empty on failure).
        hashes: String,
        /// Why it was rejected (empty on success).
        error: String,
    },
    /// `DP_CHANGE {reason}`: `cold_start` or `disconnect`.
    DpChange {
        /// `cold_start` or `disconnect`.
        reason: &'static str,
    },
    /// `PORTS_STATUS {port_no: up, ...}` for every configured port, when a DP starts.
    PortsStatus(Vec<(u32, bool)>),
    /// `PORT_CHANGE {port_no, reason, state, status}`.
    PortChange {
        /// The port.
        port_no: u32,
        /// `ADD`, `DELETE` or `MODIFY`.
        reason: String,
        /// The OpenFlow port state bits.
        state: u32,
        /// Whether it is up.
        status: bool,
    },
    /// `L2_LEARN {port_no, previous_port_no, vid, eth_src, eth_dst, eth_type, l3_src_ip,
    /// l3_dst_ip[, stack_descr]}`.
    L2Learn {
        /// The port the host is behind.
        port_no: u32,
        /// The port it was behind before, if it moved.
        previous_port_no: Option<u32>,
        /// The VLAN.
        vid: u16,
        /// The host.
        eth_src: MacAddr,
        /// What the frame it was learned from says beyond its source, when the event
        /// socket is on (the frame is only looked at then).
        frame: Option<LearnFrame>,
        /// For a host learned on a stack port, the far end as FAUCET describes it:
        /// `remote DP <name> Port <number>`.
        stack_descr: Option<String>,
    },
    /// `L2_EXPIRE {port_no, vid, eth_src}`.
    L2Expire {
        /// The port it was behind.
        port_no: u32,
        /// The VLAN.
        vid: u16,
        /// The host.
        eth_src: MacAddr,
    },
    /// `STACK_STATE {port, state}`: a stack port changed state.
    StackState {
        /// The port.
        port: u32,
        /// Its new state, in FAUCET's numbers (0 admin down, 1 init, 2 bad, 3 up, 4 gone).
        state: u8,
    },
    /// `STACK_TOPO_CHANGE {stack_root, graph, dps}`: the stack's shape changed.
    StackTopoChange(Box<StackTopo>),
    /// `EVENT_SOCK_HEARTBEAT null` (`FAUCET_EVENT_SOCK_HEARTBEAT`).
    Heartbeat,
}

/// The stack's shape, as FAUCET's STACK_TOPO_CHANGE gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackTopo {
    /// The root's name (`stack_root`).
    pub root: String,
    /// Every DP of the stack, by name: the graph's nodes.
    pub nodes: Vec<String>,
    /// The links that are up: the graph's edges.
    pub links: Vec<StackLink>,
    /// Each running stacked DP with its port towards the root (`dps: {name: {root_hop_port}}`;
    /// `None`, written as FAUCET writes it, `0.0`, on the root and on a DP cut off from it).
    pub dps: Vec<(String, Option<u32>)>,
}

/// A stack link in FAUCET's graph: its ends in FAUCET's order (by DP name, then port name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackLink {
    /// The first end: DP name, port number, port name.
    pub a: (String, u32, String),
    /// The other end.
    pub z: (String, u32, String),
}

impl StackTopo {
    /// The payload: `{"stack_root": .., "graph": <networkx node-link data>, "dps": ..}`.
    /// The graph is a networkx `MultiGraph` as FAUCET's `node_link_data` writes it (with
    /// networkx 3.6, whose key for the links is `edges`), each edge keyed
    /// `dp_a:port_a-dp_z:port_z` by port names with its `port_map`.
    fn to_json(&self, out: &mut String) {
        out.push_str("{\"stack_root\": ");
        json_str(out, &self.root);
        out.push_str(
            ", \"graph\": {\"directed\": false, \"multigraph\": true, \"graph\": {}, \"nodes\": [",
        );
        for (i, n) in self.nodes.iter().enumerate() {
            out.push_str(if i == 0 { "{\"id\": " } else { ", {\"id\": " });
            json_str(out, n);
            out.push('}');
        }
        out.push_str("], \"edges\": [");
        for (i, l) in self.links.iter().enumerate() {
            let ((dp_a, port_a, name_a), (dp_z, port_z, name_z)) = (&l.a, &l.z);
            out.push_str(if i == 0 { "" } else { ", " });
            out.push_str("{\"port_map\": {\"dp_a\": ");
            json_str(out, dp_a);
            let _ = write!(out, ", \"port_a\": \"Port {port_a}\", \"dp_z\": ");
            json_str(out, dp_z);
            let _ = write!(out, ", \"port_z\": \"Port {port_z}\"}}, \"source\": ");
            json_str(out, dp_a);
            out.push_str(", \"target\": ");
            json_str(out, dp_z);
            out.push_str(", \"key\": ");
            json_str(out, &format!("{dp_a}:{name_a}-{dp_z}:{name_z}"));
            out.push('}');
        }
        out.push_str("]}, \"dps\": {");
        for (i, (name, port)) in self.dps.iter().enumerate() {
            out.push_str(if i == 0 { "" } else { ", " });
            json_str(out, name);
            match port {
                Some(p) => {
                    let _ = write!(out, ": {{\"root_hop_port\": {p}}}");
                }
                None => out.push_str(": {\"root_hop_port\": 0.0}"),
            }
        }
        out.push_str("}}");
    }
}

impl EventRecord {
    /// The event as FAUCET writes it: one JSON object, keys in FAUCET's order, no newline.
    pub fn to_json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"version\": 1, \"time\": {}, \"dp_id\": {}, \"dp_name\": ",
            self.time, self.dp_id
        );
        json_str(out, &self.dp_name);
        let _ = write!(out, ", \"event_id\": {}, ", self.id);
        match &self.body {
            EventBody::ConfigRestart { restart_type } => {
                let _ = write!(
                    out,
                    "\"CONFIG_CHANGE\": {{\"restart_type\": \"{restart_type}\"}}"
                );
            }
            EventBody::ConfigLoaded {
                success,
                config_files,
                hashes,
                error,
            } => {
                let _ = write!(
                    out,
                    "\"CONFIG_CHANGE\": {{\"success\": {success}, \"config_hash_info\": {{\"config_files\": "
                );
                json_str(out, config_files);
                out.push_str(", \"hashes\": ");
                json_str(out, hashes);
                out.push_str(", \"error\": ");
                json_str(out, error);
                out.push_str("}}");
            }
            EventBody::DpChange { reason } => {
                let _ = write!(out, "\"DP_CHANGE\": {{\"reason\": \"{reason}\"}}");
            }
            EventBody::PortsStatus(ports) => {
                out.push_str("\"PORTS_STATUS\": {");
                for (i, (p, up)) in ports.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let _ = write!(out, "{sep}\"{p}\": {up}");
                }
                out.push('}');
            }
            EventBody::PortChange {
                port_no,
                reason,
                state,
                status,
            } => {
                let _ = write!(
                    out,
                    "\"PORT_CHANGE\": {{\"port_no\": {port_no}, \"reason\": \"{reason}\", \"state\": {state}, \"status\": {status}}}"
                );
            }
            EventBody::L2Learn {
                port_no,
                previous_port_no,
                vid,
                eth_src,
                frame,
                stack_descr,
            } => {
                let prev = previous_port_no.map_or_else(|| "null".to_string(), |p| p.to_string());
                let _ = write!(
                    out,
                    "\"L2_LEARN\": {{\"port_no\": {port_no}, \"previous_port_no\": {prev}, \"vid\": {vid}, \"eth_src\": \"{eth_src}\", "
                );
                // Addresses print as FAUCET prints them ("None" when the frame has none).
                let ip =
                    |a: Option<IpAddr>| a.map_or_else(|| "None".to_string(), |a| a.to_string());
                match frame {
                    Some(f) => {
                        let _ = write!(
                            out,
                            "\"eth_dst\": \"{}\", \"eth_type\": {}, \"l3_src_ip\": \"{}\", \"l3_dst_ip\": \"{}\"",
                            f.eth_dst,
                            f.eth_type,
                            ip(f.l3_src),
                            ip(f.l3_dst)
                        );
                    }
                    None => out.push_str(
                        "\"eth_dst\": null, \"eth_type\": null, \"l3_src_ip\": \"None\", \"l3_dst_ip\": \"None\"",
                    ),
                }
                if let Some(d) = stack_descr {
                    out.push_str(", \"stack_descr\": ");
                    json_str(out, d);
                }
                out.push('}');
            }
            EventBody::L2Expire {
                port_no,
                vid,
                eth_src,
            } => {
                let _ = write!(
                    out,
                    "\"L2_EXPIRE\": {{\"port_no\": {port_no}, \"vid\": {vid}, \"eth_src\": \"{eth_src}\"}}"
                );
            }
            EventBody::StackState { port, state } => {
                let _ = write!(
                    out,
                    "\"STACK_STATE\": {{\"port\": {port}, \"state\": {state}}}"
                );
            }
            EventBody::StackTopoChange(topo) => {
                out.push_str("\"STACK_TOPO_CHANGE\": ");
                topo.to_json(out);
            }
            EventBody::Heartbeat => out.push_str("\"EVENT_SOCK_HEARTBEAT\": null"),
        }
        out.push('}');
    }
}

/// Appends `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The fields of FAUCET's L2_LEARN taken from the frame a host was learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnFrame {
    /// Its destination.
    pub eth_dst: MacAddr,
    /// Its EtherType, after any VLAN tags.
    pub eth_type: u16,
    /// Its IPv4 or IPv6 source (ARP's sender address for ARP).
    pub l3_src: Option<IpAddr>,
    /// Its IPv4 or IPv6 destination (ARP's target address for ARP).
    pub l3_dst: Option<IpAddr>,
}

impl LearnFrame {
    /// The fields of a frame as a switch sent it in a packet-in.
    pub fn parse(data: &[u8]) -> Option<LearnFrame> {
        let meta = PacketMeta::parse(data).ok()?;
        let (l3_src, l3_dst) = match meta.l3 {
            L3Meta::Arp(a) => (Some(IpAddr::V4(a.spa)), Some(IpAddr::V4(a.tpa))),
            L3Meta::Ipv4(ip) => (Some(IpAddr::V4(ip.src)), Some(IpAddr::V4(ip.dst))),
            L3Meta::Ipv6(ip) => (Some(IpAddr::V6(ip.src)), Some(IpAddr::V6(ip.dst))),
            L3Meta::None | L3Meta::Invalid(_) => (None, None),
        };
        Some(LearnFrame {
            eth_dst: meta.eth_dst,
            eth_type: meta.eth_type.into(),
            l3_src,
            l3_dst,
        })
    }
}

/// The bounded ring between the controller task and the socket writer.
#[derive(Debug)]
pub struct EventQueue {
    ring: Mutex<VecDeque<EventRecord>>,
    capacity: usize,
    ready: Notify,
    dropped: AtomicU64,
}

impl EventQueue {
    /// A queue that keeps at most `capacity` events (at least one).
    pub fn new(capacity: usize) -> Arc<EventQueue> {
        Arc::new(EventQueue {
            ring: Mutex::new(VecDeque::with_capacity(capacity.clamp(1, 1024))),
            capacity: capacity.max(1),
            ready: Notify::new(),
            dropped: AtomicU64::new(0),
        })
    }

    /// Adds an event, dropping the oldest if the queue is full. Never waits.
    pub fn push(&self, ev: EventRecord) {
        {
            // A poisoned lock only means a writer panicked mid-push; the ring is still sound.
            let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
            if ring.len() >= self.capacity {
                ring.pop_front();
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            ring.push_back(ev);
        }
        self.ready.notify_one();
    }

    /// Takes every queued event, waiting for one if there is none.
    pub async fn take(&self) -> Vec<EventRecord> {
        loop {
            {
                let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
                if !ring.is_empty() {
                    return ring.drain(..).collect();
                }
            }
            self.ready.notified().await;
        }
    }

    /// Events dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Serves the event stream on a unix socket at `path` until the task is dropped.
///
/// As FAUCET does, a stale socket file is removed, missing parent directories are created,
/// and only one client is served at a time: another client is closed at once (FAUCET logs
/// "multiple event clients not supported").
///
/// # Errors
/// If the socket cannot be created.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    UnixListener::bind(path)
}

/// Accepts clients on `listener` and writes the events of `queue` to one client at a time.
pub async fn serve(listener: UnixListener, queue: Arc<EventQueue>) {
    let busy = Arc::new(AtomicBool::new(false));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!("event socket: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if busy.swap(true, Ordering::AcqRel) {
            info!("event socket: multiple event clients not supported");
            drop(stream);
            continue;
        }
        info!("event client connected");
        let (queue, busy) = (queue.clone(), busy.clone());
        tokio::spawn(async move {
            if let Err(e) = write_events(stream, &queue).await {
                info!("event client disconnected: {e}");
            }
            busy.store(false, Ordering::Release);
        });
    }
}

async fn write_events(mut stream: UnixStream, queue: &EventQueue) -> io::Result<()> {
    let mut buf = String::new();
    let mut reported = queue.dropped();
    loop {
        let batch = tokio::select! {
            batch = queue.take() => batch,
            // Notice a client that went away even when no events come.
            r = stream.readable() => {
                r?;
                let mut probe = [0u8; 64];
                match stream.try_read(&mut probe) {
                    Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed")),
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(e),
                }
            }
        };
        buf.clear();
        for ev in &batch {
            ev.to_json(&mut buf);
            buf.push('\n');
        }
        stream.write_all(buf.as_bytes()).await?;
        let dropped = queue.dropped();
        if dropped > reported {
            warn!(
                "event socket: {} events dropped (the client did not keep up)",
                dropped - reported
            );
            reported = dropped;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64, body: EventBody) -> EventRecord {
        EventRecord {
            id,
            time: 1.5,
            dp_id: 1505,
            dp_name: Arc::from("sw1"),
            body,
        }
    }

    #[test]
    fn json_is_faucets() {
        let mut s = String::new();
        rec(
            7,
            EventBody::L2Learn {
                port_no: 2,
                previous_port_no: None,
                vid: 100,
                eth_src: MacAddr([0x72, 0xaa, 0x5d, 0xbf, 0xb9, 0x1b]),
                frame: None,
                stack_descr: Some("remote DP \"sw2\" Port 10".into()),
            },
        )
        .to_json(&mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["event_id"], 7);
        assert_eq!(v["dp_name"], "sw1");
        assert_eq!(v["L2_LEARN"]["eth_src"], "72:aa:5d:bf:b9:1b");
        assert_eq!(v["L2_LEARN"]["previous_port_no"], serde_json::Value::Null);
        assert_eq!(v["L2_LEARN"]["stack_descr"], "remote DP \"sw2\" Port 10");
        assert!(s.starts_with("{\"version\": 1, \"time\": 1.5, \"dp_id\": 1505,"));

        let mut s = String::new();
        rec(1, EventBody::PortsStatus(vec![(1, true), (2, false)])).to_json(&mut s);
        assert!(
            s.ends_with("\"PORTS_STATUS\": {\"1\": true, \"2\": false}}"),
            "{s}"
        );
        let mut s = String::new();
        rec(
            2,
            EventBody::ConfigLoaded {
                success: false,
                config_files: "/etc/faucet/faucet.yaml".into(),
                hashes: String::new(),
                error: "bad \"vid\"\nline 2".into(),
            },
        )
        .to_json(&mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(
            v["CONFIG_CHANGE"]["config_hash_info"]["error"],
            "bad \"vid\"\nline 2"
        );
        let mut s = String::new();
        rec(3, EventBody::Heartbeat).to_json(&mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v["EVENT_SOCK_HEARTBEAT"].is_null());
    }

    fn json(body: EventBody) -> serde_json::Value {
        let mut s = String::new();
        rec(4, body).to_json(&mut s);
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    #[test]
    fn stack_events_are_faucets() {
        let v = json(EventBody::StackState { port: 10, state: 3 });
        assert_eq!(
            v["STACK_STATE"],
            serde_json::json!({"port": 10, "state": 3})
        );

        let end = |dp: &str, port, name: &str| (dp.to_string(), port, name.to_string());
        let topo = StackTopo {
            root: "sw1".into(),
            nodes: vec!["sw1".into(), "sw2".into(), "sw3".into()],
            links: vec![StackLink {
                a: end("sw1", 10, "to-sw2"),
                z: end("sw2", 10, "to-sw1"),
            }],
            dps: vec![("sw1".into(), None), ("sw2".into(), Some(10))],
        };
        let mut s = String::new();
        rec(5, EventBody::StackTopoChange(Box::new(topo))).to_json(&mut s);
        // The root's hop port is FAUCET's float zero.
        assert!(
            s.ends_with(
                "\"dps\": {\"sw1\": {\"root_hop_port\": 0.0}, \"sw2\": {\"root_hop_port\": 10}}}}"
            ),
            "{s}"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        let t = &v["STACK_TOPO_CHANGE"];
        assert_eq!(t["stack_root"], "sw1");
        assert_eq!(
            t["graph"],
            serde_json::json!({
                "directed": false,
                "multigraph": true,
                "graph": {},
                "nodes": [{"id": "sw1"}, {"id": "sw2"}, {"id": "sw3"}],
                "edges": [{
                    "port_map": {"dp_a": "sw1", "port_a": "Port 10", "dp_z": "sw2", "port_z": "Port 10"},
                    "source": "sw1",
                    "target": "sw2",
                    "key": "sw1:to-sw2-sw2:to-sw1"
                }]
            })
        );
        // No link up, no running DP: empty lists, still valid JSON.
        let v = json(EventBody::StackTopoChange(Box::default()));
        assert_eq!(
            v["STACK_TOPO_CHANGE"]["graph"]["edges"],
            serde_json::json!([])
        );
        assert_eq!(v["STACK_TOPO_CHANGE"]["dps"], serde_json::json!({}));
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let q = EventQueue::new(2);
        for id in 1..=3 {
            q.push(rec(id, EventBody::Heartbeat));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got: Vec<u64> = rt.block_on(q.take()).iter().map(|e| e.id).collect();
        assert_eq!(got, [2, 3]);
        assert_eq!(q.dropped(), 1);
    }

    #[test]
    fn faucet_event_sock_values() {
        assert_eq!(sock_path(""), None);
        assert_eq!(sock_path("0"), None);
        assert_eq!(sock_path("1"), Some(PathBuf::from(DEFAULT_SOCK)));
        assert_eq!(sock_path("/tmp/x.sock"), Some(PathBuf::from("/tmp/x.sock")));
    }
}
