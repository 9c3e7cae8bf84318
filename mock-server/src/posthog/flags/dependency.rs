//! The checks PostHog's serializer makes on flag dependencies (`flag_evaluates_to` filters)
//! when a flag is written: every reference names a live, active flag by id, a flag never
//! depends on itself or, through others, on a flag that depends on it; a flag others depend on
//! can be neither deleted nor disabled, and a flag cannot be enabled while it depends on a
//! disabled one.

use serde_json::{Map, Value};

use super::definition::{FlagError, Target};
use super::{Flag, Flags};
use crate::posthog::error::PostHogError;

/// How many flags an error names before it counts the rest.
const NAMED: usize = 5;

/// Checks the flag filters of `filters`, written to the flag `key` (PostHog's
/// `_check_flag_circular_dependencies`); group-aggregated filters are not checked.
pub fn check_references(flags: &Flags, key: &str, filters: &Value) -> Result<(), FlagError> {
    if filters
        .get("aggregation_group_type_index")
        .is_some_and(|index| !index.is_null())
    {
        return Ok(());
    }
    let dependencies = dependencies(flags, filters)?;
    if dependencies.iter().any(|dependency| dependency == key) {
        return Err(invalid(format!(
            "Feature flag '{key}' cannot depend on itself"
        )));
    }
    for dependency in &dependencies {
        find_cycle(flags, dependency, &mut vec![key.to_owned()])?;
    }
    Ok(())
}

/// Fails when walking down from `key` (reached through `path`) comes back to a flag of `path`.
fn find_cycle(flags: &Flags, key: &str, path: &mut Vec<String>) -> Result<(), FlagError> {
    if let Some(start) = path.iter().position(|seen| seen == key) {
        let mut cycle = path[start..].to_vec();
        cycle.push(key.to_owned());
        return Err(invalid(format!(
            "Circular dependency detected: {}",
            cycle.join(" → ")
        )));
    }
    let Some(flag) = flags.live(key) else {
        return Ok(());
    };
    let below = dependencies(flags, &flag.filters)?;
    path.push(key.to_owned());
    for dependency in &below {
        find_cycle(flags, dependency, path)?;
    }
    path.pop();
    Ok(())
}

/// The keys of the flags `filters` depends on, each reference checked
/// (`_validate_flag_reference`): an integer id of a live, active flag.
fn dependencies(flags: &Flags, filters: &Value) -> Result<Vec<String>, FlagError> {
    let mut keys: Vec<String> = Vec::new();
    let properties = filters
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|group| group.get("properties").and_then(Value::as_array))
        .flatten()
        .filter(|property| property.get("type").and_then(Value::as_str) == Some("flag"));
    for property in properties {
        let Some(reference) = property.get("key").filter(|key| truthy(key)) else {
            continue;
        };
        let key = referenced_key(flags, reference)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// The key of the live, active flag `reference` names by id.
fn referenced_key(flags: &Flags, reference: &Value) -> Result<String, FlagError> {
    let id = match reference {
        Value::String(text) => text.trim().parse::<i64>().ok(),
        Value::Number(number) => number.as_i64(),
        _ => None,
    };
    let Some(id) = id else {
        let shown = match reference {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Err(invalid(format!(
            "Flag dependencies must reference flag IDs (integers), not flag keys. Invalid reference: '{shown}'"
        )));
    };
    match flags.by_id(id).filter(|flag| !flag.deleted) {
        None => Err(invalid(format!(
            "Flag dependency references non-existent flag with ID {id}"
        ))),
        Some(flag) if !flag.active => Err(invalid(format!(
            "Cannot create dependency on disabled flag '{}' (ID: {id}). Flag dependencies must reference active flags only.",
            flag.key
        ))),
        Some(flag) => Ok(flag.key.clone()),
    }
}

/// Python's truthiness of a reference (an empty text, 0, false or null is skipped).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(value) => *value,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
    }
}

/// Checks a PATCH/PUT `body` on `flag` against the flags that depend on it or that it depends
/// on: deleting or disabling a flag active flags depend on, or enabling one that depends on a
/// disabled flag, is refused (400, `attr: null`, as PostHog's `update` raises it).
pub fn check_toggle(
    flags: &Flags,
    flag: &Flag,
    body: &Map<String, Value>,
) -> Result<(), PostHogError> {
    let set = |name: &str, value: bool| body.get(name) == Some(&Value::Bool(value));
    if set("deleted", true) {
        let dependents = dependents(flags, flag);
        if !dependents.is_empty() {
            return Err(PostHogError::invalid(format!(
                "Cannot delete this feature flag because other flags depend on it: {}. Please update or delete the dependent flags first.",
                names(&dependents)
            )));
        }
    }
    if set("active", false) && flag.active {
        let dependents = dependents(flags, flag);
        if !dependents.is_empty() {
            return Err(PostHogError::invalid(format!(
                "Cannot disable this feature flag because other flags depend on it: {}. Please update or disable the dependent flags first.",
                names(&dependents)
            )));
        }
    }
    if set("active", true) && !flag.active {
        let mut disabled: Vec<&Flag> = targets(flag)
            .filter_map(|id| flags.by_id(id))
            .filter(|target| !target.deleted && !target.active)
            .collect();
        disabled.sort_by(|a, b| a.key.cmp(&b.key));
        disabled.dedup_by_key(|target| target.id);
        if !disabled.is_empty() {
            return Err(PostHogError::invalid(format!(
                "Cannot enable this feature flag because it depends on disabled flags: {}. Please enable the dependency flags first.",
                names(&disabled)
            )));
        }
    }
    Ok(())
}

/// The ids of the flags `flag`'s filters depend on.
fn targets(flag: &Flag) -> impl Iterator<Item = i64> + '_ {
    flag.rules
        .conditions
        .iter()
        .flat_map(|condition| &condition.properties)
        .filter_map(|filter| match filter.target {
            Target::Flag(id) => Some(id),
            _ => None,
        })
}

/// The live, active flags other than `flag` that depend on it, by key.
fn dependents<'f>(flags: &'f Flags, flag: &Flag) -> Vec<&'f Flag> {
    let mut dependents: Vec<&Flag> = flags
        .iter()
        .filter(|other| !other.deleted && other.active && other.id != flag.id)
        .filter(|other| targets(other).any(|id| id == flag.id))
        .collect();
    dependents.sort_by(|a, b| a.key.cmp(&b.key));
    dependents
}

/// `key (ID: id), …` for the first five, then `and N more`.
fn names(flags: &[&Flag]) -> String {
    let mut names: Vec<String> = flags
        .iter()
        .take(NAMED)
        .map(|flag| format!("{} (ID: {})", flag.key, flag.id))
        .collect();
    if flags.len() > NAMED {
        names.push(format!("and {} more", flags.len() - NAMED));
    }
    names.join(", ")
}

fn invalid(detail: String) -> FlagError {
    FlagError {
        code: "invalid_input",
        attr: "filters",
        detail,
    }
}
