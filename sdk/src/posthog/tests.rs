//! The PostHog clients against a wiremock server: auth, and PostHog's error bodies read into
//! the crate's one error.

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{CaptureClient, Client, ErrorBody, Event, PersonsQuery};
use crate::{ApiErrorBody, Error};

/// A client for `server` on project 7, without retries.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .personal_api_key("phx_test")
        .project_id("7")
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_the_personal_api_key_as_a_bearer_token_to_the_project() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects/7/persons/"))
        .and(header("authorization", "Bearer phx_test"))
        .and(query_param("search", "ada"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"next": null, "previous": null, "results": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let query = PersonsQuery {
        search: Some("ada".into()),
        ..PersonsQuery::default()
    };

    let page = client(&server).list_persons(&query, 0).await.unwrap();

    assert!(page.results.is_empty());
}

#[tokio::test]
async fn reads_each_error_body_into_its_variant() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects/7/persons/"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "type": "authentication_error", "code": "permission_denied",
            "detail": "You do not have permission.", "attr": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/projects/7/persons/properties_at_time/"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"error": "Person not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/projects/7/persons/values/"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let client = client(&server);

    let denied = client
        .list_persons(&PersonsQuery::default(), 0)
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(denied.posthog_error().unwrap().code, "permission_denied");

    let missing = client
        .properties_at_time("nobody", "2026-01-01T00:00:00Z", false)
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(StatusCode::NOT_FOUND));
    assert!(
        matches!(missing.body(), Some(ApiErrorBody::PostHog(ErrorBody::PointInTime(body))) if body.error == "Person not found"),
        "{missing:?}"
    );

    let gateway = client.property_values("email", None).await.unwrap_err();
    assert!(
        matches!(&gateway, Error::Api { status: StatusCode::BAD_GATEWAY, body: ApiErrorBody::Raw(body) } if body.as_ref() == b"<html>bad gateway</html>"),
        "{gateway:?}"
    );
}

#[tokio::test]
async fn capture_sends_the_project_token_in_the_body_and_keeps_plain_text_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/i/v0/e/"))
        .and(body_partial_json(
            json!({"api_key": "phc_test", "event": "signed up"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Ok"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/batch/"))
        .respond_with(ResponseTemplate::new(401).set_body_string("API key is not valid"))
        .expect(1)
        .mount(&server)
        .await;
    let capture = CaptureClient::builder()
        .base_url(format!("{}/", server.uri()))
        .project_token("phc_test")
        .build()
        .unwrap();

    capture.send(Event::new("signed up", "ada")).await.unwrap();
    let error = capture
        .send_batch(&[Event::new("signed up", "ada")])
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::Api { status: StatusCode::UNAUTHORIZED, body: ApiErrorBody::PostHog(ErrorBody::Capture(message)) } if message == "API key is not valid"),
        "{error:?}"
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|request| !request.headers.contains_key("authorization"))
    );
}
