//! What a rate-limit or server-error fault answers: the vendor's own error body, picked by the
//! request's mount (`/whop`, `/posthog`, `/pipedrive`), and for a 429 a `Retry-After`.

use std::time::Duration;

use crate::http::ApiResponse;
use crate::pipedrive::error::PipedriveError;
use crate::posthog::error::{self as posthog_error, PostHogError};
use crate::whop::error::WhopError;

/// The vendor a path is mounted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vendor {
    Whop,
    PostHogApi,
    PostHogCapture,
    Pipedrive,
}

impl Vendor {
    /// The vendor serving `path`; Whop's body for anything else, as the router's 404 does.
    fn of(path: &str) -> Self {
        let mut segments = path.trim_start_matches('/').split('/');
        match segments.next() {
            Some("posthog") if segments.next() == Some("api") => Vendor::PostHogApi,
            Some("posthog") => Vendor::PostHogCapture,
            Some("pipedrive") => Vendor::Pipedrive,
            _ => Vendor::Whop,
        }
    }
}

/// `retry_after` in whole seconds, rounded up (`Retry-After` takes delta-seconds).
pub(super) fn retry_after_seconds(retry_after: Duration) -> u64 {
    let whole = retry_after.as_secs();
    if retry_after.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    }
}

/// The vendor's 429 for a request to `path`, asking to retry after `retry_after`.
pub(super) fn rate_limited(path: &str, retry_after: Duration) -> ApiResponse {
    let seconds = retry_after_seconds(retry_after);
    let response = match Vendor::of(path) {
        Vendor::Whop => WhopError::rate_limited(seconds).into_response(),
        Vendor::PostHogApi => PostHogError::throttled(seconds).into_response(),
        Vendor::PostHogCapture => posthog_error::capture_rate_limited(),
        Vendor::Pipedrive => PipedriveError::rate_limited().into_response(),
    };
    response.with_header("retry-after", seconds.to_string())
}

/// The vendor's 500 for a request to `path`.
pub(super) fn server_error(path: &str) -> ApiResponse {
    match Vendor::of(path) {
        Vendor::Whop => WhopError::internal("An internal server error occurred.").into_response(),
        Vendor::PostHogApi => PostHogError::server_error().into_response(),
        Vendor::PostHogCapture => posthog_error::capture_server_error(),
        Vendor::Pipedrive => PipedriveError::internal().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(response: &'a ApiResponse, name: &str) -> Option<&'a str> {
        response
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn rate_limits_carry_each_vendors_body_and_a_rounded_up_retry_after() {
        let wait = Duration::from_millis(1_500);
        let whop = rate_limited("/whop/api/v1/people", wait);
        assert_eq!(whop.json_body()["error"]["type"], "rate_limit_exceeded");
        assert_eq!(header(&whop, "retry-after"), Some("2"));
        let posthog = rate_limited("/posthog/api/projects/1/persons/", wait);
        assert_eq!(posthog.json_body()["type"], "throttled_error");
        let capture = rate_limited("/posthog/batch/", Duration::ZERO);
        assert_eq!(
            (capture.status, header(&capture, "retry-after")),
            (429, Some("0"))
        );
        assert_eq!(capture.body, b"rate limited");
        let pipedrive = rate_limited("/pipedrive/api/v2/persons", wait);
        assert_eq!(pipedrive.json_body()["errorCode"], 429);
        assert_eq!(rate_limited("/elsewhere", wait).status, 429);
    }

    #[test]
    fn server_errors_carry_each_vendors_body() {
        let whop = server_error("/whop/api/v1/people");
        assert_eq!(whop.json_body()["error"]["type"], "internal_server_error");
        let posthog = server_error("/posthog/api/environments/1/persons/");
        assert_eq!(posthog.json_body()["type"], "server_error");
        assert_eq!(server_error("/posthog/e/").body, b"internal server error");
        let pipedrive = server_error("/pipedrive/v1/persons");
        assert_eq!(
            (pipedrive.status, pipedrive.json_body()["success"].as_bool()),
            (500, Some(false))
        );
    }
}
