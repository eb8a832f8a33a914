//! Why bytes are not a valid packet.

use std::fmt;

/// Why a buffer could not be read as a packet, or a packet as a `Repr`.
///
/// Unlike smoltcp's unit `Error`, it says what was wrong: how many bytes were needed, or which
/// rule the content broke. It is `Copy` and allocates nothing, so the hot path can return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireError {
    /// The buffer ends before the header (or the length the header announces) does.
    ///
    /// `need` and `have` count bytes of the buffer that was being read; for
    /// [`PacketMeta`](crate::PacketMeta) they count bytes of the whole frame.
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// The bytes are all there but break a rule of the format; the text names the rule.
    Malformed(&'static str),
}

impl WireError {
    /// `Ok(())` if `have >= need`, otherwise [`WireError::Truncated`].
    #[inline]
    pub const fn check(need: usize, have: usize) -> Result<(), WireError> {
        if have >= need {
            Ok(())
        } else {
            Err(WireError::Truncated { need, have })
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { need, have } => {
                write!(f, "truncated: need {need} bytes, have {have}")
            }
            WireError::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Result of reading packet bytes.
pub type WireResult<T> = Result<T, WireError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(
            WireError::Truncated { need: 14, have: 3 }.to_string(),
            "truncated: need 14 bytes, have 3"
        );
        assert_eq!(
            WireError::Malformed("IPv4 version is not 4").to_string(),
            "malformed: IPv4 version is not 4"
        );
        assert_eq!(WireError::check(4, 4), Ok(()));
        assert_eq!(
            WireError::check(5, 4),
            Err(WireError::Truncated { need: 5, have: 4 })
        );
    }
}
