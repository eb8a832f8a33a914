//! sluice's Prometheus text against FAUCET's: the same families, types and label names, and
//! label values in FAUCET's formats.
//!
//! `data/faucet-1.10.12.prom` is a scrape of real FAUCET 1.10.12 on OVS with the
//! configuration `data/faucet.yaml`, after its two hosts pinged each other and port 2 went
//! down (`scripts/metrics-compare --record` makes it again; Gauge's beside it). Here the core is driven through the same
//! story (the switch connects, is programmed, learns the two hosts) and its metrics are
//! rendered and compared family by family.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use sluice_core::telemetry::{Counters, snapshot};
use sluice_core::{Event, Instant};
use sluice_ofp::action::Action;
use sluice_ofp::instruction::Instruction;
use sluice_ofp::msg::multipart::{Desc, FlowStats, PortStats};
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{FixedStr, Match, Message, PortNo};
use sluice_runtime::gauge::{GaugeDp, GaugeStats, WatcherType};
use sluice_runtime::telemetry::{Published, prometheus};

/// A family as scraped: its type, its label names, and whether it has samples.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Family {
    kind: String,
    labels: BTreeSet<String>,
    samples: usize,
}

/// Families by name, from Prometheus text. Histogram samples (`_bucket`, `_count`, `_sum`)
/// belong to their family; `le` is not counted as a label.
fn parse(text: &str) -> BTreeMap<String, Family> {
    let mut fams: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            fams.entry(name.to_string()).or_default().kind = kind.to_string();
        } else if line.is_empty() || line.starts_with('#') {
            continue;
        } else {
            let name_end = line.find(['{', ' ']).unwrap();
            let mut name = &line[..name_end];
            for suffix in ["_bucket", "_count", "_sum"] {
                if let Some(base) = name.strip_suffix(suffix)
                    && fams.get(base).is_some_and(|f| f.kind == "histogram")
                {
                    name = base;
                }
            }
            let fam = fams
                .get_mut(name)
                .unwrap_or_else(|| panic!("no TYPE for {line}"));
            fam.samples += 1;
            if let Some(body) = line[name_end..].strip_prefix('{') {
                let body = &body[..body.rfind('}').unwrap()];
                for pair in body.split("\",") {
                    let (k, _) = pair.split_once("=\"").unwrap();
                    if k != "le" {
                        fam.labels.insert(k.to_string());
                    }
                }
            }
        }
    }
    fams
}

/// The configuration of the FAUCET capture.
const CONFIG: &str = include_str!("data/faucet.yaml");

/// The core taken through the capture's story: connect, program, learn two hosts.
fn sluice_text() -> String {
    let ports = (1..=2)
        .map(|p| sluice_ofp::Port {
            port_no: PortNo(p),
            name: FixedStr::new(&format!("sw1-p{p}")),
            ..Default::default()
        })
        .collect();
    let mut counters = Counters::new();
    let mut ctl = common::running(CONFIG, 0x5e1, ports, &mut counters);
    // IPv6 neighbour discovery, which is what OVS hosts send first.
    let nd =
        |port, src| common::learning_packet_in(port, src, [0x33, 0x33, 0, 0, 0, 0x16], 100, 0x86dd);
    let msgs = vec![
        (0, nd(2, [0x72, 0xaa, 0x5d, 0xbf, 0xb9, 0x1b])),
        (0, nd(1, [0xb6, 0xcb, 0x35, 0x5b, 0xb9, 0x6a])),
    ];
    common::run(
        &mut ctl,
        &mut counters,
        1000,
        Event::Messages { dp_id: 0x5e1, msgs },
    );
    counters.packet_ins_took(0x5e1, 0.0004, 2);

    let desc = Desc {
        mfr_desc: FixedStr::new("Nicira, Inc."),
        hw_desc: FixedStr::new("Open vSwitch"),
        sw_desc: FixedStr::new("3.1.0"),
        serial_num: FixedStr::new(""),
        dp_desc: FixedStr::new(""),
    };
    let published = Published {
        snapshot: snapshot(Instant(2000), &ctl, &counters),
        desc: BTreeMap::from([(0x5e1, Arc::new(desc))]),
        event_id: 8,
        taken: 1.8e9,
        started: 1.8e9,
        created: BTreeMap::new(),
        echo: (5.0, 3.0),
        ..Published::default()
    };
    let mut text = String::new();
    let process = sluice_runtime::telemetry::ProcessStats::read();
    prometheus::render(&published, Some(&process), &mut text);
    text
}

/// The built-in Gauge's text after the capture's story: the switch's static flows plus the
/// two hosts' source and destination flows, port counters for the two ports and LOCAL.
fn gauge_text() -> String {
    let ports: Vec<sluice_ofp::Port> = (1..=2)
        .map(|p| sluice_ofp::Port {
            port_no: PortNo(p),
            name: FixedStr::new(&format!("sw1-p{p}")),
            state: sluice_ofp::port::PortState::LIVE,
            curr_speed: 10_000_000,
            ..Default::default()
        })
        .collect();
    let mut counters = Counters::new();
    let ctl = common::running(CONFIG, 0x5e1, ports, &mut counters);
    let mut flows: Vec<FlowStats> = ctl
        .valve(0x5e1)
        .unwrap()
        .installed()
        .flows
        .sorted()
        .into_iter()
        .filter_map(|f| match f.add() {
            Message::FlowMod(fm) => {
                Some(stats(fm.table_id, fm.priority, fm.match_, fm.instructions))
            }
            _ => None,
        })
        .collect();
    for (port, mac) in [
        (1, [0xb6, 0xcb, 0x35, 0x5b, 0xb9, 0x6a]),
        (2, [0x72, 0xaa, 0x5d, 0xbf, 0xb9, 0x1b]),
    ] {
        let mac = sluice_wire::MacAddr(mac);
        let src = Match::from_fields([
            OxmField::InPort(PortNo(port)),
            OxmField::EthSrc(mac, None),
            OxmField::VlanVid(0x1064, None),
        ]);
        flows.push(stats(1, 8191, src, vec![Instruction::GotoTable(2)]));
        let dst =
            Match::from_fields([OxmField::EthDst(mac, None), OxmField::VlanVid(0x1064, None)]);
        let out = Action::Output {
            port: PortNo(port),
            max_len: 0,
        };
        flows.push(stats(
            2,
            8192,
            dst,
            vec![Instruction::ApplyActions(vec![Action::PopVlan, out])],
        ));
    }
    let port_stats = [1, 2, PortNo::LOCAL.0]
        .map(|p| PortStats {
            port_no: PortNo(p),
            rx_packets: 12,
            tx_packets: 11,
            ..PortStats::default()
        })
        .to_vec();
    let kinds = BTreeSet::from([
        WatcherType::PortState,
        WatcherType::PortStats,
        WatcherType::FlowTable,
        WatcherType::MeterStats,
    ]);
    let names = ctl.config().unwrap().dps.values();
    let gauge = GaugeStats {
        dps: names.map(|d| (d.dp_id.0, GaugeDp::of(d))).collect(),
        watched: BTreeMap::from([(0x5e1, kinds)]),
        port_stats: BTreeMap::from([(0x5e1, Arc::new(port_stats))]),
        flows: BTreeMap::from([(0x5e1, Arc::new(flows))]),
        ..GaugeStats::default()
    };
    let published = Published {
        snapshot: snapshot(Instant(2000), &ctl, &counters),
        gauge: Arc::new(gauge),
        ..Published::default()
    };
    let mut text = String::new();
    let process = sluice_runtime::telemetry::ProcessStats::read();
    sluice_runtime::gauge::prometheus::render(&published, Some(&process), &mut text);
    text
}

fn stats(table_id: u8, priority: u16, match_: Match, instructions: Vec<Instruction>) -> FlowStats {
    FlowStats {
        table_id,
        duration_sec: 3,
        duration_nsec: 0,
        priority,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: sluice_ofp::msg::flow::FlowModFlags::empty(),
        cookie: 0x5adc15c0,
        packet_count: 1,
        byte_count: 64,
        match_,
        instructions,
    }
}

/// Families FAUCET has with samples that sluice leaves empty, and why.
const EMPTY_IN_SLUICE: &[(&str, &str)] = &[(
    "faucet_valve_service_secs",
    "sluice's periodic work runs for all DPs in one pass, not per DP and service",
)];

/// Where sluice's families differ from a real scrape's, apart from `empty_ok` families that
/// sluice leaves without samples.
fn differences(real: &str, text: &str, empty_ok: &[(&str, &str)]) -> Vec<String> {
    let faucet = parse(real);
    let sluice = parse(text);
    let mut problems = Vec::new();
    for (name, f) in &faucet {
        // The Python runtime's own families have no equivalent.
        if name.starts_with("python_") {
            continue;
        }
        let Some(s) = sluice.get(name) else {
            if !empty_ok.iter().any(|(n, _)| name.starts_with(n)) {
                problems.push(format!("{name}: missing"));
            }
            continue;
        };
        if s.kind != f.kind {
            problems.push(format!("{name}: type {} (FAUCET: {})", s.kind, f.kind));
        }
        if f.samples > 0 && s.samples == 0 {
            if !empty_ok.iter().any(|(n, _)| n == name) {
                problems.push(format!("{name}: no samples (FAUCET has {})", f.samples));
            }
        } else if f.samples > 0 && s.labels != f.labels {
            problems.push(format!(
                "{name}: labels {:?} (FAUCET: {:?})",
                s.labels, f.labels
            ));
        }
    }
    for name in sluice.keys() {
        if !faucet.contains_key(name) {
            problems.push(format!("{name}: not a FAUCET family"));
        }
    }
    problems
}

#[test]
fn families_types_and_label_names_match_faucets() {
    let text = sluice_text();
    let problems = differences(
        include_str!("data/faucet-1.10.12.prom"),
        &text,
        EMPTY_IN_SLUICE,
    );
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
}

#[test]
fn gauge_families_types_and_label_names_match_gauges() {
    let text = gauge_text();
    let problems = differences(include_str!("data/gauge-1.10.12.prom"), &text, &[]);
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
    let has = |line: &str| assert!(text.lines().any(|l| l == line), "missing: {line}\n{text}");
    has(
        "of_port_rx_packets{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"LOCAL\",port_description=\"LOCAL\"} 12.0",
    );
    has(
        "of_port_tx_packets{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"p2\",port_description=\"second port\"} 11.0",
    );
    has("of_port_state{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"p1\",port_description=\"p1\"} 4.0");
    has(
        "of_port_curr_speed{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"p1\",port_description=\"p1\"} 1e+07",
    );
    has(
        "flow_packet_count_vlan{cookie=\"1524372928\",dp_id=\"0x5e1\",dp_name=\"sw1\",in_port=\"1\",inst_count=\"2\",priority=\"4096\",table_id=\"0\",vlan=\"4096\",vlan_vid=\"0\"} 1.0",
    );
    has(
        "flow_byte_count_flood{cookie=\"1524372928\",dp_id=\"0x5e1\",dp_name=\"sw1\",eth_dst=\"01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0\",inst_count=\"0\",priority=\"8236\",table_id=\"3\",vlan=\"\",vlan_vid=\"\"} 64.0",
    );
}

#[test]
fn label_values_are_in_faucets_formats() {
    let text = sluice_text();
    let has = |line: &str| {
        assert!(
            text.lines().any(|l| l == line),
            "missing line: {line}\n{text}"
        );
    };
    // Exactly FAUCET's lines for the same state (values that depend on timing excepted).
    has("of_packet_ins_total{dp_id=\"0x5e1\",dp_name=\"sw1\"} 2.0");
    has("of_vlan_packet_ins_total{dp_id=\"0x5e1\",dp_name=\"sw1\"} 2.0");
    has("vlan_hosts_learned{dp_id=\"0x5e1\",dp_name=\"sw1\",vlan=\"100\"} 2.0");
    has(
        "port_vlan_hosts_learned{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"p2\",port_description=\"second port\",vlan=\"100\"} 1.0",
    );
    has(
        "learned_l2_port{dp_id=\"0x5e1\",dp_name=\"sw1\",eth_src=\"72:aa:5d:bf:b9:1b\",vid=\"100\"} 2.0",
    );
    has(
        "learned_macs{dp_id=\"0x5e1\",dp_name=\"sw1\",n=\"0\",port=\"p1\",port_description=\"p1\",vlan=\"100\"} 2.0098388982001e+014",
    );
    has("port_status{dp_id=\"0x5e1\",dp_name=\"sw1\",port=\"p1\",port_description=\"p1\"} 1.0");
    has("dp_status{dp_id=\"0x5e1\",dp_name=\"sw1\"} 1.0");
    has(
        "faucet_config_table_names{dp_id=\"0x5e1\",dp_name=\"sw1\",next_tables=\"eth_dst,flood\",table_name=\"eth_src\"} 1.0",
    );
    has(
        "of_dp_desc_stats{dp_desc=\"None\",dp_id=\"0x5e1\",dp_name=\"sw1\",hw_desc=\"Open vSwitch\",mfr_desc=\"Nicira, Inc.\",serial_num=\"None\",sw_desc=\"3.1.0\"} 1505.0",
    );
    has("faucet_packet_in_secs_bucket{dp_id=\"0x5e1\",dp_name=\"sw1\",le=\"0.001\"} 2.0");
    has("of_dp_connections_total{dp_id=\"0x5e1\",dp_name=\"sw1\"} 1.0");
    has("faucet_config_load_error 0.0");
    has("faucet_event_id 8.0");
}

/// The metric names a PromQL query reads: identifiers that are not functions, keywords,
/// label names, or inside label matchers and ranges.
fn metric_names(expr: &str) -> Vec<String> {
    // label_values(metric, label): only the metric.
    let mut s = expr.to_string();
    while let Some(i) = s.find("label_values(") {
        let rest = &s[i + "label_values(".len()..];
        let end = rest.find(')').unwrap();
        let metric = rest[..end].split(',').next().unwrap().trim().to_string();
        s = format!("{}{metric}{}", &s[..i], &rest[end + 1..]);
    }
    // Drop {matchers}, [ranges] and by (...) / without (...) groupings.
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    for kw in ["by", "without"] {
        while let Some(i) = out.find(&format!("{kw} (")) {
            let end = i + out[i..].find(')').unwrap();
            out.replace_range(i..=end, "");
        }
    }
    let keywords = [
        "and",
        "or",
        "unless",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
    ];
    let mut names = Vec::new();
    let chars: Vec<char> = out.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            // Numbers like 1e3 start with a digit and are skipped below.
            if next != Some(&'(') && !keywords.contains(&word.as_str()) {
                names.push(word);
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn every_dashboard_query_names_a_metric_sluice_exports() {
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../../grafana/sluice-faucet.json")).unwrap();
    let mut exported = BTreeSet::new();
    for text in [sluice_text(), gauge_text()] {
        for line in text.lines() {
            let name = match line.strip_prefix("# TYPE ") {
                Some(rest) => rest.split(' ').next().unwrap(),
                None if line.starts_with('#') || line.is_empty() => continue,
                None => &line[..line.find(['{', ' ']).unwrap()],
            };
            exported.insert(name.to_string());
        }
    }
    // Histogram series exist for every histogram family.
    for h in ["faucet_packet_in_secs"] {
        for suffix in ["_bucket", "_sum", "_count"] {
            exported.insert(format!("{h}{suffix}"));
        }
    }
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            queries.push(t["expr"].as_str().unwrap().to_string());
        }
    }
    for v in dashboard["templating"]["list"].as_array().unwrap() {
        queries.push(v["definition"].as_str().unwrap().to_string());
    }
    assert!(queries.len() > 20, "{} queries", queries.len());
    for q in &queries {
        let names = metric_names(q);
        assert!(!names.is_empty(), "no metric in {q}");
        for n in names {
            assert!(exported.contains(&n), "{q}: {n} is not exported by sluice");
        }
    }
    assert_eq!(
        metric_names(
            "histogram_quantile(0.99, sum by (dp_name, le) (rate(faucet_packet_in_secs_bucket{dp_name=~\"$dp\"}[5m])))"
        ),
        ["faucet_packet_in_secs_bucket"]
    );
}
