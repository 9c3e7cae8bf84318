//! The Pipedrive section of a seed: companies, each with its log of [`Entry`]s, and the
//! credentials (API and OAuth tokens).
//!
//! A company's log is the one it keeps in memory: [`PipedriveState::export_seed`] copies it,
//! and [`PipedriveState::load_seed`] applies every entry to a scratch company through
//! [`Company::apply`] (the write path of the API's handlers and the typed handle) and adds
//! the companies only when all of them apply, so records, links, counters, the search index,
//! changelogs, followers and flows come out exactly as they were, and so do the id sequences
//! (replaying the log draws the same ids). Only what no log holds is written beside it: the
//! tokens, and how many tokens the mock generated. The format is described in
//! `docs/pipedrive.md` ("Seed format").

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::keys::Credential;
use super::log::Entry;
use super::model::Id;
use super::state::{PipedriveState, TokenKind, give_user_id};
use super::tenant::{Company, RecordError};
use crate::clock::Clock;
use crate::durable::unlogged;
use crate::seed::SeedError;

/// The scopes of an OAuth token that names none.
pub const DEFAULT_SCOPES: [&str; 1] = ["admin"];

/// The Pipedrive section of a seed file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipedriveSeed {
    /// The companies, by id in an export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<CompanySeed>,
    /// How many tokens the mock had generated, so tokens generated after a load are new
    /// ones (exports carry it; hand-written seeds leave it out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tokens_issued: u64,
}

impl PipedriveSeed {
    /// Whether the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self.companies.is_empty() && self.tokens_issued == 0
    }
}

/// One company: its log, then its credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySeed {
    /// Company id; one above the highest company id so far when left out. It must not
    /// exist yet: a seed adds companies, it never writes into one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// The company's writes, oldest first, each a single-key map (`- person: {…}`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "serde_norway::with::singleton_map_recursive"
    )]
    pub log: Vec<Entry>,
    /// API tokens (one per user at most).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_tokens: Vec<ApiTokenSeed>,
    /// OAuth access tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_tokens: Vec<OAuthTokenSeed>,
}

/// An API token: acts as its user with every permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenSeed {
    /// The user (of this company) it acts as; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// The token; a generated 40-hex one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// An OAuth access token, limited to its scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthTokenSeed {
    /// The user (of this company) it acts as; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// The token; a generated `<company>:<user>:<hex>` one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Scopes such as `contacts:read`; `[admin]` (everything) when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<BTreeSet<String>>,
}

impl PipedriveState {
    /// Everything in this state as a seed, in a stable order (two exports of equal states
    /// are equal): companies by id, each with its whole log, tokens by user then token.
    /// Tokens whose user is not in their company authenticate nothing and are left out.
    pub fn export_seed(&self) -> PipedriveSeed {
        let mut api: BTreeMap<Id, Vec<ApiTokenSeed>> = BTreeMap::new();
        let mut oauth: BTreeMap<Id, Vec<OAuthTokenSeed>> = BTreeMap::new();
        for (token, credential) in self.keys.api_tokens().filter(|(_, c)| self.usable(c)) {
            api.entry(credential.company)
                .or_default()
                .push(ApiTokenSeed {
                    user_id: Some(credential.user),
                    token: Some(token.to_owned()),
                });
        }
        for (token, credential) in self.keys.oauth_tokens().filter(|(_, c)| self.usable(c)) {
            oauth
                .entry(credential.company)
                .or_default()
                .push(OAuthTokenSeed {
                    user_id: Some(credential.user),
                    token: Some(token.to_owned()),
                    scopes: credential.scopes.clone(),
                });
        }
        let companies = self
            .companies()
            .map(|company| {
                let mut api_tokens = api.remove(&company.id).unwrap_or_default();
                api_tokens.sort_by(|a, b| (a.user_id, &a.token).cmp(&(b.user_id, &b.token)));
                let mut oauth_tokens = oauth.remove(&company.id).unwrap_or_default();
                oauth_tokens.sort_by(|a, b| (a.user_id, &a.token).cmp(&(b.user_id, &b.token)));
                CompanySeed {
                    id: Some(company.id),
                    log: company.log().iter().collect(),
                    api_tokens,
                    oauth_tokens,
                }
            })
            .collect();
        PipedriveSeed {
            companies,
            tokens_issued: self.tokens_issued(),
        }
    }

    /// Whether a credential reaches anything: its user belongs to its company.
    fn usable(&self, credential: &Credential) -> bool {
        self.company(credential.company)
            .is_some_and(|company| company.users.contains_key(&credential.user))
    }

    /// Adds the seed's companies and tokens to this state. All or nothing: on error the
    /// state is unchanged and the error names the place at fault. Companies that already
    /// exist, user ids or tokens already in use are errors; entries without a time happen
    /// at `clock`'s now.
    pub fn load_seed(&mut self, seed: &PipedriveSeed, clock: &Clock) -> Result<(), SeedError> {
        let mut users = UserIds {
            taken: self
                .companies()
                .flat_map(|company| company.users.keys().copied())
                .collect(),
            last: self.last_user_id(),
        };
        let mut company_ids: BTreeSet<Id> = self.companies().map(|company| company.id).collect();
        let mut tokens = Tokens {
            state: &*self,
            seen: HashSet::new(),
            issued: self.tokens_issued().max(seed.tokens_issued),
        };
        let mut built = Vec::with_capacity(seed.companies.len());
        for (at, company) in seed.companies.iter().enumerate() {
            let path = format!("pipedrive.companies[{at}]");
            let id = company_id(company.id, &company_ids, &path)?;
            company_ids.insert(id);
            built.push(build(id, company, clock, &mut users, &mut tokens, &path)?);
        }
        let issued = tokens.issued;
        for Built {
            company,
            api_tokens,
            oauth_tokens,
        } in built
        {
            let company_id = company.id;
            self.insert_company(company);
            for (token, user) in api_tokens {
                self.keys.insert_api_token(token, company_id, user);
            }
            for (token, user, scopes) in oauth_tokens {
                self.keys
                    .insert_oauth_token(token, company_id, user, scopes);
            }
        }
        self.observe_tokens_issued(issued);
        Ok(())
    }
}

/// A company ready to add, with its credentials.
struct Built {
    company: Company,
    api_tokens: Vec<(String, Id)>,
    oauth_tokens: Vec<(String, Id, BTreeSet<String>)>,
}

/// User ids are unique across the mock: the ones taken (by the state and by the seed so
/// far) and the highest.
struct UserIds {
    taken: HashSet<Id>,
    last: Id,
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
            format!("company {id} already exists; a seed adds companies, it never writes into one"),
        ));
    }
    Ok(id)
}

/// Company `id` built from its seed: every entry applied to a new company (users given ids
/// unique across the mock), tokens resolved.
fn build(
    id: Id,
    seed: &CompanySeed,
    clock: &Clock,
    users: &mut UserIds,
    tokens: &mut Tokens<'_>,
    path: &str,
) -> Result<Built, SeedError> {
    let now = clock.timestamp();
    let mut company = Company::new(id);
    for (at, entry) in seed.log.iter().enumerate() {
        let mut entry = entry.clone();
        let place = format!("{path}.log[{at}].{}", entry.kind());
        let refusal = |error: RecordError| {
            let field = error
                .field
                .map(|field| format!(".{field}"))
                .unwrap_or_default();
            SeedError::new(format!("{place}{field}"), error.reason.to_string())
        };
        if let Entry::User(user) = &mut entry {
            let user =
                give_user_id(user, users.last, |id| users.taken.contains(&id)).map_err(refusal)?;
            users.taken.insert(user);
            users.last = users.last.max(user);
        }
        company.apply(entry, now, &mut unlogged).map_err(refusal)?;
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

fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::http::{ApiRequest, ApiResponse};
    use crate::pipedrive::image::png_header;
    use crate::pipedrive::log::{
        ActivityEntry, DealEntry, DeleteEntry, FileEntry, FollowerEntry, MergeEntry, NoteEntry,
        ParticipantEntry, PersonDeleteEntry, PersonEntry, PictureDeleteEntry, PictureEntry,
    };
    use crate::pipedrive::model::{ContactEntry, DealStatus};
    use crate::pipedrive::render_v2::INCLUDE_FIELDS;
    use crate::pipedrive::{NewMail, demo};
    use crate::router::App;
    use crate::seed::Seed;
    use crate::vendor_handle::{read_lock, write_lock};

    const START: i64 = 1_767_225_600;

    fn request(method: &str, path: &str, token: &str, body: Option<&Value>) -> ApiRequest {
        let request = ApiRequest::new(method, &format!("/pipedrive{path}"));
        let request = match token.strip_prefix("bearer ") {
            Some(bearer) => request.with_header("authorization", &format!("Bearer {bearer}")),
            None => request.with_header("x-api-token", token),
        };
        match body {
            Some(body) => request
                .with_header("content-type", "application/json")
                .with_body(body.to_string()),
            None => request,
        }
    }

    /// Sends a write that must succeed; answers its body.
    fn write(app: &App, method: &str, path: &str, token: &str, body: Value) -> Value {
        let response = app.handle(&request(method, path, token, Some(&body)));
        assert!(
            response.status < 300,
            "{method} {path}: {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
        response.json_body()
    }

    fn id_of(body: &Value) -> Id {
        body["data"]["id"].as_u64().expect("an id in data")
    }

    fn upload_picture(app: &App, person: Id, token: &str) -> ApiResponse {
        let boundary = "seedboundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend(png_header(256, 256));
        body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let request = ApiRequest::new("POST", &format!("/pipedrive/v1/persons/{person}/picture"))
            .with_header("x-api-token", token)
            .with_header(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .with_body(body);
        app.handle(&request)
    }

    /// The credentials of the busy state.
    struct Keys {
        admin: String,
        seller: String,
        reader: String,
        other: String,
        seller_id: Id,
    }

    /// A state written through every kind of write: both API versions, and the typed
    /// handle for what the API cannot create.
    fn busy() -> (App, Keys) {
        let app = App::new(Clock::frozen_at(START));
        let pipedrive = app.pipedrive_at("http://mock");
        let tick = || app.clock.advance(Duration::from_secs(3_600));
        let (admin_id, admin) = pipedrive.create_company(1);
        let seller_id = pipedrive.add_user(1, "Sam Seller", "sam@one.example", false);
        pipedrive.add_api_token(1, seller_id, None);
        let seller = pipedrive.add_api_token(1, seller_id, None);
        let reader = pipedrive.create_oauth_token(
            1,
            seller_id,
            &[
                "contacts:read",
                "recents:read",
                "deals:read",
                "activities:read",
            ],
        );
        pipedrive.create_oauth_token(1, admin_id, &["admin"]);
        let (_, other) = pipedrive.create_company(2);
        let acme = pipedrive
            .create_organization(1, "Acme", admin_id, Some("1 Main St"))
            .unwrap();
        let globex = pipedrive
            .create_organization(1, "Globex", admin_id, None)
            .unwrap();
        let a = admin.as_str();
        let field = |body: Value| write(&app, "POST", "/v1/personFields", a, body)["data"].clone();
        let tier = field(
            json!({"name": "Tier", "field_type": "enum", "options": [{"label": "Gold"}, {"label": "Silver"}]}),
        );
        let tier_key = tier["key"].as_str().unwrap().to_owned();
        let gold = tier["options"][0]["id"].as_u64().unwrap();
        let silver = tier["options"][1]["id"].as_u64().unwrap();
        let source_key = field(json!({"name": "Source", "field_type": "varchar"}))["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let budget_key = field(json!({"name": "Budget", "field_type": "monetary"}))["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let tags = field(
            json!({"name": "Tags", "field_type": "set", "options": [{"label": "a"}, {"label": "b"}]}),
        );
        let tags_key = tags["key"].as_str().unwrap().to_owned();
        let tag_ids: Vec<u64> = (0..2)
            .map(|at| tags["options"][at]["id"].as_u64().unwrap())
            .collect();
        tick();
        let ada = id_of(&write(
            &app,
            "POST",
            "/v1/persons",
            a,
            json!({
                "name": "Ada Lovelace",
                "email": [{"value": "ada@engines.example", "primary": true, "label": "work"}],
                "phone": [{"value": "+372 555 0101", "label": "mobile"}],
                "org_id": acme,
                "label": 1,
                tier_key.clone(): gold.to_string(),
                source_key.clone(): "Web",
                budget_key.clone(): 1200,
                format!("{budget_key}_currency"): "USD",
            }),
        ));
        tick();
        let grace = id_of(&write(
            &app,
            "POST",
            "/api/v2/persons",
            a,
            json!({
                "name": "Grace Hopper",
                "emails": [{"value": "grace@navy.example", "primary": true, "label": "work"}],
                "org_id": globex,
                "custom_fields": {tags_key.clone(): tag_ids, source_key.clone(): "Event"},
            }),
        ));
        let alan = id_of(&write(
            &app,
            "POST",
            "/v1/persons",
            a,
            json!({"name": "Alan Turing", "owner_id": seller_id, "visible_to": 1}),
        ));
        let linus = id_of(&write(
            &app,
            "POST",
            "/v1/persons",
            a,
            json!({"name": "Linus Torvalds", "add_time": "2020-01-01 10:00:00"}),
        ));
        let radia = id_of(&write(
            &app,
            "POST",
            "/api/v2/persons",
            a,
            json!({"name": "Radia Perlman", "org_id": acme}),
        ));
        let dup = id_of(&write(
            &app,
            "POST",
            "/v1/persons",
            a,
            json!({"name": "A. Lovelace", "email": ["ada@home.example"], "org_id": acme}),
        ));
        write(
            &app,
            "POST",
            "/v1/persons",
            &other,
            json!({"name": "Barbara Liskov"}),
        );
        tick();
        write(
            &app,
            "PUT",
            &format!("/v1/persons/{ada}"),
            a,
            json!({"name": "Ada King", "phone": ["+372 555 0202"], tier_key.clone(): silver.to_string()}),
        );
        write(
            &app,
            "PATCH",
            &format!("/api/v2/persons/{grace}"),
            a,
            json!({"org_id": null, "custom_fields": {source_key.clone(): null}}),
        );
        tick();
        let won = id_of(&write(
            &app,
            "POST",
            "/v1/deals",
            a,
            json!({"title": "Engines", "value": 5000, "person_id": ada, "org_id": acme}),
        ));
        write(
            &app,
            "PUT",
            &format!("/v1/deals/{won}"),
            a,
            json!({"status": "won"}),
        );
        let shared = id_of(&write(
            &app,
            "POST",
            "/api/v2/deals",
            a,
            json!({"title": "Compilers", "value": 100, "person_id": grace}),
        ));
        write(
            &app,
            "POST",
            &format!("/v1/deals/{shared}/participants"),
            a,
            json!({"person_id": ada}),
        );
        let lost = id_of(&write(
            &app,
            "POST",
            "/v1/deals",
            a,
            json!({"title": "Lost cause", "person_id": radia}),
        ));
        write(
            &app,
            "PUT",
            &format!("/v1/deals/{lost}"),
            a,
            json!({"status": "lost", "lost_reason": "Budget"}),
        );
        let doomed = id_of(&write(
            &app,
            "POST",
            "/v1/deals",
            a,
            json!({"title": "Doomed", "person_id": dup}),
        ));
        tick();
        write(&app, "DELETE", &format!("/v1/deals/{doomed}"), a, json!({}));
        let call = id_of(&write(
            &app,
            "POST",
            "/v1/activities",
            a,
            json!({
                "subject": "Call Ada", "type": "call", "person_id": ada, "due_date": "2026-01-20",
                "due_time": "10:00", "duration": "00:30",
                "participants": [{"person_id": grace, "primary_flag": false}],
            }),
        ));
        write(
            &app,
            "POST",
            "/api/v2/activities",
            a,
            json!({"subject": "Meet", "type": "meeting", "person_id": grace, "deal_id": shared, "done": true}),
        );
        write(
            &app,
            "POST",
            "/v1/activities",
            a,
            json!({"person_id": dup, "subject": "Dup call"}),
        );
        tick();
        write(
            &app,
            "PUT",
            &format!("/v1/activities/{call}"),
            a,
            json!({"done": true}),
        );
        let scrap = id_of(&write(
            &app,
            "POST",
            "/v1/activities",
            a,
            json!({"person_id": radia}),
        ));
        write(
            &app,
            "DELETE",
            &format!("/v1/activities/{scrap}"),
            a,
            json!({}),
        );
        let note = id_of(&write(
            &app,
            "POST",
            "/v1/notes",
            a,
            json!({"content": "Met at the conference", "person_id": ada}),
        ));
        tick();
        write(
            &app,
            "PUT",
            &format!("/v1/notes/{note}"),
            a,
            json!({"content": "Met at the engine conference"}),
        );
        let temporary = id_of(&write(
            &app,
            "POST",
            "/v1/notes",
            a,
            json!({"content": "Temporary", "person_id": grace}),
        ));
        write(
            &app,
            "DELETE",
            &format!("/v1/notes/{temporary}"),
            a,
            json!({}),
        );
        write(
            &app,
            "POST",
            "/v1/notes",
            a,
            json!({"content": "About the deal", "deal_id": won}),
        );
        write(
            &app,
            "POST",
            "/v1/notes",
            a,
            json!({"content": "Duplicate's note", "person_id": dup}),
        );
        write(
            &app,
            "POST",
            &format!("/v1/persons/{ada}/followers"),
            a,
            json!({"user_id": seller_id}),
        );
        write(
            &app,
            "POST",
            &format!("/api/v2/persons/{grace}/followers"),
            a,
            json!({"user_id": seller_id}),
        );
        write(
            &app,
            "POST",
            &format!("/v1/persons/{dup}/followers"),
            a,
            json!({"user_id": admin_id}),
        );
        tick();
        write(
            &app,
            "DELETE",
            &format!("/api/v2/persons/{grace}/followers/{seller_id}"),
            a,
            json!({}),
        );
        assert_eq!(upload_picture(&app, ada, a).status, 200);
        assert_eq!(upload_picture(&app, radia, a).status, 200);
        tick();
        write(
            &app,
            "DELETE",
            &format!("/v1/persons/{radia}/picture"),
            a,
            json!({}),
        );
        pipedrive
            .attach_file(1, ada, admin_id, "proposal.pdf", 1_024)
            .unwrap();
        pipedrive
            .attach_file(1, dup, admin_id, "dup.PNG", 10)
            .unwrap();
        let mail = |subject: &str, sent: bool, person: Id, at: i64| NewMail {
            user_id: admin_id,
            from: "admin@company1.example".into(),
            to: vec!["ada@engines.example".into()],
            subject: subject.into(),
            sent,
            message_time: Some(at),
            person_ids: vec![person],
        };
        pipedrive
            .record_mail(1, mail("Engines", true, ada, START + 100))
            .unwrap();
        pipedrive
            .record_mail(1, mail("Re: Engines", false, dup, START + 200))
            .unwrap();
        let product = pipedrive
            .create_product(1, admin_id, "Engine", Some("ENG-1"))
            .unwrap();
        pipedrive
            .attach_product(1, won, product, 2_500.0, 2)
            .unwrap();
        tick();
        write(
            &app,
            "PUT",
            &format!("/v1/persons/{dup}/merge"),
            a,
            json!({"merge_with_id": ada}),
        );
        tick();
        write(
            &app,
            "DELETE",
            &format!("/v1/persons?ids={linus},{linus}"),
            a,
            json!({}),
        );
        write(
            &app,
            "DELETE",
            &format!("/api/v2/persons/{alan}"),
            a,
            json!({}),
        );
        // Ids used up without a record to show for them: the options of a field type that
        // has none. A refused mail (for a deleted person) uses up nothing.
        field(json!({"name": "Note", "field_type": "varchar", "options": [{"label": "dropped"}]}));
        let refused = pipedrive.record_mail(1, mail("To nobody", true, linus, START));
        assert!(refused.is_err());
        let keys = Keys {
            admin,
            seller,
            reader,
            other,
            seller_id,
        };
        (app, keys)
    }

    /// The ids of every record of `company` of one table.
    fn ids<T>(app: &App, table: impl Fn(&super::super::tenant::Company) -> Vec<T>) -> Vec<T> {
        read_lock(&app.pipedrive)
            .company(1)
            .map(table)
            .unwrap_or_default()
    }

    /// A representative set of reads: lists with sorts, filters and pages, every person's
    /// detail and history, every deal, activity and note, through several credentials.
    fn reads(app: &App, keys: &Keys) -> Vec<(String, ApiResponse)> {
        let persons = ids(app, |company| company.persons.keys().copied().collect());
        let deals = ids(app, |company| company.deals.keys().copied().collect());
        let activities = ids(app, |company| company.activities.keys().copied().collect());
        let notes = ids(app, |company| company.notes.keys().copied().collect());
        let fields = ids(app, |company| {
            company
                .fields
                .iter()
                .map(|field| field.key.clone())
                .collect()
        });
        let include = INCLUDE_FIELDS.join(",");
        let mut paths: Vec<(String, &str)> = [
            "/v1/persons".to_owned(),
            "/v1/persons?sort=name%20DESC&limit=3".to_owned(),
            "/v1/persons?sort=update_time,id%20DESC&start=2&limit=2".to_owned(),
            "/v1/persons?sort=open_deals_count%20DESC,activities_count%20DESC".to_owned(),
            format!("/v1/persons?user_id={}", keys.seller_id),
            "/v1/persons?first_char=a".to_owned(),
            "/v1/persons/collection".to_owned(),
            "/v1/persons/search?term=ada".to_owned(),
            "/v1/persons/search?term=conference&fields=notes".to_owned(),
            "/v1/persons/search?term=555&fields=phone".to_owned(),
            "/v1/personFields".to_owned(),
            format!("/api/v2/persons?sort_by=update_time&sort_direction=desc&include_fields={include}&include_labels=true&include_option_labels=true"),
            "/api/v2/persons?limit=2".to_owned(),
            format!("/api/v2/persons?custom_fields={}", fields.join(",")),
            "/api/v2/persons/search?term=lovelace".to_owned(),
        ]
        .into_iter()
        .map(|path| (path, keys.admin.as_str()))
        .collect();
        for id in &persons {
            for path in [
                format!("/v1/persons/{id}"),
                format!("/api/v2/persons/{id}?include_fields={include}"),
                format!("/v1/persons/{id}/flow?all_changes=1"),
                format!("/v1/persons/{id}/flow?limit=2&start=1"),
                format!("/v1/persons/{id}/changelog"),
                format!("/v1/persons/{id}/followers"),
                format!("/api/v2/persons/{id}/followers"),
                format!("/api/v2/persons/{id}/followers/changelog"),
                format!("/v1/persons/{id}/deals"),
                format!("/v1/persons/{id}/deals?status=deleted"),
                format!("/v1/persons/{id}/activities"),
                format!("/v1/persons/{id}/files"),
                format!("/v1/persons/{id}/mailMessages"),
                format!("/v1/persons/{id}/products"),
                format!("/v1/persons/{id}/permittedUsers"),
                format!("/api/v2/persons/{id}/picture"),
            ] {
                paths.push((path, keys.admin.as_str()));
            }
            paths.push((format!("/v1/persons/{id}"), keys.seller.as_str()));
        }
        for id in &deals {
            paths.push((format!("/v1/deals/{id}"), keys.admin.as_str()));
            paths.push((format!("/api/v2/deals/{id}"), keys.admin.as_str()));
        }
        for id in &activities {
            paths.push((format!("/v1/activities/{id}"), keys.admin.as_str()));
            paths.push((format!("/api/v2/activities/{id}"), keys.admin.as_str()));
        }
        for id in &notes {
            paths.push((format!("/v1/notes/{id}"), keys.admin.as_str()));
        }
        let reader = format!("bearer {}", keys.reader);
        for path in ["/v1/persons", "/api/v2/persons", "/v1/persons/1/changelog"] {
            paths.push((path.to_owned(), reader.as_str()));
            paths.push((path.to_owned(), keys.seller.as_str()));
        }
        paths.push(("/v1/persons".to_owned(), keys.other.as_str()));
        paths
            .into_iter()
            .map(|(path, token)| {
                let response = app.handle(&request("GET", &path, token, None));
                (format!("{token} GET {path}"), response)
            })
            .collect()
    }

    /// Asserts that both apps answer every read with the same status and bytes.
    fn assert_same_reads(left: &[(String, ApiResponse)], right: &[(String, ApiResponse)]) {
        assert_eq!(left.len(), right.len());
        for ((label, a), (_, b)) in left.iter().zip(right) {
            assert_eq!(a.status, b.status, "{label}");
            assert!(
                a.body == b.body,
                "{label}\n{}\n{}",
                String::from_utf8_lossy(&a.body),
                String::from_utf8_lossy(&b.body)
            );
        }
    }

    /// A fresh app at `original`'s time, loaded with `seed`.
    fn reloaded(original: &App, seed: &PipedriveSeed) -> App {
        let app = App::new(Clock::frozen_at(original.clock.now()));
        write_lock(&app.pipedrive)
            .load_seed(seed, &app.clock)
            .unwrap();
        app
    }

    fn export(app: &App) -> PipedriveSeed {
        read_lock(&app.pipedrive).export_seed()
    }

    #[test]
    fn every_write_survives_an_export_and_a_load() {
        let (original, keys) = busy();
        let seed = export(&original);
        assert_eq!(seed.companies.len(), 2);
        let text = Seed {
            pipedrive: seed.clone(),
            ..Seed::default()
        }
        .to_json();
        let parsed = Seed::from_json(&text).unwrap().pipedrive;
        assert_eq!(parsed, seed, "the JSON form reads back");
        let yaml = serde_norway::to_string(&Seed {
            pipedrive: seed.clone(),
            ..Seed::default()
        })
        .unwrap();
        assert!(yaml.contains("- person_merge:"), "single-key maps in YAML");
        assert_eq!(Seed::from_yaml(&yaml).unwrap().pipedrive, seed);

        let kinds: BTreeSet<&str> = seed.companies[0]
            .log
            .iter()
            .map(|entry| {
                let value = serde_json::to_value(entry).unwrap();
                let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
                assert_eq!(keys, [entry.kind()], "the key names the entry");
                entry.kind()
            })
            .collect();
        assert_eq!(kinds.len(), 25, "every kind of entry: {kinds:?}");

        let copy = reloaded(&original, &parsed);
        assert_eq!(export(&copy), seed, "a second export equals the first");
        let before = reads(&original, &keys);
        let failing: Vec<(&str, u16)> = before
            .iter()
            .filter(|(_, r)| r.status != 200)
            .map(|(label, r)| (label.as_str(), r.status))
            .collect();
        assert!(
            before.len() > 120 && failing.len() * 3 < before.len(),
            "{failing:#?} of {}",
            before.len()
        );
        assert_same_reads(&before, &reads(&copy, &keys));
    }

    #[test]
    fn ids_issued_after_a_load_continue_the_sequences() {
        let (original, keys) = busy();
        let copy = reloaded(&original, &export(&original));
        let a = keys.admin.as_str();
        for app in [&original, &copy] {
            app.clock.advance(Duration::from_secs(60));
        }
        let next = |app: &App| {
            let field = write(
                app,
                "POST",
                "/v1/personFields",
                a,
                json!({"name": "Later", "field_type": "enum", "options": [{"label": "x"}]}),
            );
            let person = write(
                app,
                "POST",
                "/v1/persons",
                a,
                json!({"name": "Later Person"}),
            );
            let id = id_of(&person);
            let follower = write(
                app,
                "POST",
                &format!("/v1/persons/{id}/followers"),
                a,
                json!({"user_id": keys.seller_id}),
            );
            let deal = write(
                app,
                "POST",
                "/v1/deals",
                a,
                json!({"title": "Later", "person_id": id}),
            );
            let participant = write(
                app,
                "POST",
                &format!("/v1/deals/{}/participants", id_of(&deal)),
                a,
                json!({"person_id": 1}),
            );
            let picture = upload_picture(app, id, a).json_body();
            let update = write(
                app,
                "PUT",
                &format!("/v1/persons/{id}"),
                a,
                json!({"name": "Renamed"}),
            );
            let changelog = app.handle(&request(
                "GET",
                &format!("/v1/persons/{id}/changelog"),
                a,
                None,
            ));
            let pipedrive = app.pipedrive_at("http://mock");
            let user = pipedrive.add_user(1, "New", "new@one.example", false);
            let token = pipedrive.add_api_token(1, user, None);
            let oauth = pipedrive.create_oauth_token(1, user, &["contacts:read"]);
            let mail = pipedrive
                .record_mail(
                    1,
                    NewMail {
                        user_id: user,
                        from: "x@y.example".into(),
                        subject: "Hi".into(),
                        ..NewMail::default()
                    },
                )
                .unwrap();
            let thread = pipedrive.with_company(1, |company| company.mails[&mail].thread_id);
            json!([
                thread,
                field,
                person,
                follower,
                deal,
                participant,
                picture,
                update,
                changelog.json_body(),
                user,
                token,
                oauth,
                mail
            ])
        };
        let (left, right) = (next(&original), next(&copy));
        assert_eq!(left, right);
        assert_ne!(left[10], Value::String(keys.seller.clone()));
    }

    #[test]
    fn the_demo_company_survives_an_export_and_a_load() {
        let original = App::new(Clock::frozen_at(START));
        demo::load(&original.pipedrive_at("http://mock")).unwrap();
        let seed = export(&original);
        let copy = reloaded(&original, &seed);
        assert_eq!(export(&copy), seed);
        let read = |app: &App| -> Vec<(String, ApiResponse)> {
            let mut paths = vec![
                "/v1/persons?limit=500".to_owned(),
                "/v1/persons?sort=notes_count%20DESC,name&start=100&limit=50".to_owned(),
                "/api/v2/persons?sort_by=add_time&sort_direction=desc&limit=500&include_fields=activities_count,files_count,email_messages_count,followers_count".to_owned(),
                "/v1/persons/search?term=lovelace".to_owned(),
                "/v1/persons/search?term=conference&fields=notes".to_owned(),
                "/v1/personFields".to_owned(),
            ];
            for id in (1..=demo::DEMO_PERSONS).step_by(7) {
                paths.push(format!("/v1/persons/{id}"));
                paths.push(format!("/v1/persons/{id}/flow"));
                paths.push(format!("/v1/persons/{id}/activities"));
                paths.push(format!("/v1/persons/{id}/mailMessages"));
            }
            paths
                .into_iter()
                .map(|path| {
                    let response = app.handle(&request("GET", &path, demo::DEMO_TOKEN, None));
                    assert_eq!(response.status, 200, "{path}");
                    (path, response)
                })
                .collect()
        };
        assert_same_reads(&read(&original), &read(&copy));
    }

    #[test]
    fn a_minimal_hand_written_yaml_seed_loads_and_is_served() {
        let key = "7e10000000000000000000000000000000000000";
        let yaml = format!(
            r#"
pipedrive:
  companies:
    - log:
        - user: {{name: Ann Admin, email: ann@example.com, is_admin: true}}
        - organization: {{name: Initech}}
        - person_field: {{name: Tier, key: {key}, field_type: enum, options: [{{label: Gold}}]}}
        - person:
            name: Peter Gibbons
            emails: [{{value: peter@initech.example}}]
            org_id: 1
            custom_fields: {{{key}: 5}}
            time: 2026-01-02T09:00:00.250Z
        - deal: {{title: TPS reports, person_id: 1, status: won}}
        - activity: {{person_id: 1, due_date: "2026-02-01", due_time: "09:30:00"}}
      api_tokens:
        - token: initech
"#
        );
        let seed = Seed::from_yaml(&yaml).unwrap();
        let app = App::new(Clock::frozen_at(START));
        app.load_seed(&seed).unwrap();
        let person = app.handle(&request("GET", "/v1/persons/1", "initech", None));
        assert_eq!(
            person.status,
            200,
            "{}",
            String::from_utf8_lossy(&person.body)
        );
        let data = &person.json_body()["data"];
        assert_eq!(data["name"], "Peter Gibbons");
        assert_eq!(data["org_id"]["name"], "Initech");
        assert_eq!(data[key], "5", "option ids follow the four built-in labels");
        assert_eq!(data["won_deals_count"], 1);
        assert_eq!(data["undone_activities_count"], 1);
        assert_eq!(data["next_activity_time"], "09:30:00");
        assert_eq!(data["add_time"], "2026-01-02 09:00:00");
        let deal = app
            .handle(&request("GET", "/api/v2/deals/1", "initech", None))
            .json_body();
        assert_eq!(deal["data"]["owner_id"], 1, "the first user by default");
        assert_eq!(deal["data"]["won_time"], deal["data"]["add_time"]);
        let activity = app
            .handle(&request("GET", "/api/v2/activities/1", "initech", None))
            .json_body();
        assert_eq!(activity["data"]["subject"], "Call");
    }

    /// An activity's subject and due date default to its capitalised type and the day of the
    /// write; given ones are kept.
    #[test]
    fn an_activity_gets_defaults_only_where_its_entry_has_none() {
        let yaml = r#"
pipedrive:
  companies:
    - log:
        - user: {name: Ann Admin, email: ann@example.com, is_admin: true}
        - person: {name: Peter Gibbons}
        - activity: {person_id: 1, type: meeting}
        - activity: {person_id: 1, type: meeting, subject: Sync, due_date: "2026-02-01"}
      api_tokens:
        - token: initech
"#;
        let app = App::new(Clock::frozen_at(START));
        app.load_seed(&Seed::from_yaml(yaml).unwrap()).unwrap();
        let activity = |id: u64| {
            let path = format!("/api/v2/activities/{id}");
            app.handle(&request("GET", &path, "initech", None))
                .json_body()["data"]
                .clone()
        };
        assert_eq!(activity(1)["subject"], "Meeting");
        assert_eq!(activity(1)["due_date"], "2026-01-01");
        assert_eq!(activity(2)["subject"], "Sync");
        assert_eq!(activity(2)["due_date"], "2026-02-01");
    }

    #[test]
    fn the_example_seed_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/pipedrive.yaml");
        let seed = Seed::from_file(&path).unwrap();
        let app = App::new(Clock::frozen_at(START));
        demo::load(&app.pipedrive_at("http://mock")).unwrap();
        app.load_seed(&seed).unwrap();
        let get = |path: &str, token: &str| {
            let response = app.handle(&request("GET", path, token, None));
            assert_eq!(response.status, 200, "{path}");
            response.json_body()
        };
        let list = get("/v1/persons?sort=name", "acme_admin_token");
        let names: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|person| person["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Ada Lovelace", "Alan Turing", "Grace Brewster Hopper"]
        );
        let ada = &list["data"][0];
        assert_eq!(ada["won_deals_count"], 1);
        assert_eq!(ada["email_messages_count"], 2);
        assert_eq!(ada["followers_count"], 1);
        assert_eq!(ada["email"].as_array().unwrap().len(), 2, "merged e-mail");
        let seller = get("/v1/persons", "acme_seller_token");
        assert_eq!(seller["data"].as_array().unwrap().len(), 3, "Sam owns Alan");
        let readonly = get("/api/v2/persons", "bearer acme_readonly_oauth");
        assert_eq!(readonly["data"].as_array().unwrap().len(), 3);
        let changelog = get("/v1/persons/2/changelog", "acme_admin_token");
        assert_eq!(changelog["data"][0]["time"], "2026-01-07 09:30:00");
        let beta = get("/v1/persons", "beta_admin_token");
        assert_eq!(beta["data"][0]["name"], "Barbara Liskov");
        assert_eq!(
            app.handle(&request("GET", "/v1/persons/2", "beta_admin_token", None))
                .status,
            404,
            "companies stay apart"
        );
        let demo_list = get("/v1/persons?limit=1", demo::DEMO_TOKEN);
        assert_eq!(demo_list["data"][0]["id"], 1, "the demo is untouched");
        let again = reloaded(&app, &export(&app));
        assert_eq!(export(&again), export(&app));
    }

    #[test]
    fn the_documented_example_loads() {
        let docs = include_str!("../../../docs/pipedrive.md");
        let section = &docs[docs.find("## Seed format").unwrap()..];
        let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
        let end = start + section[start..].find("```").unwrap();
        let seed = Seed::from_yaml(&section[start..end]).unwrap();
        let app = App::new(Clock::frozen_at(START));
        app.load_seed(&seed).unwrap();
        let ada = app
            .handle(&request(
                "GET",
                "/api/v2/persons/1?include_fields=won_deals_count,followers_count",
                "bearer acme_oauth",
                None,
            ))
            .json_body();
        assert_eq!(ada["data"]["won_deals_count"], 1);
        assert_eq!(ada["data"]["followers_count"], 1);
        assert_eq!(
            ada["data"]["custom_fields"]["7e10000000000000000000000000000000000000"],
            5
        );
        assert_eq!(ada["data"]["phones"][0]["value"], "+372 555 0101");
    }

    /// A state with company 1 (user 1, token `t1`, one person) to load bad seeds into.
    fn small() -> App {
        let app = App::new(Clock::frozen_at(START));
        let pipedrive = app.pipedrive_at("http://mock");
        let (user, _) = pipedrive.create_company(1);
        pipedrive.add_api_token(1, user, Some("t1"));
        write(&app, "POST", "/v1/persons", "t1", json!({"name": "Kept"}));
        app
    }

    #[test]
    fn a_bad_write_names_its_place_and_changes_nothing() {
        let user = "{user: {name: U, email: u@u}}";
        let cases = [
            (
                "companies: [{id: 1}]".to_owned(),
                "pipedrive.companies[0].id",
                "already exists",
            ),
            (
                "companies: [{id: 0}]".to_owned(),
                "pipedrive.companies[0].id",
                "start at 1",
            ),
            (
                "companies: [{log: [{user: {id: 1, name: X, email: x@x}}]}]".to_owned(),
                "pipedrive.companies[0].log[0].user.id",
                "User id 1 is already used",
            ),
            (
                "companies: [{log: [{person: {name: Orphan}}]}]".to_owned(),
                "pipedrive.companies[0].log[0].person.actor_user_id",
                "no user yet",
            ),
            (
                format!("companies: [{{log: [{user}, {{person_update: {{name: X}}}}]}}]"),
                "pipedrive.companies[0].log[1].person_update.id",
                "needs the id",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{name: A}}}}, {{person_delete: {{ids: [1, 2]}}}}]}}]"
                ),
                "pipedrive.companies[0].log[2].person_delete.ids[1]",
                "Person not found",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{name: A}}}}, {{person_delete: {{ids: [1, 1]}}}}]}}]"
                ),
                "pipedrive.companies[0].log[2].person_delete.ids[1]",
                "listed twice",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{name: A, custom_fields: {{abc: 1}}}}}}]}}]"
                ),
                "pipedrive.companies[0].log[1].person.custom_fields.abc",
                "No person field",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person_field: {{name: N, field_type: double, key: 7e10000000000000000000000000000000000000}}}}, {{person: {{name: A, custom_fields: {{7e10000000000000000000000000000000000000: text}}}}}}]}}]"
                ),
                "pipedrive.companies[0].log[2].person.custom_fields.7e10000000000000000000000000000000000000",
                "expected a number",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person_field: {{name: T, field_type: enum}}}}]}}]"
                ),
                "pipedrive.companies[0].log[1].person_field.options",
                "Options must be given",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{id: 5, name: A}}}}, {{person: {{id: 5, name: B}}}}]}}]"
                ),
                "pipedrive.companies[0].log[2].person.id",
                "Person id 5 is already used.",
            ),
            (
                format!("companies: [{{log: [{user}, {{deal: {{title: D, person_id: 9}}}}]}}]"),
                "pipedrive.companies[0].log[1].deal.person_id",
                "Person with id 9 not found.",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{deal: {{title: D}}}}, {{deal_delete: {{id: 1}}}}, {{deal_update: {{id: 1, status: won}}}}]}}]"
                ),
                "pipedrive.companies[0].log[3].deal_update.id",
                "Deal not found",
            ),
            (
                format!("companies: [{{log: [{user}, {{activity: {{due_date: 2026-02-30}}}}]}}]"),
                "pipedrive.companies[0].log[1].activity.due_date",
                "Invalid due_date",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{name: A}}}}, {{note: {{content: N, person_id: 1}}}}, {{note_update: {{id: 1, user_id: 2}}}}]}}]"
                ),
                "pipedrive.companies[0].log[3].note_update.user_id",
                "only written when it is created",
            ),
            (
                format!(
                    "companies: [{{log: [{user}, {{person: {{name: A}}}}, {{follower: {{person_id: 1, user_id: 7}}}}]}}]"
                ),
                "pipedrive.companies[0].log[2].follower.user_id",
                "User not found",
            ),
            (
                format!("companies: [{{log: [{user}], api_tokens: [{{token: t1}}]}}]"),
                "pipedrive.companies[0].api_tokens[0].token",
                "already in use",
            ),
            (
                format!("companies: [{{log: [{user}], api_tokens: [{{user_id: 1}}]}}]"),
                "pipedrive.companies[0].api_tokens[0].user_id",
                "not a user of company 2",
            ),
            (
                format!("companies: [{{log: [{user}]}}, {{id: 2}}]"),
                "pipedrive.companies[1].id",
                "company 2 already exists",
            ),
        ];
        for (section, path, message) in cases {
            let app = small();
            let before = export(&app);
            let seed = Seed::from_yaml(&format!("pipedrive:\n  {section}")).unwrap();
            let error = write_lock(&app.pipedrive)
                .load_seed(&seed.pipedrive, &app.clock)
                .unwrap_err();
            assert_eq!(error.path, path, "{section}: {error}");
            assert!(error.message.contains(message), "{section}: {error}");
            assert_eq!(export(&app), before, "{section} changed the state");
        }
    }

    #[test]
    fn typos_and_bad_times_are_parse_errors() {
        for (yaml, expected) in [
            (
                "companies: [{log: [{user: {name: U, emial: u@u}}]}]",
                "unknown field `emial`",
            ),
            (
                "companies: [{log: [{persn: {name: A}}]}]",
                "unknown variant `persn`",
            ),
            (
                "companies: [{log: [{person: {name: A, time: 2026-01-02 09:00}}]}]",
                "RFC 3339",
            ),
            (
                "companies: [{log: [{deal: {title: D, status: closed}}]}]",
                "unknown variant `closed`",
            ),
            ("companies: [{logs: []}]", "unknown field `logs`"),
            (
                "companies: [{last_ids: {person: 4}}]",
                "unknown field `last_ids`",
            ),
        ] {
            let error = Seed::from_yaml(&format!("pipedrive:\n  {yaml}")).unwrap_err();
            assert!(error.message.contains(expected), "{yaml}: {error}");
        }
    }

    #[test]
    fn loading_adds_companies_beside_existing_ones() {
        let app = small();
        let seed = Seed::from_yaml(
            "pipedrive:\n  companies: [{log: [{user: {name: U, email: u@u}}, {person: {name: New}}], api_tokens: [{}]}]",
        )
        .unwrap();
        write_lock(&app.pipedrive)
            .load_seed(&seed.pipedrive, &app.clock)
            .unwrap();
        let exported = export(&app);
        let ids: Vec<Option<Id>> = exported
            .companies
            .iter()
            .map(|company| company.id)
            .collect();
        assert_eq!(ids, [Some(1), Some(2)]);
        let token = exported.companies[1].api_tokens[0].clone();
        assert_eq!(token.user_id, Some(2), "user ids continue across companies");
        let token = token.token.unwrap();
        assert_eq!(token.len(), 40);
        let list = app
            .handle(&request("GET", "/v1/persons", &token, None))
            .json_body();
        assert_eq!(list["data"][0]["name"], "New");
        let kept = app
            .handle(&request("GET", "/v1/persons", "t1", None))
            .json_body();
        assert_eq!(kept["data"][0]["name"], "Kept");
    }

    #[test]
    fn counters_at_their_limits_end_in_errors_or_fresh_values() {
        let app = small();
        let yaml = format!(
            "pipedrive:\n  tokens_issued: {max}\n  companies:\n    - id: {max}\n      log: [{{user: {{id: {max}, name: U, email: u@u}}}}]\n      api_tokens: [{{}}]\n    - log: [{{user: {{name: V, email: v@v}}}}]\n",
            max = u64::MAX
        );
        let seed = Seed::from_yaml(&yaml).unwrap();
        let before = export(&app);
        let error = write_lock(&app.pipedrive)
            .load_seed(&seed.pipedrive, &app.clock)
            .unwrap_err();
        assert_eq!(error.path, "pipedrive.companies[1].id");
        assert_eq!(export(&app), before);
        let mut fine = seed.pipedrive.clone();
        fine.companies.truncate(1);
        fine.companies[0].api_tokens[0].token = Some("explicit".into());
        write_lock(&app.pipedrive)
            .load_seed(&fine, &app.clock)
            .unwrap();
        let pipedrive = app.pipedrive_at("http://mock");
        let first = pipedrive.add_api_token(1, 1, None);
        let second = pipedrive.add_api_token(1, 1, None);
        assert_ne!(
            first, second,
            "the generated-token count wraps instead of sticking"
        );
        assert_eq!(
            app.handle(&request("GET", "/v1/persons", &second, None))
                .status,
            200
        );
    }

    /// One random write through the model, with indexes folded onto what exists.
    #[derive(Clone, Debug)]
    enum Op {
        Create(u8, bool),
        Update(u8, u8),
        Delete(u8),
        Merge(u8, u8),
        Follow(u8, bool),
        Deal(u8),
        DealStatus(u8, u8),
        Participant(u8, u8),
        Activity(u8, bool),
        Done(u8),
        Note(u8),
        DeleteNote(u8),
        Picture(u8, bool),
        Mail(u8, bool),
        File(u8),
        Tick(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), any::<bool>()).prop_map(|(n, org)| Op::Create(n, org)),
            1 => (any::<u8>(), any::<u8>()).prop_map(|(p, n)| Op::Update(p, n)),
            1 => any::<u8>().prop_map(Op::Delete),
            1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Merge(a, b)),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(p, on)| Op::Follow(p, on)),
            2 => any::<u8>().prop_map(Op::Deal),
            1 => (any::<u8>(), any::<u8>()).prop_map(|(d, s)| Op::DealStatus(d, s)),
            1 => (any::<u8>(), any::<u8>()).prop_map(|(d, p)| Op::Participant(d, p)),
            2 => (any::<u8>(), any::<bool>()).prop_map(|(p, done)| Op::Activity(p, done)),
            1 => any::<u8>().prop_map(Op::Done),
            1 => any::<u8>().prop_map(Op::Note),
            1 => any::<u8>().prop_map(Op::DeleteNote),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(p, set)| Op::Picture(p, set)),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(p, sent)| Op::Mail(p, sent)),
            1 => any::<u8>().prop_map(Op::File),
            1 => any::<u16>().prop_map(Op::Tick),
        ]
    }

    /// Applies `op` to company 1 (users 1 and 2) as an entry; refused entries are part of the
    /// game.
    fn apply(app: &App, op: &Op) {
        if let Op::Tick(seconds) = *op {
            app.clock.advance(Duration::from_secs(u64::from(seconds)));
            return;
        }
        let now = app.clock.timestamp();
        let mut state = write_lock(&app.pipedrive);
        let Some(company) = state.company(1) else {
            return;
        };
        let pick = |n: u8, count: usize| -> Id {
            Id::try_from(usize::from(n) % count.max(1) + 1).unwrap_or(1)
        };
        let persons = company.persons.len();
        let deals = company.deals.len();
        let activities = company.activities.len();
        let notes = company.notes.len();
        let name = |n: u8| format!("{} {}", ["Ada", "Bob", "Cy"][usize::from(n) % 3], n);
        let follower = |p: u8| FollowerEntry {
            person_id: pick(p, persons),
            user_id: 2,
            actor_user_id: Some(1),
            time: None,
        };
        let deleted = |id: Id| DeleteEntry { id, time: None };
        let entry = match *op {
            Op::Create(n, org) => Entry::Person(PersonEntry {
                name: Some(name(n)),
                org_id: org.then_some(Some(1)),
                emails: Some(vec![ContactEntry {
                    value: format!("p{n}@x.example"),
                    primary: true,
                    label: String::new(),
                }]),
                actor_user_id: Some(1 + Id::from(n % 2)),
                ..PersonEntry::default()
            }),
            Op::Update(p, n) => Entry::PersonUpdate(PersonEntry {
                id: Some(pick(p, persons)),
                name: Some(name(n)),
                visible_to: Some([1, 3][usize::from(n) % 2]),
                actor_user_id: Some(2),
                ..PersonEntry::default()
            }),
            Op::Delete(p) => Entry::PersonDelete(PersonDeleteEntry {
                ids: vec![pick(p, persons)],
                time: None,
            }),
            Op::Merge(a, b) => Entry::PersonMerge(MergeEntry {
                id: pick(a, persons),
                merge_with_id: pick(b, persons),
                actor_user_id: Some(1),
                time: None,
            }),
            Op::Follow(p, true) => Entry::Follower(follower(p)),
            Op::Follow(p, false) => Entry::FollowerDelete(follower(p)),
            Op::Deal(p) => Entry::Deal(DealEntry {
                title: Some(format!("Deal {p}")),
                value: Some(f64::from(p) * 10.5),
                owner_id: Some(1),
                person_id: Some(Some(pick(p, persons))),
                ..DealEntry::default()
            }),
            Op::DealStatus(d, s) if s % 4 == 3 => Entry::DealDelete(deleted(pick(d, deals))),
            Op::DealStatus(d, s) => Entry::DealUpdate(DealEntry {
                id: Some(pick(d, deals)),
                status: Some(
                    [DealStatus::Open, DealStatus::Won, DealStatus::Lost][usize::from(s % 3)],
                ),
                ..DealEntry::default()
            }),
            Op::Participant(d, p) => Entry::DealParticipant(ParticipantEntry {
                deal_id: pick(d, deals),
                person_id: pick(p, persons),
                id: None,
                time: None,
            }),
            Op::Activity(p, done) => Entry::Activity(ActivityEntry {
                owner_id: Some(2),
                person_id: Some(Some(pick(p, persons))),
                done: Some(done),
                due_date: Some(crate::pipedrive::time::date(
                    now.unix_seconds() + i64::from(p) * 3_600,
                )),
                ..ActivityEntry::default()
            }),
            Op::Done(a) => Entry::ActivityUpdate(ActivityEntry {
                id: Some(pick(a, activities)),
                done: Some(a % 2 == 0),
                ..ActivityEntry::default()
            }),
            Op::Note(p) => Entry::Note(NoteEntry {
                content: Some(format!("note about {p}")),
                user_id: Some(1),
                person_id: Some(pick(p, persons)),
                ..NoteEntry::default()
            }),
            Op::DeleteNote(n) => Entry::NoteDelete(deleted(pick(n, notes))),
            Op::Picture(p, true) => Entry::Picture(PictureEntry {
                person_id: pick(p, persons),
                id: None,
                added_by_user_id: Some(1),
                file_size: u64::from(p),
                time: None,
            }),
            Op::Picture(p, false) => Entry::PictureDelete(PictureDeleteEntry {
                person_id: pick(p, persons),
                time: None,
            }),
            Op::Mail(p, sent) => NewMail {
                user_id: 1,
                from: "a@x.example".into(),
                to: vec![format!("p{p}@x.example")],
                subject: format!("Mail {p}"),
                sent,
                message_time: Some(now.unix_seconds() - i64::from(p)),
                person_ids: vec![pick(p, persons)],
            }
            .into(),
            Op::File(p) => Entry::File(FileEntry {
                id: None,
                user_id: Some(2),
                person_id: Some(pick(p, persons)),
                deal_id: None,
                file_name: format!("f{p}.pdf"),
                file_type: None,
                file_size: u64::from(p),
                time: None,
            }),
            Op::Tick(_) => return,
        };
        let _ = state.apply(1, entry, now);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn random_histories_survive_an_export_and_a_load(ops in prop::collection::vec(op(), 1..60)) {
            let original = App::new(Clock::frozen_at(START));
            let pipedrive = original.pipedrive_at("http://mock");
            let (_, admin) = pipedrive.create_company(1);
            pipedrive.add_user(1, "Second", "second@one.example", false);
            pipedrive.create_organization(1, "Org", 1, None).unwrap();
            for op in &ops {
                apply(&original, op);
            }
            let seed = export(&original);
            let copy = reloaded(&original, &seed);
            prop_assert_eq!(export(&copy), seed);
            let persons = ids(&original, |company| company.persons.keys().copied().collect());
            for app in [&original, &copy] {
                prop_assert_eq!(ids(app, |company| company.persons.keys().copied().collect()), persons.clone());
            }
            let mut paths = vec!["/v1/persons?sort=update_time%20DESC".to_owned(), "/v1/persons/collection".to_owned()];
            for id in &persons {
                paths.push(format!("/v1/persons/{id}"));
                paths.push(format!("/v1/persons/{id}/flow?all_changes=1"));
                paths.push(format!("/v1/persons/{id}/changelog"));
                paths.push(format!("/api/v2/persons/{id}/followers/changelog"));
                paths.push(format!("/v1/persons/{id}/deals"));
            }
            for path in paths {
                let left = original.handle(&request("GET", &path, &admin, None));
                let right = copy.handle(&request("GET", &path, &admin, None));
                prop_assert_eq!(left.status, right.status, "{}", path);
                prop_assert!(left.body == right.body, "{}\n{}\n{}", path, String::from_utf8_lossy(&left.body), String::from_utf8_lossy(&right.body));
            }
        }
    }
}
