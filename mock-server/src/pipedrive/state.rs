//! Everything the Pipedrive mock holds: companies and the credentials, and the one write path
//! into them.

use std::collections::{BTreeMap, BTreeSet};

use super::fields::hex_key;
use super::keys::KeyRing;
use super::log::{Entry, UserEntry};
use super::model::Id;
use super::tenant::{Company, ModelError, RecordError};
use crate::Timestamp;
use crate::durable::{Durable, Logged};

/// The Pipedrive mock's state.
#[derive(Clone, Debug, Default)]
pub struct PipedriveState {
    companies: BTreeMap<Id, Company>,
    /// The credentials.
    pub keys: KeyRing,
    tokens_issued: u64,
    durable: Durable,
}

impl PipedriveState {
    /// An empty state whose companies log their entries to `durable`.
    pub fn new(durable: Durable) -> Self {
        Self {
            companies: BTreeMap::new(),
            keys: KeyRing::default(),
            tokens_issued: 0,
            durable,
        }
    }

    /// Forgets every company and credential (still logging to the same data directory).
    pub fn clear(&mut self) {
        *self = Self::new(self.durable.clone());
    }

    /// The company, if it exists.
    pub fn company(&self, id: Id) -> Option<&Company> {
        self.companies.get(&id)
    }

    /// Every company, by id.
    pub fn companies(&self) -> impl Iterator<Item = &Company> {
        self.companies.values()
    }

    /// Puts `company` in place (a seed's finished load; its id is free).
    pub(super) fn insert_company(&mut self, company: Company) {
        self.companies.insert(company.id, company);
    }

    /// Takes company `id` out of the state (the benchmarks' memory breakdown).
    #[cfg(feature = "internals")]
    pub(super) fn take_company(&mut self, id: Id) -> Option<Company> {
        self.companies.remove(&id)
    }

    /// The highest user id of any company (user ids are unique across companies, as
    /// Pipedrive's are; a new user without one gets the next).
    pub fn last_user_id(&self) -> Id {
        self.companies
            .values()
            .filter_map(|company| company.users.keys().next_back().copied())
            .max()
            .unwrap_or(0)
    }

    /// Applies `entry` to company `company` at clock time `now`, logging it to the data
    /// directory first (see [`Company::apply`]); a `user` entry without an id gets one above
    /// every user id of the mock. A company that does not exist yet is created, unless the
    /// entry is refused. Returns the id [`Company::apply`] answers.
    pub fn apply(
        &mut self,
        company: Id,
        mut entry: Entry,
        now: Timestamp,
    ) -> Result<Id, RecordError> {
        if let Entry::User(user) = &mut entry {
            let last = self.last_user_id();
            give_user_id(user, last, |id| {
                self.companies
                    .values()
                    .any(|other| other.id != company && other.users.contains_key(&id))
            })?;
        }
        let mut log = self.durable.entry_log(|entry| Logged::Pipedrive {
            tenant: company,
            at: now,
            entry,
        });
        let mut created = None;
        let target = match self.companies.get_mut(&company) {
            Some(target) => target,
            None => created.insert(Company::new(company)),
        };
        let id = target.apply(entry, now, &mut log)?;
        if let Some(target) = created {
            self.companies.insert(company, target);
        }
        Ok(id)
    }

    /// How many tokens the mock has generated (generated tokens derive from this count).
    pub(super) fn tokens_issued(&self) -> u64 {
        self.tokens_issued
    }

    /// Moves the count of generated tokens up to `issued` (never down).
    pub(super) fn observe_tokens_issued(&mut self, issued: u64) {
        self.tokens_issued = self.tokens_issued.max(issued);
    }

    /// Registers `token` (or a generated 40-hex one) as `user`'s API token; returns it.
    pub fn add_api_token(&mut self, company: Id, user: Id, token: Option<&str>) -> String {
        let token = token.map_or_else(|| self.new_token(TokenKind::Api), str::to_owned);
        self.keys.insert_api_token(token.clone(), company, user);
        token
    }

    /// Issues an OAuth access token for `user` with `scopes`; returns it.
    pub fn add_oauth_token(&mut self, company: Id, user: Id, scopes: BTreeSet<String>) -> String {
        let token = self.new_token(TokenKind::OAuth { company, user });
        self.keys
            .insert_oauth_token(token.clone(), company, user, scopes);
        token
    }

    /// A generated token no credential uses yet (the count wraps rather than sticks, so
    /// the search always ends: only finitely many tokens are in use).
    fn new_token(&mut self, kind: TokenKind) -> String {
        loop {
            self.tokens_issued = self.tokens_issued.wrapping_add(1);
            let token = kind.generate(self.tokens_issued);
            if !self.keys.contains(&token) {
                return token;
            }
        }
    }
}

/// Completes a `user` entry's id: a left-out one is one above `last`, the highest user id in
/// use; an id another company's user holds (`taken`) is refused.
pub(super) fn give_user_id(
    user: &mut UserEntry,
    last: Id,
    taken: impl Fn(Id) -> bool,
) -> Result<Id, RecordError> {
    let id = match user.id {
        Some(id) => id,
        None => last
            .checked_add(1)
            .ok_or_else(|| ModelError::Invalid("No user id is left.".into()).at("id"))?,
    };
    if taken(id) {
        return Err(ModelError::Invalid(format!(
            "User id {id} is already used (user ids are unique across companies)."
        ))
        .at("id"));
    }
    user.id = Some(id);
    Ok(id)
}

/// What a generated token is for, which decides its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A 40-hex API token.
    Api,
    /// `<company>:<user>:<40 hex>`, an OAuth access token.
    OAuth {
        /// The company it reaches.
        company: Id,
        /// The user it acts as.
        user: Id,
    },
}

impl TokenKind {
    /// The token generated as the mock's `issued`-th.
    pub(super) fn generate(self, issued: u64) -> String {
        match self {
            TokenKind::Api => hex_key(&format!("api token {issued}")),
            TokenKind::OAuth { company, user } => {
                let key = hex_key(&format!("oauth token {issued}"));
                format!("{company}:{user}:{key}")
            }
        }
    }
}
