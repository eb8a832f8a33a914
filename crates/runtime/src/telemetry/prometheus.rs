//! FAUCET's metrics in the Prometheus text format (0.0.4, as FAUCET's `prometheus_client`
//! writes it): FAUCET's family names, help texts, types, label names (in its alphabetical
//! order) and label value formats (`dp_id="0x1"`, ports by configured name, VLANs by VID).
//! Counters carry FAUCET's `_total` suffix and a `_created` family beside them.
//!
//! Rendering reads only a [`Published`] snapshot, so it runs on the scraping thread and
//! never on the controller's. Every FAUCET family is written, with its `# HELP` and
//! `# TYPE` lines, so the set of families is FAUCET's; families of features sluice does not
//! have (BGP, LACP, 802.1X, routing) have no samples or a constant zero, as they would in
//! FAUCET with those features unused, and so do the stacking families without a stack.
//! `docs/metrics.md` lists every difference.

use std::fmt::Write as _;

use sluice_core::stack::StackPortStats;
use sluice_core::telemetry::{DpSnapshot, PACKET_IN_BUCKETS, PortSnapshot};
use sluice_ofp::msg::multipart::Desc;

use super::Published;
use super::process::ProcessStats;

/// The content type of the classic text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders every metric into `out`. `process` adds the `process_*` families.
pub fn render(p: &Published, process: Option<&ProcessStats>, out: &mut String) {
    let mut w = Writer::new(out);
    let dps: Vec<Dp<'_>> = p
        .snapshot
        .dps
        .iter()
        .filter(|d| d.configured)
        .map(|d| Dp::new(d, p.created.get(&d.dp_id).copied().unwrap_or(p.started)))
        .collect();

    w.family("faucet_pbr_version", "Faucet PBR version", "gauge");
    let _ = writeln!(
        w.out,
        "faucet_pbr_version{{version=\"{}\"}} 1.0",
        env!("CARGO_PKG_VERSION")
    );
    w.family("ryu_config", "ryu configuration option", "gauge");
    w.sample_f("ryu_config", "param=\"echo_request_interval\"", p.echo.0);
    w.sample_f(
        "ryu_config",
        "param=\"maximum_unreplied_echo_requests\"",
        p.echo.1,
    );
    // 0 until a stack root is elected, and without a stack.
    let stack = p.snapshot.stack.unwrap_or_default();
    w.family(
        "faucet_stack_root_dpid",
        "set to current stack root DPID",
        "gauge",
    );
    w.sample_u("faucet_stack_root_dpid", "", stack.root.unwrap_or(0));

    let cfg = &p.snapshot.config;
    // The load at start counts as a request, as in FAUCET.
    w.counter(
        "faucet_config_reload_requests",
        "number of config reload requests",
        &[("", 1 + cfg.applied + cfg.rejected, p.started)],
    );
    w.family(
        "faucet_config_load_error",
        "1 if last attempt to re/load config failed",
        "gauge",
    );
    w.sample_u(
        "faucet_config_load_error",
        "",
        u64::from(cfg.last_error.is_some()),
    );
    w.family(
        "faucet_config_hash_info",
        "file hashes for last successful config",
        "gauge",
    );
    {
        let present: Vec<&(String, Option<String>)> = p
            .snapshot
            .config_files
            .iter()
            .filter(|(_, h)| h.is_some())
            .collect();
        let files: Vec<&str> = present.iter().map(|(f, _)| f.as_str()).collect();
        let hashes: Vec<&str> = present.iter().filter_map(|(_, h)| h.as_deref()).collect();
        let mut labels = String::from("config_files=");
        quote(&mut labels, &files.join(","));
        labels.push_str(",error=");
        quote(&mut labels, cfg.last_error.as_deref().unwrap_or(""));
        labels.push_str(",hashes=");
        quote(&mut labels, &hashes.join(","));
        w.sample_u("faucet_config_hash_info", &labels, 1);
    }
    w.family(
        "faucet_config_hash_func",
        "algorithm used to compute config hashes",
        "gauge",
    );
    // FAUCET creates this series without setting it, so it reads 0.
    w.sample_u("faucet_config_hash_func", "algorithm=\"sha256\"", 0);
    w.family(
        "faucet_config_applied",
        "fraction of DPs that we have tried to apply config to",
        "gauge",
    );
    let running = dps.iter().filter(|d| d.s.running).count();
    w.sample_f(
        "faucet_config_applied",
        "",
        if dps.is_empty() {
            0.0
        } else {
            running as f64 / dps.len() as f64
        },
    );
    w.family(
        "faucet_event_id",
        "highest/most recent event ID to be sent",
        "gauge",
    );
    w.sample_u("faucet_event_id", "", p.event_id);

    type DpCount = fn(&DpSnapshot) -> u64;
    let dp_counters: [(&str, &str, DpCount); 11] = [
        (
            "faucet_config_reload_warm",
            "number of warm, differences only config reloads executed",
            |d| d.counters.reload_warm,
        ),
        (
            "faucet_config_reload_cold",
            "number of cold, complete reprovision config reloads executed",
            |d| d.counters.reload_cold,
        ),
        (
            "of_ignored_packet_ins",
            "number of OF packet_ins received but ignored from DP (due to rate limiting)",
            |d| d.packet_ins.ignored,
        ),
        (
            "of_unexpected_packet_ins",
            "number of OF packet_ins received that are unexpected from DP (e.g. for unknown VLAN)",
            |d| d.packet_ins.unexpected(),
        ),
        (
            "of_packet_ins",
            "number of OF packet_ins received from DP",
            |d| d.packet_ins.received,
        ),
        (
            "of_non_vlan_packet_ins",
            "number of OF packet_ins received from DP, not associated with a FAUCET VLAN",
            |d| d.packet_ins.non_vlan,
        ),
        (
            "of_vlan_packet_ins",
            "number of OF packet_ins received from DP, associated with a FAUCET VLAN",
            |d| d.packet_ins.vlan,
        ),
        (
            "of_flowmsgs_sent",
            "number of OF flow messages (and packet outs) sent to DP",
            |d| d.counters.flowmsgs_sent,
        ),
        ("of_errors", "number of OF errors received from DP", |d| {
            d.counters.errors
        }),
        (
            "of_dp_connections",
            "number of OF connections from a DP",
            |d| d.counters.connections,
        ),
        (
            "of_dp_disconnections",
            "number of OF connections from a DP",
            |d| d.counters.disconnections,
        ),
    ];
    for (name, help, value) in dp_counters {
        let series: Vec<(&str, u64, f64)> = dps
            .iter()
            .map(|d| (d.labels.as_str(), value(d.s), d.created))
            .collect();
        w.counter(name, help, &series);
    }

    w.family(
        "vlan_hosts_learned",
        "number of hosts learned on a VLAN",
        "gauge",
    );
    for d in &dps {
        for v in &d.s.vlans {
            w.line_start("vlan_hosts_learned", &d.labels);
            let _ = write!(w.out, ",vlan=\"{}\"}}", v.vid);
            w.value_u(v.hosts as u64);
        }
    }
    w.family(
        "port_vlan_hosts_learned",
        "number of hosts learned on a port and VLAN",
        "gauge",
    );
    for d in &dps {
        for (port, labels) in d.ports() {
            for vid in port.vlans() {
                let n = d.on_port_vlan(port.number, vid).len();
                w.line_start("port_vlan_hosts_learned", &d.labels);
                let _ = write!(w.out, ",{labels},vlan=\"{vid}\"}}");
                w.value_u(n as u64);
            }
        }
    }
    // No routing: no L3 neighbours.
    w.family(
        "vlan_neighbors",
        "number of L3 neighbors on a VLAN (whether resolved to L2 addresses, or not)",
        "gauge",
    );
    w.family(
        "vlan_learn_bans",
        "number of times learning was banned on a VLAN",
        "gauge",
    );
    for d in &dps {
        for v in &d.s.vlans {
            w.line_start("vlan_learn_bans", &d.labels);
            let _ = write!(w.out, ",vlan=\"{}\"}}", v.vid);
            w.value_u(v.learn_bans);
        }
    }
    w.family(
        "faucet_config_table_names",
        "number to names map of FAUCET pipeline tables",
        "gauge",
    );
    for d in &dps {
        for t in &d.s.tables {
            w.line_start("faucet_config_table_names", &d.labels);
            let _ = write!(
                w.out,
                ",next_tables=\"{}\",table_name=\"{}\"}}",
                t.next_tables.join(","),
                t.name
            );
            w.value_u(u64::from(t.id));
        }
    }

    w.family(
        "faucet_packet_in_secs",
        "FAUCET packet in processing time",
        "histogram",
    );
    let with_packet_ins: Vec<&Dp<'_>> = dps
        .iter()
        .filter(|d| d.s.counters.packet_in_secs.count > 0)
        .collect();
    for d in &with_packet_ins {
        let h = &d.s.counters.packet_in_secs;
        for (le, n) in PACKET_IN_BUCKETS.iter().zip(h.cumulative()) {
            w.line_start("faucet_packet_in_secs_bucket", &d.labels);
            let _ = write!(w.out, ",le=\"{}\"}}", Le(*le));
            w.value_u(n);
        }
        w.line_start("faucet_packet_in_secs_bucket", &d.labels);
        w.out.push_str(",le=\"+Inf\"}");
        w.value_u(h.count);
        w.sample_u("faucet_packet_in_secs_count", &d.labels, h.count);
        w.sample_f("faucet_packet_in_secs_sum", &d.labels, h.sum);
    }
    if !with_packet_ins.is_empty() {
        w.family(
            "faucet_packet_in_secs_created",
            "FAUCET packet in processing time",
            "gauge",
        );
        for d in &with_packet_ins {
            w.sample_f("faucet_packet_in_secs_created", &d.labels, d.created);
        }
    }
    // sluice's periodic work (host expiry) runs for every DP in one pass; it is not timed
    // per DP and service as FAUCET's is.
    w.family(
        "faucet_valve_service_secs",
        "FAUCET valve service processing time",
        "histogram",
    );
    // No BGP.
    w.family(
        "bgp_neighbor_uptime",
        "BGP neighbor uptime in seconds",
        "gauge",
    );
    w.family("bgp_neighbor_routes", "BGP neighbor route count", "gauge");

    w.family(
        "learned_macs",
        "MAC address stored as 64bit number to DP ID, port, VLAN, and n (discrete index)",
        "gauge",
    );
    for d in &dps {
        for (port, labels) in d.ports() {
            for vid in port.vlans() {
                for (n, mac) in d.on_port_vlan(port.number, vid).iter().enumerate() {
                    w.line_start("learned_macs", &d.labels);
                    let _ = write!(w.out, ",n=\"{n}\",{labels},vlan=\"{vid}\"}}");
                    w.value_u(*mac);
                }
            }
        }
    }
    w.family("port_status", "status of switch ports", "gauge");
    for d in &dps {
        for (port, labels) in d.ports() {
            w.line_start("port_status", &d.labels);
            let _ = write!(w.out, ",{labels}}}");
            w.value_u(u64::from(port.up));
        }
    }
    // FAUCET's numbers: 0 admin down, 1 init, 2 bad, 3 up, 4 gone.
    w.family("port_stack_state", "state of stacking on a port", "gauge");
    for d in &dps {
        for (port, labels) in d.ports().filter(|(p, _)| p.stack) {
            w.line_start("port_stack_state", &d.labels);
            let _ = write!(w.out, ",{labels}}}");
            w.value_u(port.stack_state.map_or(0, |s| s.state as u64));
        }
    }
    w.family(
        "port_learn_bans",
        "number of times learning was banned on a port",
        "gauge",
    );
    for d in &dps {
        for (port, labels) in d.ports() {
            w.line_start("port_learn_bans", &d.labels);
            let _ = write!(w.out, ",{labels}}}");
            w.value_u(port.learn_bans);
        }
    }
    w.family("learned_l2_port", "learned port of l2 entries", "gauge");
    for d in &dps {
        for h in &d.hosts {
            w.line_start("learned_l2_port", &d.labels);
            let _ = write!(w.out, ",eth_src=\"{}\",vid=\"{}\"}}", h.mac, h.vid);
            w.value_u(u64::from(h.port));
        }
    }
    // No LACP.
    w.family("port_lacp_role", "LACP role of a port", "gauge");
    w.family("port_lacp_state", "state of LACP on a port", "gauge");
    w.family("dp_status", "status of datapaths", "gauge");
    for d in &dps {
        w.sample_u("dp_status", &d.labels, u64::from(d.s.running));
    }
    w.family(
        "dp_root_hop_port",
        "port that leads to stack root DP",
        "gauge",
    );
    // Every stacked DP; 0 on the root and on a DP with no way to it, as in FAUCET.
    for d in &dps {
        if let Some(s) = d.s.stack {
            w.sample_u(
                "dp_root_hop_port",
                &d.labels,
                u64::from(s.root_hop_port.unwrap_or(0)),
            );
        }
    }
    w.family(
        "of_dp_desc_stats",
        "DP description (OFPDescStatsReply)",
        "gauge",
    );
    for d in &dps {
        if let Some(desc) = p.desc.get(&d.s.dp_id) {
            let labels = desc_labels(desc, d);
            w.sample_u("of_dp_desc_stats", &labels, d.s.dp_id);
        }
    }
    // Per DP, summed over its stack ports (0 on DPs that have none, as in FAUCET).
    type StackCount = fn(&StackPortStats) -> u64;
    let per_dp: [(&str, &str, StackCount); 2] = [
        (
            "stack_cabling_errors",
            "number of cabling errors detected in all FAUCET stacks",
            |s| s.cabling_errors,
        ),
        (
            "stack_probes_received",
            "number of stacking messages received",
            |s| s.probes_received,
        ),
    ];
    for (name, help, value) in per_dp {
        let series: Vec<(&str, u64, f64)> = dps
            .iter()
            .map(|d| {
                let n = d.s.ports.iter().filter_map(|p| p.stack_state.as_ref());
                (d.labels.as_str(), n.map(value).sum(), d.created)
            })
            .collect();
        w.counter(name, help, &series);
    }
    w.family(
        "is_dp_stack_root",
        "bool indicating if dp is stack root",
        "gauge",
    );
    for d in &dps {
        let root = d.s.stack.is_some_and(|s| s.root);
        w.sample_u("is_dp_stack_root", &d.labels, u64::from(root));
    }
    let zero: Vec<(&str, u64, f64)> = dps
        .iter()
        .map(|d| (d.labels.as_str(), 0, d.created))
        .collect();
    // No 802.1X: nothing ever authenticates.
    w.counter(
        "dp_dot1x_success",
        "number of successful authentications on dp",
        &zero,
    );
    w.counter(
        "dp_dot1x_failure",
        "number of authentications attempts failed on dp",
        &zero,
    );
    w.counter(
        "dp_dot1x_logoff",
        "number of eap-logoff events on dp",
        &zero,
    );
    w.counter(
        "port_dot1x_success",
        "number of successful authentications on port",
        &[],
    );
    w.counter(
        "port_dot1x_failure",
        "number of authentications attempts failed on port",
        &[],
    );
    w.counter(
        "port_dot1x_logoff",
        "number of eap-logoff events on port",
        &[],
    );
    w.family("lacp_port_id", "lacp port ID for for port", "gauge");
    let stack_ports: Vec<(String, u64, f64)> = dps
        .iter()
        .flat_map(|d| {
            d.ports()
                .filter(|(p, _)| p.stack)
                .map(|(p, l)| {
                    let changes = p.stack_state.map_or(0, |s| s.changes);
                    (format!("{},{l}", d.labels), changes, d.created)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let stack_ports: Vec<(&str, u64, f64)> = stack_ports
        .iter()
        .map(|(l, v, c)| (l.as_str(), *v, *c))
        .collect();
    w.counter(
        "port_stack_state_change_count",
        "number of changes in port stack state",
        &stack_ports,
    );
    w.counter(
        "port_lacp_state_change_count",
        "number of changes in port lacp state",
        &[],
    );
    // FAUCET counts the first election too.
    let root_changes = stack.root_changes + u64::from(stack.root.is_some());
    w.counter(
        "stack_root_change_count",
        "number of changes in stack root",
        &[("", root_changes, p.started)],
    );

    if let Some(ps) = process {
        process_families(&mut w, ps, p.started);
    }
}

pub(crate) fn process_families(w: &mut Writer<'_>, ps: &ProcessStats, started: f64) {
    let whole = |v: Option<u64>| v.map(|n| n as f64);
    let families = [
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            "gauge",
            whole(ps.virtual_bytes),
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            "gauge",
            whole(ps.resident_bytes),
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            "gauge",
            Some(started),
        ),
        (
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            "counter",
            ps.cpu_seconds,
        ),
        (
            "process_open_fds",
            "Number of open file descriptors.",
            "gauge",
            whole(ps.open_fds),
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors.",
            "gauge",
            whole(ps.max_fds),
        ),
    ];
    for (name, help, kind, value) in families {
        if let Some(v) = value {
            w.family(name, help, kind);
            w.sample_f(name, "", v);
        }
    }
}

/// A configured DP being rendered, with what its series share worked out once.
struct Dp<'a> {
    s: &'a DpSnapshot,
    /// `dp_id="0x1",dp_name="sw1"`.
    labels: String,
    created: f64,
    /// Each configured port with its `port="..",port_description=".."` labels.
    ports: Vec<(&'a PortSnapshot, String)>,
    /// Hosts sorted by (port, VLAN, MAC), for the per-port series.
    hosts: Vec<Host>,
}

#[derive(Clone, Copy)]
struct Host {
    port: u32,
    vid: u16,
    mac: sluice_wire::MacAddr,
}

impl<'a> Dp<'a> {
    fn new(s: &'a DpSnapshot, created: f64) -> Self {
        let mut labels = String::from("dp_id=\"");
        let _ = write!(labels, "{:#x}\",dp_name=", s.dp_id);
        quote(&mut labels, &s.name);
        let ports = s
            .ports
            .iter()
            .filter(|p| p.configured)
            .map(|p| {
                let mut l = String::from("port=");
                quote(&mut l, &p.name);
                l.push_str(",port_description=");
                quote(&mut l, &p.description);
                (p, l)
            })
            .collect();
        let mut hosts: Vec<Host> = s
            .hosts
            .iter()
            .map(|h| Host {
                port: h.port,
                vid: h.vid,
                mac: h.mac,
            })
            .collect();
        hosts.sort_unstable_by_key(|h| (h.port, h.vid, h.mac.0));
        Dp {
            s,
            labels,
            created,
            ports,
            hosts,
        }
    }

    fn ports(&self) -> impl Iterator<Item = (&'a PortSnapshot, &str)> + '_ {
        self.ports.iter().map(|(p, l)| (*p, l.as_str()))
    }

    /// The MACs (as integers, FAUCET's `learned_macs` value) learned on a port in a VLAN,
    /// in order.
    fn on_port_vlan(&self, port: u32, vid: u16) -> Vec<u64> {
        let start = self
            .hosts
            .partition_point(|h| (h.port, h.vid) < (port, vid));
        self.hosts[start..]
            .iter()
            .take_while(|h| h.port == port && h.vid == vid)
            .map(|h| {
                let m = h.mac.0;
                u64::from_be_bytes([0, 0, m[0], m[1], m[2], m[3], m[4], m[5]])
            })
            .collect()
    }
}

/// `of_dp_desc_stats` labels, in FAUCET's (alphabetical) order; empty strings are shown as
/// FAUCET shows them ("None").
fn desc_labels(desc: &Desc, d: &Dp<'_>) -> String {
    let field = |s: std::borrow::Cow<'_, str>| {
        if s.is_empty() {
            "None".to_string()
        } else {
            s.into_owned()
        }
    };
    let mut l = String::from("dp_desc=");
    quote(&mut l, &field(desc.dp_desc.as_str()));
    l.push(',');
    l.push_str(&d.labels);
    l.push_str(",hw_desc=");
    quote(&mut l, &field(desc.hw_desc.as_str()));
    l.push_str(",mfr_desc=");
    quote(&mut l, &field(desc.mfr_desc.as_str()));
    l.push_str(",serial_num=");
    quote(&mut l, &field(desc.serial_num.as_str()));
    l.push_str(",sw_desc=");
    quote(&mut l, &field(desc.sw_desc.as_str()));
    l
}

/// A histogram bucket bound as the Python client writes it (`1.0`, `0.0001`).
struct Le(f64);

impl std::fmt::Display for Le {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{:.1}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Appends `s` as a quoted label value, escaped.
pub(crate) fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes families and samples in the text format: the output and a scratch buffer for
/// numbers.
pub(crate) struct Writer<'a> {
    out: &'a mut String,
    scratch: String,
}

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub(crate) fn new(out: &'a mut String) -> Self {
        Writer {
            out,
            scratch: String::with_capacity(32),
        }
    }

    /// The output, for lines written by hand.
    pub(crate) fn out(&mut self) -> &mut String {
        self.out
    }

    /// `# HELP` and `# TYPE` lines.
    pub(crate) fn family(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// `name{labels` (no closing brace): the caller adds labels and `}`.
    fn line_start(&mut self, name: &str, labels: &str) {
        self.out.push_str(name);
        self.out.push('{');
        self.out.push_str(labels);
    }

    fn open(&mut self, name: &str, labels: &str) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            self.out.push_str(labels);
            self.out.push('}');
        }
    }

    /// A sample with a whole-number value.
    pub(crate) fn sample_u(&mut self, name: &str, labels: &str, v: u64) {
        self.open(name, labels);
        self.value_u(v);
    }

    /// A sample.
    pub(crate) fn sample_f(&mut self, name: &str, labels: &str, v: f64) {
        self.open(name, labels);
        self.value_f(v);
    }

    /// ` <v>\n` for a whole number.
    fn value_u(&mut self, v: u64) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{v}.0");
        self.go_float();
    }

    /// ` <v>\n`.
    fn value_f(&mut self, v: f64) {
        self.scratch.clear();
        if v.is_nan() {
            self.scratch.push_str("NaN");
        } else if v.is_infinite() {
            self.scratch.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        } else if v.fract() == 0.0 && v.abs() < 1e15 {
            let _ = write!(self.scratch, "{v:.1}");
        } else {
            let _ = write!(self.scratch, "{v}");
        }
        self.go_float();
    }

    /// Writes the number in `scratch` as the Python client does: past six digits before
    /// the point, in exponent form (`1.7952867921110947e+09`).
    fn go_float(&mut self) {
        self.out.push(' ');
        let s = self.scratch.as_str();
        match s.find('.') {
            Some(dot) if dot > 6 && !s.starts_with('-') && !s.contains('e') => {
                let (int, frac) = (&s[..dot], &s[dot + 1..]);
                let mut mantissa = String::with_capacity(s.len());
                mantissa.push_str(&int[..1]);
                mantissa.push('.');
                mantissa.push_str(&int[1..]);
                mantissa.push_str(frac);
                let trimmed = mantissa.trim_end_matches(['0', '.']);
                let _ = write!(self.out, "{trimmed}e+0{}", dot - 1);
            }
            _ => self.out.push_str(s),
        }
        self.out.push('\n');
    }

    /// A counter family: `name_total` samples, then their `name_created` family.
    fn counter(&mut self, name: &str, help: &str, series: &[(&str, u64, f64)]) {
        let total = format!("{name}_total");
        self.family(&total, help, "counter");
        for (labels, v, _) in series {
            self.sample_u(&total, labels, *v);
        }
        if series.is_empty() {
            return;
        }
        let created = format!("{name}_created");
        self.family(&created, help, "gauge");
        for (labels, _, c) in series {
            self.sample_f(&created, labels, *c);
        }
    }
}

#[cfg(test)]
mod tests {
    use sluice_core::stack::PortState;
    use sluice_core::telemetry::{DpStackSnapshot, Snapshot, StackSnapshot};

    use super::*;

    fn num(v: f64) -> String {
        let mut out = String::new();
        let mut w = Writer::new(&mut out);
        w.value_f(v);
        out.trim().to_string()
    }

    #[test]
    fn numbers_are_written_as_faucet_writes_them() {
        assert_eq!(num(0.0), "0.0");
        assert_eq!(num(28.0), "28.0");
        assert_eq!(num(0.0012990790000912966), "0.0012990790000912966");
        assert_eq!(num(1.7952867921110947e9), "1.7952867921110947e+09");
        assert_eq!(num(200983889820010.0), "2.0098388982001e+014");
        assert_eq!(num(10_000_000.0), "1e+07");
        assert_eq!(Le(0.0001).to_string(), "0.0001");
        assert_eq!(Le(1.0).to_string(), "1.0");
    }

    fn port(number: u32, name: &str, stack_state: Option<StackPortStats>) -> PortSnapshot {
        PortSnapshot {
            number,
            name: name.into(),
            description: name.into(),
            configured: true,
            stack: stack_state.is_some(),
            stack_state,
            ..PortSnapshot::default()
        }
    }

    fn stats(state: PortState, changes: u64, errors: u64, probes: u64) -> StackPortStats {
        StackPortStats {
            state,
            changes,
            cabling_errors: errors,
            probes_received: probes,
        }
    }

    fn dp(dp_id: u64, ports: Vec<PortSnapshot>, stack: Option<DpStackSnapshot>) -> DpSnapshot {
        DpSnapshot {
            dp_id,
            name: format!("sw{dp_id}"),
            configured: true,
            ports,
            stack,
            ..DpSnapshot::default()
        }
    }

    /// sw1 (the root) and sw2 stacked by port 10 of each; sw3 not stacked.
    fn stacked() -> String {
        let published = Published {
            snapshot: Snapshot {
                dps: vec![
                    dp(
                        1,
                        vec![
                            port(1, "h1", None),
                            port(10, "to-sw2", Some(stats(PortState::Up, 2, 0, 7))),
                        ],
                        Some(DpStackSnapshot {
                            root: true,
                            root_hop_port: None,
                        }),
                    ),
                    dp(
                        2,
                        vec![port(10, "to-sw1", Some(stats(PortState::Bad, 3, 2, 9)))],
                        Some(DpStackSnapshot {
                            root: false,
                            root_hop_port: Some(10),
                        }),
                    ),
                    dp(3, vec![port(1, "h3", None)], None),
                ],
                stack: Some(StackSnapshot {
                    root: Some(1),
                    root_changes: 1,
                }),
                ..Snapshot::default()
            },
            ..Published::default()
        };
        let mut out = String::new();
        render(&published, None, &mut out);
        out
    }

    #[test]
    fn stack_state_as_faucet_exports_it() {
        let text = stacked();
        let has = |line: &str| {
            assert!(text.lines().any(|l| l == line), "missing: {line}\n{text}");
        };
        let sw = |n: u32| format!("dp_id=\"{n:#x}\",dp_name=\"sw{n}\"");
        has("faucet_stack_root_dpid 1.0");
        // The first election counts, as in FAUCET.
        has("stack_root_change_count_total 2.0");
        has(&format!("is_dp_stack_root{{{}}} 1.0", sw(1)));
        has(&format!("is_dp_stack_root{{{}}} 0.0", sw(2)));
        has(&format!("is_dp_stack_root{{{}}} 0.0", sw(3)));
        has(&format!("dp_root_hop_port{{{}}} 0.0", sw(1)));
        has(&format!("dp_root_hop_port{{{}}} 10.0", sw(2)));
        let to_sw2 = format!("{},port=\"to-sw2\",port_description=\"to-sw2\"", sw(1));
        let to_sw1 = format!("{},port=\"to-sw1\",port_description=\"to-sw1\"", sw(2));
        has(&format!("port_stack_state{{{to_sw2}}} 3.0"));
        has(&format!("port_stack_state{{{to_sw1}}} 2.0"));
        has(&format!(
            "port_stack_state_change_count_total{{{to_sw2}}} 2.0"
        ));
        has(&format!(
            "port_stack_state_change_count_total{{{to_sw1}}} 3.0"
        ));
        has(&format!("stack_cabling_errors_total{{{}}} 0.0", sw(1)));
        has(&format!("stack_cabling_errors_total{{{}}} 2.0", sw(2)));
        has(&format!("stack_cabling_errors_total{{{}}} 0.0", sw(3)));
        has(&format!("stack_probes_received_total{{{}}} 7.0", sw(1)));
        has(&format!("stack_probes_received_total{{{}}} 9.0", sw(2)));
        // Only stacked DPs have a root hop port, only stack ports a stack state.
        let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(count("dp_root_hop_port{"), 2);
        assert_eq!(count("port_stack_state{"), 2);
        assert_eq!(count("port_stack_state_change_count_total{"), 2);
    }

    #[test]
    fn without_a_stack_the_stack_families_are_zero_or_empty() {
        let published = Published {
            snapshot: Snapshot {
                dps: vec![dp(3, vec![port(1, "h3", None)], None)],
                ..Snapshot::default()
            },
            ..Published::default()
        };
        let mut text = String::new();
        render(&published, None, &mut text);
        let samples = |prefix: &str| -> Vec<&str> {
            text.lines().filter(|l| l.starts_with(prefix)).collect()
        };
        assert_eq!(
            samples("faucet_stack_root_dpid "),
            ["faucet_stack_root_dpid 0.0"]
        );
        assert_eq!(
            samples("stack_root_change_count_total "),
            ["stack_root_change_count_total 0.0"]
        );
        assert!(samples("dp_root_hop_port{").is_empty());
        assert!(samples("port_stack_state").is_empty());
        assert_eq!(
            samples("is_dp_stack_root{"),
            ["is_dp_stack_root{dp_id=\"0x3\",dp_name=\"sw3\"} 0.0"]
        );
    }
}
