//! The Pipedrive client against a bare HTTP server: retries honour 429 and `Retry-After`,
//! and the last answer's Pipedrive error body reaches the caller.

use std::time::{Duration, Instant};

use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{Client, Error, into_body};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_token("t0k3n")
        .build()
        .expect("client builds")
}

fn pipedrive_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "success": false,
        "error": message,
        "error_info": "Please check developers.pipedrive.com",
        "data": null,
        "additional_data": null,
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
    let error = into_body(client(&server).v2().get_person().id(7).send().await).unwrap_err();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    match error {
        Error::Api { status, body } => {
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

    let error = into_body(client(&server).v1().get_persons().send().await).unwrap_err();

    assert_eq!(error.status().map(|status| status.as_u16()), Some(429));
    assert_eq!(
        error.body().map(|body| body.error.message()),
        Some("Too many requests")
    );
}
