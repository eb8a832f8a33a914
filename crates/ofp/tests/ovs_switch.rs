//! A real Open vSwitch switch's messages: a userspace OVS bridge (built with `sluice_lab`) is
//! pointed at a listener in this test that plays the controller with our codec. The test
//! installs flows, groups and a meter, asks for every multipart statistic, the switch
//! configuration, the role, the asynchronous configuration and the queue configuration, and
//! makes the switch send a PACKET_IN (a PACKET_OUT that loops through a veth pair whose two ends
//! are both bridge ports, and one through the table-miss flow), FLOW_REMOVED (a hard timeout
//! of 1 s and a delete), PORT_STATUS (a port added, modified and removed) and ERROR (a
//! GROUP_MOD that modifies a missing group). Every frame OVS sends must decode, and encode back
//! to the same bytes.
//!
//! Network safety: only loopback and the bridge and veths this test creates, with unique
//! names; everything is deleted when the guards drop, also on failure.

#![allow(clippy::unwrap_used)]
// The codec is pure (clippy.toml forbids sockets and clocks in it); this test is where it meets
// a real switch.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::collections::VecDeque;
use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sluice_lab::{Bridge, Prefix, Veth};
use sluice_ofp::msg::error::{GroupModFailedCode, OfError};
use sluice_ofp::msg::flow::{
    FlowMod, FlowModCommand, FlowModFlags, FlowRemovedReason, OFPG_ALL, OFPTT_ALL,
};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL};
use sluice_ofp::msg::multipart::{
    FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
    OFPQ_ALL,
};
use sluice_ofp::msg::packet::{PacketInReason, PacketOut};
use sluice_ofp::msg::port::{PortMod, PortReason};
use sluice_ofp::msg::role::{AsyncConfig, ControllerRole, Role};
use sluice_ofp::msg::switch::{ConfigFlags, SwitchConfig};
use sluice_ofp::port::{PortConfig, PortFeatures};
use sluice_ofp::{Action, Header, Instruction, Match, Message, OxmField, Port, PortNo};

use common::{decode, hex, read_frame};

const DPID: u64 = 0x0000_5adc_0000_0001;

/// Our end of the switch connection.
struct Controller {
    s: TcpStream,
    xid: u32,
    /// Every frame the switch sent.
    frames: Vec<Bytes>,
    /// Messages read while waiting for something else (asynchronous ones, mostly).
    pending: VecDeque<(Header, Message)>,
}

impl Controller {
    fn send(&mut self, m: &Message) -> u32 {
        self.xid += 1;
        self.s.write_all(&m.to_bytes(self.xid).unwrap()).unwrap();
        self.xid
    }

    /// Reads one message from the switch (answering its echo requests).
    fn recv(&mut self) -> (Header, Message) {
        loop {
            let frame = read_frame(&mut self.s)
                .unwrap_or_else(|e| panic!("reading from OVS: {e}"))
                .expect("OVS closed the connection");
            let (h, m) = decode(&frame);
            self.frames.push(frame);
            if let Message::EchoRequest(d) = &m {
                let reply = Message::EchoReply(d.clone()).to_bytes(h.xid).unwrap();
                self.s.write_all(&reply).unwrap();
                continue;
            }
            return (h, m);
        }
    }

    /// Waits for a message that satisfies `want`, keeping the others for later.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Message) -> bool) -> Message {
        if let Some(i) = self.pending.iter().position(|(_, m)| want(m)) {
            return self.pending.remove(i).unwrap().1;
        }
        let until = Instant::now() + Duration::from_secs(8);
        loop {
            assert!(
                Instant::now() < until,
                "no {what} from OVS; got meanwhile: {:#?}",
                self.pending
            );
            let (h, m) = self.recv();
            if want(&m) {
                return m;
            }
            self.pending.push_back((h, m));
        }
    }

    /// Sends a request and returns its reply (all parts of a multipart reply, joined, and the
    /// number of parts).
    fn request(&mut self, m: &Message) -> (Message, usize) {
        let xid = self.send(m);
        let mut parts = 0;
        let mut joined: Option<MultipartReply> = None;
        loop {
            let (h, reply) = self.recv();
            if h.xid != xid {
                self.pending.push_back((h, reply));
                continue;
            }
            let Message::MultipartReply(part) = reply else {
                return (reply, 1);
            };
            parts += 1;
            let more = part.more();
            match &mut joined {
                None => joined = Some(part),
                Some(j) => assert!(j.body.extend(part.body), "parts of different types"),
            }
            if !more {
                let mut j = joined.unwrap();
                j.flags = Default::default();
                return (Message::MultipartReply(j), parts);
            }
        }
    }

    /// A multipart request's joined reply body.
    fn stats(&mut self, body: MultipartRequestBody) -> MultipartReplyBody {
        match self.request(&Message::MultipartRequest(MultipartRequest::new(
            body.clone(),
        ))) {
            (Message::MultipartReply(r), _) => r.body,
            (other, _) => panic!("{body:?} answered with {other}"),
        }
    }

    /// Sends messages that have no reply, then a barrier; returns the errors they caused.
    fn apply(&mut self, msgs: &[Message]) -> Vec<(Header, Message)> {
        let xids: Vec<u32> = msgs.iter().map(|m| self.send(m)).collect();
        let barrier = self.send(&Message::BarrierRequest);
        let mut errors = Vec::new();
        loop {
            let (h, m) = self.recv();
            match m {
                Message::BarrierReply if h.xid == barrier => return errors,
                Message::Error(_) if xids.contains(&h.xid) => errors.push((h, m)),
                other => self.pending.push_back((h, other)),
            }
        }
    }
}

fn accept(listener: &TcpListener, bridge: &Bridge) -> TcpStream {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                return s;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!(
                "OVS bridge {} did not connect: {e}; ovs-vsctl show:\n{}",
                bridge.name(),
                sluice_lab::run("ovs-vsctl", &["show"]).unwrap_or_default()
            ),
        }
    }
}

fn out(port: impl Into<PortNo>) -> Action {
    Action::Output {
        port: port.into(),
        max_len: 0,
    }
}

fn fields(m: &Match) -> Vec<String> {
    let mut v: Vec<String> = m.iter().map(|f| format!("{f:?}")).collect();
    v.sort();
    v
}

/// An IPv4/UDP frame from 198.51.100.1 to 203.0.113.9 (no host ever sees it: it only loops
/// between the bridge's own ports).
fn udp_frame() -> Bytes {
    Bytes::from(common::unhex(
        "0a0000000002 0a0000000001 0800 \
         4500 0020 1234 4000 4011 c25a c6336401 cb007109 \
         1388 0035 000c 0000 74657374",
    ))
}

#[test]
fn real_switch_conversation() {
    if let Err(e) = sluice_lab::ensure_ovs() {
        panic!("{e}\n{}", common::INSTALL_HINT);
    }
    let p = Prefix::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let bridge = Bridge::create(&p.name("br"), DPID).unwrap();
    // Ports 1 and 2 are the two ends of one veth pair: what leaves port 1 comes in on port 2.
    let loop_pair = Veth::create(&p.name("l1"), &p.name("l2")).unwrap();
    bridge.add_port(loop_pair.a(), 1).unwrap();
    bridge.add_port(loop_pair.b(), 2).unwrap();
    bridge
        .set_controller(&format!("tcp:{}", listener.local_addr().unwrap()))
        .unwrap();
    let mut c = Controller {
        s: accept(&listener, &bridge),
        xid: 0,
        frames: Vec::new(),
        pending: VecDeque::new(),
    };

    // --- Handshake -----------------------------------------------------------------------
    let (h, hello) = c.recv();
    assert_eq!(h.version, 4);
    assert_eq!(
        hello,
        Message::Hello(Hello::with_versions(&[4])),
        "OVS's HELLO"
    );
    c.send(&Message::Hello(Hello::with_versions(&[4])));
    let (features, _) = c.request(&Message::FeaturesRequest);
    let Message::FeaturesReply(features) = features else {
        panic!("{features}")
    };
    assert_eq!(features.datapath_id, DPID);
    assert_eq!(features.n_tables, 254);
    assert_eq!(features.auxiliary_id, 0);

    // --- Configuration, role, async, queues, echo -----------------------------------------------
    let config = SwitchConfig {
        flags: ConfigFlags::empty(),
        miss_send_len: 0xffff,
    };
    assert!(c.apply(&[Message::SetConfig(config)]).is_empty());
    assert_eq!(
        c.request(&Message::GetConfigRequest).0,
        Message::GetConfigReply(config)
    );
    let (role, _) = c.request(&Message::RoleRequest(Role {
        role: ControllerRole::NoChange,
        generation_id: 0,
    }));
    assert!(
        matches!(
            role,
            Message::RoleReply(Role {
                role: ControllerRole::Equal,
                ..
            })
        ),
        "{role}"
    );
    let (role, _) = c.request(&Message::RoleRequest(Role {
        role: ControllerRole::Master,
        generation_id: 7,
    }));
    assert_eq!(
        role,
        Message::RoleReply(Role {
            role: ControllerRole::Master,
            generation_id: 7
        })
    );
    let asyncs = AsyncConfig {
        packet_in_mask: [0b111, 0],
        port_status_mask: [0b111, 0b111],
        flow_removed_mask: [0b1111, 0],
    };
    assert!(c.apply(&[Message::SetAsync(asyncs)]).is_empty());
    assert_eq!(
        c.request(&Message::GetAsyncRequest).0,
        Message::GetAsyncReply(asyncs)
    );
    let (queues, _) = c.request(&Message::QueueGetConfigRequest(PortNo(1)));
    assert!(
        matches!(&queues, Message::QueueGetConfigReply(q) if q.port == PortNo(1)),
        "{queues}"
    );
    let (echo, _) = c.request(&Message::EchoRequest(Bytes::from_static(b"sluice")));
    assert_eq!(echo, Message::EchoReply(Bytes::from_static(b"sluice")));

    // --- Flows, groups, a meter ---------------------------------------------------------------
    let to_controller = FlowMod {
        cookie: 0xc0,
        priority: 100,
        match_: Match::from_fields([OxmField::InPort(PortNo(2))]),
        instructions: vec![Instruction::ApplyActions(vec![Action::output(
            PortNo::CONTROLLER,
        )])],
        ..FlowMod::default()
    };
    let table_miss = FlowMod {
        cookie: 0x1,
        priority: 0,
        instructions: vec![Instruction::ApplyActions(vec![Action::output(
            PortNo::CONTROLLER,
        )])],
        ..FlowMod::default()
    };
    let rich = FlowMod {
        cookie: 0x5adc_15c0,
        table_id: 1,
        priority: 9000,
        idle_timeout: 300,
        flags: FlowModFlags::SEND_FLOW_REM,
        match_: Match::from_fields([
            OxmField::InPort(PortNo(1)),
            OxmField::VlanVid(0x1064, None),
            OxmField::EthType(0x0800),
            OxmField::Ipv4Dst(
                "203.0.113.0".parse().unwrap(),
                Some("255.255.255.0".parse().unwrap()),
            ),
        ]),
        instructions: vec![
            Instruction::Meter(1),
            Instruction::ApplyActions(vec![
                Action::PopVlan,
                Action::SetField(OxmField::EthDst("0e:00:00:00:00:09".parse().unwrap(), None)),
            ]),
            Instruction::WriteActions(vec![Action::Group(1)]),
            Instruction::WriteMetadata {
                metadata: 0x12,
                mask: 0xff,
            },
            Instruction::GotoTable(2),
        ],
        ..FlowMod::default()
    };
    let short_lived = FlowMod {
        cookie: 0x7,
        table_id: 4,
        priority: 7,
        hard_timeout: 1,
        flags: FlowModFlags::SEND_FLOW_REM,
        match_: Match::from_fields([OxmField::EthType(0x0806)]),
        ..FlowMod::default()
    };
    let deleted_later = FlowMod {
        cookie: 0x8,
        table_id: 3,
        priority: 8,
        flags: FlowModFlags::SEND_FLOW_REM,
        match_: Match::from_fields([OxmField::EthType(0x86dd)]),
        ..FlowMod::default()
    };
    let group_all = GroupMod {
        command: GroupModCommand::Add,
        group_type: GroupType::All,
        group_id: 1,
        buckets: vec![Bucket::new(vec![out(1)]), Bucket::new(vec![out(2)])],
    };
    let group_ff = GroupMod {
        command: GroupModCommand::Add,
        group_type: GroupType::FastFailover,
        group_id: 2,
        buckets: vec![
            Bucket {
                watch_port: PortNo(1),
                ..Bucket::new(vec![out(1)])
            },
            Bucket {
                watch_port: PortNo(2),
                ..Bucket::new(vec![out(2)])
            },
        ],
    };
    let group_select = GroupMod {
        command: GroupModCommand::Add,
        group_type: GroupType::Select,
        group_id: 3,
        buckets: vec![
            Bucket {
                weight: 1,
                ..Bucket::new(vec![out(1)])
            },
            Bucket {
                weight: 3,
                ..Bucket::new(vec![Action::Group(1)])
            },
        ],
    };
    let meter = MeterMod {
        command: MeterModCommand::Add,
        flags: MeterFlags::KBPS | MeterFlags::BURST | MeterFlags::STATS,
        meter_id: 1,
        bands: vec![MeterBand::Drop {
            rate: 10_000,
            burst_size: 1_000,
        }],
    };
    let errors = c.apply(&[
        Message::GroupMod(group_all.clone()),
        Message::GroupMod(group_ff.clone()),
        Message::GroupMod(group_select.clone()),
        Message::MeterMod(meter.clone()),
        Message::FlowMod(to_controller.clone()),
        Message::FlowMod(table_miss.clone()),
        Message::FlowMod(rich.clone()),
        Message::FlowMod(short_lived.clone()),
        Message::FlowMod(deleted_later.clone()),
    ]);
    assert!(errors.is_empty(), "OVS refused: {errors:#?}");

    // --- Every multipart statistic ---------------------------------------------------------------
    use MultipartReplyBody as Rep;
    use MultipartRequestBody as Req;
    let Rep::Desc(desc) = c.stats(Req::Desc) else {
        panic!()
    };
    assert_eq!(desc.mfr_desc.as_str(), "Nicira, Inc.");
    assert_eq!(desc.hw_desc.as_str(), "Open vSwitch");
    let Rep::Flow(flows) = c.stats(Req::Flow(FlowStatsRequest::default())) else {
        panic!()
    };
    // The flow with a 1 s hard timeout may already be gone; the others must be there.
    let cookies: std::collections::BTreeSet<u64> = flows.iter().map(|f| f.cookie).collect();
    for cookie in [0xc0, 0x1, 0x5adc_15c0, 0x8] {
        assert!(cookies.contains(&cookie), "{flows:#?}");
    }
    let got = flows.iter().find(|f| f.cookie == 0x5adc_15c0).unwrap();
    assert_eq!(
        (got.table_id, got.priority, got.idle_timeout, got.flags),
        (1, 9000, 300, FlowModFlags::SEND_FLOW_REM)
    );
    assert_eq!(fields(&got.match_), fields(&rich.match_));
    assert_eq!(got.instructions, rich.instructions);
    let Rep::Aggregate(agg) = c.stats(Req::Aggregate(FlowStatsRequest {
        table_id: 3,
        ..FlowStatsRequest::default()
    })) else {
        panic!()
    };
    assert_eq!(agg.flow_count, 1);
    let Rep::Table(tables) = c.stats(Req::Table) else {
        panic!()
    };
    assert_eq!(tables.len(), 254);
    assert_eq!(tables[3].active_count, 1);
    assert_eq!(tables[1].active_count, 1);
    let Rep::PortStats(ports) = c.stats(Req::PortStats(PortNo::ANY)) else {
        panic!()
    };
    let mut nos: Vec<u32> = ports.iter().map(|p| p.port_no.0).collect();
    nos.sort();
    assert_eq!(nos, [1, 2, PortNo::LOCAL.0]);
    let Rep::Queue(_) = c.stats(Req::Queue {
        port_no: PortNo::ANY,
        queue_id: OFPQ_ALL,
    }) else {
        panic!()
    };
    let Rep::Group(groups) = c.stats(Req::Group(OFPG_ALL)) else {
        panic!()
    };
    assert_eq!(groups.len(), 3);
    assert!(groups.iter().all(|g| g.bucket_stats.len() == 2));
    let Rep::GroupDesc(mut descs) = c.stats(Req::GroupDesc) else {
        panic!()
    };
    descs.sort_by_key(|g| g.group_id);
    for (got, want) in descs.iter().zip([&group_all, &group_ff, &group_select]) {
        assert_eq!(
            (got.group_type, got.group_id, &got.buckets),
            (want.group_type, want.group_id, &want.buckets)
        );
    }
    let Rep::GroupFeatures(gf) = c.stats(Req::GroupFeatures) else {
        panic!()
    };
    assert_eq!(gf.types, 0xf);
    let Rep::Meter(meters) = c.stats(Req::Meter(OFPM_ALL)) else {
        panic!()
    };
    assert_eq!(meters.len(), 1);
    assert_eq!((meters[0].meter_id, meters[0].flow_count), (1, 1));
    let Rep::MeterConfig(configs) = c.stats(Req::MeterConfig(OFPM_ALL)) else {
        panic!()
    };
    assert_eq!(configs.len(), 1);
    assert_eq!(
        (configs[0].meter_id, configs[0].flags, &configs[0].bands),
        (1, meter.flags, &meter.bands)
    );
    let Rep::MeterFeatures(mf) = c.stats(Req::MeterFeatures) else {
        panic!()
    };
    assert!(mf.max_meter > 0);
    // The TABLE_FEATURES reply is big: one table per part, 254 parts.
    let (reply, parts) = c.request(&Message::MultipartRequest(MultipartRequest::new(
        Req::TableFeatures(vec![]),
    )));
    let Message::MultipartReply(MultipartReply {
        body: Rep::TableFeatures(features),
        ..
    }) = reply
    else {
        panic!()
    };
    assert!(parts > 1, "a {parts}-part TABLE_FEATURES reply");
    assert_eq!(features.len(), 254);
    assert!(features.iter().all(|t| t.properties.len() >= 10));
    let Rep::PortDesc(port_desc) = c.stats(Req::PortDesc) else {
        panic!()
    };
    let by_no = |no: u32| -> Port {
        port_desc
            .iter()
            .find(|p| p.port_no == PortNo(no))
            .cloned()
            .unwrap()
    };
    assert_eq!(by_no(1).name.as_str(), loop_pair.a());
    assert_eq!(by_no(2).name.as_str(), loop_pair.b());
    assert_eq!(by_no(PortNo::LOCAL.0).name.as_str(), bridge.name());

    // --- PACKET_IN: through the veth loop into port 2 (a flow sends it to us), and into port 1
    // (the table-miss flow does) ---------------------------------------------------------------
    let frame = udp_frame();
    assert!(
        c.apply(&[Message::PacketOut(PacketOut::new(
            PortNo::CONTROLLER,
            vec![out(1)],
            frame.clone(),
        ))])
        .is_empty()
    );
    let Message::PacketIn(pin) = c.wait_for(
        "PACKET_IN from port 2",
        |m| matches!(m, Message::PacketIn(p) if p.in_port() == Some(PortNo(2))),
    ) else {
        unreachable!()
    };
    assert_eq!(
        (pin.reason, pin.table_id, pin.cookie, pin.total_len),
        (PacketInReason::Action, 0, 0xc0, frame.len() as u16)
    );
    assert_eq!(pin.data, frame);
    assert!(
        c.apply(&[Message::PacketOut(PacketOut::new(
            PortNo::CONTROLLER,
            vec![out(2)],
            frame.clone(),
        ))])
        .is_empty()
    );
    // (A packet-out sent straight to TABLE would do, but OVS reports a packet-out's trip to
    // the controller as reason `action`, even through the table-miss flow.)
    let Message::PacketIn(pin) = c.wait_for(
        "table-miss PACKET_IN",
        |m| matches!(m, Message::PacketIn(p) if p.in_port() == Some(PortNo(1))),
    ) else {
        unreachable!()
    };
    assert_eq!((pin.reason, pin.cookie), (PacketInReason::NoMatch, 0x1));

    // --- ERROR: modify a group that does not exist ------------------------------------------------
    let bad = Message::GroupMod(GroupMod {
        command: GroupModCommand::Modify,
        group_type: GroupType::All,
        group_id: 99,
        buckets: vec![],
    });
    let bad_bytes = bad.to_bytes(c.xid + 1).unwrap();
    let errors = c.apply(&[bad]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let Message::Error(e) = &errors[0].1 else {
        unreachable!()
    };
    assert_eq!(
        e.error,
        OfError::GroupModFailed(GroupModFailedCode::UnknownGroup)
    );
    assert_eq!(e.data, bad_bytes, "the error carries our request");

    // --- FLOW_REMOVED: a delete, then a hard timeout -----------------------------------------------
    assert!(
        c.apply(&[Message::FlowMod(FlowMod {
            command: FlowModCommand::DeleteStrict,
            ..deleted_later.clone()
        })])
        .is_empty()
    );
    let Message::FlowRemoved(fr) = c.wait_for(
        "FLOW_REMOVED (delete)",
        |m| matches!(m, Message::FlowRemoved(f) if f.cookie == 0x8),
    ) else {
        unreachable!()
    };
    assert_eq!(
        (fr.reason, fr.table_id, fr.priority, &fr.match_),
        (FlowRemovedReason::Delete, 3, 8, &deleted_later.match_)
    );
    let Message::FlowRemoved(fr) = c.wait_for(
        "FLOW_REMOVED (hard timeout)",
        |m| matches!(m, Message::FlowRemoved(f) if f.cookie == 0x7),
    ) else {
        unreachable!()
    };
    assert_eq!(
        (
            fr.reason,
            fr.table_id,
            fr.priority,
            fr.hard_timeout,
            &fr.match_
        ),
        (FlowRemovedReason::HardTimeout, 4, 7, 1, &short_lived.match_)
    );

    // --- PORT_STATUS: a port comes, is taken down by a PORT_MOD, and goes -----------------------------
    let extra = Veth::create(&p.name("x1"), &p.name("x2")).unwrap();
    bridge.add_port(extra.a(), 3).unwrap();
    let Message::PortStatus(ps) = c.wait_for(
        "PORT_STATUS add",
        |m| matches!(m, Message::PortStatus(s) if s.reason == PortReason::Add),
    ) else {
        unreachable!()
    };
    assert_eq!(ps.desc.port_no, PortNo(3));
    assert_eq!(ps.desc.name.as_str(), extra.a());
    let errors = c.apply(&[Message::PortMod(PortMod {
        port_no: PortNo(3),
        hw_addr: ps.desc.hw_addr,
        config: PortConfig::PORT_DOWN,
        mask: PortConfig::PORT_DOWN,
        advertise: PortFeatures::empty(),
    })]);
    assert!(errors.is_empty(), "{errors:#?}");
    let Message::PortStatus(ps) = c.wait_for("PORT_STATUS modify", |m| {
        matches!(m, Message::PortStatus(s)
            if s.reason == PortReason::Modify && s.desc.config.contains(PortConfig::PORT_DOWN))
    }) else {
        unreachable!()
    };
    assert_eq!(ps.desc.port_no, PortNo(3));
    bridge.del_port(extra.a()).unwrap();
    let Message::PortStatus(ps) = c.wait_for(
        "PORT_STATUS delete",
        |m| matches!(m, Message::PortStatus(s) if s.reason == PortReason::Delete),
    ) else {
        unreachable!()
    };
    assert_eq!(ps.desc.port_no, PortNo(3));

    // Clean the tables (the bridge goes with its guard anyway) and finish with a barrier.
    assert!(
        c.apply(&[Message::FlowMod(FlowMod {
            command: FlowModCommand::Delete,
            table_id: OFPTT_ALL,
            ..FlowMod::default()
        })])
        .is_empty()
    );

    // --- Every frame OVS sent decodes and encodes back to the same bytes ------------------------------
    let mut kinds = std::collections::BTreeSet::new();
    let mut mismatches = Vec::new();
    for f in &c.frames {
        let (h, m) = decode(f);
        kinds.insert(m.type_name());
        let again = m.to_bytes(h.xid).unwrap();
        if again != *f {
            mismatches.push(format!("{m}\n  OVS:  {}\n  ours: {}", hex(f), hex(&again)));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    for k in [
        "HELLO",
        "FEATURES_REPLY",
        "GET_CONFIG_REPLY",
        "ROLE_REPLY",
        "GET_ASYNC_REPLY",
        "QUEUE_GET_CONFIG_REPLY",
        "ECHO_REPLY",
        "BARRIER_REPLY",
        "MULTIPART_REPLY",
        "PACKET_IN",
        "FLOW_REMOVED",
        "PORT_STATUS",
        "ERROR",
    ] {
        assert!(kinds.contains(k), "OVS sent no {k}: {kinds:?}");
    }
    drop(extra);
    drop(loop_pair);
    drop(bridge);
}
