//! The writes of a company's log as a seed spells them: one single-key map per write
//! (`- person: {name: Ada}`), fields named as Pipedrive names them, everything a
//! hand-written seed may leave out optional. Unknown fields are errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::super::fields::FieldType;
use super::super::model::{DealStatus, Id};
use super::timestamp::SeedTime;

/// One write of a company's log, named by its single key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Write {
    /// A user joins the company.
    User(UserEntry),
    /// An organization is created.
    Organization(OrganizationEntry),
    /// A custom person field is created (`POST /personFields`).
    PersonField(FieldEntry),
    /// A person is created (`POST /persons`).
    Person(PersonEntry),
    /// A person is updated (`PUT /persons/{id}`, `PATCH` in v2); `id` is required.
    PersonUpdate(PersonEntry),
    /// Persons are deleted (`DELETE /persons?ids=`).
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
    /// A deal as it stands after a write: a new id creates it, a known one rewrites it.
    Deal(DealEntry),
    /// An activity as it stands after a write (like `deal`).
    Activity(ActivityEntry),
    /// A note as it stands after a write (like `deal`).
    Note(NoteEntry),
    /// A file is attached.
    File(FileEntry),
    /// A mail message is synced.
    MailMessage(MailEntry),
    /// A product joins the catalogue.
    Product(ProductEntry),
    /// A product is attached to a deal.
    DealProduct(DealProductEntry),
}

impl Write {
    /// The write's key, as the seed spells it (for error paths).
    pub fn key(&self) -> &'static str {
        match self {
            Write::User(_) => "user",
            Write::Organization(_) => "organization",
            Write::PersonField(_) => "person_field",
            Write::Person(_) => "person",
            Write::PersonUpdate(_) => "person_update",
            Write::PersonDelete(_) => "person_delete",
            Write::PersonMerge(_) => "person_merge",
            Write::Picture(_) => "picture",
            Write::PictureDelete(_) => "picture_delete",
            Write::Follower(_) => "follower",
            Write::FollowerDelete(_) => "follower_delete",
            Write::Deal(_) => "deal",
            Write::Activity(_) => "activity",
            Write::Note(_) => "note",
            Write::File(_) => "file",
            Write::MailMessage(_) => "mail_message",
            Write::Product(_) => "product",
            Write::DealProduct(_) => "deal_product",
        }
    }
}

/// `user`: a user of the company. User ids are unique across the mock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// User id; the next free one when left out.
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

/// `organization`: an organization persons can belong to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    /// Organization id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Name.
    pub name: String,
    /// Owner (a user id); the acting user when left out.
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
    /// The 40-character lower-case hex key values are stored under; generated as
    /// `POST /personFields` generates it when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name.
    pub name: String,
    /// Pipedrive's `field_type` (`varchar`, `enum`, `set`, `monetary`, …).
    pub field_type: FieldType,
    /// Options of an `enum` or `set` field (required there, refused elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionEntry>,
    /// Creation time; the write's time when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
}

/// One option of an enum or set field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub emails: Option<Vec<ContactEntrySeed>>,
    /// Phone entries (replacing the existing ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<ContactEntrySeed>>,
    /// Visibility: 1, 3, 5 or 7 (3 when a `person` leaves it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<u8>,
    /// Label ids (options of the built-in `label` field: 1 to 4 in a new company).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_ids: Option<Vec<Id>>,
    /// Custom field values by field key, in API v2's form; `null` clears one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, Value>,
    /// The creation time the API was given (`add_time` of `POST /persons`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
    /// Who wrote it (a user id); the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<Id>,
    /// When it was written; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
}

/// One e-mail address or phone number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntrySeed {
    /// The address or number.
    pub value: String,
    /// Whether it is the primary one (the first entry is, when none is marked).
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// `work`, `home`, `mobile`, `other`; none when left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// `person_delete`: persons soft-deleted together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDeleteEntry {
    /// The persons (each active).
    pub ids: Vec<Id>,
    /// When; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
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
    /// When; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
}

/// `picture`: a person's profile picture (only its metadata; the mock keeps no pixels).
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
    /// Upload time; the write's time when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
    /// When it was set (the person's `update_time`); the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
}

/// `picture_delete`: a person's picture removed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PictureDeleteEntry {
    /// The person.
    pub person_id: Id,
    /// When; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
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
    /// When; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<SeedTime>,
}

/// `deal`: the whole deal after a write. A later `deal` with the same id rewrites it
/// (this is how an export records updates, status changes and deletion).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealEntry {
    /// Deal id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Title.
    pub title: String,
    /// Value (0 when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Currency (`EUR` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `open` (when left out), `won` or `lost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DealStatus>,
    /// Owner; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Primary contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Id>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    /// Participants (`POST /deals/{id}/participants`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<DealParticipantEntry>,
    /// Lost reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
    /// Visibility (3 when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<u8>,
    /// Creation time; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
    /// Last write time; `add_time` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<SeedTime>,
    /// When it was won; `update_time` when a won deal leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub won_time: Option<SeedTime>,
    /// When it was lost; `update_time` when a lost deal leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_time: Option<SeedTime>,
    /// When it was deleted; live when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<SeedTime>,
}

/// One participant of a deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealParticipantEntry {
    /// The person.
    pub person_id: Id,
    /// The participant relation id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
}

/// `activity`: the whole activity after a write (like `deal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityEntry {
    /// Activity id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Subject; the capitalised type when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Type key (`call` when left out, `meeting`, `task`, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Assigned user; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Id>,
    /// Main person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Id>,
    /// Deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<Id>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    /// Participants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<ActivityParticipantEntry>,
    /// Due date `YYYY-MM-DD`; the day of `add_time` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Due time `HH:MM`; none when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    /// Duration `HH:MM`; none when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Done flag (`false` when left out).
    #[serde(default, skip_serializing_if = "is_false")]
    pub done: bool,
    /// When it was marked done; `update_time` when a done activity leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_as_done_time: Option<SeedTime>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Creation time; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
    /// Last write time; `add_time` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<SeedTime>,
    /// When it was deleted; live when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<SeedTime>,
}

/// One participant of an activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityParticipantEntry {
    /// The person.
    pub person_id: Id,
    /// Whether it is the primary participant.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
}

/// `note`: the whole note after a write (like `deal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteEntry {
    /// Note id; the next one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// HTML content.
    pub content: String,
    /// Author; the company's first user when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// Person it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Id>,
    /// Deal it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<Id>,
    /// Organization it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    /// Creation time; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
    /// Last write time; `add_time` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<SeedTime>,
    /// When it was deleted; live when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_time: Option<SeedTime>,
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
    /// Upload time; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
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
    /// When it was sent or received; `add_time` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_time: Option<SeedTime>,
    /// The persons it is linked to (active).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub person_ids: Vec<Id>,
    /// When it was synced; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
}

/// `product`: a product of the catalogue.
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
    /// Creation time; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
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
    /// When it was attached; the load's "now" when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_time: Option<SeedTime>,
}

/// Reads a field that may be `null` as `Some(None)`, so that a left-out field (`None`)
/// and an explicit `null` differ.
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
