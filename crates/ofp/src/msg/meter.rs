//! METER_MOD and meter bands (OpenFlow 1.3.5 §7.3.4.4).
//!
//! ```text
//! struct ofp_meter_mod: | command (16) | flags (16) | meter_id (32) | bands ... |
//! struct ofp_meter_band_header: | type (16) | len (16) | rate (32) | burst_size (32) |
//!   DROP (1):         | pad (32) |                                       16 bytes
//!   DSCP_REMARK (2):  | prec_level (8) | pad (24) |                       16 bytes
//!   EXPERIMENTER:     | experimenter (32) | data |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{LenPatch, Put, Reader, fmt_hex};
use crate::error::DecodeError;
use crate::macros::{open_enum, wire_flags};

/// `OFPM_MAX`: the last usable meter id.
pub const OFPM_MAX: u32 = 0xffff_0000;
/// `OFPM_SLOWPATH`: the meter for the slow datapath.
pub const OFPM_SLOWPATH: u32 = 0xffff_fffd;
/// `OFPM_CONTROLLER`: the meter for the controller connection (packet-ins).
pub const OFPM_CONTROLLER: u32 = 0xffff_fffe;
/// `OFPM_ALL`: every meter, in deletes and stats requests.
pub const OFPM_ALL: u32 = 0xffff_ffff;

open_enum! {
    /// What a METER_MOD does (`enum ofp_meter_mod_command`).
    pub enum MeterModCommand: u16 {
        /// New meter.
        Add = 0 => "ADD",
        /// Modify specified meter.
        Modify = 1 => "MODIFY",
        /// Delete specified meter.
        Delete = 2 => "DELETE",
    }
}

wire_flags! {
    /// Meter configuration flags (`enum ofp_meter_flags`).
    pub struct MeterFlags: u16 {
        /// Rate value in kb/s.
        const KBPS = 1 << 0;
        /// Rate value in packets/s.
        const PKTPS = 1 << 1;
        /// Do burst size.
        const BURST = 1 << 2;
        /// Collect statistics.
        const STATS = 1 << 3;
    }
}

/// A meter band.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MeterBand {
    /// `OFPMBT_DROP` (1): drop packets over the rate.
    Drop {
        /// Rate, in the meter's unit.
        rate: u32,
        /// Burst size.
        burst_size: u32,
    },
    /// `OFPMBT_DSCP_REMARK` (2): raise the drop precedence of packets over the rate.
    DscpRemark {
        /// Rate, in the meter's unit.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Number of drop-precedence levels to add.
        prec_level: u8,
    },
    /// `OFPMBT_EXPERIMENTER` (0xffff), kept opaque.
    Experimenter {
        /// Rate, in the meter's unit.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Experimenter id.
        experimenter: u32,
        /// Anything after the experimenter id.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes4))]
        data: Bytes,
    },
    /// A band type this codec does not name, kept as received.
    Unknown {
        /// The band type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        band_type: u16,
        /// Rate, in the meter's unit.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// The body after `burst_size`.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes4))]
        body: Bytes,
    },
}

const OFPMBT_DROP: u16 = 1;
const OFPMBT_DSCP_REMARK: u16 = 2;
const OFPMBT_EXPERIMENTER: u16 = 0xffff;

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if matches!(t, 1 | 2 | 0xffff) { 3 } else { t })
}

impl MeterBand {
    /// The band type number.
    pub fn band_type(&self) -> u16 {
        match self {
            MeterBand::Drop { .. } => OFPMBT_DROP,
            MeterBand::DscpRemark { .. } => OFPMBT_DSCP_REMARK,
            MeterBand::Experimenter { .. } => OFPMBT_EXPERIMENTER,
            MeterBand::Unknown { band_type, .. } => *band_type,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "meter band";
        let (ty, _len, mut b) = r.tlv(W, 12, 1)?;
        let rate = b.u32(W)?;
        let burst_size = b.u32(W)?;
        Ok(match ty {
            OFPMBT_DROP => MeterBand::Drop { rate, burst_size },
            OFPMBT_DSCP_REMARK => MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level: b.u8(W)?,
            },
            OFPMBT_EXPERIMENTER => MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter: b.u32(W)?,
                data: b.rest(),
            },
            _ => MeterBand::Unknown {
                band_type: ty,
                rate,
                burst_size,
                body: b.rest(),
            },
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u16(self.band_type());
        let len = LenPatch::new(start, 2);
        buf.put_u16(0);
        match self {
            MeterBand::Drop { rate, burst_size } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_bytes(0, 4);
            }
            MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level,
            } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_u8(*prec_level);
                buf.put_bytes(0, 3);
            }
            MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter,
                data,
            } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            MeterBand::Unknown {
                rate,
                burst_size,
                body,
                ..
            } => {
                buf.put_u32(*rate);
                buf.put_u32(*burst_size);
                buf.put_slice(body);
            }
        }
        len.finish(buf);
    }
}

impl fmt::Display for MeterBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeterBand::Drop { rate, burst_size } => {
                write!(f, "type=drop rate={rate} burst_size={burst_size}")
            }
            MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level,
            } => {
                write!(
                    f,
                    "type=dscp_remark rate={rate} burst_size={burst_size} prec_level={prec_level}"
                )
            }
            MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter,
                data,
            } => {
                write!(
                    f,
                    "type=experimenter({experimenter:#x}) rate={rate} burst_size={burst_size} data="
                )?;
                fmt_hex(f, data)
            }
            MeterBand::Unknown {
                band_type,
                rate,
                burst_size,
                body,
            } => {
                write!(
                    f,
                    "type={band_type} rate={rate} burst_size={burst_size} data="
                )?;
                fmt_hex(f, body)
            }
        }
    }
}

/// Decodes bands until the reader is empty.
pub(crate) fn decode_bands(mut r: Reader<'_>) -> Result<Vec<MeterBand>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(MeterBand::decode(&mut r)?);
    }
    Ok(out)
}

/// Appends bands.
pub(crate) fn encode_bands(bands: &[MeterBand], buf: &mut Vec<u8>) {
    bands.iter().for_each(|b| b.encode(buf))
}

/// Writes bands as ` bands=band1 band2`.
pub(crate) fn fmt_bands(f: &mut fmt::Formatter<'_>, bands: &[MeterBand]) -> fmt::Result {
    f.write_str(" bands=")?;
    for (i, b) in bands.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{b}")?;
    }
    Ok(())
}

/// A METER_MOD message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterMod {
    /// What to do.
    pub command: MeterModCommand,
    /// Flags.
    pub flags: MeterFlags,
    /// The meter id.
    pub meter_id: u32,
    /// The bands.
    pub bands: Vec<MeterBand>,
}

impl MeterMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_meter_mod";
        let command = r.u16(W)?.into();
        let flags = MeterFlags::from_bits_retain(r.u16(W)?);
        let meter_id = r.u32(W)?;
        let rest = r.remaining();
        Ok(MeterMod {
            command,
            flags,
            meter_id,
            bands: decode_bands(r.sub(W, rest)?)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.command.into());
        buf.put_u16(self.flags.bits());
        buf.put_u32(self.meter_id);
        encode_bands(&self.bands, buf)
    }
}

/// Writes a meter id, by name when reserved.
pub(crate) fn fmt_meter_id(f: &mut fmt::Formatter<'_>, id: u32) -> fmt::Result {
    match id {
        OFPM_SLOWPATH => f.write_str("slowpath"),
        OFPM_CONTROLLER => f.write_str("controller"),
        OFPM_ALL => f.write_str("all"),
        n => write!(f, "{n}"),
    }
}

impl fmt::Display for MeterMod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} meter=", self.command)?;
        fmt_meter_id(f, self.meter_id)?;
        write!(f, " flags={}", self.flags)?;
        fmt_bands(f, &self.bands)
    }
}
