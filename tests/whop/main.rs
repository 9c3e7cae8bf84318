//! End to end: the generated Whop SDK against the in-process Whop mock.

mod aggregation;
mod errors;
mod filters;
mod intake;
mod pagination;
mod sorting;
mod support;
mod tenancy;
