//! Entries of the records that drive a person's counters: deals (status, participants),
//! activities (done, due date), notes, files and mail messages, and the product catalogue.
//! Each kind is checked (and completed) before it is logged, then projected; an edit takes the
//! record's old contribution out of its persons and puts the new one in.

use super::counters::Sign;
use super::log::{
    ActivityEntry, DealEntry, DealProductEntry, DeleteEntry, FileEntry, MailEntry, NoteEntry,
    ParticipantEntry, ProductEntry,
};
use super::model::{Activity, Deal, DealProduct, DealStatus, File, Id, MailMessage, Note, Product};
use super::tenant::{
    Company, ModelError, RecordError, TEXT_CHARS, VARCHAR_CHARS, fits, named, nonzero, seconds,
};
use super::time;

impl Company {
    /// `deal`: a title is required; the owner defaults to the company's first user.
    pub(super) fn check_deal(&self, deal: &mut DealEntry) -> Result<Id, RecordError> {
        if deal
            .title
            .as_deref()
            .is_none_or(|title| title.trim().is_empty())
        {
            return Err(ModelError::Invalid("Title must be given.".into()).at("title"));
        }
        if deal.owner_id.is_none() {
            deal.owner_id = Some(self.first_user("owner_id")?);
        }
        self.check_deal_patch(deal)?;
        let id = self.free_id("deal", deal.id, &self.deals, "Deal")?;
        deal.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_deal(&mut self, entry: DealEntry) {
        let id = entry.id.unwrap_or_default();
        let now = seconds(entry.time);
        let mut deal = Deal {
            id,
            title: String::new(),
            value: 0.0,
            currency: "EUR".into(),
            status: DealStatus::Open,
            owner_id: 0,
            person_id: None,
            org_id: None,
            participants: Default::default(),
            lost_reason: None,
            visible_to: 3,
            add_time: now,
            update_time: now,
            won_time: None,
            lost_time: None,
            delete_time: None,
        };
        patch_deal(&mut deal, entry, now);
        self.ids.observe("deal", id);
        self.count_deal(&deal, Sign::Add);
        self.deals.insert(id, deal);
    }

    /// `deal_update`: the deal is live; what the entry writes is checked as for `deal`.
    pub(super) fn check_deal_update(&self, deal: &mut DealEntry) -> Result<Id, RecordError> {
        let id = required(deal.id, "deal_update")?;
        self.live_deal(id).map_err(|error| error.at("id"))?;
        if deal
            .title
            .as_deref()
            .is_some_and(|title| title.trim().is_empty())
        {
            return Err(ModelError::Invalid("Title must be given.".into()).at("title"));
        }
        self.check_deal_patch(deal)?;
        Ok(id)
    }

    pub(super) fn project_deal_update(&mut self, entry: DealEntry) {
        let now = seconds(entry.time);
        self.rewrite_deal(entry.id.unwrap_or_default(), |deal| {
            patch_deal(deal, entry, now);
        });
    }

    pub(super) fn project_deal_delete(&mut self, delete: &DeleteEntry) {
        let now = seconds(delete.time);
        self.rewrite_deal(delete.id, |deal| {
            deal.delete_time = Some(now);
            deal.update_time = now;
        });
    }

    /// `deal_participant`: a live deal, an active person not taking part yet.
    pub(super) fn check_participant(
        &self,
        participant: &mut ParticipantEntry,
    ) -> Result<Id, RecordError> {
        let deal = self
            .live_deal(participant.deal_id)
            .map_err(|error| error.at("deal_id"))?;
        self.active_person(participant.person_id)
            .map_err(|error| error.at("person_id"))?;
        if deal.participants.contains_key(&participant.person_id) {
            return Err(
                ModelError::Invalid("Participant already exists in this deal.".into())
                    .at("person_id"),
            );
        }
        let id = self
            .ids
            .candidate("participant", nonzero(participant.id, "id")?);
        participant.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_participant(&mut self, participant: &ParticipantEntry) {
        let relation = participant.id.unwrap_or_default();
        let now = seconds(participant.time);
        self.ids.observe("participant", relation);
        self.rewrite_deal(participant.deal_id, |deal| {
            deal.participants.insert(participant.person_id, relation);
            deal.update_time = now;
        });
    }

    /// The deal `id`, unless deleted.
    pub fn live_deal(&self, id: Id) -> Result<&Deal, ModelError> {
        self.deals
            .get(&id)
            .filter(|deal| deal.delete_time.is_none())
            .ok_or(ModelError::NotFound("Deal"))
    }

    /// Rewrites deal `id` with `edit`, moving its contribution from the old version to the
    /// new one.
    fn rewrite_deal(&mut self, id: Id, edit: impl FnOnce(&mut Deal)) {
        let Some(mut deal) = self.deals.get(&id).cloned() else {
            return;
        };
        self.count_deal(&deal, Sign::Remove);
        edit(&mut deal);
        self.count_deal(&deal, Sign::Add);
        self.deals.insert(id, deal);
    }

    /// The references a deal entry writes: an owner, an active contact, an organization, a
    /// value that is a number.
    fn check_deal_patch(&self, deal: &DealEntry) -> Result<(), RecordError> {
        if let Some(title) = &deal.title {
            fits(title, VARCHAR_CHARS, "title")?;
        }
        if let Some(currency) = &deal.currency {
            fits(currency, VARCHAR_CHARS, "currency")?;
        }
        if let Some(owner) = deal.owner_id {
            self.known_user(owner)
                .map_err(|error| error.at("owner_id"))?;
        }
        if let Some(Some(person)) = deal.person_id {
            self.active_person(person).map_err(|_| {
                ModelError::Invalid(format!("Person with id {person} not found.")).at("person_id")
            })?;
        }
        if let Some(Some(org)) = deal.org_id
            && !self.orgs.contains_key(&org)
        {
            return Err(
                ModelError::Invalid(format!("Organization with id {org} not found.")).at("org_id"),
            );
        }
        if deal.value.is_some_and(|value| !value.is_finite()) {
            return Err(ModelError::Invalid("Value must be a number.".into()).at("value"));
        }
        Ok(())
    }

    /// `activity`: the owner defaults to the company's first user.
    pub(super) fn check_activity(&self, activity: &mut ActivityEntry) -> Result<Id, RecordError> {
        if activity.owner_id.is_none() {
            activity.owner_id = Some(self.first_user("owner_id")?);
        }
        self.check_activity_patch(activity)?;
        let id = self.free_id("activity", activity.id, &self.activities, "Activity")?;
        activity.id = Some(id);
        Ok(id)
    }

    /// A new activity: of type `call` and due on the day of the write unless the entry says
    /// otherwise, its subject the capitalised type.
    pub(super) fn project_activity(&mut self, entry: ActivityEntry) {
        let id = entry.id.unwrap_or_default();
        let now = seconds(entry.time);
        // The defaults an entry overrides are not computed.
        let subject = match entry.subject {
            Some(_) => Box::default(),
            None => capitalised(entry.kind.as_deref().unwrap_or("call")).into(),
        };
        let due_date = match entry.due_date {
            Some(_) => Box::default(),
            None => time::date(now).into(),
        };
        let mut activity = Activity {
            id,
            subject,
            kind: "call".into(),
            owner_id: 0,
            person_id: None,
            deal_id: None,
            org_id: None,
            participants: Vec::new(),
            due_date,
            due_time: "".into(),
            duration: "".into(),
            done: false,
            marked_as_done_time: None,
            note: None,
            add_time: now,
            update_time: now,
            delete_time: None,
        };
        patch_activity(&mut activity, entry, now);
        self.ids.observe("activity", id);
        self.count_activity(&activity, Sign::Add);
        self.activities.insert(id, activity);
    }

    /// `activity_update`: the activity is live; what the entry writes is checked as for
    /// `activity`.
    pub(super) fn check_activity_update(
        &self,
        activity: &mut ActivityEntry,
    ) -> Result<Id, RecordError> {
        let id = required(activity.id, "activity_update")?;
        self.live_activity(id).map_err(|error| error.at("id"))?;
        self.check_activity_patch(activity)?;
        Ok(id)
    }

    pub(super) fn project_activity_update(&mut self, entry: ActivityEntry) {
        let now = seconds(entry.time);
        self.rewrite_activity(entry.id.unwrap_or_default(), |activity| {
            patch_activity(activity, entry, now);
        });
    }

    pub(super) fn project_activity_delete(&mut self, delete: &DeleteEntry) {
        let now = seconds(delete.time);
        self.rewrite_activity(delete.id, |activity| {
            activity.delete_time = Some(now);
            activity.update_time = now;
        });
    }

    /// The activity `id`, unless deleted.
    pub fn live_activity(&self, id: Id) -> Result<&Activity, ModelError> {
        self.activities
            .get(&id)
            .filter(|activity| activity.delete_time.is_none())
            .ok_or(ModelError::NotFound("Activity"))
    }

    /// Rewrites activity `id` with `edit`, moving its contribution from the old version to
    /// the new one.
    fn rewrite_activity(&mut self, id: Id, edit: impl FnOnce(&mut Activity)) {
        let Some(mut activity) = self.activities.get(&id).cloned() else {
            return;
        };
        self.count_activity(&activity, Sign::Remove);
        edit(&mut activity);
        self.count_activity(&activity, Sign::Add);
        self.activities.insert(id, activity);
    }

    /// The references and values an activity entry writes: an owner, active persons, a live
    /// deal, a `YYYY-MM-DD` due date, `HH:MM` due time and duration (kept as `HH:MM`).
    fn check_activity_patch(&self, activity: &mut ActivityEntry) -> Result<(), RecordError> {
        if let Some(subject) = &activity.subject {
            fits(subject, VARCHAR_CHARS, "subject")?;
        }
        if let Some(note) = &activity.note {
            fits(note, TEXT_CHARS, "note")?;
        }
        if let Some(owner) = activity.owner_id {
            self.known_user(owner)
                .map_err(|error| error.at("owner_id"))?;
        }
        let person_exists = |id: Id, field: &str| {
            self.active_person(id).map(|_| ()).map_err(|_| {
                ModelError::Invalid(format!("Person with id {id} not found.")).at(field)
            })
        };
        if let Some(Some(person)) = activity.person_id {
            person_exists(person, "person_id")?;
        }
        if let Some(Some(deal)) = activity.deal_id {
            self.live_deal(deal).map_err(|_| {
                ModelError::Invalid(format!("Deal with id {deal} not found.")).at("deal_id")
            })?;
        }
        for (at, participant) in activity.participants.iter().flatten().enumerate() {
            person_exists(
                participant.person_id,
                &format!("participants[{at}].person_id"),
            )?;
        }
        if let Some(date) = &activity.due_date {
            time::parse_date(date).ok_or_else(|| {
                ModelError::Invalid("Invalid due_date. Use YYYY-MM-DD.".into()).at("due_date")
            })?;
        }
        for (value, name) in [
            (&mut activity.due_time, "due_time"),
            (&mut activity.duration, "duration"),
        ] {
            if let Some(text) = value {
                *text = clock_or_empty(text, name)?;
            }
        }
        Ok(())
    }

    /// `note`: content and an attachment (person, deal or organization) are required; the
    /// author defaults to the company's first user.
    pub(super) fn check_note(&self, note: &mut NoteEntry) -> Result<Id, RecordError> {
        self.actor(&mut note.user_id, "user_id")?;
        let content = note.content.as_deref().unwrap_or_default();
        let attached = (note.person_id, note.deal_id, note.org_id) != (None, None, None);
        self.check_note_patch(note, content, attached)?;
        let id = self.free_id("note", note.id, &self.notes, "Note")?;
        note.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_note(&mut self, entry: NoteEntry) {
        let id = entry.id.unwrap_or_default();
        let now = seconds(entry.time);
        let note = Note {
            id,
            content: entry.content.unwrap_or_default(),
            user_id: entry.user_id.unwrap_or_default(),
            person_id: entry.person_id,
            deal_id: entry.deal_id,
            org_id: entry.org_id,
            add_time: now,
            update_time: now,
            delete_time: None,
        };
        self.ids.observe("note", id);
        self.count_note(&note, Sign::Add);
        self.notes.insert(id, note);
    }

    /// `note_update`: the note is live, keeps content and an attachment; its author stays.
    pub(super) fn check_note_update(&self, note: &mut NoteEntry) -> Result<Id, RecordError> {
        let id = required(note.id, "note_update")?;
        let old = self.live_note(id).map_err(|error| error.at("id"))?;
        if note.user_id.is_some() {
            return Err(ModelError::Invalid(
                "A note's author is only written when it is created.".into(),
            )
            .at("user_id"));
        }
        let content = note.content.as_deref().unwrap_or(&old.content);
        let attached = (
            note.person_id.or(old.person_id),
            note.deal_id.or(old.deal_id),
            note.org_id.or(old.org_id),
        ) != (None, None, None);
        self.check_note_patch(note, content, attached)?;
        Ok(id)
    }

    pub(super) fn project_note_update(&mut self, entry: NoteEntry) {
        let now = seconds(entry.time);
        self.rewrite_note(entry.id.unwrap_or_default(), |note| {
            if let Some(content) = entry.content {
                note.content = content;
            }
            for (slot, given) in [
                (&mut note.person_id, entry.person_id),
                (&mut note.deal_id, entry.deal_id),
                (&mut note.org_id, entry.org_id),
            ] {
                if given.is_some() {
                    *slot = given;
                }
            }
            note.update_time = now;
        });
    }

    pub(super) fn project_note_delete(&mut self, delete: &DeleteEntry) {
        let now = seconds(delete.time);
        self.rewrite_note(delete.id, |note| {
            note.delete_time = Some(now);
            note.update_time = now;
        });
    }

    /// The note `id`, unless deleted.
    pub fn live_note(&self, id: Id) -> Result<&Note, ModelError> {
        self.notes
            .get(&id)
            .filter(|note| note.delete_time.is_none())
            .ok_or(ModelError::NotFound("Note"))
    }

    /// Rewrites note `id` with `edit`, moving its contribution from the old version to the
    /// new one.
    fn rewrite_note(&mut self, id: Id, edit: impl FnOnce(&mut Note)) {
        let Some(mut note) = self.notes.get(&id).cloned() else {
            return;
        };
        self.count_note(&note, Sign::Remove);
        edit(&mut note);
        self.count_note(&note, Sign::Add);
        self.notes.insert(id, note);
    }

    /// What a note entry writes, given the `content` and whether the note is `attached` as
    /// they will be: content, an active person, a live deal, an organization.
    fn check_note_patch(
        &self,
        note: &NoteEntry,
        content: &str,
        attached: bool,
    ) -> Result<(), RecordError> {
        if content.trim().is_empty() {
            return Err(ModelError::Invalid("Content must be given.".into()).at("content"));
        }
        fits(content, TEXT_CHARS, "content")?;
        if let Some(person) = note.person_id {
            self.active_person(person).map_err(|_| {
                ModelError::Invalid(format!("Person with id {person} not found.")).at("person_id")
            })?;
        }
        if let Some(deal) = note.deal_id {
            self.live_deal(deal).map_err(|_| {
                ModelError::Invalid(format!("Deal with id {deal} not found.")).at("deal_id")
            })?;
        }
        if let Some(org) = note.org_id
            && !self.orgs.contains_key(&org)
        {
            return Err(
                ModelError::Invalid(format!("Organization with id {org} not found.")).at("org_id"),
            );
        }
        if !attached {
            return Err(ModelError::Invalid(
                "Note must be attached to a deal, person or organization.".into(),
            )
            .at("person_id"));
        }
        Ok(())
    }

    /// `file`: attached to an active person (if any) and an existing deal (if any).
    pub(super) fn check_file(&self, file: &mut FileEntry) -> Result<Id, RecordError> {
        if let Some(person) = file.person_id {
            self.active_person(person)
                .map_err(|error| error.at("person_id"))?;
        }
        if let Some(deal) = file.deal_id
            && !self.deals.contains_key(&deal)
        {
            return Err(
                ModelError::Invalid(format!("Deal with id {deal} not found.")).at("deal_id"),
            );
        }
        self.actor(&mut file.user_id, "user_id")?;
        named(&file.file_name, "file_name")?;
        let id = self.free_id("file", file.id, &self.files, "File")?;
        file.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_file(&mut self, entry: FileEntry) {
        let id = entry.id.unwrap_or_default();
        let file_type = entry.file_type.unwrap_or_else(|| {
            entry
                .file_name
                .rsplit_once('.')
                .map(|(_, extension)| extension.to_ascii_lowercase())
                .unwrap_or_default()
        });
        let file = File {
            id,
            user_id: entry.user_id.unwrap_or_default(),
            person_id: entry.person_id,
            deal_id: entry.deal_id,
            file_name: entry.file_name,
            file_type,
            file_size: entry.file_size,
            add_time: seconds(entry.time),
        };
        self.ids.observe("file", id);
        self.count_file(&file, Sign::Add);
        self.files.insert(id, file);
    }

    /// `mail_message`: linked to active persons; a new thread unless it names one.
    pub(super) fn check_mail(&self, mail: &mut MailEntry) -> Result<Id, RecordError> {
        for (at, person) in mail.person_ids.iter().enumerate() {
            self.active_person(*person)
                .map_err(|error| error.at(format!("person_ids[{at}]")))?;
        }
        self.actor(&mut mail.user_id, "user_id")?;
        let id = self.free_id("mail", mail.id, &self.mails, "Mail message")?;
        let thread = nonzero(mail.mail_thread_id, "mail_thread_id")?;
        mail.mail_thread_id = Some(self.ids.candidate("thread", thread));
        mail.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_mail(&mut self, entry: MailEntry) {
        let id = entry.id.unwrap_or_default();
        let thread_id = entry.mail_thread_id.unwrap_or_default();
        let add_time = seconds(entry.time);
        let mail = MailMessage {
            id,
            user_id: entry.user_id.unwrap_or_default(),
            thread_id,
            snippet: entry
                .snippet
                .unwrap_or_else(|| entry.subject.chars().take(100).collect()),
            from: entry.from,
            to: entry.to,
            subject: entry.subject,
            sent: entry.sent_flag,
            message_time: entry
                .message_time
                .map_or(add_time, |time| time.unix_seconds()),
            person_ids: entry.person_ids.iter().copied().collect(),
            add_time,
        };
        self.ids.observe("mail", id);
        self.ids.observe("thread", thread_id);
        self.count_mail(&mail, Sign::Add);
        self.mails.insert(id, mail);
    }

    /// `product`: a name; the owner defaults to the company's first user.
    pub(super) fn check_product(&self, product: &mut ProductEntry) -> Result<Id, RecordError> {
        self.actor(&mut product.owner_id, "owner_id")?;
        named(&product.name, "name")?;
        let id = self.free_id("product", product.id, &self.products, "Product")?;
        product.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_product(&mut self, entry: ProductEntry) {
        let id = entry.id.unwrap_or_default();
        self.ids.observe("product", id);
        self.products.insert(
            id,
            Product {
                id,
                name: entry.name,
                code: entry.code,
                unit: entry.unit,
                owner_id: entry.owner_id.unwrap_or_default(),
                add_time: seconds(entry.time),
            },
        );
    }

    /// `deal_product`: a catalogue product on a live deal, a positive quantity, a price that
    /// is a number.
    pub(super) fn check_deal_product(
        &self,
        attachment: &mut DealProductEntry,
    ) -> Result<Id, RecordError> {
        self.live_deal(attachment.deal_id)
            .map_err(|error| error.at("deal_id"))?;
        if !self.products.contains_key(&attachment.product_id) {
            return Err(ModelError::NotFound("Product").at("product_id"));
        }
        if attachment.quantity == 0 || !attachment.item_price.is_finite() {
            return Err(ModelError::Invalid(
                "Quantity must be positive and the price a number.".into(),
            )
            .at("quantity"));
        }
        let id = self.free_id(
            "deal_product",
            attachment.id,
            &self.deal_products,
            "Deal product",
        )?;
        attachment.id = Some(id);
        Ok(id)
    }

    pub(super) fn project_deal_product(&mut self, entry: &DealProductEntry) {
        let id = entry.id.unwrap_or_default();
        self.ids.observe("deal_product", id);
        self.links
            .deal_products
            .get_or_insert_default(entry.deal_id)
            .insert(id);
        self.deal_products.insert(
            id,
            DealProduct {
                id,
                deal_id: entry.deal_id,
                product_id: entry.product_id,
                item_price: entry.item_price,
                quantity: entry.quantity,
                add_time: seconds(entry.time),
            },
        );
    }
}

/// Writes a checked deal entry's fields into `deal`; a change of status stamps the time it
/// was won or lost.
fn patch_deal(deal: &mut Deal, entry: DealEntry, now: i64) {
    if let Some(title) = entry.title {
        deal.title = title;
    }
    if let Some(owner) = entry.owner_id {
        deal.owner_id = owner;
    }
    if let Some(person) = entry.person_id {
        deal.person_id = person;
    }
    if let Some(org) = entry.org_id {
        deal.org_id = org;
    }
    if let Some(value) = entry.value {
        deal.value = value;
    }
    if let Some(currency) = entry.currency {
        deal.currency = currency;
    }
    if let Some(reason) = entry.lost_reason {
        deal.lost_reason = Some(reason);
    }
    if let Some(visible_to) = entry.visible_to {
        deal.visible_to = visible_to;
    }
    if let Some(status) = entry.status.filter(|status| *status != deal.status) {
        deal.status = status;
        deal.won_time = (status == DealStatus::Won).then_some(now);
        deal.lost_time = (status == DealStatus::Lost).then_some(now);
    }
    deal.update_time = now;
}

/// Writes a checked activity entry's fields into `activity`; marking it done stamps the time.
fn patch_activity(activity: &mut Activity, entry: ActivityEntry, now: i64) {
    if let Some(subject) = entry.subject {
        activity.subject = subject.into();
    }
    if let Some(kind) = entry.kind {
        activity.kind = kind.into();
    }
    if let Some(owner) = entry.owner_id {
        activity.owner_id = owner;
    }
    if let Some(person) = entry.person_id {
        activity.person_id = person;
    }
    if let Some(deal) = entry.deal_id {
        activity.deal_id = deal;
    }
    if let Some(org) = entry.org_id {
        activity.org_id = org;
    }
    if let Some(participants) = entry.participants {
        activity.participants = participants
            .into_iter()
            .map(|participant| (participant.person_id, participant.primary))
            .collect();
    }
    if let Some(date) = entry.due_date {
        activity.due_date = date.into();
    }
    if let Some(due_time) = entry.due_time {
        activity.due_time = due_time.into();
    }
    if let Some(duration) = entry.duration {
        activity.duration = duration.into();
    }
    if let Some(note) = entry.note {
        activity.note = Some(note.into());
    }
    if let Some(done) = entry.done.filter(|done| *done != activity.done) {
        activity.done = done;
        activity.marked_as_done_time = done.then_some(now);
    }
    activity.update_time = now;
}

/// The id an update entry names, or the error of one that names none.
fn required(id: Option<Id>, kind: &str) -> Result<Id, RecordError> {
    id.ok_or_else(|| {
        ModelError::Invalid(format!("A {kind} needs the id of the record it updates.")).at("id")
    })
}

/// `HH:MM` (`HH:MM:SS` cut to it) or empty.
fn clock_or_empty(text: &str, name: &str) -> Result<String, RecordError> {
    if text.is_empty() {
        return Ok(String::new());
    }
    time::parse_clock(text)
        .map(|clock| clock.get(..5).unwrap_or_default().to_owned())
        .ok_or_else(|| ModelError::Invalid(format!("Invalid {name}. Use HH:MM.")).at(name))
}

/// `call` → `Call`: the subject of an activity created without one.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
