//! Transport-free HTTP values: what a vendor facade reads and what it answers.
//!
//! The wiremock transport, a standalone server and plain unit tests all build an
//! [`ApiRequest`] and send back the [`ApiResponse`] a facade returns.

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// An HTTP request, already read in full, with the vendor prefix still in the path.
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    /// Upper-case method name (`GET`, `POST`…).
    pub method: String,
    /// The raw (still percent-encoded) path, without query string.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header pairs with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// A request for `method` and `path_and_query` (e.g. `/whop/api/v1/people?first=5`).
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            ..Self::default()
        }
    }

    /// A request as an HTTP server received it: `path` still percent-encoded, `query` the raw
    /// query string; headers whose value is not visible ASCII are left out.
    pub fn from_parts(
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &http::HeaderMap,
        body: Vec<u8>,
    ) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: query.map_or_else(Vec::new, |query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect()
            }),
            headers: headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body,
        }
    }

    /// Adds a header (the name is lower-cased).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// An upper bound on the number of JSON values (keys included) in the body, counted in
    /// one pass without parsing it: every value but the first follows a `,`, `:` or `[`
    /// outside a string. A parsed `serde_json::Value` costs tens of bytes per value whatever
    /// its text, so a handler checks this before building one.
    pub fn json_values_at_most(&self) -> usize {
        let (mut count, mut in_string, mut escaped) = (1, false, false);
        for &byte in &self.body {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b',' | b':' | b'[' => count += 1,
                    _ => {}
                }
            }
        }
        count
    }

    /// The last value of query parameter `name`, as most frameworks read repeated keys.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The bearer token of the `Authorization` header, if it has one.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }
}

/// Percent-decodes one path segment (`a%40b.com` → `a@b.com`); `None` if it is not UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// An HTTP response produced by a facade.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// Status code.
    pub status: u16,
    /// Header pairs.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// A response with `body` of type `content_type`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A response with no body at all (e.g. `202 Accepted`, `204 No Content`).
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::new(status, "text/plain; charset=utf-8", body.into())
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// A response with a JSON body; a body that cannot be serialised becomes a 500.
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        let (status, body) = match serde_json::to_vec(body) {
            Ok(body) => (status, body),
            Err(error) => {
                tracing::error!(%error, "persons mock: cannot serialise a response body");
                let message = format!("the mock could not serialise its response: {error}");
                let body = serde_json::json!({"error": {"type": "internal_server_error", "message": message}});
                (500, body.to_string().into_bytes())
            }
        };
        Self::new(status, "application/json", body)
    }

    /// The body parsed as JSON (for tests and the journal).
    pub fn json_body(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_json_values_outside_strings() {
        let count = |body: &str| {
            ApiRequest::new("POST", "/")
                .with_body(body)
                .json_values_at_most()
        };
        assert_eq!(
            count(r#"{"a":[1,2,{"b":null}]}"#),
            6,
            "one, plus each `:`, `[` and `,`"
        );
        assert_eq!(
            count(r#"{"a":"x,y:[\",]"}"#),
            2,
            "commas in strings do not count"
        );
        assert!(count(r#"[1,2,3,4]"#) >= 5);
    }

    #[test]
    fn parses_query_and_headers() {
        let request = ApiRequest::new("get", "/whop/api/v1/people?first=5&sort=ltv&first=7")
            .with_header("Authorization", "Bearer  key_1 ");
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/whop/api/v1/people");
        assert_eq!(request.query_param("first"), Some("7"));
        assert_eq!(request.query_param("sort"), Some("ltv"));
        assert_eq!(request.bearer_token(), Some("key_1"));
    }

    #[test]
    fn rejects_non_bearer_authorization() {
        let basic = ApiRequest::new("GET", "/").with_header("authorization", "Basic abc");
        assert_eq!(basic.bearer_token(), None);
        let empty = ApiRequest::new("GET", "/").with_header("authorization", "Bearer ");
        assert_eq!(empty.bearer_token(), None);
    }

    #[test]
    fn unserialisable_bodies_become_a_500() {
        let not_json = std::collections::HashMap::from([((1, 2), "tuple keys are not JSON")]);
        let response = ApiResponse::json(200, &not_json);
        assert_eq!(response.status, 500);
        assert_eq!(
            response.json_body()["error"]["type"],
            "internal_server_error"
        );
    }

    #[test]
    fn decodes_path_segments() {
        assert_eq!(decode_segment("a%40b.com").as_deref(), Some("a@b.com"));
        assert_eq!(decode_segment("%FF"), None);
    }
}
