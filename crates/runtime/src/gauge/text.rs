//! Gauge's `text` database: log lines for port states, port statistics and meter
//! statistics (`<time>\t<dp>-<port>-<stat>\t<value>`), and one JSON file per flow table
//! dump (`<dp>--flowtable--<ISO time>.json`, gzipped with `compress: true`) in the shape of
//! os-ken's `OFPFlowStatsReply` as Gauge writes it.
//!
//! Files are written by their own task ([`run`]), fed through a bounded channel, so a slow
//! disk never holds up the controller. Times are in UTC (Gauge uses the local time zone).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use sluice_ofp::action::Action;
use sluice_ofp::instruction::Instruction;
use sluice_ofp::msg::multipart::{FlowStats, MeterStats, PortStats};
use sluice_ofp::msg::port::PortReason;
use sluice_ofp::{Match, PortNo};
use tokio::sync::mpsc;
use tracing::warn;

use super::oxm::{OxmValue, parts};

/// Gauge's port name for a port: its configured name, else LOCAL, CONTROLLER or its number.
pub(crate) fn port_name(ports: &BTreeMap<u32, String>, no: u32) -> String {
    ports.get(&no).cloned().unwrap_or_else(|| {
        PortNo(no)
            .reserved_name()
            .map_or_else(|| no.to_string(), str::to_string)
    })
}

/// What a reply or event becomes in the text database.
#[derive(Debug, Clone)]
pub enum TextWrite {
    /// A PORT_STATS reply.
    PortStats {
        /// The DP.
        dp_id: u64,
        /// The counters.
        stats: Arc<Vec<PortStats>>,
    },
    /// A METER reply.
    MeterStats {
        /// The DP.
        dp_id: u64,
        /// The counters.
        stats: Arc<Vec<MeterStats>>,
    },
    /// A FLOW reply.
    Flows {
        /// The DP.
        dp_id: u64,
        /// The flows.
        flows: Arc<Vec<FlowStats>>,
    },
    /// Port changes: (port, reason, up).
    PortState {
        /// The DP.
        dp_id: u64,
        /// What changed.
        events: Vec<(u32, PortReason, bool)>,
    },
}

impl TextWrite {
    /// The DP it is about.
    pub fn dp_id(&self) -> u64 {
        match self {
            TextWrite::PortStats { dp_id, .. }
            | TextWrite::MeterStats { dp_id, .. }
            | TextWrite::Flows { dp_id, .. }
            | TextWrite::PortState { dp_id, .. } => *dp_id,
        }
    }
}

/// A DP's names, for the lines.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The DP's name.
    pub dp_name: String,
    /// Configured port names by number.
    pub ports: BTreeMap<u32, String>,
}

impl Names {
    /// The names of `dp_id` in `config`.
    pub(crate) fn of(config: Option<&sluice_config::Config>, dp_id: u64) -> Names {
        let dp = config.and_then(|c| c.dps.get(&sluice_config::DpId(dp_id)));
        Names {
            dp_name: dp.map_or_else(|| format!("{dp_id:#x}"), |d| d.name.clone()),
            ports: dp
                .map(|d| {
                    d.ports
                        .values()
                        .map(|p| (p.number.0, p.name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Where a write goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Append lines to this file.
    File(PathBuf),
    /// Write a flow dump file into this directory (gzipped if `true`).
    Dir(PathBuf, bool),
}

/// One write for the writer task.
#[derive(Debug, Clone)]
pub struct Job {
    /// What to write.
    pub write: TextWrite,
    /// The names to write it with.
    pub names: Names,
    /// Where.
    pub dests: Vec<Dest>,
    /// When it was received (wall-clock seconds since the Unix epoch).
    pub wall: f64,
}

/// Writes jobs as they come until every sender is gone.
pub async fn run(mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        let result = tokio::task::spawn_blocking(move || write_job(&job)).await;
        if let Ok(Err(e)) = result {
            warn!("gauge text db: {e}");
        }
    }
}

fn write_job(job: &Job) -> std::io::Result<()> {
    for dest in &job.dests {
        match dest {
            Dest::File(path) => {
                let lines = lines(job);
                if lines.is_empty() {
                    continue;
                }
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                f.write_all(lines.as_bytes())?;
            }
            Dest::Dir(dir, gzip) => {
                let TextWrite::Flows { flows, .. } = &job.write else {
                    continue;
                };
                let body = flow_reply_json(flows).to_string();
                let stamp = iso_time(job.wall);
                let ext = if *gzip { "json.gz" } else { "json" };
                let mut path = dir.join(format!("{}--flowtable--{stamp}.{ext}", job.names.dp_name));
                let mut n = 1;
                while path.exists() {
                    path = dir.join(format!(
                        "{}--flowtable--{stamp}--{n}.{ext}",
                        job.names.dp_name
                    ));
                    n += 1;
                }
                let file = std::fs::File::create(&path)?;
                if *gzip {
                    let mut gz =
                        flate2::write::GzEncoder::new(file, flate2::Compression::default());
                    gz.write_all(body.as_bytes())?;
                    gz.finish()?;
                } else {
                    let mut file = file;
                    file.write_all(body.as_bytes())?;
                }
            }
        }
    }
    Ok(())
}

/// The log lines of a write (empty for a flow dump, which goes to its own file).
pub fn lines(job: &Job) -> String {
    let t = log_time(job.wall);
    let n = &job.names;
    let mut out = String::new();
    // OVS reports a counter it does not keep as all ones; Gauge writes 0.
    let v = |x: u64| if x == u64::MAX { 0 } else { x };
    match &job.write {
        TextWrite::PortStats { stats, .. } => {
            for s in stats.iter() {
                let port = port_name(&n.ports, s.port_no.0);
                for (name, value) in [
                    ("packets-out", s.tx_packets),
                    ("packets-in", s.rx_packets),
                    ("bytes-out", s.tx_bytes),
                    ("bytes-in", s.rx_bytes),
                    ("dropped-out", s.tx_dropped),
                    ("dropped-in", s.rx_dropped),
                    ("errors-out", s.tx_errors),
                    ("errors-in", s.rx_errors),
                ] {
                    let _ = writeln!(out, "{t}\t{}-{port}-{name}\t{}", n.dp_name, v(value));
                }
            }
        }
        TextWrite::MeterStats { stats, .. } => {
            for s in stats.iter() {
                let band = s.band_stats.first().copied().unwrap_or_default();
                for (name, value) in [
                    ("flow-count", u64::from(s.flow_count)),
                    ("byte-in-count", s.byte_in_count),
                    ("packet-in-count", s.packet_in_count),
                    ("byte-band-count", band.byte_count),
                    ("packet-band-count", band.packet_count),
                ] {
                    let _ = writeln!(
                        out,
                        "{t}\t{}-{}-{name}\t{}",
                        n.dp_name,
                        s.meter_id,
                        v(value)
                    );
                }
            }
        }
        TextWrite::PortState { dp_id, events } => {
            for (port, reason, up) in events {
                let what = match reason {
                    PortReason::Add => "added",
                    PortReason::Delete => "deleted",
                    PortReason::Modify if *up => "up",
                    PortReason::Modify => "down",
                    _ => "unknown state",
                };
                let _ = writeln!(out, "{t}\tDPID {dp_id} ({dp_id:#x}) port {port} {what}");
            }
        }
        TextWrite::Flows { .. } => {}
    }
    out
}

/// A match as os-ken's `OFPMatch` JSON.
fn match_json(m: &Match) -> Value {
    let fields: Vec<Value> = m
        .iter()
        .filter_map(|f| {
            let (name, value, mask) = parts(&f)?;
            let j = |v: OxmValue| match v {
                OxmValue::Int(n) => json!(n),
                OxmValue::Text(t) => json!(t),
            };
            Some(json!({"OXMTlv": {"field": name, "value": j(value), "mask": mask.map(j)}}))
        })
        .collect();
    json!({"OFPMatch": {"oxm_fields": fields, "length": 4 + m.oxm_bytes().len(), "type": 1}})
}

fn action_json(a: &Action) -> Value {
    let len = a.encoded_len();
    match a {
        Action::Output { port, max_len } => {
            json!({"OFPActionOutput": {"len": len, "max_len": max_len, "port": port.0, "type": 0}})
        }
        Action::PushVlan(t) => {
            json!({"OFPActionPushVlan": {"ethertype": t, "len": len, "type": 17}})
        }
        Action::PopVlan => json!({"OFPActionPopVlan": {"len": len, "type": 18}}),
        Action::Group(g) => json!({"OFPActionGroup": {"group_id": g, "len": len, "type": 22}}),
        Action::SetQueue(q) => {
            json!({"OFPActionSetQueue": {"len": len, "queue_id": q, "type": 21}})
        }
        Action::DecNwTtl => json!({"OFPActionDecNwTtl": {"len": len, "type": 24}}),
        Action::SetField(f) => {
            let field = match parts(f) {
                Some((name, value, _)) => {
                    let value = match value {
                        OxmValue::Int(n) => json!(n),
                        OxmValue::Text(t) => json!(t),
                    };
                    json!({"OXMTlv": {"field": name, "value": value, "mask": null}})
                }
                None => Value::Null,
            };
            json!({"OFPActionSetField": {"field": field, "len": len, "type": 25}})
        }
        other => json!({"OFPAction": {"text": other.to_string(), "len": len}}),
    }
}

fn instruction_json(i: &Instruction) -> (Value, usize) {
    let actions = |list: &[Action]| {
        let len = 8 + list.iter().map(Action::encoded_len).sum::<usize>();
        (list.iter().map(action_json).collect::<Vec<_>>(), len)
    };
    match i {
        Instruction::GotoTable(t) => (
            json!({"OFPInstructionGotoTable": {"len": 8, "table_id": t, "type": 1}}),
            8,
        ),
        Instruction::WriteMetadata { metadata, mask } => (
            json!({"OFPInstructionWriteMetadata": {"len": 24, "metadata": metadata, "metadata_mask": mask, "type": 2}}),
            24,
        ),
        Instruction::WriteActions(list) | Instruction::ApplyActions(list) => {
            let (acts, len) = actions(list);
            let kind = if matches!(i, Instruction::WriteActions(_)) {
                3
            } else {
                4
            };
            (
                json!({"OFPInstructionActions": {"actions": acts, "len": len, "type": kind}}),
                len,
            )
        }
        Instruction::ClearActions => (
            json!({"OFPInstructionActions": {"actions": [], "len": 8, "type": 5}}),
            8,
        ),
        Instruction::Meter(m) => (
            json!({"OFPInstructionMeter": {"len": 8, "meter_id": m, "type": 6}}),
            8,
        ),
        other => (json!({"OFPInstruction": {"text": other.to_string()}}), 8),
    }
}

/// A flow dump as Gauge writes it: os-ken's `OFPFlowStatsReply` JSON.
pub fn flow_reply_json(flows: &[FlowStats]) -> Value {
    let body: Vec<Value> = flows
        .iter()
        .map(|f| {
            let (instructions, inst_len): (Vec<Value>, Vec<usize>) =
                f.instructions.iter().map(instruction_json).unzip();
            let length = 48 + f.match_.encoded_len() + inst_len.iter().sum::<usize>();
            json!({"OFPFlowStats": {
                "byte_count": f.byte_count,
                "cookie": f.cookie,
                "duration_nsec": f.duration_nsec,
                "duration_sec": f.duration_sec,
                "flags": f.flags.bits(),
                "hard_timeout": f.hard_timeout,
                "idle_timeout": f.idle_timeout,
                "instructions": instructions,
                "length": length,
                "match": match_json(&f.match_),
                "packet_count": f.packet_count,
                "priority": f.priority,
                "table_id": f.table_id,
            }})
        })
        .collect();
    json!({"OFPFlowStatsReply": {"body": body, "flags": 0, "type": 1}})
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn split(wall: f64) -> ((i64, u32, u32), u64, u64, u64) {
    let secs = wall.max(0.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u64);
    (civil(days), rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Gauge's log time: `Nov 21 18:46:48`.
pub fn log_time(wall: f64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let ((_, m, d), h, min, s) = split(wall);
    format!("{} {d:02} {h:02}:{min:02}:{s:02}", MONTHS[(m - 1) as usize])
}

/// Gauge's file time: `2026-11-21T18:46:48`.
pub fn iso_time(wall: f64) -> String {
    let ((y, m, d), h, min, s) = split(wall);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}")
}

#[cfg(test)]
mod tests {
    use sluice_ofp::oxm::OxmField;

    use super::*;

    #[test]
    fn times() {
        // 2026-11-21T18:46:48Z
        let t = 1_795_286_808.5;
        assert_eq!(log_time(t), "Nov 21 18:46:48");
        assert_eq!(iso_time(t), "2026-11-21T18:46:48");
        assert_eq!(iso_time(0.0), "1970-01-01T00:00:00");
    }

    #[test]
    fn port_stats_lines() {
        let job = Job {
            write: TextWrite::PortStats {
                dp_id: 1,
                stats: Arc::new(vec![PortStats {
                    port_no: PortNo::LOCAL,
                    tx_packets: 3,
                    rx_dropped: u64::MAX,
                    ..PortStats::default()
                }]),
            },
            names: Names {
                dp_name: "sw1".into(),
                ports: BTreeMap::new(),
            },
            dests: vec![],
            wall: 1_795_286_808.0,
        };
        let text = lines(&job);
        assert!(
            text.starts_with("Nov 21 18:46:48\tsw1-LOCAL-packets-out\t3\n"),
            "{text}"
        );
        assert!(text.contains("\tsw1-LOCAL-dropped-in\t0\n"), "{text}");
        assert_eq!(text.lines().count(), 8);
    }

    #[test]
    fn flow_json_shape() {
        let flow = FlowStats {
            table_id: 1,
            duration_sec: 3,
            duration_nsec: 0,
            priority: 8191,
            idle_timeout: 0,
            hard_timeout: 255,
            flags: sluice_ofp::msg::flow::FlowModFlags::empty(),
            cookie: 0x5adc15c0,
            packet_count: 6,
            byte_count: 480,
            match_: Match::from_fields([
                OxmField::InPort(PortNo(2)),
                OxmField::VlanVid(0x1064, None),
            ]),
            instructions: vec![Instruction::GotoTable(2)],
        };
        let v = flow_reply_json(&[flow]);
        let f = &v["OFPFlowStatsReply"]["body"][0]["OFPFlowStats"];
        assert_eq!(f["cookie"], 1524372928);
        // 48 bytes of header, the match (4 + 8 + 6 bytes, padded to 24), the instruction.
        assert_eq!(f["length"], 80);
        assert_eq!(f["match"]["OFPMatch"]["length"], 18);
        assert_eq!(
            f["match"]["OFPMatch"]["oxm_fields"][1],
            json!({"OXMTlv": {"field": "vlan_vid", "value": 4196, "mask": null}})
        );
        assert_eq!(
            f["instructions"][0],
            json!({"OFPInstructionGotoTable": {"len": 8, "table_id": 2, "type": 1}})
        );
    }
}
