//! API v1 routes (`/v1` and `/api/v1`): persons and their sub-resources, plus the deal,
//! activity, note and personFields operations that drive the counters.

use super::api::{
    self, ACTIVITIES_READ, CONTACTS_FULL, CONTACTS_READ, Context, DEALS_FULL, DEALS_READ,
    FIELDS_FULL, FIELDS_READ, MAIL_READ, SEARCH_READ,
};
use super::company::{Company, PersonPatch};
use super::error::PipedriveError;
use super::fields::{FieldDef, FieldOption, FieldType, hex_key};
use super::model::{Activity, DealStatus, Id, Person};
use super::params::{self, Body, MAX_LIMIT, Version};
use super::related::{ActivityPatch, DealPatch, NotePatch};
use super::render_v1::{
    ActivitiesExtras, ActivityDistribution, ActivityJson, CollectionPersonJson, Cursored, DataBody,
    DealJson, DetailExtras, FileJson, FollowerJson, FullBody, IdJson, IdsJson, MailItemJson,
    MergedPersonJson, Paged, ParticipantJson, PersonJson, RelatedObjects, cc_email,
};
use super::render_v2::SearchData;
use super::{feed, picture, records, time};
use crate::http::ApiResponse;

type Answer = Result<ApiResponse, PipedriveError>;

/// Largest page of `GET /persons/{id}/files`.
const MAX_FILES_LIMIT: usize = 100;

/// Dispatches a v1 request.
pub fn route(cx: &Context<'_>, segments: &[&str]) -> Answer {
    let renderings = records::Renderings {
        deal: deal_answer,
        activity: activity_answer,
    };
    if let Some(answer) = records::route(cx, segments, Version::V1, &renderings) {
        return answer;
    }
    let method = cx.request.method.as_str();
    match (method, segments) {
        ("GET", ["persons"]) => list_persons(cx),
        ("POST", ["persons"]) => add_person(cx),
        ("DELETE", ["persons"]) => delete_persons(cx),
        ("GET", ["persons", "collection"]) => collection(cx),
        ("GET", ["persons", "search"]) => search(cx),
        ("GET", ["persons", id]) => get_person(cx, params::path_id(id, "Person")?),
        ("PUT", ["persons", id]) => update_person(cx, params::path_id(id, "Person")?),
        ("DELETE", ["persons", id]) => api::delete_person(cx, params::path_id(id, "Person")?),
        ("PUT", ["persons", id, "merge"]) => merge(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "followers"]) => followers(cx, params::path_id(id, "Person")?),
        ("POST", ["persons", id, "followers"]) => add_follower(cx, params::path_id(id, "Person")?),
        ("DELETE", ["persons", id, "followers", relation]) => delete_follower(
            cx,
            params::path_id(id, "Person")?,
            params::path_id(relation, "Follower")?,
        ),
        ("GET", ["persons", id, "deals"]) => person_deals(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "activities"]) => {
            person_activities(cx, params::path_id(id, "Person")?)
        }
        ("GET", ["persons", id, "files"]) => person_files(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "mailMessages"]) => person_mail(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "permittedUsers"]) => {
            permitted_users(cx, params::path_id(id, "Person")?)
        }
        ("GET", ["persons", id, "flow"]) => feed::flow(cx, params::path_id(id, "Person")?),
        ("GET", ["persons", id, "changelog"]) => {
            feed::changelog(cx, params::path_id(id, "Person")?)
        }
        ("GET", ["persons", id, "products"]) => feed::products(cx, params::path_id(id, "Person")?),
        ("POST", ["persons", id, "picture"]) => picture::upload(cx, params::path_id(id, "Person")?),
        ("DELETE", ["persons", id, "picture"]) => {
            picture::remove(cx, params::path_id(id, "Person")?)
        }
        ("POST", ["deals", id, "participants"]) => {
            add_participant(cx, params::path_id(id, "Deal")?)
        }
        ("POST", ["notes"]) => api::create(
            cx,
            CONTACTS_FULL,
            Version::V1,
            note_patch,
            Company::create_note,
            note_answer,
            200,
        ),
        ("GET", ["notes", id]) => {
            api::read(cx, CONTACTS_READ, params::path_id(id, "Note")?, note_answer)
        }
        ("PUT", ["notes", id]) => api::update(
            cx,
            CONTACTS_FULL,
            Version::V1,
            params::path_id(id, "Note")?,
            note_patch,
            Company::update_note,
            note_answer,
        ),
        ("DELETE", ["notes", id]) => delete_note(cx, params::path_id(id, "Note")?),
        ("GET", ["personFields"]) => person_fields(cx),
        ("POST", ["personFields"]) => add_person_field(cx),
        _ => Err(api::route_not_found(cx.request)),
    }
}

fn person_body(company: &Company, person: &Person, status: u16, detail: bool) -> ApiResponse {
    let body = FullBody {
        success: true,
        data: PersonJson::of(company, person),
        additional_data: detail.then(|| DetailExtras {
            dropbox_email: cc_email(company, person),
        }),
        related_objects: Some(RelatedObjects::of(company, &[person], detail)),
    };
    ApiResponse::json(status, &body)
}

fn list_persons(cx: &Context<'_>) -> Answer {
    list_persons_with(cx, true)
}

/// `GET /persons`; `fast` lets the default order (the map's, by id) page the persons
/// lazily instead of collecting every one first (the answer is the same either way: the
/// pagination carries no total).
pub(super) fn list_persons_with(cx: &Context<'_>, fast: bool) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let owner = params::int_param(cx.request, "user_id", Version::V1)?;
    let first_char = params::param(cx.request, "first_char").map(str::to_lowercase);
    let persons = company
        .persons
        .values()
        .filter(|person| person.is_active() && company.can_see(person, &cx.caller.user))
        .filter(|person| owner.is_none_or(|owner| person.owner_id == owner))
        .filter(|person| {
            first_char
                .as_ref()
                .is_none_or(|first| person.first_char() == *first)
        });
    let (page, pagination) = match params::param(cx.request, "sort") {
        Some(sort) => {
            let mut persons: Vec<&Person> = persons.collect();
            sort_persons(&mut persons, sort)?;
            params::offset_page(persons.into_iter(), cx.request, MAX_LIMIT)?
        }
        None if fast => params::offset_page(persons, cx.request, MAX_LIMIT)?,
        None => {
            let persons: Vec<&Person> = persons.collect();
            params::offset_page(persons.into_iter(), cx.request, MAX_LIMIT)?
        }
    };
    let related = RelatedObjects::of(&company, &page, true);
    let data: Vec<PersonJson> = page
        .iter()
        .map(|person| PersonJson::of(&company, person))
        .collect();
    let body = FullBody {
        success: true,
        data: (!data.is_empty()).then_some(data),
        additional_data: Paged { pagination },
        related_objects: Some(related),
    };
    Ok(ApiResponse::json(200, &body))
}

/// Sorts by `"field ASC, field2 DESC"` over first-level keys (id, name, add_time,
/// update_time, and the deal/activity counters).
fn sort_persons(persons: &mut [&Person], sort: &str) -> Result<(), PipedriveError> {
    let mut keys = Vec::new();
    for part in sort.split(',') {
        let mut words = part.split_whitespace();
        let field = words.next().unwrap_or_default().to_owned();
        let descending = match words.next().map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(_) => {
                return Err(PipedriveError::bad_request(format!(
                    "Invalid sort direction in \"{part}\"."
                )));
            }
        };
        if ![
            "id",
            "name",
            "add_time",
            "update_time",
            "open_deals_count",
            "activities_count",
            "notes_count",
        ]
        .contains(&field.as_str())
        {
            return Err(PipedriveError::bad_request(format!(
                "Invalid sort field: {field}"
            )));
        }
        keys.push((field, descending));
    }
    persons.sort_by(|a, b| {
        keys.iter()
            .map(|(field, descending)| {
                let order = match field.as_str() {
                    "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                    "add_time" => a.add_time.cmp(&b.add_time),
                    "update_time" => a.update_time.cmp(&b.update_time),
                    "open_deals_count" => a.counters.deals.open.cmp(&b.counters.deals.open),
                    "activities_count" => a.counters.activities().cmp(&b.counters.activities()),
                    "notes_count" => a.counters.notes.cmp(&b.counters.notes),
                    _ => a.id.cmp(&b.id),
                };
                if *descending { order.reverse() } else { order }
            })
            .find(|order| order.is_ne())
            .unwrap_or_else(|| a.id.cmp(&b.id))
    });
    Ok(())
}

fn collection(cx: &Context<'_>) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    if !cx.caller.user.is_admin {
        return Err(PipedriveError::forbidden(
            "You do not have permissions to do this.",
        ));
    }
    let company = cx.read()?;
    let limit = params::limit(cx.request, Version::V1, MAX_LIMIT)?;
    let after = params::cursor(cx.request, Version::V1)?.map_or(0, |cursor| cursor.id);
    let bound = |name: &str| {
        params::param(cx.request, name)
            .map(|raw| {
                time::parse_v1(raw).ok_or_else(|| {
                    PipedriveError::bad_request(format!("Invalid {name}: use YYYY-MM-DD HH:MM:SS."))
                })
            })
            .transpose()
    };
    let (since, until) = (bound("since")?, bound("until")?);
    let owner = params::int_param(cx.request, "owner_id", Version::V1)?;
    let first_char = params::param(cx.request, "first_char").map(str::to_lowercase);
    let mut page: Vec<&Person> = company
        .persons
        .range(after..)
        .map(|(_, person)| person)
        .filter(|person| {
            since.is_none_or(|since| person.update_time >= since)
                && until.is_none_or(|until| person.update_time < until)
        })
        .filter(|person| owner.is_none_or(|owner| person.owner_id == owner))
        .filter(|person| {
            first_char
                .as_ref()
                .is_none_or(|first| person.first_char() == *first)
        })
        .take(limit.saturating_add(1))
        .collect();
    let next = (page.len() > limit).then(|| page.pop()).flatten();
    let body = FullBody {
        success: true,
        data: page
            .iter()
            .map(|person| CollectionPersonJson::of(&company, person))
            .collect::<Vec<_>>(),
        additional_data: Cursored {
            next_cursor: next.map(|person| id_cursor(person.id)),
        },
        related_objects: None,
    };
    Ok(ApiResponse::json(200, &body))
}

fn id_cursor(id: Id) -> String {
    let value = i64::try_from(id).unwrap_or(i64::MAX);
    params::Cursor {
        field: "id".into(),
        field_value: value,
        sort_direction: "asc".into(),
        id,
    }
    .encode()
}

fn search(cx: &Context<'_>) -> Answer {
    cx.caller.require(SEARCH_READ)?;
    let company = cx.read()?;
    let hits = api::search_hits(&company, &cx.caller, cx.request, Version::V1)?;
    let (items, pagination) = params::offset_page(hits.into_iter(), cx.request, MAX_LIMIT)?;
    let body = FullBody {
        success: true,
        data: SearchData { items },
        additional_data: Paged { pagination },
        related_objects: None,
    };
    Ok(ApiResponse::json(200, &body))
}

fn get_person(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let person = api::readable_person(&company, &cx.caller, id)?;
    Ok(person_body(&company, person, 200, true))
}

fn person_patch(company: &Company, body: &Body) -> Result<PersonPatch, PipedriveError> {
    let mut label_ids = body.ids("label_ids")?;
    if body.map().contains_key("label") {
        label_ids = Some(body.id("label")?.flatten().into_iter().collect());
    }
    Ok(PersonPatch {
        name: body.string("name")?,
        owner_id: body.id("owner_id")?.flatten(),
        org_id: body.id("org_id")?,
        emails: body.entries("email")?,
        phones: body.entries("phone")?,
        visible_to: body.visibility()?,
        label_ids,
        custom: api::custom_v1(company, body)?,
        add_time: body
            .string("add_time")?
            .map(|raw| {
                time::parse_v1(&raw).ok_or_else(|| {
                    PipedriveError::bad_request("Invalid add_time: use YYYY-MM-DD HH:MM:SS.")
                })
            })
            .transpose()?,
    })
}

fn add_person(cx: &Context<'_>) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let mut company = cx.write()?;
    let patch = person_patch(&company, &body)?;
    let id = company.create_person(patch, cx.caller.user.id, cx.now())?;
    let person = company.active_person(id)?;
    Ok(person_body(&company, person, 201, false))
}

fn update_person(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let patch = PersonPatch {
        add_time: None,
        ..person_patch(&company, &body)?
    };
    company.update_person(id, patch, cx.caller.user.id, cx.now())?;
    let person = company.active_person(id)?;
    Ok(person_body(&company, person, 200, false))
}

fn delete_persons(cx: &Context<'_>) -> Answer {
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
    let visible: Vec<Id> = ids
        .into_iter()
        .filter(|id| api::visible_person(&company, &cx.caller, *id).is_ok())
        .collect();
    let deleted = company.delete_persons(&visible, cx.now());
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdsJson { id: deleted }),
    ))
}

fn merge(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let Some(into) = body.id("merge_with_id")?.flatten() else {
        return Err(PipedriveError::bad_request("merge_with_id must be given."));
    };
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    api::visible_person(&company, &cx.caller, into)?;
    company.merge_persons(id, into, cx.caller.user.id, cx.now())?;
    let survivor = company.active_person(into)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(MergedPersonJson::of(&company, survivor, id)),
    ))
}

fn followers(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let mut all: Vec<_> = company
        .followers
        .get(&id)
        .into_iter()
        .flat_map(|f| f.values())
        .collect();
    all.sort_by_key(|follower| follower.id);
    let (page, pagination) = params::offset_page(all.into_iter(), cx.request, MAX_LIMIT)?;
    let data: Vec<FollowerJson> = page
        .into_iter()
        .map(|follower| FollowerJson::of(id, follower))
        .collect();
    Ok(list_body(data, pagination))
}

fn list_body<T: serde::Serialize>(
    data: Vec<T>,
    pagination: super::render_v1::Pagination,
) -> ApiResponse {
    sideloaded_list(data, Paged { pagination }, None)
}

/// A v1 list page: `data` (null when empty), `additional_data` and `related_objects`.
fn sideloaded_list<T: serde::Serialize, A: serde::Serialize>(
    data: Vec<T>,
    additional_data: A,
    related_objects: Option<RelatedObjects>,
) -> ApiResponse {
    let body = FullBody {
        success: true,
        data: (!data.is_empty()).then_some(data),
        additional_data,
        related_objects,
    };
    ApiResponse::json(200, &body)
}

fn add_follower(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let user = body
        .id("user_id")?
        .flatten()
        .ok_or_else(|| PipedriveError::bad_request("user_id must be given."))?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let follower = company.follow(id, user, cx.caller.user.id, cx.now())?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(FollowerJson::of(id, &follower)),
    ))
}

fn delete_follower(cx: &Context<'_>, id: Id, relation: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let user = company
        .followers
        .get(&id)
        .and_then(|followers| followers.values().find(|follower| follower.id == relation))
        .map(|follower| follower.user_id)
        .ok_or_else(|| PipedriveError::not_found("Follower not found"))?;
    company.unfollow(id, user, cx.caller.user.id, cx.now())?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdJson { id: relation }),
    ))
}

fn person_deals(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(DEALS_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let status = params::param(cx.request, "status").unwrap_or("all_not_deleted");
    let wanted: Box<dyn Fn(&super::model::Deal) -> bool> = match status {
        "all_not_deleted" => Box::new(|deal| deal.delete_time.is_none()),
        "deleted" => Box::new(|deal| deal.delete_time.is_some()),
        other => {
            let status = DealStatus::parse(other).ok_or_else(|| {
                PipedriveError::bad_request(
                    "Invalid status. Allowed values: open, won, lost, deleted, all_not_deleted.",
                )
            })?;
            Box::new(move |deal| deal.delete_time.is_none() && deal.status == status)
        }
    };
    let deals = company
        .links
        .deals
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|deal| company.deals.get(deal))
        .filter(|deal| wanted(deal));
    let (page, pagination) = params::offset_page(deals, cx.request, MAX_LIMIT)?;
    let mut related = RelatedObjects::default();
    for deal in &page {
        related.add_user(&company, deal.owner_id);
        related.add_org(&company, deal.org_id);
        related.add_person(&company, deal.person_id);
    }
    let data: Vec<DealJson> = page
        .into_iter()
        .map(|deal| DealJson::of(&company, deal))
        .collect();
    Ok(sideloaded_list(data, Paged { pagination }, Some(related)))
}

fn person_activities(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(ACTIVITIES_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let done = params::bool_param(cx.request, "done", Version::V1)?;
    let exclude = params::id_list(
        params::param(cx.request, "exclude").unwrap_or_default(),
        "exclude",
        Version::V1,
    )?;
    let activities: Vec<&Activity> = company
        .links
        .activities
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|activity| !exclude.contains(activity))
        .filter_map(|activity| company.activities.get(activity))
        .filter(|activity| done.is_none_or(|done| activity.done == done))
        .collect();
    let activity_distribution = ActivityDistribution::of(&company, &activities);
    let (page, pagination) = params::offset_page(activities.into_iter(), cx.request, MAX_LIMIT)?;
    let mut related = RelatedObjects::default();
    for activity in &page {
        related.add_user(&company, activity.owner_id);
        related.add_org(&company, activity.org_id);
        related.add_person(&company, activity.person_id);
        related.add_deal(&company, activity.deal_id);
    }
    let data: Vec<ActivityJson> = page
        .into_iter()
        .map(|activity| ActivityJson::of(&company, activity))
        .collect();
    let extras = ActivitiesExtras {
        pagination,
        activity_distribution,
    };
    Ok(sideloaded_list(data, extras, Some(related)))
}

fn person_files(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let files = company
        .links
        .files
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|file| company.files.get(file));
    let (page, pagination) = params::offset_page(files, cx.request, MAX_FILES_LIMIT)?;
    Ok(list_body(
        page.into_iter()
            .map(|file| FileJson::of(&company, file))
            .collect(),
        pagination,
    ))
}

fn person_mail(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(MAIL_READ)?;
    let company = cx.read()?;
    api::visible_person(&company, &cx.caller, id)?;
    let mut mails: Vec<_> = company
        .links
        .mails
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|mail| company.mails.get(mail))
        .collect();
    mails.sort_by(|a, b| b.message_time.cmp(&a.message_time).then(b.id.cmp(&a.id)));
    let (page, pagination) = params::offset_page(mails.into_iter(), cx.request, MAX_LIMIT)?;
    Ok(list_body(
        page.into_iter()
            .map(|mail| MailItemJson::of(&company, mail))
            .collect(),
        pagination,
    ))
}

fn permitted_users(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let person = api::visible_person(&company, &cx.caller, id)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(company.permitted_users(person)),
    ))
}

/// A v1 or v2 deal body.
pub fn deal_patch(body: &Body) -> Result<DealPatch, PipedriveError> {
    let status = body
        .string("status")?
        .map(|raw| {
            DealStatus::parse(&raw)
                .ok_or_else(|| body.version().invalid("status", "open, won or lost"))
        })
        .transpose()?;
    let owner_key = if body.version() == Version::V1 {
        "user_id"
    } else {
        "owner_id"
    };
    Ok(DealPatch {
        title: body.string("title")?,
        value: body.number("value")?,
        currency: body.string("currency")?,
        owner_id: body.id(owner_key)?.flatten(),
        person_id: body.id("person_id")?,
        org_id: body.id("org_id")?,
        status,
        lost_reason: body.string("lost_reason")?,
        visible_to: body.visibility()?,
    })
}

fn deal_answer(company: &Company, id: Id, status: u16) -> Answer {
    let deal = company
        .deals
        .get(&id)
        .ok_or_else(|| PipedriveError::not_found("Deal not found"))?;
    Ok(ApiResponse::json(
        status,
        &DataBody::new(DealJson::of(company, deal)),
    ))
}

fn add_participant(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(DEALS_FULL)?;
    let body = Body::parse(cx.request, Version::V1)?;
    let person = body
        .id("person_id")?
        .flatten()
        .ok_or_else(|| PipedriveError::bad_request("person_id must be given."))?;
    let mut company = cx.write()?;
    let relation = company.add_deal_participant(id, person, cx.now())?;
    let json = ParticipantJson {
        id: relation,
        person_id: person,
        deal_id: id,
        add_time: time::v1(cx.now()),
        active_flag: true,
    };
    Ok(ApiResponse::json(200, &DataBody::new(json)))
}

/// A v1 or v2 activity body.
pub fn activity_patch(body: &Body) -> Result<ActivityPatch, PipedriveError> {
    let participants = match body.map().get("participants") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Array(items)) => {
            let flag = if body.version() == Version::V1 {
                "primary_flag"
            } else {
                "primary"
            };
            let parsed = items
                .iter()
                .map(|item| {
                    Some((
                        item.get("person_id")?.as_u64()?,
                        item.get(flag)
                            .and_then(serde_json::Value::as_bool)
                            .unwrap_or(false),
                    ))
                })
                .collect::<Option<Vec<_>>>();
            Some(parsed.ok_or_else(|| {
                body.version()
                    .invalid("participants", "array of {person_id, primary} objects")
            })?)
        }
        Some(_) => return Err(body.version().invalid("participants", "array")),
    };
    let owner_key = if body.version() == Version::V1 {
        "user_id"
    } else {
        "owner_id"
    };
    Ok(ActivityPatch {
        subject: body.string("subject")?,
        kind: body.string("type")?,
        owner_id: body.id(owner_key)?.flatten(),
        person_id: body.id("person_id")?,
        deal_id: body.id("deal_id")?,
        org_id: body.id("org_id")?,
        participants,
        due_date: body.string("due_date")?,
        due_time: body.string("due_time")?,
        duration: body.string("duration")?,
        done: body.boolean("done")?,
        note: body.string("note")?,
    })
}

fn activity_answer(company: &Company, id: Id, status: u16) -> Answer {
    let activity = company
        .activities
        .get(&id)
        .ok_or_else(|| PipedriveError::not_found("Activity not found"))?;
    Ok(ApiResponse::json(
        status,
        &DataBody::new(ActivityJson::of(company, activity)),
    ))
}

fn note_patch(body: &Body) -> Result<NotePatch, PipedriveError> {
    Ok(NotePatch {
        content: body.string("content")?,
        person_id: body.id("person_id")?.flatten(),
        deal_id: body.id("deal_id")?.flatten(),
        org_id: body.id("org_id")?.flatten(),
    })
}

fn note_answer(company: &Company, id: Id, status: u16) -> Answer {
    let note = company.live_note(id)?;
    Ok(ApiResponse::json(
        status,
        &DataBody::new(super::render_v1::NoteJson::of(note)),
    ))
}

fn delete_note(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    cx.write()?.delete_note(id, cx.now())?;
    Ok(ApiResponse::json(200, &DataBody::new(true)))
}

/// A person field as `personFields` renders it.
#[derive(serde::Serialize)]
struct PersonFieldJson {
    id: Id,
    key: String,
    name: String,
    order_nr: usize,
    field_type: &'static str,
    add_time: String,
    update_time: String,
    active_flag: bool,
    edit_flag: bool,
    bulk_edit_allowed: bool,
    mandatory_flag: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<FieldOption>>,
}

/// The built-in person fields: key, name, type.
const BUILT_IN_FIELDS: [(&str, &str, &str); 8] = [
    ("name", "Name", "varchar"),
    ("label", "Label", "enum"),
    ("org_id", "Organization", "org"),
    ("owner_id", "Owner", "user"),
    ("email", "Email", "varchar"),
    ("phone", "Phone", "phone"),
    ("visible_to", "Visible to", "visible_to"),
    ("add_time", "Person created", "date"),
];

fn person_fields(cx: &Context<'_>) -> Answer {
    cx.caller.require(FIELDS_READ)?;
    let company = cx.read()?;
    let built_in = BUILT_IN_FIELDS
        .iter()
        .enumerate()
        .map(|(at, (key, name, field_type))| PersonFieldJson {
            id: u64::try_from(at).unwrap_or_default().saturating_add(9000),
            key: (*key).to_owned(),
            name: (*name).to_owned(),
            order_nr: at,
            field_type,
            add_time: time::v1(0),
            update_time: time::v1(0),
            active_flag: true,
            edit_flag: false,
            bulk_edit_allowed: true,
            mandatory_flag: *key == "name",
            options: (*key == "label").then(|| company.labels.clone()),
        });
    let custom = company
        .fields
        .iter()
        .enumerate()
        .map(|(at, field)| field_json(field, BUILT_IN_FIELDS.len() + at));
    let all: Vec<PersonFieldJson> = built_in.chain(custom).collect();
    let (page, pagination) = params::offset_page(all.into_iter(), cx.request, MAX_LIMIT)?;
    let body = FullBody {
        success: true,
        data: page,
        additional_data: Paged { pagination },
        related_objects: None,
    };
    Ok(ApiResponse::json(200, &body))
}

fn field_json(field: &FieldDef, order_nr: usize) -> PersonFieldJson {
    PersonFieldJson {
        id: field.id,
        key: field.key.clone(),
        name: field.name.clone(),
        order_nr,
        field_type: field.field_type.as_str(),
        add_time: time::v1(field.add_time),
        update_time: time::v1(field.add_time),
        active_flag: true,
        edit_flag: true,
        bulk_edit_allowed: true,
        mandatory_flag: false,
        options: (!field.options.is_empty()).then(|| field.options.clone()),
    }
}

fn add_person_field(cx: &Context<'_>) -> Answer {
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
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.get("label")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            })
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
    let mut company = cx.write()?;
    let id = company.next_id("field");
    let options = labels
        .into_iter()
        .map(|label| FieldOption {
            id: company.next_id("option"),
            label,
        })
        .collect();
    let field = FieldDef {
        id,
        key: hex_key(&format!("company {} person field {id}", company.id)),
        name,
        field_type,
        options: if needs_options { options } else { Vec::new() },
        add_time: cx.now(),
    };
    let field = company.add_field(field);
    let order = BUILT_IN_FIELDS.len() + company.fields.len();
    Ok(ApiResponse::json(
        200,
        &DataBody::new(field_json(&field, order)),
    ))
}
