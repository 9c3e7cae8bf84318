//! The admin API of the binary: health, tenants, export, reset, seed loading, token.

use crate::support::{Binary, PIPEDRIVE_TOKEN, client, get_json};

const ADMIN: [(&str, &str); 1] = [("authorization", "Bearer admin-secret")];

async fn post(client: &reqwest::Client, url: &str, body: &str) -> (u16, serde_json::Value) {
    let response = client
        .post(url)
        .header("authorization", "Bearer admin-secret")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

async fn demo_persons(client: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    get_json(
        client,
        &format!("{url}/pipedrive/api/v2/persons?limit=5&sort_by=id"),
        &[("x-api-token", PIPEDRIVE_TOKEN)],
    )
    .await
}

#[tokio::test]
async fn the_admin_api_needs_the_token_except_for_health() {
    let binary = Binary::start(&["--no-demo", "--admin-token", "admin-secret"]);
    let client = client();
    let (status, health) = get_json(&client, &format!("{}/_admin/health", binary.url), &[]).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    assert_eq!(health["durable"], false);
    for route in ["tenants", "export"] {
        let url = format!("{}/_admin/{route}", binary.url);
        let (status, body) = get_json(&client, &url, &[]).await;
        assert_eq!(
            (status, body["error"]["type"].as_str()),
            (401, Some("unauthorized"))
        );
        let wrong = [("authorization", "Bearer nope")];
        assert_eq!(get_json(&client, &url, &wrong).await.0, 401);
        assert_eq!(get_json(&client, &url, &ADMIN).await.0, 200);
    }
    let (status, body) = get_json(&client, &format!("{}/_admin/nope", binary.url), &ADMIN).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (404, Some("not_found"))
    );
}

#[tokio::test]
async fn export_reset_and_load_bring_the_same_state_back() {
    let binary = Binary::start(&["--admin-token", "admin-secret"]);
    let client = client();
    let before = demo_persons(&client, &binary.url).await;
    assert_eq!(before.0, 200);
    let (status, tenants) =
        get_json(&client, &format!("{}/_admin/tenants", binary.url), &ADMIN).await;
    assert_eq!(status, 200);
    assert_eq!(tenants["whop"]["accounts"][0]["id"], "biz_demo");
    assert_eq!(tenants["whop"]["keys"][0]["token"], "whop_demo_key");
    assert_eq!(
        tenants["posthog"]["projects"][0]["tokens"][0],
        "phc_demo_project_token"
    );
    assert_eq!(tenants["pipedrive"]["tokens"][0]["token"], PIPEDRIVE_TOKEN);
    assert_eq!(tenants["pipedrive"]["companies"][0]["persons"], 300);
    let export = client
        .get(format!("{}/_admin/export", binary.url))
        .headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::AUTHORIZATION,
            "Bearer admin-secret".parse().unwrap(),
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "application/json");
    let exported = export.text().await.unwrap();

    let (status, _) = post(&client, &format!("{}/_admin/reset", binary.url), "").await;
    assert_eq!(status, 200);
    assert_eq!(
        demo_persons(&client, &binary.url).await.0,
        401,
        "the token is gone after a reset"
    );

    let (status, body) = post(&client, &format!("{}/_admin/seed", binary.url), &exported).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(demo_persons(&client, &binary.url).await, before);

    let (status, _) = post(
        &client,
        &format!("{}/_admin/reset?to=empty", binary.url),
        "",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(&client, &format!("{}/_admin/reset?to=seed", binary.url), "").await;
    assert_eq!(status, 200);
    assert_eq!(
        demo_persons(&client, &binary.url).await,
        before,
        "the demo is the start-up seed"
    );
}

#[tokio::test]
async fn a_bad_seed_is_refused_and_changes_nothing() {
    let binary = Binary::start(&["--admin-token", "admin-secret"]);
    let client = client();
    let before = demo_persons(&client, &binary.url).await;
    for (body, needle) in [
        ("{not json", "JSON"),
        ("whop: [1, 2", "YAML"),
        ("{\"unknown_vendor\": {}}", "unknown_vendor"),
    ] {
        let url = format!("{}/_admin/seed?replace=true", binary.url);
        let (status, answer) = post(&client, &url, body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["type"], "invalid_seed");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    }
    let url = format!("{}/_admin/seed?replace=maybe", binary.url);
    assert_eq!(post(&client, &url, "{}").await.0, 400);
    assert_eq!(demo_persons(&client, &binary.url).await, before);
}

#[tokio::test]
async fn export_speaks_yaml_too_and_refuses_other_formats() {
    let binary = Binary::start(&["--admin-token", "admin-secret"]);
    let client = client();
    let response = client
        .get(format!("{}/_admin/export?format=yaml", binary.url))
        .header("authorization", "Bearer admin-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/yaml");
    let yaml = response.text().await.unwrap();
    assert!(
        yaml.contains("pipedrive:"),
        "{}",
        &yaml[..yaml.len().min(300)]
    );
    let url = format!("{}/_admin/export?format=xml", binary.url);
    assert_eq!(get_json(&client, &url, &ADMIN).await.0, 400);
}

#[tokio::test]
async fn snapshot_needs_a_data_directory() {
    let binary = Binary::start(&["--no-demo", "--admin-token", "admin-secret"]);
    let client = client();
    let (status, body) = post(&client, &format!("{}/_admin/snapshot", binary.url), "").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (409, Some("not_durable"))
    );
}
