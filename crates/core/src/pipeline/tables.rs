//! FAUCET's table layout: which tables a DP has, and their numbers.
//!
//! Only the tables a DP needs exist, numbered consecutively from 0 in FAUCET's order, so the
//! smallest layout is vlan 0, eth_src 1, eth_dst 2, flood 3 (FAUCET's `faucet_pipeline.py`).

use sluice_config::Dp;

/// Every table FAUCET's pipeline can have, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Port and DP ACLs.
    PortAcl,
    /// VLAN assignment: tags untagged packets, admits tagged ones.
    Vlan,
    /// Coprocessor ports.
    Copro,
    /// VLAN ACLs (`acls_in` on a VLAN).
    VlanAcl,
    /// Classification filters (`use_classification`).
    Classification,
    /// Source learning.
    EthSrc,
    /// IPv4 routing.
    Ipv4Fib,
    /// IPv6 routing.
    Ipv6Fib,
    /// The router's own addresses.
    Vip,
    /// Hairpin unicast (output back out of the input port).
    EthDstHairpin,
    /// Destination lookup of learned hosts.
    EthDst,
    /// Egress ACLs (`acls_out`).
    EgressAcl,
    /// The egress pipeline.
    Egress,
    /// Flooding within a VLAN.
    Flood,
}

impl Table {
    /// Every table, in pipeline order.
    pub const ALL: [Table; 14] = [
        Table::PortAcl,
        Table::Vlan,
        Table::Copro,
        Table::VlanAcl,
        Table::Classification,
        Table::EthSrc,
        Table::Ipv4Fib,
        Table::Ipv6Fib,
        Table::Vip,
        Table::EthDstHairpin,
        Table::EthDst,
        Table::EgressAcl,
        Table::Egress,
        Table::Flood,
    ];

    /// FAUCET's name for the table.
    pub fn name(self) -> &'static str {
        match self {
            Table::PortAcl => "port_acl",
            Table::Vlan => "vlan",
            Table::Copro => "copro",
            Table::VlanAcl => "vlan_acl",
            Table::Classification => "classification",
            Table::EthSrc => "eth_src",
            Table::Ipv4Fib => "ipv4_fib",
            Table::Ipv6Fib => "ipv6_fib",
            Table::Vip => "vip",
            Table::EthDstHairpin => "eth_dst_hairpin",
            Table::EthDst => "eth_dst",
            Table::EgressAcl => "egress_acl",
            Table::Egress => "egress",
            Table::Flood => "flood",
        }
    }
}

/// The tables of one DP and their numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    ids: [Option<u8>; Table::ALL.len()],
}

impl Layout {
    /// The layout FAUCET builds for `dp`: the four core tables, plus each optional table the
    /// DP's configuration needs.
    pub fn for_dp(dp: &Dp) -> Layout {
        let ports = || dp.ports.values().filter(|p| p.enabled);
        let has_vips = |v6: bool| {
            dp.vlans
                .values()
                .any(|v| v.faucet_vips.iter().any(|ip| ip.addr().is_ipv6() == v6))
        };
        let egress = dp.egress_pipeline || dp.vlans.values().any(|v| !v.acls_out.is_empty());
        let present = |t: Table| match t {
            Table::Vlan | Table::EthSrc | Table::EthDst | Table::Flood => true,
            Table::PortAcl => {
                !dp.dp_acls.is_empty()
                    || ports().any(|p| !p.acls_in.is_empty() || p.dot1x)
                    || (dp.stack.is_some() && dp.tunnels().next().is_some())
            }
            Table::Copro => ports().any(|p| p.coprocessor.is_some()),
            Table::VlanAcl => dp.vlans.values().any(|v| !v.acls_in.is_empty()),
            Table::Classification => dp.use_classification,
            Table::Ipv4Fib => has_vips(false),
            Table::Ipv6Fib => has_vips(true),
            Table::Vip => has_vips(false) || has_vips(true),
            Table::EthDstHairpin => ports().any(|p| p.hairpin || p.hairpin_unicast),
            Table::EgressAcl => dp.vlans.values().any(|v| !v.acls_out.is_empty()),
            Table::Egress => egress,
        };
        let mut ids = [None; Table::ALL.len()];
        let mut next = 0u8;
        for (i, t) in Table::ALL.iter().enumerate() {
            if present(*t) {
                ids[i] = Some(next);
                next += 1;
            }
        }
        Layout { ids }
    }

    /// The table's number, if the DP has it.
    pub fn get(&self, table: Table) -> Option<u8> {
        self.ids[table as usize]
    }

    /// The number of a table every layout has (vlan, eth_src, eth_dst, flood), or of a
    /// table the caller knows is present.
    pub fn id(&self, table: Table) -> u8 {
        // Callers only ask for tables that exist; 0 would be a visible mistake in tests.
        self.get(table).unwrap_or(0)
    }

    /// The first present table among `choices`, in order.
    pub fn first_of(&self, choices: &[Table]) -> u8 {
        choices
            .iter()
            .find_map(|t| self.get(*t))
            .unwrap_or_else(|| self.id(Table::Flood))
    }

    /// Every present table and its number, in order.
    pub fn tables(&self) -> impl Iterator<Item = (Table, u8)> + '_ {
        Table::ALL
            .iter()
            .filter_map(|t| self.get(*t).map(|id| (*t, id)))
    }

    /// The number of the table with this number's name, for messages.
    pub fn name_of(&self, id: u8) -> Option<&'static str> {
        self.tables().find(|(_, n)| *n == id).map(|(t, _)| t.name())
    }
}
