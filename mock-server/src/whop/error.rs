//! Whop's error body, `{"error": {"type", "message", "code"?, "param"?}}`, and its statuses.

use serde::Serialize;

use crate::durable::StorageError;
use crate::http::ApiResponse;

/// An error the Whop facade answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhopError {
    /// HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// Machine-readable error type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Narrower machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The parameter at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

impl WhopError {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            code: None,
            param: None,
        }
    }

    /// 400: a parameter has a value that cannot be used.
    pub fn invalid_param(param: &str, message: impl Into<String>) -> Self {
        Self {
            code: Some("parameter_invalid"),
            param: Some(param.to_owned()),
            ..Self::new(400, "bad_request", message)
        }
    }

    /// 400: a required parameter is missing.
    pub fn missing_param(param: &str, message: impl Into<String>) -> Self {
        Self {
            code: Some("parameter_missing"),
            param: Some(param.to_owned()),
            ..Self::new(400, "bad_request", message)
        }
    }

    /// 400: the body is not the JSON the endpoint expects.
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self {
            code: Some("invalid_json"),
            ..Self::new(400, "bad_request", message)
        }
    }

    /// 401: no usable credential.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }

    /// 403: a valid credential that may not act on this account.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    /// 404: no such resource or route.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 503: the data directory could not log the write, so nothing was applied.
    pub fn storage(error: StorageError) -> Self {
        tracing::error!(%error, "persons mock: cannot log a write; refusing it");
        Self::new(503, "storage_unavailable", error.message())
    }

    /// 500: the mock itself cannot go on.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal_server_error", message)
    }

    /// 429: over the rate limit (600 requests per minute per operation and credential), with
    /// Whop's documented `rate_limit_exceeded` type and "Try again in N seconds" message.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::new(
            429,
            "rate_limit_exceeded",
            format!("Rate limit exceeded. Try again in {retry_after_seconds} seconds."),
        )
    }

    /// The HTTP response carrying this error.
    pub fn into_response(self) -> ApiResponse {
        ApiResponse::json(self.status, &ErrorBody { error: &self })
    }
}

/// Whop's `V1ErrorResponse` envelope.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a WhopError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_v1_error_body() {
        let response =
            WhopError::invalid_param("first", "`first` must be between 1 and 101").into_response();
        assert_eq!(response.status, 400);
        assert_eq!(
            response.json_body(),
            serde_json::json!({"error": {
                "type": "bad_request",
                "message": "`first` must be between 1 and 101",
                "code": "parameter_invalid",
                "param": "first"
            }})
        );
        let limited = WhopError::rate_limited(2).into_response();
        assert_eq!(
            (limited.status, limited.json_body()),
            (
                429,
                serde_json::json!({"error": {
                    "type": "rate_limit_exceeded",
                    "message": "Rate limit exceeded. Try again in 2 seconds."
                }})
            )
        );
        let body = WhopError::unauthorized("no key")
            .into_response()
            .json_body();
        assert_eq!(
            body,
            serde_json::json!({"error": {"type": "unauthorized", "message": "no key"}})
        );
    }
}
