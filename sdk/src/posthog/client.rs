//! The PostHog API client, and what the [`crate::ClientBuilder`] needs to know to build it.

use super::error::ErrorBody;
use super::generated;
use crate::Error;
use crate::auth::Auth;
use crate::error::ApiErrorBody;

/// PostHog Cloud's (US) API host.
pub const DEFAULT_HOST: &str = "https://us.posthog.com";
/// Environment variable holding the personal API key read by [`Client::from_env`].
pub const PERSONAL_API_KEY_VAR: &str = "POSTHOG_PERSONAL_API_KEY";
/// Environment variable overriding the host in [`Client::from_env`].
pub const HOST_VAR: &str = "POSTHOG_HOST";
/// Environment variable naming the project in [`Client::from_env`] (default `@current`).
pub const PROJECT_ID_VAR: &str = "POSTHOG_PROJECT_ID";

/// PostHog, as a [`crate::Vendor`]: the personal API key as a bearer token, the project as an
/// option, error bodies `{type, code, detail, attr}` or `{"error"}`.
#[derive(Clone, Copy, Debug)]
pub enum PostHog {}

/// PostHog's own builder settings; set them with [`ClientBuilder::project_id`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The project every convenience method acts on.
    project_id: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            project_id: "@current".to_owned(),
        }
    }
}

impl crate::Vendor for PostHog {
    type Options = ClientOptions;
    const DEFAULT_BASE_URL: &'static str = DEFAULT_HOST;
    const CREDENTIAL_VAR: &'static str = PERSONAL_API_KEY_VAR;
    const BASE_URL_VAR: &'static str = HOST_VAR;
    const CREDENTIAL: &'static str = "a personal API key (ClientBuilder::personal_api_key)";

    fn auth(_options: &ClientOptions) -> Auth {
        Auth::Bearer
    }

    fn read_env(builder: ClientBuilder, lookup: &dyn Fn(&str) -> Option<String>) -> ClientBuilder {
        match lookup(PROJECT_ID_VAR) {
            Some(project_id) => builder.project_id(project_id),
            None => builder,
        }
    }

    fn parse_error_body(body: &[u8]) -> Option<ApiErrorBody> {
        ErrorBody::parse(body).map(ApiErrorBody::PostHog)
    }
}

/// Configuration of a [`Client`]: the crate's one builder, with PostHog's defaults.
pub type ClientBuilder = crate::ClientBuilder<PostHog>;

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

impl crate::ClientBuilder<PostHog> {
    /// Sets the personal API key (`phx_…`), sent as `Authorization: Bearer <key>`.
    pub fn personal_api_key(self, key: impl Into<String>) -> Self {
        self.credential(key.into())
    }

    /// Sets the project (a numeric id, or `@current` for the key owner's current project).
    pub fn project_id(self, project_id: impl Into<String>) -> Self {
        let project_id = project_id.into();
        self.with_options(|options| options.project_id = project_id)
    }

    /// Builds the PostHog client.
    ///
    /// Fails with [`Error::Config`] when no key was given, when the key cannot be sent as a
    /// header, or when the host is not an absolute URL.
    pub fn build(self) -> Result<Client, Error> {
        let settings = self.settings()?;
        let (http, transport) = settings.transport()?;
        Ok(Client {
            generated: generated::Client::new_with_client(settings.base_url(), http, transport),
            project_id: settings.options().project_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use progenitor_client::ClientInfo;

    use super::*;
    use crate::builder::tests::env;

    #[test]
    fn env_requires_a_personal_api_key() {
        for vars in [&[][..], &[("POSTHOG_PERSONAL_API_KEY", " ")][..]] {
            let error = ClientBuilder::from_lookup(env(vars)).unwrap_err();
            assert!(
                matches!(&error, Error::Config(message) if message.contains("POSTHOG_PERSONAL_API_KEY"))
            );
        }
    }

    #[test]
    fn env_sets_host_and_project_with_defaults() {
        let default = ClientBuilder::from_lookup(env(&[("POSTHOG_PERSONAL_API_KEY", "phx_k")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default.generated().baseurl(), "https://us.posthog.com");
        assert_eq!(default.project_id(), "@current");
        let custom = ClientBuilder::from_lookup(env(&[
            ("POSTHOG_PERSONAL_API_KEY", "phx_k"),
            ("POSTHOG_HOST", "http://127.0.0.1:9/posthog/"),
            ("POSTHOG_PROJECT_ID", "7"),
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
            Error::Config(message) if message.contains("ClientBuilder::personal_api_key")
        ));
        let bad_host = Client::builder()
            .personal_api_key("phx_k")
            .base_url("nope")
            .build()
            .unwrap_err();
        assert!(
            matches!(&bad_host, Error::Config(message) if message.contains("invalid base URL"))
        );
        let debug = format!("{:?}", Client::builder().personal_api_key("phx_secret"));
        assert!(!debug.contains("phx_secret") && debug.contains("<redacted>"));
    }
}
