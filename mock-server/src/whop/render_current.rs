//! The bodies of the contracts after Era A: cursor pages, Era C's person and its detail, and
//! the events of `GET /events`.

use std::collections::HashMap;

use serde::Serialize;

use super::current::Profiled;
use super::cursor::PageInfo;
use super::era::{Time, TimeFormat};
use super::log::{AdLevel, EventKind};
use super::profile::{Device, Touch, country_facts, domain_of};
use super::render::write_json;
use super::rendered::Form;
use super::stored::StoredEvent;
use super::tenant::Account;

/// What follows a cursor page's `data` (see [`page_body`](super::render::page_body)):
/// `{data, page_info, total_count?}`.
#[derive(Debug, Serialize)]
pub struct PageTail {
    /// Where it lies.
    pub page_info: PageInfo,
    /// How many items the whole list has (Era C's people).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<usize>,
}

/// Whop's `AdRef`.
#[derive(Debug, Serialize)]
struct AdRef<'a> {
    id: &'a str,
    name: Option<&'a str>,
    thumbnail_url: Option<&'a str>,
}

fn ad_ref<'a>(account: &'a Account, level: AdLevel, id: Option<&'a str>) -> Option<AdRef<'a>> {
    let id = id?;
    let known = account.ad(level, id);
    Some(AdRef {
        id,
        name: known.and_then(|ad| ad.name.as_deref()),
        thumbnail_url: known.and_then(|ad| ad.thumbnail_url.as_deref()),
    })
}

/// Era C's `Source`.
#[derive(Debug, Serialize)]
pub struct SourceJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    campaign: Option<AdRef<'a>>,
    ad_group: Option<AdRef<'a>>,
    ad: Option<AdRef<'a>>,
    platform: Option<&'static str>,
    domain: Option<&'a str>,
    utm_source: Option<&'a str>,
    occurred_at: Time,
}

impl<'a> SourceJson<'a> {
    fn of(account: &'a Account, time: i64, touch: Touch<'a>, event: &'a StoredEvent) -> Self {
        let mut source = Self {
            kind: touch.kind(),
            campaign: None,
            ad_group: None,
            ad: None,
            platform: None,
            domain: event.referrer_url().and_then(domain_of),
            utm_source: event.context().more().utm_source.as_deref(),
            occurred_at: TimeFormat::Iso.at(time),
        };
        match touch {
            Touch::Ad {
                campaign,
                ad_group,
                ad,
            } => {
                source.campaign = ad_ref(account, AdLevel::Campaign, campaign);
                source.ad_group = ad_ref(account, AdLevel::AdSet, ad_group);
                source.ad = ad_ref(account, AdLevel::Ad, ad);
            }
            Touch::External { platform } => source.platform = Some(platform),
            Touch::Utm { .. } | Touch::Referrer { .. } => {}
        }
        source
    }
}

#[derive(Debug, Serialize)]
struct DeviceJson {
    browser: &'static str,
    device: &'static str,
    os: &'static str,
}

#[derive(Debug, Serialize)]
struct LocationJson<'a> {
    city: Option<&'a str>,
    continent: Option<&'static str>,
    country: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct MemberJson<'a> {
    id: &'a str,
    joined_at: Time,
    status: &'static str,
    usd_total_spend: f64,
}

#[derive(Debug, Serialize)]
struct UserJson<'a> {
    id: &'a str,
    username: Option<&'a str>,
    name: Option<&'a str>,
    profile_pic_url: Option<&'a str>,
}

/// Era C's `Person`.
#[derive(Debug, Serialize)]
pub struct ProfileJson<'a> {
    id: &'a str,
    account_id: &'a str,
    name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    event_count: i64,
    first_seen_at: Time,
    last_seen_at: Time,
    purchase_count: u32,
    ltv: f64,
    aov: f64,
    first_purchase_at: Option<Time>,
    last_purchase_at: Option<Time>,
    first_source: Option<SourceJson<'a>>,
    last_source: Option<SourceJson<'a>>,
    device: Option<DeviceJson>,
    location: Option<LocationJson<'a>>,
    last_ip: Option<&'a str>,
    timezone: Option<&'static str>,
    member: Option<MemberJson<'a>>,
    user: Option<UserJson<'a>>,
}

impl<'a> ProfileJson<'a> {
    /// Appends `person` as JSON to `out`: their kept rendering (it shows lifetime values
    /// only, so no request or clock changes it), made the first time it is asked for.
    pub fn write(person: &Profiled<'a>, out: &mut Vec<u8>) {
        let rendered = person.account.person(person.index).rendered();
        rendered.write(Form::Current, out, || {
            let mut bytes = Vec::new();
            write_json(&mut bytes, &Self::of(person));
            bytes
        });
    }

    /// Renders `person`.
    pub fn of(person: &Profiled<'a>) -> Self {
        let account = person.account;
        let profile = account.profile(person.index);
        let whole = &person.whole;
        let iso = |time: i64| TimeFormat::Iso.at(time);
        let event_at = |key: Option<(i64, u32)>| key.map(|(time, at)| (time, account.event(at)));
        let source = |first: bool| {
            let key = if first {
                profile.first_source
            } else {
                profile.last_source
            };
            let (time, event) = event_at(key)?;
            Some(SourceJson::of(
                account,
                time,
                Touch::of_stored(event)?,
                event,
            ))
        };
        let device = event_at(profile.device)
            .and_then(|(_, event)| event.context().more().user_agent.as_deref())
            .map(|agent| {
                let device = Device::of(agent);
                DeviceJson {
                    browser: device.browser,
                    device: device.device,
                    os: device.os,
                }
            });
        let place = event_at(profile.location).map(|(_, event)| event.user_more());
        let facts = place
            .and_then(|place| place.country.as_deref())
            .and_then(country_facts);
        let member = event_at(profile.member).and_then(|(time, event)| {
            Some(MemberJson {
                id: event.user_more().member_id.as_deref()?,
                joined_at: iso(time),
                status: "joined",
                usd_total_spend: cents(whole.ltv_cents),
            })
        });
        let user = event_at(profile.user).and_then(|(_, event)| {
            Some(UserJson {
                id: event.user_id()?,
                username: event.user_more().username.as_deref(),
                name: person.name(),
                profile_pic_url: None,
            })
        });
        Self {
            id: person.id(),
            account_id: &account.id,
            name: person.name(),
            email: person.email(),
            phone: person.phone(),
            event_count: person.event_count(),
            first_seen_at: iso(whole.first_seen_at),
            last_seen_at: iso(whole.last_seen_at),
            purchase_count: whole.purchase_count,
            ltv: cents(whole.ltv_cents),
            aov: cents(whole.aov_cents()),
            first_purchase_at: profile.first_purchase.map(|(time, _)| iso(time)),
            last_purchase_at: profile.last_purchase.map(|(time, _)| iso(time)),
            first_source: source(true),
            last_source: source(false),
            device,
            location: place.map(|place| LocationJson {
                city: place.city.as_deref(),
                continent: facts.map(|(continent, _)| continent),
                country: place.country.as_deref(),
            }),
            last_ip: event_at(profile.ip)
                .and_then(|(_, event)| event.context().more().ip_address.as_deref()),
            timezone: facts.map(|(_, zone)| zone),
            member,
            user,
        }
    }
}

/// Era C's retrieve body: the person with every identity, source, purchase and usage count.
#[derive(Debug, Serialize)]
pub struct ProfileDetailJson<'a> {
    #[serde(flatten)]
    person: ProfileJson<'a>,
    emails: Vec<&'a str>,
    names: Vec<&'a str>,
    phones: Vec<&'a str>,
    user_ids: Vec<&'a str>,
    audience_ids: Vec<&'a str>,
    event_names: Vec<&'a str>,
    custom_event_names: Vec<&'a str>,
    roles: Vec<&'static str>,
    sources: Vec<SourceJson<'a>>,
    purchases: Vec<PurchaseJson<'a>>,
    usage: Usage,
}

#[derive(Debug, Serialize)]
struct PurchaseJson<'a> {
    event_id: &'a str,
    occurred_at: Time,
    usd_value: f64,
}

#[derive(Debug, Serialize)]
struct UsageCount {
    value: String,
    events: u32,
}

/// Per dimension, the values the events carried, most frequent first.
#[derive(Debug, Default, Serialize)]
struct Usage {
    browser: Vec<UsageCount>,
    city: Vec<UsageCount>,
    country: Vec<UsageCount>,
    device: Vec<UsageCount>,
    ip: Vec<UsageCount>,
    os: Vec<UsageCount>,
    referrer: Vec<UsageCount>,
    timezone: Vec<UsageCount>,
}

/// Counts values in the order first seen, then sorts by count (stable).
#[derive(Default)]
struct Tally(Vec<(String, u32)>, HashMap<String, usize>);

impl Tally {
    fn add(&mut self, value: Option<&str>) {
        let Some(value) = value else { return };
        match self.1.get(value) {
            Some(&slot) => self.0[slot].1 += 1,
            None => {
                self.1.insert(value.to_owned(), self.0.len());
                self.0.push((value.to_owned(), 1));
            }
        }
    }

    fn counts(mut self) -> Vec<UsageCount> {
        self.0.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        self.0
            .into_iter()
            .map(|(value, events)| UsageCount { value, events })
            .collect()
    }
}

/// Adds `value` to `list` unless it is there.
fn distinct<'a>(list: &mut Vec<&'a str>, value: Option<&'a str>) {
    if let Some(value) = value
        && !list.contains(&value)
    {
        list.push(value);
    }
}

impl<'a> ProfileDetailJson<'a> {
    /// Renders `person` with a pass over their events.
    pub fn of(person: &Profiled<'a>) -> Self {
        let account = person.account;
        let mut detail = Self {
            person: ProfileJson::of(person),
            emails: Vec::new(),
            names: Vec::new(),
            phones: Vec::new(),
            user_ids: Vec::new(),
            audience_ids: Vec::new(),
            event_names: Vec::new(),
            custom_event_names: Vec::new(),
            roles: Vec::new(),
            sources: Vec::new(),
            purchases: Vec::new(),
            usage: Usage::default(),
        };
        let mut tallies: [Tally; 8] = Default::default();
        for (time, at) in account
            .person(person.index)
            .timeline
            .events_between(i64::MIN, i64::MAX)
        {
            let event = account.event(at);
            distinct(&mut detail.emails, event.email());
            distinct(&mut detail.names, event.name());
            distinct(&mut detail.phones, event.phone());
            distinct(&mut detail.user_ids, event.user_id());
            distinct(&mut detail.event_names, Some(event.reported_name()));
            if let EventKind::Custom(name) = event.kind() {
                distinct(&mut detail.custom_event_names, Some(name));
            }
            if let Some(touch) = Touch::of_stored(event) {
                detail
                    .sources
                    .push(SourceJson::of(account, time, touch, event));
            }
            if let EventKind::Purchase { usd_cents } = event.kind() {
                detail.purchases.push(PurchaseJson {
                    event_id: event.id(),
                    occurred_at: TimeFormat::Iso.at(time),
                    usd_value: cents(usd_cents),
                });
            }
            let more = event.context().more();
            let user = event.user_more();
            let device = more.user_agent.as_deref().map(Device::of);
            let country = user.country.as_deref();
            let values = [
                device.map(|device| device.browser),
                user.city.as_deref(),
                country,
                device.map(|device| device.device),
                more.ip_address.as_deref(),
                device.map(|device| device.os),
                event.referrer_url().and_then(domain_of),
                country.and_then(country_facts).map(|(_, zone)| zone),
            ];
            for (tally, value) in tallies.iter_mut().zip(values) {
                tally.add(value);
            }
        }
        let [browser, city, country, device, ip, os, referrer, timezone] = tallies;
        detail.usage = Usage {
            browser: browser.counts(),
            city: city.counts(),
            country: country.counts(),
            device: device.counts(),
            ip: ip.counts(),
            os: os.counts(),
            referrer: referrer.counts(),
            timezone: timezone.counts(),
        };
        let whole = &person.whole;
        if whole.purchase_count > 0 {
            detail.roles.push("customer");
        }
        if detail.person.member.is_some() {
            detail.roles.push("member");
        }
        if whole.email_event.is_some() || whole.phone_event.is_some() {
            detail.roles.push("lead");
        }
        detail
    }
}

/// One event of `GET /events`.
#[derive(Debug, Serialize)]
pub struct EventJson<'a> {
    id: &'a str,
    person_id: &'a str,
    event_id: &'a str,
    event_name: &'a str,
    custom_name: Option<&'a str>,
    event_time: Time,
    value: Option<f64>,
    currency: Option<&'static str>,
    total_usd_amount: Option<f64>,
    url: Option<&'a str>,
    referrer_url: Option<&'a str>,
    context: EventContextJson<'a>,
    user: EventUserJson<'a>,
}

#[derive(Debug, Serialize)]
struct EventContextJson<'a> {
    ad_campaign_id: Option<&'a str>,
    ad_set_id: Option<&'a str>,
    ad_id: Option<&'a str>,
    utm_source: Option<&'a str>,
    utm_medium: Option<&'a str>,
    utm_campaign: Option<&'a str>,
    utm_content: Option<&'a str>,
    utm_term: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct EventUserJson<'a> {
    name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    city: Option<&'a str>,
    country: Option<&'a str>,
}

impl<'a> EventJson<'a> {
    /// Renders `event` of person `person_id` with times written `times`.
    pub fn of(event: &'a StoredEvent, person_id: &'a str, times: TimeFormat) -> Self {
        let id = event.id();
        let usd = match event.kind() {
            EventKind::Purchase { usd_cents } => Some(cents(usd_cents)),
            _ => None,
        };
        let context = event.context();
        let more = context.more();
        let user_more = event.user_more();
        Self {
            id,
            person_id,
            event_id: event.event_id().unwrap_or(id),
            event_name: event.event_name(),
            custom_name: event.custom_name(),
            event_time: times.at(event.seconds()),
            value: usd,
            currency: usd.map(|_| "usd"),
            total_usd_amount: usd,
            url: event.url(),
            referrer_url: event.referrer_url(),
            context: EventContextJson {
                ad_campaign_id: context.ad_campaign_id.as_deref(),
                ad_set_id: context.ad_set_id.as_deref(),
                ad_id: context.ad_id.as_deref(),
                utm_source: more.utm_source.as_deref(),
                utm_medium: more.utm_medium.as_deref(),
                utm_campaign: more.utm_campaign.as_deref(),
                utm_content: more.utm_content.as_deref(),
                utm_term: more.utm_term.as_deref(),
            },
            user: EventUserJson {
                name: event.name(),
                email: event.email(),
                phone: event.phone(),
                city: user_more.city.as_deref(),
                country: user_more.country.as_deref(),
            },
        }
    }
}

fn cents(cents: i64) -> f64 {
    cents as f64 / 100.0
}
