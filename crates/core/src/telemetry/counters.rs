//! Counters derived from what the core outputs: connections, flow messages sent, errors,
//! learning bans, reloads. They are updated by [`Counters::observe`], which the runtime calls
//! on every batch of outputs it carries out, so the core's hot paths do no counting of their
//! own beyond the packet-in counters ([`crate::valve::PacketInCounters`]).

use std::collections::BTreeMap;

use crate::event::{Notification, Output, Restart};

/// FAUCET's buckets for `faucet_packet_in_secs` (seconds; `+Inf` is implied).
pub const PACKET_IN_BUCKETS: [f64; 5] = [0.0001, 0.001, 0.01, 0.1, 1.0];

/// A Prometheus histogram with FAUCET's packet-in buckets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or below each of [`PACKET_IN_BUCKETS`] (not cumulative).
    pub buckets: [u64; PACKET_IN_BUCKETS.len()],
    /// Observations above the last bucket.
    pub over: u64,
    /// Number of observations.
    pub count: u64,
    /// Sum of the observations, in seconds.
    pub sum: f64,
}

impl Histogram {
    /// Records `n` observations of `secs` each (a batch of `n` packet-ins that took
    /// `n * secs` together).
    pub fn observe_n(&mut self, secs: f64, n: u64) {
        match PACKET_IN_BUCKETS.iter().position(|le| secs <= *le) {
            Some(i) => self.buckets[i] += n,
            None => self.over += n,
        }
        self.count += n;
        // Precision is not a concern: u64 -> f64 is exact below 2^53 observations.
        self.sum += secs * n as f64;
    }

    /// The cumulative count at or below each bucket bound, as Prometheus exposes it.
    pub fn cumulative(&self) -> [u64; PACKET_IN_BUCKETS.len()] {
        let mut acc = 0;
        let mut out = [0; PACKET_IN_BUCKETS.len()];
        for (o, b) in out.iter_mut().zip(self.buckets) {
            acc += b;
            *o = acc;
        }
        out
    }
}

/// Counters of one DP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DpCounters {
    /// Connections of the switch (`of_dp_connections`).
    pub connections: u64,
    /// Disconnections (`of_dp_disconnections`).
    pub disconnections: u64,
    /// Messages sent to the switch (`of_flowmsgs_sent`): flow, group and meter mods, packet
    /// outs, and the requests of a sync.
    pub flowmsgs_sent: u64,
    /// Errors the switch answered (`of_errors`).
    pub errors: u64,
    /// Warm reloads (`faucet_config_reload_warm`).
    pub reload_warm: u64,
    /// Cold reloads (`faucet_config_reload_cold`).
    pub reload_cold: u64,
    /// Times learning was banned on each port (`port_learn_bans`).
    pub port_learn_bans: BTreeMap<u32, u64>,
    /// Times learning was banned on each VLAN (`vlan_learn_bans`).
    pub vlan_learn_bans: BTreeMap<u16, u64>,
    /// Packet-in handling time (`faucet_packet_in_secs`).
    pub packet_in_secs: Histogram,
}

/// Counters about the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigCounters {
    /// Configurations applied after the first (reloads that took effect).
    pub applied: u64,
    /// Configurations rejected.
    pub rejected: u64,
    /// Why the last configuration was rejected, if the last one was
    /// (`faucet_config_load_error` is 1 while this is set).
    pub last_error: Option<String>,
}

/// Everything counted from the core's outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    dps: BTreeMap<u64, DpCounters>,
    /// The configuration's counters.
    pub config: ConfigCounters,
}

impl Counters {
    /// No counts yet.
    pub fn new() -> Self {
        Counters::default()
    }

    /// The counters of a DP (all zero if nothing happened to it).
    pub fn dp(&self, dp_id: u64) -> Option<&DpCounters> {
        self.dps.get(&dp_id)
    }

    fn dp_mut(&mut self, dp_id: u64) -> &mut DpCounters {
        self.dps.entry(dp_id).or_default()
    }

    /// Counts what a batch of outputs did.
    pub fn observe(&mut self, outputs: &[Output]) {
        for out in outputs {
            match out {
                Output::Send { dp_id, msgs, .. } => {
                    self.dp_mut(*dp_id).flowmsgs_sent += msgs.len() as u64;
                }
                Output::Disconnect { .. } => {}
                Output::Notify(n) => self.note(n),
            }
        }
    }

    fn note(&mut self, n: &Notification) {
        match n {
            Notification::DpConnected { dp_id, .. } => self.dp_mut(*dp_id).connections += 1,
            Notification::DpDisconnected { dp_id, .. } => self.dp_mut(*dp_id).disconnections += 1,
            Notification::SwitchError { dp_id, .. } => self.dp_mut(*dp_id).errors += 1,
            // A ban of one MAC (pinned elsewhere) is a drop rule, not a port or VLAN ban.
            Notification::LearnBan {
                dp_id,
                port,
                vid,
                mac: None,
                ..
            } => {
                let c = self.dp_mut(*dp_id);
                if let Some(p) = port {
                    *c.port_learn_bans.entry(*p).or_default() += 1;
                }
                if let Some(v) = vid {
                    *c.vlan_learn_bans.entry(*v).or_default() += 1;
                }
            }
            Notification::DpReconfigured { dp_id, restart } => match restart {
                Restart::Warm => self.dp_mut(*dp_id).reload_warm += 1,
                Restart::Cold => self.dp_mut(*dp_id).reload_cold += 1,
                Restart::New | Restart::Removed => {}
            },
            Notification::ConfigApplied { .. } => {
                self.config.applied += 1;
                self.config.last_error = None;
            }
            Notification::ConfigRejected { errors } => {
                self.config.rejected += 1;
                self.config.last_error = Some(errors.clone());
            }
            _ => {}
        }
    }

    /// Records that a batch of `n` packet-ins from `dp_id` took `secs` seconds to handle.
    pub fn packet_ins_took(&mut self, dp_id: u64, secs: f64, n: u64) {
        if n > 0 {
            self.dp_mut(dp_id)
                .packet_in_secs
                .observe_n(secs / n as f64, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use sluice_ofp::Encoded;
    use sluice_ofp::Message;
    use sluice_wire::MacAddr;

    use super::*;
    use crate::event::DisconnectReason;

    #[test]
    fn counts_sends_connections_bans_and_reloads() {
        let mut c = Counters::new();
        let msgs = Encoded::from(&[Message::BarrierRequest, Message::BarrierRequest][..]);
        let ban = |port, vid, mac| {
            Output::Notify(Notification::LearnBan {
                dp_id: 1,
                port,
                vid,
                mac,
                why: String::new(),
            })
        };
        c.observe(&[
            Output::Notify(Notification::DpConnected {
                dp_id: 1,
                ports: vec![],
                desc: String::new(),
            }),
            Output::Send {
                dp_id: 1,
                msgs,
                barrier: None,
            },
            ban(Some(3), None, None),
            ban(None, Some(100), None),
            ban(Some(3), None, Some(MacAddr([2; 6]))),
            Output::Notify(Notification::DpReconfigured {
                dp_id: 1,
                restart: Restart::Warm,
            }),
            Output::Notify(Notification::DpDisconnected {
                dp_id: 1,
                reason: DisconnectReason::Closed,
            }),
            Output::Notify(Notification::ConfigRejected {
                errors: "bad".into(),
            }),
        ]);
        let d = c.dp(1).unwrap();
        assert_eq!(
            (
                d.connections,
                d.disconnections,
                d.flowmsgs_sent,
                d.reload_warm
            ),
            (1, 1, 2, 1)
        );
        assert_eq!(d.port_learn_bans.get(&3), Some(&1));
        assert_eq!(d.vlan_learn_bans.get(&100), Some(&1));
        assert_eq!(c.config.last_error.as_deref(), Some("bad"));
        c.observe(&[Output::Notify(Notification::ConfigApplied {
            files: vec![],
        })]);
        assert_eq!((c.config.applied, c.config.rejected), (1, 1));
        assert_eq!(c.config.last_error, None);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        h.observe_n(0.00005, 3);
        h.observe_n(0.005, 1);
        h.observe_n(2.0, 1);
        assert_eq!(h.cumulative(), [3, 3, 4, 4, 4]);
        assert_eq!((h.count, h.over), (5, 1));
        assert!((h.sum - 2.00515).abs() < 1e-9);
    }
}
