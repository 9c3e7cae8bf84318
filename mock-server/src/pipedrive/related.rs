//! Writes of the records that drive a person's counters: deals (status, participants),
//! activities (done, due date), notes, files and mail messages. An edit takes the record's
//! old contribution out of its persons and puts the new one in.

use super::company::{Change, Company, ModelError, free_id};
use super::counters::Sign;
use super::model::{Activity, Deal, DealProduct, DealStatus, File, Id, MailMessage, Note, Product};
use super::time;

/// The writable fields of a deal; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DealPatch {
    /// Title.
    pub title: Option<String>,
    /// Value.
    pub value: Option<f64>,
    /// Currency.
    pub currency: Option<String>,
    /// Owner.
    pub owner_id: Option<Id>,
    /// Primary contact (`Some(None)` unlinks).
    pub person_id: Option<Option<Id>>,
    /// Organization (`Some(None)` unlinks).
    pub org_id: Option<Option<Id>>,
    /// Status.
    pub status: Option<DealStatus>,
    /// Lost reason.
    pub lost_reason: Option<String>,
    /// Visibility.
    pub visible_to: Option<u8>,
}

/// The writable fields of an activity; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivityPatch {
    /// Subject.
    pub subject: Option<String>,
    /// Type key.
    pub kind: Option<String>,
    /// Assigned user.
    pub owner_id: Option<Id>,
    /// Main person (`Some(None)` unlinks).
    pub person_id: Option<Option<Id>>,
    /// Deal (`Some(None)` unlinks).
    pub deal_id: Option<Option<Id>>,
    /// Organization (`Some(None)` unlinks).
    pub org_id: Option<Option<Id>>,
    /// Participants and their primary flags.
    pub participants: Option<Vec<(Id, bool)>>,
    /// Due date `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Due time `HH:MM` (empty clears it).
    pub due_time: Option<String>,
    /// Duration `HH:MM`.
    pub duration: Option<String>,
    /// Done flag.
    pub done: Option<bool>,
    /// Note.
    pub note: Option<String>,
}

/// The writable fields of a note; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotePatch {
    /// HTML content.
    pub content: Option<String>,
    /// Person.
    pub person_id: Option<Id>,
    /// Deal.
    pub deal_id: Option<Id>,
    /// Organization.
    pub org_id: Option<Id>,
}

impl Company {
    /// Creates a deal; returns its id.
    pub fn create_deal(&mut self, patch: DealPatch, actor: Id, now: i64) -> Result<Id, ModelError> {
        if patch
            .title
            .as_deref()
            .is_none_or(|title| title.trim().is_empty())
        {
            return Err(ModelError::Invalid("Title must be given.".into()));
        }
        let deal = Deal {
            id: 0,
            title: String::new(),
            value: 0.0,
            currency: "EUR".into(),
            status: DealStatus::Open,
            owner_id: actor,
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
        let deal = self.patched_deal(deal, patch, now)?;
        self.insert_deal(deal)
    }

    /// Adds a new deal under its id (0 for the next one).
    pub(super) fn insert_deal(&mut self, mut deal: Deal) -> Result<Id, ModelError> {
        let id = free_id(&self.ids, "deal", deal.id, &self.deals, "Deal")?;
        self.ids.observe("deal", id);
        for relation in deal.participants.values() {
            self.ids.observe("participant", *relation);
        }
        deal.id = id;
        self.log.push(Change::Deal(deal.clone()));
        self.count_deal(&deal, Sign::Add);
        self.deals.insert(id, deal);
        Ok(id)
    }

    /// Updates the live deal `id`.
    pub fn update_deal(&mut self, id: Id, patch: DealPatch, now: i64) -> Result<(), ModelError> {
        let old = self.live_deal(id)?.clone();
        let new = self.patched_deal(old.clone(), patch, now)?;
        self.replace_deal(old, new);
        Ok(())
    }

    /// Soft-deletes the live deal `id`.
    pub fn delete_deal(&mut self, id: Id, now: i64) -> Result<(), ModelError> {
        let old = self.live_deal(id)?.clone();
        let new = Deal {
            delete_time: Some(now),
            update_time: now,
            ..old.clone()
        };
        self.replace_deal(old, new);
        Ok(())
    }

    /// Adds the active person `person` to the live deal `deal`'s participants; returns the
    /// participant relation id.
    pub fn add_deal_participant(
        &mut self,
        deal: Id,
        person: Id,
        now: i64,
    ) -> Result<Id, ModelError> {
        let old = self.live_deal(deal)?.clone();
        self.active_person(person)?;
        if old.participants.contains_key(&person) {
            return Err(ModelError::Invalid(
                "Participant already exists in this deal.".into(),
            ));
        }
        let mut new = old.clone();
        new.participants
            .insert(person, self.ids.next("participant"));
        new.update_time = now;
        let relation = new.participants.get(&person).copied().unwrap_or_default();
        self.replace_deal(old, new);
        Ok(relation)
    }

    /// The deal `id`, unless deleted.
    pub fn live_deal(&self, id: Id) -> Result<&Deal, ModelError> {
        self.deals
            .get(&id)
            .filter(|deal| deal.delete_time.is_none())
            .ok_or(ModelError::NotFound("Deal"))
    }

    /// Rewrites a deal (logged), moving its contribution from `old` to `new`.
    pub(super) fn replace_deal(&mut self, old: Deal, new: Deal) {
        self.log.push(Change::Deal(new.clone()));
        self.count_deal(&old, Sign::Remove);
        self.count_deal(&new, Sign::Add);
        self.deals.insert(new.id, new);
    }

    fn patched_deal(&self, mut deal: Deal, patch: DealPatch, now: i64) -> Result<Deal, ModelError> {
        if let Some(title) = patch.title {
            if title.trim().is_empty() {
                return Err(ModelError::Invalid("Title must be given.".into()));
            }
            deal.title = title;
        }
        if let Some(owner) = patch.owner_id {
            self.user(owner)
                .map_err(|_| ModelError::Invalid(format!("User with id {owner} not found.")))?;
            deal.owner_id = owner;
        }
        if let Some(person) = patch.person_id {
            if let Some(person) = person {
                self.active_person(person).map_err(|_| {
                    ModelError::Invalid(format!("Person with id {person} not found."))
                })?;
            }
            deal.person_id = person;
        }
        if let Some(org) = patch.org_id {
            if let Some(org) = org.filter(|org| !self.orgs.contains_key(org)) {
                return Err(ModelError::Invalid(format!(
                    "Organization with id {org} not found."
                )));
            }
            deal.org_id = org;
        }
        if let Some(value) = patch.value {
            deal.value = value;
        }
        if let Some(currency) = patch.currency {
            deal.currency = currency;
        }
        if let Some(reason) = patch.lost_reason {
            deal.lost_reason = Some(reason);
        }
        if let Some(visible_to) = patch.visible_to {
            deal.visible_to = visible_to;
        }
        if let Some(status) = patch.status.filter(|status| *status != deal.status) {
            deal.status = status;
            deal.won_time = (status == DealStatus::Won).then_some(now);
            deal.lost_time = (status == DealStatus::Lost).then_some(now);
        }
        deal.update_time = now;
        Ok(deal)
    }

    /// Creates an activity; returns its id. Without a due date it is due today.
    pub fn create_activity(
        &mut self,
        patch: ActivityPatch,
        actor: Id,
        now: i64,
    ) -> Result<Id, ModelError> {
        let kind = patch.kind.clone().unwrap_or_else(|| "call".into());
        let activity = Activity {
            id: 0,
            subject: capitalised(&kind),
            kind,
            owner_id: actor,
            person_id: None,
            deal_id: None,
            org_id: None,
            participants: Vec::new(),
            due_date: time::date(now),
            due_time: String::new(),
            duration: String::new(),
            done: false,
            marked_as_done_time: None,
            note: None,
            add_time: now,
            update_time: now,
            delete_time: None,
        };
        let activity = self.patched_activity(activity, patch, now)?;
        self.insert_activity(activity)
    }

    /// Adds a new activity under its id (0 for the next one).
    pub(super) fn insert_activity(&mut self, mut activity: Activity) -> Result<Id, ModelError> {
        let id = free_id(
            &self.ids,
            "activity",
            activity.id,
            &self.activities,
            "Activity",
        )?;
        self.ids.observe("activity", id);
        activity.id = id;
        self.log.push(Change::Activity(activity.clone()));
        self.count_activity(&activity, Sign::Add);
        self.activities.insert(id, activity);
        Ok(id)
    }

    /// Updates the live activity `id`.
    pub fn update_activity(
        &mut self,
        id: Id,
        patch: ActivityPatch,
        now: i64,
    ) -> Result<(), ModelError> {
        let old = self.live_activity(id)?.clone();
        let new = self.patched_activity(old.clone(), patch, now)?;
        self.replace_activity(old, new);
        Ok(())
    }

    /// Soft-deletes the live activity `id`.
    pub fn delete_activity(&mut self, id: Id, now: i64) -> Result<(), ModelError> {
        let old = self.live_activity(id)?.clone();
        let new = Activity {
            delete_time: Some(now),
            update_time: now,
            ..old.clone()
        };
        self.replace_activity(old, new);
        Ok(())
    }

    /// The activity `id`, unless deleted.
    pub fn live_activity(&self, id: Id) -> Result<&Activity, ModelError> {
        self.activities
            .get(&id)
            .filter(|activity| activity.delete_time.is_none())
            .ok_or(ModelError::NotFound("Activity"))
    }

    /// Rewrites an activity (logged), moving its contribution from `old` to `new`.
    pub(super) fn replace_activity(&mut self, old: Activity, new: Activity) {
        self.log.push(Change::Activity(new.clone()));
        self.count_activity(&old, Sign::Remove);
        self.count_activity(&new, Sign::Add);
        self.activities.insert(new.id, new);
    }

    fn patched_activity(
        &self,
        mut activity: Activity,
        patch: ActivityPatch,
        now: i64,
    ) -> Result<Activity, ModelError> {
        let person_exists = |id: Id| {
            self.active_person(id)
                .map(|_| ())
                .map_err(|_| ModelError::Invalid(format!("Person with id {id} not found.")))
        };
        if let Some(subject) = patch.subject {
            activity.subject = subject;
        }
        if let Some(kind) = patch.kind {
            activity.kind = kind;
        }
        if let Some(owner) = patch.owner_id {
            self.user(owner)
                .map_err(|_| ModelError::Invalid(format!("User with id {owner} not found.")))?;
            activity.owner_id = owner;
        }
        if let Some(person) = patch.person_id {
            person.map(person_exists).transpose()?;
            activity.person_id = person;
        }
        if let Some(deal) = patch.deal_id {
            if let Some(deal) = deal {
                self.live_deal(deal)
                    .map_err(|_| ModelError::Invalid(format!("Deal with id {deal} not found.")))?;
            }
            activity.deal_id = deal;
        }
        if let Some(org) = patch.org_id {
            activity.org_id = org;
        }
        if let Some(participants) = patch.participants {
            for (person, _) in &participants {
                person_exists(*person)?;
            }
            activity.participants = participants;
        }
        if let Some(date) = patch.due_date {
            time::parse_date(&date)
                .ok_or_else(|| ModelError::Invalid("Invalid due_date. Use YYYY-MM-DD.".into()))?;
            activity.due_date = date;
        }
        if let Some(due_time) = patch.due_time {
            activity.due_time = clock_or_empty(&due_time, "due_time")?;
        }
        if let Some(duration) = patch.duration {
            activity.duration = clock_or_empty(&duration, "duration")?;
        }
        if let Some(note) = patch.note {
            activity.note = Some(note);
        }
        if let Some(done) = patch.done.filter(|done| *done != activity.done) {
            activity.done = done;
            activity.marked_as_done_time = done.then_some(now);
        }
        activity.update_time = now;
        Ok(activity)
    }

    /// Creates a note attached to a person, deal or organization; returns its id.
    pub fn create_note(&mut self, patch: NotePatch, actor: Id, now: i64) -> Result<Id, ModelError> {
        let note = Note {
            id: 0,
            content: String::new(),
            user_id: actor,
            person_id: None,
            deal_id: None,
            org_id: None,
            add_time: now,
            update_time: now,
            delete_time: None,
        };
        let note = self.patched_note(note, patch, now)?;
        self.insert_note(note)
    }

    /// Adds a new note under its id (0 for the next one).
    pub(super) fn insert_note(&mut self, mut note: Note) -> Result<Id, ModelError> {
        let id = free_id(&self.ids, "note", note.id, &self.notes, "Note")?;
        self.ids.observe("note", id);
        note.id = id;
        self.log.push(Change::Note(note.clone()));
        self.notes.insert(id, note.clone());
        self.count_note(&note, Sign::Add);
        Ok(id)
    }

    /// Updates the live note `id`.
    pub fn update_note(&mut self, id: Id, patch: NotePatch, now: i64) -> Result<(), ModelError> {
        let old = self.live_note(id)?.clone();
        let new = self.patched_note(old.clone(), patch, now)?;
        self.replace_note(old, new);
        Ok(())
    }

    /// Soft-deletes the live note `id`.
    pub fn delete_note(&mut self, id: Id, now: i64) -> Result<(), ModelError> {
        let old = self.live_note(id)?.clone();
        let new = Note {
            delete_time: Some(now),
            update_time: now,
            ..old.clone()
        };
        self.replace_note(old, new);
        Ok(())
    }

    /// The note `id`, unless deleted.
    pub fn live_note(&self, id: Id) -> Result<&Note, ModelError> {
        self.notes
            .get(&id)
            .filter(|note| note.delete_time.is_none())
            .ok_or(ModelError::NotFound("Note"))
    }

    /// Rewrites a note (logged), moving its contribution from `old` to `new`.
    pub(super) fn replace_note(&mut self, old: Note, new: Note) {
        self.log.push(Change::Note(new.clone()));
        self.count_note(&old, Sign::Remove);
        self.notes.insert(new.id, new.clone());
        self.count_note(&new, Sign::Add);
    }

    fn patched_note(&self, mut note: Note, patch: NotePatch, now: i64) -> Result<Note, ModelError> {
        if let Some(content) = patch.content {
            note.content = content;
        }
        if note.content.trim().is_empty() {
            return Err(ModelError::Invalid("Content must be given.".into()));
        }
        if let Some(person) = patch.person_id {
            self.active_person(person)
                .map_err(|_| ModelError::Invalid(format!("Person with id {person} not found.")))?;
            note.person_id = Some(person);
        }
        if let Some(deal) = patch.deal_id {
            self.live_deal(deal)
                .map_err(|_| ModelError::Invalid(format!("Deal with id {deal} not found.")))?;
            note.deal_id = Some(deal);
        }
        if let Some(org) = patch.org_id {
            if !self.orgs.contains_key(&org) {
                return Err(ModelError::Invalid(format!(
                    "Organization with id {org} not found."
                )));
            }
            note.org_id = Some(org);
        }
        if note.person_id.is_none() && note.deal_id.is_none() && note.org_id.is_none() {
            return Err(ModelError::Invalid(
                "Note must be attached to a deal, person or organization.".into(),
            ));
        }
        note.update_time = now;
        Ok(note)
    }

    /// Attaches a file to the active person `file.person_id` under `file.id` (0 for the
    /// next id); returns its id.
    pub fn attach_file(&mut self, mut file: File) -> Result<Id, ModelError> {
        if let Some(person) = file.person_id {
            self.active_person(person)?;
        }
        file.id = free_id(&self.ids, "file", file.id, &self.files, "File")?;
        self.ids.observe("file", file.id);
        self.log.push(Change::File(file.clone()));
        self.count_file(&file, Sign::Add);
        let id = file.id;
        self.files.insert(id, file);
        Ok(id)
    }

    /// Records a synced mail message linked to `mail.person_ids` under `mail.id` (0 for
    /// the next id); returns its id.
    pub fn record_mail(&mut self, mut mail: MailMessage) -> Result<Id, ModelError> {
        for person in &mail.person_ids {
            self.active_person(*person)?;
        }
        mail.id = free_id(&self.ids, "mail", mail.id, &self.mails, "Mail message")?;
        self.ids.observe("mail", mail.id);
        self.ids.observe("thread", mail.thread_id);
        self.log.push(Change::Mail(mail.clone()));
        self.count_mail(&mail, Sign::Add);
        let id = mail.id;
        self.mails.insert(id, mail);
        Ok(id)
    }
}

impl Company {
    /// Adds a product to the catalogue (Pipedrive's products API is not modelled) under
    /// `product.id` (0 for the next id); returns its id.
    pub fn create_product(&mut self, mut product: Product) -> Result<Id, ModelError> {
        self.user(product.owner_id)?;
        if product.name.trim().is_empty() {
            return Err(ModelError::Invalid("Name must be given.".into()));
        }
        product.id = free_id(&self.ids, "product", product.id, &self.products, "Product")?;
        self.ids.observe("product", product.id);
        self.log.push(Change::Product(product.clone()));
        let id = product.id;
        self.products.insert(id, product);
        Ok(id)
    }

    /// Attaches a catalogue product to the live deal `attachment.deal_id` under
    /// `attachment.id` (0 for the next id); returns the attachment id.
    pub fn attach_product(&mut self, mut attachment: DealProduct) -> Result<Id, ModelError> {
        self.live_deal(attachment.deal_id)?;
        if !self.products.contains_key(&attachment.product_id) {
            return Err(ModelError::NotFound("Product"));
        }
        if attachment.quantity == 0 || !attachment.item_price.is_finite() {
            return Err(ModelError::Invalid(
                "Quantity must be positive and the price a number.".into(),
            ));
        }
        attachment.id = free_id(
            &self.ids,
            "deal_product",
            attachment.id,
            &self.deal_products,
            "Deal product",
        )?;
        self.ids.observe("deal_product", attachment.id);
        self.log.push(Change::DealProduct(attachment.clone()));
        self.links
            .deal_products
            .entry(attachment.deal_id)
            .or_default()
            .insert(attachment.id);
        let id = attachment.id;
        self.deal_products.insert(id, attachment);
        Ok(id)
    }
}

/// `HH:MM` (stored as given) or empty.
pub(super) fn clock_or_empty(text: &str, name: &str) -> Result<String, ModelError> {
    if text.is_empty() {
        return Ok(String::new());
    }
    time::parse_clock(text)
        .map(|clock| clock.get(..5).unwrap_or_default().to_owned())
        .ok_or_else(|| ModelError::Invalid(format!("Invalid {name}. Use HH:MM.")))
}

/// `call` → `Call`: the subject of an activity created without one.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
