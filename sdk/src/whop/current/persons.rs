//! One person: retrieving a profile by any identifier.

use super::Client;
use super::generated::types;
use super::pages::Maybe;
use crate::{Error, into_body};

impl Client {
    /// The person `identifier` names: a person id (`prsn_…`, a merged person's finds the
    /// survivor), a Whop user id (`user_…`), an e-mail or a phone number; with every identity,
    /// source, purchase and usage count. `account_id` is needed for credentials that reach
    /// several accounts.
    pub async fn retrieve_person(
        &self,
        identifier: &str,
        account_id: Option<&str>,
    ) -> Result<types::PersonDetail, Error> {
        let request = self
            .generated()
            .retrieve_person()
            .person_id(identifier)
            .maybe(account_id, |r, v| r.account_id(v));
        into_body(request.send().await).await
    }
}
