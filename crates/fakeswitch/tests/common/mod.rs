//! A real Open vSwitch switch to compare the fake with: a userspace bridge (built with
//! `sluice_lab`) whose ports are veth ends, controlled by this test over OpenFlow 1.3 on
//! loopback with the same `Message`s the fake switch gets, and traced with
//! `ovs-appctl ofproto/trace`.
//!
//! Network safety: only loopback and the bridge and veths made here, with unique names; the
//! guards delete them when dropped, also when a test fails.

// Each test uses a different subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sluice_fakeswitch::{Packet, Trace, VlanTag};
use sluice_lab::{Bridge, Prefix, Veth};
use sluice_ofp::msg::error::ErrorMsg;
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::multipart::{
    MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use sluice_ofp::msg::packet::PacketInReason;
use sluice_ofp::{Header, Message, PortNo};
use sluice_wire::MacAddr;

/// What to install when Open vSwitch is missing.
pub const INSTALL_HINT: &str = "this test needs Open vSwitch 3.1 (ovs-vsctl, ovs-ofctl, \
     ovs-appctl, ovs-vswitchd) and root: install it with `apt-get install openvswitch-switch`; \
     sluice_lab::ensure_ovs() starts it in userspace mode";

/// A userspace OVS bridge with ports 1..=n (veth ends) and a controller connection.
pub struct OvsSwitch {
    conn: Conn,
    /// Datapath port number to OpenFlow port number.
    dp_ports: BTreeMap<u32, PortNo>,
    veths: Vec<Veth>,
    // Declared last: dropped after the connection and the veths.
    bridge: Bridge,
}

impl OvsSwitch {
    /// Builds the bridge and connects to it as its controller. Panics with [`INSTALL_HINT`]
    /// if Open vSwitch cannot be used: the test must never pass without it.
    pub fn start(n_ports: u32) -> OvsSwitch {
        if let Err(e) = sluice_lab::ensure_ovs() {
            panic!("Open vSwitch is not usable: {e}\n{INSTALL_HINT}");
        }
        let prefix = Prefix::new();
        let bridge = Bridge::create(&prefix.name("br"), 0x5adc_0000_0000_0001)
            .unwrap_or_else(|e| panic!("creating the bridge: {e}\n{INSTALL_HINT}"));
        let mut veths = Vec::new();
        for p in 1..=n_ports {
            let v = Veth::create(
                &prefix.name(&format!("a{p}")),
                &prefix.name(&format!("b{p}")),
            )
            .unwrap_or_else(|e| panic!("creating a veth pair: {e}"));
            bridge.add_port(v.a(), p).unwrap();
            veths.push(v);
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        // OVS probes an idle connection after 5 s whatever `inactivity_probe` says (seen
        // with 600000 and with 0 on OVS 3.1), so the connection answers echoes on a thread
        // of its own (see `Conn::start`): tracing can take longer than that.
        let target = format!("target=\"tcp:127.0.0.1:{port}\"");
        sluice_lab::run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "--",
                "--id=@c",
                "create",
                "Controller",
                &target,
                "max_backoff=1000",
                "--",
                "set",
                "Bridge",
                bridge.name(),
                "controller=@c",
            ],
        )
        .unwrap();
        let mut conn = Conn::start(accept(&listener, &bridge));
        conn.send(&Message::Hello(Hello::default()));
        let mut sw = OvsSwitch {
            conn,
            dp_ports: BTreeMap::new(),
            veths,
            bridge,
        };
        // The bridge must report every port before packets are traced.
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            sw.dp_ports = sw.read_dp_ports();
            if sw.dp_ports.len() as u32 >= n_ports {
                break;
            }
            assert!(
                Instant::now() < until,
                "OVS did not show the ports: {:?}",
                sw.dp_ports
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sw
    }

    /// The bridge.
    pub fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    /// `ovs-appctl dpif/show` lines `name ofport/dpport: (type)` of this bridge.
    fn read_dp_ports(&self) -> BTreeMap<u32, PortNo> {
        let out = sluice_lab::run("ovs-appctl", &["dpif/show"]).unwrap();
        let mut ports = BTreeMap::new();
        let mut ours = false;
        for line in out.lines() {
            let t = line.trim();
            if line.starts_with("  ") && !line.starts_with("    ") {
                ours = t.trim_end_matches(':') == self.bridge.name();
                continue;
            }
            if !ours {
                continue;
            }
            let Some((_, rest)) = t.split_once(' ') else {
                continue;
            };
            let Some((nums, _)) = rest.split_once(':') else {
                continue;
            };
            let Some((of, dp)) = nums.split_once('/') else {
                continue;
            };
            if let (Ok(of), Ok(dp)) = (of.parse::<u32>(), dp.parse::<u32>()) {
                let of = if of == 65534 {
                    PortNo::LOCAL
                } else {
                    PortNo(of)
                };
                ports.insert(dp, of);
            }
        }
        ports
    }

    /// Sends messages, then a barrier; returns the refused ones (index, error).
    pub fn apply(&mut self, msgs: &[Message]) -> Vec<(usize, ErrorMsg)> {
        self.conn.apply(msgs)
    }

    /// Sends a request and returns the (joined) reply.
    pub fn request(&mut self, body: MultipartRequestBody) -> MultipartReply {
        self.conn.multipart(body)
    }

    /// Traces a packet with `ofproto/trace`, from its frame, and simulates the datapath
    /// actions on it.
    pub fn trace(&self, p: &Packet) -> OvsTrace {
        self.run_trace("ofproto/trace", p, None)
    }

    /// Traces a PACKET_OUT of `p` with `actions` (in `ovs-ofctl` syntax) with
    /// `ofproto/trace-packet-out`.
    pub fn trace_packet_out(&self, p: &Packet, actions: &str) -> OvsTrace {
        self.run_trace("ofproto/trace-packet-out", p, Some(actions))
    }

    fn run_trace(&self, command: &str, p: &Packet, actions: Option<&str>) -> OvsTrace {
        let hex: String = p.to_frame().iter().map(|b| format!("{b:02x}")).collect();
        let flow = match p.in_port {
            PortNo::CONTROLLER => "in_port=CONTROLLER".to_string(),
            PortNo::LOCAL => "in_port=LOCAL".to_string(),
            port => format!("in_port={}", port.0),
        };
        let mut args = vec![command, self.bridge.name(), &flow, &hex];
        args.extend(actions);
        let text = sluice_lab::run("ovs-appctl", &args)
            .unwrap_or_else(|e| panic!("{command} {flow} {hex}: {e}"));
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("Datapath actions: "))
            .unwrap_or_else(|| panic!("no datapath actions in:\n{text}"));
        let mut t = OvsTrace {
            outputs: Vec::new(),
            packet_ins: Vec::new(),
            datapath_actions: line.to_string(),
            text: text.clone(),
        };
        let mut cur = p.clone();
        for a in split_top(line) {
            simulate(&a, &mut cur, &self.dp_ports, &mut t)
                .unwrap_or_else(|e| panic!("{e}: datapath action {a:?} in:\n{text}"));
        }
        t
    }

    /// Takes a port's link down or up (its veth peer), and waits until OVS sees it.
    pub fn set_link(&mut self, port: u32, up: bool) {
        let v = &self.veths[port as usize - 1];
        sluice_lab::run(
            "ip",
            &["link", "set", v.b(), if up { "up" } else { "down" }],
        )
        .unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.bridge.ofctl("show", &[]).unwrap();
            let mut down = None;
            let mut in_port = false;
            for line in out.lines() {
                if line.starts_with(' ') && !line.starts_with("  ") {
                    in_port = line.trim_start().starts_with(&format!("{port}("));
                }
                if in_port && line.trim_start().starts_with("state:") {
                    down = Some(line.contains("LINK_DOWN"));
                }
            }
            if down == Some(!up) {
                return;
            }
            assert!(
                Instant::now() < until,
                "OVS did not see port {port} go {up}:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What OVS did with a packet, from its datapath actions.
#[derive(Debug)]
pub struct OvsTrace {
    /// Outputs: OpenFlow port and the packet as it leaves.
    pub outputs: Vec<(PortNo, Packet)>,
    /// Packet-ins: the reason (OpenFlow 1.3) and the packet.
    pub packet_ins: Vec<(PacketInReason, Packet)>,
    /// The "Datapath actions:" line.
    pub datapath_actions: String,
    /// The whole trace.
    pub text: String,
}

/// Splits `a,b(c,d),e` at top-level commas.
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The `key=value` pairs inside `name(...)`.
fn args<'a>(a: &'a str, name: &str) -> Option<Vec<(&'a str, &'a str)>> {
    let inner = a.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .collect(),
    )
}

fn parse_mac(s: &str) -> Result<MacAddr, String> {
    s.parse().map_err(|_| format!("bad MAC {s}"))
}

fn num(s: &str) -> Result<u32, String> {
    let r = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("bad number {s}"))
}

/// Applies one datapath action to the packet, recording outputs and packet-ins.
fn simulate(
    a: &str,
    p: &mut Packet,
    dp_ports: &BTreeMap<u32, PortNo>,
    t: &mut OvsTrace,
) -> Result<(), String> {
    // A meter in the datapath: the fake counts but never drops, and a trace sends one packet.
    if a == "drop" || a.starts_with("meter(") {
        return Ok(());
    }
    if let Ok(dp) = a.parse::<u32>() {
        let port = *dp_ports
            .get(&dp)
            .ok_or_else(|| format!("unknown datapath port {dp}"))?;
        t.outputs.push((port, p.clone()));
        return Ok(());
    }
    if a == "pop_vlan" {
        if !p.pop_vlan() {
            return Err("pop_vlan on an untagged packet".into());
        }
        return Ok(());
    }
    if let Some(kv) = args(a, "push_vlan") {
        let mut tag = VlanTag::dot1q(0);
        for (k, v) in kv {
            match k {
                "tpid" => tag.tpid = num(v)? as u16,
                "vid" => tag.vid = num(v)? as u16,
                "pcp" => tag.pcp = num(v)? as u8,
                "cfi" => {}
                _ => return Err(format!("push_vlan {k}")),
            }
        }
        p.vlans.insert(0, tag);
        return Ok(());
    }
    if let Some(inner) = a.strip_prefix("set(").and_then(|s| s.strip_suffix(')')) {
        if let Some(kv) = args(inner, "eth") {
            for (k, v) in kv {
                match k {
                    "src" => p.eth_src = parse_mac(v.split('/').next().unwrap_or(v))?,
                    "dst" => p.eth_dst = parse_mac(v.split('/').next().unwrap_or(v))?,
                    _ => return Err(format!("set eth {k}")),
                }
            }
            return Ok(());
        }
        if let Some(kv) = args(inner, "ipv4") {
            for (k, v) in kv {
                let v = v.split('/').next().unwrap_or(v);
                match k {
                    "src" => p.ipv4_src = v.parse().map_err(|_| format!("ip {v}"))?,
                    "dst" => p.ipv4_dst = v.parse().map_err(|_| format!("ip {v}"))?,
                    "ttl" => p.ip_ttl = num(v)? as u8,
                    _ => return Err(format!("set ipv4 {k}")),
                }
            }
            return Ok(());
        }
        return Err("unsupported set".into());
    }
    if let Some(inner) = a
        .strip_prefix("userspace(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let c = split_top(inner)
            .into_iter()
            .find(|x| x.starts_with("controller("))
            .ok_or("userspace action that is not for the controller")?;
        let kv = args(&c, "controller").ok_or("controller args")?;
        let reason = kv
            .iter()
            .find(|(k, _)| *k == "reason")
            .map(|(_, v)| num(v))
            .transpose()?
            .ok_or("no reason")?;
        // Open vSwitch's internal reasons, as sent in OpenFlow 1.3: no match, action,
        // invalid TTL, action set, group, packet-out, explicit miss, implicit miss.
        let reason = match reason {
            0 | 6 | 7 => PacketInReason::NoMatch,
            2 => PacketInReason::InvalidTtl,
            _ => PacketInReason::Action,
        };
        t.packet_ins.push((reason, p.clone()));
        return Ok(());
    }
    Err("not simulated".into())
}

/// Our end of the OpenFlow connection.
struct Conn {
    /// The write side, shared with the reading thread (which answers echoes).
    w: Arc<Mutex<TcpStream>>,
    /// Every message from OVS but echo requests, from the reading thread.
    rx: mpsc::Receiver<(Header, Message)>,
    xid: u32,
    /// Messages that arrived while waiting for others (asynchronous ones, mostly).
    pending: Vec<(Header, Message)>,
}

impl Conn {
    /// Starts reading `s` on a thread that answers OVS's echo requests at once and passes
    /// every other message on; it ends when OVS closes the connection.
    fn start(s: TcpStream) -> Conn {
        let mut r = s.try_clone().expect("cloning the OVS socket");
        let w = Arc::new(Mutex::new(s));
        let (tx, rx) = mpsc::channel();
        let echo_w = w.clone();
        std::thread::spawn(move || {
            loop {
                let mut buf = vec![0u8; 8];
                if r.read_exact(&mut buf).is_err() {
                    return;
                }
                let len = usize::from(u16::from_be_bytes([buf[2], buf[3]])).max(8);
                buf.resize(len, 0);
                if r.read_exact(&mut buf[8..]).is_err() {
                    return;
                }
                let (h, m) = Message::decode(Bytes::from(buf)).expect("OVS sends valid messages");
                if let Message::EchoRequest(d) = &m {
                    let reply = Message::EchoReply(d.clone()).to_bytes(h.xid).unwrap();
                    if echo_w.lock().unwrap().write_all(&reply).is_err() {
                        return;
                    }
                } else if tx.send((h, m)).is_err() {
                    return;
                }
            }
        });
        Conn {
            w,
            rx,
            xid: 0,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, m: &Message) -> u32 {
        self.xid += 1;
        let bytes = m.to_bytes(self.xid).unwrap();
        self.w.lock().unwrap().write_all(&bytes).unwrap();
        self.xid
    }

    fn recv(&mut self) -> (Header, Message) {
        self.rx
            .recv()
            .unwrap_or_else(|_| panic!("reading from OVS: the connection closed"))
    }

    fn apply(&mut self, msgs: &[Message]) -> Vec<(usize, ErrorMsg)> {
        let first = self.xid + 1;
        for m in msgs {
            self.send(m);
        }
        let barrier = self.send(&Message::BarrierRequest);
        let mut errors = Vec::new();
        loop {
            let (h, m) = self.recv();
            match m {
                Message::BarrierReply if h.xid == barrier => return errors,
                Message::Error(e) if (first..barrier).contains(&h.xid) => {
                    errors.push(((h.xid - first) as usize, e));
                }
                Message::Error(e) => panic!("unexpected error from OVS: {e}"),
                other => self.pending.push((h, other)),
            }
        }
    }

    fn multipart(&mut self, body: MultipartRequestBody) -> MultipartReply {
        let xid = self.send(&Message::MultipartRequest(MultipartRequest::new(body)));
        let mut joined: Option<MultipartReply> = None;
        loop {
            let (h, m) = self.recv();
            if h.xid != xid {
                self.pending.push((h, m));
                continue;
            }
            let Message::MultipartReply(part) = m else {
                panic!("request answered with {m}");
            };
            let more = part.more();
            match &mut joined {
                None => joined = Some(part),
                Some(j) => assert!(j.body.extend(part.body)),
            }
            if !more {
                return joined.unwrap();
            }
        }
    }
}

fn accept(listener: &TcpListener, bridge: &Bridge) -> TcpStream {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
                return s;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!(
                "OVS bridge {} did not connect: {e}; ovs-vsctl show:\n{}",
                bridge.name(),
                sluice_lab::run("ovs-vsctl", &["show"]).unwrap_or_default()
            ),
        }
    }
}

// ===== comparing the fake with OVS =====

/// What a packet looks like for the comparison.
pub fn headers(p: &Packet) -> String {
    let tags: Vec<String> = p
        .vlans
        .iter()
        .map(|t| format!("{:#06x}:{}:{}", t.tpid, t.vid, t.pcp))
        .collect();
    format!(
        "vlans=[{}] src={} dst={} ttl={} ip={}->{}",
        tags.join(" "),
        p.eth_src,
        p.eth_dst,
        p.ip_ttl,
        p.ipv4_src,
        p.ipv4_dst
    )
}

pub fn fake_result(t: &Trace) -> Vec<String> {
    let mut v: Vec<String> = t
        .outputs
        .iter()
        .map(|o| format!("output {}: {}", o.port, headers(&o.packet)))
        .collect();
    v.extend(
        t.packet_ins
            .iter()
            .map(|c| format!("packet-in {}: {}", c.reason, headers(&c.packet))),
    );
    v
}

pub fn ovs_result(t: &OvsTrace) -> Vec<String> {
    let mut v: Vec<String> = t
        .outputs
        .iter()
        .map(|(port, p)| format!("output {port}: {}", headers(p)))
        .collect();
    v.extend(
        t.packet_ins
            .iter()
            .map(|(r, p)| format!("packet-in {r}: {}", headers(p))),
    );
    v
}

/// Compares what happened to one packet; returns a line for the report, and the details if
/// they differ.
pub fn compare(name: &str, p: &Packet, f: &Trace, o: &OvsTrace) -> (String, Option<String>) {
    // The order of outputs to different ports cannot be seen from outside (and OVS floods in
    // hash order): compare them as sets.
    let (mut fr, mut or) = (fake_result(f), ovs_result(o));
    fr.sort();
    or.sort();
    let line = format!("{name:<52} {}", f.summary());
    if fr == or {
        (format!("{line}  agree"), None)
    } else {
        let detail = format!(
            "== {name}: {p}\nfake:\n  {}\nOVS (Datapath actions: {}):\n  {}\nfake trace:\n{f}\nOVS trace:\n{}",
            fr.join("\n  "),
            o.datapath_actions,
            or.join("\n  "),
            o.text
        );
        (format!("{line}  DISAGREE"), Some(detail))
    }
}

/// The flows of a switch as comparable lines: table, priority, cookie, match fields (sorted)
/// and instructions (sorted by type, as a switch keeps them).
pub fn flow_lines(body: MultipartReplyBody) -> Vec<String> {
    let MultipartReplyBody::Flow(stats) = body else {
        panic!("not flow stats: {body:?}")
    };
    let mut lines: Vec<String> = stats
        .iter()
        .map(|s| {
            let mut fields: Vec<String> = s.match_.iter().map(|f| f.to_string()).collect();
            fields.sort();
            let mut ins = s.instructions.clone();
            ins.sort_by_key(|i| i.instruction_type());
            let ins: Vec<String> = ins.iter().map(|i| i.to_string()).collect();
            format!(
                "table={} priority={} cookie={:#x} idle={} hard={} {} actions={}",
                s.table_id,
                s.priority,
                s.cookie,
                s.idle_timeout,
                s.hard_timeout,
                fields.join(","),
                ins.join(",")
            )
        })
        .collect();
    lines.sort();
    lines
}
