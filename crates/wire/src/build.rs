//! Whole frames for packet-outs, built the way FAUCET builds them (`valve_packet.py` with
//! os-ken), byte for byte: the same header fields, TTLs and flags, and padding to 60 bytes.
//! Each builder returns a new `Vec<u8>` ready to be the data of a PACKET_OUT.
//!
//! | builder | FAUCET |
//! |---|---|
//! | [`arp_request`], [`arp_reply`] | `arp_request`, `arp_reply` |
//! | [`nd_solicit`], [`nd_advert`], [`router_advert`] | `nd_request`, `nd_advert`, `router_advert` |
//! | [`icmp_echo_reply`], [`icmp_time_exceeded`] | `echo_reply`, `time_exceeded` |
//! | [`icmpv6_echo_reply`], [`icmpv6_time_exceeded`] | `icmpv6_echo_reply`, `icmpv6_time_exceeded` |
//! | [`FaucetBeacon::frame`], [`lldp`] | `lldp_beacon` with `faucet_lldp_tlvs` and `faucet_lldp_stack_state_tlvs` |
//! | [`lacp`] | `lacp_reqreply` |
//! | [`ipv4_udp`], [`ipv6_udp`] | (test frames) |

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::arp::{ArpPacket, ArpRepr};
use crate::ethernet::{self, EtherType, EthernetFrame, EthernetRepr};
use crate::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use crate::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use crate::ip::IpProtocol;
use crate::ipv4::{self, Ipv4Packet, Ipv4Repr};
use crate::ipv6::{self, Ipv6Packet, Ipv6Repr};
use crate::lacp::{LacpPacket, LacpRepr};
use crate::lldp::{
    ChassisId, ChassisIdSubtype, Decimal, FAUCET_DP_ID_SUBTYPE, FAUCET_STACK_STATE_SUBTYPE,
    LldpPacket, LldpRepr, OrgTlv, OrgTlvList, PortId, PortIdSubtype,
};
use crate::mac::MacAddr;
use crate::ndisc::{NdiscRepr, NeighborFlags, PrefixInfo, PrefixList, RouterFlags};
use crate::udp::{UdpPacket, UdpRepr};
use crate::vlan::{self, VlanId, VlanPacket, VlanRepr};

/// The hop limit FAUCET puts on neighbour discovery and its ICMP(v6) replies.
pub const MAX_HOP_LIMIT: u8 = 255;
/// The hop limit FAUCET's router advertisements tell hosts to use.
pub const RA_HOP_LIMIT: u8 = 64;
/// The router lifetime of FAUCET's router advertisements, in seconds.
pub const RA_ROUTER_LIFETIME: u16 = 1800;

/// The Ethernet header of a frame: addresses, and a VLAN tag if `vid` is set (FAUCET's
/// `build_pkt_header(vid, eth_src, eth_dst, dl_type)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct L2 {
    /// Source address.
    pub eth_src: MacAddr,
    /// Destination address.
    pub eth_dst: MacAddr,
    /// VLAN to tag the frame with (priority 0), or untagged.
    pub vid: Option<VlanId>,
}

impl L2 {
    /// An untagged header.
    pub const fn untagged(eth_src: MacAddr, eth_dst: MacAddr) -> L2 {
        L2 {
            eth_src,
            eth_dst,
            vid: None,
        }
    }

    /// A header tagged with `vid`.
    pub const fn tagged(eth_src: MacAddr, eth_dst: MacAddr, vid: VlanId) -> L2 {
        L2 {
            eth_src,
            eth_dst,
            vid: Some(vid),
        }
    }

    fn header_len(&self) -> usize {
        ethernet::HEADER_LEN + self.vid.map_or(0, |_| vlan::HEADER_LEN)
    }
}

/// A frame with `payload_len` bytes after the L2 header, written by `fill`, padded with zeros
/// to 60 bytes.
pub fn frame(
    l2: &L2,
    ethertype: EtherType,
    payload_len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let header_len = l2.header_len();
    let mut buf = vec![0u8; (header_len + payload_len).max(ethernet::MIN_FRAME_LEN)];
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: l2.eth_src,
        dst_addr: l2.eth_dst,
        ethertype: if l2.vid.is_some() {
            EtherType::Vlan
        } else {
            ethertype
        },
    }
    .emit(&mut eth);
    if let Some(vid) = l2.vid {
        VlanRepr::new(vid, ethertype).emit(&mut VlanPacket::new_unchecked(eth.payload_mut()));
    }
    fill(&mut buf[header_len..header_len + payload_len]);
    buf
}

/// An ARP request from `l2.eth_src`/`src_ip` for `dst_ip` (target hardware address zero).
/// FAUCET sends it to broadcast, or to the known address when refreshing.
pub fn arp_request(l2: L2, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> Vec<u8> {
    arp(&l2, &ArpRepr::request(l2.eth_src, src_ip, dst_ip))
}

/// An ARP reply from `l2.eth_src`/`src_ip` to `l2.eth_dst`/`dst_ip`.
pub fn arp_reply(l2: L2, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> Vec<u8> {
    arp(&l2, &ArpRepr::reply(l2.eth_src, src_ip, l2.eth_dst, dst_ip))
}

/// Any ARP packet in a frame.
pub fn arp(l2: &L2, repr: &ArpRepr) -> Vec<u8> {
    frame(l2, EtherType::Arp, repr.buffer_len(), |b| {
        repr.emit(&mut ArpPacket::new_unchecked(b));
    })
}

fn ipv4_frame(
    l2: &L2,
    ip: Ipv4Repr,
    l4_len: usize,
    fill: impl FnOnce(&mut [u8], &IpAddr, &IpAddr),
) -> Vec<u8> {
    let ip = Ipv4Repr {
        payload_len: l4_len,
        ..ip
    };
    frame(l2, EtherType::Ipv4, ip.buffer_len() + l4_len, |b| {
        ip.emit(&mut Ipv4Packet::new_unchecked(&mut *b));
        let (src, dst) = (IpAddr::V4(ip.src_addr), IpAddr::V4(ip.dst_addr));
        fill(&mut b[ipv4::HEADER_LEN..], &src, &dst);
    })
}

fn ipv6_frame(
    l2: &L2,
    ip: Ipv6Repr,
    l4_len: usize,
    fill: impl FnOnce(&mut [u8], &Ipv6Addr, &Ipv6Addr),
) -> Vec<u8> {
    let ip = Ipv6Repr {
        payload_len: l4_len,
        ..ip
    };
    frame(l2, EtherType::Ipv6, ip.buffer_len() + l4_len, |b| {
        ip.emit(&mut Ipv6Packet::new_unchecked(&mut *b));
        fill(&mut b[ipv6::HEADER_LEN..], &ip.src_addr, &ip.dst_addr);
    })
}

fn icmpv4(l2: &L2, src: Ipv4Addr, dst: Ipv4Addr, icmp: &Icmpv4Repr<'_>) -> Vec<u8> {
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmp,
        payload_len: 0,
        hop_limit: MAX_HOP_LIMIT,
    };
    ipv4_frame(l2, ip, icmp.buffer_len(), |b, _, _| {
        icmp.emit(&mut Icmpv4Packet::new_unchecked(b));
    })
}

/// An ICMP echo reply (TTL 255) answering a ping to a VIP.
pub fn icmp_echo_reply(
    l2: L2,
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    ident: u16,
    seq_no: u16,
    data: &[u8],
) -> Vec<u8> {
    let icmp = Icmpv4Repr::EchoReply {
        ident,
        seq_no,
        data,
    };
    icmpv4(&l2, src_ip, dst_ip, &icmp)
}

/// An ICMP "TTL exceeded in transit" (TTL 255) quoting `data` (the invoking packet's IP header
/// and first bytes).
pub fn icmp_time_exceeded(l2: L2, src_ip: Ipv4Addr, dst_ip: Ipv4Addr, data: &[u8]) -> Vec<u8> {
    let icmp = Icmpv4Repr::TimeExceeded { code: 0, data };
    icmpv4(&l2, src_ip, dst_ip, &icmp)
}

/// A UDP datagram over IPv4 (TTL 64), for test frames.
pub fn ipv4_udp(l2: L2, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
    let udp = UdpRepr {
        src_port: src.1,
        dst_port: dst.1,
        payload,
    };
    let ip = Ipv4Repr {
        src_addr: src.0,
        dst_addr: dst.0,
        next_header: IpProtocol::Udp,
        payload_len: 0,
        hop_limit: 64,
    };
    ipv4_frame(&l2, ip, udp.buffer_len(), |b, s, d| {
        udp.emit(s, d, &mut UdpPacket::new_unchecked(b));
    })
}

/// A UDP datagram over IPv6 (hop limit 64), for test frames.
pub fn ipv6_udp(l2: L2, src: (Ipv6Addr, u16), dst: (Ipv6Addr, u16), payload: &[u8]) -> Vec<u8> {
    let udp = UdpRepr {
        src_port: src.1,
        dst_port: dst.1,
        payload,
    };
    let ip = Ipv6Repr {
        src_addr: src.0,
        dst_addr: dst.0,
        next_header: IpProtocol::Udp,
        payload_len: 0,
        hop_limit: 64,
    };
    ipv6_frame(&l2, ip, udp.buffer_len(), |b, s, d| {
        udp.emit(
            &IpAddr::V6(*s),
            &IpAddr::V6(*d),
            &mut UdpPacket::new_unchecked(b),
        );
    })
}

/// Any ICMPv6 message in a frame, with the given IPv6 hop limit.
pub fn icmpv6(
    l2: &L2,
    src_ip: Ipv6Addr,
    dst_ip: Ipv6Addr,
    hop_limit: u8,
    icmp: &Icmpv6Repr<'_>,
) -> Vec<u8> {
    let ip = Ipv6Repr {
        src_addr: src_ip,
        dst_addr: dst_ip,
        next_header: IpProtocol::Icmpv6,
        payload_len: 0,
        hop_limit,
    };
    ipv6_frame(l2, ip, icmp.buffer_len(), |b, s, d| {
        icmp.emit(s, d, &mut Icmpv6Packet::new_unchecked(b));
    })
}

/// A neighbour solicitation from `l2.eth_src`/`src_ip` for `dst_ip`, with a source
/// link-layer address option. As FAUCET's `nd_request`: if `l2.eth_dst` is not unicast the
/// frame goes to the solicited-node multicast address of `dst_ip` (and its 33:33:ff MAC);
/// otherwise it is sent unicast to `l2.eth_dst`/`dst_ip` (to refresh a known neighbour).
pub fn nd_solicit(l2: L2, src_ip: Ipv6Addr, dst_ip: Ipv6Addr) -> Vec<u8> {
    let (l2_dst, ip_dst) = if l2.eth_dst.is_unicast() {
        (l2.eth_dst, dst_ip)
    } else {
        let group = ipv6::solicited_node(&dst_ip);
        (MacAddr::from_ipv6_multicast(&group), group)
    };
    let icmp = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: dst_ip,
        lladdr: Some(l2.eth_src),
    });
    let l2 = L2 {
        eth_dst: l2_dst,
        ..l2
    };
    icmpv6(&l2, src_ip, ip_dst, MAX_HOP_LIMIT, &icmp)
}

/// A neighbour advertisement for `src_ip` (a VIP) from `l2.eth_src`, to `dst_ip`: flags R, S
/// and O set and a target link-layer address option, as FAUCET's `nd_advert`.
pub fn nd_advert(l2: L2, src_ip: Ipv6Addr, dst_ip: Ipv6Addr) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::ROUTER | NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
        target_addr: src_ip,
        lladdr: Some(l2.eth_src),
    });
    icmpv6(&l2, src_ip, dst_ip, MAX_HOP_LIMIT, &icmp)
}

/// A router advertisement as FAUCET's `router_advert`: hop limit 64 for hosts, lifetime
/// 1800 s, one prefix option per VIP subnet (see [`PrefixInfo::faucet`]), then a source
/// link-layer address option.
pub fn router_advert(
    l2: L2,
    src_ip: Ipv6Addr,
    dst_ip: Ipv6Addr,
    prefixes: &[PrefixInfo],
) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit: RA_HOP_LIMIT,
        flags: RouterFlags::empty(),
        router_lifetime: RA_ROUTER_LIFETIME,
        reachable_time: 0,
        retrans_time: 0,
        lladdr: Some(l2.eth_src),
        mtu: None,
        prefixes: PrefixList::Slice(prefixes),
    });
    icmpv6(&l2, src_ip, dst_ip, MAX_HOP_LIMIT, &icmp)
}

/// An ICMPv6 echo reply with the given hop limit.
pub fn icmpv6_echo_reply(
    l2: L2,
    src_ip: Ipv6Addr,
    dst_ip: Ipv6Addr,
    hop_limit: u8,
    ident: u16,
    seq_no: u16,
    data: &[u8],
) -> Vec<u8> {
    let icmp = Icmpv6Repr::EchoReply {
        ident,
        seq_no,
        data,
    };
    icmpv6(&l2, src_ip, dst_ip, hop_limit, &icmp)
}

/// An ICMPv6 "hop limit exceeded in transit" (hop limit 255) quoting `data`.
pub fn icmpv6_time_exceeded(l2: L2, src_ip: Ipv6Addr, dst_ip: Ipv6Addr, data: &[u8]) -> Vec<u8> {
    let icmp = Icmpv6Repr::TimeExceeded { code: 0, data };
    icmpv6(&l2, src_ip, dst_ip, MAX_HOP_LIMIT, &icmp)
}

/// A LACPDU from `eth_src` to the Slow Protocols address. FAUCET's replies
/// (`lacp_reqreply`) have actor system priority 65535, actor system = `faucet_dp_mac`, key =
/// the port's `lacp` id, port = `lacp_port_id`, state timeout|aggregation plus
/// synchronization/collecting/distributing as decided, and echo the partner's fields.
pub fn lacp(eth_src: MacAddr, repr: &LacpRepr) -> Vec<u8> {
    let l2 = L2::untagged(eth_src, MacAddr::SLOW_PROTOCOLS);
    frame(&l2, EtherType::SlowProtocols, repr.buffer_len(), |b| {
        repr.emit(&mut LacpPacket::new_unchecked(b));
    })
}

/// An LLDPDU from `eth_src` to the nearest-bridge address.
///
/// # Panics
/// As [`LldpRepr::emit`], for values longer than their TLVs allow.
pub fn lldp(eth_src: MacAddr, repr: &LldpRepr<'_>) -> Vec<u8> {
    let l2 = L2::untagged(eth_src, MacAddr::LLDP_NEAREST_BRIDGE);
    frame(&l2, EtherType::Lldp, repr.buffer_len(), |b| {
        repr.emit(&mut LldpPacket::new_unchecked(b));
    })
}

/// FAUCET's LLDP beacon for one port (`valve_switch_stack` / `valve.py`
/// `_send_lldp_beacon_on_port` → `valve_packet.lldp_beacon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaucetBeacon<'a> {
    /// `faucet_dp_mac`: the Ethernet source, the chassis ID (subtype MAC) and the OUI of
    /// FAUCET's own TLVs.
    pub dp_mac: MacAddr,
    /// The DP id, sent as decimal text in org-specific subtype 1.
    pub dp_id: u64,
    /// The port number, sent as decimal text in the port ID (subtype interface name).
    pub port_no: u32,
    /// Time to live: FAUCET sends min(3 × `lldp_beacon.send_interval`, 65535).
    pub ttl: u16,
    /// System name: the port's `lldp_beacon.system_name`, else the DP's, else the DP name.
    pub system_name: Option<&'a str>,
    /// Port description: the port's `lldp_beacon.port_descr` (default: its description).
    pub port_descr: Option<&'a str>,
    /// The port's configured `lldp_beacon.org_tlvs`, sent before FAUCET's own.
    pub org_tlvs: &'a [OrgTlv<'a>],
    /// On stack ports: the port's stack state, sent as decimal text in org-specific subtype 2.
    pub stack_state: Option<i64>,
}

impl FaucetBeacon<'_> {
    /// The beacon frame (padded to 60 bytes, as os-ken pads it).
    ///
    /// # Panics
    /// If the system name or port description is longer than 255 bytes, or a configured org
    /// TLV's info is longer than 507.
    pub fn frame(&self) -> Vec<u8> {
        let oui = self.dp_mac.oui();
        let dp_id = Decimal::new(self.dp_id);
        let state = self.stack_state.map(Decimal::signed);
        let port = Decimal::new(u64::from(self.port_no));
        let mut org: Vec<OrgTlv<'_>> = self.org_tlvs.to_vec();
        org.push(OrgTlv {
            oui,
            subtype: FAUCET_DP_ID_SUBTYPE,
            info: dp_id.as_bytes(),
        });
        if let Some(state) = &state {
            org.push(OrgTlv {
                oui,
                subtype: FAUCET_STACK_STATE_SUBTYPE,
                info: state.as_bytes(),
            });
        }
        let repr = LldpRepr {
            system_name: self.system_name.map(str::as_bytes),
            port_description: self.port_descr.map(str::as_bytes),
            org_tlvs: OrgTlvList::Slice(&org),
            ..LldpRepr::new(
                ChassisId {
                    subtype: ChassisIdSubtype::MacAddress,
                    id: &self.dp_mac.0,
                },
                PortId {
                    subtype: PortIdSubtype::InterfaceName,
                    id: port.as_bytes(),
                },
                self.ttl,
            )
        };
        lldp(self.dp_mac, &repr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lacp::{LacpInfo, LacpState};
    use crate::lldp::FaucetLldp;
    use crate::meta::{L3Meta, PacketMeta};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const FAUCET: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 1]);
    const HOST: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 2]);

    fn vlan100(dst: MacAddr) -> L2 {
        L2::tagged(FAUCET, dst, VlanId::new(100).unwrap())
    }

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    // Every expected frame below is what FAUCET's own valve_packet.py (faucetsdn/faucet
    // 8c240e76) builds with os-ken 4.2.2 for the same arguments.

    #[test]
    fn arp_frames() {
        assert_eq!(
            arp_request(
                vlan100(MacAddr::BROADCAST),
                v4("10.0.0.254"),
                v4("10.0.0.1")
            ),
            hex(
                "ffffffffffff0e000000000181000064080600010800060400010e00000000010a0000fe0000000000000a0000010000000000000000000000000000"
            )
        );
        assert_eq!(
            arp_reply(vlan100(HOST), v4("10.0.0.254"), v4("10.0.0.1")),
            hex(
                "0e00000000020e000000000181000064080600010800060400020e00000000010a0000fe0e00000000020a0000010000000000000000000000000000"
            )
        );
    }

    #[test]
    fn nd_frames() {
        assert_eq!(
            nd_solicit(vlan100(MacAddr::BROADCAST), v6("fc00::fe"), v6("fc00::1")),
            hex(
                "3333ff0000010e00000000018100006486dd6000000000203afffc0000000000000000000000000000feff0200000000000000000001ff0000018700729c00000000fc00000000000000000000000000000101010e0000000001"
            )
        );
        assert_eq!(
            nd_advert(vlan100(HOST), v6("fc00::fe"), v6("fc00::1")),
            hex(
                "0e00000000020e00000000018100006486dd6000000000203afffc0000000000000000000000000000fefc000000000000000000000000000001880091a2e0000000fc0000000000000000000000000000fe02010e0000000001"
            )
        );
        let prefixes = [
            PrefixInfo::faucet(v6("fc00::"), 64),
            PrefixInfo::faucet(v6("fe80::"), 64),
        ];
        assert_eq!(
            router_advert(
                vlan100(MacAddr::IPV6_ALL_NODES),
                v6("fe80::1"),
                ipv6::ALL_NODES,
                &prefixes
            ),
            hex(
                "3333000000010e00000000018100006486dd6000000000583afffe800000000000000000000000000001ff0200000000000000000000000000018600904f400007080000000000000000030440c0000151800000384000000000fc000000000000000000000000000000030440c0000151800000384000000000fe80000000000000000000000000000001010e0000000001"
            )
        );
        // A unicast refresh goes to the host itself.
        let f = nd_solicit(vlan100(HOST), v6("fc00::fe"), v6("fc00::1"));
        let m = PacketMeta::parse(&f).unwrap();
        assert_eq!(m.eth_dst, HOST);
        assert_eq!(m.l3_dst(), Some(IpAddr::V6(v6("fc00::1"))));
    }

    #[test]
    fn icmp_frames() {
        assert_eq!(
            icmp_echo_reply(
                vlan100(HOST),
                v4("10.0.0.254"),
                v4("10.0.0.1"),
                0x1234,
                1,
                b"abcdefgh"
            ),
            hex(
                "0e00000000020e00000000018100006408004500002400000000ff01a6da0a0000fe0a00000100005c35123400016162636465666768000000000000"
            )
        );
        let quoted: Vec<u8> = (0..28).collect();
        assert_eq!(
            icmp_time_exceeded(vlan100(HOST), v4("10.0.0.254"), v4("10.0.0.1"), &quoted),
            hex(
                "0e00000000020e00000000018100006408004500003800000000ff01a6c60a0000fe0a0000010b003e3b00000000000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
            )
        );
        assert_eq!(
            icmpv6_echo_reply(
                vlan100(HOST),
                v6("fc00::fe"),
                v6("fc00::1"),
                64,
                0x1234,
                1,
                b"abcdefgh"
            ),
            hex(
                "0e00000000020e00000000018100006486dd6000000000103a40fc0000000000000000000000000000fefc0000000000000000000000000000018100e1e9123400016162636465666768"
            )
        );
        let quoted: Vec<u8> = (0..48).collect();
        assert_eq!(
            icmpv6_time_exceeded(vlan100(HOST), v6("fc00::fe"), v6("fc00::1"), &quoted),
            hex(
                "0e00000000020e00000000018100006486dd6000000000383afffc0000000000000000000000000000fefc0000000000000000000000000000010300d94a00000000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
            )
        );
    }

    #[test]
    fn lldp_beacon() {
        let beacon = FaucetBeacon {
            dp_mac: FAUCET,
            dp_id: 1,
            port_no: 3,
            ttl: 15,
            system_name: Some("sw1"),
            port_descr: Some("b3"),
            org_tlvs: &[],
            stack_state: Some(3),
        };
        let frame = beacon.frame();
        assert_eq!(
            frame,
            hex(
                "0180c200000e0e000000000188cc0207040e0000000001040205330602000f0a0373773108026233fe050e00000131fe050e00000233000000000000"
            )
        );
        // And it reads back as FAUCET reads a peer's beacon.
        let m = PacketMeta::parse(&frame).unwrap();
        assert_eq!((m.eth_type, m.l3), (EtherType::Lldp, L3Meta::None));
        let lldp = LldpRepr::parse(&LldpPacket::new_unchecked(&frame[m.l3_offset..])).unwrap();
        assert_eq!(
            lldp.faucet(FAUCET),
            Some(FaucetLldp {
                dp_id: Some(1),
                dp_name: Some("sw1"),
                port: Some(3),
                stack_state: Some(3),
            })
        );
        // Configured org TLVs come first; no stack state on a non-stack port.
        let extra = [OrgTlv {
            oui: [0x12, 0x34, 0x56],
            subtype: 9,
            info: b"x",
        }];
        let frame = FaucetBeacon {
            org_tlvs: &extra,
            stack_state: None,
            dp_id: 0x0123_4567_89ab,
            ..beacon
        }
        .frame();
        let lldp = LldpRepr::parse(&LldpPacket::new_unchecked(&frame[14..])).unwrap();
        let org: Vec<_> = lldp.org_tlvs.iter().collect();
        assert_eq!(org.len(), 2);
        assert_eq!(org[0], extra[0]);
        assert_eq!(org[1].info, b"1250999896491");
        assert_eq!(lldp.faucet(FAUCET).and_then(|f| f.stack_state), None);
    }

    #[test]
    fn lacp_reply() {
        use LacpState as S;
        let repr = LacpRepr {
            actor: LacpInfo {
                system_priority: 65535,
                system: FAUCET,
                key: 1,
                port_priority: 255,
                port: 1,
                state: S::TIMEOUT
                    | S::AGGREGATION
                    | S::SYNCHRONIZATION
                    | S::COLLECTING
                    | S::DISTRIBUTING,
            },
            partner: LacpInfo {
                system_priority: 32768,
                system: MacAddr([0x0e, 0, 0, 0, 0, 0x99]),
                key: 5,
                port_priority: 255,
                port: 7,
                state: S(0x3f),
            },
            collector_max_delay: 0,
        };
        let mut want = hex(
            "0180c20000020e0000000001880901010114ffff0e0000000001000100ff00013e000000021480000e0000000099000500ff00073f00000003100000",
        );
        want.resize(124, 0);
        assert_eq!(lacp(FAUCET, &repr), want);
    }

    #[test]
    fn udp_frames() {
        let f = ipv4_udp(
            L2::untagged(HOST, FAUCET),
            (v4("10.0.0.1"), 1234),
            (v4("10.0.0.2"), 53),
            b"q",
        );
        assert_eq!(f.len(), 60);
        let m = PacketMeta::parse(&f).unwrap();
        assert_eq!(m.l3_src(), Some(IpAddr::V4(v4("10.0.0.1"))));
        let ip = Ipv4Packet::new_checked(&f[14..]).unwrap();
        let udp = UdpPacket::new_checked(ip.payload()).unwrap();
        assert!(udp.verify_checksum(&IpAddr::V4(ip.src_addr()), &IpAddr::V4(ip.dst_addr())));
        // scapy 2.8.0's bytes for the same IPv6 datagram.
        let f = ipv6_udp(
            L2::untagged(HOST, FAUCET),
            (v6("fc00::1"), 546),
            (v6("fc00::2"), 547),
            b"dhcp6",
        );
        assert_eq!(
            f[14..],
            hex(
                "60000000000d1140fc000000000000000000000000000001fc00000000000000000000000000000202220223000d05b26468637036"
            )
        );
    }
}
