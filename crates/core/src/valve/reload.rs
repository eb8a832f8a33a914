//! A new configuration for a running DP, and hosts adopted from a switch's tables.
//!
//! **Reload.** Most changes are warm: the static flows go from what the switch holds to what
//! the new configuration wants by difference (only changed flows are sent, so traffic that
//! the change does not touch never stops), and the hosts of ports whose configuration changed
//! are forgotten, with exactly their flows deleted. A change of table layout or cookie moves
//! every flow, learned ones included: then the valve syncs again as on a connect (flow dump,
//! difference), which still leaves alone every flow that is already right. FAUCET instead
//! wipes and reinstalls the whole switch on such "cold starts".
//!
//! **Adoption.** On a connect, the flow dump may hold learned-host flows (the switch kept
//! them while the controller restarted or the connection was down). A host whose flows are
//! exactly what this valve would install for it is adopted, flows and remaining timeout
//! included, instead of having its flows deleted and being relearned.

use std::sync::Arc;

use sluice_config::{Dp, Vid};
use sluice_ofp::msg::multipart::FlowStats;
use sluice_ofp::oxm::OxmField;
use sluice_wire::MacAddr;

use super::{LearnPort, LearnVlan, Phase, Valve, ValveOutput, program};
use crate::fxhash::FxHashMap;
use crate::host_flows::HostFlows;
use crate::learn::Host;
use crate::pipeline::flow::delete_strict;
use crate::pipeline::{Flow, FlowKey, FlowSet, Layout, Table, priority};
use crate::time::Instant;

/// A learned source flow found in a switch's flow dump: a host that may be adopted.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    port: u32,
    vid: Vid,
    mac: MacAddr,
    hard_timeout: u16,
    /// How long the flow has been installed.
    age_ms: u64,
}

/// What learning needs of each port that learns (enabled, not output-only).
pub(super) fn learn_ports(dp: &Dp) -> FxHashMap<u32, LearnPort> {
    dp.ports
        .values()
        .filter(|p| p.enabled && !p.output_only)
        .map(|p| {
            let lp = LearnPort {
                native: p.native_vlan,
                tagged: p.tagged_vlans.clone(),
                // A stack port carries the hosts of the whole stack.
                max_hosts: if p.stack.is_some() {
                    usize::MAX
                } else {
                    usize::try_from(p.max_hosts).unwrap_or(0)
                },
                loop_protect: p.loop_protect,
                permanent: p.permanent_learn,
                hairpin: p.hairpin || p.hairpin_unicast,
                stack: p.stack.is_some(),
            };
            (p.number.0, lp)
        })
        .collect()
}

/// What learning needs of each VLAN: its `max_hosts`, and whether it learns hosts behind the
/// stack by the shortest path.
pub(super) fn learn_vlans(dp: &Dp) -> FxHashMap<u16, LearnVlan> {
    dp.vlans
        .values()
        .map(|v| {
            let lv = LearnVlan {
                max_hosts: usize::try_from(v.max_hosts).unwrap_or(0),
                shortest: !v.edge_learn_stack_root,
            };
            (v.vid.0, lv)
        })
        .collect()
}

/// The learned source flows in a flow dump from a DP with this layout and cookie.
pub(super) fn found_hosts(stats: &[FlowStats], layout: &Layout, cookie: u64) -> Vec<Found> {
    let eth_src = layout.id(Table::EthSrc);
    stats
        .iter()
        .filter(|s| s.table_id == eth_src && s.priority == priority::HOST_SRC && s.cookie == cookie)
        .filter_map(|s| {
            let (mut port, mut mac, mut vid) = (None, None, None);
            for f in s.match_.iter() {
                match f {
                    OxmField::InPort(p) => port = Some(p.0),
                    OxmField::EthSrc(m, None) => mac = Some(m),
                    OxmField::VlanVid(v, None) => vid = Some(Vid(v & 0x0fff)),
                    _ => return None,
                }
            }
            Some(Found {
                port: port?,
                vid: vid?,
                mac: mac?,
                hard_timeout: s.hard_timeout,
                age_ms: u64::from(s.duration_sec) * 1000 + u64::from(s.duration_nsec / 1_000_000),
            })
        })
        .collect()
}

impl Valve {
    /// Sets the DP configuration and everything derived from it.
    pub(super) fn set_dp(&mut self, dp: Arc<Dp>) {
        let layout = Layout::for_dp(&dp);
        self.flows = HostFlows::for_dp(&dp, &layout);
        self.learn_ports = learn_ports(&dp);
        self.learn_vlans = learn_vlans(&dp);
        self.dp = dp;
    }

    /// Adopts the hosts in `found` whose flows in `have` are exactly what this valve would
    /// install for them: records them as learned at `now` less their flows' age, and takes
    /// their flows out of `have` (so the difference keeps them).
    pub(super) fn adopt(&mut self, now: Instant, have: &mut FlowSet, found: Vec<Found>) {
        for f in found {
            let Some(port) = self.learn_ports.get(&f.port) else {
                continue;
            };
            let untagged = port.native == Some(f.vid);
            if !untagged && !port.tagged.contains(&f.vid) {
                continue;
            }
            let (permanent, hairpin) = (port.permanent, port.hairpin);
            let src = Flow::from_mod(&self.flows.src_flow(f.port, f.vid, f.mac, f.hard_timeout));
            // The destination's idle timeout is whatever the switch says: it varies with
            // the jitter, and the flow is right either way.
            let dst_key = self.flows.dst_key(f.vid, f.mac);
            let Some(idle) = have.get(&dst_key).map(|b| b.idle_timeout) else {
                continue;
            };
            let dst = Flow::from_mod(&self.flows.dst_flow(f.port, f.vid, f.mac, untagged, idle));
            let mut flows = vec![src, dst];
            if hairpin {
                let key = self.flows.hairpin_key(f.port, f.vid, f.mac);
                let idle = key.and_then(|k| have.get(&k).map(|b| b.idle_timeout));
                let fm =
                    self.flows
                        .hairpin_flow((f.port, f.vid, f.mac), untagged, idle.unwrap_or(0));
                flows.extend(fm.as_ref().map(Flow::from_mod));
            }
            if !flows
                .iter()
                .all(|fl| have.get(&fl.key).as_ref() == Some(&fl.body))
            {
                continue;
            }
            for fl in &flows {
                have.remove(&fl.key);
            }
            let host = Host {
                port: f.port,
                learned: Instant(now.as_millis().saturating_sub(f.age_ms)),
                timeout: f.hard_timeout,
            };
            self.hosts.adopt(f.vid.0, f.mac, host, permanent);
        }
    }

    /// The DP configuration in force.
    pub fn config(&self) -> &Arc<Dp> {
        &self.dp
    }

    /// Whether taking `dp` means syncing again from a flow dump: its table layout or its
    /// cookie differs, so every flow moves (learned ones too).
    pub fn reload_is_cold(&self, dp: &Dp) -> bool {
        Layout::for_dp(dp) != Layout::for_dp(&self.dp) || dp.cookie != self.dp.cookie
    }

    /// Applies a new configuration of this DP (same dp_id). Returns what to send: the
    /// difference to the new static flows and the deletion of the flows of hosts whose port
    /// changed (warm), or a new flow dump to sync from (cold, when the table layout or the
    /// cookie changed, or while the switch is still being programmed).
    pub fn reload(&mut self, dp: impl Into<Arc<Dp>>) -> ValveOutput {
        let dp = dp.into();
        let cold = self.reload_is_cold(&dp);
        let old = std::mem::replace(&mut self.dp, dp.clone());
        self.set_dp(dp);
        match self.phase {
            Phase::Disconnected => {
                self.installed.layout = Layout::for_dp(&self.dp);
                ValveOutput::default()
            }
            // The dump on its way is compared with the new configuration when it arrives.
            Phase::Syncing { .. } => ValveOutput::default(),
            Phase::Programming { .. } => self.resync(),
            Phase::Running if cold => self.resync(),
            Phase::Running => self.warm_reload(&old),
        }
    }

    /// Syncs with the switch again, from a flow dump.
    fn resync(&mut self) -> ValveOutput {
        self.installed.layout = Layout::for_dp(&self.dp);
        self.request_dump()
    }

    /// A warm reload from `old`: flush the hosts of changed ports, then send the difference.
    fn warm_reload(&mut self, old: &Dp) -> ValveOutput {
        let mut out = ValveOutput::default();
        let numbers: std::collections::BTreeSet<u32> = old
            .ports
            .keys()
            .chain(self.dp.ports.keys())
            .map(|n| n.0)
            .collect();
        for no in numbers {
            let key = sluice_config::PortNo(no);
            let (was, is) = (old.ports.get(&key), self.dp.ports.get(&key));
            // A change of the port's ACLs alone leaves its hosts where they are.
            let same = match (was, is) {
                (Some(a), Some(b)) => {
                    let mut a = a.clone();
                    a.acls_in.clone_from(&b.acls_in);
                    a == *b
                }
                (None, None) => true,
                _ => false,
            };
            if !same {
                self.forget_port_hosts(no, &mut out);
            }
        }
        // A VLAN that changed how it learns behind the stack: hosts behind stack ports are
        // forgotten (their flows are the other way's), as after a change of the tree.
        let shortest = |dp: &Dp| -> Vec<(Vid, bool)> {
            dp.vlans
                .values()
                .map(|v| (v.vid, v.edge_learn_stack_root))
                .collect()
        };
        if shortest(old) != shortest(&self.dp) {
            self.flush_stack_ports(&mut out);
        }
        let want = self.compile();
        if (old.packetin_pps, old.slowpath_pps) != (self.dp.packetin_pps, self.dp.slowpath_pps) {
            out.msgs.extend(self.rate_meters());
        }
        out.msgs.extend(program(&self.installed, &want));
        self.installed = want;
        out
    }

    /// Forgets a port's hosts, deleting exactly their flows.
    fn forget_port_hosts(&mut self, no: u32, out: &mut ValveOutput) {
        for (vid, mac) in self.hosts.flush_port(no) {
            let v = Vid(vid);
            let mut keys: Vec<FlowKey> = self.src_keys(no, v, mac).collect();
            keys.push(self.flows.dst_key(v, mac));
            keys.extend(self.flows.hairpin_key(no, v, mac));
            out.msgs.extend(keys.iter().map(delete_strict));
            out.notes.push(self.expired_note(vid, mac, no));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_ofp::{Match, PortNo};

    fn dp(yaml: &str) -> Dp {
        let config = sluice_config::load_str(yaml).expect("valid").config;
        Arc::unwrap_or_clone(config.dps.into_values().next().expect("a DP"))
    }

    #[test]
    fn found_hosts_reads_learned_source_flows_only() {
        let d =
            dp("vlans: {v: {vid: 100}}\ndps: {s: {dp_id: 1, interfaces: {1: {native_vlan: v}}}}");
        let layout = Layout::for_dp(&d);
        let flows = HostFlows::for_dp(&d, &layout);
        let mac = MacAddr([0x0e, 0, 0, 0, 0, 9]);
        let src = flows.src_flow(1, Vid(100), mac, 280);
        let stats = |fm: sluice_ofp::msg::flow::FlowMod, cookie| FlowStats {
            table_id: fm.table_id,
            duration_sec: 20,
            duration_nsec: 0,
            priority: fm.priority,
            idle_timeout: 0,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            cookie,
            packet_count: 0,
            byte_count: 0,
            match_: fm.match_,
            instructions: fm.instructions,
        };
        let other = sluice_ofp::msg::flow::FlowMod {
            match_: Match::new().with(OxmField::InPort(PortNo(1))),
            ..src.clone()
        };
        let dump = [
            stats(src.clone(), d.cookie),
            stats(src, 7),
            stats(other, d.cookie),
        ];
        assert_eq!(
            found_hosts(&dump, &layout, d.cookie),
            vec![Found {
                port: 1,
                vid: Vid(100),
                mac,
                hard_timeout: 280,
                age_ms: 20_000,
            }]
        );
    }
}
