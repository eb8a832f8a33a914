//! Builds test networks out of real parts: userspace Open vSwitch bridges
//! (`datapath_type=netdev`, no kernel module), veth pairs, and network-namespace hosts.
//!
//! * [`Bridge`], [`Veth`], [`Host`]: the parts, each a guard;
//! * [`Lab`]: a whole network from a FAUCET configuration (a bridge per DP, a host on every
//!   VLAN port, stack cables), and its reachability [`Matrix`] — what `sluice lab` shows.
//!
//! Everything created is owned by a guard that deletes it when dropped (also while a panic
//! unwinds), so a failing test leaves nothing behind. Names come from [`Prefix`], unique per
//! process, so tests can run in parallel and never touch anything they did not make.
//!
//! Commands run in process groups of their own, so a Ctrl-C at the terminal reaches only the
//! program using this crate, which can then clean up.

mod cmd;
mod expect;
mod host;
mod matrix;
mod ovs;
mod topo;
mod veth;

pub use cmd::{CmdError, command, run, succeeds};
pub use host::{Host, HostSpec, Iface, MAX_LINK_NAME};
pub use matrix::{Matrix, Reach};
pub use ovs::{Bridge, PortSpec, ensure_ovs};
pub use topo::{Endpoint, Lab, LabError, preflight};
pub use veth::Veth;

use std::sync::atomic::{AtomicU32, Ordering};

/// A unique name prefix for the bridges and interfaces of one test or lab: `sl` + the process
/// id + a counter, short enough that every derived interface name fits Linux's 15 bytes.
#[derive(Debug, Clone)]
pub struct Prefix(String);

impl Prefix {
    /// A fresh prefix (7 to 9 characters).
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Prefix(format!(
            "sl{:x}{:x}",
            std::process::id() % 0x10000,
            n % 0x100
        ))
    }

    /// `prefix` + `suffix`; the suffix should be at most 6 characters.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.0)
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Prefix::new()
    }
}
