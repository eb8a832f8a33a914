//! Time as a value passed in by the runtime (the core never reads a clock).

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time: milliseconds since an epoch chosen by the runtime (its start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, d: Duration) -> Instant {
        Instant(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// The time from `rhs` to `self`, or zero if `rhs` is later.
    fn sub(self, rhs: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(rhs.0))
    }
}
