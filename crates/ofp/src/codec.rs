//! Byte-level reading and writing shared by every message family.
//!
//! [`Reader`] is a bounds-checked cursor over a frozen frame: every read either succeeds or
//! returns [`DecodeError::Truncated`], so no decoder can index out of bounds. Payloads that are
//! kept whole (packet data, experimenter bodies) are sliced out of the frame without copying.
//!
//! Writing appends to a `BytesMut`; a variable-length structure writes a zero length first and
//! patches it when its end is known ([`LenPatch`]).

use bytes::Bytes;

use crate::error::DecodeError;

/// A bounds-checked cursor over part of a frame.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    frame: &'a Bytes,
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `frame`.
    #[inline]
    pub(crate) fn new(frame: &'a Bytes) -> Self {
        Reader {
            frame,
            pos: 0,
            end: frame.len(),
        }
    }

    /// Bytes left to read.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.end
    }

    /// Offset of the cursor from the start of the frame, for error messages.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    #[inline]
    fn need(&self, what: &'static str, n: usize) -> Result<(), DecodeError> {
        if self.remaining() < n {
            Err(DecodeError::Truncated {
                what,
                need: n,
                have: self.remaining(),
            })
        } else {
            Ok(())
        }
    }

    #[inline]
    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        self.need(what, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.frame[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    #[inline]
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    #[inline]
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    #[inline]
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    #[inline]
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Skips `n` bytes (padding).
    #[inline]
    pub(crate) fn skip(&mut self, what: &'static str, n: usize) -> Result<(), DecodeError> {
        self.need(what, n)?;
        self.pos += n;
        Ok(())
    }

    /// The next `n` bytes, borrowed.
    #[inline]
    pub(crate) fn slice(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        self.need(what, n)?;
        let s = &self.frame[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Everything left, as a shared slice of the frame.
    #[inline]
    pub(crate) fn rest(&mut self) -> Bytes {
        let b = self.frame.slice(self.pos..self.end);
        self.pos = self.end;
        b
    }

    /// A reader over the next `n` bytes; this reader moves past them.
    #[inline]
    pub(crate) fn sub(&mut self, what: &'static str, n: usize) -> Result<Reader<'a>, DecodeError> {
        self.need(what, n)?;
        let sub = Reader {
            frame: self.frame,
            pos: self.pos,
            end: self.pos + n,
        };
        self.pos += n;
        Ok(sub)
    }

    /// Reads a structure that starts with a `u16` type and a `u16` length covering the
    /// whole structure (actions, instructions, bands, properties, ...). Returns the type, the
    /// declared length and a reader over the body after the 4-byte header, and moves past
    /// `padded(len)` bytes, or past the declared length when `align` is 1.
    ///
    /// A length below `min` or beyond the bytes available is an error.
    #[inline]
    pub(crate) fn tlv(
        &mut self,
        what: &'static str,
        min: usize,
        align: usize,
    ) -> Result<(u16, usize, Reader<'a>), DecodeError> {
        let start = self.offset();
        let mut peek = self.clone();
        let ty = peek.u16(what)?;
        let len = usize::from(peek.u16(what)?);
        if len < min.max(4) {
            return Err(DecodeError::BadLength {
                what,
                len,
                offset: start,
            });
        }
        let mut body = self.sub(what, len)?;
        body.pos += 4;
        // Trailing padding may be missing at the very end of the container; tolerate that as
        // long as the structure itself is whole.
        let skip = (round_up(len, align) - len).min(self.remaining());
        self.pos += skip;
        Ok((ty, len, body))
    }
}

/// Big-endian appends to an encode buffer.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_slice(&mut self, s: &[u8]);
    /// Appends `n` copies of `v` (padding).
    fn put_bytes(&mut self, v: u8, n: usize);
}

impl Put for Vec<u8> {
    #[inline(always)]
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    #[inline(always)]
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
    #[inline(always)]
    fn put_bytes(&mut self, v: u8, n: usize) {
        if v == 0 && n <= ZEROS.len() {
            self.extend_from_slice(&ZEROS[..n]);
        } else {
            self.resize(self.len() + n, v);
        }
    }
}

/// Zero bytes for padding (a slice copy inlines; `Vec::resize` calls `memset`).
static ZEROS: [u8; 64] = [0; 64];

/// A fixed-size structure built on the stack and appended with one copy: the fast way to
/// write a header whose fields sit at constant offsets (the bounds checks fold away).
pub(crate) struct Fixed<const N: usize>(pub [u8; N]);

impl<const N: usize> Fixed<N> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Fixed([0; N])
    }
    #[inline(always)]
    pub(crate) fn u8(&mut self, at: usize, v: u8) -> &mut Self {
        self.0[at] = v;
        self
    }
    #[inline(always)]
    pub(crate) fn u16(&mut self, at: usize, v: u16) -> &mut Self {
        self.0[at..at + 2].copy_from_slice(&v.to_be_bytes());
        self
    }
    #[inline(always)]
    pub(crate) fn u32(&mut self, at: usize, v: u32) -> &mut Self {
        self.0[at..at + 4].copy_from_slice(&v.to_be_bytes());
        self
    }
    #[inline(always)]
    pub(crate) fn u64(&mut self, at: usize, v: u64) -> &mut Self {
        self.0[at..at + 8].copy_from_slice(&v.to_be_bytes());
        self
    }
    /// Appends the structure.
    #[inline(always)]
    pub(crate) fn put(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.0);
    }
}

/// `n` rounded up to a multiple of `align` (a power of two, or 1).
pub(crate) const fn round_up(n: usize, align: usize) -> usize {
    if align <= 1 {
        n
    } else {
        (n + align - 1) & !(align - 1)
    }
}

/// Appends `n` < 8 zero bytes, with one fixed-size store rather than a call to `memset`.
#[inline(always)]
pub(crate) fn put_padding(buf: &mut Vec<u8>, n: usize) {
    let end = buf.len() + n;
    buf.extend_from_slice(&[0u8; 8]);
    buf.truncate(end);
}

/// Writes zero bytes until the length written since `start` is a multiple of 8.
#[inline]
pub(crate) fn pad_to_8(buf: &mut Vec<u8>, start: usize) {
    let len = buf.len() - start;
    put_padding(buf, round_up(len, 8) - len);
}

/// A `u16` length field to fill in once the structure's end is known.
///
/// Nested structures cannot overflow their 16-bit length without the whole message
/// overflowing too, so only [`crate::Message::encode`] checks lengths; an inner length that
/// does not fit is written saturated, and that message is then refused as a whole.
#[must_use]
pub(crate) struct LenPatch {
    /// Offset of the structure's first byte.
    start: usize,
    /// Offset of the length field.
    at: usize,
}

impl LenPatch {
    /// Remembers that the structure starting at `start` has its length at `start + field_offset`.
    #[inline(always)]
    pub(crate) fn new(start: usize, field_offset: usize) -> Self {
        LenPatch {
            start,
            at: start + field_offset,
        }
    }

    /// Length written since the structure's start.
    #[inline(always)]
    pub(crate) fn len_so_far(&self, buf: &[u8]) -> usize {
        buf.len() - self.start
    }

    /// Writes `buf.len() - start` into the length field.
    #[inline(always)]
    pub(crate) fn finish(self, buf: &mut [u8]) {
        let len = buf.len() - self.start;
        self.finish_with(buf, len);
    }

    /// Writes `len` into the length field (for structures whose length excludes padding).
    #[inline(always)]
    pub(crate) fn finish_with(self, buf: &mut [u8], len: usize) {
        let v = u16::try_from(len).unwrap_or(u16::MAX);
        buf[self.at..self.at + 2].copy_from_slice(&v.to_be_bytes());
    }
}

/// A fixed-size, NUL-padded string field (port names, table names, switch descriptions).
///
/// The raw bytes are kept exactly as received, so encoding what was decoded gives the same
/// bytes back; [`FixedStr::as_str`] reads up to the first NUL.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedStr<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedStr<N> {
    /// `s` truncated to `N - 1` bytes and NUL-padded, so that it is always terminated.
    pub fn new(s: &str) -> Self {
        let mut out = [0u8; N];
        let n = s.len().min(N.saturating_sub(1));
        out[..n].copy_from_slice(&s.as_bytes()[..n]);
        FixedStr(out)
    }

    /// The text up to the first NUL, with invalid UTF-8 replaced.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        let end = self.0.iter().position(|b| *b == 0).unwrap_or(N);
        String::from_utf8_lossy(&self.0[..end])
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        FixedStr([0; N])
    }
}

impl<const N: usize> std::fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> std::fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, const N: usize> arbitrary::Arbitrary<'a> for FixedStr<N> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut out = [0u8; N];
        u.fill_buffer(&mut out)?;
        Ok(FixedStr(out))
    }
}

/// Arbitrary payload bytes (for `#[arbitrary(with = ...)]` on `Bytes` fields).
#[cfg(feature = "arbitrary")]
pub(crate) fn arb_bytes(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Bytes> {
    let v: Vec<u8> = u.arbitrary()?;
    Ok(Bytes::from(v))
}

/// Arbitrary payload bytes whose length is a multiple of 8 (bodies that the wire pads).
#[cfg(feature = "arbitrary")]
pub(crate) fn arb_bytes8(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Bytes> {
    let mut v: Vec<u8> = u.arbitrary()?;
    v.truncate(v.len() / 8 * 8);
    Ok(Bytes::from(v))
}

/// Arbitrary payload bytes whose length is a multiple of 4 (bodies made of `u32`s).
#[cfg(feature = "arbitrary")]
pub(crate) fn arb_bytes4(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Bytes> {
    let mut v: Vec<u8> = u.arbitrary()?;
    v.truncate(v.len() / 4 * 4);
    Ok(Bytes::from(v))
}

/// Writes a hex dump of `data` (for payloads in the text form), eliding long ones.
pub(crate) fn fmt_hex(f: &mut std::fmt::Formatter<'_>, data: &[u8]) -> std::fmt::Result {
    const MAX: usize = 64;
    for b in data.iter().take(MAX) {
        write!(f, "{b:02x}")?;
    }
    if data.len() > MAX {
        write!(f, "...({} bytes)", data.len())?;
    }
    Ok(())
}
