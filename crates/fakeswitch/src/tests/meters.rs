//! METER_MOD (§6.6) and meters in the pipeline (§5.7).

use sluice_ofp::msg::error::MeterModFailedCode;
use sluice_ofp::msg::flow::{FlowModFlags, FlowRemovedReason};
use sluice_ofp::msg::meter::{
    MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL, OFPM_CONTROLLER,
};
use sluice_ofp::msg::multipart::{MultipartReplyBody, MultipartRequest, MultipartRequestBody};
use sluice_ofp::{Instruction, Message, OfError};

use super::*;
use crate::{Step, Strictness};

fn merr(code: MeterModFailedCode) -> OfError {
    OfError::MeterModFailed(code)
}

fn with(flags: MeterFlags, bands: Vec<MeterBand>) -> Message {
    Message::MeterMod(MeterMod {
        command: MeterModCommand::Add,
        flags,
        meter_id: 1,
        bands,
    })
}

#[test]
fn add_modify_delete() {
    let mut sw = switch();
    ok(&mut sw, meter(MeterModCommand::Add, 1, 100));
    assert_eq!(
        refused(&mut sw, meter(MeterModCommand::Add, 1, 200)),
        merr(MeterModFailedCode::MeterExists)
    );
    assert_eq!(
        refused(&mut sw, meter(MeterModCommand::Modify, 2, 200)),
        merr(MeterModFailedCode::UnknownMeter)
    );
    ok(&mut sw, meter(MeterModCommand::Modify, 1, 300));
    assert!(matches!(
        sw.meter(1).unwrap().bands.as_slice(),
        [MeterBand::Drop { rate: 300, .. }]
    ));
    // Deleting a missing meter is not an error.
    ok(&mut sw, meter(MeterModCommand::Delete, 7, 0));
    ok(&mut sw, meter(MeterModCommand::Add, OFPM_CONTROLLER, 10));
    ok(&mut sw, meter(MeterModCommand::Delete, OFPM_ALL, 0));
    assert_eq!(sw.meters().count(), 0);
}

#[test]
fn malformed_meters() {
    let mut sw = switch();
    for id in [0, 0xffff_0001, OFPM_ALL] {
        assert_eq!(
            refused(&mut sw, meter(MeterModCommand::Add, id, 1)),
            merr(MeterModFailedCode::InvalidMeter),
            "meter id {id:#x}"
        );
    }
    assert_eq!(
        refused(&mut sw, meter(MeterModCommand::Unknown(5), 1, 1)),
        merr(MeterModFailedCode::BadCommand)
    );
    assert_eq!(
        refused(&mut sw, with(MeterFlags::KBPS | MeterFlags::PKTPS, vec![])),
        merr(MeterModFailedCode::BadFlags)
    );
    let exp = MeterBand::Experimenter {
        rate: 1,
        burst_size: 0,
        experimenter: 1,
        data: bytes::Bytes::new(),
    };
    assert_eq!(
        refused(&mut sw, with(MeterFlags::KBPS, vec![exp])),
        merr(MeterModFailedCode::BadBand)
    );
    let drop = MeterBand::Drop {
        rate: 1,
        burst_size: 0,
    };
    assert_eq!(
        refused(&mut sw, with(MeterFlags::KBPS, vec![drop; 9])),
        merr(MeterModFailedCode::OutOfBands)
    );
    let remark = MeterBand::DscpRemark {
        rate: 1,
        burst_size: 0,
        prec_level: 1,
    };
    ok(&mut sw, with(MeterFlags::PKTPS, vec![remark.clone()]));
    // Open vSwitch's userspace datapath has drop bands only.
    let mut ovs = switch().with_strictness(Strictness::Ovs);
    assert_eq!(
        refused(&mut ovs, with(MeterFlags::PKTPS, vec![remark])),
        merr(MeterModFailedCode::BadBand)
    );
}

// Open vSwitch deletes the flows that use a deleted meter; OpenFlow 1.3 has no "meter
// delete" reason, so their FLOW_REMOVED says OFPRR_DELETE.
#[test]
fn deleting_a_meter_removes_its_flows() {
    let mut sw = switch();
    ok(&mut sw, meter(MeterModCommand::Add, 1, 100));
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1)],
            vec![Instruction::Meter(1), apply(vec![out(2)])],
        )
        .flags(FlowModFlags::SEND_FLOW_REM),
    );
    ok(&mut sw, add(0, 1, [in_port(2)], vec![apply(vec![out(1)])]));
    let msgs = ok(&mut sw, meter(MeterModCommand::Delete, 1, 0));
    assert!(matches!(
        msgs.as_slice(),
        [Message::FlowRemoved(r)] if r.reason == FlowRemovedReason::Delete
    ));
    assert_eq!(sw.flow_count(), 1);
}

// §5.7: a packet goes through the meter before the apply-actions; the fake counts, never drops.
#[test]
fn meters_count_packets() {
    let mut sw = switch();
    ok(&mut sw, meter(MeterModCommand::Add, 1, 1));
    ok(
        &mut sw,
        add(0, 1, [], vec![apply(vec![out(2)]), Instruction::Meter(1)]),
    );
    let tr = sw.receive(t(0), &l2(1, 1, 2));
    assert!(matches!(tr.steps.get(1), Some(Step::Meter(1))), "{tr}");
    assert_eq!(tr.ports(), vec![sluice_ofp::PortNo(2)]);
    sw.receive(t(0), &l2(1, 1, 2));
    let req =
        Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Meter(OFPM_ALL)));
    let replies = ok(&mut sw, req);
    let Some(Message::MultipartReply(r)) = replies.first() else {
        panic!("{replies:?}")
    };
    let MultipartReplyBody::Meter(stats) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!((stats[0].packet_in_count, stats[0].flow_count), (2, 1));
}
