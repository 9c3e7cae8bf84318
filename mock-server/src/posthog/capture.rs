//! Capture's request parsing, as PostHog's Rust capture service does it: every payload shape
//! (single event, array, batch with `api_key`/`token`), token checks, ingestion's timestamp
//! rules, and plain-text errors. Finding and unwrapping the payload (`data=`, forms, base64,
//! gzip, LZ-string) is [`payload`]'s job.

pub mod lz64;
pub mod payload;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::log::CapturedEvent;
use super::time;
use crate::Timestamp;
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
    /// `/i/v0/e/`: 2 MB.
    Event,
    /// `/e/`, `/capture/`, `/track/`: 2 MB; a payload still base64 after decoding is unwrapped.
    LegacyEvent,
    /// `/engage/`: legacy, and an event without a name is an `$identify`.
    Engage,
    /// `/batch/`: 20 MB.
    Batch,
}

impl Endpoint {
    fn limit(self) -> usize {
        match self {
            Endpoint::Batch => MAX_BATCH_PAYLOAD,
            Endpoint::Event | Endpoint::LegacyEvent | Endpoint::Engage => MAX_EVENT_PAYLOAD,
        }
    }

    /// Capture's legacy endpoints, which unwrap base64 once more.
    fn is_legacy(self) -> bool {
        matches!(self, Endpoint::LegacyEvent | Endpoint::Engage)
    }
}

/// A capture request, parsed and checked.
#[derive(Debug)]
pub struct Capture {
    /// The project token every event carried.
    pub token: String,
    /// The events, normalised, each as the log keeps it.
    pub events: Vec<CapturedEvent>,
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

    fn decoding(reason: &str) -> Self {
        Self::bad_request(format!("failed to decode request: {reason}"))
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
    let payload = payload::decode(request, endpoint.limit(), endpoint.is_legacy())?;
    let value: Value = serde_json::from_str(&payload)
        .map_err(|error| CaptureError::bad_request(format!("failed to parse request: {error}")))?;
    let (batch_token, batch_sent_at, raw_events) = match value {
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
    let sent_at = batch_sent_at.or_else(|| query_sent_at(request));
    objects
        .retain(|object| object.get("event").and_then(Value::as_str) != Some("$performance_event"));
    let events = objects
        .into_iter()
        .map(|object| normalise(object, endpoint, sent_at, now))
        .collect::<Result<_, _>>()?;
    Ok(Capture { token, events })
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
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .and_then(|properties| take_token(properties, &["token"]))
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

/// Furthest an event may lie in the future before ingestion sets it to now: 23 hours.
const FUTURE_CUTOFF: i64 = 23 * time::MICROS_PER_HOUR;

/// When an event happened, by ingestion's rules (`parseEventTimestamp`): a `timestamp` alone
/// is taken as is; with the request's `sent_at` it is corrected for the client's clock skew
/// (`now + timestamp - sent_at`), unless a non-zero `offset` (ms) is given, which then means
/// `now - offset`, as it does without a `timestamp`; neither means now. A result more than 23
/// hours ahead of now, or outside years 1–9999, becomes now.
fn event_time(
    timestamp: Option<i64>,
    sent_at: Option<i64>,
    offset_ms: Option<f64>,
    now: i64,
) -> i64 {
    let before_now = |offset: f64| {
        // `as` saturates: an absurd offset lands outside the renderable years, hence now.
        now.saturating_sub((offset * 1000.0).round() as i64)
    };
    let at = match (timestamp, sent_at) {
        (Some(at), None) => at,
        (Some(at), Some(sent)) => {
            offset_ms.map_or_else(|| now.saturating_add(at.saturating_sub(sent)), before_now)
        }
        (None, _) => offset_ms.map_or(now, before_now),
    };
    if at.saturating_sub(now) > FUTURE_CUTOFF || !time::is_renderable(at) {
        now
    } else {
        at
    }
}

/// JavaScript truthiness of an event property.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// The `_` query parameter posthog-js sends: when it was sent, in milliseconds; values that
/// read as a time before 2021 (older SDKs sent seconds) are ignored, as capture does.
fn query_sent_at(request: &ApiRequest) -> Option<i64> {
    const START_OF_2021_MICROS: i64 = 1_609_459_200 * time::MICROS_PER_SECOND;
    request
        .query_param("_")
        .and_then(|millis| millis.parse::<i64>().ok())
        .and_then(|millis| millis.checked_mul(1000))
        .filter(|micros| *micros >= START_OF_2021_MICROS && time::is_renderable(*micros))
}

/// One event object → [`CapturedEvent`]: name (`$identify` for a nameless `/engage/` event),
/// distinct id, time ([`event_time`]; `$ignore_sent_at` drops the skew correction),
/// properties with the top-level `$set`/`$set_once` merged in.
fn normalise(
    mut object: Map<String, Value>,
    endpoint: Endpoint,
    sent_at: Option<i64>,
    now: i64,
) -> Result<CapturedEvent, CaptureError> {
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
    // An unparsable text is ignored and the event happens now (`ignored_invalid_timestamp`).
    let (timestamp, unparsable) = match object.get("timestamp") {
        None | Some(Value::Null) => (None, false),
        Some(Value::String(text)) if text.is_empty() => (None, false),
        Some(Value::String(text)) => {
            let parsed = time::parse_event(text);
            (parsed, parsed.is_none())
        }
        Some(_) => {
            return Err(CaptureError::bad_request(
                "event submitted with invalid timestamp",
            ));
        }
    };
    let sent_at = sent_at.filter(|_| !truthy(properties.get("$ignore_sent_at")));
    let offset = object
        .get("offset")
        .and_then(Value::as_f64)
        .filter(|offset| offset.is_finite() && *offset != 0.0);
    let timestamp = if unparsable {
        now
    } else {
        event_time(timestamp, sent_at, offset, now)
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
    Ok(CapturedEvent {
        event: event.into(),
        distinct_id: distinct_id.into(),
        timestamp: Some(Timestamp::from_unix_micros(timestamp)),
        uuid,
        properties: properties.into(),
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
        let endpoint = match request.path.trim_end_matches('/') {
            "/batch" => Endpoint::Batch,
            "/engage" => Endpoint::Engage,
            "/i/v0/e" => Endpoint::Event,
            _ => Endpoint::LegacyEvent,
        };
        super::parse(request, endpoint, now)
    }

    fn micros(event: &CapturedEvent) -> Option<i64> {
        event.timestamp.map(Timestamp::unix_micros)
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
        assert_eq!(micros(&single.events[0]), Some(5));
        let array = parse(&post(r#"[{"event":"e","distinct_id":1,"token":"phc_x"},{"event":"f","$distinct_id":"d"}]"#), 0).unwrap();
        assert_eq!(&*array.events[0].distinct_id, "1");
        let batch = parse(&post(r#"{"api_key":"phc_x","batch":[{"event":"e","properties":{"distinct_id":"p"},"$set":{"a":1}}]}"#), 0).unwrap();
        assert_eq!(&*batch.events[0].distinct_id, "p");
        assert_eq!(batch.events[0].properties.value("$set").unwrap()["a"], 1);
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
        assert_eq!(&*parse(&engage, 0).unwrap().events[0].event, "$identify");
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
        assert_eq!(micros(&parse(&skewed, 7).unwrap().events[0]), Some(7));
    }

    #[test]
    fn corrects_clock_skew_with_sent_at() {
        let body = r#"{"api_key":"phc_x","sent_at":"2024-01-01T00:00:10Z","batch":[{"event":"e","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z"}]}"#;
        let now = time::parse("2024-01-01T00:01:10Z").unwrap();
        assert_eq!(
            micros(&parse(&post(body), now).unwrap().events[0]),
            time::parse("2024-01-01T00:01:00Z")
        );
    }

    #[test]
    fn applies_ingestions_timestamp_rules() {
        let now = time::parse("2024-01-01T12:00:00Z").unwrap();
        let at = |body: &str, path: &str| {
            let request = ApiRequest::new("POST", path).with_body(body);
            parse(&request, now).unwrap().events[0]
                .timestamp
                .unwrap()
                .to_string()
        };
        let batch = |event: &str| {
            format!(r#"{{"api_key":"phc_x","sent_at":"2024-01-01T00:00:10Z","batch":[{event}]}}"#)
        };
        assert_eq!(
            at(
                &batch(
                    r#"{"event":"e","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","offset":1500}"#
                ),
                "/batch/"
            ),
            "2024-01-01T11:59:58.500000Z",
            "a non-zero offset wins over the skew-corrected timestamp"
        );
        assert_eq!(
            at(
                &batch(
                    r#"{"event":"e","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","offset":0}"#
                ),
                "/batch/"
            ),
            "2024-01-01T11:59:50Z",
            "offset 0 is no offset"
        );
        assert_eq!(
            at(
                &batch(
                    r#"{"event":"e","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":{"$ignore_sent_at":true}}"#
                ),
                "/batch/"
            ),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-01T00:00:00Z","offset":1500}"#,
                "/e/"
            ),
            "2024-01-01T00:00:00Z",
            "without sent_at the timestamp is taken as is, offset or not"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-01T00:00:00Z"}"#,
                "/e/?_=1704110400000"
            ),
            "2024-01-01T00:00:00Z",
            "`_` (ms) is sent_at when the batch has none: sent at 12:00 means no skew"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-01T00:00:00Z"}"#,
                "/e/?_=1704067210000"
            ),
            "2024-01-01T11:59:50Z"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-01T00:00:00Z"}"#,
                "/e/?_=1704067210"
            ),
            "2024-01-01T00:00:00Z",
            "seconds (before 2021 as ms) are ignored"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-02T10:59:00Z"}"#,
                "/e/"
            ),
            "2024-01-02T10:59:00Z",
            "less than 23 hours ahead is kept"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"2024-01-02T11:01:00Z"}"#,
                "/e/"
            ),
            "2024-01-01T12:00:00Z",
            "more than 23 hours ahead becomes now"
        );
        assert_eq!(
            at(
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":"","offset":60000}"#,
                "/e/"
            ),
            "2024-01-01T11:59:00Z",
            "an empty timestamp is none"
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
                r#"{"event":"e","distinct_id":"d","api_key":"phc_x","timestamp":7}"#
            )),
            (400, "event submitted with invalid timestamp".into())
        );
    }
}
