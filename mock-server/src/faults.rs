//! Fault injection on top of the stateful model: a 429 with `Retry-After`, a 500, a delay or a
//! dropped connection, for the next N calls of an operation or route or for every call until
//! removed. Each fault is a wiremock mock mounted at [`FAULT_PRIORITY`], above the model's
//! catch-all; the request it answers is recorded in the journal with the fault's kind.
//!
//! ```no_run
//! # async fn demo(mock: &persons_mock::MockServer) -> Result<(), persons_mock::faults::FaultError> {
//! use std::time::Duration;
//! let faults = mock.faults();
//! faults.operation("listPeople").times(2).rate_limited(Duration::from_secs(1)).await?;
//! let outage = faults.operation("getPersons").in_api("pipedrive-v2").server_error().await?;
//! faults.route("GET", "/whop/api/v1/people/{id}").delay(Duration::from_millis(300)).await?;
//! outage.remove();
//! faults.clear();
//! # Ok(()) }
//! ```

mod bodies;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wiremock::{Match, Mock, Respond, ResponseTemplate};

use crate::operations::{self, RoutePattern};
use crate::transport::Exchange;

/// The wiremock priority of faults: above the model's catch-all (wiremock's lowest, 255),
/// below wiremock's default (5), so a
/// mock a test mounts itself on [`MockServer::wiremock`](crate::MockServer::wiremock) still wins.
/// Among faults that match the same request, the one injected first answers.
pub const FAULT_PRIORITY: u8 = 128;

/// What a fault does to a request it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// `429 Too Many Requests` with the vendor's body and `Retry-After` (whole seconds,
    /// rounded up).
    RateLimited {
        /// How long the client is asked to wait.
        retry_after: Duration,
    },
    /// `500 Internal Server Error` with the vendor's body.
    ServerError,
    /// The model answers, but only after this long.
    Delay(Duration),
    /// The connection is closed without an answer (hyper sees an I/O error, the client a
    /// connection reset or an incomplete message).
    DropConnection,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::RateLimited { retry_after } => write!(
                f,
                "rate limited (Retry-After: {})",
                bodies::retry_after_seconds(*retry_after)
            ),
            FaultKind::ServerError => f.write_str("server error"),
            FaultKind::Delay(by) => write!(f, "delayed by {by:?}"),
            FaultKind::DropConnection => f.write_str("dropped connection"),
        }
    }
}

/// Why a fault could not be injected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// No spec has an operation by that id.
    #[error("no operation in specs/ is named `{0}`")]
    UnknownOperation(String),
    /// The operation exists, but not in the API asked for.
    #[error("operation `{id}` is not in API `{api}`; it is in: {found}")]
    NotInApi {
        /// The operationId.
        id: String,
        /// The API asked for.
        api: String,
        /// The APIs that have it, comma-separated.
        found: String,
    },
    /// No spec is named so.
    #[error(
        "no API is named `{0}`; the APIs are the spec file stems (whop, posthog, pipedrive-v1, pipedrive-v2)"
    )]
    UnknownApi(String),
    /// The method or path of a route cannot be matched.
    #[error("invalid route: {0}")]
    InvalidRoute(String),
    /// `times(0)`: a fault that could never fire.
    #[error("`times(0)` injects a fault that never fires; leave `times` out to fault every call")]
    ZeroTimes,
}

/// An injected fault: how often it fired, and a way to remove it. Clones share it.
#[derive(Clone, Debug)]
pub struct Fault(Arc<FaultState>);

#[derive(Debug)]
struct FaultState {
    kind: FaultKind,
    /// `rate limited (Retry-After: 1) on listPeople, 2 time(s)`.
    description: String,
    /// How many requests it answers at most.
    limit: Option<u64>,
    /// Cleared by [`Fault::remove`] and [`Faults::clear`].
    active: AtomicBool,
    hits: AtomicU64,
}

impl Fault {
    /// What it does.
    pub fn kind(&self) -> &FaultKind {
        &self.0.kind
    }

    /// How many requests it has answered (or delayed, or dropped).
    pub fn hits(&self) -> u64 {
        self.0.hits.load(Ordering::SeqCst)
    }

    /// Whether it still fires: not removed, and not yet fired the number of times asked.
    pub fn is_active(&self) -> bool {
        self.0.active.load(Ordering::SeqCst) && self.0.limit.is_none_or(|limit| self.hits() < limit)
    }

    /// Stops it firing; the model answers the requests it matched from now on.
    pub fn remove(&self) {
        self.0.active.store(false, Ordering::SeqCst);
    }

    fn hit(&self) {
        self.0.hits.fetch_add(1, Ordering::SeqCst);
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.description)
    }
}

/// Every fault injected on one server, so that [`Faults::clear`] can remove them all.
#[derive(Clone, Debug, Default)]
pub(crate) struct FaultRegistry(Arc<Mutex<Vec<Fault>>>);

impl FaultRegistry {
    fn push(&self, fault: Fault) {
        let mut faults = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        faults.retain(Fault::is_active);
        faults.push(fault);
    }

    fn take(&self) -> Vec<Fault> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn active(&self) -> Vec<Fault> {
        let faults = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        faults
            .iter()
            .filter(|fault| fault.is_active())
            .cloned()
            .collect()
    }
}

/// Injects faults into one running [`MockServer`](crate::MockServer); from
/// [`MockServer::faults`](crate::MockServer::faults).
#[derive(Clone, Debug)]
pub struct Faults<'a> {
    server: &'a wiremock::MockServer,
    exchange: Exchange,
    registry: FaultRegistry,
}

impl<'a> Faults<'a> {
    /// Faults mounted on `server`, answering through `exchange`, remembered in `registry`.
    pub(crate) fn new(
        server: &'a wiremock::MockServer,
        exchange: Exchange,
        registry: FaultRegistry,
    ) -> Self {
        Self {
            server,
            exchange,
            registry,
        }
    }

    /// A fault on every call of operation `id` (in each API that has it; narrow with
    /// [`FaultBuilder::in_api`]).
    pub fn operation(&self, id: &str) -> FaultBuilder<'a> {
        let selector = if operations::exists(id) {
            Ok(Selector::Operation(id.to_owned()))
        } else {
            Err(FaultError::UnknownOperation(id.to_owned()))
        };
        FaultBuilder::new(self.clone(), selector, id.to_owned())
    }

    /// A fault on every `method` request to `path`: a concrete path or a template with
    /// `{param}` segments, spec operation or not.
    pub fn route(&self, method: &str, path: &str) -> FaultBuilder<'a> {
        let selector = RoutePattern::parse(method, path)
            .map(Selector::Route)
            .map_err(FaultError::InvalidRoute);
        FaultBuilder::new(
            self.clone(),
            selector,
            format!("{} {path}", method.to_ascii_uppercase()),
        )
    }

    /// The faults that still fire.
    pub fn active(&self) -> Vec<Fault> {
        self.registry.active()
    }

    /// Removes every fault injected so far; the model answers everything again.
    pub fn clear(&self) {
        for fault in self.registry.take() {
            fault.remove();
        }
    }
}

/// Which requests a fault considers, before [`FaultBuilder::in_api`].
#[derive(Clone, Debug)]
enum Selector {
    Operation(String),
    Route(RoutePattern),
}

/// Which requests a fault fires on.
#[derive(Clone, Debug)]
struct Target {
    selector: Selector,
    api: Option<String>,
}

impl Target {
    fn matches(&self, method: &str, path: &str) -> bool {
        let wanted_id = match &self.selector {
            Selector::Route(pattern) if !pattern.matches(method, path) => return false,
            Selector::Route(_) if self.api.is_none() => return true,
            Selector::Route(_) => None,
            Selector::Operation(id) => Some(id.as_str()),
        };
        operations::lookup(method, path).is_some_and(|op| {
            wanted_id.is_none_or(|id| op.id() == id)
                && self.api.as_deref().is_none_or(|api| op.api() == api)
        })
    }

    /// Fails when the API filter can never match.
    fn check(&self) -> Result<(), FaultError> {
        let Some(api) = &self.api else {
            return Ok(());
        };
        match &self.selector {
            Selector::Operation(id) => {
                let named = operations::named(id);
                if named.iter().any(|op| op.api() == api) {
                    return Ok(());
                }
                let found: Vec<&str> = named.iter().map(|op| op.api()).collect();
                Err(FaultError::NotInApi {
                    id: id.clone(),
                    api: api.clone(),
                    found: found.join(", "),
                })
            }
            Selector::Route(_) if operations::all().iter().any(|op| op.api() == api) => Ok(()),
            Selector::Route(_) => Err(FaultError::UnknownApi(api.clone())),
        }
    }
}

/// A fault being described: its target, how many times, then its kind (which injects it).
#[must_use = "a fault is injected only when one of its kinds is awaited"]
#[derive(Debug)]
pub struct FaultBuilder<'a> {
    faults: Faults<'a>,
    selector: Result<Selector, FaultError>,
    label: String,
    api: Option<String>,
    times: Option<u64>,
}

impl<'a> FaultBuilder<'a> {
    fn new(faults: Faults<'a>, selector: Result<Selector, FaultError>, label: String) -> Self {
        Self {
            faults,
            selector,
            label,
            api: None,
            times: None,
        }
    }

    /// Fires on the next `times` matching requests only (default: every one until removed).
    pub fn times(mut self, times: u64) -> Self {
        self.times = Some(times);
        self
    }

    /// Fires only on requests to API `api` (`whop`, `posthog`, `pipedrive-v1`,
    /// `pipedrive-v2`), e.g. Pipedrive's v2 `getPersons` but not v1's.
    pub fn in_api(mut self, api: &str) -> Self {
        self.api = Some(api.to_owned());
        self
    }

    /// Answers `429` with the vendor's body and `Retry-After`.
    pub async fn rate_limited(self, retry_after: Duration) -> Result<Fault, FaultError> {
        self.inject(FaultKind::RateLimited { retry_after }).await
    }

    /// Answers `500` with the vendor's body.
    pub async fn server_error(self) -> Result<Fault, FaultError> {
        self.inject(FaultKind::ServerError).await
    }

    /// Lets the model answer, `by` later.
    pub async fn delay(self, by: Duration) -> Result<Fault, FaultError> {
        self.inject(FaultKind::Delay(by)).await
    }

    /// Closes the connection without answering.
    pub async fn drop_connection(self) -> Result<Fault, FaultError> {
        self.inject(FaultKind::DropConnection).await
    }

    async fn inject(self, kind: FaultKind) -> Result<Fault, FaultError> {
        let target = Target {
            selector: self.selector?,
            api: self.api,
        };
        target.check()?;
        if self.times == Some(0) {
            return Err(FaultError::ZeroTimes);
        }
        let mut description = format!("{kind} on {}", self.label);
        if let Some(api) = &target.api {
            description.push_str(&format!(" in {api}"));
        }
        if let Some(times) = self.times {
            description.push_str(&format!(", {times} time(s)"));
        }
        let fault = Fault(Arc::new(FaultState {
            kind: kind.clone(),
            description: description.clone(),
            limit: self.times,
            active: AtomicBool::new(true),
            hits: AtomicU64::new(0),
        }));
        let given = Mock::given(FaultMatcher {
            fault: fault.clone(),
            target,
        });
        let exchange = self.faults.exchange.clone();
        let reply = |reply| FaultResponder {
            fault: fault.clone(),
            exchange: exchange.clone(),
            reply,
        };
        let mock = match kind {
            FaultKind::RateLimited { retry_after } => {
                given.respond_with(reply(Reply::RateLimited(retry_after)))
            }
            FaultKind::ServerError => given.respond_with(reply(Reply::ServerError)),
            FaultKind::Delay(by) => given.respond_with(reply(Reply::Delay(by))),
            FaultKind::DropConnection => {
                let fault = fault.clone();
                given.respond_with_err(move |request: &wiremock::Request| {
                    fault.hit();
                    exchange.record_dropped(request, fault.kind().clone());
                    std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        format!("persons mock: {fault}"),
                    )
                })
            }
        };
        let mock = mock.with_priority(FAULT_PRIORITY).named(description);
        let mock = match self.times {
            Some(times) => mock.up_to_n_times(times),
            None => mock,
        };
        self.faults.server.register(mock).await;
        self.faults.registry.push(fault.clone());
        Ok(fault)
    }
}

/// Matches the requests of a fault's target while the fault is active.
struct FaultMatcher {
    fault: Fault,
    target: Target,
}

impl Match for FaultMatcher {
    fn matches(&self, request: &wiremock::Request) -> bool {
        self.fault.0.active.load(Ordering::SeqCst)
            && self
                .target
                .matches(request.method.as_str(), request.url.path())
    }
}

/// What a [`FaultResponder`] answers (a dropped connection has no responder).
#[derive(Clone, Copy, Debug)]
enum Reply {
    RateLimited(Duration),
    ServerError,
    Delay(Duration),
}

/// Answers a matched request as its fault says.
struct FaultResponder {
    fault: Fault,
    exchange: Exchange,
    reply: Reply,
}

impl Respond for FaultResponder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.fault.hit();
        let kind = self.fault.kind().clone();
        let path = request.url.path();
        match self.reply {
            Reply::RateLimited(retry_after) => {
                let response = bodies::rate_limited(path, retry_after);
                self.exchange.answer_with(request, response, kind)
            }
            Reply::ServerError => {
                let response = bodies::server_error(path);
                self.exchange.answer_with(request, response, kind)
            }
            Reply::Delay(by) => self.exchange.answer(request, Some(kind)).set_delay(by),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockServer;

    fn target(selector: Selector, api: Option<&str>) -> Target {
        Target {
            selector,
            api: api.map(str::to_owned),
        }
    }

    fn request(method: &str, path: &str) -> wiremock::Request {
        wiremock::Request {
            url: format!("http://127.0.0.1{path}").parse().unwrap(),
            method: method.parse().unwrap(),
            headers: wiremock::http::HeaderMap::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn targets_match_operations_routes_and_apis() {
        let persons = target(Selector::Operation("getPersons".into()), None);
        assert!(persons.matches("GET", "/pipedrive/v1/persons"));
        assert!(persons.matches("GET", "/pipedrive/api/v2/persons"));
        assert!(!persons.matches("POST", "/pipedrive/api/v2/persons"));
        let v2 = target(
            Selector::Operation("getPersons".into()),
            Some("pipedrive-v2"),
        );
        assert!(!v2.matches("GET", "/pipedrive/v1/persons"));
        assert!(v2.matches("GET", "/pipedrive/api/v2/persons"));

        let route = RoutePattern::parse("GET", "/whop/api/v1/people/{id}").unwrap();
        let route = target(Selector::Route(route), None);
        assert!(route.matches("GET", "/whop/api/v1/people/pers_1"));
        assert!(!route.matches("GET", "/whop/api/v1/people"));

        let any_version = RoutePattern::parse("GET", "/pipedrive/{version}/persons").unwrap();
        let v1_only = target(Selector::Route(any_version), Some("pipedrive-v1"));
        assert!(v1_only.matches("GET", "/pipedrive/v1/persons"));
        assert!(!v1_only.matches("GET", "/pipedrive/v2/persons"));
        assert!(!v1_only.matches("GET", "/pipedrive/v1/deals"));
    }

    #[tokio::test]
    async fn bad_targets_are_errors_not_panics() {
        let mock = MockServer::start().await;
        let faults = mock.faults();
        let error = faults
            .operation("lisPeople")
            .server_error()
            .await
            .unwrap_err();
        assert_eq!(error, FaultError::UnknownOperation("lisPeople".into()));
        let error = faults
            .operation("listPeople")
            .in_api("posthog")
            .server_error()
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "operation `listPeople` is not in API `posthog`; it is in: whop"
        );
        let error = faults
            .route("GET", "/x")
            .in_api("pipedrive-v3")
            .server_error()
            .await
            .unwrap_err();
        assert_eq!(error, FaultError::UnknownApi("pipedrive-v3".into()));
        let error = faults
            .route("GET", "people")
            .server_error()
            .await
            .unwrap_err();
        assert!(matches!(error, FaultError::InvalidRoute(_)), "{error}");
        let error = faults
            .operation("listPeople")
            .times(0)
            .server_error()
            .await
            .unwrap_err();
        assert_eq!(error, FaultError::ZeroTimes);
        assert!(faults.active().is_empty());
    }

    #[tokio::test]
    async fn faults_are_listed_until_used_up_removed_or_cleared() {
        let mock = MockServer::start().await;
        let faults = mock.faults();
        let once = faults
            .operation("listPeople")
            .times(1)
            .rate_limited(Duration::from_millis(1_200))
            .await
            .unwrap();
        assert_eq!(
            once.to_string(),
            "rate limited (Retry-After: 2) on listPeople, 1 time(s)"
        );
        let always = faults
            .route("post", "/posthog/batch/")
            .server_error()
            .await
            .unwrap();
        assert_eq!(always.to_string(), "server error on POST /posthog/batch/");
        assert_eq!(faults.active().len(), 2);
        once.hit();
        assert!(!once.is_active());
        assert_eq!(faults.active().len(), 1);
        always.remove();
        assert!(faults.active().is_empty());
        let later = faults
            .operation("createEvent")
            .drop_connection()
            .await
            .unwrap();
        faults.clear();
        assert!(!later.is_active());
    }

    #[test]
    fn responders_answer_with_the_vendor_body_and_journal_the_fault() {
        let app = Arc::new(crate::router::App::default());
        let journal = crate::journal::Journal::new(crate::journal::JournalConfig::default());
        let exchange = Exchange::new(app, journal.clone());
        let fault = |kind: FaultKind| {
            Fault(Arc::new(FaultState {
                description: kind.to_string(),
                kind,
                limit: None,
                active: AtomicBool::new(true),
                hits: AtomicU64::new(0),
            }))
        };
        let limited = fault(FaultKind::RateLimited {
            retry_after: Duration::from_secs(3),
        });
        let responder = FaultResponder {
            fault: limited.clone(),
            exchange: exchange.clone(),
            reply: Reply::RateLimited(Duration::from_secs(3)),
        };
        responder.respond(&request("GET", "/posthog/api/projects/1/persons/"));
        assert_eq!(limited.hits(), 1);
        let delayed = FaultResponder {
            fault: fault(FaultKind::Delay(Duration::from_millis(5))),
            exchange,
            reply: Reply::Delay(Duration::from_millis(5)),
        };
        delayed.respond(&request("GET", "/whop/api/v1/people"));

        let entries = journal.entries();
        let throttled = &entries[0];
        assert_eq!(throttled.operation_id(), Some("persons_list"));
        assert_eq!(throttled.status(), Some(429));
        assert_eq!(throttled.response_header("retry-after"), Some("3"));
        assert_eq!(
            throttled.response_json().unwrap()["type"],
            "throttled_error"
        );
        assert_eq!(throttled.fault(), Some(limited.kind()));
        let model = &entries[1];
        assert_eq!(model.status(), Some(401), "the model answered (no key)");
        assert_eq!(
            model.fault(),
            Some(&FaultKind::Delay(Duration::from_millis(5)))
        );
        assert_eq!(
            (model.method(), model.path()),
            ("GET", "/whop/api/v1/people")
        );
    }
}
