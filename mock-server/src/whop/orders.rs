//! The orders of an account's lists, kept while the account is unchanged: a list asked for
//! again before the account's next write (the same query, its window and every bound relative
//! to now resolved to the same times) reads its rows and its count from here instead of
//! passing over every person again. Every entry the account applies drops them all; a clock
//! move changes the resolved query of a list whose window or bounds follow now, so such a list
//! is not found again (an explicit window, and an Era C query without a `*_within_days`
//! bound, do not depend on the clock at all).

use std::sync::{Arc, PoisonError, RwLock};

use super::current::PeopleQuery;
use super::query::ListQuery;

/// How many orders an account keeps at most.
const MAX_ORDERS: usize = 32;

/// How many rows the kept orders of an account may hold together.
const MAX_ROWS: usize = 4_000_000;

/// What makes a list's order: its resolved query without the page asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum OrderKey {
    /// Era A's offset pages of a window list (the query's `first` and `offset` set to 0).
    Offset(ListQuery),
    /// Era B's cursor walk of a window list: the fingerprint its cursors carry, and the query
    /// (`first` and `offset` set to 0).
    Window(u64, ListQuery),
    /// Era C's cursor walk: the fingerprint its cursors carry, and the query.
    Current(u64, Box<PeopleQuery>),
}

impl OrderKey {
    /// The key of Era A's `query`.
    pub fn offset(query: &ListQuery) -> Self {
        Self::Offset(unpaged(query))
    }

    /// The key of Era B's walk of `query` with cursor fingerprint `fingerprint`.
    pub fn window(fingerprint: u64, query: &ListQuery) -> Self {
        Self::Window(fingerprint, unpaged(query))
    }
}

/// `query` without its page.
fn unpaged(query: &ListQuery) -> ListQuery {
    ListQuery {
        first: 0,
        offset: 0,
        ..query.clone()
    }
}

/// A list's rows (person indices) from its start, in list order, and its count.
#[derive(Clone, Debug)]
pub struct Order {
    /// The first rows of the list: every one for a walk, at least those up to the end of
    /// the page that computed it for offset pages.
    pub rows: Arc<[u32]>,
    /// How many rows the whole list has.
    pub total: usize,
    /// The walk its cursors name (0 when none was kept).
    pub walk: u64,
}

impl Order {
    /// Whether it holds the rows up to `end` (or the whole list when it is shorter).
    fn reaches(&self, end: usize) -> bool {
        self.rows.len() >= end.min(self.total)
    }
}

/// An account's kept orders, oldest first.
#[derive(Debug, Default)]
pub struct Orders {
    kept: RwLock<Vec<(OrderKey, Order)>>,
}

impl Clone for Orders {
    /// A copy of an account starts with no kept order.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Orders {
    /// The kept order of `key` holding the rows up to `end` (`usize::MAX`: all of them).
    pub fn find(&self, key: &OrderKey, end: usize) -> Option<Order> {
        let kept = self.kept.read().unwrap_or_else(PoisonError::into_inner);
        kept.iter()
            .find(|(held, order)| held == key && order.reaches(end))
            .map(|(_, order)| order.clone())
    }

    /// Keeps `order` as `key`'s, in place of any other, dropping the oldest beyond the
    /// bounds.
    pub fn keep(&self, key: OrderKey, order: Order) {
        let mut kept = self.kept.write().unwrap_or_else(PoisonError::into_inner);
        kept.retain(|(held, _)| *held != key);
        kept.push((key, order));
        let mut rows: usize = kept.iter().map(|(_, order)| order.rows.len()).sum();
        while kept.len() > 1 && (kept.len() > MAX_ORDERS || rows > MAX_ROWS) {
            rows -= kept.remove(0).1.rows.len();
        }
    }

    /// Drops every kept order (the account changed).
    pub fn clear(&mut self) {
        self.kept
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
