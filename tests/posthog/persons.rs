//! Every per-person endpoint through the generated SDK, with its success shape and its errors.

use persons_mock::posthog::{Event, PersonalKey};
use persons_sdk::ApiErrorBody;
use persons_sdk::posthog::ErrorBody;
use serde_json::{Map, Value, json};

use crate::support::{Fixture, NOW, PROJECT, api_error, client, parts};

/// A project with one identified person (`user`, `anon`, `crm`) and one anonymous one.
async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("$pageview", "anon")
            .set("plan", "free")
            .at(NOW - 300),
        Event::identify("user", "anon")
            .set("email", "u@x.com")
            .at(NOW - 200),
        Event::alias("user", "crm").at(NOW - 100),
        Event::new("$pageview", "lonely")
            .set("plan", "free")
            .at(NOW - 50),
    ]);
    fixture
}

#[tokio::test]
async fn retrieve_by_numeric_id_or_uuid_and_its_errors() {
    let fixture = fixture().await;
    let person = fixture.posthog.person(PROJECT, "user").unwrap();
    for id in [person.pk.to_string(), person.uuid.to_string()] {
        let got = fixture.client.retrieve_person(&id).await.unwrap();
        assert_eq!((got.id, got.uuid), (person.pk, person.uuid));
        assert_eq!(got.name, "u@x.com");
        assert_eq!(got.created_at.timestamp(), NOW - 300);
        assert_eq!(got.last_seen_at, None);
    }
    let (status, body) = api_error(fixture.client.retrieve_person("user").await);
    assert_eq!(status, 400);
    assert_eq!(
        parts(&body),
        (
            "validation_error",
            "invalid_input",
            "The ID provided does not look like a personID. If you are using a distinctId, please use /persons?distinct_id=user instead.",
            None
        )
    );
    let (status, body) = api_error(fixture.client.retrieve_person("999999").await);
    assert_eq!(
        (status, parts(&body)),
        (404, ("invalid_request", "not_found", "Not found.", None))
    );
}

#[tokio::test]
async fn update_and_update_property_answer_202_and_apply() {
    let fixture = fixture().await;
    let id = fixture.pk("user");
    let properties: Map<String, Value> = [("plan".to_owned(), json!("pro"))].into_iter().collect();
    fixture
        .client
        .update_person_properties(&id, properties)
        .await
        .unwrap();
    fixture
        .client
        .set_person_property(&id, "nickname", Value::Null)
        .await
        .unwrap();
    let person = fixture.posthog.person(PROJECT, "user").unwrap();
    assert_eq!(person.properties["plan"], "pro");
    assert_eq!(person.properties["nickname"], Value::Null);
    assert_eq!(person.properties["email"], "u@x.com", "nothing is removed");
    let put = fixture
        .client
        .generated()
        .persons_update()
        .project_id("1")
        .id(&id)
        .body(persons_sdk::posthog::types::PersonPropertiesUpdate {
            properties: Map::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 202);
    let (status, body) = fixture
        .raw(
            reqwest::Method::PATCH,
            &format!("/api/projects/1/persons/{id}/"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"type":"validation_error","code":"This field is required.","detail":"required","attr":"properties"}"#
    );
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            &format!("/api/projects/1/persons/{id}/update_property/"),
            Some(json!({"key": "k"})),
        )
        .await;
    assert_eq!((status, body.contains(r#""attr":"value""#)), (400, true));
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            &format!("/api/projects/1/persons/{id}/update_property/"),
            Some(json!({"value": 1})),
        )
        .await;
    assert_eq!((status, body.contains(r#""attr":"key""#)), (400, true));
}

#[tokio::test]
async fn delete_property_answers_201_success_and_removes_the_key() {
    let fixture = fixture().await;
    let id = fixture.pk("user");
    fixture
        .client
        .delete_person_property(&id, "plan")
        .await
        .unwrap();
    assert!(
        !fixture
            .posthog
            .person(PROJECT, "user")
            .unwrap()
            .properties
            .contains_key("plan")
    );
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            &format!("/api/projects/1/persons/{id}/delete_property/"),
            Some(json!({"$unset": "email"})),
        )
        .await;
    assert_eq!((status, body.as_str()), (201, r#"{"success":true}"#));
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            &format!("/api/projects/1/persons/{id}/delete_property/"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, body.as_str()),
        (
            500,
            r#"{"type":"server_error","code":"error","detail":"A server error occurred.","attr":null}"#
        )
    );
}

#[tokio::test]
async fn delete_answers_202_then_404_and_logs_activity() {
    let fixture = fixture().await;
    let id = fixture.pk("lonely");
    let (status, body) = fixture
        .raw(
            reqwest::Method::DELETE,
            &format!("/api/projects/1/persons/{id}/?delete_events=false"),
            None,
        )
        .await;
    assert_eq!((status, body.as_str()), (202, ""));
    let (status, body) = api_error(fixture.client.delete_person(&id, true).await);
    assert_eq!((status, body.detail.as_str()), (404, "Not found."));
    let gone = fixture
        .client
        .generated()
        .persons_activity_retrieve()
        .project_id("1")
        .id(&id)
        .send()
        .await;
    assert_eq!(
        api_error(gone).0,
        404,
        "a person's own activity needs the person (get_object)"
    );
    let activity = fixture
        .client
        .generated()
        .persons_all_activity_retrieve()
        .project_id("1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(activity.total_count, 1);
    assert_eq!(activity.results[0].activity, "deleted");
    assert_eq!(activity.results[0].item_id, id);
    let deletions = fixture
        .client
        .generated()
        .persons_deletion_status_retrieve()
        .project_id("1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        deletions.count, 1,
        "the flag counts by presence, `false` or not"
    );
    assert_eq!(deletions.results[0].status, "pending");
    assert_eq!(deletions.results[0].delete_verified_at, None);
    let (status, body) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/deletion_status/?status=soon",
            None,
        )
        .await;
    assert_eq!(
        (status, body.contains(r#""code":"invalid_choice""#)),
        (400, true)
    );
}

#[tokio::test]
async fn split_in_both_forms_and_its_validation() {
    let fixture = fixture().await;
    let id = fixture.pk("user");
    let path = format!("/api/projects/1/persons/{id}/split/");
    let split = |body: Value| fixture.raw(reqwest::Method::POST, &path, Some(body));
    let cases = [
        (
            json!({"distinct_ids_to_split": "anon"}),
            r#"{"type":"validation_error","code":"invalid_input","detail":"must be a list of strings","attr":"distinct_ids_to_split"}"#,
        ),
        (
            json!({"distinct_ids_to_split": []}),
            r#"{"type":"validation_error","code":"invalid_input","detail":"must not be empty","attr":"distinct_ids_to_split"}"#,
        ),
        (
            json!({"distinct_ids_to_split": ["anon"], "main_distinct_id": "user"}),
            r#"{"type":"validation_error","code":"invalid_input","detail":"main_distinct_id cannot be combined with distinct_ids_to_split","attr":null}"#,
        ),
        (
            json!({"distinct_ids_to_split": ["x"]}),
            r#"{"type":"validation_error","code":"invalid_input","detail":"not on this person: ['x']","attr":"distinct_ids_to_split"}"#,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(split(body).await, (400, expected.to_owned()));
    }
    assert_eq!(
        split(json!({"distinct_ids_to_split": ["crm"]})).await,
        (201, r#"{"success":true}"#.to_owned())
    );
    assert_eq!(
        fixture
            .posthog
            .person(PROJECT, "user")
            .unwrap()
            .distinct_ids,
        vec!["anon", "user"]
    );
    fixture
        .client
        .split_person(&id, Some("anon"))
        .await
        .unwrap();
    let kept = fixture.posthog.person(PROJECT, "anon").unwrap();
    assert_eq!(kept.distinct_ids, vec!["anon"]);
    assert_eq!(
        kept.properties["email"], "u@x.com",
        "the original keeps its properties"
    );
    let moved = fixture.posthog.person(PROJECT, "user").unwrap();
    assert!(moved.properties.is_empty());
    assert_ne!(moved.uuid, kept.uuid);
    assert_eq!(fixture.posthog.person_count(PROJECT), 4);
    fixture.posthog.check_invariants(PROJECT).unwrap();
}

#[tokio::test]
async fn bulk_delete_validates_in_order_and_summarises() {
    let fixture = fixture().await;
    let bulk = |body: Value| {
        fixture.raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/bulk_delete/",
            Some(body),
        )
    };
    let many: Vec<String> = (0..1001).map(|i| format!("d{i}")).collect();
    let cases = [
        (
            json!({"ids": ["x"], "distinct_ids": many}),
            "You must provide either distinct_ids or ids, not both",
        ),
        (
            json!({"distinct_ids": many}),
            "You can only pass 1000 distinct_ids in one call",
        ),
        (
            json!({"ids": many}),
            "You can only pass 1000 ids in one call",
        ),
        (
            json!({"ids": [], "distinct_ids": []}),
            "You need to specify either distinct_ids or ids",
        ),
    ];
    for (body, detail) in cases {
        let (status, text) = bulk(body).await;
        assert_eq!(status, 400);
        assert_eq!(
            text,
            format!(
                r#"{{"type":"validation_error","code":"invalid_input","detail":"{detail}","attr":null}}"#
            )
        );
    }
    let (status, text) =
        bulk(json!({"distinct_ids": ["anon", "crm", "lonely", "nobody"], "delete_events": true}))
            .await;
    assert_eq!(status, 202);
    assert_eq!(
        text,
        r#"{"persons_found":2,"persons_deleted":2,"events_queued_for_deletion":true,"recordings_queued_for_deletion":false,"deletion_errors":[]}"#
    );
    assert_eq!(fixture.posthog.person_count(PROJECT), 0);
}

#[tokio::test]
async fn batch_lookups_values_and_cohorts() {
    let fixture = fixture().await;
    let found = fixture
        .client
        .persons_by_distinct_ids(vec!["crm".into(), "nobody".into(), "anon".into()])
        .await
        .unwrap();
    assert_eq!(found.results.len(), 2);
    assert_eq!(found.results["crm"].uuid, found.results["anon"].uuid);
    let uuid = fixture
        .posthog
        .person(PROJECT, "lonely")
        .unwrap()
        .uuid
        .to_string();
    let by_uuid = fixture
        .client
        .generated()
        .persons_batch_by_uuids_create()
        .project_id("1")
        .body(persons_sdk::posthog::types::BatchByUuidsRequest {
            uuids: vec![uuid.clone()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_uuid.results[&uuid].distinct_ids, vec!["lonely"]);
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/batch_by_uuids/",
            Some(json!({"uuids": ["nope"]})),
        )
        .await;
    assert_eq!(
        (status, body.contains("One or more UUIDs are invalid.")),
        (400, true)
    );
    fixture.seed([Event::new("e", "third").set("plan", "pro")]);
    let values = fixture
        .client
        .generated()
        .persons_values_retrieve()
        .project_id("1")
        .key("plan")
        .send()
        .await
        .unwrap()
        .into_inner();
    let counts: Vec<(Value, i64)> = values
        .results
        .iter()
        .map(|value| (value.name.clone(), value.count))
        .collect();
    assert_eq!(counts, vec![(json!("free"), 2), (json!("pro"), 1)]);
    let filtered = fixture
        .client
        .generated()
        .persons_values_retrieve()
        .project_id("1")
        .key("plan")
        .value("PR")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.results.len(), 1);
    let cohort = fixture
        .posthog
        .create_cohort(PROJECT, "Paying", &["user", "third"]);
    let cohorts = fixture
        .client
        .generated()
        .persons_cohorts_retrieve()
        .project_id("1")
        .person_id(fixture.pk("anon"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cohorts.results.len(), 1);
    assert_eq!(
        (
            cohorts.results[0].id,
            cohorts.results[0].name.as_str(),
            cohorts.results[0].count
        ),
        (cohort, "Paying", 2)
    );
}

#[tokio::test]
async fn properties_at_time_replays_set_events_and_answers_its_own_errors() {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("$set", "d")
            .set("plan", "free")
            .at(1_700_000_000),
        Event::new("$set_once", "d")
            .set_once("first", "yes")
            .at(1_700_000_100),
        Event::new("$set", "d").set("plan", "pro").at(1_700_000_200),
    ]);
    let at = fixture
        .client
        .properties_at_time("d", "2023-11-14T22:15:00Z", false)
        .await
        .unwrap();
    assert_eq!(at.properties.get("plan"), Some(&json!("free")));
    assert!(!at.properties.contains_key("first"));
    assert_eq!(
        at.point_in_time_metadata.queried_timestamp,
        "2023-11-14T22:15:00+00:00"
    );
    assert_eq!(at.point_in_time_metadata.query_mode, "distinct_id");
    let with_once = fixture
        .client
        .properties_at_time("d", "2023-11-14T22:20:00", true)
        .await
        .unwrap();
    assert_eq!(with_once.properties.get("plan"), Some(&json!("pro")));
    assert_eq!(with_once.properties.get("first"), Some(&json!("yes")));
    let error = fixture
        .client
        .properties_at_time("nobody", "2023-11-14T22:20:00Z", false)
        .await
        .unwrap_err();
    assert!(
        matches!(error.body(), Some(ApiErrorBody::PostHog(ErrorBody::PointInTime(body))) if body.error == "Person with distinct_id 'nobody' not found"),
        "{error:?}"
    );
    for (query, message) in [
        (
            "distinct_id=d&person_id=x&timestamp=2023-01-01",
            "Cannot provide both distinct_id and person_id - choose one",
        ),
        (
            "timestamp=2023-01-01",
            "Must provide either distinct_id or person_id parameter",
        ),
        (
            "distinct_id=d",
            "timestamp parameter is required (ISO format: 2023-06-15T14:30:00Z)",
        ),
        (
            "distinct_id=d&timestamp=never",
            "Invalid timestamp format. Use ISO format like 2023-06-15T14:30:00Z",
        ),
    ] {
        let (status, body) = fixture
            .raw(
                reqwest::Method::GET,
                &format!("/api/projects/1/persons/properties_at_time/?{query}"),
                None,
            )
            .await;
        assert_eq!((status, body), (400, format!(r#"{{"error":"{message}"}}"#)));
    }
}

#[tokio::test]
async fn properties_timeline_emits_a_point_per_change_of_watched_keys() {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("e", "d").set("plan", "free").at(NOW - 400),
        Event::new("e", "d").set("other", 1).at(NOW - 300),
        Event::new("e", "d").set("plan", "pro").at(NOW - 200),
        Event::new("e", "d").at(NOW - 100),
    ]);
    let id = fixture.pk("d");
    let legacy_key = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).unscoped());
    let legacy = client(&fixture.posthog, &legacy_key, "1");
    let timeline = legacy
        .generated()
        .persons_properties_timeline_retrieve()
        .project_id("1")
        .id(&id)
        .properties(r#"[{"key":"plan","value":"pro"}]"#)
        .send()
        .await
        .unwrap()
        .into_inner();
    let points: Vec<(Option<&Value>, i64)> = timeline
        .points
        .iter()
        .map(|point| (point.properties.get("plan"), point.relevant_event_count))
        .collect();
    assert_eq!(
        points,
        vec![(Some(&json!("free")), 2), (Some(&json!("pro")), 2)]
    );
    assert_eq!(timeline.crucial_property_keys, vec!["plan"]);
    let single = legacy
        .generated()
        .persons_properties_timeline_retrieve()
        .project_id("1")
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(single.points.len(), 1);
    assert_eq!(single.points[0].relevant_event_count, 4);
    let (status, body) = api_error(
        legacy
            .generated()
            .persons_properties_timeline_retrieve()
            .project_id("1")
            .id(&id)
            .actions(r#"[{"id": 7, "type": "actions"}]"#)
            .send()
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (400, "Action ID 7 does not exist!"),
        "the mock has no actions"
    );
}

#[tokio::test]
async fn activity_logs_updates_splits_and_property_deletions() {
    let fixture = fixture().await;
    let id = fixture.pk("user");
    fixture
        .client
        .set_person_property(&id, "a", json!(1))
        .await
        .unwrap();
    fixture
        .client
        .delete_person_property(&id, "a")
        .await
        .unwrap();
    fixture.client.split_person(&id, None).await.unwrap();
    let all = fixture
        .client
        .generated()
        .persons_all_activity_retrieve()
        .project_id("1")
        .limit(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.total_count, 3);
    let names: Vec<&str> = all
        .results
        .iter()
        .map(|entry| entry.activity.as_str())
        .collect();
    assert_eq!(names, vec!["split_person", "delete_property"]);
    assert!(
        all.next
            .as_deref()
            .is_some_and(|next| next.contains("page=2") && next.contains("limit=2"))
    );
    assert_eq!(
        all.results[0].user.email.as_deref(),
        Some("mock@posthog.local")
    );
    assert_eq!(all.results[0].scope, "Person");
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/reset_person_distinct_id/",
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, body.contains("distinct_id is required")),
        (400, true)
    );
    let (status, _) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/reset_person_distinct_id/",
            Some(json!({"distinct_id": "x"})),
        )
        .await;
    assert_eq!(status, 202);
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 405);
    assert!(body.contains("Creating persons via this API is not allowed."));
}
