//! Capture: payload shapes, gzip, beacon, tokens and capture's plain-text errors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use persons_sdk::posthog::{CaptureClient, ErrorBody, Event, types};
use persons_sdk::{ApiErrorBody, Error};
use reqwest::StatusCode;
use serde_json::Map;

use crate::support::{Fixture, PROJECT};

async fn post(
    fixture: &Fixture,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", fixture.posthog.base_url()))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the mock answers");
    (
        response.status().as_u16(),
        response.text().await.expect("a body"),
    )
}

#[tokio::test]
async fn the_capture_client_sends_single_events_and_gzipped_batches() {
    let fixture = Fixture::new().await;
    fixture
        .capture
        .send(Event::new("$pageview", "anon-1").property("$browser", "Firefox"))
        .await
        .expect("captured");
    let gzip = CaptureClient::builder()
        .base_url(fixture.posthog.base_url())
        .project_token(&fixture.token)
        .gzip(true)
        .build()
        .unwrap();
    gzip.send_batch(&[
        Event::identify("user-1", "anon-1").set("email", "u@example.com"),
        Event::set_properties("user-1").set_once("first_plan", "free"),
    ])
    .await
    .expect("captured");
    let person = fixture.posthog.person(PROJECT, "anon-1").expect("a person");
    assert_eq!(person.distinct_ids, vec!["anon-1", "user-1"]);
    assert_eq!(person.properties["email"], "u@example.com");
    assert_eq!(
        person.properties["$browser"], "Firefox",
        "lifted from the event"
    );
    assert_eq!(person.properties["$initial_browser"], "Firefox");
    assert_eq!(person.properties["first_plan"], "free");
    assert!(person.is_identified);
}

#[tokio::test]
async fn every_payload_shape_answers_status_ok() {
    let fixture = Fixture::new().await;
    let token = &fixture.token;
    let single = format!(r#"{{"event":"e","distinct_id":"a","api_key":"{token}"}}"#);
    let array = format!(r#"[{{"event":"e","distinct_id":"b","token":"{token}"}}]"#);
    let batch = format!(r#"{{"token":"{token}","batch":[{{"event":"e","distinct_id":"c"}}]}}"#);
    for (path, body) in [
        ("/i/v0/e/", single.clone()),
        ("/e", array),
        ("/batch/", batch),
        ("/capture/", single),
    ] {
        let (status, text) = post(
            &fixture,
            path,
            body.into_bytes(),
            &[("content-type", "application/json")],
        )
        .await;
        assert_eq!(
            (status, text.as_str()),
            (200, r#"{"status":"Ok"}"#),
            "{path}"
        );
    }
    assert_eq!(fixture.posthog.person_count(PROJECT), 3);
    let beacon = format!(r#"{{"event":"e","distinct_id":"d","api_key":"{token}"}}"#);
    let (status, text) = post(&fixture, "/e/?beacon=1", beacon.into_bytes(), &[]).await;
    assert_eq!((status, text.as_str()), (204, ""));
}

#[tokio::test]
async fn bad_requests_get_plain_text_and_change_nothing() {
    let fixture = Fixture::new().await;
    let personal = CaptureClient::builder()
        .base_url(fixture.posthog.base_url())
        .project_token(&fixture.key)
        .build()
        .unwrap();
    let error = personal.send(Event::new("e", "d")).await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { status, body: ApiErrorBody::PostHog(ErrorBody::Capture(message)) } if *status == StatusCode::UNAUTHORIZED && message == "API key is not valid: personal_api_key"),
        "{error:?}"
    );
    let cases = [
        ("{", 400, "failed to parse request"),
        (
            r#"{"event":"e","api_key":"phc_x"}"#,
            400,
            "event submitted without a distinct_id",
        ),
        (
            r#"{"event":"","distinct_id":"d","api_key":"phc_x"}"#,
            400,
            "event submitted with an empty event name",
        ),
        (
            r#"{"event":"e","distinct_id":"d"}"#,
            401,
            "event submitted without an api_key",
        ),
        ("[]", 400, "request holds no event"),
        ("", 400, "request missing data payload"),
        (
            r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":7}"#,
            400,
            "event submitted with invalid timestamp",
        ),
        (
            r#"[{"event":"e","distinct_id":"d","token":"phc_a"},{"event":"e","distinct_id":"d","token":"phc_b"}]"#,
            401,
            "batch submitted with inconsistent api_key values",
        ),
        (
            r#"{"event":"e","distinct_id":"d","api_key":""}"#,
            401,
            "API key is not valid: empty",
        ),
        (
            r#"{"event":"e","distinct_id":"d","api_key":"phc_0123456789012345678901234567890123456789012345678901234567890"}"#,
            401,
            "API key is not valid: too_long",
        ),
        (
            r#"{"event":"e","distinct_id":"d","api_key":"phc_é"}"#,
            401,
            "API key is not valid: not_ascii",
        ),
        (
            r#"{"event":"e","distinct_id":"d","api_key":"phc_\u0000"}"#,
            401,
            "API key is not valid: null_byte",
        ),
    ];
    for (body, status, message) in cases {
        let (got, text) = post(&fixture, "/i/v0/e/", body.as_bytes().to_vec(), &[]).await;
        assert_eq!(got, status, "{body}");
        assert!(text.starts_with(message), "{body}: {text}");
    }
    let broken_gzip = post(
        &fixture,
        "/batch/",
        b"not gzip".to_vec(),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(
        broken_gzip,
        (400, "failed to decode request: invalid GZIP data".into())
    );
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}

#[tokio::test]
async fn unknown_tokens_are_accepted_and_discarded() {
    let fixture = Fixture::new().await;
    let stranger = CaptureClient::builder()
        .base_url(fixture.posthog.base_url())
        .project_token("phc_unknown")
        .build()
        .unwrap();
    stranger
        .send(Event::new("e", "d"))
        .await
        .expect("200 anyway");
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}

/// An event for the generated capture operations.
fn generated_event(token: &str, name: &str, distinct_id: &str) -> types::CaptureEvent {
    types::CaptureEvent {
        api_key: Some(token.to_owned()),
        distinct_id: distinct_id.to_owned(),
        event: name.to_owned(),
        properties: Map::new(),
        set: Map::from_iter([("via".to_owned(), name.into())]),
        set_once: Map::new(),
        timestamp: None,
        offset: Some(60_000),
        uuid: None,
    }
}

#[tokio::test]
async fn the_generated_capture_operations_answer_status_ok() {
    let fixture = Fixture::new().await;
    let api = fixture.client.generated();
    let token = fixture.token.as_str();
    let batch = api
        .capture_batch()
        .body(types::CaptureBatch {
            api_key: token.to_owned(),
            batch: vec![generated_event(token, "batch", "a")],
            historical_migration: Some(false),
            sent_at: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let event = api
        .capture_event()
        .body(generated_event(token, "event", "b"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let legacy = api
        .capture_event_legacy()
        .body(generated_event(token, "legacy", "c"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let short = api
        .capture_event_short()
        .body(generated_event(token, "short", "d"))
        .send()
        .await
        .unwrap()
        .into_inner();
    for answer in [batch, event, legacy, short] {
        assert_eq!(answer.status, "Ok");
    }
    for (distinct_id, via) in [
        ("a", "batch"),
        ("b", "event"),
        ("c", "legacy"),
        ("d", "short"),
    ] {
        let person = fixture
            .posthog
            .person(PROJECT, distinct_id)
            .expect("created");
        assert_eq!(person.properties["via"], via);
        assert_eq!(
            person.created_at,
            (crate::support::NOW - 60) * 1_000_000,
            "`offset` puts the event a minute before receipt"
        );
    }
}

#[tokio::test]
async fn lz64_and_base64_payloads_as_posthog_js_sends_them() {
    let fixture = Fixture::new().await;
    let token = &fixture.token;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let encode = |pairs: &[(&str, &str)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    let events = format!(
        r#"[{{"event":"$pageview","distinct_id":"lz","properties":{{"token":"{token}","$set":{{"plan":"lz64"}}}}}}]"#
    );
    let packed = lz_str::compress_to_base64(events.as_str());
    let (status, text) = post(
        &fixture,
        "/i/v0/e/?compression=lz64&ver=1.200.0&_=1790000000000",
        encode(&[("data", &packed)]).into_bytes(),
        &form,
    )
    .await;
    assert_eq!((status, text.as_str()), (200, r#"{"status":"Ok"}"#));
    let (status, _) = post(
        &fixture,
        "/e/",
        encode(&[("data", &packed), ("compression", "lz-string")]).into_bytes(),
        &form,
    )
    .await;
    assert_eq!(status, 200, "the hint may sit in the form too");
    assert_eq!(
        fixture.posthog.person(PROJECT, "lz").unwrap().properties["plan"],
        "lz64"
    );

    let single = format!(
        r#"{{"event":"e","distinct_id":"b64","api_key":"{token}","$set":{{"plan":"base64"}}}}"#
    );
    let encoded = STANDARD.encode(single.as_bytes());
    let (status, _) = post(
        &fixture,
        "/capture/",
        encode(&[("data", &encoded), ("compression", "base64")]).into_bytes(),
        &form,
    )
    .await;
    assert_eq!(status, 200);
    let whole_body = format!(
        r#"{{"api_key":"{token}","batch":[{{"event":"e","distinct_id":"whole","$set":{{"plan":"body"}}}}]}}"#
    );
    let (status, _) = post(
        &fixture,
        "/batch/",
        STANDARD.encode(whole_body.as_bytes()).into_bytes(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "a body that looks like base64 is decoded");
    assert_eq!(
        fixture.posthog.person(PROJECT, "b64").unwrap().properties["plan"],
        "base64"
    );
    assert_eq!(
        fixture.posthog.person(PROJECT, "whole").unwrap().properties["plan"],
        "body"
    );

    let broken = post(
        &fixture,
        "/i/v0/e/?compression=lz64",
        b"data=%7Bnot-lz%7D".to_vec(),
        &form,
    )
    .await;
    assert_eq!(
        broken,
        (
            400,
            "failed to decode request: decompress_lz64: failed decompress to UTF16".into()
        )
    );
    let not_a_form = post(&fixture, "/i/v0/e/", single.into_bytes(), &form).await;
    assert_eq!(
        not_a_form,
        (
            400,
            "failed to decode request: expected form data in POST request payload".into()
        )
    );
    assert_eq!(fixture.posthog.person_count(PROJECT), 3);
}
