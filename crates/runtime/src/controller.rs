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
use std::sync::Arc;
use std::time::Instant as StdInstant;

use sluice_config::Config;
use sluice_core::{Controller, Datapath, DisconnectReason, Event, Instant, Notification, Output};
use sluice_ofp::{Encoded, Message};
use tokio::net::TcpListener;
use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::Options;

mod ha;

use crate::gauge::Gauge;
use crate::switch::{self, Command, ConnId, Stream, SwitchEvent, SwitchHandle};
use crate::telemetry::events::EventQueue;
use crate::telemetry::{self, Published, Telemetry, TelemetryHandle};
pub use ha::HaRole;

/// A connected switch, as the controller task sees it.
struct Connected {
    conn: ConnId,
    handle: SwitchHandle,
}

/// A request to the controller task from outside it (tools, tests).
enum Request {
    /// Send messages to a switch, then a barrier; answer when the barrier is answered.
    Send {
        dp_id: u64,
        msgs: Encoded,
        done: oneshot::Sender<Result<(), SendError>>,
    },
    /// A new configuration, or why one was rejected.
    Config(Result<Box<Config>, String>),
    /// A snapshot of the connected datapaths.
    Datapaths {
        reply: oneshot::Sender<Vec<Datapath>>,
    },
    /// A DP's static flows as last sent, in text form.
    Flows {
        dp_id: u64,
        reply: oneshot::Sender<Option<String>>,
    },
}

/// Why [`ServerHandle::send`] did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No switch with that datapath id is connected.
    #[error("datapath {0:#x} is not connected")]
    NotConnected(u64),
    /// The switch disconnected before answering the barrier.
    #[error("datapath {0:#x} disconnected before answering")]
    Disconnected(u64),
    /// The server has stopped.
    #[error("the controller has stopped")]
    Stopped,
    /// A message could not be encoded (over 64 KiB); nothing was sent.
    #[error("cannot send: {0}")]
    Unsendable(String),
}

/// A handle for talking to a running [`Server`] from other tasks (tools and tests).
#[derive(Debug, Clone)]
pub struct ServerHandle {
    tx: mpsc::Sender<Request>,
}

impl ServerHandle {
    /// Sends `msgs` to a switch in one batch, followed by a barrier, and waits until the
    /// switch has answered the barrier (so every message has been processed).
    ///
    /// # Errors
    /// [`SendError`] if the switch is not connected or goes away first.
    pub async fn send(&self, dp_id: u64, msgs: Vec<Message>) -> Result<(), SendError> {
        let mut encoded = Encoded::new();
        for m in &msgs {
            encoded
                .push(m)
                .map_err(|e| SendError::Unsendable(e.to_string()))?;
        }
        let msgs = encoded;
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Request::Send { dp_id, msgs, done })
            .await
            .map_err(|_| SendError::Stopped)?;
        rx.await.map_err(|_| SendError::Stopped)?
    }

    /// Puts a new configuration in force (a reload): changed DPs are reprogrammed by
    /// difference, removed ones disconnected.
    ///
    /// # Errors
    /// [`SendError::Stopped`] if the server has stopped.
    pub async fn reload(&self, config: Config) -> Result<(), SendError> {
        self.tx
            .send(Request::Config(Ok(Box::new(config))))
            .await
            .map_err(|_| SendError::Stopped)
    }

    /// Reports a configuration that did not load (the one in force stays).
    ///
    /// # Errors
    /// [`SendError::Stopped`] if the server has stopped.
    pub async fn reject_config(&self, errors: String) -> Result<(), SendError> {
        self.tx
            .send(Request::Config(Err(errors)))
            .await
            .map_err(|_| SendError::Stopped)
    }

    /// The connected datapaths and their ports.
    ///
    /// # Errors
    /// [`SendError::Stopped`] if the server has stopped.
    pub async fn datapaths(&self) -> Result<Vec<Datapath>, SendError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Datapaths { reply })
            .await
            .map_err(|_| SendError::Stopped)?;
        rx.await.map_err(|_| SendError::Stopped)
    }
}

impl ServerHandle {
    /// A configured DP's static flows as the controller last sent them, one per line
    /// (`None` if the DP has not connected since the controller started).
    ///
    /// # Errors
    /// [`SendError::Stopped`] if the server has stopped.
    pub async fn flows(&self, dp_id: u64) -> Result<Option<String>, SendError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Flows { dp_id, reply })
            .await
            .map_err(|_| SendError::Stopped)?;
        rx.await.map_err(|_| SendError::Stopped)
    }
}

/// Barrier tokens of sends made through a [`ServerHandle`] have this bit set, so they never
/// collide with the core's.
const HANDLE_TOKEN: u64 = 1 << 63;

/// The OpenFlow controller: a listener, its switch connections and the core.
pub struct Server {
    opts: Options,
    config: Option<Config>,
    seed: u64,
    notify: broadcast::Sender<Notification>,
    requests_tx: mpsc::Sender<Request>,
    requests_rx: mpsc::Receiver<Request>,
    /// With TLS: every connection is TLS, terminated with this.
    tls: Option<TlsAcceptor>,
    /// One of two controllers, in this role.
    ha: Option<HaRole>,
    telemetry: watch::Sender<Arc<Published>>,
    /// Readers ask for a new snapshot through this.
    snapshot_wanted: Arc<Notify>,
    events: Option<(Arc<EventQueue>, Option<std::time::Duration>)>,
    gauge: Option<Gauge>,
}

impl Server {
    /// A server with these connection settings.
    pub fn new(opts: Options) -> Self {
        let (notify, _) = broadcast::channel(1024);
        let (requests_tx, requests_rx) = mpsc::channel(64);
        Server {
            opts,
            config: None,
            seed: 0,
            notify,
            requests_tx,
            requests_rx,
            tls: None,
            ha: None,
            telemetry: watch::Sender::new(Arc::default()),
            snapshot_wanted: Arc::new(Notify::new()),
            events: None,
            gauge: None,
        }
    }

    /// A server that programs the switches of `config`; `seed` drives the core's random
    /// choices (learn-timeout jitter). Switches not in the configuration are disconnected.
    pub fn with_config(opts: Options, config: Config, seed: u64) -> Self {
        Server {
            config: Some(config),
            seed,
            ..Server::new(opts)
        }
    }

    /// Accepts only TLS connections, set up by `tls` (see [`crate::tls::acceptor`]).
    pub fn with_tls(mut self, tls: TlsAcceptor) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Runs as one of two controllers of the same switches, in `role` (see [`HaRole`]).
    pub fn with_ha(mut self, role: HaRole) -> Self {
        self.ha = Some(role);
        self
    }

    /// A handle for sending to switches and asking about them while the server runs.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            tx: self.requests_tx.clone(),
        }
    }

    /// What the controller publishes for metrics, the API and `sluice show` (when a reader
    /// finds the last snapshot over a second old, or there is none yet).
    pub fn telemetry(&self) -> TelemetryHandle {
        telemetry::handle(self.telemetry.subscribe(), self.snapshot_wanted.clone())
    }

    /// Sends FAUCET's events to `queue` (served by [`crate::telemetry::events::serve`]),
    /// with a heartbeat event every `heartbeat` if given (FAUCET_EVENT_SOCK_HEARTBEAT).
    pub fn with_events(
        mut self,
        queue: Arc<EventQueue>,
        heartbeat: Option<std::time::Duration>,
    ) -> Self {
        self.events = Some((queue, heartbeat));
        self
    }

    /// Runs `gauge`'s watchers over the controller's switch connections (see
    /// [`crate::gauge`]).
    pub fn with_gauge(mut self, gauge: Gauge) -> Self {
        self.gauge = Some(gauge);
        self
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
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let (events_tx, mut events_rx) = mpsc::channel::<SwitchEvent>(4096);
        let mut task = Task {
            notify: self.notify.clone(),
            started: StdInstant::now(),
            core: match self.config.take() {
                Some(config) => Controller::with_config(config, self.seed),
                None => Controller::new(),
            },
            switches: HashMap::new(),
            waiting: HashMap::new(),
            next_token: HANDLE_TOKEN,
            ha: self.ha.map(ha::Ha::start),
            telemetry: Telemetry::new(
                self.telemetry.clone(),
                (self.opts.echo_interval, self.opts.dead_after),
            ),
        };
        if let Some((queue, heartbeat)) = self.events.take() {
            task.telemetry.set_events(queue, heartbeat);
        }
        if let Some(gauge) = self.gauge.take() {
            task.telemetry.set_gauge(gauge);
        }
        task.telemetry.started(&task.core);
        // No snapshot until a reader asks for one: with 10,000 DPs one holds tens of MB.
        let mut next_conn: ConnId = 0;
        // Timers in the core (host expiry, bans) advance once a second.
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                        // (At debug: a backup controller checks this address twice a second.)
                        debug!(%peer, conn = next_conn, "switch connecting");
                        let (conn, opts, events) = (next_conn, self.opts, events_tx.clone());
                        match &self.tls {
                            None => {
                                tokio::spawn(switch::run(conn, Stream::Tcp(stream), peer, opts, events));
                            }
                            Some(tls) => {
                                let tls = tls.clone();
                                tokio::spawn(async move {
                                    match crate::tls::terminate(&tls, stream, opts.handshake_timeout).await {
                                        Ok(plain) => switch::run(conn, Stream::Tls(plain), peer, opts, events).await,
                                        Err(e) => warn!(%peer, "TLS handshake failed, connection refused: {e}"),
                                    }
                                });
                            }
                        }
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
                Some(req) = self.requests_rx.recv() => task.request(req),
                () = self.snapshot_wanted.notified() => task.telemetry.publish(task.now(), &task.core),
                _ = tick.tick() => {
                    let mut outputs = task.core.handle(task.now(), Event::Tick);
                    outputs.extend(task.ha_tick());
                    task.apply(outputs);
                    for (dp_id, msgs) in task.telemetry.tick(&task.core) {
                        let mut outputs = Vec::new();
                        task.send(dp_id, Command::Send { msgs, barrier: None }, &mut outputs);
                        task.apply(outputs);
                    }
                }
                Some(ev) = events_rx.recv() => task.switch_event(ev),
            }
        }
        let all: Vec<u64> = task.switches.keys().copied().collect();
        for dp_id in all {
            let reason = DisconnectReason::ByController("controller shutting down".into());
            let outputs = task.drop_switch(dp_id, reason);
            task.apply(outputs);
        }
        Ok(())
    }
}

/// The controller task's state.
struct Task {
    notify: broadcast::Sender<Notification>,
    started: StdInstant,
    core: Controller,
    switches: HashMap<u64, Connected>,
    /// Sends made through a handle, waiting for their barrier: (datapath, token) -> waiter.
    waiting: HashMap<(u64, u64), oneshot::Sender<Result<(), SendError>>>,
    next_token: u64,
    telemetry: Telemetry,
    /// With two controllers: roles, and the switches we are a slave of.
    ha: Option<ha::Ha>,
}

impl Task {
    /// The core's time: milliseconds since the server started.
    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Handles a request from a [`ServerHandle`].
    fn request(&mut self, req: Request) {
        match req {
            Request::Send { dp_id, msgs, done } => {
                if !self.switches.contains_key(&dp_id) {
                    let _ = done.send(Err(SendError::NotConnected(dp_id)));
                    return;
                }
                self.next_token += 1;
                let token = self.next_token;
                let mut outputs = Vec::new();
                if self.send(
                    dp_id,
                    Command::Send {
                        msgs,
                        barrier: Some(token),
                    },
                    &mut outputs,
                ) {
                    self.waiting.insert((dp_id, token), done);
                } else {
                    let _ = done.send(Err(SendError::Disconnected(dp_id)));
                }
                self.apply(outputs);
            }
            Request::Config(Ok(config)) => {
                let outputs = self.core.handle(self.now(), Event::Reload(config));
                self.apply(outputs);
            }
            Request::Config(Err(errors)) => {
                self.apply(vec![Output::Notify(Notification::ConfigRejected {
                    errors,
                })]);
            }
            Request::Datapaths { reply } => {
                let _ = reply.send(self.core.datapaths().cloned().collect());
            }
            Request::Flows { dp_id, reply } => {
                let flows = self
                    .core
                    .valve(dp_id)
                    .map(|v| v.installed().flows.to_string());
                let _ = reply.send(flows);
            }
        }
    }

    /// Handles an event from a switch connection.
    fn switch_event(&mut self, ev: SwitchEvent) {
        let now = self.now();
        let outputs = match ev {
            SwitchEvent::Up {
                conn,
                features,
                desc,
                ports,
                handle,
            } => {
                let dp_id = features.datapath_id;
                if self.ha.is_some() {
                    self.telemetry.switch_up(dp_id, desc.as_deref());
                    let outputs = self.ha_up(conn, features, desc, ports, handle);
                    self.apply(outputs);
                    return;
                }
                let mut outputs = Vec::new();
                if self.switches.contains_key(&dp_id) {
                    warn!(
                        dp_id = format_args!("{dp_id:#x}"),
                        "new connection replaces the old one"
                    );
                    outputs = self.drop_switch(dp_id, DisconnectReason::Replaced);
                }
                self.switches.insert(dp_id, Connected { conn, handle });
                self.telemetry.switch_up(dp_id, desc.as_deref());
                outputs.extend(self.core.handle(
                    now,
                    Event::SwitchUp {
                        features,
                        desc,
                        ports,
                    },
                ));
                outputs
            }
            SwitchEvent::Core { conn, event } => {
                if !self.is_current(conn, dp_of(&event)) {
                    return;
                }
                if let Event::BarrierDone { dp_id, token } = event
                    && token & HANDLE_TOKEN != 0
                {
                    if let Some(done) = self.waiting.remove(&(dp_id, token)) {
                        let _ = done.send(Ok(()));
                    }
                    return;
                }
                let mut outputs = Vec::new();
                let event = if self.ha.is_some() {
                    match self.ha_filter(event, &mut outputs) {
                        Some(e) => e,
                        None => {
                            self.apply(outputs);
                            return;
                        }
                    }
                } else {
                    event
                };
                let (dp_id, packet_ins) = (dp_of(&event), telemetry::packet_ins(&event));
                let mut event = event;
                self.telemetry.stats_replies(&self.core, &mut event);
                self.telemetry.learning_frames(&event);
                let started = (packet_ins > 0).then(StdInstant::now);
                outputs.extend(self.core.handle(now, event));
                if let Some(t) = started {
                    self.telemetry
                        .packet_ins_took(dp_id, t.elapsed(), packet_ins);
                }
                outputs
            }
            SwitchEvent::Down {
                conn,
                dp_id,
                reason,
            } => {
                let Some(dp_id) = dp_id else { return };
                if !self.is_current(conn, dp_id) {
                    return;
                }
                self.ha_down(dp_id);
                self.drop_switch(dp_id, reason)
            }
        };
        self.apply(outputs);
    }

    /// Whether `conn` is the connection in use for `dp_id` (events from a replaced or dropped
    /// connection are ignored).
    fn is_current(&self, conn: ConnId, dp_id: u64) -> bool {
        self.switches.get(&dp_id).is_some_and(|c| c.conn == conn)
    }

    /// Forgets a switch: closes its connection, fails the sends waiting on it, and tells the
    /// core. Returns the core's reaction.
    fn drop_switch(&mut self, dp_id: u64, reason: DisconnectReason) -> Vec<Output> {
        let Some(mut sw) = self.switches.remove(&dp_id) else {
            return Vec::new();
        };
        if let Some(tx) = sw.handle.close.take() {
            let _ = tx.send(reason.clone());
        }
        let gone: Vec<_> = self
            .waiting
            .keys()
            .filter(|(dp, _)| *dp == dp_id)
            .copied()
            .collect();
        for key in gone {
            if let Some(done) = self.waiting.remove(&key) {
                let _ = done.send(Err(SendError::Disconnected(dp_id)));
            }
        }
        self.core
            .handle(self.now(), Event::SwitchDown { dp_id, reason })
    }

    /// Queues a command for a switch. A switch whose queue is full is not reading: it is
    /// dropped rather than queued for without bound (it reconnects and is brought up to
    /// date), and the core's reaction is added to `outputs`. Returns whether it was queued.
    fn send(&mut self, dp_id: u64, cmd: Command, outputs: &mut Vec<Output>) -> bool {
        let Some(sw) = self.switches.get_mut(&dp_id) else {
            return false;
        };
        match sw.handle.commands.try_send(cmd) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                outputs.extend(self.drop_switch(dp_id, DisconnectReason::Slow));
                false
            }
            // The connection is ending; its Down event is on the way.
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Carries out the core's outputs (and the outputs of its reactions to them).
    fn apply(&mut self, outputs: Vec<Output>) {
        let mut queue = outputs;
        while !queue.is_empty() {
            self.telemetry.observe(&self.core, &queue);
            let mut next = Vec::new();
            for out in queue {
                match out {
                    Output::Send {
                        dp_id,
                        msgs,
                        barrier,
                    } => {
                        self.send(dp_id, Command::Send { msgs, barrier }, &mut next);
                    }
                    Output::Disconnect { dp_id, reason } => {
                        next.extend(
                            self.drop_switch(dp_id, DisconnectReason::ByController(reason)),
                        );
                    }
                    Output::Notify(n) => {
                        match &n {
                            Notification::SwitchError { .. }
                            | Notification::DpUnknown { .. }
                            | Notification::Unsendable { .. } => {
                                warn!("{n}")
                            }
                            Notification::ConfigRejected { .. } => {
                                tracing::error!("{n}")
                            }
                            // Per-host events are many; they go to the event stream, and to
                            // the log only at debug level.
                            Notification::HostLearned { .. } | Notification::HostExpired { .. } => {
                                debug!("{n}")
                            }
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
        // Ticks and reloads come from the controller task, never from a connection.
        Event::Tick | Event::Reload(_) => 0,
    }
}
