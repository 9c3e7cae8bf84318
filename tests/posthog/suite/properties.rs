//! `posthog/models/filters/test/test_filter.py` (`property_to_Q_test_factory`'s
//! `TestPropertiesToQ` and `TestDjangoPropertiesToQ`) and `posthog/hogql/test/test_property.py`:
//! PostHog's person property filters, run through the persons list's `properties` parameter.
//! Each test lists the persons' distinct ids that match. `test_property.py` compares generated
//! HogQL; the suite checks what those expressions select.

use serde_json::{Value, json};

use super::{Suite, filter, results};

/// The first distinct id of every listed person matching `filters`, sorted.
async fn matching(suite: &Suite, filters: Value) -> Vec<String> {
    let (status, body) = suite
        .get(&format!("/api/person/?properties={}", filter(filters)))
        .await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = results(&body)
        .iter()
        .map(|person| person["distinct_ids"][0].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Persons `p1`… with `properties` each (`null`: none set).
fn persons(suite: &Suite, properties: &[Value]) {
    for (n, properties) in properties.iter().enumerate() {
        suite.create_person(&[&format!("p{}", n + 1)], properties.clone());
    }
}

fn urls() -> [Value; 5] {
    [
        json!({"url": "https://whatever.com"}),
        json!({"url": 1}),
        json!({"url": {"bla": "bla"}}),
        json!({}),
        json!({"url": "https://example.com"}),
    ]
}

/// `test_simple_persons`, `test_multiple_equality_persons`
#[tokio::test]
async fn test_equality_persons() {
    let suite = Suite::new().await;
    persons(&suite, &urls());
    let exact = |value: Value| json!([{"type": "person", "key": "url", "value": value}]);
    assert_eq!(
        matching(&suite, exact(json!("https://whatever.com"))).await,
        ["p1"]
    );
    assert_eq!(
        matching(
            &suite,
            exact(json!(["https://whatever.com", "https://example.com"]))
        )
        .await,
        ["p1", "p5"]
    );
}

/// `test_incomplete_data`: a filter without a value is dropped, so it filters nothing out.
#[tokio::test]
async fn test_incomplete_data() {
    let suite = Suite::new().await;
    persons(&suite, &urls());
    for kind in ["event", "person"] {
        let dropped = json!([{"key": "$current_url", "operator": "not_icontains", "type": kind}]);
        assert_eq!(matching(&suite, dropped).await.len(), 5, "{kind}");
    }
    let null = json!([{"key": "url", "value": null, "type": "person"}]);
    assert_eq!(matching(&suite, null).await.len(), 5);
}

/// `test_contains_persons`, `test_multiple_persons`
#[tokio::test]
async fn test_contains_persons() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"url": "https://whatever.com", "another_key": "value"}),
            json!({"url": "https://example.com"}),
            json!({"url": "https://whatever.com"}),
        ],
    );
    let contains =
        json!({"type": "person", "key": "url", "value": "whatever", "operator": "icontains"});
    assert_eq!(matching(&suite, json!([contains])).await, ["p1", "p3"]);
    let both = json!([contains, {"type": "person", "key": "another_key", "value": "value"}]);
    assert_eq!(matching(&suite, both).await, ["p1"]);
}

/// `test_regex_persons`, `test_invalid_regex_persons`: a pattern that does not compile
/// matches nothing, `not_regex` included.
#[tokio::test]
async fn test_regex_persons() {
    let suite = Suite::new().await;
    persons(&suite, &[json!({"url": "https://whatever.com"}), json!({})]);
    let test = |operator: &str, value: &str| json!([{"type": "person", "key": "url", "value": value, "operator": operator}]);
    assert_eq!(matching(&suite, test("regex", r"\.com$")).await, ["p1"]);
    assert_eq!(
        matching(&suite, test("not_regex", r"\.eee$")).await,
        ["p1", "p2"]
    );
    assert!(matching(&suite, test("regex", "?*")).await.is_empty());
    assert!(matching(&suite, test("not_regex", "?*")).await.is_empty());
}

/// `test_is_not_persons`, `test_does_not_contain_persons`: negative operators match missing
/// and null properties.
#[tokio::test]
async fn test_negative_operators_persons() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"url": "https://whatever.com"}),
            json!({"url": "https://example.com"}),
            json!({}),
            json!({"url": null}),
        ],
    );
    let is_not = json!([{"type": "person", "key": "url", "value": "https://whatever.com", "operator": "is_not"}]);
    assert_eq!(matching(&suite, is_not).await, ["p2", "p3", "p4"]);
    let not_contains = json!([{"type": "person", "key": "url", "value": "whatever.com", "operator": "not_icontains"}]);
    assert_eq!(matching(&suite, not_contains).await, ["p2", "p3", "p4"]);
}

/// `test_boolean_filters_persons`, `test_is_not_set_and_is_set_persons`,
/// `test_is_not_true_false_persons`
#[tokio::test]
async fn test_boolean_and_set_filters_persons() {
    let suite = Suite::new().await;
    persons(&suite, &[json!({"is_first_user": true}), json!({})]);
    let test = |operator: &str, value: Value| json!([{"type": "person", "key": "is_first_user", "value": value, "operator": operator}]);
    assert_eq!(
        matching(&suite, test("exact", json!(["true"]))).await,
        ["p1"]
    );
    assert_eq!(matching(&suite, test("is_set", json!(""))).await, ["p1"]);
    assert_eq!(
        matching(&suite, test("is_not_set", json!(""))).await,
        ["p2"]
    );
    assert_eq!(
        matching(&suite, test("is_not", json!(["true"]))).await,
        ["p2"]
    );
}

/// `test_is_date_before_persons`, `test_person_relative_date_parsing` (`2d` with the clock
/// at 2021-04-06T10:00:00).
#[tokio::test]
async fn test_date_filters_persons() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"some-timestamp": "2022-03-01", "created_at": "2021-04-04T12:00:00Z"}),
            json!({"some-timestamp": "2022-05-01", "created_at": "2021-04-03T12:00:00Z"}),
        ],
    );
    let before = json!([{"type": "person", "key": "some-timestamp", "value": "2022-04-01", "operator": "is_date_before"}]);
    assert_eq!(matching(&suite, before).await, ["p1"]);
    suite.fixture.mock.clock().set(1_617_703_200);
    let after = json!([{"type": "person", "key": "created_at", "value": "2d", "operator": "is_date_after"}]);
    assert_eq!(matching(&suite, after).await, ["p1"]);
    let relative_before = json!([{"type": "person", "key": "created_at", "value": "-2d", "operator": "is_date_before"}]);
    assert_eq!(matching(&suite, relative_before).await, ["p2"]);
}

/// `test_person_matching_greater_than_filter`, `test_broken_person_filter_never_matching`: a
/// numeric comparison against a list never matches.
#[tokio::test]
async fn test_numeric_filters_persons() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"registration_ts": 5}),
            json!({"registration_ts": 1_716_447_600}),
        ],
    );
    let greater =
        json!([{"key": "registration_ts", "value": "4", "type": "person", "operator": "gt"}]);
    assert_eq!(matching(&suite, greater).await, ["p1", "p2"]);
    let broken = json!([
        {"key": "registration_ts", "type": "person", "value": "1716274800", "operator": "gte"},
        {"key": "registration_ts", "type": "person", "value": ["1716447600"], "operator": "lte"},
    ]);
    assert!(matching(&suite, broken).await.is_empty());
}

/// `test_json_object`: an object property equals its JSON text.
#[tokio::test]
async fn test_json_object() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"name": {"first_name": "Mary", "last_name": "Smith"}}),
            json!({}),
        ],
    );
    let value = json!({"first_name": "Mary", "last_name": "Smith"}).to_string();
    let filters = json!([{"key": "name", "value": value, "type": "person"}]);
    assert_eq!(matching(&suite, filters).await, ["p1"]);
}

/// `test_person_cohort_properties`, `test_person_cohort_properties_with_zero_value`: a static
/// cohort's members match its `cohort` filter.
#[tokio::test]
async fn test_person_cohort_properties() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[json!({"$some_prop": 1}), json!({"$some_prop": 0})],
    );
    let posthog = &suite.fixture.posthog;
    let one = posthog.create_cohort(crate::support::PROJECT, "cohort1", &["p1"]);
    let zero = posthog.create_cohort(crate::support::PROJECT, "cohort2", &["p2"]);
    for (cohort, member) in [(one, "p1"), (zero, "p2")] {
        let filters = json!([{"key": "id", "value": cohort, "type": "cohort"}]);
        assert_eq!(matching(&suite, filters).await, [member]);
    }
}

/// `posthog/hogql/test/test_property.py` › `test_property_to_expr_event` (the operators'
/// missing-value and empty-list cases, `{}` and a filter without value being `1`) and
/// `test_property_to_expr_event_list` (lists: OR for positive operators, AND for negative
/// ones), on person properties.
#[tokio::test]
async fn test_property_to_expr_lists_and_incomplete_filters() {
    let suite = Suite::new().await;
    persons(
        &suite,
        &[
            json!({"a": "b"}),
            json!({"a": "c"}),
            json!({"a": "d"}),
            json!({}),
        ],
    );
    let test = |operator: &str, value: Value| json!([{"type": "person", "key": "a", "value": value, "operator": operator}]);
    let b_or_c = json!(["b", "c"]);
    for (operator, expected) in [
        ("exact", vec!["p1", "p2"]),
        ("icontains", vec!["p1", "p2"]),
        ("regex", vec!["p1", "p2"]),
        ("is_not", vec!["p3", "p4"]),
        ("not_icontains", vec!["p3", "p4"]),
        ("not_regex", vec!["p3", "p4"]),
    ] {
        assert_eq!(
            matching(&suite, test(operator, b_or_c.clone())).await,
            expected,
            "{operator}"
        );
    }
    let everyone = vec!["p1", "p2", "p3", "p4"];
    assert_eq!(
        matching(&suite, test("exact", json!([]))).await,
        everyone,
        "[] is true"
    );
    let no_value = json!([{"type": "person", "key": "a", "operator": "icontains"}]);
    assert_eq!(
        matching(&suite, no_value).await,
        everyone,
        "a missing value is 1"
    );
    assert_eq!(
        matching(&suite, json!([{}])).await,
        everyone,
        "an empty filter is 1"
    );
    assert_eq!(
        matching(&suite, test("regex", json!(".*"))).await,
        ["p1", "p2", "p3"]
    );
    assert_eq!(
        matching(&suite, test("not_regex", json!(".*"))).await,
        ["p4"]
    );
}
