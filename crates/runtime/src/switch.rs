//! One switch's OpenFlow connection: handshake, keepalive, xid tracking, barriers and batched
//! writes. Each connection is its own task, so a misbehaving switch can only break itself.
//!
//! The task reads everything the socket has, cuts it into frames, answers protocol
//! housekeeping itself (echo, barrier replies, multipart reassembly, error correlation) and
//! passes the rest to the controller task as one batch. Everything to send (the
//! controller's batches, echo replies) is encoded into one buffer and written with as few
//! `write` calls as the socket allows: one per batch when the switch keeps up.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sluice_core::{DisconnectReason, Event};
use sluice_ofp::msg::error::{BadRequestCode, HelloFailedCode};
use sluice_ofp::msg::hello::{Hello, negotiate};
use sluice_ofp::msg::multipart::{
    MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use sluice_ofp::msg::switch::{ConfigFlags, SwitchConfig, SwitchFeatures};
use sluice_ofp::msg::type_expects_reply;
use sluice_ofp::{
    Encoded, ErrorMsg, FrameError, Message, OFP_VERSION, OfError, Port, action::OFPCML_NO_BUFFER,
    frame_len,
};
use tokio::io::Interest;
use tokio::io::Ready;
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use tracing::{debug, warn};

use crate::Options;

/// Identifies one connection (a switch may reconnect, and two connections may claim one id).
pub(crate) type ConnId = u64;

/// Something the controller asks a connection to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send these messages, then a barrier if a token is given.
    Send { msgs: Encoded, barrier: Option<u64> },
}

/// The sending side of a connection's command queue.
///
/// Commands travel boxed: tokio's channel allocates its slots 32 at a time, each the size of
/// the item, as soon as it is created. With a pointer for an item that block is a sixth of
/// its size with a [`Command`], which matters for 10,000 connections that are mostly idle.
#[derive(Debug)]
pub(crate) struct Commands(mpsc::Sender<Box<Command>>);

impl Commands {
    /// Queues `cmd` if there is room.
    pub(crate) fn try_send(
        &self,
        cmd: Command,
    ) -> Result<(), mpsc::error::TrySendError<Box<Command>>> {
        self.0.try_send(Box::new(cmd))
    }
}

/// The controller's handle on a connection.
#[derive(Debug)]
pub(crate) struct SwitchHandle {
    /// Batches to send; bounded, so a switch that does not read is noticed.
    pub(crate) commands: Commands,
    /// Closes the connection.
    pub(crate) close: Option<oneshot::Sender<DisconnectReason>>,
}

/// What a connection tells the controller.
#[derive(Debug)]
pub(crate) enum SwitchEvent {
    /// The handshake completed.
    Up {
        conn: ConnId,
        features: SwitchFeatures,
        desc: Option<Box<sluice_ofp::msg::multipart::Desc>>,
        ports: Vec<Port>,
        handle: SwitchHandle,
    },
    /// An event for the core, from an established connection.
    Core { conn: ConnId, event: Event },
    /// The connection ended (after `Up`, or during the handshake when `dp_id` is `None`).
    Down {
        conn: ConnId,
        dp_id: Option<u64>,
        reason: DisconnectReason,
    },
}

/// Requests sent to the switch whose replies the connection is waiting for.
#[derive(Debug)]
enum Pending {
    /// An echo request sent for keepalive.
    Echo,
    /// A barrier; the token (if any) is reported to the core when it is answered.
    Barrier(Option<u64>),
    /// A multipart request; parts received so far (boxed, to keep every entry small).
    Multipart(Option<Box<MultipartReply>>),
    /// Any other request whose reply goes to the core.
    Other,
}

/// At most this many requests are tracked; beyond it the oldest are forgotten.
const MAX_PENDING: usize = 65_536;
/// How many sent messages are remembered to explain an error from the switch (FAUCET keeps 32).
/// Fewer are kept most of the time: a barrier's reply forgets those sent before it (see
/// [`forget_before`]).
const RECENT: usize = 32;
/// Read at most this much before handling what was read, so one busy switch cannot starve
/// the others on the same thread.
const MAX_READ_BATCH: usize = 1 << 20;
/// The read buffer grows by its own size when it runs short, from this...
const MIN_READ_GROWTH: usize = 4 * 1024;
/// ...up to this much at a time.
const MAX_READ_GROWTH: usize = 64 * 1024;
/// An idle connection keeps buffers up to this size; larger ones, grown by a burst (the
/// handshake's flows, a busy spell of packet-ins), are given back. 10,000 idle switches would
/// otherwise hold hundreds of megabytes of empty buffers.
const IDLE_BUFFER: usize = 4 * 1024;

/// Keeps a copy of a sent message under its xid, reusing the oldest copy's buffer once
/// `RECENT` are kept: no allocation per message.
fn remember(recent: &mut VecDeque<(u32, Vec<u8>)>, xid: u32, frame: &[u8]) {
    let mut buf = if recent.len() == RECENT {
        recent.pop_front().map(|(_, b)| b).unwrap_or_default()
    } else {
        Vec::new()
    };
    buf.clear();
    buf.extend_from_slice(frame);
    recent.push_back((xid, buf));
}

/// Forgets the messages sent before the barrier `xid`, and the barrier, now that it is
/// answered: a switch sends the errors for the messages before a barrier before its reply
/// (OpenFlow 1.3.5 §6.4), so none of them can be named by an error any more. An idle switch's
/// connection then keeps no copy of the flows it was sent. If the barrier has already been
/// pushed out of `recent`, everything there was sent after it, and stays.
fn forget_before(recent: &mut VecDeque<(u32, Vec<u8>)>, xid: u32) {
    if let Some(i) = recent.iter().position(|(x, _)| *x == xid) {
        recent.drain(..=i);
    }
}

/// Why the connection must close.
type Close = DisconnectReason;

/// A switch's socket: TCP, or for a TLS connection the local end of the socket pair its
/// terminating task copies plain bytes through (see [`crate::tls`]).
#[derive(Debug)]
pub(crate) enum Stream {
    /// Plain OpenFlow over TCP.
    Tcp(TcpStream),
    /// OpenFlow over TLS, decrypted.
    Tls(UnixStream),
}

impl Stream {
    async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        match self {
            Stream::Tcp(s) => s.ready(interest).await,
            Stream::Tls(s) => s.ready(interest).await,
        }
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read_buf(buf),
            Stream::Tls(s) => s.try_read_buf(buf),
        }
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Tls(s) => s.try_read(buf),
        }
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_write(buf),
            Stream::Tls(s) => s.try_write(buf),
        }
    }

    /// Marks the socket drained after a short read, so the next wait goes to the poller
    /// instead of to a read that would find nothing (one `recvfrom` and one `epoll_wait`
    /// less per batch). Safe with edge-triggered polling: bytes that arrive after the read
    /// raise a new edge, and readiness seen since then is not cleared.
    fn drained(&self) {
        let would_block = || Err::<(), _>(io::ErrorKind::WouldBlock.into());
        let _ = match self {
            Stream::Tcp(s) => s.try_io(Interest::READABLE, would_block),
            Stream::Tls(s) => s.try_io(Interest::READABLE, would_block),
        };
    }
}

/// One connection's state.
struct Conn {
    stream: Stream,
    peer: SocketAddr,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    /// Bytes of `wbuf` already written.
    wpos: usize,
    next_xid: u32,
    pending: BTreeMap<u32, Pending>,
    /// The last messages sent, by xid, to name the request a switch's error refers to.
    recent: VecDeque<(u32, Vec<u8>)>,
    last_rx: Instant,
    echo_sent: Option<Instant>,
    opts: Options,
}

impl Conn {
    fn new(stream: Stream, peer: SocketAddr, opts: Options) -> Self {
        Conn {
            stream,
            peer,
            // Both grow on demand, and shrink back when the connection goes quiet (`trim`).
            rbuf: BytesMut::new(),
            wbuf: Vec::new(),
            wpos: 0,
            next_xid: 1,
            pending: BTreeMap::new(),
            recent: VecDeque::new(),
            last_rx: Instant::now(),
            echo_sent: None,
            opts,
        }
    }

    fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        x
    }

    /// Encodes a message with a fresh xid; tracks it if the switch will reply.
    fn queue(&mut self, msg: Message, pending: Option<Pending>) -> u32 {
        let start = self.wbuf.len();
        let xid = self.xid();
        if let Err(e) = msg.encode(xid, &mut self.wbuf) {
            // A message the core built too large to send is a bug; drop it and say so.
            warn!(peer = %self.peer, "not sending {}: {e}", msg.type_name());
            return xid;
        }
        if let Some(p) = pending.or_else(|| msg.expects_reply().then_some(Pending::Other)) {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_first();
            }
            self.pending.insert(xid, p);
        }
        let Conn { wbuf, recent, .. } = self;
        remember(recent, xid, &wbuf[start..]);
        xid
    }

    /// Appends messages the controller encoded, giving each a fresh xid, and tracks those the
    /// switch will reply to. One copy of the whole batch, then a pass to stamp the xids; only
    /// the batch's last `RECENT` messages are remembered, the others being pushed out by them.
    fn queue_encoded(&mut self, msgs: &Encoded) {
        let Conn {
            wbuf,
            next_xid,
            pending,
            recent,
            ..
        } = self;
        // Where each of the last `RECENT` frames is in `wbuf`, in a ring: (xid, start, end).
        let mut last = [(0u32, 0usize, 0usize); RECENT];
        let mut count = 0;
        let mut at = wbuf.len();
        msgs.write_stamped(wbuf, |frame| {
            let xid = *next_xid;
            *next_xid = next_xid.wrapping_add(1).max(1);
            if frame.get(1).copied().is_some_and(type_expects_reply) {
                if pending.len() >= MAX_PENDING {
                    pending.pop_first();
                }
                pending.insert(xid, Pending::Other);
            }
            last[count % RECENT] = (xid, at, at + frame.len());
            count += 1;
            at += frame.len();
            xid
        });
        for i in count.saturating_sub(RECENT)..count {
            let (xid, start, end) = last[i % RECENT];
            remember(recent, xid, &wbuf[start..end]);
        }
    }

    /// Encodes a reply with the request's xid.
    fn reply(&mut self, xid: u32, msg: &Message) {
        if let Err(e) = msg.encode(xid, &mut self.wbuf) {
            warn!(peer = %self.peer, "not sending {}: {e}", msg.type_name());
        }
    }

    /// Bytes waiting to be written.
    fn unsent(&self) -> usize {
        self.wbuf.len() - self.wpos
    }

    /// Writes as much as the socket takes now, without waiting.
    fn try_flush(&mut self) -> Result<(), Close> {
        while self.wpos < self.wbuf.len() {
            match self.stream.try_write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(Close::Closed),
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Close::Io(e.to_string())),
            }
        }
        // A write buffer grown by a large batch (the first flows, a reload) is given back
        // as soon as it is written, so a burst of connections does not keep one per switch.
        if self.wbuf.capacity() > IDLE_BUFFER {
            self.wbuf = Vec::new();
            crate::memory::note_churn();
        } else {
            self.wbuf.clear();
        }
        self.wpos = 0;
        Ok(())
    }

    /// Reads everything available now (up to a cap). Returns false at end of stream.
    ///
    /// With nothing buffered, a first read goes to the stack, and only what it got is kept:
    /// an idle switch's echo then costs no read buffer once handled (10,000 idle switches
    /// would otherwise each hold one of [`MIN_READ_GROWTH`] or more). A read that fills the
    /// stack buffer carries on into the growing buffer.
    fn try_fill(&mut self) -> Result<bool, Close> {
        if self.rbuf.capacity() == 0 {
            let mut first = [0u8; MIN_READ_GROWTH];
            loop {
                match self.stream.try_read(&mut first) {
                    Ok(0) => return Ok(false),
                    Ok(n) => {
                        self.rbuf.extend_from_slice(&first[..n]);
                        if n < first.len() {
                            self.stream.drained();
                            return Ok(true);
                        }
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Close::Io(e.to_string())),
                }
            }
        }
        let start = self.rbuf.len();
        loop {
            if self.rbuf.capacity() - self.rbuf.len() < MIN_READ_GROWTH {
                let growth = self.rbuf.capacity().clamp(MIN_READ_GROWTH, MAX_READ_GROWTH);
                self.rbuf.reserve(growth);
            }
            let room = self.rbuf.capacity() - self.rbuf.len();
            match self.stream.try_read_buf(&mut self.rbuf) {
                Ok(0) => return Ok(false),
                Ok(n) if n < room => {
                    self.stream.drained();
                    return Ok(true);
                }
                Ok(_) => {
                    if self.rbuf.len() - start >= MAX_READ_BATCH {
                        return Ok(true);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Close::Io(e.to_string())),
            }
        }
    }

    /// Gives back an empty read buffer: called when the switch has been silent for the echo
    /// interval. (Small reads need no read buffer of their own, see [`Conn::try_fill`]; the
    /// write buffer is given back once written, see [`Conn::try_flush`].) Giving back more
    /// than [`IDLE_BUFFER`] is churn for [`crate::memory`].
    fn trim(&mut self) {
        if self.rbuf.is_empty() && self.rbuf.capacity() > 0 {
            if self.rbuf.capacity() > IDLE_BUFFER {
                crate::memory::note_churn();
            }
            self.rbuf = BytesMut::new();
        }
        for (_, frame) in &mut self.recent {
            frame.shrink_to_fit();
        }
        self.recent.shrink_to_fit();
    }

    /// Why the connection ends when the peer closes it: cleanly between messages, or in the
    /// middle of one.
    fn end_of_stream(&self) -> Close {
        if self.rbuf.is_empty() {
            Close::Closed
        } else {
            Close::Protocol(format!(
                "connection closed {} bytes into a message",
                self.rbuf.len()
            ))
        }
    }

    /// Cuts the next complete frame from the read buffer.
    fn next_frame(&mut self) -> Result<Option<Bytes>, Close> {
        match frame_len(&self.rbuf) {
            Ok(Some(len)) => Ok(Some(self.rbuf.split_to(len).freeze())),
            Ok(None) => Ok(None),
            Err(FrameError { length }) => {
                let header = self.rbuf.split_to(8);
                self.send_error(OfError::BadRequest(BadRequestCode::BadLen), &header);
                Err(Close::Protocol(format!(
                    "message length {length} is below the 8-byte header"
                )))
            }
        }
    }

    /// Queues an ERROR about `request` (best effort: the connection is usually closing).
    fn send_error(&mut self, error: OfError, request: &[u8]) {
        let xid = request
            .get(4..8)
            .map_or(0, |x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
        self.reply(xid, &Message::Error(ErrorMsg::for_request(error, request)));
    }

    /// Decodes a frame; an undecodable frame ends the connection (after telling the switch).
    fn decode(&mut self, frame: Bytes) -> Result<(u32, Message), Close> {
        // An ERROR carries at most the request's first 64 bytes; keeping a copy of them
        // spares a reference-count update on every frame.
        let mut head = [0u8; 64];
        let head_len = frame.len().min(head.len());
        head[..head_len].copy_from_slice(&frame[..head_len]);
        match Message::decode(frame) {
            Ok((h, m)) => Ok((h.xid, m)),
            Err(e) => {
                self.send_error(e.of_error(), &head[..head_len]);
                Err(Close::Protocol(e.to_string()))
            }
        }
    }

    /// When the keepalive timer must next look at the connection.
    fn next_deadline(&self) -> Instant {
        match self.echo_sent {
            Some(_) => self.last_rx + self.opts.dead_after,
            None => self.last_rx + self.opts.echo_interval,
        }
    }

    /// Sends an echo request after `echo_interval` of silence; declares the switch dead after
    /// `dead_after`.
    fn keepalive(&mut self, now: Instant) -> Result<(), Close> {
        if now >= self.last_rx + self.opts.dead_after {
            return Err(Close::Dead);
        }
        if self.echo_sent.is_none() && now >= self.last_rx + self.opts.echo_interval {
            self.trim();
            self.queue(Message::EchoRequest(Bytes::new()), Some(Pending::Echo));
            self.echo_sent = Some(now);
        }
        Ok(())
    }

    /// Handles protocol housekeeping for one received message; returns the message if it is
    /// for the controller.
    fn housekeeping(
        &mut self,
        xid: u32,
        msg: Message,
        out: &mut Vec<Event>,
        dp_id: u64,
    ) -> Option<(u32, Message)> {
        match msg {
            Message::EchoRequest(data) => {
                self.reply(xid, &Message::EchoReply(data));
                None
            }
            Message::EchoReply(_) => {
                if matches!(self.pending.get(&xid), Some(Pending::Echo)) {
                    self.pending.remove(&xid);
                }
                None
            }
            Message::BarrierReply => {
                forget_before(&mut self.recent, xid);
                if let Some(Pending::Barrier(Some(token))) = self.pending.remove(&xid) {
                    out.push(Event::BarrierDone { dp_id, token });
                }
                None
            }
            Message::MultipartReply(part) => {
                let more = part.more();
                match self.pending.get_mut(&xid) {
                    Some(Pending::Multipart(acc)) => {
                        match acc {
                            Some(whole) => {
                                if !whole.body.extend(part.body) {
                                    warn!(peer = %self.peer, xid, "multipart reply parts of different types; dropped");
                                }
                            }
                            None => *acc = Some(Box::new(part)),
                        }
                        if more {
                            return None;
                        }
                        let Some(Pending::Multipart(Some(mut whole))) = self.pending.remove(&xid)
                        else {
                            return None;
                        };
                        whole.flags = Default::default();
                        Some((xid, Message::MultipartReply(*whole)))
                    }
                    _ => {
                        self.pending.remove(&xid);
                        Some((xid, Message::MultipartReply(part)))
                    }
                }
            }
            Message::Error(e) => {
                self.pending.remove(&xid);
                let request = self
                    .recent
                    .iter()
                    .find(|(x, _)| *x == xid)
                    .and_then(|(_, frame)| Message::decode_slice(frame).ok())
                    .map(|(_, m)| m.to_string());
                out.push(Event::SwitchError {
                    dp_id,
                    error: e.error,
                    request,
                });
                None
            }
            Message::Unknown { msg_type, .. } => {
                debug!(peer = %self.peer, msg_type, "unknown message type; answering OFPBRC_BAD_TYPE");
                let head = Message::Unknown {
                    msg_type,
                    body: Bytes::new(),
                }
                .to_bytes(xid)
                .unwrap_or_default();
                self.send_error(OfError::BadRequest(BadRequestCode::BadType), &head);
                None
            }
            Message::Hello(_) => None,
            other => {
                if !matches!(
                    other,
                    Message::PacketIn(_) | Message::PortStatus(_) | Message::FlowRemoved(_)
                ) {
                    self.pending.remove(&xid);
                }
                Some((xid, other))
            }
        }
    }

    /// Waits until the socket is readable or writable (writable only matters when there is
    /// something to write), or the deadline passes.
    async fn ready(&self, deadline: Instant) -> io::Result<Option<tokio::io::Ready>> {
        let interest = if self.unsent() > 0 {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        tokio::select! {
            r = self.stream.ready(interest) => r.map(Some),
            _ = sleep_until(deadline) => Ok(None),
        }
    }
}

/// What the handshake learned.
struct Handshake {
    features: SwitchFeatures,
    desc: Option<Box<sluice_ofp::msg::multipart::Desc>>,
    ports: Vec<Port>,
    /// Messages that arrived before the handshake finished (port status, packet-ins, ...).
    early: Vec<(u32, Message)>,
}

/// Runs the OpenFlow handshake: HELLO and version negotiation, FEATURES, SET_CONFIG,
/// PORT_DESC and DESC. Answers echo requests meanwhile.
async fn handshake(c: &mut Conn) -> Result<Handshake, Close> {
    let deadline = Instant::now() + c.opts.handshake_timeout;
    c.reply(0, &Message::Hello(Hello::with_versions(&[OFP_VERSION])));
    c.try_flush()?;

    let mut hello_done = false;
    let mut features = None;
    let mut desc = None;
    let mut ports: Option<Vec<Port>> = None;
    let mut early = Vec::new();
    let (mut features_xid, mut ports_xid, mut desc_xid) = (0, 0, 0);

    loop {
        if hello_done && features.is_some() && ports.is_some() && (desc.is_some() || desc_xid == 0)
        {
            let features = features.ok_or(Close::Protocol("no FEATURES_REPLY".into()))?;
            return Ok(Handshake {
                features,
                desc,
                ports: ports.unwrap_or_default(),
                early,
            });
        }
        match c.ready(deadline).await {
            Ok(Some(r)) => {
                if r.is_writable() {
                    c.try_flush()?;
                }
                if r.is_readable() && !c.try_fill()? {
                    return Err(c.end_of_stream());
                }
            }
            Ok(None) => return Err(Close::Protocol("handshake timed out".into())),
            Err(e) => return Err(Close::Io(e.to_string())),
        }
        while let Some(frame) = c.next_frame()? {
            c.last_rx = Instant::now();
            if !hello_done {
                let version = frame[0];
                let (_, msg) = c.decode(frame)?;
                let Message::Hello(hello) = msg else {
                    return Err(Close::Protocol(format!(
                        "expected HELLO, got {}",
                        msg.type_name()
                    )));
                };
                if negotiate(&[OFP_VERSION], version, &hello).is_none() {
                    let why = format!(
                        "this controller speaks OpenFlow 1.3 (0x04) only; peer offered {hello}"
                    );
                    c.reply(
                        0,
                        &Message::Error(ErrorMsg {
                            error: OfError::HelloFailed(HelloFailedCode::Incompatible),
                            data: Bytes::from(why.clone()),
                        }),
                    );
                    let _ = c.try_flush();
                    return Err(Close::Protocol(why));
                }
                hello_done = true;
                features_xid = c.queue(Message::FeaturesRequest, None);
                c.queue(
                    Message::SetConfig(SwitchConfig {
                        flags: ConfigFlags::empty(),
                        miss_send_len: OFPCML_NO_BUFFER,
                    }),
                    None,
                );
                ports_xid = c.queue(
                    Message::MultipartRequest(MultipartRequest::new(
                        MultipartRequestBody::PortDesc,
                    )),
                    Some(Pending::Multipart(None)),
                );
                desc_xid = c.queue(
                    Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Desc)),
                    Some(Pending::Multipart(None)),
                );
                continue;
            }
            let (xid, msg) = c.decode(frame)?;
            if let Message::Error(e) = &msg {
                if xid == features_xid || xid == ports_xid {
                    return Err(Close::Protocol(format!(
                        "switch refused the handshake: {}",
                        e.error
                    )));
                }
                if xid == desc_xid {
                    // The description is only for logs; carry on without it.
                    c.pending.remove(&xid);
                    desc_xid = 0;
                    continue;
                }
            }
            let mut events = Vec::new();
            let Some((xid, msg)) = c.housekeeping(xid, msg, &mut events, 0) else {
                continue;
            };
            match msg {
                Message::FeaturesReply(f) if xid == features_xid => {
                    c.pending.remove(&xid);
                    features = Some(f);
                }
                Message::MultipartReply(MultipartReply {
                    body: MultipartReplyBody::PortDesc(p),
                    ..
                }) if xid == ports_xid => {
                    ports = Some(p);
                }
                Message::MultipartReply(MultipartReply {
                    body: MultipartReplyBody::Desc(d),
                    ..
                }) if xid == desc_xid => {
                    desc = Some(d);
                }
                other => early.push((xid, other)),
            }
        }
        c.try_flush()?;
    }
}

/// Runs one connection from accept to close. Reports `Up`, every batch, and `Down` to the
/// controller.
pub(crate) async fn run(
    conn: ConnId,
    stream: Stream,
    peer: SocketAddr,
    opts: Options,
    events: mpsc::Sender<SwitchEvent>,
) {
    let mut guard = DownGuard {
        conn,
        dp_id: None,
        reason: Some(Close::Closed),
        events: events.clone(),
    };
    let mut c = Conn::new(stream, peer, opts);
    let hs = match handshake(&mut c).await {
        Ok(hs) => hs,
        Err(reason) => {
            let _ = c.try_flush();
            debug!(%peer, "handshake failed: {reason}");
            guard.reason = Some(reason);
            return;
        }
    };
    let dp_id = hs.features.datapath_id;
    crate::memory::note_churn();
    guard.dp_id = Some(dp_id);
    let (cmd_tx, mut cmd_rx) = mpsc::channel(opts.max_queued_batches);
    let (close_tx, mut close_rx) = oneshot::channel();
    let up = SwitchEvent::Up {
        conn,
        features: hs.features,
        desc: hs.desc,
        ports: hs.ports,
        handle: SwitchHandle {
            commands: Commands(cmd_tx),
            close: Some(close_tx),
        },
    };
    if events.send(up).await.is_err() {
        return;
    }
    if !hs.early.is_empty() {
        let event = Event::Messages {
            dp_id,
            msgs: hs.early,
        };
        if events
            .send(SwitchEvent::Core { conn, event })
            .await
            .is_err()
        {
            return;
        }
    }
    let reason = established(&mut c, conn, dp_id, &events, &mut cmd_rx, &mut close_rx).await;
    // Whatever was queued (an error for the switch, say) goes out before the close.
    let _ = c.try_flush();
    guard.reason = Some(reason);
}

/// The main loop of an established connection. Returns why it ended.
async fn established(
    c: &mut Conn,
    conn: ConnId,
    dp_id: u64,
    events: &mpsc::Sender<SwitchEvent>,
    cmd_rx: &mut mpsc::Receiver<Box<Command>>,
    close_rx: &mut oneshot::Receiver<DisconnectReason>,
) -> Close {
    loop {
        let deadline = c.next_deadline();
        // Pull commands only while the write buffer is below its bound; a switch that does
        // not read then fills the command queue, and the controller disconnects it.
        let can_take = c.unsent() < c.opts.max_write_buffer;
        tokio::select! {
            biased;
            reason = &mut *close_rx => return reason.unwrap_or(Close::ByController("shutdown".into())),
            cmd = cmd_rx.recv(), if can_take => {
                let Some(cmd) = cmd else { return Close::ByController("controller stopped".into()) };
                c.command(*cmd);
                // Take everything else already queued, so it goes out in the same write.
                while c.unsent() < c.opts.max_write_buffer {
                    match cmd_rx.try_recv() {
                        Ok(cmd) => c.command(*cmd),
                        Err(_) => break,
                    }
                }
            }
            ready = c.ready(deadline) => {
                match ready {
                    Ok(Some(r)) => {
                        if r.is_readable() {
                            let open = match c.try_fill() {
                                Ok(open) => open,
                                Err(reason) => return reason,
                            };
                            // Handle what arrived before an end of stream, then close.
                            if let Err(reason) = c.read_batch(conn, dp_id, events).await {
                                return reason;
                            }
                            if !open {
                                return c.end_of_stream();
                            }
                        }
                    }
                    Ok(None) => {
                        if let Err(reason) = c.keepalive(Instant::now()) {
                            return reason;
                        }
                    }
                    Err(e) => return Close::Io(e.to_string()),
                }
            }
        }
        if let Err(reason) = c.try_flush() {
            return reason;
        }
    }
}

impl Conn {
    /// Encodes one batch from the controller.
    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Send { msgs, barrier } => {
                self.queue_encoded(&msgs);
                if let Some(token) = barrier {
                    self.queue(Message::BarrierRequest, Some(Pending::Barrier(Some(token))));
                }
            }
        }
    }

    /// Handles every complete frame in the read buffer; forwards the controller's share as
    /// one batch.
    async fn read_batch(
        &mut self,
        conn: ConnId,
        dp_id: u64,
        events: &mpsc::Sender<SwitchEvent>,
    ) -> Result<(), Close> {
        let mut msgs = Vec::new();
        let mut others = Vec::new();
        let mut got_any = false;
        while let Some(frame) = self.next_frame()? {
            got_any = true;
            let (xid, msg) = self.decode(frame)?;
            if let Some(m) = self.housekeeping(xid, msg, &mut others, dp_id) {
                msgs.push(m);
            }
        }
        if got_any {
            self.last_rx = Instant::now();
            self.echo_sent = None;
        }
        if !msgs.is_empty() {
            others.insert(0, Event::Messages { dp_id, msgs });
        }
        for event in others {
            events
                .send(SwitchEvent::Core { conn, event })
                .await
                .map_err(|_| Close::ByController("controller stopped".into()))?;
        }
        Ok(())
    }
}

/// Tells the controller the connection is down, however the task ends (even by a panic).
struct DownGuard {
    conn: ConnId,
    dp_id: Option<u64>,
    reason: Option<Close>,
    events: mpsc::Sender<SwitchEvent>,
}

impl Drop for DownGuard {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or(Close::Closed);
        let ev = SwitchEvent::Down {
            conn: self.conn,
            dp_id: self.dp_id,
            reason,
        };
        if let Err(mpsc::error::TrySendError::Full(ev)) = self.events.try_send(ev) {
            let events = self.events.clone();
            tokio::spawn(async move {
                let _ = events.send(ev).await;
            });
        }
    }
}

/// The keepalive defaults: an echo request after 5 s of silence, dead after 15 s.
pub(crate) const DEFAULT_ECHO_INTERVAL: Duration = Duration::from_secs(5);
/// See [`DEFAULT_ECHO_INTERVAL`].
pub(crate) const DEFAULT_DEAD_AFTER: Duration = Duration::from_secs(15);

#[cfg(test)]
mod tests {
    use super::*;

    fn xids(recent: &VecDeque<(u32, Vec<u8>)>) -> Vec<u32> {
        recent.iter().map(|(x, _)| *x).collect()
    }

    #[test]
    fn a_barrier_reply_forgets_what_was_sent_before_the_barrier() {
        let mut recent = VecDeque::new();
        for xid in 1..=5 {
            remember(&mut recent, xid, &[0; 8]);
        }
        forget_before(&mut recent, 3);
        assert_eq!(xids(&recent), [4, 5]);
        // A barrier no longer remembered: everything kept was sent after it.
        forget_before(&mut recent, 2);
        assert_eq!(xids(&recent), [4, 5]);
    }

    #[test]
    fn at_most_recent_messages_are_kept() {
        let mut recent = VecDeque::new();
        for xid in 1..=40 {
            remember(&mut recent, xid, &[0; 8]);
        }
        assert_eq!(xids(&recent), (9..=40).collect::<Vec<_>>());
    }
}
