//! The Whop state as a seed: every account with its ad catalogue and its log in log order,
//! and every key. Linear in the logs, plus sorting accounts, catalogue entries and keys.

use super::time::SeedTime;
use super::{AccountSeed, AdRefSeed, ContextSeed, EventSeed, KeySeed, UserSeed, WhopSeed};
use crate::whop::account::Account;
use crate::whop::event::{AdLevel, EventKind, StoredEvent};
use crate::whop::keys::KeyScope;
use crate::whop::state::WhopState;

/// Everything in `state`, accounts sorted by id and keys by token.
pub(super) fn export(state: &WhopState) -> WhopSeed {
    let mut accounts: Vec<&Account> = state.accounts().collect();
    accounts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let mut keys: Vec<(&str, &KeyScope)> = state.keys.iter().collect();
    keys.sort_unstable_by_key(|(token, _)| *token);
    WhopSeed {
        accounts: accounts.into_iter().map(account).collect(),
        keys: keys
            .into_iter()
            .map(|(token, scope)| key(token, scope))
            .collect(),
    }
}

fn account(account: &Account) -> AccountSeed {
    AccountSeed {
        id: account.id.clone(),
        campaigns: catalogue(account, AdLevel::Campaign),
        ad_sets: catalogue(account, AdLevel::AdSet),
        ads: catalogue(account, AdLevel::Ad),
        events: account.events().iter().map(event).collect(),
    }
}

/// The display data known for `level`, sorted by id.
fn catalogue(account: &Account, level: AdLevel) -> Vec<AdRefSeed> {
    let mut refs: Vec<AdRefSeed> = account
        .ad_catalogue(level)
        .map(|entity| AdRefSeed {
            id: entity.id.clone(),
            name: entity.name.clone(),
            thumbnail_url: entity.thumbnail_url.clone(),
        })
        .collect();
    refs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    refs
}

/// One logged event. Custom events are always written as `custom` + `custom_name`, so a
/// custom event named like a standard one (or `purchase`) stays custom.
fn event(event: &StoredEvent) -> EventSeed {
    let (event_name, custom_name, value) = match &event.kind {
        EventKind::PageView => ("page", None, None),
        EventKind::Standard(standard) => (standard.as_str(), None, None),
        EventKind::Custom(name) => ("custom", Some(name.clone()), None),
        EventKind::Purchase { usd_cents } => ("purchase", None, Some(*usd_cents as f64 / 100.0)),
        EventKind::FailedPayment => ("payment.failed", None, None),
    };
    EventSeed {
        id: Some(event.id.clone()),
        event_name: event_name.to_owned(),
        custom_name,
        event_time: Some(SeedTime::of(event.time)),
        event_id: event.event_id.clone(),
        value,
        user: UserSeed {
            anonymous_id: event.identity.anonymous_id.clone(),
            user_id: event.identity.user_id.clone(),
            external_id: event.identity.external_id.clone(),
            email: event.identity.email.clone(),
            name: event.traits.name.clone(),
            phone: event.traits.phone.clone(),
        },
        context: ContextSeed {
            ad_campaign_id: event.attribution.campaign.clone(),
            ad_set_id: event.attribution.ad_set.clone(),
            ad_id: event.attribution.ad.clone(),
        },
        url: event.url.clone(),
    }
}

fn key(token: &str, scope: &KeyScope) -> KeySeed {
    let (account_id, account_ids) = match scope {
        KeyScope::Account(account) => (Some(account.clone()), None),
        KeyScope::MultiAccount(accounts) => (None, Some(accounts.iter().cloned().collect())),
    };
    KeySeed {
        token: Some(token.to_owned()),
        account_id,
        account_ids,
    }
}
