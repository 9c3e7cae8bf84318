//! One person: reading a person by record id.

use super::Client;
use super::generated::types;
use crate::{Error, into_body};

/// Which account and time window to read one person in. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonQuery {
    /// The account (`biz_…`); required for credentials that reach several accounts.
    pub account_id: Option<String>,
    /// Start of the time window, a Unix timestamp.
    pub from: Option<i64>,
    /// End of the time window, a Unix timestamp (Whop's default: now).
    pub to: Option<i64>,
}

impl Client {
    /// The person with record id `id`, aggregated over the window of `query`.
    pub async fn retrieve_person(
        &self,
        id: &str,
        query: &PersonQuery,
    ) -> Result<types::Person, Error> {
        let mut request = self.generated().retrieve_person().person_id(id);
        if let Some(account_id) = &query.account_id {
            request = request.account_id(account_id.clone());
        }
        if let Some(from) = query.from {
            request = request.from(from);
        }
        if let Some(to) = query.to {
            request = request.to(to);
        }
        into_body(request.send().await)
            .await
            .map(|response| response.data)
    }
}
