//! Coprocessor ports (`coprocessor: {strategy: vlan_vid, vlan_vid_base: B}`), as FAUCET
//! installs them (`valve_coprocessor.py`): a coprocessor sends a frame out of port N by
//! tagging it with VLAN B+N.
//!
//! ```text
//!  vlan:     {in_port=C} -> goto copro                        (low priority, 9000)
//!  copro:    {vlan_vid=B+N} -> pop_vlan, output:N             (high priority, 9001)
//!            miss -> eth_dst (tagged frames are switched as usual)
//!  eth_src:  {in_port=C} -> goto eth_dst                      (high: no learning)
//! ```
//!
//! The loop guard (sluice's addition, from the remote-mirroring design): a coprocessor port
//! that is also a mirror destination is a looped port: what comes back in on it is a copy of
//! mirrored traffic. FAUCET switches such a frame (copro miss -> eth_dst) when it carries a
//! VLAN tag, so it goes out of the mirrored port again, is mirrored again and loops forever.
//! On a looped port, frames the coprocessor does not steer are dropped instead:
//!
//! ```text
//!  copro:    {in_port=C} -> drop                              (low priority, 9000)
//! ```
//!
//! Steered frames leave by the copro table's own output, never through eth_dst, flood or
//! egress, so they are not mirrored back either.

use sluice_config::{Dp, Port, Vid};
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Action, Instruction, Match, PortNo};

use super::compile::vid_present;
use super::flow::{Flow, FlowSet};
use super::tables::{Layout, Table};

/// The highest VLAN id.
const MAX_VID: i64 = 4095;

/// The coprocessor flows of the coprocessor ports in `live`.
pub(super) fn compile(dp: &Dp, layout: &Layout, live: &[&Port], flows: &mut FlowSet) {
    let Some(copro) = layout.get(Table::Copro) else {
        return;
    };
    let low = u16::try_from(dp.priorities.low).unwrap_or(u16::MAX);
    let high = u16::try_from(dp.priorities.high).unwrap_or(u16::MAX);
    let (vlan, eth_src, eth_dst) = (
        layout.id(Table::Vlan),
        layout.id(Table::EthSrc),
        layout.id(Table::EthDst),
    );
    for port in live {
        let Some(c) = port.coprocessor else { continue };
        let in_port = Match::new().with(OxmField::InPort(PortNo(port.number.0)));
        flows.insert(Flow::new(
            vlan,
            low,
            in_port.clone(),
            dp.cookie,
            vec![Instruction::GotoTable(copro)],
        ));
        if !port.mirror.sources.is_empty() {
            flows.insert(Flow::new(copro, low, in_port.clone(), dp.cookie, vec![]));
        }
        flows.insert(Flow::new(
            eth_src,
            high,
            in_port,
            dp.cookie,
            vec![Instruction::GotoTable(eth_dst)],
        ));
        // Every configured port, as FAUCET steers to any of them; a VID beyond 4095 cannot
        // be written in a tag, so that port cannot be steered to.
        for n in dp.ports.keys() {
            let Some(vid) = c
                .vlan_vid_base
                .checked_add(i64::from(n.0))
                .filter(|v| (1..=MAX_VID).contains(v))
                .and_then(|v| u16::try_from(v).ok())
            else {
                continue;
            };
            let m = Match::new().with(OxmField::VlanVid(vid_present(Vid(vid)), None));
            let actions = vec![Action::PopVlan, Action::output(PortNo(n.0))];
            flows.insert(Flow::new(
                copro,
                high,
                m,
                dp.cookie,
                vec![Instruction::ApplyActions(actions)],
            ));
        }
    }
}
