//! Every scalar column sorts both ways, nulls last, ties broken by id in the same direction.

use std::cmp::Ordering;

use persons_mock::whop::{Event, StandardEvent};
use persons_sdk::whop::{SortColumn, types};

use crate::support::{DAY, Fixture, NOW};

/// People whose columns differ, tie, and are null in varied ways.
fn varied_people() -> Vec<Event> {
    let mut events = Vec::new();
    for i in 0..12_i64 {
        let visitor = format!("wuid_{i:02}");
        events.push(
            Event::page_view()
                .visitor(&visitor)
                .at(NOW - (i % 5 + 1) * DAY),
        );
        if i % 3 != 0 {
            let mut lead = Event::standard(StandardEvent::Lead)
                .visitor(&visitor)
                .email(format!("p{}.{i}@example.com", (i * 7) % 5))
                .at(NOW - (i % 4) * DAY / 2);
            if i % 2 == 0 {
                lead = lead
                    .name(format!("Person {}", i % 4))
                    .phone(format!("+1555{i}"));
            }
            events.push(lead);
        }
        for _ in 0..(i % 4) {
            events.push(
                Event::purchase((i % 3 * 25) as f64 + 9.99)
                    .visitor(&visitor)
                    .at(NOW - DAY),
            );
        }
        if i % 5 == 0 {
            events.push(Event::failed_payment().visitor(&visitor).at(NOW - 2 * DAY));
        }
    }
    events
}

/// A person's value for `column`, in a form that orders like the mock's.
#[derive(PartialEq, PartialOrd)]
enum Key {
    Text(Option<String>),
    Number(f64),
}

fn key(person: &types::Person, column: SortColumn) -> Key {
    match column {
        SortColumn::Id => Key::Text(Some(person.id.clone())),
        SortColumn::PersonId => Key::Text(Some(person.person_id.clone())),
        SortColumn::Name => Key::Text(person.name.clone()),
        SortColumn::Email => Key::Text(person.email.clone()),
        SortColumn::Phone => Key::Text(person.phone.clone()),
        SortColumn::FirstSeenAt => Key::Number(person.first_seen_at as f64),
        SortColumn::LastSeenAt => Key::Number(person.last_seen_at as f64),
        SortColumn::PurchaseCount => Key::Number(person.purchase_count as f64),
        SortColumn::HasFailedPayment => {
            Key::Number(f64::from(u8::from(person.has_failed_payment.unwrap())))
        }
        SortColumn::Ltv => Key::Number(person.ltv.unwrap()),
        SortColumn::Aov => Key::Number(person.aov.unwrap()),
    }
}

/// The documented order: by column (nulls last either way), then by id, both in `direction`.
fn expected_order(
    a: &types::Person,
    b: &types::Person,
    column: SortColumn,
    ascending: bool,
) -> Ordering {
    let directed = |ordering: Ordering| {
        if ascending {
            ordering
        } else {
            ordering.reverse()
        }
    };
    let by_column = match (key(a, column), key(b, column)) {
        (Key::Text(None), Key::Text(None)) => Ordering::Equal,
        (Key::Text(None), _) => Ordering::Greater,
        (_, Key::Text(None)) => Ordering::Less,
        (x, y) => directed(x.partial_cmp(&y).unwrap()),
    };
    by_column.then_with(|| directed(a.id.cmp(&b.id)))
}

#[tokio::test]
async fn every_sort_column_orders_both_ways() {
    let fixture = Fixture::new().await;
    fixture.ingest(varied_people());
    for column in SortColumn::ALL {
        for (direction, ascending) in [
            (types::SortDirection::Asc, true),
            (types::SortDirection::Desc, false),
        ] {
            let people = fixture
                .client
                .generated()
                .list_people()
                .sort(column.as_str())
                .direction(direction)
                .send()
                .await
                .unwrap()
                .into_inner()
                .data;
            assert_eq!(people.len(), 12);
            let mut expected = people.clone();
            expected.sort_by(|a, b| expected_order(a, b, column, ascending));
            let ids =
                |list: &[types::Person]| list.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
            assert_eq!(
                ids(&people),
                ids(&expected),
                "sort={column} ascending={ascending}"
            );
        }
    }
}

#[tokio::test]
async fn the_default_sort_is_last_seen_at_descending() {
    let fixture = Fixture::new().await;
    fixture.ingest([
        Event::page_view().visitor("wuid_a").at(NOW - 3 * DAY),
        Event::page_view().visitor("wuid_b").at(NOW - DAY),
        Event::page_view().visitor("wuid_c").at(NOW - 2 * DAY),
    ]);
    let people = fixture
        .client
        .generated()
        .list_people()
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        crate::support::person_ids(&people),
        ["wuid_b", "wuid_c", "wuid_a"]
    );
}
