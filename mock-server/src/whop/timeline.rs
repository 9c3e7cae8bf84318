//! One person's events in time order, with running totals, so any `[from, to]` window's
//! aggregates cost two binary searches instead of a scan.

use std::collections::BTreeMap;

use super::log::{AdLevel, EventKind, PixelEvent};

/// Marks "no event so far carries this detail".
const NONE: u32 = u32::MAX;

/// What one event contributes on its own.
#[derive(Clone, Copy, Debug, Default)]
struct Own {
    purchase: bool,
    usd_cents: i64,
    failed_payment: bool,
    name: bool,
    email: bool,
    phone: bool,
}

impl Own {
    fn of(event: &PixelEvent) -> Self {
        let kind = event.kind();
        let (purchase, usd_cents) = match kind {
            EventKind::Purchase { usd_cents } => (true, usd_cents),
            _ => (false, 0),
        };
        Self {
            purchase,
            usd_cents,
            failed_payment: kind == EventKind::FailedPayment,
            name: event.user.name.is_some(),
            email: event.user.email.is_some(),
            phone: event.user.phone.is_some(),
        }
    }
}

/// Running totals up to and including one entry.
#[derive(Clone, Copy, Debug)]
struct Totals {
    purchases: u32,
    usd_cents: i64,
    failed_payments: u32,
    /// Timeline position of the latest entry so far carrying a name (or [`NONE`]).
    name_at: u32,
    email_at: u32,
    phone_at: u32,
}

impl Totals {
    const ZERO: Totals = Totals {
        purchases: 0,
        usd_cents: 0,
        failed_payments: 0,
        name_at: NONE,
        email_at: NONE,
        phone_at: NONE,
    };

    fn then(self, own: Own, position: u32) -> Totals {
        let carry = |present: bool, previous: u32| if present { position } else { previous };
        Totals {
            purchases: self.purchases + u32::from(own.purchase),
            usd_cents: self.usd_cents.saturating_add(own.usd_cents),
            failed_payments: self.failed_payments + u32::from(own.failed_payment),
            name_at: carry(own.name, self.name_at),
            email_at: carry(own.email, self.email_at),
            phone_at: carry(own.phone, self.phone_at),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    time: i64,
    /// Position of the event in the account log.
    log_index: u32,
    own: Own,
    totals: Totals,
}

impl Entry {
    fn key(&self) -> (i64, u32) {
        (self.time, self.log_index)
    }
}

/// A person's time-ordered events with prefix aggregates and ad touches.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    entries: Vec<Entry>,
    /// Every time each ad entity touched this person, sorted.
    ad_touches: BTreeMap<(AdLevel, String), Vec<i64>>,
}

/// What a window of a timeline adds up to. Contact details are given as the log positions
/// of the events carrying them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowAggregate {
    /// Time of the first event in the window.
    pub first_seen_at: i64,
    /// Time of the last event in the window.
    pub last_seen_at: i64,
    /// Completed payments in the window.
    pub purchase_count: u32,
    /// Their total, in US cents.
    pub ltv_cents: i64,
    /// Whether the window holds a failed payment.
    pub has_failed_payment: bool,
    /// Log position of the latest event in the window carrying a name.
    pub name_event: Option<u32>,
    /// Log position of the latest event in the window carrying an e-mail.
    pub email_event: Option<u32>,
    /// Log position of the latest event in the window carrying a phone number.
    pub phone_event: Option<u32>,
}

impl WindowAggregate {
    /// Average order value in cents (0 without purchases).
    pub fn aov_cents(&self) -> i64 {
        if self.purchase_count == 0 {
            0
        } else {
            (self.ltv_cents as f64 / f64::from(self.purchase_count)).round() as i64
        }
    }
}

impl Timeline {
    /// How many events the person has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The `(time, log position)` of every event with `from <= time <= to`, in time order.
    pub fn events_between(
        &self,
        from: i64,
        to: i64,
    ) -> impl DoubleEndedIterator<Item = (i64, u32)> + '_ {
        let lo = self.entries.partition_point(|entry| entry.time < from);
        let hi = self.entries.partition_point(|entry| entry.time <= to);
        self.entries[lo..hi.max(lo)].iter().map(Entry::key)
    }

    /// Adds `event`, stored at `log_index` in the account log. Appending in time order costs
    /// O(1); a late event costs the entries after it.
    pub fn insert(&mut self, log_index: u32, event: &PixelEvent) {
        let time = event.seconds();
        let key = (time, log_index);
        let position = self.entries.partition_point(|entry| entry.key() < key);
        let entry = Entry {
            time,
            log_index,
            own: Own::of(event),
            totals: Totals::ZERO,
        };
        self.entries.insert(position, entry);
        for (level, id) in event.context.touches() {
            let times = self.ad_touches.entry((level, id.to_owned())).or_default();
            let at = times.partition_point(|touched| *touched <= time);
            times.insert(at, time);
        }
        self.recompute_from(position);
    }

    /// Moves every event of `other` into this timeline (an identity merge). Costs the
    /// entries from the first absorbed event's position on, so folding a new visitor's few
    /// recent events into a long history is cheap.
    pub fn absorb(&mut self, other: Timeline) {
        for (key, times) in other.ad_touches {
            let mine = self.ad_touches.entry(key).or_default();
            mine.extend(times);
            mine.sort_unstable();
        }
        let Some(first_key) = other.entries.first().map(Entry::key) else {
            return;
        };
        let start = self
            .entries
            .partition_point(|entry| entry.key() < first_key);
        let tail = self.entries.split_off(start);
        let mut theirs = other.entries.into_iter().peekable();
        for mine in tail {
            while let Some(next) = theirs.next_if(|theirs| theirs.key() < mine.key()) {
                self.entries.push(next);
            }
            self.entries.push(mine);
        }
        self.entries.extend(theirs);
        self.recompute_from(start);
    }

    /// The aggregates of the events with `from <= time <= to`; `None` if there are none.
    /// A window reaching past either end of the history (a window ending now, say) skips that
    /// end's search.
    pub fn window(&self, from: i64, to: i64) -> Option<WindowAggregate> {
        let lo = match self.entries.first() {
            Some(first) if first.time >= from => 0,
            _ => self.entries.partition_point(|entry| entry.time < from),
        };
        let hi = match self.entries.last() {
            Some(last) if last.time <= to => self.entries.len(),
            _ => self.entries.partition_point(|entry| entry.time <= to),
        };
        self.aggregate(lo, hi)
    }

    /// The times of the first and last events, if any.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.entries.first()?.time, self.entries.last()?.time))
    }

    /// The aggregates of every event: the window of any `[from, to]` that holds the whole
    /// history, without a search. `None` if there are no events.
    pub fn whole(&self) -> Option<WindowAggregate> {
        self.aggregate(0, self.entries.len())
    }

    /// The aggregates of the entries at positions `lo..hi`.
    fn aggregate(&self, lo: usize, hi: usize) -> Option<WindowAggregate> {
        if lo >= hi {
            return None;
        }
        let last = self.entries[hi - 1].totals;
        let before = lo
            .checked_sub(1)
            .map_or(Totals::ZERO, |i| self.entries[i].totals);
        let detail = |at: u32| {
            (at != NONE && at as usize >= lo).then(|| self.entries[at as usize].log_index)
        };
        Some(WindowAggregate {
            first_seen_at: self.entries[lo].time,
            last_seen_at: self.entries[hi - 1].time,
            purchase_count: last.purchases - before.purchases,
            ltv_cents: last.usd_cents - before.usd_cents,
            has_failed_payment: last.failed_payments > before.failed_payments,
            name_event: detail(last.name_at),
            email_event: detail(last.email_at),
            phone_event: detail(last.phone_at),
        })
    }

    /// The ad entities of `level` that touched the person within `[from, to]`, ordered by
    /// their first touch in the window, then id.
    pub fn ads_in_window(&self, level: AdLevel, from: i64, to: i64) -> Vec<&str> {
        let mut touched: Vec<(i64, &str)> = self
            .ad_touches
            .range((level, String::new())..)
            .take_while(|((entry_level, _), _)| *entry_level == level)
            .filter_map(|((_, id), times)| {
                let first = times[times.partition_point(|time| *time < from)..].first()?;
                (*first <= to).then_some((*first, id.as_str()))
            })
            .collect();
        touched.sort_unstable();
        touched.into_iter().map(|(_, id)| id).collect()
    }

    /// Rebuilds the running totals of every entry from `start` on.
    fn recompute_from(&mut self, start: usize) {
        let mut totals = start
            .checked_sub(1)
            .map_or(Totals::ZERO, |i| self.entries[i].totals);
        for (position, entry) in self.entries.iter_mut().enumerate().skip(start) {
            totals = totals.then(entry.own, position as u32);
            entry.totals = totals;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use proptest::prelude::*;

    /// What the strategies below draw an event's kind from.
    #[derive(Clone, Copy, Debug)]
    enum Kind {
        PageView,
        Purchase(i64),
        FailedPayment,
    }

    fn event(time: i64, kind: Kind, name: Option<&str>) -> PixelEvent {
        let mut event = match kind {
            Kind::PageView => PixelEvent::named("page"),
            Kind::Purchase(usd_cents) => {
                let mut purchase = PixelEvent::named("purchase");
                purchase.usd_cents = Some(usd_cents);
                purchase
            }
            Kind::FailedPayment => PixelEvent::named("payment.failed"),
        };
        event.event_time = Some(Timestamp::from_unix_seconds(time));
        event.user.name = name.map(str::to_owned);
        event
    }

    /// The window computed the slow way, straight from the events.
    fn scan(
        events: &[PixelEvent],
        from: i64,
        to: i64,
    ) -> Option<(i64, i64, u32, i64, bool, Option<u32>)> {
        let inside: Vec<(u32, &PixelEvent)> = (0u32..)
            .zip(events)
            .filter(|(_, e)| (from..=to).contains(&e.seconds()))
            .collect();
        let first = inside.iter().map(|(_, e)| e.seconds()).min()?;
        let last = inside.iter().map(|(_, e)| e.seconds()).max()?;
        let purchases: Vec<i64> = inside
            .iter()
            .filter_map(|(_, e)| match e.kind() {
                EventKind::Purchase { usd_cents } => Some(usd_cents),
                _ => None,
            })
            .collect();
        let name = inside
            .iter()
            .filter(|(_, e)| e.user.name.is_some())
            .max_by_key(|(i, e)| (e.seconds(), *i))
            .map(|(i, _)| *i);
        let failed = inside
            .iter()
            .any(|(_, e)| e.kind() == EventKind::FailedPayment);
        Some((
            first,
            last,
            purchases.len() as u32,
            purchases.iter().sum(),
            failed,
            name,
        ))
    }

    fn kind_strategy() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::PageView),
            (0i64..10_000).prop_map(Kind::Purchase),
            Just(Kind::FailedPayment),
        ]
    }

    proptest! {
        #[test]
        fn windows_match_a_full_scan(
            raw in prop::collection::vec((0i64..100, kind_strategy(), any::<bool>()), 1..40),
            split in any::<prop::sample::Index>(),
            from in 0i64..100,
            len in 0i64..100,
        ) {
            let events: Vec<PixelEvent> = raw
                .into_iter()
                .map(|(time, kind, named)| event(time, kind, named.then_some("n")))
                .collect();
            // Feed part of the events to one timeline and the rest to another, out of order,
            // then merge them: the result must not depend on arrival order.
            let cut = split.index(events.len());
            let (mut a, mut b) = (Timeline::default(), Timeline::default());
            for (i, e) in events.iter().enumerate().rev() {
                if i < cut { a.insert(i as u32, e) } else { b.insert(i as u32, e) }
            }
            a.absorb(b);
            let to = from + len;
            let got = a.window(from, to).map(|w| (
                w.first_seen_at, w.last_seen_at, w.purchase_count, w.ltv_cents,
                w.has_failed_payment, w.name_event,
            ));
            prop_assert_eq!(got, scan(&events, from, to));
            prop_assert_eq!(a.len(), events.len());
            prop_assert_eq!(a.whole(), a.window(i64::MIN, i64::MAX));
        }
    }

    #[test]
    fn ads_are_listed_by_first_touch_in_the_window() {
        let mut timeline = Timeline::default();
        for (i, (time, ad)) in [(50, "ad_b"), (10, "ad_a"), (60, "ad_a"), (90, "ad_c")]
            .iter()
            .enumerate()
        {
            let mut e = event(*time, Kind::PageView, None);
            e.context.ad_id = Some((*ad).to_owned());
            timeline.insert(i as u32, &e);
        }
        assert_eq!(
            timeline.ads_in_window(AdLevel::Ad, 0, 100),
            ["ad_a", "ad_b", "ad_c"]
        );
        assert_eq!(
            timeline.ads_in_window(AdLevel::Ad, 20, 80),
            ["ad_b", "ad_a"]
        );
        assert!(timeline.ads_in_window(AdLevel::Campaign, 0, 100).is_empty());
    }

    #[test]
    fn aov_rounds_to_cents() {
        let mut timeline = Timeline::default();
        for (i, cents) in [1000, 1001, 1001].into_iter().enumerate() {
            timeline.insert(i as u32, &event(i as i64, Kind::Purchase(cents), None));
        }
        let window = timeline.window(0, 10).unwrap();
        assert_eq!(
            (window.purchase_count, window.ltv_cents, window.aov_cents()),
            (3, 3002, 1001)
        );
    }
}
