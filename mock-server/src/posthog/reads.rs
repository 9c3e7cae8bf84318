//! The read actions of the persons API.

use serde::Serialize;
use uuid::Uuid;

use super::activity::{ActivityEntry, ActivityJson};
use super::api::{Call, PersonId, path_person};
use super::error::{PostHogError, point_in_time_error};
use super::filter::Filters;
use super::links;
use super::negotiate::{CSV_CONTENT_TYPE, Format};
use super::person::Person;
use super::query::{self, ListQuery};
use super::render::{
    ActivityPageJson, CohortJson, CohortsJson, DeletionJson, DeletionPageJson, ListTailJson,
    OrderedMap, PersonJson, PersonsByKeyJson, SerializedPersonJson, ValueCountJson, ValuesJson,
    list_body, persons_csv,
};
use super::search::Search;
use super::tenant::Project;
use super::time;
use super::timeline::{self, TimelineFilter};
use crate::http::ApiResponse;

/// Default and largest list page.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 50_000;
/// Most persons a CSV export holds.
const CSV_EXPORT_LIMIT: usize = 300_000;
/// Most keys the batch endpoints read, and distinct ids each of their persons shows.
const BATCH_MAX_KEYS: usize = 200;
const BATCH_MAX_DISTINCT_IDS: usize = 10;
/// Default activity page.
const DEFAULT_ACTIVITY_LIMIT: usize = 10;

type Result<T> = std::result::Result<T, PostHogError>;

/// `GET /persons/` (and `persons.csv`): JSON pages, or CSV of every match in `format`.
pub fn list(project: &Project, call: &Call<'_>, format: Format) -> Result<ApiResponse> {
    let filters = match call.param("properties") {
        Some(json) => Filters::parse(json, call.now)?,
        None => Filters::default(),
    };
    let query = ListQuery {
        distinct_id: call.param("distinct_id").map(str::to_owned),
        email: call.param("email").map(str::to_owned),
        search: call
            .param("search")
            .and_then(|text| Search::new(text.trim())),
        filters,
        limit: call.positive_param("limit", DEFAULT_LIMIT).min(MAX_LIMIT),
        offset: call.offset_param(),
        count_total: call.has_param("include_total"),
    };
    if format == Format::Csv {
        let persons = query::export(project, &query, CSV_EXPORT_LIMIT);
        return Ok(ApiResponse::new(
            200,
            CSV_CONTENT_TYPE,
            persons_csv(&persons, project.display_name_properties()),
        ));
    }
    let page = query::list(project, &query);
    let base = call.base_url();
    let (next, previous) = links::list_links(
        &call.url(&base),
        query.offset,
        query.limit,
        page.persons.len(),
    );
    let tail = ListTailJson {
        next,
        previous,
        count: page.total,
    };
    let body = list_body(
        &page.persons,
        |index, person, out| SerializedPersonJson::write_kept(project, index, person, out),
        &tail,
    );
    Ok(ApiResponse::new(200, "application/json", body))
}

/// `GET /persons/{id}/`.
pub fn retrieve(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let person = live(project, path_person(project, call)?)?;
    Ok(ApiResponse::json(
        200,
        &PersonJson::of(person, project.display_name_properties()),
    ))
}

fn live(project: &Project, index: usize) -> Result<&Person> {
    project.person(index).ok_or_else(PostHogError::not_found)
}

/// `GET /persons/activity/`: newest first; reads only the page's entries.
pub fn all_activity(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let entries = project.activity();
    activity_page(entries.len(), call, |start, limit| {
        entries.iter().rev().skip(start).take(limit).collect()
    })
}

/// `GET /persons/{id}/activity/`: the live person's entries (by numeric id), newest first.
pub fn person_activity(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let person = live(project, path_person(project, call)?)?;
    let entries = project.activity_of(person.pk);
    activity_page(entries.len(), call, |start, limit| {
        entries
            .iter()
            .rev()
            .skip(start)
            .take(limit)
            .copied()
            .collect()
    })
}

/// One page of `total` entries, `read(start, limit)` giving the page's (newest first);
/// `limit` (10) and `page` (1) are read with Python's `int()`, so a non-integer is a 500 as in
/// PostHog.
fn activity_page<'a>(
    total: usize,
    call: &Call<'_>,
    read: impl FnOnce(usize, usize) -> Vec<&'a ActivityEntry>,
) -> Result<ApiResponse> {
    let limit = call.python_int("limit", DEFAULT_ACTIVITY_LIMIT)?;
    let page = call.python_int("page", 1)?;
    let start = (page - 1).saturating_mul(limit);
    let results: Vec<ActivityJson<'_>> = read(start, limit)
        .into_iter()
        .map(ActivityJson::of)
        .collect();
    let base = call.base_url();
    let url = call.url(&base);
    let body = ActivityPageJson {
        next: (start.saturating_add(limit) < total)
            .then(|| url.posthog(&[("page", page.saturating_add(1)), ("limit", limit)])),
        previous: (page > 1).then(|| url.posthog(&[("page", page - 1), ("limit", limit)])),
        total_count: total,
        results,
    };
    Ok(ApiResponse::json(200, &body))
}

/// `GET /persons/cohorts/?person_id=`: a missing `person_id` is a KeyError in PostHog (500).
pub fn cohorts(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let raw = call
        .request
        .query_param("person_id")
        .ok_or_else(PostHogError::server_error)?;
    let index = PersonId::parse(raw)
        .ok()
        .and_then(|id| id.find(project))
        .ok_or_else(PostHogError::not_found)?;
    let results = project
        .cohorts()
        .iter()
        .filter(|cohort| cohort.members.contains(&index))
        .map(|cohort| CohortJson {
            id: cohort.id,
            name: &cohort.name,
            count: cohort.members.len(),
        })
        .collect();
    Ok(ApiResponse::json(200, &CohortsJson { results }))
}

/// `GET /persons/values/?key=&value=`: values by frequency, from the value index.
pub fn values(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let needle = call.param("value").map(str::to_lowercase);
    let mut results: Vec<ValueCountJson<'_>> = call
        .param("key")
        .filter(|key| !key.starts_with("$virt"))
        .and_then(|key| project.values_of(key))
        .map(|buckets| {
            buckets
                .values()
                .filter(|bucket| {
                    needle.as_ref().is_none_or(|needle| {
                        bucket
                            .value()
                            .text()
                            .to_lowercase()
                            .contains(needle.as_str())
                    })
                })
                .map(|bucket| ValueCountJson {
                    name: bucket.value(),
                    count: bucket.count(),
                })
                .collect()
        })
        .unwrap_or_default();
    results.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.name.text().cmp(&b.name.text()))
    });
    let body = ValuesJson {
        results,
        refreshing: false,
    };
    Ok(ApiResponse::json(200, &body).with_header("cache-control", "max-age=10"))
}

/// `POST /persons/batch_by_distinct_ids/`: keyed by each requested distinct id that resolves
/// (a repeated id once, as a Python dict keeps it).
pub fn batch_by_distinct_ids(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let body = call.body()?;
    let found = requested(&body, "distinct_ids")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .filter_map(|id| Some((id.to_owned(), project.by_distinct_id(id)?)));
    Ok(persons_by_key(project, found))
}

/// `POST /persons/batch_by_uuids/`: any malformed UUID is a 400; keyed by the canonical UUID.
pub fn batch_by_uuids(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let body = call.body()?;
    let uuids: Vec<Uuid> = requested(&body, "uuids")
        .iter()
        .map(|raw| {
            raw.as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .ok_or_else(|| PostHogError::invalid("One or more UUIDs are invalid."))
        })
        .collect::<Result<_>>()?;
    let found = uuids
        .iter()
        .filter_map(|uuid| Some((uuid.to_string(), project.by_uuid(uuid)?)));
    Ok(persons_by_key(project, found))
}

/// `{"results": {key: MinimalPerson}}` of the batch endpoints, in request order, each key once.
fn persons_by_key(project: &Project, found: impl Iterator<Item = (String, usize)>) -> ApiResponse {
    let mut results = OrderedMap::default();
    for (key, index) in found {
        if results.0.iter().any(|(seen, _)| *seen == key) {
            continue;
        }
        if let Some(person) = project.person(index) {
            let json = PersonJson::with_properties(
                person,
                project.display_name_properties(),
                &person.properties,
                BATCH_MAX_DISTINCT_IDS,
            );
            results.0.push((key, json));
        }
    }
    ApiResponse::json(200, &PersonsByKeyJson { results })
}

/// The first [`BATCH_MAX_KEYS`] entries of list `key` of `body` (none when not a list).
fn requested<'a>(
    body: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> &'a [serde_json::Value] {
    let items = body
        .get(key)
        .and_then(serde_json::Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    items.get(..BATCH_MAX_KEYS).unwrap_or(items)
}

/// properties_at_time's body: the Person plus `point_in_time_metadata`.
#[derive(Serialize)]
struct PersonAtTimeJson<'a> {
    #[serde(flatten)]
    person: PersonJson<'a>,
    point_in_time_metadata: PointInTimeMetadata<'a>,
}

#[derive(Serialize)]
struct PointInTimeMetadata<'a> {
    queried_timestamp: String,
    include_set_once: bool,
    distinct_id_used: Option<&'a str>,
    person_id_used: Option<&'a str>,
    query_mode: &'static str,
    distinct_ids_queried: Vec<&'a str>,
    distinct_ids_count: usize,
}

/// `GET /persons/properties_at_time/`: errors are `{"error": …}`.
pub fn properties_at_time(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let distinct_id = call.param("distinct_id");
    let person_id = call.param("person_id");
    let (mode, wanted) = match (distinct_id, person_id) {
        (Some(_), Some(_)) => {
            return Ok(point_in_time_error(
                400,
                "Cannot provide both distinct_id and person_id - choose one",
            ));
        }
        (None, None) => {
            return Ok(point_in_time_error(
                400,
                "Must provide either distinct_id or person_id parameter",
            ));
        }
        (Some(distinct_id), None) => ("distinct_id", distinct_id),
        (None, Some(person_id)) => ("person_id", person_id),
    };
    let Some(raw_timestamp) = call.param("timestamp") else {
        return Ok(point_in_time_error(
            400,
            "timestamp parameter is required (ISO format: 2023-06-15T14:30:00Z)",
        ));
    };
    let Some(at) = time::parse(raw_timestamp) else {
        return Ok(point_in_time_error(
            400,
            "Invalid timestamp format. Use ISO format like 2023-06-15T14:30:00Z",
        ));
    };
    let index = if mode == "distinct_id" {
        project.by_distinct_id(wanted)
    } else {
        Uuid::parse_str(wanted)
            .ok()
            .and_then(|uuid| project.by_uuid(&uuid))
    };
    let Some(person) = index.and_then(|index| project.person(index)) else {
        return Ok(point_in_time_error(
            404,
            &format!("Person with {mode} '{wanted}' not found"),
        ));
    };
    let include_set_once = call
        .param("include_set_once")
        .is_some_and(|flag| flag.eq_ignore_ascii_case("true"));
    let properties = timeline::properties_at(project, person, at, include_set_once);
    let distinct_ids = person.sorted_distinct_ids();
    let body = PersonAtTimeJson {
        person: PersonJson::with_properties(
            person,
            project.display_name_properties(),
            &properties,
            usize::MAX,
        ),
        point_in_time_metadata: PointInTimeMetadata {
            queried_timestamp: time::render_python(at),
            include_set_once,
            distinct_id_used: distinct_id,
            person_id_used: person_id,
            query_mode: mode,
            distinct_ids_count: distinct_ids.len(),
            distinct_ids_queried: distinct_ids,
        },
    };
    Ok(ApiResponse::json(200, &body))
}

/// `GET /persons/{id}/properties_timeline/` (see [`TimelineFilter`]).
pub fn properties_timeline(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let person = live(project, path_person(project, call)?)?;
    let filter = TimelineFilter::parse(
        call.param("properties"),
        call.param("events"),
        call.param("actions"),
        call.now,
    )?;
    let date = |name: &str| {
        call.param(name)
            .map(|raw| {
                time::parse(raw)
                    .ok_or_else(|| PostHogError::invalid_attr(name, format!("Invalid date: {raw}")))
            })
            .transpose()
    };
    let from = date("date_from")?;
    let to = date("date_to")?.unwrap_or(call.now);
    Ok(ApiResponse::json(
        200,
        &timeline::timeline(project, person, filter, from, to),
    ))
}

/// `GET /persons/deletion_status/`: the project's queued event deletions, newest first.
pub fn deletion_status(project: &Project, call: &Call<'_>) -> Result<ApiResponse> {
    let status = call.param("status").unwrap_or("all");
    if !["pending", "completed", "all"].contains(&status) {
        return Err(PostHogError::invalid_code(
            "status",
            "invalid_choice",
            format!("\"{status}\" is not a valid choice."),
        ));
    }
    let only = call
        .param("person_uuid")
        .map(|raw| {
            Uuid::parse_str(raw)
                .map_err(|_| PostHogError::invalid_attr("person_uuid", "Must be a valid UUID."))
        })
        .transpose()?;
    let matching: Vec<_> = project
        .deletions()
        .iter()
        .rev()
        .filter(|deletion| {
            let wanted = match status {
                "pending" => deletion.verified_at.is_none(),
                "completed" => deletion.verified_at.is_some(),
                _ => true,
            };
            wanted && only.is_none_or(|uuid| deletion.person_uuid == uuid)
        })
        .collect();
    let limit = call.positive_param("limit", DEFAULT_LIMIT);
    let offset = call.offset_param();
    let results: Vec<DeletionJson> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|deletion| DeletionJson {
            person_uuid: deletion.person_uuid.to_string(),
            created_at: time::render(deletion.created_at),
            status: if deletion.verified_at.is_some() {
                "completed"
            } else {
                "pending"
            },
            delete_verified_at: deletion.verified_at.map(time::render),
        })
        .collect();
    let base = call.base_url();
    let url = call.url(&base);
    let next = (offset.saturating_add(limit) < matching.len()).then(|| {
        url.drf(&[
            ("limit", Some(limit)),
            ("offset", Some(offset.saturating_add(limit))),
        ])
    });
    let previous = (offset > 0).then(|| {
        let previous = offset.saturating_sub(limit);
        url.drf(&[
            ("limit", Some(limit)),
            ("offset", (previous > 0).then_some(previous)),
        ])
    });
    let body = DeletionPageJson {
        count: matching.len(),
        next,
        previous,
        results,
    };
    Ok(ApiResponse::json(200, &body))
}
