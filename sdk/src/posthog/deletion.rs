//! Deleting persons in bulk, freeing a deleted person's distinct id, and following deletions.

use uuid::Uuid;

use super::Client;
use super::generated::types::{self, PersonsDeletionStatusRetrieveStatus as Status};
use crate::{Error, into_body};

/// Whom a bulk delete targets: PostHog takes UUIDs or distinct ids, never both, at most 1000.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkDeleteTarget {
    /// Persons by UUID.
    Uuids(Vec<Uuid>),
    /// The persons owning these distinct ids.
    DistinctIds(Vec<String>),
}

/// A bulk delete: its target and PostHog's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkDelete {
    /// Whom to delete.
    pub target: BulkDeleteTarget,
    /// Also queue deletion of their events.
    pub delete_events: bool,
    /// Also queue deletion of their recordings.
    pub delete_recordings: bool,
    /// Keep the persons (only queue the event/recording deletions).
    pub keep_person: bool,
}

impl BulkDelete {
    /// Deletes `target`, without flags.
    pub fn new(target: BulkDeleteTarget) -> Self {
        Self {
            target,
            delete_events: false,
            delete_recordings: false,
            keep_person: false,
        }
    }
}

/// Which deletions to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeletionState {
    /// Every deletion.
    #[default]
    All,
    /// Deletions not yet verified.
    Pending,
    /// Verified deletions.
    Completed,
}

/// A page of deletion_status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeletionQuery {
    /// Which deletions.
    pub state: DeletionState,
    /// Only this person's.
    pub person_uuid: Option<Uuid>,
    /// Page size (100 when `None`).
    pub limit: Option<i64>,
    /// Deletions skipped.
    pub offset: Option<i64>,
}

impl Client {
    /// Deletes many persons at once; the summary says how many were found and deleted.
    pub async fn bulk_delete_persons(
        &self,
        delete: BulkDelete,
    ) -> Result<types::BulkDeleteResult, Error> {
        let (ids, distinct_ids) = match delete.target {
            BulkDeleteTarget::Uuids(uuids) => {
                (uuids.iter().map(Uuid::to_string).collect(), Vec::new())
            }
            BulkDeleteTarget::DistinctIds(distinct_ids) => (Vec::new(), distinct_ids),
        };
        let flag = |set: bool| set.then_some(true);
        let request = self
            .generated()
            .persons_bulk_delete_create()
            .project_id(self.project_id())
            .body(types::BulkDeleteRequest {
                ids,
                distinct_ids,
                delete_events: flag(delete.delete_events),
                delete_recordings: flag(delete.delete_recordings),
                keep_person: flag(delete.keep_person),
            });
        into_body(request.send().await).await
    }

    /// Lets `distinct_id`, whose person was deleted, be used by a new person.
    pub async fn reset_person_distinct_id(&self, distinct_id: &str) -> Result<(), Error> {
        let request = self
            .generated()
            .persons_reset_person_distinct_id_create()
            .project_id(self.project_id())
            .body(types::ResetDistinctIdRequest {
                distinct_id: distinct_id.to_owned(),
            });
        into_body(request.send().await).await
    }

    /// One page of the project's person deletions, newest first.
    pub async fn deletion_status(
        &self,
        query: &DeletionQuery,
    ) -> Result<types::DeletionStatusPage, Error> {
        let status = match query.state {
            DeletionState::All => Status::All,
            DeletionState::Pending => Status::Pending,
            DeletionState::Completed => Status::Completed,
        };
        let mut request = self
            .generated()
            .persons_deletion_status_retrieve()
            .project_id(self.project_id())
            .status(status);
        if let Some(uuid) = query.person_uuid {
            request = request.person_uuid(uuid.to_string());
        }
        if let Some(limit) = query.limit {
            request = request.limit(limit);
        }
        if let Some(offset) = query.offset {
            request = request.offset(offset);
        }
        into_body(request.send().await).await
    }
}
