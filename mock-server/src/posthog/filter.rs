//! The list's `properties` parameter: a JSON array of person (or cohort) property filters,
//! ANDed, evaluated with PostHog's HogQL semantics (negative operators match missing keys).

use regex::Regex;
use serde_json::Value;

use super::error::PostHogError;
use super::person::Person;
use super::properties::{Prop, Properties};
use super::tenant::{PersonIndex, Project, value_text};
use super::time;

/// A comparison of one property filter.
#[derive(Clone, Debug)]
enum Test {
    /// Equal to any of the values (an empty list matches everything).
    Exact(Vec<Value>),
    /// Equal to none of the values.
    IsNot(Vec<Value>),
    /// Contains any of the values, case-insensitively.
    IContains(Vec<String>),
    /// Contains none of the values.
    NotIContains(Vec<String>),
    /// Matches the pattern anywhere.
    Regex(Regex),
    /// Does not match.
    NotRegex(Regex),
    /// Ordered comparison.
    Compare(Order, Value),
    /// Present and not null.
    IsSet,
    /// Absent or null.
    IsNotSet,
    /// Date comparison.
    Date(Order, i64),
    /// Within `[min, max]`.
    Between(f64, f64),
    /// Outside `[min, max]`.
    NotBetween(f64, f64),
    /// Matches nothing: a `regex`/`not_regex` whose pattern does not compile.
    Never,
}

/// Which ordered comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl Order {
    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        matches!(
            (self, ordering),
            (Order::Gt, Greater)
                | (Order::Gte, Greater | Equal)
                | (Order::Lt, Less)
                | (Order::Lte, Less | Equal)
                | (Order::Eq, Equal)
        )
    }
}

/// One filter.
#[derive(Clone, Debug)]
enum Filter {
    /// A person property test.
    Property { key: String, test: Test },
    /// Membership (or not) of a cohort.
    Cohort { id: i64, member: bool },
}

/// Parsed `properties` filters, all of which must hold.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    filters: Vec<Filter>,
}

impl Filters {
    /// Parses the `properties` JSON; relative dates count back from `now` (microseconds).
    /// Unparsable JSON or a non-array → `Properties are unparsable!`; a filter PostHog cannot
    /// run in person scope → a validation error. A filter without a `value` (or with a null
    /// one) is dropped, as PostHog's `Property` refuses it, unless its operator is `is_set` or
    /// `is_not_set`; a regular expression that does not compile matches nothing.
    pub fn parse(json: &str, now: i64) -> Result<Self, PostHogError> {
        let unparsable = || PostHogError::invalid("Properties are unparsable!");
        let items: Vec<Value> = serde_json::from_str(json).map_err(|_| unparsable())?;
        let filters = items
            .iter()
            .filter(|item| !lacks_value(item))
            .map(|item| parse_filter(item, now).and_then(|filter| filter.ok_or_else(unparsable)))
            .collect::<Result<_, _>>()?;
        Ok(Self { filters })
    }

    /// An `exact` filter with at least one value, which the value index can serve: its key and
    /// the value texts any of which matches.
    pub fn indexable(&self) -> Option<(&str, Vec<String>)> {
        self.filters.iter().find_map(|filter| match filter {
            Filter::Property {
                key,
                test: Test::Exact(values),
            } if !values.is_empty() => Some((
                key.as_str(),
                values
                    .iter()
                    .map(|value| value_text(value).into_owned())
                    .collect(),
            )),
            _ => None,
        })
    }

    /// Whether person `index` of `project` meets every filter.
    pub fn matches(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.filters.iter().all(|filter| match filter {
            Filter::Property { key, test } => {
                let value = person.properties.get(key).filter(|value| !value.is_null());
                test.matches(value)
            }
            Filter::Cohort { id, member } => {
                let inside = project
                    .cohort(*id)
                    .is_some_and(|cohort| cohort.members.contains(&index));
                inside == *member
            }
        })
    }

    /// The keys of the person property filters (properties_timeline's "crucial" keys).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for filter in &self.filters {
            if let Filter::Property { key, .. } = filter
                && !keys.contains(key)
            {
                keys.push(key.clone());
            }
        }
        keys
    }
}

/// Whether `item` is a filter whose operator needs a value it does not have.
fn lacks_value(item: &Value) -> bool {
    let Some(object) = item.as_object() else {
        return false;
    };
    let operator = object.get("operator").and_then(Value::as_str);
    !matches!(operator, Some("is_set" | "is_not_set"))
        && object.get("value").is_none_or(Value::is_null)
}

/// One element of the array; `Ok(None)` when it is not an object with a string key.
fn parse_filter(item: &Value, now: i64) -> Result<Option<Filter>, PostHogError> {
    let Some(object) = item.as_object() else {
        return Ok(None);
    };
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("person");
    let operator = match object.get("operator") {
        None | Some(Value::Null) => "exact",
        Some(Value::String(operator)) => operator.as_str(),
        Some(_) => return Ok(None),
    };
    let value = object.get("value").cloned().unwrap_or(Value::Null);
    match kind {
        "person" => {}
        "cohort" => {
            let id = match &value {
                Value::Number(number) => number.as_i64(),
                Value::String(text) => text.trim().parse().ok(),
                _ => None,
            }
            .ok_or_else(|| {
                PostHogError::invalid("Cohort filters need a numeric cohort id as value.")
            })?;
            let negated = object.get("negation") == Some(&Value::Bool(true));
            let member = (operator != "not_in") != negated;
            return Ok(Some(Filter::Cohort { id, member }));
        }
        other => {
            return Err(PostHogError::invalid(format!(
                "The '{other}' property filter does not work in 'person' scope"
            )));
        }
    }
    let Some(key) = object.get("key").and_then(Value::as_str) else {
        return Ok(None);
    };
    let test = parse_test(operator, value, now)?;
    Ok(Some(Filter::Property {
        key: key.to_owned(),
        test,
    }))
}

/// One property filter's key and comparison, for callers that evaluate it against a map of
/// their own (the insights' event and person properties).
#[derive(Clone, Debug)]
pub struct PropertyTest {
    /// The property key.
    pub key: String,
    test: Test,
}

impl PropertyTest {
    /// Parses a filter object's `key`, `operator` (default `exact`) and `value`; `None` when
    /// it has no string key or its operator needs a value it lacks.
    pub fn parse(item: &Value, now: i64) -> Result<Option<Self>, PostHogError> {
        let Some(object) = item.as_object() else {
            return Ok(None);
        };
        let Some(key) = object.get("key").and_then(Value::as_str) else {
            return Ok(None);
        };
        if lacks_value(item) {
            return Ok(None);
        }
        let operator = object
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or("exact");
        let value = object.get("value").cloned().unwrap_or(Value::Null);
        let test = parse_test(operator, value, now)?;
        Ok(Some(Self {
            key: key.to_owned(),
            test,
        }))
    }

    /// Whether `properties` (an event's or a person's) pass (a null value counts as
    /// missing).
    pub fn matches(&self, properties: &Properties) -> bool {
        let value = properties.get(&self.key).filter(|value| !value.is_null());
        self.test.matches(value)
    }
}

fn parse_test(operator: &str, value: Value, now: i64) -> Result<Test, PostHogError> {
    let list = |value: Value| match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let texts = |value: Value| {
        list(value)
            .iter()
            .map(|item| value_text(item).to_lowercase())
            .collect()
    };
    let pattern = |value: &Value| Regex::new(&value_text(value)).ok();
    let date = |value: &Value| {
        value
            .as_str()
            .and_then(time::parse)
            .ok_or_else(|| PostHogError::invalid(format!("{value} is not a valid date.")))
    };
    let relative = |value: &Value| match value {
        Value::String(text) => Ok(time::relative_date(text, now)),
        _ => date(value),
    };
    Ok(match operator {
        "exact" | "in" => Test::Exact(list(value)),
        "is_not" | "not_in" => Test::IsNot(list(value)),
        "icontains" => Test::IContains(texts(value)),
        "not_icontains" => Test::NotIContains(texts(value)),
        "regex" => pattern(&value).map_or(Test::Never, Test::Regex),
        "not_regex" => pattern(&value).map_or(Test::Never, Test::NotRegex),
        "gt" => Test::Compare(Order::Gt, value),
        "gte" => Test::Compare(Order::Gte, value),
        "lt" => Test::Compare(Order::Lt, value),
        "lte" => Test::Compare(Order::Lte, value),
        "is_set" => Test::IsSet,
        "is_not_set" => Test::IsNotSet,
        "is_date_exact" => Test::Date(Order::Eq, date(&value)?),
        "is_date_before" => Test::Date(Order::Lt, relative(&value)?),
        "is_date_after" => Test::Date(Order::Gt, relative(&value)?),
        "between" | "not_between" => {
            let bounds: Option<Vec<f64>> = value
                .as_array()
                .filter(|items| items.len() == 2)
                .map(|items| items.iter().filter_map(wanted_number).collect());
            let Some([min, max]) = bounds.as_deref() else {
                return Err(PostHogError::invalid(format!(
                    "{operator} requires a list of two numbers [min, max]."
                )));
            };
            if min > max {
                return Err(PostHogError::invalid(format!(
                    "{operator} requires min <= max, got [{min}, {max}]."
                )));
            }
            if operator == "between" {
                Test::Between(*min, *max)
            } else {
                Test::NotBetween(*min, *max)
            }
        }
        other => {
            return Err(PostHogError::invalid_attr(
                "operator",
                format!("\"{other}\" is not a valid choice."),
            ));
        }
    })
}

impl Test {
    /// Whether a property value (`None`: missing or null) passes.
    fn matches(&self, value: Option<&Prop>) -> bool {
        let Some(value) = value else {
            return matches!(
                self,
                Test::IsNot(_)
                    | Test::NotIContains(_)
                    | Test::NotRegex(_)
                    | Test::IsNotSet
                    | Test::NotBetween(..)
            ) || matches!(self, Test::Exact(values) if values.is_empty());
        };
        let text = value.text();
        match self {
            Test::Exact(values) => {
                values.is_empty() || values.iter().any(|want| equals(value, want))
            }
            Test::IsNot(values) => !values.iter().any(|want| equals(value, want)),
            Test::IContains(needles) => {
                let text = text.to_lowercase();
                needles.iter().any(|needle| text.contains(needle.as_str()))
            }
            Test::NotIContains(needles) => {
                let text = text.to_lowercase();
                !needles.iter().any(|needle| text.contains(needle.as_str()))
            }
            Test::Regex(regex) => regex.is_match(&text),
            Test::NotRegex(regex) => !regex.is_match(&text),
            Test::Compare(order, want) => {
                compare(value, want).is_some_and(|ordering| order.holds(ordering))
            }
            Test::IsSet => true,
            Test::IsNotSet => false,
            Test::Date(order, want) => value
                .as_str()
                .and_then(time::parse)
                .is_some_and(|at| order.holds(at.cmp(want))),
            Test::Between(min, max) => number(value).is_some_and(|n| *min <= n && n <= *max),
            Test::NotBetween(min, max) => number(value).is_none_or(|n| n < *min || *max < n),
            Test::Never => false,
        }
    }
}

/// Equality as PostHog's `exact`: compared as text, and `"true"`/`"false"` match booleans.
fn equals(value: &Prop, want: &Value) -> bool {
    value.text() == value_text(want)
}

/// Numeric when both sides are numbers (or numeric text), else by text.
/// An ordered comparison: numeric when both sides are numbers, else as text; never against a
/// list or an object (`test_broken_person_filter_never_matching`).
fn compare(value: &Prop, want: &Value) -> Option<std::cmp::Ordering> {
    if want.is_array() || want.is_object() {
        return None;
    }
    match (number(value), wanted_number(want)) {
        (Some(left), Some(right)) => left.partial_cmp(&right),
        _ => Some(value.text().cmp(&value_text(want))),
    }
}

/// A property value that is a number, or numeric text, as a float.
fn number(value: &Prop) -> Option<f64> {
    match value {
        Prop::Str(text) => numeric_text(text),
        number => number.as_f64(),
    }
}

/// A filter's value that is a number, or numeric text, as a float.
fn wanted_number(want: &Value) -> Option<f64> {
    match want {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => numeric_text(text),
        _ => None,
    }
}

fn numeric_text(text: &str) -> Option<f64> {
    text.trim().parse().ok().filter(|n: &f64| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn passes(filter: Value, value: Option<Value>) -> bool {
        let Filter::Property { test, .. } = parse_filter(&filter, 0).unwrap().unwrap() else {
            panic!("not a property filter");
        };
        test.matches(value.map(Prop::from).as_ref())
    }

    #[test]
    fn positive_operators_skip_missing_and_negative_ones_match_it() {
        for operator in [
            "exact",
            "icontains",
            "regex",
            "gt",
            "lt",
            "is_set",
            "between",
        ] {
            let value = if operator == "between" {
                json!([1, 2])
            } else {
                json!("1")
            };
            assert!(
                !passes(
                    json!({"key": "k", "operator": operator, "value": value}),
                    None
                ),
                "{operator}"
            );
        }
        for operator in [
            "is_not",
            "not_icontains",
            "not_regex",
            "is_not_set",
            "not_between",
        ] {
            let value = if operator == "not_between" {
                json!([1, 2])
            } else {
                json!("1")
            };
            assert!(
                passes(
                    json!({"key": "k", "operator": operator, "value": value}),
                    None
                ),
                "{operator}"
            );
        }
    }

    #[test]
    fn operators_compare_like_posthog() {
        assert!(passes(
            json!({"key": "k", "value": ["a", "b"]}),
            Some(json!("b"))
        ));
        assert!(passes(json!({"key": "k", "value": []}), Some(json!("z"))));
        assert!(passes(
            json!({"key": "k", "value": "true"}),
            Some(json!(true))
        ));
        assert!(passes(
            json!({"key": "k", "operator": "icontains", "value": "EXAMPLE"}),
            Some(json!("a@example.com"))
        ));
        assert!(passes(
            json!({"key": "k", "operator": "gt", "value": "9"}),
            Some(json!(10))
        ));
        assert!(passes(
            json!({"key": "k", "operator": "regex", "value": "^a.c$"}),
            Some(json!("abc"))
        ));
        assert!(passes(
            json!({"key": "k", "operator": "is_date_before", "value": "2024-01-01"}),
            Some(json!("2023-12-31T23:00:00Z"))
        ));
        assert!(!passes(
            json!({"key": "k", "operator": "not_between", "value": [1, 5]}),
            Some(json!(3))
        ));
    }

    #[test]
    fn bad_filters_are_refused() {
        assert_eq!(
            Filters::parse("{", 0).unwrap_err().detail,
            "Properties are unparsable!"
        );
        assert_eq!(
            Filters::parse(r#"{"type":"AND"}"#, 0).unwrap_err().detail,
            "Properties are unparsable!"
        );
        assert_eq!(
            Filters::parse(r#"[{"key":"k","type":"event","value":1}]"#, 0)
                .unwrap_err()
                .detail,
            "The 'event' property filter does not work in 'person' scope"
        );
        assert_eq!(
            Filters::parse(r#"[{"key":"k","operator":"between","value":[3,1]}]"#, 0)
                .unwrap_err()
                .status,
            400
        );
    }
}
