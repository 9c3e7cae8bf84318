//! Pipedrive API v2 (`/api/v2`): persons with cursor pagination, `include_fields` and `custom_fields`, followers, search, and the deal and activity operations that drive the counters.
//!
//! Reach it through [`super::Client::v2`], which carries auth and retries.

/// The client progenitor generated from `specs/pipedrive-v2.yaml`.
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod generated;

pub use generated::types;

crate::http::client_hooks!(generated::Client);
