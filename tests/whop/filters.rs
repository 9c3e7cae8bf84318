//! Every filter operator, built with the SDK's typed `Filters`, selects the right people.

use persons_mock::whop::{AdEntity, Event};
use persons_sdk::whop::{Filters, PersonField};

use crate::support::{DAY, Fixture, NOW};

async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.ingest([
        Event::page_view()
            .visitor("ann")
            .ad(AdEntity::new("ad_1"))
            .campaign(AdEntity::new("adcamp_1"))
            .at(NOW - 10 * DAY),
        Event::purchase(50.0)
            .visitor("ann")
            .email("ann@acme.com")
            .name("Ann")
            .phone("+1555")
            .at(NOW - 9 * DAY),
        Event::purchase(50.0).visitor("ann").at(NOW - 8 * DAY),
        Event::purchase(50.0).visitor("ann").at(NOW - 7 * DAY),
        Event::failed_payment().visitor("ann").at(NOW - 6 * DAY),
        Event::page_view()
            .visitor("bob")
            .ad(AdEntity::new("ad_2"))
            .at(NOW - 5 * DAY),
        Event::purchase(20.0)
            .visitor("bob")
            .email("bob@other.org")
            .name("Bob")
            .at(NOW - 4 * DAY),
        Event::page_view().visitor("cid").at(NOW - 3 * DAY),
    ]);
    fixture
}

async fn matching(fixture: &Fixture, filters: Filters) -> Vec<String> {
    let page = fixture
        .client
        .generated()
        .list_people()
        .filters(filters.to_string())
        .send()
        .await
        .unwrap_or_else(|error| panic!("{filters} failed: {error}"))
        .into_inner();
    assert_eq!(page.total_count as usize, page.data.len());
    let mut ids: Vec<String> = page.data.into_iter().map(|p| p.person_id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_operator_selects_the_right_people() {
    let fixture = fixture().await;
    let cases: Vec<(Filters, &[&str])> = vec![
        (
            Filters::new().eq(PersonField::Email, "ANN@acme.com"),
            &["ann"],
        ),
        (
            Filters::new().neq(PersonField::Email, "ann@acme.com"),
            &["bob", "cid"],
        ),
        (Filters::new().gt(PersonField::Ltv, 20), &["ann"]),
        (Filters::new().gte(PersonField::Ltv, 20), &["ann", "bob"]),
        (Filters::new().lt(PersonField::Ltv, 20), &["cid"]),
        (
            Filters::new().lte(PersonField::PurchaseCount, 1),
            &["bob", "cid"],
        ),
        (Filters::new().eq(PersonField::Aov, 50), &["ann"]),
        (
            Filters::new().gte(PersonField::FirstSeenAt, NOW - 5 * DAY),
            &["bob", "cid"],
        ),
        (
            Filters::new().lt(PersonField::LastSeenAt, NOW - 5 * DAY),
            &["ann"],
        ),
        (
            Filters::new().contains(PersonField::Email, "ACME"),
            &["ann"],
        ),
        (
            Filters::new().not_contains(PersonField::Email, "acme"),
            &["bob", "cid"],
        ),
        (
            Filters::new().starts_with(PersonField::Name, "bo"),
            &["bob"],
        ),
        (
            Filters::new().is_in(PersonField::PurchaseCount, [0, 3]),
            &["ann", "cid"],
        ),
        (
            Filters::new().not_in(PersonField::Email, ["bob@other.org"]),
            &["ann", "cid"],
        ),
        (
            Filters::new().is_in(PersonField::PersonId, ["cid", "nobody"]),
            &["cid"],
        ),
        (Filters::new().is_set(PersonField::Phone), &["ann"]),
        (Filters::new().is_not_set(PersonField::Email), &["cid"]),
        (
            Filters::new().eq(PersonField::HasFailedPayment, true),
            &["ann"],
        ),
        (
            Filters::new().neq(PersonField::HasFailedPayment, true),
            &["bob", "cid"],
        ),
        (Filters::new().contains(PersonField::Ads, "ad_2"), &["bob"]),
        (
            Filters::new().is_in(PersonField::Ads, ["ad_1", "ad_2"]),
            &["ann", "bob"],
        ),
        (
            Filters::new().not_contains(PersonField::Ads, "ad_1"),
            &["bob", "cid"],
        ),
        (Filters::new().is_set(PersonField::Campaigns), &["ann"]),
        (
            Filters::new().is_not_set(PersonField::AdSets),
            &["ann", "bob", "cid"],
        ),
        (
            Filters::new()
                .gte(PersonField::Ltv, 10)
                .contains(PersonField::Email, "other"),
            &["bob"],
        ),
    ];
    for (filters, expected) in cases {
        let description = filters.to_string();
        assert_eq!(
            matching(&fixture, filters).await,
            expected,
            "filters = {description}"
        );
    }
}

#[tokio::test]
async fn filters_combine_with_window_sort_and_paging() {
    let fixture = fixture().await;
    let page = fixture
        .client
        .generated()
        .list_people()
        .filters(
            Filters::new()
                .gte(PersonField::PurchaseCount, 0)
                .to_string(),
        )
        .from(NOW - 5 * DAY)
        .sort("person_id")
        .direction(persons_sdk::whop::types::SortDirection::Asc)
        .first(1)
        .offset(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_count, 2, "ann has no event in the window");
    assert_eq!(page.data[0].person_id, "cid");
}
