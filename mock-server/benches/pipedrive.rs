//! Pipedrive, model level (no HTTP: requests go straight to `App::handle`, rendering
//! included), at 10k, 100k and 1M records in one company: `GET /v1/persons/{id}` with every
//! counter, the first 20-person pages of `GET /v1/persons` and `GET /api/v2/persons`,
//! `GET /api/v2/persons` with `include_fields` naming the counters, and the write rate
//! of records into a loaded company. Loading each size prints its memory per stored record.
//!
//! `cargo bench -p persons-mock --bench pipedrive` (append `-- <filter>` to pick benchmarks).
//! With `PERSONS_BENCH_BREAKDOWN=1` it benchmarks nothing: it loads each size, frees the
//! company part by part and prints the bytes per record each part held; with
//! `PERSONS_BENCH_BREAKDOWN=rendered` it first lists every person through both versions'
//! lists, so every person's kept renderings are held, and prints what they add.

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use persons_mock::internals::SEED;
use persons_mock::internals::pipedrive::{self as data, Blocks, PipedriveTenant, TOKEN};

use common::{Counting, Loaded, Tenants, answer, encode, get, live_bytes, sizes};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static TENANTS: Tenants<PipedriveTenant> = Tenants::new();

/// The app whose synthetic company holds `records` records.
fn loaded(records: usize) -> &'static Loaded<PipedriveTenant> {
    TENANTS.get("pipedrive", records, |handles, records| {
        data::load(&handles.pipedrive, records).expect("synthetic records are valid")
    })
}

fn main() {
    if std::env::var_os("PERSONS_BENCH_BREAKDOWN").is_some() {
        sizes().into_iter().for_each(breakdown);
        return;
    }
    common::preload(|size| {
        loaded(size);
    });
    divan::main();
}

/// Loads `records` records, then prints the bytes per record each part of the company held
/// (after listing every person, with `PERSONS_BENCH_BREAKDOWN=rendered`).
fn breakdown(records: usize) {
    let loaded = loaded(records);
    let mut before = live_bytes();
    if std::env::var("PERSONS_BENCH_BREAKDOWN").as_deref() == Ok("rendered") {
        list_everyone(loaded);
        let now = live_bytes();
        eprintln!(
            "[pipedrive] {records} records: every person's kept renderings add {:.1} bytes per record",
            now.saturating_sub(before) as f64 / records as f64
        );
        before = now;
    }
    eprintln!("[pipedrive] {records} records, bytes per record by part:");
    data::dismantle(&loaded.handles.pipedrive, |part| {
        let now = live_bytes();
        eprintln!(
            "{:>8.1}  {part}",
            before.saturating_sub(now) as f64 / records as f64
        );
        before = now;
    });
}

/// Every page of `GET /v1/persons` and of `GET /api/v2/persons`, so every listed person's
/// renderings are kept.
fn list_everyone(loaded: &Loaded<PipedriveTenant>) {
    let page = |path: &str| {
        let response = answer(&loaded.app, &get(path, "x-api-token", TOKEN));
        serde_json::from_slice::<serde_json::Value>(&response.body).expect("a JSON body")
    };
    let mut start = Some(0);
    while let Some(at) = start {
        let body = page(&format!("/pipedrive/v1/persons?start={at}&limit=500"));
        start = body["additional_data"]["pagination"]["next_start"].as_u64();
    }
    let mut cursor = String::new();
    loop {
        let body = page(&format!("/pipedrive/api/v2/persons?limit=500{cursor}"));
        match body["additional_data"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={}", encode(next)),
            None => break,
        }
    }
}

/// Reads. Divan runs benchmarks in name order, so these see the companies exactly as loaded,
/// before [`write`] adds to them.
mod read {
    use super::*;

    /// `GET /v1/persons/{id}` of a person in the middle of the company: every counter.
    #[divan::bench(args = sizes())]
    fn get_person_v1(bencher: Bencher, records: usize) {
        let loaded = loaded(records);
        let id = loaded.tenant.written.persons / 2;
        let request = get(&format!("/pipedrive/v1/persons/{id}"), "x-api-token", TOKEN);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `GET /api/v2/persons?limit=100&include_fields=<every counter>`: the first page.
    #[divan::bench(args = sizes())]
    fn list_v2_include_fields(bencher: Bencher, records: usize) {
        let loaded = loaded(records);
        let request = get(
            &format!(
                "/pipedrive/api/v2/persons?limit=100&include_fields={}",
                encode(INCLUDE_FIELDS)
            ),
            "x-api-token",
            TOKEN,
        );
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `GET /v1/persons?limit=20`: the first page, every field of 20 persons (what the load
    /// benchmark drives), so rendering is most of it.
    #[divan::bench(args = sizes())]
    fn list_v1(bencher: Bencher, records: usize) {
        let loaded = loaded(records);
        let request = get("/pipedrive/v1/persons?limit=20", "x-api-token", TOKEN);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// `GET /api/v2/persons?limit=20`: the first page of 20 persons (what the load benchmark
    /// drives).
    #[divan::bench(args = sizes())]
    fn list_v2(bencher: Bencher, records: usize) {
        let loaded = loaded(records);
        let request = get("/pipedrive/api/v2/persons?limit=20", "x-api-token", TOKEN);
        bencher.bench_local(|| answer(&loaded.app, &request));
    }

    /// The counters a CRM list view shows.
    const INCLUDE_FIELDS: &str = "open_deals_count,closed_deals_count,won_deals_count,lost_deals_count,activities_count,done_activities_count,undone_activities_count,notes_count,followers_count,next_activity_id,last_activity_id";
}

/// Writes into the loaded companies.
mod write {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Records per measured batch.
    const BATCH: usize = 1_000;

    /// Batches handed out so far, so every batch brings new persons.
    static BATCHES: AtomicU64 = AtomicU64::new(0);

    /// Writes a batch of records: persons with their organizations, deals (some closed),
    /// activities, notes and followers, each moving counters.
    #[divan::bench(args = sizes(), sample_count = 20, sample_size = 1)]
    fn records(bencher: Bencher, records: usize) {
        let loaded = loaded(records);
        bencher
            .counter(ItemsCount::new(BATCH))
            .with_inputs(|| {
                let batch = BATCHES.fetch_add(1, Ordering::Relaxed);
                Blocks::new(SEED ^ batch, &format!("b{batch}-"))
                    .take(BATCH)
                    .collect::<Vec<_>>()
            })
            .bench_local_values(|blocks| {
                let written = data::write(&loaded.handles.pipedrive, blocks, BATCH)
                    .expect("synthetic records are valid");
                assert_eq!(written.records, BATCH);
            });
    }
}
