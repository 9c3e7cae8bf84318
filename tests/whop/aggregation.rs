//! People are aggregated from their events, over the requested window.

use persons_mock::whop::{AdEntity, Event, StandardEvent};
use persons_sdk::whop::PersonQuery;

use crate::support::{ACCOUNT, DAY, Fixture, NOW};

fn ada_events() -> Vec<Event> {
    let ad = |event: Event| {
        event
            .campaign(AdEntity::new("adcamp_1").name("Launch"))
            .ad_set(AdEntity::new("adgrp_1").name("Lookalikes"))
            .ad(AdEntity::new("ad_1")
                .name("Video A")
                .thumbnail_url("https://cdn.example.com/a.png"))
    };
    vec![
        ad(Event::page_view().visitor("wuid_ada").at(NOW - 30 * DAY)),
        Event::standard(StandardEvent::Lead)
            .visitor("wuid_ada")
            .email("ada@example.com")
            .name("Ada")
            .phone("+15550001")
            .at(NOW - 20 * DAY),
        Event::purchase(49.0)
            .email("ADA@example.com")
            .at(NOW - 10 * DAY),
        Event::failed_payment()
            .email("ada@example.com")
            .at(NOW - 5 * DAY),
        Event::purchase(19.5)
            .user_id("user_ada")
            .email("ada@example.com")
            .name("Ada Lovelace")
            .at(NOW - 2 * DAY),
    ]
}

#[tokio::test]
async fn a_person_carries_the_aggregates_of_all_their_events() {
    let fixture = Fixture::new().await;
    fixture.ingest(ada_events());
    let people = fixture.list_sorted_by("last_seen_at").await;
    assert_eq!(people.len(), 1);
    let ada = &people[0];
    assert_eq!(ada.person_id, "wuid_ada");
    assert!(ada.id.starts_with("prsn_"));
    assert_eq!(ada.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        (ada.first_seen_at, ada.last_seen_at),
        (NOW - 30 * DAY, NOW - 2 * DAY)
    );
    assert_eq!(ada.purchase_count, 2);
    assert_eq!((ada.ltv, ada.aov), (Some(68.5), Some(34.25)));
    assert_eq!(ada.has_failed_payment, Some(true));
    assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.phone.as_deref(), Some("+15550001"));
    assert_eq!(ada.campaigns[0].id, "adcamp_1");
    assert_eq!(ada.campaigns[0].name.as_deref(), Some("Launch"));
    assert_eq!(ada.ad_sets[0].name.as_deref(), Some("Lookalikes"));
    assert_eq!(
        ada.ads[0].thumbnail_url.as_deref(),
        Some("https://cdn.example.com/a.png")
    );
}

#[tokio::test]
async fn a_window_bounds_every_aggregate() {
    let fixture = Fixture::new().await;
    fixture.ingest(ada_events());
    let page = fixture
        .client
        .generated()
        .list_people()
        .from(NOW - 25 * DAY)
        .to(NOW - 8 * DAY)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_count, 1);
    let ada = &page.data[0];
    assert_eq!(
        (ada.first_seen_at, ada.last_seen_at),
        (NOW - 20 * DAY, NOW - 10 * DAY)
    );
    assert_eq!(
        (ada.purchase_count, ada.ltv, ada.aov),
        (1, Some(49.0), Some(49.0))
    );
    assert_eq!(ada.has_failed_payment, Some(false));
    assert_eq!(
        ada.name.as_deref(),
        Some("Ada"),
        "the latest name inside the window"
    );
    assert!(
        ada.campaigns.is_empty(),
        "the ad touched her before the window"
    );
}

#[tokio::test]
async fn people_without_events_in_the_window_are_not_listed() {
    let fixture = Fixture::new().await;
    fixture.ingest([
        Event::page_view().visitor("wuid_old").at(NOW - 367 * DAY),
        Event::page_view()
            .visitor("wuid_recent")
            .at(NOW - 365 * DAY),
        Event::page_view().visitor("wuid_future").at(NOW + DAY),
    ]);
    let people = fixture.list_sorted_by("last_seen_at").await;
    assert_eq!(crate::support::person_ids(&people), ["wuid_recent"]);

    let all_time = fixture
        .client
        .generated()
        .list_people()
        .from(0)
        .to(NOW + 2 * DAY)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all_time.total_count, 3);
}

#[tokio::test]
async fn the_default_window_follows_the_mock_clock() {
    let fixture = Fixture::new().await;
    fixture.ingest([Event::page_view().visitor("wuid_1").at(NOW - 300 * DAY)]);
    assert_eq!(fixture.list_sorted_by("last_seen_at").await.len(), 1);
    fixture
        .mock
        .clock()
        .advance(std::time::Duration::from_secs(100 * DAY as u64));
    assert!(fixture.list_sorted_by("last_seen_at").await.is_empty());
}

#[tokio::test]
async fn retrieve_finds_a_person_by_any_identifier_within_a_window() {
    let fixture = Fixture::new().await;
    fixture.ingest(ada_events());
    let id = fixture.list_sorted_by("ltv").await[0].id.clone();
    for key in [id.as_str(), "wuid_ada", "user_ada", "Ada@Example.com"] {
        let ada = fixture
            .client
            .retrieve_person(key, &PersonQuery::default())
            .await
            .unwrap();
        assert_eq!(
            (ada.id.as_str(), ada.purchase_count),
            (id.as_str(), 2),
            "looked up by {key}"
        );
    }
    let until_day_15 = PersonQuery {
        to: Some(NOW - 15 * DAY),
        ..PersonQuery::default()
    };
    let early = fixture
        .client
        .retrieve_person(&id, &until_day_15)
        .await
        .unwrap();
    assert_eq!(
        (early.purchase_count, early.last_seen_at),
        (0, NOW - 20 * DAY)
    );
    assert_eq!(early.ltv, Some(0.0));
}

#[tokio::test]
async fn visitors_who_identify_with_the_same_email_become_one_person() {
    let fixture = Fixture::new().await;
    fixture.ingest([
        Event::page_view().visitor("wuid_phone").at(NOW - 9 * DAY),
        Event::page_view().visitor("wuid_laptop").at(NOW - 8 * DAY),
        Event::purchase(10.0)
            .visitor("wuid_laptop")
            .at(NOW - 7 * DAY),
    ]);
    assert_eq!(fixture.list_sorted_by("ltv").await.len(), 2);
    fixture.ingest([
        Event::standard(StandardEvent::Lead)
            .visitor("wuid_phone")
            .email("grace@example.com")
            .at(NOW - 6 * DAY),
        Event::standard(StandardEvent::Lead)
            .visitor("wuid_laptop")
            .email("grace@example.com")
            .at(NOW - 5 * DAY),
    ]);
    let people = fixture.list_sorted_by("ltv").await;
    assert_eq!(people.len(), 1);
    let grace = &people[0];
    assert_eq!(
        grace.person_id, "wuid_phone",
        "the first-created person survives"
    );
    assert_eq!(
        (grace.first_seen_at, grace.purchase_count),
        (NOW - 9 * DAY, 1)
    );
    let via_merged = fixture
        .client
        .retrieve_person("wuid_laptop", &PersonQuery::default())
        .await
        .unwrap();
    assert_eq!(via_merged.id, grace.id);
}
