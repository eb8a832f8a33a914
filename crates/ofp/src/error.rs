//! Why a message could not be decoded or encoded.

use std::fmt;

use crate::msg::error::{BadRequestCode, OfError};

/// Why bytes are not a valid OpenFlow 1.3 message.
///
/// A decode error is data: the runtime counts and logs it and closes that one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A structure needs more bytes than are left in its container.
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes it needs.
        need: usize,
        /// Bytes that are left.
        have: usize,
    },
    /// A length field is impossible (below the structure's minimum, or not aligned).
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// The length it declared.
        len: usize,
        /// Offset of the structure in the frame.
        offset: usize,
    },
    /// The header's version is not OpenFlow 1.3 (0x04) on a message other than HELLO.
    BadVersion(u8),
    /// A field has a value the specification does not allow.
    Malformed {
        /// The structure being read.
        what: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
}

impl DecodeError {
    /// The OpenFlow error a switch would answer with for this problem (§7.4.4).
    pub fn of_error(&self) -> OfError {
        match self {
            DecodeError::Truncated { .. } | DecodeError::BadLength { .. } => {
                OfError::BadRequest(BadRequestCode::BadLen)
            }
            DecodeError::BadVersion(_) => OfError::BadRequest(BadRequestCode::BadVersion),
            DecodeError::Malformed { .. } => OfError::BadRequest(BadRequestCode::BadLen),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { what, need, have } => {
                write!(f, "{what} truncated: needs {need} bytes, {have} left")
            }
            DecodeError::BadLength { what, len, offset } => {
                write!(f, "{what} at offset {offset} has impossible length {len}")
            }
            DecodeError::BadVersion(v) => {
                write!(
                    f,
                    "OpenFlow version 0x{v:02x} where 0x04 (1.3) was expected"
                )
            }
            DecodeError::Malformed { what, why } => write!(f, "{what}: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a message cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A structure is longer than its 16-bit length field can say (for a whole message,
    /// 65,535 bytes; split multipart replies and large packet-outs before encoding).
    TooLong {
        /// The structure that overflowed.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { what, len } => {
                write!(
                    f,
                    "{what} is {len} bytes, more than its 16-bit length field allows"
                )
            }
        }
    }
}

impl std::error::Error for EncodeError {}
