//! The mock's single entry point: resolves a request once through the operation table (or
//! the admin API's prefix), hands it to its vendor's facade, and keeps the state every vendor
//! shares: the clock, the data directory, seeding, export and reset.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::admin;
use crate::clock::Clock;
use crate::durable::{Durable, DurableError, Record};
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::{self, Operation, Resolution, Route};
use crate::pipedrive::state::PipedriveState;
use crate::pipedrive::{self, Pipedrive};
use crate::posthog::state::PostHogState;
use crate::posthog::{self, PostHog};
use crate::seed::{Seed, SeedError};
use crate::vendor_handle::{read_lock, write_lock};
use crate::whop::error::WhopError;
use crate::whop::state::WhopState;
use crate::whop::{self, Whop};

#[cfg(any(feature = "standalone", feature = "internals"))]
mod restore;

/// Every vendor API the mock serves: name and path prefix, for the 404 of unknown prefixes.
pub const MOUNTS: &[(&str, &str)] = &[
    ("Whop", whop::api::PREFIX),
    ("PostHog", posthog::api::PREFIX),
    ("Pipedrive", pipedrive::api::PREFIX),
];

/// What `reset_to_seed` loads again after forgetting everything: the start-up data.
pub type Seeder = Arc<dyn Fn(&App) -> Result<(), String> + Send + Sync>;

/// Every vendor's state plus the shared clock; answers any [`ApiRequest`].
pub struct App {
    /// The clock all vendors read.
    pub clock: Clock,
    /// The Whop mock's state.
    pub whop: Arc<RwLock<WhopState>>,
    /// The PostHog mock's state.
    pub posthog: Arc<RwLock<PostHogState>>,
    /// The Pipedrive mock's state.
    pub pipedrive: Arc<RwLock<PipedriveState>>,
    admin_token: Option<String>,
    seeder: Option<Seeder>,
    /// The data directory, shared with the vendor states whose tenants log their entries.
    durable: Durable,
    /// Held by every write made through the app while a data directory is attached, so a
    /// compaction never runs in the middle of one.
    writes: Mutex<()>,
}

impl Default for App {
    fn default() -> Self {
        Self::new(Clock::default())
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("clock", &self.clock)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "…"))
            .field("seeded", &self.seeder.is_some())
            .field("durable", &self.is_durable())
            .finish_non_exhaustive()
    }
}

impl App {
    /// An empty app reading `clock`.
    pub fn new(clock: Clock) -> Self {
        let durable = Durable::default();
        Self {
            clock,
            whop: Arc::new(RwLock::new(WhopState::new(durable.clone()))),
            posthog: Arc::new(RwLock::new(PostHogState::new(durable.clone()))),
            pipedrive: Arc::new(RwLock::new(PipedriveState::new(durable.clone()))),
            admin_token: None,
            seeder: None,
            durable,
            writes: Mutex::new(()),
        }
    }

    /// Requires `Authorization: Bearer <token>` on the admin API (`None`: open).
    pub fn with_admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token.filter(|token| !token.is_empty());
        self
    }

    /// What [`App::reset_to_seed`] loads: the start-up data.
    pub fn with_seeder(mut self, seeder: Seeder) -> Self {
        self.seeder = Some(seeder);
        self
    }

    /// The admin token, if the admin API requires one.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// Answers `request`, whatever transport brought it.
    #[cfg(any(feature = "standalone", feature = "internals"))]
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        self.answer(request).0
    }

    /// Answers `request`, with the spec operation it hit (none for the admin API or a path
    /// no spec has).
    pub fn answer(&self, request: &ApiRequest) -> (ApiResponse, Option<&'static Operation>) {
        if let Some(rest) = strip_mount(&request.path, admin::PREFIX) {
            return (admin::handle(self, request, rest), None);
        }
        let resolution = operations::resolve(&request.method, &request.path);
        let operation = match &resolution {
            Resolution::Found { operation, .. } => Some(*operation),
            Resolution::WrongMethod { .. } | Resolution::NotFound => None,
        };
        let writes = operation.is_some_and(|operation| operation.writes());
        if !(writes && self.is_durable()) {
            let response = self.dispatch(request, resolution, self.clock.now_micros());
            return (response, operation);
        }
        let _writing = lock(&self.writes);
        // Read under the lock, so the log's order and its times agree.
        let response = self.dispatch(request, resolution, self.clock.now_micros());
        self.compact_if_due();
        (response, operation)
    }

    /// Answers a vendor request with the clock pinned at `at_micros`, so that every entry the
    /// request applies (and the data directory logs) carries one time.
    fn dispatch(
        &self,
        request: &ApiRequest,
        resolution: Resolution<'_>,
        at_micros: i64,
    ) -> ApiResponse {
        let clock = Clock::frozen_at_micros(at_micros);
        let allowed = match resolution {
            Resolution::Found { route, .. } => {
                return match route {
                    Route::Whop(operation) => {
                        whop::api::handle(&self.whop, &clock, request, operation)
                    }
                    Route::WhopCurrent(operation) => {
                        whop::api::handle_current(&self.whop, request, operation)
                    }
                    Route::Posthog(operation) => {
                        posthog::api::handle(&self.posthog, &clock, request, operation)
                    }
                    Route::PipedriveV1(operation) => {
                        pipedrive::api::handle_v1(&self.pipedrive, &clock, request, operation)
                    }
                    Route::PipedriveV2(operation) => {
                        pipedrive::api::handle_v2(&self.pipedrive, &clock, request, operation)
                    }
                };
            }
            Resolution::WrongMethod { allowed, .. } => Some(allowed),
            Resolution::NotFound => None,
        };
        if strip_mount(&request.path, whop::api::PREFIX).is_some() {
            return whop::api::route_not_found(request).into_response();
        }
        if strip_mount(&request.path, posthog::api::PREFIX).is_some() {
            return match allowed {
                Some(allowed) => posthog::api::wrong_method(&self.posthog, request, allowed),
                None => posthog::api::route_not_found(request),
            };
        }
        if strip_mount(&request.path, pipedrive::api::PREFIX).is_some() {
            return pipedrive::api::unmatched(&self.pipedrive, request);
        }
        tracing::warn!(method = %request.method, path = %request.path, "persons mock: no vendor is mounted here");
        let mounts: Vec<String> = MOUNTS
            .iter()
            .map(|(vendor, prefix)| format!("{vendor} under {prefix}"))
            .collect();
        let message = format!(
            "No vendor is mounted at {}; this server serves {}.",
            request.path,
            mounts.join(", ")
        );
        WhopError::not_found(message).into_response()
    }

    /// Every vendor's whole state, as a seed that loads back into an equal state.
    pub fn export_seed(&self) -> Seed {
        Seed {
            whop: read_lock(&self.whop).export_seed(),
            posthog: read_lock(&self.posthog).export_seed(),
            pipedrive: read_lock(&self.pipedrive).export_seed(),
        }
    }

    /// Adds `seed`'s tenants, keys and data: all of it, or (on error) none of it.
    ///
    /// The seed is first loaded into an empty scratch app, so a mistake anywhere in it is
    /// found before anything changes; each vendor's own load is all-or-nothing too, which
    /// covers conflicts with the data already here.
    pub fn load_seed(&self, seed: &Seed) -> Result<(), SeedError> {
        App::default().apply_seed(seed, &self.clock)?;
        if !self.is_durable() {
            return self.apply_seed(seed, &self.clock);
        }
        let _writing = lock(&self.writes);
        let at = self.clock.timestamp();
        let record = || Record::Seed {
            seed: Box::new(seed.clone()),
            at,
        };
        self.durable.append(record).map_err(|error| {
            SeedError::new(
                "data directory",
                format!("the seed could not be logged, so it was not loaded: {error}"),
            )
        })?;
        self.apply_seed(seed, &Clock::frozen_at_micros(at.unix_micros()))?;
        self.compact_if_due();
        Ok(())
    }

    /// Loads every non-empty section into its vendor's state, under all three write locks:
    /// all of it, or none of it. Each vendor's own load is all-or-nothing; when a later
    /// vendor refuses its section, the earlier vendors are restored from exports taken
    /// before.
    fn apply_seed(&self, seed: &Seed, clock: &Clock) -> Result<(), SeedError> {
        let mut whop = write_lock(&self.whop);
        let mut posthog = write_lock(&self.posthog);
        let mut pipedrive = write_lock(&self.pipedrive);
        let several = [
            seed.whop.is_empty(),
            seed.posthog.is_empty(),
            seed.pipedrive.is_empty(),
        ]
        .iter()
        .filter(|empty| !**empty)
        .count()
            > 1;
        let whop_before = several.then(|| whop.export_seed());
        let posthog_before = several.then(|| posthog.export_seed());
        if !seed.whop.is_empty() {
            whop.load_seed(&seed.whop, clock)?;
        }
        let restore_whop = |whop: &mut WhopState| {
            if let Some(before) = &whop_before {
                whop.clear();
                let _ = whop.load_seed(before, clock);
            }
        };
        if !seed.posthog.is_empty()
            && let Err(error) = posthog.load_seed(&seed.posthog, clock)
        {
            restore_whop(&mut whop);
            return Err(error);
        }
        if !seed.pipedrive.is_empty()
            && let Err(error) = pipedrive.load_seed(&seed.pipedrive, clock)
        {
            restore_whop(&mut whop);
            if let Some(before) = &posthog_before {
                posthog.clear();
                let _ = posthog.load_seed(before, clock);
            }
            return Err(error);
        }
        Ok(())
    }

    /// Forgets every vendor's data and keys. With a data directory the reset is logged
    /// first; if it cannot be, nothing is forgotten and the error is returned.
    pub fn reset(&self) -> Result<(), DurableError> {
        let _writing = lock(&self.writes);
        self.durable
            .append(|| Record::Reset)
            .map_err(|error| DurableError::Io {
                path: "write-ahead log".to_owned(),
                source: std::io::Error::other(error),
            })?;
        self.clear();
        Ok(())
    }

    fn clear(&self) {
        write_lock(&self.whop).clear();
        write_lock(&self.posthog).clear();
        write_lock(&self.pipedrive).clear();
    }

    /// Forgets everything, then loads the start-up data again (empty when there is none).
    /// With a data directory the result is snapshotted, since start-up data may be written
    /// through typed handles that bypass the log.
    pub fn reset_to_seed(&self) -> Result<(), String> {
        self.reset().map_err(|error| error.to_string())?;
        let Some(seeder) = &self.seeder else {
            return Ok(());
        };
        let seeded = seeder(self);
        self.snapshot().map_err(|error| error.to_string())?;
        seeded
    }

    /// Runs the start-up seeder, if any, before serving. With a data directory nothing of it
    /// is logged: it lands in one snapshot at the end, so a crash half-way leaves the
    /// directory empty and the next start seeds again.
    pub fn seed(&mut self) -> Result<(), String> {
        let Some(seeder) = self.seeder.clone() else {
            return Ok(());
        };
        let data_dir = self.durable.detach();
        let seeded = seeder(self);
        if let Some(data_dir) = data_dir {
            self.durable.attach(data_dir);
        }
        seeded?;
        self.snapshot().map_err(|error| error.to_string())
    }

    /// The Whop handle, for a server whose root URL is `server_url`.
    pub fn whop_at(&self, server_url: &str) -> Whop {
        Whop::new(Arc::clone(&self.whop), self.clock.clone(), server_url)
    }

    /// The PostHog handle, for a server whose root URL is `server_url`.
    pub fn posthog_at(&self, server_url: &str) -> PostHog {
        PostHog::new(Arc::clone(&self.posthog), self.clock.clone(), server_url)
    }

    /// The Pipedrive handle, for a server whose root URL is `server_url`.
    pub fn pipedrive_at(&self, server_url: &str) -> Pipedrive {
        Pipedrive::new(Arc::clone(&self.pipedrive), self.clock.clone(), server_url)
    }

    /// Loads the built-in demo tenants of every vendor (the `DEMO_*` credentials of each
    /// vendor module).
    pub fn load_demo(&self) -> Result<(), String> {
        whop::demo::load(&self.whop_at("")).map_err(|error| format!("Whop demo: {error}"))?;
        posthog::demo::load(&self.posthog_at(""))
            .map_err(|error| format!("PostHog demo: {error}"))?;
        pipedrive::demo::load(&self.pipedrive_at(""))
            .map_err(|error| format!("Pipedrive demo: {error}"))?;
        Ok(())
    }

    /// Whether writes are logged to a data directory.
    pub fn is_durable(&self) -> bool {
        self.durable.is_attached()
    }

    /// Writes a snapshot of the whole state now (a no-op without a data directory).
    pub fn snapshot(&self) -> Result<(), DurableError> {
        let _writing = lock(&self.writes);
        self.compact()
    }

    /// Compacts when the log has grown past its threshold; the caller holds `writes`.
    fn compact_if_due(&self) {
        if self.durable.with_dir(|dir| dir.wants_compaction()) != Some(true) {
            return;
        }
        if let Err(error) = self.compact() {
            tracing::error!(%error, "persons mock: compaction failed; the log keeps growing");
        }
    }

    /// Replaces the log by a snapshot of the state. Every vendor's read lock is held from
    /// the export to the switch of log, so no entry is logged in between (tenants log under
    /// their vendor's write lock); the caller holds `writes`.
    fn compact(&self) -> Result<(), DurableError> {
        let whop = read_lock(&self.whop);
        let posthog = read_lock(&self.posthog);
        let pipedrive = read_lock(&self.pipedrive);
        let seed = Seed {
            whop: whop.export_seed(),
            posthog: posthog.export_seed(),
            pipedrive: pipedrive.export_seed(),
        };
        self.durable
            .with_dir(|dir| dir.compact(&seed))
            .unwrap_or(Ok(()))
    }
}

fn lock(writes: &Mutex<()>) -> MutexGuard<'_, ()> {
    writes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The rest of `path` when it lies under `prefix` (`/whop/api/v1/people` → `/people`).
fn strip_mount<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::durable::DurableOptions;

    #[test]
    fn a_wrong_method_outside_a_posthog_project_is_a_405_with_allow() {
        let app = App::default();
        for path in [
            "/posthog/api/feature_flag/local_evaluation/",
            "/posthog/flags/definitions/",
        ] {
            let response = app.handle(&ApiRequest::new("TRACE", path));
            assert_eq!(response.status, 405, "{path}: {:?}", response.json_body());
            assert!(
                response
                    .headers
                    .iter()
                    .any(|(name, value)| name == "allow" && value == "GET"),
                "{path}: {:?}",
                response.headers
            );
        }
    }

    #[test]
    fn routes_by_prefix_and_404s_elsewhere() {
        let app = App::default();
        let whop = app.handle(&ApiRequest::new("GET", "/whop/api/v1/people"));
        assert_eq!(
            (whop.status, whop.json_body()["error"]["type"].as_str()),
            (401, Some("unauthorized"))
        );
        let lookalike = app.handle(&ApiRequest::new("GET", "/whop/api/v10/people"));
        assert_eq!(lookalike.status, 404);
        let nowhere = app.handle(&ApiRequest::new("GET", "/nope"));
        assert_eq!(nowhere.status, 404);
        assert!(
            nowhere.json_body()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("/whop/api/v1")
        );
    }

    /// A fresh data directory path for test `name`.
    fn temp_data_dir(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "persons-mock-router-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ))
    }

    /// The text of the write-ahead log in `dir`.
    fn wal_text(dir: &Path) -> String {
        let log = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "log"))
            .unwrap();
        String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned()
    }

    /// Asserts that no text of `secrets` reached the log text `bytes`.
    fn assert_absent(bytes: &str, secrets: &[&str]) {
        for leaked in secrets {
            assert!(
                !bytes.contains(leaked),
                "`{leaked}` reached the log: {bytes}"
            );
        }
    }

    /// A new app (its clock later than the first one's) on the data directory `dir`, and how
    /// many logged writes it replayed.
    fn restart(dir: &Path) -> (App, usize) {
        let mut restarted = App::new(Clock::frozen_at(1_769_900_000));
        let restored = restarted
            .open_data_dir(dir, DurableOptions::default())
            .unwrap();
        (restarted, restored.records)
    }

    /// The JSON body of a `GET` of `path` with bearer `token`, which must answer 200.
    fn get_ok(app: &App, path: &str, token: &str) -> serde_json::Value {
        let request =
            ApiRequest::new("GET", path).with_header("authorization", &format!("Bearer {token}"));
        let response = app.handle(&request);
        assert_eq!(
            response.status,
            200,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        response.json_body()
    }

    #[test]
    fn a_durable_write_logs_its_entry_not_the_request_and_replays_from_it() {
        let dir = temp_data_dir("entries");
        let mut app = App::new(Clock::frozen_at(1_769_860_800)).with_seeder(Arc::new(|app| {
            app.whop_at("").add_account_key("biz_1", "secret_key_1");
            Ok(())
        }));
        app.open_data_dir(&dir, DurableOptions::default()).unwrap();
        app.seed().unwrap();
        let request = ApiRequest::new("POST", "/whop/api/v1/events")
            .with_header("authorization", "Bearer secret_key_1")
            .with_header("x-trace", "trace-header-value")
            .with_body(r#"{"account_id":"biz_1","event_name":"page","user":{"anonymous_id":"wuid_logged"}}"#);
        let created = app.handle(&request);
        assert_eq!(created.status, 200);
        let event_id = created.json_body()["id"].as_str().unwrap().to_owned();

        let bytes = wal_text(&dir);
        assert!(
            bytes.contains(r#""kind":"entry","vendor":"whop","tenant":"biz_1""#),
            "{bytes}"
        );
        assert!(
            bytes.contains(&event_id) && bytes.contains("wuid_logged"),
            "{bytes}"
        );
        assert_absent(
            &bytes,
            &["secret_key_1", "authorization", "trace-header-value"],
        );

        drop(app);
        let (restarted, replayed) = restart(&dir);
        assert_eq!(replayed, 1);
        let person = get_ok(
            &restarted,
            "/whop/api/v1/people/wuid_logged?from=0",
            "secret_key_1",
        );
        assert_eq!(
            person["data"]["last_seen_at"], 1_769_860_800,
            "the entry keeps the time it was applied at"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_durable_posthog_write_logs_its_entries_not_the_request_and_replays_from_them() {
        let dir = temp_data_dir("posthog");
        let mut app = App::new(Clock::frozen_at(1_769_860_800)).with_seeder(Arc::new(|app| {
            let posthog = app.posthog_at("");
            posthog.add_project_token(1, "phc_secret_token");
            posthog.add_personal_key("phx_secret_key", posthog::PersonalKey::all_access(1));
            Ok(())
        }));
        app.open_data_dir(&dir, DurableOptions::default()).unwrap();
        app.seed().unwrap();
        let capture = ApiRequest::new("POST", "/posthog/i/v0/e/")
            .with_header("x-trace", "trace-header-value")
            .with_body(r#"{"api_key":"phc_secret_token","event":"signed up","distinct_id":"ph_logged","properties":{"$set":{"plan":"free"}}}"#);
        assert_eq!(app.handle(&capture).status, 200);
        let in_properties = ApiRequest::new("POST", "/posthog/i/v0/e/")
            .with_body(r#"{"event":"$pageview","distinct_id":"ph_logged","properties":{"token":"phc_secret_token"}}"#);
        assert_eq!(app.handle(&in_properties).status, 200);
        let pk = read_lock(&app.posthog)
            .project(1)
            .and_then(|project| project.person(project.by_distinct_id("ph_logged")?))
            .unwrap()
            .pk;
        let update = ApiRequest::new("PATCH", &format!("/posthog/api/projects/1/persons/{pk}/"))
            .with_header("authorization", "Bearer phx_secret_key")
            .with_header("content-type", "application/json")
            .with_body(r#"{"properties":{"plan":"pro"}}"#);
        assert_eq!(app.handle(&update).status, 202);

        let bytes = wal_text(&dir);
        for logged in [
            r#""kind":"entry","vendor":"posthog","tenant":1,"#,
            r#""capture":{"event":"signed up","distinct_id":"ph_logged""#,
            r#""update_person":{"distinct_id":"ph_logged","properties":{"plan":"pro"}"#,
        ] {
            assert!(
                bytes.contains(logged),
                "`{logged}` is not in the log: {bytes}"
            );
        }
        assert_absent(
            &bytes,
            &[
                "phc_secret_token",
                "phx_secret_key",
                "authorization",
                "trace-header-value",
            ],
        );

        drop(app);
        let (restarted, replayed) = restart(&dir);
        assert_eq!(replayed, 3);
        let person = get_ok(
            &restarted,
            &format!("/posthog/api/projects/1/persons/{pk}/"),
            "phx_secret_key",
        );
        assert_eq!(person["properties"]["plan"], "pro");
        assert_eq!(
            person["created_at"], "2026-01-31T12:00:00Z",
            "the entry keeps the time it was applied at"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A `/flags` request is a write only when it stores experience-continuity overrides: that
    /// one logs its `hash_key_overrides` entry (not the request) and a restart keeps them; a
    /// plain evaluation logs nothing.
    #[test]
    fn a_durable_flags_request_logs_only_the_overrides_it_writes() {
        let dir = temp_data_dir("flags");
        let mut app = App::new(Clock::frozen_at(1_769_860_800)).with_seeder(Arc::new(|app| {
            let posthog = app.posthog_at("");
            posthog.add_project_token(1, "phc_secret_token");
            let flag = posthog::FlagWrite {
                ensure_experience_continuity: true,
                ..posthog::FlagWrite::rollout("experience-flag-test", 50.0)
            };
            posthog
                .create_flag(1, flag)
                .map_err(|error| error.to_string())?;
            posthog
                .capture(1, posthog::Event::new("$pageview", "false_eval_user"))
                .map_err(|error| error.to_string())?;
            Ok(())
        }));
        app.open_data_dir(&dir, DurableOptions::default()).unwrap();
        app.seed().unwrap();
        let flags = |app: &App, body: &str| {
            let request = ApiRequest::new("POST", "/posthog/flags/?v=2").with_body(body);
            let response = app.handle(&request);
            assert_eq!(response.status, 200);
            response.json_body()["flags"]["experience-flag-test"]["enabled"].clone()
        };
        let plain = r#"{"token":"phc_secret_token","distinct_id":"false_eval_user"}"#;
        assert_eq!(flags(&app, plain), false);
        assert_eq!(wal_text(&dir), "", "a plain evaluation writes nothing");
        let identified = r#"{"token":"phc_secret_token","distinct_id":"false_eval_user","$anon_distinct_id":"true_eval_user"}"#;
        assert_eq!(flags(&app, identified), true);
        let bytes = wal_text(&dir);
        let logged = r#""hash_key_overrides":{"distinct_ids":["false_eval_user","true_eval_user"],"hash_key":"true_eval_user"}"#;
        assert!(bytes.contains(logged), "{bytes}");
        assert_absent(&bytes, &["phc_secret_token"]);
        assert_eq!(flags(&app, identified), true);
        assert_eq!(wal_text(&dir), bytes, "an override is written once");

        drop(app);
        let (restarted, replayed) = restart(&dir);
        assert_eq!(replayed, 1);
        assert_eq!(flags(&restarted, plain), true, "the override survives");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_durable_pipedrive_write_logs_its_entry_not_the_request_and_replays_from_it() {
        let dir = temp_data_dir("pipedrive-entries");
        let mut app = App::new(Clock::frozen_at(1_769_860_800)).with_seeder(Arc::new(|app| {
            let pipedrive = app.pipedrive_at("");
            let admin = pipedrive.add_user(1, "Ann", "ann@x.test", true);
            pipedrive.add_api_token(1, admin, Some("secret_pipedrive_token"));
            Ok(())
        }));
        app.open_data_dir(&dir, DurableOptions::default()).unwrap();
        app.seed().unwrap();
        let request = ApiRequest::new("POST", "/pipedrive/api/v2/persons")
            .with_header("x-api-token", "secret_pipedrive_token")
            .with_header("x-trace", "trace-header-value")
            .with_header("content-type", "application/json")
            .with_body(r#"{"name":"Ada Logged","emails":[{"value":"ada@x.test"}]}"#);
        let created = app.handle(&request);
        assert_eq!(created.status, 200, "{:?}", created.json_body());
        let id = created.json_body()["data"]["id"].as_u64().unwrap();

        let bytes = wal_text(&dir);
        assert!(
            bytes.contains(r#""kind":"entry","vendor":"pipedrive","tenant":1"#),
            "{bytes}"
        );
        assert!(
            bytes.contains(r#"{"person":{"id":"#) && bytes.contains("Ada Logged"),
            "{bytes}"
        );
        assert_absent(
            &bytes,
            &[
                "secret_pipedrive_token",
                "x-api-token",
                "trace-header-value",
            ],
        );

        drop(app);
        let (restarted, replayed) = restart(&dir);
        assert_eq!(replayed, 1);
        let person = ApiRequest::new("GET", &format!("/pipedrive/v1/persons/{id}"))
            .with_header("x-api-token", "secret_pipedrive_token");
        let person = restarted.handle(&person);
        assert_eq!(person.status, 200, "{:?}", person.json_body());
        assert_eq!(person.json_body()["data"]["name"], "Ada Logged");
        assert_eq!(
            person.json_body()["data"]["add_time"],
            "2026-01-31 12:00:00",
            "the entry keeps the time it was applied at"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
