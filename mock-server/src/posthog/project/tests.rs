//! Ingestion and merge rules of the project model, and property tests of its invariants.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::posthog::event::Event;

const TEAM: i64 = 1;

fn project() -> Project {
    Project::new(TEAM, Arc::new(AtomicI64::new(1)))
}

fn ingest(project: &mut Project, event: Event) -> Option<PersonIndex> {
    project.ingest(event.into_new_event(), 0).expect("accepted")
}

fn owner<'a>(project: &'a Project, distinct_id: &str) -> &'a Person {
    project
        .by_distinct_id(distinct_id)
        .and_then(|index| project.person(index))
        .expect("a person owns the id")
}

fn ids(person: &Person) -> Vec<&str> {
    person.stored_distinct_ids().collect()
}

#[test]
fn creation_takes_the_first_events_time_uuid_and_set_over_set_once() {
    let mut project = project();
    ingest(
        &mut project,
        Event::new("$pageview", "anon")
            .set("a", 1)
            .set_once("a", 0)
            .set_once("b", 2)
            .at(100),
    );
    let person = owner(&project, "anon");
    assert_eq!(person.uuid, person_uuid(TEAM, "anon"));
    assert_eq!(person.created_at, 100_000_000);
    assert_eq!(person.properties["a"], 1);
    assert_eq!(person.properties["b"], 2);
    assert!(person.properties.contains_key("$creator_event_uuid"));
    assert!(!person.is_identified);
}

#[test]
fn updates_apply_set_once_then_set_then_unset_of_keys_present_before() {
    let mut project = project();
    ingest(
        &mut project,
        Event::new("e", "d")
            .set("kept", "x")
            .set("gone", 1)
            .set("nulled", json!(null)),
    );
    ingest(
        &mut project,
        Event::new("e", "d")
            .set_once("kept", "y")
            .set_once("nulled", "y")
            .set_once("fresh", "z")
            .set("gone", 2)
            .unset("gone")
            .set("new", 3)
            .unset("new"),
    );
    let properties = &owner(&project, "d").properties;
    assert_eq!(properties["kept"], "x");
    assert_eq!(
        properties["nulled"],
        json!(null),
        "a null value counts as defined"
    );
    assert_eq!(properties["fresh"], "z");
    assert!(
        !properties.contains_key("gone"),
        "set then unset of a key present before removes it"
    );
    assert_eq!(
        properties["new"], 3,
        "unset only removes keys present before the event"
    );
}

#[test]
fn identify_merges_the_anonymous_person_into_the_user() {
    let mut project = project();
    ingest(
        &mut project,
        Event::new("$pageview", "anon").set("source", "ads").at(10),
    );
    ingest(
        &mut project,
        Event::new("$pageview", "user")
            .set("source", "direct")
            .set("plan", "pro")
            .at(20),
    );
    ingest(
        &mut project,
        Event::identify("user", "anon")
            .set("email", "u@x.com")
            .at(30),
    );
    let person = owner(&project, "anon");
    assert_eq!(
        person.uuid,
        person_uuid(TEAM, "user"),
        "the target's person survives"
    );
    assert_eq!(
        ids(person),
        vec!["anon", "user"],
        "distinct ids keep their creation order"
    );
    assert_eq!(
        person.properties["source"], "direct",
        "the target's properties win"
    );
    assert_eq!(person.properties["email"], "u@x.com");
    assert_eq!(
        person.created_at, 10_000_000,
        "created_at is the earlier one"
    );
    assert!(person.is_identified);
    assert_eq!(project.person_count(), 1);
    assert!(project.by_uuid(&person_uuid(TEAM, "anon")).is_none());
    project.check_invariants().unwrap();
}

#[test]
fn identify_of_two_unknown_ids_creates_one_identified_person() {
    let mut project = project();
    ingest(&mut project, Event::identify("user", "anon"));
    let person = owner(&project, "anon");
    assert_eq!(ids(person), vec!["user", "anon"]);
    assert_eq!(person.uuid, person_uuid(TEAM, "user"));
    assert!(person.is_identified);
}

#[test]
fn merges_of_identified_persons_are_refused_unless_dangerous() {
    let mut project = project();
    ingest(&mut project, Event::identify("a", "anon-a"));
    ingest(&mut project, Event::identify("b", "anon-b"));
    ingest(&mut project, Event::alias("a", "b"));
    assert_ne!(owner(&project, "a").uuid, owner(&project, "b").uuid);
    ingest(&mut project, Event::merge_dangerously("a", "b"));
    assert_eq!(owner(&project, "a").uuid, owner(&project, "b").uuid);
    assert_eq!(
        ids(owner(&project, "a")),
        vec!["a", "anon-a", "b", "anon-b"]
    );
    project.check_invariants().unwrap();
}

#[test]
fn identify_without_anon_id_or_with_illegal_ids_does_not_merge() {
    let mut project = project();
    ingest(&mut project, Event::new("$identify", "user").set("x", 1));
    assert!(!owner(&project, "user").is_identified);
    ingest(&mut project, Event::new("$pageview", "null"));
    ingest(&mut project, Event::identify("user", "null"));
    assert_ne!(owner(&project, "user").uuid, owner(&project, "null").uuid);
    assert!(!owner(&project, "user").is_identified);
}

#[test]
fn personless_events_touch_no_person_and_personless_merges_are_refused() {
    let mut project = project();
    assert_eq!(
        ingest(&mut project, Event::new("$pageview", "d").personless()),
        None
    );
    assert_eq!(project.person_count(), 0);
    let refused = project.ingest(Event::identify("u", "d").personless().into_new_event(), 0);
    assert!(matches!(refused, Err(IngestError::PersonlessMerge(_))));
    assert_eq!(project.event_count(), 1, "a refused event is not logged");
}

#[test]
fn deletion_frees_distinct_ids_and_the_uuid_comes_back() {
    let mut project = project();
    let index = ingest(&mut project, Event::new("e", "d").set("a", 1)).unwrap();
    let uuid = owner(&project, "d").uuid;
    let actor = Actor {
        first_name: "T".into(),
        email: "t@x".into(),
    };
    assert!(project.delete_person(index, false, &actor, 0));
    assert!(project.by_distinct_id("d").is_none());
    assert!(
        project.values_of("a").is_none(),
        "the value index forgets the person"
    );
    ingest(&mut project, Event::new("e", "d"));
    assert_eq!(owner(&project, "d").uuid, uuid);
    assert!(!owner(&project, "d").properties.contains_key("a"));
}

#[test]
fn split_moves_ids_onto_their_own_deterministic_persons() {
    let mut project = project();
    ingest(
        &mut project,
        Event::identify("user", "anon").set("plan", "pro"),
    );
    ingest(&mut project, Event::alias("user", "crm"));
    let index = project.by_distinct_id("user").unwrap();
    let actor = Actor {
        first_name: "T".into(),
        email: "t@x".into(),
    };
    project.split(index, &["anon".to_owned(), "crm".to_owned()], &actor, 5);
    assert_eq!(ids(owner(&project, "user")), vec!["user"]);
    assert_eq!(
        owner(&project, "user").properties["plan"],
        "pro",
        "the original keeps its properties"
    );
    assert_eq!(owner(&project, "anon").uuid, person_uuid(TEAM, "anon"));
    assert!(owner(&project, "crm").properties.is_empty());
    project.check_invariants().unwrap();
}

/// One of a small pool of distinct ids (one anonymous-looking).
fn distinct_id() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "b",
        "c",
        "d",
        "e",
        "0190f2c4-aaaa-bbbb-cccc-000000000001",
    ])
}

/// One random event over a small pool of distinct ids.
fn arbitrary_event() -> impl Strategy<Value = Event> {
    let id = distinct_id;
    let key = prop::sample::select(vec!["k1", "k2", "k3"]);
    prop_oneof![
        (id(), key.clone(), 0..5i64).prop_map(|(d, k, v)| Event::new("$pageview", d).set(k, v)),
        (id(), key, 0..5i64).prop_map(|(d, k, v)| Event::new("$set", d).set_once(k, v)),
        (id(), id()).prop_map(|(target, other)| Event::identify(target, other)),
        (id(), id()).prop_map(|(previous, alias)| Event::alias(previous, alias)),
        (id(), id()).prop_map(|(target, other)| Event::merge_dangerously(target, other)),
    ]
}

proptest! {
    #[test]
    fn merges_keep_ids_unique_and_lose_no_property(events in prop::collection::vec(arbitrary_event(), 1..40)) {
        let mut project = project();
        let mut expected: Vec<(String, String)> = Vec::new();
        for event in events {
            let new = event.into_new_event();
            for object in ["$set", "$set_once"] {
                if let Some(Value::Object(map)) = new.properties.get(object) {
                    expected.extend(map.keys().map(|key| (new.distinct_id.clone(), key.clone())));
                }
            }
            project.ingest(new, 0).expect("accepted");
            prop_assert!(project.check_invariants().is_ok(), "{:?}", project.check_invariants());
        }
        for (distinct_id, key) in expected {
            let person = owner(&project, &distinct_id);
            prop_assert!(person.properties.contains_key(&key), "{} lost {}", distinct_id, key);
        }
    }
}

/// One operation on a project: an event, or a persons-API change.
#[derive(Clone, Debug)]
enum Operation {
    Ingest(Event),
    Delete {
        distinct_id: &'static str,
        keep_person: bool,
    },
    Split {
        distinct_id: &'static str,
        keep: usize,
    },
    Cohort(&'static str),
}

fn arbitrary_operation() -> impl Strategy<Value = Operation> {
    let id = distinct_id;
    let key = || prop::sample::select(vec!["k1", "k2", "email", "name"]);
    let searched = || prop::sample::select(vec!["email", "name"]);
    // Texts that share trigrams with each other and with the distinct ids.
    let text = || prop::sample::select(vec!["abc", "xabcx@example.com", "0190f2c4", "Ann Bee"]);
    prop_oneof![
        4 => arbitrary_event().prop_map(Operation::Ingest),
        1 => (id(), 0..3i64).prop_map(|(d, v)| Operation::Ingest(Event::new("$set", d).set("k1", v.to_string()))),
        1 => (id(), searched(), text()).prop_map(|(d, k, v)| Operation::Ingest(Event::new("$set", d).set(k, v))),
        1 => (id(), id(), text()).prop_map(|(target, other, v)| Operation::Ingest(Event::identify(target, other).set("email", v))),
        1 => (id(), key()).prop_map(|(d, k)| Operation::Ingest(Event::new("$delete_person_property", d).unset(k))),
        1 => (id(), key(), any::<bool>()).prop_map(|(d, k, v)| Operation::Ingest(Event::new("$set", d).set(k, v))),
        1 => (id(), any::<bool>()).prop_map(|(distinct_id, keep_person)| Operation::Delete { distinct_id, keep_person }),
        1 => (id(), 0..3usize).prop_map(|(distinct_id, keep)| Operation::Split { distinct_id, keep }),
        1 => id().prop_map(Operation::Cohort),
    ]
}

fn run(project: &mut Project, operation: Operation) {
    let actor = Actor {
        first_name: "T".into(),
        email: "t@example.com".into(),
    };
    match operation {
        Operation::Ingest(event) => {
            project.ingest(event.into_new_event(), 0).expect("accepted");
        }
        Operation::Delete {
            distinct_id,
            keep_person,
        } => {
            if let Some(index) = project.by_distinct_id(distinct_id) {
                project.delete_person(index, keep_person, &actor, 0);
            }
        }
        Operation::Split { distinct_id, keep } => {
            if let Some(index) = project.by_distinct_id(distinct_id) {
                let ids: Vec<String> = ids(owner(project, distinct_id))
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let moved: Vec<String> = ids
                    .iter()
                    .skip(keep.min(ids.len().saturating_sub(1)))
                    .cloned()
                    .collect();
                project.split(index, &moved, &actor, 0);
            }
        }
        Operation::Cohort(distinct_id) => {
            project.create_cohort("c", &[distinct_id]);
        }
    }
}

proptest! {
    #[test]
    fn indexes_equal_a_rebuild_after_any_operations(operations in prop::collection::vec(arbitrary_operation(), 1..60)) {
        let mut project = project();
        for operation in operations {
            let described = format!("{operation:?}");
            run(&mut project, operation);
            prop_assert!(project.check_invariants().is_ok(), "after {}: {:?}", described, project.check_invariants());
        }
        for index in project.newest_first().collect::<Vec<_>>() {
            let person = project.person(index).unwrap();
            prop_assert!(!person.distinct_ids.is_empty(), "a live person without distinct ids");
            if let Some(cohort) = project.cohorts().iter().find(|cohort| cohort.members.contains(&index)) {
                prop_assert!(project.person(index).is_some(), "cohort {} holds a dead person", cohort.id);
            }
        }
    }
}

#[test]
fn merges_move_cohort_membership_to_the_survivor() {
    let mut project = project();
    ingest(&mut project, Event::new("$pageview", "anon"));
    ingest(&mut project, Event::new("$pageview", "user"));
    let cohort = project.create_cohort("anons", &["anon"]);
    ingest(&mut project, Event::identify("user", "anon"));
    let survivor = project.by_distinct_id("user").unwrap();
    assert!(
        project.cohorts()[0].members.contains(&survivor),
        "cohort {cohort}"
    );
    project.check_invariants().unwrap();
}

#[test]
fn last_seen_at_is_the_hour_of_the_latest_event_when_tracked() {
    let mut project = project();
    ingest(&mut project, Event::new("$pageview", "d").at(7_300));
    assert_eq!(owner(&project, "d").last_seen_at, None, "off by default");
    project.track_last_seen(true);
    ingest(&mut project, Event::new("$pageview", "d").at(7_300));
    assert_eq!(owner(&project, "d").last_seen_at, Some(7_200_000_000));
    ingest(&mut project, Event::new("$pageview", "d").at(3_600));
    assert_eq!(
        owner(&project, "d").last_seen_at,
        Some(7_200_000_000),
        "only forward"
    );
    ingest(
        &mut project,
        Event::new("$pageview", "d")
            .property("$update_person_last_seen_at", false)
            .at(20_000),
    );
    assert_eq!(owner(&project, "d").last_seen_at, Some(7_200_000_000));
    ingest(&mut project, Event::new("$pageview", "d").at(-1));
    assert_eq!(owner(&project, "d").last_seen_at, Some(7_200_000_000));
}

#[test]
fn events_follow_distinct_ids_across_splits_and_recreation() {
    let mut project = project();
    ingest(
        &mut project,
        Event::new("$pageview", "anon").set("a", 1).at(1),
    );
    ingest(&mut project, Event::identify("user", "anon").at(2));
    let person = owner(&project, "user");
    assert_eq!(project.events_of(person).len(), 2);
    let index = project.by_distinct_id("user").unwrap();
    let actor = Actor {
        first_name: String::new(),
        email: String::new(),
    };
    project.split(index, &["user".to_owned()], &actor, 0);
    assert_eq!(project.events_of(owner(&project, "anon")).len(), 1);
    assert_eq!(project.events_of(owner(&project, "user")).len(), 1);
    project.check_invariants().unwrap();
}
