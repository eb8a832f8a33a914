//! Hot-path parsing: [`PacketMeta::parse`] on the packet-ins a learning, routing controller
//! sees most (the goal: 50 million parses per second per core for a VLAN-tagged IPv4 frame).
//!
//! Run: `cargo bench -p sluice-wire --bench parse`.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice_wire::build::{self, L2};
use sluice_wire::{MacAddr, PacketMeta, VlanId};

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let host = MacAddr([0x0e, 0, 0, 0, 0, 2]);
    let faucet = MacAddr([0x0e, 0, 0, 0, 0, 1]);
    let l2 = L2::tagged(host, faucet, VlanId::new(100).expect("valid"));
    // A 64-byte UDP/IPv4 frame in VLAN 100, as the eth_src table sends for learning.
    let mut udp = build::ipv4_udp(
        l2,
        (Ipv4Addr::new(10, 0, 0, 1), 40000),
        (Ipv4Addr::new(10, 0, 0, 2), 53),
        &[0; 18],
    );
    udp.truncate(64);
    let arp = build::arp_request(
        L2 {
            eth_dst: MacAddr::BROADCAST,
            ..l2
        },
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::new(10, 0, 0, 254),
    );
    let ns = build::nd_solicit(
        L2 {
            eth_dst: MacAddr::BROADCAST,
            ..l2
        },
        "fc00::1".parse::<Ipv6Addr>().expect("valid"),
        "fc00::fe".parse::<Ipv6Addr>().expect("valid"),
    );
    vec![
        ("vlan_ipv4_udp", udp),
        ("vlan_arp_request", arp),
        ("vlan_nd_solicit", ns),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("packet_meta_parse");
    g.throughput(Throughput::Elements(1));
    for (name, frame) in frames() {
        assert!(PacketMeta::parse(&frame).is_ok(), "{name}");
        g.bench_function(name, |b| {
            b.iter(|| PacketMeta::parse(black_box(&frame)));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
