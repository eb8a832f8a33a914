//! OpenFlow 1.3 (wire version 0x04) codec: every message a FAUCET-style controller sends or
//! receives, with OXM matches, instructions, actions, group buckets and meter bands, and an
//! ovs-ofctl-like text form of each.
//!
//! Pure: no I/O, no clock, no async runtime.
//!
//! - [`framing`] cuts a byte stream into frames by looking only at headers;
//! - [`Message::decode`] turns one frame into a typed [`Message`] (never panics, never
//!   allocates more than the frame's own size allows), and [`Message::encode`] appends one to a
//!   buffer, so a connection can encode a whole batch into one write;
//! - values the specification allows to grow (message, action, instruction, OXM, multipart,
//!   property and band types, error codes, flag bits) are kept when unknown, not rejected;
//! - `Display` on every message gives the text form used in logs and test snapshots.
//!
//! The layout follows the specification's chapters: each file under `msg/` is one message
//! family, with the spec's struct diagram at its top, then the types, `decode`, `encode` and
//! `Display`.

pub mod action;
mod codec;
pub mod encoded;
pub mod error;
pub mod framing;
pub mod instruction;
mod macros;
pub mod msg;
pub mod oxm;
pub mod port;

pub use action::Action;
pub use codec::FixedStr;
pub use encoded::Encoded;
pub use error::{DecodeError, EncodeError};
pub use framing::{FrameError, HEADER_LEN, Header, OFP_VERSION, frame_len};
pub use instruction::Instruction;
pub use msg::Message;
pub use msg::error::{ErrorMsg, OfError};
pub use oxm::{Match, OxmField, OxmKind};
pub use port::{Port, PortNo};
