//! Asking an [`InsightActors`] question: one page or every person, from the legacy actor
//! endpoints (paged along `next`) or from `POST /query/` as an `ActorsQuery` (paged by
//! `offset` while `hasMore`).

use std::future::Future;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Client;
use super::generated::types;
use super::insights::{Endpoint, Insight, InsightActors};
use crate::{Error, into_body};

/// A person as an `ActorsQuery` row's `actor` column gives it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Actor {
    /// The person's UUID.
    pub id: Uuid,
    /// Its distinct ids.
    pub distinct_ids: Vec<String>,
    /// Its properties.
    pub properties: Map<String, Value>,
    /// Whether it was identified.
    pub is_identified: bool,
    /// When it was created (its first event).
    pub created_at: DateTime<Utc>,
}

/// Sends a legacy GET: each parameter through the generated builder's setter of that name
/// (a non-string value as its JSON text), among those every actor endpoint takes and the
/// endpoint's own names; another parameter is an [`Error::InvalidRequest`].
macro_rules! legacy_get {
    ($request:expr, $params:expr, [$($name:ident),+ $(,)?]) => {
        legacy_get!(@send $request, $params, [
            events, date_from, date_to, explicit_date, interval, properties, search, limit,
            offset, $($name),+
        ])
    };
    (@send $request:expr, $params:expr, [$($name:ident),+ $(,)?]) => {{
        let mut request = $request;
        for (key, value) in $params {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            request = match key.as_str() {
                $(stringify!($name) => request.$name(text),)+
                _ => {
                    return Err(Error::InvalidRequest(format!(
                        "{key} is not a parameter of this insight endpoint"
                    )))
                }
            };
        }
        into_body(request.send().await).await
    }};
}

impl Client {
    /// One page of `question`'s persons from its legacy endpoint, skipping `offset`: a funnel
    /// is POSTed (the filter as a JSON body, as PostHog's API users send it), trends,
    /// lifecycle and stickiness are GETs with JSON-encoded parameters.
    pub async fn insight_actors_page<K: Insight>(
        &self,
        question: &InsightActors<K>,
        offset: u64,
    ) -> Result<types::InsightActorsPage, Error> {
        let mut params = question.legacy_params();
        let (limit_name, offset_name) = question.endpoint().paging();
        if let Some(limit) = question.page_size() {
            params.insert(limit_name.into(), json!(limit));
        }
        if offset > 0 {
            params.insert(offset_name.into(), json!(offset));
        }
        let generated = self.generated();
        let project = self.project_id();
        match question.endpoint() {
            Endpoint::Funnel => {
                let request = generated
                    .persons_funnel_create()
                    .project_id(project)
                    .body(types::InsightFilter(params));
                into_body(request.send().await).await
            }
            Endpoint::Correlation => {
                let request = generated
                    .persons_funnel_correlation_create()
                    .project_id(project)
                    .body(types::InsightFilter(params));
                into_body(request.send().await).await
            }
            Endpoint::Trends => legacy_get!(
                generated.persons_trends_retrieve().project_id(project),
                params,
                [
                    entity_id,
                    entity_type,
                    entity_math,
                    entity_order,
                    breakdown,
                    breakdown_type,
                    breakdown_value,
                ]
            ),
            Endpoint::Lifecycle => legacy_get!(
                generated.persons_lifecycle_retrieve().project_id(project),
                params,
                [target_date, lifecycle_type,]
            ),
            Endpoint::Stickiness => legacy_get!(
                generated.persons_stickiness_retrieve().project_id(project),
                params,
                [
                    entity_id,
                    entity_type,
                    entity_math,
                    entity_order,
                    stickiness_days,
                ]
            ),
        }
    }

    /// Every person of `question` from its legacy endpoint, page by page as the stream is
    /// polled: each next page is asked at the `offset` of the previous page's `next` (absolute
    /// on the first page, relative after; PostHog links one empty page after a full last
    /// one) until `next` is null or does not advance. An error ends the stream after it is
    /// yielded.
    pub fn insight_actors<K: Insight>(
        &self,
        question: InsightActors<K>,
    ) -> impl Stream<Item = Result<types::SerializedPerson, Error>> + Send + Unpin + 'static {
        walk(self, question, |client, question, offset| async move {
            let page = client.insight_actors_page(&question, offset).await?;
            let (_, offset_name) = question.endpoint().paging();
            let next = page
                .next
                .as_deref()
                .and_then(|next| next_offset(next, offset_name))
                .filter(|next| *next > offset);
            let people = page
                .results
                .into_iter()
                .flat_map(|actors| actors.people)
                .collect();
            Ok((people, next))
        })
    }

    /// One page of `question` asked as an `ActorsQuery` (`POST /query/`, selecting `actor`),
    /// skipping `offset`.
    pub async fn query_actors_page<K: Insight>(
        &self,
        question: &InsightActors<K>,
        offset: u64,
    ) -> Result<types::ActorsQueryResponse, Error> {
        let mut query = question.query();
        if let Some(limit) = question.page_size() {
            query.insert("limit".into(), json!(limit));
        }
        query.insert("offset".into(), json!(offset));
        let body = types::QueryRequest {
            query,
            client_query_id: None,
            name: None,
            refresh: None,
        };
        let request = self
            .generated()
            .query_create()
            .project_id(self.project_id())
            .body(body);
        into_body(request.send().await).await
    }

    /// Every person of `question` asked as an `ActorsQuery`, page by page as the stream is
    /// polled: the next page at `offset + limit` while `hasMore`. An error ends the stream
    /// after it is yielded.
    pub fn query_actors<K: Insight>(
        &self,
        question: InsightActors<K>,
    ) -> impl Stream<Item = Result<Actor, Error>> + Send + Unpin + 'static {
        walk(self, question, |client, question, offset| async move {
            let page = client.query_actors_page(&question, offset).await?;
            let actors = page
                .results
                .into_iter()
                .map(|row| actor(row.into_iter().next().unwrap_or_default()))
                .collect::<Result<_, _>>()?;
            let step = u64::try_from(page.limit).unwrap_or(0);
            let next = (page.has_more && step > 0).then(|| offset.saturating_add(step));
            Ok((actors, next))
        })
    }
}

/// Every item of the pages `page` answers from offset 0 on, each page with the offset of the
/// next one (none after the last), fetched as the stream is polled.
fn walk<K, T, F, Page>(
    client: &Client,
    question: InsightActors<K>,
    page: F,
) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
where
    K: Insight,
    T: Send + 'static,
    F: Fn(Client, InsightActors<K>, u64) -> Page + Copy + Send + 'static,
    Page: Future<Output = Result<(Vec<T>, Option<u64>), Error>> + Send + 'static,
{
    let pages = stream::try_unfold(
        (client.clone(), question, Some(0)),
        move |(client, question, offset)| async move {
            let Some(offset) = offset else {
                return Ok(None);
            };
            let (items, next) = page(client.clone(), question.clone(), offset).await?;
            Ok::<_, Error>(Some((items, (client, question, next))))
        },
    );
    pages
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// A row's `actor` cell as an [`Actor`].
fn actor(cell: Value) -> Result<Actor, Error> {
    serde_json::from_value(cell.clone()).map_err(|source| Error::InvalidResponse {
        body: cell.to_string().into(),
        source,
    })
}

/// The offset (parameter `name`) of a `next` link, absolute or relative (PostHog's later
/// pages link `api/projects/…` without a leading slash, to resolve against the server root).
fn next_offset(next: &str, name: &str) -> Option<u64> {
    let root = reqwest::Url::parse("http://posthog.invalid/").ok()?;
    let url = root.join(next).ok()?;
    url.query_pairs()
        .filter(|(key, _)| key == name)
        .last()
        .and_then(|(_, value)| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_offsets_come_from_absolute_and_relative_links() {
        assert_eq!(
            next_offset(
                "http://h/api/projects/1/persons/funnel/?events=%5B%5D&offset=100",
                "offset"
            ),
            Some(100)
        );
        assert_eq!(
            next_offset(
                "posthog/api/projects/1/persons/trends/?limit=2&offset=4",
                "offset"
            ),
            Some(4)
        );
        assert_eq!(
            next_offset("http://h/api/projects/1/persons/trends/", "offset"),
            None
        );
        assert_eq!(next_offset("api/x/?offset=abc", "offset"), None);
        let correlation = "http://h/api/projects/1/persons/funnel/correlation/?offset=9&funnel_correlation_person_offset=8";
        assert_eq!(
            next_offset(correlation, "funnel_correlation_person_offset"),
            Some(8)
        );
    }

    #[test]
    fn rows_read_as_actors_or_invalid_responses() {
        let cell = json!({"id": "018c1a8e-0000-5000-8000-000000000001", "distinct_ids": ["a"],
                          "properties": {"email": "a@x"}, "is_identified": true,
                          "created_at": "2021-05-01T00:00:00Z"});
        assert_eq!(actor(cell).unwrap().distinct_ids, ["a"]);
        assert!(matches!(
            actor(json!({"id": 1})),
            Err(Error::InvalidResponse { .. })
        ));
    }
}
