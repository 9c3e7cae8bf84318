//! The entries of a project's `history` in a seed: captured events and persons-API writes, in
//! the order they happened, and how a project's own history becomes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::time::SeedTime;
use crate::posthog::activity::Actor;
use crate::posthog::event::StoredEvent;
use crate::posthog::project::derived_event_uuid;
use crate::posthog::project::journal::{Step, Write};

/// The owner of the key [`crate::posthog::PersonalKey::all_access`] makes, who acts when a
/// write names no `user`.
const DEFAULT_FIRST_NAME: &str = "Mock";
const DEFAULT_EMAIL: &str = "mock@posthog.local";

/// One step of a project's history. In YAML and JSON each entry is a map with one key, the
/// kind: `- capture: {event: $pageview, distinct_id: anon-1}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEntry {
    /// An event, ingested as capture and the typed handle ingest it.
    Capture(CaptureSeed),
    /// A `$set` of person properties through the API (PATCH/PUT, update_property).
    UpdatePerson(UpdatePersonSeed),
    /// A property deleted through the API (delete_property).
    DeleteProperty(DeletePropertySeed),
    /// A person deleted through the API (destroy, bulk_delete).
    DeletePerson(DeletePersonSeed),
    /// Distinct ids split off a person through the API.
    Split(SplitSeed),
    /// A static cohort.
    Cohort(CohortSeed),
    /// PostHog's team-level `last_seen_at` switch turned on (`true`) or off.
    TrackLastSeen(bool),
}

/// A captured event, as ingestion keeps it: top-level `$set`/`$set_once` belong inside
/// `properties`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSeed {
    /// The event name (`$pageview`, `$identify`, …).
    pub event: String,
    /// Who sent it.
    pub distinct_id: String,
    /// When it happened (default: the clock's now at load time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SeedTime>,
    /// The event's UUID (default: derived from the project and the event's place in the log,
    /// as the mock derives it for events sent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Its properties, `$set`, `$set_once`, `$unset`, `$anon_distinct_id`, `alias`, … included.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

/// Who made a persons-API write, as the activity log shows them: the key's owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// First name.
    pub first_name: String,
    /// E-mail.
    pub email: String,
}

/// `$set` of `properties` on the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonSeed {
    /// A distinct id of the person.
    pub distinct_id: String,
    /// The properties to set (the request's `properties`; not null).
    pub properties: Value,
    /// When (default: the clock's now at load time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SeedTime>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSeed>,
}

/// delete_property of `key` on the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletePropertySeed {
    /// A distinct id of the person.
    pub distinct_id: String,
    /// The property to delete (the request's `$unset`).
    pub key: Value,
    /// When (default: the clock's now at load time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SeedTime>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSeed>,
}

/// Deletion of the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletePersonSeed {
    /// A distinct id of the person.
    pub distinct_id: String,
    /// Keep the person, only logging the deletion's activity (default: false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub keep_person: bool,
    /// When (default: the clock's now at load time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SeedTime>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSeed>,
}

/// A split of the person owning `distinct_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSeed {
    /// A distinct id of the person; without `distinct_ids_to_split` the one that stays.
    pub distinct_id: String,
    /// The distinct ids to split off, each the person's (default: all but `distinct_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_ids_to_split: Option<Vec<String>>,
    /// When (default: the clock's now at load time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SeedTime>,
    /// Who (default: Mock, `mock@posthog.local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSeed>,
}

/// A static cohort of the persons owning `distinct_ids` at this point of the history; its id is
/// its rank among the project's cohorts (1, 2, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSeed {
    /// Its name.
    pub name: String,
    /// The distinct ids whose persons are members (unknown ones are skipped).
    #[serde(default)]
    pub distinct_ids: Vec<String>,
}

impl HistoryEntry {
    /// The entry's key in the document (`capture`, `update_person`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            HistoryEntry::Capture(_) => "capture",
            HistoryEntry::UpdatePerson(_) => "update_person",
            HistoryEntry::DeleteProperty(_) => "delete_property",
            HistoryEntry::DeletePerson(_) => "delete_person",
            HistoryEntry::Split(_) => "split",
            HistoryEntry::Cohort(_) => "cohort",
            HistoryEntry::TrackLastSeen(_) => "track_last_seen",
        }
    }

    /// The entry for one step of project `project`'s history (a captured event's UUID is left
    /// out when it is the one derived from its place in the log).
    pub fn of(project: i64, step: Step<'_>) -> Self {
        match step {
            Step::Captured { position, event } => {
                HistoryEntry::Capture(capture(project, position, event))
            }
            Step::Write(write) => write_entry(write),
        }
    }
}

fn capture(project: i64, position: usize, event: &StoredEvent) -> CaptureSeed {
    let derived = u32::try_from(position)
        .ok()
        .map(|position| derived_event_uuid(project, position));
    CaptureSeed {
        event: event.event.clone(),
        distinct_id: event.distinct_id.clone(),
        timestamp: Some(SeedTime::of(event.timestamp)),
        uuid: (derived != Some(event.uuid)).then_some(event.uuid),
        properties: event.properties.clone(),
    }
}

fn write_entry(write: &Write) -> HistoryEntry {
    let when = |at: &i64| Some(SeedTime::of(*at));
    match write {
        Write::UpdatePerson {
            distinct_id,
            properties,
            actor,
            at,
        } => HistoryEntry::UpdatePerson(UpdatePersonSeed {
            distinct_id: distinct_id.clone(),
            properties: properties.clone(),
            timestamp: when(at),
            user: Some(UserSeed::of(actor)),
        }),
        Write::DeleteProperty {
            distinct_id,
            key,
            actor,
            at,
        } => HistoryEntry::DeleteProperty(DeletePropertySeed {
            distinct_id: distinct_id.clone(),
            key: key.clone(),
            timestamp: when(at),
            user: Some(UserSeed::of(actor)),
        }),
        Write::DeletePerson {
            distinct_id,
            keep_person,
            actor,
            at,
        } => HistoryEntry::DeletePerson(DeletePersonSeed {
            distinct_id: distinct_id.clone(),
            keep_person: *keep_person,
            timestamp: when(at),
            user: Some(UserSeed::of(actor)),
        }),
        Write::Split {
            distinct_id,
            moved,
            actor,
            at,
        } => HistoryEntry::Split(SplitSeed {
            distinct_id: distinct_id.clone(),
            distinct_ids_to_split: Some(moved.clone()),
            timestamp: when(at),
            user: Some(UserSeed::of(actor)),
        }),
        Write::CreateCohort { name, distinct_ids } => HistoryEntry::Cohort(CohortSeed {
            name: name.clone(),
            distinct_ids: distinct_ids.clone(),
        }),
        Write::TrackLastSeen(enabled) => HistoryEntry::TrackLastSeen(*enabled),
    }
}

impl UserSeed {
    /// The seed form of `actor`.
    pub fn of(actor: &Actor) -> Self {
        Self {
            first_name: actor.first_name.clone(),
            email: actor.email.clone(),
        }
    }

    /// The actor `user` names, or the default one (Mock, `mock@posthog.local`).
    pub fn actor(user: Option<&UserSeed>) -> Actor {
        match user {
            Some(user) => Actor {
                first_name: user.first_name.clone(),
                email: user.email.clone(),
            },
            None => Actor {
                first_name: DEFAULT_FIRST_NAME.to_owned(),
                email: DEFAULT_EMAIL.to_owned(),
            },
        }
    }
}

fn is_false(flag: &bool) -> bool {
    !flag
}
