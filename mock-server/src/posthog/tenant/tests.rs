//! Ingestion and merge rules of the project model, and property tests of its invariants.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::durable::unlogged;
use crate::posthog::log::{DeletePerson, Event, Split, UpdatePerson, VerifyEventDeletions};

const TEAM: i64 = 1;

fn project() -> Project {
    Project::new(TEAM, Arc::new(AtomicI64::new(1)))
}

fn ingest(project: &mut Project, event: Event) -> Option<PersonIndex> {
    project.capture(event).expect("accepted")
}

/// Applies `entry` unlogged at the epoch.
fn write(project: &mut Project, entry: Entry) -> Result<Applied, RecordError> {
    project.apply(entry, Timestamp::from_unix_seconds(0), &mut unlogged)
}

fn delete(project: &mut Project, distinct_id: &str, keep_person: bool) {
    let entry = DeletePerson {
        distinct_id: distinct_id.to_owned(),
        keep_person,
        delete_events: true,
        timestamp: None,
        user: None,
    };
    write(project, Entry::DeletePerson(Box::new(entry))).expect("a person to delete");
}

fn split(project: &mut Project, distinct_id: &str, moved: &[&str]) {
    let entry = Split {
        distinct_id: distinct_id.to_owned(),
        distinct_ids_to_split: Some(moved.iter().map(|id| (*id).to_owned()).collect()),
        listed: true,
        timestamp: None,
        user: None,
    };
    write(project, Entry::Split(Box::new(entry))).expect("a person to split");
}

fn cohort(project: &mut Project, name: &str, distinct_ids: &[&str]) -> i64 {
    let entry = NewCohort {
        name: name.to_owned(),
        distinct_ids: distinct_ids.iter().map(|id| (*id).to_owned()).collect(),
    };
    match write(project, Entry::Cohort(Box::new(entry))) {
        Ok(Applied::Cohort(id)) => id,
        other => panic!("a cohort entry makes a cohort: {other:?}"),
    }
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
    assert_eq!(person.properties.value("a").unwrap(), 1);
    assert_eq!(person.properties.value("b").unwrap(), 2);
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
    let properties = owner(&project, "d").properties.clone();
    assert_eq!(properties.value("kept").unwrap(), "x");
    assert_eq!(
        properties.value("nulled").unwrap(),
        json!(null),
        "a null value counts as defined"
    );
    assert_eq!(properties.value("fresh").unwrap(), "z");
    assert!(
        !properties.contains_key("gone"),
        "set then unset of a key present before removes it"
    );
    assert_eq!(
        properties.value("new").unwrap(),
        3,
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
        person.properties.value("source").unwrap(),
        "direct",
        "the target's properties win"
    );
    assert_eq!(person.properties.value("email").unwrap(), "u@x.com");
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
    let refused = project.capture(Event::identify("u", "d").personless());
    assert!(matches!(refused, Err(RecordError::PersonlessMerge(_))));
    assert_eq!(project.event_count(), 1, "a refused event is not logged");
    assert_eq!(project.log().len(), 1);
}

#[test]
fn deletion_frees_distinct_ids_and_the_uuid_comes_back() {
    let mut project = project();
    ingest(&mut project, Event::new("e", "d").set("a", 1)).unwrap();
    let uuid = owner(&project, "d").uuid;
    delete(&mut project, "d", false);
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
    split(&mut project, "user", &["anon", "crm"]);
    assert_eq!(ids(owner(&project, "user")), vec!["user"]);
    assert_eq!(
        owner(&project, "user").properties.value("plan").unwrap(),
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
            let entry = event.into_entry();
            let Entry::Capture(new) = &entry else { unreachable!("a built event is a capture") };
            for object in ["$set", "$set_once"] {
                if let Some(Prop::Object(map)) = new.properties.get(object) {
                    expected.extend(map.iter().map(|(key, _)| (new.distinct_id.to_string(), key.to_owned())));
                }
            }
            write(&mut project, entry).expect("accepted");
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
    Update(&'static str, &'static str, i64),
    Delete {
        distinct_id: &'static str,
        keep_person: bool,
    },
    Split {
        distinct_id: &'static str,
        keep: usize,
    },
    Cohort(&'static str),
    TrackLastSeen(bool),
    VerifyDeletions,
    /// A `/flags` request for the first id with the second as `$anon_distinct_id`.
    HashKeys(&'static str, &'static str),
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
        1 => (id(), key(), 0..3i64).prop_map(|(d, k, v)| Operation::Update(d, k, v)),
        1 => any::<bool>().prop_map(Operation::TrackLastSeen),
        1 => Just(Operation::VerifyDeletions),
        1 => (id(), id()).prop_map(|(d, anon)| Operation::HashKeys(d, anon)),
    ]
}

fn run(project: &mut Project, operation: Operation) {
    match operation {
        Operation::Ingest(event) => {
            ingest(project, event);
        }
        Operation::Update(distinct_id, key, value) => {
            let entry = UpdatePerson {
                distinct_id: distinct_id.to_owned(),
                properties: json!({key: value}),
                timestamp: None,
                user: None,
            };
            let applied = write(project, Entry::UpdatePerson(Box::new(entry)));
            let known = project.by_distinct_id(distinct_id).is_some();
            assert_eq!(applied.is_ok(), known, "{applied:?}");
        }
        Operation::Delete {
            distinct_id,
            keep_person,
        } => {
            if project.by_distinct_id(distinct_id).is_some() {
                delete(project, distinct_id, keep_person);
            }
        }
        Operation::Split { distinct_id, keep } => {
            if project.by_distinct_id(distinct_id).is_some() {
                let ids: Vec<String> = ids(owner(project, distinct_id))
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let moved: Vec<&str> = ids
                    .iter()
                    .skip(keep.min(ids.len().saturating_sub(1)))
                    .map(String::as_str)
                    .collect();
                split(project, distinct_id, &moved);
            }
        }
        Operation::Cohort(distinct_id) => {
            cohort(project, "c", &[distinct_id]);
        }
        Operation::TrackLastSeen(enabled) => {
            let applied = write(project, Entry::TrackLastSeen(enabled)).unwrap();
            assert_eq!(project.tracks_last_seen(), enabled, "{applied:?}");
        }
        Operation::VerifyDeletions => {
            let verify = VerifyEventDeletions { timestamp: None };
            write(project, Entry::VerifyEventDeletions(Box::new(verify))).unwrap();
            assert!(project.deletions().iter().all(|d| d.verified_at.is_some()));
        }
        Operation::HashKeys(distinct_id, anon_distinct_id) => {
            if project.flags().live("eec").is_none() {
                let flag = crate::posthog::FlagWrite {
                    ensure_experience_continuity: true,
                    ..crate::posthog::FlagWrite::rollout("eec", 50.0)
                };
                write(project, Entry::Flag(Box::new(flag))).unwrap();
            }
            let overrides = crate::posthog::flags::HashKeyOverrides {
                distinct_ids: vec![distinct_id.to_owned(), anon_distinct_id.to_owned()],
                hash_key: anon_distinct_id.to_owned(),
            };
            write(project, Entry::HashKeyOverrides(Box::new(overrides))).unwrap();
            for id in [distinct_id, anon_distinct_id] {
                if let Some(person) = project.by_distinct_id(id) {
                    let held = project.hash_keys().of(person);
                    assert!(held.is_some_and(|held| held.contains_key("eec")), "{id}");
                }
            }
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

    #[test]
    fn a_bulk_load_equals_applying_each_entry_alone(operations in prop::collection::vec(arbitrary_operation(), 1..60)) {
        let (mut alone, mut bulk) = (project(), project());
        bulk.begin_bulk();
        for operation in operations {
            run(&mut alone, operation.clone());
            run(&mut bulk, operation);
        }
        bulk.end_bulk();
        prop_assert!(bulk.check_invariants().is_ok(), "{:?}", bulk.check_invariants());
        prop_assert_eq!(alone.log(), bulk.log());
        let persons = |project: &Project| -> Vec<(PersonIndex, Person)> {
            project.newest_first().map(|index| (index, project.person(index).unwrap().clone())).collect()
        };
        prop_assert_eq!(persons(&alone), persons(&bulk));
        for (_, person) in persons(&alone) {
            for search in person.stored_distinct_ids().filter_map(Search::new) {
                prop_assert_eq!(alone.search_candidates(&search), bulk.search_candidates(&search));
            }
        }
    }
}

#[test]
fn merges_move_cohort_membership_to_the_survivor() {
    let mut project = project();
    ingest(&mut project, Event::new("$pageview", "anon"));
    ingest(&mut project, Event::new("$pageview", "user"));
    let cohort = cohort(&mut project, "anons", &["anon"]);
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
    write(&mut project, Entry::TrackLastSeen(true)).unwrap();
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
    split(&mut project, "user", &["user"]);
    assert_eq!(project.events_of(owner(&project, "anon")).len(), 1);
    assert_eq!(project.events_of(owner(&project, "user")).len(), 1);
    project.check_invariants().unwrap();
}

#[test]
fn the_log_holds_each_write_once_and_writes_emit_their_events() {
    let mut project = project();
    ingest(&mut project, Event::new("e", "a").at(1));
    let update = UpdatePerson {
        distinct_id: "a".into(),
        properties: json!({"plan": "pro"}),
        timestamp: Some(Timestamp::from_unix_seconds(5)),
        user: None,
    };
    write(&mut project, Entry::UpdatePerson(Box::new(update))).unwrap();
    assert_eq!(
        write(&mut project, Entry::TrackLastSeen(true)),
        Ok(Applied::Written)
    );
    assert_eq!(
        write(&mut project, Entry::TrackLastSeen(true)),
        Ok(Applied::Unchanged),
        "a repeated switch changes nothing"
    );
    delete(&mut project, "a", false);
    ingest(&mut project, Event::new("e", "b").at(2));
    let kinds: Vec<&str> = project.log().iter().map(Entry::kind).collect();
    assert_eq!(
        kinds,
        [
            "capture",
            "update_person",
            "track_last_seen",
            "delete_person",
            "capture"
        ]
    );
    assert_eq!(
        project.event_count(),
        3,
        "the update's `$set` counts as an event"
    );
    let Entry::UpdatePerson(update) = &project.log()[1] else {
        unreachable!("listed above")
    };
    assert_eq!(
        update.user,
        Some(Actor::mock()),
        "applying completes the author"
    );
    let Entry::Capture(second) = &project.log()[4] else {
        unreachable!("listed above")
    };
    assert_eq!(
        second.uuid,
        Some(derived_event_uuid(TEAM, 2)),
        "derived UUIDs count the events writes emit"
    );
    let refused = UpdatePerson {
        distinct_id: "a".into(),
        properties: json!({}),
        timestamp: None,
        user: None,
    };
    assert_eq!(
        write(&mut project, Entry::UpdatePerson(Box::new(refused))),
        Err(RecordError::NoPerson("a".into()))
    );
    project.check_invariants().unwrap();
}

#[test]
fn writes_name_their_person_by_its_first_distinct_id() {
    let mut project = project();
    ingest(&mut project, Event::identify("user", "anon"));
    let update = UpdatePerson {
        distinct_id: "anon".into(),
        properties: json!({"plan": "pro"}),
        timestamp: None,
        user: None,
    };
    write(&mut project, Entry::UpdatePerson(Box::new(update))).unwrap();
    let Entry::UpdatePerson(update) = &project.log()[1] else {
        unreachable!("the second entry")
    };
    assert_eq!(
        update.distinct_id, "user",
        "the internal event is sent as it"
    );
    let person = owner(&project, "anon");
    assert_eq!(person.properties.value("plan").unwrap(), "pro");
    let events = project.events_of(person);
    assert_eq!((events[1].name, events[1].distinct_id), ("$set", "user"));
}

#[test]
fn a_refused_entry_changes_nothing_and_ids_stay_in_sequence() {
    let shared = Arc::new(AtomicI64::new(7));
    let mut project = Project::new(TEAM, Arc::clone(&shared));
    let now = Timestamp::from_unix_seconds(0);
    let mut failing = |_: &Entry| Err(StorageError::new("disk full"));
    let entry = Event::new("$pageview", "d").into_entry();
    assert_eq!(
        project.apply(entry.clone(), now, &mut failing),
        Err(RecordError::Storage(StorageError::new("disk full")))
    );
    assert_eq!(
        project.capture(Event::identify("u", "d").personless()),
        Err(RecordError::PersonlessMerge("$identify".into()))
    );
    let split = Split {
        distinct_id: "nobody".into(),
        distinct_ids_to_split: None,
        listed: false,
        timestamp: None,
        user: None,
    };
    assert_eq!(
        write(&mut project, Entry::Split(Box::new(split))),
        Err(RecordError::NoPerson("nobody".into()))
    );
    assert_eq!(
        (
            project.log().len(),
            project.event_count(),
            project.person_count()
        ),
        (0, 0, 0)
    );
    assert_eq!(
        shared.load(std::sync::atomic::Ordering::Relaxed),
        7,
        "no person id drawn"
    );
    let mut fresh = Project::new(TEAM, Arc::new(AtomicI64::new(7)));
    project.apply(entry.clone(), now, &mut unlogged).unwrap();
    fresh.apply(entry, now, &mut unlogged).unwrap();
    assert_eq!(project.log(), fresh.log(), "the same derived event UUID");
    assert_eq!(
        owner(&project, "d"),
        owner(&fresh, "d"),
        "the same person id"
    );
    project.check_invariants().unwrap();
}

/// An operation whose events carry a time within three days (and some without one, at the
/// epoch), so ranges cut through persons' histories and the daily activity sets.
fn timed_operation() -> impl Strategy<Value = Operation> {
    let day = 86_400i64;
    let at = prop::option::of(0..3 * day);
    let name = prop::sample::select(vec!["$pageview", "signup", "$set"]);
    prop_oneof![
        2 => (name, distinct_id(), at.clone()).prop_map(|(name, d, at)| {
            let event = Event::new(name, d);
            Operation::Ingest(match at { Some(at) => event.at(at), None => event })
        }),
        1 => (arbitrary_event(), at).prop_map(|(event, at)| {
            Operation::Ingest(match at { Some(at) => event.at(at), None => event })
        }),
        1 => arbitrary_operation(),
    ]
}

proptest! {
    /// After any merges, splits and deletions, a person's indexed events in a range are
    /// exactly the log's events whose distinct id the person owns now, in that range, in
    /// time then log order; and the persons active under a name include every person with
    /// such an event in the range.
    #[test]
    fn indexed_events_equal_a_scan_of_the_log(
        operations in prop::collection::vec(timed_operation(), 1..60),
        from in 0..3 * 86_400_000_000i64,
        span in 0..2 * 86_400_000_000i64,
    ) {
        let mut project = project();
        for operation in operations {
            run(&mut project, operation);
        }
        prop_assert!(project.check_invariants().is_ok(), "{:?}", project.check_invariants());
        let to = from + span;
        let events: Vec<(u32, LoggedEvent<'_>)> = project
            .log()
            .iter()
            .enumerate()
            .filter_map(|(position, entry)| Some((u32::try_from(position).ok()?, entry.event()?)))
            .collect();
        for index in project.newest_first() {
            let person = project.person(index).unwrap();
            let mut expected: Vec<(i64, u32)> = events
                .iter()
                .filter(|(_, event)| project.by_distinct_id(event.distinct_id) == Some(index))
                .filter(|(_, event)| from <= event.timestamp && event.timestamp <= to)
                .map(|(position, event)| (event.timestamp, *position))
                .collect();
            expected.sort_unstable();
            let got: Vec<(i64, u32)> = project
                .indexed_events(index, from, to)
                .iter()
                .map(|event| (event.timestamp, event.position))
                .collect();
            prop_assert_eq!(got, expected);
            let all = project.indexed_events(index, i64::MIN, i64::MAX);
            prop_assert_eq!(
                project.events_of(person).iter().map(|event| event.timestamp).collect::<Vec<_>>(),
                all.iter().map(|event| event.timestamp).collect::<Vec<_>>()
            );
        }
        for name in ["$pageview", "signup", "$set"] {
            let active: Vec<PersonIndex> = project
                .event_name_id(name)
                .map(|id| project.active_persons(&[id], from, to))
                .unwrap_or_default();
            let mut owners: Vec<PersonIndex> = events
                .iter()
                .filter(|(_, event)| event.name == name && from <= event.timestamp && event.timestamp <= to)
                .filter_map(|(_, event)| project.by_distinct_id(event.distinct_id))
                .collect();
            owners.sort_unstable();
            owners.dedup();
            prop_assert!(
                owners.iter().all(|owner| active.binary_search(owner).is_ok()),
                "{} active {:?}, owners {:?}", name, active, owners
            );
        }
    }
}

/// A write for the kept-renderings test: any operation of [`arbitrary_operation`], a pageview
/// at some hour (moving `last_seen_at` when tracked and `created_at` when earlier), or a new
/// `person_display_name_properties`.
#[derive(Clone, Debug)]
enum RenderingWrite {
    Operation(Operation),
    DisplayNames(Vec<&'static str>),
}

fn rendering_write() -> impl Strategy<Value = RenderingWrite> {
    let names = prop::collection::vec(prop::sample::select(vec!["k1", "name", "email"]), 0..3);
    let seen = (distinct_id(), 0..100i64)
        .prop_map(|(d, hours)| Operation::Ingest(Event::new("$pageview", d).at(hours * 3_600)));
    prop_oneof![
        6 => arbitrary_operation().prop_map(RenderingWrite::Operation),
        1 => seen.prop_map(RenderingWrite::Operation),
        1 => names.prop_map(RenderingWrite::DisplayNames),
    ]
}

/// The list body of every live person, newest first, each person written by `write`.
fn listed(project: &Project, write: impl FnMut(PersonIndex, &Person, &mut Vec<u8>)) -> String {
    use crate::posthog::render::{ListTailJson, list_body};
    let persons: Vec<(PersonIndex, &Person)> = project
        .newest_first()
        .map(|index| (index, project.person(index).unwrap()))
        .collect();
    let tail = ListTailJson {
        next: None,
        previous: None,
        count: Some(persons.len()),
    };
    String::from_utf8(list_body(&persons, write, &tail)).unwrap()
}

proptest! {
    /// After any writes, the list answered from the persons' kept renderings (filled by an
    /// earlier list, or now) is the list rendered afresh, byte for byte, and valid JSON.
    #[test]
    fn kept_renderings_answer_as_fresh_ones(writes in prop::collection::vec(rendering_write(), 1..40)) {
        use crate::posthog::render::SerializedPersonJson;
        let mut project = project();
        for write_ in writes {
            let described = format!("{write_:?}");
            match write_ {
                RenderingWrite::Operation(operation) => run(&mut project, operation),
                RenderingWrite::DisplayNames(names) => {
                    let keys = names.into_iter().map(str::to_owned).collect();
                    write(&mut project, Entry::PersonDisplayNameProperties(keys)).unwrap();
                }
            }
            let names = project.display_name_properties();
            let fresh = listed(&project, |_, person, out| SerializedPersonJson::write_fresh(person, names, out));
            // Twice: the first list may fill the kept renderings, the second reads them.
            for _ in 0..2 {
                let kept = listed(&project, |index, person, out| SerializedPersonJson::write_kept(&project, index, person, out));
                prop_assert_eq!(&kept, &fresh, "after {}", described);
            }
            prop_assert!(serde_json::from_str::<Value>(&fresh).is_ok(), "{}", fresh);
        }
    }

}

#[test]
fn derived_event_uuids_name_the_project_and_the_event_number() {
    for (project, n) in [
        (2, 0),
        (0, 9),
        (TEAM, 1_234_567),
        (-5, 10),
        (i64::MIN, u32::MAX),
        (i64::MAX, 100),
    ] {
        assert_eq!(
            derived_event_uuid(project, n),
            Uuid::new_v5(&EVENT_NAMESPACE, format!("{project}:{n}").as_bytes()),
            "{project}:{n}"
        );
    }
}

proptest! {
    /// A lifecycle bucket answered from the per-name daily activity sets (an entity matched
    /// by name alone, whole-day periods) is the bucket answered from each candidate's events
    /// (forced by an event filter every event passes), after any merges, splits and
    /// deletions, by day and by week.
    #[test]
    fn lifecycle_from_day_sets_equals_lifecycle_from_events(
        operations in prop::collection::vec(timed_operation(), 1..60),
        interval in prop::sample::select(vec!["day", "week"]),
        target in prop::sample::select(vec!["1970-01-02", "1970-01-03", "1970-01-04"]),
    ) {
        use crate::posthog::insights::lifecycle;
        use crate::posthog::insights::params::Params;
        let mut project = project();
        for operation in operations {
            run(&mut project, operation);
        }
        let params = |properties: Value| {
            let map = json!({
                "events": [{"id": "$pageview", "type": "events"}],
                "date_from": "1970-01-01",
                "date_to": "1970-01-05",
                "interval": interval,
                "properties": properties,
            });
            Params::from_map(map.as_object().cloned().unwrap())
        };
        let by_sets = params(json!([]));
        let by_events =
            params(json!([{"key": "never-set", "operator": "is_not_set", "type": "event"}]));
        let now = 10 * 86_400_000_000;
        for status in ["new", "returning", "resurrecting", "dormant"] {
            let sets = lifecycle::actors(&project, &by_sets, target, status, now).unwrap();
            let events = lifecycle::actors(&project, &by_events, target, status, now).unwrap();
            prop_assert_eq!(sets, events, "{} on {}", status, target);
        }
    }
}
