//! Live operations on real Open vSwitch, as an operator does them to a running `sluice run`:
//! a continuous ping (100 packets a second) between two namespace hosts loses no packet
//! across warm reloads (SIGHUP after an edit), a reload to a broken configuration, a
//! `kill -9` of the controller and a restart, and the switch's controller connection cut and
//! restored; and two controllers, the primary killed, the backup taking over.
//!
//! Needs root and Open vSwitch (`scripts/test` installs and starts it).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Sluice, free_port, signal};
use sluice_lab::{Host, Lab};

/// Two office hosts, a third port that the reloads move between VLANs, and a guest.
const CONFIG: &str = "
vlans:
  office: {vid: 100}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 0x1ce
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h2, native_vlan: office}
      3: {name: h3, native_vlan: office}
      4: {name: g1, native_vlan: guest}
";

/// `CONFIG` with port 3 in the guest VLAN instead.
fn moved() -> String {
    CONFIG.replace(
        "3: {name: h3, native_vlan: office}",
        "3: {name: h3, native_vlan: guest}",
    )
}

/// A ping at 100 packets a second, running until stopped.
struct Pinger(Child);

impl Pinger {
    fn start(from: &Host, to: std::net::Ipv4Addr) -> Pinger {
        let to = to.to_string();
        let child = from
            .command(&["ping", "-n", "-i", "0.01", "-W", "1", &to])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Pinger(child)
    }

    /// Stops the ping; returns (sent, received), counting as sent only the requests up to the
    /// last one answered: the few sent in the last milliseconds may still be on their way
    /// when ping stops (SIGINT ends it at once), and are not losses. Every test stops the ping
    /// 300 ms after its last operation, so a loss the operation caused is never among them.
    fn stop(mut self) -> (u32, u32) {
        signal(self.0.id(), "INT");
        let mut out = String::new();
        self.0
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let _ = self.0.wait();
        // "1234 packets transmitted, 1234 received, ..."
        let stats = out
            .lines()
            .find(|l| l.contains("packets transmitted"))
            .unwrap_or_else(|| panic!("no ping statistics in:\n{out}"));
        let transmitted = stats
            .split(|c: char| !c.is_ascii_digit())
            .find_map(|w| w.parse::<u32>().ok())
            .unwrap();
        // One line per reply: "64 bytes from 10.0.0.2: icmp_seq=17 ttl=64 time=0.3 ms".
        let mut answered: Vec<u32> = out
            .lines()
            .filter_map(|l| l.split("icmp_seq=").nth(1))
            .filter_map(|r| r.split(' ').next()?.parse().ok())
            .collect();
        answered.sort_unstable();
        answered.dedup();
        let last = answered.last().copied().unwrap_or(0);
        assert!(
            transmitted - last <= 3,
            "the last {} requests went unanswered:\n{out}",
            transmitted - last
        );
        (last, u32::try_from(answered.len()).unwrap())
    }
}

/// A running controller on a lab built from `CONFIG`, with h1 and h2 learned.
struct Setup {
    lab: Lab,
    sluice: Sluice,
    config: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        if let Err(e) = sluice_lab::preflight() {
            panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("faucet.yaml");
        std::fs::write(&config, CONFIG).unwrap();
        let port = free_port();
        let sluice = Sluice::start(&config, port);
        let cfg = sluice_config::load_str(CONFIG).unwrap().config;
        let lab = Lab::build(&cfg, &format!("tcp:127.0.0.1:{port}")).unwrap();
        sluice.wait_for("up:", 1);
        let s = Setup {
            lab,
            sluice,
            config,
            port,
            _dir: dir,
        };
        let to = s.addr(2);
        assert!(
            s.host(1).ping(to, 3, Duration::from_secs(5)),
            "h1 reaches h2"
        );
        s
    }

    fn host(&self, port: u32) -> &Host {
        self.lab.host(0x1ce, port).unwrap()
    }

    fn addr(&self, port: u32) -> std::net::Ipv4Addr {
        self.lab
            .endpoints()
            .iter()
            .find(|e| e.port == port)
            .unwrap()
            .addr
    }

    /// Rewrites the configuration file and sends SIGHUP.
    fn reload(&self, yaml: &str) {
        std::fs::write(&self.config, yaml).unwrap();
        signal(self.sluice.pid(), "HUP");
    }
}

#[test]
fn warm_reloads_and_a_broken_config_lose_no_packet() {
    let s = Setup::new();
    let ping = Pinger::start(s.host(1), s.addr(2));
    std::thread::sleep(Duration::from_millis(300));
    let other = moved();
    for i in 0..10 {
        s.reload(if i % 2 == 0 { &other } else { CONFIG });
        s.sluice.wait_for("reconfigured: warm", i + 1);
        std::thread::sleep(Duration::from_millis(100));
    }
    s.reload("dps: {sw1: {dp_id: 0x1ce, interfaces: {1: {native_vlan: nosuchvlan}}}}\n");
    s.sluice.wait_for("configuration rejected", 1);
    std::thread::sleep(Duration::from_millis(300));
    let (sent, received) = ping.stop();
    assert!(sent >= 100, "only {sent} pings were sent");
    assert_eq!(received, sent, "pings lost across reloads");
    // After the ten reloads port 3 is back in the office VLAN: h1 reaches it.
    assert!(s.host(1).ping(s.addr(3), 3, Duration::from_secs(5)));
    // The broken configuration changed nothing.
    assert_eq!(s.sluice.count("reconfigured: warm"), 10);
}

#[test]
fn a_killed_controller_restarted_and_a_cut_connection_lose_no_packet() {
    let Setup {
        lab,
        sluice,
        config,
        port,
        _dir,
    } = Setup::new();
    let host = |p| lab.host(0x1ce, p).unwrap();
    let addr = |p: u32| lab.endpoints().iter().find(|e| e.port == p).unwrap().addr;
    let ping = Pinger::start(host(1), addr(2));
    std::thread::sleep(Duration::from_millis(300));

    // kill -9, then a new controller on the same address: the switch keeps forwarding on its
    // own meanwhile, and the new controller adopts its flows rather than replacing them.
    sluice.kill();
    std::thread::sleep(Duration::from_millis(500));
    let sluice = Sluice::start(&config, port);
    sluice.wait_for("up:", 1);
    sluice.wait_for("0 changes from what it held", 1);

    // The controller connection is cut for a second (the bridge pointed at a closed port),
    // then restored.
    let bridge = lab.bridge(0x1ce).unwrap();
    bridge
        .set_controller(&format!("tcp:127.0.0.1:{}", free_port()))
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    bridge
        .set_controller(&format!("tcp:127.0.0.1:{port}"))
        .unwrap();
    sluice.wait_for("up:", 2);
    std::thread::sleep(Duration::from_millis(300));

    let (sent, received) = ping.stop();
    assert!(sent >= 100, "only {sent} pings were sent");
    assert_eq!(
        received, sent,
        "pings lost across the restart and the reconnect"
    );
    assert_eq!(
        sluice.count("0 changes from what it held"),
        2,
        "nothing to change"
    );
}

/// The role OVS reports for each of a bridge's controllers, by target.
fn roles(bridge: &str) -> Vec<(String, String)> {
    let out = sluice_lab::run(
        "ovs-vsctl",
        &[
            "--format=csv",
            "--data=bare",
            "--no-headings",
            "--columns=target,role",
            "list",
            "controller",
        ],
    )
    .unwrap_or_default();
    let targets = sluice_lab::run("ovs-vsctl", &["get-controller", bridge]).unwrap_or_default();
    out.lines()
        .filter_map(|l| l.split_once(','))
        .filter(|(t, _)| targets.lines().any(|x| x.trim() == *t))
        .map(|(t, r)| (t.to_string(), r.to_string()))
        .collect()
}

#[test]
fn the_backup_takes_over_when_the_primary_dies() {
    let Setup {
        lab,
        sluice,
        config,
        port,
        _dir,
    } = Setup::new();
    // Replace the plain controller with a primary on the same address, and add a backup.
    sluice.kill();
    let primary = Sluice::start_with(&config, port, &["--ha-role", "primary"]);
    let backup_port = free_port();
    let peer = format!("127.0.0.1:{port}");
    let backup = Sluice::start_with(
        &config,
        backup_port,
        &["--ha-role", "backup", "--ha-peer", &peer],
    );
    let bridge = lab.bridge(0x1ce).unwrap();
    let (a, b) = (
        format!("tcp:127.0.0.1:{port}"),
        format!("tcp:127.0.0.1:{backup_port}"),
    );
    sluice_lab::run("ovs-vsctl", &["set-controller", bridge.name(), &a, &b]).unwrap();
    primary.wait_for("master of the switch", 1);
    let until = Instant::now() + Duration::from_secs(15);
    let want = |r: &[(String, String)], master: &str| {
        r.iter().any(|(t, role)| t == master && role == "master")
            && r.iter().any(|(t, role)| t != master && role == "slave")
    };
    while !want(&roles(bridge.name()), &a) {
        assert!(
            Instant::now() < until,
            "roles: {:?}\nbackup's log:\n{}",
            roles(bridge.name()),
            backup.log.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let host = |p| lab.host(0x1ce, p).unwrap();
    let addr = |p: u32| lab.endpoints().iter().find(|e| e.port == p).unwrap().addr;
    let ping = Pinger::start(host(1), addr(2));
    std::thread::sleep(Duration::from_millis(300));
    primary.kill();
    backup.wait_for("master of the switch", 1);
    backup.wait_for("up:", 1);
    let until = Instant::now() + Duration::from_secs(15);
    // (The dead primary's connection has no role.)
    let master = |r: &[(String, String)]| r.iter().any(|(t, role)| *t == b && role == "master");
    while !master(&roles(bridge.name())) {
        assert!(
            Instant::now() < until,
            "roles: {:?}\n{}\nbackup's log:\n{}",
            roles(bridge.name()),
            sluice_lab::run("ovs-vsctl", &["list", "controller"]).unwrap_or_default(),
            backup.log.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The backup learns: a host never seen before is reachable.
    assert!(
        host(3).ping(addr(1), 3, Duration::from_secs(5)),
        "h3 reaches h1"
    );
    std::thread::sleep(Duration::from_millis(300));
    let (sent, received) = ping.stop();
    assert!(sent >= 100, "only {sent} pings were sent");
    assert_eq!(received, sent, "pings lost across the takeover");
    drop(backup);
}
