//! HELLO and version negotiation (OpenFlow 1.3.5 §7.5.1, §6.3.1).
//!
//! ```text
//! | header | elements: | type (16) | length (16, excludes padding) | body | pad to 8 | ...
//! OFPHET_VERSIONBITMAP (1): bitmaps (32 bits each); bit n of bitmap i = version 32*i + n.
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{LenPatch, Put, Reader, fmt_hex, pad_to_8};
use crate::error::DecodeError;

/// `OFPHET_VERSIONBITMAP`.
const OFPHET_VERSIONBITMAP: u16 = 1;

/// One HELLO element.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum HelloElement {
    /// The versions the sender supports, as 32-bit bitmaps.
    VersionBitmap(Vec<u32>),
    /// An element type this codec does not name, kept as received.
    Unknown {
        /// The element type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        element_type: u16,
        /// The body (without padding).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        body: Bytes,
    },
}

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if t == OFPHET_VERSIONBITMAP { 2 } else { t })
}

/// A HELLO message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Hello {
    /// The elements, in order. OpenFlow 1.0 to 1.3.0 peers send none.
    pub elements: Vec<HelloElement>,
}

impl Hello {
    /// A HELLO offering exactly the given versions (wire numbers, such as 0x04).
    pub fn with_versions(versions: &[u8]) -> Self {
        let words = versions
            .iter()
            .map(|v| usize::from(*v) / 32)
            .max()
            .map_or(0, |m| m + 1);
        let mut bitmap = vec![0u32; words];
        for v in versions {
            bitmap[usize::from(*v) / 32] |= 1 << (v % 32);
        }
        Hello {
            elements: vec![HelloElement::VersionBitmap(bitmap)],
        }
    }

    /// The versions in the first version bitmap, if the HELLO has one.
    pub fn versions(&self) -> Option<Vec<u8>> {
        self.elements.iter().find_map(|e| match e {
            HelloElement::VersionBitmap(words) => Some(
                words
                    .iter()
                    .enumerate()
                    .flat_map(|(i, w)| {
                        (0..32)
                            .filter(move |b| w & (1 << b) != 0)
                            .map(move |b| i * 32 + b)
                    })
                    .filter_map(|v| u8::try_from(v).ok())
                    .collect(),
            ),
            HelloElement::Unknown { .. } => None,
        })
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut elements = Vec::new();
        while !r.is_empty() {
            let (ty, _len, mut body) = r.tlv("hello element", 4, 8)?;
            elements.push(if ty == OFPHET_VERSIONBITMAP {
                let mut words = Vec::with_capacity(body.remaining() / 4);
                while body.remaining() >= 4 {
                    words.push(body.u32("version bitmap")?);
                }
                HelloElement::VersionBitmap(words)
            } else {
                HelloElement::Unknown {
                    element_type: ty,
                    body: body.rest(),
                }
            });
        }
        Ok(Hello { elements })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        for e in &self.elements {
            let start = buf.len();
            let len = LenPatch::new(start, 2);
            match e {
                HelloElement::VersionBitmap(words) => {
                    buf.put_u16(OFPHET_VERSIONBITMAP);
                    buf.put_u16(0);
                    for w in words {
                        buf.put_u32(*w);
                    }
                }
                HelloElement::Unknown { element_type, body } => {
                    buf.put_u16(*element_type);
                    buf.put_u16(0);
                    buf.put_slice(body);
                }
            }
            len.finish(buf);
            pad_to_8(buf, start);
        }
    }
}

/// The version both sides speak (§6.3.1), given the versions we support, the version in the
/// peer's HELLO header and the peer's HELLO.
///
/// With a version bitmap on both sides, the highest version in both; otherwise the smaller of
/// the two header versions, if we support it.
pub fn negotiate(ours: &[u8], peer_header_version: u8, peer: &Hello) -> Option<u8> {
    match peer.versions() {
        Some(theirs) => ours.iter().copied().filter(|v| theirs.contains(v)).max(),
        None => {
            let our_max = ours.iter().copied().max()?;
            let v = our_max.min(peer_header_version);
            ours.contains(&v).then_some(v)
        }
    }
}

impl fmt::Display for Hello {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.elements.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match e {
                HelloElement::VersionBitmap(_) => {
                    f.write_str("version bitmap: ")?;
                    let versions = self.versions().unwrap_or_default();
                    for (j, v) in versions.iter().enumerate() {
                        write!(f, "{}0x{v:02x}", if j > 0 { "," } else { "" })?;
                    }
                }
                HelloElement::Unknown { element_type, body } => {
                    write!(f, "element({element_type}:")?;
                    fmt_hex(f, body)?;
                    f.write_str(")")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_for_1_3() {
        let h = Hello::with_versions(&[4]);
        let mut b = Vec::new();
        h.encode(&mut b);
        // type 1, length 8, bitmap 0x00000010.
        assert_eq!(&b[..], &[0, 1, 0, 8, 0, 0, 0, 0x10]);
        assert_eq!(h.versions(), Some(vec![4]));
        assert_eq!(h.to_string(), "version bitmap: 0x04");
    }

    #[test]
    fn negotiation() {
        let ours = [4];
        // OVS offering 1.0 to 1.5 with a bitmap.
        assert_eq!(
            negotiate(&ours, 6, &Hello::with_versions(&[1, 2, 3, 4, 5, 6])),
            Some(4)
        );
        // A 1.0-only peer with a bitmap.
        assert_eq!(negotiate(&ours, 1, &Hello::with_versions(&[1])), None);
        // No bitmap: the lower header version, if we speak it.
        assert_eq!(negotiate(&ours, 4, &Hello::default()), Some(4));
        assert_eq!(negotiate(&ours, 5, &Hello::default()), Some(4));
        assert_eq!(negotiate(&ours, 1, &Hello::default()), None);
    }
}
