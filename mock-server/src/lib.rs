//! An in-memory mock server with the real person semantics of Whop, PostHog and Pipedrive:
//! data goes in through the vendors' own APIs, typed builders or seed files, and lists,
//! aggregates, filters, sorting, pagination and errors come out as the vendor's would.
//!
//! Start one per test with [`MockServer::start`] (journal, faults, seeds, reset), or run the
//! `persons-mock` binary ([`standalone`]: multi-threaded, admin API, durable data directory).
//! See `ARCHITECTURE.md` for the request path and the invariants.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod clock;
mod durable;
pub mod faults;
mod http;
mod ids;
pub mod journal;
mod operations;
pub mod pipedrive;
pub mod posthog;
mod router;
mod seed;
mod server;
#[cfg(feature = "standalone")]
pub mod standalone;
#[cfg(any(feature = "standalone", feature = "internals"))]
mod synthetic;
mod tenants;
mod timestamp;
mod transport;
mod vendor_handle;
pub mod whop;

pub use clock::Clock;
pub use durable::StorageError;
pub use http::{ApiRequest, ApiResponse};
pub use operations::Operation;
pub use seed::{Seed, SeedError};
pub use server::{MockServer, MockServerBuilder};
pub use timestamp::Timestamp;

/// What the crate's own benchmarks reach beyond the public API: the app without a
/// transport, and the synthetic tenants. Not a stable API.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::router::App;
    pub use crate::synthetic::{DAY, Handles, NOW, SEED, pipedrive, posthog, whop};
}
