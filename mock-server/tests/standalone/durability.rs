//! `--data-dir`: every acknowledged write survives a restart and a `kill -9`, a torn last
//! record is dropped with a warning, and compaction keeps the state.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::support::{
    Binary, PIPEDRIVE_TOKEN, POSTHOG_KEY, POSTHOG_TOKEN, WHOP_KEY, client, get_json, temp_dir,
    wal_file,
};

/// Writes acknowledged by the server: Pipedrive person id → name, PostHog distinct ids, and
/// Whop visitor ids.
#[derive(Default)]
struct Acknowledged {
    persons: BTreeMap<u64, String>,
    captured: BTreeSet<String>,
    visitors: BTreeSet<String>,
}

/// One writer: creates Pipedrive persons, captures PostHog events and sends Whop pixel events
/// until the server dies.
async fn write_until_killed(url: String, writer: usize, acknowledged: Arc<Mutex<Acknowledged>>) {
    let client = client();
    for n in 0.. {
        let name = format!("durable w{writer} n{n}");
        let created = client
            .post(format!("{url}/pipedrive/v1/persons"))
            .header("x-api-token", PIPEDRIVE_TOKEN)
            .json(&json!({"name": name}))
            .send()
            .await;
        let Ok(created) = created else { return };
        let Ok(body) = created.json::<serde_json::Value>().await else {
            return;
        };
        let id = body["data"]["id"].as_u64().expect("a created person id");
        acknowledged.lock().unwrap().persons.insert(id, name);

        let distinct_id = format!("durable-w{writer}-n{n}");
        let captured = client
            .post(format!("{url}/posthog/i/v0/e/"))
            .json(&json!({"api_key": POSTHOG_TOKEN, "event": "signed up", "distinct_id": distinct_id, "properties": {"$set": {"writer": writer}}}))
            .send()
            .await;
        let Ok(response) = captured else { return };
        if response.status() != 200 || response.bytes().await.is_err() {
            return;
        }
        acknowledged.lock().unwrap().captured.insert(distinct_id);

        let visitor = format!("wuid_durable_w{writer}_n{n}");
        let sent = client
            .post(format!("{url}/whop/api/v1/events"))
            .bearer_auth(WHOP_KEY)
            .json(&json!({"account_id": "biz_demo", "event_name": "page", "user": {"anonymous_id": visitor}}))
            .send()
            .await;
        let Ok(response) = sent else { return };
        if response.status() != 200 || response.bytes().await.is_err() {
            return;
        }
        acknowledged.lock().unwrap().visitors.insert(visitor);
    }
}

/// Every person in the demo company whose name starts with `durable `, by id.
async fn durable_persons(client: &reqwest::Client, url: &str) -> BTreeMap<u64, String> {
    let mut found = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page = format!("{url}/pipedrive/api/v2/persons?limit=500");
        if let Some(cursor) = &cursor {
            page.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = get_json(client, &page, &[("x-api-token", PIPEDRIVE_TOKEN)]).await;
        assert_eq!(status, 200, "{body}");
        for person in body["data"].as_array().unwrap() {
            let name = person["name"].as_str().unwrap();
            if name.starts_with("durable ") {
                let previous = found.insert(person["id"].as_u64().unwrap(), name.to_owned());
                assert!(previous.is_none(), "person listed twice: {person}");
            }
        }
        match body["additional_data"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_heavy_ingestion_loses_no_acknowledged_write_and_invents_none() {
    let dir = temp_dir("kill9");
    let data_dir = dir.to_str().unwrap();
    // A small compaction threshold, so the run also crosses snapshots.
    let binary = Binary::start(&["--data-dir", data_dir, "--compact-kib", "64"]);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            tokio::spawn(write_until_killed(
                binary.url.clone(),
                writer,
                Arc::clone(&acknowledged),
            ))
        })
        .collect();
    while acknowledged.lock().unwrap().persons.len() < 400 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    binary.kill();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    // The start-up snapshot is generation 1; the ingestion compacted at least once more.
    let log = wal_file(&dir);
    let generation: u64 = log.file_stem().unwrap().to_str().unwrap()["wal-".len()..]
        .parse()
        .unwrap();
    assert!(
        generation >= 2,
        "no compaction during the run: {}",
        log.display()
    );

    let restarted = Binary::start(&["--data-dir", data_dir]);
    assert!(
        restarted.stdout().contains("restored"),
        "{}",
        restarted.stdout()
    );
    let client = client();
    let present = durable_persons(&client, &restarted.url).await;
    for (id, name) in &acknowledged.persons {
        assert_eq!(present.get(id), Some(name), "acknowledged person {id} lost");
    }
    // Nothing else: at most the one write per writer that was in flight when the process died.
    let unacknowledged: Vec<_> = present
        .iter()
        .filter(|(id, _)| !acknowledged.persons.contains_key(id))
        .collect();
    assert!(unacknowledged.len() <= 8, "{unacknowledged:?}");
    for (_, name) in unacknowledged {
        assert!(name.starts_with("durable w"), "{name}");
    }
    for distinct_id in &acknowledged.captured {
        let url = format!(
            "{}/posthog/api/projects/1/persons/?distinct_id={distinct_id}",
            restarted.url
        );
        let (status, body) = get_json(
            &client,
            &url,
            &[("authorization", &format!("Bearer {POSTHOG_KEY}"))],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["results"].as_array().unwrap().len(),
            1,
            "acknowledged capture for {distinct_id} lost"
        );
    }
    for visitor in &acknowledged.visitors {
        let url = format!("{}/whop/api/v1/people/{visitor}", restarted.url);
        let (status, body) = get_json(
            &client,
            &url,
            &[("authorization", &format!("Bearer {WHOP_KEY}"))],
        )
        .await;
        assert_eq!(
            status, 200,
            "acknowledged Whop event of {visitor} lost: {body}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_torn_last_record_is_dropped_with_a_warning_and_the_rest_kept() {
    let dir = temp_dir("torn");
    let data_dir = dir.to_str().unwrap();
    let client = client();
    let binary = Binary::start(&["--data-dir", data_dir]);
    let created: serde_json::Value = client
        .post(format!("{}/pipedrive/v1/persons", binary.url))
        .header("x-api-token", PIPEDRIVE_TOKEN)
        .json(&json!({"name": "durable survivor"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["id"].as_u64().unwrap();
    binary.kill();
    // The start of a record whose payload never reached the disk.
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(wal_file(&dir))
        .unwrap();
    log.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, b'{', b'"'])
        .unwrap();
    drop(log);

    let restarted = Binary::start(&["--data-dir", data_dir]);
    assert!(
        restarted
            .stdout()
            .contains("a torn last record of 10 bytes dropped"),
        "{}",
        restarted.stdout()
    );
    assert!(
        restarted.stderr().contains("torn"),
        "{}",
        restarted.stderr()
    );
    let url = format!("{}/pipedrive/v1/persons/{id}", restarted.url);
    let (status, body) = get_json(&client, &url, &[("x-api-token", PIPEDRIVE_TOKEN)]).await;
    assert_eq!(
        (status, body["data"]["name"].as_str()),
        (200, Some("durable survivor"))
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_restart_keeps_deletions_and_does_not_reload_the_demo_over_them() {
    let dir = temp_dir("restart");
    let data_dir = dir.to_str().unwrap();
    let client = client();
    let binary = Binary::start(&["--data-dir", data_dir]);
    let url = format!("{}/pipedrive/v1/persons/1", binary.url);
    let deleted = client
        .delete(&url)
        .header("x-api-token", PIPEDRIVE_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let (stopped, _) = binary.stop_with("TERM");
    assert!(stopped);

    let before = wal_file(&dir);
    assert!(
        std::fs::metadata(&before).unwrap().len() > 0,
        "the delete is logged"
    );
    // A log past the threshold is compacted at start.
    let restarted = Binary::start(&["--data-dir", data_dir, "--compact-kib", "0"]);
    let after = wal_file(&dir);
    assert_ne!(after, before, "no compaction at start");
    assert_eq!(std::fs::metadata(&after).unwrap().len(), 0);
    let url = format!("{}/pipedrive/v1/persons/1", restarted.url);
    let (status, body) = get_json(&client, &url, &[("x-api-token", PIPEDRIVE_TOKEN)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["active_flag"], false, "{body}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_damaged_log_refuses_to_start_instead_of_serving_a_corrupt_state() {
    let dir = temp_dir("damaged");
    let data_dir = dir.to_str().unwrap();
    let binary = Binary::start(&["--no-demo", "--data-dir", data_dir]);
    binary.kill();
    std::fs::write(
        wal_file(&dir),
        b"\x05\0\0\0\0\0\0\0hello and then more bytes",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_persons-mock"))
        .args(["--port", "0", "--data-dir", data_dir])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("checksum mismatch"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
}
