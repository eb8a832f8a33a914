//! What an operator can see of the controller: a [`Snapshot`] of every DP's state and
//! counters, for FAUCET's Prometheus metrics, the JSON API and `sluice show`.
//!
//! Pure: no I/O, no clock. The design keeps the packet-in path free of telemetry work:
//!
//! * The packet-in path adds one to plain integers in its valve
//!   ([`crate::valve::PacketInCounters`]); nothing else there knows about metrics.
//! * Everything else is counted from the outputs the core already returns ([`Counters`]):
//!   the runtime passes each batch of outputs to [`Counters::observe`] as it carries it out.
//! * Host tables, port states and configuration are read from the core itself when a
//!   snapshot is taken ([`snapshot`]), which the runtime does when a reader finds the last
//!   one over a second old, and publishes behind an `Arc`. Readers (a Prometheus scrape,
//!   the API) render that published value on their own threads; a scrape costs the
//!   controller at most one snapshot a second (well under a millisecond for 10,000 hosts),
//!   and nothing when nobody reads.

mod counters;
mod tables;

use sluice_config::{Config, Dp, PortNo as CfgPort};
use sluice_ofp::{Port as OfPort, PortNo};
use sluice_wire::MacAddr;

pub use counters::{ConfigCounters, Counters, DpCounters, Histogram, PACKET_IN_BUCKETS};
pub use tables::next_tables;

use crate::Controller;
use crate::pipeline::Layout;
use crate::stack::{Stack, StackPortStats};
use crate::time::Instant;
use crate::valve::PacketInCounters;

/// The state of every DP, configured or merely connected, at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// When it was taken, on the core's clock.
    pub at: Instant,
    /// The configuration files in force, with their sha256 in hex (none when there is no
    /// configuration).
    pub config_files: Vec<(String, Option<String>)>,
    /// Counters about loading the configuration.
    pub config: ConfigCounters,
    /// Every configured DP in configuration order, then switches connected without being
    /// configured.
    pub dps: Vec<DpSnapshot>,
    /// The stack, when the configuration has one.
    pub stack: Option<StackSnapshot>,
}

/// The stack as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StackSnapshot {
    /// The stack's root (its largest part's, as [`Stack::root`] names it), if one was elected.
    pub root: Option<u64>,
    /// Times the root changed after the first election.
    pub root_changes: u64,
}

/// A stacked DP's place in the stack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DpStackSnapshot {
    /// Whether it is the stack's root.
    pub root: bool,
    /// Its stack port towards the stack's root (`None` on the root, and on a DP cut off
    /// from the root).
    pub root_hop_port: Option<u32>,
}

/// One DP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DpSnapshot {
    /// The datapath id.
    pub dp_id: u64,
    /// Its configured name (the datapath id in hex for a switch that is not configured).
    pub name: String,
    /// Its configured description.
    pub description: String,
    /// Whether it is in the configuration.
    pub configured: bool,
    /// Whether its switch is connected.
    pub connected: bool,
    /// Whether its switch is programmed and learning (FAUCET's `dp_status` 1).
    pub running: bool,
    /// Its tables: FAUCET's name, number and possible next tables.
    pub tables: Vec<TableInfo>,
    /// Flows in its static pipeline, as last sent.
    pub static_flows: usize,
    /// Configured ports and ports the switch reported, by number.
    pub ports: Vec<PortSnapshot>,
    /// Its VLANs, by VID.
    pub vlans: Vec<VlanSnapshot>,
    /// Learned hosts, in no particular order.
    pub hosts: Vec<HostSnapshot>,
    /// Packet-ins by kind.
    pub packet_ins: PacketInCounters,
    /// Its other counters.
    pub counters: DpCounters,
    /// Its place in the stack, if it is a stacked DP.
    pub stack: Option<DpStackSnapshot>,
}

/// One table of a DP's pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// The table number.
    pub id: u8,
    /// FAUCET's name for it.
    pub name: &'static str,
    /// The tables its flows may continue to (FAUCET's `next_tables`, with the miss target).
    pub next_tables: Vec<&'static str>,
}

/// One port.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortSnapshot {
    /// Its number.
    pub number: u32,
    /// Its configured name, else its reserved name (`LOCAL`), else its number.
    pub name: String,
    /// Its configured description, else its name.
    pub description: String,
    /// Whether it is in the configuration.
    pub configured: bool,
    /// What the switch reported about it, if it did.
    pub switch: Option<OfPort>,
    /// Whether it counts as up (FAUCET's `port_status`): the switch says so, or
    /// `opstatus_reconf: false`.
    pub up: bool,
    /// Its native VLAN.
    pub native_vlan: Option<u16>,
    /// Its tagged VLANs.
    pub tagged_vlans: Vec<u16>,
    /// Whether it is a stack port.
    pub stack: bool,
    /// Its stack state and counters, if it is a stack port of the stack in force.
    pub stack_state: Option<StackPortStats>,
    /// Times learning was banned on it.
    pub learn_bans: u64,
}

impl PortSnapshot {
    /// Its VLANs: native first, then tagged.
    pub fn vlans(&self) -> impl Iterator<Item = u16> + '_ {
        self.native_vlan
            .into_iter()
            .chain(self.tagged_vlans.iter().copied())
    }
}

/// One VLAN of a DP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VlanSnapshot {
    /// Its VID.
    pub vid: u16,
    /// Its configured name.
    pub name: String,
    /// Hosts learned on it.
    pub hosts: usize,
    /// Times learning was banned on it.
    pub learn_bans: u64,
}

/// One learned host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSnapshot {
    /// Its VLAN.
    pub vid: u16,
    /// Its MAC.
    pub mac: MacAddr,
    /// The port it is behind.
    pub port: u32,
    /// When it was (re)learned.
    pub learned: Instant,
    /// The hard timeout of its source flow, in seconds (0: permanent).
    pub timeout: u16,
}

impl DpSnapshot {
    /// A port by number.
    pub fn port(&self, number: u32) -> Option<&PortSnapshot> {
        self.ports
            .binary_search_by_key(&number, |p| p.number)
            .ok()
            .map(|i| &self.ports[i])
    }
}

/// Takes a snapshot of `ctl` and the counters kept beside it, at `now`.
pub fn snapshot(now: Instant, ctl: &Controller, counters: &Counters) -> Snapshot {
    let config = ctl.config();
    let mut dps: Vec<DpSnapshot> = config
        .map(|c| {
            c.dps_in_config_order()
                .into_iter()
                .map(|dp| configured_dp(ctl, counters, dp))
                .collect()
        })
        .unwrap_or_default();
    for sw in ctl.datapaths() {
        if !dps.iter().any(|d| d.dp_id == sw.dp_id) {
            dps.push(DpSnapshot {
                dp_id: sw.dp_id,
                name: format!("{:#x}", sw.dp_id),
                connected: true,
                ports: sw
                    .ports
                    .values()
                    .map(|p| switch_port(p, counters, sw.dp_id))
                    .collect(),
                counters: counters.dp(sw.dp_id).cloned().unwrap_or_default(),
                ..DpSnapshot::default()
            });
        }
    }
    Snapshot {
        at: now,
        config_files: config.map(files).unwrap_or_default(),
        config: counters.config.clone(),
        dps,
        stack: ctl.stack().map(|s| StackSnapshot {
            root: s.root(),
            root_changes: s.root_changes(),
        }),
    }
}

/// A stacked DP's place in `stack`. A DP whose part of the stack has another root than the
/// stack's has no way to the root.
fn dp_stack(stack: &Stack, dp_id: u64) -> Option<DpStackSnapshot> {
    if !stack.has_dp(dp_id) {
        return None;
    }
    let root = stack.root();
    let view = stack.view(dp_id);
    Some(DpStackSnapshot {
        root: root == Some(dp_id),
        root_hop_port: view
            .filter(|v| Some(v.root) == root)
            .and_then(|v| v.root_port),
    })
}

fn files(c: &Config) -> Vec<(String, Option<String>)> {
    c.files
        .iter()
        .map(|f| (f.path.display().to_string(), f.sha256_hex()))
        .collect()
}

/// A port the switch reported that is not configured.
fn switch_port(p: &OfPort, counters: &Counters, dp_id: u64) -> PortSnapshot {
    let name = p
        .port_no
        .reserved_name()
        .map_or_else(|| p.port_no.0.to_string(), str::to_string);
    PortSnapshot {
        number: p.port_no.0,
        description: name.clone(),
        name,
        up: p.is_up(),
        switch: Some(p.clone()),
        learn_bans: bans(counters, dp_id, p.port_no.0),
        ..PortSnapshot::default()
    }
}

fn bans(counters: &Counters, dp_id: u64, port: u32) -> u64 {
    counters
        .dp(dp_id)
        .and_then(|c| c.port_learn_bans.get(&port).copied())
        .unwrap_or(0)
}

fn configured_dp(ctl: &Controller, counters: &Counters, cfg: &Dp) -> DpSnapshot {
    let dp_id = cfg.dp_id.0;
    let sw = ctl.datapath(dp_id);
    let valve = ctl.valve(dp_id);
    // The valve's own configuration is the one its flows were built from.
    let dp = valve.map_or(cfg, |v| v.config());
    let c = counters.dp(dp_id).cloned().unwrap_or_default();
    let stack = ctl.stack();
    let stack_ports: std::collections::BTreeMap<u32, StackPortStats> = stack
        .map(|s| {
            s.port_stats()
                .filter(|((d, _), _)| *d == dp_id)
                .map(|((_, port), stats)| (port, stats))
                .collect()
        })
        .unwrap_or_default();
    let layout = Layout::for_dp(dp);
    let tables = layout
        .tables()
        .map(|(t, id)| TableInfo {
            id,
            name: t.name(),
            next_tables: next_tables(&layout, t),
        })
        .collect();

    let mut ports: Vec<PortSnapshot> = dp
        .ports
        .values()
        .map(|p| {
            let switch = sw.and_then(|s| s.ports.get(&PortNo(p.number.0))).cloned();
            let switch_up = switch.as_ref().is_some_and(OfPort::is_up);
            PortSnapshot {
                number: p.number.0,
                name: p.name.clone(),
                description: p.description.clone(),
                configured: true,
                up: switch_up || !p.opstatus_reconf,
                switch,
                native_vlan: p.native_vlan.map(|v| v.0),
                tagged_vlans: p.tagged_vlans.iter().map(|v| v.0).collect(),
                stack: p.stack.is_some(),
                stack_state: stack_ports.get(&p.number.0).copied(),
                learn_bans: c.port_learn_bans.get(&p.number.0).copied().unwrap_or(0),
            }
        })
        .collect();
    if let Some(sw) = sw {
        ports.extend(
            sw.ports
                .values()
                .filter(|p| !dp.ports.contains_key(&CfgPort(p.port_no.0)))
                .map(|p| switch_port(p, counters, dp_id)),
        );
        ports.sort_by_key(|p| p.number);
    }

    // Copied in table order: sorting is left to readers, off the controller's thread.
    let hosts: Vec<HostSnapshot> = valve
        .map(|v| {
            v.hosts()
                .iter()
                .map(|(vid, mac, h)| HostSnapshot {
                    vid,
                    mac,
                    port: h.port,
                    learned: h.learned,
                    timeout: h.timeout,
                })
                .collect()
        })
        .unwrap_or_default();

    let vlans = dp
        .vlans
        .values()
        .map(|v| VlanSnapshot {
            vid: v.vid.0,
            name: v.name.clone(),
            hosts: valve.map_or(0, |val| val.hosts().on_vlan(v.vid.0)),
            learn_bans: c.vlan_learn_bans.get(&v.vid.0).copied().unwrap_or(0),
        })
        .collect();

    DpSnapshot {
        dp_id,
        name: dp.name.clone(),
        description: dp.description.clone(),
        configured: true,
        connected: sw.is_some(),
        running: sw.is_some() && valve.is_some_and(|v| v.is_running()),
        tables,
        static_flows: valve.map_or(0, |v| v.installed().flows.len()),
        ports,
        vlans,
        hosts,
        packet_ins: valve.map(|v| v.packet_in_counters()).unwrap_or_default(),
        counters: c,
        stack: stack.and_then(|s| dp_stack(s, dp_id)),
    }
}

#[cfg(test)]
mod tests {
    use sluice_ofp::msg::switch::SwitchFeatures;
    use sluice_ofp::{FixedStr, Port};

    use super::*;
    use crate::event::Event;

    const YAML: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: p1, native_vlan: office}
      2: {name: p2, description: second, native_vlan: office}
  sw2:
    dp_id: 0x2
    interfaces:
      1: {native_vlan: office}
";

    #[test]
    fn configured_dps_ports_and_tables() {
        let config = sluice_config::load_str(YAML).unwrap().config;
        let mut ctl = Controller::with_config(config, 1);
        switch_up(&mut ctl, 1, &[1, 7]);
        let snap = snapshot(Instant(5), &ctl, &Counters::new());
        let names: Vec<_> = snap.dps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["sw1", "sw2"]);
        let sw1 = &snap.dps[0];
        assert!(sw1.connected && !sw1.running);
        assert!(!snap.dps[1].connected);
        // Port 1 configured and up, port 2 configured but absent, port 7 only on the switch.
        let summary: Vec<_> = sw1
            .ports
            .iter()
            .map(|p| (p.number, p.name.as_str(), p.configured, p.up))
            .collect();
        assert_eq!(
            summary,
            [
                (1, "p1", true, true),
                (2, "p2", true, false),
                (7, "7", false, true)
            ]
        );
        assert_eq!(sw1.port(2).unwrap().description, "second");
        let tables: Vec<_> = sw1
            .tables
            .iter()
            .map(|t| (t.id, t.name, t.next_tables.join(",")))
            .collect();
        assert_eq!(
            tables,
            [
                (0, "vlan", "eth_src".to_string()),
                (1, "eth_src", "eth_dst,flood".to_string()),
                (2, "eth_dst", "flood".to_string()),
                (3, "flood", String::new()),
            ]
        );
        assert_eq!(snap.config_files.len(), 1);
        assert!(
            snap.config_files[0]
                .1
                .as_ref()
                .is_some_and(|h| h.len() == 64)
        );
    }

    const STACK_YAML: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {name: to-sw2, stack: {dp: sw2, port: 10}}
  sw2:
    dp_id: 0x2
    interfaces:
      1: {native_vlan: office}
      10: {name: to-sw1, stack: {dp: sw1, port: 10}}
";

    /// A switch connects with these ports, all up.
    fn switch_up(ctl: &mut Controller, dp_id: u64, ports: &[u32]) {
        let port = |n: u32| Port {
            port_no: PortNo(n),
            name: FixedStr::new(&format!("eth{n}")),
            ..Port::default()
        };
        ctl.handle(
            Instant(0),
            Event::SwitchUp {
                features: SwitchFeatures {
                    datapath_id: dp_id,
                    ..SwitchFeatures::default()
                },
                desc: None,
                ports: ports.iter().map(|n| port(*n)).collect(),
            },
        );
    }

    /// The beacon `from` (dp, port) sends, arriving at `at` (dp, port).
    fn beacon(ctl: &mut Controller, from: (u64, u32), at: (u64, u32)) {
        use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
        use sluice_ofp::{Match, Message, OxmField};
        let frame = sluice_wire::build::FaucetBeacon {
            dp_mac: MacAddr([0x0e, 0, 0, 0, 0, 1]),
            dp_id: from.0,
            port_no: from.1,
            ttl: 15,
            system_name: None,
            port_descr: None,
            org_tlvs: &[],
            stack_state: Some(1),
        }
        .frame();
        let pi = PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: u16::try_from(frame.len()).unwrap(),
            reason: PacketInReason::Action,
            table_id: 0,
            cookie: 0,
            match_: Match::from_fields([OxmField::InPort(PortNo(at.1))]),
            data: frame.into(),
        };
        ctl.handle(
            Instant(1000),
            Event::Messages {
                dp_id: at.0,
                msgs: vec![(0, Message::PacketIn(pi))],
            },
        );
    }

    #[test]
    fn the_stack_its_root_and_its_ports() {
        let config = sluice_config::load_str(STACK_YAML).unwrap().config;
        let mut ctl = Controller::with_config(config, 1);
        switch_up(&mut ctl, 1, &[1, 10]);
        switch_up(&mut ctl, 2, &[1, 10]);
        beacon(&mut ctl, (1, 10), (2, 10));
        beacon(&mut ctl, (2, 10), (1, 10));
        // A beacon from a port that is not the configured peer: a cabling error.
        beacon(&mut ctl, (2, 1), (1, 10));
        beacon(&mut ctl, (2, 10), (1, 10));

        let snap = snapshot(Instant(2000), &ctl, &Counters::new());
        assert_eq!(
            snap.stack,
            Some(StackSnapshot {
                root: Some(1),
                root_changes: 0
            })
        );
        let (sw1, sw2) = (&snap.dps[0], &snap.dps[1]);
        assert_eq!(
            sw1.stack,
            Some(DpStackSnapshot {
                root: true,
                root_hop_port: None
            })
        );
        assert_eq!(
            sw2.stack,
            Some(DpStackSnapshot {
                root: false,
                root_hop_port: Some(10)
            })
        );
        let s1 = sw1.port(10).unwrap().stack_state.unwrap();
        assert_eq!(s1.state, crate::stack::PortState::Up);
        // gone -> init (link up) -> up -> bad -> up
        assert_eq!(
            (s1.changes, s1.cabling_errors, s1.probes_received),
            (4, 1, 3)
        );
        assert_eq!(
            sw2.port(10).unwrap().stack_state.unwrap().probes_received,
            1
        );
        assert_eq!(sw1.port(1).unwrap().stack_state, None);
    }

    #[test]
    fn no_stack_without_stack_ports() {
        let config = sluice_config::load_str(YAML).unwrap().config;
        let ctl = Controller::with_config(config, 1);
        let snap = snapshot(Instant(0), &ctl, &Counters::new());
        assert_eq!(snap.stack, None);
        assert!(snap.dps.iter().all(|d| d.stack.is_none()));
    }

    #[test]
    fn unconfigured_switches_are_listed_by_id() {
        let mut ctl = Controller::new();
        switch_up(&mut ctl, 0xab, &[]);
        let snap = snapshot(Instant(0), &ctl, &Counters::new());
        assert_eq!(snap.dps.len(), 1);
        assert_eq!(snap.dps[0].name, "0xab");
        assert!(!snap.dps[0].configured);
    }
}
