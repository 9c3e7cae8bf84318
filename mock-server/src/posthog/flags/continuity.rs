//! Experience continuity (`ensure_experience_continuity`, §3.7 of the reference): the hash-key
//! overrides a project stores per person and flag key, the write a `/flags` request carrying
//! `$anon_distinct_id` makes of them, and the identifier an experience-continuity flag hashes
//! (the stored override, else the request's `$anon_distinct_id`, else the distinct id).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::definition::Target;
use super::{Flag, Flags};
use crate::posthog::tenant::{PersonIndex, Project};

/// A write of hash-key overrides, PostHog's `set_feature_flag_hash_key_overrides`: each
/// person owning one of `distinct_ids` at this point of the log gets `hash_key` for every
/// active, live flag with experience continuity it has no override for yet. The flags service
/// writes one when a `/flags` request carries `$anon_distinct_id` (`distinct_ids` are the
/// request's distinct id and that id, `hash_key` that id); in a seed:
/// `- hash_key_overrides: {distinct_ids: [user-1, anon-1], hash_key: anon-1}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashKeyOverrides {
    /// The distinct ids whose persons get the overrides (ids no person owns are skipped).
    pub distinct_ids: Vec<String>,
    /// What the flags hash instead of the distinct id (the anonymous id).
    pub hash_key: String,
}

/// The hash-key overrides of one project (PostHog's `posthog_featureflaghashkeyoverride`):
/// person → flag key → hash key. They follow a person through merges and go with its deletion.
#[derive(Clone, Debug, Default)]
pub struct HashKeys {
    by_person: FxHashMap<PersonIndex, BTreeMap<String, String>>,
}

impl HashKeys {
    /// The overrides of `person` (flag key → hash key).
    pub fn of(&self, person: PersonIndex) -> Option<&BTreeMap<String, String>> {
        self.by_person.get(&person)
    }

    /// The persons holding overrides.
    pub fn persons(&self) -> impl Iterator<Item = PersonIndex> + '_ {
        self.by_person.keys().copied()
    }

    /// The (person, flag key) pairs of `persons` × `keys` without an override.
    pub fn missing(&self, persons: &[PersonIndex], keys: &[&str]) -> Vec<(PersonIndex, String)> {
        persons
            .iter()
            .flat_map(|person| keys.iter().map(move |key| (*person, *key)))
            .filter(|(person, key)| self.of(*person).is_none_or(|held| !held.contains_key(*key)))
            .map(|(person, key)| (person, key.to_owned()))
            .collect()
    }

    /// Stores `hash_key` for each of `pairs`.
    pub fn insert(&mut self, pairs: Vec<(PersonIndex, String)>, hash_key: &str) {
        for (person, key) in pairs {
            self.by_person
                .entry(person)
                .or_default()
                .insert(key, hash_key.to_owned());
        }
    }

    /// A merge of `absorbed` into `kept`: `absorbed`'s overrides move to `kept` for the flag
    /// keys `kept` has none for (`kept`'s own win), the rest go (PostHog's person merge).
    pub fn absorb(&mut self, kept: PersonIndex, absorbed: PersonIndex) {
        let Some(moved) = self.by_person.remove(&absorbed) else {
            return;
        };
        let held = self.by_person.entry(kept).or_default();
        for (key, hash_key) in moved {
            held.entry(key).or_insert(hash_key);
        }
    }

    /// Drops the overrides of a deleted person.
    pub fn forget(&mut self, person: PersonIndex) {
        self.by_person.remove(&person);
    }
}

impl Flag {
    /// PostHog's `has_experience_continuity`: continuity on a person flag (no flag-level group
    /// aggregation) bucketed by distinct id.
    pub fn has_experience_continuity(&self) -> bool {
        self.ensure_experience_continuity
            && self.rules.aggregation.is_none()
            && self.bucketing_identifier.as_deref() != Some("device_id")
    }

    /// PostHog's `needs_hash_key_override`: a continuity flag whose value can depend on the
    /// hash, through a condition rolled out to less than 100 % or more than one reachable
    /// variant (one whose range starts below 100 % and is not empty). The flags service looks
    /// overrides up (and writes them) only when a flag it evaluates needs them.
    pub fn needs_hash_key_override(&self) -> bool {
        if !self.has_experience_continuity() {
            return false;
        }
        let partial = self
            .rules
            .conditions
            .iter()
            .any(|condition| condition.rollout.is_some_and(|rollout| rollout < 100.0));
        let mut before = 0.0;
        let mut reachable = 0;
        for variant in &self.rules.variants {
            if before < 100.0 && variant.rollout > 0.0 {
                reachable += 1;
            }
            before += variant.rollout;
        }
        partial || reachable > 1
    }
}

impl Flags {
    /// The keys of the active, live flags with `ensure_experience_continuity` (those a write
    /// of overrides covers).
    pub fn continuity_keys(&self) -> Vec<&str> {
        self.iter()
            .filter(|flag| flag.active && !flag.deleted && flag.ensure_experience_continuity)
            .map(|flag| flag.key.as_str())
            .collect()
    }
}

/// Whether a request evaluating the active, live flags of `flags` (those `only` names, when
/// given, and the active flags they depend on) reads hash-key overrides: when one of them
/// [needs them](Flag::needs_hash_key_override).
pub fn lookup_needed(flags: &Flags, only: Option<&[&str]>) -> bool {
    let mut pending: Vec<&Flag> = flags
        .iter()
        .filter(|flag| only.is_none_or(|keys| keys.contains(&flag.key.as_str())))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(flag) = pending.pop() {
        if !flag.active || flag.deleted || !seen.insert(flag.id) {
            continue;
        }
        if flag.needs_hash_key_override() {
            return true;
        }
        let targets = flag.rules.conditions.iter().flat_map(|condition| {
            condition
                .properties
                .iter()
                .filter_map(|filter| match filter.target {
                    Target::Flag(id) => flags.by_id(id),
                    _ => None,
                })
        });
        pending.extend(targets);
    }
    false
}

/// The live persons owning `distinct_ids`, each once, in order.
pub fn persons(project: &Project, distinct_ids: &[&str]) -> Vec<PersonIndex> {
    let mut persons = Vec::new();
    for person in distinct_ids
        .iter()
        .filter_map(|id| project.by_distinct_id(id))
    {
        if !persons.contains(&person) {
            persons.push(person);
        }
    }
    persons
}

/// The write a request for `distinct_id` carrying `anon_distinct_id` makes, if any (PostHog's
/// `should_write_hash_key_override`): when the persons of the two ids exist and some active
/// continuity flag has no override on either of them. Persons that do not exist yet get none,
/// as in PostHog (the override needs a person to hang on).
pub fn planned_write(
    project: &Project,
    distinct_id: &str,
    anon_distinct_id: &str,
) -> Option<HashKeyOverrides> {
    let persons = persons(project, &[distinct_id, anon_distinct_id]);
    let held: BTreeSet<&str> = persons
        .iter()
        .filter_map(|person| project.hash_keys().of(*person))
        .flat_map(BTreeMap::keys)
        .map(String::as_str)
        .collect();
    let uncovered = project
        .flags()
        .continuity_keys()
        .iter()
        .any(|key| !held.contains(key));
    (!persons.is_empty() && uncovered).then(|| HashKeyOverrides {
        distinct_ids: vec![distinct_id.to_owned(), anon_distinct_id.to_owned()],
        hash_key: anon_distinct_id.to_owned(),
    })
}

/// What a request's continuity flags hash.
#[derive(Clone, Debug, Default)]
pub struct Continuity<'a> {
    /// The stored overrides the request reads, by flag key.
    stored: BTreeMap<&'a str, &'a str>,
    /// The request's `$anon_distinct_id`.
    anon_distinct_id: Option<&'a str>,
}

impl<'a> Continuity<'a> {
    /// The continuity of a request for `distinct_id` with `anon_distinct_id` in `project`;
    /// `lookup`: whether the flags service reads stored overrides (some evaluated flag needs
    /// them). It reads those of the persons of both ids, the distinct id's person's winning.
    pub fn of(
        project: &'a Project,
        distinct_id: &str,
        anon_distinct_id: Option<&'a str>,
        lookup: bool,
    ) -> Self {
        let mut stored = BTreeMap::new();
        if lookup {
            let ids = [anon_distinct_id, Some(distinct_id)];
            for person in ids
                .iter()
                .flatten()
                .filter_map(|id| project.by_distinct_id(id))
            {
                let overrides = project.hash_keys().of(person).into_iter().flatten();
                stored.extend(overrides.map(|(key, hash_key)| (key.as_str(), hash_key.as_str())));
            }
        }
        Self {
            stored,
            anon_distinct_id,
        }
    }

    /// What rollouts and variants of `flag` (a continuity flag) hash: its stored override,
    /// else the request's `$anon_distinct_id`, else `distinct_id`.
    pub fn identifier<'s>(&'s self, flag: &Flag, distinct_id: &'s str) -> &'s str {
        self.stored
            .get(flag.key.as_str())
            .copied()
            .unwrap_or_else(|| self.holdout_identifier(distinct_id))
    }

    /// What a continuity flag's holdout hashes: the request's `$anon_distinct_id`, else
    /// `distinct_id` (the flags service never reads stored overrides for holdouts).
    pub fn holdout_identifier<'s>(&'s self, distinct_id: &'s str) -> &'s str {
        self.anon_distinct_id.unwrap_or(distinct_id)
    }
}

#[cfg(test)]
mod tests;
