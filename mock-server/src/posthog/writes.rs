//! The write actions of the persons API: each checks its request the way PostHog does, then
//! turns it into [`Entry`]s of the project's log, applied through [`PostHogState::apply`].
//! Property changes become the internal events PostHog emits (`$set`,
//! `$delete_person_property`), applied at once where PostHog applies them asynchronously.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::api::{Call, accepted, path_person};
use super::error::PostHogError;
use super::log::{DeletePerson, DeleteProperty, Entry, Split, UpdatePerson};
use super::render::{BulkDeleteJson, SuccessJson};
use super::state::PostHogState;
use super::tenant::{Applied, PersonIndex, Project, RecordError, value_text};
use crate::Timestamp;
use crate::http::ApiResponse;

type Result<T> = std::result::Result<T, PostHogError>;

/// Most ids bulk_delete takes.
const BULK_DELETE_MAX: usize = 1000;

/// What a write action works on: the state under its write lock, the project the path names
/// (which exists) and the clock's now.
#[derive(Debug)]
pub struct Writer<'a> {
    state: &'a mut PostHogState,
    project_id: i64,
    now: Timestamp,
}

impl<'a> Writer<'a> {
    /// Writes to project `project_id` of `state` at `now`.
    pub fn new(state: &'a mut PostHogState, project_id: i64, now: Timestamp) -> Self {
        Self {
            state,
            project_id,
            now,
        }
    }

    /// The project, as it stands.
    pub fn project(&self) -> Result<&Project> {
        self.state
            .project(self.project_id)
            .ok_or_else(PostHogError::not_found)
    }

    /// Applies `entry` to the project: 503 when the data directory refuses it; 500 for an
    /// entry the project refuses, which the action's own checks should have caught.
    pub fn apply(&mut self, entry: Entry) -> Result<Applied> {
        self.state
            .apply(self.project_id, entry, self.now)
            .map_err(|error| match error {
                RecordError::Storage(error) => PostHogError::storage(error),
                RecordError::InvalidFlag(error) => error.into(),
                _ => PostHogError::server_error(),
            })
    }

    /// The distinct id the log names person `index` by (its first).
    fn distinct_id(&self, index: PersonIndex) -> Result<String> {
        self.project()?
            .person(index)
            .and_then(|person| person.stored_distinct_ids().next())
            .map(str::to_owned)
            .ok_or_else(PostHogError::not_found)
    }

    /// Applies a `$set` of `properties` on person `index`, by `call`'s key owner.
    fn update_person(
        &mut self,
        index: PersonIndex,
        properties: Value,
        call: &Call<'_>,
    ) -> Result<()> {
        let entry = UpdatePerson {
            distinct_id: self.distinct_id(index)?,
            properties,
            timestamp: None,
            user: Some(call.actor()),
        };
        self.apply(Entry::UpdatePerson(Box::new(entry))).map(drop)
    }
}

fn single(key: &str, value: Value) -> Map<String, Value> {
    Map::from_iter([(key.to_owned(), value)])
}

/// `PUT`/`PATCH /persons/{id}/`: `$set` of `properties`; 202 with no body.
pub fn update(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call)?;
    let properties = match call.body()?.remove("properties") {
        None | Some(Value::Null) => return Err(PostHogError::swapped_required("properties")),
        Some(properties) => properties,
    };
    writer.update_person(index, properties, call)?;
    Ok(accepted())
}

/// `POST /persons/{id}/update_property/`: `$set` of `{key: value}`.
pub fn update_property(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call)?;
    let mut body = call.body()?;
    let value = body
        .remove("value")
        .ok_or_else(|| PostHogError::swapped_required("value"))?;
    let key = match body.remove("key") {
        None | Some(Value::Null) => return Err(PostHogError::swapped_required("key")),
        Some(key) => value_text(&key).into_owned(),
    };
    writer.update_person(index, single(&key, value).into(), call)?;
    Ok(accepted())
}

/// `POST /persons/{id}/delete_property/`: `$delete_person_property` with `$unset`; 201
/// `{"success": true}`. A missing `$unset` or person is a 500, as in PostHog.
pub fn delete_property(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call).map_err(|error| match error.status {
        404 => PostHogError::server_error(),
        _ => error,
    })?;
    let key = call
        .body()?
        .remove("$unset")
        .ok_or_else(PostHogError::server_error)?;
    let entry = DeleteProperty {
        distinct_id: writer.distinct_id(index)?,
        key,
        timestamp: None,
        user: Some(call.actor()),
    };
    writer.apply(Entry::DeleteProperty(Box::new(entry)))?;
    Ok(ApiResponse::json(201, &SuccessJson { success: true }))
}

/// `DELETE /persons/{id}/`: the flags `keep_person` and `delete_events` count by presence;
/// 202 with no body.
pub fn destroy(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call)?;
    let deletion = Deletion {
        keep_person: call.has_param("keep_person"),
        delete_events: call.has_param("delete_events"),
    };
    delete_person(writer, index, deletion, call)?;
    Ok(accepted())
}

/// What a deletion request asks for.
#[derive(Clone, Copy, Debug)]
struct Deletion {
    keep_person: bool,
    delete_events: bool,
}

/// Applies the deletion of person `index` by `call`'s key owner.
fn delete_person(
    writer: &mut Writer<'_>,
    index: PersonIndex,
    deletion: Deletion,
    call: &Call<'_>,
) -> Result<()> {
    let entry = DeletePerson {
        distinct_id: writer.distinct_id(index)?,
        keep_person: deletion.keep_person,
        delete_events: deletion.delete_events,
        timestamp: None,
        user: Some(call.actor()),
    };
    writer.apply(Entry::DeletePerson(Box::new(entry))).map(drop)
}

/// `POST /persons/{id}/delete_events/`: queues the deletion of the person's events and keeps
/// the person (the mock keeps the events too: PostHog deletes them in a weekly batch).
pub fn delete_events(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call)?;
    let deletion = Deletion {
        keep_person: true,
        delete_events: true,
    };
    delete_person(writer, index, deletion, call)?;
    Ok(accepted())
}

/// `POST /persons/{id}/delete_recordings/`: the person must exist; recordings are not
/// modelled, so nothing else changes.
pub fn delete_recordings(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    path_person(writer.project()?, call)?;
    Ok(accepted())
}

/// `POST /persons/{id}/split/`: 201 `{"success": true}`.
pub fn split(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let index = path_person(writer.project()?, call)?;
    let body = call.body()?;
    let owned: Vec<String> = writer
        .project()?
        .person(index)
        .map(|person| person.stored_distinct_ids().map(str::to_owned).collect())
        .unwrap_or_default();
    let main = body
        .get("main_distinct_id")
        .filter(|value| !value.is_null());
    let listed = body
        .get("distinct_ids_to_split")
        .filter(|value| !value.is_null());
    let moved = match listed {
        Some(listed) => {
            let attr = "distinct_ids_to_split";
            let ids: Vec<String> = listed
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect()
                })
                .ok_or_else(|| PostHogError::invalid_attr(attr, "must be a list of strings"))?;
            if ids.is_empty() {
                return Err(PostHogError::invalid_attr(attr, "must not be empty"));
            }
            if main.is_some() {
                return Err(PostHogError::invalid(
                    "main_distinct_id cannot be combined with distinct_ids_to_split",
                ));
            }
            let unknown: Vec<String> = ids
                .iter()
                .filter(|id| !owned.contains(id))
                .map(|id| format!("'{id}'"))
                .collect();
            if !unknown.is_empty() {
                return Err(PostHogError::invalid_attr(
                    attr,
                    format!("not on this person: [{}]", unknown.join(", ")),
                ));
            }
            ids
        }
        None => {
            let keep = main
                .map(|value| value_text(value).into_owned())
                .or_else(|| owned.first().cloned());
            owned
                .into_iter()
                .filter(|id| Some(id) != keep.as_ref())
                .collect()
        }
    };
    let entry = Split {
        distinct_id: writer.distinct_id(index)?,
        distinct_ids_to_split: Some(moved),
        listed: listed.is_some(),
        timestamp: None,
        user: Some(call.actor()),
    };
    writer.apply(Entry::Split(Box::new(entry)))?;
    Ok(ApiResponse::json(201, &SuccessJson { success: true }))
}

/// Python truthiness of a body flag.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
    }
}

/// `POST /persons/bulk_delete/`: validation in PostHog's order, then a 202 summary.
pub fn bulk_delete(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = writer.project()?;
    let body = call.body()?;
    let list = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (ids, distinct_ids) = (list("ids"), list("distinct_ids"));
    if !ids.is_empty() && !distinct_ids.is_empty() {
        return Err(PostHogError::invalid(
            "You must provide either distinct_ids or ids, not both",
        ));
    }
    if distinct_ids.len() > BULK_DELETE_MAX {
        return Err(PostHogError::invalid(
            "You can only pass 1000 distinct_ids in one call",
        ));
    }
    if ids.len() > BULK_DELETE_MAX {
        return Err(PostHogError::invalid(
            "You can only pass 1000 ids in one call",
        ));
    }
    if ids.is_empty() && distinct_ids.is_empty() {
        return Err(PostHogError::invalid(
            "You need to specify either distinct_ids or ids",
        ));
    }
    let mut found: Vec<PersonIndex> = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id.as_str()?).ok())
        .filter_map(|uuid| project.by_uuid(&uuid))
        .chain(
            distinct_ids
                .iter()
                .filter_map(|id| project.by_distinct_id(id.as_str()?)),
        )
        .collect();
    found.sort_unstable();
    found.dedup();
    let deletion = Deletion {
        keep_person: truthy(body.get("keep_person")),
        delete_events: truthy(body.get("delete_events")),
    };
    for index in &found {
        delete_person(writer, *index, deletion, call)?;
    }
    let summary = BulkDeleteJson {
        persons_found: found.len(),
        persons_deleted: if deletion.keep_person { 0 } else { found.len() },
        events_queued_for_deletion: deletion.delete_events && !found.is_empty(),
        recordings_queued_for_deletion: truthy(body.get("delete_recordings")) && !found.is_empty(),
        deletion_errors: [],
    };
    Ok(ApiResponse::json(202, &summary))
}

/// `POST /persons/reset_person_distinct_id/`: the mock frees distinct ids on deletion
/// already, so only the body is checked; 202 with no body.
pub fn reset_distinct_id(_writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    match call.body()?.get("distinct_id") {
        Some(Value::String(_)) => Ok(accepted()),
        _ => Err(PostHogError::invalid("distinct_id is required")),
    }
}
