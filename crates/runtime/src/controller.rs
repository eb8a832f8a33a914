//! The controller task and the listener.
//!
//! ```text
//!                    accept                     SwitchEvent (bounded: a busy controller
//!   TCP listener ───────────► switch task ────  slows the switches' reads, never the
//!                    (one per     │  ▲          other way round)
//!                    connection)  │  │                 │
//!                                 │  │ Command         ▼
//!                                 │  └──────────── controller task ──► Notification
//!                                 │   (bounded;      owns sluice_core::Controller;   (broadcast:
//!                                 │    try_send:     handles one event at a time,     log, tests,
//!                                 │    full = slow   never waits on a switch          event stream)
//!                                 ▼    switch)
//!                          socket reads and writes
//! ```
//!
//! A switch task does the OpenFlow handshake, then forwards each read batch as one event
//! and writes each command batch with one `write` (see [`crate::switch`]). The controller
//! task feeds events to the pure core with the current time and routes its outputs.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::time::Instant as StdInstant;

use sluice_core::{Controller, DisconnectReason, Event, Instant, Notification, Output};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tracing::{info, warn};

use crate::Options;
use crate::switch::{self, Command, ConnId, SwitchEvent, SwitchHandle};

/// A connected switch, as the controller task sees it.
struct Connected {
    conn: ConnId,
    handle: SwitchHandle,
}

/// The OpenFlow controller: a listener, its switch connections and the core.
pub struct Server {
    opts: Options,
    notify: broadcast::Sender<Notification>,
}

impl Server {
    /// A server with these connection settings.
    pub fn new(opts: Options) -> Self {
        let (notify, _) = broadcast::channel(1024);
        Server { opts, notify }
    }

    /// Notifications from the core (switches connecting, ports changing, errors), for the log
    /// and for tests. A receiver that falls behind loses the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.notify.subscribe()
    }

    /// Accepts switches on `listener` until `shutdown` completes, then closes every
    /// connection (flows stay on the switches).
    ///
    /// # Errors
    /// Only if the listener itself fails beyond recovery; per-connection failures close that
    /// connection only.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let started = StdInstant::now();
        let now = || {
            Instant::from_millis(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
        };
        let (events_tx, mut events_rx) = mpsc::channel::<SwitchEvent>(4096);
        let mut core = Controller::new();
        let mut switches: HashMap<u64, Connected> = HashMap::new();
        let mut next_conn: ConnId = 0;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        next_conn += 1;
                        if let Err(e) = stream.set_nodelay(true) {
                            warn!(%peer, "could not set TCP_NODELAY: {e}");
                        }
                        info!(%peer, conn = next_conn, "switch connecting");
                        tokio::spawn(switch::run(next_conn, stream, peer, self.opts, events_tx.clone()));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
                Some(ev) = events_rx.recv() => {
                    let outputs = match ev {
                        SwitchEvent::Up { conn, features, desc, ports, handle } => {
                            let dp_id = features.datapath_id;
                            let mut outputs = Vec::new();
                            if let Some(mut old) = switches.remove(&dp_id) {
                                warn!(dp_id = format_args!("{dp_id:#x}"), "new connection replaces the old one");
                                close(&mut old.handle, DisconnectReason::Replaced);
                                outputs = core.handle(now(), Event::SwitchDown { dp_id, reason: DisconnectReason::Replaced });
                            }
                            switches.insert(dp_id, Connected { conn, handle });
                            outputs.extend(core.handle(now(), Event::SwitchUp { features, desc, ports }));
                            outputs
                        }
                        SwitchEvent::Core { conn, event } => {
                            if !is_current(&switches, conn, dp_of(&event)) {
                                continue;
                            }
                            core.handle(now(), event)
                        }
                        SwitchEvent::Down { conn, dp_id, reason } => {
                            let Some(dp_id) = dp_id else { continue };
                            if !is_current(&switches, conn, dp_id) {
                                continue;
                            }
                            switches.remove(&dp_id);
                            core.handle(now(), Event::SwitchDown { dp_id, reason })
                        }
                    };
                    self.apply(outputs, &mut switches, &mut core, now());
                }
            }
        }
        for (_, mut sw) in switches.drain() {
            close(
                &mut sw.handle,
                DisconnectReason::ByController("controller shutting down".into()),
            );
        }
        Ok(())
    }

    /// Carries out the core's outputs.
    fn apply(
        &self,
        outputs: Vec<Output>,
        switches: &mut HashMap<u64, Connected>,
        core: &mut Controller,
        now: Instant,
    ) {
        let mut queue = outputs;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for out in queue {
                match out {
                    Output::Send {
                        dp_id,
                        msgs,
                        barrier,
                    } => {
                        let Some(sw) = switches.get_mut(&dp_id) else {
                            continue;
                        };
                        if let Err(mpsc::error::TrySendError::Full(_)) =
                            sw.handle.commands.try_send(Command::Send { msgs, barrier })
                        {
                            // The switch is not reading: drop it rather than queue without
                            // bound. It reconnects and is brought up to date.
                            if let Some(mut sw) = switches.remove(&dp_id) {
                                close(&mut sw.handle, DisconnectReason::Slow);
                            }
                            next.extend(core.handle(
                                now,
                                Event::SwitchDown {
                                    dp_id,
                                    reason: DisconnectReason::Slow,
                                },
                            ));
                        }
                    }
                    Output::Disconnect { dp_id, reason } => {
                        if let Some(mut sw) = switches.remove(&dp_id) {
                            let reason = DisconnectReason::ByController(reason);
                            close(&mut sw.handle, reason.clone());
                            next.extend(core.handle(now, Event::SwitchDown { dp_id, reason }));
                        }
                    }
                    Output::Notify(n) => {
                        match &n {
                            Notification::SwitchError { .. } => warn!("{n}"),
                            _ => info!("{n}"),
                        }
                        // Nobody listening is fine.
                        let _ = self.notify.send(n);
                    }
                }
            }
            queue = next;
        }
    }
}

/// The datapath an event is about.
fn dp_of(event: &Event) -> u64 {
    match event {
        Event::SwitchUp { features, .. } => features.datapath_id,
        Event::SwitchDown { dp_id, .. }
        | Event::Messages { dp_id, .. }
        | Event::BarrierDone { dp_id, .. }
        | Event::SwitchError { dp_id, .. } => *dp_id,
    }
}

/// Whether `conn` is the connection the controller currently uses for `dp_id` (events from a
/// replaced connection are ignored).
fn is_current(switches: &HashMap<u64, Connected>, conn: ConnId, dp_id: u64) -> bool {
    switches.get(&dp_id).is_some_and(|c| c.conn == conn)
}

fn close(handle: &mut SwitchHandle, reason: DisconnectReason) {
    if let Some(tx) = handle.close.take() {
        let _ = tx.send(reason);
    }
}
