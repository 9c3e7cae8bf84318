//! Deterministic synthetic data at any scale, one tenant per vendor, for benchmarks and for
//! serving large data sets from the binary.
//!
//! Each vendor module creates one tenant with fixed credentials (distinct from the demo
//! tenants) and loads `N` events into it through the vendor's typed handle: Whop pixel events
//! ([`whop`]), PostHog captured events ([`posthog`]), Pipedrive records ([`pipedrive`]). The
//! same `N` always gives the same data: every choice comes from a seeded [`fastrand::Rng`] and
//! every time is placed in the [`SPAN_DAYS`] days before the fixed [`NOW`], so freeze the
//! clock at [`NOW`] to make windows (and "now"-relative reads) reproducible. The benchmarks
//! reach it through `persons_mock::internals` (feature `internals`).

pub mod pipedrive;
pub mod posthog;
pub mod whop;

/// The instant synthetic data is anchored on: 2026-01-01T00:00:00Z, in Unix seconds. Every
/// generated time lies in the [`SPAN_DAYS`] days before it.
pub const NOW: i64 = 1_767_225_600;

/// How many days of history the generated data covers.
pub const SPAN_DAYS: i64 = 90;

/// One day in seconds.
pub const DAY: i64 = 24 * 60 * 60;

/// The seed of the data [`whop::load`], [`posthog::load`] and [`pipedrive::load`] create.
pub const SEED: u64 = 0x5157_4e54_4845_5449;

/// Typed handles on the vendors of an app driven without a transport (benchmarks call
/// `App::handle` directly), so synthetic data can be loaded into it. Their base URLs are
/// relative (the vendor's mount prefix), as there is no server.
#[cfg(any(test, feature = "internals"))]
#[derive(Clone, Debug)]
pub struct Handles {
    /// The Whop mock of the app.
    pub whop: crate::whop::Whop,
    /// The PostHog mock of the app.
    pub posthog: crate::posthog::PostHog,
    /// The Pipedrive mock of the app.
    pub pipedrive: crate::pipedrive::Pipedrive,
}

#[cfg(any(test, feature = "internals"))]
impl Handles {
    /// Handles sharing `app`'s state and clock.
    pub fn of(app: &crate::router::App) -> Self {
        Self {
            whop: app.whop_at(""),
            posthog: app.posthog_at(""),
            pipedrive: app.pipedrive_at(""),
        }
    }
}

/// A time `back` seconds before [`NOW`], never later than it.
fn before_now(back: i64) -> i64 {
    NOW - back.max(0)
}

/// A random instant of the covered span.
fn random_time(rng: &mut fastrand::Rng) -> i64 {
    before_now(rng.i64(0..SPAN_DAYS * DAY))
}

/// One of `options`, uniformly.
fn pick<T: Copy>(rng: &mut fastrand::Rng, options: &[T]) -> T {
    options[rng.usize(0..options.len())]
}

/// Whether an event with probability `percent` / 100 happens.
fn chance(rng: &mut fastrand::Rng, percent: u8) -> bool {
    rng.u8(0..100) < percent
}
