//! MULTIPART_REQUEST answers (OpenFlow 1.3.5 §7.3.5): description, flow and aggregate
//! statistics with the request's filters, tables, ports, groups, meters, features and port
//! descriptions. A reply too long for one message is split into parts with
//! `OFPMPF_REPLY_MORE`, as §7.3.5 says.

use std::time::Duration;

use sluice_ofp::msg::error::{BadRequestCode, TableFeaturesFailedCode};
use sluice_ofp::msg::flow::OFPG_ALL;
use sluice_ofp::msg::flow::OFPTT_ALL;
use sluice_ofp::msg::group::GroupType;
use sluice_ofp::msg::meter::{MeterFlags, OFPM_ALL};
use sluice_ofp::msg::multipart::{
    AggregateStats, Desc, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures, GroupStats,
    MeterConfig, MeterFeatures, MeterStats, MultipartFlags, MultipartReply, MultipartReplyBody,
    MultipartRequest, MultipartRequestBody, PortStats, TableFeatures, TableStats,
};
use sluice_ofp::{FixedStr, Message, OfError, PortNo};

use crate::FakeSwitch;
use crate::error::{Rejection, reject};
use crate::flow::{FlowKey, Selector};
use crate::matching::FlowMatch;
use crate::meter::MAX_BANDS;

fn secs_nsecs(d: Duration) -> (u32, u32) {
    (
        u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
        d.subsec_nanos(),
    )
}

/// Splits a list reply into parts that each encode within the 64 KiB message limit.
fn parts<T: Clone>(items: Vec<T>, make: impl Fn(Vec<T>) -> MultipartReplyBody) -> Vec<Message> {
    fn fits(m: &Message) -> bool {
        m.to_bytes(0).is_ok()
    }
    let one = Message::MultipartReply(MultipartReply::new(make(items.clone())));
    if items.len() <= 1 || fits(&one) {
        return vec![one];
    }
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        // The largest prefix that fits, found by halving.
        let mut n = rest.len();
        while n > 1
            && !fits(&Message::MultipartReply(MultipartReply::new(make(
                rest[..n].to_vec(),
            ))))
        {
            n /= 2;
        }
        let tail = rest.split_off(n);
        out.push(Message::MultipartReply(MultipartReply {
            flags: if tail.is_empty() {
                MultipartFlags::empty()
            } else {
                MultipartFlags::MORE
            },
            body: make(rest),
        }));
        rest = tail;
    }
    out
}

fn single(body: MultipartReplyBody) -> Vec<Message> {
    vec![Message::MultipartReply(MultipartReply::new(body))]
}

impl FakeSwitch {
    pub(crate) fn multipart(
        &self,
        now: Duration,
        req: &MultipartRequest,
    ) -> Result<Vec<Message>, Rejection> {
        use MultipartReplyBody as R;
        use MultipartRequestBody as B;
        Ok(match &req.body {
            B::Desc => single(R::Desc(Box::new(Desc {
                mfr_desc: FixedStr::new("sluice"),
                hw_desc: FixedStr::new("sluice-fakeswitch"),
                sw_desc: FixedStr::new(env!("CARGO_PKG_VERSION")),
                serial_num: FixedStr::new("none"),
                dp_desc: FixedStr::new(&format!("fake switch {:#018x}", self.datapath_id)),
            }))),
            B::Flow(r) => {
                let stats = self.flow_stats(now, r)?;
                parts(stats, R::Flow)
            }
            B::Aggregate(r) => {
                let stats = self.flow_stats(now, r)?;
                single(R::Aggregate(AggregateStats {
                    packet_count: stats.iter().map(|s| s.packet_count).sum(),
                    byte_count: stats.iter().map(|s| s.byte_count).sum(),
                    flow_count: stats.len() as u32,
                }))
            }
            B::Table => parts(
                self.tables
                    .iter()
                    .enumerate()
                    .map(|(i, t)| TableStats {
                        table_id: i as u8,
                        active_count: t.flows.len() as u32,
                        lookup_count: t.lookup_count,
                        matched_count: t.matched_count,
                    })
                    .collect(),
                R::Table,
            ),
            B::PortStats(p) => {
                let stats = self
                    .ports
                    .keys()
                    .filter(|no| *p == PortNo::ANY || **no == *p)
                    .map(|no| {
                        let c = self.port_counters.get(no).copied().unwrap_or_default();
                        PortStats {
                            port_no: *no,
                            rx_packets: c.rx_packets,
                            tx_packets: c.tx_packets,
                            rx_bytes: c.rx_bytes,
                            tx_bytes: c.tx_bytes,
                            ..PortStats::default()
                        }
                    })
                    .collect();
                parts(stats, R::PortStats)
            }
            B::Queue { .. } => single(R::Queue(Vec::new())),
            B::Group(id) => {
                let refs = self.group_ref_counts();
                let stats = self
                    .groups
                    .values()
                    .filter(|g| *id == OFPG_ALL || g.group_id == *id)
                    .map(|g| {
                        let (duration_sec, duration_nsec) =
                            secs_nsecs(now.saturating_sub(g.created));
                        GroupStats {
                            group_id: g.group_id,
                            ref_count: refs.get(&g.group_id).copied().unwrap_or(0),
                            packet_count: g.packet_count,
                            byte_count: g.byte_count,
                            duration_sec,
                            duration_nsec,
                            bucket_stats: g.bucket_counters.clone(),
                        }
                    })
                    .collect();
                parts(stats, R::Group)
            }
            B::GroupDesc => parts(
                self.groups
                    .values()
                    .map(|g| GroupDesc {
                        group_type: g.group_type,
                        group_id: g.group_id,
                        buckets: g.buckets.clone(),
                    })
                    .collect(),
                R::GroupDesc,
            ),
            B::GroupFeatures => {
                let types = [
                    GroupType::All,
                    GroupType::Select,
                    GroupType::Indirect,
                    GroupType::FastFailover,
                ]
                .iter()
                .fold(0u32, |acc, t| acc | 1 << u8::from(*t));
                single(R::GroupFeatures(GroupFeatures {
                    types,
                    // OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS | OFPGFC_CHAINING.
                    capabilities: 0b111,
                    max_groups: [u32::from(u16::MAX); 4],
                    actions: [0x03ff_f801; 4],
                }))
            }
            B::Meter(id) => {
                let stats = self
                    .meters
                    .values()
                    .filter(|m| *id == OFPM_ALL || m.meter_id == *id)
                    .map(|m| {
                        let (duration_sec, duration_nsec) =
                            secs_nsecs(now.saturating_sub(m.created));
                        MeterStats {
                            meter_id: m.meter_id,
                            flow_count: self
                                .flows()
                                .filter(|e| e.meter() == Some(m.meter_id))
                                .count() as u32,
                            packet_in_count: m.packet_count,
                            byte_in_count: m.byte_count,
                            duration_sec,
                            duration_nsec,
                            band_stats: m.band_counters.clone(),
                        }
                    })
                    .collect();
                parts(stats, R::Meter)
            }
            B::MeterConfig(id) => parts(
                self.meters
                    .values()
                    .filter(|m| *id == OFPM_ALL || m.meter_id == *id)
                    .map(|m| MeterConfig {
                        flags: m.flags,
                        meter_id: m.meter_id,
                        bands: m.bands.clone(),
                    })
                    .collect(),
                R::MeterConfig,
            ),
            B::MeterFeatures => single(R::MeterFeatures(MeterFeatures {
                max_meter: 65535,
                band_types: 1 << 1,
                capabilities: u32::from(
                    (MeterFlags::KBPS | MeterFlags::PKTPS | MeterFlags::BURST | MeterFlags::STATS)
                        .bits(),
                ),
                max_bands: MAX_BANDS as u8,
                max_color: 0,
            })),
            B::TableFeatures(set) if set.is_empty() => parts(
                (0..self.n_tables)
                    .map(|t| TableFeatures {
                        table_id: t,
                        name: FixedStr::new(&format!("table{t}")),
                        metadata_match: u64::MAX,
                        metadata_write: u64::MAX,
                        config: 0,
                        max_entries: 1_000_000,
                        properties: Vec::new(),
                    })
                    .collect(),
                R::TableFeatures,
            ),
            B::TableFeatures(_) => {
                return reject(
                    OfError::TableFeaturesFailed(TableFeaturesFailedCode::Eperm),
                    "the table features cannot be changed",
                );
            }
            B::PortDesc => parts(self.ports.values().cloned().collect(), R::PortDesc),
            B::Experimenter { experimenter, .. } => {
                return reject(
                    OfError::BadRequest(BadRequestCode::BadExperimenter),
                    format!("experimenter multipart {experimenter:#x}"),
                );
            }
            B::Unknown { multipart_type, .. } => {
                return reject(
                    OfError::BadRequest(BadRequestCode::BadMultipart),
                    format!("unknown multipart type {multipart_type}"),
                );
            }
        })
    }

    /// The flows a FLOW or AGGREGATE request selects (§7.3.5.2: the match is loose, as in a
    /// non-strict delete, with the table, `out_port`, `out_group` and cookie filters).
    fn flow_stats(&self, now: Duration, r: &FlowStatsRequest) -> Result<Vec<FlowStats>, Rejection> {
        if r.table_id != OFPTT_ALL && r.table_id >= self.n_tables {
            return reject(
                OfError::BadRequest(BadRequestCode::BadTableId),
                format!("table {} does not exist", r.table_id),
            );
        }
        if let Err(e) = r.match_.check() {
            return reject(
                OfError::BadMatch(e.code),
                format!("match {}: {e}", r.match_),
            );
        }
        let key = FlowMatch::from_match(&r.match_)
            .map_err(|e| Rejection::new(e, format!("match {}", r.match_)))?;
        let sel = Selector {
            table_id: r.table_id,
            match_: &key,
            strict_priority: None,
            cookie: r.cookie,
            cookie_mask: r.cookie_mask,
            out_port: r.out_port,
            out_group: r.out_group,
        };
        let keys: Vec<(u8, FlowKey)> = self.select(&sel);
        Ok(keys
            .iter()
            .filter_map(|(t, k)| self.tables.get(usize::from(*t))?.flows.get(k))
            .map(|e| {
                let (duration_sec, duration_nsec) = secs_nsecs(e.duration(now));
                FlowStats {
                    table_id: e.table_id,
                    duration_sec,
                    duration_nsec,
                    priority: e.priority,
                    idle_timeout: e.idle_timeout,
                    hard_timeout: e.hard_timeout,
                    flags: e.flags,
                    cookie: e.cookie,
                    packet_count: e.packet_count,
                    byte_count: e.byte_count,
                    match_: e.match_.clone(),
                    instructions: e.instructions.clone(),
                }
            })
            .collect())
    }
}
