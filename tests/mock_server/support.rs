//! Shared set-up: a mock (on the system clock, so journal times show real waits) and SDK
//! clients for each vendor.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use persons_mock::MockServer;
use persons_mock::journal::Entry;
use persons_mock::posthog::PersonalKey;

/// The Whop account of every test.
pub const ACCOUNT: &str = "biz_test";
/// The PostHog project of every test.
pub const PROJECT: i64 = 1;

/// A Whop client for a fresh account of `mock`, retrying with the SDK's defaults except a
/// 1 ms backoff (`Retry-After` is honoured whatever the backoff).
pub fn whop(mock: &MockServer) -> persons_sdk::whop::ClientBuilder {
    let whop = mock.whop();
    let key = whop.create_account_key(ACCOUNT);
    persons_sdk::whop::Client::builder()
        .base_url(whop.base_url())
        .api_key(key)
        .retry_backoff(Duration::from_millis(1))
}

/// A PostHog client for project [`PROJECT`] of `mock`, as [`whop`] builds its.
pub fn posthog(mock: &MockServer) -> persons_sdk::posthog::ClientBuilder {
    let posthog = mock.posthog();
    posthog.create_project(PROJECT);
    let key = posthog.create_personal_key(PersonalKey::all_access(PROJECT));
    persons_sdk::posthog::Client::builder()
        .base_url(posthog.base_url())
        .personal_api_key(key)
        .project_id(PROJECT.to_string())
        .retry_backoff(Duration::from_millis(1))
}

/// A Pipedrive client for company 1 of `mock`, as [`whop`] builds its.
pub fn pipedrive(mock: &MockServer) -> persons_sdk::pipedrive::ClientBuilder {
    let pipedrive = mock.pipedrive();
    let (_, token) = pipedrive.create_company(1);
    persons_sdk::pipedrive::Client::builder()
        .base_url(pipedrive.base_url())
        .api_token(token)
        .retry_backoff(Duration::from_millis(1))
}

/// Time between two journal entries, on the mock's clock.
pub fn between(earlier: &Entry, later: &Entry) -> Duration {
    let micros = later.time_micros() - earlier.time_micros();
    Duration::from_micros(u64::try_from(micros).expect("entries are in order"))
}

/// The message `run` panics with.
pub fn panic_message(run: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(run)).expect_err("it must panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}
