//! Remote mirroring on real Open vSwitch, as a user runs it: `sluice lab` on two stacked
//! switches whose host on sw2 port 3 is mirrored to the analyser on sw1 port 12, in both forms:
//! FAUCET's (`examples/remote-mirror.yaml`: port 3 mirrored to a loopback plug on sw2 port 5,
//! whose ACL tunnels the copies) and sluice's one-pass form without a plug
//! (`examples/remote-mirror-direct.yaml`). Both directions of the mirrored host's traffic
//! appear at the analyser, untagged, once each; other hosts' traffic does not; no host sees a
//! tagged frame; pings are unaffected.
//!
//! Needs root, Open vSwitch and tcpdump (`scripts/test` installs them).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::lab::Capture;

/// `sluice lab` running a configuration until told to stop.
struct LabProcess {
    child: Child,
    prefix: String,
}

impl LabProcess {
    /// Starts `sluice lab CONFIG` and returns once its reachability matrix is measured.
    fn start(config: &Path) -> LabProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["lab", "--duration", "120"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut prefix, mut line) = (None, String::new());
        loop {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "sluice lab ended early"
            );
            if let Some(p) = line.split("(prefix ").nth(1) {
                prefix = Some(p.trim().trim_end_matches(')').to_string());
            }
            assert!(!line.contains("not as expected"), "{line}");
            if line.starts_with("as expected") {
                break;
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        LabProcess {
            child,
            prefix: prefix.expect("sluice lab printed its prefix"),
        }
    }

    fn netns(&self, dp: &str, port: &str) -> String {
        format!("{}-{dp}-{port}", self.prefix)
    }

    /// The far end of the veth on port `port` of the `index`-th DP (a port with nothing
    /// behind it: the analyser's cable).
    fn far_end(&self, index: usize, port: u32) -> String {
        format!("{}{index}p{port}n", self.prefix)
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        stop(&mut self.child, "INT");
    }
}

/// Signals a child we started (by PID) and waits for it; quiet if it has already ended.
fn stop(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

fn ping(netns: &str, to: &str, count: u32) -> bool {
    Command::new("ip")
        .args([
            "netns", "exec", netns, "ping", "-n", "-q", "-i", "0.2", "-W", "1", "-c",
        ])
        .arg(count.to_string())
        .arg(to)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// One lab at a time: each is two switches and a controller on a small machine.
static ONE_LAB: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_mirrored_hosts_traffic_reaches_the_analyser_on_another_switch() {
    mirrored_traffic_reaches_the_analyser("remote-mirror.yaml");
}

#[test]
fn a_remote_mirror_without_a_loopback_plug_does_the_same_in_one_pass() {
    mirrored_traffic_reaches_the_analyser("remote-mirror-direct.yaml");
}

fn mirrored_traffic_reaches_the_analyser(example: &str) {
    let _one = ONE_LAB
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(example);
    let lab = LabProcess::start(&config);
    let analyser = Capture::here(&lab.far_end(0, 12), &["icmp"]);
    // Every host, watching for tagged frames (a tunnel's copies must never reach a host).
    let leaks: Vec<Capture> = [("sw1", "h1"), ("sw2", "h2"), ("sw2", "mirrored")]
        .into_iter()
        .map(|(dp, port)| Capture::in_netns(&lab.netns(dp, port), "eth0", &["vlan"]))
        .collect();
    // The mirrored host (10.0.100.3, sw2 port 3) pings h2 on its own switch, and h1 on sw1;
    // h1 and h2 ping each other, unmirrored.
    assert!(ping(&lab.netns("sw2", "mirrored"), "10.0.100.2", 5));
    assert!(ping(&lab.netns("sw2", "mirrored"), "10.0.100.1", 5));
    assert!(ping(&lab.netns("sw1", "h1"), "10.0.100.2", 5));
    let until = Instant::now() + Duration::from_secs(5);
    while analyser.count() < 20 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    // Each request and each reply once: in (as port 3 received it) and out (as sent to it).
    let lines = analyser.lines.lock().unwrap().clone();
    let count = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("10.0.100.3 > 10.0.100.2: ICMP echo request"),
        5,
        "{lines:#?}"
    );
    assert_eq!(
        count("10.0.100.2 > 10.0.100.3: ICMP echo reply"),
        5,
        "{lines:#?}"
    );
    assert_eq!(
        count("10.0.100.3 > 10.0.100.1: ICMP echo request"),
        5,
        "{lines:#?}"
    );
    assert_eq!(
        count("10.0.100.1 > 10.0.100.3: ICMP echo reply"),
        5,
        "{lines:#?}"
    );
    assert_eq!(
        count("10.0.100.1 > 10.0.100.2"),
        0,
        "unmirrored traffic: {lines:#?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains("802.1Q")),
        "copies arrive untagged: {lines:#?}"
    );
    for leak in &leaks {
        let seen = leak.lines.lock().unwrap().clone();
        assert!(seen.is_empty(), "a host saw tagged frames: {seen:#?}");
    }
}
