//! An event's properties as a project keeps them: [`Properties`], one boxed slice of
//! (key, [`Prop`]) pairs sorted by key, whose texts are [`SharedStr`]s the project shares through
//! its [`Interner`] (a key or a string value repeated by a million events is stored once).
//! A property costs 24 bytes where a `serde_json::Map` spends a 632-byte B-tree leaf on the
//! first one and a heap string on every key and value.
//!
//! It reads and writes as the JSON object it stands for (keys in the same order as a
//! `serde_json::Map`'s), so the log entries of seeds, exports and the data directory are
//! unchanged. Readers look a key up ([`Properties::get`]) or walk the pairs
//! ([`Properties::iter`]) and get a borrowed [`Prop`]: its text, flag or nested object as
//! they are, or [`Prop::to_value`] where a `serde_json::Value` is needed.

use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashSet;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

use super::log::SharedStr;

/// One property value: scalars inline, texts shared, objects compact, arrays as
/// `serde_json` holds them (they are rare: `$unset`, lists of flags). 16 bytes.
#[derive(Clone, PartialEq)]
pub enum Prop {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer (`serde_json`'s `PosInt`).
    PosInt(u64),
    /// A negative integer (`serde_json`'s `NegInt`).
    NegInt(i64),
    /// Any other number (`serde_json`'s `Float`; never NaN or infinite).
    Float(f64),
    /// A string.
    Str(SharedStr),
    /// An array.
    #[allow(
        clippy::box_collection,
        reason = "a thin pointer keeps every value at 16 bytes; arrays are rare"
    )]
    Array(Box<Vec<Value>>),
    /// An object (`$set`, `$set_once`, `$groups`, …).
    Object(Box<Properties>),
}

impl Prop {
    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Prop::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The flag of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Prop::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The properties of an object.
    pub fn as_object(&self) -> Option<&Properties> {
        match self {
            Prop::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Prop::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value as text: a string as it is, anything else as JSON.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Prop::Str(text) => Cow::Borrowed(text),
            other => Cow::Owned(other.to_value().to_string()),
        }
    }

    /// The number as a float, for a number (as `serde_json`'s `as_f64`).
    pub fn as_f64(&self) -> Option<f64> {
        self.number().and_then(|number| number.as_f64())
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Prop::Null)
    }

    /// The number, for a number.
    fn number(&self) -> Option<Number> {
        match self {
            Prop::PosInt(n) => Some(Number::from(*n)),
            Prop::NegInt(n) => Some(Number::from(*n)),
            Prop::Float(n) => Number::from_f64(*n),
            _ => None,
        }
    }

    /// The value as `serde_json` holds it (a copy).
    pub fn to_value(&self) -> Value {
        match self {
            Prop::Null => Value::Null,
            Prop::Bool(flag) => Value::Bool(*flag),
            Prop::Str(text) => Value::String(text.to_string()),
            Prop::Array(items) => Value::Array(items.to_vec()),
            Prop::Object(object) => Value::Object(object.to_map()),
            number => number.number().map_or(Value::Null, Value::Number),
        }
    }

    /// Shares its texts through `interner`.
    pub(crate) fn intern(&mut self, interner: &mut Interner) {
        match self {
            Prop::Str(text) => interner.share(text),
            Prop::Object(object) => object.intern(interner),
            _ => {}
        }
    }

    /// Replaces every NUL character of its strings, at any depth, with U+FFFD; says whether
    /// a text it holds as [`SharedStr`] changed (the arrays' strings are `serde_json`'s).
    fn replace_nul(&mut self) -> bool {
        match self {
            Prop::Str(text) if text.contains('\0') => {
                *text = SharedStr::from(text.replace('\0', "\u{FFFD}"));
                true
            }
            Prop::Array(items) => {
                items.iter_mut().for_each(super::updates::replace_nul_in);
                false
            }
            Prop::Object(object) => object.replace_nul(),
            _ => false,
        }
    }
}

impl From<Value> for Prop {
    fn from(value: Value) -> Self {
        Prop::build(value)
    }
}

impl Prop {
    /// `value` as a property.
    fn build(value: Value) -> Self {
        match value {
            Value::Null => Prop::Null,
            Value::Bool(flag) => Prop::Bool(flag),
            Value::Number(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
                (Some(n), _, _) => Prop::PosInt(n),
                (None, Some(n), _) => Prop::NegInt(n),
                (None, None, Some(n)) => Prop::Float(n),
                (None, None, None) => Prop::Null,
            },
            Value::String(string) => Prop::Str(SharedStr::from(string)),
            Value::Array(items) => Prop::Array(Box::new(items)),
            Value::Object(object) => {
                Prop::Object(Box::new(Properties::build(object.into_iter().collect())))
            }
        }
    }
}

impl PartialEq<Value> for Prop {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Prop::Null, Value::Null) => true,
            (Prop::Bool(left), Value::Bool(right)) => left == right,
            (Prop::Str(left), Value::String(right)) => **left == **right,
            (Prop::Array(left), Value::Array(right)) => **left == *right,
            (Prop::Object(left), Value::Object(right)) => {
                left.len() == right.len()
                    && left
                        .iter()
                        .zip(right)
                        .all(|((lk, lv), (rk, rv))| lk == rk && lv == rv)
            }
            (number, Value::Number(right)) => number.number().as_ref() == Some(right),
            _ => false,
        }
    }
}

impl fmt::Debug for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prop::Object(object) => fmt::Debug::fmt(object, f),
            other => fmt::Debug::fmt(&other.to_value(), f),
        }
    }
}

impl Serialize for Prop {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Prop::Null => serializer.serialize_unit(),
            Prop::Bool(flag) => serializer.serialize_bool(*flag),
            Prop::PosInt(n) => serializer.serialize_u64(*n),
            Prop::NegInt(n) => serializer.serialize_i64(*n),
            Prop::Float(n) => serializer.serialize_f64(*n),
            Prop::Str(text) => serializer.serialize_str(text),
            Prop::Array(items) => items.serialize(serializer),
            Prop::Object(object) => object.serialize(serializer),
        }
    }
}

/// The properties of an event (or an object among them): (key, value) pairs sorted by key,
/// each key once.
#[derive(Clone, Default, PartialEq)]
pub struct Properties(Box<[(SharedStr, Prop)]>);

impl Properties {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Prop> {
        self.position(key).ok().map(|at| &self.0[at].1)
    }

    /// The value of `key` as `serde_json` holds it (a copy).
    pub fn value(&self, key: &str) -> Option<Value> {
        self.get(key).map(Prop::to_value)
    }

    /// The pairs, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Prop)> {
        self.0.iter().map(|(key, value)| (&**key, value))
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The properties as a `serde_json` map (a copy).
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(key, value)| (key.to_owned(), value.to_value()))
            .collect()
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: SharedStr, value: Prop) -> Option<Prop> {
        match self.position(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.insert_at(at, key, value);
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Prop> {
        let at = self.position(key).ok()?;
        let mut pairs = std::mem::take(&mut self.0).into_vec();
        let (_, value) = pairs.remove(at);
        self.0 = pairs.into_boxed_slice();
        Some(value)
    }

    /// The value of `key`, inserting `make()` first if it has none.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Prop) -> &mut Prop {
        let at = match self.position(key) {
            Ok(at) => at,
            Err(at) => {
                self.insert_at(at, key.into(), make());
                at
            }
        };
        &mut self.0[at].1
    }

    /// Where `key` is, or would go.
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(held, _)| (**held).cmp(key))
    }

    /// Puts a new pair at `at`, where its key sorts.
    fn insert_at(&mut self, at: usize, key: SharedStr, value: Prop) {
        let mut pairs = std::mem::take(&mut self.0).into_vec();
        pairs.insert(at, (key, value));
        self.0 = pairs.into_boxed_slice();
    }

    /// Shares every key and string, at any depth, with the texts `interner` already holds.
    pub(crate) fn intern(&mut self, interner: &mut Interner) {
        for (key, value) in &mut self.0 {
            interner.share(key);
            value.intern(interner);
        }
    }

    /// The properties of `pairs` (a key's last value counts).
    pub(crate) fn build(mut pairs: Vec<(String, Value)>) -> Self {
        pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
        let mut built: Vec<(SharedStr, Prop)> = Vec::with_capacity(pairs.len());
        let mut pairs = pairs.into_iter().peekable();
        while let Some((key, value)) = pairs.next() {
            if pairs.peek().is_some_and(|(next, _)| *next == key) {
                continue;
            }
            built.push((SharedStr::from(key), Prop::build(value)));
        }
        Self(built.into_boxed_slice())
    }

    /// The properties of `pairs`, in the order they were added (a key's last value counts).
    pub(crate) fn from_added(mut pairs: Vec<(SharedStr, Prop)>) -> Self {
        pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
        pairs.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Self(pairs.into_boxed_slice())
    }

    /// The properties of `pairs`, already sorted by key, each key once.
    pub(crate) fn from_sorted(pairs: Vec<(SharedStr, Prop)>) -> Self {
        debug_assert!(
            pairs.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "sorted, each key once"
        );
        Self(pairs.into_boxed_slice())
    }

    /// Replaces every NUL character in the string values, at any depth, with U+FFFD, as
    /// ingestion's `sanitizeJsonbValue` does before Postgres stores them; says whether a
    /// shared text changed (and so is no longer the interned copy).
    pub(crate) fn replace_nul(&mut self) -> bool {
        self.0
            .iter_mut()
            .fold(false, |changed, (_, value)| value.replace_nul() | changed)
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Self {
        Self::build(map.into_iter().collect())
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(deserializer).map(Self::from)
    }
}

/// The texts of a project's properties, each once.
#[derive(Clone, Debug, Default)]
pub struct Interner(FxHashSet<SharedStr>);

impl Interner {
    /// The shared copy of `text`, made when new.
    pub fn text(&mut self, text: &str) -> SharedStr {
        match self.0.get(text) {
            Some(shared) => shared.clone(),
            None => {
                let shared = SharedStr::from(text);
                self.0.insert(shared.clone());
                shared
            }
        }
    }

    /// Points `text` at the copy the interner holds, keeping it when it is new.
    fn share(&mut self, text: &mut SharedStr) {
        // Looked up as a `SharedStr`, so that the copy held already compares by pointer.
        match self.0.get(&*text) {
            Some(shared) if shared.same(text) => {}
            Some(shared) => *text = shared.clone(),
            None => {
                self.0.insert(text.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn properties(value: Value) -> Properties {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_property_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Prop>(), 16);
        assert_eq!(std::mem::size_of::<(SharedStr, Prop)>(), 24);
        assert_eq!(std::mem::size_of::<Properties>(), 16);
    }

    #[test]
    fn reads_and_writes_as_the_map_it_stands_for() {
        let value = json!({
            "z": null, "a": true, "big": u64::MAX, "neg": -3, "float": 1.5, "whole": 2.0,
            "text": "t", "list": [1, "x", {"k": []}], "$set": {"b": 1, "a": {"deep": "d"}},
            "": "empty key", "é": "unicode"
        });
        let held = properties(value.clone());
        assert_eq!(serde_json::to_value(&held).unwrap(), value);
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            serde_json::to_string(&value).unwrap(),
            "the same bytes, in the same key order"
        );
        assert_eq!(
            serde_norway::to_string(&held).unwrap(),
            serde_norway::to_string(&value).unwrap()
        );
        assert_eq!(Value::Object(held.to_map()), value);
        for (key, expected) in value.as_object().unwrap() {
            let got = held.get(key).unwrap();
            assert!(*got == *expected, "{key}: {got:?} against {expected}");
            assert_eq!(got.to_value(), *expected);
        }
        assert_eq!(held.get("missing"), None);
        assert_eq!(held.get("text").and_then(Prop::as_str), Some("t"));
        assert_eq!(held.get("a").and_then(Prop::as_bool), Some(true));
        let set = held.get("$set").and_then(Prop::as_object).unwrap();
        assert_eq!(
            set.iter().map(|(key, _)| key).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(
            Prop::PosInt(2) != json!(2.0),
            "numbers keep serde_json's kinds"
        );
        assert!(Prop::Float(2.0) == json!(2.0));
    }

    #[test]
    fn insert_keeps_keys_sorted_and_unique() {
        let mut held = Properties::default();
        held.insert("b".into(), Prop::Bool(true));
        held.insert("a".into(), Prop::Null);
        assert_eq!(
            held.insert("b".into(), Prop::PosInt(1)),
            Some(Prop::Bool(true))
        );
        held.get_or_insert_with("c", || Prop::Null);
        held.get_or_insert_with("0", || Prop::Null);
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            r#"{"0":null,"a":null,"b":1,"c":null}"#
        );
        assert_eq!(held.remove("a"), Some(Prop::Null));
        assert_eq!(held.remove("a"), None);
        assert!(held.contains_key("0") && !held.contains_key("a"));
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            r#"{"0":null,"b":1,"c":null}"#
        );
    }

    #[test]
    fn interning_shares_equal_texts() {
        let mut interner = Interner::default();
        let mut one = properties(json!({"k": "v", "o": {"k": "v"}}));
        let mut two = properties(json!({"k": "v"}));
        one.intern(&mut interner);
        two.intern(&mut interner);
        let text = |held: &Properties| match held.get("k") {
            Some(Prop::Str(text)) => text.clone(),
            other => panic!("{other:?}"),
        };
        assert!(text(&one).same(&text(&two)));
        let nested = one.get("o").and_then(Prop::as_object).unwrap();
        assert!(text(nested).same(&text(&two)));
        assert_eq!(interner.0.len(), 3, "k, v and o");
    }

    #[test]
    fn nul_characters_are_replaced_at_any_depth() {
        let mut held = properties(json!({"a": "x\u{0}", "o": {"b": ["\u{0}"]}}));
        held.replace_nul();
        assert_eq!(
            serde_json::to_value(&held).unwrap(),
            json!({"a": "x\u{FFFD}", "o": {"b": ["\u{FFFD}"]}})
        );
    }
}
