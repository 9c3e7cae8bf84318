//! The request journal of the in-process server: every request it answered, in order, with
//! the response, the spec operation it hit and the fault that answered it, if any. Bounded: past
//! its capacity the oldest entries are dropped (and counted).
//!
//! The journal also keeps the unmatched requests (no spec operation, answered 404), whether
//! or not it records entries, and reports each one loudly as it happens.
//!
//! Recording happens in the wiremock responders (`transport.rs` and `faults.rs`), so mocks a
//! test mounts itself on [`MockServer::wiremock`](crate::MockServer::wiremock) are not
//! journaled.

mod calls;
mod entry;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use calls::Calls;
pub use entry::Entry;

use crate::faults::FaultKind;
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::{self, Operation, RoutePattern};

/// How many entries a journal keeps by default.
pub const DEFAULT_CAPACITY: usize = 1_000;
/// How many unmatched requests a journal keeps (their total is counted beyond that).
pub const UNMATCHED_CAPACITY: usize = 100;
/// How many of the nearest known operations an unmatched report names.
const NEAREST: usize = 3;

/// What a journal records: whether it keeps entries, and how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalConfig {
    /// Whether entries are kept (unmatched requests are kept and reported either way).
    pub recording: bool,
    /// How many entries are kept before the oldest are dropped.
    pub capacity: usize,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            recording: true,
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// A handle on a server's journal. Clones share it.
#[derive(Clone, Debug)]
pub struct Journal {
    store: Arc<Mutex<Store>>,
}

#[derive(Debug)]
struct Store {
    config: JournalConfig,
    /// The next entry's sequence number.
    next_seq: u64,
    entries: VecDeque<Entry>,
    /// Entries dropped for capacity since the last clear.
    dropped: u64,
    unmatched: VecDeque<Entry>,
    /// Unmatched requests since the last clear, kept or not.
    unmatched_total: u64,
}

impl Journal {
    /// An empty journal.
    pub fn new(config: JournalConfig) -> Self {
        Self {
            store: Arc::new(Mutex::new(Store {
                config,
                next_seq: 0,
                entries: VecDeque::new(),
                dropped: 0,
                unmatched: VecDeque::new(),
                unmatched_total: 0,
            })),
        }
    }

    /// Records that `request` got `response` (`None`: the connection was dropped) at
    /// `time_micros`, answered by `fault` if one did; reports it if it is unmatched.
    pub(crate) fn record(
        &self,
        time_micros: i64,
        operation: Option<&'static Operation>,
        request: ApiRequest,
        response: Option<ApiResponse>,
        fault: Option<FaultKind>,
    ) {
        let mut store = self.lock();
        let seq = store.next_seq;
        store.next_seq += 1;
        let entry = Entry::new(seq, time_micros, operation, request, response, fault);
        if entry.is_unmatched() {
            report_unmatched(&entry);
            store.unmatched_total += 1;
            if store.unmatched.len() == UNMATCHED_CAPACITY {
                store.unmatched.pop_front();
            }
            store.unmatched.push_back(entry.clone());
        }
        if !store.config.recording {
            return;
        }
        if store.entries.len() >= store.config.capacity {
            store.entries.pop_front();
            store.dropped += 1;
            if store.config.capacity == 0 {
                return;
            }
        }
        store.entries.push_back(entry);
    }

    /// Whether entries are being kept (see [`MockServerBuilder::journal`](crate::MockServerBuilder::journal)).
    pub fn is_recording(&self) -> bool {
        self.lock().config.recording
    }

    /// Every kept entry, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.iter().cloned().collect()
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }

    /// How many entries were dropped for capacity since the server started or the last
    /// [`clear`](Self::clear).
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Forgets every entry, unmatched request and drop count (sequence numbers go on).
    pub fn clear(&self) {
        let mut store = self.lock();
        store.entries.clear();
        store.dropped = 0;
        store.unmatched.clear();
        store.unmatched_total = 0;
    }

    /// The kept calls of operation `id` (in every API that has one by that name; narrow with
    /// [`Calls::in_api`]). An id no spec has makes every assertion on the result fail.
    ///
    /// ```no_run
    /// # fn demo(mock: &persons_mock::MockServer) {
    /// mock.journal().calls("listPeople").with_query("first", "50").assert_count(1);
    /// let created = mock.journal().calls("createEvent").single();
    /// assert_eq!(created.status(), Some(200));
    /// # }
    /// ```
    pub fn calls(&self, id: &str) -> Calls {
        let problem =
            (!operations::exists(id)).then(|| format!("no operation in specs/ is named `{id}`"));
        self.select(format!("calls of {id}"), problem, |entry| {
            entry.operation_id() == Some(id)
        })
    }

    /// The kept calls whose method and path match `method` and `path` (a concrete path, or a
    /// template with `{param}` segments), whether or not a spec operation matches them.
    pub fn calls_to(&self, method: &str, path: &str) -> Calls {
        match RoutePattern::parse(method, path) {
            Ok(pattern) => self.select(format!("calls to {method} {path}"), None, |entry| {
                pattern.matches(entry.method(), entry.path())
            }),
            Err(why) => self.select(format!("calls to {method} {path}"), Some(why), |_| false),
        }
    }

    /// Every kept entry, to filter and assert on.
    pub fn all(&self) -> Calls {
        self.select("calls".to_owned(), None, |_| true)
    }

    /// The unmatched requests (no spec operation matched and the mock answered 404) since
    /// the start or the last [`clear`](Self::clear), the last [`UNMATCHED_CAPACITY`] of them.
    pub fn unmatched(&self) -> Vec<Entry> {
        self.lock().unmatched.iter().cloned().collect()
    }

    /// Panics, listing them, if any request was unmatched since the start or the last clear.
    #[track_caller]
    pub fn assert_no_unmatched(&self) {
        if let Some(report) = self.unmatched_report() {
            panic!("{report}");
        }
    }

    /// The listing of unmatched requests, if there were any.
    pub(crate) fn unmatched_report(&self) -> Option<String> {
        let store = self.lock();
        if store.unmatched_total == 0 {
            return None;
        }
        let mut report = format!(
            "the mock answered {} request(s) that match no operation of specs/ with 404:",
            store.unmatched_total
        );
        let unlisted = store.unmatched_total - store.unmatched.len() as u64;
        if unlisted > 0 {
            report.push_str(&format!("\n  … {unlisted} earlier one(s) not kept"));
        }
        for entry in &store.unmatched {
            report.push_str(&format!(
                "\n  {entry}{}",
                nearest_hint(entry.method(), entry.path())
            ));
        }
        Some(report)
    }

    fn select(
        &self,
        selector: String,
        problem: Option<String>,
        keep: impl Fn(&Entry) -> bool,
    ) -> Calls {
        let store = self.lock();
        let all: Vec<Entry> = store.entries.iter().cloned().collect();
        let matching = all.iter().filter(|entry| keep(entry)).cloned().collect();
        Calls::new(selector, problem, matching, all, store.dropped)
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Warns about an unmatched request on the log and on stderr (which test harnesses show).
fn report_unmatched(entry: &Entry) {
    let warning = unmatched_warning(entry.method(), entry.path());
    tracing::warn!(method = %entry.method(), path = %entry.path(), "{warning}");
    eprintln!("{warning}");
}

/// What the mock says about a request that matched no operation: the request, and the
/// nearest known operations.
pub(crate) fn unmatched_warning(method: &str, path: &str) -> String {
    format!(
        "persons mock: unmatched request {method} {path} (no spec operation; answered 404){}",
        nearest_hint(method, path)
    )
}

/// `; nearest known: GET /a, GET /b` for an unmatched request, or nothing.
fn nearest_hint(method: &str, path: &str) -> String {
    let near = operations::nearest(method, path, NEAREST);
    if near.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = near
        .iter()
        .map(|operation| {
            format!(
                "{} {} ({})",
                operation.method(),
                operation.path(),
                operation.id()
            )
        })
        .collect();
    format!("; nearest known: {}", listed.join(", "))
}

/// Panics when its server drops with unmatched requests on record, if asked to
/// ([`MockServerBuilder::fail_on_unmatched`](crate::MockServerBuilder::fail_on_unmatched)).
#[derive(Debug)]
pub(crate) struct UnmatchedGuard {
    journal: Journal,
    armed: bool,
}

impl UnmatchedGuard {
    /// A guard over `journal` that panics on drop when `armed`.
    pub(crate) fn new(journal: Journal, armed: bool) -> Self {
        Self { journal, armed }
    }
}

impl Drop for UnmatchedGuard {
    fn drop(&mut self) {
        if !self.armed || std::thread::panicking() {
            return;
        }
        if let Some(report) = self.journal.unmatched_report() {
            panic!("persons mock (fail_on_unmatched): {report}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(capacity: usize) -> Journal {
        Journal::new(JournalConfig {
            recording: true,
            capacity,
        })
    }

    fn get(journal: &Journal, path_and_query: &str, status: u16) {
        journal.record(
            0,
            operations::lookup("GET", path_and_query.split('?').next().unwrap_or_default()),
            ApiRequest::new("GET", path_and_query),
            Some(ApiResponse::empty(status)),
            None,
        );
    }

    #[test]
    fn keeps_the_newest_entries_up_to_capacity_and_counts_the_dropped() {
        let journal = journal(2);
        for first in ["1", "2", "3"] {
            get(&journal, &format!("/whop/api/v1/people?first={first}"), 200);
        }
        let seqs: Vec<u64> = journal.entries().iter().map(Entry::seq).collect();
        assert_eq!(seqs, [1, 2]);
        assert_eq!(journal.dropped(), 1);
        journal.clear();
        assert!(journal.is_empty());
        assert_eq!(journal.dropped(), 0);
        get(&journal, "/whop/api/v1/people", 200);
        assert_eq!(journal.entries()[0].seq(), 3);
    }

    #[test]
    fn zero_capacity_or_recording_off_keeps_nothing_but_unmatched_requests() {
        let none = journal(0);
        get(&none, "/whop/api/v1/people", 200);
        assert_eq!((none.len(), none.dropped()), (0, 1));

        let off = Journal::new(JournalConfig {
            recording: false,
            ..JournalConfig::default()
        });
        assert!(!off.is_recording());
        get(&off, "/whop/api/v1/people", 200);
        get(&off, "/whop/api/v1/nope", 404);
        assert_eq!((off.len(), off.dropped()), (0, 0));
        assert_eq!(off.unmatched().len(), 1);
    }

    #[test]
    fn unmatched_means_no_operation_and_a_404() {
        let journal = journal(10);
        get(&journal, "/whop/api/v1/people/pers_missing", 404);
        get(&journal, "/pipedrive/api/v1/persons", 401);
        assert!(journal.unmatched().is_empty());
        journal.assert_no_unmatched();

        get(&journal, "/whop/api/v1/peeple", 404);
        let unmatched = journal.unmatched();
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].path(), "/whop/api/v1/peeple");
        let report = journal.unmatched_report().unwrap();
        assert!(report.contains("1 request(s)"), "{report}");
        assert!(
            report.contains("nearest known: GET /whop/api/v1/events (listEvents), GET /whop/api/v1/people (listPeople)"),
            "{report}"
        );
        let panic = std::panic::catch_unwind(|| journal.assert_no_unmatched()).unwrap_err();
        assert!(
            panic
                .downcast_ref::<String>()
                .unwrap()
                .contains("/whop/api/v1/peeple")
        );
    }

    #[test]
    fn the_guard_panics_on_drop_only_when_armed_and_something_was_unmatched() {
        let journal = journal(10);
        drop(UnmatchedGuard::new(journal.clone(), true));
        get(&journal, "/nowhere", 404);
        drop(UnmatchedGuard::new(journal.clone(), false));
        let armed = UnmatchedGuard::new(journal, true);
        let panic = std::panic::catch_unwind(move || drop(armed)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("persons mock (fail_on_unmatched)"),
            "{message}"
        );
        assert!(message.contains("#0 GET /nowhere → 404"), "{message}");
    }

    #[test]
    fn selects_calls_by_operation_and_route() {
        let journal = journal(10);
        get(&journal, "/whop/api/v1/people?first=50", 200);
        get(&journal, "/whop/api/v1/people/pers_1", 200);
        get(&journal, "/pipedrive/v1/persons", 200);
        get(&journal, "/pipedrive/api/v2/persons", 200);
        journal.calls("listPeople").assert_count(1);
        journal.calls("getPersons").assert_count(2);
        journal
            .calls("getPersons")
            .in_api("pipedrive-v2")
            .assert_count(1);
        journal.calls_to("GET", "/whop/api/v1/people/{id}").single();
        journal
            .calls_to("GET", "/pipedrive/v1/persons")
            .assert_count(1);
        assert_eq!(journal.all().count(), 4);
    }
}
