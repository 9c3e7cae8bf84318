//! The `filters` query parameter: a JSON array of `{field, operator, value}` objects, parsed
//! and type-checked once, then applied to each person of a list. Filters are ANDed.

use std::borrow::Cow;

use serde_json::Value;

use super::field::{FieldType, FieldValue, PersonField, PersonView};
use super::log::dollars_to_cents;

/// A filter operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Equal (text: exact, e-mail case-insensitive).
    Eq,
    /// Not equal; null is not equal to anything.
    Neq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Text: case-insensitive substring. Lists: holds the id.
    Contains,
    /// The negation of `contains`.
    NotContains,
    /// Text: case-insensitive prefix.
    StartsWith,
    /// Equal to one of an array of values (lists: hold one of the ids).
    In,
    /// The negation of `in`.
    NotIn,
    /// Not null (lists: not empty).
    IsSet,
    /// Null (lists: empty).
    IsNotSet,
}

impl Operator {
    const ALL: [Operator; 13] = [
        Operator::Eq,
        Operator::Neq,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Contains,
        Operator::NotContains,
        Operator::StartsWith,
        Operator::In,
        Operator::NotIn,
        Operator::IsSet,
        Operator::IsNotSet,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Neq => "neq",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Contains => "contains",
            Operator::NotContains => "not_contains",
            Operator::StartsWith => "starts_with",
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::IsSet => "is_set",
            Operator::IsNotSet => "is_not_set",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// The operators a field of type `field_type` accepts.
    fn accepted_by(field_type: FieldType) -> &'static [Operator] {
        use Operator::*;
        match field_type {
            FieldType::Text => &[
                Eq,
                Neq,
                Contains,
                NotContains,
                StartsWith,
                In,
                NotIn,
                IsSet,
                IsNotSet,
            ],
            FieldType::Integer | FieldType::Money => {
                &[Eq, Neq, Gt, Gte, Lt, Lte, In, NotIn, IsSet, IsNotSet]
            }
            FieldType::Boolean => &[Eq, Neq, IsSet, IsNotSet],
            FieldType::IdList => &[Contains, NotContains, In, NotIn, IsSet, IsNotSet],
        }
    }
}

/// A type-checked operand.
#[derive(Clone, Debug, PartialEq)]
enum Operand {
    None,
    Text(String),
    Integer(i64),
    Boolean(bool),
    Texts(Vec<String>),
    Integers(Vec<i64>),
}

/// One parsed filter, kept in positive form (`neq` is a negated `eq`, `not_in` a negated
/// `in`, `not_contains` a negated `contains`, `is_not_set` a negated `is_set`). Text operands
/// that compare case-insensitively are lower-cased once, here.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    field: PersonField,
    operator: Operator,
    negated: bool,
    operand: Operand,
}

/// A list of filters, all of which a person must pass.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters(Vec<Filter>);

impl Filters {
    /// Parses the `filters` parameter; the error names the offending filter and why.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json)
            .map_err(|error| format!("`filters` is not valid JSON: {error}"))?;
        let Value::Array(items) = value else {
            return Err(
                "`filters` must be a JSON array of {\"field\", \"operator\", \"value\"} objects"
                    .into(),
            );
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                Filter::parse(item).map_err(|why| format!("filters[{index}]: {why}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Filters)
    }

    /// Whether `person` passes every filter.
    pub fn matches(&self, person: &PersonView<'_>) -> bool {
        self.0.iter().all(|filter| filter.matches(person))
    }

    /// Whether there are no filters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Filter {
    fn parse(item: &Value) -> Result<Self, String> {
        let Value::Object(object) = item else {
            return Err(
                "each filter must be an object with `field`, `operator` and `value`".into(),
            );
        };
        let text_key = |key: &str| match object.get(key) {
            Some(Value::String(text)) => Ok(text.as_str()),
            Some(_) => Err(format!("`{key}` must be a string")),
            None => Err(format!("`{key}` is missing")),
        };
        let field_name = text_key("field")?;
        let field = PersonField::parse(field_name).ok_or_else(|| {
            let known: Vec<&str> = PersonField::ALL.iter().map(|f| f.as_str()).collect();
            format!(
                "unknown field `{field_name}`; expected one of: {}",
                known.join(", ")
            )
        })?;
        let operator_name = text_key("operator")?;
        let operator = Operator::parse(operator_name).ok_or_else(|| {
            let known: Vec<&str> = Operator::ALL.iter().map(|op| op.as_str()).collect();
            format!(
                "unknown operator `{operator_name}`; expected one of: {}",
                known.join(", ")
            )
        })?;
        let accepted = Operator::accepted_by(field.field_type());
        if !accepted.contains(&operator) {
            let names: Vec<&str> = accepted.iter().map(|op| op.as_str()).collect();
            return Err(format!(
                "operator `{operator_name}` does not apply to `{field_name}`; use one of: {}",
                names.join(", ")
            ));
        }
        let operand =
            parse_operand(field, operator, object.get("value").unwrap_or(&Value::Null))
                .map_err(|why| format!("`value` for `{field_name}` {operator_name}: {why}"))?;
        let (operator, negated) = match operator {
            Operator::Neq => (Operator::Eq, true),
            Operator::NotIn => (Operator::In, true),
            Operator::NotContains => (Operator::Contains, true),
            Operator::IsNotSet => (Operator::IsSet, true),
            other => (other, false),
        };
        let case_insensitive = field == PersonField::Email
            || (field.field_type() == FieldType::Text
                && matches!(operator, Operator::Contains | Operator::StartsWith));
        let operand = if case_insensitive {
            operand.lowercased()
        } else {
            operand
        };
        Ok(Filter {
            field,
            operator,
            negated,
            operand,
        })
    }

    fn matches(&self, person: &PersonView<'_>) -> bool {
        self.holds(person.value(self.field)) != self.negated
    }

    /// Whether the positive form of the filter holds for `value`.
    fn holds<'a>(&self, value: FieldValue<'a>) -> bool {
        // E-mail equality ignores case (the operand is already lower-cased).
        let text = |have: Option<&'a str>| -> Option<Cow<'a, str>> {
            have.map(|have| {
                if self.field == PersonField::Email {
                    Cow::Owned(have.to_lowercase())
                } else {
                    Cow::Borrowed(have)
                }
            })
        };
        match (self.operator, &self.operand, value) {
            (Operator::IsSet, _, value) => is_set(&value),
            (Operator::Eq, Operand::Text(want), FieldValue::Text(have)) => {
                text(have).is_some_and(|have| *have == **want)
            }
            (Operator::In, Operand::Texts(wants), FieldValue::Text(have)) => {
                text(have).is_some_and(|have| wants.iter().any(|want| *want == *have))
            }
            (Operator::Contains, Operand::Text(want), FieldValue::Text(have)) => {
                have.is_some_and(|have| have.to_lowercase().contains(want.as_str()))
            }
            (Operator::StartsWith, Operand::Text(want), FieldValue::Text(have)) => {
                have.is_some_and(|have| have.to_lowercase().starts_with(want.as_str()))
            }
            (Operator::Contains, Operand::Text(want), FieldValue::IdList(ids)) => {
                ids.contains(&want.as_str())
            }
            (Operator::In, Operand::Texts(wants), FieldValue::IdList(ids)) => {
                wants.iter().any(|want| ids.contains(&want.as_str()))
            }
            (Operator::Eq, Operand::Boolean(want), FieldValue::Boolean(have)) => have == *want,
            (Operator::In, Operand::Integers(wants), FieldValue::Integer(have)) => {
                wants.contains(&have)
            }
            (operator, Operand::Integer(want), FieldValue::Integer(have)) => match operator {
                Operator::Eq => have == *want,
                Operator::Gt => have > *want,
                Operator::Gte => have >= *want,
                Operator::Lt => have < *want,
                Operator::Lte => have <= *want,
                _ => false,
            },
            _ => false,
        }
    }
}

impl Operand {
    /// The operand with its text lower-cased.
    fn lowercased(self) -> Self {
        match self {
            Operand::Text(text) => Operand::Text(text.to_lowercase()),
            Operand::Texts(texts) => {
                Operand::Texts(texts.into_iter().map(|text| text.to_lowercase()).collect())
            }
            other => other,
        }
    }
}

fn is_set(value: &FieldValue<'_>) -> bool {
    match value {
        FieldValue::Text(text) => text.is_some(),
        FieldValue::IdList(ids) => !ids.is_empty(),
        FieldValue::Integer(_) | FieldValue::Boolean(_) => true,
    }
}

fn parse_operand(field: PersonField, operator: Operator, value: &Value) -> Result<Operand, String> {
    let field_type = field.field_type();
    match operator {
        Operator::IsSet | Operator::IsNotSet => match value {
            Value::Null => Ok(Operand::None),
            _ => Err("must be omitted".into()),
        },
        Operator::In | Operator::NotIn => {
            let Value::Array(items) = value else {
                return Err("must be a non-empty array".into());
            };
            if items.is_empty() {
                return Err("must be a non-empty array".into());
            }
            match field_type {
                FieldType::Integer | FieldType::Money => items
                    .iter()
                    .map(|item| number(field_type, item))
                    .collect::<Result<_, _>>()
                    .map(Operand::Integers),
                _ => items
                    .iter()
                    .map(|item| text(item).map(str::to_owned))
                    .collect::<Result<_, _>>()
                    .map(Operand::Texts),
            }
        }
        Operator::Contains | Operator::NotContains | Operator::StartsWith => {
            text(value).map(|text| Operand::Text(text.to_owned()))
        }
        _ => match field_type {
            FieldType::Text => text(value).map(|text| Operand::Text(text.to_owned())),
            FieldType::Integer | FieldType::Money => {
                number(field_type, value).map(Operand::Integer)
            }
            FieldType::Boolean => value
                .as_bool()
                .map(Operand::Boolean)
                .ok_or_else(|| "must be true or false".to_owned()),
            FieldType::IdList => Err("lists take contains, in or is_set".into()),
        },
    }
}

fn text(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("must be a string, got {value}"))
}

/// An integer field's value, or a money field's value in cents.
fn number(field_type: FieldType, value: &Value) -> Result<i64, String> {
    match field_type {
        FieldType::Money => value
            .as_f64()
            .filter(|amount| amount.is_finite())
            .map(dollars_to_cents)
            .ok_or_else(|| format!("must be a number of US dollars, got {value}")),
        _ => value
            .as_i64()
            .ok_or_else(|| format!("must be an integer, got {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(json: &str) -> String {
        Filters::parse(json).unwrap_err()
    }

    #[test]
    fn parses_every_operator_on_a_field_that_accepts_it() {
        let json = r#"[
            {"field":"email","operator":"contains","value":"@acme"},
            {"field":"ltv","operator":"gte","value":19.99},
            {"field":"purchase_count","operator":"in","value":[1,2]},
            {"field":"has_failed_payment","operator":"eq","value":false},
            {"field":"ads","operator":"contains","value":"ad_1"},
            {"field":"phone","operator":"is_set"}
        ]"#;
        assert_eq!(Filters::parse(json).unwrap().0.len(), 6);
    }

    #[test]
    fn negated_operators_keep_their_operand() {
        let filters =
            Filters::parse(r#"[{"field":"email","operator":"not_in","value":["ÉVA@x.com"]}]"#)
                .unwrap();
        assert_eq!(
            filters.0[0],
            Filter {
                field: PersonField::Email,
                operator: Operator::In,
                negated: true,
                operand: Operand::Texts(vec!["éva@x.com".into()]),
            }
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(error("{").contains("not valid JSON"));
        assert!(error(r#"{"field":"ltv"}"#).contains("must be a JSON array"));
        assert!(
            error(r#"[{"field":"age","operator":"eq","value":1}]"#)
                .contains("filters[0]: unknown field `age`")
        );
        assert!(
            error(r#"[{"field":"ltv","operator":"like","value":1}]"#)
                .contains("unknown operator `like`")
        );
        assert!(
            error(r#"[{"field":"email","operator":"gt","value":"a"}]"#)
                .contains("does not apply to `email`")
        );
        assert!(
            error(r#"[{"field":"ltv","operator":"gt","value":"ten"}]"#)
                .contains("must be a number")
        );
        assert!(
            error(r#"[{"field":"purchase_count","operator":"eq","value":1.5}]"#)
                .contains("must be an integer")
        );
        assert!(
            error(r#"[{"field":"email","operator":"in","value":[]}]"#).contains("non-empty array")
        );
        assert!(
            error(r#"[{"field":"phone","operator":"is_set","value":"x"}]"#)
                .contains("must be omitted")
        );
        assert!(error(r#"[{"operator":"eq","value":1}]"#).contains("`field` is missing"));
        assert!(error(r#"[3]"#).contains("must be an object"));
    }
}
