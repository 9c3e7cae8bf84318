//! `GET|POST /persons/funnel/correlation/` (reference §6, PostHog's EE build up to late
//! 2025): the funnel's entrants, converted or not, who did a correlated event between entering
//! and converting (or the end of their window), or who have the correlated properties.

use serde_json::Value;

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::tenant::Project;
use super::funnel_persons::{FunnelQuery, Selection};
use super::page::{self, Actor, Envelope};
use super::params::{Conditions, Entity, Params, events_of};
use crate::http::ApiResponse;

/// What the entrants must show.
enum Target {
    /// An event of this entity inside their funnel attempt.
    Event(Entity),
    /// These (person) properties.
    Properties(Conditions),
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
    let query = FunnelQuery::parse(params, now)?;
    let selection =
        if params.text("funnel_step").is_some() || params.text("funnel_custom_steps").is_some() {
            Selection::parse(params, query.funnel.steps, now)?
        } else {
            Selection::Completed(1)
        };
    let target = match params.text("funnel_correlation_type").as_deref() {
        Some("properties") => match params.json("funnel_correlation_property_values") {
            Some(Value::Array(values)) if !values.is_empty() => {
                Target::Properties(Conditions::parse(Some(&Value::Array(values)), now)?)
            }
            _ => {
                return Err(PostHogError::invalid(
                    "Property Correlation expects atleast one Property to get persons for",
                ));
            }
        },
        _ => match params.json("funnel_correlation_person_entity") {
            Some(entity @ Value::Object(_)) => Target::Event(Entity::parse(&entity, now)?),
            _ => return Err(PostHogError::invalid("No entity for persons specified")),
        },
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
        Target::Properties(_) => None,
    };
    Ok(query.scan(project, &selection, |index, person, progress| {
        let done = progress.level == steps;
        if !selection.admits(progress.level) || converted.is_some_and(|wanted| wanted != done) {
            return false;
        }
        match &target {
            Target::Properties(conditions) => conditions.matches_person(person),
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
                        events_of(project, index, from, to)
                            .iter()
                            .any(|event| correlated.matches(event, person))
                    })
            }
        }
    }))
}
