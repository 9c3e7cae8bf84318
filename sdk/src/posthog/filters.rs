//! A typed builder for the list's `properties` parameter: a JSON array of person property
//! filters, all of which must hold.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::generated::types::PropertyOperator;

/// One person property filter, `{"key", "value", "operator", "type"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyFilter {
    /// The property key (or the cohort id for cohort filters).
    pub key: String,
    /// The value compared against; absent for `is_set` / `is_not_set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The comparison.
    pub operator: PropertyOperator,
    /// `person`, or `cohort` for cohort membership.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// Person property filters, ANDed, rendered as the JSON the list's `properties` expects.
///
/// ```
/// use persons_sdk::posthog::PropertyFilters;
///
/// let filters = PropertyFilters::new().exact("plan", "pro").gte("age", 18).is_set("email");
/// assert!(filters.to_string().starts_with(r#"[{"key":"plan","value":"pro","operator":"exact""#));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropertyFilters {
    filters: Vec<PropertyFilter>,
}

impl PropertyFilters {
    /// No filter (every person matches).
    pub fn new() -> Self {
        Self::default()
    }

    /// The filters added so far.
    pub fn filters(&self) -> &[PropertyFilter] {
        &self.filters
    }

    /// Adds a person filter `key operator value`.
    pub fn with(mut self, key: &str, operator: PropertyOperator, value: Option<Value>) -> Self {
        self.filters.push(PropertyFilter {
            key: key.to_owned(),
            value,
            operator,
            kind: "person",
        });
        self
    }

    /// `key` equals `value` (a list value means any of them).
    pub fn exact(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Exact, Some(value.into()))
    }

    /// `key` differs from `value`, or is missing.
    pub fn is_not(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::IsNot, Some(value.into()))
    }

    /// `key`, as text, contains `value` case-insensitively.
    pub fn icontains(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Icontains, Some(value.into()))
    }

    /// `key`, as text, does not contain `value` case-insensitively (or is missing).
    pub fn not_icontains(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::NotIcontains, Some(value.into()))
    }

    /// `key`, as text, matches the regular expression `pattern` anywhere.
    pub fn regex(self, key: &str, pattern: &str) -> Self {
        self.with(key, PropertyOperator::Regex, Some(pattern.into()))
    }

    /// `key`, as text, does not match `pattern` (or is missing).
    pub fn not_regex(self, key: &str, pattern: &str) -> Self {
        self.with(key, PropertyOperator::NotRegex, Some(pattern.into()))
    }

    /// `key` > `value`.
    pub fn gt(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Gt, Some(value.into()))
    }

    /// `key` >= `value`.
    pub fn gte(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Gte, Some(value.into()))
    }

    /// `key` < `value`.
    pub fn lt(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Lt, Some(value.into()))
    }

    /// `key` <= `value`.
    pub fn lte(self, key: &str, value: impl Into<Value>) -> Self {
        self.with(key, PropertyOperator::Lte, Some(value.into()))
    }

    /// `key` lies in `[min, max]`.
    pub fn between(self, key: &str, min: f64, max: f64) -> Self {
        self.with(
            key,
            PropertyOperator::Between,
            Some(serde_json::json!([min, max])),
        )
    }

    /// `key` lies outside `[min, max]` (or is missing).
    pub fn not_between(self, key: &str, min: f64, max: f64) -> Self {
        self.with(
            key,
            PropertyOperator::NotBetween,
            Some(serde_json::json!([min, max])),
        )
    }

    /// `key` is present and not null.
    pub fn is_set(self, key: &str) -> Self {
        self.with(key, PropertyOperator::IsSet, Some("is_set".into()))
    }

    /// `key` is absent or null.
    pub fn is_not_set(self, key: &str) -> Self {
        self.with(key, PropertyOperator::IsNotSet, Some("is_not_set".into()))
    }

    /// `key`, a date, falls on the same day as `date` (`YYYY-MM-DD…`).
    pub fn is_date_exact(self, key: &str, date: &str) -> Self {
        self.with(key, PropertyOperator::IsDateExact, Some(date.into()))
    }

    /// `key`, a date, is before `date`.
    pub fn is_date_before(self, key: &str, date: &str) -> Self {
        self.with(key, PropertyOperator::IsDateBefore, Some(date.into()))
    }

    /// `key`, a date, is after `date`.
    pub fn is_date_after(self, key: &str, date: &str) -> Self {
        self.with(key, PropertyOperator::IsDateAfter, Some(date.into()))
    }

    /// The person belongs to cohort `cohort_id`.
    pub fn in_cohort(self, cohort_id: i64) -> Self {
        self.cohort(cohort_id, PropertyOperator::In)
    }

    /// The person does not belong to cohort `cohort_id`.
    pub fn not_in_cohort(self, cohort_id: i64) -> Self {
        self.cohort(cohort_id, PropertyOperator::NotIn)
    }

    fn cohort(mut self, cohort_id: i64, operator: PropertyOperator) -> Self {
        self.filters.push(PropertyFilter {
            key: "id".to_owned(),
            value: Some(cohort_id.into()),
            operator,
            kind: "cohort",
        });
        self
    }
}

impl fmt::Display for PropertyFilters {
    /// The JSON array, as sent in the `properties` query parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(&self.filters).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_posthogs_filter_json() {
        let filters = PropertyFilters::new()
            .exact("plan", serde_json::json!(["pro", "team"]))
            .is_not_set("deleted")
            .between("age", 18.0, 30.0)
            .in_cohort(3);
        assert_eq!(
            serde_json::from_str::<Value>(&filters.to_string()).unwrap(),
            serde_json::json!([
                {"key": "plan", "value": ["pro", "team"], "operator": "exact", "type": "person"},
                {"key": "deleted", "value": "is_not_set", "operator": "is_not_set", "type": "person"},
                {"key": "age", "value": [18.0, 30.0], "operator": "between", "type": "person"},
                {"key": "id", "value": 3, "operator": "in", "type": "cohort"}
            ])
        );
        assert_eq!(PropertyFilters::new().to_string(), "[]");
    }
}
