//! Era C's people list: its explicit filters and `order`, over lifetime aggregates, giving the
//! sorted rows the cursor pages walk ([`cursor::Rows`](super::cursor::Rows)).

use std::cmp::Ordering;
use std::sync::LazyLock;

use super::api::param;
use super::cursor::Rows;
use super::era::TimeFormat;
use super::error::WhopError;
use super::log::EventKind;
use super::profile::Touch;
use super::stored::StoredEvent;
use super::tenant::{Account, PersonIndex};
use super::timeline::WindowAggregate;
use crate::http::ApiRequest;

const DAY: i64 = 24 * 60 * 60;

/// The columns `order` takes.
pub const ORDERS: [&str; 10] = [
    "first_seen_at",
    "last_seen_at",
    "first_purchase_at",
    "last_purchase_at",
    "purchase_count",
    "event_count",
    "ltv",
    "aov",
    "name",
    "email",
];

/// The lifetime numbers the range filters compare.
const METRICS: [&str; 4] = ["ltv", "aov", "purchase_count", "event_count"];
const COMPARISONS: [&str; 4] = ["gt", "gte", "lt", "lte"];

/// Every query parameter of Era C's `GET /people`, worked out once.
pub fn parameters() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        names()
            .into_iter()
            .map(|name| &*Box::leak(name.into_boxed_str()))
            .collect()
    });
    &NAMES
}

/// The names [`parameters`] lists.
fn names() -> Vec<String> {
    let mut names: Vec<String> = [
        "account_id",
        "first",
        "after",
        "before",
        "order",
        "direction",
        "query",
        "source",
        "attribution_model",
        "event_name",
        "custom_event",
        "audience_id",
        "user_id",
        "email",
        "phone",
        "country",
        "has_purchased",
        "contactable",
        "event_within_days",
        "first_seen_within_days",
        "last_seen_within_days",
        "event_from",
        "event_to",
        "from",
        "to",
        "first_seen_after",
        "first_seen_before",
        "last_seen_after",
        "last_seen_before",
    ]
    .map(str::to_owned)
    .to_vec();
    for metric in METRICS {
        for comparison in COMPARISONS {
            names.push(format!("{metric}_{comparison}"));
        }
    }
    names
}

/// A checked Era C list query.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct PeopleQuery {
    order: usize,
    ascending: bool,
    /// Activity window: people with an event in it.
    window: Option<(i64, i64)>,
    text: Option<String>,
    sources: Vec<String>,
    first_touch: bool,
    event_names: Vec<String>,
    custom_event: Option<String>,
    audience: Option<String>,
    user_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    country: Option<String>,
    has_purchased: Option<bool>,
    contactable: Option<bool>,
    first_seen: (i64, i64),
    last_seen: (i64, i64),
    /// `(metric, comparison, value)`: money in cents, counts as they are.
    ranges: Vec<(usize, usize, i64)>,
}

impl PeopleQuery {
    /// Reads the filters and order of `request`; `now` anchors the `*_within_days` ones.
    pub fn parse(request: &ApiRequest, now: i64) -> Result<Self, WhopError> {
        let time = |name: &str| -> Result<Option<i64>, WhopError> {
            param(request, name)
                .map(|raw| TimeFormat::Iso.parse(name, raw))
                .transpose()
        };
        let days = |name: &str| -> Result<Option<i64>, WhopError> {
            match param(request, name) {
                None => Ok(None),
                Some(raw) => match raw.trim().parse::<i64>() {
                    Ok(days) if days >= 0 => Ok(Some(now.saturating_sub(days.saturating_mul(DAY)))),
                    _ => Err(WhopError::invalid_param(
                        name,
                        format!("`{name}` must be a whole number of days, got `{raw}`."),
                    )),
                },
            }
        };
        let boolean = |name: &str| -> Result<Option<bool>, WhopError> {
            match param(request, name) {
                None => Ok(None),
                Some("true") => Ok(Some(true)),
                Some("false") => Ok(Some(false)),
                Some(other) => Err(WhopError::invalid_param(
                    name,
                    format!("`{name}` must be `true` or `false`, got `{other}`."),
                )),
            }
        };
        let order = match param(request, "order") {
            None => 1,
            Some(name) => ORDERS
                .iter()
                .position(|known| *known == name)
                .ok_or_else(|| {
                    WhopError::invalid_param(
                        "order",
                        format!(
                            "Unknown order `{name}`; expected one of: {}.",
                            ORDERS.join(", ")
                        ),
                    )
                })?,
        };
        let ascending = match param(request, "direction") {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(other) => {
                return Err(WhopError::invalid_param(
                    "direction",
                    format!("`direction` must be `asc` or `desc`, got `{other}`."),
                ));
            }
        };
        let first_touch = match param(request, "attribution_model") {
            None | Some("last_touch") => false,
            Some("first_touch") => true,
            Some(other) => {
                return Err(WhopError::invalid_param(
                    "attribution_model",
                    format!(
                        "`attribution_model` must be `last_touch` or `first_touch`, got `{other}`."
                    ),
                ));
            }
        };
        let event_from = time("event_from")?.or(time("from")?);
        let event_to = time("event_to")?.or(time("to")?);
        let within = days("event_within_days")?;
        let window = match (event_from.max(within), event_to) {
            (None, None) => None,
            (from, to) => Some((from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX))),
        };
        if let Some((from, to)) = window
            && from > to
        {
            return Err(WhopError::invalid_param(
                "event_from",
                "The activity window starts after it ends.",
            ));
        }
        let bounds = |after: &str, before: &str, within: &str| -> Result<(i64, i64), WhopError> {
            let lo = time(after)?.max(days(within)?).unwrap_or(i64::MIN);
            Ok((lo, time(before)?.unwrap_or(i64::MAX)))
        };
        let mut ranges = Vec::new();
        for (metric, name) in METRICS.iter().enumerate() {
            for (comparison, suffix) in COMPARISONS.iter().enumerate() {
                let key = format!("{name}_{suffix}");
                let Some(raw) = param(request, &key) else {
                    continue;
                };
                let value: f64 = raw
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| {
                        WhopError::invalid_param(
                            &key,
                            format!("`{key}` must be a number, got `{raw}`."),
                        )
                    })?;
                let scaled = if metric < 2 { value * 100.0 } else { value };
                ranges.push((metric, comparison, scaled.round() as i64));
            }
        }
        let text = |name: &str| param(request, name).map(str::to_owned);
        Ok(Self {
            order,
            ascending,
            window,
            text: text("query").map(|text| text.to_lowercase()),
            sources: list(request, "source"),
            first_touch,
            event_names: list(request, "event_name"),
            custom_event: text("custom_event"),
            audience: text("audience_id"),
            user_id: text("user_id"),
            email: text("email").map(|email| email.to_lowercase()),
            phone: text("phone"),
            country: text("country").map(|country| country.to_uppercase()),
            has_purchased: boolean("has_purchased")?,
            contactable: boolean("contactable")?,
            first_seen: bounds(
                "first_seen_after",
                "first_seen_before",
                "first_seen_within_days",
            )?,
            last_seen: bounds(
                "last_seen_after",
                "last_seen_before",
                "last_seen_within_days",
            )?,
            ranges,
        })
    }
}

/// Every value of an array parameter, sent as `name[]=a&name[]=b`, `name=a&name=b` or
/// `name=a,b`.
fn list(request: &ApiRequest, name: &str) -> Vec<String> {
    let bracketed = format!("{name}[]");
    request
        .query
        .iter()
        .filter(|(key, _)| *key == name || *key == bracketed)
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A live person as Era C sees them: lifetime aggregates and profile.
#[derive(Clone, Copy, Debug)]
pub struct Profiled<'a> {
    /// The account.
    pub account: &'a Account,
    /// The person's index.
    pub index: PersonIndex,
    /// Their whole-history aggregates.
    pub whole: WindowAggregate,
}

impl<'a> Profiled<'a> {
    /// The live person at `index`, if live.
    pub fn of(account: &'a Account, index: PersonIndex) -> Option<Self> {
        Some(Self {
            account,
            index,
            whole: account.whole(index)?,
        })
    }

    /// Record id.
    pub fn id(&self) -> &'a str {
        &self.account.person(self.index).id
    }

    /// Detail of the event at log position `at`, if any.
    fn detail(
        &self,
        at: Option<u32>,
        pick: fn(&'a StoredEvent) -> Option<&'a str>,
    ) -> Option<&'a str> {
        pick(self.account.event(at?))
    }

    /// The latest name.
    pub fn name(&self) -> Option<&'a str> {
        self.detail(self.whole.name_event, StoredEvent::name)
    }

    /// The latest e-mail.
    pub fn email(&self) -> Option<&'a str> {
        self.detail(self.whole.email_event, StoredEvent::email)
    }

    /// The latest phone number.
    pub fn phone(&self) -> Option<&'a str> {
        self.detail(self.whole.phone_event, StoredEvent::phone)
    }

    /// The latest Whop user id.
    pub fn user_id(&self) -> Option<&'a str> {
        let (_, at) = self.account.profile(self.index).user?;
        self.account.event(at).user_id()
    }

    /// The latest country.
    pub fn country(&self) -> Option<&'a str> {
        let (_, at) = self.account.profile(self.index).location?;
        self.account.event(at).user_more().country.as_deref()
    }

    /// How many events the person has.
    pub fn event_count(&self) -> i64 {
        self.account.person(self.index).timeline.len() as i64
    }

    /// The touch of the first or the latest event with one.
    pub fn touch(&self, first: bool) -> Option<(i64, Touch<'a>)> {
        let profile = self.account.profile(self.index);
        let (time, at) = if first {
            profile.first_source
        } else {
            profile.last_source
        }?;
        Some((time, Touch::of_stored(self.account.event(at))?))
    }

    /// The value of order column `order` (an index into [`ORDERS`]).
    fn key(&self, order: usize) -> Key<'a> {
        let profile = self.account.profile(self.index);
        match order {
            0 => Key::Number(Some(self.whole.first_seen_at)),
            1 => Key::Number(Some(self.whole.last_seen_at)),
            2 => Key::Number(profile.first_purchase.map(|(time, _)| time)),
            3 => Key::Number(profile.last_purchase.map(|(time, _)| time)),
            4 => Key::Number(Some(i64::from(self.whole.purchase_count))),
            5 => Key::Number(Some(self.event_count())),
            6 => Key::Number(Some(self.whole.ltv_cents)),
            7 => Key::Number(Some(self.whole.aov_cents())),
            8 => Key::Text(self.name()),
            _ => Key::Text(self.email()),
        }
    }

    /// The lifetime value of range metric `metric` (an index into `METRICS`).
    fn metric(&self, metric: usize) -> i64 {
        match metric {
            0 => self.whole.ltv_cents,
            1 => self.whole.aov_cents(),
            2 => i64::from(self.whole.purchase_count),
            _ => self.event_count(),
        }
    }

    fn matches(&self, query: &PeopleQuery) -> bool {
        let whole = &self.whole;
        let within = |(lo, hi): (i64, i64), time: i64| lo <= time && time <= hi;
        if !within(query.first_seen, whole.first_seen_at)
            || !within(query.last_seen, whole.last_seen_at)
        {
            return false;
        }
        if query.audience.is_some() {
            return false;
        }
        if query
            .has_purchased
            .is_some_and(|wanted| wanted != (whole.purchase_count > 0))
        {
            return false;
        }
        let contactable = whole.email_event.is_some() || whole.phone_event.is_some();
        if query
            .contactable
            .is_some_and(|wanted| wanted != contactable)
        {
            return false;
        }
        let passes = query.ranges.iter().all(|&(metric, comparison, bound)| {
            let value = self.metric(metric);
            match comparison {
                0 => value > bound,
                1 => value >= bound,
                2 => value < bound,
                _ => value <= bound,
            }
        });
        if !passes {
            return false;
        }
        // A detail is looked up only when the query names it. The query holds e-mails
        // lower-cased and countries upper-cased.
        let differs = |wanted: &Option<String>,
                       held: fn(&Self) -> Option<&'a str>,
                       fold: fn(&str) -> String| {
            wanted
                .as_deref()
                .is_some_and(|wanted| held(self).is_none_or(|held| fold(held) != wanted))
        };
        if differs(&query.user_id, Self::user_id, str::to_owned)
            || differs(&query.phone, Self::phone, str::to_owned)
            || differs(&query.email, Self::email, str::to_lowercase)
            || differs(&query.country, Self::country, str::to_uppercase)
        {
            return false;
        }
        if let Some(text) = &query.text {
            let found = [self.name(), self.email(), self.phone(), self.user_id()]
                .into_iter()
                .flatten()
                .any(|held| held.to_lowercase().contains(text.as_str()));
            if !found {
                return false;
            }
        }
        if !query.sources.is_empty() {
            let token = self.touch(query.first_touch).map(|(_, touch)| touch);
            if !query
                .sources
                .iter()
                .any(|source| source_matches(source, token))
            {
                return false;
            }
        }
        if !query.event_names.is_empty() || query.custom_event.is_some() {
            return self.has_events(query);
        }
        true
    }

    /// Whether the person has (in the activity window, when there is one) an event of each
    /// kind the query names: one of `event_name[]`, and the custom event.
    fn has_events(&self, query: &PeopleQuery) -> bool {
        let (from, to) = query.window.unwrap_or((i64::MIN, i64::MAX));
        let mut named = query.event_names.is_empty();
        let mut custom = query.custom_event.is_none();
        for (_, at) in self
            .account
            .person(self.index)
            .timeline
            .events_between(from, to)
        {
            let event = self.account.event(at);
            named = named
                || query
                    .event_names
                    .iter()
                    .any(|name| name == event.reported_name());
            custom = custom
                || matches!((event.kind(), &query.custom_event), (EventKind::Custom(held), Some(wanted)) if held == wanted);
            if named && custom {
                return true;
            }
        }
        false
    }
}

/// Whether a `source[]` value matches a touch (`None`: the person came directly).
fn source_matches(source: &str, touch: Option<Touch<'_>>) -> bool {
    match (source, touch) {
        ("direct", None) => true,
        ("other", Some(Touch::Utm { .. })) => true,
        (_, None) => false,
        (pattern, Some(touch)) => {
            let token = touch.token();
            match pattern.strip_suffix('*') {
                Some(prefix) => token.starts_with(prefix),
                None => token == pattern,
            }
        }
    }
}

/// A sort value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key<'a> {
    Number(Option<i64>),
    Text(Option<&'a str>),
}

/// Era C's list of an account for one query.
pub struct CurrentRows<'a> {
    /// The account.
    pub account: &'a Account,
    /// The query.
    pub query: &'a PeopleQuery,
}

impl Rows for CurrentRows<'_> {
    fn sorted(&self) -> Vec<u32> {
        let account = self.account;
        let candidates: Box<dyn Iterator<Item = PersonIndex>> = match self.query.window {
            Some((from, to)) => Box::new(
                account
                    .indexed_in_window(from, to)
                    .map(|(index, _, _)| index),
            ),
            None => Box::new(account.live_indices()),
        };
        let mut rows: Vec<(Key<'_>, &str, u32)> = candidates
            .filter_map(|index| Profiled::of(account, index))
            .filter(|person| person.matches(self.query))
            .map(|person| {
                (
                    person.key(self.query.order),
                    person.id(),
                    person.index as u32,
                )
            })
            .collect();
        let ascending = self.query.ascending;
        rows.sort_unstable_by(|a, b| compare(a, b, ascending));
        rows.into_iter().map(|(_, _, index)| index).collect()
    }

    fn id(&self, row: u32) -> &str {
        &self.account.person(row as usize).id
    }
}

/// Orders two rows by key in `ascending` order or not, nulls last either way, ties broken by
/// record id in the same direction.
fn compare(a: &(Key<'_>, &str, u32), b: &(Key<'_>, &str, u32), ascending: bool) -> Ordering {
    let directed = |ordering: Ordering| {
        if ascending {
            ordering
        } else {
            ordering.reverse()
        }
    };
    let by_key = match (a.0, b.0) {
        (Key::Number(Some(x)), Key::Number(Some(y))) => directed(x.cmp(&y)),
        (Key::Text(Some(x)), Key::Text(Some(y))) => directed(x.cmp(y)),
        (Key::Number(x), Key::Number(y)) => x.is_none().cmp(&y.is_none()),
        (Key::Text(x), Key::Text(y)) => x.is_none().cmp(&y.is_none()),
        _ => Ordering::Equal,
    };
    by_key.then_with(|| directed(a.1.cmp(b.1)))
}
