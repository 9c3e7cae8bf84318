//! The admin API's directory: every tenant of every vendor with its size, and every
//! credential with what it reaches (`GET /_admin/tenants`).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::router::App;
use crate::vendor_handle::read_lock;
use crate::whop::keys::KeyScope;

/// Tenants and credentials of all three vendors.
#[derive(Debug, Serialize)]
pub struct Directory {
    /// Whop accounts and API keys.
    pub whop: WhopDirectory,
    /// PostHog projects, project tokens and personal API keys.
    pub posthog: PostHogDirectory,
    /// Pipedrive companies, API tokens and OAuth tokens.
    pub pipedrive: PipedriveDirectory,
}

/// Whop's part of the [`Directory`].
#[derive(Debug, Serialize)]
pub struct WhopDirectory {
    /// Accounts, by id.
    pub accounts: Vec<WhopAccount>,
    /// API keys, by token.
    pub keys: Vec<WhopKey>,
}

/// One Whop account.
#[derive(Debug, Serialize)]
pub struct WhopAccount {
    /// `biz_…`.
    pub id: String,
    /// Live (not merged away) people.
    pub people: usize,
    /// Events recorded.
    pub events: usize,
}

/// One Whop API key.
#[derive(Debug, Serialize)]
pub struct WhopKey {
    /// The bearer token.
    pub token: String,
    /// `account` (one account) or `multi_account` (names `account_id` on every call).
    pub kind: &'static str,
    /// The accounts it reaches.
    pub accounts: Vec<String>,
}

/// PostHog's part of the [`Directory`].
#[derive(Debug, Serialize)]
pub struct PostHogDirectory {
    /// Projects, by id.
    pub projects: Vec<PostHogProject>,
    /// Personal API keys, by token.
    pub personal_keys: Vec<PostHogKey>,
}

/// One PostHog project.
#[derive(Debug, Serialize)]
pub struct PostHogProject {
    /// The project id.
    pub id: i64,
    /// Project API tokens capture accepts for it.
    pub tokens: Vec<String>,
    /// Live persons.
    pub persons: usize,
    /// Events in its log.
    pub events: usize,
    /// The keys of its live feature flags, in creation order.
    pub flags: Vec<String>,
}

/// One PostHog personal API key.
#[derive(Debug, Serialize)]
pub struct PostHogKey {
    /// The bearer token.
    pub token: String,
    /// The projects its owner belongs to.
    pub member_of: BTreeSet<i64>,
    /// Projects it is limited to (`None`: all of its owner's).
    pub scoped_projects: Option<BTreeSet<i64>>,
    /// Its scopes (`None`: a legacy key allowed everything).
    pub scopes: Option<BTreeSet<String>>,
}

/// Pipedrive's part of the [`Directory`].
#[derive(Debug, Serialize)]
pub struct PipedriveDirectory {
    /// Companies, by id.
    pub companies: Vec<PipedriveCompany>,
    /// API and OAuth tokens, by token.
    pub tokens: Vec<PipedriveToken>,
}

/// One Pipedrive company.
#[derive(Debug, Serialize)]
pub struct PipedriveCompany {
    /// The company id.
    pub id: u64,
    /// Active (not deleted) persons.
    pub persons: usize,
    /// Writes in its log.
    pub writes: usize,
}

/// One Pipedrive credential.
#[derive(Debug, Serialize)]
pub struct PipedriveToken {
    /// The token (`x-api-token`, `?api_token=` or OAuth bearer).
    pub token: String,
    /// `api_token` or `oauth`.
    pub kind: &'static str,
    /// The company it reaches.
    pub company: u64,
    /// The user it acts as.
    pub user: u64,
    /// OAuth scopes (`None` for an API token).
    pub scopes: Option<BTreeSet<String>>,
}

/// The directory of `app`, sorted by id and token so two listings of one state are equal.
pub fn list(app: &App) -> Directory {
    Directory {
        whop: whop(app),
        posthog: posthog(app),
        pipedrive: pipedrive(app),
    }
}

fn whop(app: &App) -> WhopDirectory {
    let state = read_lock(&app.whop);
    let mut accounts: Vec<WhopAccount> = state
        .accounts()
        .map(|account| WhopAccount {
            id: account.id.clone(),
            people: account.person_count(),
            events: account.event_count(),
        })
        .collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    let mut keys: Vec<WhopKey> = state
        .keys
        .iter()
        .map(|(token, scope)| {
            let (kind, accounts) = match scope {
                KeyScope::Account(account) => ("account", vec![account.clone()]),
                KeyScope::MultiAccount(accounts) => {
                    ("multi_account", accounts.iter().cloned().collect())
                }
            };
            WhopKey {
                token: token.to_owned(),
                kind,
                accounts,
            }
        })
        .collect();
    keys.sort_by(|a, b| a.token.cmp(&b.token));
    WhopDirectory { accounts, keys }
}

fn posthog(app: &App) -> PostHogDirectory {
    let state = read_lock(&app.posthog);
    let tokens: Vec<(&str, i64)> = state.project_tokens().collect();
    let mut projects: Vec<PostHogProject> = state
        .projects()
        .map(|project| {
            let mut own: Vec<String> = tokens
                .iter()
                .filter(|(_, id)| *id == project.id)
                .map(|(token, _)| (*token).to_owned())
                .collect();
            own.sort();
            PostHogProject {
                id: project.id,
                tokens: own,
                persons: project.person_count(),
                events: project.event_count(),
                flags: project
                    .flags()
                    .iter()
                    .filter(|flag| !flag.deleted)
                    .map(|flag| flag.key.clone())
                    .collect(),
            }
        })
        .collect();
    projects.sort_by_key(|project| project.id);
    let mut personal_keys: Vec<PostHogKey> = state
        .keys
        .iter()
        .map(|(token, key)| PostHogKey {
            token: token.to_owned(),
            member_of: key.member_of.clone(),
            scoped_projects: key.scoped_projects.clone(),
            scopes: key.scopes.clone(),
        })
        .collect();
    personal_keys.sort_by(|a, b| a.token.cmp(&b.token));
    PostHogDirectory {
        projects,
        personal_keys,
    }
}

fn pipedrive(app: &App) -> PipedriveDirectory {
    let state = read_lock(&app.pipedrive);
    let mut companies: Vec<PipedriveCompany> = state
        .companies()
        .map(|company| PipedriveCompany {
            id: company.id,
            persons: company.active_person_count(),
            writes: company.log_len(),
        })
        .collect();
    companies.sort_by_key(|company| company.id);
    let api = state.keys.api_tokens().map(|token| ("api_token", token));
    let oauth = state.keys.oauth_tokens().map(|token| ("oauth", token));
    let mut tokens: Vec<PipedriveToken> = api
        .chain(oauth)
        .map(|(kind, (token, credential))| PipedriveToken {
            token: token.to_owned(),
            kind,
            company: credential.company,
            user: credential.user,
            scopes: credential.scopes.clone(),
        })
        .collect();
    tokens.sort_by(|a, b| a.token.cmp(&b.token));
    PipedriveDirectory { companies, tokens }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[test]
    fn lists_every_vendors_tenants_and_credentials() {
        let app = App::new(Clock::frozen_at(1_790_000_000));
        app.whop_at("").add_account_key("biz_one", "whop_key_one");
        let posthog = app.posthog_at("");
        let project_token = posthog.create_project(7);
        let (_, pipedrive_token) = app.pipedrive_at("").create_company(3);
        let directory = serde_json::to_value(list(&app)).unwrap();
        assert_eq!(directory["whop"]["accounts"][0]["id"], "biz_one");
        assert_eq!(directory["whop"]["keys"][0]["token"], "whop_key_one");
        assert_eq!(directory["whop"]["keys"][0]["kind"], "account");
        assert_eq!(directory["posthog"]["projects"][0]["id"], 7);
        posthog
            .create_flag(7, crate::posthog::FlagWrite::rollout("beta", 10.0))
            .unwrap();
        let directory = serde_json::to_value(list(&app)).unwrap();
        assert_eq!(directory["posthog"]["projects"][0]["flags"][0], "beta");
        assert_eq!(
            directory["posthog"]["projects"][0]["tokens"][0],
            project_token.as_str()
        );
        assert_eq!(directory["pipedrive"]["companies"][0]["id"], 3);
        assert_eq!(
            directory["pipedrive"]["tokens"][0]["token"],
            pipedrive_token.as_str()
        );
        assert_eq!(directory["pipedrive"]["tokens"][0]["kind"], "api_token");
    }
}
