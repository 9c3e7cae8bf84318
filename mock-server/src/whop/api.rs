//! The Whop HTTP facade: one match over the operations of `specs/whop.yaml` and
//! `specs/whop-current.yaml` and the contract a request speaks (its `Api-Version-Date`), the
//! parameters each contract takes, and the query parameters they share. Free of any
//! transport: it maps an [`ApiRequest`] to an [`ApiResponse`].

use std::num::IntErrorKind;
use std::sync::RwLock;

use super::era::{Era, TimeFormat};
use super::error::WhopError;
use super::state::WhopState;
use super::{current, reads, reads_current, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::{WhopCurrentOperation, WhopOperation};
use crate::vendor_handle::read_lock;

/// Where Whop is mounted on the mock server.
pub const PREFIX: &str = "/whop/api/v1";

/// Answers a request for an operation of `specs/whop.yaml`, in the contract its
/// `Api-Version-Date` picks (Era A without one).
pub fn handle(
    state: &RwLock<WhopState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: WhopOperation<'_>,
) -> ApiResponse {
    dispatch(state, request, |era| match (operation, era) {
        (WhopOperation::ListPeople, Era::A) => {
            known_params(request, &LIST_A)?;
            reads::list_people(&read_lock(state), clock, request)
        }
        (WhopOperation::ListPeople, Era::EarlyB | Era::LateB) => {
            known_params(request, &LIST_B)?;
            reads_current::list_people_b(&read_lock(state), clock, request, era)
        }
        (WhopOperation::ListPeople, Era::C) => {
            known_params(request, current::parameters())?;
            reads_current::list_people_c(&read_lock(state), clock, request)
        }
        (WhopOperation::RetrievePerson { person_id }, Era::A | Era::EarlyB | Era::LateB) => {
            known_params(request, &RETRIEVE_A)?;
            reads::retrieve_person(&read_lock(state), clock, request, person_id, era.times())
        }
        (WhopOperation::RetrievePerson { person_id }, Era::C) => {
            known_params(request, &["account_id"])?;
            reads_current::retrieve_person_c(&read_lock(state), request, person_id)
        }
        (WhopOperation::CreateEvent, _) => {
            known_params(request, &[])?;
            writes::create_event(state, clock, request)
        }
    })
}

/// Answers a request for an operation only `specs/whop-current.yaml` has. Era A has none of
/// them: without a later `Api-Version-Date` it is the "no such route" 404, as before they
/// existed.
pub fn handle_current(
    state: &RwLock<WhopState>,
    request: &ApiRequest,
    operation: WhopCurrentOperation,
) -> ApiResponse {
    if Era::of(request) == Ok(Era::A) {
        return route_not_found(request).into_response();
    }
    dispatch(state, request, |era| match operation {
        WhopCurrentOperation::ListEvents => {
            known_params(request, &EVENTS)?;
            reads_current::list_events(&read_lock(state), request, era)
        }
    })
}

/// The request's contract, a check of its credential (so a bad key is a 401 before any
/// parameter is looked at), then `answer` in that contract; any error as Whop's error body.
fn dispatch(
    state: &RwLock<WhopState>,
    request: &ApiRequest,
    answer: impl FnOnce(Era) -> Result<ApiResponse, WhopError>,
) -> ApiResponse {
    Era::of(request)
        .and_then(|era| {
            read_lock(state).keys.authenticate(request.bearer_token())?;
            answer(era)
        })
        .unwrap_or_else(WhopError::into_response)
}

/// The query parameters of each operation, per contract.
const LIST_A: [&str; 8] = [
    "account_id",
    "from",
    "to",
    "first",
    "offset",
    "sort",
    "direction",
    "filters",
];
const LIST_B: [&str; 9] = [
    "account_id",
    "from",
    "to",
    "first",
    "after",
    "before",
    "sort",
    "direction",
    "filters",
];
const RETRIEVE_A: [&str; 3] = ["account_id", "from", "to"];
const EVENTS: [&str; 8] = [
    "account_id",
    "identifier",
    "person_id",
    "first",
    "after",
    "before",
    "from",
    "to",
];

/// The 404 for a route Whop does not have, logged loudly so a test author notices.
pub fn route_not_found(request: &ApiRequest) -> WhopError {
    tracing::warn!(method = %request.method, path = %request.path, "whop mock: no such route");
    WhopError::not_found(format!(
        "Route not found: {} {}",
        request.method, request.path
    ))
}

/// The `[from, to]` window of a request, its times written `times`: `to` defaults to now,
/// `from` to `to` minus `default_span` (or the beginning of time without one).
pub(super) fn window(
    request: &ApiRequest,
    clock: &Clock,
    default_span: Option<i64>,
    times: TimeFormat,
) -> Result<(i64, i64), WhopError> {
    let to = time_param(request, "to", times)?.unwrap_or_else(|| clock.now());
    let from = time_param(request, "from", times)?
        .unwrap_or_else(|| default_span.map_or(i64::MIN, |span| to.saturating_sub(span)));
    if from > to {
        return Err(WhopError::invalid_param(
            "from",
            format!("`from` ({from}) must not be after `to` ({to})."),
        ));
    }
    Ok((from, to))
}

/// A time parameter written `times`.
pub(super) fn time_param(
    request: &ApiRequest,
    name: &str,
    times: TimeFormat,
) -> Result<Option<i64>, WhopError> {
    param(request, name)
        .map(|raw| times.parse(name, raw))
        .transpose()
}

/// Refuses query parameters outside `known` (an array parameter may come as `name[]`) with a
/// 400 naming them, as no contract of the People API ignores one.
pub(super) fn known_params(request: &ApiRequest, known: &[&str]) -> Result<(), WhopError> {
    let mut unknown: Vec<&str> = request
        .query
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !known.contains(&name.strip_suffix("[]").unwrap_or(name)))
        .collect();
    unknown.dedup();
    match unknown.first() {
        None => Ok(()),
        Some(first) => Err(WhopError::invalid_param(
            first,
            format!(
                "Unknown parameter{}: {}.",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The account a read acts on: the caller's, or the `account_id` its key may reach.
pub(super) fn account_of(state: &WhopState, request: &ApiRequest) -> Result<String, WhopError> {
    state
        .keys
        .authorize(request.bearer_token(), param(request, "account_id"))
}

/// Query parameter `name`; an empty value counts as absent, as if the key were not sent.
pub(super) fn param<'a>(request: &'a ApiRequest, name: &str) -> Option<&'a str> {
    request.query_param(name).filter(|value| !value.is_empty())
}

pub(super) fn integer_param(request: &ApiRequest, name: &str) -> Result<Option<i64>, WhopError> {
    param(request, name)
        .map(|raw| parse_integer(name, raw))
        .transpose()
}

/// The integer value `raw` of parameter `name`.
pub(super) fn parse_integer(name: &str, raw: &str) -> Result<i64, WhopError> {
    raw.trim().parse::<i64>().map_err(|error| {
        let why = match error.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "is out of range",
            _ => "must be an integer",
        };
        WhopError::invalid_param(name, format!("`{name}` {why}, got `{raw}`."))
    })
}
