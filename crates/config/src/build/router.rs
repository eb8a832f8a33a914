//! `routers:` entries (FAUCET's `Router`), their resolution on each DP, and the checks across
//! routers.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::vlan::ip_address_of;
use super::{Key, NameRef};
use crate::conf::{Ctx, Schema, Ty, index, join, sat_i64, short, truthy};
use crate::model::{Bgp, Dp, Router, Vid, Vlan};
use crate::yaml::{Node, Value};

const SCHEMA: &Schema = &[("bgp", Ty::Dict), ("vlans", Ty::List)];

const BGP_SCHEMA: &Schema = &[
    ("as", Ty::Int),
    ("connect_mode", Ty::Str),
    ("neighbor_addresses", Ty::List),
    ("neighbor_as", Ty::Int),
    ("port", Ty::Int),
    ("routerid", Ty::Str),
    ("server_addresses", Ty::List),
    ("vlan", Ty::StrInt),
];

/// BGP settings before the VLAN is resolved on a DP.
#[derive(Debug, Clone)]
pub(crate) struct BgpDef<'n> {
    pub local_as: i64,
    pub neighbor_addresses: Vec<IpAddr>,
    pub neighbor_as: i64,
    pub port: i64,
    pub routerid: String,
    pub server_addresses: Vec<IpAddr>,
    pub vlan: &'n Node,
    pub vlan_path: String,
}

/// A valid `routers:` entry.
#[derive(Debug, Clone)]
pub(crate) struct RouterDef<'n> {
    pub key: Key,
    pub path: String,
    pub vlans: Vec<NameRef<'n>>,
    pub bgp: Option<BgpDef<'n>>,
}

/// All `routers:` entries.
#[derive(Debug, Default)]
pub(crate) struct Routers<'n> {
    pub defs: Vec<RouterDef<'n>>,
    pub poisoned: Vec<Key>,
}

/// Parses every `routers:` entry. `dp_count` matters: FAUCET shares a BGP router's settings
/// between DPs and fails on the second one, so BGP works only with a single DP.
pub(crate) fn parse_all<'n>(
    ctx: &mut Ctx<'_>,
    entries: &[&'n (Node, Node)],
    dp_count: usize,
) -> Routers<'n> {
    let mut routers = Routers::default();
    for &(key_node, conf) in entries {
        let key = Key::of(&key_node.value);
        let path = join("routers", &key.text());
        let before = ctx.error_count();
        let parsed = parse_one(ctx, &key, conf, &path, dp_count);
        match parsed {
            Some(def) if ctx.error_count() == before => routers.defs.push(def),
            _ => routers.poisoned.push(key),
        }
    }
    routers
}

fn parse_one<'n>(
    ctx: &mut Ctx<'_>,
    key: &Key,
    conf: &'n Node,
    path: &str,
    dp_count: usize,
) -> Option<RouterDef<'n>> {
    let empty: &'n [(Node, Node)] = &[];
    let entries = match &conf.value {
        Value::Map(entries) => entries.as_slice(),
        _ => empty,
    };
    let f = ctx.fields_of(entries, conf.pos, path, "router", SCHEMA);
    let vlan_nodes: &'n [Node] = f.list("vlans").unwrap_or(&[]);
    let vlans: Vec<NameRef<'n>> = vlan_nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NameRef {
            node,
            path: index(&f.path_of("vlans"), i),
        })
        .collect();
    let bgp_entries = f.map("bgp").filter(|e| !e.is_empty());
    let Some(bgp_entries) = bgp_entries else {
        if vlans.is_empty() && !f.wrong("vlans") && !f.wrong("bgp") {
            ctx.error(
                conf.pos,
                path,
                "a router needs `vlans` (the VLANs it routes between) or `bgp`",
            );
        }
        return Some(RouterDef {
            key: key.clone(),
            path: path.to_string(),
            vlans,
            bgp: None,
        });
    };
    let bgp_path = f.path_of("bgp");
    let bgp_pos = f.pos_of("bgp");
    if let Some(node) = f.get("bgp")
        && ctx.changed_before("bgp", node.id)
    {
        ctx.error(
            bgp_pos,
            &bgp_path,
            "this `bgp` mapping is shared with another router (a YAML alias); FAUCET changes it \
             in place for the first router and then rejects it. Give each router its own",
        );
    }
    let b = ctx.fields_of(bgp_entries, bgp_pos, &bgp_path, "bgp", BGP_SCHEMA);
    if dp_count > 1 {
        ctx.error(
            bgp_pos,
            &bgp_path,
            format!(
                "a router with `bgp` only works in a configuration with a single DP (this one \
                 has {dp_count}); FAUCET fails to load it otherwise"
            ),
        );
    }
    let addresses = |field: &str, ctx: &mut Ctx<'_>| -> Option<Vec<IpAddr>> {
        let items = b.list(field)?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match ip_address_of(&item.value) {
                Some(ip) => {
                    if !out.contains(&ip) {
                        out.push(ip);
                    }
                }
                None => ctx.error(
                    item.pos,
                    &index(&b.path_of(field), i),
                    format!("invalid IP address {}", short(&item.value)),
                ),
            }
        }
        Some(out)
    };
    let neighbor_addresses = addresses("neighbor_addresses", ctx);
    let server_addresses = addresses("server_addresses", ctx);
    let connect_mode = b
        .str("connect_mode")
        .filter(|s| !s.is_empty())
        .unwrap_or("passive");
    let required: [(&str, bool); 7] = [
        (
            "server_addresses",
            server_addresses.as_ref().is_some_and(|v| !v.is_empty()),
        ),
        ("as", b.get("as").is_some_and(|n| truthy(&n.value))),
        ("port", b.get("port").is_some_and(|n| truthy(&n.value))),
        ("connect_mode", true),
        ("routerid", b.str("routerid").is_some_and(|s| !s.is_empty())),
        (
            "neighbor_addresses",
            neighbor_addresses.as_ref().is_some_and(|v| !v.is_empty()),
        ),
        (
            "neighbor_as",
            b.get("neighbor_as").is_some_and(|n| truthy(&n.value)),
        ),
    ];
    for (field, ok) in required {
        if !ok && !b.wrong(field) {
            ctx.error(
                bgp_pos,
                &join(&bgp_path, field),
                format!("BGP `{field}` must be set"),
            );
        }
    }
    if connect_mode != "passive" {
        ctx.error(
            b.pos_of("connect_mode"),
            &b.path_of("connect_mode"),
            format!("BGP connect_mode must be \"passive\", not \"{connect_mode}\""),
        );
    }
    if let Some(servers) = &server_addresses {
        for v4 in [true, false] {
            if servers.iter().filter(|a| a.is_ipv4() == v4).count() > 1 {
                ctx.error(
                    b.pos_of("server_addresses"),
                    &b.path_of("server_addresses"),
                    format!(
                        "only one BGP server address per IP version is supported (found more \
                         than one {})",
                        if v4 { "IPv4" } else { "IPv6" }
                    ),
                );
            }
        }
    }
    let vlan = match b.get("vlan").filter(|n| truthy(&n.value)) {
        Some(node) => Some((node, b.path_of("vlan"))),
        None if b.wrong("vlan") => None,
        None => {
            if vlans.len() == 1 {
                Some((vlans[0].node, vlans[0].path.clone()))
            } else {
                ctx.error(
                    bgp_pos,
                    &join(&bgp_path, "vlan"),
                    "BGP `vlan` must be set when the router does not have exactly one VLAN",
                );
                None
            }
        }
    };
    let (Some((vlan, vlan_path)), Some(neighbor_addresses), Some(server_addresses)) =
        (vlan, neighbor_addresses, server_addresses)
    else {
        return None;
    };
    Some(RouterDef {
        key: key.clone(),
        path: path.to_string(),
        vlans,
        bgp: Some(BgpDef {
            local_as: b.int("as").map_or(0, sat_i64),
            neighbor_addresses,
            neighbor_as: b.int("neighbor_as").map_or(0, sat_i64),
            port: b.int("port").map_or(0, sat_i64),
            routerid: b.str("routerid").unwrap_or_default().to_string(),
            server_addresses,
            vlan,
            vlan_path,
        }),
    })
}

/// FAUCET's `resolve_vlan` on a DP: by name, then by VID; `None` if not found. A reference
/// that is neither a string nor an integer is an error.
pub(crate) fn resolve_vlan(
    ctx: &mut Ctx<'_>,
    vlans: &std::collections::BTreeMap<Vid, Vlan>,
    node: &Node,
    path: &str,
) -> Option<Vid> {
    if !matches!(node.value, Value::Str(_) | Value::Int(_) | Value::Bool(_)) {
        ctx.error(
            node.pos,
            path,
            format!(
                "a VLAN is referenced by name or VID, not by {}",
                node.value.type_name()
            ),
        );
        return None;
    }
    let key = Key::of(&node.value);
    if let Key::Str(name) = &key
        && let Some(v) = vlans.values().find(|v| v.name == *name)
    {
        return Some(v.vid);
    }
    if let Key::Int(vid) = key
        && let Ok(vid) = u16::try_from(vid)
        && vlans.contains_key(&Vid(vid))
    {
        return Some(Vid(vid));
    }
    None
}

/// FAUCET's `resolve_routers` for one DP: the routers that route a VLAN present on the DP (or
/// have a BGP VLAN there), and the checks between them.
pub(crate) fn resolve_for_dp(
    ctx: &mut Ctx<'_>,
    routers: &Routers<'_>,
    vlans: &std::collections::BTreeMap<Vid, Vlan>,
    global_vlan: i64,
    dp_path: &str,
    dp_pos: crate::yaml::Pos,
) -> Vec<Router> {
    let mut kept: Vec<(Router, &RouterDef<'_>)> = Vec::new();
    for def in &routers.defs {
        let bgp_vlan = match &def.bgp {
            Some(b) => resolve_vlan(ctx, vlans, b.vlan, &b.vlan_path),
            None => None,
        };
        let mut resolved: Vec<Vid> = Vec::new();
        for r in &def.vlans {
            if let Some(vid) = resolve_vlan(ctx, vlans, r.node, &r.path) {
                resolved.push(vid);
            }
        }
        if resolved.is_empty() && bgp_vlan.is_none() {
            continue;
        }
        let bgp = match (&def.bgp, bgp_vlan) {
            (Some(b), Some(vlan)) => Some(Bgp {
                local_as: b.local_as,
                connect_mode: "passive".to_string(),
                neighbor_addresses: b.neighbor_addresses.clone(),
                neighbor_as: b.neighbor_as,
                port: b.port,
                routerid: b.routerid.clone(),
                server_addresses: b.server_addresses.clone(),
                vlan,
            }),
            _ => None,
        };
        kept.push((
            Router {
                name: def.key.text(),
                vlans: resolved,
                bgp,
            },
            def,
        ));
    }

    if global_vlan != 0
        && let Ok(g) = u16::try_from(global_vlan)
        && vlans.contains_key(&Vid(g))
    {
        ctx.error(
            dp_pos,
            &join(dp_path, "global_vlan"),
            format!("global_vlan {global_vlan} is the VID of a configured VLAN"),
        );
    }

    let mut all_router_vlans: BTreeSet<Vid> = BTreeSet::new();
    for (router, def) in &kept {
        if router.vlans.len() == 1 && all_router_vlans.contains(&router.vlans[0]) {
            ctx.error(
                def.vlans.first().map_or(dp_pos, |r| r.node.pos),
                &def.path,
                format!(
                    "VLAN {} is the only VLAN of more than one router",
                    router.vlans[0]
                ),
            );
        }
        let mut vips: Vec<ipnet::IpNet> = Vec::new();
        for vid in &router.vlans {
            if let Some(vlan) = vlans.get(vid) {
                for vip in &vlan.faucet_vips {
                    let link_local = match vip.addr() {
                        IpAddr::V4(a) => a.is_link_local(),
                        IpAddr::V6(a) => a.is_unicast_link_local(),
                    };
                    if !link_local && !vips.contains(vip) {
                        vips.push(*vip);
                    }
                }
            }
        }
        all_router_vlans.extend(router.vlans.iter().copied());
        'outer: for a in &vips {
            for b in &vips {
                if a != b && b.contains(&a.addr()) {
                    ctx.error(
                        def.vlans.first().map_or(dp_pos, |r| r.node.pos),
                        &def.path,
                        format!("VIPs {a} and {b} overlap in router {}", router.name),
                    );
                    break 'outer;
                }
            }
        }
    }

    let out: Vec<Router> = kept.into_iter().map(|(r, _)| r).collect();
    let bgp_routers: Vec<&Router> = out
        .iter()
        .filter(|r| r.bgp.as_ref().is_some_and(|b| b.local_as != 0))
        .collect();
    if let Some(first) = bgp_routers.first().and_then(|r| r.bgp.as_ref()) {
        for r in &bgp_routers {
            let Some(b) = &r.bgp else { continue };
            let mut a1 = b.server_addresses.clone();
            let mut a2 = first.server_addresses.clone();
            a1.sort();
            a2.sort();
            if a1 != a2 {
                ctx.error(
                    dp_pos,
                    dp_path,
                    "BGP server addresses must be the same in every router",
                );
            }
            if b.routerid != first.routerid {
                ctx.error(
                    dp_pos,
                    dp_path,
                    "BGP router IDs must be the same in every router",
                );
            }
            if b.port != first.port {
                ctx.error(
                    dp_pos,
                    dp_path,
                    "BGP ports must be the same in every router",
                );
            }
        }
    }
    out
}

/// FAUCET's final check: every configured router must be used by some DP.
pub(crate) fn check_used(
    ctx: &mut Ctx<'_>,
    entries: &[&(Node, Node)],
    routers: &Routers<'_>,
    dps: &[Dp],
) {
    for def in &routers.defs {
        let name = def.key.text();
        if dps
            .iter()
            .any(|dp| dp.routers.iter().any(|r| r.name == name))
        {
            continue;
        }
        if dps.is_empty() {
            continue;
        }
        let pos = entries
            .iter()
            .find(|(k, _)| Key::of(&k.value) == def.key)
            .map_or_else(Default::default, |(k, _)| k.pos);
        ctx.error(
            pos,
            &def.path,
            format!(
                "router {} is configured but routes no VLAN of any DP (its VLANs are not \
                 defined)",
                def.key.quoted()
            ),
        );
    }
}
