//! Person semantics seen through the API after capture: identify, alias, merges, set/set_once/
//! unset, personless events, deletion and re-creation.

use persons_mock::posthog::Event as Seed;
use persons_sdk::posthog::{Event, PersonsQuery};
use serde_json::json;

use crate::support::{Fixture, PROJECT};

/// An anonymous-looking (UUID-like) distinct id, as posthog-js generates.
const ANON: &str = "0190f2c4-1a2b-7c3d-8e4f-123456789abc";

#[tokio::test]
async fn identify_alias_and_set_shape_one_person() {
    let fixture = Fixture::new().await;
    let capture = &fixture.capture;
    capture
        .send(Event::new("$pageview", ANON).set("source", "ads"))
        .await
        .unwrap();
    capture
        .send(
            Event::identify("user", ANON)
                .set("email", "u@x.com")
                .set_once("plan", "free"),
        )
        .await
        .unwrap();
    capture.send(Event::alias("user", "crm-1")).await.unwrap();
    capture
        .send(Event::set_properties_once("crm-1").set_once("plan", "pro"))
        .await
        .unwrap();
    capture
        .send(Event::unset_properties("user", ["source"]))
        .await
        .unwrap();
    let page = fixture
        .client
        .list_persons(&PersonsQuery::default(), 0)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    let person = &page.results[0];
    assert_eq!(
        person.distinct_ids,
        vec![ANON, "user", "crm-1"],
        "the list keeps storage order"
    );
    assert_eq!(person.properties.get("email"), Some(&json!("u@x.com")));
    assert_eq!(
        person.properties.get("plan"),
        Some(&json!("free")),
        "set_once never overwrites"
    );
    assert!(!person.properties.contains_key("source"));
    assert!(person.is_identified);
    assert_eq!(person.name, "u@x.com");
    let retrieved = fixture
        .client
        .retrieve_person(&person.uuid.to_string())
        .await
        .unwrap();
    assert_eq!(
        retrieved.distinct_ids,
        vec!["user", "crm-1", ANON],
        "retrieve puts anonymous ids last"
    );
    assert_eq!(retrieved.uuid, person.uuid);
}

#[tokio::test]
async fn identified_persons_are_not_merged_by_identify() {
    let fixture = Fixture::new().await;
    fixture.seed([
        Seed::identify("a", "anon-a"),
        Seed::identify("b", "anon-b"),
        Seed::identify("a", "b"),
    ]);
    let a = fixture.posthog.person(PROJECT, "a").unwrap();
    let b = fixture.posthog.person(PROJECT, "b").unwrap();
    assert_ne!(a.uuid, b.uuid);
    fixture.seed([Seed::merge_dangerously("a", "b")]);
    assert_eq!(fixture.posthog.person(PROJECT, "b").unwrap().uuid, a.uuid);
    assert_eq!(fixture.posthog.person_count(PROJECT), 1);
    fixture.posthog.check_invariants(PROJECT).unwrap();
}

#[tokio::test]
async fn personless_events_create_no_person() {
    let fixture = Fixture::new().await;
    fixture
        .capture
        .send(Event::new("$pageview", "ghost").personless())
        .await
        .unwrap();
    fixture
        .capture
        .send(Event::identify("user", "ghost").personless())
        .await
        .unwrap();
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}

#[tokio::test]
async fn a_deleted_person_comes_back_with_the_same_uuid() {
    let fixture = Fixture::new().await;
    fixture.seed([Seed::new("e", "d").set("a", 1)]);
    let before = fixture.posthog.person(PROJECT, "d").unwrap();
    fixture
        .client
        .delete_person(&before.pk.to_string(), false)
        .await
        .unwrap();
    assert!(fixture.posthog.person(PROJECT, "d").is_none());
    fixture.capture.send(Event::new("e", "d")).await.unwrap();
    let after = fixture.posthog.person(PROJECT, "d").unwrap();
    assert_eq!(after.uuid, before.uuid);
    assert_ne!(after.pk, before.pk);
    assert!(!after.properties.contains_key("a"));
}

#[tokio::test]
async fn reset_forgets_projects_keys_and_persons() {
    let fixture = Fixture::new().await;
    fixture.seed([Seed::new("e", "d")]);
    fixture.mock.reset();
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
    let error = fixture
        .client
        .list_persons(&PersonsQuery::default(), 0)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(401));
}
