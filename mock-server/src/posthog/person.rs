//! One person as PostHog stores it, and the rules that read it: display name, anonymous and
//! illegal distinct ids, deterministic UUIDs.

use uuid::Uuid;

use super::properties::{Prop, Properties};

/// The namespace of PostHog's deterministic person UUIDs.
const PERSON_NAMESPACE: Uuid = Uuid::from_u128(0x9329_79b4_65c3_4424_8467_0b66_ec27_bc22);

/// Property keys whose first truthy value is a person's name (PostHog's newest default).
const NAME_PROPERTIES: [&str; 3] = ["email", "name", "username"];

/// A person of a project.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// The numeric primary key.
    pub pk: i64,
    /// The UUID.
    pub uuid: Uuid,
    /// Time of its first event, in microseconds.
    pub created_at: i64,
    /// Its properties (their texts interned by the project's person store).
    pub properties: Properties,
    /// Whether an identify, alias or merge touched it.
    pub is_identified: bool,
    /// Its distinct ids with their row ids (insertion order across the project).
    pub distinct_ids: Vec<(u64, String)>,
    /// The hour of its latest event, when the project tracks it (reference §3.7).
    pub last_seen_at: Option<i64>,
}

impl Person {
    /// The distinct ids in storage order (what the list shows).
    pub fn stored_distinct_ids(&self) -> impl Iterator<Item = &str> {
        self.distinct_ids.iter().map(|(_, id)| id.as_str())
    }

    /// The distinct ids with non-anonymous ones first, otherwise in storage order (what
    /// retrieve, batch and properties_at_time show).
    pub fn sorted_distinct_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.stored_distinct_ids().collect();
        ids.sort_by_key(|id| is_anonymous(id));
        ids
    }

    /// The display name: the first truthy of the `names` properties (the project's
    /// `person_display_name_properties`; empty: `email`, `name`, `username`); else the first
    /// non-anonymous distinct id (anonymous ones last); else the numeric id.
    pub fn name(&self, names: &[String]) -> String {
        let from_property = if names.is_empty() {
            self.first_truthy(NAME_PROPERTIES)
        } else {
            self.first_truthy(names.iter().map(String::as_str))
        };
        match from_property {
            Some(value) => value.text().into_owned(),
            None => self
                .sorted_distinct_ids()
                .first()
                .map_or_else(|| self.pk.to_string(), |id| (*id).to_owned()),
        }
    }
}

impl Person {
    /// The first truthy value among `keys`' properties.
    fn first_truthy<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> Option<&Prop> {
        keys.into_iter()
            .filter_map(|key| self.properties.get(key))
            .find(|value| is_truthy(value))
    }
}

/// The UUID PostHog gives the person first seen as `distinct_id` in `team`.
pub fn person_uuid(team: i64, distinct_id: &str) -> Uuid {
    Uuid::new_v5(
        &PERSON_NAMESPACE,
        format!("{team}:{distinct_id}").as_bytes(),
    )
}

/// Python truthiness of a JSON value.
fn is_truthy(value: &Prop) -> bool {
    match value {
        Prop::Null => false,
        Prop::Bool(flag) => *flag,
        Prop::PosInt(n) => *n != 0,
        Prop::NegInt(_) => true,
        Prop::Float(n) => *n != 0.0,
        Prop::Str(text) => !text.is_empty(),
        Prop::Array(items) => !items.is_empty(),
        Prop::Object(map) => !map.is_empty(),
    }
}

/// Whether `id` looks anonymous (UUID-like): five lower-case alphanumeric groups joined by
/// four hyphens (`^([a-z0-9]+\-){4}([a-z0-9]+)$`).
pub fn is_anonymous(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups.iter().all(|group| {
            !group.is_empty()
                && group
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        })
}

/// Whether `id` may not take part in a merge (`cannot_merge_with_illegal_distinct_id`).
pub fn is_illegal_merge_id(id: &str) -> bool {
    const CASE_INSENSITIVE: [&str; 10] = [
        "anonymous",
        "guest",
        "distinctid",
        "distinct_id",
        "id",
        "not_authenticated",
        "email",
        "undefined",
        "true",
        "false",
    ];
    const CASE_SENSITIVE: [&str; 7] = [
        "[object Object]",
        "NaN",
        "None",
        "none",
        "null",
        "0",
        "undefined",
    ];
    let trimmed = id.trim();
    if trimmed.is_empty() {
        return true;
    }
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|quote| trimmed.strip_prefix(*quote)?.strip_suffix(*quote))
        .unwrap_or(trimmed);
    CASE_INSENSITIVE
        .iter()
        .any(|word| unquoted.eq_ignore_ascii_case(word))
        || CASE_SENSITIVE.contains(&unquoted)
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::Value;

    use super::*;

    /// A person with `properties` (a JSON object) and distinct ids `ids`, for unit tests.
    pub(crate) fn person(properties: Value, ids: &[&str]) -> Person {
        Person {
            pk: 7,
            uuid: Uuid::nil(),
            created_at: 0,
            properties: serde_json::from_value(properties).unwrap(),
            is_identified: false,
            distinct_ids: ids
                .iter()
                .enumerate()
                .map(|(row, id)| (row as u64, (*id).to_owned()))
                .collect(),
            last_seen_at: None,
        }
    }

    #[test]
    fn uuids_are_posthogs_uuid5() {
        assert_eq!(person_uuid(1, "a"), person_uuid(1, "a"));
        assert_ne!(person_uuid(1, "a"), person_uuid(2, "a"));
        assert_eq!(person_uuid(1, "a").get_version_num(), 5);
    }

    #[test]
    fn names_prefer_properties_then_non_anonymous_ids() {
        let anon = "0190f2c4-1a2b-7c3d-8e4f-123456789abc";
        assert_eq!(
            person(serde_json::json!({"name": "Ann", "email": ""}), &[anon]).name(&[]),
            "Ann"
        );
        assert_eq!(
            person(serde_json::json!({}), &[anon, "user-1"]).name(&[]),
            "user-1"
        );
        assert_eq!(person(serde_json::json!({}), &[]).name(&[]), "7");
        assert_eq!(
            person(serde_json::json!({}), &[anon, "u"]).sorted_distinct_ids(),
            vec!["u", anon]
        );
    }

    #[test]
    fn anonymous_and_illegal_ids() {
        assert!(is_anonymous("0190f2c4-1a2b-7c3d-8e4f-123456789abc"));
        assert!(!is_anonymous("distinct_id1"));
        assert!(!is_anonymous("0190F2C4-1a2b-7c3d-8e4f-123456789abc"));
        for id in ["", "  ", "Anonymous", "'null'", "\"undefined\"", "0", "NaN"] {
            assert!(is_illegal_merge_id(id), "{id:?}");
        }
        assert!(!is_illegal_merge_id("NULL-user") && !is_illegal_merge_id("Null"));
    }
}
