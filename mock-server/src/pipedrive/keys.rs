//! Credentials: API tokens (one user of one company, every permission) and OAuth access
//! tokens (one user of one company, limited to their scopes).

use std::collections::{BTreeSet, HashMap};

use super::error::PipedriveError;
use super::model::Id;

/// Who a credential acts as, and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The company it reaches (the only one).
    pub company: Id,
    /// The user it acts as.
    pub user: Id,
    /// OAuth scopes; `None` for an API token, which may do everything its user may.
    pub scopes: Option<BTreeSet<String>>,
}

impl Credential {
    /// Passes when the credential holds one of `accepted` (or `admin`); else the gateway's
    /// 403.
    pub fn require(&self, accepted: &[&str]) -> Result<(), PipedriveError> {
        match &self.scopes {
            None => Ok(()),
            Some(scopes)
                if scopes.contains("admin")
                    || accepted.iter().any(|scope| scopes.contains(*scope)) =>
            {
                Ok(())
            }
            Some(_) => Err(PipedriveError::scope_mismatch()),
        }
    }
}

/// Where a request carried its credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    /// `x-api-token` header.
    TokenHeader(&'a str),
    /// `api_token` query parameter (legacy, v1 only).
    TokenQuery(&'a str),
    /// `Authorization: Bearer`.
    Bearer(&'a str),
    /// Nothing.
    Nothing,
}

/// Every credential of the Pipedrive mock.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    api_tokens: HashMap<String, Credential>,
    /// The API token of each `(company, user)`.
    api_token_of: HashMap<(Id, Id), String>,
    oauth_tokens: HashMap<String, Credential>,
}

impl KeyRing {
    /// Registers an API token (replacing the user's previous one, as regenerating does).
    pub fn insert_api_token(&mut self, token: String, company: Id, user: Id) {
        if let Some(old) = self.api_token_of.remove(&(company, user)) {
            self.api_tokens.remove(&old);
        }
        if let Some(holder) = self.api_tokens.get(&token) {
            self.api_token_of.remove(&(holder.company, holder.user));
        }
        self.api_token_of.insert((company, user), token.clone());
        self.api_tokens.insert(
            token,
            Credential {
                company,
                user,
                scopes: None,
            },
        );
    }

    /// Registers an OAuth access token with `scopes`.
    pub fn insert_oauth_token(
        &mut self,
        token: String,
        company: Id,
        user: Id,
        scopes: BTreeSet<String>,
    ) {
        self.oauth_tokens.insert(
            token,
            Credential {
                company,
                user,
                scopes: Some(scopes),
            },
        );
    }

    /// Every API token with what it reaches, in no particular order.
    pub fn api_tokens(&self) -> impl Iterator<Item = (&str, &Credential)> {
        self.api_tokens
            .iter()
            .map(|(token, credential)| (token.as_str(), credential))
    }

    /// Every OAuth access token with what it reaches, in no particular order.
    pub fn oauth_tokens(&self) -> impl Iterator<Item = (&str, &Credential)> {
        self.oauth_tokens
            .iter()
            .map(|(token, credential)| (token.as_str(), credential))
    }

    /// Whether `token` is registered, as an API token or an OAuth one.
    pub fn contains(&self, token: &str) -> bool {
        self.api_tokens.contains_key(token) || self.oauth_tokens.contains_key(token)
    }

    /// The credential presented, or the gateway's 401. API tokens are not bearer tokens and
    /// OAuth tokens are not API tokens.
    pub fn authenticate(&self, presented: Presented<'_>) -> Result<&Credential, PipedriveError> {
        let found = match presented {
            Presented::TokenHeader(token) | Presented::TokenQuery(token) => {
                self.api_tokens.get(token)
            }
            Presented::Bearer(token) => self.oauth_tokens.get(token),
            Presented::Nothing => None,
        };
        found.ok_or_else(PipedriveError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_only_work_where_they_belong() {
        let mut ring = KeyRing::default();
        ring.insert_api_token("api".into(), 1, 10);
        ring.insert_oauth_token("oauth".into(), 1, 11, ["contacts:read".to_owned()].into());
        assert_eq!(
            ring.authenticate(Presented::TokenHeader("api"))
                .unwrap()
                .user,
            10
        );
        assert_eq!(
            ring.authenticate(Presented::TokenQuery("api"))
                .unwrap()
                .user,
            10
        );
        assert_eq!(
            ring.authenticate(Presented::Bearer("api"))
                .unwrap_err()
                .status,
            401
        );
        assert_eq!(
            ring.authenticate(Presented::TokenHeader("oauth"))
                .unwrap_err()
                .status,
            401
        );
        assert_eq!(
            ring.authenticate(Presented::Nothing).unwrap_err().status,
            401
        );
        let oauth = ring.authenticate(Presented::Bearer("oauth")).unwrap();
        assert!(oauth.require(&["contacts:read", "contacts:full"]).is_ok());
        assert_eq!(oauth.require(&["contacts:full"]).unwrap_err().status, 403);
    }

    #[test]
    fn regenerating_a_token_revokes_the_old_one() {
        let mut ring = KeyRing::default();
        ring.insert_api_token("old".into(), 1, 10);
        ring.insert_api_token("other".into(), 1, 11);
        ring.insert_api_token("new".into(), 1, 10);
        assert!(ring.authenticate(Presented::TokenHeader("old")).is_err());
        assert!(ring.authenticate(Presented::TokenHeader("new")).is_ok());
        assert!(ring.authenticate(Presented::TokenHeader("other")).is_ok());
        assert_eq!(ring.api_tokens().count(), 2);
    }

    #[test]
    fn a_token_taken_over_by_another_user_leaves_the_first_without_one() {
        let mut ring = KeyRing::default();
        ring.insert_api_token("shared".into(), 1, 10);
        ring.insert_api_token("shared".into(), 1, 11);
        ring.insert_api_token("fresh".into(), 1, 10);
        let holder = ring.authenticate(Presented::TokenHeader("shared")).unwrap();
        assert_eq!(holder.user, 11);
        assert!(ring.contains("fresh") && !ring.contains("gone"));
    }
}
