//! The meter table and METER_MOD (OpenFlow 1.3.5 §5.7 meter table, §6.6 "Meter
//! Modification Messages", §7.3.4.4 the message).
//!
//! Checks, in Open vSwitch's order: the command (`OFPMMFC_BAD_COMMAND`); for ADD and MODIFY,
//! `OFPMF_KBPS` together with `OFPMF_PKTPS` (`OFPMMFC_BAD_FLAGS`), band types other than drop
//! and DSCP remark (`OFPMMFC_BAD_BAND`), meter id 0 or above `OFPM_MAX` other than the
//! slow-path and controller meters (`OFPMMFC_INVALID_METER`), more than
//! [`MAX_BANDS`] bands (`OFPMMFC_OUT_OF_BANDS`); then ADD of an existing meter
//! (`OFPMMFC_METER_EXISTS`), MODIFY of a missing one (`OFPMMFC_UNKNOWN_METER`), unknown flag
//! bits (`OFPMMFC_BAD_FLAGS`). Deleting a missing meter is not an error; deleting a meter
//! removes the flows that use it, as Open vSwitch does (their FLOW_REMOVED says
//! `OFPRR_DELETE`: OpenFlow 1.3 has no meter-delete reason).
//!
//! Under [`Strictness::Ovs`] a DSCP-remark band is refused with `OFPMMFC_BAD_BAND`, as the
//! userspace datapath does; under [`Strictness::Spec`] it is accepted.
//!
//! Metering itself (dropping packets over the rate) is not modelled: a trace records which
//! meter a packet went through and [`FakeSwitch::receive`] counts it.

use std::time::Duration;

use sluice_ofp::msg::error::MeterModFailedCode;
use sluice_ofp::msg::meter::{
    MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL, OFPM_CONTROLLER, OFPM_MAX,
    OFPM_SLOWPATH,
};
use sluice_ofp::msg::multipart::Counters;
use sluice_ofp::{Message, OfError};

use crate::error::{Rejection, reject};
use crate::flow::REASON_DELETE;
use crate::{FakeSwitch, Strictness};

/// The most bands a meter may have (Open vSwitch's userspace datapath limit).
pub const MAX_BANDS: usize = 8;

/// A meter in the meter table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    /// Its id.
    pub meter_id: u32,
    /// Its flags.
    pub flags: MeterFlags,
    /// Its bands.
    pub bands: Vec<MeterBand>,
    /// Packets that went through it (through [`FakeSwitch::receive`]).
    pub packet_count: u64,
    /// Bytes that went through it.
    pub byte_count: u64,
    /// Per-band counters (always zero: bands never fire here).
    pub band_counters: Vec<Counters>,
    /// When it was added.
    pub created: Duration,
}

impl FakeSwitch {
    /// The meters, by id.
    pub fn meters(&self) -> impl Iterator<Item = &Meter> {
        self.meters.values()
    }

    /// One meter.
    pub fn meter(&self, id: u32) -> Option<&Meter> {
        self.meters.get(&id)
    }

    /// METER_MOD.
    pub(crate) fn meter_mod(
        &mut self,
        now: Duration,
        mm: &MeterMod,
    ) -> Result<Vec<Message>, Rejection> {
        let err =
            |code: MeterModFailedCode, why: String| reject(OfError::MeterModFailed(code), why);
        if let MeterModCommand::Unknown(c) = mm.command {
            return err(
                MeterModFailedCode::BadCommand,
                format!("unknown meter command {c}"),
            );
        }
        if mm.command == MeterModCommand::Delete {
            return Ok(self.delete_meters(now, mm.meter_id));
        }
        if mm.flags.contains(MeterFlags::KBPS | MeterFlags::PKTPS) {
            return err(
                MeterModFailedCode::BadFlags,
                "a meter's rate is in kb/s or in packets/s, not both".into(),
            );
        }
        for b in &mm.bands {
            let ok = match b {
                MeterBand::Drop { .. } => true,
                MeterBand::DscpRemark { .. } => self.strictness == Strictness::Spec,
                _ => false,
            };
            if !ok {
                return err(
                    MeterModFailedCode::BadBand,
                    format!("band {b} is not supported"),
                );
            }
        }
        let id = mm.meter_id;
        if id == 0 || (id > OFPM_MAX && id != OFPM_SLOWPATH && id != OFPM_CONTROLLER) {
            return err(
                MeterModFailedCode::InvalidMeter,
                format!("meter id {id:#x} cannot be configured"),
            );
        }
        if mm.bands.len() > MAX_BANDS {
            return err(
                MeterModFailedCode::OutOfBands,
                format!("{} bands, at most {MAX_BANDS}", mm.bands.len()),
            );
        }
        let exists = self.meters.contains_key(&id);
        if mm.command == MeterModCommand::Add && exists {
            return err(
                MeterModFailedCode::MeterExists,
                format!("meter {id} exists"),
            );
        }
        if mm.command == MeterModCommand::Modify && !exists {
            return err(
                MeterModFailedCode::UnknownMeter,
                format!("meter {id} does not exist"),
            );
        }
        if mm.flags.bits() & !0xf != 0 {
            return err(
                MeterModFailedCode::BadFlags,
                format!("unknown meter flags {:#x}", mm.flags.bits() & !0xf),
            );
        }
        let created = self.meters.get(&id).map_or(now, |m| m.created);
        self.meters.insert(
            id,
            Meter {
                meter_id: id,
                flags: mm.flags,
                bands: mm.bands.clone(),
                packet_count: 0,
                byte_count: 0,
                band_counters: vec![Counters::default(); mm.bands.len()],
                created,
            },
        );
        Ok(Vec::new())
    }

    fn delete_meters(&mut self, now: Duration, id: u32) -> Vec<Message> {
        let doomed: Vec<u32> = match id {
            0 => Vec::new(),
            OFPM_ALL => self.meters.keys().copied().collect(),
            id if self.meters.contains_key(&id) => vec![id],
            _ => Vec::new(),
        };
        let mut keys = Vec::new();
        for (t, table) in self.tables.iter().enumerate() {
            for (k, e) in &table.flows {
                if e.meter().is_some_and(|m| doomed.contains(&m)) {
                    keys.push((t as u8, k.clone()));
                }
            }
        }
        for m in &doomed {
            self.meters.remove(m);
        }
        self.remove_flows(&keys, now, REASON_DELETE)
    }
}
