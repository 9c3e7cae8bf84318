//! A person's history and purchases (API v1): `GET /persons/{id}/flow` (the updates feed),
//! `GET /persons/{id}/changelog` (field changes, cursor-paginated) and
//! `GET /persons/{id}/products` (products of the person's deals).
//!
//! Every list is read from the person's own projections of the write log (its links to
//! deals, activities, notes, files and mail, its follower changes and its field changes), so
//! no request scans the company's records.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::context::{CONTACTS_READ, Context, RECENTS_READ, visible_person};
use super::error::PipedriveError;
use super::model::{
    Activity, Deal, DealProduct, FieldChange, File, FollowerChange, Id, MailMessage, Note, Person,
    Product,
};
use super::params::{self, Cursor, MAX_LIMIT, Version};
use super::render::Cursored;
use super::render_v1::{
    ActivityJson, DealJson, FileJson, FullBody, MailItemJson, NoteJson, Paged, RelatedObjects,
};
use super::tenant::{Company, linked};
use super::time;
use crate::http::ApiResponse;

type Answer = Result<ApiResponse, PipedriveError>;

/// Every item type `items` may name (Pipedrive's list; the mock produces the ones
/// the feed entries describe).
pub const ITEM_TYPES: [&str; 22] = [
    "call",
    "activity",
    "plannedActivity",
    "change",
    "note",
    "deal",
    "file",
    "dealChange",
    "personChange",
    "organizationChange",
    "follower",
    "dealFollower",
    "personFollower",
    "organizationFollower",
    "participant",
    "comment",
    "mailMessage",
    "mailMessageWithAttachment",
    "invoice",
    "document",
    "marketing_campaign_stat",
    "marketing_status_change",
];

/// One entry of a person's flow, before rendering.
#[derive(Clone, Copy)]
enum FlowItem<'a> {
    Change(&'a FieldChange),
    Activity(&'a Activity),
    Note(&'a Note),
    Deal(&'a Deal),
    File(&'a File),
    Follower(&'a FollowerChange),
    Mail(&'a MailMessage),
}

impl FlowItem<'_> {
    /// The flow's `object`: done activities are `activity`, undone ones `plannedActivity`.
    fn object(self) -> &'static str {
        match self {
            FlowItem::Change(_) => "personChange",
            FlowItem::Activity(activity) if activity.done => "activity",
            FlowItem::Activity(_) => "plannedActivity",
            FlowItem::Note(_) => "note",
            FlowItem::Deal(_) => "deal",
            FlowItem::File(_) => "file",
            FlowItem::Follower(_) => "follower",
            FlowItem::Mail(_) => "mailMessage",
        }
    }

    /// When it happened: a change's log time, a done activity's completion, a mail's
    /// message time, otherwise the record's creation.
    fn time(self) -> i64 {
        match self {
            FlowItem::Change(change) => change.time,
            FlowItem::Activity(activity) => activity
                .marked_as_done_time
                .filter(|_| activity.done)
                .unwrap_or(activity.add_time),
            FlowItem::Note(note) => note.add_time,
            FlowItem::Deal(deal) => deal.add_time,
            FlowItem::File(file) => file.add_time,
            FlowItem::Follower(change) => change.time,
            FlowItem::Mail(mail) => mail.message_time,
        }
    }

    /// A tie-breaker among entries of the same time.
    fn id(self) -> Id {
        match self {
            FlowItem::Change(change) => change.id,
            FlowItem::Activity(activity) => activity.id,
            FlowItem::Note(note) => note.id,
            FlowItem::Deal(deal) => deal.id,
            FlowItem::File(file) => file.id,
            FlowItem::Follower(change) => change.follower_user_id,
            FlowItem::Mail(mail) => mail.id,
        }
    }
}

/// One flow entry as rendered.
#[derive(Serialize)]
#[serde(untagged)]
enum FlowJson<'a> {
    Item {
        object: &'static str,
        timestamp: String,
        data: FlowData<'a>,
    },
    Mail(MailItemJson),
}

#[derive(Serialize)]
#[serde(untagged)]
enum FlowData<'a> {
    Change(Box<FlowChangeJson>),
    Activity(Box<ActivityJson>),
    Note(Box<NoteJson>),
    Deal(Box<DealJson<'a>>),
    File(Box<FileJson>),
    Follower(FlowFollowerJson),
}

#[derive(Serialize)]
struct FlowChangeJson {
    id: Id,
    item_id: Id,
    user_id: Id,
    field_key: String,
    old_value: Option<String>,
    new_value: Option<String>,
    is_bulk_update_flag: bool,
    log_time: String,
    change_source: &'static str,
    change_source_user_agent: Option<String>,
    additional_data: FormattedJson,
}

#[derive(Serialize)]
struct FormattedJson {
    new_value_formatted: Option<String>,
}

#[derive(Serialize)]
struct FlowFollowerJson {
    user_id: Id,
    person_id: Id,
    add_time: String,
    added_by_user_id: Id,
}

/// `GET /v1/persons/{id}/flow`: `start`/`limit`, `all_changes` (custom field changes too),
/// `items` (which object types).
pub fn flow(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(RECENTS_READ)?;
    let company = cx.read()?;
    let person = visible_person(&company, &cx.caller, id)?;
    let all_changes = params::bool_param(cx.request, "all_changes", Version::V1)?.unwrap_or(false);
    let items: Option<BTreeSet<&str>> = params::param(cx.request, "items")
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    ITEM_TYPES
                        .iter()
                        .copied()
                        .find(|known| *known == item)
                        .ok_or_else(|| {
                            PipedriveError::bad_request(format!("Invalid items value: {item}"))
                        })
                })
                .collect()
        })
        .transpose()?;
    let mut entries: Vec<FlowItem<'_>> = flow_items(&company, id)
        .filter(|entry| match entry {
            FlowItem::Change(change) => all_changes || company.field(&change.field_key).is_none(),
            _ => true,
        })
        .filter(|entry| {
            items
                .as_ref()
                .is_none_or(|items| items.contains(entry.object()))
        })
        .collect();
    entries.sort_by(|a, b| {
        b.time()
            .cmp(&a.time())
            .then(b.object().cmp(a.object()))
            .then(b.id().cmp(&a.id()))
    });
    let (page, pagination) = params::offset_page(entries.into_iter(), cx.request, MAX_LIMIT)?;
    let related = flow_related(&company, person, &page);
    let data: Vec<FlowJson> = page
        .into_iter()
        .map(|entry| render(&company, person, entry))
        .collect();
    Ok(ApiResponse::json(
        200,
        &FullBody {
            success: true,
            data: (!data.is_empty()).then_some(data),
            additional_data: Paged { pagination },
            related_objects: Some(related),
        },
    ))
}

/// Every flow entry of person `id`, unordered.
fn flow_items(company: &Company, id: Id) -> impl Iterator<Item = FlowItem<'_>> {
    let changes = company
        .person_changes
        .get(&id)
        .into_iter()
        .flatten()
        .map(FlowItem::Change);
    let activities =
        linked(&company.links.activities, &company.activities, id).map(FlowItem::Activity);
    let notes = linked(&company.links.notes, &company.notes, id).map(FlowItem::Note);
    let deals = linked(&company.links.deals, &company.deals, id)
        .filter(|deal| deal.delete_time.is_none())
        .map(FlowItem::Deal);
    let files = linked(&company.links.files, &company.files, id).map(FlowItem::File);
    let followers = company
        .follower_changes
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|change| change.added)
        .map(FlowItem::Follower);
    let mails = linked(&company.links.mails, &company.mails, id).map(FlowItem::Mail);
    changes
        .chain(activities)
        .chain(notes)
        .chain(deals)
        .chain(files)
        .chain(followers)
        .chain(mails)
}

fn render<'a>(company: &'a Company, person: &Person, entry: FlowItem<'_>) -> FlowJson<'a> {
    let data = match entry {
        FlowItem::Mail(mail) => return FlowJson::Mail(MailItemJson::of(company, mail)),
        FlowItem::Change(change) => FlowData::Change(Box::new(FlowChangeJson {
            id: change.id,
            item_id: person.id,
            user_id: change.actor_user_id,
            field_key: change.field_key.clone(),
            old_value: change.old_value.clone(),
            new_value: change.new_value.clone(),
            is_bulk_update_flag: false,
            log_time: time::v1(change.time),
            change_source: "api",
            change_source_user_agent: None,
            additional_data: FormattedJson {
                new_value_formatted: formatted(company, change),
            },
        })),
        FlowItem::Activity(activity) => {
            FlowData::Activity(Box::new(ActivityJson::of(company, activity)))
        }
        FlowItem::Note(note) => FlowData::Note(Box::new(NoteJson::of(note))),
        FlowItem::Deal(deal) => FlowData::Deal(Box::new(DealJson::of(company, deal))),
        FlowItem::File(file) => FlowData::File(Box::new(FileJson::of(company, file))),
        FlowItem::Follower(change) => FlowData::Follower(FlowFollowerJson {
            user_id: change.follower_user_id,
            person_id: person.id,
            add_time: time::v1(change.time),
            added_by_user_id: change.actor_user_id,
        }),
    };
    FlowJson::Item {
        object: entry.object(),
        timestamp: time::v1(entry.time()),
        data,
    }
}

/// `new_value_formatted`: owner and organization ids by name, other values as they are.
fn formatted(company: &Company, change: &FieldChange) -> Option<String> {
    let id = || change.new_value.as_deref()?.parse::<Id>().ok();
    match change.field_key.as_str() {
        "owner_id" => id()
            .and_then(|user| company.users.get(&user))
            .map(|user| user.name.clone()),
        "org_id" => id()
            .and_then(|org| company.orgs.get(&org))
            .map(|org| org.name.clone()),
        _ => change.new_value.clone(),
    }
}

/// `related_objects` of a flow page: the person with its owner and organization, the users
/// who acted, and the deals shown.
fn flow_related<'a>(
    company: &'a Company,
    person: &'a Person,
    page: &[FlowItem<'_>],
) -> RelatedObjects<'a> {
    let mut related = RelatedObjects::of(company, &[person], true);
    related.add_person(company, Some(person.id));
    for entry in page {
        let user = match entry {
            FlowItem::Change(change) => change.actor_user_id,
            FlowItem::Activity(activity) => activity.owner_id,
            FlowItem::Note(note) => note.user_id,
            FlowItem::Deal(deal) => {
                related.add_deal(company, Some(deal.id));
                deal.owner_id
            }
            FlowItem::File(file) => file.user_id,
            FlowItem::Follower(change) => change.follower_user_id,
            FlowItem::Mail(mail) => mail.user_id,
        };
        related.add_user(company, user);
    }
    related
}

/// One changelog entry.
#[derive(Serialize)]
struct ChangelogJson {
    field_key: String,
    old_value: Option<String>,
    new_value: Option<String>,
    actor_user_id: Id,
    time: String,
    change_source: Option<&'static str>,
    change_source_user_agent: Option<String>,
    is_bulk_update_flag: bool,
}

/// `GET /v1/persons/{id}/changelog`: field changes newest first; the cursor is the id of the
/// next page's first change, so pages stay stable while changes are added.
pub fn changelog(cx: &Context<'_>, id: Id) -> Answer {
    let company = cx.read_person(RECENTS_READ, id)?;
    let limit = params::limit(cx.request, Version::V1, MAX_LIMIT)?;
    let before = params::cursor(cx.request, Version::V1)?.map(|cursor| cursor.id);
    let mut page: Vec<&FieldChange> = company
        .person_changes
        .get(&id)
        .into_iter()
        .flatten()
        .rev()
        .filter(|change| before.is_none_or(|before| change.id <= before))
        .take(limit.saturating_add(1))
        .collect();
    let next = (page.len() > limit)
        .then(|| page.pop())
        .flatten()
        .map(|change| {
            Cursor {
                field: "id".into(),
                field_value: i64::try_from(change.id).unwrap_or(i64::MAX),
                sort_direction: "desc".into(),
                id: change.id,
            }
            .encode()
        });
    let data: Vec<ChangelogJson> = page
        .into_iter()
        .map(|change| ChangelogJson {
            field_key: change.field_key.clone(),
            old_value: change.old_value.clone(),
            new_value: change.new_value.clone(),
            actor_user_id: change.actor_user_id,
            time: time::v1(change.time),
            change_source: Some("api"),
            change_source_user_agent: None,
            is_bulk_update_flag: false,
        })
        .collect();
    Ok(ApiResponse::json(
        200,
        &FullBody {
            success: true,
            data,
            additional_data: Cursored { next_cursor: next },
            related_objects: None,
        },
    ))
}

/// A product as a person's products list shows it.
#[derive(Serialize)]
struct ProductJson {
    id: Id,
    company_id: Id,
    name: String,
    code: Option<String>,
    description: Option<String>,
    unit: Option<String>,
    tax: f64,
    category: Option<String>,
    active_flag: bool,
    selectable: bool,
    first_char: String,
    visible_to: String,
    owner_id: Id,
    files_count: Option<u64>,
    add_time: String,
    update_time: String,
    deal_id: Id,
    item_price: f64,
    quantity: u32,
    sum: f64,
}

impl ProductJson {
    fn of(company: &Company, product: &Product, attachment: &DealProduct) -> Self {
        Self {
            id: product.id,
            company_id: company.id,
            name: product.name.clone(),
            code: product.code.clone(),
            description: None,
            unit: product.unit.clone(),
            tax: 0.0,
            category: None,
            active_flag: true,
            selectable: true,
            first_char: product
                .name
                .chars()
                .next()
                .map(|c| c.to_lowercase().collect())
                .unwrap_or_default(),
            visible_to: "3".into(),
            owner_id: product.owner_id,
            files_count: None,
            add_time: time::v1(product.add_time),
            update_time: time::v1(attachment.add_time),
            deal_id: attachment.deal_id,
            item_price: attachment.item_price,
            quantity: attachment.quantity,
            sum: attachment.item_price * f64::from(attachment.quantity),
        }
    }
}

/// `{deal, product}` under the deal's id.
#[derive(Serialize)]
struct DealProductJson<'a> {
    deal: DealJson<'a>,
    product: ProductJson,
}

/// `GET /v1/persons/{id}/products`: one single-key map `{"<deal id>": {deal, product}}` per
/// product of each live deal whose primary contact is the person, by deal then attachment.
pub fn products(cx: &Context<'_>, id: Id) -> Answer {
    let company = cx.read_person(CONTACTS_READ, id)?;
    let attachments = linked(&company.links.deals, &company.deals, id)
        .filter(|deal| deal.delete_time.is_none() && deal.person_id == Some(id))
        .flat_map(|deal| {
            linked(
                &company.links.deal_products,
                &company.deal_products,
                deal.id,
            )
            .map(move |attachment| (deal, attachment))
        });
    let (page, pagination) = params::offset_page(attachments, cx.request, MAX_LIMIT)?;
    let data: Vec<BTreeMap<String, DealProductJson>> = page
        .into_iter()
        .filter_map(|(deal, attachment)| {
            let product = company.products.get(&attachment.product_id)?;
            let entry = DealProductJson {
                deal: DealJson::of(&company, deal),
                product: ProductJson::of(&company, product, attachment),
            };
            Some(BTreeMap::from([(deal.id.to_string(), entry)]))
        })
        .collect();
    Ok(ApiResponse::json(
        200,
        &FullBody {
            success: true,
            data: (!data.is_empty()).then_some(data),
            additional_data: Paged { pagination },
            related_objects: None,
        },
    ))
}
