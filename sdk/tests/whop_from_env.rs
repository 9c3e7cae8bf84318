//! `whop::Client::from_env` against the real process environment. This binary holds a single
//! test because it changes environment variables, which must not race with other threads.

#![cfg(feature = "whop")]

use persons_sdk::whop::{API_KEY_VAR, BASE_URL_VAR, Client, PeopleQuery};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "current_thread")]
async fn from_env_reads_the_key_and_base_url() {
    // SAFETY: this is the only test in the binary and no other thread has been started yet.
    unsafe {
        std::env::remove_var(API_KEY_VAR);
        std::env::remove_var(BASE_URL_VAR);
    }
    let error = Client::from_env().unwrap_err();
    assert!(error.to_string().contains(API_KEY_VAR), "{error}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/whop/api/v1", listener.local_addr().unwrap());
    // SAFETY: as above; the mock server's thread starts only after this.
    unsafe {
        std::env::set_var(API_KEY_VAR, "sk_env");
        std::env::set_var(BASE_URL_VAR, base_url);
    }
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("GET"))
        .and(path("/whop/api/v1/people"))
        .and(header("authorization", "Bearer sk_env"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let client = Client::from_env().unwrap();
    let page = client
        .list_people(&PeopleQuery::default(), 0)
        .await
        .unwrap();

    assert_eq!(page.total_count, 0);
}
