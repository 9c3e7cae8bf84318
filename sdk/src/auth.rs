//! How a client sends its credential: in a header (bearer or named) or in every request's query
//! string, and how the credential is kept out of `Debug` output, logs and errors.

use std::fmt;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::Error;

/// Where a client puts its credential; each [`Vendor`](crate::Vendor) says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <credential>` (Whop, PostHog's personal API key, Pipedrive OAuth).
    Bearer,
    /// `<name>: <credential>` (Pipedrive's `x-api-token`).
    Header(&'static str),
    /// `?<name>=<credential>` on every request (Pipedrive v1's legacy `api_token`).
    Query(&'static str),
}

impl Auth {
    /// The default headers that carry `credential`, marked sensitive so that they never show
    /// in `Debug` output (none for [`Auth::Query`]).
    pub(crate) fn headers(self, credential: &str) -> Result<HeaderMap, Error> {
        let (name, value) = match self {
            Auth::Bearer => (AUTHORIZATION, format!("Bearer {credential}")),
            Auth::Header(name) => (
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| Error::Config(format!("{name:?} is not a header name")))?,
                credential.to_owned(),
            ),
            Auth::Query(_) => return Ok(HeaderMap::new()),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| Error::Config("the credential is not a valid header value".into()))?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(name, value);
        Ok(headers)
    }

    /// The query credential that carries `credential`, for [`Auth::Query`].
    pub(crate) fn query(self, credential: &str) -> Option<QueryCredential> {
        match self {
            Auth::Query(name) => Some(QueryCredential {
                name,
                value: credential.to_owned(),
            }),
            Auth::Bearer | Auth::Header(_) => None,
        }
    }
}

/// A credential added to the query string of every request. Its value never shows in `Debug`
/// output, and transport errors of the requests carrying it drop their URL
/// ([`redact`](Self::redact)).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct QueryCredential {
    /// The parameter name.
    name: &'static str,
    /// The secret.
    value: String,
}

impl fmt::Debug for QueryCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueryCredential({}=<redacted>)", self.name)
    }
}

impl QueryCredential {
    /// Appends `name=value` to the query string of `request`.
    pub(crate) fn apply(&self, request: &mut reqwest::Request) {
        request
            .url_mut()
            .query_pairs_mut()
            .append_pair(self.name, &self.value);
    }

    /// `error` without the URL of its request, which holds the credential.
    pub(crate) fn redact(error: reqwest::Error) -> reqwest::Error {
        error.without_url()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_credentials_are_sensitive() {
        let bearer = Auth::Bearer.headers("sk_test").unwrap();
        assert_eq!(bearer[AUTHORIZATION], "Bearer sk_test");
        assert!(bearer[AUTHORIZATION].is_sensitive());
        assert!(!format!("{bearer:?}").contains("sk_test"));
        let named = Auth::Header("x-api-token").headers("t0k3n").unwrap();
        assert_eq!(named["x-api-token"], "t0k3n");
        assert!(named["x-api-token"].is_sensitive());
        assert!(!format!("{named:?}").contains("t0k3n"));
        assert!(
            Auth::Query("api_token")
                .headers("t0k3n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn header_values_with_newlines_are_rejected() {
        for auth in [Auth::Bearer, Auth::Header("x-api-token")] {
            assert!(matches!(auth.headers("bad\nkey"), Err(Error::Config(_))));
        }
    }

    #[test]
    fn query_credentials_go_in_the_query_and_stay_out_of_debug() {
        assert_eq!(Auth::Bearer.query("t"), None);
        assert_eq!(Auth::Header("x-api-token").query("t"), None);
        let credential = Auth::Query("api_token").query("s3cret").unwrap();
        assert_eq!(
            format!("{credential:?}"),
            "QueryCredential(api_token=<redacted>)"
        );
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://h/api/v1/persons?start=0".parse().unwrap(),
        );
        credential.apply(&mut request);
        assert_eq!(request.url().query(), Some("start=0&api_token=s3cret"));
    }

    #[tokio::test]
    async fn redacted_transport_errors_lose_their_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let error = reqwest::get(format!("http://{address}/?api_token=s3cret"))
            .await
            .unwrap_err();
        assert!(format!("{error:?}").contains("s3cret"));
        let redacted = QueryCredential::redact(error);
        assert!(redacted.url().is_none());
        assert!(!format!("{redacted:?} {redacted}").contains("s3cret"));
    }
}
