//! Open vSwitch bridges on the userspace datapath.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::cmd::{CmdError, run};

/// Makes sure Open vSwitch is running, starting it in userspace mode if it is not.
///
/// # Errors
/// If `ovs-vsctl` is missing or OVS cannot be started.
pub fn ensure_ovs() -> Result<(), CmdError> {
    let running = || run("ovs-vsctl", &["--timeout=5", "show"]).map(|_| ());
    if running().is_ok() {
        return Ok(());
    }
    // Tests create bridges from many threads at once: two `ovs-ctl start` together fail on
    // ovsdb-server's pid file lock. One thread starts it; the others wait, then find it up.
    static STARTING: Mutex<()> = Mutex::new(());
    let _one = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
    if running().is_ok() {
        return Ok(());
    }
    let started = run(
        "/usr/share/openvswitch/scripts/ovs-ctl",
        &["start", "--system-id=random", "--no-monitor"],
    );
    // Another process may have started it meanwhile; then its failure to start is no error.
    running().map_err(|e| started.err().unwrap_or(e))
}

/// An OVS bridge on the userspace datapath, speaking OpenFlow 1.3 only, in secure fail mode
/// (no flows means no forwarding). Deleted when dropped.
#[derive(Debug)]
pub struct Bridge {
    name: String,
}

impl Bridge {
    /// Creates bridge `name` with datapath id `dp_id`.
    ///
    /// # Errors
    /// If OVS refuses (for example, the name exists).
    pub fn create(name: &str, dp_id: u64) -> Result<Bridge, CmdError> {
        ensure_ovs()?;
        let dpid = format!("other-config:datapath-id={dp_id:016x}");
        run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "add-br",
                name,
                "--",
                "set",
                "bridge",
                name,
                "datapath_type=netdev",
                "protocols=OpenFlow13",
                "fail_mode=secure",
                &dpid,
            ],
        )?;
        Ok(Bridge {
            name: name.to_string(),
        })
    }

    /// Creates bridge `name` as a plain learning switch of its own: userspace datapath,
    /// standalone fail mode, no controller (OVS's NORMAL forwarding, with VLAN handling by
    /// each port's `tag`, `trunks` and `vlan_mode`). The lab uses these as the "NIC" of a
    /// host on a tagged port, since this kernel has no 802.1Q.
    ///
    /// # Errors
    /// If OVS refuses (for example, the name exists).
    pub fn create_standalone(name: &str) -> Result<Bridge, CmdError> {
        ensure_ovs()?;
        run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "add-br",
                name,
                "--",
                "set",
                "bridge",
                name,
                "datapath_type=netdev",
                "fail_mode=standalone",
            ],
        )?;
        Ok(Bridge {
            name: name.to_string(),
        })
    }

    /// The bridge's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Points the bridge at a controller (`tcp:127.0.0.1:6653`), retrying quickly if the
    /// connection drops (a 1 s maximum backoff instead of 8 s).
    ///
    /// # Errors
    /// If OVS refuses.
    pub fn set_controller(&self, target: &str) -> Result<(), CmdError> {
        run(
            "ovs-vsctl",
            &["--timeout=10", "set-controller", &self.name, target],
        )?;
        run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "set",
                "controller",
                &self.name,
                "max_backoff=1000",
            ],
        )
        .map(|_| ())
    }

    /// Whether OVS reports its controller connection as up.
    ///
    /// # Errors
    /// If OVS cannot be asked.
    pub fn is_connected(&self) -> Result<bool, CmdError> {
        // A Controller record can be named by its bridge.
        let out = run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "get",
                "controller",
                &self.name,
                "is_connected",
            ],
        )?;
        Ok(out.contains("true"))
    }

    /// Waits until the controller connection is up.
    ///
    /// # Errors
    /// If it is not up within `timeout`, or OVS cannot be asked.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), CmdError> {
        let until = Instant::now() + timeout;
        loop {
            if self.is_connected()? {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(CmdError::Failed {
                    cmd: format!("wait for {} to connect", self.name),
                    status: "timeout".into(),
                    stderr: format!("not connected after {timeout:?}"),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Adds interface `iface` as OpenFlow port `ofport`.
    ///
    /// # Errors
    /// If OVS refuses.
    pub fn add_port(&self, iface: &str, ofport: u32) -> Result<(), CmdError> {
        let req = format!("ofport_request={ofport}");
        run(
            "ovs-vsctl",
            &[
                "--timeout=10",
                "add-port",
                &self.name,
                iface,
                "--",
                "set",
                "interface",
                iface,
                &req,
            ],
        )
        .map(|_| ())
    }

    /// Adds several interfaces in one OVS transaction (much faster than one by one).
    ///
    /// # Errors
    /// If OVS refuses; then none is added.
    pub fn add_ports(&self, ports: &[PortSpec]) -> Result<(), CmdError> {
        if ports.is_empty() {
            return Ok(());
        }
        let mut args: Vec<String> = vec!["--timeout=10".into()];
        for p in ports {
            args.extend(["--".into(), "add-port".into(), self.name.clone()]);
            args.push(p.iface.clone());
            args.extend(p.settings.iter().cloned());
            if let Some(ofport) = p.ofport {
                args.extend([
                    "--".into(),
                    "set".into(),
                    "interface".into(),
                    p.iface.clone(),
                    format!("ofport_request={ofport}"),
                ]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run("ovs-vsctl", &args).map(|_| ())
    }

    /// The flows of one table, one `ovs-ofctl dump-flows` line each (statistics included).
    ///
    /// # Errors
    /// If `ovs-ofctl` fails.
    pub fn flows(&self, table: u8) -> Result<Vec<String>, CmdError> {
        let out = self.ofctl("dump-flows", &[&format!("table={table}")])?;
        Ok(out
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("OFPST") && l.contains("actions="))
            .map(str::to_string)
            .collect())
    }

    /// Removes interface `iface` from the bridge.
    ///
    /// # Errors
    /// If OVS refuses.
    pub fn del_port(&self, iface: &str) -> Result<(), CmdError> {
        run(
            "ovs-vsctl",
            &["--timeout=10", "del-port", &self.name, iface],
        )
        .map(|_| ())
    }

    /// `ovs-ofctl -O OpenFlow13 ARGS... BRIDGE` style helper: runs `ovs-ofctl` with OpenFlow
    /// 1.3 on this bridge and returns its output.
    ///
    /// # Errors
    /// If the command fails.
    pub fn ofctl(&self, cmd: &str, extra: &[&str]) -> Result<String, CmdError> {
        let mut args = vec!["-O", "OpenFlow13", cmd, self.name.as_str()];
        args.extend_from_slice(extra);
        run("ovs-ofctl", &args)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = run(
            "ovs-vsctl",
            &["--timeout=10", "--if-exists", "del-br", &self.name],
        );
    }
}

/// A port for [`Bridge::add_ports`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSpec {
    /// The interface (it must exist).
    pub iface: String,
    /// The OpenFlow port number to ask for (`ofport_request`).
    pub ofport: Option<u32>,
    /// Port settings, such as `tag=100`, `trunks=100,200` or `vlan_mode=native-untagged`.
    pub settings: Vec<String>,
}

impl PortSpec {
    /// Interface `iface` as OpenFlow port `ofport`.
    pub fn numbered(iface: &str, ofport: u32) -> PortSpec {
        PortSpec {
            iface: iface.to_string(),
            ofport: Some(ofport),
            settings: Vec::new(),
        }
    }

    /// Interface `iface` with these port settings.
    pub fn with(iface: &str, settings: &[String]) -> PortSpec {
        PortSpec {
            iface: iface.to_string(),
            ofport: None,
            settings: settings.to_vec(),
        }
    }
}
