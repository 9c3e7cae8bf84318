//! Building a configured PostHog API client: host, personal API key, project, HTTP settings
//! and retries.

use std::fmt;

use super::Error;
use super::generated;
use crate::http::{self, HttpConfig};
use crate::retry::RetryPolicy;

/// PostHog Cloud's (US) API host.
pub const DEFAULT_HOST: &str = "https://us.posthog.com";
/// Environment variable holding the personal API key read by [`Client::from_env`].
pub const PERSONAL_API_KEY_VAR: &str = "POSTHOG_PERSONAL_API_KEY";
/// Environment variable overriding the host in [`Client::from_env`].
pub const HOST_VAR: &str = "POSTHOG_HOST";
/// Environment variable naming the project in [`Client::from_env`] (default `@current`).
pub const PROJECT_ID_VAR: &str = "POSTHOG_PROJECT_ID";

/// A PostHog API client: the generated client plus auth, the project, retries and the
/// convenience methods of this module. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct Client {
    /// The generated client, configured with auth and the retry policy.
    generated: generated::Client,
    /// The project every convenience method acts on.
    project_id: String,
}

impl Client {
    /// A builder with PostHog's defaults; only [`ClientBuilder::personal_api_key`] is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `POSTHOG_PERSONAL_API_KEY` (required), `POSTHOG_HOST`
    /// (default [`DEFAULT_HOST`]) and `POSTHOG_PROJECT_ID` (default `@current`).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The generated client, for operations this layer does not wrap. Its calls carry the same
    /// auth and retry policy.
    pub fn generated(&self) -> &generated::Client {
        &self.generated
    }

    /// The project the convenience methods act on (a numeric id or `@current`).
    pub fn project_id(&self) -> &str {
        &self.project_id
    }
}

/// Configuration of a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    /// Host (base URL), without a trailing slash.
    host: String,
    /// The personal API key (`phx_…`).
    personal_api_key: Option<String>,
    /// The project.
    project_id: String,
    /// Timeout and user agent.
    http: HttpConfig,
    /// Retries of idempotent requests.
    retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            host: DEFAULT_HOST.to_owned(),
            personal_api_key: None,
            project_id: "@current".to_owned(),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("host", &self.host)
            .field(
                "personal_api_key",
                &self.personal_api_key.as_ref().map(|_| "<redacted>"),
            )
            .field("project_id", &self.project_id)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder configured from `POSTHOG_PERSONAL_API_KEY` (required), `POSTHOG_HOST` and
    /// `POSTHOG_PROJECT_ID` (optional), to be adjusted further before [`build`](Self::build).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// A builder configured from the variables `lookup` returns (empty values count as unset).
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let key = lookup(PERSONAL_API_KEY_VAR).ok_or_else(|| {
            Error::Config(format!(
                "the environment variable {PERSONAL_API_KEY_VAR} is not set"
            ))
        })?;
        let mut builder = Self::default().personal_api_key(key);
        if let Some(host) = lookup(HOST_VAR) {
            builder = builder.host(host);
        }
        if let Some(project_id) = lookup(PROJECT_ID_VAR) {
            builder = builder.project_id(project_id);
        }
        Ok(builder)
    }

    /// Sets the host, e.g. a mock server's `http://127.0.0.1:PORT/posthog`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets the personal API key, sent as `Authorization: Bearer <key>`.
    pub fn personal_api_key(mut self, key: impl Into<String>) -> Self {
        self.personal_api_key = Some(key.into());
        self
    }

    /// Sets the project (a numeric id, or `@current` for the key owner's current project).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    crate::http::shared_builder_setters!();

    /// Builds the client.
    ///
    /// Fails with [`Error::Config`] when no key was given, when the key cannot be sent as a
    /// header, or when the host is not an absolute URL.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.personal_api_key.ok_or_else(|| {
            Error::Config("no personal API key; call ClientBuilder::personal_api_key".into())
        })?;
        reqwest::Url::parse(&self.host)
            .map_err(|error| Error::Config(format!("invalid host {:?}: {error}", self.host)))?;
        let headers = http::bearer_auth(&key).map_err(|_| {
            Error::Config("the personal API key is not a valid header value".into())
        })?;
        let reqwest_client = self
            .http
            .build_client(headers)
            .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))?;
        Ok(Client {
            generated: generated::Client::new_with_client(&self.host, reqwest_client, self.retry),
            project_id: self.project_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

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
    fn env_requires_a_personal_api_key() {
        for vars in [&[][..], &[(PERSONAL_API_KEY_VAR, " ")][..]] {
            let error = ClientBuilder::from_lookup(env(vars)).unwrap_err();
            assert!(
                matches!(&error, Error::Config(message) if message.contains(PERSONAL_API_KEY_VAR))
            );
        }
    }

    #[test]
    fn env_sets_host_and_project_with_defaults() {
        let default = ClientBuilder::from_lookup(env(&[(PERSONAL_API_KEY_VAR, "phx_k")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default.generated().baseurl(), DEFAULT_HOST);
        assert_eq!(default.project_id(), "@current");
        let custom = ClientBuilder::from_lookup(env(&[
            (PERSONAL_API_KEY_VAR, "phx_k"),
            (HOST_VAR, "http://127.0.0.1:9/posthog/"),
            (PROJECT_ID_VAR, "7"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(custom.generated().baseurl(), "http://127.0.0.1:9/posthog");
        assert_eq!(custom.project_id(), "7");
    }

    #[test]
    fn build_rejects_bad_configuration() {
        assert!(matches!(
            Client::builder().build().unwrap_err(),
            Error::Config(_)
        ));
        let bad_host = Client::builder()
            .personal_api_key("phx_k")
            .host("nope")
            .build()
            .unwrap_err();
        assert!(matches!(&bad_host, Error::Config(message) if message.contains("invalid host")));
        let debug = format!("{:?}", Client::builder().personal_api_key("phx_secret"));
        assert!(!debug.contains("phx_secret") && debug.contains("<redacted>"));
    }
}
