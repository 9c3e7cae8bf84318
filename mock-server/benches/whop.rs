//! Whop, model level (no HTTP: requests go straight to `App::handle`, rendering included), at
//! 10k, 100k and 1M pixel events in one account: the windowed, filtered list sorted by `ltv`,
//! and the ingestion rate into a loaded account. Loading each size prints its memory per
//! stored event.
//!
//! `cargo bench -p persons-mock --bench whop` (append `-- <filter>` to pick benchmarks).

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use persons_mock::internals::whop::{self as data, ACCOUNT, KEY, Visitors, WhopTenant};
use persons_mock::internals::{DAY, NOW, SEED};

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

/// Writes into the loaded accounts.
mod write {
    use std::sync::atomic::{AtomicU64, Ordering};

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
