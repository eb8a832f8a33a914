//! The controller's decisions, with no I/O: events in, outputs out.
//!
//! Pure: no sockets, no files, no clock, no async runtime. The runtime turns switch
//! connections, timers and signals into [`Event`]s, calls [`Controller::handle`] with the
//! current [`Instant`], and carries out the [`Output`]s it returns (messages to send,
//! connections to close, notifications to log and publish). Because the inputs and outputs
//! are plain values, every behaviour can be tested without a network and replayed.

mod controller;
mod event;
mod fxhash;
pub mod host_flows;
pub mod learn;
pub mod pipeline;
mod rng;
pub mod stack;
pub mod telemetry;
mod time;
pub mod valve;

pub use controller::{Controller, Datapath};
pub use event::{DisconnectReason, Event, Notification, Output, Restart};
pub use rng::Rng;
pub use time::Instant;
