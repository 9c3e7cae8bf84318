//! Calls the generated clients cannot make (multipart uploads, v1 root-level custom fields):
//! built with the generated client's `reqwest::Client` (so its auth headers apply), sent as a
//! generated call is (its query credential and retry policy), and answered with the same
//! [`Error`] as generated calls.

use bytes::Bytes;
use progenitor_client::ClientInfo;
use serde::de::DeserializeOwned;

use super::{Pipedrive, v1};
use crate::Error;

/// Sends `request` (built from `client.client()`) as operation `operation` and decodes a
/// success body as `T`, or Pipedrive's error body into [`Error::Api`].
pub(crate) async fn send<T: DeserializeOwned>(
    client: &v1::generated::Client,
    request: reqwest::RequestBuilder,
    operation: &str,
) -> Result<T, Error> {
    let request = request.build().map_err(Error::Transport)?;
    let response = client
        .inner()
        .execute(client.client(), request, operation)
        .await
        .map_err(Error::Transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(Error::Transport)?;
    if status.is_success() {
        return decode(body);
    }
    Err(Error::api::<Pipedrive>(status, body))
}

/// `body` as `T`, or [`Error::InvalidResponse`].
fn decode<T: DeserializeOwned>(body: Bytes) -> Result<T, Error> {
    serde_json::from_slice(body.as_ref()).map_err(|source| Error::InvalidResponse { body, source })
}
