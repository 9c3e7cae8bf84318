//! Everything the PostHog mock holds: projects, their tokens, and personal API keys, and the one
//! write path into the projects.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::keys::{KeyRing, PersonalKey};
use super::log::{Entry, Event};
use super::tenant::{Applied, Project, RecordError};
use crate::Timestamp;
use crate::durable::{Durable, Logged};
use crate::ids::IdGenerator;

/// Characters after the prefix of a generated token (`phc_…`, `phx_…`).
const TOKEN_LENGTH: usize = 43;

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
    /// How many tokens `ids` has generated.
    generated: u64,
    durable: Durable,
}

impl Default for PostHogState {
    fn default() -> Self {
        Self::new(Durable::default())
    }
}

impl PostHogState {
    /// An empty state whose projects log their entries to `durable`.
    pub fn new(durable: Durable) -> Self {
        Self {
            projects: BTreeMap::new(),
            tokens: HashMap::new(),
            keys: KeyRing::default(),
            pks: Arc::new(AtomicI64::new(1)),
            ids: IdGenerator::seeded("posthog"),
            generated: 0,
            durable,
        }
    }

    /// Forgets every project, token and key, and starts person ids over (still logging to the
    /// same data directory).
    pub fn clear(&mut self) {
        *self = Self::new(self.durable.clone());
    }

    /// Applies `entry` to project `project_id` at clock time `now`, logging it to the data
    /// directory first (see [`Project::apply`]). A project that does not exist yet is created,
    /// unless the entry is refused or changes nothing.
    pub fn apply(
        &mut self,
        project_id: i64,
        entry: Entry,
        now: Timestamp,
    ) -> Result<Applied, RecordError> {
        let mut log = self.durable.entry_log(|entry| Logged::Posthog {
            tenant: project_id,
            at: now,
            entry,
        });
        let mut created = None;
        let project = match self.projects.get_mut(&project_id) {
            Some(project) => project,
            None => created.insert(self.detached_project(project_id)),
        };
        let applied = project.apply(entry, now, &mut log)?;
        if let Some(project) = created
            && applied != Applied::Unchanged
        {
            self.projects.insert(project_id, project);
        }
        Ok(applied)
    }

    /// Captures the typed `event` into project `project_id` (created if needed) at clock time
    /// `now`, as [`PostHogState::apply`] applies its entry, the entry's texts built straight
    /// into the project's (see [`Project::capture_event`]).
    pub fn capture(
        &mut self,
        project_id: i64,
        event: Event,
        now: Timestamp,
    ) -> Result<Applied, RecordError> {
        let pks = &self.pks;
        let project = self
            .projects
            .entry(project_id)
            .or_insert_with(|| Project::new(project_id, Arc::clone(pks)));
        let mut log = self.durable.entry_log(|entry| Logged::Posthog {
            tenant: project_id,
            at: now,
            entry,
        });
        project.capture_event(event, now, &mut log)
    }

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

    /// Every project, by id.
    pub fn projects(&self) -> impl Iterator<Item = &Project> {
        self.projects.values()
    }

    /// Creates project `id` (if needed) with project token `token` (or a generated `phc_…`
    /// no project has yet); returns the token.
    pub fn add_project(&mut self, id: i64, token: Option<&str>) -> String {
        self.ensure_project(id);
        let token = match token {
            Some(token) => token.to_owned(),
            None => {
                let taken = &self.tokens;
                fresh_token(&mut self.ids, &mut self.generated, "phc_", |token| {
                    taken.contains_key(token)
                })
            }
        };
        self.tokens.insert(token.clone(), id);
        token
    }

    /// The project a capture token belongs to.
    pub fn project_for_token(&self, token: &str) -> Option<i64> {
        self.tokens.get(token).copied()
    }

    /// Every project token with its project, in no particular order.
    pub fn project_tokens(&self) -> impl Iterator<Item = (&str, i64)> {
        self.tokens
            .iter()
            .map(|(token, project)| (token.as_str(), *project))
    }

    /// Registers `key` under `token` (or a generated `phx_…` no key has yet), creating the
    /// projects its owner belongs to; returns the token.
    pub fn add_key(&mut self, token: Option<&str>, key: PersonalKey) -> String {
        for project in &key.member_of {
            self.ensure_project(*project);
        }
        let token = match token {
            Some(token) => token.to_owned(),
            None => {
                let taken = &self.keys;
                fresh_token(&mut self.ids, &mut self.generated, "phx_", |token| {
                    taken.contains(token)
                })
            }
        };
        self.keys.insert(token.clone(), key);
        token
    }

    /// The numeric id the next new person of any project gets (unless a seed being loaded
    /// names it).
    pub fn next_person_id(&self) -> i64 {
        self.pks.load(Ordering::Relaxed)
    }

    /// How many tokens and keys the mock has generated so far.
    pub fn generated_tokens(&self) -> u64 {
        self.generated
    }

    /// An empty project `id` drawing person ids from this state's sequence, not yet added
    /// (see [`PostHogState::insert_project`]).
    pub(super) fn detached_project(&self, id: i64) -> Project {
        Project::new(id, Arc::clone(&self.pks))
    }

    /// Adds `project`, made by [`PostHogState::detached_project`], replacing any with its id.
    pub(super) fn insert_project(&mut self, project: Project) {
        self.projects.insert(project.id, project);
    }

    /// Makes `next` the next person id of the deployment's sequence.
    pub(super) fn set_next_person_id(&mut self, next: i64) {
        self.pks.store(next, Ordering::Relaxed);
    }

    /// Moves the token generator on until it has generated `count` tokens (no-op if it has
    /// already), so tokens generated later differ from those it generated before an export.
    pub(super) fn skip_generated_tokens(&mut self, count: u64) {
        while self.generated < count {
            self.ids.next("", TOKEN_LENGTH);
            self.generated += 1;
        }
    }
}

/// The next generated `prefix` token that `taken` does not hold.
fn fresh_token(
    ids: &mut IdGenerator,
    generated: &mut u64,
    prefix: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    loop {
        let token = ids.next(prefix, TOKEN_LENGTH);
        *generated += 1;
        if !taken(&token) {
            return token;
        }
    }
}
