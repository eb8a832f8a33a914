//! Stacking on real Open vSwitch (userspace datapath): switches joined by veth cables as
//! stack links, hosts in network namespaces, the controller in-process. What a user sees:
//! every host reaches every other host of its VLAN across the stack (a ring of three, a tree
//! of four with a switch two hops from the root), a broadcast reaches each other host of its
//! VLAN exactly once (no storm on the ring), a cut stack link heals within three LLDP
//! intervals and the ring comes back whole, a link that stays up but falls silent is given up
//! after `max_lldp_lost` intervals, and when the root switch leaves the next one by priority
//! takes over until it returns. An ordinary switch outside the stack, cabled to two of its
//! switches on `loop_protect_external` ports, neither loops nor doubles a broadcast, and its
//! host stays reachable when one of its cables is cut and when it is back. A
//! `bi_directional` tunnel carries a device's tagged answers back to the port the tunnel
//! starts from, untagged. A VLAN with `edge_learn_stack_root: false` sends unicast over the
//! ring's link off the tree, and round by the root once that link is cut.
//!
//! Beacons go out every second (`lldp_beacon: {send_interval: 1}`) to keep the tests short.
//! The time from a cut to the matrix holding again, and from the root leaving to the new
//! root's notification, are printed (`--nocapture`) for the record, not asserted beyond the
//! three intervals.
//!
//! Needs root, Open vSwitch and tcpdump (`scripts/test` installs them); without them every
//! test fails saying so. Each test builds its own lab under a unique prefix.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::lab::{Capture, Running, start};
use sluice_lab::{Endpoint, Matrix, Veth, run};
use sluice_runtime::Notification;
use tokio::sync::broadcast;

/// The DPs' `lldp_beacon.send_interval` in the test configurations.
const INTERVAL: Duration = Duration::from_secs(1);

/// Three switches in a ring (sw1-sw2 on port 10, sw2-sw3 on 12, sw3-sw1 on 11). sw1 is the
/// root, sw2 next by priority, sw3 never. Office hosts on every switch (two on sw1), lab
/// hosts on sw1 and sw3 only.
const RING: &str = "
vlans:
  office: {vid: 100}
  lab: {vid: 200}
dps:
  sw1:
    dp_id: 0x1
    stack: {priority: 1}
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h1b, native_vlan: office}
      3: {name: l1, native_vlan: lab}
      10: {name: to-sw2, stack: {dp: sw2, port: 10}}
      11: {name: to-sw3, stack: {dp: sw3, port: 11}}
  sw2:
    dp_id: 0x2
    stack: {priority: 2}
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h2, native_vlan: office}
      10: {name: to-sw1, stack: {dp: sw1, port: 10}}
      12: {name: to-sw3, stack: {dp: sw3, port: 12}}
  sw3:
    dp_id: 0x3
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h3, native_vlan: office}
      3: {name: l3, native_vlan: lab}
      11: {name: to-sw1, stack: {dp: sw1, port: 11}}
      12: {name: to-sw2, stack: {dp: sw2, port: 12}}
";

/// Four switches in a tree: sw2 and sw3 below the root sw1, sw4 below sw2 (two hops from the
/// root). Office hosts everywhere (two on sw4).
const TREE: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    stack: {priority: 1}
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h1, native_vlan: office}
      10: {name: to-sw2, stack: {dp: sw2, port: 10}}
      11: {name: to-sw3, stack: {dp: sw3, port: 11}}
  sw2:
    dp_id: 0x2
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h2, native_vlan: office}
      10: {name: to-sw1, stack: {dp: sw1, port: 10}}
      12: {name: to-sw4, stack: {dp: sw4, port: 12}}
  sw3:
    dp_id: 0x3
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h3, native_vlan: office}
      11: {name: to-sw1, stack: {dp: sw1, port: 11}}
  sw4:
    dp_id: 0x4
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h4, native_vlan: office}
      2: {name: h4b, native_vlan: office}
      12: {name: to-sw2, stack: {dp: sw2, port: 12}}
";

/// Every `StackTopology` notification, with when it arrived, collected in the background
/// from the start of the controller (so none is missed while the test does something else).
struct Topology {
    seen: Arc<Mutex<Vec<(Instant, Notification)>>>,
}

impl Topology {
    /// Takes over `r`'s notifications (everything since the controller started) and leaves
    /// `r` a fresh receiver.
    fn follow(r: &mut Running) -> Topology {
        let fresh = r.notes.resubscribe();
        let mut notes = std::mem::replace(&mut r.notes, fresh);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        r.rt.spawn(async move {
            loop {
                match notes.recv().await {
                    Ok(n @ Notification::StackTopology { .. }) => {
                        sink.lock().unwrap().push((Instant::now(), n));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(k)) => {
                        eprintln!("topology follower lagged by {k} notifications");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Topology { seen }
    }

    /// How many topology notifications have arrived so far.
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn history(&self) -> String {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| format!("  {n}: {n:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the latest topology satisfies `pred` and returns it.
    fn wait_latest(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Notification) -> bool,
    ) -> Notification {
        let until = Instant::now() + timeout;
        loop {
            if let Some((_, n)) = self.seen.lock().unwrap().last()
                && pred(n)
            {
                return n.clone();
            }
            assert!(
                Instant::now() < until,
                "timed out waiting for {what}; the topology so far:\n{}",
                self.history()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The first topology after the first `skip` that satisfies `pred`, and when it
    /// arrived.
    fn wait_after(
        &self,
        what: &str,
        skip: usize,
        timeout: Duration,
        pred: impl Fn(&Notification) -> bool,
    ) -> (Instant, Notification) {
        let until = Instant::now() + timeout;
        loop {
            if let Some(found) = self
                .seen
                .lock()
                .unwrap()
                .iter()
                .skip(skip)
                .find(|(_, n)| pred(n))
            {
                return found.clone();
            }
            assert!(
                Instant::now() < until,
                "timed out waiting for {what}; the topology so far:\n{}",
                self.history()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn root_of(n: &Notification) -> Option<u64> {
    match n {
        Notification::StackTopology { root, .. } => Some(*root),
        _ => None,
    }
}

fn links_up(n: &Notification) -> usize {
    match n {
        Notification::StackTopology { links_up, .. } => links_up.len(),
        _ => 0,
    }
}

/// Starts `yaml`'s lab and waits until its stack is whole: `links` links up, `root` elected.
fn start_stack(yaml: &str, links: usize, root: u64) -> (Running, Topology) {
    let mut r = start(yaml);
    let topo = Topology::follow(&mut r);
    topo.wait_latest(
        &format!("{links} stack links up with root {root:#x}"),
        Duration::from_secs(20),
        |n| root_of(n) == Some(root) && links_up(n) == links,
    );
    (r, topo)
}

/// The reachability matrix, which must be as the configuration expects.
fn assert_matrix(r: &Running, when: &str) -> Matrix {
    let m = r.lab.matrix();
    assert!(m.as_expected(), "{when}:\n{m}");
    m
}

/// The subnet broadcast address of `e`.
fn broadcast_of(e: &Endpoint) -> Ipv4Addr {
    let host_bits = u32::MAX.checked_shr(u32::from(e.prefix_len)).unwrap_or(0);
    Ipv4Addr::from(u32::from(e.addr) | host_bits)
}

/// From one host of each switch in turn, a single broadcast (a ping to the subnet's
/// broadcast address): every other host of the same VLAN receives it exactly once, nobody
/// else (not the sender, not another VLAN) at all. A loop in the flood tree would deliver it
/// again and again; a tree that misses a switch would not deliver it at all.
fn assert_broadcast_seen_once(r: &Running, when: &str) {
    assert_broadcast_seen_once_from(r, when, &[]);
}

/// [`assert_broadcast_seen_once`], with these hosts sending one as well.
fn assert_broadcast_seen_once_from(r: &Running, when: &str, also: &[&Endpoint]) {
    let eps = r.lab.endpoints();
    assert!(
        eps.iter().all(|e| !e.tagged),
        "the stacking configurations here have untagged hosts only"
    );
    // Inbound frames only, so a sender's own frame counts only if it comes back.
    let captures: Vec<Capture> = eps
        .iter()
        .map(|e| {
            Capture::filtered(
                &r.lab.hosts()[e.host],
                &e.iface,
                &["-Q", "in", "ether", "broadcast", "and", "icmp"],
            )
        })
        .collect();
    let mut senders: Vec<&Endpoint> = Vec::new();
    for e in eps {
        if !senders.iter().any(|s| s.dp_id == e.dp_id) {
            senders.push(e);
        }
    }
    senders.extend(also);
    for s in &senders {
        let bcast = broadcast_of(s).to_string();
        // Nobody answers (hosts ignore broadcast echo requests), so this fails; it is sent.
        let _ =
            r.lab.hosts()[s.host].exec(&["ping", "-n", "-q", "-b", "-c", "1", "-W", "0.2", &bcast]);
    }
    // Time for stragglers: a storm would keep counting up.
    std::thread::sleep(Duration::from_secs(2));
    let mut wrong = Vec::new();
    for (e, c) in eps.iter().zip(&captures) {
        let lines = c.lines.lock().unwrap();
        for s in &senders {
            let from = format!("{} > ff:ff:ff:ff:ff:ff", s.mac);
            let got = lines.iter().filter(|l| l.contains(&from)).count();
            let want = usize::from(s.host != e.host && s.vid == e.vid);
            if got != want {
                wrong.push(format!(
                    "{} saw the broadcast from {} {got} times (want {want})",
                    e.label, s.label
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{when}:\n{}", wrong.join("\n"));
}

/// Pings `to` from `from` (one request, 300 ms to answer).
fn ping_once(r: &Running, from: &Endpoint, to: &Endpoint) -> bool {
    r.lab.hosts()[from.host]
        .exec(&[
            "ping",
            "-n",
            "-q",
            "-c",
            "1",
            "-W",
            "0.3",
            &to.addr.to_string(),
        ])
        .is_ok()
}

fn endpoint(r: &Running, dp: u64, port: u32, vid: u16) -> Endpoint {
    r.lab.endpoint(dp, port, vid).unwrap().clone()
}

#[test]
fn a_ring_of_three_switches_reaches_every_host_and_floods_once() {
    let (r, _topo) = start_stack(RING, 3, 1);
    let m = assert_matrix(&r, "the ring");
    // Across the stack (sw2 and sw3 through the root, the tree's only path)...
    for (a, b) in [
        ("sw1:h1", "sw2:h2"),
        ("sw2:h2", "sw3:h3"),
        ("sw1:l1", "sw3:l3"),
    ] {
        assert!(m.by_label(a, b).unwrap().measured, "{a} -> {b}\n{m}");
    }
    // ...and the VLANs stay apart across it.
    assert!(!m.by_label("sw1:l1", "sw2:h2").unwrap().measured, "{m}");
    assert_broadcast_seen_once(&r, "the ring");
}

#[test]
fn a_tree_of_four_switches_reaches_every_host_and_floods_once() {
    let (r, topo) = start_stack(TREE, 3, 1);
    // sw4 hangs below sw2, two hops from the root.
    let n = topo.wait_latest("the tree", Duration::from_secs(1), |_| true);
    let Notification::StackTopology { root_ports, .. } = &n else {
        unreachable!()
    };
    assert!(root_ports.contains(&(4, Some(12))), "{n:?}");
    assert!(root_ports.contains(&(2, Some(10))), "{n:?}");
    let m = assert_matrix(&r, "the tree");
    for (a, b) in [
        ("sw3:h3", "sw4:h4"),
        ("sw4:h4b", "sw3:h3"),
        ("sw4:h4", "sw1:h1"),
    ] {
        assert!(m.by_label(a, b).unwrap().measured, "{a} -> {b}\n{m}");
    }
    assert_broadcast_seen_once(&r, "the tree");
}

#[test]
fn a_cut_stack_link_heals_within_three_intervals_and_comes_back() {
    let (r, topo) = start_stack(RING, 3, 1);
    assert_matrix(&r, "the ring before the cut");
    // Cut the tree link sw1-sw2: sw2 must now reach the root through sw3.
    let (h1, h2) = (endpoint(&r, 1, 1, 100), endpoint(&r, 2, 1, 100));
    let cable = r.lab.port_iface(1, 10).unwrap().to_string();
    let before = topo.count();
    let cut = Instant::now();
    run("ip", &["link", "set", &cable, "down"]).unwrap();

    // The quick measure: h1 pings h2 (whose link to sw1 is gone) until it answers.
    while !ping_once(&r, &h1, &h2) {
        assert!(
            cut.elapsed() < Duration::from_secs(30),
            "h1 never reached h2 after the cut; topology:\n{}",
            topo.history()
        );
    }
    let first_ping = cut.elapsed();
    // The whole matrix: one started three intervals after the cut must hold.
    let deadline = cut + 3 * INTERVAL;
    let healed = loop {
        let began = Instant::now();
        let m = r.lab.matrix();
        if m.as_expected() {
            break cut.elapsed();
        }
        assert!(
            began < deadline,
            "the matrix does not hold three LLDP intervals after the cut:\n{m}\ntopology:\n{}",
            topo.history()
        );
    };
    let (at, n) = topo.wait_after("the tree to move", before, Duration::from_secs(5), |n| {
        links_up(n) == 2
    });
    eprintln!(
        "stack link cut: new tree notified after {:?}, h1 -> h2 answered after {first_ping:?}, \
         full matrix held after {healed:?} (a matrix takes a few seconds)",
        at - cut
    );
    let Notification::StackTopology {
        root, root_ports, ..
    } = &n
    else {
        unreachable!()
    };
    assert_eq!(*root, 1, "{n:?}");
    assert!(root_ports.contains(&(2, Some(12))), "sw2 via sw3: {n:?}");
    assert_broadcast_seen_once(&r, "with the link sw1-sw2 cut");

    // The cable back: the ring is whole again, and the tree as it was.
    let before = topo.count();
    let back = Instant::now();
    run("ip", &["link", "set", &cable, "up"]).unwrap();
    let (at, _) = topo.wait_after(
        "the ring whole again",
        before,
        Duration::from_secs(20),
        |n| links_up(n) == 3,
    );
    eprintln!("stack link back up: all links up after {:?}", at - back);
    let n = topo.wait_latest("sw2 back below the root", Duration::from_secs(5), |n| {
        matches!(n, Notification::StackTopology { root_ports, .. } if root_ports.contains(&(2, Some(10))))
    });
    assert_eq!(root_of(&n), Some(1));
    assert_matrix(&r, "the ring after the link came back");
    assert_broadcast_seen_once(&r, "the ring after the link came back");
}

#[test]
fn a_silent_stack_link_is_given_up_after_three_intervals() {
    let (r, topo) = start_stack(RING, 3, 1);
    assert_matrix(&r, "the ring before the silence");
    // The cable sw1-sw2 stays up but carries nothing more (a broken middle box): what either
    // end sends is redirected into a spare veth pair, where it vanishes (this kernel has no
    // tc drop action). No port status tells the controller; missing beacons must.
    let sink = Veth::create(&r.lab.prefix().name("sink"), &r.lab.prefix().name("sinkn")).unwrap();
    // Its far end down: nothing reaches this machine's own network stack.
    run("ip", &["link", "set", sink.b(), "down"]).unwrap();
    let ends = [
        r.lab.port_iface(1, 10).unwrap().to_string(),
        r.lab.port_iface(2, 10).unwrap().to_string(),
    ];
    let before = topo.count();
    let silent = Instant::now();
    for end in &ends {
        run("tc", &["qdisc", "add", "dev", end, "clsact"]).unwrap();
        run(
            "tc",
            &[
                "filter",
                "add",
                "dev",
                end,
                "egress",
                "protocol",
                "all",
                "u32",
                "match",
                "u32",
                "0",
                "0",
                "action",
                "mirred",
                "egress",
                "redirect",
                "dev",
                sink.a(),
            ],
        )
        .unwrap();
    }
    let (at, n) = topo.wait_after(
        "the silent link to be given up",
        before,
        Duration::from_secs(15),
        |n| links_up(n) == 2,
    );
    eprintln!("silent stack link: given up after {:?}", at - silent);
    assert_eq!(root_of(&n), Some(1), "{n:?}");
    // max_lldp_lost (3) intervals after the last beacon heard (up to an interval before the
    // silence began), checked on a 1 s tick: within about 5 s.
    assert!(
        at - silent <= 3 * INTERVAL + Duration::from_secs(2),
        "given up only after {:?}",
        at - silent
    );
    assert_matrix(&r, "with the link sw1-sw2 silent");
    assert_broadcast_seen_once(&r, "with the link sw1-sw2 silent");
}

#[test]
fn when_the_root_leaves_the_next_by_priority_takes_over_until_it_returns() {
    let (r, topo) = start_stack(RING, 3, 1);
    assert_matrix(&r, "the ring");
    let (h2, h3) = (endpoint(&r, 2, 1, 100), endpoint(&r, 3, 1, 100));
    let sw1 = r.lab.bridge(1).unwrap().name().to_string();

    let before = topo.count();
    let gone = Instant::now();
    run("ovs-vsctl", &["--timeout=10", "del-controller", &sw1]).unwrap();
    let (at, n) = topo.wait_after("sw2 as root", before, Duration::from_secs(15), |n| {
        root_of(n) == Some(2)
    });
    eprintln!(
        "root left (del-controller): sw2 notified as root after {:?}",
        at - gone
    );
    let Notification::StackTopology { root_changed, .. } = &n else {
        unreachable!()
    };
    assert!(root_changed, "{n:?}");
    // sw2 and sw3 still switch between themselves, over their own link.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut both_ways = false;
    while !both_ways {
        both_ways =
            (0..3).any(|_| ping_once(&r, &h2, &h3)) && (0..3).any(|_| ping_once(&r, &h3, &h2));
        assert!(
            both_ways || Instant::now() < deadline,
            "h2 and h3 no longer reach each other with sw2 as root; topology:\n{}",
            topo.history()
        );
    }

    // The old root comes back and takes over again once its links are up. (Until its
    // beacons are heard it is cut off: the notification may name it root before that, since
    // no candidate is healthy then and it has the lowest priority; sw2 stays the root of
    // its own part of the stack meanwhile.)
    let before = topo.count();
    let back = Instant::now();
    r.lab.bridge(1).unwrap().set_controller(&r.target).unwrap();
    let (named, _) = topo.wait_after("sw1 named root", before, Duration::from_secs(20), |n| {
        root_of(n) == Some(1)
    });
    let (whole, _) = topo.wait_after(
        "every link up with sw1 as root",
        before,
        Duration::from_secs(20),
        |n| root_of(n) == Some(1) && links_up(n) == 3,
    );
    eprintln!(
        "root back (set-controller): sw1 named root after {:?}, root of the whole ring after {:?}",
        named - back,
        whole - back
    );
    topo.wait_latest(
        "every link up with sw1 as root",
        Duration::from_secs(15),
        |n| root_of(n) == Some(1) && links_up(n) == 3,
    );
    assert_matrix(&r, "the ring with sw1 back");
    assert_broadcast_seen_once(&r, "the ring with sw1 back");
}

/// The ring, with an ordinary learning switch outside the stack cabled to port 5 of sw2 and
/// of sw3 (`loop_protect_external`), a host behind it (the lab's external network).
fn ring_with_external() -> String {
    RING.replace(
        "      12: {name: to-sw3, stack: {dp: sw3, port: 12}}",
        "      12: {name: to-sw3, stack: {dp: sw3, port: 12}}\n      \
         5: {name: ext2, native_vlan: office, loop_protect_external: true}",
    )
    .replace(
        "      12: {name: to-sw2, stack: {dp: sw2, port: 12}}",
        "      12: {name: to-sw2, stack: {dp: sw2, port: 12}}\n      \
         5: {name: ext3, native_vlan: office, loop_protect_external: true}",
    )
}

#[test]
fn an_outside_switch_cabled_to_two_stack_switches_neither_loops_nor_doubles() {
    let yaml = ring_with_external();
    let (r, _topo) = start_stack(&yaml, 3, 1);
    // The outside host is planned as the host of the first external port.
    let outside = endpoint(&r, 2, 5, 100);
    assert_matrix(&r, "the ring with an outside switch");
    // A broadcast from inside leaves once; one from outside (which the outside switch sends
    // to both stack switches) enters once. A loop through the outside would storm.
    assert_broadcast_seen_once_from(&r, "the ring with an outside switch", &[&outside]);
    // sw2's cable to the outside is cut: sw3's takes over.
    let h1 = endpoint(&r, 1, 1, 100);
    let cable = r.lab.port_iface(2, 5).unwrap().to_string();
    let cut = Instant::now();
    run("ip", &["link", "set", &cable, "down"]).unwrap();
    while !ping_once(&r, &h1, &outside) {
        assert!(
            cut.elapsed() < Duration::from_secs(10),
            "h1 never reached the outside host through sw3"
        );
    }
    eprintln!(
        "outside cable cut: h1 -> outside answered after {:?}",
        cut.elapsed()
    );
    assert_matrix(&r, "with sw2's cable to the outside cut");
    assert_broadcast_seen_once_from(&r, "with sw2's cable to the outside cut", &[&outside]);
    // The cable back: sw3's stays in use, nothing loops or doubles.
    run("ip", &["link", "set", &cable, "up"]).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_matrix(&r, "with sw2's cable to the outside back");
    assert_broadcast_seen_once_from(&r, "with sw2's cable to the outside back", &[&outside]);
}

/// ICMP between `a` and `b` (tagged, as on a stack link) seen on interface `iface` while `a`
/// pings `b` three times.
fn icmp_on_link(r: &Running, iface: &str, a: &Endpoint, b: &Endpoint) -> usize {
    let addr = b.addr.to_string();
    let c = Capture::here(iface, &["vlan", "and", "icmp", "and", "host", &addr]);
    let ok =
        r.lab.hosts()[a.host].exec(&["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", &addr]);
    assert!(ok.is_ok(), "{} -> {}", a.label, b.label);
    std::thread::sleep(Duration::from_millis(300));
    c.count()
}

#[test]
fn a_vlan_learning_by_the_shortest_path_uses_the_link_off_the_tree() {
    let yaml = RING.replace(
        "office: {vid: 100}",
        "office: {vid: 100, edge_learn_stack_root: false}",
    );
    let (r, topo) = start_stack(&yaml, 3, 1);
    assert_matrix(&r, "the ring");
    assert_broadcast_seen_once(&r, "the ring");
    // sw2 and sw3 both hang off the root; their own link is off the tree, but carries
    // their hosts' unicast (3 requests and 3 replies), and the root sees none of it.
    let (h2, h3) = (endpoint(&r, 2, 1, 100), endpoint(&r, 3, 1, 100));
    let direct = r.lab.port_iface(2, 12).unwrap().to_string();
    let via_root = r.lab.port_iface(1, 10).unwrap().to_string();
    let root_side = Capture::here(&via_root, &["vlan", "and", "icmp"]);
    assert_eq!(icmp_on_link(&r, &direct, &h2, &h3), 6);
    assert_eq!(
        root_side.count(),
        0,
        "{:?}",
        root_side.lines.lock().unwrap()
    );
    // Cut the direct link: the unicast goes round by the root, and every host is reached.
    let before = topo.count();
    run("ip", &["link", "set", &direct, "down"]).unwrap();
    topo.wait_after(
        "the link off the tree down",
        before,
        Duration::from_secs(5),
        |n| links_up(n) == 2,
    );
    assert_matrix(&r, "with the link off the tree cut");
    assert_eq!(icmp_on_link(&r, &via_root, &h2, &h3), 6);
    assert_broadcast_seen_once(&r, "with the link off the tree cut");
}

/// A bi-directional tunnel across the ring: ICMP from h2 (sw2 port 1) goes to a device on
/// sw3 port 5 (its own VLAN, so only the tunnel brings it anything), which answers into the
/// tunnel's return path: tagged with the tunnel's VLAN 300 and priority 4.
const BIDI: &str = "
vlans:
  office: {vid: 100}
  device: {vid: 200}
acls:
  to-device:
    - rule:
        dl_type: 0x800
        ip_proto: 1
        actions:
          allow: true
          output:
            tunnel: {dp: sw3, port: 5, tunnel_id: 300, bi_directional: true}
    - rule: {actions: {allow: true}}
dps:
  sw1:
    dp_id: 0x1
    stack: {priority: 1}
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h1, native_vlan: office}
      10: {name: to-sw2, stack: {dp: sw2, port: 10}}
      11: {name: to-sw3, stack: {dp: sw3, port: 11}}
  sw2:
    dp_id: 0x2
    lldp_beacon: {send_interval: 1}
    interfaces:
      1: {name: h2, native_vlan: office, acls_in: [to-device]}
      10: {name: to-sw1, stack: {dp: sw1, port: 10}}
  sw3:
    dp_id: 0x3
    lldp_beacon: {send_interval: 1}
    interfaces:
      5: {name: dev, native_vlan: device}
      11: {name: to-sw1, stack: {dp: sw1, port: 11}}
";

#[test]
fn a_bi_directional_tunnel_brings_the_device_answers_back_untagged() {
    let (r, _topo) = start_stack(BIDI, 2, 1);
    let (h1, h2, dev) = (
        endpoint(&r, 1, 1, 100),
        endpoint(&r, 2, 1, 100),
        endpoint(&r, 3, 5, 200),
    );
    let hosts = r.lab.hosts();
    // There: h2's ping reaches the device, untagged.
    let at_dev = Capture::filtered(&hosts[dev.host], &dev.iface, &["icmp"]);
    assert!(ping_once(&r, &h2, &h1), "h2 and h1 still switch");
    common::lab::eventually("h2's ping at the device", || {
        at_dev
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(&format!("{} > ", h2.mac)) && !l.contains("802.1Q"))
    });
    // Back: a frame the device sends tagged 300 with priority 4 comes out at h2, untagged.
    let at_h2 = Capture::filtered(&hosts[h2.host], &h2.iface, &["ether", "proto", "0x88b5"]);
    let mac = |m: [u8; 6]| m.iter().map(|b| format!("\\x{b:02x}")).collect::<String>();
    let send = format!(
        "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); \
         s.bind(('{}', 0)); \
         s.send(b'{}{}\\x81\\x00\\x81\\x2c\\x88\\xb5' + b'sluice bidi'.ljust(46, b'.'))",
        dev.iface,
        mac(h2.mac.0),
        mac(dev.mac.0),
    );
    hosts[dev.host].exec(&["python3", "-c", &send]).unwrap();
    // tcpdump prints a header line per frame (then a hex dump of an unknown payload).
    let from_dev = format!("{} > {}", dev.mac, h2.mac);
    let arrived = || -> Vec<String> {
        let lines = at_h2.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.contains(&from_dev))
            .cloned()
            .collect()
    };
    common::lab::eventually("the device's answer at h2", || !arrived().is_empty());
    std::thread::sleep(Duration::from_millis(500));
    let got = arrived();
    assert_eq!(got.len(), 1, "once: {got:?}");
    assert!(!got[0].contains("802.1Q"), "untagged: {got:?}");
}
