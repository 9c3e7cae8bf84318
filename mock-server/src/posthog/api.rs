//! The PostHog HTTP facade under `/posthog`: capture paths, and the persons API under
//! `/api/projects/{id}/persons/` and `/api/environments/{id}/persons/`. Routing, credentials,
//! project resolution and scopes live here; each action lives in [`super::actions`].

use std::sync::RwLock;

use serde::Serialize;

use super::actions::{self, Call};
use super::capture;
use super::error::PostHogError;
use super::keys::PersonalKey;
use super::state::PostHogState;
use super::{reads, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse, decode_segment};
use crate::vendor_handle::{read_lock, write_lock};

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
        return capture_events(state, clock, request, capture::Endpoint::of(trimmed));
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
    endpoint: capture::Endpoint,
) -> ApiResponse {
    if request.method == "OPTIONS" {
        return ApiResponse::empty(200)
            .with_header("access-control-allow-origin", "*")
            .with_header("access-control-allow-methods", "GET, POST, OPTIONS");
    }
    let now = clock.now_micros();
    let parsed = match capture::parse(request, endpoint, now) {
        Ok(parsed) => parsed,
        Err(error) => return error.into_response(),
    };
    let mut state = write_lock(state);
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
#[derive(Clone, Copy)]
enum Scopes {
    /// Every scope listed.
    All(&'static [&'static str]),
    /// No scope declared: scoped keys are refused.
    Undeclared,
    /// Nothing checked beyond the project (`POST /persons/`, refused anyway).
    Unchecked,
}

const READ: Scopes = Scopes::All(&["person:read"]);
const WRITE: Scopes = Scopes::All(&["person:write"]);
const ACTIVITY: Scopes = Scopes::All(&["activity_log:read"]);

/// Where a route sits below `persons/`: the collection or one person, and the action name
/// after it (`""` for the collection or person itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Collection(&'static str),
    Person(&'static str),
}

/// One route of the persons API.
struct Route {
    method: &'static str,
    shape: Shape,
    action: Action,
    scopes: Scopes,
    writes: bool,
}

/// A route that reads the project with `scopes`.
const fn read(method: &'static str, shape: Shape, action: Action, scopes: Scopes) -> Route {
    Route {
        method,
        shape,
        action,
        scopes,
        writes: false,
    }
}

/// A route that changes the project, with `person:write`.
const fn write(method: &'static str, shape: Shape, action: Action) -> Route {
    Route {
        method,
        shape,
        action,
        scopes: WRITE,
        writes: true,
    }
}

/// Every persons route, as PostHog's PersonViewSet declares them.
const ROUTES: &[Route] = &[
    read("GET", Shape::Collection(""), reads::list, READ),
    read(
        "POST",
        Shape::Collection(""),
        refuse_create,
        Scopes::Unchecked,
    ),
    read(
        "GET",
        Shape::Collection("activity"),
        reads::all_activity,
        ACTIVITY,
    ),
    write(
        "POST",
        Shape::Collection("bulk_delete"),
        writes::bulk_delete,
    ),
    read(
        "GET",
        Shape::Collection("cohorts"),
        reads::cohorts,
        Scopes::All(&["person:read", "cohort:read"]),
    ),
    read("GET", Shape::Collection("values"), reads::values, READ),
    write(
        "POST",
        Shape::Collection("reset_person_distinct_id"),
        writes::reset_distinct_id,
    ),
    read(
        "POST",
        Shape::Collection("batch_by_distinct_ids"),
        reads::batch_by_distinct_ids,
        READ,
    ),
    read(
        "POST",
        Shape::Collection("batch_by_uuids"),
        reads::batch_by_uuids,
        READ,
    ),
    read(
        "GET",
        Shape::Collection("properties_at_time"),
        reads::properties_at_time,
        READ,
    ),
    read(
        "GET",
        Shape::Collection("deletion_status"),
        reads::deletion_status,
        READ,
    ),
    read("GET", Shape::Person(""), reads::retrieve, READ),
    write("PUT", Shape::Person(""), writes::update),
    write("PATCH", Shape::Person(""), writes::update),
    write("DELETE", Shape::Person(""), writes::destroy),
    read(
        "GET",
        Shape::Person("activity"),
        reads::person_activity,
        ACTIVITY,
    ),
    write(
        "POST",
        Shape::Person("delete_events"),
        writes::queue_deletion,
    ),
    write(
        "POST",
        Shape::Person("delete_recordings"),
        writes::queue_deletion,
    ),
    write(
        "POST",
        Shape::Person("delete_property"),
        writes::delete_property,
    ),
    write(
        "POST",
        Shape::Person("update_property"),
        writes::update_property,
    ),
    write("POST", Shape::Person("split"), writes::split),
    read(
        "GET",
        Shape::Person("properties_timeline"),
        reads::properties_timeline,
        Scopes::Undeclared,
    ),
];

/// The shape of the path segments after `persons/`, if any route has it: a single segment is
/// a collection action when one is named so, else a person id.
fn shape_of(rest: &[&str]) -> Option<Shape> {
    let named = |wanted: fn(Shape) -> Option<&'static str>, segment: &str| {
        ROUTES
            .iter()
            .filter_map(|route| wanted(route.shape))
            .find(|name| *name == segment)
    };
    let collection = |shape| match shape {
        Shape::Collection(name) => Some(name),
        Shape::Person(_) => None,
    };
    let person = |shape| match shape {
        Shape::Person(name) => Some(name),
        Shape::Collection(_) => None,
    };
    match rest {
        [] => Some(Shape::Collection("")),
        [segment] => Some(named(collection, segment).map_or(Shape::Person(""), Shape::Collection)),
        [_, segment] => named(person, segment).map(Shape::Person),
        _ => None,
    }
}

/// `POST /persons/`: PostHog's 405 with its explanation.
fn refuse_create(
    _target: actions::Target<'_>,
    _call: &Call<'_>,
) -> Result<ApiResponse, PostHogError> {
    Err(PostHogError::create_not_allowed())
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
    let Some(shape) = shape_of(rest) else {
        return Ok(route_not_found(request));
    };
    let Some(route) = ROUTES
        .iter()
        .find(|route| route.shape == shape && route.method == method)
    else {
        authorised(state, request, project)?;
        return Err(PostHogError::method_not_allowed(method));
    };
    let Route {
        action,
        scopes,
        writes,
        ..
    } = *route;
    let (key, project_id) = authorised(state, request, project)?;
    match scopes {
        Scopes::All(required) => required.iter().try_for_each(|scope| key.require(scope))?,
        Scopes::Undeclared if key.is_scoped() => {
            return Err(PostHogError::forbidden(
                "This action does not support Personal API Key access",
            ));
        }
        Scopes::Undeclared | Scopes::Unchecked => {}
    }
    let now = clock.now_micros();
    if writes {
        let mut state = write_lock(state);
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
        let state = read_lock(state);
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
    let state = read_lock(state);
    let key = state.keys.authenticate(request)?.clone();
    let project = decode_segment(project).unwrap_or_default();
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
