//! Whop's People API in its **current contract** (`Api-Version-Date: 2026-10-15-1`, what
//! Whop's own SDKs speak): identity profiles over lifetime aggregates, cursor pages, `order`
//! and explicit filters, retrieve by person id, user id, e-mail or phone, and a person's events.
//! Pick this module for new code against `api.whop.com`; [`crate::whop`] speaks the contract of
//! the seed pages (offset pages, `sort`/`filters`, Unix times), for what they document.
//!
//! ```no_run
//! # async fn run() -> Result<(), persons_sdk::Error> {
//! use futures::TryStreamExt;
//! use persons_sdk::whop::current::{Client, Metric, PeopleQuery, types};
//!
//! let client = Client::from_env()?; // WHOP_API_KEY, WHOP_BASE_URL
//! let query = PeopleQuery {
//!     order: Some(types::PeopleOrder::Ltv),
//!     has_purchased: Some(true),
//!     ranges: vec![Metric::Ltv.gte(100.0)],
//!     ..PeopleQuery::default()
//! };
//! let big_spenders: Vec<_> = client.people(query).try_collect().await?; // follows end_cursor
//! let ada = client.retrieve_person("ada@example.com", None).await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`] wraps the [`generated`] client (reachable through [`Client::generated`]) with
//! bearer auth, the `Api-Version-Date` header, timeouts, retries of idempotent requests and
//! cursor streams; its errors are the crate's [`Error`](crate::Error), whose API errors carry
//! Whop's error body (see [`Error::whop_error`](crate::Error::whop_error)). Files as in every
//! vendor module: `client.rs`, `error.rs`, `pages.rs` (lists and their streams), `persons.rs`,
//! `filters.rs`, `events.rs`, `generated.rs`, `tests.rs`.

mod client;
mod error;
mod events;
mod filters;
mod pages;
mod persons;
#[cfg(test)]
mod tests;

/// The client progenitor generated from `specs/whop-current.yaml`.
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod generated;

pub use client::{API_VERSION_DATE, Client, ClientBuilder, WhopCurrent};
pub use events::EventsQuery;
pub use filters::{Comparison, Metric, Range, Source};
pub use generated::types;
pub use pages::PeopleQuery;

crate::http::client_hooks!(generated::Client);
