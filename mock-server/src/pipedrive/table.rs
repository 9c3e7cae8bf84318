//! Compact collections for what a company holds per record: [`Table`], the records of one
//! kind by id (persons, deals, activities, notes, organizations, per-person links), and
//! [`SortedVec`], a small ordered set (a person's linked ids and counted activities).
//!
//! Ids are issued in increasing order, so records almost always arrive at the end. A
//! `BTreeMap` filled in increasing order leaves its nodes about half empty (each split keeps
//! half a node behind), which doubled the memory of a record; a table keeps its records in
//! id order in chunks of at most [`CHUNK`] records, appended to in place. A record given an
//! id below the last one (a seed's explicit ids) is inserted into its chunk, which may then
//! grow past [`CHUNK`]: chunks stay sorted and disjoint, so look-ups stay a binary search.

use std::ops::{Index, RangeFrom};

use super::model::Id;

/// How many records a chunk takes before appends start a new one (a power of two, so a full
/// chunk has no spare capacity).
const CHUNK: usize = 1024;

/// Records by id, in id order.
#[derive(Clone, Debug)]
pub struct Table<T> {
    chunks: Vec<Vec<(Id, T)>>,
    /// The first id of each chunk (what a look-up searches, without touching the chunks).
    firsts: Vec<Id>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            firsts: Vec::new(),
        }
    }
}

impl<T> Table<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// The chunk `id` belongs in: the last one starting at or below it (the first chunk for
    /// ids below every chunk); `None` when the table is empty. The last chunk, where new
    /// records go and the records just written are, is tried before a search.
    fn chunk_of(&self, id: Id) -> Option<usize> {
        let last = self.firsts.len().checked_sub(1)?;
        if self.firsts[last] <= id {
            return Some(last);
        }
        let after = self.firsts.partition_point(|first| *first <= id);
        Some(after.saturating_sub(1))
    }

    /// Where record `id` is (`Ok((chunk, at))`) or would be inserted (`Err`). Ids without
    /// gaps are found at their offset from the chunk's first id, without a search.
    fn find(&self, id: Id) -> Result<(usize, usize), Option<(usize, usize)>> {
        let chunk = self.chunk_of(id).ok_or(None)?;
        let records = &self.chunks[chunk];
        let offset = id
            .checked_sub(self.firsts[chunk])
            .and_then(|offset| usize::try_from(offset).ok());
        if let Some(at) = offset.filter(|at| records.get(*at).is_some_and(|(key, _)| *key == id)) {
            return Ok((chunk, at));
        }
        records
            .binary_search_by_key(&id, |(key, _)| *key)
            .map(|at| (chunk, at))
            .map_err(|at| Some((chunk, at)))
    }

    /// Record `id`.
    pub fn get(&self, id: &Id) -> Option<&T> {
        let (chunk, at) = self.find(*id).ok()?;
        Some(&self.chunks[chunk][at].1)
    }

    /// Record `id`, to change.
    pub fn get_mut(&mut self, id: &Id) -> Option<&mut T> {
        let (chunk, at) = self.find(*id).ok()?;
        Some(&mut self.chunks[chunk][at].1)
    }

    /// Whether record `id` exists.
    pub fn contains_key(&self, id: &Id) -> bool {
        self.find(*id).is_ok()
    }

    /// Puts `record` under `id`, answering the record it replaces.
    pub fn insert(&mut self, id: Id, record: T) -> Option<T> {
        match self.find(id) {
            Ok((chunk, at)) => Some(std::mem::replace(&mut self.chunks[chunk][at].1, record)),
            Err(place) => {
                self.insert_new(place, id, record);
                None
            }
        }
    }

    /// Record `id`, inserting `T::default()` when there is none.
    pub fn get_or_insert_default(&mut self, id: Id) -> &mut T
    where
        T: Default,
    {
        let (chunk, at) = match self.find(id) {
            Ok(found) => found,
            Err(place) => self.insert_new(place, id, T::default()),
        };
        &mut self.chunks[chunk][at].1
    }

    /// Puts `record` under `id`, which no record has, at `place` (what [`Table::find`]
    /// answered); answers where it went.
    fn insert_new(&mut self, place: Option<(usize, usize)>, id: Id, record: T) -> (usize, usize) {
        match place {
            Some((chunk, at)) if at < self.chunks[chunk].len() || chunk + 1 < self.chunks.len() => {
                self.chunks[chunk].insert(at, (id, record));
                self.firsts[chunk] = self.chunks[chunk][0].0;
                (chunk, at)
            }
            _ => match self.chunks.last_mut() {
                Some(last) if last.len() < CHUNK => {
                    last.push((id, record));
                    let at = last.len() - 1;
                    (self.chunks.len() - 1, at)
                }
                _ => {
                    self.chunks.push(vec![(id, record)]);
                    self.firsts.push(id);
                    (self.chunks.len() - 1, 0)
                }
            },
        }
    }

    /// Takes record `id` out.
    pub fn remove(&mut self, id: &Id) -> Option<T> {
        let (chunk, at) = self.find(*id).ok()?;
        let (_, record) = self.chunks[chunk].remove(at);
        match self.chunks[chunk].first() {
            Some((first, _)) => self.firsts[chunk] = *first,
            None => {
                self.chunks.remove(chunk);
                self.firsts.remove(chunk);
            }
        }
        Some(record)
    }

    /// Every `(id, record)`, in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Id, &T)> {
        self.chunks
            .iter()
            .flatten()
            .map(|(id, record)| (id, record))
    }

    /// The `(id, record)`s from the first id in `range` on, in id order.
    pub fn range(&self, range: RangeFrom<Id>) -> impl Iterator<Item = (&Id, &T)> {
        let chunk = self.chunk_of(range.start).unwrap_or(0);
        self.chunks
            .get(chunk..)
            .unwrap_or_default()
            .iter()
            .flatten()
            .skip_while(move |(id, _)| *id < range.start)
            .map(|(id, record)| (id, record))
    }

    /// Every id, in order.
    #[cfg(test)]
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Id> {
        self.iter().map(|(id, _)| id)
    }

    /// Every record, in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.iter().map(|(_, record)| record)
    }

    /// Every record, to change, in id order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten().map(|(_, record)| record)
    }
}

impl<T> Index<&Id> for Table<T> {
    type Output = T;

    /// Record `id`; panics when there is none, as a map's index does.
    fn index(&self, id: &Id) -> &T {
        self.get(id).expect("no record with this id")
    }
}

/// A small ordered set kept as a sorted vector of exactly its length: a handful of values per
/// person, where a `BTreeSet` would allocate a whole node for the first one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedVec<T>(Vec<T>);

impl<T> Default for SortedVec<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Ord> SortedVec<T> {
    /// Adds `value`; `false` when it was there already.
    pub fn insert(&mut self, value: T) -> bool {
        match self.0.binary_search(&value) {
            Ok(_) => false,
            Err(at) => {
                self.0.reserve_exact(1);
                self.0.insert(at, value);
                true
            }
        }
    }

    /// Takes `value` out; `false` when it was not there.
    pub fn remove(&mut self, value: &T) -> bool {
        match self.0.binary_search(value) {
            Ok(at) => {
                self.0.remove(at);
                self.0.shrink_to_fit();
                true
            }
            Err(_) => false,
        }
    }
}

impl<T> SortedVec<T> {
    /// The smallest value.
    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }

    /// The largest value.
    pub fn last(&self) -> Option<&T> {
        self.0.last()
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values, smallest first.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a SortedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(Id),
        Remove(Id),
        /// `get_or_insert_default`, then adding one to the record.
        Bump(Id),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1..3_000u64).prop_map(Op::Insert),
            1 => (1..3_000u64).prop_map(Op::Remove),
            1 => (1..3_000u64).prop_map(Op::Bump),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any mix of appends, inserts below the last id, replacements, removals and
        /// default-inserting updates reads like a `BTreeMap`.
        #[test]
        fn reads_like_a_btree_map(
            ops in prop::collection::vec(op(), 1..600),
            appended in 0..3_000usize,
            from in 0..3_100u64,
        ) {
            let mut table = Table::new();
            let mut map = BTreeMap::new();
            for id in 1..=appended as Id {
                prop_assert_eq!(table.insert(id, id), map.insert(id, id));
            }
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(id) => prop_assert_eq!(table.insert(id, n as Id), map.insert(id, n as Id)),
                    Op::Remove(id) => prop_assert_eq!(table.remove(&id), map.remove(&id)),
                    Op::Bump(id) => {
                        *table.get_or_insert_default(id) += 1;
                        *map.entry(id).or_default() += 1;
                    }
                }
            }
            prop_assert_eq!(table.len(), map.len());
            prop_assert!(table.iter().eq(map.iter()));
            prop_assert!(table.range(from..).eq(map.range(from..)));
            prop_assert!(table.keys().next_back() == map.keys().next_back());
            for id in 0..3_100 {
                prop_assert_eq!(table.get(&id), map.get(&id));
            }
        }
    }
}
