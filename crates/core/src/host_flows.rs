//! The flows a learned host gets, built as FAUCET builds them, and sent from templates.
//!
//! A host learned on port P in VLAN V with MAC M gets two flows (three on a hairpin port):
//!
//! ```text
//!  eth_src:         {in_port=P, eth_src=M, vlan_vid=V} -> goto eth_dst   hard_timeout
//!  eth_dst:         {eth_dst=M, vlan_vid=V} -> [pop_vlan,] output:P      idle_timeout
//!  eth_dst_hairpin: {in_port=P, eth_dst=M, vlan_vid=V} -> [pop_vlan,] output:IN_PORT
//! ```
//!
//! A destination on a mirrored port also outputs to the port's mirrors, and to the groups of
//! its remote mirrors (after the tag is popped: the copy is what the host sees); with the
//! egress pipeline, a destination flow writes the port and VLAN into the metadata and goes to
//! the egress tables instead of outputting (see [`crate::pipeline::egress`]).
//!
//! Learning is the controller's hottest path, so each of these is encoded once per DP with
//! placeholder values (through the same typed encoder as every other message) and, per
//! packet-in, copied and filled in at fixed places: a copy of about a hundred bytes and a few
//! stores instead of building, moving and encoding a typed message. The typed builders stay
//! the reference: the tests check that a filled-in template is byte for byte what the typed
//! encoder makes. Destinations on mirrored ports and destinations through the egress pipeline
//! are rarer, and are sent from the typed builders.

use sluice_config::{Dp, Vid};
use sluice_ofp::msg::flow::FlowMod;
use sluice_ofp::oxm::{OxmField, OxmKind};
use sluice_ofp::{Action, Encoded, Instruction, Match, Message, PortNo};
use sluice_wire::MacAddr;

use crate::fxhash::FxHashMap;
use crate::pipeline::compile::vid_present;
use crate::pipeline::{FlowKey, Layout, Table, egress, priority, remote_mirror};

/// Where `ofp_flow_mod`'s fields sit in the encoded message (OpenFlow 1.3.5 §7.3.4.1).
const IDLE_TIMEOUT_AT: usize = 26;
const HARD_TIMEOUT_AT: usize = 28;
/// `struct ofp_match` starts here; its OXM fields 4 bytes later.
const MATCH_AT: usize = 48;
const OXM_AT: usize = MATCH_AT + 4;
/// In the instructions: an APPLY_ACTIONS header is 8 bytes, a POP_VLAN action 8, and an
/// OUTPUT action's port follows its 4-byte type and length.
const APPLY_ACTIONS_LEN: usize = 8;
const POP_VLAN_LEN: usize = 8;
const OUTPUT_PORT_AT: usize = 4;

/// One learned-host flow, encoded with placeholders, and where its values go.
#[derive(Debug, Clone)]
struct Template {
    bytes: Vec<u8>,
    in_port: Option<usize>,
    mac: usize,
    vid: usize,
    out_port: Option<usize>,
}

impl Template {
    /// Encodes `fm` (built with any values) and records where `fm`'s match fields and, when
    /// it outputs to a port, the output port are.
    fn new(fm: FlowMod, out_port: bool, untagged: bool) -> Template {
        let at = |kind: OxmKind| fm.match_.value_at(kind).map(|i| OXM_AT + i);
        let out_port = out_port.then(|| {
            MATCH_AT
                + fm.match_.encoded_len()
                + APPLY_ACTIONS_LEN
                + if untagged { POP_VLAN_LEN } else { 0 }
                + OUTPUT_PORT_AT
        });
        let in_port = at(OxmKind::InPort);
        let mac = at(OxmKind::EthSrc).or_else(|| at(OxmKind::EthDst));
        let vid = at(OxmKind::VlanVid);
        let bytes = Message::FlowMod(fm)
            .to_bytes(0)
            .map(|b| b.to_vec())
            .unwrap_or_default();
        Template {
            bytes,
            in_port,
            // Every learned-host flow matches a MAC and a VLAN (see the builders below).
            mac: mac.unwrap_or(0),
            vid: vid.unwrap_or(0),
            out_port,
        }
    }

    /// Appends a copy with these values.
    fn push(&self, out: &mut Encoded, port: u32, vid: Vid, mac: MacAddr, timeout: (usize, u16)) {
        let f = out.push_template(&self.bytes);
        if let Some(i) = self.in_port {
            f[i..i + 4].copy_from_slice(&port.to_be_bytes());
        }
        f[self.mac..self.mac + 6].copy_from_slice(&mac.0);
        f[self.vid..self.vid + 2].copy_from_slice(&vid_present(vid).to_be_bytes());
        if let Some(i) = self.out_port {
            f[i..i + 4].copy_from_slice(&port.to_be_bytes());
        }
        let (at, secs) = timeout;
        f[at..at + 2].copy_from_slice(&secs.to_be_bytes());
    }
}

/// The learned-host flows of one DP: its tables and cookie, and their templates.
#[derive(Debug, Clone)]
pub struct HostFlows {
    cookie: u64,
    eth_src: u8,
    eth_dst: u8,
    hairpin: Option<u8>,
    /// Where a known source goes next.
    after_src: u8,
    src: Template,
    /// Destination flows for a tagged and an untagged host.
    dst: [Template; 2],
    hairpin_dst: Option<[Template; 2]>,
    /// The output-mirror actions of mirrored ports (outputs to local mirror ports, groups of
    /// remote mirrors), by port.
    mirrors: FxHashMap<u32, Vec<Action>>,
    /// The layout, when destinations go through the egress pipeline.
    egress: Option<Layout>,
}

impl HostFlows {
    /// The learned-host flows for a DP with this table layout and cookie.
    pub fn new(layout: &Layout, cookie: u64) -> HostFlows {
        let mut h = HostFlows {
            cookie,
            eth_src: layout.id(Table::EthSrc),
            eth_dst: layout.id(Table::EthDst),
            hairpin: layout.get(Table::EthDstHairpin),
            after_src: layout.first_of(&[Table::EthDstHairpin, Table::EthDst]),
            src: Template::new(FlowMod::default(), false, false),
            dst: [
                Template::new(FlowMod::default(), false, false),
                Template::new(FlowMod::default(), false, false),
            ],
            hairpin_dst: None,
            mirrors: FxHashMap::default(),
            egress: None,
        };
        let (p, v, m) = (1, Vid(1), MacAddr::ZERO);
        h.src = Template::new(h.src_flow(p, v, m, 0), false, false);
        h.dst = [false, true].map(|u| Template::new(h.dst_flow(p, v, m, u, 0), true, u));
        h.hairpin_dst = h.hairpin.map(|_| {
            [false, true].map(|u| {
                let fm = h.hairpin_flow((p, v, m), u, 0).unwrap_or_default();
                Template::new(fm, false, u)
            })
        });
        h
    }

    /// The learned-host flows of `dp`, whose table layout is `layout`: with its ports'
    /// mirrors and, when it has one, its egress pipeline.
    pub fn for_dp(dp: &Dp, layout: &Layout) -> HostFlows {
        let mut h = HostFlows::new(layout, dp.cookie);
        h.mirrors = dp
            .ports
            .values()
            .filter(|p| p.is_mirrored())
            .map(|p| {
                let to = p
                    .mirror
                    .destinations
                    .iter()
                    .map(|d| Action::output(PortNo(d.0)))
                    .chain(remote_mirror::copy_actions(p))
                    .collect();
                (p.number.0, to)
            })
            .collect();
        h.egress = layout.get(Table::Egress).map(|_| layout.clone());
        h
    }

    /// Whether a destination on `port` is sent from the typed builder (its flow is not the
    /// template's shape).
    fn typed_only(&self, port: u32) -> bool {
        self.egress.is_some() || self.mirrors.contains_key(&port)
    }

    /// A learned source's match: `{in_port, eth_src, vlan}` (canonical order).
    fn src_match(port: u32, vid: Vid, mac: MacAddr) -> Match {
        Match::new()
            .with(OxmField::InPort(PortNo(port)))
            .with(OxmField::EthSrc(mac, None))
            .with(OxmField::VlanVid(vid_present(vid), None))
    }

    /// A learned destination's match: `{eth_dst, vlan}`.
    fn dst_match(vid: Vid, mac: MacAddr) -> Match {
        Match::new()
            .with(OxmField::EthDst(mac, None))
            .with(OxmField::VlanVid(vid_present(vid), None))
    }

    /// A hairpin host's match: `{in_port, eth_dst, vlan}`.
    fn hairpin_match(port: u32, vid: Vid, mac: MacAddr) -> Match {
        Match::new()
            .with(OxmField::InPort(PortNo(port)))
            .with(OxmField::EthDst(mac, None))
            .with(OxmField::VlanVid(vid_present(vid), None))
    }

    /// The actions that deliver a frame for `port` out of `out_port` (the port, or IN_PORT
    /// to hairpin), popping the tag for an untagged port, with the port's mirror outputs
    /// just before.
    fn deliver(&self, port: u32, untagged: bool, out_port: PortNo) -> Vec<Action> {
        let mut actions = Vec::with_capacity(3);
        if untagged {
            actions.push(Action::PopVlan);
        }
        if let Some(m) = self.mirrors.get(&port) {
            actions.extend(m.iter().cloned());
        }
        actions.push(Action::output(out_port));
        actions
    }

    /// A learned source: `{in_port, eth_src, vlan}` → on to the destination tables.
    pub fn src_flow(&self, port: u32, vid: Vid, mac: MacAddr, hard_timeout: u16) -> FlowMod {
        FlowMod {
            cookie: self.cookie,
            table_id: self.eth_src,
            hard_timeout,
            priority: priority::HOST_SRC,
            match_: Self::src_match(port, vid, mac),
            instructions: vec![Instruction::GotoTable(self.after_src)],
            ..FlowMod::default()
        }
    }

    /// A learned destination: `{eth_dst, vlan}` → out of the host's port.
    pub fn dst_flow(
        &self,
        port: u32,
        vid: Vid,
        mac: MacAddr,
        untagged: bool,
        idle_timeout: u16,
    ) -> FlowMod {
        FlowMod {
            cookie: self.cookie,
            table_id: self.eth_dst,
            idle_timeout,
            priority: priority::MATCH,
            match_: Self::dst_match(vid, mac),
            instructions: match &self.egress {
                Some(layout) => egress::to_egress(layout, port, vid).unwrap_or_default(),
                None => vec![Instruction::ApplyActions(self.deliver(
                    port,
                    untagged,
                    PortNo(port),
                ))],
            },
            ..FlowMod::default()
        }
    }

    /// On a hairpin port: a host talking to another host on the same port gets its frames
    /// back out of that port, with the destination flow's idle timeout (as FAUCET). `None`
    /// without a hairpin table.
    pub fn hairpin_flow(
        &self,
        (port, vid, mac): (u32, Vid, MacAddr),
        untagged: bool,
        idle_timeout: u16,
    ) -> Option<FlowMod> {
        Some(FlowMod {
            cookie: self.cookie,
            table_id: self.hairpin?,
            idle_timeout,
            priority: priority::MATCH,
            match_: Self::hairpin_match(port, vid, mac),
            instructions: vec![Instruction::ApplyActions(self.deliver(
                port,
                untagged,
                PortNo::IN_PORT,
            ))],
            ..FlowMod::default()
        })
    }

    /// Appends [`HostFlows::src_flow`] for these values.
    pub fn push_src(&self, out: &mut Encoded, port: u32, vid: Vid, mac: MacAddr, hard: u16) {
        self.src.push(out, port, vid, mac, (HARD_TIMEOUT_AT, hard));
    }

    /// Appends [`HostFlows::dst_flow`] for these values.
    pub fn push_dst(
        &self,
        out: &mut Encoded,
        (port, vid, mac): (u32, Vid, MacAddr),
        untagged: bool,
        idle: u16,
    ) {
        if self.typed_only(port) {
            let fm = self.dst_flow(port, vid, mac, untagged, idle);
            let _ = out.push(&Message::FlowMod(fm));
            return;
        }
        self.dst[usize::from(untagged)].push(out, port, vid, mac, (IDLE_TIMEOUT_AT, idle));
    }

    /// Appends [`HostFlows::hairpin_flow`] for these values, if the DP has a hairpin table.
    pub fn push_hairpin(
        &self,
        out: &mut Encoded,
        (port, vid, mac): (u32, Vid, MacAddr),
        untagged: bool,
        idle: u16,
    ) {
        if self.mirrors.contains_key(&port) {
            if let Some(fm) = self.hairpin_flow((port, vid, mac), untagged, idle) {
                let _ = out.push(&Message::FlowMod(fm));
            }
            return;
        }
        if let Some(t) = &self.hairpin_dst {
            t[usize::from(untagged)].push(out, port, vid, mac, (IDLE_TIMEOUT_AT, idle));
        }
    }

    /// The key of a learned source's flow (to delete it when the host moves).
    pub fn src_key(&self, port: u32, vid: Vid, mac: MacAddr) -> FlowKey {
        FlowKey::new(
            self.eth_src,
            priority::HOST_SRC,
            Self::src_match(port, vid, mac),
        )
    }

    /// The key of a learned destination's flow.
    pub fn dst_key(&self, vid: Vid, mac: MacAddr) -> FlowKey {
        FlowKey::new(self.eth_dst, priority::MATCH, Self::dst_match(vid, mac))
    }

    /// The key of a hairpin host's flow, if the DP has a hairpin table.
    pub fn hairpin_key(&self, port: u32, vid: Vid, mac: MacAddr) -> Option<FlowKey> {
        Some(FlowKey::new(
            self.hairpin?,
            priority::MATCH,
            Self::hairpin_match(port, vid, mac),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_config::load_str;

    fn flows(yaml: &str) -> HostFlows {
        let config = load_str(yaml).expect("valid").config;
        let dp = config.dps.values().next().expect("a DP");
        HostFlows::new(&Layout::for_dp(dp), dp.cookie)
    }

    fn typed(fm: FlowMod) -> Encoded {
        Encoded::from(&[Message::FlowMod(fm)][..])
    }

    #[test]
    fn templates_encode_as_the_typed_flows_do() {
        let hairpin = "vlans: {v: {vid: 100}}\ndps: {s: {dp_id: 1, interfaces: {1: {native_vlan: v, hairpin: true}, 2: {native_vlan: v}}}}";
        let plain =
            "vlans: {v: {vid: 100}}\ndps: {s: {dp_id: 1, interfaces: {1: {native_vlan: v}}}}";
        for h in [flows(hairpin), flows(plain)] {
            let cases = [
                (1, 1, [0x0e, 0, 0, 0, 0, 1], 300),
                (48, 4094, [0x02, 0xff, 0xee, 0xdd, 0xcc, 0xbb], 0),
                (0xffff_ff00, 100, [0xaa; 6], 65535),
            ];
            for (port, vid, mac, t) in cases {
                let (vid, mac) = (Vid(vid), MacAddr(mac));
                let mut e = Encoded::new();
                h.push_src(&mut e, port, vid, mac, t);
                assert_eq!(e, typed(h.src_flow(port, vid, mac, t)));
                for untagged in [false, true] {
                    let mut e = Encoded::new();
                    h.push_dst(&mut e, (port, vid, mac), untagged, t);
                    assert_eq!(e, typed(h.dst_flow(port, vid, mac, untagged, t)));
                    let mut e = Encoded::new();
                    h.push_hairpin(&mut e, (port, vid, mac), untagged, t);
                    match h.hairpin_flow((port, vid, mac), untagged, t) {
                        Some(fm) => assert_eq!(e, typed(fm)),
                        None => assert!(e.is_empty()),
                    }
                }
            }
        }
    }
}
