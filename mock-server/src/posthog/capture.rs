//! Capture's request parsing, as PostHog's Rust capture service does it: every payload shape
//! (single event, array, batch with `api_key`/`token`), gzip by hint or magic bytes, the
//! `data=` query/form field, token checks, clock-skew correction, and plain-text errors.

use std::io::Read as _;

use flate2::read::GzDecoder;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::event::NewEvent;
use super::time;
use crate::http::{ApiRequest, ApiResponse};

/// Longest distinct id kept; longer ones are truncated.
const MAX_DISTINCT_ID_CHARS: usize = 200;
/// Longest token accepted.
const MAX_TOKEN_CHARS: usize = 64;
/// Largest (decompressed) payload of the event endpoints, and of `/batch/`.
const MAX_EVENT_PAYLOAD: usize = 2 * 1024 * 1024;
const MAX_BATCH_PAYLOAD: usize = 20 * 1024 * 1024;

/// Which capture endpoint a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/e/`, `/capture/`, `/i/v0/e/`, `/track/`: 2 MB.
    Event,
    /// `/engage/`: an event without a name is an `$identify`.
    Engage,
    /// `/batch/`: 20 MB.
    Batch,
}

impl Endpoint {
    /// The endpoint of a capture path (without the trailing slash).
    pub fn of(path: &str) -> Self {
        match path {
            "/batch" => Endpoint::Batch,
            "/engage" => Endpoint::Engage,
            _ => Endpoint::Event,
        }
    }

    fn limit(self) -> usize {
        match self {
            Endpoint::Batch => MAX_BATCH_PAYLOAD,
            Endpoint::Event | Endpoint::Engage => MAX_EVENT_PAYLOAD,
        }
    }
}

/// A capture request, parsed and checked.
#[derive(Debug)]
pub struct Capture {
    /// The project token every event carried.
    pub token: String,
    /// The events, normalised.
    pub events: Vec<NewEvent>,
}

/// A refused capture request: a status and capture's plain-text reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureError {
    /// HTTP status.
    pub status: u16,
    /// The reason.
    pub message: String,
}

impl CaptureError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    fn too_big() -> Self {
        Self {
            status: 413,
            message: "maximum event size exceeded".to_owned(),
        }
    }

    fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: 401,
            message: message.into(),
        }
    }

    /// The plain-text response.
    pub fn into_response(self) -> ApiResponse {
        ApiResponse::text(self.status, self.message)
    }
}

/// Parses a capture request to `endpoint` received at clock time `now` (microseconds).
pub fn parse(request: &ApiRequest, endpoint: Endpoint, now: i64) -> Result<Capture, CaptureError> {
    let payload = payload(request, endpoint.limit())?;
    let value: Value = serde_json::from_slice(&payload)
        .map_err(|error| CaptureError::bad_request(format!("failed to parse request: {error}")))?;
    let (batch_token, sent_at, raw_events) = match value {
        Value::Array(events) => (None, None, events),
        Value::Object(mut object) if object.contains_key("batch") => {
            let token = take_token(&mut object, &["api_key", "token"]);
            let sent_at = object
                .get("sent_at")
                .and_then(Value::as_str)
                .and_then(time::parse);
            match object.remove("batch") {
                Some(Value::Array(events)) => (token, sent_at, events),
                _ => {
                    return Err(CaptureError::bad_request(
                        "failed to parse request: batch is not a list",
                    ));
                }
            }
        }
        Value::Object(object) => (None, None, vec![Value::Object(object)]),
        _ => {
            return Err(CaptureError::bad_request(
                "failed to parse request: not an event",
            ));
        }
    };
    let mut objects: Vec<Map<String, Value>> = raw_events
        .into_iter()
        .map(|event| match event {
            Value::Object(object) => Ok(object),
            _ => Err(CaptureError::bad_request(
                "failed to parse request: an event is not an object",
            )),
        })
        .collect::<Result<_, _>>()?;
    if objects.is_empty() {
        return Err(CaptureError::bad_request("request holds no event"));
    }
    let token = common_token(batch_token, &mut objects)?;
    objects
        .retain(|object| object.get("event").and_then(Value::as_str) != Some("$performance_event"));
    let events = objects
        .into_iter()
        .map(|object| normalise(object, endpoint, sent_at, now))
        .collect::<Result<_, _>>()?;
    Ok(Capture { token, events })
}

/// The JSON text of the request: `data=` (query or form), decompressed when gzipped, at most
/// `limit` bytes once decompressed (413 beyond, read in chunks so a gzip bomb stops there).
fn payload(request: &ApiRequest, limit: usize) -> Result<Vec<u8>, CaptureError> {
    let is_form = request
        .header("content-type")
        .is_some_and(|content_type| content_type.starts_with("application/x-www-form-urlencoded"));
    let mut body = if request.method == "GET" || is_form {
        let form: Vec<(String, String)> = if is_form {
            url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect()
        } else {
            request.query.clone()
        };
        form.into_iter()
            .rev()
            .find(|(key, _)| key == "data")
            .map(|(_, data)| data.into_bytes())
            .ok_or_else(|| CaptureError::bad_request("request missing data payload"))?
    } else {
        request.body.clone()
    };
    let hinted = matches!(request.query_param("compression"), Some("gzip" | "gzip-js"))
        || request
            .header("content-encoding")
            .is_some_and(|encoding| encoding.eq_ignore_ascii_case("gzip"));
    if hinted || body.starts_with(&[0x1f, 0x8b, 0x08]) {
        body = gunzip(&body, limit)?;
    } else if body.len() > limit {
        return Err(CaptureError::too_big());
    }
    if std::str::from_utf8(&body).is_err() {
        return Err(CaptureError::bad_request(
            "failed to decode request: invalid UTF8 in request payload",
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CaptureError::bad_request("request holds no event"));
    }
    Ok(body)
}

/// Inflates `packed`, refusing more than `limit` bytes of output.
fn gunzip(packed: &[u8], limit: usize) -> Result<Vec<u8>, CaptureError> {
    let mut inflated = Vec::new();
    let read = GzDecoder::new(packed)
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut inflated)
        .map_err(|_| CaptureError::bad_request("failed to decode request: invalid GZIP data"))?;
    if read > limit {
        return Err(CaptureError::too_big());
    }
    Ok(inflated)
}

/// Removes and returns the first string among `keys` of `object`.
fn take_token(object: &mut Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.remove(*key) {
        Some(Value::String(token)) => Some(token),
        _ => None,
    })
}

/// The one token of the request, checked for shape.
fn common_token(
    batch: Option<String>,
    events: &mut [Map<String, Value>],
) -> Result<String, CaptureError> {
    let mut token = batch;
    for event in events.iter_mut() {
        let own = take_token(event, &["api_key", "token", "$token"]).or_else(|| {
            event
                .get("properties")
                .and_then(|properties| properties.get("token"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        match (&token, own) {
            (_, None) => {}
            (None, Some(own)) => token = Some(own),
            (Some(seen), Some(own)) if *seen == own => {}
            (Some(_), Some(_)) => {
                return Err(CaptureError::unauthorized(
                    "batch submitted with inconsistent api_key values",
                ));
            }
        }
    }
    let token =
        token.ok_or_else(|| CaptureError::unauthorized("event submitted without an api_key"))?;
    let problem = if token.is_empty() {
        Some("empty")
    } else if token.chars().count() > MAX_TOKEN_CHARS {
        Some("too_long")
    } else if !token.is_ascii() {
        Some("not_ascii")
    } else if token.contains('\0') {
        Some("null_byte")
    } else if token.starts_with("phx_") {
        Some("personal_api_key")
    } else {
        None
    };
    match problem {
        Some(why) => Err(CaptureError::unauthorized(format!(
            "API key is not valid: {why}"
        ))),
        None => Ok(token),
    }
}

/// One event object → [`NewEvent`]: name (`$identify` for a nameless `/engage/` event),
/// distinct id, time (skew-corrected; now when the result is outside years 1–9999),
/// properties with the top-level `$set`/`$set_once` merged in.
fn normalise(
    mut object: Map<String, Value>,
    endpoint: Endpoint,
    sent_at: Option<i64>,
    now: i64,
) -> Result<NewEvent, CaptureError> {
    let event = match object.remove("event") {
        Some(Value::String(name)) if !name.is_empty() => name,
        None if endpoint == Endpoint::Engage => "$identify".to_owned(),
        _ => {
            return Err(CaptureError::bad_request(
                "event submitted with an empty event name",
            ));
        }
    };
    let mut properties = match object.remove("properties") {
        Some(Value::Object(properties)) => properties,
        _ => Map::new(),
    };
    let raw_id = object
        .remove("distinct_id")
        .or_else(|| object.remove("$distinct_id"))
        .or_else(|| properties.get("distinct_id").cloned());
    let distinct_id = match raw_id {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    }
    .filter(|id| !id.is_empty())
    .ok_or_else(|| CaptureError::bad_request("event submitted without a distinct_id"))?;
    let distinct_id: String = distinct_id
        .replace('\0', "\u{FFFD}")
        .chars()
        .take(MAX_DISTINCT_ID_CHARS)
        .collect();
    let timestamp =
        match object.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(time::parse(text).ok_or_else(|| {
                CaptureError::bad_request("event submitted with invalid timestamp")
            })?),
            Some(_) => {
                return Err(CaptureError::bad_request(
                    "event submitted with invalid timestamp",
                ));
            }
        };
    let offset_ms = object.get("offset").and_then(Value::as_i64);
    let timestamp = match (timestamp, sent_at, offset_ms) {
        (Some(at), Some(sent), _) => now.saturating_add(at.saturating_sub(sent)),
        (Some(at), None, _) => at,
        (None, _, Some(offset)) => now.saturating_sub(offset.saturating_mul(1000)),
        (None, _, None) => now,
    };
    let timestamp = if time::is_renderable(timestamp) {
        timestamp
    } else {
        now
    };
    for key in ["$set", "$set_once"] {
        if let Some(Value::Object(top)) = object.remove(key) {
            let entry = properties
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(nested) = entry {
                for (name, value) in top {
                    nested.entry(name).or_insert(value);
                }
            }
        }
    }
    let uuid = object
        .get("uuid")
        .and_then(Value::as_str)
        .and_then(|text| Uuid::parse_str(text).ok());
    Ok(NewEvent {
        uuid,
        event,
        distinct_id,
        timestamp: Some(timestamp),
        properties,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn post(body: &str) -> ApiRequest {
        ApiRequest::new("POST", "/batch/").with_body(body)
    }

    fn parse(request: &ApiRequest, now: i64) -> Result<Capture, CaptureError> {
        super::parse(request, Endpoint::of(&request.path), now)
    }

    fn error(request: &ApiRequest) -> (u16, String) {
        let error = parse(request, 0).unwrap_err();
        (error.status, error.message)
    }

    #[test]
    fn accepts_every_payload_shape() {
        let single = parse(
            &post(r#"{"event":"e","distinct_id":"d","api_key":"phc_x"}"#),
            5,
        )
        .unwrap();
        assert_eq!((single.token.as_str(), single.events.len()), ("phc_x", 1));
        assert_eq!(single.events[0].timestamp, Some(5));
        let array = parse(&post(r#"[{"event":"e","distinct_id":1,"token":"phc_x"},{"event":"f","$distinct_id":"d"}]"#), 0).unwrap();
        assert_eq!(array.events[0].distinct_id, "1");
        let batch = parse(&post(r#"{"api_key":"phc_x","batch":[{"event":"e","properties":{"distinct_id":"p"},"$set":{"a":1}}]}"#), 0).unwrap();
        assert_eq!(batch.events[0].distinct_id, "p");
        assert_eq!(batch.events[0].properties["$set"]["a"], 1);
    }

    #[test]
    fn gunzips_by_header_or_magic_bytes() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(br#"{"event":"e","distinct_id":"d","api_key":"phc_x"}"#)
            .unwrap();
        let packed = encoder.finish().unwrap();
        let sniffed = ApiRequest::new("POST", "/e/").with_body(packed.clone());
        assert_eq!(parse(&sniffed, 0).unwrap().events.len(), 1);
        let broken = ApiRequest::new("POST", "/e/")
            .with_header("content-encoding", "gzip")
            .with_body("nope");
        assert_eq!(
            error(&broken),
            (400, "failed to decode request: invalid GZIP data".into())
        );
        let truncated = ApiRequest::new("POST", "/e/").with_body(&packed[..packed.len() / 2]);
        assert_eq!(
            error(&truncated),
            (400, "failed to decode request: invalid GZIP data".into())
        );
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_endpoints_limit() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(b"[").unwrap();
        encoder.write_all(&vec![b' '; MAX_EVENT_PAYLOAD]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 16 * 1024);
        let event = ApiRequest::new("POST", "/e").with_body(bomb.clone());
        assert_eq!(error(&event), (413, "maximum event size exceeded".into()));
        let batch = ApiRequest::new("POST", "/batch").with_body(bomb);
        assert_eq!(
            error(&batch).0,
            400,
            "within /batch/'s 20 MB, the truncated JSON is a parse error"
        );
        let raw = ApiRequest::new("POST", "/e").with_body(vec![b' '; MAX_EVENT_PAYLOAD + 1]);
        assert_eq!(error(&raw).0, 413);
    }

    #[test]
    fn engage_events_without_a_name_are_identifies() {
        let engage = ApiRequest::new("POST", "/engage")
            .with_body(r#"{"distinct_id":"d","api_key":"phc_x","$set":{"a":1}}"#);
        assert_eq!(parse(&engage, 0).unwrap().events[0].event, "$identify");
        let other =
            ApiRequest::new("POST", "/e").with_body(r#"{"distinct_id":"d","api_key":"phc_x"}"#);
        assert_eq!(error(&other).0, 400);
    }

    #[test]
    fn non_utf8_empty_batches_and_absurd_times() {
        assert_eq!(
            error(&ApiRequest::new("POST", "/e").with_body(vec![b'"', 0xff, b'"'])),
            (
                400,
                "failed to decode request: invalid UTF8 in request payload".into()
            )
        );
        assert_eq!(
            error(&post(r#"{"api_key":"phc_x","batch":[]}"#)),
            (400, "request holds no event".into())
        );
        let only_performance = post(
            r#"{"api_key":"phc_x","batch":[{"event":"$performance_event","distinct_id":"d"}]}"#,
        );
        assert!(parse(&only_performance, 0).unwrap().events.is_empty());
        let skewed = post(
            r#"{"api_key":"phc_x","sent_at":"9999-12-31T00:00:00Z","batch":[{"event":"e","distinct_id":"d","timestamp":"0001-01-01T00:00:00Z"}]}"#,
        );
        assert_eq!(parse(&skewed, 7).unwrap().events[0].timestamp, Some(7));
    }

    #[test]
    fn corrects_clock_skew_with_sent_at() {
        let body = r#"{"api_key":"phc_x","sent_at":"2024-01-01T00:00:10Z","batch":[{"event":"e","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z"}]}"#;
        let now = time::parse("2024-01-01T00:01:10Z").unwrap();
        assert_eq!(
            parse(&post(body), now).unwrap().events[0].timestamp,
            time::parse("2024-01-01T00:01:00Z")
        );
    }

    #[test]
    fn refuses_bad_requests_with_plain_text() {
        assert_eq!(error(&post("{")).0, 400);
        assert_eq!(error(&post("[]")), (400, "request holds no event".into()));
        assert_eq!(
            error(&post(r#"{"event":"e","distinct_id":"d"}"#)),
            (401, "event submitted without an api_key".into())
        );
        assert_eq!(
            error(&post(
                r#"{"event":"e","distinct_id":"d","api_key":"phx_personal"}"#
            )),
            (401, "API key is not valid: personal_api_key".into())
        );
        assert_eq!(
            error(&post(
                r#"[{"event":"e","distinct_id":"d","api_key":"phc_a"},{"event":"e","distinct_id":"d","api_key":"phc_b"}]"#
            )),
            (
                401,
                "batch submitted with inconsistent api_key values".into()
            )
        );
        assert_eq!(
            error(&post(r#"{"event":"","distinct_id":"d","api_key":"phc_x"}"#)),
            (400, "event submitted with an empty event name".into())
        );
        assert_eq!(
            error(&post(
                r#"{"event":"e","distinct_id":null,"api_key":"phc_x"}"#
            )),
            (400, "event submitted without a distinct_id".into())
        );
        assert_eq!(
            error(&post(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"soon"}"#
            )),
            (400, "event submitted with invalid timestamp".into())
        );
    }
}
