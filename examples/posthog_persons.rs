//! The PostHog SDK against the in-process mock: capture a visitor's journey (anonymous
//! pageviews, an identify, an alias, property changes), then read the resulting persons.
//!
//! Run with `cargo run --example posthog_persons`.

use futures::TryStreamExt;
use persons_mock::MockServer;
use persons_mock::posthog::PersonalKey;
use persons_sdk::posthog::{CaptureClient, Client, Event, PersonsQuery, PropertyFilters};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await;
    let posthog = mock.posthog();
    let token = posthog.create_project(1);
    let key = posthog.create_personal_key(PersonalKey::all_access(1));

    let capture = CaptureClient::builder()
        .base_url(posthog.base_url())
        .project_token(token)
        .gzip(true)
        .build()?;
    let anon = "0190f2c4-1a2b-7c3d-8e4f-123456789abc";
    capture
        .send_batch(&[
            Event::new("$pageview", anon).property("$browser", "Firefox"),
            Event::new("$pageview", anon).property("$current_url", "https://example.com/pricing"),
            Event::identify("ada", anon)
                .set("email", "ada@example.com")
                .set_once("first_plan", "free"),
            Event::alias("ada", "crm-42"),
            Event::set_properties("ada").set("plan", "pro"),
            Event::new("$pageview", "grace").set("email", "grace@example.org"),
        ])
        .await?;

    let client = Client::builder()
        .base_url(posthog.base_url())
        .personal_api_key(key)
        .project_id("1")
        .build()?;
    let everyone: Vec<_> = client
        .persons(PersonsQuery::default())
        .try_collect()
        .await?;
    for person in &everyone {
        println!(
            "{} ({}) identified={} ids={:?}",
            person.name, person.uuid, person.is_identified, person.distinct_ids
        );
    }
    let pro = PersonsQuery {
        properties: Some(PropertyFilters::new().exact("plan", "pro")),
        ..PersonsQuery::default()
    };
    let page = client.list_persons(&pro, 0).await?;
    let ada = client
        .retrieve_person(&page.results[0].uuid.to_string())
        .await?;
    println!("pro plan: {} {:?}", ada.name, ada.properties);
    Ok(())
}
