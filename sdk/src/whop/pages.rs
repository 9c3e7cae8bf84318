//! Listing people: one page, and every page as a stream.

use futures::{Stream, StreamExt, TryStreamExt, stream};

use super::Client;
use super::filters::{Filters, SortColumn};
use super::generated::types;
use crate::{Error, into_body};

/// What to list: the account, the time window, order, filters and page size. Every field is
/// optional; `PeopleQuery::default()` lists the key's account over Whop's default window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeopleQuery {
    /// The account (`biz_…`); required for credentials that reach several accounts.
    pub account_id: Option<String>,
    /// Start of the time window, a Unix timestamp (Whop's default: 366 days before `to`).
    pub from: Option<i64>,
    /// End of the time window, a Unix timestamp (Whop's default: now).
    pub to: Option<i64>,
    /// Column to sort by (Whop's default: last_seen_at).
    pub sort: Option<SortColumn>,
    /// Sort direction (Whop's default: descending).
    pub direction: Option<types::SortDirection>,
    /// Conditions people must all meet.
    pub filters: Option<Filters>,
    /// People per page (Whop's default 100, max 101).
    pub page_size: Option<u32>,
}

impl Client {
    /// One page of people matching `query`, skipping the first `offset`.
    pub async fn list_people(
        &self,
        query: &PeopleQuery,
        offset: u64,
    ) -> Result<types::ListPeopleResponse, Error> {
        let mut request = self.generated().list_people().offset(offset);
        if let Some(account_id) = &query.account_id {
            request = request.account_id(account_id.clone());
        }
        if let Some(from) = query.from {
            request = request.from(from);
        }
        if let Some(to) = query.to {
            request = request.to(to);
        }
        if let Some(sort) = query.sort {
            request = request.sort(sort.as_str());
        }
        if let Some(direction) = query.direction {
            request = request.direction(direction);
        }
        if let Some(filters) = &query.filters {
            request = request.filters(filters.to_string());
        }
        if let Some(page_size) = query.page_size {
            request = request.first(page_size);
        }
        into_body(request.send().await).await
    }

    /// Every person matching `query`, fetched page by page as the stream is polled, until
    /// `total_count` people have been seen or a page comes back empty. An error ends the stream
    /// after it is yielded.
    ///
    /// ```no_run
    /// # async fn run(client: persons_sdk::whop::Client) -> Result<(), persons_sdk::Error> {
    /// use futures::TryStreamExt;
    /// use persons_sdk::whop::{PeopleQuery, SortColumn};
    ///
    /// let query = PeopleQuery { sort: Some(SortColumn::Ltv), ..PeopleQuery::default() };
    /// let people: Vec<_> = client.people(query).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn people(
        &self,
        query: PeopleQuery,
    ) -> impl Stream<Item = Result<types::Person, Error>> + Send + Unpin + 'static {
        let pages = stream::try_unfold(
            (self.clone(), query, Some(0)),
            |(client, query, offset)| async move {
                let Some(offset) = offset else {
                    return Ok(None);
                };
                let page = client.list_people(&query, offset).await?;
                let next = next_offset(offset, page.data.len(), page.total_count);
                Ok::<_, Error>(Some((page.data, (client, query, next))))
            },
        );
        pages
            .map_ok(|people| stream::iter(people.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

/// The offset of the page after one fetched at `offset` with `fetched` people, or `None` when
/// that page was empty or reached `total_count`.
fn next_offset(offset: u64, fetched: usize, total_count: i64) -> Option<u64> {
    let next = offset.saturating_add(u64::try_from(fetched).unwrap_or(u64::MAX));
    let total = u64::try_from(total_count).unwrap_or(0);
    (fetched > 0 && next < total).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_at_total_count_or_an_empty_page() {
        assert_eq!(next_offset(0, 2, 5), Some(2));
        assert_eq!(next_offset(2, 2, 5), Some(4));
        assert_eq!(next_offset(4, 1, 5), None);
        assert_eq!(next_offset(4, 0, 10), None);
        assert_eq!(next_offset(0, 3, -1), None);
    }
}
