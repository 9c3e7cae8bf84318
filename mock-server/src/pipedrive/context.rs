//! What every Pipedrive handler works with: the caller (authenticated from the request's
//! credential), the scopes each operation requires, the caller's company behind a read or
//! write lock, and which persons the caller may see. Shared by both API versions; depends on
//! neither facade.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::error::PipedriveError;
use super::keys::{Credential, Presented};
use super::log::Entry;
use super::model::{Id, Person, User};
use super::params::Version;
use super::state::PipedriveState;
use super::tenant::Company;
use crate::Timestamp;
use crate::clock::Clock;
use crate::http::ApiRequest;
use crate::vendor_handle::{read_lock, write_lock};

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

    /// The caller's company, for reading about person `id`: the caller holds one of `scopes`
    /// and may see the person, which is active (else the gateway's 403 or Pipedrive's 404).
    pub fn read_person(&self, scopes: &[&str], id: Id) -> Result<CompanyRead<'_>, PipedriveError> {
        self.caller.require(scopes)?;
        let company = self.read()?;
        visible_person(&company, &self.caller, id)?;
        Ok(company)
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
            now: self.clock.timestamp(),
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

/// A write lock on the state, showing one company and writing to it.
pub struct CompanyWrite<'a> {
    guard: RwLockWriteGuard<'a, PipedriveState>,
    id: Id,
    now: Timestamp,
}

impl CompanyWrite<'_> {
    /// Applies `entry` to the company at the request's time, through the state's one write
    /// path ([`PipedriveState::apply`]); answers the id it returns, or the refusal as
    /// Pipedrive words it.
    pub fn apply(&mut self, entry: Entry) -> Result<Id, PipedriveError> {
        Ok(self.guard.apply(self.id, entry, self.now)?)
    }
}

impl std::ops::Deref for CompanyWrite<'_> {
    type Target = Company;
    fn deref(&self) -> &Company {
        checked(self.guard.company(self.id))
    }
}

/// The caller: `x-api-token` header, then (v1 only) `api_token` query, then OAuth bearer.
pub fn authenticate(
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
