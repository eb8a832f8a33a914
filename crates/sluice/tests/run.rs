//! `sluice run` as a user runs it: the binary loads its configuration, programs a real Open
//! vSwitch bridge (which reports the controller connected), and SIGTERM stops it cleanly.
//!
//! Needs root and Open vSwitch (`scripts/test` installs and starts it).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use sluice_lab::{Bridge, Prefix, run};

#[test]
fn sluice_run_programs_an_ovs_bridge_and_stops_on_sigterm() {
    // A free loopback port (the tiny race with another process taking it is acceptable here).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("faucet.yaml");
    let yaml = "vlans:\n  office: {vid: 100}\ndps:\n  sw1:\n    dp_id: 0x51ce\n    interfaces:\n      1: {native_vlan: office}\n";
    std::fs::write(&config, yaml).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            &listen,
        ])
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
    // Wait until the bridge holds the pipeline (its table-miss flows) before it goes.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !br
        .ofctl("dump-flows", &[])
        .unwrap_or_default()
        .contains("priority=0")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(br);

    run("kill", &["-TERM", &child.id().to_string()]).unwrap();
    let status = child.wait().unwrap();
    let log = lines.join().unwrap().join("\n");
    connected.unwrap_or_else(|e| panic!("{e}\nsluice's log:\n{log}"));
    assert!(status.success(), "exit status {status}\n{log}");
    assert!(log.contains("DP 0x51ce connected"), "{log}");
    assert!(
        log.contains("DP 0x51ce up"),
        "the bridge was programmed: {log}"
    );
    assert!(log.contains("shutting down"), "{log}");
}
