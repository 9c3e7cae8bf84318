//! `nodejs/tests/worker/ingestion/person-state-batch.test.ts` (`PersonState.processEvent()`):
//! what PostHog's person pipeline leaves in Postgres, read back through the persons API after
//! the events went through capture. PostHog's tests make the "existing" persons with
//! `createPerson`; here earlier events make them. Checks of Kafka messages, versions and which
//! repository method ran have no HTTP counterpart and are left out.

use serde_json::{Value, json};

use super::{Suite, own_properties};

/// PostHog's `timestamp` and `timestamp2`.
const TIMESTAMP: &str = "2020-01-01T12:00:05.200Z";
const TIMESTAMP2: &str = "2020-02-02T12:00:05.200Z";
/// How the API renders them.
const CREATED: &str = "2020-01-01T12:00:05.200000Z";

/// An event object as capture takes it, at `TIMESTAMP`.
fn event(name: &str, distinct_id: &str, properties: Value) -> Value {
    json!({"event": name, "distinct_id": distinct_id, "properties": properties, "timestamp": TIMESTAMP})
}

/// PostHog's `uuidFromDistinctId(team, distinct_id)`.
fn uuid_from_distinct_id(team: i64, distinct_id: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::from_u128(0x9329_79b4_65c3_4424_8467_0b66_ec27_bc22),
        format!("{team}:{distinct_id}").as_bytes(),
    )
    .to_string()
}

/// A person owning `distinct_id` with `properties`, as `createPerson` makes one at `at`;
/// `identified` makes it identified by an `$identify` from a throwaway anonymous id.
async fn existing(suite: &Suite, distinct_id: &str, properties: Value, at: &str, identified: bool) {
    let mut creation = event("$set", distinct_id, json!({"$set": properties}));
    creation["timestamp"] = json!(at);
    suite.ingest(json!([creation])).await;
    if identified {
        let anon = format!("{distinct_id}-anon");
        let mut identify = event("$identify", distinct_id, json!({"$anon_distinct_id": anon}));
        identify["timestamp"] = json!(at);
        suite.ingest(json!([identify])).await;
    }
}

/// The sorted distinct ids of a listed person.
fn ids(person: &Value) -> Vec<String> {
    let mut ids: Vec<String> = person["distinct_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// `on person creation` › `creates deterministic person uuids that are different between
/// teams`, and `person-uuid.test.ts` › `generates deterministic UUIDs`.
#[tokio::test]
async fn creates_deterministic_person_uuids_that_are_different_between_teams() {
    assert_eq!(
        uuid_from_distinct_id(1, "test"),
        "246f7a43-5507-564f-b687-793ee3c2dd79"
    );
    assert_eq!(
        uuid_from_distinct_id(2, "test"),
        "00ce873a-549c-548e-bbec-cc804a385dd8"
    );
    assert_eq!(
        uuid_from_distinct_id(1, "test2"),
        "45c17302-ee44-5596-916a-0eba21f4b638"
    );
    let suite = Suite::new().await;
    suite
        .ingest(json!([event("$pageview", "new-user", json!({}))]))
        .await;
    suite
        .fixture
        .posthog
        .capture(
            2,
            persons_mock::posthog::Event::new("$pageview", "new-user"),
        )
        .unwrap();
    let first = suite.uuid("new-user");
    let second = suite
        .fixture
        .posthog
        .person(2, "new-user")
        .unwrap()
        .uuid
        .to_string();
    assert_eq!(first, uuid_from_distinct_id(1, "new-user"));
    assert_eq!(second, uuid_from_distinct_id(2, "new-user"));
}

/// `on person creation` › `creates person if they are new`: `$creator_event_uuid`, the
/// event's time, not identified, and a NUL stored as U+FFFD (`sanitizeJsonbValue`).
#[tokio::test]
async fn creates_person_if_they_are_new() {
    let suite = Suite::new().await;
    let uuid = "0190f2c4-1a2b-7c3d-8e4f-123456789abc";
    let mut pageview = event(
        "$pageview",
        "new-user",
        json!({"$set": {"null_byte": "\u{0}"}}),
    );
    pageview["uuid"] = json!(uuid);
    suite.ingest(json!([pageview])).await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    let person = &persons[0];
    assert_eq!(person["uuid"], json!(uuid_from_distinct_id(1, "new-user")));
    assert_eq!(
        person["properties"],
        json!({"$creator_event_uuid": uuid, "null_byte": "\u{FFFD}"})
    );
    assert_eq!(person["created_at"], CREATED);
    assert_eq!(person["is_identified"], false);
    assert_eq!(person["distinct_ids"], json!(["new-user"]));
}

/// `on person creation` › `creates person with properties`: `$set` wins over `$set_once`.
#[tokio::test]
async fn creates_person_with_properties() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set_once": {"a": 1, "b": 2}, "$set": {"b": 3, "c": 4}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"a": 1, "b": 3, "c": 4})
    );
}

/// `on person update` › `updates person properties`
#[tokio::test]
async fn updates_person_properties() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "new-user",
        json!({"b": 3, "c": 4, "toString": {}}),
        TIMESTAMP,
        false,
    )
    .await;
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set_once": {"c": 3, "e": 4}, "$set": {"b": 4, "toString": 1, "null_byte": "\u{0}"}})
        )]))
        .await;
    let person = suite.person("new-user").await;
    assert_eq!(
        own_properties(&person),
        json!({"b": 4, "c": 4, "e": 4, "toString": 1, "null_byte": "\u{FFFD}"})
    );
    assert_eq!(person["created_at"], CREATED);
}

/// `on person update` › `does not update person properties for $$heatmap` / `$exception`
#[tokio::test]
async fn does_not_update_person_properties_for_heatmaps_and_exceptions() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "new-user",
        json!({"b": 3, "c": 4, "toString": {}}),
        TIMESTAMP,
        false,
    )
    .await;
    for name in ["$$heatmap", "$exception"] {
        suite
            .ingest(json!([event(
                name,
                "new-user",
                json!({"$set_once": {"c": 3, "e": 4}, "$set": {"b": 4, "toString": 1}})
            )]))
            .await;
        assert_eq!(
            own_properties(&suite.person("new-user").await),
            json!({"b": 3, "c": 4, "toString": {}}),
            "{name}"
        );
    }
}

/// `on person update` › `updates person properties - no update if not needed`, `skips
/// database write when only filtered properties change (batch-level filtering)`: a
/// `$pageview` changing only `$current_url` is not written; a `$set` event is.
#[tokio::test]
async fn skips_the_write_when_only_filtered_properties_change() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "new-user",
        json!({"$current_url": 123}),
        TIMESTAMP,
        false,
    )
    .await;
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set": {"$current_url": 4}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"$current_url": 123})
    );
    suite
        .ingest(json!([event(
            "$set",
            "new-user",
            json!({"$set": {"$current_url": 5}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"$current_url": 5}),
        "a person event always writes"
    );
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set": {"$current_url": 6, "plan": "pro"}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"$current_url": 6, "plan": "pro"}),
        "with another change, the filtered ones are written too"
    );
}

/// `on person update` › `writes to database when non-filtered properties change`
#[tokio::test]
async fn writes_to_database_when_non_filtered_properties_change() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "new-user",
        json!({"name": "John"}),
        TIMESTAMP,
        false,
    )
    .await;
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set": {"name": "Jane"}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"name": "Jane"})
    );
}

/// `on person update` › `updates person properties - always update if undefined before`,
/// `… - always update for initial properties`
#[tokio::test]
async fn always_updates_new_and_initial_properties() {
    let suite = Suite::new().await;
    existing(&suite, "new-user", json!({}), TIMESTAMP, false).await;
    existing(
        &suite,
        "old-user",
        json!({"$initial_current_url": 123}),
        TIMESTAMP,
        false,
    )
    .await;
    for distinct_id in ["new-user", "old-user"] {
        suite
            .ingest(json!([event(
                "$pageview",
                distinct_id,
                json!({"$set": {"$initial_current_url": 4}})
            )]))
            .await;
        assert_eq!(
            own_properties(&suite.person(distinct_id).await),
            json!({"$initial_current_url": 4}),
            "{distinct_id}"
        );
    }
}

/// `on person update` › `does not update person if not needed`
#[tokio::test]
async fn does_not_update_person_if_not_needed() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "new-user",
        json!({"b": 3, "c": 4}),
        TIMESTAMP,
        false,
    )
    .await;
    suite
        .ingest(json!([event(
            "$pageview",
            "new-user",
            json!({"$set_once": {"c": 3}, "$set": {"b": 3}})
        )]))
        .await;
    assert_eq!(
        own_properties(&suite.person("new-user").await),
        json!({"b": 3, "c": 4})
    );
}

/// `on $identify event` › `no-op when $anon_distinct_id not passed`: no merge; the event's
/// `$set` still makes an unidentified person.
#[tokio::test]
async fn identify_without_anon_distinct_id_does_not_merge() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([event(
            "$identify",
            "new-user",
            json!({"$set": {"foo": "bar"}})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(
        (&persons[0]["is_identified"], ids(&persons[0])),
        (&json!(false), vec!["new-user".to_owned()])
    );
    assert_eq!(own_properties(&persons[0]), json!({"foo": "bar"}));
}

/// `on $identify event` › `creates person with both distinct_ids and marks user as
/// is_identified when $anon_distinct_id passed`
#[tokio::test]
async fn identify_creates_one_person_with_both_ids() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([event(
            "$identify",
            "new-user",
            json!({"$set": {"foo": "bar"}, "$anon_distinct_id": "old-user"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    let person = &persons[0];
    assert_eq!(person["uuid"], json!(uuid_from_distinct_id(1, "new-user")));
    assert_eq!(own_properties(person), json!({"foo": "bar"}));
    assert_eq!(
        (&person["created_at"], &person["is_identified"]),
        (&json!(CREATED), &json!(true))
    );
    assert_eq!(ids(person), ["new-user", "old-user"]);
}

/// `on $identify event` › `add distinct id and marks user is_identified when passed
/// $anon_distinct_id person does not exists and distinct_id does`, and `… person exists and
/// distinct_id does not`: the existing person takes the other id.
#[tokio::test]
async fn identify_adds_the_missing_id_to_the_existing_person() {
    for (owner, target, anon) in [
        ("new-user", "new-user", "old-user"),
        ("old-user", "new-user", "old-user"),
    ] {
        let suite = Suite::new().await;
        existing(&suite, owner, json!({}), TIMESTAMP, false).await;
        suite
            .ingest(json!([event(
                "$identify",
                target,
                json!({"$anon_distinct_id": anon})
            )]))
            .await;
        let persons = suite.persons().await;
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0]["uuid"], json!(uuid_from_distinct_id(1, owner)));
        assert_eq!(persons[0]["is_identified"], true);
        assert_eq!(ids(&persons[0]), ["new-user", "old-user"]);
    }
}

/// `on $identify event` › `merge into distinct_id person and marks user as is_identified when
/// distinct_id user is identified and $anon_distinct_id user is not`: the survivor is the
/// distinct_id's person, with the earlier `created_at`.
#[tokio::test]
async fn identify_merges_an_anonymous_person_into_an_identified_one() {
    let suite = Suite::new().await;
    existing(&suite, "old-user", json!({}), TIMESTAMP, false).await;
    existing(&suite, "new-user", json!({}), TIMESTAMP2, true).await;
    suite
        .ingest(json!([event(
            "$identify",
            "new-user",
            json!({"$anon_distinct_id": "old-user"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(
        persons[0]["uuid"],
        json!(uuid_from_distinct_id(1, "new-user"))
    );
    assert_eq!(
        (&persons[0]["created_at"], &persons[0]["is_identified"]),
        (&json!(CREATED), &json!(true))
    );
    assert!(ids(&persons[0]).contains(&"old-user".to_owned()));
}

/// `on $identify event` › `does not merge people when distinct_id user is not identified and
/// $anon_distinct_id user is`, `does not merge people when both users are identified`
#[tokio::test]
async fn identify_does_not_absorb_an_identified_person() {
    for target_identified in [false, true] {
        let suite = Suite::new().await;
        existing(&suite, "old-user", json!({}), TIMESTAMP, true).await;
        existing(&suite, "new-user", json!({}), TIMESTAMP2, target_identified).await;
        suite
            .ingest(json!([event(
                "$identify",
                "new-user",
                json!({"$anon_distinct_id": "old-user"})
            )]))
            .await;
        let persons = suite.persons().await;
        assert_eq!(persons.len(), 2, "{target_identified}");
        assert_eq!(
            persons[0]["uuid"],
            json!(uuid_from_distinct_id(1, "old-user"))
        );
        assert_eq!(
            persons[1]["uuid"],
            json!(uuid_from_distinct_id(1, "new-user"))
        );
        assert_eq!(persons[1]["created_at"], "2020-02-02T12:00:05.200000Z");
        assert!(persons.iter().all(|person| person["is_identified"] == true));
    }
}

/// `on $identify event` › `merge into distinct_id person and updates properties with
/// $set/$set_once`: the target's properties win, then the event's `$set_once` and `$set`.
#[tokio::test]
async fn identify_merge_updates_properties_with_set_and_set_once() {
    let suite = Suite::new().await;
    existing(
        &suite,
        "old-user",
        json!({"a": 1, "b": 2}),
        TIMESTAMP,
        false,
    )
    .await;
    existing(
        &suite,
        "new-user",
        json!({"b": 3, "c": 4, "d": 5}),
        TIMESTAMP2,
        false,
    )
    .await;
    suite
        .ingest(json!([event(
            "$identify",
            "new-user",
            json!({"$set": {"d": 6, "e": 7}, "$set_once": {"a": 8, "f": 9}, "$anon_distinct_id": "old-user"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(
        own_properties(&persons[0]),
        json!({"a": 1, "b": 3, "c": 4, "d": 6, "e": 7, "f": 9})
    );
    assert_eq!(
        (&persons[0]["created_at"], &persons[0]["is_identified"]),
        (&json!(CREATED), &json!(true))
    );
    assert_eq!(ids(&persons[0]), ["new-user", "old-user"]);
}

/// `on $identify event` › `merges two persons and applies $set properties from multiple
/// $identify events in same batch`
#[tokio::test]
async fn identify_merges_and_applies_every_events_set() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([
            event("Application Installed", "old-user", json!({})),
            event("$screen", "old-user", json!({"$screen_name": "/welcome"})),
            event("$feature_flag_called", "new-user", json!({"$feature_flag": "test-flag", "$feature_flag_response": true})),
            event("$identify", "new-user", json!({"$anon_distinct_id": "old-user", "$set": {"hasAddedInternship": false, "hasAddedLanguages": false, "isTempUser": true, "wasOpenedOnMobileDevice": true}})),
            event("$identify", "new-user", json!({"$anon_distinct_id": "old-user", "$set": {"email": null, "firstName": null, "onboardingStatus": {"completed": false}, "isTempUser": true}})),
            event("answer_onboarding_question", "new-user", json!({"$set": {"selectedAge": null, "lastSearchResultCount": 37, "selfAttributedReferrer": "C2", "primarySelectedJobGroupType": "TRAINING"}})),
        ]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(persons[0]["is_identified"], true);
    let properties = own_properties(&persons[0]);
    for (key, value) in [
        ("onboardingStatus", json!({"completed": false})),
        ("isTempUser", json!(true)),
        ("hasAddedInternship", json!(false)),
        ("wasOpenedOnMobileDevice", json!(true)),
        ("selectedAge", json!(null)),
        ("lastSearchResultCount", json!(37)),
        ("selfAttributedReferrer", json!("C2")),
        ("primarySelectedJobGroupType", json!("TRAINING")),
    ] {
        assert_eq!(properties[key], value, "{key}");
    }
    assert_eq!(ids(&persons[0]), ["new-user", "old-user"]);
}

/// `on $merge_dangerously events` › `merge_dangerously can merge people when alias id user is
/// identified`
#[tokio::test]
async fn merge_dangerously_merges_identified_persons() {
    let suite = Suite::new().await;
    existing(&suite, "old-user", json!({}), TIMESTAMP, true).await;
    existing(&suite, "new-user", json!({}), TIMESTAMP2, true).await;
    suite
        .ingest(json!([event(
            "$merge_dangerously",
            "new-user",
            json!({"alias": "old-user"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(
        persons[0]["uuid"],
        json!(uuid_from_distinct_id(1, "new-user"))
    );
    assert_eq!(
        (&persons[0]["created_at"], &persons[0]["is_identified"]),
        (&json!(CREATED), &json!(true))
    );
}

/// `on $create_alias events` › `calls merge on $create_alias as expected`: an alias merges
/// like `$identify` does.
#[tokio::test]
async fn create_alias_merges_like_identify() {
    let suite = Suite::new().await;
    existing(&suite, "old-user", json!({"a": 1}), TIMESTAMP, false).await;
    suite
        .ingest(json!([event(
            "$create_alias",
            "new-user",
            json!({"alias": "old-user"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(ids(&persons[0]), ["new-user", "old-user"]);
    assert_eq!(persons[0]["is_identified"], true);
}

/// `illegal aliasing` › `stops $identify if $anon_distinct_id is illegal`, `stops
/// $create_alias if current distinct_id is illegal`, `stops $create_alias if alias is illegal`:
/// no merge, and the illegal id joins no person.
#[tokio::test]
async fn illegal_ids_stop_merges() {
    let illegal = [
        "   ",
        "null",
        "undefined",
        "\"undefined\"",
        "[object Object]",
        "\"[object Object]\"",
    ];
    for id in illegal {
        let suite = Suite::new().await;
        suite
            .ingest(json!([event(
                "$identify",
                "some_distinct_id",
                json!({"$anon_distinct_id": id})
            )]))
            .await;
        let persons = suite.persons().await;
        assert_eq!(persons.len(), 1, "{id}");
        assert_eq!(ids(&persons[0]), ["some_distinct_id"], "{id}");
        assert_eq!(persons[0]["is_identified"], false, "{id}");
    }
    let suite = Suite::new().await;
    suite
        .ingest(json!([
            event(
                "$create_alias",
                "some_distinct_id",
                json!({"alias": "null"})
            ),
            event(
                "$create_alias",
                "false",
                json!({"alias": "other_distinct_id"})
            ),
        ]))
        .await;
    let persons = suite.persons().await;
    let mut all: Vec<Vec<String>> = persons.iter().map(ids).collect();
    all.sort();
    assert_eq!(
        all,
        [
            vec!["false".to_owned()],
            vec!["some_distinct_id".to_owned()]
        ]
    );
}

/// `on persons merges` › `no-op if persons already merged`, `postgres and clickhouse get
/// updated`, `SYNC mode with batch processing` › `merges all distinct IDs …`: a merge moves
/// every id of the absorbed person, in their order, and merging again changes nothing.
#[tokio::test]
async fn merges_move_every_distinct_id_once() {
    let suite = Suite::new().await;
    existing(&suite, "first", json!({}), TIMESTAMP, false).await;
    existing(&suite, "second", json!({}), TIMESTAMP, false).await;
    for other in ["second-2", "second-3", "second-4", "second-5"] {
        suite
            .ingest(json!([event(
                "$merge_dangerously",
                "second",
                json!({"alias": other})
            )]))
            .await;
    }
    for _ in 0..2 {
        suite
            .ingest(json!([event(
                "$merge_dangerously",
                "first",
                json!({"alias": "second"})
            )]))
            .await;
        let persons = suite.persons().await;
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0]["uuid"], json!(uuid_from_distinct_id(1, "first")));
        assert_eq!(
            persons[0]["distinct_ids"],
            json!([
                "first", "second", "second-2", "second-3", "second-4", "second-5"
            ])
        );
        assert_eq!(
            (&persons[0]["created_at"], &persons[0]["is_identified"]),
            (&json!(CREATED), &json!(true))
        );
    }
}
