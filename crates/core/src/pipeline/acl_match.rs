//! An ACL rule's match fields as OpenFlow matches, with the prerequisites OpenFlow requires
//! (OpenFlow 1.3.5 §7.2.3.8) added.
//!
//! A switch refuses a match whose fields lack their prerequisites (`tcp_dst` without
//! `ip_proto=6` and an IP `eth_type`, `ipv4_src` without `eth_type=0x0800`, ...); FAUCET sends
//! such a rule as written and the switch refuses it. Here the missing prerequisites are added,
//! and where they are not unique (`tcp_dst` alone is TCP over IPv4 or over IPv6), the rule
//! becomes one flow per possibility, at the same priority: together they match exactly the
//! packets the rule describes. A rule whose fields contradict each other (`eth_type: 0x0806`
//! with `tcp_dst`, `tcp_dst` with `udp_dst`) can match nothing, and gets no flow.
//!
//! Masked values are stored as a switch stores them: value bits outside the mask cleared, an
//! all-ones mask dropped (see [`sluice_ofp::Match::canonical`]).

use std::fmt;

use bytes::Bytes;
use sluice_config::Match as Field;
use sluice_ofp::oxm::{OFPVID_PRESENT, OxmField, OxmKind, RawOxm};
use sluice_ofp::{Match, PortNo};
use sluice_wire::MacAddr;

use super::nicira::NxField;

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_IPV6: u16 = 0x86dd;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_PBB: u16 = 0x88e7;
const IP_ANY: &[u16] = &[ETH_IPV4, ETH_IPV6];

/// Why a rule can match no packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatchable {
    /// Two fields need different values of a prerequisite (`what`: `eth_type`, `ip_proto`
    /// or `icmpv6_type`).
    Conflict {
        /// The prerequisite.
        what: &'static str,
    },
    /// `vlan_pcp` on packets without a VLAN tag.
    PcpWithoutVlan,
    /// `in_phy_port` without `in_port`.
    PhyPortWithoutInPort,
}

impl fmt::Display for Unmatchable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmatchable::Conflict { what } => {
                write!(f, "its fields need different values of {what}")
            }
            Unmatchable::PcpWithoutVlan => f.write_str("vlan_pcp needs a VLAN tag"),
            Unmatchable::PhyPortWithoutInPort => f.write_str("in_phy_port needs in_port"),
        }
    }
}

/// Fields a compiled rule always has, whatever the rule says: `in_port` for a port's ACL,
/// the VLAN for a VLAN's (FAUCET overwrites the rule's own value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forced {
    /// `in_port`.
    pub in_port: Option<u32>,
    /// `vlan_vid`, as the OXM value (with `OFPVID_PRESENT`).
    pub vlan_vid: Option<u16>,
}

/// What a rule's actions need of the packets it matches: a set-field needs its field's
/// prerequisites (set `ipv4_dst` only on IPv4), and popping, swapping or setting the tag of
/// a packet that has not had one pushed needs a tagged packet (a switch refuses such a flow
/// otherwise, `OFPBAC_MATCH_INCONSISTENT`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Implied {
    /// The fields the actions set.
    pub sets: Vec<OxmKind>,
    /// Whether the actions need a VLAN tag on the packet as matched.
    pub tagged: bool,
}

/// The set of values a prerequisite may take: `None` is "anything" (not constrained).
type Choice<T> = Option<Vec<T>>;

fn narrow<T: PartialEq + Copy>(choice: &mut Choice<T>, allowed: &[T]) {
    *choice = Some(match choice.take() {
        None => allowed.to_vec(),
        Some(v) => v.into_iter().filter(|x| allowed.contains(x)).collect(),
    });
}

/// The matches of a rule with fields `fields`: one, or one per combination of prerequisite
/// values when they are not unique (at most four).
///
/// # Errors
/// [`Unmatchable`] when the fields contradict each other, or the actions' needs.
pub fn matches(
    fields: &[Field],
    forced: Forced,
    implied: &Implied,
) -> Result<Vec<Match>, Unmatchable> {
    let mut eth: Choice<u16> = None;
    let mut proto: Choice<u8> = None;
    let mut icmp6: Choice<u8> = None;
    let mut vlan: Option<(u16, Option<u16>)> = forced.vlan_vid.map(|v| (v, None));
    let mut in_port = forced.in_port.is_some();
    let mut pcp = false;
    let mut phy = false;
    // Fields other than the prerequisites, with each field kept once (the last value wins,
    // as when FAUCET builds its match dict).
    let mut rest: Vec<OxmField> = Vec::with_capacity(fields.len() + 1);
    let keep = |f: OxmField, rest: &mut Vec<OxmField>| {
        rest.retain(|g| !same_field(g, &f));
        rest.push(f);
    };
    for f in fields {
        match f {
            Field::EthType(t) | Field::EthTypeNxm(t) => narrow(&mut eth, &[*t]),
            Field::IpProto(p) | Field::IpProtoNxm(p) => {
                narrow(&mut proto, &[*p]);
                narrow(&mut eth, IP_ANY);
            }
            Field::Icmpv6Type(t) => {
                narrow(&mut icmp6, &[*t]);
                narrow(&mut proto, &[58]);
                narrow(&mut eth, &[ETH_IPV6]);
            }
            Field::InPort(p) => {
                if forced.in_port.is_none() {
                    in_port = true;
                    keep(OxmField::InPort(PortNo(*p)), &mut rest);
                }
            }
            Field::VlanVid(v) => {
                if forced.vlan_vid.is_none() {
                    vlan = Some((v.value, v.mask));
                }
            }
            other => {
                let f = oxm(other);
                let need = match other {
                    // Open vSwitch's IP TTL field exists in IPv4 and IPv6 packets.
                    Field::NwTtl(_) => Needs {
                        eth: Some(IP_ANY),
                        ..Needs::default()
                    },
                    _ => basic_kind(&f).map(needs).unwrap_or_default(),
                };
                need.apply(&mut eth, &mut proto, &mut icmp6);
                pcp |= matches!(other, Field::VlanPcp(_));
                phy |= matches!(other, Field::InPhyPort(_));
                keep(f, &mut rest);
            }
        }
    }
    for kind in &implied.sets {
        needs(*kind).apply(&mut eth, &mut proto, &mut icmp6);
    }
    pcp |= implied.tagged;
    if let Some(p) = forced.in_port {
        rest.push(OxmField::InPort(PortNo(p)));
    }
    if phy && !in_port {
        return Err(Unmatchable::PhyPortWithoutInPort);
    }
    if pcp {
        match vlan {
            None => vlan = Some((OFPVID_PRESENT, Some(OFPVID_PRESENT))),
            Some((v, m)) if v & m.unwrap_or(u16::MAX) & OFPVID_PRESENT == 0 => {
                return Err(Unmatchable::PcpWithoutVlan);
            }
            Some(_) => {}
        }
    }
    if let Some((v, m)) = vlan {
        rest.push(OxmField::VlanVid(v & m.unwrap_or(u16::MAX), m));
    }
    let conflict = |what| Err(Unmatchable::Conflict { what });
    let eths = match eth {
        Some(v) if v.is_empty() => return conflict("eth_type"),
        Some(v) => v.into_iter().map(Some).collect(),
        None => vec![None],
    };
    let proto = match proto {
        Some(v) if v.is_empty() => return conflict("ip_proto"),
        // A single value: every constraint on it named one.
        Some(v) => v.first().copied(),
        None => None,
    };
    let icmp6s = match icmp6 {
        Some(v) if v.is_empty() => return conflict("icmpv6_type"),
        Some(v) => v.into_iter().map(Some).collect(),
        None => vec![None],
    };
    let mut out = Vec::with_capacity(eths.len() * icmp6s.len());
    for e in &eths {
        for t in &icmp6s {
            let mut m = Match::from_fields(rest.iter().cloned());
            if let Some(e) = e {
                m.push(OxmField::EthType(*e));
            }
            if let Some(p) = proto {
                m.push(OxmField::IpProto(p));
            }
            if let Some(t) = t {
                m.push(OxmField::Icmpv6Type(*t));
            }
            out.push(m.canonical());
        }
    }
    Ok(out)
}

/// Whether two fields are the same field (so a later one replaces the earlier).
fn same_field(a: &OxmField, b: &OxmField) -> bool {
    match (a, b) {
        (OxmField::Other(x), OxmField::Other(y)) => (x.class, x.field) == (y.class, y.field),
        _ => a.kind().is_some() && a.kind() == b.kind(),
    }
}

/// What a field needs: the `eth_type`s it exists in, its `ip_proto`, its `icmpv6_type`s.
#[derive(Default)]
struct Needs {
    eth: Option<&'static [u16]>,
    proto: Option<u8>,
    icmp6: Option<&'static [u8]>,
}

impl Needs {
    fn apply(&self, eth: &mut Choice<u16>, proto: &mut Choice<u8>, icmp6: &mut Choice<u8>) {
        if let Some(e) = self.eth {
            narrow(eth, e);
        }
        if let Some(p) = self.proto {
            narrow(proto, &[p]);
        }
        if let Some(t) = self.icmp6 {
            narrow(icmp6, t);
        }
    }
}

/// The basic field an OXM field is (a masked transport port is sent raw, but is one).
fn basic_kind(f: &OxmField) -> Option<OxmKind> {
    match f {
        OxmField::Other(r) if r.class == sluice_ofp::oxm::OFPXMC_OPENFLOW_BASIC => {
            OxmKind::from_field(r.field)
        }
        other => other.kind(),
    }
}

fn needs(kind: OxmKind) -> Needs {
    use OxmKind as K;
    let eth = |e: &'static [u16]| Needs {
        eth: Some(e),
        ..Needs::default()
    };
    let ip = |e: &'static [u16], p: u8| Needs {
        eth: Some(e),
        proto: Some(p),
        icmp6: None,
    };
    let nd = |t: &'static [u8]| Needs {
        eth: Some(&[ETH_IPV6]),
        proto: Some(58),
        icmp6: Some(t),
    };
    match kind {
        K::IpDscp | K::IpEcn | K::IpProto => eth(IP_ANY),
        K::Ipv4Src | K::Ipv4Dst => eth(&[ETH_IPV4]),
        K::TcpSrc | K::TcpDst => ip(IP_ANY, 6),
        K::UdpSrc | K::UdpDst => ip(IP_ANY, 17),
        K::SctpSrc | K::SctpDst => ip(IP_ANY, 132),
        K::Icmpv4Type | K::Icmpv4Code => ip(&[ETH_IPV4], 1),
        K::ArpOp | K::ArpSpa | K::ArpTpa | K::ArpSha | K::ArpTha => eth(&[ETH_ARP]),
        K::Ipv6Src | K::Ipv6Dst | K::Ipv6Flabel | K::Ipv6Exthdr => eth(&[ETH_IPV6]),
        K::Icmpv6Type | K::Icmpv6Code => ip(&[ETH_IPV6], 58),
        K::Ipv6NdTarget => nd(&[135, 136]),
        K::Ipv6NdSll => nd(&[135]),
        K::Ipv6NdTll => nd(&[136]),
        K::MplsLabel | K::MplsTc | K::MplsBos => eth(&[ETH_MPLS, ETH_MPLS_MC]),
        K::PbbIsid => eth(&[ETH_PBB]),
        _ => Needs::default(),
    }
}

fn mac(v: MacAddr, m: Option<MacAddr>) -> (MacAddr, Option<MacAddr>) {
    match m {
        Some(m) => (MacAddr::from_u64(v.to_u64() & m.to_u64()), Some(m)),
        None => (v, None),
    }
}

fn masked<T: Copy + std::ops::BitAnd<Output = T>>(v: T, m: Option<T>) -> (T, Option<T>) {
    (m.map_or(v, |m| v & m), m)
}

/// A masked value of a field the specification says cannot be masked (transport ports,
/// neighbour-discovery fields): Open vSwitch accepts these masks, so they are sent as the
/// raw OXM TLV with the mask bit set.
fn raw_masked(kind: OxmKind, value: &[u8], mask: &[u8]) -> OxmField {
    let mut payload = Vec::with_capacity(value.len() * 2);
    payload.extend(value.iter().zip(mask).map(|(v, m)| v & m));
    payload.extend_from_slice(mask);
    OxmField::Other(RawOxm {
        class: sluice_ofp::oxm::OFPXMC_OPENFLOW_BASIC,
        field: kind.field(),
        has_mask: true,
        payload: Bytes::from(payload),
    })
}

/// A 16-bit port field, exact or masked.
fn port16(kind: OxmKind, exact: fn(u16) -> OxmField, v: u16, m: Option<u16>) -> OxmField {
    match m {
        None | Some(u16::MAX) => exact(v),
        Some(m) => raw_masked(kind, &v.to_be_bytes(), &m.to_be_bytes()),
    }
}

/// A MAC field the specification says cannot be masked, exact or masked.
fn mac_exact(
    kind: OxmKind,
    exact: fn(MacAddr) -> OxmField,
    v: MacAddr,
    m: Option<MacAddr>,
) -> OxmField {
    match m {
        None | Some(MacAddr::BROADCAST) => exact(v),
        Some(m) => raw_masked(kind, &v.0, &m.0),
    }
}

/// The OXM field for one ACL match field (other than the prerequisites, which
/// [`matches`] adds itself).
fn oxm(f: &Field) -> OxmField {
    use OxmField as O;
    match f {
        Field::InPort(p) => O::InPort(PortNo(*p)),
        Field::InPhyPort(p) => O::InPhyPort(PortNo(*p)),
        Field::Metadata(m) => {
            let (v, m) = masked(m.value, m.mask);
            O::Metadata(v, m)
        }
        Field::EthDst(m) => {
            let (v, m) = mac(m.value, m.mask);
            O::EthDst(v, m)
        }
        Field::EthSrc(m) => {
            let (v, m) = mac(m.value, m.mask);
            O::EthSrc(v, m)
        }
        Field::EthType(t) | Field::EthTypeNxm(t) => O::EthType(*t),
        Field::VlanVid(m) => {
            let (v, m) = masked(m.value, m.mask);
            O::VlanVid(v, m)
        }
        Field::VlanPcp(x) => O::VlanPcp(*x),
        Field::IpDscp(x) => O::IpDscp(*x),
        Field::IpEcn(x) => O::IpEcn(*x),
        Field::IpProto(x) | Field::IpProtoNxm(x) => O::IpProto(*x),
        Field::Ipv4Src(a) => {
            let (v, m) = masked(u32::from(a.value), a.mask.map(u32::from));
            O::Ipv4Src(v.into(), m.map(Into::into))
        }
        Field::Ipv4Dst(a) => {
            let (v, m) = masked(u32::from(a.value), a.mask.map(u32::from));
            O::Ipv4Dst(v.into(), m.map(Into::into))
        }
        Field::TcpSrc(p) => port16(OxmKind::TcpSrc, O::TcpSrc, p.value, p.mask),
        Field::TcpDst(p) => port16(OxmKind::TcpDst, O::TcpDst, p.value, p.mask),
        Field::UdpSrc(p) => port16(OxmKind::UdpSrc, O::UdpSrc, p.value, p.mask),
        Field::UdpDst(p) => port16(OxmKind::UdpDst, O::UdpDst, p.value, p.mask),
        Field::SctpSrc(p) => port16(OxmKind::SctpSrc, O::SctpSrc, p.value, p.mask),
        Field::SctpDst(p) => port16(OxmKind::SctpDst, O::SctpDst, p.value, p.mask),
        Field::Icmpv4Type(x) => O::Icmpv4Type(*x),
        Field::Icmpv4Code(x) => O::Icmpv4Code(*x),
        Field::ArpOp(x) => O::ArpOp(*x),
        Field::ArpSpa(a) => {
            let (v, m) = masked(u32::from(a.value), a.mask.map(u32::from));
            O::ArpSpa(v.into(), m.map(Into::into))
        }
        Field::ArpTpa(a) => {
            let (v, m) = masked(u32::from(a.value), a.mask.map(u32::from));
            O::ArpTpa(v.into(), m.map(Into::into))
        }
        Field::ArpSha(a) => {
            let (v, m) = mac(a.value, a.mask);
            O::ArpSha(v, m)
        }
        Field::ArpTha(a) => {
            let (v, m) = mac(a.value, a.mask);
            O::ArpTha(v, m)
        }
        Field::Ipv6Src(a) => {
            let (v, m) = masked(u128::from(a.value), a.mask.map(u128::from));
            O::Ipv6Src(v.into(), m.map(Into::into))
        }
        Field::Ipv6Dst(a) => {
            let (v, m) = masked(u128::from(a.value), a.mask.map(u128::from));
            O::Ipv6Dst(v.into(), m.map(Into::into))
        }
        Field::Ipv6Flabel(x) => O::Ipv6Flabel(*x, None),
        Field::Icmpv6Type(x) => O::Icmpv6Type(*x),
        Field::Icmpv6Code(x) => O::Icmpv6Code(*x),
        Field::Ipv6NdTarget(a) => match a.mask.map(u128::from) {
            None | Some(u128::MAX) => O::Ipv6NdTarget(a.value),
            Some(m) => raw_masked(OxmKind::Ipv6NdTarget, &a.value.octets(), &m.to_be_bytes()),
        },
        Field::Ipv6NdSll(a) => mac_exact(OxmKind::Ipv6NdSll, O::Ipv6NdSll, a.value, a.mask),
        Field::Ipv6NdTll(a) => mac_exact(OxmKind::Ipv6NdTll, O::Ipv6NdTll, a.value, a.mask),
        Field::MplsLabel(x) => O::MplsLabel(*x),
        Field::MplsTc(x) => O::MplsTc(*x),
        Field::MplsBos(x) => O::MplsBos(*x),
        Field::PbbIsid(m) => {
            let (v, m) = masked(m.value, m.mask);
            O::PbbIsid(v, m)
        }
        Field::TunnelId(m) => {
            let (v, m) = masked(m.value, m.mask);
            O::TunnelId(v, m)
        }
        Field::Ipv6Exthdr(m) => {
            let (v, m) = masked(m.value, m.mask);
            O::Ipv6Exthdr(v, m)
        }
        Field::NwTtl(x) => NxField::IpTtl.oxm(u128::from(*x), None),
        Field::CtState(m) => NxField::CtState.oxm(u128::from(m.value), m.mask.map(u128::from)),
        Field::CtZone(x) => NxField::CtZone.oxm(u128::from(*x), None),
        Field::CtMark(m) => NxField::CtMark.oxm(u128::from(m.value), m.mask.map(u128::from)),
        Field::CtLabel(m) => NxField::CtLabel.oxm(m.value, m.mask),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_config::{Masked, MaskedIpv4, MaskedMac};
    use std::net::Ipv4Addr;

    fn alts(fields: &[Field], forced: Forced) -> Result<Vec<Match>, Unmatchable> {
        matches(fields, forced, &Implied::default())
    }

    fn show(ms: &[Match]) -> Vec<String> {
        ms.iter().map(|m| m.to_string()).collect()
    }

    fn exact16(v: u16) -> Masked<u16> {
        Masked {
            value: v,
            mask: None,
        }
    }

    #[test]
    fn written_prerequisites_are_kept() {
        let m = alts(
            &[
                Field::EthType(0x800),
                Field::IpProto(6),
                Field::TcpDst(exact16(80)),
            ],
            Forced::default(),
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        m[0].check().unwrap();
        assert_eq!(m[0].get(OxmKind::EthType), Some(OxmField::EthType(0x800)));
    }

    #[test]
    fn missing_prerequisites_are_added_one_flow_per_choice() {
        let m = alts(&[Field::TcpDst(exact16(80))], Forced::default()).unwrap();
        assert_eq!(m.len(), 2, "{:?}", show(&m));
        for x in &m {
            x.check().unwrap();
            assert_eq!(x.get(OxmKind::IpProto), Some(OxmField::IpProto(6)));
        }
        let eths: Vec<_> = m.iter().map(|x| x.get(OxmKind::EthType)).collect();
        assert!(eths.contains(&Some(OxmField::EthType(0x800))));
        assert!(eths.contains(&Some(OxmField::EthType(0x86dd))));
        // An IPv4 field decides it.
        let m = alts(
            &[
                Field::TcpDst(exact16(80)),
                Field::Ipv4Dst(MaskedIpv4 {
                    value: Ipv4Addr::new(10, 0, 0, 0),
                    mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
                }),
            ],
            Forced::default(),
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        m[0].check().unwrap();
        let m = alts(
            &[Field::ArpTpa(MaskedIpv4 {
                value: Ipv4Addr::new(10, 0, 0, 1),
                mask: None,
            })],
            Forced::default(),
        )
        .unwrap();
        assert_eq!(m[0].get(OxmKind::EthType), Some(OxmField::EthType(0x806)));
        let m = alts(&[Field::VlanPcp(3)], Forced::default()).unwrap();
        m[0].check().unwrap();
        let m = alts(
            &[Field::Ipv6NdTarget(sluice_config::MaskedIpv6 {
                value: "fe80::1".parse().unwrap(),
                mask: None,
            })],
            Forced::default(),
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        m.iter().for_each(|x| x.check().unwrap());
    }

    #[test]
    fn contradictions_match_nothing() {
        assert_eq!(
            alts(
                &[Field::EthType(0x806), Field::TcpDst(exact16(80))],
                Forced::default()
            ),
            Err(Unmatchable::Conflict { what: "eth_type" })
        );
        assert_eq!(
            alts(
                &[Field::TcpDst(exact16(80)), Field::UdpDst(exact16(53))],
                Forced::default()
            ),
            Err(Unmatchable::Conflict { what: "ip_proto" })
        );
        assert_eq!(
            alts(
                &[Field::VlanPcp(1)],
                Forced {
                    in_port: None,
                    vlan_vid: Some(0)
                }
            ),
            Err(Unmatchable::PcpWithoutVlan)
        );
        assert_eq!(
            alts(&[Field::InPhyPort(1)], Forced::default()),
            Err(Unmatchable::PhyPortWithoutInPort)
        );
    }

    #[test]
    fn forced_fields_replace_the_rules_own_and_values_are_masked() {
        let m = alts(
            &[
                Field::InPort(7),
                Field::VlanVid(exact16(0x1000 | 5)),
                Field::EthDst(MaskedMac {
                    value: MacAddr([0x0e, 0, 0, 0, 0, 2]),
                    mask: Some(MacAddr([0xff, 0xff, 0xff, 0, 0, 0])),
                }),
                Field::TcpDst(Masked {
                    value: 0x1234,
                    mask: Some(0xff00),
                }),
            ],
            Forced {
                in_port: Some(3),
                vlan_vid: Some(0x1000 | 100),
            },
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        let s = m[0].to_string();
        assert!(s.contains("in_port=3"), "{s}");
        assert!(!s.contains("in_port=7"), "{s}");
        assert!(s.contains("vlan_vid=100"), "{s}");
        assert!(
            s.contains("eth_dst=0e:00:00:00:00:00/ff:ff:ff:00:00:00"),
            "{s}"
        );
        assert!(m[0].is_canonical());
    }
}

#[cfg(test)]
mod implied {
    use super::*;
    use sluice_config::Masked;

    #[test]
    fn set_fields_and_tag_changes_narrow_the_match() {
        let dns = [Field::UdpDst(Masked {
            value: 53,
            mask: None,
        })];
        let set_v4 = Implied {
            sets: vec![OxmKind::Ipv4Dst],
            tagged: false,
        };
        let ms = matches(&dns, Forced::default(), &set_v4).unwrap();
        assert_eq!(ms.len(), 1, "only IPv4 can have its ipv4_dst set");
        assert_eq!(ms[0].get(OxmKind::EthType), Some(OxmField::EthType(0x800)));
        let swap = Implied {
            sets: vec![],
            tagged: true,
        };
        let ms = matches(&dns, Forced::default(), &swap).unwrap();
        assert!(
            ms.iter()
                .all(|x| x.to_string().contains("vlan_vid=present"))
        );
        let set_arp = Implied {
            sets: vec![OxmKind::ArpTpa],
            tagged: false,
        };
        assert!(matches(&dns, Forced::default(), &set_arp).is_err());
    }
}
