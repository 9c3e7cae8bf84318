//! The clock every vendor model reads "now" from, so tests can freeze and move time.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A shared clock in Unix seconds: the system time, optionally frozen or shifted by a test.
///
/// Clones share the same state, so every vendor of one [`MockServer`](crate::MockServer) sees
/// the same time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

#[derive(Clone, Copy, Debug, Default)]
enum Mode {
    /// Follow the system clock, shifted by this many seconds.
    #[default]
    System,
    /// Stand still at this Unix time until told otherwise.
    Frozen(i64),
}

impl Clock {
    /// A clock that follows the system time.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock frozen at `unix_seconds`.
    pub fn frozen_at(unix_seconds: i64) -> Self {
        let clock = Self::default();
        clock.set(unix_seconds);
        clock
    }

    /// The current time in Unix seconds.
    pub fn now(&self) -> i64 {
        match *self.lock() {
            Mode::System => system_now(),
            Mode::Frozen(at) => at,
        }
    }

    /// Freezes the clock at `unix_seconds`.
    pub fn set(&self, unix_seconds: i64) {
        *self.lock() = Mode::Frozen(unix_seconds);
    }

    /// Moves the clock forward by `by`, freezing it at the new time.
    pub fn advance(&self, by: Duration) {
        let mut mode = self.lock();
        let now = match *mode {
            Mode::System => system_now(),
            Mode::Frozen(at) => at,
        };
        *mode = Mode::Frozen(now.saturating_add(i64::try_from(by.as_secs()).unwrap_or(i64::MAX)));
    }

    /// Lets the clock follow the system time again.
    pub fn resume(&self) {
        *self.lock() = Mode::System;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stands_still_and_advances_on_demand() {
        let clock = Clock::frozen_at(1_700_000_000);
        assert_eq!(clock.now(), 1_700_000_000);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), 1_700_000_090);
    }

    #[test]
    fn clones_share_time_and_resume_follows_the_system() {
        let clock = Clock::frozen_at(5);
        let shared = clock.clone();
        shared.set(10);
        assert_eq!(clock.now(), 10);
        clock.resume();
        assert!(shared.now() > 1_700_000_000);
    }
}
