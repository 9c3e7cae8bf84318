//! PostHog feature flags, model level (no HTTP: the request goes straight to `App::handle`,
//! body parsing and rendering included): remote evaluation (`POST /flags/?v=4`) of 50 flags
//! (rollouts, person-property conditions, multivariate flags with payloads) for one identified
//! person, and for a distinct id no person has.
//!
//! `cargo bench -p persons-mock --bench posthog_flags`.

use divan::Bencher;
use persons_mock::ApiRequest;
use persons_mock::internals::App;
use persons_mock::posthog::{Event, FlagWrite};
use serde_json::json;

const TOKEN: &str = "phc_bench";

/// An app whose project 1 holds one identified person and 50 flags of every kind.
fn app() -> App {
    let app = App::default();
    let posthog = app.posthog_at("");
    posthog.add_project_token(1, TOKEN);
    posthog
        .capture(
            1,
            Event::identify("user-1", "anon-1")
                .set("plan", "pro")
                .set("email", "ada@example.com")
                .set("seats", 12),
        )
        .expect("captured");
    for n in 0..50 {
        let flag = match n % 5 {
            0 => FlagWrite::rollout(&format!("rollout-{n}"), f64::from(n)),
            1 => FlagWrite::new(
                &format!("plan-{n}"),
                json!({"groups": [{"properties": [
                    {"key": "plan", "type": "person", "value": ["pro", "team"]},
                    {"key": "seats", "type": "person", "operator": "gte", "value": n.to_string()}
                ], "rollout_percentage": 80}]}),
            ),
            2 => FlagWrite::new(
                &format!("email-{n}"),
                json!({"groups": [
                    {"properties": [{"key": "email", "type": "person", "operator": "regex", "value": "@example\\.(com|org)$"}]},
                    {"properties": [{"key": "email", "type": "person", "operator": "icontains", "value": "ada"}]}
                ]}),
            ),
            3 => FlagWrite::new(
                &format!("multi-{n}"),
                json!({"groups": [{"properties": [], "rollout_percentage": 90}],
                       "multivariate": {"variants": [
                           {"key": "control", "rollout_percentage": 34},
                           {"key": "a", "rollout_percentage": 33},
                           {"key": "b", "rollout_percentage": 33}]},
                       "payloads": {"a": {"color": "green"}, "b": "[1, 2, 3]"}}),
            ),
            _ => FlagWrite::new(
                &format!("version-{n}"),
                json!({"groups": [{"properties": [
                    {"key": "$app_version", "type": "person", "operator": "semver_gte", "value": "1.2.0"}
                ]}]}),
            ),
        };
        posthog.create_flag(1, flag).expect("valid flag");
    }
    app
}

fn request(distinct_id: &str) -> ApiRequest {
    ApiRequest::new("POST", "/posthog/flags/?v=4")
        .with_header("content-type", "application/json")
        .with_body(
            json!({"token": TOKEN, "distinct_id": distinct_id,
                   "person_properties": {"$app_version": "1.4.2"}})
            .to_string(),
        )
}

fn main() {
    divan::main();
}

/// 50 flags for an identified person (stored properties under the request's).
#[divan::bench]
fn fifty_flags_for_a_person(bencher: Bencher) {
    let app = app();
    let request = request("user-1");
    let response = app.handle(&request);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json_body()["flags"]
            .as_object()
            .map(serde_json::Map::len),
        Some(50)
    );
    bencher.bench_local(|| app.handle(&request));
}

/// 50 flags for a distinct id no person has.
#[divan::bench]
fn fifty_flags_for_an_unknown_id(bencher: Bencher) {
    let app = app();
    let request = request("nobody");
    bencher.bench_local(|| app.handle(&request));
}
