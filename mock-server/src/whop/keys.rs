//! API keys and which accounts each may act on.

use std::collections::{BTreeSet, HashMap};

use super::error::WhopError;

/// What a key may reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// An account API key: one account, inferred when `account_id` is omitted.
    Account(String),
    /// An app key or OAuth token: several accounts, named by `account_id` on every call.
    MultiAccount(BTreeSet<String>),
}

/// Every key of the Whop mock.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, KeyScope>,
}

impl KeyRing {
    /// Registers `token` with `scope` (replacing any earlier scope of the same token).
    pub fn insert(&mut self, token: String, scope: KeyScope) {
        self.keys.insert(token, scope);
    }

    /// The scope `token` was registered with, if it is a key.
    pub fn scope(&self, token: &str) -> Option<&KeyScope> {
        self.keys.get(token)
    }

    /// Every key and its scope, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &KeyScope)> {
        self.keys
            .iter()
            .map(|(token, scope)| (token.as_str(), scope))
    }

    /// The scope of the bearer `token`: 401 when it is missing or unknown.
    pub fn authenticate(&self, token: Option<&str>) -> Result<&KeyScope, WhopError> {
        let token = token.ok_or_else(|| {
            WhopError::unauthorized(
                "Missing API key: send it as an `Authorization: Bearer <key>` header.",
            )
        })?;
        self.keys
            .get(token)
            .ok_or_else(|| WhopError::unauthorized("The API key is invalid, revoked or expired."))
    }

    /// The account a request with `token` and `account_id` may act on.
    pub fn authorize(
        &self,
        token: Option<&str>,
        account_id: Option<&str>,
    ) -> Result<String, WhopError> {
        self.authenticate(token)?.account(account_id)
    }
}

impl KeyScope {
    /// The account a call naming `account_id` (or none) acts on: account keys infer theirs
    /// and reach no other (403); multi-account keys must name one (400) they can reach (403).
    pub fn account(&self, account_id: Option<&str>) -> Result<String, WhopError> {
        let unreachable = |account: &str| {
            WhopError::forbidden(format!(
                "This API key does not have access to account `{account}`."
            ))
        };
        match (self, account_id) {
            (KeyScope::Account(own), None) => Ok(own.clone()),
            (KeyScope::Account(own), Some(asked)) if own == asked => Ok(own.clone()),
            (KeyScope::Account(_), Some(asked)) => Err(unreachable(asked)),
            (KeyScope::MultiAccount(_), None) => Err(WhopError::missing_param(
                "account_id",
                "`account_id` is required for credentials that can access multiple accounts.",
            )),
            (KeyScope::MultiAccount(accounts), Some(asked)) if accounts.contains(asked) => {
                Ok(asked.to_owned())
            }
            (KeyScope::MultiAccount(_), Some(asked)) => Err(unreachable(asked)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        let mut ring = KeyRing::default();
        ring.insert("acct".into(), KeyScope::Account("biz_a".into()));
        ring.insert(
            "app".into(),
            KeyScope::MultiAccount(["biz_a".to_owned(), "biz_b".to_owned()].into()),
        );
        ring
    }

    #[test]
    fn account_keys_infer_their_account_and_reach_no_other() {
        let ring = ring();
        assert_eq!(ring.authorize(Some("acct"), None).unwrap(), "biz_a");
        assert_eq!(
            ring.authorize(Some("acct"), Some("biz_a")).unwrap(),
            "biz_a"
        );
        assert_eq!(
            ring.authorize(Some("acct"), Some("biz_b"))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn multi_account_keys_must_name_a_reachable_account() {
        let ring = ring();
        assert_eq!(ring.authorize(Some("app"), Some("biz_b")).unwrap(), "biz_b");
        let missing = ring.authorize(Some("app"), None).unwrap_err();
        assert_eq!(
            (missing.status, missing.param.as_deref()),
            (400, Some("account_id"))
        );
        assert_eq!(
            ring.authorize(Some("app"), Some("biz_c"))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn missing_and_unknown_keys_are_unauthorized() {
        let ring = ring();
        assert_eq!(ring.authorize(None, None).unwrap_err().status, 401);
        assert_eq!(
            ring.authorize(Some("nope"), Some("biz_a"))
                .unwrap_err()
                .status,
            401
        );
    }
}
