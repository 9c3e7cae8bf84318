//! The current-contract client against a wiremock server: its version header, cursor streams,
//! typed filters on the wire, and Whop's error body.

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{API_VERSION_DATE, Client, EventsQuery, Metric, PeopleQuery, Source, types};
use crate::Error;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .api_key("sk_test")
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

fn person(n: u64) -> Value {
    json!({
        "id": format!("prsn_{n}"),
        "account_id": "biz_1",
        "event_count": n + 1,
        "first_seen_at": "2026-01-31T12:00:00Z",
        "last_seen_at": "2026-02-01T12:00:00Z",
        "purchase_count": n
    })
}

fn page(numbers: std::ops::Range<u64>, next: Option<&str>) -> ResponseTemplate {
    let data: Vec<Value> = numbers.map(person).collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "data": data,
        "page_info": {
            "end_cursor": next,
            "start_cursor": null,
            "has_next_page": next.is_some(),
            "has_previous_page": false
        },
        "total_count": 5
    }))
}

#[tokio::test]
async fn every_request_carries_the_version_and_the_stream_follows_cursors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/people"))
        .and(header("api-version-date", API_VERSION_DATE))
        .and(header("authorization", "Bearer sk_test"))
        .and(query_param_is_missing("after"))
        .respond_with(page(0..3, Some("c3")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/people"))
        .and(header("api-version-date", API_VERSION_DATE))
        .and(query_param("after", "c3"))
        .respond_with(page(3..5, None))
        .expect(1)
        .mount(&server)
        .await;
    let people: Vec<types::Person> = client(&server)
        .people(PeopleQuery::default())
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["prsn_0", "prsn_1", "prsn_2", "prsn_3", "prsn_4"]);
}

#[tokio::test]
async fn typed_filters_reach_the_query_string() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/people"))
        .and(query_param("order", "ltv"))
        .and(query_param("ltv_gte", "100.0"))
        .and(query_param("purchase_count_lt", "3"))
        .and(query_param("source", "whop:adcamp_1:*"))
        .and(query_param("has_purchased", "true"))
        .and(query_param("first", "10"))
        .respond_with(page(0..1, None))
        .expect(1)
        .mount(&server)
        .await;
    let query = PeopleQuery {
        order: Some(types::PeopleOrder::Ltv),
        ranges: vec![Metric::Ltv.gte(100.0), Metric::PurchaseCount.lt(3.0)],
        sources: vec![Source::WhopAd {
            campaign: "adcamp_1".into(),
            ad_group: None,
            ad: None,
        }],
        has_purchased: Some(true),
        page_size: Some(10),
        ..PeopleQuery::default()
    };
    let page = client(&server).list_people(&query, None).await.unwrap();
    assert_eq!(page.total_count, Some(5));
}

#[tokio::test]
async fn errors_carry_whops_body_and_events_need_an_identifier() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/events"))
        .and(query_param("identifier", "ada@example.com"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"type": "not_found", "message": "Person `ada@example.com` not found."}}),
        ))
        .mount(&server)
        .await;
    let query = EventsQuery {
        identifier: "ada@example.com".into(),
        ..EventsQuery::default()
    };
    let error = client(&server)
        .events(query)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Api { .. }));
    assert_eq!(error.whop_error().unwrap().type_, "not_found");
}
