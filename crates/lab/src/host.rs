//! Hosts: network namespaces with one cable into a switch port.
//!
//! A host with one untagged interface is a veth pair: one end in the namespace, the other
//! (the *link*) in the root namespace, to be added to a switch. This kernel has no 802.1Q
//! (see `ovs-lab-notes.md`), so a host with tagged interfaces gets a small standalone OVS
//! bridge as its NIC instead: an access port `tag=<vid>` per tagged interface (and an untagged
//! one for a native VLAN), and a trunk port whose cable is the link. The switch under test
//! sees exactly the frames VLAN subinterfaces would send.
//!
//! ```text
//!   untagged:  [ns: eth0] ──veth── link ⇢ switch port
//!   tagged:    [ns: eth0.100] ──veth── access tag=100 ┐
//!              [ns: eth0.200] ──veth── access tag=200 ┤ helper bridge ─ trunk ──veth── link ⇢ switch port
//!              [ns: eth0]     ──veth── access native  ┘  (native-untagged on the trunk)
//! ```
//!
//! Every host is quiet unless asked: IPv6 is off (no neighbour discovery), and the kernel
//! answers ARP only for addresses of the interface asked (`arp_ignore=1`), so a host in two
//! VLANs never answers for one VLAN's address in the other. Each interface also gets an
//! on-link default route, so a host tries to reach *any* address directly on its wire (it
//! ARPs for it): a switch that leaks traffic between VLANs then shows up as reachability
//! instead of being hidden by a missing route. Reverse-path filtering is off for the same
//! reason.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use sluice_wire::MacAddr;

use crate::cmd::{CmdError, command, run, succeeds};
use crate::ovs::{Bridge, PortSpec};

/// One interface of a [`Host`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    /// Its name inside the namespace (`eth0`, `eth0.100`).
    pub name: String,
    /// The 802.1Q tag its frames carry on the cable into the switch; `None` for untagged.
    pub tag: Option<u16>,
    /// Its MAC address.
    pub mac: MacAddr,
    /// Its IPv4 address.
    pub addr: Ipv4Addr,
    /// The prefix length of its subnet.
    pub prefix_len: u8,
}

/// What [`Host::create`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The namespace's name (it must not exist).
    pub ns: String,
    /// The root-namespace interface that is the host's cable, to be added to a switch port.
    /// At most 12 bytes: helper interfaces are named after it.
    pub link: String,
    /// The interfaces: one untagged at most, tags distinct.
    pub ifaces: Vec<Iface>,
    /// Leave IPv6 on (hosts then send neighbour discovery on their own).
    pub ipv6: bool,
}

/// A host: a network namespace, its interfaces, and the cable (and, for tagged interfaces,
/// helper bridge) that joins it to a switch port. Everything is deleted when dropped.
#[derive(Debug)]
pub struct Host {
    ns: String,
    link: String,
    ifaces: Vec<Iface>,
    /// The helper bridge of a host with tagged interfaces (deleted first).
    helper: Option<Bridge>,
    /// Root-namespace veth ends to delete (deleting one end deletes the pair).
    root_ends: Vec<String>,
}

/// The longest [`HostSpec::link`] name: helper interfaces append up to 3 bytes.
pub const MAX_LINK_NAME: usize = 12;

impl Host {
    /// A host with one untagged interface `eth0`, cabled by `link`.
    ///
    /// # Errors
    /// If a command fails (for example, a name exists).
    pub fn untagged(
        ns: &str,
        link: &str,
        mac: MacAddr,
        addr: Ipv4Addr,
        prefix_len: u8,
    ) -> Result<Host, CmdError> {
        Host::create(&HostSpec {
            ns: ns.to_string(),
            link: link.to_string(),
            ifaces: vec![Iface {
                name: "eth0".into(),
                tag: None,
                mac,
                addr,
                prefix_len,
            }],
            ipv6: false,
        })
    }

    /// Makes the namespace, its interfaces and its cable. On failure, whatever was made is
    /// deleted again.
    ///
    /// # Errors
    /// If the spec is inconsistent (two untagged interfaces, a tag twice, a link name too
    /// long) or a command fails.
    pub fn create(spec: &HostSpec) -> Result<Host, CmdError> {
        let invalid = |why: String| CmdError::Failed {
            cmd: format!("create host {}", spec.ns),
            status: "invalid".into(),
            stderr: why,
        };
        if spec.link.len() > MAX_LINK_NAME {
            return Err(invalid(format!(
                "link name {} is longer than {MAX_LINK_NAME} bytes",
                spec.link
            )));
        }
        if spec.ifaces.is_empty() {
            return Err(invalid("a host needs an interface".into()));
        }
        if spec.ifaces.iter().filter(|i| i.tag.is_none()).count() > 1 {
            return Err(invalid("more than one untagged interface".into()));
        }
        let mut tags: Vec<u16> = spec.ifaces.iter().filter_map(|i| i.tag).collect();
        tags.sort_unstable();
        if tags.windows(2).any(|w| w[0] == w[1]) || tags.iter().any(|t| !(1..=4094).contains(t)) {
            return Err(invalid(format!("bad or repeated tags {tags:?}")));
        }
        if spec.ifaces.len() > 99 {
            return Err(invalid("more than 99 interfaces".into()));
        }

        run("ip", &["netns", "add", &spec.ns])?;
        let mut host = Host {
            ns: spec.ns.clone(),
            link: spec.link.clone(),
            ifaces: spec.ifaces.clone(),
            helper: None,
            root_ends: Vec::new(),
        };
        let v6 = if spec.ipv6 { "0" } else { "1" };
        host.exec(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.all.disable_ipv6={v6}"),
            &format!("net.ipv6.conf.default.disable_ipv6={v6}"),
            "net.ipv4.conf.all.arp_ignore=1",
            "net.ipv4.conf.default.arp_ignore=1",
            "net.ipv4.conf.all.arp_announce=2",
            "net.ipv4.conf.default.arp_announce=2",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ])?;
        host.ip(&["link", "set", "lo", "up"])?;

        if let [only] = spec.ifaces.as_slice()
            && only.tag.is_none()
        {
            host.veth_into_ns(&spec.link, &only.name)?;
        } else {
            host.wire_helper(spec, &tags)?;
        }
        for (k, iface) in spec.ifaces.iter().enumerate() {
            host.configure(iface, k)?;
        }
        Ok(host)
    }

    /// A veth pair `root`–`inside`, with `inside` in the namespace.
    fn veth_into_ns(&mut self, root: &str, inside: &str) -> Result<(), CmdError> {
        run(
            "ip",
            &[
                "link", "add", root, "type", "veth", "peer", "name", inside, "netns", &self.ns,
            ],
        )?;
        self.root_ends.push(root.to_string());
        quiet_root_end(root)
    }

    /// The helper bridge of a host with tagged interfaces, its trunk cable (the link) and
    /// one access port per interface.
    fn wire_helper(&mut self, spec: &HostSpec, tags: &[u16]) -> Result<(), CmdError> {
        let link = &spec.link;
        let trunk_end = format!("{link}t");
        run(
            "ip",
            &[
                "link", "add", link, "type", "veth", "peer", "name", &trunk_end,
            ],
        )?;
        self.root_ends.push(link.clone());
        quiet_root_end(link)?;
        quiet_root_end(&trunk_end)?;
        // The untagged interface (if any) uses a VLAN of the helper bridge that no tagged
        // interface uses, sent untagged on the trunk.
        let native = (1..=4094u16)
            .rev()
            .find(|v| !tags.contains(v))
            .unwrap_or(4094);
        let has_native = spec.ifaces.iter().any(|i| i.tag.is_none());
        let mut trunks: Vec<u16> = tags.to_vec();
        if has_native {
            trunks.push(native);
        }
        let trunk_list = trunks
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut trunk_settings = vec![format!("trunks={trunk_list}")];
        if has_native {
            trunk_settings.push("vlan_mode=native-untagged".into());
            trunk_settings.push(format!("tag={native}"));
        }
        let mut ports = vec![PortSpec::with(&trunk_end, &trunk_settings)];
        for (k, iface) in spec.ifaces.iter().enumerate() {
            let access = format!("{link}a{k}");
            self.veth_into_ns(&access, &iface.name)?;
            let tag = iface.tag.unwrap_or(native);
            ports.push(PortSpec::with(&access, &[format!("tag={tag}")]));
        }
        let helper = Bridge::create_standalone(&format!("{link}h"))?;
        let helper = self.helper.insert(helper);
        helper.add_ports(&ports)
    }

    /// Address, MAC, state and on-link default route of one namespace interface.
    fn configure(&self, iface: &Iface, k: usize) -> Result<(), CmdError> {
        let name = iface.name.as_str();
        let _ = self.exec(&["ethtool", "-K", name, "tx", "off"]);
        self.ip(&["link", "set", name, "address", &iface.mac.to_string(), "up"])?;
        let cidr = format!("{}/{}", iface.addr, iface.prefix_len);
        self.ip(&["addr", "add", &cidr, "dev", name])?;
        let metric = (100 + k).to_string();
        self.ip(&["route", "add", "default", "dev", name, "metric", &metric])?;
        Ok(())
    }

    /// The namespace's name.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The root-namespace interface to add to a switch port.
    pub fn link(&self) -> &str {
        &self.link
    }

    /// The interfaces.
    pub fn ifaces(&self) -> &[Iface] {
        &self.ifaces
    }

    /// The interface whose frames carry `tag` (`None`: the untagged one).
    pub fn iface_tagged(&self, tag: Option<u16>) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.tag == tag)
    }

    /// The first interface.
    pub fn first(&self) -> &Iface {
        // `create` refuses a host without interfaces.
        &self.ifaces[0]
    }

    /// Runs `args` inside the namespace and returns its standard output.
    ///
    /// # Errors
    /// If it cannot run or fails.
    pub fn exec(&self, args: &[&str]) -> Result<String, CmdError> {
        let mut all = vec!["netns", "exec", self.ns.as_str()];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `ip -n NS args...`: configures the namespace's networking.
    ///
    /// # Errors
    /// If `ip` fails.
    pub fn ip(&self, args: &[&str]) -> Result<String, CmdError> {
        let mut all = vec!["-n", self.ns.as_str()];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// A command running `args` inside the namespace, for programs to start in the
    /// background (`tcpdump`); the caller stops it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut all = vec!["netns", "exec", self.ns.as_str()];
        all.extend_from_slice(args);
        command("ip", &all)
    }

    /// Pings `addr` `count` times (200 ms apart), waiting up to `timeout` for a reply; true
    /// if any reply came.
    pub fn ping(&self, addr: Ipv4Addr, count: u32, timeout: Duration) -> bool {
        self.ping_via(None, addr, count, timeout)
    }

    /// Like [`Host::ping`], sending from interface `iface` (for hosts with several).
    pub fn ping_from(&self, iface: &str, addr: Ipv4Addr, count: u32, timeout: Duration) -> bool {
        self.ping_via(Some(iface), addr, count, timeout)
    }

    fn ping_via(&self, iface: Option<&str>, addr: Ipv4Addr, count: u32, timeout: Duration) -> bool {
        let count = count.max(1).to_string();
        let wait = timeout.as_secs().max(1).to_string();
        let addr = addr.to_string();
        let mut args = vec![
            "netns", "exec", &self.ns, "ping", "-n", "-q", "-c", &count, "-i", "0.2", "-W", &wait,
        ];
        if let Some(i) = iface {
            args.extend(["-I", i]);
        }
        args.push(&addr);
        succeeds("ip", &args)
    }
}

/// Quiets a root-namespace veth end attached to a bridge: no IPv6, no ARP (the host itself
/// must never answer on the test network), no TX checksum offload, up.
pub(crate) fn quiet_root_end(name: &str) -> Result<(), CmdError> {
    let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6"), "1");
    let _ = std::fs::write(format!("/proc/sys/net/ipv4/conf/{name}/arp_ignore"), "8");
    let _ = run("ethtool", &["-K", name, "tx", "off"]);
    run("ip", &["link", "set", name, "arp", "off", "up"]).map(|_| ())
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(helper) = self.helper.take() {
            drop(helper);
        }
        for end in &self.root_ends {
            let _ = run("ip", &["link", "del", end]);
        }
        let _ = run("ip", &["netns", "del", &self.ns]);
    }
}
