//! The clock every vendor model reads "now" from, so tests can freeze and move time.
//!
//! Time is kept in microseconds since the Unix epoch (PostHog renders microseconds);
//! [`Clock::now`] gives whole seconds for vendors that need no more.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// A shared clock: the system time, or a time a test froze it at.
///
/// Clones share the same state, so every vendor of one [`MockServer`](crate::MockServer) sees
/// the same time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

#[derive(Clone, Copy, Debug, Default)]
enum Mode {
    /// Follow the system clock.
    #[default]
    System,
    /// Stand still at this many microseconds after the Unix epoch until told otherwise.
    Frozen(i64),
}

const MICROS_PER_SECOND: i64 = 1_000_000;

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

    /// A clock frozen at `unix_micros` microseconds after the epoch.
    pub fn frozen_at_micros(unix_micros: i64) -> Self {
        Self {
            mode: Arc::new(Mutex::new(Mode::Frozen(unix_micros))),
        }
    }

    /// The current time in whole Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_micros().div_euclid(MICROS_PER_SECOND)
    }

    /// The current time.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_unix_micros(self.now_micros())
    }

    /// The current time in microseconds since the Unix epoch.
    pub fn now_micros(&self) -> i64 {
        match *self.lock() {
            Mode::System => system_now_micros(),
            Mode::Frozen(at) => at,
        }
    }

    /// Freezes the clock at `unix_seconds`.
    pub fn set(&self, unix_seconds: i64) {
        self.set_micros(unix_seconds.saturating_mul(MICROS_PER_SECOND));
    }

    /// Freezes the clock at `unix_micros` microseconds after the epoch.
    pub fn set_micros(&self, unix_micros: i64) {
        *self.lock() = Mode::Frozen(unix_micros);
    }

    /// Moves the clock forward by `by`, freezing it at the new time.
    pub fn advance(&self, by: Duration) {
        let mut mode = self.lock();
        let now = match *mode {
            Mode::System => system_now_micros(),
            Mode::Frozen(at) => at,
        };
        let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        *mode = Mode::Frozen(now.saturating_add(by));
    }

    /// Lets the clock follow the system time again.
    pub fn resume(&self) {
        *self.lock() = Mode::System;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn system_now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
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
        clock.advance(Duration::from_micros(1_500_000));
        assert_eq!(clock.now_micros(), 1_700_000_091_500_000);
        assert_eq!(clock.now(), 1_700_000_091);
    }

    #[test]
    fn times_before_the_epoch_round_down() {
        let clock = Clock::default();
        clock.set_micros(-1);
        assert_eq!(clock.now(), -1);
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
