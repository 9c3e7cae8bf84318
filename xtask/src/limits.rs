//! The limits a spec states (`minimum`, `maximum`, `minLength`, `maxLength`, `pattern`,
//! `minItems`, `maxItems`) become documentation before progenitor sees the document.
//!
//! The specs state them for their readers and for validators (schemathesis checks the mock
//! against them), but progenitor would turn them into types: `minimum: 1` makes a
//! `NonZeroU64` that an integer literal cannot be passed as, a string limit makes a newtype.
//! So each is removed from its schema and written into the description the generated code
//! shows: a parameter's own description (the operation's doc comment lists it), else the
//! schema's (a field's doc comment).

use serde_json::{Map, Value};

/// The limit keywords, with how each reads in a description.
const LIMITS: [(&str, &str, &str); 7] = [
    ("minimum", "at least ", ""),
    ("maximum", "at most ", ""),
    ("minLength", "at least ", " characters"),
    ("maxLength", "at most ", " characters"),
    ("minItems", "at least ", " items"),
    ("maxItems", "at most ", " items"),
    ("pattern", "matching `", "`"),
];

/// Moves every limit of `document` into a description (see the module docs).
pub fn document(document: &mut Value) {
    match document {
        Value::Object(map) => {
            let parameter = map.get("in").is_some_and(Value::is_string);
            let limits = match map.get_mut("schema") {
                Some(Value::Object(schema)) if parameter => take(schema),
                _ => take(map),
            };
            describe(map, limits);
            map.values_mut().for_each(self::document);
        }
        Value::Array(items) => items.iter_mut().for_each(self::document),
        _ => {}
    }
}

/// Removes the limit keywords of `schema` (a keyword has a number or, for `pattern`, a string;
/// a property that happens to be called `pattern` is a schema object and stays); returns
/// them in words.
fn take(schema: &mut Map<String, Value>) -> Vec<String> {
    LIMITS
        .iter()
        .filter_map(|(keyword, before, after)| {
            let text = match schema.get(*keyword)? {
                Value::Number(number) => number.to_string(),
                Value::String(text) if *keyword == "pattern" => text.clone(),
                _ => return None,
            };
            schema.remove(*keyword);
            let after = if text == "1" {
                after.trim_end_matches('s')
            } else {
                after
            };
            Some(format!("{before}{text}{after}"))
        })
        .collect()
}

/// Appends `Limits: …` to the description of `object`.
fn describe(object: &mut Map<String, Value>, limits: Vec<String>) {
    if limits.is_empty() {
        return;
    }
    let sentence = format!("Limits: {}.", limits.join(", "));
    let description = match object.get("description").and_then(Value::as_str) {
        Some(text) => format!("{} {sentence}", text.trim_end()),
        None => sentence,
    };
    object.insert("description".into(), description.into());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_parameters_limits_join_its_description() {
        let mut spec = json!({"parameters": [{"name": "first", "in": "query", "description": "How many.", "schema": {"type": "integer", "minimum": 1, "maximum": 101}}]});
        document(&mut spec);
        assert_eq!(
            spec,
            json!({"parameters": [{"name": "first", "in": "query", "description": "How many. Limits: at least 1, at most 101.", "schema": {"type": "integer"}}]})
        );
    }

    #[test]
    fn a_schemas_limits_join_its_own_description() {
        let mut spec = json!({"properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "id": {"type": "string", "pattern": "^[0-9]+$", "description": "Digits."},
            "pattern": {"type": "string"}
        }});
        document(&mut spec);
        assert_eq!(
            spec,
            json!({"properties": {
                "name": {"type": "string", "description": "Limits: at least 1 character, at most 255 characters."},
                "id": {"type": "string", "description": "Digits. Limits: matching `^[0-9]+$`."},
                "pattern": {"type": "string"}
            }})
        );
    }
}
