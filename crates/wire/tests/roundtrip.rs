//! Property tests: every `Repr` survives emit → parse unchanged, the frame builders produce
//! what `PacketMeta` reads back, and no parser panics on any bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sluice_wire::arp::ArpOperation;
use sluice_wire::build::{self, FaucetBeacon, L2};
use sluice_wire::icmpv4::Icmpv4Message;
use sluice_wire::icmpv6::Icmpv6Message;
use sluice_wire::lacp::{LacpInfo, LacpState};
use sluice_wire::lldp::{
    Capabilities, ChassisId, FaucetLldp, LldpTlvs, OrgTlv, OrgTlvList, PortId,
};
use sluice_wire::meta::{L3Meta, L4Meta};
use sluice_wire::ndisc::{
    NdiscOptions, NeighborFlags, PrefixInfo, PrefixInfoFlags, PrefixList, RouterFlags,
};
use sluice_wire::tcp::TcpFlags;
use sluice_wire::*;

fn mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn v4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn v6() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

fn ip_pair() -> impl Strategy<Value = (IpAddr, IpAddr)> {
    prop_oneof![
        (v4(), v4()).prop_map(|(a, b)| (IpAddr::V4(a), IpAddr::V4(b))),
        (v6(), v6()).prop_map(|(a, b)| (IpAddr::V6(a), IpAddr::V6(b))),
    ]
}

fn vid() -> impl Strategy<Value = VlanId> {
    (0u16..=4095).prop_map(|v| VlanId::new(v).expect("12 bits"))
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn prefix() -> impl Strategy<Value = PrefixInfo> {
    (any::<u8>(), any::<u8>(), any::<u32>(), any::<u32>(), v6()).prop_map(
        |(prefix_len, flags, valid_lifetime, preferred_lifetime, prefix)| PrefixInfo {
            prefix_len,
            flags: PrefixInfoFlags(flags),
            valid_lifetime,
            preferred_lifetime,
            prefix,
        },
    )
}

/// Emits `repr` into a fresh buffer of its `buffer_len` and parses it back.
macro_rules! round_trip {
    ($repr:expr, $packet:ident, $parse:expr) => {{
        let repr = $repr;
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(&mut $packet::new_unchecked(&mut buf[..]));
        let back = $parse(&$packet::new_checked(&buf[..]).expect("check_len"));
        prop_assert_eq!(back, Ok(repr));
    }};
}

proptest! {
    #[test]
    fn ethernet_vlan_arp(src in mac(), dst in mac(), ty in any::<u16>(), v in vid(), pcp in 0u8..8,
                         dei in any::<bool>(), op in any::<u16>(), spa in v4(), tpa in v4(), tha in mac()) {
        round_trip!(EthernetRepr { src_addr: src, dst_addr: dst, ethertype: ty.into() },
            EthernetFrame, EthernetRepr::parse);
        round_trip!(VlanRepr { pcp, dei, vid: v, ethertype: ty.into() }, VlanPacket, VlanRepr::parse);
        round_trip!(ArpRepr { operation: ArpOperation::from(op), source_hardware_addr: src,
            source_protocol_addr: spa, target_hardware_addr: tha, target_protocol_addr: tpa },
            ArpPacket, ArpRepr::parse);
    }

    #[test]
    fn ip_headers(src in v4(), dst in v4(), proto in any::<u8>(), len in 0usize..1500, ttl in any::<u8>(),
                  src6 in v6(), dst6 in v6()) {
        let repr = Ipv4Repr { src_addr: src, dst_addr: dst, next_header: proto.into(), payload_len: len, hop_limit: ttl };
        let mut buf = vec![0xa5u8; repr.buffer_len() + len];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        prop_assert_eq!(Ipv4Repr::parse(&Ipv4Packet::new_checked(&buf[..]).expect("fits")), Ok(repr));

        let repr = Ipv6Repr { src_addr: src6, dst_addr: dst6, next_header: proto.into(), payload_len: len, hop_limit: ttl };
        let mut buf = vec![0xa5u8; repr.buffer_len() + len];
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        prop_assert_eq!(Ipv6Repr::parse(&Ipv6Packet::new_checked(&buf[..]).expect("fits")), Ok(repr));
    }

    #[test]
    fn icmpv4(kind in 0u8..5, ident in any::<u16>(), seq_no in any::<u16>(), code in any::<u8>(),
              other_type in any::<u8>().prop_filter("handled types", |t| ![0, 3, 8, 11].contains(t)),
              rest in any::<u32>(), data in bytes(64)) {
        let repr = match kind {
            0 => Icmpv4Repr::EchoRequest { ident, seq_no, data: &data },
            1 => Icmpv4Repr::EchoReply { ident, seq_no, data: &data },
            2 => Icmpv4Repr::DstUnreachable { code, data: &data },
            3 => Icmpv4Repr::TimeExceeded { code, data: &data },
            _ => Icmpv4Repr::Other { msg_type: Icmpv4Message::from(other_type), code, rest_of_header: rest, data: &data },
        };
        round_trip!(repr, Icmpv4Packet, Icmpv4Repr::parse);
    }

    #[test]
    fn icmpv6_and_ndisc(kind in 0u8..12, src in v6(), dst in v6(), target in v6(), dest in v6(),
                        ident in any::<u16>(), seq_no in any::<u16>(), code in any::<u8>(), word in any::<u32>(),
                        lladdr in option::of(mac()), mtu in option::of(any::<u32>()),
                        flags in any::<u8>(), hop in any::<u8>(), life in any::<u16>(), t1 in any::<u32>(), t2 in any::<u32>(),
                        prefixes in vec(prefix(), 0..4),
                        other_type in prop_oneof![130u8..=132, 138u8..=255],
                        data in bytes(64)) {
        let repr = match kind {
            0 => Icmpv6Repr::EchoRequest { ident, seq_no, data: &data },
            1 => Icmpv6Repr::EchoReply { ident, seq_no, data: &data },
            2 => Icmpv6Repr::DstUnreachable { code, data: &data },
            3 => Icmpv6Repr::PktTooBig { mtu: word, data: &data },
            4 => Icmpv6Repr::TimeExceeded { code, data: &data },
            5 => Icmpv6Repr::ParamProblem { code, pointer: word, data: &data },
            6 => Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { lladdr }),
            7 => Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert { hop_limit: hop, flags: RouterFlags(flags),
                router_lifetime: life, reachable_time: t1, retrans_time: t2, lladdr, mtu,
                prefixes: PrefixList::Slice(&prefixes) }),
            8 => Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target_addr: target, lladdr }),
            9 => Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { flags: NeighborFlags(flags & 0xe0), target_addr: target, lladdr }),
            10 => Icmpv6Repr::Ndisc(NdiscRepr::Redirect { target_addr: target, dest_addr: dest, lladdr }),
            _ => Icmpv6Repr::Other { msg_type: Icmpv6Message::from(other_type), code, body: &data },
        };
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(&src, &dst, &mut Icmpv6Packet::new_unchecked(&mut buf[..]));
        let p = Icmpv6Packet::new_checked(&buf[..]).expect("check_len");
        prop_assert_eq!(Icmpv6Repr::parse(&p, &src, &dst), Ok(repr));
    }

    #[test]
    fn udp_tcp((src, dst) in ip_pair(), sport in any::<u16>(), dport in any::<u16>(), seq in any::<u32>(),
               ack in any::<u32>(), flags in 0u16..0x200, win in any::<u16>(), payload in bytes(100)) {
        let repr = UdpRepr { src_port: sport, dst_port: dport, payload: &payload };
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(&src, &dst, &mut UdpPacket::new_unchecked(&mut buf[..]));
        prop_assert_eq!(UdpRepr::parse(&UdpPacket::new_checked(&buf[..]).expect("fits"), &src, &dst), Ok(repr));

        let repr = TcpRepr { src_port: sport, dst_port: dport, seq_number: seq, ack_number: ack,
            flags: TcpFlags(flags), window_len: win, payload: &payload };
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(&src, &dst, &mut TcpPacket::new_unchecked(&mut buf[..]));
        prop_assert_eq!(TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).expect("fits"), &src, &dst), Ok(repr));
    }

    #[test]
    fn lldp(csub in any::<u8>(), cid in vec(any::<u8>(), 1..=255), psub in any::<u8>(), pid in vec(any::<u8>(), 1..=255),
            ttl in any::<u16>(), name in option::of(bytes(255)), descr in option::of(bytes(255)),
            sysdescr in option::of(bytes(255)), caps in option::of(any::<(u16, u16)>()),
            orgs in vec((any::<[u8; 3]>(), any::<u8>(), bytes(40)), 0..5)) {
        let org: Vec<OrgTlv<'_>> = orgs.iter().map(|(oui, subtype, info)| OrgTlv { oui: *oui, subtype: *subtype, info }).collect();
        let repr = LldpRepr {
            port_description: descr.as_deref(),
            system_name: name.as_deref(),
            system_description: sysdescr.as_deref(),
            capabilities: caps.map(|(system, enabled)| Capabilities { system, enabled }),
            org_tlvs: OrgTlvList::Slice(&org),
            ..LldpRepr::new(ChassisId { subtype: csub.into(), id: &cid }, PortId { subtype: psub.into(), id: &pid }, ttl)
        };
        round_trip!(repr, LldpPacket, LldpRepr::parse);
    }

    #[test]
    fn lacp(a in any::<(u16, [u8; 6], u16, u16, u16, u8)>(), p in any::<(u16, [u8; 6], u16, u16, u16, u8)>(), delay in any::<u16>()) {
        let info = |(system_priority, system, key, port_priority, port, state): (u16, [u8; 6], u16, u16, u16, u8)| LacpInfo {
            system_priority, system: MacAddr(system), key, port_priority, port, state: LacpState(state),
        };
        round_trip!(LacpRepr { actor: info(a), partner: info(p), collector_max_delay: delay }, LacpPacket, LacpRepr::parse);
    }

    #[test]
    fn faucet_beacon_reads_back(dp_mac in mac(), dp_id in any::<u64>(), port_no in any::<u32>(), ttl in any::<u16>(),
                                name in option::of("[a-z0-9-]{1,40}"), state in option::of(any::<i64>())) {
        let frame = FaucetBeacon { dp_mac, dp_id, port_no, ttl, system_name: name.as_deref(), port_descr: None,
            org_tlvs: &[], stack_state: state }.frame();
        let meta = PacketMeta::parse(&frame).expect("ethernet");
        prop_assert_eq!(meta.eth_type, EtherType::Lldp);
        let repr = LldpRepr::parse(&LldpPacket::new_checked(&frame[meta.l3_offset..]).expect("tlvs")).expect("lldp");
        prop_assert_eq!(repr.ttl, ttl);
        prop_assert_eq!(repr.faucet(dp_mac), Some(FaucetLldp { dp_id: Some(dp_id), dp_name: name.as_deref(),
            port: Some(port_no), stack_state: state }));
    }

    #[test]
    fn builders_read_back_by_packet_meta(src in mac(), dst in mac(), v in option::of(vid()), a in v4(), b in v4(),
                                         a6 in v6(), b6 in v6(), sport in any::<u16>(), dport in any::<u16>()) {
        let l2 = L2 { eth_src: src, eth_dst: dst, vid: v };
        let m = PacketMeta::parse(&build::arp_reply(l2, a, b)).expect("ethernet");
        prop_assert_eq!((m.eth_src, m.eth_dst, m.vid()), (src, dst, v));
        prop_assert_eq!(m.arp().map(|x| (x.op, x.sha, x.spa, x.tha, x.tpa)), Some((ArpOperation::Reply, src, a, dst, b)));

        let m = PacketMeta::parse(&build::ipv4_udp(l2, (a, sport), (b, dport), b"x")).expect("ethernet");
        let L3Meta::Ipv4(ip) = m.l3 else { return Err(TestCaseError::fail(format!("{m}"))) };
        prop_assert_eq!((ip.src, ip.dst, ip.l4), (a, b, L4Meta::Udp { src_port: sport, dst_port: dport }));

        let m = PacketMeta::parse(&build::nd_advert(l2, a6, b6)).expect("ethernet");
        let nd = m.icmpv6().expect("icmpv6");
        prop_assert_eq!((nd.msg_type, nd.nd_target, nd.nd_lladdr), (Icmpv6Message::NeighborAdvert, Some(a6), Some(src)));
        prop_assert_eq!(m.l3_src(), Some(IpAddr::V6(a6)));
    }

    #[test]
    fn nothing_panics_on_random_bytes(data in bytes(300)) {
        parse_everything(&data);
    }

    #[test]
    fn nothing_panics_after_a_valid_header(tags in 0usize..3, ty in prop_oneof![
            Just(0x0800u16), Just(0x86dd), Just(0x0806), Just(0x88cc), Just(0x8809), any::<u16>()],
            proto in prop_oneof![Just(6u8), Just(17), Just(1), Just(58), Just(0), Just(44), Just(43), Just(60), Just(51)],
            icmp_type in prop_oneof![133u8..=137, any::<u8>()], mut rest in bytes(200)) {
        // Make the random bytes look like the announced headers often enough to go deep.
        let mut frame = vec![0x0e, 0, 0, 0, 0, 1, 0x0e, 0, 0, 0, 0, 2];
        for _ in 0..tags {
            frame.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
        }
        frame.extend_from_slice(&ty.to_be_bytes());
        if ty == 0x0800 && rest.len() > 20 {
            rest[0] = 0x45;
            rest[9] = proto;
            rest[6] &= 0x20;
            rest[7] = 0;
            if rest.len() > 20 { rest[20] = icmp_type; }
        } else if ty == 0x86dd && rest.len() > 40 {
            rest[0] = 0x60;
            rest[6] = proto;
            rest[40] = if proto == 58 { icmp_type } else { rest[40] };
        }
        frame.extend_from_slice(&rest);
        parse_everything(&frame);
        let m = PacketMeta::parse(&frame).expect("header is there");
        prop_assert_eq!(m.vlans.len(), tags.min(2));
    }
}

/// Runs every parser over `data` as if it were each format, printing what parses; emits
/// what parses and checks it parses back the same.
fn parse_everything(data: &[u8]) {
    if let Ok(m) = PacketMeta::parse(data) {
        let _ = m.to_string();
    }
    let _ = EthernetFrame::new_unchecked(data).to_string();
    let _ = VlanPacket::new_unchecked(data).to_string();
    let _ = ArpPacket::new_unchecked(data).to_string();
    let _ = Ipv4Packet::new_unchecked(data).to_string();
    let _ = Ipv6Packet::new_unchecked(data).to_string();
    let _ = Icmpv4Packet::new_unchecked(data).to_string();
    let _ = Icmpv6Packet::new_unchecked(data).to_string();
    let _ = UdpPacket::new_unchecked(data).to_string();
    let _ = TcpPacket::new_unchecked(data).to_string();
    let _ = LldpPacket::new_unchecked(data).to_string();
    let _ = LacpPacket::new_unchecked(data).to_string();
    for opt in NdiscOptions::new(data) {
        let _ = opt;
    }
    for tlv in LldpTlvs::new(data) {
        let _ = tlv;
    }
    let (s, d) = (
        "fe80::1".parse::<Ipv6Addr>().expect("valid"),
        "ff02::1".parse::<Ipv6Addr>().expect("valid"),
    );
    if let Ok(p) = Icmpv6Packet::new_checked(data) {
        // Checksum aside, the message body must parse the same way it would with a right one.
        let mut fixed = data.to_vec();
        Icmpv6Packet::new_unchecked(&mut fixed[..]).fill_checksum(&s, &d);
        if let Ok(repr) = Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&fixed[..]), &s, &d) {
            let mut again = vec![0; repr.buffer_len()];
            repr.emit(&s, &d, &mut Icmpv6Packet::new_unchecked(&mut again[..]));
            assert_eq!(
                Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&again[..]), &s, &d),
                Ok(repr)
            );
        }
        let _ = p.to_string();
    }
    if let Ok(repr) = LldpRepr::parse(&LldpPacket::new_unchecked(data)) {
        let _ = repr.faucet(MacAddr([0x0e, 0, 0, 0, 0, 1]));
        let mut again = vec![0; repr.buffer_len()];
        repr.emit(&mut LldpPacket::new_unchecked(&mut again[..]));
        assert_eq!(
            LldpRepr::parse(&LldpPacket::new_unchecked(&again[..])),
            Ok(repr)
        );
    }
}
