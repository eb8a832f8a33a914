//! EXPERIMENTER messages (OpenFlow 1.3.5 §7.5.4), kept opaque.
//!
//! ```text
//! struct ofp_experimenter_header: | experimenter (32) | exp_type (32) | data |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{Put, Reader, fmt_hex};
use crate::error::DecodeError;

/// An EXPERIMENTER message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExperimenterMsg {
    /// Experimenter id (an IEEE OUI, such as 0x002320 for Nicira).
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
    pub data: Bytes,
}

impl ExperimenterMsg {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_experimenter_header";
        Ok(ExperimenterMsg {
            experimenter: r.u32(W)?,
            exp_type: r.u32(W)?,
            data: r.rest(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.experimenter);
        buf.put_u32(self.exp_type);
        buf.put_slice(&self.data);
    }
}

impl fmt::Display for ExperimenterMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "experimenter={:#x} exp_type={} data=",
            self.experimenter, self.exp_type
        )?;
        fmt_hex(f, &self.data)
    }
}
