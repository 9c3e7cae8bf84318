//! The log entry of a flag write ([`FlagWrite`]) and how a project checks and completes it
//! into the [`Flag`] it stores.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::definition::{FlagError, check_key, compile, normalise_payloads};
use super::{Flag, Flags};
use crate::Timestamp;
use crate::posthog::activity::Actor;

/// A flag created or changed (through the REST API, a seed or
/// [`PostHog::create_flag`](crate::posthog::PostHog::create_flag)): the flag's whole state after
/// the write. An `id` the project does not hold creates a flag (the next id when absent); a
/// known one replaces that flag's state, its version moving up by one. Deletion is
/// `deleted: true`, as PostHog's soft delete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagWrite {
    /// The flag's id (default: the project's next).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its key (letters, digits, `-`, `_`; unique among the project's live flags).
    pub key: String,
    /// Its description (PostHog's `name`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Its `filters`, as PostHog takes them (payloads are stored as JSON text).
    #[serde(default = "empty_filters")]
    pub filters: Value,
    /// Whether it is active (default: true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
    /// Whether it is (soft) deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// `ensure_experience_continuity`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ensure_experience_continuity: bool,
    /// `evaluation_runtime` (`server`, `client` or `all`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_runtime: Option<String>,
    /// `bucketing_identifier` (`distinct_id`, the default, or `device_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucketing_identifier: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Actor>,
}

fn empty_filters() -> Value {
    Value::Object(Map::new())
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_true(value: &bool) -> bool {
    *value
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

impl FlagWrite {
    /// A new flag `key` with `filters` (PostHog's JSON: `groups`, `multivariate`, `payloads`).
    pub fn new(key: &str, filters: Value) -> Self {
        Self {
            id: None,
            key: key.to_owned(),
            name: String::new(),
            filters,
            active: true,
            deleted: false,
            ensure_experience_continuity: false,
            evaluation_runtime: None,
            bucketing_identifier: None,
            tags: Vec::new(),
            timestamp: None,
            user: None,
        }
    }

    /// A boolean flag `key`, on for `rollout_percentage` percent of everyone.
    pub fn rollout(key: &str, rollout_percentage: f64) -> Self {
        Self::new(
            key,
            serde_json::json!({"groups": [{"properties": [], "rollout_percentage": rollout_percentage}]}),
        )
    }

    /// The flag with this description (PostHog's `name`).
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// The flag, inactive.
    #[must_use]
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }
}

impl Flags {
    /// Checks `write` against the flags (key, filters, payloads; `cohort_exists` for cohort
    /// filters), completes it (id, time, author, stored payload texts) and returns the flag it
    /// makes, without changing anything.
    pub fn prepare(
        &self,
        write: &mut FlagWrite,
        now: Timestamp,
        cohort_exists: impl Fn(i64) -> bool,
    ) -> Result<Flag, FlagError> {
        check_key(&write.key)?;
        let id = *write.id.get_or_insert(self.next_id());
        let previous = self.by_id(id);
        if !write.deleted && self.live(&write.key).is_some_and(|holder| holder.id != id) {
            return Err(FlagError::key_taken());
        }
        if !write.filters.is_object() {
            write.filters = empty_filters();
        }
        normalise_payloads(&mut write.filters)?;
        let rules = compile(&write.filters, cohort_exists)?;
        let at = *write.timestamp.get_or_insert(now);
        let user = write.user.get_or_insert_with(Actor::mock).clone();
        Ok(Flag {
            id,
            key: write.key.clone(),
            name: write.name.clone(),
            filters: write.filters.clone(),
            rules,
            active: write.active,
            deleted: write.deleted,
            ensure_experience_continuity: write.ensure_experience_continuity,
            evaluation_runtime: write
                .evaluation_runtime
                .clone()
                .unwrap_or_else(|| "all".to_owned()),
            bucketing_identifier: write.bucketing_identifier.clone(),
            tags: write.tags.clone(),
            version: previous.map_or(1, |flag| flag.version + 1),
            created_at: previous.map_or(at, |flag| flag.created_at),
            created_by: previous.map_or_else(|| user.clone(), |flag| flag.created_by.clone()),
            updated_at: at,
        })
    }
}
