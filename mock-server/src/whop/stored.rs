//! How an account keeps a logged event in memory: [`StoredEvent`], a compact form of the
//! [`PixelEvent`] it was given, from which the same [`PixelEvent`] comes back for seeds and
//! exports. The fields most events carry stay inline (the id without an allocation; the
//! visitor id, e-mail and page URL shared through the account's [`Strings`], since a person's
//! events repeat them); the rest, which few events carry, is boxed together.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::log::{Context, EventKind, KNOWN_NAMES, PixelEvent, User, UserMore, kind_of};
use crate::Timestamp;

/// One copy of each distinct text the account's events carry in their shared fields.
#[derive(Clone, Debug, Default)]
pub struct Strings(FxHashSet<Arc<str>>);

impl Strings {
    /// The shared copy of `text`.
    fn share(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.0.get(text.as_str()) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = text.into();
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// Text kept inline up to [`ShortText::INLINE`] bytes (a generated event id is 19), boxed
/// beyond.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ShortText {
    /// The text's bytes, `len` of them used.
    Inline {
        /// How many of `bytes` hold the text.
        len: u8,
        /// The text, then zeros.
        bytes: [u8; ShortText::INLINE],
    },
    /// Longer text.
    Boxed(Box<str>),
}

impl ShortText {
    /// The longest text kept inline.
    const INLINE: usize = 22;

    fn new(text: String) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= Self::INLINE => {
                let mut bytes = [0; Self::INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Boxed(text.into_boxed_str()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)])
                .expect("inline text is a whole string"),
            Self::Boxed(text) => text,
        }
    }
}

/// What [`StoredEvent::name`] holds when the event's name is not one of [`KNOWN_NAMES`]: the
/// name is in [`Rare::event_name`].
const OTHER_NAME: u8 = u8::MAX;

/// An event as the account keeps it: the [`PixelEvent`] it was given, completed (with its id
/// and time) and normalised, in a compact form.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    /// Its id.
    id: ShortText,
    /// When it happened, in Unix seconds.
    seconds: i64,
    /// The visitor id.
    visitor: Option<Arc<str>>,
    /// The e-mail.
    email: Option<Arc<str>>,
    /// The page URL.
    url: Option<Arc<str>>,
    /// Everything else, when any of it is set.
    rare: Option<Box<Rare>>,
    /// Its name's position in [`KNOWN_NAMES`], or [`OTHER_NAME`].
    name: u8,
}

/// The fields of a stored event that few events carry.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rare {
    event_name: Option<String>,
    custom_name: Option<String>,
    usd_cents: Option<i64>,
    event_id: Option<String>,
    user_id: Option<String>,
    external_id: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    user_more: Option<Box<UserMore>>,
    context: Context,
    referrer_url: Option<String>,
}

/// The rare fields of an event without any.
static NO_RARE: Rare = Rare {
    event_name: None,
    custom_name: None,
    usd_cents: None,
    event_id: None,
    user_id: None,
    external_id: None,
    name: None,
    phone: None,
    user_more: None,
    context: Context {
        ad_campaign_id: None,
        ad_set_id: None,
        ad_id: None,
        more: None,
    },
    referrer_url: None,
};

/// The details of a user without any of them.
static NO_USER_MORE: UserMore = UserMore {
    username: None,
    member_id: None,
    city: None,
    country: None,
};

impl StoredEvent {
    /// `event` (completed: with its id and time) in compact form, its shared fields taken
    /// from `strings`.
    pub fn new(event: PixelEvent, strings: &mut Strings) -> Self {
        let PixelEvent {
            id,
            event_name,
            custom_name,
            usd_cents,
            event_time,
            event_id,
            user,
            context,
            url,
            referrer_url,
        } = event;
        let known = KNOWN_NAMES.iter().position(|known| *known == event_name);
        let rare = Rare {
            event_name: known.is_none().then(|| event_name.into_owned()),
            custom_name,
            usd_cents,
            event_id,
            user_id: user.user_id,
            external_id: user.external_id,
            name: user.name,
            phone: user.phone,
            user_more: user.more,
            context,
            referrer_url,
        };
        let mut share = |text: Option<String>| text.map(|text| strings.share(text));
        Self {
            id: ShortText::new(id.unwrap_or_default()),
            seconds: event_time.map_or(0, Timestamp::unix_seconds),
            visitor: share(user.anonymous_id),
            email: share(user.email),
            url: share(url),
            rare: (rare != NO_RARE).then(|| Box::new(rare)),
            name: known.map_or(OTHER_NAME, |position| position as u8),
        }
    }

    /// The event it was made from.
    pub fn to_pixel(&self) -> PixelEvent {
        let rare = self.rare();
        let owned = |text: &Option<Arc<str>>| text.as_deref().map(str::to_owned);
        PixelEvent {
            id: Some(self.id().to_owned()),
            event_name: match KNOWN_NAMES.get(usize::from(self.name)) {
                Some(known) => Cow::Borrowed(known),
                None => Cow::Owned(rare.event_name.clone().unwrap_or_default()),
            },
            custom_name: rare.custom_name.clone(),
            usd_cents: rare.usd_cents,
            event_time: Some(Timestamp::from_unix_seconds(self.seconds)),
            event_id: rare.event_id.clone(),
            user: User {
                anonymous_id: owned(&self.visitor),
                user_id: rare.user_id.clone(),
                external_id: rare.external_id.clone(),
                email: owned(&self.email),
                name: rare.name.clone(),
                phone: rare.phone.clone(),
                more: rare.user_more.clone(),
            },
            context: rare.context.clone(),
            url: owned(&self.url),
            referrer_url: rare.referrer_url.clone(),
        }
    }

    fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }

    /// Its id (`evnt_…`).
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// Its `event_name`, as given.
    pub fn event_name(&self) -> &str {
        KNOWN_NAMES
            .get(usize::from(self.name))
            .copied()
            .or(self.rare().event_name.as_deref())
            .unwrap_or_default()
    }

    /// The name of a `custom` event.
    pub fn custom_name(&self) -> Option<&str> {
        self.rare().custom_name.as_deref()
    }

    /// The client's deduplication id.
    pub fn event_id(&self) -> Option<&str> {
        self.rare().event_id.as_deref()
    }

    /// When it happened, in Unix seconds.
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// What kind of event it is (as [`PixelEvent::kind`]).
    pub(crate) fn kind(&self) -> EventKind<'_> {
        kind_of(self.event_name(), self.custom_name(), self.rare().usd_cents)
    }

    /// The name Whop reports (as [`PixelEvent::reported_name`]).
    pub fn reported_name(&self) -> &str {
        self.kind().reported_name()
    }

    /// The e-mail.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The Whop user id.
    pub fn user_id(&self) -> Option<&str> {
        self.rare().user_id.as_deref()
    }

    /// The full name.
    pub fn name(&self) -> Option<&str> {
        self.rare().name.as_deref()
    }

    /// The phone number.
    pub fn phone(&self) -> Option<&str> {
        self.rare().phone.as_deref()
    }

    /// The user's rarer details (all absent when none was sent).
    pub fn user_more(&self) -> &UserMore {
        self.rare().user_more.as_deref().unwrap_or(&NO_USER_MORE)
    }

    /// The ad attribution and what the pixel or a server added.
    pub fn context(&self) -> &Context {
        &self.rare().context
    }

    /// The page URL.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The referring page's URL.
    pub fn referrer_url(&self) -> Option<&str> {
        self.rare().referrer_url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whop::log::{AdEntity, ContextMore, Event, StandardEvent};

    /// `event` completed as the account completes it: an id and a time.
    fn completed(event: Event, id: &str) -> PixelEvent {
        let mut event = event.at(1_769_860_800).event().clone();
        event.id = Some(id.to_owned());
        event.normalize();
        event
    }

    #[test]
    fn every_field_comes_back_as_given() {
        let mut strings = Strings::default();
        let mut full = completed(
            Event::purchase(49.0)
                .visitor("wuid_1")
                .user_id("user_1")
                .external_id("ext_1")
                .email("Ada@example.com")
                .name("Ada")
                .phone("+15550000000")
                .event_id("order_1")
                .url("https://shop.example.com/pricing")
                .referrer("https://news.example.com/")
                .user_agent("Mozilla/5.0")
                .ip("192.0.2.1")
                .utm("google", Some("cpc"), Some("spring"))
                .click_id("gclid", "g_1")
                .location("Paris", "FR")
                .username("ada")
                .member_id("mber_1")
                .campaign(AdEntity::new("adcamp_1"))
                .ad_set(AdEntity::new("adgrp_1"))
                .ad(AdEntity::new("ad_1")),
            "an id longer than fits inline in the event",
        );
        full.context
            .more
            .get_or_insert_with(Box::<ContextMore>::default)
            .ttclid = Some("t_1".into());
        let custom = completed(Event::custom("webinar_joined").visitor("wuid_1"), "evnt_2");
        let other_name = completed(Event::custom("x").visitor("wuid_1"), "evnt_3");
        let mut other_name = other_name;
        other_name.event_name = "signed_up".to_owned().into();
        other_name.custom_name = None;
        let plain = completed(
            Event::standard(StandardEvent::Lead)
                .visitor("wuid_1")
                .email("Ada@example.com"),
            "evnt_00000000000000",
        );
        let free = completed(Event::purchase(0.0).visitor("wuid_2"), "evnt_4");
        let mut valueless = free.clone();
        valueless.usd_cents = None;
        for event in [full, custom, other_name, plain, free, valueless] {
            let stored = StoredEvent::new(event.clone(), &mut strings);
            assert_eq!(stored.to_pixel(), event);
            assert_eq!(stored.kind(), event.kind());
            assert_eq!(stored.reported_name(), event.reported_name());
            assert_eq!(stored.seconds(), event.seconds());
        }
    }

    #[test]
    fn common_events_stay_small_and_share_their_texts() {
        let mut strings = Strings::default();
        let view = |path: &str| {
            completed(
                Event::page_view()
                    .visitor("wuid_1")
                    .url(format!("https://shop.example.com/{path}")),
                "evnt_0123456789ABCD",
            )
        };
        let first = StoredEvent::new(view("pricing"), &mut strings);
        let second = StoredEvent::new(view("pricing"), &mut strings);
        assert!(first.rare.is_none(), "a page view has no rare field");
        assert!(matches!(first.id, ShortText::Inline { .. }));
        assert!(Arc::ptr_eq(
            first.url.as_ref().unwrap(),
            second.url.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            first.visitor.as_ref().unwrap(),
            second.visitor.as_ref().unwrap()
        ));
        assert!(
            size_of::<StoredEvent>() <= 96,
            "{}",
            size_of::<StoredEvent>()
        );
    }
}
