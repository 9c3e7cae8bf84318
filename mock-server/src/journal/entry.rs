//! One journal entry: a request the in-process server answered, what it answered, when (on
//! the mock's clock), which spec operation it hit and whether an injected fault answered it.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::faults::FaultKind;
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::Operation;

/// A recorded exchange. Cheap to clone (the data is shared).
#[derive(Clone, Debug)]
pub struct Entry(Arc<Exchange>);

/// What an [`Entry`] shares.
#[derive(Debug)]
struct Exchange {
    seq: u64,
    time_micros: i64,
    operation: Option<&'static Operation>,
    request: ApiRequest,
    response: Option<ApiResponse>,
    fault: Option<FaultKind>,
}

impl Entry {
    /// An entry numbered `seq`, received at `time_micros` on the mock's clock; `response` is
    /// `None` when a fault dropped the connection instead of answering.
    pub(crate) fn new(
        seq: u64,
        time_micros: i64,
        operation: Option<&'static Operation>,
        request: ApiRequest,
        response: Option<ApiResponse>,
        fault: Option<FaultKind>,
    ) -> Self {
        Self(Arc::new(Exchange {
            seq,
            time_micros,
            operation,
            request,
            response,
            fault,
        }))
    }

    /// Its position among every request the server answered since it started (gaps show
    /// where [`Journal::clear`](super::Journal::clear) or the capacity dropped entries).
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// When the request arrived, in microseconds since the Unix epoch on the mock's clock.
    pub fn time_micros(&self) -> i64 {
        self.0.time_micros
    }

    /// The spec operation the request hit, if any.
    pub fn operation(&self) -> Option<&'static Operation> {
        self.0.operation
    }

    /// The `operationId` the request hit, if any.
    pub fn operation_id(&self) -> Option<&'static str> {
        self.0.operation.map(Operation::id)
    }

    /// The API (spec file stem: `whop`, `posthog`, `pipedrive-v1`, `pipedrive-v2`) the request
    /// hit, if any.
    pub fn api(&self) -> Option<&'static str> {
        self.0.operation.map(Operation::api)
    }

    /// The request, as the vendor facades saw it.
    pub fn request(&self) -> &ApiRequest {
        &self.0.request
    }

    /// The upper-case method.
    pub fn method(&self) -> &str {
        &self.0.request.method
    }

    /// The raw path, without the query string.
    pub fn path(&self) -> &str {
        &self.0.request.path
    }

    /// The last value of query parameter `name` (the one the mock reads).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.0.request.query_param(name)
    }

    /// Every decoded query pair, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.0.request.query
    }

    /// The first value of request header `name` (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.0.request.header(name)
    }

    /// The request body bytes.
    pub fn request_body(&self) -> &[u8] {
        &self.0.request.body
    }

    /// The request body as JSON; `None` when it is not JSON (or empty).
    pub fn request_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.0.request.body).ok()
    }

    /// The response, or `None` when a fault dropped the connection without one.
    pub fn response(&self) -> Option<&ApiResponse> {
        self.0.response.as_ref()
    }

    /// The response status, or `None` when the connection was dropped.
    pub fn status(&self) -> Option<u16> {
        self.0.response.as_ref().map(|response| response.status)
    }

    /// The first value of response header `name` (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.0
            .response
            .as_ref()?
            .headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The response body bytes (empty when there was no response).
    pub fn response_body(&self) -> &[u8] {
        self.0
            .response
            .as_ref()
            .map_or(&[], |response| response.body.as_slice())
    }

    /// The response body as JSON; `None` when it is not JSON, empty or missing.
    pub fn response_json(&self) -> Option<Value> {
        serde_json::from_slice(self.response_body()).ok()
    }

    /// The injected fault that answered (or delayed, or dropped) the request, if one did.
    pub fn fault(&self) -> Option<&FaultKind> {
        self.0.fault.as_ref()
    }

    /// Whether no spec operation matches the request and the mock answered 404: the test
    /// called something the mock (and the specs) do not know.
    pub fn is_unmatched(&self) -> bool {
        self.0.operation.is_none() && self.status() == Some(404)
    }
}

/// One line: `#3 GET /whop/api/v1/people?first=50 → 429 listPeople (fault: …)`.
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {} {}", self.seq(), self.method(), self.path())?;
        if !self.query_pairs().is_empty() {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(self.query_pairs())
                .finish();
            write!(f, "?{query}")?;
        }
        match self.status() {
            Some(status) => write!(f, " → {status}")?,
            None => write!(f, " → no response")?,
        }
        match self.operation() {
            Some(operation) => write!(f, " {} ({})", operation.id(), operation.api())?,
            None => write!(f, " (no spec operation)")?,
        }
        if let Some(fault) = self.fault() {
            write!(f, " [fault: {fault}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_request_and_response_and_renders_one_line() {
        let request = ApiRequest::new("POST", "/whop/api/v1/events?x=1&x=2")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"event_name":"purchase"}"#);
        let response = ApiResponse::json(200, &serde_json::json!({"id": "evnt_1"}));
        let operation = crate::operations::lookup("POST", "/whop/api/v1/events");
        let entry = Entry::new(7, 1_000, operation, request, Some(response), None);
        assert_eq!(entry.operation_id(), Some("createEvent"));
        assert_eq!(entry.api(), Some("whop"));
        assert_eq!(entry.query("x"), Some("2"));
        assert_eq!(
            entry.request_header("content-type"),
            Some("application/json")
        );
        assert_eq!(entry.request_json().unwrap()["event_name"], "purchase");
        assert_eq!(entry.response_json().unwrap()["id"], "evnt_1");
        assert_eq!(
            entry.response_header("Content-Type"),
            Some("application/json")
        );
        assert!(!entry.is_unmatched());
        assert_eq!(
            entry.to_string(),
            "#7 POST /whop/api/v1/events?x=1&x=2 → 200 createEvent (whop)"
        );
    }

    #[test]
    fn a_dropped_connection_has_no_response_and_an_unknown_404_is_unmatched() {
        let dropped = Entry::new(
            0,
            0,
            crate::operations::lookup("GET", "/whop/api/v1/people"),
            ApiRequest::new("GET", "/whop/api/v1/people"),
            None,
            Some(FaultKind::DropConnection),
        );
        assert_eq!((dropped.status(), dropped.response_body()), (None, &[][..]));
        assert_eq!(dropped.response_json(), None);
        assert!(!dropped.is_unmatched());
        assert!(
            dropped
                .to_string()
                .ends_with("→ no response listPeople (whop) [fault: dropped connection]")
        );

        let unknown = Entry::new(
            1,
            0,
            None,
            ApiRequest::new("GET", "/whop/api/v1/nope"),
            Some(ApiResponse::empty(404)),
            None,
        );
        assert!(unknown.is_unmatched());
        assert!(unknown.to_string().ends_with("(no spec operation)"));
    }
}
