//! A company's log as seed writes, in log order. Every write carries its ids and times,
//! so replaying the writes rebuilds the same records, links, counters and histories.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::super::company::{Change, PersonPatch};
use super::super::keys::Credential;
use super::super::model::{
    Activity, ContactEntry, Deal, DealProduct, File, Id, MailMessage, Note, Product,
};
use super::super::state::PipedriveState;
use super::entries::{
    ActivityEntry, ActivityParticipantEntry, ContactEntrySeed, DealEntry, DealParticipantEntry,
    DealProductEntry, FieldEntry, FileEntry, FollowerEntry, MailEntry, MergeEntry, NoteEntry,
    OptionEntry, OrganizationEntry, PersonDeleteEntry, PersonEntry, PictureDeleteEntry,
    PictureEntry, ProductEntry, UserEntry, Write,
};
use super::timestamp::SeedTime;
use super::{ApiTokenSeed, CompanySeed, OAuthTokenSeed, PipedriveSeed};

/// Everything `state` holds, in a stable order: companies by id, each with its log in log
/// order, its usable tokens (sorted by user, then token) and its id sequences.
pub fn seed(state: &PipedriveState) -> PipedriveSeed {
    let mut api: BTreeMap<Id, Vec<ApiTokenSeed>> = BTreeMap::new();
    let mut oauth: BTreeMap<Id, Vec<OAuthTokenSeed>> = BTreeMap::new();
    for (token, credential) in state.keys.api_tokens().filter(|(_, c)| usable(state, c)) {
        api.entry(credential.company)
            .or_default()
            .push(ApiTokenSeed {
                user_id: Some(credential.user),
                token: Some(token.to_owned()),
            });
    }
    for (token, credential) in state.keys.oauth_tokens().filter(|(_, c)| usable(state, c)) {
        oauth
            .entry(credential.company)
            .or_default()
            .push(OAuthTokenSeed {
                user_id: Some(credential.user),
                token: Some(token.to_owned()),
                scopes: credential.scopes.clone(),
            });
    }
    let companies = state
        .companies()
        .map(|company| {
            let mut exporter = Exporter::default();
            let mut api_tokens = api.remove(&company.id).unwrap_or_default();
            api_tokens.sort_by(|a, b| (a.user_id, &a.token).cmp(&(b.user_id, &b.token)));
            let mut oauth_tokens = oauth.remove(&company.id).unwrap_or_default();
            oauth_tokens.sort_by(|a, b| (a.user_id, &a.token).cmp(&(b.user_id, &b.token)));
            CompanySeed {
                id: Some(company.id),
                log: company
                    .log
                    .iter()
                    .map(|change| exporter.write(change))
                    .collect(),
                api_tokens,
                oauth_tokens,
                last_ids: company
                    .ids
                    .iter()
                    .map(|(kind, last)| (kind.to_owned(), last))
                    .collect(),
            }
        })
        .collect();
    PipedriveSeed {
        companies,
        tokens_issued: state.tokens_issued(),
    }
}

/// Whether a credential reaches anything: its user belongs to its company. (Tokens of
/// unknown users authenticate nothing and are left out.)
fn usable(state: &PipedriveState, credential: &Credential) -> bool {
    state
        .company(credential.company)
        .is_some_and(|company| company.users.contains_key(&credential.user))
}

/// Turns a log into writes; the first write of a person is its creation, later ones are
/// updates.
#[derive(Debug, Default)]
pub struct Exporter {
    created: HashSet<Id>,
}

impl Exporter {
    /// The write that replays `change`.
    pub fn write(&mut self, change: &Change) -> Write {
        match change {
            Change::User(user) => Write::User(UserEntry {
                id: Some(user.id),
                name: user.name.clone(),
                email: user.email.clone(),
                is_admin: user.is_admin,
            }),
            Change::Organization(org) => Write::Organization(OrganizationEntry {
                id: Some(org.id),
                name: org.name.clone(),
                owner_id: Some(org.owner_id),
                address: org.address.clone(),
            }),
            Change::Field(field) => Write::PersonField(FieldEntry {
                id: Some(field.id),
                key: Some(field.key.clone()),
                name: field.name.clone(),
                field_type: field.field_type,
                options: field
                    .options
                    .iter()
                    .map(|option| OptionEntry {
                        id: Some(option.id),
                        label: option.label.clone(),
                    })
                    .collect(),
                add_time: Some(SeedTime(field.add_time)),
            }),
            Change::Person {
                id,
                patch,
                actor,
                time,
            } => {
                let entry = person(*id, patch, *actor, *time);
                if self.created.insert(*id) {
                    Write::Person(entry)
                } else {
                    Write::PersonUpdate(entry)
                }
            }
            Change::DeletePersons { ids, time } => Write::PersonDelete(PersonDeleteEntry {
                ids: ids.clone(),
                time: Some(SeedTime(*time)),
            }),
            Change::Merge {
                from,
                into,
                actor,
                time,
            } => Write::PersonMerge(MergeEntry {
                id: *from,
                merge_with_id: *into,
                actor_user_id: Some(*actor),
                time: Some(SeedTime(*time)),
            }),
            Change::Picture {
                person,
                picture: Some(picture),
                time,
            } => Write::Picture(PictureEntry {
                person_id: *person,
                id: Some(picture.id),
                added_by_user_id: Some(picture.added_by_user_id),
                file_size: picture.file_size,
                add_time: Some(SeedTime(picture.add_time)),
                time: Some(SeedTime(*time)),
            }),
            Change::Picture {
                person,
                picture: None,
                time,
            } => Write::PictureDelete(PictureDeleteEntry {
                person_id: *person,
                time: Some(SeedTime(*time)),
            }),
            Change::Follow {
                person,
                user,
                follows,
                actor,
                time,
            } => {
                let entry = FollowerEntry {
                    person_id: *person,
                    user_id: *user,
                    actor_user_id: Some(*actor),
                    time: Some(SeedTime(*time)),
                };
                if *follows {
                    Write::Follower(entry)
                } else {
                    Write::FollowerDelete(entry)
                }
            }
            Change::Product(product) => Write::Product(product_entry(product)),
            Change::DealProduct(attachment) => Write::DealProduct(deal_product(attachment)),
            Change::Deal(record) => Write::Deal(deal(record)),
            Change::Activity(record) => Write::Activity(activity(record)),
            Change::Note(record) => Write::Note(note(record)),
            Change::File(record) => Write::File(file(record)),
            Change::Mail(record) => Write::MailMessage(mail(record)),
        }
    }
}

fn person(id: Id, patch: &PersonPatch, actor: Id, time: i64) -> PersonEntry {
    let contacts = |entries: &Option<Vec<ContactEntry>>| {
        entries.as_ref().map(|entries| {
            entries
                .iter()
                .map(|entry| ContactEntrySeed {
                    value: entry.value.clone(),
                    primary: entry.primary,
                    label: entry.label.clone(),
                })
                .collect()
        })
    };
    let custom_fields: BTreeMap<String, Value> = patch
        .custom
        .iter()
        .map(|(key, value)| (key.clone(), value.clone().unwrap_or(Value::Null)))
        .collect();
    PersonEntry {
        id: Some(id),
        name: patch.name.clone(),
        owner_id: patch.owner_id,
        org_id: patch.org_id,
        emails: contacts(&patch.emails),
        phones: contacts(&patch.phones),
        visible_to: patch.visible_to,
        label_ids: patch.label_ids.clone(),
        custom_fields,
        add_time: patch.add_time.map(SeedTime),
        actor_user_id: Some(actor),
        time: Some(SeedTime(time)),
    }
}

fn deal(deal: &Deal) -> DealEntry {
    DealEntry {
        id: Some(deal.id),
        title: deal.title.clone(),
        value: Some(deal.value),
        currency: Some(deal.currency.clone()),
        status: Some(deal.status),
        owner_id: Some(deal.owner_id),
        person_id: deal.person_id,
        org_id: deal.org_id,
        participants: deal
            .participants
            .iter()
            .map(|(person, relation)| DealParticipantEntry {
                person_id: *person,
                id: Some(*relation),
            })
            .collect(),
        lost_reason: deal.lost_reason.clone(),
        visible_to: Some(deal.visible_to),
        add_time: Some(SeedTime(deal.add_time)),
        update_time: Some(SeedTime(deal.update_time)),
        won_time: deal.won_time.map(SeedTime),
        lost_time: deal.lost_time.map(SeedTime),
        delete_time: deal.delete_time.map(SeedTime),
    }
}

fn activity(activity: &Activity) -> ActivityEntry {
    ActivityEntry {
        id: Some(activity.id),
        subject: Some(activity.subject.clone()),
        kind: Some(activity.kind.clone()),
        owner_id: Some(activity.owner_id),
        person_id: activity.person_id,
        deal_id: activity.deal_id,
        org_id: activity.org_id,
        participants: activity
            .participants
            .iter()
            .map(|(person, primary)| ActivityParticipantEntry {
                person_id: *person,
                primary: *primary,
            })
            .collect(),
        due_date: Some(activity.due_date.clone()),
        due_time: Some(activity.due_time.clone()),
        duration: Some(activity.duration.clone()),
        done: activity.done,
        marked_as_done_time: activity.marked_as_done_time.map(SeedTime),
        note: activity.note.clone(),
        add_time: Some(SeedTime(activity.add_time)),
        update_time: Some(SeedTime(activity.update_time)),
        delete_time: activity.delete_time.map(SeedTime),
    }
}

fn note(note: &Note) -> NoteEntry {
    NoteEntry {
        id: Some(note.id),
        content: note.content.clone(),
        user_id: Some(note.user_id),
        person_id: note.person_id,
        deal_id: note.deal_id,
        org_id: note.org_id,
        add_time: Some(SeedTime(note.add_time)),
        update_time: Some(SeedTime(note.update_time)),
        delete_time: note.delete_time.map(SeedTime),
    }
}

fn file(file: &File) -> FileEntry {
    FileEntry {
        id: Some(file.id),
        user_id: Some(file.user_id),
        person_id: file.person_id,
        deal_id: file.deal_id,
        file_name: file.file_name.clone(),
        file_type: Some(file.file_type.clone()),
        file_size: file.file_size,
        add_time: Some(SeedTime(file.add_time)),
    }
}

fn mail(mail: &MailMessage) -> MailEntry {
    MailEntry {
        id: Some(mail.id),
        user_id: Some(mail.user_id),
        mail_thread_id: Some(mail.thread_id),
        from: mail.from.clone(),
        to: mail.to.clone(),
        subject: mail.subject.clone(),
        snippet: Some(mail.snippet.clone()),
        sent_flag: mail.sent,
        message_time: Some(SeedTime(mail.message_time)),
        person_ids: mail.person_ids.iter().copied().collect(),
        add_time: Some(SeedTime(mail.add_time)),
    }
}

fn product_entry(product: &Product) -> ProductEntry {
    ProductEntry {
        id: Some(product.id),
        name: product.name.clone(),
        code: product.code.clone(),
        unit: product.unit.clone(),
        owner_id: Some(product.owner_id),
        add_time: Some(SeedTime(product.add_time)),
    }
}

fn deal_product(attachment: &DealProduct) -> DealProductEntry {
    DealProductEntry {
        id: Some(attachment.id),
        deal_id: attachment.deal_id,
        product_id: attachment.product_id,
        item_price: attachment.item_price,
        quantity: attachment.quantity,
        add_time: Some(SeedTime(attachment.add_time)),
    }
}
