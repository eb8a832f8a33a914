//! The benchmark configuration: 100 DPs x 48 ports, 100 VLANs, 50 ACLs (shared by the bench and
//! the `bench_config` example, which prints it so FAUCET can be timed on the same file).

use std::fmt::Write;

/// Builds the configuration text.
pub fn big_config(dps: usize, ports: usize, vlans: usize, acls: usize) -> String {
    let mut out = String::with_capacity(dps * ports * 64);
    out.push_str("acls:\n");
    for a in 0..acls {
        let _ = writeln!(out, "  acl{a}:");
        let _ = writeln!(
            out,
            "    - rule:\n        dl_type: 0x800\n        nw_proto: 6\n        ipv4_dst: 10.{}.0.0/16\n        tcp_dst: {}\n        actions: {{allow: 1}}",
            a % 250,
            1000 + a
        );
        let _ = writeln!(
            out,
            "    - rule:\n        dl_type: 0x86dd\n        ipv6_src: 'fd00:{a:x}::/64'\n        actions: {{allow: 0}}"
        );
        let _ = writeln!(
            out,
            "    - rule:\n        eth_src: '0e:00:00:00:{:02x}:{:02x}'\n        actions:\n          output:\n            set_fields: [{{vlan_pcp: 1}}]\n            port: 48",
            a / 256,
            a % 256
        );
        out.push_str("    - rule:\n        actions: {allow: 1}\n");
    }
    out.push_str("vlans:\n");
    for v in 0..vlans {
        let _ = writeln!(
            out,
            "  vlan{v}:\n    vid: {}\n    description: \"VLAN {v}\"",
            100 + v
        );
    }
    out.push_str("dps:\n");
    for d in 0..dps {
        let _ = writeln!(
            out,
            "  sw{d}:\n    dp_id: {}\n    hardware: \"Open vSwitch\"\n    interfaces:",
            d + 1
        );
        for p in 1..=ports {
            let _ = write!(out, "      {p}:\n        description: \"sw{d} port {p}\"\n");
            if p == ports {
                out.push_str("        tagged_vlans: [");
                for v in 0..vlans {
                    if v > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "vlan{v}");
                }
                out.push_str("]\n");
            } else {
                let _ = writeln!(out, "        native_vlan: vlan{}", (d + p) % vlans);
                if p % 4 == 0 {
                    let _ = writeln!(out, "        acls_in: [acl{}]", (d + p) % acls);
                }
            }
        }
    }
    out
}
