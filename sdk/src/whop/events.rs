//! Events: the server-side intake that feeds people.

use super::Client;
use super::generated::types;
use crate::{Error, into_body};

impl Client {
    /// Records one event, as the Whop pixel would. Not retried: a `POST` is not idempotent
    /// (set `event_id` and retry yourself; Whop counts each `(event_name, event_id)` once).
    pub async fn create_event(
        &self,
        event: types::CreateEventRequest,
    ) -> Result<types::CreateEventResponse, Error> {
        into_body(self.generated().create_event().body(event).send().await).await
    }
}
