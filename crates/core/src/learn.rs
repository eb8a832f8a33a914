//! L2 learning: which host is behind which port, per VLAN, with FAUCET's limits and timers.
//!
//! The host table decides; [`crate::valve`] turns its decisions into flows. Everything here is
//! O(1) per packet-in (hash lookups and counters), and a host costs one table entry.

use sluice_wire::MacAddr;

use crate::fxhash::FxHashMap;
use crate::time::Instant;

/// A learned host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// The port it is behind.
    pub port: u32,
    /// When it was (re)learned.
    pub learned: Instant,
    /// The eth_src flow's hard timeout (seconds; 0 for a permanent host).
    pub timeout: u16,
}

/// What the table decided about a packet-in's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do: the host is where we know it is, and was learned recently.
    Known,
    /// Learn (or refresh, or move) the host; `moved_from` is its previous port.
    Learn {
        /// The previous port, if it moved.
        moved_from: Option<u32>,
        /// Whether the host's flows are on the switch already (a refresh, no delete needed).
        refresh: bool,
    },
    /// The host is pinned (`permanent_learn`) to another port: drop it on this one.
    PinnedElsewhere {
        /// Where it is pinned.
        port: u32,
    },
    /// The port has as many hosts as it may learn: ban learning on it.
    BanPort,
    /// The VLAN has as many hosts as it may learn: ban learning on it.
    BanVlan,
    /// A host moving back and forth faster than the guard time on a `loop_protect` port:
    /// ban learning on the port.
    BanLoop,
    /// Learning on the port or VLAN is banned for now.
    Banned,
}

/// The limits that apply to one learning decision.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The port's `max_hosts`.
    pub port_max: usize,
    /// The VLAN's `max_hosts`.
    pub vlan_max: usize,
    /// The DP's `cache_update_guard_time`, in milliseconds.
    pub guard_ms: u64,
    /// Whether the port has `loop_protect`.
    pub loop_protect: bool,
}

/// The host table of one DP.
#[derive(Debug, Default, Clone)]
pub struct Hosts {
    hosts: FxHashMap<(u16, MacAddr), Host>,
    per_port: FxHashMap<u32, usize>,
    per_vlan: FxHashMap<u16, usize>,
    /// Ports whose hosts are pinned (`permanent_learn`), per (VLAN, MAC).
    pinned: FxHashMap<(u16, MacAddr), u32>,
    port_bans: FxHashMap<u32, Instant>,
    vlan_bans: FxHashMap<u16, Instant>,
}

impl Hosts {
    /// An empty table.
    pub fn new() -> Self {
        Hosts::default()
    }

    /// The host with this MAC on this VLAN.
    pub fn get(&self, vid: u16, mac: MacAddr) -> Option<&Host> {
        self.hosts.get(&(vid, mac))
    }

    /// Number of hosts learned.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether no host is learned.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Hosts learned on a port.
    pub fn on_port(&self, port: u32) -> usize {
        self.per_port.get(&port).copied().unwrap_or(0)
    }

    /// Hosts learned on a VLAN.
    pub fn on_vlan(&self, vid: u16) -> usize {
        self.per_vlan.get(&vid).copied().unwrap_or(0)
    }

    /// Every host: (VLAN, MAC, host).
    pub fn iter(&self) -> impl Iterator<Item = (u16, MacAddr, &Host)> {
        self.hosts.iter().map(|((v, m), h)| (*v, *m, h))
    }

    /// Decides what to do about `mac` seen on `port` in VLAN `vid` at `now`.
    pub fn decide(
        &self,
        now: Instant,
        port: u32,
        vid: u16,
        mac: MacAddr,
        limits: Limits,
    ) -> Decision {
        // Bans and pinned hosts are rare: skip the lookups when there are none.
        if (!self.port_bans.is_empty()
            && self.port_bans.get(&port).is_some_and(|until| now < *until))
            || (!self.vlan_bans.is_empty()
                && self.vlan_bans.get(&vid).is_some_and(|until| now < *until))
        {
            return Decision::Banned;
        }
        if !self.pinned.is_empty()
            && let Some(pinned) = self.pinned.get(&(vid, mac))
            && *pinned != port
        {
            return Decision::PinnedElsewhere { port: *pinned };
        }
        match self.hosts.get(&(vid, mac)) {
            Some(h) if h.port == port => {
                if now.as_millis() < h.learned.as_millis().saturating_add(limits.guard_ms) {
                    Decision::Known
                } else {
                    Decision::Learn {
                        moved_from: None,
                        refresh: true,
                    }
                }
            }
            Some(h) => {
                if limits.loop_protect
                    && now.as_millis() < h.learned.as_millis().saturating_add(limits.guard_ms)
                {
                    return Decision::BanLoop;
                }
                if self.on_port(port) >= limits.port_max {
                    return Decision::BanPort;
                }
                Decision::Learn {
                    moved_from: Some(h.port),
                    refresh: false,
                }
            }
            None => {
                if self.on_port(port) >= limits.port_max {
                    Decision::BanPort
                } else if self.on_vlan(vid) >= limits.vlan_max {
                    Decision::BanVlan
                } else {
                    Decision::Learn {
                        moved_from: None,
                        refresh: false,
                    }
                }
            }
        }
    }

    /// Records a host as learned (after a `Learn` decision).
    pub fn learn(&mut self, vid: u16, mac: MacAddr, host: Host, permanent: bool) {
        if let Some(old) = self.hosts.insert((vid, mac), host) {
            self.uncount(vid, old.port);
        }
        *self.per_port.entry(host.port).or_insert(0) += 1;
        *self.per_vlan.entry(vid).or_insert(0) += 1;
        if permanent {
            self.pinned.insert((vid, mac), host.port);
        }
    }

    fn uncount(&mut self, vid: u16, port: u32) {
        if let Some(n) = self.per_port.get_mut(&port) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_port.remove(&port);
            }
        }
        if let Some(n) = self.per_vlan.get_mut(&vid) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_vlan.remove(&vid);
            }
        }
    }

    /// Bans learning on a port until `until`.
    pub fn ban_port(&mut self, port: u32, until: Instant) {
        self.port_bans.insert(port, until);
    }

    /// Bans learning on a VLAN until `until`.
    pub fn ban_vlan(&mut self, vid: u16, until: Instant) {
        self.vlan_bans.insert(vid, until);
    }

    /// Forgets every host on a port (it went down); returns them as (VLAN, MAC). Pinned
    /// hosts stay pinned.
    pub fn flush_port(&mut self, port: u32) -> Vec<(u16, MacAddr)> {
        let gone: Vec<(u16, MacAddr)> = self
            .hosts
            .iter()
            .filter(|(_, h)| h.port == port)
            .map(|(k, _)| *k)
            .collect();
        for (vid, mac) in &gone {
            self.hosts.remove(&(*vid, *mac));
            self.uncount(*vid, port);
        }
        gone
    }

    /// Forgets hosts whose learning timeout has passed at `now` (permanent hosts never
    /// expire), and bans that are over. Returns the expired hosts.
    pub fn expire(&mut self, now: Instant) -> Vec<(u16, MacAddr, Host)> {
        let gone: Vec<(u16, MacAddr, Host)> = self
            .hosts
            .iter()
            .filter(|(_, h)| {
                h.timeout != 0
                    && now.as_millis() >= h.learned.as_millis() + u64::from(h.timeout) * 1000
            })
            .map(|((v, m), h)| (*v, *m, *h))
            .collect();
        for (vid, mac, h) in &gone {
            self.hosts.remove(&(*vid, *mac));
            self.uncount(*vid, h.port);
        }
        self.port_bans.retain(|_, until| now < *until);
        self.vlan_bans.retain(|_, until| now < *until);
        gone
    }

    /// Forgets everything (the switch disconnected, its flows are gone or stale).
    pub fn clear(&mut self) {
        let pinned = std::mem::take(&mut self.pinned);
        *self = Hosts::default();
        self.pinned = pinned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 1]);

    fn limits() -> Limits {
        Limits {
            port_max: 2,
            vlan_max: 3,
            guard_ms: 150_000,
            loop_protect: false,
        }
    }

    fn host(port: u32, at: u64) -> Host {
        Host {
            port,
            learned: Instant(at),
            timeout: 300,
        }
    }

    #[test]
    fn learn_refresh_move() {
        let mut t = Hosts::new();
        assert_eq!(
            t.decide(Instant(0), 1, 100, MAC, limits()),
            Decision::Learn {
                moved_from: None,
                refresh: false
            }
        );
        t.learn(100, MAC, host(1, 0), false);
        // Seen again on the same port within the guard time: nothing to do.
        assert_eq!(
            t.decide(Instant(1_000), 1, 100, MAC, limits()),
            Decision::Known
        );
        // After the guard time: refresh.
        assert_eq!(
            t.decide(Instant(200_000), 1, 100, MAC, limits()),
            Decision::Learn {
                moved_from: None,
                refresh: true
            }
        );
        // Another port: a move.
        assert_eq!(
            t.decide(Instant(1_000), 2, 100, MAC, limits()),
            Decision::Learn {
                moved_from: Some(1),
                refresh: false
            }
        );
        t.learn(100, MAC, host(2, 1_000), false);
        assert_eq!((t.on_port(1), t.on_port(2), t.on_vlan(100)), (0, 1, 1));
    }

    #[test]
    fn limits_and_bans() {
        let mut t = Hosts::new();
        for i in 0..2u8 {
            t.learn(100, MacAddr([2, 0, 0, 0, 0, i]), host(1, 0), false);
        }
        assert_eq!(
            t.decide(Instant(0), 1, 100, MAC, limits()),
            Decision::BanPort
        );
        t.learn(100, MacAddr([2, 0, 0, 0, 1, 0]), host(2, 0), false);
        assert_eq!(
            t.decide(Instant(0), 3, 100, MAC, limits()),
            Decision::BanVlan
        );
        t.ban_port(3, Instant(5_000));
        assert_eq!(
            t.decide(Instant(1_000), 3, 200, MAC, limits()),
            Decision::Banned
        );
        t.expire(Instant(6_000));
        assert_eq!(
            t.decide(Instant(6_000), 3, 200, MAC, limits()),
            Decision::Learn {
                moved_from: None,
                refresh: false
            }
        );
    }

    #[test]
    fn pinned_hosts_and_loop_protect() {
        let mut t = Hosts::new();
        t.learn(
            100,
            MAC,
            Host {
                port: 1,
                learned: Instant(0),
                timeout: 0,
            },
            true,
        );
        assert_eq!(
            t.decide(Instant(10), 2, 100, MAC, limits()),
            Decision::PinnedElsewhere { port: 1 }
        );
        // Pinned hosts never expire.
        assert!(t.expire(Instant(10_000_000)).is_empty());

        let mut t = Hosts::new();
        t.learn(100, MAC, host(1, 0), false);
        let lp = Limits {
            loop_protect: true,
            ..limits()
        };
        assert_eq!(t.decide(Instant(10), 2, 100, MAC, lp), Decision::BanLoop);
    }

    #[test]
    fn expiry_and_port_flush() {
        let mut t = Hosts::new();
        t.learn(100, MAC, host(1, 0), false);
        t.learn(100, MacAddr([2; 6]), host(2, 0), false);
        assert_eq!(t.flush_port(2), vec![(100, MacAddr([2; 6]))]);
        assert!(t.expire(Instant(299_999)).is_empty());
        assert_eq!(t.expire(Instant(300_000)).len(), 1);
        assert!(t.is_empty());
        assert_eq!(t.on_vlan(100), 0);
    }
}
