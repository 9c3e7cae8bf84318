//! What a Whop account's log holds: one [`Entry`] per write, the same value the account keeps
//! in memory, a seed lists and the data directory records. Also the typed [`Event`] builder
//! tests make entries with.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// One write of a Whop account, in the order it was made.
///
/// In a seed, each entry is a map with one key, its kind: `- event: {event_name: page, …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// A log is almost all events: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// A pixel event (`POST /events`, [`Whop::ingest`](super::Whop::ingest)).
    Event(PixelEvent),
    /// Display data of an ad campaign, ad set or ad, shown next to the people it touched.
    Ad(AdDisplay),
}

/// A pixel event, in the vocabulary of Whop's `POST /events` body.
///
/// The account gives it an `id` and (when it has none) the clock's time as it records it, so
/// its log and a seed exported from it always carry both; a hand-written seed may leave them
/// out. Blank strings count as absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelEvent {
    /// Its id (`evnt_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `page` (or `page_view`), a standard name (`lead`, `add_to_cart`…), `purchase` (or
    /// `payment.completed`), `payment.failed`, `custom` (with `custom_name`), or any other
    /// name, which is a custom event.
    pub event_name: Cow<'static, str>,
    /// The name of a `custom` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_name: Option<String>,
    /// A payment's value in US cents; written in US dollars (`value: 49.0`).
    #[serde(
        rename = "value",
        default,
        skip_serializing_if = "Option::is_none",
        with = "usd"
    )]
    pub usd_cents: Option<i64>,
    /// When it happened, to the second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<Timestamp>,
    /// The client's deduplication id: a later event with the same name and `event_id` is
    /// ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Who: at least one identifier.
    #[serde(default, skip_serializing_if = "User::is_empty")]
    pub user: User,
    /// The ad entities it is attributed to.
    #[serde(default, skip_serializing_if = "Context::is_empty")]
    pub context: Context,
    /// The page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The referring page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_url: Option<String>,
}

/// The `user` of an event: identifiers and contact details. What few events carry (user
/// name, member id, location) is boxed in [`UserMore`], so an event without it costs one
/// pointer; seeds and bodies write every field flat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "UserWire", into = "UserWire")]
pub struct User {
    /// Pixel visitor id (`wuid_…`).
    pub anonymous_id: Option<String>,
    /// Whop user id (`user_…`).
    pub user_id: Option<String>,
    /// The account's own id for the person.
    pub external_id: Option<String>,
    /// E-mail: an identifier (case-insensitive) and a contact detail.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// The rarer details, when any is set.
    pub more: Option<Box<UserMore>>,
}

/// The details of an event's `user` that few events carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserMore {
    /// Whop username.
    pub username: Option<String>,
    /// Whop member id (`mber_…`).
    pub member_id: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country, ISO 3166-1 alpha-2 (`US`).
    pub country: Option<String>,
}

/// [`User`] as seeds and the data directory write it: every field flat.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    anonymous_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<String>,
}

impl From<UserWire> for User {
    fn from(wire: UserWire) -> Self {
        let more = UserMore {
            username: wire.username,
            member_id: wire.member_id,
            city: wire.city,
            country: wire.country,
        };
        Self {
            anonymous_id: wire.anonymous_id,
            user_id: wire.user_id,
            external_id: wire.external_id,
            email: wire.email,
            name: wire.name,
            phone: wire.phone,
            more: boxed_unless_default(more),
        }
    }
}

impl From<User> for UserWire {
    fn from(user: User) -> Self {
        let more = user.more.map(|more| *more).unwrap_or_default();
        Self {
            anonymous_id: user.anonymous_id,
            user_id: user.user_id,
            external_id: user.external_id,
            email: user.email,
            name: user.name,
            phone: user.phone,
            username: more.username,
            member_id: more.member_id,
            city: more.city,
            country: more.country,
        }
    }
}

impl User {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The rarer details (all absent when none was sent).
    pub fn more(&self) -> &UserMore {
        self.more.as_deref().unwrap_or(&NO_USER_MORE)
    }
}

/// The details of a user without any of them.
static NO_USER_MORE: UserMore = UserMore {
    username: None,
    member_id: None,
    city: None,
    country: None,
};

/// The `context` of an event: its ad attribution, and (boxed in [`ContextMore`], written flat)
/// what the pixel or a server adds: IP address, user agent, UTM fields and ad-platform click
/// ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ContextWire", into = "ContextWire")]
pub struct Context {
    /// Campaign id (`adcamp_…`).
    pub ad_campaign_id: Option<String>,
    /// Ad set id (`adgrp_…`).
    pub ad_set_id: Option<String>,
    /// Ad id (`ad_…`).
    pub ad_id: Option<String>,
    /// The rarer details, when any is set.
    pub more: Option<Box<ContextMore>>,
}

/// The details of an event's `context` besides Whop's ad ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextMore {
    /// The visitor's IP address.
    pub ip_address: Option<String>,
    /// The browser's `User-Agent`.
    pub user_agent: Option<String>,
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `utm_content`.
    pub utm_content: Option<String>,
    /// `utm_term`.
    pub utm_term: Option<String>,
    /// Meta's click id.
    pub fbclid: Option<String>,
    /// Google's click id.
    pub gclid: Option<String>,
    /// TikTok's click id.
    pub ttclid: Option<String>,
}

/// [`Context`] as seeds and the data directory write it: every field flat.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ad_campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ad_set_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ad_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utm_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utm_campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utm_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utm_term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fbclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttclid: Option<String>,
}

impl From<ContextWire> for Context {
    fn from(wire: ContextWire) -> Self {
        let more = ContextMore {
            ip_address: wire.ip_address,
            user_agent: wire.user_agent,
            utm_source: wire.utm_source,
            utm_medium: wire.utm_medium,
            utm_campaign: wire.utm_campaign,
            utm_content: wire.utm_content,
            utm_term: wire.utm_term,
            fbclid: wire.fbclid,
            gclid: wire.gclid,
            ttclid: wire.ttclid,
        };
        Self {
            ad_campaign_id: wire.ad_campaign_id,
            ad_set_id: wire.ad_set_id,
            ad_id: wire.ad_id,
            more: boxed_unless_default(more),
        }
    }
}

impl From<Context> for ContextWire {
    fn from(context: Context) -> Self {
        let more = context.more.map(|more| *more).unwrap_or_default();
        Self {
            ad_campaign_id: context.ad_campaign_id,
            ad_set_id: context.ad_set_id,
            ad_id: context.ad_id,
            ip_address: more.ip_address,
            user_agent: more.user_agent,
            utm_source: more.utm_source,
            utm_medium: more.utm_medium,
            utm_campaign: more.utm_campaign,
            utm_content: more.utm_content,
            utm_term: more.utm_term,
            fbclid: more.fbclid,
            gclid: more.gclid,
            ttclid: more.ttclid,
        }
    }
}

/// The details of a context without any of them.
static NO_CONTEXT_MORE: ContextMore = ContextMore {
    ip_address: None,
    user_agent: None,
    utm_source: None,
    utm_medium: None,
    utm_campaign: None,
    utm_content: None,
    utm_term: None,
    fbclid: None,
    gclid: None,
    ttclid: None,
};

/// `Some(boxed)` unless `value` is all defaults.
fn boxed_unless_default<T: Default + PartialEq>(value: T) -> Option<Box<T>> {
    (value != T::default()).then(|| Box::new(value))
}

impl Context {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The rarer details (all absent when none was sent).
    pub fn more(&self) -> &ContextMore {
        self.more.as_deref().unwrap_or(&NO_CONTEXT_MORE)
    }

    /// The `(level, id)` pairs present.
    pub fn touches(&self) -> impl Iterator<Item = (AdLevel, &str)> {
        [
            (AdLevel::Campaign, &self.ad_campaign_id),
            (AdLevel::AdSet, &self.ad_set_id),
            (AdLevel::Ad, &self.ad_id),
        ]
        .into_iter()
        .filter_map(|(level, id)| id.as_deref().map(|id| (level, id)))
    }
}

/// Display data of an ad entity: what Whop shows under a person's `campaigns`, `ad_sets`
/// or `ads`. Fields left out keep what the account knew.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdDisplay {
    /// Campaign, ad set or ad.
    pub level: AdLevel,
    /// Its id, as events name it in `context`.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Thumbnail image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// The level of an ad entity in Whop's ads hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdLevel {
    /// An ad campaign (`adcamp_…`), listed under `campaigns`.
    Campaign,
    /// An ad set / ad group (`adgrp_…`), listed under `ad_sets`.
    AdSet,
    /// A single ad (`ad_…`), listed under `ads`.
    Ad,
}

/// What kind of pixel event an entry is; decides which aggregates it moves.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum EventKind<'a> {
    /// A page view (`whop.track("page")`).
    PageView,
    /// One of Whop's standard `whop.track` names (`lead`, `add_to_cart`…).
    Standard(StandardEvent),
    /// Any other name, reported as a custom event.
    Custom(&'a str),
    /// A completed payment worth this many US cents.
    Purchase {
        /// The payment's value in US cents.
        usd_cents: i64,
    },
    /// A failed payment.
    FailedPayment,
}

/// The kind of an event called `event_name`, with `custom_name` and `usd_cents`. A `custom`
/// event is named by its `custom_name`; a payment without a value is worth nothing.
pub(super) fn kind_of<'a>(
    event_name: &'a str,
    custom_name: Option<&'a str>,
    usd_cents: Option<i64>,
) -> EventKind<'a> {
    match (event_name, custom_name) {
        ("custom", Some(custom)) => EventKind::Custom(custom),
        ("page" | "page_view", _) => EventKind::PageView,
        ("purchase" | "payment.completed", _) => EventKind::Purchase {
            usd_cents: usd_cents.unwrap_or(0),
        },
        ("payment.failed" | "payment_failed", _) => EventKind::FailedPayment,
        (other, _) => {
            StandardEvent::parse(other).map_or(EventKind::Custom(other), EventKind::Standard)
        }
    }
}

impl<'a> EventKind<'a> {
    /// The name Whop reports for an event of this kind.
    pub(crate) fn reported_name(&self) -> &'a str {
        match *self {
            EventKind::PageView => "page",
            EventKind::Standard(standard) => standard.as_str(),
            EventKind::Custom(name) => name,
            EventKind::Purchase { .. } => "purchase",
            EventKind::FailedPayment => "payment.failed",
        }
    }
}

/// Whop's standard `whop.track` event names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandardEvent {
    /// `lead`
    Lead,
    /// `schedule`
    Schedule,
    /// `submit_application`
    SubmitApplication,
    /// `contact`
    Contact,
    /// `complete_registration`
    CompleteRegistration,
    /// `view_content`
    ViewContent,
    /// `add_to_cart`
    AddToCart,
    /// `initiate_checkout`
    InitiateCheckout,
}

impl StandardEvent {
    /// Every standard event.
    pub const ALL: [StandardEvent; 8] = [
        StandardEvent::Lead,
        StandardEvent::Schedule,
        StandardEvent::SubmitApplication,
        StandardEvent::Contact,
        StandardEvent::CompleteRegistration,
        StandardEvent::ViewContent,
        StandardEvent::AddToCart,
        StandardEvent::InitiateCheckout,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StandardEvent::Lead => "lead",
            StandardEvent::Schedule => "schedule",
            StandardEvent::SubmitApplication => "submit_application",
            StandardEvent::Contact => "contact",
            StandardEvent::CompleteRegistration => "complete_registration",
            StandardEvent::ViewContent => "view_content",
            StandardEvent::AddToCart => "add_to_cart",
            StandardEvent::InitiateCheckout => "initiate_checkout",
        }
    }

    /// The standard event called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }
}

/// Every event name with a meaning of its own, kept once instead of in each entry.
pub(super) const KNOWN_NAMES: [&str; 14] = [
    "page",
    "page_view",
    "purchase",
    "payment.completed",
    "payment.failed",
    "payment_failed",
    "lead",
    "schedule",
    "submit_application",
    "contact",
    "complete_registration",
    "view_content",
    "add_to_cart",
    "initiate_checkout",
];

impl PixelEvent {
    /// An event called `event_name`, with nothing else set yet.
    pub fn named(event_name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: None,
            event_name: event_name.into(),
            custom_name: None,
            usd_cents: None,
            event_time: None,
            event_id: None,
            user: User::default(),
            context: Context::default(),
            url: None,
            referrer_url: None,
        }
    }

    /// When it happened, in whole Unix seconds (every logged event has a time).
    pub fn seconds(&self) -> i64 {
        self.event_time.map_or(0, Timestamp::unix_seconds)
    }

    /// What kind of event it is. A `custom` event is named by its `custom_name`; a payment
    /// without a value is worth nothing.
    pub(crate) fn kind(&self) -> EventKind<'_> {
        kind_of(
            &self.event_name,
            self.custom_name.as_deref(),
            self.usd_cents,
        )
    }

    /// Whether it is a completed payment.
    pub fn is_purchase(&self) -> bool {
        matches!(self.kind(), EventKind::Purchase { .. })
    }

    /// The name deduplication compares: what Whop reports as its `event_name`.
    pub fn reported_name(&self) -> &str {
        self.kind().reported_name()
    }

    /// Turns blank strings (empty or white space) into absent values, so they neither identify
    /// anyone nor hide an earlier value, and shares a known name instead of storing it.
    pub(super) fn normalize(&mut self) {
        let User {
            anonymous_id,
            user_id,
            external_id,
            email,
            name,
            phone,
            more: user_more,
        } = &mut self.user;
        let Context {
            ad_campaign_id,
            ad_set_id,
            ad_id,
            more: context_more,
        } = &mut self.context;
        for value in [
            &mut self.id,
            &mut self.custom_name,
            &mut self.event_id,
            anonymous_id,
            user_id,
            external_id,
            email,
            name,
            phone,
            ad_campaign_id,
            ad_set_id,
            ad_id,
            &mut self.url,
            &mut self.referrer_url,
        ] {
            clear_blank(value);
        }
        if let Some(more) = user_more {
            let UserMore {
                username,
                member_id,
                city,
                country,
            } = &mut **more;
            [username, member_id, city, country]
                .into_iter()
                .for_each(clear_blank);
        }
        if user_more.as_deref() == Some(&NO_USER_MORE) {
            *user_more = None;
        }
        if let Some(more) = context_more {
            let ContextMore {
                ip_address,
                user_agent,
                utm_source,
                utm_medium,
                utm_campaign,
                utm_content,
                utm_term,
                fbclid,
                gclid,
                ttclid,
            } = &mut **more;
            [
                ip_address,
                user_agent,
                utm_source,
                utm_medium,
                utm_campaign,
                utm_content,
                utm_term,
                fbclid,
                gclid,
                ttclid,
            ]
            .into_iter()
            .for_each(clear_blank);
        }
        if context_more.as_deref() == Some(&NO_CONTEXT_MORE) {
            *context_more = None;
        }
        if let Some(known) = KNOWN_NAMES.iter().find(|known| **known == self.event_name) {
            self.event_name = Cow::Borrowed(known);
        }
    }
}

/// Makes a blank string (empty or white space) absent.
fn clear_blank(value: &mut Option<String>) {
    if value.as_deref().is_some_and(|text| text.trim().is_empty()) {
        *value = None;
    }
}

/// A typed builder for pixel events, for seeding the mock from tests.
///
/// ```
/// use persons_mock::whop::{AdEntity, Event};
/// let event = Event::purchase(49.0)
///     .visitor("wuid_1")
///     .email("ada@example.com")
///     .at(1_700_000_000)
///     .campaign(AdEntity::new("adcamp_1").name("Spring sale"));
/// # let _ = event;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    event: PixelEvent,
    ads: Vec<AdDisplay>,
}

/// An ad campaign, ad set or ad, with the display data Whop shows next to a person.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AdEntity {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Thumbnail image URL.
    pub thumbnail_url: Option<String>,
}

impl AdEntity {
    /// An entity with this id and no display data yet.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the thumbnail URL.
    pub fn thumbnail_url(mut self, url: impl Into<String>) -> Self {
        self.thumbnail_url = Some(url.into());
        self
    }
}

impl Event {
    fn named(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            event: PixelEvent::named(name),
            ads: Vec::new(),
        }
    }

    /// A page view.
    pub fn page_view() -> Self {
        Self::named("page")
    }

    /// A standard event such as a lead.
    pub fn standard(event: StandardEvent) -> Self {
        Self::named(event.as_str())
    }

    /// A custom event called `name`.
    pub fn custom(name: impl Into<String>) -> Self {
        let mut custom = Self::named("custom");
        custom.event.custom_name = Some(name.into());
        custom
    }

    /// A completed payment worth `usd` US dollars.
    pub fn purchase(usd: f64) -> Self {
        let mut purchase = Self::named("purchase");
        purchase.event.usd_cents = Some(dollars_to_cents(usd));
        purchase
    }

    /// A failed payment.
    pub fn failed_payment() -> Self {
        Self::named("payment.failed")
    }

    /// The pixel visitor id (`wuid_…`).
    pub fn visitor(mut self, anonymous_id: impl Into<String>) -> Self {
        self.event.user.anonymous_id = Some(anonymous_id.into());
        self
    }

    /// The Whop user id (`user_…`).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.event.user.user_id = Some(user_id.into());
        self
    }

    /// The account's own id for the person.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.event.user.external_id = Some(external_id.into());
        self
    }

    /// The e-mail address: both an identifier and a contact detail.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.event.user.email = Some(email.into());
        self
    }

    /// The person's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.event.user.name = Some(name.into());
        self
    }

    /// The phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.event.user.phone = Some(phone.into());
        self
    }

    /// When it happened, in Unix seconds (default: the mock's clock).
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.event.event_time = Some(Timestamp::from_unix_seconds(unix_seconds));
        self
    }

    /// The deduplication id: a second event with the same name and id is ignored.
    pub fn event_id(mut self, event_id: impl Into<String>) -> Self {
        self.event.event_id = Some(event_id.into());
        self
    }

    /// The page URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.event.url = Some(url.into());
        self
    }

    /// The referring page's URL (`referrer_url`).
    pub fn referrer(mut self, url: impl Into<String>) -> Self {
        self.event.referrer_url = Some(url.into());
        self
    }

    /// The browser's `User-Agent` (`context.user_agent`), read as browser, OS and device.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.context_more().user_agent = Some(user_agent.into());
        self
    }

    /// The visitor's IP address (`context.ip_address`).
    pub fn ip(mut self, ip_address: impl Into<String>) -> Self {
        self.context_more().ip_address = Some(ip_address.into());
        self
    }

    /// The UTM source (`context.utm_source`), and optionally its medium and campaign.
    pub fn utm(
        mut self,
        source: impl Into<String>,
        medium: Option<&str>,
        campaign: Option<&str>,
    ) -> Self {
        let more = self.context_more();
        more.utm_source = Some(source.into());
        more.utm_medium = medium.map(str::to_owned);
        more.utm_campaign = campaign.map(str::to_owned);
        self
    }

    /// An ad platform's click id: `fbclid` (Meta), `gclid` (Google) or `ttclid` (TikTok);
    /// any other parameter name is ignored.
    pub fn click_id(mut self, parameter: &str, id: impl Into<String>) -> Self {
        let more = self.context_more();
        let slot = match parameter {
            "fbclid" => &mut more.fbclid,
            "gclid" => &mut more.gclid,
            "ttclid" => &mut more.ttclid,
            _ => return self,
        };
        *slot = Some(id.into());
        self
    }

    /// Where the visitor is: city and country (ISO 3166-1 alpha-2).
    pub fn location(mut self, city: impl Into<String>, country: impl Into<String>) -> Self {
        let more = self.user_more();
        more.city = Some(city.into());
        more.country = Some(country.into());
        self
    }

    /// The Whop username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.user_more().username = Some(username.into());
        self
    }

    /// The Whop member id (`mber_…`).
    pub fn member_id(mut self, member_id: impl Into<String>) -> Self {
        self.user_more().member_id = Some(member_id.into());
        self
    }

    fn context_more(&mut self) -> &mut ContextMore {
        self.event.context.more.get_or_insert_with(Box::default)
    }

    fn user_more(&mut self) -> &mut UserMore {
        self.event.user.more.get_or_insert_with(Box::default)
    }

    /// Attributes the event to an ad campaign.
    pub fn campaign(self, campaign: AdEntity) -> Self {
        self.attribute(AdLevel::Campaign, campaign)
    }

    /// Attributes the event to an ad set.
    pub fn ad_set(self, ad_set: AdEntity) -> Self {
        self.attribute(AdLevel::AdSet, ad_set)
    }

    /// Attributes the event to an ad.
    pub fn ad(self, ad: AdEntity) -> Self {
        self.attribute(AdLevel::Ad, ad)
    }

    fn attribute(mut self, level: AdLevel, entity: AdEntity) -> Self {
        let context = &mut self.event.context;
        let slot = match level {
            AdLevel::Campaign => &mut context.ad_campaign_id,
            AdLevel::AdSet => &mut context.ad_set_id,
            AdLevel::Ad => &mut context.ad_id,
        };
        *slot = Some(entity.id.clone());
        if entity.name.is_some() || entity.thumbnail_url.is_some() {
            self.ads.push(AdDisplay {
                level,
                id: entity.id,
                name: entity.name,
                thumbnail_url: entity.thumbnail_url,
            });
        }
        self
    }

    /// The event it records.
    pub fn event(&self) -> &PixelEvent {
        &self.event
    }

    /// The entries that record it: the event, then the display data of its ad entities (so
    /// an event refused changes nothing before it).
    pub fn into_entries(self) -> impl Iterator<Item = Entry> {
        let (event, ads) = self.into_parts();
        std::iter::once(Entry::Event(event)).chain(ads.into_iter().map(Entry::Ad))
    }

    /// The event, and the display data of its ad entities.
    pub(super) fn into_parts(self) -> (PixelEvent, Vec<AdDisplay>) {
        (self.event, self.ads)
    }
}

/// Rounds a dollar amount to whole cents.
pub(crate) fn dollars_to_cents(usd: f64) -> i64 {
    (usd * 100.0).round() as i64
}

/// Cents written as dollars: `4900` ↔ `49.0`.
mod usd {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::dollars_to_cents;

    pub fn serialize<S: Serializer>(cents: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match cents {
            Some(cents) => serializer.serialize_f64(*cents as f64 / 100.0),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        let Some(dollars) = Option::<f64>::deserialize(deserializer)? else {
            return Ok(None);
        };
        if !(dollars.is_finite() && dollars >= 0.0) {
            return Err(serde::de::Error::custom(format!(
                "a payment's value must be a non-negative amount of US dollars, got {dollars}"
            )));
        }
        Ok(Some(dollars_to_cents(dollars)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_whops_names() {
        let kind = |name: &'static str, expected: EventKind<'_>| {
            assert_eq!(PixelEvent::named(name).kind(), expected, "{name}");
        };
        kind("page_view", EventKind::PageView);
        kind("add_to_cart", EventKind::Standard(StandardEvent::AddToCart));
        kind("webinar_joined", EventKind::Custom("webinar_joined"));
        kind("payment_failed", EventKind::FailedPayment);
        kind("purchase", EventKind::Purchase { usd_cents: 0 });
        let mut custom = PixelEvent::named("custom");
        custom.custom_name = Some("purchase".into());
        assert_eq!(
            custom.kind(),
            EventKind::Custom("purchase"),
            "a custom event may take any name"
        );
        assert_eq!(custom.reported_name(), "purchase");
    }

    #[test]
    fn builder_sets_identity_contact_and_attribution() {
        let entries: Vec<Entry> = Event::purchase(19.999)
            .visitor("wuid_1")
            .email("A@x.com")
            .ad(AdEntity::new("ad_1").name("Ad"))
            .campaign(AdEntity::new("adcamp_1"))
            .into_entries()
            .collect();
        let [Entry::Event(event), Entry::Ad(ad)] = entries.as_slice() else {
            panic!("{entries:?}");
        };
        assert_eq!((ad.id.as_str(), ad.name.as_deref()), ("ad_1", Some("Ad")));
        assert_eq!(event.kind(), EventKind::Purchase { usd_cents: 2000 });
        assert_eq!(event.user.email.as_deref(), Some("A@x.com"));
        assert_eq!(
            event.context.touches().collect::<Vec<_>>(),
            [(AdLevel::Campaign, "adcamp_1"), (AdLevel::Ad, "ad_1")]
        );
    }

    #[test]
    fn entries_read_back_as_written_and_refuse_unknown_fields() {
        let mut event = Event::purchase(49.0)
            .visitor("wuid_1")
            .at(1_769_860_800)
            .into_entries();
        let entry = event.next().unwrap();
        let yaml = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            yaml,
            serde_json::json!({"event": {
                "event_name": "purchase",
                "value": 49.0,
                "event_time": "2026-01-31T12:00:00Z",
                "user": {"anonymous_id": "wuid_1"}
            }})
        );
        assert_eq!(serde_json::from_value::<Entry>(yaml).unwrap(), entry);
        let typo = serde_json::json!({"event": {"event_name": "page", "user": {"emial": "a@x"}}});
        let error = serde_json::from_value::<Entry>(typo)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `emial`"), "{error}");
        let negative = serde_json::json!({"event": {"event_name": "purchase", "value": -1.0}});
        let error = serde_json::from_value::<Entry>(negative)
            .unwrap_err()
            .to_string();
        assert!(error.contains("non-negative"), "{error}");
    }

    #[test]
    fn rarer_details_are_written_flat_and_read_back_boxed() {
        let entry = Event::page_view()
            .visitor("wuid_1")
            .user_agent("UA")
            .location("Paris", "FR")
            .referrer("https://a.example/")
            .into_entries()
            .next()
            .unwrap();
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"event": {
                "event_name": "page",
                "user": {"anonymous_id": "wuid_1", "city": "Paris", "country": "FR"},
                "context": {"user_agent": "UA"},
                "referrer_url": "https://a.example/"
            }})
        );
        assert_eq!(serde_json::from_value::<Entry>(json).unwrap(), entry);
        let mut blank = PixelEvent::named("page");
        blank.context.more = Some(Box::new(ContextMore {
            ip_address: Some(" ".into()),
            ..ContextMore::default()
        }));
        blank.normalize();
        assert_eq!(blank.context.more, None, "nothing left to box");
        let typo =
            serde_json::json!({"event": {"event_name": "page", "context": {"user_agnet": "x"}}});
        assert!(serde_json::from_value::<Entry>(typo).is_err());
    }

    #[test]
    fn blanks_are_absent_and_known_names_are_shared() {
        let mut event = PixelEvent::named(String::from("lead"));
        event.event_id = Some(" ".into());
        event.user.name = Some(String::new());
        event.normalize();
        assert_eq!((event.event_id, event.user.name), (None, None));
        assert!(matches!(event.event_name, Cow::Borrowed("lead")));
    }
}
