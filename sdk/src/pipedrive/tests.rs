//! The Pipedrive client against a bare HTTP server: how each credential is sent, retries
//! honour 429 and `Retry-After`, and the last answer's Pipedrive error body reaches the caller.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{Client, ClientBuilder};
use crate::{ApiErrorBody, Error, into_body};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_token("t0k3n")
        .build()
        .expect("client builds")
}

fn pipedrive_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false,
        "error": message,
        "error_info": "Please check developers.pipedrive.com",
        "data": null,
        "additional_data": null,
    }))
}

/// A v2 person, as `GET /api/v2/persons/{id}` answers it.
fn v2_person(id: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "data": {
            "id": id, "name": "Ann", "first_name": "Ann", "last_name": null, "owner_id": 1,
            "org_id": null, "picture_id": null, "is_deleted": false, "visible_to": 3,
            "add_time": "2026-01-01T00:00:00Z", "update_time": "2026-01-01T00:00:00Z",
            "emails": [], "phones": [], "label_ids": [], "custom_fields": {}
        }
    }))
}

#[tokio::test]
async fn retries_a_429_after_its_retry_after_with_the_token_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/persons/7"))
        .and(header("x-api-token", "t0k3n"))
        .respond_with(pipedrive_error(429, "Too many requests").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/persons/7"))
        .respond_with(pipedrive_error(404, "Person not found"))
        .mount(&server)
        .await;

    let started = Instant::now();
    let error = into_body(client(&server).v2().get_person().id(7).send().await)
        .await
        .unwrap_err();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    match error {
        Error::Api {
            status,
            body: ApiErrorBody::Pipedrive(body),
        } => {
            assert_eq!(
                (status.as_u16(), body.error.message()),
                (404, "Person not found")
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn gives_up_on_429_with_pipedrives_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(pipedrive_error(429, "Too many requests").insert_header("retry-after", "0"))
        .expect(3)
        .mount(&server)
        .await;

    let error = into_body(client(&server).v1().get_persons().send().await)
        .await
        .unwrap_err();

    assert_eq!(error.status().map(|status| status.as_u16()), Some(429));
    assert_eq!(
        error.pipedrive_error().map(|body| body.error.message()),
        Some("Too many requests")
    );
}

#[tokio::test]
async fn an_oauth_token_is_a_bearer_token_on_both_versions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer oauth_t"))
        .respond_with(v2_person(7))
        .expect(2)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .oauth_token("oauth_t")
        .token_in_query(true)
        .build()
        .unwrap();

    into_body(client.v2().get_person().id(7).send().await)
        .await
        .unwrap();
    let _ = client.v1().get_person().id(7).send().await;

    for request in server.received_requests().await.unwrap() {
        assert_eq!(request.url.query(), None);
        assert!(!request.headers.contains_key("x-api-token"));
    }
}

/// A client for `server` that sends its API token in the v1 query string.
fn token_in_query(base_url: &str) -> Client {
    ClientBuilder::default()
        .base_url(base_url)
        .api_token("s3cret")
        .token_in_query(true)
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn token_in_query_puts_the_v1_token_in_the_query_of_generated_and_hand_written_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/persons/7"))
        .and(query_param("api_token", "s3cret"))
        .respond_with(pipedrive_error(404, "Person not found"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/persons/7"))
        .and(header("x-api-token", "s3cret"))
        .respond_with(v2_person(7))
        .expect(1)
        .mount(&server)
        .await;
    let client = token_in_query(&server.uri());

    let generated = into_body(client.v1().get_person().id(7).send().await)
        .await
        .unwrap_err();
    let hand_written = client.get_person_with_custom_fields(7).await.unwrap_err();
    let v2 = into_body(client.v2().get_person().id(7).send().await)
        .await
        .unwrap();

    for error in [generated, hand_written] {
        assert_eq!(
            error.pipedrive_error().map(|body| body.error.message()),
            Some("Person not found")
        );
    }
    assert_eq!(v2.data.id, 7);
    for request in server.received_requests().await.unwrap() {
        let v1 = request.url.path().starts_with("/api/v1/");
        assert_eq!(request.headers.contains_key("x-api-token"), !v1);
        assert_eq!(request.url.query().is_some(), v1);
    }
}

#[tokio::test]
async fn token_in_query_keeps_the_token_out_of_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = token_in_query(&format!("http://{address}"));

    let generated = into_body(client.v1().get_persons().send().await)
        .await
        .unwrap_err();
    let hand_written = client.get_person_with_custom_fields(7).await.unwrap_err();

    for error in [generated, hand_written] {
        let Error::Transport(source) = &error else {
            panic!("expected a transport error, got {error:?}");
        };
        assert!(source.url().is_none());
        let shown = format!("{error} {error:?} {source} {source:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
