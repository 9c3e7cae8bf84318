//! The deal, activity and note operations of both versions through the SDK, the person
//! sub-resources that list them, and the v1 sideloading (owner and organization objects,
//! `related_objects`, `activity_distribution`).

use persons_sdk::into_body;
use persons_sdk::pipedrive::{v1, v2};

use crate::support::{COMPANY, Fixture, api_error};

#[tokio::test]
async fn v1_deals_drive_counters_and_list_with_related_objects() {
    let fx = Fixture::new().await;
    let org = fx.org("Acme", Some("1 Main St"));
    let person = fx.person("Dana Deal").await;
    let deal = v1::types::DealInput {
        title: Some("Big one".into()),
        person_id: Some(person),
        org_id: Some(org),
        value: Some(1200.0),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    let created = into_body(fx.client.v1().add_deal().body(deal).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (created.status.as_str(), created.user_id.id, created.value),
        ("open", fx.admin as i64, 1200.0)
    );
    assert_eq!(created.person_id.as_ref().map(|p| p.value), Some(person));
    assert_eq!(fx.v1_person(person).await.open_deals_count, 1);

    let won = v1::types::DealInput {
        status: Some("won".into()),
        ..Default::default()
    };
    into_body(
        fx.client
            .v1()
            .update_deal()
            .id(created.id)
            .body(won)
            .send()
            .await,
    )
    .await
    .unwrap();
    let read = into_body(fx.client.v1().get_deal().id(created.id).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(read.status, "won");
    assert!(read.won_time.is_some());
    let counted = fx.v1_person(person).await;
    assert_eq!(
        (
            counted.open_deals_count,
            counted.won_deals_count,
            counted.closed_deals_count
        ),
        (0, 1, 1)
    );

    let open_only = into_body(
        fx.client
            .v1()
            .get_person_deals()
            .id(person)
            .status("open")
            .send()
            .await,
    )
    .await
    .unwrap();
    assert!(open_only.data.is_none(), "an empty v1 page is data: null");
    let listed = into_body(fx.client.v1().get_person_deals().id(person).send().await)
        .await
        .unwrap();
    assert_eq!(listed.data.unwrap()[0].id, created.id);
    let related = listed.related_objects.unwrap();
    assert_eq!(related.person[&person.to_string()].name, "Dana Deal");
    assert_eq!(related.organization[&org.to_string()].name, "Acme");
    assert!(related.user.contains_key(&fx.admin.to_string()));

    into_body(fx.client.v1().delete_deal().id(created.id).send().await)
        .await
        .unwrap();
    let deleted = into_body(fx.client.v1().get_deal().id(created.id).send().await)
        .await
        .unwrap()
        .data;
    assert!(deleted.deleted && !deleted.active);
    let counted = fx.v1_person(person).await;
    assert_eq!(
        (counted.won_deals_count, counted.closed_deals_count),
        (0, 0)
    );
    let gone = into_body(
        fx.client
            .v1()
            .get_person_deals()
            .id(person)
            .status("deleted")
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(gone.data.unwrap().len(), 1);
    let (status, body) =
        api_error(into_body(fx.client.v1().get_deal().id(9999).send().await).await);
    assert_eq!((status, body.error.message()), (404, "Deal not found"));
}

#[tokio::test]
async fn v1_activities_list_with_their_distribution() {
    let fx = Fixture::new().await;
    let person = fx.person("Ada Activity").await;
    let seller = fx
        .pipedrive
        .add_user(COMPANY, "Sam Seller", "sam@example.com", false);
    let add = |subject: &str, kind: &str, user: u64, done: i64| v1::types::ActivityInput {
        subject: Some(subject.into()),
        type_: Some(kind.into()),
        person_id: Some(person),
        user_id: Some(user as i64),
        due_date: Some("2027-02-01".into()),
        done: Some(done),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for input in [
        add("Call", "call", fx.admin, 0),
        add("Meet", "meeting", fx.admin, 1),
        add("Call again", "call", seller, 0),
    ] {
        let created = into_body(fx.client.v1().add_activity().body(input).send().await)
            .await
            .unwrap()
            .data;
        ids.push(created.id);
    }
    let read = into_body(fx.client.v1().get_activity().id(ids[1]).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (read.subject.as_str(), read.type_.as_str(), read.done),
        ("Meet", "meeting", true)
    );
    let counted = fx.v1_person(person).await;
    assert_eq!(
        (
            counted.activities_count,
            counted.done_activities_count,
            counted.undone_activities_count
        ),
        (3, 1, 2)
    );

    let all = into_body(
        fx.client
            .v1()
            .get_person_activities()
            .id(person)
            .limit(2)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(all.data.as_ref().map(Vec::len), Some(2));
    assert!(all.additional_data.pagination.more_items_in_collection);
    let distribution = &all.additional_data.activity_distribution;
    let admin = &distribution[&fx.admin.to_string()];
    assert_eq!(
        (admin.activity_count, admin.share, admin.name.as_str()),
        (2, 67, "Admin 1")
    );
    assert_eq!(
        (admin.activities["call"], admin.activities["meeting"]),
        (1, 1)
    );
    assert_eq!(distribution[&seller.to_string()].share, 33);
    let related = all.related_objects.unwrap();
    assert!(related.person.contains_key(&person.to_string()));

    let done = into_body(
        fx.client
            .v1()
            .get_person_activities()
            .id(person)
            .done(1)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(done.data.unwrap()[0].id, ids[1]);
    let undone = into_body(
        fx.client
            .v1()
            .get_person_activities()
            .id(person)
            .done(0)
            .exclude(ids[0].to_string())
            .send()
            .await,
    )
    .await
    .unwrap();
    let undone = undone.data.unwrap();
    assert_eq!(
        undone.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![ids[2]]
    );
}

#[tokio::test]
async fn v1_notes_round_trip_and_move_between_persons() {
    let fx = Fixture::new().await;
    let first = fx.person("First Noted").await;
    let second = fx.person("Second Noted").await;
    let input = v1::types::NoteInput {
        content: Some("Met at the fair".into()),
        person_id: Some(first),
        ..Default::default()
    };
    let note = into_body(fx.client.v1().add_note().body(input).send().await)
        .await
        .unwrap()
        .data;
    let read = into_body(fx.client.v1().get_note().id(note.id).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (read.content.as_str(), read.person_id),
        ("Met at the fair", Some(first))
    );
    assert_eq!(fx.v1_person(first).await.notes_count, 1);

    let moved = v1::types::NoteInput {
        content: Some("Met at the fair, twice".into()),
        person_id: Some(second),
        ..Default::default()
    };
    let updated = into_body(
        fx.client
            .v1()
            .update_note()
            .id(note.id)
            .body(moved)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(updated.content, "Met at the fair, twice");
    assert_eq!(
        (
            fx.v1_person(first).await.notes_count,
            fx.v1_person(second).await.notes_count
        ),
        (0, 1)
    );
    into_body(fx.client.v1().delete_note().id(note.id).send().await)
        .await
        .unwrap();
    assert_eq!(fx.v1_person(second).await.notes_count, 0);
    let (status, _) =
        api_error(into_body(fx.client.v1().get_note().id(note.id).send().await).await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn v2_activities_and_deals_round_trip() {
    let fx = Fixture::new().await;
    let person = fx.person("Vera Two").await;
    let deal = fx.deal(person, "Second deal").await;
    let read = into_body(fx.client.v2().get_deal().id(deal).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (read.title.as_str(), read.person_id, read.visible_to),
        ("Second deal", Some(person), 3)
    );

    let input = v2::types::ActivityInput {
        subject: Some("Demo".into()),
        type_: Some("meeting".into()),
        person_id: Some(person),
        deal_id: Some(deal),
        due_date: Some("2027-03-01".into()),
        due_time: Some("09:30".into()),
        ..Default::default()
    };
    let activity = into_body(fx.client.v2().add_activity().body(input).send().await)
        .await
        .unwrap()
        .data;
    let read = into_body(fx.client.v2().get_activity().id(activity.id).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (read.subject.as_str(), read.deal_id, read.done),
        ("Demo", Some(deal), false)
    );
    assert_eq!(
        fx.counters(person).await.next_activity_id,
        Some(activity.id)
    );

    let done = v2::types::ActivityInput {
        done: Some(true),
        ..Default::default()
    };
    let updated = into_body(
        fx.client
            .v2()
            .update_activity()
            .id(activity.id)
            .body(done)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert!(updated.done && updated.marked_as_done_time.is_some());
    let counters = fx.counters(person).await;
    assert_eq!(
        (
            counters.done_activities_count,
            counters.next_activity_id,
            counters.last_activity_id
        ),
        (Some(1), None, Some(activity.id))
    );

    into_body(
        fx.client
            .v2()
            .delete_activity()
            .id(activity.id)
            .send()
            .await,
    )
    .await
    .unwrap();
    let counters = fx.counters(person).await;
    assert_eq!(
        (counters.activities_count, counters.last_activity_id),
        (Some(0), None)
    );
}

#[tokio::test]
async fn v1_persons_embed_owner_and_organization_and_sideload_them() {
    let fx = Fixture::new().await;
    let org = fx.org("Globex", Some("2 Side Rd"));
    let input = v1::types::PersonInput {
        name: Some("Olga Org".into()),
        org_id: Some(org),
        ..Default::default()
    };
    let person = into_body(fx.client.v1().add_person().body(input).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (person.email.len(), person.email[0].value.as_str()),
        (1, ""),
        "no e-mail is a placeholder entry"
    );
    assert_eq!(person.email[0].primary, Some(true));
    assert_eq!(person.primary_email, None);

    let detail = into_body(fx.client.v1().get_person().id(person.id).send().await)
        .await
        .unwrap();
    let organization = detail.data.org_id.as_ref().unwrap();
    assert_eq!(
        (
            organization.value,
            organization.name.as_str(),
            organization.people_count
        ),
        (org, "Globex", 1)
    );
    assert_eq!(detail.data.org_name.as_deref(), Some("Globex"));
    assert_eq!(
        (detail.data.owner_id.value, detail.data.owner_name.as_str()),
        (Some(fx.admin as i64), "Admin 1")
    );
    let dropbox = detail.additional_data.unwrap().dropbox_email.unwrap();
    assert!(dropbox.contains(&person.id.to_string()), "{dropbox}");
    let related = detail.related_objects.unwrap();
    assert_eq!(related.organization[&org.to_string()].people_count, 1);
    assert_eq!(related.user[&fx.admin.to_string()].name, "Admin 1");

    let listed = into_body(fx.client.v1().get_persons().send().await)
        .await
        .unwrap();
    let related = listed.related_objects.unwrap();
    assert!(related.organization.contains_key(&org.to_string()));
    assert!(related.user.contains_key(&fx.admin.to_string()));
}

#[tokio::test]
async fn v1_followers_list_with_their_relation_ids() {
    let fx = Fixture::new().await;
    let person = fx.person("Fern Follow").await;
    let other = fx
        .pipedrive
        .add_user(COMPANY, "Otto Other", "otto@example.com", false);
    let empty = into_body(
        fx.client
            .v1()
            .get_person_followers()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert!(empty.data.is_none());
    for user in [fx.admin, other] {
        let body = v1::types::AddFollowerRequest {
            user_id: user as i64,
        };
        into_body(
            fx.client
                .v1()
                .add_person_follower()
                .id(person)
                .body(body)
                .send()
                .await,
        )
        .await
        .unwrap();
    }
    let listed = into_body(
        fx.client
            .v1()
            .get_person_followers()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert!(!listed.additional_data.pagination.more_items_in_collection);
    let followers = listed.data.unwrap();
    assert_eq!(
        followers
            .iter()
            .map(|f| (f.user_id, f.person_id))
            .collect::<Vec<_>>(),
        vec![(fx.admin as i64, person), (other as i64, person)]
    );
    assert_ne!(followers[0].id, followers[1].id);
    assert_eq!(fx.v1_person(person).await.followers_count, 2);
}

#[tokio::test]
async fn v2_custom_fields_parameter_selects_keys() {
    let fx = Fixture::new().await;
    let mut keys = Vec::new();
    for name in ["Alpha", "Beta"] {
        let field = v1::types::AddPersonFieldRequest {
            name: name.into(),
            field_type: "varchar".into(),
            options: Vec::new(),
        };
        let created = into_body(fx.client.v1().add_person_field().body(field).send().await)
            .await
            .unwrap()
            .data;
        keys.push(created.key);
    }
    let mut custom = serde_json::Map::new();
    custom.insert(keys[0].clone(), "a".into());
    custom.insert(keys[1].clone(), "b".into());
    let input = v2::types::PersonInput {
        name: Some("Cora Custom".into()),
        custom_fields: custom,
        ..Default::default()
    };
    let id = into_body(fx.client.v2().add_person().body(input).send().await)
        .await
        .unwrap()
        .data
        .id;
    let all = into_body(fx.client.v2().get_person().id(id).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(all.custom_fields.len(), 2);
    let only = into_body(
        fx.client
            .v2()
            .get_person()
            .id(id)
            .custom_fields(keys[1].clone())
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        only.custom_fields.keys().collect::<Vec<_>>(),
        vec![&keys[1]]
    );
    assert_eq!(only.custom_fields[&keys[1]], "b");
    let listed = into_body(
        fx.client
            .v2()
            .get_persons()
            .custom_fields(keys[0].clone())
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        listed[0].custom_fields.keys().collect::<Vec<_>>(),
        vec![&keys[0]]
    );

    let unknown = "0".repeat(40);
    let (status, _) = api_error(
        into_body(
            fx.client
                .v2()
                .get_person()
                .id(id)
                .custom_fields(unknown)
                .send()
                .await,
        )
        .await,
    );
    assert_eq!(status, 400);
    let sixteen = vec![keys[0].clone(); 16]
        .iter()
        .enumerate()
        .map(|(at, key)| format!("{}{at:02}", &key[..38]))
        .collect::<Vec<_>>()
        .join(",");
    let (status, body) = api_error(
        into_body(
            fx.client
                .v2()
                .get_person()
                .id(id)
                .custom_fields(sixteen)
                .send()
                .await,
        )
        .await,
    );
    assert_eq!(status, 400);
    assert!(body.error.message().contains("At most 15"), "{body:?}");
}

#[tokio::test]
async fn search_can_be_limited_to_an_organization() {
    let fx = Fixture::new().await;
    let org = fx.org("Initech", None);
    let inside = v2::types::PersonInput {
        name: Some("Milton Waddams".into()),
        org_id: Some(org),
        ..Default::default()
    };
    let inside = into_body(fx.client.v2().add_person().body(inside).send().await)
        .await
        .unwrap()
        .data
        .id;
    fx.person("Milton Outside").await;
    let everyone = into_body(fx.client.v1().search_persons().term("milton").send().await)
        .await
        .unwrap()
        .data
        .items;
    assert_eq!(everyone.len(), 2);
    let in_org = into_body(
        fx.client
            .v2()
            .search_persons()
            .term("milton")
            .organization_id(org)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .items;
    assert_eq!(
        in_org.iter().map(|hit| hit.item.id).collect::<Vec<_>>(),
        vec![inside]
    );
    let organization = in_org[0].item.organization.as_ref().unwrap();
    assert_eq!(
        (organization.id, organization.name.as_str()),
        (org, "Initech")
    );
}

#[tokio::test]
async fn the_collection_is_for_admins_only() {
    let fx = Fixture::new().await;
    fx.person("Collected").await;
    let user = fx
        .pipedrive
        .add_user(COMPANY, "Regular User", "regular@example.com", false);
    let token = fx.pipedrive.add_api_token(COMPANY, user, None);
    let regular = crate::support::client(&fx.pipedrive, &token);
    let (status, body) =
        api_error(into_body(regular.v1().get_persons_collection().send().await).await);
    assert_eq!(
        (status, body.error.message()),
        (403, "You do not have permissions to do this.")
    );
    assert_eq!(
        body.error_info.as_deref(),
        Some("Please check developers.pipedrive.com")
    );
    let admin = into_body(fx.client.v1().get_persons_collection().send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(admin.len(), 1);
}
