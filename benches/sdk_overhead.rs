//! SDK overhead: one typed call (Whop list people, first=10) against an in-process mock, versus
//! the same request sent with plain reqwest and parsed into a `serde_json::Value`. Both reuse
//! one client across iterations and hit the same mock, loaded with synthetic data and a frozen
//! clock, so the difference is what the SDK adds (request building, typed decoding, retry and
//! error plumbing).
//!
//! `cargo bench -p persons --bench sdk_overhead`.

use divan::Bencher;
use persons_mock::MockServer;
use persons_mock::internals::{self as synthetic, whop::KEY};
use persons_sdk::whop::{Client, PeopleQuery};
use tokio::runtime::Runtime;

/// Synthetic events loaded into the mock's Whop account.
const EVENTS: usize = 20_000;
/// People per page.
const PAGE: u32 = 10;

fn main() {
    divan::main();
}

/// A runtime and a mock holding the synthetic Whop account.
fn mock() -> (Runtime, MockServer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mock = runtime.block_on(
        MockServer::builder()
            .clock(persons_mock::Clock::frozen_at(synthetic::NOW))
            .start(),
    );
    synthetic::whop::load(&mock.whop(), EVENTS).expect("synthetic events are valid");
    (runtime, mock)
}

/// `client.list_people(first=10)`: the typed SDK call.
#[divan::bench]
fn typed_sdk_call(bencher: Bencher) {
    let (runtime, mock) = mock();
    let client = Client::builder()
        .base_url(mock.whop().base_url())
        .api_key(KEY)
        .build()
        .expect("a client");
    let query = PeopleQuery {
        page_size: Some(PAGE),
        ..PeopleQuery::default()
    };
    let page = runtime
        .block_on(client.list_people(&query, 0))
        .expect("the list answers");
    assert_eq!(page.data.len(), PAGE as usize);
    bencher.bench_local(|| runtime.block_on(client.list_people(&query, 0)));
}

/// `GET /people?first=10` with reqwest, parsed into a `serde_json::Value`.
#[divan::bench]
fn raw_reqwest_call(bencher: Bencher) {
    let (runtime, mock) = mock();
    let client = reqwest::Client::new();
    let url = format!("{}/people", mock.whop().base_url());
    let call = || async {
        client
            .get(&url)
            .query(&[("first", PAGE.to_string())])
            .bearer_auth(KEY)
            .send()
            .await?
            .error_for_status()?
            .json::<serde_json::Value>()
            .await
    };
    let page = runtime.block_on(call()).expect("the list answers");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(PAGE as usize));
    bencher.bench_local(|| runtime.block_on(call()));
}
