//! The SDK's insight actors layer end to end: `InsightActors` questions (funnel, trends,
//! lifecycle, stickiness) sent to the legacy endpoints (`insight_actors`, following `next`)
//! and to `POST /query/` (`query_actors`, following `offset`/`hasMore`), which must give the
//! same persons; PostHog's error bodies as typed errors.

use futures::TryStreamExt;
use persons_mock::posthog::{Event, PersonalKey};
use persons_sdk::posthog::{
    Attribution, Breakdown, ConversionWindow, DateRange, ErrorBody, FunnelStep, Insight,
    InsightActors, Interval, LifecycleType, OrderType, PropertyFilters, Step, WindowUnit,
};
use persons_sdk::{ApiErrorBody, Error};

use crate::insights::{at, fixture, names, s1, s13};
use crate::support::{Fixture, PROJECT, client};

/// The first distinct id of each person the legacy stream gives, sorted (none twice).
pub(crate) async fn legacy<K: Insight>(
    fixture: &Fixture,
    question: &InsightActors<K>,
) -> Vec<String> {
    let people: Vec<_> = fixture
        .client
        .insight_actors(question.clone())
        .try_collect()
        .await
        .expect("the legacy endpoint answers");
    sorted(people.iter().map(|person| &person.distinct_ids))
}

/// The same from `/query/`.
pub(crate) async fn query<K: Insight>(
    fixture: &Fixture,
    question: &InsightActors<K>,
) -> Vec<String> {
    let actors: Vec<_> = fixture
        .client
        .query_actors(question.clone())
        .try_collect()
        .await
        .expect("the query answers");
    sorted(actors.iter().map(|actor| &actor.distinct_ids))
}

/// The first of each list of distinct ids, sorted; asserts no person comes twice.
fn sorted<'a>(distinct_ids: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let mut ids: Vec<String> = distinct_ids.map(|ids| ids[0].clone()).collect();
    ids.sort();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique, ids, "no person twice");
    ids
}

/// Asks `question` both ways; asserts they agree and returns the persons.
pub(crate) async fn both<K: Insight>(
    fixture: &Fixture,
    question: &InsightActors<K>,
) -> Vec<String> {
    let legacy = legacy(fixture, question).await;
    assert_eq!(query(fixture, question).await, legacy, "/query/ agrees");
    legacy
}

fn s1_funnel(step: FunnelStep) -> InsightActors<persons_sdk::posthog::Funnel> {
    InsightActors::funnel(
        ["step one", "step two", "step three"].map(Step::event),
        step,
    )
    .window(ConversionWindow::new(7, WindowUnit::Day))
    .date_range(DateRange::between(
        "2021-05-01 00:00:00",
        "2021-05-07 00:00:00",
    ))
}

#[tokio::test]
async fn funnel_steps_and_drop_offs_through_both_entry_points() {
    let fixture = fixture().await;
    s1(&fixture, None);
    for (step, expected) in [
        (FunnelStep::ConvertedAt(1), names("u", 0..35)),
        (FunnelStep::ConvertedAt(2), names("u", 0..15)),
        (FunnelStep::ConvertedAt(3), names("u", 0..5)),
        (FunnelStep::DroppedOffBefore(2), names("u", 15..35)),
        (FunnelStep::DroppedOffBefore(3), names("u", 5..15)),
    ] {
        assert_eq!(both(&fixture, &s1_funnel(step)).await, expected, "{step:?}");
    }
    let short =
        s1_funnel(FunnelStep::ConvertedAt(3)).window(ConversionWindow::new(36, WindowUnit::Hour));
    assert_eq!(both(&fixture, &short).await, Vec::<String>::new());
    let searched = s1_funnel(FunnelStep::ConvertedAt(3))
        .properties(PropertyFilters::new().is_not_set("email"))
        .search("u1");
    assert_eq!(legacy(&fixture, &searched).await, ["u1"]);
}

/// The funnel-trends view (entrance period, drop-off, step range) and custom steps, typed,
/// give the same persons on the legacy endpoint and `/query/`.
#[tokio::test]
async fn funnel_trends_and_custom_steps_through_both_entry_points() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let entered =
        |drop_off: bool| s1_funnel(FunnelStep::ConvertedAt(1)).entered_in("2021-05-01", drop_off);
    assert_eq!(both(&fixture, &entered(false)).await, names("u", 0..5));
    assert_eq!(both(&fixture, &entered(true)).await, names("u", 5..35));
    assert_eq!(
        both(&fixture, &entered(false).step_range(0, 1)).await,
        names("u", 0..15)
    );
    assert_eq!(
        both(&fixture, &entered(true).step_range(1, 2)).await,
        names("u", 5..15),
        "reached step two, not step three"
    );
    assert_eq!(
        both(
            &fixture,
            &s1_funnel(FunnelStep::ConvertedAt(1)).entered_in("2021-05-02", false)
        )
        .await,
        Vec::<String>::new()
    );
    let custom = s1_funnel(FunnelStep::ConvertedAt(2)).custom_steps([1, 3]);
    let mut expected = names("u", 0..5);
    expected.extend(names("u", 15..35));
    expected.sort();
    assert_eq!(both(&fixture, &custom).await, expected);
}

#[tokio::test]
async fn strict_and_unordered_funnels_and_exclusions() {
    let fixture = fixture().await;
    s1(&fixture, Some("step fake"));
    let strict = s1_funnel(FunnelStep::ConvertedAt(2)).order(OrderType::Strict);
    assert_eq!(both(&fixture, &strict).await, names("u", 5..15), "S6");
    let unordered = s1_funnel(FunnelStep::ConvertedAt(2)).order(OrderType::Unordered);
    assert_eq!(both(&fixture, &unordered).await, names("u", 0..15));
    let excluded = s1_funnel(FunnelStep::ConvertedAt(1)).exclude(Step::event("step fake"), 0, 1);
    assert_eq!(
        both(&fixture, &excluded).await,
        names("u", 5..35),
        "an excluded attempt leaves the whole funnel"
    );
}

/// An event of `who` at `time` with its `$browser`.
fn browse(name: &str, who: &str, time: &str, browser: &str) -> Event {
    Event::new(name, who)
        .at(at(time))
        .property("$browser", browser)
}

/// Step attribution through both entry points: q's second step carries Safari then Chrome,
/// so q is in both buckets; p's only in Safari.
#[tokio::test]
async fn attribution_picks_the_buckets() {
    let fixture = fixture().await;
    fixture.seed([
        browse("sign up", "p", "2020-01-01T10:00:00Z", "Chrome"),
        browse("play movie", "p", "2020-01-01T11:00:00Z", "Safari"),
        browse("sign up", "q", "2020-01-01T10:00:00Z", "Safari"),
        browse("play movie", "q", "2020-01-01T11:00:00Z", "Safari"),
        browse("play movie", "q", "2020-01-01T12:00:00Z", "Chrome"),
    ]);
    let funnel = |attribution, bucket: &str| {
        InsightActors::funnel(
            ["sign up", "play movie"].map(Step::event),
            FunnelStep::ConvertedAt(2),
        )
        .date_range(DateRange::between("2020-01-01", "2020-01-08"))
        .breakdown(Breakdown::event("$browser").value(bucket))
        .attribution(attribution)
    };
    for (attribution, bucket, expected) in [
        (Attribution::Step(1), "Chrome", &["q"][..]),
        (Attribution::Step(1), "Safari", &["p", "q"]),
        (Attribution::FirstTouch, "Chrome", &["p"]),
        (Attribution::LastTouch, "Chrome", &["q"]),
        (Attribution::AllEvents, "Safari", &["q"]),
    ] {
        assert_eq!(
            both(&fixture, &funnel(attribution, bucket)).await,
            expected,
            "{attribution:?} {bucket}"
        );
    }
}

#[tokio::test]
async fn breakdowns_select_a_bucket() {
    let fixture = fixture().await;
    // S3 (`test_clickhouse_funnel_person.py::test_breakdowns`), with S4's person property.
    fixture.seed([
        browse("sign up", "person1", "2020-01-01T12:00:00Z", "Chrome").set("$country", "PL"),
        browse("play movie", "person1", "2020-01-01T13:00:00Z", "Chrome"),
        browse("buy", "person1", "2020-01-01T15:00:00Z", "Chrome"),
        browse("sign up", "person2", "2020-01-02T14:00:00Z", "Safari").set("$country", "EE"),
        browse("play movie", "person2", "2020-01-02T16:00:00Z", "Safari"),
        browse("sign up", "person3", "2020-01-02T14:00:00Z", "Safari"),
    ]);
    let funnel = |step, breakdown| {
        InsightActors::funnel(["sign up", "play movie", "buy"].map(Step::event), step)
            .window(ConversionWindow::new(7, WindowUnit::Day))
            .date_range(DateRange::between("2020-01-01", "2020-01-08"))
            .breakdown(breakdown)
    };
    let safari = Breakdown::event("$browser").value("Safari");
    for (step, breakdown, expected) in [
        (
            FunnelStep::ConvertedAt(1),
            Breakdown::event("$browser").value("Chrome"),
            &["person1"][..],
        ),
        (
            FunnelStep::ConvertedAt(1),
            safari.clone(),
            &["person2", "person3"],
        ),
        (FunnelStep::ConvertedAt(2), safari.clone(), &["person2"]),
        (FunnelStep::DroppedOffBefore(2), safari, &["person3"]),
        (
            FunnelStep::ConvertedAt(1),
            Breakdown::person("$country").value("EE"),
            &["person2"],
        ),
        (
            FunnelStep::ConvertedAt(1),
            Breakdown::person("$country"),
            &["person1", "person2", "person3"],
        ),
    ] {
        assert_eq!(
            both(&fixture, &funnel(step, breakdown.clone())).await,
            expected,
            "{step:?} {breakdown:?}"
        );
    }
    let trends = |breakdown| {
        InsightActors::trends(Step::event("sign up"))
            .date_range(DateRange::between("2020-01-01", "2020-01-08"))
            .breakdown(breakdown)
    };
    assert_eq!(
        both(&fixture, &trends(Breakdown::person("$country").value("PL"))).await,
        ["person1"]
    );
    assert_eq!(
        both(&fixture, &trends(Breakdown::person("$country").value(""))).await,
        ["person3"],
        "\"\" is the bucket without the property"
    );
}

#[tokio::test]
async fn trends_count_the_persons_events_and_stickiness_their_intervals() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("sign up", "person1").at(at("2020-01-04T14:10:00Z")),
        Event::new("sign up", "person1").at(at("2020-01-05T14:10:00Z")),
        Event::new("sign up", "person1").at(at("2020-01-05T15:10:00Z")),
        Event::new("sign up", "person2").at(at("2020-01-04T16:30:00Z")),
        Event::new("sign up", "outside").at(at("2020-01-09T16:30:00Z")),
    ]);
    let trends = InsightActors::trends(Step::event("sign up"))
        .date_range(DateRange::between("2020-01-04", "2020-01-06"));
    assert_eq!(both(&fixture, &trends).await, ["person1", "person2"]);
    let people: Vec<_> = fixture
        .client
        .insight_actors(trends)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(people[0].distinct_ids, ["person1"], "by value, descending");
    assert_eq!(people[0].value_at_data_point, 3);
    assert_eq!(people[1].value_at_data_point, 1);
    let hour = InsightActors::trends(Step::event("sign up"))
        .interval(Interval::Hour)
        .date_range(DateRange::between(
            "2020-01-04 16:00:00",
            "2020-01-04 16:59:59",
        ));
    assert_eq!(both(&fixture, &hour).await, ["person2"]);
    let sticky = |days| {
        InsightActors::stickiness(Step::event("sign up"), days)
            .date_range(DateRange::between("2020-01-01", "2020-01-08"))
    };
    assert_eq!(both(&fixture, &sticky(2)).await, ["person1"]);
    assert_eq!(both(&fixture, &sticky(1)).await, ["person2"]);
}

#[tokio::test]
async fn lifecycle_buckets_through_both_entry_points() {
    let fixture = fixture().await;
    s13(&fixture);
    for (status, day, expected) in [
        (LifecycleType::Returning, "2020-01-13", &["p1"][..]),
        (LifecycleType::Dormant, "2020-01-13", &["p2", "p3"]),
        (LifecycleType::Dormant, "2020-01-16", &["p1", "p4"]),
        (LifecycleType::New, "2020-01-15", &["p4"]),
        (LifecycleType::Resurrecting, "2020-01-12", &["p2"]),
    ] {
        let question = InsightActors::lifecycle(Step::event("$pageview"), day, status)
            .interval(Interval::Day)
            .date_range(DateRange::between(
                "2020-01-12T00:00:00Z",
                "2020-01-19T00:00:00Z",
            ));
        assert_eq!(
            both(&fixture, &question).await,
            expected,
            "{status:?} {day}"
        );
    }
}

#[tokio::test]
async fn streams_walk_several_pages_along_next_and_offset() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let question = s1_funnel(FunnelStep::ConvertedAt(2)).limit(4);
    let first = fixture
        .client
        .insight_actors_page(&question, 0)
        .await
        .unwrap();
    assert_eq!(first.results[0].count, 4);
    let next = first.next.expect("a full page links the next");
    assert!(
        next.starts_with("http") && next.ends_with("offset=4"),
        "{next}"
    );
    let second = fixture
        .client
        .insight_actors_page(&question, 4)
        .await
        .unwrap();
    assert_eq!(second.results[0].count, 4);
    let third = fixture
        .client
        .insight_actors_page(&question, 12)
        .await
        .unwrap();
    assert_eq!(third.results[0].count, 3);
    assert_eq!(third.next, None);
    assert_eq!(
        legacy(&fixture, &question).await,
        names("u", 0..15),
        "four pages"
    );
    let page = fixture
        .client
        .query_actors_page(&question, 0)
        .await
        .unwrap();
    assert_eq!(
        (page.results.len(), page.has_more, page.limit),
        (4, true, 4)
    );
    assert_eq!(query(&fixture, &question).await, names("u", 0..15));

    // Trends (GET) pages with a relative `next` after the first page.
    let trends = InsightActors::trends(Step::event("step one"))
        .date_range(DateRange::between("2021-05-01", "2021-05-02"))
        .limit(10);
    let second = fixture
        .client
        .insight_actors_page(&trends, 10)
        .await
        .unwrap();
    let next = second.next.expect("full");
    assert!(
        next.starts_with("posthog/api/projects/1/persons/trends/?"),
        "{next}"
    );
    assert!(next.ends_with("offset=20"), "{next}");
    assert_eq!(both(&fixture, &trends).await, names("u", 0..35));
}

#[tokio::test]
async fn error_bodies_surface_as_typed_errors() {
    let fixture = fixture().await;
    s1(&fixture, None);
    let bad = s1_funnel(FunnelStep::ConvertedAt(2)).exclude(Step::event("x"), 1, 1);
    for error in [
        fixture
            .client
            .insight_actors_page(&bad, 0)
            .await
            .unwrap_err(),
        fixture.client.query_actors_page(&bad, 0).await.unwrap_err(),
    ] {
        assert_eq!(error.status().map(|status| status.as_u16()), Some(400));
        let body = error.posthog_error().expect("PostHog's usual body");
        assert_eq!(
            body.detail,
            "Exclusion event range is invalid. End of range should be greater than start."
        );
    }
    let streamed: Result<Vec<_>, Error> = fixture.client.insight_actors(bad).try_collect().await;
    assert!(streamed.unwrap_err().posthog_error().is_some());

    let missing = fixture
        .client
        .generated()
        .persons_lifecycle_retrieve()
        .project_id("1")
        .lifecycle_type("new")
        .send()
        .await
        .map(|_| ())
        .map_err(Error::from)
        .unwrap_err();
    assert!(
        matches!(missing.body(), Some(ApiErrorBody::PostHog(ErrorBody::MissingParameter(body))) if body.message == "Missing parameter" && body.detail == "Must include specified date"),
        "{missing:?}"
    );
    let scoped_key = fixture
        .posthog
        .create_personal_key(PersonalKey::all_access(PROJECT));
    let refused = client(&fixture.posthog, &scoped_key, "1")
        .insight_actors_page(&s1_funnel(FunnelStep::ConvertedAt(1)), 0)
        .await
        .unwrap_err();
    assert_eq!(
        refused.posthog_error().map(|body| body.detail.as_str()),
        Some("This action does not support Personal API Key access")
    );
}
