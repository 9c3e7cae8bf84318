//! Pipedrive's error body in the crate's one [`Error`](crate::Error), whichever API version
//! answered.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Pipedrive, v1, v2};
use crate::error::{ApiErrorBody, GeneratedErrorBody};

/// Pipedrive's error body: `{success, error, error_info, errorCode?, code?}`; in
/// [`ApiErrorBody::Pipedrive`].
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

impl fmt::Display for ErrorBody {
    /// The message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error.message())
    }
}

impl GeneratedErrorBody for v1::types::ErrorResponse {
    type Vendor = Pipedrive;
}

impl GeneratedErrorBody for v2::types::ErrorResponse {
    type Vendor = Pipedrive;
}

impl crate::Error {
    /// Pipedrive's error body, when Pipedrive answered with it (whichever API version).
    pub fn pipedrive_error(&self) -> Option<&ErrorBody> {
        match self.body()? {
            ApiErrorBody::Pipedrive(body) => Some(body),
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

    #[test]
    fn both_versions_error_responses_become_pipedrive_bodies() {
        let json = serde_json::json!({"success": false, "error": "Person not found", "error_info": "x", "data": null});
        let v1: v1::types::ErrorResponse = serde_json::from_value(json.clone()).unwrap();
        let v2: v2::types::ErrorResponse = serde_json::from_value(json).unwrap();
        let errors = [
            Error::from(Generated::ErrorResponse(ResponseValue::new(
                v1,
                StatusCode::NOT_FOUND,
                HeaderMap::new(),
            ))),
            Error::from(Generated::ErrorResponse(ResponseValue::new(
                v2,
                StatusCode::NOT_FOUND,
                HeaderMap::new(),
            ))),
        ];
        for error in errors {
            assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
            let body = error.pipedrive_error().unwrap();
            assert_eq!(
                (body.error.message(), body.error_info.as_deref()),
                ("Person not found", Some("x"))
            );
            assert_eq!(
                error.to_string(),
                "Pipedrive API error (404 Not Found): Person not found"
            );
        }
    }

    #[test]
    fn bodies_are_parsed_as_pipedrives_error_body_or_kept_raw() {
        let gateway = Error::api::<Pipedrive>(
            StatusCode::TOO_MANY_REQUESTS,
            Bytes::from_static(br#"{"success":false,"error":"Too many requests","errorCode":429}"#),
        );
        assert_eq!(gateway.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(gateway.pipedrive_error().unwrap().error_code, Some(429));
        let raw = Error::api::<Pipedrive>(StatusCode::BAD_GATEWAY, Bytes::from_static(b"<html>"));
        assert!(
            matches!(&raw, Error::Api { status: StatusCode::BAD_GATEWAY, body: ApiErrorBody::Raw(body) } if body.as_ref() == b"<html>")
        );
        assert!(raw.pipedrive_error().is_none());
    }
}
