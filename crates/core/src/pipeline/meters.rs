//! Meters programmed by difference, like flows and groups: the switch's meter configuration
//! (a METER_CONFIG dump) against the meters the ACLs use.
//!
//! Only meters in the configurable range (1..=`OFPM_MAX`) are compared: the switch's
//! reserved controller and slow-path meters (`packetin_pps`, `slowpath_pps`) are set apart.

use std::collections::BTreeMap;

use sluice_ofp::Message;
use sluice_ofp::msg::meter::{MeterFlags, MeterMod, MeterModCommand, OFPM_MAX};
use sluice_ofp::msg::multipart::MeterConfig;

/// The meters in a switch's METER_CONFIG reply, as the ADDs that would create them.
pub fn from_config(configs: &[MeterConfig]) -> BTreeMap<u32, MeterMod> {
    configs
        .iter()
        .filter(|c| c.meter_id <= OFPM_MAX)
        .map(|c| {
            (
                c.meter_id,
                MeterMod {
                    command: MeterModCommand::Add,
                    flags: c.flags,
                    meter_id: c.meter_id,
                    bands: c.bands.clone(),
                },
            )
        })
        .collect()
}

/// The meter changes from `have` to `want`: the deletes (to send after the flows that use
/// them are gone) and the adds and modifies (to send before the flows that use them).
pub fn program(
    have: &BTreeMap<u32, MeterMod>,
    want: &BTreeMap<u32, MeterMod>,
) -> (Vec<Message>, Vec<Message>) {
    let deletes = have
        .keys()
        .filter(|id| !want.contains_key(id))
        .map(|id| {
            Message::MeterMod(MeterMod {
                command: MeterModCommand::Delete,
                flags: MeterFlags::empty(),
                meter_id: *id,
                bands: vec![],
            })
        })
        .collect();
    let adds = want
        .iter()
        .filter_map(|(id, m)| match have.get(id) {
            Some(old) if same(old, m) => None,
            Some(_) => Some(Message::MeterMod(MeterMod {
                command: MeterModCommand::Modify,
                ..m.clone()
            })),
            None => Some(Message::MeterMod(m.clone())),
        })
        .collect();
    (deletes, adds)
}

/// Whether two meters rate-limit the same way (the command does not count).
fn same(a: &MeterMod, b: &MeterMod) -> bool {
    a.flags == b.flags && a.bands == b.bands
}
