//! API v2 routes (`/api/v2`): persons with cursor pagination, include_fields and
//! custom_fields, followers, and the deal and activity operations that drive the counters.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::api::{self, CONTACTS_FULL, CONTACTS_READ, Context, SEARCH_READ};
use super::company::{Company, PersonPatch};
use super::error::PipedriveError;
use super::model::{Id, Person};
use super::params::{self, Body, Cursor, MAX_LIMIT, Version};
use super::render_v1::{Cursored, DataBody};
use super::render_v2::{
    ActivityJson, CursorBody, DealJson, FollowerChangeJson, FollowerJson, INCLUDE_FIELDS,
    PersonJson, PersonShape, SearchData, UserIdJson,
};
use super::{picture, records, time};
use crate::http::ApiResponse;

type Answer = Result<ApiResponse, PipedriveError>;

/// Most keys `custom_fields` may name.
const MAX_CUSTOM_FIELDS: usize = 15;

/// Dispatches a v2 request.
pub fn route(cx: &Context<'_>, segments: &[&str]) -> Answer {
    let renderings = records::Renderings {
        deal: deal_answer,
        activity: activity_answer,
    };
    if let Some(answer) = records::route(cx, segments, Version::V2, &renderings) {
        return answer;
    }
    match (cx.request.method.as_str(), segments) {
        ("GET", ["persons"]) => list_persons(cx),
        ("POST", ["persons"]) => add_person(cx),
        ("GET", ["persons", "search"]) => search(cx),
        ("GET", ["persons", id]) => get_person(cx, params::path_id(id, "Person")?),
        ("PATCH", ["persons", id]) => update_person(cx, params::path_id(id, "Person")?),
        ("DELETE", ["persons", id]) => api::delete_person(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "picture"]) => picture::read(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "followers"]) => followers(cx, params::path_id(id, "Person")?),
        ("POST", ["persons", id, "followers"]) => add_follower(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "followers", "changelog"]) => {
            follower_changelog(cx, params::path_id(id, "Person")?)
        }
        ("DELETE", ["persons", id, "followers", user]) => delete_follower(
            cx,
            params::path_id(id, "Person")?,
            params::path_id(user, "Follower")?,
        ),
        _ => Err(api::route_not_found(cx.request)),
    }
}

/// `include_fields`, `custom_fields`, `include_option_labels`, `include_labels`.
fn shape(cx: &Context<'_>, company: &Company) -> Result<PersonShape, PipedriveError> {
    let include: BTreeSet<String> = params::param(cx.request, "include_fields")
        .map(|raw| {
            raw.split(',')
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = include
        .iter()
        .find(|name| !INCLUDE_FIELDS.contains(&name.as_str()))
    {
        return Err(PipedriveError::validation(format!(
            "include_fields: Unknown field {unknown}"
        )));
    }
    let custom_fields: Option<BTreeSet<String>> =
        params::param(cx.request, "custom_fields").map(|raw| {
            raw.split(',')
                .map(|key| key.trim().to_owned())
                .filter(|key| !key.is_empty())
                .collect()
        });
    if let Some(keys) = &custom_fields {
        if keys.len() > MAX_CUSTOM_FIELDS {
            return Err(PipedriveError::validation(format!(
                "custom_fields: At most {MAX_CUSTOM_FIELDS} keys"
            )));
        }
        if let Some(unknown) = keys.iter().find(|key| company.field(key).is_none()) {
            return Err(PipedriveError::validation(format!(
                "custom_fields: Unknown custom field {unknown}"
            )));
        }
    }
    Ok(PersonShape {
        include,
        custom_fields,
        option_labels: params::bool_param(cx.request, "include_option_labels", Version::V2)?
            .unwrap_or(false),
        labels: params::bool_param(cx.request, "include_labels", Version::V2)?.unwrap_or(false),
    })
}

/// The sort of `GET /persons`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Id,
    UpdateTime,
    AddTime,
}

impl SortBy {
    fn name(self) -> &'static str {
        match self {
            SortBy::Id => "id",
            SortBy::UpdateTime => "update_time",
            SortBy::AddTime => "add_time",
        }
    }

    fn key(self, person: &Person) -> (i64, Id) {
        let value = match self {
            SortBy::Id => i64::try_from(person.id).unwrap_or(i64::MAX),
            SortBy::UpdateTime => person.update_time,
            SortBy::AddTime => person.add_time,
        };
        (value, person.id)
    }
}

fn list_persons(cx: &Context<'_>) -> Answer {
    list_persons_with(cx, true)
}

/// `GET /persons`; `fast` lets the default order (id ascending, no `ids`) walk the
/// persons map lazily instead of collecting, sorting and deduplicating every person (the
/// answer is the same either way).
fn list_persons_with(cx: &Context<'_>, fast: bool) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let shape = shape(cx, &company)?;
    let request = cx.request;
    let sort = match params::param(request, "sort_by") {
        None | Some("id") => SortBy::Id,
        Some("update_time") => SortBy::UpdateTime,
        Some("add_time") => SortBy::AddTime,
        Some(_) => {
            return Err(PipedriveError::validation(
                "sort_by: Expected id, update_time or add_time",
            ));
        }
    };
    let descending = match params::param(request, "sort_direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(PipedriveError::validation(
                "sort_direction: Expected asc or desc",
            ));
        }
    };
    let limit = params::limit(request, Version::V2, MAX_LIMIT)?;
    let cursor = params::cursor(request, Version::V2)?;
    let ids = params::param(request, "ids")
        .map(|raw| params::id_list(raw, "ids", Version::V2))
        .transpose()?;
    let owner = params::int_param(request, "owner_id", Version::V2)?;
    let org = params::int_param(request, "org_id", Version::V2)?;
    let deal = params::int_param(request, "deal_id", Version::V2)?;
    let bound = |name: &str| {
        params::param(request, name)
            .map(|raw| {
                time::parse_v2(raw).ok_or_else(|| {
                    PipedriveError::validation(format!("{name}: Expected an RFC 3339 date-time"))
                })
            })
            .transpose()
    };
    let (since, until) = (bound("updated_since")?, bound("updated_until")?);
    let deal_persons = deal.map(|deal| {
        company
            .deals
            .get(&deal)
            .map(super::model::Deal::linked_persons)
            .unwrap_or_default()
    });
    let keep = |person: &&Person| {
        person.is_active()
            && company.can_see(person, &cx.caller.user)
            && owner.is_none_or(|owner| person.owner_id == owner)
            && org.is_none_or(|org| person.org_id == Some(org))
            && deal_persons
                .as_ref()
                .is_none_or(|linked| linked.contains(&person.id))
            && since.is_none_or(|since| person.update_time >= since)
            && until.is_none_or(|until| person.update_time < until)
    };
    let at = cursor
        .as_ref()
        .map(|cursor| (cursor.field_value, cursor.id));
    let mut page: Vec<&Person> = if fast && ids.is_none() && sort == SortBy::Id && !descending {
        // The map holds each id once, in id order, and the id sort key is strictly
        // increasing in the id: sorting and deduplicating change nothing, and the persons
        // before the cursor are a prefix. Ids below a non-negative cursor value sort
        // before it, so the walk may start there.
        let from = at.map_or(0, |(value, _)| u64::try_from(value).unwrap_or(0));
        company
            .persons
            .range(from..)
            .map(|(_, person)| person)
            .filter(&keep)
            .skip_while(|person| at.is_some_and(|at| sort.key(person) < at))
            .take(limit.saturating_add(1))
            .collect()
    } else {
        let candidates: Box<dyn Iterator<Item = &Person>> = match &ids {
            Some(ids) => Box::new(
                ids.iter()
                    .take(100)
                    .filter_map(|id| company.persons.get(id)),
            ),
            None => Box::new(company.persons.values()),
        };
        let mut persons: Vec<&Person> = candidates.filter(&keep).collect();
        let order = |a: &&Person, b: &&Person| -> Ordering {
            let order = sort.key(a).cmp(&sort.key(b));
            if descending { order.reverse() } else { order }
        };
        persons.sort_by(order);
        persons.dedup_by_key(|person| person.id);
        let start = match at {
            Some(at) => persons.partition_point(|person| {
                let key = sort.key(person);
                if descending { key > at } else { key < at }
            }),
            None => 0,
        };
        persons
            .into_iter()
            .skip(start)
            .take(limit.saturating_add(1))
            .collect()
    };
    let next = (page.len() > limit)
        .then(|| page.pop())
        .flatten()
        .map(|person| {
            Cursor {
                field: sort.name().into(),
                field_value: sort.key(person).0,
                sort_direction: if descending { "desc" } else { "asc" }.into(),
                id: person.id,
            }
            .encode()
        });
    let body = CursorBody {
        success: true,
        data: page
            .iter()
            .map(|person| PersonJson::of(&company, person, &shape))
            .collect::<Vec<_>>(),
        additional_data: Cursored { next_cursor: next },
    };
    Ok(ApiResponse::json(200, &body))
}

fn search(cx: &Context<'_>) -> Answer {
    cx.caller.require(SEARCH_READ)?;
    let company = cx.read()?;
    let limit = params::limit(cx.request, Version::V2, MAX_LIMIT)?;
    let skip = params::cursor(cx.request, Version::V2)?.map_or(0, |cursor| {
        usize::try_from(cursor.field_value).unwrap_or(usize::MAX)
    });
    let hits = api::search_hits(&company, &cx.caller, cx.request, Version::V2)?;
    let total = hits.len();
    let items: Vec<_> = hits.into_iter().skip(skip).take(limit).collect();
    let end = skip.saturating_add(items.len());
    let next = (end < total).then(|| {
        Cursor {
            field: "offset".into(),
            field_value: i64::try_from(end).unwrap_or(i64::MAX),
            sort_direction: "desc".into(),
            id: 0,
        }
        .encode()
    });
    let body = CursorBody {
        success: true,
        data: SearchData { items },
        additional_data: Cursored { next_cursor: next },
    };
    Ok(ApiResponse::json(200, &body))
}

fn person_answer(cx: &Context<'_>, company: &Company, person: &Person) -> Answer {
    let shape = shape(cx, company)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(PersonJson::of(company, person, &shape)),
    ))
}

fn get_person(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let person = api::readable_person(&company, &cx.caller, id)?;
    person_answer(cx, &company, person)
}

fn person_patch(company: &Company, body: &Body) -> Result<PersonPatch, PipedriveError> {
    Ok(PersonPatch {
        name: body.string("name")?,
        owner_id: body.id("owner_id")?.flatten(),
        org_id: body.id("org_id")?,
        emails: body.entries("emails")?,
        phones: body.entries("phones")?,
        visible_to: body.visibility()?,
        label_ids: body.ids("label_ids")?,
        custom: api::custom_v2(company, body)?,
        add_time: body
            .string("add_time")?
            .map(|raw| {
                time::parse_v2(&raw).ok_or_else(|| {
                    PipedriveError::validation("add_time: Expected an RFC 3339 date-time")
                })
            })
            .transpose()?,
    })
}

fn add_person(cx: &Context<'_>) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V2)?;
    let mut company = cx.write()?;
    let patch = person_patch(&company, &body)?;
    let id = company.create_person(patch, cx.caller.user.id, cx.now())?;
    let person = company.active_person(id)?;
    person_answer(cx, &company, person)
}

fn update_person(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V2)?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let patch = PersonPatch {
        add_time: None,
        ..person_patch(&company, &body)?
    };
    company.update_person(id, patch, cx.caller.user.id, cx.now())?;
    let person = company.active_person(id)?;
    person_answer(cx, &company, person)
}

/// One cursor page of `items` ordered by a unique `key`.
fn cursor_page<T, K: Fn(&T) -> i64>(
    items: Vec<T>,
    cx: &Context<'_>,
    key: K,
) -> Result<(Vec<T>, Option<String>), PipedriveError> {
    let limit = params::limit(cx.request, Version::V2, MAX_LIMIT)?;
    let after = params::cursor(cx.request, Version::V2)?.map(|cursor| cursor.field_value);
    let mut page: Vec<T> = items
        .into_iter()
        .filter(|item| after.is_none_or(|after| key(item) >= after))
        .take(limit.saturating_add(1))
        .collect();
    let next = (page.len() > limit)
        .then(|| page.pop())
        .flatten()
        .map(|item| {
            let value = key(&item);
            Cursor {
                field: "id".into(),
                field_value: value,
                sort_direction: "asc".into(),
                id: u64::try_from(value).unwrap_or_default(),
            }
            .encode()
        });
    Ok((page, next))
}

fn followers(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let mut all: Vec<_> = company
        .followers
        .get(&id)
        .into_iter()
        .flat_map(|f| f.values().copied())
        .collect();
    all.sort_by_key(|follower| follower.id);
    let (page, next) = cursor_page(all, cx, |follower| {
        i64::try_from(follower.id).unwrap_or(i64::MAX)
    })?;
    let body = CursorBody {
        success: true,
        data: page.iter().map(FollowerJson::of).collect::<Vec<_>>(),
        additional_data: Cursored { next_cursor: next },
    };
    Ok(ApiResponse::json(200, &body))
}

fn follower_changelog(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let changes: Vec<(usize, _)> = company
        .follower_changes
        .get(&id)
        .into_iter()
        .flatten()
        .copied()
        .enumerate()
        .collect();
    let (page, next) = cursor_page(changes, cx, |(at, _)| {
        i64::try_from(*at).unwrap_or(i64::MAX)
    })?;
    let data: Vec<FollowerChangeJson> = page
        .iter()
        .map(|(_, change)| FollowerChangeJson::of(change))
        .collect();
    Ok(ApiResponse::json(
        200,
        &CursorBody {
            success: true,
            data,
            additional_data: Cursored { next_cursor: next },
        },
    ))
}

fn add_follower(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V2)?;
    let user = body
        .id("user_id")?
        .flatten()
        .ok_or_else(|| PipedriveError::validation("user_id: Required"))?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let follower = company.follow(id, user, cx.caller.user.id, cx.now())?;
    Ok(ApiResponse::json(
        201,
        &DataBody::new(FollowerJson::of(&follower)),
    ))
}

fn delete_follower(cx: &Context<'_>, id: Id, user: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    company.unfollow(id, user, cx.caller.user.id, cx.now())?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(UserIdJson { user_id: user }),
    ))
}

fn deal_answer(company: &Company, id: Id, status: u16) -> Answer {
    let deal = company
        .deals
        .get(&id)
        .ok_or_else(|| PipedriveError::not_found("Deal not found"))?;
    Ok(ApiResponse::json(
        status,
        &DataBody::new(DealJson::of(deal)),
    ))
}

fn activity_answer(company: &Company, id: Id, status: u16) -> Answer {
    let activity = company
        .activities
        .get(&id)
        .ok_or_else(|| PipedriveError::not_found("Activity not found"))?;
    Ok(ApiResponse::json(
        status,
        &DataBody::new(ActivityJson::of(activity)),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::RwLock;

    use serde_json::Value;

    use super::super::api::{Caller, Context};
    use super::super::company::PersonPatch;
    use super::super::keys::Credential;
    use super::super::model::Id;
    use super::super::params::Cursor;
    use super::super::state::PipedriveState;
    use super::super::v1;
    use super::list_persons_with;
    use crate::clock::Clock;
    use crate::http::ApiRequest;

    const COMPANY: Id = 1;
    const START: i64 = 1_767_225_600;

    /// A company with gaps in the person ids, deleted persons, and private persons that
    /// only their owner, an admin or a follower sees; answers the state and the users.
    fn company() -> (RwLock<PipedriveState>, Vec<Id>) {
        let mut state = PipedriveState::default();
        let users: Vec<Id> = [("Admin", true), ("Seller", false), ("Other", false)]
            .iter()
            .map(|(name, admin)| state.add_user(COMPANY, name, &format!("{name}@x.test"), *admin))
            .collect();
        let company = state.company_mut(COMPANY).unwrap();
        let mut ids = Vec::new();
        for at in 0..60_u64 {
            let owner = users[usize::try_from(at % 3).unwrap()];
            let patch = PersonPatch {
                name: Some(format!(
                    "{} Person {at}",
                    ["Ann", "Bob", "Cy"][usize::try_from(at % 3).unwrap()]
                )),
                owner_id: Some(owner),
                visible_to: Some(if at % 4 == 1 { 1 } else { 3 }),
                ..PersonPatch::default()
            };
            let wanted = 3 * at + 2 + at % 2;
            let now = START + i64::try_from(at * 7 % 11).unwrap();
            ids.push(company.insert_person(wanted, patch, owner, now).unwrap());
        }
        let deleted: Vec<Id> = ids.iter().copied().filter(|id| id % 5 == 0).collect();
        assert!(!company.delete_persons(&deleted, START + 20).is_empty());
        for id in ids.iter().copied().filter(|id| id % 7 == 3) {
            if company.active_person(id).is_ok() {
                company.follow(id, users[2], users[0], START + 30).unwrap();
            }
        }
        (RwLock::new(state), users)
    }

    /// The status and body of `list` for `query`, as `user`.
    fn answer(
        state: &RwLock<PipedriveState>,
        user: Id,
        query: &str,
        list: fn(&Context<'_>, bool) -> Result<crate::http::ApiResponse, super::PipedriveError>,
        fast: bool,
    ) -> (u16, Vec<u8>) {
        let clock = Clock::frozen_at(START + 100);
        let request = ApiRequest::new("GET", &format!("/x?{query}"));
        let user = state
            .read()
            .unwrap()
            .company(COMPANY)
            .unwrap()
            .user(user)
            .unwrap()
            .clone();
        let cx = Context {
            state,
            clock: &clock,
            request: &request,
            caller: Caller {
                company: COMPANY,
                credential: Credential {
                    company: COMPANY,
                    user: user.id,
                    scopes: None,
                },
                user,
            },
        };
        let response = match list(&cx, fast) {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        (response.status, response.body)
    }

    /// The ids `user` may list, in id order, with `owner` if given.
    fn visible(state: &RwLock<PipedriveState>, user: Id, owner: Option<Id>) -> Vec<Id> {
        let state = state.read().unwrap();
        let company = state.company(COMPANY).unwrap();
        let user = company.user(user).unwrap();
        company
            .persons
            .values()
            .filter(|person| person.is_active() && company.can_see(person, user))
            .filter(|person| owner.is_none_or(|owner| person.owner_id == owner))
            .map(|person| person.id)
            .collect()
    }

    fn cursor(field: &str, value: i64, id: Id) -> String {
        Cursor {
            field: field.into(),
            field_value: value,
            sort_direction: "asc".into(),
            id,
        }
        .encode()
    }

    #[test]
    fn v2_fast_pages_match_the_general_path() {
        let (state, users) = company();
        let same = |user: Id, query: &str| -> Value {
            let fast = answer(&state, user, query, list_persons_with, true);
            let general = answer(&state, user, query, list_persons_with, false);
            assert_eq!(
                fast,
                general,
                "{query}: {}",
                String::from_utf8_lossy(&fast.1)
            );
            serde_json::from_slice(&fast.1).unwrap()
        };
        for &user in &users {
            for owner in [None, Some(users[1])] {
                let expected = visible(&state, user, owner);
                assert!(expected.len() > 10);
                for limit in [1, 2, 3, 7, 20, 100, 500] {
                    let mut seen = Vec::new();
                    let mut next: Option<String> = None;
                    loop {
                        let mut query = format!("limit={limit}");
                        if let Some(owner) = owner {
                            query.push_str(&format!("&owner_id={owner}"));
                        }
                        if let Some(cursor) = &next {
                            query.push_str(&format!("&cursor={cursor}"));
                        }
                        let body = same(user, &query);
                        let data = body["data"].as_array().unwrap();
                        assert!(data.len() <= limit);
                        seen.extend(data.iter().map(|person| person["id"].as_u64().unwrap()));
                        match body["additional_data"]["next_cursor"].as_str() {
                            Some(cursor) => next = Some(cursor.to_owned()),
                            None => break,
                        }
                    }
                    assert_eq!(
                        seen, expected,
                        "user {user}, owner {owner:?}, limit {limit}"
                    );
                    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), expected.len());
                }
            }
            let last = i64::try_from(*visible(&state, users[0], None).last().unwrap()).unwrap();
            let values = (-3..=last + 3).chain([i64::MIN, i64::MAX - 1, i64::MAX]);
            for value in values {
                let id = u64::try_from(value).unwrap_or(0);
                for id in [0, id.saturating_sub(1), id, id.saturating_add(1), u64::MAX] {
                    for field in ["id", "update_time"] {
                        for limit in [1, 4] {
                            same(
                                user,
                                &format!("limit={limit}&cursor={}", cursor(field, value, id)),
                            );
                        }
                    }
                }
            }
            for query in [
                "",
                "limit=0",
                "limit=501",
                "cursor=zz",
                "sort_by=id&sort_direction=asc&limit=5",
                "sort_by=id&sort_direction=desc&limit=5",
                "sort_by=update_time&limit=5",
                "ids=9,3,9,5&limit=2",
                "updated_since=2026-01-01T00:00:05Z&limit=3",
                "include_fields=nope",
            ] {
                same(user, query);
            }
        }
    }

    #[test]
    fn v1_fast_pages_match_the_general_path() {
        let (state, users) = company();
        let same = |user: Id, query: &str| -> Value {
            let fast = answer(&state, user, query, v1::list_persons_with, true);
            let general = answer(&state, user, query, v1::list_persons_with, false);
            assert_eq!(
                fast,
                general,
                "{query}: {}",
                String::from_utf8_lossy(&fast.1)
            );
            serde_json::from_slice(&fast.1).unwrap()
        };
        for &user in &users {
            for owner in [None, Some(users[1])] {
                let expected = visible(&state, user, owner);
                for limit in [1, 2, 3, 7, 100, 500, 900] {
                    let mut seen = Vec::new();
                    let mut start = 0;
                    loop {
                        let mut query = format!("limit={limit}&start={start}");
                        if let Some(owner) = owner {
                            query.push_str(&format!("&user_id={owner}"));
                        }
                        let body = same(user, &query);
                        let sorted = answer(
                            &state,
                            user,
                            &format!("{query}&sort=id ASC"),
                            v1::list_persons_with,
                            true,
                        );
                        assert_eq!(serde_json::from_slice::<Value>(&sorted.1).unwrap(), body);
                        let data = body["data"].as_array().cloned().unwrap_or_default();
                        seen.extend(data.iter().map(|person| person["id"].as_u64().unwrap()));
                        let pagination = &body["additional_data"]["pagination"];
                        match pagination["next_start"].as_u64() {
                            Some(next) => start = next,
                            None => break,
                        }
                    }
                    assert_eq!(
                        seen, expected,
                        "user {user}, owner {owner:?}, limit {limit}"
                    );
                }
            }
            for query in [
                "",
                "start=1000",
                "limit=0",
                "start=x",
                "first_char=b&limit=3",
                "first_char=b&limit=3&start=2",
                "sort=name DESC&limit=4",
                "sort=bogus",
            ] {
                same(user, query);
            }
        }
    }
}
