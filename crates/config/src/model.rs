//! The validated, name-resolved configuration: what the pipeline compiler and the runtime
//! consume. Every reference is resolved (ports to [`PortNo`], VLANs to [`Vid`], ACLs to
//! [`AclId`], meters to [`MeterId`], DPs to [`DpId`]) and every default, including FAUCET's
//! derived ones, is filled in, so nothing here needs a lookup by name.
//!
//! Integer knobs that FAUCET does not bound are `i64` (FAUCET accepts any Python int there,
//! even a negative one); knobs it bounds have the narrowest type that holds the range.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;
use serde::{Serialize, Serializer};
use sluice_wire::MacAddr;

use crate::load::FileDigest;

/// A datapath id (`dp_id`, 64 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DpId(pub u64);

/// An OpenFlow port number (`interfaces` key or `number`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PortNo(pub u32);

/// A VLAN id, 1..=4095.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Vid(pub u16);

/// Index of an ACL in [`Dp::acls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AclId(pub usize);

/// Index of a meter in [`Dp::meters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MeterId(pub usize);

impl fmt::Display for DpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Display for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Vid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

pub(crate) fn ser_mac<S: Serializer>(mac: &MacAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(mac)
}

pub(crate) fn ser_opt_mac<S: Serializer>(mac: &Option<MacAddr>, s: S) -> Result<S::Ok, S::Error> {
    match mac {
        Some(m) => s.collect_str(m),
        None => s.serialize_none(),
    }
}

pub(crate) fn ser_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A whole configuration: every DP, plus the files it was read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The DPs, by datapath id. Shared: each running valve holds its DP's (one copy per
    /// configuration, however many valves and snapshots refer to it).
    pub dps: BTreeMap<DpId, Arc<Dp>>,
    /// Every file read, with its sha256 (FAUCET's `config_hashes`), top file first.
    pub files: Vec<FileDigest>,
}

impl Config {
    /// The DP with this name.
    pub fn dp_by_name(&self, name: &str) -> Option<&Dp> {
        self.dps.values().map(|dp| &**dp).find(|dp| dp.name == name)
    }

    /// The DPs in the order they are written in the configuration.
    pub fn dps_in_config_order(&self) -> Vec<&Dp> {
        let mut dps: Vec<&Dp> = self.dps.values().map(|dp| &**dp).collect();
        dps.sort_by_key(|dp| dp.index);
        dps
    }
}

/// The switch family (`hardware`), which selects vendor quirks in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hardware {
    /// `Generic`
    Generic,
    /// `GenericTFM` (table features message)
    GenericTfm,
    /// `Allied-Telesis`
    AlliedTelesis,
    /// `Aruba`
    Aruba,
    /// `CiscoC9K`
    CiscoC9k,
    /// `Lagopus`
    Lagopus,
    /// `Netronome`
    Netronome,
    /// `NoviFlow` (static table ids)
    NoviFlow,
    /// `Open vSwitch` (the default)
    OpenVSwitch,
    /// `Open vSwitch TFM`
    OpenVSwitchTfm,
    /// `ZodiacFX`
    ZodiacFx,
    /// `ZodiacGX`
    ZodiacGx,
}

impl Hardware {
    /// Every supported value, with its spelling in the configuration.
    pub const ALL: [(&'static str, Hardware); 12] = [
        ("Generic", Hardware::Generic),
        ("GenericTFM", Hardware::GenericTfm),
        ("Allied-Telesis", Hardware::AlliedTelesis),
        ("Aruba", Hardware::Aruba),
        ("CiscoC9K", Hardware::CiscoC9k),
        ("Lagopus", Hardware::Lagopus),
        ("Netronome", Hardware::Netronome),
        ("NoviFlow", Hardware::NoviFlow),
        ("Open vSwitch", Hardware::OpenVSwitch),
        ("Open vSwitch TFM", Hardware::OpenVSwitchTfm),
        ("ZodiacFX", Hardware::ZodiacFx),
        ("ZodiacGX", Hardware::ZodiacGx),
    ];

    /// Parses the configuration spelling.
    pub fn from_name(name: &str) -> Option<Hardware> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
    }

    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, h)| *h == self)
            .map_or("Generic", |(n, _)| n)
    }
}

impl Serialize for Hardware {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// FAUCET's per-DP priorities (`priority_offset` and the four derived values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Priorities {
    /// `priority_offset` (default 0).
    pub offset: i64,
    /// `lowest_priority` (default `priority_offset`): table-miss flows.
    pub lowest: i64,
    /// `low_priority` (default `priority_offset + 9000`).
    pub low: i64,
    /// `high_priority` (default `low_priority + 1`).
    pub high: i64,
    /// `highest_priority` (default `high_priority + 98`).
    pub highest: i64,
}

/// One datapath (switch) and everything configured on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dp {
    /// `dp_id`.
    pub dp_id: DpId,
    /// Position of this DP in the configuration (FAUCET's DP index, used e.g. for the default
    /// `lacp_port_id`).
    pub index: usize,
    /// The DP's name (its key under `dps`).
    pub name: String,
    /// `description` (default: the name).
    pub description: String,
    /// `hardware` (default "Open vSwitch").
    pub hardware: Hardware,
    /// The ports, by number (from `interfaces` and `interface_ranges`). Boxed: a B-tree node
    /// has room for 11 entries whether used or not, and a `Port` is a few hundred bytes.
    pub ports: BTreeMap<PortNo, Box<Port>>,
    /// The VLANs present on this DP, by VID. As in FAUCET, every VLAN of the configuration is
    /// present on every DP (plus the tunnel VLANs this DP allocates). Boxed, as `ports`.
    pub vlans: BTreeMap<Vid, Box<Vlan>>,
    /// The ACLs used on this DP (by ports, VLANs, `dp_acls`, 802.1X or tunnels), with their
    /// port references resolved for this DP. [`AclId`] indexes this list.
    pub acls: Vec<Acl>,
    /// The meters used by this DP's ACLs. [`MeterId`] indexes this list.
    pub meters: Vec<Meter>,
    /// The routers that route at least one VLAN of this DP (or speak BGP).
    pub routers: Vec<Router>,
    /// `dp_acls`: ACLs applied to every port (instead of port ACLs).
    pub dp_acls: Vec<AclId>,
    /// Stacking: set when the DP has stack ports.
    pub stack: Option<DpStack>,
    /// `lldp_beacon` (set when configured, or when the DP is stacked).
    pub lldp_beacon: Option<DpLldpBeacon>,
    /// `dot1x` (802.1X), when configured.
    pub dot1x: Option<Dot1x>,
    /// `table_sizes` overrides, by table name.
    pub table_sizes: BTreeMap<String, i64>,
    /// Priorities (`priority_offset` and the derived ones).
    pub priorities: Priorities,
    /// `cookie` set on every flow (default 0x5ADC15C0).
    pub cookie: u64,
    /// `timeout`: L2 learning timeout in seconds (15..=65535, default 300).
    pub timeout: u32,
    /// `arp_neighbor_timeout` (default 30; less than `timeout / 2`).
    pub arp_neighbor_timeout: i64,
    /// `nd_neighbor_timeout` (default 30; less than `timeout / 2`).
    pub nd_neighbor_timeout: i64,
    /// `ofchannel_log`: file that logs every OpenFlow message.
    pub ofchannel_log: Option<String>,
    /// `ignore_learn_ins` (default 10).
    pub ignore_learn_ins: i64,
    /// `drop_broadcast_source_address` (default true).
    pub drop_broadcast_source_address: bool,
    /// `drop_spoofed_faucet_mac` (default true).
    pub drop_spoofed_faucet_mac: bool,
    /// `group_table` (default false): flood with OpenFlow groups.
    pub group_table: bool,
    /// `max_hosts_per_resolve_cycle` (default 5).
    pub max_hosts_per_resolve_cycle: i64,
    /// `max_host_fib_retry_count` (default 10).
    pub max_host_fib_retry_count: i64,
    /// `max_resolve_backoff_time` in seconds (default 64).
    pub max_resolve_backoff_time: i64,
    /// `packetin_pps`: packet-in rate limit meter.
    pub packetin_pps: Option<i64>,
    /// `slowpath_pps`: slow-path rate limit meter.
    pub slowpath_pps: Option<i64>,
    /// `learn_jitter` (default: `int(max(3 * sqrt(timeout), 1))`, 51 at timeout 300).
    pub learn_jitter: i64,
    /// `learn_ban_timeout` (default: `learn_jitter`).
    pub learn_ban_timeout: i64,
    /// `advertise_interval` (default 30).
    pub advertise_interval: i64,
    /// `fast_advertise_interval` (default 5).
    pub fast_advertise_interval: i64,
    /// `proactive_learn_v4` (default true).
    pub proactive_learn_v4: bool,
    /// `proactive_learn_v6` (default true).
    pub proactive_learn_v6: bool,
    /// `use_idle_timeout` (default false).
    pub use_idle_timeout: bool,
    /// `metrics_rate_limit_sec` (default 0).
    pub metrics_rate_limit_sec: i64,
    /// `faucet_dp_mac` (default 0e:00:00:00:00:01).
    #[serde(serialize_with = "ser_mac")]
    pub faucet_dp_mac: MacAddr,
    /// `combinatorial_port_flood` (default false).
    pub combinatorial_port_flood: bool,
    /// `lacp_timeout` (default 30).
    pub lacp_timeout: i64,
    /// `min_wildcard_table_size` (default 32).
    pub min_wildcard_table_size: i64,
    /// `max_wildcard_table_size` (default 1280).
    pub max_wildcard_table_size: i64,
    /// `port_table_scale_factor` (default 1.0).
    pub port_table_scale_factor: f64,
    /// `global_vlan` (default 0: none).
    pub global_vlan: i64,
    /// `cache_update_guard_time` (default: `timeout / 2`).
    pub cache_update_guard_time: i64,
    /// `use_classification` (default false).
    pub use_classification: bool,
    /// `egress_pipeline` (default false; forced true when a VLAN has `acls_out`).
    pub egress_pipeline: bool,
    /// `strict_packet_in_cookie` (default true).
    pub strict_packet_in_cookie: bool,
    /// `multi_out` (default true).
    pub multi_out: bool,
    /// `idle_dst` (default true).
    pub idle_dst: bool,
    /// True when any stack port of any stacked DP has `loop_protect_external` (FAUCET's
    /// `has_externals`, which adds `vlan_pcp` to some tables).
    pub has_externals: bool,
    /// The tunnels of every remote mirror of the configuration (a sluice extension: one per
    /// analyser port and tunnel VLAN), present on every stacked DP for their transit and exit
    /// rules. Empty on a DP that is not stacked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirror_tunnels: Vec<Tunnel>,
}

impl Dp {
    /// The ACL with this id.
    pub fn acl(&self, id: AclId) -> &Acl {
        &self.acls[id.0]
    }

    /// The meter with this id.
    pub fn meter(&self, id: MeterId) -> &Meter {
        &self.meters[id.0]
    }

    /// Every tunnel of the configuration (tunnel ACLs are resolved on every DP), in ACL
    /// order, each with the ACL it belongs to; then the remote mirrors' tunnels
    /// ([`Dp::mirror_tunnels`], with no ACL).
    pub fn tunnels(&self) -> impl Iterator<Item = (Option<AclId>, &Tunnel)> + '_ {
        let acl_tunnels = self.acls.iter().enumerate().flat_map(|(i, acl)| {
            acl.rules
                .iter()
                .filter_map(|r| r.actions.output.as_ref())
                .flat_map(|o| &o.actions)
                .filter_map(move |a| match a {
                    OutputAction::Tunnel(t) => Some((Some(AclId(i)), t)),
                    _ => None,
                })
        });
        acl_tunnels.chain(self.mirror_tunnels.iter().map(|t| (None, t)))
    }

    /// Where this DP sends packets into tunnels: each tunnel with the port whose `acls_in`
    /// holds its ACL, or `None` for `dp_acls` (every port). The reverse path of a
    /// `bi_directional` tunnel ends at these ports.
    pub fn tunnel_entries(&self) -> impl Iterator<Item = (&Tunnel, Option<PortNo>)> + '_ {
        let port_acls = self
            .ports
            .values()
            .flat_map(|p| p.acls_in.iter().map(move |a| (*a, Some(p.number))));
        let dp_acls = self.dp_acls.iter().map(|a| (*a, None));
        port_acls.chain(dp_acls).flat_map(move |(acl, port)| {
            self.tunnels()
                .filter(move |(a, _)| *a == Some(acl))
                .map(move |(_, t)| (t, port))
        })
    }
}

/// DP-level `lldp_beacon`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DpLldpBeacon {
    /// `send_interval` in seconds (default 5, at least 1).
    pub send_interval: i64,
    /// `max_per_interval` (default 5).
    pub max_per_interval: i64,
    /// `system_name` (default: the DP name).
    pub system_name: String,
}

/// DP-level `dot1x` (802.1X).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dot1x {
    /// `nfv_intf`: host interface running the authenticator.
    pub nfv_intf: Option<String>,
    /// `nfv_sw_port`: the switch port that interface is attached to.
    pub nfv_sw_port: Option<i64>,
    /// `radius_ip`.
    pub radius_ip: Option<String>,
    /// `radius_port`.
    pub radius_port: Option<i64>,
    /// `radius_secret`.
    pub radius_secret: Option<String>,
    /// `auth_acl`: applied after successful authentication (ports with `dot1x_acl`).
    pub auth_acl: Option<AclId>,
    /// `noauth_acl`: applied while unauthenticated (ports with `dot1x_acl`).
    pub noauth_acl: Option<AclId>,
}

/// DP-level `stack` settings, present when the DP has stack ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DpStack {
    /// `priority`: `Some` (> 0) makes this DP a root candidate; lower wins.
    pub priority: Option<i64>,
    /// `route_learning` (forced true when a stacked DP has VIPs).
    pub route_learning: bool,
    /// `down_time_multiple` (default 3).
    pub down_time_multiple: i64,
    /// `min_stack_health` (default 1.0).
    pub min_stack_health: f64,
    /// `min_lacp_health` (default 1.0).
    pub min_lacp_health: f64,
    /// The root chosen at load time (the healthiest candidate with the lowest priority, then
    /// the lowest dp_id; at load time every DP counts as unhealthy).
    pub root: DpId,
    /// The root candidates, best first.
    pub root_candidates: Vec<DpId>,
    /// True when some DP is more than one hop from the root (FAUCET's
    /// `root_flood_reflection`).
    pub root_flood_reflection: bool,
}

/// The far end of a stack port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StackPeer {
    /// The peer DP.
    pub dp: DpId,
    /// The peer's port.
    pub port: PortNo,
}

/// One port (`interfaces` entry, or a port of an `interface_ranges` entry).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    /// `number`.
    pub number: PortNo,
    /// `name` (default: the key).
    pub name: String,
    /// `description` (default: the name).
    pub description: String,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `native_vlan`: the untagged VLAN.
    pub native_vlan: Option<Vid>,
    /// `tagged_vlans`.
    pub tagged_vlans: Vec<Vid>,
    /// `acls_in` (or the deprecated `acl_in`).
    pub acls_in: Vec<AclId>,
    /// `permanent_learn` (default false).
    pub permanent_learn: bool,
    /// `unicast_flood` (default true).
    pub unicast_flood: bool,
    /// Where the port's traffic is copied to, and from (`mirror`).
    #[serde(flatten)]
    pub mirror: Rare<PortMirror>,
    /// `stack`: the far end of a stack link.
    pub stack: Option<StackPeer>,
    /// `max_hosts` (default 255).
    pub max_hosts: i64,
    /// `hairpin` (default false).
    pub hairpin: bool,
    /// `hairpin_unicast` (default false).
    pub hairpin_unicast: bool,
    /// The `lacp*` settings.
    #[serde(flatten)]
    pub lacp: Rare<PortLacp>,
    /// `loop_protect` (default false).
    pub loop_protect: bool,
    /// `loop_protect_external` (default false).
    pub loop_protect_external: bool,
    /// `output_only` (default false; forced true on mirror destinations that are not
    /// coprocessor ports, and on ACL mirror targets).
    pub output_only: bool,
    /// Whether `output_only: true` is written in the configuration (FAUCET installs its
    /// explicit input drop only then; a port that is output-only only as a mirror target
    /// drops its input by having no VLAN).
    #[serde(skip)]
    pub output_only_configured: bool,
    /// `lldp_beacon` (stack ports always beacon).
    pub lldp_beacon: Rare<PortLldpBeacon>,
    /// `opstatus_reconf` (default true).
    pub opstatus_reconf: bool,
    /// `receive_lldp` (default false; true on stack ports).
    pub receive_lldp: bool,
    /// `lldp_peer_mac`.
    #[serde(serialize_with = "ser_opt_mac")]
    pub lldp_peer_mac: Option<MacAddr>,
    /// `max_lldp_lost` (default 3).
    pub max_lldp_lost: i64,
    /// `dot1x` (default false).
    pub dot1x: bool,
    /// `dot1x_acl` (default false).
    pub dot1x_acl: bool,
    /// `dot1x_mab` (default false).
    pub dot1x_mab: bool,
    /// `dot1x_dyn_acl` (default false).
    pub dot1x_dyn_acl: bool,
    /// `restricted_bcast_arpnd` (default false).
    pub restricted_bcast_arpnd: bool,
    /// `coprocessor`.
    pub coprocessor: Option<Coprocessor>,
    /// `count_untag_vlan_miss` (default false).
    pub count_untag_vlan_miss: bool,
}

impl Port {
    /// The VLANs on this port: the native one first, then the tagged ones.
    pub fn vlans(&self) -> impl Iterator<Item = Vid> + '_ {
        self.native_vlan
            .into_iter()
            .chain(self.tagged_vlans.iter().copied())
    }

    /// Whether the port's traffic is mirrored anywhere, to ports of its own DP or (a sluice
    /// extension) of another.
    pub fn is_mirrored(&self) -> bool {
        !self.mirror.destinations.is_empty() || !self.mirror.remote_destinations.is_empty()
    }
}

/// Settings that most ports leave at their defaults, stored only where they do not: for
/// the others a null pointer instead of the settings, which counts with 240,000 ports (10,000
/// DPs of 24). Read through `Deref`, which shows the defaults when nothing is stored.
#[derive(Clone)]
pub struct Rare<T: RareDefault>(Option<Box<T>>);

/// A type whose default value a [`Rare`] shows without storing it.
pub trait RareDefault: PartialEq + 'static {
    /// The default value.
    fn default_ref() -> &'static Self;
}

impl<T: RareDefault> Rare<T> {
    /// `value`, stored only if it is not the default.
    pub fn new(value: T) -> Self {
        Rare((value != *T::default_ref()).then(|| Box::new(value)))
    }
}

impl<T: RareDefault + Clone> Rare<T> {
    /// Changes the value with `f` (stored again only if it is not the default).
    pub fn update(&mut self, f: impl FnOnce(&mut T)) {
        let mut value = self
            .0
            .take()
            .map_or_else(|| T::default_ref().clone(), |b| *b);
        f(&mut value);
        *self = Rare::new(value);
    }
}

impl<T: RareDefault> Default for Rare<T> {
    fn default() -> Self {
        Rare(None)
    }
}

impl<T: RareDefault> std::ops::Deref for Rare<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or_else(|| T::default_ref())
    }
}

impl<T: RareDefault> PartialEq for Rare<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: RareDefault + fmt::Debug> fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: RareDefault + Serialize> Serialize for Rare<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// A port's LACP settings (FAUCET's `lacp*` port keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortLacp {
    /// `lacp`: LAG id (0: no LACP).
    #[serde(rename = "lacp")]
    pub lag: i64,
    /// `lacp_active` (default false).
    #[serde(rename = "lacp_active")]
    pub active: bool,
    /// `lacp_collect_and_distribute` (default false).
    #[serde(rename = "lacp_collect_and_distribute")]
    pub collect_and_distribute: bool,
    /// `lacp_unselected` (default false).
    #[serde(rename = "lacp_unselected")]
    pub unselected: bool,
    /// `lacp_selected` (default false).
    #[serde(rename = "lacp_selected")]
    pub selected: bool,
    /// `lacp_standby` (default false).
    #[serde(rename = "lacp_standby")]
    pub standby: bool,
    /// `lacp_passthrough`: ports whose LACP must be up for this port to answer.
    #[serde(rename = "lacp_passthrough")]
    pub passthrough: Vec<PortNo>,
    /// `lacp_resp_interval` (default 1).
    #[serde(rename = "lacp_resp_interval")]
    pub resp_interval: i64,
    /// `lacp_port_priority` (0..=255, default 255).
    #[serde(rename = "lacp_port_priority")]
    pub port_priority: u8,
    /// `lacp_port_id` (default: DP index * 100 + port number, for LACP ports; -1 otherwise).
    #[serde(rename = "lacp_port_id")]
    pub port_id: i64,
}

/// A port's mirroring: the ports it copies, and where its own traffic is copied to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortMirror {
    /// `mirror` as configured: the ports whose traffic is copied to this port.
    #[serde(rename = "mirror_sources")]
    pub sources: Vec<PortNo>,
    /// The ports this port's traffic is copied to (FAUCET's internal meaning of `mirror`:
    /// the inverse of `sources`).
    #[serde(rename = "mirror_destinations")]
    pub destinations: Vec<PortNo>,
    /// The ports of other DPs this port's traffic is copied to, each as the tunnel that
    /// carries the copies (a sluice extension: `mirror: [{dp, port}]` on the analyser port).
    #[serde(
        rename = "remote_mirror_destinations",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub remote_destinations: Vec<Tunnel>,
}

/// A port that is not mirrored and mirrors nothing.
static NO_MIRROR: PortMirror = PortMirror {
    sources: Vec::new(),
    destinations: Vec::new(),
    remote_destinations: Vec::new(),
};

impl RareDefault for PortMirror {
    fn default_ref() -> &'static Self {
        &NO_MIRROR
    }
}

/// A port without LACP.
static NO_LACP: PortLacp = PortLacp {
    lag: 0,
    active: false,
    collect_and_distribute: false,
    unselected: false,
    selected: false,
    standby: false,
    passthrough: Vec::new(),
    resp_interval: 1,
    port_priority: 255,
    port_id: -1,
};

impl RareDefault for PortLacp {
    fn default_ref() -> &'static Self {
        &NO_LACP
    }
}

/// Port-level `lldp_beacon`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PortLldpBeacon {
    /// `enable` (default false; true on stack ports).
    pub enable: bool,
    /// `org_tlvs`.
    pub org_tlvs: Vec<OrgTlv>,
    /// `system_name` (default: the DP's beacon system name).
    pub system_name: Option<String>,
    /// `port_descr` (default: the port description, when enabled).
    pub port_descr: Option<String>,
}

/// A port that sends no beacon.
static NO_BEACON: PortLldpBeacon = PortLldpBeacon {
    enable: false,
    org_tlvs: Vec::new(),
    system_name: None,
    port_descr: None,
};

impl RareDefault for PortLldpBeacon {
    fn default_ref() -> &'static Self {
        &NO_BEACON
    }
}

/// An LLDP organisationally specific TLV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgTlv {
    /// `oui` (as bytes; an integer in the configuration).
    #[serde(serialize_with = "ser_hex")]
    pub oui: Vec<u8>,
    /// `subtype`.
    pub subtype: i64,
    /// `info` (hex, or else the UTF-8 bytes of the text).
    #[serde(serialize_with = "ser_hex")]
    pub info: Vec<u8>,
}

/// Port `coprocessor` settings (strategy `vlan_vid`, the only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coprocessor {
    /// `vlan_vid_base` (default 1000).
    pub vlan_vid_base: i64,
}

/// One VLAN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vlan {
    /// `vid`.
    pub vid: Vid,
    /// `name` (default: the key).
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `acls_in` (or `acl_in`): VLAN ingress ACLs.
    pub acls_in: Vec<AclId>,
    /// `acls_out` (or `acl_out`): egress ACLs.
    pub acls_out: Vec<AclId>,
    /// `faucet_vips`: router interface addresses (address and prefix).
    pub faucet_vips: Vec<IpNet>,
    /// `faucet_mac` (default 0e:00:00:00:00:01).
    #[serde(serialize_with = "ser_mac")]
    pub faucet_mac: MacAddr,
    /// `unicast_flood` (default true).
    pub unicast_flood: bool,
    /// `routes`: static routes.
    pub routes: Vec<Route>,
    /// `max_hosts` (default 256).
    pub max_hosts: i64,
    /// `proactive_arp_limit` (default `2 * max_hosts`).
    pub proactive_arp_limit: i64,
    /// `proactive_nd_limit` (default `2 * max_hosts`).
    pub proactive_nd_limit: i64,
    /// `targeted_gw_resolution` (default true).
    pub targeted_gw_resolution: bool,
    /// `minimum_ip_size_check` (default true).
    pub minimum_ip_size_check: bool,
    /// `reserved_internal_vlan` (default false; true for tunnel VLANs).
    pub reserved_internal_vlan: bool,
    /// `dot1x_assigned` (default false).
    pub dot1x_assigned: bool,
    /// `edge_learn_stack_root` (default true).
    pub edge_learn_stack_root: bool,
    /// Ports of this DP with this VLAN tagged, by number.
    pub tagged: Vec<PortNo>,
    /// Ports of this DP with this VLAN as native VLAN, by number.
    pub untagged: Vec<PortNo>,
}

/// A static route (`routes: - route: {ip_dst, ip_gw}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `ip_dst`: the destination network.
    pub ip_dst: IpNet,
    /// `ip_gw`: the next hop (same IP version).
    pub ip_gw: IpAddr,
}

/// One router (`routers` entry) as seen by a DP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Router {
    /// The router's name.
    pub name: String,
    /// The VLANs it routes between (those present on the DP).
    pub vlans: Vec<Vid>,
    /// `bgp`, when configured.
    pub bgp: Option<Bgp>,
}

/// Router `bgp` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bgp {
    /// `as`: the local AS.
    pub local_as: i64,
    /// `connect_mode` (only "passive").
    pub connect_mode: String,
    /// `neighbor_addresses`.
    pub neighbor_addresses: Vec<IpAddr>,
    /// `neighbor_as`.
    pub neighbor_as: i64,
    /// `port`: the port the speaker listens on.
    pub port: i64,
    /// `routerid` (as written).
    pub routerid: String,
    /// `server_addresses` (one per IP version).
    pub server_addresses: Vec<IpAddr>,
    /// `vlan`: the VLAN the speaker serves.
    pub vlan: Vid,
}

/// A meter (`meters` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meter {
    /// The meter's name.
    pub name: String,
    /// `meter_id`.
    pub meter_id: u32,
    /// `entry.flags` as the OpenFlow bit set (KBPS 1, PKTPS 2, BURST 4, STATS 8; unknown
    /// names are ignored, as in FAUCET).
    pub flags: u16,
    /// `entry.bands` (bands of an unknown type are ignored, as in FAUCET).
    pub bands: Vec<MeterBand>,
}

/// A meter band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MeterBand {
    /// `type`.
    pub kind: MeterBandKind,
    /// `rate`.
    pub rate: u32,
    /// `burst_size`.
    pub burst_size: u32,
}

/// The kind of a meter band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MeterBandKind {
    /// `DROP`.
    Drop,
    /// `DSCP_REMARK` with its `prec_level`.
    DscpRemark {
        /// `prec_level`.
        prec_level: u8,
    },
    /// `EXPERIMENTER` with its experimenter id.
    Experimenter {
        /// `experimenter`.
        experimenter: u32,
    },
}

/// An ACL, resolved for one DP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acl {
    /// The ACL's name.
    pub name: String,
    /// `exact_match` (default false).
    pub exact_match: bool,
    /// `dot1x_assigned` (default false).
    pub dot1x_assigned: bool,
    /// The rules, in order (first match wins).
    pub rules: Vec<AclRule>,
}

/// One ACL rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AclRule {
    /// The match fields, in the order written (legacy names such as `dl_type` are translated;
    /// a field given twice under two names keeps the last value).
    pub matches: Vec<Match>,
    /// `cookie` for this rule's flow (0..=65536; default: the DP cookie).
    pub cookie: Option<u32>,
    /// `description`.
    pub description: Option<String>,
    /// `actions`.
    pub actions: AclActions,
}

/// An integer value with an optional mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Masked<T> {
    /// The value.
    pub value: T,
    /// The mask (`None`: exact).
    pub mask: Option<T>,
}

/// One ACL match field with its value, as it will be put in the OXM (numbers wrap to the
/// field's width, as os-ken encodes them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum Match {
    /// `in_port` (a number or a reserved name such as `LOCAL`).
    InPort(u32),
    /// `in_phy_port`.
    InPhyPort(u32),
    /// `metadata`.
    Metadata(Masked<u64>),
    /// `eth_dst` / `dl_dst`.
    EthDst(MaskedMac),
    /// `eth_src` / `dl_src`.
    EthSrc(MaskedMac),
    /// `eth_type` / `dl_type`.
    EthType(u16),
    /// `vlan_vid` / `dl_vlan`: the OXM value, with `OFPVID_PRESENT` (0x1000) already added
    /// for decimal VIDs, as os-ken does.
    VlanVid(Masked<u16>),
    /// `vlan_pcp`.
    VlanPcp(u8),
    /// `ip_dscp`.
    IpDscp(u8),
    /// `ip_ecn`.
    IpEcn(u8),
    /// `ip_proto` / `nw_proto`.
    IpProto(u8),
    /// `ipv4_src` / `nw_src`.
    Ipv4Src(MaskedIpv4),
    /// `ipv4_dst` / `nw_dst`.
    Ipv4Dst(MaskedIpv4),
    /// `tcp_src`.
    TcpSrc(Masked<u16>),
    /// `tcp_dst`.
    TcpDst(Masked<u16>),
    /// `udp_src`.
    UdpSrc(Masked<u16>),
    /// `udp_dst`.
    UdpDst(Masked<u16>),
    /// `sctp_src`.
    SctpSrc(Masked<u16>),
    /// `sctp_dst`.
    SctpDst(Masked<u16>),
    /// `icmpv4_type`.
    Icmpv4Type(u8),
    /// `icmpv4_code`.
    Icmpv4Code(u8),
    /// `arp_op`.
    ArpOp(u16),
    /// `arp_spa`.
    ArpSpa(MaskedIpv4),
    /// `arp_tpa`.
    ArpTpa(MaskedIpv4),
    /// `arp_sha`.
    ArpSha(MaskedMac),
    /// `arp_tha`.
    ArpTha(MaskedMac),
    /// `ipv6_src`.
    Ipv6Src(MaskedIpv6),
    /// `ipv6_dst`.
    Ipv6Dst(MaskedIpv6),
    /// `ipv6_flabel`.
    Ipv6Flabel(u32),
    /// `icmpv6_type`.
    Icmpv6Type(u8),
    /// `icmpv6_code`.
    Icmpv6Code(u8),
    /// `ipv6_nd_target`.
    Ipv6NdTarget(MaskedIpv6),
    /// `ipv6_nd_sll`.
    Ipv6NdSll(MaskedMac),
    /// `ipv6_nd_tll`.
    Ipv6NdTll(MaskedMac),
    /// `mpls_label`.
    MplsLabel(u32),
    /// `mpls_tc`.
    MplsTc(u8),
    /// `mpls_bos`.
    MplsBos(u8),
    /// `pbb_isid` (24 bits).
    PbbIsid(Masked<u32>),
    /// `tunnel_id`.
    TunnelId(Masked<u64>),
    /// `ipv6_exthdr`.
    Ipv6Exthdr(Masked<u16>),
    /// Nicira `eth_type_nxm`.
    EthTypeNxm(u16),
    /// Nicira `ip_proto_nxm`.
    IpProtoNxm(u8),
    /// Nicira `nw_ttl`.
    NwTtl(u8),
    /// Nicira `ct_state`.
    CtState(Masked<u32>),
    /// Nicira `ct_zone`.
    CtZone(u16),
    /// Nicira `ct_mark`.
    CtMark(Masked<u32>),
    /// Nicira `ct_label` (128 bits).
    CtLabel(Masked<u128>),
}

/// A MAC address with an optional mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskedMac {
    /// The address.
    pub value: MacAddr,
    /// The mask (`None`: exact).
    pub mask: Option<MacAddr>,
}

impl Serialize for MaskedMac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.mask {
            Some(mask) => s.collect_str(&format_args!("{}/{}", self.value, mask)),
            None => s.collect_str(&self.value),
        }
    }
}

/// An IPv4 address with an optional (possibly non-contiguous) mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MaskedIpv4 {
    /// The address.
    pub value: Ipv4Addr,
    /// The mask (`None`: exact).
    pub mask: Option<Ipv4Addr>,
}

/// An IPv6 address with an optional (possibly non-contiguous) mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MaskedIpv6 {
    /// The address.
    pub value: Ipv6Addr,
    /// The mask (`None`: exact).
    pub mask: Option<Ipv6Addr>,
}

/// The `actions` of an ACL rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AclActions {
    /// Whether matching packets continue through the pipeline: `allow: 1`, or a `mirror`
    /// without an explicit `allow` (FAUCET's implicit allow). Default: drop.
    pub allow: bool,
    /// `force_port_vlan: 1`: skip the VLAN check and go straight to L2 forwarding.
    pub force_port_vlan: bool,
    /// `meter`.
    pub meter: Option<MeterId>,
    /// `mirror`: copy matching packets to this port (placed before the other actions).
    pub mirror: Option<PortNo>,
    /// `output`.
    pub output: Option<Output>,
    /// `ct` (conntrack, Open vSwitch only).
    pub ct: Option<Conntrack>,
}

/// The `output` action: its steps in the order they apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// True when written as an ordered list; false for the dict form, whose keys FAUCET
    /// applies in a fixed order (already reflected in `actions`).
    pub ordered: bool,
    /// The steps.
    pub actions: Vec<OutputAction>,
    /// True when FAUCET ends processing after this output (no `allow`, and the output names a
    /// port): then `allow` and `ct` are not applied.
    pub terminal: bool,
}

/// One step of an `output` action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputAction {
    /// `pop_vlans: n` (one pop action per count).
    PopVlans(u32),
    /// `vlan_vid` or an element of `vlan_vids`: push a tag with this VID.
    PushVlan {
        /// The VID (written with `OFPVID_PRESENT` when the flow is built).
        vid: u16,
        /// The TPID (default 0x8100).
        eth_type: u16,
    },
    /// `swap_vid`: rewrite the outer VID.
    SwapVid(u16),
    /// One `set_fields` entry.
    SetField(SetField),
    /// `port`, or one of `ports`.
    Port(PortNo),
    /// `failover`: a fast-failover group.
    Failover {
        /// `group_id`.
        group_id: u32,
        /// The ports, in preference order.
        ports: Vec<PortNo>,
    },
    /// `tunnel`: send the packet through the stack to another DP.
    Tunnel(Tunnel),
}

/// A field set by `set_fields`. The value is the one that ends up in the OXM.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum SetField {
    /// A MAC field (`eth_dst`, `eth_src`, `arp_sha`, `arp_tha`, `ipv6_nd_sll`,
    /// `ipv6_nd_tll`).
    Mac {
        /// The field name.
        name: String,
        /// The value.
        #[serde(serialize_with = "ser_mac")]
        value: MacAddr,
    },
    /// An IPv4 field (`ipv4_src`, `ipv4_dst`, `arp_spa`, `arp_tpa`), with an optional mask.
    Ipv4 {
        /// The field name.
        name: String,
        /// The value.
        value: MaskedIpv4,
    },
    /// An IPv6 field, with an optional mask.
    Ipv6 {
        /// The field name.
        name: String,
        /// The value.
        value: MaskedIpv6,
    },
    /// An integer field, wrapped to the field's width.
    Int {
        /// The field name.
        name: String,
        /// The value.
        value: u128,
    },
}

/// A tunnel (`output: {tunnel: ...}`), resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tunnel {
    /// `dp`: the destination DP.
    pub dst_dp: DpId,
    /// `port`: the destination port (`None`: deliver through the destination DP's eth_dst
    /// table).
    pub dst_port: Option<PortNo>,
    /// `tunnel_id`: the tunnel VLAN (configured, or allocated above the highest VID).
    pub tunnel_id: Vid,
    /// `type` (only "vlan").
    pub kind: String,
    /// `exit_instructions`: output steps applied at the destination.
    pub exit_instructions: Vec<OutputAction>,
    /// `bi_directional` (default false).
    pub bi_directional: bool,
    /// `maintain_encapsulation` (default false).
    pub maintain_encapsulation: bool,
    /// `reverse` (default false).
    pub reverse: bool,
}

/// The `ct` (conntrack) action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conntrack {
    /// `clear: true`: clear the conntrack state.
    Clear,
    /// Send to the connection tracker.
    Commit {
        /// `flags`.
        flags: u16,
        /// `alg`.
        alg: u16,
        /// `table`: the table to recirculate to.
        table: u8,
        /// `zone`.
        zone: u16,
        /// `zone_src`.
        zone_src: Option<u32>,
        /// `nat`.
        nat: Option<Nat>,
        /// `mark`.
        mark: Option<u32>,
        /// `label`.
        label: Option<u128>,
    },
}

/// The `nat` part of a `ct` action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nat {
    /// `flags`.
    pub flags: u16,
    /// `range_ipv4_min`.
    pub range_ipv4_min: Option<Ipv4Addr>,
    /// `range_ipv4_max`.
    pub range_ipv4_max: Option<Ipv4Addr>,
    /// `range_ipv6_min`.
    pub range_ipv6_min: Option<Ipv6Addr>,
    /// `range_ipv6_max`.
    pub range_ipv6_max: Option<Ipv6Addr>,
    /// `range_proto_min`.
    pub range_proto_min: Option<u16>,
    /// `range_proto_max`.
    pub range_proto_max: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_settings_store_only_what_differs_from_the_default() {
        let none = Rare::new(NO_LACP.clone());
        assert!(none.0.is_none());
        assert_eq!(none, Rare::default());
        assert_eq!(none.resp_interval, 1);
        let lag = Rare::new(PortLacp {
            lag: 3,
            ..NO_LACP.clone()
        });
        assert!(lag.0.is_some());
        assert_eq!((lag.lag, lag.port_id), (3, -1));
        assert_ne!(lag, none);
        assert_eq!(
            serde_json::to_value(&none).ok(),
            serde_json::to_value(&NO_LACP).ok()
        );
    }

    #[test]
    fn an_update_back_to_the_default_stores_nothing() {
        let mut mirror = Rare::<PortMirror>::default();
        mirror.update(|m| m.sources.push(PortNo(2)));
        assert_eq!(mirror.sources, [PortNo(2)]);
        mirror.update(|m| m.sources.clear());
        assert!(mirror.0.is_none());
    }
}
