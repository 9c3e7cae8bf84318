//! `GET|POST /persons/funnel/` (reference §5): the funnel filter, its validation errors, each
//! candidate person's stream through [`Funnel::progress`], and the persons a `funnel_step` (or
//! `funnel_custom_steps`, a breakdown bucket, a funnel-trends entry period) selects.

use serde_json::Value;

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::person::Person;
use super::super::tenant::{PersonIndex, Project, value_text};
use super::dates::{Interval, MICROS_PER_DAY, Range, moment};
use super::funnel::{Event, Exclusion, Funnel, Order, Progress};
use super::page::{self, Actor, Envelope};
use super::params::{Entity, Global, Lazy, Matcher, Params, entities, events_of};
use crate::http::ApiResponse;

/// The default conversion window: 14 days.
const DEFAULT_WINDOW_DAYS: i64 = 14;
/// The most steps (and exclusions) a funnel may have, one bit each.
const MAX_STEPS: usize = 64;

/// Answers `/persons/funnel/`; `body`: whether the JSON body's parameters count (POST).
pub fn persons(
    project: &Project,
    call: &Call<'_>,
    body: bool,
) -> Result<ApiResponse, PostHogError> {
    let params = Params::of(call, body)?;
    let actors = actors(project, &params, call.now)?;
    let paging = params.paging("limit", "offset")?;
    Ok(page::respond(project, call, actors, paging, Envelope::Full))
}

/// The funnel persons `params` select.
pub fn actors(project: &Project, params: &Params, now: i64) -> Result<Vec<Actor>, PostHogError> {
    let query = FunnelQuery::parse(params, now)?;
    let selection = Selection::parse(params, query.funnel.steps, now)?;
    Ok(query.actors(project, &selection))
}

/// A parsed funnel: steps, shape, range, global filters and breakdown.
#[derive(Debug)]
pub struct FunnelQuery {
    /// The steps, in order.
    pub steps: Vec<Entity>,
    /// The exclusion entities, parallel to `funnel.exclusions`.
    exclusions: Vec<Entity>,
    /// The shape the scan runs.
    pub funnel: Funnel,
    /// The time range.
    pub range: Range,
    /// Global filters and search.
    pub global: Global,
    /// The breakdown, when one is asked for.
    breakdown: Option<Breakdown>,
}

/// The breakdown a bucket is asked of.
#[derive(Debug)]
struct Breakdown {
    key: String,
    person: bool,
    attribution: Attribution,
    /// `funnel_step_breakdown`, flattened to texts; `None`: every bucket.
    wanted: Option<Vec<String>>,
}

/// How a person's events give its bucket (reference §5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attribution {
    FirstTouch,
    LastTouch,
    AllEvents,
    Step(usize),
}

/// Which persons a request lists.
#[derive(Debug)]
pub enum Selection {
    /// `funnel_step=N`: completed step N (N ≥ 1).
    Completed(usize),
    /// `funnel_step=-N`: reached step N−1, not step N.
    DroppedBefore(usize),
    /// `funnel_custom_steps`: the furthest step is one of these.
    Custom(Vec<usize>),
    /// Funnel trends: counted in the period starting at `entered` (its attempts reached
    /// step `from`, 1-based), converted to step `target` (1-based) or, with `dropped`, not.
    Trends {
        entered: i64,
        interval: Interval,
        from: usize,
        target: usize,
        dropped: bool,
    },
}

/// Whether the persons asked are funnel trends' (PostHog's `FunnelTypeMixin.funnel_viz_type`):
/// `funnel_viz_type=trends`, or, with no `funnel_viz_type` at all, the older spelling
/// `display=ActionsLineGraph` (the endpoint's filter always has `insight=FUNNELS`).
fn funnel_trends(params: &Params) -> bool {
    match params.text("funnel_viz_type") {
        Some(viz) => viz == "trends",
        None => params.text("display").as_deref() == Some("ActionsLineGraph"),
    }
}

impl Selection {
    /// Reads `funnel_custom_steps` (which wins), `funnel_step`, or the funnel-trends
    /// parameters; PostHog's 500s for a missing, zero or `-1` step.
    pub fn parse(params: &Params, steps: usize, now: i64) -> Result<Self, PostHogError> {
        if funnel_trends(params) {
            return Self::trends(params, steps, now);
        }
        if let Some(Value::Array(custom)) = params.json("funnel_custom_steps")
            && !custom.is_empty()
        {
            let levels = custom
                .iter()
                .map(|step| {
                    step.as_u64()
                        .and_then(|step| usize::try_from(step).ok())
                        .ok_or_else(PostHogError::server_error)
                })
                .collect::<Result<_, _>>()?;
            return Ok(Selection::Custom(levels));
        }
        match params.int("funnel_step")? {
            None | Some(0 | -1) => Err(PostHogError::server_error()),
            Some(step) if step > 0 => Ok(Selection::Completed(to_usize(step))),
            Some(step) => Ok(Selection::DroppedBefore(to_usize(step.saturating_neg()))),
        }
    }

    fn trends(params: &Params, steps: usize, now: i64) -> Result<Self, PostHogError> {
        let dropped = params
            .text("drop_off")
            .map(|text| text.to_ascii_lowercase())
            .ok_or_else(|| {
                PostHogError::invalid(
                    "Filter parameter drop_off must be provided and a bool for funnel trends persons!",
                )
            })?;
        let entered = params.text("entrance_period_start").ok_or_else(|| {
            PostHogError::invalid(
                "Filter parameter entrance_period_start must be provided and a datetime for funnel trends persons!",
            )
        })?;
        let interval = Interval::parse(params.text("interval").as_deref())?;
        let (from, to) = step_range(params, steps)?;
        Ok(Selection::Trends {
            entered: interval.start(moment(&entered, now)),
            interval,
            from: from + 1,
            target: to + 1,
            dropped: matches!(dropped.as_str(), "y" | "yes" | "t" | "true" | "on" | "1"),
        })
    }

    /// The least level a selected person has (at least 1: everyone in a funnel entered it).
    pub fn least_level(&self) -> usize {
        let least = match self {
            Selection::Completed(step) => *step,
            Selection::DroppedBefore(step) => step.saturating_sub(1),
            Selection::Custom(levels) => levels.iter().copied().min().unwrap_or(1),
            Selection::Trends { from, .. } => *from,
        };
        least.max(1)
    }

    /// The entrance period whose attempts alone count, as `(from, until)`: funnel trends
    /// run the funnel once per period (reference §5.6, PostHog's trends UDF).
    pub fn entering(&self) -> Option<(i64, i64)> {
        match self {
            Selection::Trends {
                entered, interval, ..
            } => Some((*entered, interval.next(*entered))),
            _ => None,
        }
    }

    /// Whether a person at `level` (for funnel trends, the level of the attempts entering in
    /// the period) is selected.
    pub fn admits(&self, level: usize) -> bool {
        match self {
            Selection::Completed(step) => level >= *step,
            Selection::DroppedBefore(step) => level + 1 == *step,
            Selection::Custom(levels) => levels.contains(&level),
            Selection::Trends {
                from,
                target,
                dropped,
                ..
            } => level >= *from && (level >= *target) != *dropped,
        }
    }
}

/// `funnel_from_step` (default 0) and `funnel_to_step` (default the last), 0-based, with the
/// 400s of PostHog's `ValidateFunnelStepRange`.
fn step_range(params: &Params, steps: usize) -> Result<(usize, usize), PostHogError> {
    let last = i64::try_from(steps).unwrap_or(i64::MAX) - 1;
    let from = params.int("funnel_from_step")?;
    if from.is_some_and(|from| !(0..last).contains(&from)) {
        return Err(PostHogError::invalid(format!(
            "funnelFromStep is out of bounds. It must be between 0 and {}.",
            last - 1
        )));
    }
    let to = params.int("funnel_to_step")?;
    if to.is_some_and(|to| !(1..=last).contains(&to)) {
        return Err(PostHogError::invalid(format!(
            "funnelToStep is out of bounds. It must be between 1 and {last}."
        )));
    }
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(PostHogError::invalid(
            "Funnel step range is invalid. funnelToStep should be greater than funnelFromStep.",
        ));
    }
    Ok((
        from.map_or(0, to_usize),
        to.map_or(steps.saturating_sub(1), to_usize),
    ))
}

fn to_usize(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl FunnelQuery {
    /// Parses and validates the funnel filter.
    pub fn parse(params: &Params, now: i64) -> Result<Self, PostHogError> {
        let steps = entities(params, now)?;
        if steps.is_empty() {
            return Err(PostHogError::invalid("Funnels require at least two steps."));
        }
        if steps.len() > MAX_STEPS {
            return Err(PostHogError::invalid(
                "The mock runs funnels of at most 64 steps.",
            ));
        }
        let order = match params.text("funnel_order_type").as_deref() {
            Some("strict") => Order::Strict,
            Some("unordered") => Order::Unordered,
            _ => Order::Ordered,
        };
        let (exclusions, ranges) = parse_exclusions(params, &steps, order, now)?;
        let (_, range) = params.range(now)?;
        let breakdown = Breakdown::parse(params)?;
        let attributed = match &breakdown {
            Some(Breakdown {
                person: false,
                attribution: Attribution::Step(step),
                ..
            }) => Some(*step),
            _ => None,
        };
        if order == Order::Unordered && attributed.is_some_and(|step| step != 0) {
            return Err(PostHogError::invalid(
                "Only the first step can be used for breakdown attribution in unordered funnels",
            ));
        }
        Ok(Self {
            funnel: Funnel {
                steps: steps.len(),
                order,
                window: window(params)?,
                exclusions: ranges,
                attributed,
            },
            steps,
            exclusions,
            range,
            global: Global::parse(params, now)?,
            breakdown,
        })
    }

    /// The selected persons of the project.
    pub fn actors(&self, project: &Project, selection: &Selection) -> Vec<Actor> {
        self.scan(project, selection, |_, _, progress| {
            selection.admits(progress.level)
        })
    }

    /// The persons in the funnel that `keep` keeps, given each one (index and person) and its
    /// progress (in the `selection`'s entrance period, if any); `keep` wants none below the
    /// `selection`'s least level.
    pub fn scan(
        &self,
        project: &Project,
        selection: &Selection,
        mut keep: impl FnMut(PersonIndex, &Person, Progress) -> bool,
    ) -> Vec<Actor> {
        let least = selection.least_level();
        let entering = selection.entering();
        let steps: Vec<Matcher<'_>> = self.steps.iter().map(|s| s.resolve(project)).collect();
        let exclusions: Vec<Matcher<'_>> =
            self.exclusions.iter().map(|e| e.resolve(project)).collect();
        let candidates = match self.funnel.order {
            Order::Unordered => {
                let steps: Vec<&Entity> = self.steps.iter().collect();
                super::params::candidates(project, &steps, self.range)
            }
            // Reaching level `least` takes an event of each of the first `least` steps in
            // the range.
            Order::Ordered | Order::Strict => {
                let mut steps = self.steps.iter().take(least.max(1));
                let first = steps.next().map(|step| vec![step]).unwrap_or_default();
                let mut candidates = super::params::candidates(project, &first, self.range);
                for step in steps {
                    let more = super::params::candidates(project, &[step], self.range);
                    candidates.retain(|index| more.binary_search(index).is_ok());
                }
                candidates
            }
        };
        // Only a first-time-for-user step needs the events before the range.
        let (from, to) = if self.steps.iter().any(first_time_for_user) {
            (i64::MIN, i64::MAX)
        } else {
            (self.range.from, self.range.to)
        };
        candidates
            .into_iter()
            .filter_map(|index| {
                let person = project.person(index)?;
                if !self.global.admits(project, index, person) {
                    return None;
                }
                let events = events_of(project, index, from, to);
                let steps = Admitted::new(&steps, project, index, person);
                let exclusions = Admitted::new(&exclusions, project, index, person);
                let buckets = self.progress(person, &events, steps, exclusions, entering);
                buckets
                    .into_iter()
                    .any(|progress| keep(index, person, progress))
                    .then_some((index, None))
            })
            .collect()
    }

    /// The person's progress (in the period `entering`, if any) in each breakdown bucket it
    /// is in (the one asked for, or every one; a single run without a breakdown), §5.5:
    /// first/last touch and person breakdowns give one bucket over the whole stream;
    /// `all_events` runs each value on the events carrying it; `step` runs each value its
    /// step's events carry, that step needing an event carrying it. Empty: in no bucket.
    fn progress(
        &self,
        person: &Person,
        events: &[Lazy<'_>],
        steps: Admitted<'_, '_>,
        exclusions: Admitted<'_, '_>,
        entering: Option<(i64, i64)>,
    ) -> Vec<Progress> {
        let run = |stream: &mut dyn Iterator<Item = Event>| -> Vec<Progress> {
            self.run(stream, entering).into_iter().collect()
        };
        let firsts = steps.first_times(events);
        let stream: Vec<(Event, &Lazy<'_>)> = events
            .iter()
            .enumerate()
            .filter(|(_, event)| {
                self.range.contains(event.at.timestamp)
                    && self.global.conditions.matches_lazy(event)
            })
            .filter_map(|(position, event)| {
                let steps = steps.mask(event, |step| {
                    firsts[step].is_none_or(|first| first == Some(position))
                });
                let exclusions = exclusions.mask(event, |_| true);
                let kept = steps != 0 || exclusions != 0 || self.funnel.order == Order::Strict;
                kept.then_some((
                    Event {
                        timestamp: event.at.timestamp,
                        steps,
                        exclusions,
                        lacks: false,
                    },
                    event,
                ))
            })
            .collect();
        let Some(breakdown) = self
            .breakdown
            .as_ref()
            .filter(|breakdown| !breakdown.person)
        else {
            if let Some(breakdown) = &self.breakdown
                && breakdown.wanted.as_ref().is_some_and(|wanted| {
                    *wanted
                        != [bucket_text(
                            person.properties.value(&breakdown.key).as_ref(),
                        )]
                })
            {
                return Vec::new();
            }
            return run(&mut stream.iter().map(|(event, _)| *event));
        };
        let text = |event: &Lazy<'_>| bucket_text(event.property(&breakdown.key).as_ref());
        let asked = |value: &String| {
            breakdown
                .wanted
                .as_ref()
                .is_none_or(|wanted| wanted.as_slice() == std::slice::from_ref(value))
        };
        match breakdown.attribution {
            Attribution::FirstTouch | Attribution::LastTouch => {
                let valued = |(_, event): &&(Event, &Lazy<'_>)| {
                    event
                        .property(&breakdown.key)
                        .is_some_and(|value| !value.is_null())
                };
                let chosen = if breakdown.attribution == Attribution::LastTouch {
                    stream.iter().rev().find(valued)
                } else {
                    stream.iter().find(valued)
                };
                let bucket = chosen.map(|(_, event)| text(event)).unwrap_or_default();
                if !asked(&bucket) {
                    return Vec::new();
                }
                run(&mut stream.iter().map(|(event, _)| *event))
            }
            Attribution::AllEvents => values(stream.iter().map(|(_, event)| text(event)))
                .into_iter()
                .filter(asked)
                .flat_map(|value| {
                    run(&mut stream
                        .iter()
                        .filter(|(_, event)| text(event) == value)
                        .map(|(event, _)| *event))
                })
                .collect(),
            Attribution::Step(step) => {
                let serves = |event: &Event| match self.funnel.order {
                    Order::Unordered => event.steps != 0,
                    Order::Ordered | Order::Strict => step < 64 && event.steps & (1 << step) != 0,
                };
                let offered = stream
                    .iter()
                    .filter(|(event, _)| serves(event))
                    .map(|(_, event)| text(event));
                values(offered)
                    .into_iter()
                    .filter(asked)
                    .flat_map(|value| {
                        run(&mut stream.iter().map(|(event, lazy)| Event {
                            lacks: text(lazy) != value,
                            ..*event
                        }))
                    })
                    .collect()
            }
        }
    }

    /// The scan over one bucket's stream (of the attempts entering in `entering`, if
    /// any): the progress, when in the funnel.
    fn run(
        &self,
        stream: &mut dyn Iterator<Item = Event>,
        entering: Option<(i64, i64)>,
    ) -> Option<Progress> {
        let scan: Vec<Event> = stream.collect();
        let progress = match entering {
            Some(period) => self.funnel.progress_entering(&scan, period),
            None => self.funnel.progress(&scan),
        };
        (progress.level > 0).then_some(progress)
    }
}

/// The distinct `texts`, in first-seen order.
fn values(texts: impl Iterator<Item = String>) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for text in texts {
        if !values.contains(&text) {
            values.push(text);
        }
    }
    values
}

/// Whether `step` counts only the person's first-ever matching event.
fn first_time_for_user(step: &Entity) -> bool {
    step.math.as_deref() == Some("first_time_for_user")
}

/// Steps (or exclusions) resolved for one person: the entities, and the bits of those whose
/// person and cohort filters the person passes (the others match none of its events).
#[derive(Clone, Copy)]
struct Admitted<'a, 'e> {
    entities: &'a [Matcher<'e>],
    admitted: u64,
}

impl<'a, 'e> Admitted<'a, 'e> {
    /// The `entities` as person `index` of `project` sees them.
    fn new(
        entities: &'a [Matcher<'e>],
        project: &Project,
        index: PersonIndex,
        person: &Person,
    ) -> Self {
        let admitted = entities
            .iter()
            .enumerate()
            .filter(|(_, entity)| entity.admits(project, index, person))
            .fold(0, |mask, (bit, _)| mask | (1 << bit));
        Self { entities, admitted }
    }

    /// Whether entity `bit` is one of `event`'s.
    fn matches(&self, bit: usize, event: &Lazy<'_>) -> bool {
        self.admitted & (1 << bit) != 0 && self.entities[bit].matches(event)
    }

    /// For each step, `None` when any matching event counts, or `Some(position)` in
    /// `events` (all of the person's) of its first-ever matching event when its math is
    /// `first_time_for_user` (`Some(None)`: it has none).
    fn first_times(&self, events: &[Lazy<'_>]) -> Vec<Option<Option<usize>>> {
        (0..self.entities.len())
            .map(|bit| {
                first_time_for_user(self.entities[bit].entity())
                    .then(|| events.iter().position(|event| self.matches(bit, event)))
            })
            .collect()
    }

    /// The bits of the entities that `event` matches and `allowed` lets count.
    fn mask(&self, event: &Lazy<'_>, allowed: impl Fn(usize) -> bool) -> u64 {
        (0..self.entities.len())
            .filter(|bit| self.matches(*bit, event) && allowed(*bit))
            .fold(0, |mask, bit| mask | (1 << bit))
    }
}

/// The conversion window in microseconds (§2.4): `funnel_window_days` first, else
/// `funnel_window_interval` in `funnel_window_interval_unit`; 14 days by default or when not
/// positive; an unknown unit is PostHog's literal `{interval} not supported`.
fn window(params: &Params) -> Result<i64, PostHogError> {
    if let Some(days) = params.int("funnel_window_days")?.filter(|days| *days != 0) {
        let days = if days > 0 { days } else { DEFAULT_WINDOW_DAYS };
        return Ok(days.saturating_mul(MICROS_PER_DAY));
    }
    let unit = match params
        .text("funnel_window_interval_unit")
        .map(|unit| unit.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("day") => MICROS_PER_DAY,
        Some("second") => 1_000_000,
        Some("minute") => 60_000_000,
        Some("hour") => MICROS_PER_DAY / 24,
        Some("week") => 7 * MICROS_PER_DAY,
        Some("month") => 31 * MICROS_PER_DAY,
        Some(_) => return Err(PostHogError::invalid("{interval} not supported")),
    };
    match params.int("funnel_window_interval")? {
        Some(interval) if interval > 0 => Ok(interval.saturating_mul(unit)),
        _ => Ok(DEFAULT_WINDOW_DAYS * MICROS_PER_DAY),
    }
}

/// The `exclusions` with PostHog's validation errors (§4); an exclusion of type `actions` is
/// the mock's actions 400.
fn parse_exclusions(
    params: &Params,
    steps: &[Entity],
    order: Order,
    now: i64,
) -> Result<(Vec<Entity>, Vec<Exclusion>), PostHogError> {
    let raw = match params.json("exclusions") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    if raw.len() > MAX_STEPS {
        return Err(PostHogError::invalid(
            "The mock runs funnels of at most 64 exclusions.",
        ));
    }
    let last = steps.len() - 1;
    let mut entities = Vec::new();
    let mut ranges = Vec::new();
    for item in &raw {
        let entity = Entity::parse_typed(item, now)?;
        let bound = |name: &str| {
            entity
                .raw
                .get(name)
                .and_then(Value::as_u64)
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
        };
        let (Some(from), Some(to)) = (bound("funnel_from_step"), bound("funnel_to_step")) else {
            return Err(PostHogError::invalid(
                "Exclusion event needs to define funnel steps",
            ));
        };
        let invalid =
            |why: &str| PostHogError::invalid(format!("Exclusion event range is invalid. {why}"));
        if from >= to {
            return Err(invalid("End of range should be greater than start."));
        }
        if from >= last {
            return Err(invalid("Start of range is greater than number of steps."));
        }
        if to > last {
            return Err(invalid("End of range is greater than number of steps."));
        }
        if steps[from..=to].iter().any(|step| covers(&entity, step)) {
            return Err(PostHogError::invalid(
                "Exclusion steps cannot contain an event that's part of funnel steps.",
            ));
        }
        if order == Order::Unordered && (from != 0 || to != last) {
            return Err(PostHogError::invalid(
                "Partial Exclusions not allowed in unordered funnels",
            ));
        }
        entities.push(entity);
        ranges.push(Exclusion { from, to });
    }
    Ok((entities, ranges))
}

/// Whether `exclusion` matches every event `step` matches: the same event (or all events)
/// with no filters of its own, or the very same filters.
fn covers(exclusion: &Entity, step: &Entity) -> bool {
    let same_event = exclusion.id.is_none() || exclusion.id == step.id;
    let filters = |entity: &Entity| entity.raw.get("properties").cloned().unwrap_or(Value::Null);
    let exclusion_filters = filters(exclusion);
    let unfiltered = match &exclusion_filters {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    same_event && (unfiltered || exclusion_filters == filters(step))
}

impl Breakdown {
    /// `breakdown` (a property name, or a JSON list whose first name counts),
    /// `breakdown_type` (event or person), the attribution and `funnel_step_breakdown`.
    fn parse(params: &Params) -> Result<Option<Self>, PostHogError> {
        let key = match params.json("breakdown") {
            None => return Ok(None),
            Some(Value::Array(items)) => match items.first() {
                Some(first) => value_text(first).into_owned(),
                None => return Ok(None),
            },
            Some(Value::String(key)) if key.is_empty() => return Ok(None),
            Some(other) => value_text(&other).into_owned(),
        };
        let person = match params.text("breakdown_type").as_deref() {
            None | Some("event") => false,
            Some("person") => true,
            Some(other) => {
                return Err(PostHogError::invalid(format!(
                    "The mock breaks funnels down by event or person properties, not {other}."
                )));
            }
        };
        let attribution = match params.text("breakdown_attribution_type").as_deref() {
            None | Some("first_touch") => Attribution::FirstTouch,
            Some("last_touch") => Attribution::LastTouch,
            Some("all_events") => Attribution::AllEvents,
            Some("step") => match params.int("breakdown_attribution_value")? {
                Some(step) if step >= 0 => Attribution::Step(to_usize(step)),
                _ => return Err(PostHogError::server_error()),
            },
            Some(_) => Attribution::FirstTouch,
        };
        let wanted = params.json("funnel_step_breakdown").map(|value| {
            let mut texts = Vec::new();
            flatten_texts(&value, &mut texts);
            texts
        });
        Ok(Some(Self {
            key,
            person,
            attribution,
            wanted,
        }))
    }
}

/// A breakdown value's text; `""` when missing or null.
fn bucket_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(value) => value_text(value).into_owned(),
    }
}

/// Flattens nested arrays of `value` into texts (`Chrome` and `["Chrome"]` alike).
fn flatten_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| flatten_texts(item, texts)),
        other => texts.push(bucket_text(Some(other))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::Timestamp;
    use crate::posthog::log::{DeletePerson, Entry, Event as Captured};

    const DAY: i64 = 86_400;

    /// An event of a step (or not) at some time over four days, an identify merging two
    /// ids, or a deletion.
    fn entry() -> impl Strategy<Value = Entry> {
        let id = || prop::sample::select(vec!["a", "b", "c", "d"]);
        let name = prop::sample::select(vec!["s1", "s2", "s3", "other"]);
        prop_oneof![
            6 => (name, id(), 0..4 * DAY)
                .prop_map(|(name, d, at)| Captured::new(name, d).at(at).into_entry()),
            2 => (id(), id(), 0..4 * DAY)
                .prop_map(|(target, other, at)| Captured::identify(target, other).at(at).into_entry()),
            1 => id().prop_map(|d| Entry::DeletePerson(Box::new(DeletePerson {
                distinct_id: d.to_owned(),
                keep_person: false,
                delete_events: false,
                timestamp: None,
                user: None,
            }))),
        ]
    }

    proptest! {
        /// The engine's persons for a step of an ordered 3-step funnel equal a brute force
        /// that reads the whole log, resolves each event's distinct id to its owner now and
        /// runs the scan on every live person's events in range. It checks the pipeline
        /// around the scan (candidates, owners at query time, deletions, the range, the
        /// step selection), not the scan, which it reuses: `funnel.rs` checks the scan
        /// against its own transcription of PostHog's per-person algorithm.
        #[test]
        fn funnel_persons_equal_a_brute_force_over_the_log(
            entries in prop::collection::vec(entry(), 1..50),
            step in prop::sample::select(vec![-3i64, -2, 1, 2, 3]),
        ) {
            let mut project = Project::new(1, Arc::new(AtomicI64::new(1)));
            for entry in entries {
                let _ = project.apply(entry, Timestamp::from_unix_seconds(0), &mut crate::durable::unlogged);
            }
            let params = Params::from_map(json!({
                "events": [{"id": "s1", "order": 0}, {"id": "s2", "order": 1}, {"id": "s3", "order": 2}],
                "date_from": "1970-01-02T00:00:00Z",
                "date_to": "1970-01-04T00:00:00Z",
                "explicit_date": "true",
                "funnel_window_days": 1,
                "funnel_step": step,
            }).as_object().cloned().unwrap_or_default());
            let mut got: Vec<PersonIndex> = actors(&project, &params, 0)
                .unwrap()
                .into_iter()
                .map(|(index, _)| index)
                .collect();
            got.sort_unstable();
            let (from, to) = (DAY * 1_000_000, 3 * DAY * 1_000_000);
            let funnel = Funnel { steps: 3, order: Order::Ordered, window: DAY * 1_000_000, exclusions: Vec::new(), attributed: None };
            let mut expected = Vec::new();
            for index in project.newest_first() {
                let mut stream: Vec<(i64, usize, u64)> = project
                    .log()
                    .iter()
                    .enumerate()
                    .filter_map(|(position, entry)| Some((position, entry.event()?)))
                    .filter(|(_, event)| project.by_distinct_id(event.distinct_id) == Some(index))
                    .filter(|(_, event)| from <= event.timestamp && event.timestamp <= to)
                    .filter_map(|(position, event)| {
                        let bit = ["s1", "s2", "s3"].iter().position(|name| *name == event.name)?;
                        Some((event.timestamp, position, 1u64 << bit))
                    })
                    .collect();
                stream.sort_unstable();
                let scan: Vec<Event> = stream
                    .iter()
                    .map(|(timestamp, _, steps)| Event { timestamp: *timestamp, steps: *steps, exclusions: 0, lacks: false })
                    .collect();
                let level = funnel.progress(&scan).level;
                let selected = if step > 0 {
                    level >= step.unsigned_abs() as usize
                } else {
                    level > 0 && level + 1 == step.unsigned_abs() as usize
                };
                if selected {
                    expected.push(index);
                }
            }
            expected.sort_unstable();
            prop_assert_eq!(got, expected);
        }
    }
}
