//! What the emulated switches are: their dp_ids, ports and learning packet-ins, read from a
//! FAUCET configuration; and the configurations the generator writes when it is not given
//! one.

use std::fmt::Write as _;

use sluice_config::Config;
use sluice_core::pipeline::{Layout, Table};

use crate::frames::PacketInTemplate;

/// One emulated switch.
#[derive(Debug, Clone)]
pub struct SwitchSpec {
    /// Its datapath id.
    pub dp_id: u64,
    /// Its name in the configuration.
    pub name: String,
    /// Its ports: number and name, as PORT_DESC reports them.
    pub ports: Vec<(u32, String)>,
    /// One packet-in template per (learning port, VLAN) pair, in port order.
    pub learn: Vec<PacketInTemplate>,
}

/// The switches to emulate.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// The switches, by dp_id.
    pub switches: Vec<SwitchSpec>,
    /// What in the configuration will skew a learn run (rate limits, host limits).
    pub warnings: Vec<String>,
}

impl Topology {
    /// The switches of `config`, in dp_id order; at most `limit` of them when given.
    ///
    /// # Errors
    /// A port VLAN that is not a valid VID (a configuration that loaded has none).
    pub fn from_config(config: &Config, limit: Option<usize>) -> Result<Topology, String> {
        let mut topo = Topology::default();
        for dp in config.dps.values().take(limit.unwrap_or(usize::MAX)) {
            let table = Layout::for_dp(dp).id(Table::EthSrc);
            let mut learn = Vec::new();
            for p in dp.ports.values() {
                if !p.enabled || p.output_only || p.stack.is_some() {
                    continue;
                }
                for vid in p.native_vlan.iter().chain(&p.tagged_vlans) {
                    learn.push(PacketInTemplate::new(p.number.0, vid.0, table, dp.cookie)?);
                }
            }
            if dp.ignore_learn_ins > 0 {
                topo.warnings.push(format!(
                    "DP {}: ignore_learn_ins {} makes the controller ignore 1 packet-in in {}: \
                     those are reported as lost (set ignore_learn_ins: 0 to measure learning)",
                    dp.name, dp.ignore_learn_ins, dp.ignore_learn_ins
                ));
            }
            let low_port_limit = dp
                .ports
                .values()
                .filter(|p| p.max_hosts < 1_000_000)
                .count();
            if low_port_limit > 0 {
                topo.warnings.push(format!(
                    "DP {}: {low_port_limit} port(s) with max_hosts under 1,000,000: learning \
                     stops at the limit",
                    dp.name
                ));
            }
            topo.switches.push(SwitchSpec {
                dp_id: dp.dp_id.0,
                name: dp.name.clone(),
                ports: dp
                    .ports
                    .values()
                    .map(|p| (p.number.0, p.name.clone()))
                    .collect(),
                learn,
            });
        }
        topo.warnings.sort();
        topo.warnings.dedup();
        Ok(topo)
    }

    /// Total ports over all switches.
    pub fn ports(&self) -> usize {
        self.switches.iter().map(|s| s.ports.len()).sum()
    }
}

/// A configuration the generator writes: `dps` DPs (dp_ids 1..=dps) of `ports` ports each,
/// the ports spread over `vlans` VLANs (VIDs from 100), with learning unthrottled
/// (`ignore_learn_ins: 0`) and host limits out of the way, so that every packet-in is
/// learned by FAUCET and sluice alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Number of DPs.
    pub dps: usize,
    /// Ports per DP.
    pub ports: u32,
    /// Number of VLANs.
    pub vlans: u16,
}

/// The VID of the VLAN the reload variant adds.
pub const RELOAD_VID: u16 = 3999;
/// `max_hosts` on every generated port and VLAN.
const MAX_HOSTS: u32 = 100_000_000;

impl Generated {
    /// The configuration's YAML.
    pub fn yaml(&self) -> String {
        self.render(false)
    }

    /// The same configuration changed the way FAUCET's reload measurements change it: a
    /// VLAN added, and the last port of every DP moved to it (a warm reload of every DP).
    pub fn reload_yaml(&self) -> String {
        self.render(true)
    }

    fn render(&self, reload: bool) -> String {
        let mut y = String::with_capacity(128 + self.dps * 160);
        y.push_str("# written by sluice bench\nvlans:\n");
        let vlans = self.vlans.max(1);
        for v in 0..vlans {
            let _ = writeln!(
                y,
                "  v{}: {{vid: {}, max_hosts: {MAX_HOSTS}}}",
                100 + v,
                100 + v
            );
        }
        if reload {
            let _ = writeln!(
                y,
                "  v{RELOAD_VID}: {{vid: {RELOAD_VID}, max_hosts: {MAX_HOSTS}}}"
            );
        }
        y.push_str("dps:\n");
        let ports = self.ports.max(1);
        for dp in 1..=self.dps {
            let _ = writeln!(
                y,
                "  b{dp}:\n    dp_id: {dp}\n    hardware: \"Open vSwitch\"\n    \
                 ignore_learn_ins: 0\n    interfaces:"
            );
            for p in 1..=ports {
                let vid = if reload && p == ports {
                    RELOAD_VID
                } else {
                    100 + u16::try_from((p - 1) % u32::from(vlans)).unwrap_or(0)
                };
                let _ = writeln!(
                    y,
                    "      {p}: {{native_vlan: v{vid}, max_hosts: {MAX_HOSTS}}}"
                );
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn generated_configurations_load_and_learn_unthrottled() {
        let g = Generated {
            dps: 3,
            ports: 4,
            vlans: 2,
        };
        let loaded = sluice_config::load_str(&g.yaml()).unwrap();
        let topo = Topology::from_config(&loaded.config, None).unwrap();
        assert_eq!(topo.switches.len(), 3);
        assert_eq!(topo.switches[2].dp_id, 3);
        assert_eq!(topo.switches[0].ports.len(), 4);
        assert_eq!(topo.switches[0].learn.len(), 4);
        assert!(topo.warnings.is_empty(), "{:?}", topo.warnings);

        let reloaded = sluice_config::load_str(&g.reload_yaml()).unwrap();
        let dp = reloaded.config.dps.values().next().unwrap();
        let last = dp.ports.values().last().unwrap();
        assert_eq!(last.native_vlan.unwrap().0, RELOAD_VID);

        let limited = Topology::from_config(&loaded.config, Some(2)).unwrap();
        assert_eq!(limited.switches.len(), 2);
    }

    #[test]
    fn warns_about_what_throttles_learning() {
        let yaml = "vlans:\n  office: {vid: 100}\ndps:\n  sw1:\n    dp_id: 1\n    interfaces:\n      1: {native_vlan: office}\n      2: {tagged_vlans: [office]}\n";
        let loaded = sluice_config::load_str(yaml).unwrap();
        let topo = Topology::from_config(&loaded.config, None).unwrap();
        assert_eq!(topo.switches[0].learn.len(), 2);
        assert_eq!(topo.warnings.len(), 2, "{:?}", topo.warnings);
    }
}
