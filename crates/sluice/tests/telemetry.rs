//! What a user of `sluice run`'s telemetry sees on real Open vSwitch after real traffic:
//! the FAUCET metrics count the hosts that talked, the built-in Gauge's port counters rise
//! with the traffic, an event socket client gets FAUCET's L2_LEARN for every host and
//! PORT_CHANGE (then L2_EXPIRE) when a port goes down, and `sluice show` lists the hosts
//! and ports.
//!
//! Runs the `sluice` binary as a user would, with every endpoint on a port of its own
//! (`127.0.0.1:0`; the log says which). Needs root and Open vSwitch (`scripts/test` installs
//! and starts it); without them the test fails saying so.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_lab::{Lab, run};

const CONFIG: &str = "
vlans:
  office: {vid: 100}
dps:
  tsw:
    dp_id: 0x7e1
    interfaces:
      1: {name: h1, native_vlan: office}
      2: {name: h2, description: second host, native_vlan: office}
      3: {name: h3, native_vlan: office}
";

const GAUGE: &str = "
faucet_configs: [faucet.yaml]
watchers:
  states: {type: port_state, all_dps: true, db: prom}
  stats: {type: port_stats, all_dps: true, interval: 1, dbs: [prom, log]}
dbs:
  prom: {type: prometheus, prometheus_addr: 127.0.0.1, prometheus_port: 0}
  log: {type: text, file: gauge.log}
";

/// Lines read in the background (the controller's log, the event stream).
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn follow(self, input: impl std::io::Read + Send + 'static) -> Self {
        let lines = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(input).lines().map_while(Result::ok) {
                lines.0.lock().unwrap().push(line);
            }
        });
        self
    }

    fn all(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }

    /// The first line containing `needle`, waiting up to 15 s for it.
    fn wait_for(&self, needle: &str) -> String {
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(l) = self.0.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(
                Instant::now() < until,
                "no line with {needle:?} in:\n{}",
                self.all()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The running controller; stopped (SIGTERM, by its pid) when dropped.
struct Sluice {
    child: Child,
    log: Lines,
}

impl Drop for Sluice {
    fn drop(&mut self) {
        let _ = run("kill", &["-TERM", &self.child.id().to_string()]);
        let _ = self.child.wait();
    }
}

impl Sluice {
    /// The address the log says an endpoint is served on ("... on 127.0.0.1:PORT").
    fn addr(&self, what: &str) -> String {
        let line = self.log.wait_for(what);
        line.rsplit(' ').next().unwrap().to_string()
    }
}

fn get(addr: &str, path: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = rt.block_on(sluice_runtime::http::get(addr, path)).unwrap();
    assert_eq!(status, 200, "{addr}{path}");
    String::from_utf8(body).unwrap()
}

/// The value of the sample whose line starts with `prefix` (a name and labels), if any.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Retries `f` until it returns something, for up to 15 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `sluice` with `args` in `dir`, following its log.
fn spawn(dir: &Path, args: &[&str]) -> Sluice {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir)
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let log = Lines::default().follow(child.stdout.take().unwrap());
    Sluice { child, log }
}

/// Waits until FAUCET's metrics at `metrics` say the test's DP is up.
fn wait_programmed(metrics: &str) {
    eventually("the DP to be programmed", || {
        sample(
            &get(metrics, "/"),
            "dp_status{dp_id=\"0x7e1\",dp_name=\"tsw\"} 1",
        )
        .map(|_| ())
    });
}

fn start(dir: &Path) -> Sluice {
    let config = dir.join("faucet.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    std::fs::write(dir.join("gauge.yaml"), GAUGE).unwrap();
    spawn(
        dir,
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--prometheus",
            "127.0.0.1:0",
            "--api",
            "127.0.0.1:0",
            "--event-sock",
            dir.join("events.sock").to_str().unwrap(),
            "--gauge-config",
            dir.join("gauge.yaml").to_str().unwrap(),
        ],
    )
}

#[test]
fn metrics_events_and_show_after_real_traffic() {
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let sluice = start(dir.path());
    let of = sluice.addr("accepting OpenFlow connections on");
    let metrics = sluice.addr("serving Prometheus metrics on");
    let gauge = sluice.addr("serving Gauge's Prometheus metrics on");
    let api = sluice.addr("serving the JSON API on");
    sluice.log.wait_for("serving FAUCET's event stream");
    let events =
        Lines::default().follow(UnixStream::connect(dir.path().join("events.sock")).unwrap());

    let config = sluice_config::load_str(CONFIG).unwrap().config;
    let lab = Lab::build(&config, &format!("tcp:{of}")).unwrap();
    wait_programmed(&metrics);
    let hosts: Vec<_> = (1..=3)
        .map(|p| lab.endpoint(0x7e1, p, 100).unwrap().clone())
        .collect();
    let h1 = lab.host(0x7e1, 1).unwrap();
    for h in &hosts[1..] {
        assert!(
            h1.ping(h.addr, 2, Duration::from_secs(2)),
            "h1 reaches {}",
            h.label
        );
    }

    // FAUCET's metrics: three hosts learned on VLAN 100, each on its port.
    let scrape = eventually("three hosts in the scrape", || {
        let text = get(&metrics, "/metrics");
        let n = sample(
            &text,
            "vlan_hosts_learned{dp_id=\"0x7e1\",dp_name=\"tsw\",vlan=\"100\"}",
        )?;
        (n == 3.0).then_some(text)
    });
    for (h, port) in hosts.iter().zip(1..) {
        let line = format!(
            "learned_l2_port{{dp_id=\"0x7e1\",dp_name=\"tsw\",eth_src=\"{}\",vid=\"100\"}}",
            h.mac
        );
        assert_eq!(
            sample(&scrape, &line),
            Some(f64::from(port)),
            "{line}\n{scrape}"
        );
    }
    assert_eq!(
        sample(
            &scrape,
            "port_vlan_hosts_learned{dp_id=\"0x7e1\",dp_name=\"tsw\",port=\"h2\",port_description=\"second host\",vlan=\"100\"}"
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &scrape,
            "of_packet_ins_total{dp_id=\"0x7e1\",dp_name=\"tsw\"}"
        )
        .unwrap()
            >= 3.0
    );

    // Gauge's port counters rise with traffic.
    let rx = |text: &str| {
        sample(
            text,
            "of_port_rx_packets{dp_id=\"0x7e1\",dp_name=\"tsw\",port=\"h1\",port_description=\"h1\"}",
        )
    };
    let before = eventually("h1's port counters", || rx(&get(&gauge, "/")));
    assert!(h1.ping(hosts[1].addr, 5, Duration::from_secs(2)));
    let after = eventually("h1's counters to rise", || {
        rx(&get(&gauge, "/")).filter(|n| *n >= before + 5.0)
    });
    assert!(after >= before + 5.0);
    let log = std::fs::read_to_string(dir.path().join("gauge.log")).unwrap();
    assert!(log.contains("\ttsw-h1-packets-in\t"), "{log}");

    // The event stream: L2_LEARN for every host.
    for h in &hosts {
        let line = events.wait_for(&format!("\"eth_src\": \"{}\"", h.mac));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["dp_name"], "tsw");
        assert_eq!(v["L2_LEARN"]["vid"], 100);
        assert_eq!(v["L2_LEARN"]["port_no"], h.port);
    }

    // `sluice show hosts` and `sluice show ports` list them.
    let show = |what: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["show", what, "--api", &api])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = show("hosts");
    for h in &hosts {
        let row = table
            .lines()
            .find(|l| l.contains(&h.mac.to_string()))
            .unwrap_or_else(|| panic!("{} not listed:\n{table}", h.mac));
        assert!(row.starts_with("tsw "), "{row}");
        assert!(
            row.contains(&format!(" {} ({})", h.port, h.port_name)),
            "{row}"
        );
    }
    let dps = show("dps");
    assert!(
        dps.lines()
            .any(|l| l.starts_with("tsw ") && l.contains(" 0x7e1 ") && l.contains(" running ")),
        "{dps}"
    );
    let stack = show("stack");
    assert!(stack.contains("no stack ports are configured"), "{stack}");
    let flows = show("flows");
    assert!(
        flows.contains("table 0 (vlan):") && flows.contains("learned hosts (3:"),
        "{flows}"
    );
    let api_ports: serde_json::Value = serde_json::from_str(&get(&api, "/api/ports")).unwrap();
    let h1_port = api_ports["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "h1")
        .unwrap();
    assert!(
        h1_port["counters"]["rx_packets"].as_u64().unwrap() > 0,
        "{h1_port}"
    );
    let ports = show("ports");
    assert!(
        ports
            .lines()
            .any(|l| l.contains("second host") && l.contains(" up ")),
        "{ports}"
    );

    // A port going down: PORT_CHANGE, then its host expires.
    let iface = lab.port_iface(0x7e1, 3).unwrap();
    run("ip", &["link", "set", iface, "down"]).unwrap();
    let change = events.wait_for("\"PORT_CHANGE\": {\"port_no\": 3, \"reason\": \"MODIFY\"");
    eventually("port 3 reported down", || {
        events
            .all()
            .lines()
            .find(|l| l.contains("\"port_no\": 3") && l.contains("\"status\": false"))
            .map(|_| ())
    });
    assert!(change.contains("\"dp_id\": 2017"), "{change}");
    events.wait_for(&format!(
        "\"L2_EXPIRE\": {{\"port_no\": 3, \"vid\": 100, \"eth_src\": \"{}\"",
        hosts[2].mac
    ));
    eventually("port_status 0 for h3", || {
        sample(
            &get(&metrics, "/"),
            "port_status{dp_id=\"0x7e1\",dp_name=\"tsw\",port=\"h3\",port_description=\"h3\"} 0",
        )
        .map(|_| ())
    });
    drop(lab);
}

#[test]
fn gauge_as_a_second_controller_beside_the_first() {
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("faucet.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    std::fs::write(dir.path().join("gauge.yaml"), GAUGE).unwrap();
    let controller = spawn(
        dir.path(),
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--prometheus",
            "127.0.0.1:0",
            "--api",
            "off",
        ],
    );
    let gauge = spawn(
        dir.path(),
        &["gauge", "--config", "gauge.yaml", "--listen", "127.0.0.1:0"],
    );
    let of = controller.addr("accepting OpenFlow connections on");
    let metrics = controller.addr("serving Prometheus metrics on");
    let gauge_of = gauge.addr("gauge: accepting OpenFlow connections on");
    let gauge_metrics = gauge.addr("serving Gauge's Prometheus metrics on");

    let parsed = sluice_config::load_str(CONFIG).unwrap().config;
    let lab = Lab::build(&parsed, &format!("tcp:{of}")).unwrap();
    let br = lab.bridge(0x7e1).unwrap();
    run(
        "ovs-vsctl",
        &[
            "set-controller",
            br.name(),
            &format!("tcp:{of}"),
            &format!("tcp:{gauge_of}"),
        ],
    )
    .unwrap();
    wait_programmed(&metrics);
    let h1 = lab.host(0x7e1, 1).unwrap();
    let h2 = lab.endpoint(0x7e1, 2, 100).unwrap();
    assert!(
        h1.ping(h2.addr, 3, Duration::from_secs(2)),
        "h1 reaches h2 with Gauge connected"
    );

    // Gauge names the DP and ports from the FAUCET configuration and counts the traffic.
    let text = eventually("Gauge's port counters", || {
        let text = get(&gauge_metrics, "/");
        let n = sample(
            &text,
            "of_port_tx_packets{dp_id=\"0x7e1\",dp_name=\"tsw\",port=\"h2\",port_description=\"second host\"}",
        )?;
        (n >= 3.0).then_some(text)
    });
    assert_eq!(
        sample(&text, "dp_status{dp_id=\"0x7e1\",dp_name=\"tsw\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "of_port_state{dp_id=\"0x7e1\",dp_name=\"tsw\",port=\"h1\",port_description=\"h1\"}"
        ),
        Some(4.0),
        "h1 live"
    );
    // The second controller takes no packet-ins and programs nothing: the first learned
    // both hosts, and the flows are the first controller's alone.
    let faucet = get(&metrics, "/");
    assert_eq!(
        sample(
            &faucet,
            "vlan_hosts_learned{dp_id=\"0x7e1\",dp_name=\"tsw\",vlan=\"100\"}"
        ),
        Some(2.0)
    );
    drop(lab);
}
