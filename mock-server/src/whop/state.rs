//! Everything the Whop mock holds: accounts and keys, and the one write path into them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::cursor::Walks;

use super::keys::{KeyRing, KeyScope};
use super::log::{Entry, Event};
use super::tenant::{Account, Applied, RecordError, Recorded};
use crate::Timestamp;
use crate::durable::{Durable, Logged, StorageError};

/// The log a write hands its entries to.
type EntryLog<'a> = dyn FnMut(&Entry) -> Result<(), StorageError> + 'a;
use crate::ids::IdGenerator;

/// The Whop mock's state: every account and every key.
#[derive(Debug)]
pub struct WhopState {
    accounts: HashMap<String, Account>,
    /// The API keys.
    pub keys: KeyRing,
    key_ids: IdGenerator,
    durable: Durable,
    /// The kept orders of cursor-paged lists.
    pub walks: Mutex<Walks>,
}

impl Default for WhopState {
    fn default() -> Self {
        Self::new(Durable::default())
    }
}

impl WhopState {
    /// An empty state whose accounts log their entries to `durable`.
    pub fn new(durable: Durable) -> Self {
        Self {
            accounts: HashMap::new(),
            keys: KeyRing::default(),
            key_ids: IdGenerator::seeded("whop-keys"),
            durable,
            walks: Mutex::default(),
        }
    }

    /// Forgets every account and key (still logging to the same data directory).
    pub fn clear(&mut self) {
        *self = Self::new(self.durable.clone());
    }

    /// Creates `account_id` if it does not exist yet.
    pub fn ensure_account(&mut self, account_id: &str) -> &mut Account {
        self.accounts
            .entry(account_id.to_owned())
            .or_insert_with(|| Account::new(account_id))
    }

    /// The account, if it exists.
    pub fn account(&self, account_id: &str) -> Option<&Account> {
        self.accounts.get(account_id)
    }

    /// Every account, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Puts `account` in place of any account with the same id (a seed's finished load).
    pub(super) fn replace_account(&mut self, account: Account) {
        self.accounts.insert(account.id.clone(), account);
    }

    /// Registers `token` (or a generated `apik_…` token) with `scope`, creating the accounts
    /// it reaches; returns the token. Generated tokens skip any already registered, so a
    /// state loaded from a seed (its generator starting over, past the exported tokens)
    /// generates the same next tokens as the state the seed was exported from.
    pub fn add_key(&mut self, token: Option<&str>, scope: KeyScope) -> String {
        let accounts: BTreeSet<String> = match &scope {
            KeyScope::Account(account) => [account.clone()].into(),
            KeyScope::MultiAccount(accounts) => accounts.clone(),
        };
        for account in &accounts {
            self.ensure_account(account);
        }
        let token = token.map_or_else(|| self.unused_token(), str::to_owned);
        self.keys.insert(token.clone(), scope);
        token
    }

    /// The next generated token no key holds yet.
    fn unused_token(&mut self) -> String {
        loop {
            let token = self.key_ids.next("apik_", 24);
            if self.keys.scope(&token).is_none() {
                return token;
            }
        }
    }

    /// Applies `entry` to `account_id` at clock time `now`, logging it to the data directory
    /// first (see [`Account::apply`]). An account that does not exist yet is created, unless
    /// the entry is refused.
    pub fn apply(
        &mut self,
        account_id: &str,
        entry: Entry,
        now: Timestamp,
    ) -> Result<Applied, RecordError> {
        self.write(account_id, now, |account, log| {
            account.apply(entry, now, &mut &mut *log)
        })
    }

    /// Records built events in `account_id` in order (each event, then its display data), as
    /// [`WhopState::apply`] applies entries, handing each recorded event to `recorded`; stops
    /// at the first refused entry (those before it stay applied). The account is looked up
    /// once for the whole batch.
    pub fn record(
        &mut self,
        account_id: &str,
        events: impl IntoIterator<Item = Event>,
        now: Timestamp,
        mut recorded: impl FnMut(Recorded),
    ) -> Result<(), RecordError> {
        self.write(account_id, now, |account, log| {
            for event in events {
                let (event, ads) = event.into_parts();
                if let Applied::Event(event) =
                    account.apply(Entry::Event(event), now, &mut &mut *log)?
                {
                    recorded(event);
                }
                for ad in ads {
                    account.apply(Entry::Ad(ad), now, &mut &mut *log)?;
                }
            }
            Ok(())
        })
    }

    /// Runs `write` on `account_id` with the log its entries go to (the data directory's,
    /// as [`Logged::Whop`] records at `now`). An account that does not exist yet is kept only
    /// when the write left an entry in its log.
    fn write<T>(
        &mut self,
        account_id: &str,
        now: Timestamp,
        write: impl FnOnce(&mut Account, &mut EntryLog<'_>) -> Result<T, RecordError>,
    ) -> Result<T, RecordError> {
        let mut log = self.durable.entry_log(|entry| Logged::Whop {
            tenant: account_id.to_owned(),
            at: now,
            entry,
        });
        let mut created = None;
        let account = match self.accounts.get_mut(account_id) {
            Some(account) => account,
            None => created.insert(Account::new(account_id)),
        };
        let written = write(account, &mut log);
        if let Some(account) = created.filter(|account| account.log_len() > 0) {
            self.accounts.insert(account_id.to_owned(), account);
        }
        written
    }
}
