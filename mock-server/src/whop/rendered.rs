//! Each person's JSON as the lists render it, kept as a projection: filled by the first read
//! that needs it, dropped by every write that could change it (an event of the person, a merge
//! into or out of them, display data of an ad entity). Only renderings no request or clock can
//! change are kept: Era A's and Era B's person over a window holding their whole history (a
//! person straddling the window's edge is rendered for that window, every time), and Era C's
//! person, which shows lifetime aggregates. A page copies the kept bytes instead of rendering
//! every field again.

use std::sync::OnceLock;

/// A kept rendering of a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Era A's (and early B's) `Person` over their whole history, Unix times.
    WholeUnix = 0,
    /// Late B's `Person` over their whole history, ISO-8601 times.
    WholeIso = 1,
    /// Era C's `Person`.
    Current = 2,
}

/// One kept rendering: JSON bytes, once made.
type Slot = OnceLock<Box<[u8]>>;

/// A person's kept renderings, one per [`Form`], each filled at most once until cleared. The
/// slots are allocated by the first rendering, so a person never listed costs one pointer.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    forms: OnceLock<Box<[Slot; 3]>>,
}

impl Rendered {
    /// Appends the rendering in `form` to `out`, made by `render` the first time it is asked
    /// for since the last [`clear`](Self::clear).
    pub fn write(&self, form: Form, out: &mut Vec<u8>, render: impl FnOnce() -> Vec<u8>) {
        let forms = self.forms.get_or_init(Box::default);
        let bytes = forms[form as usize].get_or_init(|| render().into_boxed_slice());
        out.extend_from_slice(bytes);
    }

    /// Drops every kept rendering (a write changed the person or what they show).
    pub fn clear(&mut self) {
        self.forms.take();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use crate::clock::Clock;
    use crate::http::ApiRequest;
    use crate::router::App;
    use crate::vendor_handle::{read_lock, write_lock};
    use crate::whop::{AdEntity, Event, Whop};

    /// 2026-01-31T12:00:00Z.
    const NOW: i64 = 1_769_860_800;
    const DAY: i64 = 86_400;
    const ACCOUNT: &str = "biz_cache";
    const KEY: &str = "cache_key";

    /// An event of visitor `visitor`, maybe identified (which merges visitors sharing an
    /// e-mail or user id), maybe a purchase, maybe from an ad with a (new) name.
    #[derive(Clone, Debug)]
    struct Visit {
        visitor: u8,
        email: Option<u8>,
        user: Option<u8>,
        purchase: Option<u8>,
        days_ago: u16,
        ad: Option<(u8, u8)>,
        details: bool,
    }

    #[derive(Clone, Debug)]
    enum Op {
        Event(Visit),
        /// The clock moves by this many hours (forward or back).
        Clock(i32),
    }

    fn op() -> impl Strategy<Value = Op> {
        let event = (
            0u8..8,
            proptest::option::of(0u8..3),
            proptest::option::of(0u8..3),
            proptest::option::of(1u8..50),
            0u16..500,
            proptest::option::of((0u8..3, 0u8..3)),
            any::<bool>(),
        )
            .prop_map(|(visitor, email, user, purchase, days_ago, ad, details)| {
                Op::Event(Visit {
                    visitor,
                    email,
                    user,
                    purchase,
                    days_ago,
                    ad,
                    details,
                })
            });
        prop_oneof![5 => event, 1 => (-24 * 400..24 * 400).prop_map(Op::Clock)]
    }

    fn apply(app: &App, whop: &Whop, op: Op) {
        let visit = match op {
            Op::Clock(hours) => {
                app.clock.set(app.clock.now() + i64::from(hours) * 3_600);
                return;
            }
            Op::Event(visit) => visit,
        };
        let visitor = visit.visitor;
        let mut event = match visit.purchase {
            Some(usd) => Event::purchase(f64::from(usd) * 1.25),
            None => Event::page_view(),
        };
        event = event
            .visitor(format!("w{visitor}"))
            .name(format!("Name {visitor} {}", visit.days_ago))
            .at(app.clock.now() - i64::from(visit.days_ago) * DAY);
        if let Some(email) = visit.email {
            event = event.email(format!("p{email}@x.test"));
        }
        if let Some(user) = visit.user {
            event = event.user_id(format!("user_{user}"));
        }
        if let Some((ad, name)) = visit.ad {
            event = event.ad(AdEntity::new(format!("ad_{ad}")).name(format!("Ad {name}")));
        }
        if visit.details {
            event = event
                .user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
                .ip(format!("203.0.113.{visitor}"))
                .referrer("https://www.google.com/search?q=x")
                .member_id(format!("mber_{visitor}"));
        }
        whop.ingest(ACCOUNT, event).unwrap();
    }

    /// The list requests of every contract: `(Api-Version-Date, path and query)`. Some share
    /// a list and differ in their page (the second reads the first's kept order, the third
    /// reaches further than it), some have windows or bounds relative to now (their kept
    /// orders must not outlive a clock move), some are fixed.
    fn lists(now: i64) -> Vec<(Option<&'static str>, String)> {
        let people = "/whop/api/v1/people";
        vec![
            (None, format!("{people}?sort=ltv&first=5")),
            (None, format!("{people}?sort=ltv&first=2&offset=1")),
            (None, format!("{people}?sort=ltv&first=4&offset=3")),
            (None, format!("{people}?from={}&to={now}", now - 30 * DAY)),
            (None, format!("{people}?from={}&offset=2", now - 200 * DAY)),
            (None, format!("{people}?from={NOW}&to={}", NOW + 100 * DAY)),
            (Some("2026-07-08"), format!("{people}?first=4")),
            (Some("2026-07-20"), format!("{people}?sort=ltv&first=6")),
            (Some("2026-10-15-1"), format!("{people}?first=5")),
            (Some("2026-10-15-1"), format!("{people}?order=ltv&first=3")),
            (
                Some("2026-10-15-1"),
                format!("{people}?order=ltv&event_within_days=30&first=2"),
            ),
            (
                Some("2026-10-15-1"),
                format!("{people}?last_seen_within_days=60&first=3"),
            ),
        ]
    }

    fn answer(app: &App, version: Option<&str>, path_and_query: &str) -> (u16, Vec<u8>) {
        let mut request = ApiRequest::new("GET", path_and_query)
            .with_header("authorization", &format!("Bearer {KEY}"));
        if let Some(version) = version {
            request = request.with_header("api-version-date", version);
        }
        let response = app.handle(&request);
        (response.status, response.body)
    }

    /// A body without its `page_info` (cursors name the walk, which differs between two
    /// apps): what comes before it, and what follows it.
    fn without_cursors(body: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let text = String::from_utf8(body.to_vec()).unwrap();
        match text.split_once(",\"page_info\":") {
            Some((before, after)) => {
                let rest = after.split_once('}').map_or("", |(_, rest)| rest);
                (before.as_bytes().to_vec(), rest.as_bytes().to_vec())
            }
            None => (body.to_vec(), Vec::new()),
        }
    }

    /// An app holding the same log, never rendered before, at the same time.
    fn fresh_copy(app: &App) -> App {
        let copy = App::new(Clock::frozen_at(app.clock.now()));
        let seed = read_lock(&app.whop).export_seed();
        write_lock(&copy.whop)
            .load_seed(&seed, &copy.clock)
            .unwrap();
        copy
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// After every write and clock move, each list answered from the kept renderings
        /// and the kept orders (`orders.rs`) is the list an app that never answered one
        /// gives.
        #[test]
        fn kept_renderings_answer_as_fresh_ones(ops in prop::collection::vec(op(), 1..30)) {
            let app = App::new(Clock::frozen_at(NOW));
            let whop = Whop::new(Arc::clone(&app.whop), app.clock.clone(), "http://mock");
            whop.add_account_key(ACCOUNT, KEY);
            for op in ops {
                apply(&app, &whop, op);
                let fresh = fresh_copy(&app);
                for (version, path) in lists(app.clock.now()) {
                    // Twice: the first answer may fill the kept renderings, the second reads
                    // them.
                    for _ in 0..2 {
                        let (status, body) = answer(&app, version, &path);
                        let (fresh_status, fresh_body) = answer(&fresh, version, &path);
                        prop_assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        prop_assert_eq!(fresh_status, 200);
                        prop_assert_eq!(
                            without_cursors(&body),
                            without_cursors(&fresh_body),
                            "{:?} {} at {}:\nkept:  {}\nfresh: {}",
                            version,
                            path,
                            app.clock.now(),
                            String::from_utf8_lossy(&body),
                            String::from_utf8_lossy(&fresh_body)
                        );
                    }
                }
            }
        }
    }
}
