//! The controller: every connected datapath and what is known about it.

use std::collections::BTreeMap;

use sluice_ofp::msg::port::{PortReason, PortStatus};
use sluice_ofp::{Message, Port, PortNo};

use crate::event::{Event, Notification, Output};
use crate::time::Instant;

/// What the controller knows about one connected switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datapath {
    /// The datapath id.
    pub dp_id: u64,
    /// Its ports, by number, as last reported.
    pub ports: BTreeMap<PortNo, Port>,
}

/// The controller's state: every connected datapath.
#[derive(Debug, Default)]
pub struct Controller {
    datapaths: BTreeMap<u64, Datapath>,
}

impl Controller {
    /// A controller with no switches.
    pub fn new() -> Self {
        Controller::default()
    }

    /// The connected datapaths.
    pub fn datapaths(&self) -> impl Iterator<Item = &Datapath> {
        self.datapaths.values()
    }

    /// One connected datapath.
    pub fn datapath(&self, dp_id: u64) -> Option<&Datapath> {
        self.datapaths.get(&dp_id)
    }

    /// Handles one event at time `now` and returns what to do.
    pub fn handle(&mut self, _now: Instant, event: Event) -> Vec<Output> {
        let mut out = Vec::new();
        match event {
            Event::SwitchUp {
                features,
                desc,
                ports,
            } => {
                let dp_id = features.datapath_id;
                let dp = Datapath {
                    dp_id,
                    ports: ports.into_iter().map(|p| (p.port_no, p)).collect(),
                };
                let desc =
                    desc.map_or_else(String::new, |d| format!("{} {}", d.mfr_desc, d.sw_desc));
                out.push(Output::Notify(Notification::DpConnected {
                    dp_id,
                    ports: dp.ports.keys().copied().collect(),
                    desc,
                }));
                self.datapaths.insert(dp_id, dp);
            }
            Event::SwitchDown { dp_id, reason } => {
                if self.datapaths.remove(&dp_id).is_some() {
                    out.push(Output::Notify(Notification::DpDisconnected {
                        dp_id,
                        reason,
                    }));
                }
            }
            Event::Messages { dp_id, msgs } => {
                for (_xid, msg) in msgs {
                    if let Message::PortStatus(ps) = msg {
                        self.port_status(dp_id, ps, &mut out);
                    }
                }
            }
            Event::BarrierDone { .. } => {}
            Event::SwitchError {
                dp_id,
                error,
                request,
            } => {
                out.push(Output::Notify(Notification::SwitchError {
                    dp_id,
                    error,
                    request,
                }));
            }
        }
        out
    }

    fn port_status(&mut self, dp_id: u64, ps: PortStatus, out: &mut Vec<Output>) {
        let Some(dp) = self.datapaths.get_mut(&dp_id) else {
            return;
        };
        let port = ps.desc;
        let note = Notification::PortChange {
            dp_id,
            port_no: port.port_no,
            reason: ps.reason,
            name: port.name.as_str().into_owned(),
            up: port.is_up() && ps.reason != PortReason::Delete,
        };
        if ps.reason == PortReason::Delete {
            dp.ports.remove(&port.port_no);
        } else {
            dp.ports.insert(port.port_no, port);
        }
        out.push(Output::Notify(note));
    }
}

#[cfg(test)]
mod tests {
    use sluice_ofp::FixedStr;
    use sluice_ofp::msg::switch::SwitchFeatures;
    use sluice_ofp::port::PortState;

    use super::*;
    use crate::event::DisconnectReason;

    fn port(n: u32, name: &str) -> Port {
        Port {
            port_no: PortNo(n),
            name: FixedStr::new(name),
            ..Port::default()
        }
    }

    fn up(ctl: &mut Controller, dp_id: u64) {
        let features = SwitchFeatures {
            datapath_id: dp_id,
            ..SwitchFeatures::default()
        };
        ctl.handle(
            Instant(0),
            Event::SwitchUp {
                features,
                desc: None,
                ports: vec![port(1, "p1")],
            },
        );
    }

    #[test]
    fn port_add_modify_delete_reach_the_datapath() {
        let mut ctl = Controller::new();
        up(&mut ctl, 1);
        let status = |reason, p: Port| Event::Messages {
            dp_id: 1,
            msgs: vec![(0, Message::PortStatus(PortStatus { reason, desc: p }))],
        };
        let out = ctl.handle(Instant(1), status(PortReason::Add, port(2, "p2")));
        assert!(matches!(
            &out[..],
            [Output::Notify(Notification::PortChange {
                port_no: PortNo(2),
                up: true,
                ..
            })]
        ));
        let mut down = port(2, "p2");
        down.state = PortState::LINK_DOWN;
        let out = ctl.handle(Instant(2), status(PortReason::Modify, down));
        assert!(matches!(
            &out[..],
            [Output::Notify(Notification::PortChange { up: false, .. })]
        ));
        ctl.handle(Instant(3), status(PortReason::Delete, port(2, "p2")));
        let ports: Vec<_> = ctl.datapath(1).unwrap().ports.keys().copied().collect();
        assert_eq!(ports, vec![PortNo(1)]);
    }

    #[test]
    fn disconnect_forgets_the_datapath() {
        let mut ctl = Controller::new();
        up(&mut ctl, 7);
        let out = ctl.handle(
            Instant(1),
            Event::SwitchDown {
                dp_id: 7,
                reason: DisconnectReason::Closed,
            },
        );
        assert_eq!(out.len(), 1);
        assert!(ctl.datapath(7).is_none());
        // A second disconnect of an unknown switch is quiet.
        assert!(
            ctl.handle(
                Instant(2),
                Event::SwitchDown {
                    dp_id: 7,
                    reason: DisconnectReason::Closed
                }
            )
            .is_empty()
        );
    }
}
