//! PostHog's error bodies in the crate's one [`Error`](crate::Error).

use std::fmt;

use super::PostHog;
use super::generated::types;
use crate::error::{ApiErrorBody, GeneratedErrorBody};

/// One of PostHog's error bodies; in [`ApiErrorBody::PostHog`].
#[derive(Clone, Debug)]
pub enum ErrorBody {
    /// The usual body, `{type, code, detail, attr}`.
    Standard(types::PostHogError),
    /// The body of `properties_at_time`'s 400, 404 and 500, `{"error": "…"}`.
    PointInTime(types::PointInTimeError),
    /// lifecycle's raw 400 for a missing parameter, `{"message": "Missing parameter",
    /// "detail": …}`.
    MissingParameter(types::MissingParameter),
    /// Capture's plain-text reason.
    Capture(String),
}

impl ErrorBody {
    /// `body` as PostHog's usual error body, properties_at_time's or lifecycle's missing
    /// parameter; `None` when it is none of them. (Capture answers plain text; the capture
    /// client reads it itself.)
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body)
            .map(ErrorBody::Standard)
            .or_else(|_| serde_json::from_slice(body).map(ErrorBody::PointInTime))
            .or_else(|_| serde_json::from_slice(body).map(ErrorBody::MissingParameter))
            .ok()
    }
}

impl fmt::Display for ErrorBody {
    /// `type: detail` for the usual body, the message for the others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorBody::Standard(body) => write!(f, "{}: {}", body.type_, body.detail),
            ErrorBody::PointInTime(body) => f.write_str(&body.error),
            ErrorBody::MissingParameter(body) => write!(f, "{}: {}", body.message, body.detail),
            ErrorBody::Capture(message) => f.write_str(message),
        }
    }
}

impl GeneratedErrorBody for types::PostHogError {
    type Vendor = PostHog;
}

impl GeneratedErrorBody for types::PointInTimeFailure {
    type Vendor = PostHog;
}

impl GeneratedErrorBody for types::LifecycleFailure {
    type Vendor = PostHog;
}

impl crate::Error {
    /// PostHog's usual error body (`type`, `code`, `detail`, `attr`), when PostHog answered
    /// with it; the other bodies are in [`body`](Self::body).
    pub fn posthog_error(&self) -> Option<&types::PostHogError> {
        match self.body()? {
            ApiErrorBody::PostHog(ErrorBody::Standard(body)) => Some(body),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use progenitor_client::{Error as Generated, ResponseValue};
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    use super::*;
    use crate::Error;

    #[test]
    fn typed_error_responses_keep_posthogs_body() {
        let body: types::PostHogError = serde_json::from_value(serde_json::json!({
            "type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null
        }))
        .unwrap();
        let error = Error::from(Generated::ErrorResponse(ResponseValue::new(
            body,
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
        )));
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(error.posthog_error().unwrap().code, "not_found");
        assert_eq!(
            error.to_string(),
            "PostHog API error (404 Not Found): invalid_request: Not found."
        );
        let point: types::PointInTimeFailure =
            serde_json::from_value(serde_json::json!({"error": "no person"})).unwrap();
        let error = Error::from(Generated::ErrorResponse(ResponseValue::new(
            point,
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
        )));
        assert!(
            matches!(error.body(), Some(ApiErrorBody::PostHog(ErrorBody::PointInTime(body))) if body.error == "no person")
        );
        assert!(error.posthog_error().is_none());
        let unauthenticated: types::PointInTimeFailure = serde_json::from_value(serde_json::json!({
            "type": "authentication_error", "code": "not_authenticated", "detail": "No.", "attr": null
        }))
        .unwrap();
        let error = Error::from(Generated::ErrorResponse(ResponseValue::new(
            unauthenticated,
            StatusCode::UNAUTHORIZED,
            HeaderMap::new(),
        )));
        assert_eq!(
            error.posthog_error().unwrap().code,
            "not_authenticated",
            "properties_at_time's DRF errors read as the usual body"
        );
    }

    #[test]
    fn bodies_are_parsed_as_one_of_posthogs_or_kept_raw() {
        let auth = Error::api::<PostHog>(
            StatusCode::FORBIDDEN,
            Bytes::from_static(
                br#"{"type":"authentication_error","code":"permission_denied","detail":"no","attr":null}"#,
            ),
        );
        assert_eq!(auth.status(), Some(StatusCode::FORBIDDEN));
        assert_eq!(auth.posthog_error().unwrap().code, "permission_denied");
        let point = Error::api::<PostHog>(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(br#"{"error":"x"}"#),
        );
        assert!(
            matches!(point.body(), Some(ApiErrorBody::PostHog(ErrorBody::PointInTime(body))) if body.error == "x")
        );
        assert_eq!(point.to_string(), "PostHog API error (400 Bad Request): x");
        let missing = Error::api::<PostHog>(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(
                br#"{"message":"Missing parameter","detail":"Must include lifecycle type"}"#,
            ),
        );
        assert!(
            matches!(missing.body(), Some(ApiErrorBody::PostHog(ErrorBody::MissingParameter(body))) if body.detail == "Must include lifecycle type")
        );
        assert_eq!(
            missing.to_string(),
            "PostHog API error (400 Bad Request): Missing parameter: Must include lifecycle type"
        );
        let raw = Error::api::<PostHog>(StatusCode::BAD_GATEWAY, Bytes::from_static(b"oops"));
        assert!(
            matches!(&raw, Error::Api { status: StatusCode::BAD_GATEWAY, body: ApiErrorBody::Raw(body) } if body.as_ref() == b"oops")
        );
    }

    #[test]
    fn capture_errors_keep_their_text() {
        let error = Error::Api {
            status: StatusCode::UNAUTHORIZED,
            body: ApiErrorBody::PostHog(ErrorBody::Capture("API key is not valid".into())),
        };
        assert_eq!(
            error.to_string(),
            "PostHog API error (401 Unauthorized): API key is not valid"
        );
    }
}
