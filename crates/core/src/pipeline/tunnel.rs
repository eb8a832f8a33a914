//! Tunnels: an ACL's `output: {tunnel: {dp, port, ...}}` carries matching packets across the
//! stack to a port of another DP, tagged with the tunnel's own VLAN (FAUCET's VLAN tunnels,
//! `valve_stack.py`).
//!
//! ```text
//!  entry DP   port_acl: <the ACL rule> -> push_vlan, vlan_vid=T, vlan_pcp=3,
//!                                         output:<next hop>, pop_vlan [, goto vlan (allow)]
//!  transit    port_acl: {in_port=<stack port>, vlan_vid=T, vlan_pcp=3} -> output:<next hop>
//!  exit DP    port_acl: {in_port=<stack port>, vlan_vid=T, vlan_pcp=3} -> pop_vlan,
//!                          <exit_instructions>, output:<port> (or goto eth_dst without one)
//! ```
//!
//! The flows are FAUCET's (priority 0x5001 above every port ACL rule; `reverse` tunnels carry
//! vlan_pcp 4 instead of 3), but transit and exit rules match only frames that arrive on a
//! stack port: FAUCET's match any port, so a host could inject frames into a tunnel.
//!
//! A `bi_directional` tunnel also has a return path, with vlan_pcp 4: frames that arrive at
//! the destination port already tagged with the tunnel's VLAN (from a coprocessor, say) are
//! carried back to the entry DP, which takes the tag off and outputs them to the entry ports:
//!
//! ```text
//!  exit DP    port_acl: {in_port=<port>, vlan_vid=T, vlan_pcp=4} -> output:<next hop back>
//!  transit    port_acl: {in_port=<stack port>, vlan_vid=T, vlan_pcp=4} -> output:<next hop back>
//!  entry DP   port_acl: {in_port=<stack port>, vlan_vid=T, vlan_pcp=4} -> pop_vlan,
//!                          output:<entry ports> (goto eth_dst for dp_acls)
//! ```
//!
//! Next hops follow the shortest path towards the exit DP over the stack links that are up
//! ([`crate::stack`]); every DP steps to a DP one hop nearer, so a tunnel never loops, and a
//! link going down moves it to the next shortest path. With no path the entry rule drops.

use sluice_config::{Dp, Port, Tunnel};
use sluice_ofp::oxm::{OFPVID_PRESENT, OxmField};
use sluice_ofp::{Action, Instruction, Match, PortNo};

use super::acl::{Out, output_step};
use super::compile::priority;
use super::flow::Flow;
use super::tables::{Layout, Table};

/// The 802.1Q TPID of tunnel tags.
const TPID: u16 = 0x8100;
/// The VLAN priority that marks a tunnelled packet (FAUCET's `PCP_TUNNEL_FLAG`).
pub const PCP_TUNNEL: u8 = 3;
/// The VLAN priority of a `reverse` tunnel (FAUCET's `PCP_TUNNEL_REVERSE_DIRECTION_FLAG`).
pub const PCP_TUNNEL_REVERSE: u8 = 4;

/// The VLAN priority a tunnel's frames carry.
fn pcp(t: &Tunnel) -> u8 {
    if t.reverse {
        PCP_TUNNEL_REVERSE
    } else {
        PCP_TUNNEL
    }
}

/// The actions that send a packet into `tunnel` at its entry DP `dp`: tagged with the
/// tunnel's VLAN out of the next hop, and the tag taken off again for what follows. At the
/// exit DP itself, the exit instructions and straight to the port.
pub(super) fn entry_actions(
    dp: &Dp,
    tunnel: &Tunnel,
    out: &mut Out<'_>,
    actions: &mut Vec<Action>,
) {
    if tunnel.dst_dp == dp.dp_id {
        for step in &tunnel.exit_instructions {
            output_step(dp, step, actions, out);
        }
        if let Some(p) = tunnel.dst_port {
            actions.push(Action::output(PortNo(p.0)));
        }
        return;
    }
    let stack = out.stack;
    let Some(next) = stack.next_hop.get(&tunnel.dst_dp.0) else {
        return;
    };
    actions.extend(encapsulate(tunnel, *next));
    actions.push(Action::PopVlan);
}

/// The actions that send the packet as it is into `tunnel` through the stack port `next`:
/// tagged with the tunnel's VLAN and priority on top of whatever tags it has.
pub(super) fn encapsulate(tunnel: &Tunnel, next: u32) -> [Action; 4] {
    [
        Action::PushVlan(TPID),
        Action::SetField(OxmField::VlanVid(tunnel.tunnel_id.0 | OFPVID_PRESENT, None)),
        Action::SetField(OxmField::VlanPcp(pcp(tunnel))),
        Action::output(PortNo(next)),
    ]
}

/// The transit and exit rules of every tunnel of the configuration on `dp`, for its stack
/// ports in `live`.
pub(super) fn compile(dp: &Dp, layout: &Layout, live: &[&Port], out: &mut Out<'_>) {
    let Some(table) = layout.get(Table::PortAcl) else {
        return;
    };
    if dp.stack.is_none() {
        return;
    }
    let stack_ports: Vec<u32> = live
        .iter()
        .filter(|p| p.stack.is_some())
        .map(|p| p.number.0)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (_, t) in dp.tunnels() {
        if !seen.insert((t.tunnel_id, t.reverse)) {
            continue;
        }
        let next = out.stack.next_hop.get(&t.dst_dp.0).copied();
        let ins = if t.dst_dp == dp.dp_id {
            let mut ins = vec![Instruction::ApplyActions(exit_actions(dp, t, out))];
            if t.dst_port.is_none() {
                ins.push(Instruction::GotoTable(layout.id(Table::EthDst)));
            }
            ins
        } else if let Some(next) = out.stack.next_hop.get(&t.dst_dp.0) {
            vec![Instruction::ApplyActions(vec![Action::output(PortNo(
                *next,
            ))])]
        } else {
            continue;
        };
        // Frames never go back out of the port they came in by.
        let from: Vec<Option<u32>> = stack_ports
            .iter()
            .filter(|p| Some(**p) != next)
            .map(|p| Some(*p))
            .collect();
        rules(dp, table, t, pcp(t), &from, &ins, out);
    }
    let mut reversed = std::collections::BTreeSet::new();
    for (_, t) in dp.tunnels().filter(|(_, t)| t.bi_directional) {
        if reversed.insert(t.tunnel_id) {
            reverse(dp, layout, table, t, &stack_ports, out);
        }
    }
}

/// The return path of a `bi_directional` tunnel: frames tagged with the tunnel's VLAN and
/// vlan_pcp 4 that enter at its destination port (already encapsulated, say by a
/// coprocessor there; from any port when the tunnel has none) go back across the stack to
/// the DP it starts from, which takes the tag off and sends them out of the tunnel's entry
/// ports (through eth_dst for a `dp_acls` tunnel).
fn reverse(
    dp: &Dp,
    layout: &Layout,
    table: u8,
    t: &Tunnel,
    stack_ports: &[u32],
    out: &mut Out<'_>,
) {
    let here = dp.dp_id.0;
    let Some(&source) = out.stack.reverse_to.get(&t.tunnel_id.0) else {
        return;
    };
    let next = out.stack.next_hop.get(&source).copied();
    let ins = if here == source {
        let mut actions = vec![Action::PopVlan];
        let mut via_eth_dst = false;
        for (_, port) in dp
            .tunnel_entries()
            .filter(|(e, _)| e.bi_directional && e.tunnel_id == t.tunnel_id)
        {
            match port {
                Some(p) => actions.push(Action::output(PortNo(p.0))),
                None => via_eth_dst = true,
            }
        }
        let mut ins = vec![Instruction::ApplyActions(actions)];
        if via_eth_dst {
            ins.push(Instruction::GotoTable(layout.id(Table::EthDst)));
        }
        ins
    } else if let Some(next) = next {
        vec![Instruction::ApplyActions(vec![Action::output(PortNo(
            next,
        ))])]
    } else {
        return;
    };
    let from: Vec<Option<u32>> = if t.dst_dp == dp.dp_id {
        vec![t.dst_port.map(|p| p.0)]
    } else {
        stack_ports
            .iter()
            .filter(|p| Some(**p) != next)
            .map(|p| Some(*p))
            .collect()
    };
    rules(dp, table, t, PCP_TUNNEL_REVERSE, &from, &ins, out);
}

/// One rule per input port in `from` (`None`: any port) for the frames of tunnel `t` that
/// carry vlan_pcp `pcp`, each doing `ins`.
fn rules(
    dp: &Dp,
    table: u8,
    t: &Tunnel,
    pcp: u8,
    from: &[Option<u32>],
    ins: &[Instruction],
    out: &mut Out<'_>,
) {
    let vid = OxmField::VlanVid(t.tunnel_id.0 | OFPVID_PRESENT, None);
    for p in from {
        let mut m = Match::new();
        if let Some(p) = p {
            m = m.with(OxmField::InPort(PortNo(*p)));
        }
        let m = m.with(vid.clone()).with(OxmField::VlanPcp(pcp));
        out.flows.insert(Flow::new(
            table,
            priority::FILTER + 1,
            m,
            dp.cookie,
            ins.to_vec(),
        ));
    }
}

/// What the exit DP does with a tunnelled packet: the tag off (unless
/// `maintain_encapsulation`), the exit instructions, out of the tunnel's port.
fn exit_actions(dp: &Dp, t: &Tunnel, out: &mut Out<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    if !t.maintain_encapsulation {
        actions.push(Action::PopVlan);
    }
    for step in &t.exit_instructions {
        output_step(dp, step, &mut actions, out);
    }
    if let Some(p) = t.dst_port {
        actions.push(Action::output(PortNo(p.0)));
    }
    actions
}
