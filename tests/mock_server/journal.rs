//! The journal through the SDK: calls named by operationId, their query, bodies and
//! responses; readable failures; clearing; recording off; bounded capacity.

use persons_mock::MockServer;
use persons_sdk::{pipedrive, whop};

use crate::support::{self, ACCOUNT, panic_message};

fn page_of(size: u32) -> whop::PeopleQuery {
    whop::PeopleQuery {
        page_size: Some(size),
        ..whop::PeopleQuery::default()
    }
}

#[tokio::test]
async fn names_every_call_and_keeps_what_went_in_and_out() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    client.list_people(&page_of(50), 0).await.unwrap();
    client.list_people(&page_of(20), 0).await.unwrap();
    let event = whop::types::CreateEventRequest::builder()
        .account_id(ACCOUNT)
        .event_name("lead")
        .user(whop::types::EventUser {
            email: Some("ada@example.com".into()),
            ..whop::types::EventUser::default()
        });
    let created = client
        .create_event(event.try_into().unwrap())
        .await
        .unwrap();

    let journal = mock.journal();
    journal.calls("listPeople").assert_count(2);
    let fifty = journal
        .calls("listPeople")
        .with_query("first", "50")
        .single();
    assert_eq!(
        (fifty.method(), fifty.path()),
        ("GET", "/whop/api/v1/people")
    );
    assert_eq!(fifty.api(), Some("whop"));
    assert!(
        fifty
            .request_header("authorization")
            .is_some_and(|value| value.starts_with("Bearer "))
    );
    assert_eq!(fifty.response_json().unwrap()["total_count"], 0);

    let post = journal.calls("createEvent").single();
    assert_eq!(
        post.request_json().unwrap()["user"]["email"],
        "ada@example.com"
    );
    assert_eq!(post.response_json().unwrap()["id"], created.id.as_str());
    assert!(post.seq() > fifty.seq());
    assert!(post.time_micros() >= fifty.time_micros());
    journal
        .calls_to("POST", "/whop/api/v1/events")
        .with_status(200)
        .assert_count(1);
    assert_eq!(journal.all().count(), 3);
}

#[tokio::test]
async fn a_failed_assertion_lists_what_was_called() {
    let mock = MockServer::start().await;
    let client = support::pipedrive(&mock).build().unwrap();
    client
        .list_persons(&pipedrive::PersonsQuery::default(), None)
        .await
        .unwrap();
    client.v1().get_persons().send().await.unwrap();
    let journal = mock.journal();
    let v1 = journal.calls("getPersons").in_api("pipedrive-v1").single();
    assert_eq!(
        v1.path(),
        "/pipedrive/api/v1/persons",
        "v1 under its `/api/v1` alias"
    );

    let message = panic_message(|| {
        journal
            .calls("getPersons")
            .with_query("limit", "500")
            .assert_count(1);
    });
    assert!(
        message.starts_with("expected 1 calls of getPersons with limit=500, found 0"),
        "{message}"
    );
    assert!(
        message.contains("#0 GET /pipedrive/api/v2/persons → 200 getPersons (pipedrive-v2)"),
        "{message}"
    );
    let message = panic_message(|| {
        journal.calls("getPeople").single();
    });
    assert!(
        message.contains("no operation in specs/ is named `getPeople`"),
        "{message}"
    );
}

#[tokio::test]
async fn clear_forgets_and_recording_can_be_off_or_bounded() {
    let mock = MockServer::start().await;
    let client = support::whop(&mock).build().unwrap();
    client.list_people(&page_of(5), 0).await.unwrap();
    mock.journal().clear();
    assert!(mock.journal().is_empty());
    client.list_people(&page_of(6), 0).await.unwrap();
    let after = mock.journal().calls("listPeople").single();
    assert_eq!((after.query("first"), after.seq()), (Some("6"), 1));

    let quiet = MockServer::builder().journal(false).start().await;
    let client = support::whop(&quiet).build().unwrap();
    client.list_people(&page_of(5), 0).await.unwrap();
    assert!(!quiet.journal().is_recording());
    assert!(quiet.journal().is_empty());

    let bounded = MockServer::builder().journal_capacity(2).start().await;
    let client = support::whop(&bounded).build().unwrap();
    for size in [1, 2, 3] {
        client.list_people(&page_of(size), 0).await.unwrap();
    }
    let kept: Vec<Option<String>> = bounded
        .journal()
        .entries()
        .iter()
        .map(|entry| entry.query("first").map(str::to_owned))
        .collect();
    assert_eq!(kept, [Some("2".to_owned()), Some("3".to_owned())]);
    assert_eq!(bounded.journal().dropped(), 1);
}
