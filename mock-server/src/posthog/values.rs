//! The property-value index: property key → value text → the persons holding that value.
//! Exact `properties` filters and the property-values endpoint read it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

use serde_json::Value;

use super::properties::{Prop, Properties};

/// Index of a person in the store's slab.
pub type PersonIndex = usize;

/// Persons sharing one value text of one property.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueBucket {
    /// Each value as stored that has this text (`"1"` and `1`, say), with how many of the
    /// persons hold it.
    spellings: Vec<(Prop, usize)>,
    /// The persons holding it.
    holders: Holders,
}

/// The persons holding one value text: inline when one person does (every value of a
/// property unique to each person, as an e-mail), else a bitmap (appending the newest
/// person, the usual case, is O(1)). Always the smallest form, so equal sets are equal.
#[derive(Clone, Debug, Default, PartialEq)]
enum Holders {
    #[default]
    Nobody,
    One(u32),
    Many(RoaringBitmap),
}

impl Holders {
    /// Adds `slot`; says whether it was not held yet.
    fn insert(&mut self, slot: u32) -> bool {
        match self {
            Holders::Nobody => *self = Holders::One(slot),
            Holders::One(held) if *held == slot => return false,
            Holders::One(held) => {
                let mut many = RoaringBitmap::new();
                many.insert(*held);
                many.insert(slot);
                *self = Holders::Many(many);
            }
            Holders::Many(many) => return many.push(slot) || many.insert(slot),
        }
        true
    }

    /// Removes `slot`; says whether it was held.
    fn remove(&mut self, slot: u32) -> bool {
        match self {
            Holders::One(held) if *held == slot => *self = Holders::Nobody,
            Holders::Many(many) => {
                if !many.remove(slot) {
                    return false;
                }
                if many.len() == 1
                    && let Some(last) = many.min()
                {
                    *self = Holders::One(last);
                }
            }
            _ => return false,
        }
        true
    }

    fn len(&self) -> usize {
        match self {
            Holders::Nobody => 0,
            Holders::One(_) => 1,
            Holders::Many(many) => usize::try_from(many.len()).unwrap_or(usize::MAX),
        }
    }

    fn iter(&self) -> HoldersIter<'_> {
        HoldersIter(match self {
            Holders::Nobody => Inner::One(None),
            Holders::One(held) => Inner::One(Some(*held)),
            Holders::Many(many) => Inner::Many(many.iter()),
        })
    }
}

/// The persons of a [`ValueBucket`], ascending, with their exact count (so collecting them
/// allocates once).
pub struct HoldersIter<'a>(Inner<'a>);

/// What [`HoldersIter`] walks.
enum Inner<'a> {
    One(Option<u32>),
    Many(roaring::bitmap::Iter<'a>),
}

impl Iterator for HoldersIter<'_> {
    type Item = PersonIndex;

    fn next(&mut self) -> Option<PersonIndex> {
        let slot = match &mut self.0 {
            Inner::One(held) => held.take(),
            Inner::Many(many) => many.next(),
        };
        slot.map(|slot| slot as PersonIndex)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            Inner::One(held) => {
                let count = usize::from(held.is_some());
                (count, Some(count))
            }
            Inner::Many(many) => many.size_hint(),
        }
    }
}

/// The person index as a bitmap entry. A project holds far fewer than 2³² persons (each
/// takes hundreds of bytes), so the conversion cannot fail in practice.
fn slot(index: PersonIndex) -> u32 {
    u32::try_from(index).expect("a project holds fewer than 2^32 persons")
}

impl ValueBucket {
    /// The value as most of the persons store it (the earliest spelling on a tie).
    pub fn value(&self) -> &Prop {
        static NONE: Prop = Prop::Null;
        self.spellings
            .iter()
            .rev()
            .max_by_key(|(_, holders)| *holders)
            .map_or(&NONE, |(value, _)| value)
    }

    /// The persons holding it, ascending.
    pub fn persons(&self) -> HoldersIter<'_> {
        self.holders.iter()
    }

    /// How many persons hold it.
    pub fn count(&self) -> usize {
        self.holders.len()
    }

    /// Counts person `index` as holding `value`.
    fn add(&mut self, index: PersonIndex, value: &Prop) {
        if !self.holders.insert(slot(index)) {
            return;
        }
        match self
            .spellings
            .iter_mut()
            .find(|(spelling, _)| spelling == value)
        {
            Some((_, holders)) => *holders += 1,
            None => self.spellings.push((value.clone(), 1)),
        }
    }

    /// Stops counting person `index`, who held `value`.
    fn remove(&mut self, index: PersonIndex, value: &Prop) {
        if !self.holders.remove(slot(index)) {
            return;
        }
        if let Some(position) = self
            .spellings
            .iter()
            .position(|(spelling, _)| spelling == value)
        {
            self.spellings[position].1 -= 1;
            if self.spellings[position].1 == 0 {
                self.spellings.remove(position);
            }
        }
    }
}

/// A property value as text: strings as they are, anything else as JSON.
pub fn value_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => Cow::Borrowed(text),
        other => Cow::Owned(other.to_string()),
    }
}

/// Property key → value text → persons.
#[derive(Clone, Debug, Default)]
pub struct ValueIndex {
    keys: FxHashMap<String, FxHashMap<String, ValueBucket>>,
}

impl ValueIndex {
    /// The buckets of property `key`.
    pub fn of(&self, key: &str) -> Option<&FxHashMap<String, ValueBucket>> {
        self.keys.get(key)
    }

    /// Records that person `index` holds `value` under `key`.
    pub fn add(&mut self, index: PersonIndex, key: &str, value: &Prop) {
        let buckets = match self.keys.get_mut(key) {
            Some(buckets) => buckets,
            None => self.keys.entry(key.to_owned()).or_default(),
        };
        let text = value.text();
        match buckets.get_mut(&*text) {
            Some(bucket) => bucket.add(index, value),
            None => buckets
                .entry(text.into_owned())
                .or_default()
                .add(index, value),
        }
    }

    /// Records that person `index` no longer holds `value` under `key`.
    pub fn remove(&mut self, index: PersonIndex, key: &str, value: &Prop) {
        let Some(buckets) = self.keys.get_mut(key) else {
            return;
        };
        let text = value.text();
        if let Some(bucket) = buckets.get_mut(&*text) {
            bucket.remove(index, value);
            if bucket.holders == Holders::Nobody {
                buckets.remove(&*text);
            }
        }
        if buckets.is_empty() {
            self.keys.remove(key);
        }
    }

    /// Records every property of person `index`.
    pub fn add_all(&mut self, index: PersonIndex, properties: &Properties) {
        for (key, value) in properties.iter() {
            self.add(index, key, value);
        }
    }

    /// Forgets every property of person `index`.
    pub fn remove_all(&mut self, index: PersonIndex, properties: &Properties) {
        for (key, value) in properties.iter() {
            self.remove(index, key, value);
        }
    }

    /// Moves person `index` from holding `before` to holding `after`, touching only the
    /// keys whose values differ.
    pub fn replace(&mut self, index: PersonIndex, before: &Properties, after: &Properties) {
        for (key, value) in before.iter() {
            if after.get(key) != Some(value) {
                self.remove(index, key, value);
            }
        }
        for (key, value) in after.iter() {
            if before.get(key) != Some(value) {
                self.add(index, key, value);
            }
        }
    }

    /// Every `(key, value text)` with its persons and spellings (sorted), for comparing with
    /// a rebuild.
    pub fn flattened(&self) -> BTreeMap<(String, String), (BTreeSet<PersonIndex>, Vec<String>)> {
        self.keys
            .iter()
            .flat_map(|(key, buckets)| {
                buckets.iter().map(move |(text, bucket)| {
                    let mut spellings: Vec<String> = bucket
                        .spellings
                        .iter()
                        .map(|(value, holders)| format!("{}×{holders}", value.to_value()))
                        .collect();
                    spellings.sort_unstable();
                    (
                        (key.clone(), text.clone()),
                        (bucket.persons().collect(), spellings),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    proptest::proptest! {
        /// Holders behave as a set of persons, and equal sets are equal however they came
        /// about (as the index's check compares them).
        #[test]
        fn holders_are_a_set(operations in proptest::collection::vec((proptest::bool::ANY, 0u32..6), 0..40)) {
            let (mut holders, mut model) = (Holders::default(), BTreeSet::new());
            for (add, slot) in operations {
                let changed = if add { holders.insert(slot) } else { holders.remove(slot) };
                let expected = if add { model.insert(slot) } else { model.remove(&slot) };
                proptest::prop_assert_eq!(changed, expected);
                let held: Vec<PersonIndex> = holders.iter().collect();
                let listed: Vec<PersonIndex> = model.iter().map(|slot| *slot as PersonIndex).collect();
                proptest::prop_assert_eq!(&held, &listed);
                proptest::prop_assert_eq!(holders.len(), model.len());
                let mut fresh = Holders::default();
                model.iter().for_each(|slot| { fresh.insert(*slot); });
                proptest::prop_assert_eq!(&holders, &fresh);
            }
        }
    }

    #[test]
    fn the_shown_value_is_the_spelling_most_holders_still_hold() {
        let mut index = ValueIndex::default();
        let shown = |index: &ValueIndex| {
            index
                .of("plan")
                .map(|buckets| buckets["1"].value().to_value())
        };
        let (text, number) = (Prop::from(json!("1")), Prop::from(json!(1)));
        index.add(1, "plan", &text);
        index.add(2, "plan", &number);
        index.add(3, "plan", &number);
        assert_eq!(shown(&index), Some(json!(1)), "two persons hold the number");
        index.remove(2, "plan", &number);
        assert_eq!(
            shown(&index),
            Some(json!("1")),
            "a tie shows the earliest spelling"
        );
        index.remove(1, "plan", &text);
        assert_eq!(
            shown(&index),
            Some(json!(1)),
            "the string's only holder left"
        );
        index.remove(3, "plan", &number);
        assert_eq!(shown(&index), None, "nobody holds it");
    }
}
