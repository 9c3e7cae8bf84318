//! Reading requests, for both API versions: query parameters and JSON bodies, with API v1's
//! lax typing (numbers as strings, `0/1` booleans) and API v2's strict one (a validation error
//! instead), the two pagination styles, and the shape a v2 person is asked in.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::PipedriveError;
use super::model::{ContactEntry, Id};
use super::render::Pagination;
use super::render_v2::{INCLUDE_FIELDS, PersonShape};
use super::tenant::Company;
use crate::http::ApiRequest;

/// Default page size of every list.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
pub const MAX_LIMIT: usize = 500;
/// Most keys a v2 `custom_fields` query may name.
pub const MAX_CUSTOM_FIELDS: usize = 15;

/// Which API version's typing rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// Lax: coerces strings and `0/1`.
    V1,
    /// Strict: rejects them.
    V2,
}

impl Version {
    /// The error for parameter or key `name` that should have been `expected`.
    pub fn invalid(self, name: &str, expected: &str) -> PipedriveError {
        match self {
            Version::V1 => PipedriveError::bad_request(format!(
                "Invalid value for {name}: expected {expected}."
            )),
            Version::V2 => PipedriveError::validation(format!("{name}: Expected {expected}")),
        }
    }
}

/// Query parameter `name`; an empty value counts as absent.
pub fn param<'a>(request: &'a ApiRequest, name: &str) -> Option<&'a str> {
    request.query_param(name).filter(|value| !value.is_empty())
}

/// An integer query parameter.
pub fn int_param(
    request: &ApiRequest,
    name: &str,
    version: Version,
) -> Result<Option<u64>, PipedriveError> {
    param(request, name)
        .map(|raw| {
            raw.trim()
                .parse::<u64>()
                .map_err(|_| version.invalid(name, "a non-negative integer"))
        })
        .transpose()
}

/// A boolean query parameter: v1 takes `true/false/1/0`, v2 only `true/false`.
pub fn bool_param(
    request: &ApiRequest,
    name: &str,
    version: Version,
) -> Result<Option<bool>, PipedriveError> {
    param(request, name)
        .map(|raw| match (raw, version) {
            ("true", _) | ("1", Version::V1) => Ok(true),
            ("false", _) | ("0", Version::V1) => Ok(false),
            _ => Err(version.invalid(name, "boolean (true or false)")),
        })
        .transpose()
}

/// The page size: default 100; above 500 v1 caps it, v2 refuses it.
pub fn limit(request: &ApiRequest, version: Version, max: usize) -> Result<usize, PipedriveError> {
    let Some(asked) = int_param(request, "limit", version)? else {
        return Ok(DEFAULT_LIMIT.min(max));
    };
    let asked = usize::try_from(asked).unwrap_or(usize::MAX);
    match version {
        _ if asked == 0 => Err(version.invalid("limit", "a number from 1")),
        Version::V1 => Ok(asked.min(max)),
        Version::V2 if asked > max => {
            Err(version.invalid("limit", &format!("a number less than or equal to {max}")))
        }
        Version::V2 => Ok(asked),
    }
}

/// How a v2 person is shaped: `include_fields`, `custom_fields` (known keys, at most
/// [`MAX_CUSTOM_FIELDS`]), `include_option_labels`, `include_labels`.
pub fn person_shape(
    request: &ApiRequest,
    company: &Company,
) -> Result<PersonShape, PipedriveError> {
    let include: BTreeSet<String> = param(request, "include_fields")
        .map(|raw| {
            raw.split(',')
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = include
        .iter()
        .find(|name| !INCLUDE_FIELDS.contains(&name.as_str()))
    {
        return Err(PipedriveError::validation(format!(
            "include_fields: Unknown field {unknown}"
        )));
    }
    let custom_fields: Option<BTreeSet<String>> = param(request, "custom_fields").map(|raw| {
        raw.split(',')
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .collect()
    });
    if let Some(keys) = &custom_fields {
        if keys.len() > MAX_CUSTOM_FIELDS {
            return Err(PipedriveError::validation(format!(
                "custom_fields: At most {MAX_CUSTOM_FIELDS} keys"
            )));
        }
        if let Some(unknown) = keys.iter().find(|key| company.field(key).is_none()) {
            return Err(PipedriveError::validation(format!(
                "custom_fields: Unknown custom field {unknown}"
            )));
        }
    }
    Ok(PersonShape {
        include,
        custom_fields,
        option_labels: bool_param(request, "include_option_labels", Version::V2)?.unwrap_or(false),
        labels: bool_param(request, "include_labels", Version::V2)?.unwrap_or(false),
    })
}

/// One offset page of `items`: `start`/`limit` of a v1 list.
pub fn offset_page<T>(
    items: impl Iterator<Item = T>,
    request: &ApiRequest,
    max: usize,
) -> Result<(Vec<T>, Pagination), PipedriveError> {
    let start = int_param(request, "start", Version::V1)?
        .map_or(0, |start| usize::try_from(start).unwrap_or(usize::MAX));
    let limit = limit(request, Version::V1, max)?;
    let mut page: Vec<T> = items.skip(start).take(limit.saturating_add(1)).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let pagination = Pagination {
        start,
        limit,
        more_items_in_collection: more,
        next_start: more.then(|| start.saturating_add(limit)),
    };
    Ok((page, pagination))
}

/// A v2 cursor: the sort position of the first item of the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort field.
    pub field: String,
    /// Its value at the item.
    #[serde(rename = "fieldValue")]
    pub field_value: i64,
    /// `asc` or `desc`.
    #[serde(rename = "sortDirection")]
    pub sort_direction: String,
    /// The item's id.
    pub id: Id,
}

impl Cursor {
    /// The opaque form: hex-encoded JSON.
    pub fn encode(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut hex = String::with_capacity(2 * json.len());
        for byte in json.bytes() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
    }

    /// Reads the opaque form; `None` when it is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = (0..text.len())
            .step_by(2)
            .map(|at| {
                text.get(at..at + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The `cursor` parameter, decoded; garbage is a validation error.
pub fn cursor(request: &ApiRequest, version: Version) -> Result<Option<Cursor>, PipedriveError> {
    param(request, "cursor")
        .map(|raw| {
            Cursor::decode(raw)
                .ok_or_else(|| version.invalid("cursor", "a cursor returned by a previous page"))
        })
        .transpose()
}

/// A comma-separated list of ids.
pub fn id_list(raw: &str, name: &str, version: Version) -> Result<Vec<Id>, PipedriveError> {
    raw.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            part.trim()
                .parse()
                .map_err(|_| version.invalid(name, "comma-separated ids"))
        })
        .collect()
}

/// A path segment that must be an id; anything else is the item's 404.
pub fn path_id(segment: &str, what: &str) -> Result<Id, PipedriveError> {
    segment
        .parse()
        .map_err(|_| PipedriveError::not_found(format!("{what} not found")))
}

/// The most JSON values (keys included) a write body may hold: Pipedrive documents no limit;
/// this one bounds what parsing one body costs (see docs/pipedrive.md).
pub const MAX_BODY_VALUES: usize = 10_000;

/// A JSON object body, read with `version`'s typing rules.
pub struct Body {
    map: Map<String, Value>,
    version: Version,
}

impl Body {
    /// Parses the request body (an empty body is `{}`).
    pub fn parse(request: &ApiRequest, version: Version) -> Result<Self, PipedriveError> {
        if request.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                map: Map::new(),
                version,
            });
        }
        if request.json_values_at_most() > MAX_BODY_VALUES {
            let message = format!("The body holds more than {MAX_BODY_VALUES} JSON values.");
            return Err(match version {
                Version::V1 => PipedriveError::bad_request(message),
                Version::V2 => PipedriveError::validation(format!("body: {message}")),
            });
        }
        match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(map)) => Ok(Self { map, version }),
            _ => Err(match version {
                Version::V1 => PipedriveError::bad_request("Request body is not valid JSON."),
                Version::V2 => PipedriveError::validation("body: Expected a JSON object"),
            }),
        }
    }

    /// The raw object.
    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The version whose rules apply.
    pub fn version(&self) -> Version {
        self.version
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// A string key (v1 also takes numbers).
    pub fn string(&self, key: &str) -> Result<Option<String>, PipedriveError> {
        match (self.get(key), self.version) {
            (None | Some(Value::Null), _) => Ok(None),
            (Some(Value::String(text)), _) => Ok(Some(text.clone())),
            (Some(Value::Number(number)), Version::V1) => Ok(Some(number.to_string())),
            _ => Err(self.version.invalid(key, "string")),
        }
    }

    /// An id key: absent → `None`, null → `Some(None)`.
    pub fn id(&self, key: &str) -> Result<Option<Option<Id>>, PipedriveError> {
        match (self.get(key), self.version) {
            (None, _) => Ok(None),
            (Some(Value::Null), _) => Ok(Some(None)),
            (Some(Value::Number(number)), _) => number
                .as_u64()
                .map(|id| Some(Some(id)))
                .ok_or_else(|| self.version.invalid(key, "number")),
            (Some(Value::String(text)), Version::V1) if text.is_empty() => Ok(Some(None)),
            (Some(Value::String(text)), Version::V1) => text
                .trim()
                .parse()
                .map(|id| Some(Some(id)))
                .map_err(|_| self.version.invalid(key, "number")),
            _ => Err(self.version.invalid(key, "number")),
        }
    }

    /// A number key.
    pub fn number(&self, key: &str) -> Result<Option<f64>, PipedriveError> {
        match (self.get(key), self.version) {
            (None | Some(Value::Null), _) => Ok(None),
            (Some(Value::Number(number)), _) => Ok(number.as_f64()),
            (Some(Value::String(text)), Version::V1) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite())
                .map(Some)
                .ok_or_else(|| self.version.invalid(key, "number")),
            _ => Err(self.version.invalid(key, "number")),
        }
    }

    /// A boolean key: v1 also takes `0/1` and `"0"/"1"`.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, PipedriveError> {
        match (self.get(key), self.version) {
            (None | Some(Value::Null), _) => Ok(None),
            (Some(Value::Bool(flag)), _) => Ok(Some(*flag)),
            (Some(value), Version::V1) => match value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
            {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(self.version.invalid(key, "boolean")),
            },
            _ => Err(self.version.invalid(key, "boolean")),
        }
    }

    /// `visible_to`: v1 takes `"3"` or `3`, v2 only `3`.
    pub fn visibility(&self) -> Result<Option<u8>, PipedriveError> {
        let id = self.id("visible_to")?.flatten();
        id.map(|value| {
            u8::try_from(value).map_err(|_| self.version.invalid("visible_to", "1, 3, 5 or 7"))
        })
        .transpose()
    }

    /// An array of ids.
    pub fn ids(&self, key: &str) -> Result<Option<Vec<Id>>, PipedriveError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match (item, self.version) {
                    (Value::Number(number), _) => number.as_u64(),
                    (Value::String(text), Version::V1) => text.trim().parse().ok(),
                    _ => None,
                })
                .collect::<Option<Vec<Id>>>()
                .map(Some)
                .ok_or_else(|| self.version.invalid(key, "array of numbers")),
            _ => Err(self.version.invalid(key, "array of numbers")),
        }
    }

    /// Contact entries: an array of `{value, primary?, label?}` (v1 also a plain string or
    /// an array of strings).
    pub fn entries(&self, key: &str) -> Result<Option<Vec<ContactEntry>>, PipedriveError> {
        let invalid = || {
            self.version
                .invalid(key, "array of {value, primary, label} objects")
        };
        let entry = |item: &Value| -> Option<ContactEntry> {
            match (item, self.version) {
                (Value::String(value), Version::V1) => Some(ContactEntry {
                    value: value.clone(),
                    primary: false,
                    label: String::new(),
                }),
                (Value::Object(object), _) => Some(ContactEntry {
                    value: object.get("value")?.as_str()?.to_owned(),
                    primary: match object.get("primary") {
                        None | Some(Value::Null) => false,
                        Some(Value::Bool(flag)) => *flag,
                        Some(_) => return None,
                    },
                    label: match object.get("label") {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(label)) => label.clone(),
                        Some(_) => return None,
                    },
                }),
                _ => None,
            }
        };
        match (self.get(key), self.version) {
            (None | Some(Value::Null), _) => Ok(None),
            (Some(Value::String(value)), Version::V1) => Ok(Some(vec![ContactEntry {
                value: value.clone(),
                primary: true,
                label: String::new(),
            }])),
            (Some(Value::Array(items)), _) => items
                .iter()
                .map(entry)
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> ApiRequest {
        ApiRequest::new("GET", &format!("/x?{query}"))
    }

    #[test]
    fn v1_caps_limits_and_v2_refuses_them() {
        assert_eq!(
            limit(&request("limit=900"), Version::V1, MAX_LIMIT).unwrap(),
            500
        );
        assert_eq!(
            limit(&request("limit=900"), Version::V2, MAX_LIMIT)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(limit(&request(""), Version::V2, MAX_LIMIT).unwrap(), 100);
        assert_eq!(
            limit(&request("limit=0"), Version::V1, MAX_LIMIT)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn v2_rejects_numeric_booleans() {
        assert_eq!(
            bool_param(&request("x=1"), "x", Version::V1).unwrap(),
            Some(true)
        );
        assert!(bool_param(&request("x=1"), "x", Version::V2).is_err());
        assert_eq!(
            bool_param(&request("x=true"), "x", Version::V2).unwrap(),
            Some(true)
        );
    }

    #[test]
    fn offset_pages_report_more_items() {
        let (page, pagination) = offset_page(0..5, &request("start=2&limit=2"), MAX_LIMIT).unwrap();
        assert_eq!(page, vec![2, 3]);
        assert_eq!(
            (pagination.more_items_in_collection, pagination.next_start),
            (true, Some(4))
        );
        let (page, pagination) = offset_page(0..5, &request("start=4&limit=2"), MAX_LIMIT).unwrap();
        assert_eq!(page, vec![4]);
        assert_eq!(
            (pagination.more_items_in_collection, pagination.next_start),
            (false, None)
        );
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            field: "id".into(),
            field_value: 7,
            sort_direction: "asc".into(),
            id: 7,
        };
        let json = serde_json::to_string(&cursor).unwrap();
        let hex: String = json.bytes().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(cursor.encode(), hex);
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("zz"), None);
        assert_eq!(Cursor::decode("abc"), None);
    }

    #[test]
    fn bodies_follow_each_versions_typing() {
        let v1 = Body {
            map: serde_json::json!({"owner_id": "7", "visible_to": "3", "done": 1})
                .as_object()
                .unwrap()
                .clone(),
            version: Version::V1,
        };
        assert_eq!(v1.id("owner_id").unwrap(), Some(Some(7)));
        assert_eq!(v1.visibility().unwrap(), Some(3));
        assert_eq!(v1.boolean("done").unwrap(), Some(true));
        for lax in ["NaN", "inf", "-infinity"] {
            let body = Body {
                map: serde_json::json!({"value": lax})
                    .as_object()
                    .unwrap()
                    .clone(),
                version: Version::V1,
            };
            assert!(body.number("value").is_err(), "{lax}");
        }
        let v2 = Body {
            version: Version::V2,
            ..v1
        };
        assert!(v2.id("owner_id").is_err());
        assert!(v2.visibility().is_err());
        assert!(v2.boolean("done").is_err());
    }
}
