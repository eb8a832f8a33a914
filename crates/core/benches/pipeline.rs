//! Pipeline and learning benchmarks (issue 4's goals):
//! - compile the pipeline of a 48-port, 100-VLAN DP (goal: under 1 ms);
//! - the learning path in process: decode a packet-in, learn the host, encode its two flow
//!   mods (goal: at least 5 million packet-ins per second per core), with host tables of
//!   10,000 and 100,000 hosts.
//!
//! Memory per learned host is measured by the `host_memory` bench.
//!
//! Run: `cargo bench -p sluice-core --bench pipeline`.

// A benchmark times itself; the library stays pure.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::BTreeSet;

/// The allocator the `sluice` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::fmt::Write as _;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_core::{Event, Instant, Output};
use sluice_ofp::Message;

/// A DP with 48 ports and 100 VLANs: ports 1-24 untagged on one VLAN each (round robin),
/// ports 25-48 trunks carrying all 100.
fn big_config(max_hosts: u32) -> String {
    let mut y = String::from("vlans:\n");
    for v in 0..100 {
        let _ = writeln!(y, "  v{v}: {{vid: {}, max_hosts: {max_hosts}}}", 100 + v);
    }
    y.push_str("dps:\n  sw1:\n    dp_id: 1\n    ignore_learn_ins: 0\n    interfaces:\n");
    let all: Vec<String> = (0..100).map(|v| format!("v{v}")).collect();
    for p in 1..=48 {
        if p <= 24 {
            let _ = writeln!(
                y,
                "      {p}: {{native_vlan: v{}, max_hosts: {max_hosts}}}",
                p % 100
            );
        } else {
            let _ = writeln!(
                y,
                "      {p}: {{tagged_vlans: [{}], max_hosts: {max_hosts}}}",
                all.join(", ")
            );
        }
    }
    y
}

/// A packet-in from the learning rule: host `n` on port 1 (VLAN 101), as OVS sends it.
fn packet_in(n: u32) -> Bytes {
    Message::PacketIn(common::packet_in(n, 101))
        .to_bytes(0)
        .expect("encodes")
}

fn bench(c: &mut Criterion) {
    let config = sluice_config::load_str(&big_config(255))
        .expect("valid")
        .config;
    let dp = config.dps.values().next().expect("one DP");
    let up: BTreeSet<_> = dp.ports.keys().copied().collect();
    let flows = sluice_core::pipeline::compile(dp, &up).flows.len();
    let mut g = c.benchmark_group("pipeline");
    g.bench_function(format!("compile_48_ports_100_vlans ({flows} flows)"), |b| {
        b.iter(|| black_box(sluice_core::pipeline::compile(black_box(dp), &up)))
    });
    g.finish();

    // The learning path: 1,000 packet-ins per batch (one read's worth), each a new host,
    // into a host table that grows to 10,000 hosts (fits in the CPU's caches) or 100,000
    // (does not: each lookup misses), then starts again empty.
    const BATCH: u32 = 1000;
    let mut g = c.benchmark_group("learning");
    g.throughput(Throughput::Elements(u64::from(BATCH)));
    for hosts in [10_000, 100_000] {
        let frames: Vec<Bytes> = (0..hosts).map(packet_in).collect();
        let mut next = 0usize;
        let mut ctl = common::running(&big_config(1_000_000), 1, 48);
        let mut wbuf = Vec::with_capacity(1 << 20);
        let name = format!("packet_in_to_flow_mods/{}k_hosts", hosts / 1000);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    if next + BATCH as usize > frames.len() {
                        // Start again with an empty host table, so every packet-in learns.
                        ctl = common::running(&big_config(1_000_000), 1, 48);
                        next = 0;
                    }
                    let batch = frames[next..next + BATCH as usize].to_vec();
                    next += BATCH as usize;
                    let start = std::time::Instant::now();
                    let msgs = batch.into_iter().map(|f| {
                        let (h, m) = Message::decode(f).expect("decodes");
                        (h.xid, m)
                    });
                    let out = ctl.handle(
                        Instant(1000),
                        Event::Messages {
                            dp_id: 1,
                            msgs: msgs.collect(),
                        },
                    );
                    // As a connection sends them: one copy into its write buffer, xids
                    // stamped.
                    wbuf.clear();
                    let mut xid = 0u32;
                    for o in out {
                        if let Output::Send { msgs, .. } = o {
                            msgs.write_stamped(&mut wbuf, |_| {
                                xid += 1;
                                xid
                            });
                        }
                    }
                    black_box(wbuf.len());
                    total += start.elapsed();
                }
                total
            })
        });
    }
    g.finish();

    // The once-a-second tick with 100,000 learned hosts, none of them due: it should cost
    // the hosts that expire, not every host.
    let mut g = c.benchmark_group("tick");
    let mut ctl = common::running(&big_config(1_000_000), 1, 48);
    for start in (0..100_000).step_by(BATCH as usize) {
        let msgs = (start..start + BATCH)
            .map(|n| {
                let (h, m) = Message::decode(packet_in(n)).expect("decodes");
                (h.xid, m)
            })
            .collect();
        drop(ctl.handle(Instant(1000), Event::Messages { dp_id: 1, msgs }));
    }
    assert_eq!(ctl.valve(1).map(|v| v.hosts().len()), Some(100_000));
    g.bench_function("100k_hosts_none_due", |b| {
        b.iter(|| black_box(ctl.handle(Instant(2000), Event::Tick)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
