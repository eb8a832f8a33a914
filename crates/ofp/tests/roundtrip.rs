//! Round-trip properties of the codec: every message that encodes decodes back to itself, the
//! bytes are stable, and no input makes the decoder panic.
//!
//! Messages are generated with `arbitrary` from random bytes (the same generator the fuzzer
//! uses), so every message type, action, instruction, OXM field, multipart body, property and
//! band is covered, including unknown values.

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use proptest::prelude::*;
use sluice_ofp::msg::multipart::{MultipartReply, MultipartRequest};
use sluice_ofp::{Message, frame_len};

/// Encodes `msg`, decodes it, and checks both directions. Returns false if the message is too
/// long to encode (which is allowed, and reported as an error by `encode`).
fn check_round_trip(msg: &Message, xid: u32) -> Result<bool, TestCaseError> {
    let mut buf = Vec::new();
    if msg.encode(xid, &mut buf).is_err() {
        prop_assert!(
            buf.is_empty(),
            "a failed encode must leave the buffer as it was"
        );
        return Ok(false);
    }
    prop_assert_eq!(frame_len(&buf), Ok(Some(buf.len())));
    let bytes = Bytes::from(buf);
    let (header, back) =
        Message::decode(bytes.clone()).map_err(|e| TestCaseError::fail(format!("{e}: {msg:?}")))?;
    prop_assert_eq!(header.xid, xid);
    prop_assert_eq!(header.msg_type, msg.msg_type());
    prop_assert_eq!(&back, msg);
    // Encoding what was decoded gives the same bytes.
    prop_assert_eq!(
        back.to_bytes(xid)
            .map_err(|e| TestCaseError::fail(e.to_string()))?,
        bytes
    );
    // The text form never panics and is never empty.
    prop_assert!(!back.to_string().is_empty());
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn generated_messages_round_trip(seed in proptest::collection::vec(any::<u8>(), 0..2048), xid: u32) {
        let mut u = Unstructured::new(&seed);
        if let Ok(msg) = Message::arbitrary(&mut u) {
            check_round_trip(&msg, xid)?;
        }
    }

    #[test]
    fn generated_multipart_round_trip(seed in proptest::collection::vec(any::<u8>(), 0..2048), xid: u32) {
        let mut u = Unstructured::new(&seed);
        if let Ok(req) = MultipartRequest::arbitrary(&mut u) {
            check_round_trip(&Message::MultipartRequest(req), xid)?;
        }
        if let Ok(rep) = MultipartReply::arbitrary(&mut u) {
            check_round_trip(&Message::MultipartReply(rep), xid)?;
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::decode(Bytes::from(bytes));
    }

    #[test]
    fn corrupted_messages_never_panic(
        seed in proptest::collection::vec(any::<u8>(), 0..1024),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let mut u = Unstructured::new(&seed);
        if let Ok(msg) = Message::arbitrary(&mut u)
            && let Ok(bytes) = msg.to_bytes(1)
        {
                let mut v = bytes.to_vec();
                for (at, x) in flips {
                    let i = at % v.len();
                    v[i] ^= x;
                }
                // Keep the header's length right half the time, so the body parsers are reached.
                if v.len() >= 4 && seed.first().is_some_and(|b| b & 1 == 0) {
                    let len = (v.len() as u16).to_be_bytes();
                    v[2..4].copy_from_slice(&len);
                }
                let _ = Message::decode(Bytes::from(v));
        }
    }
}

/// A small deterministic generator of seed bytes (xorshift64*), so coverage is reproducible.
struct Seeds(u64);

impl Seeds {
    fn next_bytes(&mut self, out: &mut Vec<u8>) {
        out.clear();
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let len = 16 + (self.0 % 1500) as usize;
        for _ in 0..len {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            out.push((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8);
        }
    }
}

#[test]
fn every_message_and_multipart_type_is_exercised() {
    let mut seeds = Seeds(0x5adc_15c0);
    let mut buf = Vec::new();
    let mut msg_types = [0usize; 31];
    let mut req_types = std::collections::BTreeMap::new();
    let mut rep_types = std::collections::BTreeMap::new();
    for _ in 0..30_000 {
        seeds.next_bytes(&mut buf);
        let mut u = Unstructured::new(&buf);
        let Ok(msg) = Message::arbitrary(&mut u) else {
            continue;
        };
        if !check_round_trip(&msg, 7).expect("round trip") {
            continue;
        }
        msg_types[usize::from(msg.msg_type()).min(30)] += 1;
        match &msg {
            Message::MultipartRequest(r) => {
                *req_types.entry(r.multipart_type().min(14)).or_insert(0) += 1
            }
            Message::MultipartReply(r) => {
                *rep_types.entry(r.multipart_type().min(14)).or_insert(0) += 1
            }
            _ => {}
        }
    }
    for (t, n) in msg_types.iter().enumerate() {
        assert!(*n >= 20, "message type {t} round-tripped only {n} times");
    }
    // Types 0..=13, 0xffff (counted as 14 with unknown ones).
    assert_eq!(
        req_types.len(),
        15,
        "multipart request types seen: {req_types:?}"
    );
    assert_eq!(
        rep_types.len(),
        15,
        "multipart reply types seen: {rep_types:?}"
    );
}
