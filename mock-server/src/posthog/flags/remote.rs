//! Remote evaluation: `POST /flags/` and the legacy `/decide/` (§2 of the reference). The body
//! is JSON, or encoded as capture's are (posthog-js sends base64 in a `data=` form; gzip and
//! LZ-string too). The project token in the body authenticates; the request's distinct id, person properties and
//! device id make the [`Subject`]; the answer's shape follows `?v=` and the endpoint.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::evaluate::{Evaluator, Outcome, Subject};
use super::{Flag, render};
use crate::http::{ApiRequest, ApiResponse};
use crate::posthog::capture::payload;
use crate::posthog::state::PostHogState;
use crate::posthog::tenant::Project;

/// Namespace of the request ids the mock derives.
const REQUEST_NAMESPACE: Uuid = Uuid::from_u128(0x8c1d_34e2_77a0_4b19_a5f3_2e6d_90b4_c158);

/// Largest body (decoded) the mock reads.
const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// Longest distinct id the flags service keeps (in Unicode scalar values).
const MAX_DISTINCT_ID_CHARS: usize = 200;

/// Which route answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/flags/`.
    Flags,
    /// `/decide/` (answered as the flags service answers a request via decide).
    Decide,
}

/// The response shapes of §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `{"featureFlags": ["key", …]}` of the enabled flags.
    EnabledKeys,
    /// `{"featureFlags": {key: value}}` of the enabled flags.
    EnabledValues,
    /// `featureFlags` (every value) and `featureFlagPayloads`.
    Legacy,
    /// `flags` records with reasons and metadata.
    Detailed,
}

fn shape(endpoint: Endpoint, version: Option<i64>) -> Shape {
    match (endpoint, version) {
        (Endpoint::Flags, None) => Shape::Detailed,
        (Endpoint::Flags, Some(version)) if version >= 2 => Shape::Detailed,
        (Endpoint::Flags, Some(_)) => Shape::Legacy,
        (Endpoint::Decide, None | Some(..=1)) => Shape::EnabledKeys,
        (Endpoint::Decide, Some(2)) => Shape::EnabledValues,
        (Endpoint::Decide, Some(3)) => Shape::Legacy,
        (Endpoint::Decide, Some(_)) => Shape::Detailed,
    }
}

/// The 401 for a token no project has.
pub fn invalid_token() -> ApiResponse {
    ApiResponse::text(
        401,
        "The provided API key is invalid or has expired. Please check your API key and try again.",
    )
}

/// A config answer (GET, or `?config=true` extras), whose flags come from `flags`.
fn config() -> Map<String, Value> {
    let value = json!({
        "supportedCompression": ["gzip", "gzip-js"],
        "config": {"enable_collect_everything": true},
        "toolbarParams": {},
        "isAuthenticated": false,
        "sessionRecording": false,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `GET /flags/` or `/decide/`: a minimal config with no flags.
pub fn config_only(endpoint: Endpoint, request: &ApiRequest) -> ApiResponse {
    let mut body = config();
    let version = version(request);
    let shaped = shaped(shape(endpoint, version), &[], false, Uuid::nil(), 0);
    body.extend(shaped);
    ApiResponse::json(200, &body)
}

/// The `v` query parameter: absent → `None`; not an integer → 1.
fn version(request: &ApiRequest) -> Option<i64> {
    request
        .query_param("v")
        .map(|raw| raw.trim().parse().unwrap_or(1))
}

/// `POST /flags/` or `/decide/`: evaluates the project's active flags for the request's
/// distinct id.
pub fn evaluate(
    state: &PostHogState,
    request: &ApiRequest,
    endpoint: Endpoint,
    now_micros: i64,
) -> ApiResponse {
    let text = payload::decode(request, MAX_BODY_BYTES, true).unwrap_or_default();
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(body)) => body,
        _ => {
            return ApiResponse::text(
                400,
                "Failed to decode request: invalid JSON. Please check your request format and try again.",
            );
        }
    };
    let field = |names: &[&str]| names.iter().find_map(|name| body.get(*name));
    let Some(token) = field(&["token", "$token", "api_key"])
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
    else {
        return ApiResponse::text(
            401,
            "No API token provided. Please include a valid API token in your request.",
        );
    };
    let Some(project) = state
        .project_for_token(token)
        .and_then(|project_id| state.project(project_id))
    else {
        return invalid_token();
    };
    let distinct_id = match field(&["distinct_id", "$distinct_id"]) {
        Some(Value::String(id)) => id.chars().take(MAX_DISTINCT_ID_CHARS).collect(),
        Some(Value::Number(id)) => id.to_string(),
        _ => {
            return ApiResponse::text(
                400,
                "The distinct_id field is missing from the request. Please include a valid identifier.",
            );
        }
    };
    let empty = Map::new();
    let overrides = field(&["person_properties", "$properties"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let device_id = field(&["device_id", "$device_id"])
        .or_else(|| overrides.get("$device_id"))
        .and_then(Value::as_str);
    let only: Option<Vec<&str>> = field(&["flag_keys_to_evaluate", "flag_keys"])
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect());
    let disabled = field(&["disable_flags"]) == Some(&Value::Bool(true));
    let only_overrides = request.query_param("only_use_override_person_properties") == Some("true");
    let person = project.by_distinct_id(&distinct_id);
    let stored = person
        .filter(|_| !only_overrides)
        .and_then(|index| project.person(index))
        .map(|person| &person.properties);
    let in_cohort = |id: i64| {
        person.is_some_and(|index| {
            project
                .cohort(id)
                .is_some_and(|cohort| cohort.members.contains(&index))
        })
    };
    let groups = field(&["groups", "$groups"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let group_properties = field(&["group_properties", "$group_properties"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let subject = Subject {
        groups,
        group_properties,
        stored_groups: project.groups(),
        distinct_id: &distinct_id,
        distinct_id_value: Value::String(distinct_id.clone()),
        overrides,
        stored,
        device_id,
        in_cohort: &in_cohort,
        now: now_micros.div_euclid(1_000_000),
    };
    let evaluated = if disabled {
        Vec::new()
    } else {
        evaluate_all(project, &subject, only.as_deref())
    };
    let request_id = Uuid::new_v5(
        &REQUEST_NAMESPACE,
        format!("{}:{now_micros}:{distinct_id}", project.id).as_bytes(),
    );
    let version = version(request);
    let wants_config = endpoint == Endpoint::Decide
        || request.query_param("config") == Some("true")
        || (version.is_none() && request.query_param("config").is_none());
    let mut answer = if wants_config { config() } else { Map::new() };
    answer.extend(shaped(
        shape(endpoint, version),
        &evaluated,
        true,
        request_id,
        now_micros.div_euclid(1_000),
    ));
    ApiResponse::json(200, &answer)
}

/// The outcome of every active, live flag of `project` (of `only` when given), in id order.
pub fn evaluate_all<'p>(
    project: &'p Project,
    subject: &Subject<'_>,
    only: Option<&[&str]>,
) -> Vec<(&'p Flag, Outcome)> {
    let flags = project.flags();
    let mut evaluator = Evaluator::new(flags, subject);
    flags
        .iter()
        .filter(|flag| flag.active && !flag.deleted)
        .filter(|flag| only.is_none_or(|keys| keys.contains(&flag.key.as_str())))
        .map(|flag| (flag, evaluator.evaluate(flag)))
        .collect()
}

/// The body of `shape` for `evaluated` (`ids`: whether to add `requestId`/`evaluatedAt`).
fn shaped(
    shape: Shape,
    evaluated: &[(&Flag, Outcome)],
    ids: bool,
    request_id: Uuid,
    evaluated_at: i64,
) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("errorsWhileComputingFlags".to_owned(), Value::Bool(false));
    match shape {
        Shape::EnabledKeys => {
            let keys: Vec<Value> = evaluated
                .iter()
                .filter(|(_, outcome)| outcome.enabled)
                .map(|(flag, _)| Value::String(flag.key.clone()))
                .collect();
            body.insert("featureFlags".to_owned(), Value::Array(keys));
        }
        Shape::EnabledValues => {
            let values: Map<String, Value> = evaluated
                .iter()
                .filter(|(_, outcome)| outcome.enabled)
                .map(|(flag, outcome)| (flag.key.clone(), outcome.value()))
                .collect();
            body.insert("featureFlags".to_owned(), Value::Object(values));
        }
        Shape::Legacy => {
            let (values, payloads) = render::legacy(evaluated);
            body.insert("featureFlags".to_owned(), Value::Object(values));
            body.insert("featureFlagPayloads".to_owned(), Value::Object(payloads));
        }
        Shape::Detailed => {
            let records: Map<String, Value> = evaluated
                .iter()
                .map(|(flag, outcome)| (flag.key.clone(), render::detailed(flag, outcome)))
                .collect();
            body.insert("flags".to_owned(), Value::Object(records));
        }
    }
    if ids {
        body.insert(
            "requestId".to_owned(),
            Value::String(request_id.to_string()),
        );
        body.insert("evaluatedAt".to_owned(), Value::from(evaluated_at));
    }
    body
}
