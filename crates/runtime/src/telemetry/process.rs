//! The `process_*` metrics every Prometheus client library exports (FAUCET's included), read
//! from Linux's `/proc/self`. Anything that cannot be read is left out.

use std::fs;

/// Linux reports CPU times in `/proc` in units of USER_HZ, which is 100 on every
/// architecture Linux supports (it is part of the user-space ABI).
const USER_HZ: f64 = 100.0;

/// The process's resource use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessStats {
    /// User plus system CPU time, in seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident memory, in bytes.
    pub resident_bytes: Option<u64>,
    /// Virtual memory, in bytes.
    pub virtual_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
    /// The soft limit on open file descriptors.
    pub max_fds: Option<u64>,
}

impl ProcessStats {
    /// Reads the current process's figures.
    pub fn read() -> ProcessStats {
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map(|k| k * 1024)
        };
        ProcessStats {
            cpu_seconds: fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|s| cpu_seconds(&s)),
            resident_bytes: kb("VmRSS:"),
            virtual_bytes: kb("VmSize:"),
            open_fds: fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64),
            max_fds: fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|s| max_fds(&s)),
        }
    }
}

/// utime + stime from `/proc/self/stat` (fields 14 and 15, counted after the command name,
/// which is in parentheses and may itself contain spaces).
fn cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The soft "Max open files" limit from `/proc/self/limits`.
fn max_fds(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "1234 (sluice (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
        let limits = "Limit Soft Limit Hard Limit Units\nMax open files            1024                 524288               files\n";
        assert_eq!(max_fds(limits), Some(1024));
        let now = ProcessStats::read();
        assert!(now.resident_bytes.is_some_and(|b| b > 0));
        assert!(now.open_fds.is_some_and(|n| n > 0));
    }
}
