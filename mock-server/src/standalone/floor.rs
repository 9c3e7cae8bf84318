//! The same-bytes floor of `cargo xtask bench` (the binary's hidden `--same-bytes FILE`): the
//! standalone server's runtime, connection handling and request reading, answering each
//! recorded request with the exact status, headers and body our server gave it, from memory.
//! The most a route of ours could reach on the same stack with the same bytes to send.

use std::collections::HashMap;
use std::path::Path;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde::Deserialize;

use super::serve::Responder;

/// One recorded answer, as the benchmark writes it (a JSON array of these).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    /// The request's path and query, exactly as sent (`/whop/api/v1/people?first=20`).
    path_and_query: String,
    /// The status code.
    status: u16,
    /// The headers to send, in order (hyper adds `date` and `content-length` itself).
    headers: Vec<(String, String)>,
    /// The body (the benchmarked answers are JSON text).
    body: String,
}

/// An answer kept ready to send.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Every recorded answer by the path and query it answers; anything else is a bodiless 404.
#[derive(Debug)]
pub struct SameBytes {
    answers: HashMap<String, Answer>,
}

impl SameBytes {
    /// Reads the recorded answers from the JSON text `json`.
    pub fn parse(json: &str) -> Result<Self, String> {
        let recorded: Vec<Recorded> =
            serde_json::from_str(json).map_err(|error| error.to_string())?;
        let mut answers = HashMap::with_capacity(recorded.len());
        for answer in recorded {
            let status = StatusCode::from_u16(answer.status)
                .map_err(|_| format!("{} is not a status code", answer.status))?;
            let mut headers = HeaderMap::with_capacity(answer.headers.len());
            for (name, value) in &answer.headers {
                let name = HeaderName::try_from(name.as_str())
                    .map_err(|_| format!("`{name}` is not a header name"))?;
                let value = HeaderValue::try_from(value.as_str())
                    .map_err(|_| format!("`{value}` is not a header value"))?;
                headers.append(name, value);
            }
            let body = Bytes::from(answer.body);
            answers.insert(
                answer.path_and_query,
                Answer {
                    status,
                    headers,
                    body,
                },
            );
        }
        Ok(Self { answers })
    }

    /// Reads the recorded answers from the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// How many requests have an answer.
    pub fn count(&self) -> usize {
        self.answers.len()
    }
}

impl Responder for SameBytes {
    fn respond(&self, parts: &Parts, _body: Bytes) -> Response<Full<Bytes>> {
        let key = parts
            .uri
            .path_and_query()
            .map_or("", |path_and_query| path_and_query.as_str());
        let mut response = Response::new(Full::new(Bytes::new()));
        match self.answers.get(key) {
            Some(answer) => {
                *response.status_mut() = answer.status;
                *response.headers_mut() = answer.headers.clone();
                *response.body_mut() = Full::new(answer.body.clone());
            }
            None => *response.status_mut() = StatusCode::NOT_FOUND,
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn parts(uri: &str) -> Parts {
        hyper::Request::get(uri).body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn answers_the_recorded_bytes_and_404_elsewhere() {
        let floor = SameBytes::parse(
            r#"[{"path_and_query": "/whop/api/v1/people?first=2", "status": 200,
                 "headers": [["content-type", "application/json"], ["x-a", "1"], ["x-a", "2"]],
                 "body": "{\"data\":[\"é\"]}"}]"#,
        )
        .unwrap();
        assert_eq!(floor.count(), 1);
        let response = floor.respond(&parts("/whop/api/v1/people?first=2"), Bytes::new());
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let repeated: Vec<_> = response.headers().get_all("x-a").iter().collect();
        assert_eq!(repeated, ["1", "2"]);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], "{\"data\":[\"é\"]}".as_bytes());
        for other in ["/whop/api/v1/people", "/whop/api/v1/people?first=3"] {
            let response = floor.respond(&parts(other), Bytes::new());
            assert_eq!(response.status(), 404, "{other}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_send() {
        let answer = |status: u16, header: &str| {
            format!(
                r#"[{{"path_and_query": "/", "status": {status}, "headers": [["{header}", "v"]], "body": ""}}]"#
            )
        };
        assert!(SameBytes::parse(&answer(200, "x-ok")).is_ok());
        assert!(SameBytes::parse(&answer(1000, "x-ok")).is_err());
        assert!(SameBytes::parse(&answer(200, "bad header")).is_err());
        assert!(SameBytes::parse("{}").is_err());
    }
}
