//! Events: the intake that feeds people, and one person's events.

use chrono::{DateTime, Utc};
use futures::Stream;

use super::Client;
use super::generated::types;
use super::pages::{Maybe, follow, next_cursor};
use crate::{Error, into_body};

/// Whose events to list, and in which window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventsQuery {
    /// The person: id, Whop user id, e-mail or phone (required).
    pub identifier: String,
    /// The account (`biz_…`); required for credentials that reach several accounts.
    pub account_id: Option<String>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events at or before this time.
    pub to: Option<DateTime<Utc>>,
    /// Events per page (Whop's default and maximum: 100).
    pub page_size: Option<u32>,
}

impl Client {
    /// Records one event, as the Whop pixel would. Not retried: a `POST` is not idempotent
    /// (set `event_id` and retry yourself; Whop counts each `(event_name, event_id)` once).
    pub async fn create_event(
        &self,
        event: types::CreateEventRequest,
    ) -> Result<types::CreateEventResponse, Error> {
        into_body(self.generated().create_event().body(event).send().await).await
    }

    /// One page of a person's events, most recent first, after the cursor `after`.
    pub async fn list_events(
        &self,
        query: &EventsQuery,
        after: Option<&str>,
    ) -> Result<types::ListEventsResponse, Error> {
        let request = self
            .generated()
            .list_events()
            .identifier(query.identifier.clone())
            .maybe(query.account_id.clone(), |r, v| r.account_id(v))
            .maybe(query.from, |r, v| r.from(v))
            .maybe(query.to, |r, v| r.to(v))
            .maybe(query.page_size.map(i64::from), |r, v| r.first(v))
            .maybe(after, |r, v| r.after(v));
        into_body(request.send().await).await
    }

    /// Every event of the person, most recent first, page by page as the stream is polled.
    pub fn events(
        &self,
        query: EventsQuery,
    ) -> impl Stream<Item = Result<types::EventRecord, Error>> + Send + Unpin + 'static {
        let client = self.clone();
        follow(move |after| {
            let (client, query) = (client.clone(), query.clone());
            async move {
                let page = client.list_events(&query, after.as_deref()).await?;
                Ok((page.data, next_cursor(&page.page_info)))
            }
        })
    }
}
