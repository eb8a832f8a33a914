//! Memory per learned host (issue 4's goal: at most 300 bytes; FAUCET: about 5 KB): learn
//! 1,000,000 hosts through the controller and compare the process's resident memory before
//! and after. Run: `cargo bench -p sluice-core --bench host_memory`.

// This benchmark reads its own memory use from /proc; the library stays pure.
#![allow(clippy::disallowed_methods)]

mod common;

use sluice_core::{Controller, Event, Instant};
use sluice_ofp::Message;

const HOSTS: u32 = 1_000_000;

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let yaml = format!(
        "vlans:\n  office: {{vid: 100, max_hosts: {m}}}\ndps:\n  sw1:\n    dp_id: 1\n    ignore_learn_ins: 0\n    interfaces:\n      1: {{native_vlan: office, max_hosts: {m}}}\n",
        m = HOSTS * 2
    );
    let config = sluice_config::load_str(&yaml).expect("valid").config;
    let mut ctl = Controller::with_config(config, 1);
    common::connect(&mut ctl, 1, 1);

    let before = rss();
    for start in (0..HOSTS).step_by(1000) {
        let msgs = (start..start + 1000)
            .map(|n| (0, Message::PacketIn(common::packet_in(n, 100))))
            .collect();
        // The outputs (flow mods) go to the switch; only the controller's state stays.
        drop(ctl.handle(Instant(1000), Event::Messages { dp_id: 1, msgs }));
    }
    let after = rss();
    let learned = ctl.valve(1).expect("valve").hosts().len();
    println!(
        "memory per learned host: {} bytes ({learned} hosts; RSS {} MB -> {} MB)",
        after.saturating_sub(before) / u64::from(HOSTS),
        before >> 20,
        after >> 20
    );
}
