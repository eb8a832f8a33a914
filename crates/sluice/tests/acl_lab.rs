//! ACLs, mirroring, meters, conntrack and coprocessor ports on real Open vSwitch (userspace
//! datapath) with real traffic between network-namespace hosts, the `sluice` binary as the
//! controller: TCP to a blocked port fails while ping and other ports work, a mirror port
//! sees both directions of a ping, VLAN push/pop/swap and set_fields show in captures, a
//! meter holds a UDP flow to its rate, an egress ACL drops, conntrack lets only replies in,
//! a coprocessor's tagged frame leaves the port its tag names, and the single-switch
//! coprocessing example works over a veth loop. The same scenarios run with FAUCET
//! (1.10.12, from its venv) as the controller where it is installed, and must give the same
//! results.
//!
//! Needs root, Open vSwitch, tcpdump, socat and iperf3 (`scripts/test` installs them); without
//! them every test fails saying so. Each test builds its own lab under a unique prefix.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_lab::{Bridge, Host, Lab, Veth};

/// A controller process: the `sluice` binary, or FAUCET.
struct Controller {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Controller {
    fn drop(&mut self) {
        // Only the process this test started, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Sluice,
    Faucet,
}

/// FAUCET's venv (`FAUCET_VENV`, else `target/faucet-venv` as `scripts/faucet-verdicts`
/// makes it, else `/work/faucet-venv`), if FAUCET is installed there.
fn faucet_venv() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("FAUCET_VENV").map(PathBuf::from),
        Some(root.join("target/faucet-venv")),
        Some(PathBuf::from("/work/faucet-venv")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("bin/faucet").exists())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `which` on `yaml`, listening on a port of its own; the OVS target to point at it.
fn controller(which: Which, yaml: &str) -> (Controller, String) {
    controller_on(which, yaml, free_port())
}

/// Starts `which` on `yaml`, listening on `port`.
fn controller_on(which: Which, yaml: &str, port: u16) -> (Controller, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("faucet.yaml");
    std::fs::write(&cfg, yaml).unwrap();
    let log = File::create(dir.path().join("out.log")).unwrap();
    let mut cmd = match which {
        Which::Sluice => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
            c.args(["run", "--config"])
                .arg(&cfg)
                .args(["--listen", &format!("127.0.0.1:{port}")]);
            c
        }
        Which::Faucet => {
            let venv = faucet_venv().expect("FAUCET's venv");
            let mut c = Command::new(venv.join("bin/faucet"));
            let path = format!(
                "{}:{}",
                venv.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            );
            c.env("PATH", path)
                .env("FAUCET_CONFIG", &cfg)
                .env("FAUCET_LOG", dir.path().join("faucet.log"))
                .env("FAUCET_EXCEPTION_LOG", dir.path().join("exception.log"))
                .env("FAUCET_PROMETHEUS_PORT", free_port().to_string())
                .env("FAUCET_PROMETHEUS_ADDR", "127.0.0.1")
                .args([
                    "--ryu-ofp-listen-host=127.0.0.1",
                    &format!("--ryu-ofp-tcp-listen-port={port}"),
                ]);
            c
        }
    };
    cmd.env("FAUCET_LOG", dir.path().join("controller.log"))
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let child = cmd.spawn().unwrap();
    (
        Controller { child, _dir: dir },
        format!("tcp:127.0.0.1:{port}"),
    )
}

/// A lab and its controller.
struct Running {
    // Field order is drop order: the lab goes before the controller.
    lab: Lab,
    extra: Vec<Veth>,
    ctl: Option<Controller>,
}

fn preflight() {
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
    for tool in ["tcpdump", "socat", "iperf3"] {
        assert!(
            sluice_lab::succeeds("sh", &["-c", &format!("command -v {tool}")]),
            "this test needs {tool} (scripts/test installs it)"
        );
    }
}

/// Builds the lab for `yaml` under `which`, and waits until its flows stop changing.
fn start(which: Which, yaml: &str) -> Running {
    preflight();
    let config = sluice_config::load_str(yaml).unwrap().config;
    let (ctl, target) = controller(which, yaml);
    let lab = Lab::build(&config, &target).unwrap();
    let r = Running {
        lab,
        extra: Vec::new(),
        ctl: Some(ctl),
    };
    r.settle();
    r
}

impl Running {
    fn bridge(&self) -> &Bridge {
        self.lab.bridges().next().unwrap().1
    }

    /// Waits until the switch is connected and its flow table has stopped changing.
    fn settle(&self) {
        self.lab.wait_connected(Duration::from_secs(20)).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        let mut last = (0, Instant::now());
        loop {
            let n = self
                .bridge()
                .ofctl("dump-flows", &["--no-stats"])
                .unwrap()
                .lines()
                .count();
            if n != last.0 {
                last = (n, Instant::now());
            } else if n > 2 && last.1.elapsed() > Duration::from_millis(1500) {
                return;
            }
            assert!(Instant::now() < until, "the flows never settled");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn dp_id(&self) -> u64 {
        self.lab.bridges().next().unwrap().0
    }

    fn host(&self, port: u32) -> &Host {
        self.lab.host(self.dp_id(), port).unwrap()
    }

    fn addr(&self, port: u32, vid: u16) -> Ipv4Addr {
        self.lab.endpoint(self.dp_id(), port, vid).unwrap().addr
    }

    /// The root-namespace end of the cable of a port without a host (the lab names it after
    /// the port's interface).
    fn far_end(&self, port: u32) -> String {
        format!("{}n", self.lab.port_iface(self.dp_id(), port).unwrap())
    }

    /// Replaces the cables of ports `a` and `b` by one veth pair joining them: a loopback
    /// cable between two ports of the switch.
    fn loop_cable(&mut self, a: u32, b: u32) {
        let dp = self.dp_id();
        let (ia, ib) = (
            self.lab.port_iface(dp, a).unwrap().to_string(),
            self.lab.port_iface(dp, b).unwrap().to_string(),
        );
        let bridge = self.bridge();
        bridge.del_port(&ia).unwrap();
        bridge.del_port(&ib).unwrap();
        let _ = sluice_lab::run("ip", &["link", "del", &ia]);
        let _ = sluice_lab::run("ip", &["link", "del", &ib]);
        let veth = Veth::create(&ia, &ib).unwrap();
        for end in [&ia, &ib] {
            let _ = sluice_lab::run(
                "sysctl",
                &["-qw", &format!("net.ipv6.conf.{end}.disable_ipv6=1")],
            );
        }
        bridge.add_port(&ia, a).unwrap();
        bridge.add_port(&ib, b).unwrap();
        self.extra.push(veth);
        self.settle();
    }
}

/// A process started by a test (a listener, a capture), stopped by its id when dropped.
struct Bg(Child);

impl Drop for Bg {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `args` run in `host`'s namespace, in the background.
fn spawn_in(ns: Option<&str>, args: &[&str], out: Stdio) -> Bg {
    let mut c = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]);
            c.args(args);
            c
        }
        None => {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        }
    };
    Bg(c.stdout(out).stderr(Stdio::null()).spawn().unwrap())
}

/// A TCP listener on `port` in `host`.
fn listen(host: &Host, port: u16) -> Bg {
    let bg = spawn_in(
        Some(host.ns()),
        &[
            "socat",
            &format!("TCP-LISTEN:{port},fork,reuseaddr"),
            "SYSTEM:echo ok",
        ],
        Stdio::null(),
    );
    std::thread::sleep(Duration::from_millis(300));
    bg
}

/// Whether `host` completes a TCP connection to `addr:port` (and reads the listener's "ok").
fn tcp_connects(host: &Host, addr: Ipv4Addr, port: u16) -> bool {
    host.exec(&[
        "socat",
        "-T2",
        "-",
        &format!("TCP:{addr}:{port},connect-timeout=2"),
    ])
    .is_ok_and(|out| out.contains("ok"))
}

fn pings(host: &Host, to: Ipv4Addr) -> bool {
    (0..3).any(|_| host.ping(to, 1, Duration::from_secs(1)))
}

/// Sends one UDP datagram from `host`'s port 40000 to `addr:port`.
fn udp(host: &Host, addr: Ipv4Addr, port: u16) {
    let _ = host.exec(&[
        "sh",
        "-c",
        &format!("echo sluice | socat -u - UDP:{addr}:{port},sourceport=40000"),
    ]);
}

/// A packet capture (`tcpdump -e -n`) on `iface` in `ns` (or the root namespace), with the
/// lines it printed read when it is stopped.
struct Capture {
    bg: Bg,
    file: tempfile::NamedTempFile,
}

impl Capture {
    fn start(ns: Option<&str>, iface: &str, filter: &str) -> Capture {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut args = vec!["tcpdump", "-l", "-e", "-n", "-i", iface];
        args.extend(filter.split_whitespace());
        let bg = spawn_in(ns, &args, Stdio::from(file.reopen().unwrap()));
        // tcpdump needs a moment to open the interface.
        std::thread::sleep(Duration::from_millis(800));
        Capture { bg, file }
    }

    /// Stops the capture (after the last packets had time to arrive); the lines seen.
    fn stop(self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(500));
        let path = self.file.path().to_path_buf();
        drop(self.bg);
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

// ===== scenarios (each runs under one controller and returns what it saw) =====

/// Port 1's ACL blocks TCP 5001..5003 (a masked port) for port 1's host; port 4 mirrors
/// port 1.
const BLOCK_AND_MIRROR: &str = "
acls:
  no-5001:
    - rule:
        dl_type: 0x800
        nw_proto: 6
        tcp_dst: 5000/0xfffc
        actions: {allow: 0}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x51
    interfaces:
      1: {name: h1, native_vlan: office, acls_in: [no-5001]}
      2: {name: h2, native_vlan: office}
      3: {name: h3, native_vlan: office}
      4: {name: tap, mirror: [h1]}
";

/// (TCP to 5001, to 5005, ping, mirror copies of h1's requests, of h2's replies, of other
/// ICMP).
fn block_and_mirror(which: Which) -> (bool, bool, bool, usize, usize, usize) {
    let r = start(which, BLOCK_AND_MIRROR);
    let (h1, h2, h3) = (r.host(1), r.host(2), r.host(3));
    let (a1, a2, a3) = (r.addr(1, 100), r.addr(2, 100), r.addr(3, 100));
    let _l1 = listen(h2, 5001);
    let _l2 = listen(h2, 5005);
    let blocked = tcp_connects(h1, a2, 5001);
    let other = tcp_connects(h1, a2, 5005);
    let ping = pings(h1, a2);
    // Every host learned: nothing is flooded any more.
    assert!(pings(h3, a2) && pings(h3, a1));
    // Both directions of a ping between h1 and h2, as the tap sees them; none of h2<->h3.
    let cap = Capture::start(None, &r.far_end(4), "icmp");
    assert!(h1.ping(a2, 3, Duration::from_secs(3)));
    assert!(h2.ping(a3, 2, Duration::from_secs(3)));
    let lines = cap.stop();
    (
        blocked,
        other,
        ping,
        count(&lines, &format!("{a1} > {a2}: ICMP echo request")),
        count(&lines, &format!("{a2} > {a1}: ICMP echo reply")),
        lines.len(),
    )
}

#[test]
fn tcp_to_a_blocked_port_fails_while_ping_and_other_ports_work_and_the_mirror_sees_both_ways() {
    let (blocked, other, ping, requests, replies, all) = block_and_mirror(Which::Sluice);
    assert!(!blocked, "TCP to 5001 got through the ACL");
    assert!(other, "TCP to 5005 was blocked");
    assert!(ping, "ping was blocked");
    assert_eq!(
        (requests, replies),
        (3, 3),
        "the tap saw each direction once"
    );
    assert_eq!(all, 6, "the tap saw traffic of other ports");
}

/// Port 1's ACL rewrites and tags UDP by destination port; the trunk's swaps and pops; port
/// 5 is the capture port.
const VLAN_ACTIONS: &str = r#"
acls:
  from-h1:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 7001, actions: {output: {vlan_vid: 300, port: 5}}}
    - rule:
        dl_type: 0x800
        nw_proto: 17
        udp_dst: 7002
        actions:
          output:
            set_fields: [{eth_dst: "0e:00:00:00:07:02"}, {ipv4_dst: 10.99.0.2}]
            port: 5
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 7005, actions: {output: {vlan_vids: [301, 302], port: 5}}}
    - rule: {actions: {allow: 1}}
  from-trunk:
    - rule: {vlan_vid: 100, dl_type: 0x800, nw_proto: 17, udp_dst: 7003, actions: {output: {swap_vid: 200, port: 5}}}
    - rule: {vlan_vid: 100, dl_type: 0x800, nw_proto: 17, udp_dst: 7004, actions: {output: {pop_vlans: 1, port: 5}}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x52
    interfaces:
      1: {name: h1, native_vlan: office, acls_in: [from-h1]}
      2: {name: h2, native_vlan: office}
      3: {name: trunk, tagged_vlans: [office], acls_in: [from-trunk]}
      5: {name: cap}
"#;

/// The captured line of each UDP port's datagram, cut to what the actions change (the
/// addresses and tags), with the capture's timestamps left out.
fn vlan_actions(which: Which) -> Vec<(u16, String)> {
    let r = start(which, VLAN_ACTIONS);
    let (h1, trunk) = (r.host(1), r.host(3));
    let a2 = r.addr(2, 100);
    assert!(pings(h1, a2) && pings(trunk, a2));
    let cap = Capture::start(None, &r.far_end(5), "udp or vlan");
    for port in [7001, 7002, 7005] {
        udp(h1, a2, port);
    }
    for port in [7003, 7004] {
        udp(trunk, a2, port);
    }
    let lines = cap.stop();
    [7001, 7002, 7003, 7004, 7005]
        .into_iter()
        .map(|port| {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!(".{port}:")))
                .map_or(String::new(), |l| {
                    // Drop the timestamp; keep MACs, tags and addresses.
                    l.split_once(' ')
                        .map_or(l.as_str(), |(_, rest)| rest)
                        .to_string()
                });
            (port, line)
        })
        .collect()
}

#[test]
fn vlan_push_pop_swap_and_set_fields_show_in_a_capture() {
    let seen = vlan_actions(Which::Sluice);
    let line = |port: u16| seen.iter().find(|(p, _)| *p == port).unwrap().1.clone();
    for (port, l) in &seen {
        assert!(!l.is_empty(), "nothing to {port} in the capture: {seen:#?}");
    }
    assert!(line(7001).contains("vlan 300"), "pushed: {}", line(7001));
    let set = line(7002);
    assert!(
        set.contains("0e:00:00:00:07:02") && set.contains("10.99.0.2.7002"),
        "rewritten: {set}"
    );
    assert!(!set.contains("vlan"), "{set}");
    let two = line(7005);
    assert!(
        two.contains("vlan 302") && two.contains("vlan 301"),
        "{two}"
    );
    assert!(line(7003).contains("vlan 200"), "swapped: {}", line(7003));
    assert!(!line(7004).contains("vlan"), "popped: {}", line(7004));
}

const METERED: &str = "
acls:
  limit:
    - rule:
        dl_type: 0x800
        nw_proto: 17
        actions: {allow: 1, meter: onemeg}
    - rule: {actions: {allow: 1}}
meters:
  onemeg:
    meter_id: 1
    entry:
      flags: [KBPS, BURST]
      bands: [{type: DROP, rate: 1000, burst_size: 100}]
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x53
    interfaces:
      1: {name: h1, native_vlan: office, acls_in: [limit]}
      2: {name: h2, native_vlan: office}
";

/// The receiver's rate of an iperf3 UDP flow sent at 10 Mbit/s, in bit/s.
fn iperf_udp(from: &Host, to: &Host, addr: Ipv4Addr) -> f64 {
    let _server = spawn_in(
        Some(to.ns()),
        &["iperf3", "-s", "-1", "-p", "5201"],
        Stdio::null(),
    );
    std::thread::sleep(Duration::from_millis(500));
    let out = from
        .exec(&[
            "iperf3",
            "-u",
            "-b",
            "10M",
            "-t",
            "4",
            "-p",
            "5201",
            "-c",
            &addr.to_string(),
        ])
        .unwrap();
    // The summary's receiver line: "... <rate> Mbits/sec ... receiver".
    let line = out
        .lines()
        .find(|l| l.contains("receiver"))
        .unwrap_or_else(|| panic!("no receiver summary:\n{out}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| w.ends_with("bits/sec")).unwrap();
    let value: f64 = words[i - 1].parse().unwrap();
    let unit = match words[i].chars().next() {
        Some('K') => 1e3,
        Some('M') => 1e6,
        Some('G') => 1e9,
        _ => 1.0,
    };
    value * unit
}

#[test]
fn a_meter_holds_a_udp_flow_sent_at_ten_times_its_rate() {
    let r = start(Which::Sluice, METERED);
    let (h1, h2) = (r.host(1), r.host(2));
    let a2 = r.addr(2, 100);
    assert!(pings(h1, a2));
    let rate = iperf_udp(h1, h2, a2);
    // 1,000 kbit/s of Ethernet frames; iperf counts UDP payload, a little less.
    assert!(
        (0.6e6..=1.2e6).contains(&rate),
        "received {rate} bit/s through a 1 Mbit/s meter"
    );
    // The other way is not metered.
    let back = iperf_udp(h2, h1, r.addr(1, 100));
    assert!(back > 5e6, "unmetered direction got only {back} bit/s");
}

/// The office VLAN's egress ACL drops ICMP: nothing pings, TCP still works.
const EGRESS: &str = "
acls:
  no-icmp-out:
    - rule: {dl_type: 0x800, nw_proto: 1, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100, acls_out: [no-icmp-out]}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 0x54
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h2, native_vlan: office}
      3: {name: g1, native_vlan: guest}
      4: {name: g2, native_vlan: guest}
";

/// (h1 pings h2, h1 connects to h2, h2 pings h1, guest hosts ping).
fn egress(which: Which) -> (bool, bool, bool, bool) {
    let r = start(which, EGRESS);
    let (h1, h2) = (r.host(1), r.host(2));
    let a2 = r.addr(2, 100);
    let _l = listen(h2, 6000);
    (
        pings(h1, a2),
        tcp_connects(h1, a2, 6000),
        // Learned unicast (the TCP taught both hosts) goes through the egress ACL as well.
        pings(h2, r.addr(1, 100)),
        pings(r.host(3), r.addr(4, 200)),
    )
}

#[test]
fn an_egress_acl_drops_on_the_way_out() {
    let (ping, tcp, ping_back, guest) = egress(Which::Sluice);
    assert!(!ping, "ICMP left office through its egress ACL");
    assert!(tcp, "TCP was dropped too");
    assert!(
        !ping_back,
        "learned ICMP left office through its egress ACL"
    );
    assert!(guest, "another VLAN, without an egress ACL, was filtered");
}

const CONNTRACK: &str = "
acls:
  inside:
    - rule: {eth_type: 0x800, ct_state: 0/0x20, actions: {ct: {zone: 5, table: 0}}}
    - rule: {eth_type: 0x800, ct_state: 0x21/0x21, actions: {ct: {zone: 5, table: 1, flags: 1}, allow: 1}}
    - rule: {eth_type: 0x800, ct_state: 0x22/0x22, actions: {allow: 1}}
    - rule: {dl_type: 0x806, actions: {allow: 1}}
  outside:
    - rule: {eth_type: 0x800, ct_state: 0/0x20, actions: {ct: {zone: 5, table: 0}}}
    - rule: {eth_type: 0x800, ct_state: 0x22/0x22, ct_zone: 5, actions: {allow: 1}}
    - rule: {dl_type: 0x806, actions: {allow: 1}}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x55
    interfaces:
      1: {name: inside, native_vlan: office, acls_in: [inside]}
      2: {name: outside, native_vlan: office, acls_in: [outside]}
";

/// (inside connects out, pings out; outside connects in, pings in).
fn conntrack(which: Which) -> (bool, bool, bool, bool) {
    let r = start(which, CONNTRACK);
    let (inside, outside) = (r.host(1), r.host(2));
    let (ai, ao) = (r.addr(1, 100), r.addr(2, 100));
    let _l1 = listen(inside, 6001);
    let _l2 = listen(outside, 6002);
    (
        tcp_connects(inside, ao, 6002),
        pings(inside, ao),
        tcp_connects(outside, ai, 6001),
        pings(outside, ai),
    )
}

#[test]
fn conntrack_lets_in_only_replies() {
    let (out_tcp, out_ping, in_tcp, in_ping) = conntrack(Which::Sluice);
    assert!(out_tcp, "inside could not connect out");
    assert!(out_ping, "inside could not ping out");
    assert!(!in_tcp, "outside connected in");
    assert!(!in_ping, "outside pinged in");
}

/// Port 5 is a coprocessor: VID 1000 + N leaves port N.
const COPRO: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x56
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h2, native_vlan: office}
      5: {name: copro, coprocessor: {strategy: vlan_vid}}
";

/// Sends one Ethernet broadcast from `iface` (in the root namespace), tagged `vid`, with
/// source MAC `src`, as a coprocessor would (this kernel has no 802.1Q: a raw socket).
fn send_tagged(iface: &str, vid: u16, src: &str) {
    let py = format!(
        "import socket\n\
         s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n\
         s.bind(('{iface}', 0))\n\
         src = bytes.fromhex('{src}'.replace(':', ''))\n\
         tag = (0x8100).to_bytes(2, 'big') + ({vid}).to_bytes(2, 'big')\n\
         s.send(b'\\xff' * 6 + src + tag + (0x88b5).to_bytes(2, 'big') + b'coprocessor' * 5)\n"
    );
    sluice_lab::run("python3", &["-c", &py]).unwrap();
}

/// The frames port 2's and port 1's hosts got (ones that still carry a tag count as
/// such), after the coprocessor sent one tagged 1002.
fn coprocessor(which: Which) -> (usize, usize, usize) {
    let r = start(which, COPRO);
    let src = "0e:00:00:00:0c:05";
    let cap2 = Capture::start(Some(r.host(2).ns()), "eth0", "ether proto 0x88b5");
    let cap1 = Capture::start(Some(r.host(1).ns()), "eth0", "ether proto 0x88b5");
    send_tagged(&r.far_end(5), 1002, src);
    let (at2, at1) = (cap2.stop(), cap1.stop());
    (count(&at2, src), count(&at2, "vlan"), count(&at1, src))
}

#[test]
fn a_coprocessor_frame_tagged_base_plus_n_leaves_port_n() {
    let (at2, tagged, at1) = coprocessor(Which::Sluice);
    assert_eq!(at2, 1, "port 2 did not get it once");
    assert_eq!(tagged, 0, "the steering tag was not popped");
    assert_eq!(at1, 0, "port 1 got it too");
}

/// The single-switch coprocessing example (`examples/coprocessor.yaml`): port 13's traffic
/// is mirrored into a loopback cable (here a veth pair joining ports 12 and 11), comes back in
/// on port 11, whose ACL tags it 999 and sends it to the analyser on port 24; its first rule
/// guards against a frame coming round twice.
const COPRO_EXAMPLE: &str = include_str!("../../../examples/coprocessor.yaml");

fn coprocessing_example(which: Which) -> (usize, usize, usize) {
    let mut r = start(which, COPRO_EXAMPLE);
    r.loop_cable(11, 12);
    let a14 = r.addr(14, 100);
    let cap = Capture::start(None, &r.far_end(24), "vlan 999 and icmp");
    assert!(r.host(13).ping(a14, 3, Duration::from_secs(3)));
    let lines = cap.stop();
    (
        lines.len(),
        count(&lines, "echo request"),
        count(&lines, "echo reply"),
    )
}

#[test]
fn the_single_switch_coprocessing_example() {
    let (all, requests, replies) = coprocessing_example(Which::Sluice);
    assert_eq!(
        (requests, replies),
        (3, 3),
        "the analyser saw each ICMP once"
    );
    assert_eq!(all, 6, "and nothing else tagged 999");
}

/// Conntrack with NAT and a mark, masked fields, a meter, a failover group and VLAN
/// rewriting in one configuration.
const EVERYTHING: &str = r#"
acls:
  a:
    - rule: {eth_type: 0x800, ct_state: 0/0x20, actions: {ct: {zone: 5, table: 0}}}
    - rule:
        eth_type: 0x800
        ct_state: 0x21/0x21
        actions:
          allow: 1
          ct: {zone: 5, table: 1, flags: 1, mark: 7, nat: {flags: 1, range_ipv4_min: 10.1.0.1, range_ipv4_max: 10.1.0.5}}
    - rule: {eth_type: 0x800, ct_state: 0x22/0x22, ct_mark: 7, actions: {allow: 1, meter: m}}
    - rule: {tcp_dst: 0x1000/0xf000, ipv6_src: "fc00::/64", actions: {allow: 0}}
    - rule: {eth_src: "0e:00:00:00:00:00/ff:ff:ff:00:00:00", actions: {output: {failover: {group_id: 7, ports: [2, 3]}}}}
    - rule: {udp_dst: 53, actions: {output: [{vlan_vid: 300}, {port: 3}, {pop_vlans: 1}, {port: 2}]}}
    - rule: {actions: {allow: 1}}
meters:
  m:
    meter_id: 3
    entry: {flags: [KBPS, BURST], bands: [{type: DROP, rate: 2000, burst_size: 200}]}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x58
    interfaces:
      1: {name: h1, native_vlan: office, acls_in: [a]}
      2: {name: h2, native_vlan: office}
      3: {name: h3, native_vlan: office}
"#;

#[test]
fn a_restarted_controller_finds_every_acl_flow_group_and_meter_in_place() {
    preflight();
    let config = sluice_config::load_str(EVERYTHING).unwrap().config;
    let port = free_port();
    let (first, target) = controller_on(Which::Sluice, EVERYTHING, port);
    let lab = Lab::build(&config, &target).unwrap();
    let mut r = Running {
        lab,
        extra: Vec::new(),
        ctl: Some(first),
    };
    r.settle();
    let flows = r.bridge().ofctl("dump-flows", &["--no-stats"]).unwrap();
    assert!(
        flows.contains("ct(commit,table=1,zone=5,nat(src=10.1.0.1-10.1.0.5)"),
        "{flows}"
    );
    assert!(
        flows.contains("meter:3") && flows.contains("group:7"),
        "{flows}"
    );
    // The controller stops; a new one on the same port reads the switch's flows, groups and
    // meters, and finds nothing to change.
    r.ctl = None;
    let (second, _) = controller_on(Which::Sluice, EVERYTHING, port);
    let log = second._dir.path().join("controller.log");
    r.ctl = Some(second);
    let until = Instant::now() + Duration::from_secs(20);
    let line = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(l) = text.lines().find(|l| l.contains("programming:")) {
            break l.to_string();
        }
        assert!(
            Instant::now() < until,
            "the switch did not reconnect:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(line.contains(" 0 changes"), "{line}");
}

// ===== side by side with FAUCET =====

/// Runs `scenario` under both controllers and requires the same outcome; prints why when
/// FAUCET is not installed (there is then nothing to compare with).
fn same_under_faucet<T: PartialEq + std::fmt::Debug>(scenario: fn(Which) -> T) {
    if faucet_venv().is_none() {
        println!("FAUCET is not installed (no venv with bin/faucet): nothing to compare with");
        return;
    }
    let ours = scenario(Which::Sluice);
    let theirs = scenario(Which::Faucet);
    assert_eq!(ours, theirs, "sluice (left) and FAUCET (right) differ");
}

#[test]
fn faucet_agrees_on_blocking_and_mirroring() {
    same_under_faucet(block_and_mirror);
}

#[test]
fn faucet_agrees_on_the_coprocessing_example() {
    same_under_faucet(coprocessing_example);
}

#[test]
fn faucet_agrees_on_vlan_actions_in_captures() {
    same_under_faucet(vlan_actions);
}

#[test]
fn faucet_agrees_on_egress_acls_conntrack_and_coprocessor_steering() {
    same_under_faucet(egress);
    same_under_faucet(conntrack);
    same_under_faucet(coprocessor);
}
