//! The Whop client, and what the [`crate::ClientBuilder`] needs to know to build it.

use super::generated;
use crate::Error;

/// Whop's production API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.whop.com/api/v1";
/// Environment variable holding the API key read by [`Client::from_env`].
pub const API_KEY_VAR: &str = "WHOP_API_KEY";
/// Environment variable overriding the base URL in [`Client::from_env`].
pub const BASE_URL_VAR: &str = "WHOP_BASE_URL";

/// Whop, as a [`crate::Vendor`]: the API key as a bearer token, error bodies
/// `{"error": {type, message, …}}`.
#[derive(Clone, Copy, Debug)]
pub enum Whop {}

/// The client of a Whop contract, in the module that invokes it (beside its `generated`
/// module, with `crate::Error` in scope): `$vendor`'s [`crate::Vendor`] impl (bearer key,
/// Whop's error body, `headers` on every request), `ClientBuilder` (the crate's one builder
/// over it), `Client` wrapping the generated client with `builder`, `from_env` and
/// `generated`, and the builder's `api_key` and `build`. Both Whop contracts share it.
macro_rules! whop_client {
    ($vendor:ident, $what:literal, headers: $headers:expr) => {
        impl $crate::Vendor for $vendor {
            type Options = ();
            const DEFAULT_BASE_URL: &'static str = $crate::whop::DEFAULT_BASE_URL;
            const CREDENTIAL_VAR: &'static str = $crate::whop::API_KEY_VAR;
            const BASE_URL_VAR: &'static str = $crate::whop::BASE_URL_VAR;
            const CREDENTIAL: &'static str = "an API key (ClientBuilder::api_key)";

            fn auth(_options: &()) -> $crate::auth::Auth {
                $crate::auth::Auth::Bearer
            }

            fn parse_error_body(body: &[u8]) -> Option<$crate::error::ApiErrorBody> {
                serde_json::from_slice(body)
                    .ok()
                    .map($crate::error::ApiErrorBody::Whop)
            }

            fn fixed_headers() -> &'static [(&'static str, &'static str)] {
                $headers
            }
        }

        /// Configuration of a [`Client`]: the crate's one builder, with Whop's defaults.
        pub type ClientBuilder = $crate::ClientBuilder<$vendor>;

        #[doc = concat!("A client of ", $what, ": the generated client plus auth, retries and the")]
        /// convenience methods of this module. Cheap to clone (the connection pool is shared).
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

            /// A client configured from `WHOP_API_KEY` (required) and `WHOP_BASE_URL`
            /// (optional, default `https://api.whop.com/api/v1`).
            pub fn from_env() -> Result<Self, Error> {
                ClientBuilder::from_env()?.build()
            }

            /// The generated client, for operations this layer does not wrap. Its calls carry
            /// the same auth and retry policy.
            pub fn generated(&self) -> &generated::Client {
                &self.generated
            }
        }

        impl $crate::ClientBuilder<$vendor> {
            /// Sets the API key, sent as `Authorization: Bearer <key>`.
            pub fn api_key(self, api_key: impl Into<String>) -> Self {
                self.credential(api_key.into())
            }

            /// Builds the client.
            ///
            /// Fails with [`Error::Config`](crate::Error::Config) when no API key was given,
            /// when the key cannot be sent as a header, or when the base URL is not an
            /// absolute URL.
            pub fn build(self) -> Result<Client, Error> {
                let settings = self.settings()?;
                let (http, transport) = settings.transport()?;
                Ok(Client {
                    generated: generated::Client::new_with_client(
                        settings.base_url(),
                        http,
                        transport,
                    ),
                })
            }
        }
    };
}
pub(crate) use whop_client;

whop_client!(Whop, "the seed's contract of Whop's People API", headers: &[]);

#[cfg(test)]
mod tests {
    use progenitor_client::ClientInfo;

    use super::*;
    use crate::builder::tests::env;

    #[test]
    fn env_requires_an_api_key() {
        for vars in [&[][..], &[(API_KEY_VAR, "  ")][..]] {
            let error = ClientBuilder::from_lookup(env(vars)).unwrap_err();
            assert!(matches!(&error, Error::Config(message) if message.contains("WHOP_API_KEY")));
        }
    }

    #[test]
    fn env_base_url_defaults_to_whop() {
        let client = ClientBuilder::from_lookup(env(&[("WHOP_API_KEY", "k")]))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.generated().baseurl(), "https://api.whop.com/api/v1");
    }

    #[test]
    fn env_base_url_overrides_the_default() {
        let client = ClientBuilder::from_lookup(env(&[
            ("WHOP_API_KEY", "k"),
            ("WHOP_BASE_URL", "http://127.0.0.1:9/whop/api/v1/"),
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
        assert!(
            matches!(&missing_key, Error::Config(message) if message.contains("ClientBuilder::api_key"))
        );
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
            .retry_backoff(std::time::Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(
            client.generated().inner().retry,
            crate::retry::RetryPolicy::default()
                .with_max_retries(5)
                .with_base_delay(std::time::Duration::from_millis(1))
        );
    }
}
