//! `format=csv` on the insight actors endpoints (funnel, funnel/correlation, trends,
//! lifecycle, stickiness): djangorestframework-csv's `PaginatedCSVRenderer` renders the page's
//! one `results` element as one row of flattened columns under a sorted header; escaping,
//! paging, content negotiation and errors.

use persons_mock::posthog::Event;
use serde_json::{Map, Value, json};

use crate::insights;
use crate::support::Fixture;

/// Three persons of a two-step funnel: `tricky` (converted, with properties that need
/// escaping), `plain` (converted), `quitter` (dropped off).
async fn fixture() -> Fixture {
    let fixture = insights::fixture().await;
    // 2020-01-02 12:00 UTC, then steps an hour apart.
    let day = 1_577_966_400;
    fixture.seed([
        Event::new("sign up", "tricky")
            .at(day)
            .set("email", "t@example.com")
            .set("note", "a, \"quoted\"\nline")
            .set("score", 1.5)
            .set("vip", true),
        Event::new("buy", "tricky").at(day + 3_600),
        Event::new("sign up", "plain").at(day + 60),
        Event::new("buy", "plain").at(day + 3_660),
        Event::new("sign up", "quitter").at(day + 120),
    ]);
    fixture
}

/// `GET` (or `POST` with `body`) `path` with an optional `Accept`; status, content type and
/// body.
async fn call(
    fixture: &Fixture,
    path: &str,
    accept: Option<&str>,
    body: Option<Value>,
) -> (u16, String, String) {
    let url = format!("{}{path}", fixture.posthog.base_url());
    let http = reqwest::Client::new();
    let mut request = match &body {
        Some(body) => http.post(url).json(body),
        None => http.get(url),
    }
    .bearer_auth(&fixture.key);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("a body"))
}

/// RFC 4180 records (quoted cells may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && record.is_empty(),
        "ends with CRLF: {text:?}"
    );
    records
}

/// The expected cells of a JSON value, as djangorestframework-csv flattens it (written
/// independently of the mock's renderer).
fn flattened(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    let key = |child: String| {
        if prefix.is_empty() {
            child
        } else {
            format!("{prefix}.{child}")
        }
    };
    match value {
        Value::Object(map) => {
            for (child, value) in map {
                flattened(&key(child.clone()), value, out);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                flattened(&key(index.to_string()), value, out);
            }
        }
        other => {
            let text = match other {
                Value::Bool(true) => "True".to_owned(),
                Value::Bool(false) => "False".to_owned(),
                Value::Null => String::new(),
                Value::String(text) => text.clone(),
                Value::Number(number) if number.is_f64() => {
                    format!("{:?}", number.as_f64().unwrap_or_default())
                }
                number => number.to_string(),
            };
            out.insert(prefix.to_owned(), Value::String(text));
        }
    }
}

/// Asks `path` as JSON and as CSV; asserts the CSV is the JSON page's `results[0]` as one row
/// under the sorted header, and returns that row by column.
async fn csv_matches_json(
    fixture: &Fixture,
    path: &str,
    body: Option<Value>,
) -> Map<String, Value> {
    let (status, _, json_text) = call(fixture, path, None, body.clone()).await;
    assert_eq!(status, 200, "{path}: {json_text}");
    let page: Value = serde_json::from_str(&json_text).expect("JSON");
    let separator = if path.contains('?') { '&' } else { '?' };
    let (status, content_type, csv) =
        call(fixture, &format!("{path}{separator}format=csv"), None, body).await;
    assert_eq!(status, 200, "{path}: {csv}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let mut expected = Map::new();
    flattened("", &page["results"][0], &mut expected);
    let records = parse_csv(&csv);
    assert_eq!(records.len(), 2, "one header row and one row: {csv:?}");
    let mut header: Vec<&String> = expected.keys().collect();
    header.sort();
    assert_eq!(records[0].iter().collect::<Vec<_>>(), header, "{csv:?}");
    let row: Map<String, Value> = records[0]
        .iter()
        .cloned()
        .zip(records[1].iter().map(|cell| json!(cell)))
        .collect();
    assert_eq!(row, expected);
    assert!(!csv.contains("next"), "no `next` in CSV: {csv:?}");
    row
}

const FUNNEL: &str =
    r#"[{"id":"sign up","type":"events","order":0},{"id":"buy","type":"events","order":1}]"#;

fn funnel_path(extra: &str) -> String {
    format!(
        "/api/projects/1/persons/funnel/?events={}&date_from=2020-01-01&date_to=2020-01-08{extra}",
        urlencode(FUNNEL)
    )
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn funnel_csv_is_one_row_with_escaped_properties() {
    let fixture = fixture().await;
    let row = csv_matches_json(&fixture, &funnel_path("&funnel_step=1"), None).await;
    assert_eq!(row["count"], json!("3"));
    let tricky = (0..3)
        .map(|index| format!("people.{index}"))
        .find(|person| row.get(&format!("{person}.distinct_ids.0")) == Some(&json!("tricky")))
        .expect("tricky is on the page");
    assert_eq!(
        row[&format!("{tricky}.properties.note")],
        json!("a, \"quoted\"\nline")
    );
    assert_eq!(row[&format!("{tricky}.properties.score")], json!("1.5"));
    assert_eq!(row[&format!("{tricky}.properties.vip")], json!("True"));
    assert_eq!(row[&format!("{tricky}.is_identified")], json!("False"));
    assert_eq!(row[&format!("{tricky}.value_at_data_point")], json!(""));
    assert!(
        !row.keys().any(|key| key.contains("matched_recordings")),
        "an empty list gives no column"
    );
    let (_, _, raw) = call(
        &fixture,
        &funnel_path("&funnel_step=1&format=csv"),
        None,
        None,
    )
    .await;
    assert!(raw.contains("\"a, \"\"quoted\"\"\nline\""), "{raw:?}");
    assert!(raw.starts_with("count,people.0.created_at,people.0.distinct_ids.0,"));
    assert!(raw.ends_with("\r\n"));

    // POST: the body is the filter, `format` stays in the query string.
    let body = json!({"events": serde_json::from_str::<Value>(FUNNEL).unwrap(),
                      "date_from": "2020-01-01", "date_to": "2020-01-08", "funnel_step": -2});
    let row = csv_matches_json(&fixture, "/api/projects/1/persons/funnel/", Some(body)).await;
    assert_eq!(row["count"], json!("1"));
    assert_eq!(row["people.0.distinct_ids.0"], json!("quitter"));
}

#[tokio::test]
async fn csv_pages_with_limit_and_offset_and_an_empty_page_is_its_count() {
    let fixture = fixture().await;
    let first = csv_matches_json(&fixture, &funnel_path("&funnel_step=1&limit=2"), None).await;
    assert_eq!(first["count"], json!("2"));
    assert!(!first.keys().any(|key| key.starts_with("people.2.")));
    let second = csv_matches_json(
        &fixture,
        &funnel_path("&funnel_step=1&limit=2&offset=2"),
        None,
    )
    .await;
    assert_eq!(second["count"], json!("1"));
    let mut ids: Vec<&str> = [
        &first["people.0.distinct_ids.0"],
        &first["people.1.distinct_ids.0"],
        &second["people.0.distinct_ids.0"],
    ]
    .iter()
    .filter_map(|id| id.as_str())
    .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["plain", "quitter", "tricky"],
        "the pages cover everyone once"
    );
    let (status, _, empty) = call(
        &fixture,
        &funnel_path("&funnel_step=1&offset=10&format=csv"),
        None,
        None,
    )
    .await;
    assert_eq!((status, empty.as_str()), (200, "count\r\n0\r\n"));
}

#[tokio::test]
async fn correlation_trends_lifecycle_and_stickiness_answer_csv() {
    let fixture = fixture().await;
    let correlation = format!(
        "/api/projects/1/persons/funnel/correlation/?events={}&date_from=2020-01-01&date_to=2020-01-08&funnel_correlation_type=properties&funnel_correlation_property_values={}",
        urlencode(FUNNEL),
        urlencode(r#"[{"key":"vip","value":true,"operator":"exact","type":"person"}]"#)
    );
    let row = csv_matches_json(&fixture, &correlation, None).await;
    assert_eq!(row["people.0.distinct_ids.0"], json!("tricky"));
    let trends = "/api/projects/1/persons/trends/?entity_id=sign%20up&entity_type=events&date_from=2020-01-01&date_to=2020-01-08";
    let row = csv_matches_json(&fixture, trends, None).await;
    assert_eq!(row["count"], json!("3"));
    assert_eq!(row["people.0.value_at_data_point"], json!("1"));
    let lifecycle = format!(
        "/api/projects/1/persons/lifecycle/?events={}&date_from=2020-01-01&date_to=2020-01-08&target_date=2020-01-02&lifecycle_type=new",
        urlencode(r#"[{"id":"sign up","type":"events","order":0}]"#)
    );
    assert_eq!(
        csv_matches_json(&fixture, &lifecycle, None).await["count"],
        json!("3")
    );
    let stickiness = "/api/projects/1/persons/stickiness/?entity_id=buy&entity_type=events&date_from=2020-01-01&date_to=2020-01-08&stickiness_days=1";
    assert_eq!(
        csv_matches_json(&fixture, stickiness, None).await["count"],
        json!("2")
    );
    for prefix in ["/api/environments/1/persons", "/api/person"] {
        let path =
            format!("{prefix}/trends/?entity_id=buy&date_from=2020-01-01&date_to=2020-01-08");
        assert_eq!(
            csv_matches_json(&fixture, &path, None).await["count"],
            json!("2")
        );
    }
}

#[tokio::test]
async fn accept_header_negotiates_and_bad_formats_are_refused() {
    let fixture = fixture().await;
    let path = funnel_path("&funnel_step=2");
    let (status, content_type, body) = call(&fixture, &path, Some("text/csv"), None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/csv; charset=utf-8")
    );
    assert!(body.starts_with("count,"), "{body}");
    let (_, content_type, _) =
        call(&fixture, &path, Some("application/json, text/csv"), None).await;
    assert_eq!(
        content_type, "application/json",
        "equally specific: JSON first"
    );
    let (status, content_type, body) =
        call(&fixture, &format!("{path}&format=xml"), None, None).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    assert_eq!(
        body,
        r#"{"type":"invalid_request","code":"not_found","detail":"Not found.","attr":null}"#
    );
    let (status, _, body) = call(
        &fixture,
        &format!("{path}&format=csv"),
        Some("application/json"),
        None,
    )
    .await;
    assert_eq!(status, 406);
    assert_eq!(
        body,
        r#"{"type":"invalid_request","code":"not_acceptable","detail":"Could not satisfy the request Accept header.","attr":null}"#
    );
}

#[tokio::test]
async fn errors_asked_as_csv_keep_their_status_with_an_empty_body() {
    let fixture = fixture().await;
    let lifecycle = "/api/projects/1/persons/lifecycle/?lifecycle_type=new";
    let (status, content_type, body) = call(&fixture, lifecycle, None, None).await;
    assert_eq!((status, content_type.as_str()), (400, "application/json"));
    assert!(body.contains("Must include specified date"));
    for path in [
        format!("{lifecycle}&format=csv"),
        funnel_path("&format=csv"),
        "/api/projects/1/persons/trends/?entity_type=actions&format=csv".to_owned(),
        "/api/projects/999/persons/trends/?format=csv".to_owned(),
    ] {
        let (status, content_type, body) = call(&fixture, &path, None, None).await;
        assert!(status >= 400, "{path}: {status}");
        assert_eq!(content_type, "text/csv; charset=utf-8", "{path}");
        assert_eq!(body, "", "{path}");
    }
}

#[tokio::test]
async fn the_generated_client_asking_csv_gets_drfs_406_as_a_typed_error() {
    let fixture = fixture().await;
    let error = fixture
        .client
        .generated()
        .persons_trends_retrieve()
        .project_id("1")
        .entity_id("buy")
        .format(persons_sdk::posthog::types::RenderFormat::Csv)
        .send()
        .await
        .map(|_| ())
        .map_err(persons_sdk::Error::from)
        .unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(406));
    assert_eq!(
        error.posthog_error().map(|body| body.code.as_str()),
        Some("not_acceptable"),
        "it sends Accept: application/json, which the CSV renderer cannot satisfy"
    );
}

/// `POST /query/` has PostHog's default renderers, JSON alone (its published schema lists no
/// `format`): DRF's negotiation answers `?format=csv` with 404 and `Accept: text/csv` with
/// 406, before the query runs; `?format=json` is the usual answer.
#[tokio::test]
async fn query_renders_json_only() {
    let fixture = fixture().await;
    let body = json!({"query": {"kind": "ActorsQuery", "select": ["id"]}});
    for (format, expected) in [("json", 200), ("csv", 404)] {
        let path = format!("/api/projects/1/query/?format={format}");
        let (status, content_type, text) = call(&fixture, &path, None, Some(body.clone())).await;
        assert_eq!(
            (status, content_type.as_str()),
            (expected, "application/json"),
            "{text}"
        );
    }
    let (_, _, text) = call(
        &fixture,
        "/api/projects/1/query/?format=csv",
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        text,
        r#"{"type":"invalid_request","code":"not_found","detail":"Not found.","attr":null}"#
    );
    let (status, _, text) = call(
        &fixture,
        "/api/environments/1/query/",
        Some("text/csv"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 406);
    assert!(text.contains("not_acceptable"), "{text}");
    let (status, _, text) = call(
        &fixture,
        "/api/projects/1/query/?format=csv",
        None,
        Some(json!({"query": {"kind": "HogQLQuery"}})),
    )
    .await;
    assert_eq!(status, 404, "negotiation comes first: {text}");
}

/// A person's retrieve is a `PersonViewSet` action, so it negotiates JSON or CSV like the
/// list; djangorestframework-csv renders only a body's `results`, which one person has not:
/// 200 with an empty `text/csv` body (an unknown person: its 404, empty too).
#[tokio::test]
async fn person_retrieve_asked_as_csv_renders_no_results() {
    let fixture = fixture().await;
    let path = format!("/api/projects/1/persons/{}/", fixture.pk("plain"));
    let (status, content_type, text) = call(&fixture, &path, None, None).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert!(text.contains("\"plain\""), "{text}");
    for (query, accept) in [("?format=csv", None), ("", Some("text/csv"))] {
        let (status, content_type, text) =
            call(&fixture, &format!("{path}{query}"), accept, None).await;
        assert_eq!(
            (status, content_type.as_str(), text.as_str()),
            (200, "text/csv; charset=utf-8", ""),
            "{query} {accept:?}"
        );
    }
    let (status, _, _) = call(&fixture, &format!("{path}?format=xml"), None, None).await;
    assert_eq!(status, 404);
    let (status, content_type, text) =
        call(&fixture, "/api/person/424242/?format=csv", None, None).await;
    assert_eq!(
        (status, content_type.as_str(), text.as_str()),
        (404, "text/csv; charset=utf-8", "")
    );
    let (status, content_type, text) = call(
        &fixture,
        "/api/projects/1/persons/values/?key=email&format=csv",
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, content_type.as_str(), text.as_str()),
        (200, "text/csv; charset=utf-8", ""),
        "every action of the viewset negotiates"
    );
}

/// A write of the persons viewset negotiates before it runs: a format the viewset cannot
/// render is its 404 and writes nothing.
#[tokio::test]
async fn person_writes_negotiate_before_writing() {
    let fixture = fixture().await;
    let path = format!("/api/projects/1/persons/{}/", fixture.pk("plain"));
    let http = reqwest::Client::new();
    let patch = |query: &str| {
        http.patch(format!("{}{path}{query}", fixture.posthog.base_url()))
            .bearer_auth(&fixture.key)
            .json(&json!({"properties": {"plan": "pro"}}))
            .send()
    };
    let refused = patch("?format=xml").await.expect("an answer");
    assert_eq!(refused.status().as_u16(), 404);
    let (_, _, text) = call(&fixture, &path, None, None).await;
    assert!(!text.contains("\"plan\""), "nothing written: {text}");
    let csv = patch("?format=csv").await.expect("an answer");
    assert_eq!(csv.status().as_u16(), 202, "an update is accepted");
    assert_eq!(csv.text().await.expect("a body"), "");
    let (_, _, text) = call(&fixture, &path, None, None).await;
    assert!(text.contains("\"plan\":\"pro\""), "written: {text}");
}
