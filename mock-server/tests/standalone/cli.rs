//! Flags, environment variables, request logs and signals.

use std::process::Command;

use crate::support::{Binary, client, get_json, temp_dir};

#[test]
fn help_lists_every_flag_with_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for (flag, variable) in [
        ("--host", "PERSONS_MOCK_HOST"),
        ("--port", "PERSONS_MOCK_PORT"),
        ("--data-dir", "PERSONS_MOCK_DATA_DIR"),
        ("--seed", "PERSONS_MOCK_SEED"),
        ("--no-demo", "PERSONS_MOCK_NO_DEMO"),
        ("--synthetic-events", "PERSONS_MOCK_SYNTHETIC_EVENTS"),
        ("--admin-token", "PERSONS_MOCK_ADMIN_TOKEN"),
        ("--fsync", "PERSONS_MOCK_FSYNC"),
        ("--compact-kib", "PERSONS_MOCK_COMPACT_KIB"),
        ("--header-read-timeout", "PERSONS_MOCK_HEADER_READ_TIMEOUT"),
        ("--idle-timeout", "PERSONS_MOCK_IDLE_TIMEOUT"),
        ("--max-connections", "PERSONS_MOCK_MAX_CONNECTIONS"),
        ("--workers", "PERSONS_MOCK_WORKERS"),
        ("--log-level", "PERSONS_MOCK_LOG_LEVEL"),
        ("--log-format", "PERSONS_MOCK_LOG_FORMAT"),
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
        assert!(
            help.contains(&format!("[env: {variable}=")),
            "{variable} missing from --help:\n{help}"
        );
    }
}

#[test]
fn a_bad_seed_file_or_log_level_stops_the_start_with_a_clear_message() {
    let missing = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .args(["--port", "0", "--seed", "/nonexistent/seed.yaml"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("/nonexistent/seed.yaml"), "{message}");

    let dir = temp_dir("bad-seed");
    let seed = dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "whop:\n  accounts:\n    - id: biz_x\n      log:\n        - event: {event_name: page, user: {}}\n",
    )
    .unwrap();
    let content = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .args(["--port", "0", "--seed", seed.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!content.status.success());
    let message = String::from_utf8_lossy(&content.stderr);
    assert!(
        message.contains(&format!("{}: whop.accounts[0].log[0]", seed.display())),
        "a content error names the file and the entry: {message}"
    );
    std::fs::remove_dir_all(dir).unwrap();

    for level in ["loud[[", "loud", "info,loud"] {
        let refused = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
            .args(["--port", "0", "--log-level", level])
            .output()
            .unwrap();
        assert!(
            !refused.status.success(),
            "--log-level {level} was accepted"
        );
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(message.contains("--log-level"), "{message}");
    }
    let loud = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .args(["--port", "0", "--log-level", "loud"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&loud.stderr).contains("neither a level"),
        "{}",
        String::from_utf8_lossy(&loud.stderr)
    );
}

#[tokio::test]
async fn the_banner_lists_every_seeded_tenant_with_its_credentials() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/whop.yaml");
    let binary = Binary::start(&["--no-demo", "--seed", seed]);
    let banner = binary.stdout();
    for shown in [
        "account biz_acme",
        "whop_acme_key",
        "whop_app_key",
        "account biz_globex",
        "try: curl -H 'Authorization: Bearer whop_acme_key'",
    ] {
        assert!(banner.contains(shown), "`{shown}` missing:\n{banner}");
    }
    let demo = Binary::start(&[]);
    for shown in [
        "whop_demo_key",
        "phx_demo_personal_key",
        "phc_demo_project_token",
        "pipedrive_demo_token",
    ] {
        assert!(
            demo.stdout().contains(shown),
            "`{shown}` missing:\n{}",
            demo.stdout()
        );
    }
}

#[tokio::test]
async fn environment_variables_configure_the_server() {
    let binary = Binary::start_with_env(
        &[],
        &[
            ("PERSONS_MOCK_NO_DEMO", "true"),
            ("PERSONS_MOCK_ADMIN_TOKEN", "env-admin"),
        ],
    );
    let banner = binary.stdout();
    assert!(!banner.contains("biz_demo"), "{banner}");
    assert!(banner.contains("Bearer admin token required"), "{banner}");
    let client = client();
    let url = format!("{}/_admin/tenants", binary.url);
    assert_eq!(get_json(&client, &url, &[]).await.0, 401);
    let authorized = [("authorization", "Bearer env-admin")];
    assert_eq!(get_json(&client, &url, &authorized).await.0, 200);
}

#[tokio::test]
async fn every_request_is_logged_on_one_line_as_text_or_json() {
    let text = Binary::start(&["--no-demo"]);
    let client = client();
    get_json(&client, &format!("{}/whop/api/v1/people", text.url), &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let line = text
        .stderr()
        .lines()
        .find(|line| {
            line.contains("persons_mock::request") && line.contains("path=/whop/api/v1/people")
        })
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no request line in:\n{}", text.stderr()));
    for part in ["method=GET", "status=401", "latency_us="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    get_json(&client, &format!("{}/whop/api/v1/peeple", text.url), &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let stderr = text.stderr();
    let hint = stderr
        .lines()
        .find(|line| line.contains("unmatched request GET /whop/api/v1/peeple"))
        .unwrap_or_else(|| panic!("no unmatched-request line:\n{stderr}"));
    assert!(
        hint.contains("nearest known:") && hint.contains("GET /whop/api/v1/people (listPeople)"),
        "no nearest-path hint for an unknown path: {hint}"
    );

    let json = Binary::start(&["--no-demo", "--log-format", "json"]);
    get_json(&client, &format!("{}/nowhere", json.url), &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let record: serde_json::Value = json
        .stderr()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|record| {
            record["target"] == "persons_mock::request" && record["fields"]["path"] == "/nowhere"
        })
        .unwrap_or_else(|| panic!("no JSON request line in:\n{}", json.stderr()));
    assert_eq!(record["fields"]["method"], "GET");
    assert_eq!(record["fields"]["status"], 404);
    assert!(record["fields"]["latency_us"].is_u64());
}

#[test]
fn sigterm_and_sigint_stop_the_server_gracefully() {
    for signal in ["TERM", "INT"] {
        let binary = Binary::start(&["--no-demo"]);
        let (clean, stdout) = binary.stop_with(signal);
        assert!(clean, "SIG{signal} did not exit cleanly");
        assert!(stdout.contains("persons-mock: stopped"), "{stdout}");
    }
}

#[tokio::test]
async fn synthetic_events_serve_a_generated_tenant_per_vendor() {
    let binary = Binary::start(&["--no-demo", "--synthetic-events", "2000"]);
    let banner = binary.stdout();
    for credential in [
        "whop_synthetic_key",
        "phx_synthetic_personal_key",
        "pipedrive_synthetic_token",
    ] {
        assert!(
            banner.contains(credential),
            "{credential} missing:\n{banner}"
        );
    }
    let client = client();
    let url = format!("{}/pipedrive/api/v2/persons?limit=3", binary.url);
    let (status, body) = get_json(
        &client,
        &url,
        &[("x-api-token", "pipedrive_synthetic_token")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_same_bytes_floor_answers_only_its_recorded_requests() {
    let dir = temp_dir("same-bytes");
    let answers = dir.join("answers.json");
    let body = r#"{"data":[{"id":"usr_1","name":"Zoë"}],"page_info":{}}"#;
    let recorded = serde_json::json!([{
        "path_and_query": "/whop/api/v1/people?first=20&sort=ltv",
        "status": 200,
        "headers": [["content-type", "application/json"], ["x-recorded", "yes"]],
        "body": body,
    }]);
    std::fs::write(&answers, recorded.to_string()).unwrap();
    let binary = Binary::start(&["--same-bytes", answers.to_str().unwrap()]);
    assert!(
        binary
            .stdout()
            .contains("same-bytes floor: 1 recorded answers"),
        "{}",
        binary.stdout()
    );
    let client = client();
    let response = client
        .get(format!(
            "{}/whop/api/v1/people?first=20&sort=ltv",
            binary.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-recorded"], "yes");
    assert_eq!(response.bytes().await.unwrap(), body.as_bytes());
    for other in ["/whop/api/v1/people?first=20", "/_admin/health"] {
        let response = client
            .get(format!("{}{other}", binary.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{other}");
    }
    let refused = Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .args([
            "--same-bytes",
            answers.to_str().unwrap(),
            "--seed",
            "x.json",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}
