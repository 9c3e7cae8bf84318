//! One page of an insight's persons (reference §3): membership by person UUID ascending,
//! each page re-sorted by `created_at` descending (trends then by value descending), the
//! envelope with `next`/`initial` built as PostHog builds them; or, asked for CSV, the page's
//! one `results` element as one CSV row (no `next`: djangorestframework-csv renders only
//! `results`).

use serde::Serialize;
use serde_json::Value;

use super::super::api::Call;
use super::super::negotiate::{CSV_CONTENT_TYPE, Format};
use super::super::person::Person;
use super::super::render::{self, SerializedPersonJson};
use super::super::tenant::{PersonIndex, Project};
use super::super::time;
use crate::http::ApiResponse;

/// A matched person and, for trends, its value at the data point.
pub type Actor = (PersonIndex, Option<i64>);

/// Which envelope an endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// funnel and trends: `next` by `format_paginated_url`, `initial`, `missing_persons`,
    /// cache fields.
    Full,
    /// lifecycle and stickiness: `results` and `next` only.
    Bare,
    /// funnel/correlation: the full envelope, `next` rewriting
    /// `funnel_correlation_person_offset` on an absolute URL.
    Correlation,
}

/// The page's one `results` element, for CSV.
#[derive(Serialize)]
struct ActorsJson<'a> {
    people: Vec<SerializedPersonJson<'a>>,
    count: usize,
}

/// What follows `results` in a JSON page.
#[derive(Serialize)]
struct PageTailJson {
    next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_persons: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_cached: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_refresh: Option<String>,
}

/// Answers the page of `actors` at `offset`/`limit`. Membership and `next` count actors before
/// hydration: an actor whose person is gone is counted in `missing_persons`, not listed. A
/// person without a value is their kept list rendering (the same `SerializedPerson`).
pub fn respond(
    project: &Project,
    call: &Call<'_>,
    mut actors: Vec<Actor>,
    (limit, offset): (usize, usize),
    envelope: Envelope,
) -> ApiResponse {
    actors.sort_by_cached_key(|(index, _)| project.person(*index).map(|person| person.uuid));
    let page: Vec<Actor> = actors.into_iter().skip(offset).take(limit).collect();
    let full = page.len() >= limit;
    let names = project.display_name_properties();
    let mut people: Vec<(PersonIndex, &Person, Option<i64>)> = page
        .iter()
        .filter_map(|(index, value)| Some((*index, project.person(*index)?, *value)))
        .collect();
    people
        .sort_by(|(_, a, _), (_, b, _)| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
    people.sort_by(|(_, _, a), (_, _, b)| b.cmp(a));
    let fresh = |person, value: Option<i64>| {
        let json = SerializedPersonJson::of(person, names);
        match value {
            Some(value) => json.with_value(Value::from(value)),
            None => json,
        }
    };
    let count = people.len();
    if Format::negotiate(call.request, false) == Ok(Format::Csv) {
        let results = ActorsJson {
            people: people
                .iter()
                .map(|(_, person, value)| fresh(person, *value))
                .collect(),
            count,
        };
        let item = serde_json::to_value(&results).unwrap_or(Value::Null);
        return ApiResponse::new(200, CSV_CONTENT_TYPE, render::csv(&[item]));
    }
    let base = call.base_url();
    let url = call.url(&base);
    let next = full.then(|| match envelope {
        Envelope::Correlation => url.posthog(&[(
            "funnel_correlation_person_offset",
            offset.saturating_add(limit),
        )]),
        Envelope::Full | Envelope::Bare => {
            paginated(call, &base, offset, offset.saturating_add(limit))
        }
    });
    let missing = page.len() - count;
    let full_envelope = envelope != Envelope::Bare;
    let tail = PageTailJson {
        next,
        initial: full_envelope.then(|| url.posthog(&[])),
        missing_persons: full_envelope.then_some(missing),
        is_cached: full_envelope.then_some(false),
        last_refresh: full_envelope.then(|| time::render(call.now)),
    };
    let body = render::persons_body(
        b"{\"results\":[{\"people\":[",
        people,
        |(index, person, value), out| match value {
            None => SerializedPersonJson::write_kept(project, index, person, out),
            Some(_) => fresh(person, value).write(out),
        },
        format!("],\"count\":{count}}}]").as_bytes(),
        &tail,
    );
    ApiResponse::new(200, "application/json", body)
}

/// PostHog's `format_paginated_url`: when the request's path and query contain `offset`
/// anywhere, that text without its leading `/` (a relative URL) with every `offset=<offset>`
/// made `offset=<offset + limit>` (nothing changes when the offset came from the body); else
/// the absolute URL with `offset=<offset + limit>` appended.
fn paginated(call: &Call<'_>, base: &str, offset: usize, next: usize) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&call.request.query)
        .finish();
    let full = if query.is_empty() {
        call.request.path.clone()
    } else {
        format!("{}?{query}", call.request.path)
    };
    if !full.contains("offset") {
        let separator = if query.is_empty() { '?' } else { '&' };
        return format!("{base}{full}{separator}offset={next}");
    }
    let relative = full.strip_prefix('/').unwrap_or(&full);
    relative.replace(&format!("offset={offset}"), &format!("offset={next}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use super::*;
    use crate::Timestamp;
    use crate::http::ApiRequest;
    use crate::posthog::keys::PersonalKey;
    use crate::posthog::log::{DeletePerson, Entry, Event};

    /// PostHog's `test_basic_pagination_with_deleted` shape (reference §3.1): actors whose
    /// person is gone stay on their page, counted in `missing_persons` and toward `next`.
    #[test]
    fn actors_without_a_person_are_counted_not_listed() {
        let mut project = Project::new(1, Arc::new(AtomicI64::new(1)));
        let apply = |project: &mut Project, entry: Entry| {
            let now = Timestamp::from_unix_seconds(0);
            project
                .apply(entry, now, &mut crate::durable::unlogged)
                .unwrap();
        };
        for id in ["a", "b", "c"] {
            apply(&mut project, Event::new("step", id).at(0).into_entry());
        }
        let mut actors: Vec<Actor> = project.newest_first().map(|index| (index, None)).collect();
        actors.sort_by_key(|(index, _)| project.person(*index).map(|person| person.uuid));
        let gone = project.person(actors[0].0).unwrap();
        let distinct_id = gone.stored_distinct_ids().next().unwrap().to_owned();
        let deletion = Entry::DeletePerson(Box::new(DeletePerson {
            distinct_id,
            keep_person: false,
            delete_events: false,
            timestamp: None,
            user: None,
        }));
        apply(&mut project, deletion);
        let request = ApiRequest::new("GET", "/posthog/api/projects/1/persons/funnel/?limit=2");
        let call = Call {
            request: &request,
            key: PersonalKey::all_access(1),
            person: None,
            now: 0,
        };
        let body =
            |response: ApiResponse| -> Value { serde_json::from_slice(&response.body).unwrap() };
        let first = body(respond(
            &project,
            &call,
            actors.clone(),
            (2, 0),
            Envelope::Full,
        ));
        assert_eq!(first["results"][0]["count"], 1);
        assert_eq!(first["missing_persons"], 1);
        assert!(
            first["next"].is_string(),
            "two actors fill the page: {first}"
        );
        let second = body(respond(&project, &call, actors, (2, 2), Envelope::Full));
        assert_eq!(
            (&second["missing_persons"], &second["next"]),
            (&Value::from(0), &Value::Null)
        );
    }
}
