//! What Whop's current People API shows of a person beyond Era A's aggregates, kept per person
//! as the events that carry it ([`Profile`], updated by each projected event and by merges in
//! O(1)), and read from those events: acquisition touches, device, location, membership.

use super::log::{Context, PixelEvent};
use super::stored::StoredEvent;

/// Where an event lies in a person's history: its time, then its log position.
pub type EventKey = (i64, u32);

/// The events that decide a person's profile fields, by [`EventKey`], and the phone numbers
/// the person's events carried (a contact detail, not an identifier: the current API
/// retrieves by phone, but a shared phone number merges no one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The first completed payment.
    pub first_purchase: Option<EventKey>,
    /// The latest completed payment.
    pub last_purchase: Option<EventKey>,
    /// The first event with an acquisition touch.
    pub first_source: Option<EventKey>,
    /// The latest event with an acquisition touch.
    pub last_source: Option<EventKey>,
    /// The latest event with a user agent.
    pub device: Option<EventKey>,
    /// The latest event with an IP address.
    pub ip: Option<EventKey>,
    /// The latest event with a city or country.
    pub location: Option<EventKey>,
    /// The first event with a member id.
    pub member: Option<EventKey>,
    /// The latest event with a Whop user id.
    pub user: Option<EventKey>,
    /// Phone numbers the account's phone index points at this person for.
    pub phones: Vec<String>,
}

impl Profile {
    /// Takes account of `event`, found at `key`.
    pub fn note(&mut self, key: EventKey, event: &PixelEvent) {
        let user = event.user.more();
        let context = event.context.more();
        if event.is_purchase() {
            earliest(&mut self.first_purchase, key);
            latest(&mut self.last_purchase, key);
        }
        if Touch::of(event).is_some() {
            earliest(&mut self.first_source, key);
            latest(&mut self.last_source, key);
        }
        if context.user_agent.is_some() {
            latest(&mut self.device, key);
        }
        if context.ip_address.is_some() {
            latest(&mut self.ip, key);
        }
        if user.city.is_some() || user.country.is_some() {
            latest(&mut self.location, key);
        }
        if user.member_id.is_some() {
            earliest(&mut self.member, key);
        }
        if event.user.user_id.is_some() {
            latest(&mut self.user, key);
        }
    }

    /// Takes account of every event of `other` (a merged person's profile).
    pub fn absorb(&mut self, other: Profile) {
        self.phones.extend(other.phones);
        let firsts = [
            (&mut self.first_purchase, other.first_purchase),
            (&mut self.first_source, other.first_source),
            (&mut self.member, other.member),
        ];
        for (mine, theirs) in firsts {
            if let Some(key) = theirs {
                earliest(mine, key);
            }
        }
        let lasts = [
            (&mut self.last_purchase, other.last_purchase),
            (&mut self.last_source, other.last_source),
            (&mut self.device, other.device),
            (&mut self.ip, other.ip),
            (&mut self.location, other.location),
            (&mut self.user, other.user),
        ];
        for (mine, theirs) in lasts {
            if let Some(key) = theirs {
                latest(mine, key);
            }
        }
    }
}

fn earliest(slot: &mut Option<EventKey>, key: EventKey) {
    if slot.is_none_or(|held| key < held) {
        *slot = Some(key);
    }
}

fn latest(slot: &mut Option<EventKey>, key: EventKey) {
    if slot.is_none_or(|held| key > held) {
        *slot = Some(key);
    }
}

/// How an event reached the account, strongest evidence first: a Whop ad, another platform's
/// ad click, a UTM-tagged link, a referring site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch<'a> {
    /// A Whop ad (`context.ad_campaign_id`, `ad_set_id`, `ad_id`).
    Ad {
        /// Campaign id.
        campaign: Option<&'a str>,
        /// Ad group (ad set) id.
        ad_group: Option<&'a str>,
        /// Ad id.
        ad: Option<&'a str>,
    },
    /// An ad click on another platform, told by its click id.
    External {
        /// `facebook`, `google` or `tiktok`.
        platform: &'static str,
    },
    /// A link tagged with `utm_source`.
    Utm {
        /// The UTM source.
        source: &'a str,
    },
    /// A link on another site.
    Referrer {
        /// The referring host name.
        domain: &'a str,
    },
}

impl<'a> Touch<'a> {
    /// The touch `event` records, if any.
    pub fn of(event: &'a PixelEvent) -> Option<Self> {
        Self::from_parts(&event.context, event.referrer_url.as_deref())
    }

    /// The touch a stored event records, if any.
    pub fn of_stored(event: &'a StoredEvent) -> Option<Self> {
        Self::from_parts(event.context(), event.referrer_url())
    }

    /// The touch of an event with `context` and `referrer_url`, if any.
    fn from_parts(context: &'a Context, referrer_url: Option<&'a str>) -> Option<Self> {
        let more = context.more();
        if context.touches().next().is_some() {
            return Some(Touch::Ad {
                campaign: context.ad_campaign_id.as_deref(),
                ad_group: context.ad_set_id.as_deref(),
                ad: context.ad_id.as_deref(),
            });
        }
        let platforms = [
            (&more.fbclid, "facebook"),
            (&more.gclid, "google"),
            (&more.ttclid, "tiktok"),
        ];
        if let Some((_, platform)) = platforms.iter().find(|(id, _)| id.is_some()) {
            return Some(Touch::External { platform });
        }
        if let Some(source) = more.utm_source.as_deref() {
            return Some(Touch::Utm { source });
        }
        referrer_url
            .and_then(domain_of)
            .map(|domain| Touch::Referrer { domain })
    }

    /// Whop's source type.
    pub fn kind(&self) -> &'static str {
        match self {
            Touch::Ad { .. } => "ad_click",
            Touch::External { .. } => "external_ad_click",
            Touch::Utm { .. } => "utm",
            Touch::Referrer { .. } => "referrer",
        }
    }

    /// The `source[]` token: `whop:<campaign>:<ad_group>:<ad>`, `ext:<platform>`,
    /// `utm:<source>` or `referrer:<domain>`.
    pub fn token(&self) -> String {
        match self {
            Touch::Ad {
                campaign,
                ad_group,
                ad,
            } => format!(
                "whop:{}:{}:{}",
                campaign.unwrap_or_default(),
                ad_group.unwrap_or_default(),
                ad.unwrap_or_default()
            ),
            Touch::External { platform } => format!("ext:{platform}"),
            Touch::Utm { source } => format!("utm:{source}"),
            Touch::Referrer { domain } => format!("referrer:{domain}"),
        }
    }
}

/// The host of a URL (`https://www.google.com/search?q=x` → `www.google.com`).
pub fn domain_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Browser, operating system and device class read from a `User-Agent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// `Chrome`, `Safari`, `Firefox`, `Edge`, `Opera`, `Samsung Internet` or `Other`.
    pub browser: &'static str,
    /// `iOS`, `Android`, `Windows`, `macOS`, `ChromeOS`, `Linux` or `Other`.
    pub os: &'static str,
    /// `mobile`, `tablet` or `desktop`.
    pub device: &'static str,
}

impl Device {
    /// Reads `user_agent` the way common analytics tools do, by its product tokens.
    pub fn of(user_agent: &str) -> Self {
        let has = |token: &str| user_agent.contains(token);
        let browser = if has("Edg/") || has("Edge/") {
            "Edge"
        } else if has("OPR/") || has("Opera") {
            "Opera"
        } else if has("SamsungBrowser/") {
            "Samsung Internet"
        } else if has("Firefox/") || has("FxiOS/") {
            "Firefox"
        } else if has("Chrome/") || has("CriOS/") {
            "Chrome"
        } else if has("Safari/") {
            "Safari"
        } else {
            "Other"
        };
        let os = if has("iPhone") || has("iPad") || has("iPod") {
            "iOS"
        } else if has("Android") {
            "Android"
        } else if has("Windows") {
            "Windows"
        } else if has("CrOS") {
            "ChromeOS"
        } else if has("Mac OS X") || has("Macintosh") {
            "macOS"
        } else if has("Linux") {
            "Linux"
        } else {
            "Other"
        };
        let device = if has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")) {
            "tablet"
        } else if has("Mobile") || has("iPhone") {
            "mobile"
        } else {
            "desktop"
        };
        Self {
            browser,
            os,
            device,
        }
    }
}

/// Continent and main time zone of the countries the mock places visitors in (Whop locates
/// visitors by IP address; the mock takes the country an event names and this table).
const COUNTRIES: [(&str, &str, &str); 24] = [
    ("AR", "South America", "America/Argentina/Buenos_Aires"),
    ("AU", "Oceania", "Australia/Sydney"),
    ("BR", "South America", "America/Sao_Paulo"),
    ("CA", "North America", "America/Toronto"),
    ("CH", "Europe", "Europe/Zurich"),
    ("CN", "Asia", "Asia/Shanghai"),
    ("DE", "Europe", "Europe/Berlin"),
    ("DK", "Europe", "Europe/Copenhagen"),
    ("EG", "Africa", "Africa/Cairo"),
    ("ES", "Europe", "Europe/Madrid"),
    ("FR", "Europe", "Europe/Paris"),
    ("GB", "Europe", "Europe/London"),
    ("IE", "Europe", "Europe/Dublin"),
    ("IN", "Asia", "Asia/Kolkata"),
    ("IT", "Europe", "Europe/Rome"),
    ("JP", "Asia", "Asia/Tokyo"),
    ("MX", "North America", "America/Mexico_City"),
    ("NG", "Africa", "Africa/Lagos"),
    ("NL", "Europe", "Europe/Amsterdam"),
    ("NZ", "Oceania", "Pacific/Auckland"),
    ("SE", "Europe", "Europe/Stockholm"),
    ("SG", "Asia", "Asia/Singapore"),
    ("US", "North America", "America/New_York"),
    ("ZA", "Africa", "Africa/Johannesburg"),
];

/// The continent and time zone of `country` (ISO 3166-1 alpha-2, any case), when known.
pub fn country_facts(country: &str) -> Option<(&'static str, &'static str)> {
    COUNTRIES
        .iter()
        .find(|(code, _, _)| code.eq_ignore_ascii_case(country))
        .map(|(_, continent, zone)| (*continent, *zone))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::whop::log::Event;
    use crate::whop::tenant::Account;

    /// A person's profile computed the slow way, from their events.
    fn scan(account: &Account, index: usize) -> Profile {
        let mut profile = Profile::default();
        for key in account
            .person(index)
            .timeline
            .events_between(i64::MIN, i64::MAX)
        {
            profile.note(key, &account.event(key.1).to_pixel());
        }
        profile
    }

    proptest! {
        #[test]
        fn profiles_equal_a_scan_of_each_persons_events(
            raw in prop::collection::vec(
                (0u8..3, 0u8..8, prop::option::of(0u8..3), 0i64..100, 0u8..16),
                1..60,
            ),
        ) {
            let mut account = Account::new("biz_p");
            for (kind, visitor, email, time, details) in raw {
                let mut event = match kind {
                    0 => Event::page_view(),
                    1 => Event::purchase(5.0),
                    _ => Event::custom("webinar"),
                }
                .visitor(format!("v{visitor}"))
                .at(time);
                if let Some(email) = email {
                    // Shared e-mails merge visitors.
                    event = event.email(format!("e{email}@x.com"));
                }
                let has = |bit: u8| details & bit != 0;
                if has(1) {
                    event = event.user_agent("Mozilla/5.0 (iPhone) Safari/604.1").ip(format!("10.0.0.{visitor}"));
                }
                if has(2) {
                    event = event.location("Paris", "FR").member_id(format!("mber_{visitor}"));
                }
                if has(4) {
                    event = event.referrer("https://www.google.com/").user_id(format!("user_{visitor}"));
                }
                if has(8) {
                    event = event.phone(format!("+1{}", visitor % 3));
                }
                account.record(event, 0).unwrap();
            }
            for index in account.live_indices() {
                let mut held = account.profile(index).clone();
                held.phones.clear();
                prop_assert_eq!(held, scan(&account, index));
            }
            for phone in ["+10", "+11", "+12"] {
                if let Some(index) = account.find_profile(phone) {
                    prop_assert!(account.whole(index).is_some(), "a phone finds a live person");
                }
            }
        }
    }

    #[test]
    fn touches_prefer_whop_ads_then_clicks_then_utm_then_referrers() {
        let event = |built: Event| built.event().clone();
        let ad = event(Event::page_view().campaign(crate::whop::AdEntity::new("adcamp_1")));
        assert_eq!(Touch::of(&ad).unwrap().token(), "whop:adcamp_1::");
        let click = event(
            Event::page_view()
                .click_id("gclid", "x")
                .utm("news", None, None),
        );
        assert_eq!(Touch::of(&click).unwrap().token(), "ext:google");
        let utm = event(Event::page_view().utm("news", Some("email"), None));
        assert_eq!(Touch::of(&utm).unwrap().kind(), "utm");
        let referred = event(Event::page_view().referrer("https://www.google.com:443/search?q=a"));
        assert_eq!(
            Touch::of(&referred).unwrap().token(),
            "referrer:www.google.com"
        );
        assert_eq!(Touch::of(&event(Event::page_view())), None);
    }

    #[test]
    fn user_agents_give_browser_os_and_device() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(
            Device::of(iphone),
            Device {
                browser: "Safari",
                os: "iOS",
                device: "mobile"
            }
        );
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(
            (
                Device::of(edge).browser,
                Device::of(edge).os,
                Device::of(edge).device
            ),
            ("Edge", "Windows", "desktop")
        );
        let tablet = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
        assert_eq!(Device::of(tablet).device, "tablet");
    }

    #[test]
    fn profiles_keep_the_first_and_latest_carriers_across_merges() {
        let mut profile = Profile::default();
        let purchase = Event::purchase(5.0).visitor("v").event().clone();
        profile.note((20, 1), &purchase);
        profile.note((10, 2), &purchase);
        profile.note((30, 3), &purchase);
        assert_eq!(
            (profile.first_purchase, profile.last_purchase),
            (Some((10, 2)), Some((30, 3)))
        );
        let mut other = Profile::default();
        other.note((5, 4), &purchase);
        profile.absorb(other);
        assert_eq!(profile.first_purchase, Some((5, 4)));
        assert_eq!(profile.last_purchase, Some((30, 3)));
        assert_eq!(
            country_facts("us"),
            Some(("North America", "America/New_York"))
        );
    }
}
