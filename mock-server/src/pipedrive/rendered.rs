//! Each person's JSON as the lists render it, kept as a projection (as Whop's and PostHog's
//! `rendered.rs`): filled by the first list that shows the person, dropped by every write that
//! could change it, so a page copies the kept bytes instead of rendering ~60 fields again.
//!
//! Kept are the v1 person (`GET /v1/persons`) and the v2 person in its default shape
//! (`GET /api/v2/persons` without `include_fields`, `custom_fields`, `include_option_labels`
//! or `include_labels`). What they show comes from:
//!
//! - the person's own record, counters and picture included: every change of a person goes
//!   through [`Persons::get_mut`], which drops its renderings (a deal, activity, note, file,
//!   mail or follower moves counters through it too);
//! - its organization (v1's `org_id` object, with the organization's live head count, and
//!   `org_name`): never kept in the person's bytes, which leave a hole for each
//!   ([`Holed`]); a page writes the organization's own kept JSON ([`OrgJson`], dropped by any
//!   change of the organization) into the holes, so a person joining or leaving an
//!   organization changes no other person's rendering;
//! - its owner (v1's `owner_id` object and `owner_name`) and the company's custom fields
//!   (every person shows every field, `null` when empty): users and fields are only ever
//!   added, and adding one drops every kept rendering ([`Persons::forget_renderings`]).
//!
//! Nothing rendered depends on the clock. `kept_renderings_answer_as_fresh_ones` (below)
//! checks that kept and fresh persons are the same bytes after random writes.

use std::ops::Deref;
use std::sync::OnceLock;

use super::model::{Id, Person};
use super::table::Table;

/// A value made once from the record it sits in and kept until [`clear`](Self::clear)ed.
/// A clone starts empty and any two compare equal: it is a cache of its record, not part of
/// the record's value.
pub struct Kept<T>(OnceLock<T>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self(OnceLock::new())
    }
}

impl<T> Kept<T> {
    /// The kept value, made by `make` if there is none.
    pub fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(make)
    }

    /// Drops the kept value.
    pub fn clear(&mut self) {
        self.0.take();
    }
}

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Self(OnceLock::new())
    }
}

impl<T> PartialEq for Kept<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for Kept<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(if self.0.get().is_some() {
            "Kept"
        } else {
            "Empty"
        })
    }
}

/// A v1 person's JSON without its organization: `bytes` with the values of `org_id` and
/// `org_name` cut out, to be written back in at `org` and `org_name`.
pub struct Holed {
    bytes: Box<[u8]>,
    org: usize,
    org_name: usize,
}

impl Holed {
    /// Cuts the `null`s of `"org_id":null` and `"org_name":null` out of a v1 person rendered
    /// without its organization; `None` if either is missing. A key cannot be mistaken for
    /// text inside a value: in a JSON string every `"` is escaped, so `,"` never occurs in one.
    pub fn cut(mut bytes: Vec<u8>) -> Option<Self> {
        let org = hole(&bytes, b",\"org_id\":null", 0)?;
        bytes.drain(org..org + NULL.len());
        let org_name = hole(&bytes, b",\"org_name\":null", org)?;
        bytes.drain(org_name..org_name + NULL.len());
        Some(Self {
            bytes: bytes.into_boxed_slice(),
            org,
            org_name,
        })
    }

    /// Appends the person to `out` with `org`'s JSON in the holes (`null`s for none).
    pub fn write(&self, out: &mut Vec<u8>, org: Option<&OrgJson>) {
        out.extend_from_slice(&self.bytes[..self.org]);
        out.extend_from_slice(org.map_or(NULL, OrgJson::object));
        out.extend_from_slice(&self.bytes[self.org..self.org_name]);
        out.extend_from_slice(org.map_or(NULL, OrgJson::name));
        out.extend_from_slice(&self.bytes[self.org_name..]);
    }
}

const NULL: &[u8] = b"null";

/// Where the value of the key `pattern` (ending in `null`) starts, searching from `from`.
fn hole(bytes: &[u8], pattern: &[u8], from: usize) -> Option<usize> {
    let at = bytes
        .get(from..)?
        .windows(pattern.len())
        .position(|window| window == pattern)?;
    Some(from + at + pattern.len() - NULL.len())
}

/// An organization as a v1 person embeds it: the `org_id` object, then the `org_name` value.
pub struct OrgJson {
    bytes: Box<[u8]>,
    name_at: usize,
}

impl OrgJson {
    /// The JSON of the `org_id` object followed by the JSON of the name.
    pub fn new(mut object: Vec<u8>, name: &[u8]) -> Self {
        let name_at = object.len();
        object.extend_from_slice(name);
        Self {
            bytes: object.into_boxed_slice(),
            name_at,
        }
    }

    fn object(&self) -> &[u8] {
        &self.bytes[..self.name_at]
    }

    fn name(&self) -> &[u8] {
        &self.bytes[self.name_at..]
    }
}

/// A person's kept renderings, each made at most once until cleared. They are allocated by
/// the first rendering, so a person never listed costs one pointer and its lock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered(Kept<Box<Forms>>);

/// The renderings of one person.
#[derive(Default)]
struct Forms {
    /// v1's, with holes for the organization (`None` if it could not be cut).
    v1: OnceLock<Option<Holed>>,
    /// v2's in the default shape.
    v2: OnceLock<Box<[u8]>>,
}

impl Rendered {
    /// The kept v1 person, made by `render` (the person without organization, cut by
    /// [`Holed::cut`]) the first time it is asked for since the last change.
    pub fn v1(&self, render: impl FnOnce() -> Vec<u8>) -> Option<&Holed> {
        let forms = self.0.get_or_init(Box::default);
        forms.v1.get_or_init(|| Holed::cut(render())).as_ref()
    }

    /// Appends the kept v2 person (default shape) to `out`, made by `render` the first time.
    pub fn write_v2(&self, out: &mut Vec<u8>, render: impl FnOnce() -> Vec<u8>) {
        let forms = self.0.get_or_init(Box::default);
        out.extend_from_slice(forms.v2.get_or_init(|| render().into_boxed_slice()));
    }

    /// Whether anything is kept.
    #[cfg(feature = "internals")]
    fn is_kept(&self) -> bool {
        self.0.0.get().is_some()
    }
}

/// The company's persons (deleted ones included) by id. Reads go to the [`Table`]; every
/// change goes through this type, which drops the changed person's kept renderings.
#[derive(Clone, Debug, Default)]
pub struct Persons {
    table: Table<Person>,
    /// Whether a rendering may have been kept since the last
    /// [`forget_renderings`](Self::forget_renderings) (set by the reads that keep one).
    kept: Kept<()>,
}

impl Persons {
    /// No persons.
    pub fn new() -> Self {
        Self::default()
    }

    /// Person `id`, to change: its kept renderings are dropped.
    pub fn get_mut(&mut self, id: &Id) -> Option<&mut Person> {
        let person = self.table.get_mut(id)?;
        person.rendered.0.clear();
        Some(person)
    }

    /// Puts `person` under `id`, answering the person it replaces.
    pub fn insert(&mut self, id: Id, person: Person) -> Option<Person> {
        self.table.insert(id, person)
    }

    /// Notes that a read kept a rendering (so [`forget_renderings`](Self::forget_renderings)
    /// has something to drop).
    pub fn note_kept(&self) {
        self.kept.get_or_init(|| ());
    }

    /// Drops every person's kept renderings (a user or a custom field was added); nothing to
    /// walk when no read kept one since the last time.
    pub fn forget_renderings(&mut self) {
        if self.kept.0.get().is_none() {
            return;
        }
        self.kept.clear();
        for person in self.table.values_mut() {
            person.rendered.0.clear();
        }
    }

    /// How many persons hold kept renderings (the benchmarks' memory report).
    #[cfg(feature = "internals")]
    pub fn kept_count(&self) -> usize {
        self.table
            .values()
            .filter(|person| person.rendered.is_kept())
            .count()
    }

    /// Every person, to change (kept renderings dropped).
    #[cfg(feature = "internals")]
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Person> {
        self.forget_renderings();
        self.table.values_mut()
    }
}

impl Deref for Persons {
    type Target = Table<Person>;

    fn deref(&self) -> &Table<Person> {
        &self.table
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::Timestamp;
    use crate::durable::unlogged;
    use crate::pipedrive::NewMail;
    use crate::pipedrive::fields::FieldType;
    use crate::pipedrive::log::{
        ActivityEntry, ActivityParticipant, CustomValues, DealEntry, DeleteEntry, Entry,
        FieldEntry, FileEntry, FollowerEntry, MergeEntry, NoteEntry, OrganizationEntry,
        ParticipantEntry, PersonDeleteEntry, PersonEntry, PictureDeleteEntry, PictureEntry,
        UserEntry,
    };
    use crate::pipedrive::model::{ContactEntry, DealStatus};
    use crate::pipedrive::render::to_json;
    use crate::pipedrive::render_v1::PersonJson as V1;
    use crate::pipedrive::render_v2::{PersonJson as V2, PersonShape};
    use crate::pipedrive::tenant::Company;

    #[test]
    fn holes_are_cut_where_the_organization_goes() {
        let rendered = br#"{"id":1,"owner_id":{"name":"a,\",\"org_id\":null"},"org_id":null,"name":"x","org_name":null,"cc":1}"#;
        let holed = Holed::cut(rendered.to_vec()).unwrap();
        let mut out = Vec::new();
        holed.write(&mut out, None);
        assert_eq!(out, rendered);
        let org = OrgJson::new(br#"{"value":3}"#.to_vec(), br#""Acme""#);
        out.clear();
        holed.write(&mut out, Some(&org));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":1,"owner_id":{"name":"a,\",\"org_id\":null"},"org_id":{"value":3},"name":"x","org_name":"Acme","cc":1}"#
        );
        assert!(Holed::cut(br#"{"org_id":null}"#.to_vec()).is_none());
    }

    /// 2026-01-01T00:00:00Z.
    const NOW: i64 = 1_767_225_600;

    /// One write of any kind that may change what a person shows (persons, records moving
    /// counters, organizations, users, fields). Small numbers pick among the company's
    /// persons (1–12), users, organizations, fields and records; a write the company refuses
    /// (a deleted person, an unknown deal) changes nothing.
    #[derive(Clone, Debug)]
    enum Op {
        Person(Option<u8>),
        Rename(u8, u8),
        Org(u8, Option<u8>),
        Owner(u8, u8),
        Contacts(u8, u8),
        Labels(u8, u8),
        Custom(u8, u8, Option<u8>),
        Delete(u8),
        Merge(u8, u8),
        Picture(u8, bool),
        Follow(u8, u8, bool),
        Deal(u8, Option<u8>),
        DealUpdate(u8, u8, Option<u8>),
        DealDelete(u8),
        Activity(u8, Option<u8>, bool, u8),
        ActivityUpdate(u8, bool),
        ActivityDelete(u8),
        Note(u8),
        NoteDelete(u8),
        File(u8),
        Mail(u8, bool, u8),
        NewOrg(u8),
        NewUser,
        NewField(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        let p = || 1u8..13;
        prop_oneof![
            2 => proptest::option::of(1u8..5).prop_map(Op::Person),
            1 => (p(), 0u8..4).prop_map(|(p, n)| Op::Rename(p, n)),
            2 => (p(), proptest::option::of(1u8..5)).prop_map(|(p, o)| Op::Org(p, o)),
            1 => (p(), 0u8..4).prop_map(|(p, u)| Op::Owner(p, u)),
            1 => (p(), 0u8..3).prop_map(|(p, n)| Op::Contacts(p, n)),
            1 => (p(), 0u8..3).prop_map(|(p, n)| Op::Labels(p, n)),
            2 => (p(), 0u8..4, proptest::option::of(0u8..3))
                .prop_map(|(p, f, v)| Op::Custom(p, f, v)),
            1 => p().prop_map(Op::Delete),
            1 => (p(), p()).prop_map(|(a, b)| Op::Merge(a, b)),
            1 => (p(), any::<bool>()).prop_map(|(p, on)| Op::Picture(p, on)),
            1 => (p(), 0u8..4, any::<bool>()).prop_map(|(p, u, on)| Op::Follow(p, u, on)),
            2 => (p(), proptest::option::of(p())).prop_map(|(p, q)| Op::Deal(p, q)),
            2 => (1u8..8, 0u8..3, proptest::option::of(p()))
                .prop_map(|(d, s, q)| Op::DealUpdate(d, s, q)),
            1 => (1u8..8).prop_map(Op::DealDelete),
            2 => (p(), proptest::option::of(p()), any::<bool>(), 0u8..9)
                .prop_map(|(p, q, done, day)| Op::Activity(p, q, done, day)),
            1 => (1u8..8, any::<bool>()).prop_map(|(a, done)| Op::ActivityUpdate(a, done)),
            1 => (1u8..8).prop_map(Op::ActivityDelete),
            1 => p().prop_map(Op::Note),
            1 => (1u8..6).prop_map(Op::NoteDelete),
            1 => p().prop_map(Op::File),
            1 => (p(), any::<bool>(), 0u8..9).prop_map(|(p, sent, t)| Op::Mail(p, sent, t)),
            1 => (0u8..4).prop_map(Op::NewOrg),
            1 => Just(Op::NewUser),
            1 => (0u8..3).prop_map(Op::NewField),
        ]
    }

    /// Users 1 and 2, two organizations, a text and an enum field, four persons.
    fn company() -> Company {
        let mut company = Company::new(1);
        let mut setup = vec![
            Op::NewUser,
            Op::NewUser,
            Op::NewOrg(0),
            Op::NewOrg(1),
            Op::NewField(0),
            Op::NewField(1),
        ];
        setup.extend([Some(1), Some(1), Some(2), None].map(Op::Person));
        for (at, op) in setup.into_iter().enumerate() {
            apply(&mut company, op, at as i64);
        }
        company
    }

    fn person(id: u8, update: PersonEntry) -> Entry {
        Entry::PersonUpdate(PersonEntry {
            id: Some(Id::from(id)),
            ..update
        })
    }

    /// The value op `Custom` writes into `field` (`None` empties it).
    fn custom_value(company: &Company, field: u8, value: Option<u8>) -> Option<(String, Value)> {
        let field = company.fields.get(usize::from(field))?;
        let n = u64::from(value?);
        let value = match field.field_type {
            FieldType::Enum => json!(field.options[n as usize % field.options.len()].id),
            FieldType::Monetary => json!({"value": n * 10, "currency": "EUR"}),
            _ => json!(format!("text \"{n}\"")),
        };
        Some((field.key.clone(), value))
    }

    fn apply(company: &mut Company, op: Op, step: i64) {
        let at = |seconds: i64| Some(Timestamp::from_unix_seconds(NOW + seconds));
        let time = at(step);
        let id = Id::from;
        let users: Vec<Id> = company.users.keys().copied().collect();
        let user = |n: u8| users.get(usize::from(n) % users.len().max(1)).copied();
        let entry = match op {
            Op::Person(org) => Entry::Person(PersonEntry {
                name: Some(format!("Person {step} \u{e9}")),
                org_id: Some(org.map(id)),
                emails: Some(vec![ContactEntry {
                    value: format!("p{step}@x.test"),
                    primary: true,
                    label: "work".into(),
                }]),
                time,
                ..PersonEntry::default()
            }),
            Op::Rename(p, n) => person(
                p,
                PersonEntry {
                    name: Some(
                        ["Ada", "Ada Lovelace", "  Émile Zola", "x \"y\" z"][usize::from(n)].into(),
                    ),
                    time,
                    ..PersonEntry::default()
                },
            ),
            Op::Org(p, org) => person(
                p,
                PersonEntry {
                    org_id: Some(org.map(id)),
                    time,
                    ..PersonEntry::default()
                },
            ),
            Op::Owner(p, n) => person(
                p,
                PersonEntry {
                    owner_id: user(n),
                    visible_to: Some([1, 3, 5, 7][usize::from(n)]),
                    time,
                    ..PersonEntry::default()
                },
            ),
            Op::Contacts(p, n) => {
                let contacts = (0..n)
                    .map(|k| ContactEntry {
                        value: format!("+{k}{step}"),
                        primary: k == 1,
                        label: if k == 0 {
                            String::new()
                        } else {
                            "mobile".into()
                        },
                    })
                    .collect();
                person(
                    p,
                    PersonEntry {
                        phones: Some(contacts),
                        time,
                        ..PersonEntry::default()
                    },
                )
            }
            Op::Labels(p, n) => {
                let labels = company.labels.iter().take(usize::from(n)).map(|l| l.id);
                person(
                    p,
                    PersonEntry {
                        label_ids: Some(labels.collect()),
                        time,
                        ..PersonEntry::default()
                    },
                )
            }
            Op::Custom(p, field, value) => {
                let Some(key) = company
                    .fields
                    .get(usize::from(field))
                    .map(|f| f.key.clone())
                else {
                    return;
                };
                let value = custom_value(company, field, value).map(|(_, value)| value);
                person(
                    p,
                    PersonEntry {
                        custom_fields: CustomValues(vec![(key, value)]),
                        time,
                        ..PersonEntry::default()
                    },
                )
            }
            Op::Delete(p) => Entry::PersonDelete(PersonDeleteEntry {
                ids: vec![id(p)],
                time,
            }),
            Op::Merge(from, into) => Entry::PersonMerge(MergeEntry {
                id: id(from),
                merge_with_id: id(into),
                actor_user_id: None,
                time,
            }),
            Op::Picture(p, true) => Entry::Picture(PictureEntry {
                person_id: id(p),
                id: None,
                added_by_user_id: None,
                file_size: 10,
                time,
            }),
            Op::Picture(p, false) => Entry::PictureDelete(PictureDeleteEntry {
                person_id: id(p),
                time,
            }),
            Op::Follow(p, n, on) => {
                let follow = FollowerEntry {
                    person_id: id(p),
                    user_id: user(n).unwrap_or_default(),
                    actor_user_id: None,
                    time,
                };
                if on {
                    Entry::Follower(follow)
                } else {
                    Entry::FollowerDelete(follow)
                }
            }
            Op::Deal(p, None) => Entry::Deal(DealEntry {
                title: Some("Deal".into()),
                person_id: Some(Some(id(p))),
                time,
                ..DealEntry::default()
            }),
            Op::Deal(p, Some(q)) => Entry::DealParticipant(ParticipantEntry {
                deal_id: id(p % 7 + 1),
                person_id: id(q),
                id: None,
                time,
            }),
            Op::DealUpdate(d, status, p) => Entry::DealUpdate(DealEntry {
                id: Some(id(d)),
                status: Some(
                    [DealStatus::Open, DealStatus::Won, DealStatus::Lost][usize::from(status)],
                ),
                person_id: p.map(|p| Some(id(p))),
                time,
                ..DealEntry::default()
            }),
            Op::DealDelete(d) => Entry::DealDelete(DeleteEntry { id: id(d), time }),
            Op::Activity(p, q, done, day) => Entry::Activity(ActivityEntry {
                subject: Some("Call".into()),
                person_id: Some(Some(id(p))),
                participants: q.map(|q| {
                    vec![ActivityParticipant {
                        person_id: id(q),
                        primary: false,
                    }]
                }),
                due_date: Some(format!("2026-01-0{}", day + 1)),
                due_time: (day % 2 == 0).then(|| format!("1{day}:30")),
                done: Some(done),
                time,
                ..ActivityEntry::default()
            }),
            Op::ActivityUpdate(a, done) => Entry::ActivityUpdate(ActivityEntry {
                id: Some(id(a)),
                done: Some(done),
                time,
                ..ActivityEntry::default()
            }),
            Op::ActivityDelete(a) => Entry::ActivityDelete(DeleteEntry { id: id(a), time }),
            Op::Note(p) => Entry::Note(NoteEntry {
                content: Some(format!("note {step}")),
                person_id: Some(id(p)),
                time,
                ..NoteEntry::default()
            }),
            Op::NoteDelete(n) => Entry::NoteDelete(DeleteEntry { id: id(n), time }),
            Op::File(p) => Entry::File(FileEntry {
                id: None,
                user_id: None,
                person_id: Some(id(p)),
                deal_id: None,
                file_name: "a.pdf".into(),
                file_type: None,
                file_size: 1,
                time,
            }),
            Op::Mail(p, sent, t) => NewMail {
                user_id: user(0).unwrap_or_default(),
                from: "a@x.test".into(),
                subject: "Hi".into(),
                sent,
                message_time: Some(NOW + i64::from(t) * 3_600 - 20_000),
                person_ids: vec![id(p)],
                ..NewMail::default()
            }
            .into(),
            Op::NewOrg(n) => Entry::Organization(OrganizationEntry {
                id: None,
                name: format!("Org {step} \"{n}\""),
                owner_id: user(n),
                address: (n % 2 == 0).then(|| format!("{n} Main St")),
            }),
            Op::NewUser => Entry::User(UserEntry {
                id: Some(users.last().copied().unwrap_or_default() + 1),
                name: format!("User {step}"),
                email: format!("u{step}@x.test"),
                is_admin: users.is_empty(),
            }),
            Op::NewField(kind) => {
                let (field_type, options): (_, &[&str]) = match kind {
                    0 => (FieldType::Varchar, &[]),
                    1 => (FieldType::Enum, &["Gold", "Silver"]),
                    _ => (FieldType::Monetary, &[]),
                };
                Entry::PersonField(FieldEntry {
                    time,
                    ..FieldEntry::new(format!("Field {step}"), field_type, options.iter().copied())
                })
            }
        };
        let _ = company.apply(
            entry,
            Timestamp::from_unix_seconds(NOW + step),
            &mut unlogged,
        );
    }

    /// Every person as v1 and v2 show them: kept (`kept`) or rendered afresh.
    fn rendered(company: &Company, kept: bool) -> Vec<(Id, String, String)> {
        let shape = PersonShape::default();
        company
            .persons
            .values()
            .map(|person| {
                let (mut v1, mut v2) = (Vec::new(), Vec::new());
                if kept {
                    V1::write_kept(company, person, &mut v1);
                    V2::write(company, person, &shape, &mut v2);
                } else {
                    V1::write_fresh(company, person, &mut v1);
                    v2 = to_json(&V2::of(company, person, &shape));
                }
                let text = |bytes| String::from_utf8(bytes).expect("JSON is UTF-8");
                (person.id, text(v1), text(v2))
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// After any writes, every person's kept v1 and v2 renderings (filled by a first
        /// read, then read again) are byte for byte what rendering afresh gives.
        #[test]
        fn kept_renderings_answer_as_fresh_ones(ops in prop::collection::vec(op(), 1..60)) {
            let mut company = company();
            for (step, op) in ops.into_iter().enumerate() {
                let described = format!("{op:?}");
                apply(&mut company, op, 100 + step as i64);
                let fresh = rendered(&company, false);
                for _ in 0..2 {
                    for (kept, fresh) in rendered(&company, true).iter().zip(&fresh) {
                        prop_assert_eq!(kept, fresh, "after {}", described);
                    }
                }
            }
        }
    }
}
