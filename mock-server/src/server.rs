//! [`MockServer`]: the in-process server a test starts, and the binary serves.

use std::net::TcpListener;
use std::sync::Arc;

use crate::clock::Clock;
use crate::faults::{FaultRegistry, Faults};
use crate::journal::{Journal, JournalConfig, UnmatchedGuard};
use crate::pipedrive::Pipedrive;
use crate::posthog::PostHog;
use crate::router::App;
use crate::seed::{Seed, SeedError};
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
    journal: Journal,
    faults: FaultRegistry,
    /// Panics on drop after unmatched requests, when the builder asked for it.
    _unmatched: UnmatchedGuard,
}

/// Options for starting a [`MockServer`].
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    listener: Option<TcpListener>,
    record_requests: bool,
    clock: Option<Clock>,
    journal: JournalConfig,
    fail_on_unmatched: bool,
    seed: Option<Seed>,
    demo: bool,
    admin_token: Option<String>,
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

    /// Keeps a journal of every request (on by default; see [`MockServer::journal`]).
    /// Unmatched requests are reported and kept either way.
    pub fn journal(mut self, record: bool) -> Self {
        self.journal.recording = record;
        self
    }

    /// How many journal entries are kept before the oldest are dropped (default
    /// [`DEFAULT_CAPACITY`](crate::journal::DEFAULT_CAPACITY)).
    pub fn journal_capacity(mut self, capacity: usize) -> Self {
        self.journal.capacity = capacity;
        self
    }

    /// Makes the server panic when it is dropped if any request was unmatched (no spec
    /// operation, answered 404), unless the thread is already panicking.
    pub fn fail_on_unmatched(mut self, fail: bool) -> Self {
        self.fail_on_unmatched = fail;
        self
    }

    /// Starts with `seed` loaded; [`MockServer::reset_to_seed`] brings it back.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Starts with the built-in demo tenants the `persons-mock` binary serves (after the
    /// [`seed`](Self::seed), if any): their credentials are the `DEMO_*` constants of
    /// [`whop`](crate::whop), [`posthog`](crate::posthog) and [`pipedrive`](crate::pipedrive).
    /// [`MockServer::reset_to_seed`] brings them back.
    pub fn demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin API under `/_admin`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    ///
    /// When the [`seed`](Self::seed) does not load (the message names the faulty entry), or
    /// the demo tenants do not load.
    pub async fn start(self) -> MockServer {
        let mut app = App::new(self.clock.unwrap_or_default()).with_admin_token(self.admin_token);
        let (seed, demo) = (self.seed, self.demo);
        if seed.is_some() || demo {
            app = app.with_seeder(Arc::new(move |app: &App| {
                if let Some(seed) = &seed {
                    app.load_seed(seed).map_err(|error| error.to_string())?;
                }
                if demo { app.load_demo() } else { Ok(()) }
            }));
        }
        if let Err(error) = app.seed() {
            panic!("persons mock: the seed does not load: {error}");
        }
        let app = Arc::new(app);
        let mut builder = wiremock::MockServer::builder();
        if let Some(listener) = self.listener {
            builder = builder.listener(listener);
        }
        if !self.record_requests {
            builder = builder.disable_request_recording();
        }
        let server = builder.start().await;
        let journal = Journal::new(self.journal);
        let exchange = transport::Exchange::new(Arc::clone(&app), journal.clone());
        server.register(transport::model_mock(exchange)).await;
        MockServer {
            server,
            app,
            _unmatched: UnmatchedGuard::new(journal.clone(), self.fail_on_unmatched),
            journal,
            faults: FaultRegistry::default(),
        }
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
        self.app.whop_at(&self.uri())
    }

    /// The Pipedrive Persons mock (API v1 and v2).
    pub fn pipedrive(&self) -> Pipedrive {
        self.app.pipedrive_at(&self.uri())
    }

    /// The PostHog mock (persons API and capture).
    pub fn posthog(&self) -> PostHog {
        self.app.posthog_at(&self.uri())
    }

    /// The clock shared by every vendor: freeze, set and advance it from tests.
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// The underlying wiremock server: mount higher-priority mocks on it to inject failures.
    pub fn wiremock(&self) -> &wiremock::MockServer {
        &self.server
    }

    /// The journal of every request the server answered (see [`Journal`]).
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Injects faults (429, 500, delay, dropped connection) above the stateful model.
    pub fn faults(&self) -> Faults<'_> {
        let exchange = transport::Exchange::new(Arc::clone(&self.app), self.journal.clone());
        Faults::new(&self.server, exchange, self.faults.clone())
    }

    /// Panics, listing them, if any request was unmatched (no spec operation, answered 404)
    /// since the start or the last [`Journal::clear`].
    #[track_caller]
    pub fn assert_no_unmatched(&self) {
        self.journal.assert_no_unmatched();
    }

    /// The requests received so far (`None` when recording is off).
    pub async fn received_requests(&self) -> Option<Vec<wiremock::Request>> {
        self.server.received_requests().await
    }

    /// Forgets every vendor's data and keys; mounted wiremock mocks, the journal and the
    /// clock stay.
    pub fn reset(&self) {
        if let Err(error) = self.app.reset() {
            tracing::error!(%error, "persons mock: reset failed");
        }
    }

    /// Forgets everything, then loads the builder's [`seed`](MockServerBuilder::seed) again
    /// (empty without one).
    pub fn reset_to_seed(&self) -> Result<(), String> {
        self.app.reset_to_seed()
    }

    /// Adds `seed`'s tenants, keys and data (all or nothing).
    pub fn load_seed(&self, seed: &Seed) -> Result<(), SeedError> {
        self.app.load_seed(seed)
    }

    /// The whole state of every vendor as a seed: save it, load it into another mock.
    pub fn export_seed(&self) -> Seed {
        self.app.export_seed()
    }
}
