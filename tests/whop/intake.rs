//! Data enters through Whop's own Events API and is aggregated like pixel events.

use persons_sdk::whop::types;
use serde_json::json;

use crate::support::{ACCOUNT, DAY, Fixture, NOW, api_error};

fn rfc3339(unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix, 0).unwrap()
}

fn event(name: &str, visitor: &str) -> types::builder::CreateEventRequest {
    types::CreateEventRequest::builder()
        .account_id(ACCOUNT)
        .event_name(name)
        .user(visitor_user(visitor))
}

fn visitor_user(visitor: &str) -> types::EventUser {
    types::EventUser {
        anonymous_id: Some(visitor.to_owned()),
        ..types::EventUser::default()
    }
}

async fn send(fixture: &Fixture, body: types::builder::CreateEventRequest) -> String {
    fixture
        .client
        .generated()
        .create_event()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .id
}

#[tokio::test]
async fn events_sent_through_the_api_build_people() {
    let fixture = Fixture::new().await;
    let id = send(
        &fixture,
        event("page", "wuid_api").event_time(Some(rfc3339(NOW - 3 * DAY))),
    )
    .await;
    assert!(id.starts_with("evnt_"), "{id}");
    send(
        &fixture,
        event("lead", "wuid_api")
            .user(types::EventUser {
                email: Some("ken@example.com".to_owned()),
                first_name: Some("Ken".to_owned()),
                last_name: Some("Thompson".to_owned()),
                ..visitor_user("wuid_api")
            })
            .context(types::EventContext {
                ad_id: Some("ad_9".to_owned()),
                ..types::EventContext::default()
            })
            .event_time(Some(rfc3339(NOW - 2 * DAY))),
    )
    .await;
    for value in [100.0, 50.0] {
        send(
            &fixture,
            event("purchase", "wuid_api")
                .value(Some(value))
                .currency(Some("eur".to_owned()))
                .event_time(Some(rfc3339(NOW - DAY))),
        )
        .await;
    }
    send(&fixture, event("payment.failed", "wuid_api")).await;

    let people = fixture.list_sorted_by("ltv").await;
    assert_eq!(people.len(), 1);
    let ken = &people[0];
    assert_eq!(ken.name.as_deref(), Some("Ken Thompson"));
    assert_eq!(ken.email.as_deref(), Some("ken@example.com"));
    assert_eq!(
        (ken.purchase_count, ken.ltv, ken.aov),
        (2, Some(162.0), Some(81.0))
    );
    assert_eq!(ken.has_failed_payment, Some(true));
    assert_eq!(
        (ken.first_seen_at, ken.last_seen_at),
        (NOW - 3 * DAY, NOW),
        "no event_time means now"
    );
    assert_eq!(ken.ads[0].id, "ad_9");
}

#[tokio::test]
async fn an_event_id_is_counted_once_per_event_name() {
    let fixture = Fixture::new().await;
    let order = || {
        event("purchase", "wuid_1")
            .value(Some(10.0))
            .event_id(Some("order-1".to_owned()))
    };
    let first = send(&fixture, order()).await;
    let again = send(&fixture, order()).await;
    assert_eq!(first, again);
    send(
        &fixture,
        event("lead", "wuid_1").event_id(Some("order-1".to_owned())),
    )
    .await;
    let person = &fixture.list_sorted_by("ltv").await[0];
    assert_eq!((person.purchase_count, person.ltv), (1, Some(10.0)));
}

#[tokio::test]
async fn bad_event_bodies_are_400() {
    let fixture = Fixture::new().await;
    let key = fixture.whop.create_account_key(ACCOUNT);
    let post = |body: serde_json::Value| {
        let request = reqwest::Client::new()
            .post(format!("{}/events", fixture.whop.base_url()))
            .bearer_auth(&key)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let cases = [
        (
            json!({"event_name": "page", "user": {"anonymous_id": "w"}}),
            "account_id",
        ),
        (
            json!({"account_id": ACCOUNT, "user": {"anonymous_id": "w"}}),
            "event_name",
        ),
        (json!({"account_id": ACCOUNT, "event_name": "page"}), "user"),
        (
            json!({"account_id": ACCOUNT, "event_name": "page", "user": {}, "event_time": "tuesday"}),
            "event_time",
        ),
        (
            json!({"account_id": ACCOUNT, "event_name": "purchase", "value": 5, "currency": "zzz", "user": {"anonymous_id": "w"}}),
            "currency",
        ),
        (
            json!({"account_id": ACCOUNT, "event_name": "custom", "user": {"anonymous_id": "w"}}),
            "custom_name",
        ),
        (
            json!({"account_id": ACCOUNT, "event_name": "purchase", "value": 1e17, "user": {"anonymous_id": "w"}}),
            "value",
        ),
    ];
    for (body, param) in cases {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error"]["type"], "bad_request");
        assert_eq!(answer["error"]["param"], param, "{answer}");
    }
    let (status, answer) = post(json!(["not", "an", "object"])).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    assert_eq!(
        fixture.whop.person_count(ACCOUNT),
        0,
        "nothing was recorded"
    );

    let unauthenticated = crate::support::client(&fixture.whop, "nope");
    let (status, _) = api_error(
        unauthenticated
            .generated()
            .create_event()
            .body(event("page", "w"))
            .send()
            .await,
    );
    assert_eq!(status, 401);
}
