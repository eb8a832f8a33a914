//! What the packet-in path counts for FAUCET's metrics (`of_packet_ins`,
//! `of_ignored_packet_ins`, `of_vlan_packet_ins`, `of_non_vlan_packet_ins`,
//! `of_unexpected_packet_ins`).
//!
//! The packet-in path only adds one to a plain integer field; nothing is formatted, locked or
//! allocated there. The runtime copies these numbers into its published metrics snapshot once
//! a second (see `sluice_core::telemetry`).

use super::Valve;

/// Packet-ins one DP received, by how the valve classified them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PacketInCounters {
    /// Every packet-in received (FAUCET's `of_packet_ins`).
    pub received: u64,
    /// Dropped by the `ignore_learn_ins` rate limit (`of_ignored_packet_ins`).
    pub ignored: u64,
    /// Valid, from a configured port, and in one of its VLANs (`of_vlan_packet_ins`).
    pub vlan: u64,
    /// Valid, from a configured port, but untagged by the pipeline, so in no VLAN
    /// (`of_non_vlan_packet_ins`).
    pub non_vlan: u64,
}

impl PacketInCounters {
    /// Packet-ins the valve could not use (`of_unexpected_packet_ins`): the switch was not
    /// programmed yet, the reason or cookie was wrong, the port or VLAN is not configured, the
    /// frame did not parse or its source is not a unicast address.
    pub fn unexpected(&self) -> u64 {
        self.received
            .saturating_sub(self.ignored)
            .saturating_sub(self.vlan)
            .saturating_sub(self.non_vlan)
    }
}

impl Valve {
    /// The packet-ins this DP received, by kind.
    pub fn packet_in_counters(&self) -> PacketInCounters {
        self.packet_ins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_is_what_no_other_kind_took() {
        let c = PacketInCounters {
            received: 10,
            ignored: 1,
            vlan: 6,
            non_vlan: 2,
        };
        assert_eq!(c.unexpected(), 1);
        assert_eq!(PacketInCounters::default().unexpected(), 0);
    }
}
