//! Every bad request gets Whop's `V1ErrorResponse` with the right status and a message that
//! names the problem.

use persons_mock::whop::Event;
use serde_json::Value;

use crate::support::{Fixture, NOW, api_error, client};

/// Sends a raw GET with the fixture's account key, for inputs the typed SDK cannot express.
async fn raw_get(fixture: &Fixture, path_and_query: &str, key: Option<&str>) -> (u16, Value) {
    let key = key
        .map(str::to_owned)
        .unwrap_or_else(|| fixture.whop.create_account_key(crate::support::ACCOUNT));
    let response = reqwest::Client::new()
        .get(format!("{}{path_and_query}", fixture.whop.base_url()))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn assert_error_body(body: &Value, kind: &str, mentions: &str) {
    assert_eq!(body["error"]["type"], kind, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(mentions),
        "`{message}` should mention `{mentions}`"
    );
}

#[tokio::test]
async fn missing_and_unknown_keys_are_401() {
    let fixture = Fixture::new().await;
    let response = reqwest::get(format!("{}/people", fixture.whop.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_error_body(&body, "unauthorized", "Missing API key");

    let stranger = client(&fixture.whop, "apik_made_up");
    let (status, error) = api_error(stranger.generated().list_people().send().await);
    assert_eq!((status, error.type_.as_str()), (401, "unauthorized"));
    let (status, _) = api_error(
        stranger
            .generated()
            .retrieve_person()
            .person_id("x")
            .send()
            .await,
    );
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_the_parameter() {
    let fixture = Fixture::new().await;
    let list = || fixture.client.generated().list_people();
    let cases = [
        (
            api_error(list().first(0).send().await),
            "first",
            "between 1 and 101",
        ),
        (
            api_error(list().first(102).send().await),
            "first",
            "got 102",
        ),
        (
            api_error(list().offset(-1).send().await),
            "offset",
            "0 or more",
        ),
        (
            api_error(list().sort("favourite_colour").send().await),
            "sort",
            "favourite_colour",
        ),
        (
            api_error(list().from(NOW).to(NOW - 1).send().await),
            "from",
            "must not be after",
        ),
        (
            api_error(list().filters("not json").send().await),
            "filters",
            "not valid JSON",
        ),
        (
            api_error(list().filters(r#"{"field":"ltv"}"#).send().await),
            "filters",
            "JSON array",
        ),
        (
            api_error(
                list()
                    .filters(r#"[{"field":"ltv","operator":"approx","value":1}]"#)
                    .send()
                    .await,
            ),
            "filters",
            "unknown operator `approx`",
        ),
        (
            api_error(
                list()
                    .filters(r#"[{"field":"age","operator":"eq","value":1}]"#)
                    .send()
                    .await,
            ),
            "filters",
            "unknown field `age`",
        ),
        (
            api_error(
                list()
                    .filters(r#"[{"field":"email","operator":"gt","value":"a"}]"#)
                    .send()
                    .await,
            ),
            "filters",
            "does not apply",
        ),
    ];
    for ((status, error), param, mentions) in cases {
        assert_eq!(status, 400, "{error:?}");
        assert_eq!(error.type_, "bad_request");
        assert_eq!(error.param.as_deref(), Some(param));
        assert!(
            error.message.contains(mentions),
            "`{}` should mention `{mentions}`",
            error.message
        );
    }
}

#[tokio::test]
async fn non_integer_parameters_are_400() {
    let fixture = Fixture::new().await;
    for (query, param) in [
        ("from=yesterday", "from"),
        ("to=1.5", "to"),
        ("first=ten", "first"),
        ("offset=-", "offset"),
        ("direction=sideways", "direction"),
    ] {
        let (status, body) = raw_get(&fixture, &format!("/people?{query}"), None).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["param"], param);
        assert_error_body(&body, "bad_request", param);
    }
    let (status, body) = raw_get(&fixture, "/people/x?from=soon", None).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("from"))
    );
}

#[tokio::test]
async fn empty_parameters_count_as_absent() {
    let fixture = Fixture::new().await;
    fixture.ingest([Event::page_view().visitor("wuid_1").at(NOW - 10)]);
    let (status, body) = raw_get(&fixture, "/people?account_id=&first=&sort=&filters=", None).await;
    assert_eq!(
        (status, body["total_count"].as_i64()),
        (200, Some(1)),
        "{body}"
    );
    let (status, body) = raw_get(&fixture, "/people?offset=99999999999999999999", None).await;
    assert_eq!(status, 400);
    assert_error_body(&body, "bad_request", "out of range");
}

#[tokio::test]
async fn unknown_people_and_routes_are_404() {
    let fixture = Fixture::new().await;
    fixture.ingest([Event::page_view().visitor("wuid_1").at(NOW - 10)]);
    let (status, error) = api_error(
        fixture
            .client
            .generated()
            .retrieve_person()
            .person_id("prsn_nobody")
            .send()
            .await,
    );
    assert_eq!((status, error.type_.as_str()), (404, "not_found"));
    assert!(error.message.contains("prsn_nobody"));
    let (status, error) = api_error(
        fixture
            .client
            .generated()
            .retrieve_person()
            .person_id("wuid_1")
            .to(NOW - 20)
            .send()
            .await,
    );
    assert_eq!(status, 404);
    assert!(error.message.contains("no activity"));

    let (status, body) = raw_get(&fixture, "/customers", None).await;
    assert_eq!(status, 404);
    assert_error_body(
        &body,
        "not_found",
        "Route not found: GET /whop/api/v1/customers",
    );
}

#[tokio::test]
async fn the_sdk_error_carries_the_parsed_body() {
    let fixture = Fixture::new().await;
    let error: persons_sdk::Error = fixture
        .client
        .generated()
        .list_people()
        .first(500)
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let body = error.whop_error().unwrap();
    assert_eq!(body.code.as_deref(), Some("parameter_invalid"));
    assert!(error.to_string().contains("bad_request"), "{error}");
}
