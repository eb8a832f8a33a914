//! Gauge's Prometheus database: Gauge's families (`dp_status`, `of_port_*`, `of_meter_*`,
//! `flow_packet_count_<table>` and `flow_byte_count_<table>`), all gauges, with Gauge's
//! label names and empty help texts, rendered from the published snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sluice_core::telemetry::DpSnapshot;

use super::oxm::{OxmValue, parts};
use super::{GaugeDp, GaugeStats, WatcherType};
use crate::telemetry::prometheus::{Writer, process_families, quote};
use crate::telemetry::{ProcessStats, Published};

/// A watched DP being rendered: its names, its switch as the controller sees it, and the
/// `dp_id`/`dp_name` labels.
struct Dp<'a> {
    dp_id: u64,
    names: &'a GaugeDp,
    switch: Option<&'a DpSnapshot>,
    labels: String,
}

impl Dp<'_> {
    /// `dp_id`, `dp_name`, `port`, `port_description`.
    fn port_labels(&self, no: u32) -> String {
        let (name, desc) = self.names.port_labels(no);
        let mut s = format!("{},port=", self.labels);
        quote(&mut s, &name);
        s.push_str(",port_description=");
        quote(&mut s, &desc);
        s
    }
}

/// Renders Gauge's metrics into `out`; `process` adds the `process_*` families.
pub fn render(p: &Published, process: Option<&ProcessStats>, out: &mut String) {
    let g = &p.gauge;
    let mut w = Writer::new(out);
    w.family("faucet_pbr_version", "Faucet PBR version", "gauge");
    let _ = writeln!(
        w.out(),
        "faucet_pbr_version{{version=\"{}\"}} 1.0",
        env!("CARGO_PKG_VERSION")
    );
    let dps: Vec<Dp<'_>> = g
        .watched
        .keys()
        .filter_map(|dp_id| {
            let names = g.dps.get(dp_id)?;
            let mut labels = format!("dp_id=\"{dp_id:#x}\",dp_name=");
            quote(&mut labels, &names.name);
            Some(Dp {
                dp_id: *dp_id,
                names,
                switch: p.snapshot.dps.iter().find(|d| d.dp_id == *dp_id),
                labels,
            })
        })
        .collect();
    w.family("dp_status", "status of datapaths", "gauge");
    for d in &dps {
        let up = d.switch.is_some_and(|s| s.connected);
        w.sample_u("dp_status", &d.labels, u64::from(up));
    }
    let watching = |d: &Dp<'_>, kind| g.watched.get(&d.dp_id).is_some_and(|k| k.contains(&kind));
    // OVS reports a counter it does not keep as all ones; Gauge exports 0.
    let v = |x: u64| if x == u64::MAX { 0 } else { x };
    type PortStat = fn(&sluice_ofp::msg::multipart::PortStats) -> u64;
    let port_vars: [(&str, PortStat); 8] = [
        ("of_port_tx_packets", |s| s.tx_packets),
        ("of_port_rx_packets", |s| s.rx_packets),
        ("of_port_tx_bytes", |s| s.tx_bytes),
        ("of_port_rx_bytes", |s| s.rx_bytes),
        ("of_port_tx_dropped", |s| s.tx_dropped),
        ("of_port_rx_dropped", |s| s.rx_dropped),
        ("of_port_tx_errors", |s| s.tx_errors),
        ("of_port_rx_errors", |s| s.rx_errors),
    ];
    for (name, get) in port_vars {
        w.family(name, "", "gauge");
        for d in dps.iter().filter(|d| watching(d, WatcherType::PortStats)) {
            for s in g.port_stats.get(&d.dp_id).iter().flat_map(|v| v.iter()) {
                w.sample_u(name, &d.port_labels(s.port_no.0), v(get(s)));
            }
        }
    }
    // Port states: configured ports the switch has reported.
    type PortState = fn(&GaugeStats, u64, &sluice_ofp::Port) -> u64;
    let state_vars: [(&str, PortState); 4] = [
        ("of_port_reason", |g, dp, port| {
            u64::from(
                g.port_reason
                    .get(&(dp, port.port_no.0))
                    .copied()
                    .unwrap_or(0),
            )
        }),
        ("of_port_state", |_, _, port| u64::from(port.state.bits())),
        ("of_port_curr_speed", |_, _, port| {
            u64::from(port.curr_speed)
        }),
        ("of_port_max_speed", |_, _, port| u64::from(port.max_speed)),
    ];
    for (name, get) in state_vars {
        w.family(name, "", "gauge");
        for d in dps.iter().filter(|d| watching(d, WatcherType::PortState)) {
            for no in d.names.ports.keys() {
                let sw = d
                    .switch
                    .and_then(|s| s.port(*no))
                    .and_then(|p| p.switch.as_ref());
                if let Some(sw) = sw {
                    w.sample_u(name, &d.port_labels(*no), get(g, d.dp_id, sw));
                }
            }
        }
    }
    type MeterStat = fn(&sluice_ofp::msg::multipart::MeterStats) -> u64;
    let meter_vars: [(&str, MeterStat); 5] = [
        ("of_meter_flow_count", |m| u64::from(m.flow_count)),
        ("of_meter_byte_in_count", |m| m.byte_in_count),
        ("of_meter_packet_in_count", |m| m.packet_in_count),
        ("of_meter_byte_band_count", |m| {
            m.band_stats.first().map_or(0, |b| b.byte_count)
        }),
        ("of_meter_packet_band_count", |m| {
            m.band_stats.first().map_or(0, |b| b.packet_count)
        }),
    ];
    for (name, get) in meter_vars {
        w.family(name, "", "gauge");
        for d in dps.iter().filter(|d| watching(d, WatcherType::MeterStats)) {
            for m in g.meters.get(&d.dp_id).iter().flat_map(|v| v.iter()) {
                let labels = format!("{},meter_id=\"{}\"", d.labels, m.meter_id);
                w.sample_u(name, &labels, v(get(m)));
            }
        }
    }
    let flow_dps: Vec<&Dp<'_>> = dps
        .iter()
        .filter(|d| watching(d, WatcherType::FlowTable))
        .collect();
    flow_families(&mut w, g, &flow_dps);
    if let Some(ps) = process {
        process_families(&mut w, ps, p.started);
    }
}

/// One flow's labels (Gauge's names, before the table's missing ones are added).
fn flow_labels(
    d: &Dp<'_>,
    f: &sluice_ofp::msg::multipart::FlowStats,
) -> BTreeMap<&'static str, String> {
    let mut tags: BTreeMap<&'static str, String> = BTreeMap::new();
    tags.insert("dp_name", d.names.name.clone());
    tags.insert("dp_id", format!("{:#x}", d.dp_id));
    tags.insert("table_id", f.table_id.to_string());
    tags.insert("priority", f.priority.to_string());
    tags.insert("inst_count", f.instructions.len().to_string());
    tags.insert("cookie", f.cookie.to_string());
    for field in f.match_.iter() {
        let Some((name, value, mask)) = parts(&field) else {
            continue;
        };
        if name == "vlan_vid"
            && mask.is_none()
            && let OxmValue::Int(vid) = value
        {
            // Gauge's `vlan`: the VID with the present bit flipped (4096 for untagged).
            tags.insert("vlan", (vid ^ 0x1000).to_string());
        }
        let shown = match mask {
            Some(m) => format!("{value}/{m}"),
            None => value.to_string(),
        };
        tags.insert(name, shown);
    }
    tags
}

fn flow_families(w: &mut Writer<'_>, g: &GaugeStats, dps: &[&Dp<'_>]) {
    // Per table name: every flow's labels, and the union of label names (Gauge fills the
    // ones a flow lacks with "").
    type Rows = Vec<(BTreeMap<&'static str, String>, u64, u64)>;
    let mut tables: BTreeMap<&'static str, (BTreeSet<&'static str>, Rows)> = BTreeMap::new();
    for d in dps {
        for f in g.flows.get(&d.dp_id).iter().flat_map(|v| v.iter()) {
            let Some(table) = d.names.tables.get(&f.table_id).copied() else {
                continue;
            };
            let tags = flow_labels(d, f);
            let entry = tables.entry(table).or_default();
            entry.0.extend(tags.keys().copied());
            entry.1.push((tags, f.byte_count, f.packet_count));
        }
    }
    for (table, (keys, rows)) in &tables {
        for (var, byte_count) in [("flow_byte_count", true), ("flow_packet_count", false)] {
            let name = format!("{var}_{table}");
            w.family(&name, "", "gauge");
            for (tags, bytes, packets) in rows {
                let mut l = String::new();
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        l.push(',');
                    }
                    l.push_str(k);
                    l.push('=');
                    quote(&mut l, tags.get(k).map_or("", String::as_str));
                }
                w.sample_u(&name, &l, if byte_count { *bytes } else { *packets });
            }
        }
    }
}

/// Serves Gauge's metrics on `listener` until the task is dropped (any path, as Gauge).
pub async fn serve(listener: tokio::net::TcpListener, telemetry: crate::TelemetryHandle) {
    crate::http::serve(listener, move |_req| {
        let telemetry = telemetry.clone();
        async move {
            let published = telemetry.latest().await;
            let rendered = tokio::task::spawn_blocking(move || {
                let process = crate::telemetry::ProcessStats::read();
                let mut text = String::with_capacity(16 * 1024);
                render(&published, Some(&process), &mut text);
                text
            })
            .await;
            match rendered {
                Ok(text) => {
                    crate::http::Response::ok(crate::telemetry::prometheus::CONTENT_TYPE, text)
                }
                Err(_) => crate::http::Response::error(503, "metrics could not be rendered"),
            }
        }
    })
    .await;
}
