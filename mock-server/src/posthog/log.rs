//! What a PostHog project's log holds: one [`Entry`] per write (a captured event, or a write of
//! the persons API), the same value the project keeps in memory, a seed lists and the data
//! directory records. Also the typed [`Event`] builder tests capture with, and the
//! `LoggedEvent` view reads and ingestion take of an entry that is or emits an event.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

pub use super::activity::Actor;
use super::properties::Interner;
pub use super::properties::{Prop, Properties};
use crate::Timestamp;

/// One write of a PostHog project, in the order it was made.
///
/// In a seed each entry is a map with one key, its kind:
/// `- capture: {event: $pageview, distinct_id: anon-1}`. The project completes an entry as it
/// applies it (event UUID and time, the time and author of a persons-API write, the person's
/// first distinct id, the ids a split moves), so its log and an export carry every field and a
/// hand-written seed may leave them out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// An event, ingested as capture and [`PostHog::capture`](super::PostHog::capture) ingest
    /// it.
    Capture(CapturedEvent),
    /// A `$set` of person properties through the API (PATCH/PUT, update_property): ingested as
    /// the internal `$set` event PostHog emits, sent as the person's first distinct id.
    UpdatePerson(Box<UpdatePerson>),
    /// A property deleted through the API (delete_property): ingested as the internal
    /// `$delete_person_property` event unsetting it.
    DeleteProperty(Box<DeleteProperty>),
    /// A person deleted through the API (destroy, bulk_delete).
    DeletePerson(Box<DeletePerson>),
    /// Distinct ids split off a person through the API.
    Split(Box<Split>),
    /// A static cohort of the persons owning some distinct ids at this point of the log.
    Cohort(Box<NewCohort>),
    /// PostHog's team-level `last_seen_at` switch turned on (`true`) or off.
    TrackLastSeen(bool),
    /// The project setting `person_display_name_properties`: the property keys whose first
    /// truthy value is a person's display `name`, in order (empty: PostHog's default, `email`,
    /// `name`, `username`).
    PersonDisplayNameProperties(Vec<String>),
    /// PostHog's weekly batch ran: every queued event deletion is verified at this time
    /// (deletion_status then reports it `completed`).
    VerifyEventDeletions(Box<VerifyEventDeletions>),
    /// A feature flag created or changed (its whole state after the write).
    Flag(Box<super::flags::FlagWrite>),
    /// Hash-key overrides of experience continuity, written by a `/flags` request carrying
    /// `$anon_distinct_id`.
    HashKeyOverrides(Box<super::flags::HashKeyOverrides>),
}

/// A captured event, as ingestion keeps it: top-level `$set`/`$set_once` belong inside
/// `properties`.
///
/// A log holds millions of these, so its texts are [`SharedStr`]s the project interns: an event
/// name or a distinct id is stored once however many events repeat it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapturedEvent {
    /// The event name (`$pageview`, `$identify`, …).
    pub event: SharedStr,
    /// Who sent it.
    pub distinct_id: SharedStr,
    /// When it happened (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The event's UUID (default: UUIDv5 of `"{project}:{n}"`, the event being the project's
    /// n-th, counting from 0 and counting the events persons-API writes emit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Its properties, `$set`, `$set_once`, `$unset`, `$anon_distinct_id`, `alias`, … included
    /// (their texts interned by the project).
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub properties: Properties,
}

/// `$set` of `properties` on the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    /// A distinct id of the person (applying it names the person's first one, which the
    /// internal event is sent as).
    pub distinct_id: String,
    /// The properties to set (the request's `properties`; not null).
    pub properties: Value,
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Who, as the activity log shows them (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Actor>,
}

/// delete_property of `key` on the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteProperty {
    /// A distinct id of the person (applying it names the person's first one, which the
    /// internal event is sent as).
    pub distinct_id: String,
    /// The property to delete (the request's `$unset`).
    pub key: Value,
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Actor>,
}

/// Deletion of the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletePerson {
    /// A distinct id of the person (applying it names the person's first one).
    pub distinct_id: String,
    /// Keep the person (default: false); with `delete_events` only the events' deletion is
    /// queued, without it the entry does nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_person: bool,
    /// Queue the deletion of the person's events (default: false), which deletion_status lists
    /// as `pending` until [`Entry::VerifyEventDeletions`]; a person's events are queued once.
    #[serde(default, skip_serializing_if = "is_false")]
    pub delete_events: bool,
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Actor>,
}

/// A split of the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// A distinct id of the person; without `distinct_ids_to_split` the one that stays
    /// (applying it names the person's first one).
    pub distinct_id: String,
    /// The distinct ids to split off, each the person's (default: all but `distinct_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_ids_to_split: Option<Vec<String>>,
    /// Whether the request listed `distinct_ids_to_split` (the activity log then records
    /// them) rather than naming the id to keep (`main_distinct_id`). Default: whether the
    /// entry lists them; applying an entry that does not sets it to false.
    #[serde(default = "listed_by_default", skip_serializing_if = "is_true")]
    pub listed: bool,
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Actor>,
}

/// A static cohort of the persons owning `distinct_ids` at this point of the log; its id is
/// its rank among the project's cohorts (1, 2, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCohort {
    /// Its name.
    pub name: String,
    /// The distinct ids whose persons are members (unknown ones are skipped).
    #[serde(default)]
    pub distinct_ids: Vec<String>,
}

/// A run of PostHog's weekly batch that deletes queued events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEventDeletions {
    /// When (default: the clock's now when it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The fields every persons-API write has, borrowed to be completed.
#[derive(Debug)]
pub(crate) struct PersonWrite<'a> {
    /// The distinct id naming the person.
    pub distinct_id: &'a mut String,
    /// When.
    pub timestamp: &'a mut Option<Timestamp>,
    /// Who.
    pub user: &'a mut Option<Actor>,
}

/// An event of the log, as ingestion and the point-in-time reads see it: a captured event, or
/// the internal event a persons-API write emitted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LoggedEvent<'a> {
    /// The event name.
    pub name: &'a str,
    /// Who sent it.
    pub distinct_id: &'a str,
    /// When it happened, in microseconds.
    pub timestamp: i64,
    /// Its properties (built for an emitted event, borrowed for a captured one).
    pub properties: Cow<'a, Properties>,
}

impl Entry {
    /// The entry's key in a seed (`capture`, `update_person`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Capture(_) => "capture",
            Entry::UpdatePerson(_) => "update_person",
            Entry::DeleteProperty(_) => "delete_property",
            Entry::DeletePerson(_) => "delete_person",
            Entry::Split(_) => "split",
            Entry::Cohort(_) => "cohort",
            Entry::TrackLastSeen(_) => "track_last_seen",
            Entry::PersonDisplayNameProperties(_) => "person_display_name_properties",
            Entry::VerifyEventDeletions(_) => "verify_event_deletions",
            Entry::Flag(_) => "flag",
            Entry::HashKeyOverrides(_) => "hash_key_overrides",
        }
    }

    /// What the project completes in a persons-API write (the person, named by any of its
    /// distinct ids, the time and the author); `None` for the other kinds.
    pub(crate) fn person_write(&mut self) -> Option<PersonWrite<'_>> {
        let (distinct_id, timestamp, user) = match self {
            Entry::UpdatePerson(update) => (
                &mut update.distinct_id,
                &mut update.timestamp,
                &mut update.user,
            ),
            Entry::DeleteProperty(delete) => (
                &mut delete.distinct_id,
                &mut delete.timestamp,
                &mut delete.user,
            ),
            Entry::DeletePerson(delete) => (
                &mut delete.distinct_id,
                &mut delete.timestamp,
                &mut delete.user,
            ),
            Entry::Split(split) => (
                &mut split.distinct_id,
                &mut split.timestamp,
                &mut split.user,
            ),
            Entry::Capture(_)
            | Entry::Cohort(_)
            | Entry::TrackLastSeen(_)
            | Entry::PersonDisplayNameProperties(_)
            | Entry::VerifyEventDeletions(_)
            | Entry::Flag(_)
            | Entry::HashKeyOverrides(_) => return None,
        };
        Some(PersonWrite {
            distinct_id,
            timestamp,
            user,
        })
    }

    /// The event the entry is (a capture) or emits (a property update or deletion), if any.
    pub(crate) fn event(&self) -> Option<LoggedEvent<'_>> {
        match self {
            Entry::Capture(event) => Some(event.logged()),
            Entry::UpdatePerson(update) => Some(update.event()),
            Entry::DeleteProperty(delete) => Some(delete.event()),
            Entry::DeletePerson(_)
            | Entry::Split(_)
            | Entry::Cohort(_)
            | Entry::TrackLastSeen(_)
            | Entry::PersonDisplayNameProperties(_)
            | Entry::VerifyEventDeletions(_)
            | Entry::Flag(_)
            | Entry::HashKeyOverrides(_) => None,
        }
    }
}

impl CapturedEvent {
    /// The event as ingestion and reads see it.
    pub(crate) fn logged(&self) -> LoggedEvent<'_> {
        LoggedEvent {
            name: &self.event,
            distinct_id: &self.distinct_id,
            timestamp: micros(self.timestamp),
            properties: Cow::Borrowed(&self.properties),
        }
    }
}

impl UpdatePerson {
    /// The internal `$set` event it emits.
    pub(crate) fn event(&self) -> LoggedEvent<'_> {
        LoggedEvent {
            name: "$set",
            distinct_id: &self.distinct_id,
            timestamp: micros(self.timestamp),
            properties: Cow::Owned(single("$set", Prop::from(self.properties.clone()))),
        }
    }
}

impl DeleteProperty {
    /// The internal `$delete_person_property` event it emits.
    pub(crate) fn event(&self) -> LoggedEvent<'_> {
        LoggedEvent {
            name: "$delete_person_property",
            distinct_id: &self.distinct_id,
            timestamp: micros(self.timestamp),
            properties: Cow::Owned(single(
                "$unset",
                Prop::Array(Box::new(vec![self.key.clone()])),
            )),
        }
    }
}

/// The properties `{key: value}`.
fn single(key: &str, value: Prop) -> Properties {
    let mut properties = Properties::default();
    properties.insert(key.into(), value);
    properties
}

/// `timestamp` in microseconds; an entry not applied yet may lack its time, and then reads as
/// the epoch.
pub(super) fn micros(timestamp: Option<Timestamp>) -> i64 {
    timestamp.map_or(0, Timestamp::unix_micros)
}

fn is_false(flag: &bool) -> bool {
    !flag
}

fn is_true(flag: &bool) -> bool {
    *flag
}

fn listed_by_default() -> bool {
    true
}

/// Immutable text behind one pointer (8 bytes), shared by reference counting: the event
/// names, distinct ids and property texts of a log, interned by their project so that a text a
/// million events repeat is stored once. Written as a plain string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedStr(Arc<Box<str>>);

impl SharedStr {
    /// Whether both are the same shared copy (not merely equal texts).
    pub fn same(&self, other: &SharedStr) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        Self(Arc::new(text.into()))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        Self(Arc::new(text.into_boxed_str()))
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// A typed builder of events for seeding a project from tests, as an SDK would send them.
///
/// ```
/// use persons_mock::posthog::Event;
///
/// let identify = Event::identify("user-1", "anon-1").set("email", "a@example.com");
/// let pageview = Event::new("$pageview", "anon-1").property("$browser", "Firefox");
/// # let _ = (identify, pageview);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event, its properties left empty until [`Event::into_entry`].
    event: CapturedEvent,
    /// Its properties in the order they were added (a key's last value counts), made into
    /// [`Properties`] once, by [`Event::into_entry`].
    properties: Vec<(SharedStr, Prop)>,
}

impl Event {
    /// An event `name` by `distinct_id`, at the mock clock's now.
    pub fn new(name: &str, distinct_id: &str) -> Self {
        // Room for a page view's properties, so that adding them does not grow it.
        Self::shared(name.into(), distinct_id.into(), 8)
    }

    /// [`Event::new`] with texts the caller shares already (a generator repeating them across
    /// events: cloning one copies nothing), with room for `properties` properties.
    pub(crate) fn shared(name: SharedStr, distinct_id: SharedStr, properties: usize) -> Self {
        Self {
            event: CapturedEvent {
                event: name,
                distinct_id,
                timestamp: None,
                uuid: None,
                properties: Properties::default(),
            },
            properties: Vec::with_capacity(properties),
        }
    }

    /// `$identify` of `distinct_id` with `$anon_distinct_id`.
    pub fn identify(distinct_id: &str, anon_distinct_id: &str) -> Self {
        Self::new("$identify", distinct_id).property("$anon_distinct_id", anon_distinct_id)
    }

    /// `$create_alias` sent as posthog-python's `alias(previous_id, alias)`.
    pub fn alias(previous_id: &str, alias: &str) -> Self {
        Self::new("$create_alias", previous_id)
            .property("distinct_id", previous_id)
            .property("alias", alias)
    }

    /// `$merge_dangerously` of `alias`'s person into `distinct_id`'s.
    pub fn merge_dangerously(distinct_id: &str, alias: &str) -> Self {
        Self::new("$merge_dangerously", distinct_id).property("alias", alias)
    }

    /// Adds an event property.
    pub fn property(self, key: &str, value: impl Into<Value>) -> Self {
        self.shared_property(key.into(), Prop::from(value.into()))
    }

    /// [`Event::property`] with a key and value the caller shares already.
    pub(crate) fn shared_property(mut self, key: SharedStr, value: Prop) -> Self {
        self.properties.push((key, value));
        self
    }

    /// Adds a `$set` person property.
    pub fn set(self, key: &str, value: impl Into<Value>) -> Self {
        self.nested("$set", key, value.into())
    }

    /// Adds a `$set_once` person property.
    pub fn set_once(self, key: &str, value: impl Into<Value>) -> Self {
        self.nested("$set_once", key, value.into())
    }

    /// Adds a key to `$unset`.
    pub fn unset(mut self, key: &str) -> Self {
        if let Prop::Array(keys) = self.property_or("$unset", || Prop::Array(Box::default())) {
            keys.push(key.into());
        }
        self
    }

    /// Marks the event personless (`$process_person_profile: false`).
    pub fn personless(self) -> Self {
        self.property("$process_person_profile", false)
    }

    /// Sets the event time, in Unix seconds.
    pub fn at(self, unix_seconds: i64) -> Self {
        self.at_micros(unix_seconds.saturating_mul(1_000_000))
    }

    /// Sets the event time, in microseconds since the epoch.
    pub fn at_micros(mut self, micros: i64) -> Self {
        self.event.timestamp = Some(Timestamp::from_unix_micros(micros));
        self
    }

    /// Sets the event UUID.
    pub fn uuid(mut self, uuid: Uuid) -> Self {
        self.event.uuid = Some(uuid);
        self
    }

    /// The log entry capturing the event.
    pub fn into_entry(mut self) -> Entry {
        self.event.properties = Properties::from_added(self.properties);
        Entry::Capture(self.event)
    }

    /// The log entry capturing the event, its property texts shared with `interner`'s (a
    /// project's: a text the project holds already is shared, not kept twice).
    pub(crate) fn into_entry_interned(self, interner: &mut Interner) -> Entry {
        let mut entry = self.into_entry();
        if let Entry::Capture(event) = &mut entry {
            event.properties.intern(interner);
        }
        entry
    }

    fn nested(mut self, object: &str, key: &str, value: Value) -> Self {
        let make = || Prop::Object(Box::default());
        if let Prop::Object(properties) = self.property_or(object, make) {
            properties.insert(key.into(), Prop::from(value));
        }
        self
    }

    /// The value of property `key`, added as `make()` when it has none.
    fn property_or(&mut self, key: &str, make: impl FnOnce() -> Prop) -> &mut Prop {
        let at = match self.properties.iter().rposition(|(held, _)| **held == *key) {
            Some(at) => at,
            None => {
                self.properties.push((key.into(), make()));
                self.properties.len() - 1
            }
        };
        &mut self.properties[at].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_nests_person_updates() {
        let Entry::Capture(event) = Event::new("e", "d")
            .set("a", 1)
            .set_once("b", 2)
            .unset("c")
            .into_entry()
        else {
            unreachable!("a built event is a capture");
        };
        assert_eq!(
            serde_json::to_value(&event.properties).unwrap(),
            serde_json::json!({"$set": {"a": 1}, "$set_once": {"b": 2}, "$unset": ["c"]})
        );
    }

    #[test]
    fn a_property_added_twice_keeps_its_last_value() {
        let Entry::Capture(event) = Event::new("e", "d")
            .property("b", 1)
            .property("a", "x")
            .property("b", 2)
            .set("k", 1)
            .property("$set", serde_json::json!({"j": 0}))
            .set("k", 2)
            .into_entry()
        else {
            unreachable!("a built event is a capture");
        };
        assert_eq!(
            serde_json::to_value(&event.properties).unwrap(),
            serde_json::json!({"$set": {"j": 0, "k": 2}, "a": "x", "b": 2})
        );
    }

    #[test]
    fn shared_texts_build_the_event_the_builder_does() {
        let chrome = SharedStr::from("Chrome");
        let shared = Event::shared("$pageview".into(), "d".into(), 2)
            .shared_property("$browser".into(), Prop::Str(chrome.clone()))
            .shared_property("n".into(), Prop::PosInt(3))
            .set("plan", "pro");
        let built = Event::new("$pageview", "d")
            .property("$browser", "Chrome")
            .property("n", 3)
            .set("plan", "pro");
        assert_eq!(shared, built);
        let mut interner = Interner::default();
        let Entry::Capture(first) = shared.clone().into_entry_interned(&mut interner) else {
            unreachable!("a built event is a capture");
        };
        let Entry::Capture(second) = built.into_entry_interned(&mut interner) else {
            unreachable!("a built event is a capture");
        };
        assert_eq!(first, second);
        for event in [&first, &second] {
            match event.properties.get("$browser") {
                Some(Prop::Str(browser)) => assert!(browser.same(&chrome), "one copy"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_capture_is_no_larger_than_the_event_it_replaced() {
        // The log is almost all captures: an entry is a capture inline (two interned texts,
        // time, UUID, properties) and every rarer kind behind one pointer.
        assert!(
            std::mem::size_of::<Entry>() <= 112,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }

    #[test]
    fn writes_emit_the_events_posthog_emits() {
        let update = Entry::UpdatePerson(Box::new(UpdatePerson {
            distinct_id: "d".into(),
            properties: serde_json::json!({"plan": "pro"}),
            timestamp: Some(Timestamp::from_unix_micros(5)),
            user: None,
        }));
        let event = update.event().unwrap();
        assert_eq!(
            (event.name, event.distinct_id, event.timestamp),
            ("$set", "d", 5)
        );
        assert_eq!(
            Value::Object(event.properties.to_map()),
            serde_json::json!({"$set": {"plan": "pro"}})
        );
        let delete = Entry::DeleteProperty(Box::new(DeleteProperty {
            distinct_id: "d".into(),
            key: "plan".into(),
            timestamp: None,
            user: None,
        }));
        assert_eq!(
            Value::Object(delete.event().unwrap().properties.to_map()),
            serde_json::json!({"$unset": ["plan"]})
        );
        assert_eq!(Entry::TrackLastSeen(true).event(), None);
    }
}
