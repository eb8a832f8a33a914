//! A lab (real Open vSwitch, namespace hosts) with the controller running in-process, for
//! the tests that check what a user of `sluice lab` sees: [`start`] builds it and waits for
//! every DP, [`Running::wait_for`] follows the controller's notifications, [`Capture`] runs
//! `tcpdump` inside a host.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_lab::{Host, Lab};
use sluice_runtime::{Notification, Options, Server};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::{broadcast, oneshot};

/// A lab with its controller running in-process.
pub struct Running {
    // Field order is drop order: the lab goes first, while the controller still runs.
    pub lab: Lab,
    pub notes: broadcast::Receiver<Notification>,
    /// The OVS controller target the bridges point at (`tcp:127.0.0.1:<port>`).
    pub target: String,
    pub _stop: oneshot::Sender<()>,
    pub rt: Runtime,
}

/// Fails the test, clearly, where the lab cannot run.
pub fn preflight() {
    if let Err(e) = sluice_lab::preflight() {
        panic!("this test needs root and Open vSwitch (run scripts/test as root): {e}");
    }
}

/// Starts a controller for `yaml`, builds its lab, and waits until every DP is programmed.
pub fn start(yaml: &str) -> Running {
    preflight();
    let config = sluice_config::load_str(yaml).unwrap().config;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::with_config(Options::default(), config.clone(), 7);
    let notes = server.subscribe();
    let (stop, stopped) = oneshot::channel::<()>();
    rt.spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    let target = format!("tcp:{addr}");
    let lab = Lab::build(&config, &target).unwrap();
    let mut r = Running {
        lab,
        notes,
        target,
        _stop: stop,
        rt,
    };
    let mut waiting: Vec<u64> = config.dps.keys().map(|d| d.0).collect();
    while !waiting.is_empty() {
        let up = r.wait_for(
            "every DP to be up",
            |n| matches!(n, Notification::DpRunning { dp_id, .. } if waiting.contains(dp_id)),
        );
        if let Notification::DpRunning { dp_id, .. } = up {
            waiting.retain(|d| *d != dp_id);
        }
    }
    r
}

impl Running {
    /// The next notification that satisfies `pred` (within 15 s).
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Notification) -> bool) -> Notification {
        self.wait_for_within(what, Duration::from_secs(15), pred)
    }

    /// The next notification that satisfies `pred`, within `timeout`.
    pub fn wait_for_within(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Notification) -> bool,
    ) -> Notification {
        let notes = &mut self.notes;
        self.rt.block_on(async {
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                match tokio::time::timeout_at(deadline, notes.recv()).await {
                    Ok(Ok(n)) if pred(&n) => return n,
                    Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                    Ok(Err(e)) => panic!("notifications ended while waiting for {what}: {e}"),
                    Err(_) => panic!("timed out waiting for {what}"),
                }
            }
        })
    }
}

/// Retries `f` until it holds, for up to 10 s (OVS and the controller work asynchronously).
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `tcpdump` inside a host, collecting the lines it prints.
pub struct Capture {
    child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Capture {
    /// Starts capturing frames to `mac` on `iface` and returns once tcpdump is listening.
    pub fn start(host: &Host, iface: &str, mac: &str) -> Capture {
        Capture::filtered(host, iface, &["ether", "dst", mac])
    }

    /// Starts capturing frames that match the tcpdump `filter` (one word per element) on
    /// `iface` and returns once tcpdump is listening.
    pub fn filtered(host: &Host, iface: &str, filter: &[&str]) -> Capture {
        let mut args = vec!["tcpdump", "-n", "-e", "-l", "-i", iface];
        args.extend_from_slice(filter);
        Capture::spawn(host.command(&args))
    }

    /// As [`Capture::filtered`], on an interface of the test's own namespace (such as the
    /// far end of a lab port with nothing behind it).
    pub fn here(iface: &str, filter: &[&str]) -> Capture {
        let mut cmd = Command::new("tcpdump");
        cmd.args(["-n", "-e", "-l", "-i", iface]).args(filter);
        Capture::spawn(cmd)
    }

    /// As [`Capture::filtered`], inside the network namespace `netns`.
    pub fn in_netns(netns: &str, iface: &str, filter: &[&str]) -> Capture {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns", "exec", netns, "tcpdump", "-n", "-e", "-l", "-i", iface,
        ])
        .args(filter);
        Capture::spawn(cmd)
    }

    /// Runs a tcpdump command and returns once it is listening.
    fn spawn(mut cmd: Command) -> Capture {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("listening on") {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "tcpdump ended early"
            );
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let sink = lines.clone();
        std::thread::spawn(move || {
            for l in out.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(l);
            }
        });
        Capture { child, lines }
    }

    pub fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // Only the process this capture started, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
