//! The Whop write: `POST /events`, the server-side Events API body checked and turned into
//! a [`PixelEvent`] entry for the account it names.

use std::borrow::Cow;
use std::sync::RwLock;

use serde::Deserialize;

use super::error::WhopError;
use super::log::{
    Context, ContextMore, Entry, EventKind, PixelEvent, User, UserMore, dollars_to_cents,
};
use super::render::CreatedEventBody;
use super::state::WhopState;
use super::tenant::{Applied, MAX_PAYMENT_CENTS, RecordError};
use crate::Timestamp;
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendor_handle::write_lock;

/// `POST /events`: records the event in the account the body names, which the key must reach.
pub fn create_event(
    state: &RwLock<WhopState>,
    clock: &Clock,
    request: &ApiRequest,
) -> Result<ApiResponse, WhopError> {
    let mut state = write_lock(state);
    let scope = state.keys.authenticate(request.bearer_token())?;
    let intake = parse(&request.body)?;
    let account_id = scope.account(Some(&intake.account_id))?;
    let applied = state
        .apply(&account_id, Entry::Event(intake.event), clock.timestamp())
        .map_err(|error| match error {
            RecordError::NoIdentity => WhopError::missing_param("user", error.to_string()),
            RecordError::NoEventName => WhopError::missing_param("event_name", error.to_string()),
            RecordError::NoCustomName | RecordError::StrayCustomName => {
                WhopError::invalid_param("custom_name", error.to_string())
            }
            RecordError::AmountOutOfRange | RecordError::StrayValue => {
                WhopError::invalid_param("value", error.to_string())
            }
            RecordError::LogFull | RecordError::BlankAdId => WhopError::internal(error.to_string()),
            RecordError::Storage(error) => WhopError::storage(error),
        })?;
    let Applied::Event(recorded) = applied else {
        unreachable!("an event entry records an event");
    };
    Ok(ApiResponse::json(
        200,
        &CreatedEventBody {
            id: recorded.event_id,
        },
    ))
}

/// The JSON body of `POST /events` (unknown keys are ignored, as Whop does).
#[derive(Debug, Deserialize)]
struct CreateEventBody {
    account_id: Option<String>,
    event_name: Option<String>,
    #[serde(default)]
    context: Option<BodyContext>,
    #[serde(default)]
    user: Option<BodyUser>,
    value: Option<f64>,
    currency: Option<String>,
    event_id: Option<String>,
    event_time: Option<String>,
    custom_name: Option<String>,
    url: Option<String>,
    referrer_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct BodyContext {
    ad_campaign_id: Option<String>,
    ad_set_id: Option<String>,
    ad_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_content: Option<String>,
    utm_term: Option<String>,
    fbclid: Option<String>,
    gclid: Option<String>,
    ttclid: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct BodyUser {
    anonymous_id: Option<String>,
    external_id: Option<String>,
    user_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    member_id: Option<String>,
    city: Option<String>,
    country: Option<String>,
}

impl BodyUser {
    /// `name`, or `first_name last_name` when only those came.
    fn full_name(&self) -> Option<String> {
        self.name.clone().or_else(|| {
            let parts: Vec<&str> = [&self.first_name, &self.last_name]
                .into_iter()
                .filter_map(|part| {
                    part.as_deref()
                        .map(str::trim)
                        .filter(|part| !part.is_empty())
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    }
}

/// Fixed rates the mock converts payment values with (units of USD per unit).
const USD_PER_UNIT: [(&str, f64); 12] = [
    ("usd", 1.0),
    ("eur", 1.08),
    ("gbp", 1.27),
    ("cad", 0.73),
    ("aud", 0.66),
    ("chf", 1.13),
    ("jpy", 0.0067),
    ("sek", 0.095),
    ("nok", 0.093),
    ("dkk", 0.145),
    ("inr", 0.012),
    ("brl", 0.18),
];

/// The longest text the mock keeps from an event body, in characters. Whop documents no limit;
/// this one bounds what one request can make the mock keep (see docs/whop.md).
pub const MAX_TEXT_CHARS: usize = 2048;

impl CreateEventBody {
    /// Every text of the body the mock keeps, with the parameter that names it.
    fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let context = self.context.as_ref();
        let user = self.user.as_ref();
        [
            ("account_id", self.account_id.as_deref()),
            ("event_name", self.event_name.as_deref()),
            ("currency", self.currency.as_deref()),
            ("event_id", self.event_id.as_deref()),
            ("event_time", self.event_time.as_deref()),
            ("custom_name", self.custom_name.as_deref()),
            ("url", self.url.as_deref()),
            (
                "context.ad_campaign_id",
                context.and_then(|c| c.ad_campaign_id.as_deref()),
            ),
            (
                "context.ad_set_id",
                context.and_then(|c| c.ad_set_id.as_deref()),
            ),
            ("context.ad_id", context.and_then(|c| c.ad_id.as_deref())),
            (
                "user.anonymous_id",
                user.and_then(|u| u.anonymous_id.as_deref()),
            ),
            (
                "user.external_id",
                user.and_then(|u| u.external_id.as_deref()),
            ),
            ("user.user_id", user.and_then(|u| u.user_id.as_deref())),
            ("user.email", user.and_then(|u| u.email.as_deref())),
            ("user.phone", user.and_then(|u| u.phone.as_deref())),
            ("user.name", user.and_then(|u| u.name.as_deref())),
            (
                "user.first_name",
                user.and_then(|u| u.first_name.as_deref()),
            ),
            ("user.last_name", user.and_then(|u| u.last_name.as_deref())),
        ]
        .into_iter()
        .filter_map(|(param, text)| Some((param, text?)))
    }

    /// `Ok` when no text is longer than [`MAX_TEXT_CHARS`].
    fn check_lengths(&self) -> Result<(), WhopError> {
        match self
            .texts()
            .find(|(_, text)| text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS)
        {
            Some((param, _)) => Err(WhopError::invalid_param(
                param,
                format!("`{param}` must be at most {MAX_TEXT_CHARS} characters long."),
            )),
            None => Ok(()),
        }
    }
}

/// A checked `POST /events` body: the account it names and the event to record.
#[derive(Debug)]
pub struct EventIntake {
    /// The `account_id` of the body.
    pub account_id: String,
    /// The event.
    pub event: PixelEvent,
}

/// Parses and checks a `POST /events` body.
pub fn parse(body: &[u8]) -> Result<EventIntake, WhopError> {
    let body: CreateEventBody = serde_json::from_slice(body).map_err(|error| {
        WhopError::invalid_json(format!("The request body is not a valid event: {error}"))
    })?;
    body.check_lengths()?;
    let account_id = body
        .account_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| WhopError::missing_param("account_id", "`account_id` is required."))?;
    let event_name = body
        .event_name
        .filter(|name| !name.is_empty())
        .ok_or_else(|| WhopError::missing_param("event_name", "`event_name` is required."))?;
    let usd_cents = body
        .value
        .map(|value| to_usd_cents(value, body.currency.as_deref()))
        .transpose()?;
    let custom_name = match (event_name.as_str(), body.custom_name) {
        ("custom", Some(custom)) if !custom.trim().is_empty() => Some(custom),
        ("custom", _) => {
            return Err(WhopError::missing_param(
                "custom_name",
                "`custom_name` is required when `event_name` is `custom`.",
            ));
        }
        _ => None,
    };
    let event_time = body.event_time.as_deref().map(parse_time).transpose()?;
    let user = body.user.unwrap_or_default();
    let context = body.context.unwrap_or_default();
    let name = user.full_name();
    let mut event = PixelEvent {
        id: None,
        event_name: Cow::Owned(event_name),
        custom_name,
        usd_cents: None,
        event_time,
        event_id: body.event_id,
        user: User {
            anonymous_id: user.anonymous_id,
            user_id: user.user_id,
            external_id: user.external_id,
            email: user.email,
            name,
            phone: user.phone,
            more: Some(Box::new(UserMore {
                username: user.username,
                member_id: user.member_id,
                city: user.city,
                country: user.country,
            })),
        },
        context: Context {
            ad_campaign_id: context.ad_campaign_id,
            ad_set_id: context.ad_set_id,
            ad_id: context.ad_id,
            more: Some(Box::new(ContextMore {
                ip_address: context.ip_address,
                user_agent: context.user_agent,
                utm_source: context.utm_source,
                utm_medium: context.utm_medium,
                utm_campaign: context.utm_campaign,
                utm_content: context.utm_content,
                utm_term: context.utm_term,
                fbclid: context.fbclid,
                gclid: context.gclid,
                ttclid: context.ttclid,
            })),
        },
        url: body.url,
        referrer_url: body.referrer_url,
    };
    if matches!(event.kind(), EventKind::Purchase { .. }) {
        event.usd_cents = usd_cents;
    }
    Ok(EventIntake { account_id, event })
}

fn to_usd_cents(value: f64, currency: Option<&str>) -> Result<i64, WhopError> {
    if !value.is_finite() || value < 0.0 {
        return Err(WhopError::invalid_param(
            "value",
            "`value` must be a non-negative number.",
        ));
    }
    let currency = currency.unwrap_or("usd").to_ascii_lowercase();
    let rate = USD_PER_UNIT
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|(_, rate)| *rate)
        .ok_or_else(|| {
            let known: Vec<&str> = USD_PER_UNIT.iter().map(|(code, _)| *code).collect();
            WhopError::invalid_param(
                "currency",
                format!(
                    "The mock has no exchange rate for `{currency}`; use one of: {}.",
                    known.join(", ")
                ),
            )
        })?;
    let cents = dollars_to_cents(value * rate);
    if cents > MAX_PAYMENT_CENTS {
        return Err(WhopError::invalid_param(
            "value",
            "`value` must be at most 1000000000 US dollars.",
        ));
    }
    Ok(cents)
}

fn parse_time(text: &str) -> Result<Timestamp, WhopError> {
    Timestamp::parse(text)
        .map(|time| Timestamp::from_unix_seconds(time.unix_seconds()))
        .map_err(|error| {
            WhopError::invalid_param(
                "event_time",
                format!("`event_time` must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z: {error}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_body() {
        let body = br#"{
            "account_id": "biz_1", "event_name": "purchase", "value": 10, "currency": "EUR",
            "event_time": "2026-01-01T00:00:10Z", "event_id": "o1", "action_source": "website",
            "user": {"anonymous_id": "wuid_1", "email": "a@b.co", "first_name": "Ada", "last_name": "L"},
            "context": {"ad_campaign_id": "adcamp_1", "ad_id": "ad_1", "fbclid": "x"}
        }"#;
        let intake = parse(body).unwrap();
        assert_eq!(intake.account_id, "biz_1");
        assert_eq!(intake.event.kind(), EventKind::Purchase { usd_cents: 1080 });
        assert_eq!(intake.event.seconds(), 1_767_225_610);
        assert_eq!(intake.event.user.name.as_deref(), Some("Ada L"));
        assert_eq!(intake.event.context.ad_id.as_deref(), Some("ad_1"));
    }

    #[test]
    fn custom_events_take_their_custom_name() {
        let intake = parse(br#"{"account_id":"biz_1","event_name":"custom","custom_name":"demo_booked","user":{"user_id":"user_1"}}"#).unwrap();
        assert_eq!(intake.event.kind(), EventKind::Custom("demo_booked"));
    }

    #[test]
    fn a_custom_event_never_becomes_a_payment() {
        let intake = parse(br#"{"account_id":"biz_1","event_name":"custom","custom_name":"purchase","value":10,"user":{"user_id":"u"}}"#).unwrap();
        assert_eq!(intake.event.kind(), EventKind::Custom("purchase"));
        assert_eq!(
            intake.event.usd_cents, None,
            "only a payment keeps its value"
        );
    }

    #[test]
    fn blank_name_parts_are_ignored() {
        let intake = parse(br#"{"account_id":"b","event_name":"page","user":{"first_name":"Ada","last_name":" "}}"#).unwrap();
        assert_eq!(intake.event.user.name.as_deref(), Some("Ada"));
    }

    #[test]
    fn bad_bodies_name_the_problem() {
        let param = |body: &[u8]| parse(body).unwrap_err().param;
        assert_eq!(parse(b"nope").unwrap_err().code, Some("invalid_json"));
        assert_eq!(
            parse(br#"{"account_id": 5}"#).unwrap_err().code,
            Some("invalid_json")
        );
        assert_eq!(
            param(br#"{"event_name":"page"}"#).as_deref(),
            Some("account_id")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1"}"#).as_deref(),
            Some("event_name")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1","event_name":"custom"}"#).as_deref(),
            Some("custom_name")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1","event_name":"page","event_time":"yesterday"}"#)
                .as_deref(),
            Some("event_time")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1","event_name":"purchase","value":5,"currency":"xyz"}"#)
                .as_deref(),
            Some("currency")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1","event_name":"purchase","value":-5}"#).as_deref(),
            Some("value")
        );
        assert_eq!(
            param(br#"{"account_id":"biz_1","event_name":"purchase","value":1e17}"#).as_deref(),
            Some("value")
        );
        let long = "é".repeat(MAX_TEXT_CHARS + 1);
        let body =
            format!(r#"{{"account_id":"biz_1","event_name":"page","user":{{"email":"{long}"}}}}"#);
        assert_eq!(param(body.as_bytes()).as_deref(), Some("user.email"));
        let fits = "é".repeat(MAX_TEXT_CHARS);
        let body =
            format!(r#"{{"account_id":"biz_1","event_name":"page","user":{{"email":"{fits}"}}}}"#);
        assert!(
            parse(body.as_bytes()).is_ok(),
            "{MAX_TEXT_CHARS} characters fit"
        );
    }
}
