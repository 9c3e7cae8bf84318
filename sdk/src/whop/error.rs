//! Whop's error body in the crate's one [`Error`](crate::Error).

use std::fmt;

use super::Whop;
use super::generated::types;
use crate::error::{ApiErrorBody, GeneratedErrorBody};

/// Whop's error body, `{"error": {"type", "message", "code"?, "param"?}}`; in
/// [`ApiErrorBody::Whop`].
pub type ErrorBody = types::V1ErrorResponse;

impl fmt::Display for ErrorBody {
    /// `type: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.type_, self.error.message)
    }
}

impl GeneratedErrorBody for ErrorBody {
    type Vendor = Whop;
}

impl crate::Error {
    /// Whop's error object (`type`, `message`, `code`, `param`), when Whop answered with its
    /// error body.
    pub fn whop_error(&self) -> Option<&types::V1Error> {
        match self.body()? {
            ApiErrorBody::Whop(body) => Some(&body.error),
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

    use crate::Error;

    use super::*;

    /// A Whop error body.
    fn body(kind: &str, message: &str) -> ErrorBody {
        serde_json::from_value(serde_json::json!({"error": {"type": kind, "message": message}}))
            .unwrap()
    }

    #[test]
    fn documented_error_responses_become_api_errors() {
        let generated = Generated::ErrorResponse(ResponseValue::new(
            body("not_found", "no such person"),
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
        ));
        let error = Error::from(generated);
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert!(matches!(error.body(), Some(ApiErrorBody::Whop(_))));
        assert_eq!(error.whop_error().unwrap().type_, "not_found");
        assert_eq!(
            error.to_string(),
            "Whop API error (404 Not Found): not_found: no such person"
        );
    }

    #[test]
    fn bodies_are_parsed_as_whops_error_body_or_kept_raw() {
        let parsed = Error::api::<Whop>(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(
                br#"{"error":{"type":"bad_request","message":"first too large","code":"parameter_invalid","param":"first"}}"#,
            ),
        );
        assert_eq!(parsed.status(), Some(StatusCode::BAD_REQUEST));
        let error = parsed.whop_error().unwrap();
        assert_eq!(
            (error.code.as_deref(), error.param.as_deref()),
            (Some("parameter_invalid"), Some("first"))
        );
        let raw = Error::api::<Whop>(StatusCode::BAD_GATEWAY, Bytes::from_static(b"<html>"));
        assert!(
            matches!(&raw, Error::Api { status: StatusCode::BAD_GATEWAY, body: ApiErrorBody::Raw(body) } if body.as_ref() == b"<html>")
        );
        assert!(raw.whop_error().is_none());
        assert_eq!(raw.to_string(), "unexpected HTTP status 502 Bad Gateway");
    }

    #[test]
    fn invalid_payloads_keep_the_body() {
        let source = serde_json::from_str::<ErrorBody>("{").unwrap_err();
        let error = Error::from(Generated::<ErrorBody>::InvalidResponsePayload(
            Bytes::from_static(b"{"),
            source,
        ));
        assert!(matches!(&error, Error::InvalidResponse { body, .. } if body.as_ref() == b"{"));
        assert_eq!(error.status(), None);
        assert!(error.whop_error().is_none());
    }

    #[test]
    fn invalid_requests_keep_their_message() {
        let error = Error::from(Generated::<ErrorBody>::InvalidRequest(
            "person_id was not initialized".into(),
        ));
        assert_eq!(
            error.to_string(),
            "invalid request: person_id was not initialized"
        );
    }
}
