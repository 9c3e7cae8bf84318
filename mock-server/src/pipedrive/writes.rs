//! The write handlers of both API versions: persons (create, update, delete, merge, pictures,
//! followers), deals (and their participants), activities, notes and person fields. Each
//! checks the caller's scope, reads the body with its version's typing into a log
//! [`Entry`], applies it to the caller's company under the write lock (the company checks and
//! completes it), and answers with its version's rendering.

use std::collections::BTreeSet;

use serde_json::Value;

use super::context::{
    ACTIVITIES_FULL, CONTACTS_FULL, Context, DEALS_FULL, FIELDS_FULL, visible_person,
};
use super::error::PipedriveError;
use super::fields::FieldType;
use super::log::{
    ActivityEntry, ActivityParticipant, CustomValues, DealEntry, DeleteEntry, Entry, FieldEntry,
    FollowerEntry, MergeEntry, NoteEntry, ParticipantEntry, PersonDeleteEntry, PersonEntry,
    PictureDeleteEntry, PictureEntry,
};
use super::model::{DealStatus, Id};
use super::params::{self, Body, Version};
use super::render::{DataBody, IdJson};
use super::render_v1::{
    self, FollowerJson, IdsJson, MergedPersonJson, ParticipantJson, PersonFieldJson, PictureJson,
};
use super::render_v2::{self, UserIdJson};
use super::tenant::Company;
use super::{picture, time};
use crate::Timestamp;
use crate::http::ApiResponse;

/// What a handler answers: a response, or the error to answer instead.
type Answer = Result<ApiResponse, PipedriveError>;

/// `POST /persons`: 201 in v1, 200 in v2.
pub fn add_person(cx: &Context<'_>, version: Version) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, version)?;
    let mut company = cx.write()?;
    let entry = PersonEntry {
        actor_user_id: Some(cx.caller.user.id),
        ..person_entry(&company, &body)?
    };
    let id = company.apply(Entry::Person(entry))?;
    person_answer(cx, version, &company, id, 201)
}

/// `PUT /persons/{id}` (v1), `PATCH /persons/{id}` (v2): a person the caller may see.
pub fn update_person(cx: &Context<'_>, version: Version, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, version)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    let entry = PersonEntry {
        id: Some(id),
        add_time: None,
        actor_user_id: Some(cx.caller.user.id),
        ..person_entry(&company, &body)?
    };
    company.apply(Entry::PersonUpdate(entry))?;
    person_answer(cx, version, &company, id, 200)
}

/// The written person as `version` answers it: v1 with `status`, v2 with 200 and the shape
/// its query asks.
fn person_answer(
    cx: &Context<'_>,
    version: Version,
    company: &Company,
    id: Id,
    status: u16,
) -> Answer {
    let person = company.active_person(id)?;
    match version {
        Version::V1 => Ok(render_v1::person_response(company, person, status, false)),
        Version::V2 => {
            let shape = params::person_shape(cx.request, company)?;
            Ok(render_v2::person_response(company, person, &shape))
        }
    }
}

/// A person body in its version's keys and typing (v1: `email`, `phone`, `label` and custom
/// fields at the root; v2: `emails`, `phones` and a `custom_fields` object), read in the
/// order each version checks them.
fn person_entry(company: &Company, body: &Body) -> Result<PersonEntry, PipedriveError> {
    let version = body.version();
    let v1_labels = match version {
        Version::V1 => {
            let mut label_ids = body.ids("label_ids")?;
            if body.map().contains_key("label") {
                label_ids = Some(body.id("label")?.flatten().into_iter().collect());
            }
            label_ids
        }
        Version::V2 => None,
    };
    let (email_key, phone_key) = match version {
        Version::V1 => ("email", "phone"),
        Version::V2 => ("emails", "phones"),
    };
    Ok(PersonEntry {
        name: body.string("name")?,
        owner_id: body.id("owner_id")?.flatten(),
        org_id: body.id("org_id")?,
        emails: body.entries(email_key)?,
        phones: body.entries(phone_key)?,
        visible_to: body.visibility()?,
        label_ids: match version {
            Version::V1 => v1_labels,
            Version::V2 => body.ids("label_ids")?,
        },
        custom_fields: CustomValues(match version {
            Version::V1 => custom_v1(company, body)?,
            Version::V2 => custom_v2(company, body)?,
        }),
        add_time: body
            .string("add_time")?
            .map(|raw| match version {
                Version::V1 => time::parse_v1(&raw).ok_or_else(|| {
                    PipedriveError::bad_request("Invalid add_time: use YYYY-MM-DD HH:MM:SS.")
                }),
                Version::V2 => time::parse_v2(&raw).ok_or_else(|| {
                    PipedriveError::validation("add_time: Expected an RFC 3339 date-time")
                }),
            })
            .transpose()?
            .map(Timestamp::from_unix_seconds),
        ..PersonEntry::default()
    })
}

/// Custom field values of a v1 body (root-level hash keys; unknown keys are ignored, as
/// Pipedrive ignores them).
fn custom_v1(
    company: &Company,
    body: &Body,
) -> Result<Vec<(String, Option<Value>)>, PipedriveError> {
    company
        .fields
        .iter()
        .filter(|field| body.map().contains_key(&field.key))
        .map(|field| {
            field
                .parse_v1(body.map())
                .map(|value| (field.key.clone(), value))
                .map_err(PipedriveError::bad_request)
        })
        .collect()
}

/// Custom field values of a v2 body's `custom_fields` object (unknown keys are an error).
fn custom_v2(
    company: &Company,
    body: &Body,
) -> Result<Vec<(String, Option<Value>)>, PipedriveError> {
    let Some(object) = body
        .map()
        .get("custom_fields")
        .filter(|value| !value.is_null())
    else {
        return Ok(Vec::new());
    };
    let object = object
        .as_object()
        .ok_or_else(|| PipedriveError::validation("custom_fields: Expected object"))?;
    object
        .iter()
        .map(|(key, value)| {
            let field = company.field(key).ok_or_else(|| {
                PipedriveError::validation(format!("custom_fields.{key}: Unknown custom field"))
            })?;
            field
                .parse_v2(value)
                .map(|value| (key.clone(), value))
                .map_err(PipedriveError::validation)
        })
        .collect()
}

/// `DELETE /persons/{id}` of both versions: soft-deletes a person the caller may see.
pub fn delete_person(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    company.apply(Entry::PersonDelete(PersonDeleteEntry {
        ids: vec![id],
        time: None,
    }))?;
    Ok(ApiResponse::json(200, &DataBody::new(IdJson { id })))
}

/// `DELETE /v1/persons?ids=`: soft-deletes the listed persons the caller may see; answers
/// those deleted.
pub fn delete_persons(cx: &Context<'_>) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let ids = params::id_list(
        params::param(cx.request, "ids").unwrap_or_default(),
        "ids",
        Version::V1,
    )?;
    if ids.is_empty() {
        return Err(PipedriveError::bad_request(
            "Please provide at least one item to delete",
        ));
    }
    let mut company = cx.write()?;
    let mut seen = BTreeSet::new();
    let deleted: Vec<Id> = ids
        .into_iter()
        .filter(|id| seen.insert(*id) && visible_person(&company, &cx.caller, *id).is_ok())
        .collect();
    if !deleted.is_empty() {
        company.apply(Entry::PersonDelete(PersonDeleteEntry {
            ids: deleted.clone(),
            time: None,
        }))?;
    }
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdsJson { id: deleted }),
    ))
}

/// `PUT /v1/persons/{id}/merge`: merges person `id` into `merge_with_id`.
pub fn merge(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let Some(into) = body.id("merge_with_id")?.flatten() else {
        return Err(PipedriveError::bad_request("merge_with_id must be given."));
    };
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    visible_person(&company, &cx.caller, into)?;
    company.apply(Entry::PersonMerge(MergeEntry {
        id,
        merge_with_id: into,
        actor_user_id: Some(cx.caller.user.id),
        time: None,
    }))?;
    let survivor = company.active_person(into)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(MergedPersonJson::of(&company, survivor, id)),
    ))
}

/// `POST /persons/{id}/followers`: v1 answers the relation with 200, v2 with 201.
pub fn add_follower(cx: &Context<'_>, version: Version, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, version)?;
    let user = body.id("user_id")?.flatten().ok_or_else(|| match version {
        Version::V1 => PipedriveError::bad_request("user_id must be given."),
        Version::V2 => PipedriveError::validation("user_id: Required"),
    })?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    company.apply(Entry::Follower(follower_entry(cx, id, user)))?;
    let follower = company
        .followers
        .get(&id)
        .and_then(|followers| followers.get(&user))
        .copied()
        .ok_or_else(|| PipedriveError::not_found("Follower not found"))?;
    Ok(match version {
        Version::V1 => ApiResponse::json(200, &DataBody::new(FollowerJson::of(id, &follower))),
        Version::V2 => {
            ApiResponse::json(201, &DataBody::new(render_v2::FollowerJson::of(&follower)))
        }
    })
}

/// `DELETE /v1/persons/{id}/followers/{relation}`: by the relation's id.
pub fn delete_follower_v1(cx: &Context<'_>, id: Id, relation: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    let user = company
        .followers
        .get(&id)
        .and_then(|followers| followers.values().find(|follower| follower.id == relation))
        .map(|follower| follower.user_id)
        .ok_or_else(|| PipedriveError::not_found("Follower not found"))?;
    company.apply(Entry::FollowerDelete(follower_entry(cx, id, user)))?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdJson { id: relation }),
    ))
}

/// `DELETE /api/v2/persons/{id}/followers/{user}`: by the following user's id.
pub fn delete_follower_v2(cx: &Context<'_>, id: Id, user: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    company.apply(Entry::FollowerDelete(follower_entry(cx, id, user)))?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(UserIdJson { user_id: user }),
    ))
}

/// `user` following (or unfollowing) person `id`, the caller acting.
fn follower_entry(cx: &Context<'_>, id: Id, user: Id) -> FollowerEntry {
    FollowerEntry {
        person_id: id,
        user_id: user,
        actor_user_id: Some(cx.caller.user.id),
        time: None,
    }
}

/// `POST /v1/persons/{id}/picture`: a checked upload becomes the person's picture.
pub fn upload_picture(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let file_size = picture::uploaded_size(cx.request)?;
    let mut company = cx.write()?;
    visible_person(&company, &cx.caller, id)?;
    company.apply(Entry::Picture(PictureEntry {
        person_id: id,
        id: None,
        added_by_user_id: Some(cx.caller.user.id),
        file_size,
        time: None,
    }))?;
    let picture = company
        .active_person(id)?
        .picture
        .ok_or_else(|| PipedriveError::not_found("Picture not found"))?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(PictureJson::of(&company, id, &picture, false)),
    ))
}

/// `DELETE /v1/persons/{id}/picture`: 404 when the person has none.
pub fn delete_picture(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    let person = visible_person(&company, &cx.caller, id)?;
    let picture = person
        .picture
        .ok_or_else(|| PipedriveError::not_found("Picture not found"))?;
    company.apply(Entry::PictureDelete(PictureDeleteEntry {
        person_id: id,
        time: None,
    }))?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdJson { id: picture.id }),
    ))
}

/// `POST /deals`: 201 in v1, 200 in v2.
pub fn add_deal(cx: &Context<'_>, version: Version) -> Answer {
    cx.caller.require(DEALS_FULL)?;
    let mut entry = deal_entry(&Body::parse(cx.request, version)?)?;
    entry.owner_id.get_or_insert(cx.caller.user.id);
    let mut company = cx.write()?;
    let id = company.apply(Entry::Deal(entry))?;
    deal_answer(&company, version, id, 201)
}

/// `PUT /deals/{id}` (v1), `PATCH /deals/{id}` (v2): a live deal.
pub fn update_deal(cx: &Context<'_>, version: Version, id: Id) -> Answer {
    cx.caller.require(DEALS_FULL)?;
    let entry = DealEntry {
        id: Some(id),
        ..deal_entry(&Body::parse(cx.request, version)?)?
    };
    let mut company = cx.write()?;
    company.apply(Entry::DealUpdate(entry))?;
    deal_answer(&company, version, id, 200)
}

/// `DELETE /deals/{id}` of both versions: a live deal.
pub fn delete_deal(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(DEALS_FULL)?;
    cx.write()?
        .apply(Entry::DealDelete(DeleteEntry { id, time: None }))?;
    Ok(ApiResponse::json(200, &DataBody::new(IdJson { id })))
}

/// Deal `id` as `version` answers a write of it (v2 always with 200).
fn deal_answer(company: &Company, version: Version, id: Id, status: u16) -> Answer {
    match version {
        Version::V1 => render_v1::deal_response(company, id, status),
        Version::V2 => render_v2::deal_response(company, id),
    }
}

/// A v1 or v2 deal body (the owner is v1's `user_id`, v2's `owner_id`).
fn deal_entry(body: &Body) -> Result<DealEntry, PipedriveError> {
    let status = body
        .string("status")?
        .map(|raw| {
            DealStatus::parse(&raw)
                .ok_or_else(|| body.version().invalid("status", "open, won or lost"))
        })
        .transpose()?;
    Ok(DealEntry {
        title: body.string("title")?,
        value: body.number("value")?,
        currency: body.string("currency")?,
        owner_id: body.id(owner_key(body))?.flatten(),
        person_id: body.id("person_id")?,
        org_id: body.id("org_id")?,
        status,
        lost_reason: body.string("lost_reason")?,
        visible_to: body.visibility()?,
        ..DealEntry::default()
    })
}

/// The key of a deal's or activity's owner: v1's `user_id`, v2's `owner_id`.
fn owner_key(body: &Body) -> &'static str {
    match body.version() {
        Version::V1 => "user_id",
        Version::V2 => "owner_id",
    }
}

/// `POST /v1/deals/{id}/participants`: an active person joins a live deal.
pub fn add_participant(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(DEALS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let person = body
        .id("person_id")?
        .flatten()
        .ok_or_else(|| PipedriveError::bad_request("person_id must be given."))?;
    let mut company = cx.write()?;
    let relation = company.apply(Entry::DealParticipant(ParticipantEntry {
        deal_id: id,
        person_id: person,
        id: None,
        time: None,
    }))?;
    let json = ParticipantJson {
        id: relation,
        person_id: person,
        deal_id: id,
        add_time: time::v1(cx.now()),
        active_flag: true,
    };
    Ok(ApiResponse::json(200, &DataBody::new(json)))
}

/// `POST /activities`: 201 in v1, 200 in v2.
pub fn add_activity(cx: &Context<'_>, version: Version) -> Answer {
    cx.caller.require(ACTIVITIES_FULL)?;
    let mut entry = activity_entry(&Body::parse(cx.request, version)?)?;
    entry.owner_id.get_or_insert(cx.caller.user.id);
    let mut company = cx.write()?;
    let id = company.apply(Entry::Activity(entry))?;
    activity_answer(&company, version, id, 201)
}

/// `PUT /activities/{id}` (v1), `PATCH /activities/{id}` (v2): a live activity.
pub fn update_activity(cx: &Context<'_>, version: Version, id: Id) -> Answer {
    cx.caller.require(ACTIVITIES_FULL)?;
    let entry = ActivityEntry {
        id: Some(id),
        ..activity_entry(&Body::parse(cx.request, version)?)?
    };
    let mut company = cx.write()?;
    company.apply(Entry::ActivityUpdate(entry))?;
    activity_answer(&company, version, id, 200)
}

/// `DELETE /activities/{id}` of both versions: a live activity.
pub fn delete_activity(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(ACTIVITIES_FULL)?;
    cx.write()?
        .apply(Entry::ActivityDelete(DeleteEntry { id, time: None }))?;
    Ok(ApiResponse::json(200, &DataBody::new(IdJson { id })))
}

/// Activity `id` as `version` answers a write of it (v2 always with 200).
fn activity_answer(company: &Company, version: Version, id: Id, status: u16) -> Answer {
    match version {
        Version::V1 => render_v1::activity_response(company, id, status),
        Version::V2 => render_v2::activity_response(company, id),
    }
}

/// A v1 or v2 activity body (participants' flag is v1's `primary_flag`, v2's `primary`).
fn activity_entry(body: &Body) -> Result<ActivityEntry, PipedriveError> {
    let participants = match body.map().get("participants") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let flag = match body.version() {
                Version::V1 => "primary_flag",
                Version::V2 => "primary",
            };
            let parsed = items
                .iter()
                .map(|item| {
                    Some(ActivityParticipant {
                        person_id: item.get("person_id")?.as_u64()?,
                        primary: item.get(flag).and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect::<Option<Vec<_>>>();
            Some(parsed.ok_or_else(|| {
                body.version()
                    .invalid("participants", "array of {person_id, primary} objects")
            })?)
        }
        Some(_) => return Err(body.version().invalid("participants", "array")),
    };
    Ok(ActivityEntry {
        subject: body.string("subject")?,
        kind: body.string("type")?,
        owner_id: body.id(owner_key(body))?.flatten(),
        person_id: body.id("person_id")?,
        deal_id: body.id("deal_id")?,
        org_id: body.id("org_id")?,
        participants,
        due_date: body.string("due_date")?,
        due_time: body.string("due_time")?,
        duration: body.string("duration")?,
        done: body.boolean("done")?,
        note: body.string("note")?,
        ..ActivityEntry::default()
    })
}

/// `POST /v1/notes`.
pub fn add_note(cx: &Context<'_>) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let entry = NoteEntry {
        user_id: Some(cx.caller.user.id),
        ..note_entry(&Body::parse(cx.request, Version::V1)?)?
    };
    let mut company = cx.write()?;
    let id = company.apply(Entry::Note(entry))?;
    render_v1::note_response(&company, id)
}

/// `PUT /v1/notes/{id}`: a live note.
pub fn update_note(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let entry = NoteEntry {
        id: Some(id),
        ..note_entry(&Body::parse(cx.request, Version::V1)?)?
    };
    let mut company = cx.write()?;
    company.apply(Entry::NoteUpdate(entry))?;
    render_v1::note_response(&company, id)
}

/// `DELETE /v1/notes/{id}`: answers `data: true`.
pub fn delete_note(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    cx.write()?
        .apply(Entry::NoteDelete(DeleteEntry { id, time: None }))?;
    Ok(ApiResponse::json(200, &DataBody::new(true)))
}

/// A v1 note body.
fn note_entry(body: &Body) -> Result<NoteEntry, PipedriveError> {
    Ok(NoteEntry {
        content: body.string("content")?,
        person_id: body.id("person_id")?.flatten(),
        deal_id: body.id("deal_id")?.flatten(),
        org_id: body.id("org_id")?.flatten(),
        ..NoteEntry::default()
    })
}

/// `POST /v1/personFields`: a custom person field, its key generated from its id.
pub fn add_person_field(cx: &Context<'_>) -> Answer {
    cx.caller.require(FIELDS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let name = body
        .string("name")?
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| PipedriveError::bad_request("Name must be given."))?;
    let raw_type = body.string("field_type")?.unwrap_or_default();
    let field_type = FieldType::parse(&raw_type)
        .ok_or_else(|| PipedriveError::bad_request(format!("Invalid field_type: {raw_type}")))?;
    let labels: Vec<String> = match body.map().get("options") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.get("label").and_then(Value::as_str).map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                PipedriveError::bad_request("options must be an array of {label} objects.")
            })?,
        Some(_) => {
            return Err(PipedriveError::bad_request(
                "options must be an array of {label} objects.",
            ));
        }
    };
    let needs_options = matches!(field_type, FieldType::Enum | FieldType::Set);
    if needs_options && labels.is_empty() {
        return Err(PipedriveError::bad_request(
            "Options must be given for enum and set fields.",
        ));
    }
    let entry = FieldEntry::new(name, field_type, labels);
    let mut company = cx.write()?;
    let id = company.apply(Entry::PersonField(entry))?;
    let order = render_v1::BUILT_IN_FIELDS.len() + company.fields.len();
    let field = company
        .fields
        .iter()
        .find(|field| field.id == id)
        .ok_or_else(PipedriveError::internal)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(PersonFieldJson::of(field, order)),
    ))
}
