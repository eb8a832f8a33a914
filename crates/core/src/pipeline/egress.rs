//! The egress pipeline (`egress_pipeline`, forced on by any VLAN's `acls_out`): a learned
//! destination writes its port and VLAN into the metadata and goes to the egress ACLs
//! ([`super::acl`]); the egress table then delivers by metadata, as FAUCET does
//! (`valve_pipeline.py`, `faucet_metadata.py`):
//!
//! ```text
//!  eth_dst:  {eth_dst, vlan} -> write_metadata:(vid << 12 | port)/0xffffff, goto egress_acl
//!  egress:   {metadata=(vid << 12 | port)/0xffffff, vlan} -> [mirror] [pop_vlan] output:port
//! ```
//!
//! Floods reach the egress ACLs through eth_dst's table miss with no metadata, miss the
//! egress table and go on to the flood table.

use sluice_config::{Dp, Port, Vid};
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Action, Instruction, Match, PortNo};

use super::compile::vid_present;
use super::flow::{Flow, FlowSet};
use super::tables::{Layout, Table};

/// The metadata bits that carry the output port.
pub const PORT_METADATA_MASK: u64 = 0xfff;
/// The metadata bits the egress pipeline uses: the VLAN (bits 12..24) and the port.
pub const EGRESS_METADATA_MASK: u64 = 0xff_ffff;

/// The metadata that sends a packet out of `port` on `vid` through the egress pipeline.
pub fn egress_metadata(port: u32, vid: Vid) -> u64 {
    u64::from(vid.0) << 12 | (u64::from(port) & PORT_METADATA_MASK)
}

/// The instructions that hand a packet for `port` on `vid` to the egress pipeline, when the
/// DP has one (in place of the output actions of a learned destination).
pub fn to_egress(layout: &Layout, port: u32, vid: Vid) -> Option<Vec<Instruction>> {
    let egress = layout.get(Table::Egress)?;
    let next = layout.get(Table::EgressAcl).unwrap_or(egress);
    Some(vec![
        Instruction::WriteMetadata {
            metadata: egress_metadata(port, vid),
            mask: EGRESS_METADATA_MASK,
        },
        Instruction::GotoTable(next),
    ])
}

/// The egress table's delivery rules for the ports in `live`: one per port and VLAN.
pub(super) fn compile(dp: &Dp, layout: &Layout, live: &[&Port], flows: &mut FlowSet) {
    let Some(table) = layout.get(Table::Egress) else {
        return;
    };
    let high = u16::try_from(dp.priorities.high).unwrap_or(u16::MAX);
    for port in live {
        let vlans = port
            .tagged_vlans
            .iter()
            .map(|v| (*v, false))
            .chain(port.native_vlan.map(|v| (v, true)));
        for (vid, untagged) in vlans {
            let m = Match::new()
                .with(OxmField::Metadata(
                    egress_metadata(port.number.0, vid),
                    Some(EGRESS_METADATA_MASK),
                ))
                .with(OxmField::VlanVid(vid_present(vid), None));
            // The mirror copy is taken before the tag is popped here (FAUCET's order).
            let mut actions: Vec<Action> = port
                .mirror
                .destinations
                .iter()
                .map(|d| Action::output(PortNo(d.0)))
                .collect();
            if untagged {
                actions.push(Action::PopVlan);
            }
            // Remote mirrors copy the frame as the port sends it (a sluice extension).
            actions.extend(super::remote_mirror::copy_actions(port));
            actions.push(Action::output(PortNo(port.number.0)));
            let ins = vec![Instruction::ApplyActions(actions)];
            flows.insert(Flow::new(table, high, m, dp.cookie, ins));
        }
    }
}
