//! The Open vSwitch (Nicira) extensions ACLs can use: the NXM match fields FAUCET accepts
//! (`nw_ttl`, `ct_state`, `ct_zone`, `ct_mark`, `ct_label`) and the conntrack actions (`ct`,
//! `ct_clear`, and `nat` inside `ct`), encoded as Open vSwitch reads them in OpenFlow 1.3.
//!
//! ```text
//! NXM field:  | class 0x0001 (16) | field (7) | HM (1) | length (8) | value [mask] |
//!
//! nx_action_conntrack (NXAST_CT, 35), 24 bytes then nested actions:
//! | 0xffff | len | vendor 0x00002320 | subtype 35 | flags | zone_src (32) |
//! | zone (16) | recirc_table (8) | pad (24) | alg (16) | actions ... |
//!
//! nx_action_nat (NXAST_NAT, 36), 16 bytes then the ranges present, padded to 8:
//! | 0xffff | len | vendor | subtype 36 | pad (16) | flags | range_present | ranges ... |
//!
//! nx_action_ct_clear (NXAST_CT_CLEAR, 43), 16 bytes:
//! | 0xffff | len 16 | vendor | subtype 43 | pad (48) |
//! ```

use bytes::Bytes;
use sluice_config::{Conntrack, Nat};
use sluice_ofp::Action;
use sluice_ofp::oxm::{OxmField, RawOxm};

/// The NXM class of the Nicira extension fields (`NXM1`).
const NXM1: u16 = 0x0001;
/// Nicira's experimenter (vendor) id.
const NX_VENDOR_ID: u32 = 0x0000_2320;

const NXAST_CT: u16 = 35;
const NXAST_NAT: u16 = 36;
const NXAST_CT_CLEAR: u16 = 43;

/// The NXM fields an ACL can match or set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NxField {
    /// `NXM_NX_IP_TTL` (`nw_ttl`), 1 byte.
    IpTtl,
    /// `NXM_NX_CT_STATE`, 4 bytes, maskable.
    CtState,
    /// `NXM_NX_CT_ZONE`, 2 bytes.
    CtZone,
    /// `NXM_NX_CT_MARK`, 4 bytes, maskable.
    CtMark,
    /// `NXM_NX_CT_LABEL`, 16 bytes, maskable.
    CtLabel,
}

impl NxField {
    /// The field with this name in FAUCET's ACL syntax.
    pub fn from_name(name: &str) -> Option<NxField> {
        Some(match name {
            "nw_ttl" => NxField::IpTtl,
            "ct_state" => NxField::CtState,
            "ct_zone" => NxField::CtZone,
            "ct_mark" => NxField::CtMark,
            "ct_label" => NxField::CtLabel,
            _ => return None,
        })
    }

    fn number_and_len(self) -> (u8, usize) {
        match self {
            NxField::IpTtl => (29, 1),
            NxField::CtState => (105, 4),
            NxField::CtZone => (106, 2),
            NxField::CtMark => (107, 4),
            NxField::CtLabel => (108, 16),
        }
    }

    /// The field with `value` (and `mask`), both cut to the field's width; bits of the value
    /// outside the mask are cleared, as a switch stores them.
    pub fn oxm(self, value: u128, mask: Option<u128>) -> OxmField {
        let (field, len) = self.number_and_len();
        let value = mask.map_or(value, |m| value & m);
        let mut payload = Vec::with_capacity(2 * len);
        payload.extend_from_slice(&value.to_be_bytes()[16 - len..]);
        if let Some(m) = mask {
            payload.extend_from_slice(&m.to_be_bytes()[16 - len..]);
        }
        OxmField::Other(RawOxm {
            class: NXM1,
            field,
            has_mask: mask.is_some(),
            payload: Bytes::from(payload),
        })
    }
}

/// `NXM_OF_IN_PORT` (class 0, field 0, 16 bits): Open vSwitch sets a packet's input port
/// through this field in OpenFlow 1.3 (it refuses the basic `in_port` OXM in a set-field).
const NXM_OF_IN_PORT: (u16, u8) = (0x0000, 0);

/// The set-field that changes a packet's input port to `port` (Open vSwitch only), so that
/// it can then be output to the port it came in by.
pub fn set_in_port(port: u16) -> Action {
    Action::SetField(OxmField::Other(RawOxm {
        class: NXM_OF_IN_PORT.0,
        field: NXM_OF_IN_PORT.1,
        has_mask: false,
        payload: Bytes::copy_from_slice(&port.to_be_bytes()),
    }))
}

/// A Nicira action: the experimenter action with this subtype and body.
fn nx_action(subtype: u16, body: &[u8]) -> Action {
    let mut data = Vec::with_capacity(2 + body.len() + 8);
    data.extend_from_slice(&subtype.to_be_bytes());
    data.extend_from_slice(body);
    // The whole action (8 bytes of header, then the data) is a multiple of 8 bytes.
    while (8 + data.len()) % 8 != 0 {
        data.push(0);
    }
    Action::Experimenter {
        experimenter: NX_VENDOR_ID,
        data: Bytes::from(data),
    }
}

/// Whether `a` is a conntrack action that sends the packet through the connection tracker
/// (FAUCET then keeps the actions after the last output: the packet goes on).
pub fn is_ct_commit(a: &Action) -> bool {
    matches!(a, Action::Experimenter { experimenter, data }
        if *experimenter == NX_VENDOR_ID && data.get(..2) == Some(&NXAST_CT.to_be_bytes()[..]))
}

/// The action for an ACL's `ct`.
pub fn ct_action(ct: &Conntrack) -> Action {
    match ct {
        Conntrack::Clear => nx_action(NXAST_CT_CLEAR, &[0; 6]),
        Conntrack::Commit {
            flags,
            alg,
            table,
            zone,
            zone_src,
            nat,
            mark,
            label,
        } => {
            let mut nested: Vec<Action> = Vec::new();
            if let Some(nat) = nat {
                nested.push(nat_action(nat));
            }
            if let Some(mark) = mark {
                nested.push(Action::SetField(
                    NxField::CtMark.oxm(u128::from(*mark), None),
                ));
            }
            if let Some(label) = label {
                nested.push(Action::SetField(NxField::CtLabel.oxm(*label, None)));
            }
            let mut body = Vec::with_capacity(22 + 16 * nested.len());
            body.extend_from_slice(&flags.to_be_bytes());
            body.extend_from_slice(&zone_src.unwrap_or(0).to_be_bytes());
            body.extend_from_slice(&zone.to_be_bytes());
            body.push(*table);
            body.extend_from_slice(&[0; 3]);
            body.extend_from_slice(&alg.to_be_bytes());
            // Nested actions are whole OpenFlow actions, each a multiple of 8 bytes.
            for a in &nested {
                body.extend_from_slice(&encode_action(a));
            }
            nx_action(NXAST_CT, &body)
        }
    }
}

fn nat_action(nat: &Nat) -> Action {
    const IPV4_MIN: u16 = 1 << 0;
    const IPV4_MAX: u16 = 1 << 1;
    const IPV6_MIN: u16 = 1 << 2;
    const IPV6_MAX: u16 = 1 << 3;
    const PROTO_MIN: u16 = 1 << 4;
    const PROTO_MAX: u16 = 1 << 5;
    let mut present = 0u16;
    let mut ranges = Vec::new();
    if let Some(a) = nat.range_ipv4_min {
        present |= IPV4_MIN;
        ranges.extend_from_slice(&a.octets());
    }
    if let Some(a) = nat.range_ipv4_max {
        present |= IPV4_MAX;
        ranges.extend_from_slice(&a.octets());
    }
    if let Some(a) = nat.range_ipv6_min {
        present |= IPV6_MIN;
        ranges.extend_from_slice(&a.octets());
    }
    if let Some(a) = nat.range_ipv6_max {
        present |= IPV6_MAX;
        ranges.extend_from_slice(&a.octets());
    }
    if let Some(p) = nat.range_proto_min {
        present |= PROTO_MIN;
        ranges.extend_from_slice(&p.to_be_bytes());
    }
    if let Some(p) = nat.range_proto_max {
        present |= PROTO_MAX;
        ranges.extend_from_slice(&p.to_be_bytes());
    }
    let mut body = vec![0, 0];
    body.extend_from_slice(&nat.flags.to_be_bytes());
    body.extend_from_slice(&present.to_be_bytes());
    body.extend_from_slice(&ranges);
    nx_action(NXAST_NAT, &body)
}

/// One action in its wire form, through the OpenFlow codec (a FLOW_MOD carrying just this
/// action, cut out of the encoded message), so nested actions are encoded exactly as
/// top-level ones.
fn encode_action(a: &Action) -> Vec<u8> {
    use sluice_ofp::msg::flow::FlowMod;
    use sluice_ofp::{Instruction, Message};
    let fm = FlowMod {
        instructions: vec![Instruction::ApplyActions(vec![a.clone()])],
        ..FlowMod::default()
    };
    // A FLOW_MOD with an empty match: 48 bytes of header and fields, 8 of match, then the
    // APPLY_ACTIONS instruction (8 bytes of header) and the action.
    const ACTIONS_AT: usize = 48 + 8 + 8;
    Message::FlowMod(fm)
        .to_bytes(0)
        .map(|b| b.get(ACTIONS_AT..).map(<[u8]>::to_vec).unwrap_or_default())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn data(a: &Action) -> Vec<u8> {
        match a {
            Action::Experimenter { experimenter, data } => {
                assert_eq!(*experimenter, NX_VENDOR_ID);
                data.to_vec()
            }
            other => panic!("not a Nicira action: {other:?}"),
        }
    }

    #[test]
    fn ct_clear_is_sixteen_bytes() {
        let d = data(&ct_action(&Conntrack::Clear));
        assert_eq!(d, vec![0, 43, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn ct_commit_with_nat_and_mark() {
        let ct = Conntrack::Commit {
            flags: 1,
            alg: 0,
            table: 3,
            zone: 10,
            zone_src: None,
            nat: Some(Nat {
                flags: 1,
                range_ipv4_min: Some(Ipv4Addr::new(10, 0, 0, 1)),
                range_ipv4_max: None,
                range_ipv6_min: None,
                range_ipv6_max: None,
                range_proto_min: None,
                range_proto_max: None,
            }),
            mark: Some(7),
            label: None,
        };
        let a = ct_action(&ct);
        assert!(is_ct_commit(&a));
        let d = data(&a);
        // subtype, flags, zone_src, zone, recirc_table, pad, alg.
        assert_eq!(
            &d[..16],
            &[0, 35, 0, 1, 0, 0, 0, 0, 0, 10, 3, 0, 0, 0, 0, 0]
        );
        // nested NAT: 0xffff, len 24, vendor, subtype 36, pad, flags 1, present 1, 10.0.0.1.
        assert_eq!(
            &d[16..40],
            &[
                0xff, 0xff, 0, 24, 0, 0, 0x23, 0x20, 0, 36, 0, 0, 0, 1, 0, 1, 10, 0, 0, 1, 0, 0, 0,
                0
            ]
        );
        // nested set_field: type 25, len 16, NXM_NX_CT_MARK header, value 7, padding.
        assert_eq!(
            &d[40..],
            &[0, 25, 0, 16, 0, 1, 214, 4, 0, 0, 0, 7, 0, 0, 0, 0]
        );
        assert_eq!((8 + d.len()) % 8, 0);
    }

    #[test]
    fn nx_fields_mask_their_values() {
        let f = NxField::CtState.oxm(0x23, Some(0x21));
        match f {
            OxmField::Other(r) => {
                assert_eq!((r.class, r.field, r.has_mask), (1, 105, true));
                assert_eq!(&r.payload[..], &[0, 0, 0, 0x21, 0, 0, 0, 0x21]);
            }
            other => panic!("{other:?}"),
        }
    }
}
