//! The switch never panics: not on arbitrary messages, not on arbitrary frames, not on random
//! (mostly valid) pipelines traced with random packets.

use arbitrary::{Arbitrary, Unstructured};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags};
use sluice_ofp::msg::group::{Bucket, GroupType};
use sluice_ofp::msg::meter::MeterModCommand;
use sluice_ofp::{Action, Instruction, Match, Message, OxmField, PortNo};

use super::*;
use crate::Strictness;

/// Deterministic pseudo-random bytes (xorshift64*).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn arbitrary_messages_and_frames() {
    for seed in 1..=4u64 {
        let bytes = noise(seed, 1 << 18);
        let mut u = Unstructured::new(&bytes);
        let mut sw = switch().with_strictness(if seed % 2 == 0 {
            Strictness::Ovs
        } else {
            Strictness::Spec
        });
        for i in 0..1500u64 {
            let Ok(m) = Message::arbitrary(&mut u) else {
                break;
            };
            if let Err(e) = sw.apply(t(i), &m) {
                let _ = e.to_message(&m, 1);
            }
            let Ok(frame) = <Vec<u8>>::arbitrary(&mut u) else {
                break;
            };
            let p = Packet::from_frame(1 + (i % 5) as u32, &frame);
            let _ = sw.receive(t(i), &p).to_string();
            let _ = p.to_frame();
        }
        let _ = sw.to_string();
    }
}

/// A random but mostly valid pipeline: four tables, groups and meters, flows drawn from a
/// small vocabulary so that packets actually meet them.
#[test]
fn random_pipelines_trace_consistently() {
    let bytes = noise(99, 1 << 16);
    let mut u = Unstructured::new(&bytes);
    let mut pick = |n: u32| -> u32 { u.int_in_range(0..=n.saturating_sub(1)).unwrap_or(0) };
    let mut sw = switch().with_tables(4);
    let mut accepted = 0;
    for round in 0..400u64 {
        let msg = match pick(10) {
            0 => {
                let buckets = (0..pick(3) + 1)
                    .map(|_| {
                        let mut b =
                            Bucket::new(vec![set_vid(pick(4) as u16 + 1), out(pick(4) + 1)]);
                        b.watch_port = PortNo(pick(4) + 1);
                        b
                    })
                    .collect();
                let ty =
                    [GroupType::All, GroupType::Select, GroupType::FastFailover][pick(3) as usize];
                add_group(ty, pick(4) + 1, buckets)
            }
            1 => meter(MeterModCommand::Add, pick(3) + 1, 100),
            2 => delete(pick(4) as u8, [in_port(pick(4) + 1)]).msg(),
            _ => {
                let table = pick(4) as u8;
                let mut fields = Vec::new();
                if pick(2) == 0 {
                    fields.push(in_port(pick(4) + 1));
                }
                match pick(3) {
                    0 => fields.push(OxmField::VlanVid(0, None)),
                    1 => fields.push(vid(pick(4) as u16 + 1)),
                    _ => {}
                }
                if pick(2) == 0 {
                    fields.push(OxmField::EthDst(mac(pick(4) as u8), None));
                }
                let mut actions = Vec::new();
                for _ in 0..pick(4) {
                    actions.push(match pick(7) {
                        0 => Action::PushVlan(0x8100),
                        1 => Action::PopVlan,
                        2 => set_vid(pick(4) as u16 + 1),
                        3 => Action::Group(pick(4) + 1),
                        4 => Action::output(PortNo::CONTROLLER),
                        _ => out(pick(4) + 1),
                    });
                }
                let mut ins = vec![apply(actions.clone())];
                if pick(2) == 0 {
                    ins.push(write(actions));
                }
                if pick(3) == 0 {
                    ins.push(Instruction::Meter(pick(3) + 1));
                }
                if table < 3 && pick(2) == 0 {
                    ins.push(Instruction::GotoTable(
                        table + 1 + pick(3 - u32::from(table)) as u8,
                    ));
                }
                Message::FlowMod(FlowMod {
                    table_id: table,
                    priority: pick(4) as u16,
                    command: if pick(8) == 0 {
                        FlowModCommand::ModifyStrict
                    } else {
                        FlowModCommand::Add
                    },
                    flags: FlowModFlags::from_bits_retain(pick(8) as u16),
                    match_: Match::from_fields(fields),
                    instructions: ins,
                    ..FlowMod::default()
                })
            }
        };
        if sw.apply(t(round), &msg).is_ok() {
            accepted += 1;
        }
        if pick(5) == 0 {
            sw.set_link(pick(4) + 1, pick(2) == 0);
        }
        let mut p = l2(pick(4) + 1, pick(4) as u8, pick(4) as u8);
        for _ in 0..pick(3) {
            p = p.vlan(pick(4) as u16 + 1);
        }
        let a = sw.trace(&p);
        let b = sw.clone().receive(t(round), &p);
        assert_eq!(a.outputs, b.outputs, "trace and receive agree:\n{a}");
        assert_eq!(a, sw.trace(&p), "traces are deterministic");
        for o in &a.outputs {
            assert_ne!(
                o.port, p.in_port,
                "never back out of the input port here:\n{a}"
            );
        }
    }
    assert!(accepted > 100, "only {accepted} messages accepted");
}
