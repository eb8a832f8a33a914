//! Reload benchmark (issue 9's goal: a warm reload of a 10-DP configuration in under 10 ms of
//! controller time, from the signal to the last flow mod sent): load the edited configuration
//! from text, then hand it to a controller whose 10 switches are connected, programmed and
//! have learned hosts, and collect the flow mods it sends. And FAUCET's issue #4568: one DP
//! reloaded to 3,000 VLANs with a 3-rule ACL each.
//!
//! Run: `cargo bench -p sluice-core --bench reload`.

mod common;

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sluice_core::{Event, Instant, Output};

const DPS: u64 = 10;
const PORTS: u32 = 48;
const VLANS: u32 = 20;

/// 10 DPs of 48 ports over 20 VLANs; `moved` is the VLAN index port 1 of every DP is in.
fn config(moved: u32) -> String {
    let mut y = String::from("vlans:\n");
    for v in 0..VLANS {
        let _ = writeln!(y, "  v{v}: {{vid: {}}}", 100 + v);
    }
    y.push_str("dps:\n");
    for d in 1..=DPS {
        let _ = writeln!(y, "  sw{d}:\n    dp_id: {d}\n    interfaces:");
        for p in 1..=PORTS {
            let v = if p == 1 { moved } else { p % VLANS };
            let _ = writeln!(y, "      {p}: {{native_vlan: v{v}}}");
        }
    }
    y
}

/// One DP with 4 trunk ports carrying `vlans` VLANs, each VLAN with a 3-rule ACL (FAUCET's
/// issue #4568 shape: at 3,000 VLANs FAUCET leaves the switch unprogrammed).
fn acl_vlans(vlans: u32) -> String {
    let mut y = String::from(concat!(
        "acls:\n  three:\n",
        "    - rule: {dl_type: 0x800, nw_proto: 6, tcp_dst: 22, actions: {allow: 0}}\n",
        "    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {allow: 1}}\n",
        "    - rule: {actions: {allow: 1}}\nvlans:\n",
    ));
    for v in 0..vlans {
        let _ = writeln!(y, "  v{v}: {{vid: {}, acls_in: [three]}}", 2 + v);
    }
    y.push_str("dps:\n  sw1:\n    dp_id: 1\n    interfaces:\n");
    let all: Vec<String> = (0..vlans).map(|v| format!("v{v}")).collect();
    for p in 1..=4 {
        let _ = writeln!(y, "      {p}: {{tagged_vlans: [{}]}}", all.join(", "));
    }
    y
}

fn bench(c: &mut Criterion) {
    let (a, b) = (config(1), config(2));
    let mut g = c.benchmark_group("reload");
    g.bench_function("warm_10_dps_48_ports (load + apply)", |bench| {
        let mut ctl = common::running(&a, DPS, PORTS);
        let mut flip = false;
        bench.iter(|| {
            flip = !flip;
            let text = if flip { &b } else { &a };
            let config = sluice_config::load_str(text).expect("valid").config;
            let out = ctl.handle(Instant(1000), Event::Reload(Box::new(config)));
            let sent: usize = out
                .iter()
                .map(|o| match o {
                    Output::Send { msgs, .. } => msgs.len(),
                    _ => 0,
                })
                .sum();
            black_box(sent)
        })
    });
    g.sample_size(10);
    let (small, big) = (acl_vlans(1), acl_vlans(3000));
    let flows = {
        let config = sluice_config::load_str(&big).expect("valid").config;
        let dp = config.dps.values().next().expect("a DP");
        let up = dp.ports.keys().copied().collect();
        sluice_core::pipeline::compile(dp, &up).flows.len()
    };
    let name = format!("one_dp_to_3000_vlans_3_acl_rules_each ({flows} flows; load + apply)");
    g.bench_function(name, |bench| {
        bench.iter_batched(
            || common::running(&small, 1, 4),
            |mut ctl| {
                let config = sluice_config::load_str(&big).expect("valid").config;
                let out = ctl.handle(Instant(1000), Event::Reload(Box::new(config)));
                black_box(out.len())
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
