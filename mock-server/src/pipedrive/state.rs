//! Everything the Pipedrive mock holds: companies, their users, and the credentials.

use std::collections::{BTreeMap, BTreeSet};

use super::company::Company;
use super::fields::hex_key;
use super::keys::KeyRing;
use super::model::{Id, User};

/// The Pipedrive mock's state.
#[derive(Clone, Debug, Default)]
pub struct PipedriveState {
    companies: BTreeMap<Id, Company>,
    /// The credentials.
    pub keys: KeyRing,
    next_user: Id,
    tokens_issued: u64,
}

impl PipedriveState {
    /// Creates company `id` if it does not exist yet.
    pub fn ensure_company(&mut self, id: Id) -> &mut Company {
        self.companies.entry(id).or_insert_with(|| Company::new(id))
    }

    /// The company, if it exists.
    pub fn company(&self, id: Id) -> Option<&Company> {
        self.companies.get(&id)
    }

    /// The company, if it exists, for writing.
    pub fn company_mut(&mut self, id: Id) -> Option<&mut Company> {
        self.companies.get_mut(&id)
    }

    /// Adds a user to `company` (created if needed); returns the user id, unique across
    /// companies as Pipedrive's are.
    pub fn add_user(&mut self, company: Id, name: &str, email: &str, is_admin: bool) -> Id {
        self.next_user = self.next_user.saturating_add(1);
        let user = User {
            id: self.next_user,
            name: name.to_owned(),
            email: email.to_owned(),
            is_admin,
        };
        self.ensure_company(company).add_user(user);
        self.next_user
    }

    /// Registers `token` (or a generated 40-hex one) as `user`'s API token; returns it.
    pub fn add_api_token(&mut self, company: Id, user: Id, token: Option<&str>) -> String {
        let token = token.map_or_else(|| self.new_token("api"), str::to_owned);
        self.keys.insert_api_token(token.clone(), company, user);
        token
    }

    /// Issues an OAuth access token for `user` with `scopes`; returns it.
    pub fn add_oauth_token(&mut self, company: Id, user: Id, scopes: BTreeSet<String>) -> String {
        let token = format!("{company}:{user}:{}", self.new_token("oauth"));
        self.keys
            .insert_oauth_token(token.clone(), company, user, scopes);
        token
    }

    fn new_token(&mut self, kind: &str) -> String {
        self.tokens_issued = self.tokens_issued.saturating_add(1);
        hex_key(&format!("{kind} token {}", self.tokens_issued))
    }
}
