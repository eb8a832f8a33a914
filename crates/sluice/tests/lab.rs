//! What a user of `sluice lab` sees, on real Open vSwitch (userspace datapath) with hosts in
//! network namespaces and the controller in-process: VLANs separate hosts, a trunk host
//! reaches each of its VLANs, learning installs FAUCET's two flows per host, a moved host is
//! relearned, a port going down flushes its hosts, unknown unicast floods only within its
//! VLAN, and the `sluice lab --check` binary passes on the example configurations and cleans
//! up after itself, also when stopped by a signal.
//!
//! Needs root and Open vSwitch (`scripts/test` installs and starts it); without them every
//! test fails saying so. Each test builds its own lab under a unique prefix and its
//! controller listens on a port of its own, so they run side by side.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::lab::{Capture, Running, eventually, preflight, start};
use sluice_lab::{Bridge, Endpoint, Host, run};
use sluice_runtime::Notification;

/// Table numbers of a DP without ACLs or routing (FAUCET's smallest layout).
const ETH_SRC: u8 = 1;
const ETH_DST: u8 = 2;

/// Three office hosts, two guests, and a trunk carrying both VLANs tagged.
const OFFICE: &str = "
vlans:
  office: {vid: 100}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h2, native_vlan: office}
      3: {name: h3, native_vlan: office}
      4: {name: g1, native_vlan: guest}
      5: {name: g2, native_vlan: guest}
      6: {name: trunk, tagged_vlans: [office, guest]}
";

impl Running {
    fn bridge(&self) -> &Bridge {
        self.lab.bridge(1).unwrap()
    }

    fn host(&self, port: u32) -> &Host {
        self.lab.host(1, port).unwrap()
    }

    fn endpoint(&self, port: u32, vid: u16) -> Endpoint {
        self.lab.endpoint(1, port, vid).unwrap().clone()
    }

    /// The flows of `table` that match `field=mac` (`dl_src` or `dl_dst`).
    fn flows_of(&self, table: u8, field: &str, mac: impl std::fmt::Display) -> Vec<String> {
        let needle = format!("{field}={mac}");
        self.bridge()
            .flows(table)
            .unwrap()
            .into_iter()
            .filter(|f| f.contains(&needle))
            .collect()
    }
}

/// A ping that gets several chances (a host that just moved may lose the first).
fn pings(host: &Host, from: Option<Ipv4Addr>, to: Ipv4Addr) -> bool {
    let src = from.map(|a| a.to_string());
    for _ in 0..5 {
        let mut args = vec!["ping", "-n", "-q", "-c", "1", "-W", "1"];
        if let Some(s) = &src {
            args.extend(["-I", s.as_str()]);
        }
        let to = to.to_string();
        args.push(&to);
        if host.exec(&args).is_ok() {
            return true;
        }
    }
    false
}

#[test]
fn hosts_in_one_vlan_reach_each_other_and_not_other_vlans() {
    let r = start(OFFICE);
    let m = r.lab.matrix();
    assert!(m.as_expected(), "{m}");
    let untagged = ["h1", "h2", "h3", "g1", "g2"];
    for a in untagged {
        for b in untagged {
            if a == b {
                continue;
            }
            let same_vlan = a.as_bytes()[0] == b.as_bytes()[0];
            let reach = m.by_label(a, b).unwrap();
            assert_eq!(reach.measured, same_vlan, "{a} -> {b}\n{m}");
        }
    }
}

#[test]
fn a_tagged_trunk_host_reaches_each_of_its_vlans() {
    // Port 4 carries two VLANs tagged; port 5 one untagged and one tagged.
    let r = start(
        "
vlans:
  office: {vid: 100}
  guest: {vid: 200}
  lab: {vid: 300}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: g1, native_vlan: guest}
      3: {name: l1, native_vlan: lab}
      4: {name: trunk, tagged_vlans: [office, guest]}
      5: {name: mixed, native_vlan: lab, tagged_vlans: [guest]}
",
    );
    let m = r.lab.matrix();
    assert!(m.as_expected(), "{m}");
    let reaches = |a: &str, b: &str| m.by_label(a, b).unwrap().measured;
    for (trunk, peers, others) in [
        (
            "trunk.100",
            &["h1"][..],
            &["g1", "l1", "mixed.200", "mixed.300"][..],
        ),
        (
            "trunk.200",
            &["g1", "mixed.200"][..],
            &["h1", "l1", "mixed.300"][..],
        ),
        (
            "mixed.200",
            &["g1", "trunk.200"][..],
            &["h1", "l1", "trunk.100"][..],
        ),
        (
            "mixed.300",
            &["l1"][..],
            &["h1", "g1", "trunk.100", "trunk.200"][..],
        ),
    ] {
        for p in peers {
            assert!(reaches(trunk, p), "{trunk} should reach {p}\n{m}");
            assert!(reaches(p, trunk), "{p} should reach {trunk}\n{m}");
        }
        for o in others {
            assert!(!reaches(trunk, o), "{trunk} should not reach {o}\n{m}");
        }
    }
}

#[test]
fn learning_installs_two_flows_per_host() {
    let r = start(OFFICE);
    let (e1, e2) = (r.endpoint(1, 100), r.endpoint(2, 100));
    let src_before = r.bridge().flows(ETH_SRC).unwrap().len();
    let dst_before = r.bridge().flows(ETH_DST).unwrap().len();
    for e in [&e1, &e2] {
        assert!(r.flows_of(ETH_SRC, "dl_src", e.mac).is_empty());
        assert!(r.flows_of(ETH_DST, "dl_dst", e.mac).is_empty());
    }

    assert!(r.host(1).ping(e2.addr, 1, Duration::from_secs(2)));
    eventually("both hosts' flows", || {
        [&e1, &e2].iter().all(|e| {
            !r.flows_of(ETH_SRC, "dl_src", e.mac).is_empty()
                && !r.flows_of(ETH_DST, "dl_dst", e.mac).is_empty()
        })
    });
    for (e, port) in [(&e1, 1), (&e2, 2)] {
        // FAUCET's pair: the source is known on its port (hard timeout, so it is
        // re-confirmed), and frames to it go out of that port (idle timeout).
        let src = r.flows_of(ETH_SRC, "dl_src", e.mac);
        assert_eq!(src.len(), 1, "{src:#?}");
        assert!(src[0].contains(&format!("in_port={port}")), "{}", src[0]);
        assert!(src[0].contains("hard_timeout="), "{}", src[0]);
        let dst = r.flows_of(ETH_DST, "dl_dst", e.mac);
        assert_eq!(dst.len(), 1, "{dst:#?}");
        assert!(dst[0].contains(&format!("output:{port}")), "{}", dst[0]);
        assert!(dst[0].contains("idle_timeout="), "{}", dst[0]);
    }
    // Nothing else was learned: the other hosts are quiet.
    assert_eq!(r.bridge().flows(ETH_SRC).unwrap().len(), src_before + 2);
    assert_eq!(r.bridge().flows(ETH_DST).unwrap().len(), dst_before + 2);
}

#[test]
fn a_host_moved_to_another_port_is_relearned() {
    let mut r = start(OFFICE);
    let (e1, e3) = (r.endpoint(1, 100), r.endpoint(3, 100));
    assert!(pings(r.host(3), None, e1.addr));
    r.wait_for(
        "h1 learned on port 1",
        |n| matches!(n, Notification::HostLearned { mac, port: 1, .. } if *mac == e1.mac),
    );

    // The host moves to port 2 while port 1 stays up: h1's namespace falls silent and the
    // host behind port 2 takes over its MAC and address.
    r.host(1).ip(&["addr", "flush", "dev", "eth0"]).unwrap();
    let h2 = r.host(2);
    h2.ip(&["link", "set", "eth0", "down"]).unwrap();
    h2.ip(&["link", "set", "eth0", "address", &e1.mac.to_string()])
        .unwrap();
    h2.ip(&["link", "set", "eth0", "up"]).unwrap();
    h2.ip(&["addr", "add", &format!("{}/24", e1.addr), "dev", "eth0"])
        .unwrap();

    assert!(
        pings(h2, Some(e1.addr), e3.addr),
        "the moved host cannot reach h3"
    );
    let n = r.wait_for(
        "h1's MAC relearned on port 2",
        |n| matches!(n, Notification::HostLearned { mac, port: 2, .. } if *mac == e1.mac),
    );
    let Notification::HostLearned { moved_from, .. } = n else {
        unreachable!()
    };
    assert_eq!(moved_from, Some(1), "{n}");
    // Traffic to it now goes to port 2.
    assert!(
        pings(r.host(3), None, e1.addr),
        "h3 cannot reach the moved host"
    );
    let dst = r.flows_of(ETH_DST, "dl_dst", e1.mac);
    assert!(
        dst.len() == 1 && dst[0].contains("output:2"),
        "eth_dst flows for the moved host: {dst:#?}"
    );
}

#[test]
fn a_port_set_down_flushes_its_hosts() {
    let mut r = start(OFFICE);
    let (e1, e2) = (r.endpoint(1, 100), r.endpoint(2, 100));
    assert!(r.host(1).ping(e2.addr, 1, Duration::from_secs(2)));
    eventually("h1's flows", || {
        !r.flows_of(ETH_SRC, "dl_src", e1.mac).is_empty()
            && !r.flows_of(ETH_DST, "dl_dst", e1.mac).is_empty()
    });

    let iface = r.lab.port_iface(1, 1).unwrap().to_string();
    run("ip", &["link", "set", &iface, "down"]).unwrap();
    r.wait_for(
        "h1 forgotten",
        |n| matches!(n, Notification::HostExpired { mac, port: 1, .. } if *mac == e1.mac),
    );
    eventually("h1's flows to go", || {
        r.flows_of(ETH_SRC, "dl_src", e1.mac).is_empty()
            && r.flows_of(ETH_DST, "dl_dst", e1.mac).is_empty()
    });
    // Hosts on other ports stay.
    assert_eq!(r.flows_of(ETH_SRC, "dl_src", e2.mac).len(), 1);
    assert_eq!(r.flows_of(ETH_DST, "dl_dst", e2.mac).len(), 1);
}

#[test]
fn unknown_unicast_floods_only_within_its_vlan() {
    let r = start(OFFICE);
    // A MAC nobody has, reached through a static ARP entry for an address nobody has.
    let nobody = "0a:ee:ee:ee:ee:01";
    let ghost = Ipv4Addr::new(10, 0, 100, 200);
    let h1 = r.host(1);
    h1.ip(&[
        "neigh",
        "add",
        &ghost.to_string(),
        "lladdr",
        nobody,
        "dev",
        "eth0",
        "nud",
        "permanent",
    ])
    .unwrap();
    let same_vlan = [
        ("h2", Capture::start(r.host(2), "eth0", nobody)),
        ("trunk.100", Capture::start(r.host(6), "eth0.100", nobody)),
    ];
    let other_vlan = [
        ("g1", Capture::start(r.host(4), "eth0", nobody)),
        ("trunk.200", Capture::start(r.host(6), "eth0.200", nobody)),
    ];

    assert!(
        !h1.ping(ghost, 3, Duration::from_secs(1)),
        "nobody should answer"
    );
    // The same flood action delivers to every port of the VLAN at once, so once the
    // office hosts have all three frames, the guests have had theirs, if any.
    eventually("the office hosts to see the three frames", || {
        same_vlan.iter().all(|(_, c)| c.count() >= 3)
    });
    std::thread::sleep(Duration::from_millis(300));
    for (name, c) in &other_vlan {
        assert_eq!(
            c.count(),
            0,
            "{name} (other VLAN) saw unknown unicast: {:?}",
            c.lines.lock().unwrap()
        );
    }
    for (name, c) in &same_vlan {
        let lines = c.lines.lock().unwrap();
        assert!(
            lines.iter().all(|l| l.contains(&ghost.to_string())),
            "{name}: {lines:?}"
        );
    }
}

// --- The binary ---------------------------------------------------------------------------

/// The repository's example configurations that `sluice lab --check` must pass: every one,
/// stacking included.
fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// What `sluice lab` made, by the prefix it printed, that still exists.
fn leftovers(stdout: &str) -> Vec<String> {
    let Some(prefix) = stdout
        .lines()
        .find_map(|l| l.split("(prefix ").nth(1))
        .map(|p| p.trim_end_matches(')').to_string())
    else {
        return vec!["(no prefix printed)".into()];
    };
    let netns = run("ip", &["netns", "list"]).unwrap_or_default();
    let links = run("ip", &["-br", "link"]).unwrap_or_default();
    let bridges = run("ovs-vsctl", &["list-br"]).unwrap_or_default();
    netns
        .lines()
        .chain(links.lines())
        .chain(bridges.lines())
        .filter(|l| l.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn sluice_lab_check_passes_on_the_examples_and_cleans_up() {
    preflight();
    let mut runs: Vec<Option<PathBuf>> = examples().into_iter().map(Some).collect();
    assert!(!runs.is_empty(), "no example configurations found");
    runs.push(None); // the built-in example
    let handles: Vec<_> = runs
        .into_iter()
        .map(|config| {
            std::thread::spawn(move || {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
                cmd.args(["lab", "--check"]);
                if let Some(c) = &config {
                    cmd.arg(c);
                }
                let out = cmd.output().unwrap();
                (config, out)
            })
        })
        .collect();
    for h in handles {
        let (config, out) = h.join().unwrap();
        let name = config.map_or("the built-in example".into(), |c| c.display().to_string());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "sluice lab --check {name}: {}\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("as expected"), "{name}:\n{stdout}");
        let left = leftovers(&stdout);
        assert!(left.is_empty(), "{name} left {left:?}");
    }
}

#[test]
fn sluice_lab_cleans_up_on_sigterm() {
    preflight();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("lab")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while !line.starts_with("running") {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("sluice lab ended before running:\n{seen}");
        }
        seen.push_str(&line);
    }
    assert!(leftovers(&seen).len() > 2, "the lab should exist now");
    run("kill", &["-TERM", &child.id().to_string()]).unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(status.success(), "{status}\n{seen}{rest}");
    assert!(rest.contains("lab deleted"), "{rest}");
    let left = leftovers(&seen);
    assert!(left.is_empty(), "left behind: {left:?}");
}
