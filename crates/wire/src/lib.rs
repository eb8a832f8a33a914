//! Packet formats and addresses shared by the OpenFlow codec, the config model and the
//! controller core.
//!
//! Pure: no I/O, no clock, no async runtime. Everything here works on byte slices and plain
//! values, so it can be fuzzed and benchmarked alone.

mod mac;

pub use mac::{MacAddr, ParseMacError};
