//! One PostHog project: its log of [`Entry`]s and the one write path into it,
//! [`Project::apply`]; the persons ingestion builds from the log's events (kept with their
//! indexes in a [`PersonStore`]), the index of its events ([`events`]), and the activity log, deletions and cohorts the persons-API writes leave; the person ids the project
//! drew ([`person_ids`]), so an export can name them.

pub mod events;
pub mod person_ids;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use roaring::RoaringBitmap;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};
use smallvec::SmallVec;
use uuid::Uuid;

use super::activity::{Activity, ActivityEntry, Actor};
use super::flags::continuity::{self, HashKeys};
use super::flags::groups::Groups;
use super::flags::{Flags, HashKeyOverrides};
use super::log::{
    CapturedEvent, DeletePerson, Entry, LoggedEvent, NewCohort, SharedStr, Split, micros,
};
use super::person::{Person, is_illegal_merge_id, person_uuid};
use super::properties::{Interner, Prop, Properties};
use super::rendered::Rendered;
use super::search::Search;
use super::store::PersonStore;
pub use super::store::{PersonIndex, ValueBucket, value_text};
use super::time::MICROS_PER_HOUR;
use super::updates::{PropertyUpdates, only_filtered, replace_nul};
use crate::Timestamp;
use crate::durable::StorageError;
use events::{EventIndex, Indexed};
use person_ids::PersonIds;

/// The namespace of event UUIDs the mock derives for events sent without one.
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x5f0c_2a51_8d3e_4b7a_9c61_0e2d_4f8a_b713);

/// Events that never update persons.
const NON_UPDATING_EVENTS: [&str; 2] = ["$exception", "$$heatmap"];

/// Events whose property changes are always written (ingestion's `PERSON_EVENTS`).
const PERSON_EVENTS: [&str; 4] = ["$identify", "$create_alias", "$merge_dangerously", "$set"];

/// Events that merge persons, and are dropped when personless.
const MERGE_EVENTS: [&str; 4] = [
    "$identify",
    "$create_alias",
    "$merge_dangerously",
    "$groupidentify",
];

/// Why an entry was refused. Capture still answers 200 for a refused event: PostHog drops
/// those later with an ingestion warning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A personless `$identify`, `$create_alias`, `$merge_dangerously` or `$groupidentify`.
    #[error("a personless {0} event cannot touch persons")]
    PersonlessMerge(String),
    /// The log holds `u32::MAX` entries.
    #[error("the project holds the maximum number of entries")]
    LogFull,
    /// A persons-API write names a distinct id no live person owns.
    #[error("no person has distinct id `{0}` at this point")]
    NoPerson(String),
    /// An `update_person` whose `properties` are null.
    #[error("must not be null")]
    NullProperties,
    /// A split naming distinct ids the person does not own.
    #[error("not on the person: {}", .0.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", "))]
    NotOnPerson(Vec<String>),
    /// The data directory could not log the entry.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A flag write PostHog's serializer refuses.
    #[error("invalid flag: {0}")]
    InvalidFlag(super::flags::definition::FlagError),
}

/// What applying an entry did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// An event was ingested; the person it ended on, unless it was personless.
    Captured(Option<PersonIndex>),
    /// A persons-API write took effect.
    Written,
    /// A static cohort was created, with this id.
    Cohort(i64),
    /// The entry would change nothing (a setting already in that state, a deletion that
    /// keeps its person and queues nothing, a verification with nothing pending), so it was
    /// neither logged nor kept.
    Unchanged,
    /// A flag was created or changed; its id.
    Flag(i64),
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

/// A queued deletion of a person's events (PostHog's `AsyncDeletion`), for deletion_status.
#[derive(Clone, Debug, PartialEq)]
pub struct Deletion {
    /// The person's UUID.
    pub person_uuid: Uuid,
    /// When it was queued, in microseconds.
    pub created_at: i64,
    /// When PostHog's batch verified it, in microseconds; `None` while pending.
    pub verified_at: Option<i64>,
}

/// One project: its log and projections.
#[derive(Clone, Debug)]
pub struct Project {
    /// The numeric project (team) id.
    pub id: i64,
    /// Every entry applied, oldest first.
    log: Vec<Entry>,
    /// How many entries of the log are or emit an event (numbering derived event UUIDs).
    events: u32,
    store: PersonStore,
    /// The events of the log by distinct id (in time order) and by name and day; its texts
    /// are the ones the captures share.
    event_index: EventIndex,
    /// Whether some capture of the log is personless (`$process_person_profile: false`).
    personless_events: bool,
    /// The texts of the captures' properties.
    interner: Interner,
    pks: PersonIds,
    activity: Vec<ActivityEntry>,
    /// Positions in `activity` of the entries about each person (by numeric id).
    activity_by_pk: HashMap<i64, Vec<usize>>,
    /// Queued event deletions, oldest first: the verified ones, then the pending ones (a
    /// verification verifies every pending one).
    deletions: Vec<Deletion>,
    /// The persons whose events were ever queued for deletion (PostHog queues a person once).
    queued: FxHashSet<Uuid>,
    cohorts: Vec<Cohort>,
    /// Whether ingestion sets `last_seen_at` (PostHog's team-level switch, off by default).
    tracks_last_seen: bool,
    /// The project setting `person_display_name_properties` (empty: PostHog's default).
    display_name_properties: Vec<String>,
    /// Feature flags.
    flags: Flags,
    /// Group types and group properties, for flags.
    groups: Groups,
    /// The hash-key overrides of experience continuity.
    hash_keys: HashKeys,
}

impl Project {
    /// An empty project drawing numeric person ids from `pks` (shared by the deployment).
    pub fn new(id: i64, pks: Arc<AtomicI64>) -> Self {
        Self {
            id,
            log: Vec::new(),
            events: 0,
            store: PersonStore::default(),
            event_index: EventIndex::default(),
            personless_events: false,
            interner: Interner::default(),
            pks: PersonIds::new(pks),
            activity: Vec::new(),
            activity_by_pk: HashMap::new(),
            deletions: Vec::new(),
            queued: FxHashSet::default(),
            cohorts: Vec::new(),
            tracks_last_seen: false,
            display_name_properties: Vec::new(),
            flags: Flags::default(),
            groups: Groups::default(),
            hash_keys: HashKeys::default(),
        }
    }

    /// Applies one write, the only way anything changes a project: checks `entry`, completes
    /// it (an event's UUID and time, a persons-API write's time, author and person, named by
    /// its first distinct id), hands it to `log` (the data directory), appends it to the log
    /// and updates the projections as PostHog's pipeline and persons API do (§3 of the
    /// reference), synchronously. `now` stands in for a missing time. A refused entry, by
    /// the checks or by `log`, changes nothing: no person id is drawn before `log` accepts.
    /// An event costs O(log persons + its size), plus the absorbed person's size on a merge.
    pub fn apply(
        &mut self,
        entry: Entry,
        now: Timestamp,
        log: &mut impl FnMut(&Entry) -> Result<(), StorageError>,
    ) -> Result<Applied, RecordError> {
        self.apply_entry(entry, now, log, false)
    }

    /// Applies the typed `event` as [`Project::apply`] applies its capture entry, the entry's
    /// property texts built straight into the project's shared texts (a text the project
    /// holds already is not copied), so that applying it looks none of them up again.
    pub(crate) fn capture_event(
        &mut self,
        event: super::log::Event,
        now: Timestamp,
        log: &mut impl FnMut(&Entry) -> Result<(), StorageError>,
    ) -> Result<Applied, RecordError> {
        let mut entry = event.into_entry_interned(&mut self.interner);
        // Replaced here rather than on completion, so the new texts are shared too.
        if let Entry::Capture(captured) = &mut entry
            && captured.properties.replace_nul()
        {
            captured.properties.intern(&mut self.interner);
        }
        self.apply_entry(entry, now, log, true)
    }

    /// [`Project::apply`]; `shared` says a capture's property texts are the project's shared
    /// ones already, NULs replaced.
    fn apply_entry(
        &mut self,
        mut entry: Entry,
        now: Timestamp,
        log: &mut impl FnMut(&Entry) -> Result<(), StorageError>,
        shared: bool,
    ) -> Result<Applied, RecordError> {
        let position = u32::try_from(self.log.len())
            .ok()
            .filter(|position| *position < u32::MAX)
            .ok_or(RecordError::LogFull)?;
        if let Entry::Flag(write) = &mut entry {
            let flag = self
                .flags
                .prepare(write, now, |id| self.cohort(id).is_some())
                .map_err(RecordError::InvalidFlag)?;
            log(&entry)?;
            let id = flag.id;
            self.flags.insert(flag);
            self.log.push(entry);
            return Ok(Applied::Flag(id));
        }
        let person = self.complete(&mut entry, now, shared)?;
        if self.changes_nothing(&entry) {
            return Ok(Applied::Unchanged);
        }
        log(&entry)?;
        let applied = self.project(&mut entry, position, person, shared);
        self.settle_owners();
        self.log.push(entry);
        Ok(applied)
    }

    /// Whether the completed `entry` would change nothing: a setting already so, a deletion
    /// that keeps its person and queues nothing, a verification with nothing pending.
    fn changes_nothing(&self, entry: &Entry) -> bool {
        match entry {
            Entry::TrackLastSeen(enabled) => *enabled == self.tracks_last_seen,
            Entry::PersonDisplayNameProperties(keys) => *keys == self.display_name_properties,
            Entry::DeletePerson(delete) => delete.keep_person && !delete.delete_events,
            Entry::VerifyEventDeletions(_) => self
                .deletions
                .last()
                .is_none_or(|last| last.verified_at.is_some()),
            Entry::HashKeyOverrides(write) => self.missing_overrides(write).is_empty(),
            _ => false,
        }
    }

    /// Checks `entry` against the project and fills in what it leaves out (a capture's NULs
    /// unless `shared` says they are replaced); returns the person a persons-API write acts
    /// on.
    fn complete(
        &self,
        entry: &mut Entry,
        now: Timestamp,
        shared: bool,
    ) -> Result<Option<PersonIndex>, RecordError> {
        if let Entry::VerifyEventDeletions(verify) = entry {
            verify.timestamp.get_or_insert(now);
            return Ok(None);
        }
        if let Entry::Capture(event) = entry {
            if MERGE_EVENTS.contains(&&*event.event) && is_personless(event) {
                return Err(RecordError::PersonlessMerge(event.event.to_string()));
            }
            event.timestamp.get_or_insert(now);
            event
                .uuid
                .get_or_insert_with(|| derived_event_uuid(self.id, self.events));
            if !shared {
                event.properties.replace_nul();
            }
            return Ok(None);
        }
        let Some(named) = entry.person_write().map(|write| write.distinct_id.clone()) else {
            return Ok(None);
        };
        let index = self.owner(&named)?;
        match entry {
            Entry::UpdatePerson(update) if update.properties.is_null() => {
                return Err(RecordError::NullProperties);
            }
            Entry::UpdatePerson(update) => {
                if let Value::Object(properties) = &mut update.properties {
                    replace_nul(properties);
                }
            }
            Entry::Split(split) => self.plan_split(index, split)?,
            _ => {}
        }
        if let Some(write) = entry.person_write() {
            if let Some(first) = self
                .person(index)
                .and_then(|person| person.stored_distinct_ids().next())
            {
                first.clone_into(write.distinct_id);
            }
            write.timestamp.get_or_insert(now);
            write.user.get_or_insert_with(Actor::mock);
        }
        Ok(Some(index))
    }

    /// The live person owning `distinct_id`.
    fn owner(&self, distinct_id: &str) -> Result<PersonIndex, RecordError> {
        self.by_distinct_id(distinct_id)
            .ok_or_else(|| RecordError::NoPerson(distinct_id.to_owned()))
    }

    /// Checks that the ids `split` lists are person `index`'s, or lists them: every id of the
    /// person but the one `split` names.
    fn plan_split(&self, index: PersonIndex, split: &mut Split) -> Result<(), RecordError> {
        let owned: Vec<&str> = self
            .person(index)
            .map(|person| person.stored_distinct_ids().collect())
            .unwrap_or_default();
        match &split.distinct_ids_to_split {
            Some(listed) => {
                let foreign: Vec<String> = listed
                    .iter()
                    .filter(|id| !owned.contains(&id.as_str()))
                    .cloned()
                    .collect();
                if !foreign.is_empty() {
                    return Err(RecordError::NotOnPerson(foreign));
                }
            }
            None => {
                let moved = owned
                    .iter()
                    .filter(|id| **id != split.distinct_id)
                    .map(|id| (*id).to_owned())
                    .collect();
                split.distinct_ids_to_split = Some(moved);
                split.listed = false;
            }
        }
        Ok(())
    }

    /// Updates the projections for the completed, logged `entry` at log `position`
    /// (interning a capture's texts on the way, its property texts unless `shared` already);
    /// `person` is the one a persons-API write acts on.
    fn project(
        &mut self,
        entry: &mut Entry,
        position: u32,
        person: Option<PersonIndex>,
        shared: bool,
    ) -> Applied {
        match (entry, person) {
            (Entry::Capture(event), _) => {
                if !shared {
                    event.properties.intern(&mut self.interner);
                }
                self.intern(event, position);
                let uuid = event
                    .uuid
                    .unwrap_or_else(|| derived_event_uuid(self.id, self.events));
                self.events += 1;
                if self.groups.ingest(&event.event, &event.properties) {
                    self.flags.forget_definitions();
                }
                let personless = is_personless(event);
                self.personless_events |= personless;
                let person = (!personless).then(|| self.update_persons(&event.logged(), uuid));
                Applied::Captured(person)
            }
            (Entry::UpdatePerson(update), Some(index)) => {
                let event = update.event();
                self.emit(
                    index,
                    &event,
                    position,
                    Activity::Updated,
                    None,
                    &update.user,
                );
                Applied::Written
            }
            (Entry::DeleteProperty(delete), Some(index)) => {
                let event = delete.event();
                self.emit(
                    index,
                    &event,
                    position,
                    Activity::DeleteProperty,
                    None,
                    &delete.user,
                );
                Applied::Written
            }
            (Entry::DeletePerson(delete), Some(index)) => {
                self.delete_person(index, delete);
                Applied::Written
            }
            (Entry::Split(split), Some(index)) => {
                self.split(index, split);
                Applied::Written
            }
            (Entry::Cohort(cohort), _) => Applied::Cohort(self.create_cohort(cohort)),
            (Entry::TrackLastSeen(enabled), _) => {
                self.tracks_last_seen = *enabled;
                Applied::Written
            }
            (Entry::PersonDisplayNameProperties(keys), _) => {
                self.display_name_properties.clone_from(keys);
                self.store.forget_renderings();
                Applied::Written
            }
            (Entry::VerifyEventDeletions(verify), _) => {
                let at = micros(verify.timestamp);
                for deletion in self.deletions.iter_mut().rev() {
                    if deletion.verified_at.is_some() {
                        break;
                    }
                    deletion.verified_at = Some(at);
                }
                Applied::Written
            }
            (Entry::HashKeyOverrides(write), _) => {
                let pairs = self.missing_overrides(write);
                self.hash_keys.insert(pairs, &write.hash_key);
                Applied::Written
            }
            (Entry::Flag(_), _) => unreachable!("a flag entry is applied before completion"),
            (
                Entry::UpdatePerson(_)
                | Entry::DeleteProperty(_)
                | Entry::DeletePerson(_)
                | Entry::Split(_),
                None,
            ) => unreachable!("a completed persons-API write names its person"),
        }
    }

    /// The (person, flag key) pairs `write` gives an override: each person owning one of its
    /// distinct ids, for each active continuity flag it has none for.
    fn missing_overrides(&self, write: &HashKeyOverrides) -> Vec<(PersonIndex, String)> {
        let ids: Vec<&str> = write.distinct_ids.iter().map(String::as_str).collect();
        let persons = continuity::persons(self, &ids);
        self.hash_keys
            .missing(&persons, &self.flags.continuity_keys())
    }

    /// Ingests `event`, the internal event of a persons-API write on person `index` at log
    /// `position`, and logs the write's `activity`.
    fn emit(
        &mut self,
        index: PersonIndex,
        event: &LoggedEvent<'_>,
        position: u32,
        activity: Activity,
        after: Option<Value>,
        user: &Option<Actor>,
    ) {
        let identity = self.identity(index);
        let uuid = derived_event_uuid(self.id, self.events);
        self.events += 1;
        self.update_persons(event, uuid);
        self.event_index.add(
            &SharedStr::from(event.name),
            &SharedStr::from(event.distinct_id),
            event.timestamp,
            position,
        );
        if let Some((pk, uuid)) = identity {
            let actor = user.clone().unwrap_or_else(Actor::mock);
            self.log_activity(activity, pk, uuid, &actor, after, event.timestamp);
        }
    }

    /// Tells the event index who owns the distinct ids the entry just applied moved or
    /// brought.
    fn settle_owners(&mut self) {
        for distinct_id in self.store.take_moved() {
            let owner = self.by_distinct_id(&distinct_id);
            self.event_index.set_owner(&distinct_id, owner);
        }
        for distinct_id in self.event_index.take_fresh() {
            let owner = self.by_distinct_id(&distinct_id);
            self.event_index.set_owner(&distinct_id, owner);
        }
    }

    /// Shares `event`'s name and distinct id with the log's earlier captures, and indexes it
    /// at log `position`.
    fn intern(&mut self, event: &mut CapturedEvent, position: u32) {
        let (name, distinct_id) = self.event_index.add(
            &event.event,
            &event.distinct_id,
            micros(event.timestamp),
            position,
        );
        event.event = name;
        event.distinct_id = distinct_id;
    }

    /// Applies many entries at once (a seed, a synthetic load, a batch of typed events):
    /// `apply` each between this and [`Project::end_bulk`], which builds the `search` trigram
    /// index once instead of after every change. The project is then exactly as if each
    /// entry had been applied alone.
    pub(crate) fn begin_bulk(&mut self) {
        self.store.defer_search();
    }

    /// Ends what [`Project::begin_bulk`] began.
    pub(crate) fn end_bulk(&mut self) {
        self.store.resume_search();
    }

    /// PostHog's team-level `last_seen_at` switch (§3.7): whether ingestion sets it.
    #[cfg(test)]
    pub fn tracks_last_seen(&self) -> bool {
        self.tracks_last_seen
    }

    /// The project setting `person_display_name_properties` (empty: PostHog's default).
    pub fn display_name_properties(&self) -> &[String] {
        &self.display_name_properties
    }

    /// The numeric person ids the project has drawn, in draw order, as ranges (first, last).
    pub fn person_id_ranges(&self) -> &[(i64, i64)] {
        self.pks.drawn()
    }

    /// Makes the project draw the ids of `ranges` (each first ≤ last) before the deployment's
    /// sequence, as it did when its log was first applied (for loading a seed).
    pub(in crate::posthog) fn plan_person_ids(
        &mut self,
        ranges: impl IntoIterator<Item = (i64, i64)>,
    ) {
        self.pks.plan(ranges);
    }

    /// Forgets planned person ids not drawn (the end of a seed load).
    pub(in crate::posthog) fn end_person_id_plan(&mut self) {
        self.pks.end_plan();
    }

    /// Every entry applied, oldest first.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// How many live persons the project has.
    pub fn person_count(&self) -> usize {
        self.store.live()
    }

    /// How many events the log holds (captured, and emitted by persons-API writes).
    pub fn event_count(&self) -> usize {
        self.events as usize
    }

    /// The person at `index`, if live.
    pub fn person(&self, index: PersonIndex) -> Option<&Person> {
        self.store.get(index)
    }

    /// The kept list rendering of live person `index` (see [`super::rendered`]).
    pub fn rendered(&self, index: PersonIndex) -> Option<&Rendered> {
        self.store.rendered(index)
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
    pub fn values_of(&self, key: &str) -> Option<&FxHashMap<String, ValueBucket>> {
        self.store.values_of(key)
    }

    /// The persons that may match `search` (a superset of the matches), or `None` when the
    /// trigram index cannot narrow it.
    pub fn search_candidates(&self, search: &Search) -> Option<RoaringBitmap> {
        self.store.search_candidates(search)
    }

    /// The events sent by any distinct id `person` owns now, the internal events of
    /// persons-API writes included, oldest first (by timestamp, then log order), as
    /// PostHog's point-in-time queries select them.
    pub(crate) fn events_of(&self, person: &Person) -> Vec<LoggedEvent<'_>> {
        let Some(index) = person
            .stored_distinct_ids()
            .next()
            .and_then(|distinct_id| self.by_distinct_id(distinct_id))
        else {
            return Vec::new();
        };
        self.indexed_events(index, i64::MIN, i64::MAX)
            .into_iter()
            .filter_map(|indexed| self.event_at(indexed.position))
            .collect()
    }

    /// The events of person `index` (sent by a distinct id it owns now) from `from` to `to`,
    /// both inclusive, as the index keeps them, oldest first (by timestamp, then log order):
    /// a binary search per distinct id, never the person's whole history.
    pub(crate) fn indexed_events(&self, index: PersonIndex, from: i64, to: i64) -> Vec<Indexed> {
        let runs: SmallVec<[&[Indexed]; 2]> = self.indexed_runs(index, from, to).collect();
        let mut events = Vec::with_capacity(runs.iter().map(|run| run.len()).sum());
        for run in &runs {
            events.extend_from_slice(run);
        }
        if runs.len() > 1 {
            events.sort_unstable();
        }
        events
    }

    /// The same events, one time-ordered slice per distinct id the person owns, copied
    /// nowhere: for reads that need no order across distinct ids.
    pub(crate) fn indexed_runs(
        &self,
        index: PersonIndex,
        from: i64,
        to: i64,
    ) -> impl Iterator<Item = &[Indexed]> {
        self.event_index
            .owned(index)
            .iter()
            .map(move |number| self.event_index.events(*number, from, to))
    }

    /// The number of event name `name`, if some event has it ([`Indexed::name`]).
    pub(crate) fn event_name_id(&self, name: &str) -> Option<u32> {
        self.event_index.name_id(name)
    }

    /// The live persons owning a distinct id that sent an event named one of `names` (by
    /// number) on a UTC day `from..=to` touches: a superset of those with such an event in
    /// the range (exactly them when the range is whole UTC days), ascending.
    pub(crate) fn active_persons(&self, names: &[u32], from: i64, to: i64) -> Vec<PersonIndex> {
        let mut persons: Vec<PersonIndex> = self
            .event_index
            .active(names, from, to)
            .iter()
            .filter_map(|number| self.event_index.owner(number))
            .collect();
        persons.sort_unstable();
        persons.dedup();
        persons
    }

    /// Whether some capture of the log is personless (`$process_person_profile: false`).
    pub(crate) fn has_personless_events(&self) -> bool {
        self.personless_events
    }

    /// The event the entry at log `position` is or emits.
    pub(crate) fn event_at(&self, position: u32) -> Option<LoggedEvent<'_>> {
        self.log.get(usize::try_from(position).ok()?)?.event()
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

    /// Queued event deletions, oldest first.
    pub fn deletions(&self) -> &[Deletion] {
        &self.deletions
    }

    /// The feature flags.
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// The group types and group properties flags read.
    pub fn groups(&self) -> &Groups {
        &self.groups
    }

    /// The hash-key overrides of experience continuity.
    pub fn hash_keys(&self) -> &HashKeys {
        &self.hash_keys
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

    /// Creates a static cohort of the persons owning its distinct ids now; returns its id.
    fn create_cohort(&mut self, cohort: &NewCohort) -> i64 {
        let id = i64::try_from(self.cohorts.len())
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let members = cohort
            .distinct_ids
            .iter()
            .filter_map(|distinct_id| self.by_distinct_id(distinct_id))
            .collect();
        self.cohorts.push(Cohort {
            id,
            name: cohort.name.clone(),
            members,
        });
        id
    }

    /// Creates, updates or merges the persons `event` names; returns the person it ends on.
    /// `uuid` is the event's, which a person it creates records as its creator.
    fn update_persons(&mut self, event: &LoggedEvent<'_>, uuid: Uuid) -> PersonIndex {
        let updates = if NON_UPDATING_EVENTS.contains(&event.name) {
            PropertyUpdates::default()
        } else {
            PropertyUpdates::of(&event.properties)
        };
        let target = event.distinct_id;
        let context = Creation {
            timestamp: event.timestamp,
            event_uuid: uuid,
        };
        let index = match merge_request(event) {
            Some((other, restricted))
                if other != target
                    && !is_illegal_merge_id(other)
                    && !is_illegal_merge_id(target) =>
            {
                self.merge(target, other, restricted, &updates, &context)
            }
            _ => self.get_or_create(
                target,
                &updates,
                &context,
                PERSON_EVENTS.contains(&event.name),
            ),
        };
        let sees = event.properties.get("$update_person_last_seen_at") != Some(&Prop::Bool(false));
        if self.tracks_last_seen && sees {
            let timestamp = event.timestamp;
            self.store.see(
                index,
                timestamp.saturating_sub(timestamp.rem_euclid(MICROS_PER_HOUR)),
            );
        }
        index
    }

    /// The person owning `distinct_id`, updated (see [`Project::update_properties`]), or a
    /// new one.
    fn get_or_create(
        &mut self,
        distinct_id: &str,
        updates: &PropertyUpdates<'_>,
        context: &Creation,
        force: bool,
    ) -> PersonIndex {
        match self.by_distinct_id(distinct_id) {
            Some(index) => {
                self.update_properties(index, updates, force);
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
        self.update_properties(index, updates, true);
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
            self.update_properties(existing, updates, true);
            return existing;
        }
        let mut creator = Uuid::encode_buffer();
        let creator = context.event_uuid.hyphenated().encode_lower(&mut creator);
        let creator = ("$creator_event_uuid", Prop::Str((&*creator).into()));
        let properties = updates.initial_properties(creator, |key| self.store.text(key));
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
        properties: Properties,
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
    /// win), the earlier `created_at`, distinct ids (in row order), hash-key overrides (kept's
    /// win), cohort memberships.
    fn absorb(&mut self, kept: PersonIndex, absorbed: PersonIndex) {
        let Some(gone) = self.store.remove(absorbed) else {
            return;
        };
        self.store.update(kept, |properties, created_at| {
            let mut merged = gone.properties.clone();
            for (key, value) in properties.iter() {
                merged.insert(key.into(), value.clone());
            }
            *properties = merged;
            *created_at = (*created_at).min(gone.created_at);
        });
        self.store.adopt_distinct_ids(kept, &gone);
        self.hash_keys.absorb(kept, absorbed);
        for cohort in &mut self.cohorts {
            if cohort.members.remove(&absorbed) {
                cohort.members.insert(kept);
            }
        }
    }

    /// Applies `$set_once` (where undefined), then `$set`, then `$unset` of keys present
    /// before the event, re-indexing only the keys whose values change. Unless `force` (a
    /// person event, or a merge), changes that only alter existing filtered properties are
    /// not written, as ingestion's person store ignores them.
    fn update_properties(
        &mut self,
        index: PersonIndex,
        updates: &PropertyUpdates<'_>,
        force: bool,
    ) {
        if updates.is_empty() {
            return;
        }
        let Some(person) = self.store.get(index) else {
            return;
        };
        let changes = updates.changes(&person.properties);
        if !force && only_filtered(&changes, &person.properties) {
            return;
        }
        self.store.set_properties(index, &changes);
    }

    /// Deletes person `index` as `delete` says: unless `keep_person`, frees its distinct ids,
    /// drops it from cohorts and its hash-key overrides and logs the `deleted` activity; with `delete_events`, queues the
    /// deletion of its events (once per person, as PostHog's unique `AsyncDeletion` rows).
    fn delete_person(&mut self, index: PersonIndex, delete: &DeletePerson) {
        let Some((pk, uuid)) = self.identity(index) else {
            return;
        };
        let now = micros(delete.timestamp);
        if delete.delete_events && self.queued.insert(uuid) {
            self.deletions.push(Deletion {
                person_uuid: uuid,
                created_at: now,
                verified_at: None,
            });
        }
        if !delete.keep_person {
            self.store.remove(index);
            self.hash_keys.forget(index);
            for cohort in &mut self.cohorts {
                cohort.members.remove(&index);
            }
            let actor = delete.user.clone().unwrap_or_else(Actor::mock);
            self.log_activity(Activity::Deleted, pk, uuid, &actor, None, now);
        }
    }

    /// Moves the distinct ids `split` lists off person `index` onto persons of their own
    /// (UUIDv5 of the id; an existing person with that UUID is reused, a new one starts empty).
    /// An id whose UUID is the original person's own stays where it is. The activity records
    /// every id the person had, and the listed ones when the request listed them.
    fn split(&mut self, index: PersonIndex, split: &Split) {
        let Some(person) = self.person(index) else {
            return;
        };
        let (pk, uuid, created_at) = (person.pk, person.uuid, person.created_at);
        let mut after = Map::new();
        after.insert(
            "distinct_ids".to_owned(),
            person.stored_distinct_ids().map(Value::from).collect(),
        );
        let moved = split.distinct_ids_to_split.as_deref().unwrap_or_default();
        if split.listed {
            after.insert(
                "distinct_ids_to_split".to_owned(),
                moved.iter().map(|id| Value::from(id.as_str())).collect(),
            );
        }
        for distinct_id in moved {
            let target_uuid = person_uuid(self.id, distinct_id);
            if target_uuid == uuid || self.by_distinct_id(distinct_id) != Some(index) {
                continue;
            }
            self.store.remove_distinct_id(index, distinct_id);
            let target = match self.by_uuid(&target_uuid) {
                Some(existing) => existing,
                None => self.insert_person(target_uuid, created_at, Properties::default(), false),
            };
            self.store.add_distinct_id(target, distinct_id);
        }
        let actor = split.user.clone().unwrap_or_else(Actor::mock);
        let now = micros(split.timestamp);
        let after = Some(Value::Object(after));
        self.log_activity(Activity::SplitPerson, pk, uuid, &actor, after, now);
    }

    /// The numeric id and UUID of the live person at `index`.
    fn identity(&self, index: PersonIndex) -> Option<(i64, Uuid)> {
        self.person(index).map(|person| (person.pk, person.uuid))
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

    /// Checks every projection against the persons and the log: the store's indexes rebuilt
    /// from scratch (see [`PersonStore::check`]), every live person owning a distinct id (the
    /// log names persons by one), cohorts and hash-key overrides held only by live persons; and
    /// against the log: every capture completed (UUID and time), the event count and the event
    /// index (with its distinct ids' owners) rebuilt from the entries that are or emit events,
    /// one activity entry per
    /// persons-API write, one deletion per deletion that did not keep its person, one cohort
    /// per cohort entry, and the `last_seen_at` switch as the last entry turning it left it.
    /// For tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.store.check()?;
        if let Some(index) = self.newest_first().find(|index| {
            self.person(*index)
                .is_none_or(|person| person.distinct_ids.is_empty())
        }) {
            return Err(format!("live person {index} owns no distinct id"));
        }
        if let Some(dead) = self
            .hash_keys
            .persons()
            .find(|index| self.person(*index).is_none())
        {
            return Err(format!("dead person {dead} holds hash-key overrides"));
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
        let (mut events, mut writes, mut queued, mut cohorts) = (0, 0, 0, 0);
        let mut tracks_last_seen = false;
        let mut display_name_properties: &[String] = &[];
        for (position, entry) in self.log.iter().enumerate() {
            let position = u32::try_from(position).map_err(|error| error.to_string())?;
            if entry.event().is_some() {
                events += 1;
            }
            match entry {
                Entry::Capture(event) if event.uuid.is_none() || event.timestamp.is_none() => {
                    return Err(format!("capture {position} is not completed"));
                }
                Entry::Capture(_) => {}
                Entry::UpdatePerson(_) | Entry::DeleteProperty(_) | Entry::Split(_) => writes += 1,
                Entry::DeletePerson(delete) => {
                    writes += usize::from(!delete.keep_person);
                    queued += usize::from(delete.delete_events);
                }
                Entry::Cohort(_) => cohorts += 1,
                Entry::TrackLastSeen(enabled) => tracks_last_seen = *enabled,
                Entry::PersonDisplayNameProperties(keys) => display_name_properties = keys,
                Entry::VerifyEventDeletions(_) | Entry::Flag(_) | Entry::HashKeyOverrides(_) => {}
            }
        }
        if events != self.events {
            return Err(format!(
                "{} events counted, the log holds {events}",
                self.events
            ));
        }
        self.event_index.check(
            self.log.iter().enumerate().filter_map(|(position, entry)| {
                let event = entry.event()?;
                let position = u32::try_from(position).ok()?;
                Some((event.name, event.distinct_id, event.timestamp, position))
            }),
            |distinct_id| self.by_distinct_id(distinct_id),
        )?;
        let counted = [
            ("activity entries", self.activity.len(), writes),
            ("cohorts", self.cohorts.len(), cohorts),
        ];
        if let Some((what, held, logged)) = counted.iter().find(|(_, held, logged)| held != logged)
        {
            return Err(format!("{held} {what} for {logged} in the log"));
        }
        if tracks_last_seen != self.tracks_last_seen {
            return Err("the last_seen_at switch drifted from the log".to_owned());
        }
        if display_name_properties != self.display_name_properties.as_slice() {
            return Err("person_display_name_properties drifted from the log".to_owned());
        }
        let uuids: FxHashSet<Uuid> = self.deletions.iter().map(|d| d.person_uuid).collect();
        let verified = self
            .deletions
            .iter()
            .take_while(|deletion| deletion.verified_at.is_some())
            .count();
        if uuids != self.queued
            || self.deletions.len() != uuids.len()
            || self.deletions.len() > queued
            || self.deletions[verified..]
                .iter()
                .any(|deletion| deletion.verified_at.is_some())
        {
            return Err("the queued event deletions drifted from the log".to_owned());
        }
        Ok(())
    }
}

/// Whether `event` is personless (`$process_person_profile: false`).
fn is_personless(event: &CapturedEvent) -> bool {
    event.properties.get("$process_person_profile") == Some(&Prop::Bool(false))
}

/// What a newly created person takes from its creating event.
struct Creation {
    timestamp: i64,
    event_uuid: Uuid,
}

/// The UUID the mock gives an event sent without one: UUIDv5 of `"{project}:{n}"`, `n` being
/// how many events the project's log held before it (captured, or emitted by persons-API
/// writes).
fn derived_event_uuid(project: i64, n: u32) -> Uuid {
    // Written backwards into a buffer rather than formatted: this runs once per event.
    let mut name = [0u8; 32];
    let mut start = digits_before(u64::from(n), &mut name, 32) - 1;
    name[start] = b':';
    start = digits_before(project.unsigned_abs(), &mut name, start);
    if project < 0 {
        start -= 1;
        name[start] = b'-';
    }
    Uuid::new_v5(&EVENT_NAMESPACE, &name[start..])
}

/// Writes the decimal digits of `value` into `buffer` so that they end before `end`; returns
/// where they start.
fn digits_before(mut value: u64, buffer: &mut [u8], mut end: usize) -> usize {
    loop {
        end -= 1;
        buffer[end] = b'0' + u8::try_from(value % 10).unwrap_or_default();
        value /= 10;
        if value == 0 {
            return end;
        }
    }
}

/// The distinct id an identify/alias/merge event merges into its sender, and whether the merge
/// is refused when that id's person is already identified.
fn merge_request<'a>(event: &'a LoggedEvent<'_>) -> Option<(&'a str, bool)> {
    let property = |key: &str| event.properties.get(key).and_then(Prop::as_str);
    match event.name {
        "$identify" => property("$anon_distinct_id").map(|other| (other, true)),
        "$create_alias" => property("alias").map(|other| (other, true)),
        "$merge_dangerously" => property("alias").map(|other| (other, false)),
        _ => None,
    }
}

#[cfg(test)]
impl Project {
    /// Applies `event` unlogged, with the epoch standing in for a missing time.
    pub(crate) fn capture(
        &mut self,
        event: super::log::Event,
    ) -> Result<Option<PersonIndex>, RecordError> {
        let now = Timestamp::from_unix_seconds(0);
        match self.apply(event.into_entry(), now, &mut crate::durable::unlogged)? {
            Applied::Captured(person) => Ok(person),
            other => unreachable!("a capture applies as one: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests;
