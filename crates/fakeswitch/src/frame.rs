//! Packets to and from Ethernet frames, so PACKET_OUT data can be traced and packet-ins carry
//! real bytes for the controller to parse.
//!
//! ```text
//! Ethernet: | dst (48) | src (48) | [ tpid (16) | pcp (3) dei (1) vid (12) ]* | type (16) |
//! ARP:      | htype=1 | ptype=0x0800 | hlen=6 | plen=4 | op | sha | spa | tha | tpa |
//! IPv4:     | 0x45 | tos | len | id | flags/frag | ttl | proto | csum | src | dst |   (no options)
//! IPv6:     | 6 | tc | flow label | payload len | next header | hop limit | src | dst |
//! TCP (20 bytes, no options), UDP (8), SCTP common header (12), ICMP/ICMPv6 (type, code,
//! csum, 4 bytes; neighbour discovery adds the target and one link-layer address option),
//! MPLS (one label stack entry).
//! ```
//!
//! The writer fills in lengths and checksums; the reader is lenient like a switch's flow
//! extraction: it reads as far as the frame allows and leaves the rest of the fields zero.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use sluice_ofp::PortNo;
use sluice_wire::MacAddr;

use crate::packet::{
    ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MC, ETH_TYPE_QINQ,
    ETH_TYPE_VLAN, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
    ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, Packet, VlanTag,
};

/// Ones'-complement sum of 16-bit words, folded, not inverted.
fn sum16(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

fn checksum(data: &[u8], acc: u32) -> u16 {
    !(sum16(data, acc) as u16)
}

impl Packet {
    /// The packet as an Ethernet frame (without FCS), with lengths and checksums filled in.
    pub fn to_frame(&self) -> Vec<u8> {
        let mut f = Vec::with_capacity(64 + self.payload.len());
        f.extend_from_slice(&self.eth_dst.0);
        f.extend_from_slice(&self.eth_src.0);
        for t in &self.vlans {
            f.extend_from_slice(&t.tpid.to_be_bytes());
            let tci = (u16::from(t.pcp & 7) << 13) | (t.vid & 0x0fff);
            f.extend_from_slice(&tci.to_be_bytes());
        }
        f.extend_from_slice(&self.eth_type.to_be_bytes());
        match self.eth_type {
            ETH_TYPE_ARP => {
                f.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
                f.extend_from_slice(&self.arp_op.to_be_bytes());
                f.extend_from_slice(&self.arp_sha.0);
                f.extend_from_slice(&self.arp_spa.octets());
                f.extend_from_slice(&self.arp_tha.0);
                f.extend_from_slice(&self.arp_tpa.octets());
                f.extend_from_slice(&self.payload);
            }
            ETH_TYPE_IPV4 => {
                let l4 = self.l4_bytes();
                let start = f.len();
                let total = (20 + l4.len()) as u16;
                f.push(0x45);
                f.push((self.ip_dscp << 2) | (self.ip_ecn & 3));
                f.extend_from_slice(&total.to_be_bytes());
                f.extend_from_slice(&[0, 0, 0x40, 0]);
                f.push(self.ip_ttl);
                f.push(self.ip_proto);
                f.extend_from_slice(&[0, 0]);
                f.extend_from_slice(&self.ipv4_src.octets());
                f.extend_from_slice(&self.ipv4_dst.octets());
                let c = checksum(&f[start..], 0);
                f[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
                f.extend_from_slice(&l4);
            }
            ETH_TYPE_IPV6 => {
                let l4 = self.l4_bytes();
                let tc = u32::from((self.ip_dscp << 2) | (self.ip_ecn & 3));
                let first = (6u32 << 28) | (tc << 20) | (self.ipv6_flabel & 0xf_ffff);
                f.extend_from_slice(&first.to_be_bytes());
                f.extend_from_slice(&(l4.len() as u16).to_be_bytes());
                f.push(self.ip_proto);
                f.push(self.ip_ttl);
                f.extend_from_slice(&self.ipv6_src.octets());
                f.extend_from_slice(&self.ipv6_dst.octets());
                f.extend_from_slice(&l4);
            }
            ETH_TYPE_MPLS | ETH_TYPE_MPLS_MC => {
                let lse = ((self.mpls_label & 0xf_ffff) << 12)
                    | (u32::from(self.mpls_tc & 7) << 9)
                    | (u32::from(self.mpls_bos & 1) << 8)
                    | u32::from(self.ip_ttl);
                f.extend_from_slice(&lse.to_be_bytes());
                f.extend_from_slice(&self.payload);
            }
            _ => f.extend_from_slice(&self.payload),
        }
        // Pad to the Ethernet minimum (60 bytes without FCS), as a NIC would.
        if f.len() < 60 {
            f.resize(60, 0);
        }
        f
    }

    /// The IP payload: transport header, then `payload`, with the checksum filled in.
    fn l4_bytes(&self) -> Vec<u8> {
        let mut l4 = Vec::with_capacity(40 + self.payload.len());
        let csum_at = match self.ip_proto {
            IPPROTO_TCP => {
                l4.extend_from_slice(&self.l4_src.to_be_bytes());
                l4.extend_from_slice(&self.l4_dst.to_be_bytes());
                l4.extend_from_slice(&[0; 8]); // seq, ack
                l4.extend_from_slice(&[0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]); // SYN
                Some(16)
            }
            IPPROTO_UDP => {
                let len = (8 + self.payload.len()) as u16;
                l4.extend_from_slice(&self.l4_src.to_be_bytes());
                l4.extend_from_slice(&self.l4_dst.to_be_bytes());
                l4.extend_from_slice(&len.to_be_bytes());
                l4.extend_from_slice(&[0, 0]);
                Some(6)
            }
            IPPROTO_SCTP => {
                // The SCTP checksum is a CRC32c; receivers of these test frames do not check
                // it, so it stays zero.
                l4.extend_from_slice(&self.l4_src.to_be_bytes());
                l4.extend_from_slice(&self.l4_dst.to_be_bytes());
                l4.extend_from_slice(&[0; 8]);
                None
            }
            IPPROTO_ICMP | IPPROTO_ICMPV6 => {
                l4.push(self.icmp_type);
                l4.push(self.icmp_code);
                l4.extend_from_slice(&[0, 0]);
                let nd = self.ip_proto == IPPROTO_ICMPV6
                    && matches!(self.icmp_type, ND_NEIGHBOR_SOLICIT | ND_NEIGHBOR_ADVERT);
                if nd {
                    let flags: u32 = if self.icmp_type == ND_NEIGHBOR_ADVERT {
                        0x6000_0000 // solicited, override
                    } else {
                        0
                    };
                    l4.extend_from_slice(&flags.to_be_bytes());
                    l4.extend_from_slice(&self.nd_target.octets());
                    let opt = if self.icmp_type == ND_NEIGHBOR_SOLICIT {
                        self.nd_sll.map(|m| (1u8, m))
                    } else {
                        self.nd_tll.map(|m| (2u8, m))
                    };
                    if let Some((t, m)) = opt {
                        l4.extend_from_slice(&[t, 1]);
                        l4.extend_from_slice(&m.0);
                    }
                } else {
                    l4.extend_from_slice(&[0; 4]);
                }
                Some(2)
            }
            _ => None,
        };
        l4.extend_from_slice(&self.payload);
        if let Some(at) = csum_at {
            let pseudo = if self.ip_proto == IPPROTO_ICMP {
                0
            } else {
                self.pseudo_header_sum(l4.len())
            };
            let c = checksum(&l4, pseudo);
            // A UDP checksum of zero means "none"; send all ones instead.
            let c = if c == 0 && self.ip_proto == IPPROTO_UDP {
                0xffff
            } else {
                c
            };
            l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
        l4
    }

    fn pseudo_header_sum(&self, len: usize) -> u32 {
        let mut p = Vec::with_capacity(40);
        if self.eth_type == ETH_TYPE_IPV4 {
            p.extend_from_slice(&self.ipv4_src.octets());
            p.extend_from_slice(&self.ipv4_dst.octets());
            p.extend_from_slice(&[0, self.ip_proto]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            p.extend_from_slice(&self.ipv6_src.octets());
            p.extend_from_slice(&self.ipv6_dst.octets());
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, self.ip_proto]);
        }
        sum16(&p, 0)
    }

    /// Reads a frame that arrived on `in_port`. Never fails: like a switch's flow
    /// extraction, it reads the headers the frame has room for and leaves the other fields
    /// zero; whatever follows the last header it understands becomes the payload.
    pub fn from_frame(in_port: impl Into<PortNo>, frame: &[u8]) -> Packet {
        Packet::from_frame_with_vlan_limit(in_port, frame, usize::MAX)
    }

    /// Reads a frame as a switch that parses at most `vlan_limit` VLAN tags does (Open
    /// vSwitch's `other_config:vlan-limit`, 1 by default): the tag after the last one read
    /// is not a tag but the ethertype (its TPID), and everything from its TCI on is payload,
    /// so no field behind it (IP, ARP...) can be matched. [`Packet::to_frame`] gives the same
    /// bytes back.
    pub fn from_frame_with_vlan_limit(
        in_port: impl Into<PortNo>,
        frame: &[u8],
        vlan_limit: usize,
    ) -> Packet {
        let mut p = Packet::new(in_port);
        let mut r = Cursor { b: frame };
        let (Some(dst), Some(src)) = (r.mac(), r.mac()) else {
            return p;
        };
        p.eth_dst = dst;
        p.eth_src = src;
        let Some(mut eth_type) = r.u16() else {
            return p;
        };
        while matches!(eth_type, ETH_TYPE_VLAN | ETH_TYPE_QINQ) && p.vlans.len() < vlan_limit {
            let Some(tci) = r.u16() else {
                p.eth_type = eth_type;
                return p;
            };
            p.vlans.push(VlanTag {
                tpid: eth_type,
                vid: tci & 0x0fff,
                pcp: (tci >> 13) as u8,
            });
            match r.u16() {
                Some(t) => eth_type = t,
                None => return p,
            }
        }
        p.eth_type = eth_type;
        match eth_type {
            ETH_TYPE_ARP => {
                if let Some(h) = r.take(8)
                    && h[..6] == [0, 1, 0x08, 0x00, 6, 4]
                    && let (Some(sha), Some(spa), Some(tha), Some(tpa)) =
                        (r.mac(), r.ipv4(), r.mac(), r.ipv4())
                {
                    p.arp_op = u16::from_be_bytes([h[6], h[7]]);
                    p.arp_sha = sha;
                    p.arp_spa = spa;
                    p.arp_tha = tha;
                    p.arp_tpa = tpa;
                }
            }
            ETH_TYPE_IPV4 => {
                if let Some(h) = r.take(20) {
                    let ihl = usize::from(h[0] & 0x0f) * 4;
                    p.ip_dscp = h[1] >> 2;
                    p.ip_ecn = h[1] & 3;
                    p.ip_ttl = h[8];
                    p.ip_proto = h[9];
                    p.ipv4_src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
                    p.ipv4_dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
                    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
                    let _ = r.take(ihl.saturating_sub(20));
                    // Ethernet padding is not part of the IP packet.
                    r.limit(total.saturating_sub(ihl.max(20)));
                    p.read_l4(&mut r);
                }
            }
            ETH_TYPE_IPV6 => {
                if let Some(h) = r.take(40) {
                    let first = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
                    let tc = ((first >> 20) & 0xff) as u8;
                    p.ip_dscp = tc >> 2;
                    p.ip_ecn = tc & 3;
                    p.ipv6_flabel = first & 0xf_ffff;
                    p.ip_proto = h[6];
                    p.ip_ttl = h[7];
                    p.ipv6_src = ipv6(&h[8..24]);
                    p.ipv6_dst = ipv6(&h[24..40]);
                    r.limit(usize::from(u16::from_be_bytes([h[4], h[5]])));
                    p.read_l4(&mut r);
                }
            }
            ETH_TYPE_MPLS | ETH_TYPE_MPLS_MC => {
                if let Some(lse) = r.u32() {
                    p.mpls_label = lse >> 12;
                    p.mpls_tc = ((lse >> 9) & 7) as u8;
                    p.mpls_bos = ((lse >> 8) & 1) as u8;
                    p.ip_ttl = lse as u8;
                }
            }
            _ => {}
        }
        p.payload = Bytes::copy_from_slice(r.b);
        p
    }

    fn read_l4(&mut self, r: &mut Cursor<'_>) {
        match self.ip_proto {
            IPPROTO_TCP => {
                if let Some(h) = r.take(20) {
                    self.l4_src = u16::from_be_bytes([h[0], h[1]]);
                    self.l4_dst = u16::from_be_bytes([h[2], h[3]]);
                    let off = usize::from(h[12] >> 4) * 4;
                    let _ = r.take(off.saturating_sub(20));
                }
            }
            IPPROTO_UDP | IPPROTO_SCTP => {
                let n = if self.ip_proto == IPPROTO_UDP { 8 } else { 12 };
                if let Some(h) = r.take(n) {
                    self.l4_src = u16::from_be_bytes([h[0], h[1]]);
                    self.l4_dst = u16::from_be_bytes([h[2], h[3]]);
                }
            }
            IPPROTO_ICMP | IPPROTO_ICMPV6 => {
                if let Some(h) = r.take(8) {
                    self.icmp_type = h[0];
                    self.icmp_code = h[1];
                    let nd = self.ip_proto == IPPROTO_ICMPV6
                        && self.eth_type == ETH_TYPE_IPV6
                        && matches!(self.icmp_type, ND_NEIGHBOR_SOLICIT | ND_NEIGHBOR_ADVERT);
                    if nd && let Some(t) = r.take(16) {
                        self.nd_target = ipv6(t);
                        // Options: type, length in 8-byte units, value.
                        while let Some(&[ty, len]) = r.b.first_chunk::<2>() {
                            let n = usize::from(len) * 8;
                            if n < 8 {
                                break;
                            }
                            let Some(opt) = r.take(n) else { break };
                            let mac = || {
                                let mut m = [0u8; 6];
                                m.copy_from_slice(&opt[2..8]);
                                MacAddr(m)
                            };
                            match (ty, self.icmp_type) {
                                (1, ND_NEIGHBOR_SOLICIT) => self.nd_sll = Some(mac()),
                                (2, ND_NEIGHBOR_ADVERT) => self.nd_tll = Some(mac()),
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn ipv6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// A reader over a byte slice that never panics.
struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }

    fn limit(&mut self, n: usize) {
        self.b = &self.b[..n.min(self.b.len())];
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn mac(&mut self) -> Option<MacAddr> {
        self.take(6).map(|b| {
            let mut m = [0u8; 6];
            m.copy_from_slice(b);
            MacAddr(m)
        })
    }

    fn ipv4(&mut self) -> Option<Ipv4Addr> {
        self.take(4).map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xa]);
    const B: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xb]);

    fn round_trip(p: &Packet) {
        let f = p.to_frame();
        let mut q = Packet::from_frame(p.in_port, &f);
        // The reader cannot tell Ethernet padding from payload on non-IP frames.
        if !matches!(p.eth_type, ETH_TYPE_IPV4 | ETH_TYPE_IPV6) {
            q.payload = q.payload.slice(..p.payload.len().min(q.payload.len()));
        }
        assert_eq!(&q, p, "frame {f:02x?}");
    }

    #[test]
    fn frames_round_trip() {
        let base = Packet::new(2).eth(A, B);
        round_trip(&base.clone().eth_type(0x88cc).payload(&b"lldp"[..]));
        round_trip(
            &base
                .clone()
                .vlan_pcp(100, 3)
                .arp_request([10, 0, 0, 1].into(), [10, 0, 0, 2].into()),
        );
        round_trip(
            &base
                .clone()
                .tag(VlanTag::dot1ad(300))
                .vlan(100)
                .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
                .tos(46, 1)
                .tcp(1234, 80)
                .payload(&b"hello"[..]),
        );
        round_trip(
            &base
                .clone()
                .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
                .udp(68, 67),
        );
        round_trip(
            &base
                .clone()
                .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
                .icmp(8, 0)
                .payload(&b"ping"[..]),
        );
        let v6a: Ipv6Addr = "fc00::1".parse().unwrap();
        let v6b: Ipv6Addr = "fc00::2".parse().unwrap();
        round_trip(&base.clone().ipv6(v6a, v6b).udp(546, 547));
        round_trip(&base.clone().ipv6(v6a, v6b).nd_solicit(v6b, Some(A)));
        round_trip(&base.clone().ipv6(v6a, v6b).nd_advert(v6a, Some(B)));
        round_trip(&base.clone().ipv6(v6a, v6b).icmpv6(128, 0));
    }

    #[test]
    fn ipv4_checksum_is_valid() {
        let p = Packet::new(1)
            .eth(A, B)
            .ipv4([192, 168, 0, 1].into(), [192, 168, 0, 199].into())
            .udp(1, 2);
        let f = p.to_frame();
        // The header, checksum included, sums to 0xffff.
        assert_eq!(sum16(&f[14..34], 0), 0xffff);
        // UDP with the pseudo-header too.
        let udp = &f[34..42];
        assert_eq!(sum16(udp, p.pseudo_header_sum(8)), 0xffff);
    }

    #[test]
    fn short_and_odd_frames_do_not_panic() {
        for n in 0..80 {
            let p = Packet::new(1)
                .eth(A, B)
                .vlan(5)
                .ipv6("::1".parse().unwrap(), "::2".parse().unwrap())
                .nd_solicit("::2".parse().unwrap(), Some(A));
            let f = p.to_frame();
            let _ = Packet::from_frame(1, &f[..n.min(f.len())]);
        }
        let _ = Packet::from_frame(1, &[0xff; 200]);
    }
}
