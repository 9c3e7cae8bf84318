//! Whop pixel events: what the model stores, and the typed builder tests use to make them.

/// What kind of pixel event this is; decides which aggregates it moves.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A page view (`whop.track("page")`).
    PageView,
    /// One of Whop's standard `whop.track` names (`lead`, `add_to_cart`…).
    Standard(StandardEvent),
    /// Any other name, reported as a custom event.
    Custom(String),
    /// A completed payment worth this many US cents.
    Purchase {
        /// The payment's value in US cents.
        usd_cents: i64,
    },
    /// A failed payment.
    FailedPayment,
}

impl EventKind {
    /// The `event_name` Whop reports for this kind.
    pub fn name(&self) -> &str {
        match self {
            EventKind::PageView => "page",
            EventKind::Standard(standard) => standard.as_str(),
            EventKind::Custom(name) => name,
            EventKind::Purchase { .. } => "purchase",
            EventKind::FailedPayment => "payment.failed",
        }
    }

    /// Classifies an `event_name` as sent to `POST /events`; `value_usd_cents` is the
    /// event's value, which a purchase needs.
    pub fn from_name(name: &str, value_usd_cents: Option<i64>) -> Self {
        match name {
            "page" | "page_view" => EventKind::PageView,
            "purchase" | "payment.completed" => EventKind::Purchase {
                usd_cents: value_usd_cents.unwrap_or(0),
            },
            "payment.failed" | "payment_failed" => EventKind::FailedPayment,
            other => StandardEvent::parse(other)
                .map_or_else(|| EventKind::Custom(other.to_owned()), EventKind::Standard),
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

/// The level of an ad entity in Whop's ads hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdLevel {
    /// An ad campaign (`adcamp_…`), listed under `campaigns`.
    Campaign,
    /// An ad set / ad group (`adgrp_…`), listed under `ad_sets`.
    AdSet,
    /// A single ad (`ad_…`), listed under `ads`.
    Ad,
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

/// The identifiers an event carries; any of them ties it to a person.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    /// Pixel visitor id (`wuid_…`).
    pub anonymous_id: Option<String>,
    /// Whop user id (`user_…`).
    pub user_id: Option<String>,
    /// The account's own id for the person.
    pub external_id: Option<String>,
    /// E-mail address (matched case-insensitively).
    pub email: Option<String>,
}

/// Contact details an event carries; the latest event carrying each one wins.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traits {
    /// Full name.
    pub name: Option<String>,
    /// E-mail address as sent.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// The ad entities an event is attributed to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attribution {
    /// Campaign id.
    pub campaign: Option<String>,
    /// Ad set id.
    pub ad_set: Option<String>,
    /// Ad id.
    pub ad: Option<String>,
}

impl Attribution {
    /// The `(level, id)` pairs present.
    pub fn touches(&self) -> impl Iterator<Item = (AdLevel, &str)> {
        [
            (AdLevel::Campaign, &self.campaign),
            (AdLevel::AdSet, &self.ad_set),
            (AdLevel::Ad, &self.ad),
        ]
        .into_iter()
        .filter_map(|(level, id)| id.as_deref().map(|id| (level, id)))
    }
}

/// An event about to be recorded: from `POST /events` or from [`Event`].
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// When, in Unix seconds; `None` means now.
    pub time: Option<i64>,
    /// The client's deduplication id.
    pub event_id: Option<String>,
    /// Who.
    pub identity: Identity,
    /// Contact details.
    pub traits: Traits,
    /// Ad attribution.
    pub attribution: Attribution,
    /// Display data for the ad entities, remembered per account.
    pub ad_entities: Vec<(AdLevel, AdEntity)>,
    /// The page URL.
    pub url: Option<String>,
}

impl NewEvent {
    /// The event with blank strings (empty or white space) turned into absent values, so they
    /// neither identify anyone nor hide an earlier value.
    pub fn without_blanks(mut self) -> Self {
        for value in [
            &mut self.event_id,
            &mut self.identity.anonymous_id,
            &mut self.identity.user_id,
            &mut self.identity.external_id,
            &mut self.identity.email,
            &mut self.traits.name,
            &mut self.traits.email,
            &mut self.traits.phone,
            &mut self.attribution.campaign,
            &mut self.attribution.ad_set,
            &mut self.attribution.ad,
            &mut self.url,
        ] {
            if value.as_deref().is_some_and(|text| text.trim().is_empty()) {
                *value = None;
            }
        }
        self.ad_entities
            .retain(|(_, entity)| !entity.id.trim().is_empty());
        self
    }
}

/// A recorded event, as stored in the account's log.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Its id (`evnt_…`).
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When, in Unix seconds.
    pub time: i64,
    /// The client's deduplication id, as sent.
    pub event_id: Option<String>,
    /// Who.
    pub identity: Identity,
    /// Contact details.
    pub traits: Traits,
    /// Ad attribution.
    pub attribution: Attribution,
    /// Display data for the ad entities that came with the event.
    pub ad_entities: Vec<(AdLevel, AdEntity)>,
    /// The page URL.
    pub url: Option<String>,
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
pub struct Event(NewEvent);

impl Event {
    fn of(kind: EventKind) -> Self {
        Self(NewEvent {
            kind,
            time: None,
            event_id: None,
            identity: Identity::default(),
            traits: Traits::default(),
            attribution: Attribution::default(),
            ad_entities: Vec::new(),
            url: None,
        })
    }

    /// A page view.
    pub fn page_view() -> Self {
        Self::of(EventKind::PageView)
    }

    /// A standard event such as a lead.
    pub fn standard(event: StandardEvent) -> Self {
        Self::of(EventKind::Standard(event))
    }

    /// A custom event called `name`.
    pub fn custom(name: impl Into<String>) -> Self {
        Self::of(EventKind::Custom(name.into()))
    }

    /// A completed payment worth `usd` US dollars.
    pub fn purchase(usd: f64) -> Self {
        Self::of(EventKind::Purchase {
            usd_cents: dollars_to_cents(usd),
        })
    }

    /// A failed payment.
    pub fn failed_payment() -> Self {
        Self::of(EventKind::FailedPayment)
    }

    /// The pixel visitor id (`wuid_…`).
    pub fn visitor(mut self, anonymous_id: impl Into<String>) -> Self {
        self.0.identity.anonymous_id = Some(anonymous_id.into());
        self
    }

    /// The Whop user id (`user_…`).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.0.identity.user_id = Some(user_id.into());
        self
    }

    /// The account's own id for the person.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.0.identity.external_id = Some(external_id.into());
        self
    }

    /// The e-mail address: both an identifier and a contact detail.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        let email = email.into();
        self.0.identity.email = Some(email.clone());
        self.0.traits.email = Some(email);
        self
    }

    /// The person's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.0.traits.name = Some(name.into());
        self
    }

    /// The phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.0.traits.phone = Some(phone.into());
        self
    }

    /// When it happened, in Unix seconds (default: the mock's clock).
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.0.time = Some(unix_seconds);
        self
    }

    /// The deduplication id: a second event with the same name and id is ignored.
    pub fn event_id(mut self, event_id: impl Into<String>) -> Self {
        self.0.event_id = Some(event_id.into());
        self
    }

    /// The page URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.0.url = Some(url.into());
        self
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
        let slot = match level {
            AdLevel::Campaign => &mut self.0.attribution.campaign,
            AdLevel::AdSet => &mut self.0.attribution.ad_set,
            AdLevel::Ad => &mut self.0.attribution.ad,
        };
        *slot = Some(entity.id.clone());
        self.0.ad_entities.push((level, entity));
        self
    }

    /// The event ready to record.
    pub fn into_new_event(self) -> NewEvent {
        self.0
    }
}

/// Rounds a dollar amount to whole cents.
pub fn dollars_to_cents(usd: f64) -> i64 {
    (usd * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_classification() {
        for kind in [
            EventKind::PageView,
            EventKind::Standard(StandardEvent::AddToCart),
            EventKind::Custom("webinar_joined".into()),
            EventKind::FailedPayment,
        ] {
            assert_eq!(EventKind::from_name(kind.name(), None), kind);
        }
        assert_eq!(
            EventKind::from_name("payment.completed", Some(4900)),
            EventKind::Purchase { usd_cents: 4900 }
        );
    }

    #[test]
    fn builder_sets_identity_traits_and_attribution() {
        let event = Event::purchase(19.999)
            .visitor("wuid_1")
            .email("A@x.com")
            .ad(AdEntity::new("ad_1").name("Ad"))
            .into_new_event();
        assert_eq!(event.kind, EventKind::Purchase { usd_cents: 2000 });
        assert_eq!(event.identity.email.as_deref(), Some("A@x.com"));
        assert_eq!(event.traits.email.as_deref(), Some("A@x.com"));
        assert_eq!(
            event.attribution.touches().collect::<Vec<_>>(),
            [(AdLevel::Ad, "ad_1")]
        );
        assert_eq!(event.ad_entities[0].1.name.as_deref(), Some("Ad"));
    }
}
