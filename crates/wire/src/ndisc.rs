//! IPv6 neighbour discovery (RFC 4861 §4): router solicitation and advertisement, neighbour
//! solicitation and advertisement, redirect, and their options (§4.6).
//!
//! ```text
//!  Router advertisement (type 134):
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Cur Hop Limit |M|O|  Reserved |       Router Lifetime         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Reachable Time                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Retrans Timer                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ...
//!  Neighbour solicitation (135) / advertisement (136):
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|S|O|                     Reserved (NA flags; NS: reserved)   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Target Address (16)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ...
//!  Router solicitation (133): type, code, checksum, reserved (4), options.
//!  Redirect (137): type, code, checksum, reserved (4), target (16), destination (16), options.
//!
//!  Option (§4.6): | Type (1) | Length (1, in units of 8 bytes) | ...
//!   1/2 source/target link-layer address: | MAC (6) |
//!   3 prefix information (length 4): | Prefix Length | L|A|Reserved1 | Valid Lifetime (4) |
//!                                    | Preferred Lifetime (4) | Reserved2 (4) | Prefix (16) |
//!   5 MTU: | Reserved (2) | MTU (4) |
//! ```

use std::fmt;
use std::net::Ipv6Addr;

use crate::error::{WireError, WireResult};
use crate::field::{read_array, read_u16, read_u32, write_u16, write_u32};
use crate::icmpv6::{Icmpv6Message, Icmpv6Packet, field as icmp};
use crate::mac::MacAddr;
use crate::macros::{bit_flags, enum_with_unknown};

bit_flags! {
    /// Flags of a router advertisement.
    pub struct RouterFlags(u8) {
        /// Managed address configuration (DHCPv6).
        const MANAGED = 0x80 => "M";
        /// Other configuration (DHCPv6).
        const OTHER = 0x40 => "O";
    }
}

bit_flags! {
    /// Flags of a neighbour advertisement.
    pub struct NeighborFlags(u8) {
        /// The sender is a router.
        const ROUTER = 0x80 => "R";
        /// Sent in response to a solicitation.
        const SOLICITED = 0x40 => "S";
        /// Override an existing cache entry.
        const OVERRIDE = 0x20 => "O";
    }
}

bit_flags! {
    /// Flags of a prefix information option.
    pub struct PrefixInfoFlags(u8) {
        /// On-link.
        const ON_LINK = 0x80 => "L";
        /// Autonomous address configuration (SLAAC).
        const ADDRCONF = 0x40 => "A";
    }
}

// ===== accessors of the neighbour discovery messages =====

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// RA: the hop limit hosts should use.
    pub fn current_hop_limit(&self) -> u8 {
        self.buffer.as_ref()[icmp::CUR_HOP_LIMIT]
    }

    /// RA: flags.
    pub fn router_flags(&self) -> RouterFlags {
        RouterFlags(self.buffer.as_ref()[icmp::ROUTER_FLAGS])
    }

    /// RA: router lifetime in seconds.
    pub fn router_lifetime(&self) -> u16 {
        read_u16(self.buffer.as_ref(), icmp::ROUTER_LT)
    }

    /// RA: reachable time in milliseconds.
    pub fn reachable_time(&self) -> u32 {
        read_u32(self.buffer.as_ref(), icmp::REACHABLE_TM)
    }

    /// RA: retransmission timer in milliseconds.
    pub fn retrans_time(&self) -> u32 {
        read_u32(self.buffer.as_ref(), icmp::RETRANS_TM)
    }

    /// NA: flags.
    pub fn neighbor_flags(&self) -> NeighborFlags {
        NeighborFlags(self.buffer.as_ref()[icmp::NEIGH_FLAGS] & 0xe0)
    }

    /// NS, NA, redirect: the target address.
    pub fn target_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(read_array::<16>(self.buffer.as_ref(), icmp::TARGET_ADDR))
    }

    /// Redirect: the destination address.
    pub fn destination_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(read_array::<16>(self.buffer.as_ref(), icmp::DEST_ADDR))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// RA: sets the hop limit hosts should use.
    pub fn set_current_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[icmp::CUR_HOP_LIMIT] = v;
    }

    /// RA: sets the flags (and clears the reserved bits).
    pub fn set_router_flags(&mut self, v: RouterFlags) {
        self.buffer.as_mut()[icmp::ROUTER_FLAGS] = v.bits();
    }

    /// RA: sets the router lifetime.
    pub fn set_router_lifetime(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), icmp::ROUTER_LT, v);
    }

    /// RA: sets the reachable time.
    pub fn set_reachable_time(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), icmp::REACHABLE_TM, v);
    }

    /// RA: sets the retransmission timer.
    pub fn set_retrans_time(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), icmp::RETRANS_TM, v);
    }

    /// NA: sets the flags and clears the reserved bits.
    pub fn set_neighbor_flags(&mut self, v: NeighborFlags) {
        let b = self.buffer.as_mut();
        b[icmp::NEIGH_FLAGS] = v.bits() & 0xe0;
        b[icmp::NEIGH_FLAGS + 1..icmp::NEIGH_FLAGS + 4].fill(0);
    }

    /// NS, NA, redirect: sets the target address.
    pub fn set_target_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[icmp::TARGET_ADDR].copy_from_slice(&a.octets());
    }

    /// Redirect: sets the destination address.
    pub fn set_destination_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[icmp::DEST_ADDR].copy_from_slice(&a.octets());
    }
}

// ===== options =====

enum_with_unknown! {
    /// Neighbour discovery option type (RFC 4861 §4.6, IANA "IPv6 ND Option Formats").
    pub enum NdiscOptionType(u8) {
        /// Source link-layer address.
        SourceLinkLayerAddr = 1 => "sll",
        /// Target link-layer address.
        TargetLinkLayerAddr = 2 => "tll",
        /// Prefix information.
        PrefixInformation = 3 => "prefix",
        /// Redirected header.
        RedirectedHeader = 4 => "redirected",
        /// MTU.
        Mtu = 5 => "mtu",
    }
    unknown = "opt-{}";
}

mod field {
    use crate::field::Field;

    pub const TYPE: usize = 0;
    pub const LENGTH: usize = 1;
    pub const DATA: usize = 2;
    // Link-layer address.
    pub const LL_ADDR: Field = 2..8;
    // Prefix information.
    pub const PREFIX_LEN: usize = 2;
    pub const PREFIX_FLAGS: usize = 3;
    pub const VALID_LT: Field = 4..8;
    pub const PREF_LT: Field = 8..12;
    pub const PREF_RESERVED: Field = 12..16;
    pub const PREFIX: Field = 16..32;
    // MTU.
    pub const MTU_RESERVED: Field = 2..4;
    pub const MTU: Field = 4..8;
    // Redirected header (6 reserved bytes, then the packet).
    pub const REDIR_HEADER: usize = 8;
}

/// Length of a link-layer address option for Ethernet, or of an MTU option.
pub const LL_ADDR_OPTION_LEN: usize = 8;
/// Length of a prefix information option.
pub const PREFIX_OPTION_LEN: usize = field::PREFIX.end;

/// A read/write view of one neighbour discovery option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdiscOptionPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdiscOptionPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> NdiscOptionPacket<T> {
        NdiscOptionPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<NdiscOptionPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the option's announced length fits and is right for its type.
    ///
    /// # Errors
    /// [`WireError::Truncated`]; [`WireError::Malformed`] for a zero length (RFC 4861 §4.6:
    /// such packets are discarded) or a prefix information option shorter than 32 bytes.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(field::DATA, len)?;
        let opt_len = self.option_len();
        if opt_len == 0 {
            return Err(WireError::Malformed("ND option with zero length"));
        }
        WireError::check(opt_len, len)?;
        if self.option_type() == NdiscOptionType::PrefixInformation && opt_len < PREFIX_OPTION_LEN {
            return Err(WireError::Malformed(
                "ND prefix information option shorter than 32 bytes",
            ));
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Option type.
    pub fn option_type(&self) -> NdiscOptionType {
        self.buffer.as_ref()[field::TYPE].into()
    }

    /// Length of the whole option in bytes (the length field × 8).
    pub fn option_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::LENGTH]) * 8
    }

    /// Link-layer address (source/target link-layer address options).
    pub fn link_layer_addr(&self) -> MacAddr {
        MacAddr(read_array(self.buffer.as_ref(), field::LL_ADDR))
    }

    /// Prefix length (prefix information).
    pub fn prefix_len(&self) -> u8 {
        self.buffer.as_ref()[field::PREFIX_LEN]
    }

    /// Flags (prefix information).
    pub fn prefix_flags(&self) -> PrefixInfoFlags {
        PrefixInfoFlags(self.buffer.as_ref()[field::PREFIX_FLAGS])
    }

    /// Valid lifetime in seconds (prefix information).
    pub fn valid_lifetime(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VALID_LT)
    }

    /// Preferred lifetime in seconds (prefix information).
    pub fn preferred_lifetime(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::PREF_LT)
    }

    /// The prefix (prefix information).
    pub fn prefix(&self) -> Ipv6Addr {
        Ipv6Addr::from(read_array::<16>(self.buffer.as_ref(), field::PREFIX))
    }

    /// MTU (MTU option).
    pub fn mtu(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::MTU)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> NdiscOptionPacket<&'a T> {
    /// The option's bytes after type and length.
    pub fn data(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA..self.option_len()]
    }

    /// The invoking packet (redirected header option).
    pub fn redirected_header(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::REDIR_HEADER..self.option_len()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> NdiscOptionPacket<T> {
    /// Sets the option type.
    pub fn set_option_type(&mut self, v: NdiscOptionType) {
        self.buffer.as_mut()[field::TYPE] = v.into();
    }

    /// Sets the length field from a length in bytes (a multiple of 8).
    pub fn set_option_len(&mut self, bytes: usize) {
        self.buffer.as_mut()[field::LENGTH] = (bytes / 8) as u8;
    }

    /// Sets the link-layer address.
    pub fn set_link_layer_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::LL_ADDR].copy_from_slice(&a.0);
    }

    /// Sets the prefix length.
    pub fn set_prefix_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::PREFIX_LEN] = v;
    }

    /// Sets the prefix flags.
    pub fn set_prefix_flags(&mut self, v: PrefixInfoFlags) {
        self.buffer.as_mut()[field::PREFIX_FLAGS] = v.bits();
    }

    /// Sets the valid lifetime.
    pub fn set_valid_lifetime(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::VALID_LT, v);
    }

    /// Sets the preferred lifetime.
    pub fn set_preferred_lifetime(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::PREF_LT, v);
    }

    /// Clears the reserved word of a prefix information option.
    pub fn clear_prefix_reserved(&mut self) {
        write_u32(self.buffer.as_mut(), field::PREF_RESERVED, 0);
    }

    /// Sets the prefix.
    pub fn set_prefix(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::PREFIX].copy_from_slice(&a.octets());
    }

    /// Sets the MTU (and clears the reserved bytes before it).
    pub fn set_mtu(&mut self, v: u32) {
        write_u16(self.buffer.as_mut(), field::MTU_RESERVED, 0);
        write_u32(self.buffer.as_mut(), field::MTU, v);
    }

    /// The option's bytes after type and length, for writing.
    pub fn data_mut(&mut self) -> &mut [u8] {
        let end = self.option_len();
        &mut self.buffer.as_mut()[field::DATA..end]
    }
}

/// The content of a prefix information option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrefixInfo {
    /// Prefix length in bits.
    pub prefix_len: u8,
    /// On-link and autonomous flags.
    pub flags: PrefixInfoFlags,
    /// Valid lifetime in seconds.
    pub valid_lifetime: u32,
    /// Preferred lifetime in seconds.
    pub preferred_lifetime: u32,
    /// The prefix (bits past `prefix_len` should be zero).
    pub prefix: Ipv6Addr,
}

impl PrefixInfo {
    /// FAUCET's prefix option for a VIP subnet: L and A set, valid 86400 s, preferred 14400 s.
    pub const fn faucet(prefix: Ipv6Addr, prefix_len: u8) -> PrefixInfo {
        PrefixInfo {
            prefix_len,
            flags: PrefixInfoFlags(PrefixInfoFlags::ON_LINK.0 | PrefixInfoFlags::ADDRCONF.0),
            valid_lifetime: 86400,
            preferred_lifetime: 14400,
            prefix,
        }
    }
}

/// The content of one neighbour discovery option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdiscOption<'a> {
    /// Source link-layer address.
    SourceLinkLayerAddr(MacAddr),
    /// Target link-layer address.
    TargetLinkLayerAddr(MacAddr),
    /// Prefix information.
    PrefixInformation(PrefixInfo),
    /// Redirected header (the invoking packet).
    RedirectedHeader(&'a [u8]),
    /// MTU.
    Mtu(u32),
    /// Another type (or a link-layer address option longer than Ethernet's), kept.
    Unknown {
        /// Option type.
        option_type: u8,
        /// The bytes after type and length.
        data: &'a [u8],
    },
}

impl<'a> NdiscOption<'a> {
    /// Reads an option.
    ///
    /// # Errors
    /// As [`NdiscOptionPacket::check_len`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        opt: &NdiscOptionPacket<&'a T>,
    ) -> WireResult<NdiscOption<'a>> {
        opt.check_len()?;
        let len = opt.option_len();
        Ok(match opt.option_type() {
            NdiscOptionType::SourceLinkLayerAddr if len == LL_ADDR_OPTION_LEN => {
                NdiscOption::SourceLinkLayerAddr(opt.link_layer_addr())
            }
            NdiscOptionType::TargetLinkLayerAddr if len == LL_ADDR_OPTION_LEN => {
                NdiscOption::TargetLinkLayerAddr(opt.link_layer_addr())
            }
            NdiscOptionType::PrefixInformation => NdiscOption::PrefixInformation(PrefixInfo {
                prefix_len: opt.prefix_len(),
                flags: opt.prefix_flags(),
                valid_lifetime: opt.valid_lifetime(),
                preferred_lifetime: opt.preferred_lifetime(),
                prefix: opt.prefix(),
            }),
            NdiscOptionType::RedirectedHeader if len >= field::REDIR_HEADER => {
                NdiscOption::RedirectedHeader(opt.redirected_header())
            }
            NdiscOptionType::Mtu if len == LL_ADDR_OPTION_LEN => NdiscOption::Mtu(opt.mtu()),
            ty => NdiscOption::Unknown {
                option_type: ty.into(),
                data: opt.data(),
            },
        })
    }

    /// Length of the option this emits (padded to a multiple of 8).
    pub const fn buffer_len(&self) -> usize {
        match self {
            NdiscOption::SourceLinkLayerAddr(_)
            | NdiscOption::TargetLinkLayerAddr(_)
            | NdiscOption::Mtu(_) => LL_ADDR_OPTION_LEN,
            NdiscOption::PrefixInformation(_) => PREFIX_OPTION_LEN,
            NdiscOption::RedirectedHeader(h) => (field::REDIR_HEADER + h.len()).div_ceil(8) * 8,
            NdiscOption::Unknown { data, .. } => (field::DATA + data.len()).div_ceil(8) * 8,
        }
    }

    /// Writes the option (padding with zeros).
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len), or the option is longer
    /// than 2040 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, opt: &mut NdiscOptionPacket<T>) {
        let len = self.buffer_len();
        assert!(len <= 255 * 8, "ND option of {len} bytes");
        opt.set_option_len(len);
        match *self {
            NdiscOption::SourceLinkLayerAddr(a) => {
                opt.set_option_type(NdiscOptionType::SourceLinkLayerAddr);
                opt.set_link_layer_addr(a);
            }
            NdiscOption::TargetLinkLayerAddr(a) => {
                opt.set_option_type(NdiscOptionType::TargetLinkLayerAddr);
                opt.set_link_layer_addr(a);
            }
            NdiscOption::PrefixInformation(p) => {
                opt.set_option_type(NdiscOptionType::PrefixInformation);
                opt.set_prefix_len(p.prefix_len);
                opt.set_prefix_flags(p.flags);
                opt.set_valid_lifetime(p.valid_lifetime);
                opt.set_preferred_lifetime(p.preferred_lifetime);
                opt.clear_prefix_reserved();
                opt.set_prefix(p.prefix);
            }
            NdiscOption::RedirectedHeader(h) => {
                opt.set_option_type(NdiscOptionType::RedirectedHeader);
                let data = opt.data_mut();
                data.fill(0);
                data[field::REDIR_HEADER - field::DATA..][..h.len()].copy_from_slice(h);
            }
            NdiscOption::Mtu(m) => {
                opt.set_option_type(NdiscOptionType::Mtu);
                opt.set_mtu(m);
            }
            NdiscOption::Unknown { option_type, data } => {
                opt.set_option_type(option_type.into());
                let out = opt.data_mut();
                out.fill(0);
                out[..data.len()].copy_from_slice(data);
            }
        }
    }
}

/// The options in a neighbour discovery message, read one by one. After an error it yields
/// nothing more.
#[derive(Debug, Clone)]
pub struct NdiscOptions<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> NdiscOptions<'a> {
    /// The options in `bytes` (the payload of an RS, RA, NS, NA or redirect). Errors count
    /// bytes from the start of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> NdiscOptions<'a> {
        NdiscOptions {
            rest: bytes,
            offset: 0,
        }
    }
}

impl<'a> Iterator for NdiscOptions<'a> {
    type Item = WireResult<NdiscOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let opt = NdiscOptionPacket::new_unchecked(self.rest);
        match NdiscOption::parse(&opt) {
            Ok(o) => {
                self.offset += opt.option_len();
                self.rest = &self.rest[opt.option_len()..];
                Some(Ok(o))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(match e {
                    WireError::Truncated { need, have } => WireError::Truncated {
                        need: need + self.offset,
                        have: have + self.offset,
                    },
                    other => other,
                }))
            }
        }
    }
}

/// The prefixes of a router advertisement: a slice when building one, or the options of a
/// parsed one (read lazily, so parsing allocates nothing). Two lists are equal when they
/// hold the same prefixes in the same order.
#[derive(Clone, Copy)]
pub enum PrefixList<'a> {
    /// Prefixes given by the caller.
    Slice(&'a [PrefixInfo]),
    /// The (already validated) options of a parsed message; non-prefix options are skipped.
    Options(&'a [u8]),
}

impl<'a> PrefixList<'a> {
    /// The prefixes in order.
    pub fn iter(&self) -> impl Iterator<Item = PrefixInfo> + 'a {
        let (slice, opts): (&'a [PrefixInfo], &'a [u8]) = match *self {
            PrefixList::Slice(s) => (s, &[]),
            PrefixList::Options(o) => (&[], o),
        };
        slice
            .iter()
            .copied()
            .chain(NdiscOptions::new(opts).filter_map(|o| match o {
                Ok(NdiscOption::PrefixInformation(p)) => Some(p),
                _ => None,
            }))
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl PartialEq for PrefixList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for PrefixList<'_> {}

impl fmt::Debug for PrefixList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// ===== messages =====

/// The content of a neighbour discovery message. Options other than those named here are
/// skipped (RFC 4861 §4.6: receivers ignore options they do not know); a link-layer address
/// is the first option of the right kind (source for RS/RA/NS, target for NA/redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdiscRepr<'a> {
    /// Router solicitation.
    RouterSolicit {
        /// Source link-layer address option.
        lladdr: Option<MacAddr>,
    },
    /// Router advertisement.
    RouterAdvert {
        /// Hop limit hosts should use (0: unspecified).
        hop_limit: u8,
        /// M and O flags.
        flags: RouterFlags,
        /// Router lifetime in seconds (0: not a default router).
        router_lifetime: u16,
        /// Reachable time in milliseconds (0: unspecified).
        reachable_time: u32,
        /// Retransmission timer in milliseconds (0: unspecified).
        retrans_time: u32,
        /// Source link-layer address option.
        lladdr: Option<MacAddr>,
        /// MTU option.
        mtu: Option<u32>,
        /// Prefix information options.
        prefixes: PrefixList<'a>,
    },
    /// Neighbour solicitation.
    NeighborSolicit {
        /// The address being resolved.
        target_addr: Ipv6Addr,
        /// Source link-layer address option.
        lladdr: Option<MacAddr>,
    },
    /// Neighbour advertisement.
    NeighborAdvert {
        /// R, S and O flags.
        flags: NeighborFlags,
        /// The address advertised.
        target_addr: Ipv6Addr,
        /// Target link-layer address option.
        lladdr: Option<MacAddr>,
    },
    /// Redirect.
    Redirect {
        /// The better first hop.
        target_addr: Ipv6Addr,
        /// The destination redirected.
        dest_addr: Ipv6Addr,
        /// Target link-layer address option.
        lladdr: Option<MacAddr>,
    },
}

impl<'a> NdiscRepr<'a> {
    /// Reads a neighbour discovery message (the checksum is checked by
    /// [`Icmpv6Repr::parse`](crate::Icmpv6Repr::parse)). `Ok(None)` if the type is not one.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] for a bad option.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv6Packet<&'a T>,
    ) -> WireResult<Option<NdiscRepr<'a>>> {
        packet.check_len()?;
        let options = packet.payload();
        let (mut sll, mut tll, mut mtu) = (None, None, None);
        for opt in NdiscOptions::new(options) {
            match opt? {
                NdiscOption::SourceLinkLayerAddr(a) => {
                    sll.get_or_insert(a);
                }
                NdiscOption::TargetLinkLayerAddr(a) => {
                    tll.get_or_insert(a);
                }
                NdiscOption::Mtu(m) => {
                    mtu.get_or_insert(m);
                }
                _ => {}
            }
        }
        Ok(Some(match packet.msg_type() {
            Icmpv6Message::RouterSolicit => NdiscRepr::RouterSolicit { lladdr: sll },
            Icmpv6Message::RouterAdvert => NdiscRepr::RouterAdvert {
                hop_limit: packet.current_hop_limit(),
                flags: packet.router_flags(),
                router_lifetime: packet.router_lifetime(),
                reachable_time: packet.reachable_time(),
                retrans_time: packet.retrans_time(),
                lladdr: sll,
                mtu,
                prefixes: PrefixList::Options(options),
            },
            Icmpv6Message::NeighborSolicit => NdiscRepr::NeighborSolicit {
                target_addr: packet.target_addr(),
                lladdr: sll,
            },
            Icmpv6Message::NeighborAdvert => NdiscRepr::NeighborAdvert {
                flags: packet.neighbor_flags(),
                target_addr: packet.target_addr(),
                lladdr: tll,
            },
            Icmpv6Message::Redirect => NdiscRepr::Redirect {
                target_addr: packet.target_addr(),
                dest_addr: packet.destination_addr(),
                lladdr: tll,
            },
            _ => return Ok(None),
        }))
    }

    /// The message type.
    pub const fn msg_type(&self) -> Icmpv6Message {
        match self {
            NdiscRepr::RouterSolicit { .. } => Icmpv6Message::RouterSolicit,
            NdiscRepr::RouterAdvert { .. } => Icmpv6Message::RouterAdvert,
            NdiscRepr::NeighborSolicit { .. } => Icmpv6Message::NeighborSolicit,
            NdiscRepr::NeighborAdvert { .. } => Icmpv6Message::NeighborAdvert,
            NdiscRepr::Redirect { .. } => Icmpv6Message::Redirect,
        }
    }

    const fn lladdr(&self) -> Option<MacAddr> {
        match *self {
            NdiscRepr::RouterSolicit { lladdr }
            | NdiscRepr::RouterAdvert { lladdr, .. }
            | NdiscRepr::NeighborSolicit { lladdr, .. }
            | NdiscRepr::NeighborAdvert { lladdr, .. }
            | NdiscRepr::Redirect { lladdr, .. } => lladdr,
        }
    }

    /// Length of the ICMPv6 message this emits.
    pub fn buffer_len(&self) -> usize {
        let ll = if self.lladdr().is_some() {
            LL_ADDR_OPTION_LEN
        } else {
            0
        };
        let extra = match self {
            NdiscRepr::RouterAdvert { mtu, prefixes, .. } => {
                mtu.map_or(0, |_| LL_ADDR_OPTION_LEN) + prefixes.len() * PREFIX_OPTION_LEN
            }
            _ => 0,
        };
        self.msg_type().header_len() + ll + extra
    }

    /// Writes the message (type, code, body and options; options in FAUCET's order: prefixes,
    /// MTU, link-layer address). The caller fills the checksum, as
    /// [`Icmpv6Repr::emit`](crate::Icmpv6Repr::emit) does.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv6Packet<T>) {
        packet.set_msg_type(self.msg_type());
        packet.set_msg_code(0);
        let mut ll_kind = NdiscOption::SourceLinkLayerAddr as fn(MacAddr) -> NdiscOption<'a>;
        match *self {
            NdiscRepr::RouterSolicit { .. } => packet.set_unused(0),
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                ..
            } => {
                packet.set_current_hop_limit(hop_limit);
                packet.set_router_flags(flags);
                packet.set_router_lifetime(router_lifetime);
                packet.set_reachable_time(reachable_time);
                packet.set_retrans_time(retrans_time);
            }
            NdiscRepr::NeighborSolicit { target_addr, .. } => {
                packet.set_unused(0);
                packet.set_target_addr(target_addr);
            }
            NdiscRepr::NeighborAdvert {
                flags, target_addr, ..
            } => {
                packet.set_neighbor_flags(flags);
                packet.set_target_addr(target_addr);
                ll_kind = NdiscOption::TargetLinkLayerAddr;
            }
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                ..
            } => {
                packet.set_unused(0);
                packet.set_target_addr(target_addr);
                packet.set_destination_addr(dest_addr);
                ll_kind = NdiscOption::TargetLinkLayerAddr;
            }
        }
        let mut out = packet.payload_mut();
        let mut put = |opt: NdiscOption<'_>| {
            let len = opt.buffer_len();
            let (head, tail) = std::mem::take(&mut out).split_at_mut(len);
            opt.emit(&mut NdiscOptionPacket::new_unchecked(head));
            out = tail;
        };
        if let NdiscRepr::RouterAdvert { mtu, prefixes, .. } = self {
            for p in prefixes.iter() {
                put(NdiscOption::PrefixInformation(p));
            }
            if let Some(m) = mtu {
                put(NdiscOption::Mtu(*m));
            }
        }
        if let Some(a) = self.lladdr() {
            put(ll_kind(a));
        }
    }
}

impl fmt::Display for NdiscRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.msg_type())?;
        match self {
            NdiscRepr::RouterSolicit { .. } => {}
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                mtu,
                prefixes,
                ..
            } => {
                write!(
                    f,
                    " hop_limit={hop_limit} flags={flags} lifetime={router_lifetime}"
                )?;
                if let Some(m) = mtu {
                    write!(f, " mtu={m}")?;
                }
                for p in prefixes.iter() {
                    write!(f, " prefix={}/{}", p.prefix, p.prefix_len)?;
                }
            }
            NdiscRepr::NeighborSolicit { target_addr, .. } => write!(f, " target={target_addr}")?,
            NdiscRepr::NeighborAdvert {
                flags, target_addr, ..
            } => write!(f, " target={target_addr} flags={flags}")?,
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                ..
            } => write!(f, " target={target_addr} dest={dest_addr}")?,
        }
        if let Some(a) = self.lladdr() {
            write!(f, " lladdr={a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Icmpv6Repr;

    // A neighbour solicitation from a Linux namespace: fc00::1 asks for fc00::2, sent to
    // ff02::1:ff00:2 (captured on a veth, and identically on an OVS trunk with a VLAN tag).
    static NS_BYTES: [u8; 32] = [
        0x87, 0x00, 0x73, 0x8e, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x0e, 0x00, 0x00, 0x00,
        0x00, 0x0a,
    ];

    // The Linux neighbour advertisement that answered (fc00::2 -> fc00::1, flags S|O).
    static NA_BYTES: [u8; 32] = [
        0x88, 0x00, 0x13, 0x91, 0x60, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x0e, 0x00, 0x00, 0x00,
        0x00, 0x0b,
    ];

    // A Linux router solicitation (fe80::c00:ff:fe00:a -> ff02::2).
    static RS_BYTES: [u8; 16] = [
        0x85, 0x00, 0x63, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x0e, 0x00, 0x00, 0x00, 0x00,
        0x0a,
    ];

    // FAUCET's router advertisement (valve_packet.router_advert, os-ken) from fe80::1 to
    // ff02::1 for VIPs fc00::1/64 and fe80::1/64.
    static FAUCET_RA_BYTES: [u8; 88] = [
        0x86, 0x00, 0x90, 0x4f, 0x40, 0x00, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x03, 0x04, 0x40, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0x00, 0x00,
        0x00, 0x00, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x03, 0x04, 0x40, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40,
        0x00, 0x00, 0x00, 0x00, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    fn addr(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    const A: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0a]);
    const B: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0b]);
    const FAUCET: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x01]);

    fn faucet_prefixes() -> [PrefixInfo; 2] {
        [
            PrefixInfo::faucet(addr("fc00::"), 64),
            PrefixInfo::faucet(addr("fe80::"), 64),
        ]
    }

    fn parse<'a>(bytes: &'a [u8], src: &str, dst: &str) -> Icmpv6Repr<'a> {
        Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(bytes), &addr(src), &addr(dst)).unwrap()
    }

    #[test]
    fn deconstruct() {
        let p = Icmpv6Packet::new_checked(&NS_BYTES[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::NeighborSolicit);
        assert_eq!(p.target_addr(), addr("fc00::2"));
        let opt = NdiscOptionPacket::new_checked(p.payload()).unwrap();
        assert_eq!(opt.option_type(), NdiscOptionType::SourceLinkLayerAddr);
        assert_eq!(opt.option_len(), 8);
        assert_eq!(opt.link_layer_addr(), A);

        let p = Icmpv6Packet::new_checked(&NA_BYTES[..]).unwrap();
        assert_eq!(
            p.neighbor_flags(),
            NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE
        );
        assert_eq!(p.target_addr(), addr("fc00::2"));

        let p = Icmpv6Packet::new_checked(&FAUCET_RA_BYTES[..]).unwrap();
        assert_eq!(p.current_hop_limit(), 64);
        assert_eq!(p.router_flags(), RouterFlags::empty());
        assert_eq!(p.router_lifetime(), 1800);
        assert_eq!((p.reachable_time(), p.retrans_time()), (0, 0));
        let opt = NdiscOptionPacket::new_checked(p.payload()).unwrap();
        assert_eq!(opt.option_type(), NdiscOptionType::PrefixInformation);
        assert_eq!(opt.prefix_len(), 64);
        assert_eq!(
            opt.prefix_flags(),
            PrefixInfoFlags::ON_LINK | PrefixInfoFlags::ADDRCONF
        );
        assert_eq!(opt.valid_lifetime(), 86400);
        assert_eq!(opt.preferred_lifetime(), 14400);
        assert_eq!(opt.prefix(), addr("fc00::"));
        let opts: Vec<_> = NdiscOptions::new(p.payload()).collect();
        assert_eq!(opts.len(), 3);
        assert_eq!(opts[2], Ok(NdiscOption::SourceLinkLayerAddr(FAUCET)));
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 32];
        let mut p = Icmpv6Packet::new_unchecked(&mut bytes);
        p.set_msg_type(Icmpv6Message::NeighborAdvert);
        p.set_msg_code(0);
        p.set_neighbor_flags(NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE);
        p.set_target_addr(addr("fc00::2"));
        let mut opt = NdiscOptionPacket::new_unchecked(p.payload_mut());
        opt.set_option_type(NdiscOptionType::TargetLinkLayerAddr);
        opt.set_option_len(8);
        opt.set_link_layer_addr(B);
        p.fill_checksum(&addr("fc00::2"), &addr("fc00::1"));
        assert_eq!(bytes, NA_BYTES);
    }

    #[test]
    fn parse_messages() {
        assert_eq!(
            parse(&NS_BYTES, "fc00::1", "ff02::1:ff00:2"),
            Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr: addr("fc00::2"),
                lladdr: Some(A),
            })
        );
        assert_eq!(
            parse(&NA_BYTES, "fc00::2", "fc00::1"),
            Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                flags: NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
                target_addr: addr("fc00::2"),
                lladdr: Some(B),
            })
        );
        assert_eq!(
            parse(&RS_BYTES, "fe80::c00:ff:fe00:a", "ff02::2"),
            Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { lladdr: Some(A) })
        );
        let prefixes = faucet_prefixes();
        let ra = parse(&FAUCET_RA_BYTES, "fe80::1", "ff02::1");
        assert_eq!(
            ra,
            Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
                hop_limit: 64,
                flags: RouterFlags::empty(),
                router_lifetime: 1800,
                reachable_time: 0,
                retrans_time: 0,
                lladdr: Some(FAUCET),
                mtu: None,
                prefixes: PrefixList::Slice(&prefixes),
            })
        );
        assert_eq!(
            ra.to_string(),
            "ICMPv6 router-advert hop_limit=64 flags=0 lifetime=1800 prefix=fc00::/64 \
             prefix=fe80::/64 lladdr=0e:00:00:00:00:01"
        );
    }

    #[test]
    fn emit() {
        let check = |repr: NdiscRepr<'_>, src: &str, dst: &str, want: &[u8]| {
            let repr = Icmpv6Repr::Ndisc(repr);
            let mut bytes = vec![0xa5u8; repr.buffer_len()];
            repr.emit(
                &addr(src),
                &addr(dst),
                &mut Icmpv6Packet::new_unchecked(&mut bytes),
            );
            assert_eq!(bytes, want);
        };
        check(
            NdiscRepr::NeighborSolicit {
                target_addr: addr("fc00::2"),
                lladdr: Some(A),
            },
            "fc00::1",
            "ff02::1:ff00:2",
            &NS_BYTES,
        );
        check(
            NdiscRepr::NeighborAdvert {
                flags: NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
                target_addr: addr("fc00::2"),
                lladdr: Some(B),
            },
            "fc00::2",
            "fc00::1",
            &NA_BYTES,
        );
        check(
            NdiscRepr::RouterSolicit { lladdr: Some(A) },
            "fe80::c00:ff:fe00:a",
            "ff02::2",
            &RS_BYTES,
        );
        let prefixes = faucet_prefixes();
        check(
            NdiscRepr::RouterAdvert {
                hop_limit: 64,
                flags: RouterFlags::empty(),
                router_lifetime: 1800,
                reachable_time: 0,
                retrans_time: 0,
                lladdr: Some(FAUCET),
                mtu: None,
                prefixes: PrefixList::Slice(&prefixes),
            },
            "fe80::1",
            "ff02::1",
            &FAUCET_RA_BYTES,
        );
    }

    #[test]
    fn bad_options_and_round_trips() {
        let src = addr("fe80::1");
        let dst = addr("ff02::1");
        // Zero-length option.
        let mut bytes = RS_BYTES;
        bytes[9] = 0;
        let mut p = Icmpv6Packet::new_unchecked(&mut bytes[..]);
        p.fill_checksum(&src, &dst);
        assert_eq!(
            Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&bytes[..]), &src, &dst),
            Err(WireError::Malformed("ND option with zero length"))
        );
        // Option running past the end.
        let mut bytes = RS_BYTES;
        bytes[9] = 2;
        let mut p = Icmpv6Packet::new_unchecked(&mut bytes[..]);
        p.fill_checksum(&src, &dst);
        assert_eq!(
            Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&bytes[..]), &src, &dst),
            Err(WireError::Truncated { need: 16, have: 8 })
        );
        // Redirect, MTU and unknown options round-trip.
        let redirect = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
            target_addr: addr("fe80::2"),
            dest_addr: addr("2001:db8::5"),
            lladdr: Some(B),
        });
        let ra = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 0,
            flags: RouterFlags::MANAGED,
            router_lifetime: 0,
            reachable_time: 30000,
            retrans_time: 1000,
            lladdr: None,
            mtu: Some(1500),
            prefixes: PrefixList::Slice(&[]),
        });
        for repr in [redirect, ra] {
            let mut bytes = vec![0u8; repr.buffer_len()];
            repr.emit(&src, &dst, &mut Icmpv6Packet::new_unchecked(&mut bytes));
            assert_eq!(
                Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&bytes[..]), &src, &dst),
                Ok(repr)
            );
        }
        let unknown = NdiscOption::Unknown {
            option_type: 14,
            data: &[1, 2, 3, 4, 5, 6],
        };
        let mut bytes = vec![0u8; unknown.buffer_len()];
        unknown.emit(&mut NdiscOptionPacket::new_unchecked(&mut bytes));
        assert_eq!(
            NdiscOption::parse(&NdiscOptionPacket::new_unchecked(&bytes[..])),
            Ok(unknown)
        );
        let short_prefix = [3u8, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            NdiscOptionPacket::new_checked(&short_prefix[..]),
            Err(WireError::Malformed(
                "ND prefix information option shorter than 32 bytes"
            ))
        );
    }
}
