//! Both pagination styles return every person exactly once, in order.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use persons_sdk::into_body;
use persons_sdk::pipedrive::{PersonsQuery, V1PersonsQuery};

use crate::support::Fixture;

async fn seeded(count: usize) -> (Fixture, Vec<i64>) {
    let fx = Fixture::new().await;
    let mut ids = Vec::new();
    for n in 0..count {
        fx.mock
            .clock()
            .set(crate::support::NOW + (n as i64 % 7) * 60);
        ids.push(fx.person(&format!("Person {n:02}")).await);
    }
    (fx, ids)
}

#[tokio::test]
async fn v2_cursor_pages_have_no_gaps_or_duplicates_in_any_order() {
    let (fx, ids) = seeded(23).await;
    for (sort_by, direction) in [
        ("id", "asc"),
        ("id", "desc"),
        ("update_time", "asc"),
        ("add_time", "desc"),
    ] {
        let query = PersonsQuery {
            sort_by: Some(sort_by.into()),
            sort_direction: Some(direction.into()),
            page_size: Some(4),
            ..PersonsQuery::default()
        };
        let persons: Vec<_> = fx.client.persons(query).try_collect().await.unwrap();
        let seen: Vec<i64> = persons.iter().map(|person| person.id).collect();
        assert_eq!(
            seen.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "{sort_by} {direction}: {seen:?}"
        );
        let keys: Vec<(i64, i64)> = persons
            .iter()
            .map(|person| {
                (
                    if sort_by == "id" {
                        person.id
                    } else if sort_by == "update_time" {
                        person.update_time.timestamp()
                    } else {
                        person.add_time.timestamp()
                    },
                    person.id,
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if direction == "desc" {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{sort_by} {direction}");
    }
    let first = into_body(fx.client.v2().get_persons().limit(23).send().await)
        .await
        .unwrap();
    assert_eq!(first.additional_data.next_cursor, None);
}

#[tokio::test]
async fn v1_offset_pages_have_no_gaps_or_duplicates() {
    let (fx, ids) = seeded(17).await;
    let query = V1PersonsQuery {
        page_size: Some(5),
        sort: Some("name DESC".into()),
        ..V1PersonsQuery::default()
    };
    let persons: Vec<_> = fx.client.persons_v1(query).try_collect().await.unwrap();
    let names: Vec<&str> = persons.iter().map(|person| person.name.as_str()).collect();
    let mut expected = names.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, expected);
    assert_eq!(
        persons
            .iter()
            .map(|person| person.id)
            .collect::<BTreeSet<_>>(),
        ids.into_iter().collect()
    );
    let last = into_body(fx.client.v1().get_persons().start(15).limit(5).send().await)
        .await
        .unwrap();
    assert!(!last.additional_data.pagination.more_items_in_collection);
    assert_eq!(last.additional_data.pagination.next_start, None);
    let past_end = into_body(fx.client.v1().get_persons().start(50).send().await)
        .await
        .unwrap();
    assert!(past_end.data.is_none(), "an empty v1 page is data: null");
}

#[tokio::test]
async fn the_collection_cursor_includes_deleted_persons() {
    let (fx, ids) = seeded(6).await;
    into_body(fx.client.v2().delete_person().id(ids[2]).send().await)
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let mut request = fx.client.v1().get_persons_collection().limit(4);
        if let Some(cursor) = &cursor {
            request = request.cursor(cursor);
        }
        let page = into_body(request.send().await).await.unwrap();
        seen.extend(
            page.data
                .iter()
                .map(|person| (person.id, person.delete_time.is_some())),
        );
        cursor = page.additional_data.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(seen.contains(&(ids[2], true)));
}
