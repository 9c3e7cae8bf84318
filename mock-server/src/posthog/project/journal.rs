//! The persons-API writes of a project, kept in order with its event log. Property updates
//! reach persons through internal events, but deletions, splits, cohorts and the last-seen
//! switch change them without one, and every write logs an activity entry: the journal is what
//! a project's history holds besides its events, so an export can replay it exactly.

use serde_json::{Map, Value};

use super::{IngestError, PersonIndex, Project};
use crate::posthog::activity::{Activity, Actor};
use crate::posthog::event::{NewEvent, StoredEvent};

/// One write of the persons API, as it was made.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// `$set` of `properties` (PATCH/PUT, update_property): emits one `$set` event.
    UpdatePerson {
        /// The person's first distinct id, which the event was sent as.
        distinct_id: String,
        /// The `$set` value, as the request gave it.
        properties: Value,
        /// Who made it.
        actor: Actor,
        /// When, in microseconds.
        at: i64,
    },
    /// delete_property: emits one `$delete_person_property` event unsetting `key`.
    DeleteProperty {
        /// The person's first distinct id, which the event was sent as.
        distinct_id: String,
        /// The `$unset` value, as the request gave it.
        key: Value,
        /// Who made it.
        actor: Actor,
        /// When, in microseconds.
        at: i64,
    },
    /// A deletion (or, with `keep_person`, only its activity entry).
    DeletePerson {
        /// A distinct id of the person at the time.
        distinct_id: String,
        /// Whether the person was kept.
        keep_person: bool,
        /// Who made it.
        actor: Actor,
        /// When, in microseconds.
        at: i64,
    },
    /// A split of `moved` off the person.
    Split {
        /// A distinct id of the person at the time.
        distinct_id: String,
        /// The distinct ids split off, as the split was asked.
        moved: Vec<String>,
        /// Who made it.
        actor: Actor,
        /// When, in microseconds.
        at: i64,
    },
    /// A static cohort of the persons owning `distinct_ids` at the time.
    CreateCohort {
        /// Its name.
        name: String,
        /// The distinct ids it was made of.
        distinct_ids: Vec<String>,
    },
    /// PostHog's team-level `last_seen_at` switch turned on or off.
    TrackLastSeen(bool),
}

impl Write {
    /// Whether the write appended one event to the log (the one at its position).
    pub fn emits_event(&self) -> bool {
        matches!(
            self,
            Write::UpdatePerson { .. } | Write::DeleteProperty { .. }
        )
    }
}

/// Why a persons-API property write did nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// No live person with a distinct id is at that index.
    #[error("no live person with a distinct id is there")]
    NoPerson,
    /// Its event was refused.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// One step of a project's history, oldest first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step<'a> {
    /// An event captured (by capture or the typed handle).
    Captured {
        /// Its place in the log.
        position: usize,
        /// The event.
        event: &'a StoredEvent,
    },
    /// A write of the persons API (standing for the event it emitted, if any).
    Write(&'a Write),
}

/// The steps of a project's history: its log, with the journal's writes where they happened.
#[derive(Debug)]
struct History<'a> {
    log: &'a [StoredEvent],
    journal: &'a [(usize, Write)],
    position: usize,
    next_write: usize,
}

impl<'a> Iterator for History<'a> {
    type Item = Step<'a>;

    fn next(&mut self) -> Option<Step<'a>> {
        if let Some((at, write)) = self.journal.get(self.next_write)
            && *at <= self.position
        {
            self.next_write += 1;
            if write.emits_event() {
                self.position += 1;
            }
            return Some(Step::Write(write));
        }
        let position = self.position;
        let event = self.log.get(position)?;
        self.position += 1;
        Some(Step::Captured { position, event })
    }
}

impl Project {
    /// Everything that happened to the project, oldest first: each captured event and each
    /// persons-API write once (a write's own event is not listed separately). Replaying the
    /// steps into an empty project (with the same person ids) rebuilds this one. O(1) per step.
    pub fn history(&self) -> impl Iterator<Item = Step<'_>> {
        History {
            log: &self.log,
            journal: &self.journal,
            position: 0,
            next_write: 0,
        }
    }

    /// PATCH/PUT and update_property: an internal `$set` event with `properties`, sent as the
    /// person's first distinct id at `now`, then an `updated` activity entry.
    pub fn update_person(
        &mut self,
        index: PersonIndex,
        properties: Value,
        actor: &Actor,
        now: i64,
    ) -> Result<(), WriteError> {
        let (pk, uuid, distinct_id) = self.journal_target(index).ok_or(WriteError::NoPerson)?;
        let position = self.log.len();
        let event = Map::from_iter([("$set".to_owned(), properties.clone())]);
        self.emit(&distinct_id, "$set", event, now)?;
        self.log_activity(Activity::Updated, pk, uuid, actor, None, now);
        self.record_at(
            position,
            Write::UpdatePerson {
                distinct_id,
                properties,
                actor: actor.clone(),
                at: now,
            },
        );
        Ok(())
    }

    /// delete_property: an internal `$delete_person_property` event unsetting `key`, sent as
    /// the person's first distinct id at `now`, then a `delete_property` activity entry.
    pub fn delete_property(
        &mut self,
        index: PersonIndex,
        key: Value,
        actor: &Actor,
        now: i64,
    ) -> Result<(), WriteError> {
        let (pk, uuid, distinct_id) = self.journal_target(index).ok_or(WriteError::NoPerson)?;
        let position = self.log.len();
        let event = Map::from_iter([("$unset".to_owned(), Value::Array(vec![key.clone()]))]);
        self.emit(&distinct_id, "$delete_person_property", event, now)?;
        let after = Some(Value::Array(vec![key.clone()]));
        self.log_activity(Activity::DeleteProperty, pk, uuid, actor, after, now);
        self.record_at(
            position,
            Write::DeleteProperty {
                distinct_id,
                key,
                actor: actor.clone(),
                at: now,
            },
        );
        Ok(())
    }

    /// Journals `write` as happening now, before the next event.
    pub(super) fn record(&mut self, write: Write) {
        self.record_at(self.log.len(), write);
    }

    fn record_at(&mut self, position: usize, write: Write) {
        self.journal.push((position, write));
    }

    /// Ingests the internal event `name` with `properties` as `distinct_id` at `now`.
    fn emit(
        &mut self,
        distinct_id: &str,
        name: &str,
        properties: Map<String, Value>,
        now: i64,
    ) -> Result<(), IngestError> {
        let event = NewEvent {
            uuid: None,
            event: name.to_owned(),
            distinct_id: distinct_id.to_owned(),
            timestamp: Some(now),
            properties,
        };
        self.ingest(event, now).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use serde_json::json;

    use super::*;
    use crate::posthog::event::Event;

    #[test]
    fn history_lists_each_write_once_in_place_of_its_event() {
        let mut project = Project::new(1, Arc::new(AtomicI64::new(1)));
        let actor = Actor {
            first_name: "T".into(),
            email: "t@example.com".into(),
        };
        project
            .ingest(Event::new("e", "a").at(1).into_new_event(), 0)
            .unwrap();
        let index = project.by_distinct_id("a").unwrap();
        project
            .update_person(index, json!({"plan": "pro"}), &actor, 5)
            .unwrap();
        project.track_last_seen(true);
        project.track_last_seen(true);
        project.delete_person(index, false, &actor, 6);
        project
            .ingest(Event::new("e", "b").at(2).into_new_event(), 0)
            .unwrap();
        assert_eq!(
            project.event_count(),
            3,
            "the update's `$set` is in the log"
        );
        let steps: Vec<String> = project
            .history()
            .map(|step| match step {
                Step::Captured { position, event } => format!("{position}:{}", event.distinct_id),
                Step::Write(write) => format!("{write:?}")
                    .split([' ', '('])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect();
        assert_eq!(
            steps,
            vec![
                "0:a",
                "UpdatePerson",
                "TrackLastSeen",
                "DeletePerson",
                "2:b"
            ],
            "a repeated switch is journaled once"
        );
        assert_eq!(
            project.update_person(index, json!({}), &actor, 7),
            Err(WriteError::NoPerson)
        );
    }
}
