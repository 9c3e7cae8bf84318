//! Memory per request: every write endpoint of every vendor, sent a large body it accepts (or
//! one just over a field limit, which it refuses), raises the binary's peak resident memory by
//! at most a small multiple of the body. Measured by the kernel (`VmHWM`, reset before each
//! request), not timed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Binary, PIPEDRIVE_TOKEN, POSTHOG_KEY, POSTHOG_TOKEN, WHOP_KEY, client};

/// The peak may grow by this many times the body…
const BODY_MULTIPLE: u64 = 6;
/// …plus this much for what any request costs (buffers, allocator arenas, thread caches).
const SLACK: u64 = 32 << 20;
/// The size of the text a body carries where the endpoint keeps or ignores any length.
const BIG: usize = 8 << 20;

/// One request of the campaign and the status class it must get.
struct Case {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    accepted: bool,
}

fn case(method: Method, path: &str, body: &Value, accepted: bool) -> Case {
    let headers = if path.starts_with("/whop") {
        vec![("authorization", format!("Bearer {WHOP_KEY}"))]
    } else if path.starts_with("/posthog/api") {
        vec![("authorization", format!("Bearer {POSTHOG_KEY}"))]
    } else if path.starts_with("/pipedrive") {
        vec![("x-api-token", PIPEDRIVE_TOKEN.to_owned())]
    } else {
        Vec::new()
    };
    Case {
        method,
        path: path.to_owned(),
        headers,
        body: serde_json::to_vec(body).unwrap(),
        accepted,
    }
}

/// About `total` bytes of distinct words: the worst case of a search index.
fn words(total: usize) -> String {
    (0..total / 9).map(|n| format!("w{n:07} ")).collect()
}

fn whop_cases() -> Vec<Case> {
    let at_limit = "é".repeat(2048);
    let user = json!({"anonymous_id": at_limit, "email": at_limit, "name": at_limit, "phone": at_limit, "user_id": at_limit, "external_id": at_limit, "first_name": at_limit, "last_name": at_limit});
    vec![
        case(
            Method::POST,
            "/whop/api/v1/events",
            &json!({"account_id": "biz_demo", "event_name": "custom", "custom_name": at_limit, "url": at_limit, "event_id": at_limit, "user": user, "ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            "/whop/api/v1/events",
            &json!({"account_id": "biz_demo", "event_name": "custom", "custom_name": "x".repeat(BIG), "user": {"email": "a@b.co"}}),
            false,
        ),
    ]
}

fn posthog_cases() -> Vec<Case> {
    let person = "/posthog/api/projects/1/persons/2/";
    let event = |n: usize, text: &str| json!({"event": "big", "distinct_id": format!("big-{n}"), "properties": {"$set": {"text": text}}});
    let batch: Vec<Value> = (0..8).map(|n| event(n, &words(BIG / 8))).collect();
    let ids: Vec<String> = (0..1000).map(|n| format!("{n:0>190}")).collect();
    vec![
        case(
            Method::POST,
            "/posthog/i/v0/e/",
            &json!({"api_key": POSTHOG_TOKEN, "event": "big", "distinct_id": "big", "properties": {"$set": {"text": words(1_900_000)}}}),
            true,
        ),
        case(
            Method::POST,
            "/posthog/batch/",
            &json!({"api_key": POSTHOG_TOKEN, "batch": batch}),
            true,
        ),
        case(
            Method::PATCH,
            person,
            &json!({"properties": {"text": words(BIG)}}),
            true,
        ),
        case(
            Method::PUT,
            person,
            &json!({"properties": {"text": "x".repeat(BIG)}}),
            true,
        ),
        case(
            Method::POST,
            &format!("{person}update_property/"),
            &json!({"key": "words", "value": words(BIG)}),
            true,
        ),
        case(
            Method::POST,
            &format!("{person}delete_property/"),
            &json!({"$unset": "words", "ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            &format!("{person}split/"),
            &json!({"ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            "/posthog/api/projects/1/persons/bulk_delete/",
            &json!({"distinct_ids": ids, "ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            "/posthog/api/projects/1/persons/reset_person_distinct_id/",
            &json!({"distinct_id": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            &format!("{person}delete_events/"),
            &json!({"ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::POST,
            &format!("{person}delete_recordings/"),
            &json!({"ignored": "x".repeat(BIG)}),
            true,
        ),
        case(
            Method::PATCH,
            person,
            &json!({"properties": {"many": vec![1; 200_000]}}),
            false,
        ),
        case(Method::DELETE, person, &json!({}), true),
    ]
}

fn pipedrive_cases() -> Vec<Case> {
    let varchar = "é".repeat(255);
    let text = "é".repeat(65_535);
    let emails: Vec<String> = (0..100)
        .map(|n| format!("{n}{}", "e".repeat(240)))
        .collect();
    let ignored = "x".repeat(BIG);
    let v1 = |path: &str| format!("/pipedrive/v1{path}");
    let v2 = |path: &str| format!("/pipedrive/api/v2{path}");
    let person = json!({"name": varchar, "email": emails, "phone": emails, "ignored": ignored});
    let person_v2 = json!({"name": varchar, "emails": emails.iter().map(|value| json!({"value": value})).collect::<Vec<_>>()});
    vec![
        case(Method::POST, &v1("/persons"), &person, true),
        case(Method::PUT, &v1("/persons/1"), &person, true),
        case(Method::POST, &v2("/persons"), &person_v2, true),
        case(Method::PATCH, &v2("/persons/2"), &person_v2, true),
        case(
            Method::POST,
            &v1("/notes"),
            &json!({"content": text, "person_id": 1, "ignored": ignored}),
            true,
        ),
        case(
            Method::PUT,
            &v1("/notes/1"),
            &json!({"content": text, "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v1("/deals"),
            &json!({"title": varchar, "person_id": 1, "ignored": ignored}),
            true,
        ),
        case(
            Method::PUT,
            &v1("/deals/1"),
            &json!({"title": varchar, "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v2("/deals"),
            &json!({"title": varchar}),
            true,
        ),
        case(
            Method::POST,
            &v1("/deals/1/participants"),
            &json!({"person_id": 3, "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v1("/activities"),
            &json!({"subject": varchar, "note": text, "person_id": 1, "ignored": ignored}),
            true,
        ),
        case(
            Method::PUT,
            &v1("/activities/1"),
            &json!({"subject": varchar, "note": text, "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v2("/activities"),
            &json!({"subject": varchar, "note": text}),
            true,
        ),
        case(
            Method::POST,
            &v1("/personFields"),
            &json!({"name": varchar, "field_type": "varchar", "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v1("/persons/4/followers"),
            &json!({"user_id": 2, "ignored": ignored}),
            true,
        ),
        case(
            Method::PUT,
            &v1("/persons/5/merge"),
            &json!({"merge_with_id": 6, "ignored": ignored}),
            true,
        ),
        case(
            Method::POST,
            &v1("/persons"),
            &json!({"name": "x".repeat(BIG)}),
            false,
        ),
        case(
            Method::POST,
            &v1("/persons"),
            &json!({"name": "many", "label_ids": vec![1; 1_000_000]}),
            false,
        ),
        case(
            Method::POST,
            &v1("/notes"),
            &json!({"content": words(BIG), "person_id": 1}),
            false,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_costs_at_most_a_small_multiple_of_its_body() {
    let binary = Binary::start(&["--log-level", "warn"]);
    let client = client();
    let mut report = Vec::new();
    for case in [whop_cases(), posthog_cases(), pipedrive_cases()]
        .into_iter()
        .flatten()
    {
        binary.reset_peak_memory();
        let (before, _) = binary.memory();
        let mut request = client
            .request(case.method.clone(), format!("{}{}", binary.url, case.path))
            .header("content-type", "application/json")
            .body(case.body.clone());
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let (_, peak) = binary.memory();
        let body = case.body.len() as u64;
        let growth = peak.saturating_sub(before);
        let label = format!("{} {} ({} KiB body)", case.method, case.path, body >> 10);
        report.push(format!("{label}: {status}, peak +{} KiB", growth >> 10));
        assert_eq!(
            status.is_success(),
            case.accepted,
            "{label}: {status} {}",
            &text[..text.len().min(300)]
        );
        assert!(
            growth <= BODY_MULTIPLE * body + SLACK,
            "{label}: peak memory grew by {} KiB\n{}",
            growth >> 10,
            report.join("\n")
        );
    }
    println!("{}", report.join("\n"));
}
