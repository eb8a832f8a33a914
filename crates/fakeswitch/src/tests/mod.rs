//! Behaviour tests of the fake switch: what it accepts and refuses, and where packets go.
//! Each file covers one concern; the helpers below keep the tests to the point.

mod flow_mod;
mod groups;
mod messages;
mod meters;
mod never_panic;
mod pipeline;

use std::time::Duration;

use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand};
use sluice_ofp::{Action, Instruction, Match, Message, OfError, OxmField, PortNo};
use sluice_wire::MacAddr;

use crate::{FakeSwitch, Packet};

/// Seconds since the start.
pub(crate) fn t(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// A switch with ports 1 to 4.
pub(crate) fn switch() -> FakeSwitch {
    FakeSwitch::new(0x5adc).with_ports(1..=4)
}

pub(crate) fn mac(n: u8) -> MacAddr {
    MacAddr([0x0e, 0, 0, 0, 0, n])
}

pub(crate) fn out(port: u32) -> Action {
    Action::output(port)
}

pub(crate) fn apply(actions: Vec<Action>) -> Instruction {
    Instruction::ApplyActions(actions)
}

pub(crate) fn write(actions: Vec<Action>) -> Instruction {
    Instruction::WriteActions(actions)
}

pub(crate) fn in_port(p: u32) -> OxmField {
    OxmField::InPort(PortNo(p))
}

pub(crate) fn vid(v: u16) -> OxmField {
    OxmField::VlanVid(0x1000 | v, None)
}

pub(crate) fn set_vid(v: u16) -> Action {
    Action::SetField(OxmField::VlanVid(0x1000 | v, None))
}

/// An ADD of a flow.
pub(crate) fn add(
    table_id: u8,
    priority: u16,
    fields: impl IntoIterator<Item = OxmField>,
    instructions: Vec<Instruction>,
) -> FlowMod {
    FlowMod {
        table_id,
        priority,
        match_: Match::from_fields(fields),
        instructions,
        ..FlowMod::default()
    }
}

/// Builder-style changes to a flow mod.
pub(crate) trait FlowModExt {
    fn command(self, c: FlowModCommand) -> Self;
    fn cookie(self, cookie: u64, mask: u64) -> Self;
    fn flags(self, f: FlowModFlags) -> Self;
    fn timeouts(self, idle: u16, hard: u16) -> Self;
    fn msg(self) -> Message;
}

impl FlowModExt for FlowMod {
    fn command(mut self, c: FlowModCommand) -> Self {
        self.command = c;
        self
    }
    fn cookie(mut self, cookie: u64, mask: u64) -> Self {
        self.cookie = cookie;
        self.cookie_mask = mask;
        self
    }
    fn flags(mut self, f: FlowModFlags) -> Self {
        self.flags = f;
        self
    }
    fn timeouts(mut self, idle: u16, hard: u16) -> Self {
        self.idle_timeout = idle;
        self.hard_timeout = hard;
        self
    }
    fn msg(self) -> Message {
        Message::FlowMod(self)
    }
}

/// A delete (loose) in `table_id` matching `fields`.
pub(crate) fn delete(table_id: u8, fields: impl IntoIterator<Item = OxmField>) -> FlowMod {
    add(table_id, 0, fields, Vec::new()).command(FlowModCommand::Delete)
}

pub(crate) fn group(
    command: GroupModCommand,
    group_type: GroupType,
    group_id: u32,
    buckets: Vec<Bucket>,
) -> Message {
    Message::GroupMod(GroupMod {
        command,
        group_type,
        group_id,
        buckets,
    })
}

pub(crate) fn add_group(group_type: GroupType, group_id: u32, buckets: Vec<Bucket>) -> Message {
    group(GroupModCommand::Add, group_type, group_id, buckets)
}

pub(crate) fn meter(command: MeterModCommand, meter_id: u32, rate: u32) -> Message {
    Message::MeterMod(MeterMod {
        command,
        flags: MeterFlags::KBPS,
        meter_id,
        bands: vec![MeterBand::Drop {
            rate,
            burst_size: 0,
        }],
    })
}

/// Applies a message that must be accepted; returns the replies.
pub(crate) fn ok(sw: &mut FakeSwitch, m: impl Into<Msg>) -> Vec<Message> {
    let m = m.into().0;
    sw.apply(t(0), &m)
        .unwrap_or_else(|e| panic!("{m} was refused: {e}"))
}

/// Applies a message that must be refused, checks the state did not change, and returns the
/// error.
pub(crate) fn refused(sw: &mut FakeSwitch, m: impl Into<Msg>) -> OfError {
    let m = m.into().0;
    let before = sw.state_hash();
    let e = match sw.apply(t(0), &m) {
        Ok(_) => panic!("{m} was accepted; tables:\n{sw}"),
        Err(e) => e,
    };
    assert_eq!(before, sw.state_hash(), "refused {m} changed the state");
    e.error
}

/// A message, from a message or a flow mod.
pub(crate) struct Msg(Message);

impl From<Message> for Msg {
    fn from(m: Message) -> Self {
        Msg(m)
    }
}

impl From<FlowMod> for Msg {
    fn from(f: FlowMod) -> Self {
        Msg(Message::FlowMod(f))
    }
}

/// An untagged IPv4 packet from `port`, between hosts `src` and `dst` (MAC `0e:..:n`, IP
/// `10.0.0.n`).
pub(crate) fn l2(port: u32, src: u8, dst: u8) -> Packet {
    Packet::new(port)
        .eth(mac(src), mac(dst))
        .ipv4([10, 0, 0, src].into(), [10, 0, 0, dst].into())
        .udp(1000, 2000)
}
