//! The standalone HTTP server: hyper on a multi-threaded runtime, every request answered by
//! the same `App` the in-process wiremock transport serves, one log line per request, bounded
//! connections (a header-read timeout, an idle timeout, a cap on open connections), and a
//! graceful stop that lets requests in flight finish. What answers a read request is a
//! [`Responder`]: the app, or the benchmark's same-bytes floor (`floor.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::http::{ApiRequest, ApiResponse};
use crate::router::App;
use crate::{journal, operations};

/// The largest request body the server reads (PostHog's own capture limit is 20 MB).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long a graceful stop waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long and how many connections the server keeps open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time an HTTP/1 client has to send a request's headers once it started sending them
    /// (`None`: unlimited). A half-sent request is closed after it.
    pub header_read_timeout: Option<Duration>,
    /// Time a connection may stay open with no request in flight, whether it never sent one
    /// or is an idle keep-alive connection (`None`: unlimited).
    pub idle_timeout: Option<Duration>,
    /// Connections served at once; further clients wait in the listen backlog until one
    /// closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Some(Duration::from_secs(10)),
            idle_timeout: Some(Duration::from_secs(60)),
            max_connections: 1024,
        }
    }
}

/// What answers a request once its body is read.
pub trait Responder: Send + Sync + 'static {
    /// The answer to the request of `parts` with `body`.
    fn respond(&self, parts: &Parts, body: Bytes) -> Response<Full<Bytes>>;
}

impl Responder for App {
    fn respond(&self, parts: &Parts, body: Bytes) -> Response<Full<Bytes>> {
        let request = ApiRequest::from_parts(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
            Vec::from(body),
        );
        let response = self.handle(&request);
        if response.status == 404 && operations::lookup(&request.method, &request.path).is_none() {
            tracing::warn!(
                "{}",
                journal::unmatched_warning(&request.method, &request.path)
            );
        }
        into_hyper(response)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets open
/// connections finish their requests (up to ten seconds) and returns.
pub async fn serve<R: Responder>(
    listener: TcpListener,
    app: Arc<R>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (permit, stream) = tokio::select! {
            accepted = accept(&listener, &open) => match accepted {
                Some(accepted) => accepted,
                None => continue,
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        let activity = Arc::new(Activity::new());
        let in_service = Arc::clone(&activity);
        let service =
            service_fn(move |request| answer(Arc::clone(&app), Arc::clone(&in_service), request));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            match until_idle(connection, &activity, limits.idle_timeout).await {
                Some(Err(error)) => {
                    tracing::debug!(%error, "persons mock: connection ended with an error");
                }
                Some(Ok(())) => {}
                None => tracing::debug!("persons mock: idle connection closed"),
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("persons mock: some connections were still open after {DRAIN_TIMEOUT:?}");
    }
}

/// Waits for a free connection slot, then for a connection (`None`: the accept failed).
async fn accept(
    listener: &TcpListener,
    open: &Arc<Semaphore>,
) -> Option<(tokio::sync::OwnedSemaphorePermit, tokio::net::TcpStream)> {
    let permit = Arc::clone(open).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((permit, stream)),
        Err(error) => {
            tracing::warn!(%error, "persons mock: accept failed");
            None
        }
    }
}

/// What a connection is doing: requests in flight, and when the last one ended.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    last_ended_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ended_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Counts a request as in flight until the returned guard drops.
    fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }

    /// How long the connection has had no request in flight (zero while one is).
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Duration::ZERO;
        }
        let since = self.last_ended_ms.load(Ordering::SeqCst);
        Duration::from_millis(self.now_ms().saturating_sub(since))
    }
}

/// A request in flight on its connection; dropping it ends the request.
struct InFlight<'a>(&'a Activity);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let activity = self.0;
        activity
            .last_ended_ms
            .store(activity.now_ms(), Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Drives `connection` to its end, or drops it (`None`) once it has been idle for `timeout`.
async fn until_idle<F: Future>(
    connection: F,
    activity: &Activity,
    timeout: Option<Duration>,
) -> Option<F::Output> {
    let Some(timeout) = timeout else {
        return Some(connection.await);
    };
    tokio::pin!(connection);
    let mut wait = timeout;
    loop {
        tokio::select! {
            ended = &mut connection => return Some(ended),
            () = tokio::time::sleep(wait) => {
                let idle = activity.idle_for();
                if idle >= timeout {
                    return None;
                }
                wait = timeout - idle;
            }
        }
    }
}

/// Answers one request, counting it as in flight on its connection.
async fn answer<R: Responder>(
    app: Arc<R>,
    activity: Arc<Activity>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _in_flight = activity.enter();
    Ok(answer_logged(app.as_ref(), request).await)
}

/// Reads one request, answers it through the responder and logs it.
async fn answer_logged<R: Responder>(app: &R, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(body) => app.respond(&parts, body.to_bytes()),
        Err(error) => into_hyper(unreadable_body(&error.to_string())),
    };
    tracing::info!(
        target: "persons_mock::request",
        method = %parts.method,
        path = %parts.uri.path(),
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    response
}

fn unreadable_body(error: &str) -> ApiResponse {
    let (status, message) = if error.contains("length limit") {
        (
            413,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )
    } else {
        (400, format!("The request body could not be read: {error}"))
    };
    ApiResponse::json(
        status,
        &serde_json::json!({"error": {"type": "invalid_request", "message": message}}),
    )
}

fn into_hyper(response: ApiResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "persons mock: a facade produced an invalid response head");
            let mut fallback = Response::new(Full::new(Bytes::from_static(
                b"{\"error\":{\"type\":\"internal_server_error\",\"message\":\"invalid response head\"}}",
            )));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
