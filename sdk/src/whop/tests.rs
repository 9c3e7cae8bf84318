//! The Whop client against a wiremock server: auth, retries, errors and paging.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{Client, Filters, PeopleQuery, PersonField, PersonQuery, SortColumn, types};
use crate::{ApiErrorBody, Error};

/// A client for `server` with a fast retry backoff.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_key("sk_test")
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// The JSON of a person numbered `n`.
fn person(n: u64) -> Value {
    json!({
        "id": format!("prsn_{n}"),
        "person_id": format!("wuid_{n}"),
        "account_id": "biz_1",
        "first_seen_at": 1_700_000_000 + n,
        "last_seen_at": 1_700_000_100 + n,
        "purchase_count": n
    })
}

/// A page of people numbered `numbers`, out of `total_count`.
fn page(numbers: std::ops::Range<u64>, total_count: u64) -> ResponseTemplate {
    let data: Vec<Value> = numbers.map(person).collect();
    ResponseTemplate::new(200).set_body_json(json!({"data": data, "total_count": total_count}))
}

/// A Whop error response.
fn error_response(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"type": kind, "message": message}}))
}

/// A minimal event to record.
fn event() -> types::CreateEventRequest {
    serde_json::from_value(json!({"account_id": "biz_1", "event_name": "page"})).unwrap()
}

#[tokio::test]
async fn sends_the_bearer_token_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/people"))
        .and(header("authorization", "Bearer sk_test"))
        .and(header("user-agent", "persons-sdk-test"))
        .respond_with(page(0..1, 1))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key("sk_test")
        .user_agent("persons-sdk-test")
        .build()
        .unwrap();

    let page = client
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap();

    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].id, "prsn_0");
}

#[tokio::test]
async fn passes_every_query_field() {
    let server = MockServer::start().await;
    let filters = Filters::new()
        .gte(PersonField::Ltv, 100)
        .is_set(PersonField::Phone);
    Mock::given(method("GET"))
        .and(path("/people"))
        .and(query_param("account_id", "biz_1"))
        .and(query_param("from", "10"))
        .and(query_param("to", "20"))
        .and(query_param("sort", "ltv"))
        .and(query_param("direction", "asc"))
        .and(query_param("filters", filters.to_string()))
        .and(query_param("first", "25"))
        .and(query_param("offset", "50"))
        .respond_with(page(0..0, 0))
        .expect(1)
        .mount(&server)
        .await;
    let query = PeopleQuery {
        account_id: Some("biz_1".into()),
        from: Some(10),
        to: Some(20),
        sort: Some(SortColumn::Ltv),
        direction: Some(types::SortDirection::Asc),
        filters: Some(filters),
        page_size: Some(25),
    };

    client(&server).list_people(&query, 50).await.unwrap();
}

#[tokio::test]
async fn retries_a_429_after_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            error_response(429, "rate_limit_exceeded", "Try again in 1 seconds")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(page(0..1, 1))
        .mount(&server)
        .await;

    let started = Instant::now();
    let page = client(&server)
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap();

    assert_eq!(page.data.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn retries_a_503_also_through_the_generated_client() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(page(0..2, 2))
        .mount(&server)
        .await;

    let response = client(&server)
        .generated()
        .list_people()
        .send()
        .await
        .unwrap();

    assert_eq!(response.data.len(), 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn does_not_retry_a_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/events"))
        .respond_with(error_response(503, "unavailable", "try later"))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).create_event(event()).await.unwrap_err();

    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.whop_error().unwrap().type_, "unavailable");
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_parsed_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            error_response(429, "rate_limit_exceeded", "Try again in 0 seconds")
                .insert_header("retry-after", "0"),
        )
        .expect(3)
        .mount(&server)
        .await;

    let error = client(&server)
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    let api_error = error.whop_error().unwrap();
    assert_eq!(api_error.type_, "rate_limit_exceeded");
    assert_eq!(api_error.message, "Try again in 0 seconds");
}

#[tokio::test]
async fn parses_a_404_error_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/people/prsn_missing"))
        .and(query_param("account_id", "biz_1"))
        .respond_with(error_response(404, "not_found", "No person prsn_missing"))
        .expect(1)
        .mount(&server)
        .await;
    let query = PersonQuery {
        account_id: Some("biz_1".into()),
        ..PersonQuery::default()
    };

    let error = client(&server)
        .retrieve_person("prsn_missing", &query)
        .await
        .unwrap_err();

    assert!(matches!(
        error,
        Error::Api {
            status: StatusCode::NOT_FOUND,
            ..
        }
    ));
    assert_eq!(
        error.whop_error().unwrap().message,
        "No person prsn_missing"
    );
}

#[tokio::test]
async fn retrieves_a_person_in_a_window() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/people/prsn_7"))
        .and(query_param("from", "100"))
        .and(query_param("to", "200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": person(7)})))
        .expect(1)
        .mount(&server)
        .await;
    let query = PersonQuery {
        from: Some(100),
        to: Some(200),
        ..PersonQuery::default()
    };

    let person = client(&server)
        .retrieve_person("prsn_7", &query)
        .await
        .unwrap();

    assert_eq!(person.person_id, "wuid_7");
    assert_eq!(person.purchase_count, 7);
}

#[tokio::test]
async fn keeps_the_raw_body_of_an_undocumented_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .api_key("sk_test")
        .max_retries(0)
        .build()
        .unwrap();

    let error = client
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap_err();

    match error {
        Error::Api {
            status,
            body: ApiErrorBody::Raw(body),
        } => {
            assert_eq!(status, StatusCode::BAD_GATEWAY);
            assert_eq!(body.as_ref(), b"<html>bad gateway</html>");
        }
        other => panic!("expected a raw error body, got {other:?}"),
    }
}

#[tokio::test]
async fn rejects_an_invalid_success_payload() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"unexpected": true})))
        .mount(&server)
        .await;

    let error = client(&server).create_event(event()).await.unwrap_err();

    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
}

#[tokio::test]
async fn retries_connection_errors_with_backoff() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://{address}"))
        .api_key("sk_test")
        .retry_backoff(Duration::from_millis(100))
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    // Two retries wait at least half of 100 ms and of 200 ms (the jitter floor).
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn streams_people_across_pages_until_total_count() {
    let server = MockServer::start().await;
    for (offset, numbers) in [("0", 0..2), ("2", 2..4), ("4", 4..5)] {
        Mock::given(method("GET"))
            .and(path("/people"))
            .and(query_param("offset", offset))
            .and(query_param("first", "2"))
            .respond_with(page(numbers, 5))
            .expect(1)
            .mount(&server)
            .await;
    }
    let query = PeopleQuery {
        page_size: Some(2),
        ..PeopleQuery::default()
    };

    let people: Vec<types::Person> = client(&server).people(query).try_collect().await.unwrap();

    let ids: Vec<&str> = people.iter().map(|person| person.id.as_str()).collect();
    assert_eq!(ids, ["prsn_0", "prsn_1", "prsn_2", "prsn_3", "prsn_4"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn stream_stops_on_an_empty_page_and_yields_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("offset", "0"))
        .respond_with(page(0..1, 10))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("offset", "1"))
        .respond_with(page(0..0, 10))
        .mount(&server)
        .await;
    let people: Vec<types::Person> = client(&server)
        .people(PeopleQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(people.len(), 1);

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(error_response(401, "unauthorized", "bad key"))
        .mount(&server)
        .await;
    let error = client(&server)
        .people(PeopleQuery::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
}
