//! The read-only JSON API that `sluice show` reads: DPs, ports (state and counters), VLANs,
//! learned hosts, stack links and flow tables.
//!
//! | path | answer |
//! |---|---|
//! | `/api/dps` | every DP: id, name, connection, pipeline, packet-in and message counters |
//! | `/api/ports` | every port of every DP: configuration, state, host count, learning bans, and traffic counters when a Gauge polls them |
//! | `/api/vlans` | every VLAN of every DP: hosts learned, learning bans |
//! | `/api/hosts` | every learned host: DP, VLAN, MAC, port, age |
//! | `/api/stack` | the stack's root and each stack port's state |
//! | `/api/flows?dp=NAME` | a DP's static flows as last sent, and its learned hosts' flows |
//!
//! Everything but `/api/flows` is answered from the snapshot the controller publishes once a
//! second, without asking the controller. Flows are asked for (they are not published), so
//! the controller spends a moment listing them; that is fine for a person at a terminal, and
//! a Prometheus scrape never does it.

use serde_json::{Value, json};
use sluice_core::telemetry::{DpSnapshot, PortSnapshot};
use tokio::net::TcpListener;

use crate::ServerHandle;
use crate::http::{self, Request, Response};
use crate::telemetry::{Published, TelemetryHandle};

const JSON: &str = "application/json";

/// Serves the API on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, telemetry: TelemetryHandle, server: ServerHandle) {
    http::serve(listener, move |req: Request| {
        let (telemetry, server) = (telemetry.clone(), server.clone());
        async move {
            let published = telemetry.latest().await;
            answer(&req, &published, &server).await
        }
    })
    .await;
}

async fn answer(req: &Request, p: &Published, server: &ServerHandle) -> Response {
    let body = match req.path.trim_end_matches('/') {
        "/api" | "" => json!({
            "endpoints": ["/api/dps", "/api/ports", "/api/vlans", "/api/hosts", "/api/stack",
                          "/api/flows?dp=NAME"],
        }),
        "/api/dps" => dps(p),
        "/api/ports" => ports(p),
        "/api/vlans" => vlans(p),
        "/api/hosts" => hosts(p),
        "/api/stack" => stack(p),
        "/api/flows" => match flows(&req.query, p, server).await {
            Ok(v) => v,
            Err(resp) => return resp,
        },
        _ => return Response::error(404, "no such endpoint; see /api"),
    };
    Response::ok(JSON, body.to_string())
}

fn dp_id(id: u64) -> String {
    format!("{id:#x}")
}

fn dps(p: &Published) -> Value {
    let list: Vec<Value> = p
        .snapshot
        .dps
        .iter()
        .map(|d| {
            let desc = p.desc.get(&d.dp_id).map(|s| {
                json!({
                    "mfr_desc": s.mfr_desc.as_str(),
                    "hw_desc": s.hw_desc.as_str(),
                    "sw_desc": s.sw_desc.as_str(),
                    "serial_num": s.serial_num.as_str(),
                    "dp_desc": s.dp_desc.as_str(),
                })
            });
            let c = &d.counters;
            json!({
                "dp_id": dp_id(d.dp_id),
                "name": d.name,
                "description": d.description,
                "configured": d.configured,
                "connected": d.connected,
                "running": d.running,
                "switch": desc,
                "ports": d.ports.iter().filter(|p| p.configured).count(),
                "ports_up": d.ports.iter().filter(|p| p.configured && p.up).count(),
                "vlans": d.vlans.len(),
                "hosts": d.hosts.len(),
                "static_flows": d.static_flows,
                "tables": d.tables.iter().map(|t| json!({
                    "id": t.id, "name": t.name, "next_tables": t.next_tables,
                })).collect::<Vec<_>>(),
                "packet_ins": {
                    "received": d.packet_ins.received,
                    "vlan": d.packet_ins.vlan,
                    "non_vlan": d.packet_ins.non_vlan,
                    "ignored": d.packet_ins.ignored,
                    "unexpected": d.packet_ins.unexpected(),
                },
                "connections": c.connections,
                "disconnections": c.disconnections,
                "flowmsgs_sent": c.flowmsgs_sent,
                "errors": c.errors,
                "reloads": {"warm": c.reload_warm, "cold": c.reload_cold},
            })
        })
        .collect();
    json!({ "taken": p.taken, "dps": list })
}

fn port_json(p: &Published, d: &DpSnapshot, port: &PortSnapshot) -> Value {
    // Traffic counters, when a Gauge polls this DP's port statistics.
    let counters = p
        .gauge
        .port_stats
        .get(&d.dp_id)
        .and_then(|stats| stats.iter().find(|s| s.port_no.0 == port.number))
        .map(|s| {
            // OVS reports a counter it does not keep as all ones.
            let v = |x: u64| (x != u64::MAX).then_some(x);
            json!({
                "rx_packets": v(s.rx_packets), "tx_packets": v(s.tx_packets),
                "rx_bytes": v(s.rx_bytes), "tx_bytes": v(s.tx_bytes),
                "rx_dropped": v(s.rx_dropped), "tx_dropped": v(s.tx_dropped),
                "rx_errors": v(s.rx_errors), "tx_errors": v(s.tx_errors),
            })
        });
    let sw = port.switch.as_ref().map(|s| {
        json!({
            "name": s.name.as_str(),
            "hw_addr": s.hw_addr.to_string(),
            "admin_up": !s.config.contains(sluice_ofp::port::PortConfig::PORT_DOWN),
            "link_up": !s.state.contains(sluice_ofp::port::PortState::LINK_DOWN),
            "state": s.state.bits(),
            "config": s.config.bits(),
            "curr_speed_kbps": s.curr_speed,
            "max_speed_kbps": s.max_speed,
        })
    });
    json!({
        "dp_id": dp_id(d.dp_id),
        "dp_name": d.name,
        "number": port.number,
        "name": port.name,
        "description": port.description,
        "configured": port.configured,
        "up": port.up,
        "native_vlan": port.native_vlan,
        "tagged_vlans": port.tagged_vlans,
        "stack": port.stack,
        "hosts": d.hosts.iter().filter(|h| h.port == port.number).count(),
        "learn_bans": port.learn_bans,
        "switch": sw,
        "counters": counters,
    })
}

fn ports(p: &Published) -> Value {
    let list: Vec<Value> = p
        .snapshot
        .dps
        .iter()
        .flat_map(|d| d.ports.iter().map(move |port| port_json(p, d, port)))
        .collect();
    json!({ "taken": p.taken, "ports": list })
}

fn vlans(p: &Published) -> Value {
    let list: Vec<Value> = p
        .snapshot
        .dps
        .iter()
        .flat_map(|d| {
            d.vlans.iter().map(move |v| {
                json!({
                    "dp_id": dp_id(d.dp_id),
                    "dp_name": d.name,
                    "vid": v.vid,
                    "name": v.name,
                    "hosts": v.hosts,
                    "learn_bans": v.learn_bans,
                })
            })
        })
        .collect();
    json!({ "taken": p.taken, "vlans": list })
}

fn hosts(p: &Published) -> Value {
    let now = p.snapshot.at;
    let mut list: Vec<(&DpSnapshot, &sluice_core::telemetry::HostSnapshot)> = p
        .snapshot
        .dps
        .iter()
        .flat_map(|d| d.hosts.iter().map(move |h| (d, h)))
        .collect();
    list.sort_by_key(|(d, h)| (d.dp_id, h.vid, h.port, h.mac.0));
    let list: Vec<Value> = list
        .into_iter()
        .map(|(d, h)| {
            let port_name = d.port(h.port).map(|p| p.name.clone());
            json!({
                "dp_id": dp_id(d.dp_id),
                "dp_name": d.name,
                "vid": h.vid,
                "mac": h.mac.to_string(),
                "port": h.port,
                "port_name": port_name,
                "age_secs": (now - h.learned).as_secs(),
                "timeout_secs": h.timeout,
            })
        })
        .collect();
    json!({ "taken": p.taken, "hosts": list })
}

fn stack(p: &Published) -> Value {
    let links: Vec<Value> = p
        .snapshot
        .dps
        .iter()
        .flat_map(|d| {
            d.ports.iter().filter(|port| port.stack).map(move |port| {
                let state = port.stack_state.map(|s| s.state);
                json!({
                    "dp_id": dp_id(d.dp_id),
                    "dp_name": d.name,
                    "port": port.number,
                    "port_name": port.name,
                    "up": port.up,
                    "state": state.map_or("none", |s| s.name()),
                    "root_hop": d.stack.and_then(|s| s.root_hop_port) == Some(port.number),
                })
            })
        })
        .collect();
    let stack = p.snapshot.stack;
    json!({
        "taken": p.taken,
        "running": stack.is_some(),
        "root": stack.and_then(|s| s.root).map(dp_id),
        "root_changes": stack.map_or(0, |s| s.root_changes),
        "links": links,
    })
}

/// The DP a `dp=` query names (by name or datapath id); the only DP if there is one.
fn pick<'a>(query: &str, p: &'a Published) -> Result<&'a DpSnapshot, Response> {
    let want = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("dp="))
        .map(|v| v.replace("%20", " "));
    let dps = &p.snapshot.dps;
    match want {
        None if dps.len() == 1 => Ok(&dps[0]),
        None => Err(Response::error(400, "say which DP: /api/flows?dp=NAME")),
        Some(w) => dps
            .iter()
            .find(|d| d.name == w || dp_id(d.dp_id) == w || d.dp_id.to_string() == w)
            .ok_or_else(|| Response::error(404, &format!("no DP {w}"))),
    }
}

async fn flows(query: &str, p: &Published, server: &ServerHandle) -> Result<Value, Response> {
    let d = pick(query, p)?;
    let text = server
        .flows(d.dp_id)
        .await
        .map_err(|e| Response::error(503, &e.to_string()))?;
    let static_flows: Vec<&str> = text.as_deref().map_or(Vec::new(), |t| t.lines().collect());
    let hosts: Vec<Value> = d
        .hosts
        .iter()
        .map(|h| {
            json!({
                "vid": h.vid, "mac": h.mac.to_string(), "port": h.port,
                "hard_timeout": h.timeout,
            })
        })
        .collect();
    Ok(json!({
        "taken": p.taken,
        "dp_id": dp_id(d.dp_id),
        "dp_name": d.name,
        "tables": d.tables.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
        "static": static_flows,
        "learned_hosts": hosts,
    }))
}
