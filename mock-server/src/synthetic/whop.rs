//! Synthetic Whop pixel data: visitors who land (from ads or UTM-tagged links), browse,
//! become leads with an e-mail and a name, buy in several currencies, sometimes fail a
//! payment, and sometimes come back on a second device that their e-mail merges.
//!
//! About one person per [`EVENTS_PER_PERSON`] events; each visitor's events are in time order,
//! as the pixel sends them.

use std::collections::VecDeque;

use fastrand::Rng;

use super::{DAY, NOW, SEED, chance, pick, random_time};
use crate::whop::demo::{AdPath, ad_paths};
use crate::whop::log::EventKind;
use crate::whop::{AdEntity, Event, RecordError, StandardEvent, Whop, writes};

/// The synthetic account id.
pub const ACCOUNT: &str = "biz_synthetic";
/// The synthetic account's API key.
pub const KEY: &str = "whop_synthetic_key";
/// The average number of events per visitor.
pub const EVENTS_PER_PERSON: usize = 20;

/// Prices as shoppers pay them: `(currency, amount)`, converted to US cents with the rates
/// the mock's `POST /events` uses.
const PRICES: [(&str, f64); 9] = [
    ("usd", 19.0),
    ("usd", 49.0),
    ("usd", 199.0),
    ("eur", 45.0),
    ("gbp", 39.0),
    ("cad", 65.0),
    ("aud", 75.0),
    ("jpy", 7_500.0),
    ("brl", 250.0),
];
const FIRST_NAMES: [&str; 12] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus",
    "Frances", "John",
];
const LAST_NAMES: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
    "Perlman", "Allen",
];
const PAGES: [&str; 6] = ["", "pricing", "features", "blog/launch", "docs", "checkout"];
const UTM_SOURCES: [(&str, &str); 4] = [
    ("google", "cpc"),
    ("newsletter", "email"),
    ("twitter", "social"),
    ("partner", "referral"),
];
const BROWSING: [StandardEvent; 4] = [
    StandardEvent::ViewContent,
    StandardEvent::AddToCart,
    StandardEvent::InitiateCheckout,
    StandardEvent::Schedule,
];
const CAMPAIGNS: [&str; 4] = ["Spring launch", "Retargeting", "Creators", "Black Friday"];

/// What [`load`] created: the credentials and the counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhopTenant {
    /// The account id ([`ACCOUNT`]).
    pub account_id: &'static str,
    /// An account API key for it ([`KEY`]).
    pub api_key: &'static str,
    /// Events recorded.
    pub events: usize,
    /// People they made (after merges).
    pub people: usize,
}

/// Creates the synthetic account and its key, and records `events` generated events in it.
pub fn load(whop: &Whop, events: usize) -> Result<WhopTenant, RecordError> {
    whop.add_account_key(ACCOUNT, KEY);
    let recorded = whop.ingest_all(ACCOUNT, Visitors::new(SEED, "").take(events))?;
    Ok(WhopTenant {
        account_id: ACCOUNT,
        api_key: KEY,
        events: recorded,
        people: whop.person_count(ACCOUNT),
    })
}

impl AdPath {
    /// The path with display data (the landing event carries it).
    fn described(&self) -> [AdEntity; 3] {
        [self.campaign.clone(), self.ad_set.clone(), self.ad.clone()]
    }

    /// The ids alone (later attributed events).
    fn ids(&self) -> [AdEntity; 3] {
        [
            AdEntity::new(self.campaign.id.clone()),
            AdEntity::new(self.ad_set.id.clone()),
            AdEntity::new(self.ad.id.clone()),
        ]
    }
}

/// Each price of [`PRICES`] in US cents, converted by the mock's own intake.
fn prices_in_cents() -> Vec<i64> {
    PRICES
        .iter()
        .filter_map(|(currency, amount)| {
            let body = serde_json::json!({
                "account_id": ACCOUNT, "event_name": "purchase", "value": amount,
                "currency": currency, "user": {"anonymous_id": "price"},
            });
            match writes::parse(body.to_string().as_bytes())
                .ok()?
                .event
                .kind()
            {
                EventKind::Purchase { usd_cents } => Some(usd_cents),
                _ => None,
            }
        })
        .collect()
}

/// An endless, deterministic stream of visitors' events; take as many as needed.
///
/// Visitor ids, e-mails and user ids carry `label`, so streams with different labels describe
/// different visitors (an ingestion benchmark adds new visitors to a loaded account that way).
pub struct Visitors {
    rng: Rng,
    label: String,
    ads: Vec<AdPath>,
    prices: Vec<i64>,
    next_visitor: usize,
    pending: VecDeque<Event>,
}

impl Visitors {
    /// The stream of `seed`, with `label` in every identifier.
    pub fn new(seed: u64, label: &str) -> Self {
        Self {
            rng: Rng::with_seed(seed),
            label: label.to_owned(),
            ads: ad_paths("syn", &CAMPAIGNS),
            prices: prices_in_cents(),
            next_visitor: 0,
            pending: VecDeque::new(),
        }
    }

    /// Queues every event of the next visitor, in time order.
    fn visit(&mut self) {
        let rng = &mut self.rng;
        let visitor = self.next_visitor;
        self.next_visitor += 1;
        let label = &self.label;
        let anonymous_id = format!("wuid_syn{label}{visitor:07}");
        let budget = rng.usize(2..=2 * EVENTS_PER_PERSON - 2);
        let ad = chance(rng, 40).then(|| &self.ads[rng.usize(0..self.ads.len())]);
        let mut time = random_time(rng);
        let mut tick = |rng: &mut Rng| {
            time = (time + rng.i64(30..DAY / 4)).min(NOW);
            time
        };
        let landing = tick(rng);
        let mut landing_event = Event::page_view()
            .visitor(&anonymous_id)
            .url(landing_url(rng, ad.is_none()))
            .at(landing);
        if let Some(path) = ad {
            landing_event = attribute(landing_event, path.described());
        }
        self.pending.push_back(landing_event);
        let converts = chance(rng, 60);
        let lead_at = 1 + budget / 3;
        let buyer = chance(rng, 35);
        let second_device = chance(rng, 10);
        let first = pick(rng, &FIRST_NAMES);
        let last = pick(rng, &LAST_NAMES);
        let email = format!(
            "{}.{}.{label}{visitor}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let user_id = format!("user_syn{label}{visitor:07}");
        let mut device = anonymous_id.clone();
        for step in 1..budget {
            let at = tick(rng);
            let identified = converts && step >= lead_at;
            let event = if converts && step == lead_at {
                let mut lead = Event::standard(StandardEvent::Lead)
                    .email(&email)
                    .name(format!("{first} {last}"));
                if chance(rng, 50) {
                    lead = lead.phone(format!("+1555{:07}", rng.u32(0..10_000_000)));
                }
                lead
            } else if identified && second_device && step == lead_at + 1 {
                device = format!("{anonymous_id}m");
                Event::page_view().url("https://shop.example.com/")
            } else if identified && second_device && step == lead_at + 2 {
                Event::standard(StandardEvent::ViewContent).email(&email)
            } else if identified && buyer && chance(rng, 25) {
                let cents = pick(rng, &self.prices);
                let purchase = Event::purchase(cents as f64 / 100.0)
                    .email(&email)
                    .user_id(&user_id);
                match ad {
                    Some(path) => attribute(purchase, path.ids()),
                    None => purchase,
                }
            } else if identified && buyer && chance(rng, 2) {
                Event::failed_payment().email(&email).user_id(&user_id)
            } else if chance(rng, 30) {
                Event::standard(pick(rng, &BROWSING))
            } else {
                Event::page_view().url(format!("https://shop.example.com/{}", pick(rng, &PAGES)))
            };
            self.pending.push_back(event.visitor(&device).at(at));
        }
    }
}

impl Iterator for Visitors {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        while self.pending.is_empty() {
            self.visit();
        }
        self.pending.pop_front()
    }
}

/// The landing page; with `utm`, tagged with UTM parameters.
fn landing_url(rng: &mut Rng, utm: bool) -> String {
    let page = pick(rng, &PAGES);
    if !utm || !chance(rng, 70) {
        return format!("https://shop.example.com/{page}");
    }
    let (source, medium) = pick(rng, &UTM_SOURCES);
    let campaign = pick(rng, &CAMPAIGNS).to_lowercase().replace(' ', "_");
    format!(
        "https://shop.example.com/{page}?utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
    )
}

/// Attributes `event` to a campaign, an ad set and an ad.
fn attribute(event: Event, [campaign, ad_set, ad]: [AdEntity; 3]) -> Event {
    event.campaign(campaign).ad_set(ad_set).ad(ad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::http::ApiRequest;
    use crate::router::App;
    use crate::synthetic::Handles;

    fn app() -> App {
        App::new(Clock::frozen_at(NOW))
    }

    fn list(app: &App, query: &str) -> serde_json::Value {
        let request = ApiRequest::new("GET", &format!("/whop/api/v1/people?{query}"))
            .with_header("authorization", &format!("Bearer {KEY}"));
        let response = app.handle(&request);
        assert_eq!(response.status, 200, "{:?}", response.json_body());
        response.json_body()
    }

    #[test]
    fn the_same_seed_gives_the_same_events_and_labels_separate_visitors() {
        let first: Vec<Event> = Visitors::new(SEED, "").take(3_000).collect();
        assert_eq!(
            first,
            Visitors::new(SEED, "").take(3_000).collect::<Vec<_>>()
        );
        let other: Vec<Event> = Visitors::new(SEED, "b1").take(10).collect();
        assert_ne!(first[..10], other[..]);
        let times: Vec<i64> = first
            .iter()
            .filter_map(|event| Some(event.event().event_time?.unix_seconds()))
            .collect();
        assert_eq!(times.len(), first.len(), "every event has a time");
        assert!(
            times
                .iter()
                .all(|time| (NOW - super::super::SPAN_DAYS * DAY - DAY..=NOW).contains(time))
        );
    }

    #[test]
    fn every_price_converts_and_currencies_differ() {
        let cents = prices_in_cents();
        assert_eq!(cents.len(), PRICES.len());
        assert_eq!(cents[0], 1_900);
        assert_ne!(cents[3], 4_500, "EUR is converted, not taken as USD");
    }

    #[test]
    fn loads_exactly_n_events_into_about_n_over_20_people() {
        let app = app();
        let tenant = load(&Handles::of(&app).whop, 4_000).unwrap();
        assert_eq!(tenant.events, 4_000);
        assert!(
            (4_000 / EVENTS_PER_PERSON / 2..4_000 / EVENTS_PER_PERSON * 2).contains(&tenant.people),
            "{} people",
            tenant.people
        );
        let body = list(&app, "first=5&sort=ltv&from=0");
        assert_eq!(body["total_count"].as_u64(), Some(tenant.people as u64));
        let richest = &body["data"][0];
        assert!(richest["ltv"].as_f64().unwrap() > 0.0, "{richest}");
        assert!(richest["email"].as_str().unwrap().ends_with("@example.com"));
    }

    #[test]
    fn two_loads_answer_the_same() {
        let (one, two) = (app(), app());
        load(&Handles::of(&one).whop, 3_000).unwrap();
        load(&Handles::of(&two).whop, 3_000).unwrap();
        let query = format!(
            "first=50&sort=ltv&from={}&to={NOW}&filters=%5B%7B%22field%22%3A%22purchase_count%22%2C%22operator%22%3A%22gte%22%2C%22value%22%3A1%7D%5D",
            NOW - 30 * DAY
        );
        let body = list(&one, &query);
        assert!(body["total_count"].as_u64().unwrap() > 0);
        assert_eq!(body, list(&two, &query));
    }

    #[test]
    fn ad_attribution_and_merged_second_devices_show_up() {
        let app = app();
        let whop = Handles::of(&app).whop;
        load(&whop, 6_000).unwrap();
        let attributed = list(
            &app,
            "first=1&from=0&filters=%5B%7B%22field%22%3A%22campaigns%22%2C%22operator%22%3A%22is_set%22%7D%5D",
        );
        assert!(attributed["total_count"].as_u64().unwrap() > 0);
        assert!(attributed["data"][0]["campaigns"][0]["name"].is_string());
        let visitors = Visitors::new(SEED, "")
            .take(6_000)
            .filter_map(|event| event.event().user.anonymous_id.clone());
        let second_devices: Vec<String> = visitors.filter(|id| id.ends_with('m')).collect();
        assert!(!second_devices.is_empty());
        let request = ApiRequest::new(
            "GET",
            &format!("/whop/api/v1/people/{}?from=0", second_devices[0]),
        )
        .with_header("authorization", &format!("Bearer {KEY}"));
        let person = app.handle(&request).json_body();
        assert_eq!(
            person["data"]["person_id"].as_str(),
            second_devices[0].strip_suffix('m'),
            "the second device's events joined the first device's person"
        );
    }
}
