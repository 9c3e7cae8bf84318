//! [`Calls`]: a selection of journal entries to narrow and assert on. Failed assertions list
//! what the server WAS called with.

use super::Entry;

/// How many entries a failed assertion lists (the newest).
const LISTED: usize = 50;

/// Journal entries selected by operation or route, taken when the selection was made.
///
/// Narrow with [`with_query`](Self::with_query), [`with_status`](Self::with_status),
/// [`in_api`](Self::in_api) or [`matching`](Self::matching); then read them or assert. Every
/// assertion panics with the selection, the entries it matched and the journal's listing.
#[derive(Clone, Debug)]
pub struct Calls {
    /// What was asked for, e.g. `calls of listPeople with first=50`.
    selector: String,
    /// Why the selection cannot match anything (an unknown operation); fails every assertion.
    problem: Option<String>,
    matching: Vec<Entry>,
    /// Every kept entry when the selection was made, for the listing.
    all: Vec<Entry>,
    /// Entries the journal had dropped for capacity by then.
    dropped: u64,
}

impl Calls {
    pub(super) fn new(
        selector: String,
        problem: Option<String>,
        matching: Vec<Entry>,
        all: Vec<Entry>,
        dropped: u64,
    ) -> Self {
        Self {
            selector,
            problem,
            matching,
            all,
            dropped,
        }
    }

    /// Only the calls whose query parameter `name` is `value` (its last value, as the mock
    /// reads it).
    pub fn with_query(self, name: &str, value: &str) -> Self {
        self.matching(&format!("{name}={value}"), |entry| {
            entry.query(name) == Some(value)
        })
    }

    /// Only the calls answered with `status`.
    pub fn with_status(self, status: u16) -> Self {
        self.matching(&format!("status {status}"), |entry| {
            entry.status() == Some(status)
        })
    }

    /// Only the calls to API `api` (`whop`, `posthog`, `pipedrive-v1`, `pipedrive-v2`).
    pub fn in_api(self, api: &str) -> Self {
        self.matching(&format!("in {api}"), |entry| entry.api() == Some(api))
    }

    /// Only the calls `keep` accepts; `description` names the condition in failure messages.
    pub fn matching(mut self, description: &str, keep: impl Fn(&Entry) -> bool) -> Self {
        self.matching.retain(|entry| keep(entry));
        self.selector = if self.selector.contains(" with ") {
            format!("{}, {description}", self.selector)
        } else {
            format!("{} with {description}", self.selector)
        };
        self
    }

    /// How many calls are selected.
    pub fn count(&self) -> usize {
        self.matching.len()
    }

    /// Whether no call is selected.
    pub fn is_empty(&self) -> bool {
        self.matching.is_empty()
    }

    /// The selected calls, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.matching
    }

    /// The oldest selected call.
    pub fn first(&self) -> Option<&Entry> {
        self.matching.first()
    }

    /// The newest selected call.
    pub fn last(&self) -> Option<&Entry> {
        self.matching.last()
    }

    /// Panics unless exactly `expected` calls are selected.
    #[track_caller]
    pub fn assert_count(&self, expected: usize) -> &Self {
        if self.problem.is_some() || self.count() != expected {
            panic!("{}", self.failure(&format!("expected {expected}")));
        }
        self
    }

    /// Panics unless at least one call is selected.
    #[track_caller]
    pub fn assert_called(&self) -> &Self {
        if self.problem.is_some() || self.is_empty() {
            panic!("{}", self.failure("expected at least one"));
        }
        self
    }

    /// The one selected call; panics unless there is exactly one.
    #[track_caller]
    pub fn single(&self) -> Entry {
        match (&self.problem, self.matching.as_slice()) {
            (None, [entry]) => entry.clone(),
            _ => panic!("{}", self.failure("expected exactly 1")),
        }
    }

    /// The message of a failed assertion: `expected 1 calls of listPeople with first=50, found
    /// 0`, the problem if any, what matched and what the journal holds.
    fn failure(&self, expected: &str) -> String {
        let mut message = format!("{expected} {}, found {}", self.selector, self.count());
        if let Some(problem) = &self.problem {
            message.push_str(&format!("\n({problem})"));
        }
        if !self.matching.is_empty() {
            message.push_str("\nselected:");
            push_listing(&mut message, &self.matching);
        }
        message.push_str(&format!(
            "\nthe journal holds {} request(s){}:",
            self.all.len(),
            match self.dropped {
                0 => String::new(),
                dropped => format!(" ({dropped} older one(s) dropped for capacity)"),
            }
        ));
        if self.all.is_empty() {
            message.push_str("\n  (none)");
        } else {
            push_listing(&mut message, &self.all);
        }
        message
    }
}

/// Adds the newest [`LISTED`] of `entries` to `message`, one per line.
fn push_listing(message: &mut String, entries: &[Entry]) {
    let skipped = entries.len().saturating_sub(LISTED);
    if skipped > 0 {
        message.push_str(&format!("\n  … {skipped} older not shown"));
    }
    for entry in &entries[skipped..] {
        message.push_str(&format!("\n  {entry}"));
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use crate::http::{ApiRequest, ApiResponse};
    use crate::journal::{Journal, JournalConfig};

    fn journal() -> Journal {
        let journal = Journal::new(JournalConfig::default());
        for (path, status) in [
            ("/whop/api/v1/people?first=50", 200),
            ("/whop/api/v1/people?first=20", 429),
            ("/whop/api/v1/people?first=20", 200),
        ] {
            journal.record(
                0,
                crate::operations::lookup("GET", "/whop/api/v1/people"),
                ApiRequest::new("GET", path),
                Some(ApiResponse::empty(status)),
                None,
            );
        }
        journal
    }

    fn panic_message(run: impl FnOnce()) -> String {
        let payload = catch_unwind(AssertUnwindSafe(run)).unwrap_err();
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn narrows_and_counts() {
        let journal = journal();
        let calls = journal.calls("listPeople");
        assert_eq!(calls.count(), 3);
        calls.assert_count(3).assert_called();
        journal
            .calls("listPeople")
            .with_query("first", "50")
            .assert_count(1);
        let retried = journal.calls("listPeople").with_query("first", "20");
        assert_eq!(retried.first().unwrap().status(), Some(429));
        assert_eq!(retried.last().unwrap().status(), Some(200));
        let ok = retried.with_status(200).single();
        assert_eq!(ok.seq(), 2);
        let odd = journal
            .calls("listPeople")
            .matching("odd seq", |entry| entry.seq() % 2 == 1);
        assert_eq!(odd.entries().len(), 1);
        assert!(journal.calls("retrievePerson").is_empty());
    }

    #[test]
    fn failures_list_what_was_called() {
        let journal = journal();
        let message = panic_message(|| {
            journal
                .calls("listPeople")
                .with_query("first", "10")
                .with_status(200)
                .assert_count(1);
        });
        assert!(
            message
                .starts_with("expected 1 calls of listPeople with first=10, status 200, found 0\n"),
            "{message}"
        );
        assert!(
            message.contains("the journal holds 3 request(s):\n  #0 GET /whop/api/v1/people?first=50 → 200 listPeople (whop)"),
            "{message}"
        );
        let message = panic_message(|| {
            journal.calls("listPeople").single();
        });
        assert!(message.contains("selected:\n  #0"), "{message}");
    }

    #[test]
    fn an_unknown_operation_fails_every_assertion() {
        let journal = journal();
        let message = panic_message(|| {
            journal.calls("lisPeople").assert_count(0);
        });
        assert!(
            message.contains("(no operation in specs/ is named `lisPeople`)"),
            "{message}"
        );
        let message = panic_message(|| {
            journal.calls_to("GET", "people").assert_called();
        });
        assert!(message.contains("is not a path"), "{message}");
    }
}
