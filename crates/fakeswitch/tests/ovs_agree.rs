//! The fake switch agrees with Open vSwitch 3.1.
//!
//! Each test builds a real userspace OVS bridge (ports 1 to 4 are veth ends), sends it and a
//! [`FakeSwitch`] in [`Strictness::Ovs`] the same OpenFlow messages, and compares:
//!
//! - `traces_agree`: a FAUCET-like four-table pipeline (VLAN, source learning with a meter,
//!   destination, flood; untagged and tagged ports, a route, QinQ, groups of all and
//!   fast-failover types, the action set) and 28 packets (one double-tagged, which the fake
//!   parses as OVS does, one tag deep): where each leaves and with which headers (VLAN
//!   stack, addresses, TTL), and its packet-ins, against what `ovs-appctl ofproto/trace`
//!   says (its "Datapath actions:" line, played on the packet);
//!   a fast-failover group before and after a link goes down; and 6 PACKET_OUTs against
//!   `ofproto/trace-packet-out`;
//! - `errors_agree`: 80 malformed, inconsistent or surprising flow, group, meter and
//!   packet-out messages, and the error (or acceptance) each gets;
//! - `flow_table_changes_agree`: a sequence of adds, identical replacements, strict and loose
//!   modifies and deletes with cookie, port and group filters, group and meter deletions,
//!   comparing the flow statistics of both switches after every step.
//!
//! Without Open vSwitch the tests fail, saying what to install; they never pass silently.

#![allow(clippy::unwrap_used)]
// Sockets and clocks: this is where the pure crate meets a real switch.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

#[path = "ovs_agree/cases.rs"]
mod cases;
mod common;
#[path = "ovs_agree/scenario.rs"]
mod scenario;

use std::time::Duration;

use bytes::Bytes;
use common::{OvsSwitch, compare, flow_lines};
use sluice_fakeswitch::{FakeSwitch, Packet};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, OFPG_ALL, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterFlags, MeterMod, MeterModCommand, OFPM_ALL};
use sluice_ofp::msg::multipart::{FlowStatsRequest, MultipartRequestBody};
use sluice_ofp::msg::packet::PacketOut;
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::{Action, Instruction, Message, OfError, OxmField, PortNo};

use cases::error_cases;
use scenario::*;

#[test]
fn traces_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut fake = fake();
    let mut msgs = vec![
        // Packet-ins for invalid TTLs too (OVS's default leaves them out).
        Message::SetAsync(AsyncConfig {
            packet_in_mask: [0b111, 0],
            port_status_mask: [0b111, 0b111],
            flow_removed_mask: [0b1111, 0],
        }),
    ];
    msgs.extend(pipeline());
    let errors = ovs.apply(&msgs);
    assert!(errors.is_empty(), "OVS refused: {errors:?}");
    let batch = fake.apply_all(Duration::ZERO, &msgs);
    assert!(
        batch.errors.is_empty(),
        "the fake refused: {:?}",
        batch.errors
    );

    let mut report = Vec::new();
    let mut differences = Vec::new();
    let mut run = |fake: &FakeSwitch, ovs: &OvsSwitch, name: &str, p: &Packet| {
        let (line, diff) = compare(name, p, &fake.trace(p), &ovs.trace(p));
        report.push(line);
        differences.extend(diff);
    };
    for (name, p) in packets() {
        run(&fake, &ovs, name, &p);
    }
    // Fast failover: port 3 goes down on both.
    ovs.set_link(3, false);
    fake.set_link(3, false);
    run(
        &fake,
        &ovs,
        "H1 to H6 after port 3 went down",
        &ip(H1, H6, 1),
    );
    run(
        &fake,
        &ovs,
        "H1 broadcast after port 3 went down",
        &ip(H1, BCAST, 1),
    );
    ovs.set_link(3, true);
    fake.set_link(3, true);
    run(
        &fake,
        &ovs,
        "H1 to H6 after port 3 came back",
        &ip(H1, H6, 1),
    );

    // PACKET_OUTs, traced by OVS with ofproto/trace-packet-out.
    for (name, p, actions, text) in packet_outs() {
        let po = PacketOut::new(p.in_port, actions, Bytes::from(p.to_frame()));
        let replies = fake.apply(Duration::ZERO, &Message::PacketOut(po)).unwrap();
        let f = fake.take_packet_outs().pop().unwrap();
        assert_eq!(replies.len(), f.packet_ins.len());
        let (line, diff) = compare(name, &p, &f, &ovs.trace_packet_out(&p, text));
        report.push(line);
        differences.extend(diff);
    }

    eprintln!("packet{:47} fake result  vs OVS\n{}", "", report.join("\n"));
    assert!(
        differences.is_empty(),
        "{} of {} packets disagree:\n{}",
        differences.len(),
        report.len(),
        differences.join("\n")
    );
    assert!(report.len() >= 20);
}

/// One error case: messages that set the scene, then the probe.
fn show(e: &Result<(), OfError>) -> String {
    match e {
        Ok(()) => "accepted".into(),
        Err(e) => e.to_string(),
    }
}

/// Everything deleted, for the next case.
fn clear() -> Vec<Message> {
    let mut del = flow(OFPTT_ALL, 0, vec![], vec![]);
    del.command = FlowModCommand::Delete;
    vec![
        Message::FlowMod(del),
        Message::GroupMod(GroupMod {
            command: GroupModCommand::Delete,
            group_type: GroupType::All,
            group_id: OFPG_ALL,
            buckets: vec![],
        }),
        Message::MeterMod(MeterMod {
            command: MeterModCommand::Delete,
            flags: MeterFlags::empty(),
            meter_id: OFPM_ALL,
            bands: vec![],
        }),
    ]
}

#[test]
fn errors_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut report = Vec::new();
    let mut differences = Vec::new();
    let cases = error_cases();
    for c in &cases {
        let mut fake = fake();
        let setup_errors = ovs.apply(&c.setup);
        assert!(
            setup_errors.is_empty(),
            "{}: OVS refused the setup: {setup_errors:?}",
            c.name
        );
        let batch = fake.apply_all(Duration::ZERO, &c.setup);
        assert!(
            batch.errors.is_empty(),
            "{}: the fake refused the setup: {:?}",
            c.name,
            batch.errors
        );
        let o = match ovs.apply(std::slice::from_ref(&c.probe)).as_slice() {
            [] => Ok(()),
            [(_, e)] => Err(e.error),
            more => panic!("{}: several errors {more:?}", c.name),
        };
        let fake_result = fake.apply(Duration::ZERO, &c.probe);
        let why = fake_result
            .as_ref()
            .err()
            .map(|r| r.reason.clone())
            .unwrap_or_default();
        let f = fake_result.map(|_| ()).map_err(|r| r.error);
        let line = format!("{:<46} OVS {:<48} fake {}", c.name, show(&o), show(&f));
        if o != f {
            differences.push(format!(
                "{line}\n    probe: {}\n    fake's reason: {why}",
                c.probe
            ));
        }
        report.push(line);
        let errs = ovs.apply(&clear());
        assert!(errs.is_empty(), "clearing OVS: {errs:?}");
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        differences.is_empty(),
        "{} of {} cases disagree:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}

#[test]
fn flow_table_changes_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut fake = fake();
    let cmd = |mut fm: FlowMod, c: FlowModCommand| {
        fm.command = c;
        fm
    };
    let cookie = |mut fm: FlowMod, cookie: u64, mask: u64| {
        fm.cookie = cookie;
        fm.cookie_mask = mask;
        fm
    };
    let mut del_port = flow(OFPTT_ALL, 0, vec![], vec![]);
    del_port.command = FlowModCommand::Delete;
    del_port.out_port = PortNo(3);
    let mut del_group = del_port.clone();
    del_group.out_port = PortNo::ANY;
    del_group.out_group = 2;
    let with_timeouts = {
        let mut f = flow(1, 7, vec![in_port(4)], vec![apply(vec![out(1)])]);
        f.idle_timeout = 30;
        f.hard_timeout = 60;
        f
    };
    let steps: Vec<(&str, Vec<Message>)> = vec![
        (
            "groups and a meter",
            vec![
                group_add(GroupType::All, 1, vec![Bucket::new(vec![out(2)])]),
                group_add(GroupType::All, 2, vec![Bucket::new(vec![out(3)])]),
                meter_add(1, vec![drop_band(10)]),
            ],
        ),
        (
            "adds",
            vec![
                cookie(
                    flow(0, 10, vec![in_port(1), vid(100)], vec![apply(vec![out(2)])]),
                    0x11,
                    0,
                ),
                cookie(
                    flow(0, 10, vec![in_port(2)], vec![apply(vec![out(3)])]),
                    0x12,
                    0,
                ),
                cookie(
                    flow(0, 20, vec![in_port(1)], vec![apply(vec![Action::Group(1)])]),
                    0x21,
                    0,
                ),
                cookie(
                    flow(
                        1,
                        10,
                        vec![vid(100)],
                        vec![
                            Instruction::Meter(1),
                            Instruction::WriteActions(vec![out(3)]),
                        ],
                    ),
                    0x31,
                    0,
                ),
                cookie(
                    flow(
                        1,
                        10,
                        vec![vid(200)],
                        vec![Instruction::WriteActions(vec![Action::Group(2)]), goto(2)],
                    ),
                    0x32,
                    0,
                ),
                with_timeouts.clone(),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "identical add, fields in another order",
            vec![Message::FlowMod(cookie(
                flow(0, 10, vec![vid(100), in_port(1)], vec![apply(vec![out(4)])]),
                0x13,
                0xffff,
            ))],
        ),
        (
            "loose modify with a cookie mask",
            vec![Message::FlowMod(cookie(
                cmd(
                    flow(0, 0, vec![in_port(1)], vec![apply(vec![out(1)])]),
                    FlowModCommand::Modify,
                ),
                0x10,
                0xf0,
            ))],
        ),
        (
            "strict modify",
            vec![Message::FlowMod(cmd(
                flow(0, 20, vec![in_port(1)], vec![apply(vec![out(3)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "modify keeps the timeouts",
            vec![Message::FlowMod(cmd(
                flow(1, 7, vec![in_port(4)], vec![apply(vec![out(2)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "strict modify, wrong priority",
            vec![Message::FlowMod(cmd(
                flow(0, 21, vec![in_port(1)], vec![apply(vec![out(4)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "delete by out_port 3 in all tables",
            vec![Message::FlowMod(del_port)],
        ),
        ("delete by out_group 2", vec![Message::FlowMod(del_group)]),
        (
            "more flows",
            vec![
                cookie(
                    flow(
                        2,
                        5,
                        vec![OxmField::EthDst(H1, None)],
                        vec![apply(vec![Action::Group(1)])],
                    ),
                    0x41,
                    0,
                ),
                cookie(
                    flow(
                        2,
                        5,
                        vec![OxmField::EthDst(H2, None)],
                        vec![Instruction::Meter(1), apply(vec![out(1)])],
                    ),
                    0x42,
                    0,
                ),
                cookie(
                    flow(
                        2,
                        6,
                        vec![OxmField::EthDst(H3, None)],
                        vec![apply(vec![out(1)])],
                    ),
                    0x43,
                    0,
                ),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "delete group 1: its flows go",
            vec![Message::GroupMod(GroupMod {
                command: GroupModCommand::Delete,
                group_type: GroupType::All,
                group_id: 1,
                buckets: vec![],
            })],
        ),
        (
            "delete meter 1: its flows go",
            vec![Message::MeterMod(MeterMod {
                command: MeterModCommand::Delete,
                flags: MeterFlags::empty(),
                meter_id: 1,
                bands: vec![],
            })],
        ),
        (
            "strict delete, wrong priority, then right",
            vec![
                cmd(
                    flow(2, 5, vec![OxmField::EthDst(H3, None)], vec![]),
                    FlowModCommand::DeleteStrict,
                ),
                cmd(
                    flow(1, 7, vec![in_port(4)], vec![]),
                    FlowModCommand::DeleteStrict,
                ),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "loose delete of a narrower description",
            vec![Message::FlowMod(cmd(
                flow(
                    OFPTT_ALL,
                    0,
                    vec![OxmField::EthDst(H3, None), in_port(1)],
                    vec![],
                ),
                FlowModCommand::Delete,
            ))],
        ),
        (
            "loose delete by cookie in all tables",
            vec![Message::FlowMod(cookie(
                cmd(flow(OFPTT_ALL, 0, vec![], vec![]), FlowModCommand::Delete),
                0x43,
                u64::MAX,
            ))],
        ),
    ];
    let mut differences = Vec::new();
    for (name, msgs) in &steps {
        let errs = ovs.apply(msgs);
        assert!(errs.is_empty(), "{name}: OVS refused {errs:?}");
        let batch = fake.apply_all(Duration::ZERO, msgs);
        assert!(
            batch.errors.is_empty(),
            "{name}: the fake refused {:?}",
            batch.errors
        );
        let req = || MultipartRequestBody::Flow(FlowStatsRequest::default());
        let o = flow_lines(ovs.request(req()).body);
        let f = flow_lines(
            match fake
                .apply(
                    Duration::ZERO,
                    &Message::MultipartRequest(sluice_ofp::msg::multipart::MultipartRequest::new(
                        req(),
                    )),
                )
                .unwrap()
                .remove(0)
            {
                Message::MultipartReply(r) => r.body,
                other => panic!("{other}"),
            },
        );
        eprintln!("after {name}: {} flows", f.len());
        if o != f {
            differences.push(format!(
                "after {name}:\n OVS:\n  {}\n fake:\n  {}",
                o.join("\n  "),
                f.join("\n  ")
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
