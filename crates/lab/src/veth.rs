//! veth pairs.

use crate::cmd::{CmdError, run};

/// A veth pair, both ends up, with transmit checksum offload off (the userspace datapath
/// forwards segments whose checksum was never filled in otherwise) and IPv6 off on both
/// ends (so the host itself stays silent on the test network). Deleted when dropped.
#[derive(Debug)]
pub struct Veth {
    a: String,
    b: String,
}

impl Veth {
    /// Creates the pair `a`–`b` in the current namespace.
    ///
    /// # Errors
    /// If `ip` refuses (for example, a name exists).
    pub fn create(a: &str, b: &str) -> Result<Veth, CmdError> {
        run("ip", &["link", "add", a, "type", "veth", "peer", "name", b])?;
        let v = Veth {
            a: a.to_string(),
            b: b.to_string(),
        };
        for end in [a, b] {
            let _ = run(
                "sysctl",
                &["-q", "-w", &format!("net.ipv6.conf.{end}.disable_ipv6=1")],
            );
            let _ = run("ethtool", &["-K", end, "tx", "off"]);
            run("ip", &["link", "set", end, "up"])?;
        }
        Ok(v)
    }

    /// Makes the second end a loopback plug: every frame it receives goes straight back out
    /// of it (a tc ingress redirect), so what is sent into the first end comes back out of it.
    ///
    /// # Errors
    /// If `tc` refuses.
    pub fn loop_back_b(&self) -> Result<(), CmdError> {
        run("tc", &["qdisc", "add", "dev", &self.b, "ingress"])?;
        run(
            "tc",
            &[
                "filter", "add", "dev", &self.b, "parent", "ffff:", "protocol", "all", "u32",
                "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", &self.b,
            ],
        )?;
        Ok(())
    }

    /// The first end's name.
    pub fn a(&self) -> &str {
        &self.a
    }

    /// The second end's name.
    pub fn b(&self) -> &str {
        &self.b
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Deleting one end deletes the pair.
        let _ = run("ip", &["link", "del", &self.a]);
    }
}
