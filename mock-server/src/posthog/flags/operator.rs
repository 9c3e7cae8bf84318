//! Property operators, matched the way PostHog's flags service matches them (§3.5 of the
//! reference): missing keys, case rules, numeric parsing, dates and semantic versions.

use semver::{Version, VersionReq};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::definition::{PropertyFilter, value_text};

/// A property filter's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Operator {
    Exact,
    IsNot,
    IsSet,
    IsNotSet,
    Icontains,
    NotIcontains,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    IcontainsMulti,
    NotIcontainsMulti,
    Regex,
    NotRegex,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    NotBetween,
    IsDateBefore,
    IsDateAfter,
    IsDateExact,
    SemverEq,
    SemverNeq,
    SemverGt,
    SemverGte,
    SemverLt,
    SemverLte,
    SemverTilde,
    SemverCaret,
    SemverWildcard,
    In,
    NotIn,
    FlagEvaluatesTo,
}

impl Operator {
    /// The operator PostHog names `name` (case-sensitive, as its serializer checks).
    pub fn parse(name: &str) -> Option<Self> {
        use Operator as O;
        Some(match name {
            "exact" => O::Exact,
            "is_not" => O::IsNot,
            "is_set" => O::IsSet,
            "is_not_set" => O::IsNotSet,
            "icontains" => O::Icontains,
            "not_icontains" => O::NotIcontains,
            "starts_with" => O::StartsWith,
            "not_starts_with" => O::NotStartsWith,
            "ends_with" => O::EndsWith,
            "not_ends_with" => O::NotEndsWith,
            "icontains_multi" => O::IcontainsMulti,
            "not_icontains_multi" => O::NotIcontainsMulti,
            "regex" => O::Regex,
            "not_regex" => O::NotRegex,
            "gt" => O::Gt,
            "gte" => O::Gte,
            "lt" => O::Lt,
            "lte" => O::Lte,
            "between" => O::Between,
            "not_between" => O::NotBetween,
            "is_date_before" => O::IsDateBefore,
            "is_date_after" => O::IsDateAfter,
            "is_date_exact" => O::IsDateExact,
            "semver_eq" => O::SemverEq,
            "semver_neq" => O::SemverNeq,
            "semver_gt" => O::SemverGt,
            "semver_gte" => O::SemverGte,
            "semver_lt" => O::SemverLt,
            "semver_lte" => O::SemverLte,
            "semver_tilde" => O::SemverTilde,
            "semver_caret" => O::SemverCaret,
            "semver_wildcard" => O::SemverWildcard,
            "in" => O::In,
            "not_in" => O::NotIn,
            "flag_evaluates_to" => O::FlagEvaluatesTo,
            _ => return None,
        })
    }

    /// Operators whose value PostHog's serializer requires to be a string.
    pub fn needs_string(self) -> bool {
        use Operator as O;
        matches!(
            self,
            O::Regex
                | O::NotRegex
                | O::Icontains
                | O::NotIcontains
                | O::Gt
                | O::Gte
                | O::Lt
                | O::Lte
        )
    }

    /// The date operators (their value must parse as a date).
    pub fn is_date(self) -> bool {
        matches!(
            self,
            Operator::IsDateBefore | Operator::IsDateAfter | Operator::IsDateExact
        )
    }

    /// What a missing key gives: the negative operators match, the others do not.
    fn matches_missing(self) -> bool {
        use Operator as O;
        matches!(
            self,
            O::IsNot
                | O::IsNotSet
                | O::NotIcontains
                | O::NotStartsWith
                | O::NotEndsWith
                | O::NotIcontainsMulti
                | O::NotRegex
                | O::NotBetween
        )
    }
}

/// Whether `filter` matches the property value `value` (`None`: the key is missing) at
/// `now` (Unix seconds, for relative dates).
pub fn matches(filter: &PropertyFilter, value: Option<&Value>, now: i64) -> bool {
    use Operator as O;
    let Some(value) = value else {
        return filter.operator.matches_missing();
    };
    match filter.operator {
        O::Exact => exact(filter, value),
        O::IsNot => !exact(filter, value),
        O::IsSet => true,
        O::IsNotSet => false,
        O::Icontains => contains(filter, value, |text, needle| text.contains(needle)),
        O::NotIcontains => !contains(filter, value, |text, needle| text.contains(needle)),
        O::StartsWith => contains(filter, value, |text, needle| text.starts_with(needle)),
        O::NotStartsWith => !contains(filter, value, |text, needle| text.starts_with(needle)),
        O::EndsWith => contains(filter, value, |text, needle| text.ends_with(needle)),
        O::NotEndsWith => !contains(filter, value, |text, needle| text.ends_with(needle)),
        O::IcontainsMulti => contains(filter, value, |text, needle| text.contains(needle)),
        O::NotIcontainsMulti => !contains(filter, value, |text, needle| text.contains(needle)),
        O::Regex => regex(filter, value) == Some(true),
        O::NotRegex => regex(filter, value) == Some(false),
        O::Gt | O::Gte | O::Lt | O::Lte => compare(filter.operator, &filter.value, value),
        O::Between => between(&filter.value, value) == Some(true),
        O::NotBetween => between(&filter.value, value) == Some(false),
        O::IsDateBefore | O::IsDateAfter | O::IsDateExact => date(filter, value, now),
        O::SemverEq
        | O::SemverNeq
        | O::SemverGt
        | O::SemverGte
        | O::SemverLt
        | O::SemverLte
        | O::SemverTilde
        | O::SemverCaret
        | O::SemverWildcard => semver(filter, value),
        O::In | O::NotIn | O::FlagEvaluatesTo => false,
    }
}

/// Whether the filter's pattern finds a match in `value`'s text; `None` when the pattern is
/// invalid or the search passes the backtrack limit (neither `regex` nor `not_regex` matches).
fn regex(filter: &PropertyFilter, value: &Value) -> Option<bool> {
    let regex = filter.regex.as_ref()?;
    regex
        .find(&value_text(value))
        .ok()
        .map(|found| found.is_some())
}

/// Whether `value` reads as a boolean to `exact`: `true`/`false`, their text in any case, or
/// a list of only those (the empty list too).
fn truthy_or_falsy(value: &Value) -> bool {
    match value {
        Value::Bool(_) => true,
        Value::String(text) => {
            text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
        }
        Value::Array(items) => items.iter().all(truthy_or_falsy),
        _ => false,
    }
}

/// The flags service's truthiness: `true`, `"true"` in any case, or a list of only those;
/// anything else (numbers, null, objects) is false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::String(text) => text.eq_ignore_ascii_case("true"),
        Value::Array(items) => items.iter().all(truthy),
        _ => false,
    }
}

/// `exact`: a boolean filter compares truthiness (a list of booleans by the truthiness of the
/// whole list, as the server does), any other compares lower-cased text with the value or
/// one of the list's.
fn exact(filter: &PropertyFilter, value: &Value) -> bool {
    if truthy_or_falsy(&filter.value) {
        return truthy(&filter.value) == truthy(value);
    }
    let text = value_text(value).to_lowercase();
    filter.lowered.contains(&text)
}

/// The string operators: ASCII-lower-cased text against the filter's ASCII-lower-cased values.
fn contains(filter: &PropertyFilter, value: &Value, test: impl Fn(&str, &str) -> bool) -> bool {
    let text = value_text(value).to_ascii_lowercase();
    filter.lowered.iter().any(|needle| test(&text, needle))
}

/// A number, or text that parses as one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn compare(operator: Operator, filter: &Value, value: &Value) -> bool {
    let (Some(person), Some(bound)) = (number(value), number(filter)) else {
        return false;
    };
    match operator {
        Operator::Gt => person > bound,
        Operator::Gte => person >= bound,
        Operator::Lt => person < bound,
        _ => person <= bound,
    }
}

/// Whether `value` lies in the filter's inclusive `[min, max]`; `None` when either is not a
/// number.
fn between(filter: &Value, value: &Value) -> Option<bool> {
    let bounds = filter.as_array().filter(|bounds| bounds.len() == 2)?;
    let (min, max) = (number(&bounds[0])?, number(&bounds[1])?);
    let person = number(value)?;
    Some(min <= person && person <= max)
}

/// Largest relative amount PostHog reads (`-9999y`); a larger one is not a relative date
/// (PostHog's `relative_date_parse_for_feature_flag_matching` refuses it against overflow).
const MAX_RELATIVE_AMOUNT: i64 = 9_999;

/// A filter date as Unix seconds: ISO date-time, bare date (midnight UTC), or relative to
/// `now` (`-7d`, `-1h`, `-2w`, `-3m` as 30 days, `-1y` as 365 days; at most 9999 of a unit,
/// as PostHog, so a larger amount is no date at all and validation refuses it).
pub fn parse_filter_date(text: &str, now: i64) -> Option<i64> {
    let text = text.trim();
    if let Some(relative) = relative_seconds(text) {
        return Some(now.saturating_sub(relative));
    }
    parse_date(text)
}

/// PostHog's relative form: an optional `-`, digits below 10 000, one unit letter.
fn relative_seconds(text: &str) -> Option<i64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let unit = body.chars().last()?;
    let digits = &body[..body.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let amount: i64 = digits
        .parse()
        .ok()
        .filter(|amount| *amount <= MAX_RELATIVE_AMOUNT)?;
    let seconds = match unit {
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'm' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    Some(amount * seconds)
}

fn parse_date(text: &str) -> Option<i64> {
    if let Ok(moment) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(moment.unix_timestamp());
    }
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let spaced = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if let Ok(moment) =
        PrimitiveDateTime::parse(text, naive).or_else(|_| PrimitiveDateTime::parse(text, spaced))
    {
        return Some(moment.assume_utc().unix_timestamp());
    }
    let day = format_description!("[year]-[month]-[day]");
    Date::parse(text, day)
        .ok()
        .map(|date| date.midnight().assume_utc().unix_timestamp())
}

fn date(filter: &PropertyFilter, value: &Value, now: i64) -> bool {
    let Some(bound) = filter
        .value
        .as_str()
        .and_then(|text| parse_filter_date(text, now))
    else {
        return false;
    };
    let person = match value {
        Value::Number(seconds) => seconds.as_f64().map(|seconds| seconds as i64),
        Value::String(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .map(|seconds| seconds as i64)
            .or_else(|| parse_date(text.trim())),
        _ => None,
    };
    let Some(person) = person else {
        return false;
    };
    match filter.operator {
        Operator::IsDateBefore => person < bound,
        Operator::IsDateAfter => person > bound,
        _ => person == bound,
    }
}

/// A semantic version as the flags service reads one: a leading `v` stripped, then spaces;
/// the numeric core's leading zeros stripped and a missing minor or patch padded with 0,
/// pre-release and build suffixes kept (so `1.2.3-rc.1` sorts before `1.2.3`).
fn version(text: &str) -> Option<Version> {
    Version::parse(&canonical_version(normalise_version(text))).ok()
}

/// `text` without a leading `v`, trimmed.
fn normalise_version(text: &str) -> &str {
    text.strip_prefix('v').unwrap_or(text).trim()
}

/// An all-digit component without leading zeros (`08` → `8`, `000` → `0`); others unchanged.
fn strip_zeros(part: &str) -> &str {
    if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return part;
    }
    match part.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    }
}

/// `MAJOR.MINOR.PATCH` with the suffix: `3.08` → `3.8.0`, `1-rc` → `1.0.0-rc`.
fn canonical_version(text: &str) -> String {
    let (core, suffix) = text.split_at(text.find(['-', '+']).unwrap_or(text.len()));
    let mut parts: Vec<&str> = core.split('.').map(strip_zeros).collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    format!("{}{suffix}", parts.join("."))
}

fn semver(filter: &PropertyFilter, value: &Value) -> bool {
    let Some(person) = version(&value_text(value)) else {
        return false;
    };
    let text = value_text(&filter.value);
    let bound = normalise_version(&text);
    let requirement = match filter.operator {
        Operator::SemverTilde => format!("~{}", canonical_version(bound)),
        Operator::SemverCaret => format!("^{}", canonical_version(bound)),
        Operator::SemverWildcard => bound
            .split('.')
            .map(strip_zeros)
            .collect::<Vec<_>>()
            .join(".")
            .replace('*', "x"),
        _ => {
            let Some(bound) = version(&text) else {
                return false;
            };
            return match filter.operator {
                Operator::SemverEq => person == bound,
                Operator::SemverNeq => person != bound,
                Operator::SemverGt => person > bound,
                Operator::SemverGte => person >= bound,
                Operator::SemverLt => person < bound,
                _ => person <= bound,
            };
        }
    };
    VersionReq::parse(&requirement).is_ok_and(|requirement| requirement.matches(&person))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::definition::compile;
    use super::matches;

    /// The first filter of a flag whose one condition holds `filter`.
    fn check(filter: Value, value: Option<Value>) -> bool {
        let filters = json!({"groups": [{"properties": [filter]}]});
        let rules = compile(&filters, |_| true).expect("valid filters");
        matches(
            &rules.conditions[0].properties[0],
            value.as_ref(),
            1_700_000_000,
        )
    }

    fn prop(value: Value, operator: &str) -> Value {
        json!({"key": "key", "value": value, "operator": operator, "type": "person"})
    }

    /// posthog-python `TestMatchProperties.test_match_properties_exact`.
    #[test]
    fn exact() {
        let filter = prop(json!("value"), "exact");
        assert!(check(filter.clone(), Some(json!("value"))));
        assert!(
            check(filter.clone(), Some(json!("VALUE"))),
            "case-insensitive"
        );
        assert!(!check(filter.clone(), Some(json!("value2"))));
        assert!(!check(filter.clone(), Some(json!(""))));
        assert!(!check(filter.clone(), Some(Value::Null)));
        assert!(!check(filter, None));
        let list = prop(json!(["value1", "value2", "value3"]), "exact");
        assert!(check(list.clone(), Some(json!("value2"))));
        assert!(!check(list, Some(json!("value4"))));
        let boolean = prop(json!(true), "exact");
        assert!(check(boolean.clone(), Some(json!("TRUE"))));
        assert!(!check(boolean, Some(json!(false))));
        assert!(check(prop(json!("123"), "exact"), Some(json!(123))));
    }

    /// posthog-python `test_match_properties_not_in` (is_not); the server's missing-key rule.
    #[test]
    fn is_not() {
        let list = prop(json!(["value1", "value2", "value3"]), "is_not");
        assert!(check(list.clone(), Some(json!("value4"))));
        assert!(check(list.clone(), Some(json!(""))));
        assert!(check(list.clone(), Some(Value::Null)));
        assert!(!check(list.clone(), Some(json!("value2"))));
        assert!(
            check(list, None),
            "a missing key matches is_not on the server"
        );
    }

    #[test]
    fn is_set_and_is_not_set() {
        assert!(check(prop(json!("is_set"), "is_set"), Some(json!(""))));
        assert!(check(prop(json!("is_set"), "is_set"), Some(Value::Null)));
        assert!(!check(prop(json!("is_set"), "is_set"), None));
        assert!(check(prop(json!("is_not_set"), "is_not_set"), None));
        assert!(!check(
            prop(json!("is_not_set"), "is_not_set"),
            Some(json!(1))
        ));
    }

    /// posthog-python `test_match_properties_icontains` and
    /// `test_match_properties_starts_with_and_ends_with`.
    #[test]
    fn string_operators() {
        let filter = prop(json!("valUe"), "icontains");
        for yes in ["value", "value2", "vaLue4", "343tfvalue5"] {
            assert!(check(filter.clone(), Some(json!(yes))), "{yes}");
        }
        assert!(!check(filter.clone(), Some(json!("Alakazam"))));
        assert!(!check(filter, Some(json!(123))));
        assert!(check(prop(json!("3"), "icontains"), Some(json!(323))));
        assert!(check(prop(json!("nu"), "icontains"), Some(Value::Null)));
        assert!(check(prop(json!("x"), "not_icontains"), None));
        let starts = prop(json!("Val"), "starts_with");
        assert!(check(starts.clone(), Some(json!("VALUE"))));
        assert!(!check(starts.clone(), Some(json!("prevalue"))));
        assert!(check(
            prop(json!("Val"), "not_starts_with"),
            Some(json!("prevalue"))
        ));
        assert!(check(prop(json!("3"), "ends_with"), Some(json!(13))));
        assert!(!check(prop(json!("3"), "ends_with"), Some(json!(321))));
        let multi = prop(json!(["abc", "xyz"]), "icontains_multi");
        assert!(check(multi.clone(), Some(json!("..XYZ.."))));
        assert!(!check(multi, Some(json!("nope"))));
    }

    /// posthog-python `test_match_properties_regex`; an invalid pattern is false both ways.
    #[test]
    fn regex() {
        let filter = prop(json!(r"\.com$"), "regex");
        assert!(check(filter.clone(), Some(json!("value.com"))));
        assert!(!check(filter.clone(), Some(json!("value2com"))));
        assert!(!check(filter.clone(), Some(json!(".com343tfvalue5"))));
        assert!(!check(filter, Some(json!(123))));
        assert!(check(prop(json!("3"), "regex"), Some(json!(323))));
        assert!(check(prop(json!("4"), "regex"), Some(json!(4))));
        assert!(!check(prop(json!("?*"), "regex"), Some(json!("value"))));
        assert!(!check(prop(json!("?*"), "not_regex"), Some(json!("value"))));
        assert!(check(prop(json!("x"), "not_regex"), None));
        // fancy_regex, as the flags service: lookaround works.
        assert!(check(
            prop(json!(r"^(?!test)"), "regex"),
            Some(json!("prod"))
        ));
        assert!(!check(
            prop(json!(r"^(?!test)"), "regex"),
            Some(json!("tester"))
        ));
        assert!(check(prop(json!(r"(\w)\1"), "regex"), Some(json!("aa"))));
        // Past the backtrack limit neither operator matches.
        let input = Some(json!(format!("{}b", "a".repeat(60))));
        assert!(!check(prop(json!(r"^(a|aa)+\1$"), "regex"), input.clone()));
        assert!(!check(prop(json!(r"^(a|aa)+\1$"), "not_regex"), input));
    }

    /// posthog-python `test_match_properties_math_operators` (with string values, which
    /// PostHog's serializer requires), with the server's numeric rule (`"100" < "30"` is false;
    /// non-numeric text never matches).
    #[test]
    fn numeric() {
        let gt = prop(json!("1"), "gt");
        assert!(check(gt.clone(), Some(json!(2))));
        assert!(!check(gt.clone(), Some(json!(0))));
        assert!(check(gt, Some(json!("23"))));
        let lt = prop(json!("1"), "lt");
        assert!(check(lt.clone(), Some(json!(-1))));
        assert!(!check(lt.clone(), Some(json!(1))));
        assert!(!check(lt, Some(json!("3"))));
        assert!(check(prop(json!("1"), "gte"), Some(json!(1))));
        assert!(check(prop(json!("1"), "lte"), Some(json!("1"))));
        assert!(!check(prop(json!("30"), "lt"), Some(json!("100"))));
        assert!(!check(prop(json!("1"), "gt"), Some(json!("123aloha"))));
        assert!(check(prop(json!([1, 5]), "between"), Some(json!(5))));
        assert!(!check(prop(json!([1, 5]), "between"), Some(json!(6))));
        assert!(check(prop(json!([1, 5]), "not_between"), Some(json!(6))));
    }

    /// PostHog's `relative_date_parse_for_feature_flag_matching` reads at most 9999 of a
    /// unit (its guard against overflow); a larger or signed amount is no date, so it never
    /// matches and never overflows, whatever `now` is.
    #[test]
    fn absurd_relative_dates_are_no_dates() {
        use super::parse_filter_date;
        assert_eq!(parse_filter_date("-9999y", 0), Some(-9_999 * 365 * 86_400));
        assert_eq!(parse_filter_date("000h", 7_200), Some(7_200));
        for absurd in [
            "-10000d",
            "--2562047788015h",
            "-+5d",
            "-2562047788015h",
            "-d",
        ] {
            assert_eq!(parse_filter_date(absurd, 0), None, "{absurd}");
            assert_eq!(parse_filter_date(absurd, i64::MAX), None, "{absurd}");
        }
        assert_eq!(parse_filter_date("-1h", i64::MIN), Some(i64::MIN));
    }

    #[test]
    fn dates() {
        let before = prop(json!("2024-01-02"), "is_date_before");
        assert!(check(before.clone(), Some(json!("2024-01-01T23:59:59Z"))));
        assert!(!check(before.clone(), Some(json!("2024-01-02T00:00:01Z"))));
        assert!(check(before, Some(json!(1_704_067_200))), "epoch seconds");
        let after = prop(json!("-7d"), "is_date_after");
        assert!(check(after.clone(), Some(json!(1_700_000_000 - 3_600))));
        assert!(!check(after, Some(json!(1_700_000_000 - 8 * 86_400))));
    }

    /// The negative string operators: the negation of their positive twin, and a match when
    /// the key is missing.
    #[test]
    fn negative_string_operators() {
        let multi = prop(json!(["abc", "xyz"]), "not_icontains_multi");
        assert!(!check(multi.clone(), Some(json!("..XYZ.."))));
        assert!(check(multi.clone(), Some(json!("nope"))));
        assert!(check(multi, None));
        let ends = prop(json!(".com"), "not_ends_with");
        assert!(!check(ends.clone(), Some(json!("ann@example.COM"))));
        assert!(check(ends.clone(), Some(json!("ann@example.org"))));
        assert!(check(ends, None));
    }

    /// `is_date_exact`: the same instant (a bare date is midnight UTC).
    #[test]
    fn date_exact() {
        let exact = prop(json!("2024-01-02"), "is_date_exact");
        assert!(check(exact.clone(), Some(json!("2024-01-02T00:00:00Z"))));
        assert!(check(exact.clone(), Some(json!("2024-01-02"))));
        assert!(!check(exact.clone(), Some(json!("2024-01-02T00:00:01Z"))));
        assert!(!check(exact.clone(), Some(json!("not a date"))));
        assert!(!check(exact, None));
    }

    /// `semver_neq`, `semver_gte`, `semver_lte` on canonicalised versions; an unparsable
    /// person value matches none of them.
    #[test]
    fn semantic_version_comparisons() {
        let cases = [
            ("semver_neq", "1.2.4", true),
            ("semver_neq", "v1.2.3", false),
            ("semver_neq", "nope", false),
            ("semver_gte", "1.2.3", true),
            ("semver_gte", "1.10.0", true),
            ("semver_gte", "1.2.2", false),
            ("semver_gte", "1.2.3-rc.1", false),
            ("semver_lte", "1.2.3", true),
            ("semver_lte", "1.2.3-rc.1", true),
            ("semver_lte", "1.2.4", false),
            ("semver_lte", "nope", false),
        ];
        for (operator, person, expected) in cases {
            assert_eq!(
                check(prop(json!("1.2.3"), operator), Some(json!(person))),
                expected,
                "{operator} {person}"
            );
        }
    }

    /// The flags service's `is_truthy_property_value`: a boolean filter compares truthiness,
    /// so a number reads as false and a list of booleans as the truthiness of all of them.
    #[test]
    fn exact_with_a_boolean_filter_compares_truthiness() {
        assert!(check(prop(json!(false), "exact"), Some(json!(123))));
        assert!(check(prop(json!("False"), "exact"), Some(Value::Null)));
        assert!(!check(prop(json!(false), "is_not"), Some(json!(0))));
        let both = prop(json!([true, false]), "exact");
        assert!(!check(both.clone(), Some(json!(true))));
        assert!(check(both, Some(json!("nope"))));
        assert!(check(prop(json!([]), "exact"), Some(json!("TRUE"))));
    }

    /// The string operators lower-case ASCII only, on both sides; `exact` lower-cases Unicode.
    #[test]
    fn string_operators_lower_case_ascii_only() {
        assert!(check(prop(json!("É"), "icontains"), Some(json!("xÉy"))));
        assert!(!check(prop(json!("É"), "icontains"), Some(json!("xéy"))));
        assert!(check(
            prop(json!(["Ü"]), "icontains_multi"),
            Some(json!("Ü"))
        ));
        assert!(check(
            prop(json!("Év"), "starts_with"),
            Some(json!("Évent"))
        ));
        assert!(check(prop(json!("É"), "exact"), Some(json!("é"))));
    }

    /// The flags service's `test_semver_with_prerelease`, `test_semver_invalid_versions` and
    /// `test_semver_with_v_prefix`: real semver ordering, canonicalised cores.
    #[test]
    fn semantic_versions_order_pre_releases() {
        let gt = prop(json!("1.0.0"), "semver_gt");
        assert!(!check(gt.clone(), Some(json!("1.0.0-alpha.1"))));
        assert!(check(gt.clone(), Some(json!("1.0.1-beta.2"))));
        assert!(check(
            prop(json!("1.0.0-alpha.1"), "semver_lt"),
            Some(json!("1.0.0-alpha.0"))
        ));
        assert!(check(
            prop(json!("1.2.3"), "semver_lt"),
            Some(json!("1.2.3-rc"))
        ));
        for yes in [" 1.2.3", "1.2.3 ", "01.02.03", "3.07", "3.7", "v1.0.1"] {
            assert!(check(gt.clone(), Some(json!(yes))), "{yes}");
        }
        for no in [
            "not-a-version",
            "1.2.abc",
            "1.2.3.4",
            "1..2.3",
            ".1.2.3",
            "1.-2.3",
        ] {
            assert!(!check(gt.clone(), Some(json!(no))), "{no}");
        }
        let cases = [
            ("v1.0.0", "semver_gt", "1.0.1", true),
            ("1.*.3", "semver_wildcard", "1.2.3", false),
            ("3.08.*", "semver_wildcard", "3.8.4", true),
            ("1.*.*", "semver_wildcard", "1.9.0", true),
            ("1.2.*", "semver_wildcard", "1.2.0-rc", false),
            // The server adds the operator itself: a value carrying one is invalid.
            ("~1.2.3", "semver_tilde", "1.2.3", false),
        ];
        for (filter, operator, person, expected) in cases {
            assert_eq!(
                check(prop(json!(filter), operator), Some(json!(person))),
                expected,
                "{filter} {operator} {person}"
            );
        }
    }

    #[test]
    fn semantic_versions() {
        assert!(check(
            prop(json!("1.2.3"), "semver_eq"),
            Some(json!("v1.2.3"))
        ));
        assert!(check(prop(json!("1.2"), "semver_eq"), Some(json!("1.2.0"))));
        assert!(check(
            prop(json!("1.2.3"), "semver_gt"),
            Some(json!("1.10.0"))
        ));
        assert!(!check(
            prop(json!("1.2.3"), "semver_lt"),
            Some(json!("nope"))
        ));
        assert!(check(
            prop(json!("1.2.3"), "semver_tilde"),
            Some(json!("1.2.9"))
        ));
        assert!(!check(
            prop(json!("1.2.3"), "semver_tilde"),
            Some(json!("1.3.0"))
        ));
        assert!(check(
            prop(json!("1.2.3"), "semver_caret"),
            Some(json!("1.9.0"))
        ));
        assert!(!check(
            prop(json!("0.2.3"), "semver_caret"),
            Some(json!("0.3.0"))
        ));
        assert!(check(
            prop(json!("1.2.*"), "semver_wildcard"),
            Some(json!("1.2.7"))
        ));
        assert!(!check(
            prop(json!("1.2.*"), "semver_wildcard"),
            Some(json!("1.3.0"))
        ));
    }
}
