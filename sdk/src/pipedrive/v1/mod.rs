//! Pipedrive API v1 (`/api/v1`): persons and their sub-resources (followers, deals, activities, files, mail, permitted users, merge, search, bulk delete), and the deal, activity, note and personFields operations that drive a person's counters.
//!
//! Reach it through [`super::Client::v1`], which carries auth and retries.

/// The client progenitor generated from `specs/pipedrive-v1.yaml`.
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod generated;

pub use generated::types;

crate::http::client_hooks!(generated::Client);
