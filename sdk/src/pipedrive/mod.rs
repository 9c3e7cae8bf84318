//! Pipedrive's Persons API, v1 and v2, over one client.
//!
//! ```no_run
//! # async fn run() -> Result<(), persons_sdk::pipedrive::Error> {
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
//! and v2 cursors, one [`Error`] carrying Pipedrive's error body, and the calls progenitor
//! cannot generate: [`Client::add_person_picture`] (a multipart upload) and the v1 calls with
//! root-level custom fields ([`Client::add_person_with_custom_fields`] and its siblings).

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
    API_TOKEN_VAR, BASE_URL_VAR, COMPANY_DOMAIN_VAR, Client, ClientBuilder, DEFAULT_BASE_URL,
};
pub use custom::{CustomFields, PersonWithCustomFields, is_custom_key};
pub use error::{Error, ErrorBody, ErrorMessage, into_body};
pub use pages::{PersonsQuery, V1PersonsQuery};
pub use picture::{Crop, PictureUpload};
