//! One emulated switch: a TCP connection to the controller under test, answering it as an
//! OpenFlow 1.3 switch would, and sending packet-ins when told to learn.
//!
//! The switch is reactive: it sends HELLO, then answers whatever the controller asks
//! (FEATURES, PORT_DESC and DESC from the configuration, empty flow, group and meter dumps,
//! GET_CONFIG, ROLE, GET_ASYNC, BARRIER and ECHO). It counts the flow, group and meter mods it
//! receives and stamps when the first and last arrived, and when it last answered a barrier,
//! so the run can say when the switch was programmed. A malformed message from the
//! controller ends this switch only, with the reason recorded.
//!
//! Reads take everything the socket has; writes go out as one buffer per pass of the loop,
//! so a batch of packet-ins is one `write`.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use sluice_ofp::msg::error::BadRequestCode;
use sluice_ofp::msg::hello::Hello;
use sluice_ofp::msg::multipart::{
    AggregateStats, Desc, GroupFeatures, MeterFeatures, MultipartFlags, MultipartReply,
    MultipartReplyBody, MultipartRequestBody,
};
use sluice_ofp::msg::queue::QueueConfig;
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::msg::switch::{Capabilities, ConfigFlags, SwitchConfig, SwitchFeatures};
use sluice_ofp::port::{PortConfig, PortFeatures, PortState};
use sluice_ofp::{ErrorMsg, FixedStr, Message, OFP_VERSION, OfError, Port, PortNo, frame_len};
use sluice_wire::MacAddr;
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::frames::{self, Command, MAX_HOSTS_PER_SWITCH, host_mac, parse_host_mac};
use crate::inbox::{self, Inbox};
use crate::topo::SwitchSpec;

/// Nanoseconds since the start of the run: the time base of every stamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            epoch: Instant::now(),
        }
    }

    /// `t` in nanoseconds since the epoch.
    pub(crate) fn ns(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Now, in nanoseconds since the epoch.
    pub(crate) fn now(&self) -> u64 {
        self.ns(Instant::now())
    }
}

/// A time in nanoseconds since the run's epoch, set from any thread; unset until first set.
#[derive(Debug)]
pub(crate) struct Stamp(AtomicU64);

impl Stamp {
    const UNSET: u64 = u64::MAX;

    pub(crate) const fn new() -> Self {
        Stamp(AtomicU64::new(Self::UNSET))
    }

    pub(crate) fn set(&self, ns: u64) {
        self.0.store(ns.min(Self::UNSET - 1), Relaxed);
    }

    /// Sets the stamp unless it is already set.
    pub(crate) fn set_once(&self, ns: u64) {
        let _ = self
            .0
            .compare_exchange(Self::UNSET, ns.min(Self::UNSET - 1), Relaxed, Relaxed);
    }

    /// Unsets the stamp.
    pub(crate) fn reset(&self) {
        self.0.store(Self::UNSET, Relaxed);
    }

    pub(crate) fn get(&self) -> Option<u64> {
        match self.0.load(Relaxed) {
            Self::UNSET => None,
            v => Some(v),
        }
    }
}

/// Counters of one switch, read by the run while the switch works.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) flow_adds: AtomicU64,
    pub(crate) flow_modifies: AtomicU64,
    pub(crate) flow_deletes: AtomicU64,
    pub(crate) group_mods: AtomicU64,
    pub(crate) meter_mods: AtomicU64,
    pub(crate) other_mods: AtomicU64,
    pub(crate) packet_outs: AtomicU64,
    pub(crate) barriers: AtomicU64,
    pub(crate) echo_requests: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) packet_ins: AtomicU64,
    pub(crate) learned: AtomicU64,
    pub(crate) lost: AtomicU64,
    /// Flow mods for one of this switch's hosts that no outstanding packet-in explains (an
    /// answer after its packet-in timed out, or a third flow for one host).
    pub(crate) stray: AtomicU64,
    /// Flow mods that delete a host's flows.
    pub(crate) host_deletes: AtomicU64,
}

impl Counts {
    /// Group and meter mods.
    pub(crate) fn group_meters(&self) -> u64 {
        self.group_mods.load(Relaxed) + self.meter_mods.load(Relaxed)
    }
}

/// What the run sees of one switch.
#[derive(Debug)]
pub(crate) struct SwitchStats {
    pub(crate) connect_start: Stamp,
    pub(crate) connected: Stamp,
    /// FEATURES_REPLY sent.
    pub(crate) handshake: Stamp,
    pub(crate) first_mod: Stamp,
    pub(crate) last_mod: Stamp,
    pub(crate) last_barrier: Stamp,
    /// The first mod received at or after `mark_from` (see [`SwitchStats::reset_mark`]).
    pub(crate) mark: Stamp,
    mark_from: AtomicU64,
    pub(crate) counts: Counts,
    /// Why the connection ended, once it has.
    pub(crate) ended: Mutex<Option<String>>,
    /// The first ERROR the controller sent, in text.
    pub(crate) first_error: Mutex<Option<String>>,
    /// Set when the current learn run's packet-ins are all answered or lost.
    pub(crate) learn_done: AtomicBool,
    /// Packet-in to flow-mod latencies of the current learn run, in nanoseconds.
    pub(crate) latency: Mutex<Option<Latencies>>,
}

impl SwitchStats {
    pub(crate) fn new() -> Self {
        SwitchStats {
            connect_start: Stamp::new(),
            connected: Stamp::new(),
            handshake: Stamp::new(),
            first_mod: Stamp::new(),
            last_mod: Stamp::new(),
            last_barrier: Stamp::new(),
            mark: Stamp::new(),
            mark_from: AtomicU64::new(u64::MAX),
            counts: Counts::default(),
            ended: Mutex::new(None),
            first_error: Mutex::new(None),
            learn_done: AtomicBool::new(false),
            latency: Mutex::new(None),
        }
    }

    /// Makes [`SwitchStats::mark`] the time of the first mod from `from` on.
    pub(crate) fn reset_mark(&self, from: u64) {
        self.mark.reset();
        self.mark_from.store(from, Relaxed);
    }

    /// Whether the connection has ended.
    pub(crate) fn has_ended(&self) -> bool {
        self.ended.lock().is_ok_and(|e| e.is_some())
    }

    fn end(&self, why: String) {
        if let Ok(mut e) = self.ended.lock() {
            e.get_or_insert(why);
        }
    }

    /// Every mod (flow, group, meter, other) received so far.
    pub(crate) fn mods(&self) -> u64 {
        let c = &self.counts;
        c.flow_adds.load(Relaxed)
            + c.flow_modifies.load(Relaxed)
            + c.flow_deletes.load(Relaxed)
            + c.group_mods.load(Relaxed)
            + c.meter_mods.load(Relaxed)
            + c.other_mods.load(Relaxed)
    }
}

/// A new histogram for latencies from 1 ns to 100 s, 3 significant digits.
pub(crate) fn latency_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts.
    #[allow(clippy::unwrap_used)]
    Histogram::new_with_bounds(1, 100_000_000_000, 3).unwrap()
}

/// When a switch got something from the controller, in nanoseconds of the run's clock.
#[derive(Debug, Clone, Copy)]
struct Times {
    /// When the switch read it.
    read: u64,
    /// When it reached the switch's socket (the read time if the kernel did not say).
    arrived: u64,
}

/// Packet-in to flow-mod latencies of a learn run, in nanoseconds.
#[derive(Debug)]
pub(crate) struct Latencies {
    /// Until the flows reached the switch's socket: the controller's latency.
    pub(crate) arrived: Histogram<u64>,
    /// Until the switch read them: with the generator's own wake-up.
    pub(crate) read: Histogram<u64>,
}

impl Latencies {
    fn new() -> Self {
        Latencies {
            arrived: latency_histogram(),
            read: latency_histogram(),
        }
    }

    fn record(&mut self, sent_ns: u64, times: Times) {
        for (h, t) in [
            (&mut self.arrived, times.arrived),
            (&mut self.read, times.read),
        ] {
            h.saturating_record(t.saturating_sub(sent_ns).max(1));
        }
    }

    pub(crate) fn add(&mut self, other: &Latencies) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.arrived.add(&other.arrived);
        let _ = self.read.add(&other.read);
    }
}

/// Hosts learned by all switches together, and when the total crossed each twentieth of the
/// run's hosts.
#[derive(Debug)]
pub(crate) struct LearnProgress {
    pub(crate) learned: AtomicU64,
    /// When the last host was learned.
    pub(crate) last: Stamp,
    /// Hosts per mark.
    pub(crate) step: u64,
    /// `marks[i]`: when the total reached `(i + 1) * step`.
    pub(crate) marks: Vec<Stamp>,
}

/// How many marks a learn run keeps: one per 5% of its hosts.
pub(crate) const MARKS: u64 = 20;

impl LearnProgress {
    pub(crate) fn new(total: u64) -> Self {
        let step = (total / MARKS).max(1);
        LearnProgress {
            learned: AtomicU64::new(0),
            last: Stamp::new(),
            step,
            marks: (0..total / step).map(|_| Stamp::new()).collect(),
        }
    }

    fn add(&self, n: u64, now_ns: u64) {
        let before = self.learned.fetch_add(n, Relaxed);
        self.last.set(now_ns);
        for m in before / self.step..(before + n) / self.step {
            if let Some(mark) = usize::try_from(m).ok().and_then(|m| self.marks.get(m)) {
                mark.set(now_ns);
            }
        }
    }
}

/// A learn run, as every switch receives it.
#[derive(Debug, Clone)]
pub(crate) struct LearnPlan {
    /// Distinguishes runs, so a switch starts each once.
    pub(crate) id: u32,
    /// Hosts over all switches; switch `i` takes `total / n`, plus one if `i < total % n`.
    pub(crate) total: u64,
    /// Host numbers of this run start here on every switch (after earlier runs' hosts).
    pub(crate) base: u32,
    /// Packet-ins outstanding at most, per switch.
    pub(crate) window: u32,
    /// Packet-ins per second per switch; 0 for as fast as the window allows.
    pub(crate) rate: f64,
    /// After this, an unanswered packet-in counts as lost.
    pub(crate) timeout: Duration,
    pub(crate) progress: Arc<LearnProgress>,
    /// Woken often by the pacer thread while a paced run lasts.
    pub(crate) pacer: Option<Arc<Notify>>,
}

/// What the run asks every switch to do.
#[derive(Debug, Clone)]
pub(crate) enum Phase {
    /// Answer the controller, keep the connection alive.
    Hold,
    /// Send packet-ins.
    Learn(LearnPlan),
    /// Close the connection.
    Stop,
}

/// What one switch task needs.
pub(crate) struct SwitchTask {
    /// Its position among the emulated switches (in its hosts' MACs).
    pub(crate) index: u16,
    /// Its total number.
    pub(crate) count: u64,
    pub(crate) spec: Arc<SwitchSpec>,
    pub(crate) stats: Arc<SwitchStats>,
    pub(crate) clock: Clock,
    pub(crate) addr: SocketAddr,
    pub(crate) phase: watch::Receiver<Phase>,
    /// Limits how many switches are between TCP connect and FEATURES_REPLY at once.
    pub(crate) connecting: Arc<Semaphore>,
    /// Silence after which the switch sends an echo request.
    pub(crate) echo_interval: Duration,
}

/// One outstanding packet-in.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Host number + 1; 0 when free.
    host: u32,
    sent_ns: u64,
    /// Bit 0: the eth_src flow arrived; bit 1: the eth_dst flow.
    seen: u8,
}

/// A switch's part of a learn run.
struct Learner {
    plan: LearnPlan,
    quota: u32,
    /// Hosts sent (numbers `base .. base + next`).
    next: u32,
    slots: Vec<Slot>,
    mask: u32,
    outstanding: u32,
    /// The lowest host offset that may still be outstanding.
    oldest: u32,
    start: Instant,
    latencies: Latencies,
}

impl Learner {
    fn new(plan: LearnPlan, index: u16, count: u64) -> Self {
        let share =
            plan.total / count.max(1) + u64::from(u64::from(index) < plan.total % count.max(1));
        let room = MAX_HOSTS_PER_SWITCH.saturating_sub(plan.base);
        let quota = u32::try_from(share).unwrap_or(u32::MAX).min(room);
        let size = (plan.window.max(1) * 2).next_power_of_two();
        Learner {
            quota,
            next: 0,
            slots: vec![Slot::default(); size as usize],
            mask: size - 1,
            outstanding: 0,
            oldest: 0,
            start: Instant::now(),
            latencies: Latencies::new(),
            plan,
        }
    }

    fn done(&self) -> bool {
        self.next == self.quota && self.outstanding == 0
    }

    /// How many packet-ins may go now.
    fn can_send(&self, now: Instant) -> u32 {
        let mut n = (self.quota - self.next).min(self.plan.window.saturating_sub(self.outstanding));
        if self.plan.rate > 0.0 {
            let due =
                (now.saturating_duration_since(self.start).as_secs_f64() * self.plan.rate) as u64;
            let due = u32::try_from(due)
                .unwrap_or(u32::MAX)
                .saturating_sub(self.next);
            n = n.min(due);
        }
        n
    }

    /// Frees timed-out slots and steps `oldest` past answered ones; returns how many were
    /// lost.
    fn expire(&mut self, now_ns: u64) -> u64 {
        let timeout = u64::try_from(self.plan.timeout.as_nanos()).unwrap_or(u64::MAX);
        let mut lost = 0;
        while self.oldest < self.next {
            let slot = &mut self.slots[(self.oldest & self.mask) as usize];
            if slot.host == self.oldest + 1 {
                if now_ns.saturating_sub(slot.sent_ns) < timeout {
                    break;
                }
                slot.host = 0;
                self.outstanding -= 1;
                lost += 1;
            }
            self.oldest += 1;
        }
        lost
    }

    /// When the oldest outstanding packet-in times out, if one is outstanding.
    fn next_timeout(&self, clock: &Clock) -> Option<Instant> {
        let slot = self.slots[(self.oldest & self.mask) as usize];
        (self.oldest < self.next && slot.host == self.oldest + 1)
            .then(|| clock.epoch + Duration::from_nanos(slot.sent_ns) + self.plan.timeout)
    }
}

/// Why the switch stops.
type End = String;

/// The switch's connection state.
struct Emu {
    task: SwitchTask,
    stream: TcpStream,
    inbox: Inbox,
    wbuf: Vec<u8>,
    wpos: usize,
    next_xid: u32,
    config: SwitchConfig,
    async_config: AsyncConfig,
    last_rx: Instant,
    echo_sent: bool,
    permit: Option<OwnedSemaphorePermit>,
    learner: Option<Learner>,
    /// Id of the last learn run started, so a run is started once.
    last_run: Option<u32>,
}

/// Runs one emulated switch until the run stops it or the connection ends.
pub(crate) async fn run(task: SwitchTask) {
    let stats = task.stats.clone();
    let why = match connect_and_serve(task).await {
        Ok(()) => "stopped by the run".to_string(),
        Err(why) => why,
    };
    stats.end(why);
    // A switch that ends in the middle of a learn run is done with it.
    stats.learn_done.store(true, Relaxed);
}

async fn connect_and_serve(task: SwitchTask) -> Result<(), End> {
    let permit = task
        .connecting
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| "the run ended".to_string())?;
    task.stats.connect_start.set(task.clock.now());
    let stream = TcpStream::connect(task.addr)
        .await
        .map_err(|e| format!("connect to {}: {e}", task.addr))?;
    task.stats.connected.set(task.clock.now());
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    // Without stamps the read time stands in for the arrival time (see `inbox`).
    let _ = inbox::stamp_arrivals(&stream);
    let mut emu = Emu {
        task,
        stream,
        inbox: Inbox::default(),
        wbuf: Vec::with_capacity(4 * 1024),
        wpos: 0,
        next_xid: 1,
        config: SwitchConfig {
            flags: ConfigFlags::empty(),
            miss_send_len: 128,
        },
        async_config: AsyncConfig::default(),
        last_rx: Instant::now(),
        echo_sent: false,
        permit: Some(permit),
        learner: None,
        last_run: None,
    };
    let result = emu.serve().await;
    emu.finish_learning();
    result
}

impl Emu {
    fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        x
    }

    fn send(&mut self, xid: u32, msg: &Message) {
        // Every message the switch builds is small; a failure would be a bug in this file.
        if let Err(e) = msg.encode(xid, &mut self.wbuf) {
            self.task
                .stats
                .end(format!("could not encode {}: {e}", msg.type_name()));
        }
    }

    fn unsent(&self) -> usize {
        self.wbuf.len() - self.wpos
    }

    fn flush(&mut self) -> Result<(), End> {
        while self.wpos < self.wbuf.len() {
            match self.stream.try_write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err("the controller closed the connection".into()),
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        Ok(())
    }

    /// Reads what the socket has (up to 4 MiB). Returns whether the stream is still open,
    /// and when the last of what was read arrived, if the kernel stamped all of it.
    fn fill(&mut self) -> Result<(bool, Option<u64>), End> {
        let mut total = 0;
        let mut latest = None;
        let mut all_stamped = true;
        let open = loop {
            match self.inbox.read(&self.stream, &self.task.clock) {
                Ok((0, _)) => break false,
                Ok((n, stamp)) => {
                    match stamp {
                        Some(_) => latest = latest.max(stamp),
                        None => all_stamped = false,
                    }
                    total += n;
                    if total >= 4 << 20 {
                        break true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        };
        Ok((open, latest.filter(|_| all_stamped)))
    }

    async fn serve(&mut self) -> Result<(), End> {
        self.send(0, &Message::Hello(Hello::with_versions(&[OFP_VERSION])));
        self.flush()?;
        let timer = tokio::time::sleep(self.task.echo_interval);
        tokio::pin!(timer);
        loop {
            let phase = self.task.phase.borrow_and_update().clone();
            match phase {
                Phase::Stop => return Ok(()),
                Phase::Hold => self.finish_learning(),
                Phase::Learn(plan) => {
                    if self.last_run != Some(plan.id) {
                        self.finish_learning();
                        self.last_run = Some(plan.id);
                        self.task.stats.learn_done.store(false, Relaxed);
                        self.learner = Some(Learner::new(plan, self.task.index, self.task.count));
                        self.check_learn_done();
                    }
                }
            }
            self.send_packet_ins();
            self.flush()?;
            let deadline = self.deadline();
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            let interest = if self.unsent() > 0 {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let pacer = self
                .learner
                .as_ref()
                .filter(|l| l.next < l.quota)
                .and_then(|l| l.plan.pacer.clone());
            tokio::select! {
                biased;
                changed = self.task.phase.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                ready = self.stream.ready(interest) => {
                    let ready = ready.map_err(|e| format!("poll: {e}"))?;
                    if ready.is_readable() {
                        let (open, arrived) = self.fill()?;
                        self.handle_frames(arrived)?;
                        if !open {
                            return Err(if self.inbox.is_empty() {
                                "the controller closed the connection".into()
                            } else {
                                format!("the controller closed the connection {} bytes into a message", self.inbox.len())
                            });
                        }
                    }
                }
                () = async { if let Some(p) = &pacer { p.notified().await } }, if pacer.is_some() => {}
                () = &mut timer => self.on_timer(),
            }
        }
    }

    /// When the switch must next look at the clock: an echo to send, a packet-in to time
    /// out, or (for a paced run without a pacer tick) the next packet-in due.
    fn deadline(&self) -> Instant {
        let mut d = self.last_rx + self.task.echo_interval;
        if let Some(l) = &self.learner {
            if let Some(t) = l.next_timeout(&self.task.clock) {
                d = d.min(t);
            }
            if l.plan.rate > 0.0 && l.next < l.quota {
                d = d.min(Instant::now() + Duration::from_millis(1));
            }
        }
        d
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if now >= self.last_rx + self.task.echo_interval && !self.echo_sent {
            let xid = self.xid();
            self.send(xid, &Message::EchoRequest(bytes::Bytes::new()));
            self.echo_sent = true;
        }
        if let Some(l) = &mut self.learner {
            let lost = l.expire(self.task.clock.ns(now));
            if lost > 0 {
                self.task.stats.counts.lost.fetch_add(lost, Relaxed);
            }
            self.check_learn_done();
        }
    }

    /// Fills the window with new packet-ins.
    fn send_packet_ins(&mut self) {
        let Some(l) = &mut self.learner else { return };
        let templates = &self.task.spec.learn;
        if templates.is_empty() {
            return;
        }
        let now = Instant::now();
        let n = l.can_send(now);
        if n == 0 {
            return;
        }
        let now_ns = self.task.clock.ns(now);
        self.wbuf.reserve(n as usize * templates[0].len());
        let mut sent = 0;
        for _ in 0..n {
            let offset = l.next;
            let slot = &mut l.slots[(offset & l.mask) as usize];
            if slot.host != 0 {
                break; // the slot's old packet-in is still outstanding
            }
            let host = l.plan.base + offset;
            *slot = Slot {
                host: offset + 1,
                sent_ns: now_ns,
                seen: 0,
            };
            let xid = self.next_xid;
            self.next_xid = self.next_xid.wrapping_add(1).max(1);
            templates[host as usize % templates.len()].push(
                &mut self.wbuf,
                xid,
                host_mac(self.task.index, host),
            );
            l.next += 1;
            l.outstanding += 1;
            sent += 1;
        }
        self.task.stats.counts.packet_ins.fetch_add(sent, Relaxed);
    }

    /// Ends the current learn run's part on this switch: its latencies go to the stats.
    fn finish_learning(&mut self) {
        if let Some(l) = self.learner.take() {
            self.publish_latency(l.latencies);
            self.task.stats.learn_done.store(true, Relaxed);
        }
    }

    fn publish_latency(&self, latencies: Latencies) {
        if let Ok(mut h) = self.task.stats.latency.lock() {
            match h.as_mut() {
                Some(h) => h.add(&latencies),
                None => *h = Some(latencies),
            }
        }
    }

    fn check_learn_done(&mut self) {
        if self.learner.as_ref().is_some_and(Learner::done) {
            self.finish_learning();
        }
    }

    /// Handles every complete frame in the read buffer; the last of them arrived at
    /// `arrived`, if known.
    fn handle_frames(&mut self, arrived: Option<u64>) -> Result<(), End> {
        let now = Instant::now();
        let now_ns = self.task.clock.ns(now);
        let times = Times {
            read: now_ns,
            arrived: arrived.map_or(now_ns, |a| a.min(now_ns)),
        };
        let mut tally = Tally::default();
        // The frames are handled in place; the buffer is advanced past them once.
        let inbox = std::mem::take(&mut self.inbox);
        let rbuf = inbox.data();
        let mut at = 0;
        let result = loop {
            let len = match frame_len(&rbuf[at..]) {
                Ok(Some(len)) => len,
                Ok(None) => break Ok(()),
                Err(e) => break Err(format!("malformed message from the controller: {e}")),
            };
            let frame = &rbuf[at..at + len];
            at += len;
            let handled = if frame[1] == frames::FLOW_MOD {
                self.flow_mod(frame, times, &mut tally)
            } else {
                self.message(frame, now_ns, &mut tally)
            };
            if let Err(e) = handled {
                break Err(e);
            }
        };
        let got_any = at > 0;
        self.inbox = inbox;
        self.inbox.consume(at);
        result?;
        if !got_any {
            return Ok(());
        }
        self.last_rx = now;
        self.echo_sent = false;
        tally.publish(&self.task.stats, now_ns);
        if let Some(l) = &mut self.learner {
            let lost = l.expire(now_ns);
            tally.lost += lost;
            if tally.learned > 0 {
                l.plan.progress.add(tally.learned, now_ns);
            }
        }
        let c = &self.task.stats.counts;
        for (counter, n) in [
            (&c.learned, tally.learned),
            (&c.lost, tally.lost),
            (&c.stray, tally.stray),
            (&c.host_deletes, tally.host_deletes),
        ] {
            if n > 0 {
                counter.fetch_add(n, Relaxed);
            }
        }
        self.check_learn_done();
        Ok(())
    }

    fn flow_mod(&mut self, frame: &[u8], times: Times, tally: &mut Tally) -> Result<(), End> {
        let Some(fm) = frames::scan_flow_mod(frame) else {
            return Err(format!(
                "malformed FLOW_MOD from the controller ({} bytes)",
                frame.len()
            ));
        };
        match fm.command {
            Command::Add => tally.adds += 1,
            Command::Modify => tally.modifies += 1,
            Command::Delete => tally.deletes += 1,
        }
        let index = self.task.index;
        let host = |mac: Option<[u8; 6]>| {
            mac.and_then(|m| parse_host_mac(&m))
                .filter(|(s, _)| *s == index)
                .map(|(_, h)| h)
        };
        let (src, dst) = (host(fm.eth_src), host(fm.eth_dst));
        let Some((h, bit)) = src.map(|h| (h, 1u8)).or(dst.map(|h| (h, 2u8))) else {
            return Ok(());
        };
        if fm.command == Command::Delete {
            tally.host_deletes += 1;
            return Ok(());
        }
        let Some(l) = &mut self.learner else {
            tally.stray += 1;
            return Ok(());
        };
        let Some(offset) = h.checked_sub(l.plan.base).filter(|o| *o < l.next) else {
            tally.stray += 1;
            return Ok(());
        };
        let slot = &mut l.slots[(offset & l.mask) as usize];
        if slot.host != offset + 1 || slot.seen & bit != 0 {
            tally.stray += 1;
            return Ok(());
        }
        slot.seen |= bit;
        if slot.seen == 3 {
            l.latencies.record(slot.sent_ns, times);
            slot.host = 0;
            l.outstanding -= 1;
            tally.learned += 1;
        }
        Ok(())
    }

    /// Answers (or counts) any message but a FLOW_MOD.
    fn message(&mut self, frame: &[u8], now_ns: u64, tally: &mut Tally) -> Result<(), End> {
        let (header, msg) = Message::decode_slice(frame)
            .map_err(|e| format!("malformed message from the controller: {e}"))?;
        let xid = header.xid;
        match msg {
            Message::Hello(_) => {}
            Message::FeaturesRequest => {
                let features = SwitchFeatures {
                    datapath_id: self.task.spec.dp_id,
                    n_buffers: 0,
                    n_tables: 254,
                    auxiliary_id: 0,
                    capabilities: Capabilities::FLOW_STATS
                        | Capabilities::TABLE_STATS
                        | Capabilities::PORT_STATS
                        | Capabilities::GROUP_STATS
                        | Capabilities::QUEUE_STATS,
                    reserved: 0,
                };
                self.send(xid, &Message::FeaturesReply(features));
                self.task.stats.handshake.set_once(now_ns);
                self.permit = None;
            }
            Message::GetConfigRequest => self.send(xid, &Message::GetConfigReply(self.config)),
            Message::SetConfig(c) => self.config = c,
            Message::GetAsyncRequest => {
                self.send(xid, &Message::GetAsyncReply(self.async_config));
            }
            Message::SetAsync(a) => self.async_config = a,
            Message::RoleRequest(r) => self.send(xid, &Message::RoleReply(r)),
            Message::BarrierRequest => {
                self.send(xid, &Message::BarrierReply);
                tally.barriers += 1;
            }
            Message::EchoRequest(data) => {
                self.send(xid, &Message::EchoReply(data));
                tally.echo_requests += 1;
            }
            Message::EchoReply(_) => {}
            Message::QueueGetConfigRequest(port) => self.send(
                xid,
                &Message::QueueGetConfigReply(QueueConfig {
                    port,
                    queues: Vec::new(),
                }),
            ),
            Message::MultipartRequest(req) => self.multipart(xid, req.body, frame),
            Message::GroupMod(_) => tally.groups += 1,
            Message::MeterMod(_) => tally.meters += 1,
            Message::PortMod(_) | Message::TableMod(_) => tally.other_mods += 1,
            Message::PacketOut(_) => tally.packet_outs += 1,
            Message::Error(e) => {
                tally.errors += 1;
                if let Ok(mut first) = self.task.stats.first_error.lock() {
                    first.get_or_insert_with(|| e.to_string());
                }
            }
            Message::Unknown { .. } => {
                self.send(
                    xid,
                    &Message::Error(ErrorMsg::for_request(
                        OfError::BadRequest(BadRequestCode::BadType),
                        frame,
                    )),
                );
            }
            // Messages only a switch sends, and experimenter messages: nothing to answer.
            _ => {}
        }
        Ok(())
    }

    /// Answers a multipart request: the configuration's ports and a description, empty
    /// tables for every dump, zero features.
    fn multipart(&mut self, xid: u32, body: MultipartRequestBody, frame: &[u8]) {
        let reply = match body {
            MultipartRequestBody::Desc => MultipartReplyBody::Desc(Box::new(Desc {
                mfr_desc: FixedStr::new("sluice"),
                hw_desc: FixedStr::new("sluice bench emulated switch"),
                sw_desc: FixedStr::new(env!("CARGO_PKG_VERSION")),
                serial_num: FixedStr::new("0"),
                dp_desc: FixedStr::new(&self.task.spec.name),
            })),
            MultipartRequestBody::PortDesc => {
                let ports: Vec<Port> = self
                    .task
                    .spec
                    .ports
                    .iter()
                    .map(|(no, name)| port(*no, name))
                    .collect();
                // A reply must fit in 64 KiB: 512 ports (32 KiB) per part.
                let parts: Vec<_> = ports.chunks(512).collect();
                let last = parts.len().saturating_sub(1);
                for (i, part) in parts.iter().enumerate() {
                    let mut reply =
                        MultipartReply::new(MultipartReplyBody::PortDesc(part.to_vec()));
                    if i < last {
                        reply.flags = MultipartFlags::MORE;
                    }
                    self.send(xid, &Message::MultipartReply(reply));
                }
                if parts.is_empty() {
                    self.send(
                        xid,
                        &Message::MultipartReply(MultipartReply::new(
                            MultipartReplyBody::PortDesc(Vec::new()),
                        )),
                    );
                }
                return;
            }
            MultipartRequestBody::Flow(_) => MultipartReplyBody::Flow(Vec::new()),
            MultipartRequestBody::Aggregate(_) => {
                MultipartReplyBody::Aggregate(AggregateStats::default())
            }
            MultipartRequestBody::Table => MultipartReplyBody::Table(Vec::new()),
            MultipartRequestBody::PortStats(_) => MultipartReplyBody::PortStats(Vec::new()),
            MultipartRequestBody::Queue { .. } => MultipartReplyBody::Queue(Vec::new()),
            MultipartRequestBody::Group(_) => MultipartReplyBody::Group(Vec::new()),
            MultipartRequestBody::GroupDesc => MultipartReplyBody::GroupDesc(Vec::new()),
            MultipartRequestBody::GroupFeatures => {
                MultipartReplyBody::GroupFeatures(GroupFeatures::default())
            }
            MultipartRequestBody::Meter(_) => MultipartReplyBody::Meter(Vec::new()),
            MultipartRequestBody::MeterConfig(_) => MultipartReplyBody::MeterConfig(Vec::new()),
            MultipartRequestBody::MeterFeatures => {
                MultipartReplyBody::MeterFeatures(MeterFeatures::default())
            }
            MultipartRequestBody::TableFeatures(_) => MultipartReplyBody::TableFeatures(Vec::new()),
            MultipartRequestBody::Experimenter { .. } | MultipartRequestBody::Unknown { .. } => {
                self.send(
                    xid,
                    &Message::Error(ErrorMsg::for_request(
                        OfError::BadRequest(BadRequestCode::BadMultipart),
                        frame,
                    )),
                );
                return;
            }
        };
        self.send(xid, &Message::MultipartReply(MultipartReply::new(reply)));
    }
}

/// A port as the switch reports it: up, 10 Gb/s copper.
fn port(no: u32, name: &str) -> Port {
    let n = no.to_be_bytes();
    let speed = PortFeatures::RATE_10GB_FD | PortFeatures::COPPER;
    Port {
        port_no: PortNo(no),
        hw_addr: MacAddr([0x0e, 0xff, n[0], n[1], n[2], n[3]]),
        name: FixedStr::new(name),
        config: PortConfig::empty(),
        state: PortState::LIVE,
        curr: speed,
        advertised: speed,
        supported: speed,
        peer: speed,
        curr_speed: 10_000_000,
        max_speed: 10_000_000,
    }
}

/// What one read batch brought, added to the shared counters once per batch.
#[derive(Debug, Default)]
struct Tally {
    adds: u64,
    modifies: u64,
    deletes: u64,
    groups: u64,
    meters: u64,
    other_mods: u64,
    packet_outs: u64,
    barriers: u64,
    echo_requests: u64,
    errors: u64,
    learned: u64,
    lost: u64,
    stray: u64,
    host_deletes: u64,
}

impl Tally {
    fn publish(&self, stats: &SwitchStats, now_ns: u64) {
        let c = &stats.counts;
        let mods =
            self.adds + self.modifies + self.deletes + self.groups + self.meters + self.other_mods;
        if mods > 0 {
            stats.first_mod.set_once(now_ns);
            stats.last_mod.set(now_ns);
            if now_ns >= stats.mark_from.load(Relaxed) {
                stats.mark.set_once(now_ns);
            }
        }
        if self.barriers > 0 {
            stats.last_barrier.set(now_ns);
        }
        for (counter, n) in [
            (&c.flow_adds, self.adds),
            (&c.flow_modifies, self.modifies),
            (&c.flow_deletes, self.deletes),
            (&c.group_mods, self.groups),
            (&c.meter_mods, self.meters),
            (&c.other_mods, self.other_mods),
            (&c.packet_outs, self.packet_outs),
            (&c.barriers, self.barriers),
            (&c.echo_requests, self.echo_requests),
            (&c.errors, self.errors),
        ] {
            if n > 0 {
                counter.fetch_add(n, Relaxed);
            }
        }
    }
}
