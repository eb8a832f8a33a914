//! A packet as the pipeline sees it: its header fields (everything an OXM match can name), its
//! VLAN tag stack, and the pipeline's own fields (`in_port`, `metadata`).
//!
//! Fields that a packet does not have (an IPv4 address on an ARP packet) stay in the struct
//! with their default values; [`Packet::field`] answers `None` for them, by the same
//! prerequisites as a match (OpenFlow 1.3.5 §7.2.3.8, table 12).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use sluice_ofp::oxm::OFPVID_PRESENT;
use sluice_ofp::{OxmField, OxmKind, PortNo};
use sluice_wire::MacAddr;

/// Ethertype of IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETH_TYPE_ARP: u16 = 0x0806;
/// Ethertype of IPv6.
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
/// TPID of an 802.1Q (customer) VLAN tag.
pub const ETH_TYPE_VLAN: u16 = 0x8100;
/// TPID of an 802.1ad (service, "QinQ") VLAN tag.
pub const ETH_TYPE_QINQ: u16 = 0x88a8;
/// Ethertype of MPLS unicast.
pub const ETH_TYPE_MPLS: u16 = 0x8847;
/// Ethertype of MPLS multicast.
pub const ETH_TYPE_MPLS_MC: u16 = 0x8848;
/// Ethertype of PBB (802.1ah).
pub const ETH_TYPE_PBB: u16 = 0x88e7;
/// Ethertype of LLDP.
pub const ETH_TYPE_LLDP: u16 = 0x88cc;
/// Ethertype of the slow protocols (LACP).
pub const ETH_TYPE_SLOW: u16 = 0x8809;

/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;
/// IP protocol number of SCTP.
pub const IPPROTO_SCTP: u8 = 132;

/// ICMPv6 type of a neighbour solicitation.
pub const ND_NEIGHBOR_SOLICIT: u8 = 135;
/// ICMPv6 type of a neighbour advertisement.
pub const ND_NEIGHBOR_ADVERT: u8 = 136;

/// One VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// The tag's TPID: [`ETH_TYPE_VLAN`] (802.1Q) or [`ETH_TYPE_QINQ`] (802.1ad).
    pub tpid: u16,
    /// The VLAN id (12 bits).
    pub vid: u16,
    /// The priority code point (3 bits).
    pub pcp: u8,
}

impl VlanTag {
    /// An 802.1Q tag with priority 0.
    pub fn dot1q(vid: u16) -> Self {
        VlanTag {
            tpid: ETH_TYPE_VLAN,
            vid: vid & 0x0fff,
            pcp: 0,
        }
    }

    /// An 802.1ad (service) tag with priority 0.
    pub fn dot1ad(vid: u16) -> Self {
        VlanTag {
            tpid: ETH_TYPE_QINQ,
            vid: vid & 0x0fff,
            pcp: 0,
        }
    }
}

/// A packet: the pipeline fields and every header field OpenFlow 1.3 can match or set.
///
/// Build one with [`Packet::new`] and the builder methods, or from a frame with
/// [`Packet::from_frame`](crate::Packet::from_frame):
///
/// ```
/// # use sluice_fakeswitch::Packet;
/// # use sluice_wire::MacAddr;
/// let p = Packet::new(1)
///     .eth(MacAddr([0, 0, 0, 0, 0, 1]), MacAddr([0, 0, 0, 0, 0, 2]))
///     .vlan(100)
///     .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
///     .tcp(40000, 22);
/// assert_eq!(p.outer_vid(), Some(100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The port the packet came in on.
    pub in_port: PortNo,
    /// Pipeline metadata (starts at 0; written by write-metadata).
    pub metadata: u64,
    /// Logical-port metadata (0 for packets from a physical port).
    pub tunnel_id: u64,
    /// Ethernet destination.
    pub eth_dst: MacAddr,
    /// Ethernet source.
    pub eth_src: MacAddr,
    /// VLAN tags, outermost first.
    pub vlans: Vec<VlanTag>,
    /// The ethertype after the VLAN tags (what OXM `eth_type` matches).
    pub eth_type: u16,
    /// IP protocol (IPv4 protocol or IPv6 next header).
    pub ip_proto: u8,
    /// IP DSCP (6 bits).
    pub ip_dscp: u8,
    /// IP ECN (2 bits).
    pub ip_ecn: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ip_ttl: u8,
    /// IPv4 source.
    pub ipv4_src: Ipv4Addr,
    /// IPv4 destination.
    pub ipv4_dst: Ipv4Addr,
    /// IPv6 source.
    pub ipv6_src: Ipv6Addr,
    /// IPv6 destination.
    pub ipv6_dst: Ipv6Addr,
    /// IPv6 flow label (20 bits).
    pub ipv6_flabel: u32,
    /// TCP, UDP or SCTP source port.
    pub l4_src: u16,
    /// TCP, UDP or SCTP destination port.
    pub l4_dst: u16,
    /// ICMP or ICMPv6 type.
    pub icmp_type: u8,
    /// ICMP or ICMPv6 code.
    pub icmp_code: u8,
    /// ARP opcode.
    pub arp_op: u16,
    /// ARP sender protocol address.
    pub arp_spa: Ipv4Addr,
    /// ARP target protocol address.
    pub arp_tpa: Ipv4Addr,
    /// ARP sender hardware address.
    pub arp_sha: MacAddr,
    /// ARP target hardware address.
    pub arp_tha: MacAddr,
    /// Neighbour discovery target address.
    pub nd_target: Ipv6Addr,
    /// Neighbour solicitation's source link-layer address option.
    pub nd_sll: Option<MacAddr>,
    /// Neighbour advertisement's target link-layer address option.
    pub nd_tll: Option<MacAddr>,
    /// Top MPLS label (20 bits).
    pub mpls_label: u32,
    /// Top MPLS traffic class (3 bits).
    pub mpls_tc: u8,
    /// Top MPLS bottom-of-stack bit.
    pub mpls_bos: u8,
    /// PBB I-SID (24 bits).
    pub pbb_isid: u32,
    /// Bytes after the last parsed header.
    pub payload: Bytes,
}

impl Default for Packet {
    fn default() -> Self {
        Packet::new(PortNo(0))
    }
}

impl Packet {
    /// A packet from `in_port` with every field zero (no VLAN tag, ethertype 0).
    pub fn new(in_port: impl Into<PortNo>) -> Self {
        Packet {
            in_port: in_port.into(),
            metadata: 0,
            tunnel_id: 0,
            eth_dst: MacAddr::ZERO,
            eth_src: MacAddr::ZERO,
            vlans: Vec::new(),
            eth_type: 0,
            ip_proto: 0,
            ip_dscp: 0,
            ip_ecn: 0,
            ip_ttl: 0,
            ipv4_src: Ipv4Addr::UNSPECIFIED,
            ipv4_dst: Ipv4Addr::UNSPECIFIED,
            ipv6_src: Ipv6Addr::UNSPECIFIED,
            ipv6_dst: Ipv6Addr::UNSPECIFIED,
            ipv6_flabel: 0,
            l4_src: 0,
            l4_dst: 0,
            icmp_type: 0,
            icmp_code: 0,
            arp_op: 0,
            arp_spa: Ipv4Addr::UNSPECIFIED,
            arp_tpa: Ipv4Addr::UNSPECIFIED,
            arp_sha: MacAddr::ZERO,
            arp_tha: MacAddr::ZERO,
            nd_target: Ipv6Addr::UNSPECIFIED,
            nd_sll: None,
            nd_tll: None,
            mpls_label: 0,
            mpls_tc: 0,
            mpls_bos: 0,
            pbb_isid: 0,
            payload: Bytes::new(),
        }
    }

    // ===== builders =====

    /// Sets the Ethernet source and destination.
    pub fn eth(mut self, src: MacAddr, dst: MacAddr) -> Self {
        self.eth_src = src;
        self.eth_dst = dst;
        self
    }

    /// Sets the input port.
    pub fn in_port(mut self, port: impl Into<PortNo>) -> Self {
        self.in_port = port.into();
        self
    }

    /// Adds an 802.1Q tag inside the tags the packet already has.
    pub fn vlan(self, vid: u16) -> Self {
        self.tag(VlanTag::dot1q(vid))
    }

    /// Adds an 802.1Q tag with a priority inside the tags the packet already has.
    pub fn vlan_pcp(self, vid: u16, pcp: u8) -> Self {
        self.tag(VlanTag {
            pcp: pcp & 7,
            ..VlanTag::dot1q(vid)
        })
    }

    /// Adds a tag inside the tags the packet already has.
    pub fn tag(mut self, tag: VlanTag) -> Self {
        self.vlans.push(tag);
        self
    }

    /// Sets the ethertype (after the VLAN tags).
    pub fn eth_type(mut self, eth_type: u16) -> Self {
        self.eth_type = eth_type;
        self
    }

    /// Makes the packet an ARP packet (Ethernet/IPv4) with the given opcode and addresses.
    pub fn arp(
        mut self,
        op: u16,
        sha: MacAddr,
        spa: Ipv4Addr,
        tha: MacAddr,
        tpa: Ipv4Addr,
    ) -> Self {
        self.eth_type = ETH_TYPE_ARP;
        self.arp_op = op;
        self.arp_sha = sha;
        self.arp_spa = spa;
        self.arp_tha = tha;
        self.arp_tpa = tpa;
        self
    }

    /// An ARP request from the packet's Ethernet source asking for `tpa`.
    pub fn arp_request(self, spa: Ipv4Addr, tpa: Ipv4Addr) -> Self {
        let sha = self.eth_src;
        self.arp(1, sha, spa, MacAddr::ZERO, tpa)
    }

    /// An ARP reply from the packet's Ethernet source (`spa` is at `eth_src`) to `tha`/`tpa`.
    pub fn arp_reply(self, spa: Ipv4Addr, tha: MacAddr, tpa: Ipv4Addr) -> Self {
        let sha = self.eth_src;
        self.arp(2, sha, spa, tha, tpa)
    }

    /// Makes the packet IPv4 (TTL 64, protocol 0 until a transport builder sets it).
    pub fn ipv4(mut self, src: Ipv4Addr, dst: Ipv4Addr) -> Self {
        self.eth_type = ETH_TYPE_IPV4;
        self.ipv4_src = src;
        self.ipv4_dst = dst;
        self.ip_ttl = 64;
        self
    }

    /// Makes the packet IPv6 (hop limit 64, next header 0 until a transport builder sets it).
    pub fn ipv6(mut self, src: Ipv6Addr, dst: Ipv6Addr) -> Self {
        self.eth_type = ETH_TYPE_IPV6;
        self.ipv6_src = src;
        self.ipv6_dst = dst;
        self.ip_ttl = 64;
        self
    }

    /// Sets the IP DSCP and ECN bits.
    pub fn tos(mut self, dscp: u8, ecn: u8) -> Self {
        self.ip_dscp = dscp & 0x3f;
        self.ip_ecn = ecn & 3;
        self
    }

    /// Sets the IP TTL (IPv4) or hop limit (IPv6).
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ip_ttl = ttl;
        self
    }

    /// Makes the IP packet carry TCP between the given ports.
    pub fn tcp(self, src: u16, dst: u16) -> Self {
        self.l4(IPPROTO_TCP, src, dst)
    }

    /// Makes the IP packet carry UDP between the given ports.
    pub fn udp(self, src: u16, dst: u16) -> Self {
        self.l4(IPPROTO_UDP, src, dst)
    }

    /// Makes the IP packet carry SCTP between the given ports.
    pub fn sctp(self, src: u16, dst: u16) -> Self {
        self.l4(IPPROTO_SCTP, src, dst)
    }

    fn l4(mut self, proto: u8, src: u16, dst: u16) -> Self {
        self.ip_proto = proto;
        self.l4_src = src;
        self.l4_dst = dst;
        self
    }

    /// Makes the IPv4 packet an ICMP message of the given type and code.
    pub fn icmp(mut self, icmp_type: u8, code: u8) -> Self {
        self.ip_proto = IPPROTO_ICMP;
        self.icmp_type = icmp_type;
        self.icmp_code = code;
        self
    }

    /// Makes the IPv6 packet an ICMPv6 message of the given type and code.
    pub fn icmpv6(mut self, icmp_type: u8, code: u8) -> Self {
        self.ip_proto = IPPROTO_ICMPV6;
        self.icmp_type = icmp_type;
        self.icmp_code = code;
        self
    }

    /// Makes the IPv6 packet a neighbour solicitation for `target` (hop limit 255).
    pub fn nd_solicit(mut self, target: Ipv6Addr, sll: Option<MacAddr>) -> Self {
        self = self.icmpv6(ND_NEIGHBOR_SOLICIT, 0);
        self.ip_ttl = 255;
        self.nd_target = target;
        self.nd_sll = sll;
        self
    }

    /// Makes the IPv6 packet a neighbour advertisement for `target` (hop limit 255).
    pub fn nd_advert(mut self, target: Ipv6Addr, tll: Option<MacAddr>) -> Self {
        self = self.icmpv6(ND_NEIGHBOR_ADVERT, 0);
        self.ip_ttl = 255;
        self.nd_target = target;
        self.nd_tll = tll;
        self
    }

    /// Sets the bytes after the last header.
    pub fn payload(mut self, payload: impl Into<Bytes>) -> Self {
        self.payload = payload.into();
        self
    }

    /// Sets the pipeline metadata.
    pub fn with_metadata(mut self, metadata: u64) -> Self {
        self.metadata = metadata;
        self
    }

    // ===== queries =====

    /// The outermost VLAN id, if the packet is tagged.
    pub fn outer_vid(&self) -> Option<u16> {
        self.vlans.first().map(|t| t.vid)
    }

    /// The VLAN ids, outermost first.
    pub fn vids(&self) -> Vec<u16> {
        self.vlans.iter().map(|t| t.vid).collect()
    }

    fn is_ip(&self) -> bool {
        matches!(self.eth_type, ETH_TYPE_IPV4 | ETH_TYPE_IPV6)
    }

    fn l4_is(&self, proto: u8) -> bool {
        self.is_ip() && self.ip_proto == proto
    }

    fn is_icmpv6(&self) -> bool {
        self.eth_type == ETH_TYPE_IPV6 && self.ip_proto == IPPROTO_ICMPV6
    }

    /// The value of an OXM field as the pipeline matches it (big-endian, in the field's wire
    /// width), or `None` when the packet does not have the field (its prerequisites, §7.2.3.8,
    /// do not hold). `vlan_vid` is `OFPVID_PRESENT | vid` on a tagged packet and `OFPVID_NONE`
    /// (0) on an untagged one; `vlan_pcp` exists only on tagged packets.
    pub fn field(&self, kind: OxmKind) -> Option<u128> {
        use OxmKind as K;
        let ip = self.is_ip();
        let v4 = self.eth_type == ETH_TYPE_IPV4;
        let v6 = self.eth_type == ETH_TYPE_IPV6;
        let arp = self.eth_type == ETH_TYPE_ARP;
        let mpls = matches!(self.eth_type, ETH_TYPE_MPLS | ETH_TYPE_MPLS_MC);
        let some = |cond: bool, v: u128| cond.then_some(v);
        match kind {
            K::InPort | K::InPhyPort => Some(self.in_port.0.into()),
            K::Metadata => Some(self.metadata.into()),
            K::TunnelId => Some(self.tunnel_id.into()),
            K::EthDst => Some(self.eth_dst.to_u64().into()),
            K::EthSrc => Some(self.eth_src.to_u64().into()),
            K::EthType => Some(self.eth_type.into()),
            K::VlanVid => Some(match self.vlans.first() {
                Some(t) => u128::from(OFPVID_PRESENT | (t.vid & 0x0fff)),
                None => 0,
            }),
            K::VlanPcp => self.vlans.first().map(|t| u128::from(t.pcp & 7)),
            K::IpDscp => some(ip, self.ip_dscp.into()),
            K::IpEcn => some(ip, self.ip_ecn.into()),
            K::IpProto => some(ip, self.ip_proto.into()),
            K::Ipv4Src => some(v4, u32::from(self.ipv4_src).into()),
            K::Ipv4Dst => some(v4, u32::from(self.ipv4_dst).into()),
            K::TcpSrc => some(self.l4_is(IPPROTO_TCP), self.l4_src.into()),
            K::TcpDst => some(self.l4_is(IPPROTO_TCP), self.l4_dst.into()),
            K::UdpSrc => some(self.l4_is(IPPROTO_UDP), self.l4_src.into()),
            K::UdpDst => some(self.l4_is(IPPROTO_UDP), self.l4_dst.into()),
            K::SctpSrc => some(self.l4_is(IPPROTO_SCTP), self.l4_src.into()),
            K::SctpDst => some(self.l4_is(IPPROTO_SCTP), self.l4_dst.into()),
            K::Icmpv4Type => some(v4 && self.ip_proto == IPPROTO_ICMP, self.icmp_type.into()),
            K::Icmpv4Code => some(v4 && self.ip_proto == IPPROTO_ICMP, self.icmp_code.into()),
            K::ArpOp => some(arp, self.arp_op.into()),
            K::ArpSpa => some(arp, u32::from(self.arp_spa).into()),
            K::ArpTpa => some(arp, u32::from(self.arp_tpa).into()),
            K::ArpSha => some(arp, self.arp_sha.to_u64().into()),
            K::ArpTha => some(arp, self.arp_tha.to_u64().into()),
            K::Ipv6Src => some(v6, u128::from(self.ipv6_src)),
            K::Ipv6Dst => some(v6, u128::from(self.ipv6_dst)),
            K::Ipv6Flabel => some(v6, (self.ipv6_flabel & 0xf_ffff).into()),
            K::Icmpv6Type => some(self.is_icmpv6(), self.icmp_type.into()),
            K::Icmpv6Code => some(self.is_icmpv6(), self.icmp_code.into()),
            K::Ipv6NdTarget => some(
                self.is_icmpv6()
                    && matches!(self.icmp_type, ND_NEIGHBOR_SOLICIT | ND_NEIGHBOR_ADVERT),
                u128::from(self.nd_target),
            ),
            K::Ipv6NdSll => some(
                self.is_icmpv6() && self.icmp_type == ND_NEIGHBOR_SOLICIT,
                self.nd_sll.unwrap_or(MacAddr::ZERO).to_u64().into(),
            ),
            K::Ipv6NdTll => some(
                self.is_icmpv6() && self.icmp_type == ND_NEIGHBOR_ADVERT,
                self.nd_tll.unwrap_or(MacAddr::ZERO).to_u64().into(),
            ),
            K::MplsLabel => some(mpls, (self.mpls_label & 0xf_ffff).into()),
            K::MplsTc => some(mpls, (self.mpls_tc & 7).into()),
            K::MplsBos => some(mpls, (self.mpls_bos & 1).into()),
            K::PbbIsid => some(self.eth_type == ETH_TYPE_PBB, self.pbb_isid.into()),
            // Extension headers are not modelled: every IPv6 packet has none ("no next
            // header" is not reported either).
            K::Ipv6Exthdr => some(v6, 0),
        }
    }

    // ===== modifications =====

    /// Applies a set-field action. A field the packet does not have is left alone, as Open
    /// vSwitch does ("set the field only if the packet actually has it"); setting `vlan_vid`
    /// on an untagged packet gives it an 802.1Q tag (OVS does the same). Returns whether the
    /// packet changed.
    pub fn set_field(&mut self, field: &OxmField) -> bool {
        let before = self.clone();
        if let Some(port) = nxm_in_port(field) {
            self.in_port = PortNo(u32::from(port));
            return *self != before;
        }
        let Some(kind) = field.kind() else {
            return false;
        };
        if kind != OxmKind::VlanVid && kind != OxmKind::VlanPcp && self.field(kind).is_none() {
            return false;
        }
        match field {
            OxmField::InPort(p) => self.in_port = *p,
            OxmField::Metadata(v, m) => self.metadata = masked(self.metadata, *v, *m),
            OxmField::TunnelId(v, m) => self.tunnel_id = masked(self.tunnel_id, *v, *m),
            OxmField::EthDst(v, _) => self.eth_dst = *v,
            OxmField::EthSrc(v, _) => self.eth_src = *v,
            OxmField::EthType(t) => self.eth_type = *t,
            OxmField::VlanVid(v, _) => match self.vlans.first_mut() {
                Some(t) => t.vid = v & 0x0fff,
                None => self.vlans.insert(0, VlanTag::dot1q(v & 0x0fff)),
            },
            OxmField::VlanPcp(p) => {
                if let Some(t) = self.vlans.first_mut() {
                    t.pcp = p & 7;
                }
            }
            OxmField::IpDscp(v) => self.ip_dscp = v & 0x3f,
            OxmField::IpEcn(v) => self.ip_ecn = v & 3,
            OxmField::IpProto(v) => self.ip_proto = *v,
            OxmField::Ipv4Src(v, _) => self.ipv4_src = *v,
            OxmField::Ipv4Dst(v, _) => self.ipv4_dst = *v,
            OxmField::TcpSrc(v) | OxmField::UdpSrc(v) | OxmField::SctpSrc(v) => self.l4_src = *v,
            OxmField::TcpDst(v) | OxmField::UdpDst(v) | OxmField::SctpDst(v) => self.l4_dst = *v,
            OxmField::Icmpv4Type(v) | OxmField::Icmpv6Type(v) => self.icmp_type = *v,
            OxmField::Icmpv4Code(v) | OxmField::Icmpv6Code(v) => self.icmp_code = *v,
            OxmField::ArpOp(v) => self.arp_op = *v,
            OxmField::ArpSpa(v, _) => self.arp_spa = *v,
            OxmField::ArpTpa(v, _) => self.arp_tpa = *v,
            OxmField::ArpSha(v, _) => self.arp_sha = *v,
            OxmField::ArpTha(v, _) => self.arp_tha = *v,
            OxmField::Ipv6Src(v, _) => self.ipv6_src = *v,
            OxmField::Ipv6Dst(v, _) => self.ipv6_dst = *v,
            OxmField::Ipv6Flabel(v, _) => self.ipv6_flabel = v & 0xf_ffff,
            OxmField::Ipv6NdTarget(v) => self.nd_target = *v,
            OxmField::Ipv6NdSll(v) => self.nd_sll = Some(*v),
            OxmField::Ipv6NdTll(v) => self.nd_tll = Some(*v),
            OxmField::MplsLabel(v) => self.mpls_label = v & 0xf_ffff,
            OxmField::MplsTc(v) => self.mpls_tc = v & 7,
            OxmField::MplsBos(v) => self.mpls_bos = v & 1,
            OxmField::PbbIsid(v, _) => self.pbb_isid = v & 0xff_ffff,
            OxmField::InPhyPort(_) | OxmField::Ipv6Exthdr(..) | OxmField::Other(_) => {}
        }
        *self != before
    }

    /// Pushes a new outermost VLAN tag with TPID `tpid`. Like Open vSwitch, the new tag has
    /// VID 0 and PCP 0 (OpenFlow 1.3.5 §7.2.5 would copy them from the old outer tag; OVS does
    /// not, and every controller sets the VID right after the push).
    pub fn push_vlan(&mut self, tpid: u16) {
        self.vlans.insert(
            0,
            VlanTag {
                tpid,
                vid: 0,
                pcp: 0,
            },
        );
    }

    /// Pops the outermost VLAN tag; returns whether there was one.
    pub fn pop_vlan(&mut self) -> bool {
        if self.vlans.is_empty() {
            false
        } else {
            self.vlans.remove(0);
            true
        }
    }
}

fn masked(old: u64, v: u64, m: Option<u64>) -> u64 {
    match m {
        Some(m) => (old & !m) | (v & m),
        None => v,
    }
}

impl fmt::Display for Packet {
    /// The fields in `ovs-ofctl` style, only those the packet has:
    /// `in_port=1,dl_vlan=100,dl_src=...,dl_dst=...,dl_type=0x0800,nw_src=...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in_port={}", self.in_port)?;
        if self.metadata != 0 {
            write!(f, ",metadata={:#x}", self.metadata)?;
        }
        for (i, t) in self.vlans.iter().enumerate() {
            let tpid = if t.tpid == ETH_TYPE_VLAN {
                String::new()
            } else {
                format!("{:#06x}:", t.tpid)
            };
            let name = if i == 0 { "dl_vlan" } else { "inner_vlan" };
            write!(f, ",{name}={tpid}{}", t.vid)?;
            if t.pcp != 0 {
                write!(f, "/pcp{}", t.pcp)?;
            }
        }
        write!(
            f,
            ",dl_src={},dl_dst={},dl_type={:#06x}",
            self.eth_src, self.eth_dst, self.eth_type
        )?;
        match self.eth_type {
            ETH_TYPE_ARP => write!(
                f,
                ",arp_op={},arp_spa={},arp_tpa={},arp_sha={},arp_tha={}",
                self.arp_op, self.arp_spa, self.arp_tpa, self.arp_sha, self.arp_tha
            )?,
            ETH_TYPE_IPV4 => write!(
                f,
                ",nw_src={},nw_dst={},nw_proto={},nw_ttl={}",
                self.ipv4_src, self.ipv4_dst, self.ip_proto, self.ip_ttl
            )?,
            ETH_TYPE_IPV6 => write!(
                f,
                ",ipv6_src={},ipv6_dst={},nw_proto={},nw_ttl={}",
                self.ipv6_src, self.ipv6_dst, self.ip_proto, self.ip_ttl
            )?,
            ETH_TYPE_MPLS | ETH_TYPE_MPLS_MC => write!(
                f,
                ",mpls_label={},mpls_tc={},mpls_bos={}",
                self.mpls_label, self.mpls_tc, self.mpls_bos
            )?,
            _ => {}
        }
        if self.is_ip() && (self.ip_dscp != 0 || self.ip_ecn != 0) {
            write!(f, ",nw_tos={}", (self.ip_dscp << 2) | self.ip_ecn)?;
        }
        if matches!(self.ip_proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP) && self.is_ip() {
            write!(f, ",tp_src={},tp_dst={}", self.l4_src, self.l4_dst)?;
        }
        if self.l4_is(IPPROTO_ICMP) || self.is_icmpv6() {
            write!(
                f,
                ",icmp_type={},icmp_code={}",
                self.icmp_type, self.icmp_code
            )?;
        }
        if self.field(OxmKind::Ipv6NdTarget).is_some() {
            write!(f, ",nd_target={}", self.nd_target)?;
            if let Some(m) = self.nd_sll {
                write!(f, ",nd_sll={m}")?;
            }
            if let Some(m) = self.nd_tll {
                write!(f, ",nd_tll={m}")?;
            }
        }
        Ok(())
    }
}

/// The port of a set-field of Open vSwitch's `NXM_OF_IN_PORT` (class 0, field 0, 16 bits):
/// the one way Open vSwitch lets OpenFlow 1.3 change a packet's input port (it refuses the
/// basic `in_port` field), so that the packet can be output to the port it came in by.
pub(crate) fn nxm_in_port(field: &OxmField) -> Option<u16> {
    match field {
        OxmField::Other(raw) if raw.class == 0 && raw.field == 0 && !raw.has_mask => {
            let bytes: [u8; 2] = raw.payload.as_ref().try_into().ok()?;
            Some(u16::from_be_bytes(bytes))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr([0, 0, 0, 0, 0, 0xa]);
    const B: MacAddr = MacAddr([0, 0, 0, 0, 0, 0xb]);

    #[test]
    fn fields_follow_prerequisites() {
        let p = Packet::new(3)
            .eth(A, B)
            .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
            .tcp(1000, 80);
        assert_eq!(p.field(OxmKind::InPort), Some(3));
        assert_eq!(p.field(OxmKind::TcpDst), Some(80));
        assert_eq!(p.field(OxmKind::UdpDst), None);
        assert_eq!(p.field(OxmKind::ArpOp), None);
        assert_eq!(p.field(OxmKind::Ipv4Src), Some(0x0a00_0001));
        assert_eq!(p.field(OxmKind::VlanVid), Some(0));
        assert_eq!(p.field(OxmKind::VlanPcp), None);
        let t = p.clone().vlan_pcp(100, 5);
        assert_eq!(t.field(OxmKind::VlanVid), Some(0x1064));
        assert_eq!(t.field(OxmKind::VlanPcp), Some(5));
    }

    #[test]
    fn set_field_only_where_the_field_exists() {
        let mut p = Packet::new(1).eth(A, B).eth_type(ETH_TYPE_ARP);
        assert!(!p.set_field(&OxmField::Ipv4Src([1, 2, 3, 4].into(), None)));
        assert!(p.set_field(&OxmField::EthDst(A, None)));
        assert_eq!(p.eth_dst, A);
        // vlan_vid on an untagged packet adds a tag, as OVS does.
        assert!(p.set_field(&OxmField::VlanVid(0x1000 | 7, None)));
        assert_eq!(p.vids(), vec![7]);
        // metadata honours its mask.
        let mut p = Packet::new(1).with_metadata(0xff00);
        p.set_field(&OxmField::Metadata(0x0011, Some(0x00ff)));
        assert_eq!(p.metadata, 0xff11);
    }

    #[test]
    fn push_and_pop() {
        let mut p = Packet::new(1).vlan(10);
        p.push_vlan(ETH_TYPE_QINQ);
        assert_eq!(p.vlans[0], VlanTag::dot1ad(0));
        assert_eq!(p.vids(), vec![0, 10]);
        assert!(p.pop_vlan());
        assert!(p.pop_vlan());
        assert!(!p.pop_vlan());
    }

    #[test]
    fn text() {
        let p = Packet::new(1)
            .eth(A, B)
            .vlan(100)
            .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
            .udp(5, 6);
        assert_eq!(
            p.to_string(),
            "in_port=1,dl_vlan=100,dl_src=00:00:00:00:00:0a,dl_dst=00:00:00:00:00:0b,\
             dl_type=0x0800,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=17,nw_ttl=64,tp_src=5,tp_dst=6"
        );
    }
}
