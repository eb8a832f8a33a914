//! Match fields as Gauge (through os-ken) shows them: numbers as numbers, addresses as text,
//! and a mask beside the value.

use sluice_ofp::oxm::OxmField;

/// One field's value or mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OxmValue {
    /// A number (ports, EtherTypes, VIDs with their present bit, metadata).
    Int(u64),
    /// An address (MAC, IPv4, IPv6).
    Text(String),
}

impl std::fmt::Display for OxmValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OxmValue::Int(n) => write!(f, "{n}"),
            OxmValue::Text(t) => f.write_str(t),
        }
    }
}

/// A field's name (os-ken's), value and mask; `None` for a field of another class.
pub fn parts(field: &OxmField) -> Option<(&'static str, OxmValue, Option<OxmValue>)> {
    use OxmField::*;
    use OxmValue::{Int, Text};
    let int = |v: u64| Int(v);
    let text = |v: &dyn std::fmt::Display| Text(v.to_string());
    let (value, mask) = match field {
        InPort(p) | InPhyPort(p) => (int(u64::from(p.0)), None),
        EthType(v) | TcpSrc(v) | TcpDst(v) | UdpSrc(v) | UdpDst(v) | SctpSrc(v) | SctpDst(v)
        | ArpOp(v) => (int(u64::from(*v)), None),
        VlanPcp(v) | IpDscp(v) | IpEcn(v) | IpProto(v) | Icmpv4Type(v) | Icmpv4Code(v)
        | Icmpv6Type(v) | Icmpv6Code(v) | MplsTc(v) | MplsBos(v) => (int(u64::from(*v)), None),
        MplsLabel(v) => (int(u64::from(*v)), None),
        Ipv6NdTarget(a) => (text(a), None),
        Ipv6NdSll(m) | Ipv6NdTll(m) => (text(m), None),
        Metadata(v, m) | TunnelId(v, m) => (int(*v), m.map(int)),
        VlanVid(v, m) | Ipv6Exthdr(v, m) => (int(u64::from(*v)), m.map(|m| int(u64::from(m)))),
        Ipv6Flabel(v, m) | PbbIsid(v, m) => (int(u64::from(*v)), m.map(|m| int(u64::from(m)))),
        EthDst(v, m) | EthSrc(v, m) | ArpSha(v, m) | ArpTha(v, m) => {
            (text(v), m.as_ref().map(|m| text(m)))
        }
        Ipv4Src(v, m) | Ipv4Dst(v, m) | ArpSpa(v, m) | ArpTpa(v, m) => {
            (text(v), m.as_ref().map(|m| text(m)))
        }
        Ipv6Src(v, m) | Ipv6Dst(v, m) => (text(v), m.as_ref().map(|m| text(m))),
        Other(_) => return None,
    };
    Some((field.name(), value, mask))
}

#[cfg(test)]
mod tests {
    use sluice_ofp::PortNo;
    use sluice_wire::MacAddr;

    use super::*;

    #[test]
    fn fields_as_gauge_shows_them() {
        let (n, v, m) = parts(&OxmField::VlanVid(0x1064, None)).unwrap();
        assert_eq!((n, v, m), ("vlan_vid", OxmValue::Int(4196), None));
        let (_, v, _) = parts(&OxmField::InPort(PortNo::LOCAL)).unwrap();
        assert_eq!(v.to_string(), "4294967294");
        let f = OxmField::EthDst(
            MacAddr([1, 0x80, 0xc2, 0, 0, 0]),
            Some(MacAddr([0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])),
        );
        let (n, v, m) = parts(&f).unwrap();
        assert_eq!(
            (n, v.to_string(), m.map(|m| m.to_string())),
            (
                "eth_dst",
                "01:80:c2:00:00:00".into(),
                Some("ff:ff:ff:ff:ff:f0".into())
            )
        );
    }
}
