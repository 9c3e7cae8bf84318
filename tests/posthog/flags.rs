//! Feature flags through the Rust SDK: defined with the generated REST operations, evaluated
//! with the capture client's `flags` (`POST /flags/?v=2`) against persons built by capture.

use persons_sdk::posthog::{Event, FlagsQuery, types};
use serde_json::{Map, Value, json};

use crate::support::{Fixture, api_error};

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
    let variant = values.variant("pricing").expect("a variant").to_owned();
    let discount = if variant == "annual" { 20 } else { 0 };
    assert_eq!(
        values.payload("pricing"),
        Some(json!({"discount": discount}))
    );
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
