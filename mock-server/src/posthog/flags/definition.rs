//! A flag's `filters`, checked the way PostHog's serializer checks them and compiled into the
//! [`Rules`] evaluation reads: condition groups in stored order, each a list of property
//! filters with its operator parsed (regexes compiled, values lower-cased once), the variants
//! and the payloads.

use std::fmt;

use fancy_regex::Regex;
use serde_json::{Map, Value};

use super::operator::Operator;

/// The flags service's backtrack limit for regex filters (a match that needs more steps fails).
const REGEX_BACKTRACK_LIMIT: usize = 10_000;

/// Longest key PostHog stores.
const MAX_KEY_CHARS: usize = 400;

/// Why a flag write was refused: the 400 body PostHog answers (`validation_error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError {
    /// DRF's code (`unique`, `invalid_key`, `invalid_input`, …).
    pub code: &'static str,
    /// The field at fault (`key`, `filters`, …).
    pub attr: &'static str,
    /// PostHog's text.
    pub detail: String,
}

impl FlagError {
    fn filters(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            attr: "filters",
            detail: detail.into(),
        }
    }

    /// The key is held by another live flag of the project.
    pub fn key_taken() -> Self {
        Self {
            code: "unique",
            attr: "key",
            detail: "There is already a feature flag with this key.".to_owned(),
        }
    }
}

impl fmt::Display for FlagError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.attr, self.detail)
    }
}

/// What a property filter reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A person property.
    Person,
    /// Membership of a cohort (`value` is its id).
    Cohort(i64),
    /// Another flag's value (`key` is its id).
    Flag(i64),
    /// A property of the group of this type index.
    Group(i64),
}

/// One property filter of a condition.
#[derive(Clone, Debug)]
pub struct PropertyFilter {
    /// The property (or flag id) it reads.
    pub key: String,
    /// What it reads.
    pub target: Target,
    /// How it compares.
    pub operator: Operator,
    /// The filter's value, as stored.
    pub value: Value,
    /// The value's text (each item's for a list), lower-cased: as Unicode does for `exact` and
    /// `is_not`, ASCII only for the string operators.
    pub lowered: Vec<String>,
    /// The compiled pattern of a `regex`/`not_regex` filter (`None` when invalid): a
    /// `fancy_regex` one, as the flags service compiles (lookaround and backreferences work),
    /// with its backtrack limit.
    pub regex: Option<Regex>,
    /// A flag filter's `negation` (a cohort filter's is kept but not read: the flags service
    /// ignores it on a flag's cohort filters).
    pub negation: bool,
}

/// One condition set (`filters.groups[i]`).
#[derive(Clone, Debug)]
pub struct Condition {
    /// Its filters, all of which must match.
    pub properties: Vec<PropertyFilter>,
    /// Its rollout in percent (`None`: 100).
    pub rollout: Option<f64>,
    /// Its variant override, when that names a declared variant.
    pub variant: Option<String>,
    /// The group type it aggregates by (its own, else the flag's).
    pub aggregation: Option<i64>,
}

/// A declared variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Its key.
    pub key: String,
    /// Its share in percent.
    pub rollout: f64,
}

/// A holdout (`filters.holdout`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Holdout {
    /// Its id (the value is `holdout-{id}`).
    pub id: i64,
    /// Its exclusion percentage, clamped to 0–100.
    pub percentage: f64,
}

/// A flag's compiled `filters`.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// Condition sets, in stored order.
    pub conditions: Vec<Condition>,
    /// Variants, in stored order (empty for a boolean flag).
    pub variants: Vec<Variant>,
    /// Payload texts by `"true"` or variant key.
    pub payloads: Map<String, Value>,
    /// A holdout applied before the conditions.
    pub holdout: Option<Holdout>,
    /// Whether `$feature_enrollment/{key}` decides first (early access).
    pub feature_enrollment: bool,
    /// Whether a condition whose properties match but whose rollout misses ends evaluation.
    pub early_exit: bool,
    /// The flag-level group type it aggregates by (`None`: persons).
    pub aggregation: Option<i64>,
}

/// Checks a flag key: PostHog's characters and length.
pub fn check_key(key: &str) -> Result<(), FlagError> {
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(FlagError {
            code: "max_length",
            attr: "key",
            detail: format!("Ensure this field has no more than {MAX_KEY_CHARS} characters."),
        });
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        return Err(FlagError {
            code: "invalid_key",
            attr: "key",
            detail: "Only letters, numbers, hyphens (-) & underscores (_) are allowed.".to_owned(),
        });
    }
    Ok(())
}

/// Normalises the payloads of `filters` in place as PostHog stores them (an object or other
/// non-string value becomes its JSON text, a string must itself be JSON) and checks their keys.
pub fn normalise_payloads(filters: &mut Value) -> Result<(), FlagError> {
    let variant_keys: Vec<String> = variants(filters)?
        .into_iter()
        .map(|variant| variant.key)
        .collect();
    let Some(Value::Object(payloads)) = filters.get_mut("payloads") else {
        return Ok(());
    };
    for (key, payload) in payloads.iter_mut() {
        let known = if variant_keys.is_empty() {
            key == "true" || key.starts_with("holdout-")
        } else {
            variant_keys.contains(key) || key.starts_with("holdout-")
        };
        if !known {
            let detail = if variant_keys.is_empty() {
                "Payload keys must be 'true' for boolean flags"
            } else {
                "Payload keys must match a variant key for multivariate flags"
            };
            return Err(FlagError::filters("invalid_input", detail));
        }
        match payload {
            Value::String(text) => {
                if serde_json::from_str::<Value>(text).is_err() {
                    return Err(FlagError::filters(
                        "invalid_input",
                        "Payload value is not valid JSON",
                    ));
                }
            }
            Value::Null => {}
            other => *other = Value::String(python_json(other)),
        }
    }
    payloads.retain(|_, payload| !payload.is_null());
    Ok(())
}

/// JSON text with Python's `json.dumps` separators (`", "` and `": "`).
fn python_json(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_json).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(key, value)| {
                    format!("{}: {}", Value::from(key.as_str()), python_json(value))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// Compiles `filters` (already normalised), checking them as PostHog's serializer does;
/// `cohort_exists` answers whether a cohort id names one of the project's cohorts.
pub fn compile(filters: &Value, cohort_exists: impl Fn(i64) -> bool) -> Result<Rules, FlagError> {
    let empty = Map::new();
    let object = filters.as_object().unwrap_or(&empty);
    let variants = variants(filters)?;
    let aggregation = object
        .get("aggregation_group_type_index")
        .and_then(Value::as_i64);
    let conditions = match object.get("groups") {
        Some(Value::Array(groups)) => groups
            .iter()
            .enumerate()
            .map(|(index, group)| condition(index, group, aggregation, &variants, &cohort_exists))
            .collect::<Result<Vec<_>, _>>()?,
        _ => vec![legacy_condition(object, aggregation, &cohort_exists)?],
    };
    let holdout = object.get("holdout").and_then(|holdout| {
        Some(Holdout {
            id: holdout.get("id")?.as_i64()?,
            percentage: holdout
                .get("exclusion_percentage")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .clamp(0.0, 100.0),
        })
    });
    Ok(Rules {
        conditions,
        variants,
        payloads: object
            .get("payloads")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        holdout,
        feature_enrollment: object.get("feature_enrollment") == Some(&Value::Bool(true)),
        early_exit: object.get("early_exit") == Some(&Value::Bool(true)),
        aggregation,
    })
}

/// Whether `filters` has at least one condition set (a created flag must).
pub fn has_groups(filters: &Value) -> bool {
    filters
        .get("groups")
        .and_then(Value::as_array)
        .is_some_and(|groups| !groups.is_empty())
}

/// The declared variants; their shares must sum to 100.
fn variants(filters: &Value) -> Result<Vec<Variant>, FlagError> {
    let Some(list) = filters
        .get("multivariate")
        .and_then(|multivariate| multivariate.get("variants"))
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    let variants: Vec<Variant> = list
        .iter()
        .enumerate()
        .map(|(index, variant)| {
            let path = format!("multivariate.variants[{index}]");
            let Some(Value::String(key)) = variant.get("key") else {
                return Err(FlagError::filters(
                    "invalid_input",
                    format!("{path}.key must be a string"),
                ));
            };
            let rollout = percentage(variant.get("rollout_percentage"), &path, false)?;
            Ok(Variant {
                key: key.clone(),
                rollout: rollout.unwrap_or_default(),
            })
        })
        .collect::<Result<_, _>>()?;
    let total: f64 = variants.iter().map(|variant| variant.rollout).sum();
    if !variants.is_empty() && (total - 100.0).abs() > 1e-9 {
        return Err(FlagError::filters(
            "invalid_input",
            "Invalid variant definitions: Variant rollout percentages must sum to 100.",
        ));
    }
    Ok(variants)
}

/// A filters object without `groups`: its `properties` under one condition for everyone.
fn legacy_condition(
    object: &Map<String, Value>,
    aggregation: Option<i64>,
    cohort_exists: &impl Fn(i64) -> bool,
) -> Result<Condition, FlagError> {
    let properties = properties(object.get("properties"), aggregation, cohort_exists)?;
    Ok(Condition {
        properties,
        rollout: None,
        variant: None,
        aggregation,
    })
}

fn condition(
    index: usize,
    group: &Value,
    flag_aggregation: Option<i64>,
    variants: &[Variant],
    cohort_exists: &impl Fn(i64) -> bool,
) -> Result<Condition, FlagError> {
    let path = format!("groups[{index}]");
    let rollout = percentage(group.get("rollout_percentage"), &path, true)?;
    let aggregation = match group.get("aggregation_group_type_index") {
        Some(Value::Number(index)) => index.as_i64(),
        _ => flag_aggregation,
    };
    let listed = group.get("properties");
    if listed.is_some_and(|listed| !listed.is_array() && !listed.is_null()) {
        return Err(FlagError::filters(
            "invalid_input",
            format!("{path}.properties must be a list"),
        ));
    }
    let properties = properties(listed, aggregation, cohort_exists)?;
    let variant = match group.get("variant") {
        Some(Value::String(variant)) => {
            if !variants.iter().any(|declared| declared.key == *variant) {
                return Err(FlagError::filters(
                    "invalid_input",
                    "Filters are not valid (variant override does not exist)",
                ));
            }
            Some(variant.clone())
        }
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(FlagError::filters(
                "invalid_input",
                format!(
                    "{path}.variant must be a string or null, got {}",
                    python_type(other)
                ),
            ));
        }
    };
    Ok(Condition {
        properties,
        rollout,
        variant,
        aggregation,
    })
}

/// The `rollout_percentage` at `path` as PostHog's `validate_filters` checks it: a number
/// (not a boolean) from 0 to 100, or, where `nullable`, null or absent (`None`).
fn percentage(value: Option<&Value>, path: &str, nullable: bool) -> Result<Option<f64>, FlagError> {
    let path = format!("{path}.rollout_percentage");
    let invalid = |detail: String| FlagError::filters("invalid_input", detail);
    match value {
        None | Some(Value::Null) if nullable => Ok(None),
        None | Some(Value::Null) => Err(invalid(format!("{path} must be a number, got null"))),
        Some(Value::Number(number)) => {
            let percentage = number.as_f64().unwrap_or(f64::NAN);
            if (0.0..=100.0).contains(&percentage) {
                Ok(Some(percentage))
            } else {
                Err(invalid(format!(
                    "{path} must be between 0 and 100, got {number}"
                )))
            }
        }
        Some(other) => {
            let expected = if nullable {
                "a number or null"
            } else {
                "a number"
            };
            Err(invalid(format!(
                "{path} must be {expected}, got {}",
                python_type(other)
            )))
        }
    }
}

/// The name Python gives a JSON value's type (`type(value).__name__`), as PostHog's and
/// DRF's error texts show it.
pub fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The property filters of a condition (`properties`: its list, if any).
fn properties(
    properties: Option<&Value>,
    aggregation: Option<i64>,
    cohort_exists: &impl Fn(i64) -> bool,
) -> Result<Vec<PropertyFilter>, FlagError> {
    match properties {
        Some(Value::Array(filters)) => filters
            .iter()
            .map(|filter| property(filter, aggregation, cohort_exists))
            .collect(),
        _ => Ok(Vec::new()),
    }
}

fn property(
    filter: &Value,
    aggregation: Option<i64>,
    cohort_exists: &impl Fn(i64) -> bool,
) -> Result<PropertyFilter, FlagError> {
    let key = match filter.get("key") {
        Some(Value::String(key)) => key.clone(),
        Some(Value::Number(key)) => key.to_string(),
        _ => String::new(),
    };
    let value = filter.get("value").cloned().unwrap_or(Value::Null);
    let kind = filter
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("person");
    // A filter without an operator is `exact`, a cohort filter's `in` (as the flags service
    // reads one).
    let operator_name = filter
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or(if kind == "cohort" { "in" } else { "exact" });
    let operator = Operator::parse(operator_name).ok_or_else(|| {
        FlagError::filters(
            "invalid_operator",
            format!("Invalid operator: {operator_name}"),
        )
    })?;
    let target = match (kind, aggregation) {
        ("group", Some(index)) => {
            let own = filter.get("group_type_index").and_then(Value::as_i64);
            if own.is_some_and(|own| own != index) {
                return Err(group_only());
            }
            Target::Group(index)
        }
        (_, Some(_)) => return Err(group_only()),
        ("person", None) => Target::Person,
        ("cohort", None) => {
            let id = cohort_id(&value).ok_or_else(|| {
                FlagError::filters(
                    "cohort_does_not_exist",
                    format!("Cohort with id {value} does not exist"),
                )
            })?;
            if !cohort_exists(id) {
                return Err(FlagError::filters(
                    "cohort_does_not_exist",
                    format!("Cohort with id {id} does not exist"),
                ));
            }
            Target::Cohort(id)
        }
        ("flag", None) => {
            if operator != Operator::FlagEvaluatesTo {
                return Err(FlagError::filters(
                    "invalid_input",
                    "Flag properties must use the 'flag_evaluates_to' operator",
                ));
            }
            Target::Flag(key.parse().unwrap_or(-1))
        }
        _ => {
            return Err(FlagError::filters(
                "invalid_input",
                "Filters are not valid (can only use person, cohort, and flag properties)",
            ));
        }
    };
    if matches!(operator, Operator::In | Operator::NotIn) && !matches!(target, Target::Cohort(_)) {
        return Err(FlagError::filters(
            "invalid_operator",
            format!(
                "The '{operator_name}' operator is only valid for cohort properties, not '{kind}' properties."
            ),
        ));
    }
    if operator.needs_string() && !value.is_string() {
        return Err(FlagError::filters(
            "invalid_value",
            format!(
                "Invalid value for operator {operator_name}: {}",
                python_repr(&value)
            ),
        ));
    }
    let date_ok = value
        .as_str()
        .is_some_and(|text| super::operator::parse_filter_date(text, 0).is_some());
    if operator.is_date() && !date_ok {
        return Err(FlagError::filters(
            "invalid_date",
            format!("Invalid date value: {}", python_repr(&value)),
        ));
    }
    // `exact` lower-cases as Unicode does, the string operators ASCII only (as the server).
    let lower = |text: String| {
        if matches!(operator, Operator::Exact | Operator::IsNot) {
            text.to_lowercase()
        } else {
            text.to_ascii_lowercase()
        }
    };
    let lowered = match &value {
        Value::Array(items) => items.iter().map(|item| lower(value_text(item))).collect(),
        scalar => vec![lower(value_text(scalar))],
    };
    let regex = if matches!(operator, Operator::Regex | Operator::NotRegex) {
        fancy_regex::RegexBuilder::new(&value_text(&value))
            .backtrack_limit(REGEX_BACKTRACK_LIMIT)
            .delegate_size_limit(1 << 20)
            .build()
            .ok()
    } else {
        None
    };
    Ok(PropertyFilter {
        key,
        target,
        operator,
        value,
        lowered,
        regex,
        negation: filter.get("negation") == Some(&Value::Bool(true)),
    })
}

fn group_only() -> FlagError {
    FlagError::filters(
        "invalid_input",
        "Filters are not valid (can only use group properties)",
    )
}

/// A cohort filter's value: its id, as a number or numeric text.
fn cohort_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(id) => id.as_i64(),
        Value::String(id) => id.parse().ok(),
        _ => None,
    }
}

/// A value as PostHog's matcher reads it: a string is itself, anything else its JSON text.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A value as Python's `repr` shows it in an error detail.
fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(key, value)| format!("'{key}': {}", python_repr(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}
