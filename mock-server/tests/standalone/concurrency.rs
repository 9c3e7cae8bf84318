//! Many clients writing and reading one tenant at once on the multi-threaded server: no lost
//! update, and every read sees counters that agree with the writes behind them.

use std::sync::Arc;

use persons_mock::standalone::{self, Options};
use serde_json::json;

use crate::support::{PIPEDRIVE_TOKEN, POSTHOG_KEY, POSTHOG_TOKEN, client, get_json};

const WRITERS: usize = 16;
const WRITES: usize = 25;

/// Starts the standalone server (with the demo tenants) inside this test's runtime.
async fn server() -> (String, tokio::sync::oneshot::Sender<()>) {
    let options = Options {
        address: "127.0.0.1:0".to_owned(),
        demo: true,
        ..Options::default()
    };
    let started = standalone::start(&options).await.unwrap();
    let url = format!("http://{}", started.address);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(started.serve_until(async {
        let _ = stopped.await;
    }));
    (url, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_purchases_add_up_and_every_read_is_consistent() {
    let (url, _stop) = server().await;
    let client = Arc::new(client());
    let person = format!("{url}/whop/api/v1/people/concurrent-buyer?account_id=biz_demo");
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (client, url) = (Arc::clone(&client), url.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let response = client
                    .post(format!("{url}/whop/api/v1/events"))
                    .bearer_auth("whop_demo_key")
                    .json(&json!({"account_id": "biz_demo", "event_name": "purchase", "event_id": format!("w{writer}-{n}"), "value": 10, "currency": "usd", "user": {"anonymous_id": "concurrent-buyer"}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
            }
        }));
    }
    for _ in 0..4 {
        let (client, person) = (Arc::clone(&client), person.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..WRITES {
                let (status, body) = get_json(
                    &client,
                    &person,
                    &[("authorization", "Bearer whop_demo_key")],
                )
                .await;
                if status == 200 {
                    let purchases = body["data"]["purchase_count"].as_f64().unwrap();
                    assert_eq!(
                        body["data"]["ltv"].as_f64().unwrap(),
                        purchases * 10.0,
                        "{body}"
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (status, body) = get_json(
        &client,
        &person,
        &[("authorization", "Bearer whop_demo_key")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["purchase_count"], WRITERS * WRITES);
    assert_eq!(
        body["data"]["ltv"].as_f64(),
        Some((WRITERS * WRITES * 10) as f64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deals_activities_and_notes_keep_the_counters_exact() {
    let (url, _stop) = server().await;
    let client = Arc::new(client());
    let created: serde_json::Value = client
        .post(format!("{url}/pipedrive/v1/persons"))
        .header("x-api-token", PIPEDRIVE_TOKEN)
        .json(&json!({"name": "Concurrent Counter"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["id"].as_u64().unwrap();
    let person = format!("{url}/pipedrive/v1/persons/{id}");
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (client, url) = (Arc::clone(&client), url.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let (path, body) = match n % 3 {
                    0 => ("deals", json!({"title": format!("deal {writer}-{n}"), "person_id": id})),
                    1 => ("activities", json!({"subject": format!("call {writer}-{n}"), "person_id": id, "done": writer % 2})),
                    _ => ("notes", json!({"content": format!("note {writer}-{n}"), "person_id": id})),
                };
                let response = client
                    .post(format!("{url}/pipedrive/v1/{path}"))
                    .header("x-api-token", PIPEDRIVE_TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{path}: {}", response.text().await.unwrap());
            }
        }));
    }
    for _ in 0..4 {
        let (client, person) = (Arc::clone(&client), person.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..WRITES {
                let (status, body) =
                    get_json(&client, &person, &[("x-api-token", PIPEDRIVE_TOKEN)]).await;
                assert_eq!(status, 200);
                let data = &body["data"];
                let done = data["done_activities_count"].as_u64().unwrap();
                let undone = data["undone_activities_count"].as_u64().unwrap();
                assert_eq!(
                    data["activities_count"].as_u64().unwrap(),
                    done + undone,
                    "{data}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (_, body) = get_json(&client, &person, &[("x-api-token", PIPEDRIVE_TOKEN)]).await;
    let data = &body["data"];
    let per_kind = |kind: usize| (0..WRITES).filter(|n| n % 3 == kind).count() * WRITERS;
    assert_eq!(data["open_deals_count"], per_kind(0));
    assert_eq!(data["activities_count"], per_kind(1));
    assert_eq!(data["done_activities_count"], per_kind(1) / 2);
    assert_eq!(data["notes_count"], per_kind(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_property_updates_on_one_person_are_all_kept() {
    let (url, _stop) = server().await;
    let client = Arc::new(client());
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (client, url) = (Arc::clone(&client), url.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let response = client
                    .post(format!("{url}/posthog/i/v0/e/"))
                    .json(&json!({"api_key": POSTHOG_TOKEN, "event": "tick", "distinct_id": "concurrent-person", "properties": {"$set": {format!("writer_{writer}"): n}}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let url = format!("{url}/posthog/api/projects/1/persons/?distinct_id=concurrent-person");
    let auth = format!("Bearer {POSTHOG_KEY}");
    let (status, body) = get_json(&client, &url, &[("authorization", &auth)]).await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one person, however many writers: {body}");
    for writer in 0..WRITERS {
        assert_eq!(
            results[0]["properties"][format!("writer_{writer}")],
            WRITES - 1
        );
    }
}
