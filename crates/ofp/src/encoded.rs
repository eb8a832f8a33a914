//! Messages encoded ahead of sending: what the controller's core hands a connection.
//!
//! The core decides what to send; the connection decides each message's xid. [`Encoded`] sits
//! between them: messages encoded back to back with xid 0, which the connection copies into
//! its write buffer in one piece and then stamps with fresh xids
//! ([`Encoded::write_stamped`]). Hot paths can also append a pre-encoded template and write
//! values into it ([`Encoded::push_template`]) instead of building a typed [`Message`].

use std::fmt;

use crate::error::{DecodeError, EncodeError};
use crate::framing::frame_len;
use crate::msg::Message;

/// OpenFlow messages encoded back to back, each with xid 0 until it is sent.
///
/// Every way of adding a message keeps the buffer a sequence of whole frames, so walking it
/// by the frames' length fields always lands on frame boundaries.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Encoded {
    buf: Vec<u8>,
    count: usize,
}

impl Encoded {
    /// No messages.
    pub fn new() -> Self {
        Encoded::default()
    }

    /// No messages, with room for `bytes` bytes of them.
    pub fn with_capacity(bytes: usize) -> Self {
        Encoded {
            buf: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// Appends a message.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if it would exceed 65,535 bytes; nothing is appended then.
    pub fn push(&mut self, msg: &Message) -> Result<(), EncodeError> {
        msg.encode(0, &mut self.buf)?;
        self.count += 1;
        Ok(())
    }

    /// Appends a copy of `template`, one whole encoded message (as [`Message::encode`] made
    /// it), and returns the copy so the caller can write its own values into fixed places.
    ///
    /// # Panics
    /// If `template` is not exactly one frame (its length field disagrees with its size):
    /// templates are built by the program, never taken from outside.
    pub fn push_template(&mut self, template: &[u8]) -> &mut [u8] {
        assert_eq!(
            first_frame(template),
            Some(template.len()),
            "a template is one whole message"
        );
        let start = self.buf.len();
        self.buf.extend_from_slice(template);
        self.count += 1;
        &mut self.buf[start..]
    }

    /// Appends every message of `other`, in order (without copying when `self` is empty).
    pub fn append(&mut self, other: Encoded) {
        if self.buf.is_empty() {
            *self = other;
        } else {
            self.buf.extend_from_slice(&other.buf);
            self.count += other.count;
        }
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The messages' bytes, back to back (xids 0).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Each message's bytes, in order.
    pub fn frames(&self) -> Frames<'_> {
        Frames { rest: &self.buf }
    }

    /// Each message decoded (for tests and logs; the send path never decodes).
    pub fn messages(&self) -> impl Iterator<Item = Result<Message, DecodeError>> + '_ {
        self.frames()
            .map(|f| Message::decode_slice(f).map(|(_, m)| m))
    }

    /// Appends every message to `out` in one copy, then gives each the xid `xid` returns for
    /// it (called once per message, in order, with the message's bytes as sent).
    pub fn write_stamped(&self, out: &mut Vec<u8>, mut xid: impl FnMut(&[u8]) -> u32) {
        let start = out.len();
        out.extend_from_slice(&self.buf);
        let mut at = start;
        while let Some(len) = out.get(at..).and_then(first_frame) {
            let frame = &out[at..at + len];
            let x = xid(frame);
            out[at + 4..at + 8].copy_from_slice(&x.to_be_bytes());
            at += len;
        }
    }
}

impl fmt::Debug for Encoded {
    /// The messages in text form, one per entry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for m in self.messages() {
            match m {
                Ok(m) => list.entry(&format_args!("{m}")),
                Err(e) => list.entry(&format_args!("undecodable: {e}")),
            };
        }
        list.finish()
    }
}

impl From<&[Message]> for Encoded {
    /// Encodes each message; one too long to send is left out (the core never builds one).
    fn from(msgs: &[Message]) -> Self {
        let mut e = Encoded::new();
        for m in msgs {
            let _ = e.push(m);
        }
        e
    }
}

/// The length of the whole frame at the start of `buf`, if there is one.
fn first_frame(buf: &[u8]) -> Option<usize> {
    frame_len(buf).ok().flatten()
}

/// The frames of an [`Encoded`], in order.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let len = first_frame(self.rest)?;
        let (frame, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::HEADER_LEN;
    use crate::msg::flow::FlowMod;

    #[test]
    fn pushes_walks_and_stamps() {
        let msgs = [
            Message::BarrierRequest,
            Message::FlowMod(FlowMod::default()),
            Message::EchoRequest(bytes::Bytes::from_static(b"hi")),
        ];
        let e = Encoded::from(&msgs[..]);
        assert_eq!(e.len(), 3);
        let back: Vec<Message> = e.messages().map(|m| m.expect("decodes")).collect();
        assert_eq!(back, msgs);

        let mut out = vec![0xaa];
        let mut next = 7;
        e.write_stamped(&mut out, |_| {
            next += 1;
            next
        });
        let mut at = 1;
        for (i, m) in msgs.iter().enumerate() {
            let len = first_frame(&out[at..]).expect("a frame");
            let (h, got) = Message::decode_slice(&out[at..at + len]).expect("decodes");
            assert_eq!(&got, m);
            assert_eq!(h.xid, 8 + i as u32);
            at += usize::from(h.length);
        }
        assert_eq!(at, out.len());
    }

    #[test]
    fn templates_are_copied_and_patched() {
        let template = Message::EchoRequest(bytes::Bytes::from_static(b"abcd"))
            .to_bytes(0)
            .expect("encodes");
        let mut e = Encoded::new();
        e.push_template(&template)[HEADER_LEN] = b'X';
        let got: Vec<Message> = e.messages().map(|m| m.expect("decodes")).collect();
        assert_eq!(
            got,
            [Message::EchoRequest(bytes::Bytes::from_static(b"Xbcd"))]
        );
    }
}
