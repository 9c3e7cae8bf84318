//! A small CRM on the Pipedrive mock: persons, a deal won, activities, a note, a merge, and
//! the counters Pipedrive keeps for each person.
//!
//! Run with `cargo run --example pipedrive_crm`.

use persons_mock::MockServer;
use persons_sdk::pipedrive::{Client, v1, v2};
use persons_sdk::{Error, into_body};

const COUNTERS: [&str; 7] = [
    "open_deals_count",
    "won_deals_count",
    "closed_deals_count",
    "activities_count",
    "done_activities_count",
    "notes_count",
    "followers_count",
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mock = MockServer::start().await;
    let pipedrive = mock.pipedrive();
    let (admin, token) = pipedrive.create_company(1);
    let client = Client::builder()
        .base_url(pipedrive.base_url())
        .api_token(token)
        .build()?;

    let add = |name: &str| v2::types::PersonInput {
        name: Some(name.into()),
        ..Default::default()
    };
    let ada = into_body(
        client
            .v2()
            .add_person()
            .body(add("Ada Lovelace"))
            .send()
            .await,
    )
    .await?
    .data
    .id;
    let alias = into_body(
        client
            .v2()
            .add_person()
            .body(add("A. Lovelace"))
            .send()
            .await,
    )
    .await?
    .data
    .id;

    let deal = v2::types::DealInput {
        title: Some("Analytical engine".into()),
        person_id: Some(ada),
        value: Some(5000.0),
        ..Default::default()
    };
    let deal = into_body(client.v2().add_deal().body(deal).send().await)
        .await?
        .data
        .id;
    let won = v2::types::DealInput {
        status: Some("won".into()),
        ..Default::default()
    };
    into_body(client.v2().update_deal().id(deal).body(won).send().await).await?;
    into_body(
        client
            .v2()
            .add_deal()
            .body(v2::types::DealInput {
                title: Some("Follow-up".into()),
                person_id: Some(alias),
                ..Default::default()
            })
            .send()
            .await,
    )
    .await?;

    let call = v2::types::ActivityInput {
        subject: Some("Intro call".into()),
        person_id: Some(alias),
        done: Some(true),
        ..Default::default()
    };
    into_body(client.v2().add_activity().body(call).send().await).await?;
    let note = v1::types::NoteInput {
        content: Some("Prefers letters".into()),
        person_id: Some(alias),
        ..Default::default()
    };
    into_body(client.v1().add_note().body(note).send().await).await?;
    into_body(
        client
            .v2()
            .add_person_follower()
            .id(ada)
            .body(v2::types::AddFollowerRequest {
                user_id: i64::try_from(admin).unwrap_or_default(),
            })
            .send()
            .await,
    )
    .await?;

    print_counters(&client, "before the merge", &[ada, alias]).await?;
    let merge = v1::types::MergePersonsRequest { merge_with_id: ada };
    into_body(
        client
            .v1()
            .merge_persons()
            .id(alias)
            .body(merge)
            .send()
            .await,
    )
    .await?;
    print_counters(&client, "after merging the alias into Ada", &[ada]).await?;
    Ok(())
}

async fn print_counters(client: &Client, title: &str, ids: &[i64]) -> Result<(), Error> {
    println!("{title}:");
    for id in ids {
        let person = client.person(*id, &COUNTERS).await?;
        let counts = [
            person.open_deals_count,
            person.won_deals_count,
            person.closed_deals_count,
            person.activities_count,
            person.done_activities_count,
            person.notes_count,
            person.followers_count,
        ];
        let line: Vec<String> = COUNTERS
            .iter()
            .zip(counts)
            .map(|(name, count)| format!("{name}={}", count.unwrap_or(0)))
            .collect();
        println!("  #{id} {:<14} {}", person.name, line.join(" "));
    }
    Ok(())
}
