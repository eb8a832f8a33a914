//! TABLE_MOD (OpenFlow 1.3.5 §7.3.3).
//!
//! ```text
//! struct ofp_table_mod: | table_id (8) | pad (24) | config (32) |
//! ```

use std::fmt;

use crate::codec::{Put, Reader};
use crate::error::DecodeError;

/// A TABLE_MOD message. In OpenFlow 1.3 `config` has no defined bits (the old miss flags are
/// deprecated); it is kept as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableMod {
    /// The table, or `OFPTT_ALL`.
    pub table_id: u8,
    /// Table configuration bits.
    pub config: u32,
}

impl TableMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_table_mod";
        let table_id = r.u8(W)?;
        r.skip(W, 3)?;
        Ok(TableMod {
            table_id,
            config: r.u32(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.config);
    }
}

impl fmt::Display for TableMod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table_id={} config={:#x}", self.table_id, self.config)
    }
}
