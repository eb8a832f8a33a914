//! ACLs compiled to flows, as FAUCET installs them (`valve_acl.py`).
//!
//! ```text
//!  port_acl   port acls_in (in_port forced) | dp_acls | {in_port} -> vlan for other ports
//!  vlan_acl   VLAN acls_in (vlan_vid forced)
//!  egress_acl VLAN acls_out (vlan_vid forced) | {vlan_vid} -> egress for other VLANs
//! ```
//!
//! Rules of the ACLs on one port or VLAN get priorities from FAUCET's filter band (0x5000)
//! down, one per rule in order (all at 0x5000 with `exact_match`); the first matching rule
//! wins. A rule's flow:
//!
//! ```text
//!  [meter:<id>] [apply: <mirror output> <output steps> <ct>] [goto <next table>]
//! ```
//!
//! `allow` goes on to the next table (vlan, classification/eth_src, or egress), and
//! `force_port_vlan` straight to eth_dst; without `allow` the packet ends here (dropped, or
//! only output where the rule says). As in FAUCET, actions after the last output are dropped
//! when the packet goes no further (they could have no effect), and an output that names a
//! port without `allow` ends the pipeline before `ct`. Meters are installed when a rule
//! refers to them, fast-failover groups when a rule outputs to one. A tunnel step sends the
//! packet into the stack ([`super::tunnel`]).

use std::collections::BTreeMap;

use sluice_config::{AclId, AclRule, Dp, Meter, MeterBandKind, OutputAction, SetField};
use sluice_ofp::msg::flow::OFPG_ANY;
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand};
use sluice_ofp::oxm::{OFPVID_PRESENT, OxmField, OxmKind};
use sluice_ofp::{Action, Instruction, PortNo};

use super::acl_match::{Forced, Implied, Unmatchable, matches};
use super::compile::priority;
use super::flow::{Flow, FlowSet};
use super::nicira::{NxField, ct_action, is_ct_commit};
use super::tables::{Layout, Table};
use super::tunnel;
use crate::stack::StackView;

/// Where compiled ACLs go: the flows, and the groups and meters their rules use.
pub(super) struct Out<'a> {
    pub flows: &'a mut FlowSet,
    pub groups: &'a mut BTreeMap<u32, GroupMod>,
    pub meters: &'a mut BTreeMap<u32, MeterMod>,
    /// The DP's view of the stack, for tunnel outputs.
    pub stack: &'a StackView,
}

/// A table of ACLs and where their verdicts lead.
#[derive(Clone, Copy)]
struct Attach {
    table: u8,
    /// `allow`.
    allow: u8,
    /// `allow` with `force_port_vlan`.
    force: u8,
}

/// Compiles every ACL of `dp` that applies with the ports in `live` up (enabled and up, in
/// any order): port and DP ACLs, VLAN ACLs, egress ACLs, and the pass-through rules of ports
/// and VLANs without ACLs in those tables.
pub(super) fn compile(dp: &Dp, layout: &Layout, live: &[&sluice_config::Port], out: &mut Out<'_>) {
    let eth_dst = layout.id(Table::EthDst);
    if let Some(table) = layout.get(Table::PortAcl) {
        let at = Attach {
            table,
            allow: layout.id(Table::Vlan),
            force: eth_dst,
        };
        if !dp.dp_acls.is_empty() {
            acl_flows(dp, &dp.dp_acls, false, Forced::default(), at, out);
        } else {
            for port in live.iter().filter(|p| takes_input(p)) {
                let forced = Forced {
                    in_port: Some(port.number.0),
                    vlan_vid: None,
                };
                if let Some(first) = port.acls_in.first() {
                    let exact = dp.acl(*first).exact_match;
                    acl_flows(dp, &port.acls_in, exact, forced, at, out);
                } else if !port.dot1x {
                    let m = sluice_ofp::Match::new().with(OxmField::InPort(PortNo(port.number.0)));
                    let ins = vec![Instruction::GotoTable(at.allow)];
                    out.flows
                        .insert(Flow::new(table, priority::FILTER, m, dp.cookie, ins));
                }
            }
        }
    }
    if let Some(table) = layout.get(Table::VlanAcl) {
        let at = Attach {
            table,
            allow: layout.first_of(&[Table::Classification, Table::EthSrc]),
            force: eth_dst,
        };
        for vlan in dp.vlans.values() {
            if let Some(first) = vlan.acls_in.first() {
                let forced = Forced {
                    in_port: None,
                    vlan_vid: Some(vlan.vid.0 | OFPVID_PRESENT),
                };
                let exact = dp.acl(*first).exact_match;
                acl_flows(dp, &vlan.acls_in, exact, forced, at, out);
            }
        }
    }
    if let (Some(table), Some(egress)) = (layout.get(Table::EgressAcl), layout.get(Table::Egress)) {
        let at = Attach {
            table,
            allow: egress,
            force: egress,
        };
        for vlan in dp.vlans.values() {
            let vid = vlan.vid.0 | OFPVID_PRESENT;
            if let Some(first) = vlan.acls_out.first() {
                let forced = Forced {
                    in_port: None,
                    vlan_vid: Some(vid),
                };
                let exact = dp.acl(*first).exact_match;
                acl_flows(dp, &vlan.acls_out, exact, forced, at, out);
            } else {
                let m = sluice_ofp::Match::new().with(OxmField::VlanVid(vid, None));
                let ins = vec![Instruction::GotoTable(egress)];
                out.flows
                    .insert(Flow::new(table, priority::FILTER, m, dp.cookie, ins));
            }
        }
    }
}

/// An ACL rule that can match no packet where it is used (so it installs no flow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The ACL's name.
    pub acl: String,
    /// The rule's position in the ACL (0-based).
    pub rule: usize,
    /// Why.
    pub why: Unmatchable,
}

/// The rules of `dp`'s ACLs that can match nothing where they are used, in ACL order.
pub fn unmatchable(dp: &Dp) -> Vec<Unmatched> {
    let vid = |v: sluice_config::Vid| Some(v.0 | OFPVID_PRESENT);
    let uses = dp
        .ports
        .values()
        .flat_map(|p| {
            p.acls_in.iter().map(|a| {
                let forced = Forced {
                    in_port: Some(p.number.0),
                    vlan_vid: None,
                };
                (*a, forced)
            })
        })
        .chain(dp.dp_acls.iter().map(|a| (*a, Forced::default())))
        .chain(dp.vlans.values().flat_map(|v| {
            v.acls_in.iter().chain(&v.acls_out).map(|a| {
                let forced = Forced {
                    in_port: None,
                    vlan_vid: vid(v.vid),
                };
                (*a, forced)
            })
        }));
    let mut out: Vec<Unmatched> = Vec::new();
    for (id, forced) in uses {
        let acl = dp.acl(id);
        for (i, rule) in acl.rules.iter().enumerate() {
            if let Err(why) = matches(&rule.matches, forced, &implied(rule)) {
                let u = Unmatched {
                    acl: acl.name.clone(),
                    rule: i,
                    why,
                };
                if !out.contains(&u) {
                    out.push(u);
                }
            }
        }
    }
    out
}

/// Whether some ACL of `dp` outputs to a fast-failover group, or a port of `dp` is mirrored
/// to another DP (so the switch's groups must be read before it is programmed).
pub fn uses_groups(dp: &Dp) -> bool {
    super::remote_mirror::uses_groups(dp)
        || dp.acls.iter().flat_map(|a| &a.rules).any(|r| {
            r.actions.output.as_ref().is_some_and(|o| {
                o.actions
                    .iter()
                    .any(|s| matches!(s, OutputAction::Failover { .. }))
            })
        })
}

/// Whether a port's input goes through the pipeline: FAUCET sets up only the ports in a
/// VLAN, stack and coprocessor ports (and explicitly output-only ones, whose input it
/// drops); any other port (a mirror or ACL output target, a port with no VLAN) gets no flows,
/// so what it receives misses the first table and is dropped.
fn takes_input(p: &sluice_config::Port) -> bool {
    let set_up = p.native_vlan.is_some()
        || !p.tagged_vlans.is_empty()
        || p.stack.is_some()
        || p.coprocessor.is_some();
    set_up && !p.output_only
}

/// The flows of the rules of `acls`, in order, from the filter priority down.
fn acl_flows(dp: &Dp, acls: &[AclId], exact: bool, forced: Forced, at: Attach, out: &mut Out<'_>) {
    let mut prio = priority::FILTER;
    for acl in acls.iter().map(|id| dp.acl(*id)) {
        for rule in &acl.rules {
            let p = if exact { priority::FILTER } else { prio };
            rule_flows(dp, rule, p, forced, at, out);
            prio = prio.saturating_sub(1);
        }
    }
}

/// One rule's flows (one, or one per choice of the prerequisites it lacks; none when its
/// fields contradict each other).
fn rule_flows(dp: &Dp, rule: &AclRule, prio: u16, forced: Forced, at: Attach, out: &mut Out<'_>) {
    let Ok(ms) = matches(&rule.matches, forced, &implied(rule)) else {
        return;
    };
    let ins = instructions(dp, rule, at, out);
    let cookie = rule.cookie.map_or(dp.cookie, u64::from);
    for m in ms {
        out.flows
            .insert(Flow::new(at.table, prio, m, cookie, ins.clone()));
    }
}

/// What a rule's output steps need of the packets it matches: the fields they set, and a
/// tag when they pop, swap or set one before pushing any.
fn implied(rule: &AclRule) -> Implied {
    let mut implied = Implied::default();
    let Some(output) = &rule.actions.output else {
        return implied;
    };
    let mut pushed = false;
    for step in &output.actions {
        match step {
            OutputAction::PushVlan { .. } => pushed = true,
            OutputAction::PopVlans(n) if *n > 0 => {
                implied.tagged |= !pushed;
                // After a pop, whether a tag is left is not known from the match.
                pushed = false;
            }
            OutputAction::SwapVid(_) => implied.tagged |= !pushed,
            OutputAction::SetField(sf) => {
                if let Some(kind) = set_field(sf).and_then(|f| f.kind()) {
                    match kind {
                        OxmKind::VlanVid | OxmKind::VlanPcp => implied.tagged |= !pushed,
                        k => implied.sets.push(k),
                    }
                }
            }
            _ => {}
        }
    }
    implied
}

/// A rule's instructions, in the order a switch reports them: meter, apply-actions, goto.
fn instructions(dp: &Dp, rule: &AclRule, at: Attach, out: &mut Out<'_>) -> Vec<Instruction> {
    let a = &rule.actions;
    let mut ins = Vec::with_capacity(3);
    if let Some(id) = a.meter {
        let meter = dp.meter(id);
        out.meters.insert(meter.meter_id, meter_mod(meter));
        ins.push(Instruction::Meter(meter.meter_id));
    }
    let mut actions: Vec<Action> = Vec::new();
    if let Some(p) = a.mirror {
        actions.push(Action::output(PortNo(p.0)));
    }
    let terminal = a.output.as_ref().is_some_and(|o| o.terminal);
    if let Some(o) = &a.output {
        for step in &o.actions {
            output_step(dp, step, &mut actions, out);
        }
    }
    if !terminal && let Some(ct) = &a.ct {
        actions.push(ct_action(ct));
    }
    let goto = (!terminal && a.allow).then_some(if a.force_port_vlan {
        at.force
    } else {
        at.allow
    });
    if goto.is_none() && !actions.iter().any(is_ct_commit) {
        // Nothing after the last output can have an effect when the packet goes no further.
        let last = actions
            .iter()
            .rposition(|a| matches!(a, Action::Output { .. } | Action::Group(_)));
        actions.truncate(last.map_or(0, |i| i + 1));
    }
    if !actions.is_empty() {
        ins.push(Instruction::ApplyActions(actions));
    }
    if let Some(t) = goto {
        ins.push(Instruction::GotoTable(t));
    }
    ins
}

/// The actions of one output step (and the group it needs).
pub(super) fn output_step(
    dp: &Dp,
    step: &OutputAction,
    actions: &mut Vec<Action>,
    out: &mut Out<'_>,
) {
    match step {
        OutputAction::PopVlans(n) => {
            actions.extend(std::iter::repeat_n(Action::PopVlan, *n as usize));
        }
        OutputAction::PushVlan { vid, eth_type } => {
            actions.push(Action::PushVlan(*eth_type));
            actions.push(set_vid(*vid));
        }
        OutputAction::SwapVid(vid) => actions.push(set_vid(*vid)),
        OutputAction::SetField(sf) => {
            if let Some(f) = set_field(sf) {
                actions.push(Action::SetField(f));
            }
        }
        OutputAction::Port(p) => actions.push(Action::output(PortNo(p.0))),
        OutputAction::Failover { group_id, ports } => {
            let buckets = ports
                .iter()
                .map(|p| Bucket {
                    weight: 0,
                    watch_port: PortNo(p.0),
                    watch_group: OFPG_ANY,
                    actions: vec![Action::output(PortNo(p.0))],
                })
                .collect();
            out.groups.insert(
                *group_id,
                GroupMod {
                    command: GroupModCommand::Add,
                    group_type: GroupType::FastFailover,
                    group_id: *group_id,
                    buckets,
                },
            );
            actions.push(Action::Group(*group_id));
        }
        OutputAction::Tunnel(t) => tunnel::entry_actions(dp, t, out, actions),
    }
}

/// `set_field:vid->vlan_vid`, with the tag-present bit.
fn set_vid(vid: u16) -> Action {
    Action::SetField(OxmField::VlanVid(vid | OFPVID_PRESENT, None))
}

/// The field a `set_fields` entry sets (`None` for a name no switch field has; the
/// configuration only lets through names of match fields).
fn set_field(sf: &SetField) -> Option<OxmField> {
    use OxmField as O;
    Some(match sf {
        SetField::Mac { name, value } => match OxmKind::from_name(name)? {
            OxmKind::EthDst => O::EthDst(*value, None),
            OxmKind::EthSrc => O::EthSrc(*value, None),
            OxmKind::ArpSha => O::ArpSha(*value, None),
            OxmKind::ArpTha => O::ArpTha(*value, None),
            OxmKind::Ipv6NdSll => O::Ipv6NdSll(*value),
            OxmKind::Ipv6NdTll => O::Ipv6NdTll(*value),
            _ => return None,
        },
        SetField::Ipv4 { name, value } => match OxmKind::from_name(name)? {
            OxmKind::Ipv4Src => O::Ipv4Src(value.value, value.mask),
            OxmKind::Ipv4Dst => O::Ipv4Dst(value.value, value.mask),
            OxmKind::ArpSpa => O::ArpSpa(value.value, value.mask),
            OxmKind::ArpTpa => O::ArpTpa(value.value, value.mask),
            _ => return None,
        },
        SetField::Ipv6 { name, value } => match OxmKind::from_name(name)? {
            OxmKind::Ipv6Src => O::Ipv6Src(value.value, value.mask),
            OxmKind::Ipv6Dst => O::Ipv6Dst(value.value, value.mask),
            OxmKind::Ipv6NdTarget => O::Ipv6NdTarget(value.value),
            _ => return None,
        },
        SetField::Int { name, value } => {
            if let Some(nx) = NxField::from_name(name) {
                return Some(nx.oxm(*value, None));
            }
            int_field(
                OxmKind::from_name(match name.as_str() {
                    "eth_type_nxm" => "eth_type",
                    "ip_proto_nxm" => "ip_proto",
                    n => n,
                })?,
                *value,
            )?
        }
    })
}

/// An integer field with `v` (already cut to the field's width by the configuration).
#[allow(clippy::cast_possible_truncation)]
fn int_field(kind: OxmKind, v: u128) -> Option<OxmField> {
    use OxmField as O;
    let (b, h, w, d) = (v as u8, v as u16, v as u32, v as u64);
    Some(match kind {
        OxmKind::InPort => O::InPort(PortNo(w)),
        OxmKind::InPhyPort => O::InPhyPort(PortNo(w)),
        OxmKind::Metadata => O::Metadata(d, None),
        OxmKind::EthType => O::EthType(h),
        OxmKind::VlanVid => O::VlanVid(h, None),
        OxmKind::VlanPcp => O::VlanPcp(b),
        OxmKind::IpDscp => O::IpDscp(b),
        OxmKind::IpEcn => O::IpEcn(b),
        OxmKind::IpProto => O::IpProto(b),
        OxmKind::TcpSrc => O::TcpSrc(h),
        OxmKind::TcpDst => O::TcpDst(h),
        OxmKind::UdpSrc => O::UdpSrc(h),
        OxmKind::UdpDst => O::UdpDst(h),
        OxmKind::SctpSrc => O::SctpSrc(h),
        OxmKind::SctpDst => O::SctpDst(h),
        OxmKind::Icmpv4Type => O::Icmpv4Type(b),
        OxmKind::Icmpv4Code => O::Icmpv4Code(b),
        OxmKind::ArpOp => O::ArpOp(h),
        OxmKind::Ipv6Flabel => O::Ipv6Flabel(w, None),
        OxmKind::Icmpv6Type => O::Icmpv6Type(b),
        OxmKind::Icmpv6Code => O::Icmpv6Code(b),
        OxmKind::MplsLabel => O::MplsLabel(w),
        OxmKind::MplsTc => O::MplsTc(b),
        OxmKind::MplsBos => O::MplsBos(b),
        OxmKind::PbbIsid => O::PbbIsid(w, None),
        OxmKind::TunnelId => O::TunnelId(d, None),
        OxmKind::Ipv6Exthdr => O::Ipv6Exthdr(h, None),
        _ => return None,
    })
}

/// The METER_MOD that adds a configured meter.
pub fn meter_mod(m: &Meter) -> MeterMod {
    MeterMod {
        command: MeterModCommand::Add,
        flags: MeterFlags::from_bits_retain(m.flags),
        meter_id: m.meter_id,
        bands: m
            .bands
            .iter()
            .map(|b| match b.kind {
                MeterBandKind::Drop => MeterBand::Drop {
                    rate: b.rate,
                    burst_size: b.burst_size,
                },
                MeterBandKind::DscpRemark { prec_level } => MeterBand::DscpRemark {
                    rate: b.rate,
                    burst_size: b.burst_size,
                    prec_level,
                },
                MeterBandKind::Experimenter { experimenter } => MeterBand::Experimenter {
                    rate: b.rate,
                    burst_size: b.burst_size,
                    experimenter,
                    data: bytes::Bytes::new(),
                },
            })
            .collect(),
    }
}
