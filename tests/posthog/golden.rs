//! Golden files for PostHog's wire shapes: the exact bytes of list, retrieve and batch bodies
//! for a fixed seed. Set `UPDATE_GOLDEN=1` to rewrite them after an intended change.

use std::path::PathBuf;

use persons_mock::posthog::Event;
use uuid::Uuid;

use crate::support::{Fixture, PROJECT};

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/posthog/golden")
        .join(name);
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(actual).expect("JSON"),
    )
    .unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, format!("{actual}\n")).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with UPDATE_GOLDEN=1\n{pretty}",
            path.display()
        )
    });
    assert_eq!(actual, expected.trim_end(), "{name} changed:\n{pretty}");
}

#[tokio::test]
async fn wire_shapes_match_the_golden_files() {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("$pageview", "0190f2c4-1a2b-7c3d-8e4f-123456789abc")
            .property("$browser", "Firefox")
            .uuid(Uuid::from_u128(1))
            .at_micros(1_700_000_000_252_000),
        Event::identify("user-1", "0190f2c4-1a2b-7c3d-8e4f-123456789abc")
            .set("email", "u@example.com")
            .uuid(Uuid::from_u128(2))
            .at(1_700_000_100),
    ]);
    let pk = fixture.posthog.person(PROJECT, "user-1").unwrap().pk;
    let (_, list) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/?limit=1",
            None,
        )
        .await;
    check(
        "list.json",
        &list.replace(
            &fixture.posthog.base_url().to_string(),
            "http://HOST/posthog",
        ),
    );
    let (_, retrieve) = fixture
        .raw(
            reqwest::Method::GET,
            &format!("/api/projects/1/persons/{pk}/"),
            None,
        )
        .await;
    check("retrieve.json", &retrieve);
    let (_, batch) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/batch_by_distinct_ids/",
            Some(serde_json::json!({"distinct_ids": ["user-1"]})),
        )
        .await;
    check("batch_by_distinct_ids.json", &batch);
}
