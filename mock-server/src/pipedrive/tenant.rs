//! One Pipedrive company: its log of [`Entry`]s and the projections every read serves from
//! (records by id, per-person links to related records, counters, the search index,
//! organization head counts, changelogs, followers).
//!
//! Every write is one entry through [`Company::apply`], which checks it against the company
//! and completes it (ids, time, acting user), hands it to the log, then updates the
//! projections; a refused entry changes nothing, not even an id sequence. The checks and
//! projections of each kind of entry live in [`super::persons`] (persons, pictures,
//! followers) and [`super::related`] (deals, activities, notes, files, mail, products).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::counters::Sign;
use super::fields::{FieldDef, FieldOption, FieldType, hex_key, is_custom_key};
use super::log::{Entry, FieldEntry, Log, OrganizationEntry, UserEntry};
use super::model::{
    Activity, ContactEntry, Deal, DealProduct, FieldChange, File, Follower, FollowerChange, Id,
    MailMessage, Note, Organization, Person, Product, User,
};
use super::rendered::{Kept, Persons};
use super::search::{SearchField, SearchIndex};
use super::table::{SortedVec, Table};
use crate::Timestamp;
use crate::durable::StorageError;

/// Why a write was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The record the write is about does not exist (or is deleted).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write is invalid; the message is Pipedrive's.
    #[error("{0}")]
    Invalid(String),
    /// The data directory could not log the write, so it was not applied.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ModelError {
    /// This refusal, blamed on the entry's `field`.
    pub fn at(self, field: impl Into<String>) -> RecordError {
        RecordError {
            reason: self,
            field: Some(field.into()),
        }
    }
}

/// Why an entry was refused: the reason, and the entry's field at fault when there is one
/// (what a seed's error path names).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RecordError {
    /// Why.
    pub reason: ModelError,
    /// The field of the entry at fault (`owner_id`, `custom_fields.<key>`, `ids[1]`…).
    pub field: Option<String>,
}

impl From<ModelError> for RecordError {
    fn from(reason: ModelError) -> Self {
        Self {
            reason,
            field: None,
        }
    }
}

impl From<StorageError> for RecordError {
    fn from(error: StorageError) -> Self {
        ModelError::Storage(error).into()
    }
}

/// Per-person indexes of related records, so per-person reads and merges never scan.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// Deals where the person is primary contact or participant (deleted ones included).
    pub deals: Table<SortedVec<Id>>,
    /// Activities linked to the person (deleted ones excluded).
    pub activities: Table<SortedVec<Id>>,
    /// Notes attached to the person.
    pub notes: Table<SortedVec<Id>>,
    /// Files attached to the person.
    pub files: Table<SortedVec<Id>>,
    /// Mail messages linked to the person.
    pub mails: Table<SortedVec<Id>>,
    /// Products attached to each deal (by deal id).
    pub deal_products: Table<SortedVec<Id>>,
}

/// Auto-increment sequences, one per kind of id. Replaying a log draws the same ids again,
/// so the sequences are part of the projections, not of what a seed writes down.
#[derive(Clone, Debug, Default)]
pub struct Sequences {
    counters: FxHashMap<&'static str, Id>,
}

impl Sequences {
    /// The next id of `kind`, from 1.
    pub fn next(&mut self, kind: &'static str) -> Id {
        let id = self.candidate(kind, 0);
        self.observe(kind, id);
        id
    }

    /// The id a new record of `kind` gets: `wanted`, or the next one when `wanted` is 0.
    /// Nothing is taken until [`Sequences::observe`].
    pub fn candidate(&self, kind: &str, wanted: Id) -> Id {
        if wanted == 0 {
            self.last(kind).saturating_add(1)
        } else {
            wanted
        }
    }

    /// Records that `id` of `kind` is taken, so the sequence never issues it (or below it).
    pub fn observe(&mut self, kind: &'static str, id: Id) {
        let counter = self.counters.entry(kind).or_default();
        *counter = (*counter).max(id);
    }

    /// The last id of `kind` issued or observed; 0 for none.
    pub fn last(&self, kind: &str) -> Id {
        self.counters.get(kind).copied().unwrap_or(0)
    }
}

/// The built-in person labels every company starts with.
const DEFAULT_LABELS: [&str; 4] = ["Customer", "Hot lead", "Warm lead", "Cold lead"];

/// One company's data.
#[derive(Clone, Debug)]
pub struct Company {
    /// Company id.
    pub id: Id,
    /// Every write, in order.
    log: Log,
    /// Users.
    pub users: BTreeMap<Id, User>,
    /// Organizations.
    pub orgs: Table<Organization>,
    /// Persons, deleted ones included.
    pub persons: Persons,
    /// Deals, deleted ones included.
    pub deals: Table<Deal>,
    /// Activities, deleted ones included.
    pub activities: Table<Activity>,
    /// Notes, deleted ones included.
    pub notes: Table<Note>,
    /// Files.
    pub files: Table<File>,
    /// Mail messages.
    pub mails: Table<MailMessage>,
    /// Followers per person, by user id.
    pub followers: BTreeMap<Id, BTreeMap<Id, Follower>>,
    /// Follower changes per person, oldest first.
    pub follower_changes: BTreeMap<Id, Vec<FollowerChange>>,
    /// Field changes per person, oldest first (the changelog).
    pub person_changes: BTreeMap<Id, Vec<FieldChange>>,
    /// The product catalogue.
    pub products: Table<Product>,
    /// Products attached to deals.
    pub deal_products: Table<DealProduct>,
    /// Custom person fields.
    pub fields: Vec<FieldDef>,
    /// Options of the built-in `label` field.
    pub labels: Vec<FieldOption>,
    /// Per-person indexes.
    pub links: Links,
    /// The search index.
    pub search: SearchIndex,
    /// Id sequences.
    pub(super) ids: Sequences,
}

impl Company {
    /// An empty company with Pipedrive's default person labels.
    pub fn new(id: Id) -> Self {
        let mut ids = Sequences::default();
        let labels = DEFAULT_LABELS
            .iter()
            .map(|label| FieldOption {
                id: ids.next("option"),
                label: (*label).to_owned(),
            })
            .collect();
        Self {
            id,
            log: Log::default(),
            users: BTreeMap::new(),
            orgs: Table::new(),
            persons: Persons::new(),
            deals: Table::new(),
            activities: Table::new(),
            notes: Table::new(),
            files: Table::new(),
            mails: Table::new(),
            followers: BTreeMap::new(),
            follower_changes: BTreeMap::new(),
            person_changes: BTreeMap::new(),
            products: Table::new(),
            deal_products: Table::new(),
            fields: Vec::new(),
            labels,
            links: Links::default(),
            search: SearchIndex::default(),
            ids,
        }
    }

    /// Applies one write: checks `entry` against the company and completes it (the record's
    /// id, `now` as its time when it has none, to the second, the company's first user as
    /// the acting user when it names none), hands the completed entry to `log`, then updates
    /// every projection (which take the entry's values; the log keeps it encoded). Nothing changes when it is refused, by the checks or by `log`.
    /// Returns the id of the record the entry created or changed (the first person of a
    /// `person_delete`, the relation of a `follower` or `deal_participant`).
    ///
    /// A `user` entry must carry its id: user ids are unique across companies, so the state
    /// gives them ([`PipedriveState::apply`](super::state::PipedriveState::apply)).
    pub fn apply(
        &mut self,
        mut entry: Entry,
        now: Timestamp,
        log: &mut impl FnMut(&Entry) -> Result<(), StorageError>,
    ) -> Result<Id, RecordError> {
        if let Some(time) = entry.time_mut() {
            *time = Some(Timestamp::from_unix_seconds(
                time.unwrap_or(now).unix_seconds(),
            ));
        }
        let id = self.check(&mut entry)?;
        log(&entry)?;
        self.log.push(&entry);
        self.project(entry);
        Ok(id)
    }

    /// Frees the company part by part, calling `dropped` with each part's name right after
    /// it is freed, so a counting allocator tells how its bytes divide (the benchmarks'
    /// memory breakdown).
    #[cfg(feature = "internals")]
    pub fn dismantle(mut self, dropped: &mut dyn FnMut(&'static str)) {
        use std::mem::take;
        drop(take(&mut self.log));
        dropped("log");
        take(&mut self.search).dismantle(dropped);
        let mut persons = take(&mut self.persons);
        type Part = (&'static str, fn(&mut Person));
        let parts: [Part; 4] = [
            ("persons: custom values", |person| {
                drop(take(&mut person.custom))
            }),
            ("persons: e-mails and phones", |person| {
                drop((take(&mut person.emails), take(&mut person.phones)));
            }),
            ("persons: activity and mail sets", |person| {
                let counters = &mut person.counters;
                drop(take(&mut counters.undone_activities));
                drop(take(&mut counters.done_activities));
                drop(take(&mut counters.incoming_mail));
                drop(take(&mut counters.outgoing_mail));
            }),
            ("persons: names and labels", |person| {
                drop((take(&mut person.name), take(&mut person.label_ids)));
            }),
        ];
        for (name, part) in parts {
            persons.values_mut().for_each(part);
            dropped(name);
        }
        drop(persons);
        dropped("persons: records and map");
        for deal in self.deals.values_mut() {
            drop((take(&mut deal.title), take(&mut deal.currency)));
            drop((take(&mut deal.participants), deal.lost_reason.take()));
        }
        dropped("deals: texts");
        drop(take(&mut self.deals));
        dropped("deals: records and map");
        for activity in self.activities.values_mut() {
            drop((take(&mut activity.subject), take(&mut activity.kind)));
            drop((take(&mut activity.due_date), take(&mut activity.due_time)));
            drop((take(&mut activity.duration), activity.note.take()));
            drop(take(&mut activity.participants));
        }
        dropped("activities: texts");
        drop(take(&mut self.activities));
        dropped("activities: records and map");
        self.notes
            .values_mut()
            .for_each(|note| drop(take(&mut note.content)));
        dropped("notes: contents");
        drop(take(&mut self.notes));
        dropped("notes: records and map");
        drop(take(&mut self.links));
        dropped("links (per-person record ids)");
        drop((take(&mut self.followers), take(&mut self.follower_changes)));
        dropped("followers and their changelog");
        drop(take(&mut self.person_changes));
        dropped("person changelog");
        drop(take(&mut self.orgs));
        dropped("organizations");
        drop(self);
        dropped("the rest");
    }

    /// Checks `entry` and completes it; returns the id [`Company::apply`] answers.
    fn check(&self, entry: &mut Entry) -> Result<Id, RecordError> {
        match entry {
            Entry::User(user) => self.check_user(user),
            Entry::Organization(org) => self.check_organization(org),
            Entry::PersonField(field) => self.check_field(field),
            Entry::Person(person) => self.check_person(person),
            Entry::PersonUpdate(person) => self.check_person_update(person),
            Entry::PersonDelete(delete) => self.check_person_delete(delete),
            Entry::PersonMerge(merge) => self.check_merge(merge),
            Entry::Picture(picture) => self.check_picture(picture),
            Entry::PictureDelete(delete) => self.check_picture_delete(delete),
            Entry::Follower(follow) => self.check_follow(follow),
            Entry::FollowerDelete(unfollow) => self.check_unfollow(unfollow),
            Entry::Deal(deal) => self.check_deal(deal),
            Entry::DealUpdate(deal) => self.check_deal_update(deal),
            Entry::DealDelete(delete) => live(self.live_deal(delete.id), delete.id),
            Entry::DealParticipant(participant) => self.check_participant(participant),
            Entry::Activity(activity) => self.check_activity(activity),
            Entry::ActivityUpdate(activity) => self.check_activity_update(activity),
            Entry::ActivityDelete(delete) => live(self.live_activity(delete.id), delete.id),
            Entry::Note(note) => self.check_note(note),
            Entry::NoteUpdate(note) => self.check_note_update(note),
            Entry::NoteDelete(delete) => live(self.live_note(delete.id), delete.id),
            Entry::File(file) => self.check_file(file),
            Entry::MailMessage(mail) => self.check_mail(mail),
            Entry::Product(product) => self.check_product(product),
            Entry::DealProduct(attachment) => self.check_deal_product(attachment),
        }
    }

    /// Updates the projections with a checked, completed `entry`.
    fn project(&mut self, entry: Entry) {
        match entry {
            Entry::User(user) => self.project_user(user),
            Entry::Organization(org) => self.project_organization(org),
            Entry::PersonField(field) => self.project_field(field),
            Entry::Person(person) => self.project_person(person),
            Entry::PersonUpdate(person) => self.project_person_update(person),
            Entry::PersonDelete(delete) => self.project_person_delete(&delete),
            Entry::PersonMerge(merge) => self.project_merge(&merge),
            Entry::Picture(picture) => self.project_picture(&picture),
            Entry::PictureDelete(delete) => self.project_picture_delete(&delete),
            Entry::Follower(follow) => self.project_follow(&follow),
            Entry::FollowerDelete(unfollow) => self.project_unfollow(&unfollow),
            Entry::Deal(deal) => self.project_deal(deal),
            Entry::DealUpdate(deal) => self.project_deal_update(deal),
            Entry::DealDelete(delete) => self.project_deal_delete(&delete),
            Entry::DealParticipant(participant) => self.project_participant(&participant),
            Entry::Activity(activity) => self.project_activity(activity),
            Entry::ActivityUpdate(activity) => self.project_activity_update(activity),
            Entry::ActivityDelete(delete) => self.project_activity_delete(&delete),
            Entry::Note(note) => self.project_note(note),
            Entry::NoteUpdate(note) => self.project_note_update(note),
            Entry::NoteDelete(delete) => self.project_note_delete(&delete),
            Entry::File(file) => self.project_file(file),
            Entry::MailMessage(mail) => self.project_mail(mail),
            Entry::Product(product) => self.project_product(product),
            Entry::DealProduct(attachment) => self.project_deal_product(&attachment),
        }
    }

    /// The whole log, in the order the entries were applied.
    pub(crate) fn log(&self) -> &Log {
        &self.log
    }

    /// How many writes the log holds.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// How many persons are active (not deleted).
    pub fn active_person_count(&self) -> usize {
        self.persons
            .values()
            .filter(|person| person.is_active())
            .count()
    }

    fn check_user(&self, user: &mut UserEntry) -> Result<Id, RecordError> {
        let id = user.id.ok_or_else(|| {
            ModelError::Invalid("A user needs an id (the state gives one).".into()).at("id")
        })?;
        if id == 0 {
            return Err(ModelError::Invalid("Ids start at 1.".into()).at("id"));
        }
        if self.users.contains_key(&id) {
            return Err(ModelError::Invalid(format!("User id {id} is already used.")).at("id"));
        }
        Ok(id)
    }

    fn project_user(&mut self, user: UserEntry) {
        let id = user.id.unwrap_or_default();
        self.persons.forget_renderings();
        self.users.insert(
            id,
            User {
                id,
                name: user.name,
                email: user.email,
                is_admin: user.is_admin,
            },
        );
    }

    fn check_organization(&self, org: &mut OrganizationEntry) -> Result<Id, RecordError> {
        named(&org.name, "name")?;
        match org.owner_id {
            Some(owner) => {
                self.user(owner).map_err(|error| error.at("owner_id"))?;
            }
            None => org.owner_id = Some(self.first_user("owner_id")?),
        }
        let id = self.free_id("org", org.id, &self.orgs, "Organization")?;
        org.id = Some(id);
        Ok(id)
    }

    fn project_organization(&mut self, org: OrganizationEntry) {
        let id = org.id.unwrap_or_default();
        self.ids.observe("org", id);
        self.orgs.insert(
            id,
            Organization {
                id,
                name: org.name,
                owner_id: org.owner_id.unwrap_or_default(),
                address: org.address,
                people_count: 0,
                rendered: Kept::default(),
            },
        );
    }

    /// A custom person field checked in full: a free id, a name, a unique 40-hex key (the
    /// one `POST /personFields` generates when none is given), options for enum and set
    /// fields, with ids unused in the company (the next ones when left out). Other types
    /// number the options they are sent and drop them, as `POST /personFields` does.
    fn check_field(&self, field: &mut FieldEntry) -> Result<Id, RecordError> {
        let id = self.ids.candidate("field", nonzero(field.id, "id")?);
        if self.fields.iter().any(|existing| existing.id == id) {
            return Err(ModelError::Invalid(format!("Field id {id} is already used.")).at("id"));
        }
        named(&field.name, "name")?;
        fits(&field.name, VARCHAR_CHARS, "name")?;
        let key = field
            .key
            .get_or_insert_with(|| hex_key(&format!("company {} person field {id}", self.id)));
        if !is_custom_key(key) {
            return Err(ModelError::Invalid(format!(
                "Field key {key} is not 40 lower-case hex characters."
            ))
            .at("key"));
        }
        if self.field(key).is_some() {
            return Err(ModelError::Invalid(format!("Field key {key} is already used.")).at("key"));
        }
        let needs_options = matches!(field.field_type, FieldType::Enum | FieldType::Set);
        if needs_options && field.options.is_empty() {
            return Err(ModelError::Invalid(
                "Options must be given for enum and set fields.".into(),
            )
            .at("options"));
        }
        self.number_options(field)?;
        field.id = Some(id);
        Ok(id)
    }

    /// Checks that explicit option ids are unused in the company (labels and every field's
    /// options) and gives the others the next free ones.
    fn number_options(&self, field: &mut FieldEntry) -> Result<(), RecordError> {
        let mut used: BTreeSet<Id> = self
            .labels
            .iter()
            .chain(self.fields.iter().flat_map(|field| &field.options))
            .map(|option| option.id)
            .collect();
        for (at, option) in field.options.iter().enumerate() {
            let Some(id) = option.id else {
                continue;
            };
            let path = format!("options[{at}].id");
            if id == 0 {
                return Err(ModelError::Invalid("Ids start at 1.".into()).at(path));
            }
            if !used.insert(id) {
                return Err(
                    ModelError::Invalid(format!("Option id {id} is already used.")).at(path),
                );
            }
        }
        let mut next = self.ids.last("option");
        for option in field
            .options
            .iter_mut()
            .filter(|option| option.id.is_none())
        {
            next = (next.saturating_add(1)..=Id::MAX)
                .find(|id| !used.contains(id))
                .ok_or_else(|| ModelError::Invalid("No option id is left.".into()).at("options"))?;
            option.id = Some(next);
            used.insert(next);
        }
        Ok(())
    }

    fn project_field(&mut self, field: FieldEntry) {
        let id = field.id.unwrap_or_default();
        for option in &field.options {
            self.ids.observe("option", option.id.unwrap_or_default());
        }
        self.ids.observe("field", id);
        let options = if matches!(field.field_type, FieldType::Enum | FieldType::Set) {
            field
                .options
                .into_iter()
                .map(|option| FieldOption {
                    id: option.id.unwrap_or_default(),
                    label: option.label,
                })
                .collect()
        } else {
            Vec::new()
        };
        self.persons.forget_renderings();
        self.fields.push(FieldDef {
            id,
            key: field.key.unwrap_or_default(),
            name: field.name,
            field_type: field.field_type,
            options,
            add_time: seconds(field.time),
        });
    }

    /// The custom field with `key`.
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|field| field.key == key)
    }

    /// The user `id` of this company.
    pub fn user(&self, id: Id) -> Result<&User, ModelError> {
        self.users.get(&id).ok_or(ModelError::NotFound("User"))
    }

    /// The active person `id`.
    pub fn active_person(&self, id: Id) -> Result<&Person, ModelError> {
        self.persons
            .get(&id)
            .filter(|person| person.is_active())
            .ok_or(ModelError::NotFound("Person"))
    }

    /// Whether `user` may see `person` under its `visible_to`: owner-only persons (1) are
    /// seen by their owner, their followers and admins; wider settings by everyone.
    pub fn can_see(&self, person: &Person, user: &User) -> bool {
        person.visible_to != 1
            || user.is_admin
            || person.owner_id == user.id
            || self
                .followers
                .get(&person.id)
                .is_some_and(|followers| followers.contains_key(&user.id))
    }

    /// The users who may see `person`.
    pub fn permitted_users(&self, person: &Person) -> Vec<Id> {
        self.users
            .values()
            .filter(|user| self.can_see(person, user))
            .map(|user| user.id)
            .collect()
    }

    /// The company's first user (the lowest id), the acting user of entries that name none;
    /// `field` is the entry's field that left it out.
    pub(super) fn first_user(&self, field: &str) -> Result<Id, RecordError> {
        self.users.keys().next().copied().ok_or_else(|| {
            ModelError::Invalid(
                "Left out, and the company has no user yet to default to: add a `user` entry first."
                    .into(),
            )
            .at(field)
        })
    }

    /// Completes and checks an acting user: `given` must be one of the company's users;
    /// when left out it becomes the company's first user.
    pub(super) fn actor(&self, given: &mut Option<Id>, field: &str) -> Result<Id, RecordError> {
        let id = match *given {
            Some(id) => {
                self.known_user(id).map_err(|error| error.at(field))?;
                id
            }
            None => self.first_user(field)?,
        };
        *given = Some(id);
        Ok(id)
    }

    /// `Ok` when user `id` is one of the company's, else Pipedrive's message for it.
    pub(super) fn known_user(&self, id: Id) -> Result<(), ModelError> {
        self.user(id)
            .map(|_| ())
            .map_err(|_| ModelError::Invalid(format!("User with id {id} not found.")))
    }

    /// The id a new record gets (`wanted`, or the next of `kind` when left out) when `table`
    /// has no record with it yet; `what` names the record in the error.
    pub(super) fn free_id<T>(
        &self,
        kind: &str,
        wanted: Option<Id>,
        table: &Table<T>,
        what: &str,
    ) -> Result<Id, RecordError> {
        let id = self.ids.candidate(kind, nonzero(wanted, "id")?);
        if table.contains_key(&id) {
            return Err(ModelError::Invalid(format!("{what} id {id} is already used.")).at("id"));
        }
        Ok(id)
    }

    /// Moves a deal's contribution into (`Add`) or out of (`Remove`) its persons' counters
    /// and links.
    pub(super) fn count_deal(&mut self, deal: &Deal, sign: Sign) {
        for person_id in deal.linked_persons() {
            link(&mut self.links.deals, person_id, deal.id, sign);
            if deal.delete_time.is_some() {
                continue;
            }
            if let Some(person) = self.persons.get_mut(&person_id) {
                let primary = deal.person_id == Some(person_id);
                let participant = deal.participants.contains_key(&person_id);
                person.counters.apply_deal(deal, primary, participant, sign);
            }
        }
    }

    /// Moves a live activity's contribution into or out of its persons.
    pub(super) fn count_activity(&mut self, activity: &Activity, sign: Sign) {
        if activity.delete_time.is_some() {
            return;
        }
        for person_id in activity.linked_persons() {
            link(&mut self.links.activities, person_id, activity.id, sign);
            if let Some(person) = self.persons.get_mut(&person_id) {
                person.counters.apply_activity(activity, sign);
            }
        }
    }

    /// Moves a live note's contribution into or out of its person (count and search text).
    pub(super) fn count_note(&mut self, note: &Note, sign: Sign) {
        let (Some(person_id), None) = (note.person_id, note.delete_time) else {
            return;
        };
        link(&mut self.links.notes, person_id, note.id, sign);
        if let Some(person) = self.persons.get_mut(&person_id) {
            person.counters.apply_note(sign);
        }
        if self.persons.get(&person_id).is_some_and(Person::is_active) {
            self.search
                .count(person_id, SearchField::Notes, &note.content, sign);
        }
    }

    /// Moves a file's contribution into or out of its person.
    pub(super) fn count_file(&mut self, file: &File, sign: Sign) {
        let Some(person_id) = file.person_id else {
            return;
        };
        link(&mut self.links.files, person_id, file.id, sign);
        if let Some(person) = self.persons.get_mut(&person_id) {
            person.counters.apply_file(sign);
        }
    }

    /// Moves a mail message's contribution into or out of its persons.
    pub(super) fn count_mail(&mut self, mail: &MailMessage, sign: Sign) {
        for &person_id in &mail.person_ids {
            link(&mut self.links.mails, person_id, mail.id, sign);
            if let Some(person) = self.persons.get_mut(&person_id) {
                person.counters.apply_mail(mail, sign);
            }
        }
    }

    /// Counts `person` into (`Add`) or out of its organization's head count.
    pub(super) fn count_in_org(&mut self, org: Option<Id>, sign: Sign) {
        let Some(org) = org else {
            return;
        };
        if let Some(org) = self.orgs.get_mut(&org) {
            org.rendered.clear();
            org.people_count = match sign {
                Sign::Add => org.people_count.saturating_add(1),
                Sign::Remove => org.people_count.saturating_sub(1),
            };
        }
    }

    /// The texts `person` is searched by in `field`, in order (for notes, the contents of
    /// its live notes while it is active).
    pub fn search_texts<'a>(&'a self, person: &'a Person, field: SearchField) -> Vec<Cow<'a, str>> {
        let texts: Vec<Cow<'a, str>> = match field {
            SearchField::Name => vec![Cow::Borrowed(person.name.as_str())],
            SearchField::Email => contact_values(&person.emails).map(Cow::Borrowed).collect(),
            SearchField::Phone => contact_values(&person.phones).map(Cow::Borrowed).collect(),
            SearchField::CustomFields => self
                .fields
                .iter()
                .enumerate()
                .filter_map(|(slot, field)| {
                    let value = person.custom.get(slot)?;
                    field.search_text(value).map(Cow::Owned)
                })
                .collect(),
            SearchField::Notes if person.is_active() => {
                linked(&self.links.notes, &self.notes, person.id)
                    .map(|note| Cow::Borrowed(note.content.as_str()))
                    .collect()
            }
            SearchField::Notes => Vec::new(),
        };
        texts.into_iter().filter(|text| !text.is_empty()).collect()
    }

    /// The texts of person `id`'s own fields (every field but notes) as the search counts
    /// them; none when the person is not active.
    pub(super) fn own_search_texts(&self, id: Id) -> Vec<(SearchField, String)> {
        self.own_search_texts_borrowed(id)
            .into_iter()
            .map(|(field, text)| (field, text.into_owned()))
            .collect()
    }

    /// [`Company::own_search_texts`], borrowed from the person where they can be.
    fn own_search_texts_borrowed(&self, id: Id) -> Vec<(SearchField, Cow<'_, str>)> {
        let Some(person) = self.persons.get(&id).filter(|person| person.is_active()) else {
            return Vec::new();
        };
        SearchField::ALL
            .into_iter()
            .filter(|field| *field != SearchField::Notes)
            .flat_map(|field| {
                self.search_texts(person, field)
                    .into_iter()
                    .map(move |text| (field, text))
            })
            .collect()
    }

    /// Counts person `id`'s own texts `before` a write out of the search index and its own
    /// texts now in, when they differ: the texts now are read from the person, not copied.
    pub(super) fn recount_search_texts(&mut self, id: Id, before: &[(SearchField, String)]) {
        let mut search = std::mem::take(&mut self.search);
        let after = self.own_search_texts_borrowed(id);
        let unchanged = after.len() == before.len()
            && after
                .iter()
                .zip(before)
                .all(|((field, text), (old_field, old))| field == old_field && text == old);
        if !unchanged {
            for (field, text) in before {
                search.count(id, *field, text, Sign::Remove);
            }
            for (field, text) in &after {
                search.count(id, *field, text, Sign::Add);
            }
        }
        drop(after);
        self.search = search;
    }

    /// Counts `texts` of person `id` into or out of the search index.
    pub(super) fn count_search_texts(
        &mut self,
        id: Id,
        texts: &[(SearchField, String)],
        sign: Sign,
    ) {
        for (field, text) in texts {
            self.search.count(id, *field, text, sign);
        }
    }
}

/// The Unix seconds of a completed entry's time (every applied entry has one).
pub(super) fn seconds(time: Option<Timestamp>) -> i64 {
    time.map_or(0, Timestamp::unix_seconds)
}

/// An id an entry gives (never 0), or 0 for "the next one".
pub(super) fn nonzero(id: Option<Id>, field: &str) -> Result<Id, RecordError> {
    match id {
        Some(0) => Err(ModelError::Invalid("Ids start at 1.".into()).at(field)),
        Some(id) => Ok(id),
        None => Ok(0),
    }
}

/// The longest short text Pipedrive keeps (a `varchar`: names, titles, subjects, e-mail and
/// phone values, varchar and phone custom fields), in characters.
pub(super) const VARCHAR_CHARS: usize = 255;

/// The longest long text Pipedrive keeps (note contents, activity notes, text custom fields),
/// in characters: its "up to 65k characters".
pub(super) const TEXT_CHARS: usize = 65_535;

/// `Ok` when `text` holds at most `max` characters; else Pipedrive's validation message.
pub(super) fn fits(text: &str, max: usize, field: &str) -> Result<(), RecordError> {
    if over(text, max) {
        return Err(ModelError::Invalid(too_long(field, max)).at(field));
    }
    Ok(())
}

/// Whether `text` holds more than `max` characters (counted only when its bytes could).
pub(super) fn over(text: &str, max: usize) -> bool {
    text.len() > max && text.chars().count() > max
}

/// Pipedrive's message for a text over its limit.
pub(super) fn too_long(field: &str, max: usize) -> String {
    format!("\"{field}\" length must be less than or equal to {max} characters long")
}

/// `Ok` when `name` is not blank.
pub(super) fn named(name: &str, field: &str) -> Result<(), RecordError> {
    if name.trim().is_empty() {
        return Err(ModelError::Invalid("Name must be given.".into()).at(field));
    }
    Ok(())
}

/// `id` when `found` found the live record it names, else the entry's error at `id`.
fn live<T>(found: Result<T, ModelError>, id: Id) -> Result<Id, RecordError> {
    found.map(|_| id).map_err(|error| error.at("id"))
}

/// The non-empty values of e-mail or phone entries, what search looks into.
fn contact_values(entries: &[ContactEntry]) -> impl Iterator<Item = &str> {
    entries
        .iter()
        .map(|entry| entry.value.as_str())
        .filter(|value| !value.is_empty())
}

/// The records of `table` that `index` links to `person` (or deal), in id order.
pub fn linked<'a, T>(
    index: &'a Table<SortedVec<Id>>,
    table: &'a Table<T>,
    person: Id,
) -> impl Iterator<Item = &'a T> + 'a {
    index
        .get(&person)
        .into_iter()
        .flatten()
        .filter_map(|id| table.get(id))
}

/// Adds `id` to (or removes it from) `person`'s set in `index`.
fn link(index: &mut Table<SortedVec<Id>>, person: Id, id: Id, sign: Sign) {
    match sign {
        Sign::Add => {
            index.get_or_insert_default(person).insert(id);
        }
        Sign::Remove => {
            if let Some(ids) = index.get_mut(&person) {
                ids.remove(&id);
                if ids.is_empty() {
                    index.remove(&person);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::unlogged;
    use crate::pipedrive::log::{MailEntry, PersonEntry};

    const NOW: i64 = 1_767_225_600;

    fn now() -> Timestamp {
        Timestamp::from_unix_micros(NOW * 1_000_000 + 250_000)
    }

    /// Company 1 with user 7.
    fn company() -> Company {
        let mut company = Company::new(1);
        let user = UserEntry {
            id: Some(7),
            name: "Ann".into(),
            email: "ann@x.test".into(),
            is_admin: true,
        };
        company
            .apply(Entry::User(user), now(), &mut unlogged)
            .unwrap();
        company
    }

    fn person(name: &str) -> Entry {
        Entry::Person(PersonEntry {
            name: Some(name.into()),
            ..PersonEntry::default()
        })
    }

    fn mail() -> Entry {
        Entry::MailMessage(MailEntry {
            id: None,
            user_id: None,
            mail_thread_id: None,
            from: "a@x.test".into(),
            to: Vec::new(),
            subject: "Hi".into(),
            snippet: None,
            sent_flag: false,
            message_time: None,
            person_ids: vec![1],
            time: None,
        })
    }

    #[test]
    fn applied_entries_are_completed_with_ids_times_and_actors() {
        let mut company = company();
        assert_eq!(company.apply(person("Ada"), now(), &mut unlogged), Ok(1));
        let Some(Entry::Person(logged)) = company.log().iter().nth(1) else {
            panic!("{:?}", company.log());
        };
        assert_eq!(logged.id, Some(1));
        assert_eq!((logged.actor_user_id, logged.owner_id), (Some(7), Some(7)));
        assert_eq!(
            logged.time,
            Some(Timestamp::from_unix_seconds(NOW)),
            "to the second"
        );
        assert_eq!(company.persons[&1].add_time, NOW);
    }

    #[test]
    fn a_refused_entry_changes_nothing_and_ids_stay_in_sequence() {
        let mut company = company();
        assert_eq!(
            company.apply(person(" "), now(), &mut unlogged),
            Err(ModelError::Invalid("Name must be given.".into()).at("name"))
        );
        let mut failing = |_: &Entry| Err(StorageError::new("disk full"));
        let refused = company.apply(person("Ada"), now(), &mut failing);
        assert_eq!(
            refused.map_err(|error| error.reason),
            Err(ModelError::Storage(StorageError::new("disk full")))
        );
        assert!(company.apply(mail(), now(), &mut unlogged).is_err());
        assert_eq!(company.log_len(), 1);
        assert!(company.persons.len() == 0 && company.mails.len() == 0);
        let mut fresh = self::company();
        for target in [&mut company, &mut fresh] {
            assert_eq!(target.apply(person("Ada"), now(), &mut unlogged), Ok(1));
            assert_eq!(target.apply(mail(), now(), &mut unlogged), Ok(1));
        }
        assert_eq!(
            company.mails[&1].thread_id, 1,
            "the refused mail took no thread"
        );
        assert_eq!(company.log(), fresh.log());
    }
}
