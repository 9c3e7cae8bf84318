//! The list: filters (`properties` operators, `email`, `distinct_id`, `search`), totals, CSV.

use persons_mock::posthog::Event;
use persons_sdk::posthog::{PersonsQuery, PropertyFilters};

use crate::support::{Fixture, NOW, PROJECT, api_error, parts};

/// Five persons with assorted properties, created a minute apart (p4 newest).
async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::new("e", "p0")
            .set("email", "ann@example.com")
            .set("age", 17)
            .set("plan", "free")
            .at(NOW - 500),
        Event::new("e", "p1")
            .set("email", "bob@example.com")
            .set("age", 30)
            .set("plan", "pro")
            .at(NOW - 400),
        Event::new("e", "p2")
            .set("email", "Cy@Other.org")
            .set("age", "41")
            .at(NOW - 300),
        Event::new("e", "p3")
            .set("name", "Dee")
            .set("signup", "2025-03-01T10:00:00Z")
            .at(NOW - 200),
        Event::new("e", "p4")
            .set("plan", "team")
            .set("age", 55)
            .at(NOW - 100),
    ]);
    fixture
}

async fn names(fixture: &Fixture, query: PersonsQuery) -> Vec<String> {
    let page = fixture
        .client
        .list_persons(&query, 0)
        .await
        .expect("list succeeds");
    page.results
        .into_iter()
        .map(|person| person.distinct_ids[0].clone())
        .collect()
}

fn filtered(filters: PropertyFilters) -> PersonsQuery {
    PersonsQuery {
        properties: Some(filters),
        ..PersonsQuery::default()
    }
}

#[tokio::test]
async fn property_operators_with_posthogs_missing_key_semantics() {
    let fixture = fixture().await;
    let cases = [
        (PropertyFilters::new().exact("plan", "pro"), vec!["p1"]),
        (
            PropertyFilters::new().exact("plan", serde_json::json!(["pro", "team"])),
            vec!["p4", "p1"],
        ),
        (
            PropertyFilters::new().is_not("plan", "pro"),
            vec!["p4", "p3", "p2", "p0"],
        ),
        (
            PropertyFilters::new().icontains("email", "EXAMPLE"),
            vec!["p1", "p0"],
        ),
        (
            PropertyFilters::new().not_icontains("email", "example"),
            vec!["p4", "p3", "p2"],
        ),
        (
            PropertyFilters::new().regex("email", "^[ab]"),
            vec!["p1", "p0"],
        ),
        (PropertyFilters::new().gt("age", 30), vec!["p4", "p2"]),
        (PropertyFilters::new().lte("age", 30), vec!["p1", "p0"]),
        (
            PropertyFilters::new().between("age", 18.0, 45.0),
            vec!["p2", "p1"],
        ),
        (
            PropertyFilters::new().not_between("age", 18.0, 45.0),
            vec!["p4", "p3", "p0"],
        ),
        (PropertyFilters::new().is_set("name"), vec!["p3"]),
        (PropertyFilters::new().is_not_set("age"), vec!["p3"]),
        (
            PropertyFilters::new().is_date_after("signup", "2025-01-01"),
            vec!["p3"],
        ),
        (
            PropertyFilters::new().is_set("plan").lt("age", 50),
            vec!["p1", "p0"],
        ),
    ];
    for (filters, expected) in cases {
        let label = filters.to_string();
        assert_eq!(
            names(&fixture, filtered(filters)).await,
            expected,
            "{label}"
        );
    }
    let cohort = fixture.posthog.create_cohort(PROJECT, "c", &["p0", "p4"]);
    assert_eq!(
        names(&fixture, filtered(PropertyFilters::new().in_cohort(cohort))).await,
        vec!["p4", "p0"]
    );
    assert_eq!(
        names(
            &fixture,
            filtered(PropertyFilters::new().not_in_cohort(cohort))
        )
        .await,
        vec!["p3", "p2", "p1"]
    );
}

#[tokio::test]
async fn email_distinct_id_and_search() {
    let fixture = fixture().await;
    let query =
        |email: Option<&str>, distinct_id: Option<&str>, search: Option<&str>| PersonsQuery {
            email: email.map(str::to_owned),
            distinct_id: distinct_id.map(str::to_owned),
            search: search.map(str::to_owned),
            ..PersonsQuery::default()
        };
    assert_eq!(
        names(&fixture, query(Some("bob@example.com"), None, None)).await,
        vec!["p1"]
    );
    assert!(
        names(&fixture, query(Some("BOB@example.com"), None, None))
            .await
            .is_empty(),
        "email is case-sensitive"
    );
    assert_eq!(
        names(&fixture, query(None, Some("p2"), None)).await,
        vec!["p2"]
    );
    assert!(
        names(&fixture, query(None, Some("nobody"), None))
            .await
            .is_empty()
    );
    assert_eq!(
        names(&fixture, query(None, None, Some("  other.ORG "))).await,
        vec!["p2"]
    );
    assert_eq!(
        names(&fixture, query(None, None, Some("dee"))).await,
        vec!["p3"],
        "search reads name"
    );
    assert_eq!(
        names(&fixture, query(None, None, Some("p_"))).await.len(),
        5,
        "_ is a wildcard"
    );
    let uuid = fixture
        .posthog
        .person(PROJECT, "p4")
        .unwrap()
        .uuid
        .to_string();
    assert_eq!(
        names(&fixture, query(None, None, Some(&uuid[..8]))).await,
        vec!["p4"]
    );
}

#[tokio::test]
async fn include_total_counts_every_match() {
    let fixture = fixture().await;
    let plain = fixture
        .client
        .list_persons(
            &PersonsQuery {
                limit: Some(2),
                ..PersonsQuery::default()
            },
            0,
        )
        .await
        .unwrap();
    assert_eq!(plain.count, None);
    let counted = PersonsQuery {
        limit: Some(2),
        include_total: true,
        ..PersonsQuery::default()
    };
    let page = fixture.client.list_persons(&counted, 0).await.unwrap();
    assert_eq!((page.results.len(), page.count), (2, Some(5)));
}

#[tokio::test]
async fn bad_filters_answer_posthogs_errors() {
    let fixture = fixture().await;
    let raw = |properties: &'static str| {
        fixture
            .client
            .generated()
            .persons_list()
            .project_id("1")
            .properties(properties)
            .send()
    };
    let (status, body) = api_error(raw("{not json").await);
    assert_eq!(
        (status, parts(&body)),
        (
            400,
            (
                "validation_error",
                "invalid_input",
                "Properties are unparsable!",
                None
            )
        )
    );
    let (status, body) = api_error(raw(r#"[{"key":"k","value":1,"type":"event"}]"#).await);
    assert_eq!(
        (status, body.detail.as_str()),
        (
            400,
            "The 'event' property filter does not work in 'person' scope"
        )
    );
    // What PostHog leaves to ClickHouse gets a 400 in the mock's own words.
    for (filter, detail) in [
        (
            r#"[{"key":"k","value":"someday","operator":"is_date_exact"}]"#,
            "\"someday\" is not a valid date.",
        ),
        (
            r#"[{"key":"k","value":[1],"operator":"between"}]"#,
            "between requires a list of two numbers [min, max].",
        ),
        (
            r#"[{"key":"k","value":[3,1],"operator":"not_between"}]"#,
            "not_between requires min <= max, got [3, 1].",
        ),
        (
            r#"[{"key":"id","value":"paying","type":"cohort"}]"#,
            "Cohort filters need a numeric cohort id as value.",
        ),
    ] {
        let (status, body) = api_error(raw(filter).await);
        assert_eq!(
            (status, body.type_.as_str(), body.code.as_str()),
            (400, "validation_error", "invalid_input"),
            "{filter}"
        );
        assert!(body.detail.starts_with(detail), "{filter}: {}", body.detail);
    }
    let (status, body) = api_error(raw(r#"[{"key":"k","value":1,"operator":"near"}]"#).await);
    assert_eq!(
        (status, parts(&body)),
        (
            400,
            (
                "validation_error",
                "invalid_input",
                "\"near\" is not a valid choice.",
                Some("operator")
            )
        )
    );
}

#[tokio::test]
async fn csv_exports_every_match_with_one_header_row() {
    let fixture = fixture().await;
    for path in [
        "/api/projects/1/persons/?format=csv&limit=1",
        "/api/projects/1/persons.csv",
        "/api/projects/1/persons.csv/",
    ] {
        let (status, body) = fixture.raw(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200);
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 6, "{path}: header + 5 persons, limit ignored");
        assert!(
            lines[0]
                .split(',')
                .any(|column| column == "properties.email")
        );
        assert!(lines[0].split(',').any(|column| column == "distinct_ids.0"));
        assert!(lines[1].contains("p4") && lines[1].contains("False"));
    }
}
