//! Hostile or odd requests: percent-encoded ids, absurd numbers, duplicate keys, gzip bombs,
//! non-integer activity pages, cross-project ids; each gets PostHog's answer, never a panic.

use persons_mock::posthog::Event;
use serde_json::{Value, json};

use crate::support::{Fixture, NOW, PROJECT};

async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("e", "a")
            .set("email", "a@example.com")
            .at(NOW - 20),
        Event::new("e", "b").at(NOW - 10),
    ]);
    fixture
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).expect("a JSON body")
}

/// `GET path` with the fixture's key: the status and the JSON body.
async fn get_json(fixture: &Fixture, path: &str) -> (u16, Value) {
    let (status, body) = fixture.raw(reqwest::Method::GET, path, None).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn odd_paths_and_numbers_never_panic() {
    let fixture = fixture().await;
    let get = |path: &'static str| fixture.raw(reqwest::Method::GET, path, None);
    let (status, body) = get("/api/projects/%40current/persons/").await;
    assert_eq!(
        (status, json(&body)["results"].as_array().map(Vec::len)),
        (200, Some(2))
    );
    let (status, body) =
        get("/api/projects/1/persons/?limit=99999999999999999999999&offset=-3").await;
    assert_eq!(
        (status, json(&body)["results"].as_array().map(Vec::len)),
        (200, Some(2))
    );
    let (status, body) = get("/api/projects/1/persons/?offset=99999999999999999999999").await;
    let body = json(&body);
    assert_eq!(
        (status, &body["results"], &body["next"]),
        (200, &json!([]), &Value::Null)
    );
    assert!(
        body["previous"]
            .as_str()
            .is_some_and(|url| url.contains("offset="))
    );
    for id in ["%F0%9F%A6%80", "-1", "99999999999999999999999", "%20"] {
        let (status, _) = fixture
            .raw(
                reqwest::Method::GET,
                &format!("/api/projects/1/persons/{id}/"),
                None,
            )
            .await;
        assert!(status == 400 || status == 404, "{id}: {status}");
    }
    let (status, _) = get("/api/projects/1/persons/?search=%25%25%25_&properties=%5B%5D").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn activity_pages_read_like_pythons_int() {
    let fixture = fixture().await;
    let uuid = fixture.posthog.person(PROJECT, "a").unwrap().uuid;
    for _ in 0..3 {
        fixture
            .raw(
                reqwest::Method::PATCH,
                &format!("/api/projects/1/persons/{uuid}/"),
                Some(json!({"properties": {"x": 1}})),
            )
            .await;
    }
    let (status, body) =
        get_json(&fixture, "/api/projects/1/persons/activity/?page=2&limit=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["next"].as_str(),
            body["previous"].as_str(),
            &body["total_count"]
        ),
        (
            Some(
                format!(
                    "{}/api/projects/1/persons/activity/?page=3&limit=1",
                    fixture.posthog.base_url()
                )
                .as_str()
            ),
            Some(
                format!(
                    "{}/api/projects/1/persons/activity/?page=1&limit=1",
                    fixture.posthog.base_url()
                )
                .as_str()
            ),
            &json!(3)
        ),
        "page and limit are rewritten in place"
    );
    for query in ["limit=abc", "page=", "page=1.5"] {
        let (status, body) = fixture
            .raw(
                reqwest::Method::GET,
                &format!("/api/projects/1/persons/activity/?{query}"),
                None,
            )
            .await;
        assert_eq!(
            (status, body.as_str()),
            (
                500,
                r#"{"type":"server_error","code":"error","detail":"A server error occurred.","attr":null}"#
            ),
            "{query}"
        );
    }
}

#[tokio::test]
async fn batch_keys_appear_once_and_deletion_links_are_drfs() {
    let fixture = fixture().await;
    let uuid = fixture.posthog.person(PROJECT, "a").unwrap().uuid;
    let (_, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/batch_by_distinct_ids/",
            Some(json!({"distinct_ids": ["a", "a", 5, "b"]})),
        )
        .await;
    let keys: Vec<String> = json(&body)["results"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["a", "b"]);
    let upper = uuid.to_string().to_uppercase();
    let (_, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/batch_by_uuids/",
            Some(json!({"uuids": [upper, uuid.to_string()]})),
        )
        .await;
    let keys: Vec<String> = json(&body)["results"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, [uuid.to_string()]);
    for distinct_id in ["a", "b"] {
        let uuid = fixture.posthog.person(PROJECT, distinct_id).unwrap().uuid;
        fixture
            .raw(
                reqwest::Method::DELETE,
                &format!("/api/projects/1/persons/{uuid}/?delete_events"),
                None,
            )
            .await;
    }
    let (_, body) = get_json(
        &fixture,
        "/api/projects/1/persons/deletion_status/?status=all&limit=1",
    )
    .await;
    let base = fixture.posthog.base_url();
    assert_eq!(
        body["next"].as_str(),
        Some(
            format!("{base}/api/projects/1/persons/deletion_status/?limit=1&offset=1&status=all")
                .as_str()
        )
    );
    let (_, body) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/deletion_status/?offset=1&limit=1",
            None,
        )
        .await;
    assert_eq!(
        json(&body)["previous"].as_str(),
        Some(format!("{base}/api/projects/1/persons/deletion_status/?limit=1").as_str()),
        "DRF drops offset on the first page"
    );
}

#[tokio::test]
async fn one_project_never_reaches_anothers_persons() {
    let fixture = fixture().await;
    let other_token = fixture.posthog.create_project(2);
    fixture
        .posthog
        .capture(2, Event::new("e", "secret").set("k", "v"))
        .unwrap();
    let secret = fixture.posthog.person(2, "secret").unwrap();
    for id in [secret.pk.to_string(), secret.uuid.to_string()] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ] {
            let (status, _) = fixture
                .raw(
                    method.clone(),
                    &format!("/api/projects/1/persons/{id}/"),
                    Some(json!({"properties": {"k": "stolen"}})),
                )
                .await;
            assert_eq!(status, 404, "{method} {id}");
        }
    }
    let (_, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/projects/1/persons/batch_by_uuids/",
            Some(json!({"uuids": [secret.uuid.to_string()]})),
        )
        .await;
    assert_eq!(json(&body), json!({"results": {}}));
    let (_, body) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/values/?key=k",
            None,
        )
        .await;
    assert_eq!(json(&body)["results"], json!([]));
    let response = reqwest::Client::new()
        .post(format!("{}/batch/", fixture.posthog.base_url()))
        .json(&json!({"api_key": fixture.token, "batch": [{"event": "e", "distinct_id": "secret", "$set": {"k": "from 1"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        fixture.posthog.person(2, "secret").unwrap(),
        secret,
        "project 2 unchanged"
    );
    assert!(
        fixture.posthog.person(PROJECT, "secret").is_some(),
        "project 1 got its own person"
    );
    assert_ne!(other_token, fixture.token);
    fixture.posthog.check_invariants(PROJECT).unwrap();
    fixture.posthog.check_invariants(2).unwrap();
}

#[tokio::test]
async fn capture_refuses_oversized_payloads_and_reads_engage() {
    let fixture = fixture().await;
    let mut big = b"[".to_vec();
    big.resize(3 * 1024 * 1024, b' ');
    for (path, status) in [("/i/v0/e/", 413), ("/batch/", 400)] {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", fixture.posthog.base_url()))
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            status,
            "{path}: 2 MB for events, 20 MB for batches"
        );
    }
    let response = reqwest::Client::new()
        .post(format!("{}/engage/", fixture.posthog.base_url()))
        .json(&json!({"api_key": fixture.token, "distinct_id": "engaged", "$set": {"plan": "pro"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let person = fixture.posthog.person(PROJECT, "engaged").unwrap();
    assert_eq!(person.properties["plan"], "pro");
}

#[tokio::test]
async fn last_seen_at_shows_when_the_project_tracks_it() {
    let fixture = fixture().await;
    fixture.posthog.track_last_seen(PROJECT, true);
    fixture.seed([Event::new("e", "a").at(NOW + 125)]);
    let uuid = fixture.posthog.person(PROJECT, "a").unwrap().uuid;
    let person = fixture
        .client
        .retrieve_person(&uuid.to_string())
        .await
        .unwrap();
    let hour = (NOW + 125) - (NOW + 125).rem_euclid(3600);
    assert_eq!(person.last_seen_at.map(|at| at.timestamp()), Some(hour));
    let (_, body) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/?distinct_id=b",
            None,
        )
        .await;
    assert_eq!(
        json(&body)["results"][0]["last_seen_at"],
        Value::Null,
        "b has sent nothing since"
    );
}
