//! The property-value index: property key → value text → the persons holding that value.
//! Exact `properties` filters and the property-values endpoint read it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

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
    pub persons: BTreeSet<PersonIndex>,
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

    /// Counts person `index` as holding `value`.
    fn add(&mut self, index: PersonIndex, value: &Prop) {
        if !self.persons.insert(index) {
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
        if !self.persons.remove(&index) {
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
            if bucket.persons.is_empty() {
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
                        (bucket.persons.clone(), spellings),
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
