//! What a ping between two lab hosts should do, by the configuration: hosts reach each other
//! when they share a VLAN (on one DP, or on DPs joined by stack links) and the ACLs on the way
//! let the ping through.
//!
//! A ping is four kinds of packets: an ARP request (broadcast) and its reply, an ICMP echo
//! request and its reply. Each goes through the ACLs FAUCET applies on its way: the ingress
//! port's `acls_in` (or the DP's `dp_acls` instead), the VLAN's `acls_in`, then the VLAN's
//! `acls_out`. Rules are tried in order, the first match decides, and a packet that matches no
//! rule is dropped. Where the outcome depends on what the lab cannot predict (a rule that
//! redirects or sends packets to conntrack, a match on metadata, ACLs across stacked DPs, or a
//! host that would learn its peer's MAC only from the peer's own ARP request), the
//! expectation is unknown and the pair is shown but not judged.

use std::net::Ipv4Addr;

use sluice_config::{Acl, AclId, Config, Dp, Masked, MaskedIpv4, MaskedMac, Match};
use sluice_wire::MacAddr;

use crate::topo::Endpoint;

/// A three-valued answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }

    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }
}

/// One packet of a ping, as the ACLs see it.
#[derive(Debug, Clone, Copy)]
struct Packet {
    in_port: u32,
    /// The VLAN tag's OXM value (`0x1000 | vid`), or 0 for an untagged packet.
    vlan_vid: u16,
    eth_src: MacAddr,
    eth_dst: MacAddr,
    kind: Kind,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ArpRequest,
    ArpReply,
    EchoRequest,
    EchoReply,
}

impl Packet {
    fn is_arp(&self) -> bool {
        matches!(self.kind, Kind::ArpRequest | Kind::ArpReply)
    }

    fn eth_type(&self) -> u16 {
        if self.is_arp() { 0x0806 } else { 0x0800 }
    }
}

fn masked_mac(m: &MaskedMac, v: MacAddr) -> bool {
    let mask = m.mask.map_or(u64::MAX, |x| x.to_u64());
    m.value.to_u64() & mask == v.to_u64() & mask
}

fn masked_ip(m: &MaskedIpv4, v: Ipv4Addr) -> bool {
    let mask = m.mask.map_or(u32::MAX, u32::from);
    u32::from(m.value) & mask == u32::from(v) & mask
}

fn masked_u16(m: &Masked<u16>, v: u16) -> bool {
    let mask = m.mask.unwrap_or(u16::MAX);
    m.value & mask == v & mask
}

/// Whether one match field matches the packet.
fn field(m: &Match, p: &Packet) -> Tri {
    let ip = !p.is_arp();
    let b = |x: bool| Tri::from(x);
    match m {
        Match::InPort(port) => b(*port == p.in_port),
        Match::EthDst(mac) => b(masked_mac(mac, p.eth_dst)),
        Match::EthSrc(mac) => b(masked_mac(mac, p.eth_src)),
        Match::EthType(t) | Match::EthTypeNxm(t) => b(*t == p.eth_type()),
        Match::VlanVid(v) => b(masked_u16(v, p.vlan_vid)),
        Match::VlanPcp(pcp) => b(p.vlan_vid != 0 && *pcp == 0),
        Match::IpDscp(x) | Match::IpEcn(x) => b(ip && *x == 0),
        Match::IpProto(proto) | Match::IpProtoNxm(proto) => b(ip && *proto == 1),
        Match::Ipv4Src(a) => b(ip && masked_ip(a, p.src)),
        Match::Ipv4Dst(a) => b(ip && masked_ip(a, p.dst)),
        Match::Icmpv4Type(t) => b(match p.kind {
            Kind::EchoRequest => *t == 8,
            Kind::EchoReply => *t == 0,
            _ => false,
        }),
        Match::Icmpv4Code(c) => b(ip && *c == 0),
        Match::ArpOp(op) => b(match p.kind {
            Kind::ArpRequest => *op == 1,
            Kind::ArpReply => *op == 2,
            _ => false,
        }),
        Match::ArpSpa(a) => b(p.is_arp() && masked_ip(a, p.src)),
        Match::ArpTpa(a) => b(p.is_arp() && masked_ip(a, p.dst)),
        Match::ArpSha(mac) => b(p.is_arp() && masked_mac(mac, p.eth_src)),
        Match::ArpTha(mac) => b(match p.kind {
            // A request's target hardware address is all zeros.
            Kind::ArpRequest => masked_mac(mac, MacAddr::ZERO),
            Kind::ArpReply => masked_mac(mac, p.eth_dst),
            _ => false,
        }),
        // Not IPv6, not TCP/UDP/SCTP, not MPLS or PBB: these never match a ping.
        Match::TcpSrc(_)
        | Match::TcpDst(_)
        | Match::UdpSrc(_)
        | Match::UdpDst(_)
        | Match::SctpSrc(_)
        | Match::SctpDst(_)
        | Match::Ipv6Src(_)
        | Match::Ipv6Dst(_)
        | Match::Ipv6Flabel(_)
        | Match::Icmpv6Type(_)
        | Match::Icmpv6Code(_)
        | Match::Ipv6NdTarget(_)
        | Match::Ipv6NdSll(_)
        | Match::Ipv6NdTll(_)
        | Match::Ipv6Exthdr(_)
        | Match::MplsLabel(_)
        | Match::MplsTc(_)
        | Match::MplsBos(_)
        | Match::PbbIsid(_) => Tri::No,
        // Pipeline state the lab does not model.
        Match::InPhyPort(_)
        | Match::Metadata(_)
        | Match::TunnelId(_)
        | Match::NwTtl(_)
        | Match::CtState(_)
        | Match::CtZone(_)
        | Match::CtMark(_)
        | Match::CtLabel(_) => Tri::Unknown,
    }
}

/// Whether the ACLs `ids` (their rules in order, first match wins, no match drops) let the
/// packet continue.
fn acls(dp: &Dp, ids: &[AclId], p: &Packet) -> Tri {
    let rules = ids
        .iter()
        .filter_map(|id| dp.acls.get(id.0))
        .flat_map(|acl: &Acl| acl.rules.iter());
    for rule in rules {
        let matched = rule
            .matches
            .iter()
            .fold(Tri::Yes, |acc, m| acc.and(field(m, p)));
        match matched {
            Tri::No => continue,
            Tri::Unknown => return Tri::Unknown,
            Tri::Yes => {
                let a = &rule.actions;
                if a.output.is_some() || a.ct.is_some() || a.force_port_vlan {
                    return Tri::Unknown;
                }
                // Mirrors and meters do not stop a ping.
                return Tri::from(a.allow);
            }
        }
    }
    Tri::No
}

/// Whether a packet from `from`'s host to `to`'s host gets through the ACLs.
fn passes(dp: &Dp, from: &Endpoint, to: &Endpoint, kind: Kind) -> Tri {
    let eth_dst = if kind == Kind::ArpRequest {
        MacAddr::BROADCAST
    } else {
        to.mac
    };
    let mut p = Packet {
        in_port: from.port,
        vlan_vid: if from.tagged { 0x1000 | from.vid } else { 0 },
        eth_src: from.mac,
        eth_dst,
        kind,
        src: from.addr,
        dst: to.addr,
    };
    let port_acls = if dp.dp_acls.is_empty() {
        dp.ports
            .get(&sluice_config::PortNo(from.port))
            .map(|port| port.acls_in.as_slice())
            .unwrap_or_default()
    } else {
        dp.dp_acls.as_slice()
    };
    let mut verdict = if port_acls.is_empty() {
        Tri::Yes
    } else {
        acls(dp, port_acls, &p)
    };
    if let Some(vlan) = dp.vlans.get(&sluice_config::Vid(from.vid)) {
        p.vlan_vid = 0x1000 | from.vid;
        for stage in [&vlan.acls_in, &vlan.acls_out] {
            if verdict == Tri::Yes && !stage.is_empty() {
                verdict = acls(dp, stage, &p);
            }
        }
    }
    verdict
}

/// Whether a DP applies any ACL to the traffic of these endpoints.
fn has_acls(dp: &Dp, e: &Endpoint) -> bool {
    !dp.dp_acls.is_empty()
        || dp
            .ports
            .get(&sluice_config::PortNo(e.port))
            .is_some_and(|p| !p.acls_in.is_empty())
        || dp
            .vlans
            .get(&sluice_config::Vid(e.vid))
            .is_some_and(|v| !v.acls_in.is_empty() || !v.acls_out.is_empty())
}

/// Whether a ping from `a` to `b` should get an answer: `Some(true)` or `Some(false)`, or
/// `None` when the lab cannot tell.
pub(crate) fn expect(config: &Config, a: &Endpoint, b: &Endpoint) -> Option<bool> {
    if !a.should_reach(b) {
        return Some(false);
    }
    let dp_a = config.dps.get(&sluice_config::DpId(a.dp_id))?;
    let dp_b = config.dps.get(&sluice_config::DpId(b.dp_id))?;
    if !has_acls(dp_a, a) && !has_acls(dp_b, b) {
        return Some(true);
    }
    if a.dp_id != b.dp_id {
        // Which DP's ACLs apply where depends on the stack's paths.
        return None;
    }
    let dp = dp_a;
    let req_ab = passes(dp, a, b, Kind::ArpRequest);
    let rep_ba = passes(dp, b, a, Kind::ArpReply);
    let req_ba = passes(dp, b, a, Kind::ArpRequest);
    let rep_ab = passes(dp, a, b, Kind::ArpReply);
    // A host learns its peer's MAC from its own request and the reply, or from the peer's
    // request (the peer's reply, for the other way round). Only the first is sure to happen
    // before this ping; the others depend on who pinged first, so they make a ping possible,
    // not certain.
    let direct = req_ab.and(rep_ba);
    let a_can_learn_b = direct.or(req_ba);
    let b_can_learn_a = req_ab.or(req_ba.and(rep_ab));
    let icmp = passes(dp, a, b, Kind::EchoRequest).and(passes(dp, b, a, Kind::EchoReply));
    if icmp.and(direct) == Tri::Yes {
        Some(true)
    } else if icmp == Tri::No || a_can_learn_b == Tri::No || b_can_learn_a == Tri::No {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prefix;
    use crate::topo::plan_endpoints;

    fn endpoints(yaml: &str) -> (Config, Vec<Endpoint>) {
        let config = sluice_config::load_str(yaml).unwrap().config;
        let eps = plan_endpoints(&config, &Prefix::new()).unwrap();
        (config, eps)
    }

    fn by(eps: &[Endpoint], label: &str) -> Endpoint {
        eps.iter().find(|e| e.label == label).unwrap().clone()
    }

    #[test]
    fn acls_decide_pings_within_a_vlan() {
        let (c, eps) = endpoints(
            "
acls:
  no-icmp:
    - rule: {dl_type: 0x806, actions: {allow: 1}}
    - rule: {dl_type: 0x800, nw_proto: 6, actions: {allow: 1}}
  all:
    - rule: {actions: {allow: 1}}
  vlan-guard:
    - rule: {dl_type: 0x800, ipv4_dst: 10.0.100.3, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
  redirect:
    - rule: {actions: {output: {port: 6}}}
vlans:
  office: {vid: 100, acls_in: [vlan-guard]}
  lab: {vid: 300}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {name: quiet, native_vlan: office, acls_in: [no-icmp]}
      2: {name: open, native_vlan: office, acls_in: [all]}
      3: {name: guarded, native_vlan: office}
      4: {name: odd, native_vlan: lab, acls_in: [redirect]}
      5: {name: plain, native_vlan: lab}
      6: {name: sink, output_only: true}
",
        );
        let e = |l| by(&eps, l);
        // ICMP is dropped on port 1: no answer either way.
        assert_eq!(expect(&c, &e("quiet"), &e("open")), Some(false));
        assert_eq!(expect(&c, &e("open"), &e("quiet")), Some(false));
        // Port 2 allows everything, port 3 has no port ACL.
        assert_eq!(expect(&c, &e("open"), &e("open")), Some(false), "same host");
        assert_eq!(
            expect(&c, &e("plain"), &e("open")),
            Some(false),
            "other VLAN"
        );
        // The VLAN ACL drops IPv4 to port 3's host (10.0.100.3).
        assert_eq!(e("guarded").addr, Ipv4Addr::new(10, 0, 100, 3));
        assert_eq!(expect(&c, &e("open"), &e("guarded")), Some(false));
        // A rule that redirects: the lab cannot tell.
        assert_eq!(expect(&c, &e("odd"), &e("plain")), None);
    }

    #[test]
    fn no_acls_means_vlan_membership() {
        let (c, eps) = endpoints(
            "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {tagged_vlans: [office]}
",
        );
        assert_eq!(expect(&c, &eps[0], &eps[1]), Some(true));
        assert_eq!(expect(&c, &eps[1], &eps[0]), Some(true));
    }
}
