//! Retries with exponential backoff, shared by every vendor client.
//!
//! Each generated client carries a [`RetryPolicy`] in its inner value, and the SDK implements
//! `progenitor_client::ClientHooks::exec` for it so that every request goes through the
//! policy. Every generated call therefore retries, including calls made through a vendor's
//! `generated()` client.
//!
//! What is retried: requests with a safe method (`GET`, `HEAD`, `OPTIONS`) that failed with
//! `429 Too Many Requests`, a `5xx` status, or a connection-level error (connect, timeout,
//! reset). Other methods are sent exactly once. Between attempts the policy waits for the
//! `Retry-After` the server sent (delta-seconds or an HTTP date), or else for an exponential
//! backoff with jitter; either wait is capped by [`RetryPolicy::with_max_delay`].

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

/// How many times a failed request is retried by default (so three attempts in all).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The first backoff delay by default; each further retry doubles it.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// The longest single wait by default, for backoff and `Retry-After` alike.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

/// When and how long to wait before retrying a failed idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    max_retries: u32,
    /// Backoff before the first retry, doubled for each further one.
    base_delay: Duration,
    /// Cap on any single wait.
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self::default().with_max_retries(0)
    }

    /// Sets how many times a failed request is retried after the first attempt.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the backoff before the first retry; each further retry doubles it (with jitter).
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets the cap on any single wait, whether it comes from backoff or from `Retry-After`.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// How many times a failed request is retried after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Sends `request` with `send`, retrying as the module docs describe. The outcome of the
    /// last attempt is returned as it is, so an exhausted 429 or 5xx reaches the caller's usual
    /// status handling. `operation` names the request in logs.
    pub(crate) async fn execute<F, Fut>(
        &self,
        mut request: Request,
        operation: &str,
        send: F,
    ) -> reqwest::Result<Response>
    where
        F: Fn(Request) -> Fut,
        Fut: Future<Output = reqwest::Result<Response>>,
    {
        let retryable_method = is_safe(request.method());
        let mut retry = 0;
        loop {
            let spare = if retryable_method && retry < self.max_retries {
                request.try_clone()
            } else {
                None
            };
            let outcome = send(request).await;
            let Some(spare) = spare else {
                return outcome;
            };
            let Some(delay) = self.delay_after(&outcome, retry) else {
                return outcome;
            };
            tracing::debug!(
                operation,
                retry = retry + 1,
                max_retries = self.max_retries,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                outcome = %describe(&outcome),
                "retrying request",
            );
            tokio::time::sleep(delay).await;
            request = spare;
            retry += 1;
        }
    }

    /// How long to wait before retry number `retry + 1` after `outcome`, or `None` when the
    /// outcome is not worth retrying.
    fn delay_after(&self, outcome: &reqwest::Result<Response>, retry: u32) -> Option<Duration> {
        match outcome {
            Ok(response) if is_retryable_status(response.status()) => Some(
                retry_after(response.headers(), SystemTime::now())
                    .map_or_else(|| self.backoff(retry), |wait| wait.min(self.max_delay)),
            ),
            Err(error) if is_retryable_error(error) => Some(self.backoff(retry)),
            _ => None,
        }
    }

    /// The backoff before retry number `retry + 1`: `base_delay * 2^retry`, capped at
    /// `max_delay`, then scaled by a random factor in `[0.5, 1.0]` ("equal jitter") so that
    /// clients that failed together do not retry together.
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        exponential.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// Whether `method` is safe (read-only), hence idempotent and retryable.
fn is_safe(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

/// Whether a response status is worth retrying: rate limiting or a server error.
fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Whether a transport error is worth retrying: the request never got a response.
fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
}

/// A short description of an outcome for logs.
fn describe(outcome: &reqwest::Result<Response>) -> String {
    match outcome {
        Ok(response) => response.status().to_string(),
        Err(error) => error.to_string(),
    }
}

/// The wait a `Retry-After` header asks for, as delta-seconds or an HTTP date (a date in the
/// past means no wait). `None` when the header is absent or unreadable.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    /// Headers holding only `Retry-After: value`.
    fn retry_after_header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_delta_seconds() {
        let now = SystemTime::now();
        assert_eq!(
            retry_after(&retry_after_header("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&retry_after_header(" 0 "), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_reads_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let in_two_minutes = "Sun, 06 Nov 1994 08:51:37 GMT";
        assert_eq!(
            retry_after(&retry_after_header(in_two_minutes), now),
            Some(Duration::from_secs(120))
        );
        let obsolete_rfc850 = "Sunday, 06-Nov-94 08:50:37 GMT";
        assert_eq!(
            retry_after(&retry_after_header(obsolete_rfc850), now),
            Some(Duration::from_secs(60))
        );
        let in_the_past = "Sun, 06 Nov 1994 08:00:00 GMT";
        assert_eq!(
            retry_after(&retry_after_header(in_the_past), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_ignores_missing_and_garbage_values() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        assert_eq!(retry_after(&retry_after_header("soon"), now), None);
        assert_eq!(retry_after(&retry_after_header("-3"), now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(350));
        for _ in 0..100 {
            let first = policy.backoff(0);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(1);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(5);
            assert!(capped >= Duration::from_millis(175) && capped <= Duration::from_millis(350));
            let huge = policy.backoff(u32::MAX);
            assert!(huge <= Duration::from_millis(350));
        }
    }

    #[test]
    fn only_rate_limits_and_server_errors_are_retryable_statuses() {
        assert!(is_retryable_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(is_retryable_status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(is_retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_retryable_status(StatusCode::NOT_FOUND));
        assert!(!is_retryable_status(StatusCode::BAD_REQUEST));
        assert!(!is_retryable_status(StatusCode::OK));
    }

    #[test]
    fn only_safe_methods_are_retried() {
        assert!(is_safe(&Method::GET));
        assert!(is_safe(&Method::HEAD));
        assert!(!is_safe(&Method::POST));
        assert!(!is_safe(&Method::PATCH));
        assert!(!is_safe(&Method::DELETE));
    }

    #[test]
    fn defaults() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_retries(), 2);
        assert_eq!(RetryPolicy::never().max_retries(), 0);
    }

    /// What [`run`] saw: how many attempts, and when each started.
    struct Attempts {
        outcome: reqwest::Result<Response>,
        started: Vec<Duration>,
    }

    /// Runs `policy` on a `method` request whose every attempt is answered by `answer`, on the
    /// paused tokio clock (so waits take no real time, and are measured exactly).
    async fn run(
        policy: &RetryPolicy,
        method: Method,
        answer: impl Fn() -> http::Response<&'static str>,
    ) -> Attempts {
        let start = tokio::time::Instant::now();
        let started = std::sync::Mutex::new(Vec::new());
        let request = Request::new(method, "http://h/people".parse().unwrap());
        let outcome = policy
            .execute(request, "listPeople", |_| {
                started.lock().unwrap().push(start.elapsed());
                let response = Response::from(answer());
                async move { Ok(response) }
            })
            .await;
        Attempts {
            outcome,
            started: started.into_inner().unwrap(),
        }
    }

    /// A response with `status` and optionally `Retry-After: retry_after`.
    fn answer(status: u16, retry_after: Option<&str>) -> http::Response<&'static str> {
        let mut response = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            response = response.header(RETRY_AFTER, value);
        }
        response.body("").unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn safe_requests_are_retried_until_max_retries_then_the_last_answer_is_returned() {
        let policy = RetryPolicy::default()
            .with_max_retries(3)
            .with_base_delay(Duration::from_millis(100));
        let attempts = run(&policy, Method::GET, || answer(503, None)).await;
        assert_eq!(attempts.started.len(), 4);
        assert_eq!(
            attempts.outcome.unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        // Backoffs of 100, 200 and 400 ms, each scaled by a jitter factor in [0.5, 1].
        let waits: Vec<Duration> = attempts.started.windows(2).map(|w| w[1] - w[0]).collect();
        for (wait, full) in waits.iter().zip([100, 200, 400]) {
            let full = Duration::from_millis(full);
            assert!(*wait >= full / 2 && *wait <= full, "{waits:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_up_to_max_delay() {
        let policy = RetryPolicy::default()
            .with_max_retries(1)
            .with_max_delay(Duration::from_secs(5));
        let honoured = run(&policy, Method::GET, || answer(429, Some("2"))).await;
        assert_eq!(honoured.started, [Duration::ZERO, Duration::from_secs(2)]);
        let capped = run(&policy, Method::GET, || answer(429, Some("3600"))).await;
        assert_eq!(capped.started, [Duration::ZERO, Duration::from_secs(5)]);
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_methods_client_errors_and_disabled_retries_get_one_attempt() {
        let policy = RetryPolicy::default();
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let attempts = run(&policy, method, || answer(503, None)).await;
            assert_eq!(attempts.started.len(), 1);
        }
        let not_found = run(&policy, Method::GET, || answer(404, None)).await;
        assert_eq!(not_found.started.len(), 1);
        assert_eq!(not_found.outcome.unwrap().status(), StatusCode::NOT_FOUND);
        let never = run(&RetryPolicy::never(), Method::GET, || answer(503, None)).await;
        assert_eq!(never.started.len(), 1);
        let ok = run(&policy, Method::GET, || answer(200, None)).await;
        assert_eq!(ok.started.len(), 1);
    }
}
