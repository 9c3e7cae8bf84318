//! Pipedrive's error bodies: the API's `{success, error, error_info, data, additional_data}`,
//! the gateway's 401 `{success, error, errorCode, error_info}`, and the search service's
//! object-valued `error`.

use serde::Serialize;

use super::tenant::{ModelError, RecordError};
use crate::durable::StorageError;
use crate::http::ApiResponse;

/// `error_info` of the API's errors.
pub const ERROR_INFO: &str =
    "Please check developers.pipedrive.com for more information about Pipedrive API.";
/// `error_info` of the gateway's errors and of the documented 403s.
pub const GATEWAY_INFO: &str = "Please check developers.pipedrive.com";

/// An error the Pipedrive facade answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipedriveError {
    /// HTTP status.
    pub status: u16,
    /// Which body it renders as.
    pub kind: ErrorKind,
    /// The message (`error`, or `error.message` for the search service).
    pub message: String,
}

/// The three error body shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The API's generic body, with an optional machine-readable `code` and its
    /// `error_info`.
    Api {
        /// The machine-readable code (v2 validation).
        code: Option<&'static str>,
        /// The `error_info` text.
        info: &'static str,
    },
    /// The gateway's body (401 and scope errors), with `errorCode` and the
    /// `x-401-by-gw` header on 401s.
    Gateway,
    /// The search service's body; the fields at fault.
    Search(Vec<&'static str>),
}

impl PipedriveError {
    fn api(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: ErrorKind::Api {
                code: None,
                info: ERROR_INFO,
            },
            message: message.into(),
        }
    }

    /// 400 with the API's body.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::api(400, message)
    }

    /// 400 from API v2's schema validation.
    pub fn validation(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            kind: ErrorKind::Api {
                code: Some("ERR_SCHEMA_VALIDATION_FAILED"),
                info: ERROR_INFO,
            },
            message: format!("Validation failed: {}", message.into()),
        }
    }

    /// 400 from the search service.
    pub fn search(message: impl Into<String>, failed_fields: Vec<&'static str>) -> Self {
        Self {
            status: 400,
            kind: ErrorKind::Search(failed_fields),
            message: format!(
                "ServerError [ERR_INVALID_INPUT]: Invalid input: {}",
                message.into()
            ),
        }
    }

    /// 401 from the gateway.
    pub fn unauthorized() -> Self {
        Self {
            status: 401,
            kind: ErrorKind::Gateway,
            message: "unauthorized access".into(),
        }
    }

    /// 429 from the gateway: over the burst limit or the daily token budget. Pipedrive
    /// documents no body; the mock answers the gateway's shape (as its 401) with
    /// `errorCode: 429` (an inference: rate limits are enforced where the 401s come from).
    pub fn rate_limited() -> Self {
        Self {
            status: 429,
            kind: ErrorKind::Gateway,
            message: "Request over limit".into(),
        }
    }

    /// 500 with the API's body.
    pub fn internal() -> Self {
        Self::api(500, "Internal server error")
    }

    /// 403 from the gateway: the OAuth token lacks the scope.
    pub fn scope_mismatch() -> Self {
        Self {
            status: 403,
            kind: ErrorKind::Gateway,
            message: "Scope and URL mismatch".into(),
        }
    }

    /// 403 with the API's body; its `error_info` is the short generic one, as in
    /// Pipedrive's documented `/persons/collection` 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: 403,
            kind: ErrorKind::Api {
                code: None,
                info: GATEWAY_INFO,
            },
            message: message.into(),
        }
    }

    /// 503 with the API's body (`code` `storage_unavailable`): the data directory could not
    /// log the write, so nothing was applied.
    pub fn storage(error: StorageError) -> Self {
        tracing::error!(%error, "persons mock: cannot log a write; refusing it");
        Self {
            status: 503,
            kind: ErrorKind::Api {
                code: Some("storage_unavailable"),
                info: ERROR_INFO,
            },
            message: error.message(),
        }
    }

    /// 404 with the API's body.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::api(404, message)
    }

    /// The HTTP response carrying this error.
    pub fn into_response(self) -> ApiResponse {
        match self.kind {
            ErrorKind::Api { code, info } => ApiResponse::json(
                self.status,
                &ApiBody {
                    success: false,
                    error: &self.message,
                    error_info: info,
                    code,
                    data: None,
                    additional_data: None,
                },
            ),
            ErrorKind::Gateway => {
                let response = ApiResponse::json(
                    self.status,
                    &GatewayBody {
                        success: false,
                        error: &self.message,
                        error_code: self.status,
                        error_info: GATEWAY_INFO,
                    },
                );
                if self.status == 401 {
                    response.with_header("x-401-by-gw", "true")
                } else {
                    response
                }
            }
            ErrorKind::Search(failed_fields) => ApiResponse::json(
                self.status,
                &SearchBody {
                    success: false,
                    error: SearchError {
                        message: &self.message,
                        code: self.status,
                        failed_fields,
                    },
                    data: None,
                    additional_data: None,
                },
            ),
        }
    }
}

impl From<ModelError> for PipedriveError {
    fn from(error: ModelError) -> Self {
        match error {
            ModelError::NotFound(what) => Self::not_found(format!("{what} not found")),
            ModelError::Invalid(message) => Self::bad_request(message),
            ModelError::Storage(error) => Self::storage(error),
        }
    }
}

impl From<RecordError> for PipedriveError {
    fn from(error: RecordError) -> Self {
        error.reason.into()
    }
}

#[derive(Serialize)]
struct ApiBody<'a> {
    success: bool,
    error: &'a str,
    error_info: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    data: Option<()>,
    additional_data: Option<()>,
}

#[derive(Serialize)]
struct GatewayBody<'a> {
    success: bool,
    error: &'a str,
    #[serde(rename = "errorCode")]
    error_code: u16,
    error_info: &'static str,
}

#[derive(Serialize)]
struct SearchBody<'a> {
    success: bool,
    error: SearchError<'a>,
    data: Option<()>,
    additional_data: Option<()>,
}

#[derive(Serialize)]
struct SearchError<'a> {
    message: &'a str,
    code: u16,
    failed_fields: Vec<&'static str>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_each_shape() {
        let not_found = PipedriveError::from(ModelError::NotFound("Person")).into_response();
        assert_eq!(not_found.status, 404);
        assert_eq!(
            not_found.json_body(),
            json!({"success": false, "error": "Person not found", "error_info": ERROR_INFO, "data": null, "additional_data": null})
        );
        let gateway = PipedriveError::unauthorized().into_response();
        assert_eq!(
            gateway.json_body(),
            json!({"success": false, "error": "unauthorized access", "errorCode": 401, "error_info": GATEWAY_INFO})
        );
        assert!(
            gateway
                .headers
                .contains(&("x-401-by-gw".into(), "true".into()))
        );
        let limited = PipedriveError::rate_limited().into_response();
        assert_eq!(
            (limited.status, limited.json_body()),
            (
                429,
                json!({"success": false, "error": "Request over limit", "errorCode": 429, "error_info": GATEWAY_INFO})
            )
        );
        assert!(
            !limited
                .headers
                .iter()
                .any(|(name, _)| name == "x-401-by-gw")
        );
        assert_eq!(
            PipedriveError::internal().into_response().json_body(),
            json!({"success": false, "error": "Internal server error", "error_info": ERROR_INFO, "data": null, "additional_data": null})
        );
        let search = PipedriveError::search("\"term\" is required", vec!["term"]).into_response();
        assert_eq!(
            search.json_body()["error"],
            json!({"message": "ServerError [ERR_INVALID_INPUT]: Invalid input: \"term\" is required", "code": 400, "failed_fields": ["term"]})
        );
    }
}
