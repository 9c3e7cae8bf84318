//! Building a configured Pipedrive client: base URL (or company domain), API token or OAuth
//! token, HTTP settings and retries, shared by the v1 and v2 generated clients.

use std::fmt;

use reqwest::header::HeaderName;

use super::{Error, v1, v2};
use crate::http::{self, HttpConfig};
use crate::retry::RetryPolicy;

/// Pipedrive's default API root (v1 at `/api/v1`, v2 at `/api/v2` below it).
pub const DEFAULT_BASE_URL: &str = "https://api.pipedrive.com";
/// Environment variable holding the API token read by [`Client::from_env`].
pub const API_TOKEN_VAR: &str = "PIPEDRIVE_API_TOKEN";
/// Environment variable overriding the API root in [`Client::from_env`].
pub const BASE_URL_VAR: &str = "PIPEDRIVE_BASE_URL";
/// Environment variable naming the company domain (`acme` → `https://acme.pipedrive.com`).
pub const COMPANY_DOMAIN_VAR: &str = "PIPEDRIVE_COMPANY_DOMAIN";

/// A Pipedrive client over API v1 and v2. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    v1: v1::generated::Client,
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

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq)]
enum Auth {
    /// `x-api-token: <token>`.
    ApiToken(String),
    /// `Authorization: Bearer <token>`.
    OAuth(String),
}

/// Configuration of a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    auth: Option<Auth>,
    http: HttpConfig,
    retry: RetryPolicy,
    token_in_query: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            auth: None,
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
            token_in_query: false,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = self.auth.as_ref().map(|auth| match auth {
            Auth::ApiToken(_) => "api token <redacted>",
            Auth::OAuth(_) => "oauth <redacted>",
        });
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &auth)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .field("token_in_query", &self.token_in_query)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder configured from the environment (see [`Client::from_env`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let token = lookup(API_TOKEN_VAR).ok_or_else(|| {
            Error::Config(format!(
                "the environment variable {API_TOKEN_VAR} is not set"
            ))
        })?;
        let builder = Self::default().api_token(token);
        Ok(match (lookup(BASE_URL_VAR), lookup(COMPANY_DOMAIN_VAR)) {
            (Some(base_url), _) => builder.base_url(base_url),
            (None, Some(domain)) => builder.company_domain(&domain),
            (None, None) => builder,
        })
    }

    /// Sets the API root, e.g. `https://acme.pipedrive.com` or a mock's
    /// `http://127.0.0.1:PORT/pipedrive`; v1 is reached at `/api/v1`, v2 at `/api/v2`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets the API root to `https://<domain>.pipedrive.com`.
    pub fn company_domain(self, domain: &str) -> Self {
        self.base_url(format!("https://{domain}.pipedrive.com"))
    }

    /// Authenticates with an API token, sent in the `x-api-token` header.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::ApiToken(token.into()));
        self
    }

    /// Sends the API token of API v1 requests as the legacy `api_token` query parameter
    /// instead of the `x-api-token` header (v2 requests keep the header: Pipedrive does not
    /// document the query form for v2). Transport errors then carry no URL, so that the token
    /// never reaches logs. No effect with an OAuth token.
    pub fn token_in_query(mut self, enabled: bool) -> Self {
        self.token_in_query = enabled;
        self
    }

    /// Authenticates with an OAuth access token, sent as `Authorization: Bearer`.
    pub fn oauth_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::OAuth(token.into()));
        self
    }

    crate::http::shared_builder_setters!();

    /// Builds the client; fails with [`Error::Config`] without a token, with a token that
    /// cannot be a header, or with a base URL that is not absolute.
    pub fn build(self) -> Result<Client, Error> {
        let auth = self
            .auth
            .ok_or_else(|| Error::Config("no token; call api_token or oauth_token".into()))?;
        reqwest::Url::parse(&self.base_url).map_err(|error| {
            Error::Config(format!("invalid base URL {:?}: {error}", self.base_url))
        })?;
        let headers = match &auth {
            Auth::ApiToken(token) => {
                http::secret_header(HeaderName::from_static("x-api-token"), token)
            }
            Auth::OAuth(token) => http::bearer_auth(token),
        }
        .map_err(|_| Error::Config("the token is not a valid header value".into()))?;
        let build = |headers| {
            self.http
                .build_client(headers)
                .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))
        };
        let reqwest_client = build(headers)?;
        let (v1_client, v1_retry) = match &auth {
            Auth::ApiToken(token) if self.token_in_query => (
                build(reqwest::header::HeaderMap::new())?,
                self.retry.clone().with_query_credential("api_token", token),
            ),
            _ => (reqwest_client.clone(), self.retry.clone()),
        };
        Ok(Client {
            v1: v1::generated::Client::new_with_client(
                &format!("{}/api/v1", self.base_url),
                v1_client,
                v1_retry,
            ),
            v2: v2::generated::Client::new_with_client(
                &format!("{}/api/v2", self.base_url),
                reqwest_client,
                self.retry,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use progenitor_client::ClientInfo;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn env_needs_a_token_and_picks_the_root() {
        assert!(
            matches!(ClientBuilder::from_lookup(env(&[])), Err(Error::Config(message)) if message.contains(API_TOKEN_VAR))
        );
        let default = ClientBuilder::from_lookup(env(&[(API_TOKEN_VAR, "t")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default.v1().baseurl(), "https://api.pipedrive.com/api/v1");
        let domain =
            ClientBuilder::from_lookup(env(&[(API_TOKEN_VAR, "t"), (COMPANY_DOMAIN_VAR, "acme")]))
                .unwrap()
                .build()
                .unwrap();
        assert_eq!(domain.v2().baseurl(), "https://acme.pipedrive.com/api/v2");
        let mock = ClientBuilder::from_lookup(env(&[
            (API_TOKEN_VAR, "t"),
            (BASE_URL_VAR, "http://127.0.0.1:9/pipedrive/"),
            (COMPANY_DOMAIN_VAR, "acme"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(mock.v1().baseurl(), "http://127.0.0.1:9/pipedrive/api/v1");
    }

    #[test]
    fn build_rejects_bad_configuration_and_redacts_tokens() {
        assert!(matches!(Client::builder().build(), Err(Error::Config(_))));
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
        let debug = format!("{:?}", client.v1().inner());
        assert!(!debug.contains("secret_token"), "{debug}");
    }
}
