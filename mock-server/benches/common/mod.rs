//! What the model-level benchmarks share: the tenant sizes, a counting allocator for memory
//! per stored event, a per-size cache of loaded apps, and request helpers.
//!
//! Each benchmark binary installs [`Counting`] as its global allocator and builds each size's
//! app once through [`Tenants::get`] (all of them up front, with [`preload`]), which prints the
//! load time and the bytes the loaded data holds per event. `PERSONS_BENCH_EVENTS=10000 cargo bench …` runs only the
//! sizes listed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use persons_mock::Clock;
use persons_mock::internals::App;
use persons_mock::internals::{self as synthetic, Handles};
use persons_mock::{ApiRequest, ApiResponse};

/// Events per tenant each benchmark runs at, unless `PERSONS_BENCH_EVENTS` lists others.
pub const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The sizes to run: `PERSONS_BENCH_EVENTS` (comma-separated, e.g. `10000` for a quick check)
/// or [`SIZES`].
pub fn sizes() -> Vec<usize> {
    let Ok(list) = std::env::var("PERSONS_BENCH_EVENTS") else {
        return SIZES.to_vec();
    };
    list.split(',')
        .map(|size| {
            size.trim().replace('_', "").parse().unwrap_or_else(|_| {
                panic!("PERSONS_BENCH_EVENTS must list event counts, got `{size}`")
            })
        })
        .collect()
}

/// Bytes currently allocated through [`Counting`].
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes currently allocated through [`Counting`].
#[allow(dead_code, reason = "only some benchmarks break their memory down")]
pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// The system allocator, counting the bytes it holds.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; the counter only observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

/// An app holding one vendor's synthetic tenant, with typed handles on it.
pub struct Loaded<T> {
    /// The app requests are sent to.
    pub app: App,
    /// Handles on the app's vendors (for writes).
    pub handles: Handles,
    /// What the loader reported.
    pub tenant: T,
}

/// One loaded app per size, built on first use and kept (leaked) for the whole run.
pub struct Tenants<T: 'static> {
    loaded: Mutex<Vec<(usize, &'static Loaded<T>)>>,
}

impl<T> Tenants<T> {
    /// No app built yet.
    pub const fn new() -> Self {
        Self {
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// The app of `events` events, loading it with `load` the first time (clock frozen at
    /// [`synthetic::NOW`]), and printing how long that took and the bytes it keeps per event.
    pub fn get(
        &self,
        vendor: &str,
        events: usize,
        load: impl FnOnce(&Handles, usize) -> T,
    ) -> &'static Loaded<T> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, app)) = loaded.iter().find(|(size, _)| *size == events) {
            return app;
        }
        let before = LIVE_BYTES.load(Ordering::Relaxed);
        let started = Instant::now();
        let app = App::new(Clock::frozen_at(synthetic::NOW));
        let handles = Handles::of(&app);
        let tenant = load(&handles, events);
        let elapsed = started.elapsed();
        let held = LIVE_BYTES.load(Ordering::Relaxed).saturating_sub(before);
        eprintln!(
            "[{vendor}] loaded {events} events in {:.2} s ({:.0} events/s); memory: {:.1} MiB held, {} bytes per stored event",
            elapsed.as_secs_f64(),
            events as f64 / elapsed.as_secs_f64(),
            held as f64 / (1024.0 * 1024.0),
            held / events.max(1),
        );
        let app: &'static Loaded<T> = Box::leak(Box::new(Loaded {
            app,
            handles,
            tenant,
        }));
        loaded.push((events, app));
        app
    }
}

/// Loads every size of [`sizes`] with `load`, before divan prints its table (so the load
/// reports stand on their own lines), unless the run only lists benchmarks or asks for help.
pub fn preload(load: impl Fn(usize)) {
    let listing = std::env::args().any(|arg| matches!(arg.as_str(), "--list" | "--help" | "-h"));
    if !listing {
        sizes().into_iter().for_each(load);
    }
}

/// A `GET` of `path_and_query` with header `name: value`.
pub fn get(path_and_query: &str, name: &str, value: &str) -> ApiRequest {
    ApiRequest::new("GET", path_and_query).with_header(name, value)
}

/// Answers `request` with `app`, checking it succeeded (a failing request would measure an
/// error path instead).
pub fn answer(app: &App, request: &ApiRequest) -> ApiResponse {
    let response = app.handle(request);
    assert_eq!(
        response.status,
        200,
        "{} {}: {}",
        request.method,
        request.path,
        String::from_utf8_lossy(&response.body)
    );
    response
}

/// `text` percent-encoded for a query string.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
