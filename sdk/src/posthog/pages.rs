//! Listing persons: one page, and every page as a stream following `next`.

use futures::{Stream, StreamExt, TryStreamExt, stream};

use super::Client;
use super::filters::PropertyFilters;
use super::generated::types;
use crate::{Error, into_body};

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
