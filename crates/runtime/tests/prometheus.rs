//! sluice's Prometheus text against FAUCET's: the same families, types and label names, and
//! label values in FAUCET's formats.
//!
//! `data/faucet-1.10.12.prom` is a scrape of real FAUCET 1.10.12 on OVS with the
//! configuration `data/faucet.yaml`, after two hosts pinged each other
//! (`scripts/metrics-compare` makes it again). Here the core is driven through the same
//! story (the switch connects, is programmed, learns the two hosts) and its metrics are
//! rendered and compared family by family.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use sluice_core::telemetry::{Counters, snapshot};
use sluice_core::{Event, Instant};
use sluice_ofp::msg::multipart::Desc;
use sluice_ofp::{FixedStr, PortNo};
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
        desc: BTreeMap::from([(0x5e1, desc)]),
        event_id: 8,
        taken: 1.8e9,
        started: 1.8e9,
        created: BTreeMap::new(),
        echo: (5.0, 3.0),
    };
    let mut text = String::new();
    let process = sluice_runtime::telemetry::ProcessStats::read();
    prometheus::render(&published, Some(&process), &mut text);
    text
}

/// Families FAUCET has with samples that sluice leaves empty, and why.
const EMPTY_IN_SLUICE: &[(&str, &str)] = &[(
    "faucet_valve_service_secs",
    "sluice's periodic work runs for all DPs in one pass, not per DP and service",
)];

#[test]
fn families_types_and_label_names_match_faucets() {
    let faucet = parse(include_str!("data/faucet-1.10.12.prom"));
    let text = sluice_text();
    let sluice = parse(&text);
    let mut problems = Vec::new();
    for (name, f) in &faucet {
        // The Python runtime's own families have no equivalent.
        if name.starts_with("python_") {
            continue;
        }
        let Some(s) = sluice.get(name) else {
            if !EMPTY_IN_SLUICE.iter().any(|(n, _)| name.starts_with(n)) {
                problems.push(format!("{name}: missing"));
            }
            continue;
        };
        if s.kind != f.kind {
            problems.push(format!("{name}: type {} (FAUCET: {})", s.kind, f.kind));
        }
        if f.samples > 0 && s.samples == 0 {
            if !EMPTY_IN_SLUICE.iter().any(|(n, _)| n == name) {
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
    assert!(problems.is_empty(), "{}\n\n{text}", problems.join("\n"));
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
