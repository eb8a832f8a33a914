//! Shared by the runtime's tests and benchmarks: a core brought to a running DP, and the
//! packet-ins its learning rule sends.
// Each test crate uses part of this.
#![allow(dead_code)]

use bytes::Bytes;
use sluice_core::telemetry::Counters;
use sluice_core::{Controller, Event, Instant, Output};
use sluice_ofp::msg::multipart::{MultipartReply, MultipartReplyBody};
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Match, Message, Port};

/// Handles `ev` at `now` and counts its outputs, as the controller task does.
pub fn run(ctl: &mut Controller, counters: &mut Counters, now: u64, ev: Event) -> Vec<Output> {
    let out = ctl.handle(Instant(now), ev);
    counters.observe(&out);
    out
}

/// A controller for `yaml` whose DP `dp_id` has connected with `ports`, answered the flow
/// dump with an empty table and the barrier after its programming: it is learning.
pub fn running(yaml: &str, dp_id: u64, ports: Vec<Port>, counters: &mut Counters) -> Controller {
    let config = sluice_config::load_str(yaml).expect("valid").config;
    let mut ctl = Controller::with_config(config, 1);
    let features = SwitchFeatures {
        datapath_id: dp_id,
        ..Default::default()
    };
    let up = Event::SwitchUp {
        features,
        desc: None,
        ports,
    };
    run(&mut ctl, counters, 0, up);
    let dump = Message::MultipartReply(MultipartReply::new(MultipartReplyBody::Flow(vec![])));
    let msgs = vec![(0, dump)];
    let out = run(&mut ctl, counters, 0, Event::Messages { dp_id, msgs });
    let token = out
        .iter()
        .find_map(|o| match o {
            Output::Send {
                barrier: Some(t), ..
            } => Some(*t),
            _ => None,
        })
        .expect("programmed");
    run(&mut ctl, counters, 0, Event::BarrierDone { dp_id, token });
    ctl
}

/// A packet-in from the learning rule: a frame from `src` to `dst` of `eth_type`, received
/// on `port` and tagged `vid` by the pipeline.
pub fn learning_packet_in(
    port: u32,
    src: [u8; 6],
    dst: [u8; 6],
    vid: u16,
    eth_type: u16,
) -> Message {
    let mut frame = vec![0u8; 64];
    frame[..6].copy_from_slice(&dst);
    frame[6..12].copy_from_slice(&src);
    frame[12..14].copy_from_slice(&[0x81, 0x00]);
    frame[14..16].copy_from_slice(&vid.to_be_bytes());
    frame[16..18].copy_from_slice(&eth_type.to_be_bytes());
    Message::PacketIn(PacketIn {
        buffer_id: OFP_NO_BUFFER,
        total_len: 64,
        reason: PacketInReason::Action,
        table_id: 1,
        cookie: 0x5adc15c0,
        match_: Match::from_fields([OxmField::InPort(sluice_ofp::PortNo(port))]),
        data: Bytes::from(frame),
    })
}
