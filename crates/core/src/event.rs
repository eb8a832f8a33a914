//! What goes into the core and what comes out of it.

use std::fmt;

use sluice_config::Config;
use sluice_ofp::msg::multipart::Desc;
use sluice_ofp::msg::port::PortReason;
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::{Encoded, Message, OfError, Port, PortNo};
use sluice_wire::MacAddr;

use crate::stack::PortState;

/// An input to [`crate::Controller::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A switch completed the OpenFlow handshake.
    SwitchUp {
        /// Its FEATURES_REPLY (the datapath id is in it).
        features: SwitchFeatures,
        /// Its description (DESC reply), if it answered.
        desc: Option<Box<Desc>>,
        /// Its ports (PORT_DESC reply).
        ports: Vec<Port>,
    },
    /// A switch's connection closed.
    SwitchDown {
        /// The switch.
        dp_id: u64,
        /// Why.
        reason: DisconnectReason,
    },
    /// Messages a switch sent, in order, from one read of its connection. Protocol
    /// housekeeping (echo, barrier replies, handshake) is handled by the runtime and not
    /// included.
    Messages {
        /// The switch.
        dp_id: u64,
        /// `(xid, message)` pairs.
        msgs: Vec<(u32, Message)>,
    },
    /// The switch answered the barrier that followed an [`Output::Send`]: it has processed
    /// every message sent before it.
    BarrierDone {
        /// The switch.
        dp_id: u64,
        /// The token given with the send.
        token: u64,
    },
    /// Time passed: expire learned hosts and bans. The runtime sends one every second.
    Tick,
    /// The switch answered an error to a message we sent; `request` is that message, if the
    /// connection still remembered it.
    SwitchError {
        /// The switch.
        dp_id: u64,
        /// The error.
        error: OfError,
        /// The request it refers to, in text form.
        request: Option<String>,
    },
    /// A new, valid configuration: apply it (FAUCET's reload).
    Reload(Box<Config>),
}

/// How a DP took a new configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// It is new in the configuration.
    New,
    /// Its changes went out as a difference, its unchanged hosts kept.
    Warm,
    /// Its table layout or cookie changed: it is synced again from a flow dump, its hosts
    /// relearned (FAUCET would reconnect and reprogram the whole switch).
    Cold,
    /// It left the configuration: its connection is closed.
    Removed,
}

impl fmt::Display for Restart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Restart::New => "new",
            Restart::Warm => "warm",
            Restart::Cold => "cold",
            Restart::Removed => "removed",
        })
    }
}

/// Why a switch connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The switch closed the connection.
    Closed,
    /// The switch sent something that is not valid OpenFlow 1.3.
    Protocol(String),
    /// The switch stopped answering echo requests.
    Dead,
    /// Too much was queued for a switch that does not read.
    Slow,
    /// Another connection claimed the same datapath id.
    Replaced,
    /// The controller closed it.
    ByController(String),
    /// A socket error.
    Io(String),
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Closed => f.write_str("connection closed by the switch"),
            DisconnectReason::Protocol(why) => write!(f, "protocol error: {why}"),
            DisconnectReason::Dead => f.write_str("no answer to echo requests"),
            DisconnectReason::Slow => f.write_str("switch is not reading what is sent to it"),
            DisconnectReason::Replaced => f.write_str("a new connection for the same datapath"),
            DisconnectReason::ByController(why) => write!(f, "closed by the controller: {why}"),
            DisconnectReason::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

/// An output of [`crate::Controller::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send messages to a switch, in order, in one write; with `barrier`, follow them with a
    /// BARRIER_REQUEST and report its reply as [`Event::BarrierDone`] with this token.
    Send {
        /// The switch.
        dp_id: u64,
        /// The messages, encoded (xid 0: the connection gives each its own).
        msgs: Encoded,
        /// A token to report when the switch has processed them all.
        barrier: Option<u64>,
    },
    /// Close a switch's connection.
    Disconnect {
        /// The switch.
        dp_id: u64,
        /// Why, for the log.
        reason: String,
    },
    /// Something an operator or a subscriber should know.
    Notify(Notification),
}

/// A notable change, for the log, the event stream and the tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// A switch is connected and its ports are known.
    DpConnected {
        /// The switch.
        dp_id: u64,
        /// Its port numbers.
        ports: Vec<PortNo>,
        /// Its description, one line.
        desc: String,
    },
    /// A switch's connection ended.
    DpDisconnected {
        /// The switch.
        dp_id: u64,
        /// Why.
        reason: DisconnectReason,
    },
    /// A port was added, deleted or changed.
    PortChange {
        /// The switch.
        dp_id: u64,
        /// The port.
        port_no: PortNo,
        /// Added, deleted or modified.
        reason: PortReason,
        /// The port's name.
        name: String,
        /// Whether it is up (administratively and with a link).
        up: bool,
        /// Its OpenFlow state bits (`OFPPS_*`), as the switch reported them.
        state: u32,
    },
    /// A configured switch is being brought to its desired flows.
    DpProgramming {
        /// The switch.
        dp_id: u64,
        /// Flows in its static pipeline.
        flows: usize,
        /// Messages sent to get there from what it held.
        changes: usize,
    },
    /// A configured switch is programmed and learning (FAUCET's DP up).
    DpRunning {
        /// The switch.
        dp_id: u64,
        /// Flows in its static pipeline.
        flows: usize,
    },
    /// A connecting switch is not in the configuration; it is disconnected.
    DpUnknown {
        /// The switch.
        dp_id: u64,
    },
    /// A host was learned (FAUCET's L2_LEARN).
    HostLearned {
        /// The switch.
        dp_id: u64,
        /// The VLAN.
        vid: u16,
        /// The host's MAC.
        mac: MacAddr,
        /// The port it is behind.
        port: u32,
        /// The port it was behind before, if it moved.
        moved_from: Option<u32>,
    },
    /// A host was forgotten: timed out, or its port went down (FAUCET's L2_EXPIRE).
    HostExpired {
        /// The switch.
        dp_id: u64,
        /// The VLAN.
        vid: u16,
        /// The host's MAC.
        mac: MacAddr,
        /// The port it was behind.
        port: u32,
    },
    /// Learning was banned for a while.
    LearnBan {
        /// The switch.
        dp_id: u64,
        /// The banned port, if a port.
        port: Option<u32>,
        /// The banned VLAN, if a VLAN.
        vid: Option<u16>,
        /// The banned MAC, if one host.
        mac: Option<MacAddr>,
        /// Why.
        why: String,
    },
    /// A switch refused a message.
    SwitchError {
        /// The switch.
        dp_id: u64,
        /// The error.
        error: OfError,
        /// The refused message, in text form, if known.
        request: Option<String>,
    },
    /// A new configuration is in force (FAUCET's config-wide CONFIG_CHANGE, success).
    ConfigApplied {
        /// Every file read, with its sha256 in hex (absent for a missing optional include).
        files: Vec<(String, Option<String>)>,
    },
    /// A new configuration was rejected; the old one stays in force (CONFIG_CHANGE, failure).
    ConfigRejected {
        /// Every problem found.
        errors: String,
    },
    /// A DP's configuration took effect (FAUCET's per-DP CONFIG_CHANGE `restart_type`).
    DpReconfigured {
        /// The switch.
        dp_id: u64,
        /// How.
        restart: Restart,
    },
    /// A stack port changed state (FAUCET's STACK_STATE).
    StackPortState {
        /// The switch.
        dp_id: u64,
        /// The stack port.
        port: u32,
        /// The new state.
        state: PortState,
    },
    /// The stack's shape changed (FAUCET's STACK_TOPO_CHANGE): its root, and each DP's
    /// port towards the root.
    StackTopology {
        /// The root.
        root: u64,
        /// Whether the root is a new one.
        root_changed: bool,
        /// Every DP of the stack with its port towards its root (`None` on a root, or when
        /// cut off from every other DP).
        root_ports: Vec<(u64, Option<u32>)>,
        /// The links that are up, as (dp, port, peer dp, peer port).
        links_up: Vec<(u64, u32, u64, u32)>,
    },
    /// A message the core built could not be encoded (a bug: it was left out).
    Unsendable {
        /// The switch it was for.
        dp_id: u64,
        /// Why.
        why: String,
    },
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notification::DpConnected { dp_id, ports, desc } => {
                write!(f, "DP {dp_id:#x} connected ({desc}), {} ports", ports.len())
            }
            Notification::DpDisconnected { dp_id, reason } => {
                write!(f, "DP {dp_id:#x} disconnected: {reason}")
            }
            Notification::PortChange {
                dp_id,
                port_no,
                reason,
                name,
                up,
                ..
            } => write!(
                f,
                "DP {dp_id:#x} port {port_no} ({name}) {reason}, {}",
                if *up { "up" } else { "down" }
            ),
            Notification::DpProgramming {
                dp_id,
                flows,
                changes,
            } => {
                write!(
                    f,
                    "DP {dp_id:#x} programming: {flows} flows, {changes} changes from what it held"
                )
            }
            Notification::DpRunning { dp_id, flows } => {
                write!(f, "DP {dp_id:#x} up: {flows} flows")
            }
            Notification::DpUnknown { dp_id } => {
                write!(
                    f,
                    "DP {dp_id:#x} is not in the configuration; disconnecting it"
                )
            }
            Notification::HostLearned {
                dp_id,
                vid,
                mac,
                port,
                moved_from,
            } => {
                write!(f, "DP {dp_id:#x} learned {mac} on port {port} VLAN {vid}")?;
                if let Some(old) = moved_from {
                    write!(f, " (moved from port {old})")?;
                }
                Ok(())
            }
            Notification::HostExpired {
                dp_id,
                vid,
                mac,
                port,
            } => {
                write!(f, "DP {dp_id:#x} forgot {mac} on port {port} VLAN {vid}")
            }
            Notification::LearnBan {
                dp_id,
                port,
                vid,
                mac,
                why,
            } => {
                write!(f, "DP {dp_id:#x} banned learning")?;
                if let Some(p) = port {
                    write!(f, " on port {p}")?;
                }
                if let Some(v) = vid {
                    write!(f, " on VLAN {v}")?;
                }
                if let Some(m) = mac {
                    write!(f, " of {m}")?;
                }
                write!(f, ": {why}")
            }
            Notification::SwitchError {
                dp_id,
                error,
                request,
            } => {
                write!(f, "DP {dp_id:#x} refused a message: {error}")?;
                if let Some(r) = request {
                    write!(f, " (request: {r})")?;
                }
                Ok(())
            }
            Notification::ConfigApplied { files } => {
                write!(f, "configuration applied ({} files)", files.len())
            }
            Notification::ConfigRejected { errors } => {
                write!(
                    f,
                    "configuration rejected, the old one stays in force:\n{errors}"
                )
            }
            Notification::DpReconfigured { dp_id, restart } => {
                write!(f, "DP {dp_id:#x} reconfigured: {restart}")
            }
            Notification::StackPortState { dp_id, port, state } => {
                write!(f, "DP {dp_id:#x} stack port {port} {}", state.name())
            }
            Notification::StackTopology {
                root,
                root_changed,
                links_up,
                ..
            } => {
                write!(f, "stack root DP {root:#x}")?;
                if *root_changed {
                    f.write_str(" (new)")?;
                }
                write!(f, ", {} links up", links_up.len())
            }
            Notification::Unsendable { dp_id, why } => {
                write!(f, "DP {dp_id:#x}: a message was left out: {why}")
            }
        }
    }
}
