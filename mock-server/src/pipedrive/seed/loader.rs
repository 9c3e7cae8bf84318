//! Loading a seed into a state, all or nothing: every company is built apart (its writes
//! replayed into a new [`Company`]), every token resolved, and only then is anything added.
//! Companies already in the state are refused, never merged into.

use std::collections::{BTreeSet, HashSet};

use super::super::company::{Company, ID_KINDS};
use super::super::model::Id;
use super::super::state::{PipedriveState, TokenKind};
use super::replay::{Replay, UserIds};
use super::{CompanySeed, PipedriveSeed};
use crate::seed::SeedError;

/// The scopes of an OAuth token that names none.
pub const DEFAULT_SCOPES: [&str; 1] = ["admin"];

/// A company ready to add, with its credentials.
struct Built {
    company: Company,
    api_tokens: Vec<(String, Id)>,
    oauth_tokens: Vec<(String, Id, BTreeSet<String>)>,
}

/// Tokens: those the state and the seed so far hold, and the count of generated ones.
struct Tokens<'a> {
    state: &'a PipedriveState,
    seen: HashSet<String>,
    issued: u64,
}

impl Tokens<'_> {
    /// `given` if no credential holds it yet, else a fresh generated token of `kind`.
    fn take(
        &mut self,
        given: Option<&str>,
        kind: TokenKind,
        path: &str,
    ) -> Result<String, SeedError> {
        let token = match given {
            Some("") => return Err(SeedError::new(path, "a token cannot be empty")),
            Some(token) => token.to_owned(),
            None => loop {
                self.issued = self.issued.wrapping_add(1);
                let token = kind.generate(self.issued);
                if !self.in_use(&token) {
                    break token;
                }
            },
        };
        if self.in_use(&token) {
            return Err(SeedError::new(path, "this token is already in use"));
        }
        self.seen.insert(token.clone());
        Ok(token)
    }

    fn in_use(&self, token: &str) -> bool {
        self.seen.contains(token) || self.state.keys.contains(token)
    }
}

/// Adds `seed` to `state`; on error `state` is unchanged.
pub fn load(state: &mut PipedriveState, seed: &PipedriveSeed, now: i64) -> Result<(), SeedError> {
    let mut users = UserIds::new(
        state
            .companies()
            .flat_map(|company| company.users.keys().copied()),
        state.last_user_id(),
    );
    let mut company_ids: BTreeSet<Id> = state.companies().map(|company| company.id).collect();
    let mut tokens = Tokens {
        state: &*state,
        seen: HashSet::new(),
        issued: state.tokens_issued().max(seed.tokens_issued),
    };
    let mut built = Vec::with_capacity(seed.companies.len());
    for (at, company) in seed.companies.iter().enumerate() {
        let path = format!("pipedrive.companies[{at}]");
        let id = company_id(company.id, &company_ids, &path)?;
        company_ids.insert(id);
        let mut replay = Replay {
            now,
            users: &mut users,
        };
        built.push(build(id, company, &mut replay, &mut tokens, &path)?);
    }
    let issued = tokens.issued;
    for Built {
        company,
        api_tokens,
        oauth_tokens,
    } in built
    {
        let company_id = company.id;
        state.insert_company(company);
        for (token, user) in api_tokens {
            state.keys.insert_api_token(token, company_id, user);
        }
        for (token, user, scopes) in oauth_tokens {
            state
                .keys
                .insert_oauth_token(token, company_id, user, scopes);
        }
    }
    state.observe_tokens_issued(issued);
    Ok(())
}

/// The company's id: the given one, or one above every id taken so far; it must be free.
fn company_id(given: Option<Id>, taken: &BTreeSet<Id>, path: &str) -> Result<Id, SeedError> {
    let id = match given {
        Some(0) => return Err(SeedError::new(format!("{path}.id"), "ids start at 1")),
        Some(id) => id,
        None => taken.last().map_or(1, |last| last.saturating_add(1)),
    };
    if taken.contains(&id) {
        return Err(SeedError::new(
            format!("{path}.id"),
            format!("company {id} already exists; a seed adds companies, it never merges into one"),
        ));
    }
    Ok(id)
}

/// Company `id` built from its seed: writes replayed, sequences restored, tokens resolved.
fn build(
    id: Id,
    seed: &CompanySeed,
    replay: &mut Replay<'_>,
    tokens: &mut Tokens<'_>,
    path: &str,
) -> Result<Built, SeedError> {
    let mut company = Company::new(id);
    for (at, write) in seed.log.iter().enumerate() {
        replay.apply(&mut company, write, &format!("{path}.log[{at}]"))?;
    }
    for (kind, last) in &seed.last_ids {
        let known = ID_KINDS
            .iter()
            .find(|known| **known == kind.as_str())
            .ok_or_else(|| {
                SeedError::new(
                    format!("{path}.last_ids.{kind}"),
                    format!("unknown kind of id; known: {}", ID_KINDS.join(", ")),
                )
            })?;
        company.ids.observe(known, *last);
    }
    let member = |user: Option<Id>, at: String| match user {
        Some(user) if company.users.contains_key(&user) => Ok(user),
        Some(user) => Err(SeedError::new(
            at,
            format!("user {user} is not a user of company {id}"),
        )),
        None => company.users.keys().next().copied().ok_or_else(|| {
            SeedError::new(at, "left out, and the company has no user to default to")
        }),
    };
    let mut with_api_token = HashSet::new();
    let mut api_tokens = Vec::with_capacity(seed.api_tokens.len());
    for (at, entry) in seed.api_tokens.iter().enumerate() {
        let at = format!("{path}.api_tokens[{at}]");
        let user = member(entry.user_id, format!("{at}.user_id"))?;
        if !with_api_token.insert(user) {
            return Err(SeedError::new(
                format!("{at}.user_id"),
                format!("user {user} already has an API token (a user has one at most)"),
            ));
        }
        let token = tokens.take(
            entry.token.as_deref(),
            TokenKind::Api,
            &format!("{at}.token"),
        )?;
        api_tokens.push((token, user));
    }
    let mut oauth_tokens = Vec::with_capacity(seed.oauth_tokens.len());
    for (at, entry) in seed.oauth_tokens.iter().enumerate() {
        let at = format!("{path}.oauth_tokens[{at}]");
        let user = member(entry.user_id, format!("{at}.user_id"))?;
        let kind = TokenKind::OAuth { company: id, user };
        let token = tokens.take(entry.token.as_deref(), kind, &format!("{at}.token"))?;
        let scopes = entry.scopes.clone().unwrap_or_else(|| {
            DEFAULT_SCOPES
                .iter()
                .map(|scope| (*scope).to_owned())
                .collect()
        });
        oauth_tokens.push((token, user, scopes));
    }
    Ok(Built {
        company,
        api_tokens,
        oauth_tokens,
    })
}
