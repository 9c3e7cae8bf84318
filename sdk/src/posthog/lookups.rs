//! Read-only lookups around persons: property values, cohorts, persons by UUID, the activity
//! log and a person's properties timeline.

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use super::Client;
use super::filters::PropertyFilters;
use super::generated::types;
use crate::{Error, into_body};

/// Which page of the activity log to read: PostHog's `page` (1-based) and `limit` (10 when
/// `None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActivityPage {
    /// The 1-based page (1 when `None`).
    pub page: Option<i64>,
    /// Entries per page (10 when `None`).
    pub limit: Option<i64>,
}

/// What properties_timeline watches and counts, over which window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineQuery {
    /// A point is emitted whenever one of these filters' keys changes value ("crucial" keys);
    /// with none, a single point comes back.
    pub watched: Option<PropertyFilters>,
    /// The event names that make and count points (PostHog's `events` entities); empty: every
    /// event.
    pub events: Vec<String>,
    /// Start of the window.
    pub from: Option<DateTime<Utc>>,
    /// End of the window (now when `None`).
    pub to: Option<DateTime<Utc>>,
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl Client {
    /// The values person property `key` takes, most frequent first, optionally only those
    /// containing `containing` (case-insensitive).
    pub async fn property_values(
        &self,
        key: &str,
        containing: Option<&str>,
    ) -> Result<Vec<types::PropertyValueCount>, Error> {
        let mut request = self
            .generated()
            .persons_values_retrieve()
            .project_id(self.project_id())
            .key(key);
        if let Some(containing) = containing {
            request = request.value(containing);
        }
        let values: types::PropertyValues = into_body(request.send().await).await?;
        Ok(values.results)
    }

    /// The cohorts person `id` (numeric id or UUID) belongs to.
    pub async fn person_cohorts(&self, id: &str) -> Result<Vec<types::CohortMembership>, Error> {
        let request = self
            .generated()
            .persons_cohorts_retrieve()
            .project_id(self.project_id())
            .person_id(id);
        let cohorts: types::PersonCohorts = into_body(request.send().await).await?;
        Ok(cohorts.results)
    }

    /// The persons with `uuids` (the first 200), keyed by UUID. Taking [`Uuid`]s rules out
    /// PostHog's 400 for a malformed one.
    pub async fn persons_by_uuids(&self, uuids: &[Uuid]) -> Result<types::PersonsByKey, Error> {
        let request = self
            .generated()
            .persons_batch_by_uuids_create()
            .project_id(self.project_id())
            .body(types::BatchByUuidsRequest {
                uuids: uuids.iter().map(Uuid::to_string).collect(),
            });
        into_body(request.send().await).await
    }

    /// One page of the project's person activity log (newest first), or of person `id`'s
    /// when given.
    pub async fn person_activity(
        &self,
        id: Option<&str>,
        page: ActivityPage,
    ) -> Result<types::ActivityLogPage, Error> {
        macro_rules! paged {
            ($request:expr) => {{
                let mut request = $request.project_id(self.project_id());
                if let Some(number) = page.page {
                    request = request.page(number);
                }
                if let Some(limit) = page.limit {
                    request = request.limit(limit);
                }
                into_body(request.send().await).await
            }};
        }
        match id {
            Some(id) => paged!(self.generated().persons_activity_retrieve().id(id)),
            None => paged!(self.generated().persons_all_activity_retrieve()),
        }
    }

    /// Person `id`'s properties over time: a point at the first event of the window and at
    /// every change of the watched keys. PostHog refuses scoped personal API keys here (403);
    /// use a legacy key without scopes.
    pub async fn properties_timeline(
        &self,
        id: &str,
        query: &TimelineQuery,
    ) -> Result<types::PropertiesTimeline, Error> {
        let mut request = self
            .generated()
            .persons_properties_timeline_retrieve()
            .project_id(self.project_id())
            .id(id);
        if let Some(watched) = &query.watched {
            request = request.properties(watched.to_string());
        }
        if !query.events.is_empty() {
            let entities: Vec<serde_json::Value> = query
                .events
                .iter()
                .map(|name| serde_json::json!({"id": name, "type": "events"}))
                .collect();
            request = request.events(serde_json::Value::Array(entities).to_string());
        }
        if let Some(from) = query.from {
            request = request.date_from(iso(from));
        }
        if let Some(to) = query.to {
            request = request.date_to(iso(to));
        }
        into_body(request.send().await).await
    }
}
