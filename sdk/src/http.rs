//! The HTTP settings every client shares, how they become a `reqwest::Client`, and how a
//! generated client sends a request ([`Transport`]): its query credential added, retried by its
//! policy.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Request, Response};

use crate::Error;
use crate::auth::QueryCredential;
use crate::retry::RetryPolicy;

/// Request timeout (connect plus response) when none is configured.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// `User-Agent` sent when none is configured.
pub(crate) const DEFAULT_USER_AGENT: &str = concat!("persons-sdk/", env!("CARGO_PKG_VERSION"));

/// Settings of the underlying `reqwest::Client`, the same for every vendor.
#[derive(Clone, Debug)]
pub(crate) struct HttpConfig {
    /// Timeout for connecting and for the whole request.
    pub(crate) timeout: Duration,
    /// The `User-Agent` header.
    pub(crate) user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

impl HttpConfig {
    /// Builds a `reqwest::Client` with these settings that sends `headers` (auth, usually) on
    /// every request.
    pub(crate) fn build_client(&self, headers: HeaderMap) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            .default_headers(headers)
            .build()
            .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))
    }
}

/// `base_url` without its trailing slashes, once it is known to be an absolute URL.
pub(crate) fn checked_base_url(base_url: &str) -> Result<String, Error> {
    reqwest::Url::parse(base_url)
        .map_err(|error| Error::Config(format!("invalid base URL {base_url:?}: {error}")))?;
    Ok(base_url.trim_end_matches('/').to_owned())
}

/// What a generated client carries besides its `reqwest::Client`, as its progenitor inner
/// value (`cargo xtask codegen` names this type): how [`execute`](Self::execute) sends each of
/// its requests. Built by the client builder only.
///
/// `pub` only because the generated clients' public constructors name it; this module is
/// private and nothing re-exports it, so outside the crate it cannot be named.
#[derive(Clone, Debug)]
pub struct Transport {
    /// Retries of idempotent requests.
    pub(crate) retry: RetryPolicy,
    /// The credential added to the query string of every request, for a client that sends its
    /// credential there ([`crate::Auth::Query`]).
    pub(crate) query_credential: Option<QueryCredential>,
}

impl Transport {
    /// Sends `request` as operation `operation` with `client`: adds the query credential (and
    /// then drops the URL from transport errors, for it holds the credential), and retries as
    /// the retry policy says. Every generated call goes through here, as do the hand-written
    /// calls built on a generated client.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        mut request: Request,
        operation: &str,
    ) -> reqwest::Result<Response> {
        let credential = self.query_credential.as_ref();
        if let Some(credential) = credential {
            credential.apply(&mut request);
        }
        self.retry
            .execute(request, operation, |request| async move {
                let outcome = client.execute(request).await;
                match credential {
                    Some(_) => outcome.map_err(QueryCredential::redact),
                    None => outcome,
                }
            })
            .await
    }
}

/// Implements `progenitor_client::ClientHooks<Transport>` for a generated client (generated
/// with `HooksMode::Expected` and [`Transport`] as its inner type) so that every request it
/// sends goes through [`Transport::execute`].
macro_rules! client_hooks {
    ($client:ty) => {
        impl progenitor_client::ClientHooks<$crate::http::Transport> for $client {
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo as _;
                self.inner()
                    .execute(self.client(), request, info.operation_id)
                    .await
            }
        }
    };
}
pub(crate) use client_hooks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_absolute_and_lose_trailing_slashes() {
        assert_eq!(
            checked_base_url("http://127.0.0.1:9/whop/api/v1//").unwrap(),
            "http://127.0.0.1:9/whop/api/v1"
        );
        for bad in ["not a url", "/whop/api/v1", ""] {
            assert!(
                matches!(checked_base_url(bad), Err(Error::Config(message)) if message.contains("invalid base URL")),
                "{bad:?}"
            );
        }
    }
}
