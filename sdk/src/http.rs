//! The HTTP settings every vendor client shares, and how they become a `reqwest::Client`.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue};

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
    pub(crate) fn build_client(&self, headers: HeaderMap) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            .default_headers(headers)
            .build()
    }
}

/// The setters every vendor's `ClientBuilder` shares: timeout, user agent and retries. Expand
/// it inside `impl ClientBuilder` of a builder with `http: HttpConfig` and
/// `retry: RetryPolicy` fields.
macro_rules! shared_builder_setters {
    () => {
        /// Sets the timeout for connecting and for each whole request (default 30 s).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
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

        /// Sets the backoff before the first retry, doubled for each further one
        /// (default 500 ms).
        pub fn retry_backoff(mut self, base_delay: std::time::Duration) -> Self {
            self.retry = self.retry.with_base_delay(base_delay);
            self
        }
    };
}
pub(crate) use shared_builder_setters;

/// Default headers carrying `name: value`, with the value marked sensitive so that it never
/// shows in `Debug` output or logs.
pub(crate) fn secret_header(
    name: HeaderName,
    value: &str,
) -> Result<HeaderMap, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(value)?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(name, value);
    Ok(headers)
}

/// Default headers carrying `Authorization: Bearer <token>`, marked sensitive.
pub(crate) fn bearer_auth(token: &str) -> Result<HeaderMap, InvalidHeaderValue> {
    secret_header(AUTHORIZATION, &format!("Bearer {token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_sensitive() {
        let headers = bearer_auth("sk_test").unwrap();
        let value = &headers[AUTHORIZATION];
        assert_eq!(value, "Bearer sk_test");
        assert!(value.is_sensitive());
        assert!(!format!("{headers:?}").contains("sk_test"));
    }

    #[test]
    fn header_values_with_newlines_are_rejected() {
        assert!(bearer_auth("bad\nkey").is_err());
    }
}
