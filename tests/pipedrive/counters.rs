//! Every counter moves with the records that drive it, through the API itself.

use persons_mock::pipedrive::NewMail;
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
    let mut members = Vec::new();
    for _ in 0..2 {
        let person = into_body(fx.client.v2().add_person().body(input.clone()).send().await)
            .await
            .unwrap()
            .data
            .id;
        members.push(person);
    }
    assert_eq!(
        fx.v1_person(members[0]).await.org_id.unwrap().people_count,
        2
    );
    into_body(fx.client.v2().delete_person().id(members[1]).send().await)
        .await
        .unwrap();
    assert_eq!(
        fx.v1_person(members[0]).await.org_id.unwrap().people_count,
        1
    );
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
