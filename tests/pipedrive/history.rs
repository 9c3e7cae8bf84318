//! A person's flow, changelog, products and picture, through the SDK.

use persons_mock::pipedrive::NewMail;
use persons_mock::pipedrive::png_header;
use persons_sdk::into_body;
use persons_sdk::pipedrive::{Crop, PictureUpload, v1, v2};
use serde_json::json;

use crate::support::{COMPANY, Fixture, NOW, api_error, client};

/// Sets the mock's clock to `NOW + offset`.
fn at(fx: &Fixture, offset: i64) {
    fx.mock.clock().set(NOW + offset);
}

/// A person with one record of every kind in its history, each a second apart; returns
/// `(person, deal, custom field key)`.
async fn busy_person(fx: &Fixture) -> (i64, i64, String) {
    let person = fx.person("Flow Person").await;
    let field = v1::types::AddPersonFieldRequest {
        name: "Source".into(),
        field_type: "varchar".into(),
        options: Vec::new(),
    };
    let key = into_body(fx.client.v1().add_person_field().body(field).send().await)
        .await
        .unwrap()
        .data
        .key;
    at(fx, 1);
    let rename = v2::types::PersonInput {
        name: Some("Flow Renamed".into()),
        ..Default::default()
    };
    into_body(
        fx.client
            .v2()
            .update_person()
            .id(person)
            .body(rename)
            .send()
            .await,
    )
    .await
    .unwrap();
    at(fx, 2);
    let custom = v2::types::PersonInput {
        custom_fields: json!({key.clone(): "fair"}).as_object().unwrap().clone(),
        ..Default::default()
    };
    into_body(
        fx.client
            .v2()
            .update_person()
            .id(person)
            .body(custom)
            .send()
            .await,
    )
    .await
    .unwrap();
    at(fx, 3);
    let deal = fx.deal(person, "Flow deal").await;
    at(fx, 4);
    let done = v2::types::ActivityInput {
        person_id: Some(person),
        done: Some(true),
        ..Default::default()
    };
    into_body(fx.client.v2().add_activity().body(done).send().await)
        .await
        .unwrap();
    at(fx, 5);
    let planned = v2::types::ActivityInput {
        person_id: Some(person),
        ..Default::default()
    };
    into_body(fx.client.v2().add_activity().body(planned).send().await)
        .await
        .unwrap();
    at(fx, 6);
    let note = v1::types::NoteInput {
        content: Some("Flow note".into()),
        person_id: Some(person),
        ..Default::default()
    };
    into_body(fx.client.v1().add_note().body(note).send().await)
        .await
        .unwrap();
    at(fx, 7);
    fx.pipedrive
        .attach_file(COMPANY, person as u64, fx.admin, "flow.pdf", 10)
        .unwrap();
    at(fx, 8);
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
    let mail = NewMail {
        user_id: fx.admin,
        from: "flow@example.com".into(),
        subject: "Flow mail".into(),
        message_time: Some(NOW + 9),
        person_ids: vec![person as u64],
        ..NewMail::default()
    };
    fx.pipedrive.record_mail(COMPANY, mail).unwrap();
    (person, deal, key)
}

fn objects(page: &v1::types::PersonFlowResponse) -> Vec<String> {
    page.data
        .iter()
        .flatten()
        .map(|item| item.object.clone())
        .collect()
}

#[tokio::test]
async fn the_flow_lists_every_kind_of_update_newest_first() {
    let fx = Fixture::new().await;
    let (person, deal, key) = busy_person(&fx).await;
    let flow = into_body(fx.client.v1().get_person_updates().id(person).send().await)
        .await
        .unwrap();
    assert_eq!(
        objects(&flow),
        [
            "mailMessage",
            "follower",
            "file",
            "note",
            "plannedActivity",
            "activity",
            "deal",
            "personChange"
        ]
    );
    let data = flow.data.as_ref().unwrap();
    assert_eq!(
        data[0].timestamp, "2026-09-21T14:13:29Z",
        "mail keeps its ISO times"
    );
    assert_eq!(data[1].timestamp, "2026-09-21 14:13:28");
    let change = &data[7].data;
    assert_eq!(
        (
            &change["field_key"],
            &change["old_value"],
            &change["new_value"]
        ),
        (
            &json!("name"),
            &json!("Flow Person"),
            &json!("Flow Renamed")
        )
    );
    let related = flow.related_objects.as_ref().unwrap();
    assert_eq!(related.person[&person.to_string()].name, "Flow Renamed");
    assert_eq!(related.deal[&deal.to_string()].title, "Flow deal");
    assert!(related.user.contains_key(&fx.admin.to_string()));

    let everything = into_body(
        fx.client
            .v1()
            .get_person_updates()
            .id(person)
            .all_changes("1")
            .send()
            .await,
    )
    .await
    .unwrap();
    let custom = everything
        .data
        .iter()
        .flatten()
        .find(|item| item.data.get("field_key") == Some(&json!(key)))
        .expect("the custom field change is listed with all_changes=1");
    assert_eq!(custom.data["new_value"], json!("fair"));

    let filtered = into_body(
        fx.client
            .v1()
            .get_person_updates()
            .id(person)
            .items("note,deal")
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(objects(&filtered), ["note", "deal"]);

    let first = into_body(
        fx.client
            .v1()
            .get_person_updates()
            .id(person)
            .limit(3)
            .send()
            .await,
    )
    .await
    .unwrap();
    let second = into_body(
        fx.client
            .v1()
            .get_person_updates()
            .id(person)
            .start(3)
            .limit(10)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(first.additional_data.pagination.next_start, Some(3));
    let paged: Vec<String> = objects(&first)
        .into_iter()
        .chain(objects(&second))
        .collect();
    assert_eq!(paged, objects(&flow));

    let (status, body) = api_error(
        into_body(
            fx.client
                .v1()
                .get_person_updates()
                .id(person)
                .items("gossip")
                .send()
                .await,
        )
        .await,
    );
    assert_eq!(
        (status, body.error.message()),
        (400, "Invalid items value: gossip")
    );
    let contacts_only = fx
        .pipedrive
        .create_oauth_token(COMPANY, fx.admin, &["contacts:full"]);
    let (status, _) = api_error(
        into_body(
            client(&fx.pipedrive, "unused")
                .v1()
                .get_person_updates()
                .id(person)
                .send()
                .await,
        )
        .await,
    );
    assert_eq!(status, 401);
    let oauth = persons_sdk::pipedrive::Client::builder()
        .base_url(fx.pipedrive.base_url())
        .oauth_token(contacts_only)
        .build()
        .unwrap();
    let (status, body) =
        api_error(into_body(oauth.v1().get_person_updates().id(person).send().await).await);
    assert_eq!(
        (status, body.error.message()),
        (403, "Scope and URL mismatch")
    );
}

#[tokio::test]
async fn the_changelog_pages_field_changes_newest_first() {
    let fx = Fixture::new().await;
    let person = fx.person("Change Me").await;
    for (step, name) in ["Change One", "Change Two", "Change Three"]
        .iter()
        .enumerate()
    {
        at(&fx, i64::try_from(step).unwrap() + 1);
        let input = v1::types::PersonInput {
            name: Some((*name).into()),
            ..Default::default()
        };
        into_body(
            fx.client
                .v1()
                .update_person()
                .id(person)
                .body(input)
                .send()
                .await,
        )
        .await
        .unwrap();
    }
    let first = into_body(
        fx.client
            .v1()
            .get_person_changelog()
            .id(person)
            .limit(2)
            .send()
            .await,
    )
    .await
    .unwrap();
    let values: Vec<_> = first.data.iter().map(|c| c.new_value.clone()).collect();
    assert_eq!(
        values,
        [Some("Change Three".into()), Some("Change Two".into())]
    );
    assert_eq!(first.data[0].old_value.as_deref(), Some("Change Two"));
    assert_eq!(first.data[0].actor_user_id, fx.admin as i64);
    assert_eq!(first.data[0].time, "2026-09-21 14:13:23");
    let cursor = first.additional_data.next_cursor.clone().unwrap();
    let second = into_body(
        fx.client
            .v1()
            .get_person_changelog()
            .id(person)
            .cursor(cursor)
            .limit(2)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(second.data.len(), 1);
    assert_eq!(second.data[0].old_value.as_deref(), Some("Change Me"));
    assert_eq!(second.additional_data.next_cursor, None);
}

#[tokio::test]
async fn products_come_from_the_persons_deals() {
    let fx = Fixture::new().await;
    let person = fx.person("Buyer").await;
    let deal = fx.deal(person, "Big order").await;
    let other = fx.person("Not a buyer").await;
    let widget = fx
        .pipedrive
        .create_product(COMPANY, fx.admin, "Widget", Some("W-1"))
        .unwrap();
    fx.pipedrive
        .attach_product(COMPANY, deal as u64, widget, 12.5, 4)
        .unwrap();
    assert!(
        fx.pipedrive
            .attach_product(COMPANY, deal as u64, widget, 1.0, 0)
            .is_err()
    );
    let page = into_body(fx.client.v1().get_person_products().id(person).send().await)
        .await
        .unwrap();
    let entries = page.data.unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0][&deal.to_string()];
    assert_eq!(entry.deal.title, "Big order");
    assert_eq!(
        (
            entry.product.name.as_str(),
            entry.product.quantity,
            entry.product.sum
        ),
        ("Widget", 4, 50.0)
    );
    let none = into_body(fx.client.v1().get_person_products().id(other).send().await)
        .await
        .unwrap();
    assert!(none.data.is_none());
    into_body(fx.client.v2().delete_deal().id(deal).send().await)
        .await
        .unwrap();
    let after = into_body(fx.client.v1().get_person_products().id(person).send().await)
        .await
        .unwrap();
    assert!(after.data.is_none());
}

fn png(side: u32) -> PictureUpload {
    PictureUpload {
        bytes: png_header(side, side),
        file_name: "me.png".into(),
        content_type: "image/png".into(),
        crop: None,
    }
}

#[tokio::test]
async fn pictures_upload_read_and_delete() {
    let fx = Fixture::new().await;
    let person = fx.person("Pictured").await;
    let (status, body) =
        api_error(into_body(fx.client.v2().get_person_picture().id(person).send().await).await);
    assert_eq!((status, body.error.message()), (404, "Picture not found"));

    at(&fx, 5);
    let uploaded = fx
        .client
        .add_person_picture(person, png(256))
        .await
        .unwrap()
        .data;
    assert_eq!(
        (uploaded.item_type.as_str(), uploaded.item_id),
        ("person", person)
    );
    assert!(uploaded.pictures.x512.unwrap().ends_with("_512.jpg"));
    let v1_person = fx.v1_person(person).await;
    let picture_id = v1_person.picture_id.unwrap();
    assert_eq!(
        (picture_id.id, picture_id.value),
        (uploaded.id, Some(uploaded.id))
    );
    assert_eq!(v1_person.update_time, "2026-09-21 14:13:25");
    let v2_person = into_body(fx.client.v2().get_person().id(person).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(v2_person.picture_id, Some(uploaded.id));
    let read = into_body(fx.client.v2().get_person_picture().id(person).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(
        (read.id, read.file_size, read.added_by_user_id),
        (uploaded.id, png(256).bytes.len() as i64, fx.admin as i64)
    );

    let cropped = PictureUpload {
        bytes: png_header(400, 300).to_vec(),
        crop: Some(Crop {
            x: 10,
            y: 20,
            width: 200,
            height: 200,
        }),
        ..png(0)
    };
    let replaced = fx
        .client
        .add_person_picture(person, cropped)
        .await
        .unwrap()
        .data;
    assert_ne!(replaced.id, uploaded.id);

    let deleted = into_body(
        fx.client
            .v1()
            .delete_person_picture()
            .id(person)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert_eq!(deleted.data.id, replaced.id);
    assert!(fx.v1_person(person).await.picture_id.is_none());
    let (status, _) = api_error(
        into_body(
            fx.client
                .v1()
                .delete_person_picture()
                .id(person)
                .send()
                .await,
        )
        .await,
    );
    assert_eq!(status, 404);
}

#[tokio::test]
async fn picture_uploads_are_validated() {
    let fx = Fixture::new().await;
    let person = fx.person("Strict").await;
    let refused = |upload: PictureUpload| {
        let client = fx.client.clone();
        async move { api_error(client.add_person_picture(person, upload).await) }
    };
    let (status, body) = refused(png(127)).await;
    assert_eq!(status, 400);
    assert!(body.error.message().contains("at least 128"), "{body:?}");
    let (_, body) = refused(PictureUpload {
        bytes: png_header(300, 200),
        ..png(0)
    })
    .await;
    assert!(body.error.message().contains("square"));
    let (_, body) = refused(PictureUpload {
        bytes: b"%PDF-1.7".to_vec(),
        ..png(0)
    })
    .await;
    assert!(body.error.message().starts_with("Unsupported file type"));
    let (_, body) = refused(PictureUpload {
        crop: Some(Crop {
            x: u32::MAX,
            y: 0,
            width: 200,
            height: 200,
        }),
        ..png(256)
    })
    .await;
    assert_eq!(
        body.error.message(),
        "The crop area must lie inside the image."
    );
    let (status, _) = api_error(fx.client.add_person_picture(person + 1000, png(256)).await);
    assert_eq!(status, 404);

    let json = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/persons/{person}/picture",
            fx.pipedrive.base_url()
        ))
        .header("x-api-token", &fx.token)
        .json(&json!({"file": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["success"], json!(false));
    assert!(fx.v1_person(person).await.picture_id.is_none());
}
