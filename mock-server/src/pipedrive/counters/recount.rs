//! Every person's counters and the search index, kept incrementally as entries apply, equal a
//! recount from the company's records after every kind of write (through the one write path,
//! so the API's handlers, which build the same entries, are covered too).

use super::StatusCounts;
use crate::Timestamp;
use crate::clock::Clock;
use crate::pipedrive::demo::{self, DEMO_COMPANY};
use crate::pipedrive::log::{
    ActivityEntry, ActivityParticipant, DealEntry, DeleteEntry, Entry, FileEntry, FollowerEntry,
    MergeEntry, NoteEntry, ParticipantEntry, PersonDeleteEntry, PersonEntry, PictureEntry,
};
use crate::pipedrive::model::{Deal, DealStatus, Person};
use crate::pipedrive::search::{SearchField, SearchIndex};
use crate::pipedrive::tenant::Company;
use crate::pipedrive::{NewMail, Pipedrive};
use crate::router::App;

/// The demo company's clock.
const NOW: i64 = 1_790_000_000;

/// What a person's counters should be, recounted by scanning every record.
#[derive(Debug, PartialEq)]
struct Recount {
    deals: [u64; 3],
    related: [u64; 3],
    participant: [u64; 3],
    done: u64,
    undone: u64,
    next: Option<u64>,
    last: Option<u64>,
    notes: u64,
    files: u64,
    followers: u64,
    mails: u64,
    last_incoming: Option<i64>,
    last_outgoing: Option<i64>,
}

fn recount(company: &Company, person: u64) -> Recount {
    let count = |iter: &mut dyn Iterator<Item = bool>| iter.filter(|hit| *hit).count() as u64;
    let live_deals: Vec<&Deal> = company
        .deals
        .values()
        .filter(|deal| deal.delete_time.is_none())
        .collect();
    let by_status = |wanted: &dyn Fn(&Deal) -> bool| {
        ["open", "won", "lost"].map(|status| {
            count(
                &mut live_deals
                    .iter()
                    .map(|deal| wanted(deal) && deal.status.as_str() == status),
            )
        })
    };
    let activities: Vec<_> = company
        .activities
        .values()
        .filter(|a| a.delete_time.is_none() && a.linked_persons().contains(&person))
        .collect();
    let next = activities
        .iter()
        .filter(|a| !a.done)
        .min_by_key(|a| (a.due_date.clone(), a.due_time.clone(), a.id))
        .map(|a| a.id);
    let last = activities
        .iter()
        .filter(|a| a.done)
        .max_by_key(|a| (a.due_date.clone(), a.id))
        .map(|a| a.id);
    let mails: Vec<_> = company
        .mails
        .values()
        .filter(|mail| mail.person_ids.contains(&person))
        .collect();
    let last_mail = |sent: bool| {
        mails
            .iter()
            .filter(|mail| mail.sent == sent)
            .map(|mail| mail.message_time)
            .max()
    };
    Recount {
        deals: by_status(&|deal| deal.person_id == Some(person)),
        related: by_status(&|deal| {
            deal.person_id == Some(person) || deal.participants.contains_key(&person)
        }),
        participant: by_status(&|deal| deal.participants.contains_key(&person)),
        done: count(&mut activities.iter().map(|a| a.done)),
        undone: count(&mut activities.iter().map(|a| !a.done)),
        next,
        last,
        notes: count(
            &mut company
                .notes
                .values()
                .map(|n| n.delete_time.is_none() && n.person_id == Some(person)),
        ),
        files: count(&mut company.files.values().map(|f| f.person_id == Some(person))),
        followers: company.followers.get(&person).map_or(0, |f| f.len() as u64),
        mails: mails.len() as u64,
        last_incoming: last_mail(false),
        last_outgoing: last_mail(true),
    }
}

fn kept(person: &Person) -> Recount {
    let c = &person.counters;
    let statuses = |s: &StatusCounts| [s.open, s.won, s.lost];
    Recount {
        deals: statuses(&c.deals),
        related: statuses(&c.related_deals),
        participant: statuses(&c.participant_deals),
        done: c.done(),
        undone: c.undone(),
        next: c.next_activity().map(|next| next.2),
        last: c.last_activity().map(|last| last.1),
        notes: c.notes,
        files: c.files,
        followers: c.followers,
        mails: c.email_messages(),
        last_incoming: c.last_incoming_mail_time(),
        last_outgoing: c.last_outgoing_mail_time(),
    }
}

/// Every kind of entry, applied to the demo company.
fn churn(pipedrive: &Pipedrive) {
    let (users, persons, deals) = pipedrive
        .with_company(DEMO_COMPANY, |company| {
            let persons: Vec<u64> = company.persons.keys().copied().take(12).collect();
            let deals: Vec<u64> = company
                .links
                .deals
                .get(&persons[0])
                .into_iter()
                .flatten()
                .copied()
                .collect();
            (
                company.users.keys().copied().collect::<Vec<u64>>(),
                persons,
                deals,
            )
        })
        .unwrap();
    let (actor, other) = (users[0], users[users.len() - 1]);
    let now = Some(Timestamp::from_unix_seconds(NOW + 100));
    let apply = |entry: Entry| pipedrive.apply(DEMO_COMPANY, entry).unwrap();
    let deal = apply(Entry::Deal(DealEntry {
        title: Some("Churn".into()),
        owner_id: Some(actor),
        person_id: Some(Some(persons[1])),
        time: now,
        ..DealEntry::default()
    }));
    for person in [persons[2], persons[1]] {
        apply(Entry::DealParticipant(ParticipantEntry {
            deal_id: deal,
            person_id: person,
            id: None,
            time: now,
        }));
    }
    let update = |deal: u64| DealEntry {
        id: Some(deal),
        time: now,
        ..DealEntry::default()
    };
    apply(Entry::DealUpdate(DealEntry {
        status: Some(DealStatus::Won),
        ..update(deal)
    }));
    apply(Entry::DealUpdate(DealEntry {
        person_id: Some(Some(persons[3])),
        ..update(deal)
    }));
    if let Some(first) = deals.first() {
        apply(Entry::DealUpdate(DealEntry {
            status: Some(DealStatus::Lost),
            ..update(*first)
        }));
        apply(Entry::DealDelete(DeleteEntry {
            id: *first,
            time: now,
        }));
    }
    let participant = |person, primary| ActivityParticipant {
        person_id: person,
        primary,
    };
    let activity = apply(Entry::Activity(ActivityEntry {
        owner_id: Some(actor),
        person_id: Some(Some(persons[1])),
        participants: Some(vec![
            participant(persons[2], false),
            participant(persons[4], true),
        ]),
        due_date: Some("2020-01-01".into()),
        time: now,
        ..ActivityEntry::default()
    }));
    apply(Entry::ActivityUpdate(ActivityEntry {
        id: Some(activity),
        done: Some(true),
        time: now,
        ..ActivityEntry::default()
    }));
    let planned = apply(Entry::Activity(ActivityEntry {
        owner_id: Some(actor),
        person_id: Some(Some(persons[4])),
        due_date: Some("2019-06-01".into()),
        due_time: Some("08:00".into()),
        time: now,
        ..ActivityEntry::default()
    }));
    apply(Entry::ActivityDelete(DeleteEntry {
        id: planned,
        time: now,
    }));
    let note = |content: &str, person| NoteEntry {
        content: Some(content.into()),
        user_id: Some(actor),
        person_id: Some(person),
        time: now,
        ..NoteEntry::default()
    };
    let moved = apply(Entry::Note(note("churn", persons[5])));
    apply(Entry::NoteUpdate(NoteEntry {
        id: Some(moved),
        person_id: Some(persons[6]),
        time: now,
        ..NoteEntry::default()
    }));
    let gone = apply(Entry::Note(note("gone", persons[6])));
    apply(Entry::NoteDelete(DeleteEntry {
        id: gone,
        time: now,
    }));
    apply(Entry::File(FileEntry {
        id: None,
        user_id: Some(actor),
        person_id: Some(persons[7]),
        deal_id: None,
        file_name: "a.pdf".into(),
        file_type: None,
        file_size: 1,
        time: now,
    }));
    apply(
        NewMail {
            user_id: actor,
            from: "a@example.com".into(),
            subject: "s".into(),
            sent: true,
            message_time: Some(NOW + 100),
            person_ids: vec![persons[7], persons[8]],
            ..NewMail::default()
        }
        .into(),
    );
    let follow = |person| FollowerEntry {
        person_id: person,
        user_id: other,
        actor_user_id: Some(actor),
        time: now,
    };
    apply(Entry::Follower(follow(persons[8])));
    apply(Entry::Follower(follow(persons[9])));
    apply(Entry::FollowerDelete(follow(persons[9])));
    apply(Entry::PersonUpdate(PersonEntry {
        id: Some(persons[10]),
        name: Some("Churned".into()),
        actor_user_id: Some(actor),
        time: now,
        ..PersonEntry::default()
    }));
    apply(Entry::Picture(PictureEntry {
        person_id: persons[10],
        id: None,
        added_by_user_id: Some(actor),
        file_size: 1,
        time: now,
    }));
    for (from, into) in [
        (persons[1], persons[2]),
        (persons[7], persons[8]),
        (persons[4], persons[2]),
    ] {
        apply(Entry::PersonMerge(MergeEntry {
            id: from,
            merge_with_id: into,
            actor_user_id: Some(actor),
            time: now,
        }));
    }
    apply(Entry::PersonDelete(PersonDeleteEntry {
        ids: vec![persons[11]],
        time: now,
    }));
}

/// Runs `check` on the demo company after [`churn`].
fn after_churn(check: impl FnOnce(&Company)) {
    let app = App::new(Clock::frozen_at(NOW));
    let pipedrive = app.pipedrive_at("");
    demo::load(&pipedrive).unwrap();
    churn(&pipedrive);
    pipedrive.with_company(DEMO_COMPANY, check).unwrap();
}

#[test]
fn incremental_counters_equal_a_recount_after_every_kind_of_write() {
    after_churn(|company| {
        for person in company.persons.values() {
            assert_eq!(
                kept(person),
                recount(company, person.id),
                "person {}",
                person.id
            );
        }
        for org in company.orgs.values() {
            let members = company
                .persons
                .values()
                .filter(|person| person.is_active() && person.org_id == Some(org.id))
                .count() as u64;
            assert_eq!(org.people_count, members, "org {}", org.id);
        }
    });
}

#[test]
fn the_search_index_equals_one_rebuilt_from_the_records_after_every_kind_of_write() {
    after_churn(|company| {
        let mut rebuilt = SearchIndex::default();
        for person in company.persons.values().filter(|person| person.is_active()) {
            for field in SearchField::ALL {
                for text in company.search_texts(person, field) {
                    rebuilt.count(person.id, field, &text, super::Sign::Add);
                }
            }
        }
        assert!(!rebuilt.held_words().is_empty());
        assert_eq!(company.search.held_words(), rebuilt.held_words());
    });
}
