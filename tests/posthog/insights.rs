//! Insight actors end to end (`/persons/funnel/`, `/persons/trends/`, `/persons/lifecycle/`,
//! `/persons/stickiness/`) over raw HTTP and the generated client, with the worked scenarios
//! of PostHog's own tests (each test names its source).

use persons_mock::posthog::{Event, PersonalKey};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Fixture, PROJECT, client};

/// The usual fixture with an unscoped key: insight actors declare no scope, so scoped
/// personal API keys are refused.
pub(crate) async fn fixture() -> Fixture {
    let mut fixture = Fixture::new().await;
    fixture.key = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).unscoped());
    fixture.client = client(&fixture.posthog, &fixture.key, "1");
    fixture
}

#[tokio::test]
async fn scoped_keys_are_refused() {
    let fixture = Fixture::new().await;
    let (status, body) = fixture
        .raw(
            Method::GET,
            "/api/projects/1/persons/trends/?entity_id=x",
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert!(body.contains("This action does not support Personal API Key access"));
}

/// Asserts that `parts` occur in `raw` in this order.
fn assert_in_order(raw: &str, parts: &[&str]) {
    let mut from = 0;
    for part in parts {
        let found = raw[from..]
            .find(part)
            .unwrap_or_else(|| panic!("{part} after {from} in {raw}"));
        from += found + part.len();
    }
}

/// Unix seconds of an RFC 3339 time.
pub(crate) fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .timestamp()
}

/// `path?query` with the pairs form-encoded.
pub(crate) fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// The `events` parameter of the named steps, in order.
fn steps(names: &[&str]) -> String {
    let entities: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(order, name)| json!({"id": name, "type": "events", "order": order}))
        .collect();
    Value::Array(entities).to_string()
}

/// GETs `path`, expecting 200; the body and the page's first distinct ids, sorted.
pub(crate) async fn people(fixture: &Fixture, path: &str) -> (Value, Vec<String>) {
    let (status, body) = fixture.raw(Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    page(&body)
}

fn page(body: &str) -> (Value, Vec<String>) {
    let body: Value = serde_json::from_str(body).expect("JSON");
    let ids = page_ids(&body);
    (body, ids)
}

/// The first distinct ids of a page body's persons, sorted.
pub(crate) fn page_ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["results"][0]["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|person| {
            person["distinct_ids"][0]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

pub(crate) fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    let mut names: Vec<String> = range.map(|i| format!("{prefix}{i}")).collect();
    names.sort();
    names
}

/// S1 (`test_funnel_persons.py::_create_sample_data_multiple_dropoffs`): u0–u4 do all three
/// steps, u5–u14 two, u15–u34 one.
pub(crate) fn s1(fixture: &Fixture, middle: Option<&str>) {
    let mut events = Vec::new();
    for i in 0..35 {
        let user = format!("u{i}");
        events.push(Event::new("step one", &user).at(at("2021-05-01T00:00:00Z")));
        if i < 5
            && let Some(middle) = middle
        {
            events.push(Event::new(middle, &user).at(at("2021-05-02T00:00:00Z")));
        }
        if i < 15 {
            events.push(Event::new("step two", &user).at(at("2021-05-03T00:00:00Z")));
        }
        if i < 5 {
            events.push(Event::new("step three", &user).at(at("2021-05-05T00:00:00Z")));
        }
    }
    fixture.seed(events);
}

fn s1_query(extra: &[(&str, String)]) -> String {
    let mut pairs = vec![
        ("events", steps(&["step one", "step two", "step three"])),
        ("date_from", "2021-05-01 00:00:00".to_owned()),
        ("date_to", "2021-05-07 00:00:00".to_owned()),
        ("funnel_window_days", "7".to_owned()),
    ];
    pairs.extend(extra.iter().cloned());
    with_query("/api/projects/1/persons/funnel/", &pairs)
}

async fn count(fixture: &Fixture, path: &str) -> usize {
    people(fixture, path).await.1.len()
}

#[tokio::test]
async fn s1_ordered_funnel_steps_drop_offs_and_custom_steps() {
    let fixture = fixture().await;
    s1(&fixture, None);
    for (step, expected) in [("1", 35), ("2", 15), ("3", 5), ("-2", 20), ("-3", 10)] {
        let path = s1_query(&[("funnel_step", step.to_owned())]);
        assert_eq!(count(&fixture, &path).await, expected, "funnel_step={step}");
    }
    let (_, dropped) = people(&fixture, &s1_query(&[("funnel_step", "-3".to_owned())])).await;
    assert_eq!(dropped, names("u", 5..15));
    for (custom, expected) in [
        ("[1,2]", 30),
        ("[1,3]", 25),
        ("[3,1]", 25),
        ("[1,3,3,1]", 25),
        ("[2,3]", 15),
    ] {
        let path = s1_query(&[("funnel_custom_steps", custom.to_owned())]);
        assert_eq!(count(&fixture, &path).await, expected, "custom {custom}");
    }
    let path = s1_query(&[
        ("funnel_step", "1".to_owned()),
        ("funnel_custom_steps", "[3]".to_owned()),
    ]);
    assert_eq!(count(&fixture, &path).await, 5, "custom steps win");
}

#[tokio::test]
async fn funnel_envelope_and_page_order() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let path = s1_query(&[("funnel_step", "3".to_owned())]);
    let (status, raw) = fixture.raw(Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_in_order(
        &raw,
        &[
            "{\"results\":[{\"people\":[{",
            "\"count\":5}],\"next\":null,\"initial\":\"http://",
            "\"missing_persons\":0,\"is_cached\":false,\"last_refresh\":",
        ],
    );
    assert_in_order(
        &raw,
        &[
            "\"type\":\"person\",\"id\":",
            "\"uuid\":",
            "\"created_at\":",
            "\"last_seen_at\":",
            "\"properties\":",
            "\"is_identified\":",
            "\"name\":",
            "\"distinct_ids\":",
            "\"matched_recordings\":[]",
            "\"value_at_data_point\":null",
        ],
    );
    let (body, _) = page(&raw);
    let created: Vec<(&str, &str)> = body["results"][0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["created_at"].as_str().unwrap(),
                p["uuid"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(b.1)));
    assert_eq!(created, sorted, "created_at DESC, uuid ASC");
}

/// The page is re-sorted newest person first (reference §3.2): persons created at distinct
/// times, their UUIDs in no particular order relative to those times.
#[tokio::test]
async fn funnel_page_is_newest_person_first() {
    let fixture = fixture().await;
    let mut events = Vec::new();
    for (i, user) in ["m3", "m0", "m4", "m1", "m2"].iter().enumerate() {
        let hour = format!("2021-05-01T0{i}:00:00Z");
        events.push(Event::new("step one", user).at(at(&hour)));
        events.push(Event::new("step two", user).at(at("2021-05-03T00:00:00Z")));
    }
    fixture.seed(events);
    let path = s1_query(&[("funnel_step", "2".to_owned())]);
    let (body, _) = people(&fixture, &path).await;
    let listed: Vec<(&str, &str)> = body["results"][0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|person| {
            (
                person["created_at"].as_str().unwrap(),
                person["distinct_ids"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        listed.windows(2).all(|pair| pair[0].0 > pair[1].0),
        "created_at strictly descending: {listed:?}"
    );
    let order: Vec<&str> = listed.iter().map(|(_, id)| *id).collect();
    assert_eq!(order, ["m2", "m1", "m4", "m0", "m3"]);
}

/// S2 (`test_clickhouse_funnel_person.py::test_basic_pagination`): 110 persons, pages of 100
/// and 10; `next` absolute on the first page, relative after.
#[tokio::test]
async fn s2_pagination_follows_next() {
    let fixture = fixture().await;
    let mut events = Vec::new();
    for i in 0..110 {
        let user = format!("p{i}");
        for (name, day) in [("step one", "01"), ("step two", "03"), ("step three", "05")] {
            events.push(
                Event::new(name, &user)
                    .property("$browser", "Chrome")
                    .at(at(&format!("2021-05-{day}T00:00:00Z"))),
            );
        }
    }
    fixture.seed(events);
    for breakdown in [false, true] {
        let mut pairs = vec![
            ("events", steps(&["step one", "step two", "step three"])),
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-10".to_owned()),
            ("funnel_window_days", "14".to_owned()),
            ("funnel_step", "1".to_owned()),
        ];
        if breakdown {
            pairs.push(("breakdown", "$browser".to_owned()));
            pairs.push(("breakdown_type", "event".to_owned()));
            pairs.push(("funnel_step_breakdown", "Chrome".to_owned()));
        }
        let (first, ids) = people(
            &fixture,
            &with_query("/api/projects/1/persons/funnel/", &pairs),
        )
        .await;
        assert_eq!(
            (ids.len(), first["results"][0]["count"].as_u64()),
            (100, Some(100))
        );
        let next = first["next"].as_str().expect("a next link");
        assert!(
            next.starts_with("http://") && next.ends_with("&offset=100"),
            "{next}"
        );
        let response = reqwest::Client::new()
            .get(next)
            .bearer_auth(&fixture.key)
            .send()
            .await
            .unwrap();
        let (second, rest) = page(&response.text().await.unwrap());
        assert_eq!((rest.len(), &second["next"]), (10, &Value::Null));
        let mut all: Vec<String> = ids.into_iter().chain(rest).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 110, "no person twice");
    }
    let pairs = [
        ("events", steps(&["step one", "step two"])),
        ("date_from", "2021-05-01".to_owned()),
        ("date_to", "2021-05-10".to_owned()),
        ("funnel_step", "1".to_owned()),
        ("limit", "50".to_owned()),
        ("offset", "50".to_owned()),
    ];
    let (body, _) = people(
        &fixture,
        &with_query("/api/projects/1/persons/funnel/", &pairs),
    )
    .await;
    let next = body["next"].as_str().unwrap();
    assert!(
        next.starts_with("posthog/api/projects/1/persons/funnel/?") && next.contains("offset=100"),
        "relative: {next}"
    );
}

/// S3 and S4 (`test_clickhouse_funnel_person.py::test_breakdowns`,
/// `test_first_step_breakdown_person`).
#[tokio::test]
async fn s3_s4_breakdown_buckets() {
    let fixture = fixture().await;
    let e = |name: &str, user: &str, browser: &str, time: &str| {
        Event::new(name, user)
            .property("$browser", browser)
            .at(at(time))
    };
    fixture.seed([
        e("sign up", "person1", "Chrome", "2020-01-01T12:00:00Z").set("$country", "PL"),
        e("play movie", "person1", "Chrome", "2020-01-01T13:00:00Z"),
        e("buy", "person1", "Chrome", "2020-01-01T15:00:00Z"),
        e("sign up", "person2", "Safari", "2020-01-02T14:00:00Z").set("$country", "EE"),
        e("play movie", "person2", "Safari", "2020-01-02T16:00:00Z"),
        e("sign up", "person3", "Safari", "2020-01-02T14:00:00Z"),
    ]);
    let query = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("events", steps(&["sign up", "play movie", "buy"])),
            ("date_from", "2020-01-01".to_owned()),
            ("date_to", "2020-01-08".to_owned()),
            ("funnel_window_days", "7".to_owned()),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        with_query("/api/projects/1/persons/funnel/", &pairs)
    };
    let event = [("breakdown", "$browser"), ("breakdown_type", "event")];
    let case = |step: &'static str, bucket: &'static str| {
        let mut pairs = event.to_vec();
        pairs.push(("funnel_step", step));
        pairs.push(("funnel_step_breakdown", bucket));
        pairs
    };
    assert_eq!(
        people(&fixture, &query(&case("1", "Chrome"))).await.1,
        ["person1"]
    );
    assert_eq!(
        people(&fixture, &query(&case("1", "Safari"))).await.1,
        ["person2", "person3"]
    );
    assert_eq!(
        people(&fixture, &query(&case("1", "[\"Safari\"]"))).await.1,
        ["person2", "person3"]
    );
    assert_eq!(
        people(&fixture, &query(&case("2", "Safari"))).await.1,
        ["person2"]
    );
    assert_eq!(
        people(&fixture, &query(&case("-2", "Safari"))).await.1,
        ["person3"]
    );
    let person = |bucket: &'static str| {
        vec![
            ("breakdown", "$country"),
            ("breakdown_type", "person"),
            ("funnel_step", "1"),
            ("funnel_step_breakdown", bucket),
        ]
    };
    assert_eq!(
        people(&fixture, &query(&person("[\"EE\"]"))).await.1,
        ["person2"]
    );
    assert_eq!(
        people(&fixture, &query(&person("[\"PL\"]"))).await.1,
        ["person1"]
    );
    let all = [
        ("breakdown", "$country"),
        ("breakdown_type", "person"),
        ("funnel_step", "2"),
    ];
    assert_eq!(
        people(&fixture, &query(&all)).await.1,
        ["person1", "person2"]
    );
}

/// `breakdown_attribution_type` (reference §5.5): first and last touch pick one bucket;
/// `all_events` runs each value on the events carrying it; `step` runs each value the
/// attributed step's events carry, so one person can be in several buckets.
#[tokio::test]
async fn breakdown_attribution_types_pick_buckets() {
    let fixture = fixture().await;
    let e = |name: &str, user: &str, time: &str| Event::new(name, user).at(at(time));
    fixture.seed([
        e("sign up", "p", "2020-01-01T10:00:00Z").property("$browser", "Chrome"),
        e("play movie", "p", "2020-01-01T11:00:00Z").property("$browser", "Safari"),
        e("buy", "p", "2020-01-01T12:00:00Z"),
        e("sign up", "q", "2020-01-01T10:00:00Z").property("$browser", "Safari"),
        e("play movie", "q", "2020-01-01T11:00:00Z").property("$browser", "Safari"),
        e("play movie", "q", "2020-01-01T12:00:00Z").property("$browser", "Chrome"),
    ]);
    let query = |attribution: &[(&str, &str)], step: &str, bucket: &str, order: &str| {
        let mut pairs = vec![
            ("events", steps(&["sign up", "play movie", "buy"])),
            ("date_from", "2020-01-01".to_owned()),
            ("date_to", "2020-01-08".to_owned()),
            ("breakdown", "$browser".to_owned()),
            ("breakdown_type", "event".to_owned()),
            ("funnel_order_type", order.to_owned()),
            ("funnel_step", step.to_owned()),
            ("funnel_step_breakdown", bucket.to_owned()),
        ];
        pairs.extend(attribution.iter().map(|(k, v)| (*k, (*v).to_owned())));
        with_query("/api/projects/1/persons/funnel/", &pairs)
    };
    let first = [("breakdown_attribution_type", "first_touch")];
    let last = [("breakdown_attribution_type", "last_touch")];
    let all = [("breakdown_attribution_type", "all_events")];
    let step = [
        ("breakdown_attribution_type", "step"),
        ("breakdown_attribution_value", "1"),
    ];
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a [&'a str]);
    let cases: [Case<'_>; 12] = [
        (&first, "1", "Chrome", &["p"]),
        (&first, "1", "Safari", &["q"]),
        (&[], "1", "Chrome", &["p"]),
        (&last, "1", "Chrome", &["q"]),
        (&last, "3", "Safari", &["p"]),
        (&all, "1", "Chrome", &["p"]),
        (&all, "2", "Safari", &["q"]),
        (&all, "2", "Chrome", &[]),
        (&step, "2", "Safari", &["p", "q"]),
        (&step, "2", "Chrome", &["q"]),
        (&step, "3", "Safari", &["p"]),
        (&step, "-3", "Chrome", &["q"]),
    ];
    for (attribution, funnel_step, bucket, expected) in cases {
        let path = query(attribution, funnel_step, bucket, "ordered");
        assert_eq!(people(&fixture, &path).await.1, expected, "{path}");
    }
    let unordered_first = [
        ("breakdown_attribution_type", "step"),
        ("breakdown_attribution_value", "0"),
    ];
    let path = query(&unordered_first, "1", "Chrome", "unordered");
    assert_eq!(people(&fixture, &path).await.1, ["p", "q"]);
    let path = query(&unordered_first, "2", "Chrome", "unordered");
    assert_eq!(
        people(&fixture, &path).await.1,
        ["p"],
        "q's first held event is Chrome"
    );
    let (status, body) = fixture
        .raw(Method::GET, &query(&step, "1", "Chrome", "unordered"), None)
        .await;
    assert_eq!(status, 400);
    assert!(
        body.contains(
            "Only the first step can be used for breakdown attribution in unordered funnels"
        ),
        "{body}"
    );
    let missing = [("breakdown_attribution_type", "step")];
    let (status, body) = fixture
        .raw(
            Method::GET,
            &query(&missing, "1", "Chrome", "ordered"),
            None,
        )
        .await;
    assert_eq!(
        (status, body.contains("server_error")),
        (500, true),
        "{body}"
    );
}

/// S5 (`test_funnel.py::test_first_time_math_basic`).
#[tokio::test]
async fn s5_first_time_for_user() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("sign up", "person1").at(at("2020-01-01T12:00:00Z")),
        Event::new("play movie", "person1").at(at("2020-01-01T13:00:00Z")),
        Event::new("sign up", "person1").at(at("2020-01-02T12:00:00Z")),
        Event::new("play movie", "person1").at(at("2020-01-02T13:00:00Z")),
    ]);
    let events = json!([
        {"id": "sign up", "type": "events", "order": 0, "math": "first_time_for_user"},
        {"id": "play movie", "type": "events", "order": 1}
    ])
    .to_string();
    let query = |from: &str| {
        with_query(
            "/api/projects/1/persons/funnel/",
            &[
                ("events", events.clone()),
                ("date_from", from.to_owned()),
                ("date_to", "2020-01-08".to_owned()),
                ("funnel_window_days", "7".to_owned()),
                ("funnel_step", "1".to_owned()),
            ],
        )
    };
    assert_eq!(people(&fixture, &query("2020-01-01")).await.1, ["person1"]);
    assert!(people(&fixture, &query("2020-01-02")).await.1.is_empty());
}

/// S6 (`test_funnel_strict_persons.py`) and S7 (`test_funnel_unordered_persons.py`).
#[tokio::test]
async fn s6_strict_and_s7_unordered() {
    let fixture = fixture().await;
    s1(&fixture, Some("step fake"));
    let strict = |step: &str| {
        s1_query(&[
            ("funnel_step", step.to_owned()),
            ("funnel_order_type", "strict".to_owned()),
        ])
    };
    for (step, expected) in [("1", 35), ("2", 10), ("-2", 25), ("3", 0)] {
        assert_eq!(
            count(&fixture, &strict(step)).await,
            expected,
            "strict {step}"
        );
    }
    let unordered_fixture = self::fixture().await;
    let mut events = Vec::new();
    for i in 0..35 {
        let user = format!("u{i}");
        let mut add = |name: &str, day: &str| {
            events.push(Event::new(name, &user).at(at(&format!("2021-05-{day}T00:00:00Z"))));
        };
        if i < 5 {
            add("step one", "01");
            add("step three", "03");
            add("step two", "05");
        } else if i < 15 {
            add("step two", "01");
            add("step one", "03");
        } else {
            add("step one", "01");
        }
    }
    unordered_fixture.seed(events);
    let unordered = |step: &str| {
        s1_query(&[
            ("funnel_step", step.to_owned()),
            ("funnel_order_type", "unordered".to_owned()),
        ])
    };
    for (step, expected) in [("1", 35), ("2", 15), ("3", 5), ("-2", 20), ("-3", 10)] {
        assert_eq!(
            count(&unordered_fixture, &unordered(step)).await,
            expected,
            "unordered {step}"
        );
    }
}

/// Exclusions (`test_funnel.py::test_funnel_exclusions_*`) and the validation errors.
#[tokio::test]
async fn exclusions_void_persons_and_are_validated() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("step one", "clean").at(at("2021-05-01T00:00:00Z")),
        Event::new("step two", "clean").at(at("2021-05-02T00:00:00Z")),
        Event::new("step one", "excluded").at(at("2021-05-01T00:00:00Z")),
        Event::new("x", "excluded").at(at("2021-05-01T12:00:00Z")),
        Event::new("step two", "excluded").at(at("2021-05-02T00:00:00Z")),
    ]);
    let query = |exclusions: Value, order: &str| {
        with_query(
            "/api/projects/1/persons/funnel/",
            &[
                ("events", steps(&["step one", "step two"])),
                ("date_from", "2021-05-01".to_owned()),
                ("date_to", "2021-05-07".to_owned()),
                ("funnel_step", "1".to_owned()),
                ("funnel_order_type", order.to_owned()),
                ("exclusions", exclusions.to_string()),
            ],
        )
    };
    let x = json!([{"id": "x", "type": "events", "funnel_from_step": 0, "funnel_to_step": 1}]);
    assert_eq!(
        people(&fixture, &query(x, "ordered")).await.1,
        ["clean"],
        "the person leaves the funnel, step 1 included"
    );
    let cases = [
        (
            json!([{"id": "x", "type": "events"}]),
            "ordered",
            "Exclusion event needs to define funnel steps",
        ),
        (
            json!([{"id": "x", "funnel_from_step": 1, "funnel_to_step": 1}]),
            "ordered",
            "Exclusion event range is invalid. End of range should be greater than start.",
        ),
        (
            json!([{"id": "x", "funnel_from_step": 0, "funnel_to_step": 2}]),
            "ordered",
            "Exclusion event range is invalid. End of range is greater than number of steps.",
        ),
        (
            json!([{"id": "step two", "funnel_from_step": 0, "funnel_to_step": 1}]),
            "ordered",
            "Exclusion steps cannot contain an event that's part of funnel steps.",
        ),
        (
            json!([{"id": "x", "funnel_from_step": 1, "funnel_to_step": 2}]),
            "ordered",
            "Exclusion event range is invalid. Start of range is greater than number of steps.",
        ),
    ];
    let partial = with_query(
        "/api/projects/1/persons/funnel/",
        &[
            ("events", steps(&["step one", "step two", "step three"])),
            ("funnel_step", "1".to_owned()),
            ("funnel_order_type", "unordered".to_owned()),
            (
                "exclusions",
                json!([{"id": "x", "funnel_from_step": 0, "funnel_to_step": 1}]).to_string(),
            ),
        ],
    );
    let (status, body) = fixture.raw(Method::GET, &partial, None).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, body["detail"].as_str()),
        (
            400,
            Some("Partial Exclusions not allowed in unordered funnels")
        )
    );
    for (exclusions, order, detail) in cases {
        let (status, body) = fixture
            .raw(Method::GET, &query(exclusions, order), None)
            .await;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (status, body["type"].as_str(), body["detail"].as_str()),
            (400, Some("validation_error"), Some(detail))
        );
    }
}

#[tokio::test]
async fn funnel_errors_windows_post_bodies_and_the_legacy_prefix() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let (status, body) = fixture.raw(Method::GET, &s1_query(&[]), None).await;
    assert_eq!(
        status, 500,
        "neither funnel_step nor funnel_custom_steps: {body}"
    );
    assert!(body.contains("server_error"));
    for bad in ["0", "-1", "abc"] {
        let (status, _) = fixture
            .raw(
                Method::GET,
                &s1_query(&[("funnel_step", bad.to_owned())]),
                None,
            )
            .await;
        assert_eq!(status, 500, "funnel_step={bad}");
    }
    let unit = s1_query(&[
        ("funnel_step", "1".to_owned()),
        ("funnel_window_days", "0".to_owned()),
        ("funnel_window_interval_unit", "fortnight".to_owned()),
    ]);
    let (status, body) = fixture.raw(Method::GET, &unit, None).await;
    assert_eq!(status, 400);
    assert!(
        body.contains(r#""detail":"{interval} not supported""#),
        "{body}"
    );
    let short_window = |interval: &str, unit: &str| {
        with_query(
            "/api/projects/1/persons/funnel/",
            &[
                ("events", steps(&["step one", "step two"])),
                ("date_from", "2021-05-01".to_owned()),
                ("date_to", "2021-05-07".to_owned()),
                ("funnel_window_interval", interval.to_owned()),
                ("funnel_window_interval_unit", unit.to_owned()),
                ("funnel_step", "2".to_owned()),
            ],
        )
    };
    assert_eq!(
        count(&fixture, &short_window("1", "day")).await,
        0,
        "two days apart"
    );
    assert_eq!(
        count(&fixture, &short_window("48", "hour")).await,
        15,
        "exactly the window"
    );
    assert_eq!(count(&fixture, &short_window("47", "HOUR")).await, 0);

    let body = json!({
        "events": [{"id": "step one", "order": 0}, {"id": "step two", "order": 1}],
        "date_from": "2021-05-01", "date_to": "2021-05-07", "funnel_step": 2
    });
    let path = "/api/projects/1/persons/funnel/?funnel_step=1";
    let (status, text) = fixture.raw(Method::POST, path, Some(body.clone())).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(page(&text).1.len(), 15, "the body wins");
    let (status, text) = fixture
        .raw(Method::POST, "/api/person/funnel/", Some(body.clone()))
        .await;
    assert_eq!((status, page(&text).1.len()), (200, 15), "legacy prefix");
    let (status, text) = fixture
        .raw(
            Method::POST,
            "/api/environments/1/persons/funnel",
            Some(body),
        )
        .await;
    assert_eq!(
        (status, page(&text).1.len()),
        (200, 15),
        "environments, no trailing slash"
    );
    let (status, text) = fixture
        .raw(
            Method::GET,
            "/api/projects/1/persons/funnel/?funnel_step=1",
            None,
        )
        .await;
    assert!(
        !text.contains("does not look like a personID"),
        "{status} {text}"
    );
    for path in [
        "/api/projects/1/persons/trends/",
        "/api/projects/1/persons/lifecycle/",
    ] {
        let (status, _) = fixture.raw(Method::POST, path, None).await;
        assert_eq!(status, 405, "{path}");
    }
    for (name, bad) in [
        ("limit", "abc"),
        ("offset", "abc"),
        ("interval", "fortnight"),
    ] {
        let path = s1_query(&[("funnel_step", "1".to_owned()), (name, bad.to_owned())]);
        let (status, body) = fixture.raw(Method::GET, &path, None).await;
        assert_eq!(
            (status, body.contains("server_error")),
            (500, true),
            "{name}={bad}: {body}"
        );
    }
    let (status, text) = fixture
        .raw(
            Method::GET,
            &s1_query(&[
                ("funnel_step", "1".to_owned()),
                ("actions", "[{\"id\":1}]".to_owned()),
            ]),
            None,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("actions"));
}

/// The persons of a page or `/query/` body whose distinct ids include both `a` and `b`.
fn with_both(people: &[Value], a: &str, b: &str) -> usize {
    people
        .iter()
        .filter(|p| {
            let ids = p["distinct_ids"].as_array().unwrap();
            ids.contains(&json!(a)) && ids.contains(&json!(b))
        })
        .count()
}

/// Funnel, trends, lifecycle and `/query/` (trends and funnel sources) resolve distinct ids
/// at query time: anon's event, the identify and user's event are one person's, and a
/// deleted person leaves every answer.
#[tokio::test]
async fn merged_persons_combine_and_deleted_persons_vanish() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("seen", "anon").at(at("2021-05-01T00:00:00Z")),
        Event::new("step one", "anon").at(at("2021-05-01T01:00:00Z")),
        Event::identify("user", "anon").at(at("2021-05-01T06:00:00Z")),
        Event::new("seen", "user").at(at("2021-05-02T00:00:00Z")),
        Event::new("step two", "user").at(at("2021-05-02T01:00:00Z")),
        Event::new("seen", "gone").at(at("2021-05-01T00:00:00Z")),
        Event::new("step one", "gone").at(at("2021-05-01T01:00:00Z")),
        Event::new("seen", "gone").at(at("2021-05-02T00:00:00Z")),
        Event::new("step two", "gone").at(at("2021-05-02T01:00:00Z")),
    ]);
    let legacy_funnel = with_query(
        "/api/projects/1/persons/funnel/",
        &[
            ("events", steps(&["step one", "step two"])),
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-07".to_owned()),
            ("funnel_step", "2".to_owned()),
        ],
    );
    let trends = with_query(
        "/api/projects/1/persons/trends/",
        &[
            ("interval", "month".to_owned()),
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-31".to_owned()),
            ("entity_type", "events".to_owned()),
            ("entity_id", "seen".to_owned()),
        ],
    );
    let lifecycle = |status: &str| {
        with_query(
            "/api/projects/1/persons/lifecycle/",
            &[
                (
                    "events",
                    json!([{"id": "seen", "type": "events", "order": 0}]).to_string(),
                ),
                ("date_from", "2021-05-01T00:00:00Z".to_owned()),
                ("date_to", "2021-05-07T00:00:00Z".to_owned()),
                ("interval", "day".to_owned()),
                ("target_date", "2021-05-02".to_owned()),
                ("lifecycle_type", status.to_owned()),
            ],
        )
    };
    let insight = json!({"kind": "ActorsQuery", "select": ["actor", "event_count"], "source": {
        "kind": "InsightActorsQuery", "series": 0, "day": "2021-05-01", "source": {
            "kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "seen", "math": "total"}],
            "dateRange": {"date_from": "2021-05-01", "date_to": "2021-05-31"}, "interval": "month"}}});
    let funnel = json!({"kind": "ActorsQuery", "select": ["actor"], "source": {
        "kind": "FunnelsActorsQuery", "funnelStep": 2, "source": {
            "kind": "FunnelsQuery",
            "series": [{"kind": "EventsNode", "event": "step one"}, {"kind": "EventsNode", "event": "step two"}],
            "dateRange": {"date_from": "2021-05-01", "date_to": "2021-05-07"},
            "funnelsFilter": {"funnelWindowInterval": 7, "funnelWindowIntervalUnit": "day"}}}});
    let rows = |body: &Value| -> Vec<Value> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[0].clone())
            .collect()
    };

    let (body, _) = people(&fixture, &legacy_funnel).await;
    let funnel_people = body["results"][0]["people"].as_array().unwrap().clone();
    assert_eq!(funnel_people.len(), 2, "{body}");
    assert_eq!(
        with_both(&funnel_people, "anon", "user"),
        1,
        "anon's step one and user's step two are one person's"
    );

    let (body, _) = people(&fixture, &trends).await;
    let trend_people = body["results"][0]["people"].as_array().unwrap().clone();
    assert_eq!(trend_people.len(), 2, "{body}");
    let merged = trend_people
        .iter()
        .find(|p| {
            p["distinct_ids"]
                .as_array()
                .unwrap()
                .contains(&json!("anon"))
        })
        .unwrap();
    assert_eq!(with_both(&trend_people, "anon", "user"), 1);
    assert_eq!(merged["value_at_data_point"], 2, "both ids' events count");

    let (body, _) = people(&fixture, &lifecycle("returning")).await;
    let returning = body["results"][0]["people"].as_array().unwrap().clone();
    assert_eq!(returning.len(), 2, "{body}");
    assert_eq!(with_both(&returning, "anon", "user"), 1);
    assert_eq!(
        people(&fixture, &lifecycle("new")).await.1,
        Vec::<String>::new(),
        "user's first event is not a new person's"
    );

    let (body, _) = query(&fixture, "/api/projects/1", insight.clone()).await;
    let actors = rows(&body);
    assert_eq!(actors.len(), 2, "{body}");
    assert_eq!(with_both(&actors, "anon", "user"), 1);
    let merged_row = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row[0]["distinct_ids"]
                .as_array()
                .unwrap()
                .contains(&json!("user"))
        })
        .unwrap();
    assert_eq!(merged_row[1], 2, "event_count over both ids: {body}");

    let (body, _) = query(&fixture, "/api/projects/1", funnel.clone()).await;
    let actors = rows(&body);
    assert_eq!(actors.len(), 2, "{body}");
    assert_eq!(
        with_both(&actors, "anon", "user"),
        1,
        "anon's step one and user's step two are one person's"
    );

    let gone = fixture.posthog.person(PROJECT, "gone").unwrap().uuid;
    let (status, _) = fixture
        .raw(
            Method::DELETE,
            &format!("/api/projects/1/persons/{gone}/"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    let only_merged = |people: &[Value]| {
        assert_eq!(people.len(), 1, "{people:?}");
        assert_eq!(with_both(people, "anon", "user"), 1);
    };
    let (body, _) = people(&fixture, &legacy_funnel).await;
    only_merged(body["results"][0]["people"].as_array().unwrap());
    let (body, _) = people(&fixture, &trends).await;
    only_merged(body["results"][0]["people"].as_array().unwrap());
    let (body, _) = people(&fixture, &lifecycle("returning")).await;
    only_merged(body["results"][0]["people"].as_array().unwrap());
    let (body, _) = query(&fixture, "/api/projects/1", insight).await;
    only_merged(&rows(&body));
    let (body, _) = query(&fixture, "/api/projects/1", funnel).await;
    only_merged(&rows(&body));
}

/// Action entities (the mock has no actions: `entity_type`, `actions`, an `ActionsNode`, a
/// funnel exclusion or a correlation person entity of type `actions`) and a funnel without
/// steps answer 400 with PostHog's `validation_error` body, on the legacy endpoints and
/// `/query/` alike.
#[tokio::test]
async fn action_entities_and_stepless_funnels_are_refused() {
    let fixture = fixture().await;
    fixture.seed([Event::new("seen", "ann").at(at("2021-05-01T00:00:00Z"))]);
    let expect = |status: u16, text: &str, detail: &str| {
        assert_eq!(status, 400, "{text}");
        let body: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            body,
            json!({"type": "validation_error", "code": "invalid_input", "detail": detail, "attr": null}),
            "{text}"
        );
    };
    let actions = "The mock does not model actions: use events entities.";
    let trends = with_query(
        "/api/projects/1/persons/trends/",
        &[
            ("entity_type", "actions".to_owned()),
            ("entity_id", "7".to_owned()),
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-02".to_owned()),
        ],
    );
    let (status, text) = fixture.raw(Method::GET, &trends, None).await;
    expect(status, &text, actions);
    let lifecycle = with_query(
        "/api/projects/1/persons/lifecycle/",
        &[
            (
                "actions",
                json!([{"id": 7, "type": "actions", "order": 0}]).to_string(),
            ),
            ("date_from", "2021-05-01T00:00:00Z".to_owned()),
            ("date_to", "2021-05-07T00:00:00Z".to_owned()),
            ("interval", "day".to_owned()),
            ("target_date", "2021-05-01".to_owned()),
            ("lifecycle_type", "new".to_owned()),
        ],
    );
    let (status, text) = fixture.raw(Method::GET, &lifecycle, None).await;
    expect(status, &text, actions);
    let query = json!({"query": {"kind": "ActorsQuery", "select": ["actor"], "source": {
        "kind": "InsightActorsQuery", "day": "2021-05-01", "source": {
            "kind": "TrendsQuery", "series": [{"kind": "ActionsNode", "id": 7}],
            "dateRange": {"date_from": "2021-05-01", "date_to": "2021-05-02"}, "interval": "day"}}}});
    let (status, text) = fixture
        .raw(Method::POST, "/api/projects/1/query/", Some(query))
        .await;
    expect(status, &text, actions);
    let base = [
        ("events", steps(&["seen", "paid"])),
        ("date_from", "2021-05-01".to_owned()),
        ("date_to", "2021-05-07".to_owned()),
    ];
    let action = json!({"id": 7, "type": "actions", "funnel_from_step": 0, "funnel_to_step": 1});
    let mut pairs = base.to_vec();
    pairs.push(("funnel_step", "1".to_owned()));
    pairs.push(("exclusions", json!([action]).to_string()));
    let excluded = with_query("/api/projects/1/persons/funnel/", &pairs);
    let (status, text) = fixture.raw(Method::GET, &excluded, None).await;
    expect(status, &text, actions);
    let mut pairs = base.to_vec();
    pairs.push(("funnel_correlation_type", "events".to_owned()));
    pairs.push((
        "funnel_correlation_person_entity",
        json!({"id": 7, "type": "actions"}).to_string(),
    ));
    let correlated = with_query("/api/projects/1/persons/funnel/correlation/", &pairs);
    let (status, text) = fixture.raw(Method::GET, &correlated, None).await;
    expect(status, &text, actions);
    let correlated = json!({"query": {"kind": "ActorsQuery", "source": {
        "kind": "FunnelCorrelationActorsQuery",
        "funnelCorrelationPersonEntity": {"kind": "ActionsNode", "id": 7},
        "source": {"kind": "FunnelCorrelationQuery", "funnelCorrelationType": "events", "source": {
            "kind": "FunnelsActorsQuery", "source": {"kind": "FunnelsQuery",
                "series": [{"kind": "EventsNode", "event": "seen"}, {"kind": "EventsNode", "event": "paid"}],
                "dateRange": {"date_from": "2021-05-01", "date_to": "2021-05-07"}}}}}}});
    let (status, text) = fixture
        .raw(Method::POST, "/api/projects/1/query/", Some(correlated))
        .await;
    expect(status, &text, actions);
    let funnel = with_query(
        "/api/projects/1/persons/funnel/",
        &[
            ("date_from", "2021-05-01".to_owned()),
            ("date_to", "2021-05-07".to_owned()),
            ("funnel_step", "1".to_owned()),
        ],
    );
    let (status, text) = fixture.raw(Method::GET, &funnel, None).await;
    expect(status, &text, "Funnels require at least two steps.");
}

/// S13 (`test_lifecycle_query_runner.py`, the legacy API on the same data).
pub(crate) fn s13(fixture: &Fixture) {
    let mut events = Vec::new();
    for (person, days) in [
        ("p1", &[11, 12, 13, 15, 17, 19][..]),
        ("p2", &[9, 12]),
        ("p3", &[12]),
        ("p4", &[15]),
    ] {
        for day in days {
            events.push(
                Event::new("$pageview", person).at(at(&format!("2020-01-{day:02}T12:00:00Z"))),
            );
        }
    }
    fixture.seed(events);
}

/// A day lifecycle query over `$pageview` from 2020-01-12 to 2020-01-19 (S13), with `extra`.
pub(crate) fn lifecycle(extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        (
            "events",
            json!([{"id": "$pageview", "type": "events", "order": 0}]).to_string(),
        ),
        ("date_from", "2020-01-12T00:00:00Z".to_owned()),
        ("date_to", "2020-01-19T00:00:00Z".to_owned()),
        ("interval", "day".to_owned()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    with_query("/api/projects/1/persons/lifecycle/", &pairs)
}

#[tokio::test]
async fn s13_lifecycle_buckets() {
    let fixture = fixture().await;
    s13(&fixture);
    let cases: [(&str, &str, &[&str]); 12] = [
        ("returning", "2020-01-13", &["p1"]),
        ("returning", "2020-01-12", &["p1"]),
        ("dormant", "2020-01-13", &["p2", "p3"]),
        ("dormant", "2020-01-14", &["p1"]),
        ("dormant", "2020-01-16", &["p1", "p4"]),
        ("new", "2020-01-12", &["p3"]),
        ("new", "2020-01-15T00:00:00Z", &["p4"]),
        ("resurrecting", "2020-01-12", &["p2"]),
        ("resurrecting", "2020-01-15", &["p1"]),
        ("resurrecting", "2020-01-17", &["p1"]),
        ("resurrecting", "2020-01-19T18:00:00Z", &["p1"]),
        ("zombie", "2020-01-19", &[]),
    ];
    for (status, day, expected) in cases {
        let (body, ids) = people(
            &fixture,
            &lifecycle(&[("lifecycle_type", status), ("target_date", day)]),
        )
        .await;
        assert_eq!(ids, expected, "{status} on {day}");
        assert_eq!(
            body.as_object().map(|body| body.len()),
            Some(2),
            "results and next only"
        );
        assert!(body["next"].is_null());
    }
}

#[tokio::test]
async fn inverted_and_unbounded_ranges_answer_without_failing() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let inverted = [
        ("date_from", "2021-05-07".to_owned()),
        ("date_to", "2021-05-01".to_owned()),
    ];
    let funnel = with_query(
        "/api/projects/1/persons/funnel/",
        &[
            [("events", steps(&["step one", "step two"]))].as_slice(),
            &inverted,
            &[("funnel_step", "1".to_owned())],
        ]
        .concat(),
    );
    assert!(people(&fixture, &funnel).await.1.is_empty(), "{funnel}");
    let trends = with_query(
        "/api/projects/1/persons/trends/",
        &[[("entity_id", "step one".to_owned())].as_slice(), &inverted].concat(),
    );
    assert!(people(&fixture, &trends).await.1.is_empty(), "{trends}");
    let stickiness = with_query(
        "/api/projects/1/persons/stickiness/",
        &[
            [("entity_id", "step one".to_owned())].as_slice(),
            &inverted,
            &[("stickiness_days", "1".to_owned())],
        ]
        .concat(),
    );
    assert!(people(&fixture, &stickiness).await.1.is_empty());
    let (_, ids) = query(
        &fixture,
        "/api/projects/1",
        json!({"kind": "ActorsQuery", "select": ["actor"], "source": {
            "kind": "InsightActorsQuery", "day": "2021-06-01", "source": {
                "kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "step one"}],
                "dateRange": {"date_from": "2021-05-01", "date_to": "2021-05-07", "explicitDate": true}}}}),
    )
    .await;
    assert!(
        ids.is_empty(),
        "a day after an explicit range has no persons"
    );
    // The most negative step is "dropped before a step no funnel has": nobody.
    let lowest = s1_query(&[("funnel_step", i64::MIN.to_string())]);
    assert!(people(&fixture, &lowest).await.1.is_empty());

    // `date_from=all`: every period back to the first event.
    let all = with_query(
        "/api/projects/1/persons/lifecycle/",
        &[
            ("events", steps(&["step one"])),
            ("date_from", "all".to_owned()),
            ("date_to", "2021-05-07".to_owned()),
            ("interval", "day".to_owned()),
            ("lifecycle_type", "new".to_owned()),
            ("target_date", "2021-05-01".to_owned()),
        ],
    );
    assert_eq!(people(&fixture, &all).await.1.len(), 35);

    // Weeks of the first representable days (year −9999, which the date grammar accepts, as
    // an ISO date or a relative one) start before the calendar does: no one is there.
    let week = |endpoint: &str, pairs: &[(&str, &str)]| {
        let mut query = vec![
            ("events", steps(&["step one", "step two"])),
            ("interval", "week".to_owned()),
        ];
        query.extend(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())));
        with_query(&format!("/api/projects/1/persons/{endpoint}/"), &query)
    };
    let first_weeks = [
        week(
            "lifecycle",
            &[("target_date", "-9999-01-01"), ("lifecycle_type", "new")],
        ),
        week(
            "lifecycle",
            &[
                ("date_from", "-9999-01-03"),
                ("target_date", "-9999-01-04"),
                ("lifecycle_type", "new"),
            ],
        ),
        week(
            "lifecycle",
            &[
                ("target_date", "-12025yStart"),
                ("lifecycle_type", "dormant"),
            ],
        ),
        week(
            "funnel",
            &[
                ("funnel_viz_type", "trends"),
                ("entrance_period_start", "-9999-01-01"),
                ("drop_off", "false"),
            ],
        ),
    ];
    for url in first_weeks {
        assert!(people(&fixture, &url).await.1.is_empty(), "{url}");
    }
    for (kind, day) in [
        ("LifecycleQuery", "-9999-01-01"),
        ("TrendsQuery", "-9999-01-02"),
    ] {
        let mut source = json!({
            "kind": "InsightActorsQuery", "day": day, "source": {
                "kind": kind, "interval": "week",
                "series": [{"kind": "EventsNode", "event": "step one"}]}});
        if kind == "LifecycleQuery" {
            source["status"] = json!("new");
        }
        let body = json!({"kind": "ActorsQuery", "select": ["actor"], "source": source});
        let (_, ids) = query(&fixture, "/api/projects/1", body).await;
        assert!(ids.is_empty(), "{kind} on {day}");
    }
}

#[tokio::test]
async fn lifecycle_missing_parameters_and_paging() {
    let fixture = fixture().await;
    let missing = [
        (
            vec![("lifecycle_type", "new")],
            r#"{"message":"Missing parameter","detail":"Must include specified date"}"#,
        ),
        (
            vec![("target_date", "2020-01-15")],
            r#"{"message":"Missing parameter","detail":"Must include lifecycle type"}"#,
        ),
    ];
    for (pairs, expected) in missing {
        let (status, body) = fixture.raw(Method::GET, &lifecycle(&pairs), None).await;
        assert_eq!((status, body.as_str()), (400, expected));
    }
    let empty = lifecycle(&[("target_date", ""), ("lifecycle_type", "new")]);
    let (status, body) = fixture.raw(Method::GET, &empty, None).await;
    assert_eq!(status, 400);
    assert!(
        body.contains(r#""detail":"Must include specified target date""#),
        "{body}"
    );

    // S14 (`test_lifecycle.py::test_lifecycle_trend_people_paginated`).
    fixture.seed(
        (0..150).map(|i| Event::new("$pageview", &format!("p{i}")).at(at("2020-01-15T12:00:00Z"))),
    );
    let path = lifecycle(&[
        ("lifecycle_type", "new"),
        ("target_date", "2020-01-15T00:00:00Z"),
    ]);
    let (first, ids) = people(&fixture, &path).await;
    assert_eq!(ids.len(), 100);
    let next = first["next"].as_str().expect("next");
    let response = reqwest::Client::new()
        .get(next)
        .bearer_auth(&fixture.key)
        .send()
        .await
        .unwrap();
    let (second, rest) = page(&response.text().await.unwrap());
    assert_eq!((rest.len(), &second["next"]), (50, &Value::Null));
    let (status, _) = fixture
        .raw(
            Method::GET,
            &format!(
                "/api/person/lifecycle/{}",
                &path["/api/projects/1/persons/lifecycle/".len()..]
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "legacy prefix");
}

/// S16 (`test_persons_trends.py`).
#[tokio::test]
async fn s16_trends_actors() {
    let fixture = fixture().await;
    let sign_up = |user: &str, time: &str| Event::new("sign up", user).at(at(time));
    fixture.seed([
        sign_up("person1", "2020-01-04T14:10:00Z"),
        sign_up("person2", "2020-01-04T16:30:00Z"),
        sign_up("person3", "2020-01-04T16:50:00Z"),
        sign_up("person4", "2020-01-04T19:20:00Z"),
        sign_up("person5", "2020-01-04T19:20:00Z"),
        sign_up("person6", "2019-11-05T16:30:00Z"),
        sign_up("person7", "2019-11-07T16:50:00Z"),
        sign_up("person1", "2019-11-27T16:50:00Z"),
        sign_up("outside_range", "2020-01-04T13:50:00Z"),
        sign_up("outside_range", "2020-01-04T15:50:00Z"),
    ]);
    let trends = |interval: &str, from: &str, to: &str| {
        with_query(
            "/api/projects/1/persons/trends/",
            &[
                ("interval", interval.to_owned()),
                ("date_from", from.to_owned()),
                ("date_to", to.to_owned()),
                ("entity_type", "events".to_owned()),
                ("entity_id", "sign up".to_owned()),
            ],
        )
    };
    assert_eq!(
        people(
            &fixture,
            &trends("hour", "2020-01-04 14:00:00", "2020-01-04 14:59:59")
        )
        .await
        .1,
        ["person1"]
    );
    assert_eq!(
        people(
            &fixture,
            &trends("hour", "2020-01-04 16:00:00", "2020-01-04 16:59:59")
        )
        .await
        .1,
        ["person2", "person3"]
    );
    assert_eq!(
        people(&fixture, &trends("week", "2019-11-01", "2019-11-07"))
            .await
            .1,
        ["person6", "person7"]
    );
    assert_eq!(
        people(&fixture, &trends("month", "2019-11-01", "2019-11-30"))
            .await
            .1,
        ["person1", "person6", "person7"]
    );
    let (body, _) = people(&fixture, &trends("day", "2020-01-04", "2020-01-04")).await;
    let values: Vec<(&str, i64)> = body["results"][0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["distinct_ids"][0].as_str().unwrap(),
                p["value_at_data_point"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values[0],
        ("outside_range", 2),
        "value descending: {values:?}"
    );
    assert_eq!(values.len(), 6);
    let (status, body) = fixture
        .raw(
            Method::GET,
            "/api/projects/1/persons/trends/?entity_type=actions",
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("An entity id and the entity type must be provided to determine an entity")
    );
}

#[tokio::test]
async fn trends_breakdowns_with_the_none_bucket() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("view", "chrome")
            .property("$browser", "Chrome")
            .at(at("2020-01-04T10:00:00Z")),
        Event::new("view", "none").at(at("2020-01-04T10:00:00Z")),
        Event::new("view", "fr")
            .set("country", "FR")
            .at(at("2020-01-04T11:00:00Z")),
    ]);
    let query = |kind: &str, key: &str, value: &str| {
        with_query(
            "/api/projects/1/persons/trends/",
            &[
                ("date_from", "2020-01-04".to_owned()),
                ("date_to", "2020-01-04".to_owned()),
                ("entity_id", "view".to_owned()),
                ("breakdown", key.to_owned()),
                ("breakdown_type", kind.to_owned()),
                ("breakdown_value", value.to_owned()),
            ],
        )
    };
    assert_eq!(
        people(&fixture, &query("event", "$browser", "Chrome"))
            .await
            .1,
        ["chrome"]
    );
    assert_eq!(
        people(&fixture, &query("event", "$browser", "")).await.1,
        ["fr", "none"]
    );
    assert_eq!(
        people(&fixture, &query("person", "country", "FR")).await.1,
        ["fr"]
    );
}

#[tokio::test]
async fn stickiness_counts_active_intervals() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("view", "once").at(at("2020-01-02T10:00:00Z")),
        Event::new("view", "twice").at(at("2020-01-02T10:00:00Z")),
        Event::new("view", "twice").at(at("2020-01-02T11:00:00Z")),
        Event::new("view", "twice").at(at("2020-01-04T10:00:00Z")),
    ]);
    let query = |k: &str| {
        format!(
            "/api/projects/1/persons/stickiness/?entity_id=view&date_from=2020-01-01&date_to=2020-01-07&stickiness_days={k}"
        )
    };
    assert_eq!(people(&fixture, &query("1")).await.1, ["once"]);
    assert_eq!(people(&fixture, &query("2")).await.1, ["twice"]);
    assert!(people(&fixture, &query("3")).await.1.is_empty());
    assert_eq!(
        people(&fixture, &format!("{}&selected_interval=2", query("0")))
            .await
            .1,
        ["twice"],
        "stickiness_days=0 falls back to selected_interval, as Python's `or` does"
    );
}

/// Without `stickiness_days` (or `selected_interval`) PostHog's `SelectedIntervalMixin` reads
/// K = 0, and its `num_intervals = 0` matches nobody: an empty 200 page, not an error. A value
/// Python's `int` refuses (the empty string too) is its `ValueError`, a 500.
#[tokio::test]
async fn stickiness_without_a_day_count_lists_nobody() {
    let fixture = fixture().await;
    fixture.seed([Event::new("view", "once").at(at("2020-01-02T10:00:00Z"))]);
    let path = "/api/projects/1/persons/stickiness/?entity_id=view&date_from=2020-01-01&date_to=2020-01-07";
    let (status, body) = fixture.raw(Method::GET, path, None).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            body["results"][0]["count"].clone(),
            body["results"][0]["people"].clone(),
            body["next"].clone()
        ),
        (json!(0), json!([]), Value::Null)
    );
    for bad in ["", "x", "1.5"] {
        let (status, body) = fixture
            .raw(Method::GET, &format!("{path}&stickiness_days={bad}"), None)
            .await;
        assert_eq!(status, 500, "{bad:?}: {body}");
    }
}

#[tokio::test]
async fn the_generated_client_reads_funnel_and_lifecycle_actors() {
    let fixture = fixture().await;
    s13(&fixture);
    let page = fixture
        .client
        .generated()
        .persons_lifecycle_retrieve()
        .project_id("1")
        .events(json!([{"id": "$pageview", "type": "events"}]).to_string())
        .date_from("2020-01-12T00:00:00Z")
        .date_to("2020-01-19T00:00:00Z")
        .target_date("2020-01-13")
        .lifecycle_type("dormant")
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(page.results[0].count, 2);
    assert!(page.next.is_none());
    let funnel = fixture
        .client
        .generated()
        .persons_funnel_create()
        .project_id("1")
        .body(serde_json::Map::from_iter([
            ("events".to_owned(), json!([{"id": "$pageview"}])),
            ("date_from".to_owned(), json!("2020-01-01")),
            ("date_to".to_owned(), json!("2020-01-31")),
            ("funnel_step".to_owned(), json!(1)),
        ]))
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(funnel.results[0].people.len(), 4);
}

/// S12 (`TestFunnelCorrelationActors::test_pagination`) and the correlation errors.
#[tokio::test]
async fn s12_correlation_persons_page_by_their_own_parameters() {
    let fixture = fixture().await;
    let mut events = Vec::new();
    for i in 0..10 {
        let user = format!("user_{i}");
        events.push(Event::new("user signed up", &user).at(at("2020-01-02T14:00:00Z")));
        events.push(Event::new("positively_related", &user).at(at("2020-01-03T14:00:00Z")));
        events.push(Event::new("paid", &user).at(at("2020-01-04T14:00:00Z")));
    }
    events.push(Event::new("user signed up", "dropper").at(at("2020-01-02T14:00:00Z")));
    events.push(Event::new("positively_related", "dropper").at(at("2020-01-03T14:00:00Z")));
    fixture.seed(events);
    let query = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("events", steps(&["user signed up", "paid"])),
            ("date_from", "2020-01-01".to_owned()),
            ("date_to", "2020-01-14".to_owned()),
            ("funnel_correlation_type", "events".to_owned()),
            (
                "funnel_correlation_person_entity",
                json!({"id": "positively_related", "type": "events"}).to_string(),
            ),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        with_query("/api/projects/1/persons/funnel/correlation/", &pairs)
    };
    let mut path = query(&[
        ("funnel_correlation_person_converted", "TRUE"),
        ("funnel_correlation_person_limit", "4"),
    ]);
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    loop {
        let (body, ids) = people(&fixture, &path).await;
        sizes.push(ids.len());
        all.extend(ids);
        match body["next"].as_str() {
            Some(next) => {
                let offset = 4 * sizes.len();
                assert!(
                    next.starts_with("http://")
                        && next.ends_with(&format!("funnel_correlation_person_offset={offset}")),
                    "{next}"
                );
                path = next[fixture.posthog.base_url().len()..].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(all.len(), 10);
    all.sort();
    assert_eq!(
        people(
            &fixture,
            &query(&[("funnel_correlation_person_converted", "false")])
        )
        .await
        .1,
        ["dropper"]
    );
    assert_eq!(
        people(&fixture, &query(&[])).await.1.len(),
        11,
        "converted or not"
    );
    let correlation = |converted: bool| {
        json!({"kind": "ActorsQuery", "source": {
            "kind": "FunnelCorrelationActorsQuery",
            "funnelCorrelationPersonConverted": converted,
            "funnelCorrelationPersonEntity": {"kind": "EventsNode", "event": "positively_related"},
            "source": {"kind": "FunnelCorrelationQuery", "funnelCorrelationType": "events", "source": {
                "kind": "FunnelsActorsQuery", "source": {"kind": "FunnelsQuery",
                    "series": [{"kind": "EventsNode", "event": "user signed up"}, {"kind": "EventsNode", "event": "paid"}],
                    "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-14"}}}}}})
    };
    assert_eq!(
        self::query(&fixture, "/api/projects/1", correlation(true))
            .await
            .1,
        all,
        "the same persons through /query/"
    );
    assert_eq!(
        self::query(&fixture, "/api/projects/1", correlation(false))
            .await
            .1,
        ["dropper"]
    );
    let (status, body) = fixture
        .raw(
            Method::GET,
            "/api/projects/1/persons/funnel/correlation/?events=[{\"id\":\"paid\"}]",
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("No entity for persons specified"), "{body}");
    let (status, body) = fixture
        .raw(Method::GET, "/api/person/funnel/correlation/?events=[{\"id\":\"paid\"}]&funnel_correlation_type=properties", None)
        .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("Property Correlation expects atleast one Property to get persons for"),
        "{body}"
    );
}

/// Funnel trends actors (`funnel_trends_persons.py`): who entered in the period at
/// `entrance_period_start` and converted (or, with `drop_off`, did not), with its errors.
#[tokio::test]
async fn funnel_trends_entrance_period_and_drop_off() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let trends = |extra: &[(&str, &str)]| {
        let mut pairs = vec![("funnel_viz_type", "trends".to_owned())];
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        s1_query(&pairs)
    };
    let entered = ("entrance_period_start", "2021-05-01 00:00:00");
    assert_eq!(
        count(&fixture, &trends(&[entered, ("drop_off", "false")])).await,
        5
    );
    assert_eq!(
        count(&fixture, &trends(&[entered, ("drop_off", "True")])).await,
        30
    );
    let to_two = [entered, ("drop_off", "false"), ("funnel_to_step", "1")];
    assert_eq!(count(&fixture, &trends(&to_two)).await, 15);
    let later = [
        ("entrance_period_start", "2021-05-02"),
        ("drop_off", "false"),
    ];
    assert_eq!(count(&fixture, &trends(&later)).await, 0);
    let errors = [
        (
            vec![entered],
            "Filter parameter drop_off must be provided and a bool for funnel trends persons!",
        ),
        (
            vec![("drop_off", "false")],
            "Filter parameter entrance_period_start must be provided and a datetime for funnel trends persons!",
        ),
        // PostHog's `ValidateFunnelStepRange`, for these three steps.
        (
            vec![entered, ("drop_off", "true"), ("funnel_from_step", "2")],
            "funnelFromStep is out of bounds. It must be between 0 and 1.",
        ),
        (
            vec![entered, ("drop_off", "true"), ("funnel_to_step", "0")],
            "funnelToStep is out of bounds. It must be between 1 and 2.",
        ),
        (
            vec![
                entered,
                ("drop_off", "true"),
                ("funnel_from_step", "1"),
                ("funnel_to_step", "1"),
            ],
            "Funnel step range is invalid. funnelToStep should be greater than funnelFromStep.",
        ),
    ];
    for (pairs, detail) in errors {
        let (status, body) = fixture.raw(Method::GET, &trends(&pairs), None).await;
        assert_eq!(status, 400);
        assert!(body.contains(detail), "{body}");
    }
}

/// The older way to ask for funnel trends persons: no `funnel_viz_type` and
/// `display=ActionsLineGraph` (PostHog's `FunnelTypeMixin.funnel_viz_type` backwards
/// compatibility; the endpoint's filter always has `insight=FUNNELS`) reads the funnel-trends
/// parameters; an explicit `funnel_viz_type` wins over `display`.
#[tokio::test]
async fn funnel_persons_read_the_line_graph_display_as_funnel_trends() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let entered = [
        ("entrance_period_start", "2021-05-01 00:00:00".to_owned()),
        ("drop_off", "true".to_owned()),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs = entered.to_vec();
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        s1_query(&pairs)
    };
    let display = ("display", "ActionsLineGraph");
    assert_eq!(
        count(&fixture, &with(&[display])).await,
        count(&fixture, &with(&[("funnel_viz_type", "trends")])).await,
        "display=ActionsLineGraph alone asks funnel trends"
    );
    assert_eq!(count(&fixture, &with(&[display])).await, 30);
    let (status, body) = fixture
        .raw(
            Method::GET,
            &s1_query(&[("display", "ActionsLineGraph".to_owned())]),
            None,
        )
        .await;
    assert_eq!(status, 400, "funnel trends need their parameters: {body}");
    assert!(body.contains("for funnel trends persons!"), "{body}");
    let steps = with(&[display, ("funnel_viz_type", "steps"), ("funnel_step", "2")]);
    assert_eq!(count(&fixture, &steps).await, 15, "funnel_viz_type wins");
    let table = with(&[("display", "ActionsTable"), ("funnel_step", "2")]);
    assert_eq!(
        count(&fixture, &table).await,
        15,
        "another display is steps"
    );
}

/// PostHog's `test_funnel_trends.py::test_one_person_in_multiple_periods_and_windows` and its
/// `_in_unordered_funnel` and `_in_strict_funnel` variants: user_one completes the funnel on
/// 05-01, drops off on 05-03 (the window, one day, closes before the steps of 05-04) and
/// completes it again on 05-04; user_two only enters on 05-04. A person counts in each period
/// with what that period's attempts reached (PostHog asserts the persons of 05-04 and the
/// counts; the persons listed here are those behind its counts), through the legacy endpoint
/// and `/query/`'s `FunnelsActorsQuery` alike. Then `test_from_second_step`'s
/// `funnel_from_step`: dropping off counts only from that step.
#[tokio::test]
async fn funnel_trends_count_a_person_in_each_entrance_period() {
    /// An event: its name, distinct id and time.
    type Step = (&'static str, &'static str, &'static str);
    let journeys: [(&str, &[Step]); 3] = [
        (
            "ordered",
            &[
                ("step one", "user_one", "2021-05-01T01:00:00Z"),
                ("step two", "user_one", "2021-05-01T02:00:00Z"),
                ("step three", "user_one", "2021-05-01T03:00:00Z"),
                ("step one", "user_one", "2021-05-03T01:00:00Z"),
                ("step two", "user_one", "2021-05-03T02:00:00Z"),
                ("step one", "user_one", "2021-05-04T11:00:00Z"),
                ("step two", "user_one", "2021-05-04T12:00:00Z"),
                ("step three", "user_one", "2021-05-04T13:00:00Z"),
                ("step one", "user_two", "2021-05-04T18:00:00Z"),
            ],
        ),
        (
            "unordered",
            &[
                ("step one", "user_one", "2021-05-01T01:00:00Z"),
                ("step three", "user_one", "2021-05-01T02:00:00Z"),
                ("step two", "user_one", "2021-05-01T03:00:00Z"),
                ("step two", "user_one", "2021-05-03T01:00:00Z"),
                ("step one", "user_one", "2021-05-03T02:00:00Z"),
                ("step three", "user_one", "2021-05-04T11:00:00Z"),
                ("step one", "user_one", "2021-05-04T12:00:00Z"),
                ("step two", "user_one", "2021-05-04T13:00:00Z"),
                ("step one", "user_two", "2021-05-04T18:00:00Z"),
            ],
        ),
        (
            "strict",
            &[
                ("step one", "user_one", "2021-05-01T01:00:00Z"),
                ("step two", "user_one", "2021-05-01T02:00:00Z"),
                ("step three", "user_one", "2021-05-01T03:00:00Z"),
                ("step one", "user_one", "2021-05-03T01:00:00Z"),
                ("step two", "user_one", "2021-05-03T02:00:00Z"),
                ("blah", "user_one", "2021-05-03T02:30:00Z"),
                ("step three", "user_one", "2021-05-03T03:00:00Z"),
                ("step one", "user_one", "2021-05-04T11:00:00Z"),
                ("step two", "user_one", "2021-05-04T12:00:00Z"),
                ("step three", "user_one", "2021-05-04T13:00:00Z"),
                ("step one", "user_two", "2021-05-04T18:00:00Z"),
                ("blah", "user_two", "2021-05-04T18:20:00Z"),
                ("step two", "user_two", "2021-05-04T19:00:00Z"),
            ],
        ),
    ];
    let series = json!([
        {"kind": "EventsNode", "event": "step one"},
        {"kind": "EventsNode", "event": "step two"},
        {"kind": "EventsNode", "event": "step three"}
    ]);
    for (order, events) in journeys {
        let fixture = fixture().await;
        fixture.seed(
            events
                .iter()
                .map(|(name, user, time)| Event::new(name, user).at(at(time))),
        );
        let expected: [(&str, bool, &[&str]); 6] = [
            ("2021-05-01 00:00:00", false, &["user_one"]),
            ("2021-05-01 00:00:00", true, &[]),
            ("2021-05-02 00:00:00", true, &[]),
            ("2021-05-03 00:00:00", true, &["user_one"]),
            ("2021-05-04 00:00:00", false, &["user_one"]),
            ("2021-05-04 00:00:00", true, &["user_two"]),
        ];
        for (period, dropped, persons) in expected {
            let path = with_query(
                "/api/projects/1/persons/funnel/",
                &[
                    ("events", steps(&["step one", "step two", "step three"])),
                    ("funnel_viz_type", "trends".to_owned()),
                    ("interval", "day".to_owned()),
                    ("date_from", "2021-05-01 00:00:00".to_owned()),
                    ("date_to", "2021-05-04 23:59:59".to_owned()),
                    ("funnel_window_interval", "1".to_owned()),
                    ("funnel_order_type", order.to_owned()),
                    ("entrance_period_start", period.to_owned()),
                    ("drop_off", dropped.to_string()),
                ],
            );
            let legacy = people(&fixture, &path).await.1;
            assert_eq!(legacy, persons, "{order} {period} drop_off={dropped}");
            let actors = json!({"kind": "ActorsQuery", "select": ["actor"], "source": {
                "kind": "FunnelsActorsQuery",
                "funnelTrendsEntrancePeriodStart": period,
                "funnelTrendsDropOff": dropped,
                "source": {"kind": "FunnelsQuery", "series": series, "interval": "day",
                    "dateRange": {"date_from": "2021-05-01 00:00:00", "date_to": "2021-05-04 23:59:59"},
                    "funnelsFilter": {"funnelVizType": "trends", "funnelOrderType": order,
                        "funnelWindowInterval": 1, "funnelWindowIntervalUnit": "day"}}}});
            let queried = query(&fixture, "/api/environments/1", actors).await.1;
            assert_eq!(
                queried, persons,
                "/query/ {order} {period} drop_off={dropped}"
            );
        }
    }

    let fixture = fixture().await;
    fixture.seed([
        Event::new("step one", "user_one").at(at("2021-05-01T01:00:00Z")),
        Event::new("step two", "user_one").at(at("2021-05-02T02:00:00Z")),
        Event::new("step three", "user_one").at(at("2021-05-02T03:00:00Z")),
        Event::new("step one", "user_two").at(at("2021-05-01T01:00:00Z")),
        Event::new("step two", "user_three").at(at("2021-05-02T02:00:00Z")),
        Event::new("step three", "user_three").at(at("2021-05-02T03:00:00Z")),
        Event::new("step one", "user_four").at(at("2021-05-02T01:00:00Z")),
        Event::new("step two", "user_four").at(at("2021-05-02T02:00:00Z")),
    ]);
    for (period, dropped, persons) in [
        ("2021-05-01", false, vec!["user_one"]),
        ("2021-05-01", true, vec![]),
        ("2021-05-02", true, vec!["user_four"]),
    ] {
        let path = with_query(
            "/api/projects/1/persons/funnel/",
            &[
                ("events", steps(&["step one", "step two", "step three"])),
                ("funnel_viz_type", "trends".to_owned()),
                ("date_from", "2021-05-01 00:00:00".to_owned()),
                ("date_to", "2021-05-02 23:59:59".to_owned()),
                ("funnel_window_days", "3".to_owned()),
                ("funnel_from_step", "1".to_owned()),
                ("entrance_period_start", period.to_owned()),
                ("drop_off", dropped.to_string()),
            ],
        );
        assert_eq!(
            people(&fixture, &path).await.1,
            persons,
            "{period} {dropped}"
        );
    }
}

/// POSTs an ActorsQuery to `/query/`, expecting 200; the body and the rows' distinct ids
/// (from the `actor` column when it is the first), sorted.
pub(crate) async fn query(fixture: &Fixture, prefix: &str, query: Value) -> (Value, Vec<String>) {
    let (status, text) = fixture
        .raw(
            Method::POST,
            &format!("{prefix}/query/"),
            Some(json!({"query": query})),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let mut ids: Vec<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| Some(row[0]["distinct_ids"][0].as_str()?.to_owned()))
        .collect();
    ids.sort();
    (body, ids)
}

/// The legacy endpoints and `/query/` (`personsModalLogic.ts`'s ActorsQuery) give the same
/// persons: S1's funnel steps, S13's lifecycle buckets, S16's trends data points.
#[tokio::test]
async fn query_actors_query_matches_the_legacy_endpoints() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let funnel = |step: i64| {
        json!({"kind": "ActorsQuery", "select": ["actor", "created_at"], "source": {
            "kind": "FunnelsActorsQuery", "funnelStep": step, "source": {
                "kind": "FunnelsQuery",
                "series": [{"kind": "EventsNode", "event": "step one"}, {"kind": "EventsNode", "event": "step two"}, {"kind": "EventsNode", "event": "step three"}],
                "dateRange": {"date_from": "2021-05-01 00:00:00", "date_to": "2021-05-07 00:00:00"},
                "funnelsFilter": {"funnelWindowInterval": 7, "funnelWindowIntervalUnit": "day"}}}})
    };
    for step in [1, 2, 3, -2, -3] {
        let legacy = people(&fixture, &s1_query(&[("funnel_step", step.to_string())]))
            .await
            .1;
        let (body, ids) = query(&fixture, "/api/projects/1", funnel(step)).await;
        assert_eq!(ids, legacy, "funnelStep {step}");
        assert_eq!(body["columns"], json!(["actor", "created_at"]));
        assert_eq!(body["hasMore"], false);
    }
    let mut paged = funnel(1);
    paged["limit"] = json!(20);
    paged["offset"] = json!(20);
    let (body, ids) = query(&fixture, "/api/environments/1", paged).await;
    assert_eq!(
        (ids.len(), &body["hasMore"], &body["offset"]),
        (15, &json!(false), &json!(20))
    );
    assert_eq!(
        body["hogql"], "SELECT actor, created_at FROM actors LIMIT 21 OFFSET 20",
        "PostHog's ActorsQueryResponse requires hogql"
    );
    paged = funnel(1);
    paged["limit"] = json!(20);
    let (body, _) = query(&fixture, "/api/projects/1", paged).await;
    assert_eq!(body["hasMore"], true);

    let lifecycle_fixture = self::fixture().await;
    s13(&lifecycle_fixture);
    for (status, day, expected) in [
        ("dormant", "2020-01-16", vec!["p1", "p4"]),
        ("resurrecting", "2020-01-12", vec!["p2"]),
    ] {
        let q = json!({"kind": "ActorsQuery", "select": ["actor"], "source": {
            "kind": "InsightActorsQuery", "day": day, "status": status, "source": {
                "kind": "LifecycleQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}],
                "dateRange": {"date_from": "2020-01-12T00:00:00Z", "date_to": "2020-01-19T00:00:00Z"}, "interval": "day"}}});
        assert_eq!(
            query(&lifecycle_fixture, "/api/projects/1", q).await.1,
            expected,
            "{status} {day}"
        );
    }

    let trends_fixture = self::fixture().await;
    trends_fixture.seed([
        Event::new("sign up", "person1").at(at("2020-01-04T14:10:00Z")),
        Event::new("sign up", "person2").at(at("2020-01-04T16:30:00Z")),
        Event::new("sign up", "person2").at(at("2020-01-04T16:40:00Z")),
        Event::new("sign up", "person3").at(at("2020-01-04T16:50:00Z")),
    ]);
    let q = json!({"kind": "ActorsQuery", "select": ["actor", "event_count"], "source": {
        "kind": "InsightActorsQuery", "series": 0, "day": "2020-01-04T16:00:00Z", "source": {
            "kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "sign up", "math": "total"}],
            "dateRange": {"date_from": "2020-01-04", "date_to": "2020-01-04"}, "interval": "hour"}}});
    let (body, ids) = query(&trends_fixture, "/api/projects/1", q).await;
    assert_eq!(ids, ["person2", "person3"]);
    assert_eq!(body["results"][0][1], 2, "event_count descending: {body}");
}

#[tokio::test]
async fn query_persons_list_search_and_errors() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("x", "ben")
            .set("email", "ben@example.com")
            .at(at("2020-01-01T00:00:00Z")),
        Event::new("x", "ann")
            .set("email", "ann@example.com")
            .at(at("2020-01-02T00:00:00Z")),
        Event::new("x", "bob")
            .set("email", "bob@other.com")
            .at(at("2020-01-03T00:00:00Z")),
    ]);
    let (body, _) = query(
        &fixture,
        "/api/projects/1",
        json!({"kind": "ActorsQuery", "select": ["id", "created_at"]}),
    )
    .await;
    let created: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[1].as_str().unwrap())
        .collect();
    assert_eq!(
        created,
        [
            "2020-01-03T00:00:00Z",
            "2020-01-02T00:00:00Z",
            "2020-01-01T00:00:00Z"
        ],
        "created_at DESC when selected"
    );
    let (_, ids) = query(
        &fixture,
        "/api/projects/1",
        json!({"kind": "ActorsQuery", "search": "example"}),
    )
    .await;
    assert_eq!(ids, ["ann", "ben"]);
    let (body, _) = query(
        &fixture,
        "/api/projects/1",
        json!({"kind": "ActorsQuery", "orderBy": ["person"], "limit": 2}),
    )
    .await;
    let first = body["results"][0][0]["properties"]["email"]
        .as_str()
        .unwrap();
    assert_eq!((first, &body["hasMore"]), ("ann@example.com", &json!(true)));
    let (status, text) = fixture
        .raw(
            Method::POST,
            "/api/projects/1/query/",
            Some(json!({"query": {"kind": "HogQLQuery", "query": "select 1"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        text.contains("The mock runs ActorsQuery only") && text.contains("HogQLQuery"),
        "{text}"
    );
    let scoped = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).with_scopes(["person:read"]));
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/projects/1/query/",
            fixture.posthog.base_url()
        ))
        .bearer_auth(scoped)
        .json(&json!({"query": {"kind": "ActorsQuery"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403, "query:read is required");
}
