//! The legacy `/api/person/` prefix (PostHog's `LegacyPersonViewSet`): the same handlers and
//! scopes as `/api/projects/@current/persons/`, on the key's current project, through the
//! generated client's `legacy_persons_*` operations and raw HTTP.

use persons_mock::posthog::{Event, PersonalKey};

use crate::support::{Fixture, PROJECT, api_error, client};

#[tokio::test]
async fn the_legacy_prefix_reads_and_writes_the_keys_current_project() {
    let fixture = Fixture::new().await;
    fixture.seed([Event::new("$set", "ann").set("email", "ann@example.com")]);
    fixture
        .posthog
        .capture(2, Event::new("$set", "bob"))
        .expect("another project");
    let api = fixture.client.generated();
    let list = api.legacy_persons_list().send().await.unwrap().into_inner();
    assert_eq!(list.results.len(), 1, "only the current project's persons");
    assert_eq!(list.results[0].name, "ann@example.com");
    let pk = fixture.pk("ann");
    let person = api.legacy_persons_retrieve().id(&pk).send().await.unwrap();
    assert_eq!(person.into_inner().distinct_ids, ["ann"]);
    let deleted = api.legacy_persons_destroy().id(&pk).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 202);
    assert!(fixture.posthog.person(PROJECT, "ann").is_none());
    let (status, _) = fixture
        .raw(reqwest::Method::GET, "/api/person.csv", None)
        .await;
    assert_eq!(status, 200);

    let elsewhere = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(2).member_of(PROJECT));
    let other = client(&fixture.posthog, &elsewhere, "1");
    let list = other
        .generated()
        .legacy_persons_list()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        list.results[0].distinct_ids,
        ["bob"],
        "the key's current project"
    );
}

#[tokio::test]
async fn the_legacy_prefix_checks_scopes_and_methods_as_the_others_do() {
    let fixture = Fixture::new().await;
    let reader = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT).with_scopes(["person:read"]));
    let reader = client(&fixture.posthog, &reader, "1");
    let (status, body) = api_error(
        reader
            .generated()
            .legacy_persons_bulk_delete_create()
            .body(persons_sdk::posthog::types::BulkDeleteRequest {
                distinct_ids: vec!["a".into()],
                ids: Vec::new(),
                delete_events: None,
                delete_recordings: None,
                keep_person: None,
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (403, "API key missing required scope 'person:write'")
    );
    let (status, body) = fixture
        .raw(
            reqwest::Method::POST,
            "/api/person/",
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(status, 405);
    assert!(
        body.contains("Creating persons via this API is not allowed"),
        "{body}"
    );
    let (status, body) = fixture
        .raw(reqwest::Method::DELETE, "/api/person/values/", None)
        .await;
    assert_eq!(status, 405);
    assert!(body.contains(r#"Method \"DELETE\" not allowed."#), "{body}");
    let anonymous = reqwest::Client::new()
        .get(format!("{}/api/person/", fixture.posthog.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}
