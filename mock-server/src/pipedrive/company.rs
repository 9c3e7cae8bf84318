//! One Pipedrive company: its append-only log of writes and the projections every read
//! serves from (records by id, per-person links to related records, counters, the search
//! index, organization head counts).
//!
//! Every write validates first, appends its [`Change`] to the log, then updates the
//! projections; a refused write changes nothing. The writes themselves live in
//! [`super::persons`] and [`super::related`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::counters::Sign;
use super::fields::{FieldDef, FieldOption, FieldType, hex_key, is_custom_key};
use super::model::{
    Activity, ContactEntry, Deal, DealProduct, FieldChange, File, Follower, FollowerChange, Id,
    MailMessage, Note, Organization, Person, Picture, Product, User,
};
use super::search::{SearchField, SearchIndex};

/// Why a write was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The record the write is about does not exist (or is deleted).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write is invalid; the message is Pipedrive's.
    #[error("{0}")]
    Invalid(String),
}

/// One write, as appended to the log.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A user joined the company.
    User(User),
    /// An organization was created.
    Organization(Organization),
    /// A custom person field was created.
    Field(FieldDef),
    /// A person was created or updated by `actor` at `time`.
    Person {
        id: Id,
        patch: PersonPatch,
        actor: Id,
        time: i64,
    },
    /// Persons were deleted at `time`.
    DeletePersons { ids: Vec<Id>, time: i64 },
    /// `from` was merged into `into` by `actor` at `time`.
    Merge {
        from: Id,
        into: Id,
        actor: Id,
        time: i64,
    },
    /// A person's picture was set (`Some`) or removed at `time`.
    Picture {
        person: Id,
        picture: Option<Picture>,
        time: i64,
    },
    /// A product was created.
    Product(Product),
    /// A product was attached to a deal.
    DealProduct(DealProduct),
    /// A user started (`true`) or stopped following a person, `actor` acting at `time`.
    Follow {
        person: Id,
        user: Id,
        follows: bool,
        actor: Id,
        time: i64,
    },
    /// A deal was created or rewritten.
    Deal(Deal),
    /// An activity was created or rewritten.
    Activity(Activity),
    /// A note was created or rewritten.
    Note(Note),
    /// A file was attached.
    File(File),
    /// A mail message was synced.
    Mail(MailMessage),
}

/// The writable fields of a person; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersonPatch {
    /// Full name.
    pub name: Option<String>,
    /// Owner user id.
    pub owner_id: Option<Id>,
    /// Organization (`Some(None)` unlinks it).
    pub org_id: Option<Option<Id>>,
    /// E-mail entries (replacing the existing ones).
    pub emails: Option<Vec<ContactEntry>>,
    /// Phone entries (replacing the existing ones).
    pub phones: Option<Vec<ContactEntry>>,
    /// Visibility.
    pub visible_to: Option<u8>,
    /// Label ids.
    pub label_ids: Option<Vec<Id>>,
    /// Custom field values (`None` clears one), already validated against the registry.
    pub custom: Vec<(String, Option<Value>)>,
    /// Creation time (create only).
    pub add_time: Option<i64>,
}

/// Per-person indexes of related records, so per-person reads and merges never scan.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// Deals where the person is primary contact or participant (deleted ones included).
    pub deals: BTreeMap<Id, BTreeSet<Id>>,
    /// Activities linked to the person (deleted ones excluded).
    pub activities: BTreeMap<Id, BTreeSet<Id>>,
    /// Notes attached to the person.
    pub notes: BTreeMap<Id, BTreeSet<Id>>,
    /// Files attached to the person.
    pub files: BTreeMap<Id, BTreeSet<Id>>,
    /// Mail messages linked to the person.
    pub mails: BTreeMap<Id, BTreeSet<Id>>,
    /// Products attached to each deal (by deal id).
    pub deal_products: BTreeMap<Id, BTreeSet<Id>>,
}

/// Every kind of id a company issues, each from its own sequence.
pub const ID_KINDS: [&str; 16] = [
    "activity",
    "change",
    "deal",
    "deal_product",
    "field",
    "file",
    "follower",
    "mail",
    "note",
    "option",
    "org",
    "participant",
    "person",
    "picture",
    "product",
    "thread",
];

/// Auto-increment sequences, one per record type.
#[derive(Clone, Debug, Default)]
pub struct Sequences {
    counters: HashMap<&'static str, Id>,
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

    /// Every kind that has issued an id, with its last id.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Id)> + '_ {
        self.counters.iter().map(|(kind, last)| (*kind, *last))
    }
}

/// The id a new record gets (`wanted`, or the next of `kind` when 0) when `table` has no
/// record with it yet; `what` names the record in the error.
pub(super) fn free_id<T>(
    ids: &Sequences,
    kind: &str,
    wanted: Id,
    table: &BTreeMap<Id, T>,
    what: &str,
) -> Result<Id, ModelError> {
    let id = ids.candidate(kind, wanted);
    if table.contains_key(&id) {
        return Err(ModelError::Invalid(format!(
            "{what} id {id} is already used."
        )));
    }
    Ok(id)
}

/// The built-in person labels every company starts with.
const DEFAULT_LABELS: [&str; 4] = ["Customer", "Hot lead", "Warm lead", "Cold lead"];

/// One company's data.
#[derive(Clone, Debug)]
pub struct Company {
    /// Company id.
    pub id: Id,
    /// Every write, in order.
    pub(super) log: Vec<Change>,
    /// Users.
    pub users: BTreeMap<Id, User>,
    /// Organizations.
    pub orgs: BTreeMap<Id, Organization>,
    /// Persons, deleted ones included.
    pub persons: BTreeMap<Id, Person>,
    /// Deals, deleted ones included.
    pub deals: BTreeMap<Id, Deal>,
    /// Activities, deleted ones included.
    pub activities: BTreeMap<Id, Activity>,
    /// Notes, deleted ones included.
    pub notes: BTreeMap<Id, Note>,
    /// Files.
    pub files: BTreeMap<Id, File>,
    /// Mail messages.
    pub mails: BTreeMap<Id, MailMessage>,
    /// Followers per person, by user id.
    pub followers: BTreeMap<Id, BTreeMap<Id, Follower>>,
    /// Follower changes per person, oldest first.
    pub follower_changes: BTreeMap<Id, Vec<FollowerChange>>,
    /// Field changes per person, oldest first (the changelog).
    pub person_changes: BTreeMap<Id, Vec<FieldChange>>,
    /// The product catalogue.
    pub products: BTreeMap<Id, Product>,
    /// Products attached to deals.
    pub deal_products: BTreeMap<Id, DealProduct>,
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
            log: Vec::new(),
            users: BTreeMap::new(),
            orgs: BTreeMap::new(),
            persons: BTreeMap::new(),
            deals: BTreeMap::new(),
            activities: BTreeMap::new(),
            notes: BTreeMap::new(),
            files: BTreeMap::new(),
            mails: BTreeMap::new(),
            followers: BTreeMap::new(),
            follower_changes: BTreeMap::new(),
            person_changes: BTreeMap::new(),
            products: BTreeMap::new(),
            deal_products: BTreeMap::new(),
            fields: Vec::new(),
            labels,
            links: Links::default(),
            search: SearchIndex::default(),
            ids,
        }
    }

    /// How many persons are active (not deleted).
    pub fn active_person_count(&self) -> usize {
        self.persons
            .values()
            .filter(|person| person.is_active())
            .count()
    }

    /// How many writes the log holds.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// Adds a user to the company.
    pub fn add_user(&mut self, user: User) {
        self.log.push(Change::User(user.clone()));
        self.users.insert(user.id, user);
    }

    /// Creates an organization; returns its id.
    pub fn add_organization(
        &mut self,
        name: &str,
        owner_id: Id,
        address: Option<String>,
    ) -> Result<Id, ModelError> {
        self.insert_organization(Organization {
            id: 0,
            name: name.to_owned(),
            owner_id,
            address,
            people_count: 0,
        })
    }

    /// Adds `org` under its own id (0 for the next one); its head count starts at 0 and
    /// follows the persons linked to it. Returns its id.
    pub fn insert_organization(&mut self, mut org: Organization) -> Result<Id, ModelError> {
        self.user(org.owner_id)?;
        let id = free_id(&self.ids, "org", org.id, &self.orgs, "Organization")?;
        self.ids.observe("org", id);
        org.id = id;
        org.people_count = 0;
        self.log.push(Change::Organization(org.clone()));
        self.orgs.insert(id, org);
        Ok(id)
    }

    /// Creates a custom person field; `options` are the labels of an enum or set field.
    pub fn add_field(&mut self, field: FieldDef) -> FieldDef {
        self.log.push(Change::Field(field.clone()));
        self.fields.push(field.clone());
        field
    }

    /// Adds a custom person field checked in full (as a seed's must be): a free id (0 for
    /// the next one), a name, a unique 40-hex key (empty for the one `personFields`
    /// generates), options exactly for enum and set fields, with ids unused in the company
    /// (0 for the next ones).
    pub fn insert_field(&mut self, mut field: FieldDef) -> Result<FieldDef, ModelError> {
        let id = self.ids.candidate("field", field.id);
        if self.fields.iter().any(|existing| existing.id == id) {
            return Err(ModelError::Invalid(format!(
                "Field id {id} is already used."
            )));
        }
        if field.name.trim().is_empty() {
            return Err(ModelError::Invalid("Name must be given.".into()));
        }
        if field.key.is_empty() {
            field.key = hex_key(&format!("company {} person field {id}", self.id));
        }
        if !is_custom_key(&field.key) {
            return Err(ModelError::Invalid(format!(
                "Field key {} is not 40 lower-case hex characters.",
                field.key
            )));
        }
        if self.field(&field.key).is_some() {
            return Err(ModelError::Invalid(format!(
                "Field key {} is already used.",
                field.key
            )));
        }
        let needs_options = matches!(field.field_type, FieldType::Enum | FieldType::Set);
        if needs_options == field.options.is_empty() {
            return Err(ModelError::Invalid(if needs_options {
                "Options must be given for enum and set fields.".into()
            } else {
                format!("A {} field has no options.", field.field_type.as_str())
            }));
        }
        self.number_options(&mut field.options)?;
        for option in &field.options {
            self.ids.observe("option", option.id);
        }
        self.ids.observe("field", id);
        field.id = id;
        Ok(self.add_field(field))
    }

    /// Checks that explicit option ids are unused in the company (labels and every field's
    /// options) and gives the others (id 0) the next free ones.
    fn number_options(&self, options: &mut [FieldOption]) -> Result<(), ModelError> {
        let mut used: BTreeSet<Id> = self
            .labels
            .iter()
            .chain(self.fields.iter().flat_map(|field| &field.options))
            .map(|option| option.id)
            .collect();
        for option in options.iter().filter(|option| option.id != 0) {
            if !used.insert(option.id) {
                return Err(ModelError::Invalid(format!(
                    "Option id {} is already used.",
                    option.id
                )));
            }
        }
        let mut next = self.ids.last("option");
        for option in options.iter_mut().filter(|option| option.id == 0) {
            next = (next.saturating_add(1)..=Id::MAX)
                .find(|id| !used.contains(id))
                .ok_or_else(|| ModelError::Invalid("No option id is left.".into()))?;
            option.id = next;
            used.insert(next);
        }
        Ok(())
    }

    /// The next id of `kind` (for records built by the facade before they are written).
    pub fn next_id(&mut self, kind: &'static str) -> Id {
        self.ids.next(kind)
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
            let text = (sign == Sign::Add).then_some(note.content.as_str());
            self.search
                .put(person_id, SearchField::Notes, note.id, text);
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
            org.people_count = match sign {
                Sign::Add => org.people_count.saturating_add(1),
                Sign::Remove => org.people_count.saturating_sub(1),
            };
        }
    }

    /// Re-indexes a person's own searchable fields.
    pub(super) fn reindex_person(&mut self, person_id: Id) {
        let Some(person) = self.persons.get(&person_id) else {
            return;
        };
        if !person.is_active() {
            self.search.remove(person_id);
            return;
        }
        let custom: Vec<String> = self
            .fields
            .iter()
            .filter_map(|field| {
                person
                    .custom
                    .get(&field.key)
                    .and_then(|value| field.search_text(value))
            })
            .collect();
        let search = &mut self.search;
        search.set(person_id, SearchField::Name, [person.name.as_str()]);
        search.set(
            person_id,
            SearchField::Email,
            contact_values(&person.emails),
        );
        search.set(
            person_id,
            SearchField::Phone,
            contact_values(&person.phones),
        );
        search.set(
            person_id,
            SearchField::CustomFields,
            custom.iter().map(String::as_str),
        );
        self.reindex_notes(person_id);
    }

    /// Makes the index hold the contents of the person's live notes (none when the person is
    /// not active); unchanged notes are not re-indexed.
    fn reindex_notes(&mut self, person_id: Id) {
        let active = self.persons.get(&person_id).is_some_and(Person::is_active);
        let notes = self
            .links
            .notes
            .get(&person_id)
            .into_iter()
            .flatten()
            .filter(|_| active)
            .filter_map(|id| Some((*id, self.notes.get(id)?.content.as_str())));
        self.search.sync(person_id, SearchField::Notes, notes);
    }
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
    index: &'a BTreeMap<Id, BTreeSet<Id>>,
    table: &'a BTreeMap<Id, T>,
    person: Id,
) -> impl Iterator<Item = &'a T> + 'a {
    index
        .get(&person)
        .into_iter()
        .flatten()
        .filter_map(|id| table.get(id))
}

/// Adds `id` to (or removes it from) `person`'s set in `index`.
fn link(index: &mut BTreeMap<Id, BTreeSet<Id>>, person: Id, id: Id, sign: Sign) {
    match sign {
        Sign::Add => {
            index.entry(person).or_default().insert(id);
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
