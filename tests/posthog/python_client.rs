//! The official posthog-python client, unmodified, against the mock: capture, set, set_once,
//! alias, with and without gzip. The pinned version is installed under the cargo target
//! directory on first use; a failed install fails the test.

use std::path::Path;

use crate::support::{Fixture, PROJECT};

/// The posthog-python release the test runs.
const POSTHOG_PYTHON: &str = "posthog==7.42.0";

#[tokio::test]
async fn the_official_python_client_works_unmodified() {
    let site = crate::python::installed(POSTHOG_PYTHON, "posthog");
    let fixture = Fixture::new().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/posthog/python_client.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .env("PYTHONPATH", &site)
        .env("POSTHOG_HOST", fixture.posthog.base_url())
        .env("POSTHOG_PROJECT_TOKEN", &fixture.token)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let ann = fixture
        .posthog
        .person(PROJECT, "ann")
        .expect("capture created ann");
    assert_eq!(ann.properties["email"], "ann@example.com", "set");
    assert_eq!(
        ann.properties["first_seen_plan"], "free",
        "set_once keeps the first value"
    );
    assert_eq!(ann.properties["plan"], "pro");
    assert!(
        ann.distinct_ids.contains(&"ann-crm".to_owned()),
        "alias joined ann-crm to ann: {:?}",
        ann.distinct_ids
    );
    let zed = fixture
        .posthog
        .person(PROJECT, "zed")
        .expect("the gzip client created zed");
    assert_eq!(zed.properties["plan"], "team");
}
