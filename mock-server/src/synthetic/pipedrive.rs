//! Synthetic Pipedrive data: here an "event" is one record. Persons come with contact details,
//! labels and custom field values, share organizations, and carry deals (open, won, lost),
//! activities (done, overdue, upcoming), notes and followers, so every counter is non-trivial.
//!
//! About one person per five records; records are written in creation order
//! as log entries, through the same `apply` the API uses.

use fastrand::Rng;
use serde_json::Value;

use super::{DAY, NOW, SEED, chance, pick, random_time};
use crate::Timestamp;
use crate::pipedrive::fields::{FieldType, hex_key};
use crate::pipedrive::log::{
    ActivityEntry, CustomValues, DealEntry, Entry, FieldEntry, FollowerEntry, NoteEntry,
    OrganizationEntry, PersonEntry,
};
use crate::pipedrive::model::{ContactEntry, DealStatus, Id};
use crate::pipedrive::{ModelError, Pipedrive, RecordError, time};

/// The synthetic company's id.
pub const COMPANY: Id = 2;
/// The synthetic admin's API token.
pub const TOKEN: &str = "pipedrive_synthetic_token";
/// The average number of records per person (the person, its deals, activities, notes,
/// follower, and a share of an organization).
#[cfg(test)]
const RECORDS_PER_PERSON: usize = 5;

/// Seeds of the custom fields' keys.
const TIER_FIELD: &str = "synthetic tier";
const SOURCE_FIELD: &str = "synthetic source";
const TIERS: [&str; 3] = ["Gold", "Silver", "Bronze"];
const SOURCES: [&str; 4] = ["Website", "Referral", "Event", "Outbound"];
const SELLERS: [&str; 3] = ["Sam Seller", "Rita Rep", "Kai Closer"];
const FIRST_NAMES: [&str; 12] = [
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger",
    "Radia", "Tim",
];
const LAST_NAMES: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
    "Allen", "Dijkstra",
];
const ORG_WORDS: [&str; 6] = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne"];
const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];
/// Activity types, each with the word its subjects start with.
const ACTIVITY_KINDS: [(&str, &str); 4] = [
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("email", "Email"),
    ("task", "Task"),
];
const TOPICS: [&str; 4] = ["pricing", "the renewal", "a pilot", "onboarding"];
/// One new organization per this many persons.
const PERSONS_PER_ORG: usize = 8;

/// What [`load`] created: the credentials and the counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipedriveTenant {
    /// The company id ([`COMPANY`]).
    pub company_id: Id,
    /// The admin's API token ([`TOKEN`]).
    pub api_token: &'static str,
    /// The admin's user id.
    pub admin: Id,
    /// The records written, by kind.
    pub written: Written,
}

/// How many records a write created, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Every record.
    pub records: usize,
    /// Persons.
    pub persons: usize,
    /// Organizations.
    pub orgs: usize,
    /// Deals.
    pub deals: usize,
    /// Activities.
    pub activities: usize,
    /// Notes.
    pub notes: usize,
    /// Follower relations.
    pub followers: usize,
}

/// Creates the synthetic company with an admin (holding [`TOKEN`]), three sellers and two
/// custom person fields, then writes `records` generated records.
pub fn load(pipedrive: &Pipedrive, records: usize) -> Result<PipedriveTenant, RecordError> {
    let admin = pipedrive.add_user(COMPANY, "Synthetic Admin", "admin@synthetic.example", true);
    pipedrive.add_api_token(COMPANY, admin, Some(TOKEN));
    for seller in SELLERS {
        let email = format!(
            "{}@synthetic.example",
            seller.to_lowercase().replace(' ', ".")
        );
        pipedrive.add_user(COMPANY, seller, &email, false);
    }
    add_fields(pipedrive)?;
    let written = write(pipedrive, Blocks::new(SEED, ""), records)?;
    Ok(PipedriveTenant {
        company_id: COMPANY,
        api_token: TOKEN,
        admin,
        written,
    })
}

/// Takes the synthetic company out of `pipedrive` and frees it part by part, calling
/// `dropped` with each part's name right after it is freed (the benchmark's memory
/// breakdown; the company is gone afterwards).
#[cfg(feature = "internals")]
pub fn dismantle(pipedrive: &Pipedrive, mut dropped: impl FnMut(&'static str)) {
    pipedrive.dismantle(COMPANY, &mut dropped);
}

/// The custom person fields: a `Tier` enum and a `Lead source` text.
fn add_fields(pipedrive: &Pipedrive) -> Result<(), RecordError> {
    let field = |name: &str, key: &str, field_type, labels: &[&str]| FieldEntry {
        key: Some(hex_key(key)),
        time: Some(Timestamp::from_unix_seconds(NOW - super::SPAN_DAYS * DAY)),
        ..FieldEntry::new(name, field_type, labels.iter().copied())
    };
    pipedrive.apply(
        COMPANY,
        Entry::PersonField(field("Tier", TIER_FIELD, FieldType::Enum, &TIERS)),
    )?;
    pipedrive.apply(
        COMPANY,
        Entry::PersonField(field("Lead source", SOURCE_FIELD, FieldType::Varchar, &[])),
    )?;
    Ok(())
}

/// Writes the records of `blocks` into the synthetic company, `limit` records at most (the
/// last block is cut short to fit), one entry at a time. The company needs its users first
/// ([`load`] creates them).
pub fn write(
    pipedrive: &Pipedrive,
    blocks: impl IntoIterator<Item = Block>,
    limit: usize,
) -> Result<Written, RecordError> {
    let known = pipedrive.with_company(COMPANY, |company| Known {
        users: company.users.keys().copied().collect(),
        latest_org: company.orgs.iter().next_back().map(|(id, _)| *id),
        tier: company.field(&hex_key(TIER_FIELD)).map(|tier| {
            let options = tier.options.iter().map(|option| option.id).collect();
            (tier.key.clone(), options)
        }),
        source: company
            .field(&hex_key(SOURCE_FIELD))
            .map(|source| source.key.clone()),
        labels: company.labels.iter().map(|label| label.id).collect(),
    });
    let Some(known) = known.filter(|known| !known.users.is_empty()) else {
        return Err(ModelError::NotFound("User").into());
    };
    let mut writer = Writer {
        pipedrive,
        known,
        written: Written::default(),
    };
    for block in blocks {
        let room = limit - writer.written.records;
        if room == 0 {
            break;
        }
        writer.block(block.truncated(room))?;
    }
    Ok(writer.written)
}

/// What the writer reads of the company once, before writing.
struct Known {
    users: Vec<Id>,
    latest_org: Option<Id>,
    /// The tier field's key and option ids, by tier (`None` without the field).
    tier: Option<(String, Vec<Id>)>,
    /// The lead source field's key (`None` without the field).
    source: Option<String>,
    labels: Vec<Id>,
}

/// One deal of a block.
#[derive(Clone, Debug, PartialEq)]
struct DealSpec {
    title: String,
    value: f64,
    currency: &'static str,
    status: DealStatus,
    at: i64,
    closed_at: i64,
}

/// One activity of a block.
#[derive(Clone, Debug, PartialEq)]
struct ActivitySpec {
    kind: &'static str,
    subject: String,
    due: i64,
    done: bool,
    on_first_deal: bool,
}

/// One person and everything written with it: an organization it founds (if any), its deals,
/// activities, notes and a follower.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    name: String,
    email: String,
    phone: String,
    tier: usize,
    source: &'static str,
    label: usize,
    owner: usize,
    at: i64,
    new_org: Option<String>,
    in_org: bool,
    deals: Vec<DealSpec>,
    activities: Vec<ActivitySpec>,
    notes: Vec<String>,
    follower: Option<usize>,
}

impl Block {
    /// How many records the block writes.
    pub fn records(&self) -> usize {
        1 + usize::from(self.new_org.is_some())
            + self.deals.len()
            + self.activities.len()
            + self.notes.len()
            + usize::from(self.follower.is_some())
    }

    /// The block cut down to at most `room` records (dropping the follower, then notes,
    /// activities and deals; a founded organization is kept only with room for its person).
    fn truncated(mut self, room: usize) -> Self {
        if room < 2 {
            self.new_org = None;
        }
        let mut excess = self.records().saturating_sub(room);
        if excess > 0 && self.follower.take().is_some() {
            excess -= 1;
        }
        let mut cut = |len: usize| {
            let cut = excess.min(len);
            excess -= cut;
            len - cut
        };
        let notes = cut(self.notes.len());
        let activities = cut(self.activities.len());
        let deals = cut(self.deals.len());
        self.notes.truncate(notes);
        self.activities.truncate(activities);
        self.deals.truncate(deals);
        self
    }
}

/// An endless, deterministic stream of [`Block`]s; names, e-mails and titles carry `label`.
pub struct Blocks {
    rng: Rng,
    label: String,
    next: usize,
}

impl Blocks {
    /// The stream of `seed`, with `label` in every e-mail, organization name and title.
    pub fn new(seed: u64, label: &str) -> Self {
        Self {
            rng: Rng::with_seed(seed),
            label: label.to_owned(),
            next: 0,
        }
    }
}

impl Iterator for Blocks {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        let n = self.next;
        self.next += 1;
        let rng = &mut self.rng;
        let label = &self.label;
        let first = pick(rng, &FIRST_NAMES);
        let last = pick(rng, &LAST_NAMES);
        let at = random_time(rng);
        let later = |rng: &mut Rng, from: i64| (from + rng.i64(DAY / 24..20 * DAY)).min(NOW);
        let deal_count = pick(rng, &[0, 0, 1, 1, 1, 2]);
        let deals = (0..deal_count)
            .map(|d| {
                let opened = later(rng, at);
                DealSpec {
                    title: [last, " deal ", label, &n.to_string(), "-", &d.to_string()].concat(),
                    value: f64::from(rng.u32(100..50_000)),
                    currency: pick(rng, &CURRENCIES),
                    status: pick(
                        rng,
                        &[
                            DealStatus::Open,
                            DealStatus::Open,
                            DealStatus::Won,
                            DealStatus::Lost,
                        ],
                    ),
                    at: opened,
                    closed_at: later(rng, opened),
                }
            })
            .collect::<Vec<_>>();
        let activities = (0..rng.usize(0..=4))
            .map(|_| {
                let due = at + rng.i64(0..SPAN_DAYS_AHEAD * DAY);
                let (kind, subject) = pick(rng, &ACTIVITY_KINDS);
                ActivitySpec {
                    kind,
                    subject: [subject, " ", first].concat(),
                    due,
                    done: due < NOW && chance(rng, 80),
                    on_first_deal: deal_count > 0 && chance(rng, 50),
                }
            })
            .collect();
        let notes = (0..pick(rng, &[0, 0, 1, 1, 2]))
            .map(|_| {
                [
                    "<p>Talked with ",
                    first,
                    " about ",
                    pick(rng, &TOPICS),
                    ".</p>",
                ]
                .concat()
            })
            .collect();
        Some(Block {
            name: [first, " ", last].concat(),
            email: email(first, last, label, n),
            phone: phone(rng.u32(0..10_000_000)),
            tier: rng.usize(0..TIERS.len()),
            source: pick(rng, &SOURCES),
            label: rng.usize(0..4),
            owner: rng.usize(0..=SELLERS.len()),
            at,
            new_org: n.is_multiple_of(PERSONS_PER_ORG).then(|| {
                [
                    pick(rng, &ORG_WORDS),
                    " ",
                    label,
                    &(n / PERSONS_PER_ORG).to_string(),
                ]
                .concat()
            }),
            in_org: chance(rng, 75),
            deals,
            activities,
            notes,
            follower: chance(rng, 15).then(|| rng.usize(1..=SELLERS.len())),
        })
    }
}

/// How far past its person's creation an activity may be due: some are still upcoming at
/// [`NOW`].
const SPAN_DAYS_AHEAD: i64 = 60;

/// `first.last.{label}{n}@synthetic.example`, the names lower-cased.
fn email(first: &str, last: &str, label: &str, n: usize) -> String {
    let mut names = [first, ".", last, "."].concat();
    names.make_ascii_lowercase();
    [&names, label, &n.to_string(), "@synthetic.example"].concat()
}

/// An Estonian mobile number: `+372 5` and `local` in seven digits. (The generator builds
/// its texts with `concat`, one allocation of the exact length each, where `format!` grows
/// its string step by step.)
fn phone(local: u32) -> String {
    let digits = local.to_string();
    ["+372 5", &"0".repeat(7 - digits.len()), &digits].concat()
}

/// Writes blocks into the synthetic company.
struct Writer<'a> {
    pipedrive: &'a Pipedrive,
    known: Known,
    written: Written,
}

impl Writer<'_> {
    fn user(&self, slot: usize) -> Id {
        self.known.users[slot % self.known.users.len()]
    }

    fn apply(&self, entry: Entry) -> Result<Id, RecordError> {
        self.pipedrive.apply(COMPANY, entry)
    }

    fn block(&mut self, block: Block) -> Result<(), RecordError> {
        let admin = self.user(0);
        let owner = self.user(block.owner);
        let at = Some(Timestamp::from_unix_seconds(block.at));
        if let Some(name) = &block.new_org {
            let address = Some(format!(
                "{} Synthetic Street, Tallinn",
                self.written.orgs + 1
            ));
            let org = OrganizationEntry {
                id: None,
                name: name.clone(),
                owner_id: Some(owner),
                address,
            };
            self.known.latest_org = Some(self.apply(Entry::Organization(org))?);
            self.written.orgs += 1;
            self.written.records += 1;
        }
        let org = self.known.latest_org.filter(|_| block.in_org);
        let mut custom = Vec::new();
        if let Some((key, options)) = &self.known.tier {
            let option = options.get(block.tier).copied();
            custom.push((key.clone(), option.map(Value::from)));
        }
        if let Some(key) = &self.known.source {
            custom.push((key.clone(), Some(Value::from(block.source))));
        }
        let label = self.known.labels.get(block.label).copied();
        let person = PersonEntry {
            name: Some(block.name),
            owner_id: Some(owner),
            org_id: Some(org),
            emails: Some(vec![entry(block.email, "work")]),
            phones: Some(vec![entry(block.phone, "mobile")]),
            label_ids: Some(label.into_iter().collect()),
            custom_fields: CustomValues(custom),
            add_time: at,
            actor_user_id: Some(admin),
            time: at,
            ..PersonEntry::default()
        };
        let person = self.apply(Entry::Person(person))?;
        self.written.persons += 1;
        self.written.records += 1;
        let mut first_deal = None;
        for deal in block.deals {
            let id = self.apply(Entry::Deal(DealEntry {
                title: Some(deal.title),
                value: Some(deal.value),
                currency: Some(deal.currency.to_owned()),
                owner_id: Some(owner),
                person_id: Some(Some(person)),
                org_id: Some(org),
                time: Some(Timestamp::from_unix_seconds(deal.at)),
                ..DealEntry::default()
            }))?;
            if deal.status != DealStatus::Open {
                let lost_reason = (deal.status == DealStatus::Lost).then(|| "Budget".to_owned());
                self.apply(Entry::DealUpdate(DealEntry {
                    id: Some(id),
                    status: Some(deal.status),
                    lost_reason,
                    time: Some(Timestamp::from_unix_seconds(deal.closed_at)),
                    ..DealEntry::default()
                }))?;
            }
            first_deal.get_or_insert(id);
            self.written.deals += 1;
            self.written.records += 1;
        }
        for activity in block.activities {
            self.apply(Entry::Activity(ActivityEntry {
                subject: Some(activity.subject),
                kind: Some(activity.kind.to_owned()),
                owner_id: Some(owner),
                person_id: Some(Some(person)),
                deal_id: Some(first_deal.filter(|_| activity.on_first_deal)),
                due_date: Some(time::date(activity.due)),
                done: Some(activity.done),
                time: at,
                ..ActivityEntry::default()
            }))?;
            self.written.activities += 1;
            self.written.records += 1;
        }
        for content in block.notes {
            self.apply(Entry::Note(NoteEntry {
                content: Some(content),
                user_id: Some(owner),
                person_id: Some(person),
                time: at,
                ..NoteEntry::default()
            }))?;
            self.written.notes += 1;
            self.written.records += 1;
        }
        if let Some(slot) = block.follower {
            self.apply(Entry::Follower(FollowerEntry {
                person_id: person,
                user_id: self.user(slot),
                actor_user_id: Some(admin),
                time: at,
            }))?;
            self.written.followers += 1;
            self.written.records += 1;
        }
        Ok(())
    }
}

fn entry(value: String, label: &str) -> ContactEntry {
    ContactEntry {
        value,
        primary: true,
        label: label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use crate::http::ApiRequest;
    use crate::router::App;
    use crate::synthetic::Handles;

    fn app() -> App {
        App::new(Clock::frozen_at(NOW))
    }

    fn get(app: &App, path_and_query: &str) -> serde_json::Value {
        let request = ApiRequest::new("GET", &format!("/pipedrive{path_and_query}"))
            .with_header("x-api-token", TOKEN);
        let response = app.handle(&request);
        assert_eq!(response.status, 200, "{:?}", response.json_body());
        response.json_body()
    }

    #[test]
    fn the_same_seed_gives_the_same_blocks() {
        let first: Vec<Block> = Blocks::new(SEED, "").take(200).collect();
        assert_eq!(first, Blocks::new(SEED, "").take(200).collect::<Vec<_>>());
        assert_ne!(first[0], Blocks::new(SEED, "b1").next().unwrap());
    }

    #[test]
    fn truncation_fits_the_room_and_keeps_the_person() {
        for block in Blocks::new(SEED, "").take(50) {
            for room in 1..=block.records() {
                let cut = block.clone().truncated(room);
                assert_eq!(cut.records(), room);
                assert_eq!(cut.name, block.name);
            }
        }
    }

    #[test]
    fn writes_exactly_n_records_with_every_kind() {
        let app = app();
        let pipedrive = Handles::of(&app).pipedrive;
        let tenant = load(&pipedrive, 3_001).unwrap();
        let written = tenant.written;
        assert_eq!(written.records, 3_001);
        assert_eq!(
            written.persons
                + written.orgs
                + written.deals
                + written.activities
                + written.notes
                + written.followers,
            3_001
        );
        let expected = 3_001 / RECORDS_PER_PERSON;
        assert!(
            (expected / 2..expected * 2).contains(&written.persons),
            "{written:?}"
        );
        assert!(
            written.orgs > 0 && written.deals > 0 && written.notes > 0 && written.followers > 0
        );
        assert_eq!(pipedrive.person_count(COMPANY), written.persons);
    }

    #[test]
    fn counters_are_non_trivial_and_two_loads_answer_the_same() {
        let (one, two) = (app(), app());
        load(&Handles::of(&one).pipedrive, 2_000).unwrap();
        load(&Handles::of(&two).pipedrive, 2_000).unwrap();
        let query = "/api/v2/persons?limit=100&include_fields=open_deals_count,won_deals_count,activities_count,done_activities_count,notes_count,followers_count";
        let page = get(&one, query);
        assert_eq!(page, get(&two, query));
        let persons = page["data"].as_array().unwrap();
        assert_eq!(persons.len(), 100);
        for counter in [
            "open_deals_count",
            "won_deals_count",
            "activities_count",
            "done_activities_count",
            "notes_count",
            "followers_count",
        ] {
            assert!(
                persons
                    .iter()
                    .any(|person| person[counter].as_u64() > Some(0)),
                "{counter} is never set"
            );
        }
        let busiest = persons
            .iter()
            .max_by_key(|person| person["activities_count"].as_u64())
            .unwrap();
        let v1 = get(&one, &format!("/v1/persons/{}", busiest["id"]));
        assert_eq!(v1["data"]["activities_count"], busiest["activities_count"]);
        assert!(v1["data"]["org_id"].is_object() || v1["data"]["org_id"].is_null());
    }
}
