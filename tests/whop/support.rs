//! Shared set-up: a mock with a frozen clock, an account, its key and an SDK client.

use persons_mock::MockServer;
use persons_mock::whop::{Event, Whop};
use persons_sdk::Error;
use persons_sdk::whop::{Client, types};

/// The frozen "now" of every test (2026-09-22T…Z).
pub const NOW: i64 = 1_790_000_000;
/// One day in seconds.
pub const DAY: i64 = 24 * 60 * 60;
/// The account most tests use.
pub const ACCOUNT: &str = "biz_test";

/// A running mock, its Whop handle, and a client holding an account key for [`ACCOUNT`].
pub struct Fixture {
    pub mock: MockServer,
    pub whop: Whop,
    pub client: Client,
}

impl Fixture {
    /// An empty mock frozen at [`NOW`] with one account and key.
    pub async fn new() -> Self {
        let mock = MockServer::start().await;
        mock.clock().set(NOW);
        let whop = mock.whop();
        let key = whop.create_account_key(ACCOUNT);
        let client = client(&whop, &key);
        Self { mock, whop, client }
    }

    /// Records `events` in [`ACCOUNT`].
    pub fn ingest(&self, events: impl IntoIterator<Item = Event>) {
        self.whop
            .ingest_all(ACCOUNT, events)
            .expect("events are valid");
    }

    /// Lists every person of the default window in one page, sorted by `sort` descending.
    pub async fn list_sorted_by(&self, sort: &str) -> Vec<types::Person> {
        self.client
            .generated()
            .list_people()
            .first(101)
            .sort(sort)
            .send()
            .await
            .expect("list succeeds")
            .into_inner()
            .data
    }
}

/// A client for `whop` using `key`, without retries so errors surface at once.
pub fn client(whop: &Whop, key: &str) -> Client {
    Client::builder()
        .base_url(whop.base_url())
        .api_key(key)
        .max_retries(0)
        .build()
        .expect("client builds")
}

/// The `V1ErrorResponse` of a failed call, with its status.
pub fn api_error<T: std::fmt::Debug>(result: Result<T, impl Into<Error>>) -> (u16, types::V1Error) {
    let error: Error = result.expect_err("the call must fail").into();
    let status = error.status().expect("an HTTP status").as_u16();
    let body = error.whop_error().expect("Whop's error body").clone();
    (status, body)
}

/// The `person_id`s of `people`, in order.
pub fn person_ids(people: &[types::Person]) -> Vec<&str> {
    people
        .iter()
        .map(|person| person.person_id.as_str())
        .collect()
}
