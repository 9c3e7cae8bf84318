//! One builder for every vendor's client: base URL, credential, HTTP settings and retries,
//! from code or from the environment. What differs per vendor is a [`Vendor`]: its defaults,
//! its environment variables, how it sends the credential and how it reads error bodies.

use std::fmt;
use std::time::Duration;

use crate::auth::Auth;
use crate::error::{ApiErrorBody, Error};
use crate::http::{self, HttpConfig, Transport};
use crate::retry::RetryPolicy;

/// What the [`ClientBuilder`] and [`Error`] need to know about a vendor. Implemented by
/// `whop::Whop`, `posthog::PostHog` and `pipedrive::Pipedrive`.
pub trait Vendor: Sized {
    /// Settings only this vendor has (PostHog's project, Pipedrive's auth scheme), set through
    /// the vendor's own [`ClientBuilder`] methods.
    type Options: Clone + fmt::Debug + Default;

    /// The base URL used when none is set.
    const DEFAULT_BASE_URL: &'static str;
    /// The environment variable [`ClientBuilder::from_env`] reads the credential from
    /// (required).
    const CREDENTIAL_VAR: &'static str;
    /// The environment variable [`ClientBuilder::from_env`] reads the base URL from (optional).
    const BASE_URL_VAR: &'static str;
    /// The credential and the method that sets it, for the error when it is missing (e.g.
    /// "an API key (ClientBuilder::api_key)").
    const CREDENTIAL: &'static str;

    /// Where the credential goes, given the vendor's options.
    fn auth(options: &Self::Options) -> Auth;

    /// Applies the vendor's further environment variables, once [`ClientBuilder::from_env`]
    /// has read the credential and the base URL; `lookup` answers a variable's value (`None`
    /// when unset or blank). By default there are none.
    fn read_env(
        builder: ClientBuilder<Self>,
        _lookup: &dyn Fn(&str) -> Option<String>,
    ) -> ClientBuilder<Self> {
        builder
    }

    /// `body` parsed as one of the vendor's error bodies, or `None` when it is none of them.
    fn parse_error_body(body: &[u8]) -> Option<ApiErrorBody>;

    /// Headers sent with every request besides the credential, as `(lower-case name, value)`
    /// (Whop's current contract: its `api-version-date`). By default none.
    fn fixed_headers() -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// Configuration of a vendor's client: `persons_sdk::whop::ClientBuilder` is
/// `ClientBuilder<Whop>`, and so on. Every vendor has the setters of this block; the credential
/// setters (`api_key`, `personal_api_key`, `api_token`…), the vendor's options and `build` are
/// in the vendor's own blocks.
pub struct ClientBuilder<V: Vendor> {
    /// Base URL, as given.
    base_url: String,
    /// The credential, sent as `V::auth` says.
    credential: Option<String>,
    /// The vendor's own settings.
    options: V::Options,
    /// Timeout and user agent.
    http: HttpConfig,
    /// Retries of idempotent requests.
    retry: RetryPolicy,
}

impl<V: Vendor> Clone for ClientBuilder<V> {
    fn clone(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            credential: self.credential.clone(),
            options: self.options.clone(),
            http: self.http.clone(),
            retry: self.retry.clone(),
        }
    }
}

impl<V: Vendor> Default for ClientBuilder<V> {
    fn default() -> Self {
        Self {
            base_url: V::DEFAULT_BASE_URL.to_owned(),
            credential: None,
            options: V::Options::default(),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }
}

impl<V: Vendor> fmt::Debug for ClientBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .field("options", &self.options)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

impl<V: Vendor> ClientBuilder<V> {
    /// A builder configured from the environment: the credential from `V::CREDENTIAL_VAR`
    /// (required), the base URL from `V::BASE_URL_VAR` (optional), then the vendor's further
    /// variables. Blank values count as unset. Adjust it further before building.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over the variables `lookup` returns.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let credential = lookup(V::CREDENTIAL_VAR).ok_or_else(|| {
            Error::Config(format!(
                "the environment variable {} is not set",
                V::CREDENTIAL_VAR
            ))
        })?;
        let mut builder = Self::default().credential(credential);
        if let Some(base_url) = lookup(V::BASE_URL_VAR) {
            builder = builder.base_url(base_url);
        }
        Ok(V::read_env(builder, &lookup))
    }

    /// Sets the base URL (default `V::DEFAULT_BASE_URL`), e.g. a mock server's
    /// `http://127.0.0.1:PORT/whop/api/v1`. It must be absolute; trailing slashes are dropped.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Sets the timeout for connecting and for each whole request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// Sets the `User-Agent` header (default `persons-sdk/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.http.user_agent = user_agent.into();
        self
    }

    /// Sets how many times a failed idempotent request is retried (default 2).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry = self.retry.with_max_retries(max_retries);
        self
    }

    /// Sets the backoff before the first retry, doubled for each further one (default 500 ms).
    pub fn retry_backoff(mut self, base_delay: Duration) -> Self {
        self.retry = self.retry.with_base_delay(base_delay);
        self
    }

    /// Sets the credential; the vendor's credential setters call this.
    pub(crate) fn credential(mut self, credential: String) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Changes the vendor's options with `change`.
    // Whop has no options: with only the `whop` feature, nothing calls this.
    #[cfg_attr(not(any(feature = "posthog", feature = "pipedrive")), allow(dead_code))]
    pub(crate) fn with_options(mut self, change: impl FnOnce(&mut V::Options)) -> Self {
        change(&mut self.options);
        self
    }

    /// The settings, checked: a credential is set and the base URL is absolute.
    pub(crate) fn settings(self) -> Result<Settings<V>, Error> {
        let credential = self
            .credential
            .ok_or_else(|| Error::Config(format!("no credential; set {}", V::CREDENTIAL)))?;
        Ok(Settings {
            base_url: http::checked_base_url(&self.base_url)?,
            credential,
            options: self.options,
            http: self.http,
            retry: self.retry,
        })
    }
}

/// A builder's checked settings, from which a vendor's `build` makes its generated clients.
pub(crate) struct Settings<V: Vendor> {
    /// Absolute, without a trailing slash.
    base_url: String,
    /// The credential.
    credential: String,
    /// The vendor's own settings.
    options: V::Options,
    /// Timeout and user agent.
    http: HttpConfig,
    /// Retries of idempotent requests.
    retry: RetryPolicy,
}

impl<V: Vendor> Settings<V> {
    /// The base URL, absolute and without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The vendor's options.
    // Whop has no options: with only the `whop` feature, nothing calls this.
    #[cfg_attr(not(any(feature = "posthog", feature = "pipedrive")), allow(dead_code))]
    pub(crate) fn options(&self) -> &V::Options {
        &self.options
    }

    /// What a generated client is made of, with the credential where the vendor puts it.
    pub(crate) fn transport(&self) -> Result<(reqwest::Client, Transport), Error> {
        self.transport_with(V::auth(&self.options))
    }

    /// What a generated client is made of: a `reqwest::Client` with these HTTP settings that
    /// sends the credential as `auth` says, and its [`Transport`]: the retry policy, and the
    /// credential when `auth` puts it in the query.
    pub(crate) fn transport_with(&self, auth: Auth) -> Result<(reqwest::Client, Transport), Error> {
        let mut headers = auth.headers(&self.credential)?;
        for (name, value) in V::fixed_headers() {
            headers.insert(
                reqwest::header::HeaderName::from_static(name),
                reqwest::header::HeaderValue::from_static(value),
            );
        }
        let client = self.http.build_client(headers)?;
        let transport = Transport {
            retry: self.retry.clone(),
            query_credential: auth.query(&self.credential),
        };
        Ok((client, transport))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A lookup over `pairs`, standing in for the process environment.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// A vendor for testing the builder alone: a region option read from `ACME_REGION`, the
    /// credential in a header, or in the query when `query` is set.
    struct Acme;

    #[derive(Clone, Debug, Default)]
    struct AcmeOptions {
        region: Option<String>,
        query: bool,
    }

    impl Vendor for Acme {
        type Options = AcmeOptions;
        const DEFAULT_BASE_URL: &'static str = "https://api.acme.test/v1";
        const CREDENTIAL_VAR: &'static str = "ACME_KEY";
        const BASE_URL_VAR: &'static str = "ACME_URL";
        const CREDENTIAL: &'static str = "a key (ClientBuilder::key)";

        fn auth(options: &AcmeOptions) -> Auth {
            match options.query {
                true => Auth::Query("key"),
                false => Auth::Header("x-acme-key"),
            }
        }

        fn read_env(
            builder: ClientBuilder<Self>,
            lookup: &dyn Fn(&str) -> Option<String>,
        ) -> ClientBuilder<Self> {
            let region = lookup("ACME_REGION");
            builder.with_options(|options| options.region = region)
        }

        fn parse_error_body(_body: &[u8]) -> Option<ApiErrorBody> {
            None
        }
    }

    #[test]
    fn defaults() {
        let settings = ClientBuilder::<Acme>::default()
            .credential("k".into())
            .settings()
            .unwrap();
        assert_eq!(settings.base_url(), "https://api.acme.test/v1");
        assert_eq!(settings.options().region, None);
        assert_eq!(settings.http.timeout, Duration::from_secs(30));
        assert_eq!(
            settings.http.user_agent,
            concat!("persons-sdk/", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(settings.retry, RetryPolicy::default());
    }

    #[test]
    fn setters_reach_the_settings() {
        let settings = ClientBuilder::<Acme>::default()
            .credential("k".into())
            .base_url("http://127.0.0.1:9/acme/")
            .timeout(Duration::from_secs(3))
            .user_agent("test-agent")
            .max_retries(5)
            .retry_backoff(Duration::from_millis(1))
            .settings()
            .unwrap();
        assert_eq!(settings.base_url(), "http://127.0.0.1:9/acme");
        assert_eq!(settings.http.timeout, Duration::from_secs(3));
        assert_eq!(settings.http.user_agent, "test-agent");
        assert_eq!(
            settings.retry,
            RetryPolicy::default()
                .with_max_retries(5)
                .with_base_delay(Duration::from_millis(1))
        );
    }

    #[test]
    fn env_needs_the_credential_variable() {
        for vars in [
            &[][..],
            &[("ACME_KEY", "  ")][..],
            &[("ACME_URL", "http://h")][..],
        ] {
            let error = ClientBuilder::<Acme>::from_lookup(env(vars)).unwrap_err();
            assert!(
                matches!(&error, Error::Config(message) if message == "the environment variable ACME_KEY is not set"),
                "{error}"
            );
        }
    }

    #[test]
    fn env_reads_the_base_url_and_the_vendors_variables() {
        let default =
            ClientBuilder::<Acme>::from_lookup(env(&[("ACME_KEY", "k"), ("ACME_URL", "")]))
                .unwrap()
                .settings()
                .unwrap();
        assert_eq!(default.base_url(), "https://api.acme.test/v1");
        assert_eq!(default.credential, "k");
        let custom = ClientBuilder::<Acme>::from_lookup(env(&[
            ("ACME_KEY", "k"),
            ("ACME_URL", "http://127.0.0.1:9/acme/"),
            ("ACME_REGION", "eu"),
        ]))
        .unwrap()
        .settings()
        .unwrap();
        assert_eq!(custom.base_url(), "http://127.0.0.1:9/acme");
        assert_eq!(custom.options().region.as_deref(), Some("eu"));
    }

    #[test]
    fn settings_need_a_credential_and_an_absolute_base_url() {
        let missing = ClientBuilder::<Acme>::default().settings().err().unwrap();
        assert!(
            matches!(&missing, Error::Config(message) if message == "no credential; set a key (ClientBuilder::key)"),
            "{missing}"
        );
        let relative = ClientBuilder::<Acme>::default()
            .credential("k".into())
            .base_url("/acme")
            .settings()
            .err()
            .unwrap();
        assert!(
            matches!(&relative, Error::Config(message) if message.contains("invalid base URL"))
        );
    }

    #[test]
    fn debug_redacts_the_credential() {
        let debug = format!(
            "{:?}",
            ClientBuilder::<Acme>::default().credential("s3cret".into())
        );
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }

    #[test]
    fn the_transport_carries_the_credential_where_the_vendor_puts_it() {
        let header = ClientBuilder::<Acme>::default()
            .credential("s3cret".into())
            .settings()
            .unwrap();
        let (_, transport) = header.transport().unwrap();
        assert_eq!(transport.query_credential, None);
        assert_eq!(transport.retry, header.retry);
        let query = ClientBuilder::<Acme>::default()
            .credential("s3cret".into())
            .with_options(|options| options.query = true)
            .settings()
            .unwrap();
        let (_, transport) = query.transport().unwrap();
        assert_eq!(
            transport.query_credential,
            Auth::Query("key").query("s3cret")
        );
        assert_eq!(transport.retry, query.retry);
        assert!(!format!("{transport:?}").contains("s3cret"));
        let bad = ClientBuilder::<Acme>::default()
            .credential("bad\nkey".into())
            .settings()
            .unwrap();
        assert!(matches!(bad.transport(), Err(Error::Config(_))));
    }
}
