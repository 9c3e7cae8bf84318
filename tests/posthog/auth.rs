//! Credentials, scopes and projects: PostHog's 401, 403 and 404 bodies, `@current`, the
//! environments prefix.

use persons_mock::posthog::{Event, PersonalKey};
use persons_sdk::posthog::PersonsQuery;

use crate::support::{Fixture, PROJECT, api_error, client, parts};

async fn get(
    fixture: &Fixture,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let mut request = reqwest::Client::new().get(format!("{}{path}", fixture.posthog.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the mock answers");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    (
        response.status().as_u16(),
        response.text().await.unwrap(),
        challenge,
    )
}

#[tokio::test]
async fn missing_and_unknown_keys_are_401_with_where_the_key_was_found() {
    let fixture = Fixture::new().await;
    let (status, body, challenge) = get(&fixture, "/api/projects/1/persons/", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"type":"authentication_error","code":"not_authenticated","detail":"Authentication credentials were not provided.","attr":null}"#
    );
    assert_eq!(challenge.as_deref(), Some("Bearer"));
    let (status, body, _) = get(
        &fixture,
        "/api/projects/1/persons/",
        &[("authorization", "Bearer phx_nope")],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}"#
    );
    let (_, body, _) = get(
        &fixture,
        "/api/projects/1/persons/?personal_api_key=phx_nope",
        &[],
    )
    .await;
    assert!(body.contains("found in request query string is invalid"));
    let (status, _, _) = get(
        &fixture,
        &format!("/api/projects/1/persons/?personal_api_key={}", fixture.key),
        &[],
    )
    .await;
    assert_eq!(status, 200, "a key in the query string works");
}

#[tokio::test]
async fn scopes_are_enforced_per_action() {
    let fixture = Fixture::new().await;
    fixture.seed([Event::new("e", "d")]);
    let pk = fixture.posthog.person(PROJECT, "d").unwrap().pk.to_string();
    let reader = client(
        &fixture.posthog,
        &fixture
            .posthog
            .create_personal_key(PersonalKey::all_access(PROJECT).with_scopes(["person:read"])),
        "1",
    );
    reader
        .list_persons(&PersonsQuery::default(), 0)
        .await
        .expect("person:read lists");
    let (status, body) = api_error(reader.delete_person(&pk, false).await);
    assert_eq!(
        (status, parts(&body)),
        (
            403,
            (
                "authentication_error",
                "permission_denied",
                "API key missing required scope 'person:write'",
                None
            )
        )
    );
    let (_, body) = api_error(
        reader
            .generated()
            .persons_cohorts_retrieve()
            .project_id("1")
            .person_id(&pk)
            .send()
            .await,
    );
    assert_eq!(body.detail, "API key missing required scope 'cohort:read'");
    let (_, body) = api_error(
        reader
            .generated()
            .persons_all_activity_retrieve()
            .project_id("1")
            .send()
            .await,
    );
    assert_eq!(
        body.detail,
        "API key missing required scope 'activity_log:read'"
    );
    let (_, body) = api_error(
        reader
            .generated()
            .persons_properties_timeline_retrieve()
            .project_id("1")
            .id(&pk)
            .send()
            .await,
    );
    assert_eq!(
        body.detail,
        "This action does not support Personal API Key access"
    );
    let writer = client(
        &fixture.posthog,
        &fixture
            .posthog
            .create_personal_key(PersonalKey::all_access(PROJECT).with_scopes(["person:write"])),
        "1",
    );
    writer
        .retrieve_person(&pk)
        .await
        .expect("write grants read");
    let legacy = client(
        &fixture.posthog,
        &fixture
            .posthog
            .create_personal_key(PersonalKey::all_access(PROJECT).unscoped()),
        "1",
    );
    legacy
        .generated()
        .persons_properties_timeline_retrieve()
        .project_id("1")
        .id(&pk)
        .send()
        .await
        .expect("unscoped keys may do anything");
}

#[tokio::test]
async fn projects_are_resolved_and_isolated() {
    let fixture = Fixture::new().await;
    fixture.posthog.create_project(2);
    fixture
        .posthog
        .capture(2, Event::new("e", "secret"))
        .unwrap();
    let (status, body) = api_error(
        client(&fixture.posthog, &fixture.key, "2")
            .list_persons(&PersonsQuery::default(), 0)
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (403, "You don't have access to the project.")
    );
    let scoped = fixture.posthog.create_personal_key(
        PersonalKey::all_access(PROJECT)
            .member_of(2)
            .scoped_to_projects([PROJECT]),
    );
    let (status, body) = api_error(
        client(&fixture.posthog, &scoped, "2")
            .list_persons(&PersonsQuery::default(), 0)
            .await,
    );
    assert_eq!(
        (status, body.detail.as_str()),
        (
            403,
            "API key does not have access to the requested project: ID 2."
        )
    );
    for project in ["99", "abc"] {
        let (status, body) = api_error(
            client(&fixture.posthog, &fixture.key, project)
                .list_persons(&PersonsQuery::default(), 0)
                .await,
        );
        assert_eq!(
            (status, parts(&body)),
            (
                404,
                ("invalid_request", "not_found", "Project not found.", None)
            )
        );
    }
    let current = client(&fixture.posthog, &fixture.key, "@current")
        .list_persons(&PersonsQuery::default(), 0)
        .await
        .unwrap();
    assert!(
        current.results.is_empty(),
        "@current is the key's project, which cannot see project 2"
    );
}

#[tokio::test]
async fn the_environments_prefix_serves_the_same_persons() {
    let fixture = Fixture::new().await;
    fixture.seed([Event::new("e", "d").set("plan", "pro")]);
    let page = fixture
        .client
        .generated()
        .environments_persons_list()
        .environment_id("1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.results.len(), 1);
    assert!(page.results[0].distinct_ids.contains(&"d".to_owned()));
    let pk = fixture.posthog.person(PROJECT, "d").unwrap().pk.to_string();
    let person = fixture
        .client
        .generated()
        .environments_persons_retrieve()
        .environment_id("1")
        .id(&pk)
        .send()
        .await
        .unwrap();
    assert_eq!(
        person.properties.get("plan"),
        Some(&serde_json::json!("pro"))
    );
    let (status, _, _) = get(
        &fixture,
        "/api/projects/1/persons/nope/nothing/",
        &[("authorization", &format!("Bearer {}", fixture.key))],
    )
    .await;
    assert_eq!(status, 404);
}
