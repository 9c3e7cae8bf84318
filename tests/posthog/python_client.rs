//! The official posthog-python client, unmodified, against the mock: capture, set, set_once,
//! alias, with and without gzip. The pinned version is installed under the cargo target
//! directory on first use (see `provision` for when the test skips instead).

use std::path::Path;

use crate::provision;
use crate::support::{Fixture, PROJECT};

/// The posthog-python release the test runs.
const POSTHOG_PYTHON: &str = "posthog==7.42.0";

#[tokio::test]
async fn the_official_python_client_works_unmodified() {
    let Some(site) = provision::python_package(POSTHOG_PYTHON, "posthog") else {
        return;
    };
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

/// Runs this test binary's official-client test alone, where neither python3 nor the
/// installed client can be found.
fn run_without_python(require: bool) -> std::process::Output {
    let empty_target =
        std::env::temp_dir().join(format!("persons-no-python-{}", std::process::id()));
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "python_client::the_official_python_client_works_unmodified",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env("PATH", "/nonexistent")
        .env("CARGO_TARGET_DIR", &empty_target);
    if require {
        command.env("PERSONS_REQUIRE_OFFICIAL_CLIENTS", "1");
    } else {
        command.env_remove("PERSONS_REQUIRE_OFFICIAL_CLIENTS");
    }
    let output = command.output().unwrap();
    let _ = std::fs::remove_dir_all(empty_target);
    output
}

#[test]
fn without_python_the_test_skips_loudly_unless_official_clients_are_required() {
    let skipped = run_without_python(false);
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{stderr}");
    assert!(
        stderr.contains("SKIPPED an official-client test: posthog==7.42.0"),
        "{stderr}"
    );

    let required = run_without_python(true);
    assert!(
        !required.status.success(),
        "PERSONS_REQUIRE_OFFICIAL_CLIENTS=1 must fail without python3"
    );
}
