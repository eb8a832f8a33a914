//! The pipeline: a DP's configuration and the set of ports that are up, compiled to the
//! flows, groups and meters FAUCET would install (tables vlan, eth_src, eth_dst, flood, and
//! eth_dst_hairpin when a port hairpins; ACLs, the egress pipeline and coprocessor ports in
//! [`super::acl`], [`super::egress`] and [`super::copro`]).
//!
//! Learned hosts are not compiled here: they come and go with packet-ins (see
//! [`crate::learn`]); this module also builds their flows so both agree on the layout.

use std::collections::{BTreeMap, BTreeSet};

use sluice_config::{Dp, Port, PortNo as CfgPort, Vid};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::MeterMod;
use sluice_ofp::oxm::{OFPVID_NONE, OFPVID_PRESENT, OxmField};
use sluice_ofp::{Action, Instruction, Match, PortNo};
use sluice_wire::MacAddr;

use super::flow::{Flow, FlowSet};
use super::tables::{Layout, Table};
use super::{acl, copro, egress, remote_mirror, tunnel};
use crate::fxhash::FxHashMap;
use crate::stack::StackView;

/// FAUCET's priority bands (`valve_manager_base.py`).
pub mod priority {
    /// Table-miss flows.
    pub const MISS: u16 = 0;
    /// Low: VLAN admission, learning rules.
    pub const LOW: u16 = 0x1000;
    /// Match: learned destinations, flooding.
    pub const MATCH: u16 = 0x2000;
    /// Filters: spoofing and broadcast-source drops.
    pub const FILTER: u16 = 0x5000;
    /// A learned source (just below the destination band).
    pub const HOST_SRC: u16 = MATCH - 1;
    /// A learning ban on a port or VLAN (just above the learning rule).
    pub const BAN: u16 = LOW + 1;
}

/// `max_len` of the learning rule's output to the controller (FAUCET's 96 bytes).
pub const LEARN_MAX_LEN: u16 = 96;
/// `max_len` of the LLDP trap's output to the controller.
pub const LLDP_MAX_LEN: u16 = 128;
/// The 802.1Q tag protocol identifier.
pub const ETH_TYPE_8021Q: u16 = 0x8100;
/// ECTP (Ethernet configuration testing protocol) frames, always dropped.
const ETH_TYPE_ECTP: u16 = 0x9000;
/// LLDP.
const ETH_TYPE_LLDP: u16 = 0x88cc;

/// The flood destinations FAUCET floods separately (`FLOOD_DSTS`), after the all-destinations
/// (unknown unicast) rule: IEEE 802 group addresses, IPv4 multicast, IPv6 multicast, broadcast.
const FLOOD_DSTS: [(MacAddr, Option<MacAddr>); 4] = [
    (
        MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]),
        Some(MacAddr([0xff, 0xff, 0xff, 0, 0, 0])),
    ),
    (
        MacAddr([0x01, 0x00, 0x5e, 0, 0, 0]),
        Some(MacAddr([0xff, 0xff, 0xff, 0, 0, 0])),
    ),
    (
        MacAddr([0x33, 0x33, 0, 0, 0, 0]),
        Some(MacAddr([0xff, 0xff, 0, 0, 0, 0])),
    ),
    (MacAddr::BROADCAST, None),
];

/// Destinations dropped in the flood table: Cisco CDP/VTP/UDLD, Cisco STP, and the IEEE bridge
/// group addresses 01:80:c2:00:00:0X (STP, LACP and other slow protocols, LLDP).
const FLOOD_DROPS: [(MacAddr, Option<MacAddr>); 3] = [
    (MacAddr([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]), None),
    (MacAddr([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd]), None),
    (
        MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]),
        Some(MacAddr([0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])),
    ),
];

/// The VLAN-present value of `vid` for a `vlan_vid` match or set-field.
pub fn vid_present(vid: Vid) -> u16 {
    vid.0 | OFPVID_PRESENT
}

/// An OpenFlow port number for a configured port.
pub fn of_port(p: CfgPort) -> PortNo {
    PortNo(p.0)
}

/// Priority of a flood-table rule for a destination: the band plus the number of bits the
/// destination matches (more specific rules win), as FAUCET does.
fn flood_priority(mask: Option<MacAddr>) -> u16 {
    let bits = mask.map_or(48, |m| m.0.iter().map(|b| b.count_ones()).sum::<u32>());
    priority::MATCH + bits as u16
}

/// A DP's compiled static pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The table layout.
    pub layout: Layout,
    /// The flows.
    pub flows: FlowSet,
    /// The groups (flood groups with `group_table`, ACLs' fast-failover groups), by id.
    pub groups: BTreeMap<u32, GroupMod>,
    /// The meters ACL rules use, by id.
    pub meters: BTreeMap<u32, MeterMod>,
}

impl Compiled {
    /// Nothing installed yet, in `layout`.
    pub fn empty(layout: Layout) -> Compiled {
        Compiled {
            layout,
            flows: FlowSet::new(),
            groups: BTreeMap::new(),
            meters: BTreeMap::new(),
        }
    }
}

/// Compiles a DP's static flows for the ports in `up` (configured port numbers whose link is
/// up; see [`port_counts_as_up`]), for a DP that is not stacked or alone in its stack.
pub fn compile(dp: &Dp, up: &BTreeSet<CfgPort>) -> Compiled {
    compile_stacked(dp, up, &StackView::default())
}

/// Compiles a DP's static flows, with its view of the stack: stack ports on the flood tree
/// admit and flood, tunnels go by the next hops.
pub fn compile_stacked(dp: &Dp, up: &BTreeSet<CfgPort>, stack: &StackView) -> Compiled {
    let layout = Layout::for_dp(dp);
    let flooding = dp
        .ports
        .values()
        .filter(|p| p.enabled)
        .map(|p| (p.number.0, p.unicast_flood))
        .collect();
    let mut c = Compiler {
        dp,
        layout: &layout,
        up,
        flooding,
        special_floods: dp.ports.values().any(|p| p.hairpin || p.is_mirrored()),
        flows: FlowSet::with_capacity(estimate_flows(dp)),
        groups: BTreeMap::new(),
        stack,
    };
    c.misses();
    c.vlan_table();
    c.filters();
    c.learning_rules();
    c.flood_table();
    let mut meters = BTreeMap::new();
    let live: Vec<&Port> = dp
        .ports
        .values()
        .map(|p| &**p)
        .filter(|p| p.enabled && up.contains(&p.number))
        .collect();
    let mut out = acl::Out {
        flows: &mut c.flows,
        groups: &mut c.groups,
        meters: &mut meters,
        stack,
    };
    acl::compile(dp, &layout, &live, &mut out);
    tunnel::compile(dp, &layout, &live, &mut out);
    remote_mirror::groups(dp, stack, out.groups);
    egress::compile(dp, &layout, &live, out.flows);
    copro::compile(dp, &layout, &live, out.flows);
    c.flows.shrink_to_fit();
    Compiled {
        flows: c.flows,
        groups: c.groups,
        meters,
        layout,
    }
}

/// Roughly how many flows a DP's pipeline has (VLAN admissions, flood rules, filters and
/// misses), so the flow set is allocated once.
fn estimate_flows(dp: &Dp) -> usize {
    let admissions: usize = dp.ports.values().map(|p| 1 + p.tagged_vlans.len()).sum();
    admissions + dp.vlans.len() * 7 + 32
}

/// Whether a configured port takes part in forwarding given what the switch says about it:
/// enabled, and up (ports with `opstatus_reconf: false` always count as up).
pub fn port_counts_as_up(port: &Port, switch_says_up: bool) -> bool {
    port.enabled && (switch_says_up || !port.opstatus_reconf)
}

struct Compiler<'a> {
    dp: &'a Dp,
    layout: &'a Layout,
    up: &'a BTreeSet<CfgPort>,
    /// Every enabled port, and whether it takes unknown unicast floods. Floods go to a VLAN's
    /// enabled members whether their link is up or down, as FAUCET's do: a switch sends
    /// nothing out of a down port, and a link going up or down then changes no flood rule.
    /// (FAUCET also floods out of `enabled: false` ports; sluice does not forward through a
    /// disabled port at all.)
    flooding: FxHashMap<u32, bool>,
    /// Whether some port hairpins or is mirrored (so floods are not just the members).
    special_floods: bool,
    flows: FlowSet,
    groups: BTreeMap<u32, GroupMod>,
    /// The DP's view of the stack (empty when it is not stacked).
    stack: &'a StackView,
}

impl Compiler<'_> {
    fn add(&mut self, table: Table, priority: u16, m: Match, instructions: Vec<Instruction>) {
        let t = self.layout.id(table);
        self.flows
            .insert(Flow::new(t, priority, m, self.dp.cookie, instructions));
    }

    fn dp_priority(&self, p: i64) -> u16 {
        u16::try_from(p).unwrap_or(u16::MAX)
    }

    /// Every table's table-miss flow: go on to the next table, or drop.
    fn misses(&mut self) {
        let lowest = self.dp_priority(self.dp.priorities.lowest);
        let tables: Vec<(Table, u8)> = self.layout.tables().collect();
        for (table, _) in tables {
            let goto = match table {
                Table::EthSrc | Table::Copro | Table::EthDstHairpin => {
                    Some(self.layout.id(Table::EthDst))
                }
                Table::Classification => Some(self.layout.id(Table::EthSrc)),
                Table::EthDst => Some(self.layout.first_of(&[Table::EgressAcl, Table::Flood])),
                Table::Egress => Some(self.layout.id(Table::Flood)),
                _ => None,
            };
            self.add(
                table,
                lowest,
                Match::new(),
                goto.map(Instruction::GotoTable).into_iter().collect(),
            );
        }
    }

    /// Where a packet admitted on `vid` goes after the VLAN table.
    fn after_vlan(&self, vid: Vid) -> u8 {
        let has_acls = self
            .dp
            .vlans
            .get(&vid)
            .is_some_and(|v| !v.acls_in.is_empty());
        if has_acls && let Some(t) = self.layout.get(Table::VlanAcl) {
            return t;
        }
        self.layout
            .first_of(&[Table::Classification, Table::EthSrc])
    }

    /// Input-mirror outputs of a port (a copy of what it receives, as received), local and
    /// remote.
    fn mirror_outputs(&self, port: &Port) -> Vec<Action> {
        port.mirror
            .destinations
            .iter()
            .map(|d| Action::output(of_port(*d)))
            .chain(remote_mirror::copy_actions(port))
            .collect()
    }

    /// VLAN table: admit tagged packets on a port's tagged VLANs, tag untagged packets with
    /// its native VLAN, drop everything from output-only ports, trap LLDP where asked.
    fn vlan_table(&mut self) {
        let highest = self.dp_priority(self.dp.priorities.highest);
        // `dp` is not borrowed from `self`, so flows can be added while iterating its ports.
        let (dp, up) = (self.dp, self.up);
        for port in dp
            .ports
            .values()
            .filter(|p| p.enabled && up.contains(&p.number))
        {
            let in_port = OxmField::InPort(of_port(port.number));
            if port.output_only {
                if port.output_only_configured {
                    self.add(Table::Vlan, highest, Match::new().with(in_port), vec![]);
                }
                continue;
            }
            if port.receive_lldp || port.stack.is_some() {
                let lldp = Match::new()
                    .with(in_port.clone())
                    .with(OxmField::EthDst(
                        MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]),
                        Some(MacAddr([0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])),
                    ))
                    .with(OxmField::EthType(ETH_TYPE_LLDP));
                let to_ctl = Action::Output {
                    port: PortNo::CONTROLLER,
                    max_len: LLDP_MAX_LEN,
                };
                self.add(
                    Table::Vlan,
                    highest,
                    lldp,
                    vec![Instruction::ApplyActions(vec![to_ctl])],
                );
            }
            if port.stack.is_some() {
                self.stack_admission(port);
                continue;
            }
            let mirror = self.mirror_outputs(port);
            let blocked = |vid: &Vid| self.stack.blocked.contains(&(port.number.0, vid.0));
            for vid in port.tagged_vlans.iter().filter(|v| !blocked(v)) {
                let m = Match::new()
                    .with(in_port.clone())
                    .with(OxmField::VlanVid(vid_present(*vid), None));
                let mut ins = Vec::new();
                if !mirror.is_empty() {
                    ins.push(Instruction::ApplyActions(mirror.clone()));
                }
                ins.push(Instruction::GotoTable(self.after_vlan(*vid)));
                self.add(Table::Vlan, priority::LOW, m, ins);
            }
            let untagged = Match::new()
                .with(in_port.clone())
                .with(OxmField::VlanVid(OFPVID_NONE, None));
            match port.native_vlan {
                Some(vid) if blocked(&vid) => {}
                Some(vid) => {
                    let mut actions = mirror.clone();
                    actions.push(Action::PushVlan(ETH_TYPE_8021Q));
                    actions.push(Action::SetField(OxmField::VlanVid(vid_present(vid), None)));
                    let ins = vec![
                        Instruction::ApplyActions(actions),
                        Instruction::GotoTable(self.after_vlan(vid)),
                    ];
                    self.add(Table::Vlan, priority::LOW, untagged, ins);
                }
                None if port.count_untag_vlan_miss => {
                    self.add(Table::Vlan, priority::LOW, untagged, vec![])
                }
                None => {}
            }
        }
    }

    /// A stack port on the flood tree carries every VLAN tagged: untagged frames are dropped,
    /// tagged ones go on to learning (VLAN ACLs were applied where they entered the stack).
    /// A stack port off the tree admits only the unicast of VLANs that learn by the shortest
    /// path (`edge_learn_stack_root: false`), when its link is up; otherwise nothing (but its
    /// beacons and tunnels). A frame from it whose destination is unknown goes to this DP's
    /// own members only (see `unknown_from_off_tree`).
    fn stack_admission(&mut self, port: &Port) {
        let no = port.number.0;
        let vids: Vec<Vid> = if self.stack.tree_ports.contains(&no) {
            Vec::new()
        } else if self.stack.unicast_ports.contains(&no) {
            self.dp
                .vlans
                .values()
                .filter(|v| !v.edge_learn_stack_root && !v.reserved_internal_vlan)
                .map(|v| v.vid)
                .collect()
        } else {
            return;
        };
        let in_port = OxmField::InPort(of_port(port.number));
        let untagged = Match::new()
            .with(in_port.clone())
            .with(OxmField::VlanVid(OFPVID_NONE, None));
        self.add(Table::Vlan, priority::LOW + 1, untagged, vec![]);
        if !vids.is_empty() {
            // Unicast only: a broadcast or multicast never comes this way but by mistake (a
            // neighbour's flows not yet updated), and would be flooded twice.
            let group = MacAddr([1, 0, 0, 0, 0, 0]);
            let m = Match::new()
                .with(in_port.clone())
                .with(OxmField::EthDst(group, Some(group)));
            self.add(Table::Vlan, priority::LOW + 1, m, vec![]);
        }
        let next = self
            .layout
            .first_of(&[Table::Classification, Table::EthSrc]);
        let tagged: Vec<OxmField> = if vids.is_empty() {
            vec![OxmField::VlanVid(OFPVID_PRESENT, Some(OFPVID_PRESENT))]
        } else {
            vids.into_iter()
                .map(|v| OxmField::VlanVid(vid_present(v), None))
                .collect()
        };
        for vlan in tagged {
            let m = Match::new().with(in_port.clone()).with(vlan);
            self.add(
                Table::Vlan,
                priority::LOW,
                m,
                vec![Instruction::GotoTable(next)],
            );
        }
    }

    /// Source filters, in the classification table (or eth_src without one): ECTP frames,
    /// broadcast sources, and frames claiming the controller's own MAC.
    fn filters(&mut self) {
        let table = if self.layout.get(Table::Classification).is_some() {
            Table::Classification
        } else {
            Table::EthSrc
        };
        self.add(
            table,
            priority::FILTER + 10,
            Match::new().with(OxmField::EthType(ETH_TYPE_ECTP)),
            vec![],
        );
        if self.dp.drop_broadcast_source_address {
            self.add(
                table,
                priority::FILTER,
                Match::new().with(OxmField::EthSrc(MacAddr::BROADCAST, None)),
                vec![],
            );
        }
        if self.dp.drop_spoofed_faucet_mac {
            let macs: BTreeSet<MacAddr> = self.dp.vlans.values().map(|v| v.faucet_mac).collect();
            for mac in macs {
                self.add(
                    table,
                    priority::FILTER,
                    Match::new().with(OxmField::EthSrc(mac, None)),
                    vec![],
                );
            }
        }
    }

    /// Learning: every packet on a VLAN is copied to the controller and carries on, until its
    /// source is learned (a higher-priority host flow then takes it).
    fn learning_rules(&mut self) {
        let next = self.layout.first_of(&[Table::EthDstHairpin, Table::EthDst]);
        // Tunnel VLANs (`reserved_internal_vlan`) get no flows of their own, as in FAUCET:
        // their frames never leave the port ACL table.
        let vids: Vec<Vid> = self
            .dp
            .vlans
            .values()
            .filter(|v| !v.reserved_internal_vlan)
            .map(|v| v.vid)
            .collect();
        for vid in vids {
            let m = Match::new().with(OxmField::VlanVid(vid_present(vid), None));
            let to_ctl = Action::Output {
                port: PortNo::CONTROLLER,
                max_len: LEARN_MAX_LEN,
            };
            let ins = vec![
                Instruction::ApplyActions(vec![to_ctl]),
                Instruction::GotoTable(next),
            ];
            self.add(Table::EthSrc, priority::LOW, m, ins);
        }
    }

    /// The ports a VLAN floods to: (tagged, untagged) members, in port order, leaving out
    /// ports with `unicast_flood: false` when `unicast` is set. O(members of the VLAN).
    fn flood_members(&self, vid: Vid, unicast: bool) -> (Vec<CfgPort>, Vec<CfgPort>) {
        let Some(vlan) = self.dp.vlans.get(&vid) else {
            return (Vec::new(), Vec::new());
        };
        let keep = |p: &&CfgPort| {
            self.flooding.get(&p.0).is_some_and(|uf| !unicast || *uf)
                && !self.stack.blocked.contains(&(p.0, vid.0))
        };
        let mut tagged: Vec<CfgPort> = vlan.tagged.iter().filter(keep).copied().collect();
        // The stack's tree ports carry every VLAN (a frame is never output to the port it
        // came in by, so one rule serves frames from any port).
        tagged.extend(
            self.stack
                .tree_ports
                .iter()
                .map(|p| CfgPort(*p))
                .filter(|p| self.flooding.contains_key(&p.0)),
        );
        let mut untagged: Vec<CfgPort> = vlan.untagged.iter().filter(keep).copied().collect();
        tagged.sort_unstable();
        untagged.sort_unstable();
        (tagged, untagged)
    }

    /// Flood actions for a frame from `in_port` (`None`: the VLAN-wide rule), as FAUCET
    /// builds them: the tagged members, then the tag popped for the untagged members, each
    /// followed by its port's output mirrors, every part deduplicated and in port order. The
    /// input port is skipped (a hairpin port gets the frame back through IN_PORT), and a
    /// member's mirrors are left out when the input port mirrors to the same ports (its
    /// copy was taken on input).
    fn flood_actions(
        &self,
        tagged: &[CfgPort],
        untagged: &[CfgPort],
        in_port: Option<CfgPort>,
    ) -> Vec<Action> {
        if !self.special_floods && in_port.is_none() {
            // The members, already in port order, are all there is.
            let mut actions = Vec::with_capacity(tagged.len() + untagged.len() + 1);
            actions.extend(tagged.iter().map(|p| Action::output(of_port(*p))));
            if !untagged.is_empty() {
                actions.push(Action::PopVlan);
                actions.extend(untagged.iter().map(|p| Action::output(of_port(*p))));
            }
            return actions;
        }
        let port = |p: &CfgPort| self.dp.ports.get(p).map(|p| &**p);
        let in_mirrors: Option<MirrorSet> =
            in_port.map(|p| port(&p).map(mirror_set).unwrap_or_default());
        // A part's outputs, then the copies for its members' remote mirrors (taken with the
        // tag as the members send the frame: on for tagged members, off for untagged ones).
        let part = |members: &[CfgPort]| -> (Vec<PortNo>, Vec<Action>) {
            let mut out: Vec<PortNo> = Vec::with_capacity(members.len());
            let mut copies: Vec<Action> = Vec::new();
            for p in members {
                let cfg = port(p);
                if Some(*p) == in_port {
                    if cfg.is_some_and(|c| c.hairpin) {
                        out.push(PortNo::IN_PORT);
                    }
                    continue;
                }
                out.push(of_port(*p));
                if let Some(c) = cfg
                    && c.is_mirrored()
                    && in_mirrors.as_ref() != Some(&mirror_set(c))
                {
                    out.extend(c.mirror.destinations.iter().map(|d| of_port(*d)));
                    for a in remote_mirror::copy_actions(c) {
                        if !copies.contains(&a) {
                            copies.push(a);
                        }
                    }
                }
            }
            out.sort_unstable();
            out.dedup();
            (out, copies)
        };
        let (outputs, copies) = part(tagged);
        let mut actions: Vec<Action> = outputs.into_iter().map(Action::output).collect();
        actions.extend(copies);
        let (outputs, copies) = part(untagged);
        if !outputs.is_empty() {
            actions.push(Action::PopVlan);
            actions.extend(outputs.into_iter().map(Action::output));
            actions.extend(copies);
        }
        actions
    }

    /// Flood table: per VLAN, one rule per flood destination (and one for unknown unicast when
    /// the VLAN floods it), plus drops of protocols that must never be flooded. Where a frame
    /// from a particular port must be flooded differently (a hairpin port, a mirrored port),
    /// that port gets its own rule, one priority higher.
    fn flood_table(&mut self) {
        for (mac, mask) in FLOOD_DROPS {
            self.add(
                Table::Flood,
                flood_priority(mask),
                Match::new().with(OxmField::EthDst(mac, mask)),
                vec![],
            );
        }
        let vlans: Vec<(Vid, bool, bool)> = self
            .dp
            .vlans
            .values()
            .filter(|v| !v.reserved_internal_vlan)
            .map(|v| (v.vid, v.unicast_flood, !v.edge_learn_stack_root))
            .collect();
        for (vid, unicast_flood, shortest) in vlans {
            // Fields in canonical (field number) order: in_port, eth_dst, vlan_vid.
            let vlan = OxmField::VlanVid(vid_present(vid), None);
            let mut rules: Vec<(Option<OxmField>, u16, bool)> = Vec::new();
            if unicast_flood {
                rules.push((None, priority::MATCH, true));
            }
            for (mac, mask) in FLOOD_DSTS {
                rules.push((
                    Some(OxmField::EthDst(mac, mask)),
                    flood_priority(mask),
                    false,
                ));
            }
            let members = [
                self.flood_members(vid, false),
                self.flood_members(vid, true),
            ];
            if unicast_flood && shortest {
                self.unknown_from_off_tree(&vlan, &members[1]);
            }
            for (dst, prio, unicast) in rules {
                let m = Match::from_fields(dst.clone().into_iter().chain([vlan.clone()]));
                let (tagged, untagged) = &members[usize::from(unicast)];
                let (tagged, untagged) = (tagged.as_slice(), untagged.as_slice());
                let vlan_actions = self.flood_actions(tagged, untagged, None);
                // Only a hairpin or a mirrored input port can need actions other than the
                // VLAN-wide rule's (FAUCET compares every port; the others always agree).
                let special: Vec<CfgPort> = if !self.special_floods {
                    Vec::new()
                } else {
                    tagged
                        .iter()
                        .chain(untagged)
                        .copied()
                        .filter(|p| {
                            self.dp
                                .ports
                                .get(p)
                                .is_some_and(|c| c.hairpin || c.is_mirrored())
                        })
                        .collect()
                };
                for p in special {
                    let actions = self.flood_actions(tagged, untagged, Some(p));
                    if !differs(&vlan_actions, &actions, of_port(p)) {
                        continue;
                    }
                    let fields = [OxmField::InPort(of_port(p))]
                        .into_iter()
                        .chain(dst.clone());
                    let pm = Match::from_fields(fields.chain([vlan.clone()]));
                    self.add(
                        Table::Flood,
                        prio + 1,
                        pm,
                        vec![Instruction::ApplyActions(actions)],
                    );
                }
                let ins = if self.dp.group_table {
                    // Unknown unicast has a group of its own only when it floods to other
                    // ports than the rest (a member with `unicast_flood: false`), as FAUCET.
                    let own = unicast && members[1] != members[0];
                    let id = u32::from(vid.0) + if own { 4096 } else { 0 };
                    self.groups.insert(
                        id,
                        GroupMod {
                            command: GroupModCommand::Add,
                            group_type: GroupType::All,
                            group_id: id,
                            buckets: flood_buckets(&vlan_actions),
                        },
                    );
                    vec![Instruction::ApplyActions(vec![Action::Group(id)])]
                } else if vlan_actions.is_empty() {
                    vec![]
                } else {
                    vec![Instruction::ApplyActions(vlan_actions)]
                };
                self.add(Table::Flood, prio, m, ins);
            }
        }
    }

    /// A unicast frame of a VLAN that learns by the shortest path comes by a link off the
    /// tree only when the DP before knew its destination: if this DP does not, it goes to
    /// this DP's own members only, never on into the stack. A flood along the tree from here
    /// could reach a DP that knows the destination and sends it back over the same link, for
    /// ever. One rule per such port, above the VLAN's unknown-unicast rule.
    fn unknown_from_off_tree(
        &mut self,
        vlan: &OxmField,
        (tagged, untagged): &(Vec<CfgPort>, Vec<CfgPort>),
    ) {
        let tree = &self.stack.tree_ports;
        let local: Vec<CfgPort> = tagged
            .iter()
            .filter(|p| !tree.contains(&p.0))
            .copied()
            .collect();
        let ports: Vec<u32> = self.stack.unicast_ports.iter().copied().collect();
        for p in ports {
            let actions = self.flood_actions(&local, untagged, Some(CfgPort(p)));
            let m = Match::new()
                .with(OxmField::InPort(PortNo(p)))
                .with(vlan.clone());
            let ins = if actions.is_empty() {
                vec![]
            } else {
                vec![Instruction::ApplyActions(actions)]
            };
            self.add(Table::Flood, priority::MATCH + 1, m, ins);
        }
    }
}

/// Where a port's traffic is mirrored: local ports, and the VLANs of remote mirror tunnels.
type MirrorSet = (BTreeSet<CfgPort>, BTreeSet<Vid>);

/// A port's mirror destinations, as sets.
fn mirror_set(p: &Port) -> MirrorSet {
    (
        p.mirror.destinations.iter().copied().collect(),
        p.mirror
            .remote_destinations
            .iter()
            .map(|t| t.tunnel_id)
            .collect(),
    )
}

/// Whether a frame from `port` needs its own flood rule: the rule for the whole VLAN does
/// not already do what `port_actions` do (the same outputs, `port` aside, and the same
/// other actions, popping the tag aside). An input port with nowhere to flood needs none.
fn differs(vlan_actions: &[Action], port_actions: &[Action], port: PortNo) -> bool {
    let outputs = |a: &[Action], skip: Option<PortNo>| -> BTreeSet<PortNo> {
        a.iter()
            .filter_map(|a| match a {
                Action::Output { port, .. } if Some(*port) != skip => Some(*port),
                _ => None,
            })
            .collect()
    };
    let others = |a: &[Action]| -> Vec<Action> {
        a.iter()
            .filter(|a| !matches!(a, Action::Output { .. } | Action::PopVlan))
            .cloned()
            .collect()
    };
    let mine = outputs(port_actions, None);
    !mine.is_empty()
        && (outputs(vlan_actions, Some(port)) != mine
            || others(vlan_actions) != others(port_actions))
}

/// Flood buckets (`group_table`): one per output (or remote mirror copy), each with the
/// actions before it (the tag pop for untagged members).
fn flood_buckets(actions: &[Action]) -> Vec<Bucket> {
    let mut before: Vec<Action> = Vec::new();
    let mut buckets = Vec::new();
    for a in actions {
        if matches!(a, Action::Output { .. } | Action::Group(_)) {
            let mut b = before.clone();
            b.push(a.clone());
            buckets.push(Bucket::new(b));
        } else {
            before.push(a.clone());
        }
    }
    buckets
}
