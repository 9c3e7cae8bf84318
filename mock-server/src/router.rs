//! The mock's single entry point: picks the vendor by path prefix and hands the request to
//! its facade.

use std::sync::{Arc, RwLock};

use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::pipedrive;
use crate::pipedrive::state::PipedriveState;
use crate::posthog;
use crate::posthog::state::PostHogState;
use crate::whop;
use crate::whop::error::WhopError;
use crate::whop::state::WhopState;

/// Every vendor API the mock serves: name and path prefix, for the 404 of unknown prefixes.
pub const MOUNTS: &[(&str, &str)] = &[
    ("Whop", whop::api::PREFIX),
    ("PostHog", posthog::api::PREFIX),
    ("Pipedrive", pipedrive::api::PREFIX),
];

/// Every vendor's state plus the shared clock; answers any [`ApiRequest`].
#[derive(Debug, Default)]
pub struct App {
    /// The clock all vendors read.
    pub clock: Clock,
    /// The Whop mock's state.
    pub whop: Arc<RwLock<WhopState>>,
    /// The PostHog mock's state.
    pub posthog: Arc<RwLock<PostHogState>>,
    /// The Pipedrive mock's state.
    pub pipedrive: Arc<RwLock<PipedriveState>>,
}

impl App {
    /// An empty app reading `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            whop: Arc::default(),
            posthog: Arc::default(),
            pipedrive: Arc::default(),
        }
    }

    /// Answers `request`, whatever transport brought it.
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        if let Some(rest) = strip_mount(&request.path, whop::api::PREFIX) {
            return whop::api::handle(&self.whop, &self.clock, request, rest);
        }
        if let Some(rest) = strip_mount(&request.path, posthog::api::PREFIX) {
            return posthog::api::handle(&self.posthog, &self.clock, request, rest);
        }
        if let Some(rest) = strip_mount(&request.path, pipedrive::api::PREFIX) {
            return pipedrive::api::handle(&self.pipedrive, &self.clock, request, rest);
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
}

/// The rest of `path` when it lies under `prefix` (`/whop/api/v1/people` → `/people`).
fn strip_mount<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
