//! The read handlers of both API versions: persons (lists, search, details), their related
//! records (deals, activities, files, mail, followers, permitted users), person fields, and
//! deals, activities and notes by id. A person's flow, changelog and products are in
//! [`super::feed`]. Each handler checks the caller's scope, then reads the caller's company
//! under a read lock and renders with its version's renderer.

use std::borrow::Cow;

use super::context::Caller;
use super::error::PipedriveError;
use super::model::Person;
use super::params::{self, Version};
use super::render::{SearchItemJson, SearchOrgJson, SearchOwnerJson, SearchPersonJson};
use super::search::{self, SearchField};
use super::tenant::Company;
use crate::http::{ApiRequest, ApiResponse};

/// What a handler answers: a response, or the error to answer instead.
type Answer = Result<ApiResponse, PipedriveError>;

/// Every search hit for the request's `term`, `fields`, `exact_match` and
/// `organization_id`, best first (ties by id).
fn search_hits(
    company: &Company,
    caller: &Caller,
    request: &ApiRequest,
    version: Version,
) -> Result<Vec<SearchItemJson>, PipedriveError> {
    let exact = params::bool_param(request, "exact_match", version)?.unwrap_or(false);
    let Some(term) = params::param(request, "term")
        .map(str::trim)
        .filter(|term| !term.is_empty())
    else {
        return Err(PipedriveError::search("\"term\" is required", vec!["term"]));
    };
    let minimum = if exact { 1 } else { 2 };
    if term.chars().count() < minimum {
        return Err(PipedriveError::search(
            format!("\"term\" length must be at least {minimum} characters long"),
            vec!["term"],
        ));
    }
    let fields: Vec<SearchField> = match params::param(request, "fields") {
        None => SearchField::ALL.to_vec(),
        Some(raw) => raw
            .split(',')
            .map(|name| SearchField::parse(name.trim()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                PipedriveError::search(
                    "\"fields\" must be one of [custom_fields, email, notes, phone, name]",
                    vec!["fields"],
                )
            })?,
    };
    let organization = params::int_param(request, "organization_id", version)?;
    let digits: String = term.chars().filter(char::is_ascii_digit).collect();
    let by_digits = fields.contains(&SearchField::Phone) && digits.len() >= minimum;
    let candidates = match (company.search.candidates(term), by_digits) {
        (Some(mut candidates), true) => company
            .search
            .candidates(&digits)
            .map(|more| candidates.extend(more))
            .map(|()| candidates),
        (candidates, _) => candidates,
    };
    let candidates: Box<dyn Iterator<Item = &Person>> = match candidates {
        Some(ids) => Box::new(ids.into_iter().filter_map(|id| company.persons.get(&id))),
        None => Box::new(company.persons.values()),
    };
    let mut hits: Vec<SearchItemJson> = candidates
        .filter(|person| person.is_active() && company.can_see(person, &caller.user))
        .filter(|person| organization.is_none_or(|org| person.org_id == Some(org)))
        .filter_map(|person| hit(company, person, term, &fields, exact))
        .collect();
    hits.sort_by(|a, b| {
        b.result_score
            .total_cmp(&a.result_score)
            .then(a.item.id.cmp(&b.item.id))
    });
    Ok(hits)
}

fn hit(
    company: &Company,
    person: &Person,
    term: &str,
    fields: &[SearchField],
    exact: bool,
) -> Option<SearchItemJson> {
    let mut best: Option<f64> = None;
    let mut matched = |field: SearchField| -> Vec<String> {
        company
            .search_texts(person, field)
            .into_iter()
            .filter(|text| {
                let score = search::score(text, term, field, exact);
                if let Some(score) = score {
                    best = Some(best.map_or(score, |best: f64| best.max(score)));
                }
                score.is_some()
            })
            .map(Cow::into_owned)
            .collect()
    };
    let mut custom_fields = Vec::new();
    let mut notes = Vec::new();
    for field in fields {
        match field {
            SearchField::CustomFields => custom_fields = matched(*field),
            SearchField::Notes => notes = matched(*field),
            other => {
                matched(*other);
            }
        }
    }
    let score = best?;
    let org = person.org_id.and_then(|id| company.orgs.get(&id));
    Some(SearchItemJson {
        result_score: (score * 10_000.0).round() / 10_000.0,
        item: SearchPersonJson {
            id: person.id,
            r#type: "person",
            name: person.name.clone(),
            phones: person
                .phones
                .iter()
                .map(|entry| entry.value.clone())
                .collect(),
            emails: person
                .emails
                .iter()
                .map(|entry| entry.value.clone())
                .collect(),
            visible_to: person.visible_to,
            owner: SearchOwnerJson {
                id: person.owner_id,
            },
            organization: org.map(|org| SearchOrgJson {
                id: org.id,
                name: org.name.clone(),
                address: org.address.clone(),
            }),
            custom_fields,
            notes,
        },
    })
}

/// API v1 (`/v1` and `/api/v1`).
pub mod v1 {
    use super::super::context::{
        ACTIVITIES_READ, CONTACTS_READ, Context, DEALS_READ, FIELDS_READ, MAIL_READ, SEARCH_READ,
        readable_person, visible_person,
    };
    use super::super::error::PipedriveError;
    use super::super::model::{Activity, Deal, DealStatus, Id, Person};
    use super::super::params::{self, MAX_LIMIT, Version};
    use super::super::render::{
        self, Cursored, DataBody, ListTail, Pagination, SearchData, SizeHint,
    };
    use super::super::render_v1::{
        self, ActivitiesExtras, ActivityDistribution, ActivityJson, CollectionPersonJson, DealJson,
        FileJson, FollowerJson, FullBody, MailItemJson, Paged, PersonFieldJson, PersonJson,
        RelatedObjects,
    };
    use super::super::tenant::linked;
    use super::super::time;
    use super::Answer;
    use crate::http::ApiResponse;

    /// Largest page of `GET /persons/{id}/files`.
    const MAX_FILES_LIMIT: usize = 100;

    /// `GET /persons`: offset pages, `user_id`, `first_char` and `sort`.
    pub fn list_persons(cx: &Context<'_>) -> Answer {
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
        static SIZE: SizeHint = SizeHint::new();
        let tail = ListTail {
            additional_data: Paged { pagination },
            related_objects: Some(RelatedObjects::of(&company, &page, true)),
        };
        let write = |person: &&Person, out: &mut Vec<u8>| {
            PersonJson::write_kept(&company, person, out);
        };
        Ok(render::list_response(&SIZE, &page, write, b"null", &tail))
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

    /// `GET /persons/collection` (admins only): cursor pages by id, `since`/`until`,
    /// `owner_id`, `first_char`.
    pub fn collection(cx: &Context<'_>) -> Answer {
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
                        PipedriveError::bad_request(format!(
                            "Invalid {name}: use YYYY-MM-DD HH:MM:SS."
                        ))
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

    /// `GET /persons/search`: offset pages of hits.
    pub fn search(cx: &Context<'_>) -> Answer {
        cx.caller.require(SEARCH_READ)?;
        let company = cx.read()?;
        let hits = super::search_hits(&company, &cx.caller, cx.request, Version::V1)?;
        let (items, pagination) = params::offset_page(hits.into_iter(), cx.request, MAX_LIMIT)?;
        let body = FullBody {
            success: true,
            data: SearchData { items },
            additional_data: Paged { pagination },
            related_objects: None,
        };
        Ok(ApiResponse::json(200, &body))
    }

    /// `GET /persons/{id}`: a person the caller may see, deleted ones flagged.
    pub fn get_person(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        let company = cx.read()?;
        let person = readable_person(&company, &cx.caller, id)?;
        Ok(render_v1::person_response(&company, person, 200, true))
    }

    /// `GET /persons/{id}/followers`.
    pub fn followers(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(CONTACTS_READ, id)?;
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

    fn list_body<T: serde::Serialize>(data: Vec<T>, pagination: Pagination) -> ApiResponse {
        sideloaded_list(data, Paged { pagination }, None)
    }

    /// A v1 list page: `data` (null when empty), `additional_data` and `related_objects`.
    fn sideloaded_list<T: serde::Serialize, A: serde::Serialize>(
        data: Vec<T>,
        additional_data: A,
        related_objects: Option<RelatedObjects<'_>>,
    ) -> ApiResponse {
        let body = FullBody {
            success: true,
            data: (!data.is_empty()).then_some(data),
            additional_data,
            related_objects,
        };
        ApiResponse::json(200, &body)
    }

    /// `GET /persons/{id}/deals`: by `status` (`all_not_deleted` by default).
    pub fn person_deals(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(DEALS_READ, id)?;
        let status = params::param(cx.request, "status").unwrap_or("all_not_deleted");
        let wanted: Box<dyn Fn(&Deal) -> bool> = match status {
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
        let deals = linked(&company.links.deals, &company.deals, id).filter(|deal| wanted(deal));
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

    /// `GET /persons/{id}/activities`: `done`, `exclude`, and the distribution per user.
    pub fn person_activities(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(ACTIVITIES_READ, id)?;
        let done = params::bool_param(cx.request, "done", Version::V1)?;
        let exclude = params::id_list(
            params::param(cx.request, "exclude").unwrap_or_default(),
            "exclude",
            Version::V1,
        )?;
        let activities: Vec<&Activity> = linked(&company.links.activities, &company.activities, id)
            .filter(|activity| !exclude.contains(&activity.id))
            .filter(|activity| done.is_none_or(|done| activity.done == done))
            .collect();
        let activity_distribution = ActivityDistribution::of(&company, &activities);
        let (page, pagination) =
            params::offset_page(activities.into_iter(), cx.request, MAX_LIMIT)?;
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

    /// `GET /persons/{id}/files`.
    pub fn person_files(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(CONTACTS_READ, id)?;
        let files = linked(&company.links.files, &company.files, id);
        let (page, pagination) = params::offset_page(files, cx.request, MAX_FILES_LIMIT)?;
        Ok(list_body(
            page.into_iter()
                .map(|file| FileJson::of(&company, file))
                .collect(),
            pagination,
        ))
    }

    /// `GET /persons/{id}/mailMessages`: newest first.
    pub fn person_mail(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(MAIL_READ, id)?;
        let mut mails: Vec<_> = linked(&company.links.mails, &company.mails, id).collect();
        mails.sort_by(|a, b| b.message_time.cmp(&a.message_time).then(b.id.cmp(&a.id)));
        let (page, pagination) = params::offset_page(mails.into_iter(), cx.request, MAX_LIMIT)?;
        Ok(list_body(
            page.into_iter()
                .map(|mail| MailItemJson::of(&company, mail))
                .collect(),
            pagination,
        ))
    }

    /// `GET /persons/{id}/permittedUsers`.
    pub fn permitted_users(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        let company = cx.read()?;
        let person = visible_person(&company, &cx.caller, id)?;
        Ok(ApiResponse::json(
            200,
            &DataBody::new(company.permitted_users(person)),
        ))
    }

    /// `GET /personFields`: the built-in fields, then the company's custom ones.
    pub fn person_fields(cx: &Context<'_>) -> Answer {
        cx.caller.require(FIELDS_READ)?;
        let company = cx.read()?;
        let all = PersonFieldJson::all(&company);
        let (page, pagination) = params::offset_page(all.into_iter(), cx.request, MAX_LIMIT)?;
        let body = FullBody {
            success: true,
            data: page,
            additional_data: Paged { pagination },
            related_objects: None,
        };
        Ok(ApiResponse::json(200, &body))
    }

    /// `GET /deals/{id}`.
    pub fn get_deal(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(DEALS_READ)?;
        render_v1::deal_response(&*cx.read()?, id, 200)
    }

    /// `GET /activities/{id}`.
    pub fn get_activity(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(ACTIVITIES_READ)?;
        render_v1::activity_response(&*cx.read()?, id, 200)
    }

    /// `GET /notes/{id}`: a live note.
    pub fn get_note(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        render_v1::note_response(&*cx.read()?, id)
    }
}

/// API v2 (`/api/v2`).
pub mod v2 {
    use std::cmp::Ordering;

    use super::super::context::{
        ACTIVITIES_READ, CONTACTS_READ, Context, DEALS_READ, SEARCH_READ, readable_person,
        visible_person,
    };
    use super::super::error::PipedriveError;
    use super::super::model::{Deal, Id, Person};
    use super::super::params::{self, Cursor, MAX_LIMIT, Version};
    use super::super::render::{self, Cursored, DataBody, ListTail, SearchData, SizeHint};
    use super::super::render_v2::{
        self, CursorBody, FollowerChangeJson, FollowerJson, PersonJson, PictureJson,
    };
    use super::super::time;
    use super::Answer;
    use crate::http::ApiResponse;

    /// The sort of `GET /persons`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum SortBy {
        Id,
        UpdateTime,
        AddTime,
    }

    impl SortBy {
        fn name(self) -> &'static str {
            match self {
                SortBy::Id => "id",
                SortBy::UpdateTime => "update_time",
                SortBy::AddTime => "add_time",
            }
        }

        fn key(self, person: &Person) -> (i64, Id) {
            let value = match self {
                SortBy::Id => i64::try_from(person.id).unwrap_or(i64::MAX),
                SortBy::UpdateTime => person.update_time,
                SortBy::AddTime => person.add_time,
            };
            (value, person.id)
        }
    }

    /// `GET /persons`: cursor pages, `sort_by`/`sort_direction`, `ids`, `owner_id`, `org_id`,
    /// `deal_id`, `updated_since`/`updated_until`, shaped by `include_fields` and friends.
    pub fn list_persons(cx: &Context<'_>) -> Answer {
        list_persons_with(cx, true)
    }

    /// `GET /persons`; `fast` lets the default order (id ascending, no `ids`) walk the
    /// persons map lazily instead of collecting, sorting and deduplicating every person (the
    /// answer is the same either way).
    pub(super) fn list_persons_with(cx: &Context<'_>, fast: bool) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        let company = cx.read()?;
        let shape = params::person_shape(cx.request, &company)?;
        let request = cx.request;
        let sort = match params::param(request, "sort_by") {
            None | Some("id") => SortBy::Id,
            Some("update_time") => SortBy::UpdateTime,
            Some("add_time") => SortBy::AddTime,
            Some(_) => {
                return Err(PipedriveError::validation(
                    "sort_by: Expected id, update_time or add_time",
                ));
            }
        };
        let descending = match params::param(request, "sort_direction") {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(PipedriveError::validation(
                    "sort_direction: Expected asc or desc",
                ));
            }
        };
        let limit = params::limit(request, Version::V2, MAX_LIMIT)?;
        let cursor = params::cursor(request, Version::V2)?;
        let ids = params::param(request, "ids")
            .map(|raw| params::id_list(raw, "ids", Version::V2))
            .transpose()?;
        let owner = params::int_param(request, "owner_id", Version::V2)?;
        let org = params::int_param(request, "org_id", Version::V2)?;
        let deal = params::int_param(request, "deal_id", Version::V2)?;
        let bound = |name: &str| {
            params::param(request, name)
                .map(|raw| {
                    time::parse_v2(raw).ok_or_else(|| {
                        PipedriveError::validation(format!(
                            "{name}: Expected an RFC 3339 date-time"
                        ))
                    })
                })
                .transpose()
        };
        let (since, until) = (bound("updated_since")?, bound("updated_until")?);
        let deal_persons = deal.map(|deal| {
            company
                .deals
                .get(&deal)
                .map(Deal::linked_persons)
                .unwrap_or_default()
        });
        let keep = |person: &&Person| {
            person.is_active()
                && company.can_see(person, &cx.caller.user)
                && owner.is_none_or(|owner| person.owner_id == owner)
                && org.is_none_or(|org| person.org_id == Some(org))
                && deal_persons
                    .as_ref()
                    .is_none_or(|linked| linked.contains(&person.id))
                && since.is_none_or(|since| person.update_time >= since)
                && until.is_none_or(|until| person.update_time < until)
        };
        let at = cursor
            .as_ref()
            .map(|cursor| (cursor.field_value, cursor.id));
        let mut page: Vec<&Person> = if fast && ids.is_none() && sort == SortBy::Id && !descending {
            // The map holds each id once, in id order, and the id sort key is strictly
            // increasing in the id: sorting and deduplicating change nothing, and the persons
            // before the cursor are a prefix. Ids below a non-negative cursor value sort
            // before it, so the walk may start there.
            let from = at.map_or(0, |(value, _)| u64::try_from(value).unwrap_or(0));
            company
                .persons
                .range(from..)
                .map(|(_, person)| person)
                .filter(&keep)
                .skip_while(|person| at.is_some_and(|at| sort.key(person) < at))
                .take(limit.saturating_add(1))
                .collect()
        } else {
            let candidates: Box<dyn Iterator<Item = &Person>> = match &ids {
                Some(ids) => Box::new(
                    ids.iter()
                        .take(100)
                        .filter_map(|id| company.persons.get(id)),
                ),
                None => Box::new(company.persons.values()),
            };
            let mut persons: Vec<&Person> = candidates.filter(&keep).collect();
            let order = |a: &&Person, b: &&Person| -> Ordering {
                let order = sort.key(a).cmp(&sort.key(b));
                if descending { order.reverse() } else { order }
            };
            persons.sort_by(order);
            persons.dedup_by_key(|person| person.id);
            let start = match at {
                Some(at) => persons.partition_point(|person| {
                    let key = sort.key(person);
                    if descending { key > at } else { key < at }
                }),
                None => 0,
            };
            persons
                .into_iter()
                .skip(start)
                .take(limit.saturating_add(1))
                .collect()
        };
        let next = (page.len() > limit)
            .then(|| page.pop())
            .flatten()
            .map(|person| {
                Cursor {
                    field: sort.name().into(),
                    field_value: sort.key(person).0,
                    sort_direction: if descending { "desc" } else { "asc" }.into(),
                    id: person.id,
                }
                .encode()
            });
        static SIZE: SizeHint = SizeHint::new();
        let tail: ListTail<_, ()> = ListTail {
            additional_data: Cursored { next_cursor: next },
            related_objects: None,
        };
        let write = |person: &&Person, out: &mut Vec<u8>| {
            PersonJson::write(&company, person, &shape, out);
        };
        Ok(render::list_response(&SIZE, &page, write, b"[]", &tail))
    }

    /// `GET /persons/search`: cursor pages of hits.
    pub fn search(cx: &Context<'_>) -> Answer {
        cx.caller.require(SEARCH_READ)?;
        let company = cx.read()?;
        let limit = params::limit(cx.request, Version::V2, MAX_LIMIT)?;
        let skip = params::cursor(cx.request, Version::V2)?.map_or(0, |cursor| {
            usize::try_from(cursor.field_value).unwrap_or(usize::MAX)
        });
        let hits = super::search_hits(&company, &cx.caller, cx.request, Version::V2)?;
        let total = hits.len();
        let items: Vec<_> = hits.into_iter().skip(skip).take(limit).collect();
        let end = skip.saturating_add(items.len());
        let next = (end < total).then(|| {
            Cursor {
                field: "offset".into(),
                field_value: i64::try_from(end).unwrap_or(i64::MAX),
                sort_direction: "desc".into(),
                id: 0,
            }
            .encode()
        });
        let body = CursorBody {
            success: true,
            data: SearchData { items },
            additional_data: Cursored { next_cursor: next },
        };
        Ok(ApiResponse::json(200, &body))
    }

    /// `GET /persons/{id}`: a person the caller may see, deleted ones flagged.
    pub fn get_person(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        let company = cx.read()?;
        let person = readable_person(&company, &cx.caller, id)?;
        let shape = params::person_shape(cx.request, &company)?;
        Ok(render_v2::person_response(&company, person, &shape))
    }

    /// One cursor page of `items` ordered by a unique `key`.
    fn cursor_page<T, K: Fn(&T) -> i64>(
        items: Vec<T>,
        cx: &Context<'_>,
        key: K,
    ) -> Result<(Vec<T>, Option<String>), PipedriveError> {
        let limit = params::limit(cx.request, Version::V2, MAX_LIMIT)?;
        let after = params::cursor(cx.request, Version::V2)?.map(|cursor| cursor.field_value);
        let mut page: Vec<T> = items
            .into_iter()
            .filter(|item| after.is_none_or(|after| key(item) >= after))
            .take(limit.saturating_add(1))
            .collect();
        let next = (page.len() > limit)
            .then(|| page.pop())
            .flatten()
            .map(|item| {
                let value = key(&item);
                Cursor {
                    field: "id".into(),
                    field_value: value,
                    sort_direction: "asc".into(),
                    id: u64::try_from(value).unwrap_or_default(),
                }
                .encode()
            });
        Ok((page, next))
    }

    /// `GET /persons/{id}/followers`: cursor pages by relation id.
    pub fn followers(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(CONTACTS_READ, id)?;
        let mut all: Vec<_> = company
            .followers
            .get(&id)
            .into_iter()
            .flat_map(|f| f.values().copied())
            .collect();
        all.sort_by_key(|follower| follower.id);
        let (page, next) = cursor_page(all, cx, |follower| {
            i64::try_from(follower.id).unwrap_or(i64::MAX)
        })?;
        let body = CursorBody {
            success: true,
            data: page.iter().map(FollowerJson::of).collect::<Vec<_>>(),
            additional_data: Cursored { next_cursor: next },
        };
        Ok(ApiResponse::json(200, &body))
    }

    /// `GET /persons/{id}/followers/changelog`: cursor pages, oldest first.
    pub fn follower_changelog(cx: &Context<'_>, id: Id) -> Answer {
        let company = cx.read_person(CONTACTS_READ, id)?;
        let changes: Vec<(usize, _)> = company
            .follower_changes
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .enumerate()
            .collect();
        let (page, next) = cursor_page(changes, cx, |(at, _)| {
            i64::try_from(*at).unwrap_or(i64::MAX)
        })?;
        let data: Vec<FollowerChangeJson> = page
            .iter()
            .map(|(_, change)| FollowerChangeJson::of(change))
            .collect();
        Ok(ApiResponse::json(
            200,
            &CursorBody {
                success: true,
                data,
                additional_data: Cursored { next_cursor: next },
            },
        ))
    }

    /// `GET /deals/{id}`.
    pub fn get_deal(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(DEALS_READ)?;
        render_v2::deal_response(&*cx.read()?, id)
    }

    /// `GET /activities/{id}`.
    pub fn get_activity(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(ACTIVITIES_READ)?;
        render_v2::activity_response(&*cx.read()?, id)
    }

    /// `GET /persons/{id}/picture`: 404 when the person has none.
    pub fn picture(cx: &Context<'_>, id: Id) -> Answer {
        cx.caller.require(CONTACTS_READ)?;
        let company = cx.read()?;
        let person = visible_person(&company, &cx.caller, id)?;
        let picture = person
            .picture
            .ok_or_else(|| PipedriveError::not_found("Picture not found"))?;
        Ok(ApiResponse::json(
            200,
            &DataBody::new(PictureJson::of(&company, id, &picture)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::RwLock;

    use serde_json::Value;

    use super::super::context::{Caller, Context};
    use super::super::keys::Credential;
    use super::super::log::{Entry, FollowerEntry, PersonDeleteEntry, PersonEntry, UserEntry};
    use super::super::model::Id;
    use super::super::params::Cursor;
    use super::super::state::PipedriveState;
    use super::v1;
    use super::v2::list_persons_with;
    use crate::Timestamp;
    use crate::clock::Clock;
    use crate::http::ApiRequest;

    const COMPANY: Id = 1;
    const START: i64 = 1_767_225_600;

    /// A company with gaps in the person ids, deleted persons, and private persons that
    /// only their owner, an admin or a follower sees; answers the state and the users.
    fn company() -> (RwLock<PipedriveState>, Vec<Id>) {
        let mut state = PipedriveState::default();
        let mut apply = |entry: Entry, at: i64| {
            state
                .apply(COMPANY, entry, Timestamp::from_unix_seconds(at))
                .unwrap()
        };
        let users: Vec<Id> = [("Admin", true), ("Seller", false), ("Other", false)]
            .iter()
            .map(|(name, is_admin)| {
                let user = UserEntry {
                    id: None,
                    name: (*name).to_owned(),
                    email: format!("{name}@x.test"),
                    is_admin: *is_admin,
                };
                apply(Entry::User(user), START)
            })
            .collect();
        let mut ids = Vec::new();
        for at in 0..60_u64 {
            let owner = users[usize::try_from(at % 3).unwrap()];
            let person = PersonEntry {
                id: Some(3 * at + 2 + at % 2),
                name: Some(format!(
                    "{} Person {at}",
                    ["Ann", "Bob", "Cy"][usize::try_from(at % 3).unwrap()]
                )),
                owner_id: Some(owner),
                visible_to: Some(if at % 4 == 1 { 1 } else { 3 }),
                actor_user_id: Some(owner),
                ..PersonEntry::default()
            };
            let now = START + i64::try_from(at * 7 % 11).unwrap();
            ids.push(apply(Entry::Person(person), now));
        }
        let deleted: Vec<Id> = ids.iter().copied().filter(|id| id % 5 == 0).collect();
        apply(
            Entry::PersonDelete(PersonDeleteEntry {
                ids: deleted.clone(),
                time: None,
            }),
            START + 20,
        );
        for id in ids.iter().copied().filter(|id| id % 7 == 3) {
            if !deleted.contains(&id) {
                let follow = FollowerEntry {
                    person_id: id,
                    user_id: users[2],
                    actor_user_id: Some(users[0]),
                    time: None,
                };
                apply(Entry::Follower(follow), START + 30);
            }
        }
        (RwLock::new(state), users)
    }

    /// The status and body of `list` for `query`, as `user`.
    fn answer(
        state: &RwLock<PipedriveState>,
        user: Id,
        query: &str,
        list: fn(&Context<'_>, bool) -> Result<crate::http::ApiResponse, super::PipedriveError>,
        fast: bool,
    ) -> (u16, Vec<u8>) {
        let clock = Clock::frozen_at(START + 100);
        let request = ApiRequest::new("GET", &format!("/x?{query}"));
        let user = state
            .read()
            .unwrap()
            .company(COMPANY)
            .unwrap()
            .user(user)
            .unwrap()
            .clone();
        let cx = Context {
            state,
            clock: &clock,
            request: &request,
            caller: Caller {
                company: COMPANY,
                credential: Credential {
                    company: COMPANY,
                    user: user.id,
                    scopes: None,
                },
                user,
            },
        };
        let response = match list(&cx, fast) {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        (response.status, response.body)
    }

    /// The ids `user` may list, in id order, with `owner` if given.
    fn visible(state: &RwLock<PipedriveState>, user: Id, owner: Option<Id>) -> Vec<Id> {
        let state = state.read().unwrap();
        let company = state.company(COMPANY).unwrap();
        let user = company.user(user).unwrap();
        company
            .persons
            .values()
            .filter(|person| person.is_active() && company.can_see(person, user))
            .filter(|person| owner.is_none_or(|owner| person.owner_id == owner))
            .map(|person| person.id)
            .collect()
    }

    fn cursor(field: &str, value: i64, id: Id) -> String {
        Cursor {
            field: field.into(),
            field_value: value,
            sort_direction: "asc".into(),
            id,
        }
        .encode()
    }

    #[test]
    fn v2_fast_pages_match_the_general_path() {
        let (state, users) = company();
        let same = |user: Id, query: &str| -> Value {
            let fast = answer(&state, user, query, list_persons_with, true);
            let general = answer(&state, user, query, list_persons_with, false);
            assert_eq!(
                fast,
                general,
                "{query}: {}",
                String::from_utf8_lossy(&fast.1)
            );
            serde_json::from_slice(&fast.1).unwrap()
        };
        for &user in &users {
            for owner in [None, Some(users[1])] {
                let expected = visible(&state, user, owner);
                assert!(expected.len() > 10);
                for limit in [1, 2, 3, 7, 20, 100, 500] {
                    let mut seen = Vec::new();
                    let mut next: Option<String> = None;
                    loop {
                        let mut query = format!("limit={limit}");
                        if let Some(owner) = owner {
                            query.push_str(&format!("&owner_id={owner}"));
                        }
                        if let Some(cursor) = &next {
                            query.push_str(&format!("&cursor={cursor}"));
                        }
                        let body = same(user, &query);
                        let data = body["data"].as_array().unwrap();
                        assert!(data.len() <= limit);
                        seen.extend(data.iter().map(|person| person["id"].as_u64().unwrap()));
                        match body["additional_data"]["next_cursor"].as_str() {
                            Some(cursor) => next = Some(cursor.to_owned()),
                            None => break,
                        }
                    }
                    assert_eq!(
                        seen, expected,
                        "user {user}, owner {owner:?}, limit {limit}"
                    );
                    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), expected.len());
                }
            }
            let last = i64::try_from(*visible(&state, users[0], None).last().unwrap()).unwrap();
            let values = (-3..=last + 3).chain([i64::MIN, i64::MAX - 1, i64::MAX]);
            for value in values {
                let id = u64::try_from(value).unwrap_or(0);
                for id in [0, id.saturating_sub(1), id, id.saturating_add(1), u64::MAX] {
                    for field in ["id", "update_time"] {
                        for limit in [1, 4] {
                            same(
                                user,
                                &format!("limit={limit}&cursor={}", cursor(field, value, id)),
                            );
                        }
                    }
                }
            }
            for query in [
                "",
                "limit=0",
                "limit=501",
                "cursor=zz",
                "sort_by=id&sort_direction=asc&limit=5",
                "sort_by=id&sort_direction=desc&limit=5",
                "sort_by=update_time&limit=5",
                "ids=9,3,9,5&limit=2",
                "updated_since=2026-01-01T00:00:05Z&limit=3",
                "include_fields=nope",
            ] {
                same(user, query);
            }
        }
    }

    #[test]
    fn v1_fast_pages_match_the_general_path() {
        let (state, users) = company();
        let same = |user: Id, query: &str| -> Value {
            let fast = answer(&state, user, query, v1::list_persons_with, true);
            let general = answer(&state, user, query, v1::list_persons_with, false);
            assert_eq!(
                fast,
                general,
                "{query}: {}",
                String::from_utf8_lossy(&fast.1)
            );
            serde_json::from_slice(&fast.1).unwrap()
        };
        for &user in &users {
            for owner in [None, Some(users[1])] {
                let expected = visible(&state, user, owner);
                for limit in [1, 2, 3, 7, 100, 500, 900] {
                    let mut seen = Vec::new();
                    let mut start = 0;
                    loop {
                        let mut query = format!("limit={limit}&start={start}");
                        if let Some(owner) = owner {
                            query.push_str(&format!("&user_id={owner}"));
                        }
                        let body = same(user, &query);
                        let sorted = answer(
                            &state,
                            user,
                            &format!("{query}&sort=id ASC"),
                            v1::list_persons_with,
                            true,
                        );
                        assert_eq!(serde_json::from_slice::<Value>(&sorted.1).unwrap(), body);
                        let data = body["data"].as_array().cloned().unwrap_or_default();
                        seen.extend(data.iter().map(|person| person["id"].as_u64().unwrap()));
                        let pagination = &body["additional_data"]["pagination"];
                        match pagination["next_start"].as_u64() {
                            Some(next) => start = next,
                            None => break,
                        }
                    }
                    assert_eq!(
                        seen, expected,
                        "user {user}, owner {owner:?}, limit {limit}"
                    );
                }
            }
            for query in [
                "",
                "start=1000",
                "limit=0",
                "start=x",
                "first_char=b&limit=3",
                "first_char=b&limit=3&start=2",
                "sort=name DESC&limit=4",
                "sort=bogus",
            ] {
                same(user, query);
            }
        }
    }
}
