//! `GET /persons/lifecycle/` (reference §8): each person's active periods, classified new,
//! returning, resurrecting or dormant, and the persons of one status in one period.

use serde::Serialize;

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::tenant::Project;
use super::dates::{Interval, Range, moment};
use super::page::{self, Actor, Envelope};
use super::params::{Global, Params, candidates, entities, events_of};
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

/// The statuses of a person active in the sorted, distinct period starts `active`, created
/// in the period starting at `created`: one per active period, plus a dormant one after each
/// active period not followed by another (§8.1 steps 2–4).
pub fn statuses(active: &[i64], created: i64, interval: Interval) -> Vec<(i64, Status)> {
    let mut out = Vec::with_capacity(active.len() * 2);
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
    Ok(candidates(project, &[entity], near)
        .into_iter()
        .filter_map(|index| {
            let person = project.person(index)?;
            if !global.admits(project, index, person) || !matcher.admits(project, index, person) {
                return None;
            }
            let mut active: Vec<i64> = events_of(project, index, fetched.from, fetched.to)
                .iter()
                .filter(|event| matcher.matches(event) && global.conditions.matches_lazy(event))
                .map(|event| interval.start(event.at.timestamp))
                .collect();
            active.dedup();
            let created = interval.start(person.created_at);
            let hit = statuses(&active, created, interval)
                .into_iter()
                .any(|(at, found)| found == status && at == period);
            hit.then_some((index, None))
        })
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
    use super::super::dates::MICROS_PER_DAY;
    use super::*;

    /// S13's p1: active on days 11, 12, 13, 15, 17, 19, created on day 11.
    #[test]
    fn s13_p1_statuses() {
        let day = |d: i64| d * MICROS_PER_DAY;
        let active: Vec<i64> = [11, 12, 13, 15, 17, 19].map(day).to_vec();
        let got = statuses(&active, day(11), Interval::Day);
        use Status::*;
        assert_eq!(
            got,
            vec![
                (day(11), New),
                (day(12), Returning),
                (day(13), Returning),
                (day(14), Dormant),
                (day(15), Resurrecting),
                (day(16), Dormant),
                (day(17), Resurrecting),
                (day(18), Dormant),
                (day(19), Resurrecting),
                (day(20), Dormant),
            ]
        );
        assert_eq!(
            statuses(&[day(12)], day(9), Interval::Day)[0].1,
            Resurrecting,
            "first active in range after being created earlier"
        );
    }
}
