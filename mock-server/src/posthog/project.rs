//! One PostHog project: the append-only event log, the persons ingestion builds from it (kept
//! with their indexes in a [`PersonStore`]), the events of each distinct id, and the activity
//! log, deletions and cohorts; the journal of persons-API writes ([`journal`]) and the person
//! ids drawn ([`person_ids`]) make its history replayable.

pub mod journal;
pub mod person_ids;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use roaring::RoaringBitmap;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::activity::{Activity, ActivityEntry, Actor};
use super::event::{NewEvent, PropertyUpdates, StoredEvent};
use super::person::{Person, is_illegal_merge_id, person_uuid};
use super::search::Search;
use super::store::PersonStore;
pub use super::store::{PersonIndex, ValueBucket, value_text};
use super::time::MICROS_PER_HOUR;
use journal::Write;
use person_ids::PersonIds;

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

/// One project: its log and projections.
#[derive(Clone, Debug)]
pub struct Project {
    /// The numeric project (team) id.
    pub id: i64,
    log: Vec<StoredEvent>,
    store: PersonStore,
    /// Log positions of each distinct id's events, in log order.
    events_by_distinct_id: HashMap<String, Vec<u32>>,
    pks: PersonIds,
    /// Persons-API writes, each with the log length when it was made.
    journal: Vec<(usize, Write)>,
    activity: Vec<ActivityEntry>,
    /// Positions in `activity` of the entries about each person (by numeric id).
    activity_by_pk: HashMap<i64, Vec<usize>>,
    deletions: Vec<Deletion>,
    cohorts: Vec<Cohort>,
    /// Whether ingestion sets `last_seen_at` (PostHog's team-level switch, off by default).
    tracks_last_seen: bool,
}

impl Project {
    /// An empty project drawing numeric person ids from `pks` (shared by the deployment).
    pub fn new(id: i64, pks: Arc<AtomicI64>) -> Self {
        Self {
            id,
            log: Vec::new(),
            store: PersonStore::default(),
            events_by_distinct_id: HashMap::new(),
            pks: PersonIds::new(pks),
            journal: Vec::new(),
            activity: Vec::new(),
            activity_by_pk: HashMap::new(),
            deletions: Vec::new(),
            cohorts: Vec::new(),
            tracks_last_seen: false,
        }
    }

    /// Turns PostHog's team-level `last_seen_at` switch on or off (§3.7).
    pub fn track_last_seen(&mut self, enabled: bool) {
        if self.tracks_last_seen != enabled {
            self.tracks_last_seen = enabled;
            self.record(Write::TrackLastSeen(enabled));
        }
    }

    /// The numeric person ids the project has drawn, in draw order, as ranges (first, last).
    pub fn person_id_ranges(&self) -> &[(i64, i64)] {
        self.pks.drawn()
    }

    /// Makes the project draw the ids of `ranges` (each first ≤ last) before the deployment's
    /// sequence, as it did when its history was first made (for replaying a seed).
    pub(in crate::posthog) fn plan_person_ids(
        &mut self,
        ranges: impl IntoIterator<Item = (i64, i64)>,
    ) {
        self.pks.plan(ranges);
    }

    /// Forgets planned person ids not drawn (the end of a seed replay).
    pub(in crate::posthog) fn end_person_id_plan(&mut self) {
        self.pks.end_plan();
    }

    /// How many live persons the project has.
    pub fn person_count(&self) -> usize {
        self.store.live()
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        self.log.len()
    }

    /// The person at `index`, if live.
    pub fn person(&self, index: PersonIndex) -> Option<&Person> {
        self.store.get(index)
    }

    /// The person owning `distinct_id`.
    pub fn by_distinct_id(&self, distinct_id: &str) -> Option<PersonIndex> {
        self.store.by_distinct_id(distinct_id)
    }

    /// The person with `uuid`.
    pub fn by_uuid(&self, uuid: &Uuid) -> Option<PersonIndex> {
        self.store.by_uuid(uuid)
    }

    /// The person with numeric id `pk`.
    pub fn by_pk(&self, pk: i64) -> Option<PersonIndex> {
        self.store.by_pk(pk)
    }

    /// Live persons, newest first (`created_at` then UUID, both descending).
    pub fn newest_first(&self) -> impl Iterator<Item = PersonIndex> + '_ {
        self.store.newest_first()
    }

    /// The order key of a live person.
    pub fn order_key(&self, index: PersonIndex) -> Option<(i64, Uuid)> {
        self.store.order_key(index)
    }

    /// The value index of property `key`.
    pub fn values_of(&self, key: &str) -> Option<&HashMap<String, ValueBucket>> {
        self.store.values_of(key)
    }

    /// The persons that may match `search` (a superset of the matches), or `None` when the
    /// trigram index cannot narrow it.
    pub fn search_candidates(&self, search: &Search) -> Option<RoaringBitmap> {
        self.store.search_candidates(search)
    }

    /// The events sent by any distinct id `person` owns now, oldest first (by timestamp,
    /// then log order), as PostHog's point-in-time queries select them.
    pub fn events_of(&self, person: &Person) -> Vec<&StoredEvent> {
        let mut positions: Vec<u32> = person
            .stored_distinct_ids()
            .filter_map(|distinct_id| self.events_by_distinct_id.get(distinct_id))
            .flatten()
            .copied()
            .collect();
        positions.sort_unstable();
        let mut events: Vec<&StoredEvent> = positions
            .into_iter()
            .filter_map(|position| self.log.get(usize::try_from(position).ok()?))
            .collect();
        events.sort_by_key(|event| event.timestamp);
        events
    }

    /// The activity log, oldest first.
    pub fn activity(&self) -> &[ActivityEntry] {
        &self.activity
    }

    /// The activity entries about person `pk`, oldest first.
    pub fn activity_of(&self, pk: i64) -> Vec<&ActivityEntry> {
        self.activity_by_pk
            .get(&pk)
            .into_iter()
            .flatten()
            .filter_map(|position| self.activity.get(*position))
            .collect()
    }

    /// Person deletions, oldest first.
    pub fn deletions(&self) -> &[Deletion] {
        &self.deletions
    }

    /// The cohorts.
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// Cohort `id` (ids are positions + 1).
    pub fn cohort(&self, id: i64) -> Option<&Cohort> {
        let position = usize::try_from(id.checked_sub(1)?).ok()?;
        self.cohorts.get(position)
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
        self.record(Write::CreateCohort {
            name: name.to_owned(),
            distinct_ids: distinct_ids.iter().map(|id| (*id).to_owned()).collect(),
        });
        id
    }

    /// Ingests one event as PostHog's pipeline does (§3 of the reference), synchronously:
    /// persons are created, updated or merged, and the event is appended to the log. `now`
    /// stands in for a missing timestamp. A refused event changes nothing. Costs
    /// O(log persons + the event's size), plus the absorbed person's size on a merge.
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
        let uuid = event
            .uuid
            .unwrap_or_else(|| derived_event_uuid(self.id, position));
        let stored = StoredEvent {
            uuid,
            event: event.event,
            distinct_id: event.distinct_id,
            timestamp: event.timestamp.unwrap_or(now),
            properties: event.properties,
        };
        let person = (!personless).then(|| self.update_persons(&stored));
        match self.events_by_distinct_id.get_mut(&stored.distinct_id) {
            Some(positions) => positions.push(position),
            None => {
                self.events_by_distinct_id
                    .insert(stored.distinct_id.clone(), vec![position]);
            }
        }
        self.log.push(stored);
        Ok(person)
    }

    /// Creates, updates or merges the persons `stored` names; returns the person it ends on.
    fn update_persons(&mut self, stored: &StoredEvent) -> PersonIndex {
        let updates = if NON_UPDATING_EVENTS.contains(&stored.event.as_str()) {
            PropertyUpdates::default()
        } else {
            PropertyUpdates::of(stored)
        };
        let target = stored.distinct_id.as_str();
        let context = Creation {
            timestamp: stored.timestamp,
            event_uuid: stored.uuid,
        };
        let index = match merge_request(stored) {
            Some((other, restricted))
                if other != target
                    && !is_illegal_merge_id(&other)
                    && !is_illegal_merge_id(target) =>
            {
                self.merge(target, &other, restricted, &updates, &context)
            }
            _ => self.get_or_create(target, &updates, &context),
        };
        let sees =
            stored.properties.get("$update_person_last_seen_at") != Some(&Value::Bool(false));
        if self.tracks_last_seen && sees {
            let timestamp = stored.timestamp;
            self.store.see(
                index,
                timestamp.saturating_sub(timestamp.rem_euclid(MICROS_PER_HOUR)),
            );
        }
        index
    }

    fn get_or_create(
        &mut self,
        distinct_id: &str,
        updates: &PropertyUpdates<'_>,
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
        updates: &PropertyUpdates<'_>,
        context: &Creation,
    ) -> PersonIndex {
        let index = match (self.by_distinct_id(target), self.by_distinct_id(other)) {
            (None, None) => return self.create(&[target, other], updates, context, true),
            (None, Some(owner)) => {
                self.store.add_distinct_id(owner, target);
                owner
            }
            (Some(owner), None) => {
                self.store.add_distinct_id(owner, other);
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
        self.store.mark_identified(index);
        self.apply(index, updates);
        index
    }

    /// A new person owning `distinct_ids` (the first names its UUID), with the event's
    /// `$set_once` then `$set` and `$creator_event_uuid`. Reuses the person already holding
    /// that UUID, if any.
    fn create(
        &mut self,
        distinct_ids: &[&str],
        updates: &PropertyUpdates<'_>,
        context: &Creation,
        identified: bool,
    ) -> PersonIndex {
        let uuid = person_uuid(self.id, distinct_ids.first().copied().unwrap_or_default());
        if let Some(existing) = self.by_uuid(&uuid) {
            for distinct_id in distinct_ids {
                self.store.add_distinct_id(existing, distinct_id);
            }
            self.apply(existing, updates);
            return existing;
        }
        let mut properties = updates.initial_properties();
        properties.insert(
            "$creator_event_uuid".to_owned(),
            Value::String(context.event_uuid.to_string()),
        );
        let index = self.insert_person(uuid, context.timestamp, properties, identified);
        for distinct_id in distinct_ids {
            self.store.add_distinct_id(index, distinct_id);
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
        let pk = self.pks.draw();
        self.store.insert(Person {
            pk,
            uuid,
            created_at,
            properties,
            is_identified: identified,
            distinct_ids: Vec::new(),
            last_seen_at: None,
        })
    }

    /// Moves everything of `absorbed` onto `kept` and deletes `absorbed`: properties (kept's
    /// win), the earlier `created_at`, distinct ids (in row order), cohort memberships.
    fn absorb(&mut self, kept: PersonIndex, absorbed: PersonIndex) {
        let Some(gone) = self.store.remove(absorbed) else {
            return;
        };
        self.store.update(kept, |properties, created_at| {
            let mut merged = gone.properties.clone();
            merged.extend(std::mem::take(properties));
            *properties = merged;
            *created_at = (*created_at).min(gone.created_at);
        });
        self.store.adopt_distinct_ids(kept, &gone);
        for cohort in &mut self.cohorts {
            if cohort.members.remove(&absorbed) {
                cohort.members.insert(kept);
            }
        }
    }

    /// Applies `$set_once` (where undefined), then `$set`, then `$unset` of keys present
    /// before the event, re-indexing only the keys whose values change.
    fn apply(&mut self, index: PersonIndex, updates: &PropertyUpdates<'_>) {
        if updates.is_empty() {
            return;
        }
        let Some(person) = self.store.get(index) else {
            return;
        };
        let changes = updates.changes(&person.properties);
        self.store.set_properties(index, &changes);
    }

    /// Deletes a person (unless `keep_person`), freeing its distinct ids and dropping it from
    /// cohorts, and logs it. A live person always owns a distinct id (the one its UUID is
    /// derived from), which the journal names it by.
    pub fn delete_person(
        &mut self,
        index: PersonIndex,
        keep_person: bool,
        actor: &Actor,
        now: i64,
    ) -> bool {
        let Some((pk, uuid, distinct_id)) = self.journal_target(index) else {
            return false;
        };
        self.record(Write::DeletePerson {
            distinct_id,
            keep_person,
            actor: actor.clone(),
            at: now,
        });
        if !keep_person {
            self.store.remove(index);
            for cohort in &mut self.cohorts {
                cohort.members.remove(&index);
            }
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
        let Some(created_at) = self.person(index).map(|person| person.created_at) else {
            return;
        };
        let Some((pk, uuid, distinct_id)) = self.journal_target(index) else {
            return;
        };
        self.record(Write::Split {
            distinct_id,
            moved: moved.to_vec(),
            actor: actor.clone(),
            at: now,
        });
        for distinct_id in moved {
            let target_uuid = person_uuid(self.id, distinct_id);
            if target_uuid == uuid || self.by_distinct_id(distinct_id) != Some(index) {
                continue;
            }
            self.store.remove_distinct_id(index, distinct_id);
            let target = match self.by_uuid(&target_uuid) {
                Some(existing) => existing,
                None => self.insert_person(target_uuid, created_at, Map::new(), false),
            };
            self.store.add_distinct_id(target, distinct_id);
        }
        let remaining: Vec<Value> = self
            .person(index)
            .map(|person| person.stored_distinct_ids().map(Value::from).collect())
            .unwrap_or_default();
        let after = serde_json::json!({"distinct_ids": remaining, "distinct_ids_to_split": moved});
        self.log_activity(Activity::SplitPerson, pk, uuid, actor, Some(after), now);
    }

    /// The numeric id, UUID and first distinct id of the live person at `index`.
    fn journal_target(&self, index: PersonIndex) -> Option<(i64, Uuid, String)> {
        let person = self.person(index)?;
        let distinct_id = person.stored_distinct_ids().next()?;
        Some((person.pk, person.uuid, distinct_id.to_owned()))
    }

    /// Logs an activity about person `pk`.
    fn log_activity(
        &mut self,
        activity: Activity,
        pk: i64,
        uuid: Uuid,
        actor: &Actor,
        after: Option<Value>,
        now: i64,
    ) {
        self.activity_by_pk
            .entry(pk)
            .or_default()
            .push(self.activity.len());
        self.activity.push(ActivityEntry {
            activity,
            person_pk: pk,
            person_uuid: uuid.to_string(),
            actor: actor.clone(),
            after,
            created_at: now,
        });
    }

    /// Checks every projection against the persons: the store's indexes rebuilt from scratch
    /// (see [`PersonStore::check`]), every live person owning a distinct id (the journal names
    /// persons by one), cohorts holding only live persons, and every distinct id of a person
    /// found in the per-distinct-id event index when it sent an event. For tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.store.check()?;
        if let Some(index) = self.newest_first().find(|index| {
            self.person(*index)
                .is_none_or(|person| person.distinct_ids.is_empty())
        }) {
            return Err(format!("live person {index} owns no distinct id"));
        }
        for cohort in &self.cohorts {
            if let Some(dead) = cohort
                .members
                .iter()
                .find(|index| self.person(**index).is_none())
            {
                return Err(format!("cohort {} holds dead person {dead}", cohort.id));
            }
        }
        let mut rebuilt: HashMap<&str, Vec<u32>> = HashMap::new();
        for (position, event) in self.log.iter().enumerate() {
            let position = u32::try_from(position).map_err(|error| error.to_string())?;
            rebuilt
                .entry(&event.distinct_id)
                .or_default()
                .push(position);
        }
        let maintained: HashMap<&str, Vec<u32>> = self
            .events_by_distinct_id
            .iter()
            .map(|(id, positions)| (id.as_str(), positions.clone()))
            .collect();
        if rebuilt != maintained {
            return Err("the per-distinct-id event index drifted from the log".to_owned());
        }
        Ok(())
    }
}

/// What a newly created person takes from its creating event.
struct Creation {
    timestamp: i64,
    event_uuid: Uuid,
}

/// The UUID the mock gives an event sent without one: UUIDv5 of `"{project}:{position}"`,
/// `position` being the event's place in the project's log.
pub fn derived_event_uuid(project: i64, position: u32) -> Uuid {
    Uuid::new_v5(&EVENT_NAMESPACE, format!("{project}:{position}").as_bytes())
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

#[cfg(test)]
mod tests;
