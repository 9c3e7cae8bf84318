//! Delays and dropped connections against the SDK: a GET that outlasts the client's timeout
//! is retried and then fails with a timeout, a POST is not retried (though the model applied
//! it); a dropped connection is retried on a GET and surfaces as a transport error on a POST.

use std::time::Duration;

use persons_mock::MockServer;
use persons_mock::faults::FaultKind;
use persons_sdk::{posthog, whop};

use crate::support::{self, ACCOUNT};

#[tokio::test]
async fn a_delay_is_answered_by_the_model_late() {
    let mock = MockServer::start().await;
    let client = support::posthog(&mock).build().unwrap();
    let delay = Duration::from_millis(300);
    mock.faults()
        .route("GET", "/posthog/api/projects/{project_id}/persons/")
        .times(1)
        .delay(delay)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let page = client
        .list_persons(&posthog::PersonsQuery::default(), 0)
        .await
        .unwrap();
    assert!(page.results.is_empty());
    assert!(
        started.elapsed() >= delay,
        "the answer came after the delay"
    );
    let call = mock.journal().calls("persons_list").single();
    assert_eq!(
        (call.status(), call.fault()),
        (Some(200), Some(&FaultKind::Delay(delay)))
    );
}

#[tokio::test]
async fn a_delay_longer_than_the_timeout_gives_the_sdks_timeout_error() {
    let mock = MockServer::start().await;
    let timeout = Duration::from_millis(200);
    let client = support::whop(&mock)
        .timeout(timeout)
        .max_retries(1)
        .build()
        .unwrap();
    mock.faults()
        .operation("listPeople")
        .delay(Duration::from_secs(2))
        .await
        .unwrap();

    let error = client
        .list_people(&whop::PeopleQuery::default(), 0)
        .await
        .unwrap_err();
    match &error {
        persons_sdk::Error::Transport(source) => assert!(source.is_timeout(), "{source:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }

    let calls = mock.journal().calls("listPeople");
    calls.assert_count(2);
    assert!(
        calls
            .entries()
            .iter()
            .all(|call| call.fault() == Some(&FaultKind::Delay(Duration::from_secs(2))))
    );
}

#[tokio::test]
async fn a_post_that_outlasts_the_timeout_is_not_retried_but_was_applied() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    mock.faults()
        .operation("createEvent")
        .delay(Duration::from_secs(1))
        .await
        .unwrap();

    let error = client
        .create_event(page_view("wuid_late").try_into().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, persons_sdk::Error::Transport(source) if source.is_timeout()),
        "{error:?}"
    );
    let call = mock.journal().calls("createEvent").single();
    assert_eq!(call.status(), Some(200), "the model answered, too late");
    let people = client
        .list_people(&whop::PeopleQuery::default(), 0)
        .await
        .unwrap();
    assert_eq!(people.total_count, 1, "the write was applied");
}

#[tokio::test]
async fn a_dropped_connection_on_a_get_is_retried() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    let fault = mock
        .faults()
        .operation("listPeople")
        .times(1)
        .drop_connection()
        .await
        .unwrap();

    client
        .list_people(&whop::PeopleQuery::default(), 0)
        .await
        .unwrap();

    let calls = mock.journal().calls("listPeople");
    calls.assert_count(2);
    let dropped = &calls.entries()[0];
    assert_eq!(dropped.status(), None);
    assert_eq!(dropped.fault(), Some(&FaultKind::DropConnection));
    assert_eq!(calls.entries()[1].status(), Some(200));
    assert_eq!(fault.hits(), 1);
}

#[tokio::test]
async fn a_dropped_connection_on_a_post_is_a_transport_error() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    mock.faults()
        .route("POST", "/whop/api/v1/events")
        .times(1)
        .drop_connection()
        .await
        .unwrap();
    let error = client
        .create_event(page_view("wuid_1").try_into().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(error, persons_sdk::Error::Transport(_)),
        "{error:?}"
    );
    assert_eq!(error.status(), None);
    let call = mock.journal().calls("createEvent").single();
    assert_eq!(call.fault(), Some(&FaultKind::DropConnection));
}

/// A page view of `visitor` in [`ACCOUNT`].
fn page_view(visitor: &str) -> whop::types::builder::CreateEventRequest {
    whop::types::CreateEventRequest::builder()
        .account_id(ACCOUNT)
        .event_name("page")
        .user(whop::types::EventUser {
            anonymous_id: Some(visitor.into()),
            ..whop::types::EventUser::default()
        })
}
