//! Feeds arbitrary bytes to the OpenFlow stream framer and decoder, as a switch connection
//! would: cut frames with `frame_len`, decode each one, print and re-encode what decodes.
//! Nothing may panic, and a decoded message must survive encode → decode unchanged.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sluice_ofp::{Message, frame_len};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    loop {
        match frame_len(rest) {
            Ok(Some(len)) => {
                let frame = Bytes::copy_from_slice(&rest[..len]);
                rest = &rest[len..];
                if let Ok((header, msg)) = Message::decode(frame) {
                    let _ = msg.to_string();
                    if let Ok(again) = msg.to_bytes(header.xid) {
                        let (_, back) = Message::decode(again).expect("our own encoding decodes");
                        assert_eq!(back, msg);
                    }
                }
            }
            // Incomplete or invalid: a connection would wait or close.
            Ok(None) | Err(_) => break,
        }
    }
});
