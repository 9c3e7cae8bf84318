//! `posthog/api/test/test_person.py` (`TestPerson`, `TestPersonFromClickhouse`), through the
//! legacy `/api/person/` prefix its tests use.

use serde_json::{Value, json};

use super::{Suite, activity, filter, own_properties, results};
use crate::support::PROJECT;

/// `test_legacy_get_person_by_id`
#[tokio::test]
async fn test_legacy_get_person_by_id() {
    let suite = Suite::new().await;
    suite.create_person(&["distinct_id"], json!({"email": "someone@gmail.com"}));
    let pk = suite.pk("distinct_id");
    let (status, body) = suite.get(&format!("/api/person/{pk}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"].to_string(), pk);
}

/// `test_search`
#[tokio::test]
async fn test_search() {
    let suite = Suite::new().await;
    suite.create_person(&["distinct_id"], json!({"email": "someone@gmail.com"}));
    suite.create_person(
        &["distinct_id_2"],
        json!({"email": "another@gmail.com", "name": "james"}),
    );
    suite.create_person(&["distinct_id_3"], json!({"name": "jane"}));
    for (search, count) in [("another@gm", 1), ("distinct_id_3", 1)] {
        let (status, body) = suite.get(&format!("/api/person/?search={search}")).await;
        assert_eq!((status, results(&body).len()), (200, count), "{search}");
    }
}

/// `test_search_person_id`
#[tokio::test]
async fn test_search_person_id() {
    let suite = Suite::new().await;
    suite.create_person(&["distinct_id"], json!({"email": "someone@gmail.com"}));
    let uuid = suite.uuid("distinct_id");
    let (status, body) = suite.get(&format!("/api/person/?search={uuid}")).await;
    assert_eq!((status, results(&body).len()), (200, 1));
}

/// `test_properties`
#[tokio::test]
async fn test_properties() {
    let suite = Suite::new().await;
    suite.create_person(&["distinct_id"], json!({"email": "someone@gmail.com"}));
    suite.create_person(&["distinct_id_2"], json!({"email": "another@gmail.com"}));
    suite.create_person(&["distinct_id_3"], json!({}));
    for (filters, count) in [
        (
            json!([{"key": "email", "operator": "is_set", "value": "is_set", "type": "person"}]),
            2,
        ),
        (
            json!([{"key": "email", "operator": "icontains", "value": "another@gm", "type": "person"}]),
            1,
        ),
    ] {
        let path = format!("/api/person/?properties={}", filter(filters));
        let (status, body) = suite.get(&path).await;
        assert_eq!((status, results(&body).len()), (200, count), "{path}");
    }
}

/// `test_person_property_values`, and `test_person_property_values_refresh`: every `refresh`
/// mode answers the same (the mock has no cache).
#[tokio::test]
async fn test_person_property_values() {
    let suite = Suite::new().await;
    suite.create_person(
        &["person_1"],
        json!({"random_prop": "asdf", "some other prop": "with some text"}),
    );
    suite.create_person(&["person_2"], json!({"random_prop": "asdf"}));
    suite.create_person(&["person_3"], json!({"random_prop": "qwerty"}));
    suite.create_person(&["person_4"], json!({"something_else": "qwerty"}));
    for refresh in [
        "",
        "&refresh=force_blocking",
        "&refresh=force_cache",
        "&refresh=async",
    ] {
        let (status, body) = suite
            .get(&format!("/api/person/values/?key=random_prop{refresh}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["results"],
            json!([{"name": "asdf", "count": 2}, {"name": "qwerty", "count": 1}])
        );
    }
    let (_, body) = suite
        .get("/api/person/values/?key=random_prop&value=qw")
        .await;
    assert_eq!(body["results"][0], json!({"name": "qwerty", "count": 1}));
}

/// `test_filter_person_email`
#[tokio::test]
async fn test_filter_person_email() {
    let suite = Suite::new().await;
    suite.create_person(
        &["did", "another_one"],
        json!({"email": "someone@gmail.com"}),
    );
    suite.create_person(&["distinct_id_2"], json!({"email": "another@gmail.com"}));
    let (status, body) = suite.get("/api/person/?email=another@gmail.com").await;
    assert_eq!((status, results(&body).len()), (200, 1));
    let person = &results(&body)[0];
    let uuid = suite.uuid("distinct_id_2");
    assert_eq!(
        (&person["id"], &person["uuid"]),
        (&json!(uuid), &json!(uuid))
    );
    assert_eq!(person["properties"]["email"], "another@gmail.com");
    assert_eq!(person["distinct_ids"], json!(["distinct_id_2"]));
}

/// `test_filter_person_prop`: a filter without operator is `exact`.
#[tokio::test]
async fn test_filter_person_prop() {
    let suite = Suite::new().await;
    suite.create_person(
        &["did", "another_one"],
        json!({"email": "someone@gmail.com"}),
    );
    suite.create_person(
        &["distinct_id_2"],
        json!({"email": "another@gmail.com", "some_prop": "some_value"}),
    );
    let filters = filter(json!([{"key": "some_prop", "value": "some_value", "type": "person"}]));
    let (status, body) = suite
        .get(&format!("/api/person/?properties={filters}"))
        .await;
    assert_eq!((status, results(&body).len()), (200, 1));
    assert_eq!(results(&body)[0]["id"], json!(suite.uuid("distinct_id_2")));
}

/// `test_filter_person_list`. `distinct_id` is an id ingestion refuses to merge, and the mock
/// builds persons from events, so the two-id person is `did` + `another_one` here.
#[tokio::test]
async fn test_filter_person_list() {
    let suite = Suite::new().await;
    suite.create_person(
        &["did", "another_one"],
        json!({"email": "someone@gmail.com"}),
    );
    suite.create_person(&["did_2"], json!({"email": "another@gmail.com"}));
    let first = json!(suite.uuid("did"));
    let second = json!(suite.uuid("did_2"));
    for (query, expected) in [
        ("distinct_id=did", Some(&first)),
        ("distinct_id=another_one", Some(&first)),
        ("email=another@gmail.com", Some(&second)),
        ("email=inexistent", None),
        ("distinct_id=inexistent", None),
    ] {
        let (status, body) = suite.get(&format!("/api/person/?{query}")).await;
        assert_eq!(status, 200);
        let ids: Vec<&Value> = results(&body).iter().map(|person| &person["id"]).collect();
        assert_eq!(ids, expected.into_iter().collect::<Vec<_>>(), "{query}");
    }
}

/// `test_cant_see_another_organization_pii_with_filters`
#[tokio::test]
async fn test_cant_see_another_organization_pii_with_filters() {
    let suite = Suite::new().await;
    suite
        .fixture
        .posthog
        .capture_all(
            2,
            [
                persons_mock::posthog::Event::new("$set", "distinct_id"),
                persons_mock::posthog::Event::new("$set", "x_another_one"),
                persons_mock::posthog::Event::new("$set", "x_distinct_id_2")
                    .set("email", "team2_another@gmail.com"),
            ],
        )
        .unwrap();
    suite.create_person(&["distinct_id"], json!({}));
    let (_, body) = suite.get("/api/person/?distinct_id=distinct_id").await;
    assert_eq!(results(&body).len(), 1);
    assert_eq!(results(&body)[0]["id"], json!(suite.uuid("distinct_id")));
    let (status, body) = suite.get("/api/person/?distinct_id=x_another_one").await;
    assert_eq!((status, &body["results"]), (200, &json!([])));
}

/// `test_delete_person`: 202 with no body, 404 the second time, a `deleted` activity in
/// PostHog's shape, and no queued event deletion.
#[tokio::test]
async fn test_delete_person() {
    let suite = Suite::frozen().await;
    suite.create_person(&["person_1", "anonymous_id"], json!({"$os": "Chrome"}));
    let (uuid, pk) = (suite.uuid("person_1"), suite.pk("person_1"));
    assert_eq!(
        suite.delete(&format!("/api/person/{uuid}/")).await,
        (202, String::new())
    );
    assert!(suite.fixture.posthog.person(PROJECT, "person_1").is_none());
    assert_eq!(suite.delete(&format!("/api/person/{uuid}/")).await.0, 404);
    let (_, body) = suite.get("/api/person/activity").await;
    assert_eq!(
        body["results"],
        json!([activity(
            "deleted",
            &pk,
            json!({"changes": null, "trigger": null, "type": null, "name": uuid, "short_id": null})
        )])
    );
    let (_, deletions) = suite.get("/api/person/deletion_status/").await;
    assert_eq!(deletions["count"], 0, "no async deletion is scheduled");
}

/// `test_delete_person_and_events`, `test_delete_person_and_recordings_and_events`: the
/// person is gone and its events' deletion is queued, unverified.
#[tokio::test]
async fn test_delete_person_and_events() {
    let suite = Suite::frozen().await;
    for (distinct_id, flags) in [
        ("person_1", "delete_events=true"),
        ("person_2", "delete_recordings=true&delete_events=true"),
    ] {
        suite.create_person(&[distinct_id], json!({"$os": "Chrome"}));
        let uuid = suite.uuid(distinct_id);
        assert_eq!(
            suite.delete(&format!("/api/person/{uuid}/?{flags}")).await,
            (202, String::new())
        );
        assert!(suite.fixture.posthog.person(PROJECT, distinct_id).is_none());
        let (_, body) = suite
            .get(&format!("/api/person/deletion_status/?person_uuid={uuid}"))
            .await;
        assert_eq!(
            body["results"],
            json!([{"person_uuid": uuid, "created_at": "2021-08-25T22:09:14.252000Z", "status": "pending", "delete_verified_at": null}])
        );
    }
}

/// `test_delete_person_and_recordings`: recordings alone queue no event deletion.
#[tokio::test]
async fn test_delete_person_and_recordings() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1", "anonymous_id"], json!({"$os": "Chrome"}));
    let uuid = suite.uuid("person_1");
    assert_eq!(
        suite
            .delete(&format!("/api/person/{uuid}/?delete_recordings=true"))
            .await,
        (202, String::new())
    );
    assert!(suite.fixture.posthog.person(PROJECT, "person_1").is_none());
    assert_eq!(
        suite.get("/api/person/deletion_status/").await.1["count"],
        0
    );
}

/// `test_bulk_delete_ids`
#[tokio::test]
async fn test_bulk_delete_ids() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1", "anonymous_id"], json!({"$os": "Chrome"}));
    suite.create_person(&["person_2", "anonymous_id_2"], json!({"$os": "Chrome"}));
    let (first, second) = (suite.uuid("person_1"), suite.uuid("person_2"));
    let (status, body) = suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [first, second], "delete_events": true}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"persons_found": 2, "persons_deleted": 2, "events_queued_for_deletion": true, "recordings_queued_for_deletion": false, "deletion_errors": []})
    );
    assert_eq!(suite.fixture.posthog.person_count(PROJECT), 0);
    assert_eq!(suite.delete(&format!("/api/person/{first}/")).await.0, 404);
    let (_, deletions) = suite
        .get(&format!("/api/person/deletion_status/?person_uuid={first}"))
        .await;
    assert_eq!(deletions["results"][0]["delete_verified_at"], Value::Null);
}

/// `test_bulk_delete_distinct_id`
#[tokio::test]
async fn test_bulk_delete_distinct_id() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1", "anonymous_id"], json!({"$os": "Chrome"}));
    suite.create_person(&["person_2", "anonymous_id_2"], json!({"$os": "Chrome"}));
    let first = suite.uuid("person_1");
    let (status, body) = suite
        .post(
            "/api/person/bulk_delete/",
            json!({"distinct_ids": ["anonymous_id", "person_2"]}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"persons_found": 2, "persons_deleted": 2, "events_queued_for_deletion": false, "recordings_queued_for_deletion": false, "deletion_errors": []})
    );
    assert!(suite.fixture.posthog.person(PROJECT, "person_2").is_none());
    assert_eq!(suite.delete(&format!("/api/person/{first}/")).await.0, 404);
    assert_eq!(
        suite.get("/api/person/deletion_status/").await.1["count"],
        0
    );
}

/// `test_bulk_delete_with_keep_person`
#[tokio::test]
async fn test_bulk_delete_with_keep_person() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1"], json!({"$os": "Chrome"}));
    let uuid = suite.uuid("person_1");
    let (status, body) = suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [uuid], "delete_events": true, "keep_person": true}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        (
            &body["persons_found"],
            &body["persons_deleted"],
            &body["events_queued_for_deletion"]
        ),
        (&json!(1), &json!(0), &json!(true))
    );
    assert!(suite.fixture.posthog.person(PROJECT, "person_1").is_some());
    let (_, deletions) = suite.get("/api/person/deletion_status/").await;
    assert_eq!(deletions["results"][0]["person_uuid"], json!(uuid));
    let (_, activity) = suite.get("/api/person/activity").await;
    assert_eq!(activity["total_count"], 0, "the person was not deleted");
}

/// `test_bulk_delete_with_recordings`
#[tokio::test]
async fn test_bulk_delete_with_recordings() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1"], json!({"$os": "Chrome"}));
    let (status, body) = suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [suite.uuid("person_1")], "delete_recordings": true}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"persons_found": 1, "persons_deleted": 1, "events_queued_for_deletion": false, "recordings_queued_for_deletion": true, "deletion_errors": []})
    );
}

/// `test_bulk_delete_validation_too_many_ids`, `test_bulk_delete_validation_missing_ids`,
/// `test_bulk_delete_validation_rejects_both_ids_and_distinct_ids`
#[tokio::test]
async fn test_bulk_delete_validation() {
    let suite = Suite::new().await;
    let uuids: Vec<String> = (0..1001)
        .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
        .collect();
    let ids: Vec<String> = (0..1001).map(|n| format!("id_{n}")).collect();
    for (body, detail) in [
        (
            json!({"ids": uuids}),
            "You can only pass 1000 ids in one call",
        ),
        (
            json!({"distinct_ids": ids}),
            "You can only pass 1000 distinct_ids in one call",
        ),
        (
            json!({"delete_events": true}),
            "You need to specify either distinct_ids or ids",
        ),
        (
            json!({"ids": [uuids[0]], "distinct_ids": ["did_1"]}),
            "You must provide either distinct_ids or ids, not both",
        ),
    ] {
        let (status, answer) = suite.post("/api/person/bulk_delete/", body).await;
        assert_eq!((status, answer["detail"].as_str()), (400, Some(detail)));
    }
}

/// `test_bulk_delete_no_matching_persons`
#[tokio::test]
async fn test_bulk_delete_no_matching_persons() {
    let suite = Suite::new().await;
    let (status, body) = suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": ["11111111-1111-1111-1111-111111111111"], "delete_events": true}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        (&body["persons_found"], &body["events_queued_for_deletion"]),
        (&json!(0), &json!(false))
    );
    assert_eq!(
        suite.get("/api/person/deletion_status/").await.1["count"],
        0
    );
}

/// `test_deletion_status_lists_pending_deletions`
#[tokio::test]
async fn test_deletion_status_lists_pending_deletions() {
    let suite = Suite::frozen().await;
    suite.create_person(&["person_1"], json!({"$os": "Chrome"}));
    let uuid = suite.uuid("person_1");
    suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [uuid], "delete_events": true}),
        )
        .await;
    let (status, body) = suite.get("/api/person/deletion_status/").await;
    assert_eq!((status, &body["count"]), (200, &json!(1)));
    assert_eq!(body["results"][0]["person_uuid"], json!(uuid));
    assert_eq!(body["results"][0]["status"], "pending");
    assert_eq!(body["results"][0]["delete_verified_at"], Value::Null);
}

/// `test_deletion_status_filters_by_status`: the completed one is verified by PostHog's
/// batch (`verify_event_deletions`) before the pending one is queued.
#[tokio::test]
async fn test_deletion_status_filters_by_status() {
    let suite = Suite::frozen().await;
    suite.create_person(&["person_1"], json!({}));
    suite.create_person(&["person_2"], json!({}));
    let (first, second) = (suite.uuid("person_1"), suite.uuid("person_2"));
    suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [second], "delete_events": true}),
        )
        .await;
    suite.fixture.posthog.verify_event_deletions(PROJECT);
    suite
        .post(
            "/api/person/bulk_delete/",
            json!({"ids": [first], "delete_events": true}),
        )
        .await;
    for (status, uuid) in [("pending", &first), ("completed", &second)] {
        let (_, body) = suite
            .get(&format!("/api/person/deletion_status/?status={status}"))
            .await;
        assert_eq!(body["count"], 1, "{status}");
        assert_eq!(body["results"][0]["person_uuid"], json!(uuid));
        assert_eq!(body["results"][0]["status"], status);
    }
    let (_, body) = suite.get("/api/person/deletion_status/").await;
    assert_eq!(body["count"], 2);
    assert_eq!(
        body["results"][1]["delete_verified_at"],
        "2021-08-25T22:09:14.252000Z"
    );
}

/// `test_deletion_status_filters_by_person_uuid`
#[tokio::test]
async fn test_deletion_status_filters_by_person_uuid() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1"], json!({}));
    suite.create_person(&["person_2"], json!({}));
    let first = suite.uuid("person_1");
    suite
        .post(
            "/api/person/bulk_delete/",
            json!({"distinct_ids": ["person_1", "person_2"], "delete_events": true}),
        )
        .await;
    let (_, body) = suite
        .get(&format!("/api/person/deletion_status/?person_uuid={first}"))
        .await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["results"][0]["person_uuid"], json!(first));
}

/// `test_deletion_status_rejects_invalid_status`, `…_rejects_invalid_person_uuid`
#[tokio::test]
async fn test_deletion_status_rejects_invalid_parameters() {
    let suite = Suite::new().await;
    for query in ["status=invalid", "person_uuid=not-a-uuid"] {
        let (status, _) = suite
            .get(&format!("/api/person/deletion_status/?{query}"))
            .await;
        assert_eq!(status, 400, "{query}");
    }
}

/// `test_deletion_status_excludes_other_teams`
#[tokio::test]
async fn test_deletion_status_excludes_other_teams() {
    let suite = Suite::new().await;
    let posthog = &suite.fixture.posthog;
    posthog
        .capture(2, persons_mock::posthog::Event::new("$set", "elsewhere"))
        .unwrap();
    let other = persons_mock::posthog::PersonalKey::all_access(2);
    let other_key = posthog.create_personal_key(other);
    let other_client = crate::support::client(posthog, &other_key, "2");
    other_client
        .bulk_delete_persons(persons_sdk::posthog::BulkDelete {
            delete_events: true,
            ..persons_sdk::posthog::BulkDelete::new(
                persons_sdk::posthog::BulkDeleteTarget::DistinctIds(vec!["elsewhere".into()]),
            )
        })
        .await
        .unwrap();
    suite.create_person(&["mine"], json!({}));
    suite
        .post(
            "/api/person/bulk_delete/",
            json!({"distinct_ids": ["mine"], "delete_events": true}),
        )
        .await;
    assert_eq!(
        suite.get("/api/person/deletion_status/").await.1["count"],
        1
    );
}

/// `test_destroy_with_keep_person_param`
#[tokio::test]
async fn test_destroy_with_keep_person_param() {
    let suite = Suite::new().await;
    suite.create_person(&["person_1"], json!({"$os": "Chrome"}));
    let uuid = suite.uuid("person_1");
    let (status, _) = suite
        .delete(&format!(
            "/api/person/{uuid}/?keep_person=true&delete_events=true"
        ))
        .await;
    assert_eq!(status, 202);
    assert!(suite.fixture.posthog.person(PROJECT, "person_1").is_some());
    assert_eq!(
        suite.get("/api/person/deletion_status/").await.1["count"],
        1
    );
}

/// `test_split_people_keep_props`: `main_distinct_id` keeps `1`; the activity records every
/// id the person had.
#[tokio::test]
async fn test_split_people_keep_props() {
    let suite = Suite::frozen().await;
    suite.create_person(
        &["1", "2", "3"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let (uuid, pk) = (suite.uuid("1"), suite.pk("1"));
    let (status, body) = suite
        .post(
            &format!("/api/person/{pk}/split/"),
            json!({"main_distinct_id": "1"}),
        )
        .await;
    assert_eq!((status, body), (201, json!({"success": true})));
    assert_eq!(suite.uuid("1"), uuid);
    let (two, three) = (suite.uuid("2"), suite.uuid("3"));
    assert!(two != uuid && three != uuid && two != three);
    let original = suite.person("1").await;
    assert_eq!(
        own_properties(&original),
        json!({"$browser": "whatever", "$os": "Mac OS X"})
    );
    let (_, body) = suite.get(&format!("/api/person/{uuid}/activity")).await;
    assert_eq!(
        body["results"],
        json!([activity(
            "split_person",
            &pk,
            json!({
                "changes": [{"type": "Person", "action": "split", "field": null, "before": null, "after": {"distinct_ids": ["1", "2", "3"]}}],
                "name": uuid, "trigger": null, "type": null, "short_id": null
            })
        )])
    );
}

/// `test_split_people_delete_props`: without a `main_distinct_id` the first id stays, and
/// the properties too.
#[tokio::test]
async fn test_split_people_delete_props() {
    let suite = Suite::new().await;
    suite.create_person(
        &["1", "2", "3"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let pk = suite.pk("1");
    let (status, body) = suite
        .call(
            reqwest::Method::POST,
            &format!("/api/person/{pk}/split/"),
            None,
        )
        .await;
    assert_eq!((status, &body["success"]), (201, &json!(true)));
    assert_eq!(suite.pk("1"), pk);
    assert_ne!(suite.pk("2"), pk);
    assert_eq!(
        own_properties(&suite.person("1").await),
        json!({"$browser": "whatever", "$os": "Mac OS X"})
    );
}

/// `test_split_people_partial_moves_only_specified_ids`
#[tokio::test]
async fn test_split_people_partial_moves_only_specified_ids() {
    let suite = Suite::new().await;
    suite.create_person(
        &["keep1", "move1", "keep2", "move2"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let pk = suite.pk("keep1");
    let (status, body) = suite
        .post(
            &format!("/api/person/{pk}/split/"),
            json!({"distinct_ids_to_split": ["move1", "move2"]}),
        )
        .await;
    assert_eq!((status, body), (201, json!({"success": true})));
    assert_eq!(
        (suite.pk("keep1"), suite.pk("keep2")),
        (pk.clone(), pk.clone())
    );
    let (one, two) = (suite.pk("move1"), suite.pk("move2"));
    assert!(one != pk && two != pk && one != two);
    assert_eq!(
        own_properties(&suite.person("keep1").await),
        json!({"$browser": "whatever", "$os": "Mac OS X"})
    );
    let (_, activity) = suite.get(&format!("/api/person/{pk}/activity")).await;
    assert_eq!(
        activity["results"][0]["detail"]["changes"][0]["after"],
        json!({"distinct_ids": ["keep1", "move1", "keep2", "move2"], "distinct_ids_to_split": ["move1", "move2"]})
    );
}

/// `test_split_people_partial_rejects_unknown_distinct_id`,
/// `…_rejects_combined_with_main_distinct_id`, `…_rejects_invalid_payload`
#[tokio::test]
async fn test_split_people_partial_rejects_bad_requests() {
    let suite = Suite::new().await;
    suite.create_person(&["a", "b", "c"], json!({}));
    let path = format!("/api/person/{}/split/", suite.pk("a"));
    for body in [
        json!({"distinct_ids_to_split": ["a", "not_on_this_person"]}),
        json!({"distinct_ids_to_split": ["b"], "main_distinct_id": "a"}),
        json!({"distinct_ids_to_split": []}),
        json!({"distinct_ids_to_split": "a"}),
        json!({"distinct_ids_to_split": [1, 2]}),
    ] {
        let (status, answer) = suite.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        if body["distinct_ids_to_split"][1] == "not_on_this_person" {
            assert!(
                answer["detail"]
                    .as_str()
                    .unwrap()
                    .contains("not_on_this_person")
            );
        }
    }
    assert_eq!(
        suite.person("a").await["distinct_ids"],
        json!(["a", "b", "c"]),
        "nothing moved"
    );
}

/// `test_update_multiple_person_properties_validation`
#[tokio::test]
async fn test_update_multiple_person_properties_validation() {
    let suite = Suite::new().await;
    suite.create_person(&["some_distinct_id"], json!({"$browser": "whatever"}));
    let uuid = suite.uuid("some_distinct_id");
    let (status, body) = suite
        .call(
            reqwest::Method::PATCH,
            &format!("/api/person/{uuid}"),
            Some(json!({"foo": "bar", "bar": "baz"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"type": "validation_error", "code": "This field is required.", "detail": "required", "attr": "properties"})
    );
}

/// `test_new_update_single_person_property`, `test_update_person_property_by_numeric_id`,
/// `test_update_person_property_with_null_value`: the internal `$set` lands on the person.
#[tokio::test]
async fn test_new_update_single_person_property() {
    let suite = Suite::new().await;
    suite.create_person(
        &["some_distinct_id"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let (uuid, pk) = (suite.uuid("some_distinct_id"), suite.pk("some_distinct_id"));
    for (id, value) in [
        (&uuid, json!("bar")),
        (&pk, json!("baz")),
        (&uuid, json!(null)),
    ] {
        let (status, _) = suite
            .post(
                &format!("/api/person/{id}/update_property"),
                json!({"key": "foo", "value": value}),
            )
            .await;
        assert_eq!(status, 202);
        assert_eq!(
            suite.person("some_distinct_id").await["properties"]["foo"],
            value
        );
    }
}

/// `test_new_delete_person_properties`, `test_delete_person_property_by_numeric_id`
#[tokio::test]
async fn test_new_delete_person_properties() {
    let suite = Suite::new().await;
    suite.create_person(
        &["some_distinct_id"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let (uuid, pk) = (suite.uuid("some_distinct_id"), suite.pk("some_distinct_id"));
    for (id, key) in [(&uuid, "$browser"), (&pk, "$os")] {
        let (status, body) = suite
            .post(
                &format!("/api/person/{id}/delete_property"),
                json!({"$unset": key}),
            )
            .await;
        assert_eq!((status, body), (201, json!({"success": true})));
    }
    assert_eq!(
        own_properties(&suite.person("some_distinct_id").await),
        json!({})
    );
}

/// `test_update_person_property_missing_value_returns_400`, `…_missing_key_returns_400`
#[tokio::test]
async fn test_update_person_property_missing_parts_return_400() {
    let suite = Suite::new().await;
    suite.create_person(&["some_distinct_id"], json!({"$browser": "whatever"}));
    let path = format!(
        "/api/person/{}/update_property",
        suite.uuid("some_distinct_id")
    );
    for (body, attr) in [
        (json!({"key": "foo"}), "value"),
        (json!({"value": "bar"}), "key"),
    ] {
        let (status, answer) = suite.post(&path, body).await;
        assert_eq!((status, &answer["attr"]), (400, &json!(attr)));
    }
}

/// `test_return_non_anonymous_name`
#[tokio::test]
async fn test_return_non_anonymous_name() {
    let suite = Suite::new().await;
    suite.create_person(
        &[
            "distinct_id1",
            "17787c3099427b-0e8f6c86323ea9-33647309-1aeaa0-17787c30995b7c",
        ],
        json!({}),
    );
    suite.create_person(
        &[
            "17787c327b-0e8f623ea9-336473-1aeaa0-17787c30995b7c",
            "distinct_id2",
        ],
        json!({}),
    );
    let (_, body) = suite.get("/api/person/").await;
    let names: Vec<&Value> = results(&body)
        .iter()
        .map(|person| &person["name"])
        .collect();
    assert_eq!(names, [&json!("distinct_id2"), &json!("distinct_id1")]);
    let mut ids: Vec<Value> = results(&body)[0]["distinct_ids"]
        .as_array()
        .unwrap()
        .clone();
    ids.sort_by_key(Value::to_string);
    assert_eq!(
        ids,
        [
            json!("17787c327b-0e8f623ea9-336473-1aeaa0-17787c30995b7c"),
            json!("distinct_id2")
        ]
    );
}

/// `test_person_display_name`: the project setting `person_display_name_properties` decides.
#[tokio::test]
async fn test_person_display_name() {
    let suite = Suite::new().await;
    suite
        .fixture
        .posthog
        .person_display_name_properties(PROJECT, &["custom_name", "custom_email"]);
    suite.create_person(
        &["distinct_id1"],
        json!({"custom_name": "someone", "custom_email": "someone@custom.com", "email": "someone@gmail.com"}),
    );
    suite.create_person(
        &["distinct_id2"],
        json!({"custom_email": "another_one@custom.com", "email": "another_one@gmail.com"}),
    );
    suite.create_person(
        &["distinct_id3"],
        json!({"email": "yet_another_one@gmail.com"}),
    );
    let (_, body) = suite.get("/api/person/").await;
    let names: Vec<&Value> = results(&body).iter().rev().map(|p| &p["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("someone"),
            &json!("another_one@custom.com"),
            &json!("distinct_id3")
        ]
    );
    let retrieved = suite.person("distinct_id2").await;
    assert_eq!(retrieved["name"], "another_one@custom.com");
}

/// `test_person_display_name_defaults`
#[tokio::test]
async fn test_person_display_name_defaults() {
    let suite = Suite::new().await;
    suite.create_person(
        &["distinct_id1"],
        json!({"name": "someone", "email": "someone@gmail.com"}),
    );
    suite.create_person(&["distinct_id2"], json!({"name": "another_one"}));
    suite.create_person(&["distinct_id3"], json!({}));
    let (_, body) = suite.get("/api/person/").await;
    let names: Vec<&Value> = results(&body).iter().rev().map(|p| &p["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("someone@gmail.com"),
            &json!("another_one"),
            &json!("distinct_id3")
        ]
    );
}

/// `test_person_cohorts`, `test_person_cohorts_returns_minimal_fields`,
/// `test_person_cohorts_via_nested_project_url`, with the static cohorts the mock has.
#[tokio::test]
async fn test_person_cohorts() {
    let suite = Suite::new().await;
    suite.create_person(&["1"], json!({"$some_prop": "something", "number": 1}));
    suite.create_person(&["2"], json!({"$some_prop": "something", "number": 2}));
    let posthog = &suite.fixture.posthog;
    let cohort1 = posthog.create_cohort(PROJECT, "cohort1", &["1", "2"]);
    posthog.create_cohort(PROJECT, "cohort2", &["1"]);
    let cohort3 = posthog.create_cohort(PROJECT, "cohort3", &["2"]);
    let uuid = suite.uuid("2");
    for prefix in ["/api/person", "/api/projects/1/persons"] {
        let (status, body) = suite
            .get(&format!("{prefix}/cohorts/?person_id={uuid}"))
            .await;
        assert_eq!(status, 200);
        let mut cohorts = results(&body).clone();
        cohorts.sort_by_key(|cohort| cohort["name"].to_string());
        assert_eq!(
            cohorts,
            [
                json!({"id": cohort1, "name": "cohort1", "count": 2}),
                json!({"id": cohort3, "name": "cohort3", "count": 1})
            ]
        );
    }
}

/// `test_split_person_clickhouse`: the split-off persons carry `uuidFromDistinctId`.
#[tokio::test]
async fn test_split_person_clickhouse() {
    let suite = Suite::new().await;
    suite.create_person(
        &["1", "2", "3"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let uuid = suite.uuid("1");
    let (_, body) = suite
        .call(
            reqwest::Method::POST,
            &format!("/api/person/{uuid}/split/"),
            None,
        )
        .await;
    assert_eq!(body["success"], true);
    let derived = |id: &str| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::from_u128(0x9329_79b4_65c3_4424_8467_0b66_ec27_bc22),
            format!("{PROJECT}:{id}").as_bytes(),
        )
        .to_string()
    };
    assert_eq!(
        [suite.uuid("1"), suite.uuid("2"), suite.uuid("3")],
        [uuid, derived("2"), derived("3")]
    );
    let (_, list) = suite.get("/api/person/").await;
    assert_eq!(results(&list).len(), 3);
}

/// `test_patch_user_property_activity`: PATCH with the retrieved body (its extra keys
/// ignored) answers 202 and logs `updated` without a name.
#[tokio::test]
async fn test_patch_user_property_activity() {
    let suite = Suite::frozen().await;
    suite.create_person(
        &["1", "2", "3"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    let (uuid, pk) = (suite.uuid("1"), suite.pk("1"));
    let (_, mut created) = suite.get(&format!("/api/person/{uuid}/")).await;
    created["properties"]["a"] = json!("b");
    let (status, _) = suite
        .call(
            reqwest::Method::PATCH,
            &format!("/api/person/{uuid}/"),
            Some(created),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(suite.person("1").await["properties"]["a"], "b");
    let (_, body) = suite.get(&format!("/api/person/{uuid}/activity")).await;
    assert_eq!(
        body["results"],
        json!([activity(
            "updated",
            &pk,
            json!({
                "changes": [{"type": "Person", "action": "changed", "field": "properties", "before": null, "after": null}],
                "trigger": null, "type": null, "name": null, "short_id": null
            })
        )])
    );
}

/// `test_csv_export`
#[tokio::test]
async fn test_csv_export() {
    let suite = Suite::new().await;
    suite.create_person(
        &["1", "2", "3"],
        json!({"$browser": "whatever", "$os": "Mac OS X"}),
    );
    suite.create_person(&["4"], json!({"$browser": "whatever", "$os": "Windows"}));
    let lines = |text: String| text.lines().count();
    let (_, text) = suite
        .fixture
        .raw(reqwest::Method::GET, "/api/person.csv", None)
        .await;
    assert_eq!(lines(text), 3);
    let filters = filter(json!([{"key": "$os", "value": "Windows", "type": "person"}]));
    let (_, text) = suite
        .fixture
        .raw(
            reqwest::Method::GET,
            &format!("/api/person.csv?properties={filters}"),
            None,
        )
        .await;
    assert_eq!(lines(text), 2);
}

/// `TestPersonFromClickhouse.test_pagination_limit`
#[tokio::test]
async fn test_pagination_limit() {
    let suite = Suite::new().await;
    let created: Vec<String> = (0..19).map(|index| (index + 100).to_string()).collect();
    for id in &created {
        suite.create_person(&[id], json!({"$browser": "whatever", "$os": "Windows"}));
    }
    let (_, page) = suite.get("/api/person/?limit=10").await;
    let next_page = suite
        .follow(page["next"].as_str().expect("a next page"))
        .await;
    assert_eq!((results(&page).len(), results(&next_page).len()), (10, 9));
    let returned: Vec<&Value> = results(&page)
        .iter()
        .chain(results(&next_page))
        .map(|person| &person["distinct_ids"][0])
        .collect();
    let expected: Vec<Value> = created.iter().rev().map(|id| json!(id)).collect();
    assert_eq!(returned, expected.iter().collect::<Vec<_>>());
    let (_, total) = suite.get("/api/person/?limit=10&include_total").await;
    assert_eq!(total["count"], 19);
}

/// `test_pagination_no_gaps_or_duplicates_when_created_at_is_tied`
#[tokio::test]
async fn test_pagination_no_gaps_or_duplicates_when_created_at_is_tied() {
    let suite = Suite::new().await;
    suite
        .fixture
        .seed((1..8).map(|n| persons_mock::posthog::Event::new("$set", &format!("p{n}"))));
    let (_, full) = suite.get("/api/person/?limit=100").await;
    let mut expected: Vec<String> = results(&full)
        .iter()
        .map(|person| person["id"].to_string())
        .collect();
    assert_eq!(expected.len(), 7);
    let mut paged = Vec::new();
    let mut url = Some(format!(
        "{}/api/person/?limit=2",
        suite.fixture.posthog.base_url()
    ));
    while let Some(next) = url {
        let page = suite.follow(&next).await;
        paged.extend(results(&page).iter().map(|person| person["id"].to_string()));
        url = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        paged.len(),
        7,
        "no person lost or repeated at a page boundary"
    );
    paged.sort();
    expected.sort();
    assert_eq!(paged, expected);
}

/// `test_retrieve_person`, `test_retrieve_person_by_uuid`
#[tokio::test]
async fn test_retrieve_person() {
    let suite = Suite::new().await;
    suite.create_person(&["123456789"], json!({}));
    let (pk, uuid) = (suite.pk("123456789"), suite.uuid("123456789"));
    for id in [&pk, &uuid] {
        let (_, body) = suite.get(&format!("/api/person/{id}")).await;
        assert_eq!(body["id"].to_string(), pk);
        assert_eq!(body["uuid"], json!(uuid));
        assert_eq!(body["distinct_ids"], json!(["123456789"]));
    }
}

/// `test_retrieve_person_by_distinct_id_with_useful_error`
#[tokio::test]
async fn test_retrieve_person_by_distinct_id_with_useful_error() {
    let suite = Suite::new().await;
    let (status, body) = suite.get("/api/person/NOT_A_UUID").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["detail"],
        "The ID provided does not look like a personID. If you are using a distinctId, please use /persons?distinct_id=NOT_A_UUID instead."
    );
}

/// `test_delete_events_only`, `test_delete_person_events_not_found`
#[tokio::test]
async fn test_delete_events_only() {
    let suite = Suite::frozen().await;
    suite.create_person(&["person_1", "anonymous_id"], json!({"$os": "Chrome"}));
    let uuid = suite.uuid("person_1");
    let (status, body) = suite
        .fixture
        .raw(
            reqwest::Method::POST,
            &format!("/api/person/{uuid}/delete_events/"),
            None,
        )
        .await;
    assert_eq!((status, body.as_str()), (202, ""));
    assert!(suite.fixture.posthog.person(PROJECT, "person_1").is_some());
    let (_, deletions) = suite.get("/api/person/deletion_status/").await;
    assert_eq!(
        deletions["results"],
        json!([{"person_uuid": uuid, "created_at": "2021-08-25T22:09:14.252000Z", "status": "pending", "delete_verified_at": null}])
    );
    let (status, body) = suite
        .post(
            "/api/person/11111111-1111-1111-1111-111111111111/delete_events/",
            json!({}),
        )
        .await;
    assert_eq!((status, &body["detail"]), (404, &json!("Not found.")));
}

/// `test_reset_person_distinct_id`, `test_reset_person_distinct_id_not_found`: 202, and the
/// distinct id of a deleted person makes a new person (the same UUID) again.
#[tokio::test]
async fn test_reset_person_distinct_id() {
    let suite = Suite::new().await;
    suite.create_person(&["distinct_id"], json!({"abcdefg": 11112}));
    let uuid = suite.uuid("distinct_id");
    suite.delete(&format!("/api/person/{uuid}/")).await;
    for distinct_id in ["distinct_id", "never-seen"] {
        let (status, _) = suite
            .post(
                "/api/projects/1/persons/reset_person_distinct_id/",
                json!({"distinct_id": distinct_id}),
            )
            .await;
        assert_eq!(status, 202);
    }
    suite.create_person(&["distinct_id"], json!({}));
    assert_eq!(suite.uuid("distinct_id"), uuid);
}

/// `test_batch_by_distinct_ids_happy_path`, `…_caps_distinct_ids_at_ten`, `…_missing_ids`,
/// `…_same_person_multiple_ids`, `…_empty_list`, `…_invalid_input`,
/// `…_cross_team_isolation`, `…_truncates_at_max_batch_size`
#[tokio::test]
async fn test_batch_by_distinct_ids() {
    let suite = Suite::new().await;
    suite.create_person(&["user_1"], json!({"email": "user1@example.com"}));
    suite.create_person(&["user_2"], json!({"email": "user2@example.com"}));
    let many: Vec<String> = (0..12).map(|i| format!("id_{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    suite.create_person(&many, json!({"email": "many@example.com"}));
    suite.create_person(&["id_a", "id_b"], json!({"email": "multi@example.com"}));
    suite
        .fixture
        .posthog
        .capture(
            2,
            persons_mock::posthog::Event::new("$set", "other_team_user"),
        )
        .unwrap();
    let suite = &suite;
    let batch = |ids: Value| async move {
        let (status, body) = suite
            .post(
                "/api/environments/1/persons/batch_by_distinct_ids/",
                json!({"distinct_ids": ids}),
            )
            .await;
        assert_eq!(status, 200);
        body["results"].clone()
    };
    let results = batch(json!(["user_1", "user_2"])).await;
    assert_eq!(
        results["user_1"]["properties"]["email"],
        "user1@example.com"
    );
    assert_eq!(
        results["user_2"]["properties"]["email"],
        "user2@example.com"
    );
    let results = batch(json!(["id_0"])).await;
    assert!(results["id_0"]["distinct_ids"].as_array().unwrap().len() <= 10);
    let results = batch(json!(["user_1", "nonexistent_1", "other_team_user"])).await;
    assert_eq!(
        results.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["user_1"]
    );
    let results = batch(json!(["id_a", "id_b"])).await;
    assert_eq!(results["id_a"]["uuid"], results["id_b"]["uuid"]);
    assert_eq!(batch(json!([])).await, json!({}));
    assert_eq!(batch(json!("not_a_list")).await, json!({}));
    let mut ids: Vec<String> = (0..200).map(|i| format!("nobody_{i}")).collect();
    ids.push("user_1".into());
    assert_eq!(
        batch(json!(ids)).await,
        json!({}),
        "only the first 200 are read"
    );
}
