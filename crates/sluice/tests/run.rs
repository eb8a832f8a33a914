//! `sluice run` as a user runs it: the binary accepts a real Open vSwitch bridge, which
//! reports the controller connected, and SIGTERM stops it cleanly.
//!
//! Needs root and Open vSwitch (`scripts/test` installs and starts it).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use sluice_lab::{Bridge, Prefix, run};

#[test]
fn sluice_run_accepts_an_ovs_bridge_and_stops_on_sigterm() {
    // A free loopback port (the tiny race with another process taking it is acceptable here).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });

    let prefix = Prefix::new();
    let br = Bridge::create(&prefix.name("br"), 0x51ce).unwrap();
    br.set_controller(&format!("tcp:127.0.0.1:{port}")).unwrap();
    let connected = br.wait_connected(Duration::from_secs(15));
    drop(br);

    run("kill", &["-TERM", &child.id().to_string()]).unwrap();
    let status = child.wait().unwrap();
    let log = lines.join().unwrap().join("\n");
    connected.unwrap_or_else(|e| panic!("{e}\nsluice's log:\n{log}"));
    assert!(status.success(), "exit status {status}\n{log}");
    assert!(log.contains("DP 0x51ce connected"), "{log}");
    assert!(log.contains("shutting down"), "{log}");
}
