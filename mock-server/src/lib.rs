//! An in-memory mock server with the real person semantics of Whop, PostHog and Pipedrive:
//! data goes in through the vendors' own APIs, typed builders or seed files, and lists,
//! aggregates, filters, sorting, pagination and errors come out as the vendor's would.
//!
//! Start one per test with [`MockServer::start`] (journal, faults, seeds, reset), or run the
//! `persons-mock` binary ([`standalone`]: multi-threaded, admin API, durable data directory).
//! See `ARCHITECTURE.md` for the request path and the invariants.

pub mod admin;
pub mod clock;
pub mod durable;
pub mod faults;
pub mod http;
pub mod ids;
pub mod journal;
pub mod operations;
pub mod pipedrive;
pub mod posthog;
pub mod router;
pub mod seed;
pub mod server;
#[cfg(feature = "standalone")]
pub mod standalone;
pub mod synthetic;
pub mod tenants;
mod timestamp;
mod transport;
mod vendor_handle;
pub mod whop;

pub use clock::Clock;
pub use server::{MockServer, MockServerBuilder};
pub use timestamp::Timestamp;
