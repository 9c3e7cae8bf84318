//! End to end: the generated Whop SDK against the in-process Whop mock.

mod aggregation;
mod current;
mod eras;
mod errors;
mod filters;
mod intake;
mod official_clients;
mod pagination;
#[path = "../shared/official_clients.rs"]
mod provision;
mod sorting;
mod support;
mod tenancy;
