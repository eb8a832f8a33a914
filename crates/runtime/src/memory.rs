//! Gives memory back to the operating system once a burst of work is over.
//!
//! A burst of connections (every switch reconnecting after a restart, say) allocates and frees
//! tens of kilobytes per switch around the few it keeps: the handshake's messages, the first
//! flows, read and write buffers that grow and are given back once the switch goes quiet. The
//! freed space lies scattered between live allocations, and glibc keeps it resident: with
//! 10,000 switches connected, about 200 MB of the RSS was free memory. Once the burst is over,
//! [`release_after_bursts`] asks the allocator to give back the whole free pages
//! ([`sluice_malloc::release_free_memory`]).
//!
//! The connections count the events that leave such memory behind ([`note_churn`]); the
//! release runs once those have stopped for a period, so never in the middle of a burst, and
//! never while nothing happens: one release per burst.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often [`release_after_bursts`] looks at the churn count.
const PERIOD: Duration = Duration::from_secs(1);

/// Events since the start that leave freed memory behind.
static CHURN: AtomicU64 = AtomicU64::new(0);

/// Notes an event that leaves freed memory behind: a completed handshake, a connection
/// giving back a grown buffer, a new configuration.
pub(crate) fn note_churn() {
    CHURN.fetch_add(1, Ordering::Relaxed);
}

/// Decides, from the churn count seen at each tick, when a burst is over.
#[derive(Debug, Default)]
struct Bursts {
    /// The count at the previous tick.
    seen: u64,
    /// The count at the last release.
    released: u64,
}

impl Bursts {
    /// Whether to release now, the count being `count`: there was churn since the last
    /// release, and none since the previous tick.
    fn over(&mut self, count: u64) -> bool {
        let over = count == self.seen && count != self.released;
        if over {
            self.released = count;
        }
        self.seen = count;
        over
    }
}

/// Runs until the runtime stops: every second, if memory churned before the previous tick
/// and not since, gives the allocator's free pages back to the operating system (on a
/// blocking thread: it takes a few milliseconds for hundreds of megabytes).
pub async fn release_after_bursts() {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut bursts = Bursts::default();
    loop {
        tick.tick().await;
        if bursts.over(CHURN.load(Ordering::Relaxed)) {
            let _ = tokio::task::spawn_blocking(sluice_malloc::release_free_memory).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bursts;

    #[test]
    fn releases_once_a_burst_has_stopped() {
        let mut b = Bursts::default();
        assert!(!b.over(0), "nothing happened");
        assert!(!b.over(5), "a burst going on");
        assert!(!b.over(9), "still going on");
        assert!(b.over(9), "stopped for a tick");
        assert!(!b.over(9), "released already");
        assert!(!b.over(10));
        assert!(b.over(10), "the next burst");
    }
}
