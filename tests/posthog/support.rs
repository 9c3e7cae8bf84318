//! Shared set-up: a mock with a frozen clock, project 1 with its token, an all-access key,
//! an SDK client and a capture client.

use persons_mock::MockServer;
use persons_mock::posthog::{Event, PersonalKey, PostHog};
use persons_sdk::Error;
use persons_sdk::posthog::{CaptureClient, Client, types};

/// The frozen "now" of every test (2026-09-21T…Z), in seconds.
pub const NOW: i64 = 1_790_000_000;
/// The project most tests use.
pub const PROJECT: i64 = 1;

/// A running mock and clients for [`PROJECT`].
pub struct Fixture {
    pub mock: MockServer,
    pub posthog: PostHog,
    pub token: String,
    pub key: String,
    pub client: Client,
    pub capture: CaptureClient,
}

impl Fixture {
    /// An empty mock frozen at [`NOW`] with project 1, its token and an all-access key.
    pub async fn new() -> Self {
        let mock = MockServer::start().await;
        mock.clock().set(NOW);
        let posthog = mock.posthog();
        let token = posthog.create_project(PROJECT);
        let key = posthog.create_personal_key(PersonalKey::all_access(PROJECT));
        let client = client(&posthog, &key, "1");
        let capture = CaptureClient::builder()
            .base_url(posthog.base_url())
            .project_token(&token)
            .build()
            .expect("capture client builds");
        Self {
            mock,
            posthog,
            token,
            key,
            client,
            capture,
        }
    }

    /// Ingests `events` into [`PROJECT`] directly.
    pub fn seed(&self, events: impl IntoIterator<Item = Event>) {
        self.posthog
            .capture_all(PROJECT, events)
            .expect("events are accepted");
    }

    /// The numeric id (as the path takes it) of the person owning `distinct_id`.
    pub fn pk(&self, distinct_id: &str) -> String {
        self.posthog
            .person(PROJECT, distinct_id)
            .expect("a person")
            .pk
            .to_string()
    }

    /// A raw HTTP client call: `method` on `path` below the PostHog base URL with the key.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String) {
        let http = reqwest::Client::new();
        let mut request = http
            .request(method, format!("{}{path}", self.posthog.base_url()))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the mock answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }
}

/// A client for `posthog` with `key` on `project`, without retries so errors surface at once.
pub fn client(posthog: &PostHog, key: &str, project: &str) -> Client {
    Client::builder()
        .base_url(posthog.base_url())
        .personal_api_key(key)
        .project_id(project)
        .max_retries(0)
        .build()
        .expect("client builds")
}

/// PostHog's error body of a failed call, with its status.
pub fn api_error<T: std::fmt::Debug>(
    result: Result<T, impl Into<Error>>,
) -> (u16, types::PostHogError) {
    let error: Error = result.expect_err("the call must fail").into();
    let status = error.status().expect("an HTTP status").as_u16();
    let body = error
        .posthog_error()
        .unwrap_or_else(|| panic!("PostHog's error body, got {error:?}"))
        .clone();
    (status, body)
}

/// `{type, code, detail, attr}` as a tuple, for compact assertions.
pub fn parts(body: &types::PostHogError) -> (&str, &str, &str, Option<&str>) {
    (&body.type_, &body.code, &body.detail, body.attr.as_deref())
}
