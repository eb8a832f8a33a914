//! sluice's I/O: the OpenFlow listener, one task per switch connection, and the controller
//! task that owns the pure core ([`sluice_core::Controller`]).
//!
//! See [`controller`] for the tasks and channels. Entry point: [`Server::run`], which takes
//! an already-bound listener and a shutdown future, so tests can bind `127.0.0.1:0` and stop
//! the server when they are done.

pub mod api;
pub mod config;
mod controller;
pub mod gauge;
pub mod http;
pub mod memory;
pub mod reload;
mod switch;
pub mod telemetry;
pub mod tls;

use std::time::Duration;

pub use controller::{HaRole, SendError, Server, ServerHandle};
pub use reload::Reloader;
pub use sluice_core::{Datapath, DisconnectReason, Notification, Restart};
pub use telemetry::TelemetryHandle;

/// Connection settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Silence on a connection after which the controller sends an echo request.
    pub echo_interval: Duration,
    /// Silence after which the switch is declared dead and its connection closed.
    pub dead_after: Duration,
    /// Time allowed from accept to a completed handshake.
    pub handshake_timeout: Duration,
    /// Bytes waiting to be written to one switch beyond which the connection stops taking
    /// new batches from the controller.
    pub max_write_buffer: usize,
    /// Batches the controller may queue for one switch; a switch whose queue is full is too
    /// slow and is disconnected (it reconnects and is brought up to date).
    pub max_queued_batches: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            echo_interval: switch::DEFAULT_ECHO_INTERVAL,
            dead_after: switch::DEFAULT_DEAD_AFTER,
            handshake_timeout: Duration::from_secs(10),
            max_write_buffer: 16 << 20,
            max_queued_batches: 1024,
        }
    }
}
