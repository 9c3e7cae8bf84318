//! The Whop SDK against the in-process mock: seed a few visitors and customers, then list the
//! best customers of the last 30 days and look one up.
//!
//! Run with `cargo run --example whop_people`.

use futures::TryStreamExt;
use persons_mock::MockServer;
use persons_mock::whop::{AdEntity, Event, StandardEvent};
use persons_sdk::whop::{Client, Filters, PeopleQuery, PersonField, PersonQuery, SortColumn};

const DAY: i64 = 24 * 60 * 60;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await;
    let whop = mock.whop();
    let key = whop.create_account_key("biz_example");
    let now = mock.clock().now();

    let spring = AdEntity::new("adcamp_spring").name("Spring launch");
    whop.ingest_all(
        "biz_example",
        [
            Event::page_view()
                .visitor("wuid_ada")
                .campaign(spring.clone())
                .at(now - 20 * DAY),
            Event::standard(StandardEvent::Lead)
                .visitor("wuid_ada")
                .email("ada@example.com")
                .name("Ada Lovelace")
                .at(now - 19 * DAY),
            Event::purchase(99.0)
                .email("ada@example.com")
                .at(now - 18 * DAY),
            Event::purchase(49.0)
                .email("ada@example.com")
                .at(now - 3 * DAY),
            Event::page_view().visitor("wuid_alan").at(now - 12 * DAY),
            Event::purchase(19.0)
                .visitor("wuid_alan")
                .name("Alan Turing")
                .at(now - 11 * DAY),
            Event::page_view()
                .visitor("wuid_grace")
                .campaign(spring)
                .at(now - 2 * DAY),
        ],
    )?;

    let client = Client::builder()
        .base_url(whop.base_url())
        .api_key(key)
        .build()?;
    let customers = PeopleQuery {
        from: Some(now - 30 * DAY),
        sort: Some(SortColumn::Ltv),
        filters: Some(Filters::new().gte(PersonField::PurchaseCount, 1)),
        ..PeopleQuery::default()
    };
    println!("Customers of the last 30 days, by lifetime value:");
    let mut people = client.people(customers);
    while let Some(person) = people.try_next().await? {
        println!(
            "  {:<14} {:<18} {} purchases, ltv ${:.2}, aov ${:.2}",
            person.name.as_deref().unwrap_or("(anonymous)"),
            person.email.as_deref().unwrap_or("-"),
            person.purchase_count,
            person.ltv.unwrap_or_default(),
            person.aov.unwrap_or_default(),
        );
    }

    let ada = client
        .retrieve_person("ada@example.com", &PersonQuery::default())
        .await?;
    let campaigns: Vec<&str> = ada
        .campaigns
        .iter()
        .filter_map(|c| c.name.as_deref())
        .collect();
    println!(
        "{} ({}) came from: {}",
        ada.id,
        ada.person_id,
        campaigns.join(", ")
    );
    Ok(())
}
