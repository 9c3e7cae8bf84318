//! Person endpoints: CRUD in both versions over one store, custom fields, search, bulk
//! delete, followers and person fields.

use persons_sdk::into_body;
use persons_sdk::pipedrive::{CustomFields, v1, v2};
use serde_json::{Value, json};

use crate::support::{Fixture, api_error};

#[tokio::test]
async fn one_store_two_renderings() {
    let fx = Fixture::new().await;
    let input = v1::types::PersonInput {
        name: Some("Will Smith".into()),
        email: vec![v1::types::EmailEntry {
            value: "will@example.com".into(),
            primary: Some(true),
            label: Some("work".into()),
        }],
        visible_to: Some("3".into()),
        ..Default::default()
    };
    let created = into_body(fx.client.v1().add_person().body(input).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (
            created.first_name.as_deref(),
            created.last_name.as_deref(),
            created.first_char.as_str()
        ),
        (Some("Will"), Some("Smith"), "w")
    );
    assert_eq!(
        (
            created.primary_email.as_deref(),
            created.visible_to.as_str()
        ),
        (Some("will@example.com"), "3")
    );
    assert_eq!(created.add_time, "2026-09-21 14:13:20");
    assert_eq!(
        created.phone[0].value, "",
        "v1 answers a placeholder entry for no phone"
    );
    assert_eq!(created.owner_id.id, fx.admin as i64);

    let v2_person = into_body(
        fx.client
            .v2()
            .get_person()
            .id(created.id)
            .include_labels(true)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        (
            v2_person.visible_to,
            v2_person.owner_id,
            v2_person.emails.len()
        ),
        (3, fx.admin as i64, 1)
    );
    assert!(v2_person.phones.is_empty());
    assert_eq!(v2_person.add_time.timestamp(), crate::support::NOW);
    assert!(
        v2_person.open_deals_count.is_none(),
        "v2 counters only on include_fields"
    );

    let patch = v2::types::PersonInput {
        name: Some("Will Jones".into()),
        label_ids: vec![2],
        ..Default::default()
    };
    let updated = into_body(
        fx.client
            .v2()
            .update_person()
            .id(created.id)
            .body(patch)
            .send()
            .await,
    )
    .await;
    assert!(updated.is_ok());
    let v1_person = fx.v1_person(created.id).await;
    assert_eq!(
        (
            v1_person.name.as_str(),
            v1_person.label,
            v1_person.label_ids.as_slice()
        ),
        ("Will Jones", Some(2), &[2][..])
    );
    let labelled = into_body(
        fx.client
            .v2()
            .get_person()
            .id(created.id)
            .include_labels(true)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(labelled.labels[0].label, "Hot lead");

    into_body(fx.client.v1().delete_person().id(created.id).send().await)
        .await
        .unwrap();
    let deleted = fx.v1_person(created.id).await;
    assert!(!deleted.active_flag);
    assert!(
        into_body(fx.client.v2().get_persons().send().await)
            .await
            .unwrap()
            .data
            .is_empty()
    );
}

#[tokio::test]
async fn custom_fields_in_both_wire_forms() {
    let fx = Fixture::new().await;
    let add = |name: &str, field_type: &str, options: Vec<&str>| v1::types::AddPersonFieldRequest {
        name: name.into(),
        field_type: field_type.into(),
        options: options
            .into_iter()
            .map(|label| v1::types::FieldOptionInput {
                label: label.into(),
            })
            .collect(),
    };
    let tier = into_body(
        fx.client
            .v1()
            .add_person_field()
            .body(add("Tier", "enum", vec!["Gold", "Silver"]))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    let budget = into_body(
        fx.client
            .v1()
            .add_person_field()
            .body(add("Budget", "monetary", vec![]))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(tier.key.len(), 40);
    assert!(tier.key.bytes().all(|byte| byte.is_ascii_hexdigit()));
    let gold = tier.options.as_ref().unwrap()[0].id;

    let body = json!({"name": "Custom", tier.key.clone(): gold.to_string(), budget.key.clone(): 1500, format!("{}_currency", budget.key): "USD"});
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/persons", fx.pipedrive.base_url()))
        .header("x-api-token", &fx.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    let id = created["data"]["id"].as_i64().unwrap();
    assert_eq!(created["data"][&tier.key], json!(gold.to_string()));
    assert_eq!(
        created["data"][format!("{}_currency", budget.key)],
        json!("USD")
    );

    let person = into_body(
        fx.client
            .v2()
            .get_person()
            .id(id)
            .include_option_labels(true)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        person.custom_fields[&tier.key],
        json!({"id": gold, "label": "Gold"})
    );
    assert_eq!(
        person.custom_fields[&budget.key],
        json!({"value": 1500, "currency": "USD"})
    );

    let mut custom = serde_json::Map::new();
    custom.insert(tier.key.clone(), json!(999_999));
    let bad = v2::types::PersonInput {
        custom_fields: custom,
        ..Default::default()
    };
    let error = into_body(fx.client.v2().update_person().id(id).body(bad).send().await)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(400));
    let mut clear = serde_json::Map::new();
    clear.insert(tier.key.clone(), serde_json::Value::Null);
    let cleared = into_body(
        fx.client
            .v2()
            .update_person()
            .id(id)
            .body(v2::types::PersonInput {
                custom_fields: clear,
                ..Default::default()
            })
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(cleared.custom_fields[&tier.key], serde_json::Value::Null);
    let fields = into_body(fx.client.v1().get_person_fields().send().await)
        .await
        .unwrap()
        .data;
    assert!(
        fields
            .iter()
            .any(|field| field.key == budget.key && field.edit_flag)
    );
}

#[tokio::test]
async fn search_matches_names_emails_phones_and_notes() {
    let fx = Fixture::new().await;
    let input = v2::types::PersonInput {
        name: Some("Grace Hopper".into()),
        emails: vec![v2::types::EmailEntry {
            value: "grace@navy.example".into(),
            primary: None,
            label: None,
        }],
        phones: vec![v2::types::PhoneEntry {
            value: "+1 555-0101".into(),
            primary: None,
            label: Some("mobile".into()),
        }],
        ..Default::default()
    };
    let grace = into_body(fx.client.v2().add_person().body(input).send().await)
        .await
        .unwrap()
        .data
        .id;
    let other = fx.person("Hopper Grace-Smith").await;
    let note = v1::types::NoteInput {
        content: Some("Invented the compiler".into()),
        person_id: Some(grace),
        ..Default::default()
    };
    into_body(fx.client.v1().add_note().body(note).send().await)
        .await
        .unwrap();

    let hits = into_body(
        fx.client
            .v2()
            .search_persons()
            .term("grace hopper")
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .items;
    assert_eq!(hits[0].item.id, grace, "the whole-name match ranks first");
    let exact = into_body(
        fx.client
            .v1()
            .search_persons()
            .term("GRACE HOPPER")
            .exact_match(true)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .items;
    assert_eq!(
        exact.iter().map(|hit| hit.item.id).collect::<Vec<_>>(),
        vec![grace]
    );
    let by_phone = into_body(fx.client.v2().search_persons().term("5550101").send().await)
        .await
        .unwrap()
        .data
        .items;
    assert_eq!(by_phone[0].item.id, grace);
    let by_note = into_body(
        fx.client
            .v2()
            .search_persons()
            .term("compiler")
            .fields("notes")
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .items;
    assert_eq!(
        (by_note.len(), by_note[0].item.notes.clone()),
        (1, vec!["Invented the compiler".to_owned()])
    );
    let by_email = into_body(
        fx.client
            .v2()
            .search_persons()
            .term("navy")
            .fields("name")
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .items;
    assert!(by_email.is_empty(), "fields restricts where to look");
    let both = into_body(
        fx.client
            .v1()
            .search_persons()
            .term("hopper")
            .limit(1)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(both.data.items.len(), 1);
    assert!(both.additional_data.pagination.more_items_in_collection);
    let _ = other;
}

#[tokio::test]
async fn bulk_delete_and_followers_in_both_versions() {
    let fx = Fixture::new().await;
    let a = fx.person("Bulk A").await;
    let b = fx.person("Bulk B").await;
    let deleted = into_body(
        fx.client
            .v1()
            .delete_persons()
            .ids(format!("{a},{b},999"))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .id;
    assert_eq!(deleted, vec![a, b]);

    let person = fx.person("Followed").await;
    let follower = into_body(
        fx.client
            .v1()
            .add_person_follower()
            .id(person)
            .body(v1::types::AddFollowerRequest {
                user_id: fx.admin as i64,
            })
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        (follower.user_id, follower.person_id),
        (fx.admin as i64, person)
    );
    let listed = into_body(
        fx.client
            .v2()
            .get_person_followers()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(listed[0].user_id, fx.admin as i64);
    let again = into_body(
        fx.client
            .v2()
            .add_person_follower()
            .id(person)
            .body(v2::types::AddFollowerRequest {
                user_id: fx.admin as i64,
            })
            .send()
            .await,
    )
    .await;
    assert_eq!(
        again.unwrap_err().status().map(|status| status.as_u16()),
        Some(400)
    );
    into_body(
        fx.client
            .v1()
            .delete_person_follower()
            .id(person)
            .follower_id(follower.id)
            .send()
            .await,
    )
    .await
    .unwrap();
    let changelog = into_body(
        fx.client
            .v2()
            .get_person_followers_changelog()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap()
    .data;
    assert_eq!(
        changelog
            .iter()
            .map(|change| change.action.as_str())
            .collect::<Vec<_>>(),
        vec!["added", "removed"]
    );
}

#[tokio::test]
async fn v1_root_level_custom_fields_through_the_sdk() {
    let fx = Fixture::new().await;
    let field = |name: &str, field_type: &str| v1::types::AddPersonFieldRequest {
        name: name.into(),
        field_type: field_type.into(),
        options: Vec::new(),
    };
    let budget = into_body(
        fx.client
            .v1()
            .add_person_field()
            .body(field("Budget", "monetary"))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .key;
    let source = into_body(
        fx.client
            .v1()
            .add_person_field()
            .body(field("Source", "varchar"))
            .send()
            .await,
    )
    .await
    .unwrap()
    .data
    .key;
    let input = v1::types::PersonInput {
        name: Some("Custom Typed".into()),
        ..Default::default()
    };
    let custom: CustomFields =
        json!({budget.clone(): 1500, format!("{budget}_currency"): "USD", source.clone(): "fair"})
            .as_object()
            .unwrap()
            .clone();
    let created = fx
        .client
        .add_person_with_custom_fields(&input, &custom)
        .await
        .unwrap();
    assert_eq!(created.person.name, "Custom Typed");
    assert_eq!(created.custom_fields[&budget], json!(1500));
    assert_eq!(
        created.custom_fields[&format!("{budget}_currency")],
        json!("USD")
    );
    assert_eq!(created.custom_fields[&source], json!("fair"));
    let id = created.person.id;
    let v2_view = into_body(fx.client.v2().get_person().id(id).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        v2_view.custom_fields[&budget],
        json!({"value": 1500, "currency": "USD"})
    );

    let clear: CustomFields = json!({source.clone(): null}).as_object().unwrap().clone();
    let updated = fx
        .client
        .update_person_with_custom_fields(id, &v1::types::PersonInput::default(), &clear)
        .await
        .unwrap();
    assert_eq!(updated.custom_fields[&source], Value::Null);
    assert_eq!(updated.custom_fields[&budget], json!(1500));
    let read = fx.client.get_person_with_custom_fields(id).await.unwrap();
    assert_eq!(read.custom_fields, updated.custom_fields);
    assert!(!read.custom_fields.contains_key("name"));

    let missing = fx.client.get_person_with_custom_fields(id + 1000).await;
    let (status, body) = api_error(missing);
    assert_eq!((status, body.error.message()), (404, "Person not found"));
    let bad: CustomFields = json!({"not_a_hash": 1}).as_object().unwrap().clone();
    assert!(matches!(
        fx.client.add_person_with_custom_fields(&input, &bad).await,
        Err(persons_sdk::Error::InvalidRequest(_))
    ));
}
