//! `interfaces:` and `interface_ranges:` entries of a DP (FAUCET's `Port`).

use std::collections::{BTreeMap, BTreeSet};

use super::vlan::{VlanLookup, Vlans};
use super::{Key, NameRef};
use crate::conf::{Ctx, Schema, Ty, index, join, sat_i64, short, truthy};
use crate::model::{Coprocessor, OrgTlv, PortLldpBeacon, Vid};
use crate::syntax::netaddr_mac;
use crate::yaml::{Node, Pos, Value};

const SCHEMA: &Schema = &[
    ("number", Ty::Int),
    ("name", Ty::Str),
    ("description", Ty::Str),
    ("enabled", Ty::Bool),
    ("permanent_learn", Ty::Bool),
    ("unicast_flood", Ty::Bool),
    ("mirror", Ty::ListStrInt),
    ("native_vlan", Ty::StrInt),
    ("tagged_vlans", Ty::List),
    ("acl_in", Ty::StrInt),
    ("acls_in", Ty::List),
    ("stack", Ty::Dict),
    ("max_hosts", Ty::Int),
    ("hairpin", Ty::Bool),
    ("hairpin_unicast", Ty::Bool),
    ("lacp", Ty::Int),
    ("lacp_active", Ty::Bool),
    ("lacp_collect_and_distribute", Ty::Bool),
    ("lacp_unselected", Ty::Bool),
    ("lacp_selected", Ty::Bool),
    ("lacp_standby", Ty::Bool),
    ("lacp_passthrough", Ty::List),
    ("lacp_resp_interval", Ty::Int),
    ("lacp_port_priority", Ty::Int),
    ("lacp_port_id", Ty::Int),
    ("loop_protect", Ty::Bool),
    ("loop_protect_external", Ty::Bool),
    ("output_only", Ty::Bool),
    ("lldp_beacon", Ty::Dict),
    ("opstatus_reconf", Ty::Bool),
    ("receive_lldp", Ty::Bool),
    ("lldp_peer_mac", Ty::Str),
    ("dot1x", Ty::Bool),
    ("dot1x_acl", Ty::Bool),
    ("dot1x_mab", Ty::Bool),
    ("dot1x_dyn_acl", Ty::Bool),
    ("max_lldp_lost", Ty::Int),
    ("restricted_bcast_arpnd", Ty::Bool),
    ("coprocessor", Ty::Dict),
    ("count_untag_vlan_miss", Ty::Bool),
];

const STACK_SCHEMA: &Schema = &[("dp", Ty::Str), ("port", Ty::StrInt)];
const LLDP_SCHEMA: &Schema = &[
    ("enable", Ty::Bool),
    ("org_tlvs", Ty::List),
    ("system_name", Ty::Str),
    ("port_descr", Ty::Str),
];
const COPRO_SCHEMA: &Schema = &[("strategy", Ty::Str), ("vlan_vid_base", Ty::Int)];

/// Default values of the keys that must keep them on a non-VLAN port (FAUCET compares with
/// `val != default and val`).
enum Default_ {
    False,
    True,
    Int(i128),
    Empty,
}

const VLAN_ONLY: &[(&str, Default_)] = &[
    ("permanent_learn", Default_::False),
    ("unicast_flood", Default_::True),
    ("acl_in", Default_::Empty),
    ("acls_in", Default_::Empty),
    ("max_hosts", Default_::Int(255)),
    ("hairpin", Default_::False),
    ("hairpin_unicast", Default_::False),
    ("lacp", Default_::Int(0)),
    ("lacp_active", Default_::False),
    ("lacp_collect_and_distribute", Default_::False),
    ("lacp_unselected", Default_::False),
    ("lacp_selected", Default_::False),
    ("lacp_standby", Default_::False),
    ("lacp_passthrough", Default_::Empty),
    ("lacp_resp_interval", Default_::Int(1)),
    ("lacp_port_priority", Default_::Int(255)),
    ("lacp_port_id", Default_::Int(-1)),
    ("loop_protect", Default_::False),
    ("loop_protect_external", Default_::False),
    ("lldp_beacon", Default_::Empty),
    ("opstatus_reconf", Default_::True),
    ("receive_lldp", Default_::False),
    ("lldp_peer_mac", Default_::Empty),
    ("dot1x", Default_::False),
    ("dot1x_acl", Default_::False),
    ("dot1x_mab", Default_::False),
    ("dot1x_dyn_acl", Default_::False),
    ("restricted_bcast_arpnd", Default_::False),
    ("count_untag_vlan_miss", Default_::False),
];

/// A port after FAUCET's `Port.check_config`, with its references still unresolved.
#[derive(Debug, Clone)]
pub(crate) struct PortDef<'n> {
    pub path: String,
    pub pos: Pos,
    pub number: u32,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub native_vlan: Option<Vid>,
    pub tagged_vlans: Vec<Vid>,
    pub acls_in: Vec<NameRef<'n>>,
    pub permanent_learn: bool,
    pub unicast_flood: bool,
    pub mirror: Vec<NameRef<'n>>,
    /// The `{dp, port}` entries of `mirror`: ports of other DPs whose traffic this port
    /// receives (a sluice extension, resolved by [`super::remote_mirror`]).
    pub remote_mirror: Vec<NameRef<'n>>,
    /// `stack: {dp, port}` as written.
    pub stack: Option<(&'n str, &'n Node, String)>,
    /// `stack: null` written explicitly (FAUCET then refuses the port as a tunnel end).
    pub stack_null: bool,
    pub max_hosts: i64,
    pub hairpin: bool,
    pub hairpin_unicast: bool,
    pub lacp: i64,
    pub lacp_active: bool,
    pub lacp_collect_and_distribute: bool,
    pub lacp_unselected: bool,
    pub lacp_selected: bool,
    pub lacp_standby: bool,
    pub lacp_passthrough: Vec<&'n Node>,
    pub lacp_resp_interval: i64,
    pub lacp_port_priority: u8,
    pub lacp_port_id: i64,
    pub loop_protect: bool,
    pub loop_protect_external: bool,
    pub output_only: bool,
    pub lldp_beacon: PortLldpBeacon,
    pub opstatus_reconf: bool,
    pub receive_lldp: bool,
    pub lldp_peer_mac: Option<sluice_wire::MacAddr>,
    pub max_lldp_lost: i64,
    pub dot1x: bool,
    pub dot1x_acl: bool,
    pub dot1x_mab: bool,
    pub dot1x_dyn_acl: bool,
    pub restricted_bcast_arpnd: bool,
    pub coprocessor: Option<Coprocessor>,
    pub count_untag_vlan_miss: bool,
}

/// FAUCET's `ignore_port`: numbers above 0xF0000000 are not physical ports, except LOCAL and
/// IN_PORT.
fn valid_port_number(n: i128) -> bool {
    n > 0 && (n <= 0xF000_0000 || n == 0xffff_fffe || n == 0xffff_fff8)
}

/// One entry to turn into a port: its key, its settings, and where it came from.
struct PortSource<'n> {
    key: &'n Node,
    conf: Vec<&'n (Node, Node)>,
    pos: Pos,
    path: String,
    /// The port number FAUCET keys it by.
    num_key: Key,
}

/// Parses a DP's `interfaces` and `interface_ranges` into ports, in FAUCET's order.
pub(crate) fn parse_ports<'n>(
    ctx: &mut Ctx<'_>,
    dp_path: &str,
    interfaces: Option<&'n Node>,
    ranges: Option<&'n Node>,
    vlans: &Vlans<'n>,
    implicit: &mut BTreeSet<u16>,
) -> Vec<PortDef<'n>> {
    let mut sources: Vec<PortSource<'n>> = Vec::new();
    let mut by_num: BTreeMap<Key, usize> = BTreeMap::new();
    if let Some(node) = interfaces {
        let ipath = join(dp_path, "interfaces");
        let Value::Map(entries) = &node.value else {
            ctx.error(node.pos, &ipath, "`interfaces` must be a mapping of ports");
            return Vec::new();
        };
        for (key, conf) in entries {
            let path = join(&ipath, &key.value.py_str());
            let Value::Map(c) = &conf.value else {
                ctx.error(
                    conf.pos,
                    &path,
                    format!(
                        "a port must be a mapping of settings, not {}",
                        conf.value.type_name()
                    ),
                );
                continue;
            };
            let number = c.iter().find(|(k, _)| k.value.as_str() == Some("number"));
            let num_key = match number {
                Some((_, n)) => {
                    if matches!(n.value, Value::Seq(_) | Value::Map(_)) {
                        ctx.error(
                            n.pos,
                            &join(&path, "number"),
                            "a port number must be an integer",
                        );
                        continue;
                    }
                    Key::of(&n.value)
                }
                None => Key::of(&key.value),
            };
            let source = PortSource {
                key,
                conf: c.iter().collect(),
                pos: conf.pos,
                path: path.clone(),
                num_key: num_key.clone(),
            };
            match by_num.get(&num_key) {
                Some(&i) => {
                    let previous = sources[i].path.clone();
                    ctx.warn(
                        key.pos,
                        &path,
                        format!("port number {} is also used by {previous}; this entry replaces it (as in FAUCET)", num_key.text()),
                    );
                    sources[i] = source;
                }
                None => {
                    by_num.insert(num_key, sources.len());
                    sources.push(source);
                }
            }
        }
    }
    if let Some(node) = ranges {
        let rpath = join(dp_path, "interface_ranges");
        let Value::Map(entries) = &node.value else {
            ctx.error(
                node.pos,
                &rpath,
                "`interface_ranges` must be a mapping of port ranges",
            );
            return Vec::new();
        };
        let mut all: BTreeSet<i128> = BTreeSet::new();
        for (key, conf) in entries {
            let path = join(&rpath, &key.value.py_str());
            let Value::Map(c) = &conf.value else {
                ctx.error(
                    conf.pos,
                    &path,
                    "an interface range must be a mapping of settings",
                );
                continue;
            };
            let Some(nums) = parse_range(ctx, key, &path) else {
                continue;
            };
            if nums.iter().any(|n| all.contains(n)) {
                ctx.error(key.pos, &path, "interface ranges overlap");
                continue;
            }
            all.extend(nums.iter().copied());
            let range_conf: Vec<&'n (Node, Node)> = c
                .iter()
                .filter(|(k, _)| k.value.as_str() != Some("number"))
                .collect();
            for n in nums {
                let num_key = Key::Int(n);
                match by_num.get(&num_key) {
                    Some(&i) => {
                        // Individual port settings win over the range's.
                        for entry in &range_conf {
                            let present = sources[i]
                                .conf
                                .iter()
                                .any(|(k, _)| Key::of(&k.value) == Key::of(&entry.0.value));
                            if !present {
                                sources[i].conf.push(entry);
                            }
                        }
                    }
                    None => {
                        by_num.insert(num_key.clone(), sources.len());
                        sources.push(PortSource {
                            key,
                            conf: range_conf.clone(),
                            pos: conf.pos,
                            path: format!("{path}(port {n})"),
                            num_key,
                        });
                    }
                }
            }
        }
    }
    let mut ports: Vec<PortDef<'n>> = Vec::with_capacity(sources.len());
    for source in &sources {
        if let Some(port) = parse_port(ctx, source, vlans, implicit) {
            ports.push(port);
        }
    }
    ports
}

/// Parses an `interface_ranges` key such as `1-6,8,10-12` the way FAUCET's regexes do.
fn parse_range(ctx: &mut Ctx<'_>, key: &Node, path: &str) -> Option<Vec<i128>> {
    let text = key.value.py_str();
    let mut nums: BTreeSet<i128> = BTreeSet::new();
    let mut rest = text.clone();
    // Ranges first (`\d+-\d+`), then the remaining numbers (`\d+`).
    let ranges = find_ranges(&text);
    for r in &ranges {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let (Ok(a), Ok(b)) = (a.parse::<i128>(), b.parse::<i128>()) else {
            ctx.error(key.pos, path, format!("invalid port range \"{r}\""));
            return None;
        };
        if a >= b {
            ctx.error(
                key.pos,
                path,
                format!("invalid port range {a}-{b}: the start must be below the end"),
            );
            return None;
        }
        if b - a > 100_000 {
            ctx.error(key.pos, path, format!("port range {a}-{b} is too large"));
            return None;
        }
        nums.extend(a..=b);
        rest = rest.replace(r.as_str(), "");
    }
    let mut digits = String::new();
    for c in rest.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !digits.is_empty() {
            nums.insert(digits.parse().unwrap_or(i128::MAX));
            digits.clear();
        }
    }
    if nums.is_empty() {
        ctx.error(
            key.pos,
            path,
            format!("\"{text}\" is not a port range (write it like 1-6,8,10-12)"),
        );
        return None;
    }
    Some(nums.into_iter().collect())
}

/// `re.findall(r"(\d+-\d+)", text)`.
fn find_ranges(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'-' && b[i + 1].is_ascii_digit() {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                out.push(text[start..j].to_string());
                i = j;
                continue;
            }
            continue;
        }
        i += 1;
    }
    out
}

fn parse_port<'n>(
    ctx: &mut Ctx<'_>,
    source: &PortSource<'n>,
    vlans: &Vlans<'n>,
    implicit: &mut BTreeSet<u16>,
) -> Option<PortDef<'n>> {
    let f = ctx.fields_of(
        source.conf.iter().copied(),
        source.pos,
        &source.path,
        "port",
        SCHEMA,
    );
    let original = |key: &str| -> Option<&'n Node> { f.get(key) };
    let before = ctx.error_count();
    let path = source.path.as_str();
    let key = Key::of(&source.key.value);

    // number defaults to the key (for a range, the port number).
    let number_value = match f.get("number") {
        Some(n) => n.value.clone(),
        None if f.wrong("number") => return None,
        None => match &source.num_key {
            Key::Int(i) => Value::Int(*i),
            _ => source.key.value.clone(),
        },
    };
    let number = match number_value.as_int() {
        Some(n) if valid_port_number(n) => u32::try_from(n).ok(),
        _ => None,
    };
    let Some(number) = number else {
        let reason = match f.get("number") {
            Some(_) => format!(
                "invalid port number {}: a port number is an integer from 1 to 4026531840 \
                 (or LOCAL 4294967294)",
                short(&number_value)
            ),
            None => format!(
                "port {} has no `number`, and its key is not a port number",
                key.quoted()
            ),
        };
        let pos = f.get("number").map_or(source.key.pos, |n| n.pos);
        ctx.error(pos, &f.path_of("number"), reason);
        return None;
    };
    let range_key = source.path.ends_with(')');
    let name = f.str("name").map_or_else(
        || {
            if range_key {
                number.to_string()
            } else {
                source.key.value.py_str()
            }
        },
        str::to_string,
    );
    // The key must be the number or the name (compared as text, as FAUCET does).
    let key_matches = range_key
        || match &source.key.value {
            Value::Int(i) => *i == i128::from(number) || i.to_string() == name,
            Value::Str(s) => {
                *s == name || s.parse::<u32>().ok() == Some(number) && *s == number.to_string()
            }
            other => {
                let text = other.py_str();
                text == name || text == number.to_string()
            }
        };
    if !key_matches {
        ctx.error(
            source.key.pos,
            path,
            format!(
                "a port's key must be its number or its name, but {} is neither {number} nor \"{name}\"",
                key.quoted()
            ),
        );
    }
    let description = f
        .str("description")
        .map_or_else(|| name.clone(), str::to_string);

    // VLANs.
    let native_node = original("native_vlan");
    let tagged_nodes: &'n [Node] = match original("tagged_vlans") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items,
        _ => &[],
    };
    let vlan_port = native_node.is_some_and(|n| truthy(&n.value)) || !tagged_nodes.is_empty();

    // Non-VLAN options.
    let is_set = |k: &str| f.get(k).is_some_and(|n| truthy(&n.value));
    let non_vlan: Vec<&str> = ["stack", "mirror", "coprocessor", "output_only"]
        .into_iter()
        .filter(|k| is_set(k))
        .collect();
    if vlan_port && !non_vlan.is_empty() {
        ctx.error(
            source.pos,
            path,
            format!(
                "a port with VLANs cannot also have {} (those ports carry no VLANs)",
                non_vlan.join(", ")
            ),
        );
    }
    let output_only = f.bool("output_only").unwrap_or(false);
    let mirror_set = is_set("mirror");
    if output_only {
        if non_vlan
            .iter()
            .any(|o| !matches!(*o, "mirror" | "output_only"))
        {
            ctx.error(
                source.pos,
                path,
                "output_only can only be combined with mirror on a port",
            );
        }
    } else if mirror_set {
        if non_vlan
            .iter()
            .any(|o| !matches!(*o, "mirror" | "coprocessor"))
        {
            ctx.error(
                source.pos,
                path,
                "mirror can only be combined with coprocessor or output_only on a port",
            );
        }
    } else if non_vlan.len() > 1 {
        ctx.error(
            source.pos,
            path,
            format!(
                "a port can have only one of stack, mirror, coprocessor and output_only, not {}",
                non_vlan.join(" and ")
            ),
        );
    }
    if !non_vlan.is_empty() {
        let acl_ok = is_set("stack") || is_set("coprocessor");
        for (k, default) in VLAN_ONLY {
            if k.starts_with("acl") && acl_ok {
                continue;
            }
            let Some(node) = f.get(k) else { continue };
            if !truthy(&node.value) {
                continue;
            }
            let differs = match default {
                Default_::False => true,
                Default_::True => node.value != Value::Bool(true),
                Default_::Int(d) => {
                    node.value.as_int() != Some(*d) || matches!(node.value, Value::Float(_))
                }
                Default_::Empty => true,
            };
            if differs {
                ctx.error(
                    node.pos,
                    &f.path_of(k),
                    format!(
                        "{k} is a VLAN option and cannot be set on a port with {} (a non-VLAN port)",
                        non_vlan.join(" and ")
                    ),
                );
            }
        }
    }

    let hairpin = f.bool("hairpin").unwrap_or(false);
    let hairpin_unicast = f.bool("hairpin_unicast").unwrap_or(false);
    if hairpin && hairpin_unicast {
        ctx.error(
            source.pos,
            path,
            "hairpin and hairpin_unicast cannot both be enabled",
        );
    }

    let dot1x = f.bool("dot1x").unwrap_or(false);
    let dot1x_acl = f.bool("dot1x_acl").unwrap_or(false);
    let dot1x_mab = f.bool("dot1x_mab").unwrap_or(false);
    let dot1x_dyn_acl = f.bool("dot1x_dyn_acl").unwrap_or(false);
    if dot1x {
        if number > 65535 {
            ctx.error(
                f.pos_of("dot1x"),
                &f.path_of("dot1x"),
                "802.1X is not supported on ports numbered above 65535",
            );
        }
        if dot1x_mab && dot1x_dyn_acl {
            ctx.error(
                f.pos_of("dot1x_mab"),
                path,
                "dot1x_mab cannot be used with dot1x_dyn_acl",
            );
        }
        if dot1x_dyn_acl && dot1x_acl {
            ctx.error(
                f.pos_of("dot1x_dyn_acl"),
                path,
                "dot1x_dyn_acl cannot be used with dot1x_acl",
            );
        }
    }

    let coprocessor = match f.map("coprocessor").filter(|e| !e.is_empty()) {
        Some(e) => {
            let cpath = f.path_of("coprocessor");
            let c = ctx.fields_of(
                e,
                f.pos_of("coprocessor"),
                &cpath,
                "coprocessor",
                COPRO_SCHEMA,
            );
            if c.str("strategy") != Some("vlan_vid") && !c.wrong("strategy") {
                ctx.error(
                    c.pos_of("strategy"),
                    &c.path_of("strategy"),
                    "coprocessor strategy must be \"vlan_vid\" (the only one)",
                );
            }
            Some(Coprocessor {
                vlan_vid_base: c.int("vlan_vid_base").map_or(1000, sat_i64),
            })
        }
        None => None,
    };

    let mut lldp_beacon = PortLldpBeacon::default();
    let mut stack = None;
    let mut receive_lldp = f.bool("receive_lldp").unwrap_or(false);
    let stack_entries = f.map("stack").filter(|e| !e.is_empty());
    if let Some(e) = stack_entries {
        let spath = f.path_of("stack");
        let spos = f.pos_of("stack");
        let s = ctx.fields_of(e, spos, &spath, "stack", STACK_SCHEMA);
        for k in ["dp", "port"] {
            if !e.iter().any(|(key, _)| key.value.as_str() == Some(k)) {
                ctx.error(
                    spos,
                    &join(&spath, k),
                    format!("a stack port needs `{k}` (the peer DP and port)"),
                );
            }
        }
        if let (Some(dp), Some(port_node)) = (
            s.str("dp"),
            original("stack").and_then(|n| match &n.value {
                Value::Map(e) => e
                    .iter()
                    .find(|(k, _)| k.value.as_str() == Some("port"))
                    .map(|(_, v)| v),
                _ => None,
            }),
        ) {
            stack = Some((dp, port_node, spath.clone()));
        } else if s.is_null("dp") {
            ctx.error(spos, &join(&spath, "dp"), "stack `dp` must name a DP");
        }
        receive_lldp = true;
        lldp_beacon.enable = true;
    }

    let lacp_resp_interval = f.int("lacp_resp_interval").map_or(1, sat_i64);
    if f.get("lacp_resp_interval").is_some() && !(1..=65535).contains(&lacp_resp_interval) {
        ctx.error(
            f.pos_of("lacp_resp_interval"),
            &f.path_of("lacp_resp_interval"),
            "lacp_resp_interval must be at least 0.3 and less than 65536",
        );
    }
    let lacp_port_priority = f.int("lacp_port_priority").unwrap_or(255);
    if !(0..=255).contains(&lacp_port_priority) {
        ctx.error(
            f.pos_of("lacp_port_priority"),
            &f.path_of("lacp_port_priority"),
            "lacp_port_priority must be from 0 to 255",
        );
    }
    let lldp_peer_mac = match f.str("lldp_peer_mac").filter(|s| !s.is_empty()) {
        Some(text) => {
            let mac = netaddr_mac(text);
            if mac.is_none() {
                ctx.error(
                    f.pos_of("lldp_peer_mac"),
                    &f.path_of("lldp_peer_mac"),
                    format!("invalid MAC address \"{text}\""),
                );
            }
            mac
        }
        None => None,
    };
    if let Some(e) = f.map("lldp_beacon").filter(|e| !e.is_empty()) {
        let lpath = f.path_of("lldp_beacon");
        let l = ctx.fields_of(
            e,
            f.pos_of("lldp_beacon"),
            &lpath,
            "lldp_beacon",
            LLDP_SCHEMA,
        );
        if l.bool("enable") == Some(true) {
            lldp_beacon.enable = true;
        }
        lldp_beacon.system_name = l.str("system_name").map(str::to_string);
        lldp_beacon.port_descr = l.str("port_descr").map(str::to_string);
        if lldp_beacon.enable
            && let Some(tlvs) = l.list("org_tlvs")
        {
            {
                for (i, tlv) in tlvs.iter().enumerate() {
                    if let Some(t) = parse_org_tlv(ctx, tlv, &index(&l.path_of("org_tlvs"), i)) {
                        lldp_beacon.org_tlvs.push(t);
                    }
                }
            }
        }
    }
    if lldp_beacon.enable && lldp_beacon.port_descr.is_none() {
        lldp_beacon.port_descr = Some(description.clone());
    }

    let acls_in = super::vlan::acl_names(ctx, &f, "acl_in", "acls_in");

    let forced = [
        f.bool("lacp_selected"),
        f.bool("lacp_unselected"),
        f.bool("lacp_standby"),
    ]
    .into_iter()
    .filter(|b| *b == Some(true))
    .count();
    if forced > 1 {
        ctx.error(
            source.pos,
            path,
            "only one of lacp_selected, lacp_unselected and lacp_standby can be set",
        );
    }

    // Resolve VLANs (FAUCET does this right after checking the port).
    let mut native_vlan = None;
    let mut poisoned = false;
    if let Some(n) = native_node {
        match vlans.lookup(ctx, n, &|| join(path, "native_vlan"), implicit) {
            Some(VlanLookup::Found(v)) => native_vlan = Some(v),
            Some(VlanLookup::Poisoned) => poisoned = true,
            None => {}
        }
    }
    let mut tagged_vlans: Vec<Vid> = Vec::new();
    for (i, n) in tagged_nodes.iter().enumerate() {
        match vlans.lookup(ctx, n, &|| index(&join(path, "tagged_vlans"), i), implicit) {
            Some(VlanLookup::Found(v)) if !tagged_vlans.contains(&v) => tagged_vlans.push(v),
            Some(VlanLookup::Found(_)) => {}
            Some(VlanLookup::Poisoned) => poisoned = true,
            None => {}
        }
    }
    if let Some(native) = native_vlan
        && tagged_vlans.contains(&native)
    {
        ctx.error(
            native_node.map_or(source.pos, |n| n.pos),
            &join(path, "native_vlan"),
            format!("VLAN {native} is both the native VLAN and a tagged VLAN of this port"),
        );
    }

    let mut remote_mirror: Vec<NameRef<'n>> = Vec::new();
    let mirror: Vec<NameRef<'n>> = match original("mirror") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => {
            let refs = items.iter().enumerate().map(|(i, node)| NameRef {
                node,
                path: index(&join(path, "mirror"), i),
            });
            // `{dp, port}` entries name a port of another DP (a sluice extension).
            let (remote, local) = refs.partition(|r| matches!(r.node.value, Value::Map(_)));
            remote_mirror = remote;
            local
        }
        Some(node) if truthy(&node.value) => vec![NameRef {
            node,
            path: join(path, "mirror"),
        }],
        Some(node) if matches!(node.value, Value::Int(_) | Value::Bool(_)) => {
            // FAUCET iterates over a falsy, non-null mirror value, which fails for a number.
            ctx.error(
                node.pos,
                &join(path, "mirror"),
                format!("mirror {} is not a port", node.value.py_str()),
            );
            Vec::new()
        }
        _ => Vec::new(),
    };
    let lacp_passthrough: Vec<&'n Node> = match original("lacp_passthrough") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items.iter().collect(),
        _ => Vec::new(),
    };

    if ctx.error_count() != before || poisoned {
        return None;
    }
    Some(PortDef {
        path: source.path.clone(),
        pos: source.pos,
        number,
        name,
        description,
        enabled: f.bool("enabled").unwrap_or(true),
        native_vlan,
        tagged_vlans,
        acls_in,
        permanent_learn: f.bool("permanent_learn").unwrap_or(false),
        unicast_flood: f.bool("unicast_flood").unwrap_or(true),
        mirror,
        remote_mirror,
        stack,
        stack_null: f.is_null("stack"),
        max_hosts: f.int("max_hosts").map_or(255, sat_i64),
        hairpin,
        hairpin_unicast,
        lacp: f.int("lacp").map_or(0, sat_i64),
        lacp_active: f.bool("lacp_active").unwrap_or(false),
        lacp_collect_and_distribute: f.bool("lacp_collect_and_distribute").unwrap_or(false),
        lacp_unselected: f.bool("lacp_unselected").unwrap_or(false),
        lacp_selected: f.bool("lacp_selected").unwrap_or(false),
        lacp_standby: f.bool("lacp_standby").unwrap_or(false),
        lacp_passthrough,
        lacp_resp_interval,
        lacp_port_priority: u8::try_from(lacp_port_priority).unwrap_or(255),
        lacp_port_id: f.int("lacp_port_id").map_or(-1, sat_i64),
        loop_protect: f.bool("loop_protect").unwrap_or(false),
        loop_protect_external: f.bool("loop_protect_external").unwrap_or(false),
        output_only,
        lldp_beacon,
        opstatus_reconf: f.bool("opstatus_reconf").unwrap_or(true),
        receive_lldp,
        lldp_peer_mac,
        max_lldp_lost: f.int("max_lldp_lost").map_or(3, sat_i64),
        dot1x,
        dot1x_acl,
        dot1x_mab,
        dot1x_dyn_acl,
        restricted_bcast_arpnd: f.bool("restricted_bcast_arpnd").unwrap_or(false),
        coprocessor,
        count_untag_vlan_miss: f.bool("count_untag_vlan_miss").unwrap_or(false),
    })
}

fn parse_org_tlv(ctx: &mut Ctx<'_>, tlv: &Node, path: &str) -> Option<OrgTlv> {
    let Value::Map(e) = &tlv.value else {
        ctx.error(
            tlv.pos,
            path,
            "an org_tlv must be a mapping {oui, subtype, info}",
        );
        return None;
    };
    let before = ctx.error_count();
    for (k, v) in e {
        let ok = match k.value.as_str() {
            Some("oui") | Some("subtype") => {
                matches!(v.value, Value::Null | Value::Int(_) | Value::Bool(_))
            }
            Some("info") => matches!(v.value, Value::Null | Value::Str(_)),
            _ => {
                ctx.error(
                    k.pos,
                    &join(path, &k.value.py_str()),
                    format!("unknown key {} in org_tlv", k.value.py_repr()),
                );
                continue;
            }
        };
        if !ok {
            ctx.error(
                v.pos,
                &join(path, &k.value.py_str()),
                format!("wrong type: {}", short(&v.value)),
            );
        }
    }
    if ctx.error_count() != before {
        return None;
    }
    if e.len() != 3 {
        ctx.error(tlv.pos, path, "an org_tlv needs oui, subtype and info");
        return None;
    }
    let get = |k: &str| {
        e.iter()
            .find(|(key, _)| key.value.as_str() == Some(k))
            .map(|(_, v)| v)
    };
    let (Some(oui), Some(subtype), Some(info)) = (get("oui"), get("subtype"), get("info")) else {
        ctx.error(tlv.pos, path, "an org_tlv needs oui, subtype and info");
        return None;
    };
    let Some(oui_v) = oui.value.as_int() else {
        ctx.error(oui.pos, &join(path, "oui"), "oui must be an integer");
        return None;
    };
    let hex = format!("{oui_v:06x}");
    if oui_v < 0 || hex.len() % 2 != 0 {
        ctx.error(
            oui.pos,
            &join(path, "oui"),
            format!("oui {oui_v} cannot be encoded as whole bytes"),
        );
        return None;
    }
    let oui_bytes = from_hex(&hex).unwrap_or_default();
    let Some(subtype) = subtype.value.as_int() else {
        ctx.error(
            subtype.pos,
            &join(path, "subtype"),
            "subtype must be an integer",
        );
        return None;
    };
    let Some(info_text) = info.value.as_str() else {
        ctx.error(
            info.pos,
            &join(path, "info"),
            "info must be text (hex, or plain text)",
        );
        return None;
    };
    let info_bytes = match from_hex(info_text) {
        Some(bytes) => bytes,
        None => {
            // FAUCET replaces the text with its UTF-8 bytes in place, and then rejects those
            // bytes when another port uses the same org_tlv (an interface range, an alias).
            if ctx.changed_before("org_tlv_info", tlv.id) {
                ctx.error(
                    info.pos,
                    &join(path, "info"),
                    "this org_tlv is shared by several ports (an interface range or a YAML \
                     alias) and its info is not hex; FAUCET rejects it for every port after \
                     the first. Write info as hex, or give each port its own org_tlvs",
                );
                return None;
            }
            info_text.as_bytes().to_vec()
        }
    };
    Some(OrgTlv {
        oui: oui_bytes,
        subtype: sat_i64(subtype),
        info: info_bytes,
    })
}

/// Python's `bytearray.fromhex`: pairs of hex digits, ASCII whitespace allowed between pairs.
fn from_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let hi = (b[i] as char).to_digit(16)?;
        let lo = (*b.get(i + 1)? as char).to_digit(16)?;
        out.push(u8::try_from(hi * 16 + lo).ok()?);
        i += 2;
    }
    Some(out)
}
