//! Unmatched requests (no spec operation, answered 404): kept, listed, and fatal on drop
//! when the server was built with `fail_on_unmatched(true)`.

use persons_mock::MockServer;

use crate::support::{self, panic_message};

/// GETs `path` on `mock` with `headers`, returning the status.
async fn get(mock: &MockServer, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new().get(format!("{}{path}", mock.uri()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn unmatched_requests_are_kept_and_listed() {
    let mock = MockServer::start().await;
    let key = mock.whop().create_account_key("biz_test");
    let bearer = format!("Bearer {key}");
    let auth = [("authorization", bearer.as_str())];

    assert_eq!(
        get(&mock, "/whop/api/v1/people/pers_missing", &auth).await,
        404
    );
    assert_eq!(get(&mock, "/pipedrive/api/v1/persons", &[]).await, 401);
    assert!(
        mock.journal().unmatched().is_empty(),
        "a missing record is no missing route"
    );
    mock.assert_no_unmatched();

    assert_eq!(get(&mock, "/whop/api/v1/peeple", &auth).await, 404);
    assert_eq!(get(&mock, "/nowhere", &[]).await, 404);
    let unmatched = mock.journal().unmatched();
    let paths: Vec<&str> = unmatched.iter().map(|entry| entry.path()).collect();
    assert_eq!(paths, ["/whop/api/v1/peeple", "/nowhere"]);
    let body = unmatched[0].response_json().unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Route not found"),
        "the vendor's own 404 body is kept: {body}"
    );

    let message = panic_message(|| mock.assert_no_unmatched());
    assert!(
        message.contains("answered 2 request(s) that match no operation"),
        "{message}"
    );
    assert!(
        message.contains("GET /whop/api/v1/peeple → 404 (no spec operation); nearest known: GET /whop/api/v1/events (listEvents), GET /whop/api/v1/people (listPeople)"),
        "{message}"
    );
    mock.journal().clear();
    mock.assert_no_unmatched();
}

#[tokio::test]
async fn fail_on_unmatched_panics_when_the_server_is_dropped() {
    let strict = MockServer::builder().fail_on_unmatched(true).start().await;
    let client = support::whop(&strict).build().unwrap();
    client
        .list_people(&persons_sdk::whop::PeopleQuery::default(), 0)
        .await
        .unwrap();
    assert_eq!(
        get(&strict, "/posthog/api/projects/1/people/", &[]).await,
        404
    );

    let message = panic_message(move || drop(strict));
    assert!(
        message.starts_with("persons mock (fail_on_unmatched):"),
        "{message}"
    );
    assert!(
        message.contains("GET /posthog/api/projects/1/people/ → 404"),
        "{message}"
    );

    let clean = MockServer::builder().fail_on_unmatched(true).start().await;
    assert_eq!(get(&clean, "/whop/api/v1/people", &[]).await, 401);
    drop(clean);
}

#[tokio::test]
#[should_panic(expected = "fail_on_unmatched")]
async fn fail_on_unmatched_fails_the_test() {
    let strict = MockServer::builder().fail_on_unmatched(true).start().await;
    get(&strict, "/whop/api/v2/people", &[]).await;
}
