//! Load-and-validate speed on a large configuration: 100 DPs x 48 ports, 100 VLANs, 50 ACLs
//! (target: under 50 ms). `cargo run --release -p sluice-config --example bench_config` prints
//! the same file, to time FAUCET's `check_faucet_config` on it.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

mod big_config;

fn load(c: &mut Criterion) {
    let text = big_config::big_config(100, 48, 100, 50);
    // Sanity: the configuration is valid.
    if let Err(e) = sluice_config::load_str(&text) {
        panic!("the benchmark configuration is invalid:\n{e}");
    }
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("100dps_48ports_100vlans_50acls", |b| {
        b.iter(|| sluice_config::load_str(black_box(&text)).map(|l| l.config.dps.len()))
    });
    let small = big_config::big_config(1, 48, 10, 5);
    group.bench_function("1dp_48ports_10vlans_5acls", |b| {
        b.iter(|| sluice_config::load_str(black_box(&small)).map(|l| l.config.dps.len()))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
