//! What a Pipedrive company's log holds: one [`Entry`] per write, the same value the company
//! keeps in memory, a seed lists and the data directory records. The entries speak the API's
//! vocabulary (a `person` is what `POST /persons` writes, a `deal_update` what
//! `PUT`/`PATCH /deals/{id}` writes), plus the writes Pipedrive's API cannot make (users,
//! organizations, files, mail, products). Also [`NewMail`], the typed builder of a mail entry.
//!
//! Fields the company derives are optional: `Company::apply`
//! fills in the record's id (the company's next one), the time (the clock's now) and the
//! acting user (the company's first user), so every logged or exported entry carries them and
//! a hand-written seed may leave them out. Times are kept to the second, as Pipedrive keeps
//! them.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use self::keyed::{KeyedJson, Keys};

pub use super::fields::FieldType;
use super::model::Id;
pub use super::model::{ContactEntry, DealStatus};
use crate::Timestamp;

mod keyed;

/// A company's log: its entries in the order they were applied, each kept as its JSON text
/// (a seed's own encoding of it, a fifth of the memory of the decoded entry with its
/// strings) with every object key written once for the whole log and named in the text by its
/// number ([`Keys`]: the keys and their quotes and colons were half of a person's text), in
/// chunks of at most [`Log::CHUNK`] entries, so that a long log neither holds up to as much
/// again in spare capacity nor copies itself whole as it grows. Reading decodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Log {
    chunks: Vec<Chunk>,
    keys: Keys,
}

/// Consecutive entries of a [`Log`]: their texts back to back, and where each ends.
#[derive(Clone, Debug, Default, PartialEq)]
struct Chunk {
    text: Vec<u8>,
    ends: Vec<u32>,
}

impl Log {
    /// The most entries one chunk holds (a power of two: a full chunk has no spare room).
    pub const CHUNK: usize = 4096;

    /// Appends `entry`.
    pub fn push(&mut self, entry: &Entry) {
        let chunk = match self.chunks.last_mut() {
            Some(chunk) if chunk.ends.len() < Self::CHUNK => chunk,
            _ => {
                if let Some(full) = self.chunks.last_mut() {
                    full.text.shrink_to_fit();
                }
                self.chunks.push(Chunk::default());
                self.chunks.last_mut().expect("just pushed")
            }
        };
        entry
            .serialize(&mut KeyedJson::new(&mut chunk.text, &mut self.keys))
            .expect("an entry encodes as JSON");
        let end = u32::try_from(chunk.text.len()).expect("a chunk's text stays under 4 GiB");
        chunk.ends.push(end);
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.chunks.last().map_or(0, |last| {
            (self.chunks.len() - 1) * Self::CHUNK + last.ends.len()
        })
    }

    /// Every entry, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        let mut json = Vec::new();
        self.chunks
            .iter()
            .flat_map(|chunk| {
                let starts = std::iter::once(0).chain(chunk.ends.iter().copied());
                starts
                    .zip(&chunk.ends)
                    .map(|(start, &end)| &chunk.text[start as usize..end as usize])
            })
            .map(move |text| {
                json.clear();
                self.keys.expand(text, &mut json);
                serde_json::from_slice(&json).expect("the log decodes the entries it encoded")
            })
    }
}

/// One write of a Pipedrive company, in the order it was made.
///
/// In a seed, each entry is a map with one key, its kind: `- person: {name: Ada}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A user joins the company.
    User(UserEntry),
    /// An organization is created.
    Organization(OrganizationEntry),
    /// A custom person field is created (`POST /personFields`).
    PersonField(FieldEntry),
    /// A person is created (`POST /persons`).
    Person(PersonEntry),
    /// A person is updated (`PUT /persons/{id}`, v2 `PATCH`); `id` is required.
    PersonUpdate(PersonEntry),
    /// Persons are deleted (`DELETE /persons?ids=`, `DELETE /persons/{id}`).
    PersonDelete(PersonDeleteEntry),
    /// A person is merged into another (`PUT /persons/{id}/merge`).
    PersonMerge(MergeEntry),
    /// A person's picture is set (`POST /persons/{id}/picture`).
    Picture(PictureEntry),
    /// A person's picture is removed (`DELETE /persons/{id}/picture`).
    PictureDelete(PictureDeleteEntry),
    /// A user starts following a person (`POST /persons/{id}/followers`).
    Follower(FollowerEntry),
    /// A user stops following a person (`DELETE /persons/{id}/followers/…`).
    FollowerDelete(FollowerEntry),
    /// A deal is created (`POST /deals`).
    Deal(DealEntry),
    /// A deal is updated (`PUT /deals/{id}`, v2 `PATCH`); `id` is required.
    DealUpdate(DealEntry),
    /// A deal is deleted (`DELETE /deals/{id}`).
    DealDelete(DeleteEntry),
    /// A person joins a deal's participants (`POST /deals/{id}/participants`).
    DealParticipant(ParticipantEntry),
    /// An activity is created (`POST /activities`).
    Activity(ActivityEntry),
    /// An activity is updated (`PUT /activities/{id}`, v2 `PATCH`); `id` is required.
    ActivityUpdate(ActivityEntry),
    /// An activity is deleted (`DELETE /activities/{id}`).
    ActivityDelete(DeleteEntry),
    /// A note is created (`POST /notes`).
    Note(NoteEntry),
    /// A note is updated (`PUT /notes/{id}`); `id` is required.
    NoteUpdate(NoteEntry),
    /// A note is deleted (`DELETE /notes/{id}`).
    NoteDelete(DeleteEntry),
    /// A file is attached to a person.
    File(FileEntry),
    /// A mail message is synced.
    MailMessage(MailEntry),
    /// A product joins the catalogue.
    Product(ProductEntry),
    /// A product is attached to a deal.
    DealProduct(DealProductEntry),
}

impl Entry {
    /// The entry's kind, as a seed spells it (for error paths).
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::User(_) => "user",
            Entry::Organization(_) => "organization",
            Entry::PersonField(_) => "person_field",
            Entry::Person(_) => "person",
            Entry::PersonUpdate(_) => "person_update",
            Entry::PersonDelete(_) => "person_delete",
            Entry::PersonMerge(_) => "person_merge",
            Entry::Picture(_) => "picture",
            Entry::PictureDelete(_) => "picture_delete",
            Entry::Follower(_) => "follower",
            Entry::FollowerDelete(_) => "follower_delete",
            Entry::Deal(_) => "deal",
            Entry::DealUpdate(_) => "deal_update",
            Entry::DealDelete(_) => "deal_delete",
            Entry::DealParticipant(_) => "deal_participant",
            Entry::Activity(_) => "activity",
            Entry::ActivityUpdate(_) => "activity_update",
            Entry::ActivityDelete(_) => "activity_delete",
            Entry::Note(_) => "note",
            Entry::NoteUpdate(_) => "note_update",
            Entry::NoteDelete(_) => "note_delete",
            Entry::File(_) => "file",
            Entry::MailMessage(_) => "mail_message",
            Entry::Product(_) => "product",
            Entry::DealProduct(_) => "deal_product",
        }
    }

    /// When the write happened (`None` for the entries without a time: users and
    /// organizations), for the company to fill in.
    pub(super) fn time_mut(&mut self) -> Option<&mut Option<Timestamp>> {
        Some(match self {
            Entry::User(_) | Entry::Organization(_) => return None,
            Entry::PersonField(entry) => &mut entry.time,
            Entry::Person(entry) | Entry::PersonUpdate(entry) => &mut entry.time,
            Entry::PersonDelete(entry) => &mut entry.time,
            Entry::PersonMerge(entry) => &mut entry.time,
            Entry::Picture(entry) => &mut entry.time,
            Entry::PictureDelete(entry) => &mut entry.time,
            Entry::Follower(entry) | Entry::FollowerDelete(entry) => &mut entry.time,
            Entry::Deal(entry) | Entry::DealUpdate(entry) => &mut entry.time,
            Entry::DealDelete(entry) | Entry::ActivityDelete(entry) | Entry::NoteDelete(entry) => {
                &mut entry.time
            }
            Entry::DealParticipant(entry) => &mut entry.time,
            Entry::Activity(entry) | Entry::ActivityUpdate(entry) => &mut entry.time,
            Entry::Note(entry) | Entry::NoteUpdate(entry) => &mut entry.time,
            Entry::File(entry) => &mut entry.time,
            Entry::MailMessage(entry) => &mut entry.time,
            Entry::Product(entry) => &mut entry.time,
            Entry::DealProduct(entry) => &mut entry.time,
        })
    }
}

/// `user`: a user of the company. User ids are unique across the mock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// User id; one above the highest user id of the mock when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Display name.
    pub name: String,
    /// Login e-mail.
    pub email: String,
    /// Admins see every person; `false` when left out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_admin: bool,
}

/// `organization`: an organization persons can belong to (Pipedrive's organization API is not
/// modelled).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    /// Organization id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Name.
    pub name: String,
    /// Owner (a user id); the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `person_field`: a custom person field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldEntry {
    /// Field id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// The 40-character lower-case hex key values are stored under; the one
    /// `POST /personFields` generates when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name.
    pub name: String,
    /// Pipedrive's `field_type` (`varchar`, `enum`, `set`, `monetary`, …).
    pub field_type: FieldType,
    /// The options sent: those of an `enum` or `set` field (required there); other types
    /// number and drop them, as `POST /personFields` does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionEntry>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

impl FieldEntry {
    /// A field called `name` of `field_type` with options labelled `labels` (their ids, the
    /// field's id, key and time left to the company).
    pub fn new<L: Into<String>>(
        name: impl Into<String>,
        field_type: FieldType,
        labels: impl IntoIterator<Item = L>,
    ) -> Self {
        Self {
            id: None,
            key: None,
            name: name.into(),
            field_type,
            options: labels
                .into_iter()
                .map(|label| OptionEntry {
                    id: None,
                    label: label.into(),
                })
                .collect(),
            time: None,
        }
    }
}

/// One option of an enum or set field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionEntry {
    /// Option id, unique in the company; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Display label.
    pub label: String,
}

/// `person` and `person_update`: the fields written; left-out fields are not touched.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEntry {
    /// Person id: the next one when a `person` leaves it out; required by `person_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Full name (required to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Owner (a user id); the acting user when a `person` leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Organization; `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub org_id: Option<Option<Id>>,
    /// E-mail entries (replacing the existing ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<ContactEntry>>,
    /// Phone entries (replacing the existing ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<ContactEntry>>,
    /// Visibility: 1, 3, 5 or 7 (3 when a `person` leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<u8>,
    /// Label ids (options of the built-in `label` field: 1 to 4 in a new company).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_ids: Option<Vec<Id>>,
    /// Custom field values by field key, in API v2's form; `null` clears one.
    #[serde(default, skip_serializing_if = "CustomValues::is_empty")]
    pub custom_fields: CustomValues,
    /// The creation time given to `POST /persons` (its time when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<Timestamp>,
    /// Who wrote it (a user id); the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<Id>,
    /// When it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// Custom field values, by field key, in the order written: a map in a seed, a short list in
/// memory (a person carries a few).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomValues(pub Vec<(String, Option<Value>)>);

impl CustomValues {
    /// Whether no value is written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for CustomValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for CustomValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values;

        impl<'de> Visitor<'de> for Values {
            type Value = CustomValues;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a map of custom field keys to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CustomValues, A::Error> {
                let mut values: Vec<(String, Option<Value>)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Option<Value>>()? {
                    if values.iter().any(|(known, _)| *known == key) {
                        return Err(serde::de::Error::custom(format!(
                            "custom field `{key}` is written twice"
                        )));
                    }
                    values.push((key, value));
                }
                Ok(CustomValues(values))
            }
        }

        deserializer.deserialize_map(Values)
    }
}

/// `person_delete`: persons soft-deleted together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDeleteEntry {
    /// The persons (each active, each once).
    pub ids: Vec<Id>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `person_merge`: person `id` merged into `merge_with_id`, which survives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeEntry {
    /// The person merged away.
    pub id: Id,
    /// The survivor.
    pub merge_with_id: Id,
    /// Who merged them; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<Id>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `picture`: a person's profile picture (its metadata: the mock keeps no pixels).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureEntry {
    /// The person.
    pub person_id: Id,
    /// Picture id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Who uploaded it; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by_user_id: Option<Id>,
    /// Size of the uploaded file in bytes (0 when left out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub file_size: u64,
    /// When it was uploaded (the person's `update_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `picture_delete`: a person's picture removed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureDeleteEntry {
    /// The person.
    pub person_id: Id,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `follower` and `follower_delete`: user `user_id` starts or stops following a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowerEntry {
    /// The person followed.
    pub person_id: Id,
    /// The follower.
    pub user_id: Id,
    /// Who made the change; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<Id>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `deal` and `deal_update`: the fields written; left-out fields are not touched.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealEntry {
    /// Deal id: the next one when a `deal` leaves it out; required by `deal_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Title (required to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Value (0 when a `deal` leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Currency (`EUR` when a `deal` leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Owner; the company's first user when a `deal` leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Primary contact (an active person); `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub person_id: Option<Option<Id>>,
    /// Organization; `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub org_id: Option<Option<Id>>,
    /// `open` (when a `deal` leaves it out), `won` or `lost`; a change of status stamps
    /// `won_time`/`lost_time` with the write's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DealStatus>,
    /// Lost reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    /// Visibility (3 when a `deal` leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<u8>,
    /// When it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `deal_delete`, `activity_delete`, `note_delete`: a record soft-deleted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteEntry {
    /// The record (live).
    pub id: Id,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `deal_participant`: a person joins a live deal's participants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantEntry {
    /// The deal.
    pub deal_id: Id,
    /// The person (active, not yet a participant).
    pub person_id: Id,
    /// The participant relation id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `activity` and `activity_update`: the fields written; left-out fields are not touched.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityEntry {
    /// Activity id: the next one when an `activity` leaves it out; required by
    /// `activity_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Subject; the capitalised type when an `activity` leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Type key (`call` when an `activity` leaves it out, `meeting`, `task`, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Assigned user; the company's first user when an `activity` leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Main person (active); `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub person_id: Option<Option<Id>>,
    /// Deal (live); `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub deal_id: Option<Option<Id>>,
    /// Organization; `null` unlinks it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub org_id: Option<Option<Id>>,
    /// Participants (active persons), replacing the existing ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<Vec<ActivityParticipant>>,
    /// Due date `YYYY-MM-DD`; the day of the write when an `activity` leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Due time `HH:MM` (`HH:MM:SS` is cut to it; empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    /// Duration `HH:MM` (as `due_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Done flag; marking it done stamps `marked_as_done_time` with the write's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// One participant of an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityParticipant {
    /// The person.
    pub person_id: Id,
    /// Whether it is the primary participant.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
}

/// `note` and `note_update`: the fields written; left-out fields are not touched.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteEntry {
    /// Note id: the next one when a `note` leaves it out; required by `note_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// HTML content (required to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Author; the company's first user when a `note` leaves it out (only a `note` has
    /// one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// Person it is attached to (active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Id>,
    /// Deal it is attached to (live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<Id>,
    /// Organization it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    /// When it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `file`: a file attached to a person (and maybe a deal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// File id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Uploader; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// Person (active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Id>,
    /// Deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<Id>,
    /// File name.
    pub file_name: String,
    /// Type; the name's lower-cased extension when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    /// Size in bytes (0 when left out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub file_size: u64,
    /// When it was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `mail_message`: a synced mail message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailEntry {
    /// Message id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Mailbox owner; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// Thread id; a new thread when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_thread_id: Option<Id>,
    /// Sender address.
    pub from: String,
    /// Recipient addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Body snippet; the subject's first 100 characters when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Whether the user sent it (`false`: received).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sent_flag: bool,
    /// When it was sent or received; the entry's time when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_time: Option<Timestamp>,
    /// The persons it is linked to (active).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub person_ids: Vec<Id>,
    /// When it was synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `product`: a product of the catalogue (Pipedrive's products API is not modelled).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductEntry {
    /// Product id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Name.
    pub name: String,
    /// Product code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Unit (`pcs`, `h`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Owner; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `deal_product`: a product attached to a live deal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealProductEntry {
    /// Attachment id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// The deal.
    pub deal_id: Id,
    /// The product.
    pub product_id: Id,
    /// Price per unit.
    pub item_price: f64,
    /// Quantity (1 when left out).
    #[serde(default = "one")]
    pub quantity: u32,
    /// When it was attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// A mail message to record with [`Pipedrive::record_mail`](super::Pipedrive::record_mail),
/// as the mail sync would.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMail {
    /// The mailbox owner (a user id).
    pub user_id: Id,
    /// Sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Whether the user sent it (outgoing) rather than received it.
    pub sent: bool,
    /// When it was sent or received (Unix seconds); `None` for now.
    pub message_time: Option<i64>,
    /// The persons it is linked to.
    pub person_ids: Vec<Id>,
}

impl From<NewMail> for Entry {
    fn from(mail: NewMail) -> Self {
        Entry::MailMessage(MailEntry {
            id: None,
            user_id: Some(mail.user_id),
            mail_thread_id: None,
            from: mail.from,
            to: mail.to,
            subject: mail.subject,
            snippet: None,
            sent_flag: mail.sent,
            message_time: mail.message_time.map(Timestamp::from_unix_seconds),
            person_ids: mail.person_ids,
            time: None,
        })
    }
}

/// Reads a field that may be `null` as `Some(None)`, so that a left-out field (`None`) and an
/// explicit `null` differ.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_zero(number: &u64) -> bool {
    *number == 0
}

fn one() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn person(id: Id, custom: Vec<(String, Option<Value>)>) -> Entry {
        Entry::Person(PersonEntry {
            id: Some(id),
            name: Some(format!("Ada \"{id}\" \u{1} Lovelace ü")),
            org_id: Some(None),
            emails: Some(vec![ContactEntry {
                value: format!("ada{id}@example.com"),
                primary: true,
                label: "work".into(),
            }]),
            custom_fields: CustomValues(custom),
            time: Some(Timestamp::from_unix_seconds(1_700_000_000)),
            ..PersonEntry::default()
        })
    }

    /// Entries read back as written, whatever their keys: the fields' names, custom field
    /// keys with quotes, escapes and non-ASCII letters, keys of JSON values nested in custom
    /// values, past the one-byte numbers and past the most keys a log numbers.
    #[test]
    fn reads_back_every_entry_with_keys_named_once() {
        let mut log = Log::default();
        let mut written = Vec::new();
        for id in 1..=(Keys::MOST as u64 + 200) {
            let custom = vec![
                ("7e1".repeat(13) + "a", Some(json!("Gold"))),
                (format!("k\"{}\u{7}é", id % 50), Some(json!({"nested": id}))),
                (
                    format!("own{id}"),
                    Some(json!({ format!("inner{id}"): [1, {"x": null}] })),
                ),
                ("cleared".into(), None),
            ];
            let entry = person(id, custom);
            log.push(&entry);
            written.push(entry);
        }
        log.push(&Entry::DealDelete(DeleteEntry { id: 9, time: None }));
        written.push(Entry::DealDelete(DeleteEntry { id: 9, time: None }));
        assert_eq!(log.keys.texts.len(), Keys::MOST);
        assert_eq!(log.len(), written.len());
        assert!(log.iter().eq(written));
    }

    /// A key's number is its quotes, name and colon in the text: an entry keeps its values and
    /// punctuation, one byte per key.
    #[test]
    fn a_known_key_takes_one_byte() {
        let mut log = Log::default();
        let entry = Entry::DealDelete(DeleteEntry { id: 9, time: None });
        log.push(&entry);
        log.push(&entry);
        let chunk = &log.chunks[0];
        assert_eq!(chunk.ends, [7, 14]);
        assert_eq!(&chunk.text[7..], b"{\x01{\x029}}");
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"deal_delete":{"id":9}}"#
        );
    }
}
