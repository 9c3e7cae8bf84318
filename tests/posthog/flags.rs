//! Feature flags through the Rust SDK: defined with the generated REST operations, evaluated
//! with the capture client's `flags` (`POST /flags/?v=2`) against persons built by capture;
//! experience continuity's hash-key overrides through identify, merges and deletions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use persons_mock::posthog::Event as MockEvent;
use persons_sdk::posthog::{Event, FlagsQuery, types};
use serde_json::{Map, Value, json};

use crate::support::{Fixture, PROJECT, api_error};

fn filters(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[tokio::test]
async fn flags_defined_through_the_api_evaluate_for_captured_persons() {
    let fixture = Fixture::new().await;
    let api = fixture.client.generated();
    let body = types::FeatureFlagWrite {
        key: Some("pricing".to_owned()),
        name: Some("Pricing test".to_owned()),
        filters: filters(json!({
            "groups": [{"properties": [{"key": "plan", "type": "person", "value": ["pro", "team"]}]}],
            "multivariate": {"variants": [
                {"key": "control", "rollout_percentage": 50},
                {"key": "annual", "rollout_percentage": 50}]},
            "payloads": {"annual": {"discount": 20}, "control": {"discount": 0}}
        })),
        ..types::FeatureFlagWrite::default()
    };
    let created = api
        .feature_flags_create()
        .project_id("1")
        .body(body)
        .send()
        .await
        .expect("created")
        .into_inner();
    assert_eq!((created.key.as_str(), created.version), ("pricing", 1));
    fixture
        .capture
        .send(Event::identify("user-7", "anon-7").set("plan", "PRO"))
        .await
        .expect("captured");
    let values = fixture
        .capture
        .flags(&FlagsQuery::new("user-7"))
        .await
        .expect("evaluated");
    assert!(values.is_enabled("pricing"), "{values:?}");
    // PostHog's variant hash of "pricing.user-7variant" is 0.2563: the first half, control.
    assert_eq!(values.variant("pricing"), Some("control"));
    assert_eq!(values.payload("pricing"), Some(json!({"discount": 0})));
    let anonymous = fixture
        .capture
        .flags(&FlagsQuery::new("anon-7"))
        .await
        .expect("evaluated");
    assert!(
        anonymous.is_enabled("pricing"),
        "the merged anonymous id gains the person's plan: {anonymous:?}"
    );
    let overridden = fixture
        .capture
        .flags(&FlagsQuery::new("user-7").person_property("plan", "free"))
        .await
        .expect("evaluated");
    assert_eq!(overridden.all_flags()["pricing"], json!(false));
    api.feature_flags_partial_update()
        .project_id("1")
        .id(created.id)
        .body(types::FeatureFlagWrite {
            active: Some(false),
            ..types::FeatureFlagWrite::default()
        })
        .send()
        .await
        .expect("updated");
    let values = fixture
        .capture
        .flags(&FlagsQuery::new("user-7"))
        .await
        .expect("evaluated");
    assert!(values.flags.is_empty(), "inactive flags are omitted");
    let (status, body) = api_error(
        api.feature_flags_create()
            .project_id("1")
            .body(types::FeatureFlagWrite {
                key: Some("pricing".to_owned()),
                ..types::FeatureFlagWrite::default()
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, body.code.as_str(), body.attr.as_deref()),
        (400, "unique", Some("key"))
    );
}

/// Django's `test_feature_flags_v2_consistent_flags` flags, defined through the REST API:
/// `beta-feature` (30 %) and `multivariate-flag` (50/25/25) with experience continuity, and
/// `default-flag` for everyone.
pub(crate) async fn continuity_flags(fixture: &Fixture) {
    let variants = json!([
        {"key": "first-variant", "rollout_percentage": 50},
        {"key": "second-variant", "rollout_percentage": 25},
        {"key": "third-variant", "rollout_percentage": 25}]);
    let flags = [
        (
            "beta-feature",
            json!({"groups": [{"rollout_percentage": 30}]}),
            true,
        ),
        (
            "default-flag",
            json!({"groups": [{"properties": []}]}),
            false,
        ),
        (
            "multivariate-flag",
            json!({"groups": [{"properties": []}], "multivariate": {"variants": variants}}),
            true,
        ),
    ];
    for (key, flag_filters, continuity) in flags {
        let body = types::FeatureFlagWrite {
            key: Some(key.to_owned()),
            filters: filters(flag_filters),
            ensure_experience_continuity: Some(continuity),
            ..types::FeatureFlagWrite::default()
        };
        let created = fixture
            .client
            .generated()
            .feature_flags_create()
            .project_id("1")
            .body(body)
            .send()
            .await
            .expect("created");
        assert_eq!(created.ensure_experience_continuity, Some(continuity));
    }
}

/// `(beta-feature on, multivariate-flag's variant)` for `query`.
async fn continuity_values(fixture: &Fixture, query: FlagsQuery) -> (bool, String) {
    let values = fixture.capture.flags(&query).await.expect("evaluated");
    let variant = values.variant("multivariate-flag").unwrap_or_default();
    (values.is_enabled("beta-feature"), variant.to_owned())
}

/// Django's `test_feature_flags_v2_consistent_flags` as an app lives it: the anonymous user
/// (`example_id`: beta on, first variant) identifies as `other_id` (on its own: beta off,
/// third variant) and keeps the anonymous values, on that request and every later one.
#[tokio::test]
async fn an_anonymous_user_keeps_their_variant_after_identify() {
    let fixture = Fixture::new().await;
    continuity_flags(&fixture).await;
    let anonymous = (true, "first-variant".to_owned());
    let own = (false, "third-variant".to_owned());
    fixture
        .capture
        .send(Event::new("$pageview", "example_id"))
        .await
        .expect("captured");
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("example_id")).await,
        anonymous
    );
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("other_id")).await,
        own,
        "other_id hashes to the other side on its own"
    );
    fixture
        .capture
        .send(Event::identify("other_id", "example_id"))
        .await
        .expect("captured");
    let identified = FlagsQuery::new("other_id").anon_distinct_id("example_id");
    assert_eq!(continuity_values(&fixture, identified).await, anonymous);
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("other_id")).await,
        anonymous,
        "the stored override holds without $anon_distinct_id"
    );
    let stored = fixture.posthog.hash_key_overrides(PROJECT, "other_id");
    assert_eq!(
        stored.into_iter().collect::<Vec<_>>(),
        [
            ("beta-feature".to_owned(), "example_id".to_owned()),
            ("multivariate-flag".to_owned(), "example_id".to_owned())
        ]
    );
}

/// posthog-js after `identify`: `POST /flags/?v=2&config=true` with its base64 `data=` form
/// and the anonymous id as the top-level `$anon_distinct_id`.
#[tokio::test]
async fn posthog_js_shaped_requests_write_the_override() {
    let fixture = Fixture::new().await;
    continuity_flags(&fixture).await;
    fixture.seed([MockEvent::identify("user-js-2", "anon-js-1")]);
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("user-js-2")).await,
        (false, "third-variant".to_owned())
    );
    let body = json!({"token": fixture.token, "distinct_id": "user-js-2",
                      "$anon_distinct_id": "anon-js-1", "groups": {},
                      "person_properties": {}, "$device_id": "anon-js-1"});
    let encoded = STANDARD.encode(body.to_string());
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("data", encoded.as_str())])
        .finish();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/flags/?v=2&config=true&compression=base64",
            fixture.posthog.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(
        answer["flags"]["multivariate-flag"]["variant"],
        "first-variant"
    );
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("user-js-2")).await,
        (true, "first-variant".to_owned())
    );
}

/// Django's `test_feature_flags_v2_consistent_flags_with_merged_persons`: both persons get the
/// override, and a merge keeps it.
#[tokio::test]
async fn overrides_survive_a_merge_of_persons() {
    let fixture = Fixture::new().await;
    continuity_flags(&fixture).await;
    fixture.seed([
        MockEvent::new("$pageview", "anon-merge"),
        MockEvent::new("$pageview", "user-merge"),
    ]);
    let anonymous = (true, "first-variant".to_owned());
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("user-merge")).await,
        (false, "second-variant".to_owned())
    );
    let identified = FlagsQuery::new("user-merge").anon_distinct_id("anon-merge");
    assert_eq!(continuity_values(&fixture, identified).await, anonymous);
    fixture
        .capture
        .send(Event::merge_dangerously("anon-merge", "user-merge"))
        .await
        .expect("captured");
    assert_eq!(
        fixture
            .posthog
            .person(PROJECT, "user-merge")
            .expect("merged")
            .distinct_ids,
        ["anon-merge", "user-merge"]
    );
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("user-merge")).await,
        anonymous
    );
}

/// Overrides go with their person: once it is deleted, the distinct id hashes itself again.
#[tokio::test]
async fn overrides_go_with_a_deleted_person() {
    let fixture = Fixture::new().await;
    continuity_flags(&fixture).await;
    fixture.seed([MockEvent::identify("user-del", "anon-del")]);
    let identified = FlagsQuery::new("user-del").anon_distinct_id("anon-del");
    assert_eq!(
        continuity_values(&fixture, identified).await,
        (false, "second-variant".to_owned())
    );
    assert_eq!(
        fixture
            .posthog
            .hash_key_overrides(PROJECT, "user-del")
            .len(),
        2
    );
    fixture
        .client
        .delete_person(&fixture.pk("user-del"), false)
        .await
        .expect("deleted");
    fixture.seed([MockEvent::new("$pageview", "user-del")]);
    assert!(
        fixture
            .posthog
            .hash_key_overrides(PROJECT, "user-del")
            .is_empty()
    );
    assert_eq!(
        continuity_values(&fixture, FlagsQuery::new("user-del")).await,
        (true, "third-variant".to_owned())
    );
}

/// A flag on a static cohort, evaluated as PostHog's flags service does: `in` is membership
/// of the distinct id's person (a merged anonymous id shares it), `not_in` its absence, and a
/// flag's cohort filter does not read `negation`.
#[tokio::test]
async fn static_cohort_flags_follow_membership() {
    let fixture = Fixture::new().await;
    for (distinct_id, anon) in [("member", "anon-member"), ("outsider", "anon-outsider")] {
        fixture
            .capture
            .send(Event::identify(distinct_id, anon).set("plan", "pro"))
            .await
            .expect("captured");
    }
    let cohort = fixture.posthog.create_cohort(PROJECT, "Beta", &["member"]);
    let api = fixture.client.generated();
    for (key, operator, negation) in [
        ("beta-in", "in", false),
        ("beta-not-in", "not_in", false),
        ("beta-in-negated", "in", true),
    ] {
        let body = types::FeatureFlagWrite {
            key: Some(key.to_owned()),
            filters: filters(json!({"groups": [{"properties": [
                {"key": "id", "type": "cohort", "value": cohort, "operator": operator, "negation": negation}
            ]}]})),
            ..types::FeatureFlagWrite::default()
        };
        api.feature_flags_create()
            .project_id("1")
            .body(body)
            .send()
            .await
            .expect("created");
    }
    let expected_member = json!({"beta-in": true, "beta-not-in": false, "beta-in-negated": true});
    let expected_outsider =
        json!({"beta-in": false, "beta-not-in": true, "beta-in-negated": false});
    for (distinct_id, expected) in [
        ("member", &expected_member),
        ("anon-member", &expected_member),
        ("outsider", &expected_outsider),
        ("never-seen", &expected_outsider),
    ] {
        let values = fixture
            .capture
            .flags(&FlagsQuery::new(distinct_id))
            .await
            .expect("evaluated");
        assert_eq!(
            serde_json::to_value(values.all_flags()).expect("json"),
            *expected,
            "{distinct_id}"
        );
    }
}
