//! The other messages: barrier, echo, features, configuration, role, statistics, port
//! descriptions and modifications, and the ones a switch does not accept.

use bytes::Bytes;
use sluice_ofp::msg::error::{BadRequestCode, PortModFailedCode, TableFeaturesFailedCode};
use sluice_ofp::msg::flow::{FlowModFlags, OFPG_ALL, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupType};
use sluice_ofp::msg::meter::{MeterModCommand, OFPM_ALL};
use sluice_ofp::msg::multipart::{
    FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
    TableFeatures,
};
use sluice_ofp::msg::port::{PortMod, PortReason};
use sluice_ofp::msg::role::{ControllerRole, Role};
use sluice_ofp::{Action, FixedStr, Match, Message, OfError, OxmField, PortNo};

use super::*;

fn stats(sw: &mut FakeSwitch, body: MultipartRequestBody) -> Vec<MultipartReply> {
    ok(sw, Message::MultipartRequest(MultipartRequest::new(body)))
        .into_iter()
        .map(|m| match m {
            Message::MultipartReply(r) => r,
            other => panic!("not a multipart reply: {other}"),
        })
        .collect()
}

fn one(sw: &mut FakeSwitch, body: MultipartRequestBody) -> MultipartReplyBody {
    let mut r = stats(sw, body);
    assert_eq!(r.len(), 1);
    r.remove(0).body
}

#[test]
fn simple_requests() {
    let mut sw = switch();
    assert_eq!(
        ok(&mut sw, Message::BarrierRequest),
        vec![Message::BarrierReply]
    );
    let d = Bytes::from_static(b"hi");
    assert_eq!(
        ok(&mut sw, Message::EchoRequest(d.clone())),
        vec![Message::EchoReply(d)]
    );
    let Message::FeaturesReply(f) = &ok(&mut sw, Message::FeaturesRequest)[0] else {
        panic!()
    };
    assert_eq!((f.datapath_id, f.n_tables, f.n_buffers), (0x5adc, 254, 0));
    let role = Role {
        role: ControllerRole::Master,
        generation_id: 3,
    };
    assert_eq!(
        ok(&mut sw, Message::RoleRequest(role)),
        vec![Message::RoleReply(role)]
    );
    assert!(ok(&mut sw, Message::Hello(Default::default())).is_empty());
}

#[test]
fn messages_a_switch_does_not_take() {
    let mut sw = switch();
    assert_eq!(
        refused(&mut sw, Message::BarrierReply),
        OfError::BadRequest(BadRequestCode::BadType)
    );
    assert_eq!(
        refused(
            &mut sw,
            Message::Unknown {
                msg_type: 99,
                body: Bytes::new()
            }
        ),
        OfError::BadRequest(BadRequestCode::BadType)
    );
    assert_eq!(
        refused(
            &mut sw,
            Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Unknown {
                multipart_type: 77,
                body: Bytes::new()
            }))
        ),
        OfError::BadRequest(BadRequestCode::BadMultipart)
    );
    let e = sw.apply(t(0), &Message::BarrierReply).unwrap_err();
    let Message::Error(m) = e.to_message(&Message::BarrierReply, 42) else {
        panic!()
    };
    assert_eq!(m.error, e.error);
    assert_eq!(
        &m.data[..],
        &Message::BarrierReply.to_bytes(42).unwrap()[..]
    );
}

// §7.3.5.2: flow statistics select like a loose delete, with the table, out_port, out_group
// and cookie filters.
#[test]
fn flow_and_aggregate_statistics() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(0, 10, [in_port(1), vid(5)], vec![apply(vec![out(2)])]).cookie(1, 0),
    );
    ok(
        &mut sw,
        add(0, 20, [in_port(1)], vec![apply(vec![out(3)])]).cookie(2, 0),
    );
    ok(
        &mut sw,
        add(1, 10, [in_port(2)], vec![apply(vec![out(2)])])
            .cookie(3, 0)
            .flags(FlowModFlags::SEND_FLOW_REM),
    );
    sw.receive(t(1), &l2(1, 1, 2));
    let req = |f: fn(&mut FlowStatsRequest)| {
        let mut r = FlowStatsRequest {
            match_: Match::from_fields([in_port(1)]),
            ..FlowStatsRequest::default()
        };
        f(&mut r);
        r
    };
    let MultipartReplyBody::Flow(all) = one(&mut sw, MultipartRequestBody::Flow(req(|_| {})))
    else {
        panic!()
    };
    let cookies: Vec<u64> = all.iter().map(|s| s.cookie).collect();
    assert_eq!(cookies, vec![2, 1], "lookup order");
    assert_eq!(all[0].packet_count, 1);
    let MultipartReplyBody::Flow(f) = one(
        &mut sw,
        MultipartRequestBody::Flow(req(|r| r.out_port = PortNo(2))),
    ) else {
        panic!()
    };
    assert_eq!(f.len(), 1);
    let MultipartReplyBody::Aggregate(a) = one(
        &mut sw,
        MultipartRequestBody::Aggregate(FlowStatsRequest {
            table_id: OFPTT_ALL,
            ..FlowStatsRequest::default()
        }),
    ) else {
        panic!()
    };
    assert_eq!((a.flow_count, a.packet_count), (3, 1));
    assert_eq!(
        refused(
            &mut sw,
            Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Flow(req(
                |r| r.match_ = Match::from_fields([OxmField::TcpDst(1)])
            ))))
        ),
        OfError::BadMatch(sluice_ofp::msg::error::BadMatchCode::BadPrereq)
    );
}

// §7.3.5: a reply longer than one message comes in parts, each but the last with MORE.
#[test]
fn long_replies_come_in_parts() {
    let mut sw = FakeSwitch::new(1);
    for i in 0..3000u16 {
        ok(
            &mut sw,
            add(0, i, [in_port(u32::from(i) + 1)], vec![apply(vec![out(1)])]),
        );
    }
    let parts = stats(
        &mut sw,
        MultipartRequestBody::Flow(FlowStatsRequest::default()),
    );
    assert!(parts.len() > 1);
    assert!(parts[..parts.len() - 1].iter().all(|p| p.more()));
    assert!(!parts.last().unwrap().more());
    let n: usize = parts
        .iter()
        .map(|p| match &p.body {
            MultipartReplyBody::Flow(f) => f.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(n, 3000);
    for p in parts {
        Message::MultipartReply(p).to_bytes(0).unwrap();
    }
}

#[test]
fn group_meter_port_and_table_statistics() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(GroupType::All, 7, vec![Bucket::new(vec![out(2)])]),
    );
    ok(&mut sw, meter(MeterModCommand::Add, 3, 50));
    ok(&mut sw, add(0, 1, [], vec![apply(vec![Action::Group(7)])]));
    sw.receive(t(0), &l2(1, 1, 2));
    let MultipartReplyBody::GroupDesc(g) = one(&mut sw, MultipartRequestBody::GroupDesc) else {
        panic!()
    };
    assert_eq!((g[0].group_id, g[0].group_type), (7, GroupType::All));
    let MultipartReplyBody::Group(g) = one(&mut sw, MultipartRequestBody::Group(OFPG_ALL)) else {
        panic!()
    };
    assert_eq!((g[0].ref_count, g[0].packet_count), (1, 1));
    assert_eq!(g[0].bucket_stats[0].packet_count, 1);
    let MultipartReplyBody::MeterConfig(m) =
        one(&mut sw, MultipartRequestBody::MeterConfig(OFPM_ALL))
    else {
        panic!()
    };
    assert_eq!(m[0].meter_id, 3);
    let MultipartReplyBody::PortDesc(p) = one(&mut sw, MultipartRequestBody::PortDesc) else {
        panic!()
    };
    assert_eq!(p.len(), 4);
    let MultipartReplyBody::PortStats(p) = one(&mut sw, MultipartRequestBody::PortStats(PortNo(2)))
    else {
        panic!()
    };
    assert_eq!((p[0].port_no, p[0].tx_packets), (PortNo(2), 1));
    let MultipartReplyBody::Table(tb) = one(&mut sw, MultipartRequestBody::Table) else {
        panic!()
    };
    assert_eq!(tb.len(), 254);
    assert_eq!(
        (tb[0].active_count, tb[0].lookup_count, tb[0].matched_count),
        (1, 1, 1)
    );
    let MultipartReplyBody::Desc(d) = one(&mut sw, MultipartRequestBody::Desc) else {
        panic!()
    };
    assert_eq!(d.mfr_desc.as_str(), "sluice");
    let features = TableFeatures {
        table_id: 0,
        name: FixedStr::new("x"),
        metadata_match: 0,
        metadata_write: 0,
        config: 0,
        max_entries: 1,
        properties: Vec::new(),
    };
    assert_eq!(
        refused(
            &mut sw,
            Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::TableFeatures(
                vec![features]
            )))
        ),
        OfError::TableFeaturesFailed(TableFeaturesFailedCode::Eperm)
    );
}

#[test]
fn ports_come_and_go() {
    let mut sw = switch();
    let Message::PortStatus(s) = sw.add_port(FakeSwitch::default_port(5)) else {
        panic!()
    };
    assert_eq!(s.reason, PortReason::Add);
    let Some(Message::PortStatus(s)) = sw.remove_port(5) else {
        panic!()
    };
    assert_eq!(s.reason, PortReason::Delete);
    assert!(sw.remove_port(5).is_none());
    let pm = |port: u32, hw| {
        Message::PortMod(PortMod {
            port_no: PortNo(port),
            hw_addr: hw,
            config: Default::default(),
            mask: Default::default(),
            advertise: Default::default(),
        })
    };
    assert_eq!(
        refused(&mut sw, pm(5, mac(1))),
        OfError::PortModFailed(PortModFailedCode::BadPort)
    );
    assert_eq!(
        refused(&mut sw, pm(1, mac(9))),
        OfError::PortModFailed(PortModFailedCode::BadHwAddr)
    );
}

// The dump lists flows in lookup order, then groups and meters; the hash follows it.
#[test]
fn dump_and_hash() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(1, 5, [in_port(1)], vec![apply(vec![out(2)])]).timeouts(10, 0),
    );
    ok(&mut sw, add(0, 0, [], vec![]).cookie(0x5adc, 0));
    ok(
        &mut sw,
        add(0, 9, [vid(3)], vec![apply(vec![Action::PopVlan, out(1)])]),
    );
    ok(
        &mut sw,
        add_group(GroupType::All, 1, vec![Bucket::new(vec![out(2)])]),
    );
    let h = sw.state_hash();
    pretty_assertions::assert_eq!(
        sw.to_string(),
        " cookie=0x0, table=0, priority=9,vlan_vid=3 actions=pop_vlan,output:1\n \
         cookie=0x5adc, table=0, priority=0 actions=drop\n \
         cookie=0x0, table=1, idle_timeout=10, priority=5,in_port=1 actions=output:2\n\
         groups:\n group_id=1,type=all,bucket=actions=output:2\n"
    );
    sw.receive(t(1), &l2(1, 1, 2));
    assert_eq!(sw.state_hash(), h, "counters are not state");
    ok(&mut sw, delete(1, []));
    assert_ne!(sw.state_hash(), h);
}
