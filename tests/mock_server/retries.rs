//! 429 and 500 faults against the SDK's retry policy: a 429 is waited out for its
//! `Retry-After` and retried (GET), a 500 is retried on a GET and not on a POST, and when
//! retries run out the caller gets the vendor's own error body.

use std::time::Duration;

use persons_mock::MockServer;
use persons_mock::faults::FaultKind;
use persons_sdk::{pipedrive, posthog, whop};

use crate::support::{self, ACCOUNT, between};

const ONE_SECOND: Duration = Duration::from_secs(1);

/// The first two calls answered 429 by `fault`, the third by the model; each retry came at
/// least `Retry-After` after the call before it.
fn assert_waited_out(calls: &[persons_mock::journal::Entry]) {
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let statuses: Vec<Option<u16>> = calls.iter().map(|entry| entry.status()).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
    let limited = FaultKind::RateLimited {
        retry_after: ONE_SECOND,
    };
    assert_eq!(calls[0].fault(), Some(&limited));
    assert_eq!(calls[2].fault(), None);
    assert_eq!(calls[0].response_header("retry-after"), Some("1"));
    for pair in calls.windows(2) {
        assert!(
            between(&pair[0], &pair[1]) >= ONE_SECOND,
            "{} came {:?} after {}",
            pair[1],
            between(&pair[0], &pair[1]),
            pair[0]
        );
    }
}

#[tokio::test]
async fn whop_429s_are_waited_out_and_the_list_succeeds() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    let fault = mock
        .faults()
        .operation("listPeople")
        .times(2)
        .rate_limited(ONE_SECOND)
        .await
        .unwrap();

    let query = whop::PeopleQuery {
        page_size: Some(50),
        ..whop::PeopleQuery::default()
    };
    let page = client.list_people(&query, 0).await.unwrap();
    assert_eq!(page.total_count, 0);

    let calls = mock.journal().calls("listPeople").with_query("first", "50");
    calls.assert_count(3);
    assert_waited_out(calls.entries());
    let body = calls.entries()[0].response_json().unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_exceeded");
    assert_eq!(fault.hits(), 2);
    assert!(!fault.is_active());
}

#[tokio::test]
async fn posthog_429s_are_waited_out_and_the_list_succeeds() {
    let mock = MockServer::start().await;
    let client = support::posthog(&mock).build().unwrap();
    mock.faults()
        .operation("persons_list")
        .times(2)
        .rate_limited(ONE_SECOND)
        .await
        .unwrap();

    let page = client
        .list_persons(&posthog::PersonsQuery::default(), 0)
        .await
        .unwrap();
    assert!(page.results.is_empty());

    let calls = mock.journal().calls("persons_list");
    assert_waited_out(calls.entries());
    assert_eq!(
        calls.entries()[1].response_json().unwrap(),
        serde_json::json!({
            "type": "throttled_error",
            "code": "throttled",
            "detail": "Request was throttled. Expected available in 1 second.",
            "attr": null
        })
    );
}

#[tokio::test]
async fn pipedrive_429s_are_waited_out_and_the_list_succeeds() {
    let mock = MockServer::start().await;
    let client = support::pipedrive(&mock).build().unwrap();
    mock.faults()
        .operation("getPersons")
        .in_api("pipedrive-v2")
        .times(2)
        .rate_limited(ONE_SECOND)
        .await
        .unwrap();

    let page = client
        .list_persons(&pipedrive::PersonsQuery::default(), None)
        .await
        .unwrap();
    assert!(page.success);

    let calls = mock.journal().calls("getPersons").in_api("pipedrive-v2");
    assert_waited_out(calls.entries());
    let body = calls.entries()[0].response_json().unwrap();
    assert_eq!(
        (body["success"].as_bool(), body["errorCode"].as_i64()),
        (Some(false), Some(429))
    );
}

#[tokio::test]
async fn when_retries_run_out_each_sdk_returns_its_vendors_429_body() {
    let mock = MockServer::start().await;
    let faults = mock.faults();
    for id in ["listPeople", "persons_list", "getPersons"] {
        faults
            .operation(id)
            .rate_limited(Duration::ZERO)
            .await
            .unwrap();
    }

    let whop = support::whop(&mock).max_retries(1).build().unwrap();
    let error = whop
        .list_people(&whop::PeopleQuery::default(), 0)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.whop_error().unwrap().type_, "rate_limit_exceeded");

    let posthog = support::posthog(&mock).max_retries(1).build().unwrap();
    let error = posthog
        .list_persons(&posthog::PersonsQuery::default(), 0)
        .await
        .unwrap_err();
    let body = error.posthog_error().expect("PostHog's error body");
    assert_eq!(
        (error.status().map(|s| s.as_u16()), body.type_.as_str()),
        (Some(429), "throttled_error")
    );

    let pipedrive = support::pipedrive(&mock).max_retries(1).build().unwrap();
    let error = pipedrive
        .list_persons(&pipedrive::PersonsQuery::default(), None)
        .await
        .unwrap_err();
    let body = error.pipedrive_error().expect("Pipedrive's error body");
    assert_eq!(
        (
            error.status().map(|s| s.as_u16()),
            body.error_code,
            body.error.message()
        ),
        (Some(429), Some(429), "Request over limit")
    );

    let journal = mock.journal();
    for id in ["listPeople", "persons_list", "getPersons"] {
        journal.calls(id).with_status(429).assert_count(2);
    }
}

#[tokio::test]
async fn a_500_on_a_get_is_retried() {
    let mock = MockServer::start().await;
    let client = support::pipedrive(&mock).build().unwrap();
    mock.faults()
        .route("GET", "/pipedrive/api/v2/persons")
        .times(1)
        .server_error()
        .await
        .unwrap();

    client
        .list_persons(&pipedrive::PersonsQuery::default(), None)
        .await
        .unwrap();

    let calls = mock.journal().calls("getPersons");
    calls.assert_count(2);
    let failed = &calls.entries()[0];
    assert_eq!(failed.status(), Some(500));
    assert_eq!(failed.fault(), Some(&FaultKind::ServerError));
    assert_eq!(
        failed.response_json().unwrap()["error"],
        "Internal server error"
    );
    assert_eq!(calls.entries()[1].status(), Some(200));
}

#[tokio::test]
async fn a_500_on_a_post_is_not_retried_and_the_model_never_sees_it() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    let fault = mock
        .faults()
        .operation("createEvent")
        .times(1)
        .server_error()
        .await
        .unwrap();
    let event = || {
        whop::types::CreateEventRequest::builder()
            .account_id(ACCOUNT)
            .event_name("page")
            .user(whop::types::EventUser {
                anonymous_id: Some("wuid_1".into()),
                ..whop::types::EventUser::default()
            })
    };

    let error = client
        .create_event(event().try_into().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.whop_error().unwrap().type_, "internal_server_error");
    mock.journal().calls("createEvent").single();
    let people = client
        .list_people(&whop::PeopleQuery::default(), 0)
        .await
        .unwrap();
    assert_eq!(
        people.total_count, 0,
        "the fault answered instead of the model"
    );

    client
        .create_event(event().try_into().unwrap())
        .await
        .unwrap();
    assert_eq!(fault.hits(), 1);
    mock.journal()
        .calls("createEvent")
        .with_status(200)
        .single();
}

#[tokio::test]
async fn a_429_on_a_post_is_not_retried() {
    let mock = MockServer::start().await;
    let client = support::pipedrive(&mock).build().unwrap();
    mock.faults()
        .operation("addPerson")
        .in_api("pipedrive-v2")
        .times(1)
        .rate_limited(Duration::ZERO)
        .await
        .unwrap();

    let person = pipedrive::v2::types::PersonInput {
        name: Some("Ada".into()),
        ..Default::default()
    };
    let error = persons_sdk::into_body(client.v2().add_person().body(person).send().await)
        .await
        .unwrap_err();
    assert_eq!(
        error.pipedrive_error().and_then(|body| body.error_code),
        Some(429)
    );
    mock.journal().calls("addPerson").single();
}
