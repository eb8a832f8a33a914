//! `sluice run` as a process for the tests: started with a configuration and a listening
//! port, its log collected as it runs, signalled and killed by PID. [`lab`]: a lab with the
//! controller in-process.
#![allow(dead_code)] // each test file uses its own part

pub mod lab;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A free loopback port (the small race with another process taking it is acceptable).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends `signal` to the process `pid` (one we started).
pub fn signal(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// A `sluice run` process, its log collected as it runs; killed when dropped.
pub struct Sluice {
    pub child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Sluice {
    pub fn start(config: &Path, port: u16) -> Sluice {
        Sluice::start_with(config, port, &[])
    }

    pub fn start_with(config: &Path, port: u16, extra: &[&str]) -> Sluice {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["run", "--config", config.to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stdout, lines) = (child.stdout.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Sluice { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Log lines containing `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Waits until `n` log lines contain `needle`.
    pub fn wait_for(&self, needle: &str, n: usize) {
        let until = Instant::now() + Duration::from_secs(15);
        while self.count(needle) < n {
            assert!(
                Instant::now() < until,
                "waited for {n} log lines with {needle:?}; the log:\n{}",
                self.log.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`: no goodbye to the switch.
    pub fn kill(mut self) {
        signal(self.pid(), "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Sluice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
