//! A controller that sends garbage ends the emulated switch it sent it to, not the run: the
//! report says which switch failed and why.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use sluice_bench::{ConfigSource, Generated, Mode, Options};

#[test]
fn a_malformed_message_ends_only_that_switch() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The "controller": the first connection gets a frame whose length is below the
    // header's; the second a FLOW_MOD too short to hold a match; both then stay open.
    let server = std::thread::spawn(move || {
        let mut keep = Vec::new();
        for garbage in [
            vec![4u8, 0, 0, 4, 0, 0, 0, 1],
            vec![4u8, 14, 0, 16, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            let (mut s, _) = listener.accept().unwrap();
            let mut hello = [0u8; 16];
            let _ = s.read(&mut hello).unwrap();
            s.write_all(&garbage).unwrap();
            keep.push(s);
        }
        std::thread::sleep(Duration::from_secs(1));
    });
    let mut opts = Options::new(Mode::Connect);
    opts.config = ConfigSource::Generate(Generated {
        dps: 2,
        ports: 2,
        vlans: 1,
    });
    opts.controller = Some(addr);
    opts.timeout = Duration::from_secs(2);
    opts.settle = Duration::from_millis(100);
    opts.connect_concurrency = 1; // one at a time, so each gets its own garbage
    opts.progress = false;
    let report = sluice_bench::run(&opts).unwrap();
    let connect = report.connect.unwrap();
    assert_eq!((connect.switches, connect.failed), (2, 2), "{connect:?}");
    let warnings = report.warnings.join("\n");
    assert!(warnings.contains("malformed"), "{warnings}");
    server.join().unwrap();
}
