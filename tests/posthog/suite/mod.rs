//! PostHog's own tests, translated: each test here names the PostHog test it mirrors (file and
//! test function of repository PostHog/posthog) and checks, through HTTP, what that test checks
//! that a client can observe. Persons are built the way the mock builds them, from events;
//! PostHog-internal checks (ClickHouse rows, versions, Kafka messages, mocked capture calls)
//! become the answers those internals lead to. `docs/posthog.md` lists what does not apply.

mod person_state_batch;
mod point_in_time;
mod process_event;
mod properties;
mod test_person;
mod timeline;

use persons_mock::posthog::Event;
use serde_json::{Value, json};

use crate::support::{Fixture, NOW, PROJECT};

/// PostHog's `freeze_time("2021-08-25T22:09:14.252Z")`, in microseconds.
pub const FROZEN: i64 = 1_629_929_354_252_000;

/// A fixture whose persons are made as PostHog's `_create_person` makes them: one after the
/// other (a second apart, so the list's newest-first order is the creation order reversed).
pub struct Suite {
    pub fixture: Fixture,
    created: std::cell::Cell<i64>,
}

impl Suite {
    /// An empty project 1 at the fixture's frozen now.
    pub async fn new() -> Self {
        Self {
            fixture: Fixture::new().await,
            created: std::cell::Cell::new(0),
        }
    }

    /// An empty project 1 with the clock at PostHog's frozen test time.
    pub async fn frozen() -> Self {
        let suite = Self::new().await;
        suite.fixture.mock.clock().set_micros(FROZEN);
        suite
    }

    /// A person owning `distinct_ids` (the first names its UUID) with `properties`: a `$set`
    /// event creates it, `$merge_dangerously` events add the other ids (which, unlike
    /// PostHog's `_create_person`, marks it identified).
    pub fn create_person(&self, distinct_ids: &[&str], properties: Value) {
        let n = self.created.get();
        self.created.set(n + 1);
        self.create_person_at(distinct_ids, properties, NOW - 100_000 + n);
    }

    /// [`Suite::create_person`] at `at` (Unix seconds).
    pub fn create_person_at(&self, distinct_ids: &[&str], properties: Value, at: i64) {
        let first = distinct_ids[0];
        let mut event = Event::new("$set", first).at(at);
        for (key, value) in properties.as_object().cloned().unwrap_or_default() {
            event = event.set(&key, value);
        }
        let merges = distinct_ids[1..]
            .iter()
            .map(|other| Event::merge_dangerously(first, other).at(at));
        self.fixture.seed(std::iter::once(event).chain(merges));
    }

    /// Sends `events` (capture's event objects) to `/batch/` with the project token, as an
    /// SDK would; capture must accept them.
    pub async fn ingest(&self, events: Value) {
        let body = json!({"api_key": self.fixture.token, "batch": events});
        let response = reqwest::Client::new()
            .post(format!("{}/batch/", self.fixture.posthog.base_url()))
            .json(&body)
            .send()
            .await
            .expect("the mock answers");
        assert_eq!(response.status().as_u16(), 200, "{body}");
    }

    /// Every person of the project as the list shows them, oldest first.
    pub async fn persons(&self) -> Vec<Value> {
        let (_, body) = self.get("/api/person/?limit=1000").await;
        results(&body).iter().rev().cloned().collect()
    }

    /// `GET path` (below the PostHog mount) with the fixture's key: status and JSON body
    /// (`null` when empty or not JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `POST path` with a JSON `body`.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// `DELETE path`: status and raw body.
    pub async fn delete(&self, path: &str) -> (u16, String) {
        self.fixture.raw(reqwest::Method::DELETE, path, None).await
    }

    /// `method path` with an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, text) = self.fixture.raw(method, path, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The JSON body of an absolute `url` (a `next` link), with the fixture's key.
    pub async fn follow(&self, url: &str) -> Value {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(&self.fixture.key)
            .send()
            .await
            .expect("the mock answers")
            .json()
            .await
            .expect("a JSON body")
    }

    /// The person owning `distinct_id` as retrieve shows it (`null` if none).
    pub async fn person(&self, distinct_id: &str) -> Value {
        match self.fixture.posthog.person(PROJECT, distinct_id) {
            Some(person) => self.get(&format!("/api/person/{}/", person.uuid)).await.1,
            None => Value::Null,
        }
    }

    /// The UUID of the person owning `distinct_id`.
    pub fn uuid(&self, distinct_id: &str) -> String {
        self.fixture
            .posthog
            .person(PROJECT, distinct_id)
            .expect("a person")
            .uuid
            .to_string()
    }

    /// The numeric id of the person owning `distinct_id`.
    pub fn pk(&self, distinct_id: &str) -> String {
        self.fixture.pk(distinct_id)
    }
}

/// The `results` of a list body.
pub fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results")
}

/// `properties` without the `$creator_event_uuid` every person made by ingestion has.
pub fn own_properties(person: &Value) -> Value {
    let mut properties = person["properties"].clone();
    if let Some(map) = properties.as_object_mut() {
        map.remove("$creator_event_uuid");
    }
    properties
}

/// `[{"key", "value", "operator", "type": "person"}]` as the `properties` parameter.
pub fn filter(filters: Value) -> String {
    let text = filters.to_string();
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The activity entry PostHog's `_assert_person_activity` expects, by the fixture's key owner
/// (Mock, `mock@posthog.local`) at the frozen time.
pub fn activity(activity: &str, item_id: &str, detail: Value) -> Value {
    json!({
        "user": {"first_name": "Mock", "email": "mock@posthog.local"},
        "activity": activity,
        "scope": "Person",
        "item_id": item_id,
        "detail": detail,
        "created_at": "2021-08-25T22:09:14.252000Z",
    })
}
