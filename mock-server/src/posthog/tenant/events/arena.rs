//! Every distinct id's events in one flat arena: each id's events are one run of consecutive
//! slots, in time order, followed by some free slots, so a read is one slice of one vector
//! (no per-id allocation to chase).
//!
//! An event goes into its id's run when the run has a free slot. A full run moves to the end
//! of the arena with twice its length in slots (its old slots become garbage), so appends stay
//! amortised O(1). Once garbage reaches an eighth of the arena, the arena is rebuilt in the
//! order the index asks for (each person's distinct ids together, persons in index order, so
//! that reading the candidates of an insight in person order walks the arena forward), every
//! run keeping an eighth of its length free, the vector room for the moves until the next
//! rebuild (a third more slots), so that it never doubles in between.

use super::Indexed;

/// Garbage, as a fraction of the arena (1 / `GARBAGE_SHARE`), that makes it compact; also
/// the free share each run keeps when compacted.
const GARBAGE_SHARE: usize = 8;
/// Below this many slots the arena never compacts (moving small runs costs little); small
/// under test, so that the index's property tests compact.
const MIN_COMPACTED: usize = if cfg!(test) { 16 } else { 1 << 12 };

/// One distinct id's place in the arena: `len` events from `start`, `cap` slots reserved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Run {
    start: u32,
    len: u32,
    cap: u32,
}

/// The runs of every distinct id (by number) in one vector of slots.
#[derive(Clone, Debug, Default)]
pub struct Arena {
    slots: Vec<Indexed>,
    runs: Vec<Run>,
    /// Slots no run reserves any more (where moved runs were).
    garbage: usize,
}

/// A free slot's filler (never read: reads stop at a run's length).
const FREE: Indexed = Indexed {
    timestamp: 0,
    position: 0,
    name: 0,
};

impl Arena {
    /// Adds an empty run for the next distinct id.
    pub fn push_run(&mut self) {
        self.runs.push(Run::default());
    }

    /// How many distinct ids have a run.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Inserts `event` into the run of distinct id `id` in time order (then log position);
    /// returns whether the arena would now like to be compacted ([`Arena::compact`]).
    pub fn insert(&mut self, id: usize, event: Indexed) -> bool {
        let run = self.runs[id];
        if run.len == run.cap {
            self.relocate(id, (run.cap * 2).max(2));
        }
        let run = &mut self.runs[id];
        let start = run.start as usize;
        let end = start + run.len as usize;
        // Events mostly arrive in time order: the new one usually goes last.
        let at = end
            - self.slots[start..end]
                .iter()
                .rev()
                .take_while(|held| **held > event)
                .count();
        self.slots.copy_within(at..end, at + 1);
        self.slots[at] = event;
        run.len += 1;
        self.slots.len() >= MIN_COMPACTED && self.garbage * GARBAGE_SHARE >= self.slots.len()
    }

    /// Moves run `id` to the end of the arena with `cap` slots.
    fn relocate(&mut self, id: usize, cap: u32) {
        let run = self.runs[id];
        let from = run.start as usize;
        let start = self.slots.len();
        self.slots.extend_from_within(from..from + run.len as usize);
        self.slots.resize(start + cap as usize, FREE);
        self.garbage += run.cap as usize;
        self.runs[id] = Run {
            start: to_u32(start),
            len: run.len,
            cap,
        };
    }

    /// The events of distinct id `id`, in time order.
    pub fn run(&self, id: usize) -> &[Indexed] {
        self.runs.get(id).map_or(&[], |run| {
            let start = run.start as usize;
            &self.slots[start..start + run.len as usize]
        })
    }

    /// Rebuilds the arena with no garbage: the runs of `order` first, in that order, then
    /// those it leaves out, by number; each with an eighth of its length (at least one) free.
    pub fn compact(&mut self, order: impl IntoIterator<Item = usize>) {
        let live: usize = self.runs.iter().map(|run| run.len as usize).sum();
        let reserved = live + live / GARBAGE_SHARE + self.runs.len();
        // Moves double a run's slots and leave its old ones as garbage, so the arena grows
        // by at most twice the garbage, a third of its size, before the next rebuild.
        let mut slots = Vec::with_capacity(reserved + reserved / 3);
        let runs_count = self.runs.len();
        let mut placed = vec![false; runs_count];
        let mut runs = std::mem::take(&mut self.runs);
        let mut place = |id: usize, slots: &mut Vec<Indexed>| {
            if std::mem::replace(&mut placed[id], true) {
                return;
            }
            let run = runs[id];
            let start = slots.len();
            let from = run.start as usize;
            slots.extend_from_slice(&self.slots[from..from + run.len as usize]);
            let cap = run.len + (run.len / GARBAGE_SHARE as u32).max(1);
            slots.resize(start + cap as usize, FREE);
            runs[id] = Run {
                start: to_u32(start),
                len: run.len,
                cap,
            };
        };
        for id in order {
            place(id, &mut slots);
        }
        for id in 0..runs_count {
            place(id, &mut slots);
        }
        self.slots = slots;
        self.runs = runs;
        self.garbage = 0;
    }

    /// Whether no slot is reserved twice and every run is in time order. For tests.
    #[cfg(test)]
    pub fn well_formed(&self) -> bool {
        let mut reserved: Vec<(u32, u32)> = self
            .runs
            .iter()
            .map(|run| (run.start, run.start + run.cap))
            .filter(|(start, end)| start < end)
            .collect();
        reserved.sort_unstable();
        let disjoint = reserved.windows(2).all(|pair| pair[0].1 <= pair[1].0);
        let fits = reserved
            .last()
            .is_none_or(|(_, end)| *end as usize <= self.slots.len());
        let sorted = (0..self.runs.len()).all(|id| self.run(id).is_sorted());
        let free: usize = self.runs.iter().map(|run| run.cap as usize).sum();
        disjoint && fits && sorted && free + self.garbage == self.slots.len()
    }
}

fn to_u32(slot: usize) -> u32 {
    u32::try_from(slot).expect("fewer than 2^32 indexed events")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn event(timestamp: i64, position: u32) -> Indexed {
        Indexed {
            timestamp,
            position,
            name: 0,
        }
    }

    #[test]
    fn a_full_run_moves_to_the_end_with_twice_its_slots() {
        let mut arena = Arena::default();
        arena.push_run();
        arena.push_run();
        arena.insert(0, event(1, 0));
        arena.insert(1, event(1, 1));
        arena.insert(0, event(2, 2));
        assert_eq!(arena.runs[0].cap, 2);
        // The third event fills run 0 past its two slots: it moves behind run 1.
        arena.insert(0, event(0, 3));
        assert_eq!(arena.runs[0].cap, 4);
        assert!(arena.runs[0].start > arena.runs[1].start);
        assert_eq!(arena.garbage, 2);
        assert_eq!(arena.run(0), [event(0, 3), event(1, 0), event(2, 2)]);
        assert_eq!(arena.run(1), [event(1, 1)]);
        assert!(arena.well_formed());
    }

    #[test]
    fn compaction_lays_runs_out_in_the_asked_order_then_by_number() {
        let mut arena = Arena::default();
        for id in 0..4 {
            arena.push_run();
            for at in 0..=id {
                arena.insert(id, event(i64::try_from(at).unwrap(), 0));
            }
        }
        arena.compact([2, 0]);
        let starts: Vec<u32> = arena.runs.iter().map(|run| run.start).collect();
        assert!(starts[2] < starts[0] && starts[0] < starts[1] && starts[1] < starts[3]);
        assert_eq!(arena.garbage, 0);
        // Each run keeps an eighth of its length free, at least one slot.
        let caps: Vec<u32> = arena.runs.iter().map(|run| run.cap).collect();
        assert_eq!(caps, [2, 3, 4, 5]);
        assert!(arena.well_formed());
        // A run filling its free slots exactly stays in place; one more event moves it.
        let start = arena.runs[3].start;
        arena.insert(3, event(9, 0));
        assert_eq!(arena.runs[3].start, start);
        arena.insert(3, event(10, 0));
        assert_ne!(arena.runs[3].start, start);
        assert_eq!(arena.run(3).len(), 6);
        assert!(arena.well_formed());
    }

    #[test]
    fn insert_asks_for_compaction_once_garbage_is_an_eighth_of_a_large_arena() {
        let mut arena = Arena::default();
        arena.push_run();
        let mut asked = None;
        for at in 0..MIN_COMPACTED as i64 * 2 {
            if arena.insert(0, event(at, 0)) {
                asked = Some(arena.slots.len());
                break;
            }
        }
        // One run doubling leaves nearly half the slots garbage: the first insert that makes
        // the arena large enough says so.
        let slots = asked.expect("compaction asked for");
        assert!(slots >= MIN_COMPACTED);
        assert!(arena.garbage * GARBAGE_SHARE >= slots);
        arena.compact([]);
        assert_eq!(arena.garbage, 0);
        assert!(arena.well_formed());
    }

    proptest! {
        /// After any inserts (out of time order too) and compactions in any order, each run
        /// equals its id's events sorted, and no two runs share a slot.
        #[test]
        fn runs_equal_each_ids_sorted_events(
            operations in prop::collection::vec(
                prop_oneof![
                    20 => (0..6usize, -50..50i64).prop_map(|(id, at)| (Some(id), at)),
                    1 => Just((None, 0)),
                ],
                1..300,
            ),
            order in prop::collection::vec(0..6usize, 0..8),
        ) {
            let mut arena = Arena::default();
            let mut model: Vec<Vec<Indexed>> = Vec::new();
            for (position, (id, at)) in operations.into_iter().enumerate() {
                match id {
                    Some(id) => {
                        while arena.len() <= id {
                            arena.push_run();
                            model.push(Vec::new());
                        }
                        let indexed = event(at, u32::try_from(position).unwrap());
                        arena.insert(id, indexed);
                        model[id].push(indexed);
                        model[id].sort_unstable();
                    }
                    None => arena.compact(order.iter().copied().filter(|id| *id < model.len())),
                }
                prop_assert!(arena.well_formed());
                for (id, events) in model.iter().enumerate() {
                    prop_assert_eq!(arena.run(id), events.as_slice());
                }
            }
        }
    }
}
