//! The controller under test as a process: started from `--controller-cmd`, signalled and
//! stopped by its PID; and what /proc says about it (resident memory, CPU time) and about the
//! machine (load average).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A controller the run started. Dropping it stops it.
#[derive(Debug)]
pub struct ControllerProcess {
    child: Child,
    log: PathBuf,
    stopped: bool,
}

impl ControllerProcess {
    /// Starts `command` with `sh -c "exec COMMAND"` (so the PID is the controller's own, not a
    /// shell's), its output going to `log`.
    ///
    /// # Errors
    /// The log cannot be created or the shell cannot be started.
    pub fn start(command: &str, log: &Path) -> Result<Self, String> {
        let out = File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("creating {}: {e}", log.display()))?;
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {command}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting `{command}`: {e}"))?;
        Ok(ControllerProcess {
            child,
            log: log.to_path_buf(),
            stopped: false,
        })
    }

    /// The controller's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running; if not, how it ended.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// Waits until the controller accepts TCP connections on `addr`.
    ///
    /// # Errors
    /// It exited first, or did not listen within `timeout`; the error ends with its log.
    pub fn wait_listening(&mut self, addr: SocketAddr, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "the controller exited ({status}) before listening on {addr}\n{}",
                    self.log_tail(20)
                ));
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the controller did not listen on {addr} within {timeout:?}\n{}",
                    self.log_tail(20)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last `lines` lines of the controller's output.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }

    /// Where its output goes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Stops it: SIGTERM, then SIGKILL if it has not exited within 5 s.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.exited().is_some() {
            return;
        }
        let _ = signal(self.pid(), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ControllerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `sig` to process `pid`.
///
/// # Errors
/// The process does not exist or may not be signalled.
pub fn signal(pid: u32, sig: Signal) -> Result<(), String> {
    let raw = i32::try_from(pid).map_err(|_| format!("PID {pid} is out of range"))?;
    kill(Pid::from_raw(raw), sig).map_err(|e| format!("sending {sig} to {pid}: {e}"))
}

/// The last `lines` lines of a file (at most its last 64 KiB).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut text = String::new();
    let _ = f.read_to_string(&mut text);
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join("\n");
    format!("--- last lines of {} ---\n{tail}", path.display())
}

/// Resident memory of process `pid`, in bytes (`VmRSS` in /proc/PID/status).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time process `pid` has used so far, in nanoseconds: the sum of its threads' run time
/// in /proc/PID/task/*/schedstat (threads that have exited are not counted).
pub fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    let mut any = false;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        if let Some(ns) = text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
        {
            total += ns;
            any = true;
        }
    }
    any.then_some(total)
}

/// CPU time this process has used so far (user + system, every thread), in nanoseconds.
pub fn own_cpu_ns() -> u64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0, |u| {
        let tv = |t: nix::sys::time::TimeVal| {
            u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
                + u64::try_from(t.tv_usec()).unwrap_or(0) * 1_000
        };
        tv(u.user_time()) + tv(u.system_time())
    })
}

/// The machine's CPU time so far, from the first line of /proc/stat, in clock ticks: the
/// time the hypervisor gave to others while this machine wanted to run (steal), and the
/// total over every state.
pub fn machine_ticks() -> Option<Ticks> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine_ticks(text.lines().next()?)
}

/// CPU time of the whole machine, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticks {
    /// Taken by the hypervisor for other guests.
    pub steal: u64,
    /// Every state (user, nice, system, idle, iowait, irq, softirq, steal).
    pub total: u64,
}

/// Reads /proc/stat's `cpu` line.
fn parse_machine_ticks(line: &str) -> Option<Ticks> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    (v.len() == 8).then(|| Ticks {
        steal: v[7],
        total: v.iter().sum(),
    })
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// Raises this process's open-file limit to its hard limit (thousands of emulated switches
/// need as many sockets); returns the limit in force.
pub fn raise_fd_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

/// A free TCP port on 127.0.0.1 (bound and released; another process could take it first,
/// which the controller's start would then report).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local address: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_its_own_process() {
        let me = std::process::id();
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(cpu_ns(me).unwrap() > 0);
        assert!(own_cpu_ns() > 0);
        assert!(loadavg().is_some());
        assert!(machine_ticks().unwrap().total > 0);
        assert!(raise_fd_limit().unwrap() >= 256);
    }

    #[test]
    fn reads_steal_from_the_cpu_line() {
        let t = parse_machine_ticks("cpu  5365276 666240 672291 3882284 13678 0 13728 31108 0 0")
            .unwrap();
        assert_eq!(t.steal, 31108);
        assert_eq!(
            t.total,
            5365276 + 666240 + 672291 + 3882284 + 13678 + 13728 + 31108
        );
        assert_eq!(parse_machine_ticks("cpu0 1 2 3 4 5 6 7 8 0 0"), None);
        assert_eq!(parse_machine_ticks("cpu 1 2 3"), None);
    }

    #[test]
    fn starts_signals_and_stops_a_process_by_pid() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("out.log");
        let mut p = ControllerProcess::start("sleep 30", &log).unwrap();
        assert!(p.exited().is_none());
        // `exec` makes the PID the command's own (once the shell has run it).
        let comm = || std::fs::read_to_string(format!("/proc/{}/comm", p.pid())).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while comm().trim() != "sleep" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(comm().trim(), "sleep");
        p.stop();
        assert!(p.exited().is_some());

        let mut q = ControllerProcess::start("echo hello; exit 3", &log).unwrap();
        let err = q
            .wait_listening("127.0.0.1:1".parse().unwrap(), Duration::from_secs(5))
            .unwrap_err();
        assert!(err.contains("exited") && err.contains("hello"), "{err}");
    }
}
