//! Everything the PostHog mock holds: projects, their tokens, and personal API keys.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use super::keys::{KeyRing, PersonalKey};
use super::project::Project;
use crate::ids::IdGenerator;

/// The PostHog mock's state.
#[derive(Debug)]
pub struct PostHogState {
    projects: BTreeMap<i64, Project>,
    tokens: HashMap<String, i64>,
    /// The personal API keys.
    pub keys: KeyRing,
    /// Numeric person ids, one sequence for the whole deployment as in PostHog.
    pks: Arc<AtomicI64>,
    ids: IdGenerator,
}

impl Default for PostHogState {
    fn default() -> Self {
        Self {
            projects: BTreeMap::new(),
            tokens: HashMap::new(),
            keys: KeyRing::default(),
            pks: Arc::new(AtomicI64::new(1)),
            ids: IdGenerator::seeded("posthog"),
        }
    }
}

impl PostHogState {
    /// Creates project `id` if needed and returns it.
    pub fn ensure_project(&mut self, id: i64) -> &mut Project {
        let pks = &self.pks;
        self.projects
            .entry(id)
            .or_insert_with(|| Project::new(id, Arc::clone(pks)))
    }

    /// Project `id`, if it exists.
    pub fn project(&self, id: i64) -> Option<&Project> {
        self.projects.get(&id)
    }

    /// Project `id`, mutable.
    pub fn project_mut(&mut self, id: i64) -> Option<&mut Project> {
        self.projects.get_mut(&id)
    }

    /// Creates project `id` (if needed) with project token `token` (or a generated `phc_…`);
    /// returns the token.
    pub fn add_project(&mut self, id: i64, token: Option<&str>) -> String {
        self.ensure_project(id);
        let token = token.map_or_else(|| self.ids.next("phc_", 43), str::to_owned);
        self.tokens.insert(token.clone(), id);
        token
    }

    /// The project a capture token belongs to.
    pub fn project_for_token(&self, token: &str) -> Option<i64> {
        self.tokens.get(token).copied()
    }

    /// Registers `key` under `token` (or a generated `phx_…`), creating the projects its owner
    /// belongs to; returns the token.
    pub fn add_key(&mut self, token: Option<&str>, key: PersonalKey) -> String {
        for project in &key.member_of {
            self.ensure_project(*project);
        }
        let token = token.map_or_else(|| self.ids.next("phx_", 43), str::to_owned);
        self.keys.insert(token.clone(), key);
        token
    }
}
