//! A PostHog seed into the state: checked against the state, each project replayed off to
//! the side, then put in place, so a refused seed changes nothing.
//!
//! A project's history is replayed in order through the code paths of the API and the typed
//! handle ([`Project::ingest`], [`Project::update_person`], [`Project::delete_person`], …), so
//! every projection comes out as they built it. Person ids come from the seed's `person_ids`
//! while they last, then from the deployment's sequence. Seeds only add: a project, project
//! token or personal key the state already has is refused, and so are listed person ids below
//! the state's next free one, so no id is ever shared.

use std::collections::HashSet;

use super::history::{HistoryEntry, UserSeed};
use super::time::SeedTime;
use super::{PersonalKeySeed, PostHogSeed, ProjectSeed};
use crate::posthog::event::NewEvent;
use crate::posthog::keys::PersonalKey;
use crate::posthog::project::{PersonIndex, Project};
use crate::posthog::state::PostHogState;
use crate::seed::SeedError;

/// Most tokens a seed may say the generator has made (moving it on is linear in this).
const MAX_GENERATED_TOKENS: u64 = 10_000_000;

/// Loads `seed` into `state`, with `now` standing in for missing times.
pub(super) fn load(
    state: &mut PostHogState,
    seed: &PostHogSeed,
    now: i64,
) -> Result<(), SeedError> {
    check_projects(state, seed)?;
    let keys = check_keys(state, seed)?;
    if seed.generated_tokens > MAX_GENERATED_TOKENS {
        return Err(SeedError::new(
            "posthog.generated_tokens",
            format!("is more than {MAX_GENERATED_TOKENS}"),
        ));
    }
    let first_free = check_person_ids(state, seed)?;
    let before = state.next_person_id();
    state.set_next_person_id(before.max(first_free));
    let mut projects = Vec::with_capacity(seed.projects.len());
    for (index, project) in seed.projects.iter().enumerate() {
        match replay(state, project, index, now) {
            Ok(built) => projects.push(built),
            Err(error) => {
                state.set_next_person_id(before);
                return Err(error);
            }
        }
    }
    for project in projects {
        state.insert_project(project);
    }
    for project in &seed.projects {
        for token in &project.tokens {
            state.add_project(project.id, Some(token));
        }
    }
    state.skip_generated_tokens(seed.generated_tokens);
    // Named keys first, so that generated ones skip them.
    let (named, generated): (Vec<_>, Vec<_>) =
        keys.into_iter().partition(|(token, _)| token.is_some());
    for (token, key) in named.into_iter().chain(generated) {
        state.add_key(token, key);
    }
    Ok(())
}

/// Project ids and tokens: each once in the seed, none already in the state.
fn check_projects(state: &PostHogState, seed: &PostHogSeed) -> Result<(), SeedError> {
    let mut ids = HashSet::new();
    let mut tokens = HashSet::new();
    for (index, project) in seed.projects.iter().enumerate() {
        let path = format!("posthog.projects[{index}]");
        if !ids.insert(project.id) {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!("project {} is listed twice", project.id),
            ));
        }
        if state.project(project.id).is_some() {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!("project {} already exists", project.id),
            ));
        }
        for (at, token) in project.tokens.iter().enumerate() {
            let taken = state
                .project_for_token(token)
                .map(|owner| format!("project token `{token}` already belongs to project {owner}"));
            let problem = match tokens.insert(token.as_str()) {
                false => Some(format!("project token `{token}` is listed twice")),
                true => taken,
            };
            if let Some(problem) = problem {
                return Err(SeedError::new(format!("{path}.tokens[{at}]"), problem));
            }
        }
    }
    Ok(())
}

/// The keys to add: each named token once, none already registered; each key's projects.
fn check_keys<'a>(
    state: &PostHogState,
    seed: &'a PostHogSeed,
) -> Result<Vec<(Option<&'a str>, PersonalKey)>, SeedError> {
    let mut tokens = HashSet::new();
    let mut keys = Vec::with_capacity(seed.personal_keys.len());
    for (index, key) in seed.personal_keys.iter().enumerate() {
        let path = format!("posthog.personal_keys[{index}]");
        if let Some(token) = key.key.as_deref() {
            let problem = if !tokens.insert(token) {
                Some(format!("personal API key `{token}` is listed twice"))
            } else if state.keys.contains(token) {
                Some(format!("personal API key `{token}` already exists"))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(SeedError::new(format!("{path}.key"), problem));
            }
        }
        keys.push((key.key.as_deref(), personal_key(key, &path)?));
    }
    Ok(keys)
}

fn personal_key(key: &PersonalKeySeed, path: &str) -> Result<PersonalKey, SeedError> {
    let current_project = key
        .current_project
        .or_else(|| key.member_of.first().copied())
        .ok_or_else(|| {
            SeedError::new(
                format!("{path}.member_of"),
                "names no project: list the projects the key's owner belongs to",
            )
        })?;
    Ok(PersonalKey {
        first_name: key.first_name.clone(),
        email: key.email.clone(),
        member_of: key.member_of.iter().copied().collect(),
        current_project,
        scoped_projects: key
            .scoped_projects
            .as_ref()
            .map(|projects| projects.iter().copied().collect()),
        scopes: key
            .scopes
            .as_ref()
            .map(|scopes| scopes.iter().cloned().collect()),
    })
}

/// Checks the listed person id ranges (each first ≤ last, none below the state's next free
/// id, no two overlapping); returns the first id after all of them (the state's next free id
/// when none are listed).
fn check_person_ids(state: &PostHogState, seed: &PostHogSeed) -> Result<i64, SeedError> {
    let next = state.next_person_id();
    let mut ranges = Vec::new();
    for (index, project) in seed.projects.iter().enumerate() {
        for (at, &(first, last)) in project.person_ids.iter().enumerate() {
            let path = move || format!("posthog.projects[{index}].person_ids[{at}]");
            if first > last {
                return Err(SeedError::new(
                    path(),
                    format!("[{first}, {last}] ends before it starts"),
                ));
            }
            if first < next {
                return Err(SeedError::new(
                    path(),
                    format!("person id {first} may already be in use: the next free id is {next}"),
                ));
            }
            if last == i64::MAX {
                return Err(SeedError::new(
                    path(),
                    "person ids must stay below 2^63 - 1",
                ));
            }
            ranges.push((first, last, path));
        }
    }
    ranges.sort_unstable_by_key(|(first, _, _)| *first);
    for pair in ranges.windows(2) {
        if let [(_, earlier_last, earlier), (first, _, path)] = pair
            && first <= earlier_last
        {
            return Err(SeedError::new(path(), format!("overlaps {}", earlier())));
        }
    }
    Ok(ranges
        .iter()
        .map(|(_, last, _)| last + 1)
        .max()
        .unwrap_or(next))
}

/// Project `seed` built by replaying its history, not yet in `state`.
fn replay(
    state: &PostHogState,
    seed: &ProjectSeed,
    index: usize,
    now: i64,
) -> Result<Project, SeedError> {
    let mut project = state.detached_project(seed.id);
    project.plan_person_ids(seed.person_ids.iter().copied());
    for (at, entry) in seed.history.iter().enumerate() {
        apply(&mut project, entry, now).map_err(|Problem { field, message }| {
            let kind = entry.kind();
            SeedError::new(
                format!("posthog.projects[{index}].history[{at}].{kind}{field}"),
                message,
            )
        })?;
    }
    project.end_person_id_plan();
    Ok(project)
}

/// What is wrong with one history entry: the field (`""` for the entry itself, else
/// `.name`) and the problem.
struct Problem {
    field: &'static str,
    message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// Replays one history entry into `project`.
fn apply(project: &mut Project, entry: &HistoryEntry, now: i64) -> Result<(), Problem> {
    match entry {
        HistoryEntry::Capture(capture) => {
            let at = time(capture.timestamp.as_ref(), now)?;
            let event = NewEvent {
                uuid: capture.uuid,
                event: capture.event.clone(),
                distinct_id: capture.distinct_id.clone(),
                timestamp: Some(at),
                properties: capture.properties.clone(),
            };
            project
                .ingest(event, at)
                .map(drop)
                .map_err(|error| problem("", error.to_string()))
        }
        HistoryEntry::UpdatePerson(update) => {
            let at = time(update.timestamp.as_ref(), now)?;
            let index = person(project, &update.distinct_id)?;
            if update.properties.is_null() {
                return Err(problem(".properties", "must not be null"));
            }
            let actor = UserSeed::actor(update.user.as_ref());
            project
                .update_person(index, update.properties.clone(), &actor, at)
                .map_err(|error| problem("", error.to_string()))
        }
        HistoryEntry::DeleteProperty(delete) => {
            let at = time(delete.timestamp.as_ref(), now)?;
            let index = person(project, &delete.distinct_id)?;
            let actor = UserSeed::actor(delete.user.as_ref());
            project
                .delete_property(index, delete.key.clone(), &actor, at)
                .map_err(|error| problem("", error.to_string()))
        }
        HistoryEntry::DeletePerson(delete) => {
            let at = time(delete.timestamp.as_ref(), now)?;
            let index = person(project, &delete.distinct_id)?;
            let actor = UserSeed::actor(delete.user.as_ref());
            project.delete_person(index, delete.keep_person, &actor, at);
            Ok(())
        }
        HistoryEntry::Split(split) => {
            let at = time(split.timestamp.as_ref(), now)?;
            let index = person(project, &split.distinct_id)?;
            let owned: Vec<String> = project
                .person(index)
                .map(|person| person.stored_distinct_ids().map(str::to_owned).collect())
                .unwrap_or_default();
            let moved = match &split.distinct_ids_to_split {
                Some(listed) => {
                    let foreign: Vec<String> = listed
                        .iter()
                        .filter(|id| !owned.contains(id))
                        .map(|id| format!("`{id}`"))
                        .collect();
                    if !foreign.is_empty() {
                        return Err(problem(
                            ".distinct_ids_to_split",
                            format!("not on the person: {}", foreign.join(", ")),
                        ));
                    }
                    listed.clone()
                }
                None => owned
                    .into_iter()
                    .filter(|id| *id != split.distinct_id)
                    .collect(),
            };
            let actor = UserSeed::actor(split.user.as_ref());
            project.split(index, &moved, &actor, at);
            Ok(())
        }
        HistoryEntry::Cohort(cohort) => {
            let ids: Vec<&str> = cohort.distinct_ids.iter().map(String::as_str).collect();
            project.create_cohort(&cohort.name, &ids);
            Ok(())
        }
        HistoryEntry::TrackLastSeen(enabled) => {
            project.track_last_seen(*enabled);
            Ok(())
        }
    }
}

/// The entry's time, or `now` without one.
fn time(timestamp: Option<&SeedTime>, now: i64) -> Result<i64, Problem> {
    timestamp.map_or(Ok(now), |timestamp| {
        timestamp
            .micros()
            .map_err(|message| problem(".timestamp", message))
    })
}

/// The live person owning `distinct_id`.
fn person(project: &Project, distinct_id: &str) -> Result<PersonIndex, Problem> {
    project.by_distinct_id(distinct_id).ok_or_else(|| {
        problem(
            ".distinct_id",
            format!("no person has distinct id `{distinct_id}` at this point"),
        )
    })
}
