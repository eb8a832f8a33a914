//! `sluice bench` against `sluice run`, as a user runs it: a smoke run of each mode that
//! checks the counts, not the speed (benchmarks are not timed tests). Every packet-in must be
//! answered with exactly the two flows of a new host, and every switch programmed.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use serde_json::Value;

/// Runs `sluice bench MODE ARGS... --json` with sluice itself as the controller under test.
fn bench(mode: &str, args: &[&str]) -> Value {
    let sluice = env!("CARGO_BIN_EXE_sluice");
    let cmd = format!("{sluice} run --config {{config}} --listen {{addr}}");
    let out = Command::new(sluice)
        .args(["bench", mode, "--json", "--quiet", "--settle", "0.3"])
        .args(["--controller-cmd", &cmd])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// Every switch handshaken and programmed, each with the same flows.
fn assert_programmed(report: &Value, switches: u64) {
    let c = &report["connect"];
    assert_eq!(u(&c["switches"]), switches, "{c}");
    assert_eq!(u(&c["handshaken"]), switches, "{c}");
    assert_eq!(u(&c["programmed"]), switches, "{c}");
    assert_eq!(u(&c["failed"]), 0, "{c}");
    let (fewest, most) = (
        u(&c["flow_mods_per_switch"][0]),
        u(&c["flow_mods_per_switch"][1]),
    );
    assert!(fewest > 0 && fewest == most, "{c}");
    assert!(c["all_programmed_s"].is_f64(), "{c}");
}

#[test]
fn learn_answers_every_packet_in_with_two_flows() {
    let r = bench(
        "learn",
        &[
            "--dps",
            "2",
            "--ports",
            "4",
            "--vlans",
            "2",
            "--hosts",
            "3000",
            "--window",
            "64",
            "--half-load",
            "--floor",
        ],
    );
    assert_programmed(&r, 2);
    let runs = r["learn"].as_array().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "a saturated run, then one at half its rate: {r}"
    );
    // The floor: the same two runs against `sluice reflect`, which must answer as fully.
    let floor = r["floor"].as_array().unwrap();
    assert_eq!(floor.len(), 2, "{r}");
    for (run, floor) in runs.iter().zip(floor) {
        assert_eq!(run["load"], floor["load"], "{r}");
        assert_eq!(run["target_rate"], floor["target_rate"], "{r}");
    }
    for run in runs.iter().chain(floor) {
        assert_eq!(u(&run["packet_ins"]), 3000, "{run}");
        assert_eq!(u(&run["learned"]), 3000, "{run}");
        assert_eq!(u(&run["lost"]), 0, "{run}");
        assert_eq!(u(&run["stray"]), 0, "{run}");
        assert_eq!(u(&run["flow_mods"]), 6000, "{run}");
        assert_eq!(u(&run["latency"]["count"]), 3000, "{run}");
        // A flow mod reaches the switch's socket before the switch reads it.
        assert_eq!(u(&run["latency_read"]["count"]), 3000, "{run}");
        for p in ["p50_us", "p99_us", "max_us"] {
            let (arrived, read) = (&run["latency"][p], &run["latency_read"][p]);
            assert!(arrived.as_f64() <= read.as_f64(), "{p}: {run}");
        }
        assert!(run["hosts_per_s"].as_f64().unwrap() > 0.0, "{run}");
        let steal = run["cpu"]["steal"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&steal), "{run}");
    }
    assert_eq!(runs[1]["load"], "paced");
    // A busy host may take CPU time from this machine meanwhile: said, but not a failure.
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().unwrap().contains("(steal)")),
        "{r}"
    );
}

#[test]
fn connect_and_scale_program_every_switch_and_hold_it() {
    let r = bench("scale", &["--dps", "20", "--ports", "8", "--hold", "0.5"]);
    assert_programmed(&r, 20);
    let s = &r["scale"];
    assert_eq!(u(&s["connected"]), 20, "{s}");
    assert!(u(&s["rss"]) > 0, "{s}");
    assert!(u(&r["controller"]["idle_rss"]) > 0, "{r}");
}

#[test]
fn reload_reports_what_the_controller_did_after_sighup() {
    let r = bench(
        "reload",
        &["--dps", "3", "--ports", "4", "--reload-timeout", "3"],
    );
    assert_programmed(&r, 3);
    let reload = &r["reload"];
    assert_eq!(u(&reload["switches"]), 3, "{reload}");
    if reload["reloaded"].as_bool().unwrap() {
        // The variant moves a port of every DP to a new VLAN: every switch changes.
        assert_eq!(u(&reload["switches_changed"]), 3, "{reload}");
        assert!(reload["last_mod_s"].is_f64(), "{reload}");
    } else {
        let outcome = reload["outcome"].as_str().unwrap();
        assert!(
            outcome.contains("did not reload") || outcome.contains("does not reload"),
            "{outcome}"
        );
    }
}
