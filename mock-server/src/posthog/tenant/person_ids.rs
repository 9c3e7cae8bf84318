//! Where a project's numeric person ids come from: the deployment-wide sequence (PostHog
//! numbers persons across all projects), or, while a seed is replayed, the ids the seed lists;
//! and every id the project has drawn, as ranges, so an export can name them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A project's source of numeric person ids and the record of those it drew.
#[derive(Clone, Debug)]
pub struct PersonIds {
    /// The deployment's sequence: the next id to hand out.
    shared: Arc<AtomicI64>,
    /// Ranges (first, last) to hand out before the shared sequence, during a seed replay.
    planned: VecDeque<(i64, i64)>,
    /// Every id drawn so far, in draw order, as ranges of consecutive ids (first, last).
    drawn: Vec<(i64, i64)>,
}

impl PersonIds {
    /// Ids drawn from `shared`.
    pub fn new(shared: Arc<AtomicI64>) -> Self {
        Self {
            shared,
            planned: VecDeque::new(),
            drawn: Vec::new(),
        }
    }

    /// The next id: the first planned one if any, else the shared sequence's next.
    pub fn draw(&mut self) -> i64 {
        let id = match self.planned.front_mut() {
            Some(range) => {
                let id = range.0;
                if range.0 >= range.1 {
                    self.planned.pop_front();
                } else {
                    range.0 += 1;
                }
                id
            }
            None => self.shared.fetch_add(1, Ordering::Relaxed),
        };
        match self.drawn.last_mut() {
            Some(last) if last.1.checked_add(1) == Some(id) => last.1 = id,
            _ => self.drawn.push((id, id)),
        }
        id
    }

    /// Every id drawn so far, in draw order, as ranges (first, last) of consecutive ids.
    pub fn drawn(&self) -> &[(i64, i64)] {
        &self.drawn
    }

    /// Hands out the ids of `ranges` (each first ≤ last), in order, before the shared sequence.
    pub fn plan(&mut self, ranges: impl IntoIterator<Item = (i64, i64)>) {
        self.planned.extend(ranges);
    }

    /// Forgets the planned ids not drawn yet.
    pub fn end_plan(&mut self) {
        self.planned.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_planned_ids_first_and_records_runs() {
        let shared = Arc::new(AtomicI64::new(10));
        let mut ids = PersonIds::new(Arc::clone(&shared));
        ids.plan([(3, 4), (7, 7)]);
        let drawn: Vec<i64> = (0..5).map(|_| ids.draw()).collect();
        assert_eq!(drawn, vec![3, 4, 7, 10, 11]);
        assert_eq!(ids.drawn(), &[(3, 4), (7, 7), (10, 11)]);
        assert_eq!(shared.load(Ordering::Relaxed), 12);
        ids.plan([(20, 30)]);
        ids.end_plan();
        assert_eq!(ids.draw(), 12, "an ended plan hands out nothing more");
    }
}
