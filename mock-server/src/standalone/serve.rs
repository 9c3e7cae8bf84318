//! The standalone HTTP server: hyper on a multi-threaded runtime, every request answered by
//! the same `App` the in-process wiremock transport serves, one log line per request, and
//! a graceful stop that lets requests in flight finish.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::http::{ApiRequest, ApiResponse};
use crate::router::App;

/// The largest request body the server reads (PostHog's own capture limit is 20 MB).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long a graceful stop waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets open
/// connections finish their requests (up to ten seconds) and returns.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "persons mock: accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        let service = service_fn(move |request| answer(Arc::clone(&app), request));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "persons mock: connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("persons mock: some connections were still open after {DRAIN_TIMEOUT:?}");
    }
}

/// Reads one request, answers it through the app and logs it.
async fn answer(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(body) => {
            let request = ApiRequest::from_parts(
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query(),
                &parts.headers,
                body.to_bytes().to_vec(),
            );
            app.handle(&request)
        }
        Err(error) => unreadable_body(&error.to_string()),
    };
    tracing::info!(
        target: "persons_mock::request",
        method = %parts.method,
        path = %parts.uri.path(),
        status = response.status,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    Ok(into_hyper(response))
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
