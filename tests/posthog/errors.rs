//! The error bodies DRF gives every action (a key in the body, 405, malformed JSON, a form
//! body, choices and UUIDs of query parameters), asserted byte for byte.

use persons_mock::posthog::Event;
use reqwest::Method;

use crate::support::{Fixture, PROJECT};

async fn send(
    fixture: &Fixture,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &str,
    with_key: bool,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", fixture.posthog.base_url()))
        .body(body.to_owned());
    if with_key {
        request = request.bearer_auth(&fixture.key);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("the mock answers");
    (
        response.status().as_u16(),
        response.text().await.expect("a body"),
    )
}

#[tokio::test]
async fn a_key_in_the_json_body_is_read_and_named_in_its_401() {
    let fixture = Fixture::new().await;
    fixture.seed([Event::new("e", "d")]);
    let path = "/api/projects/1/persons/batch_by_distinct_ids/";
    let json = Some("application/json");
    let body = format!(
        r#"{{"personal_api_key":"{}","distinct_ids":["d"]}}"#,
        fixture.key
    );
    let (status, text) = send(&fixture, Method::POST, path, json, &body, false).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(r#""distinct_ids":["d"]"#), "{text}");
    let (status, text) = send(
        &fixture,
        Method::POST,
        path,
        json,
        r#"{"personal_api_key":"phx_wrong","distinct_ids":["d"]}"#,
        false,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            401,
            r#"{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request body is invalid.","attr":null}"#
        )
    );
}

#[tokio::test]
async fn drfs_own_errors_for_methods_bodies_and_media_types() {
    let fixture = Fixture::new().await;
    fixture.seed([Event::new("e", "d")]);
    let pk = fixture.posthog.person(PROJECT, "d").unwrap().pk;
    let person = format!("/api/projects/1/persons/{pk}/");
    let json = Some("application/json");
    assert_eq!(
        send(&fixture, Method::DELETE, "/api/projects/1/persons/", None, "", true).await,
        (
            405,
            r#"{"type":"invalid_request","code":"method_not_allowed","detail":"Method \"DELETE\" not allowed.","attr":null}"#
                .to_owned()
        )
    );
    assert_eq!(
        send(&fixture, Method::POST, &person, json, "{}", true).await,
        (
            405,
            r#"{"type":"invalid_request","code":"method_not_allowed","detail":"Method \"POST\" not allowed.","attr":null}"#
                .to_owned()
        )
    );
    let (status, text) = send(&fixture, Method::PATCH, &person, json, "{", true).await;
    assert_eq!(status, 400);
    assert!(
        text.starts_with(
            r#"{"type":"invalid_request","code":"parse_error","detail":"JSON parse error - "#
        ),
        "{text}"
    );
    assert_eq!(
        send(
            &fixture,
            Method::PATCH,
            &person,
            Some("application/x-www-form-urlencoded"),
            "properties=1",
            true
        )
        .await,
        (
            415,
            r#"{"type":"invalid_request","code":"unsupported_media_type","detail":"Unsupported media type \"application/x-www-form-urlencoded\" in request.","attr":null}"#
                .to_owned()
        )
    );
    assert_eq!(
        fixture
            .posthog
            .person(PROJECT, "d")
            .unwrap()
            .properties
            .len(),
        1,
        "refused writes change nothing (only $creator_event_uuid)"
    );
}

#[tokio::test]
async fn deletion_status_checks_its_choices_and_uuids() {
    let fixture = Fixture::new().await;
    let get = |query: &'static str| {
        let fixture = &fixture;
        async move {
            send(
                fixture,
                Method::GET,
                &format!("/api/environments/1/persons/deletion_status/?{query}"),
                None,
                "",
                true,
            )
            .await
        }
    };
    assert_eq!(
        get("status=gone").await,
        (
            400,
            r#"{"type":"validation_error","code":"invalid_choice","detail":"\"gone\" is not a valid choice.","attr":"status"}"#
                .to_owned()
        )
    );
    assert_eq!(
        get("person_uuid=nope").await,
        (
            400,
            r#"{"type":"validation_error","code":"invalid_input","detail":"Must be a valid UUID.","attr":"person_uuid"}"#
                .to_owned()
        )
    );
    let (status, _) = get("status=pending").await;
    assert_eq!(status, 200);
}
