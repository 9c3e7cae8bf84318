//! `posthog/models/person/test/test_point_in_time_properties.py`: PostHog mocks ClickHouse's
//! answer (the person's events up to the time); here the events are captured and
//! `properties_at_time` reads them. The validation and ClickHouse-error tests exercise
//! Python arguments and failures a client cannot cause.

use serde_json::{Value, json};

use super::Suite;

/// 2023-01-01T00:00:00Z.
const JAN_1_2023: i64 = 1_672_531_200;
const HOUR: i64 = 3_600;

/// `properties_at_time` of the person owning `user123` at 2023-01-01T12:00:00Z.
async fn at_noon(suite: &Suite, include_set_once: bool) -> Value {
    let (status, body) = suite
        .get(&format!(
            "/api/person/properties_at_time/?distinct_id=user123&timestamp=2023-01-01T12:00:00Z&include_set_once={include_set_once}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["properties"].clone()
}

/// Events `(name, properties)` by `user123`, an hour apart from 09:00.
fn events(suite: &Suite, events: &[(&str, Value)]) {
    suite
        .fixture
        .seed(events.iter().enumerate().map(|(n, (name, properties))| {
            let mut event = persons_mock::posthog::Event::new(name, "user123")
                .at(JAN_1_2023 + (9 + n as i64) * HOUR);
            for (key, value) in properties.as_object().unwrap() {
                event = event.property(key, value.clone());
            }
            event
        }));
}

/// `test_build_person_properties_at_time_single_set`, `…_multiple_sets`: every `$set`, of
/// any event, last writer wins.
#[tokio::test]
async fn test_build_person_properties_at_time_multiple_sets() {
    let suite = Suite::new().await;
    events(
        &suite,
        &[
            ("$set", json!({"$set": {"name": "John", "age": 25}})),
            (
                "$pageview",
                json!({"$set": {"name": "John Doe", "location": "SF"}}),
            ),
            ("$set", json!({"$set": {"age": 26}})),
            ("$pageview", json!({"no_set_key": "value"})),
        ],
    );
    assert_eq!(
        at_noon(&suite, false).await,
        json!({"name": "John Doe", "age": 26, "location": "SF"})
    );
}

/// `test_build_person_properties_with_set_once_basic`, `…_order_matters`,
/// `…_multiple_set_once`
#[tokio::test]
async fn test_build_person_properties_with_set_once() {
    let suite = Suite::new().await;
    events(
        &suite,
        &[
            (
                "$set_once",
                json!({"$set_once": {"name": "First", "email": "first@example.com"}}),
            ),
            (
                "$set_once",
                json!({"$set_once": {"name": "Second", "location": "SF"}}),
            ),
            ("$set", json!({"$set": {"age": 30}})),
        ],
    );
    assert_eq!(
        at_noon(&suite, true).await,
        json!({"name": "First", "email": "first@example.com", "location": "SF", "age": 30})
    );
    assert_eq!(
        at_noon(&suite, false).await,
        json!({"age": 30}),
        "without include_set_once"
    );
    let suite = Suite::new().await;
    events(
        &suite,
        &[
            (
                "$set_once",
                json!({"$set_once": {"name": "Jane", "email": "jane@example.com"}}),
            ),
            ("$set", json!({"$set": {"name": "John"}})),
        ],
    );
    assert_eq!(
        at_noon(&suite, true).await,
        json!({"name": "John", "email": "jane@example.com"}),
        "a later $set overwrites"
    );
}

/// `TestGetPersonAndDistinctIdsForIdentifierIntegration` › `test_lookup_by_distinct_id`,
/// `test_lookup_by_person_id`, `test_person_not_found`, `test_cross_team_isolation`, and the
/// validation of `both` / `neither` identifiers.
#[tokio::test]
async fn test_get_person_and_distinct_ids_for_identifier() {
    let suite = Suite::new().await;
    suite.create_person(&["d1", "d2"], json!({"email": "test@example.com"}));
    suite
        .fixture
        .posthog
        .capture(2, persons_mock::posthog::Event::new("$set", "elsewhere"))
        .unwrap();
    let uuid = suite.uuid("d1");
    let path = "/api/person/properties_at_time/?timestamp=2030-01-01T00:00:00Z";
    for query in ["distinct_id=d1".to_owned(), format!("person_id={uuid}")] {
        let (status, body) = suite.get(&format!("{path}&{query}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["uuid"], json!(uuid));
        assert_eq!(
            body["point_in_time_metadata"]["distinct_ids_queried"],
            json!(["d1", "d2"])
        );
    }
    for (query, status, error) in [
        (
            "distinct_id=unknown",
            404,
            "Person with distinct_id 'unknown' not found",
        ),
        (
            "distinct_id=elsewhere",
            404,
            "Person with distinct_id 'elsewhere' not found",
        ),
        (
            "distinct_id=d1&person_id=x",
            400,
            "Cannot provide both distinct_id and person_id - choose one",
        ),
        (
            "",
            400,
            "Must provide either distinct_id or person_id parameter",
        ),
    ] {
        let (got, body) = suite.get(&format!("{path}&{query}")).await;
        assert_eq!((got, &body["error"]), (status, &json!(error)), "{query}");
    }
}
