//! The feature flags REST API (`/api/projects/{id}/feature_flags/…`) and the
//! local-evaluation definitions the SDKs poll (`/flags/definitions`,
//! `/api/feature_flag/local_evaluation/`, the project's `…/feature_flags/local_evaluation/`).
//! Credentials, projects and scopes are checked by the persons facade before these run.

use serde_json::{Map, Value, json};

use super::definition::{FlagError, has_groups};
use super::dependency::{check_references, check_toggle};
use super::entry::FlagWrite;
use super::render;
use crate::http::{ApiRequest, ApiResponse};
use crate::posthog::api::Call;
use crate::posthog::error::PostHogError;
use crate::posthog::log::Entry;
use crate::posthog::state::PostHogState;
use crate::posthog::tenant::{Applied, Project};
use crate::posthog::writes::Writer;

type Result<T> = std::result::Result<T, PostHogError>;

/// Default (and largest useful) page size of the list.
const PAGE: usize = 100;

impl From<FlagError> for PostHogError {
    fn from(error: FlagError) -> Self {
        PostHogError::invalid_code(error.attr, error.code, error.detail)
    }
}

/// `GET …/feature_flags/`: live flags, newest first, `limit`/`offset` pages.
pub fn list(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let limit = call.positive_param("limit", PAGE);
    let offset = call.offset_param();
    let live: Vec<_> = project
        .flags()
        .iter()
        .rev()
        .filter(|flag| !flag.deleted)
        .collect();
    let results: Vec<Value> = live
        .iter()
        .skip(offset)
        .take(limit)
        .map(|flag| render::flag(flag))
        .collect();
    let base = call.base_url();
    let url = call.url(&base);
    let next = (offset.saturating_add(limit) < live.len())
        .then(|| url.posthog(&[("limit", limit), ("offset", offset + limit)]));
    let previous = (offset > 0)
        .then(|| url.posthog(&[("limit", limit), ("offset", offset.saturating_sub(limit))]));
    Ok(ApiResponse::json(
        200,
        &json!({"count": live.len(), "next": next, "previous": previous, "results": results}),
    ))
}

/// `GET …/feature_flags/{id}/`: one flag, soft-deleted ones too (PostHog leaves them out of
/// the list only).
pub fn retrieve(project: &Project, id: &str) -> Result<ApiResponse> {
    let flag = stored_flag(project, id)?;
    Ok(ApiResponse::json(200, &render::flag(flag)))
}

/// `POST …/feature_flags/`: a new flag (201).
pub fn create(writer: &mut Writer<'_>, call: &Call<'_>) -> Result<ApiResponse> {
    let body = call.body()?;
    let key = match body.get("key") {
        Some(Value::String(key)) => key.clone(),
        Some(_) => {
            return Err(PostHogError::invalid_attr("key", "Not a valid string."));
        }
        None => {
            return Err(PostHogError::invalid_code(
                "key",
                "required",
                "This field is required.",
            ));
        }
    };
    if body
        .get("filters")
        .is_some_and(|filters| !has_groups(filters))
    {
        return Err(PostHogError::invalid_code(
            "filters",
            "invalid_input",
            "Feature flags must have at least one condition set (group).",
        ));
    }
    let mut write = FlagWrite::new(&key, Value::Object(Map::new()));
    apply_fields(&mut write, &body)?;
    if body.contains_key("filters") {
        check_references(writer.project()?.flags(), &key, &write.filters)?;
    }
    write.user = Some(call.actor());
    save(writer, write, 201)
}

/// `PATCH`/`PUT …/feature_flags/{id}/`: the fields given change; `deleted: true` soft-deletes,
/// `deleted: false` restores.
pub fn update(writer: &mut Writer<'_>, call: &Call<'_>, id: &str) -> Result<ApiResponse> {
    let body = call.body()?;
    let flag = stored_flag(writer.project()?, id)?;
    let mut write = FlagWrite {
        id: Some(flag.id),
        key: flag.key.clone(),
        name: flag.name.clone(),
        filters: flag.filters.clone(),
        active: flag.active,
        deleted: flag.deleted,
        ensure_experience_continuity: flag.ensure_experience_continuity,
        evaluation_runtime: Some(flag.evaluation_runtime.clone()),
        bucketing_identifier: flag.bucketing_identifier.clone(),
        tags: flag.tags.clone(),
        timestamp: None,
        user: Some(call.actor()),
    };
    if let Some(key) = body.get("key") {
        write.key = key
            .as_str()
            .ok_or_else(|| PostHogError::invalid_attr("key", "Not a valid string."))?
            .to_owned();
    }
    apply_fields(&mut write, &body)?;
    let flags = writer.project()?.flags();
    if body.contains_key("filters") {
        check_references(flags, &flag.key, &write.filters)?;
    }
    check_toggle(flags, flag, &body)?;
    save(writer, write, 200)
}

/// `DELETE …/feature_flags/{id}/`: PostHog forbids hard deletion (405, no body; like every
/// DRF answer it carries `Allow`, the detail route's methods).
pub fn destroy() -> ApiResponse {
    ApiResponse::empty(405).with_header("allow", "GET, PUT, PATCH, DELETE")
}

/// Applies `write` and renders the flag it leaves with `status`.
fn save(writer: &mut Writer<'_>, write: FlagWrite, status: u16) -> Result<ApiResponse> {
    let Applied::Flag(id) = writer.apply(Entry::Flag(Box::new(write)))? else {
        return Err(PostHogError::server_error());
    };
    let project = writer.project()?;
    let flag = project
        .flags()
        .by_id(id)
        .ok_or_else(PostHogError::server_error)?;
    Ok(ApiResponse::json(status, &render::flag(flag)))
}

/// Copies the writable fields `body` gives onto `write`, type-checked as DRF does.
fn apply_fields(write: &mut FlagWrite, body: &Map<String, Value>) -> Result<()> {
    let boolean = |name: &str| -> Result<Option<bool>> {
        match body.get(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(PostHogError::invalid_attr(name, "Must be a valid boolean.")),
        }
    };
    let text = |name: &str| -> Result<Option<Option<String>>> {
        match body.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(value)) => Ok(Some(Some(value.clone()))),
            Some(_) => Err(PostHogError::invalid_attr(name, "Not a valid string.")),
        }
    };
    if let Some(name) = text("name")? {
        write.name = name.unwrap_or_default();
    }
    match body.get("filters") {
        None => {}
        Some(filters @ Value::Object(_)) => write.filters = filters.clone(),
        Some(_) => {
            return Err(PostHogError::invalid_code(
                "filters",
                "invalid_input",
                "Filters must be an object.",
            ));
        }
    }
    if let Some(active) = boolean("active")? {
        write.active = active;
    }
    if let Some(deleted) = boolean("deleted")? {
        write.deleted = deleted;
    }
    if let Some(continuity) = boolean("ensure_experience_continuity")? {
        write.ensure_experience_continuity = continuity;
    }
    if let Some(runtime) = text("evaluation_runtime")? {
        let runtime = runtime.unwrap_or_else(|| "all".to_owned());
        if !["server", "client", "all"].contains(&runtime.as_str()) {
            return Err(PostHogError::invalid_code(
                "evaluation_runtime",
                "invalid_choice",
                format!("\"{runtime}\" is not a valid choice."),
            ));
        }
        write.evaluation_runtime = Some(runtime);
    }
    if let Some(bucketing) = text("bucketing_identifier")? {
        if let Some(choice) = bucketing.as_deref()
            && !["distinct_id", "device_id"].contains(&choice)
        {
            return Err(PostHogError::invalid_code(
                "bucketing_identifier",
                "invalid_choice",
                format!("\"{choice}\" is not a valid choice."),
            ));
        }
        write.bucketing_identifier = bucketing;
    }
    match body.get("tags") {
        None => {}
        Some(Value::Array(tags)) => {
            write.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        // DRF's ListField.
        Some(Value::Null) => {
            return Err(PostHogError::invalid_code(
                "tags",
                "null",
                "This field may not be null.",
            ));
        }
        Some(other) => {
            return Err(PostHogError::invalid_code(
                "tags",
                "not_a_list",
                format!(
                    "Expected a list of items but got type \"{}\".",
                    super::definition::python_type(other)
                ),
            ));
        }
    }
    Ok(())
}

/// The flag the `{id}` segment names, deleted or not: 404 otherwise.
fn stored_flag<'p>(project: &'p Project, id: &str) -> Result<&'p super::Flag> {
    id.parse::<i64>()
        .ok()
        .and_then(|id| project.flags().by_id(id))
        .ok_or_else(PostHogError::not_found)
}

/// The project's definitions, with PostHog's caching headers: 304 when `If-None-Match` holds
/// the current ETag.
pub fn local_evaluation(project: &Project, request: &ApiRequest) -> ApiResponse {
    let definitions = project
        .flags()
        .definitions(project.id, project.groups().types());
    let cached = request
        .header("if-none-match")
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == definitions.etag));
    let response = if cached {
        ApiResponse::empty(304)
    } else {
        ApiResponse::new(200, "application/json", definitions.body.clone())
    };
    response
        .with_header("etag", definitions.etag.clone())
        .with_header("cache-control", "private, must-revalidate")
}

/// `GET /flags/definitions` and `/api/feature_flag/local_evaluation/`: `?token=` names the
/// project; a personal key (bearer) with `feature_flag:read` on it authenticates. 401 DRF
/// bodies for a missing or refused key, plain text for an unknown token, 400 without one.
pub fn definitions(state: &PostHogState, request: &ApiRequest) -> ApiResponse {
    let key = match state.keys.authenticate(request) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let Some(token) = request
        .query_param("token")
        .filter(|token| !token.is_empty())
    else {
        return ApiResponse::text(400, "The token query parameter is required.");
    };
    let Some(project) = state
        .project_for_token(token)
        .and_then(|project_id| state.project(project_id))
    else {
        return super::remote::invalid_token();
    };
    let allowed = key.require("feature_flag:read").is_ok() && key.check_project(project.id).is_ok();
    if !allowed {
        return PostHogError::invalid_key("Authorization header").into_response();
    }
    local_evaluation(project, request)
}
