//! Reads of a person's past, rebuilt from its events in the log: properties at a point in
//! time (`properties_at_time`) and the points where watched properties changed
//! (`properties_timeline`). Both read only the events of the person's distinct ids (from the
//! project's per-distinct-id event index), never the whole log.

use serde::Serialize;
use serde_json::Value;

use super::error::PostHogError;
use super::filter::Filters;
use super::person::Person;
use super::properties::{Prop, Properties};
use super::tenant::{Project, value_text};
use super::time;
use super::updates::PropertyUpdates;

/// Most events properties_at_time reads, as PostHog's query limit.
const AT_TIME_MAX_EVENTS: usize = 100_000;
/// How far back properties_at_time looks: two years.
const AT_TIME_LOOKBACK_MICROS: i64 = 2 * 365 * 24 * 3600 * time::MICROS_PER_SECOND;

/// The person's properties at `at`: every `$set` of its events in the two years up to `at`,
/// last writer wins; with `include_set_once`, `$set_once` events fill missing keys. `$unset`
/// is ignored, as PostHog ignores it.
pub fn properties_at(
    project: &Project,
    person: &Person,
    at: i64,
    include_set_once: bool,
) -> Properties {
    let from = at.saturating_sub(AT_TIME_LOOKBACK_MICROS);
    let mut properties = Properties::default();
    let window = project
        .events_of(person)
        .into_iter()
        .filter(|event| from <= event.timestamp && event.timestamp <= at)
        .take(AT_TIME_MAX_EVENTS);
    for event in window {
        let nested = |key: &str| event.properties.get(key).and_then(Prop::as_object);
        if let Some(set) = nested("$set") {
            for (key, value) in set.iter() {
                properties.insert(key.into(), value.clone());
            }
        }
        if include_set_once
            && event.name == "$set_once"
            && let Some(set_once) = nested("$set_once")
        {
            for (key, value) in set_once.iter() {
                properties.get_or_insert_with(key, || value.clone());
            }
        }
    }
    properties
}

/// What properties_timeline watches and counts, from its legacy insight parameters.
#[derive(Debug)]
pub struct TimelineFilter {
    /// The crucial keys: those of the person filters in `properties` and in the `events`
    /// entities' `properties`, sorted.
    crucial: Vec<String>,
    /// The `events` entities' ids (`None`: every event); none: every event counts.
    events: Vec<Option<String>>,
}

impl TimelineFilter {
    /// Parses the `properties`, `events` and `actions` parameters (JSON arrays); relative
    /// dates in filters count back from `now`. The mock has no actions, so a non-empty
    /// `actions` is PostHog's 400 for an action that does not exist.
    pub fn parse(
        properties: Option<&str>,
        events: Option<&str>,
        actions: Option<&str>,
        now: i64,
    ) -> Result<Self, PostHogError> {
        let mut crucial = match properties {
            Some(json) => Filters::parse(json, now)?.keys(),
            None => Vec::new(),
        };
        if let Some(action) = entities("actions", actions)?.first() {
            let id = action
                .get("id")
                .map_or_else(String::new, |id| value_text(id).into_owned());
            return Err(PostHogError::invalid(format!(
                "Action ID {id} does not exist!"
            )));
        }
        let mut names = Vec::new();
        for entity in entities("events", events)? {
            names.push(
                entity
                    .get("id")
                    .filter(|id| !id.is_null())
                    .map(|id| value_text(id).into_owned()),
            );
            if let Some(filters) = entity.get("properties").filter(|value| !value.is_null()) {
                crucial.extend(Filters::parse(&filters.to_string(), now)?.keys());
            }
        }
        crucial.sort_unstable();
        crucial.dedup();
        Ok(Self {
            crucial,
            events: names,
        })
    }

    /// Whether an event named `name` makes and counts points.
    fn counts(&self, name: &str) -> bool {
        self.events.is_empty()
            || self
                .events
                .iter()
                .any(|wanted| wanted.as_deref().is_none_or(|wanted| wanted == name))
    }
}

/// The entities of parameter `name` (a JSON array; absent: none).
fn entities(name: &str, json: Option<&str>) -> Result<Vec<Value>, PostHogError> {
    match json.map(serde_json::from_str::<Value>) {
        None => Ok(Vec::new()),
        Some(Ok(Value::Array(items))) => Ok(items),
        Some(_) => Err(PostHogError::invalid_attr(
            name,
            format!("Invalid {name}: {}", json.unwrap_or_default()),
        )),
    }
}

/// properties_timeline's body.
#[derive(Debug, Serialize)]
pub struct TimelineJson {
    points: Vec<PointJson>,
    crucial_property_keys: Vec<String>,
    effective_date_from: String,
    effective_date_to: String,
}

#[derive(Debug, Serialize)]
struct PointJson {
    timestamp: String,
    properties: Properties,
    relevant_event_count: usize,
}

/// The points in `[from, to]` where the values of `filter`'s crucial keys change (a single
/// point without crucial keys), each with the properties as they stood after its first event
/// and the number of events until the next point; only the events `filter` counts make
/// points and are counted. Properties are replayed from all the person's events with
/// ingestion's rules, as PostHog stamps them on each event.
pub fn timeline(
    project: &Project,
    person: &Person,
    filter: TimelineFilter,
    from: Option<i64>,
    to: i64,
) -> TimelineJson {
    let crucial = &filter.crucial;
    let mut properties = Properties::default();
    let mut points: Vec<PointJson> = Vec::new();
    let mut last_crucial: Option<Vec<Option<Prop>>> = None;
    let mut first_in_window = None;
    for event in project.events_of(person) {
        PropertyUpdates::of(&event.properties).apply_to(&mut properties);
        if from.is_some_and(|from| event.timestamp < from)
            || event.timestamp > to
            || !filter.counts(event.name)
        {
            continue;
        }
        first_in_window.get_or_insert(event.timestamp);
        let values: Vec<Option<Prop>> = crucial
            .iter()
            .map(|key| properties.get(key).cloned())
            .collect();
        let changed = last_crucial.as_ref() != Some(&values);
        match points.last_mut() {
            Some(point) if !changed || crucial.is_empty() => point.relevant_event_count += 1,
            _ => points.push(PointJson {
                timestamp: time::render(event.timestamp),
                properties: properties.clone(),
                relevant_event_count: 1,
            }),
        }
        last_crucial = Some(values);
    }
    let effective_from = from.or(first_in_window).unwrap_or(to);
    TimelineJson {
        points,
        crucial_property_keys: filter.crucial,
        effective_date_from: time::render_python(effective_from),
        effective_date_to: time::render_python(to),
    }
}
