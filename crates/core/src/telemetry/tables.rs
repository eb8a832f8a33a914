//! FAUCET's `next_tables` of each table (`faucet_pipeline.py`), as exported in the
//! `faucet_config_table_names` metric: the declared next tables that the DP has, then the
//! table-miss target if it is not among them.

use crate::pipeline::{Layout, Table};

const NEXT_ETH: &[Table] = &[Table::EthDstHairpin, Table::EthDst, Table::Flood];

/// A table's declared next tables and its miss target, as FAUCET declares them.
fn declared(t: Table) -> (&'static [Table], Option<Table>) {
    use Table::*;
    match t {
        PortAcl => (&[Vlan, Vip, EthDstHairpin, EthDst, Flood], None),
        Vlan => (&[Copro, VlanAcl, Classification, EthSrc], None),
        Copro => (&[EthDst], Some(EthDst)),
        VlanAcl => (
            &[Classification, EthSrc, EthDstHairpin, EthDst, Flood],
            None,
        ),
        Classification => (
            &[EthSrc, Ipv4Fib, Ipv6Fib, Vip, EthDstHairpin, EthDst, Flood],
            Some(EthSrc),
        ),
        EthSrc => (
            &[Ipv4Fib, Ipv6Fib, Vip, EthDstHairpin, EthDst, Flood],
            Some(EthDst),
        ),
        Ipv4Fib | Ipv6Fib => (&[Vip, EthDstHairpin, EthDst, Flood], None),
        Vip => (NEXT_ETH, None),
        EthDstHairpin => (&[], Some(EthDst)),
        EthDst => (&[Egress, EgressAcl], Some(Flood)),
        EgressAcl => (&[Egress], None),
        Egress => (&[Flood], Some(Flood)),
        Flood => (&[], None),
    }
}

/// The names of the tables `table`'s flows may go to in this layout, in FAUCET's order.
pub fn next_tables(layout: &Layout, table: Table) -> Vec<&'static str> {
    let (next, mut miss) = declared(table);
    // With egress ACLs, a destination miss goes there first (FAUCET's `dp.py`).
    if table == Table::EthDst && layout.get(Table::EgressAcl).is_some() {
        miss = Some(Table::EgressAcl);
    }
    let mut out: Vec<&'static str> = next
        .iter()
        .filter(|t| layout.get(**t).is_some())
        .map(|t| t.name())
        .collect();
    if let Some(m) = miss
        && !out.contains(&m.name())
    {
        out.push(m.name());
    }
    out
}
