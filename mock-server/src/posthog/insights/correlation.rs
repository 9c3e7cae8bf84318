//! `GET|POST /persons/funnel/correlation/` (reference §6, PostHog's EE build up to late
//! 2025): the funnel's entrants, converted or not, who did a correlated event between entering
//! and converting (or the end of their window), or the entrants of the funnel whose filters
//! also hold the correlated properties.

use serde_json::{Value, json};

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::tenant::Project;
use super::funnel_persons::{FunnelQuery, Selection};
use super::page::{self, Actor, Envelope};
use super::params::{Entity, Params, events_of};
use crate::http::ApiResponse;

/// What the entrants must show.
enum Target {
    /// An event of this entity inside their funnel attempt.
    Event(Entity),
    /// Nothing more: the correlated properties joined the funnel's own filters.
    Properties,
}

/// Answers `/persons/funnel/correlation/`; `body`: whether the JSON body counts (POST).
pub fn persons(
    project: &Project,
    call: &Call<'_>,
    body: bool,
) -> Result<ApiResponse, PostHogError> {
    let params = Params::of(call, body)?;
    let actors = actors(project, &params, call.now)?;
    let paging = params.paging(
        "funnel_correlation_person_limit",
        "funnel_correlation_person_offset",
    )?;
    Ok(page::respond(
        project,
        call,
        actors,
        paging,
        Envelope::Correlation,
    ))
}

/// The correlation persons `params` select (all of them; paging is the caller's).
pub fn actors(project: &Project, params: &Params, now: i64) -> Result<Vec<Actor>, PostHogError> {
    let (target, funnel) = target(params, now)?;
    let params = funnel.as_ref().unwrap_or(params);
    let query = FunnelQuery::parse(params, now)?;
    let selection =
        if params.text("funnel_step").is_some() || params.text("funnel_custom_steps").is_some() {
            Selection::parse(params, query.funnel.steps, now)?
        } else {
            Selection::Completed(1)
        };
    let converted = params
        .text("funnel_correlation_person_converted")
        .filter(|text| !text.is_empty())
        .map(|text| text.eq_ignore_ascii_case("true"));
    let steps = query.funnel.steps;
    let window = query.funnel.window;
    let range = query.range;
    let step_names: Vec<&str> = query
        .steps
        .iter()
        .filter_map(|step| step.id.as_deref())
        .collect();
    let correlated = match &target {
        Target::Event(entity) => Some(entity.resolve(project)),
        Target::Properties => None,
    };
    Ok(query.scan(project, &selection, |index, person, progress| {
        let done = progress.level == steps;
        if !selection.admits(progress.level) || converted.is_some_and(|wanted| wanted != done) {
            return false;
        }
        match &target {
            Target::Properties => true,
            Target::Event(entity) => {
                let until = if done {
                    progress.end
                } else {
                    progress.start.saturating_add(window)
                };
                let from = range.from.max(progress.start.saturating_add(1));
                let to = range.to.min(until).saturating_sub(1);
                !entity
                    .id
                    .as_deref()
                    .is_some_and(|id| step_names.contains(&id))
                    && correlated.is_some_and(|correlated| {
                        correlated.admits(project, index, person)
                            && events_of(project, index, from, to)
                                .iter()
                                .any(|event| correlated.matches(event))
                    })
            }
        }
    }))
}

/// The correlation target, and for property correlation the parameters of the funnel it
/// runs: PostHog pushes `funnel_correlation_property_values` into the funnel's `properties`
/// (ANDed with them), so their event filters narrow the funnel's events and their person and
/// cohort filters its persons, exactly as the funnel's own filters do.
fn target(params: &Params, now: i64) -> Result<(Target, Option<Params>), PostHogError> {
    if params.text("funnel_correlation_type").as_deref() == Some("properties") {
        let values = match params.json("funnel_correlation_property_values") {
            Some(Value::Array(values)) if !values.is_empty() => values,
            _ => {
                return Err(PostHogError::invalid(
                    "Property Correlation expects atleast one Property to get persons for",
                ));
            }
        };
        let own = params.json("properties").unwrap_or(json!([]));
        let combined = json!({"type": "AND", "values": [own, values]});
        return Ok((
            Target::Properties,
            Some(params.with("properties", combined)),
        ));
    }
    match params.json("funnel_correlation_person_entity") {
        Some(entity @ Value::Object(_)) => {
            Ok((Target::Event(Entity::parse_typed(&entity, now)?), None))
        }
        _ => Err(PostHogError::invalid("No entity for persons specified")),
    }
}
