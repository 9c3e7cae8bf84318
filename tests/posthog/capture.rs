//! Capture: payload shapes, gzip, beacon, tokens and capture's plain-text errors.

use persons_sdk::posthog::{CaptureClient, Error, Event};
use reqwest::StatusCode;

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
        .host(fixture.posthog.base_url())
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
        .host(fixture.posthog.base_url())
        .project_token(&fixture.key)
        .build()
        .unwrap();
    let error = personal.send(Event::new("e", "d")).await.unwrap_err();
    assert!(
        matches!(&error, Error::Capture { status, message } if *status == StatusCode::UNAUTHORIZED && message == "API key is not valid: personal_api_key"),
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
    assert_eq!(broken_gzip.0, 400);
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}

#[tokio::test]
async fn unknown_tokens_are_accepted_and_discarded() {
    let fixture = Fixture::new().await;
    let stranger = CaptureClient::builder()
        .host(fixture.posthog.base_url())
        .project_token("phc_unknown")
        .build()
        .unwrap();
    stranger
        .send(Event::new("e", "d"))
        .await
        .expect("200 anyway");
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}
