//! From the merged YAML sections to the [`Config`] model, applying FAUCET's validation rules.
//!
//! The order follows FAUCET's parser, because some verdicts depend on it:
//! 1. the top-level `vlans`, `acls`, `meters` and `routers` entries are checked on their own
//!    (FAUCET builds them for every DP, with the same result each time);
//! 2. each DP: its own keys, then its ports (`interfaces` and `interface_ranges`), resolving
//!    `native_vlan`/`tagged_vlans` and creating the VLANs that are referenced by number only;
//! 3. each DP again, now that every DP is known: stack peers, mirrors, ACLs (ports resolved,
//!    rules compiled to check every match and action), routers;
//! 4. the whole configuration: stack topology, duplicate `dp_id`s, remote mirrors (a sluice
//!    extension), unused routers.
//!
//! Unlike FAUCET, which stops at the first problem, every problem is collected. An object with
//! an error is left out of later steps, so one mistake does not cascade into many.

mod acl;
mod dp;
mod meter;
mod port;
mod remote_mirror;
mod router;
mod stack;
mod vlan;

use std::collections::BTreeMap;

use crate::conf::Ctx;
use crate::load::Files;
use crate::model::{Config, DpId};
use crate::yaml::{Node, Value, py_float_str};

/// A name as FAUCET compares it: a dict key with Python equality (`1 == True == 1.0`,
/// `"1" != 1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    Str(String),
    Int(i128),
    Other(String),
}

impl Key {
    pub fn of(value: &Value) -> Key {
        match value {
            Value::Str(s) => Key::Str(s.clone()),
            Value::Int(i) => Key::Int(*i),
            Value::Bool(b) => Key::Int(i128::from(*b)),
            Value::Float(f) if f.is_finite() && *f == f.trunc() && f.abs() < 1e30 =>
            {
                #[allow(clippy::cast_possible_truncation)]
                Key::Int(*f as i128)
            }
            Value::Float(f) => Key::Other(py_float_str(*f)),
            other => Key::Other(other.py_repr()),
        }
    }

    /// Python `str()` of the key.
    pub fn text(&self) -> String {
        match self {
            Key::Str(s) | Key::Other(s) => s.clone(),
            Key::Int(i) => i.to_string(),
        }
    }

    /// The key quoted for messages.
    pub fn quoted(&self) -> String {
        match self {
            Key::Str(s) => format!("\"{s}\""),
            Key::Int(i) => i.to_string(),
            Key::Other(s) => s.clone(),
        }
    }
}

/// A reference to a named object (an ACL, a VLAN, ...), with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct NameRef<'n> {
    pub node: &'n Node,
    pub path: String,
}

impl NameRef<'_> {
    pub fn key(&self) -> Key {
        Key::of(&self.node.value)
    }
}

/// Builds the model; `None` when any error was recorded in `ctx`.
pub(crate) fn build(loaded: &Files, ctx: &mut Ctx<'_>) -> Option<Config> {
    let vlan_entries = loaded.section("vlans");
    let acl_entries = loaded.section("acls");
    let meter_entries = loaded.section("meters");
    let router_entries = loaded.section("routers");
    let dp_entries = loaded.section("dps");
    let vlans = vlan::parse_all(ctx, &vlan_entries);
    let acls = acl::parse_all(ctx, &acl_entries);
    let meters = meter::parse_all(ctx, &meter_entries);
    let routers = router::parse_all(ctx, &router_entries, dp_entries.len());

    let globals = dp::Globals {
        vlans: &vlans,
        acls: &acls,
        meters: &meters,
        routers: &routers,
    };
    let mut dps = dp::parse_all(ctx, &dp_entries, &globals);
    let all_vlans = vlan::all_vlans(&vlans, &dps);
    dp::finalize_all(ctx, &mut dps, &globals, &all_vlans);
    let analysers = remote_mirror::collect(&dps);
    let mut dp_models = stack::resolve(ctx, dps);
    remote_mirror::resolve(ctx, &analysers, &mut dp_models);
    router::check_used(ctx, &router_entries, &routers, &dp_models);

    if !ctx.errors.is_empty() {
        return None;
    }
    let mut out: BTreeMap<DpId, std::sync::Arc<crate::model::Dp>> = BTreeMap::new();
    for dp in dp_models {
        out.insert(dp.dp_id, std::sync::Arc::new(dp));
    }
    Some(Config {
        dps: out,
        files: loaded.digests.clone(),
    })
}
