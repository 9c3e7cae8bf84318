//! The one error type of the Pipedrive client, carrying Pipedrive's error body whichever
//! API version answered.

use bytes::Bytes;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// Pipedrive's error body: `{success, error, error_info, errorCode?, code?}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ErrorBody {
    /// Always false.
    pub success: bool,
    /// The message, or the search service's object.
    pub error: ErrorMessage,
    /// Where to read more.
    #[serde(default)]
    pub error_info: Option<String>,
    /// The gateway's status echo (401 and scope errors).
    #[serde(default, rename = "errorCode")]
    pub error_code: Option<i64>,
    /// A machine-readable code some errors carry (e.g. `ERR_SCHEMA_VALIDATION_FAILED`).
    #[serde(default)]
    pub code: Option<String>,
}

/// `error`: a message, or the search service's `{message, code, failed_fields}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ErrorMessage {
    /// The usual plain message.
    Text(String),
    /// The search service's error.
    Service {
        /// The message.
        message: String,
        /// The status.
        code: i64,
        /// The parameters at fault.
        #[serde(default)]
        failed_fields: Vec<String>,
    },
}

impl ErrorMessage {
    /// The message, whatever the shape.
    pub fn message(&self) -> &str {
        match self {
            ErrorMessage::Text(message) | ErrorMessage::Service { message, .. } => message,
        }
    }
}

/// Anything that can go wrong talking to Pipedrive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Pipedrive answered with an error status and its error body.
    #[error("Pipedrive API error ({status}): {}", body.error.message())]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed body (boxed, to keep `Result`s small).
        body: Box<ErrorBody>,
    },
    /// An error status whose body is not Pipedrive's error body.
    #[error("unexpected HTTP status {status} from Pipedrive")]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
    },
    /// The request could not be sent, or the response could not be read.
    #[error("could not talk to Pipedrive")]
    Transport(#[source] reqwest::Error),
    /// A success response whose body does not match its schema.
    #[error("invalid response payload from Pipedrive")]
    InvalidResponse {
        /// The raw body.
        body: Bytes,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The request was invalid before it was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured.
    #[error("invalid Pipedrive client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Transport(error) => error.status(),
            Error::InvalidResponse { .. } | Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// Pipedrive's error body, for API errors.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Error::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Converts an error of either generated client (whose error bodies are the same JSON).
    pub fn from_generated<E: Serialize>(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as Generated;
        match error {
            Generated::ErrorResponse(response) => {
                let status = response.status();
                let json = serde_json::to_vec(&response.into_inner()).unwrap_or_default();
                match serde_json::from_slice::<ErrorBody>(&json) {
                    Ok(body) => Error::Api {
                        status,
                        body: Box::new(body),
                    },
                    Err(_) => Error::UnexpectedStatus {
                        status,
                        body: Bytes::from(json),
                    },
                }
            }
            Generated::UnexpectedResponse(response) => Error::UnexpectedStatus {
                status: response.status(),
                body: Bytes::new(),
            },
            Generated::CommunicationError(error)
            | Generated::InvalidUpgrade(error)
            | Generated::ResponseBodyError(error) => Error::Transport(error),
            Generated::InvalidResponsePayload(body, source) => {
                Error::InvalidResponse { body, source }
            }
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                Error::InvalidRequest(message)
            }
        }
    }
}

/// The body of a generated call's response (`.send().await` of [`super::Client::v1`] or
/// [`super::Client::v2`] calls), or its error converted to [`Error`].
pub fn into_body<T, E: Serialize>(
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error> {
    result
        .map(progenitor_client::ResponseValue::into_inner)
        .map_err(Error::from_generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_error_shape() {
        let api: ErrorBody = serde_json::from_str(r#"{"success":false,"error":"Person not found","error_info":"x","data":null,"additional_data":null}"#).unwrap();
        assert_eq!(api.error.message(), "Person not found");
        let gateway: ErrorBody = serde_json::from_str(
            r#"{"success":false,"error":"unauthorized access","errorCode":401,"error_info":"x"}"#,
        )
        .unwrap();
        assert_eq!(gateway.error_code, Some(401));
        let search: ErrorBody = serde_json::from_str(
            r#"{"success":false,"error":{"message":"term","code":400,"failed_fields":["term"]}}"#,
        )
        .unwrap();
        assert!(
            matches!(search.error, ErrorMessage::Service { ref failed_fields, .. } if failed_fields == &["term"])
        );
    }
}
