//! Listing people: one cursor page, and every page as a stream; what the streams of this
//! module share.

use std::future::Future;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, TryStreamExt, stream};

use super::Client;
use super::filters::{Comparison, Metric, Range, Source};
use super::generated::types;
use crate::{Error, into_body};

/// What to list: the account, order, filters and page size. Every field is optional;
/// `PeopleQuery::default()` lists every person of the key's account, newest activity first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeopleQuery {
    /// The account (`biz_…`); required for credentials that reach several accounts.
    pub account_id: Option<String>,
    /// Column to order by (Whop's default: last_seen_at).
    pub order: Option<types::PeopleOrder>,
    /// Direction (Whop's default: descending).
    pub direction: Option<types::SortDirection>,
    /// A substring of the name, e-mail, phone or user id.
    pub query: Option<String>,
    /// Acquisition sources, any of which matches.
    pub sources: Vec<Source>,
    /// Whether `sources` looks at the first or the last touch (Whop's default: last).
    pub attribution_model: Option<types::AttributionModel>,
    /// Event names, any of which the person must have.
    pub event_names: Vec<String>,
    /// A custom event the person must have.
    pub custom_event: Option<String>,
    /// An audience the person must be in.
    pub audience_id: Option<String>,
    /// The person's Whop user id.
    pub user_id: Option<String>,
    /// The person's e-mail.
    pub email: Option<String>,
    /// The person's phone number.
    pub phone: Option<String>,
    /// The country of the person's latest location (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Whether the person has (or has not) bought.
    pub has_purchased: Option<bool>,
    /// Whether the person has (or has not) an e-mail or phone.
    pub contactable: Option<bool>,
    /// Activity window: only people with an event in `[from, to]`.
    pub event_from: Option<DateTime<Utc>>,
    /// End of the activity window.
    pub event_to: Option<DateTime<Utc>>,
    /// Only people with an event in the last N days.
    pub event_within_days: Option<u32>,
    /// Only people first seen at or after this time.
    pub first_seen_after: Option<DateTime<Utc>>,
    /// Only people first seen at or before this time.
    pub first_seen_before: Option<DateTime<Utc>>,
    /// Only people first seen in the last N days.
    pub first_seen_within_days: Option<u32>,
    /// Only people last seen at or after this time.
    pub last_seen_after: Option<DateTime<Utc>>,
    /// Only people last seen at or before this time.
    pub last_seen_before: Option<DateTime<Utc>>,
    /// Only people last seen in the last N days.
    pub last_seen_within_days: Option<u32>,
    /// Conditions on lifetime numbers, all of which must hold.
    pub ranges: Vec<Range>,
    /// People per page (Whop's default and maximum: 100).
    pub page_size: Option<u32>,
}

impl Client {
    /// One page of people matching `query`, after the cursor `after` (the previous page's
    /// `page_info.end_cursor`), or the first page.
    pub async fn list_people(
        &self,
        query: &PeopleQuery,
        after: Option<&str>,
    ) -> Result<types::ListPeopleResponse, Error> {
        let q = query.clone();
        let mut request = self
            .generated()
            .list_people()
            .maybe(q.account_id, |r, v| r.account_id(v))
            .maybe(after.map(str::to_owned), |r, v| r.after(v))
            .maybe(q.order, |r, v| r.order(v))
            .maybe(q.direction, |r, v| r.direction(v))
            .maybe(q.query, |r, v| r.query(v))
            .maybe(q.attribution_model, |r, v| r.attribution_model(v))
            .maybe(q.custom_event, |r, v| r.custom_event(v))
            .maybe(q.audience_id, |r, v| r.audience_id(v))
            .maybe(q.user_id, |r, v| r.user_id(v))
            .maybe(q.email, |r, v| r.email(v))
            .maybe(q.phone, |r, v| r.phone(v))
            .maybe(q.country, |r, v| r.country(v))
            .maybe(q.has_purchased, |r, v| r.has_purchased(v))
            .maybe(q.contactable, |r, v| r.contactable(v))
            .maybe(q.event_from, |r, v| r.event_from(v))
            .maybe(q.event_to, |r, v| r.event_to(v))
            .maybe(q.event_within_days.map(i64::from), |r, v| {
                r.event_within_days(v)
            })
            .maybe(q.first_seen_after, |r, v| r.first_seen_after(v))
            .maybe(q.first_seen_before, |r, v| r.first_seen_before(v))
            .maybe(q.first_seen_within_days.map(i64::from), |r, v| {
                r.first_seen_within_days(v)
            })
            .maybe(q.last_seen_after, |r, v| r.last_seen_after(v))
            .maybe(q.last_seen_before, |r, v| r.last_seen_before(v))
            .maybe(q.last_seen_within_days.map(i64::from), |r, v| {
                r.last_seen_within_days(v)
            })
            .maybe(q.page_size.map(i64::from), |r, v| r.first(v));
        if !q.sources.is_empty() {
            request = request.source(q.sources.iter().map(Source::to_string).collect::<Vec<_>>());
        }
        if !q.event_names.is_empty() {
            request = request.event_name(q.event_names);
        }
        for range in &q.ranges {
            request = with_range(request, range);
        }
        into_body(request.send().await).await
    }

    /// Every person matching `query`, page by page as the stream is polled, following
    /// `page_info.end_cursor` while `has_next_page`. An error ends the stream after it is
    /// yielded.
    pub fn people(
        &self,
        query: PeopleQuery,
    ) -> impl Stream<Item = Result<types::Person, Error>> + Send + Unpin + 'static {
        let client = self.clone();
        follow(move |after| {
            let (client, query) = (client.clone(), query.clone());
            async move {
                let page = client.list_people(&query, after.as_deref()).await?;
                Ok((page.data, next_cursor(&page.page_info)))
            }
        })
    }
}

/// Sets an optional parameter of a generated request builder: `set` when there is a value.
pub(super) trait Maybe: Sized {
    /// `set(self, value)` when `value` is `Some`, else `self`.
    fn maybe<T>(self, value: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match value {
            Some(value) => set(self, value),
            None => self,
        }
    }
}

impl<B> Maybe for B {}

/// `request` with the range condition `range` (`ltv_gte=…`).
fn with_range<'a>(
    request: super::generated::builder::ListPeople<'a>,
    range: &Range,
) -> super::generated::builder::ListPeople<'a> {
    let value = range.value;
    // Counts are whole numbers on the wire.
    let count = value.round() as i64;
    match (range.metric, range.comparison) {
        (Metric::Ltv, Comparison::Gt) => request.ltv_gt(value),
        (Metric::Ltv, Comparison::Gte) => request.ltv_gte(value),
        (Metric::Ltv, Comparison::Lt) => request.ltv_lt(value),
        (Metric::Ltv, Comparison::Lte) => request.ltv_lte(value),
        (Metric::Aov, Comparison::Gt) => request.aov_gt(value),
        (Metric::Aov, Comparison::Gte) => request.aov_gte(value),
        (Metric::Aov, Comparison::Lt) => request.aov_lt(value),
        (Metric::Aov, Comparison::Lte) => request.aov_lte(value),
        (Metric::PurchaseCount, Comparison::Gt) => request.purchase_count_gt(count),
        (Metric::PurchaseCount, Comparison::Gte) => request.purchase_count_gte(count),
        (Metric::PurchaseCount, Comparison::Lt) => request.purchase_count_lt(count),
        (Metric::PurchaseCount, Comparison::Lte) => request.purchase_count_lte(count),
        (Metric::EventCount, Comparison::Gt) => request.event_count_gt(count),
        (Metric::EventCount, Comparison::Gte) => request.event_count_gte(count),
        (Metric::EventCount, Comparison::Lt) => request.event_count_lt(count),
        (Metric::EventCount, Comparison::Lte) => request.event_count_lte(count),
    }
}

/// The cursor of the page after one with `info`, when there is one.
pub(super) fn next_cursor(info: &types::PageInfo) -> Option<String> {
    info.end_cursor
        .clone()
        .filter(|cursor| info.has_next_page && !cursor.is_empty())
}

/// The items of every page `fetch` gives, in order: `fetch(None)` is the first page and
/// answers its items and the next page's cursor; `fetch(Some(cursor))` the page after it, and
/// so on until a page has no next cursor (or no items).
pub(super) fn follow<T, F, Fut>(
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
where
    T: Send + 'static,
    F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Error>> + Send + 'static,
{
    let pages = stream::try_unfold((fetch, Some(None)), |(fetch, after)| async move {
        let Some(after) = after else {
            return Ok(None);
        };
        let (items, next) = fetch(after).await?;
        let next = next.filter(|_| !items.is_empty()).map(Some);
        Ok::<_, Error>(Some((items, (fetch, next))))
    });
    pages
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
