//! `sluice show dps|ports|hosts|flows|stack`: readable tables of what a running controller
//! knows, read from its JSON API (`sluice run --api`, 127.0.0.1:9304 by default).

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde_json::Value;

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum What {
    /// Datapaths: connection, ports up, hosts, flows, packet-ins.
    Dps,
    /// Ports: configuration, state, hosts, learning bans.
    Ports,
    /// Learned hosts: VLAN, MAC, port, age.
    Hosts,
    /// A DP's flows: its static pipeline, then its learned hosts.
    Flows,
    /// Stack links.
    Stack,
}

/// Arguments of `sluice show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// What to show.
    what: What,
    /// The controller's API address. Default: SLUICE_API, else 127.0.0.1:9304.
    #[arg(long, value_name = "ADDR:PORT")]
    api: Option<String>,
    /// Only this DP (by name or datapath id); `flows` needs it when there are several.
    #[arg(long, value_name = "DP")]
    dp: Option<String>,
}

/// Prints the table.
pub(crate) fn main(args: ShowArgs) -> anyhow::Result<()> {
    let api = args
        .api
        .clone()
        .or_else(|| std::env::var("SLUICE_API").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| crate::telemetry::DEFAULT_API.to_string());
    let path = match args.what {
        What::Dps => "/api/dps".to_string(),
        What::Ports => "/api/ports".to_string(),
        What::Hosts => "/api/hosts".to_string(),
        What::Stack => "/api/stack".to_string(),
        What::Flows => match &args.dp {
            Some(dp) => format!("/api/flows?dp={}", dp.replace(' ', "%20")),
            None => "/api/flows".to_string(),
        },
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let (status, body) = rt
        .block_on(sluice_runtime::http::get(&api, &path))
        .with_context(|| {
            format!("asking the controller at {api} (is `sluice run` running with --api {api}?)")
        })?;
    let text = String::from_utf8_lossy(&body);
    if status != 200 {
        bail!("the controller answered {status}: {}", text.trim());
    }
    let v: Value = serde_json::from_str(&text).context("the controller's answer is not JSON")?;
    print!("{}", render(args.what, &v, args.dp.as_deref()));
    Ok(())
}

/// The table for `what` from the API's answer `v`, optionally for one DP.
pub(crate) fn render(what: What, v: &Value, dp: Option<&str>) -> String {
    let keep = |row: &Value, name_key: &str, id_key: &str| {
        dp.is_none_or(|d| s(&row[name_key]) == d || s(&row[id_key]) == d)
    };
    match what {
        What::Dps => table(
            &[
                "DP",
                "DP_ID",
                "STATUS",
                "PORTS UP",
                "VLANS",
                "HOSTS",
                "FLOWS",
                "PACKET-INS",
                "SWITCH",
            ],
            rows(v, "dps")
                .filter(|d| keep(d, "name", "dp_id"))
                .map(|d| {
                    let status = if d["running"] == true {
                        "running"
                    } else if d["connected"] == true {
                        "connecting"
                    } else if d["configured"] == true {
                        "down"
                    } else {
                        "not configured"
                    };
                    let switch = match &d["switch"] {
                        Value::Null => String::new(),
                        sw => format!("{} {}", s(&sw["mfr_desc"]), s(&sw["sw_desc"])),
                    };
                    vec![
                        s(&d["name"]),
                        s(&d["dp_id"]),
                        status.to_string(),
                        format!("{}/{}", s(&d["ports_up"]), s(&d["ports"])),
                        s(&d["vlans"]),
                        s(&d["hosts"]),
                        s(&d["static_flows"]),
                        s(&d["packet_ins"]["received"]),
                        switch,
                    ]
                })
                .collect(),
        ),
        What::Ports => table(
            &[
                "DP",
                "PORT",
                "NAME",
                "DESCRIPTION",
                "STATUS",
                "VLANS",
                "HOSTS",
                "BANS",
                "RX PKTS",
                "TX PKTS",
                "SWITCH PORT",
            ],
            rows(v, "ports")
                .filter(|p| keep(p, "dp_name", "dp_id"))
                .map(|p| {
                    let mut vlans: Vec<String> = Vec::new();
                    if !p["native_vlan"].is_null() {
                        vlans.push(s(&p["native_vlan"]));
                    }
                    if let Some(tagged) = p["tagged_vlans"].as_array() {
                        vlans.extend(tagged.iter().map(|t| format!("{}t", s(t))));
                    }
                    let status = match (p["configured"] == true, p["up"] == true) {
                        (true, true) => "up",
                        (true, false) => "down",
                        (false, true) => "up (not configured)",
                        (false, false) => "down (not configured)",
                    };
                    vec![
                        s(&p["dp_name"]),
                        s(&p["number"]),
                        s(&p["name"]),
                        s(&p["description"]),
                        status.to_string(),
                        vlans.join(","),
                        s(&p["hosts"]),
                        s(&p["learn_bans"]),
                        s(&p["counters"]["rx_packets"]),
                        s(&p["counters"]["tx_packets"]),
                        s(&p["switch"]["name"]),
                    ]
                })
                .collect(),
        ),
        What::Hosts => table(
            &["DP", "VLAN", "MAC", "PORT", "AGE", "FLOW TIMEOUT"],
            rows(v, "hosts")
                .filter(|h| keep(h, "dp_name", "dp_id"))
                .map(|h| {
                    let port = match h["port_name"].as_str() {
                        Some(name) if name != s(&h["port"]) => {
                            format!("{} ({name})", s(&h["port"]))
                        }
                        _ => s(&h["port"]),
                    };
                    let timeout = match h["timeout_secs"].as_u64() {
                        Some(0) => "permanent".to_string(),
                        Some(t) => format!("{t}s"),
                        None => String::new(),
                    };
                    vec![
                        s(&h["dp_name"]),
                        s(&h["vid"]),
                        s(&h["mac"]),
                        port,
                        format!("{}s", s(&h["age_secs"])),
                        timeout,
                    ]
                })
                .collect(),
        ),
        What::Stack => {
            let mut out = String::new();
            if let Some(root) = v["root"].as_str() {
                out.push_str(&format!(
                    "root {root} ({} root changes)\n",
                    s(&v["root_changes"])
                ));
            }
            let links: Vec<Vec<String>> = rows(v, "links")
                .filter(|l| keep(l, "dp_name", "dp_id"))
                .map(|l| {
                    vec![
                        s(&l["dp_name"]),
                        s(&l["port"]),
                        s(&l["port_name"]),
                        if l["up"] == true { "up" } else { "down" }.to_string(),
                        s(&l["state"]),
                        if l["root_hop"] == true { "yes" } else { "" }.to_string(),
                    ]
                })
                .collect();
            if links.is_empty() {
                out.push_str("no stack ports are configured\n");
            } else {
                out.push_str(&table(
                    &["DP", "PORT", "NAME", "LINK", "STACK STATE", "TO ROOT"],
                    links,
                ));
            }
            out
        }
        What::Flows => flows(v),
    }
}

fn flows(v: &Value) -> String {
    let mut out = format!("{} ({})\n", s(&v["dp_name"]), s(&v["dp_id"]));
    let names: Vec<(String, String)> = rows(v, "tables")
        .map(|t| (s(&t["id"]), s(&t["name"])))
        .collect();
    let mut current = None;
    for line in v["static"].as_array().into_iter().flatten() {
        let line = line.as_str().unwrap_or_default();
        let line = line.strip_prefix("ADD ").unwrap_or(line);
        // "table:N priority=..." lines, grouped under their table's name.
        let (table, rest) = line
            .strip_prefix("table:")
            .and_then(|r| r.split_once(' '))
            .unwrap_or(("?", line));
        if current.as_deref() != Some(table) {
            let name = names
                .iter()
                .find(|(id, _)| id == table)
                .map_or("", |(_, n)| n.as_str());
            out.push_str(&format!("table {table} ({name}):\n"));
            current = Some(table.to_string());
        }
        out.push_str("  ");
        out.push_str(rest);
        out.push('\n');
    }
    let hosts: Vec<Vec<String>> = rows(v, "learned_hosts")
        .map(|h| {
            vec![
                s(&h["vid"]),
                s(&h["mac"]),
                s(&h["port"]),
                format!("{}s", s(&h["hard_timeout"])),
            ]
        })
        .collect();
    out.push_str(&format!(
        "learned hosts ({}: an eth_src and an eth_dst flow each):\n",
        hosts.len()
    ));
    if !hosts.is_empty() {
        out.push_str(&table(&["VLAN", "MAC", "PORT", "HARD TIMEOUT"], hosts));
    }
    out
}

fn rows<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v[key].as_array().into_iter().flatten()
}

/// A JSON value as table text (strings without quotes; null as empty).
fn s(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

/// Columns padded to their widest cell, two spaces apart.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hosts_table() {
        let v = json!({"hosts": [
            {"dp_name": "sw1", "dp_id": "0x1", "vid": 100, "mac": "0e:00:00:00:00:01",
             "port": 1, "port_name": "h1", "age_secs": 3, "timeout_secs": 290},
            {"dp_name": "sw2", "dp_id": "0x2", "vid": 200, "mac": "0e:00:00:00:00:02",
             "port": 7, "port_name": "7", "age_secs": 12, "timeout_secs": 0},
        ]});
        assert_eq!(
            render(What::Hosts, &v, None),
            "DP   VLAN  MAC                PORT    AGE  FLOW TIMEOUT\n\
             sw1  100   0e:00:00:00:00:01  1 (h1)  3s   290s\n\
             sw2  200   0e:00:00:00:00:02  7       12s  permanent\n"
        );
        assert_eq!(render(What::Hosts, &v, Some("0x2")).lines().count(), 2);
    }

    #[test]
    fn flows_grouped_by_table() {
        let v = json!({"dp_name": "sw1", "dp_id": "0x1",
            "tables": [{"id": 0, "name": "vlan"}, {"id": 1, "name": "eth_src"}],
            "static": ["ADD table:0 priority=0 cookie:0x5adc15c0 any actions=drop",
                       "ADD table:1 priority=0 cookie:0x5adc15c0 any actions=goto_table:2"],
            "learned_hosts": []});
        let text = render(What::Flows, &v, None);
        assert!(
            text.contains("table 0 (vlan):\n  priority=0 cookie:0x5adc15c0 any actions=drop\n"),
            "{text}"
        );
        assert!(text.contains("learned hosts (0"), "{text}");
    }
}
