//! `sluice reflect`: a controller that does nothing but answer, the floor under any
//! controller's numbers on a machine.
//!
//! It does what every OpenFlow controller must do for a packet-in and nothing more: decode
//! it, encode the two flows a learning switch installs for the new source (one in the
//! packet-in's table matching in_port, VLAN and eth_src; one in the next table matching VLAN
//! and eth_dst), and write them back, one `write` per batch read, on one thread with the
//! same socket handling as `sluice run`. No host table, no pipeline, no state.
//!
//! A learn run against it, at the same rate as against a real controller, shows how much of
//! that controller's latency is the machine's: the loopback TCP path, waking each side, the
//! generator, and on a VM the hypervisor. See [`crate::Options::floor_cmd`].

use std::io;
use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, OFPTT_ALL};
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::packet::PacketIn;
use sluice_ofp::oxm::OFPVID_PRESENT;
use sluice_ofp::{Action, Instruction, Match, Message, OxmField, PortNo, frame_len};
use sluice_wire::L2Meta;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::{TcpListener, TcpStream};

use crate::BenchError;

/// Serves switches on `listen` until the process is stopped.
///
/// # Errors
/// When the runtime cannot start or `listen` cannot be bound. A switch that sends something
/// malformed loses its own connection only.
pub fn serve(listen: SocketAddr) -> Result<(), BenchError> {
    let rt = runtime()?;
    let listener = rt
        .block_on(TcpListener::bind(listen))
        .map_err(|e| format!("listening on {listen}: {e}"))?;
    rt.block_on(accept_loop(listener));
    Ok(())
}

/// The reflector's runtime: one thread, as `sluice run`'s.
fn runtime() -> Result<tokio::runtime::Runtime, BenchError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?)
}

/// Serves each switch that connects to `listener` in a task of its own; runs until the
/// process is stopped.
async fn accept_loop(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: wait for a connection to end rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        tokio::spawn(async move {
            let _ = connection(stream).await;
        });
    }
}

/// One switch, until it closes the connection or sends a malformed message.
async fn connection(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut wbuf = Vec::with_capacity(64 * 1024);
    for msg in [Message::Hello(Hello::default()), Message::FeaturesRequest] {
        push(&mut wbuf, &msg);
    }
    stream.write_all(&wbuf).await?;
    let mut rbuf = BytesMut::with_capacity(256 * 1024);
    loop {
        wbuf.clear();
        stream.readable().await?;
        rbuf.reserve(64 * 1024);
        let room = rbuf.capacity() - rbuf.len();
        let n = match stream.try_read_buf(&mut rbuf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        if n < room {
            // Drained: wait on the poller next, not on a read that finds nothing (as
            // `sluice run` does).
            let _ = stream.try_io(Interest::READABLE, || {
                Err::<(), _>(io::ErrorKind::WouldBlock.into())
            });
        }
        loop {
            let len = match frame_len(&rbuf) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            };
            let (_, msg) = Message::decode_slice(&rbuf[..len])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            rbuf.advance(len);
            answer(msg, &mut wbuf);
        }
        if !wbuf.is_empty() {
            stream.write_all(&wbuf).await?;
        }
    }
}

/// What the reflector sends for `msg`, appended to `out`.
fn answer(msg: Message, out: &mut Vec<u8>) {
    match msg {
        Message::EchoRequest(data) => push(out, &Message::EchoReply(data)),
        // Programmed: empty tables, as a controller starts a switch it has just met.
        Message::FeaturesReply(_) => {
            let delete_all = FlowMod {
                table_id: OFPTT_ALL,
                command: FlowModCommand::Delete,
                out_port: PortNo::ANY,
                ..FlowMod::default()
            };
            push(out, &Message::FlowMod(delete_all));
            push(out, &Message::BarrierRequest);
        }
        Message::PacketIn(pi) => {
            if let Some([src, dst]) = learn_flows(&pi) {
                push(out, &Message::FlowMod(src));
                push(out, &Message::FlowMod(dst));
            }
        }
        _ => {}
    }
}

/// The eth_src and eth_dst flows for the packet-in's source, or `None` when its frame is
/// too short to have one.
fn learn_flows(pi: &PacketIn) -> Option<[FlowMod; 2]> {
    let in_port = pi.match_.in_port()?;
    let l2 = L2Meta::parse(&pi.data).ok()?;
    let mac = l2.eth_src;
    let with_vlan = |m: Match| match l2.vlans.outer() {
        Some(tag) => m.with(OxmField::VlanVid(OFPVID_PRESENT | tag.vid().get(), None)),
        None => m,
    };
    let flow = |table_id, match_, instructions| FlowMod {
        cookie: pi.cookie,
        table_id,
        priority: 0x2000,
        match_,
        instructions,
        ..FlowMod::default()
    };
    let next = pi.table_id.saturating_add(1);
    Some([
        flow(
            pi.table_id,
            with_vlan(Match::new().with(OxmField::InPort(in_port)))
                .with(OxmField::EthSrc(mac, None)),
            vec![Instruction::GotoTable(next)],
        ),
        flow(
            next,
            with_vlan(Match::new()).with(OxmField::EthDst(mac, None)),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: in_port,
                max_len: 0,
            }])],
        ),
    ])
}

/// Appends `msg` (xid 0) to `out`. Every message the reflector sends is well formed, so
/// encoding cannot fail.
fn push(out: &mut Vec<u8>, msg: &Message) {
    let _ = msg.encode(0, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{PacketInTemplate, host_mac, scan_flow_mod};
    use sluice_ofp::framing::frame_len as len_of;
    use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketInReason};

    #[test]
    fn a_packet_in_is_answered_with_both_flows_of_its_host() {
        let t = PacketInTemplate::new(3, 100, 3, 0x5adc_15e5).unwrap_or_else(|e| panic!("{e}"));
        let mut wire = Vec::new();
        t.push(&mut wire, 7, host_mac(0, 42));
        let (_, msg) = Message::decode_slice(&wire).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        answer(msg, &mut out);
        let mut seen = Vec::new();
        let mut rest = &out[..];
        while let Ok(Some(len)) = len_of(rest) {
            let fm = scan_flow_mod(&rest[..len]).unwrap_or_else(|| panic!("not a flow mod"));
            seen.push((fm.eth_src, fm.eth_dst));
            rest = &rest[len..];
        }
        let mac = Some(host_mac(0, 42).0);
        assert_eq!(seen, [(mac, None), (None, mac)]);
    }

    /// Reads frames from `s` until one of type `kind` arrives; returns it.
    fn read_until(s: &mut std::net::TcpStream, kind: u8) -> Vec<u8> {
        use std::io::Read;
        let mut buf = Vec::new();
        loop {
            while let Ok(Some(len)) = len_of(&buf) {
                let frame: Vec<u8> = buf.drain(..len).collect();
                if frame[1] == kind {
                    return frame;
                }
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).unwrap_or_else(|e| panic!("{e}"));
            assert!(n > 0, "closed before a message of type {kind}");
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    #[test]
    fn a_malformed_message_closes_only_its_own_connection() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        // Bound before the reflector's thread starts, so the connections below find it.
        std::thread::spawn(move || {
            let rt = runtime().unwrap_or_else(|e| panic!("{e}"));
            let _in_runtime = rt.enter();
            listener
                .set_nonblocking(true)
                .unwrap_or_else(|e| panic!("{e}"));
            let listener = TcpListener::from_std(listener).unwrap_or_else(|e| panic!("{e}"));
            rt.block_on(accept_loop(listener));
        });
        let connect = || {
            let s = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
            s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap_or_else(|e| panic!("{e}"));
            s
        };
        let (mut bad, mut good) = (connect(), connect());
        // A header whose length is shorter than a header.
        bad.write_all(&[4, 0, 0, 4, 0, 0, 0, 1])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rest = Vec::new();
        assert!(
            bad.read_to_end(&mut rest).is_ok(),
            "the bad connection is closed"
        );
        let t = PacketInTemplate::new(1, 100, 3, 1).unwrap_or_else(|e| panic!("{e}"));
        let mut wire = Vec::new();
        t.push(&mut wire, 9, host_mac(0, 7));
        good.write_all(&wire).unwrap_or_else(|e| panic!("{e}"));
        let fm = read_until(&mut good, 14); // FLOW_MOD
        let fm = scan_flow_mod(&fm).unwrap_or_else(|| panic!("not a flow mod"));
        assert_eq!(fm.eth_src, Some(host_mac(0, 7).0));
    }

    #[test]
    fn a_frame_too_short_for_a_source_gets_no_flows() {
        let pi = PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: 8,
            reason: PacketInReason::Action,
            table_id: 3,
            cookie: 0,
            match_: Match::new().with(OxmField::InPort(PortNo(1))),
            data: bytes::Bytes::from_static(&[0; 8]),
        };
        assert!(learn_flows(&pi).is_none());
    }
}
