//! The write actions of the persons API. Property changes go through the event log as the
//! internal events PostHog emits (`$set`, `$delete_person_property`), applied at once where
//! PostHog applies them asynchronously.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::actions::{Call, Target, accepted, path_person};
use super::error::PostHogError;
use super::project::{PersonIndex, value_text};
use super::render::{BulkDeleteJson, SuccessJson};
use crate::http::ApiResponse;

type Result<T> = std::result::Result<T, PostHogError>;

/// Most ids bulk_delete takes.
const BULK_DELETE_MAX: usize = 1000;

fn single(key: &str, value: Value) -> Map<String, Value> {
    Map::from_iter([(key.to_owned(), value)])
}

/// `PUT`/`PATCH /persons/{id}/`: `$set` of `properties`; 202 with no body.
pub fn update(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
    let index = path_person(project, call)?;
    let properties = match call.body()?.remove("properties") {
        None | Some(Value::Null) => return Err(PostHogError::swapped_required("properties")),
        Some(properties) => properties,
    };
    project
        .update_person(index, properties, &call.actor(), call.now)
        .map_err(|_| PostHogError::server_error())?;
    Ok(accepted())
}

/// `POST /persons/{id}/update_property/`: `$set` of `{key: value}`.
pub fn update_property(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
    let index = path_person(project, call)?;
    let mut body = call.body()?;
    let value = body
        .remove("value")
        .ok_or_else(|| PostHogError::swapped_required("value"))?;
    let key = match body.remove("key") {
        None | Some(Value::Null) => return Err(PostHogError::swapped_required("key")),
        Some(key) => value_text(&key).into_owned(),
    };
    project
        .update_person(index, single(&key, value).into(), &call.actor(), call.now)
        .map_err(|_| PostHogError::server_error())?;
    Ok(accepted())
}

/// `POST /persons/{id}/delete_property/`: `$delete_person_property` with `$unset`; 201
/// `{"success": true}`. A missing `$unset` or person is a 500, as in PostHog.
pub fn delete_property(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
    let index = path_person(project, call).map_err(|error| match error.status {
        404 => PostHogError::server_error(),
        _ => error,
    })?;
    let key = call
        .body()?
        .remove("$unset")
        .ok_or_else(PostHogError::server_error)?;
    project
        .delete_property(index, key, &call.actor(), call.now)
        .map_err(|_| PostHogError::server_error())?;
    Ok(ApiResponse::json(201, &SuccessJson { success: true }))
}

/// `DELETE /persons/{id}/`: the flags count by presence; 202 with no body.
pub fn destroy(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
    let index = path_person(project, call)?;
    project.delete_person(
        index,
        call.has_param("keep_person"),
        &call.actor(),
        call.now,
    );
    Ok(accepted())
}

/// `POST /persons/{id}/delete_events/` and `delete_recordings/`: the person must exist; the
/// mock keeps events (PostHog deletes them in a weekly batch).
pub fn queue_deletion(target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    path_person(target.project(), call)?;
    Ok(accepted())
}

/// `POST /persons/{id}/split/`: 201 `{"success": true}`.
pub fn split(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
    let index = path_person(project, call)?;
    let body = call.body()?;
    let owned: Vec<String> = project
        .person(index)
        .map(|person| person.stored_distinct_ids().map(str::to_owned).collect())
        .unwrap_or_default();
    let main = body
        .get("main_distinct_id")
        .filter(|value| !value.is_null());
    let moved = match body
        .get("distinct_ids_to_split")
        .filter(|value| !value.is_null())
    {
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
    project.split(index, &moved, &call.actor(), call.now);
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
pub fn bulk_delete(mut target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let project = target.project_mut()?;
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
    let keep_person = truthy(body.get("keep_person"));
    for index in &found {
        project.delete_person(*index, keep_person, &call.actor(), call.now);
    }
    let summary = BulkDeleteJson {
        persons_found: found.len(),
        persons_deleted: if keep_person { 0 } else { found.len() },
        events_queued_for_deletion: truthy(body.get("delete_events")) && !found.is_empty(),
        recordings_queued_for_deletion: truthy(body.get("delete_recordings")) && !found.is_empty(),
        deletion_errors: [],
    };
    Ok(ApiResponse::json(202, &summary))
}

/// `POST /persons/reset_person_distinct_id/`: the mock frees distinct ids on deletion
/// already, so only the body is checked; 202 with no body.
pub fn reset_distinct_id(_target: Target<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    match call.body()?.get("distinct_id") {
        Some(Value::String(_)) => Ok(accepted()),
        _ => Err(PostHogError::invalid("distinct_id is required")),
    }
}
