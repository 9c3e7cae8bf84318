//! An in-memory mock server with the real person semantics of Whop (and, later, PostHog and
//! Pipedrive): data goes in through the vendors' own APIs or typed builders, and lists,
//! aggregates, filters, sorting, pagination and errors come out as the vendor's would.
//!
//! Start one per test with [`MockServer::start`], or run the `persons-mock` binary.
//! See `ARCHITECTURE.md` for the request path and the invariants.

pub mod clock;
pub mod http;
pub mod ids;
pub mod pipedrive;
pub mod posthog;
pub mod router;
pub mod server;
mod transport;
mod vendor_handle;
pub mod whop;

pub use clock::Clock;
pub use server::{MockServer, MockServerBuilder};
