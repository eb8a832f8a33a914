//! Stack benchmark (issue 8's goal: the stack graph and the flood rules of a 100-switch stack
//! recomputed after a link change in under 1 ms): 100 DPs in a ring with a chord from each
//! DP to the one 10 further on (200 links), 20 host ports over 10 VLANs each. Measures
//! `Stack::recompute` after a link goes down (root election, tree, next hops) and the flood
//! rules of every DP compiled again for the new tree; and the recompute again with VLANs
//! that learn by the shortest path (`edge_learn_stack_root: false`: next hops from every DP
//! to every other).
//!
//! Run: `cargo bench -p sluice-core --bench stack`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sluice_config::{Config, PortNo};
use sluice_core::Instant;
use sluice_core::pipeline::compile_stacked;
use sluice_core::stack::Stack;

const DPS: u32 = 100;
const HOST_PORTS: u32 = 20;
const VLANS: u32 = 10;

/// The far end of each of DP `d`'s four stack ports (ring and chord, both ways).
fn peers(d: u32) -> [(u32, u32); 4] {
    let next = |k: u32| (d - 1 + k) % DPS + 1;
    let prev = |k: u32| (d - 1 + DPS - k) % DPS + 1;
    [
        (next(1), 102),
        (prev(1), 101),
        (next(10), 104),
        (prev(10), 103),
    ]
}

fn config(shortest: bool) -> Config {
    let mut y = String::from("vlans:\n");
    for v in 0..VLANS {
        let _ = writeln!(
            y,
            "  v{v}: {{vid: {}, edge_learn_stack_root: {}}}",
            100 + v,
            !shortest
        );
    }
    y.push_str("dps:\n");
    for d in 1..=DPS {
        let _ = writeln!(y, "  sw{d}:\n    dp_id: {d}");
        if d <= 2 {
            let _ = writeln!(y, "    stack: {{priority: {d}}}");
        }
        y.push_str("    interfaces:\n");
        for p in 1..=HOST_PORTS {
            let _ = writeln!(y, "      {p}: {{native_vlan: v{}}}", p % VLANS);
        }
        for (i, (peer, peer_port)) in peers(d).into_iter().enumerate() {
            let _ = writeln!(
                y,
                "      {}: {{stack: {{dp: sw{peer}, port: {peer_port}}}}}",
                101 + i
            );
        }
    }
    sluice_config::load_str(&y).expect("valid").config
}

/// The stack with every DP connected and every link up.
fn all_up(config: &Config) -> Stack {
    let mut stack = Stack::from_config(config, None).expect("a stack");
    let mut ch = Vec::new();
    for d in 1..=DPS {
        let ports: Vec<(u32, bool)> = (101..=104).map(|p| (p, true)).collect();
        stack.dp_up(u64::from(d), &ports, &mut ch);
    }
    for d in 1..=DPS {
        for (i, (peer, peer_port)) in peers(d).into_iter().enumerate() {
            stack.beacon(
                Instant(0),
                u64::from(peer),
                peer_port,
                (Some(u64::from(d)), Some(101 + i as u32)),
                &mut ch,
            );
        }
    }
    stack.recompute();
    stack
}

/// Recomputes `stack` after sw1's ring link to sw2 goes down, or comes back.
fn link_change(b: &mut criterion::Bencher<'_>, stack: &Stack) {
    let mut s = stack.clone();
    let mut ch = Vec::new();
    let mut down = false;
    b.iter(|| {
        down = !down;
        if down {
            s.port_link(1, 102, false, &mut ch);
        } else {
            s.port_link(1, 102, true, &mut ch);
            s.beacon(Instant(0), 1, 102, (Some(2), Some(101)), &mut ch);
        }
        black_box(s.recompute())
    });
}

fn bench(c: &mut Criterion) {
    let config = config(false);
    let stack = all_up(&config);
    assert!(stack.links().all(|(_, _, up)| up));
    let shortest = all_up(&self::config(true));
    assert!(shortest.learns_shortest());
    let mut g = c.benchmark_group("stack");
    g.bench_function("recompute_100_dps_after_a_link_change", |b| {
        link_change(b, &stack);
    });
    g.bench_function("recompute_100_dps_shortest_paths", |b| {
        link_change(b, &shortest);
    });
    let up: Vec<BTreeSet<PortNo>> = config
        .dps
        .values()
        .map(|dp| dp.ports.keys().copied().collect())
        .collect();
    g.bench_function("flood_rules_of_100_dps", |b| {
        b.iter(|| {
            for (dp, up) in config.dps.values().zip(&up) {
                let view = stack.view(dp.dp_id.0).expect("a view");
                black_box(compile_stacked(dp, up, view));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
