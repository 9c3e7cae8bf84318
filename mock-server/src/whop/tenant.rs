//! One Whop account: its log of [`Entry`]s and the projections built from it (people,
//! identity index, ad catalogue, deduplication set). Every write is one entry through
//! [`Account::apply`], which validates it, hands it to the log, then updates the projections.

use std::collections::HashMap;

use super::log::{AdDisplay, AdEntity, AdLevel, Entry, EventKind, PixelEvent, User};
use super::orders::Orders;
use super::profile::Profile;
use super::rendered::Rendered;
use super::stored::{StoredEvent, Strings};
use super::timeline::{Timeline, WindowAggregate};
use crate::Timestamp;
use crate::durable::StorageError;
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
    /// The keys `user` carries.
    pub fn all_of(user: &User) -> Vec<IdentityKey> {
        [
            user.user_id.clone().map(IdentityKey::User),
            user.external_id.clone().map(IdentityKey::External),
            user.email
                .as_deref()
                .map(|email| IdentityKey::Email(email.to_lowercase())),
            user.anonymous_id.clone().map(IdentityKey::Visitor),
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
fn first_seen_identity(user: &User) -> String {
    [
        &user.anonymous_id,
        &user.email,
        &user.external_id,
        &user.user_id,
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
    /// Their kept renderings, cleared by every write that could change them.
    rendered: Rendered,
}

impl Person {
    /// Their kept renderings.
    pub fn rendered(&self) -> &Rendered {
        &self.rendered
    }
}

/// Why an event was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The event carries no identifier.
    #[error(
        "the event's user carries no identifier: send at least one of anonymous_id, user_id, external_id or email"
    )]
    NoIdentity,
    /// An event without a name.
    #[error("an event's event_name must not be blank")]
    NoEventName,
    /// A `custom` event without its `custom_name`.
    #[error("custom_name is required when event_name is `custom`")]
    NoCustomName,
    /// A `custom_name` on an event that is not `custom`.
    #[error("custom_name only goes with event_name `custom`")]
    StrayCustomName,
    /// A value on an event that is not a payment.
    #[error("only a payment (`purchase` or `payment.completed`) has a value")]
    StrayValue,
    /// A payment outside `0..=MAX_PAYMENT_CENTS`.
    #[error("a payment's value must be between 0 and 1000000000 US dollars")]
    AmountOutOfRange,
    /// The account log is full (more than `u32::MAX` events).
    #[error("the account holds the maximum number of events")]
    LogFull,
    /// Display data for an ad entity without an id.
    #[error("an ad entity's id must not be blank")]
    BlankAdId,
    /// The data directory could not log the entry, so it was not applied.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What applying an entry did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// An event was recorded, or found to repeat an earlier one.
    Event(Recorded),
    /// Display data of an ad entity was remembered (or was already known as given).
    Ad,
}

/// What recording an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The event's id (the earlier one's, for a duplicate).
    pub event_id: String,
    /// Whether it was a duplicate and changed nothing.
    pub duplicate: bool,
}

/// What checking an event found: a repeat of an earlier one, or what recording it takes.
enum Checked {
    /// Same name and `event_id` as an earlier event: nothing to record.
    Repeat(Recorded),
    /// A new event, and what its projection needs.
    New(EventPlan),
}

/// What a checked event's projection needs, worked out before it is logged.
struct EventPlan {
    /// Where it lands in the log.
    log_index: u32,
    /// The identifiers it carries.
    keys: Vec<IdentityKey>,
    /// Its `(name, event_id)`, when it has an `event_id`.
    dedup_key: Option<(String, String)>,
    /// The live people its identifiers point to, oldest first.
    matches: Vec<PersonIndex>,
    /// The id generator once the event's ids are drawn.
    ids: IdGenerator,
    /// A new person's record id and `person_id`, when no one matches.
    new_person: Option<(String, String)>,
    /// The event's id.
    event_id: String,
}

/// One account: its log and the projections kept up to date with every write.
///
/// The identity index and the record-id index always point at live people: a merge
/// re-points everything the absorbed person held, so look-ups never follow chains.
#[derive(Clone, Debug)]
pub struct Account {
    /// The account id (`biz_…`).
    pub id: String,
    log: Vec<Stored>,
    /// The texts the stored events share.
    strings: Strings,
    /// How many of the log's entries are events.
    events: usize,
    people: Vec<Person>,
    /// Indexed like `people`: the times of each person's first and last event, or
    /// [`EMPTY_SPAN`] for a merged person. Contiguous, so a list can skip the people with no
    /// event in its window without touching their timelines.
    spans: Vec<(i64, i64)>,
    /// Indexed like `people`: each person's aggregates over their whole history (`None` for
    /// a merged person), which are their window's whenever the window holds their span.
    wholes: Vec<Option<WindowAggregate>>,
    /// Indexed like `people`: what the current API shows beyond the aggregates, kept apart
    /// so that the columns lists read stay compact.
    profiles: Vec<Profile>,
    live_people: usize,
    identities: HashMap<IdentityKey, PersonIndex>,
    /// Phone number → the live person whose latest event carried it.
    phones: HashMap<String, PersonIndex>,
    record_ids: HashMap<String, PersonIndex>,
    seen_event_ids: HashMap<(String, String), String>,
    ads: HashMap<AdLevel, HashMap<String, AdEntity>>,
    ids: IdGenerator,
    /// The orders of the lists asked for since the last applied entry.
    orders: Orders,
}

impl Account {
    /// An empty account.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            log: Vec::new(),
            strings: Strings::default(),
            events: 0,
            people: Vec::new(),
            spans: Vec::new(),
            wholes: Vec::new(),
            profiles: Vec::new(),
            live_people: 0,
            identities: HashMap::new(),
            phones: HashMap::new(),
            record_ids: HashMap::new(),
            seen_event_ids: HashMap::new(),
            ads: HashMap::new(),
            ids: IdGenerator::seeded(id),
            orders: Orders::default(),
        }
    }

    /// Applies one write: validates `entry`, completes it (an event gets its id and, when it
    /// has none, `now` as its time), hands the completed entry to `log`, then updates every
    /// projection. Nothing changes when it is refused, by validation or by `log`; an event
    /// repeating an earlier one (same name and `event_id`) and display data the account
    /// already holds change nothing and are not logged. An applied entry drops every kept
    /// list order.
    pub fn apply(
        &mut self,
        mut entry: Entry,
        now: Timestamp,
        log: &mut impl FnMut(&Entry) -> Result<(), StorageError>,
    ) -> Result<Applied, RecordError> {
        match &mut entry {
            Entry::Event(event) => {
                let plan = match self.check_event(event, now)? {
                    Checked::Repeat(recorded) => return Ok(Applied::Event(recorded)),
                    Checked::New(plan) => plan,
                };
                log(&entry)?;
                self.orders.clear();
                let Entry::Event(event) = entry else {
                    unreachable!("matched as an event")
                };
                Ok(Applied::Event(self.project_event(event, plan)))
            }
            Entry::Ad(ad) => {
                if self.check_ad(ad)? {
                    log(&entry)?;
                    self.orders.clear();
                    let Entry::Ad(ad) = entry else {
                        unreachable!("matched as display data")
                    };
                    self.project_ad(ad);
                }
                Ok(Applied::Ad)
            }
        }
    }

    /// Normalises and checks `event`, and completes it (its id, and `now` when it has no
    /// time); changes nothing of the account.
    fn check_event(&self, event: &mut PixelEvent, now: Timestamp) -> Result<Checked, RecordError> {
        event.normalize();
        check_kind(event)?;
        let keys = IdentityKey::all_of(&event.user);
        if keys.is_empty() {
            return Err(RecordError::NoIdentity);
        }
        let dedup_key = event
            .event_id
            .as_ref()
            .map(|event_id| (event.reported_name().to_owned(), event_id.clone()));
        if let Some(earlier) = dedup_key
            .as_ref()
            .and_then(|key| self.seen_event_ids.get(key))
        {
            return Ok(Checked::Repeat(Recorded {
                event_id: earlier.clone(),
                duplicate: true,
            }));
        }
        let log_index = u32::try_from(self.log.len()).map_err(|_| RecordError::LogFull)?;
        let matches = self.people_holding(&keys);
        // Ids are drawn as the projections will draw them (a new person's first, then the
        // event's), but on a copy of the generator until the entry is logged.
        let mut ids = self.ids.clone();
        let new_person = matches
            .is_empty()
            .then(|| (ids.next("prsn_", 14), first_seen_identity(&event.user)));
        let generated = ids.next("evnt_", 14);
        let event_id = event.id.take().unwrap_or(generated);
        event.id = Some(event_id.clone());
        let seconds = event.event_time.unwrap_or(now).unix_seconds();
        event.event_time = Some(Timestamp::from_unix_seconds(seconds));
        Ok(Checked::New(EventPlan {
            log_index,
            keys,
            dedup_key,
            matches,
            ids,
            new_person,
            event_id,
        }))
    }

    /// Appends a checked (and logged) event and updates every projection.
    fn project_event(&mut self, event: PixelEvent, plan: EventPlan) -> Recorded {
        self.ids = plan.ids;
        let person = match plan.new_person {
            Some((id, person_id)) => self.create_person(id, person_id),
            None => self.merge(&plan.matches),
        };
        for key in plan.keys {
            if self.identities.insert(key.clone(), person).is_none() {
                self.people[person].keys.push(key);
            }
        }
        if let Some(key) = plan.dedup_key {
            self.seen_event_ids.insert(key, plan.event_id.clone());
        }
        self.people[person].timeline.insert(plan.log_index, &event);
        self.profiles[person].note((event.seconds(), plan.log_index), &event);
        if let Some(phone) = &event.user.phone
            && self.phones.get(phone) != Some(&person)
        {
            self.phones.insert(phone.clone(), person);
            self.profiles[person].phones.push(phone.clone());
        }
        self.log
            .push(Stored::Event(StoredEvent::new(event, &mut self.strings)));
        self.events += 1;
        self.summarize(person);
        Recorded {
            event_id: plan.event_id,
            duplicate: false,
        }
    }

    /// Normalises and checks display data; whether it changes what the account knows.
    fn check_ad(&self, ad: &mut AdDisplay) -> Result<bool, RecordError> {
        if ad.id.trim().is_empty() {
            return Err(RecordError::BlankAdId);
        }
        for value in [&mut ad.name, &mut ad.thumbnail_url] {
            if value.as_deref().is_some_and(|text| text.trim().is_empty()) {
                *value = None;
            }
        }
        Ok(match self.ad(ad.level, &ad.id) {
            None => true,
            Some(known) => {
                let differs = |given: &Option<String>, held: &Option<String>| {
                    given.is_some() && given != held
                };
                differs(&ad.name, &known.name) || differs(&ad.thumbnail_url, &known.thumbnail_url)
            }
        })
    }

    /// Appends checked (and logged) display data and updates the catalogue.
    fn project_ad(&mut self, ad: AdDisplay) {
        describe_ad(&mut self.ads, &ad);
        self.log.push(Stored::Ad(Box::new(ad)));
        // Any person touched by the entity shows its display data.
        for person in &mut self.people {
            person.rendered.clear();
        }
    }

    /// The live people any of `keys` points to, oldest first.
    fn people_holding(&self, keys: &[IdentityKey]) -> Vec<PersonIndex> {
        let mut matches: Vec<PersonIndex> = keys
            .iter()
            .filter_map(|key| self.identities.get(key).copied())
            .collect();
        matches.sort_unstable();
        matches.dedup();
        matches
    }

    /// Merges every person of `matches` (oldest first, at least one) into the oldest, which
    /// it returns.
    fn merge(&mut self, matches: &[PersonIndex]) -> PersonIndex {
        let (&survivor, absorbed) = matches
            .split_first()
            .expect("an event's identifiers matched someone");
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
        absorbed.rendered.clear();
        for key in &keys {
            self.identities.insert(key.clone(), survivor);
        }
        for id in &record_ids {
            self.record_ids.insert(id.clone(), survivor);
        }
        let profile = std::mem::take(&mut self.profiles[index]);
        for phone in &profile.phones {
            if self.phones.get(phone) == Some(&index) {
                self.phones.insert(phone.clone(), survivor);
            }
        }
        self.profiles[survivor].absorb(profile);
        let survivor = &mut self.people[survivor];
        survivor.timeline.absorb(timeline);
        survivor.keys.extend(keys);
        survivor.absorbed_ids.extend(record_ids);
        self.live_people -= 1;
        self.spans[index] = EMPTY_SPAN;
        self.wholes[index] = None;
        self.summarize(survivor_index);
    }

    /// Refreshes the span and whole-history aggregates of person `index` from their timeline,
    /// and drops their kept renderings.
    fn summarize(&mut self, index: PersonIndex) {
        self.people[index].rendered.clear();
        let whole = self.people[index].timeline.whole();
        self.spans[index] = whole.map_or(EMPTY_SPAN, |whole| {
            (whole.first_seen_at, whole.last_seen_at)
        });
        self.wholes[index] = whole;
    }

    fn create_person(&mut self, id: String, person_id: String) -> PersonIndex {
        let index = self.people.len();
        self.record_ids.insert(id.clone(), index);
        self.people.push(Person {
            id,
            person_id,
            timeline: Timeline::default(),
            merged_into: None,
            keys: Vec::new(),
            absorbed_ids: Vec::new(),
            rendered: Rendered::default(),
        });
        self.profiles.push(Profile::default());
        self.spans.push(EMPTY_SPAN);
        self.wholes.push(None);
        self.live_people += 1;
        index
    }

    /// Display data for an ad entity, if any was ever sent.
    pub fn ad(&self, level: AdLevel, id: &str) -> Option<&AdEntity> {
        self.ads.get(&level)?.get(id)
    }

    /// The live person a record id, person id or any identifier (visitor id, user id,
    /// external id, e-mail) points to; merged people resolve to their survivor.
    pub fn find(&self, key: &str) -> Option<&Person> {
        Some(&self.people[self.find_index(key)?])
    }

    /// Every live (not merged away) person, in creation order.
    #[cfg(test)]
    pub fn people(&self) -> impl Iterator<Item = &Person> {
        self.people
            .iter()
            .filter(|person| person.merged_into.is_none())
    }

    /// Every live person with an event in `[from, to]`, with their index, in creation order,
    /// and their aggregates over that window: `people()` filtered by [`Timeline::window`], with
    /// the same results. Reads the contiguous span column first, so people with no event near
    /// the window cost no timeline access, and people whose whole history lies inside it cost
    /// no search; only people straddling a window edge get the two binary searches.
    pub fn indexed_in_window(
        &self,
        from: i64,
        to: i64,
    ) -> impl Iterator<Item = (PersonIndex, &Person, WindowAggregate)> + '_ {
        self.spans
            .iter()
            .zip(&self.wholes)
            .zip(&self.people)
            .enumerate()
            .filter_map(move |(index, ((&span, whole), person))| {
                Some((index, person, in_window(span, whole, person, from, to)?))
            })
    }

    /// The aggregates of the person at `index` over `[from, to]`, if they are live with an
    /// event in it.
    pub fn window_of(&self, index: PersonIndex, from: i64, to: i64) -> Option<WindowAggregate> {
        in_window(
            self.spans[index],
            &self.wholes[index],
            &self.people[index],
            from,
            to,
        )
    }

    /// The orders of the lists asked for since the last applied entry.
    pub fn orders(&self) -> &Orders {
        &self.orders
    }

    /// The whole-history aggregates of the person at `index` (`None` once merged away).
    pub fn whole(&self, index: PersonIndex) -> Option<WindowAggregate> {
        self.wholes[index]
    }

    /// Every live person's index, in creation order.
    pub fn live_indices(&self) -> impl Iterator<Item = PersonIndex> + '_ {
        (0..self.people.len()).filter(|&index| self.wholes[index].is_some())
    }

    /// The profile of the person at `index` (empty once merged away).
    pub fn profile(&self, index: PersonIndex) -> &Profile {
        &self.profiles[index]
    }

    /// The person at `index`, live or merged away.
    pub fn person(&self, index: PersonIndex) -> &Person {
        &self.people[index]
    }

    /// The index of the live person [`Account::find`] finds.
    pub fn find_index(&self, key: &str) -> Option<PersonIndex> {
        self.record_ids.get(key).copied().or_else(|| {
            IdentityKey::candidates(key)
                .iter()
                .find_map(|candidate| self.identities.get(candidate).copied())
        })
    }

    /// The live person a record id, any identifier, or else a phone number points to (the
    /// current API's retrieve); a phone number several people carried finds the one whose
    /// event carried it last.
    pub fn find_profile(&self, key: &str) -> Option<PersonIndex> {
        self.find_index(key)
            .or_else(|| self.phones.get(key).copied())
    }

    /// How many live people the account has.
    pub fn person_count(&self) -> usize {
        self.live_people
    }

    /// The event at `log_index` (timelines only hold positions of events).
    pub fn event(&self, log_index: u32) -> &StoredEvent {
        match &self.log[log_index as usize] {
            Stored::Event(event) => event,
            Stored::Ad(_) => unreachable!("log position {log_index} holds no event"),
        }
    }

    /// How many events the log holds.
    pub fn event_count(&self) -> usize {
        self.events
    }

    /// How many entries the log holds.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// The whole log, in the order the entries were applied, each entry as it was logged.
    pub fn log(&self) -> impl Iterator<Item = Entry> + '_ {
        self.log.iter().map(|stored| match stored {
            Stored::Event(event) => Entry::Event(event.to_pixel()),
            Stored::Ad(ad) => Entry::Ad(AdDisplay::clone(ad)),
        })
    }
}

/// An entry of the log as the account keeps it in memory.
#[derive(Clone, Debug)]
enum Stored {
    /// An event, in compact form.
    Event(StoredEvent),
    /// Display data (rare: boxed, so that it does not widen every event's slot).
    Ad(Box<AdDisplay>),
}

/// The aggregates over `[from, to]` of `person`, whose events span `span` and whose whole
/// history's aggregates are `whole`, if they are live with an event in it: `whole` when the
/// window holds the span (no timeline access), a look-up in their timeline when it straddles
/// one of its edges.
#[inline]
fn in_window(
    (first, last): (i64, i64),
    whole: &Option<WindowAggregate>,
    person: &Person,
    from: i64,
    to: i64,
) -> Option<WindowAggregate> {
    if first > last || last < from || first > to {
        None
    } else if from <= first && last <= to {
        *whole
    } else {
        person.timeline.window(from, to)
    }
}

/// Refuses an event whose name, custom name and value do not make one kind of event.
fn check_kind(event: &PixelEvent) -> Result<(), RecordError> {
    if event.event_name.trim().is_empty() {
        return Err(RecordError::NoEventName);
    }
    match (&*event.event_name, &event.custom_name) {
        ("custom", None) => return Err(RecordError::NoCustomName),
        ("custom", Some(_)) | (_, None) => {}
        (_, Some(_)) => return Err(RecordError::StrayCustomName),
    }
    match event.kind() {
        EventKind::Purchase { usd_cents } if !(0..=MAX_PAYMENT_CENTS).contains(&usd_cents) => {
            Err(RecordError::AmountOutOfRange)
        }
        EventKind::Purchase { .. } => Ok(()),
        _ if event.usd_cents.is_some() => Err(RecordError::StrayValue),
        _ => Ok(()),
    }
}

/// Merges display data for an ad entity into `catalogue`.
fn describe_ad(catalogue: &mut HashMap<AdLevel, HashMap<String, AdEntity>>, ad: &AdDisplay) {
    let known = catalogue
        .entry(ad.level)
        .or_default()
        .entry(ad.id.clone())
        .or_insert_with(|| AdEntity::new(ad.id.clone()));
    if ad.name.is_some() {
        known.name.clone_from(&ad.name);
    }
    if ad.thumbnail_url.is_some() {
        known.thumbnail_url.clone_from(&ad.thumbnail_url);
    }
}

#[cfg(test)]
impl Account {
    /// Records `event` (unlogged) with `now` in Unix seconds standing in for a missing time.
    pub(crate) fn record(
        &mut self,
        event: super::log::Event,
        now: i64,
    ) -> Result<Recorded, RecordError> {
        let now = Timestamp::from_unix_seconds(now);
        let mut recorded = None;
        for entry in event.into_entries() {
            if let Applied::Event(event) = self.apply(entry, now, &mut crate::durable::unlogged)? {
                recorded = Some(event);
            }
        }
        Ok(recorded.expect("a built event holds one event entry"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::unlogged;
    use crate::whop::log::Event;

    fn try_record(account: &mut Account, event: Event) -> Result<Recorded, RecordError> {
        account.record(event, 1_000)
    }

    fn record(account: &mut Account, event: Event) -> Recorded {
        try_record(account, event).unwrap()
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
        assert_eq!(account.log_len(), 2);
    }

    #[test]
    fn an_event_without_identity_is_refused() {
        let mut account = Account::new("biz_1");
        let refused = try_record(&mut account, Event::page_view().name("Nobody"));
        assert_eq!(refused, Err(RecordError::NoIdentity));
        assert_eq!(account.log_len(), 0);
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
            account.event(window.name_event.unwrap()).name(),
            Some("Ada")
        );
        assert_eq!(window.phone_event, None);
        assert_eq!(
            account.log_len(),
            2,
            "an empty event_id deduplicates nothing"
        );
    }

    #[test]
    fn payments_out_of_range_are_refused_without_trace() {
        let mut account = Account::new("biz_1");
        let refused = try_record(&mut account, Event::purchase(2e9).visitor("w"));
        assert_eq!(refused, Err(RecordError::AmountOutOfRange));
        assert_eq!((account.log_len(), account.person_count()), (0, 0));
    }

    #[test]
    fn ad_display_data_accumulates_and_only_changes_are_logged() {
        let mut account = Account::new("biz_1");
        let logged = std::cell::RefCell::new(Vec::new());
        let mut log = |entry: &Entry| {
            logged.borrow_mut().push(entry.clone());
            Ok(())
        };
        let display = |name: Option<&str>, thumbnail_url: Option<&str>| {
            Entry::Ad(AdDisplay {
                level: AdLevel::Ad,
                id: "ad_1".into(),
                name: name.map(str::to_owned),
                thumbnail_url: thumbnail_url.map(str::to_owned),
            })
        };
        let now = Timestamp::from_unix_seconds(0);
        for entry in [
            display(Some("First"), None),
            display(None, Some("https://t/1.png")),
            display(Some("First"), Some(" ")),
        ] {
            assert_eq!(account.apply(entry, now, &mut log), Ok(Applied::Ad));
        }
        let ad = account.ad(AdLevel::Ad, "ad_1").unwrap();
        assert_eq!(ad.name.as_deref(), Some("First"));
        assert_eq!(ad.thumbnail_url.as_deref(), Some("https://t/1.png"));
        assert_eq!(
            logged.borrow().len(),
            2,
            "the repeat changed nothing: {logged:?}"
        );
        assert_eq!(account.log_len(), 2);
        let blank = Entry::Ad(AdDisplay {
            id: " ".into(),
            ..match display(None, None) {
                Entry::Ad(ad) => ad,
                Entry::Event(_) => unreachable!(),
            }
        });
        assert_eq!(
            account.apply(blank, now, &mut log),
            Err(RecordError::BlankAdId)
        );
    }

    #[test]
    fn a_refused_log_changes_nothing_and_ids_stay_in_sequence() {
        let mut account = Account::new("biz_1");
        let now = Timestamp::from_unix_seconds(0);
        let mut failing = |_: &Entry| Err(StorageError::new("disk full"));
        let entry = Event::page_view()
            .visitor("w")
            .into_entries()
            .next()
            .unwrap();
        assert_eq!(
            account.apply(entry.clone(), now, &mut failing),
            Err(RecordError::Storage(StorageError::new("disk full")))
        );
        assert_eq!((account.log_len(), account.person_count()), (0, 0));
        let mut fresh = Account::new("biz_1");
        let after_refusal = account.apply(entry.clone(), now, &mut unlogged).unwrap();
        assert_eq!(
            fresh.apply(entry, now, &mut unlogged).unwrap(),
            after_refusal
        );
        assert_eq!(account.find("w").unwrap().id, fresh.find("w").unwrap().id);
    }
}
