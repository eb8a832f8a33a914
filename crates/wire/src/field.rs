//! Byte ranges of header fields, and the big-endian reads and writes every format uses.
//!
//! Each format keeps its offsets as constants in a private `mod field` (smoltcp's layout), so a
//! field is one line: `pub const OPER: Field = 6..8;`.

use std::ops::{Range, RangeFrom};

/// The bytes of one fixed-position field.
pub type Field = Range<usize>;

/// Everything from an offset to the end of the buffer (a payload).
pub type Rest = RangeFrom<usize>;

// The helpers below index the buffer: callers use them only after `check_len` has proven the
// field is inside it (that is the Packet contract).

#[inline]
pub(crate) fn read_u16(data: &[u8], f: Field) -> u16 {
    let b = &data[f];
    u16::from_be_bytes([b[0], b[1]])
}

#[inline]
pub(crate) fn read_u32(data: &[u8], f: Field) -> u32 {
    let b = &data[f];
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[inline]
pub(crate) fn read_array<const N: usize>(data: &[u8], f: Field) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&data[f]);
    out
}

#[inline]
pub(crate) fn write_u16(data: &mut [u8], f: Field, v: u16) {
    data[f].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn write_u32(data: &mut [u8], f: Field, v: u32) {
    data[f].copy_from_slice(&v.to_be_bytes());
}
