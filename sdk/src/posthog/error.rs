//! The one error type of the PostHog clients.

use bytes::Bytes;
use reqwest::StatusCode;

use super::generated::{ResponseValue, types};

/// The error type of the generated client's calls that answer PostHog's usual error body.
pub(crate) type GeneratedError = progenitor_client::Error<types::PostHogError>;
/// The error type of `properties_at_time`, whose 400/404/500 bodies are `{"error": "…"}`.
pub(crate) type PointInTimeGeneratedError = progenitor_client::Error<types::PointInTimeError>;

/// Anything that can go wrong talking to PostHog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PostHog answered with an error status and its usual body `{type, code, detail, attr}`.
    #[error("PostHog API error ({status}, {}): {}", body.type_, body.detail)]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed body.
        body: types::PostHogError,
    },
    /// `properties_at_time` failed with its own body, `{"error": "…"}`.
    #[error("PostHog properties_at_time error ({status}): {}", body.error)]
    PointInTime {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed body.
        body: types::PointInTimeError,
    },
    /// Capture refused the events; capture answers plain text.
    #[error("PostHog capture error ({status}): {message}")]
    Capture {
        /// The HTTP status.
        status: StatusCode,
        /// The plain-text reason.
        message: String,
    },
    /// PostHog answered with a status and body none of the above describe. The body is empty
    /// when the error was converted with `From` (which cannot read it).
    #[error("unexpected HTTP status {status} from PostHog")]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The raw response body.
        body: Bytes,
    },
    /// The request could not be sent, or the response could not be read.
    #[error("could not talk to PostHog")]
    Transport(#[source] reqwest::Error),
    /// A documented response whose body does not match its schema.
    #[error("invalid response payload from PostHog")]
    InvalidResponse {
        /// The raw response body.
        body: Bytes,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The request was invalid before it was sent (e.g. a missing required parameter).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured (missing key, invalid host, …).
    #[error("invalid PostHog client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status PostHog answered with, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. }
            | Error::PointInTime { status, .. }
            | Error::Capture { status, .. }
            | Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Transport(error) => error.status(),
            Error::InvalidResponse { .. } | Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// PostHog's error body (`type`, `code`, `detail`, `attr`), for API errors.
    pub fn api_error(&self) -> Option<&types::PostHogError> {
        match self {
            Error::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Parses a response body that went unexpected: PostHog's usual body, the `{"error"}` body
    /// of properties_at_time, or raw bytes.
    fn from_body(status: StatusCode, body: Bytes) -> Self {
        if let Ok(parsed) = serde_json::from_slice::<types::PostHogError>(&body) {
            return Error::Api {
                status,
                body: parsed,
            };
        }
        match serde_json::from_slice::<types::PointInTimeError>(&body) {
            Ok(parsed) => Error::PointInTime {
                status,
                body: parsed,
            },
            Err(_) => Error::UnexpectedStatus { status, body },
        }
    }

    /// Converts a generated-client error, reading the body of an unexpected response (and
    /// parsing it as one of PostHog's error bodies when it is one).
    pub(crate) async fn from_generated<E>(error: progenitor_client::Error<E>) -> Self
    where
        Self: From<progenitor_client::Error<E>>,
    {
        let progenitor_client::Error::UnexpectedResponse(response) = error else {
            return Self::from(error);
        };
        let status = response.status();
        match response.bytes().await {
            Ok(body) => Self::from_body(status, body),
            Err(error) => Error::Transport(error),
        }
    }

    /// Converts every variant but the typed error response.
    fn from_untyped<E>(
        error: progenitor_client::Error<E>,
        typed: fn(ResponseValue<E>) -> Self,
    ) -> Self {
        match error {
            progenitor_client::Error::ErrorResponse(response) => typed(response),
            progenitor_client::Error::UnexpectedResponse(response) => Error::UnexpectedStatus {
                status: response.status(),
                body: Bytes::new(),
            },
            progenitor_client::Error::CommunicationError(error)
            | progenitor_client::Error::InvalidUpgrade(error)
            | progenitor_client::Error::ResponseBodyError(error) => Error::Transport(error),
            progenitor_client::Error::InvalidResponsePayload(body, source) => {
                Error::InvalidResponse { body, source }
            }
            progenitor_client::Error::InvalidRequest(message)
            | progenitor_client::Error::Custom(message) => Error::InvalidRequest(message),
        }
    }
}

impl From<GeneratedError> for Error {
    fn from(error: GeneratedError) -> Self {
        Self::from_untyped(error, |response| Error::Api {
            status: response.status(),
            body: response.into_inner(),
        })
    }
}

impl From<PointInTimeGeneratedError> for Error {
    fn from(error: PointInTimeGeneratedError) -> Self {
        Self::from_untyped(error, |response| Error::PointInTime {
            status: response.status(),
            body: response.into_inner(),
        })
    }
}

/// The body of a generated call's response, or its error converted with
/// [`Error::from_generated`].
pub(crate) async fn into_body<T, E>(
    result: Result<ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error>
where
    Error: From<progenitor_client::Error<E>>,
{
    match result {
        Ok(response) => Ok(response.into_inner()),
        Err(error) => Err(Error::from_generated(error).await),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;

    use super::*;

    #[test]
    fn typed_error_responses_keep_posthogs_body() {
        let body: types::PostHogError = serde_json::from_value(serde_json::json!({
            "type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null
        }))
        .unwrap();
        let error = Error::from(GeneratedError::ErrorResponse(ResponseValue::new(
            body,
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
        )));
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(error.api_error().unwrap().code, "not_found");
        assert_eq!(
            error.to_string(),
            "PostHog API error (404 Not Found, invalid_request): Not found."
        );
    }

    #[test]
    fn unexpected_bodies_are_parsed_when_they_can_be() {
        let auth = Error::from_body(
            StatusCode::FORBIDDEN,
            Bytes::from_static(
                br#"{"type":"authentication_error","code":"permission_denied","detail":"no","attr":null}"#,
            ),
        );
        assert_eq!(auth.api_error().unwrap().code, "permission_denied");
        let point = Error::from_body(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(br#"{"error":"x"}"#),
        );
        assert!(matches!(point, Error::PointInTime { body, .. } if body.error == "x"));
        let raw = Error::from_body(StatusCode::BAD_GATEWAY, Bytes::from_static(b"oops"));
        assert!(matches!(raw, Error::UnexpectedStatus { body, .. } if body.as_ref() == b"oops"));
    }
}
