//! The Pipedrive client over API v1 and v2, and what the [`crate::ClientBuilder`] needs to
//! know to build it.

use super::error::ErrorBody;
use super::{v1, v2};
use crate::Error;
use crate::auth::Auth;
use crate::error::ApiErrorBody;

/// Pipedrive's default API root (v1 at `/api/v1`, v2 at `/api/v2` below it).
pub const DEFAULT_BASE_URL: &str = "https://api.pipedrive.com";
/// Environment variable holding the API token read by [`Client::from_env`].
pub const API_TOKEN_VAR: &str = "PIPEDRIVE_API_TOKEN";
/// Environment variable overriding the API root in [`Client::from_env`].
pub const BASE_URL_VAR: &str = "PIPEDRIVE_BASE_URL";
/// Environment variable naming the company domain (`acme` → `https://acme.pipedrive.com`),
/// read by [`Client::from_env`] when `PIPEDRIVE_BASE_URL` is unset.
pub const COMPANY_DOMAIN_VAR: &str = "PIPEDRIVE_COMPANY_DOMAIN";

/// The header an API token is sent in.
const API_TOKEN_HEADER: &str = "x-api-token";
/// The query parameter API v1 also takes the API token in.
const API_TOKEN_PARAM: &str = "api_token";

/// Pipedrive, as a [`crate::Vendor`]: an API token in the `x-api-token` header (or, for v1,
/// the `api_token` query parameter) or an OAuth bearer token; error bodies
/// `{success, error, …}`.
#[derive(Clone, Copy, Debug)]
pub enum Pipedrive {}

/// Pipedrive's own builder settings; set them with [`ClientBuilder::api_token`],
/// [`ClientBuilder::oauth_token`] and [`ClientBuilder::token_in_query`].
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// The credential is an OAuth access token (else an API token).
    oauth: bool,
    /// API v1 requests carry the API token in the query.
    token_in_query: bool,
}

impl crate::Vendor for Pipedrive {
    type Options = ClientOptions;
    const DEFAULT_BASE_URL: &'static str = DEFAULT_BASE_URL;
    const CREDENTIAL_VAR: &'static str = API_TOKEN_VAR;
    const BASE_URL_VAR: &'static str = BASE_URL_VAR;
    const CREDENTIAL: &'static str =
        "an API token or OAuth token (ClientBuilder::api_token or oauth_token)";

    /// API v2's auth, and v1's unless the token goes in the query.
    fn auth(options: &ClientOptions) -> Auth {
        match options.oauth {
            true => Auth::Bearer,
            false => Auth::Header(API_TOKEN_HEADER),
        }
    }

    fn read_env(builder: ClientBuilder, lookup: &dyn Fn(&str) -> Option<String>) -> ClientBuilder {
        match (lookup(BASE_URL_VAR), lookup(COMPANY_DOMAIN_VAR)) {
            (None, Some(domain)) => builder.company_domain(&domain),
            _ => builder,
        }
    }

    fn parse_error_body(body: &[u8]) -> Option<ApiErrorBody> {
        let body: ErrorBody = serde_json::from_slice(body).ok()?;
        Some(ApiErrorBody::Pipedrive(Box::new(body)))
    }
}

/// Configuration of a [`Client`]: the crate's one builder, with Pipedrive's defaults.
pub type ClientBuilder = crate::ClientBuilder<Pipedrive>;

/// A Pipedrive client over API v1 and v2. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    /// The API v1 client.
    v1: v1::generated::Client,
    /// The API v2 client.
    v2: v2::generated::Client,
}

impl Client {
    /// A builder with Pipedrive's defaults; an API token or OAuth token is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `PIPEDRIVE_API_TOKEN` (required) and `PIPEDRIVE_BASE_URL`
    /// or `PIPEDRIVE_COMPANY_DOMAIN` (optional).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The API v1 client, with this client's auth and retries.
    pub fn v1(&self) -> &v1::generated::Client {
        &self.v1
    }

    /// The API v2 client, with this client's auth and retries.
    pub fn v2(&self) -> &v2::generated::Client {
        &self.v2
    }
}

impl crate::ClientBuilder<Pipedrive> {
    /// Sets the API root to `https://<domain>.pipedrive.com`.
    pub fn company_domain(self, domain: &str) -> Self {
        self.base_url(format!("https://{domain}.pipedrive.com"))
    }

    /// Authenticates with an API token, sent in the `x-api-token` header.
    pub fn api_token(self, token: impl Into<String>) -> Self {
        self.credential(token.into())
            .with_options(|options| options.oauth = false)
    }

    /// Authenticates with an OAuth access token, sent as `Authorization: Bearer`.
    pub fn oauth_token(self, token: impl Into<String>) -> Self {
        self.credential(token.into())
            .with_options(|options| options.oauth = true)
    }

    /// Sends the API token of API v1 requests as the legacy `api_token` query parameter
    /// instead of the `x-api-token` header (v2 requests keep the header: Pipedrive does not
    /// document the query form for v2). Transport errors of v1 requests then carry no URL, so
    /// that the token never reaches logs. No effect with an OAuth token.
    pub fn token_in_query(self, enabled: bool) -> Self {
        self.with_options(|options| options.token_in_query = enabled)
    }

    /// Builds the client; its base URL is the API root (v1 at `/api/v1`, v2 at `/api/v2`).
    ///
    /// Fails with [`Error::Config`] without a token, with a token that cannot be a header, or
    /// with a base URL that is not absolute.
    pub fn build(self) -> Result<Client, Error> {
        let settings = self.settings()?;
        let (v2_http, v2_transport) = settings.transport()?;
        let options = settings.options();
        let (v1_http, v1_transport) = match options.token_in_query && !options.oauth {
            true => settings.transport_with(Auth::Query(API_TOKEN_PARAM))?,
            false => (v2_http.clone(), v2_transport.clone()),
        };
        let root = settings.base_url();
        Ok(Client {
            v1: v1::generated::Client::new_with_client(
                &format!("{root}/api/v1"),
                v1_http,
                v1_transport,
            ),
            v2: v2::generated::Client::new_with_client(
                &format!("{root}/api/v2"),
                v2_http,
                v2_transport,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use progenitor_client::ClientInfo;

    use super::*;
    use crate::Vendor;
    use crate::builder::tests::env;

    #[test]
    fn env_needs_a_token_and_picks_the_root() {
        assert!(
            matches!(ClientBuilder::from_lookup(env(&[])), Err(Error::Config(message)) if message.contains("PIPEDRIVE_API_TOKEN"))
        );
        let default = ClientBuilder::from_lookup(env(&[("PIPEDRIVE_API_TOKEN", "t")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default.v1().baseurl(), "https://api.pipedrive.com/api/v1");
        let domain = ClientBuilder::from_lookup(env(&[
            ("PIPEDRIVE_API_TOKEN", "t"),
            ("PIPEDRIVE_COMPANY_DOMAIN", "acme"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(domain.v2().baseurl(), "https://acme.pipedrive.com/api/v2");
        let mock = ClientBuilder::from_lookup(env(&[
            ("PIPEDRIVE_API_TOKEN", "t"),
            ("PIPEDRIVE_BASE_URL", "http://127.0.0.1:9/pipedrive/"),
            ("PIPEDRIVE_COMPANY_DOMAIN", "acme"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(mock.v1().baseurl(), "http://127.0.0.1:9/pipedrive/api/v1");
    }

    #[test]
    fn build_rejects_bad_configuration_and_redacts_tokens() {
        assert!(matches!(
            Client::builder().build(),
            Err(Error::Config(message)) if message.contains("api_token or oauth_token")
        ));
        assert!(matches!(
            Client::builder().api_token("t").base_url("nope").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Client::builder().oauth_token("t\n").build(),
            Err(Error::Config(_))
        ));
        let debug = format!("{:?}", Client::builder().api_token("secret_token"));
        assert!(!debug.contains("secret_token"), "{debug}");
        let client = Client::builder()
            .api_token("secret_token")
            .token_in_query(true)
            .build()
            .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret_token"), "{debug}");
    }

    #[test]
    fn the_token_goes_in_the_v1_query_only_when_asked_and_never_for_oauth() {
        let query = |builder: ClientBuilder| {
            let client = builder.build().unwrap();
            (
                client.v1().inner().query_credential.is_some(),
                client.v2().inner().query_credential.is_some(),
            )
        };
        assert_eq!(query(Client::builder().api_token("t")), (false, false));
        assert_eq!(
            query(Client::builder().api_token("t").token_in_query(true)),
            (true, false)
        );
        assert_eq!(
            query(Client::builder().oauth_token("t").token_in_query(true)),
            (false, false)
        );
        assert_eq!(
            Pipedrive::auth(&ClientOptions::default()),
            Auth::Header("x-api-token")
        );
    }
}
