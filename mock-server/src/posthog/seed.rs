//! The PostHog section of a seed: projects (their tokens, the person ids they drew and their
//! log of [`Entry`]s), personal API keys, and how far the token generator has gone.
//!
//! A project's log is the one it keeps in memory: [`PostHogState::export_seed`] copies it, and
//! [`PostHogState::load_seed`] applies every entry to a scratch project through
//! [`Project::apply`] (the write path of capture, the persons API and the typed handle) and
//! puts the projects in place only when all of them apply, so persons, merges, deletions,
//! activity, cohorts and `last_seen_at` come out as they were, and an exported seed loads back
//! into a state that answers every read the same way. PostHog numbers persons across the whole
//! deployment, so a project lists the person ids it drew; loading draws those first. The
//! format is described in `docs/posthog.md`, section "Seed format".

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::activity::Actor;
use super::keys::{ALL_SCOPES, PersonalKey};
use super::log::Entry;
use super::state::PostHogState;
use super::tenant::{Project, RecordError};
use crate::clock::Clock;
use crate::durable::unlogged;
use crate::seed::SeedError;

/// Most tokens a seed may say the generator has made (moving it on is linear in this).
const MAX_GENERATED_TOKENS: u64 = 10_000_000;

/// The PostHog section of a seed file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogSeed {
    /// Projects, with their tokens and logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectSeed>,
    /// Personal API keys (`phx_…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_keys: Vec<PersonalKeySeed>,
    /// How many tokens and keys the mock had generated; loading moves the generator past them,
    /// so tokens generated later are new (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generated_tokens: u64,
}

/// One project (team).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSeed {
    /// The numeric project id.
    pub id: i64,
    /// Project API tokens (`phc_…`) that capture accepts for it (default: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<String>,
    /// The numeric ids its new persons get, in order, as `[first, last]` ranges (default: the
    /// next free ids of the deployment, which PostHog numbers across all projects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub person_ids: Vec<(i64, i64)>,
    /// Its writes in the order they were made, each a single-key map: `- capture: {…}`,
    /// `- update_person: {…}`, …
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "serde_norway::with::singleton_map_recursive"
    )]
    pub log: Vec<Entry>,
}

/// One personal API key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalKeySeed {
    /// The key itself (default: a generated `phx_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Its owner's first name, shown in activity logs (default `Mock`).
    #[serde(default = "default_first_name")]
    pub first_name: String,
    /// Its owner's e-mail (default `mock@posthog.local`).
    #[serde(default = "default_email")]
    pub email: String,
    /// The projects its owner is a member of (created when missing).
    pub member_of: Vec<i64>,
    /// The project `@current` means (default: the first of `member_of`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_project: Option<i64>,
    /// The projects the key is limited to (default, or null: all its owner reaches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoped_projects: Option<BTreeSet<i64>>,
    /// Its scopes, such as `person:read` (default `["*"]`, every scope; null: a legacy key
    /// without scopes, allowed everything, including what scoped keys may not call).
    #[serde(default = "all_scopes")]
    pub scopes: Option<BTreeSet<String>>,
}

fn default_first_name() -> String {
    Actor::mock().first_name
}

fn default_email() -> String {
    Actor::mock().email
}

fn all_scopes() -> Option<BTreeSet<String>> {
    Some([ALL_SCOPES.to_owned()].into())
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl PostHogSeed {
    /// Whether the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self.projects.is_empty() && self.personal_keys.is_empty() && self.generated_tokens == 0
    }
}

impl PostHogState {
    /// Everything in this state as a seed, in a stable order (two exports of equal states are
    /// equal): projects by id with their whole logs, tokens and keys sorted. Linear in the
    /// logs.
    pub fn export_seed(&self) -> PostHogSeed {
        let mut tokens: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (token, project) in self.project_tokens() {
            tokens.entry(project).or_default().push(token.to_owned());
        }
        let projects = self
            .projects()
            .map(|project| {
                let mut tokens = tokens.remove(&project.id).unwrap_or_default();
                tokens.sort_unstable();
                ProjectSeed {
                    id: project.id,
                    tokens,
                    person_ids: project.person_id_ranges().to_vec(),
                    log: project.log().to_vec(),
                }
            })
            .collect();
        let mut keys: Vec<(&str, &PersonalKey)> = self.keys.iter().collect();
        keys.sort_unstable_by_key(|(token, _)| *token);
        PostHogSeed {
            projects,
            personal_keys: keys
                .into_iter()
                .map(|(token, key)| export_key(token, key))
                .collect(),
            generated_tokens: self.generated_tokens(),
        }
    }

    /// Adds the seed's projects, tokens, keys and logs. All or nothing: on error the state is
    /// unchanged and the error names the entry at fault. A project, project token or personal
    /// key the state already has is refused, and so are listed person ids below the state's
    /// next free one, so no id is ever shared; entries without a time happen at `clock`'s now
    /// (one now for the whole load). Linear in the logs: a load applies each entry once.
    pub fn load_seed(&mut self, seed: &PostHogSeed, clock: &Clock) -> Result<(), SeedError> {
        check_projects(self, seed)?;
        let keys = check_keys(self, seed)?;
        if seed.generated_tokens > MAX_GENERATED_TOKENS {
            return Err(SeedError::new(
                "posthog.generated_tokens",
                format!("is more than {MAX_GENERATED_TOKENS}"),
            ));
        }
        let first_free = check_person_ids(self, seed)?;
        let before = self.next_person_id();
        self.set_next_person_id(before.max(first_free));
        let now = clock.timestamp();
        let mut projects = Vec::with_capacity(seed.projects.len());
        for (index, project) in seed.projects.iter().enumerate() {
            match load_project(self, project, index, now) {
                Ok(loaded) => projects.push(loaded),
                Err(error) => {
                    self.set_next_person_id(before);
                    return Err(error);
                }
            }
        }
        for project in projects {
            self.insert_project(project);
        }
        for project in &seed.projects {
            for token in &project.tokens {
                self.add_project(project.id, Some(token));
            }
        }
        self.skip_generated_tokens(seed.generated_tokens);
        // Named keys first, so that generated ones skip them.
        let (named, generated): (Vec<_>, Vec<_>) =
            keys.into_iter().partition(|(token, _)| token.is_some());
        for (token, key) in named.into_iter().chain(generated) {
            self.add_key(token, key);
        }
        Ok(())
    }
}

fn export_key(token: &str, key: &PersonalKey) -> PersonalKeySeed {
    PersonalKeySeed {
        key: Some(token.to_owned()),
        first_name: key.first_name.clone(),
        email: key.email.clone(),
        member_of: key.member_of.iter().copied().collect(),
        current_project: Some(key.current_project),
        scoped_projects: key.scoped_projects.clone(),
        scopes: key.scopes.clone(),
    }
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
        scoped_projects: key.scoped_projects.clone(),
        scopes: key.scopes.clone(),
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

/// Project `seed` with every entry of its log applied, not yet in `state`; its new persons
/// draw the seed's `person_ids` first.
fn load_project(
    state: &PostHogState,
    seed: &ProjectSeed,
    index: usize,
    now: crate::Timestamp,
) -> Result<Project, SeedError> {
    let mut project = state.detached_project(seed.id);
    project.plan_person_ids(seed.person_ids.iter().copied());
    project.begin_bulk();
    for (at, entry) in seed.log.iter().enumerate() {
        let path = format!("posthog.projects[{index}].log[{at}].{}", entry.kind());
        project
            .apply(entry.clone(), now, &mut unlogged)
            .map_err(|error| refusal(&path, error))?;
    }
    project.end_bulk();
    project.end_person_id_plan();
    Ok(project)
}

/// The seed error for an entry at `path` the project refused.
fn refusal(path: &str, error: RecordError) -> SeedError {
    let field = match error {
        RecordError::NoPerson(_) => ".distinct_id",
        RecordError::NullProperties => ".properties",
        RecordError::NotOnPerson(_) => ".distinct_ids_to_split",
        RecordError::PersonlessMerge(_) | RecordError::LogFull | RecordError::Storage(_) => "",
        RecordError::InvalidFlag(ref flag) if flag.attr == "key" => ".key",
        RecordError::InvalidFlag(_) => ".filters",
    };
    SeedError::new(format!("{path}{field}"), error.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::Timestamp;
    use crate::http::{ApiRequest, ApiResponse};
    use crate::posthog::demo;
    use crate::posthog::log::{
        DeletePerson, DeleteProperty, NewCohort, Split, UpdatePerson, VerifyEventDeletions,
    };
    use crate::posthog::{Event, PersonalKey, PostHog};
    use crate::router::App;
    use crate::seed::Seed;
    use crate::vendor_handle::{read_lock, write_lock};

    /// 2025-03-01T00:00:00Z.
    const START: i64 = 1_740_787_200;
    const ADMIN: &str = "phx_admin";
    const READER: &str = "phx_reader";
    const LEGACY: &str = "phx_legacy";

    fn app() -> App {
        App::new(Clock::frozen_at(START))
    }

    fn handle(app: &App) -> PostHog {
        app.posthog_at("")
    }

    fn send(app: &App, method: &str, path: &str, key: &str, body: Option<Value>) -> ApiResponse {
        let mut request = request(method, path, key);
        if let Some(body) = body {
            request = request
                .with_header("content-type", "application/json")
                .with_body(body.to_string());
        }
        app.handle(&request)
    }

    fn capture(app: &App, token: &str, batch: Value) {
        let body = json!({"api_key": token, "batch": batch}).to_string();
        let response = app.handle(&ApiRequest::new("POST", "/posthog/batch/").with_body(body));
        assert_eq!(response.status, 200, "{:?}", response.json_body());
    }

    fn pk_of(app: &App, project: i64, distinct_id: &str) -> i64 {
        let state = read_lock(&app.posthog);
        let project = state.project(project).unwrap();
        project
            .person(project.by_distinct_id(distinct_id).unwrap())
            .unwrap()
            .pk
    }

    fn export(app: &App) -> PostHogSeed {
        read_lock(&app.posthog).export_seed()
    }

    /// Exports `app`, writes the seed as JSON text, reads it back and loads it into a fresh
    /// app at the same time; checks the second export equals the first.
    fn round_trip(app: &App) -> App {
        let exported = export(app);
        let text = Seed {
            posthog: exported.clone(),
            ..Seed::default()
        }
        .to_json();
        let parsed = Seed::from_json(&text).unwrap();
        assert_eq!(parsed.posthog, exported, "the JSON text reads back equal");
        let yaml = serde_norway::to_string(&parsed).unwrap();
        assert_eq!(
            Seed::from_yaml(&yaml).unwrap().posthog,
            exported,
            "so does YAML"
        );
        let copy = App::new(Clock::frozen_at_micros(app.clock.now_micros()));
        write_lock(&copy.posthog)
            .load_seed(&parsed.posthog, &copy.clock)
            .unwrap();
        assert_eq!(export(&copy), exported, "a loaded export exports the same");
        copy
    }

    /// Asserts both apps answer `request` with the same status, headers and body bytes.
    fn same_answer(original: &App, copy: &App, request: &ApiRequest) {
        let (a, b) = (original.handle(request), copy.handle(request));
        assert_eq!(
            a,
            b,
            "{} {}?{:?}: {} vs {}",
            request.method,
            request.path,
            request.query,
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body)
        );
    }

    fn request(method: &str, path: &str, key: &str) -> ApiRequest {
        ApiRequest::new(method, &format!("/posthog/api/projects/{path}"))
            .with_header("authorization", &format!("Bearer {key}"))
    }

    fn get(path: &str, key: &str) -> ApiRequest {
        request("GET", path, key)
    }

    fn post(path: &str, key: &str, body: &Value) -> ApiRequest {
        request("POST", path, key).with_body(body.to_string())
    }

    /// Asserts both apps answer every read of [`reads`] the same; checks most of them are
    /// 200s, so the comparison is not one of errors.
    fn same_reads(original: &App, copy: &App, project: i64, key: &str, timeline_key: &str) {
        let requests = reads(original, project, key, timeline_key);
        let mut successes = 0;
        for request in &requests {
            same_answer(original, copy, request);
            successes += usize::from(original.handle(request).status == 200);
        }
        assert!(
            successes * 3 > requests.len() * 2,
            "{successes} of {} reads succeed",
            requests.len()
        );
    }

    /// The reads of project `project`: lists (sorted, paged, searched, filtered, counted,
    /// CSV), every person's retrieve, activity, cohorts and timeline (the timeline with
    /// `timeline_key`, since scoped keys may not read it), by numeric id for every id the
    /// project drew (live or not) and by UUID, values, batches, properties_at_time, deletion
    /// status.
    fn reads(original: &App, project: i64, key: &str, timeline_key: &str) -> Vec<ApiRequest> {
        let p = project;
        let mut requests = vec![
            get(&format!("{p}/persons/"), key),
            get(&format!("{p}/persons/?limit=2&offset=1"), key),
            get(&format!("{p}/persons/?search=example"), key),
            get(&format!("{p}/persons/?include_total&limit=3"), key),
            get(
                &format!(
                    "{p}/persons/?properties=%5B%7B%22key%22%3A%22plan%22%2C%22value%22%3A%5B%22pro%22%2C%22team%22%5D%7D%5D"
                ),
                key,
            ),
            get(
                &format!(
                    "{p}/persons/?properties=%5B%7B%22key%22%3A%22%24browser%22%2C%22operator%22%3A%22is_set%22%7D%5D"
                ),
                key,
            ),
            get(&format!("{p}/persons/?distinct_id=user-1"), key),
            get(&format!("{p}/persons/?email=u1%40example.com"), key),
            get(&format!("{p}/persons.csv"), key),
            get(&format!("{p}/persons/activity/?limit=100"), key),
            get(&format!("{p}/persons/activity/?limit=3&page=2"), key),
            get(&format!("{p}/persons/values/?key=plan"), key),
            get(&format!("{p}/persons/values/?key=%24browser"), key),
            get(
                &format!("{p}/persons/values/?key=%24initial_utm_source"),
                key,
            ),
            get(&format!("{p}/persons/deletion_status/"), key),
            get(
                &format!(
                    "{p}/persons/properties_at_time/?distinct_id=user-1&timestamp=2025-03-01T00:30:00Z"
                ),
                key,
            ),
            get(
                &format!(
                    "{p}/persons/properties_at_time/?distinct_id=anon-b&timestamp=2025-03-02T00:00:00Z&include_set_once=true"
                ),
                key,
            ),
            post(
                &format!("{p}/persons/batch_by_distinct_ids/"),
                key,
                &json!({"distinct_ids": ["user-1", "anon-a", "anon-b", "crm-1", "nobody"]}),
            ),
        ];
        let seed = export(original);
        let drawn = seed
            .projects
            .iter()
            .find(|seeded| seeded.id == project)
            .map(|seeded| seeded.person_ids.clone())
            .unwrap_or_default();
        let state = read_lock(&original.posthog);
        let live = state.project(project).unwrap();
        let mut uuids = Vec::new();
        for pk in drawn.iter().flat_map(|(first, last)| *first..=*last) {
            if let Some(person) = live.by_pk(pk).and_then(|index| live.person(index)) {
                uuids.push(json!(person.uuid.to_string()));
                requests.push(get(&format!("{p}/persons/{}/", person.uuid), key));
            }
            requests.push(get(&format!("{p}/persons/{pk}/"), key));
            requests.push(get(&format!("{p}/persons/{pk}/activity/"), key));
            requests.push(get(&format!("{p}/persons/cohorts/?person_id={pk}"), key));
            requests.push(get(
                &format!(
                    "{p}/persons/{pk}/properties_timeline/?properties=%5B%7B%22key%22%3A%22plan%22%7D%5D"
                ),
                timeline_key,
            ));
        }
        requests.push(post(
            &format!("{p}/persons/batch_by_uuids/"),
            key,
            &json!({"uuids": uuids}),
        ));
        requests
    }

    /// Project 1 through capture and the API, project 2 through the typed handle and the API,
    /// their writes interleaved, so person ids interleave too; also returns the generated
    /// personal key.
    fn busy_app() -> (App, String) {
        let app = app();
        let posthog = handle(&app);
        posthog.add_project_token(1, "phc_one");
        let two = posthog.create_project(2);
        let mut admin = PersonalKey::all_access(1).member_of(2);
        admin.first_name = "Ada".into();
        admin.email = "ada@example.com".into();
        posthog.add_personal_key(ADMIN, admin);
        posthog.add_personal_key(
            READER,
            PersonalKey::all_access(1)
                .member_of(2)
                .with_scopes(["person:read"])
                .scoped_to_projects([1]),
        );
        posthog.add_personal_key(LEGACY, PersonalKey::all_access(1).member_of(2).unscoped());
        let generated =
            posthog.create_personal_key(PersonalKey::all_access(2).with_scopes(["person:write"]));
        capture(
            &app,
            "phc_one",
            json!([
                {"event": "$pageview", "distinct_id": "anon-a", "timestamp": "2025-03-01T00:00:01Z",
                 "properties": {"$browser": "Firefox", "utm_source": "google", "$current_url": "https://x.test/"}},
                {"event": "$pageview", "distinct_id": "anon-b", "timestamp": "2025-03-01T00:00:02.5Z",
                 "properties": {"$browser": "Chrome", "$set_once": {"first": "b"}}},
                {"event": "signed_up", "distinct_id": "user-1", "timestamp": "2025-03-01T00:00:03Z",
                 "properties": {"$set": {"email": "u1@example.com", "plan": "free"}}},
            ]),
        );
        posthog
            .capture(
                2,
                Event::new("$pageview", "p2-a")
                    .set("plan", "pro")
                    .at(START + 4),
            )
            .unwrap();
        capture(
            &app,
            &two,
            json!([{"event": "$pageview", "distinct_id": "p2-b", "timestamp": "2025-03-01T00:00:05Z"}]),
        );
        posthog.track_last_seen(1, true);
        capture(
            &app,
            "phc_one",
            json!([
                {"event": "$identify", "distinct_id": "user-1", "timestamp": "2025-03-01T01:00:00Z",
                 "properties": {"$anon_distinct_id": "anon-a", "$set": {"plan": "pro"}}},
                {"event": "$create_alias", "distinct_id": "user-1", "timestamp": "2025-03-01T01:01:00Z",
                 "properties": {"alias": "crm-1"}},
                {"event": "$identify", "distinct_id": "anon-b", "timestamp": "2025-03-01T01:02:00Z",
                 "properties": {"$process_person_profile": false, "$anon_distinct_id": "x"}},
                {"event": "personless", "distinct_id": "anon-c", "timestamp": "2025-03-01T01:03:00Z",
                 "properties": {"$process_person_profile": false}},
                {"event": "$pageview", "distinct_id": "anon-d", "uuid": "0190f2c4-1a2b-7c3d-8e4f-123456789abc",
                 "properties": {"$browser": "Safari", "$update_person_last_seen_at": false}},
                {"event": "$set", "distinct_id": "user-2", "timestamp": "2025-03-01T02:00:00Z",
                 "properties": {"$set": {"email": "u2@example.com", "plan": "team", "seats": 4}}},
                {"event": "$merge_dangerously", "distinct_id": "user-2", "timestamp": "2025-03-01T02:30:00Z",
                 "properties": {"alias": "anon-d"}},
                {"event": "churned", "distinct_id": "user-2", "timestamp": "2025-03-01T03:00:00Z",
                 "properties": {"$unset": ["seats"]}},
            ]),
        );
        app.clock.advance(Duration::from_secs(3_600));
        let user = pk_of(&app, 1, "user-1");
        let update = |path: &str, method: &str, body: Value| {
            let response = send(&app, method, path, ADMIN, Some(body));
            assert!(response.status < 300, "{path}: {:?}", response.json_body());
        };
        update(
            &format!("1/persons/{user}/"),
            "PATCH",
            json!({"properties": {"plan": "team", "vip": true}}),
        );
        update(
            &format!("1/persons/{user}/update_property/"),
            "POST",
            json!({"key": "score", "value": 7.5}),
        );
        update(
            &format!("1/persons/{user}/delete_property/"),
            "POST",
            json!({"$unset": "vip"}),
        );
        update(
            &format!("1/persons/{user}/split/"),
            "POST",
            json!({"distinct_ids_to_split": ["crm-1"]}),
        );
        let p2 = pk_of(&app, 2, "p2-a");
        update(
            &format!("2/persons/{p2}/"),
            "PUT",
            json!({"properties": "not an object"}),
        );
        posthog.create_cohort(1, "Paying", &["user-1", "user-2", "nobody"]);
        app.clock.advance(Duration::from_secs(60));
        let second = pk_of(&app, 1, "user-2");
        let uuid = read_lock(&app.posthog)
            .project(1)
            .and_then(|project| project.person(project.by_pk(second)?))
            .map(|person| person.uuid)
            .unwrap();
        update(
            &format!("1/persons/{uuid}/split/"),
            "POST",
            json!({"main_distinct_id": "user-2"}),
        );
        update(
            &format!("1/persons/{second}/?keep_person&delete_events"),
            "DELETE",
            json!({}),
        );
        update(&format!("1/persons/{uuid}/"), "DELETE", json!({}));
        update(
            "1/persons/bulk_delete/",
            "POST",
            json!({"distinct_ids": ["anon-b"], "delete_events": true}),
        );
        posthog
            .capture(
                1,
                Event::new("$pageview", "user-2").property("$browser", "Edge"),
            )
            .unwrap();
        posthog
            .capture(
                2,
                Event::identify("p2-b", "p2-a")
                    .set_once("first", "p2")
                    .at(START + 90),
            )
            .unwrap();
        posthog.track_last_seen(1, false);
        capture(
            &app,
            "phc_one",
            json!([{"event": "$pageview", "distinct_id": "anon-b", "timestamp": "2025-03-01T05:00:00Z"}]),
        );
        posthog.create_cohort(2, "Everyone", &["p2-a"]);
        for project in [1, 2] {
            posthog.check_invariants(project).unwrap();
        }
        (app, generated)
    }

    #[test]
    fn a_busy_state_round_trips_with_identical_reads() {
        let (original, generated) = busy_app();
        let seed = export(&original);
        assert_eq!(seed.projects.len(), 2);
        assert!(
            seed.projects[0].person_ids.len() > 1,
            "interleaved projects draw interleaved person ids: {:?}",
            seed.projects[0].person_ids
        );
        let kinds: std::collections::BTreeSet<&str> =
            seed.projects[0].log.iter().map(Entry::kind).collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            vec![
                "capture",
                "cohort",
                "delete_person",
                "delete_property",
                "split",
                "track_last_seen",
                "update_person"
            ]
        );
        let copy = round_trip(&original);
        for project in [1, 2] {
            handle(&copy).check_invariants(project).unwrap();
            same_reads(&original, &copy, project, ADMIN, LEGACY);
        }
        let uuids: Vec<String> = seed.projects[0]
            .log
            .iter()
            .filter_map(|entry| match entry {
                Entry::Capture(capture) => capture.uuid.map(|uuid| uuid.to_string()),
                _ => None,
            })
            .collect();
        assert!(
            uuids.contains(&"0190f2c4-1a2b-7c3d-8e4f-123456789abc".to_owned()),
            "the UUID capture was given is kept: {uuids:?}"
        );
        let activity = send(&copy, "GET", "1/persons/activity/?limit=100", ADMIN, None);
        assert_eq!(
            activity.json_body()["total_count"],
            7,
            "{:?}",
            activity.json_body()
        );
        for (key, path) in [
            (READER, "2/persons/"),
            (READER, "1/persons/activity/"),
            (LEGACY, "@current/persons/"),
        ] {
            same_answer(&original, &copy, &get(path, key));
        }
        same_answer(&original, &copy, &get("2/persons/", &generated));
        assert_eq!(
            handle(&original).create_project(3),
            handle(&copy).create_project(3),
            "the token generator goes on where it was"
        );
        for app in [&original, &copy] {
            capture(
                app,
                "phc_one",
                json!([{"event": "e", "distinct_id": "fresh"}]),
            );
        }
        assert_eq!(pk_of(&original, 1, "fresh"), pk_of(&copy, 1, "fresh"));
        assert_eq!(export(&original), export(&copy));
    }

    #[test]
    fn the_demo_round_trips_with_identical_reads() {
        let original = app();
        demo::load(&handle(&original)).unwrap();
        handle(&original).add_personal_key(
            LEGACY,
            PersonalKey::all_access(demo::DEMO_PROJECT).unscoped(),
        );
        let copy = round_trip(&original);
        same_reads(
            &original,
            &copy,
            demo::DEMO_PROJECT,
            demo::DEMO_PERSONAL_KEY,
            LEGACY,
        );
        let seed = export(&copy);
        assert_eq!(seed.projects[0].person_ids, vec![(1, 300)]);
        assert_eq!(seed.projects[0].tokens, vec![demo::DEMO_PROJECT_TOKEN]);
        assert!(
            seed.projects[0].log.iter().all(|entry| match entry {
                Entry::Capture(capture) => capture.uuid.is_some() && capture.timestamp.is_some(),
                _ => true,
            }),
            "every logged event carries its UUID and time"
        );
    }

    #[test]
    fn a_minimal_hand_written_yaml_seed_loads_with_defaults() {
        let seed = Seed::from_yaml(
            r#"
posthog:
  projects:
    - id: 7
      tokens: [phc_minimal]
      log:
        - capture: {event: $pageview, distinct_id: anon-1, properties: {$browser: Firefox}}
        - capture:
            event: $identify
            distinct_id: ann
            timestamp: 2025-03-01T10:00:00Z
            properties: {$anon_distinct_id: anon-1, $set: {email: ann@example.com}}
        - update_person: {distinct_id: anon-1, properties: {plan: pro}}
  personal_keys:
    - key: phx_minimal
      member_of: [7]
"#,
        )
        .unwrap();
        let app = app();
        write_lock(&app.posthog)
            .load_seed(&seed.posthog, &app.clock)
            .unwrap();
        let list = send(&app, "GET", "@current/persons/", "phx_minimal", None).json_body();
        let person = &list["results"][0];
        assert_eq!(list["results"].as_array().unwrap().len(), 1);
        assert_eq!(pk_of(&app, 7, "ann"), 1);
        assert_eq!(person["distinct_ids"], json!(["anon-1", "ann"]));
        assert_eq!(person["properties"]["email"], "ann@example.com");
        assert_eq!(person["properties"]["plan"], "pro");
        assert_eq!(person["properties"]["$initial_browser"], "Firefox");
        assert_eq!(
            person["created_at"], "2025-03-01T00:00:00Z",
            "no timestamp: the clock's now"
        );
        let activity = send(&app, "GET", "7/persons/activity/", "phx_minimal", None).json_body();
        assert_eq!(activity["results"][0]["activity"], "updated");
        assert_eq!(activity["results"][0]["user"]["first_name"], "Mock");
        capture(
            &app,
            "phc_minimal",
            json!([{"event": "e", "distinct_id": "bob"}]),
        );
        assert_eq!(pk_of(&app, 7, "bob"), 2, "capture reaches the seeded token");
    }

    #[test]
    fn the_example_seed_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/posthog.yaml");
        let seed = Seed::from_file(&path).unwrap();
        assert!(seed.whop.is_empty() && seed.pipedrive.is_empty());
        let app = app();
        write_lock(&app.posthog)
            .load_seed(&seed.posthog, &app.clock)
            .unwrap();
        let list = send(
            &app,
            "GET",
            "10/persons/?include_total",
            "phx_shop_admin_key",
            None,
        )
        .json_body();
        assert_eq!(list["count"], 8, "{list}");
        let bob = send(
            &app,
            "GET",
            "10/persons/?distinct_id=bob",
            "phx_shop_reader_key",
            None,
        )
        .json_body();
        assert_eq!(
            bob["results"][0]["distinct_ids"],
            json!(["0190f2c4-1a2b-7c3d-8e4f-00000000b002", "bob"])
        );
        let pro = send(
            &app,
            "GET",
            "10/persons/?properties=%5B%7B%22key%22%3A%22plan%22%2C%22value%22%3A%22pro%22%7D%5D",
            "phx_shop_reader_key",
            None,
        )
        .json_body();
        assert_eq!(
            pro["results"].as_array().unwrap().len(),
            1,
            "ann only; erin churned, cleo moved to team"
        );
        let ann = &pro["results"][0];
        assert_eq!(ann["properties"]["email"], "ann@example.com");
        assert_eq!(
            ann["name"], "Ann Example",
            "person_display_name_properties puts name before email"
        );
        assert!(
            ann["last_seen_at"].is_string(),
            "project 10 tracks last_seen_at"
        );
        let cohorts = send(
            &app,
            "GET",
            &format!(
                "10/persons/cohorts/?person_id={}",
                ann["uuid"].as_str().unwrap()
            ),
            "phx_shop_admin_key",
            None,
        )
        .json_body();
        assert_eq!(cohorts["results"][0]["name"], "Paying customers");
        let denied = send(&app, "GET", "11/persons/", "phx_shop_reader_key", None);
        assert_eq!(denied.status, 403);
        let blog = send(
            &app,
            "GET",
            "@current/persons/",
            "phx_shop_legacy_key",
            None,
        )
        .json_body();
        assert_eq!(blog["results"].as_array().unwrap().len(), 2);
        let deletions = send(
            &app,
            "GET",
            "10/persons/deletion_status/",
            "phx_shop_admin_key",
            None,
        )
        .json_body();
        assert_eq!(deletions["count"], 1);
        let copy = round_trip(&app);
        same_reads(&app, &copy, 10, "phx_shop_admin_key", "phx_shop_legacy_key");
    }

    /// Loads `yaml` into `app`'s state and returns the error, checking nothing changed.
    fn refused(app: &App, yaml: &str) -> SeedError {
        let seed = Seed::from_yaml(yaml).unwrap();
        let mut state = write_lock(&app.posthog);
        let (before, next) = (state.export_seed(), state.next_person_id());
        let error = state.load_seed(&seed.posthog, &app.clock).unwrap_err();
        assert_eq!(
            state.export_seed(),
            before,
            "a refused seed changes nothing"
        );
        assert_eq!(state.next_person_id(), next, "nor the person id sequence");
        error
    }

    #[test]
    fn bad_entries_are_refused_with_their_path_and_change_nothing() {
        let app = app();
        demo::load(&handle(&app)).unwrap();
        let project = |log: &str| {
            format!(
                "posthog:\n  projects:\n    - id: 9\n      log:\n        - capture: {{event: e, distinct_id: a}}\n{log}"
            )
        };
        let cases = [
            (
                project("        - update_person: {distinct_id: nobody, properties: {a: 1}}\n"),
                "posthog.projects[0].log[1].update_person.distinct_id",
                "nobody",
            ),
            (
                project("        - update_person: {distinct_id: a, properties: null}\n"),
                "posthog.projects[0].log[1].update_person.properties",
                "null",
            ),
            (
                project("        - capture: {event: $identify, distinct_id: b, properties: {$process_person_profile: false}}\n"),
                "posthog.projects[0].log[1].capture",
                "personless",
            ),
            (
                project("        - capture: {event: e, distinct_id: b}\n        - split: {distinct_id: a, distinct_ids_to_split: [b]}\n"),
                "posthog.projects[0].log[2].split.distinct_ids_to_split",
                "`b`",
            ),
            (
                "posthog:\n  projects:\n    - id: 1\n".to_owned(),
                "posthog.projects[0].id",
                "already exists",
            ),
            (
                "posthog:\n  projects:\n    - {id: 8, tokens: [phc_x]}\n    - {id: 9, tokens: [phc_x]}\n".to_owned(),
                "posthog.projects[1].tokens[0]",
                "twice",
            ),
            (
                format!("posthog:\n  projects:\n    - {{id: 8, tokens: [{}]}}\n", demo::DEMO_PROJECT_TOKEN),
                "posthog.projects[0].tokens[0]",
                "project 1",
            ),
            (
                format!("posthog:\n  personal_keys:\n    - {{key: {}, member_of: [1]}}\n", demo::DEMO_PERSONAL_KEY),
                "posthog.personal_keys[0].key",
                "already exists",
            ),
            (
                "posthog:\n  personal_keys:\n    - {member_of: []}\n".to_owned(),
                "posthog.personal_keys[0].member_of",
                "no project",
            ),
            (
                "posthog:\n  projects:\n    - {id: 8, person_ids: [[5, 9]]}\n".to_owned(),
                "posthog.projects[0].person_ids[0]",
                "next free id is 301",
            ),
            (
                "posthog:\n  projects:\n    - {id: 8, person_ids: [[400, 410]]}\n    - {id: 9, person_ids: [[320, 330], [405, 405]]}\n".to_owned(),
                "posthog.projects[1].person_ids[1]",
                "overlaps posthog.projects[0].person_ids[0]",
            ),
            (
                "posthog:\n  projects:\n    - {id: 8, person_ids: [[410, 400]]}\n".to_owned(),
                "posthog.projects[0].person_ids[0]",
                "ends before it starts",
            ),
        ];
        for (yaml, path, message) in cases {
            let error = refused(&app, &yaml);
            assert_eq!(error.path, path, "{yaml}");
            assert!(error.message.contains(message), "{yaml}: {error}");
        }
    }

    #[test]
    fn typos_and_unknown_kinds_are_parse_errors() {
        for (yaml, named) in [
            (
                "posthog:\n  projects:\n    - id: 1\n      history: []\n",
                "history",
            ),
            (
                "posthog:\n  projects:\n    - id: 1\n      log:\n        - capture: {event: e, distinct_id: a, timestmp: x}\n",
                "timestmp",
            ),
            (
                "posthog:\n  projects:\n    - id: 1\n      log:\n        - captur: {event: e, distinct_id: a}\n",
                "captur",
            ),
            (
                "posthog:\n  projects:\n    - id: 1\n      log:\n        - capture: {event: e, distinct_id: b, timestamp: 2025-13-01T00:00:00Z}\n",
                "RFC 3339",
            ),
            (
                "posthog:\n  projects:\n    - id: 1\n      log:\n        - update_person: {distinct_id: a, properties: {}, user: {first_name: A}}\n",
                "email",
            ),
            (
                "posthog:\n  personal_keys:\n    - {key: k, member_of: [1], scope: [x]}\n",
                "scope",
            ),
        ] {
            let error = Seed::from_yaml(yaml).unwrap_err();
            assert!(error.message.contains(named), "{yaml}: {error}");
        }
    }

    #[test]
    fn loading_into_a_non_empty_state_appends_with_fresh_ids() {
        let app = app();
        demo::load(&handle(&app)).unwrap();
        let seed = Seed::from_yaml(
            "posthog:\n  projects:\n    - id: 5\n      log:\n        - capture: {event: e, distinct_id: a}\n  personal_keys:\n    - {member_of: [5], scopes: null}\n",
        )
        .unwrap();
        write_lock(&app.posthog)
            .load_seed(&seed.posthog, &app.clock)
            .unwrap();
        assert_eq!(pk_of(&app, 5, "a"), 301, "after the demo's 300 persons");
        let exported = export(&app);
        let generated = exported
            .personal_keys
            .iter()
            .find(|key| key.scopes.is_none())
            .unwrap();
        assert!(generated.key.as_deref().unwrap().starts_with("phx_"));
        assert_eq!(generated.current_project, Some(5));
        let copy = round_trip(&app);
        same_answer(
            &app,
            &copy,
            &get("5/persons/", generated.key.as_deref().unwrap()),
        );
        let other = App::new(Clock::frozen_at(START));
        demo::load(&handle(&other)).unwrap();
        let clash = write_lock(&other.posthog)
            .load_seed(
                &PostHogSeed {
                    projects: vec![ProjectSeed {
                        id: 5,
                        tokens: Vec::new(),
                        ..exported.projects[0].clone()
                    }],
                    ..PostHogSeed::default()
                },
                &other.clock,
            )
            .unwrap_err();
        assert_eq!(clash.path, "posthog.projects[0].person_ids[0]");
    }

    /// One step of a random history over two projects.
    #[derive(Clone, Debug)]
    enum Operation {
        Ingest(i64, Event),
        Update(i64, &'static str, &'static str, i64),
        DeleteProperty(i64, &'static str, &'static str),
        Delete(i64, &'static str, bool, bool),
        Split(i64, &'static str, usize),
        Cohort(i64, &'static str),
        TrackLastSeen(i64, bool),
        DisplayNames(i64, bool),
        VerifyDeletions(i64),
    }

    fn arbitrary_operation() -> impl Strategy<Value = Operation> {
        let project = || 1..=2i64;
        let id = || {
            prop::sample::select(vec![
                "a",
                "b",
                "c",
                "d",
                "0190f2c4-1a2b-7c3d-8e4f-123456789abc",
            ])
        };
        let key = || prop::sample::select(vec!["plan", "email", "n"]);
        let time = || 0..100_000i64;
        let event = (id(), id(), key(), 0..6u8, time()).prop_map(|(d, other, k, kind, at)| {
            match kind {
                0 => Event::new("$pageview", d).property("$browser", other),
                1 => Event::new("$set", d).set(k, other).set_once("first", at),
                2 => Event::identify(d, other),
                3 => Event::alias(d, other),
                4 => Event::merge_dangerously(d, other).unset(k),
                _ => Event::new("quiet", d).personless(),
            }
            .at(at)
        });
        prop_oneof![
            5 => (project(), event).prop_map(|(p, e)| Operation::Ingest(p, e)),
            1 => (project(), id(), key(), 0..3i64).prop_map(|(p, d, k, v)| Operation::Update(p, d, k, v)),
            1 => (project(), id(), key()).prop_map(|(p, d, k)| Operation::DeleteProperty(p, d, k)),
            1 => (project(), id(), any::<bool>(), any::<bool>()).prop_map(|(p, d, keep, events)| Operation::Delete(p, d, keep, events)),
            1 => (project(), id(), 0..3usize).prop_map(|(p, d, keep)| Operation::Split(p, d, keep)),
            1 => (project(), id()).prop_map(|(p, d)| Operation::Cohort(p, d)),
            1 => (project(), any::<bool>()).prop_map(|(p, on)| Operation::TrackLastSeen(p, on)),
            1 => (project(), any::<bool>()).prop_map(|(p, on)| Operation::DisplayNames(p, on)),
            1 => project().prop_map(Operation::VerifyDeletions),
        ]
    }

    fn run(state: &mut PostHogState, operation: Operation, now: i64) {
        let actor = Some(Actor {
            first_name: "T".into(),
            email: "t@example.com".into(),
        });
        let timestamp = Some(Timestamp::from_unix_micros(now));
        let owned = |state: &PostHogState, id: i64, d: &str| {
            state
                .project(id)
                .and_then(|project| project.person(project.by_distinct_id(d)?))
                .map(|person| {
                    person
                        .stored_distinct_ids()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
        };
        let (id, entry) = match operation {
            Operation::Ingest(id, event) => (id, event.into_entry()),
            Operation::Update(id, d, k, v) => (
                id,
                Entry::UpdatePerson(Box::new(UpdatePerson {
                    distinct_id: d.into(),
                    properties: json!({k: v}),
                    timestamp,
                    user: actor,
                })),
            ),
            Operation::DeleteProperty(id, d, k) => (
                id,
                Entry::DeleteProperty(Box::new(DeleteProperty {
                    distinct_id: d.into(),
                    key: json!(k),
                    timestamp,
                    user: actor,
                })),
            ),
            Operation::Delete(id, d, keep_person, delete_events) => (
                id,
                Entry::DeletePerson(Box::new(DeletePerson {
                    distinct_id: d.into(),
                    keep_person,
                    delete_events,
                    timestamp,
                    user: actor,
                })),
            ),
            Operation::Split(id, d, keep) => {
                let moved =
                    owned(state, id, d).map(|ids| ids.into_iter().skip(keep).collect::<Vec<_>>());
                (
                    id,
                    Entry::Split(Box::new(Split {
                        distinct_id: d.into(),
                        distinct_ids_to_split: moved,
                        listed: keep == 1,
                        timestamp,
                        user: actor,
                    })),
                )
            }
            Operation::Cohort(id, d) => (
                id,
                Entry::Cohort(Box::new(NewCohort {
                    name: "c".into(),
                    distinct_ids: vec![d.into()],
                })),
            ),
            Operation::TrackLastSeen(id, on) => (id, Entry::TrackLastSeen(on)),
            Operation::DisplayNames(id, on) => {
                let keys = if on { vec!["n".to_owned()] } else { Vec::new() };
                (id, Entry::PersonDisplayNameProperties(keys))
            }
            Operation::VerifyDeletions(id) => (
                id,
                Entry::VerifyEventDeletions(Box::new(VerifyEventDeletions { timestamp: None })),
            ),
        };
        let mut entry = entry;
        let missing = entry
            .person_write()
            .is_some_and(|write| owned(state, id, write.distinct_id).is_none());
        let applied = state.apply(id, entry, Timestamp::from_unix_micros(now));
        assert_eq!(
            matches!(applied, Err(RecordError::NoPerson(_))),
            missing,
            "{applied:?}"
        );
    }

    /// Everything a read can show of `state`'s projects, as text.
    fn fingerprint(state: &PostHogState) -> Vec<String> {
        state
            .projects()
            .map(|project| {
                let persons: Vec<String> = project
                    .newest_first()
                    .filter_map(|index| project.person(index))
                    .map(|person| format!("{person:?}"))
                    .collect();
                let cohorts: Vec<String> = project
                    .cohorts()
                    .iter()
                    .map(|cohort| {
                        let members: Vec<i64> = cohort
                            .members
                            .iter()
                            .filter_map(|index| project.person(*index).map(|person| person.pk))
                            .collect();
                        format!("{} {} {members:?}", cohort.id, cohort.name)
                    })
                    .collect();
                let events: Vec<String> = project
                    .newest_first()
                    .filter_map(|index| project.person(index))
                    .map(|person| format!("{:?}", project.events_of(person)))
                    .collect();
                format!(
                    "{} {persons:?} {:?} {:?} {cohorts:?} {events:?}",
                    project.id,
                    project.activity(),
                    project.deletions()
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn random_histories_round_trip(operations in prop::collection::vec(arbitrary_operation(), 1..50)) {
            let mut original = PostHogState::default();
            for (step, operation) in operations.into_iter().enumerate() {
                run(&mut original, operation, i64::try_from(step).unwrap() * 1_000_000);
            }
            let exported = original.export_seed();
            let text = serde_json::to_string(&exported).unwrap();
            prop_assert_eq!(&serde_json::from_str::<PostHogSeed>(&text).unwrap(), &exported);
            let mut copy = PostHogState::default();
            copy.load_seed(&exported, &Clock::frozen_at(0)).unwrap();
            prop_assert_eq!(copy.export_seed(), exported);
            prop_assert_eq!(fingerprint(&copy), fingerprint(&original));
            prop_assert_eq!(copy.next_person_id(), original.next_person_id());
            for project in copy.projects() {
                prop_assert!(project.check_invariants().is_ok(), "{:?}", project.check_invariants());
            }
        }
    }
}
