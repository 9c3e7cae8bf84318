//! The property-value index: property key → value text → the persons holding that value.
//! Exact `properties` filters and the property-values endpoint read it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

/// Index of a person in the store's slab.
pub type PersonIndex = usize;

/// Persons sharing one value of one property, with that value as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueBucket {
    /// The value as stored (the first person's, when several spell it the same text).
    pub value: Value,
    /// The persons holding it.
    pub persons: BTreeSet<PersonIndex>,
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
            Some(bucket) => bucket.persons.insert(index),
            None => buckets
                .entry(text.into_owned())
                .or_insert_with(|| ValueBucket {
                    value: value.clone(),
                    persons: BTreeSet::new(),
                })
                .persons
                .insert(index),
        };
    }

    /// Records that person `index` no longer holds `value` under `key`.
    pub fn remove(&mut self, index: PersonIndex, key: &str, value: &Value) {
        let Some(buckets) = self.keys.get_mut(key) else {
            return;
        };
        let text = value_text(value);
        if let Some(bucket) = buckets.get_mut(&*text) {
            bucket.persons.remove(&index);
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

    /// Every `(key, value text)` with its persons, for comparing with a rebuild.
    pub fn flattened(&self) -> BTreeMap<(String, String), BTreeSet<PersonIndex>> {
        self.keys
            .iter()
            .flat_map(|(key, buckets)| {
                buckets.iter().map(move |(text, bucket)| {
                    ((key.clone(), text.clone()), bucket.persons.clone())
                })
            })
            .collect()
    }
}
