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

    /// Every company, by id.
    pub fn companies(&self) -> impl Iterator<Item = &Company> {
        self.companies.values()
    }

    /// Adds a company built elsewhere (a seed's), with its users; the caller made sure its
    /// id and its users' ids are free.
    pub(super) fn insert_company(&mut self, company: Company) {
        if let Some(last) = company.users.keys().next_back() {
            self.next_user = self.next_user.max(*last);
        }
        self.companies.insert(company.id, company);
    }

    /// The highest user id issued so far (user ids are unique across companies, and
    /// [`PipedriveState::add_user`] issues the next one).
    pub(super) fn last_user_id(&self) -> Id {
        self.next_user
    }

    /// How many tokens the mock has generated (generated tokens derive from this count).
    pub(super) fn tokens_issued(&self) -> u64 {
        self.tokens_issued
    }

    /// Moves the count of generated tokens up to `issued` (never down).
    pub(super) fn observe_tokens_issued(&mut self, issued: u64) {
        self.tokens_issued = self.tokens_issued.max(issued);
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
