//! The capture client: sends events (and so creates and changes persons) with the project
//! token, as PostHog's own SDKs do. Hand-written over reqwest, because capture takes the token
//! in the body and optionally gzip, which the generated client cannot express.

use std::fmt;
use std::io::Write as _;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap};
use serde::Serialize;
use serde_json::{Map, Value};

use super::error::ErrorBody;
use crate::Error;
use crate::error::ApiErrorBody;
use crate::http::{self, HttpConfig};

/// PostHog Cloud's (US) capture host.
pub const DEFAULT_CAPTURE_HOST: &str = "https://us.i.posthog.com";

/// One event to capture. Build it with [`Event::new`] or one of the person-shaping
/// constructors, then add properties.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    event: String,
    distinct_id: String,
    properties: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(rename = "$set", skip_serializing_if = "Map::is_empty")]
    set: Map<String, Value>,
    #[serde(rename = "$set_once", skip_serializing_if = "Map::is_empty")]
    set_once: Map<String, Value>,
}

impl Event {
    /// An event named `event` by `distinct_id`.
    pub fn new(event: impl Into<String>, distinct_id: impl Into<String>) -> Self {
        Self {
            event: event.into(),
            distinct_id: distinct_id.into(),
            properties: Map::new(),
            timestamp: None,
            uuid: None,
            set: Map::new(),
            set_once: Map::new(),
        }
    }

    /// `$identify`: `distinct_id` becomes the identity of the person `anon_distinct_id` browsed
    /// as (the persons merge, and the result is identified).
    pub fn identify(distinct_id: impl Into<String>, anon_distinct_id: impl Into<String>) -> Self {
        Self::new("$identify", distinct_id).property("$anon_distinct_id", anon_distinct_id.into())
    }

    /// `$create_alias`, as posthog-python's `alias(previous_id, distinct_id)`: `alias` joins the
    /// person of `previous_id`.
    pub fn alias(previous_id: impl Into<String>, alias: impl Into<String>) -> Self {
        let previous_id = previous_id.into();
        Self::new("$create_alias", previous_id.clone())
            .property("distinct_id", previous_id)
            .property("alias", alias.into())
    }

    /// `$merge_dangerously`: merges `alias`'s person into `distinct_id`'s, even if identified.
    pub fn merge_dangerously(distinct_id: impl Into<String>, alias: impl Into<String>) -> Self {
        Self::new("$merge_dangerously", distinct_id).property("alias", alias.into())
    }

    /// A `$set` event: add properties with [`set`](Self::set).
    pub fn set_properties(distinct_id: impl Into<String>) -> Self {
        Self::new("$set", distinct_id)
    }

    /// A `$set_once` event: add properties with [`set_once`](Self::set_once).
    pub fn set_properties_once(distinct_id: impl Into<String>) -> Self {
        Self::new("$set_once", distinct_id)
    }

    /// A `$delete_person_property` event removing `keys` from the person.
    pub fn unset_properties<I, S>(distinct_id: impl Into<String>, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keys: Vec<Value> = keys
            .into_iter()
            .map(|key| Value::String(key.into()))
            .collect();
        Self::new("$delete_person_property", distinct_id).property("$unset", keys)
    }

    /// Adds an event property.
    pub fn property(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(key.to_owned(), value.into());
        self
    }

    /// Sets a person property (`$set`; overwrites).
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.set.insert(key.to_owned(), value.into());
        self
    }

    /// Sets a person property unless the person has it (`$set_once`).
    pub fn set_once(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.set_once.insert(key.to_owned(), value.into());
        self
    }

    /// Removes a person property (`$unset`), after this event's `$set`.
    pub fn unset(mut self, key: &str) -> Self {
        let entry = self
            .properties
            .entry("$unset")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(keys) = entry {
            keys.push(Value::String(key.to_owned()));
        }
        self
    }

    /// Marks the event personless (`$process_person_profile: false`): no person is touched.
    pub fn personless(self) -> Self {
        self.property("$process_person_profile", false)
    }

    /// Sets when the event happened (RFC 3339); capture's receive time otherwise.
    pub fn timestamp(mut self, timestamp: DateTime<Utc>) -> Self {
        self.timestamp = Some(timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        self
    }

    /// Sets the event's UUID.
    pub fn uuid(mut self, uuid: uuid::Uuid) -> Self {
        self.uuid = Some(uuid.to_string());
        self
    }
}

/// The body of `POST /batch/`.
#[derive(Serialize)]
struct BatchBody<'a> {
    api_key: &'a str,
    batch: &'a [Event],
    historical_migration: bool,
    sent_at: String,
}

/// The body of `POST /i/v0/e/`: one event carrying the token.
#[derive(Serialize)]
struct SingleBody<'a> {
    api_key: &'a str,
    #[serde(flatten)]
    event: &'a Event,
}

/// Sends events to PostHog's capture endpoints with a project token. Cheap to clone.
///
/// Capture requests are POSTs and are sent once, never retried (a retry could record an event
/// twice).
#[derive(Clone)]
pub struct CaptureClient {
    http: reqwest::Client,
    host: String,
    pub(super) project_token: String,
    gzip: bool,
}

impl fmt::Debug for CaptureClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureClient")
            .field("host", &self.host)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl CaptureClient {
    /// A builder; only [`CaptureClientBuilder::project_token`] is required.
    pub fn builder() -> CaptureClientBuilder {
        CaptureClientBuilder::default()
    }

    /// Captures one event (`POST /i/v0/e/`).
    pub async fn send(&self, event: Event) -> Result<(), Error> {
        let body = SingleBody {
            api_key: &self.project_token,
            event: &event,
        };
        self.post("/i/v0/e/", &body, self.gzip).await.map(drop)
    }

    /// Captures several events in one request (`POST /batch/`), as posthog-python does.
    pub async fn send_batch(&self, events: &[Event]) -> Result<(), Error> {
        let sent_at = DateTime::<Utc>::from(SystemTime::now());
        let body = BatchBody {
            api_key: &self.project_token,
            batch: events,
            historical_migration: false,
            sent_at: sent_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        };
        self.post("/batch/", &body, self.gzip).await.map(drop)
    }

    /// POSTs `body` as JSON to `path` (`gzip`: compressed); the body of a success, or the
    /// plain-text error capture and `/flags` answer with.
    pub(super) async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        gzip_body: bool,
    ) -> Result<bytes::Bytes, Error> {
        let json = serde_json::to_vec(body)
            .map_err(|error| Error::InvalidRequest(format!("cannot encode the body: {error}")))?;
        let mut request = self
            .http
            .post(format!("{}{path}", self.host))
            .header(CONTENT_TYPE, "application/json");
        request = if gzip_body {
            request.header(CONTENT_ENCODING, "gzip").body(gzip(&json)?)
        } else {
            request.body(json)
        };
        let request = request.build().map_err(Error::Transport)?;
        let response = self.http.execute(request).await.map_err(Error::Transport)?;
        let status = response.status();
        if status.is_success() {
            return response.bytes().await.map_err(Error::Transport);
        }
        let message = response.text().await.map_err(Error::Transport)?;
        Err(Error::Api {
            status,
            body: ApiErrorBody::PostHog(ErrorBody::Capture(message)),
        })
    }
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|error| Error::InvalidRequest(format!("cannot gzip the events: {error}")))
}

/// Configuration of a [`CaptureClient`].
#[derive(Clone, Default)]
pub struct CaptureClientBuilder {
    host: Option<String>,
    project_token: Option<String>,
    gzip: bool,
    http: HttpConfig,
}

impl fmt::Debug for CaptureClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureClientBuilder")
            .field("host", &self.host)
            .field(
                "project_token",
                &self.project_token.as_ref().map(|_| "<redacted>"),
            )
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl CaptureClientBuilder {
    /// Sets the capture host (default [`DEFAULT_CAPTURE_HOST`]), e.g. a mock server's
    /// `http://127.0.0.1:PORT/posthog`. It must be absolute; trailing slashes are dropped.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.host = Some(base_url.into());
        self
    }

    /// Sets the project token (`phc_…`), sent as `api_key` in every body.
    pub fn project_token(mut self, token: impl Into<String>) -> Self {
        self.project_token = Some(token.into());
        self
    }

    /// Gzips request bodies (`Content-Encoding: gzip`).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Sets the timeout for connecting and for each whole request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// Builds the client; fails with [`Error::Config`] without a token or with a bad host.
    pub fn build(self) -> Result<CaptureClient, Error> {
        let project_token = self.project_token.ok_or_else(|| {
            Error::Config("no project token; call CaptureClientBuilder::project_token".into())
        })?;
        let host = http::checked_base_url(self.host.as_deref().unwrap_or(DEFAULT_CAPTURE_HOST))?;
        let http = self.http.build_client(HeaderMap::new())?;
        Ok(CaptureClient {
            http,
            host,
            project_token,
            gzip: self.gzip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_like_posthogs_sdks() {
        let identify = Event::identify("user-1", "anon-1")
            .set("email", "a@x.com")
            .set_once("first", 1)
            .unset("old");
        assert_eq!(
            serde_json::to_value(&identify).unwrap(),
            serde_json::json!({
                "event": "$identify", "distinct_id": "user-1",
                "properties": {"$anon_distinct_id": "anon-1", "$unset": ["old"]},
                "$set": {"email": "a@x.com"}, "$set_once": {"first": 1}
            })
        );
        let alias = serde_json::to_value(Event::alias("p", "d")).unwrap();
        assert_eq!(alias["distinct_id"], "p");
        assert_eq!(
            alias["properties"],
            serde_json::json!({"distinct_id": "p", "alias": "d"})
        );
        let body = serde_json::to_value(SingleBody {
            api_key: "phc_x",
            event: &Event::new("e", "d"),
        })
        .unwrap();
        assert_eq!(body["api_key"], "phc_x");
        assert_eq!(body["event"], "e");
    }

    #[test]
    fn gzip_round_trips() {
        let packed = gzip(b"{}").unwrap();
        assert_eq!(&packed[..3], &[0x1f, 0x8b, 0x08]);
    }

    #[test]
    fn build_needs_a_token_and_redacts_it() {
        assert!(matches!(
            CaptureClient::builder().build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            CaptureClient::builder()
                .project_token("phc_x")
                .base_url("nope")
                .build(),
            Err(Error::Config(message)) if message.contains("invalid base URL")
        ));
        let debug = format!("{:?}", CaptureClient::builder().project_token("phc_secret"));
        assert!(!debug.contains("phc_secret"));
    }
}
