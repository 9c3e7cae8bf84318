//! One person: reading, updating, deleting and splitting it, by id or distinct id, and its
//! properties at a point in time.

use serde_json::{Map, Value};

use super::Client;
use super::generated::types;
use crate::{Error, into_body};

impl Client {
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
