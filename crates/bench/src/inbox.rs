//! What an emulated switch reads from the controller, and when it arrived.
//!
//! A latency measured when the generator gets round to reading includes the generator's own
//! wake-up, which on a busy 2-CPU machine is tens of microseconds that say nothing of the
//! controller. So the socket asks the kernel to stamp what it receives (`SO_TIMESTAMPNS`):
//! each read returns the time its last segment reached the socket, on the loopback the
//! moment the controller's `write` delivered it. Data from several segments read at once
//! gets the last one's time, never earlier than it arrived.

use std::io;
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use nix::sys::time::TimeSpec;
use nix::time::{ClockId, clock_gettime};
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::switch::Clock;

/// Room kept free for a read. The buffer starts this small and doubles as a backlog needs:
/// 10,000 idle switches must not hold 64 KiB each.
const MIN_ROOM: usize = 4 * 1024;

/// Asks the kernel to stamp what `stream` receives. Without it (an error), reads carry no
/// arrival time and the read time stands in.
pub(crate) fn stamp_arrivals(stream: &TcpStream) -> io::Result<()> {
    setsockopt(stream, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)
}

/// The bytes read and not yet handled, in one buffer that is read into in place.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Inbox {
    /// The bytes not yet handled.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// Drops the first `n` unhandled bytes.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Free space after the data, at least [`MIN_ROOM`]: the data moves to the front, or the
    /// buffer doubles.
    fn room(&mut self) -> &mut [u8] {
        if self.buf.len() - self.end < MIN_ROOM {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < MIN_ROOM {
                self.buf.resize((self.buf.len() * 2).max(MIN_ROOM), 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Reads once from `stream` (which must be readable, or it fails with `WouldBlock`).
    /// Returns the bytes read (0 at end of stream) and when the last of them arrived, if the
    /// kernel said.
    pub(crate) fn read(
        &mut self,
        stream: &TcpStream,
        clock: &Clock,
    ) -> io::Result<(usize, Option<u64>)> {
        let fd = stream.as_raw_fd();
        let room = self.room();
        let (n, stamp) = stream.try_io(Interest::READABLE, || {
            let mut cmsg = nix::cmsg_space!(TimeSpec);
            let mut iov = [io::IoSliceMut::new(room)];
            let msg = recvmsg::<()>(fd, &mut iov, Some(&mut cmsg), MsgFlags::empty())
                .map_err(io::Error::from)?;
            let stamp = msg.cmsgs().ok().and_then(|mut c| {
                c.find_map(|c| match c {
                    ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
                    _ => None,
                })
            });
            Ok((msg.bytes, stamp))
        })?;
        self.end += n;
        Ok((n, stamp.and_then(|ts| since_epoch(clock, ts))))
    }
}

/// A kernel time stamp (`CLOCK_REALTIME`) as nanoseconds of the run's clock: its age now,
/// taken off now. Never later than now.
fn since_epoch(clock: &Clock, stamp: TimeSpec) -> Option<u64> {
    let now = clock.ns(Instant::now());
    let real = clock_gettime(ClockId::CLOCK_REALTIME).ok()?;
    let age = nanos(real).saturating_sub(nanos(stamp)).max(0);
    Some(now.saturating_sub(u64::try_from(age).unwrap_or(u64::MAX)))
}

fn nanos(t: TimeSpec) -> i128 {
    i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A connected pair on the loopback: the reading end, the writing end.
    async fn connected() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let reader = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (writer, _) = listener.accept().await.unwrap();
        (reader, writer)
    }

    #[tokio::test]
    async fn data_that_waited_in_the_socket_is_stamped_when_it_arrived() {
        let (reader, mut writer) = connected().await;
        stamp_arrivals(&reader).unwrap();
        let clock = Clock::new();
        let mut inbox = Inbox::default();
        // The kernel turns stamping on a little after the first socket asks for it.
        for _ in 0..100 {
            writer.write_all(b"echo").await.unwrap();
            let stamp = read_until(&mut inbox, &reader, &clock, 4).await;
            inbox.consume(inbox.len());
            if stamp.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let sent = clock.now();
        writer.write_all(b"flow mods").await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        reader.readable().await.unwrap();
        let (n, arrived) = inbox.read(&reader, &clock).unwrap();
        let read = clock.now();
        assert_eq!(&inbox.data()[..n], b"flow mods");
        let arrived = arrived.expect("the kernel stamps what arrives");
        assert!(
            arrived >= sent.saturating_sub(1_000_000),
            "{arrived} < {sent}"
        );
        assert!(
            read - arrived >= 15_000_000,
            "stamped {} ms before the read, not when it arrived",
            (read - arrived) / 1_000_000
        );
    }

    /// Reads until the inbox holds `len` bytes; returns the last arrival stamp.
    async fn read_until(
        inbox: &mut Inbox,
        reader: &TcpStream,
        clock: &Clock,
        len: usize,
    ) -> Option<u64> {
        let mut arrived = None;
        while inbox.len() < len {
            reader.readable().await.unwrap();
            match inbox.read(reader, clock) {
                Ok((0, _)) => panic!("end of stream at {} of {len} bytes", inbox.len()),
                Ok((_, stamp)) => arrived = stamp.or(arrived),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        arrived
    }

    #[tokio::test]
    async fn the_inbox_keeps_a_partial_message_across_reads_and_holds_any_backlog() {
        let (reader, mut writer) = connected().await;
        let clock = Clock::new();
        let bytes: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8).collect();
        let mut inbox = Inbox::default();
        // Bursts of every size; after each, all is handled but half a message (7 bytes),
        // which must still lead the next burst.
        let mut sent = 0;
        for burst in [17, 3_000, 4_089, 60_000, 5, 70_000, 250_000, 12_000] {
            let chunk = bytes[sent..sent + burst].to_vec();
            let write =
                tokio::spawn(async move { writer.write_all(&chunk).await.map(|()| writer) });
            let held = inbox.len();
            read_until(&mut inbox, &reader, &clock, held + burst).await;
            writer = write.await.unwrap().unwrap();
            sent += burst;
            assert_eq!(inbox.data(), &bytes[sent - held - burst..sent]);
            inbox.consume(inbox.len() - 7);
            assert_eq!(inbox.data(), &bytes[sent - 7..sent]);
        }
        inbox.consume(7);
        assert!(inbox.is_empty());
    }
}
