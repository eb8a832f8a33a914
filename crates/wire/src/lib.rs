//! Packet formats and addresses shared by the OpenFlow codec, the config model and the
//! controller core.
//!
//! Pure: no I/O, no clock, no async runtime. Everything here works on byte slices and plain
//! values, so it can be fuzzed and benchmarked alone.
//!
//! # Layout (smoltcp's `wire` pattern)
//! Each format has a module with:
//! - a zero-copy view `XxxPacket<T: AsRef<[u8]>>` (`EthernetFrame` for Ethernet) made with
//!   `new_unchecked` or `new_checked`. After `check_len` succeeds (which `new_checked` runs),
//!   no getter panics. Setters live in a second `impl` for `T: AsMut<[u8]>`. Byte offsets are
//!   constants in a private `mod field`;
//! - a `XxxRepr`: a small value holding only valid content, with `parse` (view → value),
//!   `buffer_len` and `emit` (value → bytes; it does not panic on a buffer of exactly
//!   `buffer_len()` bytes);
//! - `Display` for both, and the four tests (deconstruct, construct, parse, emit) on real bytes.
//!
//! Unknown numbers (EtherTypes, protocols, TLV types) are kept as `Unknown(n)`, never
//! rejected. Errors say what was wrong: [`WireError::Truncated`] with the lengths, or
//! [`WireError::Malformed`] naming the rule.
//!
//! # For the controller
//! - [`PacketMeta::parse`] reads everything the controller needs from a packet-in in one pass
//!   without allocating (L2 addresses, VLAN tags, EtherType, ARP/IP/ICMP/ND summaries).
//! - [`build`] makes the frames FAUCET sends in packet-outs, byte for byte: LLDP beacons, LACP
//!   replies, ARP and ND requests and replies, router advertisements, ICMP(v6) replies.
//! - [`lldp`] and [`lacp`] read what peers send (FAUCET's own LLDP TLVs included).

mod macros;

pub mod arp;
pub mod build;
pub mod error;
pub mod ethernet;
pub mod field;
pub mod icmpv4;
pub mod icmpv6;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod lacp;
pub mod lldp;
mod mac;
pub mod meta;
pub mod ndisc;
pub mod tcp;
pub mod udp;
pub mod vlan;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use error::{WireError, WireResult};
pub use ethernet::{EtherType, EthernetFrame, EthernetRepr};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Packet, Icmpv6Repr};
pub use ip::IpProtocol;
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use lacp::{LacpPacket, LacpRepr};
pub use lldp::{LldpPacket, LldpRepr};
pub use mac::{MacAddr, ParseMacError};
pub use meta::{L2Meta, PacketMeta};
pub use ndisc::NdiscRepr;
pub use tcp::{TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};
pub use vlan::{VlanId, VlanPacket, VlanRepr, VlanStack, VlanTag};
