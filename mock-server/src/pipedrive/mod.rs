//! The Pipedrive Persons mock: API v1 and v2 over one store, with the counters Pipedrive keeps
//! on a person (deals, activities, notes, followers, files, mail) moving with every write.
//!
//! [`MockServer::pipedrive`](crate::MockServer::pipedrive) gives the [`Pipedrive`] handle: the
//! v1 and v2 base URLs, companies, users and tokens, and what Pipedrive's API cannot create
//! (organizations, files, mail messages such as [`NewMail`], products). Every write is one
//! [`log::Entry`] of the company's log ([`Pipedrive::apply`] takes any); a seed's `pipedrive:`
//! section ([`PipedriveSeed`]) is the companies with their logs, plus tokens.

pub(crate) mod api;
pub(crate) mod context;
pub(crate) mod counters;
pub(crate) mod demo;
pub(crate) mod error;
pub(crate) mod feed;
pub(crate) mod fields;
pub(crate) mod image;
pub(crate) mod keys;
pub mod log;
pub(crate) mod model;
pub(crate) mod multipart;
pub(crate) mod params;
pub(crate) mod persons;
pub(crate) mod picture;
pub(crate) mod reads;
pub(crate) mod related;
pub(crate) mod render;
pub(crate) mod render_v1;
pub(crate) mod render_v2;
pub(crate) mod rendered;
pub(crate) mod search;
pub(crate) mod seed;
pub(crate) mod state;
pub(crate) mod table;
pub(crate) mod tenant;
pub(crate) mod time;
pub(crate) mod writes;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

pub use demo::{DEMO_COMPANY, DEMO_TOKEN};
pub use image::png_header;
pub use log::{Entry, NewMail};
pub use model::Id;
pub use seed::{ApiTokenSeed, CompanySeed, OAuthTokenSeed, PipedriveSeed};
pub use tenant::{ModelError, RecordError};

use crate::clock::Clock;
use crate::vendor_handle::VendorHandle;
use log::{DealProductEntry, FileEntry, OrganizationEntry, ProductEntry, UserEntry};
use state::PipedriveState;

/// The test-facing handle on the Pipedrive mock: base URLs, companies, users, tokens, and
/// seeding of what Pipedrive's API cannot create (organizations, files, mail messages,
/// products). Every write is a [`log::Entry`] applied as the API's are (and logged to the
/// data directory).
///
/// Clones share the same state.
#[derive(Clone, Debug)]
pub struct Pipedrive {
    handle: VendorHandle<PipedriveState>,
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

    /// Applies `entry` to `company` (created by its first entry) at the clock's now; returns
    /// the id of the record it created or changed (see `tenant::Company::apply`).
    pub fn apply(&self, company: Id, entry: Entry) -> Result<Id, RecordError> {
        let now = self.handle.clock.timestamp();
        self.handle.write().apply(company, entry, now)
    }

    /// Creates a company with an admin user and an API token; returns `(user id, token)`.
    ///
    /// # Panics
    ///
    /// When the data directory cannot log the user (as [`Pipedrive::add_user`]).
    pub fn create_company(&self, company: Id) -> (Id, String) {
        let user = self.add_user(
            company,
            &format!("Admin {company}"),
            &format!("admin@company{company}.example"),
            true,
        );
        let token = self.handle.write().add_api_token(company, user, None);
        (user, token)
    }

    /// Adds a user to `company` (created if needed); returns its id, one above every user
    /// id of the mock (user ids are unique across companies, as Pipedrive's are).
    ///
    /// # Panics
    ///
    /// When the data directory cannot log the user: a user always applies otherwise.
    pub fn add_user(&self, company: Id, name: &str, email: &str, is_admin: bool) -> Id {
        let user = UserEntry {
            id: None,
            name: name.to_owned(),
            email: email.to_owned(),
            is_admin,
        };
        self.apply(company, Entry::User(user))
            .unwrap_or_else(|error| panic!("pipedrive mock: the user was not added: {error}"))
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
    ) -> Result<Id, RecordError> {
        let org = OrganizationEntry {
            id: None,
            name: name.to_owned(),
            owner_id: Some(owner),
            address: address.map(str::to_owned),
        };
        self.apply(company, Entry::Organization(org))
    }

    /// Attaches a file to a person, as an upload would (its type is the name's extension).
    pub fn attach_file(
        &self,
        company: Id,
        person: Id,
        user: Id,
        file_name: &str,
        file_size: u64,
    ) -> Result<Id, RecordError> {
        let file = FileEntry {
            id: None,
            user_id: Some(user),
            person_id: Some(person),
            deal_id: None,
            file_name: file_name.to_owned(),
            file_type: None,
            file_size,
            time: None,
        };
        self.apply(company, Entry::File(file))
    }

    /// Records a synced mail message, as the mail sync would, in a new thread.
    pub fn record_mail(&self, company: Id, mail: NewMail) -> Result<Id, RecordError> {
        self.apply(company, mail.into())
    }

    /// Adds a product to `company`'s catalogue (Pipedrive's products API is not modelled);
    /// returns its id.
    pub fn create_product(
        &self,
        company: Id,
        owner: Id,
        name: &str,
        code: Option<&str>,
    ) -> Result<Id, RecordError> {
        let product = ProductEntry {
            id: None,
            name: name.to_owned(),
            code: code.map(str::to_owned),
            unit: None,
            owner_id: Some(owner),
            time: None,
        };
        self.apply(company, Entry::Product(product))
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
    ) -> Result<Id, RecordError> {
        let attachment = DealProductEntry {
            id: None,
            deal_id: deal,
            product_id: product,
            item_price,
            quantity,
            time: None,
        };
        self.apply(company, Entry::DealProduct(attachment))
    }

    /// How many active persons `company` has.
    pub fn person_count(&self, company: Id) -> usize {
        let state = self.handle.read();
        state
            .company(company)
            .map_or(0, tenant::Company::active_person_count)
    }

    /// Reads `company` (e.g. to check invariants in tests).
    pub(crate) fn with_company<T>(
        &self,
        company: Id,
        read: impl FnOnce(&tenant::Company) -> T,
    ) -> Option<T> {
        let state = self.handle.read();
        state.company(company).map(read)
    }

    /// Takes `company` out of the mock and frees it part by part, calling `dropped` with each
    /// part's name right after it is freed (see [`tenant::Company::dismantle`]).
    #[cfg(feature = "internals")]
    pub(crate) fn dismantle(&self, company: Id, dropped: &mut dyn FnMut(&'static str)) {
        let taken = self.handle.write().take_company(company);
        if let Some(taken) = taken {
            taken.dismantle(dropped);
        }
    }

    /// The clock the mock reads.
    pub fn clock(&self) -> &Clock {
        &self.handle.clock
    }

    /// Forgets every company, user, token and record.
    pub fn reset(&self) {
        self.handle.write().clear();
    }
}
