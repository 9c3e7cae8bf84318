//! What the standalone server prints once started: each vendor's base URL, then every tenant
//! it serves with its credentials (demo, seed file, synthetic or restored alike) and a
//! `curl` to try with the first of them.

use std::fmt::Write;

use crate::router::App;
use crate::tenants::{self, Directory};

/// Tenants listed per vendor; the rest are counted and left to `GET /_admin/tenants`.
const LISTED: usize = 10;

/// Base URLs, then every tenant with the credentials that reach it.
pub(super) fn describe(app: &App, root: &str) -> String {
    let directory = tenants::list(app);
    let mut text = String::new();
    whop(&mut text, &directory, app.whop_at(root).base_url());
    posthog(&mut text, &directory, app.posthog_at(root).base_url());
    let handle = app.pipedrive_at(root);
    pipedrive(&mut text, &directory, &handle.v1_url(), &handle.v2_url());
    text
}

const INDENT: &str = "            ";

fn whop(text: &mut String, directory: &Directory, base: &str) {
    let _ = writeln!(text, "  Whop      base URL {base}");
    let mut tried = false;
    for account in directory.whop.accounts.iter().take(LISTED) {
        let keys: Vec<&str> = directory
            .whop
            .keys
            .iter()
            .filter(|key| key.accounts.contains(&account.id))
            .map(|key| key.token.as_str())
            .collect();
        let _ = writeln!(
            text,
            "{INDENT}account {} · {} people · API key {}",
            account.id,
            account.people,
            list(&keys)
        );
        if let (false, Some(key)) = (tried, keys.first()) {
            let _ = writeln!(
                text,
                "{INDENT}try: curl -H 'Authorization: Bearer {key}' '{base}/people?first=3&sort=ltv'"
            );
            tried = true;
        }
    }
    more(text, directory.whop.accounts.len(), "accounts");
}

fn posthog(text: &mut String, directory: &Directory, host: &str) {
    let _ = writeln!(text, "  PostHog   host {host}");
    let mut tried = false;
    for project in directory.posthog.projects.iter().take(LISTED) {
        let keys: Vec<&str> = directory
            .posthog
            .personal_keys
            .iter()
            .filter(|key| {
                key.member_of.contains(&project.id)
                    && key
                        .scoped_projects
                        .as_ref()
                        .is_none_or(|scoped| scoped.contains(&project.id))
            })
            .map(|key| key.token.as_str())
            .collect();
        let tokens: Vec<&str> = project.tokens.iter().map(String::as_str).collect();
        let _ = writeln!(
            text,
            "{INDENT}project {} · {} persons · personal API key {} · project token {}",
            project.id,
            project.persons,
            list(&keys),
            list(&tokens)
        );
        if !project.flags.is_empty() {
            let flags: Vec<&str> = project.flags.iter().map(String::as_str).collect();
            let _ = writeln!(text, "{INDENT}  feature flags {}", list(&flags));
        }
        if let (false, Some(key)) = (tried, keys.first()) {
            let _ = writeln!(
                text,
                "{INDENT}try: curl -H 'Authorization: Bearer {key}' '{host}/api/projects/{}/persons/?limit=3'",
                project.id
            );
            tried = true;
        }
    }
    more(text, directory.posthog.projects.len(), "projects");
}

fn pipedrive(text: &mut String, directory: &Directory, v1: &str, v2: &str) {
    let _ = writeln!(text, "  Pipedrive v1 {v1} · v2 {v2}");
    let mut tried = false;
    for company in directory.pipedrive.companies.iter().take(LISTED) {
        let tokens = |kind: &str| -> Vec<&str> {
            directory
                .pipedrive
                .tokens
                .iter()
                .filter(|token| token.company == company.id && token.kind == kind)
                .map(|token| token.token.as_str())
                .collect()
        };
        let (api, oauth) = (tokens("api_token"), tokens("oauth"));
        let _ = write!(
            text,
            "{INDENT}company {} · {} persons · API token {}",
            company.id,
            company.persons,
            list(&api)
        );
        if !oauth.is_empty() {
            let _ = write!(text, " · OAuth token {}", list(&oauth));
        }
        text.push('\n');
        if let (false, Some(token)) = (tried, api.first()) {
            let _ = writeln!(
                text,
                "{INDENT}try: curl -H 'x-api-token: {token}' '{v2}/persons?limit=3&include_fields=open_deals_count'"
            );
            tried = true;
        }
    }
    more(text, directory.pipedrive.companies.len(), "companies");
}

/// `a, b`, or `none` for no credential.
fn list(credentials: &[&str]) -> String {
    if credentials.is_empty() {
        "none".to_owned()
    } else {
        credentials.join(", ")
    }
}

fn more(text: &mut String, total: usize, what: &str) {
    if total > LISTED {
        let _ = writeln!(
            text,
            "{INDENT}… and {} more {what} (GET /_admin/tenants lists them all)",
            total - LISTED
        );
    }
}
