//! Persons: one page, every page as a stream following `next`, and the per-person calls.

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde_json::{Map, Value};

use super::error::into_body;
use super::filters::PropertyFilters;
use super::generated::types;
use super::{Client, Error};

/// What to list. Every field is optional; `PersonsQuery::default()` lists every person of the
/// client's project, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersonsQuery {
    /// Only the person owning this distinct id.
    pub distinct_id: Option<String>,
    /// Only persons whose `email` property equals this exactly.
    pub email: Option<String>,
    /// Case-insensitive substring over email, name, UUID and distinct ids.
    pub search: Option<String>,
    /// Person property filters, ANDed.
    pub properties: Option<PropertyFilters>,
    /// Persons per page (PostHog's default 100).
    pub limit: Option<i64>,
    /// Ask for `count`, the number of matches across all pages.
    pub include_total: bool,
}

impl Client {
    /// One page of persons matching `query`, skipping the first `offset`.
    pub async fn list_persons(
        &self,
        query: &PersonsQuery,
        offset: i64,
    ) -> Result<types::PaginatedPersonList, Error> {
        let mut request = self
            .generated()
            .persons_list()
            .project_id(self.project_id())
            .offset(offset);
        if let Some(distinct_id) = &query.distinct_id {
            request = request.distinct_id(distinct_id.clone());
        }
        if let Some(email) = &query.email {
            request = request.email(email.clone());
        }
        if let Some(search) = &query.search {
            request = request.search(search.clone());
        }
        if let Some(properties) = &query.properties {
            request = request.properties(properties.to_string());
        }
        if let Some(limit) = query.limit {
            request = request.limit(limit);
        }
        if query.include_total {
            request = request.include_total(true);
        }
        into_body(request.send().await).await
    }

    /// Every person matching `query`, page by page as the stream is polled, following each
    /// page's `next` link until it is null (PostHog's last full page links to an empty one).
    /// An error ends the stream after it is yielded.
    pub fn persons(
        &self,
        query: PersonsQuery,
    ) -> impl Stream<Item = Result<types::SerializedPerson, Error>> + Send + Unpin + 'static {
        let pages = stream::try_unfold(
            (self.clone(), query, Some(0)),
            |(client, mut query, offset)| async move {
                let Some(offset) = offset else {
                    return Ok(None);
                };
                let page = client.list_persons(&query, offset).await?;
                let next = page.next.as_deref().and_then(next_page);
                if let Some((_, Some(limit))) = next {
                    query.limit = Some(limit);
                }
                let next_offset = next.map(|(offset, _)| offset);
                Ok::<_, Error>(Some((page.results, (client, query, next_offset))))
            },
        );
        pages
            .map_ok(|persons| stream::iter(persons.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// The person with numeric id or UUID `id`.
    pub async fn retrieve_person(&self, id: &str) -> Result<types::Person, Error> {
        let request = self
            .generated()
            .persons_retrieve()
            .project_id(self.project_id())
            .id(id);
        into_body(request.send().await).await
    }

    /// Sets `properties` on person `id` (nothing is removed). PostHog applies it
    /// asynchronously; the mock at once.
    pub async fn update_person_properties(
        &self,
        id: &str,
        properties: Map<String, Value>,
    ) -> Result<(), Error> {
        let request = self
            .generated()
            .persons_partial_update()
            .project_id(self.project_id())
            .id(id)
            .body(types::PersonPropertiesUpdate { properties });
        into_body(request.send().await).await
    }

    /// Sets one property of person `id` to `value` (null included).
    pub async fn set_person_property(
        &self,
        id: &str,
        key: &str,
        value: Value,
    ) -> Result<(), Error> {
        let request = self
            .generated()
            .persons_update_property_create()
            .project_id(self.project_id())
            .id(id)
            .body(types::UpdatePropertyRequest {
                key: key.to_owned(),
                value,
            });
        into_body(request.send().await).await
    }

    /// Removes property `key` from person `id`.
    pub async fn delete_person_property(&self, id: &str, key: &str) -> Result<(), Error> {
        let request = self
            .generated()
            .persons_delete_property_create()
            .project_id(self.project_id())
            .id(id)
            .body(types::DeletePropertyRequest {
                unset: key.to_owned(),
            });
        into_body(request.send().await).await.map(drop)
    }

    /// Deletes person `id`, freeing its distinct ids. `delete_events` also queues deletion of
    /// its events (PostHog reads the flag by presence, so it is only sent when true).
    pub async fn delete_person(&self, id: &str, delete_events: bool) -> Result<(), Error> {
        let mut request = self
            .generated()
            .persons_destroy()
            .project_id(self.project_id())
            .id(id);
        if delete_events {
            request = request.delete_events(true);
        }
        into_body(request.send().await).await
    }

    /// Splits person `id`: every distinct id but `main_distinct_id` (or but the first, when
    /// `None`) moves onto a person of its own.
    pub async fn split_person(
        &self,
        id: &str,
        main_distinct_id: Option<&str>,
    ) -> Result<(), Error> {
        let request = self
            .generated()
            .persons_split_create()
            .project_id(self.project_id())
            .id(id)
            .body(types::SplitRequest {
                main_distinct_id: main_distinct_id.map(str::to_owned),
                distinct_ids_to_split: Vec::new(),
            });
        into_body(request.send().await).await.map(drop)
    }

    /// The persons owning `distinct_ids` (the first 200), keyed by distinct id.
    pub async fn persons_by_distinct_ids(
        &self,
        distinct_ids: Vec<String>,
    ) -> Result<types::PersonsByKey, Error> {
        let request = self
            .generated()
            .persons_batch_by_distinct_ids_create()
            .project_id(self.project_id())
            .body(types::BatchByDistinctIdsRequest { distinct_ids });
        into_body(request.send().await).await
    }

    /// The person owning `distinct_id` with its properties as they were at `timestamp`
    /// (ISO 8601), from `$set` (and, with `include_set_once`, `$set_once`) events.
    pub async fn properties_at_time(
        &self,
        distinct_id: &str,
        timestamp: &str,
        include_set_once: bool,
    ) -> Result<types::PersonAtTime, Error> {
        let request = self
            .generated()
            .persons_properties_at_time_retrieve()
            .project_id(self.project_id())
            .distinct_id(distinct_id)
            .timestamp(timestamp)
            .include_set_once(include_set_once);
        into_body(request.send().await).await
    }
}

/// The `offset` and `limit` of a `next` URL; `None` when it carries no usable offset.
fn next_page(url: &str) -> Option<(i64, Option<i64>)> {
    let url = reqwest::Url::parse(url).ok()?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse::<i64>().ok())
    };
    Some((param("offset")?, param("limit")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_give_offset_and_limit() {
        assert_eq!(
            next_page("http://h/api/projects/1/persons/?limit=2&offset=4"),
            Some((4, Some(2)))
        );
        assert_eq!(
            next_page("http://h/api/projects/1/persons/?offset=100"),
            Some((100, None))
        );
        assert_eq!(next_page("http://h/api/projects/1/persons/"), None);
        assert_eq!(next_page("not a url"), None);
    }
}
