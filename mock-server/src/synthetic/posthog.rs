//! Synthetic PostHog data: visitors browse anonymously (page views with browser, OS, URL and
//! UTM properties, custom events), most identify with `$set` person properties (e-mail, name,
//! plan, country) and `$set_once` (sign-up date), some upgrade their plan, and some come back
//! on a second device whose `$identify` merges two persons.
//!
//! About one distinct id per ten events; each visitor's events are in
//! time order.

use std::collections::VecDeque;

use fastrand::Rng;

use super::{DAY, NOW, SEED, chance, pick, random_time};
use crate::posthog::log::SharedStr;
use crate::posthog::properties::Prop;
use crate::posthog::{Event, PersonalKey, PostHog, RecordError};

/// The synthetic project's id.
pub const PROJECT: i64 = 2;
/// A personal API key with every scope on the synthetic project.
pub const PERSONAL_KEY: &str = "phx_synthetic_personal_key";
/// The synthetic project's token, for capture.
pub const PROJECT_TOKEN: &str = "phc_synthetic_project_token";
/// The average number of events per distinct id.
#[cfg(test)]
const EVENTS_PER_DISTINCT_ID: usize = 10;

const FIRST_NAMES: [&str; 12] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus",
    "Frances", "John",
];
const LAST_NAMES: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
    "Perlman", "Allen",
];
const BROWSERS: [(&str, &str); 4] = [
    ("Chrome", "Windows"),
    ("Safari", "Mac OS X"),
    ("Firefox", "Linux"),
    ("Mobile Safari", "iOS"),
];
/// The pages visitors view: (`$current_url`, `$pathname`).
const PAGES: [(&str, &str); 6] = [
    ("https://app.example.com/", "/"),
    ("https://app.example.com/pricing", "/pricing"),
    ("https://app.example.com/features", "/features"),
    ("https://app.example.com/blog/launch", "/blog/launch"),
    ("https://app.example.com/docs", "/docs"),
    ("https://app.example.com/signup", "/signup"),
];
const SOURCES: [&str; 4] = ["google", "newsletter", "twitter", "partner"];
const REFERRERS: [&str; 4] = ["$direct", "www.google.com", "t.co", "news.ycombinator.com"];
const CUSTOM_EVENTS: [&str; 4] = [
    "viewed_pricing",
    "clicked_signup",
    "invited_teammate",
    "exported_report",
];
const COUNTRIES: [&str; 8] = ["US", "DE", "GB", "FR", "EE", "BR", "IN", "JP"];
const PAID_PLANS: [&str; 2] = ["pro", "team"];

/// What [`load`] created: the credentials and the counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostHogTenant {
    /// The project id ([`PROJECT`]).
    pub project_id: i64,
    /// A personal API key with every scope on it ([`PERSONAL_KEY`]).
    pub personal_key: &'static str,
    /// Its project token, for capture ([`PROJECT_TOKEN`]).
    pub project_token: &'static str,
    /// Events captured.
    pub events: usize,
    /// Distinct ids they used.
    pub distinct_ids: usize,
    /// Identified users: their distinct ids are [`user_id`]`(0..identified)`.
    pub identified: usize,
    /// Persons (after merges).
    pub persons: usize,
}

/// Creates the synthetic project, its token and key (tracking `last_seen_at`), and captures
/// `events` generated events in it.
pub fn load(posthog: &PostHog, events: usize) -> Result<PostHogTenant, RecordError> {
    posthog.add_project_token(PROJECT, PROJECT_TOKEN);
    let mut key = PersonalKey::all_access(PROJECT);
    key.first_name = "Synthetic".to_owned();
    key.email = "synthetic@posthog.local".to_owned();
    posthog.add_personal_key(PERSONAL_KEY, key);
    posthog.track_last_seen(PROJECT, true);
    let mut visitors = Visitors::new(SEED, "");
    let captured = posthog.capture_all(PROJECT, visitors.by_ref().take(events))?;
    Ok(PostHogTenant {
        project_id: PROJECT,
        personal_key: PERSONAL_KEY,
        project_token: PROJECT_TOKEN,
        events: captured,
        distinct_ids: visitors.distinct_ids,
        identified: visitors.identified,
        persons: posthog.person_count(PROJECT),
    })
}

/// The distinct id of the `k`-th identified user of a stream labelled `label`.
pub fn user_id(label: &str, k: usize) -> String {
    format!("user-{label}{k:07}")
}

/// An event waiting to be emitted, with what it introduces.
struct Pending {
    event: Event,
    new_distinct_ids: usize,
    identifies_new_user: bool,
}

/// An endless, deterministic stream of visitors' events; take as many as needed.
///
/// Distinct ids carry `label`, so streams with different labels describe different visitors.
/// Counts cover the events emitted so far.
pub struct Visitors {
    rng: Rng,
    label: String,
    texts: Texts,
    next_visitor: usize,
    next_user: usize,
    pending: VecDeque<Pending>,
    /// Distinct ids the emitted events introduced.
    pub distinct_ids: usize,
    /// Users the emitted events identified ([`user_id`]`(label, 0..identified)`).
    pub identified: usize,
}

impl Visitors {
    /// The stream of `seed`, with `label` in every distinct id.
    pub fn new(seed: u64, label: &str) -> Self {
        Self {
            rng: Rng::with_seed(seed),
            label: label.to_owned(),
            texts: Texts::new(),
            next_visitor: 0,
            next_user: 0,
            pending: VecDeque::new(),
            distinct_ids: 0,
            identified: 0,
        }
    }

    /// Queues every event of the next visitor, in time order.
    fn visit(&mut self) {
        let visitor = self.next_visitor;
        self.next_visitor += 1;
        let rng = &mut self.rng;
        let texts = &self.texts;
        let anon = format!("anon-{}{visitor:07}", self.label);
        let budget = rng.usize(2..=32);
        let device = rng.usize(0..BROWSERS.len());
        let identifies = chance(rng, 60);
        let identify_at = 1 + budget / 3;
        let upgrade_at =
            chance(rng, 25).then(|| rng.usize(identify_at + 1..budget.max(identify_at + 2)));
        let second_device = chance(rng, 15);
        let first = pick(rng, &FIRST_NAMES);
        let last = pick(rng, &LAST_NAMES);
        let country = pick(rng, &COUNTRIES);
        let referrer = rng.usize(0..REFERRERS.len());
        let source = chance(rng, 60).then(|| rng.usize(0..SOURCES.len()));
        let mut time = random_time(rng);
        let user = identifies.then(|| {
            let k = self.next_user;
            self.next_user += 1;
            SharedStr::from(user_id(&self.label, k))
        });
        let second_anon = SharedStr::from(format!("{anon}-m"));
        let anon = SharedStr::from(anon);
        self.pending.reserve(budget);
        for step in 0..budget {
            time = (time + rng.i64(10..DAY / 4)).min(NOW);
            let identified = user.as_ref().filter(|_| step >= identify_at);
            let (event, new_ids, new_user) = match identified {
                Some(user) if step == identify_at => {
                    let identify = Event::shared(texts.identify.clone(), user.clone(), 3)
                        .shared_property(texts.anon_distinct_id.clone(), Prop::Str(anon.clone()))
                        .set(
                            "email",
                            format!(
                                "{}.{}{visitor}@example.com",
                                first.to_lowercase(),
                                last.to_lowercase()
                            ),
                        )
                        .set("name", format!("{first} {last}"))
                        .set("plan", "free")
                        .set("country", country)
                        .set_once("signup_date", date(time));
                    (identify, 1, true)
                }
                Some(_) if second_device && step == identify_at + 1 => (
                    texts.page_view(rng, &second_anon, device, None, referrer),
                    1,
                    false,
                ),
                Some(user) if second_device && step == identify_at + 2 => (
                    Event::shared(texts.identify.clone(), user.clone(), 1).shared_property(
                        texts.anon_distinct_id.clone(),
                        Prop::Str(second_anon.clone()),
                    ),
                    0,
                    false,
                ),
                Some(user) if upgrade_at == Some(step) => (
                    Event::shared(texts.upgraded_plan.clone(), user.clone(), 1)
                        .set("plan", pick(rng, &PAID_PLANS)),
                    0,
                    false,
                ),
                Some(user) => (texts.activity(rng, user, device), 0, false),
                None if step == 0 => (
                    texts.page_view(rng, &anon, device, source, referrer),
                    1,
                    false,
                ),
                None => (texts.activity(rng, &anon, device), 0, false),
            };
            self.pending.push_back(Pending {
                event: event.at(time),
                new_distinct_ids: new_ids,
                identifies_new_user: new_user,
            });
        }
    }
}

impl Iterator for Visitors {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        while self.pending.is_empty() {
            self.visit();
        }
        let pending = self.pending.pop_front()?;
        self.distinct_ids += pending.new_distinct_ids;
        self.identified += usize::from(pending.identifies_new_user);
        Some(pending.event)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// The `YYYY-MM-DD` date of a Unix time.
fn date(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|at| at.date().to_string())
        .unwrap_or_default()
}

/// The texts the stream's events repeat, made once and shared by every event (an event then
/// copies none of them; the project keeps the first copy it sees).
struct Texts {
    pageview: SharedStr,
    identify: SharedStr,
    upgraded_plan: SharedStr,
    anon_distinct_id: SharedStr,
    custom_events: Vec<SharedStr>,
    browser_key: SharedStr,
    os_key: SharedStr,
    current_url_key: SharedStr,
    pathname_key: SharedStr,
    referring_domain_key: SharedStr,
    utm_source_key: SharedStr,
    /// [`BROWSERS`]: (`$browser`, `$os`).
    devices: Vec<(Prop, Prop)>,
    /// [`PAGES`]: (`$current_url`, `$pathname`).
    pages: Vec<(Prop, Prop)>,
    sources: Vec<Prop>,
    referrers: Vec<Prop>,
    direct: Prop,
}

impl Texts {
    fn new() -> Self {
        let text = |text: &str| Prop::Str(text.into());
        Self {
            pageview: "$pageview".into(),
            identify: "$identify".into(),
            upgraded_plan: "upgraded_plan".into(),
            anon_distinct_id: "$anon_distinct_id".into(),
            custom_events: CUSTOM_EVENTS.iter().map(|name| (*name).into()).collect(),
            browser_key: "$browser".into(),
            os_key: "$os".into(),
            current_url_key: "$current_url".into(),
            pathname_key: "$pathname".into(),
            referring_domain_key: "$referring_domain".into(),
            utm_source_key: "utm_source".into(),
            devices: BROWSERS
                .iter()
                .map(|(browser, os)| (text(browser), text(os)))
                .collect(),
            pages: PAGES
                .iter()
                .map(|(url, path)| (text(url), text(path)))
                .collect(),
            sources: SOURCES.iter().map(|source| text(source)).collect(),
            referrers: REFERRERS.iter().map(|referrer| text(referrer)).collect(),
            direct: text("$direct"),
        }
    }

    /// A page view by `distinct_id` on `device` (of [`BROWSERS`]) with the properties the
    /// JavaScript library sends, from `referrer` (of [`REFERRERS`]) and `utm_source` (of
    /// [`SOURCES`]).
    fn page_view(
        &self,
        rng: &mut Rng,
        distinct_id: &SharedStr,
        device: usize,
        utm_source: Option<usize>,
        referrer: usize,
    ) -> Event {
        let referrer = self.referrers[referrer].clone();
        self.page_view_from(rng, distinct_id, device, utm_source, referrer)
    }

    /// [`Texts::page_view`] from `referrer` (a `$referring_domain`).
    fn page_view_from(
        &self,
        rng: &mut Rng,
        distinct_id: &SharedStr,
        device: usize,
        utm_source: Option<usize>,
        referrer: Prop,
    ) -> Event {
        let (url, path) = &self.pages[rng.usize(0..self.pages.len())];
        let (browser, os) = &self.devices[device];
        let properties = 5 + usize::from(utm_source.is_some());
        // Added in key order, which the event keeps them in (the sort then moves nothing).
        let event = Event::shared(self.pageview.clone(), distinct_id.clone(), properties)
            .shared_property(self.browser_key.clone(), browser.clone())
            .shared_property(self.current_url_key.clone(), url.clone())
            .shared_property(self.os_key.clone(), os.clone())
            .shared_property(self.pathname_key.clone(), path.clone())
            .shared_property(self.referring_domain_key.clone(), referrer);
        match utm_source {
            Some(source) => {
                event.shared_property(self.utm_source_key.clone(), self.sources[source].clone())
            }
            None => event,
        }
    }

    /// A page view or a custom event by `distinct_id` on `device`.
    fn activity(&self, rng: &mut Rng, distinct_id: &SharedStr, device: usize) -> Event {
        if chance(rng, 35) {
            let name = self.custom_events[rng.usize(0..self.custom_events.len())].clone();
            let browser = self.devices[device].0.clone();
            Event::shared(name, distinct_id.clone(), 1)
                .shared_property(self.browser_key.clone(), browser)
        } else {
            self.page_view_from(rng, distinct_id, device, None, self.direct.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::http::ApiRequest;
    use crate::posthog::log::Entry;
    use crate::posthog::properties::Prop;
    use crate::router::App;
    use crate::synthetic::Handles;

    fn app() -> App {
        App::new(Clock::frozen_at(NOW))
    }

    fn list(app: &App, query: &str) -> serde_json::Value {
        let request = ApiRequest::new(
            "GET",
            &format!("/posthog/api/projects/{PROJECT}/persons/?{query}"),
        )
        .with_header("authorization", &format!("Bearer {PERSONAL_KEY}"));
        let response = app.handle(&request);
        assert_eq!(response.status, 200, "{:?}", response.json_body());
        response.json_body()
    }

    #[test]
    fn the_same_seed_gives_the_same_events() {
        let first: Vec<Event> = Visitors::new(SEED, "").take(2_000).collect();
        assert_eq!(
            first,
            Visitors::new(SEED, "").take(2_000).collect::<Vec<_>>()
        );
        let other: Vec<Event> = Visitors::new(SEED, "b1").take(10).collect();
        assert_ne!(first[..10], other[..]);
    }

    #[test]
    fn loads_exactly_n_events_over_about_n_over_10_distinct_ids() {
        let app = app();
        let posthog = Handles::of(&app).posthog;
        let tenant = load(&posthog, 5_000).unwrap();
        assert_eq!(tenant.events, 5_000);
        let expected = 5_000 / EVENTS_PER_DISTINCT_ID;
        assert!(
            (expected / 2..expected * 2).contains(&tenant.distinct_ids),
            "{tenant:?}"
        );
        assert!(
            tenant.persons < tenant.distinct_ids,
            "identifies join ids: {tenant:?}"
        );
        assert!(tenant.identified > 0);
        let last_user = posthog
            .person(PROJECT, &user_id("", tenant.identified - 1))
            .expect("every counted user exists");
        assert!(last_user.is_identified);
        assert!(
            posthog
                .person(PROJECT, &user_id("", tenant.identified))
                .is_none(),
            "no user beyond the count"
        );
        posthog.check_invariants(PROJECT).unwrap();
        let body = list(&app, "include_total&limit=1");
        assert_eq!(body["count"].as_u64(), Some(tenant.persons as u64));
    }

    #[test]
    fn second_devices_merge_into_their_user() {
        let app = app();
        let posthog = Handles::of(&app).posthog;
        load(&posthog, 5_000).unwrap();
        let merged = Visitors::new(SEED, "")
            .take(5_000)
            .filter_map(|event| match event.into_entry() {
                Entry::Capture(event) => Some(event),
                _ => None,
            })
            .find(|event| {
                &*event.event == "$identify"
                    && event
                        .properties
                        .get("$anon_distinct_id")
                        .and_then(Prop::as_str)
                        .is_some_and(|id| id.ends_with("-m"))
            })
            .expect("some visitor identifies a second device");
        let person = posthog.person(PROJECT, &merged.distinct_id).unwrap();
        assert_eq!(person.distinct_ids.len(), 3, "{person:?}");
    }

    #[test]
    fn a_bulk_load_answers_as_capturing_each_event_alone() {
        let (bulk, alone) = (app(), app());
        load(&Handles::of(&bulk).posthog, 3_000).unwrap();
        let posthog = Handles::of(&alone).posthog;
        load(&posthog, 0).unwrap();
        for event in Visitors::new(SEED, "").take(3_000) {
            posthog.capture(PROJECT, event).unwrap();
        }
        posthog.check_invariants(PROJECT).unwrap();
        Handles::of(&bulk)
            .posthog
            .check_invariants(PROJECT)
            .unwrap();
        for query in [
            "limit=100",
            "search=lovelace&limit=100",
            "search=user-0000012&limit=100",
            "search=example.com&limit=100&offset=200",
        ] {
            assert_eq!(list(&bulk, query), list(&alone, query), "{query}");
        }
    }

    #[test]
    fn two_loads_answer_filters_and_searches_the_same() {
        let (one, two) = (app(), app());
        load(&Handles::of(&one).posthog, 4_000).unwrap();
        load(&Handles::of(&two).posthog, 4_000).unwrap();
        let filtered = "properties=%5B%7B%22key%22%3A%22plan%22%2C%22value%22%3A%5B%22pro%22%5D%2C%22operator%22%3A%22exact%22%2C%22type%22%3A%22person%22%7D%5D&limit=20";
        let body = list(&one, filtered);
        let results = body["results"].as_array().unwrap();
        assert!(!results.is_empty());
        assert!(
            results
                .iter()
                .all(|person| person["properties"]["plan"] == "pro")
        );
        assert_eq!(body, list(&two, filtered));
        let searched = list(&one, "search=lovelace&limit=20");
        assert!(!searched["results"].as_array().unwrap().is_empty());
        assert_eq!(searched, list(&two, "search=lovelace&limit=20"));
    }
}
