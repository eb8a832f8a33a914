//! The hot path's bytes: packet-ins built from a template by writing a MAC address into it,
//! and flow mods read by looking only at the fields that say which host they are for.
//!
//! A learn run sends a million packet-ins a second and reads two million flow mods, so
//! neither side goes through the typed codec: a packet-in is a copy of a pre-encoded one with
//! the source MAC (and the xid) written in, and a flow mod is scanned for its command and
//! its `eth_src` / `eth_dst` match fields. Everything else the controller sends is decoded
//! normally.

use std::net::Ipv4Addr;

use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
use sluice_ofp::{Match, Message, OxmField, PortNo};
use sluice_wire::MacAddr;
use sluice_wire::build::{L2, arp_request};
use sluice_wire::vlan::VlanId;

/// The first byte of every host MAC the generator makes: locally administered, unicast.
pub const HOST_MAC_PREFIX: u8 = 0x0e;

/// The MAC of host `host` of emulated switch `switch`: `0e:SS:SS:HH:HH:HH`.
pub fn host_mac(switch: u16, host: u32) -> MacAddr {
    let s = switch.to_be_bytes();
    let h = host.to_be_bytes();
    MacAddr([HOST_MAC_PREFIX, s[0], s[1], h[1], h[2], h[3]])
}

/// The switch and host a MAC made by [`host_mac`] stands for, or `None` for any other MAC.
pub fn parse_host_mac(mac: &[u8]) -> Option<(u16, u32)> {
    match *mac {
        [HOST_MAC_PREFIX, s0, s1, h0, h1, h2] => Some((
            u16::from_be_bytes([s0, s1]),
            u32::from_be_bytes([0, h0, h1, h2]),
        )),
        _ => None,
    }
}

/// Hosts one switch can stand for: the host part of [`host_mac`] has 24 bits.
pub const MAX_HOSTS_PER_SWITCH: u32 = 1 << 24;

/// A PACKET_IN as FAUCET's pipeline sends it to the controller when it meets an unknown
/// source: reason ACTION, from the eth_src table, with the DP's cookie, the in_port in the
/// match, and the frame tagged with the port's VLAN (the vlan table has pushed the tag).
/// The frame is an ARP probe from the new host, to broadcast.
#[derive(Debug, Clone)]
pub struct PacketInTemplate {
    bytes: Vec<u8>,
    /// Where the frame's Ethernet source is.
    eth_src_at: usize,
    /// Where the ARP sender hardware address is.
    arp_sha_at: usize,
}

/// Byte offset of the sender hardware address in an ARP packet.
const ARP_SHA: usize = 8;
/// An Ethernet header with one 802.1Q tag.
const TAGGED_HEADER: usize = 18;

impl PacketInTemplate {
    /// The template for packet-ins on `in_port` in VLAN `vid`, from table `table_id`, with
    /// the flow cookie `cookie`.
    ///
    /// # Errors
    /// A VID outside 1..=4094, or a message too large to encode (neither happens with a
    /// configuration that loaded).
    pub fn new(in_port: u32, vid: u16, table_id: u8, cookie: u64) -> Result<Self, String> {
        let vid = VlanId::new(vid).ok_or_else(|| format!("VLAN {vid} is not a valid VID"))?;
        let l2 = L2::tagged(
            MacAddr([HOST_MAC_PREFIX, 0, 0, 0, 0, 1]),
            MacAddr::BROADCAST,
            vid,
        );
        // An ARP probe (sender IP 0.0.0.0) for an address no configuration routes.
        let data = arp_request(l2, Ipv4Addr::UNSPECIFIED, Ipv4Addr::new(169, 254, 255, 254));
        let frame_len = data.len();
        let msg = Message::PacketIn(PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: u16::try_from(frame_len).map_err(|e| e.to_string())?,
            reason: PacketInReason::Action,
            table_id,
            cookie,
            match_: Match::new().with(OxmField::InPort(PortNo(in_port))),
            data: data.into(),
        });
        let mut bytes = Vec::with_capacity(128);
        msg.encode(0, &mut bytes).map_err(|e| e.to_string())?;
        let data_at = bytes.len() - frame_len;
        Ok(PacketInTemplate {
            bytes,
            eth_src_at: data_at + 6,
            arp_sha_at: data_at + TAGGED_HEADER + ARP_SHA,
        })
    }

    /// Encoded size of one packet-in.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a template is a whole message.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends a packet-in from `mac` with transaction id `xid`.
    pub fn push(&self, out: &mut Vec<u8>, xid: u32, mac: MacAddr) {
        let at = out.len();
        out.extend_from_slice(&self.bytes);
        let msg = &mut out[at..];
        msg[4..8].copy_from_slice(&xid.to_be_bytes());
        msg[self.eth_src_at..self.eth_src_at + 6].copy_from_slice(&mac.0);
        msg[self.arp_sha_at..self.arp_sha_at + 6].copy_from_slice(&mac.0);
    }
}

/// `OFPT_FLOW_MOD`.
pub const FLOW_MOD: u8 = 14;

/// The flow-mod command (`ofp_flow_mod_command`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `OFPFC_ADD`.
    Add,
    /// `OFPFC_MODIFY` or `OFPFC_MODIFY_STRICT`.
    Modify,
    /// `OFPFC_DELETE` or `OFPFC_DELETE_STRICT`.
    Delete,
}

/// What the generator needs to know about a flow mod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowModSummary {
    /// The command.
    pub command: Command,
    /// The table.
    pub table_id: u8,
    /// The `eth_src` match value, when the match has one without a mask.
    pub eth_src: Option<[u8; 6]>,
    /// The `eth_dst` match value, when the match has one without a mask.
    pub eth_dst: Option<[u8; 6]>,
}

/// Offset of the match in `struct ofp_flow_mod`.
const MATCH_AT: usize = 48;
/// `OFPXMC_OPENFLOW_BASIC`.
const OXM_BASIC: u16 = 0x8000;
/// OXM field numbers.
const OXM_ETH_DST: u8 = 3;
const OXM_ETH_SRC: u8 = 4;

/// Reads a whole FLOW_MOD frame's command, table and Ethernet address matches without
/// decoding the rest; `None` if the frame is not a well-formed FLOW_MOD as far as these
/// fields go.
pub fn scan_flow_mod(frame: &[u8]) -> Option<FlowModSummary> {
    if frame.get(1) != Some(&FLOW_MOD) {
        return None;
    }
    let table_id = *frame.get(24)?;
    let command = match *frame.get(25)? {
        0 => Command::Add,
        1 | 2 => Command::Modify,
        3 | 4 => Command::Delete,
        _ => return None,
    };
    let head = frame.get(MATCH_AT..MATCH_AT + 4)?;
    if u16::from_be_bytes([head[0], head[1]]) != 1 {
        return None; // not OFPMT_OXM
    }
    let match_len = usize::from(u16::from_be_bytes([head[2], head[3]]));
    let oxms = frame.get(MATCH_AT + 4..(MATCH_AT + match_len).max(MATCH_AT + 4))?;
    let mut out = FlowModSummary {
        command,
        table_id,
        eth_src: None,
        eth_dst: None,
    };
    let mut rest = oxms;
    while rest.len() >= 4 {
        let class = u16::from_be_bytes([rest[0], rest[1]]);
        let (field, masked, len) = (rest[2] >> 1, rest[2] & 1 == 1, usize::from(rest[3]));
        let value = rest.get(4..4 + len)?;
        if class == OXM_BASIC && !masked && len == 6 {
            let mac: [u8; 6] = value.try_into().ok()?;
            match field {
                OXM_ETH_DST => out.eth_dst = Some(mac),
                OXM_ETH_SRC => out.eth_src = Some(mac),
                _ => {}
            }
        }
        rest = &rest[4 + len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use sluice_ofp::Instruction;
    use sluice_ofp::msg::flow::{FlowMod, FlowModCommand};
    use sluice_wire::PacketMeta;

    #[test]
    fn host_macs_round_trip_and_are_unicast() {
        let mac = host_mac(0x1234, 0xabcdef);
        assert_eq!(mac.0, [0x0e, 0x12, 0x34, 0xab, 0xcd, 0xef]);
        assert!(mac.is_unicast());
        assert_eq!(parse_host_mac(&mac.0), Some((0x1234, 0xabcdef)));
        assert_eq!(parse_host_mac(&[0x0a, 0, 0, 0, 0, 1]), None);
        assert_eq!(parse_host_mac(&[0x0e, 0, 0]), None);
    }

    #[test]
    fn a_packet_in_from_the_template_is_what_faucet_expects() {
        let t = PacketInTemplate::new(7, 100, 1, 0x5adc15c0).unwrap();
        let mut buf = Vec::new();
        let mac = host_mac(3, 42);
        t.push(&mut buf, 99, mac);
        assert_eq!(buf.len(), t.len());
        let (h, msg) = Message::decode_slice(&buf).unwrap();
        assert_eq!(h.xid, 99);
        let Message::PacketIn(pi) = msg else {
            panic!("not a packet-in: {msg}")
        };
        assert_eq!(pi.reason, PacketInReason::Action);
        assert_eq!((pi.table_id, pi.cookie), (1, 0x5adc15c0));
        assert_eq!(pi.in_port(), Some(PortNo(7)));
        let meta = PacketMeta::parse(&pi.data).unwrap();
        assert_eq!(meta.eth_src, mac);
        assert_eq!(meta.vlans.outer().unwrap().vid().get(), 100);
        // The ARP sender address is the new host too, exactly as a fresh build makes it.
        let vid = VlanId::new(100).unwrap();
        let fresh = arp_request(
            L2::tagged(mac, MacAddr::BROADCAST, vid),
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::new(169, 254, 255, 254),
        );
        assert_eq!(&pi.data[..], &fresh[..]);
    }

    fn flow_mod(command: FlowModCommand, m: Match) -> Vec<u8> {
        let fm = FlowMod {
            table_id: 2,
            command,
            match_: m,
            instructions: vec![Instruction::GotoTable(3)],
            ..FlowMod::default()
        };
        Message::FlowMod(fm).to_bytes(5).unwrap().to_vec()
    }

    #[test]
    fn scans_the_host_fields_of_flow_mods() {
        let mac = host_mac(1, 2);
        let src = flow_mod(
            FlowModCommand::Add,
            Match::new()
                .with(OxmField::InPort(PortNo(3)))
                .with(OxmField::VlanVid(0x1064, None))
                .with(OxmField::EthSrc(mac, None)),
        );
        let s = scan_flow_mod(&src).unwrap();
        assert_eq!(s.command, Command::Add);
        assert_eq!(s.table_id, 2);
        assert_eq!((s.eth_src, s.eth_dst), (Some(mac.0), None));

        let dst = flow_mod(
            FlowModCommand::DeleteStrict,
            Match::new().with(OxmField::EthDst(mac, None)),
        );
        let d = scan_flow_mod(&dst).unwrap();
        assert_eq!(d.command, Command::Delete);
        assert_eq!((d.eth_src, d.eth_dst), (None, Some(mac.0)));

        // A masked address is not a host's flow.
        let masked = flow_mod(
            FlowModCommand::Add,
            Match::new().with(OxmField::EthDst(mac, Some(MacAddr::BROADCAST))),
        );
        assert_eq!(scan_flow_mod(&masked).unwrap().eth_dst, None);
    }

    #[test]
    fn scanning_never_panics_on_truncated_or_bad_frames() {
        let mac = host_mac(1, 2);
        let full = flow_mod(
            FlowModCommand::Add,
            Match::new().with(OxmField::EthSrc(mac, None)),
        );
        for n in 0..full.len() {
            let _ = scan_flow_mod(&full[..n]);
        }
        let mut bad = full.clone();
        bad[MATCH_AT + 3] = 0xff; // a match longer than the frame
        assert_eq!(scan_flow_mod(&bad), None);
        let mut bad = full;
        bad[MATCH_AT + 7] = 0xff; // an OXM longer than the match
        assert_eq!(scan_flow_mod(&bad), None);
    }
}
