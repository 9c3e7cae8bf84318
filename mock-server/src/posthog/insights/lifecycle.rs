//! `GET /persons/lifecycle/` (reference §8): each person's active periods, classified new,
//! returning, resurrecting or dormant, and the persons of one status in one period.

use serde::Serialize;

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::tenant::{PersonIndex, Project};
use super::dates::{MICROS_PER_DAY, Range, moment};
use super::page::{self, Actor, Envelope};
use super::params::{Global, Lazy, Matcher, Params, candidates, entities};
use crate::http::ApiResponse;

/// A lifecycle status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// First active in the period the person was created in.
    New,
    /// Active in the previous period too.
    Returning,
    /// Active after a gap, or first active in range after being created earlier.
    Resurrecting,
    /// Not active, after being active in the previous period.
    Dormant,
}

impl Status {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "new" => Some(Status::New),
            "returning" => Some(Status::Returning),
            "resurrecting" => Some(Status::Resurrecting),
            "dormant" => Some(Status::Dormant),
            _ => None,
        }
    }
}

/// The status in a period of a person (§8.1 steps 2–4), from whether they were active in it
/// (`now`) and in the period before (`before`); `new` says whether they were first active in
/// it in their creation period (asked only when it decides). Returning: active now and
/// before; dormant: active before, not now; new; resurrecting: active now after a gap, or
/// first active in range after being created earlier.
fn status_in(now: bool, before: bool, new: impl FnOnce() -> bool) -> Option<Status> {
    match (now, before) {
        (true, true) => Some(Status::Returning),
        (false, true) => Some(Status::Dormant),
        (false, false) => None,
        (true, false) if new() => Some(Status::New),
        (true, false) => Some(Status::Resurrecting),
    }
}

/// The persons active in the target period and those active in the one before (each
/// ascending), when the per-name daily activity sets say it exactly: the entity matches
/// events by name alone, no global filter tests events, no capture is personless (lifecycle
/// leaves those out, as PostHog's newest query does) and both periods are whole UTC days.
/// `None`: each candidate's events must be read.
fn from_day_sets(
    project: &Project,
    matcher: &Matcher<'_>,
    global: &Global,
    near: Range,
    period: i64,
) -> Option<(Vec<PersonIndex>, Vec<PersonIndex>)> {
    let name = matcher.name_only()?;
    let whole_days = [near.from, period, near.to.saturating_add(1)]
        .iter()
        .all(|at| at.rem_euclid(MICROS_PER_DAY) == 0);
    let by_name = !global.conditions.tests_events() && !project.has_personless_events();
    (whole_days && by_name).then(|| {
        (
            project.active_persons(&[name], period, near.to),
            project.active_persons(&[name], near.from, period.saturating_sub(1)),
        )
    })
}

/// Each person of the ascending `now` or `before`, ascending, with whether they are in each.
fn merge(now: &[PersonIndex], before: &[PersonIndex]) -> Vec<(PersonIndex, bool, bool)> {
    let mut merged = Vec::with_capacity(now.len().max(before.len()));
    let (mut i, mut j) = (0, 0);
    while i < now.len() || j < before.len() {
        let (a, b) = (now.get(i), before.get(j));
        let index = match (a, b) {
            (Some(a), Some(b)) => *a.min(b),
            (Some(a), None) => *a,
            (None, Some(b)) => *b,
            (None, None) => break,
        };
        let (in_now, in_before) = (a == Some(&index), b == Some(&index));
        i += usize::from(in_now);
        j += usize::from(in_before);
        merged.push((index, in_now, in_before));
    }
    merged
}

/// The raw `{message, detail}` 400 lifecycle answers for a missing parameter.
#[derive(Serialize)]
struct Missing {
    message: &'static str,
    detail: &'static str,
}

fn missing(detail: &'static str) -> ApiResponse {
    ApiResponse::json(
        400,
        &Missing {
            message: "Missing parameter",
            detail,
        },
    )
}

/// The persons with status `wanted` in the period holding `target` (none for an unknown
/// status), by the series, range and filters of `params`.
pub fn actors(
    project: &Project,
    params: &Params,
    target: &str,
    wanted: &str,
    now: i64,
) -> Result<Vec<Actor>, PostHogError> {
    let steps = entities(params, now)?;
    let (interval, range) = params.range(now)?;
    let global = Global::parse(params, now)?;
    let (Some(entity), Some(status)) = (steps.first(), Status::parse(wanted)) else {
        return Ok(Vec::new());
    };
    let (first, last) = (interval.start(range.from), interval.start(range.to));
    let fetched = Range {
        from: interval.previous(first),
        to: interval.next(last) - 1,
    };
    let period = interval.start(moment(target, now));
    if period < first || last < period {
        return Ok(Vec::new());
    }
    // Only a person active in the target period or the one before has a status in it.
    let near = Range {
        from: interval.previous(period),
        to: interval.next(period) - 1,
    };
    let matcher = entity.resolve(project);
    // A person's matching events from `from` to `to`, in no particular order; personless
    // ones never count (§8.1 step 1, newest).
    let personless = project.has_personless_events();
    let matching = |index: PersonIndex, from: i64, to: i64| {
        project
            .indexed_runs(index, from, to)
            .flatten()
            .map(|at| Lazy::new(project, *at))
            .filter(|event| {
                matcher.matches(event)
                    && global.conditions.matches_lazy(event)
                    && !(personless && event.personless())
            })
    };
    // Whether they were active in the target period and in the one before.
    let active: Vec<(PersonIndex, bool, bool)> =
        match from_day_sets(project, &matcher, &global, near, period) {
            Some((now, before)) => merge(&now, &before),
            None => candidates(project, &[entity], near)
                .into_iter()
                .map(|index| {
                    let (now, before) = matching(index, near.from, near.to).fold(
                        (false, false),
                        |(now, before), event| {
                            let start = interval.start(event.at.timestamp);
                            (now || start == period, before || start == near.from)
                        },
                    );
                    (index, now, before)
                })
                .collect(),
        };
    let new = |index: PersonIndex| {
        project
            .person(index)
            .is_some_and(|person| interval.start(person.created_at) == period)
            && matching(index, fetched.from, near.from.saturating_sub(1))
                .next()
                .is_none()
    };
    let admitted = |index: PersonIndex| {
        project.person(index).is_some_and(|person| {
            global.admits(project, index, person) && matcher.admits(project, index, person)
        })
    };
    Ok(active
        .into_iter()
        .filter(|&(index, now, before)| {
            status_in(now, before, || new(index)) == Some(status) && admitted(index)
        })
        .map(|(index, _, _)| (index, None))
        .collect())
}

/// Answers `/persons/lifecycle/` from the query string.
pub fn persons(project: &Project, call: &Call<'_>) -> Result<ApiResponse, PostHogError> {
    let params = Params::of(call, false)?;
    let target = match params.text("target_date") {
        None => return Ok(missing("Must include specified date")),
        Some(text) if text.is_empty() => {
            return Err(PostHogError::invalid("Must include specified target date"));
        }
        Some(text) => text.into_owned(),
    };
    let Some(wanted) = params.text("lifecycle_type").map(|text| text.into_owned()) else {
        return Ok(missing("Must include lifecycle type"));
    };
    let paging = params.paging("limit", "offset")?;
    let actors = actors(project, &params, &target, &wanted, call.now)?;
    Ok(page::respond(project, call, actors, paging, Envelope::Bare))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::dates::{Interval, MICROS_PER_DAY};
    use super::*;

    /// §8.1 steps 2–4 over a person's whole history, as PostHog's query classifies it: for
    /// the sorted, distinct active period starts `active` of a person created in the period
    /// starting at `created`, one status per active period and a dormant one after each
    /// active period not followed by another.
    fn statuses(active: &[i64], created: i64, interval: Interval) -> Vec<(i64, Status)> {
        let mut out = Vec::new();
        for (i, &period) in active.iter().enumerate() {
            let previous = if i == 0 { created } else { active[i - 1] };
            let status = if previous == period {
                Status::New
            } else if i != 0 && interval.previous(period) == previous {
                Status::Returning
            } else {
                Status::Resurrecting
            };
            out.push((period, status));
            let next = interval.next(period);
            if active.get(i + 1) != Some(&next) {
                out.push((next, Status::Dormant));
            }
        }
        out
    }

    /// [`status_in`] from the sorted active periods of a fetched range starting at `first`.
    fn status_from(
        active: &[i64],
        first: i64,
        created: i64,
        period: i64,
        interval: Interval,
    ) -> Option<Status> {
        let before = interval.previous(period);
        status_in(active.contains(&period), active.contains(&before), || {
            created == period && !active.iter().any(|&at| first <= at && at < before)
        })
    }

    /// S13's p1: active on days 11, 12, 13, 15, 17, 19, created on day 11.
    #[test]
    fn s13_p1_statuses() {
        let day = |d: i64| d * MICROS_PER_DAY;
        let active: Vec<i64> = [11, 12, 13, 15, 17, 19].map(day).to_vec();
        use Status::*;
        let expected = [
            (10, None),
            (11, Some(New)),
            (12, Some(Returning)),
            (13, Some(Returning)),
            (14, Some(Dormant)),
            (15, Some(Resurrecting)),
            (16, Some(Dormant)),
            (17, Some(Resurrecting)),
            (18, Some(Dormant)),
            (19, Some(Resurrecting)),
            (20, Some(Dormant)),
            (21, None),
        ];
        for (d, status) in expected {
            let got = status_from(&active, day(10), day(11), day(d), Interval::Day);
            assert_eq!(got, status, "day {d}");
        }
        assert_eq!(
            status_from(&[day(12)], day(10), day(9), day(12), Interval::Day),
            Some(Resurrecting),
            "first active in range after being created earlier"
        );
    }

    proptest! {
        /// The status of one period, from the periods around it, is what the whole history
        /// says of that period, by day, week and month, with creation before, inside or after
        /// the first activity.
        #[test]
        fn one_period_agrees_with_the_whole_history(
            interval in prop_oneof![Just(Interval::Day), Just(Interval::Week), Just(Interval::Month)],
            days in proptest::collection::vec(0i64..400, 0..30),
            created_day in 0i64..400,
            period_day in 1i64..400,
        ) {
            let start = |d: i64| interval.start(d * MICROS_PER_DAY + 20_000 * MICROS_PER_DAY);
            let mut active: Vec<i64> = days.iter().map(|d| start(*d)).collect();
            active.sort_unstable();
            active.dedup();
            let first = start(0);
            let period = start(period_day).max(interval.next(first));
            let created = start(created_day);
            let whole = statuses(&active, created, interval)
                .into_iter()
                .find(|(at, _)| *at == period)
                .map(|(_, status)| status);
            prop_assert_eq!(status_from(&active, first, created, period, interval), whole);
        }
    }
}
