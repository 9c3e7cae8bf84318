//! The Whop `Person` JSON object, rendered from a person seen through a window, and list
//! pages assembled from rendered people.

use serde::Serialize;

use super::era::{Time, TimeFormat};
use super::field::PersonView;
use super::log::AdLevel;
use super::rendered::Form;

/// What follows Era A's page in `GET /people`'s body.
#[derive(Debug, Serialize)]
pub struct TotalCount {
    /// How many people match across all pages.
    pub total_count: usize,
}

/// A page's body, `{"data":[…],…}`: each item written as JSON by `write` (a kept rendering
/// or a fresh one), then the fields of `rest`, a struct, as a derived body would put them
/// after `data`.
pub fn page_body<T>(
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(T, &mut Vec<u8>),
    rest: &impl Serialize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024);
    out.extend_from_slice(b"{\"data\":[");
    for (position, item) in items.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write(item, &mut out);
    }
    out.push(b']');
    let mut rest_json = Vec::new();
    write_json(&mut rest_json, rest);
    match rest_json.strip_prefix(b"{") {
        Some(fields) if fields != b"}" => {
            out.push(b',');
            out.extend_from_slice(fields);
        }
        _ => out.push(b'}'),
    }
    out
}

/// Appends `value` as JSON to `out`. The bodies written this way have no map keys that are
/// not text, so serde_json cannot refuse them; if it did, the value is written as `null`.
pub fn write_json(out: &mut Vec<u8>, value: &impl Serialize) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
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
    /// Appends `view` as JSON with times `times` to `out`: the person's kept rendering when
    /// the window holds their whole history (the same for every such window), else rendered
    /// for this window.
    pub fn write(view: &PersonView<'a>, times: TimeFormat, out: &mut Vec<u8>) {
        if !view.holds_whole_history() {
            write_json(out, &Self::of(view, times));
            return;
        }
        let form = match times {
            TimeFormat::Unix => Form::WholeUnix,
            TimeFormat::Iso => Form::WholeIso,
        };
        view.person.rendered().write(form, out, || {
            let mut bytes = Vec::new();
            write_json(&mut bytes, &Self::of(view, times));
            bytes
        });
    }

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
