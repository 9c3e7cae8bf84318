//! Persons one page at a time, and every person as a stream: v1 `start`/`limit`, v2 cursors.

use futures::{Stream, StreamExt, TryStreamExt, stream};

use super::{Client, v1, v2};
use crate::{Error, into_body};

/// What `GET /api/v2/persons` lists. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonsQuery {
    /// Only persons owned by this user.
    pub owner_id: Option<i64>,
    /// Only persons of this organization.
    pub org_id: Option<i64>,
    /// Only persons linked to this deal.
    pub deal_id: Option<i64>,
    /// `id` (default), `update_time` or `add_time`.
    pub sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    pub sort_direction: Option<String>,
    /// Optional fields to add (counters, `smart_bcc_email`…).
    pub include_fields: Vec<String>,
    /// Custom field keys to return (all when empty).
    pub custom_fields: Vec<String>,
    /// Persons per page (default 100, max 500).
    pub page_size: Option<i64>,
}

/// What `GET /api/v1/persons` lists. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct V1PersonsQuery {
    /// Only persons owned by this user.
    pub user_id: Option<i64>,
    /// Only persons whose name starts with this letter.
    pub first_char: Option<String>,
    /// `"name ASC, id DESC"`.
    pub sort: Option<String>,
    /// Persons per page (default 100, capped at 500).
    pub page_size: Option<i64>,
}

impl Client {
    /// One v2 page of persons, starting at `cursor` (the first page without one).
    pub async fn list_persons(
        &self,
        query: &PersonsQuery,
        cursor: Option<&str>,
    ) -> Result<v2::types::PersonListResponse, Error> {
        let mut request = self.v2().get_persons();
        if let Some(owner) = query.owner_id {
            request = request.owner_id(owner);
        }
        if let Some(org) = query.org_id {
            request = request.org_id(org);
        }
        if let Some(deal) = query.deal_id {
            request = request.deal_id(deal);
        }
        if let Some(sort_by) = &query.sort_by {
            request = request.sort_by(sort_by.clone());
        }
        if let Some(direction) = &query.sort_direction {
            request = request.sort_direction(direction.clone());
        }
        if !query.include_fields.is_empty() {
            request = request.include_fields(query.include_fields.join(","));
        }
        if !query.custom_fields.is_empty() {
            request = request.custom_fields(query.custom_fields.join(","));
        }
        if let Some(limit) = query.page_size {
            request = request.limit(limit);
        }
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        into_body(request.send().await).await
    }

    /// Every person `query` lists, following `next_cursor` as the stream is polled. An error
    /// ends the stream after it is yielded.
    pub fn persons(
        &self,
        query: PersonsQuery,
    ) -> impl Stream<Item = Result<v2::types::Person, Error>> + Send + Unpin + 'static {
        let pages = stream::try_unfold(
            (self.clone(), query, Some(None::<String>)),
            |(client, query, cursor)| async move {
                let Some(cursor) = cursor else {
                    return Ok(None);
                };
                let page = client.list_persons(&query, cursor.as_deref()).await?;
                let next = page.additional_data.next_cursor.clone().map(Some);
                Ok::<_, Error>(Some((page.data, (client, query, next))))
            },
        );
        pages
            .map_ok(|persons| stream::iter(persons.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// One v1 page of persons starting at offset `start`.
    pub async fn list_persons_v1(
        &self,
        query: &V1PersonsQuery,
        start: i64,
    ) -> Result<v1::types::PersonListResponse, Error> {
        let mut request = self.v1().get_persons().start(start);
        if let Some(user) = query.user_id {
            request = request.user_id(user);
        }
        if let Some(first_char) = &query.first_char {
            request = request.first_char(first_char.clone());
        }
        if let Some(sort) = &query.sort {
            request = request.sort(sort.clone());
        }
        if let Some(limit) = query.page_size {
            request = request.limit(limit);
        }
        into_body(request.send().await).await
    }

    /// Every person `query` lists through API v1, following `next_start`.
    pub fn persons_v1(
        &self,
        query: V1PersonsQuery,
    ) -> impl Stream<Item = Result<v1::types::Person, Error>> + Send + Unpin + 'static {
        let pages = stream::try_unfold(
            (self.clone(), query, Some(0)),
            |(client, query, start)| async move {
                let Some(start) = start else {
                    return Ok(None);
                };
                let page = client.list_persons_v1(&query, start).await?;
                let pagination = &page.additional_data.pagination;
                let next = pagination
                    .more_items_in_collection
                    .then_some(pagination.next_start)
                    .flatten();
                Ok::<_, Error>(Some((page.data.unwrap_or_default(), (client, query, next))))
            },
        );
        pages
            .map_ok(|persons| stream::iter(persons.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}
