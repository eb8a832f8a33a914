//! `vlans:` entries (FAUCET's `VLAN`), and the VLANs created by referencing a VID that no
//! entry defines.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use sluice_wire::MacAddr;

use super::dp::DpDef;
use super::{Key, NameRef};
use crate::conf::{Ctx, Schema, Ty, index, join, sat_i64, short, truthy};
use crate::model::{Route, Vid, Vlan};
use crate::syntax::{
    netaddr_mac, py_ip_address, py_ip_address_int, py_ip_interface, py_ip_network,
};
use crate::yaml::{Node, Value};

const SCHEMA: &Schema = &[
    ("name", Ty::Str),
    ("description", Ty::Str),
    ("acl_in", Ty::StrInt),
    ("acls_in", Ty::List),
    ("acl_out", Ty::StrInt),
    ("acls_out", Ty::List),
    ("faucet_vips", Ty::List),
    ("faucet_mac", Ty::Str),
    ("unicast_flood", Ty::Bool),
    ("routes", Ty::List),
    ("max_hosts", Ty::Int),
    ("vid", Ty::Int),
    ("proactive_arp_limit", Ty::Int),
    ("proactive_nd_limit", Ty::Int),
    ("targeted_gw_resolution", Ty::Bool),
    ("minimum_ip_size_check", Ty::Bool),
    ("reserved_internal_vlan", Ty::Bool),
    ("dot1x_assigned", Ty::Bool),
    ("edge_learn_stack_root", Ty::Bool),
];

/// FAUCET's default `faucet_mac` (and `faucet_dp_mac`).
pub(crate) const FAUCET_MAC: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 1]);

/// A valid `vlans:` entry.
#[derive(Debug, Clone)]
pub(crate) struct VlanDef<'n> {
    pub key: Key,
    /// The model, without ACLs and ports (those are per DP).
    pub model: Vlan,
    pub acls_in: Vec<NameRef<'n>>,
    pub acls_out: Vec<NameRef<'n>>,
}

/// All `vlans:` entries.
#[derive(Debug, Default)]
pub(crate) struct Vlans<'n> {
    pub defs: Vec<VlanDef<'n>>,
    by_key: HashMap<Key, usize>,
    /// String keys, for lookups without building a [`Key`].
    by_name: HashMap<String, usize>,
    by_vid: HashMap<u16, usize>,
    /// Keys of entries with errors: references to them are not reported again.
    pub poisoned: Vec<Key>,
}

/// What a VLAN reference (`native_vlan: office`, `tagged_vlans: [100]`) resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VlanLookup {
    /// A configured or implicit VLAN.
    Found(Vid),
    /// A configured VLAN that has errors of its own.
    Poisoned,
}

impl<'n> Vlans<'n> {
    /// FAUCET's `_get_vlan_by_key`: by key, then by VID; an undefined integer creates a VLAN
    /// (recorded in `implicit`).
    pub fn lookup(
        &self,
        ctx: &mut Ctx<'_>,
        node: &Node,
        path: &dyn Fn() -> String,
        implicit: &mut BTreeSet<u16>,
    ) -> Option<VlanLookup> {
        if matches!(node.value, Value::Seq(_) | Value::Map(_)) {
            ctx.error(
                node.pos,
                &path(),
                format!(
                    "a VLAN is referenced by name or VID, not by {}",
                    node.value.type_name()
                ),
            );
            return None;
        }
        if let Value::Str(name) = &node.value
            && let Some(&i) = self.by_name.get(name.as_str())
        {
            return Some(VlanLookup::Found(self.defs[i].model.vid));
        }
        let key = Key::of(&node.value);
        if let Some(&i) = self.by_key.get(&key) {
            return Some(VlanLookup::Found(self.defs[i].model.vid));
        }
        if self.poisoned.contains(&key) {
            return Some(VlanLookup::Poisoned);
        }
        if let Key::Int(vid) = key {
            if let Ok(v) = u16::try_from(vid)
                && let Some(&i) = self.by_vid.get(&v)
            {
                return Some(VlanLookup::Found(self.defs[i].model.vid));
            }
            if node.value.as_int().is_none() {
                // An integral float: Python finds it by key or VID, but does not create it.
                ctx.error(
                    node.pos,
                    &path(),
                    format!(
                        "VLAN {} is not defined, and a VLAN created by its VID must be an \
                         integer",
                        node.value.py_str()
                    ),
                );
                return None;
            }
            return match u16::try_from(vid) {
                Ok(v) if (1..=4095).contains(&v) => {
                    implicit.insert(v);
                    Some(VlanLookup::Found(Vid(v)))
                }
                _ => {
                    ctx.error(
                        node.pos,
                        &path(),
                        format!(
                            "VLAN {vid} is not defined, and {vid} is not a valid VID to create \
                             it with (1..4095)"
                        ),
                    );
                    None
                }
            };
        }
        let known: Vec<String> = self.defs.iter().map(|d| d.key.text()).collect();
        let mut reason = format!("VLAN {} is not defined", key.quoted());
        if let Key::Str(s) = &key
            && let Some(hint) = crate::conf::suggest(s, known.iter().map(String::as_str))
        {
            reason.push_str(&format!(" (did you mean \"{hint}\"?)"));
        } else if !known.is_empty() && known.len() <= 8 {
            reason.push_str(&format!(" (defined VLANs: {})", known.join(", ")));
        }
        reason.push_str("; only a VLAN given by its VID (an integer) is created implicitly");
        ctx.error(node.pos, &path(), reason);
        None
    }
}

/// A VLAN with defaults only (an implicit VLAN, or a tunnel VLAN).
pub(crate) fn default_vlan(vid: u16) -> Vlan {
    Vlan {
        vid: Vid(vid),
        name: vid.to_string(),
        description: None,
        acls_in: Vec::new(),
        acls_out: Vec::new(),
        faucet_vips: Vec::new(),
        faucet_mac: FAUCET_MAC,
        unicast_flood: true,
        routes: Vec::new(),
        max_hosts: 256,
        proactive_arp_limit: 512,
        proactive_nd_limit: 512,
        targeted_gw_resolution: true,
        minimum_ip_size_check: true,
        reserved_internal_vlan: false,
        dot1x_assigned: false,
        edge_learn_stack_root: true,
        tagged: Vec::new(),
        untagged: Vec::new(),
    }
}

/// Parses every `vlans:` entry.
pub(crate) fn parse_all<'n>(ctx: &mut Ctx<'_>, entries: &[&'n (Node, Node)]) -> Vlans<'n> {
    let mut vlans = Vlans::default();
    let mut vids: BTreeMap<u16, String> = BTreeMap::new();
    for &(key_node, conf) in entries {
        let key = Key::of(&key_node.value);
        let path = join("vlans", &key.text());
        let before = ctx.error_count();
        let parsed = parse_one(ctx, key_node, conf, &path);
        if let Some(def) = &parsed {
            if !matches!(
                key_node.value,
                Value::Str(_) | Value::Int(_) | Value::Bool(_)
            ) {
                ctx.error(
                    key_node.pos,
                    &path,
                    format!(
                        "a VLAN's key must be a name or a VID, not {}",
                        key_node.value.type_name()
                    ),
                );
            }
            let vid = def.model.vid.0;
            if let Some(other) = vids.get(&vid) {
                let vid_pos = match &conf.value {
                    Value::Map(e) => e
                        .iter()
                        .find(|(k, _)| k.value.as_str() == Some("vid"))
                        .map_or(key_node.pos, |(_, v)| v.pos),
                    _ => key_node.pos,
                };
                ctx.error(
                    vid_pos,
                    &path,
                    format!("VID {vid} is already used by VLAN {other}"),
                );
            } else {
                vids.insert(vid, key.text());
            }
        }
        match parsed {
            Some(def) if ctx.error_count() == before => {
                if let Key::Str(name) = &key {
                    vlans.by_name.insert(name.clone(), vlans.defs.len());
                }
                vlans.by_key.insert(key.clone(), vlans.defs.len());
                vlans
                    .by_vid
                    .entry(def.model.vid.0)
                    .or_insert(vlans.defs.len());
                vlans.defs.push(def);
            }
            _ => vlans.poisoned.push(key),
        }
    }
    vlans
}

fn parse_one<'n>(
    ctx: &mut Ctx<'_>,
    key_node: &'n Node,
    conf: &'n Node,
    path: &str,
) -> Option<VlanDef<'n>> {
    let key = Key::of(&key_node.value);
    let empty: &'n [(Node, Node)] = &[];
    let entries = match &conf.value {
        Value::Null => empty,
        Value::Map(entries) => entries.as_slice(),
        other => {
            ctx.error(
                conf.pos,
                path,
                format!(
                    "a VLAN must be a mapping of settings, not {}",
                    other.type_name()
                ),
            );
            return None;
        }
    };
    let f = ctx.fields_of(entries, conf.pos, path, "VLAN", SCHEMA);
    let before = ctx.error_count();

    // vid defaults to the key.
    let (vid_value, vid_pos) = match f.get("vid") {
        Some(n) => (n.value.clone(), n.pos),
        None if f.wrong("vid") => return None,
        None => (key_node.value.clone(), key_node.pos),
    };
    let vid = match vid_value.as_int() {
        Some(v) if (1..=4095).contains(&v) => u16::try_from(v).ok(),
        _ => None,
    };
    let Some(vid) = vid else {
        let reason = if f.get("vid").is_some() {
            format!(
                "invalid VID {}: a VID is an integer from 1 to 4095",
                vid_value.py_str()
            )
        } else {
            format!(
                "VLAN {} has no `vid`, and its key is not a VID (1..4095)",
                key.quoted()
            )
        };
        ctx.error(vid_pos, &f.path_of("vid"), reason);
        return None;
    };
    let name = f
        .str("name")
        .map_or_else(|| key_node.value.py_str(), str::to_string);
    if key.text() != vid.to_string() && key.text() != name {
        ctx.error(
            key_node.pos,
            path,
            format!(
                "a VLAN's key must be its name or its VID, but {} is neither \"{name}\" nor {vid}",
                key.quoted()
            ),
        );
    }

    let faucet_mac = match f.str("faucet_mac") {
        Some(text) => match netaddr_mac(text) {
            Some(mac) => mac,
            None => {
                ctx.error(
                    f.pos_of("faucet_mac"),
                    &f.path_of("faucet_mac"),
                    format!("invalid MAC address \"{text}\""),
                );
                FAUCET_MAC
            }
        },
        None => FAUCET_MAC,
    };

    let acls_in = acl_names(ctx, &f, "acl_in", "acls_in");
    let acls_out = acl_names(ctx, &f, "acl_out", "acls_out");

    let max_hosts = f.int("max_hosts").map_or(256, sat_i64);
    let mut proactive_arp_limit = f.int("proactive_arp_limit").map_or(0, sat_i64);
    let mut proactive_nd_limit = f.int("proactive_nd_limit").map_or(0, sat_i64);
    if max_hosts != 0 {
        if proactive_arp_limit == 0 {
            proactive_arp_limit = max_hosts.saturating_mul(2);
        }
        if proactive_nd_limit == 0 {
            proactive_nd_limit = max_hosts.saturating_mul(2);
        }
    }

    let mut faucet_vips: Vec<IpNet> = Vec::new();
    if let Some(items) = f.list("faucet_vips") {
        for (i, item) in items.iter().enumerate() {
            let p = index(&f.path_of("faucet_vips"), i);
            let parsed = match &item.value {
                Value::Str(s) => py_ip_interface(s),
                Value::Int(n) => py_ip_address_int(*n).map(IpNet::from),
                _ => None,
            };
            let Some(vip) = parsed else {
                ctx.error(
                    item.pos,
                    &p,
                    format!(
                        "invalid VIP {}: expected an interface address such as 10.0.0.254/24 \
                         or fe80::1/64",
                        short(&item.value)
                    ),
                );
                continue;
            };
            if vip.prefix_len() == vip.max_prefix_len() {
                ctx.error(
                    item.pos,
                    &p,
                    format!(
                        "VIP {vip} is a host address; give the subnet's prefix length \
                         (such as {}/24)",
                        vip.addr()
                    ),
                );
                continue;
            }
            if !faucet_vips.contains(&vip) {
                faucet_vips.push(vip);
            }
        }
    }

    let routes = match f.list("routes") {
        Some(items) if !items.is_empty() => parse_routes(ctx, items, &f.path_of("routes")),
        _ => Vec::new(),
    };

    if ctx.error_count() != before {
        return None;
    }
    Some(VlanDef {
        key,
        model: Vlan {
            vid: Vid(vid),
            name,
            description: f.str("description").map(str::to_string),
            acls_in: Vec::new(),
            acls_out: Vec::new(),
            faucet_vips,
            faucet_mac,
            unicast_flood: f.bool("unicast_flood").unwrap_or(true),
            routes,
            max_hosts,
            proactive_arp_limit,
            proactive_nd_limit,
            targeted_gw_resolution: f.bool("targeted_gw_resolution").unwrap_or(true),
            minimum_ip_size_check: f.bool("minimum_ip_size_check").unwrap_or(true),
            reserved_internal_vlan: f.bool("reserved_internal_vlan").unwrap_or(false),
            dot1x_assigned: f.bool("dot1x_assigned").unwrap_or(false),
            edge_learn_stack_root: f.bool("edge_learn_stack_root").unwrap_or(true),
            tagged: Vec::new(),
            untagged: Vec::new(),
        },
        acls_in,
        acls_out,
    })
}

/// `acl_in`/`acls_in` (or the `out` pair): not both, and names are strings or integers.
pub(crate) fn acl_names<'n>(
    ctx: &mut Ctx<'_>,
    f: &crate::conf::Fields<'n>,
    single: &str,
    list: &str,
) -> Vec<NameRef<'n>> {
    let one = f.get(single).filter(|n| truthy(&n.value));
    let many = f.list(list).filter(|l| !l.is_empty());
    if one.is_some() && many.is_some() {
        ctx.error(
            f.pos_of(single),
            &f.path_of(single),
            format!("both `{single}` and `{list}` are set; use only `{list}`"),
        );
        return Vec::new();
    }
    if let Some(node) = one {
        return vec![NameRef {
            node,
            path: f.path_of(single),
        }];
    }
    let mut out = Vec::new();
    for (i, node) in many.unwrap_or(&[]).iter().enumerate() {
        let path = index(&f.path_of(list), i);
        if !matches!(node.value, Value::Str(_) | Value::Int(_) | Value::Bool(_)) {
            ctx.error(
                node.pos,
                &path,
                format!(
                    "an ACL name must be a string or an integer, not {}",
                    node.value.type_name()
                ),
            );
            continue;
        }
        out.push(NameRef { node, path });
    }
    out
}

/// Python `ipaddress.ip_address` as FAUCET's `_check_ip_str` uses it.
pub(crate) fn ip_address_of(value: &Value) -> Option<IpAddr> {
    match value {
        Value::Str(s) => py_ip_address(s),
        Value::Int(n) => py_ip_address_int(*n),
        _ => None,
    }
}

fn ip_network_of(value: &Value) -> Option<IpNet> {
    match value {
        Value::Str(s) => py_ip_network(s),
        Value::Int(n) => py_ip_address_int(*n).map(IpNet::from),
        _ => None,
    }
}

fn parse_routes(ctx: &mut Ctx<'_>, items: &[Node], path: &str) -> Vec<Route> {
    // FAUCET unwraps `- route: {...}` only when every item has a `route` key; a list item
    // that is not a mapping is an error.
    let mut unwrapped: Vec<(&Node, String)> = Vec::with_capacity(items.len());
    let mut all_wrapped = true;
    for (i, item) in items.iter().enumerate() {
        match &item.value {
            Value::Map(entries) => {
                match entries
                    .iter()
                    .find(|(k, _)| k.value.as_str() == Some("route"))
                {
                    Some((_, inner)) if all_wrapped => {
                        unwrapped.push((inner, join(&index(path, i), "route")));
                    }
                    _ => {
                        all_wrapped = false;
                    }
                }
            }
            other => {
                ctx.error(
                    item.pos,
                    &index(path, i),
                    format!(
                        "a route must be a mapping `route: {{ip_dst: ..., ip_gw: ...}}`, not {}",
                        other.type_name()
                    ),
                );
                return Vec::new();
            }
        }
    }
    let routes: Vec<(&Node, String)> = if all_wrapped {
        unwrapped
    } else {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, index(path, i)))
            .collect()
    };
    let mut out: Vec<Route> = Vec::new();
    for (node, p) in routes {
        let Value::Map(entries) = &node.value else {
            ctx.error(
                node.pos,
                &p,
                format!(
                    "a route must be a mapping with ip_dst and ip_gw, not {}",
                    node.value.type_name()
                ),
            );
            continue;
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.value.as_str() == Some(k))
        };
        let (Some((_, gw)), Some((_, dst))) = (get("ip_gw"), get("ip_dst")) else {
            let missing = if get("ip_gw").is_none() {
                "ip_gw"
            } else {
                "ip_dst"
            };
            ctx.error(node.pos, &p, format!("the route has no `{missing}`"));
            continue;
        };
        let gw_addr = ip_address_of(&gw.value);
        if gw_addr.is_none() {
            ctx.error(
                gw.pos,
                &join(&p, "ip_gw"),
                format!("invalid gateway address {}", short(&gw.value)),
            );
        }
        let dst_net = ip_network_of(&dst.value);
        if dst_net.is_none() {
            ctx.error(
                dst.pos,
                &join(&p, "ip_dst"),
                format!(
                    "invalid destination network {} (an address with host bits set, such as \
                     10.0.0.1/24, is not a network)",
                    short(&dst.value)
                ),
            );
        }
        let (Some(ip_gw), Some(ip_dst)) = (gw_addr, dst_net) else {
            continue;
        };
        if ip_gw.is_ipv4() != matches!(ip_dst, IpNet::V4(_)) {
            ctx.error(
                gw.pos,
                &join(&p, "ip_gw"),
                format!("gateway {ip_gw} and destination {ip_dst} are not the same IP version"),
            );
            continue;
        }
        // FAUCET keeps routes in a dict by destination: a later route replaces an earlier one.
        match out.iter_mut().find(|r| r.ip_dst == ip_dst) {
            Some(r) => r.ip_gw = ip_gw,
            None => out.push(Route { ip_dst, ip_gw }),
        }
    }
    out
}

/// Every VLAN on every DP: the configured ones plus the implicit ones of all DPs (FAUCET makes
/// a VLAN created on one DP available to all).
pub(crate) fn all_vlans(vlans: &Vlans<'_>, dps: &[DpDef<'_>]) -> BTreeMap<Vid, Vlan> {
    let mut out: BTreeMap<Vid, Vlan> = BTreeMap::new();
    for def in &vlans.defs {
        out.insert(def.model.vid, def.model.clone());
    }
    for dp in dps {
        for &vid in &dp.implicit_vlans {
            out.entry(Vid(vid)).or_insert_with(|| default_vlan(vid));
        }
    }
    out
}
