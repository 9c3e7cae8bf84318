//! The indexes over a project's events that reads use instead of the log: the interned event
//! names and distinct ids (each numbered), each distinct id's events in time order (time,
//! log position and name, so a read takes the events of a time range by binary search and
//! matches names without touching the log; every id's events are one run of a single arena,
//! [`arena`]), and per event name and UTC day the distinct ids active then (the insights'
//! candidates).
//!
//! Events are indexed by distinct id, never by person: an event belongs to the person its
//! distinct id resolves to when it is read. So that reads need no text look-ups, the index
//! also keeps each distinct id's owner and each person's distinct ids (by number), which the
//! project updates after every entry from the distinct ids the person store moved
//! ([`EventIndex::set_owner`]): merges, splits and deletions take effect at once, and no
//! event changes hands (the arena only moves runs, to grow them or to lay each person's
//! runs together).

mod arena;

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::super::log::SharedStr;
use super::super::store::PersonIndex;
use super::super::time::MICROS_PER_HOUR;
use arena::Arena;

/// Microseconds in a UTC day, the span of one activity set.
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// One event as the per-distinct-id index keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Indexed {
    /// When it happened, in microseconds.
    pub timestamp: i64,
    /// Its entry's position in the log.
    pub position: u32,
    /// Its name's number (see [`EventIndex::name_id`]).
    pub name: u32,
}

/// Texts numbered in order of first appearance, each stored once.
#[derive(Clone, Debug, Default)]
struct Interner {
    texts: Vec<SharedStr>,
    numbers: FxHashMap<SharedStr, u32>,
}

impl Interner {
    /// The number and shared copy of `text`, numbering it when new.
    fn intern(&mut self, text: &SharedStr) -> (u32, SharedStr) {
        if let Some((known, number)) = self.numbers.get_key_value(&**text) {
            return (*number, known.clone());
        }
        let number = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(text.clone());
        self.numbers.insert(text.clone(), number);
        (number, text.clone())
    }

    fn number(&self, text: &str) -> Option<u32> {
        self.numbers.get(text).copied()
    }
}

/// The event indexes of one project; every event of the log is in it once.
#[derive(Clone, Debug, Default)]
pub struct EventIndex {
    names: Interner,
    distinct_ids: Interner,
    /// Per distinct id (by number), its events ordered by time, then log position, each id's
    /// a run of one arena.
    by_distinct_id: Arena,
    /// Per event name (by number), per UTC day (days since the epoch), the distinct ids (by
    /// number) with an event of that name that day.
    active: Vec<BTreeMap<i64, RoaringBitmap>>,
    /// Per distinct id (by number), the live person owning it.
    owner: Vec<Option<PersonIndex>>,
    /// Per person (by index), the distinct ids (by number) it owns, inline up to two (most
    /// persons own one or two), so that reading them touches no other allocation.
    owned: Vec<SmallVec<[u32; 2]>>,
    /// Distinct ids numbered since [`EventIndex::take_fresh`] last took them (their owner is
    /// not set yet).
    fresh: Vec<SharedStr>,
}

impl EventIndex {
    /// Indexes the event at log `position`; returns the index's shared copies of its name and
    /// distinct id (so the log stores each text once).
    pub fn add(
        &mut self,
        name: &SharedStr,
        distinct_id: &SharedStr,
        timestamp: i64,
        position: u32,
    ) -> (SharedStr, SharedStr) {
        let (name_id, name) = self.names.intern(name);
        let (id, distinct_id) = self.distinct_ids.intern(distinct_id);
        let slot = usize::try_from(id).unwrap_or(usize::MAX);
        if slot == self.by_distinct_id.len() {
            self.by_distinct_id.push_run();
            self.owner.push(None);
            self.fresh.push(distinct_id.clone());
        }
        let indexed = Indexed {
            timestamp,
            position,
            name: name_id,
        };
        if self.by_distinct_id.insert(slot, indexed) {
            // Each person's distinct ids together, persons in index order.
            let order = self.owned.iter().flatten().map(|number| *number as usize);
            self.by_distinct_id.compact(order);
        }
        let by_day = match self
            .active
            .get_mut(usize::try_from(name_id).unwrap_or(usize::MAX))
        {
            Some(by_day) => by_day,
            None => {
                self.active.push(BTreeMap::new());
                self.active.last_mut().expect("just pushed")
            }
        };
        let active = by_day
            .entry(timestamp.div_euclid(MICROS_PER_DAY))
            .or_default();
        // Ids are numbered as they first appear, so a new one is mostly the largest yet, and
        // an id's events come together, so it is often the largest already.
        match active.max() {
            Some(max) if max == id => {}
            Some(max) if max > id => {
                active.insert(id);
            }
            _ => {
                active.push(id);
            }
        }
        (name, distinct_id)
    }

    /// The distinct ids first seen since the last call (to have their owner set).
    pub fn take_fresh(&mut self) -> Vec<SharedStr> {
        std::mem::take(&mut self.fresh)
    }

    /// Records that `owner` owns `distinct_id` now (`None`: nobody), if it has events.
    pub fn set_owner(&mut self, distinct_id: &str, owner: Option<PersonIndex>) {
        let Some(number) = self.distinct_ids.number(distinct_id) else {
            return;
        };
        let slot = usize::try_from(number).unwrap_or(usize::MAX);
        let before = std::mem::replace(&mut self.owner[slot], owner);
        if before == owner {
            return;
        }
        if let Some(owned) = before.and_then(|before| self.owned.get_mut(before)) {
            owned.retain(|owned| *owned != number);
        }
        if let Some(owner) = owner {
            if self.owned.len() <= owner {
                self.owned.resize_with(owner + 1, SmallVec::new);
            }
            self.owned[owner].push(number);
        }
    }

    /// The distinct ids (by number) person `index` owns that have events.
    pub fn owned(&self, index: PersonIndex) -> &[u32] {
        self.owned.get(index).map_or(&[], SmallVec::as_slice)
    }

    /// The owner of distinct id `number`.
    pub fn owner(&self, number: u32) -> Option<PersonIndex> {
        *self.owner.get(usize::try_from(number).ok()?)?
    }

    /// The number of event name `name`, if any event has it.
    pub fn name_id(&self, name: &str) -> Option<u32> {
        self.names.number(name)
    }

    /// The events of distinct id `number` from `from` to `to` (both inclusive), in time
    /// order.
    pub fn events(&self, number: u32, from: i64, to: i64) -> &[Indexed] {
        let events = self
            .by_distinct_id
            .run(usize::try_from(number).unwrap_or(usize::MAX));
        let start = events.partition_point(|event| event.timestamp < from);
        let end = events.partition_point(|event| event.timestamp <= to);
        &events[start..end.max(start)]
    }

    /// The distinct ids (by number) with an event named one of `names` on a UTC day that
    /// `from..=to` touches: a superset of those with such an event in the range.
    pub fn active(&self, names: &[u32], from: i64, to: i64) -> RoaringBitmap {
        let days = from.div_euclid(MICROS_PER_DAY)..=to.div_euclid(MICROS_PER_DAY);
        let mut active = RoaringBitmap::new();
        // An empty range (`from` after `to`) has no days; `BTreeMap::range` refuses it.
        if days.is_empty() {
            return active;
        }
        for name in names {
            if let Some(by_day) = self
                .active
                .get(usize::try_from(*name).unwrap_or(usize::MAX))
            {
                for (_, ids) in by_day.range(days.clone()) {
                    active |= ids;
                }
            }
        }
        active
    }

    /// Rebuilds the index from `events` (name, distinct id, time, position of every event of
    /// the log, in log order) and `owner` (who owns a distinct id now), and says what
    /// differs. For tests.
    pub fn check<'a>(
        &self,
        events: impl Iterator<Item = (&'a str, &'a str, i64, u32)>,
        owner: impl Fn(&str) -> Option<PersonIndex>,
    ) -> Result<(), String> {
        let mut rebuilt = EventIndex::default();
        for (name, distinct_id, timestamp, position) in events {
            rebuilt.add(&name.into(), &distinct_id.into(), timestamp, position);
        }
        for distinct_id in rebuilt.take_fresh() {
            rebuilt.set_owner(&distinct_id, owner(&distinct_id));
        }
        let sorted = |owned: &[SmallVec<[u32; 2]>]| -> Vec<Vec<u32>> {
            let mut owned: Vec<Vec<u32>> = owned.iter().map(|ids| ids.to_vec()).collect();
            owned.iter_mut().for_each(|ids| ids.sort_unstable());
            while owned.last().is_some_and(Vec::is_empty) {
                owned.pop();
            }
            owned
        };
        let texts = |interner: &Interner| -> Vec<String> {
            interner.texts.iter().map(|text| text.to_string()).collect()
        };
        let checks = [
            (texts(&rebuilt.names) == texts(&self.names), "event names"),
            (
                texts(&rebuilt.distinct_ids) == texts(&self.distinct_ids),
                "distinct ids",
            ),
            (
                rebuilt.by_distinct_id.len() == self.by_distinct_id.len()
                    && (0..self.by_distinct_id.len())
                        .all(|id| rebuilt.by_distinct_id.run(id) == self.by_distinct_id.run(id)),
                "per-distinct-id events",
            ),
            (rebuilt.active == self.active, "per-name daily activity"),
            (rebuilt.owner == self.owner, "distinct id owner"),
            (
                sorted(&rebuilt.owned) == sorted(&self.owned),
                "per-person distinct id",
            ),
            (self.fresh.is_empty(), "fresh distinct id"),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, what)) => Err(format!("the {what} index drifted from the log")),
            None => Ok(()),
        }
    }
}
