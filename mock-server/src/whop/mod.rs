//! The Whop People mock: people aggregated from pixel events, with Whop's filters, sorting,
//! time windows, pagination and error bodies.
//!
//! [`MockServer::whop`](crate::MockServer::whop) gives the [`Whop`] handle: the base URL to
//! point a Whop client at, accounts and keys in one line, and events recorded the way the pixel
//! sends them ([`Whop::ingest`] of an [`Event`]; `POST /events` does the same). Every write is
//! one [`log::Entry`] of the account's log; a seed's `whop:` section ([`WhopSeed`]) is the
//! accounts with their logs, plus the keys.

pub(crate) mod api;
pub(crate) mod current;
pub(crate) mod cursor;
pub(crate) mod demo;
pub(crate) mod era;
pub(crate) mod error;
pub(crate) mod field;
pub(crate) mod filter;
pub(crate) mod keys;
pub mod log;
pub(crate) mod orders;
pub(crate) mod profile;
pub(crate) mod query;
pub(crate) mod reads;
pub(crate) mod reads_current;
pub(crate) mod render;
pub(crate) mod render_current;
pub(crate) mod rendered;
pub(crate) mod seed;
pub(crate) mod state;
pub(crate) mod stored;
pub(crate) mod tenant;
pub(crate) mod timeline;
pub(crate) mod writes;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

pub use demo::{DEMO_ACCOUNT, DEMO_KEY};
pub use log::{AdEntity, Event, StandardEvent};
pub use seed::{AccountSeed, KeySeed, WhopSeed};
pub use tenant::RecordError;

use crate::clock::Clock;
use crate::vendor_handle::VendorHandle;
use keys::KeyScope;
use state::WhopState;

/// The test-facing handle on the Whop mock: base URL, accounts, keys and events.
///
/// Clones share the same state.
#[derive(Clone, Debug)]
pub struct Whop {
    handle: VendorHandle<WhopState>,
}

impl Whop {
    /// A handle on `state`, served at `server_url` + [`api::PREFIX`].
    pub(crate) fn new(state: Arc<RwLock<WhopState>>, clock: Clock, server_url: &str) -> Self {
        Self {
            handle: VendorHandle::new(state, clock, server_url, api::PREFIX),
        }
    }

    /// The base URL to give a Whop client, e.g. `http://127.0.0.1:4010/whop/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.handle.base_url
    }

    /// Creates an account (`biz_…`) if it does not exist yet.
    pub fn create_account(&self, account_id: &str) {
        self.handle.write().ensure_account(account_id);
    }

    /// Creates an account API key for `account_id` (creating the account too) and returns it.
    pub fn create_account_key(&self, account_id: &str) -> String {
        self.handle
            .write()
            .add_key(None, KeyScope::Account(account_id.to_owned()))
    }

    /// Registers `token` as an account API key for `account_id`.
    pub fn add_account_key(&self, account_id: &str, token: &str) {
        self.handle
            .write()
            .add_key(Some(token), KeyScope::Account(account_id.to_owned()));
    }

    /// Creates a key that reaches several accounts (like an app key or OAuth token): calls
    /// must name the account with `account_id`.
    pub fn create_multi_account_key<'a>(
        &self,
        account_ids: impl IntoIterator<Item = &'a str>,
    ) -> String {
        let accounts: BTreeSet<String> = account_ids.into_iter().map(str::to_owned).collect();
        self.handle
            .write()
            .add_key(None, KeyScope::MultiAccount(accounts))
    }

    /// Records one event in `account_id` (created if needed), as the pixel would; returns the
    /// event id. Events without a time happen at the mock clock's now.
    pub fn ingest(&self, account_id: &str, event: Event) -> Result<String, RecordError> {
        let now = self.handle.clock.timestamp();
        let mut event_id = None;
        self.handle
            .write()
            .record(account_id, [event], now, |recorded| {
                event_id = Some(recorded.event_id);
            })?;
        Ok(event_id.unwrap_or_else(|| unreachable!("a built event holds one event entry")))
    }

    /// Records many events under one lock; stops at the first refused one.
    pub fn ingest_all(
        &self,
        account_id: &str,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<usize, RecordError> {
        let now = self.handle.clock.timestamp();
        let mut count = 0;
        self.handle
            .write()
            .record(account_id, events, now, |_| count += 1)?;
        Ok(count)
    }

    /// How many people `account_id` has (0 for an unknown account).
    pub fn person_count(&self, account_id: &str) -> usize {
        let state = self.handle.read();
        state
            .account(account_id)
            .map_or(0, tenant::Account::person_count)
    }

    /// The clock the Whop mock reads (shared with the whole server).
    pub fn clock(&self) -> &Clock {
        &self.handle.clock
    }

    /// Forgets every account, key and event.
    pub fn reset(&self) {
        self.handle.write().clear();
    }
}
