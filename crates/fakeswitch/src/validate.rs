//! Checking instructions and actions as a switch does before accepting them (OpenFlow 1.3.5
//! §6.4 "...the switch must return an error", §7.2.4 instructions, §7.2.5 actions, §7.5.4
//! error codes), in three phases that follow Open vSwitch's order:
//!
//! 1. [`Phase::Decode`]: what a decoder refuses on its own: an instruction type twice, unknown
//!    instruction and action types, experimenter ones, a set-field on a field that cannot be
//!    set or with a value the field cannot hold (`vlan_vid` without `OFPVID_PRESENT`), a
//!    push_vlan of another ethertype, an output port outside the port number space.
//! 2. [`Phase::Consistency`]: the instructions against the flow: goto-table forward only
//!    (§5.1: "the next table must be greater than the current table"), output ports,
//!    meter ids, and whether each action can apply to the packets the match admits as the
//!    earlier actions change them (§7.2.3.8 prerequisites for set-field, a tag for pop_vlan,
//!    IP for TTL actions: `OFPBAC_MATCH_INCONSISTENT`).
//! 3. [`Phase::References`]: the groups and meters named must exist (`OFPBAC_BAD_OUT_GROUP`,
//!    and Open vSwitch's `OFPMMFC_INVALID_METER`).

use std::collections::BTreeSet;

use sluice_ofp::msg::error::{
    BadActionCode, BadInstructionCode, BadMatchCode, GroupModFailedCode, MeterModFailedCode,
};
use sluice_ofp::msg::meter::OFPM_MAX;
use sluice_ofp::oxm::OFPVID_PRESENT;
use sluice_ofp::{Action, Instruction, Match, OfError, OxmField, OxmKind, PortNo};

use crate::error::{DUP_INSTRUCTION, ONF_EXPERIMENTER, Rejection, reject};
use crate::matching::{FlowMatch, field_bits, tlvs};
use crate::packet::{
    ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MC, ETH_TYPE_PBB,
    ETH_TYPE_QINQ, ETH_TYPE_VLAN, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP,
    IPPROTO_UDP, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, Packet,
};
use crate::{FakeSwitch, Strictness};

/// Open vSwitch's OpenFlow 1.3 error for a masked set-field (ONF extension 4250; OpenFlow
/// 1.5 made it `OFPBAC_BAD_SET_MASK`).
const BAD_SET_MASK: OfError = OfError::Experimenter {
    exp_type: 4250,
    experimenter: ONF_EXPERIMENTER,
};

/// The first port number outside Open vSwitch's 16-bit port space (`OFPP_MAX` of OpenFlow
/// 1.0); numbers from here up to the reserved ports are refused.
const OVS_PORT_LIMIT: u32 = 0xff00;

/// A check phase; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Decode,
    Consistency,
    References,
}

/// Where actions come from; it decides which ports they may name and what is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A flow's apply-actions (inconsistency is an error).
    Apply,
    /// A flow's write-actions: "we can't check consistency of an action set" (OVS), so only
    /// set-field prerequisites are enforced.
    Write,
    /// A group bucket: no match to check against.
    Bucket,
    /// A PACKET_OUT: checked against the packet itself; may output to `TABLE`.
    PacketOut,
}

/// What the packets reaching an action are known to have, as far as the match (or the
/// packet-out's packet) and the earlier actions tell.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    /// How many VLAN tags the packet is known to have (the match can only vouch for one).
    vlans: u8,
    eth_type: Option<u16>,
    ip_proto: Option<u8>,
    icmp_type: Option<u8>,
}

impl Known {
    pub(crate) fn from_match(m: &FlowMatch) -> Self {
        let exact = |k: OxmKind| {
            m.get(k)
                .filter(|f| f.mask == field_bits(k))
                .map(|f| f.value)
        };
        let tagged = m
            .get(OxmKind::VlanVid)
            .is_some_and(|f| f.mask & f.value & u128::from(OFPVID_PRESENT) != 0);
        Known {
            vlans: u8::from(tagged),
            eth_type: exact(OxmKind::EthType).map(|v| v as u16),
            ip_proto: exact(OxmKind::IpProto).map(|v| v as u8),
            icmp_type: exact(OxmKind::Icmpv6Type).map(|v| v as u8),
        }
    }

    pub(crate) fn from_packet(p: &Packet) -> Self {
        let ip = matches!(p.eth_type, ETH_TYPE_IPV4 | ETH_TYPE_IPV6);
        Known {
            vlans: p.vlans.len().min(2) as u8,
            eth_type: Some(p.eth_type),
            ip_proto: ip.then_some(p.ip_proto),
            icmp_type: (p.eth_type == ETH_TYPE_IPV6 && p.ip_proto == IPPROTO_ICMPV6)
                .then_some(p.icmp_type),
        }
    }

    /// Whether a set-field of `kind` has its prerequisites (§7.2.3.8, table 12; for
    /// `vlan_vid` and `vlan_pcp`, a tag).
    fn allows(&self, kind: OxmKind) -> bool {
        use OxmKind as K;
        let eth = |types: &[u16]| self.eth_type.is_some_and(|t| types.contains(&t));
        let ip = || eth(&[ETH_TYPE_IPV4, ETH_TYPE_IPV6]);
        let l4 = |p: u8| ip() && self.ip_proto == Some(p);
        match kind {
            K::VlanVid | K::VlanPcp => self.vlans > 0,
            K::IpDscp | K::IpEcn | K::IpProto => ip(),
            K::Ipv4Src | K::Ipv4Dst => eth(&[ETH_TYPE_IPV4]),
            K::TcpSrc | K::TcpDst => l4(IPPROTO_TCP),
            K::UdpSrc | K::UdpDst => l4(IPPROTO_UDP),
            K::SctpSrc | K::SctpDst => l4(IPPROTO_SCTP),
            K::Icmpv4Type | K::Icmpv4Code => {
                eth(&[ETH_TYPE_IPV4]) && self.ip_proto == Some(IPPROTO_ICMP)
            }
            K::Icmpv6Type | K::Icmpv6Code => {
                eth(&[ETH_TYPE_IPV6]) && self.ip_proto == Some(IPPROTO_ICMPV6)
            }
            K::ArpOp | K::ArpSpa | K::ArpTpa | K::ArpSha | K::ArpTha => eth(&[ETH_TYPE_ARP]),
            K::Ipv6Src | K::Ipv6Dst | K::Ipv6Flabel | K::Ipv6Exthdr => eth(&[ETH_TYPE_IPV6]),
            K::Ipv6NdTarget => {
                eth(&[ETH_TYPE_IPV6])
                    && matches!(
                        self.icmp_type,
                        Some(ND_NEIGHBOR_SOLICIT | ND_NEIGHBOR_ADVERT)
                    )
            }
            K::Ipv6NdSll => eth(&[ETH_TYPE_IPV6]) && self.icmp_type == Some(ND_NEIGHBOR_SOLICIT),
            K::Ipv6NdTll => eth(&[ETH_TYPE_IPV6]) && self.icmp_type == Some(ND_NEIGHBOR_ADVERT),
            K::MplsLabel | K::MplsTc | K::MplsBos => eth(&[ETH_TYPE_MPLS, ETH_TYPE_MPLS_MC]),
            K::PbbIsid => eth(&[ETH_TYPE_PBB]),
            K::InPort
            | K::InPhyPort
            | K::Metadata
            | K::EthDst
            | K::EthSrc
            | K::EthType
            | K::TunnelId => true,
        }
    }
}

/// Fields a set-field may not write (Open vSwitch: "not writable"; `in_port` by the
/// specification's word).
fn writable(kind: OxmKind) -> bool {
    !matches!(
        kind,
        OxmKind::InPort
            | OxmKind::InPhyPort
            | OxmKind::EthType
            | OxmKind::IpProto
            | OxmKind::Ipv6Exthdr
    )
}

/// The instruction types in the order a switch executes them (§5.9), for checking in that
/// order too.
fn exec_rank(i: &Instruction) -> u8 {
    match i {
        Instruction::Meter(_) => 0,
        Instruction::ApplyActions(_) => 1,
        Instruction::ClearActions => 2,
        Instruction::WriteActions(_) => 3,
        Instruction::WriteMetadata { .. } => 4,
        Instruction::GotoTable(_) => 5,
        _ => 6,
    }
}

impl FakeSwitch {
    /// Checks a flow's instructions in one phase.
    pub(crate) fn check_flow_instructions(
        &self,
        table_id: u8,
        m: &FlowMatch,
        instructions: &[Instruction],
        phase: Phase,
    ) -> Result<(), Rejection> {
        if phase == Phase::Decode {
            let mut seen = BTreeSet::new();
            for i in instructions {
                if !seen.insert(i.instruction_type()) {
                    return reject(
                        DUP_INSTRUCTION,
                        format!("instruction {i} twice (§7.2.4: at most one of each type)"),
                    );
                }
                match i {
                    Instruction::Experimenter { experimenter, .. } => {
                        return reject(
                            OfError::BadInstruction(BadInstructionCode::BadExperimenter),
                            format!("experimenter instruction {experimenter:#x}"),
                        );
                    }
                    Instruction::Unknown {
                        instruction_type, ..
                    } => {
                        return reject(
                            OfError::BadInstruction(BadInstructionCode::UnknownInst),
                            format!("unknown instruction type {instruction_type}"),
                        );
                    }
                    _ => {}
                }
            }
        }
        let mut ordered: Vec<&Instruction> = instructions.iter().collect();
        ordered.sort_by_key(|i| exec_rank(i));
        let mut known = Known::from_match(m);
        for i in ordered {
            match i {
                Instruction::GotoTable(t)
                    if phase == Phase::Consistency
                        && ((table_id != u8::MAX && *t <= table_id) || *t >= self.n_tables) =>
                {
                    return reject(
                        OfError::BadInstruction(BadInstructionCode::BadTableId),
                        format!(
                            "goto_table:{t} from table {table_id} (§5.1: only to a later \
                             table, and tables end at {})",
                            self.n_tables.saturating_sub(1)
                        ),
                    );
                }
                Instruction::Meter(id) => {
                    if phase == Phase::Consistency && (*id == 0 || *id > OFPM_MAX) {
                        return reject(
                            OfError::MeterModFailed(MeterModFailedCode::InvalidMeter),
                            format!("meter:{id} is not a usable meter id"),
                        );
                    }
                    if phase == Phase::References && !self.meters.contains_key(id) {
                        return reject(
                            OfError::MeterModFailed(MeterModFailedCode::InvalidMeter),
                            format!("meter:{id} does not exist"),
                        );
                    }
                }
                Instruction::ApplyActions(a) => {
                    self.check_actions(a, &mut known, Source::Apply, phase)?;
                }
                Instruction::WriteActions(a) => {
                    let mut copy = known.clone();
                    self.check_actions(a, &mut copy, Source::Write, phase)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks an action list in one phase. `known` follows the packet through the list.
    pub(crate) fn check_actions(
        &self,
        actions: &[Action],
        known: &mut Known,
        source: Source,
        phase: Phase,
    ) -> Result<(), Rejection> {
        for a in actions {
            match phase {
                Phase::Decode => check_decode(a)?,
                Phase::Consistency => self.check_consistency(a, known, source)?,
                Phase::References => self.check_references(a, source)?,
            }
        }
        Ok(())
    }

    fn check_consistency(
        &self,
        a: &Action,
        known: &mut Known,
        source: Source,
    ) -> Result<(), Rejection> {
        let checked = source != Source::Bucket;
        let hard = matches!(source, Source::Apply | Source::PacketOut);
        let inconsistent = |why: String| {
            reject(
                OfError::BadAction(BadActionCode::MatchInconsistent),
                format!("{a}: {why}"),
            )
        };
        match a {
            Action::Output { port, .. } => self.check_output_port(*port, source)?,
            Action::SetField(f) => {
                if let Some(kind) = f.kind()
                    && checked
                    && !known.allows(kind)
                {
                    return inconsistent(format!(
                        "the packets this flow matches may not have {} (§7.2.3.8 \
                         prerequisites)",
                        kind.name()
                    ));
                }
            }
            Action::PushVlan(_) => {
                if known.vlans >= 2 {
                    return reject(
                        OfError::BadAction(BadActionCode::BadTag),
                        format!("{a}: more than two VLAN tags"),
                    );
                }
                known.vlans += 1;
            }
            Action::PopVlan => {
                if known.vlans == 0 && checked && hard {
                    return inconsistent(
                        "the packets this flow matches may have no VLAN tag".into(),
                    );
                }
                known.vlans = known.vlans.saturating_sub(1);
            }
            Action::DecNwTtl | Action::SetNwTtl(_) => {
                let ip = known
                    .eth_type
                    .is_some_and(|t| t == ETH_TYPE_IPV4 || t == ETH_TYPE_IPV6);
                if !ip && checked && hard {
                    return inconsistent("the packets this flow matches may not be IP".into());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether an output port can be named (§7.2.1 port numbers, §6.4 "a port that will
    /// never be valid").
    fn check_output_port(&self, port: PortNo, source: Source) -> Result<(), Rejection> {
        let bad = |why: &str| {
            reject(
                OfError::BadAction(BadActionCode::BadOutPort),
                format!("output:{port}: {why}"),
            )
        };
        match port {
            PortNo::IN_PORT
            | PortNo::NORMAL
            | PortNo::FLOOD
            | PortNo::ALL
            | PortNo::CONTROLLER
            | PortNo::LOCAL => Ok(()),
            PortNo::TABLE if source == Source::PacketOut => Ok(()),
            PortNo::TABLE => bad(
                "TABLE is only for packet-out (§7.2.1; Open vSwitch accepts it, this switch \
                 does not)",
            ),
            p if self.strictness == Strictness::Spec
                && !self.ports.is_empty()
                && !self.ports.contains_key(&p) =>
            {
                bad("the switch has no such port")
            }
            _ => Ok(()),
        }
    }

    fn check_references(&self, a: &Action, source: Source) -> Result<(), Rejection> {
        if let Action::Group(g) = a
            && !self.groups.contains_key(g)
            && (source != Source::Bucket || self.strictness == Strictness::Spec)
        {
            return reject(
                OfError::BadAction(BadActionCode::BadOutGroup),
                format!("group:{g} does not exist"),
            );
        }
        Ok(())
    }

    /// The error for a watch port (a fast-failover bucket's) the switch does not have, in
    /// [`Strictness::Spec`].
    pub(crate) fn check_watch_port(&self, port: PortNo) -> Result<(), Rejection> {
        if port != PortNo::ANY
            && self.strictness == Strictness::Spec
            && !self.ports.is_empty()
            && !self.ports.contains_key(&port)
        {
            return reject(
                OfError::GroupModFailed(GroupModFailedCode::BadWatch),
                format!("watch_port {port}: the switch has no such port"),
            );
        }
        Ok(())
    }
}

/// The checks a decoder makes on one action.
fn check_decode(a: &Action) -> Result<(), Rejection> {
    let bad = |code: BadActionCode, why: String| reject(OfError::BadAction(code), why);
    match a {
        Action::Output { port, .. } => {
            if (OVS_PORT_LIMIT..PortNo::MAX.0).contains(&port.0) || *port == PortNo::MAX {
                return bad(
                    BadActionCode::BadOutPort,
                    format!("output:{port}: outside the port number space"),
                );
            }
            if *port == PortNo::ANY {
                return bad(
                    BadActionCode::BadOutPort,
                    "output:ANY: ANY is not a port".into(),
                );
            }
            Ok(())
        }
        Action::PushVlan(t) if *t != ETH_TYPE_VLAN && *t != ETH_TYPE_QINQ => bad(
            BadActionCode::BadArgument,
            format!("{a}: a VLAN tag's ethertype is 0x8100 or 0x88a8"),
        ),
        Action::PushMpls(t) if *t != ETH_TYPE_MPLS && *t != ETH_TYPE_MPLS_MC => bad(
            BadActionCode::BadArgument,
            format!("{a}: an MPLS ethertype is 0x8847 or 0x8848"),
        ),
        Action::SetField(f) => check_set_field(f),
        Action::Experimenter { experimenter, .. } => bad(
            BadActionCode::BadExperimenter,
            format!("experimenter action {experimenter:#x}"),
        ),
        Action::Unknown { action_type, .. } => bad(
            BadActionCode::BadType,
            format!("unknown action type {action_type}"),
        ),
        _ => Ok(()),
    }
}

/// Set-field as Open vSwitch decodes it (§7.2.5: "the value ... must be valid").
fn check_set_field(f: &OxmField) -> Result<(), Rejection> {
    if crate::packet::nxm_in_port(f).is_some() {
        return Ok(());
    }
    let Some(kind) = f.kind() else {
        return reject(
            OfError::BadMatch(BadMatchCode::BadField),
            format!("set_field of an unknown field {f}"),
        );
    };
    if f.has_mask() {
        return reject(
            BAD_SET_MASK,
            format!("set_field {f}: OpenFlow 1.3 set-field has no mask"),
        );
    }
    if !writable(kind) {
        return reject(
            OfError::BadAction(BadActionCode::BadSetArgument),
            format!("set_field: {} cannot be set", kind.name()),
        );
    }
    let m = Match::from_fields([f.clone()]);
    let value = tlvs(m.oxm_bytes())
        .next()
        .map(|t| {
            t.payload
                .iter()
                .fold(0u128, |a, b| (a << 8) | u128::from(*b))
        })
        .unwrap_or(0);
    let vlan_without_present = kind == OxmKind::VlanVid && value & u128::from(OFPVID_PRESENT) == 0;
    if value & !field_bits(kind) != 0 || vlan_without_present {
        return reject(
            OfError::BadAction(BadActionCode::BadSetArgument),
            format!(
                "set_field {f}: not a valid value{}",
                if vlan_without_present {
                    " (vlan_vid needs OFPVID_PRESENT, 0x1000)"
                } else {
                    ""
                }
            ),
        );
    }
    Ok(())
}
