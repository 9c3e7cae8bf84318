//! Whop's official SDKs, unmodified, against the mock: `whop-sdk` 2.6.0 (PyPI, Era C),
//! `whop-sdk` 0.0.41 (PyPI, early Era B) and `@whop/sdk` 0.0.42 (npm, late Era B). Each lists
//! every person through its own auto-pagination, filters, retrieves by id and e-mail, creates
//! and lists events and gets a 404. The tests install the pinned packages under the cargo
//! target directory on first use (see `provision` for when they skip instead).

use std::path::Path;

use persons_mock::whop::Event;

use crate::support::{ACCOUNT, DAY, Fixture, NOW};

/// How many people the account holds: several pages of 25.
const PEOPLE: usize = 70;
/// The e-mail of a person with purchases and a merged second device.
const EMAIL: &str = "ada@example.com";

/// An account of [`PEOPLE`] people, some buying, one of them merged from two visitors.
async fn fixture() -> (Fixture, String) {
    let fx = Fixture::new().await;
    let mut events = Vec::new();
    for i in 0..PEOPLE as i64 {
        let visitor = format!("wuid_{i:03}");
        events.push(Event::page_view().visitor(&visitor).at(NOW - (i + 1) * DAY));
        if i % 3 == 0 {
            events.push(
                Event::purchase(10.0 + i as f64)
                    .visitor(&visitor)
                    .at(NOW - i * DAY),
            );
        }
    }
    events.push(
        Event::purchase(49.0)
            .visitor("wuid_000")
            .email(EMAIL)
            .name("Ada")
            .at(NOW - 10),
    );
    events.push(
        Event::page_view()
            .visitor("wuid_ada_phone")
            .email(EMAIL)
            .at(NOW - 5),
    );
    fx.ingest(events);
    let key = fx.whop.create_account_key(ACCOUNT);
    (fx, key)
}

/// Runs `program` with `args`, the mock's address and key in the environment; fails the test
/// with its output unless it succeeds.
async fn run(program: &str, args: &[&Path], env: &[(&str, &Path)]) {
    let (fx, key) = fixture().await;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("WHOP_BASE_URL", fx.whop.base_url())
        .env("WHOP_API_KEY", &key)
        .env("WHOP_ACCOUNT", ACCOUNT)
        .env("WHOP_PEOPLE", PEOPLE.to_string())
        .env("WHOP_EMAIL", EMAIL);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("the interpreter runs");
    assert!(
        output.status.success(),
        "{program} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn python(requirement: &str) {
    let Some(site) = crate::provision::python_package(requirement, "whop_sdk") else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/whop/official_clients.py");
    run("python3", &[&script], &[("PYTHONPATH", &site)]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn whop_sdk_2_6_0_speaks_era_c() {
    python("whop-sdk==2.6.0").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn whop_sdk_0_0_41_speaks_early_era_b() {
    python("whop-sdk==0.0.41").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn whop_npm_sdk_0_0_42_speaks_late_era_b() {
    let Some(node_modules) = crate::provision::npm_package("@whop/sdk@0.0.42", "@whop/sdk") else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/whop/official_client.js");
    run("node", &[&script], &[("NODE_PATH", &node_modules)]).await;
}
