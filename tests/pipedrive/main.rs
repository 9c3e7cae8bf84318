//! End to end: the Pipedrive SDK (API v1 and v2) against the in-process Pipedrive mock.

mod counters;
mod errors;
mod history;
mod official_client;
mod paging;
mod persons;
#[path = "../shared/official_clients.rs"]
mod provision;
mod records;
mod support;
