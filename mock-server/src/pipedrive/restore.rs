//! Whole-record writes, as a seed describes deals, activities and notes: the record as it
//! stood after a write. A new id creates it, a known one rewrites it, moving its
//! contribution to counters and links exactly as the API's writes do (through the same
//! insert and replace steps). What a record refers to must exist; unlike the API's writes,
//! a deleted person or deal still counts, since records keep those links after deletions.

use super::company::{Company, ModelError};
use super::model::{Activity, Deal, Id, Note};
use super::persons::VISIBILITY;
use super::related::clock_or_empty;
use super::time;

impl Company {
    /// Writes `deal` whole, as a seed describes it: an id the company has rewrites that
    /// deal, any other (0 for the next) creates it. What it refers to must exist (deleted
    /// persons included, as a deal keeps its contact after the person's deletion). Returns
    /// its id.
    pub fn restore_deal(&mut self, deal: Deal) -> Result<Id, ModelError> {
        self.check_deal(&deal)?;
        let Some(old) = self.deals.get(&deal.id).cloned() else {
            return self.insert_deal(deal);
        };
        for relation in deal.participants.values() {
            self.ids.observe("participant", *relation);
        }
        let id = deal.id;
        self.replace_deal(old, deal);
        Ok(id)
    }

    /// Writes `activity` whole, as a seed describes it (see [`Company::restore_deal`]).
    /// Dates and times are checked as the API checks them; `due_time` and `duration` may
    /// be given as `HH:MM:SS` and are kept as `HH:MM`.
    pub fn restore_activity(&mut self, mut activity: Activity) -> Result<Id, ModelError> {
        self.known_user(activity.owner_id)?;
        activity
            .person_id
            .iter()
            .chain(activity.participants.iter().map(|(person, _)| person))
            .try_for_each(|person| self.known_person(*person))?;
        activity
            .deal_id
            .map_or(Ok(()), |deal| self.known_deal(deal))?;
        time::parse_date(&activity.due_date)
            .ok_or_else(|| ModelError::Invalid("Invalid due_date. Use YYYY-MM-DD.".into()))?;
        activity.due_time = clock_or_empty(&activity.due_time, "due_time")?;
        activity.duration = clock_or_empty(&activity.duration, "duration")?;
        let Some(old) = self.activities.get(&activity.id).cloned() else {
            return self.insert_activity(activity);
        };
        let id = activity.id;
        self.replace_activity(old, activity);
        Ok(id)
    }

    /// Writes `note` whole, as a seed describes it (see [`Company::restore_deal`]): it
    /// has content, an existing author, and is attached to an existing person, deal or
    /// organization.
    pub fn restore_note(&mut self, note: Note) -> Result<Id, ModelError> {
        if note.content.trim().is_empty() {
            return Err(ModelError::Invalid("Content must be given.".into()));
        }
        if note.person_id.is_none() && note.deal_id.is_none() && note.org_id.is_none() {
            return Err(ModelError::Invalid(
                "Note must be attached to a deal, person or organization.".into(),
            ));
        }
        self.known_user(note.user_id)?;
        note.person_id
            .map_or(Ok(()), |person| self.known_person(person))?;
        note.deal_id.map_or(Ok(()), |deal| self.known_deal(deal))?;
        note.org_id.map_or(Ok(()), |org| self.known_org(org))?;
        let Some(old) = self.notes.get(&note.id).cloned() else {
            return self.insert_note(note);
        };
        let id = note.id;
        self.replace_note(old, note);
        Ok(id)
    }

    /// The checks a whole deal passes: a title, a known visibility, a finite value, and
    /// an existing owner, contact, organization and participants.
    fn check_deal(&self, deal: &Deal) -> Result<(), ModelError> {
        if deal.title.trim().is_empty() {
            return Err(ModelError::Invalid("Title must be given.".into()));
        }
        if !VISIBILITY.contains(&deal.visible_to) {
            return Err(ModelError::Invalid(
                "Invalid visible_to value. Allowed values: 1, 3, 5, 7.".into(),
            ));
        }
        if !deal.value.is_finite() {
            return Err(ModelError::Invalid("Value must be a number.".into()));
        }
        self.known_user(deal.owner_id)?;
        deal.person_id
            .iter()
            .chain(deal.participants.keys())
            .try_for_each(|person| self.known_person(*person))?;
        deal.org_id.map_or(Ok(()), |org| self.known_org(org))
    }

    /// `Ok` when user `id` is one of the company's.
    fn known_user(&self, id: Id) -> Result<(), ModelError> {
        self.user(id)
            .map(|_| ())
            .map_err(|_| ModelError::Invalid(format!("User with id {id} not found.")))
    }

    /// `Ok` when person `id` exists, deleted or not.
    fn known_person(&self, id: Id) -> Result<(), ModelError> {
        if self.persons.contains_key(&id) {
            Ok(())
        } else {
            Err(ModelError::Invalid(format!(
                "Person with id {id} not found."
            )))
        }
    }

    /// `Ok` when deal `id` exists, deleted or not.
    fn known_deal(&self, id: Id) -> Result<(), ModelError> {
        if self.deals.contains_key(&id) {
            Ok(())
        } else {
            Err(ModelError::Invalid(format!("Deal with id {id} not found.")))
        }
    }

    /// `Ok` when organization `id` exists.
    fn known_org(&self, id: Id) -> Result<(), ModelError> {
        if self.orgs.contains_key(&id) {
            Ok(())
        } else {
            Err(ModelError::Invalid(format!(
                "Organization with id {id} not found."
            )))
        }
    }
}
