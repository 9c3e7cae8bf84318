//! [`MockServer`]: the in-process server a test starts, and the binary serves.

use std::net::TcpListener;
use std::sync::Arc;

use crate::clock::Clock;
use crate::pipedrive::Pipedrive;
use crate::posthog::PostHog;
use crate::router::App;
use crate::transport;
use crate::whop::Whop;

/// A running mock of all vendors, on its own port. Dropping it shuts it down.
///
/// ```no_run
/// # async fn demo() {
/// let mock = persons_mock::MockServer::start().await;
/// let key = mock.whop().create_account_key("biz_test");
/// println!("{} {key}", mock.whop().base_url());
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    server: wiremock::MockServer,
    app: Arc<App>,
}

/// Options for starting a [`MockServer`].
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    listener: Option<TcpListener>,
    record_requests: bool,
    clock: Option<Clock>,
}

impl MockServerBuilder {
    /// Serves on `listener` instead of a random port on 127.0.0.1.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Keeps every request for [`MockServer::received_requests`] (unbounded memory; for tests).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Reads time from `clock` (for example a frozen one).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Starts the server.
    pub async fn start(self) -> MockServer {
        let app = Arc::new(App::new(self.clock.unwrap_or_default()));
        let mut builder = wiremock::MockServer::builder();
        if let Some(listener) = self.listener {
            builder = builder.listener(listener);
        }
        if !self.record_requests {
            builder = builder.disable_request_recording();
        }
        let server = builder.start().await;
        server
            .register(transport::model_mock(Arc::clone(&app)))
            .await;
        MockServer { server, app }
    }
}

impl MockServer {
    /// Starts an empty mock on a random port of 127.0.0.1, recording requests.
    pub async fn start() -> Self {
        Self::builder().record_requests(true).start().await
    }

    /// Options: listener, request recording, clock.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The server's root URL, e.g. `http://127.0.0.1:43121`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The Whop People mock.
    pub fn whop(&self) -> Whop {
        Whop::new(
            Arc::clone(&self.app.whop),
            self.app.clock.clone(),
            &self.uri(),
        )
    }

    /// The Pipedrive Persons mock (API v1 and v2).
    pub fn pipedrive(&self) -> Pipedrive {
        Pipedrive::new(
            Arc::clone(&self.app.pipedrive),
            self.app.clock.clone(),
            &self.uri(),
        )
    }

    /// The PostHog mock (persons API and capture).
    pub fn posthog(&self) -> PostHog {
        PostHog::new(
            Arc::clone(&self.app.posthog),
            self.app.clock.clone(),
            &self.uri(),
        )
    }

    /// The clock shared by every vendor: freeze, set and advance it from tests.
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// The underlying wiremock server: mount higher-priority mocks on it to inject failures.
    pub fn wiremock(&self) -> &wiremock::MockServer {
        &self.server
    }

    /// The requests received so far (`None` when recording is off).
    pub async fn received_requests(&self) -> Option<Vec<wiremock::Request>> {
        self.server.received_requests().await
    }

    /// Forgets every vendor's data and keys; mounted wiremock mocks and the clock stay.
    pub fn reset(&self) {
        self.whop().reset();
        self.posthog().reset();
        self.pipedrive().reset();
    }
}
