//! `posthog/api/test/test_person_properties_timeline.py` (`TestPersonPropertiesTimeline`).
//! PostHog stamps `person_properties` on each event; the mock replays the person's events, so
//! each stamped change is an event setting it. The action declares no scope, so an unscoped
//! (legacy) key calls it.

use persons_mock::posthog::{Event, PersonalKey};
use serde_json::{Value, json};

use super::Suite;
use crate::support::PROJECT;

/// 2020-01-01T00:00:00Z.
const JAN_1: i64 = 1_577_836_800;
const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

/// PostHog's `_get_person_properties_timeline`: `points` and `crucial_property_keys` of the
/// person owning `1` between 2020-01-01 and 2020-01-05.
async fn timeline(suite: &Suite, events: Value, properties: Value) -> Value {
    let key = suite
        .fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).unscoped());
    let encode = |value: &Value| -> String {
        url::form_urlencoded::byte_serialize(value.to_string().as_bytes()).collect()
    };
    let url = format!(
        "{}/api/person/{}/properties_timeline?events={}&actions=%5B%5D&properties={}&date_from=2020-01-01T00:00:00&date_to=2020-01-05T00:00:00",
        suite.fixture.posthog.base_url(),
        suite.uuid("1"),
        encode(&events),
        encode(&properties),
    );
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    json!({"points": body["points"], "crucial_property_keys": body["crucial_property_keys"]})
}

/// The person `1`, `2`, `3` with `{foo: abc, bar: 123}`, made before the window.
async fn person() -> Suite {
    let suite = Suite::new().await;
    suite.create_person_at(
        &["1", "2", "3"],
        json!({"foo": "abc", "bar": 123}),
        JAN_1 - 30 * DAY,
    );
    suite
}

/// An event `name` by `distinct_id` at `at` stamping `bar`.
fn stamped(name: &str, distinct_id: &str, bar: i64, at: i64) -> Event {
    Event::new(name, distinct_id).set("bar", bar).at(at)
}

fn pageviews() -> Value {
    json!([{"id": "$pageview"}])
}

fn bar_filter() -> Value {
    json!([{"key": "bar", "value": "xyz", "type": "person"}])
}

fn point(bar: i64, count: usize, timestamp: &str) -> Value {
    json!({"timestamp": timestamp, "properties": {"foo": "abc", "bar": bar}, "relevant_event_count": count})
}

/// `test_timeline_for_new_person_with_one_event_in_range`
#[tokio::test]
async fn test_timeline_for_new_person_with_one_event_in_range() {
    let suite = Suite::new().await;
    suite.fixture.seed([Event::new("$pageview", "1")
        .set("foo", "abc")
        .set("bar", 123)
        .at(JAN_1)]);
    assert_eq!(
        timeline(&suite, pageviews(), bar_filter()).await,
        json!({"points": [point(123, 1, "2020-01-01T00:00:00Z")], "crucial_property_keys": ["bar"]})
    );
}

/// `test_timeline_for_new_person_with_one_event_before_range`
#[tokio::test]
async fn test_timeline_for_new_person_with_one_event_before_range() {
    let suite = Suite::new().await;
    suite.fixture.seed([Event::new("$pageview", "1")
        .set("foo", "abc")
        .set("bar", 123)
        .at(JAN_1 - 5 * DAY)]);
    assert_eq!(
        timeline(&suite, pageviews(), bar_filter()).await,
        json!({"points": [], "crucial_property_keys": ["bar"]})
    );
}

/// `test_timeline_for_existing_person_with_three_events_and_return_to_previous_value`
#[tokio::test]
async fn test_timeline_for_existing_person_with_three_events_and_return_to_previous_value() {
    let suite = person().await;
    suite.fixture.seed([
        stamped("$pageview", "1", 456, JAN_1 + DAY),
        stamped("$pageview", "2", 123, JAN_1 + 2 * DAY),
        stamped("$pageview", "3", 456, JAN_1 + 3 * DAY),
    ]);
    assert_eq!(
        timeline(&suite, pageviews(), bar_filter()).await,
        json!({
            "points": [
                point(456, 1, "2020-01-02T00:00:00Z"),
                point(123, 1, "2020-01-03T00:00:00Z"),
                point(456, 1, "2020-01-04T00:00:00Z"),
            ],
            "crucial_property_keys": ["bar"],
        })
    );
}

/// The six events of the last three tests: the `whatever` one (not a `$pageview`) changes
/// `bar` at `whatever_at`.
fn six_events(suite: &Suite, whatever_at: i64) {
    suite.fixture.seed([
        stamped("$pageview", "1", 456, JAN_1),
        stamped("whatever", "1", 123, whatever_at),
        stamped("$pageview", "2", 123, JAN_1 + DAY + HOUR),
        stamped("$pageview", "1", 123, JAN_1 + 2 * DAY + HOUR),
        stamped("$pageview", "1", 123, JAN_1 + 3 * DAY + 19 * HOUR),
        stamped("$pageview", "1", 789, JAN_1 + 3 * DAY + 19 * HOUR + 1),
    ]);
}

/// `test_timeline_for_existing_person_with_six_events_but_only_two_relevant_changes`: the
/// `whatever` event is not counted.
#[tokio::test]
async fn test_timeline_for_existing_person_with_six_events_but_only_two_relevant_changes() {
    let suite = person().await;
    six_events(&suite, JAN_1 + DAY);
    assert_eq!(
        timeline(&suite, pageviews(), bar_filter()).await,
        json!({
            "points": [
                point(456, 1, "2020-01-01T00:00:00Z"),
                point(123, 3, "2020-01-02T01:00:00Z"),
                point(789, 1, "2020-01-04T19:00:01Z"),
            ],
            "crucial_property_keys": ["bar"],
        })
    );
}

/// `test_timeline_for_existing_person_with_six_events_but_only_two_relevant_changes_without_filters`:
/// without crucial keys, one point counts every `$pageview`.
#[tokio::test]
async fn test_timeline_without_filters() {
    let suite = person().await;
    six_events(&suite, JAN_1 + HOUR);
    assert_eq!(
        timeline(&suite, pageviews(), json!([])).await,
        json!({"points": [point(456, 5, "2020-01-01T00:00:00Z")], "crucial_property_keys": []})
    );
}

/// `test_timeline_for_existing_person_with_six_events_but_only_two_relevant_changes_without_events`:
/// without `events`, every event counts, the `whatever` one too.
#[tokio::test]
async fn test_timeline_without_events() {
    let suite = person().await;
    six_events(&suite, JAN_1 + HOUR);
    assert_eq!(
        timeline(&suite, json!([]), bar_filter()).await,
        json!({
            "points": [
                point(456, 1, "2020-01-01T00:00:00Z"),
                point(123, 4, "2020-01-01T01:00:00Z"),
                point(789, 1, "2020-01-04T19:00:01Z"),
            ],
            "crucial_property_keys": ["bar"],
        })
    );
}
