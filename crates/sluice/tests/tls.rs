//! OpenFlow over TLS with real Open vSwitch: `sluice run --ctl-privkey --ctl-cert --ca-certs`
//! programs a bridge whose certificate the CA signed, and refuses one whose certificate
//! another CA signed.
//!
//! Needs root, Open vSwitch and the `openssl` command. Open vSwitch has one SSL setting for
//! all its bridges; this test sets it and puts back what was there (bridges of other tests use
//! `tcp:` targets, which it does not affect).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Sluice, free_port};
use sluice_lab::{Bridge, Prefix, run};

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA called `name` (`name.key`, `name.pem`).
fn ca(dir: &Path, name: &str) {
    let (key, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN={name}"),
    );
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", &key, "-out",
            &pem, "-subj", &subj,
        ],
    );
}

/// A certificate `name` signed by CA `by`.
fn leaf(dir: &Path, name: &str, by: &str) {
    let (key, csr, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("/CN={name}"),
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj,
        ],
    );
    let (ca_pem, ca_key) = (format!("{by}.pem"), format!("{by}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &pem,
            "-extfile",
            "leaf.ext",
        ],
    );
}

/// Open vSwitch's SSL setting while the test runs; the old one is put back on drop.
struct OvsSsl {
    old: Option<(String, String, String)>,
}

impl OvsSsl {
    fn set(dir: &Path, key: &str, cert: &str, ca: &str) {
        let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
        run("ovs-vsctl", &["del-ssl"]).unwrap();
        run("ovs-vsctl", &["set-ssl", &p(key), &p(cert), &p(ca)]).unwrap();
    }

    fn save() -> OvsSsl {
        let out = run("ovs-vsctl", &["get-ssl"]).unwrap_or_default();
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        let old = match (
            field("Private key:"),
            field("Certificate:"),
            field("CA Certificate:"),
        ) {
            (Some(k), Some(c), Some(a)) => Some((k, c, a)),
            _ => None,
        };
        OvsSsl { old }
    }
}

impl Drop for OvsSsl {
    fn drop(&mut self) {
        let _ = run("ovs-vsctl", &["del-ssl"]);
        if let Some((k, c, a)) = &self.old {
            let _ = run("ovs-vsctl", &["set-ssl", k, c, a]);
        }
    }
}

fn has_pipeline(br: &Bridge) -> bool {
    br.ofctl("dump-flows", &[])
        .unwrap_or_default()
        .contains("priority=0")
}

#[test]
fn a_switch_with_a_signed_certificate_is_programmed_and_one_without_is_refused() {
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ca(d, "ca");
    ca(d, "rogue-ca");
    leaf(d, "controller", "ca");
    leaf(d, "switch", "ca");
    leaf(d, "rogue", "rogue-ca");
    let config = d.join("faucet.yaml");
    std::fs::write(
        &config,
        "vlans: {office: {vid: 100}}\ndps:\n  a: {dp_id: 0x7151, interfaces: {1: {native_vlan: office}}}\n  b: {dp_id: 0x7152, interfaces: {1: {native_vlan: office}}}\n",
    )
    .unwrap();
    let port = free_port();
    let path = |f: &str| d.join(f).to_str().unwrap().to_string();
    let (key, cert, ca_certs) = (
        path("controller.key"),
        path("controller.pem"),
        path("ca.pem"),
    );
    let tls = [
        "--ctl-privkey",
        &key,
        "--ctl-cert",
        &cert,
        "--ca-certs",
        &ca_certs,
    ];
    let sluice = Sluice::start_with(&config, port, &tls);
    let _ssl = OvsSsl::save();
    let prefix = Prefix::new();
    let target = format!("ssl:127.0.0.1:{port}");

    // Signed by the CA: connected over TLS and programmed.
    OvsSsl::set(d, "switch.key", "switch.pem", "ca.pem");
    let good = Bridge::create(&prefix.name("ok"), 0x7151).unwrap();
    good.set_controller(&target).unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while !has_pipeline(&good) {
        assert!(
            Instant::now() < until,
            "the bridge with a signed certificate was not programmed; controller log:\n{}",
            sluice.log.lock().unwrap().join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Signed by another CA: the handshake fails and the bridge gets nothing.
    OvsSsl::set(d, "rogue.key", "rogue.pem", "ca.pem");
    let rogue = Bridge::create(&prefix.name("no"), 0x7152).unwrap();
    rogue.set_controller(&target).unwrap();
    sluice.wait_for("TLS handshake failed", 1);
    std::thread::sleep(Duration::from_secs(2));
    assert!(!rogue.is_connected().unwrap());
    assert!(!has_pipeline(&rogue), "the refused bridge was programmed");
}
