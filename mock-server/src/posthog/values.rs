//! The property-value index: property key → value text → the persons holding that value.
//! Exact `properties` filters and the property-values endpoint read it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

/// Index of a person in the store's slab.
pub type PersonIndex = usize;

/// Persons sharing one value text of one property.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueBucket {
    /// Each value as stored that has this text (`"1"` and `1`, say), with how many of the
    /// persons hold it.
    spellings: Vec<(Value, usize)>,
    /// The persons holding it.
    pub persons: BTreeSet<PersonIndex>,
}

impl ValueBucket {
    /// The value as most of the persons store it (the earliest spelling on a tie).
    pub fn value(&self) -> &Value {
        static NONE: Value = Value::Null;
        self.spellings
            .iter()
            .rev()
            .max_by_key(|(_, holders)| *holders)
            .map_or(&NONE, |(value, _)| value)
    }

    /// Counts person `index` as holding `value`.
    fn add(&mut self, index: PersonIndex, value: &Value) {
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
    fn remove(&mut self, index: PersonIndex, value: &Value) {
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
    keys: HashMap<String, HashMap<String, ValueBucket>>,
}

impl ValueIndex {
    /// The buckets of property `key`.
    pub fn of(&self, key: &str) -> Option<&HashMap<String, ValueBucket>> {
        self.keys.get(key)
    }

    /// Records that person `index` holds `value` under `key`.
    pub fn add(&mut self, index: PersonIndex, key: &str, value: &Value) {
        let buckets = match self.keys.get_mut(key) {
            Some(buckets) => buckets,
            None => self.keys.entry(key.to_owned()).or_default(),
        };
        let text = value_text(value);
        match buckets.get_mut(&*text) {
            Some(bucket) => bucket.add(index, value),
            None => buckets
                .entry(text.into_owned())
                .or_default()
                .add(index, value),
        }
    }

    /// Records that person `index` no longer holds `value` under `key`.
    pub fn remove(&mut self, index: PersonIndex, key: &str, value: &Value) {
        let Some(buckets) = self.keys.get_mut(key) else {
            return;
        };
        let text = value_text(value);
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
    pub fn add_all(&mut self, index: PersonIndex, properties: &Map<String, Value>) {
        for (key, value) in properties {
            self.add(index, key, value);
        }
    }

    /// Forgets every property of person `index`.
    pub fn remove_all(&mut self, index: PersonIndex, properties: &Map<String, Value>) {
        for (key, value) in properties {
            self.remove(index, key, value);
        }
    }

    /// Moves person `index` from holding `before` to holding `after`, touching only the
    /// keys whose values differ.
    pub fn replace(
        &mut self,
        index: PersonIndex,
        before: &Map<String, Value>,
        after: &Map<String, Value>,
    ) {
        for (key, value) in before {
            if after.get(key) != Some(value) {
                self.remove(index, key, value);
            }
        }
        for (key, value) in after {
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
                        .map(|(value, holders)| format!("{value}×{holders}"))
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
        let shown =
            |index: &ValueIndex| index.of("plan").map(|buckets| buckets["1"].value().clone());
        index.add(1, "plan", &json!("1"));
        index.add(2, "plan", &json!(1));
        index.add(3, "plan", &json!(1));
        assert_eq!(shown(&index), Some(json!(1)), "two persons hold the number");
        index.remove(2, "plan", &json!(1));
        assert_eq!(
            shown(&index),
            Some(json!("1")),
            "a tie shows the earliest spelling"
        );
        index.remove(1, "plan", &json!("1"));
        assert_eq!(
            shown(&index),
            Some(json!(1)),
            "the string's only holder left"
        );
        index.remove(3, "plan", &json!(1));
        assert_eq!(shown(&index), None, "nobody holds it");
    }
}
