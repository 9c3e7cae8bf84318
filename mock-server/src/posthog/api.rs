//! The PostHog HTTP facade under `/posthog`: one match over the operations of
//! `specs/posthog.yaml` (capture, and the persons API under `/api/projects/{id}/persons/` and
//! `/api/environments/{id}/persons/`), what a known path answers to another method, and what
//! every persons action shares: credentials, project resolution, scopes, the [`Call`] and the
//! helpers that read parameters, bodies and person ids the way PostHog does. Free of any
//! transport: it maps an [`ApiRequest`] to an [`ApiResponse`].

use std::sync::RwLock;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::activity::Actor;
use super::capture::{self, Endpoint};
use super::error::PostHogError;
use super::flags::remote::Endpoint as Remote;
use super::insights::{correlation, funnel_persons, lifecycle, query, trends};
use super::keys::PersonalKey;
use super::links::Url;
use super::negotiate::{Format, csv_error};
use super::state::PostHogState;

/// The most JSON values (keys included) a persons API body may hold. PostHog documents no
/// limit; this one bounds what parsing one body costs (see docs/posthog.md).
pub const MAX_BODY_VALUES: usize = 100_000;
use super::tenant::{PersonIndex, Project};
use super::writes::Writer;
use super::{flags, reads, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse, decode_segment};
use crate::operations::PosthogOperation;
use crate::vendor_handle::{read_lock, write_lock};

/// Where PostHog is mounted on the mock server.
pub const PREFIX: &str = "/posthog";

/// Capture's success body.
#[derive(Serialize)]
struct CaptureOk {
    status: &'static str,
}

/// What an action needs from the key before it runs.
#[derive(Clone, Copy)]
enum Scopes {
    /// Every scope listed.
    All(&'static [&'static str]),
    /// No scope declared: scoped keys are refused.
    Undeclared,
}

const READ: Scopes = Scopes::All(&["person:read"]);
const WRITE: Scopes = Scopes::All(&["person:write"]);
const ACTIVITY: Scopes = Scopes::All(&["activity_log:read"]);
const QUERY: Scopes = Scopes::All(&["query:read"]);
const COHORTS: Scopes = Scopes::All(&["person:read", "cohort:read"]);
const FLAG_READ: Scopes = Scopes::All(&["feature_flag:read"]);
const FLAG_WRITE: Scopes = Scopes::All(&["feature_flag:write"]);

/// Answers a request for `operation`.
pub fn handle(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: PosthogOperation<'_>,
) -> ApiResponse {
    use PosthogOperation as Op;
    let persons = Persons {
        state,
        clock,
        request,
    };
    match operation {
        Op::CaptureBatch | Op::CaptureBatchGet => capture(state, clock, request, Endpoint::Batch),
        Op::CaptureEvent | Op::CaptureEventGet => capture(state, clock, request, Endpoint::Event),
        Op::CaptureEngage | Op::CaptureEngageGet => {
            capture(state, clock, request, Endpoint::Engage)
        }
        Op::CaptureEventShort
        | Op::CaptureEventShortGet
        | Op::CaptureEventLegacy
        | Op::CaptureEventLegacyGet
        | Op::CaptureTrack
        | Op::CaptureTrackGet => capture(state, clock, request, Endpoint::LegacyEvent),
        Op::CaptureBatchOptions
        | Op::CaptureEventOptions
        | Op::CaptureEngageOptions
        | Op::CaptureEventShortOptions
        | Op::CaptureEventLegacyOptions
        | Op::CaptureTrackOptions => preflight(200),
        Op::PersonsList { project_id }
        | Op::EnvironmentsPersonsList {
            environment_id: project_id,
        } => persons.rendered(project_id, None, READ, false, reads::list),
        Op::PersonsListCsv { project_id }
        | Op::EnvironmentsPersonsListCsv {
            environment_id: project_id,
        } => persons.rendered(project_id, None, READ, true, reads::list),
        Op::PersonsAllActivityRetrieve { project_id }
        | Op::EnvironmentsPersonsAllActivityRetrieve {
            environment_id: project_id,
        } => persons.viewset(|| persons.read(project_id, None, ACTIVITY, reads::all_activity)),
        Op::PersonsBatchByDistinctIdsCreate { project_id }
        | Op::EnvironmentsPersonsBatchByDistinctIdsCreate {
            environment_id: project_id,
        } => persons.read(project_id, None, READ, reads::batch_by_distinct_ids),
        Op::PersonsBatchByUuidsCreate { project_id }
        | Op::EnvironmentsPersonsBatchByUuidsCreate {
            environment_id: project_id,
        } => persons.read(project_id, None, READ, reads::batch_by_uuids),
        Op::PersonsBulkDeleteCreate { project_id }
        | Op::EnvironmentsPersonsBulkDeleteCreate {
            environment_id: project_id,
        } => persons.viewset(|| persons.write(project_id, None, writes::bulk_delete)),
        Op::PersonsCohortsRetrieve { project_id }
        | Op::EnvironmentsPersonsCohortsRetrieve {
            environment_id: project_id,
        } => persons.viewset(|| persons.read(project_id, None, COHORTS, reads::cohorts)),
        Op::PersonsDeletionStatusRetrieve { project_id }
        | Op::EnvironmentsPersonsDeletionStatusRetrieve {
            environment_id: project_id,
        } => persons.read(project_id, None, READ, reads::deletion_status),
        Op::PersonsPropertiesAtTimeRetrieve { project_id }
        | Op::EnvironmentsPersonsPropertiesAtTimeRetrieve {
            environment_id: project_id,
        } => persons.read(project_id, None, READ, reads::properties_at_time),
        Op::PersonsResetPersonDistinctIdCreate { project_id }
        | Op::EnvironmentsPersonsResetPersonDistinctIdCreate {
            environment_id: project_id,
        } => persons.viewset(|| persons.write(project_id, None, writes::reset_distinct_id)),
        Op::PersonsValuesRetrieve { project_id }
        | Op::EnvironmentsPersonsValuesRetrieve {
            environment_id: project_id,
        } => persons.viewset(|| persons.read(project_id, None, READ, reads::values)),
        Op::PersonsRetrieve { project_id, id }
        | Op::EnvironmentsPersonsRetrieve {
            environment_id: project_id,
            id,
        } => persons.rendered(project_id, Some(id), READ, false, |project, call, _| {
            reads::retrieve(project, call)
        }),
        Op::PersonsUpdate { project_id, id }
        | Op::PersonsPartialUpdate { project_id, id }
        | Op::EnvironmentsPersonsUpdate {
            environment_id: project_id,
            id,
        }
        | Op::EnvironmentsPersonsPartialUpdate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::update)),
        Op::PersonsDestroy { project_id, id }
        | Op::EnvironmentsPersonsDestroy {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::destroy)),
        Op::PersonsActivityRetrieve { project_id, id }
        | Op::EnvironmentsPersonsActivityRetrieve {
            environment_id: project_id,
            id,
        } => {
            persons.viewset(|| persons.read(project_id, Some(id), ACTIVITY, reads::person_activity))
        }
        Op::PersonsDeleteEventsCreate { project_id, id }
        | Op::EnvironmentsPersonsDeleteEventsCreate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::delete_events)),
        Op::PersonsDeleteRecordingsCreate { project_id, id }
        | Op::EnvironmentsPersonsDeleteRecordingsCreate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::delete_recordings)),
        Op::PersonsDeletePropertyCreate { project_id, id }
        | Op::EnvironmentsPersonsDeletePropertyCreate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::delete_property)),
        Op::PersonsUpdatePropertyCreate { project_id, id }
        | Op::EnvironmentsPersonsUpdatePropertyCreate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::update_property)),
        Op::PersonsSplitCreate { project_id, id }
        | Op::EnvironmentsPersonsSplitCreate {
            environment_id: project_id,
            id,
        } => persons.viewset(|| persons.write(project_id, Some(id), writes::split)),
        Op::PersonsPropertiesTimelineRetrieve { project_id, id }
        | Op::EnvironmentsPersonsPropertiesTimelineRetrieve {
            environment_id: project_id,
            id,
        } => persons.viewset(|| {
            persons.read(
                project_id,
                Some(id),
                Scopes::Undeclared,
                reads::properties_timeline,
            )
        }),
        Op::FeatureFlagsList { project_id }
        | Op::EnvironmentsFeatureFlagsList {
            environment_id: project_id,
        } => persons.read(project_id, None, FLAG_READ, flags::api::list),
        Op::FeatureFlagsRetrieve { project_id, id }
        | Op::EnvironmentsFeatureFlagsRetrieve {
            environment_id: project_id,
            id,
        } => persons.read(project_id, None, FLAG_READ, |project, _| {
            flags::api::retrieve(project, id)
        }),
        Op::FeatureFlagsLocalEvaluation { project_id }
        | Op::EnvironmentsFeatureFlagsLocalEvaluation {
            environment_id: project_id,
        } => persons.read(project_id, None, FLAG_READ, |project, call| {
            Ok(flags::api::local_evaluation(project, call.request))
        }),
        Op::FeatureFlagsCreate { project_id }
        | Op::EnvironmentsFeatureFlagsCreate {
            environment_id: project_id,
        } => persons.write_with(project_id, None, FLAG_WRITE, flags::api::create),
        Op::FeatureFlagsUpdate { project_id, id }
        | Op::FeatureFlagsPartialUpdate { project_id, id }
        | Op::EnvironmentsFeatureFlagsUpdate {
            environment_id: project_id,
            id,
        }
        | Op::EnvironmentsFeatureFlagsPartialUpdate {
            environment_id: project_id,
            id,
        } => persons.write_with(project_id, None, FLAG_WRITE, |writer, call| {
            flags::api::update(writer, call, id)
        }),
        Op::FeatureFlagsDestroy { project_id, .. }
        | Op::EnvironmentsFeatureFlagsDestroy {
            environment_id: project_id,
            ..
        } => persons.write_with(project_id, None, FLAG_WRITE, |_, _| {
            Ok(flags::api::destroy())
        }),
        Op::FlagsEvaluate => flags_evaluate(state, clock, request, Remote::Flags),
        Op::DecideEvaluate => flags_evaluate(state, clock, request, Remote::Decide),
        Op::FlagsConfig => flags::remote::config_only(Remote::Flags, request),
        Op::DecideConfig => flags::remote::config_only(Remote::Decide, request),
        Op::FlagsHead | Op::DecideHead => ApiResponse::empty(200),
        Op::FlagsOptions | Op::DecideOptions => {
            preflight(204).with_header("allow", "GET, POST, OPTIONS, HEAD")
        }
        Op::FlagsDefinitions | Op::LegacyLocalEvaluation => {
            flags::api::definitions(&read_lock(state), request)
        }
        Op::PersonsFunnelRetrieve { project_id }
        | Op::EnvironmentsPersonsFunnelRetrieve {
            environment_id: project_id,
        } => persons.actors(project_id, |project, call| {
            funnel_persons::persons(project, call, false)
        }),
        Op::PersonsFunnelCreate { project_id }
        | Op::EnvironmentsPersonsFunnelCreate {
            environment_id: project_id,
        } => persons.actors(project_id, |project, call| {
            funnel_persons::persons(project, call, true)
        }),
        Op::QueryCreate { project_id }
        | Op::EnvironmentsQueryCreate {
            environment_id: project_id,
        } => match Format::negotiate_json(request) {
            Ok(()) => persons.read(project_id, None, QUERY, query::run),
            Err(error) => error.into_response(),
        },
        Op::PersonsFunnelCorrelationRetrieve { project_id }
        | Op::EnvironmentsPersonsFunnelCorrelationRetrieve {
            environment_id: project_id,
        } => persons.actors(project_id, |project, call| {
            correlation::persons(project, call, false)
        }),
        Op::PersonsFunnelCorrelationCreate { project_id }
        | Op::EnvironmentsPersonsFunnelCorrelationCreate {
            environment_id: project_id,
        } => persons.actors(project_id, |project, call| {
            correlation::persons(project, call, true)
        }),
        Op::PersonsTrendsRetrieve { project_id }
        | Op::EnvironmentsPersonsTrendsRetrieve {
            environment_id: project_id,
        } => persons.actors(project_id, trends::persons),
        Op::PersonsLifecycleRetrieve { project_id }
        | Op::EnvironmentsPersonsLifecycleRetrieve {
            environment_id: project_id,
        } => persons.actors(project_id, lifecycle::persons),
        Op::PersonsStickinessRetrieve { project_id }
        | Op::EnvironmentsPersonsStickinessRetrieve {
            environment_id: project_id,
        } => persons.actors(project_id, trends::stickiness),
        legacy => match on_current_project(legacy) {
            Some(operation) => handle(state, clock, request, operation),
            None => route_not_found(request),
        },
    }
}

/// The project a key means by PostHog's legacy `/api/person/` prefix (`LegacyPersonViewSet`,
/// which acts on the user's current team): the one `@current` names.
const CURRENT: &str = "@current";

/// A legacy `/api/person/…` operation as the `/api/projects/@current/persons/…` one it
/// behaves as (same handler, same scopes); `None` for the other operations.
fn on_current_project(operation: PosthogOperation<'_>) -> Option<PosthogOperation<'_>> {
    use PosthogOperation as Op;
    let project_id = CURRENT;
    let operation = match operation {
        Op::LegacyPersonsList => Op::PersonsList { project_id },
        Op::LegacyPersonsListCsv => Op::PersonsListCsv { project_id },
        Op::LegacyPersonsAllActivityRetrieve => Op::PersonsAllActivityRetrieve { project_id },
        Op::LegacyPersonsBatchByDistinctIdsCreate => {
            Op::PersonsBatchByDistinctIdsCreate { project_id }
        }
        Op::LegacyPersonsBatchByUuidsCreate => Op::PersonsBatchByUuidsCreate { project_id },
        Op::LegacyPersonsBulkDeleteCreate => Op::PersonsBulkDeleteCreate { project_id },
        Op::LegacyPersonsCohortsRetrieve => Op::PersonsCohortsRetrieve { project_id },
        Op::LegacyPersonsDeletionStatusRetrieve => Op::PersonsDeletionStatusRetrieve { project_id },
        Op::LegacyPersonsPropertiesAtTimeRetrieve => {
            Op::PersonsPropertiesAtTimeRetrieve { project_id }
        }
        Op::LegacyPersonsResetPersonDistinctIdCreate => {
            Op::PersonsResetPersonDistinctIdCreate { project_id }
        }
        Op::LegacyPersonsValuesRetrieve => Op::PersonsValuesRetrieve { project_id },
        Op::LegacyPersonsDestroy { id } => Op::PersonsDestroy { project_id, id },
        Op::LegacyPersonsRetrieve { id } => Op::PersonsRetrieve { project_id, id },
        Op::LegacyPersonsPartialUpdate { id } => Op::PersonsPartialUpdate { project_id, id },
        Op::LegacyPersonsUpdate { id } => Op::PersonsUpdate { project_id, id },
        Op::LegacyPersonsActivityRetrieve { id } => Op::PersonsActivityRetrieve { project_id, id },
        Op::LegacyPersonsDeleteEventsCreate { id } => {
            Op::PersonsDeleteEventsCreate { project_id, id }
        }
        Op::LegacyPersonsDeletePropertyCreate { id } => {
            Op::PersonsDeletePropertyCreate { project_id, id }
        }
        Op::LegacyPersonsDeleteRecordingsCreate { id } => {
            Op::PersonsDeleteRecordingsCreate { project_id, id }
        }
        Op::LegacyPersonsPropertiesTimelineRetrieve { id } => {
            Op::PersonsPropertiesTimelineRetrieve { project_id, id }
        }
        Op::LegacyPersonsSplitCreate { id } => Op::PersonsSplitCreate { project_id, id },
        Op::LegacyPersonsUpdatePropertyCreate { id } => {
            Op::PersonsUpdatePropertyCreate { project_id, id }
        }
        Op::LegacyPersonsFunnelRetrieve => Op::PersonsFunnelRetrieve { project_id },
        Op::LegacyPersonsFunnelCreate => Op::PersonsFunnelCreate { project_id },
        Op::LegacyPersonsFunnelCorrelationRetrieve => {
            Op::PersonsFunnelCorrelationRetrieve { project_id }
        }
        Op::LegacyPersonsFunnelCorrelationCreate => {
            Op::PersonsFunnelCorrelationCreate { project_id }
        }
        Op::LegacyPersonsTrendsRetrieve => Op::PersonsTrendsRetrieve { project_id },
        Op::LegacyPersonsLifecycleRetrieve => Op::PersonsLifecycleRetrieve { project_id },
        Op::LegacyPersonsStickinessRetrieve => Op::PersonsStickinessRetrieve { project_id },
        _ => return None,
    };
    Some(operation)
}

/// What a path of the specs answers to a method it does not take (`allowed` lists those it
/// takes, for the `Allow` header). The persons API answers DRF's 405 once the key and project
/// check out (`POST …/persons/` with PostHog's explanation); capture answers an empty 405, as
/// its router does.
pub fn wrong_method(
    state: &RwLock<PostHogState>,
    request: &ApiRequest,
    allowed: &[&str],
) -> ApiResponse {
    let allow = allowed.join(", ");
    let Some(api) = request.path.strip_prefix("/posthog/api/") else {
        return ApiResponse::empty(405).with_header("allow", &allow);
    };
    let in_project = api
        .strip_prefix("projects/")
        .or_else(|| api.strip_prefix("environments/"));
    let (project, persons) = match (api.strip_prefix("person"), in_project) {
        (Some(legacy), _) => (CURRENT, legacy),
        (None, Some(rest)) => rest.split_once('/').unwrap_or((rest, "")),
        // Outside a project (the flags definitions): no project to authorise against.
        (None, None) => {
            return PostHogError::method_not_allowed(&request.method)
                .into_response()
                .with_header("allow", &allow);
        }
    };
    let persons = persons.strip_prefix("persons").unwrap_or(persons);
    let collection = matches!(persons, "" | "/");
    let refusal = match authorised(&read_lock(state), request, project) {
        Err(error) => error,
        Ok(_) if collection && request.method == "POST" => PostHogError::create_not_allowed(),
        Ok(_) => PostHogError::method_not_allowed(&request.method),
    };
    refusal.into_response().with_header("allow", &allow)
}

/// The 404 of a path PostHog does not serve, logged loudly so a test author notices.
pub fn route_not_found(request: &ApiRequest) -> ApiResponse {
    tracing::warn!(method = %request.method, path = %request.path, "posthog mock: no such route");
    PostHogError::not_found().into_response()
}

/// A capture request to `endpoint`: each event of a known project token is applied to its
/// project (an event ingestion refuses is dropped with a warning, as PostHog drops it later);
/// an unknown but well-shaped token gets 200 too, its events dropped.
fn capture(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
    endpoint: Endpoint,
) -> ApiResponse {
    let now = clock.timestamp();
    let parsed = match capture::parse(request, endpoint, now.unix_micros()) {
        Ok(parsed) => parsed,
        Err(error) => return error.into_response(),
    };
    let mut state = write_lock(state);
    if let Some(project_id) = state.project_for_token(&parsed.token) {
        for event in parsed.events {
            match state.apply(project_id, super::log::Entry::Capture(event), now) {
                Ok(_) => {}
                Err(super::tenant::RecordError::Storage(error)) => return error.into_response(),
                Err(error) => {
                    tracing::info!(%error, "posthog mock: ingestion warning, event dropped");
                }
            }
        }
    }
    if request.query_param("beacon") == Some("1") {
        return ApiResponse::empty(204);
    }
    ApiResponse::json(200, &CaptureOk { status: "Ok" })
}

/// `POST /flags/` or `/decide/`: evaluated under the read lock, unless the request writes
/// hash-key overrides (experience continuity), which go through the project's `apply` under
/// the write lock before the answer is evaluated.
fn flags_evaluate(
    state: &RwLock<PostHogState>,
    clock: &Clock,
    request: &ApiRequest,
    endpoint: Remote,
) -> ApiResponse {
    let now = clock.now_micros();
    let (parsed, write) = {
        let state = read_lock(state);
        let parsed = match flags::remote::parse(&state, request) {
            Ok(parsed) => parsed,
            Err(refusal) => return refusal,
        };
        match flags::remote::planned_write(&state, &parsed) {
            Some(write) => (parsed, write),
            None => return flags::remote::answer(&state, &parsed, request, endpoint, now),
        }
    };
    let mut state = write_lock(state);
    let entry = super::log::Entry::HashKeyOverrides(Box::new(write));
    if let Err(super::tenant::RecordError::Storage(error)) =
        state.apply(parsed.project_id(), entry, clock.timestamp())
    {
        return error.into_response();
    }
    flags::remote::answer(&state, &parsed, request, endpoint, now)
}

/// A request to the persons API, for the actions to run on.
struct Persons<'a> {
    state: &'a RwLock<PostHogState>,
    clock: &'a Clock,
    request: &'a ApiRequest,
}

impl Persons<'_> {
    /// Runs the read `action` on the project the path names (`person`: the `{id}` segment),
    /// once the key has `scopes` on it.
    fn read(
        &self,
        project: &str,
        person: Option<&str>,
        scopes: Scopes,
        action: impl FnOnce(&Project, &Call<'_>) -> Result<ApiResponse, PostHogError>,
    ) -> ApiResponse {
        let state = read_lock(self.state);
        let result = self
            .call(&state, project, person, scopes)
            .and_then(|(call, project_id)| {
                let project = state.project(project_id).ok_or_else(project_not_found)?;
                action(project, &call)
            });
        result.unwrap_or_else(PostHogError::into_response)
    }

    /// Answers a `PersonViewSet` action (`answer`, given the renderer) as DRF does: the
    /// renderer is negotiated first ([`Format::negotiate`]; `csv_suffix` for `persons.csv`),
    /// so a format the viewset cannot serve is refused before the action runs or writes
    /// anything (404, 406, as JSON), and a JSON answer (an error, one person, a write's
    /// result) asked as CSV keeps its status with an empty body ([`csv_error`]).
    fn negotiated(
        &self,
        csv_suffix: bool,
        answer: impl FnOnce(Format) -> ApiResponse,
    ) -> ApiResponse {
        let format = match Format::negotiate(self.request, csv_suffix) {
            Ok(format) => format,
            Err(error) => return error.into_response(),
        };
        let response = answer(format);
        match format {
            Format::Json => response,
            Format::Csv => csv_error(response),
        }
    }

    /// A `PersonViewSet` action that ignores the renderer ([`Self::negotiated`]).
    fn viewset(&self, answer: impl FnOnce() -> ApiResponse) -> ApiResponse {
        self.negotiated(false, |_| answer())
    }

    /// A `PersonViewSet` read (`person`: the `{id}` segment) that renders the negotiated
    /// format itself ([`Self::negotiated`]).
    fn rendered(
        &self,
        project: &str,
        person: Option<&str>,
        scopes: Scopes,
        csv_suffix: bool,
        action: impl FnOnce(&Project, &Call<'_>, Format) -> Result<ApiResponse, PostHogError>,
    ) -> ApiResponse {
        self.negotiated(csv_suffix, |format| {
            self.read(project, person, scopes, |project, call| {
                action(project, call, format)
            })
        })
    }

    /// An insight actors endpoint: a read without declared scopes, rendered as JSON or CSV
    /// (its page knows which from [`Format::negotiate`]).
    fn actors(
        &self,
        project: &str,
        action: impl FnOnce(&Project, &Call<'_>) -> Result<ApiResponse, PostHogError>,
    ) -> ApiResponse {
        self.rendered(
            project,
            None,
            Scopes::Undeclared,
            false,
            |project, call, _| action(project, call),
        )
    }

    /// Runs the write `action` on the project the path names, once the key has `person:write`
    /// on it.
    fn write(
        &self,
        project: &str,
        person: Option<&str>,
        action: impl FnOnce(&mut Writer<'_>, &Call<'_>) -> Result<ApiResponse, PostHogError>,
    ) -> ApiResponse {
        self.write_with(project, person, WRITE, action)
    }

    /// Runs the write `action` on the project the path names, once the key has `scopes` on it.
    fn write_with(
        &self,
        project: &str,
        person: Option<&str>,
        scopes: Scopes,
        action: impl FnOnce(&mut Writer<'_>, &Call<'_>) -> Result<ApiResponse, PostHogError>,
    ) -> ApiResponse {
        let mut state = write_lock(self.state);
        let result = self
            .call(&state, project, person, scopes)
            .and_then(|(call, project_id)| {
                let mut writer = Writer::new(&mut state, project_id, self.clock.timestamp());
                action(&mut writer, &call)
            });
        result.unwrap_or_else(PostHogError::into_response)
    }

    /// The authorised call and the project id: 401, 404 or 403 as [`authorised`] finds, then
    /// 403 for a missing scope.
    fn call<'a>(
        &'a self,
        state: &PostHogState,
        project: &str,
        person: Option<&'a str>,
        scopes: Scopes,
    ) -> Result<(Call<'a>, i64), PostHogError> {
        let (key, project_id) = authorised(state, self.request, project)?;
        match scopes {
            Scopes::All(required) => required.iter().try_for_each(|scope| key.require(scope))?,
            Scopes::Undeclared if key.is_scoped() => {
                return Err(PostHogError::forbidden(
                    "This action does not support Personal API Key access",
                ));
            }
            Scopes::Undeclared => {}
        }
        let call = Call {
            request: self.request,
            key,
            person,
            now: self.clock.now_micros(),
        };
        Ok((call, project_id))
    }
}

/// Authenticates the key (401), resolves the project (404) and checks the key reaches it
/// (403); returns the key and the project id.
fn authorised(
    state: &PostHogState,
    request: &ApiRequest,
    project: &str,
) -> Result<(PersonalKey, i64), PostHogError> {
    let key = state.keys.authenticate(request)?.clone();
    let project = decode_segment(project).unwrap_or_default();
    let project_id = if project == "@current" {
        key.current_project
    } else {
        project.parse::<i64>().map_err(|_| project_not_found())?
    };
    state.project(project_id).ok_or_else(project_not_found)?;
    key.check_project(project_id)?;
    Ok((key, project_id))
}

fn project_not_found() -> PostHogError {
    PostHogError::not_found_with("Project not found.")
}

/// One authorised call of a persons action.
#[derive(Debug)]
pub struct Call<'a> {
    /// The request.
    pub request: &'a ApiRequest,
    /// The key that made it.
    pub key: PersonalKey,
    /// The `{id}` segment of a per-person action, still percent-encoded.
    pub person: Option<&'a str>,
    /// The clock's now, in microseconds.
    pub now: i64,
}

impl Call<'_> {
    /// Query parameter `name`, empty counting as absent (Django's falsy `GET.get`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.request
            .query_param(name)
            .filter(|value| !value.is_empty())
    }

    /// Whether query parameter `name` is present, whatever its value.
    pub fn has_param(&self, name: &str) -> bool {
        self.request.query.iter().any(|(key, _)| key == name)
    }

    /// A positive integer parameter, or `default` when absent, malformed or not positive
    /// (DRF's pagination never answers 400 for these); one too big for `usize` saturates.
    pub fn positive_param(&self, name: &str, default: usize) -> usize {
        self.param(name)
            .and_then(saturating_usize)
            .filter(|value| *value > 0)
            .unwrap_or(default)
    }

    /// A non-negative integer parameter, 0 when absent or malformed; saturates when too big.
    pub fn offset_param(&self) -> usize {
        self.param("offset").and_then(saturating_usize).unwrap_or(0)
    }

    /// A parameter read with Python's `int(request.query_params.get(name, default))`: absent →
    /// `default`; not an integer (empty included) → 500 as the `ValueError` gives in PostHog;
    /// not positive → `default`.
    pub fn python_int(&self, name: &str, default: usize) -> Result<usize, PostHogError> {
        let Some(raw) = self.request.query_param(name) else {
            return Ok(default);
        };
        let trimmed = raw.trim();
        let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(PostHogError::server_error());
        }
        Ok(saturating_usize(trimmed)
            .filter(|value| *value > 0)
            .unwrap_or(default))
    }

    /// The JSON body as an object: `{}` when empty; 415 for a non-JSON content type; 400
    /// `parse_error` for malformed JSON; a JSON value that is not an object counts as `{}`.
    pub fn body(&self) -> Result<Map<String, Value>, PostHogError> {
        let body = &self.request.body;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        if let Some(content_type) = self.request.header("content-type")
            && !content_type.trim().starts_with("application/json")
        {
            return Err(PostHogError::unsupported_media_type(content_type));
        }
        if self.request.json_values_at_most() > MAX_BODY_VALUES {
            return Err(PostHogError::parse_error(format_args!(
                "the body holds more than {MAX_BODY_VALUES} JSON values"
            )));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Ok(Map::new()),
            Err(error) => Err(PostHogError::parse_error(error)),
        }
    }

    /// The scheme and host the request reached, for absolute links.
    pub fn base_url(&self) -> String {
        let host = self.request.header("host").unwrap_or("localhost");
        let scheme = self.request.header("x-forwarded-proto").unwrap_or("http");
        format!("{scheme}://{host}")
    }

    /// The person id segment (`persons/{id}/…`), percent-decoded.
    pub fn person_segment(&self) -> String {
        let raw = self.person.unwrap_or_default();
        decode_segment(raw).unwrap_or_else(|| raw.to_owned())
    }

    /// The request's URL, for building links; `base` is [`Call::base_url`].
    pub fn url<'a>(&'a self, base: &'a str) -> Url<'a> {
        Url {
            base,
            path: &self.request.path,
            query: &self.request.query,
        }
    }

    /// Who is acting, for the activity log.
    pub fn actor(&self) -> Actor {
        Actor {
            first_name: self.key.first_name.clone(),
            email: self.key.email.clone(),
        }
    }
}

/// A non-negative integer (`+` allowed, surrounding blanks ignored); `usize::MAX` when it is
/// all digits but too big; `None` otherwise.
fn saturating_usize(raw: &str) -> Option<usize> {
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(usize::MAX))
}

/// A person id as PostHog accepts it: numeric id or UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonId {
    /// The numeric primary key.
    Pk(i64),
    /// The UUID.
    Uuid(Uuid),
}

impl PersonId {
    /// Parses `raw`; 400 with PostHog's hint when it is neither.
    pub fn parse(raw: &str) -> Result<Self, PostHogError> {
        if let Ok(pk) = raw.parse::<i64>() {
            return Ok(PersonId::Pk(pk));
        }
        Uuid::parse_str(raw).map(PersonId::Uuid).map_err(|_| {
            PostHogError::invalid(format!(
                "The ID provided does not look like a personID. If you are using a distinctId, please use /persons?distinct_id={raw} instead."
            ))
        })
    }

    /// The live person it names.
    pub fn find(self, project: &Project) -> Option<PersonIndex> {
        match self {
            PersonId::Pk(pk) => project.by_pk(pk),
            PersonId::Uuid(uuid) => project.by_uuid(&uuid),
        }
    }
}

/// The person named by the path: 400 for a malformed id, 404 when there is none.
pub fn path_person(project: &Project, call: &Call<'_>) -> Result<PersonIndex, PostHogError> {
    PersonId::parse(&call.person_segment())?
        .find(project)
        .ok_or_else(PostHogError::not_found)
}

/// An empty `202 Accepted`.
pub fn accepted() -> ApiResponse {
    ApiResponse::empty(202)
}

/// A CORS pre-flight answer with `status`, as capture and the flags service send it.
fn preflight(status: u16) -> ApiResponse {
    ApiResponse::empty(status)
        .with_header("access-control-allow-origin", "*")
        .with_header("access-control-allow-methods", "GET, POST, OPTIONS")
}

#[cfg(test)]
mod tests {
    use crate::http::ApiRequest;
    use crate::posthog::PersonalKey;
    use crate::router::App;

    #[test]
    fn a_known_path_with_another_method_is_a_405_with_allow() {
        let app = App::default();
        let posthog = app.posthog_at("");
        posthog.add_project_token(1, "phc_t");
        posthog.add_personal_key("phx_k", PersonalKey::all_access(1));
        let send = |method: &str, path: &str, key: Option<&str>| {
            let mut request = ApiRequest::new(method, path);
            if let Some(key) = key {
                request = request.with_header("authorization", &format!("Bearer {key}"));
            }
            let response = app.handle(&request);
            let allow = response
                .headers
                .iter()
                .find(|(name, _)| name == "allow")
                .map(|(_, value)| value.clone());
            (response.status, allow, response.body)
        };
        let (status, allow, body) = send("PUT", "/posthog/batch/", None);
        assert_eq!(
            (status, allow.as_deref(), body.is_empty()),
            (405, Some("GET, OPTIONS, POST"), true)
        );
        let (status, allow, body) = send(
            "DELETE",
            "/posthog/api/projects/1/persons/values/",
            Some("phx_k"),
        );
        assert_eq!((status, allow.as_deref()), (405, Some("GET")));
        assert!(String::from_utf8_lossy(&body).contains(r#"Method \"DELETE\" not allowed."#));
        let (status, allow, body) =
            send("POST", "/posthog/api/environments/1/persons", Some("phx_k"));
        assert_eq!((status, allow.as_deref()), (405, Some("GET")));
        assert!(String::from_utf8_lossy(&body).contains("Creating persons via this API"));
        let (status, _, _) = send("DELETE", "/posthog/api/projects/1/persons/values/", None);
        assert_eq!(status, 401, "credentials are checked first");
        let (status, _, _) = send("GET", "/posthog/api/projects/1/persons/1/nope/", None);
        assert_eq!(
            status, 404,
            "an unknown path is a 404 before any credential"
        );
    }
}
