//! Feeds arbitrary bytes to every packet parser of `sluice-wire`, as packet-ins would: the
//! one-pass `PacketMeta` summary and each format's `Packet` view and `Repr`. Nothing may
//! panic; whatever parses must print, and must come back unchanged from emit → parse.
#![no_main]

use std::net::{IpAddr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use sluice_wire::ndisc::NdiscOptions;
use sluice_wire::*;

/// Emits `$repr` into a buffer of its `buffer_len` and checks it parses back equal.
macro_rules! again {
    ($repr:expr, $packet:ident, $parse:expr) => {{
        let repr = $repr;
        let _ = repr.to_string();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut $packet::new_unchecked(&mut buf[..]));
        assert_eq!($parse(&$packet::new_unchecked(&buf[..])), Ok(repr));
    }};
}

fuzz_target!(|data: &[u8]| {
    // The hot-path summary of the whole frame.
    if let Ok(meta) = PacketMeta::parse(data) {
        let _ = meta.to_string();
        let _ = (meta.l3_src(), meta.l3_dst(), meta.vid(), meta.icmpv6());
        // Each layer's own parser agrees on what is there.
        if let Some(payload) = data.get(meta.l3_offset..) {
            parse_l3(meta.eth_type, payload);
        }
    }
    // And the bytes as each format on its own.
    if let Ok(frame) = EthernetFrame::new_checked(data) {
        let _ = frame.to_string();
        again!(
            EthernetRepr::parse(&frame).expect("checked"),
            EthernetFrame,
            EthernetRepr::parse
        );
    }
    if let Ok(p) = VlanPacket::new_checked(data) {
        again!(
            VlanRepr::parse(&p).expect("checked"),
            VlanPacket,
            VlanRepr::parse
        );
    }
    for ty in [
        EtherType::Arp,
        EtherType::Ipv4,
        EtherType::Ipv6,
        EtherType::Lldp,
        EtherType::SlowProtocols,
    ] {
        parse_l3(ty, data);
    }
    let (s, d) = (
        IpAddr::V4([10, 0, 0, 1].into()),
        IpAddr::V4([10, 0, 0, 2].into()),
    );
    parse_l4(data, s, d);
    for opt in NdiscOptions::new(data) {
        let _ = opt;
    }
});

fn parse_l3(ty: EtherType, data: &[u8]) {
    match ty {
        EtherType::Arp => {
            let _ = ArpPacket::new_unchecked(data).to_string();
            if let Ok(repr) = ArpRepr::parse(&ArpPacket::new_unchecked(data)) {
                again!(repr, ArpPacket, ArpRepr::parse);
            }
        }
        EtherType::Ipv4 => {
            let p = Ipv4Packet::new_unchecked(data);
            let _ = p.to_string();
            if let Ok(repr) = Ipv4Repr::parse(&p) {
                let mut buf = vec![0u8; repr.buffer_len() + repr.payload_len];
                repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
                assert_eq!(
                    Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&buf[..])),
                    Ok(repr)
                );
                let p = Ipv4Packet::new_unchecked(data);
                let (s, d) = (IpAddr::V4(repr.src_addr), IpAddr::V4(repr.dst_addr));
                if repr.next_header == IpProtocol::Icmp {
                    let icmp = Icmpv4Packet::new_unchecked(p.payload());
                    let _ = icmp.to_string();
                    if let Ok(r) = Icmpv4Repr::parse(&icmp) {
                        again!(r, Icmpv4Packet, Icmpv4Repr::parse);
                    }
                } else {
                    parse_l4(p.payload(), s, d);
                }
            }
        }
        EtherType::Ipv6 => {
            let p = Ipv6Packet::new_unchecked(data);
            let _ = p.to_string();
            if let Ok(repr) = Ipv6Repr::parse(&p) {
                let mut buf = vec![0u8; repr.buffer_len() + repr.payload_len];
                repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
                assert_eq!(
                    Ipv6Repr::parse(&Ipv6Packet::new_unchecked(&buf[..])),
                    Ok(repr)
                );
                let payload = Ipv6Packet::new_unchecked(data).payload();
                parse_icmpv6(payload, &repr.src_addr, &repr.dst_addr);
                parse_l4(
                    payload,
                    IpAddr::V6(repr.src_addr),
                    IpAddr::V6(repr.dst_addr),
                );
            }
        }
        EtherType::Lldp => {
            let p = LldpPacket::new_unchecked(data);
            let _ = p.to_string();
            for tlv in p.tlvs() {
                let _ = tlv;
            }
            if let Ok(repr) = LldpRepr::parse(&p) {
                let _ = repr.faucet(MacAddr([0x0e, 0, 0, 0, 0, 1]));
                again!(repr, LldpPacket, LldpRepr::parse);
            }
        }
        EtherType::SlowProtocols => {
            let p = LacpPacket::new_unchecked(data);
            let _ = p.to_string();
            if let Ok(repr) = LacpRepr::parse(&p) {
                again!(repr, LacpPacket, LacpRepr::parse);
            }
        }
        _ => {}
    }
}

fn parse_icmpv6(data: &[u8], src: &Ipv6Addr, dst: &Ipv6Addr) {
    let p = Icmpv6Packet::new_unchecked(data);
    let _ = p.to_string();
    // Fix the checksum so the body's parser is reached whatever the fuzzer wrote.
    let mut fixed = data.to_vec();
    if Icmpv6Packet::new_checked(&fixed[..]).is_ok() {
        Icmpv6Packet::new_unchecked(&mut fixed[..]).fill_checksum(src, dst);
    }
    if let Ok(repr) = Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&fixed[..]), src, dst) {
        let _ = repr.to_string();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(src, dst, &mut Icmpv6Packet::new_unchecked(&mut buf[..]));
        assert_eq!(
            Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&buf[..]), src, dst),
            Ok(repr)
        );
    }
}

fn parse_l4(data: &[u8], src: IpAddr, dst: IpAddr) {
    let udp = UdpPacket::new_unchecked(data);
    let _ = udp.to_string();
    if let Ok(repr) = UdpRepr::parse(&udp, &src, &dst) {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&src, &dst, &mut UdpPacket::new_unchecked(&mut buf[..]));
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_unchecked(&buf[..]), &src, &dst),
            Ok(repr)
        );
    }
    let tcp = TcpPacket::new_unchecked(data);
    let _ = tcp.to_string();
    if let Ok(repr) = TcpRepr::parse(&tcp, &src, &dst) {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&src, &dst, &mut TcpPacket::new_unchecked(&mut buf[..]));
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_unchecked(&buf[..]), &src, &dst),
            Ok(repr)
        );
    }
}
