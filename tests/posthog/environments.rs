//! Every persons operation through the generated client under the deprecated
//! `/api/environments/{environment_id}/persons/` prefix, which PostHog serves with the same
//! viewset: each call's effect is checked, and its errors keep PostHog's bodies. Also the
//! per-person `delete_events`/`delete_recordings` under the projects prefix.

use persons_mock::posthog::Event;
use persons_sdk::posthog::types;
use serde_json::{Map, Value, json};

use crate::support::{Fixture, NOW, PROJECT, api_error, parts};

const ENV: &str = "1";

async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("$pageview", "anon")
            .set("plan", "free")
            .at(NOW - 300),
        Event::identify("user", "anon")
            .set("email", "u@example.com")
            .at(NOW - 200),
        Event::new("$set", "user").set("plan", "pro").at(NOW - 100),
        Event::new("e", "other").set("plan", "pro").at(NOW - 50),
    ]);
    fixture
}

fn properties(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect()
}

#[tokio::test]
async fn reads_under_the_environments_prefix() {
    let fixture = fixture().await;
    let api = fixture.client.generated();
    let user = fixture.pk("user");
    let uuid = fixture.posthog.person(PROJECT, "user").unwrap().uuid;

    let page = api
        .environments_persons_list()
        .environment_id(ENV)
        .search("example")
        .include_total(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.results.len(), page.count), (1, Some(1)));
    assert_eq!(page.results[0].name, "u@example.com");

    let person = api
        .environments_persons_retrieve()
        .environment_id(ENV)
        .id(uuid.to_string())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        person.distinct_ids,
        vec!["anon", "user"],
        "neither id looks anonymous: storage order"
    );

    let values = api
        .environments_persons_values_retrieve()
        .environment_id(ENV)
        .key("plan")
        .send()
        .await
        .unwrap()
        .into_inner();
    let counted: Vec<(String, i64)> = values
        .results
        .iter()
        .map(|value| (value.name.to_string(), value.count))
        .collect();
    assert_eq!(counted, vec![("\"pro\"".to_owned(), 2)]);

    let cohort = fixture.posthog.create_cohort(PROJECT, "paying", &["user"]);
    let cohorts = api
        .environments_persons_cohorts_retrieve()
        .environment_id(ENV)
        .person_id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cohorts.results.len(), 1);
    assert_eq!(cohorts.results[0].id, cohort);

    let by_ids = api
        .environments_persons_batch_by_distinct_ids_create()
        .environment_id(ENV)
        .body(types::BatchByDistinctIdsRequest {
            distinct_ids: vec!["anon".into(), "nobody".into()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        by_ids.results.keys().collect::<Vec<_>>(),
        vec!["anon"],
        "unknown ids are left out"
    );
    let by_uuids = api
        .environments_persons_batch_by_uuids_create()
        .environment_id(ENV)
        .body(types::BatchByUuidsRequest {
            uuids: vec![uuid.to_string()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_uuids.results[&uuid.to_string()].id.to_string(), user);
    let (status, body) = api_error(
        api.environments_persons_batch_by_uuids_create()
            .environment_id(ENV)
            .body(types::BatchByUuidsRequest {
                uuids: vec!["not-a-uuid".into()],
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, parts(&body)),
        (
            400,
            (
                "validation_error",
                "invalid_input",
                "One or more UUIDs are invalid.",
                None
            )
        )
    );

    let now = api
        .environments_persons_properties_at_time_retrieve()
        .environment_id(ENV)
        .distinct_id("anon")
        .timestamp(persons_mock_time(NOW))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.properties.get("plan"), Some(&json!("pro")));
    assert_eq!(now.properties.get("email"), Some(&json!("u@example.com")));
    let before_pro = api
        .environments_persons_properties_at_time_retrieve()
        .environment_id(ENV)
        .person_id(uuid.to_string())
        .timestamp(persons_mock_time(NOW - 150))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before_pro.properties.get("plan"), Some(&json!("free")));
    assert_eq!(
        before_pro.point_in_time_metadata.query_mode,
        "person_id".to_owned()
    );

    let timeline = api
        .environments_persons_properties_timeline_retrieve()
        .environment_id(ENV)
        .id(&user)
        .properties(r#"[{"key":"plan","type":"person"}]"#)
        .send()
        .await;
    let (status, body) = api_error(timeline);
    assert_eq!(
        (status, body.detail.as_str()),
        (403, "This action does not support Personal API Key access"),
        "the fixture's key is scoped (`*`), which this action refuses"
    );

    let activity = api
        .environments_persons_all_activity_retrieve()
        .environment_id(ENV)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(activity.total_count, 0, "captured events log no activity");
    let deletions = api
        .environments_persons_deletion_status_retrieve()
        .environment_id(ENV)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deletions.count, 0);
}

/// `micros`-free RFC 3339 of `seconds`, as the mock's clock renders it.
fn persons_mock_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn writes_under_the_environments_prefix() {
    let fixture = fixture().await;
    let api = fixture.client.generated();
    let user = fixture.pk("user");

    api.environments_persons_update()
        .environment_id(ENV)
        .id(&user)
        .body(types::PersonPropertiesUpdate {
            properties: properties(&[("tier", json!(1))]),
        })
        .send()
        .await
        .unwrap();
    api.environments_persons_partial_update()
        .environment_id(ENV)
        .id(&user)
        .body(types::PersonPropertiesUpdate {
            properties: properties(&[("tier", json!(2)), ("seats", json!(5))]),
        })
        .send()
        .await
        .unwrap();
    api.environments_persons_update_property_create()
        .environment_id(ENV)
        .id(&user)
        .body(types::UpdatePropertyRequest {
            key: "beta".into(),
            value: Value::Null,
        })
        .send()
        .await
        .unwrap();
    let success = api
        .environments_persons_delete_property_create()
        .environment_id(ENV)
        .id(&user)
        .body(types::DeletePropertyRequest {
            unset: "seats".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(success.status().as_u16(), 201);
    assert!(success.into_inner().success);
    let person = fixture.posthog.person(PROJECT, "user").unwrap();
    assert_eq!(person.properties["tier"], 2);
    assert_eq!(person.properties["beta"], Value::Null);
    assert!(!person.properties.contains_key("seats"));

    let history = api
        .environments_persons_activity_retrieve()
        .environment_id(ENV)
        .id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    let activities: Vec<&str> = history
        .results
        .iter()
        .map(|entry| entry.activity.as_str())
        .collect();
    assert_eq!(
        activities,
        vec!["delete_property", "updated", "updated", "updated"]
    );

    for action in ["delete_events", "delete_recordings"] {
        let status = match action {
            "delete_events" => api
                .environments_persons_delete_events_create()
                .environment_id(ENV)
                .id(&user)
                .send()
                .await
                .unwrap()
                .status(),
            _ => api
                .environments_persons_delete_recordings_create()
                .environment_id(ENV)
                .id(&user)
                .send()
                .await
                .unwrap()
                .status(),
        };
        assert_eq!(status.as_u16(), 202, "{action}");
    }
    assert!(
        fixture.posthog.person(PROJECT, "user").is_some(),
        "the person is kept"
    );

    let split = api
        .environments_persons_split_create()
        .environment_id(ENV)
        .id(&user)
        .body(types::SplitRequest {
            main_distinct_id: None,
            distinct_ids_to_split: vec!["user".into()],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(split.status().as_u16(), 201);
    let (kept, moved) = (
        fixture.posthog.person(PROJECT, "anon").unwrap(),
        fixture.posthog.person(PROJECT, "user").unwrap(),
    );
    assert_ne!(kept.uuid, moved.uuid);
    assert_eq!(
        kept.properties["tier"], 2,
        "the original keeps its properties"
    );
    assert!(
        moved.properties.is_empty(),
        "the split-off person starts empty"
    );

    let other = fixture.pk("other");
    let deleted = api
        .environments_persons_destroy()
        .environment_id(ENV)
        .id(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 202);
    assert!(fixture.posthog.person(PROJECT, "other").is_none());

    let summary = api
        .environments_persons_bulk_delete_create()
        .environment_id(ENV)
        .body(types::BulkDeleteRequest {
            distinct_ids: vec!["anon".into(), "nobody".into()],
            ids: Vec::new(),
            delete_events: Some(true),
            delete_recordings: None,
            keep_person: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status().as_u16(), 202);
    let summary = summary.into_inner();
    assert_eq!(
        (
            summary.persons_found,
            summary.persons_deleted,
            summary.events_queued_for_deletion
        ),
        (1, 1, true)
    );

    let reset = api
        .environments_persons_reset_person_distinct_id_create()
        .environment_id(ENV)
        .body(types::ResetDistinctIdRequest {
            distinct_id: "anon".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 202);

    let deletions = api
        .environments_persons_deletion_status_retrieve()
        .environment_id(ENV)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        deletions.count, 1,
        "only bulk_delete's delete_events queued an event deletion"
    );
    assert_eq!(deletions.results[0].status, "pending");

    let (status, body) = api_error(
        api.environments_persons_destroy()
            .environment_id(ENV)
            .id(&other)
            .send()
            .await,
    );
    assert_eq!(
        (status, parts(&body)),
        (404, ("invalid_request", "not_found", "Not found.", None))
    );
}

#[tokio::test]
async fn delete_events_and_recordings_need_a_person_under_both_prefixes() {
    let fixture = fixture().await;
    let api = fixture.client.generated();
    let user = fixture.pk("user");
    let accepted = api
        .persons_delete_events_create()
        .project_id("1")
        .id(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 202);
    let accepted = api
        .persons_delete_recordings_create()
        .project_id("1")
        .id(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 202);
    let (status, body) = api_error(
        api.persons_delete_events_create()
            .project_id("1")
            .id("999999")
            .send()
            .await,
    );
    assert_eq!(
        (status, parts(&body)),
        (404, ("invalid_request", "not_found", "Not found.", None))
    );
    let (status, body) = api_error(
        api.environments_persons_delete_recordings_create()
            .environment_id(ENV)
            .id("not-an-id")
            .send()
            .await,
    );
    assert_eq!(status, 400);
    assert_eq!(
        body.detail,
        "The ID provided does not look like a personID. If you are using a distinctId, please use /persons?distinct_id=not-an-id instead."
    );
}
