//! Remote mirroring, a sluice extension: the analyser port's `mirror` list may name a port of
//! another DP of the stack, `{dp: sw2, port: 3, tunnel_id: 3999}` (`tunnel_id` optional). That
//! port's traffic, both directions, is copied to the analyser through a tunnel across the
//! stack, with no loopback cable (see `docs/stacking.md`).
//!
//! FAUCET's checker rejects such a file, so every use is reported as an extension
//! ([`crate::WarningKind::Extension`]): sluice accepts it and says that FAUCET would not.
//!
//! Tunnel VLANs: one per analyser port, `tunnel_id` if given, otherwise the highest VID not
//! used by any VLAN (tunnel VLANs of ACLs included) or other tunnel, counting down from 4094
//! over the analyser ports in configuration order, so adding a VLAN does not move them.

use std::collections::{BTreeMap, BTreeSet};

use super::NameRef;
use super::dp::DpDef;
use crate::conf::{Ctx, Schema, Ty, join, short};
use crate::model::{Dp, Hardware, PortNo, Tunnel, Vid};
use crate::yaml::{Pos, Value};

const SCHEMA: &Schema = &[
    ("dp", Ty::Str),
    ("port", Ty::StrInt),
    ("tunnel_id", Ty::Int),
];

/// The highest VID a tunnel may use.
const MAX_VID: u16 = 4094;

/// An analyser port with `{dp, port}` entries in its `mirror` list.
pub(crate) struct Analyser<'n> {
    dp: String,
    port: u32,
    entries: Vec<NameRef<'n>>,
}

/// The analyser ports with remote entries, in configuration order (taken before the DP
/// definitions are consumed).
pub(crate) fn collect<'n>(dps: &[DpDef<'n>]) -> Vec<Analyser<'n>> {
    dps.iter()
        .filter(|d| d.finalized)
        .flat_map(|d| {
            d.ports
                .iter()
                .filter(|p| !p.remote_mirror.is_empty())
                .map(|p| Analyser {
                    dp: d.name.clone(),
                    port: p.number,
                    entries: p.remote_mirror.clone(),
                })
        })
        .collect()
}

/// One checked entry: the mirrored DP and port, and the tunnel VLAN asked for.
struct Entry {
    src: (usize, PortNo),
    vid: Option<(Vid, Pos, String)>,
    pos: Pos,
    path: String,
}

/// Checks every remote mirror entry, allocates the tunnel VLANs, and fills in the mirrored
/// ports' [`crate::PortMirror::remote_destinations`] and every stacked DP's
/// [`Dp::mirror_tunnels`].
pub(crate) fn resolve(ctx: &mut Ctx<'_>, analysers: &[Analyser<'_>], dps: &mut [Dp]) {
    if analysers.is_empty() {
        return;
    }
    // Every VID in use: VLANs (tunnel VLANs of ACLs are VLANs of every DP) and ACL tunnels.
    let mut used: BTreeSet<u16> = dps
        .iter()
        .flat_map(|d| d.vlans.keys().map(|v| v.0))
        .chain(
            dps.iter()
                .flat_map(|d| d.tunnels().map(|(_, t)| t.tunnel_id.0)),
        )
        .collect();
    let mut checked: Vec<(usize, PortNo, Vec<Entry>)> = Vec::new();
    for a in analysers {
        let Some(at) = dps.iter().position(|d| d.name == a.dp) else {
            continue;
        };
        let entries = a
            .entries
            .iter()
            .filter_map(|r| check_entry(ctx, dps, at, r))
            .collect();
        checked.push((at, PortNo(a.port), entries));
    }
    // Explicit tunnel VLANs first: each one belongs to one analyser port.
    let mut owner: BTreeMap<u16, (usize, PortNo)> = BTreeMap::new();
    for (at, port, entries) in &mut checked {
        let mut refused = Vec::new();
        for (i, (vid, pos, path)) in entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, e.vid.as_ref()?)))
        {
            let why = if dps.iter().any(|d| d.vlans.contains_key(vid)) {
                Some(format!(
                    "tunnel_id {vid} is the VID of a VLAN; a mirror tunnel needs a VID of its own"
                ))
            } else if owner.get(&vid.0).is_some_and(|o| *o != (*at, *port)) {
                Some(format!(
                    "tunnel_id {vid} already carries mirrored traffic to another analyser port"
                ))
            } else {
                None
            };
            match why {
                Some(why) => {
                    ctx.error(*pos, &join(path, "tunnel_id"), why);
                    refused.push(i);
                }
                None => {
                    owner.insert(vid.0, (*at, *port));
                }
            }
        }
        for i in refused.into_iter().rev() {
            entries.remove(i);
        }
    }
    used.extend(owner.keys().copied());
    let mut tunnels: Vec<Tunnel> = Vec::new();
    let mut sources: BTreeMap<(usize, PortNo), Vec<Tunnel>> = BTreeMap::new();
    let mut next = MAX_VID;
    for (at, port, entries) in &checked {
        let mut auto: Option<Vid> = None;
        for e in entries {
            let vid = match &e.vid {
                Some((vid, _, _)) => *vid,
                None => match auto {
                    Some(v) => v,
                    None => {
                        while next > 0 && used.contains(&next) {
                            next -= 1;
                        }
                        if next == 0 {
                            ctx.error(e.pos, &e.path, "no VID is left for a mirror tunnel");
                            continue;
                        }
                        used.insert(next);
                        *auto.insert(Vid(next))
                    }
                },
            };
            let tunnel = Tunnel {
                dst_dp: dps[*at].dp_id,
                dst_port: Some(*port),
                tunnel_id: vid,
                kind: "vlan".into(),
                exit_instructions: Vec::new(),
                bi_directional: false,
                maintain_encapsulation: false,
                reverse: false,
            };
            let (src_dp, src_port) = (&dps[e.src.0].name, e.src.1);
            ctx.extension(
                e.pos,
                &e.path,
                format!(
                    "port {src_port} of DP \"{src_dp}\" is mirrored to this port through the \
                     stack (tunnel VLAN {vid})"
                ),
            );
            let list = sources.entry(e.src).or_default();
            if !list.contains(&tunnel) {
                list.push(tunnel.clone());
            }
            if !tunnels.contains(&tunnel) {
                tunnels.push(tunnel);
            }
        }
    }
    for ((dp, port), list) in sources {
        if let Some(p) = dps[dp].ports.get_mut(&port) {
            p.mirror.update(|m| m.remote_destinations = list);
        }
    }
    for dp in dps.iter_mut().filter(|d| d.stack.is_some()) {
        dp.mirror_tunnels = tunnels.clone();
    }
}

/// Checks one `{dp, port, tunnel_id}` entry of the analyser port on `dps[at]`.
fn check_entry(ctx: &mut Ctx<'_>, dps: &[Dp], at: usize, r: &NameRef<'_>) -> Option<Entry> {
    let Value::Map(map) = &r.node.value else {
        return None;
    };
    let before = ctx.error_count();
    let f = ctx.fields_of(map, r.node.pos, &r.path, "a remote mirror", SCHEMA);
    if ctx.error_count() != before {
        return None;
    }
    let (Some(dp_node), Some(port_node)) = (f.get("dp"), f.get("port")) else {
        ctx.error(
            r.node.pos,
            &r.path,
            "a remote mirror needs `dp` and `port` (the DP and port whose traffic is mirrored)",
        );
        return None;
    };
    let dp_name = dp_node.value.as_str().unwrap_or_default();
    let analyser = &dps[at];
    let Some(src_at) = dps.iter().position(|d| d.name == dp_name) else {
        ctx.error(
            dp_node.pos,
            &join(&r.path, "dp"),
            format!("DP \"{dp_name}\" is not defined"),
        );
        return None;
    };
    if src_at == at {
        ctx.error(
            dp_node.pos,
            &join(&r.path, "dp"),
            format!(
                "DP \"{dp_name}\" is this port's own DP: list the mirrored port itself (`mirror: [{}]`)",
                short(&port_node.value)
            ),
        );
        return None;
    }
    let src = &dps[src_at];
    let Some(port) = src.ports.values().find(|p| match &port_node.value {
        Value::Str(s) => p.name == *s,
        v => v.as_int() == Some(i128::from(p.number.0)),
    }) else {
        ctx.error(
            port_node.pos,
            &join(&r.path, "port"),
            format!(
                "mirrored port {} is not a port of DP \"{dp_name}\"",
                short(&port_node.value)
            ),
        );
        return None;
    };
    for d in [analyser, src] {
        if d.stack.is_none() {
            ctx.error(
                dp_node.pos,
                &join(&r.path, "dp"),
                format!(
                    "remote mirroring needs both DPs in the same stack, and DP \"{}\" is not \
                     stacked (it has no stack ports)",
                    d.name
                ),
            );
            return None;
        }
    }
    if !matches!(
        src.hardware,
        Hardware::OpenVSwitch | Hardware::OpenVSwitchTfm
    ) {
        ctx.error(
            dp_node.pos,
            &join(&r.path, "dp"),
            format!(
                "remote mirroring needs an Open vSwitch DP, and DP \"{dp_name}\" is hardware \"{}\" \
                 (the copy of a packet may have to go back out of the stack port it came in by, \
                 which OpenFlow 1.3 switches need not allow)",
                src.hardware.name()
            ),
        );
        return None;
    }
    if port.stack.is_some() {
        ctx.error(
            port_node.pos,
            &join(&r.path, "port"),
            format!(
                "port {} of DP \"{dp_name}\" is a stack port; mirror the ports hosts are on",
                port.number
            ),
        );
        return None;
    }
    let vid = match f.get("tunnel_id") {
        None => None,
        Some(n) => match n
            .value
            .as_int()
            .and_then(|i| u16::try_from(i).ok())
            .filter(|v| (1..=MAX_VID).contains(v))
        {
            Some(v) => Some((Vid(v), n.pos, r.path.clone())),
            None => {
                ctx.error(
                    n.pos,
                    &join(&r.path, "tunnel_id"),
                    format!(
                        "tunnel_id must be a VID from 1 to {MAX_VID}, not {}",
                        short(&n.value)
                    ),
                );
                return None;
            }
        },
    };
    Some(Entry {
        src: (src_at, port.number),
        vid,
        pos: r.node.pos,
        path: r.path.clone(),
    })
}
