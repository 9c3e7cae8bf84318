//! Person writes: create, update, delete, merge and followers. Each validates, appends to
//! the log, then updates the projections.

use std::collections::{BTreeMap, BTreeSet};

use super::company::{Change, Company, ModelError, PersonPatch, free_id};
use super::counters::{Counters, Sign};
use super::model::{ContactEntry, FieldChange, Follower, FollowerChange, Id, Person, Picture};

/// The visibility values Pipedrive accepts.
pub const VISIBILITY: [u8; 4] = [1, 3, 5, 7];

/// The visibility of persons created without one (the company default: entire company).
pub const DEFAULT_VISIBILITY: u8 = 3;

impl Company {
    /// Creates a person owned by `patch.owner_id` or else by `actor`; returns its id.
    pub fn create_person(
        &mut self,
        patch: PersonPatch,
        actor: Id,
        now: i64,
    ) -> Result<Id, ModelError> {
        self.insert_person(0, patch, actor, now)
    }

    /// Creates person `id` (0 for the next id), as [`Company::create_person`] does; a seed
    /// gives its own ids.
    pub fn insert_person(
        &mut self,
        id: Id,
        mut patch: PersonPatch,
        actor: Id,
        now: i64,
    ) -> Result<Id, ModelError> {
        let name_given = patch
            .name
            .as_deref()
            .is_some_and(|name| !name.trim().is_empty());
        if !name_given {
            return Err(ModelError::Invalid("Name must be given.".into()));
        }
        patch.owner_id.get_or_insert(actor);
        self.validate_patch(&patch)?;
        let id = free_id(&self.ids, "person", id, &self.persons, "Person")?;
        self.ids.observe("person", id);
        self.log.push(Change::Person {
            id,
            patch: patch.clone(),
            actor,
            time: now,
        });
        let person = Person {
            id,
            name: String::new(),
            owner_id: actor,
            org_id: None,
            emails: Vec::new(),
            phones: Vec::new(),
            visible_to: DEFAULT_VISIBILITY,
            label_ids: Vec::new(),
            custom: Default::default(),
            add_time: patch.add_time.unwrap_or(now),
            update_time: now,
            delete_time: None,
            counters: Counters::default(),
            picture: None,
        };
        self.persons.insert(id, person);
        self.apply_patch(id, patch, now);
        Ok(id)
    }

    /// Updates the active person `id` on behalf of `actor`, recording each changed field.
    pub fn update_person(
        &mut self,
        id: Id,
        patch: PersonPatch,
        actor: Id,
        now: i64,
    ) -> Result<(), ModelError> {
        let before = self.active_person(id)?.clone();
        if patch
            .name
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(ModelError::Invalid("Name must be given.".into()));
        }
        self.validate_patch(&patch)?;
        self.log.push(Change::Person {
            id,
            patch: patch.clone(),
            actor,
            time: now,
        });
        self.apply_patch(id, patch, now);
        self.record_changes(&before, actor, now);
        Ok(())
    }

    /// Soft-deletes the active persons among `ids` (each once); returns those deleted.
    pub fn delete_persons(&mut self, ids: &[Id], now: i64) -> Vec<Id> {
        let mut seen = BTreeSet::new();
        let deleted: Vec<Id> = ids
            .iter()
            .copied()
            .filter(|id| seen.insert(*id) && self.active_person(*id).is_ok())
            .collect();
        if deleted.is_empty() {
            return deleted;
        }
        self.log.push(Change::DeletePersons {
            ids: deleted.clone(),
            time: now,
        });
        for &id in &deleted {
            self.retire(id, now);
        }
        deleted
    }

    /// Merges `from` into `into`: `into` survives and keeps its non-empty values, takes the
    /// other's values where it has none, and takes over every deal, activity, note, file,
    /// mail message and follower; `from` is deleted. `actor` is recorded as the author of
    /// the survivor's filled-in fields.
    pub fn merge_persons(
        &mut self,
        from: Id,
        into: Id,
        actor: Id,
        now: i64,
    ) -> Result<(), ModelError> {
        if from == into {
            return Err(ModelError::Invalid(
                "Cannot merge a person with itself.".into(),
            ));
        }
        let merged = self.active_person(from)?.clone();
        let survivor = self.active_person(into)?.clone();
        self.log.push(Change::Merge {
            from,
            into,
            actor,
            time: now,
        });
        self.move_related(from, into, now);
        let patch = fill_gaps(&survivor, &merged);
        self.retire(from, now);
        self.apply_patch(into, patch, now);
        self.record_changes(&survivor, actor, now);
        Ok(())
    }

    /// Sets (`Some`) or removes the active person `person`'s picture; returns the one it
    /// replaces. A picture with id 0 gets the next picture id.
    pub fn set_picture(
        &mut self,
        person: Id,
        mut picture: Option<Picture>,
        now: i64,
    ) -> Result<Option<Picture>, ModelError> {
        self.active_person(person)?;
        if let Some(picture) = &mut picture {
            picture.id = self.ids.candidate("picture", picture.id);
            self.ids.observe("picture", picture.id);
        }
        self.log.push(Change::Picture {
            person,
            picture,
            time: now,
        });
        let record = self
            .persons
            .get_mut(&person)
            .ok_or(ModelError::NotFound("Person"))?;
        record.update_time = now;
        Ok(std::mem::replace(&mut record.picture, picture))
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
            .chain(self.fields.iter().map(|field| {
                let text = person.custom.get(&field.key).and_then(value_text);
                (field.key.clone(), text)
            }))
            .collect()
    }

    /// Makes `user` follow the active person `person`; returns the relation.
    pub fn follow(
        &mut self,
        person: Id,
        user: Id,
        actor: Id,
        now: i64,
    ) -> Result<Follower, ModelError> {
        self.active_person(person)?;
        self.user(user)?;
        if self
            .followers
            .get(&person)
            .is_some_and(|followers| followers.contains_key(&user))
        {
            return Err(ModelError::Invalid(
                "The user is already following this item.".into(),
            ));
        }
        self.log.push(Change::Follow {
            person,
            user,
            follows: true,
            actor,
            time: now,
        });
        let follower = Follower {
            id: self.ids.next("follower"),
            user_id: user,
            add_time: now,
        };
        self.add_follower(person, follower, actor);
        Ok(follower)
    }

    /// Stops `user` following `person`; returns the removed relation.
    pub fn unfollow(
        &mut self,
        person: Id,
        user: Id,
        actor: Id,
        now: i64,
    ) -> Result<Follower, ModelError> {
        self.active_person(person)?;
        let follower = self
            .followers
            .get(&person)
            .and_then(|followers| followers.get(&user))
            .copied()
            .ok_or(ModelError::NotFound("Follower"))?;
        self.log.push(Change::Follow {
            person,
            user,
            follows: false,
            actor,
            time: now,
        });
        self.remove_follower(person, user, actor, now);
        Ok(follower)
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

    /// Checks the references and values of a patch against the company.
    fn validate_patch(&self, patch: &PersonPatch) -> Result<(), ModelError> {
        if let Some(owner) = patch.owner_id {
            self.user(owner)
                .map_err(|_| ModelError::Invalid(format!("User with id {owner} not found.")))?;
        }
        if let Some(Some(org)) = patch.org_id
            && !self.orgs.contains_key(&org)
        {
            return Err(ModelError::Invalid(format!(
                "Organization with id {org} not found."
            )));
        }
        if let Some(visible_to) = patch.visible_to
            && !VISIBILITY.contains(&visible_to)
        {
            return Err(ModelError::Invalid(
                "Invalid visible_to value. Allowed values: 1, 3, 5, 7.".into(),
            ));
        }
        for label in patch.label_ids.iter().flatten() {
            if !self.labels.iter().any(|option| option.id == *label) {
                return Err(ModelError::Invalid(format!(
                    "Label with id {label} not found."
                )));
            }
        }
        Ok(())
    }

    /// Writes a validated patch into person `id` and refreshes what depends on it.
    fn apply_patch(&mut self, id: Id, patch: PersonPatch, now: i64) {
        let Some(person) = self.persons.get(&id) else {
            return;
        };
        let old_org = person.org_id;
        let Some(person) = self.persons.get_mut(&id) else {
            return;
        };
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
        for (key, value) in patch.custom {
            match value {
                Some(value) => person.custom.insert(key, value),
                None => person.custom.remove(&key),
            };
        }
        person.update_time = now;
        let new_org = person.org_id;
        if old_org != new_org {
            self.count_in_org(old_org, Sign::Remove);
            self.count_in_org(new_org, Sign::Add);
        }
        self.reindex_person(id);
    }

    /// Soft-deletes person `id` and takes it out of its organization's head count and the
    /// search index.
    fn retire(&mut self, id: Id, now: i64) {
        let Some(person) = self.persons.get_mut(&id) else {
            return;
        };
        person.delete_time = Some(now);
        person.update_time = now;
        let org = person.org_id;
        self.count_in_org(org, Sign::Remove);
        self.search.remove(id);
    }

    /// Re-points every record linked to `from` at `into`, moving the counters with them.
    fn move_related(&mut self, from: Id, into: Id, now: i64) {
        let linked = |index: &BTreeMap<Id, BTreeSet<Id>>| -> Vec<Id> {
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
}

impl Company {
    /// Rewrites each record `ids` of `table` with `edit`, moving its contribution (`count`)
    /// from the old version to the new one.
    fn repoint<T: Clone>(
        &mut self,
        ids: Vec<Id>,
        swap: Swap,
        table: fn(&mut Company) -> &mut BTreeMap<Id, T>,
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
fn fill_gaps(survivor: &Person, merged: &Person) -> PersonPatch {
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
    PersonPatch {
        org_id: survivor
            .org_id
            .is_none()
            .then_some(merged.org_id)
            .filter(Option::is_some),
        emails: combine(&survivor.emails, &merged.emails),
        phones: combine(&survivor.phones, &merged.phones),
        label_ids: (survivor.label_ids.is_empty() && !merged.label_ids.is_empty())
            .then(|| merged.label_ids.clone()),
        custom: merged
            .custom
            .iter()
            .filter(|(key, _)| !survivor.custom.contains_key(*key))
            .map(|(key, value)| (key.clone(), Some(value.clone())))
            .collect(),
        ..PersonPatch::default()
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
