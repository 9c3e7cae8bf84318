//! Keys reach only their accounts; one account never sees another's people.

use persons_mock::whop::Event;
use persons_sdk::whop::types;

use crate::support::{DAY, Fixture, NOW, api_error, client, person_ids};

async fn two_accounts() -> (Fixture, String) {
    let fixture = Fixture::new().await;
    fixture.ingest([Event::page_view().visitor("wuid_mine").at(NOW - DAY)]);
    let other_key = fixture.whop.create_account_key("biz_other");
    fixture
        .whop
        .ingest(
            "biz_other",
            Event::page_view().visitor("wuid_theirs").at(NOW - DAY),
        )
        .unwrap();
    (fixture, other_key)
}

#[tokio::test]
async fn an_account_key_sees_only_its_own_people() {
    let (fixture, other_key) = two_accounts().await;
    let mine = fixture.list_sorted_by("last_seen_at").await;
    assert_eq!(person_ids(&mine), ["wuid_mine"]);
    let theirs = client(&fixture.whop, &other_key)
        .generated()
        .list_people()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(person_ids(&theirs.data), ["wuid_theirs"]);

    let (status, error) = api_error(
        fixture
            .client
            .generated()
            .list_people()
            .account_id("biz_other")
            .send()
            .await,
    );
    assert_eq!((status, error.type_.as_str()), (403, "forbidden"));
    let (status, _) = api_error(
        fixture
            .client
            .generated()
            .retrieve_person()
            .person_id(&theirs.data[0].id)
            .send()
            .await,
    );
    assert_eq!(
        status, 404,
        "another account's person does not exist for this key"
    );
    let (status, _) = api_error(
        fixture
            .client
            .generated()
            .retrieve_person()
            .person_id("wuid_theirs")
            .account_id("biz_other")
            .send()
            .await,
    );
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_multi_account_key_must_name_a_reachable_account() {
    let (fixture, _) = two_accounts().await;
    let app_key = fixture
        .whop
        .create_multi_account_key([crate::support::ACCOUNT, "biz_other"]);
    let app = client(&fixture.whop, &app_key);

    let (status, error) = api_error(app.generated().list_people().send().await);
    assert_eq!((status, error.param.as_deref()), (400, Some("account_id")));
    let (status, _) = api_error(
        app.generated()
            .retrieve_person()
            .person_id("wuid_mine")
            .send()
            .await,
    );
    assert_eq!(status, 400);

    for (account, visitor) in [
        (crate::support::ACCOUNT, "wuid_mine"),
        ("biz_other", "wuid_theirs"),
    ] {
        let people = app
            .generated()
            .list_people()
            .account_id(account)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(person_ids(&people.data), [visitor]);
    }
    fixture.whop.create_account("biz_third");
    let (status, _) = api_error(
        app.generated()
            .list_people()
            .account_id("biz_third")
            .send()
            .await,
    );
    assert_eq!(status, 403);
}

#[tokio::test]
async fn events_cannot_be_written_into_another_account() {
    let (fixture, _) = two_accounts().await;
    let body = types::CreateEventRequest::builder()
        .account_id("biz_other")
        .event_name("page")
        .user(types::EventUser {
            anonymous_id: Some("wuid_intruder".to_owned()),
            ..types::EventUser::default()
        });
    let (status, _) = api_error(
        fixture
            .client
            .generated()
            .create_event()
            .body(body)
            .send()
            .await,
    );
    assert_eq!(status, 403);
    assert_eq!(fixture.whop.person_count("biz_other"), 1);
}
