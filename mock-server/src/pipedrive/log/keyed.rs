//! The text a log keeps of an entry: compact JSON, byte for byte what `serde_json` writes,
//! except that every object key, with its quotes and colon, is a number in the log's [`Keys`].
//! [`KeyedJson`] writes it in one pass: a struct's field names go straight to their numbers,
//! with no escaping, and strings without characters to escape are copied whole. (It writes
//! a `serde_json::Value`'s numbers as numbers: with serde_json's `arbitrary_precision`
//! feature, which this workspace does not enable, they would be private structs.)

use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::ser::{CompactFormatter, Formatter};

/// The object keys a log's texts name by number, each as JSON writes it (quotes and
/// escapes included), numbered in the order they first appeared. Key `n` below 31 is the one
/// byte `n + 1`, a later one the byte 0 and `n - 31` in LEB128: JSON's own text has no byte
/// below 0x20 (compact output has no whitespace, strings escape control characters), so the
/// two never mix. The entries' field names, kinds and the company's custom field keys are a
/// few dozen keys; past [`Keys::MOST`] (keys of arbitrary JSON values in custom fields) a key
/// is written out in full.
#[derive(Clone, Debug, Default)]
pub(super) struct Keys {
    /// The keys by number, each as JSON writes it.
    pub(super) texts: Vec<Box<[u8]>>,
    numbers: FxHashMap<Box<[u8]>, u32>,
    /// A key's number plus one in the slot of [`Keys::slot`], checked against the key: the
    /// way to a known key without hashing all of it (one look-up per key of every entry).
    recent: Vec<u32>,
    /// The numbers of the struct fields' names met so far, by where the name is: a name is
    /// `'static` text, so its address and length stand for it (no hashing of its bytes).
    names: FxHashMap<(usize, usize), u32>,
}

/// Two logs' keys are the same when they number the same keys alike (`recent` and `names` are caches).
impl PartialEq for Keys {
    fn eq(&self, other: &Self) -> bool {
        self.texts == other.texts
    }
}

impl Keys {
    /// The most keys a log numbers.
    pub(super) const MOST: usize = 4096;
    /// How many keys take one byte.
    const SHORT: usize = 31;

    /// Replaces the key `text` ends with from `start` on (as JSON writes it) with its number
    /// when it has or can get one (answering it), else follows it with its colon.
    fn write_at(&mut self, text: &mut Vec<u8>, start: usize) -> Option<u32> {
        let key = &text[start..];
        let slot = Self::slot(key);
        let cached = self
            .recent
            .get(slot)
            .and_then(|number| number.checked_sub(1));
        let cached = cached.filter(|&number| *self.texts[number as usize] == *key);
        let number = match cached.or_else(|| self.numbers.get(key).copied()) {
            Some(number) => {
                if self.recent.is_empty() {
                    self.recent = vec![0; Self::SLOTS];
                }
                self.recent[slot] = number + 1;
                number
            }
            None if self.texts.len() < Self::MOST => {
                let number = self.texts.len() as u32;
                self.texts.push(key.into());
                self.numbers.insert(key.into(), number);
                number
            }
            None => {
                text.push(b':');
                return None;
            }
        };
        text.truncate(start);
        Self::write_number(text, number);
        Some(number)
    }

    /// Writes key `number` at the end of `text`.
    fn write_number(text: &mut Vec<u8>, number: u32) {
        let number = number as usize;
        if number < Self::SHORT {
            text.push(number as u8 + 1);
            return;
        }
        text.push(0);
        let mut rest = number - Self::SHORT;
        while rest >= 0x80 {
            text.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        text.push(rest as u8);
    }

    /// How many slots `recent` has (a power of two).
    const SLOTS: usize = 256;

    /// The slot of `recent` for `key`: from its length and three of its bytes (a key as JSON
    /// writes it starts and ends with a quote).
    fn slot(key: &[u8]) -> usize {
        let len = key.len();
        let byte = |at: usize| usize::from(key.get(at).copied().unwrap_or_default());
        (len * 37 + byte(1) * 5 + byte(len / 2) * 3 + byte(len.saturating_sub(2))) % Self::SLOTS
    }

    /// Appends `text` to `json` with every key number written out as its key and colon.
    pub(super) fn expand(&self, text: &[u8], json: &mut Vec<u8>) {
        let mut at = 0;
        while at < text.len() {
            let run = text[at..]
                .iter()
                .position(|&byte| byte < 0x20)
                .map_or(text.len(), |run| at + run);
            json.extend_from_slice(&text[at..run]);
            let Some(&byte) = text.get(run) else {
                break;
            };
            at = run + 1;
            let number = if byte == 0 {
                let mut number = 0;
                let mut shift = 0;
                loop {
                    let byte = text[at];
                    at += 1;
                    number |= usize::from(byte & 0x7f) << shift;
                    shift += 7;
                    if byte < 0x80 {
                        break;
                    }
                }
                number + Self::SHORT
            } else {
                usize::from(byte) - 1
            };
            json.extend_from_slice(&self.texts[number]);
            json.push(b':');
        }
    }
}

/// A `serde` serializer writing a value's [`Keys`]-numbered JSON text at the end of `text`.
pub(super) struct KeyedJson<'a> {
    text: &'a mut Vec<u8>,
    keys: &'a mut Keys,
}

type Error = serde_json::Error;

impl<'a> KeyedJson<'a> {
    /// Writes into `text`, naming keys by their numbers in `keys`.
    pub(super) fn new(text: &'a mut Vec<u8>, keys: &'a mut Keys) -> Self {
        Self { text, keys }
    }

    /// Writes `key` (with its colon) as its number.
    fn key(&mut self, key: &str) -> Option<u32> {
        let start = self.text.len();
        string(self.text, key);
        self.keys.write_at(self.text, start)
    }

    /// Writes a struct field's or an enum variant's `name` (with its colon) as its number, found by its address
    /// once it has one.
    fn field_name(&mut self, name: &'static str) {
        let at = (name.as_ptr() as usize, name.len());
        if let Some(&number) = self.keys.names.get(&at) {
            Keys::write_number(self.text, number);
        } else if let Some(number) = self.key(name) {
            self.keys.names.insert(at, number);
        }
    }

    /// Opens an object holding one key, `variant`, whose value follows.
    fn variant(&mut self, variant: &'static str) {
        self.text.push(b'{');
        self.field_name(variant);
    }

    /// Writes a number as `serde_json` does.
    fn number(
        &mut self,
        write: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        write(&mut CompactFormatter, self.text).map_err(Error::io)
    }
}

/// Writes `value` as a JSON string: copied whole when it has nothing to escape, else escaped
/// by `serde_json`.
fn string(text: &mut Vec<u8>, value: &str) {
    if needs_escaping(value.as_bytes()) {
        serde_json::to_writer(&mut *text, value).expect("a string encodes as JSON");
    } else {
        text.reserve(value.len() + 2);
        text.push(b'"');
        text.extend_from_slice(value.as_bytes());
        text.push(b'"');
    }
}

/// Whether `bytes` hold a byte JSON escapes: a quote, a backslash or a control character. Eight
/// bytes at a time: a word has a byte below `n` when subtracting `n` from every byte borrows
/// into a high bit the byte did not have.
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0;
    let special = |word: u64| {
        below(word, 0x20)
            || below(word ^ (ONES * u64::from(b'"')), 1)
            || below(word ^ (ONES * u64::from(b'\\')), 1)
    };
    let mut words = bytes.chunks_exact(8);
    words
        .by_ref()
        .any(|word| special(u64::from_ne_bytes(word.try_into().expect("eight bytes"))))
        || words
            .remainder()
            .iter()
            .any(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
}

/// The error `serde_json` gives a map key that is not a string, a number or a boolean.
fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

/// The methods writing integers, as `serde_json` writes them.
macro_rules! integers {
    ($($method:ident: $type:ty => $write:ident),*) => {$(
        fn $method(self, value: $type) -> Result<(), Error> {
            self.number(|json, text| json.$write(text, value))
        }
    )*};
}

impl<'a, 'b> ser::Serializer for &'b mut KeyedJson<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.text
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    integers!(
        serialize_i8: i8 => write_i8,
        serialize_i16: i16 => write_i16,
        serialize_i32: i32 => write_i32,
        serialize_i64: i64 => write_i64,
        serialize_i128: i128 => write_i128,
        serialize_u8: u8 => write_u8,
        serialize_u16: u16 => write_u16,
        serialize_u32: u32 => write_u32,
        serialize_u64: u64 => write_u64,
        serialize_u128: u128 => write_u128
    );

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        self.number(|json, text| json.write_f32(text, value))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        self.number(|json, text| json.write_f64(text, value))
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        string(self.text, value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(value.len()))?;
        for byte in value {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.text.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.text.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.text.push(b'[');
        Ok(Compound::new(self, b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.variant(variant);
        self.text.push(b'[');
        Ok(Compound::new(self, b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.text.push(b'{');
        Ok(Compound::new(self, b"}"))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.variant(variant);
        self.text.push(b'{');
        Ok(Compound::new(self, b"}}"))
    }
}

/// An array or object being written: its separators and its closing bytes.
pub(super) struct Compound<'a, 'b> {
    json: &'b mut KeyedJson<'a>,
    first: bool,
    close: &'static [u8],
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(json: &'b mut KeyedJson<'a>, close: &'static [u8]) -> Self {
        Self {
            json,
            first: true,
            close,
        }
    }

    /// Writes the comma before every element or entry but the first.
    fn separate(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.json.text.push(b',');
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.json)
    }

    fn field<T: ?Sized + Serialize>(&mut self, name: &'static str, value: &T) -> Result<(), Error> {
        self.separate();
        self.json.field_name(name);
        value.serialize(&mut *self.json)
    }

    fn close(self) -> Result<(), Error> {
        self.json.text.extend_from_slice(self.close);
        Ok(())
    }
}

/// The impls of `serde`'s array-like compounds: `$method` writes an element.
macro_rules! arrays {
    ($($kind:ident::$method:ident),*) => {$(
        impl ser::$kind for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

arrays!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The impls of `serde`'s struct-like compounds: a field is a name and a value.
macro_rules! structs {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(name, value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

structs!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(KeyText(self.json))
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.json)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// The methods writing integer map keys as their digits, as `serde_json` does.
macro_rules! integer_keys {
    ($($method:ident: $type:ty),*) => {$(
        fn $method(self, value: $type) -> Result<(), Error> {
            self.written(&value.to_string())
        }
    )*};
}

/// Writes a map key as `serde_json` takes one: a string, or a number (finite) or boolean
/// written as one; anything else is refused.
struct KeyText<'c, 'a>(&'c mut KeyedJson<'a>);

impl KeyText<'_, '_> {
    fn written(self, key: &str) -> Result<(), Error> {
        self.0.key(key);
        Ok(())
    }

    /// A float key, written by `write` as `serde_json` writes it; refused when not `finite`.
    fn float(
        self,
        finite: bool,
        write: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        if !finite {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        let mut digits = Vec::new();
        write(&mut CompactFormatter, &mut digits).map_err(Error::io)?;
        self.written(std::str::from_utf8(&digits).expect("digits are UTF-8"))
    }
}

impl ser::Serializer for KeyText<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.written(value)
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.written(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.written(if value { "true" } else { "false" })
    }

    integer_keys!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.written(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        self.float(value.is_finite(), |json, digits| {
            json.write_f32(digits, value)
        })
    }

    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.float(value.is_finite(), |json, digits| {
            json.write_f64(digits, value)
        })
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// `value`'s keyed text, with its keys written out again.
    fn expanded(keys: &mut Keys, value: &impl Serialize) -> Result<String, Error> {
        let mut text = Vec::new();
        value.serialize(&mut KeyedJson::new(&mut text, keys))?;
        let mut json = Vec::new();
        keys.expand(&text, &mut json);
        Ok(String::from_utf8(json).expect("JSON is UTF-8"))
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[a-z\"\\\\\u{0}-\u{1f}é]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"\\\\\u{1}é]{0,5}", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever the values, their texts, keys written out, are what `serde_json` writes.
        #[test]
        fn writes_what_serde_json_writes(values in prop::collection::vec(json_value(), 1..6)) {
            let mut keys = Keys::default();
            for value in &values {
                prop_assert_eq!(expanded(&mut keys, value)?, serde_json::to_string(value)?);
            }
        }
    }

    /// A quote, a backslash or a control character anywhere in a string is escaped, and
    /// nothing else is.
    #[test]
    fn finds_every_byte_to_escape() {
        for len in 1..20 {
            for at in 0..len {
                for special in ['"', '\\', '\u{0}', '\n', '\u{1f}', '\u{7f}', 'é', '~', ' '] {
                    let mut text: String = "a".repeat(len);
                    text.replace_range(at..=at, special.encode_utf8(&mut [0; 4]));
                    let escapes = special < ' ' || special == '"' || special == '\\';
                    assert_eq!(needs_escaping(text.as_bytes()), escapes, "{text:?}");
                    let mut written = Vec::new();
                    string(&mut written, &text);
                    assert_eq!(written, serde_json::to_vec(&text).unwrap());
                }
            }
        }
    }

    /// Pairs written as a map, in their order (keys of any type, `Ord` or not).
    #[derive(Debug)]
    struct AsMap<K, V>(Vec<(K, V)>);

    impl<K: Serialize, V: Serialize> Serialize for AsMap<K, V> {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in &self.0 {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }

    /// Bytes serialized as bytes (a `Vec<u8>` serializes as a sequence).
    #[derive(Debug)]
    struct Bytes(Vec<u8>);

    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(&self.0)
        }
    }

    /// Every enum representation `serde` has.
    #[derive(Clone, Debug, Serialize)]
    enum Shape {
        Dot,
        Line(f64),
        Pair(u8, i64),
        Rect { wide: u16, high: Option<u16> },
    }

    #[derive(Debug, Serialize)]
    struct Wrapped(String);

    /// One field of every kind a serializer is asked for.
    #[derive(Debug, Serialize)]
    struct Kinds {
        unit: (),
        flag: bool,
        small: i8,
        big: i128,
        huge: u128,
        ratio: f32,
        real: f64,
        letter: char,
        text: String,
        maybe: Option<Option<u16>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        shape: Shape,
        shapes: Vec<Shape>,
        wrapped: Wrapped,
        pair: (u8, String),
        by_number: BTreeMap<u32, bool>,
        by_char: BTreeMap<char, ()>,
        by_ratio: AsMap<f32, u8>,
        by_option: AsMap<Option<i16>, u8>,
        by_variant: AsMap<Shape, u8>,
        by_wrapped: AsMap<Wrapped, u8>,
        bytes: Bytes,
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => any::<f64>(),
            1 => Just(f64::NAN),
            1 => Just(f64::NEG_INFINITY),
        ]
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            Just(Shape::Dot),
            float().prop_map(Shape::Line),
            (any::<u8>(), any::<i64>()).prop_map(|(a, b)| Shape::Pair(a, b)),
            (any::<u16>(), any::<Option<u16>>())
                .prop_map(|(wide, high)| Shape::Rect { wide, high }),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-z\"\\\\\u{0}-\u{1f}é]{0,12}"]
    }

    fn kinds() -> impl Strategy<Value = Kinds> {
        let scalars = (
            any::<bool>(),
            any::<i8>(),
            any::<i128>(),
            any::<u128>(),
            float().prop_map(|real| real as f32),
            float(),
            any::<char>(),
            text(),
            any::<Option<Option<u16>>>(),
            any::<Option<u8>>(),
        );
        let nested = (
            shape(),
            prop::collection::vec(shape(), 0..3),
            text(),
            (any::<u8>(), text()),
            prop::collection::btree_map(any::<u32>(), any::<bool>(), 0..3),
            prop::collection::btree_map(any::<char>(), Just(()), 0..3),
            prop::collection::vec((any::<f32>(), any::<u8>()), 0..3),
            prop::collection::vec((any::<i16>(), any::<u8>()), 0..3),
            prop::collection::vec(any::<u8>(), 0..4),
        );
        (scalars, nested).prop_map(
            |(
                (flag, small, big, huge, ratio, real, letter, text, maybe, skipped),
                (shape, shapes, wrapped, pair, by_number, by_char, by_ratio, by_option, bytes),
            )| Kinds {
                unit: (),
                flag,
                small,
                big,
                huge,
                ratio,
                real,
                letter,
                text,
                maybe,
                skipped,
                shape,
                shapes,
                wrapped: Wrapped(wrapped.clone()),
                pair,
                by_number,
                by_char,
                by_ratio: AsMap(by_ratio),
                by_option: AsMap(by_option.into_iter().map(|(k, v)| (Some(k), v)).collect()),
                by_variant: AsMap(vec![(Shape::Dot, small as u8)]),
                by_wrapped: AsMap(vec![(Wrapped(wrapped), 1)]),
                bytes: Bytes(bytes),
            },
        )
    }

    proptest! {
        /// Whatever a value's kinds (struct fields, every enum representation, newtypes,
        /// options, skipped fields, 128-bit and non-finite numbers, characters, bytes, map
        /// keys of every type `serde_json` takes), its text is what `serde_json` writes.
        #[test]
        fn writes_every_kind_as_serde_json_does(values in prop::collection::vec(kinds(), 1..4)) {
            let mut keys = Keys::default();
            for value in &values {
                prop_assert_eq!(expanded(&mut keys, value)?, serde_json::to_string(value)?);
            }
        }
    }

    /// Map keys that are not strings are written as `serde_json` writes them, or refused as
    /// it refuses them.
    #[test]
    fn takes_the_map_keys_serde_json_takes() {
        let mut keys = Keys::default();
        let floats = AsMap(vec![(0.5, 1), (-2.0, 2), (1e21, 3)]);
        assert_eq!(
            expanded(&mut keys, &floats).unwrap(),
            serde_json::to_string(&floats).unwrap()
        );
        for refused in [
            expanded(&mut keys, &AsMap(vec![(f64::NAN, 1)])),
            expanded(&mut keys, &AsMap(vec![((1, 2), 3)])),
            expanded(&mut keys, &AsMap(vec![(None::<u8>, 3)])),
        ] {
            let error = refused.unwrap_err().to_string();
            assert!(
                [
                    "float key must be finite (got NaN or +/-inf)",
                    "key must be a string"
                ]
                .contains(&error.as_str()),
                "{error}"
            );
        }
        let refusals = [
            serde_json::to_string(&AsMap(vec![(f64::NAN, 1)])),
            serde_json::to_string(&AsMap(vec![((1, 2), 3)])),
            serde_json::to_string(&AsMap(vec![(None::<u8>, 3)])),
        ];
        assert!(refusals.iter().all(Result::is_err));
    }
}
