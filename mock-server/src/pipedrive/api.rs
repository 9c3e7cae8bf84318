//! The Pipedrive HTTP facade's entry: picks the API version by path (`/v1`, `/api/v1`,
//! `/api/v2`), authenticates, and holds what both versions share (visibility, search,
//! custom field input). Free of any transport.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::Value;

use super::company::Company;
use super::error::PipedriveError;
use super::keys::{Credential, Presented};
use super::model::{Id, Person, User};
use super::params::{self, Version};
use super::render_v2::{SearchItemJson, SearchOrgJson, SearchOwnerJson, SearchPersonJson};
use super::search::{self, SearchField};
use super::state::PipedriveState;
use super::{v1, v2};
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendor_handle::{read_lock, write_lock};

/// Where Pipedrive is mounted on the mock server.
pub const PREFIX: &str = "/pipedrive";

/// Scopes that may read persons.
pub const CONTACTS_READ: &[&str] = &["contacts:read", "contacts:full"];
/// Scopes that may write persons.
pub const CONTACTS_FULL: &[&str] = &["contacts:full"];
/// Scopes that may search persons.
pub const SEARCH_READ: &[&str] = &["contacts:read", "contacts:full", "search:read"];
/// Scopes that may read deals.
pub const DEALS_READ: &[&str] = &["deals:read", "deals:full"];
/// Scopes that may write deals.
pub const DEALS_FULL: &[&str] = &["deals:full"];
/// Scopes that may read activities.
pub const ACTIVITIES_READ: &[&str] = &["activities:read", "activities:full"];
/// Scopes that may write activities.
pub const ACTIVITIES_FULL: &[&str] = &["activities:full"];
/// Scopes that may read a person's flow and changelog.
pub const RECENTS_READ: &[&str] = &["recents:read"];
/// Scopes that may read mail.
pub const MAIL_READ: &[&str] = &["mail:read", "mail:full"];
/// Scopes that may read person fields.
pub const FIELDS_READ: &[&str] = &["contacts:read", "contacts:full", "contact-fields:full"];
/// Scopes that may create person fields.
pub const FIELDS_FULL: &[&str] = &["contact-fields:full"];

/// Who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The company the credential reaches.
    pub company: Id,
    /// The user it acts as.
    pub user: User,
    /// The credential (for scope checks).
    pub credential: Credential,
}

impl Caller {
    /// Passes when the credential holds one of `scopes`.
    pub fn require(&self, scopes: &[&str]) -> Result<(), PipedriveError> {
        self.credential.require(scopes)
    }
}

/// Everything a version's handler needs.
pub struct Context<'a> {
    /// The state.
    pub state: &'a RwLock<PipedriveState>,
    /// The clock.
    pub clock: &'a Clock,
    /// The request.
    pub request: &'a ApiRequest,
    /// The caller.
    pub caller: Caller,
}

impl Context<'_> {
    /// The caller's company, for reading.
    pub fn read(&self) -> Result<CompanyRead<'_>, PipedriveError> {
        let guard = read_lock(self.state);
        if guard.company(self.caller.company).is_none() {
            return Err(PipedriveError::unauthorized());
        }
        Ok(CompanyRead {
            guard,
            id: self.caller.company,
        })
    }

    /// The caller's company, for writing.
    pub fn write(&self) -> Result<CompanyWrite<'_>, PipedriveError> {
        let guard = write_lock(self.state);
        if guard.company(self.caller.company).is_none() {
            return Err(PipedriveError::unauthorized());
        }
        Ok(CompanyWrite {
            guard,
            id: self.caller.company,
        })
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// A read lock on the state, showing one company.
pub struct CompanyRead<'a> {
    guard: RwLockReadGuard<'a, PipedriveState>,
    id: Id,
}

impl std::ops::Deref for CompanyRead<'_> {
    type Target = Company;
    fn deref(&self) -> &Company {
        checked(self.guard.company(self.id))
    }
}

/// The company a guard was taken for (its existence was checked when the lock was taken).
fn checked<T>(company: Option<T>) -> T {
    company.unwrap_or_else(|| unreachable!("checked when the lock was taken"))
}

/// A write lock on the state, showing one company.
pub struct CompanyWrite<'a> {
    guard: RwLockWriteGuard<'a, PipedriveState>,
    id: Id,
}

impl std::ops::Deref for CompanyWrite<'_> {
    type Target = Company;
    fn deref(&self) -> &Company {
        checked(self.guard.company(self.id))
    }
}

impl std::ops::DerefMut for CompanyWrite<'_> {
    fn deref_mut(&mut self) -> &mut Company {
        checked(self.guard.company_mut(self.id))
    }
}

/// Answers a request whose path starts with [`PREFIX`]; `path` is the rest of it.
pub fn handle(
    state: &RwLock<PipedriveState>,
    clock: &Clock,
    request: &ApiRequest,
    path: &str,
) -> ApiResponse {
    let (version, rest) = if let Some(rest) = under(path, "/v1").or_else(|| under(path, "/api/v1"))
    {
        (Version::V1, rest)
    } else if let Some(rest) = under(path, "/api/v2") {
        (Version::V2, rest)
    } else {
        return route_not_found(request).into_response();
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let result = authenticate(state, request, version).and_then(|caller| {
        let context = Context {
            state,
            clock,
            request,
            caller,
        };
        match version {
            Version::V1 => v1::route(&context, &segments),
            Version::V2 => v2::route(&context, &segments),
        }
    });
    result.unwrap_or_else(PipedriveError::into_response)
}

fn under<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The 404 for a route Pipedrive does not have, logged loudly.
pub fn route_not_found(request: &ApiRequest) -> PipedriveError {
    tracing::warn!(method = %request.method, path = %request.path, "pipedrive mock: no such route");
    PipedriveError::not_found(format!(
        "Unknown method or path: {} {}",
        request.method, request.path
    ))
}

/// The caller: `x-api-token` header, then (v1 only) `api_token` query, then OAuth bearer.
fn authenticate(
    state: &RwLock<PipedriveState>,
    request: &ApiRequest,
    version: Version,
) -> Result<Caller, PipedriveError> {
    let presented = if let Some(token) = request.header("x-api-token") {
        Presented::TokenHeader(token.trim())
    } else if let (Some(token), Version::V1) = (request.query_param("api_token"), version) {
        Presented::TokenQuery(token)
    } else if let Some(token) = request.bearer_token() {
        Presented::Bearer(token)
    } else {
        Presented::Nothing
    };
    let state = read_lock(state);
    let credential = state.keys.authenticate(presented)?.clone();
    let user = state
        .company(credential.company)
        .and_then(|company| company.users.get(&credential.user))
        .cloned()
        .ok_or_else(PipedriveError::unauthorized)?;
    Ok(Caller {
        company: credential.company,
        user,
        credential,
    })
}

/// The active person `id` if the caller may see it; else Pipedrive's 404.
pub fn visible_person<'a>(
    company: &'a Company,
    caller: &Caller,
    id: Id,
) -> Result<&'a Person, PipedriveError> {
    company
        .persons
        .get(&id)
        .filter(|person| person.is_active() && company.can_see(person, &caller.user))
        .ok_or_else(|| PipedriveError::not_found("Person not found"))
}

/// A person the caller may see, deleted or not (GET by id shows deleted persons flagged).
pub fn readable_person<'a>(
    company: &'a Company,
    caller: &Caller,
    id: Id,
) -> Result<&'a Person, PipedriveError> {
    company
        .persons
        .get(&id)
        .filter(|person| company.can_see(person, &caller.user))
        .ok_or_else(|| PipedriveError::not_found("Person not found"))
}

/// Every search hit for the request's `term`, `fields`, `exact_match` and
/// `organization_id`, best first (ties by id).
pub fn search_hits(
    company: &Company,
    caller: &Caller,
    request: &ApiRequest,
    version: Version,
) -> Result<Vec<SearchItemJson>, PipedriveError> {
    let exact = params::bool_param(request, "exact_match", version)?.unwrap_or(false);
    let Some(term) = params::param(request, "term")
        .map(str::trim)
        .filter(|term| !term.is_empty())
    else {
        return Err(PipedriveError::search("\"term\" is required", vec!["term"]));
    };
    let minimum = if exact { 1 } else { 2 };
    if term.chars().count() < minimum {
        return Err(PipedriveError::search(
            format!("\"term\" length must be at least {minimum} characters long"),
            vec!["term"],
        ));
    }
    let fields: Vec<SearchField> = match params::param(request, "fields") {
        None => SearchField::ALL.to_vec(),
        Some(raw) => raw
            .split(',')
            .map(|name| SearchField::parse(name.trim()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                PipedriveError::search(
                    "\"fields\" must be one of [custom_fields, email, notes, phone, name]",
                    vec!["fields"],
                )
            })?,
    };
    let organization = params::int_param(request, "organization_id", version)?;
    let mut candidates = company.search.candidates(&search::lookup_fragment(term));
    let digits: String = term.chars().filter(char::is_ascii_digit).collect();
    if fields.contains(&SearchField::Phone) && digits.len() >= minimum {
        candidates.extend(company.search.candidates(&digits));
    }
    let mut hits: Vec<SearchItemJson> = candidates
        .into_iter()
        .filter_map(|id| company.persons.get(&id))
        .filter(|person| person.is_active() && company.can_see(person, &caller.user))
        .filter(|person| organization.is_none_or(|org| person.org_id == Some(org)))
        .filter_map(|person| hit(company, person, term, &fields, exact))
        .collect();
    hits.sort_by(|a, b| {
        b.result_score
            .total_cmp(&a.result_score)
            .then(a.item.id.cmp(&b.item.id))
    });
    Ok(hits)
}

fn hit(
    company: &Company,
    person: &Person,
    term: &str,
    fields: &[SearchField],
    exact: bool,
) -> Option<SearchItemJson> {
    let mut best: Option<f64> = None;
    let mut matched = |field: SearchField| -> Vec<String> {
        company
            .search
            .texts(person.id, field)
            .filter(|text| {
                let score = search::score(text, term, field, exact);
                if let Some(score) = score {
                    best = Some(best.map_or(score, |best: f64| best.max(score)));
                }
                score.is_some()
            })
            .map(str::to_owned)
            .collect()
    };
    let mut custom_fields = Vec::new();
    let mut notes = Vec::new();
    for field in fields {
        match field {
            SearchField::CustomFields => custom_fields = matched(*field),
            SearchField::Notes => notes = matched(*field),
            other => {
                matched(*other);
            }
        }
    }
    let score = best?;
    let org = person.org_id.and_then(|id| company.orgs.get(&id));
    Some(SearchItemJson {
        result_score: (score * 10_000.0).round() / 10_000.0,
        item: SearchPersonJson {
            id: person.id,
            r#type: "person",
            name: person.name.clone(),
            phones: person
                .phones
                .iter()
                .map(|entry| entry.value.clone())
                .collect(),
            emails: person
                .emails
                .iter()
                .map(|entry| entry.value.clone())
                .collect(),
            visible_to: person.visible_to,
            owner: SearchOwnerJson {
                id: person.owner_id,
            },
            organization: org.map(|org| SearchOrgJson {
                id: org.id,
                name: org.name.clone(),
                address: org.address.clone(),
            }),
            custom_fields,
            notes,
        },
    })
}

/// Custom field values of a v1 body (root-level hash keys; unknown keys are ignored, as
/// Pipedrive ignores them).
pub fn custom_v1(
    company: &Company,
    body: &params::Body,
) -> Result<Vec<(String, Option<Value>)>, PipedriveError> {
    company
        .fields
        .iter()
        .filter(|field| body.map().contains_key(&field.key))
        .map(|field| {
            field
                .parse_v1(body.map())
                .map(|value| (field.key.clone(), value))
                .map_err(PipedriveError::bad_request)
        })
        .collect()
}

/// Custom field values of a v2 body's `custom_fields` object (unknown keys are an error).
pub fn custom_v2(
    company: &Company,
    body: &params::Body,
) -> Result<Vec<(String, Option<Value>)>, PipedriveError> {
    let Some(object) = body
        .map()
        .get("custom_fields")
        .filter(|value| !value.is_null())
    else {
        return Ok(Vec::new());
    };
    let object = object
        .as_object()
        .ok_or_else(|| PipedriveError::validation("custom_fields: Expected object"))?;
    object
        .iter()
        .map(|(key, value)| {
            let field = company.field(key).ok_or_else(|| {
                PipedriveError::validation(format!("custom_fields.{key}: Unknown custom field"))
            })?;
            field
                .parse_v2(value)
                .map(|value| (key.clone(), value))
                .map_err(PipedriveError::validation)
        })
        .collect()
}

/// Renders record `id` of a company with a status.
pub type Render = fn(&Company, Id, u16) -> Result<ApiResponse, PipedriveError>;

/// `POST` of a record: scope check, body in `version`'s typing, `write`, then `render` with
/// `status`.
pub fn create<P>(
    cx: &Context<'_>,
    scopes: &[&str],
    version: Version,
    parse: fn(&params::Body) -> Result<P, PipedriveError>,
    write: fn(&mut Company, P, Id, i64) -> Result<Id, super::ModelError>,
    render: Render,
    status: u16,
) -> Result<ApiResponse, PipedriveError> {
    cx.caller.require(scopes)?;
    let patch = parse(&params::Body::parse(cx.request, version)?)?;
    let mut company = cx.write()?;
    let id = write(&mut company, patch, cx.caller.user.id, cx.now())?;
    render(&company, id, status)
}

/// `PUT`/`PATCH` of record `id`: like [`create`], answering 200.
pub fn update<P>(
    cx: &Context<'_>,
    scopes: &[&str],
    version: Version,
    id: Id,
    parse: fn(&params::Body) -> Result<P, PipedriveError>,
    write: fn(&mut Company, Id, P, i64) -> Result<(), super::ModelError>,
    render: Render,
) -> Result<ApiResponse, PipedriveError> {
    cx.caller.require(scopes)?;
    let patch = parse(&params::Body::parse(cx.request, version)?)?;
    let mut company = cx.write()?;
    write(&mut company, id, patch, cx.now())?;
    render(&company, id, 200)
}

/// `GET` of record `id`.
pub fn read(
    cx: &Context<'_>,
    scopes: &[&str],
    id: Id,
    render: Render,
) -> Result<ApiResponse, PipedriveError> {
    cx.caller.require(scopes)?;
    render(&*cx.read()?, id, 200)
}

/// `DELETE` of record `id`, answering `{success, data: {id}}`.
pub fn delete(
    cx: &Context<'_>,
    scopes: &[&str],
    id: Id,
    write: fn(&mut Company, Id, i64) -> Result<(), super::ModelError>,
) -> Result<ApiResponse, PipedriveError> {
    cx.caller.require(scopes)?;
    write(&mut *cx.write()?, id, cx.now())?;
    Ok(ApiResponse::json(
        200,
        &super::render_v1::DataBody::new(super::render_v1::IdJson { id }),
    ))
}

/// `DELETE /persons/{id}` of both versions: soft-deletes a person the caller may see.
pub fn delete_person(cx: &Context<'_>, id: Id) -> Result<ApiResponse, PipedriveError> {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    company.delete_persons(&[id], cx.now());
    Ok(ApiResponse::json(
        200,
        &super::render_v1::DataBody::new(super::render_v1::IdJson { id }),
    ))
}
