//! Stacking: DPs joined by stack links behave as one switch.
//!
//! The controller sees every DP of the stack, so it decides the fabric's shape centrally and
//! hands each DP a [`StackView`]: which of its stack ports carry floods, which one leads to the
//! root, and the next hop towards every DP a tunnel goes to.
//!
//! ```text
//!  LLDP beacons ──► port states ──► links up ──► root per component ──► shortest-path tree
//!  (every stack     Init/Up/Bad/    (both ends    (healthy first, then     (floods go over the
//!   port, each       Gone/          Up)            priority, then dp_id)    tree only: loop-free,
//!   send_interval)   AdminDown                                               one copy per host)
//! ```
//!
//! FAUCET floods towards the root and lets the root reflect floods back down (its DPs decide
//! from local state). Here the tree is computed once for the whole stack, so every DP floods
//! on its tree ports and nothing else: each host gets exactly one copy, along the shortest
//! path through the root's tree, and no flood ever crosses a redundant link. Learned hosts
//! behind stack ports are forgotten whenever the tree changes (their path may have moved).
//!
//! A VLAN with `edge_learn_stack_root: false` learns a host behind the stack towards the DP
//! that learned it on one of its own ports, by the shortest path ([`StackView::towards`]), so
//! its unicast also crosses links off the tree ([`StackView::unicast_ports`]); floods still
//! follow the tree only.
//!
//! Pure: time comes in as [`Instant`]s.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::{EdgeFiltered, EdgeRef};
use sluice_config::Config;

use crate::time::Instant;

/// A stack port's state, numbered as FAUCET numbers them (`port_stack_state` metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortState {
    /// The port is disabled in the configuration.
    AdminDown = 0,
    /// The link is up but no beacon from the configured peer has arrived yet.
    Init = 1,
    /// Beacons arrive from somewhere other than the configured peer (a cabling error).
    Bad = 2,
    /// Beacons arrive from the configured peer.
    Up = 3,
    /// The link is down, the switch is disconnected, or beacons stopped arriving.
    Gone = 4,
}

impl PortState {
    /// FAUCET's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            PortState::AdminDown => "admin_down",
            PortState::Init => "init",
            PortState::Bad => "bad",
            PortState::Up => "up",
            PortState::Gone => "gone",
        }
    }
}

/// One end of a stack link: (dp_id, port).
pub type End = (u64, u32);

/// A link of the graph: its two ends, the lower first.
type Link = (End, End);

/// For every DP (by node index), its up link one hop nearer some DP, as (this end, far end).
type Steps = Vec<Option<(End, End)>>;

/// How good a root a DP would be; the lowest wins.
type RootKey = (bool, bool, bool, i64, u64);

/// How a part of the stack ranks for naming the stack's root: the largest part first.
type PartRank = (std::cmp::Reverse<usize>, RootKey);

/// One stack port as the stack follows it.
#[derive(Debug, Clone, PartialEq)]
struct StackPort {
    /// The configured far end.
    peer: (u64, u32),
    enabled: bool,
    state: PortState,
    /// When the last good beacon arrived.
    heard: Instant,
    /// How long without a beacon before the port is gone: the peer's `send_interval` times
    /// this port's `max_lldp_lost`.
    lost_after_ms: u64,
    changes: u64,
    cabling_errors: u64,
    probes_received: u64,
}

/// A `loop_protect_external` port of a stacked DP: a link to a switch outside the stack.
#[derive(Debug, Clone, PartialEq)]
struct External {
    /// The VLANs it carries (native and tagged).
    vlans: Vec<u16>,
    /// Whether its link is up (and its DP connected).
    up: bool,
}

/// One configured DP of the stack.
#[derive(Debug, Clone, PartialEq)]
struct StackDp {
    node: NodeIndex,
    /// `stack: priority` (root candidates have one; lower wins).
    priority: Option<i64>,
    min_health: f64,
    send_interval_ms: u64,
    connected: bool,
    last_beacon: Option<Instant>,
}

/// What one DP needs to know about the stack to build its flows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackView {
    /// The root of this DP's part of the stack (the DP itself when it is alone).
    pub root: u64,
    /// Stack ports that carry floods (and are admitted at all): the tree's links.
    pub tree_ports: BTreeSet<u32>,
    /// The tree port towards the root (`None` on the root).
    pub root_port: Option<u32>,
    /// The stack port to send towards each DP a tunnel goes to (or, for a `bi_directional`
    /// one, comes from), for the DPs reachable from here.
    pub next_hop: BTreeMap<u64, u32>,
    /// The stack port on a shortest path towards every other DP of this part of the stack,
    /// when some VLAN learns hosts behind the stack by the shortest path
    /// (`edge_learn_stack_root: false`); empty otherwise.
    pub towards: BTreeMap<u64, u32>,
    /// Stack ports whose link is up but off the tree, when some VLAN learns by the shortest
    /// path: they carry that VLAN's unicast to learned hosts (never floods).
    pub unicast_ports: BTreeSet<u32>,
    /// This DP's `loop_protect_external` ports that must not forward on a VLAN, as (port,
    /// VID): each part of the stack uses one external port per VLAN (the one in use while it
    /// is up, else the up one nearest the root, then the lowest dp_id and port) and blocks
    /// the others, so frames never loop through the network outside, nor enter the stack
    /// twice from it.
    pub blocked: BTreeSet<(u32, u16)>,
    /// The DP where each `bi_directional` tunnel (by tunnel VID) starts: its reverse path
    /// leads there. With entries on several DPs, the lowest `dp_id` (one VID cannot lead two
    /// ways).
    pub reverse_to: BTreeMap<u16, u64>,
}

impl StackView {
    /// What decides where hosts outside this DP are reached: the tree, the external ports
    /// used, and (with VLANs that learn by the shortest path) the next hops and the links
    /// off the tree. When it changes anywhere, hosts behind stack ports are forgotten.
    pub fn host_paths(&self) -> impl PartialEq + '_ {
        (
            self.root,
            self.root_port,
            &self.tree_ports,
            &self.blocked,
            &self.towards,
            &self.unicast_ports,
        )
    }
}

/// A change in the stack worth telling operators about.
#[derive(Debug, Clone, PartialEq)]
pub enum StackChange {
    /// A stack port changed state.
    PortState {
        /// The DP.
        dp_id: u64,
        /// The port.
        port: u32,
        /// The new state.
        state: PortState,
    },
    /// A `loop_protect_external` port went up or down.
    External {
        /// The DP.
        dp_id: u64,
        /// The port.
        port: u32,
        /// Whether its link is up now.
        up: bool,
    },
    /// The root of the stack (of its largest-priority part) changed.
    Root {
        /// The new root.
        root: u64,
    },
}

/// Counters and states for the metrics, per stack port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackPortStats {
    /// The port's state.
    pub state: PortState,
    /// State changes so far.
    pub changes: u64,
    /// Beacons from another DP or port than the configured one.
    pub cabling_errors: u64,
    /// Beacons received.
    pub probes_received: u64,
}

/// The stack: its configured links, what beacons say about them, and the tree built on them.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    graph: UnGraph<u64, Link>,
    dps: BTreeMap<u64, StackDp>,
    ports: BTreeMap<(u64, u32), StackPort>,
    /// DPs tunnels go to, or bi-directional ones come from (the next hops towards them are
    /// computed).
    tunnel_ends: BTreeSet<u64>,
    /// Where each bi-directional tunnel starts (see [`StackView::reverse_to`]).
    reverse_to: BTreeMap<u16, u64>,
    /// Whether some stacked DP has a VLAN with `edge_learn_stack_root: false`: then every DP
    /// gets the next hop towards every other, and links off the tree carry unicast.
    shortest: bool,
    /// The `loop_protect_external` ports of stacked DPs.
    externals: BTreeMap<End, External>,
    /// The external ports that forward, by VID (one per part of the stack and VLAN).
    forwarding: BTreeSet<(End, u16)>,
    root: Option<u64>,
    root_changes: u64,
    views: BTreeMap<u64, StackView>,
    /// The links up when the views were last computed, by edge.
    links_up: BTreeSet<usize>,
}

impl Stack {
    /// The stack of `config`, or `None` when no DP has stack ports. Port states carry over
    /// from `old` for links that are still configured the same way.
    pub fn from_config(config: &Config, old: Option<&Stack>) -> Option<Stack> {
        let mut stack = Stack::default();
        for dp in config.dps.values().filter(|dp| dp.stack.is_some()) {
            let id = dp.dp_id.0;
            let node = stack.graph.add_node(id);
            let send_interval_ms = dp
                .lldp_beacon
                .as_ref()
                .map_or(5, |b| b.send_interval.max(1))
                .unsigned_abs()
                * 1000;
            let s = dp.stack.as_ref();
            let old_dp = old.and_then(|o| o.dps.get(&id));
            stack.dps.insert(
                id,
                StackDp {
                    node,
                    priority: s.and_then(|s| s.priority),
                    min_health: s.map_or(1.0, |s| s.min_stack_health),
                    send_interval_ms,
                    connected: old_dp.is_some_and(|d| d.connected),
                    last_beacon: old_dp.and_then(|d| d.last_beacon),
                },
            );
        }
        if stack.dps.is_empty() {
            return None;
        }
        for dp in config.dps.values().filter(|dp| dp.stack.is_some()) {
            let id = dp.dp_id.0;
            for port in dp.ports.values() {
                let Some(peer) = port.stack else { continue };
                let (here, there) = ((id, port.number.0), (peer.dp.0, peer.port.0));
                let peer_interval = stack.dps.get(&there.0).map_or(5000, |d| d.send_interval_ms);
                let lost = u64::try_from(port.max_lldp_lost.max(1)).unwrap_or(3);
                let kept = old
                    .and_then(|o| o.ports.get(&here))
                    .filter(|p| p.peer == there && port.enabled);
                let state = match kept {
                    Some(p) => p.state,
                    None if !port.enabled => PortState::AdminDown,
                    None => PortState::Gone,
                };
                stack.ports.insert(
                    here,
                    StackPort {
                        peer: there,
                        enabled: port.enabled,
                        state,
                        heard: kept.map_or(Instant(0), |p| p.heard),
                        lost_after_ms: peer_interval * lost,
                        changes: kept.map_or(0, |p| p.changes),
                        cabling_errors: kept.map_or(0, |p| p.cabling_errors),
                        probes_received: kept.map_or(0, |p| p.probes_received),
                    },
                );
                if here < there
                    && let (Some(a), Some(b)) = (stack.dps.get(&here.0), stack.dps.get(&there.0))
                {
                    stack.graph.add_edge(a.node, b.node, (here, there));
                }
            }
            for port in dp.ports.values() {
                if port.loop_protect_external && port.enabled && port.stack.is_none() {
                    let key = (id, port.number.0);
                    let up = old
                        .and_then(|o| o.externals.get(&key))
                        .is_some_and(|e| e.up);
                    let vlans = port.vlans().map(|v| v.0).collect();
                    stack.externals.insert(key, External { vlans, up });
                }
            }
            stack.shortest |= dp.vlans.values().any(|v| !v.edge_learn_stack_root);
            for (_, t) in dp.tunnels() {
                stack.tunnel_ends.insert(t.dst_dp.0);
            }
            for (t, _) in dp.tunnel_entries().filter(|(t, _)| t.bi_directional) {
                stack.tunnel_ends.insert(id);
                let source = stack.reverse_to.entry(t.tunnel_id.0).or_insert(id);
                *source = (*source).min(id);
            }
        }
        if let Some(o) = old {
            stack.root = o.root;
            stack.root_changes = o.root_changes;
            stack.forwarding = o.forwarding.clone();
        }
        stack.recompute();
        Some(stack)
    }

    /// Whether some VLAN learns hosts behind the stack by the shortest path towards the DP
    /// that learned them locally (`edge_learn_stack_root: false`), not by the tree.
    pub fn learns_shortest(&self) -> bool {
        self.shortest
    }

    /// Whether `dp_id` is a DP of the stack.
    pub fn has_dp(&self, dp_id: u64) -> bool {
        self.dps.contains_key(&dp_id)
    }

    /// The root of the stack (of the part with the best root), if any DP is configured.
    pub fn root(&self) -> Option<u64> {
        self.root
    }

    /// How many times the root changed.
    pub fn root_changes(&self) -> u64 {
        self.root_changes
    }

    /// Every DP's view of the stack.
    pub fn views(&self) -> impl Iterator<Item = (u64, &StackView)> + '_ {
        self.views.iter().map(|(id, v)| (*id, v))
    }

    /// A DP's current view of the stack.
    pub fn view(&self, dp_id: u64) -> Option<&StackView> {
        self.views.get(&dp_id)
    }

    /// Every stack port's state and counters.
    pub fn port_stats(&self) -> impl Iterator<Item = ((u64, u32), StackPortStats)> + '_ {
        self.ports.iter().map(|(k, p)| {
            (
                *k,
                StackPortStats {
                    state: p.state,
                    changes: p.changes,
                    cabling_errors: p.cabling_errors,
                    probes_received: p.probes_received,
                },
            )
        })
    }

    /// The stack's links as `(end, other end, up)`, each once (ends as `(dp_id, port)`).
    pub fn links(&self) -> impl Iterator<Item = ((u64, u32), (u64, u32), bool)> + '_ {
        self.graph
            .edge_weights()
            .map(|(a, b)| (*a, *b, self.link_up(*a, *b)))
    }

    fn set_state(&mut self, key: (u64, u32), state: PortState, changes: &mut Vec<StackChange>) {
        if let Some(p) = self.ports.get_mut(&key)
            && p.state != state
        {
            p.state = state;
            p.changes += 1;
            changes.push(StackChange::PortState {
                dp_id: key.0,
                port: key.1,
                state,
            });
        }
    }

    /// A DP connected with these ports (number, link up).
    pub fn dp_up(&mut self, dp_id: u64, ports: &[(u32, bool)], changes: &mut Vec<StackChange>) {
        let Some(dp) = self.dps.get_mut(&dp_id) else {
            return;
        };
        dp.connected = true;
        dp.last_beacon = None;
        for (no, up) in ports {
            self.port_link(dp_id, *no, *up, changes);
        }
    }

    /// A DP disconnected: its stack ports are gone.
    pub fn dp_down(&mut self, dp_id: u64, changes: &mut Vec<StackChange>) {
        let Some(dp) = self.dps.get_mut(&dp_id) else {
            return;
        };
        dp.connected = false;
        for (key, e) in self.externals.range_mut((dp_id, 0)..=(dp_id, u32::MAX)) {
            if std::mem::take(&mut e.up) {
                changes.push(StackChange::External {
                    dp_id,
                    port: key.1,
                    up: false,
                });
            }
        }
        let keys: Vec<(u64, u32)> = self
            .ports
            .range((dp_id, 0)..=(dp_id, u32::MAX))
            .filter(|(_, p)| p.enabled)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.set_state(k, PortState::Gone, changes);
        }
    }

    /// A stack port's (or external port's) link went up or down.
    pub fn port_link(&mut self, dp_id: u64, port: u32, up: bool, changes: &mut Vec<StackChange>) {
        let key = (dp_id, port);
        if let Some(e) = self.externals.get_mut(&key) {
            if e.up != up {
                e.up = up;
                changes.push(StackChange::External { dp_id, port, up });
            }
            return;
        }
        let Some(p) = self.ports.get(&key) else {
            return;
        };
        if !p.enabled {
            return;
        }
        match (up, p.state) {
            (false, _) => self.set_state(key, PortState::Gone, changes),
            (true, PortState::Gone) => self.set_state(key, PortState::Init, changes),
            (true, _) => {}
        }
    }

    /// A beacon arrived on a stack port, from `peer` (dp_id, port) as the beacon says.
    pub fn beacon(
        &mut self,
        now: Instant,
        dp_id: u64,
        port: u32,
        peer: (Option<u64>, Option<u32>),
        changes: &mut Vec<StackChange>,
    ) {
        let key = (dp_id, port);
        let Some(p) = self.ports.get_mut(&key) else {
            return;
        };
        if !p.enabled {
            return;
        }
        p.probes_received += 1;
        if (peer.0, peer.1) == (Some(p.peer.0), Some(p.peer.1)) {
            p.heard = now;
            self.set_state(key, PortState::Up, changes);
        } else {
            p.cabling_errors += 1;
            self.set_state(key, PortState::Bad, changes);
        }
    }

    /// Time passed: ports whose beacons stopped are gone. Returns the stack ports to send a
    /// beacon on now (each connected DP's, every `send_interval`).
    pub fn tick(&mut self, now: Instant, changes: &mut Vec<StackChange>) -> Vec<(u64, u32)> {
        let stale: Vec<(u64, u32)> = self
            .ports
            .iter()
            .filter(|(_, p)| {
                p.state == PortState::Up
                    && now.as_millis().saturating_sub(p.heard.as_millis()) > p.lost_after_ms
            })
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.set_state(k, PortState::Gone, changes);
        }
        let mut due = Vec::new();
        for (id, dp) in &mut self.dps {
            let is_due = dp.last_beacon.is_none_or(|t| {
                now.as_millis().saturating_sub(t.as_millis()) >= dp.send_interval_ms
            });
            if dp.connected && is_due {
                dp.last_beacon = Some(now);
                due.extend(
                    self.ports
                        .range((*id, 0)..=(*id, u32::MAX))
                        .filter(|(_, p)| p.enabled && p.state != PortState::Gone)
                        .map(|(k, _)| *k),
                );
            }
        }
        due
    }

    /// A stack port's state and the TTL its beacons carry (3 × `send_interval`, in seconds).
    pub fn beacon_info(&self, dp_id: u64, port: u32) -> Option<(PortState, u16)> {
        let p = self.ports.get(&(dp_id, port))?;
        let dp = self.dps.get(&dp_id)?;
        let ttl = u16::try_from(dp.send_interval_ms * 3 / 1000).unwrap_or(u16::MAX);
        Some((p.state, ttl))
    }

    fn link_up(&self, a: (u64, u32), b: (u64, u32)) -> bool {
        let up = |k| self.ports.get(&k).is_some_and(|p| p.state == PortState::Up);
        up(a) && up(b)
    }

    /// Whether a DP can be trusted as root: connected, with at least `min_stack_health` of
    /// its stack ports' links up.
    fn healthy(&self, dp_id: u64) -> bool {
        let Some(dp) = self.dps.get(&dp_id) else {
            return false;
        };
        if !dp.connected {
            return false;
        }
        let ports: Vec<_> = self.ports.range((dp_id, 0)..=(dp_id, u32::MAX)).collect();
        if ports.is_empty() {
            return true;
        }
        let up = ports
            .iter()
            .filter(|(k, p)| self.link_up(**k, p.peer))
            .count();
        #[allow(clippy::cast_precision_loss)]
        let health = up as f64 / ports.len() as f64;
        health >= dp.min_health
    }

    /// Recomputes roots, trees, next hops and blocked external ports from the port states.
    /// Returns whether the links that are up (or the blocked external ports) changed, and the
    /// root's change, if any. O(components × (DPs + links)) for the trees, plus the same per
    /// tunnel end (per DP, when some VLAN learns by the shortest path) for the next hops,
    /// each a shortest-path search.
    pub fn recompute(&mut self) -> (bool, Option<StackChange>) {
        // Which links are up, by edge index, and each DP's root key, worked out once.
        let link_up: Vec<bool> = self
            .graph
            .edge_weights()
            .map(|(a, b)| self.link_up(*a, *b))
            .collect();
        let up = EdgeFiltered::from_fn(&self.graph, |e| link_up[e.id().index()]);
        // The best root: a connected DP, a root candidate (one with a priority), healthy,
        // then the lowest priority, then the lowest dp_id.
        let keys: BTreeMap<u64, RootKey> = self
            .dps
            .iter()
            .map(|(id, dp)| {
                let k = (
                    !dp.connected,
                    dp.priority.is_none(),
                    !self.healthy(*id),
                    dp.priority.unwrap_or(i64::MAX),
                    *id,
                );
                (*id, k)
            })
            .collect();
        let key = |id: u64| keys[&id];
        let mut views: BTreeMap<u64, StackView> = BTreeMap::new();
        // Each DP's hop count from its part's root.
        let mut hops: BTreeMap<u64, u32> = BTreeMap::new();
        let mut best_root: Option<(PartRank, u64)> = None;
        for (id, dp) in &self.dps {
            if views.contains_key(id) {
                continue;
            }
            let component: Vec<u64> = dijkstra(&up, dp.node, None, |_| 1u32)
                .into_keys()
                .map(|n| self.graph[n])
                .collect();
            let Some(best) = component.iter().copied().min_by_key(|d| key(*d)) else {
                continue;
            };
            // The part's current root stays while it is connected and in the part, unless a
            // healthy candidate of better priority is there (so a returning root takes over
            // once its links are up, and start-up does not flap between candidates as their
            // links come up one by one).
            let current = component
                .iter()
                .filter_map(|d| self.views.get(d).map(|v| v.root))
                .filter(|r| component.contains(r) && self.dps[r].connected)
                .min_by_key(|r| key(*r));
            let (kb, root) = (key(best), best);
            let root = match current {
                Some(c) if !(!kb.2 && !kb.1 && kb.3 < key(c).3) => c,
                _ => root,
            };
            // The stack's root (for metrics and events): that of the largest part.
            let rank = (std::cmp::Reverse(component.len()), key(root));
            if best_root.is_none_or(|(k, _)| rank < k) {
                best_root = Some((rank, root));
            }
            for d in &component {
                views.insert(
                    *d,
                    StackView {
                        root,
                        reverse_to: self.reverse_to.clone(),
                        ..StackView::default()
                    },
                );
            }
            // Each DP's parent link: the first link (by neighbour, then port) to a DP one hop
            // nearer the root.
            let (root_hops, parents) = self.steps_towards(&link_up, self.dps[&root].node);
            for d in &component {
                hops.insert(*d, root_hops[self.dps[d].node.index()]);
            }
            for d in component.iter().filter(|d| **d != root) {
                let Some((here, there)) = parents[self.dps[d].node.index()] else {
                    continue;
                };
                if let Some(v) = views.get_mut(d) {
                    v.root_port = Some(here.1);
                    v.tree_ports.insert(here.1);
                }
                if let Some(v) = views.get_mut(&there.0) {
                    v.tree_ports.insert(there.1);
                }
            }
        }
        // Next hops: towards tunnel ends and, when some VLAN learns by the shortest path,
        // towards every DP (ends in dp_id order, so each map is built in one pass).
        let ends: Vec<(u64, Steps)> = self
            .dps
            .iter()
            .filter(|(id, _)| self.shortest || self.tunnel_ends.contains(id))
            .map(|(id, dp)| (*id, self.steps_towards(&link_up, dp.node).1))
            .collect();
        for (id, v) in &mut views {
            let n = self.dps[id].node.index();
            let steps = ends.iter().filter_map(|(end, s)| Some((*end, s[n]?.0.1)));
            if self.shortest {
                v.towards = steps.clone().collect();
            }
            v.next_hop = steps
                .filter(|(end, _)| self.tunnel_ends.contains(end))
                .collect();
        }
        if self.shortest {
            // Links up but off the tree (a link is on the tree at both ends or at neither).
            for (i, (a, b)) in self.graph.edge_weights().enumerate() {
                let on_tree = views.get(&a.0).is_some_and(|v| v.tree_ports.contains(&a.1));
                if !link_up[i] || on_tree {
                    continue;
                }
                for end in [a, b] {
                    if let Some(v) = views.get_mut(&end.0) {
                        v.unicast_ports.insert(end.1);
                    }
                }
            }
        }
        self.block_externals(&hops, &mut views);
        let blocked_changed = views
            .iter()
            .any(|(id, v)| self.views.get(id).map(|o| &o.blocked) != Some(&v.blocked));
        let links_up: BTreeSet<usize> = (0..link_up.len()).filter(|i| link_up[*i]).collect();
        let links_changed = links_up != self.links_up || blocked_changed;
        self.links_up = links_up;
        self.views = views;
        let root = best_root.map(|(_, r)| r);
        let mut root_change = None;
        if root != self.root {
            if self.root.is_some() {
                self.root_changes += 1;
            }
            self.root = root;
            root_change = root.map(|root| StackChange::Root { root });
        }
        (links_changed, root_change)
    }

    /// Picks, per part of the stack and VLAN, the one external port that forwards: the one
    /// that already did, while it is up on a connected DP; otherwise the nearest the part's
    /// root (`hops`), then the lowest dp_id and port (FAUCET prefers the root's too). Every
    /// other external port is blocked on that VLAN. Keeping the one in use means a port is
    /// only ever opened when none of its part forwards on that VLAN (at start, or when the
    /// one in use went down): never while another still forwards, which for the moment the
    /// flow mods to two switches take to land could let a frame circle through the network
    /// outside. O(external ports × their VLANs).
    fn block_externals(&mut self, hops: &BTreeMap<u64, u32>, views: &mut BTreeMap<u64, StackView>) {
        // Per (part's root, VID): the best of those already forwarding, and the best of all.
        let mut kept: BTreeMap<(u64, u16), (u32, End)> = BTreeMap::new();
        let mut best: BTreeMap<(u64, u16), (u32, End)> = BTreeMap::new();
        for (end, e) in &self.externals {
            let Some(root) = views.get(&end.0).map(|v| v.root) else {
                continue;
            };
            if !e.up || !self.dps.get(&end.0).is_some_and(|d| d.connected) {
                continue;
            }
            let rank = (hops.get(&end.0).copied().unwrap_or(u32::MAX), *end);
            for vid in &e.vlans {
                let key = (root, *vid);
                let better = |m: &mut BTreeMap<(u64, u16), (u32, End)>| {
                    let b = m.entry(key).or_insert(rank);
                    *b = (*b).min(rank);
                };
                better(&mut best);
                if self.forwarding.contains(&(*end, *vid)) {
                    better(&mut kept);
                }
            }
        }
        best.extend(kept);
        self.forwarding = best
            .iter()
            .map(|((_, vid), (_, end))| (*end, *vid))
            .collect();
        for (end, e) in &self.externals {
            let Some(view) = views.get_mut(&end.0) else {
                continue;
            };
            for vid in &e.vlans {
                if !self.forwarding.contains(&(*end, *vid)) {
                    view.blocked.insert((end.1, *vid));
                }
            }
        }
    }

    /// Hop counts from `origin` over the links that are up, and for every DP its up link one
    /// hop nearer `origin` as (this end, far end): the one to the lowest neighbour, then on
    /// the lowest port, so every DP picks the same way and the links towards `origin` form a
    /// tree. Both by node index; `u32::MAX` and `None` for DPs `origin` cannot reach (`None`
    /// for `origin` too). A breadth-first search and one pass over the links:
    /// O(DPs + links).
    fn steps_towards(&self, link_up: &[bool], origin: NodeIndex) -> (Vec<u32>, Steps) {
        let n = self.graph.node_count();
        let mut hops = vec![u32::MAX; n];
        hops[origin.index()] = 0;
        let mut queue = std::collections::VecDeque::from([origin]);
        while let Some(x) = queue.pop_front() {
            for e in self.graph.edges(x).filter(|e| link_up[e.id().index()]) {
                let y = if e.source() == x {
                    e.target()
                } else {
                    e.source()
                };
                if hops[y.index()] == u32::MAX {
                    hops[y.index()] = hops[x.index()] + 1;
                    queue.push_back(y);
                }
            }
        }
        let mut best: Steps = vec![None; n];
        for e in self
            .graph
            .edge_references()
            .filter(|e| link_up[e.id().index()])
        {
            let (a, b) = *e.weight();
            for (x, y) in [(e.source(), e.target()), (e.target(), e.source())] {
                let (hx, hy) = (hops[x.index()], hops[y.index()]);
                if hy == u32::MAX || hx != hy + 1 {
                    continue;
                }
                let step = if a.0 == self.graph[x] { (a, b) } else { (b, a) };
                let rank = |(here, there): (End, End)| (there.0, here.1);
                let slot = &mut best[x.index()];
                if slot.is_none_or(|cur| rank(step) < rank(cur)) {
                    *slot = Some(step);
                }
            }
        }
        (hops, best)
    }
}
