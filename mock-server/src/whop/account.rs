//! One Whop account's data: the append-only event log and the projections built from it
//! (people, identity index, ad catalogue, deduplication set).

use std::collections::HashMap;

use super::event::{AdEntity, AdLevel, EventKind, Identity, NewEvent, StoredEvent};
use super::timeline::{Timeline, WindowAggregate};
use crate::ids::IdGenerator;

/// Index of a person in [`Account::people`].
pub type PersonIndex = usize;

/// The largest single payment the mock accepts, in US cents (one billion dollars), which
/// keeps every running total far from overflow.
pub const MAX_PAYMENT_CENTS: i64 = 100_000_000_000;

/// The span of a person without events (a merged one): no window overlaps it.
const EMPTY_SPAN: (i64, i64) = (i64::MAX, i64::MIN);

/// One identifier that ties events to a person.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IdentityKey {
    /// Pixel visitor id.
    Visitor(String),
    /// Whop user id.
    User(String),
    /// The account's own id.
    External(String),
    /// E-mail, lower-cased.
    Email(String),
}

impl IdentityKey {
    /// The keys `identity` carries.
    pub fn all_of(identity: &Identity) -> Vec<IdentityKey> {
        [
            identity.user_id.clone().map(IdentityKey::User),
            identity.external_id.clone().map(IdentityKey::External),
            identity
                .email
                .as_deref()
                .map(|email| IdentityKey::Email(email.to_lowercase())),
            identity.anonymous_id.clone().map(IdentityKey::Visitor),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Every key `text` could be, for look-ups by any identifier.
    fn candidates(text: &str) -> [IdentityKey; 4] {
        [
            IdentityKey::User(text.to_owned()),
            IdentityKey::External(text.to_owned()),
            IdentityKey::Email(text.to_lowercase()),
            IdentityKey::Visitor(text.to_owned()),
        ]
    }
}

/// The identifier a new person is known by (`person_id`): the weakest one of their first
/// event, as sent — the pixel visitor id when there is one, as the pixel sees visitors before
/// they identify.
fn first_seen_identity(identity: &Identity) -> String {
    [
        &identity.anonymous_id,
        &identity.email,
        &identity.external_id,
        &identity.user_id,
    ]
    .into_iter()
    .find_map(Clone::clone)
    .unwrap_or_default()
}

/// A person of the account.
#[derive(Clone, Debug)]
pub struct Person {
    /// Record id (`prsn_…`).
    pub id: String,
    /// The identifier the person was first seen with.
    pub person_id: String,
    /// Their events.
    pub timeline: Timeline,
    /// The survivor this person was merged into, if any.
    pub merged_into: Option<PersonIndex>,
    /// Every identifier that points to this person.
    keys: Vec<IdentityKey>,
    /// Record ids of the people merged into this one.
    absorbed_ids: Vec<String>,
}

/// Why an event was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The event carries no identifier.
    #[error(
        "the event's user carries no identifier: send at least one of anonymous_id, user_id, external_id or email"
    )]
    NoIdentity,
    /// A payment outside `0..=MAX_PAYMENT_CENTS`.
    #[error("a payment's value must be between 0 and 1000000000 US dollars")]
    AmountOutOfRange,
    /// The account log is full (more than `u32::MAX` events).
    #[error("the account holds the maximum number of events")]
    LogFull,
}

/// What recording an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The event's id (the earlier one's, for a duplicate).
    pub event_id: String,
    /// Whether it was a duplicate and changed nothing.
    pub duplicate: bool,
}

/// One account: its log and the projections kept up to date with every write.
///
/// The identity index and the record-id index always point at live people: a merge
/// re-points everything the absorbed person held, so look-ups never follow chains.
#[derive(Clone, Debug)]
pub struct Account {
    /// The account id (`biz_…`).
    pub id: String,
    log: Vec<StoredEvent>,
    people: Vec<Person>,
    /// Indexed like `people`: the times of each person's first and last event, or
    /// [`EMPTY_SPAN`] for a merged person. Contiguous, so a list can skip the people with no
    /// event in its window without touching their timelines.
    spans: Vec<(i64, i64)>,
    /// Indexed like `people`: each person's aggregates over their whole history (`None` for
    /// a merged person), which are their window's whenever the window holds their span.
    wholes: Vec<Option<WindowAggregate>>,
    live_people: usize,
    identities: HashMap<IdentityKey, PersonIndex>,
    record_ids: HashMap<String, PersonIndex>,
    seen_event_ids: HashMap<(String, String), String>,
    ads: HashMap<AdLevel, HashMap<String, AdEntity>>,
    ids: IdGenerator,
}

impl Account {
    /// An empty account.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            log: Vec::new(),
            people: Vec::new(),
            spans: Vec::new(),
            wholes: Vec::new(),
            live_people: 0,
            identities: HashMap::new(),
            record_ids: HashMap::new(),
            seen_event_ids: HashMap::new(),
            ads: HashMap::new(),
            ids: IdGenerator::seeded(id),
        }
    }

    /// Appends `event` to the log, then updates every projection. `now` stands in for a
    /// missing event time. Blank strings count as absent. Nothing changes when it fails.
    pub fn record(&mut self, event: NewEvent, now: i64) -> Result<Recorded, RecordError> {
        self.record_with_id(event, now, None)
    }

    /// Like [`Account::record`], but the event is stored under `id` when one is given (a
    /// seed replaying its log). The id generator advances all the same, so every later
    /// record and event id is the one a plain [`Account::record`] would have given.
    pub fn record_with_id(
        &mut self,
        event: NewEvent,
        now: i64,
        id: Option<String>,
    ) -> Result<Recorded, RecordError> {
        let event = event.without_blanks();
        if let EventKind::Purchase { usd_cents } = event.kind
            && !(0..=MAX_PAYMENT_CENTS).contains(&usd_cents)
        {
            return Err(RecordError::AmountOutOfRange);
        }
        let keys = IdentityKey::all_of(&event.identity);
        if keys.is_empty() {
            return Err(RecordError::NoIdentity);
        }
        let dedup_key = event
            .event_id
            .as_ref()
            .map(|event_id| (event.kind.name().to_owned(), event_id.clone()));
        if let Some(earlier) = dedup_key
            .as_ref()
            .and_then(|key| self.seen_event_ids.get(key))
        {
            return Ok(Recorded {
                event_id: earlier.clone(),
                duplicate: true,
            });
        }
        let log_index = u32::try_from(self.log.len()).map_err(|_| RecordError::LogFull)?;
        let person = self.resolve_person(&keys, &event.identity);
        for key in keys {
            if self.identities.insert(key.clone(), person).is_none() {
                self.people[person].keys.push(key);
            }
        }
        let generated = self.ids.next("evnt_", 14);
        let event_id = id.unwrap_or(generated);
        if let Some(key) = dedup_key {
            self.seen_event_ids.insert(key, event_id.clone());
        }
        self.log.push(StoredEvent {
            id: event_id.clone(),
            kind: event.kind,
            time: event.time.unwrap_or(now),
            event_id: event.event_id,
            identity: event.identity,
            traits: event.traits,
            attribution: event.attribution,
            ad_entities: event.ad_entities,
            url: event.url,
        });
        let stored = &self.log[log_index as usize];
        self.people[person].timeline.insert(log_index, stored);
        for (level, entity) in &stored.ad_entities {
            describe_ad(&mut self.ads, *level, entity);
        }
        self.summarize(person);
        Ok(Recorded {
            event_id,
            duplicate: false,
        })
    }

    /// The person all of `keys` belong to: an existing one, the survivor of merging several,
    /// or a new one.
    fn resolve_person(&mut self, keys: &[IdentityKey], identity: &Identity) -> PersonIndex {
        let mut matches: Vec<PersonIndex> = keys
            .iter()
            .filter_map(|key| self.identities.get(key).copied())
            .collect();
        matches.sort_unstable();
        matches.dedup();
        let Some((&survivor, absorbed)) = matches.split_first() else {
            return self.create_person(first_seen_identity(identity));
        };
        for &index in absorbed {
            self.absorb(survivor, index);
        }
        survivor
    }

    /// Merges person `index` into `survivor`: events, identifiers and record ids move over.
    fn absorb(&mut self, survivor: PersonIndex, index: PersonIndex) {
        let survivor_index = survivor;
        let absorbed = &mut self.people[index];
        let timeline = std::mem::take(&mut absorbed.timeline);
        let keys = std::mem::take(&mut absorbed.keys);
        let mut record_ids = std::mem::take(&mut absorbed.absorbed_ids);
        record_ids.push(absorbed.id.clone());
        absorbed.merged_into = Some(survivor);
        for key in &keys {
            self.identities.insert(key.clone(), survivor);
        }
        for id in &record_ids {
            self.record_ids.insert(id.clone(), survivor);
        }
        let survivor = &mut self.people[survivor];
        survivor.timeline.absorb(timeline);
        survivor.keys.extend(keys);
        survivor.absorbed_ids.extend(record_ids);
        self.live_people -= 1;
        self.spans[index] = EMPTY_SPAN;
        self.wholes[index] = None;
        self.summarize(survivor_index);
    }

    /// Refreshes the span and whole-history aggregates of person `index` from their timeline.
    fn summarize(&mut self, index: PersonIndex) {
        let whole = self.people[index].timeline.whole();
        self.spans[index] = whole.map_or(EMPTY_SPAN, |whole| {
            (whole.first_seen_at, whole.last_seen_at)
        });
        self.wholes[index] = whole;
    }

    fn create_person(&mut self, person_id: String) -> PersonIndex {
        let index = self.people.len();
        let id = self.ids.next("prsn_", 14);
        self.record_ids.insert(id.clone(), index);
        self.people.push(Person {
            id,
            person_id,
            timeline: Timeline::default(),
            merged_into: None,
            keys: Vec::new(),
            absorbed_ids: Vec::new(),
        });
        self.spans.push(EMPTY_SPAN);
        self.wholes.push(None);
        self.live_people += 1;
        index
    }

    /// Remembers display data for an ad entity; missing fields keep what was known.
    pub fn describe_ad(&mut self, level: AdLevel, entity: &AdEntity) {
        describe_ad(&mut self.ads, level, entity);
    }

    /// Display data for an ad entity, if any was ever sent.
    pub fn ad(&self, level: AdLevel, id: &str) -> Option<&AdEntity> {
        self.ads.get(&level)?.get(id)
    }

    /// Every ad entity of `level` with display data, in no particular order.
    pub fn ad_catalogue(&self, level: AdLevel) -> impl Iterator<Item = &AdEntity> {
        self.ads.get(&level).into_iter().flat_map(HashMap::values)
    }

    /// The live person a record id, person id or any identifier (visitor id, user id,
    /// external id, e-mail) points to; merged people resolve to their survivor.
    pub fn find(&self, key: &str) -> Option<&Person> {
        let index = self.record_ids.get(key).copied().or_else(|| {
            IdentityKey::candidates(key)
                .iter()
                .find_map(|candidate| self.identities.get(candidate).copied())
        })?;
        Some(&self.people[index])
    }

    /// Every live (not merged away) person, in creation order.
    pub fn people(&self) -> impl Iterator<Item = &Person> {
        self.people
            .iter()
            .filter(|person| person.merged_into.is_none())
    }

    /// Every live person with an event in `[from, to]`, in creation order, with their
    /// aggregates over that window: `people()` filtered by [`Timeline::window`], with the same
    /// results. Reads the contiguous span column first, so people with no event near the
    /// window cost no timeline access, and people whose whole history lies inside it cost no
    /// search; only people straddling a window edge get the two binary searches.
    pub fn people_in_window(
        &self,
        from: i64,
        to: i64,
    ) -> impl Iterator<Item = (&Person, WindowAggregate)> + '_ {
        self.spans
            .iter()
            .zip(&self.wholes)
            .zip(&self.people)
            .filter_map(move |((&(first, last), whole), person)| {
                if first > last || last < from || first > to {
                    None
                } else if from <= first && last <= to {
                    Some((person, (*whole)?))
                } else {
                    Some((person, person.timeline.window(from, to)?))
                }
            })
    }

    /// How many live people the account has.
    pub fn person_count(&self) -> usize {
        self.live_people
    }

    /// The event at `log_index`.
    pub fn event(&self, log_index: u32) -> &StoredEvent {
        &self.log[log_index as usize]
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        self.log.len()
    }

    /// The whole log, in the order the events were recorded.
    pub fn events(&self) -> &[StoredEvent] {
        &self.log
    }
}

/// Merges display data for an ad entity into `catalogue`.
fn describe_ad(
    catalogue: &mut HashMap<AdLevel, HashMap<String, AdEntity>>,
    level: AdLevel,
    entity: &AdEntity,
) {
    let known = catalogue
        .entry(level)
        .or_default()
        .entry(entity.id.clone())
        .or_insert_with(|| AdEntity::new(entity.id.clone()));
    if entity.name.is_some() {
        known.name.clone_from(&entity.name);
    }
    if entity.thumbnail_url.is_some() {
        known.thumbnail_url.clone_from(&entity.thumbnail_url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whop::event::Event;

    fn record(account: &mut Account, event: Event) -> Recorded {
        account.record(event.into_new_event(), 1_000).unwrap()
    }

    #[test]
    fn events_sharing_an_identifier_make_one_person() {
        let mut account = Account::new("biz_1");
        record(&mut account, Event::page_view().visitor("wuid_1").at(10));
        record(
            &mut account,
            Event::standard(crate::whop::StandardEvent::Lead)
                .visitor("wuid_1")
                .email("Ada@X.com")
                .at(20),
        );
        record(
            &mut account,
            Event::purchase(10.0).email("ada@x.com").at(30),
        );
        assert_eq!(account.person_count(), 1);
        let person = account.find("ADA@x.com").unwrap();
        assert_eq!(person.person_id, "wuid_1");
        assert_eq!(person.timeline.len(), 3);
        assert_eq!(account.find(&person.id.clone()).unwrap().timeline.len(), 3);
    }

    #[test]
    fn an_event_linking_two_people_merges_them_into_the_first_created() {
        let mut account = Account::new("biz_1");
        record(
            &mut account,
            Event::page_view().visitor("wuid_phone").at(10),
        );
        record(
            &mut account,
            Event::page_view().visitor("wuid_laptop").at(5),
        );
        let older = account.find("wuid_phone").unwrap().id.clone();
        let newer = account.find("wuid_laptop").unwrap().id.clone();
        record(
            &mut account,
            Event::page_view()
                .visitor("wuid_phone")
                .user_id("user_1")
                .at(20),
        );
        record(
            &mut account,
            Event::page_view()
                .visitor("wuid_laptop")
                .user_id("user_1")
                .at(30),
        );
        assert_eq!(account.person_count(), 1);
        let survivor = account.find(&newer).unwrap();
        assert_eq!(survivor.id, older);
        assert_eq!(survivor.timeline.window(0, 100).unwrap().first_seen_at, 5);
        assert_eq!(survivor.timeline.len(), 4);
        assert_eq!(account.people().count(), 1);
    }

    #[test]
    fn duplicates_by_name_and_event_id_count_once() {
        let mut account = Account::new("biz_1");
        let first = record(
            &mut account,
            Event::purchase(5.0).visitor("wuid_1").event_id("o-1"),
        );
        let again = record(
            &mut account,
            Event::purchase(5.0).visitor("wuid_1").event_id("o-1"),
        );
        let other_name = record(
            &mut account,
            Event::failed_payment().visitor("wuid_1").event_id("o-1"),
        );
        assert!(!first.duplicate && again.duplicate && !other_name.duplicate);
        assert_eq!(again.event_id, first.event_id);
        assert_eq!(account.event_count(), 2);
    }

    #[test]
    fn an_event_without_identity_is_refused() {
        let mut account = Account::new("biz_1");
        let refused = account.record(Event::page_view().name("Nobody").into_new_event(), 0);
        assert_eq!(refused, Err(RecordError::NoIdentity));
        assert_eq!(account.event_count(), 0);
    }

    #[test]
    fn merge_chains_resolve_in_one_step_to_the_final_survivor() {
        let mut account = Account::new("biz_1");
        for i in 0..5 {
            record(
                &mut account,
                Event::page_view().visitor(format!("w{i}")).at(i),
            );
        }
        let ids: Vec<String> = (0..5)
            .map(|i| account.find(&format!("w{i}")).unwrap().id.clone())
            .collect();
        for i in 0..5 {
            record(
                &mut account,
                Event::page_view()
                    .visitor(format!("w{i}"))
                    .user_id(format!("u{i}"))
                    .at(5),
            );
        }
        // Merge 4 into 3, then 3 into 2, … so that naive merge links would form a chain.
        for i in (1..5).rev() {
            record(
                &mut account,
                Event::page_view()
                    .visitor(format!("w{}", i - 1))
                    .user_id(format!("u{i}"))
                    .at(10),
            );
        }
        assert_eq!(account.person_count(), 1);
        for id in ids.iter().chain(
            ["w4", "u3"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .iter(),
        ) {
            let person = account.find(id).unwrap();
            assert_eq!(person.id, ids[0]);
            assert!(person.merged_into.is_none());
        }
    }

    #[test]
    fn blank_values_count_as_absent_and_person_id_keeps_its_case() {
        let mut account = Account::new("biz_1");
        record(
            &mut account,
            Event::page_view()
                .email("Ada@X.com")
                .name("Ada")
                .event_id(""),
        );
        record(
            &mut account,
            Event::page_view()
                .email("ada@x.com")
                .name(" ")
                .phone("")
                .event_id(""),
        );
        let person = account.find("ada@x.com").unwrap();
        assert_eq!(person.person_id, "Ada@X.com");
        let window = person.timeline.window(0, i64::MAX).unwrap();
        assert_eq!(
            account
                .event(window.name_event.unwrap())
                .traits
                .name
                .as_deref(),
            Some("Ada")
        );
        assert_eq!(window.phone_event, None);
        assert_eq!(
            account.event_count(),
            2,
            "an empty event_id deduplicates nothing"
        );
    }

    #[test]
    fn payments_out_of_range_are_refused_without_trace() {
        let mut account = Account::new("biz_1");
        let refused = account.record(Event::purchase(2e9).visitor("w").into_new_event(), 0);
        assert_eq!(refused, Err(RecordError::AmountOutOfRange));
        assert_eq!((account.event_count(), account.person_count()), (0, 0));
    }

    #[test]
    fn ad_display_data_accumulates() {
        let mut account = Account::new("biz_1");
        account.describe_ad(AdLevel::Ad, &AdEntity::new("ad_1").name("First"));
        account.describe_ad(
            AdLevel::Ad,
            &AdEntity::new("ad_1").thumbnail_url("https://t/1.png"),
        );
        let ad = account.ad(AdLevel::Ad, "ad_1").unwrap();
        assert_eq!(ad.name.as_deref(), Some("First"));
        assert_eq!(ad.thumbnail_url.as_deref(), Some("https://t/1.png"));
    }
}
