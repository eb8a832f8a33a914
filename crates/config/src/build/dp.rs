//! `dps:` entries (FAUCET's `DP`): the DP's own keys and derived defaults, its ports, and the
//! per-DP resolution of stack peers, mirrors, ACLs and routers.

use std::collections::{BTreeMap, BTreeSet};

use super::acl::{self, AclDef, Acls, DpView, Uses};
use super::meter::Meters;
use super::port::{self, PortDef};
use super::router::{self, Routers};
use super::vlan::{self, FAUCET_MAC, Vlans};
use super::{Key, NameRef};
use crate::conf::{Ctx, Schema, Ty, index, join, sat_i64, short, truthy};
use crate::model::{
    Acl, AclId, Dot1x, DpId, DpLldpBeacon, Hardware, MeterId, Port, PortLacp, PortMirror, PortNo,
    Priorities, Rare, Router, Tunnel, Vid, Vlan,
};
use crate::syntax::netaddr_mac;
use crate::yaml::{Node, Pos, Value};

const SCHEMA: &Schema = &[
    ("dp_id", Ty::Int),
    ("name", Ty::Str),
    ("interfaces", Ty::Dict),
    ("interface_ranges", Ty::Dict),
    ("priority_offset", Ty::Int),
    ("lowest_priority", Ty::Int),
    ("low_priority", Ty::Int),
    ("high_priority", Ty::Int),
    ("highest_priority", Ty::Int),
    ("cookie", Ty::Int),
    ("timeout", Ty::Int),
    ("description", Ty::Str),
    ("hardware", Ty::Str),
    ("arp_neighbor_timeout", Ty::Int),
    ("nd_neighbor_timeout", Ty::Int),
    ("ofchannel_log", Ty::Str),
    ("stack", Ty::Dict),
    ("ignore_learn_ins", Ty::Int),
    ("drop_broadcast_source_address", Ty::Bool),
    ("drop_spoofed_faucet_mac", Ty::Bool),
    ("group_table", Ty::Bool),
    ("max_hosts_per_resolve_cycle", Ty::Int),
    ("max_host_fib_retry_count", Ty::Int),
    ("max_resolve_backoff_time", Ty::Int),
    ("packetin_pps", Ty::Int),
    ("slowpath_pps", Ty::Int),
    ("learn_jitter", Ty::Int),
    ("learn_ban_timeout", Ty::Int),
    ("advertise_interval", Ty::Int),
    ("fast_advertise_interval", Ty::Int),
    ("proactive_learn_v4", Ty::Bool),
    ("proactive_learn_v6", Ty::Bool),
    ("use_idle_timeout", Ty::Bool),
    ("lldp_beacon", Ty::Dict),
    ("metrics_rate_limit_sec", Ty::Int),
    ("faucet_dp_mac", Ty::Str),
    ("combinatorial_port_flood", Ty::Bool),
    ("dp_acls", Ty::List),
    ("dot1x", Ty::Dict),
    ("table_sizes", Ty::Dict),
    ("min_wildcard_table_size", Ty::Int),
    ("max_wildcard_table_size", Ty::Int),
    ("port_table_scale_factor", Ty::Float),
    ("global_vlan", Ty::Int),
    ("cache_update_guard_time", Ty::Int),
    ("use_classification", Ty::Bool),
    ("egress_pipeline", Ty::Bool),
    ("strict_packet_in_cookie", Ty::Bool),
    ("multi_out", Ty::Bool),
    ("lacp_timeout", Ty::Int),
    ("idle_dst", Ty::Bool),
];

const STACK_SCHEMA: &Schema = &[
    ("priority", Ty::Int),
    ("route_learning", Ty::Bool),
    ("down_time_multiple", Ty::Int),
    ("min_stack_health", Ty::Float),
    ("min_lacp_health", Ty::Float),
];

const LLDP_SCHEMA: &Schema = &[
    ("send_interval", Ty::Int),
    ("max_per_interval", Ty::Int),
    ("system_name", Ty::Str),
];

const DOT1X_SCHEMA: &Schema = &[
    ("nfv_intf", Ty::Str),
    ("nfv_sw_port", Ty::Int),
    ("radius_ip", Ty::Str),
    ("radius_port", Ty::Int),
    ("radius_secret", Ty::Str),
    ("auth_acl", Ty::Str),
    ("noauth_acl", Ty::Str),
];

const TABLES: &Schema = &[
    ("port_acl", Ty::Int),
    ("vlan", Ty::Int),
    ("vlan_acl", Ty::Int),
    ("classification", Ty::Int),
    ("eth_src", Ty::Int),
    ("ipv4_fib", Ty::Int),
    ("ipv6_fib", Ty::Int),
    ("vip", Ty::Int),
    ("eth_dst_hairpin", Ty::Int),
    ("eth_dst", Ty::Int),
    ("flood", Ty::Int),
];

/// The configuration-wide objects every DP uses.
pub(crate) struct Globals<'g, 'n> {
    pub vlans: &'g Vlans<'n>,
    pub acls: &'g Acls<'n>,
    pub meters: &'g Meters,
    pub routers: &'g Routers<'n>,
}

/// DP-level `stack` settings as written.
#[derive(Debug, Clone)]
pub(crate) struct StackConf {
    pub priority: Option<i64>,
    pub priority_pos: Pos,
    pub route_learning: bool,
    pub down_time_multiple: i64,
    pub min_stack_health: f64,
    pub min_lacp_health: f64,
}

/// DP-level `dot1x` as written.
#[derive(Debug, Clone)]
pub(crate) struct Dot1xDef<'n> {
    pub nfv_intf: Option<String>,
    pub nfv_sw_port: Option<i64>,
    pub radius_ip: Option<String>,
    pub radius_port: Option<i64>,
    pub radius_secret: Option<String>,
    pub auth_acl: Option<&'n Node>,
    pub noauth_acl: Option<&'n Node>,
    pub pos: Pos,
    pub path: String,
}

/// A DP being built.
#[derive(Debug, Clone)]
pub(crate) struct DpDef<'n> {
    pub name: String,
    pub path: String,
    pub pos: Pos,
    pub index: usize,
    /// False when the DP's own settings had errors (it is then left out of later steps).
    pub ok: bool,
    /// Whether `dp_id` itself is valid (for the duplicate check).
    pub dp_id_ok: bool,
    pub dp_id: u64,
    /// Where `dp_id` is written (or the DP's key).
    pub dp_id_pos: Pos,
    pub ports: Vec<PortDef<'n>>,
    pub implicit_vlans: BTreeSet<u16>,
    pub dp_acls: Vec<NameRef<'n>>,
    pub stack_conf: StackConf,
    pub lldp_beacon: Option<(i64, i64, Option<String>)>,
    pub dot1x: Option<Dot1xDef<'n>>,
    /// The model, with ports, VLANs, ACLs, meters and routers filled in by `finalize_all`.
    pub model: crate::model::Dp,
    /// Ports made output-only by mirroring.
    pub output_only: BTreeSet<u32>,
    /// Finalized (ports resolved etc.).
    pub finalized: bool,
}

/// Parses every `dps:` entry.
pub(crate) fn parse_all<'n>(
    ctx: &mut Ctx<'_>,
    entries: &[&'n (Node, Node)],
    g: &Globals<'_, 'n>,
) -> Vec<DpDef<'n>> {
    let mut out = Vec::with_capacity(entries.len());
    for (i, &(key, conf)) in entries.iter().enumerate() {
        if let Some(dp) = parse_one(ctx, i, key, conf, g) {
            out.push(dp);
        }
    }
    out
}

fn parse_one<'n>(
    ctx: &mut Ctx<'_>,
    index_: usize,
    key: &'n Node,
    conf: &'n Node,
    g: &Globals<'_, 'n>,
) -> Option<DpDef<'n>> {
    let key_text = key.value.py_str();
    let path = join("dps", &key_text);
    let Value::Map(entries) = &conf.value else {
        ctx.error(
            conf.pos,
            &path,
            format!(
                "a DP must be a mapping of settings, not {}",
                conf.value.type_name()
            ),
        );
        return None;
    };
    let f = ctx.fields_of(entries, conf.pos, &path, "DP", SCHEMA);
    let before = ctx.error_count();

    // dp_id defaults to the key; the key must be the DP's name.
    let dp_id_value = match f.get("dp_id") {
        Some(n) => Some(n.value.clone()),
        None if f.wrong("dp_id") => None,
        None => Some(key.value.clone()),
    };
    let mut dp_id = 0u64;
    let mut dp_id_ok = false;
    if let Some(v) = dp_id_value {
        match v.as_int() {
            Some(i) => match u64::try_from(i) {
                Ok(id) => {
                    dp_id = id;
                    dp_id_ok = true;
                }
                Err(_) => ctx.error(
                    f.pos_of("dp_id"),
                    &f.path_of("dp_id"),
                    format!("dp_id {i} is out of range (0 to 2^64-1)"),
                ),
            },
            None => ctx.error(
                f.get("dp_id").map_or(key.pos, |n| n.pos),
                &f.path_of("dp_id"),
                if f.get("dp_id").is_some() {
                    format!("dp_id must be an integer, not {}", short(&v))
                } else {
                    // Point at the DP itself: the key is missing.
                    format!("DP \"{key_text}\" has no `dp_id` (the datapath id, such as 0x1)")
                },
            ),
        }
    }
    let name = f
        .str("name")
        .map_or_else(|| key_text.clone(), str::to_string);
    if !matches!(key.value, Value::Str(_)) || name != key_text {
        ctx.error(
            key.pos,
            &path,
            if matches!(key.value, Value::Str(_)) {
                format!("a DP's key must be its name, but the key is \"{key_text}\" and the name is \"{name}\"")
            } else {
                format!(
                    "a DP's key must be its name (a string), not {} {key_text}",
                    key.value.type_name()
                )
            },
        );
    }

    let faucet_dp_mac = match f.str("faucet_dp_mac") {
        Some(text) => netaddr_mac(text).unwrap_or_else(|| {
            ctx.error(
                f.pos_of("faucet_dp_mac"),
                &f.path_of("faucet_dp_mac"),
                format!("invalid MAC address \"{text}\""),
            );
            FAUCET_MAC
        }),
        None => FAUCET_MAC,
    };
    let interfaces = f.get("interfaces");
    let ranges = f.get("interface_ranges");
    let has_ports =
        interfaces.is_some_and(|n| truthy(&n.value)) || ranges.is_some_and(|n| truthy(&n.value));
    if !has_ports && !f.wrong("interfaces") && !f.wrong("interface_ranges") {
        ctx.error(
            conf.pos,
            &path,
            format!("DP \"{key_text}\" has no ports (`interfaces` or `interface_ranges`)"),
        );
    }

    let timeout = f.int("timeout").unwrap_or(300);
    if timeout < 15 {
        ctx.error(
            f.pos_of("timeout"),
            &f.path_of("timeout"),
            format!("timeout must be at least 15 seconds, not {timeout}"),
        );
    } else if timeout > 65535 {
        ctx.error(
            f.pos_of("timeout"),
            &f.path_of("timeout"),
            format!("timeout cannot be more than 65535 seconds, not {timeout}"),
        );
    }
    let timeout_ok = (15..=65535).contains(&timeout);
    for k in ["arp_neighbor_timeout", "nd_neighbor_timeout"] {
        let v = f.int(k).unwrap_or(30);
        // FAUCET: neighbor timeout < timeout / 2 (true division).
        if v * 2 >= timeout {
            if !timeout_ok {
                continue;
            }
            let (pos, written) = match f.get(k) {
                Some(n) => (n.pos, String::new()),
                None => (f.pos_of("timeout"), ", the default,".to_string()),
            };
            ctx.error(
                pos,
                &f.path_of(k),
                format!(
                    "{k} ({v}{written}) must be less than half of timeout ({timeout}), so that \
                     learned hosts outlive their ARP/ND entries"
                ),
            );
        } else if v > 65535 {
            ctx.error(
                f.pos_of(k),
                &f.path_of(k),
                format!("{k} cannot be more than 65535"),
            );
        }
    }
    let combinatorial_port_flood = f.bool("combinatorial_port_flood").unwrap_or(false);
    let group_table = f.bool("group_table").unwrap_or(false);
    if combinatorial_port_flood && group_table {
        ctx.error(
            conf.pos,
            &path,
            "combinatorial_port_flood and group_table cannot both be enabled",
        );
    }
    let timeout_i = sat_i64(timeout);
    let mut cache_update_guard_time = f.int("cache_update_guard_time").map_or(0, sat_i64);
    if cache_update_guard_time == 0 {
        cache_update_guard_time = timeout_i / 2;
    }
    let mut learn_jitter = f.int("learn_jitter").map_or(0, sat_i64);
    if learn_jitter == 0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let jitter = ((timeout_i as f64).sqrt() * 3.0).max(1.0) as i64;
        learn_jitter = jitter;
    }
    let mut learn_ban_timeout = f.int("learn_ban_timeout").map_or(0, sat_i64);
    if learn_ban_timeout == 0 {
        learn_ban_timeout = learn_jitter;
    }

    let lldp_beacon = f
        .map("lldp_beacon")
        .filter(|e| !e.is_empty())
        .and_then(|e| {
            lldp_defaults(
                ctx,
                e,
                f.pos_of("lldp_beacon"),
                &f.path_of("lldp_beacon"),
                &name,
            )
        });

    let dot1x = match f.map("dot1x").filter(|e| !e.is_empty()) {
        Some(e) => {
            let dpath = f.path_of("dot1x");
            let d = ctx.fields_of(e, f.pos_of("dot1x"), &dpath, "dot1x", DOT1X_SCHEMA);
            Some(Dot1xDef {
                nfv_intf: d.str("nfv_intf").map(str::to_string),
                nfv_sw_port: d.int("nfv_sw_port").map(sat_i64),
                radius_ip: d.str("radius_ip").map(str::to_string),
                radius_port: d.int("radius_port").map(sat_i64),
                radius_secret: d.str("radius_secret").map(str::to_string),
                auth_acl: d.get("auth_acl"),
                noauth_acl: d.get("noauth_acl"),
                pos: f.pos_of("dot1x"),
                path: dpath,
            })
        }
        None => None,
    };
    let mut table_sizes = BTreeMap::new();
    if let Some(e) = f.map("table_sizes") {
        let t = ctx.fields_of(
            e,
            f.pos_of("table_sizes"),
            &f.path_of("table_sizes"),
            "table_sizes",
            TABLES,
        );
        for (name, node) in t.present() {
            if let Some(v) = node.value.as_int() {
                table_sizes.insert(name.to_string(), sat_i64(v));
            }
        }
    }

    let stack_conf = {
        let mut sc = StackConf {
            priority: None,
            priority_pos: conf.pos,
            route_learning: false,
            down_time_multiple: 3,
            min_stack_health: 1.0,
            min_lacp_health: 1.0,
        };
        if let Some(e) = f.map("stack") {
            let s = ctx.fields_of(
                e,
                f.pos_of("stack"),
                &f.path_of("stack"),
                "stack",
                STACK_SCHEMA,
            );
            sc.priority = s.int("priority").map(sat_i64);
            sc.priority_pos = s.pos_of("priority");
            sc.route_learning = s.bool("route_learning").unwrap_or(false);
            sc.down_time_multiple = s.int("down_time_multiple").map_or(3, sat_i64);
            sc.min_stack_health = s.float("min_stack_health").unwrap_or(1.0);
            sc.min_lacp_health = s.float("min_lacp_health").unwrap_or(1.0);
        }
        sc
    };

    let hardware_name = f.str("hardware").unwrap_or("Open vSwitch");
    let hardware = Hardware::from_name(hardware_name).unwrap_or_else(|| {
        let names: Vec<&str> = Hardware::ALL.iter().map(|(n, _)| *n).collect();
        ctx.error(
            f.pos_of("hardware"),
            &f.path_of("hardware"),
            format!(
                "unknown hardware \"{hardware_name}\"; supported: {}",
                names.join(", ")
            ),
        );
        Hardware::OpenVSwitch
    });

    let dp_acls: Vec<NameRef<'n>> = f
        .list("dp_acls")
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, node)| NameRef {
            node,
            path: index(&f.path_of("dp_acls"), i),
        })
        .collect();

    let priority_offset = f.int("priority_offset").map_or(0, sat_i64);
    let lowest = f.int("lowest_priority").map_or(priority_offset, sat_i64);
    let low = f
        .int("low_priority")
        .map_or(priority_offset.saturating_add(9000), sat_i64);
    let high = f
        .int("high_priority")
        .map_or(low.saturating_add(1), sat_i64);
    let highest = f
        .int("highest_priority")
        .map_or(high.saturating_add(98), sat_i64);

    let dp_ok = ctx.error_count() == before;
    let mut implicit = BTreeSet::new();
    let ports = port::parse_ports(ctx, &path, interfaces, ranges, g.vlans, &mut implicit);

    #[allow(clippy::cast_sign_loss)]
    let model = crate::model::Dp {
        dp_id: DpId(dp_id),
        index: index_,
        name: name.clone(),
        description: f
            .str("description")
            .map_or_else(|| name.clone(), str::to_string),
        hardware,
        ports: BTreeMap::new(),
        vlans: BTreeMap::new(),
        acls: Vec::new(),
        meters: Vec::new(),
        routers: Vec::new(),
        dp_acls: Vec::new(),
        stack: None,
        lldp_beacon: None,
        dot1x: None,
        table_sizes,
        priorities: Priorities {
            offset: priority_offset,
            lowest,
            low,
            high,
            highest,
        },
        cookie: f.int("cookie").map_or(0x5ADC_15C0, |c| c as u64),
        timeout: u32::try_from(timeout).unwrap_or(300),
        arp_neighbor_timeout: f.int("arp_neighbor_timeout").map_or(30, sat_i64),
        nd_neighbor_timeout: f.int("nd_neighbor_timeout").map_or(30, sat_i64),
        ofchannel_log: f.str("ofchannel_log").map(str::to_string),
        ignore_learn_ins: f.int("ignore_learn_ins").map_or(10, sat_i64),
        drop_broadcast_source_address: f.bool("drop_broadcast_source_address").unwrap_or(true),
        drop_spoofed_faucet_mac: f.bool("drop_spoofed_faucet_mac").unwrap_or(true),
        group_table,
        max_hosts_per_resolve_cycle: f.int("max_hosts_per_resolve_cycle").map_or(5, sat_i64),
        max_host_fib_retry_count: f.int("max_host_fib_retry_count").map_or(10, sat_i64),
        max_resolve_backoff_time: f.int("max_resolve_backoff_time").map_or(64, sat_i64),
        packetin_pps: f.int("packetin_pps").map(sat_i64),
        slowpath_pps: f.int("slowpath_pps").map(sat_i64),
        learn_jitter,
        learn_ban_timeout,
        advertise_interval: f.int("advertise_interval").map_or(30, sat_i64),
        fast_advertise_interval: f.int("fast_advertise_interval").map_or(5, sat_i64),
        proactive_learn_v4: f.bool("proactive_learn_v4").unwrap_or(true),
        proactive_learn_v6: f.bool("proactive_learn_v6").unwrap_or(true),
        use_idle_timeout: f.bool("use_idle_timeout").unwrap_or(false),
        metrics_rate_limit_sec: f.int("metrics_rate_limit_sec").map_or(0, sat_i64),
        faucet_dp_mac,
        combinatorial_port_flood,
        lacp_timeout: f.int("lacp_timeout").map_or(30, sat_i64),
        min_wildcard_table_size: f.int("min_wildcard_table_size").map_or(32, sat_i64),
        max_wildcard_table_size: f.int("max_wildcard_table_size").map_or(1280, sat_i64),
        port_table_scale_factor: f.float("port_table_scale_factor").unwrap_or(1.0),
        global_vlan: f.int("global_vlan").map_or(0, sat_i64),
        cache_update_guard_time,
        use_classification: f.bool("use_classification").unwrap_or(false),
        egress_pipeline: f.bool("egress_pipeline").unwrap_or(false),
        strict_packet_in_cookie: f.bool("strict_packet_in_cookie").unwrap_or(true),
        multi_out: f.bool("multi_out").unwrap_or(true),
        idle_dst: f.bool("idle_dst").unwrap_or(true),
        has_externals: false,
        mirror_tunnels: Vec::new(),
    };
    Some(DpDef {
        name,
        path,
        pos: key.pos,
        index: index_,
        ok: dp_ok,
        dp_id_ok,
        dp_id,
        dp_id_pos: f.get("dp_id").map_or(key.pos, |n| n.pos),
        ports,
        implicit_vlans: implicit,
        dp_acls,
        stack_conf,
        lldp_beacon,
        dot1x,
        model,
        output_only: BTreeSet::new(),
        finalized: false,
    })
}

/// FAUCET's `DP._lldp_defaults`: `send_interval` (default 5, at least 1), `max_per_interval`
/// (default 5), `system_name` (default: the DP name).
fn lldp_defaults(
    ctx: &mut Ctx<'_>,
    entries: &[(Node, Node)],
    pos: Pos,
    path: &str,
    dp_name: &str,
) -> Option<(i64, i64, Option<String>)> {
    let l = ctx.fields_of(entries, pos, path, "lldp_beacon", LLDP_SCHEMA);
    if l.is_null("send_interval") || l.is_null("max_per_interval") {
        ctx.error(
            pos,
            path,
            "lldp_beacon send_interval and max_per_interval must be integers",
        );
        return None;
    }
    let send_interval = l.int("send_interval").map_or(5, sat_i64);
    if send_interval < 1 {
        ctx.error(
            l.pos_of("send_interval"),
            &l.path_of("send_interval"),
            "lldp_beacon send_interval must be at least 1",
        );
    }
    let max_per_interval = l.int("max_per_interval").map_or(5, sat_i64);
    let _ = dp_name;
    Some((
        send_interval,
        max_per_interval,
        l.str("system_name").map(str::to_string),
    ))
}

/// A DP seen from another DP (for stack peers and tunnel destinations).
#[derive(Debug, Clone)]
pub(crate) struct PeerView {
    pub name: String,
    pub dp_id: u64,
    /// (number, name, `stack: null` written) of each port, in FAUCET's order.
    pub ports: Vec<(u32, String, bool)>,
}

impl PeerView {
    /// FAUCET's `DP.resolve_port`.
    pub fn resolve_port(&self, value: &Value) -> Option<u32> {
        match value {
            Value::Int(_) | Value::Bool(_) => {
                let n = value.as_int()?;
                self.ports
                    .iter()
                    .find(|p| i128::from(p.0) == n)
                    .map(|p| p.0)
            }
            Value::Str(s) => self.ports.iter().find(|p| p.1 == *s).map(|p| p.0),
            _ => None,
        }
    }
}

/// The per-DP resolution (FAUCET's `finalize_config`), for every DP that parsed.
pub(crate) fn finalize_all(
    ctx: &mut Ctx<'_>,
    dps: &mut [DpDef<'_>],
    g: &Globals<'_, '_>,
    all_vlans: &BTreeMap<Vid, Vlan>,
) {
    let peers: Vec<PeerView> = dps
        .iter()
        .filter(|d| d.ok)
        .map(|d| PeerView {
            name: d.name.clone(),
            dp_id: d.dp_id,
            ports: d
                .ports
                .iter()
                .map(|p| (p.number, p.name.clone(), p.stack_null))
                .collect(),
        })
        .collect();
    let all_ok = dps.iter().all(|d| d.ok);
    for dp in dps.iter_mut() {
        if dp.ok {
            finalize(ctx, dp, g, all_vlans, &peers, all_ok);
        }
    }
}

fn finalize(
    ctx: &mut Ctx<'_>,
    dp: &mut DpDef<'_>,
    g: &Globals<'_, '_>,
    all_vlans: &BTreeMap<Vid, Vlan>,
    peers: &[PeerView],
    all_ok: bool,
) {
    let before = ctx.error_count();
    let has_stack_ports = dp.ports.iter().any(|p| p.stack.is_some());
    if has_stack_ports && dp.lldp_beacon.is_none() {
        dp.lldp_beacon = Some((5, 5, None));
    }
    let non_vlan_ports = dp
        .ports
        .iter()
        .any(|p| p.output_only || p.stack.is_some() || p.coprocessor.is_some());
    if all_vlans.is_empty() && !non_vlan_ports && g.vlans.poisoned.is_empty() {
        ctx.error(
            dp.pos,
            &dp.path,
            format!("no VLANs are used by the ports of DP \"{}\" (give ports a native_vlan or tagged_vlans)", dp.name),
        );
    }
    let mut vlans = all_vlans.clone();

    // Stack peers: the DP must exist; the port must exist on it.
    for p in &dp.ports {
        let Some((peer_dp, peer_port, spath)) = &p.stack else {
            continue;
        };
        match peers.iter().find(|v| v.name == *peer_dp) {
            Some(peer) if peer.resolve_port(&peer_port.value).is_none() => {
                ctx.error(
                    peer_port.pos,
                    &join(spath, "port"),
                    format!(
                        "stack port {} is not a port of DP \"{peer_dp}\"",
                        short(&peer_port.value)
                    ),
                );
            }
            Some(_) => {}
            None if all_ok => ctx.error(
                peer_port.pos,
                &join(spath, "dp"),
                format!("stack DP \"{peer_dp}\" is not defined"),
            ),
            None => {}
        }
    }

    // Mirrors: `mirror` lists the ports whose traffic this port receives.
    let own_view;
    let self_view = match peers.iter().find(|v| v.name == dp.name) {
        Some(v) => v,
        None => {
            own_view = PeerView {
                name: dp.name.clone(),
                dp_id: dp.dp_id,
                ports: dp
                    .ports
                    .iter()
                    .map(|p| (p.number, p.name.clone(), p.stack_null))
                    .collect(),
            };
            &own_view
        }
    };
    let mut mirror_sources: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut output_only: BTreeSet<u32> = BTreeSet::new();
    for p in &dp.ports {
        for r in &p.mirror {
            match self_view.resolve_port(&r.node.value) {
                Some(n) => mirror_sources.entry(p.number).or_default().push(n),
                None => ctx.error(
                    r.node.pos,
                    &r.path,
                    format!(
                        "mirrored port {} is not a port of DP \"{}\"",
                        short(&r.node.value),
                        dp.name
                    ),
                ),
            }
        }
        if (!p.mirror.is_empty() || !p.remote_mirror.is_empty()) && p.coprocessor.is_none() {
            output_only.insert(p.number);
        }
    }

    // ACLs: find each use, resolve once per DP, check exact_match per use site.
    let mut state = AclState::default();
    let vlan_defs: Vec<&super::vlan::VlanDef<'_>> = g.vlans.defs.iter().collect();
    let mut vlan_acls: BTreeMap<Vid, (Vec<AclId>, Vec<AclId>)> = BTreeMap::new();
    for def in &vlan_defs {
        let mut ins = Vec::new();
        let mut outs = Vec::new();
        for (refs, out) in [(&def.acls_in, &mut ins), (&def.acls_out, &mut outs)] {
            let mut used: Vec<&AclDef<'_>> = Vec::new();
            for r in refs {
                if let Some((id, d)) =
                    state.use_acl(ctx, g.acls, r.key(), (r.node.pos, &r.path), Use::Vlan)
                {
                    out.push(id);
                    used.push(d);
                }
            }
            acl::check_exact_match(ctx, &used, refs);
        }
        vlan_acls.insert(def.model.vid, (ins, outs));
    }
    let mut port_acls: BTreeMap<u32, Vec<AclId>> = BTreeMap::new();
    let has_dp_acls = !dp.dp_acls.is_empty();
    for p in &dp.ports {
        if !p.acls_in.is_empty() {
            if has_dp_acls {
                ctx.error(
                    p.pos,
                    &join(&p.path, "acls_in"),
                    "port ACLs cannot be used together with dp_acls",
                );
                continue;
            }
            let mut ids = Vec::new();
            let mut used: Vec<&AclDef<'_>> = Vec::new();
            for r in &p.acls_in {
                if let Some((id, d)) =
                    state.use_acl(ctx, g.acls, r.key(), (r.node.pos, &r.path), Use::Port)
                {
                    ids.push(id);
                    used.push(d);
                }
            }
            acl::check_exact_match(ctx, &used, &p.acls_in);
            port_acls.insert(p.number, ids);
        }
        if p.dot1x_dyn_acl {
            for def in g.acls.defs.iter().filter(|d| d.dot1x_assigned) {
                let path = join(&p.path, "dot1x_dyn_acl");
                state.use_acl(ctx, g.acls, def.key.clone(), (p.pos, &path), Use::Port);
            }
        }
        if p.dot1x_acl
            && let Some(d) = &dp.dot1x
        {
            for node in [d.auth_acl, d.noauth_acl].into_iter().flatten() {
                if g.acls.find(&Key::of(&node.value)).is_some() {
                    state.use_acl(
                        ctx,
                        g.acls,
                        Key::of(&node.value),
                        (node.pos, &d.path),
                        Use::Port,
                    );
                }
            }
        }
    }
    let mut dp_acl_ids = Vec::new();
    for r in &dp.dp_acls {
        if let Some((id, _)) =
            state.use_acl(ctx, g.acls, r.key(), (r.node.pos, &r.path), Use::Plain)
        {
            dp_acl_ids.push(id);
        }
    }
    // Tunnel ACLs are resolved on every DP, used or not.
    for def in g.acls.defs.iter().filter(|d| d.is_tunnel()) {
        state.use_acl(
            ctx,
            g.acls,
            def.key.clone(),
            (dp.pos, &def.path),
            Use::Plain,
        );
    }
    let mut view = View {
        ports: self_view,
        peers,
        meters: g.meters,
        used_meters: Vec::new(),
        output_only: &mut output_only,
        vlans: &mut vlans,
        acls: g.acls,
    };
    let (acls, acl_defs) = state.finish(ctx, g.acls, &mut view);
    let used_meters = std::mem::take(&mut view.used_meters);
    drop(view);

    // 802.1X checks done when FAUCET lays out the tables.
    let dot1x_model = dp.dot1x.as_ref().map(|d| {
        let find = |n: Option<&Node>| {
            let key = Key::of(&n?.value);
            acl_defs
                .iter()
                .position(|&i| g.acls.defs[i].key == key)
                .map(AclId)
        };
        Dot1x {
            nfv_intf: d.nfv_intf.clone(),
            nfv_sw_port: d.nfv_sw_port,
            radius_ip: d.radius_ip.clone(),
            radius_port: d.radius_port,
            radius_secret: d.radius_secret.clone(),
            auth_acl: find(d.auth_acl),
            noauth_acl: find(d.noauth_acl),
        }
    });
    if let Some(d) = &dp.dot1x {
        if !dp.dp_acls.is_empty() {
            ctx.error(
                d.pos,
                &d.path,
                "dp_acls and 802.1X (dot1x) cannot be configured together",
            );
        } else {
            for p in &dp.ports {
                if !p.acls_in.is_empty() && p.dot1x {
                    ctx.error(
                        p.pos,
                        &join(&p.path, "acls_in"),
                        "port ACLs and 802.1X cannot be configured on the same port",
                    );
                }
            }
            match d.nfv_sw_port {
                None => ctx.error(
                    d.pos,
                    &join(&d.path, "nfv_sw_port"),
                    "dot1x needs nfv_sw_port (the switch port of the 802.1X host)",
                ),
                Some(n) => {
                    for p in &dp.ports {
                        if i64::from(p.number) == n
                            && !p.output_only
                            && !output_only.contains(&p.number)
                        {
                            ctx.error(
                                p.pos,
                                &p.path,
                                "the 802.1X NFV port (dot1x nfv_sw_port) must be output_only",
                            );
                        }
                    }
                }
            }
        }
    }

    // Routers.
    let routers: Vec<Router> = router::resolve_for_dp(
        ctx,
        g.routers,
        &vlans,
        dp.model.global_vlan,
        &dp.path,
        dp.pos,
    );

    // Fill in the model.
    let egress = vlan_acls.values().any(|(_, outs)| !outs.is_empty());
    let mut ports: BTreeMap<PortNo, Port> = BTreeMap::new();
    for p in dp.ports.iter_mut() {
        let number = PortNo(p.number);
        let lacp_port_id = if p.lacp != 0 && p.lacp_port_id == -1 {
            i64::try_from(dp.index)
                .unwrap_or(i64::MAX)
                .saturating_mul(100)
                .saturating_add(i64::from(p.number))
        } else {
            p.lacp_port_id
        };
        let stack = p.stack.as_ref().and_then(|(peer_dp, peer_port, _)| {
            let peer = peers.iter().find(|v| v.name == *peer_dp)?;
            let port = peer.resolve_port(&peer_port.value)?;
            Some(crate::model::StackPeer {
                dp: DpId(peer.dp_id),
                port: PortNo(port),
            })
        });
        let lacp_passthrough = p
            .lacp_passthrough
            .iter()
            .filter_map(|n| self_view.resolve_port(&n.value).map(PortNo))
            .collect();
        ports.insert(
            number,
            Port {
                number,
                name: p.name.clone(),
                description: std::mem::take(&mut p.description),
                enabled: p.enabled,
                native_vlan: p.native_vlan,
                tagged_vlans: std::mem::take(&mut p.tagged_vlans),
                acls_in: port_acls.get(&p.number).cloned().unwrap_or_default(),
                permanent_learn: p.permanent_learn,
                unicast_flood: p.unicast_flood,
                mirror: Rare::new(PortMirror {
                    sources: mirror_sources
                        .get(&p.number)
                        .map(|v| v.iter().map(|n| PortNo(*n)).collect())
                        .unwrap_or_default(),
                    destinations: mirror_sources
                        .iter()
                        .filter(|(_, sources)| sources.contains(&p.number))
                        .map(|(dest, _)| PortNo(*dest))
                        .collect(),
                    remote_destinations: Vec::new(),
                }),
                stack,
                max_hosts: p.max_hosts,
                hairpin: p.hairpin,
                hairpin_unicast: p.hairpin_unicast,
                lacp: Rare::new(PortLacp {
                    lag: p.lacp,
                    active: p.lacp_active,
                    collect_and_distribute: p.lacp_collect_and_distribute,
                    unselected: p.lacp_unselected,
                    selected: p.lacp_selected,
                    standby: p.lacp_standby,
                    passthrough: lacp_passthrough,
                    resp_interval: p.lacp_resp_interval,
                    port_priority: p.lacp_port_priority,
                    port_id: lacp_port_id,
                }),
                loop_protect: p.loop_protect,
                loop_protect_external: p.loop_protect_external,
                output_only: p.output_only || output_only.contains(&p.number),
                output_only_configured: p.output_only,
                lldp_beacon: Rare::new(std::mem::take(&mut p.lldp_beacon)),
                opstatus_reconf: p.opstatus_reconf,
                receive_lldp: p.receive_lldp,
                lldp_peer_mac: p.lldp_peer_mac,
                max_lldp_lost: p.max_lldp_lost,
                dot1x: p.dot1x,
                dot1x_acl: p.dot1x_acl,
                dot1x_mab: p.dot1x_mab,
                dot1x_dyn_acl: p.dot1x_dyn_acl,
                restricted_bcast_arpnd: p.restricted_bcast_arpnd,
                coprocessor: p.coprocessor,
                count_untag_vlan_miss: p.count_untag_vlan_miss,
            },
        );
    }
    for (vid, (ins, outs)) in &vlan_acls {
        if let Some(vlan) = vlans.get_mut(vid) {
            vlan.acls_in = ins.clone();
            vlan.acls_out = outs.clone();
        }
    }
    // Ports are visited in number order, so each VLAN's port lists come out sorted.
    for port in ports.values() {
        if let Some(vlan) = port.native_vlan.and_then(|v| vlans.get_mut(&v)) {
            vlan.untagged.push(port.number);
        }
        for vid in &port.tagged_vlans {
            if let Some(vlan) = vlans.get_mut(vid) {
                vlan.tagged.push(port.number);
            }
        }
    }
    let m = &mut dp.model;
    m.ports = ports.into_iter().map(|(n, p)| (n, Box::new(p))).collect();
    m.vlans = vlans.into_iter().map(|(v, vl)| (v, Box::new(vl))).collect();
    m.acls = acls;
    m.meters = used_meters
        .iter()
        .map(|&i| g.meters.defs[i].1.clone())
        .collect();
    m.routers = routers;
    m.dp_acls = dp_acl_ids;
    m.dot1x = dot1x_model;
    m.lldp_beacon =
        dp.lldp_beacon
            .as_ref()
            .map(
                |(send_interval, max_per_interval, system_name)| DpLldpBeacon {
                    send_interval: *send_interval,
                    max_per_interval: *max_per_interval,
                    system_name: system_name.clone().unwrap_or_else(|| dp.name.clone()),
                },
            );
    if egress {
        m.egress_pipeline = true;
    }
    dp.output_only = output_only;
    dp.finalized = ctx.error_count() == before;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Port,
    Vlan,
    Plain,
}

/// The ACLs used on one DP, resolved once each (in the context of their first use), and
/// compiled again for each further kind of use.
#[derive(Default)]
struct AclState {
    /// Index into `Acls::defs` → (id on this DP, uses, first use was a VLAN).
    used: Vec<(usize, Uses, bool)>,
}

impl AclState {
    fn use_acl<'d, 'n>(
        &mut self,
        ctx: &mut Ctx<'_>,
        acls: &'d Acls<'n>,
        key: Key,
        at: (Pos, &str),
        how: Use,
    ) -> Option<(AclId, &'d AclDef<'n>)> {
        let Some(i) = acls.find(&key) else {
            if !acls.poisoned.contains(&key) {
                let known: Vec<String> = acls.defs.iter().map(|d| d.key.text()).collect();
                let mut reason = format!("ACL {} is not defined", key.quoted());
                if let Key::Str(s) = &key
                    && let Some(hint) = crate::conf::suggest(s, known.iter().map(String::as_str))
                {
                    reason.push_str(&format!(" (did you mean \"{hint}\"?)"));
                }
                ctx.error(at.0, at.1, reason);
            }
            return None;
        };
        let pos = match self.used.iter().position(|(j, _, _)| *j == i) {
            Some(p) => p,
            None => {
                self.used.push((i, Uses::default(), how == Use::Vlan));
                self.used.len() - 1
            }
        };
        let uses = &mut self.used[pos].1;
        match how {
            Use::Port => uses.port = true,
            Use::Vlan => uses.vlan = true,
            Use::Plain => uses.plain = true,
        }
        Some((AclId(pos), &acls.defs[i]))
    }

    fn finish(
        self,
        ctx: &mut Ctx<'_>,
        acls: &Acls<'_>,
        view: &mut View<'_, '_>,
    ) -> (Vec<Acl>, Vec<usize>) {
        let mut out = Vec::with_capacity(self.used.len());
        let indices = self.used.iter().map(|(i, _, _)| *i).collect();
        for (i, uses, first_vlan) in self.used {
            let def = &acls.defs[i];
            match acl::resolve(ctx, def, uses, first_vlan, view) {
                Some(a) => out.push(a),
                None => out.push(Acl {
                    name: def.key.text(),
                    exact_match: def.exact_match,
                    dot1x_assigned: def.dot1x_assigned,
                    rules: Vec::new(),
                }),
            }
        }
        (out, indices)
    }
}

/// The [`DpView`] of a DP being finalized.
struct View<'a, 'n> {
    ports: &'a PeerView,
    peers: &'a [PeerView],
    meters: &'a Meters,
    used_meters: Vec<usize>,
    output_only: &'a mut BTreeSet<u32>,
    vlans: &'a mut BTreeMap<Vid, Vlan>,
    acls: &'a Acls<'n>,
}

impl DpView for View<'_, '_> {
    fn resolve_port(&self, value: &Value) -> Option<PortNo> {
        self.ports.resolve_port(value).map(PortNo)
    }

    fn meter(&mut self, name: &Key) -> Result<MeterId, bool> {
        let Some(i) = self.meters.defs.iter().position(|(k, _)| k == name) else {
            return Err(self.meters.poisoned.contains(name));
        };
        match self.used_meters.iter().position(|&j| j == i) {
            Some(p) => Ok(MeterId(p)),
            None => {
                self.used_meters.push(i);
                Ok(MeterId(self.used_meters.len() - 1))
            }
        }
    }

    fn set_output_only(&mut self, port: PortNo) {
        self.output_only.insert(port.0);
    }

    fn tunnel(
        &mut self,
        ctx: &mut Ctx<'_>,
        acl_def: &AclDef<'_>,
        node: &Node,
        path: &str,
    ) -> Option<Tunnel> {
        let Value::Map(e) = &node.value else {
            return None;
        };
        let get = |k: &str| {
            e.iter()
                .find(|(key, _)| key.value.as_str() == Some(k))
                .map(|(_, v)| v)
        };
        let Some(dst) = get("dp") else {
            ctx.error(node.pos, path, "a tunnel needs `dp` (the destination DP)");
            return None;
        };
        let truthy_of = |k: &str| get(k).is_some_and(|n| truthy(&n.value));
        if truthy_of("reverse") && truthy_of("bi_directional") {
            ctx.error(
                node.pos,
                path,
                "a tunnel cannot be both bi_directional and reverse",
            );
            return None;
        }
        let Some(peer) = self
            .peers
            .iter()
            .find(|p| Value::Str(p.name.clone()) == dst.value)
        else {
            ctx.error(
                dst.pos,
                &join(path, "dp"),
                format!("tunnel destination DP {} is not defined", short(&dst.value)),
            );
            return None;
        };
        let mut dst_port = None;
        if let Some(pn) = get("port").filter(|n| truthy(&n.value)) {
            match peer
                .ports
                .iter()
                .find(|p| Some(p.0) == peer.resolve_port(&pn.value))
            {
                Some(p) if p.2 => {
                    ctx.error(pn.pos, &join(path, "port"), "the tunnel destination port has `stack: null`, which FAUCET treats as a stack port");
                    return None;
                }
                Some(p) => dst_port = Some(PortNo(p.0)),
                None => {
                    ctx.error(
                        pn.pos,
                        &join(path, "port"),
                        format!(
                            "tunnel destination port {} is not a port of DP \"{}\"",
                            short(&pn.value),
                            peer.name
                        ),
                    );
                    return None;
                }
            }
        }
        let tunnel_id = match get("tunnel_id").filter(|n| truthy(&n.value)) {
            None => {
                let Some(offset) = self
                    .vlans
                    .values()
                    .filter(|v| !v.reserved_internal_vlan)
                    .map(|v| v.vid.0)
                    .max()
                else {
                    ctx.error(node.pos, path, "a tunnel VLAN cannot be allocated automatically on a DP without VLANs; set tunnel_id");
                    return None;
                };
                let mut keys: Vec<&Key> = self.acls.defs.iter().map(|d| &d.key).collect();
                if keys.iter().any(|k| matches!(k, Key::Int(_)))
                    && keys.iter().any(|k| matches!(k, Key::Str(_)))
                {
                    ctx.error(node.pos, path, "cannot allocate a tunnel VLAN automatically when ACL names mix strings and integers; set tunnel_id");
                    return None;
                }
                keys.sort();
                let position = keys.iter().position(|k| **k == acl_def.key).unwrap_or(0);
                let tunnels: usize = keys[..=position]
                    .iter()
                    .filter_map(|k| self.acls.defs.iter().find(|d| d.key == **k))
                    .map(AclDef::tunnel_count)
                    .sum();
                let mut vid = usize::from(offset) + tunnels;
                while u16::try_from(vid).is_ok_and(|v| self.vlans.contains_key(&Vid(v))) {
                    vid += 1;
                }
                match u16::try_from(vid).ok().filter(|v| (1..=4095).contains(v)) {
                    Some(v) => {
                        let mut vlan = vlan::default_vlan(v);
                        vlan.reserved_internal_vlan = true;
                        self.vlans.insert(Vid(v), vlan);
                        Vid(v)
                    }
                    None => {
                        ctx.error(
                            node.pos,
                            path,
                            format!("no VID is left for this tunnel (would need {vid})"),
                        );
                        return None;
                    }
                }
            }
            Some(t) => {
                let resolved = match &t.value {
                    Value::Str(name) => {
                        self.vlans.values().find(|v| v.name == *name).map(|v| v.vid)
                    }
                    other => other
                        .as_int()
                        .and_then(|i| u16::try_from(i).ok())
                        .filter(|v| self.vlans.contains_key(&Vid(*v)))
                        .map(Vid),
                };
                match resolved {
                    Some(vid) => {
                        let reserved = self
                            .vlans
                            .get(&vid)
                            .is_some_and(|v| v.reserved_internal_vlan);
                        if !reserved {
                            ctx.error(t.pos, &join(path, "tunnel_id"), format!("VLAN {vid} is used by a tunnel, so it must set reserved_internal_vlan: true"));
                            return None;
                        }
                        vid
                    }
                    None => match &t.value {
                        Value::Str(name) => {
                            ctx.error(
                                t.pos,
                                &join(path, "tunnel_id"),
                                format!("tunnel VLAN \"{name}\" is not defined"),
                            );
                            return None;
                        }
                        other => match other
                            .as_int()
                            .and_then(|i| u16::try_from(i).ok())
                            .filter(|v| (1..=4095).contains(v))
                        {
                            Some(v) => {
                                let mut vlan = vlan::default_vlan(v);
                                vlan.reserved_internal_vlan = true;
                                self.vlans.insert(Vid(v), vlan);
                                Vid(v)
                            }
                            None => {
                                ctx.error(
                                    t.pos,
                                    &join(path, "tunnel_id"),
                                    format!("invalid tunnel VID {}", short(other)),
                                );
                                return None;
                            }
                        },
                    },
                }
            }
        };
        let exit_instructions = match get("exit_instructions") {
            None => Vec::new(),
            Some(n) if matches!(n.value, Value::Null) => {
                ctx.error(
                    n.pos,
                    &join(path, "exit_instructions"),
                    "exit_instructions must be a list of output actions",
                );
                return None;
            }
            Some(n) => acl::exit_instructions(ctx, Some(n), &join(path, "exit_instructions")),
        };
        let flag = |k: &str| get(k).is_some_and(|n| truthy(&n.value));
        Some(Tunnel {
            dst_dp: DpId(peer.dp_id),
            dst_port,
            tunnel_id,
            kind: get("type")
                .and_then(|n| n.value.as_str())
                .unwrap_or("vlan")
                .to_string(),
            exit_instructions,
            bi_directional: flag("bi_directional"),
            maintain_encapsulation: flag("maintain_encapsulation"),
            reverse: flag("reverse"),
        })
    }
}
