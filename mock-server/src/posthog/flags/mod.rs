//! PostHog feature flags: a project's flag definitions (a projection of its `flag` log
//! entries), PostHog's evaluation of them for a person, the hash-key overrides of experience
//! continuity, the REST API that defines them, remote evaluation (`/flags`, `/decide`) and the
//! local-evaluation definitions the SDKs poll.

pub(crate) mod api;
pub(crate) mod continuity;
pub(crate) mod definition;
pub(crate) mod dependency;
pub(crate) mod entry;
pub(crate) mod evaluate;
pub(crate) mod groups;
pub(crate) mod hash;
pub(crate) mod operator;
pub(crate) mod remote;
pub(crate) mod render;

#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::Timestamp;
use crate::posthog::activity::Actor;
pub use continuity::HashKeyOverrides;
use definition::Rules;
pub use entry::FlagWrite;

/// A stored flag.
#[derive(Clone, Debug)]
pub struct Flag {
    /// Its id.
    pub id: i64,
    /// Its key.
    pub key: String,
    /// Its description (`name`).
    pub name: String,
    /// Its `filters` as stored (payloads as JSON text).
    pub filters: Value,
    /// The compiled filters.
    pub rules: Rules,
    /// Whether it is active.
    pub active: bool,
    /// Whether it is soft-deleted.
    pub deleted: bool,
    /// `ensure_experience_continuity`.
    pub ensure_experience_continuity: bool,
    /// `evaluation_runtime`.
    pub evaluation_runtime: String,
    /// `bucketing_identifier`.
    pub bucketing_identifier: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Version: 1 on creation, one more per write.
    pub version: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// Who created it.
    pub created_by: Actor,
    /// When it was last written.
    pub updated_at: Timestamp,
}

/// A project's flags, in id order, with the index by id, the live flag holding each key, and
/// the local-evaluation definitions body built once per change.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    list: Vec<Flag>,
    by_id: FxHashMap<i64, usize>,
    by_key: FxHashMap<String, usize>,
    definitions: OnceLock<Arc<render::Definitions>>,
}

impl Flags {
    /// The id a new flag gets: one more than the largest.
    pub fn next_id(&self) -> i64 {
        self.list.iter().map(|flag| flag.id).max().unwrap_or(0) + 1
    }

    /// Flag `id`, deleted or not (soft-deleted flags stay until a new flag takes their key).
    pub fn by_id(&self, id: i64) -> Option<&Flag> {
        self.by_id.get(&id).map(|&position| &self.list[position])
    }

    /// The live (not deleted) flag with `key`.
    pub fn live(&self, key: &str) -> Option<&Flag> {
        self.by_key.get(key).map(|&position| &self.list[position])
    }

    /// Every flag, deleted ones included, in id order of creation.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Flag> {
        self.list.iter()
    }

    /// Stores `flag` (prepared by [`Flags::prepare`]), replacing the one with its id.
    pub fn insert(&mut self, flag: Flag) {
        self.definitions = OnceLock::new();
        let position = match self.by_id.get(&flag.id) {
            Some(&position) => {
                let old = &self.list[position];
                if self.by_key.get(&old.key) == Some(&position) {
                    self.by_key.remove(&old.key);
                }
                position
            }
            None => {
                self.purge_deleted(&flag.key);
                self.list.push(flag.clone());
                self.by_id.insert(flag.id, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        if !flag.deleted {
            self.by_key.insert(flag.key.clone(), position);
        }
        self.list[position] = flag;
    }

    /// Removes the soft-deleted flags holding `key`: PostHog hard-deletes them before it creates
    /// a flag with that key.
    fn purge_deleted(&mut self, key: &str) {
        let before = self.list.len();
        self.list.retain(|flag| !(flag.deleted && flag.key == key));
        if self.list.len() == before {
            return;
        }
        self.by_id = self
            .list
            .iter()
            .enumerate()
            .map(|(position, flag)| (flag.id, position))
            .collect();
        self.by_key = self
            .list
            .iter()
            .enumerate()
            .filter(|(_, flag)| !flag.deleted)
            .map(|(position, flag)| (flag.key.clone(), position))
            .collect();
    }

    /// Drops the cached definitions (the group types changed).
    pub fn forget_definitions(&mut self) {
        self.definitions = OnceLock::new();
    }

    /// The local-evaluation definitions with the project's `group_types`, built on the first
    /// read after a change.
    pub fn definitions(&self, project_id: i64, group_types: &[String]) -> Arc<render::Definitions> {
        self.definitions
            .get_or_init(|| Arc::new(render::Definitions::build(self, project_id, group_types)))
            .clone()
    }
}
