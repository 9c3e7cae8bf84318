//! Pipedrive's official npm client (`pipedrive`, v2 persons and deals APIs), unmodified,
//! against the mock. The test installs the pinned package under the cargo target dir (see
//! `official_clients` for when it skips instead).

use std::path::Path;
use std::process::Command;

use crate::provision;
use crate::support::Fixture;

/// The pinned version of the npm package.
const PIPEDRIVE_NPM: &str = "pipedrive@33.7.0";

#[tokio::test(flavor = "multi_thread")]
async fn the_official_npm_client_works_unmodified() {
    let Some(node_modules) = provision::npm_package(PIPEDRIVE_NPM, "pipedrive") else {
        return;
    };
    let fx = Fixture::new().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pipedrive/official_client.js");
    let v2_url = fx.pipedrive.v2_url();
    let token = fx.token.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("NODE_PATH", node_modules)
            .env("PIPEDRIVE_V2_URL", v2_url)
            .env("PIPEDRIVE_API_TOKEN", token)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "official client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fx.pipedrive.person_count(crate::support::COMPANY),
        0,
        "the script deleted its person"
    );
}
