//! `GET /persons/trends/` (reference §7) and `GET /persons/stickiness/` (§9): the target
//! series, each candidate's matching events in the window, and the persons a data point (or
//! a stickiness bucket) stands for.

use serde_json::Value;

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::person::Person;
use super::super::tenant::{PersonIndex, Project, value_text};
use super::dates::{Interval, MICROS_PER_DAY, Range};
use super::page::{self, Actor, Envelope};
use super::params::{Entity, Global, Lazy, Params, candidates, entities, events_of, no_actions};
use crate::http::ApiResponse;

/// The series the request targets: `entity_order`'s entity, else the first `events` entity
/// with the same id and math, else `{id, math}` alone (§7).
fn target(params: &Params, now: i64) -> Result<Entity, PostHogError> {
    let id = params.text("entity_id").or_else(|| params.text("entityId"));
    let kind = params
        .text("entity_type")
        .or_else(|| params.text("type"))
        .map_or_else(|| "events".to_owned(), |kind| kind.into_owned());
    let math = params
        .text("entity_math")
        .map_or_else(|| "total".to_owned(), |math| math.into_owned());
    if kind != "events" {
        if id.is_none() {
            return Err(PostHogError::invalid(
                "An entity id and the entity type must be provided to determine an entity",
            ));
        }
        return Err(no_actions());
    }
    let series = entities(params, now)?;
    if let Some(order) = params.int("entity_order")?
        && let Some(entity) = usize::try_from(order)
            .ok()
            .and_then(|order| series.get(order))
    {
        return Ok(entity.clone());
    }
    let same = series.into_iter().find(|entity| {
        entity.id.as_deref() == id.as_deref() && entity.math.as_deref().unwrap_or("total") == math
    });
    match same {
        Some(entity) => Ok(entity),
        None => Entity::parse(
            &serde_json::json!({"id": id, "type": kind, "math": math}),
            now,
        ),
    }
}

/// The bucket a trends breakdown asks for.
enum Bucket {
    /// An event property equals the value (`""`: missing or null).
    Event(String, String),
    /// A person property equals the value (`""`: missing or null).
    Person(String, String),
    /// Membership of a cohort.
    Cohort(i64),
}

impl Bucket {
    fn parse(params: &Params) -> Result<Option<Self>, PostHogError> {
        let Some(key) = params.text("breakdown").filter(|key| !key.is_empty()) else {
            return Ok(None);
        };
        let value = params
            .text("breakdown_value")
            .unwrap_or_default()
            .into_owned();
        let key = match params.json("breakdown") {
            Some(Value::Array(items)) => items.first().map(|first| value_text(first).into_owned()),
            _ => Some(key.into_owned()),
        }
        .unwrap_or_default();
        match params.text("breakdown_type").as_deref() {
            None | Some("event") => Ok(Some(Bucket::Event(key, value))),
            Some("person") => Ok(Some(Bucket::Person(key, value))),
            Some("cohort") if value == "all" => Ok(None),
            Some("cohort") => value
                .parse()
                .map(|id| Some(Bucket::Cohort(id)))
                .map_err(|_| PostHogError::invalid("breakdown_value must be a cohort id or all.")),
            Some(other) => Err(PostHogError::invalid(format!(
                "The mock breaks trends down by event, person or cohort, not {other}."
            ))),
        }
    }

    fn admits_person(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        match self {
            Bucket::Person(key, value) => equals(person.properties.value(key).as_ref(), value),
            Bucket::Cohort(id) => project
                .cohort(*id)
                .is_some_and(|cohort| cohort.members.contains(&index)),
            Bucket::Event(..) => true,
        }
    }

    fn admits_event(&self, event: &Lazy<'_>) -> bool {
        match self {
            Bucket::Event(key, value) => equals(event.property(key).as_ref(), value),
            _ => true,
        }
    }
}

/// Whether a property value is the bucket `value` (`""`: missing or null).
fn equals(found: Option<&Value>, value: &str) -> bool {
    match found {
        None | Some(Value::Null) => value.is_empty(),
        Some(found) => value_text(found) == value,
    }
}

/// The window a trends question counts events in (newest `TrendsActorsQueryBuilder.
/// _date_where_expr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// A total-value question (the legacy endpoint, a `/query/` without `day`): the whole
    /// range; `weekly_active`/`monthly_active`: the 6/29 days before `date_to` up to it.
    Total,
    /// One point of a time series (`/query/`'s `day`, this moment): the interval starting
    /// at its interval's start; `weekly_active`/`monthly_active` reach 6/29 days before that
    /// start; with `explicit_date`, clamped to the range.
    Point(i64),
}

impl Window {
    /// The events' range for `range` (parsed from the parameters; `explicit`: whether
    /// `explicit_date` was set), by `interval`, reaching `active_days` back for WAU/MAU.
    fn range(
        self,
        range: Range,
        interval: Interval,
        explicit: bool,
        active_days: Option<i64>,
    ) -> Range {
        let (from, to) = match self {
            Window::Total => (range.from, range.to),
            Window::Point(at) => {
                let start = interval.start(at);
                (start, interval.next(start) - 1)
            }
        };
        let from = match (self, active_days) {
            (_, None) => from,
            (Window::Total, Some(days)) => to - days * MICROS_PER_DAY,
            (Window::Point(_), Some(days)) => from - days * MICROS_PER_DAY,
        };
        if explicit {
            Range {
                from: from.max(range.from),
                to: to.min(range.to),
            }
        } else {
            Range { from, to }
        }
    }
}

/// What both endpoints read: the target series, its window, filters and breakdown.
struct Series {
    entity: Entity,
    range: Range,
    interval: Interval,
    global: Global,
    bucket: Option<Bucket>,
}

impl Series {
    fn parse(params: &Params, window: Window, now: i64) -> Result<Self, PostHogError> {
        let entity = target(params, now)?;
        let (interval, range) = params.range(now)?;
        let active_days = match entity.math.as_deref() {
            Some("weekly_active") => Some(6),
            Some("monthly_active") => Some(29),
            _ => None,
        };
        let range = window.range(range, interval, params.flag("explicit_date"), active_days);
        Ok(Self {
            entity,
            range,
            interval,
            global: Global::parse(params, now)?,
            bucket: Bucket::parse(params)?,
        })
    }

    /// Each admitted person with the times of its matching events in the window.
    fn matches(&self, project: &Project) -> Vec<(PersonIndex, Vec<i64>)> {
        let matcher = self.entity.resolve(project);
        candidates(project, &[&self.entity], self.range)
            .into_iter()
            .filter_map(|index| {
                let person = project.person(index)?;
                let admitted = self.global.admits(project, index, person)
                    && matcher.admits(project, index, person)
                    && self
                        .bucket
                        .as_ref()
                        .is_none_or(|bucket| bucket.admits_person(project, index, person));
                if !admitted {
                    return None;
                }
                let times: Vec<i64> = events_of(project, index, self.range.from, self.range.to)
                    .iter()
                    .filter(|event| {
                        matcher.matches(event)
                            && self.global.conditions.matches_lazy(event)
                            && self.bucket.as_ref().is_none_or(|b| b.admits_event(event))
                    })
                    .map(|event| event.at.timestamp)
                    .collect();
                (!times.is_empty()).then_some((index, times))
            })
            .collect()
    }
}

/// Answers `/persons/trends/`: persons with a matching event in the window, each with its
/// event count as `value_at_data_point`.
pub fn persons(project: &Project, call: &Call<'_>) -> Result<ApiResponse, PostHogError> {
    let params = Params::of(call, false)?;
    let paging = params.paging("limit", "offset")?;
    let actors = actors(project, &params, Window::Total, call.now)?;
    Ok(page::respond(project, call, actors, paging, Envelope::Full))
}

/// The trends persons of `params` in `window`, each with its matching-event count.
pub fn actors(
    project: &Project,
    params: &Params,
    window: Window,
    now: i64,
) -> Result<Vec<Actor>, PostHogError> {
    let series = Series::parse(params, window, now)?;
    Ok(series
        .matches(project)
        .into_iter()
        .map(|(index, times)| (index, Some(i64::try_from(times.len()).unwrap_or(i64::MAX))))
        .collect())
}

/// Answers `/persons/stickiness/`: persons active in exactly `stickiness_days` (or
/// `selected_interval`) distinct intervals of the range.
pub fn stickiness(project: &Project, call: &Call<'_>) -> Result<ApiResponse, PostHogError> {
    let params = Params::of(call, false)?;
    let paging = params.paging("limit", "offset")?;
    let actors = sticky(project, &params, call.now)?;
    Ok(page::respond(project, call, actors, paging, Envelope::Bare))
}

/// The stickiness persons of `params`: those active in exactly K intervals, K as PostHog's
/// `SelectedIntervalMixin` reads it, `int(stickiness_days or "0") or int(selected_interval or
/// "0")` (absent is 0; a value Python's `int` refuses, the empty string included, is a 500).
/// K = 0 (no parameter) lists nobody, as the legacy query's `num_intervals = 0` matches no
/// person.
pub fn sticky(project: &Project, params: &Params, now: i64) -> Result<Vec<Actor>, PostHogError> {
    let series = Series::parse(params, Window::Total, now)?;
    let days = |name: &str| match params.text(name) {
        None => Ok(0),
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| PostHogError::server_error()),
    };
    let wanted = match days("stickiness_days")? {
        0 => days("selected_interval")?,
        days => days,
    };
    Ok(series
        .matches(project)
        .into_iter()
        .filter(|(_, times)| {
            let mut periods: Vec<i64> = times.iter().map(|at| series.interval.start(*at)).collect();
            periods.sort_unstable();
            periods.dedup();
            i64::try_from(periods.len()).ok() == Some(wanted)
        })
        .map(|(index, _)| (index, None))
        .collect())
}
