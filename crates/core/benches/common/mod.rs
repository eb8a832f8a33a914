//! What the core's benchmarks share: a switch connected and programmed, and the packet-ins of
//! new hosts as OVS sends them.
#![allow(dead_code)] // each benchmark uses its own part

use bytes::Bytes;
use sluice_core::{Controller, Event, Instant, Output};
use sluice_ofp::msg::multipart::{MultipartReply, MultipartReplyBody};
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Match, Message, PortNo};

/// Switch `dp_id` with ports 1 to `ports` connects to `ctl`, holding no flows, and is
/// programmed (its barrier answered).
pub fn connect(ctl: &mut Controller, dp_id: u64, ports: u32) {
    let ports = (1..=ports)
        .map(|p| sluice_ofp::Port {
            port_no: PortNo(p),
            ..Default::default()
        })
        .collect();
    let features = SwitchFeatures {
        datapath_id: dp_id,
        ..Default::default()
    };
    let up = Event::SwitchUp {
        features,
        desc: None,
        ports,
    };
    ctl.handle(Instant(0), up);
    let dump = Message::MultipartReply(MultipartReply::new(MultipartReplyBody::Flow(vec![])));
    let msgs = vec![(0, dump)];
    let out = ctl.handle(Instant(0), Event::Messages { dp_id, msgs });
    let token = out
        .iter()
        .find_map(|o| match o {
            Output::Send {
                barrier: Some(t), ..
            } => Some(*t),
            _ => None,
        })
        .expect("programmed");
    ctl.handle(Instant(0), Event::BarrierDone { dp_id, token });
}

/// A controller for `yaml` with DPs 1 to `dps` (ports 1 to `ports` each) connected and
/// programmed.
pub fn running(yaml: &str, dps: u64, ports: u32) -> Controller {
    let config = sluice_config::load_str(yaml).expect("valid").config;
    let mut ctl = Controller::with_config(config, 1);
    for dp_id in 1..=dps {
        connect(&mut ctl, dp_id, ports);
    }
    ctl
}

/// The packet-in of the learning rule for host `n`, a broadcast from port 1 tagged `vid`.
pub fn packet_in(n: u32, vid: u8) -> PacketIn {
    let mut frame = vec![0u8; 64];
    frame[..6].copy_from_slice(&[0xff; 6]);
    let b = n.to_be_bytes();
    frame[6..12].copy_from_slice(&[0x0a, 0, b[0], b[1], b[2], b[3]]);
    frame[12..16].copy_from_slice(&[0x81, 0x00, 0x00, vid]);
    frame[16..18].copy_from_slice(&[0x08, 0x00]);
    PacketIn {
        buffer_id: OFP_NO_BUFFER,
        total_len: 64,
        reason: PacketInReason::Action,
        table_id: 1,
        cookie: 0x5adc15c0,
        match_: Match::from_fields([OxmField::InPort(PortNo(1))]),
        data: Bytes::from(frame),
    }
}
