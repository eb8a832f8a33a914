//! ACL compilation benchmark (issue 5's goal): compile the pipeline of a 48-port DP whose
//! ports carry 1,000 ACL rules between them (48 ACLs of 20 or 21 rules: TCP and UDP ports,
//! masked IPv4 destinations, masked source MACs, outputs), goal: under 5 ms.
//!
//! Run: `cargo bench -p sluice-core --bench acl`. The flow count is printed once; FAUCET's
//! for the same configuration is in the notes (measured on Open vSwitch).

// A benchmark times itself; the library stays pure.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sluice_config::PortNo;
use sluice_core::pipeline::compile;

/// The allocator the `sluice` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Ports 1-48 on VLAN 100 (1-24) or 200 (25-48), each with its own ACL; 1,000 rules in all.
pub fn acl_config() -> String {
    let mut y = String::from("acls:\n");
    for p in 1..=48u32 {
        let n = if p <= 40 { 21 } else { 20 };
        let _ = writeln!(y, "  port{p}:");
        for j in 0..n - 1 {
            let rule = match j % 4 {
                0 => format!(
                    "{{dl_type: 0x800, nw_proto: 6, tcp_dst: {}, actions: {{allow: 0}}}}",
                    1000 + j
                ),
                1 => {
                    format!("{{dl_type: 0x800, ipv4_dst: 10.{p}.{j}.0/24, actions: {{allow: 1}}}}")
                }
                2 => format!(
                    "{{dl_type: 0x800, nw_proto: 17, udp_dst: {}, actions: {{output: {{port: {}}}}}}}",
                    2000 + j,
                    p % 48 + 1
                ),
                _ => format!(
                    "{{eth_src: \"0e:00:00:{p:02x}:{j:02x}:00/ff:ff:ff:ff:ff:00\", actions: {{allow: 1}}}}"
                ),
            };
            let _ = writeln!(y, "    - rule: {rule}");
        }
        let _ = writeln!(y, "    - rule: {{actions: {{allow: 1}}}}");
    }
    y.push_str("vlans:\n  office: {vid: 100}\n  guest: {vid: 200}\n");
    y.push_str("dps:\n  sw1:\n    dp_id: 1\n    interfaces:\n");
    for p in 1..=48u32 {
        let vlan = if p <= 24 { "office" } else { "guest" };
        let _ = writeln!(y, "      {p}: {{native_vlan: {vlan}, acls_in: [port{p}]}}");
    }
    y
}

fn bench(c: &mut Criterion) {
    let config = sluice_config::load_str(&acl_config())
        .expect("valid")
        .config;
    let dp = config.dps.values().next().expect("a DP");
    let rules: usize = dp.acls.iter().map(|a| a.rules.len()).sum();
    assert_eq!(rules, 1000);
    let up: BTreeSet<PortNo> = dp.ports.keys().copied().collect();
    let compiled = compile(dp, &up);
    println!(
        "1,000 ACL rules on 48 ports: {} flows, {} meters, {} groups",
        compiled.flows.len(),
        compiled.meters.len(),
        compiled.groups.len()
    );
    c.bench_function("compile 48 ports, 1000 ACL rules", |b| {
        b.iter(|| compile(black_box(dp), black_box(&up)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
