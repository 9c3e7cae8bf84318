//! Seed writes applied to a company through the model's own writes (the calls the API
//! and the typed handle make), so every projection comes out as the original's. Left-out
//! ids, times and actors take their defaults here.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::super::company::{Company, ModelError, PersonPatch};
use super::super::fields::{FieldDef, FieldOption};
use super::super::model::{
    Activity, ContactEntry, Deal, DealProduct, DealStatus, File, Id, MailMessage, Note,
    Organization, Picture, Product, User,
};
use super::super::related::capitalised;
use super::super::time;
use super::entries::{
    ActivityEntry, ContactEntrySeed, DealEntry, FieldEntry, FileEntry, FollowerEntry, MailEntry,
    MergeEntry, NoteEntry, PersonDeleteEntry, PersonEntry, PictureDeleteEntry, PictureEntry,
    UserEntry, Write,
};
use super::timestamp::SeedTime;
use crate::seed::SeedError;

/// User ids are unique across the mock: the ones taken (by the state and by the seed so
/// far) and the highest.
#[derive(Debug, Default)]
pub struct UserIds {
    taken: HashSet<Id>,
    last: Id,
}

impl UserIds {
    /// The ids `users` already take, the highest issued being `last`.
    pub fn new(users: impl Iterator<Item = Id>, last: Id) -> Self {
        let taken: HashSet<Id> = users.collect();
        let last = taken.iter().copied().fold(last, Id::max);
        Self { taken, last }
    }

    /// `wanted` if free (0: the next id), and takes it.
    fn take(&mut self, wanted: Id, path: &str) -> Result<Id, SeedError> {
        let id = if wanted == 0 {
            self.last.saturating_add(1)
        } else {
            wanted
        };
        if !self.taken.insert(id) {
            return Err(SeedError::new(
                path,
                format!("user id {id} is already used (user ids are unique across companies)"),
            ));
        }
        self.last = self.last.max(id);
        Ok(id)
    }
}

/// What every write of one load shares.
#[derive(Debug)]
pub struct Replay<'a> {
    /// "Now" for left-out times.
    pub now: i64,
    /// User ids across the mock.
    pub users: &'a mut UserIds,
}

impl Replay<'_> {
    /// Applies `write`, found at `path` (e.g. `pipedrive.companies[0].log[3]`), to
    /// `company`.
    pub fn apply(
        &mut self,
        company: &mut Company,
        write: &Write,
        path: &str,
    ) -> Result<(), SeedError> {
        let path = format!("{path}.{}", write.key());
        let mut to = Target {
            company,
            path: &path,
            now: self.now,
        };
        match write {
            Write::User(entry) => to.user(entry, self.users),
            Write::Organization(entry) => {
                let owner_id = to.actor(entry.owner_id, "owner_id")?;
                let org = Organization {
                    id: to.id(entry.id, "id")?,
                    name: to.named(&entry.name, "name")?,
                    owner_id,
                    address: entry.address.clone(),
                    people_count: 0,
                };
                to.company
                    .insert_organization(org)
                    .map_err(|e| to.model(e))?;
                Ok(())
            }
            Write::PersonField(entry) => to.field(entry),
            Write::Person(entry) => to.create_person(entry),
            Write::PersonUpdate(entry) => to.update_person(entry),
            Write::PersonDelete(entry) => to.delete_persons(entry),
            Write::PersonMerge(entry) => to.merge(entry),
            Write::Picture(entry) => to.picture(entry),
            Write::PictureDelete(entry) => to.remove_picture(entry),
            Write::Follower(entry) => to.follow(entry, true),
            Write::FollowerDelete(entry) => to.follow(entry, false),
            Write::Deal(entry) => to.deal(entry),
            Write::Activity(entry) => to.activity(entry),
            Write::Note(entry) => to.note(entry),
            Write::File(entry) => to.file(entry),
            Write::MailMessage(entry) => to.mail(entry),
            Write::Product(entry) => {
                let product = Product {
                    id: to.id(entry.id, "id")?,
                    name: entry.name.clone(),
                    code: entry.code.clone(),
                    unit: entry.unit.clone(),
                    owner_id: to.actor(entry.owner_id, "owner_id")?,
                    add_time: to.time(entry.add_time),
                };
                to.company
                    .create_product(product)
                    .map_err(|e| to.model(e))?;
                Ok(())
            }
            Write::DealProduct(entry) => {
                let attachment = DealProduct {
                    id: to.id(entry.id, "id")?,
                    deal_id: entry.deal_id,
                    product_id: entry.product_id,
                    item_price: entry.item_price,
                    quantity: entry.quantity,
                    add_time: to.time(entry.add_time),
                };
                to.company
                    .attach_product(attachment)
                    .map_err(|e| to.model(e))?;
                Ok(())
            }
        }
    }
}

/// One write's company, path and "now".
struct Target<'a> {
    company: &'a mut Company,
    path: &'a str,
    now: i64,
}

impl Target<'_> {
    /// The error at `field` of this write.
    fn error(&self, field: &str, message: impl Into<String>) -> SeedError {
        SeedError::new(format!("{}.{field}", self.path), message)
    }

    /// The model's refusal of this write.
    fn model(&self, error: ModelError) -> SeedError {
        SeedError::new(self.path, error.to_string())
    }

    /// An explicit id (never 0), or 0 for "the next one".
    fn id(&self, id: Option<Id>, field: &str) -> Result<Id, SeedError> {
        match id {
            Some(0) => Err(self.error(field, "ids start at 1")),
            Some(id) => Ok(id),
            None => Ok(0),
        }
    }

    /// `time`, or "now".
    fn time(&self, time: Option<SeedTime>) -> i64 {
        time.map_or(self.now, |time| time.0)
    }

    /// A non-blank name.
    fn named(&self, name: &str, field: &str) -> Result<String, SeedError> {
        if name.trim().is_empty() {
            return Err(self.error(field, "must not be empty"));
        }
        Ok(name.to_owned())
    }

    /// User `given` of this company, or the company's first user (lowest id).
    fn actor(&self, given: Option<Id>, field: &str) -> Result<Id, SeedError> {
        match given {
            Some(id) => self.user_of_company(id, field),
            None => self.company.users.keys().next().copied().ok_or_else(|| {
                self.error(
                    field,
                    "left out, and the company has no user yet to default to: add a `user` write first",
                )
            }),
        }
    }

    fn user_of_company(&self, id: Id, field: &str) -> Result<Id, SeedError> {
        if self.company.users.contains_key(&id) {
            Ok(id)
        } else {
            Err(self.error(
                field,
                format!("user {id} is not a user of company {}", self.company.id),
            ))
        }
    }

    /// Person `id` if it is active.
    fn active(&self, id: Id, field: &str) -> Result<Id, SeedError> {
        self.company
            .active_person(id)
            .map(|_| id)
            .map_err(|_| self.error(field, format!("person {id} does not exist or is deleted")))
    }

    fn user(&mut self, entry: &UserEntry, users: &mut UserIds) -> Result<(), SeedError> {
        let wanted = self.id(entry.id, "id")?;
        let user = User {
            id: users.take(wanted, &format!("{}.id", self.path))?,
            name: self.named(&entry.name, "name")?,
            email: entry.email.clone(),
            is_admin: entry.is_admin,
        };
        self.company.add_user(user);
        Ok(())
    }

    fn field(&mut self, entry: &FieldEntry) -> Result<(), SeedError> {
        let options = entry
            .options
            .iter()
            .enumerate()
            .map(|(at, option)| {
                Ok(FieldOption {
                    id: self.id(option.id, &format!("options[{at}].id"))?,
                    label: option.label.clone(),
                })
            })
            .collect::<Result<Vec<_>, SeedError>>()?;
        let field = FieldDef {
            id: self.id(entry.id, "id")?,
            key: entry.key.clone().unwrap_or_default(),
            name: entry.name.clone(),
            field_type: entry.field_type,
            options,
            add_time: self.time(entry.add_time),
        };
        self.company
            .insert_field(field)
            .map_err(|e| self.model(e))?;
        Ok(())
    }

    /// The model's patch for a person write: custom values checked against the fields as
    /// API v2 checks them.
    fn patch(&self, entry: &PersonEntry) -> Result<PersonPatch, SeedError> {
        let contacts = |entries: &Option<Vec<ContactEntrySeed>>| {
            entries.as_ref().map(|entries| {
                entries
                    .iter()
                    .map(|entry| ContactEntry {
                        value: entry.value.clone(),
                        primary: entry.primary,
                        label: entry.label.clone(),
                    })
                    .collect()
            })
        };
        let custom = entry
            .custom_fields
            .iter()
            .map(|(key, value)| self.custom_value(key, value))
            .collect::<Result<Vec<_>, SeedError>>()?;
        Ok(PersonPatch {
            name: entry.name.clone(),
            owner_id: entry.owner_id,
            org_id: entry.org_id,
            emails: contacts(&entry.emails),
            phones: contacts(&entry.phones),
            visible_to: entry.visible_to,
            label_ids: entry.label_ids.clone(),
            custom,
            add_time: entry.add_time.map(|time| time.0),
        })
    }

    fn custom_value(&self, key: &str, value: &Value) -> Result<(String, Option<Value>), SeedError> {
        let field = format!("custom_fields.{key}");
        let definition = self
            .company
            .field(key)
            .ok_or_else(|| self.error(&field, "no person field has this key (yet)"))?;
        let value = definition
            .parse_v2(value)
            .map_err(|message| self.error(&field, message))?;
        Ok((key.to_owned(), value))
    }

    fn create_person(&mut self, entry: &PersonEntry) -> Result<(), SeedError> {
        let id = self.id(entry.id, "id")?;
        let patch = self.patch(entry)?;
        let actor = self.actor(entry.actor_user_id, "actor_user_id")?;
        let now = self.time(entry.time);
        self.company
            .insert_person(id, patch, actor, now)
            .map_err(|e| self.model(e))?;
        Ok(())
    }

    fn update_person(&mut self, entry: &PersonEntry) -> Result<(), SeedError> {
        let id = entry
            .id
            .ok_or_else(|| self.error("id", "person_update needs the id of the person"))?;
        self.active(id, "id")?;
        let patch = self.patch(entry)?;
        let actor = self.actor(entry.actor_user_id, "actor_user_id")?;
        let now = self.time(entry.time);
        self.company
            .update_person(id, patch, actor, now)
            .map_err(|e| self.model(e))
    }

    fn delete_persons(&mut self, entry: &PersonDeleteEntry) -> Result<(), SeedError> {
        if entry.ids.is_empty() {
            return Err(self.error("ids", "must name at least one person"));
        }
        let mut seen = BTreeSet::new();
        for (at, id) in entry.ids.iter().enumerate() {
            let field = format!("ids[{at}]");
            self.active(*id, &field)?;
            if !seen.insert(*id) {
                return Err(self.error(&field, format!("person {id} is listed twice")));
            }
        }
        self.company
            .delete_persons(&entry.ids, self.time(entry.time));
        Ok(())
    }

    fn merge(&mut self, entry: &MergeEntry) -> Result<(), SeedError> {
        self.active(entry.id, "id")?;
        self.active(entry.merge_with_id, "merge_with_id")?;
        let actor = self.actor(entry.actor_user_id, "actor_user_id")?;
        let now = self.time(entry.time);
        self.company
            .merge_persons(entry.id, entry.merge_with_id, actor, now)
            .map_err(|e| self.model(e))
    }

    fn picture(&mut self, entry: &PictureEntry) -> Result<(), SeedError> {
        self.active(entry.person_id, "person_id")?;
        let now = self.time(entry.time);
        let picture = Picture {
            id: self.id(entry.id, "id")?,
            added_by_user_id: self.actor(entry.added_by_user_id, "added_by_user_id")?,
            file_size: entry.file_size,
            add_time: entry.add_time.map_or(now, |time| time.0),
        };
        self.company
            .set_picture(entry.person_id, Some(picture), now)
            .map_err(|e| self.model(e))?;
        Ok(())
    }

    fn remove_picture(&mut self, entry: &PictureDeleteEntry) -> Result<(), SeedError> {
        self.active(entry.person_id, "person_id")?;
        let now = self.time(entry.time);
        self.company
            .set_picture(entry.person_id, None, now)
            .map_err(|e| self.model(e))?;
        Ok(())
    }

    fn follow(&mut self, entry: &FollowerEntry, follows: bool) -> Result<(), SeedError> {
        self.active(entry.person_id, "person_id")?;
        self.user_of_company(entry.user_id, "user_id")?;
        let actor = self.actor(entry.actor_user_id, "actor_user_id")?;
        let now = self.time(entry.time);
        let done = if follows {
            self.company
                .follow(entry.person_id, entry.user_id, actor, now)
        } else {
            self.company
                .unfollow(entry.person_id, entry.user_id, actor, now)
        };
        done.map(|_| ()).map_err(|e| self.model(e))
    }

    fn deal(&mut self, entry: &DealEntry) -> Result<(), SeedError> {
        let add_time = self.time(entry.add_time);
        let update_time = entry.update_time.map_or(add_time, |time| time.0);
        let status = entry.status.unwrap_or(DealStatus::Open);
        let closed = |given: Option<SeedTime>, at: DealStatus| {
            given
                .map(|time| time.0)
                .or_else(|| (status == at).then_some(update_time))
        };
        let mut participants = BTreeMap::new();
        for (at, participant) in entry.participants.iter().enumerate() {
            let relation = match self.id(participant.id, &format!("participants[{at}].id"))? {
                0 => self.company.next_id("participant"),
                id => id,
            };
            if participants
                .insert(participant.person_id, relation)
                .is_some()
            {
                return Err(self.error(
                    &format!("participants[{at}].person_id"),
                    format!("person {} takes part twice", participant.person_id),
                ));
            }
        }
        let deal = Deal {
            id: self.id(entry.id, "id")?,
            title: entry.title.clone(),
            value: entry.value.unwrap_or(0.0),
            currency: entry.currency.clone().unwrap_or_else(|| "EUR".into()),
            status,
            owner_id: self.actor(entry.owner_id, "owner_id")?,
            person_id: entry.person_id,
            org_id: entry.org_id,
            participants,
            lost_reason: entry.lost_reason.clone(),
            visible_to: entry.visible_to.unwrap_or(3),
            add_time,
            update_time,
            won_time: closed(entry.won_time, DealStatus::Won),
            lost_time: closed(entry.lost_time, DealStatus::Lost),
            delete_time: entry.delete_time.map(|time| time.0),
        };
        self.company.restore_deal(deal).map_err(|e| self.model(e))?;
        Ok(())
    }

    fn activity(&mut self, entry: &ActivityEntry) -> Result<(), SeedError> {
        let add_time = self.time(entry.add_time);
        let update_time = entry.update_time.map_or(add_time, |time| time.0);
        let kind = entry.kind.clone().unwrap_or_else(|| "call".into());
        let activity = Activity {
            id: self.id(entry.id, "id")?,
            subject: entry.subject.clone().unwrap_or_else(|| capitalised(&kind)),
            kind,
            owner_id: self.actor(entry.owner_id, "owner_id")?,
            person_id: entry.person_id,
            deal_id: entry.deal_id,
            org_id: entry.org_id,
            participants: entry
                .participants
                .iter()
                .map(|participant| (participant.person_id, participant.primary))
                .collect(),
            due_date: entry
                .due_date
                .clone()
                .unwrap_or_else(|| time::date(add_time)),
            due_time: entry.due_time.clone().unwrap_or_default(),
            duration: entry.duration.clone().unwrap_or_default(),
            done: entry.done,
            marked_as_done_time: entry
                .marked_as_done_time
                .map(|time| time.0)
                .or_else(|| entry.done.then_some(update_time)),
            note: entry.note.clone(),
            add_time,
            update_time,
            delete_time: entry.delete_time.map(|time| time.0),
        };
        self.company
            .restore_activity(activity)
            .map_err(|e| self.model(e))?;
        Ok(())
    }

    fn note(&mut self, entry: &NoteEntry) -> Result<(), SeedError> {
        let add_time = self.time(entry.add_time);
        let note = Note {
            id: self.id(entry.id, "id")?,
            content: entry.content.clone(),
            user_id: self.actor(entry.user_id, "user_id")?,
            person_id: entry.person_id,
            deal_id: entry.deal_id,
            org_id: entry.org_id,
            add_time,
            update_time: entry.update_time.map_or(add_time, |time| time.0),
            delete_time: entry.delete_time.map(|time| time.0),
        };
        self.company.restore_note(note).map_err(|e| self.model(e))?;
        Ok(())
    }

    fn file(&mut self, entry: &FileEntry) -> Result<(), SeedError> {
        if let Some(person) = entry.person_id {
            self.active(person, "person_id")?;
        }
        if let Some(deal) = entry
            .deal_id
            .filter(|deal| !self.company.deals.contains_key(deal))
        {
            return Err(self.error("deal_id", format!("deal {deal} does not exist")));
        }
        let file_type = entry.file_type.clone().unwrap_or_else(|| {
            entry
                .file_name
                .rsplit_once('.')
                .map(|(_, extension)| extension.to_ascii_lowercase())
                .unwrap_or_default()
        });
        let file = File {
            id: self.id(entry.id, "id")?,
            user_id: self.actor(entry.user_id, "user_id")?,
            person_id: entry.person_id,
            deal_id: entry.deal_id,
            file_name: self.named(&entry.file_name, "file_name")?,
            file_type,
            file_size: entry.file_size,
            add_time: self.time(entry.add_time),
        };
        self.company.attach_file(file).map_err(|e| self.model(e))?;
        Ok(())
    }

    fn mail(&mut self, entry: &MailEntry) -> Result<(), SeedError> {
        for (at, person) in entry.person_ids.iter().enumerate() {
            self.active(*person, &format!("person_ids[{at}]"))?;
        }
        let add_time = self.time(entry.add_time);
        let id = self.id(entry.id, "id")?;
        let user_id = self.actor(entry.user_id, "user_id")?;
        let thread_id = match self.id(entry.mail_thread_id, "mail_thread_id")? {
            0 => self.company.next_id("thread"),
            thread => thread,
        };
        let message = MailMessage {
            id,
            user_id,
            thread_id,
            from: entry.from.clone(),
            to: entry.to.clone(),
            subject: entry.subject.clone(),
            snippet: entry
                .snippet
                .clone()
                .unwrap_or_else(|| entry.subject.chars().take(100).collect()),
            sent: entry.sent_flag,
            message_time: entry.message_time.map_or(add_time, |time| time.0),
            person_ids: entry.person_ids.iter().copied().collect(),
            add_time,
        };
        self.company
            .record_mail(message)
            .map_err(|e| self.model(e))?;
        Ok(())
    }
}
