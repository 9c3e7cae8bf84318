//! Paging: PostHog's `next`/`previous` links and their quirks, the `persons` stream, and a
//! property test that pages partition the newest-first order even with tied `created_at`.

use futures::TryStreamExt;
use persons_mock::posthog::Event;
use persons_sdk::posthog::PersonsQuery;
use proptest::prelude::*;

use crate::support::{Fixture, NOW};

#[tokio::test]
async fn links_are_built_as_posthog_builds_them() {
    let fixture = Fixture::new().await;
    fixture.seed((0..4).map(|i| Event::new("e", &format!("d{i}")).at(NOW - i)));
    let base = format!("{}/api/projects/1/persons/", fixture.posthog.base_url());
    let query = PersonsQuery {
        limit: Some(2),
        ..PersonsQuery::default()
    };
    let page = |offset: i64| fixture.client.list_persons(&query, offset);
    let first = page(0).await.unwrap();
    assert_eq!(
        first.next.as_deref(),
        Some(format!("{base}?limit=2&offset=2").as_str())
    );
    assert_eq!(first.previous, None);
    let second = page(2).await.unwrap();
    assert_eq!(
        second.previous.as_deref(),
        Some(format!("{base}?limit=2&offset=2").as_str()),
        "offset == limit keeps the current URL"
    );
    assert_eq!(
        second.next.as_deref(),
        Some(format!("{base}?limit=2&offset=4").as_str()),
        "a full last page still links onward"
    );
    let third = page(4).await.unwrap();
    assert!(third.results.is_empty());
    assert_eq!(third.next, None);
    assert_eq!(
        third.previous.as_deref(),
        Some(format!("{base}?limit=2&offset=2").as_str())
    );
    let (_, body) = fixture
        .raw(
            reqwest::Method::GET,
            "/api/projects/1/persons/?limit=-3",
            None,
        )
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["results"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "a bad limit means 100"
    );
}

#[tokio::test]
async fn the_stream_follows_next_to_the_end() {
    let fixture = Fixture::new().await;
    fixture.seed((0..7).map(|i| Event::new("e", &format!("d{i}")).at(NOW - i)));
    let all: Vec<_> = fixture
        .client
        .persons(PersonsQuery {
            limit: Some(3),
            ..PersonsQuery::default()
        })
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all
        .iter()
        .map(|person| person.distinct_ids[0].as_str())
        .collect();
    assert_eq!(ids, vec!["d0", "d1", "d2", "d3", "d4", "d5", "d6"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn pages_partition_the_list_even_with_ties(times in prop::collection::vec(0i64..4, 1..25), limit in 1i64..6) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let fixture = Fixture::new().await;
            fixture.seed(times.iter().enumerate().map(|(i, at)| Event::new("e", &format!("d{i}")).at(NOW - at)));
            let whole = fixture.client.list_persons(&PersonsQuery::default(), 0).await.unwrap().results;
            let mut paged = Vec::new();
            let mut offset = 0;
            loop {
                let query = PersonsQuery { limit: Some(limit), ..PersonsQuery::default() };
                let page = fixture.client.list_persons(&query, offset).await.unwrap();
                let mut uuids: Vec<_> = page.results.iter().map(|person| person.uuid).collect();
                paged.append(&mut uuids);
                if page.next.is_none() {
                    break;
                }
                offset += limit;
            }
            let mut sorted_whole: Vec<_> = whole.iter().map(|person| person.uuid).collect();
            prop_assert_eq!(paged.len(), times.len());
            let mut deduped = paged.clone();
            deduped.sort();
            deduped.dedup();
            prop_assert_eq!(deduped.len(), paged.len(), "no person twice");
            sorted_whole.sort();
            prop_assert_eq!(deduped, sorted_whole);
            let created: Vec<i64> = whole.iter().map(|person| person.created_at.timestamp()).collect();
            prop_assert!(created.windows(2).all(|pair| pair[0] >= pair[1]), "newest first");
            Ok(())
        })?;
    }
}
