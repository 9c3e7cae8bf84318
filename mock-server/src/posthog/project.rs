//! One PostHog project: the append-only event log and the projections ingestion keeps up to
//! date with every event (persons, distinct-id / UUID / numeric-id indexes, the newest-first
//! order, the property-value index), plus the activity log, deletions and cohorts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::activity::{Activity, ActivityEntry, Actor};
use super::event::{NewEvent, PropertyUpdates, StoredEvent};
use super::person::{Person, is_illegal_merge_id, person_uuid};

/// Index of a person in the project's person slab.
pub type PersonIndex = usize;

/// The namespace of event UUIDs the mock derives for events sent without one.
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x5f0c_2a51_8d3e_4b7a_9c61_0e2d_4f8a_b713);

/// Events that never update persons.
const NON_UPDATING_EVENTS: [&str; 2] = ["$exception", "$$heatmap"];

/// Events that merge persons, and are dropped when personless.
const MERGE_EVENTS: [&str; 4] = [
    "$identify",
    "$create_alias",
    "$merge_dangerously",
    "$groupidentify",
];

/// Why an event was not ingested. Capture still answers 200: PostHog drops these later with
/// an ingestion warning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// A personless `$identify`, `$create_alias`, `$merge_dangerously` or `$groupidentify`.
    #[error("a personless {0} event cannot touch persons")]
    PersonlessMerge(String),
    /// The log holds `u32::MAX` events.
    #[error("the project holds the maximum number of events")]
    LogFull,
}

/// A cohort (static membership).
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its members.
    pub members: BTreeSet<PersonIndex>,
}

/// A person deletion, for deletion_status.
#[derive(Clone, Debug, PartialEq)]
pub struct Deletion {
    /// The deleted person's UUID.
    pub person_uuid: Uuid,
    /// When it was deleted, in microseconds.
    pub created_at: i64,
}

/// Persons sharing one value of one property, with that value as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueBucket {
    /// The value as stored (the first person's, when several spell it the same).
    pub value: Value,
    /// The persons holding it.
    pub persons: BTreeSet<PersonIndex>,
}

/// One project: its log and projections.
#[derive(Clone, Debug)]
pub struct Project {
    /// The numeric project (team) id.
    pub id: i64,
    log: Vec<StoredEvent>,
    persons: Vec<Option<Person>>,
    live: usize,
    by_distinct_id: HashMap<String, PersonIndex>,
    by_uuid: HashMap<Uuid, PersonIndex>,
    by_pk: HashMap<i64, PersonIndex>,
    /// `(created_at, uuid, index)` of every live person, ascending; lists walk it backwards.
    order: BTreeSet<(i64, Uuid, PersonIndex)>,
    /// Property key → value text → persons.
    values: HashMap<String, HashMap<String, ValueBucket>>,
    next_row_id: u64,
    pks: Arc<AtomicI64>,
    activity: Vec<ActivityEntry>,
    deletions: Vec<Deletion>,
    cohorts: Vec<Cohort>,
}

impl Project {
    /// An empty project drawing numeric person ids from `pks` (shared by the deployment).
    pub fn new(id: i64, pks: Arc<AtomicI64>) -> Self {
        Self {
            id,
            log: Vec::new(),
            persons: Vec::new(),
            live: 0,
            by_distinct_id: HashMap::new(),
            by_uuid: HashMap::new(),
            by_pk: HashMap::new(),
            order: BTreeSet::new(),
            values: HashMap::new(),
            next_row_id: 0,
            pks,
            activity: Vec::new(),
            deletions: Vec::new(),
            cohorts: Vec::new(),
        }
    }

    /// How many live persons the project has.
    pub fn person_count(&self) -> usize {
        self.live
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        self.log.len()
    }

    /// The person at `index`, if live.
    pub fn person(&self, index: PersonIndex) -> Option<&Person> {
        self.persons.get(index).and_then(Option::as_ref)
    }

    /// The person owning `distinct_id`.
    pub fn by_distinct_id(&self, distinct_id: &str) -> Option<PersonIndex> {
        self.by_distinct_id.get(distinct_id).copied()
    }

    /// The person with `uuid`.
    pub fn by_uuid(&self, uuid: &Uuid) -> Option<PersonIndex> {
        self.by_uuid.get(uuid).copied()
    }

    /// The person with numeric id `pk`.
    pub fn by_pk(&self, pk: i64) -> Option<PersonIndex> {
        self.by_pk.get(&pk).copied()
    }

    /// Live persons, newest first (`created_at` then UUID, both descending).
    pub fn newest_first(&self) -> impl Iterator<Item = PersonIndex> + '_ {
        self.order.iter().rev().map(|(_, _, index)| *index)
    }

    /// The order key of a live person.
    pub fn order_key(&self, index: PersonIndex) -> Option<(i64, Uuid)> {
        self.person(index)
            .map(|person| (person.created_at, person.uuid))
    }

    /// The value index of property `key`.
    pub fn values_of(&self, key: &str) -> Option<&HashMap<String, ValueBucket>> {
        self.values.get(key)
    }

    /// The event at log position `position`.
    pub fn event(&self, position: u32) -> Option<&StoredEvent> {
        self.log.get(usize::try_from(position).ok()?)
    }

    /// The activity log, oldest first.
    pub fn activity(&self) -> &[ActivityEntry] {
        &self.activity
    }

    /// Person deletions, oldest first.
    pub fn deletions(&self) -> &[Deletion] {
        &self.deletions
    }

    /// The cohorts.
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// Creates a static cohort of the persons owning `distinct_ids`; returns its id.
    pub fn create_cohort(&mut self, name: &str, distinct_ids: &[&str]) -> i64 {
        let id = i64::try_from(self.cohorts.len())
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let members = distinct_ids
            .iter()
            .filter_map(|distinct_id| self.by_distinct_id(distinct_id))
            .collect();
        self.cohorts.push(Cohort {
            id,
            name: name.to_owned(),
            members,
        });
        id
    }

    /// Ingests one event as PostHog's pipeline does (§3 of the reference), synchronously: the
    /// event is appended to the log, then persons are created, updated or merged. `now`
    /// stands in for a missing timestamp. A refused event changes nothing.
    pub fn ingest(
        &mut self,
        event: NewEvent,
        now: i64,
    ) -> Result<Option<PersonIndex>, IngestError> {
        let personless =
            event.properties.get("$process_person_profile") == Some(&Value::Bool(false));
        if personless && MERGE_EVENTS.contains(&event.event.as_str()) {
            return Err(IngestError::PersonlessMerge(event.event));
        }
        let position = u32::try_from(self.log.len()).map_err(|_| IngestError::LogFull)?;
        let uuid = event.uuid.unwrap_or_else(|| {
            Uuid::new_v5(
                &EVENT_NAMESPACE,
                format!("{}:{position}", self.id).as_bytes(),
            )
        });
        let stored = StoredEvent {
            uuid,
            event: event.event,
            distinct_id: event.distinct_id,
            timestamp: event.timestamp.unwrap_or(now),
            properties: event.properties,
        };
        let updates = if NON_UPDATING_EVENTS.contains(&stored.event.as_str()) {
            PropertyUpdates::default()
        } else {
            PropertyUpdates::of(&stored)
        };
        let merge = merge_request(&stored);
        let (target, timestamp) = (stored.distinct_id.clone(), stored.timestamp);
        self.log.push(stored);
        if personless {
            return Ok(None);
        }
        let context = Creation {
            timestamp,
            event_uuid: uuid,
        };
        let index = match merge {
            Some((other, restricted))
                if other != target
                    && !is_illegal_merge_id(&other)
                    && !is_illegal_merge_id(&target) =>
            {
                self.merge(&target, &other, restricted, &updates, &context)
            }
            _ => self.get_or_create(&target, &updates, &context),
        };
        if let Some(person) = self.persons.get_mut(index).and_then(Option::as_mut) {
            person.events.push(position);
        }
        Ok(Some(index))
    }

    fn get_or_create(
        &mut self,
        distinct_id: &str,
        updates: &PropertyUpdates,
        context: &Creation,
    ) -> PersonIndex {
        match self.by_distinct_id(distinct_id) {
            Some(index) => {
                self.apply(index, updates);
                index
            }
            None => self.create(&[distinct_id], updates, context, false),
        }
    }

    fn merge(
        &mut self,
        target: &str,
        other: &str,
        restricted: bool,
        updates: &PropertyUpdates,
        context: &Creation,
    ) -> PersonIndex {
        let index = match (self.by_distinct_id(target), self.by_distinct_id(other)) {
            (None, None) => return self.create(&[target, other], updates, context, true),
            (None, Some(owner)) => {
                self.add_distinct_id(owner, target);
                owner
            }
            (Some(owner), None) => {
                self.add_distinct_id(owner, other);
                owner
            }
            (Some(kept), Some(absorbed)) if kept == absorbed => kept,
            (Some(kept), Some(absorbed)) => {
                let refused = restricted
                    && self
                        .person(absorbed)
                        .is_some_and(|person| person.is_identified);
                if !refused {
                    self.absorb(kept, absorbed);
                }
                kept
            }
        };
        if let Some(person) = self.persons.get_mut(index).and_then(Option::as_mut) {
            person.is_identified = true;
        }
        self.apply(index, updates);
        index
    }

    /// A new person owning `distinct_ids` (the first names its UUID), with the event's
    /// `$set_once` then `$set` and `$creator_event_uuid`. Reuses the person already holding
    /// that UUID, if any.
    fn create(
        &mut self,
        distinct_ids: &[&str],
        updates: &PropertyUpdates,
        context: &Creation,
        identified: bool,
    ) -> PersonIndex {
        let uuid = person_uuid(self.id, distinct_ids.first().copied().unwrap_or_default());
        if let Some(existing) = self.by_uuid(&uuid) {
            for distinct_id in distinct_ids {
                self.add_distinct_id(existing, distinct_id);
            }
            self.apply(existing, updates);
            return existing;
        }
        let mut properties = updates.set_once.clone();
        properties.extend(updates.set.clone());
        properties.insert(
            "$creator_event_uuid".to_owned(),
            Value::String(context.event_uuid.to_string()),
        );
        let index = self.insert_person(uuid, context.timestamp, properties, identified);
        for distinct_id in distinct_ids {
            self.add_distinct_id(index, distinct_id);
        }
        index
    }

    fn insert_person(
        &mut self,
        uuid: Uuid,
        created_at: i64,
        properties: Map<String, Value>,
        identified: bool,
    ) -> PersonIndex {
        let index = self.persons.len();
        let pk = self.pks.fetch_add(1, Ordering::Relaxed);
        self.persons.push(Some(Person {
            pk,
            uuid,
            created_at,
            properties,
            is_identified: identified,
            distinct_ids: Vec::new(),
            events: Vec::new(),
        }));
        self.live += 1;
        self.by_uuid.insert(uuid, index);
        self.by_pk.insert(pk, index);
        self.order.insert((created_at, uuid, index));
        self.index_values(index);
        index
    }

    fn add_distinct_id(&mut self, index: PersonIndex, distinct_id: &str) {
        if self.by_distinct_id.contains_key(distinct_id) {
            return;
        }
        let row = self.next_row_id;
        self.next_row_id += 1;
        if let Some(person) = self.persons.get_mut(index).and_then(Option::as_mut) {
            person.distinct_ids.push((row, distinct_id.to_owned()));
            self.by_distinct_id.insert(distinct_id.to_owned(), index);
        }
    }

    /// Moves everything of `absorbed` onto `kept` and deletes `absorbed`: properties (kept's
    /// win), the earlier `created_at`, distinct ids (in row order), events, cohorts.
    fn absorb(&mut self, kept: PersonIndex, absorbed: PersonIndex) {
        let Some(gone) = self.remove_person(absorbed) else {
            return;
        };
        self.update_person(kept, |person| {
            let mut properties = gone.properties.clone();
            properties.extend(std::mem::take(&mut person.properties));
            person.properties = properties;
            person.created_at = person.created_at.min(gone.created_at);
            person
                .distinct_ids
                .extend(gone.distinct_ids.iter().cloned());
            person.distinct_ids.sort_by_key(|(row, _)| *row);
            person.events.extend(gone.events.iter().copied());
            person.events.sort_unstable();
        });
        for (_, distinct_id) in &gone.distinct_ids {
            self.by_distinct_id.insert(distinct_id.clone(), kept);
        }
        for cohort in &mut self.cohorts {
            if cohort.members.remove(&absorbed) {
                cohort.members.insert(kept);
            }
        }
    }

    /// Applies `$set_once` (where undefined), then `$set`, then `$unset` of keys present
    /// before the event.
    fn apply(&mut self, index: PersonIndex, updates: &PropertyUpdates) {
        if updates.is_empty() {
            return;
        }
        self.update_person(index, |person| updates.apply_to(&mut person.properties));
    }

    /// Changes a live person with `change`, keeping the order and value indexes in step.
    fn update_person(&mut self, index: PersonIndex, change: impl FnOnce(&mut Person)) {
        let Some(key) = self.order_key(index) else {
            return;
        };
        self.unindex_values(index);
        self.order.remove(&(key.0, key.1, index));
        if let Some(person) = self.persons.get_mut(index).and_then(Option::as_mut) {
            change(person);
            self.order.insert((person.created_at, person.uuid, index));
        }
        self.index_values(index);
    }

    /// Takes a person out of every projection and returns it.
    fn remove_person(&mut self, index: PersonIndex) -> Option<Person> {
        self.unindex_values(index);
        let person = self.persons.get_mut(index)?.take()?;
        self.live -= 1;
        self.order.remove(&(person.created_at, person.uuid, index));
        self.by_uuid.remove(&person.uuid);
        self.by_pk.remove(&person.pk);
        for (_, distinct_id) in &person.distinct_ids {
            self.by_distinct_id.remove(distinct_id);
        }
        for cohort in &mut self.cohorts {
            cohort.members.remove(&index);
        }
        Some(person)
    }

    fn index_values(&mut self, index: PersonIndex) {
        let Some(person) = self.persons.get(index).and_then(Option::as_ref) else {
            return;
        };
        for (key, value) in &person.properties {
            let bucket = self
                .values
                .entry(key.clone())
                .or_default()
                .entry(value_text(value))
                .or_insert_with(|| ValueBucket {
                    value: value.clone(),
                    persons: BTreeSet::new(),
                });
            bucket.persons.insert(index);
        }
    }

    fn unindex_values(&mut self, index: PersonIndex) {
        let Some(person) = self.persons.get(index).and_then(Option::as_ref) else {
            return;
        };
        for (key, value) in &person.properties {
            let Some(buckets) = self.values.get_mut(key) else {
                continue;
            };
            let text = value_text(value);
            if let Some(bucket) = buckets.get_mut(&text) {
                bucket.persons.remove(&index);
                if bucket.persons.is_empty() {
                    buckets.remove(&text);
                }
            }
            if buckets.is_empty() {
                self.values.remove(key);
            }
        }
    }

    /// Deletes a person (unless `keep_person`), freeing its distinct ids, and logs it.
    pub fn delete_person(
        &mut self,
        index: PersonIndex,
        keep_person: bool,
        actor: &Actor,
        now: i64,
    ) -> bool {
        let Some((pk, uuid)) = self.person(index).map(|person| (person.pk, person.uuid)) else {
            return false;
        };
        if !keep_person {
            self.remove_person(index);
            self.deletions.push(Deletion {
                person_uuid: uuid,
                created_at: now,
            });
        }
        self.log_activity(Activity::Deleted, pk, uuid, actor, None, now);
        true
    }

    /// Moves `moved` distinct ids off person `index` onto persons of their own (UUIDv5 of the
    /// id; an existing person with that UUID is reused, a new one starts empty). An id whose
    /// UUID is the original person's own stays where it is.
    pub fn split(&mut self, index: PersonIndex, moved: &[String], actor: &Actor, now: i64) {
        let Some((pk, uuid, created_at)) = self
            .person(index)
            .map(|person| (person.pk, person.uuid, person.created_at))
        else {
            return;
        };
        for distinct_id in moved {
            let target_uuid = person_uuid(self.id, distinct_id);
            if target_uuid == uuid || self.by_distinct_id(distinct_id) != Some(index) {
                continue;
            }
            self.update_person(index, |person| {
                person.distinct_ids.retain(|(_, id)| id != distinct_id);
            });
            self.by_distinct_id.remove(distinct_id);
            let target = match self.by_uuid(&target_uuid) {
                Some(existing) => existing,
                None => self.insert_person(target_uuid, created_at, Map::new(), false),
            };
            self.add_distinct_id(target, distinct_id);
        }
        let remaining: Vec<Value> = self
            .person(index)
            .map(|person| person.stored_distinct_ids().map(Value::from).collect())
            .unwrap_or_default();
        let after = serde_json::json!({"distinct_ids": remaining, "distinct_ids_to_split": moved});
        self.log_activity(Activity::SplitPerson, pk, uuid, actor, Some(after), now);
    }

    /// Logs an activity about person `pk`.
    pub fn log_activity(
        &mut self,
        activity: Activity,
        pk: i64,
        uuid: Uuid,
        actor: &Actor,
        after: Option<Value>,
        now: i64,
    ) {
        self.activity.push(ActivityEntry {
            activity,
            person_pk: pk,
            person_uuid: uuid.to_string(),
            actor: actor.clone(),
            after,
            created_at: now,
        });
    }

    /// Checks every projection against the persons: each distinct id on exactly one live
    /// person, every index pointing at a live person holding the key. For tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = HashMap::new();
        for (index, person) in self.persons.iter().enumerate() {
            let Some(person) = person else { continue };
            for (_, distinct_id) in &person.distinct_ids {
                if let Some(other) = seen.insert(distinct_id.clone(), index) {
                    return Err(format!("{distinct_id} is on persons {other} and {index}"));
                }
                if self.by_distinct_id(distinct_id) != Some(index) {
                    return Err(format!("the index loses {distinct_id}"));
                }
            }
            if self.by_uuid(&person.uuid) != Some(index) || self.by_pk(person.pk) != Some(index) {
                return Err(format!("person {index} is not indexed"));
            }
        }
        if seen.len() != self.by_distinct_id.len() || self.order.len() != self.live {
            return Err("an index holds a dead entry".to_owned());
        }
        Ok(())
    }
}

/// What a newly created person takes from its creating event.
struct Creation {
    timestamp: i64,
    event_uuid: Uuid,
}

/// The distinct id an identify/alias/merge event merges into its sender, and whether the merge
/// is refused when that id's person is already identified.
fn merge_request(event: &StoredEvent) -> Option<(String, bool)> {
    let property = |key: &str| {
        event
            .properties
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match event.event.as_str() {
        "$identify" => property("$anon_distinct_id").map(|other| (other, true)),
        "$create_alias" => property("alias").map(|other| (other, true)),
        "$merge_dangerously" => property("alias").map(|other| (other, false)),
        _ => None,
    }
}

/// A property value as text: strings as they are, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
