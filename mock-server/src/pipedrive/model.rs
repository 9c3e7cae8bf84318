//! The records one Pipedrive company holds: users, organizations, persons (with the counters
//! they carry, kept by [`super::counters`]), deals, activities, notes, files, mail messages
//! and followers. Times are Unix seconds; rendering formats them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rendered::{Kept, OrgJson, Rendered};
use super::table::SortedVec;

/// Every Pipedrive id: company-scoped, auto-incremented, starting at 1.
pub type Id = u64;

/// A user of the company (an owner, a follower, an API token's holder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// User id (unique across the mock, as Pipedrive's are).
    pub id: Id,
    /// Display name.
    pub name: String,
    /// Login e-mail.
    pub email: String,
    /// Admins see every person whatever its `visible_to`.
    pub is_admin: bool,
}

/// An organization persons can belong to.
#[derive(Clone, Debug, PartialEq)]
pub struct Organization {
    /// Organization id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Owner user id.
    pub owner_id: Id,
    /// Postal address, if any.
    pub address: Option<String>,
    /// Live persons whose `org_id` is this organization (kept incrementally).
    pub people_count: u64,
    /// How a v1 person embeds it, once rendered (see [`super::rendered`]).
    pub rendered: Kept<OrgJson>,
}

/// One e-mail address or phone number of a person (in a log entry, `{value, primary,
/// label}` with the last two optional).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntry {
    /// The address or number.
    pub value: String,
    /// Whether it is the primary one (the first entry is, when none is marked).
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// `work`, `home`, `mobile`, `other`, or empty when none was given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

/// A person: what was written plus the counters derived from related records.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Person id.
    pub id: Id,
    /// Full name.
    pub name: String,
    /// Owner user id.
    pub owner_id: Id,
    /// Organization id.
    pub org_id: Option<Id>,
    /// E-mail addresses.
    pub emails: Vec<ContactEntry>,
    /// Phone numbers.
    pub phones: Vec<ContactEntry>,
    /// Visibility: 1, 3, 5 or 7.
    pub visible_to: u8,
    /// Label ids (options of the `label` field).
    pub label_ids: Vec<Id>,
    /// Custom field values in their canonical (API v2) form.
    pub custom: CustomSlots,
    /// Creation time.
    pub add_time: i64,
    /// Last write time.
    pub update_time: i64,
    /// Soft-delete time; a deleted person keeps its id but leaves lists.
    pub delete_time: Option<i64>,
    /// Aggregates over related records.
    pub counters: Counters,
    /// The profile picture, if one was uploaded.
    pub picture: Option<Picture>,
    /// The lists' kept renderings (see [`super::rendered`]).
    pub rendered: Rendered,
}

impl Person {
    /// Whether the person has not been deleted (or merged away).
    pub fn is_active(&self) -> bool {
        self.delete_time.is_none()
    }

    /// `first_name`: the first word of the name.
    pub fn first_name(&self) -> Option<&str> {
        self.name.split_whitespace().next()
    }

    /// `last_name`: the rest of the name after the first word, `None` for one-word names.
    pub fn last_name(&self) -> Option<String> {
        let mut words = self.name.split_whitespace();
        words.next()?;
        let rest: Vec<&str> = words.collect();
        (!rest.is_empty()).then(|| rest.join(" "))
    }

    /// `first_char`: the lower-cased first character of the name.
    pub fn first_char(&self) -> String {
        self.name
            .trim_start()
            .chars()
            .next()
            .map(|c| c.to_lowercase().collect())
            .unwrap_or_default()
    }

    /// The value of the primary e-mail entry (or the first one).
    pub fn primary_email(&self) -> Option<&str> {
        primary(&self.emails)
    }
}

/// A person's custom field values, each under its field's slot: the field's position in the
/// company's fields (fields are never removed, so a slot keeps naming the same field), in
/// slot order. Slots rather than the fields' 40-character keys, and a vector of exactly its
/// length rather than a map: a person holds a few values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomSlots(Vec<(u32, Value)>);

impl CustomSlots {
    /// The value in `slot`.
    pub fn get(&self, slot: usize) -> Option<&Value> {
        let at = self.find(slot).ok()?;
        Some(&self.0[at].1)
    }

    /// Puts `value` in `slot` (`None` empties it).
    pub fn set(&mut self, slot: usize, value: Option<Value>) {
        match (self.find(slot), value) {
            (Ok(at), Some(value)) => self.0[at].1 = value,
            (Ok(at), None) => {
                self.0.remove(at);
                self.0.shrink_to_fit();
            }
            (Err(at), Some(value)) => {
                let slot = u32::try_from(slot).expect("fewer than 2^32 custom fields");
                self.0.reserve_exact(1);
                self.0.insert(at, (slot, value));
            }
            (Err(_), None) => {}
        }
    }

    /// Every `(slot, value)`, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Value)> {
        self.0.iter().map(|(slot, value)| (*slot as usize, value))
    }

    fn find(&self, slot: usize) -> Result<usize, usize> {
        self.0
            .binary_search_by_key(&slot, |(held, _)| *held as usize)
    }
}

/// The value of the primary entry of `entries`, else of the first one.
pub fn primary(entries: &[ContactEntry]) -> Option<&str> {
    entries
        .iter()
        .find(|entry| entry.primary)
        .or_else(|| entries.first())
        .map(|entry| entry.value.as_str())
}

/// Counts of deals by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Open deals.
    pub open: u64,
    /// Won deals.
    pub won: u64,
    /// Lost deals.
    pub lost: u64,
}

/// Every aggregate Pipedrive computes for a person.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counters {
    /// Deals whose primary contact is the person.
    pub deals: StatusCounts,
    /// Deals where the person is primary contact or participant.
    pub related_deals: StatusCounts,
    /// Deals where the person is a participant.
    pub participant_deals: StatusCounts,
    /// Undone activities as `(due_date, due_time, id)`: the first is the next activity.
    pub undone_activities: SortedVec<(Box<str>, Box<str>, Id)>,
    /// Done activities as `(due_date, id)`: the last is the last activity.
    pub done_activities: SortedVec<(Box<str>, Id)>,
    /// Notes attached.
    pub notes: u64,
    /// Files attached.
    pub files: u64,
    /// Followers.
    pub followers: u64,
    /// Received mail as `(message_time, id)`.
    pub incoming_mail: SortedVec<(i64, Id)>,
    /// Sent mail as `(message_time, id)`.
    pub outgoing_mail: SortedVec<(i64, Id)>,
}

/// A deal's status (`open`, `won`, `lost` in log entries, as in the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DealStatus {
    /// In progress.
    Open,
    /// Closed as won.
    Won,
    /// Closed as lost.
    Lost,
}

impl DealStatus {
    /// Pipedrive's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }

    /// Parses `open`, `won` or `lost`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "open" => Some(DealStatus::Open),
            "won" => Some(DealStatus::Won),
            "lost" => Some(DealStatus::Lost),
            _ => None,
        }
    }
}

/// A deal.
#[derive(Clone, Debug, PartialEq)]
pub struct Deal {
    /// Deal id.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Value.
    pub value: f64,
    /// Currency code.
    pub currency: String,
    /// Status.
    pub status: DealStatus,
    /// Owner user id.
    pub owner_id: Id,
    /// Primary contact.
    pub person_id: Option<Id>,
    /// Organization.
    pub org_id: Option<Id>,
    /// Participants: person id → participant relation id.
    pub participants: BTreeMap<Id, Id>,
    /// Lost reason.
    pub lost_reason: Option<String>,
    /// Visibility.
    pub visible_to: u8,
    /// Creation time.
    pub add_time: i64,
    /// Last write time.
    pub update_time: i64,
    /// When it was won.
    pub won_time: Option<i64>,
    /// When it was lost.
    pub lost_time: Option<i64>,
    /// When it was deleted.
    pub delete_time: Option<i64>,
}

impl Deal {
    /// When it was closed (won or lost).
    pub fn close_time(&self) -> Option<i64> {
        self.won_time.or(self.lost_time)
    }

    /// Every person linked to the deal (primary contact and participants).
    pub fn linked_persons(&self) -> BTreeSet<Id> {
        self.person_id
            .into_iter()
            .chain(self.participants.keys().copied())
            .collect()
    }
}

/// An activity (call, meeting, task…). Its texts are boxed strings, of exactly their length
/// and 8 bytes smaller than a `String` each (an activity is about a third of a company's
/// records).
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Activity id.
    pub id: Id,
    /// Subject.
    pub subject: Box<str>,
    /// Type key (`call`, `meeting`, `task`…).
    pub kind: Box<str>,
    /// Assigned user.
    pub owner_id: Id,
    /// Main person.
    pub person_id: Option<Id>,
    /// Deal.
    pub deal_id: Option<Id>,
    /// Organization.
    pub org_id: Option<Id>,
    /// Participants and whether each is the primary one.
    pub participants: Vec<(Id, bool)>,
    /// Due date `YYYY-MM-DD`.
    pub due_date: Box<str>,
    /// Due time `HH:MM`, empty when none.
    pub due_time: Box<str>,
    /// Duration `HH:MM`, empty when none.
    pub duration: Box<str>,
    /// Done flag.
    pub done: bool,
    /// When it was marked done.
    pub marked_as_done_time: Option<i64>,
    /// Note.
    pub note: Option<Box<str>>,
    /// Creation time.
    pub add_time: i64,
    /// Last write time.
    pub update_time: i64,
    /// When it was deleted.
    pub delete_time: Option<i64>,
}

impl Activity {
    /// Every person the activity counts for (main person and participants).
    pub fn linked_persons(&self) -> BTreeSet<Id> {
        self.person_id
            .into_iter()
            .chain(self.participants.iter().map(|(person, _)| *person))
            .collect()
    }
}

/// A note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Note id.
    pub id: Id,
    /// HTML content.
    pub content: String,
    /// Author.
    pub user_id: Id,
    /// Person it is attached to.
    pub person_id: Option<Id>,
    /// Deal it is attached to.
    pub deal_id: Option<Id>,
    /// Organization it is attached to.
    pub org_id: Option<Id>,
    /// Creation time.
    pub add_time: i64,
    /// Last write time.
    pub update_time: i64,
    /// When it was deleted.
    pub delete_time: Option<i64>,
}

/// A file attached to a person (Pipedrive's upload endpoint is not modelled: seed files
/// through [`super::Pipedrive::attach_file`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// File id.
    pub id: Id,
    /// Uploader.
    pub user_id: Id,
    /// Person.
    pub person_id: Option<Id>,
    /// Deal.
    pub deal_id: Option<Id>,
    /// File name.
    pub file_name: String,
    /// Extension-like type (`pdf`, `png`…).
    pub file_type: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Upload time.
    pub add_time: i64,
}

/// A synced mail message (Pipedrive has no API to create one: seed them through
/// [`super::Pipedrive::record_mail`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailMessage {
    /// Message id.
    pub id: Id,
    /// The mailbox owner.
    pub user_id: Id,
    /// Thread id.
    pub thread_id: Id,
    /// Sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Body snippet.
    pub snippet: String,
    /// Whether the user sent it (outgoing) rather than received it.
    pub sent: bool,
    /// When it was sent or received.
    pub message_time: i64,
    /// Persons linked to the message.
    pub person_ids: BTreeSet<Id>,
    /// When it was synced.
    pub add_time: i64,
}

/// One follower of a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Follower {
    /// The relation id (what v1 deletes by).
    pub id: Id,
    /// The following user (what v2 deletes by).
    pub user_id: Id,
    /// When the user started following.
    pub add_time: i64,
}

/// One entry of a person's followers changelog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerChange {
    /// Added (true) or removed.
    pub added: bool,
    /// Who made the change.
    pub actor_user_id: Id,
    /// The follower concerned.
    pub follower_user_id: Id,
    /// When.
    pub time: i64,
}

/// A person's profile picture (stored as its metadata: the mock keeps no pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Picture {
    /// Picture id.
    pub id: Id,
    /// Who uploaded it.
    pub added_by_user_id: Id,
    /// Size of the uploaded file in bytes.
    pub file_size: u64,
    /// Upload time.
    pub add_time: i64,
}

/// A product of the company's catalogue (only what a person's products list shows).
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// Product id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Product code, if any.
    pub code: Option<String>,
    /// Unit (`pcs`, `h`…), if any.
    pub unit: Option<String>,
    /// Owner user id.
    pub owner_id: Id,
    /// Creation time.
    pub add_time: i64,
}

/// A product attached to a deal.
#[derive(Clone, Debug, PartialEq)]
pub struct DealProduct {
    /// Attachment id.
    pub id: Id,
    /// The deal.
    pub deal_id: Id,
    /// The product.
    pub product_id: Id,
    /// Price per unit.
    pub item_price: f64,
    /// Quantity.
    pub quantity: u32,
    /// When it was attached.
    pub add_time: i64,
}

/// One change of one field of a person, as its changelog and flow show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Change id (company-unique, increasing).
    pub id: Id,
    /// The field key (`name`, `email`, a custom field's hash…).
    pub field_key: String,
    /// The value before, as text.
    pub old_value: Option<String>,
    /// The value after, as text.
    pub new_value: Option<String>,
    /// Who made it.
    pub actor_user_id: Id,
    /// When.
    pub time: i64,
}
