//! Custom person fields: the registry behind `personFields`, validation of values, and the
//! two wire forms (v1 root-level keys with sibling keys, v2 `custom_fields` object).
//!
//! Values are stored in their v2 form, the richer one; v1 rendering flattens it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::model::Id;
use super::tenant::{TEXT_CHARS, VARCHAR_CHARS, over, too_long};
use super::time;

/// One v1 root-level key of a custom field and its value.
pub type V1Entry<'a> = (Cow<'a, str>, Cow<'a, Value>);

/// The types of person field Pipedrive lets a company create (named as Pipedrive's
/// `field_type` in seeds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Address with components.
    Address,
    /// `YYYY-MM-DD`.
    Date,
    /// Two dates.
    Daterange,
    /// A number.
    Double,
    /// One option.
    Enum,
    /// A number and a currency.
    Monetary,
    /// An organization id.
    Org,
    /// A person id.
    People,
    /// A phone number.
    Phone,
    /// Several options.
    Set,
    /// Long text.
    Text,
    /// `HH:MM:SS`.
    Time,
    /// Two times.
    Timerange,
    /// A user id.
    User,
    /// Short text.
    Varchar,
    /// Autocomplete text.
    VarcharAuto,
    /// A visibility value.
    VisibleTo,
}

impl FieldType {
    /// Parses Pipedrive's `field_type` name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "address" => Self::Address,
            "date" => Self::Date,
            "daterange" => Self::Daterange,
            "double" => Self::Double,
            "enum" => Self::Enum,
            "monetary" => Self::Monetary,
            "org" => Self::Org,
            "people" => Self::People,
            "phone" => Self::Phone,
            "set" => Self::Set,
            "text" => Self::Text,
            "time" => Self::Time,
            "timerange" => Self::Timerange,
            "user" => Self::User,
            "varchar" => Self::Varchar,
            "varchar_auto" => Self::VarcharAuto,
            "visible_to" => Self::VisibleTo,
            _ => return None,
        })
    }

    /// Pipedrive's `field_type` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Date => "date",
            Self::Daterange => "daterange",
            Self::Double => "double",
            Self::Enum => "enum",
            Self::Monetary => "monetary",
            Self::Org => "org",
            Self::People => "people",
            Self::Phone => "phone",
            Self::Set => "set",
            Self::Text => "text",
            Self::Time => "time",
            Self::Timerange => "timerange",
            Self::User => "user",
            Self::Varchar => "varchar",
            Self::VarcharAuto => "varchar_auto",
            Self::VisibleTo => "visible_to",
        }
    }

    /// Whether the search service looks into values of this type.
    pub fn is_searchable(self) -> bool {
        matches!(
            self,
            Self::Address
                | Self::Varchar
                | Self::Text
                | Self::VarcharAuto
                | Self::Double
                | Self::Monetary
                | Self::Phone
        )
    }

    fn has_options(self) -> bool {
        matches!(self, Self::Enum | Self::Set)
    }
}

/// One option of an enum or set field (and of the built-in `label` field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldOption {
    /// Option id, unique in the company.
    pub id: Id,
    /// Display label.
    pub label: String,
}

/// A custom person field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    /// Field id.
    pub id: Id,
    /// 40-character lower-case hex key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Type.
    pub field_type: FieldType,
    /// Options of enum and set fields.
    pub options: Vec<FieldOption>,
    /// Creation time.
    pub add_time: i64,
}

/// Address components Pipedrive stores beside an address value.
const ADDRESS_PARTS: [&str; 10] = [
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
];

impl FieldDef {
    /// Validates a v2 `custom_fields` value; `Ok(None)` clears the field.
    pub fn parse_v2(&self, value: &Value) -> Result<Option<Value>, String> {
        if value.is_null() {
            return Ok(None);
        }
        let key = &self.key;
        let wrong = |expected: &str| format!("custom_fields.{key}: expected {expected}");
        let canonical = match self.field_type {
            FieldType::Varchar | FieldType::VarcharAuto | FieldType::Text | FieldType::Phone => {
                let text = value.as_str().ok_or_else(|| wrong("a string"))?;
                let max = match self.field_type {
                    FieldType::Text => TEXT_CHARS,
                    _ => VARCHAR_CHARS,
                };
                if over(text, max) {
                    return Err(too_long(&format!("custom_fields.{key}"), max));
                }
                Value::String(text.into())
            }
            FieldType::Double => Value::Number(number(value).ok_or_else(|| wrong("a number"))?),
            FieldType::Org | FieldType::People | FieldType::User | FieldType::VisibleTo => {
                Value::from(value.as_u64().ok_or_else(|| wrong("an integer id"))?)
            }
            FieldType::Enum => Value::from(
                self.option(value.as_u64())
                    .ok_or_else(|| wrong("an option id"))?,
            ),
            FieldType::Set => {
                let items = value
                    .as_array()
                    .ok_or_else(|| wrong("an array of option ids"))?;
                if items.is_empty() {
                    return Err(format!(
                        "custom_fields.{key}: a set cannot be empty; send null to clear it"
                    ));
                }
                if items.len() > self.options.len() {
                    return Err(wrong("each option id at most once"));
                }
                let ids = items
                    .iter()
                    .map(|item| self.option(item.as_u64()).map(Value::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| wrong("an array of option ids"))?;
                Value::Array(ids)
            }
            FieldType::Date => date(value).ok_or_else(|| wrong("a YYYY-MM-DD date"))?,
            FieldType::Monetary => {
                let object = value
                    .as_object()
                    .ok_or_else(|| wrong("{value, currency}"))?;
                let amount = object
                    .get("value")
                    .and_then(number)
                    .ok_or_else(|| wrong("{value, currency}"))?;
                let currency = object
                    .get("currency")
                    .and_then(Value::as_str)
                    .ok_or_else(|| wrong("{value, currency}"))?;
                monetary(amount, currency)
            }
            FieldType::Daterange => {
                let object = value.as_object().ok_or_else(|| wrong("{value, until}"))?;
                let from = object
                    .get("value")
                    .and_then(date)
                    .ok_or_else(|| wrong("{value, until} dates"))?;
                let until = object
                    .get("until")
                    .and_then(date)
                    .ok_or_else(|| wrong("{value, until} dates"))?;
                range(from, until, None)
            }
            FieldType::Time | FieldType::Timerange => {
                let object = value
                    .as_object()
                    .ok_or_else(|| wrong("{value, timezone_name}"))?;
                let from = object
                    .get("value")
                    .and_then(clock_time)
                    .ok_or_else(|| wrong("an HH:MM:SS time"))?;
                let zone = object.get("timezone_name").cloned().unwrap_or(Value::Null);
                if self.field_type == FieldType::Time {
                    timed(from, zone)
                } else {
                    let until = object
                        .get("until")
                        .and_then(clock_time)
                        .ok_or_else(|| wrong("an HH:MM:SS until"))?;
                    range(from, until, Some(zone))
                }
            }
            FieldType::Address => {
                let object = value
                    .as_object()
                    .ok_or_else(|| wrong("{value, …components}"))?;
                let text = object
                    .get("value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| wrong("{value, …components}"))?;
                address(text, object)
            }
        };
        Ok(Some(canonical))
    }

    /// Reads the v1 form from a body's root: `<key>` and its sibling keys, with v1's lax
    /// typing (numbers as strings, option ids as strings, sets as `"1,2"`). `Ok(None)`
    /// clears the field.
    pub fn parse_v1(&self, body: &Map<String, Value>) -> Result<Option<Value>, String> {
        let key = &self.key;
        let value = body.get(key).unwrap_or(&Value::Null);
        if value.is_null() || value.as_str() == Some("") {
            return Ok(None);
        }
        let sibling = |suffix: &str| body.get(&format!("{key}_{suffix}"));
        let wrong = |expected: &str| format!("Invalid value for field {key}: expected {expected}");
        let canonical = match self.field_type {
            FieldType::Double => Value::Number(lax_number(value).ok_or_else(|| wrong("a number"))?),
            FieldType::Org | FieldType::People | FieldType::User | FieldType::VisibleTo => {
                Value::from(lax_id(value).ok_or_else(|| wrong("an id"))?)
            }
            FieldType::Enum => Value::from(
                self.option(lax_id(value))
                    .ok_or_else(|| wrong("an option id"))?,
            ),
            FieldType::Set => {
                let ids: Option<Vec<Id>> = match value {
                    Value::String(text) => {
                        text.split(',').map(|id| id.trim().parse().ok()).collect()
                    }
                    Value::Array(items) => items.iter().map(lax_id).collect(),
                    other => lax_id(other).map(|id| vec![id]),
                };
                let ids = ids
                    .filter(|ids| !ids.is_empty())
                    .and_then(|ids| {
                        ids.into_iter()
                            .map(|id| self.option(Some(id)).map(Value::from))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| wrong("option ids"))?;
                Value::Array(ids)
            }
            FieldType::Monetary => {
                let amount = lax_number(value).ok_or_else(|| wrong("a number"))?;
                let currency = sibling("currency").and_then(Value::as_str).unwrap_or("EUR");
                monetary(amount, currency)
            }
            FieldType::Date => date(value).ok_or_else(|| wrong("a YYYY-MM-DD date"))?,
            FieldType::Daterange => {
                let from = date(value).ok_or_else(|| wrong("a YYYY-MM-DD date"))?;
                let until = sibling("until")
                    .and_then(date)
                    .ok_or_else(|| wrong(&format!("{key}_until")))?;
                range(from, until, None)
            }
            FieldType::Time => timed(
                clock_time(value).ok_or_else(|| wrong("an HH:MM:SS time"))?,
                sibling("timezone_id").cloned().unwrap_or(Value::Null),
            ),
            FieldType::Timerange => {
                let from = clock_time(value).ok_or_else(|| wrong("an HH:MM:SS time"))?;
                let until = sibling("until")
                    .and_then(clock_time)
                    .ok_or_else(|| wrong(&format!("{key}_until")))?;
                range(
                    from,
                    until,
                    Some(sibling("timezone_id").cloned().unwrap_or(Value::Null)),
                )
            }
            FieldType::Address => address(
                value.as_str().ok_or_else(|| wrong("a string"))?,
                &Map::new(),
            ),
            FieldType::Varchar | FieldType::VarcharAuto | FieldType::Text | FieldType::Phone => {
                match value {
                    Value::String(text) => Value::String(text.clone()),
                    Value::Number(number) => Value::String(number.to_string()),
                    _ => return Err(wrong("a string")),
                }
            }
        };
        Ok(Some(canonical))
    }

    /// The v1 root-level keys and values of this field for a stored `value` (borrowed where
    /// the field's key or the stored value is the answer).
    pub fn render_v1<'a>(&'a self, value: Option<&'a Value>) -> Vec<V1Entry<'a>> {
        let key = || Cow::Borrowed(self.key.as_str());
        let get = |name: &str| {
            value
                .and_then(|value| value.get(name))
                .map_or(Cow::Owned(Value::Null), Cow::Borrowed)
        };
        let with_suffix = |suffix: &str| Cow::Owned(format!("{}_{suffix}", self.key));
        match self.field_type {
            FieldType::Enum => vec![(
                key(),
                Cow::Owned(value.map_or(Value::Null, |id| Value::String(id.to_string()))),
            )],
            FieldType::Set => {
                let joined = value.and_then(Value::as_array).map(|ids| {
                    let ids: Vec<String> = ids.iter().map(Value::to_string).collect();
                    Value::String(ids.join(","))
                });
                vec![(key(), Cow::Owned(joined.unwrap_or(Value::Null)))]
            }
            FieldType::Monetary => vec![
                (key(), get("value")),
                (with_suffix("currency"), get("currency")),
            ],
            FieldType::Daterange => {
                vec![(key(), get("value")), (with_suffix("until"), get("until"))]
            }
            FieldType::Time => vec![
                (key(), get("value")),
                (with_suffix("timezone_id"), get("timezone_name")),
            ],
            FieldType::Timerange => vec![
                (key(), get("value")),
                (with_suffix("until"), get("until")),
                (with_suffix("timezone_id"), get("timezone_name")),
            ],
            FieldType::Address => std::iter::once((key(), get("value")))
                .chain(
                    ADDRESS_PARTS
                        .iter()
                        .map(|part| (with_suffix(part), get(part))),
                )
                .collect(),
            _ => vec![(key(), value.map_or(Cow::Owned(Value::Null), Cow::Borrowed))],
        }
    }

    /// The v2 value, with option labels when asked (the stored value itself when not).
    pub fn render_v2<'a>(&self, value: Option<&'a Value>, option_labels: bool) -> Cow<'a, Value> {
        let Some(value) = value else {
            return Cow::Owned(Value::Null);
        };
        if !(option_labels && self.field_type.has_options()) {
            return Cow::Borrowed(value);
        }
        let labelled = |id: &Value| {
            let option = self
                .options
                .iter()
                .find(|option| Some(option.id) == id.as_u64());
            option.map_or(Value::Null, |option| {
                serde_json::to_value(option).unwrap_or(Value::Null)
            })
        };
        Cow::Owned(match value {
            Value::Array(ids) => Value::Array(ids.iter().map(labelled).collect()),
            id => labelled(id),
        })
    }

    /// The texts the search service matches for a stored value.
    pub fn search_text(&self, value: &Value) -> Option<String> {
        if !self.field_type.is_searchable() {
            return None;
        }
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Object(object) => object.get("value").map(|inner| match inner {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            }),
            _ => None,
        }
    }

    fn option(&self, id: Option<u64>) -> Option<Id> {
        let id = id?;
        self.options
            .iter()
            .any(|option| option.id == id)
            .then_some(id)
    }
}

/// A 40-character lower-case hex key, derived deterministically from `seed`.
pub fn hex_key(seed: &str) -> String {
    let mut state = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut key = String::with_capacity(40);
    while key.len() < 40 {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        key.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    key.truncate(40);
    key
}

/// Whether `key` looks like a custom field key (40 lower-case hex characters).
pub fn is_custom_key(key: &str) -> bool {
    key.len() == 40
        && key
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

fn number(value: &Value) -> Option<Number> {
    value.as_number().cloned()
}

fn lax_number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(number) => Some(number.clone()),
        Value::String(text) => text.trim().parse::<f64>().ok().and_then(Number::from_f64),
        _ => None,
    }
}

fn lax_id(value: &Value) -> Option<Id> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn date(value: &Value) -> Option<Value> {
    let text = value.as_str()?;
    time::parse_date(text).map(|_| Value::String(text.to_owned()))
}

fn clock_time(value: &Value) -> Option<Value> {
    let text = value.as_str()?;
    time::parse_clock(text).map(Value::String)
}

fn monetary(amount: Number, currency: &str) -> Value {
    let mut object = Map::new();
    object.insert("value".into(), Value::Number(amount));
    object.insert("currency".into(), Value::String(currency.to_owned()));
    Value::Object(object)
}

fn range(from: Value, until: Value, zone: Option<Value>) -> Value {
    let mut object = Map::new();
    object.insert("value".into(), from);
    object.insert("until".into(), until);
    if let Some(zone) = zone {
        object.insert("timezone_name".into(), zone);
    }
    Value::Object(object)
}

fn timed(at: Value, zone: Value) -> Value {
    let mut object = Map::new();
    object.insert("value".into(), at);
    object.insert("timezone_name".into(), zone);
    Value::Object(object)
}

fn address(text: &str, parts: &Map<String, Value>) -> Value {
    let mut object = Map::new();
    object.insert("value".into(), Value::String(text.to_owned()));
    for part in ADDRESS_PARTS {
        let given = parts.get(part).cloned().unwrap_or(Value::Null);
        let given = if part == "formatted_address" && given.is_null() {
            Value::String(text.to_owned())
        } else {
            given
        };
        object.insert(part.into(), given);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(field_type: FieldType) -> FieldDef {
        FieldDef {
            id: 1,
            key: hex_key("test"),
            name: "F".into(),
            field_type,
            options: vec![
                FieldOption {
                    id: 11,
                    label: "A".into(),
                },
                FieldOption {
                    id: 12,
                    label: "B".into(),
                },
            ],
            add_time: 0,
        }
    }

    #[test]
    fn seeds_name_field_types_as_the_api_does() {
        for name in [
            "address",
            "date",
            "daterange",
            "double",
            "enum",
            "monetary",
            "org",
            "people",
            "phone",
            "set",
            "text",
            "time",
            "timerange",
            "user",
            "varchar",
            "varchar_auto",
            "visible_to",
        ] {
            let parsed = FieldType::parse(name).unwrap();
            assert_eq!(parsed.as_str(), name);
            assert_eq!(serde_json::to_value(parsed).unwrap(), json!(name));
            assert_eq!(
                serde_json::from_value::<FieldType>(json!(name)).unwrap(),
                parsed
            );
        }
    }

    #[test]
    fn keys_are_40_hex() {
        let key = hex_key("company 1 field 1");
        assert!(is_custom_key(&key), "{key}");
        assert_ne!(key, hex_key("company 1 field 2"));
        assert!(!is_custom_key("name"));
    }

    #[test]
    fn sets_round_trip_between_versions() {
        let set = field(FieldType::Set);
        let key = set.key.clone();
        let stored = set
            .parse_v1(json!({ key.clone(): "11,12" }).as_object().unwrap())
            .unwrap();
        assert_eq!(stored, Some(json!([11, 12])));
        assert_eq!(
            set.render_v1(stored.as_ref()),
            vec![(Cow::Borrowed(key.as_str()), Cow::Owned(json!("11,12")))]
        );
        assert_eq!(
            *set.render_v2(stored.as_ref(), true),
            json!([{"id": 11, "label": "A"}, {"id": 12, "label": "B"}])
        );
        assert!(set.parse_v2(&json!([])).is_err());
        assert!(set.parse_v2(&json!([13])).is_err());
    }

    #[test]
    fn monetary_uses_a_currency_sibling_in_v1() {
        let money = field(FieldType::Monetary);
        let key = money.key.clone();
        let body = json!({ key.clone(): "12.5", format!("{key}_currency"): "USD" });
        let stored = money.parse_v1(body.as_object().unwrap()).unwrap();
        assert_eq!(stored, Some(json!({"value": 12.5, "currency": "USD"})));
        let rendered = money.render_v1(stored.as_ref());
        assert_eq!(rendered[1].0, format!("{key}_currency"));
        assert_eq!(*rendered[1].1, json!("USD"));
        assert!(money.parse_v2(&json!("12")).is_err());
    }
}
