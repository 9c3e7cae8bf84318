//! Typed filters and sort columns for listing Whop people.
//!
//! Whop's `filters` query parameter is a JSON-encoded array of `{"field", "operator", "value"}`
//! objects, ANDed together. [`Filters`] builds that array without hand-written JSON:
//!
//! ```
//! use persons_sdk::whop::{Filters, PersonField};
//!
//! let filters = Filters::new()
//!     .gte(PersonField::Ltv, 100)
//!     .contains(PersonField::Email, "@acme.com")
//!     .is_set(PersonField::Phone);
//! assert_eq!(
//!     filters.to_string(),
//!     r#"[{"field":"ltv","operator":"gte","value":100},{"field":"email","operator":"contains","value":"@acme.com"},{"field":"phone","operator":"is_set"}]"#
//! );
//! ```

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// A field of a person that filters can test.
///
/// The scalar fields are also the [`SortColumn`]s. The array fields (`campaigns`, `ad_sets`,
/// `ads`) match on the ids of their ad references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonField {
    /// The person's record id (`prsn_…`).
    Id,
    /// The identity the person was first seen with.
    PersonId,
    /// Display name.
    Name,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Earliest activity, a Unix timestamp.
    FirstSeenAt,
    /// Latest activity, a Unix timestamp.
    LastSeenAt,
    /// Number of purchases.
    PurchaseCount,
    /// Whether a payment failed.
    HasFailedPayment,
    /// Lifetime value in USD.
    Ltv,
    /// Average order value in USD.
    Aov,
    /// Ad campaigns linked to the person, matched on their ids.
    Campaigns,
    /// Ad sets linked to the person, matched on their ids.
    AdSets,
    /// Ads linked to the person, matched on their ids.
    Ads,
}

/// A column people can be sorted by; serialises as its wire name ([`SortColumn::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortColumn {
    /// The person's record id.
    Id,
    /// The identity the person was first seen with.
    PersonId,
    /// Display name.
    Name,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Earliest activity.
    FirstSeenAt,
    /// Latest activity (Whop's default).
    LastSeenAt,
    /// Number of purchases.
    PurchaseCount,
    /// Whether a payment failed.
    HasFailedPayment,
    /// Lifetime value.
    Ltv,
    /// Average order value.
    Aov,
}

impl SortColumn {
    /// Every column, in the order of Whop's `Person` object.
    pub const ALL: [SortColumn; 11] = [
        SortColumn::Id,
        SortColumn::PersonId,
        SortColumn::Name,
        SortColumn::Email,
        SortColumn::Phone,
        SortColumn::FirstSeenAt,
        SortColumn::LastSeenAt,
        SortColumn::PurchaseCount,
        SortColumn::HasFailedPayment,
        SortColumn::Ltv,
        SortColumn::Aov,
    ];

    /// The column's name on the wire (`last_seen_at`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SortColumn::Id => "id",
            SortColumn::PersonId => "person_id",
            SortColumn::Name => "name",
            SortColumn::Email => "email",
            SortColumn::Phone => "phone",
            SortColumn::FirstSeenAt => "first_seen_at",
            SortColumn::LastSeenAt => "last_seen_at",
            SortColumn::PurchaseCount => "purchase_count",
            SortColumn::HasFailedPayment => "has_failed_payment",
            SortColumn::Ltv => "ltv",
            SortColumn::Aov => "aov",
        }
    }
}

impl Serialize for SortColumn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for SortColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a filter compares a field with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Equal to the value.
    Eq,
    /// Not equal to the value.
    Neq,
    /// Greater than the value.
    Gt,
    /// Greater than or equal to the value.
    Gte,
    /// Less than the value.
    Lt,
    /// Less than or equal to the value.
    Lte,
    /// Contains the value (a substring, or an id of an array field).
    Contains,
    /// Does not contain the value.
    NotContains,
    /// Starts with the value.
    StartsWith,
    /// Equal to one of the values of an array.
    In,
    /// Equal to none of the values of an array.
    NotIn,
    /// The field has a value (takes no value).
    IsSet,
    /// The field has no value (takes no value).
    IsNotSet,
}

/// One condition: `field operator value`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Filter {
    /// The field tested.
    pub field: PersonField,
    /// The comparison.
    pub operator: Operator,
    /// The operand; `None` for [`Operator::IsSet`] and [`Operator::IsNotSet`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Conditions that a person must all meet (they are ANDed), in the order they were added.
///
/// `Display` renders the JSON the `filters` query parameter takes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Filters(Vec<Filter>);

impl Filters {
    /// No conditions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The conditions, in the order they were added.
    pub fn conditions(&self) -> &[Filter] {
        &self.0
    }

    /// Whether there are no conditions.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds any condition.
    pub fn with(mut self, field: PersonField, operator: Operator, value: Option<Value>) -> Self {
        self.0.push(Filter {
            field,
            operator,
            value,
        });
        self
    }

    /// Adds `field == value`.
    pub fn eq(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Eq, Some(value.into()))
    }

    /// Adds `field != value`.
    pub fn neq(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Neq, Some(value.into()))
    }

    /// Adds `field > value`.
    pub fn gt(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Gt, Some(value.into()))
    }

    /// Adds `field >= value`.
    pub fn gte(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Gte, Some(value.into()))
    }

    /// Adds `field < value`.
    pub fn lt(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Lt, Some(value.into()))
    }

    /// Adds `field <= value`.
    pub fn lte(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Lte, Some(value.into()))
    }

    /// Adds "`field` contains `value`" (a substring, or an id for array fields).
    pub fn contains(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::Contains, Some(value.into()))
    }

    /// Adds "`field` does not contain `value`".
    pub fn not_contains(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::NotContains, Some(value.into()))
    }

    /// Adds "`field` starts with `value`".
    pub fn starts_with(self, field: PersonField, value: impl Into<Value>) -> Self {
        self.with(field, Operator::StartsWith, Some(value.into()))
    }

    /// Adds "`field` is one of `values`" (the `in` operator).
    pub fn is_in<V: Into<Value>>(
        self,
        field: PersonField,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.with(field, Operator::In, Some(array(values)))
    }

    /// Adds "`field` is none of `values`".
    pub fn not_in<V: Into<Value>>(
        self,
        field: PersonField,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.with(field, Operator::NotIn, Some(array(values)))
    }

    /// Adds "`field` has a value".
    pub fn is_set(self, field: PersonField) -> Self {
        self.with(field, Operator::IsSet, None)
    }

    /// Adds "`field` has no value".
    pub fn is_not_set(self, field: PersonField) -> Self {
        self.with(field, Operator::IsNotSet, None)
    }
}

/// A JSON array of `values`.
fn array<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Value {
    Value::Array(values.into_iter().map(Into::into).collect())
}

impl fmt::Display for Filters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&json)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The filters as parsed JSON, for comparisons that ignore formatting.
    fn as_json(filters: &Filters) -> Value {
        serde_json::from_str(&filters.to_string()).unwrap()
    }

    #[test]
    fn empty_filters_are_an_empty_array() {
        assert_eq!(Filters::new().to_string(), "[]");
        assert!(Filters::new().is_empty());
    }

    #[test]
    fn every_comparison_operator_serialises_with_its_value() {
        let filters = Filters::new()
            .eq(PersonField::Name, "Ada")
            .neq(PersonField::PersonId, "wuid_1")
            .gt(PersonField::PurchaseCount, 2)
            .gte(PersonField::Ltv, 100.5)
            .lt(PersonField::FirstSeenAt, 1_700_000_000_i64)
            .lte(PersonField::Aov, 50)
            .contains(PersonField::Email, "@acme.com")
            .not_contains(PersonField::Campaigns, "camp_1")
            .starts_with(PersonField::Phone, "+44")
            .eq(PersonField::HasFailedPayment, true);
        assert_eq!(
            as_json(&filters),
            json!([
                {"field": "name", "operator": "eq", "value": "Ada"},
                {"field": "person_id", "operator": "neq", "value": "wuid_1"},
                {"field": "purchase_count", "operator": "gt", "value": 2},
                {"field": "ltv", "operator": "gte", "value": 100.5},
                {"field": "first_seen_at", "operator": "lt", "value": 1_700_000_000_i64},
                {"field": "aov", "operator": "lte", "value": 50},
                {"field": "email", "operator": "contains", "value": "@acme.com"},
                {"field": "campaigns", "operator": "not_contains", "value": "camp_1"},
                {"field": "phone", "operator": "starts_with", "value": "+44"},
                {"field": "has_failed_payment", "operator": "eq", "value": true}
            ])
        );
    }

    #[test]
    fn set_membership_takes_an_array() {
        let filters = Filters::new()
            .is_in(PersonField::Ads, ["ad_1", "ad_2"])
            .not_in(PersonField::Id, Vec::<String>::new());
        assert_eq!(
            as_json(&filters),
            json!([
                {"field": "ads", "operator": "in", "value": ["ad_1", "ad_2"]},
                {"field": "id", "operator": "not_in", "value": []}
            ])
        );
    }

    #[test]
    fn presence_operators_omit_the_value() {
        let filters = Filters::new()
            .is_set(PersonField::Phone)
            .is_not_set(PersonField::AdSets);
        assert_eq!(
            filters.to_string(),
            r#"[{"field":"phone","operator":"is_set"},{"field":"ad_sets","operator":"is_not_set"}]"#
        );
    }

    #[test]
    fn sort_columns_use_wire_names() {
        let all = [
            (SortColumn::Id, "id"),
            (SortColumn::PersonId, "person_id"),
            (SortColumn::Name, "name"),
            (SortColumn::Email, "email"),
            (SortColumn::Phone, "phone"),
            (SortColumn::FirstSeenAt, "first_seen_at"),
            (SortColumn::LastSeenAt, "last_seen_at"),
            (SortColumn::PurchaseCount, "purchase_count"),
            (SortColumn::HasFailedPayment, "has_failed_payment"),
            (SortColumn::Ltv, "ltv"),
            (SortColumn::Aov, "aov"),
        ];
        for (column, name) in all {
            assert_eq!(column.as_str(), name);
            assert_eq!(column.to_string(), name);
            assert_eq!(serde_json::to_value(column).unwrap(), json!(name));
        }
    }
}
