//! Remote evaluation: `POST /flags/` and the legacy `/decide/` (§2 of the reference). The body
//! is JSON, or encoded as capture's are (posthog-js sends base64 in a `data=` form; gzip and
//! LZ-string too). The project token in the body authenticates; the request's distinct id, person properties,
//! device id and `$anon_distinct_id` make the [`Subject`]; the answer's shape follows `?v=`
//! and the endpoint. A request whose `$anon_distinct_id` calls for hash-key overrides is
//! answered after they are written ([`planned_write`]), as the flags service answers it.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::continuity::{self, Continuity, HashKeyOverrides, lookup_needed};
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

/// A `POST /flags/` or `/decide/` whose body decoded, with a known project token and a
/// distinct id.
#[derive(Debug)]
pub struct FlagsRequest {
    /// The project the token names.
    project_id: i64,
    /// The distinct id, cut to 200 characters.
    distinct_id: String,
    /// The decoded body.
    body: Map<String, Value>,
}

impl FlagsRequest {
    /// The project the token names.
    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    /// The first of the fields `names` (a name and its aliases) the body has.
    fn field(&self, names: &[&str]) -> Option<&Value> {
        names.iter().find_map(|name| self.body.get(*name))
    }

    /// The request's `person_properties`.
    fn person_properties(&self) -> Option<&Map<String, Value>> {
        self.field(&["person_properties", "$properties"])
            .and_then(Value::as_object)
    }

    /// The experience-continuity hash key: the top-level `$anon_distinct_id` (posthog-js
    /// sends it after identify), else `person_properties.$anon_distinct_id` (how server SDKs
    /// pass it).
    fn anon_distinct_id(&self) -> Option<&str> {
        self.field(&["$anon_distinct_id", "anon_distinct_id"])
            .and_then(Value::as_str)
            .or_else(|| {
                self.person_properties()?
                    .get("$anon_distinct_id")
                    .and_then(Value::as_str)
            })
    }

    /// `flag_keys_to_evaluate`, when given.
    fn only(&self) -> Option<Vec<&str>> {
        self.field(&["flag_keys_to_evaluate", "flag_keys"])
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
    }

    /// Whether `disable_flags` turns evaluation off.
    fn disabled(&self) -> bool {
        self.field(&["disable_flags"]) == Some(&Value::Bool(true))
    }
}

/// Decodes a `POST /flags/` or `/decide/` and checks its token and distinct id, answering
/// PostHog's plain-text errors.
pub fn parse(state: &PostHogState, request: &ApiRequest) -> Result<FlagsRequest, ApiResponse> {
    let text = payload::decode(request, MAX_BODY_BYTES, true).unwrap_or_default();
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(body)) if typed(&body) => body,
        _ => {
            return Err(ApiResponse::text(
                400,
                "Failed to decode request: invalid JSON. Please check your request format and try again.",
            ));
        }
    };
    let field = |names: &[&str]| names.iter().find_map(|name| body.get(*name));
    let Some(token) = field(&["token", "$token", "api_key"])
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
    else {
        return Err(ApiResponse::text(
            401,
            "No API token provided. Please include a valid API token in your request.",
        ));
    };
    let Some(project_id) = state.project_for_token(token) else {
        return Err(invalid_token());
    };
    let distinct_id = match field(&["distinct_id", "$distinct_id"]) {
        Some(Value::String(id)) => id.chars().take(MAX_DISTINCT_ID_CHARS).collect(),
        Some(Value::Number(id)) => id.to_string(),
        _ => {
            return Err(ApiResponse::text(
                400,
                "The distinct_id field is missing from the request. Please include a valid identifier.",
            ));
        }
    };
    Ok(FlagsRequest {
        project_id,
        distinct_id,
        body,
    })
}

/// Whether the body's typed fields have the types the flags service's `FlagRequest`
/// deserializes (else it refuses the body as invalid JSON): `token` text, `distinct_id` text
/// or a number, `person_properties` and `groups` objects, `group_properties` an object of
/// objects, `flag_keys_to_evaluate` a list of text; each may be null or absent.
fn typed(body: &Map<String, Value>) -> bool {
    let field = |names: &[&str]| names.iter().find_map(|name| body.get(*name));
    let all = |names: &[&str], test: fn(&Value) -> bool| field(names).is_none_or(test);
    let object = |value: &Value| value.is_null() || value.is_object();
    all(&["token", "$token", "api_key"], |value| {
        value.is_null() || value.is_string()
    }) && all(&["distinct_id", "$distinct_id"], |value| {
        value.is_null() || value.is_string() || value.is_number()
    }) && all(&["person_properties", "$properties"], object)
        && all(&["groups", "$groups"], object)
        && all(&["group_properties", "$group_properties"], |value| {
            value.is_null()
                || value
                    .as_object()
                    .is_some_and(|groups| groups.values().all(Value::is_object))
        })
        && all(&["flag_keys_to_evaluate", "flag_keys"], |value| {
            value.is_null()
                || value
                    .as_array()
                    .is_some_and(|keys| keys.iter().all(Value::is_string))
        })
}

/// The hash-key overrides `request` writes before it is answered, if any: with
/// `$anon_distinct_id`, when a flag it evaluates needs overrides and the persons of its ids
/// lack one (see [`continuity::planned_write`]).
pub fn planned_write(state: &PostHogState, request: &FlagsRequest) -> Option<HashKeyOverrides> {
    let project = state.project(request.project_id)?;
    let anon_distinct_id = request.anon_distinct_id()?;
    let lookup = !request.disabled() && lookup_needed(project.flags(), request.only().as_deref());
    lookup
        .then(|| continuity::planned_write(project, &request.distinct_id, anon_distinct_id))
        .flatten()
}

/// Evaluates the project's active flags for `parsed` (whose overrides are written), shaped
/// for `endpoint` and `request`'s `v`.
pub fn answer(
    state: &PostHogState,
    parsed: &FlagsRequest,
    request: &ApiRequest,
    endpoint: Endpoint,
    now_micros: i64,
) -> ApiResponse {
    let Some(project) = state.project(parsed.project_id) else {
        return invalid_token();
    };
    let distinct_id = parsed.distinct_id.as_str();
    let empty = Map::new();
    let overrides = parsed.person_properties().unwrap_or(&empty);
    let device_id = parsed
        .field(&["device_id", "$device_id"])
        .or_else(|| overrides.get("$device_id"))
        .and_then(Value::as_str);
    let only = parsed.only();
    let only_overrides = request.query_param("only_use_override_person_properties") == Some("true");
    let person = project.by_distinct_id(distinct_id);
    let stored = person
        .filter(|_| !only_overrides)
        .and_then(|index| project.person(index))
        .map(|person| person.properties.to_map());
    let in_cohort = |id: i64| {
        person.is_some_and(|index| {
            project
                .cohort(id)
                .is_some_and(|cohort| cohort.members.contains(&index))
        })
    };
    let groups = parsed
        .field(&["groups", "$groups"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let group_properties = parsed
        .field(&["group_properties", "$group_properties"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let lookup = lookup_needed(project.flags(), only.as_deref());
    let subject = Subject {
        groups,
        group_properties,
        stored_groups: project.groups(),
        distinct_id,
        distinct_id_value: Value::String(distinct_id.to_owned()),
        overrides,
        stored: stored.as_ref(),
        device_id,
        in_cohort: &in_cohort,
        now: now_micros.div_euclid(1_000_000),
        continuity: Continuity::of(project, distinct_id, parsed.anon_distinct_id(), lookup),
    };
    let evaluated = if parsed.disabled() {
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
