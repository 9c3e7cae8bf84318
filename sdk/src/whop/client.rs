//! Building a configured Whop client: base URL, API key, HTTP settings and retries.

use std::fmt;

use super::Error;
use super::generated;
use crate::http::{self, HttpConfig};
use crate::retry::RetryPolicy;

/// Whop's production API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.whop.com/api/v1";
/// Environment variable holding the API key read by [`Client::from_env`].
pub const API_KEY_VAR: &str = "WHOP_API_KEY";
/// Environment variable overriding the base URL in [`Client::from_env`].
pub const BASE_URL_VAR: &str = "WHOP_BASE_URL";

/// A Whop API client: the generated client plus auth, retries and the convenience methods of
/// this module. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct Client {
    /// The generated client, configured with auth and the retry policy.
    generated: generated::Client,
}

impl Client {
    /// A builder with Whop's defaults; only [`ClientBuilder::api_key`] is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `WHOP_API_KEY` (required) and `WHOP_BASE_URL` (optional,
    /// default [`DEFAULT_BASE_URL`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The generated client, for operations this layer does not wrap. Its calls carry the same
    /// auth and retry policy.
    pub fn generated(&self) -> &generated::Client {
        &self.generated
    }
}

/// Configuration of a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    /// Base URL, without a trailing slash.
    base_url: String,
    /// The bearer token.
    api_key: Option<String>,
    /// Timeout and user agent.
    http: HttpConfig,
    /// Retries of idempotent requests.
    retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder configured from `WHOP_API_KEY` (required) and `WHOP_BASE_URL` (optional), to
    /// be adjusted further before [`build`](Self::build).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// A builder configured from the variables `lookup` returns (empty values count as unset).
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let api_key = lookup(API_KEY_VAR).ok_or_else(|| {
            Error::Config(format!("the environment variable {API_KEY_VAR} is not set"))
        })?;
        let builder = Self::default().api_key(api_key);
        Ok(match lookup(BASE_URL_VAR) {
            Some(base_url) => builder.base_url(base_url),
            None => builder,
        })
    }

    /// Sets the base URL, e.g. a mock server's `http://127.0.0.1:PORT/whop/api/v1`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets the API key, sent as `Authorization: Bearer <key>`.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    crate::http::shared_builder_setters!();

    /// Builds the client.
    ///
    /// Fails with [`Error::Config`] when no API key was given, when the key cannot be sent as a
    /// header, or when the base URL is not an absolute URL.
    pub fn build(self) -> Result<Client, Error> {
        let api_key = self
            .api_key
            .ok_or_else(|| Error::Config("no API key; call ClientBuilder::api_key".into()))?;
        reqwest::Url::parse(&self.base_url).map_err(|error| {
            Error::Config(format!("invalid base URL {:?}: {error}", self.base_url))
        })?;
        let headers = http::bearer_auth(&api_key)
            .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
        let reqwest_client = self
            .http
            .build_client(headers)
            .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))?;
        Ok(Client {
            generated: generated::Client::new_with_client(
                &self.base_url,
                reqwest_client,
                self.retry,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use progenitor_client::ClientInfo;

    use super::*;

    /// A lookup over `pairs`, standing in for the process environment.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn env_requires_an_api_key() {
        for vars in [&[][..], &[(API_KEY_VAR, "  ")][..]] {
            let error = ClientBuilder::from_lookup(env(vars)).unwrap_err();
            assert!(matches!(&error, Error::Config(message) if message.contains("WHOP_API_KEY")));
        }
    }

    #[test]
    fn env_base_url_defaults_to_whop() {
        let client = ClientBuilder::from_lookup(env(&[(API_KEY_VAR, "k")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.generated().baseurl(), DEFAULT_BASE_URL);
    }

    #[test]
    fn env_base_url_overrides_the_default() {
        let client = ClientBuilder::from_lookup(env(&[
            (API_KEY_VAR, "k"),
            (BASE_URL_VAR, "http://127.0.0.1:9/whop/api/v1/"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(
            client.generated().baseurl(),
            "http://127.0.0.1:9/whop/api/v1"
        );
    }

    #[test]
    fn build_rejects_bad_configuration() {
        let missing_key = Client::builder().build().unwrap_err();
        assert!(matches!(missing_key, Error::Config(_)));
        let bad_url = Client::builder()
            .api_key("k")
            .base_url("not a url")
            .build()
            .unwrap_err();
        assert!(matches!(&bad_url, Error::Config(message) if message.contains("invalid base URL")));
        let bad_key = Client::builder().api_key("k\n").build().unwrap_err();
        assert!(matches!(bad_key, Error::Config(_)));
    }

    #[test]
    fn builder_debug_redacts_the_api_key() {
        let debug = format!("{:?}", Client::builder().api_key("sk_secret"));
        assert!(!debug.contains("sk_secret"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn retry_settings_reach_the_generated_client() {
        let client = Client::builder()
            .api_key("k")
            .max_retries(5)
            .retry_backoff(Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(
            client.generated().inner(),
            &RetryPolicy::default()
                .with_max_retries(5)
                .with_base_delay(Duration::from_millis(1))
        );
    }
}
