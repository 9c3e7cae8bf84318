//! Whop's People API: people (visitors and customers) aggregated from pixel events, and the
//! events that feed them.
//!
//! ```no_run
//! # async fn run() -> Result<(), persons_sdk::Error> {
//! use futures::TryStreamExt;
//! use persons_sdk::whop::{Client, Filters, PeopleQuery, PersonField, SortColumn};
//!
//! let client = Client::from_env()?; // WHOP_API_KEY, WHOP_BASE_URL
//! let query = PeopleQuery {
//!     sort: Some(SortColumn::Ltv),
//!     filters: Some(Filters::new().gte(PersonField::Ltv, 100).is_set(PersonField::Email)),
//!     ..PeopleQuery::default()
//! };
//! let big_spenders: Vec<_> = client.people(query).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`] wraps the [`generated`] client (reachable through [`Client::generated`]) with
//! bearer auth, timeouts, retries of idempotent requests (see [`crate::retry`]) and paging;
//! its errors are the crate's [`Error`](crate::Error), whose API errors carry Whop's
//! [`ErrorBody`] (see [`Error::whop_error`](crate::Error::whop_error)).
//!
//! Files, as in every vendor module: `client.rs` (the client and its [`Whop`] vendor),
//! `error.rs` (the error body), `pages.rs` (lists and their streams), `persons.rs` (one
//! person), `filters.rs` (typed filters), `generated.rs`, `tests.rs`; and `events.rs` (intake).

pub(crate) mod client;
pub mod current;
mod error;
mod events;
mod filters;
mod pages;
mod persons;
#[cfg(test)]
mod tests;

/// The client progenitor generated from `specs/whop.yaml`.
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod generated;

pub use client::{API_KEY_VAR, BASE_URL_VAR, Client, ClientBuilder, DEFAULT_BASE_URL, Whop};
pub use error::ErrorBody;
pub use filters::{Filter, Filters, Operator, PersonField, SortColumn};
pub use generated::types;
pub use pages::PeopleQuery;
pub use persons::PersonQuery;

crate::http::client_hooks!(generated::Client);
