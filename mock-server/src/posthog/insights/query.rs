//! `POST /query/` with an `ActorsQuery` (reference §10): the persons list (no `source`) or an
//! insight's persons (`FunnelsActorsQuery`, `InsightActorsQuery` over `TrendsQuery`,
//! `LifecycleQuery` or `StickinessQuery`, `StickinessActorsQuery`,
//! `FunnelCorrelationActorsQuery`), translated to the legacy
//! parameters the actor endpoints read, then ordered, paged and rendered as rows of the
//! `select` columns.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::person::Person;
use super::super::tenant::Project;
use super::super::time;
use super::dates::moment;
use super::page::Actor;
use super::params::{Global, Params, no_actions};
use super::{correlation, funnel_persons, lifecycle, schema, trends};
use crate::http::ApiResponse;

/// The most rows a page holds (PostHog's default HogQL limit).
const MAX_LIMIT: u64 = 50_000;
/// The columns the mock can select.
const COLUMNS: &[&str] = &[
    "actor",
    "person",
    "id",
    "created_at",
    "event_count",
    "matched_recordings",
];

/// Runs the body's query.
pub fn run(project: &Project, call: &Call<'_>) -> Result<ApiResponse, PostHogError> {
    let body = call.body()?;
    schema::check(&body)?;
    let query = body
        .get("query")
        .and_then(Value::as_object)
        .ok_or_else(|| PostHogError::invalid_attr("query", "The query must be a JSON object."))?;
    let kind = query
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "ActorsQuery" {
        return Err(unsupported(kind));
    }
    let select: Vec<String> = match query.get("select") {
        Some(Value::Array(columns)) if !columns.is_empty() => columns
            .iter()
            .map(|column| column.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| PostHogError::invalid("select must be a list of column names."))?,
        _ => vec!["actor".to_owned()],
    };
    if let Some(unknown) = select
        .iter()
        .find(|column| !COLUMNS.contains(&column.as_str()))
    {
        return Err(PostHogError::invalid(format!(
            "The mock selects {} only, not {unknown}.",
            COLUMNS.join(", ")
        )));
    }
    let now = call.now;
    let mut actors = match query.get("source") {
        None | Some(Value::Null) => project.newest_first().map(|index| (index, None)).collect(),
        Some(source) => from_source(project, source, now)?,
    };
    let mut own = Map::new();
    for (from, to) in [("properties", "properties"), ("search", "search")] {
        if let Some(value) = query.get(from) {
            own.insert(to.to_owned(), value.clone());
        }
    }
    let global = Global::parse(&Params::from_map(own), now)?;
    if global.conditions.tests_events() {
        return Err(PostHogError::invalid_attr(
            "properties",
            "An ActorsQuery's own properties filter persons: event property filters (type event, or no type) belong to the source's series or properties.",
        ));
    }
    actors.retain(|(index, _)| {
        project
            .person(*index)
            .is_some_and(|person| global.admits(project, *index, person))
    });
    let order = Order::parse(query.get("orderBy"), &select)?;
    order.sort(project, &mut actors);
    let limit = integer(query, "limit")
        .and_then(|limit| u64::try_from(limit).ok())
        .filter(|limit| *limit > 0)
        .unwrap_or(100)
        .min(MAX_LIMIT);
    let offset = match integer(query, "offset") {
        None => 0,
        Some(offset) => u64::try_from(offset).map_err(|_| {
            PostHogError::invalid_attr("offset", "The offset must not be negative.")
        })?,
    };
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = actors.len() > skip.saturating_add(take);
    let results: Vec<Vec<Value>> = actors
        .iter()
        .skip(skip)
        .take(take)
        .filter_map(|(index, value)| {
            let person = project.person(*index)?;
            Some(
                select
                    .iter()
                    .map(|column| cell(person, *value, column))
                    .collect(),
            )
        })
        .collect();
    let hogql = format!(
        "SELECT {} FROM actors LIMIT {} OFFSET {offset}",
        select.join(", "),
        limit.saturating_add(1)
    );
    let response = QueryJson {
        results,
        columns: select,
        hogql,
        has_more,
        limit,
        offset,
        missing_actors_count: 0,
        is_cached: false,
        last_refresh: time::render(now),
        timezone: "UTC",
        query_status: None,
    };
    Ok(ApiResponse::json(200, &response))
}

#[derive(Serialize)]
struct QueryJson {
    results: Vec<Vec<Value>>,
    columns: Vec<String>,
    /// Required by PostHog's `ActorsQueryResponse`: PostHog's generated SQL, here the mock's
    /// own HogQL-shaped account of the page (columns, the `limit + 1` rows fetched, offset).
    hogql: String,
    #[serde(rename = "hasMore")]
    has_more: bool,
    limit: u64,
    offset: u64,
    missing_actors_count: usize,
    is_cached: bool,
    last_refresh: String,
    timezone: &'static str,
    query_status: Option<Value>,
}

/// `query[name]` as pydantic's lax `int` (`schema::check` has refused any other value).
fn integer(query: &Map<String, Value>, name: &str) -> Option<i64> {
    query
        .get(name)
        .and_then(|value| schema::lax_int(value).ok().flatten())
}

/// The 400 for a query the mock does not run.
fn unsupported(kind: &str) -> PostHogError {
    PostHogError::invalid(format!(
        "The mock runs ActorsQuery only (without a source, or with a FunnelsActorsQuery, an InsightActorsQuery over a TrendsQuery, LifecycleQuery or StickinessQuery, a StickinessActorsQuery or a FunnelCorrelationActorsQuery); got {}.",
        if kind.is_empty() { "no kind" } else { kind }
    ))
}

/// One cell of `column` for `person` (`value`: its event count, when the source has one).
fn cell(person: &Person, value: Option<i64>, column: &str) -> Value {
    match column {
        "id" => Value::String(person.uuid.to_string()),
        "created_at" => Value::String(time::render(person.created_at)),
        "event_count" => value.map_or(Value::Null, Value::from),
        "matched_recordings" => Value::Array(Vec::new()),
        _ => json!({
            "id": person.uuid.to_string(),
            "distinct_ids": person.stored_distinct_ids().collect::<Vec<_>>(),
            "properties": person.properties,
            "is_identified": person.is_identified,
            "created_at": time::render(person.created_at),
        }),
    }
}

/// The sort key an `orderBy` entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    CreatedAt,
    EventCount,
    Email,
    Id,
}

/// The rows' order: keys with their direction (descending when true), UUID ascending last.
struct Order(Vec<(Key, bool)>);

impl Order {
    /// `orderBy` if given; else `event_count` descending if selected, else `created_at`
    /// descending if selected, else the first column ascending.
    fn parse(raw: Option<&Value>, select: &[String]) -> Result<Self, PostHogError> {
        let entries: Vec<&str> = match raw {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if entries.is_empty() {
            let selected = |name: &str| select.iter().any(|column| column == name);
            let default = if selected("event_count") {
                (Key::EventCount, true)
            } else if selected("created_at") {
                (Key::CreatedAt, true)
            } else {
                (Key::Id, false)
            };
            return Ok(Order(vec![default]));
        }
        entries
            .iter()
            .map(|entry| {
                let mut words = entry.split_whitespace();
                let column = words.next().unwrap_or_default();
                let descending = words
                    .next()
                    .is_some_and(|dir| dir.eq_ignore_ascii_case("desc"));
                let key = match column {
                    "created_at" => Key::CreatedAt,
                    "event_count" | "count()" => Key::EventCount,
                    "person" => Key::Email,
                    "id" | "actor" => Key::Id,
                    other => {
                        return Err(PostHogError::invalid(format!(
                            "The mock orders by created_at, event_count, person or id, not {other}."
                        )));
                    }
                };
                Ok((key, descending))
            })
            .collect::<Result<_, _>>()
            .map(Order)
    }

    fn sort(&self, project: &Project, actors: &mut [Actor]) {
        actors.sort_by(|(a, va), (b, vb)| {
            let (Some(pa), Some(pb)) = (project.person(*a), project.person(*b)) else {
                return std::cmp::Ordering::Equal;
            };
            let email = |person: &Person| {
                person
                    .properties
                    .value("email")
                    .map(|email| email.to_string())
            };
            self.0
                .iter()
                .map(|(key, descending)| {
                    let ordering = match key {
                        Key::CreatedAt => pa.created_at.cmp(&pb.created_at),
                        Key::EventCount => va.cmp(vb),
                        Key::Email => email(pa).cmp(&email(pb)),
                        Key::Id => pa.uuid.cmp(&pb.uuid),
                    };
                    if *descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                })
                .find(|ordering| ordering.is_ne())
                .unwrap_or_else(|| pa.uuid.cmp(&pb.uuid))
        });
    }
}

/// The persons of an actors source.
fn from_source(project: &Project, source: &Value, now: i64) -> Result<Vec<Actor>, PostHogError> {
    let kind = source
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let inner = source.get("source").cloned().unwrap_or(Value::Null);
    let inner_kind = inner
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (kind, inner_kind) {
        ("FunnelsActorsQuery", "FunnelsQuery") => {
            funnel_persons::actors(project, &Params::from_map(funnel(source, &inner)?), now)
        }
        ("FunnelCorrelationActorsQuery", "FunnelCorrelationQuery") => {
            let actors = inner.get("source").cloned().unwrap_or(Value::Null);
            let funnels = actors.get("source").cloned().unwrap_or(Value::Null);
            let mut map = funnel(&actors, &funnels)?;
            copy(
                &inner,
                "funnelCorrelationType",
                &mut map,
                "funnel_correlation_type",
            );
            copy(
                source,
                "funnelCorrelationPropertyValues",
                &mut map,
                "funnel_correlation_property_values",
            );
            if let Some(converted) = source
                .get("funnelCorrelationPersonConverted")
                .and_then(Value::as_bool)
            {
                map.insert(
                    "funnel_correlation_person_converted".to_owned(),
                    json!(converted.to_string()),
                );
            }
            if let Some(node) = source
                .get("funnelCorrelationPersonEntity")
                .filter(|node| !node.is_null())
            {
                map.insert(
                    "funnel_correlation_person_entity".to_owned(),
                    entity(node, 0)?,
                );
            }
            correlation::actors(project, &Params::from_map(map), now)
        }
        ("InsightActorsQuery", "TrendsQuery") => {
            let mut map = legacy(&inner, Some(series_index(source, &inner)?))?;
            map.insert("entity_order".to_owned(), json!("0"));
            let math = map["events"][0]
                .get("math")
                .cloned()
                .unwrap_or(json!("total"));
            map.insert("entity_math".to_owned(), math);
            match source.get("breakdown") {
                None => {}
                Some(Value::Null) => {
                    map.insert("breakdown_value".to_owned(), json!(""));
                }
                Some(value) => {
                    map.insert("breakdown_value".to_owned(), value.clone());
                }
            }
            let window = trends_window(source, &inner, now)?;
            trends::actors(project, &Params::from_map(map), window, now)
        }
        ("InsightActorsQuery", "LifecycleQuery") => {
            let map = legacy(&inner, None)?;
            let text = |name: &str| source.get(name).and_then(Value::as_str);
            let (Some(day), Some(status)) = (text("day"), text("status")) else {
                return Err(PostHogError::invalid(
                    "An InsightActorsQuery over a LifecycleQuery needs day and status.",
                ));
            };
            lifecycle::actors(project, &Params::from_map(map), day, status, now)
        }
        ("InsightActorsQuery" | "StickinessActorsQuery", "StickinessQuery") => {
            let mut map = legacy(&inner, Some(series_index(source, &inner)?))?;
            map.insert("entity_order".to_owned(), json!("0"));
            copy(source, "day", &mut map, "stickiness_days");
            trends::sticky(project, &Params::from_map(map), now)
        }
        _ => Err(unsupported(&format!("{kind} over {inner_kind}"))),
    }
}

/// The chart displays of a total value (`TrendsDisplay.is_total_value`).
const TOTAL_VALUE_DISPLAYS: &[&str] = &[
    "BoldNumber",
    "ActionsPie",
    "ActionsBarValue",
    "WorldMap",
    "CalendarHeatmap",
    "ActionsTable",
];

/// The window of a trends actors query (`source`) over its `TrendsQuery` (`inner`): a
/// total-value display (`trendsFilter.display`) takes no `day` and counts the whole range;
/// any other display (the default is a line graph) needs the `day` whose interval it counts.
/// The wrong combination is the builder's `QueryError`, which `/query/` answers as a 400.
fn trends_window(source: &Value, inner: &Value, now: i64) -> Result<trends::Window, PostHogError> {
    let display = inner
        .get("trendsFilter")
        .and_then(|filter| filter.get("display"))
        .and_then(Value::as_str);
    let total = display.is_some_and(|display| TOTAL_VALUE_DISPLAYS.contains(&display));
    match (source.get("day").filter(|day| !day.is_null()), total) {
        (None, true) => Ok(trends::Window::Total),
        (Some(day), false) => {
            let day = day
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| day.to_string());
            Ok(trends::Window::Point(moment(&day, now)))
        }
        (Some(_), true) => Err(PostHogError::query_error(
            "A `day` is forbidden for trends actors queries with total value aggregation",
        )),
        (None, false) => Err(PostHogError::query_error(
            "A `day` is required for trends actors queries without total value aggregation",
        )),
    }
}

/// The series an actors query (`source`) picks of its insight query (`inner`): `series`,
/// default 0, indexes the series list as Python does (−1 is the last); an index out of range
/// is the `IndexError` PostHog's actors query builders raise, a 500.
fn series_index(source: &Value, inner: &Value) -> Result<u64, PostHogError> {
    let count = inner
        .get("series")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let wanted = source
        .get("series")
        .and_then(|value| schema::lax_int(value).ok().flatten())
        .unwrap_or(0);
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let index = if wanted < 0 { count + wanted } else { wanted };
    if (0..count).contains(&index) {
        u64::try_from(index).map_err(|_| PostHogError::server_error())
    } else {
        Err(PostHogError::server_error())
    }
}

/// A `FunnelsActorsQuery` (`actors`) over its `FunnelsQuery` (`query`) under the legacy
/// funnel names.
fn funnel(actors: &Value, query: &Value) -> Result<Map<String, Value>, PostHogError> {
    let mut map = legacy(query, None)?;
    funnel_filter(query, &mut map)?;
    copy_int(actors, "funnelStep", &mut map, "funnel_step");
    for (from, to) in [
        ("funnelCustomSteps", "funnel_custom_steps"),
        ("funnelStepBreakdown", "funnel_step_breakdown"),
        ("funnelTrendsDropOff", "drop_off"),
        ("funnelTrendsEntrancePeriodStart", "entrance_period_start"),
    ] {
        copy(actors, from, &mut map, to);
    }
    Ok(map)
}

/// Copies the pydantic `int` `source[from]` (`schema::check` has refused any other value) to
/// `map[to]` as a JSON integer, when present.
fn copy_int(source: &Value, from: &str, map: &mut Map<String, Value>, to: &str) {
    if let Some(value) = source
        .get(from)
        .and_then(|value| schema::lax_int(value).ok().flatten())
    {
        map.insert(to.to_owned(), json!(value));
    }
}

/// Copies `source[from]` to `map[to]` when present.
fn copy(source: &Value, from: &str, map: &mut Map<String, Value>, to: &str) {
    if let Some(value) = source.get(from).filter(|value| !value.is_null()) {
        map.insert(to.to_owned(), value.clone());
    }
}

/// An insight query's series (all, or the one at `series`), range, interval, properties and
/// breakdown under their legacy names.
fn legacy(query: &Value, series: Option<u64>) -> Result<Map<String, Value>, PostHogError> {
    let nodes = query
        .get("series")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let events = nodes
        .iter()
        .enumerate()
        .filter(|(index, _)| series.is_none_or(|wanted| u64::try_from(*index).ok() == Some(wanted)))
        .map(|(order, node)| entity(node, order))
        .collect::<Result<Vec<_>, _>>()?;
    let mut map = Map::new();
    map.insert("events".to_owned(), Value::Array(events));
    if let Some(range) = query.get("dateRange") {
        copy(range, "date_from", &mut map, "date_from");
        copy(range, "date_to", &mut map, "date_to");
        copy(range, "explicitDate", &mut map, "explicit_date");
    }
    copy(query, "interval", &mut map, "interval");
    copy(query, "properties", &mut map, "properties");
    if let Some(breakdown) = query.get("breakdownFilter") {
        copy(breakdown, "breakdown", &mut map, "breakdown");
        copy(breakdown, "breakdown_type", &mut map, "breakdown_type");
    }
    Ok(map)
}

/// A series node as a legacy entity: `EventsNode` → `{id, type, order, properties, math}`.
fn entity(node: &Value, order: usize) -> Result<Value, PostHogError> {
    match node.get("kind").and_then(Value::as_str) {
        Some("EventsNode") => Ok(json!({
            "id": node.get("event").cloned().unwrap_or(Value::Null),
            "type": "events",
            "order": order,
            "properties": node.get("properties").cloned().unwrap_or(json!([])),
            "math": node.get("math").cloned().unwrap_or(Value::Null),
        })),
        Some("ActionsNode") => Err(no_actions()),
        other => Err(PostHogError::invalid(format!(
            "The mock reads EventsNode series only, not {}.",
            other.unwrap_or("a node without kind")
        ))),
    }
}

/// `funnelsFilter` under the legacy funnel names; an `ActionsNode` exclusion is the mock's
/// actions 400, as an `ActionsNode` series is.
fn funnel_filter(query: &Value, map: &mut Map<String, Value>) -> Result<(), PostHogError> {
    let Some(filter) = query.get("funnelsFilter") else {
        return Ok(());
    };
    for (from, to) in [
        ("funnelOrderType", "funnel_order_type"),
        ("funnelVizType", "funnel_viz_type"),
        ("funnelWindowIntervalUnit", "funnel_window_interval_unit"),
        ("breakdownAttributionType", "breakdown_attribution_type"),
    ] {
        copy(filter, from, map, to);
    }
    for (from, to) in [
        ("funnelWindowInterval", "funnel_window_interval"),
        ("breakdownAttributionValue", "breakdown_attribution_value"),
        ("funnelFromStep", "funnel_from_step"),
        ("funnelToStep", "funnel_to_step"),
    ] {
        copy_int(filter, from, map, to);
    }
    if let Some(Value::Array(exclusions)) = filter.get("exclusions") {
        if exclusions
            .iter()
            .any(|node| node.get("kind").and_then(Value::as_str) == Some("ActionsNode"))
        {
            return Err(no_actions());
        }
        let legacy: Vec<Value> = exclusions
            .iter()
            .map(|node| {
                let mut exclusion = Map::new();
                exclusion.insert(
                    "id".to_owned(),
                    node.get("event").cloned().unwrap_or(Value::Null),
                );
                exclusion.insert("type".to_owned(), json!("events"));
                exclusion.insert(
                    "properties".to_owned(),
                    node.get("properties").cloned().unwrap_or(json!([])),
                );
                copy_int(node, "funnelFromStep", &mut exclusion, "funnel_from_step");
                copy_int(node, "funnelToStep", &mut exclusion, "funnel_to_step");
                Value::Object(exclusion)
            })
            .collect();
        map.insert("exclusions".to_owned(), Value::Array(legacy));
    }
    Ok(())
}
