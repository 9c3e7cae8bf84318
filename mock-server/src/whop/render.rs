//! The Whop `Person` JSON object, rendered from a person seen through a window.

use serde::Serialize;

use super::era::{Time, TimeFormat};
use super::field::PersonView;
use super::log::AdLevel;

/// The body of `GET /people`.
#[derive(Debug, Serialize)]
pub struct ListPeopleBody<'a> {
    /// The page.
    pub data: Vec<PersonJson<'a>>,
    /// How many people match across all pages.
    pub total_count: usize,
}

/// A body that wraps one object in `data` (`GET /people/{id}`).
#[derive(Debug, Serialize)]
pub struct DataBody<T> {
    /// The object.
    pub data: T,
}

/// The body of `POST /events`.
#[derive(Debug, Serialize)]
pub struct CreatedEventBody {
    /// The recorded event's id.
    pub id: String,
}

/// Whop's `Person` object.
#[derive(Debug, Serialize)]
pub struct PersonJson<'a> {
    id: &'a str,
    person_id: &'a str,
    account_id: &'a str,
    name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    first_seen_at: Time,
    last_seen_at: Time,
    purchase_count: u32,
    has_failed_payment: bool,
    ltv: f64,
    aov: f64,
    campaigns: Vec<AdRefJson<'a>>,
    ad_sets: Vec<AdRefJson<'a>>,
    ads: Vec<AdRefJson<'a>>,
}

/// Whop's `AdRef` object.
#[derive(Debug, Serialize)]
struct AdRefJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    thumbnail_url: Option<&'a str>,
}

impl<'a> PersonJson<'a> {
    /// Renders `view`, writing times `times`.
    pub fn of(view: &PersonView<'a>, times: TimeFormat) -> Self {
        let aggregate = &view.aggregate;
        let ad_refs = |level: AdLevel| -> Vec<AdRefJson<'a>> {
            view.ads(level)
                .into_iter()
                .map(|id| {
                    let known = view.account.ad(level, id);
                    AdRefJson {
                        id,
                        name: known.and_then(|ad| ad.name.as_deref()),
                        thumbnail_url: known.and_then(|ad| ad.thumbnail_url.as_deref()),
                    }
                })
                .collect()
        };
        Self {
            id: &view.person.id,
            person_id: &view.person.person_id,
            account_id: &view.account.id,
            name: view.name(),
            email: view.email(),
            phone: view.phone(),
            first_seen_at: times.at(aggregate.first_seen_at),
            last_seen_at: times.at(aggregate.last_seen_at),
            purchase_count: aggregate.purchase_count,
            has_failed_payment: aggregate.has_failed_payment,
            ltv: cents_to_dollars(aggregate.ltv_cents),
            aov: cents_to_dollars(aggregate.aov_cents()),
            campaigns: ad_refs(AdLevel::Campaign),
            ad_sets: ad_refs(AdLevel::AdSet),
            ads: ad_refs(AdLevel::Ad),
        }
    }
}

fn cents_to_dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}
