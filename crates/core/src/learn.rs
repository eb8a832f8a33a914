//! L2 learning: which host is behind which port, per VLAN, with FAUCET's limits and timers.
//!
//! The host table decides; [`crate::valve`] turns its decisions into flows. Everything here is
//! O(1) per packet-in (hash lookups and counters), and a host costs one table entry. The
//! table grows a little per insert ([`table`]), so learning never stops to rehash every host.
//! Expiry looks only at the hosts whose timeout falls due ([`Hosts::expire`]): each
//! (re)learned host is filed under the second its timeout ends in ([`due`]), so a tick
//! costs the hosts that expire, not every host.

mod due;
mod table;

use sluice_wire::MacAddr;

use self::due::Due;
use self::table::Table;
use crate::fxhash::FxHashMap;
use crate::time::Instant;

/// A learned host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Host {
    /// The port it is behind.
    pub port: u32,
    /// When it was (re)learned.
    pub learned: Instant,
    /// The eth_src flow's hard timeout (seconds; 0 for a permanent host).
    pub timeout: u16,
}

impl Host {
    /// When its timeout ends, in milliseconds (`None` for a permanent host).
    fn deadline_ms(&self) -> Option<u64> {
        (self.timeout != 0).then(|| self.learned.as_millis() + u64::from(self.timeout) * 1000)
    }

    /// The second its timeout ends in: where [`Hosts`] files it ([`Due`]).
    fn due_second(&self) -> Option<u64> {
        self.deadline_ms().map(|ms| ms / 1000)
    }
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

/// A host's table key: its VLAN and MAC packed into one word, hashed in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key(u64);

impl Key {
    fn new(vid: u16, mac: MacAddr) -> Key {
        // A VLAN ID has 12 bits; the top four stay clear, which keeps every key below the
        // two values the host table reserves.
        let vid = vid & 0x0fff;
        let m = mac.0;
        Key(u64::from_be_bytes([
            (vid >> 8) as u8,
            vid as u8,
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
        ]))
    }

    fn vid(self) -> u16 {
        (self.0 >> 48) as u16
    }

    fn mac(self) -> MacAddr {
        let b = self.0.to_be_bytes();
        MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]])
    }
}

/// The host table of one DP.
#[derive(Debug, Default, Clone)]
pub struct Hosts {
    /// By [`Key`].
    hosts: Table<Host>,
    per_port: FxHashMap<u32, usize>,
    per_vlan: FxHashMap<u16, usize>,
    /// Ports whose hosts are pinned (`permanent_learn`), per (VLAN, MAC).
    pinned: FxHashMap<Key, u32>,
    port_bans: FxHashMap<u32, Instant>,
    vlan_bans: FxHashMap<u16, Instant>,
    /// Keys of hosts by the second their timeout ends in. A host is filed again each time
    /// it is (re)learned; an entry whose host has gone, or now ends in another second, is
    /// dropped when its second comes.
    due: Due,
}

impl Hosts {
    /// An empty table.
    pub fn new() -> Self {
        Hosts::default()
    }

    /// The host with this MAC on this VLAN.
    pub fn get(&self, vid: u16, mac: MacAddr) -> Option<&Host> {
        self.hosts.get(Key::new(vid, mac).0)
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
        self.hosts
            .iter()
            .map(|(k, h)| (Key(k).vid(), Key(k).mac(), h))
    }

    /// Brings into the cache what [`Hosts::observe`] will read for each `(vid, mac)`, all
    /// at once, ahead of a batch of observations.
    pub fn prefetch(&self, hosts: impl Iterator<Item = (u16, MacAddr)>) {
        self.hosts
            .prefetch(hosts.map(|(vid, mac)| Key::new(vid, mac).0));
    }

    /// Decides what to do about `mac` seen on `port` in VLAN `vid` at `now`, and on a
    /// [`Decision::Learn`] records the host, with the flow timeout `timeout` gives (called
    /// only then). One lookup in the host table.
    pub fn observe(
        &mut self,
        now: Instant,
        (port, vid, mac): (u32, u16, MacAddr),
        limits: Limits,
        permanent: bool,
        timeout: impl FnOnce() -> u16,
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
            && let Some(pinned) = self.pinned.get(&Key::new(vid, mac))
            && *pinned != port
        {
            return Decision::PinnedElsewhere { port: *pinned };
        }
        // Looked up only where a new host would be counted (not for a known one).
        let per_port = &self.per_port;
        let port_full = || per_port.get(&port).copied().unwrap_or(0) >= limits.port_max;
        let recent =
            |h: &Host| now.as_millis() < h.learned.as_millis().saturating_add(limits.guard_ms);
        let key = Key::new(vid, mac);
        let decision = match self.hosts.get_mut(key.0) {
            Some(host) if host.port == port => {
                if recent(host) {
                    return Decision::Known;
                }
                host.learned = now;
                host.timeout = timeout();
                Self::file(&mut self.due, key, host);
                Decision::Learn {
                    moved_from: None,
                    refresh: true,
                }
            }
            Some(host) => {
                if limits.loop_protect && recent(host) {
                    return Decision::BanLoop;
                }
                if port_full() {
                    return Decision::BanPort;
                }
                let old = host.port;
                *host = Host {
                    port,
                    learned: now,
                    timeout: timeout(),
                };
                Self::file(&mut self.due, key, host);
                Self::uncount(&mut self.per_port, &mut self.per_vlan, vid, old);
                Self::count(&mut self.per_port, &mut self.per_vlan, vid, port);
                Decision::Learn {
                    moved_from: Some(old),
                    refresh: false,
                }
            }
            None => {
                if port_full() {
                    return Decision::BanPort;
                }
                if self.per_vlan.get(&vid).copied().unwrap_or(0) >= limits.vlan_max {
                    return Decision::BanVlan;
                }
                let host = Host {
                    port,
                    learned: now,
                    timeout: timeout(),
                };
                self.hosts.insert_new(key.0, host);
                Self::file(&mut self.due, key, &host);
                Self::count(&mut self.per_port, &mut self.per_vlan, vid, port);
                Decision::Learn {
                    moved_from: None,
                    refresh: false,
                }
            }
        };
        if permanent {
            self.pinned.insert(key, port);
        }
        decision
    }

    /// Records a host found on the switch (its flows were adopted), as if just learned.
    pub fn adopt(&mut self, vid: u16, mac: MacAddr, host: Host, permanent: bool) {
        let key = Key::new(vid, mac);
        Self::file(&mut self.due, key, &host);
        if let Some(old) = self.hosts.insert(key.0, host) {
            Self::uncount(&mut self.per_port, &mut self.per_vlan, vid, old.port);
        }
        Self::count(&mut self.per_port, &mut self.per_vlan, vid, host.port);
        if permanent {
            self.pinned.insert(key, host.port);
        }
    }

    /// Files `host` under the second its timeout ends in (a permanent host is not filed).
    fn file(due: &mut Due, key: Key, host: &Host) {
        if let Some(second) = host.due_second() {
            due.file(second, key.0);
        }
    }

    fn count(
        per_port: &mut FxHashMap<u32, usize>,
        per_vlan: &mut FxHashMap<u16, usize>,
        vid: u16,
        port: u32,
    ) {
        *per_port.entry(port).or_insert(0) += 1;
        *per_vlan.entry(vid).or_insert(0) += 1;
    }

    fn uncount(
        per_port: &mut FxHashMap<u32, usize>,
        per_vlan: &mut FxHashMap<u16, usize>,
        vid: u16,
        port: u32,
    ) {
        if let Some(n) = per_port.get_mut(&port) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_port.remove(&port);
            }
        }
        if let Some(n) = per_vlan.get_mut(&vid) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_vlan.remove(&vid);
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
        let mut gone = Vec::new();
        let (per_port, per_vlan) = (&mut self.per_port, &mut self.per_vlan);
        self.hosts.retain(|k, h| {
            if h.port != port {
                return true;
            }
            let k = Key(k);
            gone.push((k.vid(), k.mac()));
            Self::uncount(per_port, per_vlan, k.vid(), port);
            false
        });
        gone
    }

    /// Forgets one host (pinned hosts stay pinned); returns it, if it was known.
    pub fn forget(&mut self, vid: u16, mac: MacAddr) -> Option<Host> {
        let host = self.hosts.remove(Key::new(vid, mac).0)?;
        Self::uncount(&mut self.per_port, &mut self.per_vlan, vid, host.port);
        Some(host)
    }

    /// Forgets hosts whose learning timeout has passed at `now` (permanent hosts never
    /// expire), and bans that are over. Returns the expired hosts. Looks only at the hosts
    /// filed under the seconds up to `now`'s: O(hosts that were due).
    pub fn expire(&mut self, now: Instant) -> Vec<(u16, MacAddr, Host)> {
        let now_ms = now.as_millis();
        let mut gone = Vec::new();
        while let Some((second, keys)) = self.due.take_until(now_ms / 1000) {
            let mut later = Vec::new();
            for k in keys.into_iter().flatten() {
                let Some(h) = self.hosts.get(k).copied() else {
                    continue; // forgotten since
                };
                if h.due_second().is_none_or(|s| s > second) {
                    continue; // relearned since: filed again under its new second
                }
                if h.deadline_ms().is_some_and(|d| d > now_ms) {
                    later.push(k); // due later in this second
                    continue;
                }
                if self.hosts.remove(k).is_some() {
                    let k = Key(k);
                    gone.push((k.vid(), k.mac(), h));
                    Self::uncount(&mut self.per_port, &mut self.per_vlan, k.vid(), h.port);
                }
            }
            if !later.is_empty() {
                self.due.put_back(second, &later);
                break;
            }
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

    /// `mac` seen on `port` in VLAN `vid` at `at` ms, with `limits`.
    fn see(t: &mut Hosts, at: u64, port: u32, vid: u16, mac: MacAddr, l: Limits) -> Decision {
        t.observe(Instant(at), (port, vid, mac), l, false, || 300)
    }

    const NEW: Decision = Decision::Learn {
        moved_from: None,
        refresh: false,
    };

    #[test]
    fn learn_refresh_move() {
        let mut t = Hosts::new();
        assert_eq!(see(&mut t, 0, 1, 100, MAC, limits()), NEW);
        // Seen again on the same port within the guard time: nothing to do.
        assert_eq!(see(&mut t, 1_000, 1, 100, MAC, limits()), Decision::Known);
        // After the guard time: refresh.
        assert_eq!(
            see(&mut t, 200_000, 1, 100, MAC, limits()),
            Decision::Learn {
                moved_from: None,
                refresh: true
            }
        );
        assert_eq!(t.get(100, MAC).map(|h| h.learned), Some(Instant(200_000)));
        // Another port: a move.
        assert_eq!(
            see(&mut t, 201_000, 2, 100, MAC, limits()),
            Decision::Learn {
                moved_from: Some(1),
                refresh: false
            }
        );
        assert_eq!((t.on_port(1), t.on_port(2), t.on_vlan(100)), (0, 1, 1));
    }

    #[test]
    fn limits_and_bans() {
        let mut t = Hosts::new();
        for i in 0..2u8 {
            assert_eq!(
                see(&mut t, 0, 1, 100, MacAddr([2, 0, 0, 0, 0, i]), limits()),
                NEW
            );
        }
        assert_eq!(see(&mut t, 0, 1, 100, MAC, limits()), Decision::BanPort);
        assert_eq!(
            see(&mut t, 0, 2, 100, MacAddr([2, 0, 0, 0, 1, 0]), limits()),
            NEW
        );
        assert_eq!(see(&mut t, 0, 3, 100, MAC, limits()), Decision::BanVlan);
        assert_eq!(t.len(), 3);
        t.ban_port(3, Instant(5_000));
        assert_eq!(see(&mut t, 1_000, 3, 200, MAC, limits()), Decision::Banned);
        t.expire(Instant(6_000));
        assert_eq!(see(&mut t, 6_000, 3, 200, MAC, limits()), NEW);
    }

    #[test]
    fn pinned_hosts_and_loop_protect() {
        let mut t = Hosts::new();
        assert_eq!(
            t.observe(Instant(0), (1, 100, MAC), limits(), true, || 0),
            NEW
        );
        assert_eq!(
            see(&mut t, 10, 2, 100, MAC, limits()),
            Decision::PinnedElsewhere { port: 1 }
        );
        // Pinned hosts never expire.
        assert!(t.expire(Instant(10_000_000)).is_empty());

        let mut t = Hosts::new();
        assert_eq!(see(&mut t, 0, 1, 100, MAC, limits()), NEW);
        let lp = Limits {
            loop_protect: true,
            ..limits()
        };
        assert_eq!(see(&mut t, 10, 2, 100, MAC, lp), Decision::BanLoop);
        assert_eq!(t.get(100, MAC).map(|h| h.port), Some(1));
    }

    #[test]
    fn expiry_and_port_flush() {
        let mut t = Hosts::new();
        see(&mut t, 0, 1, 100, MAC, limits());
        see(&mut t, 0, 2, 100, MacAddr([2; 6]), limits());
        assert_eq!(t.flush_port(2), vec![(100, MacAddr([2; 6]))]);
        assert!(t.expire(Instant(299_999)).is_empty());
        assert_eq!(t.expire(Instant(300_000)).len(), 1);
        assert!(t.is_empty());
        assert_eq!(t.on_vlan(100), 0);
    }

    #[test]
    fn expiry_follows_refreshes_moves_and_forgetting() {
        let mut t = Hosts::new();
        let (a, b, c) = (
            MacAddr([2, 0, 0, 0, 0, 1]),
            MacAddr([2, 0, 0, 0, 0, 2]),
            MAC,
        );
        see(&mut t, 0, 1, 100, a, limits());
        see(&mut t, 400, 1, 100, b, limits());
        see(&mut t, 0, 1, 100, c, limits());
        // a is refreshed after the guard time, b moves: both end 300 s after that.
        see(&mut t, 200_000, 1, 100, a, limits());
        see(&mut t, 200_000, 2, 100, b, limits());
        t.forget(100, c);
        // Only what is due by the millisecond goes.
        assert!(t.expire(Instant(300_399)).is_empty());
        assert!(t.expire(Instant(300_999)).is_empty());
        let due: Vec<MacAddr> = t.expire(Instant(500_000)).iter().map(|g| g.1).collect();
        assert_eq!(due, [a, b]);
        assert!(t.is_empty());
        // A host learned again after expiring expires again, once.
        see(&mut t, 500_000, 1, 100, a, limits());
        assert!(t.expire(Instant(799_999)).is_empty());
        assert_eq!(t.expire(Instant(800_000)).len(), 1);
        assert!(t.expire(Instant(900_000)).is_empty());
    }

    #[test]
    fn an_adopted_host_with_an_old_time_expires_on_the_next_tick() {
        let mut t = Hosts::new();
        see(&mut t, 400_000, 1, 100, MAC, limits());
        let old = Host {
            port: 1,
            learned: Instant(0),
            timeout: 300,
        };
        t.adopt(100, MacAddr([2; 6]), old, false);
        let gone: Vec<MacAddr> = t.expire(Instant(401_000)).iter().map(|g| g.1).collect();
        assert_eq!(gone, [MacAddr([2; 6])]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn expiry_within_a_second_keeps_the_rest_of_it() {
        let mut t = Hosts::new();
        see(&mut t, 120, 1, 100, MAC, limits());
        see(&mut t, 170, 1, 100, MacAddr([2; 6]), limits());
        assert_eq!(t.expire(Instant(300_150)).len(), 1);
        assert!(t.expire(Instant(300_169)).is_empty());
        assert_eq!(t.expire(Instant(300_170)).len(), 1);
        assert!(t.is_empty());
    }
}
