//! The Whop HTTP facade: routes, credentials, parameters and JSON for `/whop/api/v1`.
//! Free of any transport: it maps an [`ApiRequest`] to an [`ApiResponse`].

use std::num::IntErrorKind;
use std::sync::RwLock;

use super::account::RecordError;
use super::error::WhopError;
use super::field::{PersonField, PersonView};
use super::filter::Filters;
use super::intake;
use super::query::{self, Direction, ListQuery};
use super::render::{CreatedEventBody, DataBody, ListPeopleBody, PersonJson};
use super::state::WhopState;
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse, decode_segment};
use crate::operations::WhopOperation;
use crate::vendor_handle::{read_lock, write_lock};

/// Where Whop is mounted on the mock server.
pub const PREFIX: &str = "/whop/api/v1";

/// The default list window: 366 days before `to`.
const DEFAULT_WINDOW_SECONDS: i64 = 366 * 24 * 60 * 60;

/// `first` when omitted, and its largest accepted value.
const DEFAULT_FIRST: i64 = 100;
const MAX_FIRST: i64 = 101;

/// Answers a request for `operation`.
pub fn handle(
    state: &RwLock<WhopState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: WhopOperation<'_>,
) -> ApiResponse {
    let result = match operation {
        WhopOperation::ListPeople => list_people(&read_lock(state), clock, request),
        WhopOperation::RetrievePerson { person_id } => {
            retrieve_person(&read_lock(state), clock, request, person_id)
        }
        WhopOperation::CreateEvent => create_event(state, clock, request),
    };
    result.unwrap_or_else(WhopError::into_response)
}

/// The 404 for a route Whop does not have, logged loudly so a test author notices.
pub fn route_not_found(request: &ApiRequest) -> WhopError {
    tracing::warn!(method = %request.method, path = %request.path, "whop mock: no such route");
    WhopError::not_found(format!(
        "Route not found: {} {}",
        request.method, request.path
    ))
}

fn list_people(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
) -> Result<ApiResponse, WhopError> {
    let account_id = state
        .keys
        .authorize(request.bearer_token(), param(request, "account_id"))?;
    let (from, to) = window(request, clock, Some(DEFAULT_WINDOW_SECONDS))?;
    let first = integer_param(request, "first")?.unwrap_or(DEFAULT_FIRST);
    if !(1..=MAX_FIRST).contains(&first) {
        return Err(WhopError::invalid_param(
            "first",
            format!("`first` must be between 1 and {MAX_FIRST}, got {first}."),
        ));
    }
    let offset = integer_param(request, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(WhopError::invalid_param(
            "offset",
            format!("`offset` must be 0 or more, got {offset}."),
        ));
    }
    let sort = match param(request, "sort") {
        None => PersonField::LastSeenAt,
        Some(name) => PersonField::parse(name)
            .filter(|field| field.is_sortable())
            .ok_or_else(|| {
                WhopError::invalid_param(
                    "sort",
                    format!(
                        "Unknown sort column `{name}`; expected one of: {}.",
                        PersonField::sortable_names()
                    ),
                )
            })?,
    };
    let direction = match param(request, "direction") {
        None | Some("desc") => Direction::Desc,
        Some("asc") => Direction::Asc,
        Some(other) => {
            return Err(WhopError::invalid_param(
                "direction",
                format!("`direction` must be `asc` or `desc`, got `{other}`."),
            ));
        }
    };
    let filters = match param(request, "filters") {
        None => Filters::default(),
        Some(json) => {
            Filters::parse(json).map_err(|why| WhopError::invalid_param("filters", why))?
        }
    };
    let Some(account) = state.account(&account_id) else {
        let empty = ListPeopleBody {
            data: Vec::new(),
            total_count: 0,
        };
        return Ok(ApiResponse::json(200, &empty));
    };
    let query = ListQuery {
        from,
        to,
        sort,
        direction,
        filters,
        first: usize::try_from(first).unwrap_or(usize::MAX),
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
    };
    let page = query::list(account, &query);
    let body = ListPeopleBody {
        data: page.people.iter().map(PersonJson::of).collect(),
        total_count: page.total_count,
    };
    Ok(ApiResponse::json(200, &body))
}

fn retrieve_person(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
    raw_id: &str,
) -> Result<ApiResponse, WhopError> {
    let account_id = state
        .keys
        .authorize(request.bearer_token(), param(request, "account_id"))?;
    let (from, to) = window(request, clock, None)?;
    let id = decode_segment(raw_id).ok_or_else(|| WhopError::not_found("Person not found."))?;
    let not_found = || WhopError::not_found(format!("Person `{id}` not found."));
    let account = state.account(&account_id).ok_or_else(not_found)?;
    let person = account.find(&id).ok_or_else(not_found)?;
    let aggregate = person.timeline.window(from, to).ok_or_else(|| {
        WhopError::not_found(format!(
            "Person `{id}` has no activity between {from} and {to}."
        ))
    })?;
    let view = PersonView {
        account,
        person,
        aggregate,
        from,
        to,
    };
    Ok(ApiResponse::json(
        200,
        &DataBody {
            data: PersonJson::of(&view),
        },
    ))
}

fn create_event(
    state: &RwLock<WhopState>,
    clock: &Clock,
    request: &ApiRequest,
) -> Result<ApiResponse, WhopError> {
    let mut state = write_lock(state);
    let scope = state.keys.authenticate(request.bearer_token())?;
    let intake = intake::parse(&request.body)?;
    let account_id = scope.account(Some(&intake.account_id))?;
    let recorded = state
        .record(&account_id, intake.event, clock.now())
        .map_err(|error| match error {
            RecordError::NoIdentity => WhopError::missing_param("user", error.to_string()),
            RecordError::AmountOutOfRange => WhopError::invalid_param("value", error.to_string()),
            RecordError::LogFull => WhopError::internal(error.to_string()),
        })?;
    Ok(ApiResponse::json(
        200,
        &CreatedEventBody {
            id: recorded.event_id,
        },
    ))
}

/// The `[from, to]` window of a request: `to` defaults to now, `from` to `to` minus
/// `default_span` (or the beginning of time without one).
fn window(
    request: &ApiRequest,
    clock: &Clock,
    default_span: Option<i64>,
) -> Result<(i64, i64), WhopError> {
    let to = integer_param(request, "to")?.unwrap_or_else(|| clock.now());
    let from = integer_param(request, "from")?
        .unwrap_or_else(|| default_span.map_or(i64::MIN, |span| to.saturating_sub(span)));
    if from > to {
        return Err(WhopError::invalid_param(
            "from",
            format!("`from` ({from}) must not be after `to` ({to})."),
        ));
    }
    Ok((from, to))
}

/// Query parameter `name`; an empty value counts as absent, as if the key were not sent.
fn param<'a>(request: &'a ApiRequest, name: &str) -> Option<&'a str> {
    request.query_param(name).filter(|value| !value.is_empty())
}

fn integer_param(request: &ApiRequest, name: &str) -> Result<Option<i64>, WhopError> {
    param(request, name)
        .map(|raw| {
            raw.trim().parse::<i64>().map_err(|error| {
                let why = match error.kind() {
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "is out of range",
                    _ => "must be an integer",
                };
                WhopError::invalid_param(name, format!("`{name}` {why}, got `{raw}`."))
            })
        })
        .transpose()
}
