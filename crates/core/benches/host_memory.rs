//! Memory per learned host (issue 4's goal: at most 300 bytes; FAUCET: about 5 KB): learn
//! 1,000,000 hosts through the controller and compare the process's resident memory before
//! and after. Run: `cargo bench -p sluice-core --bench host_memory`.

// This benchmark reads its own memory use from /proc; the library stays pure.
#![allow(clippy::disallowed_methods)]

use bytes::Bytes;
use sluice_core::{Controller, Event, Instant, Output};
use sluice_ofp::msg::multipart::{MultipartReply, MultipartReplyBody};
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Match, Message, PortNo};

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
    let features = SwitchFeatures {
        datapath_id: 1,
        ..Default::default()
    };
    let ports = vec![sluice_ofp::Port {
        port_no: PortNo(1),
        ..Default::default()
    }];
    ctl.handle(
        Instant(0),
        Event::SwitchUp {
            features,
            desc: None,
            ports,
        },
    );
    let dump = Message::MultipartReply(MultipartReply::new(MultipartReplyBody::Flow(vec![])));
    let out = ctl.handle(
        Instant(0),
        Event::Messages {
            dp_id: 1,
            msgs: vec![(0, dump)],
        },
    );
    let token = out.iter().find_map(|o| match o {
        Output::Send {
            barrier: Some(t), ..
        } => Some(*t),
        _ => None,
    });
    ctl.handle(
        Instant(0),
        Event::BarrierDone {
            dp_id: 1,
            token: token.expect("programmed"),
        },
    );

    let before = rss();
    for start in (0..HOSTS).step_by(1000) {
        let msgs = (start..start + 1000)
            .map(|n| {
                let mut frame = vec![0u8; 64];
                frame[..6].copy_from_slice(&[0xff; 6]);
                let b = n.to_be_bytes();
                frame[6..12].copy_from_slice(&[0x0a, 0, b[0], b[1], b[2], b[3]]);
                frame[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 100]);
                let pi = PacketIn {
                    buffer_id: OFP_NO_BUFFER,
                    total_len: 64,
                    reason: PacketInReason::Action,
                    table_id: 1,
                    cookie: 0x5adc15c0,
                    match_: Match::from_fields([OxmField::InPort(PortNo(1))]),
                    data: Bytes::from(frame),
                };
                (0, Message::PacketIn(pi))
            })
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
