//! `sluice check` as a user runs it: a good file gives a summary and exit 0, a bad one every
//! error with file:line:col and exit 1, FAUCET_CONFIG is honoured, and `--expand` prints the
//! resolved configuration.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn sluice(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(args).env_remove("FAUCET_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/faucet.yaml")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_valid_config_gives_a_summary() {
    let out = sluice(&["check", &example()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("OK, 1 DP, 4 ports, 2 VLANs"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn every_error_is_reported_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("faucet.yaml");
    std::fs::write(
        &bad,
        "vlans:\n  office: {vid: 100}\ndps:\n  sw1:\n    dp_id: 1\n    interfaces:\n      1: {native_vlan: offce}\n      2: {native_vlan: office, max_hosts: lots}\n",
    )
    .unwrap();
    let out = sluice(&["check", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("faucet.yaml:7:24: dps.sw1.interfaces.1.native_vlan"),
        "{err}"
    );
    assert!(err.contains("did you mean \"office\""), "{err}");
    assert!(
        err.contains("faucet.yaml:8:") && err.contains("max_hosts"),
        "both errors are reported: {err}"
    );
}

#[test]
fn faucet_config_names_the_file_when_none_is_given() {
    let list = format!("/nonexistent/faucet.yaml:{}", example());
    let out = sluice(&["check"], &[("FAUCET_CONFIG", &list)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("OK"));
}

#[test]
fn expand_prints_the_resolved_config() {
    let out = sluice(&["check", "--expand", &example()], &[]);
    assert!(out.status.success());
    let yaml = text(&out.stdout);
    // Defaults FAUCET fills in appear, resolved.
    assert!(
        yaml.contains("cookie") && yaml.contains("learn_jitter"),
        "{yaml}"
    );
}

#[test]
fn an_acl_rule_that_can_never_match_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faucet.yaml");
    std::fs::write(
        &path,
        "acls:\n  a:\n    - rule: {dl_type: 0x806, tcp_dst: 80, actions: {allow: 0}}\n    - rule: {actions: {allow: 1}}\nvlans:\n  office: {vid: 100}\ndps:\n  sw1:\n    dp_id: 1\n    interfaces:\n      1: {native_vlan: office, acls_in: [a]}\n",
    )
    .unwrap();
    let out = sluice(&["check", path.to_str().unwrap()], &[]);
    // FAUCET accepts it (the switch then refuses the rule's flow): valid, with a warning.
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("rule 1 of ACL a can never match") && err.contains("eth_type"),
        "{err}"
    );
}
