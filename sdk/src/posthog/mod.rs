//! PostHog's Persons API (reading, updating and deleting persons under
//! `/api/projects/{project_id}/persons/`) and its capture API (the events that create and
//! change persons).
//!
//! ```no_run
//! # async fn run() -> Result<(), persons_sdk::Error> {
//! use futures::TryStreamExt;
//! use persons_sdk::posthog::{CaptureClient, Client, Event, PersonsQuery, PropertyFilters};
//!
//! let capture = CaptureClient::builder()
//!     .project_token("phc_…")
//!     .base_url("https://us.i.posthog.com")
//!     .build()?;
//! capture.send(Event::identify("user-1", "anon-1").set("email", "a@example.com")).await?;
//!
//! let client = Client::from_env()?; // POSTHOG_PERSONAL_API_KEY, POSTHOG_HOST
//! let query = PersonsQuery {
//!     properties: Some(PropertyFilters::new().icontains("email", "@example.com")),
//!     ..PersonsQuery::default()
//! };
//! let persons: Vec<_> = client.persons(query).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`] wraps the [`generated`] client (reachable through [`Client::generated`]) with the
//! personal API key as a bearer token, timeouts, retries of idempotent requests (see
//! [`crate::retry`]) and paging along `next`; its errors are the crate's
//! [`Error`](crate::Error), whose API errors carry PostHog's [`ErrorBody`] (see
//! [`Error::posthog_error`](crate::Error::posthog_error)). [`CaptureClient`] is written by hand
//! over reqwest: capture takes the project token in the body and optionally gzip, which the
//! generated client cannot express.
//!
//! Files, as in every vendor module: `client.rs` (the client and its [`PostHog`] vendor),
//! `error.rs` (the error bodies), `pages.rs` (lists and their streams), `persons.rs` (one
//! person), `filters.rs` (typed filters), `generated.rs`, `tests.rs`; and `capture.rs`,
//! `lookups.rs` (values, cohorts, activity, timelines), `deletion.rs`, `flags.rs` (remote flag
//! evaluation with the project token, on the capture client), `insights.rs` (the typed
//! [`InsightActors`] question: funnel, trends, lifecycle, stickiness) and `actors.rs` (asking
//! it of the legacy actor endpoints or of `/query/`, one page or a stream).

mod actors;
mod capture;
mod client;
mod deletion;
mod error;
mod filters;
mod flags;
mod insights;
mod lookups;
mod pages;
mod persons;
#[cfg(test)]
mod tests;

/// The client progenitor generated from `specs/posthog.yaml`.
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod generated;

pub use actors::Actor;
pub use capture::{CaptureClient, CaptureClientBuilder, DEFAULT_CAPTURE_HOST, Event};
pub use client::{
    Client, ClientBuilder, ClientOptions, DEFAULT_HOST, HOST_VAR, PERSONAL_API_KEY_VAR,
    PROJECT_ID_VAR, PostHog,
};
pub use deletion::{BulkDelete, BulkDeleteTarget, DeletionQuery, DeletionState};
pub use error::ErrorBody;
pub use filters::{PropertyFilter, PropertyFilters};
pub use flags::{FlagDetail, FlagMetadata, FlagReason, FlagValues, FlagsQuery};
pub use generated::types;
pub use insights::{
    Attribution, Breakdown, BreakdownType, ConversionWindow, Correlation, CorrelationTarget,
    DateRange, Endpoint, Exclusion, Funnel, FunnelStep, Insight, InsightActors, Interval,
    Lifecycle, LifecycleType, Math, OrderType, Step, Stickiness, Trends, WindowUnit,
};
pub use lookups::{ActivityPage, TimelineQuery};
pub use pages::PersonsQuery;

crate::http::client_hooks!(generated::Client);
