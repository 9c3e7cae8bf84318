//! The PostHog state as a seed: each project's history in order (captured events and
//! persons-API writes), its tokens and the person ids it drew; the personal keys; the token
//! generator's position. Linear in the logs; projects by id, tokens and keys sorted.

use std::collections::BTreeMap;

use super::history::HistoryEntry;
use super::{PersonalKeySeed, PostHogSeed, ProjectSeed};
use crate::posthog::keys::PersonalKey;
use crate::posthog::project::Project;
use crate::posthog::state::PostHogState;

/// Everything `state` holds, as a seed.
pub(super) fn export(state: &PostHogState) -> PostHogSeed {
    let mut tokens: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (token, project) in state.project_tokens() {
        tokens.entry(project).or_default().push(token.to_owned());
    }
    let projects = state
        .projects()
        .map(|project| {
            let mut tokens = tokens.remove(&project.id).unwrap_or_default();
            tokens.sort_unstable();
            export_project(project, tokens)
        })
        .collect();
    let mut keys: Vec<(&str, &PersonalKey)> = state.keys.iter().collect();
    keys.sort_unstable_by_key(|(token, _)| *token);
    PostHogSeed {
        projects,
        personal_keys: keys
            .into_iter()
            .map(|(token, key)| export_key(token, key))
            .collect(),
        generated_tokens: state.generated_tokens(),
    }
}

fn export_project(project: &Project, tokens: Vec<String>) -> ProjectSeed {
    ProjectSeed {
        id: project.id,
        tokens,
        person_ids: project.person_id_ranges().to_vec(),
        history: project
            .history()
            .map(|step| HistoryEntry::of(project.id, step))
            .collect(),
    }
}

fn export_key(token: &str, key: &PersonalKey) -> PersonalKeySeed {
    PersonalKeySeed {
        key: Some(token.to_owned()),
        first_name: key.first_name.clone(),
        email: key.email.clone(),
        member_of: key.member_of.iter().copied().collect(),
        current_project: Some(key.current_project),
        scoped_projects: key
            .scoped_projects
            .as_ref()
            .map(|projects| projects.iter().copied().collect()),
        scopes: key
            .scopes
            .as_ref()
            .map(|scopes| scopes.iter().cloned().collect()),
    }
}
