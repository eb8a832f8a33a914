//! `acls:` entries (FAUCET's `ACL`): the checks every ACL gets, and the per-DP resolution and
//! compilation that FAUCET does for the ACLs a DP uses.
//!
//! FAUCET validates an ACL's match values and actions by building the OpenFlow messages with
//! os-ken and serialising them, so what is accepted is what os-ken can encode: numbers wrap to
//! the field's width, MAC and IP text follows `netaddr`, reserved port names such as `LOCAL`
//! are accepted for `in_port`. ACLs that no port, VLAN or DP uses are only type-checked, as in
//! FAUCET.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Key, NameRef};
use crate::conf::{Ctx, Schema, Ty, index, join, short, truthy};
use crate::model::{
    Acl, AclActions, AclRule, Conntrack, Masked, MaskedIpv4, MaskedIpv6, MaskedMac, Match, Nat,
    Output, OutputAction, PortNo, SetField,
};
use crate::syntax::{
    ipv4_match, ipv6_match, netaddr_ipv4, netaddr_ipv6, netaddr_mac, py_int0, wrap,
};
use crate::yaml::{Node, Pos, Value};

const ACL_SCHEMA: &Schema = &[
    ("rules", Ty::List),
    ("exact_match", Ty::Bool),
    ("dot1x_assigned", Ty::Bool),
];

const ACTIONS_SCHEMA: &Schema = &[
    ("meter", Ty::Str),
    ("mirror", Ty::StrInt),
    ("output", Ty::DictList),
    ("allow", Ty::Int),
    ("force_port_vlan", Ty::Int),
    ("ct", Ty::Dict),
];

const OUTPUT_SCHEMA: &Schema = &[
    ("tunnel", Ty::Dict),
    ("port", Ty::StrInt),
    ("ports", Ty::List),
    ("failover", Ty::Dict),
    ("set_fields", Ty::List),
    ("pop_vlans", Ty::Int),
    ("swap_vid", Ty::Int),
    ("vlan_vid", Ty::Int),
    ("vlan_vids", Ty::List),
];

const CT_SCHEMA: &Schema = &[
    ("flags", Ty::Int),
    ("alg", Ty::Int),
    ("table", Ty::Int),
    ("zone", Ty::Int),
    ("zone_src", Ty::Int),
    ("clear", Ty::Bool),
    ("nat", Ty::Dict),
    ("mark", Ty::Int),
    ("label", Ty::Int),
];

const NAT_SCHEMA: &Schema = &[
    ("flags", Ty::Int),
    ("range_ipv4_min", Ty::Str),
    ("range_ipv4_max", Ty::Str),
    ("range_ipv6_min", Ty::Str),
    ("range_ipv6_max", Ty::Str),
    ("range_proto_min", Ty::Int),
    ("range_proto_max", Ty::Int),
];

/// How os-ken converts a match field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `str_to_int`, wrapped to the width.
    Int(u32),
    /// `to_match_masked_int`.
    MaskedInt(u32),
    /// `to_match_eth`.
    Mac,
    /// `to_match_ip`, IPv4 field.
    Ipv4,
    /// `to_match_ip`, IPv6 field.
    Ipv6,
    /// `to_match_vid`.
    Vid,
    /// `ofp_port_from_user`.
    InPort,
}

/// os-ken's `MATCH_FIELDS` (FAUCET's `valve_of.MATCH_FIELDS`), with the OXM width.
const MATCH_FIELDS: &[(&str, Kind)] = &[
    ("in_port", Kind::InPort),
    ("in_phy_port", Kind::Int(32)),
    ("metadata", Kind::MaskedInt(64)),
    ("eth_dst", Kind::Mac),
    ("eth_src", Kind::Mac),
    ("eth_type", Kind::Int(16)),
    ("vlan_vid", Kind::Vid),
    ("vlan_pcp", Kind::Int(8)),
    ("ip_dscp", Kind::Int(8)),
    ("ip_ecn", Kind::Int(8)),
    ("ip_proto", Kind::Int(8)),
    ("ipv4_src", Kind::Ipv4),
    ("ipv4_dst", Kind::Ipv4),
    ("tcp_src", Kind::MaskedInt(16)),
    ("tcp_dst", Kind::MaskedInt(16)),
    ("udp_src", Kind::MaskedInt(16)),
    ("udp_dst", Kind::MaskedInt(16)),
    ("sctp_src", Kind::MaskedInt(16)),
    ("sctp_dst", Kind::MaskedInt(16)),
    ("icmpv4_type", Kind::Int(8)),
    ("icmpv4_code", Kind::Int(8)),
    ("arp_op", Kind::Int(16)),
    ("arp_spa", Kind::Ipv4),
    ("arp_tpa", Kind::Ipv4),
    ("arp_sha", Kind::Mac),
    ("arp_tha", Kind::Mac),
    ("ipv6_src", Kind::Ipv6),
    ("ipv6_dst", Kind::Ipv6),
    ("ipv6_flabel", Kind::Int(32)),
    ("icmpv6_type", Kind::Int(8)),
    ("icmpv6_code", Kind::Int(8)),
    ("ipv6_nd_target", Kind::Ipv6),
    ("ipv6_nd_sll", Kind::Mac),
    ("ipv6_nd_tll", Kind::Mac),
    ("mpls_label", Kind::Int(32)),
    ("mpls_tc", Kind::Int(8)),
    ("mpls_bos", Kind::Int(8)),
    ("pbb_isid", Kind::MaskedInt(24)),
    ("tunnel_id", Kind::MaskedInt(64)),
    ("ipv6_exthdr", Kind::MaskedInt(16)),
    ("eth_type_nxm", Kind::Int(16)),
    ("ip_proto_nxm", Kind::Int(8)),
    ("nw_ttl", Kind::Int(8)),
    ("ct_state", Kind::MaskedInt(32)),
    ("ct_zone", Kind::Int(16)),
    ("ct_mark", Kind::MaskedInt(32)),
    ("ct_label", Kind::MaskedInt(128)),
];

/// Legacy names (`valve_of_old.OLD_MATCH_FIELDS`).
const OLD_MATCH_FIELDS: &[(&str, &str)] = &[
    ("dl_dst", "eth_dst"),
    ("dl_src", "eth_src"),
    ("dl_type", "eth_type"),
    ("dl_vlan", "vlan_vid"),
    ("nw_proto", "ip_proto"),
    ("nw_src", "ipv4_src"),
    ("nw_dst", "ipv4_dst"),
];

/// os-ken's reserved port numbers (`OFPP_*`).
const RESERVED_PORTS: &[(&str, u32)] = &[
    ("OFPP_MAX", 0xffff_ff00),
    ("OFPP_IN_PORT", 0xffff_fff8),
    ("OFPP_TABLE", 0xffff_fff9),
    ("OFPP_NORMAL", 0xffff_fffa),
    ("OFPP_FLOOD", 0xffff_fffb),
    ("OFPP_ALL", 0xffff_fffc),
    ("OFPP_CONTROLLER", 0xffff_fffd),
    ("OFPP_LOCAL", 0xffff_fffe),
    ("OFPP_ANY", 0xffff_ffff),
];

fn field_kind(name: &str) -> Option<(&'static str, Kind)> {
    MATCH_FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, k)| (*n, *k))
}

/// The canonical field for a match key (legacy names translated).
fn canonical_field(name: &str) -> Option<(&'static str, Kind)> {
    let name = OLD_MATCH_FIELDS
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |(_, new)| new);
    field_kind(name)
}

/// A rule's match field as written.
#[derive(Debug, Clone)]
pub(crate) struct MatchDef<'n> {
    /// The key as written (`dl_type`, `in_port`, ...).
    pub written: &'static str,
    /// The value (may be null).
    pub node: &'n Node,
    pub path: String,
}

/// The `output` action as written.
#[derive(Debug, Clone)]
pub(crate) enum OutputDef<'n> {
    Dict(&'n [(Node, Node)], Pos, String),
    List(&'n [Node], String),
}

/// The `ct` action as written: its entries, position and path.
pub(crate) type CtDef<'n> = (&'n [(Node, Node)], Pos, String);

/// A rule's `actions` as written (keys present, values possibly null).
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionsDef<'n> {
    pub path: String,
    pub allow: Option<&'n Node>,
    pub force_port_vlan: Option<&'n Node>,
    pub meter: Option<&'n Node>,
    pub mirror: Option<&'n Node>,
    pub output: Option<OutputDef<'n>>,
    pub ct: Option<CtDef<'n>>,
}

/// One rule as written.
#[derive(Debug, Clone)]
pub(crate) struct RuleDef<'n> {
    pub matches: Vec<MatchDef<'n>>,
    pub cookie: Option<u32>,
    pub description: Option<String>,
    pub actions: Option<ActionsDef<'n>>,
}

/// A valid `acls:` entry.
#[derive(Debug, Clone)]
pub(crate) struct AclDef<'n> {
    pub key: Key,
    pub path: String,
    pub exact_match: bool,
    pub dot1x_assigned: bool,
    pub rules: Vec<RuleDef<'n>>,
}

impl AclDef<'_> {
    /// Whether any rule outputs to a tunnel (such ACLs are resolved on every DP).
    pub fn is_tunnel(&self) -> bool {
        self.rules.iter().any(|r| {
            r.actions.as_ref().is_some_and(|a| match &a.output {
                Some(OutputDef::Dict(entries, ..)) => entries
                    .iter()
                    .any(|(k, _)| k.value.as_str() == Some("tunnel")),
                Some(OutputDef::List(items, _)) => items.iter().any(|item| match &item.value {
                    Value::Map(e) => e.iter().any(|(k, _)| k.value.as_str() == Some("tunnel")),
                    _ => false,
                }),
                None => false,
            })
        })
    }

    /// The number of tunnel outputs (FAUCET's `get_num_tunnels`).
    pub fn tunnel_count(&self) -> usize {
        let mut n = 0;
        for r in &self.rules {
            let Some(a) = &r.actions else { continue };
            match &a.output {
                Some(OutputDef::Dict(entries, ..)) => {
                    n += usize::from(
                        entries
                            .iter()
                            .any(|(k, _)| k.value.as_str() == Some("tunnel")),
                    );
                }
                Some(OutputDef::List(items, _)) => {
                    for item in *items {
                        if let Value::Map(e) = &item.value {
                            n += e
                                .iter()
                                .filter(|(k, _)| k.value.as_str() == Some("tunnel"))
                                .count();
                        }
                    }
                }
                None => {}
            }
        }
        n
    }
}

/// All `acls:` entries.
#[derive(Debug, Default)]
pub(crate) struct Acls<'n> {
    pub defs: Vec<AclDef<'n>>,
    pub poisoned: Vec<Key>,
}

impl<'n> Acls<'n> {
    /// The ACL with this key (Python dict lookup).
    pub fn find(&self, key: &Key) -> Option<usize> {
        self.defs.iter().position(|d| d.key == *key)
    }
}

/// Parses every `acls:` entry (FAUCET's `ACL.__init__` and `check_config`).
pub(crate) fn parse_all<'n>(ctx: &mut Ctx<'_>, entries: &[&'n (Node, Node)]) -> Acls<'n> {
    let mut acls = Acls::default();
    for &(key_node, conf) in entries {
        let key = Key::of(&key_node.value);
        let path = join("acls", &key.text());
        let before = ctx.error_count();
        let parsed = parse_one(ctx, &key, conf, &path);
        match parsed {
            Some(def) if ctx.error_count() == before => acls.defs.push(def),
            _ => acls.poisoned.push(key),
        }
    }
    acls
}

fn parse_one<'n>(ctx: &mut Ctx<'_>, key: &Key, conf: &'n Node, path: &str) -> Option<AclDef<'n>> {
    let (rules_nodes, exact_match, dot1x_assigned, rules_path): (&'n [Node], bool, bool, String) =
        match &conf.value {
            Value::Seq(items) => (items.as_slice(), false, false, path.to_string()),
            Value::Map(entries) => {
                let f = ctx.fields_of(entries, conf.pos, path, "ACL", ACL_SCHEMA);
                if f.wrong("rules") {
                    return None;
                }
                if f.is_null("rules") {
                    ctx.error(
                        conf.pos,
                        &f.path_of("rules"),
                        "`rules` must be a list of rules",
                    );
                    return None;
                }
                (
                    f.list("rules").unwrap_or(&[]),
                    f.bool("exact_match").unwrap_or(false),
                    f.bool("dot1x_assigned").unwrap_or(false),
                    f.path_of("rules"),
                )
            }
            other => {
                ctx.error(
                    conf.pos,
                    path,
                    format!(
                        "an ACL must be a list of rules, or a mapping with `rules`, not {}",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
    if rules_nodes.is_empty() {
        ctx.error(conf.pos, path, format!("ACL {} has no rules", key.quoted()));
        return None;
    }
    let mut rules = Vec::with_capacity(rules_nodes.len());
    for (i, item) in rules_nodes.iter().enumerate() {
        let item_path = index(&rules_path, i);
        if let Some(rule) = parse_rule(ctx, item, &item_path, key) {
            rules.push(rule);
        }
    }
    Some(AclDef {
        key: key.clone(),
        path: path.to_string(),
        exact_match,
        dot1x_assigned,
        rules,
    })
}

fn parse_rule<'n>(ctx: &mut Ctx<'_>, item: &'n Node, path: &str, acl: &Key) -> Option<RuleDef<'n>> {
    // `- rule: {...}` or a bare mapping; `rule: null` means the item's other non-null keys.
    let Value::Map(outer) = &item.value else {
        ctx.error(
            item.pos,
            path,
            format!(
                "an ACL rule must be a mapping (`- rule: {{...}}`), not {}",
                item.value.type_name()
            ),
        );
        return None;
    };
    let (entries, rule_path, rule_pos): (Vec<&'n (Node, Node)>, String, Pos) =
        match outer.iter().find(|(k, _)| k.value.as_str() == Some("rule")) {
            Some((_, inner)) => match &inner.value {
                Value::Map(e) => (e.iter().collect(), join(path, "rule"), inner.pos),
                Value::Null => (
                    outer
                        .iter()
                        .filter(|(_, v)| !matches!(v.value, Value::Null))
                        .collect(),
                    path.to_string(),
                    item.pos,
                ),
                other => {
                    ctx.error(
                        inner.pos,
                        &join(path, "rule"),
                        format!("an ACL rule must be a mapping, not {}", other.type_name()),
                    );
                    return None;
                }
            },
            None => (outer.iter().collect(), path.to_string(), item.pos),
        };
    let mut rule = RuleDef {
        matches: Vec::new(),
        cookie: None,
        description: None,
        actions: None,
    };
    for (k, v) in entries {
        let Some(name) = k.value.as_str() else {
            ctx.error(
                k.pos,
                &join(&rule_path, &k.value.py_str()),
                format!("unknown key {} in an ACL rule", k.value.py_repr()),
            );
            continue;
        };
        let p = join(&rule_path, name);
        match name {
            "cookie" => match &v.value {
                Value::Int(_) | Value::Bool(_) => {
                    let c = v.value.as_int().unwrap_or(0);
                    if !(0..=65536).contains(&c) {
                        ctx.error(
                            v.pos,
                            &p,
                            format!("a rule cookie must be from 0 to 65536, not {c}"),
                        );
                    } else {
                        rule.cookie = u32::try_from(c).ok();
                    }
                }
                Value::Null => ctx.error(
                    v.pos,
                    &p,
                    "a rule cookie must be an integer from 0 to 65536",
                ),
                other => ctx.error(
                    v.pos,
                    &p,
                    format!(
                        "must be an integer, not {} ({})",
                        other.type_name(),
                        short(other)
                    ),
                ),
            },
            "description" => match &v.value {
                Value::Str(s) => rule.description = Some(s.clone()),
                Value::Null => {}
                other => ctx.error(
                    v.pos,
                    &p,
                    format!(
                        "must be a string, not {} ({})",
                        other.type_name(),
                        short(other)
                    ),
                ),
            },
            "actions" => {
                rule.actions = parse_actions(ctx, v, &p, acl);
            }
            _ => {
                let known = MATCH_FIELDS
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(OLD_MATCH_FIELDS.iter().map(|(n, _)| *n))
                    .find(|n| *n == name);
                let Some(written) = known else {
                    let mut reason = format!("unknown match field or key '{name}' in an ACL rule");
                    let candidates = MATCH_FIELDS
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(OLD_MATCH_FIELDS.iter().map(|(n, _)| *n))
                        .chain(["actions", "cookie", "description"]);
                    if let Some(hint) = crate::conf::suggest(name, candidates) {
                        reason.push_str(&format!(" (did you mean '{hint}'?)"));
                    }
                    ctx.error(k.pos, &p, reason);
                    continue;
                };
                if !matches!(
                    v.value,
                    Value::Null | Value::Str(_) | Value::Int(_) | Value::Bool(_)
                ) {
                    ctx.error(
                        v.pos,
                        &p,
                        format!(
                            "must be a string or an integer, not {} ({})",
                            v.value.type_name(),
                            short(&v.value)
                        ),
                    );
                    continue;
                }
                rule.matches.push(MatchDef {
                    written,
                    node: v,
                    path: p,
                });
            }
        }
    }
    let _ = rule_pos;
    Some(rule)
}

fn parse_actions<'n>(
    ctx: &mut Ctx<'_>,
    node: &'n Node,
    path: &str,
    acl: &Key,
) -> Option<ActionsDef<'n>> {
    if !truthy(&node.value) {
        ctx.error(node.pos, path, format!("the rule's actions are empty in ACL {}; give at least one action (such as allow: 1)", acl.quoted()));
        return None;
    }
    let f = ctx.fields(node, path, "the actions of an ACL rule", ACTIONS_SCHEMA)?;
    let written = |k: &str| -> Option<&'n Node> {
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(key, _)| key.value.as_str() == Some(k))
                .map(|(_, v)| v),
            _ => None,
        }
    };
    let mut actions = ActionsDef {
        path: path.to_string(),
        allow: written("allow").filter(|_| !f.wrong("allow")),
        force_port_vlan: f.get("force_port_vlan"),
        meter: written("meter").filter(|_| !f.wrong("meter")),
        mirror: written("mirror").filter(|_| !f.wrong("mirror")),
        output: None,
        ct: None,
    };
    if f.is_null("output") {
        ctx.error(
            f.pos,
            &f.path_of("output"),
            "`output` must be a mapping or a list of actions",
        );
    }
    if let Some(out) = f.get("output") {
        let op = f.path_of("output");
        match &out.value {
            Value::Seq(items) => {
                for (i, sub) in items.iter().enumerate() {
                    let sp = index(&op, i);
                    match &sub.value {
                        Value::Map(e) if e.len() <= 1 => {
                            ctx.fields_of(
                                e,
                                sub.pos,
                                &sp,
                                "an ordered output action",
                                OUTPUT_SCHEMA,
                            );
                        }
                        Value::Map(_) | Value::Str(_) | Value::Seq(_) => {
                            let len_ok = match &sub.value {
                                Value::Str(s) => s.chars().count() <= 1,
                                Value::Seq(s) => s.len() <= 1,
                                _ => false,
                            };
                            if len_ok {
                                ctx.error(
                                    sub.pos,
                                    &sp,
                                    format!(
                                        "an ordered output action must be a mapping, not {}",
                                        sub.value.type_name()
                                    ),
                                );
                            } else {
                                ctx.error(sub.pos, &sp, "each element of an ordered output list must have exactly one action (write `- port: 1` and `- pop_vlans: 1` as separate elements)");
                            }
                        }
                        other => ctx.error(
                            sub.pos,
                            &sp,
                            format!(
                                "an ordered output action must be a mapping, not {}",
                                other.type_name()
                            ),
                        ),
                    }
                }
                actions.output = Some(OutputDef::List(items, op));
            }
            Value::Map(entries) => {
                ctx.fields_of(entries, out.pos, &op, "output", OUTPUT_SCHEMA);
                actions.output = Some(OutputDef::Dict(entries, out.pos, op));
            }
            _ => {}
        }
    }
    if f.is_null("ct") {
        ctx.error(f.pos, &f.path_of("ct"), "`ct` must be a mapping");
    }
    if let Some(ct) = f.get("ct") {
        let cp = f.path_of("ct");
        let Value::Map(entries) = &ct.value else {
            return Some(actions);
        };
        let c = ctx.fields_of(entries, ct.pos, &cp, "ct", CT_SCHEMA);
        let has = |k: &str| entries.iter().any(|(key, _)| key.value.as_str() == Some(k));
        if c.bool("clear") == Some(true) {
            if entries.len() != 1 {
                ctx.error(
                    ct.pos,
                    &cp,
                    "when `clear` is set in `ct`, no other conntrack parameter may be set",
                );
            }
        } else {
            for required in ["table", "zone"] {
                if !has(required) {
                    ctx.error(
                        ct.pos,
                        &join(&cp, required),
                        format!("conntrack needs `{required}` (unless `clear: true`)"),
                    );
                }
            }
        }
        if c.is_null("nat") {
            ctx.error(ct.pos, &c.path_of("nat"), "`nat` must be a mapping");
        }
        if let Some(nat) = c.get("nat")
            && let Value::Map(ne) = &nat.value
        {
            ctx.fields_of(ne, nat.pos, &c.path_of("nat"), "nat", NAT_SCHEMA);
        }
        actions.ct = Some((entries, ct.pos, cp));
    }
    Some(actions)
}

// ===== per-DP resolution =====

/// In which contexts an ACL is used on a DP; FAUCET compiles it once per use, and forces
/// `in_port` (port ACLs) or `vlan_vid` (VLAN ACLs), so a bad value there is never looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Uses {
    pub port: bool,
    pub vlan: bool,
    pub plain: bool,
}

/// What resolving an ACL needs from its DP.
pub(crate) trait DpView {
    /// FAUCET's `resolve_port` on this DP: by number (int) or by name (str).
    fn resolve_port(&self, value: &Value) -> Option<PortNo>;
    /// A meter's index on this DP (allocating it), or `Err(true)` if the meter exists but is
    /// invalid, `Err(false)` if it does not exist.
    fn meter(&mut self, name: &Key) -> Result<crate::model::MeterId, bool>;
    /// Marks a port output-only (ACL mirror targets).
    fn set_output_only(&mut self, port: PortNo);
    /// Resolves a tunnel destination; returns the tunnel (with its VLAN allocated) or records
    /// an error and returns `None`.
    fn tunnel(
        &mut self,
        ctx: &mut Ctx<'_>,
        acl: &AclDef<'_>,
        node: &Node,
        path: &str,
    ) -> Option<crate::model::Tunnel>;
}

/// Resolves an ACL for a DP and checks everything FAUCET checks when it compiles it.
/// `first_use_is_vlan` reproduces FAUCET resolving port references once per DP, in the
/// context of the first use.
pub(crate) fn resolve(
    ctx: &mut Ctx<'_>,
    def: &AclDef<'_>,
    uses: Uses,
    first_use_is_vlan: bool,
    dp: &mut dyn DpView,
) -> Option<Acl> {
    let before = ctx.error_count();
    let mut rules = Vec::with_capacity(def.rules.len());
    for rule in &def.rules {
        let mut matches: Vec<(&'static str, Match)> = Vec::new();
        for m in &rule.matches {
            let overridden_everywhere =
                (m.written == "in_port" && uses.port && !uses.vlan && !uses.plain)
                    || (m.written == "vlan_vid" && uses.vlan && !uses.port && !uses.plain);
            let Some((canonical, kind)) = canonical_field(m.written) else {
                continue;
            };
            match parse_match(kind, &m.node.value) {
                Ok(value) => {
                    let value = build_match(canonical, value);
                    match matches.iter_mut().find(|(n, _)| *n == canonical) {
                        Some(slot) => slot.1 = value,
                        None => matches.push((canonical, value)),
                    }
                }
                Err(why) if !overridden_everywhere => {
                    ctx.error(m.node.pos, &m.path, why);
                }
                Err(_) => {}
            }
        }
        let actions = match &rule.actions {
            Some(a) => resolve_actions(ctx, def, a, first_use_is_vlan, dp),
            None => Some(AclActions {
                allow: false,
                force_port_vlan: false,
                meter: None,
                mirror: None,
                output: None,
                ct: None,
            }),
        };
        if let Some(actions) = actions {
            rules.push(AclRule {
                matches: matches.into_iter().map(|(_, m)| m).collect(),
                cookie: rule.cookie,
                description: rule.description.clone(),
                actions,
            });
        }
    }
    (ctx.error_count() == before).then(|| Acl {
        name: def.key.text(),
        exact_match: def.exact_match,
        dot1x_assigned: def.dot1x_assigned,
        rules,
    })
}

/// A parsed match value before it is given its field.
enum Parsed {
    Int(u128, Option<u128>),
    Mac(MaskedMac),
    V4(MaskedIpv4),
    V6(MaskedIpv6),
}

fn parse_match(kind: Kind, value: &Value) -> Result<Parsed, String> {
    let bad_int = || {
        format!(
            "invalid value {}: expected an integer (decimal, or 0x.. hex)",
            short(value)
        )
    };
    match kind {
        Kind::Int(bits) => {
            let v = match value {
                Value::Int(i) => *i,
                Value::Str(s) => py_int0(s).ok_or_else(bad_int)?,
                _ => return Err(bad_int()),
            };
            Ok(Parsed::Int(wrap(v, bits), None))
        }
        Kind::MaskedInt(bits) => match value {
            Value::Str(s) if s.contains('/') => {
                let mut parts = s.split('/');
                let a = parts.next().and_then(py_int0);
                let b = parts.next().and_then(py_int0);
                match (a, b) {
                    (Some(a), Some(b)) => Ok(Parsed::Int(wrap(a, bits), Some(wrap(b, bits)))),
                    _ => Err(format!(
                        "invalid value {}: expected value/mask, such as 0x10/0xf0",
                        short(value)
                    )),
                }
            }
            Value::Int(i) => Ok(Parsed::Int(wrap(*i, bits), None)),
            Value::Str(s) => Ok(Parsed::Int(
                wrap(py_int0(s).ok_or_else(bad_int)?, bits),
                None,
            )),
            _ => Err(bad_int()),
        },
        Kind::Vid => match value {
            Value::Int(_) | Value::Bool(_) => {
                let v = value.as_int().unwrap_or(0);
                Ok(Parsed::Int(wrap(v | 0x1000, 16), None))
            }
            Value::Str(s) if s.contains('/') => {
                let mut parts = s.split('/');
                let a = parts.next().and_then(py_int0);
                let b = parts.next().and_then(py_int0);
                match (a, b) {
                    (Some(a), Some(b)) => Ok(Parsed::Int(wrap(a, 16), Some(wrap(b, 16)))),
                    _ => Err(format!(
                        "invalid VLAN match {}: expected a VID, or value/mask",
                        short(value)
                    )),
                }
            }
            Value::Str(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
                let v: i128 = s.parse().unwrap_or(i128::MAX);
                Ok(Parsed::Int(wrap(v | 0x1000, 16), None))
            }
            Value::Str(s) => match py_int0(s) {
                Some(v) => Ok(Parsed::Int(wrap(v, 16), None)),
                None => Err(format!(
                    "invalid VLAN match {}: expected a VID",
                    short(value)
                )),
            },
            _ => Err(format!("invalid VLAN match {}", short(value))),
        },
        Kind::InPort => match value {
            Value::Int(_) | Value::Bool(_) => {
                Ok(Parsed::Int(wrap(value.as_int().unwrap_or(0), 32), None))
            }
            Value::Str(s) => {
                if let Some(v) = py_int0(s) {
                    return Ok(Parsed::Int(wrap(v, 32), None));
                }
                let name = if s.starts_with("OFPP_") {
                    s.to_ascii_uppercase()
                } else {
                    format!("OFPP_{}", s.to_ascii_uppercase())
                };
                match RESERVED_PORTS.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => Ok(Parsed::Int(u128::from(*v), None)),
                    None => Err(format!(
                        "invalid in_port {}: expected a port number or a reserved port name \
                         (LOCAL, CONTROLLER, IN_PORT, ...)",
                        short(value)
                    )),
                }
            }
            _ => Err(format!("invalid in_port {}", short(value))),
        },
        Kind::Mac => {
            let Value::Str(s) = value else {
                return Err(format!(
                    "invalid MAC address {}: expected text such as 0e:00:00:00:00:01",
                    short(value)
                ));
            };
            let mut parts = s.split('/');
            let addr = parts.next().unwrap_or_default();
            let mask = if s.contains('/') {
                Some(parts.next().unwrap_or_default())
            } else {
                None
            };
            let v = netaddr_mac(addr).ok_or_else(|| format!("invalid MAC address \"{addr}\""))?;
            let m = match mask {
                Some(m) => Some(netaddr_mac(m).ok_or_else(|| format!("invalid MAC mask \"{m}\""))?),
                None => None,
            };
            Ok(Parsed::Mac(MaskedMac { value: v, mask: m }))
        }
        Kind::Ipv4 => match value {
            Value::Str(s) => ipv4_match(s)
                .map(|(value, mask)| Parsed::V4(MaskedIpv4 { value, mask }))
                .ok_or_else(|| format!("invalid IPv4 address or prefix \"{s}\"")),
            _ => Err(format!(
                "invalid IPv4 address {}: expected text such as 10.0.0.0/24",
                short(value)
            )),
        },
        Kind::Ipv6 => match value {
            Value::Str(s) => ipv6_match(s)
                .map(|(value, mask)| Parsed::V6(MaskedIpv6 { value, mask }))
                .ok_or_else(|| format!("invalid IPv6 address or prefix \"{s}\"")),
            _ => Err(format!(
                "invalid IPv6 address {}: expected text such as fe80::/10",
                short(value)
            )),
        },
    }
}

#[allow(clippy::cast_possible_truncation)]
fn build_match(field: &str, p: Parsed) -> Match {
    let mi16 = |v: u128, m: Option<u128>| Masked {
        value: v as u16,
        mask: m.map(|m| m as u16),
    };
    let mi32 = |v: u128, m: Option<u128>| Masked {
        value: v as u32,
        mask: m.map(|m| m as u32),
    };
    let mi64 = |v: u128, m: Option<u128>| Masked {
        value: v as u64,
        mask: m.map(|m| m as u64),
    };
    match p {
        Parsed::Mac(m) => match field {
            "eth_dst" => Match::EthDst(m),
            "eth_src" => Match::EthSrc(m),
            "arp_sha" => Match::ArpSha(m),
            "arp_tha" => Match::ArpTha(m),
            "ipv6_nd_sll" => Match::Ipv6NdSll(m),
            _ => Match::Ipv6NdTll(m),
        },
        Parsed::V4(m) => match field {
            "ipv4_src" => Match::Ipv4Src(m),
            "ipv4_dst" => Match::Ipv4Dst(m),
            "arp_spa" => Match::ArpSpa(m),
            _ => Match::ArpTpa(m),
        },
        Parsed::V6(m) => match field {
            "ipv6_src" => Match::Ipv6Src(m),
            "ipv6_dst" => Match::Ipv6Dst(m),
            _ => Match::Ipv6NdTarget(m),
        },
        Parsed::Int(v, m) => match field {
            "in_port" => Match::InPort(v as u32),
            "in_phy_port" => Match::InPhyPort(v as u32),
            "metadata" => Match::Metadata(mi64(v, m)),
            "eth_type" => Match::EthType(v as u16),
            "vlan_vid" => Match::VlanVid(mi16(v, m)),
            "vlan_pcp" => Match::VlanPcp(v as u8),
            "ip_dscp" => Match::IpDscp(v as u8),
            "ip_ecn" => Match::IpEcn(v as u8),
            "ip_proto" => Match::IpProto(v as u8),
            "tcp_src" => Match::TcpSrc(mi16(v, m)),
            "tcp_dst" => Match::TcpDst(mi16(v, m)),
            "udp_src" => Match::UdpSrc(mi16(v, m)),
            "udp_dst" => Match::UdpDst(mi16(v, m)),
            "sctp_src" => Match::SctpSrc(mi16(v, m)),
            "sctp_dst" => Match::SctpDst(mi16(v, m)),
            "icmpv4_type" => Match::Icmpv4Type(v as u8),
            "icmpv4_code" => Match::Icmpv4Code(v as u8),
            "arp_op" => Match::ArpOp(v as u16),
            "ipv6_flabel" => Match::Ipv6Flabel(v as u32),
            "icmpv6_type" => Match::Icmpv6Type(v as u8),
            "icmpv6_code" => Match::Icmpv6Code(v as u8),
            "mpls_label" => Match::MplsLabel(v as u32),
            "mpls_tc" => Match::MplsTc(v as u8),
            "mpls_bos" => Match::MplsBos(v as u8),
            "pbb_isid" => Match::PbbIsid(mi32(v, m)),
            "tunnel_id" => Match::TunnelId(mi64(v, m)),
            "ipv6_exthdr" => Match::Ipv6Exthdr(mi16(v, m)),
            "eth_type_nxm" => Match::EthTypeNxm(v as u16),
            "ip_proto_nxm" => Match::IpProtoNxm(v as u8),
            "nw_ttl" => Match::NwTtl(v as u8),
            "ct_state" => Match::CtState(mi32(v, m)),
            "ct_zone" => Match::CtZone(v as u16),
            "ct_mark" => Match::CtMark(mi32(v, m)),
            _ => Match::CtLabel(Masked { value: v, mask: m }),
        },
    }
}

fn entry<'n>(entries: &'n [(Node, Node)], key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k.value.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Python `x == 1` for a YAML value.
fn equals_one(node: Option<&Node>) -> bool {
    node.is_some_and(|n| n.value.as_int() == Some(1))
}

/// One action FAUCET puts in the flow's apply-actions, for its trimming rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepKind {
    /// Output to a port.
    Output,
    /// A group (fast failover).
    Group,
    /// Anything else (VLAN push/pop/swap, set field).
    Other,
    /// A tunnel: compiled later, per DP pair; no action at check time.
    Tunnel,
}

/// An output step: the model's action, and an error FAUCET only finds when it encodes the
/// action (so not at all when the action is trimmed away).
struct Step {
    action: Option<OutputAction>,
    kind: StepKind,
    deferred: Option<(Pos, String, String)>,
}

impl Step {
    fn of(action: OutputAction, kind: StepKind) -> Step {
        Step {
            action: Some(action),
            kind,
            deferred: None,
        }
    }
}

/// FAUCET's `_trim_inst`: without a goto (no `allow`) and without a conntrack action, the
/// actions after the last output or group are dropped (and so never encoded).
fn settle(
    ctx: &mut Ctx<'_>,
    steps: Vec<Step>,
    leading_output: bool,
    trim: bool,
) -> Vec<OutputAction> {
    let last_output = steps
        .iter()
        .rposition(|s| matches!(s.kind, StepKind::Output | StepKind::Group));
    let keep_until = match (trim, last_output) {
        (false, _) => steps.len(),
        (true, Some(i)) => i + 1,
        (true, None) if leading_output => 0,
        (true, None) => 0,
    };
    let mut out = Vec::with_capacity(steps.len());
    for (i, step) in steps.into_iter().enumerate() {
        let kept = i < keep_until || step.kind == StepKind::Tunnel;
        if !kept {
            continue;
        }
        if let Some((pos, path, reason)) = step.deferred {
            ctx.error(pos, &path, reason);
            continue;
        }
        if let Some(action) = step.action {
            out.push(action);
        }
    }
    out
}

fn resolve_actions(
    ctx: &mut Ctx<'_>,
    def: &AclDef<'_>,
    a: &ActionsDef<'_>,
    first_use_is_vlan: bool,
    dp: &mut dyn DpView,
) -> Option<AclActions> {
    let before = ctx.error_count();
    let allow_specified = a.allow.is_some();
    let mut allow = equals_one(a.allow);
    let force_port_vlan = equals_one(a.force_port_vlan);
    let mut mirror = None;
    if let Some(m) = a.mirror {
        match dp.resolve_port(&m.value) {
            Some(p) => {
                mirror = Some(p);
                dp.set_output_only(p);
                if !allow_specified {
                    allow = true;
                }
            }
            None => ctx.error(
                m.pos,
                &join(&a.path, "mirror"),
                format!("mirror port {} is not a port of this DP", short(&m.value)),
            ),
        }
    }
    let mut meter = None;
    if let Some(m) = a.meter {
        let key = Key::of(&m.value);
        match dp.meter(&key) {
            Ok(id) => meter = Some(id),
            Err(true) => {}
            Err(false) => ctx.error(
                m.pos,
                &join(&a.path, "meter"),
                format!("meter {} is not configured in `meters`", short(&m.value)),
            ),
        }
    }
    let mut output = None;
    if let Some(out) = &a.output {
        let (ordered, steps, names_port) = resolve_output(ctx, def, out, first_use_is_vlan, dp);
        let terminal = !allow && (ordered || names_port);
        // Only a conntrack commit (not `clear`) stops the trimming.
        let ct_commit = a.ct.as_ref().is_some_and(|(entries, ..)| {
            !entry(entries, "clear").is_some_and(|n| truthy(&n.value))
        });
        let has_ct = ct_commit && !terminal;
        let actions = settle(ctx, steps, a.mirror.is_some(), !allow && !has_ct);
        output = Some(Output {
            ordered,
            actions,
            terminal,
        });
    }
    let terminal = output.as_ref().is_some_and(|o: &Output| o.terminal);
    let mut ct = None;
    if let Some((entries, pos, path)) = &a.ct
        && !terminal
    {
        ct = resolve_ct(ctx, entries, *pos, path);
    }
    (ctx.error_count() == before).then_some(AclActions {
        allow,
        force_port_vlan,
        meter,
        mirror,
        output,
        ct,
    })
}

/// Builds the output steps; returns (ordered, steps, whether the dict form names a port).
fn resolve_output(
    ctx: &mut Ctx<'_>,
    def: &AclDef<'_>,
    out: &OutputDef<'_>,
    first_use_is_vlan: bool,
    dp: &mut dyn DpView,
) -> (bool, Vec<Step>, bool) {
    match out {
        OutputDef::Dict(entries, pos, path) => {
            let has = |k: &str| entry(entries, k).is_some();
            if has("vlan_vid") && has("vlan_vids") {
                ctx.error(
                    *pos,
                    path,
                    "`output` has both vlan_vid and vlan_vids; use one",
                );
            }
            if has("port") && has("ports") {
                ctx.error(*pos, path, "`output` has both port and ports; use one");
            }
            let mut steps = Vec::new();
            let mut names_port = false;
            // FAUCET's fixed order for the dict form.
            for key in [
                "pop_vlans",
                "vlan_vid",
                "swap_vid",
                "vlan_vids",
                "set_fields",
                "port",
                "ports",
                "failover",
                "tunnel",
            ] {
                if key == "swap_vid" && has("vlan_vid") {
                    continue;
                }
                if key == "vlan_vids" && (has("vlan_vid") || has("swap_vid")) {
                    continue;
                }
                let Some(node) = entry(entries, key) else {
                    continue;
                };
                let p = join(path, key);
                if key == "port" {
                    names_port = true;
                }
                if key == "ports" && matches!(&node.value, Value::Seq(items) if !items.is_empty()) {
                    names_port = true;
                }
                output_step(ctx, def, key, node, &p, first_use_is_vlan, dp, &mut steps);
            }
            (false, steps, names_port)
        }
        OutputDef::List(items, path) => {
            let mut steps = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let Value::Map(e) = &item.value else { continue };
                for (k, v) in e {
                    let Some(key) = k.value.as_str() else {
                        continue;
                    };
                    let p = join(&index(path, i), key);
                    output_step(ctx, def, key, v, &p, first_use_is_vlan, dp, &mut steps);
                }
            }
            (true, steps, true)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn output_step(
    ctx: &mut Ctx<'_>,
    def: &AclDef<'_>,
    key: &str,
    node: &Node,
    path: &str,
    first_use_is_vlan: bool,
    dp: &mut dyn DpView,
    steps: &mut Vec<Step>,
) {
    let resolve = |ctx: &mut Ctx<'_>, dp: &dyn DpView, n: &Node, p: &str| -> Option<PortNo> {
        let r = dp.resolve_port(&n.value);
        if r.is_none() {
            ctx.error(
                n.pos,
                p,
                format!("output port {} is not a port of this DP", short(&n.value)),
            );
        }
        r
    };
    match key {
        "port" => {
            if let Some(p) = resolve(ctx, dp, node, path) {
                steps.push(Step::of(OutputAction::Port(p), StepKind::Output));
            }
        }
        "ports" => {
            let Value::Seq(items) = &node.value else {
                ctx.error(node.pos, path, "`ports` must be a list of ports");
                return;
            };
            for (i, item) in items.iter().enumerate() {
                if let Some(p) = resolve(ctx, dp, item, &index(path, i)) {
                    steps.push(Step::of(OutputAction::Port(p), StepKind::Output));
                }
            }
        }
        "failover" => {
            let Value::Map(e) = &node.value else {
                ctx.error(
                    node.pos,
                    path,
                    "`failover` must be a mapping {group_id, ports}",
                );
                return;
            };
            let mut ports = Vec::new();
            match entry(e, "ports") {
                Some(Node {
                    value: Value::Seq(items),
                    ..
                }) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(p) = resolve(ctx, dp, item, &index(&join(path, "ports"), i)) {
                            ports.push(p);
                        }
                    }
                }
                Some(other) => {
                    ctx.error(
                        other.pos,
                        &join(path, "ports"),
                        "failover `ports` must be a list of ports",
                    );
                }
                None => ctx.error(node.pos, path, "failover needs `ports`"),
            }
            match entry(e, "group_id") {
                Some(g) => match g.value.as_int() {
                    Some(id) if (0..=i128::from(u32::MAX)).contains(&id) => {
                        #[allow(clippy::cast_possible_truncation)]
                        steps.push(Step::of(
                            OutputAction::Failover {
                                group_id: id as u32,
                                ports,
                            },
                            StepKind::Group,
                        ));
                    }
                    _ => ctx.error(
                        g.pos,
                        &join(path, "group_id"),
                        format!(
                            "group_id must be an integer from 0 to 4294967295, not {}",
                            short(&g.value)
                        ),
                    ),
                },
                None => ctx.error(node.pos, path, "failover needs `group_id`"),
            }
        }
        "tunnel" => {
            if !matches!(node.value, Value::Map(_)) {
                ctx.error(node.pos, path, "`tunnel` must be a mapping {dp, port, ...}");
                return;
            }
            if first_use_is_vlan {
                ctx.error(
                    node.pos,
                    path,
                    "tunnels cannot be used in a VLAN ACL (acls_in of a VLAN)",
                );
                return;
            }
            if let Some(t) = dp.tunnel(ctx, def, node, path) {
                steps.push(Step::of(OutputAction::Tunnel(t), StepKind::Tunnel));
            }
        }
        _ => vlan_and_field_step(ctx, key, node, path, steps),
    }
}

/// The steps that do not reference ports: pop/push/swap VLANs and set fields. Also used for
/// tunnel `exit_instructions`.
fn vlan_and_field_step(
    ctx: &mut Ctx<'_>,
    key: &str,
    node: &Node,
    path: &str,
    steps: &mut Vec<Step>,
) {
    #[allow(clippy::cast_possible_truncation)]
    let vid16 = |v: i128| wrap(v | 0x1000, 16) as u16 & 0x0fff;
    let push = |vid: u16, eth_type: u16| {
        Step::of(OutputAction::PushVlan { vid, eth_type }, StepKind::Other)
    };
    match key {
        "pop_vlans" => match node.value.as_int() {
            Some(n) if n > 0 => steps.push(Step::of(
                OutputAction::PopVlans(u32::try_from(n).unwrap_or(u32::MAX)),
                StepKind::Other,
            )),
            Some(_) => {}
            None => ctx.error(
                node.pos,
                path,
                format!("pop_vlans must be an integer, not {}", short(&node.value)),
            ),
        },
        "vlan_vid" => match node.value.as_int() {
            Some(v) => steps.push(push(vid16(v), 0x8100)),
            None => ctx.error(
                node.pos,
                path,
                format!("vlan_vid must be an integer, not {}", short(&node.value)),
            ),
        },
        "swap_vid" => match node.value.as_int() {
            Some(v) => steps.push(Step::of(OutputAction::SwapVid(vid16(v)), StepKind::Other)),
            None => ctx.error(
                node.pos,
                path,
                format!("swap_vid must be an integer, not {}", short(&node.value)),
            ),
        },
        "vlan_vids" => {
            let Value::Seq(items) = &node.value else {
                ctx.error(node.pos, path, "vlan_vids must be a list");
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let p = index(path, i);
                match &item.value {
                    Value::Int(_) | Value::Bool(_) => {
                        steps.push(push(vid16(item.value.as_int().unwrap_or(0)), 0x8100))
                    }
                    Value::Map(e) => {
                        let Some(vid) = entry(e, "vid").and_then(|n| n.value.as_int()) else {
                            ctx.error(item.pos, &p, "each vlan_vids entry needs an integer `vid`");
                            continue;
                        };
                        match entry(e, "eth_type") {
                            None => steps.push(push(vid16(vid), 0x8100)),
                            Some(n) => match n.value.as_int().and_then(|t| u16::try_from(t).ok()) {
                                Some(t) => steps.push(push(vid16(vid), t)),
                                None => steps.push(Step {
                                    action: None,
                                    kind: StepKind::Other,
                                    deferred: Some((
                                        n.pos,
                                        join(&p, "eth_type"),
                                        "eth_type must be an integer from 0 to 65535 (such as 0x8100 or 0x88a8)".to_string(),
                                    )),
                                }),
                            },
                        }
                    }
                    other => ctx.error(
                        item.pos,
                        &p,
                        format!(
                            "a vlan_vids entry is a VID or {{vid, eth_type}}, not {}",
                            other.type_name()
                        ),
                    ),
                }
            }
        }
        "set_fields" => {
            let Value::Seq(items) = &node.value else {
                ctx.error(
                    node.pos,
                    path,
                    "set_fields must be a list of {field: value}",
                );
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let p = index(path, i);
                match set_field(&item.value) {
                    Ok(sf) => steps.push(Step::of(OutputAction::SetField(sf), StepKind::Other)),
                    Err((Stage::Build, why)) => ctx.error(item.pos, &p, why),
                    Err((Stage::Encode, why)) => steps.push(Step {
                        action: None,
                        kind: StepKind::Other,
                        deferred: Some((item.pos, p, why)),
                    }),
                }
            }
        }
        _ => {}
    }
}

/// When FAUCET finds a bad `set_fields` entry: while building the action, or only when
/// encoding it (which does not happen if the action is trimmed away).
enum Stage {
    Build,
    Encode,
}

#[allow(clippy::cast_possible_truncation)]
fn set_field(value: &Value) -> Result<SetField, (Stage, String)> {
    let Value::Map(e) = value else {
        return Err((
            Stage::Build,
            format!(
                "a set_fields entry must be a mapping {{field: value}}, not {}",
                value.type_name()
            ),
        ));
    };
    if e.len() != 1 {
        return Err((
            Stage::Build,
            "each set_fields entry must set exactly one field".to_string(),
        ));
    }
    let (k, v) = &e[0];
    let Some(name) = k.value.as_str() else {
        return Err((
            Stage::Build,
            format!("{} is not a field name", k.value.py_repr()),
        ));
    };
    let Some((canonical, kind)) = canonical_field(name) else {
        return Err((
            Stage::Build,
            format!("'{name}' is not a field that can be set"),
        ));
    };
    // FAUCET first checks the value as a match, then encodes the raw value.
    parse_match(kind, &v.value).map_err(|e| (Stage::Build, e))?;
    if canonical != name {
        return Err((
            Stage::Encode,
            format!("'{name}' cannot be set; use '{canonical}'"),
        ));
    }
    let field = canonical;
    let name = field.to_string();
    let encode = |why: String| Err((Stage::Encode, why));
    match kind {
        Kind::Int(bits) | Kind::MaskedInt(bits) => match &v.value {
            Value::Int(i) => Ok(SetField::Int {
                name,
                value: wrap(*i, bits),
            }),
            _ => encode(format!(
                "the value of set field {field} must be an integer, not {}",
                short(&v.value)
            )),
        },
        Kind::InPort | Kind::Vid => match &v.value {
            Value::Int(_) | Value::Bool(_) => Ok(SetField::Int {
                name,
                value: wrap(
                    v.value.as_int().unwrap_or(0),
                    if kind == Kind::Vid { 16 } else { 32 },
                ),
            }),
            _ => encode(format!(
                "the value of set field {field} must be an integer, not {}",
                short(&v.value)
            )),
        },
        Kind::Mac => match &v.value {
            Value::Str(s) => match netaddr_mac(s) {
                Some(m) => Ok(SetField::Mac { name, value: m }),
                None => encode(format!(
                    "invalid MAC address \"{s}\" (set fields take a plain address, no mask)"
                )),
            },
            _ => encode("a MAC address must be text".to_string()),
        },
        Kind::Ipv4 => match &v.value {
            Value::Str(s) => match set_ipv4(s) {
                Some(value) => Ok(SetField::Ipv4 { name, value }),
                None => encode(format!("invalid IPv4 address \"{s}\"")),
            },
            _ => encode("an IPv4 address must be text".to_string()),
        },
        Kind::Ipv6 => match &v.value {
            Value::Str(s) => match set_ipv6(s) {
                Some(value) => Ok(SetField::Ipv6 { name, value }),
                None => encode(format!("invalid IPv6 address \"{s}\"")),
            },
            _ => encode("an IPv6 address must be text".to_string()),
        },
    }
}

fn set_ipv4(s: &str) -> Option<MaskedIpv4> {
    if let Some(a) = netaddr_ipv4(s) {
        return Some(MaskedIpv4 {
            value: a,
            mask: None,
        });
    }
    let net = crate::syntax::py_ip_interface(s)?;
    match net {
        ipnet::IpNet::V4(n) => Some(MaskedIpv4 {
            value: n.addr(),
            mask: Some(n.netmask()),
        }),
        ipnet::IpNet::V6(_) => None,
    }
}

fn set_ipv6(s: &str) -> Option<MaskedIpv6> {
    if let Some(a) = netaddr_ipv6(s) {
        return Some(MaskedIpv6 {
            value: a,
            mask: None,
        });
    }
    let (a, len) = s.split_once('/')?;
    let a: Ipv6Addr = a.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let n = ipnet::Ipv6Net::new(a, len).ok()?;
    Some(MaskedIpv6 {
        value: a,
        mask: Some(n.netmask()),
    })
}

fn resolve_ct(
    ctx: &mut Ctx<'_>,
    entries: &[(Node, Node)],
    pos: Pos,
    path: &str,
) -> Option<Conntrack> {
    let get = |k: &str| entry(entries, k);
    if get("clear").is_some_and(|n| truthy(&n.value)) {
        return Some(Conntrack::Clear);
    }
    let before = ctx.error_count();
    let field = |k: &str, max: i128, default: Option<i128>, ctx: &mut Ctx<'_>| -> Option<i128> {
        match get(k) {
            None => default,
            Some(n) => match n.value.as_int() {
                Some(v) if (0..=max).contains(&v) => Some(v),
                _ => {
                    ctx.error(
                        n.pos,
                        &join(path, k),
                        format!(
                            "ct {k} must be an integer from 0 to {max}, not {}",
                            short(&n.value)
                        ),
                    );
                    None
                }
            },
        }
    };
    let flags = field("flags", 0xffff, Some(0), ctx);
    let alg = field("alg", 0xffff, Some(0), ctx);
    let table = field("table", 0xff, None, ctx);
    let zone = field("zone", 0xffff, None, ctx);
    let zone_src = match get("zone_src") {
        None => None,
        Some(n) if !truthy(&n.value) => None,
        Some(n) => match n.value.as_int() {
            Some(v) if (0..=i128::from(u32::MAX)).contains(&v) => u32::try_from(v).ok(),
            _ => {
                ctx.error(
                    n.pos,
                    &join(path, "zone_src"),
                    "ct zone_src must be an integer from 0 to 4294967295",
                );
                None
            }
        },
    };
    let wrapped = |k: &str, bits: u32, ctx: &mut Ctx<'_>| -> Option<u128> {
        let n = get(k)?;
        match &n.value {
            Value::Int(_) | Value::Bool(_) => Some(wrap(n.value.as_int().unwrap_or(0), bits)),
            other => {
                ctx.error(
                    n.pos,
                    &join(path, k),
                    format!("ct {k} must be an integer, not {}", short(other)),
                );
                None
            }
        }
    };
    #[allow(clippy::cast_possible_truncation)]
    let mark = wrapped("mark", 32, ctx).map(|v| v as u32);
    let label = wrapped("label", 128, ctx);
    let mut nat = None;
    if let Some(n) = get("nat")
        && let Value::Map(ne) = &n.value
    {
        let np = join(path, "nat");
        let nget = |k: &str| entry(ne, k);
        let nflags = match nget("flags") {
            None => Some(0),
            Some(f) => match f.value.as_int() {
                Some(v) if (0..=0xffff).contains(&v) => u16::try_from(v).ok(),
                _ => {
                    ctx.error(
                        f.pos,
                        &join(&np, "flags"),
                        "nat flags must be an integer from 0 to 65535",
                    );
                    None
                }
            },
        };
        let v4 = |k: &str, ctx: &mut Ctx<'_>| -> Option<Ipv4Addr> {
            let node = nget(k)?;
            match &node.value {
                Value::Str(s) if s.is_empty() => None,
                Value::Str(s) => {
                    let a = netaddr_ipv4(s);
                    if a.is_none() {
                        ctx.error(
                            node.pos,
                            &join(&np, k),
                            format!("invalid IPv4 address \"{s}\""),
                        );
                    }
                    a
                }
                _ => {
                    ctx.error(node.pos, &join(&np, k), "must be an IPv4 address");
                    None
                }
            }
        };
        let r4min = v4("range_ipv4_min", ctx);
        let r4max = v4("range_ipv4_max", ctx);
        let v6 = |k: &str, ctx: &mut Ctx<'_>| -> Option<Ipv6Addr> {
            let node = nget(k)?;
            match &node.value {
                Value::Str(s) if s.is_empty() => None,
                Value::Str(s) => {
                    let a = netaddr_ipv6(s);
                    if a.is_none() {
                        ctx.error(
                            node.pos,
                            &join(&np, k),
                            format!("invalid IPv6 address \"{s}\""),
                        );
                    }
                    a
                }
                _ => {
                    ctx.error(node.pos, &join(&np, k), "must be an IPv6 address");
                    None
                }
            }
        };
        let r6min = v6("range_ipv6_min", ctx);
        let r6max = v6("range_ipv6_max", ctx);
        #[allow(clippy::cast_possible_truncation)]
        let proto = |k: &str| {
            nget(k)
                .and_then(|n| n.value.as_int())
                .map(|v| wrap(v, 16) as u16)
        };
        if let Some(flags) = nflags {
            nat = Some(Nat {
                flags,
                range_ipv4_min: r4min,
                range_ipv4_max: r4max,
                range_ipv6_min: r6min,
                range_ipv6_max: r6max,
                range_proto_min: proto("range_proto_min"),
                range_proto_max: proto("range_proto_max"),
            });
        }
    }
    let _ = pos;
    if ctx.error_count() != before {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    Some(Conntrack::Commit {
        flags: flags? as u16,
        alg: alg? as u16,
        table: table? as u8,
        zone: zone? as u16,
        zone_src,
        nat,
        mark,
        label,
    })
}

/// Builds tunnel `exit_instructions`: output steps written with raw port numbers, applied at
/// the destination DP. FAUCET does not type-check them; it encodes them.
pub(crate) fn exit_instructions(
    ctx: &mut Ctx<'_>,
    node: Option<&Node>,
    path: &str,
) -> Vec<OutputAction> {
    let mut steps: Vec<Step> = Vec::new();
    let mut goto = false;
    let Some(node) = node else { return Vec::new() };
    let mut step =
        |ctx: &mut Ctx<'_>, key: &str, v: &Node, p: &str, steps: &mut Vec<Step>| match key {
            "port" => match v.value.as_int() {
                Some(n) if (0..=i128::from(u32::MAX)).contains(&n) => steps.push(Step::of(
                    OutputAction::Port(PortNo(u32::try_from(n).unwrap_or(0))),
                    StepKind::Output,
                )),
                _ => ctx.error(
                    v.pos,
                    p,
                    "exit_instructions ports are port numbers (0..4294967295)",
                ),
            },
            "ports" => match &v.value {
                Value::Seq(items) => {
                    for item in items {
                        match item.value.as_int() {
                            Some(n) if (0..=i128::from(u32::MAX)).contains(&n) => {
                                steps.push(Step::of(
                                    OutputAction::Port(PortNo(u32::try_from(n).unwrap_or(0))),
                                    StepKind::Output,
                                ))
                            }
                            _ => ctx.error(
                                item.pos,
                                p,
                                "exit_instructions ports are port numbers (0..4294967295)",
                            ),
                        }
                    }
                }
                _ => ctx.error(v.pos, p, "ports must be a list of port numbers"),
            },
            "goto" => {
                goto = true;
                if !v.value.as_int().is_some_and(|t| (0..=255).contains(&t)) {
                    ctx.error(v.pos, p, "goto must be a table id (0..255)");
                }
            }
            "pop_vlans" | "vlan_vid" | "swap_vid" | "vlan_vids" | "set_fields" => {
                vlan_and_field_step(ctx, key, v, p, steps);
            }
            _ => {}
        };
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                match &item.value {
                    Value::Map(e) => {
                        for (k, v) in e {
                            if let Some(key) = k.value.as_str() {
                                step(ctx, key, v, &join(&index(path, i), key), &mut steps);
                            }
                        }
                    }
                    _ => ctx.error(
                        item.pos,
                        &index(path, i),
                        "an exit instruction must be a mapping",
                    ),
                }
            }
        }
        Value::Map(e) => {
            for key in [
                "pop_vlans",
                "vlan_vid",
                "swap_vid",
                "vlan_vids",
                "set_fields",
                "port",
                "ports",
                "goto",
            ] {
                if key == "swap_vid" && entry(e, "vlan_vid").is_some() {
                    continue;
                }
                if key == "vlan_vids"
                    && (entry(e, "vlan_vid").is_some() || entry(e, "swap_vid").is_some())
                {
                    continue;
                }
                if let Some(v) = entry(e, key) {
                    step(ctx, key, v, &join(path, key), &mut steps);
                }
            }
        }
        _ => ctx.error(
            node.pos,
            path,
            "exit_instructions must be a list of output actions",
        ),
    }
    settle(ctx, steps, false, !goto)
}

/// Checks that the ACLs used together on one port or VLAN agree on `exact_match`.
pub(crate) fn check_exact_match(ctx: &mut Ctx<'_>, defs: &[&AclDef<'_>], refs: &[NameRef<'_>]) {
    let Some(first) = defs.first() else { return };
    for (d, r) in defs.iter().zip(refs) {
        if d.exact_match != first.exact_match {
            ctx.error(
                r.node.pos,
                &r.path,
                format!(
                    "ACLs used together must all have the same exact_match, but {} has {} and {} \
                     has {}",
                    first.key.quoted(),
                    first.exact_match,
                    d.key.quoted(),
                    d.exact_match
                ),
            );
            return;
        }
    }
}
