//! PostHog, model level (no HTTP: requests go straight to `App::handle`, rendering included),
//! at 10k, 100k and 1M captured events in one project: the persons list (its first page, as
//! `cargo xtask bench` loads it; with a `properties` filter the value index serves, and one it
//! cannot; with `search`), the insight actors (a funnel step, a lifecycle bucket, a trends data
//! point), the capture rate into a loaded project, and the `$identify` merge rate. Loading
//! each size prints its memory per stored event.
//!
//! `cargo bench -p persons-mock --bench posthog` (append `-- <filter>` to pick benchmarks).

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use persons_mock::internals::SEED;
use persons_mock::internals::posthog::{
    self as data, PERSONAL_KEY, PROJECT, PostHogTenant, Visitors, user_id,
};

use common::{Counting, Loaded, Tenants, answer, encode, get, sizes};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static TENANTS: Tenants<PostHogTenant> = Tenants::new();

/// The app whose synthetic project holds `events` events.
fn loaded(events: usize) -> &'static Loaded<PostHogTenant> {
    TENANTS.get("posthog", events, |handles, events| {
        data::load(&handles.posthog, events).expect("synthetic events are valid")
    })
}

/// `GET /api/projects/2/persons/?<query>` with the synthetic personal key.
fn list(events: usize, query: &str) -> (&'static Loaded<PostHogTenant>, persons_mock::ApiRequest) {
    let loaded = loaded(events);
    let request = get(
        &format!("/posthog/api/projects/{PROJECT}/persons/?{query}"),
        "authorization",
        &format!("Bearer {PERSONAL_KEY}"),
    );
    (loaded, request)
}

fn main() {
    common::preload(|size| {
        loaded(size);
    });
    divan::main();
}

/// Reads. Divan runs benchmarks in name order, so these see the projects exactly as loaded,
/// before [`write`] adds to them.
mod read {
    use super::*;

    /// `limit=20`, no filter (the route `cargo xtask bench` loads): the newest 20 persons,
    /// from their kept renderings after the first answer.
    #[divan::bench(args = sizes())]
    fn list_first_page(bencher: Bencher, events: usize) {
        let (loaded, request) = list(events, "limit=20");
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `properties=[plan exact pro]`: candidates come from the property value index.
    #[divan::bench(args = sizes())]
    fn list_properties_indexed(bencher: Bencher, events: usize) {
        let filter =
            encode(r#"[{"key":"plan","value":["pro"],"operator":"exact","type":"person"}]"#);
        let (loaded, request) = list(events, &format!("properties={filter}"));
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `properties=[email icontains lovelace]`: persons newest first until the page is full.
    #[divan::bench(args = sizes())]
    fn list_properties_scanned(bencher: Bencher, events: usize) {
        let filter = encode(
            r#"[{"key":"email","value":"lovelace","operator":"icontains","type":"person"}]"#,
        );
        let (loaded, request) = list(events, &format!("properties={filter}"));
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `search=<one user's distinct id>`: one match, so every person is looked at.
    #[divan::bench(args = sizes())]
    fn list_search_one_user(bencher: Bencher, events: usize) {
        let identified = loaded(events).tenant.identified;
        let (loaded, request) = list(events, &format!("search={}", user_id("", identified / 2)));
        let body = answer(&loaded.app, &request).json_body();
        assert_eq!(body["results"].as_array().map(Vec::len), Some(1), "{body}");
        bencher.bench_local(|| answer(&loaded.app, &request));
    }
}

/// Insight actors over the synthetic project (its events span the 90 days before
/// 2026-01-01), with an unscoped key as these endpoints require.
mod insights {
    use super::*;
    use persons_mock::posthog::PersonalKey;

    /// `GET /api/projects/2/persons/<endpoint>/?<query>` with a new unscoped key.
    fn insight(
        events: usize,
        endpoint: &str,
        query: &str,
    ) -> (&'static Loaded<PostHogTenant>, persons_mock::ApiRequest) {
        let loaded = loaded(events);
        let key = loaded
            .handles
            .posthog
            .create_personal_key(PersonalKey::all_access(PROJECT).unscoped());
        let request = get(
            &format!("/posthog/api/projects/{PROJECT}/persons/{endpoint}/?{query}"),
            "authorization",
            &format!("Bearer {key}"),
        );
        (loaded, request)
    }

    /// A 3-step ordered funnel's `funnel_step=2` over 30 days.
    #[divan::bench(args = sizes())]
    fn funnel_step_2(bencher: Bencher, events: usize) {
        let steps = encode(
            r#"[{"id":"$pageview","order":0},{"id":"viewed_pricing","order":1},{"id":"clicked_signup","order":2}]"#,
        );
        let query = format!("events={steps}&date_from=2025-12-01&date_to=2025-12-30&funnel_step=2");
        let (loaded, request) = insight(events, "funnel", &query);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// The persons returning on one day.
    #[divan::bench(args = sizes())]
    fn lifecycle_bucket(bencher: Bencher, events: usize) {
        let series = encode(r#"[{"id":"$pageview","type":"events"}]"#);
        let query = format!(
            "events={series}&date_from=2025-12-01&date_to=2025-12-30&target_date=2025-12-15&lifecycle_type=returning"
        );
        let (loaded, request) = insight(events, "lifecycle", &query);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// One day's `$pageview` persons, by count.
    #[divan::bench(args = sizes())]
    fn trends_data_point(bencher: Bencher, events: usize) {
        let query = "entity_id=%24pageview&date_from=2025-12-15&date_to=2025-12-15";
        let (loaded, request) = insight(events, "trends", query);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }
}

/// Writes into the loaded projects.
mod write {
    use std::sync::atomic::{AtomicU64, Ordering};

    use persons_mock::posthog::{Event, PostHog};

    use super::*;

    /// Events per measured batch.
    const BATCH: usize = 1_000;

    /// Batches handed out so far, so every batch brings new visitors.
    static BATCHES: AtomicU64 = AtomicU64::new(0);

    /// Captures a batch of new visitors' events (page views, identifies, `$set`s, merges).
    #[divan::bench(args = sizes(), sample_count = 20, sample_size = 1)]
    fn capture(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        bencher
            .counter(ItemsCount::new(BATCH))
            .with_inputs(|| {
                let batch = BATCHES.fetch_add(1, Ordering::Relaxed);
                Visitors::new(SEED ^ batch, &format!("b{batch}-"))
                    .take(BATCH)
                    .collect::<Vec<_>>()
            })
            .bench_local_values(|batch| {
                loaded
                    .handles
                    .posthog
                    .capture_all(PROJECT, batch)
                    .expect("synthetic events are valid")
            });
    }

    /// `$identify` events that each merge a new anonymous person into an identified user
    /// (the anonymous persons are made beforehand, outside the measurement).
    #[divan::bench(args = sizes(), sample_count = 20, sample_size = 1)]
    fn identify_merge(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        let posthog = &loaded.handles.posthog;
        let users = loaded.tenant.identified;
        let before = posthog.person_count(PROJECT);
        let merges = merge_batch(posthog, users);
        posthog
            .capture_all(PROJECT, merges)
            .expect("identifies are valid");
        assert_eq!(
            posthog.person_count(PROJECT),
            before,
            "every identify merged"
        );
        bencher
            .counter(ItemsCount::new(BATCH))
            .with_inputs(|| merge_batch(posthog, users))
            .bench_local_values(|merges| {
                posthog
                    .capture_all(PROJECT, merges)
                    .expect("identifies are valid")
            });
    }

    /// Makes [`BATCH`] new anonymous persons and returns the `$identify` events merging each
    /// into one of the first `users` identified users.
    fn merge_batch(posthog: &PostHog, users: usize) -> Vec<Event> {
        let batch = BATCHES.fetch_add(1, Ordering::Relaxed);
        let anons: Vec<String> = (0..BATCH)
            .map(|n| format!("anon-merge-{batch}-{n}"))
            .collect();
        posthog
            .capture_all(
                PROJECT,
                anons.iter().map(|anon| Event::new("$pageview", anon)),
            )
            .expect("page views are valid");
        anons
            .iter()
            .enumerate()
            .map(|(n, anon)| Event::identify(&user_id("", (n * 7_919) % users), anon))
            .collect()
    }
}
