//! The PostHog mock: persons built from captured events (identify, alias, merges,
//! `$set`/`$set_once`/`$unset`), and the persons API over them with PostHog's filters, paging
//! quirks and error bodies.
//!
//! [`MockServer::posthog`](crate::MockServer::posthog) gives the [`PostHog`] handle: the base
//! URL for PostHog clients (capture and the API), projects, tokens and personal keys
//! ([`PersonalKey`]), and events captured as an SDK would send them ([`PostHog::capture`] of
//! an [`Event`]). Every write is one [`log::Entry`] of the project's log; a seed's `posthog:`
//! section ([`PostHogSeed`]) is the projects with their logs, plus tokens and keys.
//!
//! PostHog applies ingestion, property updates, deletions and splits asynchronously; the mock
//! applies them before answering, so a read right after a write sees it.

pub(crate) mod activity;
pub(crate) mod api;
pub(crate) mod capture;
pub(crate) mod demo;
pub(crate) mod error;
pub(crate) mod filter;
pub(crate) mod flags;
pub(crate) mod insights;
pub(crate) mod keys;
pub(crate) mod links;
pub mod log;
pub(crate) mod negotiate;
pub(crate) mod person;
pub mod properties;
pub(crate) mod query;
pub(crate) mod reads;
pub(crate) mod render;
pub(crate) mod rendered;
pub(crate) mod search;
pub(crate) mod seed;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod tenant;
pub(crate) mod time;
pub(crate) mod timeline;
pub(crate) mod updates;
pub(crate) mod values;
pub(crate) mod writes;

use std::sync::{Arc, RwLock};

pub use demo::{DEMO_PERSONAL_KEY, DEMO_PROJECT, DEMO_PROJECT_TOKEN};
pub use flags::FlagWrite;
pub use flags::definition::FlagError;
pub use keys::PersonalKey;
pub use log::Event;
pub use seed::{PersonalKeySeed, PostHogSeed, ProjectSeed};
pub use tenant::RecordError;

use crate::clock::Clock;
use crate::vendor_handle::VendorHandle;
use log::{Entry, NewCohort};
use state::PostHogState;
use tenant::Applied;

/// The test-facing handle on the PostHog mock: base URL, projects, tokens, keys and events.
///
/// Clones share the same state.
#[derive(Clone, Debug)]
pub struct PostHog {
    handle: VendorHandle<PostHogState>,
}

/// A person as a test sees it, a snapshot taken from the model.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonSnapshot {
    /// The numeric id.
    pub pk: i64,
    /// The UUID.
    pub uuid: uuid::Uuid,
    /// Distinct ids in storage order.
    pub distinct_ids: Vec<String>,
    /// Properties.
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// Whether it is identified.
    pub is_identified: bool,
    /// `created_at`, in microseconds.
    pub created_at: i64,
    /// `last_seen_at`, in microseconds (see [`PostHog::track_last_seen`]).
    pub last_seen_at: Option<i64>,
}

impl PostHog {
    /// A handle on `state`, served at `server_url` + [`api::PREFIX`].
    pub(crate) fn new(state: Arc<RwLock<PostHogState>>, clock: Clock, server_url: &str) -> Self {
        Self {
            handle: VendorHandle::new(state, clock, server_url, api::PREFIX),
        }
    }

    /// The host to give a PostHog client (API and capture alike), e.g.
    /// `http://127.0.0.1:4010/posthog`.
    pub fn base_url(&self) -> &str {
        &self.handle.base_url
    }

    /// Creates project `project_id` (if needed) and returns a new project token for it.
    pub fn create_project(&self, project_id: i64) -> String {
        self.handle.write().add_project(project_id, None)
    }

    /// Registers `token` as a project token of `project_id` (creating the project).
    pub fn add_project_token(&self, project_id: i64, token: &str) {
        self.handle.write().add_project(project_id, Some(token));
    }

    /// Creates a personal API key with `key`'s access and returns it (`phx_…`).
    pub fn create_personal_key(&self, key: PersonalKey) -> String {
        self.handle.write().add_key(None, key)
    }

    /// Registers `token` as a personal API key with `key`'s access.
    pub fn add_personal_key(&self, token: &str, key: PersonalKey) {
        self.handle.write().add_key(Some(token), key);
    }

    /// Turns PostHog's team-level `last_seen_at` switch on or off for `project_id` (created if
    /// needed). Off, as in PostHog, persons show `last_seen_at: null`; on, every later event
    /// moves it forward to the start of the event's hour, unless the event carries
    /// `$update_person_last_seen_at: false`.
    ///
    /// # Panics
    ///
    /// When a data directory is attached and cannot log the switch.
    pub fn track_last_seen(&self, project_id: i64, enabled: bool) {
        self.set(project_id, Entry::TrackLastSeen(enabled));
    }

    /// Sets the project setting `person_display_name_properties` of `project_id` (created if
    /// needed): a person's display `name` is the first truthy of these properties, in order,
    /// then its first non-anonymous distinct id. Empty restores PostHog's default (`email`,
    /// `name`, `username`).
    ///
    /// # Panics
    ///
    /// When a data directory is attached and cannot log the setting.
    pub fn person_display_name_properties(&self, project_id: i64, keys: &[&str]) {
        let keys = keys.iter().map(|key| (*key).to_owned()).collect();
        self.set(project_id, Entry::PersonDisplayNameProperties(keys));
    }

    /// Runs PostHog's weekly batch for `project_id` (created if needed): every event deletion
    /// queued so far is verified now, so deletion_status reports it `completed`.
    ///
    /// # Panics
    ///
    /// When a data directory is attached and cannot log the run.
    pub fn verify_event_deletions(&self, project_id: i64) {
        let run = log::VerifyEventDeletions { timestamp: None };
        self.set(project_id, Entry::VerifyEventDeletions(Box::new(run)));
    }

    /// Applies a project-level `entry` that cannot be refused but by the data directory.
    fn set(&self, project_id: i64, entry: Entry) {
        let mut state = self.handle.write();
        state.ensure_project(project_id);
        let now = self.handle.clock.timestamp();
        let kind = entry.kind();
        if let Err(error) = state.apply(project_id, entry, now) {
            panic!("the {kind} entry was refused: {error}");
        }
    }

    /// Ingests `event` into `project_id` (created if needed), as capture would; events
    /// without a time happen at the mock clock's now.
    pub fn capture(&self, project_id: i64, event: Event) -> Result<(), RecordError> {
        let now = self.handle.clock.timestamp();
        self.handle
            .write()
            .capture(project_id, event, now)
            .map(drop)
    }

    /// Ingests many events under one lock; stops at the first refused one.
    pub fn capture_all(
        &self,
        project_id: i64,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<usize, RecordError> {
        let now = self.handle.clock.timestamp();
        let mut state = self.handle.write();
        state.ensure_project(project_id).begin_bulk();
        let mut count = 0;
        let outcome = events.into_iter().try_for_each(|event| {
            state.capture(project_id, event, now)?;
            count += 1;
            Ok(())
        });
        state.ensure_project(project_id).end_bulk();
        outcome.map(|()| count)
    }

    /// Creates a static cohort in `project_id` (created if needed) of the persons owning
    /// `distinct_ids`; returns its id.
    ///
    /// # Panics
    ///
    /// When a data directory is attached and cannot log the cohort.
    pub fn create_cohort(&self, project_id: i64, name: &str, distinct_ids: &[&str]) -> i64 {
        let cohort = NewCohort {
            name: name.to_owned(),
            distinct_ids: distinct_ids.iter().map(|id| (*id).to_owned()).collect(),
        };
        let now = self.handle.clock.timestamp();
        match self
            .handle
            .write()
            .apply(project_id, Entry::Cohort(Box::new(cohort)), now)
        {
            Ok(Applied::Cohort(id)) => id,
            Ok(other) => unreachable!("a cohort entry applies as a cohort: {other:?}"),
            Err(error) => panic!("the cohort was refused: {error}"),
        }
    }

    /// Creates (or, with the `id` of an existing flag, changes) a feature flag in `project_id`
    /// (created if needed), checked as PostHog's REST API checks it; returns its id.
    pub fn create_flag(&self, project_id: i64, flag: FlagWrite) -> Result<i64, RecordError> {
        let now = self.handle.clock.timestamp();
        let mut state = self.handle.write();
        state.ensure_project(project_id);
        match state.apply(project_id, Entry::Flag(Box::new(flag)), now)? {
            Applied::Flag(id) => Ok(id),
            other => unreachable!("a flag entry applies as a flag: {other:?}"),
        }
    }

    /// The keys of `project_id`'s live flags, in creation order.
    pub fn flag_keys(&self, project_id: i64) -> Vec<String> {
        let state = self.handle.read();
        state.project(project_id).map_or_else(Vec::new, |project| {
            project
                .flags()
                .iter()
                .filter(|flag| !flag.deleted)
                .map(|flag| flag.key.clone())
                .collect()
        })
    }

    /// The experience-continuity hash-key overrides of the person owning `distinct_id` in
    /// `project_id` (flag key → the hash key its flag hashes instead of the distinct id),
    /// written by `/flags` requests carrying `$anon_distinct_id`; empty for an unknown id.
    pub fn hash_key_overrides(
        &self,
        project_id: i64,
        distinct_id: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let state = self.handle.read();
        state
            .project(project_id)
            .and_then(|project| project.hash_keys().of(project.by_distinct_id(distinct_id)?))
            .cloned()
            .unwrap_or_default()
    }

    /// The person owning `distinct_id` in `project_id`.
    pub fn person(&self, project_id: i64, distinct_id: &str) -> Option<PersonSnapshot> {
        let state = self.handle.read();
        let project = state.project(project_id)?;
        let person = project.person(project.by_distinct_id(distinct_id)?)?;
        Some(PersonSnapshot {
            pk: person.pk,
            uuid: person.uuid,
            distinct_ids: person.stored_distinct_ids().map(str::to_owned).collect(),
            properties: person.properties.to_map(),
            is_identified: person.is_identified,
            created_at: person.created_at,
            last_seen_at: person.last_seen_at,
        })
    }

    /// How many persons `project_id` has (0 for an unknown project).
    pub fn person_count(&self, project_id: i64) -> usize {
        let state = self.handle.read();
        state
            .project(project_id)
            .map_or(0, tenant::Project::person_count)
    }

    /// Checks `project_id`'s indexes against its persons and its log (see
    /// `tenant::Project::check_invariants`).
    pub fn check_invariants(&self, project_id: i64) -> Result<(), String> {
        let state = self.handle.read();
        state
            .project(project_id)
            .map_or(Ok(()), tenant::Project::check_invariants)
    }

    /// The clock the mock reads (shared with the whole server).
    pub fn clock(&self) -> &Clock {
        &self.handle.clock
    }

    /// Forgets every project, token, key and event.
    pub fn reset(&self) {
        self.handle.write().clear();
    }
}
