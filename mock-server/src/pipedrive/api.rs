//! The Pipedrive HTTP facade: API v1 (`/v1`, and `/api/v1` as Pipedrive's docs spell it) and
//! API v2 (`/api/v2`) over one store, each one match over the operations of its spec
//! (`specs/pipedrive-v1.yaml`, `specs/pipedrive-v2.yaml`). Every request is authenticated
//! first, with its version's rules; then [`reads`], [`writes`] or [`feed`] answer it. Free of
//! any transport: it maps an [`ApiRequest`] to an [`ApiResponse`].

use std::sync::RwLock;

use super::context::{self, Context};
use super::error::PipedriveError;
use super::params::{Version, path_id};
use super::state::PipedriveState;
use super::{feed, reads, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::{PipedriveV1Operation, PipedriveV2Operation};

/// Where Pipedrive is mounted on the mock server.
pub const PREFIX: &str = "/pipedrive";

/// Answers a request for API v1's `operation`.
pub fn handle_v1(
    state: &RwLock<PipedriveState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: PipedriveV1Operation<'_>,
) -> ApiResponse {
    use PipedriveV1Operation as Op;
    let person = |id| path_id(id, "Person");
    let answer = |cx: &Context<'_>| match operation {
        Op::GetPersons => reads::v1::list_persons(cx),
        Op::AddPerson => writes::add_person(cx, Version::V1),
        Op::DeletePersons => writes::delete_persons(cx),
        Op::GetPersonsCollection => reads::v1::collection(cx),
        Op::SearchPersons => reads::v1::search(cx),
        Op::GetPerson { id } => reads::v1::get_person(cx, person(id)?),
        Op::UpdatePerson { id } => writes::update_person(cx, Version::V1, person(id)?),
        Op::DeletePerson { id } => writes::delete_person(cx, person(id)?),
        Op::MergePersons { id } => writes::merge(cx, person(id)?),
        Op::GetPersonFollowers { id } => reads::v1::followers(cx, person(id)?),
        Op::AddPersonFollower { id } => writes::add_follower(cx, Version::V1, person(id)?),
        Op::DeletePersonFollower { id, follower_id } => {
            writes::delete_follower_v1(cx, person(id)?, path_id(follower_id, "Follower")?)
        }
        Op::GetPersonDeals { id } => reads::v1::person_deals(cx, person(id)?),
        Op::GetPersonActivities { id } => reads::v1::person_activities(cx, person(id)?),
        Op::GetPersonFiles { id } => reads::v1::person_files(cx, person(id)?),
        Op::GetPersonMailMessages { id } => reads::v1::person_mail(cx, person(id)?),
        Op::GetPersonUsers { id } => reads::v1::permitted_users(cx, person(id)?),
        Op::GetPersonUpdates { id } => feed::flow(cx, person(id)?),
        Op::GetPersonChangelog { id } => feed::changelog(cx, person(id)?),
        Op::GetPersonProducts { id } => feed::products(cx, person(id)?),
        Op::AddPersonPicture { id } => writes::upload_picture(cx, person(id)?),
        Op::DeletePersonPicture { id } => writes::delete_picture(cx, person(id)?),
        Op::AddDeal => writes::add_deal(cx, Version::V1),
        Op::GetDeal { id } => reads::v1::get_deal(cx, path_id(id, "Deal")?),
        Op::UpdateDeal { id } => writes::update_deal(cx, Version::V1, path_id(id, "Deal")?),
        Op::DeleteDeal { id } => writes::delete_deal(cx, path_id(id, "Deal")?),
        Op::AddDealParticipant { id } => writes::add_participant(cx, path_id(id, "Deal")?),
        Op::AddActivity => writes::add_activity(cx, Version::V1),
        Op::GetActivity { id } => reads::v1::get_activity(cx, path_id(id, "Activity")?),
        Op::UpdateActivity { id } => {
            writes::update_activity(cx, Version::V1, path_id(id, "Activity")?)
        }
        Op::DeleteActivity { id } => writes::delete_activity(cx, path_id(id, "Activity")?),
        Op::AddNote => writes::add_note(cx),
        Op::GetNote { id } => reads::v1::get_note(cx, path_id(id, "Note")?),
        Op::UpdateNote { id } => writes::update_note(cx, path_id(id, "Note")?),
        Op::DeleteNote { id } => writes::delete_note(cx, path_id(id, "Note")?),
        Op::GetPersonFields => reads::v1::person_fields(cx),
        Op::AddPersonField => writes::add_person_field(cx),
    };
    respond(state, clock, request, Version::V1, answer)
}

/// Answers a request for API v2's `operation`.
pub fn handle_v2(
    state: &RwLock<PipedriveState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: PipedriveV2Operation<'_>,
) -> ApiResponse {
    use PipedriveV2Operation as Op;
    let person = |id| path_id(id, "Person");
    let answer = |cx: &Context<'_>| match operation {
        Op::GetPersons => reads::v2::list_persons(cx),
        Op::AddPerson => writes::add_person(cx, Version::V2),
        Op::SearchPersons => reads::v2::search(cx),
        Op::GetPerson { id } => reads::v2::get_person(cx, person(id)?),
        Op::UpdatePerson { id } => writes::update_person(cx, Version::V2, person(id)?),
        Op::DeletePerson { id } => writes::delete_person(cx, person(id)?),
        Op::GetPersonPicture { id } => reads::v2::picture(cx, person(id)?),
        Op::GetPersonFollowers { id } => reads::v2::followers(cx, person(id)?),
        Op::AddPersonFollower { id } => writes::add_follower(cx, Version::V2, person(id)?),
        Op::GetPersonFollowersChangelog { id } => reads::v2::follower_changelog(cx, person(id)?),
        Op::DeletePersonFollower { id, follower_id } => {
            writes::delete_follower_v2(cx, person(id)?, path_id(follower_id, "Follower")?)
        }
        Op::AddDeal => writes::add_deal(cx, Version::V2),
        Op::GetDeal { id } => reads::v2::get_deal(cx, path_id(id, "Deal")?),
        Op::UpdateDeal { id } => writes::update_deal(cx, Version::V2, path_id(id, "Deal")?),
        Op::DeleteDeal { id } => writes::delete_deal(cx, path_id(id, "Deal")?),
        Op::AddActivity => writes::add_activity(cx, Version::V2),
        Op::GetActivity { id } => reads::v2::get_activity(cx, path_id(id, "Activity")?),
        Op::UpdateActivity { id } => {
            writes::update_activity(cx, Version::V2, path_id(id, "Activity")?)
        }
        Op::DeleteActivity { id } => writes::delete_activity(cx, path_id(id, "Activity")?),
    };
    respond(state, clock, request, Version::V2, answer)
}

/// Authenticates the caller with `version`'s rules, then lets `answer` answer.
fn respond(
    state: &RwLock<PipedriveState>,
    clock: &Clock,
    request: &ApiRequest,
    version: Version,
    answer: impl FnOnce(&Context<'_>) -> Result<ApiResponse, PipedriveError>,
) -> ApiResponse {
    context::authenticate(state, request, version)
        .and_then(|caller| {
            answer(&Context {
                state,
                clock,
                request,
                caller,
            })
        })
        .unwrap_or_else(PipedriveError::into_response)
}

/// Answers a request under [`PREFIX`] that names no operation of either spec (an unknown
/// path, or a known path with another method): under a version's prefix the caller is
/// authenticated first, as Pipedrive's gateway does, then it is Pipedrive's 404; elsewhere
/// (`/pipedrive/v2` included) it is the 404 right away.
pub fn unmatched(state: &RwLock<PipedriveState>, request: &ApiRequest) -> ApiResponse {
    let rest = request.path.strip_prefix(PREFIX).unwrap_or_default();
    let version = if under(rest, "/v1") || under(rest, "/api/v1") {
        Some(Version::V1)
    } else if under(rest, "/api/v2") {
        Some(Version::V2)
    } else {
        None
    };
    let refused = version.and_then(|version| context::authenticate(state, request, version).err());
    refused
        .unwrap_or_else(|| route_not_found(request))
        .into_response()
}

/// Whether `path` is `prefix` or lies below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The 404 for a route Pipedrive does not have, logged loudly.
fn route_not_found(request: &ApiRequest) -> PipedriveError {
    tracing::warn!(method = %request.method, path = %request.path, "pipedrive mock: no such route");
    PipedriveError::not_found(format!(
        "Unknown method or path: {} {}",
        request.method, request.path
    ))
}
