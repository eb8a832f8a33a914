//! What metrics cost, with 10,000 learned hosts on 1,000 ports (issue 6's goal: a scrape
//! under 20 ms, with no pause in packet-in handling while it runs):
//! - `snapshot`: what the controller task spends once a second to publish its state (the
//!   only telemetry work on the controller's thread besides counting);
//! - `render`: a scrape's work, on the scraping thread: FAUCET's text for every family;
//! - `http_scrape`: a whole scrape over loopback TCP from the metrics server;
//! - `count_learning_batch`: what counting costs the controller task per batch of 1,000
//!   packet-ins that each learn a host (`Counters::observe` over the core's outputs).
//!
//! Run: `cargo bench -p sluice-runtime --bench scrape`.

#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sluice_core::telemetry::{Counters, snapshot};
use sluice_core::{Controller, Event, Instant};
use sluice_ofp::{Message, PortNo};
use sluice_runtime::TelemetryHandle;
use sluice_runtime::telemetry::{Published, prometheus};

const PORTS: u32 = 1000;
const HOSTS_PER_PORT: u32 = 10;
const VLANS: u32 = 10;

/// One DP with 1,000 ports, each untagged on one of 10 VLANs.
fn config() -> String {
    let mut y = String::from("vlans:\n");
    for v in 0..VLANS {
        let _ = writeln!(y, "  v{v}: {{vid: {}, max_hosts: 100000}}", 100 + v);
    }
    y.push_str("dps:\n  sw1:\n    dp_id: 1\n    ignore_learn_ins: 0\n    interfaces:\n");
    for p in 1..=PORTS {
        let _ = writeln!(
            y,
            "      {p}: {{name: port{p}, native_vlan: v{}, max_hosts: 1000}}",
            p % VLANS
        );
    }
    y
}

/// A programmed controller with every port up and 10 hosts learned behind each.
fn controller() -> Controller {
    let ports = (1..=PORTS)
        .map(|p| sluice_ofp::Port {
            port_no: PortNo(p),
            ..Default::default()
        })
        .collect();
    let mut counters = Counters::new();
    let mut ctl = common::running(&config(), 1, ports, &mut counters);
    let msgs: Vec<(u32, Message)> = (0..PORTS * HOSTS_PER_PORT)
        .map(|n| {
            let port = n / HOSTS_PER_PORT + 1;
            let b = n.to_be_bytes();
            let src = [0x0a, 0, b[0], b[1], b[2], b[3]];
            let vid = (100 + port % VLANS) as u16;
            (
                0,
                common::learning_packet_in(port, src, [0xff; 6], vid, 0x0800),
            )
        })
        .collect();
    common::run(
        &mut ctl,
        &mut counters,
        1000,
        Event::Messages { dp_id: 1, msgs },
    );
    ctl
}

fn published(ctl: &Controller) -> Published {
    Published {
        snapshot: snapshot(Instant(2000), ctl, &Counters::new()),
        desc: BTreeMap::new(),
        event_id: 1,
        taken: 1.8e9,
        started: 1.8e9,
        created: BTreeMap::new(),
        echo: (5.0, 3.0),
        ..Published::default()
    }
}

fn bench(c: &mut Criterion) {
    let ctl = controller();
    let p = published(&ctl);
    let hosts: usize = p.snapshot.dps.iter().map(|d| d.hosts.len()).sum();
    assert_eq!(
        hosts,
        (PORTS * HOSTS_PER_PORT) as usize,
        "every host learned"
    );
    let mut text = String::new();
    prometheus::render(&p, None, &mut text);
    let (lines, bytes) = (text.lines().count(), text.len());

    let mut g = c.benchmark_group("metrics_10k_hosts_1k_ports");
    g.bench_function("snapshot (controller thread, once a second)", |b| {
        let counters = Counters::new();
        b.iter(|| black_box(snapshot(Instant(2000), black_box(&ctl), &counters)))
    });
    g.bench_function(format!("render ({lines} lines, {bytes} bytes)"), |b| {
        let mut out = String::with_capacity(bytes);
        b.iter(|| {
            out.clear();
            prometheus::render(black_box(&p), None, &mut out);
            black_box(out.len())
        })
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    rt.spawn(sluice_runtime::telemetry::serve_metrics(
        listener,
        TelemetryHandle::fixed(p.clone()),
    ));
    g.bench_function(
        "http_scrape (render on a blocking thread, loopback TCP)",
        |b| {
            b.iter(|| {
                let (status, body) = rt
                    .block_on(sluice_runtime::http::get(&addr, "/metrics"))
                    .unwrap();
                assert_eq!(status, 200);
                black_box(body.len())
            })
        },
    );
    // The outputs of one learning batch: 1,000 new hosts on a fresh controller.
    let mut counters = Counters::new();
    let ports = (1..=PORTS)
        .map(|p| sluice_ofp::Port {
            port_no: PortNo(p),
            ..Default::default()
        })
        .collect();
    let mut fresh = common::running(&config(), 1, ports, &mut counters);
    let msgs: Vec<(u32, Message)> = (0..1000u32)
        .map(|n| {
            let b = n.to_be_bytes();
            let src = [0x0a, 1, b[0], b[1], b[2], b[3]];
            (
                0,
                common::learning_packet_in(1, src, [0xff; 6], 101, 0x0800),
            )
        })
        .collect();
    let outputs = fresh.handle(Instant(1000), Event::Messages { dp_id: 1, msgs });
    g.bench_function("count_learning_batch (1,000 hosts learned)", |b| {
        b.iter(|| counters.observe(black_box(&outputs)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
