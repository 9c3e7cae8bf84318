//! The reads of the contracts after Era A: Era B's cursor-paged list (its retrieve is Era A's
//! with its times), Era C's list and bare retrieve by any identifier, and `GET /events`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::api::{account_of, integer_param, param, time_param, window};
use super::current::{CurrentRows, PeopleQuery, Profiled};
use super::cursor::{self, PageInfo, PageRequest, Rows, WalkPage};
use super::era::Era;
use super::error::WhopError;
use super::field::PersonView;
use super::orders::{Order, OrderKey};
use super::query::{self, ListQuery};
use super::reads::{DEFAULT_WINDOW_SECONDS, ordering};
use super::render::{PersonJson, page_body, write_json};
use super::render_current::{EventJson, PageTail, ProfileDetailJson, ProfileJson};
use super::state::WhopState;
use super::tenant::Account;
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse, decode_segment};

/// The query parameters that make a list what it is: all but its paging.
fn list_identity(request: &ApiRequest, era: Era, account_id: &str) -> u64 {
    let mut parts: Vec<(&str, &str)> = request
        .query
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "first" | "after" | "before"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    parts.sort_unstable();
    cursor::fingerprint(&(era, account_id, parts))
}

/// Era B's list of an account: Era A's query, every match in list order.
struct WindowRows<'a> {
    account: &'a Account,
    query: ListQuery,
}

impl Rows for WindowRows<'_> {
    fn sorted(&self) -> Vec<u32> {
        query::sorted(self.account, &self.query)
    }

    fn id(&self, row: u32) -> &str {
        &self.account.person(row as usize).id
    }
}

/// A cursor page of the items `write` renders, then `tail`.
fn cursor_page<T>(
    items: impl IntoIterator<Item = T>,
    write: impl FnMut(T, &mut Vec<u8>),
    tail: &PageTail,
) -> ApiResponse {
    ApiResponse::new(200, "application/json", page_body(items, write, tail))
}

/// An empty cursor page.
fn empty_page(total: bool) -> ApiResponse {
    let tail = PageTail {
        page_info: PageInfo {
            end_cursor: None,
            start_cursor: None,
            has_next_page: false,
            has_previous_page: false,
        },
        total_count: total.then_some(0),
    };
    cursor_page([], |(), _| {}, &tail)
}

/// The page `page` of `rows`, the list `key` names, through the kept walks. A first page
/// starts again the walk its list's last first page kept, when the account has not changed
/// since (the walk's order is the account's kept order of `key`); otherwise it sorts, and
/// its order is kept.
fn walk(
    state: &WhopState,
    account: &Account,
    identity: u64,
    key: OrderKey,
    page: &PageRequest,
    rows: &impl Rows,
) -> Result<WalkPage, WhopError> {
    let first = page.cursor.is_none();
    if first && let Some(kept) = account.orders().find(&key, usize::MAX) {
        return Ok(cursor::first_page(
            kept.walk, identity, kept.rows, page.first, rows,
        ));
    }
    let found = state
        .walks
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .page(&account.id, identity, page, rows)?;
    if first {
        let order = Order {
            rows: Arc::clone(&found.order),
            total: found.total,
            walk: found.walk,
        };
        account.orders().keep(key, order);
    }
    Ok(found)
}

/// Era B's `GET /people`: Era A's window, `sort` and `filters`, in cursor pages.
pub fn list_people_b(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
    era: Era,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let (from, to) = window(request, clock, Some(DEFAULT_WINDOW_SECONDS), era.times())?;
    let page = PageRequest::parse(request)?;
    let (sort, direction, filters) = ordering(request)?;
    let Some(account) = state.account(&account_id) else {
        return Ok(empty_page(false));
    };
    let rows = WindowRows {
        account,
        query: ListQuery {
            from,
            to,
            sort,
            direction,
            filters,
            first: page.first,
            offset: 0,
        },
    };
    let identity = list_identity(request, era, &account_id);
    let key = OrderKey::window(identity, &rows.query);
    let found = walk(state, account, identity, key, &page, &rows)?;
    let views = found
        .rows
        .iter()
        .filter_map(|&row| PersonView::at(account, row as usize, from, to));
    let tail = PageTail {
        page_info: found.info,
        total_count: None,
    };
    Ok(cursor_page(
        views,
        |view, out| PersonJson::write(&view, era.times(), out),
        &tail,
    ))
}

/// Era C's `GET /people`: explicit filters over lifetime aggregates, `order`, cursor pages
/// and `total_count`.
pub fn list_people_c(
    state: &WhopState,
    clock: &Clock,
    request: &ApiRequest,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let page = PageRequest::parse(request)?;
    let query = PeopleQuery::parse(request, clock.now())?;
    let Some(account) = state.account(&account_id) else {
        return Ok(empty_page(true));
    };
    let identity = list_identity(request, Era::C, &account_id);
    let key = OrderKey::Current(identity, Box::new(query.clone()));
    let rows = CurrentRows {
        account,
        query: &query,
    };
    let found = walk(state, account, identity, key, &page, &rows)?;
    let people: Vec<Profiled<'_>> = found
        .rows
        .iter()
        .filter_map(|&row| Profiled::of(account, row as usize))
        .collect();
    let tail = PageTail {
        page_info: found.info,
        total_count: Some(found.total),
    };
    Ok(cursor_page(&people, ProfileJson::write, &tail))
}

/// Era C's `GET /people/{id}`: the bare person with its detail, by record id, any identifier
/// or phone; a merged person's id finds the survivor.
pub fn retrieve_person_c(
    state: &WhopState,
    request: &ApiRequest,
    raw_id: &str,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let id = decode_segment(raw_id).ok_or_else(|| WhopError::not_found("Person not found."))?;
    let not_found = || WhopError::not_found(format!("Person `{id}` not found."));
    let account = state.account(&account_id).ok_or_else(not_found)?;
    let index = account.find_profile(&id).ok_or_else(not_found)?;
    let person = Profiled::of(account, index).ok_or_else(not_found)?;
    Ok(ApiResponse::json(200, &ProfileDetailJson::of(&person)))
}

/// `GET /events` (Eras B and C): one person's events, most recent first, in cursor pages.
/// A cursor is the `(time, log position)` of an event, which never changes, so pages stay
/// exact while events arrive.
pub fn list_events(
    state: &WhopState,
    request: &ApiRequest,
    era: Era,
) -> Result<ApiResponse, WhopError> {
    let account_id = account_of(state, request)?;
    let identifier = param(request, "identifier")
        .or_else(|| param(request, "person_id"))
        .ok_or_else(|| WhopError::missing_param("identifier", "`identifier` is required."))?;
    let first = integer_param(request, "first")?.unwrap_or(cursor::MAX_FIRST as i64);
    if !(1..=cursor::MAX_FIRST as i64).contains(&first) {
        return Err(WhopError::invalid_param(
            "first",
            format!(
                "`first` must be between 1 and {}, got {first}.",
                cursor::MAX_FIRST
            ),
        ));
    }
    let first = first as usize;
    let from = time_param(request, "from", era.times())?.unwrap_or(i64::MIN);
    let to = time_param(request, "to", era.times())?.unwrap_or(i64::MAX);
    let after = param(request, "after")
        .map(|raw| event_key("after", raw))
        .transpose()?;
    let before = param(request, "before")
        .map(|raw| event_key("before", raw))
        .transpose()?;
    let not_found = || WhopError::not_found(format!("Person `{identifier}` not found."));
    let account = state.account(&account_id).ok_or_else(not_found)?;
    let person = account
        .find_profile(identifier)
        .map(|index| account.person(index))
        .ok_or_else(not_found)?;
    let newest_first = person.timeline.events_between(from, to).rev();
    let (keys, has_previous_page, has_next_page): (Vec<(i64, u32)>, bool, bool) =
        match (after, before) {
            (Some(_), Some(_)) => {
                return Err(WhopError::invalid_param(
                    "before",
                    "Pass either `after` or `before`, not both.",
                ));
            }
            (Some(after), None) => {
                let mut rest = newest_first.filter(|key| *key < after).peekable();
                let page: Vec<_> = rest.by_ref().take(first).collect();
                let more = rest.peek().is_some();
                (page, true, more)
            }
            (None, Some(before)) => {
                let newer: Vec<_> = person
                    .timeline
                    .events_between(from, to)
                    .filter(|key| *key > before)
                    .take(first + 1)
                    .collect();
                let more = newer.len() > first;
                let page: Vec<_> = newer.into_iter().take(first).rev().collect();
                (page, more, true)
            }
            (None, None) => {
                let mut rest = newest_first.peekable();
                let page: Vec<_> = rest.by_ref().take(first).collect();
                let more = rest.peek().is_some();
                (page, false, more)
            }
        };
    let cursor = |key: &(i64, u32)| URL_SAFE_NO_PAD.encode(format!("{}:{}", key.0, key.1));
    let page_info = PageInfo {
        end_cursor: keys.last().map(cursor),
        start_cursor: keys.first().map(cursor),
        has_next_page,
        has_previous_page,
    };
    let tail = PageTail {
        page_info,
        total_count: None,
    };
    Ok(cursor_page(
        &keys,
        |&(_, at), out| {
            write_json(
                out,
                &EventJson::of(account.event(at), &person.id, era.times()),
            );
        },
        &tail,
    ))
}

/// The `(time, log position)` an events cursor names.
fn event_key(name: &str, raw: &str) -> Result<(i64, u32), WhopError> {
    let invalid = || WhopError::invalid_param(name, format!("`{name}` is not a valid cursor."));
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (time, at) = text.split_once(':').ok_or_else(invalid)?;
    Ok((
        time.parse().map_err(|_| invalid())?,
        at.parse().map_err(|_| invalid())?,
    ))
}
