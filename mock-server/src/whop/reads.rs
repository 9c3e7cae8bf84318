//! The Whop reads: listing people through a window, and retrieving one person.

use super::api::{account_of, integer_param, param, window};
use super::era::TimeFormat;
use super::error::WhopError;
use super::field::{PersonField, PersonView};
use super::filter::Filters;
use super::query::{self, Direction, ListQuery};
use super::render::{DataBody, PersonJson, TotalCount, page_body};
use super::state::WhopState;
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse, decode_segment};

/// The default list window: 366 days before `to`.
pub(super) const DEFAULT_WINDOW_SECONDS: i64 = 366 * 24 * 60 * 60;

/// `first` when omitted, and its largest accepted value.
const DEFAULT_FIRST: i64 = 100;
const MAX_FIRST: i64 = 101;

/// `GET /people`: the account's people with events in the window, filtered, sorted, paged.
pub fn list_people(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let (from, to) = window(
        request,
        clock,
        Some(DEFAULT_WINDOW_SECONDS),
        TimeFormat::Unix,
    )?;
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
    let (sort, direction, filters) = ordering(request)?;
    let Some(account) = state.account(&account_id) else {
        let empty = page_body([], |(), _| {}, &TotalCount { total_count: 0 });
        return Ok(ApiResponse::new(200, "application/json", empty));
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
    let body = page_body(
        &page.people,
        |view, out| PersonJson::write(view, TimeFormat::Unix, out),
        &TotalCount {
            total_count: page.total_count,
        },
    );
    Ok(ApiResponse::new(200, "application/json", body))
}

/// `sort`, `direction` and `filters` of Era A's list (and Era B's).
pub(super) fn ordering(
    request: &ApiRequest,
) -> Result<(PersonField, Direction, Filters), WhopError> {
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
    Ok((sort, direction, filters))
}

/// `GET /people/{id}` in Eras A and B (their times written `times`): one person by record id, person id or any identifier.
pub fn retrieve_person(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
    raw_id: &str,
    times: TimeFormat,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let (from, to) = window(request, clock, None, times)?;
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
            data: PersonJson::of(&view, times),
        },
    ))
}
