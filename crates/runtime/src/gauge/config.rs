//! Gauge's configuration file (`gauge.yaml`), with Gauge's keys, defaults and checks.
//!
//! ```yaml
//! faucet_configs: ['/etc/faucet/faucet.yaml']
//! watchers:
//!   port_stats_poller: {type: port_stats, all_dps: true, interval: 10, db: prometheus}
//!   flow_table_poller: {type: flow_table, dps: [sw1], interval: 60, dbs: [ft_file]}
//! dbs:
//!   prometheus: {type: prometheus, prometheus_addr: '127.0.0.1', prometheus_port: 9303}
//!   ft_file: {type: text, path: /var/log/gauge/flows, compress: false}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::http::host_port;

/// What a watcher watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatcherType {
    /// Port status changes (no polling).
    PortState,
    /// Port counters (PORT_STATS requests).
    PortStats,
    /// Every flow with its counters (FLOW requests).
    FlowTable,
    /// Meter counters (METER requests).
    MeterStats,
}

impl fmt::Display for WatcherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WatcherType::PortState => "port_state",
            WatcherType::PortStats => "port_stats",
            WatcherType::FlowTable => "flow_table",
            WatcherType::MeterStats => "meter_stats",
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatcher {
    #[serde(rename = "type")]
    kind: Option<WatcherType>,
    dps: Option<Vec<String>>,
    #[serde(default)]
    all_dps: bool,
    interval: Option<u64>,
    db: Option<String>,
    dbs: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDb {
    #[serde(rename = "type")]
    kind: String,
    file: Option<PathBuf>,
    path: Option<PathBuf>,
    #[serde(default)]
    compress: bool,
    prometheus_port: Option<u16>,
    prometheus_addr: Option<String>,
    // Gauge's test-only switch; accepted and ignored.
    #[serde(default)]
    #[allow(dead_code)]
    prometheus_test_thread: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    faucet_configs: Vec<PathBuf>,
    // An inline FAUCET configuration (Gauge's `faucet:` key) is not supported: sluice reads
    // DPs from FAUCET configuration files.
    #[serde(default)]
    watchers: BTreeMap<String, RawWatcher>,
    #[serde(default)]
    dbs: BTreeMap<String, RawDb>,
}

/// Where a watcher's results go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    /// Served as Prometheus metrics at this address.
    Prometheus {
        /// `prometheus_addr:prometheus_port` (Gauge's default port 9303; sluice listens on
        /// 127.0.0.1 unless an address is given, where Gauge listens on 0.0.0.0).
        addr: String,
    },
    /// Written to files.
    Text {
        /// Lines for port states, port statistics and meter statistics.
        file: Option<PathBuf>,
        /// A directory for flow table dumps (one JSON file per dump).
        path: Option<PathBuf>,
        /// Gzip the flow table dumps.
        compress: bool,
    },
}

/// One watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// Its name (the key under `watchers`).
    pub name: String,
    /// What it watches.
    pub kind: WatcherType,
    /// The DPs it watches, by name; `None` for all of them (`all_dps: true`).
    pub dps: Option<Vec<String>>,
    /// How often it polls (default 30 s; not used by `port_state`).
    pub interval: Duration,
    /// Where its results go.
    pub dbs: Vec<Db>,
}

/// A parsed `gauge.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaugeConfig {
    /// The FAUCET configuration files that define the DPs.
    pub faucet_configs: Vec<PathBuf>,
    /// The watchers, by name.
    pub watchers: Vec<Watcher>,
}

impl GaugeConfig {
    /// Parses and checks a `gauge.yaml`.
    ///
    /// # Errors
    /// The first problem found, as Gauge would report it.
    pub fn parse(text: &str) -> Result<GaugeConfig, String> {
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut dbs = BTreeMap::new();
        for (name, db) in &raw.dbs {
            let parsed = match db.kind.as_str() {
                "prometheus" => Db::Prometheus {
                    addr: host_port(
                        db.prometheus_addr.as_deref().unwrap_or("127.0.0.1"),
                        db.prometheus_port.unwrap_or(9303),
                    ),
                },
                "text" => Db::Text {
                    file: db.file.clone(),
                    path: db.path.clone(),
                    compress: db.compress,
                },
                "influx" => {
                    return Err(format!(
                        "db {name}: type influx was removed from Gauge (use prometheus or text)"
                    ));
                }
                other => return Err(format!("db {name}: unknown type {other}")),
            };
            dbs.insert(name.clone(), parsed);
        }
        let mut watchers = Vec::new();
        for (name, w) in raw.watchers {
            let kind = w
                .kind
                .ok_or_else(|| format!("watcher {name}: type must be set"))?;
            if w.all_dps && w.dps.is_some() {
                return Err(format!(
                    "watcher {name}: all_dps and dps cannot be set together"
                ));
            }
            let db_names = match (w.dbs, w.db) {
                (Some(list), _) => list,
                (None, Some(one)) => vec![one],
                (None, None) => return Err(format!("watcher {name}: configured without DB")),
            };
            let dbs = db_names
                .iter()
                .map(|d| {
                    dbs.get(d)
                        .cloned()
                        .ok_or_else(|| format!("watcher {name}: no db {d}"))
                })
                .collect::<Result<Vec<Db>, String>>()?;
            let interval = w.interval.unwrap_or(30);
            if interval == 0 {
                return Err(format!("watcher {name}: interval must be at least 1"));
            }
            watchers.push(Watcher {
                name,
                kind,
                dps: if w.all_dps {
                    None
                } else {
                    Some(w.dps.unwrap_or_default())
                },
                interval: Duration::from_secs(interval),
                dbs,
            });
        }
        Ok(GaugeConfig {
            faucet_configs: raw.faucet_configs,
            watchers,
        })
    }

    /// Every distinct Prometheus address of the watchers' dbs.
    pub fn prometheus_addrs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .watchers
            .iter()
            .flat_map(|w| &w.dbs)
            .filter_map(|d| match d {
                Db::Prometheus { addr } => Some(addr.clone()),
                Db::Text { .. } => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAUGE: &str = "
faucet_configs:
  - '/etc/faucet/faucet.yaml'
watchers:
  port_status_poller: {type: port_state, all_dps: true, db: prometheus}
  port_stats_poller: {type: port_stats, all_dps: true, interval: 10, dbs: [prometheus, log]}
  flow_table_poller: {type: flow_table, dps: [sw1], interval: 60, db: ft_file}
dbs:
  prometheus: {type: prometheus, prometheus_addr: '::', prometheus_port: 9303}
  log: {type: text, file: /tmp/gauge.log}
  ft_file: {type: text, compress: true, path: /tmp/flows}
";

    #[test]
    fn parses_gauges_example() {
        let c = GaugeConfig::parse(GAUGE).unwrap();
        assert_eq!(c.faucet_configs, [PathBuf::from("/etc/faucet/faucet.yaml")]);
        let stats = c
            .watchers
            .iter()
            .find(|w| w.name == "port_stats_poller")
            .unwrap();
        assert_eq!(stats.kind, WatcherType::PortStats);
        assert_eq!(stats.dps, None);
        assert_eq!(stats.interval, Duration::from_secs(10));
        assert_eq!(stats.dbs.len(), 2);
        let flows = c
            .watchers
            .iter()
            .find(|w| w.name == "flow_table_poller")
            .unwrap();
        assert_eq!(flows.dps, Some(vec!["sw1".to_string()]));
        assert_eq!(
            flows.dbs,
            [Db::Text {
                file: None,
                path: Some(PathBuf::from("/tmp/flows")),
                compress: true
            }]
        );
        assert_eq!(c.prometheus_addrs(), ["[::]:9303"]);
    }

    #[test]
    fn rejects_what_gauge_rejects() {
        let bad = [
            (
                "watchers: {w: {all_dps: true, db: d}}\ndbs: {d: {type: text}}",
                "type must be set",
            ),
            (
                "watchers: {w: {type: port_stats, all_dps: true, dps: [a], db: d}}\ndbs: {d: {type: text}}",
                "cannot be set together",
            ),
            (
                "watchers: {w: {type: port_stats, all_dps: true}}",
                "without DB",
            ),
            (
                "watchers: {w: {type: port_stats, all_dps: true, db: nope}}",
                "no db nope",
            ),
            (
                "watchers: {w: {type: bogus, all_dps: true, db: d}}\ndbs: {d: {type: text}}",
                "bogus",
            ),
            ("dbs: {d: {type: influx}}", "removed"),
            (
                "watchers: {w: {type: port_stats, all_dps: true, db: d, colour: red}}\ndbs: {d: {type: text}}",
                "colour",
            ),
        ];
        for (yaml, why) in bad {
            let e = GaugeConfig::parse(yaml).unwrap_err();
            assert!(e.contains(why), "{yaml}: {e}");
        }
    }
}
