//! Cursor pages (`first`, `after`, `before`, `page_info`) over a sorted list, for every
//! contract after Era A.
//!
//! The first page of a list sorts every match once (O(n log n)) and keeps the order as a
//! *walk*: later pages of the same walk are slices of it (O(page)), so a full walk costs
//! O(n log n) in all, and a person appears once across its pages however events arrive
//! meanwhile (each page shows the people's current values). [`Walks`] keeps the most recent
//! walks up to a bound on their rows; a cursor whose walk was dropped sorts again and goes on
//! after the row the cursor names. A cursor is opaque text: the walk, the row's position, the
//! row's id and a fingerprint of the query, so a cursor of another list is a 400.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::api::{integer_param, param};
use super::error::WhopError;
use crate::http::ApiRequest;

/// `first` when omitted, and its largest value.
pub const MAX_FIRST: usize = 100;

/// How many rows the kept walks may hold together.
const MAX_WALK_ROWS: usize = 4_000_000;

/// What a list request asks of its page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Page size.
    pub first: usize,
    /// The page after this cursor, or before it.
    pub cursor: Option<(Direction, Cursor)>,
}

/// Which way a cursor points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `after`: the rows following it.
    After,
    /// `before`: the rows preceding it.
    Before,
}

impl PageRequest {
    /// Reads `first`, `after` and `before`.
    pub fn parse(request: &ApiRequest) -> Result<Self, WhopError> {
        let first = integer_param(request, "first")?.unwrap_or(MAX_FIRST as i64);
        if !(1..=MAX_FIRST as i64).contains(&first) {
            return Err(WhopError::invalid_param(
                "first",
                format!("`first` must be between 1 and {MAX_FIRST}, got {first}."),
            ));
        }
        let cursor = match (param(request, "after"), param(request, "before")) {
            (Some(_), Some(_)) => {
                return Err(WhopError::invalid_param(
                    "before",
                    "Pass either `after` or `before`, not both.",
                ));
            }
            (Some(after), None) => Some((Direction::After, Cursor::decode("after", after)?)),
            (None, Some(before)) => Some((Direction::Before, Cursor::decode("before", before)?)),
            (None, None) => None,
        };
        Ok(Self {
            first: first as usize,
            cursor,
        })
    }

    /// The query parameter its cursor came in.
    fn cursor_param(&self) -> &'static str {
        match self.cursor {
            Some((Direction::Before, _)) => "before",
            _ => "after",
        }
    }
}

/// A position in one walk of one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    walk: u64,
    position: usize,
    fingerprint: u64,
    row: String,
}

impl Cursor {
    fn encode(&self) -> String {
        let text = format!(
            "{:x}:{:x}:{:x}:{}",
            self.walk, self.position, self.fingerprint, self.row
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    fn decode(name: &str, text: &str) -> Result<Self, WhopError> {
        let invalid = || WhopError::invalid_param(name, format!("`{name}` is not a valid cursor."));
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(4, ':');
        let mut hex = || {
            parts
                .next()
                .and_then(|part| u64::from_str_radix(part, 16).ok())
        };
        let (Some(walk), Some(position), Some(fingerprint)) = (hex(), hex(), hex()) else {
            return Err(invalid());
        };
        let row = parts
            .next()
            .filter(|row| !row.is_empty())
            .ok_or_else(invalid)?;
        Ok(Self {
            walk,
            position: usize::try_from(position).map_err(|_| invalid())?,
            fingerprint,
            row: row.to_owned(),
        })
    }
}

/// The fingerprint of a list query: what its cursors must match.
pub fn fingerprint(parts: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// One kept order of a list's rows.
#[derive(Debug)]
struct Walk {
    id: u64,
    tenant: String,
    fingerprint: u64,
    rows: Arc<[u32]>,
}

/// The walks kept for later pages, newest last.
#[derive(Debug, Default)]
pub struct Walks {
    last_id: u64,
    kept: VecDeque<Walk>,
    rows: usize,
}

/// Whop's `page_info`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PageInfo {
    /// The cursor of the page's last row.
    pub end_cursor: Option<String>,
    /// The cursor of the page's first row.
    pub start_cursor: Option<String>,
    /// Whether rows follow the page.
    pub has_next_page: bool,
    /// Whether rows precede the page.
    pub has_previous_page: bool,
}

/// A page of a walk: the rows to show and its `page_info`.
#[derive(Debug)]
pub struct WalkPage {
    /// The rows of the page, in order.
    pub rows: Vec<u32>,
    /// Where the page lies.
    pub info: PageInfo,
    /// How many rows the whole list has.
    pub total: usize,
    /// The walk the page's cursors name (0 when none was kept).
    pub walk: u64,
    /// The walk's order: every row of the list.
    pub order: Arc<[u32]>,
}

/// How a list's rows are found again: the rows in order, and the id a cursor names a row by.
pub trait Rows {
    /// Every row of the list, sorted.
    fn sorted(&self) -> Vec<u32>;
    /// The id a cursor names `row` by.
    fn id(&self, row: u32) -> &str;
}

impl Walks {
    /// The page `page` asks for of the list `rows` of `tenant` whose query has `fingerprint`.
    pub fn page(
        &mut self,
        tenant: &str,
        fingerprint: u64,
        page: &PageRequest,
        rows: &impl Rows,
    ) -> Result<WalkPage, WhopError> {
        let (walk, order, start, end) = match &page.cursor {
            None => {
                let order: Arc<[u32]> = rows.sorted().into();
                let walk = if order.len() > page.first {
                    self.keep(tenant, fingerprint, Arc::clone(&order))
                } else {
                    0
                };
                return Ok(first_page(walk, fingerprint, order, page.first, rows));
            }
            Some((direction, cursor)) => {
                let invalid = || {
                    let name = page.cursor_param();
                    WhopError::invalid_param(
                        name,
                        format!("`{name}` is not a cursor of this list."),
                    )
                };
                if cursor.fingerprint != fingerprint {
                    return Err(invalid());
                }
                let (walk, order, position) = match self.find(tenant, fingerprint, cursor.walk) {
                    Some(order) => {
                        let named = order
                            .get(cursor.position)
                            .is_some_and(|&row| rows.id(row) == cursor.row);
                        if !named {
                            return Err(invalid());
                        }
                        (cursor.walk, order, cursor.position)
                    }
                    None => {
                        let order: Arc<[u32]> = rows.sorted().into();
                        let position = order
                            .iter()
                            .position(|&row| rows.id(row) == cursor.row)
                            .unwrap_or(cursor.position.min(order.len()));
                        let walk = self.keep(tenant, fingerprint, Arc::clone(&order));
                        (walk, order, position)
                    }
                };
                let (start, end) = match direction {
                    Direction::After => {
                        let start = (position + 1).min(order.len());
                        (start, (start + page.first).min(order.len()))
                    }
                    Direction::Before => {
                        let end = position.min(order.len());
                        (end.saturating_sub(page.first), end)
                    }
                };
                (walk, order, start, end)
            }
        };
        Ok(slice(walk, fingerprint, order, start..end, rows))
    }

    /// Keeps `order` as a new walk, dropping the oldest beyond the bound; its id.
    fn keep(&mut self, tenant: &str, fingerprint: u64, order: Arc<[u32]>) -> u64 {
        self.last_id += 1;
        self.rows += order.len();
        self.kept.push_back(Walk {
            id: self.last_id,
            tenant: tenant.to_owned(),
            fingerprint,
            rows: order,
        });
        while self.rows > MAX_WALK_ROWS && self.kept.len() > 1 {
            if let Some(dropped) = self.kept.pop_front() {
                self.rows -= dropped.rows.len();
            }
        }
        self.last_id
    }

    fn find(&self, tenant: &str, fingerprint: u64, id: u64) -> Option<Arc<[u32]>> {
        self.kept
            .iter()
            .find(|walk| walk.id == id && walk.tenant == tenant && walk.fingerprint == fingerprint)
            .map(|walk| Arc::clone(&walk.rows))
    }
}

/// The first page of `first` rows of walk `walk`, whose order is `order`, of the list with
/// `fingerprint` (a walk kept since the account's last write starts its pages again here).
pub fn first_page(
    walk: u64,
    fingerprint: u64,
    order: Arc<[u32]>,
    first: usize,
    rows: &impl Rows,
) -> WalkPage {
    let end = order.len().min(first);
    slice(walk, fingerprint, order, 0..end, rows)
}

/// The page of `order` (walk `walk`, of the list with `fingerprint`) at `positions`.
fn slice(
    walk: u64,
    fingerprint: u64,
    order: Arc<[u32]>,
    positions: Range<usize>,
    rows: &impl Rows,
) -> WalkPage {
    let Range { start, end } = positions;
    let cursor_at = |position: usize| {
        Cursor {
            walk,
            position,
            fingerprint,
            row: rows.id(order[position]).to_owned(),
        }
        .encode()
    };
    let info = PageInfo {
        end_cursor: (end > start).then(|| cursor_at(end - 1)),
        start_cursor: (end > start).then(|| cursor_at(start)),
        has_next_page: end < order.len(),
        has_previous_page: start > 0,
    };
    WalkPage {
        rows: order[start..end].to_vec(),
        info,
        total: order.len(),
        walk,
        order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Letters(Vec<String>);

    impl Rows for Letters {
        fn sorted(&self) -> Vec<u32> {
            (0..self.0.len() as u32).collect()
        }
        fn id(&self, row: u32) -> &str {
            &self.0[row as usize]
        }
    }

    fn letters(n: usize) -> Letters {
        Letters((0..n).map(|i| format!("p{i}")).collect())
    }

    fn request(query: &str) -> PageRequest {
        PageRequest::parse(&ApiRequest::new("GET", &format!("/x?{query}"))).unwrap()
    }

    #[test]
    fn walks_forward_and_back_once_each() {
        let list = letters(7);
        let mut walks = Walks::default();
        let mut seen = Vec::new();
        let mut page = walks.page("biz", 1, &request("first=3"), &list).unwrap();
        assert!(!page.info.has_previous_page);
        seen.extend(page.rows.clone());
        while page.info.has_next_page {
            let after = page.info.end_cursor.clone().unwrap();
            page = walks
                .page("biz", 1, &request(&format!("first=3&after={after}")), &list)
                .unwrap();
            seen.extend(page.rows.clone());
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        let before = page.info.start_cursor.unwrap();
        let back = walks
            .page(
                "biz",
                1,
                &request(&format!("first=3&before={before}")),
                &list,
            )
            .unwrap();
        assert_eq!(back.rows, [3, 4, 5]);
        assert!(back.info.has_previous_page && back.info.has_next_page);
    }

    /// A list whose order is `order` (row numbers; row `n`'s id is `p{n}`).
    struct Shuffled {
        order: Vec<u32>,
        ids: Vec<String>,
    }

    impl Rows for Shuffled {
        fn sorted(&self) -> Vec<u32> {
            self.order.clone()
        }
        fn id(&self, row: u32) -> &str {
            &self.ids[row as usize]
        }
    }

    proptest::proptest! {
        #[test]
        fn a_kept_walk_lists_each_row_once_however_the_list_changes(
            len in 1usize..60,
            first in 1usize..12,
            moves in proptest::collection::vec((0usize..80, 0usize..80), 0..40),
        ) {
            let mut list = Shuffled {
                order: (0..len as u32).collect(),
                ids: (0..len + moves.len()).map(|i| format!("p{i}")).collect(),
            };
            let mut walks = Walks::default();
            let mut page = walks.page("biz", 7, &request(&format!("first={first}")), &list).unwrap();
            let mut seen = page.rows.clone();
            let mut moves = moves.into_iter();
            while page.info.has_next_page {
                // Between pages, a row moves to another place and a new row arrives.
                if let Some((from, to)) = moves.next() {
                    let row = list.order.remove(from % list.order.len());
                    list.order.insert(to % (list.order.len() + 1), row);
                    let new = list.order.len() as u32;
                    list.order.insert(to % (list.order.len() + 1), new);
                }
                let after = page.info.end_cursor.clone().unwrap();
                page = walks
                    .page("biz", 7, &request(&format!("first={first}&after={after}")), &list)
                    .unwrap();
                seen.extend(page.rows.iter().copied());
            }
            let mut sorted = seen.clone();
            sorted.sort_unstable();
            proptest::prop_assert_eq!(sorted, (0..len as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_dropped_walk_goes_on_after_the_named_row() {
        let list = letters(5);
        let mut walks = Walks::default();
        let first = walks.page("biz", 1, &request("first=2"), &list).unwrap();
        let after = first.info.end_cursor.unwrap();
        let mut fresh = Walks::default();
        let next = fresh
            .page("biz", 1, &request(&format!("first=2&after={after}")), &list)
            .unwrap();
        assert_eq!(next.rows, [2, 3]);
    }

    #[test]
    fn foreign_and_garbled_cursors_are_400s() {
        let list = letters(5);
        let mut walks = Walks::default();
        let after = walks
            .page("biz", 1, &request("first=2"), &list)
            .unwrap()
            .info
            .end_cursor
            .unwrap();
        let error = walks
            .page("biz", 2, &request(&format!("after={after}")), &list)
            .unwrap_err();
        assert_eq!((error.status, error.param.as_deref()), (400, Some("after")));
        let garbled = PageRequest::parse(&ApiRequest::new("GET", "/x?before=%%%")).unwrap_err();
        assert_eq!(garbled.param.as_deref(), Some("before"));
        let too_many = PageRequest::parse(&ApiRequest::new("GET", "/x?first=101")).unwrap_err();
        assert_eq!(too_many.param.as_deref(), Some("first"));
    }
}
