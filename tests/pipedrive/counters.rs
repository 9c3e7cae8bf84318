//! Every counter moves with the records that drive it, through the API itself.

use persons_mock::pipedrive::demo::DEMO_COMPANY;
use persons_mock::pipedrive::log::{
    ActivityEntry, ActivityParticipant, DealEntry, DeleteEntry, Entry, FileEntry, FollowerEntry,
    MergeEntry, NoteEntry, ParticipantEntry, PersonDeleteEntry, PersonEntry, PictureEntry,
};
use persons_mock::pipedrive::model::{Deal, DealStatus, Person};
use persons_mock::pipedrive::tenant::Company;
use persons_mock::pipedrive::{NewMail, Pipedrive};
use persons_sdk::into_body;
use persons_sdk::pipedrive::{v1, v2};

use crate::support::{COMPANY, Fixture, NOW};

#[tokio::test]
async fn deal_status_drives_deal_counters_in_both_versions() {
    let fx = Fixture::new().await;
    let person = fx.person("Will Smith").await;
    let deal = fx.deal(person, "Big deal").await;
    let counters = fx.counters(person).await;
    assert_eq!(
        (counters.open_deals_count, counters.closed_deals_count),
        (Some(1), Some(0))
    );
    assert_eq!(counters.related_open_deals_count, Some(1));

    let won = v2::types::DealInput {
        status: Some("won".into()),
        ..Default::default()
    };
    into_body(fx.client.v2().update_deal().id(deal).body(won).send().await)
        .await
        .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.open_deals_count,
            counters.won_deals_count,
            counters.closed_deals_count,
            counters.lost_deals_count
        ),
        (Some(0), Some(1), Some(1), Some(0))
    );
    let v1_person = fx.v1_person(person).await;
    assert_eq!(
        (
            v1_person.won_deals_count,
            v1_person.closed_deals_count,
            v1_person.related_won_deals_count
        ),
        (1, 1, 1)
    );

    let lost = v1::types::DealInput {
        status: Some("lost".into()),
        ..Default::default()
    };
    into_body(
        fx.client
            .v1()
            .update_deal()
            .id(deal)
            .body(lost)
            .send()
            .await,
    )
    .await
    .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.won_deals_count,
            counters.lost_deals_count,
            counters.closed_deals_count
        ),
        (Some(0), Some(1), Some(1))
    );

    into_body(fx.client.v2().delete_deal().id(deal).send().await)
        .await
        .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.lost_deals_count,
            counters.closed_deals_count,
            counters.related_lost_deals_count
        ),
        (Some(0), Some(0), Some(0))
    );
}

#[tokio::test]
async fn participants_count_as_related_and_participant_deals() {
    let fx = Fixture::new().await;
    let owner = fx.person("Primary Contact").await;
    let guest = fx.person("Guest Person").await;
    let deal = fx.deal(owner, "Shared deal").await;
    let body = v1::types::AddParticipantRequest { person_id: guest };
    into_body(
        fx.client
            .v1()
            .add_deal_participant()
            .id(deal)
            .body(body)
            .send()
            .await,
    )
    .await
    .unwrap();
    let counters = fx.counters(guest).await;
    assert_eq!(
        (
            counters.open_deals_count,
            counters.related_open_deals_count,
            counters.participant_open_deals_count
        ),
        (Some(0), Some(1), Some(1))
    );
    let won = v2::types::DealInput {
        status: Some("won".into()),
        ..Default::default()
    };
    into_body(fx.client.v2().update_deal().id(deal).body(won).send().await)
        .await
        .unwrap();
    let counters = fx.counters(guest).await;
    assert_eq!(
        (
            counters.participant_open_deals_count,
            counters.participant_closed_deals_count,
            counters.related_won_deals_count
        ),
        (Some(0), Some(1), Some(1))
    );
    let deals = into_body(fx.client.v1().get_person_deals().id(guest).send().await)
        .await
        .unwrap();
    assert_eq!(deals.data.unwrap().len(), 1);
}

#[tokio::test]
async fn activities_drive_counts_and_next_and_last_activity() {
    let fx = Fixture::new().await;
    let person = fx.person("Busy Person").await;
    let activity = |subject: &str, date: &str, time: Option<&str>| v2::types::ActivityInput {
        subject: Some(subject.into()),
        person_id: Some(person),
        due_date: Some(date.into()),
        due_time: time.map(str::to_owned),
        ..Default::default()
    };
    let later = into_body(
        fx.client
            .v2()
            .add_activity()
            .body(activity("Later", "2027-01-10", Some("10:00")))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .id;
    let sooner = into_body(
        fx.client
            .v2()
            .add_activity()
            .body(activity("Sooner", "2027-01-05", None))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .id;
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.activities_count,
            counters.undone_activities_count,
            counters.next_activity_id
        ),
        (Some(2), Some(2), Some(sooner))
    );
    let v1_person = fx.v1_person(person).await;
    assert_eq!(v1_person.next_activity_date.as_deref(), Some("2027-01-05"));

    let done = v1::types::ActivityInput {
        done: Some(1),
        ..Default::default()
    };
    into_body(
        fx.client
            .v1()
            .update_activity()
            .id(sooner)
            .body(done)
            .send()
            .await,
    )
    .await
    .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.done_activities_count,
            counters.undone_activities_count
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (counters.next_activity_id, counters.last_activity_id),
        (Some(later), Some(sooner))
    );
    let v1_person = fx.v1_person(person).await;
    assert_eq!(
        (
            v1_person.next_activity_time.as_deref(),
            v1_person.last_activity_date.as_deref()
        ),
        (Some("10:00:00"), Some("2027-01-05"))
    );

    into_body(fx.client.v1().delete_activity().id(later).send().await)
        .await
        .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (counters.activities_count, counters.next_activity_id),
        (Some(1), None)
    );
}

#[tokio::test]
async fn notes_followers_files_and_mail_are_counted() {
    let fx = Fixture::new().await;
    let person = fx.person("Counted Person").await;
    let note = v1::types::NoteInput {
        content: Some("Met at the fair".into()),
        person_id: Some(person),
        ..Default::default()
    };
    let note = into_body(fx.client.v1().add_note().body(note).send().await)
        .await
        .unwrap()
        .data
        .id;
    let follower = v2::types::AddFollowerRequest {
        user_id: fx.admin as i64,
    };
    into_body(
        fx.client
            .v2()
            .add_person_follower()
            .id(person)
            .body(follower)
            .send()
            .await,
    )
    .await
    .unwrap();
    fx.pipedrive
        .attach_file(COMPANY, person as u64, fx.admin, "contract.pdf", 1024)
        .unwrap();
    let received = NewMail {
        user_id: fx.admin,
        from: "will@example.com".into(),
        subject: "Hello".into(),
        message_time: Some(NOW - 60),
        person_ids: vec![person as u64],
        ..NewMail::default()
    };
    fx.pipedrive.record_mail(COMPANY, received).unwrap();
    let sent = NewMail {
        user_id: fx.admin,
        to: vec!["will@example.com".into()],
        subject: "Re: Hello".into(),
        sent: true,
        person_ids: vec![person as u64],
        ..NewMail::default()
    };
    fx.pipedrive.record_mail(COMPANY, sent).unwrap();

    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.notes_count,
            counters.followers_count,
            counters.files_count,
            counters.email_messages_count
        ),
        (Some(1), Some(1), Some(1), Some(2))
    );
    assert_eq!(
        counters.last_incoming_mail_time,
        Some("2026-09-21T14:12:20Z".into())
    );
    assert_eq!(
        counters.last_outgoing_mail_time,
        Some("2026-09-21T14:13:20Z".into())
    );
    let mail = into_body(
        fx.client
            .v1()
            .get_person_mail_messages()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .unwrap();
    assert_eq!(mail[0].data.subject, "Re: Hello");
    let files = into_body(fx.client.v1().get_person_files().id(person).send().await)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(files[0].file_name, "contract.pdf");

    into_body(fx.client.v1().delete_note().id(note).send().await)
        .await
        .unwrap();
    into_body(
        fx.client
            .v2()
            .delete_person_follower()
            .id(person)
            .follower_id(fx.admin as i64)
            .send()
            .await,
    )
    .await
    .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (counters.notes_count, counters.followers_count),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn organizations_count_their_people() {
    let fx = Fixture::new().await;
    let org = fx
        .pipedrive
        .create_organization(COMPANY, "Acme", fx.admin, None)
        .unwrap() as i64;
    let input = v2::types::PersonInput {
        name: Some("In Org".into()),
        org_id: Some(org),
        ..Default::default()
    };
    let person = into_body(fx.client.v2().add_person().body(input).send().await)
        .await
        .unwrap()
        .data
        .id;
    assert_eq!(fx.v1_person(person).await.org_id.unwrap().people_count, 1);
    into_body(fx.client.v2().delete_person().id(person).send().await)
        .await
        .unwrap();
    let count = fx
        .pipedrive
        .with_company(COMPANY, |company| company.orgs[&(org as u64)].people_count)
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn merge_moves_every_counter_to_the_survivor() {
    let fx = Fixture::new().await;
    let survivor = fx.person("Survivor").await;
    let merged = fx.person("Merged Away").await;
    let email = v2::types::PersonInput {
        emails: vec![v2::types::EmailEntry {
            value: "merged@example.com".into(),
            primary: Some(true),
            label: Some("work".into()),
        }],
        ..Default::default()
    };
    into_body(
        fx.client
            .v2()
            .update_person()
            .id(merged)
            .body(email)
            .send()
            .await,
    )
    .await
    .unwrap();
    fx.deal(merged, "Moving deal").await;
    let activity = v2::types::ActivityInput {
        subject: Some("Call".into()),
        person_id: Some(merged),
        ..Default::default()
    };
    into_body(fx.client.v2().add_activity().body(activity).send().await)
        .await
        .unwrap();
    let note = v1::types::NoteInput {
        content: Some("Moves too".into()),
        person_id: Some(merged),
        ..Default::default()
    };
    into_body(fx.client.v1().add_note().body(note).send().await)
        .await
        .unwrap();

    let body = v1::types::MergePersonsRequest {
        merge_with_id: survivor,
    };
    let result = into_body(
        fx.client
            .v1()
            .merge_persons()
            .id(merged)
            .body(body)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!((result.id, result.merge_what_id), (survivor, merged));
    assert_eq!(
        (
            result.open_deals_count,
            result.activities_count,
            result.notes_count
        ),
        (1, 1, 1)
    );
    assert_eq!(result.email[0].value, "merged@example.com");

    let counters = fx.counters(survivor).await;
    assert_eq!(
        (
            counters.open_deals_count,
            counters.activities_count,
            counters.notes_count
        ),
        (Some(1), Some(1), Some(1))
    );
    let gone = into_body(fx.client.v2().get_person().id(merged).send().await)
        .await
        .unwrap()
        .data;
    assert!(gone.is_deleted);
    let search = into_body(fx.client.v2().search_persons().term("Moves").send().await)
        .await
        .unwrap();
    assert_eq!(search.data.items[0].item.id, survivor);
}

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
    let statuses = |s: &persons_mock::pipedrive::counters::StatusCounts| [s.open, s.won, s.lost];
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
    let now = Some(persons_mock::Timestamp::from_unix_seconds(NOW + 100));
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

#[tokio::test]
async fn incremental_counters_equal_a_recount_after_every_kind_of_write() {
    let mock = persons_mock::MockServer::start().await;
    let pipedrive = mock.pipedrive();
    persons_mock::pipedrive::demo::load(&pipedrive).unwrap();
    churn(&pipedrive);
    pipedrive
        .with_company(DEMO_COMPANY, |company| {
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
        })
        .unwrap();
}
