//! A whole test network from a FAUCET configuration: [`Lab::build`].
//!
//! * every DP becomes a userspace OVS bridge with the DP's `dp_id` (secure fail mode, so only
//!   the controller's flows forward anything), every configured port an OVS port with the
//!   configured number;
//! * every enabled port that carries VLANs gets a [`Host`] behind it: one interface per VLAN
//!   (`eth0` untagged for the native VLAN, `eth0.<vid>` for each tagged one), one address per
//!   VLAN;
//! * stack ports become veth cables between the two bridges;
//! * `loop_protect_external` ports are joined by one ordinary learning switch (a standalone
//!   OVS bridge), the network outside the stack, with one host on it (planned as the first
//!   such port's host: its VLANs, and found by that port);
//! * the looped port of FAUCET's remote mirroring (see [`is_loopback_port`]) gets a loopback
//!   plug: a veth whose far end sends every frame straight back;
//! * any other port (disabled, output-only, mirror, coprocessor, no VLAN) gets a veth with
//!   nothing behind it.
//!
//! Addresses: each VLAN gets a /24 subnet, `10.(vid >> 8).(vid & 255).0/24` (so 10.0.100.0/24
//! for VLAN 100; never the machines' own 192.0.2.0/24), or the subnet of its first IPv4
//! `faucet_vips` entry when that is a private or documentation range that overlaps nothing
//! else; hosts are numbered from 1 within their VLAN, skipping the VIPs. MACs are
//! `0a:<dp index>:<port>:<vid>` (two bytes each for port and VID): locally administered,
//! and clear of FAUCET's own `0e:00:00:00:00:xx`.
//!
//! Names: bridges `<prefix><dp name>` (or `<prefix>b<n>`), the switch side of port `p` of the
//! `i`-th DP `<prefix><i>p<p>`, namespaces `<prefix>-<dp name>-<port name>`; all come from a
//! unique [`Prefix`], so labs and tests run side by side.

use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net};
use sluice_config::{Config, Dp, Port, Vid};
use sluice_wire::MacAddr;

use crate::Prefix;
use crate::cmd::CmdError;
use crate::expect;
use crate::host::{Host, HostSpec, Iface, MAX_LINK_NAME, quiet_root_end};
use crate::matrix::{self, Matrix};
use crate::ovs::{Bridge, PortSpec, ensure_ovs};
use crate::veth::Veth;

/// Why a lab could not be built or measured.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A command failed.
    #[error(transparent)]
    Cmd(#[from] CmdError),
    /// The lab needs something this machine lacks (root, Open vSwitch, a tool).
    #[error("{0}")]
    Unavailable(String),
    /// The configuration asks for something the lab cannot build.
    #[error("cannot build a lab for this configuration: {0}")]
    Unsupported(String),
    /// Stopped on request (Ctrl-C).
    #[error("interrupted")]
    Cancelled,
}

/// Checks that the lab can run here: root, the tools it uses, and Open vSwitch (started in
/// userspace mode if it is not running).
///
/// # Errors
/// [`LabError::Unavailable`] saying what is missing and how to get it.
pub fn preflight() -> Result<(), LabError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0");
    if !root {
        return Err(LabError::Unavailable(
            "the lab needs root (network namespaces, veth pairs and Open vSwitch bridges): \
             run it with sudo"
                .into(),
        ));
    }
    for (tool, package) in [
        ("ip", "iproute2"),
        ("ping", "iputils-ping"),
        ("ovs-vsctl", "openvswitch-switch"),
        ("ovs-ofctl", "openvswitch-switch"),
    ] {
        if crate::cmd::command(tool, &["-V"]).output().is_err() {
            return Err(LabError::Unavailable(format!(
                "`{tool}` is missing: install {package} (scripts/setup-deps installs everything \
                 the lab needs)"
            )));
        }
    }
    ensure_ovs().map_err(|e| {
        LabError::Unavailable(format!(
            "Open vSwitch is not running and could not be started ({e}); scripts/setup-deps \
             installs and starts it"
        ))
    })
}

/// One interface of one host, as the reachability matrix sees it: a host in one VLAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// A short name for tables: the port's name (with the DP's name first when the lab has
    /// several DPs), and `.vid` when the port carries several VLANs.
    pub label: String,
    /// The DP.
    pub dp_id: u64,
    /// The DP's name.
    pub dp_name: String,
    /// The port the host is behind.
    pub port: u32,
    /// The port's name.
    pub port_name: String,
    /// The VLAN.
    pub vid: u16,
    /// Whether the VLAN is tagged on the port.
    pub tagged: bool,
    /// The host, an index into [`Lab::hosts`].
    pub host: usize,
    /// The host's namespace.
    pub ns: String,
    /// The interface in the namespace.
    pub iface: String,
    /// Its MAC.
    pub mac: MacAddr,
    /// Its address.
    pub addr: Ipv4Addr,
    /// Its subnet's prefix length.
    pub prefix_len: u8,
    /// The group of DPs joined by stack links that this DP belongs to.
    pub segment: usize,
}

impl Endpoint {
    /// Whether `other` should be reachable from here by VLAN membership: another host, in
    /// the same VLAN, on a DP joined to this one (the same DP, or stacked).
    pub fn should_reach(&self, other: &Endpoint) -> bool {
        self.host != other.host && self.vid == other.vid && self.segment == other.segment
    }
}

/// A test network built from a configuration. Everything is deleted when it is dropped (also
/// while a panic unwinds).
#[derive(Debug)]
pub struct Lab {
    // Drop order is field order: bridges first (the controller sees its switches go, not a
    // storm of port deletions), then hosts, then the remaining cables.
    bridges: Vec<(u64, Bridge)>,
    /// The external network joining the `loop_protect_external` ports, if any.
    external: Option<Bridge>,
    hosts: Vec<Host>,
    veths: Vec<Veth>,
    endpoints: Vec<Endpoint>,
    /// What a ping from endpoint `i` to `j` should do (`None`: the lab cannot tell).
    expected: BTreeMap<(usize, usize), Option<bool>>,
    host_ports: Vec<(u64, u32)>,
    port_ifaces: BTreeMap<(u64, u32), String>,
    prefix: Prefix,
}

/// How one port is wired.
enum Wiring {
    /// A host behind it.
    Host(HostSpec, Vec<Endpoint>),
    /// A stack cable to the port of another DP (made once, by the lower of the two).
    Stack { peer: (u64, u32) },
    /// A veth with nothing behind it.
    Plain,
    /// A loopback plug: a veth whose far end sends back everything it receives.
    Loopback,
    /// A `loop_protect_external` port: a veth to the lab's one external network (an
    /// ordinary learning switch outside the stack), which the first such port also plans a
    /// host on.
    External(Option<(HostSpec, Vec<Endpoint>)>),
}

impl Lab {
    /// Builds the lab for `config` and points every bridge at `controller` (an OVS target,
    /// such as `tcp:127.0.0.1:6653`).
    ///
    /// # Errors
    /// [`LabError`] if the machine lacks something, the configuration cannot be built, or a
    /// command fails; whatever was made by then is deleted.
    pub fn build(config: &Config, controller: &str) -> Result<Lab, LabError> {
        Lab::build_cancellable(config, controller, &AtomicBool::new(false))
    }

    /// [`Lab::build`] that stops early, deleting what it made, once `cancel` is set.
    ///
    /// # Errors
    /// As [`Lab::build`]; [`LabError::Cancelled`] if cancelled.
    pub fn build_cancellable(
        config: &Config,
        controller: &str,
        cancel: &AtomicBool,
    ) -> Result<Lab, LabError> {
        preflight()?;
        let prefix = Prefix::new();
        let plan = plan(config, &prefix)?;
        let mut lab = Lab {
            bridges: Vec::new(),
            external: None,
            hosts: Vec::new(),
            veths: Vec::new(),
            endpoints: Vec::new(),
            expected: BTreeMap::new(),
            host_ports: Vec::new(),
            port_ifaces: plan.port_ifaces.clone(),
            prefix,
        };
        let check = || {
            if cancel.load(Ordering::Relaxed) {
                Err(LabError::Cancelled)
            } else {
                Ok(())
            }
        };
        for (dp_id, name) in &plan.bridges {
            check()?;
            lab.bridges.push((*dp_id, Bridge::create(name, *dp_id)?));
        }
        for ((dp_id, port), wiring) in plan.wiring {
            check()?;
            let iface = &plan.port_ifaces[&(dp_id, port)];
            match wiring {
                Wiring::Host(spec, endpoints) => {
                    let host = Host::create(&spec)?;
                    let index = lab.hosts.len();
                    lab.hosts.push(host);
                    lab.host_ports.push((dp_id, port));
                    debug_assert!(endpoints.iter().all(|e| e.host == index));
                    lab.endpoints.extend(endpoints);
                }
                Wiring::Stack { peer } => {
                    if (dp_id, port) < peer {
                        let veth = Veth::create(iface, &plan.port_ifaces[&peer])?;
                        quiet_root_end(veth.a())?;
                        quiet_root_end(veth.b())?;
                        lab.veths.push(veth);
                    }
                }
                Wiring::Plain => {
                    let veth = veth_to_nothing(iface)?;
                    lab.veths.push(veth);
                }
                Wiring::Loopback => {
                    let veth = veth_to_nothing(iface)?;
                    veth.loop_back_b()?;
                    lab.veths.push(veth);
                }
                Wiring::External(host) => {
                    if lab.external.is_none() {
                        lab.external = Some(Bridge::create_standalone(&lab.prefix.name("ext"))?);
                    }
                    let veth = veth_to_nothing(iface)?;
                    let mut far = vec![PortSpec::with(veth.b(), &[])];
                    lab.veths.push(veth);
                    if let Some((spec, endpoints)) = host {
                        lab.hosts.push(Host::create(&spec)?);
                        lab.host_ports.push((dp_id, port));
                        lab.endpoints.extend(endpoints);
                        far.push(PortSpec::with(&spec.link, &[]));
                    }
                    if let Some(ext) = &lab.external {
                        ext.add_ports(&far)?;
                    }
                }
            }
        }
        for (i, a) in lab.endpoints.iter().enumerate() {
            for (j, b) in lab.endpoints.iter().enumerate() {
                if a.host != b.host {
                    lab.expected.insert((i, j), expect::expect(config, a, b));
                }
            }
        }
        for (dp_id, bridge) in &lab.bridges {
            check()?;
            let ports: Vec<PortSpec> = lab
                .port_ifaces
                .range((*dp_id, 0)..=(*dp_id, u32::MAX))
                .map(|((_, port), iface)| PortSpec::numbered(iface, *port))
                .collect();
            bridge.add_ports(&ports)?;
        }
        for (_, bridge) in &lab.bridges {
            check()?;
            bridge.set_controller(controller)?;
        }
        Ok(lab)
    }

    /// The unique prefix of every name in this lab.
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The bridges, with their datapath ids, in configuration order.
    pub fn bridges(&self) -> impl Iterator<Item = (u64, &Bridge)> {
        self.bridges.iter().map(|(id, b)| (*id, b))
    }

    /// The bridge of DP `dp_id`.
    pub fn bridge(&self, dp_id: u64) -> Option<&Bridge> {
        self.bridges
            .iter()
            .find(|(id, _)| *id == dp_id)
            .map(|(_, b)| b)
    }

    /// The hosts.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The host behind port `port` of DP `dp_id`.
    pub fn host(&self, dp_id: u64, port: u32) -> Option<&Host> {
        self.host_ports
            .iter()
            .position(|p| *p == (dp_id, port))
            .and_then(|i| self.hosts.get(i))
    }

    /// Every host interface, one per (host, VLAN), in configuration order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The host interface behind `port` of DP `dp_id` in VLAN `vid`.
    pub fn endpoint(&self, dp_id: u64, port: u32, vid: u16) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.dp_id == dp_id && e.port == port && e.vid == vid)
    }

    /// The root-namespace interface that is OpenFlow port `port` of DP `dp_id` (set it down
    /// to take the port down).
    pub fn port_iface(&self, dp_id: u64, port: u32) -> Option<&str> {
        self.port_ifaces.get(&(dp_id, port)).map(String::as_str)
    }

    /// Waits until every bridge reports its controller connection up.
    ///
    /// # Errors
    /// If one is not up within `timeout`.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), LabError> {
        for (_, bridge) in &self.bridges {
            bridge.wait_connected(timeout)?;
        }
        Ok(())
    }

    /// What a ping from `from` to `to` (indexes into [`Lab::endpoints`]) should do by the
    /// configuration: answered if they share a VLAN (on one DP or stacked DPs) and the ACLs
    /// on the way let ARP and ICMP echo through. `None` when the lab cannot tell (ACLs that
    /// redirect, for example), or for two interfaces of the same host.
    pub fn expected(&self, from: usize, to: usize) -> Option<bool> {
        self.expected.get(&(from, to)).copied().flatten()
    }

    /// Pings every host interface from every other host's interfaces and compares with
    /// [`Lab::expected`]. Learning and ARP are warmed up first, pings run in parallel, and a
    /// missing reply is retried once, so the whole matrix takes a few seconds.
    pub fn matrix(&self) -> Matrix {
        matrix::measure(&self.endpoints, &self.expected, &AtomicBool::new(false))
    }

    /// [`Lab::matrix`] that stops early once `cancel` is set.
    ///
    /// # Errors
    /// [`LabError::Cancelled`] if cancelled.
    pub fn matrix_cancellable(&self, cancel: &AtomicBool) -> Result<Matrix, LabError> {
        let m = matrix::measure(&self.endpoints, &self.expected, cancel);
        if cancel.load(Ordering::Relaxed) {
            return Err(LabError::Cancelled);
        }
        Ok(m)
    }

    /// A table of the lab: bridges, then each host interface with its namespace, VLAN and
    /// address (what a user needs to poke at it with `ip netns exec`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (dp_id, bridge) in &self.bridges {
            let _ = writeln!(out, "bridge {} (dp_id {dp_id:#x})", bridge.name());
        }
        let rows: Vec<[String; 6]> = self
            .endpoints
            .iter()
            .map(|e| {
                [
                    e.label.clone(),
                    format!("{} port {}", e.dp_name, e.port),
                    format!("{}{}", e.vid, if e.tagged { " tagged" } else { "" }),
                    e.ns.clone(),
                    e.iface.clone(),
                    format!("{}/{} {}", e.addr, e.prefix_len, e.mac),
                ]
            })
            .collect();
        let header = [
            "host",
            "switch port",
            "VLAN",
            "namespace",
            "iface",
            "address",
        ];
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cells: &[&str]| {
            let mut l = String::new();
            for (c, w) in cells.iter().zip(widths) {
                let _ = write!(l, "{c:<w$}  ");
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header));
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{}", line(&cells));
        }
        out
    }
}

impl fmt::Display for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What to build, computed from the configuration before anything is made.
struct Plan {
    bridges: Vec<(u64, String)>,
    port_ifaces: BTreeMap<(u64, u32), String>,
    wiring: Vec<((u64, u32), Wiring)>,
}

/// The host interfaces a lab for `config` would have (for tests of what depends on them).
#[cfg(test)]
pub(crate) fn plan_endpoints(config: &Config, prefix: &Prefix) -> Result<Vec<Endpoint>, LabError> {
    Ok(plan(config, prefix)?
        .wiring
        .into_iter()
        .flat_map(|(_, w)| match w {
            Wiring::Host(_, e) | Wiring::External(Some((_, e))) => e,
            _ => Vec::new(),
        })
        .collect())
}

/// Keeps only `[A-Za-z0-9_-]`, at most `max` bytes.
fn sanitize(s: &str, max: usize) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(max)
        .collect()
}

/// A veth whose root-namespace end `iface` becomes a switch port, its other end `<iface>n`
/// left in the root namespace for the caller to plug something into (both ends quiet).
fn veth_to_nothing(iface: &str) -> Result<Veth, LabError> {
    let veth = Veth::create(iface, &format!("{iface}n"))?;
    quiet_root_end(veth.a())?;
    quiet_root_end(veth.b())?;
    Ok(veth)
}

/// Plans the lab: names, addresses, what sits behind each port.
fn plan(config: &Config, prefix: &Prefix) -> Result<Plan, LabError> {
    let dps = config.dps_in_config_order();
    let subnets = subnets(config)?;
    let segments = segments(config);
    let multi_dp = dps.len() > 1;

    let mut used: HashSet<String> = HashSet::new();
    let mut spare = 0usize;
    let mut fresh = |readable: String, max: usize, used: &mut HashSet<String>| -> String {
        if readable.len() <= max && !used.contains(&readable) {
            used.insert(readable.clone());
            return readable;
        }
        loop {
            spare += 1;
            let name = prefix.name(&format!("x{spare}"));
            if !used.contains(&name) {
                used.insert(name.clone());
                return name;
            }
        }
    };

    let mut bridges = Vec::new();
    let mut port_ifaces = BTreeMap::new();
    for (i, dp) in dps.iter().enumerate() {
        let readable = prefix.name(&sanitize(&dp.name, 7).replace(['-', '_'], ""));
        let readable = if readable == prefix.name("") {
            prefix.name(&format!("b{i}"))
        } else {
            readable
        };
        bridges.push((dp.dp_id.0, fresh(readable, 15, &mut used)));
        for port in dp.ports.keys() {
            let name = fresh(
                prefix.name(&format!("{i}p{}", port.0)),
                MAX_LINK_NAME,
                &mut used,
            );
            port_ifaces.insert((dp.dp_id.0, port.0), name);
        }
    }

    let mut next_host: BTreeMap<u16, u32> = BTreeMap::new();
    let mut namespaces: HashSet<String> = HashSet::new();
    let mut hosts_planned = 0usize;
    let mut wiring = Vec::new();
    let mut external_host_planned = false;
    for (i, dp) in dps.iter().enumerate() {
        for port in dp.ports.values() {
            let key = (dp.dp_id.0, port.number.0);
            let kind = wiring_of(config, dp, port);
            let w = match kind {
                Kind::Stack(peer) => Wiring::Stack { peer },
                Kind::Plain => Wiring::Plain,
                Kind::Loopback => Wiring::Loopback,
                Kind::External if external_host_planned => Wiring::External(None),
                Kind::Host | Kind::External => {
                    let port_part = if port.name == port.number.0.to_string() {
                        format!("p{}", port.number.0)
                    } else {
                        sanitize(&port.name, 24)
                    };
                    let mut ns = format!(
                        "{}-{}-{}",
                        prefix.name(""),
                        sanitize(&dp.name, 24),
                        port_part
                    );
                    if port_part.is_empty() || namespaces.contains(&ns) {
                        ns = format!("{}-{}-p{}", prefix.name(""), i, port.number.0);
                    }
                    namespaces.insert(ns.clone());
                    let vlans: Vec<(Vid, bool)> = port
                        .native_vlan
                        .map(|v| (v, false))
                        .into_iter()
                        .chain(port.tagged_vlans.iter().map(|v| (*v, true)))
                        .collect();
                    let mut ifaces = Vec::new();
                    let mut endpoints = Vec::new();
                    for (vid, tagged) in &vlans {
                        let (net, vips) = &subnets[&vid.0];
                        let n = next_host.entry(vid.0).or_insert(0);
                        let addr = net
                            .hosts()
                            .filter(|a| !vips.contains(a))
                            .nth(*n as usize)
                            .ok_or_else(|| {
                                LabError::Unsupported(format!(
                                    "too many hosts in VLAN {vid} for its subnet {net}"
                                ))
                            })?;
                        *n += 1;
                        let p = port.number.0;
                        let mac = MacAddr([
                            0x0a,
                            (i & 0xff) as u8,
                            (p >> 8) as u8,
                            p as u8,
                            (vid.0 >> 8) as u8,
                            vid.0 as u8,
                        ]);
                        let iface_name = if *tagged {
                            format!("eth0.{}", vid.0)
                        } else {
                            "eth0".to_string()
                        };
                        let port_label = if port.name == p.to_string() {
                            format!("p{p}")
                        } else {
                            port.name.clone()
                        };
                        let mut label = if multi_dp {
                            format!("{}:{port_label}", dp.name)
                        } else {
                            port_label
                        };
                        if vlans.len() > 1 {
                            let _ = write!(label, ".{}", vid.0);
                        }
                        ifaces.push(Iface {
                            name: iface_name.clone(),
                            tag: tagged.then_some(vid.0),
                            mac,
                            addr,
                            prefix_len: net.prefix_len(),
                        });
                        endpoints.push(Endpoint {
                            label,
                            dp_id: dp.dp_id.0,
                            dp_name: dp.name.clone(),
                            port: p,
                            port_name: port.name.clone(),
                            vid: vid.0,
                            tagged: *tagged,
                            host: hosts_planned,
                            ns: ns.clone(),
                            iface: iface_name,
                            mac,
                            addr,
                            prefix_len: net.prefix_len(),
                            segment: segments[&dp.dp_id.0],
                        });
                    }
                    let link = if matches!(kind, Kind::External) {
                        fresh(prefix.name("xh"), MAX_LINK_NAME, &mut used)
                    } else {
                        port_ifaces[&key].clone()
                    };
                    let spec = HostSpec {
                        ns,
                        link,
                        ifaces,
                        ipv6: false,
                    };
                    hosts_planned += 1;
                    if matches!(kind, Kind::External) {
                        external_host_planned = true;
                        Wiring::External(Some((spec, endpoints)))
                    } else {
                        Wiring::Host(spec, endpoints)
                    }
                }
            };
            wiring.push((key, w));
        }
    }
    Ok(Plan {
        bridges,
        port_ifaces,
        wiring,
    })
}

/// What sits behind a port.
enum Kind {
    Host,
    Stack((u64, u32)),
    Plain,
    Loopback,
    External,
}

fn wiring_of(config: &Config, dp: &Dp, port: &Port) -> Kind {
    if let Some(peer) = &port.stack {
        let back = config
            .dps
            .get(&peer.dp)
            .and_then(|d| d.ports.get(&peer.port))
            .and_then(|p| p.stack.as_ref());
        if back.is_some_and(|b| b.dp == dp.dp_id && b.port == port.number) {
            return Kind::Stack((peer.dp.0, peer.port.0));
        }
        return Kind::Plain;
    }
    if is_loopback_port(port) {
        return Kind::Loopback;
    }
    if port.enabled && port.loop_protect_external {
        return Kind::External;
    }
    let carries_vlans = port.native_vlan.is_some() || !port.tagged_vlans.is_empty();
    if !port.enabled
        || !carries_vlans
        || port.output_only
        || !port.mirror.sources.is_empty()
        || port.coprocessor.is_some()
    {
        return Kind::Plain;
    }
    Kind::Host
}

/// Whether a port is the looped port of FAUCET's remote mirroring (as Poseidon configures
/// it): a coprocessor port that receives mirrored traffic and has an ACL (which tunnels what
/// comes back in to the analyser). On a real switch a loopback plug sits in it; the lab puts
/// one there too.
pub fn is_loopback_port(port: &Port) -> bool {
    port.enabled
        && port.coprocessor.is_some()
        && !port.mirror.sources.is_empty()
        && !port.acls_in.is_empty()
}

/// The groups of DPs joined by stack links: DP id -> group number.
fn segments(config: &Config) -> BTreeMap<u64, usize> {
    let ids: Vec<u64> = config.dps.keys().map(|d| d.0).collect();
    let mut group: BTreeMap<u64, usize> = ids.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    // Few DPs: relabel until nothing changes.
    loop {
        let mut changed = false;
        for dp in config.dps.values() {
            for port in dp.ports.values() {
                if let Some(peer) = &port.stack
                    && let (Some(&a), Some(&b)) = (group.get(&dp.dp_id.0), group.get(&peer.dp.0))
                    && a != b
                {
                    let low = a.min(b);
                    for g in group.values_mut() {
                        if *g == a || *g == b {
                            *g = low;
                        }
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            return group;
        }
    }
}

/// Ranges a configured VIP subnet may come from to be used for the lab's hosts.
const USABLE: [&str; 5] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "198.51.100.0/24",
    "203.0.113.0/24",
];

/// Every VLAN's subnet and the VIP addresses in it (which hosts must not take).
fn subnets(config: &Config) -> Result<BTreeMap<u16, (Ipv4Net, Vec<Ipv4Addr>)>, LabError> {
    let mut vips: BTreeMap<u16, Vec<Ipv4Net>> = BTreeMap::new();
    for dp in config.dps_in_config_order() {
        for vlan in dp.vlans.values() {
            let entry = vips.entry(vlan.vid.0).or_default();
            for ip in &vlan.faucet_vips {
                if let IpNet::V4(v4) = ip
                    && !entry.contains(v4)
                {
                    entry.push(*v4);
                }
            }
        }
        for port in dp.ports.values() {
            for vid in port.vlans() {
                vips.entry(vid.0).or_default();
            }
        }
    }
    let usable: Vec<Ipv4Net> = USABLE.iter().filter_map(|s| s.parse().ok()).collect();
    let forbidden: Ipv4Net = "192.0.2.0/24"
        .parse()
        .map_err(|_| LabError::Unsupported("bad built-in subnet".into()))?;
    let overlaps = |a: &Ipv4Net, b: &Ipv4Net| a.contains(&b.network()) || b.contains(&a.network());

    let mut chosen: BTreeMap<u16, Ipv4Net> = BTreeMap::new();
    // First the VLANs whose VIPs give a usable subnet, then the others.
    for (vid, nets) in &vips {
        let Some(net) = nets.first().map(Ipv4Net::trunc) else {
            continue;
        };
        let ok = (16..=29).contains(&net.prefix_len())
            && usable.iter().any(|u| u.contains(&net))
            && !overlaps(&net, &forbidden)
            && !chosen.values().any(|c| overlaps(c, &net));
        if ok {
            chosen.insert(*vid, net);
        }
    }
    for vid in vips.keys() {
        if chosen.contains_key(vid) {
            continue;
        }
        let net = (0..16u16)
            .map(|bank| {
                let second = (bank * 16 + (vid >> 8)) as u8;
                Ipv4Net::new(Ipv4Addr::new(10, second, (vid & 0xff) as u8, 0), 24)
            })
            .filter_map(Result::ok)
            .find(|n| !chosen.values().any(|c| overlaps(c, n)))
            .ok_or_else(|| LabError::Unsupported(format!("no free subnet for VLAN {vid}")))?;
        chosen.insert(*vid, net);
    }
    Ok(chosen
        .into_iter()
        .map(|(vid, net)| {
            let taken: Vec<Ipv4Addr> = vips
                .get(&vid)
                .into_iter()
                .flatten()
                .map(Ipv4Net::addr)
                .filter(|a| net.contains(a))
                .collect();
            (vid, (net, taken))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        sluice_config::load_str(yaml).unwrap().config
    }

    const TWO_VLANS: &str = "
vlans:
  office: {vid: 100}
  guest: {vid: 200, faucet_vips: ['192.0.2.1/24']}
  routed: {vid: 300, faucet_vips: ['10.0.30.254/24']}
  thirty: {vid: 30}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {native_vlan: routed}
      3: {tagged_vlans: [office, guest], native_vlan: thirty}
      4: {output_only: true}
";

    #[test]
    fn plans_hosts_addresses_and_names() {
        let c = config(TWO_VLANS);
        let prefix = Prefix::new();
        let p = plan(&c, &prefix).unwrap();
        assert_eq!(p.bridges, vec![(1, prefix.name("sw1"))]);
        assert_eq!(p.port_ifaces[&(1, 3)], prefix.name("0p3"));
        let mut eps = Vec::new();
        let mut plain = 0;
        for (_, w) in &p.wiring {
            match w {
                Wiring::Host(spec, e) => {
                    assert!(!spec.ipv6);
                    eps.extend(e.iter().cloned());
                }
                Wiring::Plain => plain += 1,
                Wiring::Stack { .. } | Wiring::Loopback | Wiring::External(_) => {
                    panic!("no stack here")
                }
            }
        }
        assert_eq!(plain, 1, "the output-only port");
        let got: Vec<(String, u16, String, String)> = eps
            .iter()
            .map(|e| {
                (
                    e.label.clone(),
                    e.vid,
                    e.iface.clone(),
                    format!("{}/{}", e.addr, e.prefix_len),
                )
            })
            .collect();
        let want = [
            ("h1", 100, "eth0", "10.0.100.1/24"),
            // The VIP's subnet, and VLAN 30's default subnet moves out of its way.
            ("p2", 300, "eth0", "10.0.30.1/24"),
            ("p3.30", 30, "eth0", "10.16.30.1/24"),
            ("p3.100", 100, "eth0.100", "10.0.100.2/24"),
            // 192.0.2.0/24 is never used, VIP or not.
            ("p3.200", 200, "eth0.200", "10.0.200.1/24"),
        ];
        let want: Vec<(String, u16, String, String)> = want
            .iter()
            .map(|(l, v, i, a)| (l.to_string(), *v, i.to_string(), a.to_string()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(eps[3].mac.to_string(), "0a:00:00:03:00:64");
        assert!(eps[0].should_reach(&eps[3]));
        assert!(!eps[0].should_reach(&eps[1]));
        assert!(!eps[3].should_reach(&eps[4]), "same host");
    }

    #[test]
    fn stacked_dps_share_a_segment_and_get_a_cable() {
        let c = config(
            "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 11}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      11: {stack: {dp: sw1, port: 10}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
",
        );
        let s = segments(&c);
        assert_eq!(s[&1], s[&2]);
        assert_ne!(s[&1], s[&3]);
        let p = plan(&c, &Prefix::new()).unwrap();
        let stacks: Vec<_> = p
            .wiring
            .iter()
            .filter_map(|(k, w)| match w {
                Wiring::Stack { peer } => Some((*k, *peer)),
                _ => None,
            })
            .collect();
        assert_eq!(stacks, vec![((1, 10), (2, 11)), ((2, 11), (1, 10))]);
    }
}
