//! Seed files: the tenants, keys and data of every vendor in one JSON or YAML document.
//!
//! The same document is what the admin API exports and what a data directory's snapshot
//! holds, so a seed describes a state completely: loading an exported seed into an empty mock
//! gives back a mock that answers every read the same way.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::pipedrive::seed::PipedriveSeed;
use crate::posthog::seed::PostHogSeed;
use crate::whop::seed::WhopSeed;

/// A whole mock's data: one optional section per vendor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Whop accounts (each with its log of entries) and keys.
    #[serde(default, skip_serializing_if = "WhopSeed::is_empty")]
    pub whop: WhopSeed,
    /// PostHog projects (each with its log of entries), tokens and personal keys.
    #[serde(default, skip_serializing_if = "PostHogSeed::is_empty")]
    pub posthog: PostHogSeed,
    /// Pipedrive companies (each with its log of entries) and tokens.
    #[serde(default, skip_serializing_if = "PipedriveSeed::is_empty")]
    pub pipedrive: PipedriveSeed,
}

/// Why a seed could not be read or loaded: where in the document, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SeedError {
    /// Where the problem is, e.g. `whop.accounts[0].log[3].event.user` or a file name.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl SeedError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same problem, its path prefixed with the file it was found in.
    pub fn in_file(self, file: &Path) -> Self {
        Self::new(format!("{}: {}", file.display(), self.path), self.message)
    }
}

impl Seed {
    /// Whether the seed holds nothing at all.
    pub fn is_empty(&self) -> bool {
        self.whop.is_empty() && self.posthog.is_empty() && self.pipedrive.is_empty()
    }

    /// Parses a JSON seed document.
    pub fn from_json(text: &str) -> Result<Self, SeedError> {
        serde_json::from_str(text).map_err(|error| SeedError::new("seed (JSON)", error.to_string()))
    }

    /// Parses a YAML seed document.
    pub fn from_yaml(text: &str) -> Result<Self, SeedError> {
        serde_norway::from_str(text)
            .map_err(|error| SeedError::new("seed (YAML)", error.to_string()))
    }

    /// Parses a JSON or YAML document: JSON when it starts with `{`, YAML otherwise.
    pub fn parse(text: &str) -> Result<Self, SeedError> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_yaml(text)
        }
    }

    /// Reads a seed file (`.json`, `.yaml` or `.yml`).
    pub fn from_file(path: &Path) -> Result<Self, SeedError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| SeedError::new(&name, format!("cannot read: {error}")))?;
        Self::parse(&text).map_err(|error| error.in_file(path))
    }

    /// The seed as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| unreachable!("a seed always serialises to JSON: {error}"))
    }
}
