//! Paging through all pages yields each person exactly once, in the order of one big page,
//! for any page size, sort column and direction.

use std::collections::HashSet;

use futures::TryStreamExt;
use persons_mock::whop::Event;
use persons_sdk::whop::{PeopleQuery, SortColumn, types};
use proptest::prelude::*;

use crate::support::{DAY, Fixture, NOW};

/// One generated person: days since last seen (ties on purpose), purchases, whether named.
type PersonSpec = (i64, u8, bool);

async fn check_paging(specs: Vec<PersonSpec>, page_size: u32, sort: SortColumn, ascending: bool) {
    let fixture = Fixture::new().await;
    fixture.ingest(
        specs
            .iter()
            .enumerate()
            .flat_map(|(i, (days, purchases, named))| {
                let visitor = format!("wuid_{i}");
                let mut events = vec![Event::page_view().visitor(&visitor).at(NOW - days * DAY)];
                if *named {
                    events.push(
                        Event::page_view()
                            .visitor(&visitor)
                            .name(format!("N{}", i % 3))
                            .at(NOW - days * DAY),
                    );
                }
                events.extend(
                    (0..*purchases)
                        .map(|_| Event::purchase(5.0).visitor(&visitor).at(NOW - days * DAY)),
                );
                events
            }),
    );
    let direction = if ascending {
        types::SortDirection::Asc
    } else {
        types::SortDirection::Desc
    };
    let query = PeopleQuery {
        sort: Some(sort),
        direction: Some(direction),
        page_size: Some(page_size),
        ..PeopleQuery::default()
    };
    let one_page = fixture
        .client
        .list_people(
            &PeopleQuery {
                page_size: Some(101),
                ..query.clone()
            },
            0,
        )
        .await
        .unwrap();
    assert_eq!(one_page.total_count as usize, specs.len());

    let streamed: Vec<types::Person> = fixture.client.people(query).try_collect().await.unwrap();
    let ids: Vec<&str> = streamed.iter().map(|person| person.id.as_str()).collect();
    let expected: Vec<&str> = one_page
        .data
        .iter()
        .map(|person| person.id.as_str())
        .collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no person twice"
    );
    assert_eq!(ids, expected, "same people, same order as one big page");

    let requests = fixture.mock.received_requests().await.unwrap();
    let list_calls = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/people"))
        .count();
    let pages = specs.len().div_ceil(page_size as usize).max(1);
    assert_eq!(
        list_calls,
        1 + pages,
        "the stream fetches each page once and stops"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn pages_cover_everyone_once_in_order(
        specs in prop::collection::vec((0i64..4, 0u8..3, any::<bool>()), 0..45),
        page_size in 1u32..=12,
        sort in prop::sample::select(SortColumn::ALL.to_vec()),
        ascending in any::<bool>(),
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check_paging(specs, page_size, sort, ascending));
    }
}

#[tokio::test]
async fn the_largest_page_is_101_people() {
    let fixture = Fixture::new().await;
    fixture.ingest((0..150).map(|i| Event::page_view().visitor(format!("wuid_{i}")).at(NOW - i)));
    let query = PeopleQuery {
        page_size: Some(101),
        ..PeopleQuery::default()
    };
    let first = fixture.client.list_people(&query, 0).await.unwrap();
    assert_eq!((first.data.len(), first.total_count), (101, 150));
    let rest = fixture.client.list_people(&query, 101).await.unwrap();
    assert_eq!(rest.data.len(), 49);
    let past_the_end = fixture.client.list_people(&query, 500).await.unwrap();
    assert_eq!(
        (past_the_end.data.len(), past_the_end.total_count),
        (0, 150)
    );
    let everyone: Vec<types::Person> = fixture
        .client
        .people(PeopleQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everyone.len(), 150);
}
