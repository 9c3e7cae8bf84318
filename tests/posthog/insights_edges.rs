//! Insight actors at their edges, over raw HTTP: conversion windows in every unit but hours and
//! days (which `insights.rs` covers), the paging quirks of reference §3.2 asserted as whole
//! strings, unparsable `properties` on every actors endpoint, and `search` on trends and
//! lifecycle actors.

use persons_mock::posthog::Event;
use reqwest::Method;
use serde_json::{Value, json};

use crate::insights::{at, fixture, lifecycle, page_ids as ids, people, s13, with_query};
use crate::support::Fixture;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The mock's base URL split into the server root and the path it is mounted at (PostHog's
/// relative `next` starts at the root: the mount path without its leading `/`).
fn root_and_mount(fixture: &Fixture) -> (String, String) {
    let base = fixture.posthog.base_url();
    let mount = url::Url::parse(base)
        .expect("a URL")
        .path()
        .trim_end_matches('/')
        .to_owned();
    let root = base
        .strip_suffix(mount.as_str())
        .expect("the path ends the URL")
        .to_owned();
    (root, mount)
}

/// `path` with the pairs of `first`, then those of `then`.
fn path_with(path: &str, first: &[(&str, &str)], then: &[(&str, &str)]) -> String {
    let pairs: Vec<(&str, String)> = first
        .iter()
        .chain(then)
        .map(|(key, value)| (*key, (*value).to_owned()))
        .collect();
    with_query(path, &pairs)
}

/// GETs `url` (absolute) with the fixture's key, expecting 200; the body.
async fn get_absolute(fixture: &Fixture, url: &str) -> Value {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(&fixture.key)
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    serde_json::from_str(&response.text().await.expect("a body")).expect("JSON")
}

/// After `test_funnel_conversion_window_seconds` (PostHog's
/// `hogql_queries/insights/funnels/test/test_funnel.py`: step two 10 s after step one converts
/// in a 15-second window, 20 s after does not), one pair of persons per unit: one converting
/// exactly at the window's end (the window is inclusive), one a second later. A month is 31
/// days (the newest UDF; reference §2.4), so February's pair converts 31 days on, past the
/// calendar month.
#[tokio::test]
async fn conversion_windows_in_seconds_minutes_weeks_and_months() {
    let fixture = fixture().await;
    let cases = [
        ("second", 15, 15),
        ("minute", 2, 120),
        ("week", 1, 7 * DAY),
        ("month", 1, 31 * DAY),
    ];
    let start = at("2021-02-01T00:00:00Z");
    let mut events = Vec::new();
    for (unit, _, window) in cases {
        for (who, after) in [("inside", window), ("outside", window + 1)] {
            let person = format!("{unit}_{who}");
            events.push(Event::new(&format!("{unit} one"), &person).at(start));
            events.push(Event::new(&format!("{unit} two"), &person).at(start + after));
        }
    }
    fixture.seed(events);
    for (unit, interval, _) in cases {
        let steps = json!([
            {"id": format!("{unit} one"), "type": "events", "order": 0},
            {"id": format!("{unit} two"), "type": "events", "order": 1},
        ])
        .to_string();
        let interval_text = interval.to_string();
        let window = [
            ("funnel_window_interval", interval_text.as_str()),
            ("funnel_window_interval_unit", unit),
        ];
        let query = |step: &str| {
            path_with(
                "/api/projects/1/persons/funnel/",
                &[
                    ("events", steps.as_str()),
                    ("date_from", "2021-02-01"),
                    ("date_to", "2021-03-31"),
                    ("funnel_step", step),
                ],
                &window,
            )
        };
        assert_eq!(
            people(&fixture, &query("2")).await.1,
            [format!("{unit}_inside")],
            "{interval} {unit}: converted"
        );
        assert_eq!(
            people(&fixture, &query("-2")).await.1,
            [format!("{unit}_outside")],
            "{interval} {unit}: dropped off"
        );
    }
}

/// Reference §3.2 on the funnel and trends endpoints: four persons at `limit=2` give two full
/// pages, each with a `next`, then an empty page without one. The first `next` is absolute
/// with `&offset=2` appended; the later ones, from a URL holding `offset`, are the path
/// without its leading `/` (relative) with `offset=2` made `offset=4`. `initial` is each
/// request's absolute URL unchanged, its offset included.
#[tokio::test]
async fn exact_multiples_of_limit_end_on_an_empty_page() {
    let fixture = fixture().await;
    fixture.seed(
        ["a", "b", "c", "d"].map(|who| Event::new("step one", who).at(at("2021-05-01T00:00:00Z"))),
    );
    fixture.seed(
        ["a", "b", "c", "d"].map(|who| Event::new("step two", who).at(at("2021-05-02T00:00:00Z"))),
    );
    let base = fixture.posthog.base_url().to_owned();
    let (root, mount) = root_and_mount(&fixture);
    let steps = json!([{"id": "step one", "order": 0}, {"id": "step two", "order": 1}]);
    let steps = steps.to_string();
    let window = [
        ("date_from", "2021-05-01"),
        ("date_to", "2021-05-07"),
        ("limit", "2"),
    ];
    let funnel = path_with(
        "/api/projects/1/persons/funnel/",
        &[("events", steps.as_str()), ("funnel_step", "2")],
        &window,
    );
    let trends = path_with(
        "/api/projects/1/persons/trends/",
        &[("entity_id", "step two"), ("entity_type", "events")],
        &window,
    );
    for path in [funnel, trends] {
        let first_url = format!("{base}{path}");
        let first = get_absolute(&fixture, &first_url).await;
        assert_eq!(first["initial"], json!(first_url));
        let second_url = format!("{first_url}&offset=2");
        assert_eq!(
            first["next"],
            json!(second_url),
            "absolute, offset appended"
        );
        let second = get_absolute(&fixture, &second_url).await;
        assert_eq!(
            second["initial"],
            json!(second_url),
            "the request URL unchanged"
        );
        let relative = format!("{mount}{path}&offset=4")[1..].to_owned();
        assert_eq!(
            second["next"],
            json!(relative),
            "the full second page still links on"
        );
        let third_url = format!("{root}/{relative}");
        let third = get_absolute(&fixture, &third_url).await;
        assert_eq!(
            (&third["results"], &third["next"], &third["initial"]),
            (
                &json!([{"people": [], "count": 0}]),
                &Value::Null,
                &json!(third_url)
            ),
            "{path}"
        );
        let mut all: Vec<String> = ids(&first).into_iter().chain(ids(&second)).collect();
        all.sort();
        assert_eq!(all, ["a", "b", "c", "d"], "{path}");
    }
}

/// Reference §3.2: `format_paginated_url` reads the URL, never the body. An offset given only
/// in a POST body leaves a URL without `offset` text, so `next` is that URL with the body's
/// offset plus limit appended; when the URL has an `offset` of its own that differs from the
/// body's, no `offset=<body's>` is there to replace and `next` is the current path, unchanged
/// (relative), so following it pages nowhere.
#[tokio::test]
async fn body_offsets_leave_next_as_the_url_says() {
    let fixture = fixture().await;
    fixture.seed(
        (0..5).map(|i| Event::new("step one", &format!("u{i}")).at(at("2021-05-01T00:00:00Z"))),
    );
    fixture.seed(
        (0..5).map(|i| Event::new("step two", &format!("u{i}")).at(at("2021-05-02T00:00:00Z"))),
    );
    let body = json!({
        "events": [{"id": "step one", "order": 0}, {"id": "step two", "order": 1}],
        "date_from": "2021-05-01", "date_to": "2021-05-07", "funnel_step": 2,
        "limit": 2, "offset": 2,
    });
    let base = fixture.posthog.base_url().to_owned();
    let (_, mount) = root_and_mount(&fixture);
    let post = |path: &'static str| {
        let body = body.clone();
        let fixture = &fixture;
        async move {
            let (status, text) = fixture.raw(Method::POST, path, Some(body)).await;
            assert_eq!(status, 200, "{text}");
            serde_json::from_str::<Value>(&text).expect("JSON")
        }
    };
    let plain = post("/api/projects/1/persons/funnel/").await;
    assert_eq!(ids(&plain).len(), 2, "the body's limit");
    assert_eq!(
        (&plain["next"], &plain["initial"]),
        (
            &json!(format!("{base}/api/projects/1/persons/funnel/?offset=4")),
            &json!(format!("{base}/api/projects/1/persons/funnel/"))
        )
    );
    let stale = post("/api/projects/1/persons/funnel/?offset=0").await;
    assert_eq!(
        ids(&stale),
        ids(&plain),
        "the body's offset wins over the URL's"
    );
    assert_eq!(
        (&stale["next"], &stale["initial"]),
        (
            &json!(format!("{mount}/api/projects/1/persons/funnel/?offset=0")[1..]),
            &json!(format!("{base}/api/projects/1/persons/funnel/?offset=0"))
        )
    );
}

/// Reference §2.2: `properties` that are not a JSON array of filters are PostHog's
/// `Properties are unparsable!`, the same 400 on every actors endpoint.
#[tokio::test]
async fn unparsable_properties_are_refused_on_every_actors_endpoint() {
    let fixture = fixture().await;
    fixture.seed([Event::new("view", "ann").at(at("2021-05-01T00:00:00Z"))]);
    let series = json!([{"id": "view", "type": "events", "order": 0}]).to_string();
    let paths = |properties: &str| {
        let properties = properties.to_owned();
        let range = [
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-07".to_owned()),
            ("properties", properties),
        ];
        let with = |path: &str, extra: &[(&'static str, String)]| {
            let mut pairs = range.to_vec();
            pairs.extend(extra.iter().cloned());
            with_query(path, &pairs)
        };
        [
            with(
                "/api/projects/1/persons/funnel/",
                &[("events", series.clone()), ("funnel_step", "1".to_owned())],
            ),
            with(
                "/api/projects/1/persons/trends/",
                &[("entity_id", "view".to_owned())],
            ),
            with(
                "/api/projects/1/persons/lifecycle/",
                &[
                    ("events", series.clone()),
                    ("target_date", "2021-05-01".to_owned()),
                    ("lifecycle_type", "new".to_owned()),
                ],
            ),
            with(
                "/api/projects/1/persons/stickiness/",
                &[
                    ("entity_id", "view".to_owned()),
                    ("stickiness_days", "1".to_owned()),
                ],
            ),
        ]
    };
    for bad in ["[{\"key\": ", "not json", "5"] {
        for path in paths(bad) {
            let (status, text) = fixture.raw(Method::GET, &path, None).await;
            let body: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(
                (status, body),
                (
                    400,
                    json!({"type": "validation_error", "code": "invalid_input",
                        "detail": "Properties are unparsable!", "attr": null})
                ),
                "{bad:?} on {path}"
            );
        }
    }
    for path in paths("[]") {
        assert_eq!(people(&fixture, &path).await.1, ["ann"], "{path}");
    }
}

/// `search` narrows trends actors as it narrows the persons list (email, name, UUID, distinct
/// ids; `%` and `_` wildcards): S16's shape (`test_persons_trends.py`) with emails.
#[tokio::test]
async fn search_narrows_trends_actors() {
    let fixture = fixture().await;
    fixture.seed(
        [
            ("person1", "ann@example.com", "2020-01-04T14:10:00Z"),
            ("person2", "bob@example.com", "2020-01-04T16:30:00Z"),
            ("person3", "carl@other.org", "2020-01-04T16:50:00Z"),
        ]
        .map(|(who, email, time)| Event::new("sign up", who).set("email", email).at(at(time))),
    );
    let trends = |search: &str| {
        path_with(
            "/api/projects/1/persons/trends/",
            &[("entity_id", "sign up"), ("search", search)],
            &[("date_from", "2020-01-04"), ("date_to", "2020-01-04")],
        )
    };
    let cases: [(&str, &[&str]); 5] = [
        ("", &["person1", "person2", "person3"]),
        ("EXAMPLE.com", &["person1", "person2"]),
        ("person3", &["person3"]),
        ("%@other%", &["person3"]),
        ("nobody", &[]),
    ];
    for (search, expected) in cases {
        assert_eq!(
            people(&fixture, &trends(search)).await.1,
            expected,
            "{search:?}"
        );
    }
}

/// `search` narrows a lifecycle bucket: S13 (`test_lifecycle.py`, whose `_create_events` gives
/// p1 the email `test@posthog.com`).
#[tokio::test]
async fn search_narrows_lifecycle_actors() {
    let fixture = fixture().await;
    s13(&fixture);
    // A later event on a day p1 is already active: the email, no new activity.
    fixture.seed([Event::new("$set", "p1")
        .set("email", "test@posthog.com")
        .at(at("2020-01-11T13:00:00Z"))]);
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        ("dormant", "2020-01-13", "", &["p2", "p3"]),
        ("dormant", "2020-01-13", "p3", &["p3"]),
        ("dormant", "2020-01-16", "posthog.com", &["p1"]),
        ("dormant", "2020-01-16", "p4", &["p4"]),
        ("returning", "2020-01-13", "p2", &[]),
    ];
    for (status, day, search, expected) in cases {
        assert_eq!(
            people(
                &fixture,
                &lifecycle(&[
                    ("lifecycle_type", status),
                    ("target_date", day),
                    ("search", search)
                ])
            )
            .await
            .1,
            expected,
            "{status} {day} {search:?}"
        );
    }
}
