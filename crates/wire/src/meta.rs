//! [`PacketMeta`]: everything the controller reads from a packet-in, in one pass over the
//! bytes, without allocating and without panicking on any input.
//!
//! It reads the Ethernet addresses, up to two VLAN tags, the EtherType after them, and a
//! summary of ARP, IPv4 or IPv6 with their upper layer (ports, ICMP type, the neighbour
//! discovery target and link-layer address). Packet-ins are often cut short by the switch
//! (FAUCET asks for 96 to 194 bytes), so only a broken or missing Ethernet header or VLAN tag
//! is an error; a cut or broken L3/L4 header is reported in place
//! ([`L3Meta::Invalid`], [`L4Meta::Invalid`]) so host learning still gets its L2 fields.
//! Lengths in those errors count bytes of the whole frame.
//!
//! It checks no checksum (the switch forwarded the packet; FAUCET does not check either). For
//! a full check use the `Repr` types of each format.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::arp::ArpOperation;
use crate::error::{WireError, WireResult};
use crate::ethernet::{self, EtherType};
use crate::icmpv4::Icmpv4Message;
use crate::icmpv6::Icmpv6Message;
use crate::ip::IpProtocol;
use crate::mac::MacAddr;
use crate::tcp::TcpFlags;
use crate::vlan::{VlanId, VlanStack, VlanTag};

/// The most IPv6 extension headers skipped before giving up on finding the upper layer.
const MAX_IPV6_EXT_HEADERS: usize = 8;

/// The summary of a frame (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    /// Destination address.
    pub eth_dst: MacAddr,
    /// Source address (what the controller learns).
    pub eth_src: MacAddr,
    /// VLAN tags, outermost first.
    pub vlans: VlanStack,
    /// EtherType after the tags (a TPID if there were more than two tags).
    pub eth_type: EtherType,
    /// Offset of the L3 header in the frame (14, 18 or 22).
    pub l3_offset: usize,
    /// The L3 summary.
    pub l3: L3Meta,
}

/// The Ethernet header and VLAN tags of a frame: the first part of [`PacketMeta`], for a
/// reader that needs no more (the host it comes from, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Meta {
    /// Destination address.
    pub eth_dst: MacAddr,
    /// Source address.
    pub eth_src: MacAddr,
    /// VLAN tags, outermost first.
    pub vlans: VlanStack,
    /// EtherType after the tags, as on the wire (a TPID if there were more than two tags).
    pub eth_type: u16,
    /// Offset of what follows the tags (14, 18 or 22).
    pub l3_offset: usize,
}

impl L2Meta {
    /// Reads the Ethernet header and up to two VLAN tags.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the Ethernet header or a VLAN tag is cut short.
    #[inline(always)]
    pub fn parse(data: &[u8]) -> WireResult<L2Meta> {
        let Some(eth) = data.first_chunk::<{ ethernet::HEADER_LEN }>() else {
            return Err(truncated(ethernet::HEADER_LEN, data.len()));
        };
        let mut ty = be16([eth[12], eth[13]]);
        let mut off = ethernet::HEADER_LEN;
        // Up to two tags, unrolled so the stack stays in registers.
        let mut vlans = VlanStack::EMPTY;
        if is_tpid(ty) {
            let (t0, after) = tag_at(data, off, ty)?;
            ty = after;
            off += 4;
            vlans = VlanStack::one(t0);
            if is_tpid(ty) {
                let (t1, after) = tag_at(data, off, ty)?;
                ty = after;
                off += 4;
                vlans = VlanStack::two(t0, t1);
            }
        }
        Ok(L2Meta {
            eth_dst: MacAddr(take(eth, 0)),
            eth_src: MacAddr(take(eth, 6)),
            vlans,
            eth_type: ty,
            l3_offset: off,
        })
    }
}

/// What follows the Ethernet header and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3Meta {
    /// An EtherType without a summary here (LLDP, LACP and others: read them with their own
    /// module).
    None,
    /// ARP for IPv4 over Ethernet.
    Arp(ArpMeta),
    /// IPv4.
    Ipv4(Ipv4Meta),
    /// IPv6.
    Ipv6(Ipv6Meta),
    /// The EtherType announces ARP, IPv4 or IPv6, but the header is cut short or broken.
    Invalid(WireError),
}

/// An ARP packet's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpMeta {
    /// Operation.
    pub op: ArpOperation,
    /// Sender hardware address.
    pub sha: MacAddr,
    /// Sender protocol address.
    pub spa: Ipv4Addr,
    /// Target hardware address.
    pub tha: MacAddr,
    /// Target protocol address.
    pub tpa: Ipv4Addr,
}

/// An IPv4 header's fields and its upper layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Meta {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol.
    pub proto: IpProtocol,
    /// Time to live.
    pub ttl: u8,
    /// Whether this is a fragment (more fragments, or a non-zero offset).
    pub fragment: bool,
    /// The upper layer.
    pub l4: L4Meta,
}

/// An IPv6 header's fields and its upper layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Meta {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// The upper-layer protocol, after hop-by-hop, routing, fragment, destination-options and
    /// authentication headers.
    pub next_header: IpProtocol,
    /// Hop limit.
    pub hop_limit: u8,
    /// The upper layer.
    pub l4: L4Meta,
}

/// The upper layer of an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4Meta {
    /// A protocol without a summary here.
    None,
    /// A fragment other than the first: no upper-layer header.
    Fragment,
    /// TCP.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Control bits.
        flags: TcpFlags,
    },
    /// UDP.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// ICMP for IPv4.
    Icmpv4 {
        /// Type.
        msg_type: Icmpv4Message,
        /// Code.
        code: u8,
    },
    /// ICMPv6, with neighbour discovery details.
    Icmpv6(Icmpv6Meta),
    /// The header is cut short or broken.
    Invalid(WireError),
}

/// An ICMPv6 message's type and, for neighbour discovery, its target and link-layer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Icmpv6Meta {
    /// Type.
    pub msg_type: Icmpv6Message,
    /// Code.
    pub code: u8,
    /// NS, NA and redirect: the target address.
    pub nd_target: Option<Ipv6Addr>,
    /// RS, RA, NS: the source link-layer address option; NA, redirect: the target
    /// link-layer address option (the first one that was not cut off).
    pub nd_lladdr: Option<MacAddr>,
}

#[inline(always)]
fn chunk<const N: usize>(data: &[u8], at: usize) -> Option<&[u8; N]> {
    data.get(at..)?.first_chunk::<N>()
}

/// The VLAN tag at `at`, whose TPID `tpid` came before it, and the EtherType after it.
#[inline(always)]
fn tag_at(data: &[u8], at: usize, tpid: u16) -> WireResult<(VlanTag, u16)> {
    let Some(tag) = chunk::<4>(data, at) else {
        return Err(truncated(at + 4, data.len()));
    };
    Ok((
        VlanTag::from_raw(tpid, be16([tag[0], tag[1]])),
        be16([tag[2], tag[3]]),
    ))
}

/// Whether an EtherType is a VLAN TPID (0x8100, 0x88a8, 0x9100).
#[inline(always)]
fn is_tpid(ty: u16) -> bool {
    matches!(ty, 0x8100 | 0x88a8 | 0x9100)
}

/// `N` bytes of `s` at `at` as an array (a plain copy, not a byte-by-byte build); callers
/// pass fixed-size headers already checked to be long enough, so the zero fallback is never
/// taken.
#[inline(always)]
fn take<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
    chunk::<N>(s, at).copied().unwrap_or([0; N])
}

#[inline(always)]
fn be16(b: [u8; 2]) -> u16 {
    u16::from_be_bytes(b)
}

#[inline(always)]
fn truncated(need: usize, have: usize) -> WireError {
    WireError::Truncated { need, have }
}

impl PacketMeta {
    /// Reads a frame (see the module docs).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the Ethernet header or a VLAN tag is cut short. Problems
    /// after that are reported inside the result.
    #[inline]
    pub fn parse(data: &[u8]) -> WireResult<PacketMeta> {
        let l2 = L2Meta::parse(data)?;
        let off = l2.l3_offset;
        let (eth_type, l3) = match l2.eth_type {
            0x0800 => (EtherType::Ipv4, parse_ipv4(data, off)),
            0x86dd => (EtherType::Ipv6, parse_ipv6(data, off)),
            0x0806 => (EtherType::Arp, parse_arp(data, off)),
            ty => (EtherType::from(ty), L3Meta::None),
        };
        Ok(PacketMeta {
            eth_dst: l2.eth_dst,
            eth_src: l2.eth_src,
            vlans: l2.vlans,
            eth_type,
            l3_offset: off,
            l3,
        })
    }

    /// The VLAN id of the outermost tag (the one FAUCET's pipeline works on).
    pub fn vid(&self) -> Option<VlanId> {
        self.vlans.outer().map(|t| t.vid())
    }

    /// L3 source: the IP source, or the ARP sender protocol address (FAUCET's `l3_src`).
    pub fn l3_src(&self) -> Option<IpAddr> {
        match &self.l3 {
            L3Meta::Arp(a) => Some(IpAddr::V4(a.spa)),
            L3Meta::Ipv4(ip) => Some(IpAddr::V4(ip.src)),
            L3Meta::Ipv6(ip) => Some(IpAddr::V6(ip.src)),
            L3Meta::None | L3Meta::Invalid(_) => None,
        }
    }

    /// L3 destination: the IP destination, or the ARP target protocol address.
    pub fn l3_dst(&self) -> Option<IpAddr> {
        match &self.l3 {
            L3Meta::Arp(a) => Some(IpAddr::V4(a.tpa)),
            L3Meta::Ipv4(ip) => Some(IpAddr::V4(ip.dst)),
            L3Meta::Ipv6(ip) => Some(IpAddr::V6(ip.dst)),
            L3Meta::None | L3Meta::Invalid(_) => None,
        }
    }

    /// The upper layer of an IP packet.
    pub fn l4(&self) -> Option<&L4Meta> {
        match &self.l3 {
            L3Meta::Ipv4(ip) => Some(&ip.l4),
            L3Meta::Ipv6(ip) => Some(&ip.l4),
            _ => None,
        }
    }

    /// The ARP fields, if this is ARP.
    pub fn arp(&self) -> Option<&ArpMeta> {
        match &self.l3 {
            L3Meta::Arp(a) => Some(a),
            _ => None,
        }
    }

    /// The ICMPv6 summary, if this is ICMPv6.
    pub fn icmpv6(&self) -> Option<&Icmpv6Meta> {
        match self.l4() {
            Some(L4Meta::Icmpv6(m)) => Some(m),
            _ => None,
        }
    }
}

#[inline]
fn parse_arp(data: &[u8], off: usize) -> L3Meta {
    let Some(a) = chunk::<28>(data, off) else {
        return L3Meta::Invalid(truncated(off + 28, data.len()));
    };
    if [a[0], a[1], a[2], a[3], a[4], a[5]] != [0, 1, 0x08, 0x00, 6, 4] {
        return L3Meta::Invalid(WireError::Malformed("ARP is not Ethernet/IPv4"));
    }
    L3Meta::Arp(ArpMeta {
        op: be16([a[6], a[7]]).into(),
        sha: MacAddr(take(a, 8)),
        spa: Ipv4Addr::from(take::<4>(a, 14)),
        tha: MacAddr(take(a, 18)),
        tpa: Ipv4Addr::from(take::<4>(a, 24)),
    })
}

#[inline]
fn parse_ipv4(data: &[u8], off: usize) -> L3Meta {
    let len = data.len();
    let Some(h) = chunk::<20>(data, off) else {
        return L3Meta::Invalid(truncated(off + 20, len));
    };
    if h[0] >> 4 != 4 {
        return L3Meta::Invalid(WireError::Malformed("IPv4 version is not 4"));
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < 20 {
        return L3Meta::Invalid(WireError::Malformed("IPv4 header length below 20"));
    }
    let total = usize::from(be16([h[2], h[3]]));
    if total < ihl {
        return L3Meta::Invalid(WireError::Malformed(
            "IPv4 total length below header length",
        ));
    }
    let flg_off = be16([h[6], h[7]]);
    let frag_offset = flg_off & 0x1fff;
    let proto = IpProtocol::from(h[9]);
    // The upper layer ends at the total length, or where the packet-in was cut.
    let end = len.min(off + total);
    let l4_at = off + ihl;
    let l4 = if frag_offset != 0 {
        L4Meta::Fragment
    } else {
        parse_l4(data, l4_at, end, h[9], None)
    };
    L3Meta::Ipv4(Ipv4Meta {
        src: Ipv4Addr::from(take::<4>(h, 12)),
        dst: Ipv4Addr::from(take::<4>(h, 16)),
        proto,
        ttl: h[8],
        fragment: flg_off & 0x3fff != 0,
        l4,
    })
}

#[inline]
fn parse_ipv6(data: &[u8], off: usize) -> L3Meta {
    let len = data.len();
    let Some(h) = chunk::<40>(data, off) else {
        return L3Meta::Invalid(truncated(off + 40, len));
    };
    if h[0] >> 4 != 6 {
        return L3Meta::Invalid(WireError::Malformed("IPv6 version is not 6"));
    }
    let payload_len = usize::from(be16([h[4], h[5]]));
    let end = len.min(off + 40 + payload_len);
    let src: [u8; 16] = take(h, 8);
    let dst: [u8; 16] = take(h, 24);
    let (next_header, l4) = skip_ext_headers(data, off + 40, end, h[6], &dst);
    L3Meta::Ipv6(Ipv6Meta {
        src: Ipv6Addr::from(src),
        dst: Ipv6Addr::from(dst),
        next_header: next_header.into(),
        hop_limit: h[7],
        l4,
    })
}

/// Skips IPv6 extension headers; returns the upper-layer protocol and its summary.
#[inline]
fn skip_ext_headers(
    data: &[u8],
    mut at: usize,
    end: usize,
    mut nh: u8,
    dst: &[u8; 16],
) -> (u8, L4Meta) {
    for _ in 0..MAX_IPV6_EXT_HEADERS {
        let hdr_len = match nh {
            // Hop-by-hop, routing, destination options: length in 8-byte units after the first 8.
            0 | 43 | 60 => match chunk::<2>(data, at) {
                Some(b) if at + 2 <= end => (usize::from(b[1]) + 1) * 8,
                _ => return (nh, L4Meta::Invalid(truncated(at + 2, end))),
            },
            // Fragment: fixed 8 bytes; only the first fragment has the upper-layer header.
            44 => match chunk::<8>(data, at) {
                Some(b) if at + 8 <= end => {
                    if be16([b[2], b[3]]) & 0xfff8 != 0 {
                        return (b[0], L4Meta::Fragment);
                    }
                    8
                }
                _ => return (nh, L4Meta::Invalid(truncated(at + 8, end))),
            },
            // Authentication header: length in 4-byte units, minus 2.
            51 => match chunk::<2>(data, at) {
                Some(b) if at + 2 <= end => (usize::from(b[1]) + 2) * 4,
                _ => return (nh, L4Meta::Invalid(truncated(at + 2, end))),
            },
            _ => return (nh, parse_l4(data, at, end, nh, Some(dst))),
        };
        // The next header byte is the first byte of every extension header.
        nh = data.get(at).copied().unwrap_or(59);
        at += hdr_len;
    }
    (nh, L4Meta::None)
}

/// Reads the upper-layer header at `at` (bounded by `end`). `ipv6_dst` is set for IPv6.
#[inline]
fn parse_l4(data: &[u8], at: usize, end: usize, proto: u8, ipv6_dst: Option<&[u8; 16]>) -> L4Meta {
    // Bytes of the upper layer that are present (empty if `at` is past the end).
    let l4 = data.get(at..end).unwrap_or(&[]);
    let short = |need: usize| L4Meta::Invalid(truncated(at + need, end));
    match proto {
        6 => match l4.first_chunk::<20>() {
            Some(t) => L4Meta::Tcp {
                src_port: be16([t[0], t[1]]),
                dst_port: be16([t[2], t[3]]),
                flags: TcpFlags(be16([t[12], t[13]]) & 0x01ff),
            },
            None => short(20),
        },
        17 => match l4.first_chunk::<8>() {
            Some(u) => L4Meta::Udp {
                src_port: be16([u[0], u[1]]),
                dst_port: be16([u[2], u[3]]),
            },
            None => short(8),
        },
        1 if ipv6_dst.is_none() => match l4.first_chunk::<4>() {
            Some(i) => L4Meta::Icmpv4 {
                msg_type: i[0].into(),
                code: i[1],
            },
            None => short(4),
        },
        58 if ipv6_dst.is_some() => parse_icmpv6(l4, at, end),
        _ => L4Meta::None,
    }
}

#[inline]
fn parse_icmpv6(l4: &[u8], at: usize, end: usize) -> L4Meta {
    let Some(i) = l4.first_chunk::<4>() else {
        return L4Meta::Invalid(truncated(at + 4, end));
    };
    let msg_type = Icmpv6Message::from(i[0]);
    let mut meta = Icmpv6Meta {
        msg_type,
        code: i[1],
        nd_target: None,
        nd_lladdr: None,
    };
    let (fixed, has_target, want_opt) = match msg_type {
        Icmpv6Message::RouterSolicit => (8, false, 1),
        Icmpv6Message::RouterAdvert => (16, false, 1),
        Icmpv6Message::NeighborSolicit => (24, true, 1),
        Icmpv6Message::NeighborAdvert => (24, true, 2),
        Icmpv6Message::Redirect => (40, true, 2),
        _ => return L4Meta::Icmpv6(meta),
    };
    if l4.len() < fixed {
        return L4Meta::Invalid(truncated(at + fixed, end));
    }
    if has_target && let Some(t) = chunk::<16>(l4, 8) {
        meta.nd_target = Some(Ipv6Addr::from(*t));
    }
    // Walk the options; a cut option ends the walk (packet-ins are often cut), a zero
    // length makes the message invalid (RFC 4861 §4.6).
    let mut o = fixed;
    while let Some(h) = chunk::<2>(l4, o) {
        let opt_len = usize::from(h[1]) * 8;
        if opt_len == 0 {
            return L4Meta::Invalid(WireError::Malformed("ND option with zero length"));
        }
        if h[0] == want_opt
            && opt_len == 8
            && let Some(m) = chunk::<6>(l4, o + 2)
        {
            meta.nd_lladdr = Some(MacAddr(*m));
            break;
        }
        o += opt_len;
    }
    L4Meta::Icmpv6(meta)
}

impl fmt::Display for PacketMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} > {}", self.eth_src, self.eth_dst)?;
        for t in &self.vlans {
            write!(f, " vlan {}", t.vid())?;
        }
        write!(f, " {}", self.eth_type)?;
        match &self.l3 {
            L3Meta::None => Ok(()),
            L3Meta::Invalid(e) => write!(f, " ({e})"),
            L3Meta::Arp(a) => write!(f, " {} {} ({}) > {} ({})", a.op, a.spa, a.sha, a.tpa, a.tha),
            L3Meta::Ipv4(ip) => {
                write!(f, " {} > {} {} ttl={}", ip.src, ip.dst, ip.proto, ip.ttl)?;
                ip.l4.fmt(f)
            }
            L3Meta::Ipv6(ip) => {
                write!(
                    f,
                    " {} > {} {} hlim={}",
                    ip.src, ip.dst, ip.next_header, ip.hop_limit
                )?;
                ip.l4.fmt(f)
            }
        }
    }
}

impl fmt::Display for L4Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            L4Meta::None => Ok(()),
            L4Meta::Fragment => f.write_str(" fragment"),
            L4Meta::Tcp {
                src_port,
                dst_port,
                flags,
            } => write!(f, " {src_port} > {dst_port} [{flags}]"),
            L4Meta::Udp { src_port, dst_port } => write!(f, " {src_port} > {dst_port}"),
            L4Meta::Icmpv4 { msg_type, code } => write!(f, " {msg_type} code={code}"),
            L4Meta::Icmpv6(m) => {
                write!(f, " {} code={}", m.msg_type, m.code)?;
                if let Some(t) = m.nd_target {
                    write!(f, " target={t}")?;
                }
                if let Some(a) = m.nd_lladdr {
                    write!(f, " lladdr={a}")?;
                }
                Ok(())
            }
            L4Meta::Invalid(e) => write!(f, " ({e})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    const A: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0a]);
    const B: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0b]);

    fn vid(n: u16) -> Option<VlanId> {
        VlanId::new(n)
    }

    // Frames captured with tcpdump: from a namespace behind an Open vSwitch access port
    // (tag=100) on the trunk, and between two namespaces on a veth (untagged).
    const TAGGED_ICMP: &str = "0e000000000b0e000000000a8100006408004500002c2aad40004001fc210a0000010a00000208008bba3f100001a0c4016b000000007e040d0000000000";
    const TAGGED_ARP_REQUEST: &str = "ffffffffffff0e000000000a81000064080600010800060400010e000000000a0a0000010000000000000a000009";
    const TAGGED_NS: &str = "3333ff0000020e000000000a8100006486dd6000000000203afffc000000000000000000000000000001ff0200000000000000000001ff0000028700738e00000000fc00000000000000000000000000000201010e000000000a";
    const TAGGED_UDP: &str = "0e000000000b0e000000000a81000064080045000026f856400040112e6e0a0000010a0000029e1514e900120f5b68656c6c6f2d7564700a";
    const TAGGED_TCP_SYN: &str = "0e000000000b0e000000000a8100006408004500003c93cc4000400692ed0a0000010a000002a9fa1389d90b4dcb00000000a002faf0df620000020405b40402080ae48b90c0000000000103030a";
    const ARP_REPLY: &str =
        "0e000000000a0e000000000b080600010800060400020e000000000b0a0100020e000000000a0a010001";
    const NA: &str = "0e000000000a0e000000000b86dd6000000000203afffc000000000000000000000000000002fc0000000000000000000000000000018800139160000000fc00000000000000000000000000000202010e000000000b";
    // scapy 2.8.0 frames: QinQ (S-tag 200, C-tag 100 pcp 3) UDP; an MLDv2 report behind a
    // hop-by-hop header; the first fragment of a UDP datagram over IPv6.
    const QINQ_UDP: &str = "0e000000000b0e000000000a88a800c88100606408004500001d00010000401166cd0a0000010a00000204d20035000975d271";
    const HBH_MLD: &str = "3333000000160e000000000a86dd6000000000100001fe800000000000000000000000000001ff0200000000000000000000000000163a000502000001008f00732200000000";
    const V6_FRAG: &str = "0e000000000b0e000000000a86dd6000000000182c40fc000000000000000000000000000001fc000000000000000000000000000002110000010000000703e807d000101a307878787878787878";
    // FAUCET's LLDP beacon (valve_packet.lldp_beacon, os-ken).
    const FAUCET_LLDP: &str = "0180c200000e0e000000000188cc0207040e0000000001040205330602000f0a0373773108026233fe050e00000131fe050e00000233000000000000";

    #[test]
    fn tagged_icmp() {
        let m = PacketMeta::parse(&hex(TAGGED_ICMP)).unwrap();
        assert_eq!((m.eth_src, m.eth_dst), (A, B));
        assert_eq!(m.vid(), vid(100));
        assert_eq!(m.vlans.len(), 1);
        assert_eq!(m.eth_type, EtherType::Ipv4);
        assert_eq!(m.l3_offset, 18);
        assert_eq!(
            m.l3,
            L3Meta::Ipv4(Ipv4Meta {
                src: v4("10.0.0.1"),
                dst: v4("10.0.0.2"),
                proto: IpProtocol::Icmp,
                ttl: 64,
                fragment: false,
                l4: L4Meta::Icmpv4 {
                    msg_type: Icmpv4Message::EchoRequest,
                    code: 0
                },
            })
        );
        assert_eq!(m.l3_src(), Some(IpAddr::V4(v4("10.0.0.1"))));
        assert_eq!(
            m.to_string(),
            "0e:00:00:00:00:0a > 0e:00:00:00:00:0b vlan 100 IPv4 10.0.0.1 > 10.0.0.2 ICMP \
             ttl=64 echo-request code=0"
        );
    }

    #[test]
    fn arp() {
        let m = PacketMeta::parse(&hex(TAGGED_ARP_REQUEST)).unwrap();
        assert_eq!(m.vid(), vid(100));
        assert_eq!(
            m.arp(),
            Some(&ArpMeta {
                op: ArpOperation::Request,
                sha: A,
                spa: v4("10.0.0.1"),
                tha: MacAddr::ZERO,
                tpa: v4("10.0.0.9"),
            })
        );
        let m = PacketMeta::parse(&hex(ARP_REPLY)).unwrap();
        assert!(m.vlans.is_empty());
        assert_eq!(m.l3_offset, 14);
        assert_eq!(
            m.arp().map(|a| (a.op, a.sha)),
            Some((ArpOperation::Reply, B))
        );
        assert_eq!(m.l3_dst(), Some(IpAddr::V4(v4("10.1.0.1"))));
    }

    #[test]
    fn neighbour_discovery() {
        let m = PacketMeta::parse(&hex(TAGGED_NS)).unwrap();
        assert_eq!(m.vid(), vid(100));
        assert_eq!(
            m.icmpv6(),
            Some(&Icmpv6Meta {
                msg_type: Icmpv6Message::NeighborSolicit,
                code: 0,
                nd_target: Some(v6("fc00::2")),
                nd_lladdr: Some(A),
            })
        );
        let L3Meta::Ipv6(ip) = m.l3 else {
            panic!("{m}")
        };
        assert_eq!((ip.src, ip.dst), (v6("fc00::1"), v6("ff02::1:ff00:2")));
        assert_eq!((ip.next_header, ip.hop_limit), (IpProtocol::Icmpv6, 255));

        let m = PacketMeta::parse(&hex(NA)).unwrap();
        let nd = m.icmpv6().unwrap();
        assert_eq!(nd.msg_type, Icmpv6Message::NeighborAdvert);
        assert_eq!((nd.nd_target, nd.nd_lladdr), (Some(v6("fc00::2")), Some(B)));

        // Cut inside the option: the target is there, the link-layer address is not.
        let mut cut = hex(NA);
        cut.truncate(cut.len() - 3);
        let m = PacketMeta::parse(&cut).unwrap();
        let nd = m.icmpv6().unwrap();
        assert_eq!((nd.nd_target, nd.nd_lladdr), (Some(v6("fc00::2")), None));
        // Cut inside the target.
        cut.truncate(14 + 40 + 20);
        let m = PacketMeta::parse(&cut).unwrap();
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Invalid(WireError::Truncated {
                need: 78,
                have: 74
            }))
        );
    }

    #[test]
    fn tcp_udp_and_qinq() {
        let m = PacketMeta::parse(&hex(TAGGED_TCP_SYN)).unwrap();
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Tcp {
                src_port: 43514,
                dst_port: 5001,
                flags: TcpFlags::SYN
            })
        );
        let m = PacketMeta::parse(&hex(TAGGED_UDP)).unwrap();
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Udp {
                src_port: 40469,
                dst_port: 5353
            })
        );
        let m = PacketMeta::parse(&hex(QINQ_UDP)).unwrap();
        let tags: Vec<_> = m
            .vlans
            .iter()
            .map(|t| (t.tpid(), t.vid().get(), t.pcp()))
            .collect();
        assert_eq!(tags, [(EtherType::QinQ, 200, 0), (EtherType::Vlan, 100, 3)]);
        assert_eq!(m.vid(), vid(200));
        assert_eq!(m.l3_offset, 22);
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Udp {
                src_port: 1234,
                dst_port: 53
            })
        );
    }

    #[test]
    fn ipv6_extension_headers() {
        let m = PacketMeta::parse(&hex(HBH_MLD)).unwrap();
        let L3Meta::Ipv6(ip) = m.l3 else {
            panic!("{m}")
        };
        assert_eq!(ip.next_header, IpProtocol::Icmpv6);
        assert_eq!(
            m.icmpv6().map(|i| i.msg_type),
            Some(Icmpv6Message::MldReportV2)
        );

        let m = PacketMeta::parse(&hex(V6_FRAG)).unwrap();
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Udp {
                src_port: 1000,
                dst_port: 2000
            })
        );
        // A later fragment has no UDP header.
        let mut later = hex(V6_FRAG);
        later[14 + 40 + 3] = 0x08; // offset 1 (8 bytes)
        let m = PacketMeta::parse(&later).unwrap();
        assert_eq!(m.l4(), Some(&L4Meta::Fragment));
    }

    #[test]
    fn other_ethertypes_and_errors() {
        let m = PacketMeta::parse(&hex(FAUCET_LLDP)).unwrap();
        assert_eq!(m.eth_type, EtherType::Lldp);
        assert_eq!(m.eth_dst, MacAddr::LLDP_NEAREST_BRIDGE);
        assert_eq!(m.l3, L3Meta::None);

        let frame = hex(TAGGED_ICMP);
        assert_eq!(
            PacketMeta::parse(&frame[..13]),
            Err(WireError::Truncated { need: 14, have: 13 })
        );
        assert_eq!(
            PacketMeta::parse(&frame[..16]),
            Err(WireError::Truncated { need: 18, have: 16 })
        );
        let m = PacketMeta::parse(&frame[..30]).unwrap();
        assert_eq!(m.vid(), vid(100));
        assert_eq!(
            m.l3,
            L3Meta::Invalid(WireError::Truncated { need: 38, have: 30 })
        );
        let m = PacketMeta::parse(&frame[..40]).unwrap();
        assert_eq!(
            m.l4(),
            Some(&L4Meta::Invalid(WireError::Truncated {
                need: 42,
                have: 40
            }))
        );
        let mut bad = frame.clone();
        bad[18] = 0x65;
        assert_eq!(
            PacketMeta::parse(&bad).unwrap().l3,
            L3Meta::Invalid(WireError::Malformed("IPv4 version is not 4"))
        );
        // Three tags: the third TPID is reported as the EtherType.
        let mut three = frame[..12].to_vec();
        three.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0]);
        let m = PacketMeta::parse(&three).unwrap();
        assert_eq!(m.vlans.len(), 2);
        assert_eq!(m.eth_type, EtherType::Vlan);
        assert_eq!(m.l3, L3Meta::None);
    }
}
