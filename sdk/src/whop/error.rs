//! The one error type of the Whop client.

use bytes::Bytes;
use reqwest::StatusCode;

use super::generated::{ResponseValue, types};

/// The error type of the generated client's calls.
pub(crate) type GeneratedError = progenitor_client::Error<types::V1ErrorResponse>;

/// Anything that can go wrong talking to Whop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Whop answered with an error status and its usual error body.
    #[error("Whop API error ({status}, {}): {}", body.error.type_, body.error.message)]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed body, `{"error": {"type", "message", "code"?, "param"?}}`.
        body: types::V1ErrorResponse,
    },
    /// Whop answered with a status the API does not document, and a body that is not its usual
    /// error body. The body is empty when the error was converted with `From` (which cannot
    /// read it) rather than by this crate's convenience methods.
    #[error("unexpected HTTP status {status} from Whop")]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The raw response body.
        body: Bytes,
    },
    /// The request could not be sent, or the response could not be read.
    #[error("could not talk to Whop")]
    Transport(#[source] reqwest::Error),
    /// A documented response whose body does not match its schema.
    #[error("invalid response payload from Whop")]
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
    /// The client could not be configured (missing API key, invalid base URL, …).
    #[error("invalid Whop client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status Whop answered with, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Transport(error) => error.status(),
            Error::InvalidResponse { .. } | Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// Whop's error object (`type`, `message`, `code`, `param`), for API errors.
    pub fn api_error(&self) -> Option<&types::V1Error> {
        match self {
            Error::Api { body, .. } => Some(&body.error),
            _ => None,
        }
    }

    /// Converts a generated-client error, reading the body of an unexpected response (and
    /// parsing it as Whop's error body when it is one).
    pub(crate) async fn from_generated(error: GeneratedError) -> Self {
        let GeneratedError::UnexpectedResponse(response) = error else {
            return Self::from(error);
        };
        let status = response.status();
        match response.bytes().await {
            Ok(body) => match serde_json::from_slice::<types::V1ErrorResponse>(&body) {
                Ok(parsed) => Error::Api {
                    status,
                    body: parsed,
                },
                Err(_) => Error::UnexpectedStatus { status, body },
            },
            Err(error) => Error::Transport(error),
        }
    }
}

impl From<GeneratedError> for Error {
    fn from(error: GeneratedError) -> Self {
        match error {
            GeneratedError::ErrorResponse(response) => Error::Api {
                status: response.status(),
                body: response.into_inner(),
            },
            GeneratedError::UnexpectedResponse(response) => Error::UnexpectedStatus {
                status: response.status(),
                body: Bytes::new(),
            },
            GeneratedError::CommunicationError(error)
            | GeneratedError::InvalidUpgrade(error)
            | GeneratedError::ResponseBodyError(error) => Error::Transport(error),
            GeneratedError::InvalidResponsePayload(body, source) => {
                Error::InvalidResponse { body, source }
            }
            GeneratedError::InvalidRequest(message) | GeneratedError::Custom(message) => {
                Error::InvalidRequest(message)
            }
        }
    }
}

/// The body of a generated call's response, or its error converted with
/// [`Error::from_generated`].
pub(crate) async fn into_body<T>(
    result: Result<ResponseValue<T>, GeneratedError>,
) -> Result<T, Error> {
    match result {
        Ok(response) => Ok(response.into_inner()),
        Err(error) => Err(Error::from_generated(error).await),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;

    use super::*;

    /// A Whop error body.
    fn body(kind: &str, message: &str) -> types::V1ErrorResponse {
        serde_json::from_value(serde_json::json!({"error": {"type": kind, "message": message}}))
            .unwrap()
    }

    #[test]
    fn documented_error_responses_become_api_errors() {
        let generated = GeneratedError::ErrorResponse(ResponseValue::new(
            body("not_found", "no such person"),
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
        ));
        let error = Error::from(generated);
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(error.api_error().unwrap().type_, "not_found");
        assert_eq!(
            error.to_string(),
            "Whop API error (404 Not Found, not_found): no such person"
        );
    }

    #[test]
    fn invalid_payloads_keep_the_body() {
        let source = serde_json::from_str::<types::V1ErrorResponse>("{").unwrap_err();
        let error = Error::from(GeneratedError::InvalidResponsePayload(
            Bytes::from_static(b"{"),
            source,
        ));
        assert!(matches!(&error, Error::InvalidResponse { body, .. } if body.as_ref() == b"{"));
        assert_eq!(error.status(), None);
        assert!(error.api_error().is_none());
    }

    #[test]
    fn invalid_requests_keep_their_message() {
        let error = Error::from(GeneratedError::InvalidRequest(
            "person_id was not initialized".into(),
        ));
        assert_eq!(
            error.to_string(),
            "invalid request: person_id was not initialized"
        );
    }
}
