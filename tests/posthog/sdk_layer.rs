//! The SDK's typed wrappers beyond list/retrieve/update: bulk delete, values, cohorts, batch by
//! UUIDs, activity, properties timeline, reset_person_distinct_id and deletion_status.

use chrono::{TimeZone, Utc};
use persons_mock::posthog::{Event, PersonalKey};
use persons_sdk::posthog::{
    ActivityPage, BulkDelete, BulkDeleteTarget, DeletionQuery, DeletionState, PropertyFilters,
    TimelineQuery,
};
use serde_json::json;

use crate::support::{Fixture, NOW, PROJECT, api_error, client};

async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("e", "a").set("plan", "pro").at(NOW - 300),
        Event::new("e", "b").set("plan", "pro").at(NOW - 200),
        Event::new("e", "c").set("plan", "free").at(NOW - 100),
        Event::new("$set", "a").set("plan", "team").at(NOW - 50),
    ]);
    fixture
}

fn uuid(fixture: &Fixture, distinct_id: &str) -> uuid::Uuid {
    fixture
        .posthog
        .person(PROJECT, distinct_id)
        .expect("a person")
        .uuid
}

#[tokio::test]
async fn values_cohorts_and_persons_by_uuid() {
    let fixture = fixture().await;
    let values = fixture.client.property_values("plan", None).await.unwrap();
    let pairs: Vec<_> = values.iter().map(|v| (v.name.clone(), v.count)).collect();
    assert_eq!(
        pairs,
        [(json!("free"), 1), (json!("pro"), 1), (json!("team"), 1)]
    );
    let values = fixture
        .client
        .property_values("plan", Some("PR"))
        .await
        .unwrap();
    assert_eq!(values.len(), 1);
    fixture
        .posthog
        .create_cohort(PROJECT, "paying", &["a", "b"]);
    let cohorts = fixture
        .client
        .person_cohorts(&uuid(&fixture, "a").to_string())
        .await
        .unwrap();
    assert_eq!(
        cohorts
            .iter()
            .map(|c| (c.name.as_str(), c.count))
            .collect::<Vec<_>>(),
        [("paying", 2)]
    );
    assert!(
        fixture
            .client
            .person_cohorts(&uuid(&fixture, "c").to_string())
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _) = api_error(fixture.client.person_cohorts("nobody").await);
    assert_eq!(status, 404);
    let found = fixture
        .client
        .persons_by_uuids(&[uuid(&fixture, "a"), uuid::Uuid::nil()])
        .await
        .unwrap();
    assert_eq!(found.results.len(), 1);
    assert_eq!(
        found.results[&uuid(&fixture, "a").to_string()].distinct_ids,
        ["a"]
    );
}

#[tokio::test]
async fn activity_pages_and_timeline() {
    let fixture = fixture().await;
    let a = uuid(&fixture, "a").to_string();
    fixture
        .client
        .set_person_property(&a, "x", json!(1))
        .await
        .unwrap();
    fixture
        .client
        .delete_person_property(&a, "x")
        .await
        .unwrap();
    let all = fixture
        .client
        .person_activity(
            None,
            ActivityPage {
                page: Some(1),
                limit: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!((all.total_count, all.results.len()), (2, 1));
    assert_eq!(all.results[0].activity, "delete_property");
    assert!(all.next.is_some() && all.previous.is_none());
    let own = fixture
        .client
        .person_activity(Some(&a), ActivityPage::default())
        .await
        .unwrap();
    assert_eq!(own.total_count, 2);
    let b = uuid(&fixture, "b").to_string();
    let none = fixture
        .client
        .person_activity(Some(&b), ActivityPage::default())
        .await
        .unwrap();
    assert_eq!(none.total_count, 0);

    let (status, body) = api_error(
        fixture
            .client
            .properties_timeline(&a, &TimelineQuery::default())
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (403, "This action does not support Personal API Key access")
    );
    let legacy = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).unscoped());
    let legacy = client(&fixture.posthog, &legacy, "1");
    let timeline = legacy
        .properties_timeline(
            &a,
            &TimelineQuery {
                watched: Some(PropertyFilters::new().is_set("plan")),
                from: Some(Utc.timestamp_opt(NOW - 1000, 0).unwrap()),
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(timeline.crucial_property_keys, ["plan"]);
    let plans: Vec<_> = timeline
        .points
        .iter()
        .map(|p| p.properties["plan"].clone())
        .collect();
    assert_eq!(plans.first(), Some(&json!("pro")));
    assert_eq!(plans.get(1), Some(&json!("team")));
    let only_set = legacy
        .properties_timeline(
            &a,
            &TimelineQuery {
                events: vec!["$set".into()],
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap();
    let all = legacy
        .properties_timeline(&a, &TimelineQuery::default())
        .await
        .unwrap();
    assert_eq!((only_set.points.len(), all.points.len()), (1, 1));
    assert_eq!(
        (
            all.points[0].relevant_event_count,
            only_set.points[0].relevant_event_count
        ),
        (4, 2),
        "`e` and `$delete_person_property` do not count"
    );
    assert_eq!(only_set.points[0].properties["plan"], json!("team"));
}

#[tokio::test]
async fn bulk_delete_reset_and_deletion_status() {
    let fixture = fixture().await;
    let summary = fixture
        .client
        .bulk_delete_persons(BulkDelete {
            delete_events: true,
            ..BulkDelete::new(BulkDeleteTarget::DistinctIds(vec![
                "a".into(),
                "nobody".into(),
            ]))
        })
        .await
        .unwrap();
    assert_eq!((summary.persons_found, summary.persons_deleted), (1, 1));
    assert!(summary.events_queued_for_deletion && !summary.recordings_queued_for_deletion);
    let b = uuid(&fixture, "b");
    let kept = fixture
        .client
        .bulk_delete_persons(BulkDelete {
            keep_person: true,
            ..BulkDelete::new(BulkDeleteTarget::Uuids(vec![b]))
        })
        .await
        .unwrap();
    assert_eq!((kept.persons_found, kept.persons_deleted), (1, 0));
    let (status, body) = api_error(
        fixture
            .client
            .bulk_delete_persons(BulkDelete::new(BulkDeleteTarget::Uuids(Vec::new())))
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (400, "You need to specify either distinct_ids or ids")
    );
    fixture.client.reset_person_distinct_id("a").await.unwrap();
    let deletions = fixture
        .client
        .deletion_status(&DeletionQuery::default())
        .await
        .unwrap();
    assert_eq!(deletions.count, 1);
    let mine = fixture
        .client
        .deletion_status(&DeletionQuery {
            person_uuid: Some(b),
            ..DeletionQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.count, 0, "b was kept");
    let pending = fixture
        .client
        .deletion_status(&DeletionQuery {
            state: DeletionState::Pending,
            ..DeletionQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.count, 1, "pending until PostHog's weekly batch");
    fixture.posthog.verify_event_deletions(PROJECT);
    let completed = fixture
        .client
        .deletion_status(&DeletionQuery {
            state: DeletionState::Completed,
            ..DeletionQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(completed.count, 1);
    assert!(completed.results[0].delete_verified_at.is_some());
}
