//! The PostHog HTTP facade under `/posthog`: capture paths, and the persons API under
//! `/api/projects/{id}/persons/` and `/api/environments/{id}/persons/`. Routing, credentials,
//! project resolution and scopes live here; each action lives in [`super::actions`].

use std::sync::{PoisonError, RwLock};

use serde::Serialize;

use super::actions::{self, Call};
use super::capture;
use super::error::PostHogError;
use super::keys::PersonalKey;
use super::state::PostHogState;
use super::{reads, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};

/// Where PostHog is mounted on the mock server.
pub const PREFIX: &str = "/posthog";

/// Capture's event and batch paths (each also with a trailing slash).
const CAPTURE_PATHS: [&str; 6] = ["/e", "/capture", "/i/v0/e", "/track", "/engage", "/batch"];

/// Capture's success body.
#[derive(Serialize)]
struct CaptureOk {
    status: &'static str,
}

/// Answers a request whose path starts with [`PREFIX`]; `path` is the rest of it.
pub fn handle(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
    path: &str,
) -> ApiResponse {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if CAPTURE_PATHS.contains(&trimmed) {
        return capture_events(state, clock, request);
    }
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "projects" | "environments", project, rest @ ..] => {
            persons_api(state, clock, request, project, rest)
                .unwrap_or_else(PostHogError::into_response)
        }
        _ => route_not_found(request),
    }
}

/// The 404 of a path PostHog does not serve, logged loudly so a test author notices.
fn route_not_found(request: &ApiRequest) -> ApiResponse {
    tracing::warn!(method = %request.method, path = %request.path, "posthog mock: no such route");
    PostHogError::not_found().into_response()
}

fn capture_events(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
) -> ApiResponse {
    if request.method == "OPTIONS" {
        return ApiResponse::empty(200)
            .with_header("access-control-allow-origin", "*")
            .with_header("access-control-allow-methods", "GET, POST, OPTIONS");
    }
    let now = clock.now_micros();
    let parsed = match capture::parse(request, now) {
        Ok(parsed) => parsed,
        Err(error) => return error.into_response(),
    };
    let mut state = state.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(project_id) = state.project_for_token(&parsed.token) {
        let project = state.ensure_project(project_id);
        for event in parsed.events {
            if let Err(error) = project.ingest(event, now) {
                tracing::info!(%error, "posthog mock: ingestion warning, event dropped");
            }
        }
    }
    if request.query_param("beacon") == Some("1") {
        return ApiResponse::empty(204);
    }
    ApiResponse::json(200, &CaptureOk { status: "Ok" })
}

/// What a route needs from the key before it runs.
enum Scopes {
    /// Every scope listed.
    All(&'static [&'static str]),
    /// No scope declared: scoped keys are refused.
    Undeclared,
}

fn persons_api(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
    project: &str,
    rest: &[&str],
) -> Result<ApiResponse, PostHogError> {
    let (csv_suffix, rest) = match rest {
        ["persons.csv"] => (true, &[][..]),
        ["persons", rest @ ..] => (false, rest),
        _ => return Ok(route_not_found(request)),
    };
    let method = request.method.as_str();
    let (action, scopes, writes) = match (method, rest) {
        ("GET", []) => (reads::list as Action, Scopes::All(&["person:read"]), false),
        ("POST", []) => {
            return authorised(state, request, project)
                .and(Err(PostHogError::create_not_allowed()));
        }
        ("GET", ["activity"]) => (
            reads::all_activity as Action,
            Scopes::All(&["activity_log:read"]),
            false,
        ),
        ("POST", ["bulk_delete"]) => (
            writes::bulk_delete as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("GET", ["cohorts"]) => (
            reads::cohorts as Action,
            Scopes::All(&["person:read", "cohort:read"]),
            false,
        ),
        ("GET", ["values"]) => (
            reads::values as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("POST", ["reset_person_distinct_id"]) => (
            writes::reset_distinct_id as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("POST", ["batch_by_distinct_ids"]) => (
            reads::batch_by_distinct_ids as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("POST", ["batch_by_uuids"]) => (
            reads::batch_by_uuids as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("GET", ["properties_at_time"]) => (
            reads::properties_at_time as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("GET", ["deletion_status"]) => (
            reads::deletion_status as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("GET", [_]) => (
            reads::retrieve as Action,
            Scopes::All(&["person:read"]),
            false,
        ),
        ("PUT" | "PATCH", [_]) => (
            writes::update as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("DELETE", [_]) => (
            writes::destroy as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("GET", [_, "activity"]) => (
            reads::person_activity as Action,
            Scopes::All(&["activity_log:read"]),
            false,
        ),
        ("POST", [_, "delete_events" | "delete_recordings"]) => (
            writes::queue_deletion as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("POST", [_, "delete_property"]) => (
            writes::delete_property as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("POST", [_, "update_property"]) => (
            writes::update_property as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("POST", [_, "split"]) => (
            writes::split as Action,
            Scopes::All(&["person:write"]),
            true,
        ),
        ("GET", [_, "properties_timeline"]) => (
            reads::properties_timeline as Action,
            Scopes::Undeclared,
            false,
        ),
        (
            _,
            []
            | [
                "activity"
                | "bulk_delete"
                | "cohorts"
                | "values"
                | "reset_person_distinct_id"
                | "batch_by_distinct_ids"
                | "batch_by_uuids"
                | "properties_at_time"
                | "deletion_status",
            ]
            | [_]
            | [
                _,
                "activity"
                | "delete_events"
                | "delete_recordings"
                | "delete_property"
                | "update_property"
                | "split"
                | "properties_timeline",
            ],
        ) => {
            authorised(state, request, project)?;
            return Err(PostHogError::method_not_allowed(method));
        }
        _ => return Ok(route_not_found(request)),
    };
    let (key, project_id) = authorised(state, request, project)?;
    match scopes {
        Scopes::All(required) => required.iter().try_for_each(|scope| key.require(scope))?,
        Scopes::Undeclared if key.is_scoped() => {
            return Err(PostHogError::forbidden(
                "This action does not support Personal API Key access",
            ));
        }
        Scopes::Undeclared => {}
    }
    let now = clock.now_micros();
    if writes {
        let mut state = state.write().unwrap_or_else(PoisonError::into_inner);
        let project = state.ensure_project(project_id);
        let call = Call {
            request,
            key: &key,
            rest,
            now,
            csv_suffix,
        };
        action(actions::Target::Write(project), &call)
    } else {
        let state = state.read().unwrap_or_else(PoisonError::into_inner);
        let project = state.project(project_id).ok_or_else(project_not_found)?;
        let call = Call {
            request,
            key: &key,
            rest,
            now,
            csv_suffix,
        };
        action(actions::Target::Read(project), &call)
    }
}

/// One action: reads or writes a project.
type Action = fn(actions::Target<'_>, &Call<'_>) -> Result<ApiResponse, PostHogError>;

/// Authenticates the key (401), resolves the project (404) and checks the key reaches it
/// (403); returns the key and the project id.
fn authorised(
    state: &RwLock<PostHogState>,
    request: &ApiRequest,
    project: &str,
) -> Result<(PersonalKey, i64), PostHogError> {
    let state = state.read().unwrap_or_else(PoisonError::into_inner);
    let key = state.keys.authenticate(request)?.clone();
    let project_id = if project == "@current" {
        key.current_project
    } else {
        project.parse::<i64>().map_err(|_| project_not_found())?
    };
    state.project(project_id).ok_or_else(project_not_found)?;
    key.check_project(project_id)?;
    Ok((key, project_id))
}

fn project_not_found() -> PostHogError {
    PostHogError::not_found_with("Project not found.")
}
