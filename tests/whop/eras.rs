//! The contracts chosen by `Api-Version-Date`, over plain HTTP: Era B's cursor pages with its
//! two time formats, walks that stay exact while events arrive, bad cursors and headers,
//! unknown parameters in every contract, and `GET /events` only after Era A.

use persons_mock::whop::Event;
use serde_json::Value;

use crate::support::{ACCOUNT, DAY, Fixture, NOW};

const EARLY_B: &str = "2026-07-08-1";
const LATE_B: &str = "2026-07-20";
const ERA_C: &str = "2026-10-15-1";

/// `GET` of `path_and_query` under the mock's Whop base URL with `key` and `version`.
async fn get(fx: &Fixture, key: &str, version: Option<&str>, path_and_query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path_and_query}", fx.whop.base_url()))
        .bearer_auth(key);
    if let Some(version) = version {
        request = request.header("Api-Version-Date", version);
    }
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A fixture with `n` people, one event each a day apart, and a key for it.
async fn people(n: i64) -> (Fixture, String) {
    let fx = Fixture::new().await;
    fx.ingest((0..n).map(|i| {
        Event::page_view()
            .visitor(format!("wuid_{i:03}"))
            .at(NOW - (i + 1) * DAY)
    }));
    let key = fx.whop.create_account_key(ACCOUNT);
    (fx, key)
}

/// Every id of a cursor walk of `query`, and the pages it took.
async fn walk(fx: &Fixture, key: &str, version: &str, query: &str) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut after) = (Vec::new(), 0, None::<String>);
    loop {
        let cursor = after
            .as_ref()
            .map(|c| format!("&after={c}"))
            .unwrap_or_default();
        let (status, body) = get(fx, key, Some(version), &format!("/people?{query}{cursor}")).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        ids.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        if !body["page_info"]["has_next_page"].as_bool().unwrap() {
            return (ids, pages);
        }
        after = Some(body["page_info"]["end_cursor"].as_str().unwrap().to_owned());
    }
}

#[tokio::test]
async fn era_b_pages_by_cursor_with_unix_then_iso_times() {
    let (fx, key) = people(25).await;
    for version in [EARLY_B, LATE_B] {
        let (ids, pages) = walk(
            &fx,
            &key,
            version,
            "first=10&sort=first_seen_at&direction=asc",
        )
        .await;
        assert_eq!((ids.len(), pages), (25, 3), "{version}");
    }
    let (_, early) = get(&fx, &key, Some(EARLY_B), "/people?first=1&from=0").await;
    assert!(early["data"][0]["first_seen_at"].is_i64(), "{early}");
    assert!(
        early.get("total_count").is_none(),
        "Era B has no total_count"
    );
    let (_, late) = get(
        &fx,
        &key,
        Some(LATE_B),
        "/people?first=1&from=2020-01-01T00:00:00Z",
    )
    .await;
    assert!(
        late["data"][0]["first_seen_at"]
            .as_str()
            .unwrap()
            .ends_with('Z'),
        "{late}"
    );
    let (status, body) = get(&fx, &key, Some(LATE_B), "/people?from=0").await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("from")),
        "ISO in late B"
    );
    let (_, retrieved) = get(&fx, &key, Some(LATE_B), "/people/wuid_003").await;
    assert!(retrieved["data"]["last_seen_at"].is_string(), "{retrieved}");
    let (_, seed) = get(&fx, &key, None, "/people?first=1").await;
    assert!(seed["data"][0]["first_seen_at"].is_i64() && seed["total_count"] == 25);
}

#[tokio::test]
async fn a_walk_shows_everyone_once_while_events_reorder_the_list() {
    let (fx, key) = people(30).await;
    // Era B's window starts at `from`; Era C lists everyone without one.
    for (version, window) in [(EARLY_B, "&from=0"), (ERA_C, "")] {
        let (_, first) = get(
            &fx,
            &key,
            Some(version),
            &format!("/people?first=10&direction=asc{window}"),
        )
        .await;
        let mut seen: Vec<String> = first["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        let mut after = first["page_info"]["end_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut step = 0;
        loop {
            // Everyone already listed jumps to the end of the ascending list, and newcomers
            // arrive: neither may show up twice nor hide anyone of the walk.
            step += 1;
            fx.ingest([
                Event::page_view().visitor("wuid_000").at(NOW - step),
                Event::page_view()
                    .visitor(format!("wuid_new{step}"))
                    .at(NOW - step),
            ]);
            let (status, page) = get(
                &fx,
                &key,
                Some(version),
                &format!("/people?first=10&direction=asc{window}&after={after}"),
            )
            .await;
            assert_eq!(status, 200, "{page}");
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["id"].as_str().unwrap().to_owned()),
            );
            if !page["page_info"]["has_next_page"].as_bool().unwrap() {
                break;
            }
            after = page["page_info"]["end_cursor"].as_str().unwrap().to_owned();
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{version}: someone twice");
        assert!(seen.len() >= 30, "{version}: {} people", seen.len());
    }
}

#[tokio::test]
async fn before_pages_back_and_bad_cursors_are_400s() {
    let (fx, key) = people(12).await;
    let (_, first) = get(&fx, &key, Some(ERA_C), "/people?first=5").await;
    let end = first["page_info"]["end_cursor"].as_str().unwrap();
    let (_, second) = get(
        &fx,
        &key,
        Some(ERA_C),
        &format!("/people?first=5&after={end}"),
    )
    .await;
    assert!(second["page_info"]["has_previous_page"].as_bool().unwrap());
    let start = second["page_info"]["start_cursor"].as_str().unwrap();
    let (_, back) = get(
        &fx,
        &key,
        Some(ERA_C),
        &format!("/people?first=5&before={start}"),
    )
    .await;
    assert_eq!(back["data"], first["data"]);
    for (query, param) in [
        ("after=bm90LWEtY3Vyc29y".to_owned(), "after"),
        (format!("before={end}&order=ltv"), "before"),
        (format!("after={end}&before={end}"), "before"),
        ("first=101".to_owned(), "first"),
    ] {
        let (status, body) = get(&fx, &key, Some(ERA_C), &format!("/people?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["param"], param, "{query}");
        assert_eq!(body["error"]["type"], "bad_request");
    }
}

#[tokio::test]
async fn malformed_versions_and_unknown_parameters_are_400s() {
    let (fx, key) = people(2).await;
    let (status, body) = get(&fx, &key, Some("latest"), "/people").await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("Api-Version-Date"))
    );
    for version in [None, Some(EARLY_B), Some(ERA_C)] {
        let (status, body) = get(&fx, &key, version, "/people?limit=5&colour=red").await;
        assert_eq!(status, 400, "{version:?}");
        assert_eq!(body["error"]["param"], "limit");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`colour`"),
            "{body}"
        );
    }
    let (_, aliased) = get(
        &fx,
        &key,
        Some(ERA_C),
        "/people?from=2026-09-20&to=2026-09-21T12:00:00Z",
    )
    .await;
    let (_, explicit) = get(
        &fx,
        &key,
        Some(ERA_C),
        "/people?event_from=2026-09-20&event_to=2026-09-21T12:00:00Z",
    )
    .await;
    assert_eq!(aliased["total_count"], 1, "{aliased}");
    assert_eq!(aliased["data"], explicit["data"], "from/to are aliases");
    let (status, _) = get(&fx, &key, Some(ERA_C), "/people/wuid_001?from=2026-01-01").await;
    assert_eq!(status, 400, "Era C's retrieve takes no window");
    let (status, body) = get(&fx, "wrong", Some(ERA_C), "/people?limit=5").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (401, Some("unauthorized")),
        "the key first"
    );
    let (status, body) = get(&fx, &key, Some(EARLY_B), "/people?sort=ltv&order=ltv").await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("order")),
        "Era C's names in Era B"
    );
}

#[tokio::test]
async fn events_are_listed_from_era_b_on_newest_first() {
    let (fx, key) = people(3).await;
    fx.ingest((1..=7).map(|i| {
        Event::purchase(f64::from(i))
            .visitor("wuid_001")
            .event_id(format!("o{i}"))
            .at(NOW - 100 + i64::from(i))
    }));
    let (status, body) = get(&fx, &key, None, "/events?identifier=wuid_001").await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (404, Some("Route not found: GET /whop/api/v1/events"))
    );
    let mut names = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = get(
            &fx,
            &key,
            Some(EARLY_B),
            &format!("/events?person_id=wuid_001&first=3{after}"),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        for event in page["data"].as_array().unwrap() {
            assert!(event["event_time"].is_i64());
            assert!(event["person_id"].as_str().unwrap().starts_with("prsn_"));
            names.push(event["event_id"].as_str().unwrap().to_owned());
        }
        if !page["page_info"]["has_next_page"].as_bool().unwrap() {
            break;
        }
        after = format!(
            "&after={}",
            page["page_info"]["end_cursor"].as_str().unwrap()
        );
    }
    assert_eq!(names[..7], ["o7", "o6", "o5", "o4", "o3", "o2", "o1"]);
    assert_eq!(names.len(), 8, "and the page view");
    let (_, window) = get(
        &fx,
        &key,
        Some(ERA_C),
        "/events?identifier=wuid_001&from=2026-09-21T00:00:00Z",
    )
    .await;
    assert_eq!(window["data"].as_array().unwrap().len(), 7);
    assert_eq!(window["data"][0]["total_usd_amount"], 7.0);
    let (status, _) = get(&fx, &key, Some(ERA_C), "/events?identifier=nobody").await;
    assert_eq!(status, 404);
    let (status, body) = get(&fx, &key, Some(ERA_C), "/events").await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("identifier"))
    );
}
