//! API v1 bodies, field for field in Pipedrive's order: `YYYY-MM-DD HH:MM:SS` times, owner
//! and organization as embedded objects, `visible_to` as a string, custom fields at the root.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::PipedriveError;
use super::fields::{FieldDef, FieldOption, V1Entry};
use super::model::{
    Activity, ContactEntry, Deal, File, Follower, Id, MailMessage, Note, Organization, Person,
    Picture, User,
};
use super::render::{
    DataBody, Pagination, PictureUrls, cc_email, record_response, success_body, to_json, write_json,
};
use super::rendered::OrgJson;
use super::tenant::Company;
use super::time;
use crate::http::ApiResponse;

/// A success body with `additional_data` and `related_objects`.
#[derive(Serialize)]
pub struct FullBody<'a, T, A> {
    /// Always true.
    pub success: bool,
    /// The payload.
    pub data: T,
    /// Pagination or other extras.
    pub additional_data: A,
    /// Sideloaded users and organizations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_objects: Option<RelatedObjects<'a>>,
}

/// `additional_data.pagination` of an offset-paginated list.
#[derive(Serialize)]
pub struct Paged {
    /// The page.
    pub pagination: Pagination,
}

/// `additional_data` of a person's details.
#[derive(Serialize)]
pub struct DetailExtras {
    /// The person's Smart BCC address.
    pub dropbox_email: String,
}

/// `additional_data` of a person's activities.
#[derive(Serialize)]
pub struct ActivitiesExtras {
    /// The page.
    pub pagination: Pagination,
    /// Every listed activity (all pages) per assigned user.
    pub activity_distribution: ActivityDistribution,
}

/// Activities per assigned user, keyed by stringified user id.
#[derive(Serialize)]
#[serde(transparent)]
pub struct ActivityDistribution(BTreeMap<String, DistributionItem>);

/// One assigned user's share of a person's activities.
#[derive(Serialize)]
pub struct DistributionItem {
    activities: BTreeMap<String, u64>,
    name: String,
    activity_count: u64,
    share: u64,
}

impl ActivityDistribution {
    /// The distribution of `activities` over their assigned users; `share` is the user's
    /// percentage, rounded.
    pub fn of(company: &Company, activities: &[&Activity]) -> Self {
        let mut by_user: BTreeMap<Id, DistributionItem> = BTreeMap::new();
        for activity in activities {
            let item = by_user
                .entry(activity.owner_id)
                .or_insert_with(|| DistributionItem {
                    activities: BTreeMap::new(),
                    name: company
                        .users
                        .get(&activity.owner_id)
                        .map(|user| user.name.clone())
                        .unwrap_or_default(),
                    activity_count: 0,
                    share: 0,
                });
            *item
                .activities
                .entry(String::from(&*activity.kind))
                .or_default() += 1;
            item.activity_count += 1;
        }
        let total = u64::try_from(activities.len()).unwrap_or(u64::MAX).max(1);
        Self(
            by_user
                .into_iter()
                .map(|(user, mut item)| {
                    item.share = item
                        .activity_count
                        .saturating_mul(100)
                        .saturating_add(total / 2)
                        / total;
                    (user.to_string(), item)
                })
                .collect(),
        )
    }
}

/// Sideloaded objects keyed by stringified id.
#[derive(Default, Serialize)]
pub struct RelatedObjects<'a> {
    /// Users.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub user: BTreeMap<String, UserJson<'a>>,
    /// Organizations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub organization: BTreeMap<String, RelatedOrg<'a>>,
    /// Persons (in a person's flow).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub person: BTreeMap<String, RelatedPerson<'a>>,
    /// Deals (in a person's flow).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deal: BTreeMap<String, RelatedDeal>,
    /// Pictures of the persons listed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub picture: BTreeMap<String, PictureJson>,
}

impl<'a> RelatedObjects<'a> {
    /// The owners and organizations of `persons` (and, `with_orgs`, their pictures). A page
    /// shares few owners and organizations among its persons, so each is made once.
    pub fn of(company: &'a Company, persons: &[&Person], with_orgs: bool) -> Self {
        let mut related = Self::default();
        let mut owners: Vec<Id> = Vec::with_capacity(persons.len());
        let mut orgs: Vec<Id> = Vec::with_capacity(persons.len());
        for person in persons {
            if let Some(picture) = person.picture.filter(|_| with_orgs) {
                related.picture.insert(
                    picture.id.to_string(),
                    PictureJson::of(company, person.id, &picture, false),
                );
            }
            owners.push(person.owner_id);
            orgs.extend(person.org_id.filter(|_| with_orgs));
        }
        for ids in [&mut owners, &mut orgs] {
            ids.sort_unstable();
            ids.dedup();
        }
        for id in owners {
            related.add_user(company, id);
        }
        for id in orgs {
            related.add_org(company, Some(id));
        }
        related
    }

    /// Adds user `id` (if it exists) in its related form.
    pub fn add_user(&mut self, company: &'a Company, id: Id) {
        if let Some(user) = company.users.get(&id) {
            self.user
                .insert(user.id.to_string(), UserJson::of(user, false));
        }
    }

    /// Adds organization `id` (if any and it exists).
    pub fn add_org(&mut self, company: &'a Company, id: Option<Id>) {
        if let Some(org) = id.and_then(|id| company.orgs.get(&id)) {
            self.organization
                .insert(org.id.to_string(), RelatedOrg::of(org));
        }
    }

    /// Adds person `id` (if any and it exists) in its compact form.
    pub fn add_person(&mut self, company: &'a Company, id: Option<Id>) {
        if let Some(person) = id.and_then(|id| company.persons.get(&id)) {
            self.person
                .insert(person.id.to_string(), RelatedPerson::of(person));
        }
    }

    /// Adds deal `id` (if any and it exists) in its compact form.
    pub fn add_deal(&mut self, company: &Company, id: Option<Id>) {
        if let Some(deal) = id.and_then(|id| company.deals.get(&id)) {
            self.deal.insert(deal.id.to_string(), RelatedDeal::of(deal));
        }
    }
}

/// A person in `related_objects`.
#[derive(Serialize)]
pub struct RelatedPerson<'a> {
    id: Id,
    name: String,
    active_flag: bool,
    email: Vec<EntryJson<'a>>,
    phone: Vec<EntryJson<'a>>,
    owner_id: Id,
}

impl<'a> RelatedPerson<'a> {
    /// `person` in its compact form.
    pub fn of(person: &'a Person) -> Self {
        Self {
            id: person.id,
            name: person.name.clone(),
            active_flag: person.is_active(),
            email: entries(&person.emails),
            phone: entries(&person.phones),
            owner_id: person.owner_id,
        }
    }
}

/// A deal in `related_objects`.
#[derive(Serialize)]
pub struct RelatedDeal {
    id: Id,
    title: String,
    status: &'static str,
    value: f64,
    currency: String,
}

impl RelatedDeal {
    /// `deal` in its compact form.
    pub fn of(deal: &Deal) -> Self {
        Self {
            id: deal.id,
            title: deal.title.clone(),
            status: deal.status.as_str(),
            value: deal.value,
            currency: deal.currency.clone(),
        }
    }
}

/// A v1 picture object (`picture_id` of a person, `related_objects.picture`, the upload's
/// answer).
#[derive(Serialize)]
pub struct PictureJson {
    id: Id,
    item_type: &'static str,
    item_id: Id,
    active_flag: bool,
    add_time: String,
    update_time: String,
    added_by_user_id: Id,
    pictures: PictureUrls,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Id>,
}

impl PictureJson {
    /// `picture` of person `person`; `embedded` adds `value` (the id) as in `picture_id`.
    pub fn of(company: &Company, person: Id, picture: &Picture, embedded: bool) -> Self {
        Self {
            id: picture.id,
            item_type: "person",
            item_id: person,
            active_flag: true,
            add_time: time::v1(picture.add_time),
            update_time: time::v1(picture.add_time),
            added_by_user_id: picture.added_by_user_id,
            pictures: PictureUrls::of(company, person, picture),
            value: embedded.then_some(picture.id),
        }
    }
}

/// A user, embedded (`value` = id) or in `related_objects`.
#[derive(Serialize)]
pub struct UserJson<'a> {
    id: Id,
    name: &'a str,
    email: &'a str,
    has_pic: u8,
    pic_hash: Option<String>,
    active_flag: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Id>,
}

impl<'a> UserJson<'a> {
    /// `user`, with `value` when embedded.
    pub fn of(user: &'a User, embedded: bool) -> Self {
        Self {
            id: user.id,
            name: &user.name,
            email: &user.email,
            has_pic: 0,
            pic_hash: None,
            active_flag: true,
            value: embedded.then_some(user.id),
        }
    }

    fn missing(id: Id) -> Self {
        Self {
            id,
            name: "",
            email: "",
            has_pic: 0,
            pic_hash: None,
            active_flag: false,
            value: Some(id),
        }
    }
}

/// An organization in `related_objects`.
#[derive(Serialize)]
pub struct RelatedOrg<'a> {
    id: Id,
    name: &'a str,
    people_count: u64,
    owner_id: Id,
    address: Option<&'a str>,
    active_flag: bool,
    cc_email: Option<String>,
}

impl<'a> RelatedOrg<'a> {
    fn of(org: &'a Organization) -> Self {
        Self {
            id: org.id,
            name: &org.name,
            people_count: org.people_count,
            owner_id: org.owner_id,
            address: org.address.as_deref(),
            active_flag: true,
            cc_email: None,
        }
    }
}

#[derive(Serialize)]
struct EmbeddedOrg<'a> {
    name: &'a str,
    people_count: u64,
    owner_id: Id,
    address: Option<&'a str>,
    active_flag: bool,
    cc_email: Option<String>,
    value: Id,
}

impl<'a> EmbeddedOrg<'a> {
    /// `org` as a v1 person embeds it in `org_id`.
    fn of(org: &'a Organization) -> Self {
        Self {
            name: &org.name,
            people_count: org.people_count,
            owner_id: org.owner_id,
            address: org.address.as_deref(),
            active_flag: true,
            cc_email: None,
            value: org.id,
        }
    }
}

/// What a v1 person shows of `org` (the `org_id` object and `org_name`), kept in the
/// organization.
fn org_json(org: &Organization) -> OrgJson {
    OrgJson::new(to_json(&EmbeddedOrg::of(org)), &to_json(&org.name))
}

/// One contact entry; v1 answers a placeholder `{value: "", primary: true}` for none.
#[derive(Serialize)]
pub struct EntryJson<'a> {
    value: &'a str,
    primary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
}

/// Contact entries as v1 renders them (a placeholder entry when there is none).
pub fn entries(list: &[ContactEntry]) -> Vec<EntryJson<'_>> {
    if list.is_empty() {
        return vec![EntryJson {
            value: "",
            primary: true,
            label: None,
        }];
    }
    list.iter()
        .map(|entry| EntryJson {
            value: &entry.value,
            primary: entry.primary,
            label: Some(&entry.label),
        })
        .collect()
}

/// A v1 person.
#[derive(Serialize)]
pub struct PersonJson<'a> {
    id: Id,
    company_id: Id,
    owner_id: UserJson<'a>,
    org_id: Option<EmbeddedOrg<'a>>,
    name: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<String>,
    open_deals_count: u64,
    related_open_deals_count: u64,
    closed_deals_count: u64,
    related_closed_deals_count: u64,
    participant_open_deals_count: u64,
    participant_closed_deals_count: u64,
    email_messages_count: u64,
    activities_count: u64,
    done_activities_count: u64,
    undone_activities_count: u64,
    files_count: u64,
    notes_count: u64,
    followers_count: u64,
    won_deals_count: u64,
    related_won_deals_count: u64,
    lost_deals_count: u64,
    related_lost_deals_count: u64,
    active_flag: bool,
    phone: Vec<EntryJson<'a>>,
    email: Vec<EntryJson<'a>>,
    primary_email: Option<&'a str>,
    first_char: String,
    update_time: String,
    add_time: String,
    visible_to: String,
    picture_id: Option<PictureJson>,
    next_activity_date: Option<&'a str>,
    next_activity_time: Option<String>,
    next_activity_id: Option<Id>,
    last_activity_id: Option<Id>,
    last_activity_date: Option<&'a str>,
    last_incoming_mail_time: Option<String>,
    last_outgoing_mail_time: Option<String>,
    label: Option<Id>,
    label_ids: &'a [Id],
    org_name: Option<&'a str>,
    owner_name: &'a str,
    cc_email: String,
    #[serde(flatten)]
    custom: CustomV1<'a>,
}

/// A v1 person's custom fields at its root, in key order.
struct CustomV1<'a>(Vec<V1Entry<'a>>);

impl Serialize for CustomV1<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

impl<'a> CustomV1<'a> {
    /// The keys and values of `person`'s custom fields (the company's fields in slot order).
    fn of(company: &'a Company, person: &'a Person) -> Self {
        let mut entries: Vec<V1Entry<'a>> = company
            .fields
            .iter()
            .enumerate()
            .flat_map(|(slot, field)| field.render_v1(person.custom.get(slot)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Self(entries)
    }
}

impl<'a> PersonJson<'a> {
    /// `person` as v1 renders it.
    pub fn of(company: &'a Company, person: &'a Person) -> Self {
        let org = person.org_id.and_then(|id| company.orgs.get(&id));
        Self::with_org(company, person, org)
    }

    /// Appends `person` as v1's lists render it to `out`, from its kept rendering (made now
    /// if none is kept) with its organization written into the holes (see
    /// [`super::rendered`]).
    pub fn write_kept(company: &Company, person: &Person, out: &mut Vec<u8>) {
        let kept = person.rendered.v1(|| {
            company.persons.note_kept();
            to_json(&PersonJson::with_org(company, person, None))
        });
        let Some(kept) = kept else {
            return Self::write_fresh(company, person, out);
        };
        let org = person.org_id.and_then(|id| company.orgs.get(&id));
        kept.write(
            out,
            org.map(|org| org.rendered.get_or_init(|| org_json(org))),
        );
    }

    /// Appends `person` as v1 renders it to `out`, afresh.
    pub fn write_fresh(company: &Company, person: &Person, out: &mut Vec<u8>) {
        write_json(&PersonJson::of(company, person), out);
    }

    /// `person` as v1 renders it, embedding `org` (none: `null`s).
    fn with_org(company: &'a Company, person: &'a Person, org: Option<&'a Organization>) -> Self {
        let owner = company.users.get(&person.owner_id);
        let counters = &person.counters;
        let next = counters.next_activity();
        let last = counters.last_activity();
        Self {
            id: person.id,
            company_id: company.id,
            owner_id: owner.map_or_else(
                || UserJson::missing(person.owner_id),
                |user| UserJson::of(user, true),
            ),
            org_id: org.map(EmbeddedOrg::of),
            name: &person.name,
            first_name: person.first_name(),
            last_name: person.last_name(),
            open_deals_count: counters.deals.open,
            related_open_deals_count: counters.related_deals.open,
            closed_deals_count: counters.deals.closed(),
            related_closed_deals_count: counters.related_deals.closed(),
            participant_open_deals_count: counters.participant_deals.open,
            participant_closed_deals_count: counters.participant_deals.closed(),
            email_messages_count: counters.email_messages(),
            activities_count: counters.activities(),
            done_activities_count: counters.done(),
            undone_activities_count: counters.undone(),
            files_count: counters.files,
            notes_count: counters.notes,
            followers_count: counters.followers,
            won_deals_count: counters.deals.won,
            related_won_deals_count: counters.related_deals.won,
            lost_deals_count: counters.deals.lost,
            related_lost_deals_count: counters.related_deals.lost,
            active_flag: person.is_active(),
            phone: entries(&person.phones),
            email: entries(&person.emails),
            primary_email: person.primary_email(),
            first_char: person.first_char(),
            update_time: time::v1(person.update_time),
            add_time: time::v1(person.add_time),
            visible_to: person.visible_to.to_string(),
            picture_id: person
                .picture
                .map(|picture| PictureJson::of(company, person.id, &picture, true)),
            next_activity_date: next.map(|(date, _, _)| &**date),
            next_activity_time: next
                .and_then(|(_, clock, _)| (!clock.is_empty()).then(|| format!("{clock}:00"))),
            next_activity_id: next.map(|(_, _, id)| *id),
            last_activity_id: last.map(|(_, id)| *id),
            last_activity_date: last.map(|(date, _)| &**date),
            last_incoming_mail_time: counters.last_incoming_mail_time().map(time::v1),
            last_outgoing_mail_time: counters.last_outgoing_mail_time().map(time::v1),
            label: person.label_ids.first().copied(),
            label_ids: &person.label_ids,
            org_name: org.map(|org| org.name.as_str()),
            owner_name: owner.map_or("", |user| user.name.as_str()),
            cc_email: cc_email(company, person),
            custom: CustomV1::of(company, person),
        }
    }
}

/// A flat person of `GET /persons/collection`.
#[derive(Serialize)]
pub struct CollectionPersonJson<'a> {
    id: Id,
    active_flag: bool,
    owner_id: Id,
    org_id: Option<Id>,
    name: String,
    email: Vec<EntryJson<'a>>,
    phone: Vec<EntryJson<'a>>,
    update_time: String,
    delete_time: Option<String>,
    add_time: String,
    visible_to: String,
    picture_id: Option<Id>,
    label: Option<Id>,
    label_ids: Vec<Id>,
    cc_email: String,
}

impl<'a> CollectionPersonJson<'a> {
    /// `person` in the collection's flat shape.
    pub fn of(company: &Company, person: &'a Person) -> Self {
        Self {
            id: person.id,
            active_flag: person.is_active(),
            owner_id: person.owner_id,
            org_id: person.org_id,
            name: person.name.clone(),
            email: entries(&person.emails),
            phone: entries(&person.phones),
            update_time: time::v1(person.update_time),
            delete_time: person.delete_time.map(time::v1),
            add_time: time::v1(person.add_time),
            visible_to: person.visible_to.to_string(),
            picture_id: person.picture.map(|picture| picture.id),
            label: person.label_ids.first().copied(),
            label_ids: person.label_ids.clone(),
            cc_email: cc_email(company, person),
        }
    }
}

/// The survivor of a merge: plain owner and organization ids, plus `merge_what_id`.
#[derive(Serialize)]
pub struct MergedPersonJson<'a> {
    id: Id,
    company_id: Id,
    owner_id: Id,
    org_id: Option<Id>,
    name: String,
    first_name: Option<String>,
    last_name: Option<String>,
    open_deals_count: u64,
    closed_deals_count: u64,
    won_deals_count: u64,
    lost_deals_count: u64,
    participant_open_deals_count: u64,
    participant_closed_deals_count: u64,
    email_messages_count: u64,
    activities_count: u64,
    done_activities_count: u64,
    undone_activities_count: u64,
    files_count: u64,
    notes_count: u64,
    followers_count: u64,
    active_flag: bool,
    phone: Vec<EntryJson<'a>>,
    email: Vec<EntryJson<'a>>,
    first_char: String,
    update_time: String,
    add_time: String,
    visible_to: String,
    label: Option<Id>,
    label_ids: Vec<Id>,
    merge_what_id: Id,
}

impl<'a> MergedPersonJson<'a> {
    /// The survivor `person` after merging in `merged_id`.
    pub fn of(company: &Company, person: &'a Person, merged_id: Id) -> Self {
        let counters = &person.counters;
        Self {
            id: person.id,
            company_id: company.id,
            owner_id: person.owner_id,
            org_id: person.org_id,
            name: person.name.clone(),
            first_name: person.first_name().map(str::to_owned),
            last_name: person.last_name(),
            open_deals_count: counters.deals.open,
            closed_deals_count: counters.deals.closed(),
            won_deals_count: counters.deals.won,
            lost_deals_count: counters.deals.lost,
            participant_open_deals_count: counters.participant_deals.open,
            participant_closed_deals_count: counters.participant_deals.closed(),
            email_messages_count: counters.email_messages(),
            activities_count: counters.activities(),
            done_activities_count: counters.done(),
            undone_activities_count: counters.undone(),
            files_count: counters.files,
            notes_count: counters.notes,
            followers_count: counters.followers,
            active_flag: person.is_active(),
            phone: entries(&person.phones),
            email: entries(&person.emails),
            first_char: person.first_char(),
            update_time: time::v1(person.update_time),
            add_time: time::v1(person.add_time),
            visible_to: person.visible_to.to_string(),
            label: person.label_ids.first().copied(),
            label_ids: person.label_ids.clone(),
            merge_what_id: merged_id,
        }
    }
}

/// `{id: [ids]}`.
#[derive(Serialize)]
pub struct IdsJson {
    /// The ids.
    pub id: Vec<Id>,
}

/// A v1 follower relation.
#[derive(Serialize)]
pub struct FollowerJson {
    user_id: Id,
    id: Id,
    person_id: Id,
    add_time: String,
}

impl FollowerJson {
    /// `follower` of `person_id`.
    pub fn of(person_id: Id, follower: &Follower) -> Self {
        Self {
            user_id: follower.user_id,
            id: follower.id,
            person_id,
            add_time: time::v1(follower.add_time),
        }
    }
}

#[derive(Serialize)]
struct DealPersonJson<'a> {
    active_flag: bool,
    name: String,
    email: Vec<EntryJson<'a>>,
    phone: Vec<EntryJson<'a>>,
    owner_id: Id,
    value: Id,
}

/// A v1 deal.
#[derive(Serialize)]
pub struct DealJson<'a> {
    id: Id,
    title: String,
    value: f64,
    currency: String,
    status: &'static str,
    user_id: UserJson<'a>,
    person_id: Option<DealPersonJson<'a>>,
    org_id: Option<Id>,
    person_name: Option<String>,
    participants_count: usize,
    add_time: String,
    update_time: String,
    close_time: Option<String>,
    won_time: Option<String>,
    lost_time: Option<String>,
    lost_reason: Option<String>,
    active: bool,
    deleted: bool,
    visible_to: String,
}

impl<'a> DealJson<'a> {
    /// `deal` as v1 renders it (status `deleted` once deleted).
    pub fn of(company: &'a Company, deal: &Deal) -> Self {
        let person = deal.person_id.and_then(|id| company.persons.get(&id));
        let deleted = deal.delete_time.is_some();
        Self {
            id: deal.id,
            title: deal.title.clone(),
            value: deal.value,
            currency: deal.currency.clone(),
            status: if deleted {
                "deleted"
            } else {
                deal.status.as_str()
            },
            user_id: company.users.get(&deal.owner_id).map_or_else(
                || UserJson::missing(deal.owner_id),
                |user| UserJson::of(user, true),
            ),
            person_id: person.map(|person| DealPersonJson {
                active_flag: person.is_active(),
                name: person.name.clone(),
                email: entries(&person.emails),
                phone: entries(&person.phones),
                owner_id: person.owner_id,
                value: person.id,
            }),
            org_id: deal.org_id,
            person_name: person.map(|person| person.name.clone()),
            participants_count: deal.participants.len(),
            add_time: time::v1(deal.add_time),
            update_time: time::v1(deal.update_time),
            close_time: deal.close_time().map(time::v1),
            won_time: deal.won_time.map(time::v1),
            lost_time: deal.lost_time.map(time::v1),
            lost_reason: deal.lost_reason.clone(),
            active: !deleted && deal.status == super::model::DealStatus::Open,
            deleted,
            visible_to: deal.visible_to.to_string(),
        }
    }
}

/// A deal participant relation.
#[derive(Serialize)]
pub struct ParticipantJson {
    /// Relation id.
    pub id: Id,
    /// Person.
    pub person_id: Id,
    /// Deal.
    pub deal_id: Id,
    /// When added.
    pub add_time: String,
    /// Always true.
    pub active_flag: bool,
}

#[derive(Serialize)]
struct ActivityParticipantJson {
    person_id: Id,
    primary_flag: bool,
}

/// A v1 activity.
#[derive(Serialize)]
pub struct ActivityJson {
    id: Id,
    company_id: Id,
    user_id: Id,
    done: bool,
    r#type: String,
    subject: String,
    due_date: Option<String>,
    due_time: String,
    duration: String,
    person_id: Option<Id>,
    deal_id: Option<Id>,
    org_id: Option<Id>,
    participants: Option<Vec<ActivityParticipantJson>>,
    add_time: String,
    update_time: String,
    marked_as_done_time: String,
    active_flag: bool,
    person_name: Option<String>,
    note: Option<String>,
}

impl ActivityJson {
    /// `activity` as v1 renders it.
    pub fn of(company: &Company, activity: &Activity) -> Self {
        let participants: Vec<ActivityParticipantJson> = activity
            .participants
            .iter()
            .map(|(person_id, primary_flag)| ActivityParticipantJson {
                person_id: *person_id,
                primary_flag: *primary_flag,
            })
            .collect();
        Self {
            id: activity.id,
            company_id: company.id,
            user_id: activity.owner_id,
            done: activity.done,
            r#type: String::from(&*activity.kind),
            subject: String::from(&*activity.subject),
            due_date: Some(String::from(&*activity.due_date)),
            due_time: String::from(&*activity.due_time),
            duration: String::from(&*activity.duration),
            person_id: activity.person_id,
            deal_id: activity.deal_id,
            org_id: activity.org_id,
            participants: (!participants.is_empty()).then_some(participants),
            add_time: time::v1(activity.add_time),
            update_time: time::v1(activity.update_time),
            marked_as_done_time: activity
                .marked_as_done_time
                .map(time::v1)
                .unwrap_or_default(),
            active_flag: activity.delete_time.is_none(),
            person_name: activity
                .person_id
                .and_then(|id| company.persons.get(&id))
                .map(|person| person.name.clone()),
            note: activity.note.as_deref().map(String::from),
        }
    }
}

/// A note.
#[derive(Serialize)]
pub struct NoteJson {
    id: Id,
    user_id: Id,
    content: String,
    person_id: Option<Id>,
    deal_id: Option<Id>,
    org_id: Option<Id>,
    add_time: String,
    update_time: String,
    active_flag: bool,
}

impl NoteJson {
    /// `note` as v1 renders it.
    pub fn of(note: &Note) -> Self {
        Self {
            id: note.id,
            user_id: note.user_id,
            content: note.content.clone(),
            person_id: note.person_id,
            deal_id: note.deal_id,
            org_id: note.org_id,
            add_time: time::v1(note.add_time),
            update_time: time::v1(note.update_time),
            active_flag: note.delete_time.is_none(),
        }
    }
}

/// A file.
#[derive(Serialize)]
pub struct FileJson {
    id: Id,
    user_id: Id,
    deal_id: Option<Id>,
    person_id: Option<Id>,
    org_id: Option<Id>,
    add_time: String,
    update_time: String,
    file_name: String,
    file_type: String,
    file_size: u64,
    active_flag: bool,
    person_name: Option<String>,
    url: String,
    name: String,
    description: Option<String>,
}

impl FileJson {
    /// `file` as v1 renders it.
    pub fn of(company: &Company, file: &File) -> Self {
        Self {
            id: file.id,
            user_id: file.user_id,
            deal_id: file.deal_id,
            person_id: file.person_id,
            org_id: None,
            add_time: time::v1(file.add_time),
            update_time: time::v1(file.add_time),
            file_name: file.file_name.clone(),
            file_type: file.file_type.clone(),
            file_size: file.file_size,
            active_flag: true,
            person_name: file
                .person_id
                .and_then(|id| company.persons.get(&id))
                .map(|person| person.name.clone()),
            url: format!(
                "https://app.pipedrive.com/api/v1/files/{}/download",
                file.id
            ),
            name: file.file_name.clone(),
            description: None,
        }
    }
}

#[derive(Serialize)]
struct PartyJson {
    id: usize,
    email_address: String,
    name: String,
    linked_person_id: Option<Id>,
    linked_person_name: Option<String>,
}

#[derive(Serialize)]
struct MailJson {
    id: Id,
    from: Vec<PartyJson>,
    to: Vec<PartyJson>,
    subject: String,
    snippet: String,
    sent_flag: u8,
    message_time: String,
    add_time: String,
    update_time: String,
    user_id: Id,
    mail_thread_id: Id,
    item_type: &'static str,
    company_id: Id,
}

/// One entry of a person's mail feed.
#[derive(Serialize)]
pub struct MailItemJson {
    object: &'static str,
    timestamp: String,
    data: MailJson,
}

impl MailItemJson {
    /// `mail` as the person mail feed renders it (mail times are ISO with `Z`).
    pub fn of(company: &Company, mail: &MailMessage) -> Self {
        let party = |at: usize, address: &str| {
            let linked = mail
                .person_ids
                .iter()
                .filter_map(|id| company.persons.get(id))
                .find(|person| {
                    person
                        .emails
                        .iter()
                        .any(|email| email.value.eq_ignore_ascii_case(address))
                });
            PartyJson {
                id: at,
                email_address: address.to_owned(),
                name: linked.map(|person| person.name.clone()).unwrap_or_default(),
                linked_person_id: linked.map(|person| person.id),
                linked_person_name: linked.map(|person| person.name.clone()),
            }
        };
        let stamp = time::v2(mail.message_time);
        Self {
            object: "mailMessage",
            timestamp: stamp.clone(),
            data: MailJson {
                id: mail.id,
                from: vec![party(1, &mail.from)],
                to: mail
                    .to
                    .iter()
                    .enumerate()
                    .map(|(at, to)| party(at + 2, to))
                    .collect(),
                subject: mail.subject.clone(),
                snippet: mail.snippet.clone(),
                sent_flag: u8::from(mail.sent),
                message_time: stamp,
                add_time: time::v2(mail.add_time),
                update_time: time::v2(mail.add_time),
                user_id: mail.user_id,
                mail_thread_id: mail.thread_id,
                item_type: "mailMessage",
                company_id: company.id,
            },
        }
    }
}

/// A person's answer: the person, its related objects and, for its details, the Smart BCC
/// address.
pub fn person_response(
    company: &Company,
    person: &Person,
    status: u16,
    detail: bool,
) -> ApiResponse {
    let tail = PersonTail {
        additional_data: detail.then(|| DetailExtras {
            dropbox_email: cc_email(company, person),
        }),
        related_objects: RelatedObjects::of(company, &[person], detail),
    };
    let mut body = Vec::new();
    let data = |out: &mut Vec<u8>| PersonJson::write_kept(company, person, out);
    success_body(&mut body, data, &tail);
    ApiResponse::new(status, "application/json", body)
}

/// What one person's body holds after `data`: `additional_data` only in the details of
/// `GET /persons/{id}`; add and update answer without the key, as Pipedrive's published spec
/// shows them.
#[derive(Serialize)]
struct PersonTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_data: Option<DetailExtras>,
    related_objects: RelatedObjects<'a>,
}

/// Deal `id` (deleted ones included) with `status`, or its 404.
pub fn deal_response(
    company: &Company,
    id: Id,
    status: u16,
) -> Result<ApiResponse, PipedriveError> {
    record_response(&company.deals, id, "Deal", status, |deal| {
        DealJson::of(company, deal)
    })
}

/// Activity `id` (deleted ones included) with `status`, or its 404.
pub fn activity_response(
    company: &Company,
    id: Id,
    status: u16,
) -> Result<ApiResponse, PipedriveError> {
    record_response(&company.activities, id, "Activity", status, |activity| {
        ActivityJson::of(company, activity)
    })
}

/// The live note `id`, or its 404.
pub fn note_response(company: &Company, id: Id) -> Result<ApiResponse, PipedriveError> {
    let note = company.live_note(id)?;
    Ok(ApiResponse::json(200, &DataBody::new(NoteJson::of(note))))
}

/// A person field as `personFields` renders it.
#[derive(Serialize)]
pub struct PersonFieldJson {
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
pub const BUILT_IN_FIELDS: [(&str, &str, &str); 8] = [
    ("name", "Name", "varchar"),
    ("label", "Label", "enum"),
    ("org_id", "Organization", "org"),
    ("owner_id", "Owner", "user"),
    ("email", "Email", "varchar"),
    ("phone", "Phone", "phone"),
    ("visible_to", "Visible to", "visible_to"),
    ("add_time", "Person created", "date"),
];

impl PersonFieldJson {
    /// Every person field of `company`: the built-in ones, then the custom ones.
    pub fn all(company: &Company) -> Vec<Self> {
        let built_in = BUILT_IN_FIELDS
            .iter()
            .enumerate()
            .map(|(at, (key, name, field_type))| Self {
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
            .map(|(at, field)| Self::of(field, BUILT_IN_FIELDS.len() + at));
        built_in.chain(custom).collect()
    }

    /// Custom field `field`, at position `order_nr`.
    pub fn of(field: &FieldDef, order_nr: usize) -> Self {
        Self {
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
}
