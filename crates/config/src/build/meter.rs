//! `meters:` entries (FAUCET's `Meter`; the `entry` uses os-ken's `ofctl` meter format).

use super::Key;
use crate::conf::{Ctx, Schema, Ty, index, join, short, truthy};
use crate::model::{Meter, MeterBand, MeterBandKind};
use crate::syntax::{py_int0, wrap};
use crate::yaml::{Node, Value};

const SCHEMA: &Schema = &[("entry", Ty::Dict), ("meter_id", Ty::Int)];

/// The largest meter id OpenFlow 1.3 allows for a regular meter.
const MAX_METER_ID: i128 = 4_294_901_760;

/// All `meters:` entries.
#[derive(Debug, Default)]
pub(crate) struct Meters {
    /// The valid meters, with their keys.
    pub defs: Vec<(Key, Meter)>,
    /// Keys of entries with errors.
    pub poisoned: Vec<Key>,
}

/// Parses every `meters:` entry.
pub(crate) fn parse_all(ctx: &mut Ctx<'_>, entries: &[&(Node, Node)]) -> Meters {
    let mut meters = Meters::default();
    for &(key_node, conf) in entries {
        let key = Key::of(&key_node.value);
        let path = join("meters", &key.text());
        let before = ctx.error_count();
        let parsed = parse_one(ctx, &key, conf, &path);
        match parsed {
            Some(meter) if ctx.error_count() == before => meters.defs.push((key, meter)),
            _ => meters.poisoned.push(key),
        }
    }
    meters
}

/// os-ken's `str_to_int`: `int(str(v), 0)`.
pub(crate) fn str_to_int(value: &Value) -> Option<i128> {
    match value {
        Value::Int(i) => Some(*i),
        Value::Str(s) => py_int0(s),
        _ => None,
    }
}

fn parse_one(ctx: &mut Ctx<'_>, key: &Key, conf: &Node, path: &str) -> Option<Meter> {
    let Value::Map(entries) = &conf.value else {
        ctx.error(
            conf.pos,
            path,
            format!(
                "a meter must be a mapping with meter_id and entry, not {}",
                conf.value.type_name()
            ),
        );
        return None;
    };
    let f = ctx.fields_of(entries, conf.pos, path, "meter", SCHEMA);
    let Some(meter_id) = f.int("meter_id") else {
        if !f.wrong("meter_id") {
            ctx.error(conf.pos, path, "the meter has no `meter_id`");
        }
        return None;
    };
    if meter_id < 0 {
        ctx.error(
            f.pos_of("meter_id"),
            &f.path_of("meter_id"),
            "meter_id must not be negative",
        );
    } else if meter_id > MAX_METER_ID {
        ctx.error(
            f.pos_of("meter_id"),
            &f.path_of("meter_id"),
            format!("meter_id {meter_id} is above {MAX_METER_ID}, the highest OpenFlow 1.3 allows"),
        );
    }
    let Some(entry) = f.map("entry").filter(|e| !e.is_empty()) else {
        if !f.wrong("entry") {
            ctx.error(
                conf.pos,
                &f.path_of("entry"),
                "the meter has no `entry` (flags and bands)",
            );
        }
        return None;
    };
    let entry_path = f.path_of("entry");
    let get = |k: &str| {
        entry
            .iter()
            .find(|(key, _)| key.value.as_str() == Some(k))
            .map(|(_, v)| v)
    };
    let mut flags: u16 = 0;
    match get("flags") {
        Some(node) if truthy(&node.value) => {
            let list: Vec<&Node> = match &node.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![node],
            };
            for flag in list {
                match &flag.value {
                    Value::Str(s) => match s.as_str() {
                        "KBPS" => flags |= 1,
                        "PKTPS" => flags |= 2,
                        "BURST" => flags |= 4,
                        "STATS" => flags |= 8,
                        _ => ctx.warn(
                            flag.pos,
                            &join(&entry_path, "flags"),
                            format!(
                                "unknown meter flag \"{s}\" is ignored (KBPS, PKTPS, BURST, STATS)"
                            ),
                        ),
                    },
                    Value::Seq(_) | Value::Map(_) | Value::Opaque("a set") => ctx.error(
                        flag.pos,
                        &join(&entry_path, "flags"),
                        "a meter flag must be one of KBPS, PKTPS, BURST, STATS",
                    ),
                    other => ctx.warn(
                        flag.pos,
                        &join(&entry_path, "flags"),
                        format!("unknown meter flag {} is ignored", short(other)),
                    ),
                }
            }
        }
        _ => {
            ctx.error(
                conf.pos,
                &join(&entry_path, "flags"),
                "the meter entry has no `flags`",
            );
        }
    }
    let mut bands = Vec::new();
    match get("bands") {
        Some(node) if truthy(&node.value) => {
            let bands_path = join(&entry_path, "bands");
            let Value::Seq(items) = &node.value else {
                ctx.error(node.pos, &bands_path, "`bands` must be a list of bands");
                return None;
            };
            for (i, band) in items.iter().enumerate() {
                let bp = index(&bands_path, i);
                let Value::Map(band_entries) = &band.value else {
                    ctx.error(
                        band.pos,
                        &bp,
                        "a meter band must be a mapping (type, rate, burst_size)",
                    );
                    continue;
                };
                let bget = |k: &str| {
                    band_entries
                        .iter()
                        .find(|(key, _)| key.value.as_str() == Some(k))
                        .map(|(_, v)| v)
                };
                let int_of = |k: &str, ctx: &mut Ctx<'_>| -> Option<u32> {
                    match bget(k) {
                        None => Some(0),
                        Some(n) => match str_to_int(&n.value) {
                            #[allow(clippy::cast_possible_truncation)]
                            Some(v) => Some(wrap(v, 32) as u32),
                            None => {
                                ctx.error(
                                    n.pos,
                                    &join(&bp, k),
                                    format!("{k} must be an integer, not {}", short(&n.value)),
                                );
                                None
                            }
                        },
                    }
                };
                let rate = int_of("rate", ctx);
                let burst = int_of("burst_size", ctx);
                let kind = match bget("type").map(|n| &n.value) {
                    Some(Value::Str(t)) if t == "DROP" => Some(MeterBandKind::Drop),
                    Some(Value::Str(t)) if t == "DSCP_REMARK" => {
                        int_of("prec_level", ctx).map(|p| {
                            #[allow(clippy::cast_possible_truncation)]
                            MeterBandKind::DscpRemark {
                                prec_level: p as u8,
                            }
                        })
                    }
                    Some(Value::Str(t)) if t == "EXPERIMENTER" => int_of("experimenter", ctx)
                        .map(|e| MeterBandKind::Experimenter { experimenter: e }),
                    other => {
                        ctx.warn(
                            band.pos,
                            &bp,
                            format!(
                                "meter band type {} is not DROP, DSCP_REMARK or EXPERIMENTER; \
                                 the band is ignored",
                                other.map_or_else(|| "(none)".to_string(), short)
                            ),
                        );
                        None
                    }
                };
                if let (Some(rate), Some(burst_size), Some(kind)) = (rate, burst, kind) {
                    bands.push(MeterBand {
                        kind,
                        rate,
                        burst_size,
                    });
                }
            }
        }
        _ => {
            ctx.error(
                conf.pos,
                &join(&entry_path, "bands"),
                "the meter entry has no `bands`",
            );
        }
    }
    let name = key.text();
    #[allow(clippy::cast_possible_truncation)]
    Some(Meter {
        name,
        meter_id: meter_id.clamp(0, MAX_METER_ID) as u32,
        flags,
        bands,
    })
}
