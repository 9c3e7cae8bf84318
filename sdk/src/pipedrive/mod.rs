//! Pipedrive's Persons API, v1 and v2, over one client.
//!
//! ```no_run
//! # async fn run() -> Result<(), persons_sdk::Error> {
//! use futures::TryStreamExt;
//! use persons_sdk::pipedrive::{Client, PersonsQuery};
//!
//! let client = Client::from_env()?; // PIPEDRIVE_API_TOKEN, PIPEDRIVE_BASE_URL / _COMPANY_DOMAIN
//! let query = PersonsQuery { include_fields: vec!["open_deals_count".into()], ..PersonsQuery::default() };
//! let persons: Vec<_> = client.persons(query).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`] holds both generated clients ([`Client::v1`], [`Client::v2`]) with the token in
//! the `x-api-token` header (or an OAuth bearer token), retries of idempotent requests that
//! honour 429 and `Retry-After` (see [`crate::retry`]), paging streams over v1 `start`/`limit`
//! and v2 cursors, and the calls progenitor cannot generate: [`Client::add_person_picture`] (a
//! multipart upload) and the v1 calls with root-level custom fields
//! ([`Client::add_person_with_custom_fields`] and its siblings). Its errors are the crate's
//! [`Error`](crate::Error), whose API errors carry Pipedrive's [`ErrorBody`] (see
//! [`Error::pipedrive_error`](crate::Error::pipedrive_error)); [`crate::into_body`] unwraps
//! the generated calls' results into it.
//!
//! Files, as in every vendor module: `client.rs` (the client and its [`Pipedrive`] vendor),
//! `error.rs` (the error body), `pages.rs` (lists and their streams), `persons.rs` (one
//! person), `tests.rs`, and a `generated.rs` in each of `v1/` and `v2/`; and by hand what
//! progenitor cannot express: `custom.rs`, `picture.rs`, both sent through `raw.rs`.

mod client;
mod custom;
mod error;
mod pages;
mod persons;
mod picture;
mod raw;
#[cfg(test)]
mod tests;
pub mod v1;
pub mod v2;

pub use client::{
    API_TOKEN_VAR, BASE_URL_VAR, COMPANY_DOMAIN_VAR, Client, ClientBuilder, ClientOptions,
    DEFAULT_BASE_URL, Pipedrive,
};
pub use custom::{CustomFields, PersonWithCustomFields, is_custom_key};
pub use error::{ErrorBody, ErrorMessage};
pub use pages::{PersonsQuery, V1PersonsQuery};
pub use picture::{Crop, PictureUpload};
