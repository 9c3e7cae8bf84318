//! API v2 bodies: RFC 3339 times, plain ids, `visible_to` as an int, `custom_fields` as an
//! object, counters only when named in `include_fields`.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::PipedriveError;
use super::fields::FieldOption;
use super::model::{Activity, ContactEntry, Deal, Follower, FollowerChange, Id, Person, Picture};
use super::render::{
    Cursored, DataBody, PictureUrls, cc_email, record_response, to_json, write_json,
};
use super::tenant::Company;
use super::time;
use crate::http::ApiResponse;

/// The optional fields `include_fields` may name.
pub const INCLUDE_FIELDS: [&str; 24] = [
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "marketing_status",
    "doi_status",
    "smart_bcc_email",
];

/// How a v2 person is rendered: extra fields, custom field subset, labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonShape {
    /// Names from `include_fields`.
    pub include: BTreeSet<String>,
    /// Keys from `custom_fields` (all when `None`).
    pub custom_fields: Option<BTreeSet<String>>,
    /// `include_option_labels`.
    pub option_labels: bool,
    /// `include_labels`.
    pub labels: bool,
}

/// `{success, data, additional_data: {next_cursor}}`.
#[derive(Serialize)]
pub struct CursorBody<T> {
    /// Always true.
    pub success: bool,
    /// The page.
    pub data: T,
    /// The next cursor.
    pub additional_data: Cursored,
}

/// One contact entry.
#[derive(Serialize)]
pub struct EntryJson<'a> {
    value: &'a str,
    primary: bool,
    label: &'a str,
}

fn entries(list: &[ContactEntry]) -> Vec<EntryJson<'_>> {
    list.iter()
        .map(|entry| EntryJson {
            value: &entry.value,
            primary: entry.primary,
            label: &entry.label,
        })
        .collect()
}

/// A v2 person.
#[derive(Serialize)]
pub struct PersonJson<'a> {
    id: Id,
    name: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<String>,
    owner_id: Id,
    org_id: Option<Id>,
    add_time: String,
    update_time: String,
    emails: Vec<EntryJson<'a>>,
    phones: Vec<EntryJson<'a>>,
    is_deleted: bool,
    visible_to: u8,
    label_ids: &'a [Id],
    picture_id: Option<Id>,
    custom_fields: CustomFields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<Vec<FieldOption>>,
    #[serde(flatten)]
    included: Map<String, Value>,
}

/// A v2 person's `custom_fields`, in key order.
struct CustomFields<'a>(Vec<(&'a str, Cow<'a, Value>)>);

impl Serialize for CustomFields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

impl<'a> PersonJson<'a> {
    /// Appends `person` as v2 renders it in `shape` to `out`: in the default shape from its
    /// kept rendering (made now if none is kept; see [`super::rendered`]), else afresh.
    pub fn write(company: &Company, person: &Person, shape: &PersonShape, out: &mut Vec<u8>) {
        if *shape != PersonShape::default() {
            return write_json(&PersonJson::of(company, person, shape), out);
        }
        person.rendered.write_v2(out, || {
            company.persons.note_kept();
            to_json(&PersonJson::of(company, person, shape))
        });
    }

    /// `person` as v2 renders it in `shape`.
    pub fn of(company: &'a Company, person: &'a Person, shape: &PersonShape) -> Self {
        let mut custom_fields: Vec<(&str, Cow<'_, Value>)> = company
            .fields
            .iter()
            .enumerate()
            .filter(|(_, field)| {
                shape
                    .custom_fields
                    .as_ref()
                    .is_none_or(|keys| keys.contains(&field.key))
            })
            .map(|(slot, field)| {
                (
                    field.key.as_str(),
                    field.render_v2(person.custom.get(slot), shape.option_labels),
                )
            })
            .collect();
        custom_fields.sort_by(|a, b| a.0.cmp(b.0));
        let labels = shape.labels.then(|| {
            company
                .labels
                .iter()
                .filter(|label| person.label_ids.contains(&label.id))
                .cloned()
                .collect()
        });
        Self {
            id: person.id,
            name: &person.name,
            first_name: person.first_name(),
            last_name: person.last_name(),
            owner_id: person.owner_id,
            org_id: person.org_id,
            add_time: time::v2(person.add_time),
            update_time: time::v2(person.update_time),
            emails: entries(&person.emails),
            phones: entries(&person.phones),
            is_deleted: !person.is_active(),
            visible_to: person.visible_to,
            label_ids: &person.label_ids,
            picture_id: person.picture.map(|picture| picture.id),
            custom_fields: CustomFields(custom_fields),
            labels,
            included: shape
                .include
                .iter()
                .filter_map(|name| {
                    included(company, person, name).map(|value| (name.clone(), value))
                })
                .collect(),
        }
    }
}

/// The value of one `include_fields` name (`None` for the marketing app's fields, which the
/// mock's companies do not have).
fn included(company: &Company, person: &Person, name: &str) -> Option<Value> {
    let counters = &person.counters;
    let count = |value: u64| Some(Value::from(value));
    match name {
        "next_activity_id" => Some(
            counters
                .next_activity()
                .map_or(Value::Null, |(_, _, id)| Value::from(*id)),
        ),
        "last_activity_id" => Some(
            counters
                .last_activity()
                .map_or(Value::Null, |(_, id)| Value::from(*id)),
        ),
        "open_deals_count" => count(counters.deals.open),
        "related_open_deals_count" => count(counters.related_deals.open),
        "closed_deals_count" => count(counters.deals.closed()),
        "related_closed_deals_count" => count(counters.related_deals.closed()),
        "participant_open_deals_count" => count(counters.participant_deals.open),
        "participant_closed_deals_count" => count(counters.participant_deals.closed()),
        "email_messages_count" => count(counters.email_messages()),
        "activities_count" => count(counters.activities()),
        "done_activities_count" => count(counters.done()),
        "undone_activities_count" => count(counters.undone()),
        "files_count" => count(counters.files),
        "notes_count" => count(counters.notes),
        "followers_count" => count(counters.followers),
        "won_deals_count" => count(counters.deals.won),
        "related_won_deals_count" => count(counters.related_deals.won),
        "lost_deals_count" => count(counters.deals.lost),
        "related_lost_deals_count" => count(counters.related_deals.lost),
        "last_incoming_mail_time" => Some(
            counters
                .last_incoming_mail_time()
                .map_or(Value::Null, |at| Value::from(time::v2(at))),
        ),
        "last_outgoing_mail_time" => Some(
            counters
                .last_outgoing_mail_time()
                .map_or(Value::Null, |at| Value::from(time::v2(at))),
        ),
        "smart_bcc_email" => Some(Value::from(cc_email(company, person))),
        _ => None,
    }
}

/// A v2 follower.
#[derive(Serialize)]
pub struct FollowerJson {
    user_id: Id,
    add_time: String,
}

impl FollowerJson {
    /// `follower` as v2 renders it.
    pub fn of(follower: &Follower) -> Self {
        Self {
            user_id: follower.user_id,
            add_time: time::v2(follower.add_time),
        }
    }
}

/// A v2 picture (`GET /persons/{id}/picture`).
#[derive(Serialize)]
pub struct PictureJson {
    id: Id,
    item_type: &'static str,
    item_id: Id,
    added_by_user_id: Id,
    active_flag: bool,
    file_size: u64,
    pictures: PictureUrls,
}

impl PictureJson {
    /// `picture` of person `person` as v2 renders it.
    pub fn of(company: &Company, person: Id, picture: &Picture) -> Self {
        Self {
            id: picture.id,
            item_type: "person",
            item_id: person,
            added_by_user_id: picture.added_by_user_id,
            active_flag: true,
            file_size: picture.file_size,
            pictures: PictureUrls::of(company, person, picture),
        }
    }
}

/// `{user_id}`.
#[derive(Serialize)]
pub struct UserIdJson {
    /// The user.
    pub user_id: Id,
}

/// One follower change.
#[derive(Serialize)]
pub struct FollowerChangeJson {
    action: &'static str,
    actor_user_id: Id,
    follower_user_id: Id,
    time: String,
}

impl FollowerChangeJson {
    /// `change` as v2 renders it.
    pub fn of(change: &FollowerChange) -> Self {
        Self {
            action: if change.added { "added" } else { "removed" },
            actor_user_id: change.actor_user_id,
            follower_user_id: change.follower_user_id,
            time: time::v2(change.time),
        }
    }
}

/// A v2 deal.
#[derive(Serialize)]
pub struct DealJson {
    id: Id,
    title: String,
    owner_id: Id,
    person_id: Option<Id>,
    org_id: Option<Id>,
    value: f64,
    currency: String,
    status: &'static str,
    add_time: String,
    update_time: String,
    close_time: Option<String>,
    won_time: Option<String>,
    lost_time: Option<String>,
    lost_reason: Option<String>,
    is_deleted: bool,
    visible_to: u8,
}

impl DealJson {
    /// `deal` as v2 renders it.
    pub fn of(deal: &Deal) -> Self {
        Self {
            id: deal.id,
            title: deal.title.clone(),
            owner_id: deal.owner_id,
            person_id: deal.person_id,
            org_id: deal.org_id,
            value: deal.value,
            currency: deal.currency.clone(),
            status: deal.status.as_str(),
            add_time: time::v2(deal.add_time),
            update_time: time::v2(deal.update_time),
            close_time: deal.close_time().map(time::v2),
            won_time: deal.won_time.map(time::v2),
            lost_time: deal.lost_time.map(time::v2),
            lost_reason: deal.lost_reason.clone(),
            is_deleted: deal.delete_time.is_some(),
            visible_to: deal.visible_to,
        }
    }
}

#[derive(Serialize)]
struct ParticipantJson {
    person_id: Id,
    primary: bool,
}

/// A v2 activity.
#[derive(Serialize)]
pub struct ActivityJson {
    id: Id,
    subject: String,
    r#type: String,
    owner_id: Id,
    is_deleted: bool,
    add_time: String,
    update_time: String,
    deal_id: Option<Id>,
    person_id: Option<Id>,
    org_id: Option<Id>,
    due_date: Option<String>,
    due_time: Option<String>,
    duration: Option<String>,
    done: bool,
    marked_as_done_time: Option<String>,
    participants: Vec<ParticipantJson>,
    note: Option<String>,
}

impl ActivityJson {
    /// `activity` as v2 renders it.
    pub fn of(activity: &Activity) -> Self {
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Self {
            id: activity.id,
            subject: String::from(&*activity.subject),
            r#type: String::from(&*activity.kind),
            owner_id: activity.owner_id,
            is_deleted: activity.delete_time.is_some(),
            add_time: time::v2(activity.add_time),
            update_time: time::v2(activity.update_time),
            deal_id: activity.deal_id,
            person_id: activity.person_id,
            org_id: activity.org_id,
            due_date: Some(String::from(&*activity.due_date)),
            due_time: non_empty(&activity.due_time),
            duration: non_empty(&activity.duration),
            done: activity.done,
            marked_as_done_time: activity.marked_as_done_time.map(time::v2),
            participants: activity
                .participants
                .iter()
                .map(|(person_id, primary)| ParticipantJson {
                    person_id: *person_id,
                    primary: *primary,
                })
                .collect(),
            note: activity.note.as_deref().map(String::from),
        }
    }
}

/// `person` shaped by `shape`, with status 200.
pub fn person_response(company: &Company, person: &Person, shape: &PersonShape) -> ApiResponse {
    ApiResponse::json(200, &DataBody::new(PersonJson::of(company, person, shape)))
}

/// Deal `id` (deleted ones included), or its 404.
pub fn deal_response(company: &Company, id: Id) -> Result<ApiResponse, PipedriveError> {
    record_response(&company.deals, id, "Deal", 200, DealJson::of)
}

/// Activity `id` (deleted ones included), or its 404.
pub fn activity_response(company: &Company, id: Id) -> Result<ApiResponse, PipedriveError> {
    record_response(&company.activities, id, "Activity", 200, ActivityJson::of)
}
