//! The Pipedrive Persons mock: API v1 and v2 over one store, with counters kept
//! incrementally from deals, activities, notes, followers, files and mail.
//!
//! Data flow: a request → [`api::handle_v1`] or [`api::handle_v2`] (one match over the spec's
//! operations; the credential → company and user, see [`context`]) → a handler of [`reads`],
//! [`writes`] or [`feed`] (parameters and body in that version's typing, [`params`]) → for a
//! write, a change of [`company::Company`] (validate, append to the log, update projections:
//! records, per-person links, [`counters::Counters`], the [`search::SearchIndex`],
//! organization head counts) → [`render_v1`] / [`render_v2`] (and what both share,
//! [`render`]) → response.

pub mod api;
pub mod company;
pub mod context;
pub mod counters;
pub mod demo;
pub mod error;
pub mod feed;
pub mod fields;
pub mod image;
pub mod keys;
pub mod model;
pub mod multipart;
pub mod params;
pub mod persons;
pub mod picture;
pub mod reads;
pub mod related;
pub mod render;
pub mod render_v1;
pub mod render_v2;
pub mod restore;
pub mod search;
pub mod seed;
pub mod state;
pub mod time;
pub mod writes;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

pub use company::ModelError;
pub use model::Id;

use crate::clock::Clock;
use crate::vendor_handle::VendorHandle;
use model::{DealProduct, File, MailMessage, Product};
use state::PipedriveState;

/// The test-facing handle on the Pipedrive mock: base URLs, companies, users, tokens, and
/// seeding of what Pipedrive's API cannot create (organizations, files, mail messages).
///
/// Clones share the same state.
#[derive(Clone, Debug)]
pub struct Pipedrive {
    handle: VendorHandle<PipedriveState>,
}

/// A mail message to seed with [`Pipedrive::record_mail`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMail {
    /// The mailbox owner (a user id).
    pub user_id: Id,
    /// Sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Whether the user sent it (outgoing) rather than received it.
    pub sent: bool,
    /// When it was sent or received (Unix seconds); `None` for now.
    pub message_time: Option<i64>,
    /// The persons it is linked to.
    pub person_ids: Vec<Id>,
}

impl Pipedrive {
    /// A handle on `state`, served at `server_url` + [`api::PREFIX`].
    pub(crate) fn new(state: Arc<RwLock<PipedriveState>>, clock: Clock, server_url: &str) -> Self {
        Self {
            handle: VendorHandle::new(state, clock, server_url, api::PREFIX),
        }
    }

    /// The root to give the SDK (`…/pipedrive`): v1 lives at `/v1` and `/api/v1` below it,
    /// v2 at `/api/v2`.
    pub fn base_url(&self) -> &str {
        &self.handle.base_url
    }

    /// The v1 base URL, e.g. `http://127.0.0.1:4010/pipedrive/api/v1`.
    pub fn v1_url(&self) -> String {
        format!("{}/api/v1", self.handle.base_url)
    }

    /// The v2 base URL (what the official npm client takes as `basePath`).
    pub fn v2_url(&self) -> String {
        format!("{}/api/v2", self.handle.base_url)
    }

    /// Creates a company with an admin user and an API token; returns `(user id, token)`.
    pub fn create_company(&self, company: Id) -> (Id, String) {
        let mut state = self.handle.write();
        let user = state.add_user(
            company,
            &format!("Admin {company}"),
            &format!("admin@company{company}.example"),
            true,
        );
        let token = state.add_api_token(company, user, None);
        (user, token)
    }

    /// Adds a user to `company` (created if needed); returns its id.
    pub fn add_user(&self, company: Id, name: &str, email: &str, is_admin: bool) -> Id {
        self.handle.write().add_user(company, name, email, is_admin)
    }

    /// Registers `token` (or a generated 40-hex one) as `user`'s API token; returns it.
    pub fn add_api_token(&self, company: Id, user: Id, token: Option<&str>) -> String {
        self.handle.write().add_api_token(company, user, token)
    }

    /// Issues an OAuth access token for `user` with `scopes` (e.g. `contacts:read`).
    pub fn create_oauth_token(&self, company: Id, user: Id, scopes: &[&str]) -> String {
        let scopes: BTreeSet<String> = scopes.iter().map(|scope| (*scope).to_owned()).collect();
        self.handle.write().add_oauth_token(company, user, scopes)
    }

    /// Creates an organization (Pipedrive's organization API is not modelled).
    pub fn create_organization(
        &self,
        company: Id,
        name: &str,
        owner: Id,
        address: Option<&str>,
    ) -> Result<Id, ModelError> {
        let mut state = self.handle.write();
        state
            .ensure_company(company)
            .add_organization(name, owner, address.map(str::to_owned))
    }

    /// Attaches a file to a person, as an upload would.
    pub fn attach_file(
        &self,
        company: Id,
        person: Id,
        user: Id,
        file_name: &str,
        file_size: u64,
    ) -> Result<Id, ModelError> {
        let now = self.handle.clock.now();
        let file_type = file_name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_ascii_lowercase())
            .unwrap_or_default();
        let file = File {
            id: 0,
            user_id: user,
            person_id: Some(person),
            deal_id: None,
            file_name: file_name.to_owned(),
            file_type,
            file_size,
            add_time: now,
        };
        self.handle
            .write()
            .ensure_company(company)
            .attach_file(file)
    }

    /// Records a synced mail message, as the mail sync would.
    pub fn record_mail(&self, company: Id, mail: NewMail) -> Result<Id, ModelError> {
        let now = self.handle.clock.now();
        let mut state = self.handle.write();
        let company = state.ensure_company(company);
        let thread_id = company.next_id("thread");
        let snippet: String = mail.subject.chars().take(100).collect();
        let message = MailMessage {
            id: 0,
            user_id: mail.user_id,
            thread_id,
            from: mail.from,
            to: mail.to,
            subject: mail.subject,
            snippet,
            sent: mail.sent,
            message_time: mail.message_time.unwrap_or(now),
            person_ids: mail.person_ids.into_iter().collect(),
            add_time: now,
        };
        company.record_mail(message)
    }

    /// Adds a product to `company`'s catalogue (Pipedrive's products API is not modelled);
    /// returns its id.
    pub fn create_product(
        &self,
        company: Id,
        owner: Id,
        name: &str,
        code: Option<&str>,
    ) -> Result<Id, ModelError> {
        let product = Product {
            id: 0,
            name: name.to_owned(),
            code: code.map(str::to_owned),
            unit: None,
            owner_id: owner,
            add_time: self.handle.clock.now(),
        };
        self.handle
            .write()
            .ensure_company(company)
            .create_product(product)
    }

    /// Attaches `quantity` of product `product` at `item_price` to deal `deal`, as the deal
    /// products API would; returns the attachment id.
    pub fn attach_product(
        &self,
        company: Id,
        deal: Id,
        product: Id,
        item_price: f64,
        quantity: u32,
    ) -> Result<Id, ModelError> {
        let attachment = DealProduct {
            id: 0,
            deal_id: deal,
            product_id: product,
            item_price,
            quantity,
            add_time: self.handle.clock.now(),
        };
        self.handle
            .write()
            .ensure_company(company)
            .attach_product(attachment)
    }

    /// How many active persons `company` has.
    pub fn person_count(&self, company: Id) -> usize {
        let state = self.handle.read();
        state
            .company(company)
            .map_or(0, company::Company::active_person_count)
    }

    /// Reads `company` (e.g. to check invariants in tests).
    pub fn with_company<T>(
        &self,
        company: Id,
        read: impl FnOnce(&company::Company) -> T,
    ) -> Option<T> {
        let state = self.handle.read();
        state.company(company).map(read)
    }

    /// Writes to `company` directly (created if needed), under one lock.
    pub fn with_company_mut<T>(
        &self,
        company: Id,
        write: impl FnOnce(&mut company::Company) -> T,
    ) -> T {
        write(self.handle.write().ensure_company(company))
    }

    /// The clock the mock reads.
    pub fn clock(&self) -> &Clock {
        &self.handle.clock
    }

    /// Forgets every company, user, token and record.
    pub fn reset(&self) {
        *self.handle.write() = PipedriveState::default();
    }
}
