//! Whop, model level (no HTTP: requests go straight to `App::handle`, rendering included), at
//! 10k, 100k and 1M pixel events in one account: the windowed, filtered list sorted by `ltv`
//! (Era A) and the current contract's filtered list ordered by `ltv` (Era C), and the
//! ingestion rate into a loaded account; and a whole cursor walk (Era C, pages of 100) over
//! accounts of 10k and 100k people. Loading each size prints its memory per stored event.
//!
//! A list asked for again before the account's next write reads the order kept by the first
//! answer (`whop/orders.rs`), so the benches repeating one request measure that; the `_fresh`
//! ones move their window by a second at each request, so every one of them computes its list.
//!
//! `cargo bench -p persons-mock --bench whop` (append `-- <filter>` to pick benchmarks).

mod common;

use std::sync::atomic::{AtomicI64, Ordering};

use divan::Bencher;
use divan::counter::ItemsCount;
use persons_mock::Timestamp;
use persons_mock::internals::whop::{self as data, ACCOUNT, KEY, Visitors, WhopTenant};
use persons_mock::internals::{DAY, NOW, SEED};
use persons_mock::whop::Event;

use common::{Counting, Loaded, Tenants, answer, encode, get, sizes};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static TENANTS: Tenants<WhopTenant> = Tenants::new();

/// The app whose synthetic account holds `events` events.
fn loaded(events: usize) -> &'static Loaded<WhopTenant> {
    TENANTS.get("whop", events, |handles, events| {
        data::load(&handles.whop, events).expect("synthetic events are valid")
    })
}

/// Accounts of one page view per person, for the cursor walks.
static WALKERS: Tenants<usize> = Tenants::new();

/// People in the walked accounts.
const WALK_PEOPLE: [usize; 2] = [10_000, 100_000];

/// The current contract's version header.
const ERA_C: &str = "2026-10-15-1";

/// The app whose account holds `people` people of one event each.
fn walkers(people: usize) -> &'static Loaded<usize> {
    WALKERS.get("whop walk", people, |handles, people| {
        handles.whop.add_account_key(ACCOUNT, KEY);
        let events = (0..people).map(|i| {
            Event::page_view()
                .visitor(format!("wuid_{i}"))
                .at(NOW - i as i64)
        });
        handles
            .whop
            .ingest_all(ACCOUNT, events)
            .expect("page views are valid")
    })
}

/// Requests made by the `_fresh` benches so far: each one's window ends a second earlier.
static FRESH: AtomicI64 = AtomicI64::new(0);

/// A time no request has used as its window's end yet.
fn fresh_end() -> i64 {
    NOW - FRESH.fetch_add(1, Ordering::Relaxed)
}

fn main() {
    common::preload(|size| {
        loaded(size);
    });
    divan::main();
}

/// Reads. Divan runs benchmarks in name order, so these see the accounts exactly as loaded,
/// before [`write`] adds to them.
mod read {
    use super::*;

    /// `GET /people?sort=ltv&from=<30 days ago>&to=<now>&filters=[purchase_count >= 1]`.
    #[divan::bench(args = sizes())]
    fn list_by_ltv_in_30_days_filtered(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        let filters = encode(r#"[{"field":"purchase_count","operator":"gte","value":1}]"#);
        let request = get(
            &format!(
                "/whop/api/v1/people?sort=ltv&from={}&to={NOW}&first=20&filters={filters}",
                NOW - 30 * DAY
            ),
            "authorization",
            &format!("Bearer {KEY}"),
        );
        let body = answer(&loaded.app, &request).json_body();
        let matched = body["total_count"].as_u64().unwrap_or_default();
        assert!(
            matched > 0 && matched < loaded.tenant.people as u64,
            "the window and the filter select some of the people: {matched}"
        );
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// The same list with a window no request asked for before: computed, not kept.
    #[divan::bench(args = sizes())]
    fn list_by_ltv_in_30_days_filtered_fresh(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        let filters = encode(r#"[{"field":"purchase_count","operator":"gte","value":1}]"#);
        bencher
            .with_inputs(|| {
                let to = fresh_end();
                get(
                    &format!(
                        "/whop/api/v1/people?sort=ltv&from={}&to={to}&first=20&filters={filters}",
                        to - 30 * DAY
                    ),
                    "authorization",
                    &format!("Bearer {KEY}"),
                )
            })
            .bench_local_refs(|request| answer(&loaded.app, request));
    }

    /// `GET /people?sort=ltv&first=20`: the default window (the 366 days before now) holds
    /// every synthetic person.
    #[divan::bench(args = sizes())]
    fn list_by_ltv_default_window(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        let request = get(
            "/whop/api/v1/people?sort=ltv&first=20",
            "authorization",
            &format!("Bearer {KEY}"),
        );
        let body = answer(&loaded.app, &request).json_body();
        assert_eq!(
            body["total_count"].as_u64(),
            Some(loaded.tenant.people as u64),
            "{body}"
        );
        bencher.bench_local(|| answer(&loaded.app, &request));
    }
}

/// The current contract (`Api-Version-Date: 2026-10-15-1`).
mod current {
    use super::*;

    /// An Era C request for `path_and_query` with the synthetic key.
    fn era_c(path_and_query: &str) -> persons_mock::ApiRequest {
        get(path_and_query, "authorization", &format!("Bearer {KEY}"))
            .with_header("Api-Version-Date", ERA_C)
    }

    /// `GET /people?order=ltv&has_purchased=true&event_within_days=90&first=20`: the first
    /// page of a filtered walk (it sorts every match once and keeps the order).
    #[divan::bench(args = sizes())]
    fn list_by_ltv_filtered(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        let request =
            era_c("/whop/api/v1/people?order=ltv&has_purchased=true&event_within_days=90&first=20");
        let body = answer(&loaded.app, &request).json_body();
        let matched = body["total_count"].as_u64().unwrap_or_default();
        assert!(
            matched > 0 && matched < loaded.tenant.people as u64,
            "the filters select some of the people: {matched}"
        );
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// The same list with an activity window ending at a time no request named before:
    /// sorted, not kept.
    #[divan::bench(args = sizes())]
    fn list_by_ltv_filtered_fresh(bencher: Bencher, events: usize) {
        let loaded = loaded(events);
        bencher
            .with_inputs(|| {
                let to = encode(&Timestamp::from_unix_seconds(fresh_end()).to_string());
                era_c(&format!(
                    "/whop/api/v1/people?order=ltv&has_purchased=true&event_within_days=90&event_to={to}&first=20"
                ))
            })
            .bench_local_refs(|request| answer(&loaded.app, request));
    }

    /// Every page of `GET /people?first=100`, following `end_cursor`: one sort for the walk,
    /// then a slice per page (the total grows as n log n, not n² / 100).
    #[divan::bench(args = WALK_PEOPLE, sample_count = 10, sample_size = 1)]
    fn walk_every_page(bencher: Bencher, people: usize) {
        let loaded = walkers(people);
        let walk = || {
            let (mut seen, mut after) = (0, String::new());
            loop {
                let request = era_c(&format!("/whop/api/v1/people?first=100{after}"));
                let body = answer(&loaded.app, &request).json_body();
                seen += body["data"].as_array().map_or(0, Vec::len);
                match body["page_info"]["end_cursor"].as_str() {
                    Some(cursor) if body["page_info"]["has_next_page"] == true => {
                        after = format!("&after={cursor}");
                    }
                    _ => return seen,
                }
            }
        };
        assert_eq!(walk(), people);
        bencher.counter(ItemsCount::new(people)).bench_local(walk);
    }
}

/// Writes into the loaded accounts.
mod write {
    use std::sync::atomic::AtomicU64;

    use super::*;

    /// Events per measured batch.
    const BATCH: usize = 1_000;

    /// Batches handed out so far, so every batch brings new visitors.
    static BATCHES: AtomicU64 = AtomicU64::new(0);

    /// Records a batch of new visitors' events (page views, leads, purchases, merges).
    #[divan::bench(args = sizes(), sample_count = 20, sample_size = 1)]
    fn ingest(bencher: Bencher, events: usize) {
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
                    .whop
                    .ingest_all(ACCOUNT, batch)
                    .expect("synthetic events are valid")
            });
    }
}
