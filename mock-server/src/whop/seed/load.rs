//! A Whop seed into the state: checked and replayed off to the side, then put in place, so
//! a refused seed changes nothing.
//!
//! Each account's events are replayed in order through [`Account::record_with_id`], the
//! code path of `POST /events` and [`crate::whop::Whop::ingest`], so every projection comes
//! out as the API would have built it. Ids are generated per account and deterministically,
//! so a fresh account replaying an exported log regenerates the exported ids; that is why
//! an account that already holds events cannot take more from a seed.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{AccountSeed, AdRefSeed, EventSeed, KeySeed, WhopSeed};
use crate::seed::SeedError;
use crate::whop::account::{Account, RecordError};
use crate::whop::event::{
    AdEntity, AdLevel, Attribution, EventKind, Identity, NewEvent, Traits, dollars_to_cents,
};
use crate::whop::keys::KeyScope;
use crate::whop::state::WhopState;

/// Loads `seed` into `state`, with `now` standing in for missing event times.
pub(super) fn load(state: &mut WhopState, seed: &WhopSeed, now: i64) -> Result<(), SeedError> {
    let accounts = replay_accounts(state, seed, now)?;
    let keys = plan_keys(state, seed)?;
    for account in accounts {
        state.replace_account(account);
    }
    // Named tokens first, so that generated ones skip them.
    let (named, generated): (Vec<_>, Vec<_>) = keys.into_iter().partition(|key| key.0.is_some());
    for (token, scope) in named.into_iter().chain(generated) {
        state.add_key(token.as_deref(), scope);
    }
    Ok(())
}

/// Every account of the seed, built and replayed without touching `state`.
fn replay_accounts(
    state: &WhopState,
    seed: &WhopSeed,
    now: i64,
) -> Result<Vec<Account>, SeedError> {
    let mut seen = HashSet::new();
    let mut accounts = Vec::new();
    for (index, account) in seed.accounts.iter().enumerate() {
        let path = format!("whop.accounts[{index}]");
        let id = non_blank(&account.id, &format!("{path}.id"))?;
        if !seen.insert(id) {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!("account `{id}` is listed twice"),
            ));
        }
        if let Some(built) = replay_account(state.account(id), account, &path, now)? {
            accounts.push(built);
        }
    }
    Ok(accounts)
}

/// The account `seed` describes, starting from what the state holds (`None` when there
/// is nothing to change).
fn replay_account(
    existing: Option<&Account>,
    seed: &AccountSeed,
    path: &str,
    now: i64,
) -> Result<Option<Account>, SeedError> {
    let brings_data = !(seed.events.is_empty()
        && seed.campaigns.is_empty()
        && seed.ad_sets.is_empty()
        && seed.ads.is_empty());
    let mut account = match existing {
        Some(_) if !brings_data => return Ok(None),
        Some(account) if account.event_count() > 0 => {
            return Err(SeedError::new(
                format!("{path}.id"),
                format!(
                    "account `{}` already holds {} events; a seed can only fill an account that has none, so that its ids are the ones it was exported with",
                    account.id,
                    account.event_count()
                ),
            ));
        }
        Some(account) => account.clone(),
        None => Account::new(&seed.id),
    };
    for (level, field, refs) in [
        (AdLevel::Campaign, "campaigns", &seed.campaigns),
        (AdLevel::AdSet, "ad_sets", &seed.ad_sets),
        (AdLevel::Ad, "ads", &seed.ads),
    ] {
        describe_ads(&mut account, level, refs, &format!("{path}.{field}"))?;
    }
    for (index, event) in seed.events.iter().enumerate() {
        replay_event(&mut account, event, &format!("{path}.events[{index}]"), now)?;
    }
    check_unique_event_ids(&account, path)?;
    Ok(Some(account))
}

fn describe_ads(
    account: &mut Account,
    level: AdLevel,
    refs: &[AdRefSeed],
    path: &str,
) -> Result<(), SeedError> {
    let mut seen = HashSet::new();
    for (index, ad) in refs.iter().enumerate() {
        let id_path = format!("{path}[{index}].id");
        let id = non_blank(&ad.id, &id_path)?;
        if !seen.insert(id) {
            return Err(SeedError::new(id_path, format!("`{id}` is listed twice")));
        }
        account.describe_ad(
            level,
            &AdEntity {
                id: id.to_owned(),
                name: ad.name.clone(),
                thumbnail_url: ad.thumbnail_url.clone(),
            },
        );
    }
    Ok(())
}

/// Records one seed event; a duplicate (same name and `event_id` as an earlier one) is an
/// error rather than silently dropped, as it would be by `POST /events`.
fn replay_event(
    account: &mut Account,
    seed: &EventSeed,
    path: &str,
    now: i64,
) -> Result<(), SeedError> {
    let id = seed
        .id
        .as_deref()
        .map(|id| non_blank(id, &format!("{path}.id")).map(str::to_owned))
        .transpose()?;
    let recorded = account
        .record_with_id(new_event(seed, path)?, now, id)
        .map_err(|error| {
            let field = match error {
                RecordError::NoIdentity => ".user",
                RecordError::AmountOutOfRange => ".value",
                RecordError::LogFull => "",
            };
            SeedError::new(format!("{path}{field}"), error.to_string())
        })?;
    if recorded.duplicate {
        return Err(SeedError::new(
            format!("{path}.event_id"),
            format!(
                "an earlier event ({}) has the same event_name and event_id, so this one would be ignored",
                recorded.event_id
            ),
        ));
    }
    Ok(())
}

/// The event a seed entry describes, with the same vocabulary as `POST /events`.
fn new_event(seed: &EventSeed, path: &str) -> Result<NewEvent, SeedError> {
    let name = non_blank(&seed.event_name, &format!("{path}.event_name"))?;
    let usd_cents = seed
        .value
        .map(|value| {
            if value.is_finite() && value >= 0.0 {
                Ok(dollars_to_cents(value))
            } else {
                Err(SeedError::new(
                    format!("{path}.value"),
                    format!("must be a non-negative amount of US dollars, got {value}"),
                ))
            }
        })
        .transpose()?;
    let kind = match (name, seed.custom_name.as_deref()) {
        ("custom", Some(custom)) => {
            EventKind::Custom(non_blank(custom, &format!("{path}.custom_name"))?.to_owned())
        }
        ("custom", None) => {
            return Err(SeedError::new(
                format!("{path}.custom_name"),
                "is required when event_name is `custom`",
            ));
        }
        (_, Some(_)) => {
            return Err(SeedError::new(
                format!("{path}.custom_name"),
                format!("only goes with event_name `custom`, not `{name}`"),
            ));
        }
        (name, None) => EventKind::from_name(name, usd_cents),
    };
    if usd_cents.is_some() && !matches!(kind, EventKind::Purchase { .. }) {
        return Err(SeedError::new(
            format!("{path}.value"),
            format!("only a payment (`purchase` or `payment.completed`) has a value, not `{name}`"),
        ));
    }
    let time = seed
        .event_time
        .as_ref()
        .map(|time| {
            time.unix_seconds()
                .map_err(|why| SeedError::new(format!("{path}.event_time"), why))
        })
        .transpose()?;
    let user = &seed.user;
    let context = &seed.context;
    Ok(NewEvent {
        kind,
        time,
        event_id: seed.event_id.clone(),
        identity: Identity {
            anonymous_id: user.anonymous_id.clone(),
            user_id: user.user_id.clone(),
            external_id: user.external_id.clone(),
            email: user.email.clone(),
        },
        traits: Traits {
            name: user.name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone(),
        },
        attribution: Attribution {
            campaign: context.ad_campaign_id.clone(),
            ad_set: context.ad_set_id.clone(),
            ad: context.ad_id.clone(),
        },
        ad_entities: Vec::new(),
        url: seed.url.clone(),
    })
}

/// Explicit ids must not repeat, nor meet a generated one.
fn check_unique_event_ids(account: &Account, path: &str) -> Result<(), SeedError> {
    let mut seen = HashSet::with_capacity(account.event_count());
    for (index, event) in account.events().iter().enumerate() {
        if !seen.insert(event.id.as_str()) {
            return Err(SeedError::new(
                format!("{path}.events[{index}].id"),
                format!("`{}` is the id of an earlier event too", event.id),
            ));
        }
    }
    Ok(())
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
