//! PostHog's error bodies: drf-exceptions-hog's `{type, code, detail, attr}` for the API,
//! `{"error": …}` for properties_at_time, and capture's plain text.

use serde::Serialize;

use crate::durable::StorageError;
use crate::http::ApiResponse;

/// An error the PostHog API answers with, rendered as `{type, code, detail, attr}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PostHogError {
    /// HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// `validation_error`, `authentication_error`, `invalid_request`, `server_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// DRF's code (`invalid` is rewritten to `invalid_input`).
    pub code: String,
    /// Human text.
    pub detail: String,
    /// The field at fault.
    pub attr: Option<String>,
    /// Whether to send `WWW-Authenticate: Bearer` (401s).
    #[serde(skip)]
    challenge: bool,
}

impl PostHogError {
    fn new(status: u16, kind: &'static str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            code: code.to_owned(),
            detail: detail.into(),
            attr: None,
            challenge: false,
        }
    }

    /// 400 `validation_error` / `invalid_input` with `attr: null`.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(400, "validation_error", "invalid_input", detail)
    }

    /// 400 `validation_error` / `invalid` with `attr: null`: a HogQL `QueryError` that
    /// `/query/` re-raises as DRF's `ValidationError(message)`, whose default code is
    /// `invalid`.
    pub fn query_error(detail: impl Into<String>) -> Self {
        Self::new(400, "validation_error", "invalid", detail)
    }

    /// 400 `validation_error` / `invalid_input` naming field `attr`.
    pub fn invalid_attr(attr: &str, detail: impl Into<String>) -> Self {
        Self {
            attr: Some(attr.to_owned()),
            ..Self::invalid(detail)
        }
    }

    /// 400 `validation_error` with DRF code `code` (e.g. `invalid_choice`) on field `attr`.
    pub fn invalid_code(attr: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            attr: Some(attr.to_owned()),
            ..Self::new(400, "validation_error", code, detail)
        }
    }

    /// The hand-written "required" error of person.py, with code and detail swapped:
    /// `{"attr": attr, "code": "This field is required.", "detail": "required"}`.
    pub fn swapped_required(attr: &str) -> Self {
        Self {
            attr: Some(attr.to_owned()),
            ..Self::new(
                400,
                "validation_error",
                "This field is required.",
                "required",
            )
        }
    }

    /// 401: no credentials at all.
    pub fn not_authenticated() -> Self {
        Self {
            challenge: true,
            ..Self::new(
                401,
                "authentication_error",
                "not_authenticated",
                "Authentication credentials were not provided.",
            )
        }
    }

    /// 401: a personal API key that matches no key, found in `location` (`Authorization
    /// header`, `body`, `query string`).
    pub fn invalid_key(location: &str) -> Self {
        Self {
            challenge: true,
            ..Self::new(
                401,
                "authentication_error",
                "authentication_failed",
                format!("Personal API key found in request {location} is invalid."),
            )
        }
    }

    /// 403 `permission_denied`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "authentication_error", "permission_denied", detail)
    }

    /// 404 `Not found.`
    pub fn not_found() -> Self {
        Self::not_found_with("Not found.")
    }

    /// 404 with another detail (e.g. `Project not found.`).
    pub fn not_found_with(detail: impl Into<String>) -> Self {
        Self::new(404, "invalid_request", "not_found", detail)
    }

    /// 406 `not_acceptable`: DRF's answer when no renderer satisfies the `Accept` header.
    pub fn not_acceptable() -> Self {
        Self::new(
            406,
            "invalid_request",
            "not_acceptable",
            "Could not satisfy the request Accept header.",
        )
    }

    /// 405 for a method the route does not take.
    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            405,
            "invalid_request",
            "method_not_allowed",
            format!("Method \"{method}\" not allowed."),
        )
    }

    /// 405 for `POST /persons/`, with PostHog's explanation.
    pub fn create_not_allowed() -> Self {
        Self::new(
            405,
            "invalid_request",
            "method_not_allowed",
            "Creating persons via this API is not allowed. Please create persons by sending an $identify event. See https://posthog.com/docs/product-analytics/identify for details.",
        )
    }

    /// 400 `parse_error` for a body that is not JSON.
    pub fn parse_error(why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "invalid_request",
            "parse_error",
            format!("JSON parse error - {why}"),
        )
    }

    /// 415 for a body that is not JSON (form, multipart…).
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "invalid_request",
            "unsupported_media_type",
            format!("Unsupported media type \"{content_type}\" in request."),
        )
    }

    /// 429 `throttled_error`, as DRF words it (`wait_seconds` rounded up, as DRF does).
    pub fn throttled(wait_seconds: u64) -> Self {
        let unit = if wait_seconds == 1 {
            "second"
        } else {
            "seconds"
        };
        Self::new(
            429,
            "throttled_error",
            "throttled",
            format!("Request was throttled. Expected available in {wait_seconds} {unit}."),
        )
    }

    /// 503: the data directory could not log the write, so nothing was applied.
    pub fn storage(error: StorageError) -> Self {
        tracing::error!(%error, "persons mock: cannot log a write; refusing it");
        Self::new(503, "server_error", "storage_unavailable", error.message())
    }

    /// 500 `server_error`, as PostHog answers any unhandled exception.
    pub fn server_error() -> Self {
        Self::new(500, "server_error", "error", "A server error occurred.")
    }

    /// The HTTP response carrying this error.
    pub fn into_response(self) -> ApiResponse {
        let challenge = self.challenge;
        let response = ApiResponse::json(self.status, &self);
        if challenge {
            response.with_header("www-authenticate", "Bearer")
        } else {
            response
        }
    }
}

/// Capture's plain-text 429 (capture answers every error in plain text).
pub fn capture_rate_limited() -> ApiResponse {
    ApiResponse::text(429, "rate limited")
}

/// Capture's plain-text 500.
pub fn capture_server_error() -> ApiResponse {
    ApiResponse::text(500, "internal server error")
}

/// The body of properties_at_time's errors, `{"error": "…"}`.
#[derive(Debug, Serialize)]
struct PointInTimeBody<'a> {
    error: &'a str,
}

/// A properties_at_time error response.
pub fn point_in_time_error(status: u16, message: &str) -> ApiResponse {
    ApiResponse::json(status, &PointInTimeBody { error: message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_drf_exceptions_hog_bodies_in_order() {
        let response = PostHogError::swapped_required("properties").into_response();
        assert_eq!(response.status, 400);
        assert_eq!(
            String::from_utf8(response.body).unwrap(),
            r#"{"type":"validation_error","code":"This field is required.","detail":"required","attr":"properties"}"#
        );
        let unauthenticated = PostHogError::not_authenticated().into_response();
        assert_eq!(unauthenticated.status, 401);
        assert!(
            unauthenticated
                .headers
                .contains(&("www-authenticate".into(), "Bearer".into()))
        );
        assert_eq!(
            PostHogError::throttled(1).into_response().json_body(),
            serde_json::json!({"type": "throttled_error", "code": "throttled", "detail": "Request was throttled. Expected available in 1 second.", "attr": null})
        );
        assert_eq!(capture_rate_limited().status, 429);
        assert_eq!(capture_server_error().body, b"internal server error");
        assert_eq!(
            PostHogError::not_found().into_response().json_body(),
            serde_json::json!({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null})
        );
    }
}
