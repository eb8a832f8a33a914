//! Two controllers for one network, with OpenFlow roles (OpenFlow 1.3.5 §6.3.7).
//!
//! Both controllers connect to every switch (`ovs-vsctl set-controller br tcp:A tcp:B`). The
//! **primary** asks to be master of every switch it connects to. The **backup** asks to be a
//! slave, and watches the primary's OpenFlow address; when that stops answering (three checks
//! in a row, half a second apart) it asks to be master. A master request carries the wall
//! clock in milliseconds as its generation id, so the latest claim wins and an older one is
//! refused by the switch as stale.
//!
//! While a connection is a slave its switch is kept from the core: the core sees the switch
//! connect when this controller becomes its master (it then syncs by difference and adopts
//! the learned hosts, so nothing is reprogrammed) and disconnect when it stops being master.
//! A master checks its role once a second (a ROLE_REQUEST with no change); a switch answering
//! that it is a slave (another controller claimed it) demotes it.
//!
//! OpenFlow 1.3 switches do not tell a controller that it lost the master role, hence the
//! check; and two controllers that cannot reach each other both claim, each in turn, until
//! they can: run them where they see each other.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use sluice_core::{DisconnectReason, Event, Output};
use sluice_ofp::msg::multipart::Desc;
use sluice_ofp::msg::role::{ControllerRole, Role};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::{Encoded, Message, OfError, Port, PortNo};
use tokio::sync::watch;
use tracing::{info, warn};

use super::{Connected, Task};
use crate::switch::{Command, ConnId, SwitchHandle};

/// This controller's part in a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaRole {
    /// Master of every switch whenever it runs.
    Primary,
    /// Master only while the primary, at `peer` (its OpenFlow address), does not answer.
    Backup {
        /// The primary's OpenFlow listening address.
        peer: SocketAddr,
    },
}

/// The pair's state in the controller task.
pub(super) struct Ha {
    role: HaRole,
    /// Whether the primary answers (always true for the primary itself).
    peer_alive: watch::Receiver<bool>,
    /// What each switch said when it connected, to tell the core when it becomes ours.
    switches: HashMap<u64, (SwitchFeatures, Option<Box<Desc>>)>,
    /// Switches connected to us as slaves: their ports, kept up to date.
    standby: HashMap<u64, BTreeMap<PortNo, Port>>,
}

impl Ha {
    /// The state for `role`; a backup starts watching its primary.
    pub(super) fn start(role: HaRole) -> Ha {
        let (tx, rx) = watch::channel(true);
        if let HaRole::Backup { peer } = role {
            tokio::spawn(watch_peer(peer, tx));
        }
        Ha {
            role,
            peer_alive: rx,
            switches: HashMap::new(),
            standby: HashMap::new(),
        }
    }

    /// Whether this controller should be master now.
    fn wants_master(&self) -> bool {
        match self.role {
            HaRole::Primary => true,
            HaRole::Backup { .. } => !*self.peer_alive.borrow(),
        }
    }
}

/// Watches the primary: alive while its address accepts connections; dead after three
/// failures in a row.
async fn watch_peer(peer: SocketAddr, alive: watch::Sender<bool>) {
    let mut failures = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let up = matches!(
            tokio::time::timeout(
                Duration::from_millis(500),
                tokio::net::TcpStream::connect(peer)
            )
            .await,
            Ok(Ok(_))
        );
        failures = if up { 0 } else { failures + 1 };
        let now_alive = failures < 3;
        if *alive.borrow() != now_alive {
            if now_alive {
                info!(%peer, "the primary controller answers again");
            } else {
                warn!(%peer, "the primary controller does not answer: taking over");
            }
            if alive.send(now_alive).is_err() {
                return;
            }
        }
    }
}

/// The wall clock in milliseconds: a generation id later than any earlier claim.
fn generation() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Task {
    /// Asks a switch for `role`.
    fn ask_role(&mut self, dp_id: u64, role: ControllerRole, outputs: &mut Vec<Output>) {
        let mut msgs = Encoded::new();
        let generation_id = if role == ControllerRole::NoChange {
            0
        } else {
            generation()
        };
        let _ = msgs.push(&Message::RoleRequest(Role {
            role,
            generation_id,
        }));
        self.send(
            dp_id,
            Command::Send {
                msgs,
                barrier: None,
            },
            outputs,
        );
    }

    /// A switch connected: it is a slave of ours until it confirms us as master.
    pub(super) fn ha_up(
        &mut self,
        conn: ConnId,
        features: SwitchFeatures,
        desc: Option<Box<Desc>>,
        ports: Vec<Port>,
        handle: SwitchHandle,
    ) -> Vec<Output> {
        let dp_id = features.datapath_id;
        let mut outputs = Vec::new();
        if self.switches.contains_key(&dp_id) {
            outputs = self.drop_switch(dp_id, DisconnectReason::Replaced);
        }
        self.switches.insert(dp_id, Connected { conn, handle });
        let Some(ha) = &mut self.ha else {
            return outputs;
        };
        ha.switches.insert(dp_id, (features, desc));
        ha.standby
            .insert(dp_id, ports.into_iter().map(|p| (p.port_no, p)).collect());
        let role = if ha.wants_master() {
            ControllerRole::Master
        } else {
            ControllerRole::Slave
        };
        self.ask_role(dp_id, role, &mut outputs);
        outputs
    }

    /// Takes what concerns roles out of an event from a switch: role replies, role errors,
    /// and everything from a switch we are a slave of. Returns the rest for the core, if any.
    pub(super) fn ha_filter(&mut self, event: Event, outputs: &mut Vec<Output>) -> Option<Event> {
        match event {
            Event::Messages { dp_id, msgs } => {
                let mut rest = Vec::with_capacity(msgs.len());
                for (xid, msg) in msgs {
                    match msg {
                        Message::RoleReply(r) => self.role_reply(dp_id, r.role, outputs),
                        Message::PortStatus(ps) if self.is_standby(dp_id) => {
                            if let Some(ports) =
                                self.ha.as_mut().and_then(|h| h.standby.get_mut(&dp_id))
                            {
                                ports.insert(ps.desc.port_no, ps.desc);
                            }
                        }
                        _ if self.is_standby(dp_id) => {}
                        m => rest.push((xid, m)),
                    }
                }
                (!rest.is_empty()).then_some(Event::Messages { dp_id, msgs: rest })
            }
            Event::SwitchError {
                dp_id,
                error: OfError::RoleRequestFailed(_),
                ..
            } => {
                // A later claim won; stay as we are, and ask again on the next tick if we
                // should be master.
                warn!(
                    dp_id = format_args!("{dp_id:#x}"),
                    "the switch refused a role request"
                );
                None
            }
            Event::SwitchError { dp_id, .. } if self.is_standby(dp_id) => None,
            other => Some(other),
        }
    }

    fn is_standby(&self, dp_id: u64) -> bool {
        self.ha
            .as_ref()
            .is_some_and(|h| h.standby.contains_key(&dp_id))
    }

    /// The switch told us our role: become its master in the core, or stop being it.
    fn role_reply(&mut self, dp_id: u64, role: ControllerRole, outputs: &mut Vec<Output>) {
        let now = self.now();
        let Some(ha) = &mut self.ha else { return };
        match role {
            ControllerRole::Master | ControllerRole::Equal => {
                let Some(ports) = ha.standby.remove(&dp_id) else {
                    return;
                };
                let Some((features, desc)) = ha.switches.get(&dp_id).cloned() else {
                    return;
                };
                info!(dp_id = format_args!("{dp_id:#x}"), "master of the switch");
                let up = Event::SwitchUp {
                    features,
                    desc,
                    ports: ports.into_values().collect(),
                };
                outputs.extend(self.core.handle(now, up));
            }
            ControllerRole::Slave => {
                if ha.standby.contains_key(&dp_id) {
                    return;
                }
                let ports = self
                    .core
                    .datapath(dp_id)
                    .map(|d| d.ports.clone())
                    .unwrap_or_default();
                ha.standby.insert(dp_id, ports);
                info!(
                    dp_id = format_args!("{dp_id:#x}"),
                    "another controller is master of the switch"
                );
                let reason = DisconnectReason::ByController("another controller is master".into());
                outputs.extend(self.core.handle(now, Event::SwitchDown { dp_id, reason }));
            }
            _ => {}
        }
    }

    /// Once a second: claim the switches we should be master of, and check the role of
    /// those we are master of.
    pub(super) fn ha_tick(&mut self) -> Vec<Output> {
        let mut outputs = Vec::new();
        let Some(ha) = &self.ha else {
            return outputs;
        };
        let wants = ha.wants_master();
        let asks: Vec<(u64, ControllerRole)> = self
            .switches
            .keys()
            .filter_map(|dp_id| match (ha.standby.contains_key(dp_id), wants) {
                (true, true) => Some((*dp_id, ControllerRole::Master)),
                (true, false) => None,
                (false, _) => Some((*dp_id, ControllerRole::NoChange)),
            })
            .collect();
        for (dp_id, role) in asks {
            self.ask_role(dp_id, role, &mut outputs);
        }
        outputs
    }

    /// A switch's connection ended.
    pub(super) fn ha_down(&mut self, dp_id: u64) {
        if let Some(ha) = &mut self.ha {
            ha.switches.remove(&dp_id);
            ha.standby.remove(&dp_id);
        }
    }
}
