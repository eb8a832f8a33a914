//! Remote mirroring (a sluice extension): a port's traffic, both directions, copied to an
//! analyser port on another DP of the stack in the same pass through the switch, with no
//! loopback cable.
//!
//! Each tunnel a mirrored port feeds (see [`sluice_config::PortMirror::remote_destinations`])
//! is an OpenFlow group of type ALL on the mirrored port's DP, whose one bucket sends its own
//! copy of the packet into the tunnel:
//!
//! ```text
//!  group 0x10000+T: ALL, [push_vlan, vlan_vid=T, vlan_pcp=3, NXM_OF_IN_PORT=0,
//!                         output:<next hop>]
//!  vlan:     {in_port=P, ...}  -> group:G, [push_vlan V,] goto ...    (as P received it)
//!  eth_dst:  {eth_dst=<host on P>, vlan} -> [pop_vlan,] group:G, output:P   (as P sends it)
//!  flood:    ... [pop_vlan,] output:P, group:G ...                      (as P sends it)
//! ```
//!
//! Transit and exit DPs carry the tunnel like any other ([`super::tunnel`]): the exit pops
//! the tunnel tag and outputs to the analyser port, so a copy arrives as the mirrored port
//! received or sent it.
//!
//! A group rather than the tunnel's actions inline: a bucket works on a copy, so the packet
//! goes on unchanged (no pop to undo the push, whatever tags it has at that point), and when
//! the stack reroutes only the group's bucket changes, not every learned host's flow. With no
//! path to the analyser's DP the group has no bucket, and the copies are dropped.
//!
//! A packet that came in by the next hop itself (a reply from the analyser's side, on its
//! way to the mirrored port) must have its copy sent back out of that port, which OpenFlow
//! does not do for `output:<port>` (only for `output:IN_PORT`, which would be wrong for every
//! other packet). The bucket sets `in_port` to 0 first, through Open vSwitch's
//! `NXM_OF_IN_PORT` field (OpenFlow 1.3 lets no switch set `in_port`), so remote mirroring
//! needs an Open vSwitch DP (the configuration checks). The alternative, one group and one copy of each
//! learned host's flow per stack port, costs far more flows for the same result.

use std::collections::BTreeMap;

use sluice_config::{Dp, Port, Tunnel};
use sluice_ofp::Action;
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};

use super::{nicira, tunnel};
use crate::stack::StackView;

/// Mirror tunnel groups are numbered from here (above the flood groups, which use the VID
/// and the VID + 4096).
pub const GROUP_BASE: u32 = 0x1_0000;

/// The group that copies packets into a mirror tunnel.
pub fn group_id(tunnel: &Tunnel) -> u32 {
    GROUP_BASE + u32::from(tunnel.tunnel_id.0)
}

/// The actions that copy a packet, as it is at that point, to the port's remote mirrors.
pub fn copy_actions(port: &Port) -> impl Iterator<Item = Action> + '_ {
    port.mirror
        .remote_destinations
        .iter()
        .map(|t| Action::Group(group_id(t)))
}

/// Whether some port of `dp` is mirrored to another DP (so the DP has mirror groups).
pub fn uses_groups(dp: &Dp) -> bool {
    dp.ports
        .values()
        .any(|p| !p.mirror.remote_destinations.is_empty())
}

/// The groups of the mirror tunnels the ports of `dp` feed, towards the next hops of
/// `stack`.
pub(super) fn groups(dp: &Dp, stack: &StackView, groups: &mut BTreeMap<u32, GroupMod>) {
    for t in dp
        .ports
        .values()
        .flat_map(|p| &p.mirror.remote_destinations)
    {
        let buckets = stack
            .next_hop
            .get(&t.dst_dp.0)
            .map(|next| {
                let [push, vid, pcp, output] = tunnel::encapsulate(t, *next);
                // The packet may have come in by the next hop (a reply from the analyser's
                // side): forget its input port, or the switch would not send it back there.
                Bucket::new(vec![push, vid, pcp, nicira::set_in_port(0), output])
            })
            .into_iter()
            .collect();
        groups.insert(
            group_id(t),
            GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::All,
                group_id: group_id(t),
                buckets,
            },
        );
    }
}
