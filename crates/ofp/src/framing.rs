//! Cutting a byte stream into OpenFlow messages, and the 8-byte header.
//!
//! ```text
//! struct ofp_header: | version (8) | type (8) | length (16, whole message) | xid (32) |
//! ```
//!
//! [`frame_len`] looks only at the header, so a connection can cut every complete message out
//! of a read buffer without decoding them (mini-redis's `Frame::check`). A length below 8 is
//! an error, never an empty frame: a peer cannot make the reader spin.

use std::fmt;

use crate::error::DecodeError;

/// The OpenFlow 1.3 wire version.
pub const OFP_VERSION: u8 = 0x04;
/// Length of `struct ofp_header`.
pub const HEADER_LEN: usize = 8;
/// The longest message the 16-bit length field allows.
pub const MAX_MESSAGE_LEN: usize = u16::MAX as usize;

/// The header of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Wire version (0x04 for OpenFlow 1.3).
    pub version: u8,
    /// Message type.
    pub msg_type: u8,
    /// Length of the whole message, header included.
    pub length: u16,
    /// Transaction id.
    pub xid: u32,
}

impl Header {
    /// Reads the header at the start of `buf`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if `buf` is shorter than 8 bytes, and
    /// [`DecodeError::BadLength`] if the length field is below 8.
    pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
        let Some(h) = buf.first_chunk::<HEADER_LEN>() else {
            return Err(DecodeError::Truncated {
                what: "ofp_header",
                need: HEADER_LEN,
                have: buf.len(),
            });
        };
        let length = u16::from_be_bytes([h[2], h[3]]);
        if usize::from(length) < HEADER_LEN {
            return Err(DecodeError::BadLength {
                what: "ofp_header",
                len: usize::from(length),
                offset: 0,
            });
        }
        Ok(Header {
            version: h[0],
            msg_type: h[1],
            length,
            xid: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        })
    }
}

/// A stream that cannot be cut into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameError {
    /// The impossible length a header declared.
    pub length: u16,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OpenFlow header declares length {}, below the 8-byte header",
            self.length
        )
    }
}

impl std::error::Error for FrameError {}

/// The length of the first message in `buf` if all of it has arrived, `Ok(None)` if more bytes
/// are needed.
///
/// # Errors
/// [`FrameError`] when the header's length is below 8: the stream is broken and the
/// connection must close.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let Some(h) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let length = u16::from_be_bytes([h[2], h[3]]);
    let len = usize::from(length);
    if len < HEADER_LEN {
        return Err(FrameError { length });
    }
    Ok((buf.len() >= len).then_some(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let barrier = [4, 20, 0, 8, 0, 0, 0, 1];
        assert_eq!(frame_len(&barrier[..7]), Ok(None));
        assert_eq!(frame_len(&barrier), Ok(Some(8)));
        let mut two = barrier.to_vec();
        two.extend_from_slice(&barrier[..4]);
        assert_eq!(frame_len(&two), Ok(Some(8)));
        // A declared length of 0 or 7 is an error, not an empty frame.
        assert_eq!(
            frame_len(&[4, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError { length: 0 })
        );
        assert_eq!(
            frame_len(&[4, 0, 0, 7, 0, 0, 0, 0]),
            Err(FrameError { length: 7 })
        );
        // A long message waits for its bytes.
        assert_eq!(frame_len(&[4, 10, 0xff, 0xff, 0, 0, 0, 0]), Ok(None));
    }

    #[test]
    fn header() {
        let h = Header::parse(&[4, 14, 0, 0x50, 0xde, 0xad, 0xbe, 0xef]).unwrap();
        assert_eq!(
            h,
            Header {
                version: 4,
                msg_type: 14,
                length: 0x50,
                xid: 0xdeadbeef
            }
        );
        assert!(Header::parse(&[4, 14, 0, 7, 0, 0, 0, 0]).is_err());
        assert!(Header::parse(&[4, 14, 0]).is_err());
    }
}
