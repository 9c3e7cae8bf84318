//! The project's groups as flags read them: the group type mapping (index → name, in order of
//! first appearance, at most five, as PostHog assigns them from `$groups` and
//! `$groupidentify`) and each group's properties (`$group_set` of `$groupidentify`).

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use super::super::properties::{Prop, Properties};

/// How many group types a project may have.
const MAX_GROUP_TYPES: usize = 5;

/// Group types and group properties, projected from captured events.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    types: Vec<String>,
    properties: FxHashMap<(usize, String), Map<String, Value>>,
}

impl Groups {
    /// The group type names, by index.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The stored properties of group `key` of type `index`.
    pub fn properties(&self, index: usize, key: &str) -> Option<&Map<String, Value>> {
        self.properties.get(&(index, key.to_owned()))
    }

    /// Takes what a captured event with `properties` says about groups; whether a new group
    /// type appeared.
    pub fn ingest(&mut self, name: &str, properties: &Properties) -> bool {
        let mut added = false;
        if let Some(Prop::Object(groups)) = properties.get("$groups") {
            for (group_type, _) in groups.iter() {
                added |= self.index_of(group_type).1;
            }
        }
        if name != "$groupidentify" {
            return added;
        }
        let (Some(Prop::Str(group_type)), Some(key)) =
            (properties.get("$group_type"), properties.get("$group_key"))
        else {
            return added;
        };
        let (index, new) = self.index_of(group_type);
        if let (Some(index), Some(key)) = (index, group_key(&key.to_value())) {
            let stored = self.properties.entry((index, key)).or_default();
            if let Some(Prop::Object(set)) = properties.get("$group_set") {
                stored.extend(set.to_map());
            }
        }
        added | new
    }

    /// The index of `group_type`, assigned when new and there is room; whether it is new.
    fn index_of(&mut self, group_type: &str) -> (Option<usize>, bool) {
        if let Some(index) = self.types.iter().position(|known| known == group_type) {
            return (Some(index), false);
        }
        if self.types.len() >= MAX_GROUP_TYPES {
            return (None, false);
        }
        self.types.push(group_type.to_owned());
        (Some(self.types.len() - 1), true)
    }
}

/// A group key as PostHog hashes it: text as is, a number as its decimal text; `None` for
/// anything else.
pub fn group_key(value: &Value) -> Option<String> {
    match value {
        Value::String(key) => Some(key.clone()),
        Value::Number(key) => Some(key.to_string()),
        _ => None,
    }
}
