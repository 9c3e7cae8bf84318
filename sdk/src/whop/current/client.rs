//! The client of Whop's current contract, and what the [`crate::ClientBuilder`] needs to know
//! to build it.

use super::generated;
use crate::Error;

/// The `Api-Version-Date` this client sends: the version Whop's current Python SDK (2.6.0)
/// pins, whose contract `specs/whop-current.yaml` describes.
pub const API_VERSION_DATE: &str = "2026-10-15-1";

/// Whop's current contract, as a [`crate::Vendor`]: the API key as a bearer token, the
/// `Api-Version-Date` header on every request, Whop's error body.
#[derive(Clone, Copy, Debug)]
pub enum WhopCurrent {}

crate::whop::client::whop_client!(
    WhopCurrent,
    "Whop's current People contract",
    headers: &[("api-version-date", API_VERSION_DATE)]
);
