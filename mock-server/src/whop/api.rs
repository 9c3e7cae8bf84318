//! The Whop HTTP facade: one match over the operations of `specs/whop.yaml`, and the query
//! parameters they share. Free of any transport: it maps an [`ApiRequest`] to an
//! [`ApiResponse`].

use std::num::IntErrorKind;
use std::sync::RwLock;

use super::error::WhopError;
use super::state::WhopState;
use super::{reads, writes};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::operations::WhopOperation;
use crate::vendor_handle::read_lock;

/// Where Whop is mounted on the mock server.
pub const PREFIX: &str = "/whop/api/v1";

/// Answers a request for `operation`.
pub fn handle(
    state: &RwLock<WhopState>,
    clock: &Clock,
    request: &ApiRequest,
    operation: WhopOperation<'_>,
) -> ApiResponse {
    let result = match operation {
        WhopOperation::ListPeople => reads::list_people(&read_lock(state), clock, request),
        WhopOperation::RetrievePerson { person_id } => {
            reads::retrieve_person(&read_lock(state), clock, request, person_id)
        }
        WhopOperation::CreateEvent => writes::create_event(state, clock, request),
    };
    result.unwrap_or_else(WhopError::into_response)
}

/// The 404 for a route Whop does not have, logged loudly so a test author notices.
pub fn route_not_found(request: &ApiRequest) -> WhopError {
    tracing::warn!(method = %request.method, path = %request.path, "whop mock: no such route");
    WhopError::not_found(format!(
        "Route not found: {} {}",
        request.method, request.path
    ))
}

/// The `[from, to]` window of a request: `to` defaults to now, `from` to `to` minus
/// `default_span` (or the beginning of time without one).
pub(super) fn window(
    request: &ApiRequest,
    clock: &Clock,
    default_span: Option<i64>,
) -> Result<(i64, i64), WhopError> {
    let to = integer_param(request, "to")?.unwrap_or_else(|| clock.now());
    let from = integer_param(request, "from")?
        .unwrap_or_else(|| default_span.map_or(i64::MIN, |span| to.saturating_sub(span)));
    if from > to {
        return Err(WhopError::invalid_param(
            "from",
            format!("`from` ({from}) must not be after `to` ({to})."),
        ));
    }
    Ok((from, to))
}

/// Query parameter `name`; an empty value counts as absent, as if the key were not sent.
pub(super) fn param<'a>(request: &'a ApiRequest, name: &str) -> Option<&'a str> {
    request.query_param(name).filter(|value| !value.is_empty())
}

pub(super) fn integer_param(request: &ApiRequest, name: &str) -> Result<Option<i64>, WhopError> {
    param(request, name)
        .map(|raw| {
            raw.trim().parse::<i64>().map_err(|error| {
                let why = match error.kind() {
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "is out of range",
                    _ => "must be an integer",
                };
                WhopError::invalid_param(name, format!("`{name}` {why}, got `{raw}`."))
            })
        })
        .transpose()
}
