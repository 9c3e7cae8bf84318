//! Person entries: create, update, delete, merge, pictures and followers. Each kind is checked
//! (and completed) before it is logged, then projected: the person record, its organization's
//! head count, the search index, the changelog and the followers.

use std::collections::BTreeSet;

use super::counters::{Counters, Sign};
use super::log::{
    CustomValues, FollowerEntry, MergeEntry, PersonDeleteEntry, PersonEntry, PictureDeleteEntry,
    PictureEntry,
};
use super::model::{
    ContactEntry, CustomSlots, FieldChange, Follower, FollowerChange, Id, Person, Picture,
};
use super::rendered::Rendered;
use super::search::SearchField;
use super::table::{SortedVec, Table};
use super::tenant::{Company, ModelError, RecordError, VARCHAR_CHARS, fits, seconds};

/// The visibility values Pipedrive accepts.
pub const VISIBILITY: [u8; 4] = [1, 3, 5, 7];

/// The most e-mail addresses (and, apart, phone numbers) one person keeps. Pipedrive documents
/// no limit; this one bounds what one request can make the mock keep (see docs/pipedrive.md).
pub const MAX_CONTACTS: usize = 100;

/// The visibility of persons created without one (the company default: entire company).
pub const DEFAULT_VISIBILITY: u8 = 3;

impl Company {
    /// `person`: a name is required, the owner defaults to the acting user.
    pub(super) fn check_person(&self, person: &mut PersonEntry) -> Result<Id, RecordError> {
        let actor = self.actor(&mut person.actor_user_id, "actor_user_id")?;
        let name_given = person
            .name
            .as_deref()
            .is_some_and(|name| !name.trim().is_empty());
        if !name_given {
            return Err(ModelError::Invalid("Name must be given.".into()).at("name"));
        }
        person.owner_id.get_or_insert(actor);
        self.check_patch(person)?;
        let id = self.free_id("person", person.id, &self.persons, "Person")?;
        person.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_person(&mut self, entry: PersonEntry) {
        let id = entry.id.unwrap_or_default();
        let now = seconds(entry.time);
        self.ids.observe("person", id);
        let person = Person {
            id,
            name: String::new(),
            owner_id: entry.actor_user_id.unwrap_or_default(),
            org_id: None,
            emails: Vec::new(),
            phones: Vec::new(),
            visible_to: DEFAULT_VISIBILITY,
            label_ids: Vec::new(),
            custom: CustomSlots::default(),
            add_time: entry.add_time.map_or(now, |time| time.unix_seconds()),
            update_time: now,
            delete_time: None,
            counters: Counters::default(),
            picture: None,
            rendered: Rendered::default(),
        };
        self.persons.insert(id, person);
        self.apply_patch(id, entry, now);
    }

    /// `person_update`: the person is active; a name, when written, is not blank.
    pub(super) fn check_person_update(&self, person: &mut PersonEntry) -> Result<Id, RecordError> {
        let id = person.id.ok_or_else(|| {
            ModelError::Invalid("A person_update needs the id of the person.".into()).at("id")
        })?;
        self.active_person(id).map_err(|error| error.at("id"))?;
        self.actor(&mut person.actor_user_id, "actor_user_id")?;
        if person
            .name
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(ModelError::Invalid("Name must be given.".into()).at("name"));
        }
        if person.add_time.is_some() {
            return Err(ModelError::Invalid(
                "add_time is only written when a person is created.".into(),
            )
            .at("add_time"));
        }
        self.check_patch(person)?;
        Ok(id)
    }

    /// Writes the update and records each changed field in the changelog.
    pub(super) fn project_person_update(&mut self, entry: PersonEntry) {
        let id = entry.id.unwrap_or_default();
        let now = seconds(entry.time);
        let actor = entry.actor_user_id.unwrap_or_default();
        let Some(before) = self.persons.get(&id).cloned() else {
            return;
        };
        self.apply_patch(id, entry, now);
        self.record_changes(&before, actor, now);
    }

    /// `person_delete`: at least one person, each active and listed once.
    pub(super) fn check_person_delete(
        &self,
        delete: &PersonDeleteEntry,
    ) -> Result<Id, RecordError> {
        let Some(&first) = delete.ids.first() else {
            return Err(ModelError::Invalid("Name at least one person.".into()).at("ids"));
        };
        let mut seen = BTreeSet::new();
        for (at, id) in delete.ids.iter().enumerate() {
            let field = format!("ids[{at}]");
            self.active_person(*id)
                .map_err(|error| error.at(field.clone()))?;
            if !seen.insert(*id) {
                return Err(ModelError::Invalid(format!("Person {id} is listed twice.")).at(field));
            }
        }
        Ok(first)
    }

    pub(super) fn project_person_delete(&mut self, delete: &PersonDeleteEntry) {
        for &id in &delete.ids {
            self.retire(id, seconds(delete.time));
        }
    }

    /// `person_merge`: two distinct active persons.
    pub(super) fn check_merge(&self, merge: &mut MergeEntry) -> Result<Id, RecordError> {
        self.actor(&mut merge.actor_user_id, "actor_user_id")?;
        if merge.id == merge.merge_with_id {
            return Err(
                ModelError::Invalid("Cannot merge a person with itself.".into())
                    .at("merge_with_id"),
            );
        }
        self.active_person(merge.id)
            .map_err(|error| error.at("id"))?;
        self.active_person(merge.merge_with_id)
            .map_err(|error| error.at("merge_with_id"))?;
        Ok(merge.merge_with_id)
    }

    /// Merges `id` into `merge_with_id`: the survivor keeps its non-empty values, takes the
    /// other's values where it has none, and takes over every deal, activity, note, file,
    /// mail message and follower; the merged person is deleted. The actor is recorded as the
    /// author of the survivor's filled-in fields.
    pub(super) fn project_merge(&mut self, merge: &MergeEntry) {
        let (from, into, now) = (merge.id, merge.merge_with_id, seconds(merge.time));
        let (Some(merged), Some(survivor)) = (
            self.persons.get(&from).cloned(),
            self.persons.get(&into).cloned(),
        ) else {
            return;
        };
        self.move_related(from, into, now);
        let patch = fill_gaps(self, &survivor, &merged);
        self.retire(from, now);
        self.apply_patch(into, patch, now);
        self.record_changes(&survivor, merge.actor_user_id.unwrap_or_default(), now);
    }

    /// `picture`: the person is active, the uploader a user.
    pub(super) fn check_picture(&self, picture: &mut PictureEntry) -> Result<Id, RecordError> {
        self.active_person(picture.person_id)
            .map_err(|error| error.at("person_id"))?;
        self.actor(&mut picture.added_by_user_id, "added_by_user_id")?;
        let id = self
            .ids
            .candidate("picture", super::tenant::nonzero(picture.id, "id")?);
        picture.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_picture(&mut self, entry: &PictureEntry) {
        let id = entry.id.unwrap_or_default();
        self.ids.observe("picture", id);
        let now = seconds(entry.time);
        if let Some(person) = self.persons.get_mut(&entry.person_id) {
            person.update_time = now;
            person.picture = Some(Picture {
                id,
                added_by_user_id: entry.added_by_user_id.unwrap_or_default(),
                file_size: entry.file_size,
                add_time: now,
            });
        }
    }

    /// `picture_delete`: the person is active.
    pub(super) fn check_picture_delete(
        &self,
        delete: &PictureDeleteEntry,
    ) -> Result<Id, RecordError> {
        self.active_person(delete.person_id)
            .map_err(|error| error.at("person_id"))?;
        Ok(delete.person_id)
    }

    pub(super) fn project_picture_delete(&mut self, delete: &PictureDeleteEntry) {
        if let Some(person) = self.persons.get_mut(&delete.person_id) {
            person.update_time = seconds(delete.time);
            person.picture = None;
        }
    }

    /// `follower`: the person is active, the follower a user not following it yet.
    pub(super) fn check_follow(&self, follow: &mut FollowerEntry) -> Result<Id, RecordError> {
        self.actor(&mut follow.actor_user_id, "actor_user_id")?;
        self.active_person(follow.person_id)
            .map_err(|error| error.at("person_id"))?;
        self.user(follow.user_id)
            .map_err(|error| error.at("user_id"))?;
        if self
            .followers
            .get(&follow.person_id)
            .is_some_and(|followers| followers.contains_key(&follow.user_id))
        {
            return Err(
                ModelError::Invalid("The user is already following this item.".into())
                    .at("user_id"),
            );
        }
        Ok(self.ids.candidate("follower", 0))
    }

    pub(super) fn project_follow(&mut self, follow: &FollowerEntry) {
        let follower = Follower {
            id: self.ids.next("follower"),
            user_id: follow.user_id,
            add_time: seconds(follow.time),
        };
        self.add_follower(
            follow.person_id,
            follower,
            follow.actor_user_id.unwrap_or_default(),
        );
    }

    /// `follower_delete`: the person is active and the user follows it; answers the relation.
    pub(super) fn check_unfollow(&self, unfollow: &mut FollowerEntry) -> Result<Id, RecordError> {
        self.actor(&mut unfollow.actor_user_id, "actor_user_id")?;
        self.active_person(unfollow.person_id)
            .map_err(|error| error.at("person_id"))?;
        self.followers
            .get(&unfollow.person_id)
            .and_then(|followers| followers.get(&unfollow.user_id))
            .map(|follower| follower.id)
            .ok_or_else(|| ModelError::NotFound("Follower").at("user_id"))
    }

    pub(super) fn project_unfollow(&mut self, unfollow: &FollowerEntry) {
        self.remove_follower(
            unfollow.person_id,
            unfollow.user_id,
            unfollow.actor_user_id.unwrap_or_default(),
            seconds(unfollow.time),
        );
    }

    /// Appends to the changelog of `before.id` every field whose text differs from `before`.
    fn record_changes(&mut self, before: &Person, actor: Id, now: i64) {
        let Some(after) = self.persons.get(&before.id) else {
            return;
        };
        let changed: Vec<(String, Option<String>, Option<String>)> = self
            .field_texts(before)
            .into_iter()
            .zip(self.field_texts(after))
            .filter(|((_, old), (_, new))| old != new)
            .map(|((key, old), (_, new))| (key, old, new))
            .collect();
        for (field_key, old_value, new_value) in changed {
            let change = FieldChange {
                id: self.ids.next("change"),
                field_key,
                old_value,
                new_value,
                actor_user_id: actor,
                time: now,
            };
            self.person_changes
                .entry(before.id)
                .or_default()
                .push(change);
        }
    }

    /// Every built-in and custom field of `person` as `(key, text)`, in a fixed order.
    fn field_texts(&self, person: &Person) -> Vec<(String, Option<String>)> {
        let joined = |ids: &[Id]| {
            (!ids.is_empty()).then(|| ids.iter().map(Id::to_string).collect::<Vec<_>>().join(","))
        };
        let built_in = [
            ("name", Some(person.name.clone())),
            ("owner_id", Some(person.owner_id.to_string())),
            ("org_id", person.org_id.map(|org| org.to_string())),
            (
                "email",
                super::model::primary(&person.emails).map(str::to_owned),
            ),
            (
                "phone",
                super::model::primary(&person.phones).map(str::to_owned),
            ),
            ("visible_to", Some(person.visible_to.to_string())),
            ("label_ids", joined(&person.label_ids)),
        ];
        built_in
            .into_iter()
            .map(|(key, text)| (key.to_owned(), text))
            .chain(self.fields.iter().enumerate().map(|(slot, field)| {
                let text = person.custom.get(slot).and_then(value_text);
                (field.key.clone(), text)
            }))
            .collect()
    }

    fn add_follower(&mut self, person: Id, follower: Follower, actor: Id) {
        self.followers
            .entry(person)
            .or_default()
            .insert(follower.user_id, follower);
        self.follower_changes
            .entry(person)
            .or_default()
            .push(FollowerChange {
                added: true,
                actor_user_id: actor,
                follower_user_id: follower.user_id,
                time: follower.add_time,
            });
        if let Some(record) = self.persons.get_mut(&person) {
            record.counters.apply_follower(Sign::Add);
        }
    }

    fn remove_follower(&mut self, person: Id, user: Id, actor: Id, now: i64) {
        if let Some(followers) = self.followers.get_mut(&person) {
            followers.remove(&user);
        }
        self.follower_changes
            .entry(person)
            .or_default()
            .push(FollowerChange {
                added: false,
                actor_user_id: actor,
                follower_user_id: user,
                time: now,
            });
        if let Some(record) = self.persons.get_mut(&person) {
            record.counters.apply_follower(Sign::Remove);
        }
    }

    /// Checks the references and values a person entry writes against the company, and
    /// brings its custom values to their stored form (API v2's, checked as v2 checks them).
    fn check_patch(&self, person: &mut PersonEntry) -> Result<(), RecordError> {
        if let Some(name) = &person.name {
            fits(name, VARCHAR_CHARS, "name")?;
        }
        for (contacts, field) in [(&person.emails, "email"), (&person.phones, "phone")] {
            let contacts = contacts.as_deref().unwrap_or_default();
            if contacts.len() > MAX_CONTACTS {
                return Err(ModelError::Invalid(format!(
                    "\"{field}\" must contain less than or equal to {MAX_CONTACTS} items"
                ))
                .at(field));
            }
            for contact in contacts {
                fits(&contact.value, VARCHAR_CHARS, field)?;
            }
        }
        if let Some(owner) = person.owner_id {
            self.known_user(owner)
                .map_err(|error| error.at("owner_id"))?;
        }
        if let Some(Some(org)) = person.org_id
            && !self.orgs.contains_key(&org)
        {
            return Err(
                ModelError::Invalid(format!("Organization with id {org} not found.")).at("org_id"),
            );
        }
        if let Some(visible_to) = person.visible_to
            && !VISIBILITY.contains(&visible_to)
        {
            return Err(ModelError::Invalid(
                "Invalid visible_to value. Allowed values: 1, 3, 5, 7.".into(),
            )
            .at("visible_to"));
        }
        for label in person.label_ids.iter().flatten() {
            if !self.labels.iter().any(|option| option.id == *label) {
                return Err(
                    ModelError::Invalid(format!("Label with id {label} not found."))
                        .at("label_ids"),
                );
            }
        }
        self.check_custom(&mut person.custom_fields)
    }

    /// Each value under an existing field's key, in its stored form.
    fn check_custom(&self, values: &mut CustomValues) -> Result<(), RecordError> {
        for (key, value) in &mut values.0 {
            let at = || format!("custom_fields.{key}");
            let field = self.field(key).ok_or_else(|| {
                ModelError::Invalid("No person field has this key.".into()).at(at())
            })?;
            if let Some(given) = value.as_ref() {
                *value = field
                    .parse_v2(given)
                    .map_err(|message| ModelError::Invalid(message).at(at()))?;
            }
        }
        Ok(())
    }

    /// Writes a checked entry's fields into person `id` and refreshes what depends on them.
    fn apply_patch(&mut self, id: Id, patch: PersonEntry, now: i64) {
        let texts_before = self.own_search_texts(id);
        let Some(person) = self.persons.get_mut(&id) else {
            return;
        };
        let old_org = person.org_id;
        if let Some(name) = patch.name {
            person.name = name.trim().to_owned();
        }
        if let Some(owner) = patch.owner_id {
            person.owner_id = owner;
        }
        if let Some(org) = patch.org_id {
            person.org_id = org;
        }
        if let Some(emails) = patch.emails {
            person.emails = with_primary(emails);
        }
        if let Some(phones) = patch.phones {
            person.phones = with_primary(phones);
        }
        if let Some(visible_to) = patch.visible_to {
            person.visible_to = visible_to;
        }
        if let Some(labels) = patch.label_ids {
            person.label_ids = labels;
        }
        for (key, value) in patch.custom_fields.0 {
            if let Some(slot) = self.fields.iter().position(|field| field.key == key) {
                person.custom.set(slot, value);
            }
        }
        person.update_time = now;
        let new_org = person.org_id;
        if old_org != new_org {
            self.count_in_org(old_org, Sign::Remove);
            self.count_in_org(new_org, Sign::Add);
        }
        self.recount_search_texts(id, &texts_before);
    }

    /// Soft-deletes person `id` and takes it out of its organization's head count and the
    /// search index.
    fn retire(&mut self, id: Id, now: i64) {
        let mut texts = self.own_search_texts(id);
        if let Some(person) = self.persons.get(&id) {
            let notes = self.search_texts(person, SearchField::Notes);
            let notes = notes
                .into_iter()
                .map(|note| (SearchField::Notes, note.into_owned()));
            texts.extend(notes);
        }
        self.count_search_texts(id, &texts, Sign::Remove);
        let Some(person) = self.persons.get_mut(&id) else {
            return;
        };
        person.delete_time = Some(now);
        person.update_time = now;
        let org = person.org_id;
        self.count_in_org(org, Sign::Remove);
    }

    /// Re-points every record linked to `from` at `into`, moving the counters with them.
    fn move_related(&mut self, from: Id, into: Id, now: i64) {
        let linked = |index: &Table<SortedVec<Id>>| -> Vec<Id> {
            index.get(&from).into_iter().flatten().copied().collect()
        };
        let (deals, activities) = (linked(&self.links.deals), linked(&self.links.activities));
        let (notes, files) = (linked(&self.links.notes), linked(&self.links.files));
        let mails = linked(&self.links.mails);
        let swap = Swap { from, into };
        self.repoint(
            deals,
            swap,
            |c| &mut c.deals,
            Company::count_deal,
            |deal, swap| {
                swap.option(&mut deal.person_id);
                if let Some(relation) = deal.participants.remove(&swap.from) {
                    deal.participants.entry(swap.into).or_insert(relation);
                }
            },
        );
        self.repoint(
            activities,
            swap,
            |c| &mut c.activities,
            Company::count_activity,
            |activity, swap| {
                swap.option(&mut activity.person_id);
                for (person, _) in &mut activity.participants {
                    swap.id(person);
                }
                let mut seen = BTreeSet::new();
                activity
                    .participants
                    .retain(|(person, _)| seen.insert(*person));
            },
        );
        self.repoint(
            notes,
            swap,
            |c| &mut c.notes,
            Company::count_note,
            |note, swap| {
                swap.option(&mut note.person_id);
            },
        );
        self.repoint(
            files,
            swap,
            |c| &mut c.files,
            Company::count_file,
            |file, swap| {
                swap.option(&mut file.person_id);
            },
        );
        self.repoint(
            mails,
            swap,
            |c| &mut c.mails,
            Company::count_mail,
            |mail, swap| {
                if mail.person_ids.remove(&swap.from) {
                    mail.person_ids.insert(swap.into);
                }
            },
        );
        let moved: Vec<Follower> = self
            .followers
            .get(&from)
            .map(|f| f.values().copied().collect())
            .unwrap_or_default();
        for follower in moved {
            self.remove_follower(from, follower.user_id, follower.user_id, now);
            let already = self
                .followers
                .get(&into)
                .is_some_and(|f| f.contains_key(&follower.user_id));
            if !already {
                self.add_follower(into, follower, follower.user_id);
            }
        }
    }

    /// Rewrites each record `ids` of `table` with `edit`, moving its contribution (`count`)
    /// from the old version to the new one.
    fn repoint<T: Clone>(
        &mut self,
        ids: Vec<Id>,
        swap: Swap,
        table: fn(&mut Company) -> &mut Table<T>,
        count: fn(&mut Company, &T, Sign),
        edit: impl Fn(&mut T, Swap),
    ) {
        for id in ids {
            let Some(old) = table(self).get(&id).cloned() else {
                continue;
            };
            let mut new = old.clone();
            edit(&mut new, swap);
            count(self, &old, Sign::Remove);
            table(self).insert(id, new.clone());
            count(self, &new, Sign::Add);
        }
    }
}

/// Rewrites person ids `from` → `into` inside a record.
#[derive(Clone, Copy)]
struct Swap {
    from: Id,
    into: Id,
}

impl Swap {
    fn id(self, id: &mut Id) {
        if *id == self.from {
            *id = self.into;
        }
    }

    fn option(self, id: &mut Option<Id>) {
        if let Some(id) = id {
            self.id(id);
        }
    }
}

/// The patch that fills `survivor`'s empty values from `merged`.
fn fill_gaps(company: &Company, survivor: &Person, merged: &Person) -> PersonEntry {
    let combine = |ours: &[ContactEntry], theirs: &[ContactEntry]| -> Option<Vec<ContactEntry>> {
        let extra: Vec<ContactEntry> = theirs
            .iter()
            .filter(|entry| {
                !entry.value.is_empty() && !ours.iter().any(|own| own.value == entry.value)
            })
            .map(|entry| ContactEntry {
                primary: false,
                ..entry.clone()
            })
            .collect();
        (!extra.is_empty()).then(|| ours.iter().cloned().chain(extra).collect())
    };
    PersonEntry {
        org_id: survivor
            .org_id
            .is_none()
            .then_some(merged.org_id)
            .filter(Option::is_some),
        emails: combine(&survivor.emails, &merged.emails),
        phones: combine(&survivor.phones, &merged.phones),
        label_ids: (survivor.label_ids.is_empty() && !merged.label_ids.is_empty())
            .then(|| merged.label_ids.clone()),
        custom_fields: CustomValues(
            merged
                .custom
                .iter()
                .filter(|(slot, _)| survivor.custom.get(*slot).is_none())
                .map(|(slot, value)| (company.fields[slot].key.clone(), Some(value.clone())))
                .collect(),
        ),
        ..PersonEntry::default()
    }
}

/// A custom field value as changelog text: strings as they are, numbers in decimal, lists
/// comma-separated, composite values by their `value`.
fn value_text(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(value_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::Object(object) => object.get("value").and_then(value_text),
        other => Some(other.to_string()),
    }
}

/// Contact entries with empty values dropped and exactly one primary (the first marked one,
/// else the first entry).
fn with_primary(entries: Vec<ContactEntry>) -> Vec<ContactEntry> {
    let mut entries: Vec<ContactEntry> = entries
        .into_iter()
        .filter(|entry| !entry.value.trim().is_empty())
        .collect();
    let primary = entries.iter().position(|entry| entry.primary).unwrap_or(0);
    for (at, entry) in entries.iter_mut().enumerate() {
        entry.primary = at == primary;
    }
    entries
}
