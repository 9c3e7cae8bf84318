//! End to end through `persons_sdk::whop::current`, the client of Whop's current contract:
//! its cursor stream, every list filter and order, retrieve by every kind of identifier with
//! merged people resolving to the survivor, the person's Era C fields, events, errors.

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use persons_mock::whop::{AdEntity, Event, StandardEvent};
use persons_sdk::whop::current::{Client, EventsQuery, Metric, PeopleQuery, Source, types};

use crate::support::{ACCOUNT, DAY, Fixture, NOW};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// Five people: ada (referred by Google, identified, member, two purchases, a custom event),
/// bob (a Whop ad, one purchase), cy (a Facebook click, a name but no contact), dee (a newsletter link),
/// and x, who absorbed a second visitor `wuid_y` by a later event carrying both.
async fn fixture() -> (Fixture, Client) {
    let fx = Fixture::new().await;
    let t = |days: i64| NOW - days * DAY;
    fx.ingest([
        Event::page_view()
            .visitor("wuid_ada")
            .user_agent(IPHONE)
            .ip("203.0.113.7")
            .location("London", "GB")
            .referrer("https://www.google.com/search?q=whop")
            .at(t(30)),
        Event::standard(StandardEvent::Lead)
            .visitor("wuid_ada")
            .email("ada@example.com")
            .name("Ada Lovelace")
            .phone("+15550000001")
            .user_id("user_ada")
            .username("ada")
            .at(t(29)),
        Event::purchase(49.0)
            .email("ada@example.com")
            .member_id("mber_ada")
            .at(t(20)),
        Event::purchase(100.0).email("ada@example.com").at(t(10)),
        Event::custom("webinar").email("ada@example.com").at(t(9)),
        Event::page_view()
            .visitor("wuid_bob")
            .campaign(AdEntity::new("adcamp_1").name("Spring"))
            .ad_set(AdEntity::new("adgrp_1"))
            .ad(AdEntity::new("ad_1").thumbnail_url("https://cdn.example.com/ad_1.png"))
            .at(t(40)),
        Event::purchase(10.0)
            .visitor("wuid_bob")
            .email("bob@example.com")
            .name("Bob")
            .at(t(5)),
        Event::page_view()
            .visitor("wuid_cy")
            .name("cy")
            .click_id("fbclid", "fb.1")
            .location("Austin", "US")
            .at(t(3)),
        Event::page_view()
            .visitor("wuid_dee")
            .utm("newsletter", Some("email"), None)
            .email("dee@example.com")
            .at(t(50)),
        Event::page_view()
            .visitor("wuid_x")
            .email("x@example.com")
            .at(t(60)),
    ]);
    let key = fx.whop.create_account_key(ACCOUNT);
    let client = Client::builder()
        .base_url(fx.whop.base_url())
        .api_key(key)
        .max_retries(0)
        .build()
        .unwrap();
    (fx, client)
}

/// The e-mails (or, without one, the names) of everyone `query` lists, in order.
async fn emails(client: &Client, query: PeopleQuery) -> Vec<String> {
    let people: Vec<types::Person> = client.people(query).try_collect().await.expect("lists");
    people
        .into_iter()
        .map(|person| person.email.or(person.name).unwrap_or(person.id))
        .collect()
}

#[tokio::test]
async fn the_stream_follows_cursors_through_everyone() {
    let (fx, client) = fixture().await;
    fx.ingest((0..45).map(|i| {
        Event::page_view()
            .visitor(format!("wuid_more{i}"))
            .at(NOW - i)
    }));
    let query = PeopleQuery {
        page_size: Some(7),
        ..PeopleQuery::default()
    };
    let people: Vec<types::Person> = client.people(query.clone()).try_collect().await.unwrap();
    assert_eq!(people.len(), 50);
    let first = client.list_people(&query, None).await.unwrap();
    assert_eq!((first.data.len(), first.total_count), (7, Some(50)));
    assert!(
        people
            .windows(2)
            .all(|w| w[0].last_seen_at >= w[1].last_seen_at),
        "newest first"
    );
}

#[tokio::test]
async fn every_filter_selects_its_people() {
    let (_fx, client) = fixture().await;
    let q = PeopleQuery::default;
    let at = |days: i64| Utc.timestamp_opt(NOW - days * DAY, 0).unwrap();
    let cases: Vec<(&str, PeopleQuery, Vec<&str>)> = vec![
        (
            "query",
            PeopleQuery {
                query: Some("LOVELACE".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "query on user id",
            PeopleQuery {
                query: Some("user_a".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "has_purchased",
            PeopleQuery {
                has_purchased: Some(true),
                ..q()
            },
            vec!["bob@example.com", "ada@example.com"],
        ),
        (
            "contactable",
            PeopleQuery {
                contactable: Some(false),
                ..q()
            },
            vec!["cy"],
        ),
        (
            "country",
            PeopleQuery {
                country: Some("gb".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "user_id",
            PeopleQuery {
                user_id: Some("user_ada".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "email",
            PeopleQuery {
                email: Some("BOB@example.com".into()),
                ..q()
            },
            vec!["bob@example.com"],
        ),
        (
            "phone",
            PeopleQuery {
                phone: Some("+15550000001".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "ltv_gte",
            PeopleQuery {
                ranges: vec![Metric::Ltv.gte(149.0)],
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "aov",
            PeopleQuery {
                ranges: vec![Metric::Aov.gt(0.0), Metric::Aov.lt(74.5)],
                ..q()
            },
            vec!["bob@example.com"],
        ),
        (
            "purchase_count",
            PeopleQuery {
                ranges: vec![Metric::PurchaseCount.gte(2.0)],
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "event_count",
            PeopleQuery {
                ranges: vec![Metric::EventCount.lte(1.0)],
                ..q()
            },
            vec!["cy", "dee@example.com", "x@example.com"],
        ),
        (
            "source ext",
            PeopleQuery {
                sources: vec![Source::External("facebook".into())],
                ..q()
            },
            vec!["cy"],
        ),
        (
            "source whop prefix",
            PeopleQuery {
                sources: vec![Source::WhopAd {
                    campaign: "adcamp_1".into(),
                    ad_group: None,
                    ad: None,
                }],
                ..q()
            },
            vec!["bob@example.com"],
        ),
        (
            "source referrer or utm",
            PeopleQuery {
                sources: vec![
                    Source::Referrer("www.google.com".into()),
                    Source::Utm("newsletter".into()),
                ],
                ..q()
            },
            vec!["ada@example.com", "dee@example.com"],
        ),
        (
            "source direct",
            PeopleQuery {
                sources: vec![Source::Direct],
                ..q()
            },
            vec!["x@example.com"],
        ),
        (
            "first touch",
            PeopleQuery {
                sources: vec![Source::Other],
                attribution_model: Some(types::AttributionModel::FirstTouch),
                ..q()
            },
            vec!["dee@example.com"],
        ),
        (
            "event_name",
            PeopleQuery {
                event_names: vec!["purchase".into(), "lead".into()],
                ..q()
            },
            vec!["bob@example.com", "ada@example.com"],
        ),
        (
            "custom_event",
            PeopleQuery {
                custom_event: Some("webinar".into()),
                ..q()
            },
            vec!["ada@example.com"],
        ),
        (
            "activity window",
            PeopleQuery {
                event_from: Some(at(6)),
                ..q()
            },
            vec!["cy", "bob@example.com"],
        ),
        (
            "event_within_days",
            PeopleQuery {
                event_within_days: Some(4),
                ..q()
            },
            vec!["cy"],
        ),
        (
            "window and event name",
            PeopleQuery {
                event_from: Some(at(15)),
                event_names: vec!["purchase".into()],
                ..q()
            },
            vec!["bob@example.com", "ada@example.com"],
        ),
        (
            "first seen",
            PeopleQuery {
                first_seen_after: Some(at(45)),
                first_seen_before: Some(at(35)),
                ..q()
            },
            vec!["bob@example.com"],
        ),
        (
            "first seen within",
            PeopleQuery {
                first_seen_within_days: Some(31),
                ..q()
            },
            vec!["cy", "ada@example.com"],
        ),
        (
            "last seen",
            PeopleQuery {
                last_seen_before: Some(at(45)),
                ..q()
            },
            vec!["dee@example.com", "x@example.com"],
        ),
        (
            "last seen after and activity window end",
            PeopleQuery {
                last_seen_after: Some(at(20)),
                event_to: Some(at(30)),
                ..q()
            },
            // Active by day 30 and seen again since day 20; dee and x were last seen before.
            vec!["bob@example.com", "ada@example.com"],
        ),
        (
            "last seen within",
            PeopleQuery {
                last_seen_within_days: Some(9),
                ..q()
            },
            vec!["cy", "bob@example.com", "ada@example.com"],
        ),
        (
            "audience",
            PeopleQuery {
                audience_id: Some("aud_1".into()),
                ..q()
            },
            vec![],
        ),
    ];
    for (name, query, expected) in cases {
        assert_eq!(emails(&client, query).await, expected, "{name}");
    }
}

#[tokio::test]
async fn every_order_column_sorts_both_ways_with_nulls_last() {
    let (_fx, client) = fixture().await;
    let order = |order, direction| PeopleQuery {
        order: Some(order),
        direction: Some(direction),
        ..PeopleQuery::default()
    };
    use types::{PeopleOrder as O, SortDirection as D};
    let ltv = emails(&client, order(O::Ltv, D::Desc)).await;
    assert_eq!(ltv[..2], ["ada@example.com", "bob@example.com"]);
    let first_purchase = emails(&client, order(O::FirstPurchaseAt, D::Asc)).await;
    assert_eq!(first_purchase[..2], ["ada@example.com", "bob@example.com"]);
    let names = emails(&client, order(O::Name, D::Asc)).await;
    assert_eq!(
        names[..3],
        ["ada@example.com", "bob@example.com", "cy"],
        "named first, by bytes"
    );
    let names_desc = emails(&client, order(O::Name, D::Desc)).await;
    assert_eq!(
        names_desc[..3],
        ["cy", "bob@example.com", "ada@example.com"],
        "nulls still last"
    );
    assert_eq!(
        emails(&client, order(O::Email, D::Asc))
            .await
            .last()
            .unwrap(),
        "cy"
    );
    assert_eq!(
        emails(&client, order(O::EventCount, D::Desc)).await[0],
        "ada@example.com"
    );
    assert_eq!(
        emails(&client, order(O::FirstSeenAt, D::Asc)).await[0],
        "x@example.com"
    );
    for column in [O::LastSeenAt, O::LastPurchaseAt, O::PurchaseCount, O::Aov] {
        let up = emails(&client, order(column, D::Asc)).await;
        assert_eq!(up.len(), 5, "{column:?}");
    }
}

#[tokio::test]
async fn retrieve_finds_people_by_any_identifier_and_merges_resolve_to_the_survivor() {
    let (fx, client) = fixture().await;
    fx.ingest([Event::page_view().visitor("wuid_y").at(NOW - 2 * DAY)]);
    let y = client.retrieve_person("wuid_y", None).await.unwrap();
    let x = client.retrieve_person("x@example.com", None).await.unwrap();
    assert_ne!(x.id, y.id);
    fx.ingest([Event::page_view()
        .visitor("wuid_y")
        .email("x@example.com")
        .at(NOW - DAY)]);
    let merged = client.retrieve_person(&y.id, None).await.unwrap();
    assert_eq!((merged.id.as_str(), merged.event_count), (x.id.as_str(), 3));
    let ada = client
        .retrieve_person("ada@example.com", None)
        .await
        .unwrap();
    for identifier in [
        ada.id.as_str(),
        "user_ada",
        "ADA@example.com",
        "+15550000001",
        "wuid_ada",
    ] {
        let found = client.retrieve_person(identifier, None).await.unwrap();
        assert_eq!(found.id, ada.id, "{identifier}");
    }
    let missing = client
        .retrieve_person("nobody@example.com", None)
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(missing.whop_error().unwrap().type_, "not_found");
}

#[tokio::test]
async fn a_profile_fills_every_current_field() {
    let (_fx, client) = fixture().await;
    let ada = client
        .retrieve_person("ada@example.com", None)
        .await
        .unwrap();
    assert_eq!(
        (ada.purchase_count, ada.ltv, ada.aov),
        (2, Some(149.0), Some(74.5))
    );
    assert_eq!(ada.event_count, 5);
    assert_eq!(ada.first_purchase_at.unwrap().timestamp(), NOW - 20 * DAY);
    assert_eq!(ada.last_purchase_at.unwrap().timestamp(), NOW - 10 * DAY);
    let device = ada.device.unwrap();
    assert_eq!(
        (
            device.browser.as_deref(),
            device.os.as_deref(),
            device.device.as_deref()
        ),
        (Some("Safari"), Some("iOS"), Some("mobile"))
    );
    let location = ada.location.unwrap();
    assert_eq!(
        (
            location.city.as_deref(),
            location.country.as_deref(),
            location.continent.as_deref()
        ),
        (Some("London"), Some("GB"), Some("Europe"))
    );
    assert_eq!(ada.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(ada.last_ip.as_deref(), Some("203.0.113.7"));
    let member = ada.member.unwrap();
    assert_eq!(
        (member.id.as_str(), member.usd_total_spend),
        ("mber_ada", Some(149.0))
    );
    let user = ada.user.unwrap();
    assert_eq!(
        (user.id.as_str(), user.username.as_deref()),
        ("user_ada", Some("ada"))
    );
    let source = ada.first_source.unwrap();
    assert_eq!(
        (source.type_, source.domain.as_deref()),
        (types::SourceType::Referrer, Some("www.google.com"))
    );
    assert_eq!(ada.emails, ["ada@example.com"]);
    assert_eq!(ada.phones, ["+15550000001"]);
    assert_eq!(ada.user_ids, ["user_ada"]);
    assert_eq!(ada.event_names, ["page", "lead", "purchase", "webinar"]);
    assert_eq!(ada.custom_event_names, ["webinar"]);
    assert_eq!(ada.roles, ["customer", "member", "lead"]);
    assert_eq!(
        ada.purchases
            .iter()
            .map(|p| p.usd_value)
            .collect::<Vec<_>>(),
        [49.0, 100.0]
    );
    assert_eq!(ada.usage.browser[0].value, "Safari");
    assert_eq!(ada.usage.referrer[0].value, "www.google.com");
    let bob = client
        .retrieve_person("bob@example.com", None)
        .await
        .unwrap();
    let ad = bob.last_source.unwrap();
    assert_eq!(ad.type_, types::SourceType::AdClick);
    assert_eq!(ad.campaign.unwrap().name.as_deref(), Some("Spring"));
    assert_eq!(
        ad.ad.unwrap().thumbnail_url.as_deref(),
        Some("https://cdn.example.com/ad_1.png")
    );
}

#[tokio::test]
async fn events_are_created_and_streamed_newest_first() {
    let (_fx, client) = fixture().await;
    let event: types::CreateEventRequest = serde_json::from_value(serde_json::json!({
        "account_id": ACCOUNT,
        "event_name": "add_to_cart",
        "user": {"email": "ada@example.com", "city": "Paris", "country": "FR"},
        "context": {"user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0 Safari/537.36", "utm_source": "spring"},
        "referrer_url": "https://news.example.com/a"
    }))
    .unwrap();
    let created = client.create_event(event).await.unwrap();
    let query = EventsQuery {
        identifier: "user_ada".into(),
        page_size: Some(2),
        ..EventsQuery::default()
    };
    let events: Vec<types::EventRecord> = client.events(query).try_collect().await.unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[0].id, created.id);
    assert_eq!(events[0].user.city.as_deref(), Some("Paris"));
    assert!(
        events
            .windows(2)
            .all(|w| w[0].event_time >= w[1].event_time)
    );
    let ada = client
        .retrieve_person("ada@example.com", None)
        .await
        .unwrap();
    assert_eq!(
        ada.timezone.as_deref(),
        Some("Europe/Paris"),
        "the latest location"
    );
    assert_eq!(ada.device.unwrap().browser.as_deref(), Some("Chrome"));
    assert_eq!(
        ada.last_source.unwrap().utm_source.as_deref(),
        Some("spring")
    );
}
