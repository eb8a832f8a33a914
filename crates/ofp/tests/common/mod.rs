//! Helpers shared by the integration tests that talk to Open vSwitch: finding `ovs-ofctl`,
//! hex, golden files, and an OpenFlow frame reader for blocking sockets.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]
// The codec is pure (clippy.toml forbids files, clocks and sockets in it); these tests are the
// place where it meets the outside world.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use sluice_ofp::{Header, Message, frame_len};

/// What to install when Open vSwitch is missing.
pub const INSTALL_HINT: &str = "this test needs Open vSwitch (ovs-ofctl, ovs-vsctl, ovs-vswitchd): \
     install it with `apt-get install openvswitch-switch` (the project's test script does this and \
     starts it in userspace mode with `/usr/share/openvswitch/scripts/ovs-ctl start \
     --system-id=random --no-monitor`)";

/// Panics with [`INSTALL_HINT`] unless `ovs-ofctl` runs.
pub fn require_ovs_ofctl() {
    match Command::new("ovs-ofctl").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`ovs-ofctl --version` failed ({}): {}\n{INSTALL_HINT}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("cannot run `ovs-ofctl`: {e}\n{INSTALL_HINT}"),
    }
}

/// Lower-case hex, no separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex, ignoring whitespace and `|` separators (so goldens can be laid out by field).
pub fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'|')
        .collect();
    assert!(
        digits.len().is_multiple_of(2),
        "odd number of hex digits in {s:?}"
    );
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).unwrap();
            u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {s:?}"))
        })
        .collect()
}

/// Runs `ovs-ofctl ofp-print HEX` and returns what it prints (stdout, then any stderr).
pub fn ofp_print(bytes: &[u8]) -> String {
    let out = Command::new("ovs-ofctl")
        .args(["ofp-print", &hex(bytes)])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ovs-ofctl`: {e}\n{INSTALL_HINT}"));
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        s.push_str("[stderr] ");
        s.push_str(strip_log_stamp(line));
        s.push('\n');
    }
    if !out.status.success() {
        s.push_str(&format!("[exit] {}\n", out.status));
    }
    s
}

/// `2026-01-01T00:00:00Z|00001|module|LEVEL|text` → `module|LEVEL|text`, so OVS log lines on
/// stderr are stable.
fn strip_log_stamp(line: &str) -> &str {
    let mut parts = line.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(stamp), Some(seq), Some(rest))
            if stamp.ends_with('Z') && seq.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => line,
    }
}

/// Where golden files live: `crates/ofp/tests/<sub>`.
pub fn golden_dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub)
}

/// Whether this run rewrites golden files (`SLUICE_UPDATE_GOLDEN=1`) instead of comparing.
pub fn updating_golden() -> bool {
    std::env::var_os("SLUICE_UPDATE_GOLDEN").is_some_and(|v| v != "0" && !v.is_empty())
}

/// Compares `actual` with the golden file at `path`, or rewrites it when updating. Returns a
/// description of the difference instead of panicking, so a test can report every mismatch.
pub fn check_golden(path: &std::path::Path, actual: &str) -> Result<(), String> {
    if updating_golden() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, actual).unwrap();
        return Ok(());
    }
    let want = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (run with SLUICE_UPDATE_GOLDEN=1 to create it, then review it)",
            path.display()
        )
    })?;
    if want == actual {
        Ok(())
    } else {
        Err(format!(
            "{} differs (rerun with SLUICE_UPDATE_GOLDEN=1 and review the diff):\n{}",
            path.display(),
            pretty_assertions::StrComparison::new(&want, actual)
        ))
    }
}

/// Reads one whole OpenFlow frame from a blocking stream, or `None` at end of stream.
pub fn read_frame(s: &mut impl Read) -> std::io::Result<Option<Bytes>> {
    let mut buf = vec![0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = s.read(&mut buf[got..])?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got += n;
    }
    let len = match frame_len(&buf) {
        Ok(Some(n)) => n,
        Ok(None) => usize::from(u16::from_be_bytes([buf[2], buf[3]])),
        Err(e) => return Err(std::io::Error::other(e.to_string())),
    };
    buf.resize(len, 0);
    s.read_exact(&mut buf[8..])?;
    Ok(Some(Bytes::from(buf)))
}

/// Decodes a frame, panicking with its hex on failure.
pub fn decode(frame: &Bytes) -> (Header, Message) {
    Message::decode(frame.clone()).unwrap_or_else(|e| panic!("cannot decode {}: {e}", hex(frame)))
}

/// Checks that re-encoding a decoded frame gives the same bytes back.
pub fn assert_reencodes(frame: &Bytes) {
    let (h, m) = decode(frame);
    let again = m.to_bytes(h.xid).unwrap();
    assert_eq!(
        hex(&again),
        hex(frame),
        "re-encoding {m} does not give the bytes back"
    );
}
