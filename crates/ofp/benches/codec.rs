//! Codec throughput: decoding the PACKET_IN a learning controller receives and encoding the
//! FLOW_MOD it answers with (the goal: 20 million of each per second per core).
//!
//! Run: `cargo bench -p sluice-ofp --bench codec`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sluice_ofp::msg::flow::FlowMod;
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Action, Instruction, Match, Message, PortNo};
use sluice_wire::MacAddr;

/// A packet-in as OVS sends it for FAUCET's eth_src table: in_port match, a 64-byte
/// VLAN-tagged frame.
fn packet_in() -> Bytes {
    let mut frame = vec![0u8; 64];
    frame[..6].copy_from_slice(&[0x0e, 0, 0, 0, 0, 2]);
    frame[6..12].copy_from_slice(&[0x0e, 0, 0, 0, 0, 1]);
    frame[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 0x64]);
    frame[16..18].copy_from_slice(&[0x08, 0x00]);
    let msg = Message::PacketIn(PacketIn {
        buffer_id: OFP_NO_BUFFER,
        total_len: 64,
        reason: PacketInReason::Action,
        table_id: 1,
        cookie: 0x5adc15c0,
        match_: Match::from_fields([OxmField::InPort(PortNo(1))]),
        data: Bytes::from(frame),
    });
    msg.to_bytes(0).expect("encodes")
}

/// FAUCET's eth_dst flow for a learned host: match VLAN and destination MAC, output to the
/// host's port, idle timeout.
fn flow_mod() -> Message {
    Message::FlowMod(FlowMod {
        cookie: 0x5adc15c0,
        table_id: 2,
        idle_timeout: 405,
        priority: 8192,
        match_: Match::from_fields([
            OxmField::VlanVid(0x1064, None),
            OxmField::EthDst(MacAddr([0x0e, 0, 0, 0, 0, 1]), None),
        ]),
        instructions: vec![Instruction::ApplyActions(vec![
            Action::PopVlan,
            Action::output(PortNo(1)),
        ])],
        ..FlowMod::default()
    })
}

fn bench(c: &mut Criterion) {
    let pin = packet_in();
    let mut g = c.benchmark_group("ofp");
    g.throughput(Throughput::Elements(1));
    // The frame is handed over by value, as a connection does after cutting it from its read
    // buffer; cloning it (a reference-count increment) is setup, and dropping the message
    // happens outside the timed part.
    g.bench_function("decode_packet_in", |b| {
        b.iter_batched(
            || pin.clone(),
            |frame| Message::decode(frame).expect("decodes"),
            BatchSize::SmallInput,
        )
    });
    // The whole life of a received packet-in: take the frame, decode, drop.
    g.bench_function("decode_and_drop_packet_in", |b| {
        b.iter(|| {
            let (_, m) = Message::decode(black_box(&pin).clone()).expect("decodes");
            black_box(m);
        })
    });

    let fm = flow_mod();
    let mut buf = Vec::with_capacity(1 << 20);
    g.bench_function("encode_flow_mod", |b| {
        b.iter(|| {
            if buf.len() > (1 << 20) - 256 {
                buf.clear();
            }
            black_box(&fm).encode(7, &mut buf).expect("encodes");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
