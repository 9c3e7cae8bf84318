//! End to end: the PostHog SDK (generated client, hand-written layer, capture client) against
//! the in-process PostHog mock; plus the official posthog-python client.

mod auth;
mod capture;
mod environments;
mod errors;
mod flags;
mod flags_clients;
mod golden;
mod ingestion;
mod insights;
mod insights_csv;
mod insights_edges;
mod insights_sdk;
mod insights_semantics;
mod legacy;
mod list;
mod paging;
mod persons;
#[path = "../shared/official_clients.rs"]
mod provision;
mod python_client;
mod robustness;
mod sdk_layer;
mod suite;
mod support;
