//! Built-in demo data: one account with a few hundred people and a year of varied pixel
//! events, generated deterministically relative to the clock's now.

use fastrand::Rng;

use super::log::{AdEntity, Event, StandardEvent};
use super::{RecordError, Whop};

/// The demo account id.
pub const DEMO_ACCOUNT: &str = "biz_demo";
/// The demo account API key.
pub const DEMO_KEY: &str = "whop_demo_key";

const VISITORS: usize = 320;
const DAY: i64 = 24 * 60 * 60;
const FIRST_NAMES: [&str; 12] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus",
    "Frances", "John",
];
const LAST_NAMES: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
    "Perlman", "Allen",
];
const PRICES: [f64; 4] = [19.0, 49.0, 99.0, 199.0];
const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
];
const PLACES: [(&str, &str); 6] = [
    ("New York", "US"),
    ("Austin", "US"),
    ("London", "GB"),
    ("Berlin", "DE"),
    ("Toronto", "CA"),
    ("Sydney", "AU"),
];

/// One ad with its ad set and campaign.
pub(crate) struct AdPath {
    /// The campaign, with its display name.
    pub(crate) campaign: AdEntity,
    /// The ad set, with its display name.
    pub(crate) ad_set: AdEntity,
    /// The ad, with its display name and thumbnail.
    pub(crate) ad: AdEntity,
}

/// Loads the demo account, its key and its people into `whop`.
pub fn load(whop: &Whop) -> Result<usize, RecordError> {
    whop.add_account_key(DEMO_ACCOUNT, DEMO_KEY);
    let now = whop.clock().now();
    let events = generate(now, &mut Rng::with_seed(0x5eed));
    whop.ingest_all(DEMO_ACCOUNT, events)
}

/// Two ad sets of two ads under each of `campaigns`, with display names and thumbnails; ids
/// carry `label` (`adcamp_demo0`, `ad_demo010`…).
pub(crate) fn ad_paths(label: &str, campaigns: &[&str]) -> Vec<AdPath> {
    let mut paths = Vec::new();
    for (c, campaign) in campaigns.iter().enumerate() {
        for s in 0..2 {
            for a in 0..2 {
                let ad_id = format!("ad_{label}{c}{s}{a}");
                paths.push(AdPath {
                    campaign: AdEntity::new(format!("adcamp_{label}{c}")).name(*campaign),
                    ad_set: AdEntity::new(format!("adgrp_{label}{c}{s}"))
                        .name(format!("{campaign} · audience {}", s + 1)),
                    ad: AdEntity::new(ad_id.clone())
                        .name(format!("{campaign} · creative {}", 2 * s + a + 1))
                        .thumbnail_url(format!("https://cdn.example.com/ads/{ad_id}.png")),
                });
            }
        }
    }
    paths
}

/// The demo events, oldest visitor first; every time is at or before `now`.
fn generate(now: i64, rng: &mut Rng) -> Vec<Event> {
    let ads = ad_paths("demo", &["Spring launch", "Retargeting", "Creators"]);
    let mut events = Vec::new();
    for visitor in 0..VISITORS {
        let anonymous_id = format!("wuid_demo{visitor:04}");
        let first_visit = now - rng.i64(1..365) * DAY - rng.i64(0..DAY);
        let ad = (rng.u8(0..10) < 4).then(|| &ads[rng.usize(0..ads.len())]);
        let attribute = |event: Event| match ad {
            Some(path) => event
                .campaign(path.campaign.clone())
                .ad_set(path.ad_set.clone())
                .ad(path.ad.clone()),
            None => event,
        };
        let mut time = first_visit;
        let mut tick = |rng: &mut Rng| {
            time = (time + rng.i64(60..5 * DAY)).min(now);
            time
        };
        let (city, country) = PLACES[visitor % PLACES.len()];
        let landing = Event::page_view()
            .visitor(&anonymous_id)
            .at(first_visit)
            .user_agent(USER_AGENTS[visitor % USER_AGENTS.len()])
            .ip(format!("203.0.113.{}", visitor % 250))
            .location(city, country);
        let landing = match visitor % 4 {
            0 => landing.referrer("https://www.google.com/search?q=whop"),
            1 => landing.utm("newsletter", Some("email"), Some("spring")),
            2 => landing.click_id("fbclid", format!("fb.{visitor}")),
            _ => landing,
        };
        events.push(attribute(landing));
        for _ in 0..rng.usize(0..6) {
            events.push(Event::page_view().visitor(&anonymous_id).at(tick(rng)));
        }
        if rng.u8(0..100) >= 40 {
            continue;
        }
        let first = FIRST_NAMES[rng.usize(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.usize(0..LAST_NAMES.len())];
        let email = format!(
            "{}.{}{visitor}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let mut lead = Event::standard(StandardEvent::Lead)
            .visitor(&anonymous_id)
            .user_id(format!("user_demo{visitor:04}"))
            .username(format!("{}{visitor}", first.to_lowercase()))
            .email(&email)
            .name(format!("{first} {last}"))
            .at(tick(rng));
        if rng.bool() {
            lead = lead.phone(format!("+1555{:07}", rng.u32(0..10_000_000)));
        }
        events.push(attribute(lead));
        if rng.u8(0..100) < 15 {
            let second_device = format!("{anonymous_id}m");
            events.push(Event::page_view().visitor(&second_device).at(tick(rng)));
            events.push(
                Event::standard(StandardEvent::ViewContent)
                    .visitor(&second_device)
                    .email(&email)
                    .at(tick(rng)),
            );
        }
        if rng.u8(0..100) < 60 {
            for _ in 0..rng.usize(1..5) {
                let price = PRICES[rng.usize(0..PRICES.len())];
                events.push(attribute(
                    Event::purchase(price)
                        .email(&email)
                        .member_id(format!("mber_demo{visitor:04}"))
                        .at(tick(rng)),
                ));
            }
        }
        if rng.u8(0..100) < 10 {
            events.push(Event::failed_payment().email(&email).at(tick(rng)));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::http::ApiRequest;
    use crate::router::App;

    #[test]
    fn the_demo_account_fills_every_current_field() {
        let app = Arc::new(App::default());
        load(&app.whop_at("")).unwrap();
        let mut people = Vec::new();
        let mut after = String::new();
        loop {
            let request = ApiRequest::new("GET", &format!("/whop/api/v1/people?first=100{after}"))
                .with_header("authorization", &format!("Bearer {DEMO_KEY}"))
                .with_header("Api-Version-Date", "2026-10-15-1");
            let body = app.handle(&request).json_body();
            people.extend(body["data"].as_array().unwrap().iter().cloned());
            match body["page_info"]["end_cursor"].as_str() {
                Some(cursor) if body["page_info"]["has_next_page"] == true => {
                    after = format!("&after={cursor}");
                }
                _ => break,
            }
        }
        assert_eq!(people.len(), VISITORS);
        for field in [
            "device",
            "location",
            "last_ip",
            "timezone",
            "member",
            "user",
            "first_purchase_at",
            "last_purchase_at",
            "first_source",
            "last_source",
            "email",
            "phone",
            "name",
            "ltv",
        ] {
            assert!(
                people.iter().any(|person| !person[field].is_null()),
                "no demo person has `{field}`"
            );
        }
        for kind in ["ad_click", "external_ad_click", "utm", "referrer"] {
            assert!(
                people
                    .iter()
                    .any(|person| person["first_source"]["type"] == kind),
                "no first touch of type {kind}"
            );
        }
    }

    #[test]
    fn demo_events_are_deterministic_and_never_in_the_future() {
        let now = 1_800_000_000;
        let events = generate(now, &mut Rng::with_seed(0x5eed));
        assert_eq!(events, generate(now, &mut Rng::with_seed(0x5eed)));
        assert!(events.len() > VISITORS);
        assert!(events.iter().all(|event| {
            event
                .event()
                .event_time
                .is_some_and(|time| time.unix_seconds() <= now)
        }));
    }
}
