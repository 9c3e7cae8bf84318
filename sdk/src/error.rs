//! The one error type of the SDK, whichever vendor answered, and its conversion from the
//! generated clients' errors.

use std::fmt;

use bytes::Bytes;
use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use serde::Serialize;

use crate::Vendor;

/// Anything that can go wrong talking to a vendor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vendor answered with an error status.
    #[error("{}", api_message(*status, body))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The vendor's parsed error body, or the raw body when it is not one.
        body: ApiErrorBody,
    },
    /// The request could not be sent, or the response could not be read.
    #[error("could not talk to the API")]
    Transport(#[source] reqwest::Error),
    /// A success response whose body does not match its schema.
    #[error("invalid response payload")]
    InvalidResponse {
        /// The raw response body.
        body: Bytes,
        /// Why it did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The request was invalid before it was sent (e.g. a missing required parameter).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured (missing credential, invalid base URL, …).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// The body of an error answer: one variant per vendor (each behind its cargo feature) holding
/// that vendor's parsed error body, or the raw body when it is not the vendor's error body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ApiErrorBody {
    /// Whop's `{"error": {type, message, code?, param?}}`.
    #[cfg(feature = "whop")]
    Whop(crate::whop::ErrorBody),
    /// One of PostHog's error bodies.
    #[cfg(feature = "posthog")]
    PostHog(crate::posthog::ErrorBody),
    /// Pipedrive's `{success, error, error_info, errorCode?, code?}` (boxed, to keep `Result`s
    /// small).
    #[cfg(feature = "pipedrive")]
    Pipedrive(Box<crate::pipedrive::ErrorBody>),
    /// A body that is not the vendor's error body (a proxy's HTML page, an empty body…), as it
    /// came. It is empty when the error was converted with `From`, which cannot read it (use
    /// [`into_body`], which does).
    Raw(Bytes),
}

impl ApiErrorBody {
    /// The vendor whose error body this is; `None` for [`ApiErrorBody::Raw`].
    fn vendor(&self) -> Option<&'static str> {
        match self {
            #[cfg(feature = "whop")]
            ApiErrorBody::Whop(_) => Some("Whop"),
            #[cfg(feature = "posthog")]
            ApiErrorBody::PostHog(_) => Some("PostHog"),
            #[cfg(feature = "pipedrive")]
            ApiErrorBody::Pipedrive(_) => Some("Pipedrive"),
            ApiErrorBody::Raw(_) => None,
        }
    }
}

impl fmt::Display for ApiErrorBody {
    /// The vendor's message (with its kind where the body has one); a raw body as text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "whop")]
            ApiErrorBody::Whop(body) => body.fmt(f),
            #[cfg(feature = "posthog")]
            ApiErrorBody::PostHog(body) => body.fmt(f),
            #[cfg(feature = "pipedrive")]
            ApiErrorBody::Pipedrive(body) => body.fmt(f),
            ApiErrorBody::Raw(body) => f.write_str(&String::from_utf8_lossy(body)),
        }
    }
}

/// The message of [`Error::Api`].
fn api_message(status: StatusCode, body: &ApiErrorBody) -> String {
    match body.vendor() {
        Some(vendor) => format!("{vendor} API error ({status}): {body}"),
        None => format!("unexpected HTTP status {status}"),
    }
}

impl Error {
    /// The HTTP status the vendor answered with, when there was an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Transport(error) => error.status(),
            Error::InvalidResponse { .. } | Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// The body of an error answer, parsed or raw.
    pub fn body(&self) -> Option<&ApiErrorBody> {
        match self {
            Error::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The error for an answer with `status` and `body`: `V`'s parsed error body, or the raw
    /// body when it is not one.
    pub(crate) fn api<V: Vendor>(status: StatusCode, body: Bytes) -> Self {
        let body = V::parse_error_body(&body).unwrap_or(ApiErrorBody::Raw(body));
        Error::Api { status, body }
    }

    /// The error for `response`, an answer with an error status: its body read and parsed as
    /// `V`'s error body.
    pub(crate) async fn from_response<V: Vendor>(response: reqwest::Response) -> Self {
        let status = response.status();
        match response.bytes().await {
            Ok(body) => Self::api::<V>(status, body),
            Err(error) => Error::Transport(error),
        }
    }
}

/// The typed error body of a generated client's calls, and the vendor it belongs to: what
/// lets one conversion turn any generated client's error into an [`Error`].
pub trait GeneratedErrorBody: Serialize {
    /// The vendor whose API documents this body.
    type Vendor: Vendor;
}

impl<E: GeneratedErrorBody> From<progenitor_client::Error<E>> for Error {
    /// Converts a generated client's error. A documented error body goes through the vendor's
    /// parser like any other body (so every shape a vendor answers is read the same way); an
    /// undocumented answer's body cannot be read here and is left empty (see [`into_body`]).
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as Generated;
        match error {
            Generated::ErrorResponse(response) => {
                let status = response.status();
                let json = serde_json::to_vec(&response.into_inner()).unwrap_or_default();
                Self::api::<E::Vendor>(status, Bytes::from(json))
            }
            Generated::UnexpectedResponse(response) => Error::Api {
                status: response.status(),
                body: ApiErrorBody::Raw(Bytes::new()),
            },
            Generated::CommunicationError(error)
            | Generated::InvalidUpgrade(error)
            | Generated::ResponseBodyError(error) => Error::Transport(error),
            Generated::InvalidResponsePayload(body, source) => {
                Error::InvalidResponse { body, source }
            }
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                Error::InvalidRequest(message)
            }
        }
    }
}

/// The body of a generated call's response (what `.send().await` returned), or its error as
/// an [`Error`]; unlike `From`, it reads the body of an undocumented error answer and parses it
/// as the vendor's error body.
///
/// ```no_run
/// # async fn run(client: persons_sdk::whop::Client) -> Result<(), persons_sdk::Error> {
/// let page = persons_sdk::into_body(client.generated().list_people().first(5).send().await).await?;
/// # Ok(()) }
/// ```
pub async fn into_body<T, E: GeneratedErrorBody>(
    result: Result<ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error> {
    match result {
        Ok(response) => Ok(response.into_inner()),
        Err(progenitor_client::Error::UnexpectedResponse(response)) => {
            Err(Error::from_response::<E::Vendor>(response).await)
        }
        Err(error) => Err(error.into()),
    }
}
