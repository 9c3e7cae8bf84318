//! The Whop section of a seed: accounts, each with its log of [`Entry`]s, and API keys.
//!
//! An account's log is the one it keeps in memory: [`WhopState::export_seed`] copies it, and
//! [`WhopState::load_seed`] applies every entry to a scratch account through
//! [`Account::apply`] (the write path of `POST /events` and [`Whop::ingest`](super::Whop::ingest))
//! and puts the account in place only when all of them apply. Ids are generated per account
//! and deterministically, so a fresh account applying an exported log regenerates the same
//! next ids; that is why an account that already holds entries cannot take more from a seed.
//! Generated key tokens skip the registered ones, so the next one is the same after a load
//! (see [`WhopState::add_key`]). The format is documented in `docs/whop.md`, "Seed format".

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::keys::KeyScope;
use super::log::Entry;
use super::state::WhopState;
use super::tenant::{Account, Applied, RecordError};
use crate::clock::Clock;
use crate::durable::unlogged;
use crate::seed::SeedError;

/// The Whop section of a seed file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhopSeed {
    /// Accounts (`biz_…`) and their logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSeed>,
    /// API keys and the accounts each reaches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeySeed>,
}

/// One account and its log, oldest entry first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSeed {
    /// The account id (`biz_…`).
    pub id: String,
    /// Its writes in the order they were made (which decides ids and merges; event times may
    /// go back and forth), each a single-key map: `- event: {…}` or `- ad: {…}`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "serde_norway::with::singleton_map_recursive"
    )]
    pub log: Vec<Entry>,
}

/// An API key: an account key (`account_id`) or a multi-account key (`account_ids`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySeed {
    /// The bearer token; default: a generated `apik_…` token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The one account of an account key; default (without `account_ids`): the seed's only
    /// account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The accounts of a multi-account key, which calls must name with `account_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_ids: Option<Vec<String>>,
}

impl WhopSeed {
    /// Whether the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.keys.is_empty()
    }
}

impl WhopState {
    /// Everything in this state as a seed, in a stable order (two exports of equal states are
    /// equal): accounts by id, each with its whole log, then keys by token.
    pub fn export_seed(&self) -> WhopSeed {
        let mut accounts: Vec<&Account> = self.accounts().collect();
        accounts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let mut keys: Vec<(&str, &KeyScope)> = self.keys.iter().collect();
        keys.sort_unstable_by_key(|(token, _)| *token);
        WhopSeed {
            accounts: accounts
                .into_iter()
                .map(|account| AccountSeed {
                    id: account.id.clone(),
                    log: account.log().collect(),
                })
                .collect(),
            keys: keys
                .into_iter()
                .map(|(token, scope)| {
                    let (account_id, account_ids) = match scope {
                        KeyScope::Account(account) => (Some(account.clone()), None),
                        KeyScope::MultiAccount(accounts) => {
                            (None, Some(accounts.iter().cloned().collect()))
                        }
                    };
                    KeySeed {
                        token: Some(token.to_owned()),
                        account_id,
                        account_ids,
                    }
                })
                .collect(),
        }
    }

    /// Adds the seed's accounts, keys and entries. All or nothing: on error the state is
    /// unchanged and the error names the entry at fault. An account that already holds
    /// entries refuses more; a token already registered with another scope is refused.
    /// Events without a time happen at `clock`'s now.
    pub fn load_seed(&mut self, seed: &WhopSeed, clock: &Clock) -> Result<(), SeedError> {
        let accounts = load_accounts(self, seed, clock)?;
        let keys = plan_keys(self, seed)?;
        for account in accounts {
            self.replace_account(account);
        }
        // Named tokens first, so that generated ones skip them.
        let (named, generated): (Vec<_>, Vec<_>) =
            keys.into_iter().partition(|key| key.0.is_some());
        for (token, scope) in named.into_iter().chain(generated) {
            self.add_key(token.as_deref(), scope);
        }
        Ok(())
    }
}

/// Every account of the seed that brings entries, applied without touching `state`.
fn load_accounts(
    state: &WhopState,
    seed: &WhopSeed,
    clock: &Clock,
) -> Result<Vec<Account>, SeedError> {
    let now = clock.timestamp();
    let mut seen = HashSet::new();
    let mut accounts = Vec::new();
    for (index, account_seed) in seed.accounts.iter().enumerate() {
        let path = format!("whop.accounts[{index}]");
        let id = non_blank(&account_seed.id, &format!("{path}.id"))?;
        if !seen.insert(id) {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!("account `{id}` is listed twice"),
            ));
        }
        let existing = state.account(id).map_or(0, Account::log_len);
        if account_seed.log.is_empty() {
            if state.account(id).is_none() {
                accounts.push(Account::new(id));
            }
            continue;
        }
        if existing > 0 {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!(
                    "account `{id}` already holds {existing} entries; a seed can only fill an account that has none, so that its ids are the ones it was exported with"
                ),
            ));
        }
        let mut account = Account::new(id);
        let mut event_ids = HashSet::new();
        for (position, entry) in account_seed.log.iter().enumerate() {
            let path = format!("{path}.log[{position}]");
            let applied = account
                .apply(entry.clone(), now, &mut unlogged)
                .map_err(|error| refusal(&path, error))?;
            match applied {
                Applied::Event(recorded) if recorded.duplicate => {
                    return Err(SeedError::new(
                        format!("{path}.event.event_id"),
                        format!(
                            "an earlier event ({}) has the same event_name and event_id, so this one would be ignored",
                            recorded.event_id
                        ),
                    ));
                }
                Applied::Event(recorded) => {
                    if !event_ids.insert(recorded.event_id.clone()) {
                        return Err(SeedError::new(
                            format!("{path}.event.id"),
                            format!("`{}` is the id of an earlier event too", recorded.event_id),
                        ));
                    }
                }
                Applied::Ad => {}
            }
        }
        accounts.push(account);
    }
    Ok(accounts)
}

/// The seed error for an entry at `path` the account refused.
fn refusal(path: &str, error: RecordError) -> SeedError {
    let field = match error {
        RecordError::NoEventName => ".event.event_name",
        RecordError::NoCustomName | RecordError::StrayCustomName => ".event.custom_name",
        RecordError::NoIdentity => ".event.user",
        RecordError::AmountOutOfRange | RecordError::StrayValue => ".event.value",
        RecordError::BlankAdId => ".ad.id",
        RecordError::LogFull | RecordError::Storage(_) => "",
    };
    SeedError::new(format!("{path}{field}"), error.to_string())
}

/// The keys to add, as `(token, scope)`: checked against each other and the state. A token
/// already registered with the same scope is kept as it is.
fn plan_keys(
    state: &WhopState,
    seed: &WhopSeed,
) -> Result<Vec<(Option<String>, KeyScope)>, SeedError> {
    let only_account = match seed.accounts.as_slice() {
        [only] => Some(only.id.as_str()),
        _ => None,
    };
    let mut named: HashMap<&str, usize> = HashMap::new();
    let mut keys = Vec::new();
    for (index, key) in seed.keys.iter().enumerate() {
        let path = format!("whop.keys[{index}]");
        let scope = scope(key, only_account, &path)?;
        let Some(token) = key.token.as_deref() else {
            keys.push((None, scope));
            continue;
        };
        let token_path = format!("{path}.token");
        let token = non_blank(token, &token_path)?;
        if let Some(earlier) = named.insert(token, index) {
            return Err(SeedError::new(
                token_path,
                format!("whop.keys[{earlier}] has the same token"),
            ));
        }
        match state.keys.scope(token) {
            Some(registered) if *registered == scope => {}
            Some(_) => {
                return Err(SeedError::new(
                    token_path,
                    "this token is already a key with another scope",
                ));
            }
            None => keys.push((Some(token.to_owned()), scope)),
        }
    }
    Ok(keys)
}

/// What `key` reaches: `account_id` for an account key, `account_ids` for a multi-account
/// key, and by default the seed's only account.
fn scope(key: &KeySeed, only_account: Option<&str>, path: &str) -> Result<KeyScope, SeedError> {
    match (&key.account_id, &key.account_ids) {
        (Some(account), None) => Ok(KeyScope::Account(
            non_blank(account, &format!("{path}.account_id"))?.to_owned(),
        )),
        (None, Some(accounts)) => {
            let mut reached = BTreeSet::new();
            for (index, account) in accounts.iter().enumerate() {
                let account = non_blank(account, &format!("{path}.account_ids[{index}]"))?;
                reached.insert(account.to_owned());
            }
            Ok(KeyScope::MultiAccount(reached))
        }
        (Some(_), Some(_)) => Err(SeedError::new(
            path,
            "give account_id (an account key) or account_ids (a multi-account key), not both",
        )),
        (None, None) => only_account
            .map(|account| KeyScope::Account(account.to_owned()))
            .ok_or_else(|| {
                SeedError::new(
                    format!("{path}.account_id"),
                    "is required unless the seed has exactly one account (or give account_ids)",
                )
            }),
    }
}

/// `text`, unless it is empty or white space.
fn non_blank<'a>(text: &'a str, path: &str) -> Result<&'a str, SeedError> {
    if text.trim().is_empty() {
        Err(SeedError::new(path, "must not be blank"))
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::Timestamp;
    use crate::http::{ApiRequest, ApiResponse};
    use crate::router::App;
    use crate::seed::Seed;
    use crate::vendor_handle::{read_lock, write_lock};
    use crate::whop::field::PersonField;
    use crate::whop::keys::KeyScope;
    use crate::whop::log::{AdDisplay, AdLevel, PixelEvent, User};
    use crate::whop::{AdEntity, Event, StandardEvent, Whop, demo};

    /// 2026-01-31T12:00:00Z.
    const NOW: i64 = 1_769_860_800;
    const PEOPLE: &str = "/whop/api/v1/people";

    fn app() -> App {
        App::new(Clock::frozen_at(NOW))
    }

    fn handle(app: &App) -> Whop {
        Whop::new(Arc::clone(&app.whop), app.clock.clone(), "http://mock")
    }

    fn export(app: &App) -> WhopSeed {
        read_lock(&app.whop).export_seed()
    }

    fn load(app: &App, seed: &WhopSeed) -> Result<(), SeedError> {
        write_lock(&app.whop).load_seed(seed, &app.clock)
    }

    fn post(app: &App, key: &str, body: Value) -> ApiResponse {
        let request = ApiRequest::new("POST", "/whop/api/v1/events")
            .with_header("authorization", &format!("Bearer {key}"))
            .with_body(body.to_string());
        app.handle(&request)
    }

    fn get(app: &App, key: &str, path: &str, query: &[(&str, &str)]) -> ApiResponse {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let request = ApiRequest::new("GET", &format!("{path}?{query}"))
            .with_header("authorization", &format!("Bearer {key}"));
        app.handle(&request)
    }

    /// A key of `seed` that reaches `account`, if any.
    fn key_for<'a>(seed: &'a WhopSeed, account: &str) -> Option<&'a str> {
        seed.keys.iter().find_map(|key| {
            let reaches = key.account_id.as_deref() == Some(account)
                || key
                    .account_ids
                    .as_ref()
                    .is_some_and(|ids| ids.iter().any(|id| id == account));
            reaches.then_some(key.token.as_deref()?)
        })
    }

    /// Representative reads of every account a key of `seed` reaches: lists (default
    /// window, all time, every sort both ways, filters, a narrow window), every person
    /// retrieved by record id and by every identifier the events carry, and every key
    /// without `account_id`. Each as `(request, status, body)`.
    fn reads(app: &App, seed: &WhopSeed) -> Vec<(String, u16, Vec<u8>)> {
        let mut out = Vec::new();
        let mut read = |key: &str, path: &str, query: &[(&str, &str)]| {
            let response = get(app, key, path, query);
            let body = response.json_body();
            out.push((
                format!("{key} {path} {query:?}"),
                response.status,
                response.body,
            ));
            body
        };
        let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
        for account in &seed.accounts {
            let Some(key) = key_for(seed, &account.id) else {
                continue;
            };
            let a = account.id.as_str();
            let all_time = [("account_id", a), ("from", &min), ("to", &max)];
            read(key, PEOPLE, &[("account_id", a)]);
            let mut ids = Vec::new();
            for offset in (0..).step_by(101) {
                let offset = offset.to_string();
                let page = read(
                    key,
                    PEOPLE,
                    &[&all_time[..], &[("first", "101"), ("offset", &offset)]].concat(),
                );
                let data = page["data"].as_array().cloned().unwrap_or_default();
                ids.extend(
                    data.iter()
                        .filter_map(|p| p["id"].as_str().map(str::to_owned)),
                );
                if data.len() < 101 {
                    break;
                }
            }
            for field in PersonField::ALL.into_iter().filter(|f| f.is_sortable()) {
                for direction in ["asc", "desc"] {
                    let query = [
                        ("sort", field.as_str()),
                        ("direction", direction),
                        ("first", "7"),
                        ("offset", "2"),
                    ];
                    read(key, PEOPLE, &[&all_time[..], &query].concat());
                }
            }
            for filters in [
                json!([{"field": "ltv", "operator": "gt", "value": 20}]),
                json!([{"field": "email", "operator": "is_set"}]),
                json!([{"field": "has_failed_payment", "operator": "eq", "value": true}]),
                json!([{"field": "campaigns", "operator": "is_set"}]),
                json!([{"field": "name", "operator": "contains", "value": "a"}]),
            ] {
                let filters = filters.to_string();
                read(
                    key,
                    PEOPLE,
                    &[&all_time[..], &[("filters", &filters)]].concat(),
                );
            }
            let events = || {
                account.log.iter().filter_map(|entry| match entry {
                    Entry::Event(event) => Some(event),
                    Entry::Ad(_) => None,
                })
            };
            let times: Vec<i64> = events().map(PixelEvent::seconds).collect();
            if let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) {
                let (from, to) = ((lo / 2 + hi / 2).to_string(), hi.to_string());
                read(
                    key,
                    PEOPLE,
                    &[("account_id", a), ("from", &from), ("to", &to)],
                );
            }
            let identifiers = events().flat_map(|e| {
                let u = &e.user;
                [&u.anonymous_id, &u.user_id, &u.external_id, &u.email]
                    .into_iter()
                    .flatten()
                    .cloned()
            });
            for id in ids.into_iter().chain(identifiers).chain(["nobody".into()]) {
                let path = format!("{PEOPLE}/{}", urlencode(&id));
                read(key, &path, &all_time);
                read(key, &path, &[("account_id", a)]);
            }
        }
        for key in seed.keys.iter().filter_map(|key| key.token.as_deref()) {
            read(key, PEOPLE, &[]);
        }
        out
    }

    fn urlencode(segment: &str) -> String {
        percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
    }

    /// Exports `app`, loads the export (through YAML and JSON text) into a fresh app on the
    /// same clock, and checks both answer alike: same export, same reads, and the same ids
    /// for the next writes. Returns the export.
    fn assert_round_trip(app: &App) -> WhopSeed {
        let exported = export(app);
        let document = Seed {
            whop: exported.clone(),
            ..Seed::default()
        };
        let yaml = serde_norway::to_string(&document).unwrap();
        let from_yaml = Seed::from_yaml(&yaml).unwrap();
        assert_eq!(from_yaml, document, "the YAML text holds the whole seed");
        assert_eq!(Seed::from_json(&document.to_json()).unwrap(), document);
        let copy = App::new(app.clock.clone());
        load(&copy, &from_yaml.whop).unwrap();
        assert_eq!(export(&copy), exported);
        let (before, after) = (reads(app, &exported), reads(&copy, &exported));
        assert_eq!(before.len(), after.len());
        for (original, loaded) in before.iter().zip(&after) {
            assert_eq!(
                original,
                loaded,
                "{} answers {} on the original",
                original.0,
                String::from_utf8_lossy(&original.2)
            );
        }
        for account in &exported.accounts {
            let Some(key) = key_for(&exported, &account.id) else {
                continue;
            };
            // Every event sent with an `event_id` (read from the original's log, not the
            // export) is still a duplicate when resent…
            for (id, again) in resendable(app, &account.id) {
                let answer = post(app, key, again.clone());
                assert_eq!(answer.json_body()["id"].as_str(), Some(id.as_str()));
                assert_eq!(answer, post(&copy, key, again));
            }
            // …and a new event gets the same next ids.
            let next = json!({"account_id": account.id, "event_name": "page",
                "user": {"anonymous_id": "wuid_after_load"}});
            assert_eq!(post(app, key, next.clone()), post(&copy, key, next));
        }
        let new_key = |app: &App| handle(app).create_account_key("biz_after_load");
        assert_eq!(new_key(app), new_key(&copy));
        assert_eq!(export(app), export(&copy));
        exported
    }

    /// `seconds` as RFC 3339, as `POST /events` takes `event_time`.
    fn rfc3339(seconds: i64) -> String {
        let time = ::time::OffsetDateTime::from_unix_timestamp(seconds).unwrap();
        time.format(&::time::format_description::well_known::Rfc3339)
            .unwrap()
    }

    /// The id and a `POST /events` body resending each event of `account_id` that carries an
    /// `event_id`, straight from the log.
    fn resendable(app: &App, account_id: &str) -> Vec<(String, Value)> {
        let state = read_lock(&app.whop);
        let Some(account) = state.account(account_id) else {
            return Vec::new();
        };
        account
            .log()
            .filter_map(|entry| match entry {
                Entry::Event(event) if event.event_id.is_some() => Some(event),
                Entry::Event(_) | Entry::Ad(_) => None,
            })
            .map(|event| {
                let body = json!({"account_id": account_id, "event_name": event.event_name,
                    "custom_name": event.custom_name, "event_id": event.event_id,
                    "user": {"anonymous_id": "wuid_resent"}});
                (event.id.clone().unwrap_or_default(), body)
            })
            .collect()
    }

    /// Every kind of write, through the API and through the typed handle.
    fn varied_app() -> App {
        let app = app();
        let whop = handle(&app);
        let key_a = whop.create_account_key("biz_a");
        whop.add_account_key("biz_b", "key_b");
        let multi = whop.create_multi_account_key(["biz_a", "biz_b", "biz_c"]);
        whop.create_multi_account_key([]);
        whop.create_account("biz_empty");
        let spring = AdEntity::new("adcamp_1").name("Spring");
        let typed = [
            Event::page_view()
                .visitor("wuid_1")
                .at(NOW - 1_000)
                .campaign(spring.clone())
                .ad_set(AdEntity::new("adgrp_1"))
                .ad(AdEntity::new("ad_1")
                    .name("First")
                    .thumbnail_url("https://t/1.png"))
                .url("https://x.test/landing"),
            Event::standard(StandardEvent::Lead)
                .visitor("wuid_1")
                .email("Ada@X.com")
                .name("Ada")
                .phone("+15550001")
                .at(NOW - 900),
            Event::custom("purchase").email("ada@x.com").at(NOW - 800),
            Event::page_view().visitor("wuid_2").at(NOW - 5_000),
            Event::page_view()
                .visitor("wuid_2")
                .user_id("user_2")
                .at(NOW - 700)
                .campaign(spring.thumbnail_url("https://t/c.png")),
            // Links wuid_1's and wuid_2's people: a merge.
            Event::purchase(49.99)
                .user_id("user_2")
                .email("ADA@x.com")
                .event_id("order-1")
                .at(NOW - 600),
            Event::purchase(49.99).user_id("user_2").event_id("order-1"),
            Event::failed_payment()
                .external_id("ext-9")
                .name("Old Timer")
                .at(NOW - 400_000_000),
            Event::page_view().visitor("wuid_far").at(300_000_000_000),
            Event::page_view().visitor("wuid_ancient").at(-5),
            Event::standard(StandardEvent::AddToCart).visitor("wuid_now"),
        ];
        for event in typed {
            whop.ingest("biz_a", event).unwrap();
        }
        let orphan = AdDisplay {
            level: AdLevel::Campaign,
            id: "adcamp_orphan".into(),
            name: Some("Orphan".into()),
            thumbnail_url: None,
        };
        write_lock(&app.whop)
            .apply("biz_a", Entry::Ad(orphan), app.clock.timestamp())
            .unwrap();
        let at = rfc3339;
        let bodies = [
            json!({"account_id": "biz_b", "event_name": "page_view", "event_time": at(NOW - 50),
                "user": {"anonymous_id": "wuid_b1"}, "url": "https://b.test/",
                "context": {"ad_campaign_id": "adcamp_b", "ad_set_id": "adgrp_b", "ad_id": "ad_b"}}),
            json!({"account_id": "biz_b", "event_name": "purchase", "value": 10, "currency": "EUR",
                "event_time": "2026-01-31T11:00:00.75Z", "event_id": "eur-1",
                "user": {"anonymous_id": "wuid_b1", "email": "bo@b.test", "first_name": "Bo", "last_name": "B"}}),
            json!({"account_id": "biz_b", "event_name": "purchase", "value": 10, "currency": "EUR",
                "event_id": "eur-1", "user": {"anonymous_id": "wuid_b1"}}),
            json!({"account_id": "biz_b", "event_name": "custom", "custom_name": "lead",
                "user": {"external_id": "ext-b2", "phone": "+4400", "email": " "}}),
            json!({"account_id": "biz_b", "event_name": "webinar_joined", "event_id": "w-1",
                "user": {"external_id": "ext-b2"}, "event_time": at(NOW - 86_400 * 30)}),
            json!({"account_id": "biz_b", "event_name": "payment.completed", "value": 5.5,
                "user": {"user_id": "user_b3"}, "event_time": at(NOW - 86_400 * 400)}),
            json!({"account_id": "biz_b", "event_name": "payment_failed",
                "user": {"user_id": "user_b3", "email": "b3@b.test"}}),
            json!({"account_id": "biz_b", "event_name": "page",
                "user": {"anonymous_id": "wuid_b4", "email": "bo@B.test"}}),
        ];
        for body in bodies {
            assert_eq!(post(&app, "key_b", body).status, 200);
        }
        let to_c = json!({"account_id": "biz_c", "event_name": "complete_registration",
            "user": {"user_id": "user_c1", "name": "Cee"}, "event_time": at(NOW - 10)});
        assert_eq!(post(&app, &multi, to_c).status, 200);
        let via_account_key = json!({"account_id": "biz_a", "event_name": "initiate_checkout",
            "user": {"anonymous_id": "wuid_1"}});
        assert_eq!(post(&app, &key_a, via_account_key).status, 200);
        app
    }

    /// The events of an exported account, in log order.
    fn events(account: &AccountSeed) -> Vec<&PixelEvent> {
        account
            .log
            .iter()
            .filter_map(|entry| match entry {
                Entry::Event(event) => Some(event),
                Entry::Ad(_) => None,
            })
            .collect()
    }

    /// The display data entries of an exported account, in log order.
    fn ads(account: &AccountSeed) -> Vec<&AdDisplay> {
        account
            .log
            .iter()
            .filter_map(|entry| match entry {
                Entry::Ad(ad) => Some(ad),
                Entry::Event(_) => None,
            })
            .collect()
    }

    #[test]
    fn every_kind_of_write_survives_a_round_trip() {
        let app = varied_app();
        let seed = assert_round_trip(&app);
        let ids: Vec<&str> = seed.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["biz_a", "biz_b", "biz_c", "biz_empty"]);
        let a = events(&seed.accounts[0]);
        assert_eq!(a.len(), 11, "the duplicate is not in the log");
        let campaigns: Vec<&AdDisplay> = ads(&seed.accounts[0])
            .into_iter()
            .filter(|ad| ad.level == AdLevel::Campaign)
            .collect();
        assert_eq!(
            campaigns.len(),
            3,
            "named, then a thumbnail added, then the orphan"
        );
        assert_eq!(
            campaigns[1].thumbnail_url.as_deref(),
            Some("https://t/c.png")
        );
        let custom = a[2];
        assert_eq!(
            (
                &*custom.event_name,
                custom.custom_name.as_deref(),
                custom.usd_cents
            ),
            ("custom", Some("purchase"), None)
        );
        assert_eq!(a[5].usd_cents, Some(4999));
        assert_eq!(a[5].event_id.as_deref(), Some("order-1"));
        assert_eq!(
            a[7].event_time,
            Some(Timestamp::from_unix_seconds(300_000_000_000))
        );
        assert_eq!(a[9].event_time, Some(Timestamp::from_unix_seconds(NOW)));
        let b = events(&seed.accounts[1]);
        assert_eq!(
            b[1].event_time,
            Some(Timestamp::from_unix_seconds(NOW - 3_600)),
            "fractions of a second are dropped"
        );
        assert_eq!(b[1].usd_cents, Some(1080));
        assert_eq!(b[2].user.email, None, "blank strings are not stored");
        assert!(
            seed.keys
                .iter()
                .any(|k| k.account_ids.as_deref() == Some(&[]))
        );
        let yaml = serde_norway::to_string(&Seed {
            whop: seed.clone(),
            ..Seed::default()
        })
        .unwrap();
        assert!(yaml.contains("- event:\n"), "{yaml}");
        assert!(yaml.contains("id: evnt_"), "{yaml}");
        assert!(yaml.contains("value: 49.99"), "{yaml}");
        assert!(yaml.contains("event_time: 2026-01-31T11:00:00Z"), "{yaml}");
    }

    #[test]
    fn the_demo_account_survives_a_round_trip() {
        let app = app();
        demo::load(&handle(&app)).unwrap();
        let seed = assert_round_trip(&app);
        let demo = &seed.accounts[0];
        assert_eq!(demo.id, demo::DEMO_ACCOUNT);
        assert!(events(demo).len() > 1_000, "{}", events(demo).len());
        let levels: Vec<AdLevel> = ads(demo).iter().map(|ad| ad.level).collect();
        let count = |level| levels.iter().filter(|l| **l == level).count();
        assert_eq!(
            (
                count(AdLevel::Campaign),
                count(AdLevel::AdSet),
                count(AdLevel::Ad)
            ),
            (3, 6, 12),
            "display data is logged once per ad entity, where it first appears"
        );
        let listed = get(&app, demo::DEMO_KEY, PEOPLE, &[("sort", "ltv")]).json_body();
        assert!(listed["total_count"].as_u64().unwrap() > 100);
    }

    #[test]
    fn a_minimal_hand_written_seed_loads_with_defaults() {
        let seed = Seed::from_yaml(
            "
whop:
  accounts:
    - id: biz_min
      log:
        - ad: {level: campaign, id: adcamp_1, name: Launch}
        - event:
            event_name: page
            user: {anonymous_id: wuid_1}
            context: {ad_campaign_id: adcamp_1}
        - event:
            event_name: purchase
            value: 19.5
            event_time: 2026-01-30T10:00:00.123Z
            user: {anonymous_id: wuid_1, email: ada@example.com, name: Ada}
  keys:
    - token: min_key
    - {}
",
        )
        .unwrap();
        let app = app();
        load(&app, &seed.whop).unwrap();
        let listed = get(&app, "min_key", PEOPLE, &[]).json_body();
        assert_eq!(listed["total_count"], 1);
        let person = &listed["data"][0];
        assert_eq!(person["person_id"], "wuid_1");
        assert_eq!(
            (person["name"].as_str(), person["ltv"].as_f64()),
            (Some("Ada"), Some(19.5))
        );
        assert_eq!(person["first_seen_at"], NOW - 26 * 3_600);
        assert_eq!(
            person["last_seen_at"], NOW,
            "an event without a time happens now"
        );
        assert_eq!(
            person["campaigns"],
            json!([{"id": "adcamp_1", "name": "Launch", "thumbnail_url": null}])
        );
        let exported = export(&app);
        let generated = exported
            .keys
            .iter()
            .find(|k| k.token.as_deref() != Some("min_key"));
        let generated = generated.and_then(|k| k.token.as_deref()).unwrap();
        assert!(generated.starts_with("apik_"));
        assert_eq!(get(&app, generated, PEOPLE, &[]).status, 200);
        assert_eq!(
            events(&exported.accounts[0])[0]
                .id
                .as_deref()
                .map(|id| &id[..5]),
            Some("evnt_")
        );
    }

    #[test]
    fn explicit_event_ids_are_kept() {
        let mut event = PixelEvent::named("page");
        event.id = Some("evnt_mine".into());
        event.user = User {
            anonymous_id: Some("wuid_1".into()),
            ..User::default()
        };
        let mut seed = WhopSeed::default();
        seed.accounts.push(AccountSeed {
            id: "biz_ids".into(),
            log: vec![Entry::Event(event)],
        });
        let mut state = WhopState::default();
        state.load_seed(&seed, &Clock::frozen_at(NOW)).unwrap();
        let Some(Entry::Event(event)) = state.account("biz_ids").unwrap().log().next() else {
            panic!("the seed holds one event");
        };
        assert_eq!(event.id.as_deref(), Some("evnt_mine"));
    }

    /// A state with some data, the seed (YAML `whop:` section) to load into it, and where
    /// it must fail.
    fn assert_refused(yaml: &str, path: &str, message: &str) {
        let app = varied_app();
        let before = export(&app);
        let seed = Seed::from_yaml(yaml).unwrap_or_else(|error| panic!("{yaml}: {error}"));
        let error = load(&app, &seed.whop).unwrap_err();
        assert_eq!(error.path, path, "{yaml}: {error}");
        assert!(error.message.contains(message), "{yaml}: {error}");
        assert_eq!(export(&app), before, "a refused seed changes nothing");
    }

    #[test]
    fn bad_entries_are_refused_with_their_path_and_change_nothing() {
        let ok = "{id: biz_new, log: [{event: {event_name: page, user: {anonymous_id: w}}}]}";
        let one = |entries: &str| format!("whop: {{accounts: [{{id: biz_x, log: [{entries}]}}]}}");
        let cases = [
            (
                one("{event: {event_name: page, user: {name: Nobody}}}"),
                "whop.accounts[0].log[0].event.user",
                "no identifier",
            ),
            (
                one("{event: {event_name: lead, value: 5, user: {user_id: u}}}"),
                "whop.accounts[0].log[0].event.value",
                "only a payment",
            ),
            (
                one("{event: {event_name: purchase, value: 2e9, user: {user_id: u}}}"),
                "whop.accounts[0].log[0].event.value",
                "1000000000",
            ),
            (
                one("{event: {event_name: custom, user: {user_id: u}}}"),
                "whop.accounts[0].log[0].event.custom_name",
                "required",
            ),
            (
                one("{event: {event_name: lead, custom_name: x, user: {user_id: u}}}"),
                "whop.accounts[0].log[0].event.custom_name",
                "only goes with",
            ),
            (
                one("{event: {event_name: ' ', user: {user_id: u}}}"),
                "whop.accounts[0].log[0].event.event_name",
                "blank",
            ),
            (
                one("{event: {event_name: purchase, event_id: o1, user: {user_id: u}}}, {event: {event_name: page, user: {user_id: u}}}, {event: {event_name: purchase, event_id: o1, user: {user_id: v}}}"),
                "whop.accounts[0].log[2].event.event_id",
                "same event_name and event_id",
            ),
            (
                one("{event: {id: evnt_1, event_name: page, user: {user_id: u}}}, {event: {id: evnt_1, event_name: page, user: {user_id: u}}}"),
                "whop.accounts[0].log[1].event.id",
                "earlier event",
            ),
            (
                one("{ad: {level: ad, id: ' '}}"),
                "whop.accounts[0].log[0].ad.id",
                "blank",
            ),
            (
                format!("whop: {{accounts: [{ok}, {{id: biz_y}}, {{id: biz_new}}]}}"),
                "whop.accounts[2].id",
                "listed twice",
            ),
            (
                "whop: {accounts: [{id: biz_a, log: [{event: {event_name: page, user: {user_id: u}}}]}]}".into(),
                "whop.accounts[0].id",
                "already holds 15 entries",
            ),
            (
                format!("whop: {{accounts: [{ok}], keys: [{{token: k, account_id: biz_new, account_ids: [biz_new]}}]}}"),
                "whop.keys[0]",
                "not both",
            ),
            (
                format!("whop: {{accounts: [{ok}, {{id: biz_y}}], keys: [{{token: k}}]}}"),
                "whop.keys[0].account_id",
                "exactly one account",
            ),
            (
                format!("whop: {{accounts: [{ok}], keys: [{{token: key_b}}]}}"),
                "whop.keys[0].token",
                "another scope",
            ),
            (
                format!("whop: {{accounts: [{ok}], keys: [{{token: k}}, {{token: k, account_ids: []}}]}}"),
                "whop.keys[1].token",
                "whop.keys[0]",
            ),
            (
                "whop: {keys: [{account_ids: [biz_a, '']}]}".into(),
                "whop.keys[0].account_ids[1]",
                "blank",
            ),
        ];
        for (yaml, path, message) in &cases {
            assert_refused(yaml, path, message);
        }
    }

    #[test]
    fn malformed_entries_and_typos_are_caught_when_the_document_is_read() {
        for (yaml, expected) in [
            (
                "whop: {accounts: [{id: b, log: [{event: {evnt_name: page}}]}]}",
                "evnt_name",
            ),
            (
                "whop: {accounts: [{id: b, log: [{event: {event_name: page, user: {mail: x}}}]}]}",
                "mail",
            ),
            (
                "whop: {accounts: [{id: b, log: [{event: {event_name: page, event_time: yesterday}}]}]}",
                "RFC 3339",
            ),
            (
                "whop: {accounts: [{id: b, log: [{event: {event_name: purchase, value: -1}}]}]}",
                "non-negative",
            ),
            (
                "whop: {accounts: [{id: b, log: [{visit: {event_name: page}}]}]}",
                "visit",
            ),
            ("whop: {accounts: [{id: b, events: []}]}", "events"),
        ] {
            let error = Seed::from_yaml(yaml).unwrap_err();
            assert!(error.message.contains(expected), "{yaml}: {error}");
        }
    }

    #[test]
    fn loading_into_a_state_with_data_adds_new_accounts_beside_it() {
        let app = varied_app();
        let before = export(&app);
        let seed = Seed::from_yaml(
            "
whop:
  accounts:
    - id: biz_empty
      log: [{event: {event_name: page, user: {anonymous_id: wuid_e}}}]
    - id: biz_a
    - id: biz_d
      log: [{event: {event_name: page, user: {anonymous_id: wuid_d}}}]
  keys:
    - {token: key_b, account_id: biz_b}
    - {token: key_d, account_id: biz_d}
",
        )
        .unwrap();
        load(&app, &seed.whop).unwrap();
        let after = export(&app);
        let account =
            |seed: &WhopSeed, id: &str| seed.accounts.iter().find(|a| a.id == id).cloned();
        assert_eq!(account(&after, "biz_a"), account(&before, "biz_a"));
        assert_eq!(account(&after, "biz_empty").unwrap().log.len(), 1);
        assert_eq!(after.keys.len(), before.keys.len() + 1);
        assert_eq!(
            get(&app, "key_d", PEOPLE, &[]).json_body()["total_count"],
            1
        );
    }

    #[test]
    fn the_example_seed_file_loads_and_round_trips() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/whop.yaml");
        let seed = Seed::from_file(&path).unwrap();
        assert!(seed.posthog.is_empty() && seed.pipedrive.is_empty());
        let app = app();
        load(&app, &seed.whop).unwrap();
        let listed = get(&app, "whop_acme_key", PEOPLE, &[("sort", "ltv")]).json_body();
        assert!(listed["total_count"].as_u64().unwrap() >= 4, "{listed}");
        assert!(listed["data"][0]["ltv"].as_f64().unwrap() > 0.0);
        let other = get(
            &app,
            "whop_app_key",
            PEOPLE,
            &[("account_id", "biz_globex")],
        );
        assert_eq!(other.status, 200);
        assert_round_trip(&app);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Event {
            account: usize,
            kind: u8,
            visitor: u8,
            email: Option<u8>,
            user: Option<u8>,
            time: Option<i64>,
            dedup: Option<u8>,
            ad: Option<u8>,
            via_api: bool,
        },
        Key {
            accounts: Vec<usize>,
            multi: bool,
        },
    }

    const ACCOUNTS: [&str; 3] = ["biz_p0", "biz_p1", "biz_p2"];

    fn op() -> impl Strategy<Value = Op> {
        let event = (
            0..ACCOUNTS.len(),
            0u8..6,
            0u8..8,
            proptest::option::of(0u8..4),
            proptest::option::of(0u8..3),
            proptest::option::of(NOW - 1_000_000..NOW + 1_000),
            proptest::option::of(0u8..3),
            proptest::option::of(0u8..3),
            any::<bool>(),
        )
            .prop_map(
                |(account, kind, visitor, email, user, time, dedup, ad, via_api)| Op::Event {
                    account,
                    kind,
                    visitor,
                    email,
                    user,
                    time,
                    dedup,
                    ad,
                    via_api,
                },
            );
        let key = (
            prop::collection::vec(0..ACCOUNTS.len(), 1..3),
            any::<bool>(),
        )
            .prop_map(|(accounts, multi)| Op::Key { accounts, multi });
        prop_oneof![6 => event, 1 => key]
    }

    fn apply(app: &App, whop: &Whop, op: Op) {
        match op {
            Op::Key { accounts, multi } if multi => {
                whop.create_multi_account_key(accounts.iter().map(|&i| ACCOUNTS[i]));
            }
            Op::Key { accounts, .. } => {
                whop.create_account_key(ACCOUNTS[accounts[0]]);
            }
            Op::Event {
                account,
                kind,
                visitor,
                email,
                user,
                time,
                dedup,
                ad,
                via_api,
            } => {
                let (name, custom, value) = match kind {
                    0 => ("page", None, None),
                    1 => ("lead", None, None),
                    2 => ("custom", Some("purchase"), None),
                    3 => ("purchase", None, Some(f64::from(visitor) * 7.25)),
                    4 => ("payment.failed", None, None),
                    _ => ("webinar_joined", None, None),
                };
                let email = email.map(|e| format!("p{e}@x.test"));
                let user = user.map(|u| format!("user_{u}"));
                let dedup = dedup.map(|d| format!("d{d}"));
                let ad = ad.map(|a| format!("ad_{a}"));
                if via_api {
                    let body = json!({
                        "account_id": ACCOUNTS[account], "event_name": name, "custom_name": custom,
                        "value": value, "event_id": dedup, "context": {"ad_id": ad},
                        "event_time": time.map(rfc3339),
                        "user": {"anonymous_id": format!("w{visitor}"), "email": email, "user_id": user},
                    });
                    post(app, "prop_key", body);
                    return;
                }
                let mut event = match (custom, value) {
                    (Some(custom), _) => Event::custom(custom),
                    (None, Some(value)) => Event::purchase(value),
                    (None, None) if name == "page" => Event::page_view(),
                    (None, None) if name == "payment.failed" => Event::failed_payment(),
                    (None, None) => StandardEvent::parse(name)
                        .map_or_else(|| Event::custom(name), Event::standard),
                };
                event = event
                    .visitor(format!("w{visitor}"))
                    .name(format!("N{visitor}"));
                if let Some(email) = email {
                    event = event.email(email);
                }
                if let Some(user) = user {
                    event = event.user_id(user);
                }
                if let Some(time) = time {
                    event = event.at(time);
                }
                if let Some(dedup) = dedup {
                    event = event.event_id(dedup);
                }
                if let Some(ad) = ad {
                    event = event.ad(AdEntity::new(ad).name(format!("Ad {visitor}")));
                }
                whop.ingest(ACCOUNTS[account], event).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_write_sequences_round_trip(ops in prop::collection::vec(op(), 1..40)) {
            let app = app();
            let whop = handle(&app);
            write_lock(&app.whop).add_key(
                Some("prop_key"),
                KeyScope::MultiAccount(ACCOUNTS.map(str::to_owned).into()),
            );
            for op in ops {
                apply(&app, &whop, op);
            }
            assert_round_trip(&app);
        }
    }
}
