//! Open vSwitch → ours: `ovs-ofctl -O OpenFlow13` is pointed at a listener in this test that
//! plays the switch. The listener answers the handshake and every request with plausible
//! replies encoded by our codec, and captures every frame ovs-ofctl sends. Each captured frame
//! is decoded with our codec, checked against what the command said (the FLOW_MOD's table,
//! priority, cookie, match and instructions; the GROUP_MOD's buckets; ...), and re-encoded to
//! the same bytes. ovs-ofctl printing our replies (dump-flows, show, ...) checks the other
//! direction in a live exchange.

#![allow(clippy::unwrap_used)]
// The codec is pure (clippy.toml forbids sockets and clocks in it); this test is where it meets
// a real peer.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags, OFPG_ALL, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL};
use sluice_ofp::msg::multipart::{
    AggregateStats, Counters, Desc, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures,
    GroupStats, MeterConfig, MeterFeatures, MeterStats, MultipartReply, MultipartReplyBody,
    MultipartRequestBody, OFPQ_ALL, PortStats, QueueStats, TableFeatureProp, TableFeatures,
    TableStats, TypeId,
};
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketOut};
use sluice_ofp::msg::port::PortMod;
use sluice_ofp::msg::queue::{PacketQueue, QueueConfig, QueueProp};
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::msg::switch::{Capabilities, ConfigFlags, SwitchConfig, SwitchFeatures};
use sluice_ofp::oxm::OxmId;
use sluice_ofp::port::{PortConfig, PortFeatures, PortState};
use sluice_ofp::{Action, FixedStr, Instruction, Match, Message, OxmField, OxmKind, Port, PortNo};
use sluice_wire::MacAddr;

use common::{assert_reencodes, decode, hex, read_frame};

/// What one ovs-ofctl run sent, and what it printed.
struct Capture {
    /// Every frame ovs-ofctl sent, in order (HELLO first).
    frames: Vec<Bytes>,
    /// ovs-ofctl's standard output.
    stdout: String,
}

impl Capture {
    /// The decoded messages other than the handshake and barriers.
    fn messages(&self) -> Vec<Message> {
        self.frames
            .iter()
            .map(|f| decode(f).1)
            .filter(|m| {
                !matches!(
                    m,
                    Message::Hello(_) | Message::BarrierRequest | Message::EchoRequest(_)
                )
            })
            .collect()
    }

    /// The messages other than the handshake, barriers and the PORT_DESC and TABLE_FEATURES
    /// requests ovs-ofctl sends first to learn port and table names.
    fn ops(&self) -> Vec<Message> {
        self.messages()
            .into_iter()
            .filter(|m| {
                !matches!(m, Message::MultipartRequest(r)
                    if r.body == MultipartRequestBody::PortDesc
                        || r.body == MultipartRequestBody::TableFeatures(vec![]))
            })
            .collect()
    }

    /// The only message of the run that is not handshake, barrier or name lookup.
    fn one(&self) -> Message {
        let m = self.ops();
        assert_eq!(m.len(), 1, "expected one message, got {m:#?}");
        m.into_iter().next().unwrap()
    }

    fn flow_mods(&self) -> Vec<FlowMod> {
        self.messages()
            .into_iter()
            .filter_map(|m| match m {
                Message::FlowMod(f) => Some(f),
                _ => None,
            })
            .collect()
    }
}

/// The state of the pretend switch across the connections of one run.
struct FakeSwitch {
    config: SwitchConfig,
}

fn mac(s: &str) -> MacAddr {
    s.parse().unwrap()
}

fn ports() -> Vec<Port> {
    (1..=3)
        .map(|n| Port {
            port_no: PortNo(n),
            hw_addr: MacAddr([0x0e, 0, 0, 0, 0, n as u8]),
            name: FixedStr::new(&format!("p{n}")),
            config: PortConfig::empty(),
            state: PortState::LIVE,
            curr: PortFeatures::RATE_10GB_FD | PortFeatures::COPPER,
            advertised: PortFeatures::empty(),
            supported: PortFeatures::RATE_10GB_FD,
            peer: PortFeatures::empty(),
            curr_speed: 10_000_000,
            max_speed: 10_000_000,
        })
        .collect()
}

fn table_features(table_id: u8) -> TableFeatures {
    let ids = |t: &[u16]| t.iter().map(|t| TypeId::new(*t)).collect::<Vec<_>>();
    let oxm = |k: &[(OxmKind, bool)]| k.iter().map(|(k, m)| OxmId::basic(*k, *m)).collect();
    TableFeatures {
        table_id,
        name: FixedStr::new(&format!("t{table_id}")),
        metadata_match: u64::MAX,
        metadata_write: u64::MAX,
        config: 0,
        max_entries: 1000,
        properties: vec![
            TableFeatureProp::Instructions {
                miss: false,
                ids: ids(&[1, 2, 3, 4, 5, 6]),
            },
            TableFeatureProp::Instructions {
                miss: true,
                ids: ids(&[1, 4]),
            },
            TableFeatureProp::NextTables {
                miss: false,
                tables: vec![table_id + 1],
            },
            TableFeatureProp::NextTables {
                miss: true,
                tables: vec![table_id + 1],
            },
            TableFeatureProp::WriteActions {
                miss: false,
                ids: ids(&[0, 22]),
            },
            TableFeatureProp::WriteActions {
                miss: true,
                ids: ids(&[0]),
            },
            TableFeatureProp::ApplyActions {
                miss: false,
                ids: ids(&[0, 17, 18, 25]),
            },
            TableFeatureProp::ApplyActions {
                miss: true,
                ids: ids(&[0]),
            },
            TableFeatureProp::Match(oxm(&[(OxmKind::InPort, false), (OxmKind::EthDst, true)])),
            TableFeatureProp::Wildcards(oxm(&[(OxmKind::EthDst, false)])),
            TableFeatureProp::WriteSetfield {
                miss: false,
                ids: oxm(&[(OxmKind::VlanVid, false)]),
            },
            TableFeatureProp::WriteSetfield {
                miss: true,
                ids: vec![],
            },
            TableFeatureProp::ApplySetfield {
                miss: false,
                ids: oxm(&[(OxmKind::VlanVid, false)]),
            },
            TableFeatureProp::ApplySetfield {
                miss: true,
                ids: vec![],
            },
        ],
    }
}

impl FakeSwitch {
    /// The answer to one request, if it gets one.
    fn answer(&mut self, msg: &Message) -> Option<Message> {
        use MultipartReplyBody as Rep;
        use MultipartRequestBody as Req;
        Some(match msg {
            Message::EchoRequest(d) => Message::EchoReply(d.clone()),
            Message::FeaturesRequest => Message::FeaturesReply(SwitchFeatures {
                datapath_id: 0x5adc,
                n_buffers: 0,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: Capabilities::FLOW_STATS | Capabilities::PORT_STATS,
                reserved: 0,
            }),
            Message::GetConfigRequest => Message::GetConfigReply(self.config),
            Message::SetConfig(c) => {
                self.config = *c;
                return None;
            }
            Message::BarrierRequest => Message::BarrierReply,
            Message::QueueGetConfigRequest(p) => Message::QueueGetConfigReply(QueueConfig {
                port: *p,
                queues: vec![PacketQueue {
                    queue_id: 1,
                    port: *p,
                    properties: vec![QueueProp::MinRate(200), QueueProp::MaxRate(800)],
                }],
            }),
            Message::RoleRequest(r) => Message::RoleReply(*r),
            Message::GetAsyncRequest => Message::GetAsyncReply(AsyncConfig::default()),
            Message::MultipartRequest(m) => {
                let body = match &m.body {
                    Req::Desc => Rep::Desc(Box::new(Desc {
                        mfr_desc: FixedStr::new("sluice"),
                        hw_desc: FixedStr::new("fake switch"),
                        sw_desc: FixedStr::new("ovs_capture.rs"),
                        serial_num: FixedStr::new("0"),
                        dp_desc: FixedStr::new("capture"),
                    })),
                    Req::Flow(_) => Rep::Flow(vec![FlowStats {
                        table_id: 1,
                        duration_sec: 3,
                        duration_nsec: 0,
                        priority: 9000,
                        idle_timeout: 0,
                        hard_timeout: 0,
                        flags: FlowModFlags::empty(),
                        cookie: 0x5adc_15c0,
                        packet_count: 7,
                        byte_count: 700,
                        match_: Match::from_fields([OxmField::InPort(PortNo(1))]),
                        instructions: vec![Instruction::ApplyActions(vec![Action::output(2)])],
                    }]),
                    Req::Aggregate(_) => Rep::Aggregate(AggregateStats {
                        packet_count: 7,
                        byte_count: 700,
                        flow_count: 1,
                    }),
                    Req::Table => Rep::Table(
                        (0..2)
                            .map(|t| TableStats {
                                table_id: t,
                                active_count: 1,
                                lookup_count: 10,
                                matched_count: 5,
                            })
                            .collect(),
                    ),
                    Req::PortStats(_) => Rep::PortStats(vec![PortStats {
                        port_no: PortNo(2),
                        rx_packets: 11,
                        tx_packets: 22,
                        ..PortStats::default()
                    }]),
                    Req::Queue { .. } => Rep::Queue(vec![QueueStats {
                        port_no: PortNo(1),
                        queue_id: 2,
                        tx_bytes: 300,
                        tx_packets: 3,
                        ..QueueStats::default()
                    }]),
                    Req::Group(_) => Rep::Group(vec![GroupStats {
                        group_id: 1,
                        ref_count: 1,
                        packet_count: 5,
                        byte_count: 500,
                        bucket_stats: vec![Counters {
                            packet_count: 5,
                            byte_count: 500,
                        }],
                        ..GroupStats::default()
                    }]),
                    Req::GroupDesc => Rep::GroupDesc(vec![GroupDesc {
                        group_type: GroupType::All,
                        group_id: 1,
                        buckets: vec![Bucket::new(vec![Action::output(1)])],
                    }]),
                    Req::GroupFeatures => Rep::GroupFeatures(GroupFeatures {
                        types: 0xf,
                        capabilities: 0x3,
                        max_groups: [100; 4],
                        actions: [1; 4],
                    }),
                    Req::Meter(_) => Rep::Meter(vec![MeterStats {
                        meter_id: 1,
                        flow_count: 1,
                        band_stats: vec![Counters::default()],
                        ..MeterStats::default()
                    }]),
                    Req::MeterConfig(_) => Rep::MeterConfig(vec![MeterConfig {
                        flags: MeterFlags::KBPS,
                        meter_id: 1,
                        bands: vec![MeterBand::Drop {
                            rate: 1000,
                            burst_size: 0,
                        }],
                    }]),
                    Req::MeterFeatures => Rep::MeterFeatures(MeterFeatures {
                        max_meter: 64,
                        band_types: 0b110,
                        capabilities: 0b1111,
                        max_bands: 4,
                        max_color: 0,
                    }),
                    Req::TableFeatures(_) => {
                        Rep::TableFeatures(vec![table_features(0), table_features(1)])
                    }
                    Req::PortDesc => Rep::PortDesc(ports()),
                    other => panic!("ovs-ofctl sent an unexpected multipart request {other:?}"),
                };
                Message::MultipartReply(MultipartReply::new(body))
            }
            _ => return None,
        })
    }
}

/// Serves one connection until ovs-ofctl closes it, appending what it sent to `frames`.
/// Connections are served at once (`ovs-ofctl show` opens a second one while its first is
/// still open), so the switch state and the capture are shared.
fn serve(mut s: TcpStream, sw: &Mutex<FakeSwitch>, frames: &Mutex<Vec<Bytes>>) {
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let hello = Message::Hello(Hello::with_versions(&[4]))
        .to_bytes(1)
        .unwrap();
    s.write_all(&hello).unwrap();
    while let Ok(Some(frame)) = read_frame(&mut s) {
        let (h, m) = decode(&frame);
        frames.lock().unwrap().push(frame);
        let reply = sw.lock().unwrap().answer(&m);
        if let Some(reply) = reply {
            // ovs-ofctl may close as soon as it has what it wants.
            let _ = s.write_all(&reply.to_bytes(h.xid).unwrap());
        }
    }
}

/// Runs `ovs-ofctl -O OpenFlow13 <cmd> tcp:127.0.0.1:PORT <args>` against a fake switch
/// (feeding `stdin` to it when given), requires it to succeed, and returns what it sent.
fn ofctl(cmd: &str, flags: &[&str], args: &[&str], stdin: Option<&str>) -> Capture {
    common::require_ovs_ofctl();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = format!("tcp:{}", listener.local_addr().unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let server = {
        let done = done.clone();
        std::thread::spawn(move || {
            let sw = Mutex::new(FakeSwitch {
                config: SwitchConfig {
                    flags: ConfigFlags::empty(),
                    miss_send_len: 128,
                },
            });
            let frames = Mutex::new(Vec::new());
            let until = Instant::now() + Duration::from_secs(20);
            std::thread::scope(|scope| {
                loop {
                    match listener.accept() {
                        Ok((s, _)) => {
                            let (sw, frames) = (&sw, &frames);
                            scope.spawn(move || serve(s, sw, frames));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            if done.load(Ordering::SeqCst) || Instant::now() > until {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        Err(e) => panic!("accept: {e}"),
                    }
                }
            });
            frames.into_inner().unwrap()
        })
    };
    let mut argv: Vec<&str> = vec!["-O", "OpenFlow13", "--timeout=10"];
    argv.extend_from_slice(flags);
    argv.push(cmd);
    argv.push(&target);
    argv.extend_from_slice(args);
    let mut child = Command::new("ovs-ofctl")
        .args(&argv)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run ovs-ofctl: {e}\n{}", common::INSTALL_HINT));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    done.store(true, Ordering::SeqCst);
    let frames = server.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ovs-ofctl {} failed ({}):\nstdout: {stdout}\nstderr: {}\nit sent:\n{}",
        argv.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        frames
            .iter()
            .map(|f| decode(f).1.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // ovs-ofctl opens with a HELLO offering OpenFlow 1.3.
    let (h, hello) = decode(&frames[0]);
    assert_eq!(h.version, 4);
    assert_eq!(hello, Message::Hello(Hello::with_versions(&[4])));
    // `SLUICE_CAPTURE_DUMP=1` shows what ovs-ofctl sent (to write new golden byte tests).
    if std::env::var_os("SLUICE_CAPTURE_DUMP").is_some() {
        for f in &frames {
            eprintln!("{} {}: {}", argv.join(" "), hex(f), decode(f).1);
        }
    }
    // Everything it sent decodes and encodes back to the same bytes.
    for f in &frames {
        assert_reencodes(f);
    }
    Capture { frames, stdout }
}

/// The fields of a match as a sorted list, to compare matches whose fields OVS orders its own
/// way (OpenFlow does not make the order significant).
fn fields(m: &Match) -> Vec<String> {
    let mut v: Vec<String> = m.iter().map(|f| format!("{f:?}")).collect();
    v.sort();
    v
}

/// Compares a FLOW_MOD from OVS with the one the command meant (match fields in any order).
fn assert_flow_mod(got: &FlowMod, want: &FlowMod) {
    assert_eq!(
        fields(&got.match_),
        fields(&want.match_),
        "match of {got:?}"
    );
    let mut got = got.clone();
    got.match_ = want.match_.clone();
    assert_eq!(&got, want);
}

fn ip4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn ip6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn add(table_id: u8, priority: u16, m: Vec<OxmField>, instructions: Vec<Instruction>) -> FlowMod {
    FlowMod {
        table_id,
        priority,
        match_: Match::from_fields(m),
        instructions,
        ..FlowMod::default()
    }
}

fn apply(a: Vec<Action>) -> Vec<Instruction> {
    vec![Instruction::ApplyActions(a)]
}

/// `output:port` as OVS encodes it: `max_len` 0 unless the port is the controller.
fn out(port: impl Into<PortNo>) -> Action {
    Action::Output {
        port: port.into(),
        max_len: 0,
    }
}

fn set(f: OxmField) -> Action {
    Action::SetField(f)
}

#[test]
fn add_flow_every_instruction() {
    let c = ofctl(
        "add-flow",
        &[],
        &[
            "table=1,priority=9000,cookie=0x5adc15c0,idle_timeout=60,hard_timeout=600,\
           send_flow_rem,in_port=1,dl_vlan=100,dl_dst=0e:00:00:00:00:01,\
           actions=meter:3,pop_vlan,output:2,clear_actions,\
           write_actions(set_queue:1,group:7,output:3),write_metadata:0x1200/0xff00,goto_table:4",
        ],
        None,
    );
    // add-flow sends the FLOW_MOD and then a barrier, and waits for the barrier's reply.
    assert!(matches!(
        decode(c.frames.last().unwrap()).1,
        Message::BarrierRequest
    ));
    let Message::FlowMod(fm) = c.one() else {
        panic!("not a FLOW_MOD")
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            cookie: 0x5adc_15c0,
            idle_timeout: 60,
            hard_timeout: 600,
            flags: FlowModFlags::SEND_FLOW_REM,
            ..add(
                1,
                9000,
                vec![
                    OxmField::InPort(PortNo(1)),
                    OxmField::EthDst(mac("0e:00:00:00:00:01"), None),
                    OxmField::VlanVid(0x1064, None),
                ],
                vec![
                    Instruction::Meter(3),
                    Instruction::ApplyActions(vec![Action::PopVlan, out(2)]),
                    Instruction::ClearActions,
                    Instruction::WriteActions(vec![Action::SetQueue(1), Action::Group(7), out(3)]),
                    Instruction::WriteMetadata {
                        metadata: 0x1200,
                        mask: 0xff00,
                    },
                    Instruction::GotoTable(4),
                ],
            )
        },
    );
}

/// Many flows through `add-flows -` (one connection): every OVS-supported basic field, masks,
/// and every action OVS implements.
#[test]
fn add_flows_fields_and_actions() {
    use OxmField as F;
    let flows: Vec<(&str, FlowMod)> = vec![
        (
            "table=0,priority=100,tcp,nw_src=198.51.100.0/24,nw_dst=203.0.113.1,ip_dscp=46,\
             nw_ecn=1,tp_src=1024,tp_dst=22,\
             actions=set_field:203.0.113.9->ip_dst,set_field:2222->tcp_dst,push_vlan:0x8100,\
             set_field:4196->vlan_vid,set_field:5->vlan_pcp,output:3",
            add(
                0,
                100,
                vec![
                    F::EthType(0x0800),
                    F::IpProto(6),
                    F::Ipv4Src(ip4("198.51.100.0"), Some(ip4("255.255.255.0"))),
                    F::Ipv4Dst(ip4("203.0.113.1"), None),
                    F::IpDscp(46),
                    F::IpEcn(1),
                    F::TcpSrc(1024),
                    F::TcpDst(22),
                ],
                apply(vec![
                    set(F::Ipv4Dst(ip4("203.0.113.9"), None)),
                    set(F::TcpDst(2222)),
                    Action::PushVlan(0x8100),
                    set(F::VlanVid(0x1064, None)),
                    set(F::VlanPcp(5)),
                    out(3),
                ]),
            ),
        ),
        (
            "table=2,priority=10,icmp6,ipv6_src=2001:db8::/32,ipv6_dst=2001:db8::1,icmp_type=135,\
             icmp_code=0,nd_target=2001:db8::1,nd_sll=0e:00:00:00:00:05,actions=group:5",
            add(
                2,
                10,
                vec![
                    F::EthType(0x86dd),
                    F::IpProto(58),
                    F::Ipv6Src(ip6("2001:db8::"), Some(ip6("ffff:ffff::"))),
                    F::Ipv6Dst(ip6("2001:db8::1"), None),
                    F::Icmpv6Type(135),
                    F::Icmpv6Code(0),
                    F::Ipv6NdTarget(ip6("2001:db8::1")),
                    F::Ipv6NdSll(mac("0e:00:00:00:00:05")),
                ],
                apply(vec![Action::Group(5)]),
            ),
        ),
        (
            "priority=11,icmp6,icmp_type=136,nd_tll=0e:00:00:00:00:06,ipv6_label=0x12345,\
             actions=set_field:2001:db8::9->ipv6_src,set_field:0x54321->ipv6_label,output:1",
            add(
                0,
                11,
                vec![
                    F::EthType(0x86dd),
                    F::IpProto(58),
                    F::Ipv6Flabel(0x12345, None),
                    F::Icmpv6Type(136),
                    F::Ipv6NdTll(mac("0e:00:00:00:00:06")),
                ],
                apply(vec![
                    set(F::Ipv6Src(ip6("2001:db8::9"), None)),
                    set(F::Ipv6Flabel(0x54321, None)),
                    out(1),
                ]),
            ),
        ),
        (
            "priority=12,arp,arp_op=1,arp_spa=198.51.100.1,arp_tpa=198.51.100.0/25,\
             arp_sha=0e:00:00:00:00:01,arp_tha=0e:00:00:00:00:00/ff:ff:ff:00:00:00,\
             actions=set_field:2->arp_op,set_field:0e:00:00:00:00:09->arp_sha,\
             set_field:198.51.100.9->arp_spa,CONTROLLER:128",
            add(
                0,
                12,
                vec![
                    F::EthType(0x0806),
                    F::ArpOp(1),
                    F::ArpSpa(ip4("198.51.100.1"), None),
                    F::ArpTpa(ip4("198.51.100.0"), Some(ip4("255.255.255.128"))),
                    F::ArpSha(mac("0e:00:00:00:00:01"), None),
                    F::ArpTha(mac("0e:00:00:00:00:00"), Some(mac("ff:ff:ff:00:00:00"))),
                ],
                apply(vec![
                    set(F::ArpOp(2)),
                    set(F::ArpSha(mac("0e:00:00:00:00:09"), None)),
                    set(F::ArpSpa(ip4("198.51.100.9"), None)),
                    Action::Output {
                        port: PortNo::CONTROLLER,
                        max_len: 128,
                    },
                ]),
            ),
        ),
        (
            "priority=13,metadata=0x1/0xff,tun_id=0x42,dl_src=0e:00:00:00:00:00/ff:ff:ff:00:00:00,\
             dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,vlan_tci=0x1000/0x1000,\
             actions=set_field:0e:00:00:00:00:0a->eth_src,set_field:0e:00:00:00:00:0b->eth_dst,\
             set_field:0x99->tun_id,pop_vlan,NORMAL",
            add(
                0,
                13,
                vec![
                    F::Metadata(1, Some(0xff)),
                    F::TunnelId(0x42, None),
                    F::EthSrc(mac("0e:00:00:00:00:00"), Some(mac("ff:ff:ff:00:00:00"))),
                    F::EthDst(mac("01:00:00:00:00:00"), Some(mac("01:00:00:00:00:00"))),
                    F::VlanVid(0x1000, Some(0x1000)),
                ],
                apply(vec![
                    set(F::EthSrc(mac("0e:00:00:00:00:0a"), None)),
                    set(F::EthDst(mac("0e:00:00:00:00:0b"), None)),
                    set(F::TunnelId(0x99, None)),
                    Action::PopVlan,
                    out(PortNo::NORMAL),
                ]),
            ),
        ),
        (
            "priority=14,mpls,mpls_label=100,mpls_tc=3,mpls_bos=1,\
             actions=set_field:200->mpls_label,set_field:4->mpls_tc,dec_mpls_ttl,\
             pop_mpls:0x0800,output:1",
            add(
                0,
                14,
                vec![
                    F::EthType(0x8847),
                    F::MplsLabel(100),
                    F::MplsTc(3),
                    F::MplsBos(1),
                ],
                apply(vec![
                    set(F::MplsLabel(200)),
                    set(F::MplsTc(4)),
                    Action::DecMplsTtl,
                    Action::PopMpls(0x0800),
                    out(1),
                ]),
            ),
        ),
        (
            "priority=15,udp,in_port=3,tp_src=68,tp_dst=67,\
             actions=set_field:5353->udp_src,push_mpls:0x8847,set_field:10->mpls_label,output:IN_PORT",
            add(
                0,
                15,
                vec![
                    F::InPort(PortNo(3)),
                    F::EthType(0x0800),
                    F::IpProto(17),
                    F::UdpSrc(68),
                    F::UdpDst(67),
                ],
                apply(vec![
                    set(F::UdpSrc(5353)),
                    Action::PushMpls(0x8847),
                    set(F::MplsLabel(10)),
                    out(PortNo::IN_PORT),
                ]),
            ),
        ),
        (
            "priority=16,sctp,tp_src=1,tp_dst=2,actions=set_field:3->sctp_src,set_queue:4,LOCAL",
            add(
                0,
                16,
                vec![
                    F::EthType(0x0800),
                    F::IpProto(132),
                    F::SctpSrc(1),
                    F::SctpDst(2),
                ],
                apply(vec![
                    set(F::SctpSrc(3)),
                    Action::SetQueue(4),
                    out(PortNo::LOCAL),
                ]),
            ),
        ),
        (
            "priority=17,icmp,icmp_type=8,icmp_code=0,\
             actions=dec_ttl,mod_nw_ttl:9,set_field:0->icmp_type,set_field:46->ip_dscp,FLOOD,ALL",
            add(
                0,
                17,
                vec![
                    F::EthType(0x0800),
                    F::IpProto(1),
                    F::Icmpv4Type(8),
                    F::Icmpv4Code(0),
                ],
                apply(vec![
                    Action::DecNwTtl,
                    Action::SetNwTtl(9),
                    set(F::Icmpv4Type(0)),
                    set(F::IpDscp(46)),
                    out(PortNo::FLOOD),
                    out(PortNo::ALL),
                ]),
            ),
        ),
        (
            "priority=18,vlan_tci=0x0000/0x1fff,actions=push_vlan:0x88a8,set_field:4296->vlan_vid,\
             output:2",
            add(
                0,
                18,
                vec![F::VlanVid(0, None)],
                apply(vec![
                    Action::PushVlan(0x88a8),
                    set(F::VlanVid(0x10c8, None)),
                    out(2),
                ]),
            ),
        ),
    ];
    let input: String = flows.iter().map(|(text, _)| format!("{text}\n")).collect();
    let c = ofctl("add-flows", &[], &["-"], Some(&input));
    let got = c.flow_mods();
    assert_eq!(got.len(), flows.len(), "{:#?}", c.messages());
    for (fm, (text, want)) in got.iter().zip(&flows) {
        assert!(
            std::panic::catch_unwind(|| assert_flow_mod(fm, want)).is_ok(),
            "flow {text:?}\n  got  {fm}\n  want {want}"
        );
    }
}

/// `tcp_dst=0x1000/0xf000`: OpenFlow 1.3 has no mask on tcp_dst, but OVS sends one anyway (an
/// OVS extension: its OXM table makes every transport port maskable). We keep such a field
/// as it came, as a raw OXM, and give the same bytes back.
#[test]
fn masked_transport_port_is_kept_raw() {
    let c = ofctl(
        "add-flow",
        &[],
        &["tcp,tp_dst=0x1000/0xf000,actions=drop"],
        None,
    );
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    let raw = fm
        .match_
        .iter()
        .find(|f| f.kind().is_none())
        .expect("the masked tcp_dst is kept raw");
    let OxmField::Other(r) = raw else { panic!() };
    assert_eq!((r.class, r.field, r.has_mask), (0x8000, 14, true));
    assert_eq!(&r.payload[..], &[0x10, 0x00, 0xf0, 0x00]);
    assert!(fm.instructions.is_empty());
}

#[test]
fn mod_flows_and_strict() {
    let c = ofctl(
        "mod-flows",
        &[],
        &["table=2,cookie=0x10/0xff,ip,actions=NORMAL"],
        None,
    );
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            command: FlowModCommand::Modify,
            cookie: 0x10,
            cookie_mask: 0xff,
            ..add(
                2,
                0x8000,
                vec![OxmField::EthType(0x0800)],
                apply(vec![out(PortNo::NORMAL)]),
            )
        },
    );
    let c = ofctl(
        "mod-flows",
        &["--strict"],
        &["table=3,priority=100,in_port=4,actions=FLOOD"],
        None,
    );
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            command: FlowModCommand::ModifyStrict,
            ..add(
                3,
                100,
                vec![OxmField::InPort(PortNo(4))],
                apply(vec![out(PortNo::FLOOD)]),
            )
        },
    );
}

#[test]
fn del_flows_all_filtered_and_strict() {
    // Everything: every table, no filter.
    let c = ofctl("del-flows", &[], &[], None);
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            command: FlowModCommand::Delete,
            table_id: OFPTT_ALL,
            // OVS's default priority; a non-strict delete ignores it.
            priority: 0x8000,
            ..FlowMod::default()
        },
    );
    // Filtered by cookie, out_port and out_group (OVS's ofp-print does not show out_group).
    let c = ofctl(
        "del-flows",
        &[],
        &["table=3,cookie=0x5adc0000/0xffff0000,out_port=2,out_group=7,dl_vlan=10"],
        None,
    );
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            command: FlowModCommand::Delete,
            table_id: 3,
            cookie: 0x5adc_0000,
            cookie_mask: 0xffff_0000,
            out_port: PortNo(2),
            out_group: 7,
            priority: 0x8000,
            match_: Match::from_fields([OxmField::VlanVid(0x100a, None)]),
            ..FlowMod::default()
        },
    );
    let c = ofctl(
        "del-flows",
        &["--strict"],
        &["table=0,priority=5,in_port=1,vlan_tci=0"],
        None,
    );
    let Message::FlowMod(fm) = c.one() else {
        panic!()
    };
    assert_flow_mod(
        &fm,
        &FlowMod {
            command: FlowModCommand::DeleteStrict,
            priority: 5,
            match_: Match::from_fields([OxmField::InPort(PortNo(1)), OxmField::VlanVid(0, None)]),
            ..FlowMod::default()
        },
    );
}

fn group_mod(c: &Capture) -> GroupMod {
    match c.one() {
        Message::GroupMod(g) => g,
        other => panic!("not a GROUP_MOD: {other}"),
    }
}

#[test]
fn groups_of_every_type() {
    let any = |actions| Bucket::new(actions);
    let cases: Vec<(&str, GroupMod)> = vec![
        (
            "group_id=1,type=all,bucket=output:1,bucket=actions=pop_vlan,output:2",
            GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::All,
                group_id: 1,
                buckets: vec![any(vec![out(1)]), any(vec![Action::PopVlan, out(2)])],
            },
        ),
        (
            "group_id=2,type=select,bucket=weight:10,actions=output:1,\
             bucket=weight:20,actions=set_field:0e:00:00:00:00:01->eth_dst,output:2",
            GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::Select,
                group_id: 2,
                buckets: vec![
                    Bucket {
                        weight: 10,
                        ..any(vec![out(1)])
                    },
                    Bucket {
                        weight: 20,
                        ..any(vec![
                            set(OxmField::EthDst(mac("0e:00:00:00:00:01"), None)),
                            out(2),
                        ])
                    },
                ],
            },
        ),
        (
            "group_id=3,type=indirect,bucket=actions=dec_ttl,output:4",
            GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::Indirect,
                group_id: 3,
                buckets: vec![any(vec![Action::DecNwTtl, out(4)])],
            },
        ),
        (
            "group_id=4,type=ff,bucket=watch_port:1,actions=output:1,\
             bucket=watch_port:2,watch_group:3,actions=output:2,bucket=watch_group:1,actions=group:1",
            GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::FastFailover,
                group_id: 4,
                buckets: vec![
                    Bucket {
                        watch_port: PortNo(1),
                        ..any(vec![out(1)])
                    },
                    Bucket {
                        watch_port: PortNo(2),
                        watch_group: 3,
                        ..any(vec![out(2)])
                    },
                    Bucket {
                        watch_group: 1,
                        ..any(vec![Action::Group(1)])
                    },
                ],
            },
        ),
    ];
    for (text, want) in &cases {
        let got = group_mod(&ofctl("add-group", &[], &[text], None));
        assert_eq!(&got, want, "add-group {text}");
    }
    let got = group_mod(&ofctl(
        "mod-group",
        &[],
        &["group_id=1,type=all,bucket=output:3"],
        None,
    ));
    assert_eq!(
        got,
        GroupMod {
            command: GroupModCommand::Modify,
            group_type: GroupType::All,
            group_id: 1,
            buckets: vec![any(vec![out(3)])],
        }
    );
    let got = group_mod(&ofctl("del-groups", &[], &[], None));
    assert_eq!(
        (got.command, got.group_id, got.buckets.len()),
        (GroupModCommand::Delete, OFPG_ALL, 0)
    );
    let got = group_mod(&ofctl("del-groups", &[], &["group_id=4"], None));
    assert_eq!(
        (got.command, got.group_id, got.buckets.len()),
        (GroupModCommand::Delete, 4, 0)
    );
}

fn meter_mod(c: &Capture) -> MeterMod {
    match c.one() {
        Message::MeterMod(m) => m,
        other => panic!("not a METER_MOD: {other}"),
    }
}

#[test]
fn meters() {
    let got = meter_mod(&ofctl(
        "add-meter",
        &[],
        &["meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000"],
        None,
    ));
    assert_eq!(
        got,
        MeterMod {
            command: MeterModCommand::Add,
            flags: MeterFlags::KBPS | MeterFlags::BURST | MeterFlags::STATS,
            meter_id: 1,
            bands: vec![MeterBand::Drop {
                rate: 10_000,
                burst_size: 1_000,
            }],
        }
    );
    let got = meter_mod(&ofctl(
        "mod-meter",
        &[],
        &["meter=2,pktps,bands=type=drop,rate=1000,type=dscp_remark,rate=500,prec_level=1"],
        None,
    ));
    assert_eq!(
        got,
        MeterMod {
            command: MeterModCommand::Modify,
            flags: MeterFlags::PKTPS,
            meter_id: 2,
            bands: vec![
                MeterBand::Drop {
                    rate: 1000,
                    burst_size: 0,
                },
                MeterBand::DscpRemark {
                    rate: 500,
                    burst_size: 0,
                    prec_level: 1,
                },
            ],
        }
    );
    let got = meter_mod(&ofctl("del-meters", &[], &[], None));
    assert_eq!(
        (got.command, got.meter_id),
        (MeterModCommand::Delete, OFPM_ALL)
    );
    let got = meter_mod(&ofctl("del-meters", &[], &["meter=2"], None));
    assert_eq!((got.command, got.meter_id), (MeterModCommand::Delete, 2));
}

#[test]
fn mod_port() {
    for (args, config, mask) in [
        (["p1", "down"], PortConfig::PORT_DOWN, PortConfig::PORT_DOWN),
        (["2", "up"], PortConfig::empty(), PortConfig::PORT_DOWN),
        (
            ["3", "no-receive"],
            PortConfig::NO_RECV,
            PortConfig::NO_RECV,
        ),
        (["3", "no-forward"], PortConfig::NO_FWD, PortConfig::NO_FWD),
        (
            ["1", "no-packet-in"],
            PortConfig::NO_PACKET_IN,
            PortConfig::NO_PACKET_IN,
        ),
        (
            ["1", "packet-in"],
            PortConfig::empty(),
            PortConfig::NO_PACKET_IN,
        ),
    ] {
        let c = ofctl("mod-port", &[], &args, None);
        let msgs = c.messages();
        // ovs-ofctl looks the port up first (for its number and address), then changes it.
        assert!(
            matches!(&msgs[0], Message::MultipartRequest(m)
                if m.body == MultipartRequestBody::PortDesc),
            "{msgs:#?}"
        );
        let Some(Message::PortMod(pm)) = msgs.last() else {
            panic!("no PORT_MOD: {msgs:#?}")
        };
        let no = args[0].trim_start_matches('p').parse::<u32>().unwrap();
        assert_eq!(
            pm,
            &PortMod {
                port_no: PortNo(no),
                hw_addr: MacAddr([0x0e, 0, 0, 0, 0, no as u8]),
                config,
                mask,
                advertise: PortFeatures::empty(),
            },
            "mod-port {args:?}"
        );
    }
}

#[test]
fn packet_out() {
    let frame = "0a00000000020a00000000010800450000140001000040ff0000c6336401cb007109";
    let c = ofctl(
        "packet-out",
        &[],
        &[
            "1",
            "push_vlan:0x8100,set_field:4196->vlan_vid,output:2",
            frame,
        ],
        None,
    );
    assert_eq!(
        c.one(),
        Message::PacketOut(PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port: PortNo(1),
            actions: vec![
                Action::PushVlan(0x8100),
                set(OxmField::VlanVid(0x1064, None)),
                out(2),
            ],
            data: Bytes::from(common::unhex(frame)),
        })
    );
}

/// The last request of a run (after any name lookups).
fn request(c: &Capture) -> MultipartRequestBody {
    match c.messages().pop().unwrap() {
        Message::MultipartRequest(m) => {
            assert!(m.flags.is_empty());
            m.body
        }
        other => panic!("not a multipart request: {other}"),
    }
}

#[test]
fn dump_flows_and_aggregate() {
    let c = ofctl("dump-flows", &[], &[], None);
    assert_eq!(
        request(&c),
        MultipartRequestBody::Flow(FlowStatsRequest::default())
    );
    // Our FLOW reply, as ovs-ofctl prints it.
    assert!(
        c.stdout.contains(
            "cookie=0x5adc15c0, duration=3s, table=1, n_packets=7, n_bytes=700, \
             priority=9000,in_port=1 actions=output:2"
        ),
        "{}",
        c.stdout
    );
    let filter = "table=1,cookie=0x5adc15c0/-1,out_port=2,out_group=7,in_port=1,dl_type=0x0800";
    let want = FlowStatsRequest {
        table_id: 1,
        out_port: PortNo(2),
        out_group: 7,
        cookie: 0x5adc_15c0,
        cookie_mask: u64::MAX,
        match_: Match::from_fields([OxmField::InPort(PortNo(1)), OxmField::EthType(0x0800)]),
    };
    let MultipartRequestBody::Flow(got) = request(&ofctl("dump-flows", &[], &[filter], None))
    else {
        panic!()
    };
    assert_eq!(fields(&got.match_), fields(&want.match_));
    assert_eq!(
        FlowStatsRequest {
            match_: want.match_.clone(),
            ..got
        },
        want
    );
    let c = ofctl("dump-aggregate", &[], &[filter], None);
    let MultipartRequestBody::Aggregate(got) = request(&c) else {
        panic!()
    };
    assert_eq!(
        FlowStatsRequest {
            match_: want.match_.clone(),
            ..got
        },
        want
    );
    assert!(
        c.stdout
            .contains("packet_count=7 byte_count=700 flow_count=1"),
        "{}",
        c.stdout
    );
}

#[test]
fn stats_requests() {
    use MultipartRequestBody as Req;
    // (command, arguments, the request it must send, something ovs-ofctl prints of our reply)
    let cases: Vec<(&str, Vec<&str>, Req, &str)> = vec![
        ("dump-desc", vec![], Req::Desc, "Manufacturer: sluice"),
        (
            "dump-tables",
            vec![],
            Req::Table,
            "active=1, lookup=10, matched=5",
        ),
        (
            "dump-table-features",
            vec![],
            Req::TableFeatures(vec![]),
            "table 1 (\"t1\")",
        ),
        (
            "dump-ports",
            vec![],
            Req::PortStats(PortNo::ANY),
            "rx pkts=11",
        ),
        (
            "dump-ports",
            vec!["2"],
            Req::PortStats(PortNo(2)),
            "tx pkts=22",
        ),
        (
            "dump-ports-desc",
            vec![],
            Req::PortDesc,
            "3(p3): addr:0e:00:00:00:00:03",
        ),
        (
            "dump-groups",
            vec![],
            Req::GroupDesc,
            "group_id=1,type=all,bucket=actions=output:1",
        ),
        (
            "dump-group-stats",
            vec![],
            Req::Group(OFPG_ALL),
            "group_id=1,duration=0s,ref_count=1",
        ),
        (
            "dump-group-stats",
            vec!["group_id=3"],
            Req::Group(3),
            "packet_count=5",
        ),
        (
            "dump-group-features",
            vec![],
            Req::GroupFeatures,
            "max_groups=0x64",
        ),
        (
            "meter-stats",
            vec![],
            Req::Meter(OFPM_ALL),
            "meter:1 flow_count:1",
        ),
        (
            "meter-stats",
            vec!["meter=1"],
            Req::Meter(1),
            "meter:1 flow_count:1",
        ),
        (
            "dump-meters",
            vec![],
            Req::MeterConfig(OFPM_ALL),
            "meter=1 kbps bands=",
        ),
        (
            "meter-features",
            vec![],
            Req::MeterFeatures,
            "max_meter:64 max_bands:4",
        ),
        (
            "queue-stats",
            vec![],
            Req::Queue {
                port_no: PortNo::ANY,
                queue_id: OFPQ_ALL,
            },
            "port 1 queue 2: bytes=300, pkts=3",
        ),
        (
            "queue-stats",
            vec!["1", "2"],
            Req::Queue {
                port_no: PortNo(1),
                queue_id: 2,
            },
            "port 1 queue 2",
        ),
    ];
    let mut failures = Vec::new();
    for (cmd, args, want, prints) in cases {
        let c = ofctl(cmd, &[], &args, None);
        let got = request(&c);
        if got != want {
            failures.push(format!("{cmd} {args:?}: sent {got:?}, meant {want:?}"));
        }
        if !c.stdout.contains(prints) {
            failures.push(format!(
                "{cmd} {args:?}: output lacks {prints:?}:\n{}",
                c.stdout
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn switch_config_queue_config_show_and_echo() {
    let c = ofctl("get-frags", &[], &[], None);
    assert_eq!(c.one(), Message::GetConfigRequest);
    assert_eq!(c.stdout.trim(), "normal");
    // set-frags reads the configuration, sets it, and reads it back to check.
    let c = ofctl("set-frags", &[], &["drop"], None);
    assert_eq!(
        c.messages(),
        vec![
            Message::GetConfigRequest,
            Message::SetConfig(SwitchConfig {
                flags: ConfigFlags::FRAG_DROP,
                miss_send_len: 128,
            }),
            Message::GetConfigRequest,
        ]
    );
    let c = ofctl("queue-get-config", &[], &["1"], None);
    assert_eq!(c.one(), Message::QueueGetConfigRequest(PortNo(1)));
    assert!(
        c.stdout.contains("queue 1: min_rate:20.0% max_rate:80.0%"),
        "{}",
        c.stdout
    );
    let c = ofctl("show", &[], &[], None);
    let msgs = c.messages();
    assert!(msgs.contains(&Message::FeaturesRequest), "{msgs:#?}");
    assert!(c.stdout.contains("dpid:0000000000005adc"), "{}", c.stdout);
    assert!(
        c.stdout.contains("2(p2): addr:0e:00:00:00:00:02"),
        "{}",
        c.stdout
    );
    // probe and ping exchange echoes; ping checks that the reply carries its payload back.
    let c = ofctl("probe", &[], &[], None);
    assert!(
        c.frames
            .iter()
            .any(|f| matches!(decode(f).1, Message::EchoRequest(_)))
    );
    let c = ofctl("ping", &[], &["64"], None);
    let echoes: Vec<Bytes> = c
        .frames
        .iter()
        .filter_map(|f| match decode(f).1 {
            Message::EchoRequest(d) => Some(d),
            _ => None,
        })
        .collect();
    assert!(!echoes.is_empty());
    assert!(
        echoes.iter().all(|d| d.len() == 64),
        "{:?}",
        echoes.iter().map(|d| hex(d)).collect::<Vec<_>>()
    );
}
