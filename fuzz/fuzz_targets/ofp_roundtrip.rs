//! Builds structured messages from the fuzzer's bytes and checks that each one encodes,
//! decodes back to itself, and encodes to the same bytes again.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sluice_ofp::Message;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(msg) = Message::arbitrary(&mut u) else { return };
    let Ok(bytes) = msg.to_bytes(1) else { return };
    let (_, back) = Message::decode(bytes.clone()).expect("our own encoding decodes");
    assert_eq!(back, msg);
    assert_eq!(back.to_bytes(1).expect("encodes again"), bytes);
});
