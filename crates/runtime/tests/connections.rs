//! The switch connection layer against scripted switches over real TCP on loopback: the
//! handshake, port events, echo keepalive both ways, batched writes, barriers, replaced and
//! slow connections, and hostile peers that must lose their own connection without
//! disturbing another switch.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sluice_ofp::msg::flow::FlowMod;
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::multipart::{Desc, MultipartReply, MultipartReplyBody, MultipartRequestBody};
use sluice_ofp::msg::port::{PortReason, PortStatus};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::{FixedStr, Message, Port, PortNo, frame_len};
use sluice_runtime::{DisconnectReason, Notification, Options, SendError, Server, ServerHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot};
use tokio::time::{Instant, timeout};

const WAIT: Duration = Duration::from_secs(5);

/// A running server on an ephemeral loopback port.
struct TestServer {
    addr: SocketAddr,
    handle: ServerHandle,
    notes: broadcast::Receiver<Notification>,
    _stop: oneshot::Sender<()>,
}

async fn start(opts: Options) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(opts);
    let handle = server.handle();
    let notes = server.subscribe();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        handle,
        notes,
        _stop: stop,
    }
}

fn fast_opts() -> Options {
    Options {
        echo_interval: Duration::from_millis(200),
        dead_after: Duration::from_millis(700),
        handshake_timeout: Duration::from_millis(700),
        ..Options::default()
    }
}

impl TestServer {
    /// The next notification matching `pred`, skipping others.
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Notification) -> bool) -> Notification {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, self.notes.recv()).await {
                Ok(Ok(n)) if pred(&n) => return n,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("notifications: {e}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }
}

fn port(n: u32) -> Port {
    Port {
        port_no: PortNo(n),
        name: FixedStr::new(&format!("p{n}")),
        curr_speed: 10_000_000,
        ..Port::default()
    }
}

/// A scripted switch: speaks OpenFlow 1.3 over TCP like OVS would, as far as the tests need.
struct FakeSwitch {
    stream: TcpStream,
    buf: BytesMut,
}

impl FakeSwitch {
    /// Connects and completes the handshake.
    async fn connect(addr: SocketAddr, dp_id: u64, ports: Vec<Port>) -> FakeSwitch {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut sw = FakeSwitch {
            stream,
            buf: BytesMut::new(),
        };
        sw.send(1, Message::Hello(Hello::with_versions(&[1, 4])))
            .await;
        let mut answered = 0;
        while answered < 3 {
            let (xid, msg) = sw.recv().await.expect("handshake message");
            let reply = match msg {
                Message::Hello(_) | Message::SetConfig(_) => continue,
                Message::FeaturesRequest => Message::FeaturesReply(SwitchFeatures {
                    datapath_id: dp_id,
                    n_buffers: 0,
                    n_tables: 254,
                    ..SwitchFeatures::default()
                }),
                Message::MultipartRequest(r) => match r.body {
                    MultipartRequestBody::PortDesc => Message::MultipartReply(MultipartReply::new(
                        MultipartReplyBody::PortDesc(ports.clone()),
                    )),
                    MultipartRequestBody::Desc => {
                        let desc = Desc {
                            mfr_desc: FixedStr::new("fake"),
                            sw_desc: FixedStr::new("test"),
                            ..Desc::default()
                        };
                        Message::MultipartReply(MultipartReply::new(MultipartReplyBody::Desc(
                            Box::new(desc),
                        )))
                    }
                    other => panic!("unexpected request during handshake: {other:?}"),
                },
                other => panic!("unexpected message during handshake: {other}"),
            };
            sw.send(xid, reply).await;
            answered += 1;
        }
        sw
    }

    async fn send(&mut self, xid: u32, msg: Message) {
        self.stream
            .write_all(&msg.to_bytes(xid).unwrap())
            .await
            .unwrap();
    }

    /// The next message, or `None` when the controller closes the connection.
    async fn recv(&mut self) -> Option<(u32, Message)> {
        loop {
            if let Some(len) = frame_len(&self.buf).unwrap() {
                let frame = self.buf.split_to(len).freeze();
                let (h, m) = Message::decode(frame).unwrap();
                return Some((h.xid, m));
            }
            let n = timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("read timed out")
                .ok()?;
            if n == 0 {
                return None;
            }
        }
    }

    /// The next `n` flow mods, each with its xid and its bytes as sent; other messages are
    /// passed over.
    async fn recv_flows(&mut self, n: usize) -> Vec<(u32, Bytes)> {
        let mut flows = Vec::new();
        while flows.len() < n {
            let (xid, m) = self.recv().await.unwrap();
            if let Message::FlowMod(_) = m {
                flows.push((xid, m.to_bytes(xid).unwrap()));
            }
        }
        flows
    }

    /// Refuses the flow mod sent as `xid` (its bytes `request`): a bad table, as OVS says.
    async fn refuse_flow(&mut self, xid: u32, request: &[u8]) {
        let err = sluice_ofp::ErrorMsg::for_request(
            sluice_ofp::OfError::FlowModFailed(
                sluice_ofp::msg::error::FlowModFailedCode::BadTableId,
            ),
            request,
        );
        self.send(xid, Message::Error(err)).await;
    }

    /// Reads until the controller closes the connection; panics if it does not within `WAIT`.
    async fn expect_closed(&mut self) -> Vec<Message> {
        let mut seen = Vec::new();
        while let Some((_, m)) = self.recv().await {
            seen.push(m);
        }
        seen
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_reports_the_switch_and_its_ports() {
    let mut srv = start(Options::default()).await;
    let _sw = FakeSwitch::connect(srv.addr, 0xabc, vec![port(1), port(2), port(3)]).await;
    let n = srv
        .wait_for("the switch", |n| {
            matches!(n, Notification::DpConnected { .. })
        })
        .await;
    let Notification::DpConnected { dp_id, ports, desc } = n else {
        unreachable!()
    };
    assert_eq!(dp_id, 0xabc);
    assert_eq!(ports, vec![PortNo(1), PortNo(2), PortNo(3)]);
    assert!(desc.contains("fake"), "{desc}");
    let dps = srv.handle.datapaths().await.unwrap();
    assert_eq!(dps.len(), 1);
    assert_eq!(dps[0].ports.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_add_modify_delete_reach_the_core() {
    let mut srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 7, vec![port(1)]).await;
    srv.wait_for("the switch", |n| {
        matches!(n, Notification::DpConnected { .. })
    })
    .await;
    for reason in [PortReason::Add, PortReason::Modify, PortReason::Delete] {
        sw.send(
            0,
            Message::PortStatus(PortStatus {
                reason,
                desc: port(9),
            }),
        )
        .await;
        let n = srv
            .wait_for("a port change", |n| {
                matches!(n, Notification::PortChange { .. })
            })
            .await;
        assert!(
            matches!(n, Notification::PortChange { dp_id: 7, port_no: PortNo(9), reason: r, .. } if r == reason),
            "{n:?}"
        );
    }
    let dps = srv.handle.datapaths().await.unwrap();
    assert_eq!(
        dps[0].ports.keys().copied().collect::<Vec<_>>(),
        vec![PortNo(1)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_requests_from_the_switch_are_answered() {
    let srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 1, vec![]).await;
    sw.send(
        77,
        Message::EchoRequest(Bytes::from_static(b"are you there")),
    )
    .await;
    loop {
        let (xid, m) = sw.recv().await.unwrap();
        if let Message::EchoReply(data) = m {
            assert_eq!(xid, 77);
            assert_eq!(&data[..], b"are you there");
            break;
        }
    }
}

// Test description: Input: a 20 KB echo request (larger than a new connection's buffers),
// sent in two halves with a quiet spell between them (the controller probes the switch and
// gives back idle buffer space meanwhile), then another after a second quiet spell.
// Output: each answered whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_message_arrives_whole_across_quiet_spells() {
    let srv = start(fast_opts()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 1, vec![]).await;
    let data = Bytes::from((0..20_000u32).map(|i| i as u8).collect::<Vec<u8>>());
    for xid in [9, 10] {
        let bytes = Message::EchoRequest(data.clone()).to_bytes(xid).unwrap();
        let (first, rest) = bytes.split_at(bytes.len() / 2);
        sw.stream.write_all(first).await.unwrap();
        // Past the echo interval (200 ms), within the dead time (700 ms).
        tokio::time::sleep(Duration::from_millis(250)).await;
        sw.stream.write_all(rest).await.unwrap();
        let until = Instant::now() + Duration::from_millis(300);
        let mut answered = false;
        // Answer echo requests until the reply and a quiet spell after it have passed.
        while !answered || Instant::now() < until {
            assert!(Instant::now() < until + WAIT, "no echo reply");
            match timeout(Duration::from_millis(50), sw.recv()).await {
                Ok(Some((x, Message::EchoReply(d)))) if x == xid => {
                    assert_eq!(d, data);
                    answered = true;
                }
                Ok(Some((x, Message::EchoRequest(d)))) => sw.send(x, Message::EchoReply(d)).await,
                Ok(Some(_)) | Err(_) => {}
                Ok(None) => panic!("disconnected"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_keeps_a_live_switch_and_drops_a_silent_one() {
    let mut srv = start(fast_opts()).await;
    let mut live = FakeSwitch::connect(srv.addr, 1, vec![]).await;
    let mut silent = FakeSwitch::connect(srv.addr, 2, vec![]).await;
    // The live switch answers every echo request for two seconds.
    let live_task = tokio::spawn(async move {
        let until = Instant::now() + Duration::from_secs(2);
        let mut echoes = 0;
        while Instant::now() < until {
            match timeout(until - Instant::now(), live.recv()).await {
                Ok(Some((xid, Message::EchoRequest(d)))) => {
                    echoes += 1;
                    live.send(xid, Message::EchoReply(d)).await;
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("the live switch was disconnected"),
                Err(_) => break,
            }
        }
        // Hand the switch back: dropping it here would close its connection.
        (echoes, live)
    });
    // The silent one reads (so it sees the echo requests) but never answers.
    let silent_task = tokio::spawn(async move { silent.expect_closed().await });
    let n = srv
        .wait_for("the silent switch to be dropped", |n| {
            matches!(n, Notification::DpDisconnected { .. })
        })
        .await;
    assert_eq!(
        n,
        Notification::DpDisconnected {
            dp_id: 2,
            reason: DisconnectReason::Dead
        }
    );
    let seen = silent_task.await.unwrap();
    assert!(
        seen.iter().any(|m| matches!(m, Message::EchoRequest(_))),
        "{seen:?}"
    );
    let (echoes, _live) = live_task.await.unwrap();
    assert!(
        echoes >= 3,
        "the controller probes a quiet switch with echo requests"
    );
    let dps = srv.handle.datapaths().await.unwrap();
    assert_eq!(dps.iter().map(|d| d.dp_id).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_out_in_one_write_and_the_barrier_is_acknowledged() {
    let srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 5, vec![port(1)]).await;
    // Wait until the controller has registered the switch.
    while srv.handle.datapaths().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let flows: Vec<Message> = (0..100)
        .map(|i| {
            Message::FlowMod(FlowMod {
                priority: i,
                ..FlowMod::default()
            })
        })
        .collect();
    let handle = srv.handle.clone();
    let sent = tokio::spawn(async move { handle.send(5, flows).await });
    // Everything arrives together: one read returns all 100 flow mods and the barrier.
    let mut buf = BytesMut::with_capacity(1 << 16);
    timeout(WAIT, sw.stream.read_buf(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let mut msgs = Vec::new();
    while let Some(len) = frame_len(&buf).unwrap() {
        msgs.push(Message::decode(buf.split_to(len).freeze()).unwrap());
    }
    assert_eq!(msgs.len(), 101, "one write carried the whole batch");
    assert!(
        msgs[..100]
            .iter()
            .all(|(_, m)| matches!(m, Message::FlowMod(_)))
    );
    let (barrier_xid, last) = &msgs[100];
    assert_eq!(last, &Message::BarrierRequest);
    // Different xids for every message.
    let mut xids: Vec<u32> = msgs.iter().map(|(h, _)| h.xid).collect();
    xids.sort_unstable();
    xids.dedup();
    assert_eq!(xids.len(), 101);
    assert!(!sent.is_finished(), "send waits for the barrier reply");
    sw.send(barrier_xid.xid, Message::BarrierReply).await;
    assert_eq!(timeout(WAIT, sent).await.unwrap().unwrap(), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_errors_name_the_refused_message() {
    let mut srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 5, vec![]).await;
    while srv.handle.datapaths().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let handle = srv.handle.clone();
    let flow = Message::FlowMod(FlowMod {
        table_id: 200,
        priority: 42,
        ..FlowMod::default()
    });
    let sent = tokio::spawn(async move { handle.send(5, vec![flow]).await });
    let (xid, bytes) = sw.recv_flows(1).await.remove(0);
    sw.refuse_flow(xid, &bytes).await;
    let n = srv
        .wait_for("the error", |n| {
            matches!(n, Notification::SwitchError { .. })
        })
        .await;
    let Notification::SwitchError {
        dp_id,
        error,
        request,
    } = n
    else {
        unreachable!()
    };
    assert_eq!(dp_id, 5);
    assert_eq!(
        error.to_string(),
        "OFPET_FLOW_MOD_FAILED/OFPFMFC_BAD_TABLE_ID"
    );
    assert!(request.unwrap().contains("table:200 priority=42"));
    // Still connected: the barrier is answered and the send completes.
    let (bxid, _) = sw.recv().await.unwrap();
    sw.send(bxid, Message::BarrierReply).await;
    assert_eq!(timeout(WAIT, sent).await.unwrap().unwrap(), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_for_one_of_a_large_batchs_last_messages_names_it() {
    let mut srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 6, vec![]).await;
    while srv.handle.datapaths().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let handle = srv.handle.clone();
    let flows = (0..100)
        .map(|i| {
            Message::FlowMod(FlowMod {
                table_id: 200,
                priority: 1000 + i,
                ..FlowMod::default()
            })
        })
        .collect();
    let sent = tokio::spawn(async move { handle.send(6, flows).await });
    let got = sw.recv_flows(100).await;
    // The 90th of the batch is refused: among the last 32 sent, so it is named.
    let (xid, bytes) = &got[89];
    sw.refuse_flow(*xid, bytes).await;
    let n = srv
        .wait_for("the error", |n| {
            matches!(n, Notification::SwitchError { .. })
        })
        .await;
    let Notification::SwitchError { request, .. } = n else {
        unreachable!()
    };
    let request = request.expect("the refused flow is named");
    assert!(request.contains("priority=1089"), "{request}");
    let (bxid, _) = sw.recv().await.unwrap();
    sw.send(bxid, Message::BarrierReply).await;
    assert_eq!(timeout(WAIT, sent).await.unwrap().unwrap(), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_message_is_quoted_in_the_error_before_the_connection_closes() {
    let mut srv = start(Options::default()).await;
    let mut sw = FakeSwitch::connect(srv.addr, 7, vec![]).await;
    srv.wait_for("the switch", |n| {
        matches!(n, Notification::DpConnected { .. })
    })
    .await;
    // A PORT_STATUS of 100 bytes where 80 are due (a bad length), sent in two writes:
    // longer than the 64 bytes an ERROR quotes.
    let mut bad = vec![4u8, 12, 0, 100, 0, 0, 0, 9];
    bad.extend((0..92u8).map(|i| i.wrapping_mul(7)));
    bad[8] = 0; // reason: add
    sw.stream.write_all(&bad[..80]).await.unwrap();
    sw.stream.write_all(&bad[80..]).await.unwrap();
    let seen = sw.expect_closed().await;
    let quoted = seen
        .iter()
        .find_map(|m| match m {
            Message::Error(e) => Some(e.data.clone()),
            _ => None,
        })
        .expect("an ERROR before the close");
    assert_eq!(&quoted[..], &bad[..64]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_connection_for_the_same_datapath_replaces_the_first() {
    let mut srv = start(Options::default()).await;
    let mut first = FakeSwitch::connect(srv.addr, 9, vec![]).await;
    srv.wait_for("first", |n| matches!(n, Notification::DpConnected { .. }))
        .await;
    let _second = FakeSwitch::connect(srv.addr, 9, vec![port(4)]).await;
    let n = srv
        .wait_for("the old one to go", |n| {
            matches!(n, Notification::DpDisconnected { .. })
        })
        .await;
    assert_eq!(
        n,
        Notification::DpDisconnected {
            dp_id: 9,
            reason: DisconnectReason::Replaced
        }
    );
    first.expect_closed().await;
    let n = srv
        .wait_for("second", |n| matches!(n, Notification::DpConnected { .. }))
        .await;
    assert!(
        matches!(n, Notification::DpConnected { dp_id: 9, ref ports, .. } if ports == &[PortNo(4)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_that_does_not_read_is_dropped_not_buffered_forever() {
    let opts = Options {
        max_write_buffer: 256 * 1024,
        max_queued_batches: 2,
        ..Options::default()
    };
    let mut srv = start(opts).await;
    // Connected, but never reads after the handshake.
    let _sw = FakeSwitch::connect(srv.addr, 3, vec![]).await;
    while srv.handle.datapaths().await.unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut sends = Vec::new();
    // 100 batches of 10,000 flow mods: far more than the socket buffers hold.
    for _ in 0..100 {
        let handle = srv.handle.clone();
        let batch: Vec<Message> = (0..10_000)
            .map(|_| Message::FlowMod(FlowMod::default()))
            .collect();
        sends.push(tokio::spawn(async move { handle.send(3, batch).await }));
    }
    let n = srv
        .wait_for("the slow switch to be dropped", |n| {
            matches!(n, Notification::DpDisconnected { .. })
        })
        .await;
    assert_eq!(
        n,
        Notification::DpDisconnected {
            dp_id: 3,
            reason: DisconnectReason::Slow
        }
    );
    for s in sends {
        assert!(matches!(
            s.await.unwrap(),
            Err(SendError::Disconnected(3) | SendError::NotConnected(3))
        ));
    }
}

/// A peer that connects and sends `bytes` (then, if `close`, closes its side).
async fn hostile(addr: SocketAddr, bytes: &[u8], close: bool) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    if close {
        s.shutdown().await.unwrap();
    }
    s
}

/// Waits until the controller closes `s`, reading and discarding what it sends.
async fn closed_by_controller(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match timeout(WAIT, s.read(&mut buf))
            .await
            .expect("the controller kept a hostile connection open")
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peers_lose_their_own_connection_only() {
    let mut srv = start(fast_opts()).await;
    let mut good = FakeSwitch::connect(srv.addr, 0x600d, vec![port(1)]).await;
    srv.wait_for("the good switch", |n| {
        matches!(n, Notification::DpConnected { .. })
    })
    .await;
    // The good switch answers echo requests all along, and sends what it is told to.
    let (to_good, mut good_rx) = tokio::sync::mpsc::channel::<Message>(4);
    let good_task = tokio::spawn(async move {
        loop {
            tokio::select! {
                m = good_rx.recv() => match m {
                    Some(m) => good.send(0, m).await,
                    None => return,
                },
                m = good.recv() => match m {
                    Some((xid, Message::EchoRequest(d))) => good.send(xid, Message::EchoReply(d)).await,
                    Some(_) => {}
                    None => panic!("the good switch was disconnected"),
                },
            }
        }
    });
    let hello = Message::Hello(Hello::with_versions(&[4]))
        .to_bytes(1)
        .unwrap();

    let mut zero_len = hello.to_vec();
    zero_len.extend_from_slice(&[4, 2, 0, 0, 0, 0, 0, 1]);
    let mut huge_then_stall = hello.to_vec();
    huge_then_stall.extend_from_slice(&[4, 10, 0xff, 0xff, 0, 0, 0, 1, 1, 2, 3]);
    let mut truncated = hello.to_vec();
    truncated.extend_from_slice(
        &Message::EchoRequest(Bytes::from_static(b"0123456789"))
            .to_bytes(2)
            .unwrap()[..12],
    );
    let mut bad_body = hello.to_vec();
    // A FLOW_MOD whose match length runs past the end of the message.
    bad_body.extend_from_slice(&[4, 14, 0, 60, 0, 0, 0, 3]);
    bad_body.extend_from_slice(&[0u8; 40]);
    bad_body.extend_from_slice(&[0, 1, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0]);
    let of10_hello = [1u8, 0, 0, 8, 0, 0, 0, 1];

    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "garbage",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        ("zero length", zero_len, false),
        ("huge length then silence", huge_then_stall, false),
        ("truncated then EOF", truncated, true),
        ("malformed body", bad_body, false),
        ("OpenFlow 1.0 only", of10_hello.to_vec(), false),
        ("nothing at all", Vec::new(), false),
    ];
    let mut peers = Vec::new();
    for (name, bytes, close) in &cases {
        peers.push((*name, hostile(srv.addr, bytes, *close).await));
    }
    // A hostile peer that completes the handshake and then goes silent, never answering echo.
    let mut mute = FakeSwitch::connect(srv.addr, 0xbad, vec![]).await;
    for (name, s) in peers {
        tokio::time::timeout(WAIT, closed_by_controller(s))
            .await
            .unwrap_or_else(|_| panic!("{name} not closed"));
    }
    let n = srv
        .wait_for("the mute switch", |n| {
            matches!(n, Notification::DpDisconnected { .. })
        })
        .await;
    assert_eq!(
        n,
        Notification::DpDisconnected {
            dp_id: 0xbad,
            reason: DisconnectReason::Dead
        }
    );
    mute.expect_closed().await;

    // Meanwhile the good switch kept working: it is connected and its port events arrive.
    to_good
        .send(Message::PortStatus(PortStatus {
            reason: PortReason::Add,
            desc: port(2),
        }))
        .await
        .unwrap();
    let n = srv
        .wait_for("the good switch's port", |n| {
            matches!(n, Notification::PortChange { .. })
        })
        .await;
    assert!(matches!(
        n,
        Notification::PortChange {
            dp_id: 0x600d,
            port_no: PortNo(2),
            ..
        }
    ));
    let dps = srv.handle.datapaths().await.unwrap();
    assert_eq!(
        dps.iter().map(|d| d.dp_id).collect::<Vec<_>>(),
        vec![0x600d]
    );
    assert!(!good_task.is_finished());
    good_task.abort();
}
