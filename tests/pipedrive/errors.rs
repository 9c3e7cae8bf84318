//! Pipedrive's error bodies and statuses, auth, scopes and tenancy.

use persons_sdk::into_body;
use persons_sdk::pipedrive::{ErrorMessage, v1, v2};
use serde_json::Value;

use crate::support::{COMPANY, Fixture, api_error, client};

/// A raw request against the mock (for what the typed client cannot send).
async fn raw(
    fx: &Fixture,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", fx.pipedrive.base_url()));
    if let Some(token) = token {
        request = request.header("x-api-token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn bad_tokens_get_the_gateway_401() {
    let fx = Fixture::new().await;
    let stranger = client(&fx.pipedrive, "0000000000000000000000000000000000000000");
    let (status, body) = api_error(into_body(stranger.v2().get_persons().send().await).await);
    assert_eq!(
        (status, body.error_code, body.error.message()),
        (401, Some(401), "unauthorized access")
    );
    let (status, headers, body) = raw(&fx, reqwest::Method::GET, "/v1/persons", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(headers["x-401-by-gw"], "true");
    assert_eq!(
        body,
        serde_json::json!({"success": false, "error": "unauthorized access", "errorCode": 401, "error_info": "Please check developers.pipedrive.com"})
    );
    let query = raw(
        &fx,
        reqwest::Method::GET,
        &format!("/api/v1/persons?api_token={}", fx.token),
        None,
        None,
    )
    .await;
    assert_eq!(
        query.0, 200,
        "v1 takes the legacy api_token query parameter"
    );
    let v2_query = raw(
        &fx,
        reqwest::Method::GET,
        &format!("/api/v2/persons?api_token={}", fx.token),
        None,
        None,
    )
    .await;
    assert_eq!(v2_query.0, 401, "v2 takes the header only");
}

#[tokio::test]
async fn unknown_persons_and_missing_names_get_pipedrives_messages() {
    let fx = Fixture::new().await;
    let (status, body) =
        api_error(into_body(fx.client.v1().get_person().id(999).send().await).await);
    assert_eq!((status, body.error.message()), (404, "Person not found"));
    assert_eq!(
        body.error_info.as_deref(),
        Some("Please check developers.pipedrive.com for more information about Pipedrive API.")
    );
    let (status, body) = api_error(
        into_body(
            fx.client
                .v1()
                .add_person()
                .body(v1::types::PersonInput::default())
                .send()
                .await,
        )
        .await,
    );
    assert_eq!((status, body.error.message()), (400, "Name must be given."));
    let (status, body) =
        api_error(into_body(fx.client.v1().delete_persons().ids("").send().await).await);
    assert_eq!(
        (status, body.error.message()),
        (400, "Please provide at least one item to delete")
    );
    let (status, _, _) = raw(
        &fx,
        reqwest::Method::GET,
        "/api/v2/nowhere",
        Some(&fx.token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = raw(
        &fx,
        reqwest::Method::GET,
        "/v2/persons",
        Some(&fx.token),
        None,
    )
    .await;
    assert_eq!(status, 404, "v2 lives under /api/v2 only");
}

#[tokio::test]
async fn search_errors_come_from_the_search_service() {
    let fx = Fixture::new().await;
    let (status, body) =
        api_error(into_body(fx.client.v2().search_persons().term("a").send().await).await);
    assert_eq!(status, 400);
    match body.error {
        ErrorMessage::Service {
            code,
            failed_fields,
            ..
        } => assert_eq!((code, failed_fields), (400, vec!["term".to_owned()])),
        other => panic!("expected the search service's error, got {other:?}"),
    }
    let exact = into_body(
        fx.client
            .v2()
            .search_persons()
            .term("a")
            .exact_match(true)
            .send()
            .await,
    )
    .await;
    assert!(exact.is_ok(), "one character is enough with exact_match");
}

#[tokio::test]
async fn limits_above_500_are_capped_in_v1_and_refused_in_v2() {
    let fx = Fixture::new().await;
    let v1 = into_body(fx.client.v1().get_persons().limit(900).send().await)
        .await
        .unwrap();
    assert_eq!(v1.additional_data.pagination.limit, 500);
    let (status, body) =
        api_error(into_body(fx.client.v2().get_persons().limit(900).send().await).await);
    assert_eq!(
        (status, body.code.as_deref()),
        (400, Some("ERR_SCHEMA_VALIDATION_FAILED"))
    );
}

#[tokio::test]
async fn v2_rejects_numeric_booleans_and_string_numbers_v1_coerces_them() {
    let fx = Fixture::new().await;
    let person = fx.person("Typed Person").await;
    let (status, _, _) = raw(
        &fx,
        reqwest::Method::GET,
        &format!("/api/v2/persons/{person}?include_labels=1"),
        Some(&fx.token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let body = serde_json::json!({"name": "Str", "owner_id": fx.admin.to_string()});
    let (status, _, error) = raw(
        &fx,
        reqwest::Method::POST,
        "/api/v2/persons",
        Some(&fx.token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"].as_str().unwrap().contains("owner_id"),
        "{error}"
    );
    let (status, _, created) = raw(
        &fx,
        reqwest::Method::POST,
        "/api/v1/persons",
        Some(&fx.token),
        Some(body),
    )
    .await;
    assert_eq!(
        (status, created["data"]["owner_id"]["id"].as_u64()),
        (201, Some(fx.admin))
    );
    let (status, _, _) = raw(
        &fx,
        reqwest::Method::POST,
        "/api/v2/deals",
        Some(&fx.token),
        Some(serde_json::json!({"title": "t", "value": "10"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn oauth_scopes_are_enforced() {
    let fx = Fixture::new().await;
    let person = fx.person("Scoped").await;
    let read_only = fx
        .pipedrive
        .create_oauth_token(COMPANY, fx.admin, &["contacts:read"]);
    let reader = persons_sdk::pipedrive::Client::builder()
        .base_url(fx.pipedrive.base_url())
        .oauth_token(read_only)
        .build()
        .unwrap();
    assert!(
        into_body(reader.v2().get_person().id(person).send().await)
            .await
            .is_ok()
    );
    let input = v2::types::PersonInput {
        name: Some("Nope".into()),
        ..Default::default()
    };
    let (status, body) =
        api_error(into_body(reader.v2().add_person().body(input).send().await).await);
    assert_eq!(
        (status, body.error.message()),
        (403, "Scope and URL mismatch")
    );
    let (status, _) = api_error(into_body(reader.v2().get_deal().id(1).send().await).await);
    assert_eq!(status, 403);
    let api_token_as_bearer = persons_sdk::pipedrive::Client::builder()
        .base_url(fx.pipedrive.base_url())
        .oauth_token(fx.token.clone())
        .build()
        .unwrap();
    assert_eq!(
        api_error(
            into_body(
                api_token_as_bearer
                    .v2()
                    .get_person()
                    .id(person)
                    .send()
                    .await
            )
            .await
        )
        .0,
        401
    );
}

#[tokio::test]
async fn companies_never_see_each_others_data() {
    let fx = Fixture::new().await;
    let person = fx.person("Company One Person").await;
    let (_, other_token) = fx.pipedrive.create_company(2);
    let other = client(&fx.pipedrive, &other_token);
    assert_eq!(
        api_error(into_body(other.v2().get_person().id(person).send().await).await).0,
        404
    );
    assert!(
        into_body(other.v2().get_persons().send().await)
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let hits = into_body(other.v2().search_persons().term("Company").send().await)
        .await
        .unwrap();
    assert!(hits.data.items.is_empty());
}

#[tokio::test]
async fn owner_only_persons_are_hidden_from_other_users() {
    let fx = Fixture::new().await;
    let seller = fx
        .pipedrive
        .add_user(COMPANY, "Seller", "seller@example.com", false);
    let seller_client = client(
        &fx.pipedrive,
        &fx.pipedrive.add_api_token(COMPANY, seller, None),
    );
    let input = v2::types::PersonInput {
        name: Some("Private".into()),
        visible_to: Some(1),
        ..Default::default()
    };
    let private = into_body(fx.client.v2().add_person().body(input).send().await)
        .await
        .unwrap()
        .data
        .id;
    assert_eq!(
        api_error(into_body(seller_client.v2().get_person().id(private).send().await).await).0,
        404
    );
    let users = into_body(fx.client.v1().get_person_users().id(private).send().await)
        .await
        .unwrap()
        .data;
    assert_eq!(users, vec![fx.admin as i64]);
    let follow = v2::types::AddFollowerRequest {
        user_id: seller as i64,
    };
    into_body(
        fx.client
            .v2()
            .add_person_follower()
            .id(private)
            .body(follow)
            .send()
            .await,
    )
    .await
    .unwrap();
    assert!(
        into_body(seller_client.v2().get_person().id(private).send().await)
            .await
            .is_ok(),
        "followers see owner-only persons"
    );
}

#[tokio::test]
async fn the_sdk_can_send_the_v1_token_in_the_query() {
    let fx = Fixture::new().await;
    let person = fx.person("Query Token").await;
    let in_query = |token: &str| {
        persons_sdk::pipedrive::Client::builder()
            .base_url(fx.pipedrive.base_url())
            .api_token(token)
            .token_in_query(true)
            .build()
            .unwrap()
    };
    let client = in_query(&fx.token);
    let read = into_body(client.v1().get_person().id(person).send().await)
        .await
        .unwrap();
    assert_eq!(read.data.name, "Query Token");
    let v2_read = into_body(client.v2().get_person().id(person).send().await)
        .await
        .unwrap();
    assert_eq!(v2_read.data.id, person);
    let requests = fx.mock.received_requests().await.unwrap();
    let v1_request = requests
        .iter()
        .rev()
        .find(|request| request.url.path().contains("/api/v1/persons/"))
        .unwrap();
    assert!(
        v1_request
            .url
            .query_pairs()
            .any(|(name, value)| name == "api_token" && value == fx.token.as_str())
    );
    assert!(!v1_request.headers.contains_key("x-api-token"));
    let v2_request = requests.last().unwrap();
    assert!(v2_request.url.query().is_none());
    assert!(v2_request.headers.contains_key("x-api-token"));

    let (status, body) = api_error(
        into_body(
            in_query("0000000000000000000000000000000000000000")
                .v1()
                .get_person()
                .id(person)
                .send()
                .await,
        )
        .await,
    );
    assert_eq!((status, body.error_code), (401, Some(401)));
}

/// Every route with malformed ids, parameters and bodies answers a Pipedrive error body
/// (never a 5xx, never a panic).
#[tokio::test]
async fn malformed_requests_get_pipedrive_errors() {
    let fx = Fixture::new().await;
    let person = fx.person("Target").await;
    let ids = [
        "abc",
        "-1",
        "99999999999999999999999",
        "%F0%9F%98%80",
        "0",
        &person.to_string(),
    ];
    let templates = [
        ("GET", "/v1/persons/{}"),
        ("PUT", "/v1/persons/{}"),
        ("DELETE", "/v1/persons/{}"),
        ("PUT", "/v1/persons/{}/merge"),
        ("GET", "/v1/persons/{}/followers"),
        ("POST", "/v1/persons/{}/followers"),
        ("DELETE", "/v1/persons/{}/followers/{}"),
        ("GET", "/v1/persons/{}/deals"),
        ("GET", "/v1/persons/{}/activities"),
        ("GET", "/v1/persons/{}/files"),
        ("GET", "/v1/persons/{}/mailMessages"),
        ("GET", "/v1/persons/{}/permittedUsers"),
        ("GET", "/v1/persons/{}/flow"),
        ("GET", "/v1/persons/{}/changelog"),
        ("GET", "/v1/persons/{}/products"),
        ("POST", "/v1/persons/{}/picture"),
        ("DELETE", "/v1/persons/{}/picture"),
        ("PUT", "/v1/deals/{}"),
        ("POST", "/v1/deals/{}/participants"),
        ("PUT", "/v1/activities/{}"),
        ("PUT", "/v1/notes/{}"),
        ("GET", "/api/v2/persons/{}"),
        ("PATCH", "/api/v2/persons/{}"),
        ("GET", "/api/v2/persons/{}/picture"),
        ("GET", "/api/v2/persons/{}/followers"),
        ("GET", "/api/v2/persons/{}/followers/changelog"),
        ("DELETE", "/api/v2/persons/{}/followers/{}"),
        ("PATCH", "/api/v2/deals/{}"),
        ("PATCH", "/api/v2/activities/{}"),
    ];
    let queries = [
        "",
        "?limit=-1&start=99999999999999999999",
        "?cursor=zz&limit=0",
        "?items=,,&all_changes=maybe&status=x&done=2",
        "?limit=99999999999999999999999",
    ];
    let bodies: [&[u8]; 5] = [
        b"not json",
        b"[]",
        b"{\"name\": 5, \"value\": 1e400}",
        br#"{"name": "", "value": "NaN", "person_id": -1, "due_date": "2024-13-45", "participants": [{"person_id": "x"}], "custom_fields": []}"#,
        "{\"name\": \"\u{1F600}\", \"email\": [{\"value\": \"\u{0}\"}], \"visible_to\": 300, \"merge_with_id\": 18446744073709551615, \"user_id\": 18446744073709551615}".as_bytes(),
    ];
    let http = reqwest::Client::new();
    for (method, template) in templates {
        for id in ids {
            let path = template.replace("{}", id);
            for (at, query) in queries.iter().enumerate() {
                let body = bodies[at % bodies.len()];
                let response = http
                    .request(
                        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{}{path}{query}", fx.pipedrive.base_url()),
                    )
                    .header("x-api-token", &fx.token)
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let json: Value = response.json().await.unwrap_or(Value::Null);
                assert!(
                    status < 500,
                    "{method} {path}{query} answered {status}: {json}"
                );
                if status >= 400 {
                    assert_eq!(
                        json["success"],
                        Value::Bool(false),
                        "{method} {path}{query}: {json}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn texts_contacts_and_bodies_over_their_limits_are_400s() {
    let fx = Fixture::new().await;
    let post = |path: &'static str, body: Value| {
        let fx = &fx;
        async move {
            let (status, _, body) =
                raw(fx, reqwest::Method::POST, path, Some(&fx.token), Some(body)).await;
            (status, body["error"].clone())
        }
    };
    let emails: Vec<String> = (0..101).map(|n| format!("p{n}@example.com")).collect();
    let cases = [
        (
            "/v1/persons",
            serde_json::json!({"name": "é".repeat(256)}),
            "\"name\" length must be less than or equal to 255 characters long",
        ),
        (
            "/v1/persons",
            serde_json::json!({"name": "Ada", "email": emails}),
            "\"email\" must contain less than or equal to 100 items",
        ),
        (
            "/v1/deals",
            serde_json::json!({"title": "t".repeat(256)}),
            "\"title\" length must be less than or equal to 255 characters long",
        ),
        (
            "/v1/notes",
            serde_json::json!({"content": "n".repeat(65_536), "person_id": 1}),
            "\"content\" length must be less than or equal to 65535 characters long",
        ),
        (
            "/v1/persons",
            serde_json::json!({"name": "Ada", "label_ids": vec![1; 10_000]}),
            "The body holds more than 10000 JSON values.",
        ),
    ];
    for (path, body, message) in cases {
        assert_eq!(
            post(path, body).await,
            (400, Value::from(message)),
            "{path}"
        );
    }
    let (status, _, body) = raw(
        &fx,
        reqwest::Method::POST,
        "/v1/persons",
        Some(&fx.token),
        Some(serde_json::json!({"name": "é".repeat(255)})),
    )
    .await;
    assert_eq!(status, 201, "255 characters fit");
    assert!(
        body.get("additional_data").is_none(),
        "add answers without additional_data, as Pipedrive's spec shows: {body}"
    );
    let (status, _, body) = raw(
        &fx,
        reqwest::Method::POST,
        "/api/v2/persons",
        Some(&fx.token),
        Some(serde_json::json!({"name": "x".repeat(256)})),
    )
    .await;
    assert_eq!(status, 400, "v2 too: {body}");
}
