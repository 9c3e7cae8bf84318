//! The validation of `POST /query/` bodies that PostHog's pydantic models do before anything
//! runs. PostHog validates the body as its generated `QueryRequest`, whose models (the
//! request, every query node, series node, filter and property filter) are `extra="forbid"`;
//! a key a model does not define, or an `int` field given something pydantic's lax mode does
//! not read as one, fails the validation, which the query viewset answers as DRF's
//! `ParseError` (`JSON parse error - <pydantic's text>`). The key sets are those of PostHog's
//! published query schema, plus keys other versions define that clients send.

use serde_json::{Map, Value};

use super::super::error::PostHogError;
use super::super::flags::definition::python_type;

/// A pydantic model: the `kind` that selects it in a union (if any), its class name (its label
/// in an error's location), the keys it defines, the children the check walks into, and the
/// `int` fields the mock reads (checked as pydantic's lax `int`).
struct Model {
    kind: Option<&'static str>,
    name: &'static str,
    keys: &'static [&'static str],
    children: &'static [(&'static str, Child)],
    ints: &'static [&'static str],
}

/// What a child key holds.
#[derive(Clone, Copy)]
enum Child {
    /// One node of one of these models, chosen by its `kind`.
    One(&'static [&'static Model]),
    /// A list of such nodes.
    Many(&'static [&'static Model]),
    /// Property filters: a list of filters, or a property group.
    Properties,
}

/// The top-level request (`QueryRequest`).
static REQUEST: Model = Model {
    kind: None,
    name: "QueryRequest",
    keys: &[
        "async",
        "client_query_id",
        "filters_override",
        "limit_context",
        "name",
        "query",
        "refresh",
        "variables_override",
    ],
    children: &[("query", Child::One(&[&ACTORS_QUERY]))],
    ints: &[],
};

static ACTORS_QUERY: Model = Model {
    kind: Some("ActorsQuery"),
    name: "ActorsQuery",
    keys: &[
        "fixedProperties",
        "kind",
        "limit",
        "modifiers",
        "offset",
        "orderBy",
        "properties",
        "response",
        "search",
        "select",
        "source",
        "tags",
        "version",
    ],
    children: &[
        ("fixedProperties", Child::Properties),
        ("properties", Child::Properties),
        (
            "source",
            Child::One(&[
                &INSIGHT_ACTORS_QUERY,
                &FUNNELS_ACTORS_QUERY,
                &FUNNEL_CORRELATION_ACTORS_QUERY,
                &STICKINESS_ACTORS_QUERY,
            ]),
        ),
    ],
    ints: &["limit", "offset"],
};

/// An actors source model: the keys every one defines (`includeRecordings`, `kind`,
/// `modifiers`, `response`, `source`, `tags`, `version`) and its own.
macro_rules! actors_source {
    ($static:ident, $kind:literal, [$($key:literal),*], [$($child:expr),*], [$($int:literal),*]) => {
        static $static: Model = Model {
            kind: Some($kind),
            name: $kind,
            keys: &[
                "includeRecordings",
                "kind",
                "modifiers",
                "response",
                "source",
                "tags",
                "version",
                $($key),*
            ],
            children: &[$($child),*],
            ints: &[$($int),*],
        };
    };
}

actors_source!(
    INSIGHT_ACTORS_QUERY,
    "InsightActorsQuery",
    [
        "breakdown",
        "compare",
        "day",
        "interval",
        "series",
        "status"
    ],
    [(
        "source",
        Child::One(&[
            &TRENDS_QUERY,
            &FUNNELS_QUERY,
            &STICKINESS_QUERY,
            &LIFECYCLE_QUERY,
        ])
    )],
    ["series"]
);

// `funnelCustomSteps` is not in PostHog's newest schema but was in earlier ones, and the mock
// reads it.
actors_source!(
    FUNNELS_ACTORS_QUERY,
    "FunnelsActorsQuery",
    [
        "funnelCustomSteps",
        "funnelStep",
        "funnelStepBreakdown",
        "funnelTrendsDropOff",
        "funnelTrendsEntrancePeriodStart"
    ],
    [("source", Child::One(&[&FUNNELS_QUERY]))],
    ["funnelStep"]
);

actors_source!(
    STICKINESS_ACTORS_QUERY,
    "StickinessActorsQuery",
    ["compare", "day", "operator", "series"],
    [("source", Child::One(&[&STICKINESS_QUERY]))],
    ["series"]
);

actors_source!(
    FUNNEL_CORRELATION_ACTORS_QUERY,
    "FunnelCorrelationActorsQuery",
    [
        "funnelCorrelationPersonConverted",
        "funnelCorrelationPersonEntity",
        "funnelCorrelationPropertyValues"
    ],
    [
        (
            "funnelCorrelationPersonEntity",
            Child::One(&[&EVENTS_NODE, &ACTIONS_NODE])
        ),
        ("funnelCorrelationPropertyValues", Child::Properties),
        ("source", Child::One(&[&FUNNEL_CORRELATION_QUERY]))
    ],
    []
);

static FUNNEL_CORRELATION_QUERY: Model = Model {
    kind: Some("FunnelCorrelationQuery"),
    name: "FunnelCorrelationQuery",
    keys: &[
        "funnelCorrelationEventExcludePropertyNames",
        "funnelCorrelationEventNames",
        "funnelCorrelationExcludeEventNames",
        "funnelCorrelationExcludeNames",
        "funnelCorrelationNames",
        "funnelCorrelationType",
        "kind",
        "response",
        "source",
        "version",
    ],
    children: &[("source", Child::One(&[&FUNNELS_ACTORS_QUERY]))],
    ints: &[],
};

/// An insight query model: the keys every one defines (`dataColorTheme`, `dateRange`,
/// `filterTestAccounts`, `interval`, `kind`, `modifiers`, `properties`, `response`,
/// `samplingFactor`, `series`, `tags`, `version`), its own, and its filters.
macro_rules! insight_query {
    ($static:ident, $kind:literal, [$($key:literal),*], [$($child:expr),*]) => {
        static $static: Model = Model {
            kind: Some($kind),
            name: $kind,
            keys: &[
                "dataColorTheme",
                "dateRange",
                "filterTestAccounts",
                "interval",
                "kind",
                "modifiers",
                "properties",
                "response",
                "samplingFactor",
                "series",
                "tags",
                "version",
                $($key),*
            ],
            children: &[
                ("dateRange", Child::One(&[&DATE_RANGE])),
                ("properties", Child::Properties),
                ("series", Child::Many(SERIES)),
                $($child),*
            ],
            ints: &[],
        };
    };
}

insight_query!(
    TRENDS_QUERY,
    "TrendsQuery",
    [
        "aggregation_group_type_index",
        "breakdownFilter",
        "compareFilter",
        "conversionGoal",
        "trendsFilter"
    ],
    [
        ("breakdownFilter", Child::One(&[&BREAKDOWN_FILTER])),
        ("compareFilter", Child::One(&[&COMPARE_FILTER])),
        ("trendsFilter", Child::One(&[&TRENDS_FILTER]))
    ]
);

insight_query!(
    FUNNELS_QUERY,
    "FunnelsQuery",
    [
        "aggregation_group_type_index",
        "breakdownFilter",
        "funnelsFilter"
    ],
    [
        ("breakdownFilter", Child::One(&[&BREAKDOWN_FILTER])),
        ("funnelsFilter", Child::One(&[&FUNNELS_FILTER]))
    ]
);

insight_query!(
    STICKINESS_QUERY,
    "StickinessQuery",
    ["compareFilter", "intervalCount", "stickinessFilter"],
    [
        ("compareFilter", Child::One(&[&COMPARE_FILTER])),
        ("stickinessFilter", Child::One(&[&STICKINESS_FILTER]))
    ]
);

insight_query!(
    LIFECYCLE_QUERY,
    "LifecycleQuery",
    ["aggregation_group_type_index", "lifecycleFilter"],
    [("lifecycleFilter", Child::One(&[&LIFECYCLE_FILTER]))]
);

/// The series nodes the mock reads (an `ActionsNode` is then refused by the mock).
static SERIES: &[&Model] = &[&EVENTS_NODE, &ACTIONS_NODE];

/// The keys of an `EventsNode`, less the exclusion and list-only ones.
macro_rules! entity_keys {
    ($($extra:literal),*) => {
        &[
            "custom_name",
            "fixedProperties",
            "kind",
            "math",
            "math_group_type_index",
            "math_hogql",
            "math_multiplier",
            "math_property",
            "math_property_revenue_currency",
            "math_property_type",
            "name",
            "optionalInFunnel",
            "properties",
            "response",
            "version",
            $($extra),*
        ]
    };
}

static EVENTS_NODE: Model = Model {
    kind: Some("EventsNode"),
    name: "EventsNode",
    keys: entity_keys!("event", "limit", "orderBy"),
    children: ENTITY_CHILDREN,
    ints: &[],
};

static ACTIONS_NODE: Model = Model {
    kind: Some("ActionsNode"),
    name: "ActionsNode",
    keys: entity_keys!("id"),
    children: ENTITY_CHILDREN,
    ints: &[],
};

static EXCLUSION_EVENTS_NODE: Model = Model {
    kind: Some("EventsNode"),
    name: "FunnelExclusionEventsNode",
    keys: entity_keys!(
        "event",
        "limit",
        "orderBy",
        "funnelFromStep",
        "funnelToStep"
    ),
    children: ENTITY_CHILDREN,
    ints: &["funnelFromStep", "funnelToStep"],
};

static EXCLUSION_ACTIONS_NODE: Model = Model {
    kind: Some("ActionsNode"),
    name: "FunnelExclusionActionsNode",
    keys: entity_keys!("id", "funnelFromStep", "funnelToStep"),
    children: ENTITY_CHILDREN,
    ints: &["funnelFromStep", "funnelToStep"],
};

/// A series node's property filters.
static ENTITY_CHILDREN: &[(&str, Child)] = &[
    ("fixedProperties", Child::Properties),
    ("properties", Child::Properties),
];

static DATE_RANGE: Model = Model {
    kind: None,
    name: "DateRange",
    keys: &["date_from", "date_to", "explicitDate"],
    children: &[],
    ints: &[],
};

static BREAKDOWN_FILTER: Model = Model {
    kind: None,
    name: "BreakdownFilter",
    keys: &[
        "breakdown",
        "breakdown_group_type_index",
        "breakdown_hide_other_aggregation",
        "breakdown_histogram_bin_count",
        "breakdown_limit",
        "breakdown_normalize_url",
        "breakdown_type",
        "breakdowns",
    ],
    children: &[],
    ints: &[],
};

static COMPARE_FILTER: Model = Model {
    kind: None,
    name: "CompareFilter",
    keys: &["compare", "compare_to"],
    children: &[],
    ints: &[],
};

static TRENDS_FILTER: Model = Model {
    kind: None,
    name: "TrendsFilter",
    keys: &[
        "aggregationAxisFormat",
        "aggregationAxisPostfix",
        "aggregationAxisPrefix",
        "breakdown_histogram_bin_count",
        "confidenceLevel",
        "decimalPlaces",
        "detailedResultsAggregationType",
        "display",
        "formula",
        "formulaNodes",
        "formulas",
        "goalLines",
        "hiddenLegendIndexes",
        "minDecimalPlaces",
        "movingAverageIntervals",
        "resultCustomizationBy",
        "resultCustomizations",
        "showAlertThresholdLines",
        "showConfidenceIntervals",
        "showLabelsOnSeries",
        "showLegend",
        "showMovingAverage",
        "showMultipleYAxes",
        "showPercentStackView",
        "showTrendLines",
        "showValuesOnSeries",
        "smoothingIntervals",
        "yAxisScaleType",
    ],
    children: &[],
    ints: &[],
};

static FUNNELS_FILTER: Model = Model {
    kind: None,
    name: "FunnelsFilter",
    keys: &[
        "binCount",
        "breakdownAttributionType",
        "breakdownAttributionValue",
        "exclusions",
        "funnelAggregateByHogQL",
        "funnelFromStep",
        "funnelOrderType",
        "funnelStepReference",
        "funnelToStep",
        "funnelVizType",
        "funnelWindowInterval",
        "funnelWindowIntervalUnit",
        "goalLines",
        "hiddenLegendBreakdowns",
        "layout",
        "resultCustomizations",
        "showValuesOnSeries",
        "useUdf",
    ],
    children: &[(
        "exclusions",
        Child::Many(&[&EXCLUSION_EVENTS_NODE, &EXCLUSION_ACTIONS_NODE]),
    )],
    ints: &[
        "binCount",
        "breakdownAttributionValue",
        "funnelFromStep",
        "funnelToStep",
        "funnelWindowInterval",
    ],
};

static LIFECYCLE_FILTER: Model = Model {
    kind: None,
    name: "LifecycleFilter",
    keys: &[
        "showLegend",
        "showValuesOnSeries",
        "stacked",
        "toggledLifecycles",
    ],
    children: &[],
    ints: &[],
};

static STICKINESS_FILTER: Model = Model {
    kind: None,
    name: "StickinessFilter",
    keys: &[
        "computedAs",
        "display",
        "hiddenLegendIndexes",
        "resultCustomizationBy",
        "resultCustomizations",
        "showLegend",
        "showMultipleYAxes",
        "showValuesOnSeries",
        "stickinessCriteria",
    ],
    children: &[],
    ints: &[],
};

/// One pydantic error: where, its type and message, and the input.
struct Issue {
    loc: String,
    kind: &'static str,
    message: &'static str,
    value: Value,
}

impl Issue {
    /// `extra_forbidden` for a key a model does not define.
    fn extra(loc: String, value: &Value) -> Self {
        Issue {
            loc,
            kind: "extra_forbidden",
            message: "Extra inputs are not permitted",
            value: value.clone(),
        }
    }
}

/// Checks a `POST /query/` body: `Ok` when it has a `query`, no model in it has a key it does
/// not define and the `int` fields the mock reads are lax `int`s; else PostHog's 400
/// `parse_error` naming each fault as pydantic does (location, message and type, the input's
/// Python repr and type). Nodes of kinds the mock does not run are not walked (the mock
/// refuses them anyway).
pub fn check(body: &Map<String, Value>) -> Result<(), PostHogError> {
    let mut issues = Vec::new();
    if !body.contains_key("query") {
        issues.push(Issue {
            loc: "query".to_owned(),
            kind: "missing",
            message: "Field required",
            value: Value::Object(body.clone()),
        });
    }
    walk_model(body, &REQUEST, &mut Vec::new(), &mut issues);
    if issues.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} validation error{} for QueryRequest",
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    for issue in &issues {
        text.push_str(&format!(
            "\n{}\n  {} [type={}, input_value={}, input_type={}]\n    For further information visit https://errors.pydantic.dev/2.12/v/{}",
            issue.loc,
            issue.message,
            issue.kind,
            truncated(&python_repr(&issue.value)),
            python_type(&issue.value),
            issue.kind,
        ));
    }
    Err(PostHogError::parse_error(text))
}

/// Walks `map` as `model`: its fields in key order (the generated models define them
/// alphabetically, and pydantic validates fields before it looks for extras), then its extra
/// keys.
fn walk_model(
    map: &Map<String, Value>,
    model: &Model,
    loc: &mut Vec<String>,
    out: &mut Vec<Issue>,
) {
    for (key, value) in map {
        if model.ints.contains(&key.as_str())
            && let Err((kind, message)) = lax_int(value)
        {
            out.push(Issue {
                loc: located(loc, key),
                kind,
                message,
                value: value.clone(),
            });
        }
        if let Some((_, child)) = model.children.iter().find(|(name, _)| name == key) {
            loc.push(key.clone());
            walk_child(value, *child, loc, out);
            loc.pop();
        }
    }
    for (key, value) in map {
        if !model.keys.contains(&key.as_str()) {
            out.push(Issue::extra(located(loc, key), value));
        }
    }
}

fn walk_child(value: &Value, child: Child, loc: &mut Vec<String>, out: &mut Vec<Issue>) {
    match (child, value) {
        (Child::One(models), Value::Object(map)) => walk_member(map, models, loc, out),
        (Child::Many(models), Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                if let Value::Object(map) = item {
                    loc.push(index.to_string());
                    walk_member(map, models, loc, out);
                    loc.pop();
                }
            }
        }
        (Child::Properties, Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                loc.push(index.to_string());
                walk_property(item, loc, out);
                loc.pop();
            }
        }
        (Child::Properties, Value::Object(_)) => walk_property(value, loc, out),
        _ => {}
    }
}

/// A node of a union: the member its `kind` names (a model without a kind stands alone),
/// labelled by its class name as pydantic labels union members.
fn walk_member(
    map: &Map<String, Value>,
    models: &[&Model],
    loc: &mut Vec<String>,
    out: &mut Vec<Issue>,
) {
    let kind = map.get("kind").and_then(Value::as_str);
    let model = match models {
        [only] if only.kind.is_none() => Some(*only),
        _ => models.iter().copied().find(|model| model.kind == kind),
    };
    let Some(model) = model else {
        return;
    };
    let labelled = model.kind.is_some();
    if labelled {
        loc.push(model.name.to_owned());
    }
    walk_model(map, model, loc, out);
    if labelled {
        loc.pop();
    }
}

/// A property filter or a property group (`{type: AND|OR, values}`), labelled by the
/// filter's class (chosen by `type`, `event` when absent); filters of types PostHog does not
/// define are left to the filter parser.
fn walk_property(value: &Value, loc: &mut Vec<String>, out: &mut Vec<Issue>) {
    let Value::Object(map) = value else {
        return;
    };
    let kind = map.get("type").and_then(Value::as_str);
    if matches!(kind, Some("AND" | "OR")) && map.contains_key("values") {
        loc.push("PropertyGroupFilterValue".to_owned());
        if let Some(Value::Array(values)) = map.get("values") {
            loc.push("values".to_owned());
            for (index, item) in values.iter().enumerate() {
                loc.push(index.to_string());
                walk_property(item, loc, out);
                loc.pop();
            }
            loc.pop();
        }
        for key in map
            .keys()
            .filter(|key| !["type", "values"].contains(&key.as_str()))
        {
            out.push(Issue::extra(located(loc, key), &map[key]));
        }
        loc.pop();
        return;
    }
    if map.is_empty() {
        return;
    }
    let Some((name, extra)) = filter_model(kind.unwrap_or("event")) else {
        return;
    };
    loc.push(name.to_owned());
    for (key, value) in map {
        let common = ["key", "label", "type", "value"].contains(&key.as_str())
            || (key == "operator" && name != "HogQLPropertyFilter");
        if !common && extra != Some(key.as_str()) {
            out.push(Issue::extra(located(loc, key), value));
        }
    }
    loc.pop();
}

/// A property filter type's class name and the key it adds to `key`, `label`, `operator`,
/// `type` and `value`.
fn filter_model(kind: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match kind {
        "event" => ("EventPropertyFilter", None),
        "person" => ("PersonPropertyFilter", None),
        "element" => ("ElementPropertyFilter", None),
        "event_metadata" => ("EventMetadataPropertyFilter", None),
        "session" => ("SessionPropertyFilter", None),
        "cohort" => ("CohortPropertyFilter", Some("cohort_name")),
        "recording" => ("RecordingPropertyFilter", None),
        "log_entry" => ("LogEntryPropertyFilter", None),
        "group" => ("GroupPropertyFilter", Some("group_type_index")),
        "feature" => ("FeaturePropertyFilter", None),
        "flag" => ("FlagPropertyFilter", None),
        "hogql" => ("HogQLPropertyFilter", None),
        "data_warehouse" => ("DataWarehousePropertyFilter", None),
        "data_warehouse_person_property" => ("DataWarehousePersonPropertyFilter", None),
        "error_tracking_issue" => ("ErrorTrackingIssueFilter", None),
        "log" => ("LogPropertyFilter", None),
        "revenue_analytics" => ("RevenueAnalyticsPropertyFilter", None),
        _ => return None,
    })
}

/// `value` as pydantic's lax `int` reads an optional field: null is `None`; an integer, a
/// boolean, an integral float, or a string of an integer (surrounding whitespace and a
/// zero fraction allowed); anything else is the error's type and message.
pub fn lax_int(value: &Value) -> Result<Option<i64>, (&'static str, &'static str)> {
    const PARSING: (&str, &str) = (
        "int_parsing",
        "Input should be a valid integer, unable to parse string as an integer",
    );
    match value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(i64::from(*flag))),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Ok(Some(integer)),
            None => number
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e18)
                .map(|float| Some(float as i64))
                .ok_or((
                    "int_from_float",
                    "Input should be a valid integer, got a number with a fractional part",
                )),
        },
        Value::String(text) => {
            let text = text.trim();
            let whole = match text.split_once('.') {
                Some((whole, zeros)) if !whole.is_empty() && zeros.bytes().all(|b| b == b'0') => {
                    whole
                }
                _ => text,
            };
            whole.parse().map(Some).map_err(|_| PARSING)
        }
        Value::Array(_) | Value::Object(_) => Err(("int_type", "Input should be a valid integer")),
    }
}

/// Pydantic's location: the path joined by dots.
fn located(loc: &[String], key: &str) -> String {
    let mut parts = loc.to_vec();
    parts.push(key.to_owned());
    parts.join(".")
}

/// Python's `repr` of a JSON value as `json.loads` gives it.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => python_str(text),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(key, value)| format!("{}: {}", python_str(key), python_repr(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr` of a string: single quotes unless it holds one and no double quote.
fn python_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Pydantic shortens an input repr over 50 characters to its first 25 and last 24.
fn truncated(repr: &str) -> String {
    let chars: Vec<char> = repr.chars().collect();
    if chars.len() <= 50 {
        return repr.to_owned();
    }
    let head: String = chars[..25].iter().collect();
    let tail: String = chars[chars.len() - 24..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn detail(body: Value) -> Option<String> {
        check(body.as_object().unwrap()).err().map(|error| {
            assert_eq!(
                (error.status, error.kind, error.code.as_str()),
                (400, "invalid_request", "parse_error")
            );
            error.detail
        })
    }

    #[test]
    fn an_extra_top_level_query_key_is_named_with_pydantics_text() {
        let text = detail(json!({"query": {"kind": "ActorsQuery", "selects": ["actor"]}})).unwrap();
        assert_eq!(
            text,
            "JSON parse error - 1 validation error for QueryRequest\nquery.ActorsQuery.selects\n  Extra inputs are not permitted [type=extra_forbidden, input_value=['actor'], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.12/v/extra_forbidden"
        );
    }

    #[test]
    fn nested_extras_are_all_named_children_first() {
        let text = detail(json!({"refreshh": true, "query": {"kind": "ActorsQuery", "source": {
            "kind": "FunnelsActorsQuery", "funnelStep": 1, "source": {"kind": "FunnelsQuery",
            "series": [{"kind": "EventsNode", "event": "a", "evnt": "b",
                        "properties": [{"key": "k", "value": "v", "type": "person", "operator": "exact", "negation": true}]}],
            "funnelsFilter": {"exclusions": [{"kind": "EventsNode", "event": "x", "funnelFromStep": 0, "funnelToStep": 1, "from": 0}]},
            "dateRange": {"date_from": "-7d", "until": null}}}}})).unwrap();
        let locations: Vec<&str> = text.lines().skip(1).step_by(3).collect();
        assert_eq!(
            locations,
            [
                "query.ActorsQuery.source.FunnelsActorsQuery.source.FunnelsQuery.dateRange.until",
                "query.ActorsQuery.source.FunnelsActorsQuery.source.FunnelsQuery.funnelsFilter.exclusions.0.FunnelExclusionEventsNode.from",
                "query.ActorsQuery.source.FunnelsActorsQuery.source.FunnelsQuery.series.0.EventsNode.properties.0.PersonPropertyFilter.negation",
                "query.ActorsQuery.source.FunnelsActorsQuery.source.FunnelsQuery.series.0.EventsNode.evnt",
                "refreshh",
            ]
        );
        assert!(text.starts_with("JSON parse error - 5 validation errors for QueryRequest\n"));
        assert!(text.contains("input_value=None, input_type=NoneType"));
        assert!(text.contains("input_value=True, input_type=bool"));
    }

    #[test]
    fn every_defined_key_passes() {
        let body = json!({"query": {"kind": "ActorsQuery", "select": ["actor"], "orderBy": [], "limit": 1,
            "offset": 0, "search": "", "modifiers": {"anything": 1}, "tags": {}, "version": 1, "response": {"x": 1},
            "properties": {"type": "AND", "values": [{"type": "OR", "values": [{"key": "id", "value": 1, "type": "cohort", "cohort_name": "c"}]}]},
            "source": {"kind": "InsightActorsQuery", "day": "2020-01-01", "series": 0, "breakdown": null, "compare": "current",
                "includeRecordings": false, "interval": 0, "status": null, "source": {"kind": "TrendsQuery", "series": [
                    {"kind": "EventsNode", "event": "e", "math": "total", "custom_name": "n", "name": "e"}],
                    "trendsFilter": {"display": "ActionsTable"}, "compareFilter": {"compare": false},
                    "breakdownFilter": {"breakdown": "$browser", "breakdown_type": "event"},
                    "dateRange": {"date_from": "-7d", "date_to": null, "explicitDate": true}, "interval": "day",
                    "filterTestAccounts": false, "properties": [{}, {"key": "email", "type": "hogql", "value": null}]}}},
            "refresh": "blocking", "client_query_id": "x", "name": "n", "async": false, "limit_context": null});
        assert_eq!(detail(body), None);
    }

    #[test]
    fn nodes_of_kinds_the_mock_does_not_run_are_not_walked() {
        assert_eq!(
            detail(json!({"query": {"kind": "HogQLQuery", "query": "select 1", "x": 1}})),
            None
        );
        assert_eq!(
            detail(json!({"query": {"kind": "ActorsQuery", "source": {"kind": "Nope", "x": 1}}})),
            None
        );
    }

    #[test]
    fn int_fields_are_pydantics_lax_int() {
        for good in [
            json!(3),
            json!(3.0),
            json!(" 3 "),
            json!("3.00"),
            json!(true),
            json!(null),
        ] {
            assert_eq!(
                detail(json!({"query": {"kind": "ActorsQuery", "limit": good}})),
                None
            );
        }
        let text = detail(json!({"query": {"kind": "ActorsQuery", "limit": "ten", "offset": 1.5,
            "source": {"kind": "InsightActorsQuery", "series": [0], "source": {"kind": "TrendsQuery", "series": []}}}})).unwrap();
        assert_eq!(
            text,
            "JSON parse error - 3 validation errors for QueryRequest\n\
             query.ActorsQuery.limit\n  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='ten', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.12/v/int_parsing\n\
             query.ActorsQuery.offset\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=1.5, input_type=float]\n    For further information visit https://errors.pydantic.dev/2.12/v/int_from_float\n\
             query.ActorsQuery.source.InsightActorsQuery.series\n  Input should be a valid integer [type=int_type, input_value=[0], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.12/v/int_type"
        );
    }

    #[test]
    fn a_missing_query_is_pydantics_missing_field() {
        assert_eq!(
            detail(json!({"refresh": "blocking"})).unwrap(),
            "JSON parse error - 1 validation error for QueryRequest\nquery\n  Field required [type=missing, input_value={'refresh': 'blocking'}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/missing"
        );
    }

    #[test]
    fn long_reprs_are_shortened_as_pydantic_does() {
        let long = "a".repeat(60);
        let text = detail(json!({"query": {"kind": "ActorsQuery", "x": long}})).unwrap();
        assert!(text.contains(&format!(
            "input_value='{}...{}', input_type=str",
            "a".repeat(24),
            "a".repeat(23)
        )));
        assert_eq!(python_str("it's"), "\"it's\"");
        assert_eq!(python_str("a\\b\n"), "'a\\\\b\\n'");
    }
}
