//! Insight actors semantics end to end, through the SDK's two entry points (the legacy
//! endpoint and `POST /query/`) where the SDK asks the question, over raw HTTP where it does
//! not (correlation, series indexes): entity-level cohort filters, property correlation's
//! filters, one-step funnels, step attribution's `""` bucket, WAU/MAU windows, property
//! maths, cohort breakdowns, week and month lifecycles.

use futures::TryStreamExt;
use persons_mock::posthog::Event;
use persons_sdk::posthog::{
    Attribution, Breakdown, CorrelationTarget, DateRange, FunnelStep, InsightActors, Interval,
    LifecycleType, Math, PropertyFilters, Step,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::insights::{self, at, fixture, with_query};
use crate::insights_sdk::both;
use crate::support::{Fixture, PROJECT};

/// The rows' first distinct ids of a `/query/` answer (200 expected), sorted.
async fn query_ids(fixture: &Fixture, query: Value) -> Vec<String> {
    insights::query(fixture, "/api/projects/1", query).await.1
}

/// The page's first distinct ids of a legacy GET (200 expected), sorted.
async fn legacy_ids(fixture: &Fixture, path: &str) -> Vec<String> {
    insights::people(fixture, path).await.1
}

/// An entity's `properties: [{type: cohort}]` narrows the entity to the cohort's members'
/// events: a funnel step, a trends series, a lifecycle series (PostHog's entity filters are
/// `property_to_expr` over the entity's properties, cohorts included).
#[tokio::test]
async fn entity_cohort_filters_narrow_steps_and_series() {
    let fixture = fixture().await;
    let mut events = Vec::new();
    for who in ["a", "b", "c"] {
        events.push(Event::new("sign up", who).at(at("2020-01-02T10:00:00Z")));
        events.push(Event::new("pay", who).at(at("2020-01-03T10:00:00Z")));
    }
    fixture.seed(events);
    let cohort = fixture
        .posthog
        .create_cohort(PROJECT, "buyers", &["a", "b"]);
    let funnel = |step| {
        InsightActors::funnel(
            [Step::event("sign up"), Step::event("pay").in_cohort(cohort)],
            step,
        )
        .date_range(DateRange::between("2020-01-01", "2020-01-08"))
    };
    assert_eq!(
        both(&fixture, &funnel(FunnelStep::ConvertedAt(2))).await,
        ["a", "b"]
    );
    assert_eq!(
        both(&fixture, &funnel(FunnelStep::ConvertedAt(1))).await,
        ["a", "b", "c"],
        "the first step has no cohort filter"
    );
    assert_eq!(
        both(&fixture, &funnel(FunnelStep::DroppedOffBefore(2))).await,
        ["c"]
    );
    let trends = InsightActors::trends(Step::event("pay").in_cohort(cohort))
        .date_range(DateRange::between("2020-01-01", "2020-01-08"));
    assert_eq!(both(&fixture, &trends).await, ["a", "b"]);
    let lifecycle = InsightActors::lifecycle(
        Step::event("sign up").in_cohort(cohort),
        "2020-01-02",
        LifecycleType::New,
    )
    .date_range(DateRange::between("2020-01-01", "2020-01-08"));
    assert_eq!(both(&fixture, &lifecycle).await, ["a", "b"]);
    let sticky = InsightActors::stickiness(Step::event("pay").in_cohort(cohort), 1)
        .date_range(DateRange::between("2020-01-01", "2020-01-08"));
    assert_eq!(both(&fixture, &sticky).await, ["a", "b"]);
}

/// Funnel correlation data: u1 signs up and pays on Chrome, u2 on Safari, u3 signs up on
/// Chrome and pays on Safari, u4 only signs up (Chrome); u1, u2 and u4 are on plan pro.
fn correlation_data(fixture: &Fixture) {
    let event = |name: &str, who: &str, day: u32, browser: &str| {
        Event::new(name, who)
            .at(at(&format!("2020-01-{day:02}T14:00:00Z")))
            .property("$browser", browser)
    };
    fixture.seed([
        event("signed up", "u1", 2, "Chrome").set("plan", "pro"),
        event("related", "u1", 3, "Chrome"),
        event("paid", "u1", 4, "Chrome"),
        event("signed up", "u2", 2, "Safari").set("plan", "pro"),
        event("related", "u2", 3, "Safari"),
        event("paid", "u2", 4, "Safari"),
        event("signed up", "u3", 2, "Chrome").set("plan", "free"),
        event("paid", "u3", 4, "Safari"),
        event("signed up", "u4", 2, "Chrome").set("plan", "pro"),
        event("related", "u4", 3, "Firefox"),
    ]);
}

/// The persons of a property correlation, asked on the legacy endpoint and as a
/// `FunnelCorrelationActorsQuery` (which must agree): `values` are the correlated property
/// filters, `global` the funnel's own `properties`.
async fn property_correlation(
    fixture: &Fixture,
    values: Value,
    global: Value,
    converted: bool,
) -> Vec<String> {
    let legacy = legacy_ids(
        fixture,
        &with_query(
            "/api/projects/1/persons/funnel/correlation/",
            &[
                (
                    "events",
                    json!([{"id": "signed up", "order": 0}, {"id": "paid", "order": 1}])
                        .to_string(),
                ),
                ("date_from", "2020-01-01".to_owned()),
                ("date_to", "2020-01-14".to_owned()),
                ("properties", global.to_string()),
                ("funnel_correlation_type", "properties".to_owned()),
                ("funnel_correlation_property_values", values.to_string()),
                ("funnel_correlation_person_converted", converted.to_string()),
            ],
        ),
    )
    .await;
    let query = json!({"kind": "ActorsQuery", "source": {
        "kind": "FunnelCorrelationActorsQuery",
        "funnelCorrelationPersonConverted": converted,
        "funnelCorrelationPropertyValues": values,
        "source": {"kind": "FunnelCorrelationQuery", "funnelCorrelationType": "properties", "source": {
            "kind": "FunnelsActorsQuery", "source": {"kind": "FunnelsQuery",
                "series": [{"kind": "EventsNode", "event": "signed up"}, {"kind": "EventsNode", "event": "paid"}],
                "properties": global,
                "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-14"}}}}}});
    assert_eq!(query_ids(fixture, query).await, legacy, "/query/ agrees");
    legacy
}

/// Property correlation pushes `funnel_correlation_property_values` into the funnel's
/// `properties` (`_FunnelPropertyCorrelationActors`: `property_groups.combine_properties(AND,
/// correlation_property_values)`), so an event filter among them narrows the funnel's
/// events, a person or cohort filter its persons, ANDed with the funnel's own filters.
#[tokio::test]
async fn property_correlation_filters_the_funnel_it_runs() {
    let fixture = fixture().await;
    correlation_data(&fixture);
    let none = json!([]);
    let pro = json!([{"key": "plan", "value": "pro", "type": "person"}]);
    assert_eq!(
        property_correlation(&fixture, pro.clone(), none.clone(), true).await,
        ["u1", "u2"]
    );
    assert_eq!(
        property_correlation(&fixture, pro.clone(), none.clone(), false).await,
        ["u4"]
    );
    let chrome = json!([{"key": "$browser", "value": "Chrome", "type": "event"}]);
    assert_eq!(
        property_correlation(&fixture, chrome.clone(), none.clone(), true).await,
        ["u1"],
        "only Chrome events feed the funnel: u3 paid on Safari"
    );
    assert_eq!(
        property_correlation(&fixture, chrome.clone(), none.clone(), false).await,
        ["u3", "u4"]
    );
    assert_eq!(
        property_correlation(&fixture, chrome, pro, false).await,
        ["u4"],
        "ANDed with the funnel's own properties"
    );
    let cohort = fixture
        .posthog
        .create_cohort(PROJECT, "mixed", &["u2", "u3"]);
    assert_eq!(
        property_correlation(
            &fixture,
            json!([{"key": "id", "value": cohort, "type": "cohort"}]),
            none,
            true
        )
        .await,
        ["u2", "u3"]
    );
}

/// Event correlation (`_FunnelEventsCorrelationActors`): the correlated events pass the
/// entity's own filters, cohorts included, not the funnel's global ones, which choose the
/// entrants.
#[tokio::test]
async fn event_correlation_filters_by_its_entity() {
    let fixture = fixture().await;
    correlation_data(&fixture);
    let cohort = fixture.posthog.create_cohort(PROJECT, "u2 only", &["u2"]);
    let ask = |entity: Value, global: Value| {
        with_query(
            "/api/projects/1/persons/funnel/correlation/",
            &[
                (
                    "events",
                    json!([{"id": "signed up", "order": 0}, {"id": "paid", "order": 1}])
                        .to_string(),
                ),
                ("date_from", "2020-01-01".to_owned()),
                ("date_to", "2020-01-14".to_owned()),
                ("properties", global.to_string()),
                ("funnel_correlation_person_entity", entity.to_string()),
            ],
        )
    };
    let related = json!({"id": "related", "type": "events"});
    assert_eq!(
        legacy_ids(&fixture, &ask(related.clone(), json!([]))).await,
        ["u1", "u2", "u4"]
    );
    assert_eq!(
        legacy_ids(
            &fixture,
            &ask(
                related.clone(),
                json!([{"key": "$browser", "value": "Chrome", "type": "event"}])
            )
        )
        .await,
        ["u1", "u4"],
        "the global filter picks the entrants (u2 signed up on Safari) but not the correlated \
         events (u4's is on Firefox)"
    );
    let in_cohort = json!({"id": "related", "type": "events",
        "properties": [{"key": "id", "value": cohort, "type": "cohort"}]});
    assert_eq!(
        legacy_ids(&fixture, &ask(in_cohort, json!([]))).await,
        ["u2"]
    );
    let on_firefox = json!({"id": "related", "type": "events",
        "properties": [{"key": "$browser", "value": "Firefox"}]});
    assert_eq!(
        legacy_ids(&fixture, &ask(on_firefox, json!([]))).await,
        ["u4"]
    );
}

/// Correlation as the SDK asks it, a funnel question `correlated` with a target, on both
/// entry points and paged along `funnel_correlation_person_offset` (legacy) or `offset`.
#[tokio::test]
async fn correlation_questions_through_the_sdk() {
    let fixture = fixture().await;
    correlation_data(&fixture);
    let funnel = InsightActors::funnel(
        ["signed up", "paid"].map(Step::event),
        FunnelStep::ConvertedAt(1),
    )
    .date_range(DateRange::between("2020-01-01", "2020-01-14"));
    let related = funnel
        .clone()
        .correlated(CorrelationTarget::Event(Step::event("related")));
    assert_eq!(both(&fixture, &related).await, ["u1", "u2", "u4"]);
    assert_eq!(
        both(&fixture, &related.clone().limit(1)).await,
        ["u1", "u2", "u4"],
        "three pages of one"
    );
    assert_eq!(
        both(&fixture, &related.clone().converted(true)).await,
        ["u1", "u2"]
    );
    assert_eq!(both(&fixture, &related.converted(false)).await, ["u4"]);
    let cohort = fixture
        .posthog
        .create_cohort(PROJECT, "u2 and u3", &["u2", "u3"]);
    let in_cohort = funnel.clone().correlated(CorrelationTarget::Event(
        Step::event("related").in_cohort(cohort),
    ));
    assert_eq!(both(&fixture, &in_cohort).await, ["u2"]);
    let pro = funnel
        .clone()
        .correlated(CorrelationTarget::Properties(
            PropertyFilters::new().exact("plan", "pro"),
        ))
        .converted(true);
    assert_eq!(both(&fixture, &pro).await, ["u1", "u2"]);
    let members = funnel.correlated(CorrelationTarget::Properties(
        PropertyFilters::new().in_cohort(cohort),
    ));
    assert_eq!(both(&fixture, &members).await, ["u2", "u3"]);
}

/// An `InsightActorsQuery`'s `series` indexes the source's series as Python does
/// (`trends_query.series[series_index]`): −1 is the last, and an index out of range is the
/// builder's `IndexError`, a 500 with PostHog's server-error body.
#[tokio::test]
async fn query_series_index_picks_a_series_or_fails_as_posthog() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("first", "a").at(at("2020-01-02T10:00:00Z")),
        Event::new("second", "b").at(at("2020-01-02T10:00:00Z")),
        Event::new("other", "c").at(at("2020-01-02T10:00:00Z")),
    ]);
    let actors = |kind: &str, insight: &str, series: Value| {
        let mut source = json!({"kind": kind, "source": {
            "kind": insight,
            "series": [{"kind": "EventsNode", "event": "first"}, {"kind": "EventsNode", "event": "second"}],
            "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"}}});
        if !series.is_null() {
            source["series"] = series;
        }
        if insight == "StickinessQuery" {
            source["day"] = json!(1);
        } else {
            source["source"]["trendsFilter"] = json!({"display": "ActionsTable"});
        }
        json!({"kind": "ActorsQuery", "source": source})
    };
    for (kind, insight) in [
        ("InsightActorsQuery", "TrendsQuery"),
        ("StickinessActorsQuery", "StickinessQuery"),
    ] {
        for (series, expected) in [
            (Value::Null, "a"),
            (json!(0), "a"),
            (json!(1), "b"),
            (json!(-1), "b"),
            (json!(-2), "a"),
        ] {
            assert_eq!(
                query_ids(&fixture, actors(kind, insight, series.clone())).await,
                [expected],
                "{insight} series {series}"
            );
        }
        for series in [json!(2), json!(-3)] {
            let (status, body) = fixture
                .raw(
                    Method::POST,
                    "/api/projects/1/query/",
                    Some(json!({"query": actors(kind, insight, series)})),
                )
                .await;
            assert_eq!(status, 500, "{body}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                json!({"type": "server_error", "code": "error", "detail": "A server error occurred.", "attr": null})
            );
        }
    }
    let legacy = legacy_ids(
        &fixture,
        &with_query(
            "/api/projects/1/persons/trends/",
            &[
                (
                    "events",
                    json!([{"id": "first", "order": 0}, {"id": "second", "order": 1}]).to_string(),
                ),
                ("entity_order", "1".to_owned()),
                ("entity_id", "second".to_owned()),
                ("date_from", "2020-01-01".to_owned()),
                ("date_to", "2020-01-08".to_owned()),
            ],
        ),
    )
    .await;
    assert_eq!(legacy, ["b"], "the legacy entity_order agrees");
}

/// A one-step funnel lists its entrants on both entry points: PostHog's "Funnels require at
/// least two steps." is a `FunnelsQueryRunner` validation rule, which runs in `calculate()`;
/// the actors path only builds `to_actors_query()` and never runs it.
#[tokio::test]
async fn one_step_funnels_list_their_entrants() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("sign up", "a").at(at("2020-01-02T10:00:00Z")),
        Event::new("sign up", "b").at(at("2020-01-03T10:00:00Z")),
        Event::new("other", "c").at(at("2020-01-03T10:00:00Z")),
    ]);
    let funnel = |step| {
        InsightActors::funnel([Step::event("sign up")], step)
            .date_range(DateRange::between("2020-01-01", "2020-01-08"))
    };
    assert_eq!(
        both(&fixture, &funnel(FunnelStep::ConvertedAt(1))).await,
        ["a", "b"]
    );
    assert_eq!(
        both(&fixture, &funnel(FunnelStep::DroppedOffBefore(2))).await,
        ["a", "b"],
        "step_reached = 0: everyone who entered"
    );
}

/// Step attribution (`breakdown_attribution_type=step`): a person's buckets are the values
/// its step-k events carry (`groupUniqArray(if(step_k = 1, prop_basic, NULL))`, with
/// `prop_basic = ifNull(toString(prop), '')`), so a step-k event without the property puts
/// it in the `""` bucket, while an event of another step without it does not.
#[tokio::test]
async fn step_attribution_buckets_come_from_the_steps_events() {
    let fixture = fixture().await;
    let event = |name: &str, who: &str, hour: u32| {
        Event::new(name, who).at(at(&format!("2020-01-02T{hour:02}:00:00Z")))
    };
    fixture.seed([
        event("sign up", "r", 10).property("$browser", "Chrome"),
        event("play movie", "r", 11),
        event("sign up", "s", 10),
        event("play movie", "s", 11).property("$browser", "Safari"),
    ]);
    let funnel = |bucket: &str| {
        InsightActors::funnel(
            ["sign up", "play movie"].map(Step::event),
            FunnelStep::ConvertedAt(2),
        )
        .date_range(DateRange::between("2020-01-01", "2020-01-08"))
        .breakdown(Breakdown::event("$browser").value(bucket))
        .attribution(Attribution::Step(1))
    };
    assert_eq!(both(&fixture, &funnel("")).await, ["r"]);
    assert_eq!(both(&fixture, &funnel("Safari")).await, ["s"]);
    assert_eq!(
        both(&fixture, &funnel("Chrome")).await,
        Vec::<String>::new()
    );
}

/// WAU/MAU (reference §7; newest `TrendsActorsQueryBuilder._date_where_expr`): a
/// total-value question (the legacy endpoint, the SDK's table display) counts the 6 / 29
/// days before `date_to` (23:59:59.999999) up to it; a time-series point (`/query/`'s `day`)
/// from 6 / 29 days before the point's start to its end, clamped to the range when
/// `explicitDate`.
#[tokio::test]
async fn weekly_and_monthly_active_widen_the_window() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("visit", "a").at(at("2020-01-05T00:00:00Z")),
        Event::new("visit", "b").at(at("2020-01-04T12:00:00Z")),
        Event::new("visit", "h").at(at("2020-01-03T23:59:59Z")),
        Event::new("visit", "c").at(at("2020-01-10T12:00:00Z")),
        Event::new("visit", "d").at(at("2020-01-11T00:00:00Z")),
        Event::new("visit", "e").at(at("2019-12-13T00:00:00Z")),
        Event::new("visit", "f").at(at("2019-12-12T12:00:00Z")),
    ]);
    let total = |math| {
        InsightActors::trends(Step::event("visit").math(math))
            .date_range(DateRange::between("2020-01-10", "2020-01-10"))
    };
    assert_eq!(both(&fixture, &total(Math::Total)).await, ["c"]);
    assert_eq!(both(&fixture, &total(Math::Dau)).await, ["c"]);
    assert_eq!(both(&fixture, &total(Math::WeeklyActive)).await, ["a", "c"]);
    assert_eq!(
        both(&fixture, &total(Math::MonthlyActive)).await,
        ["a", "b", "c", "e", "h"]
    );
    let point = |math: &str, range: Value| {
        json!({"kind": "ActorsQuery", "source": {
            "kind": "InsightActorsQuery", "day": "2020-01-10", "source": {
                "kind": "TrendsQuery", "interval": "day", "dateRange": range,
                "series": [{"kind": "EventsNode", "event": "visit", "math": math}]}}})
    };
    let range = json!({"date_from": "2020-01-01", "date_to": "2020-01-10"});
    assert_eq!(
        query_ids(&fixture, point("total", range.clone())).await,
        ["c"]
    );
    assert_eq!(
        query_ids(&fixture, point("weekly_active", range.clone())).await,
        ["a", "b", "c"]
    );
    assert_eq!(
        query_ids(&fixture, point("monthly_active", range)).await,
        ["a", "b", "c", "e", "f", "h"],
        "not clamped to the range without explicitDate"
    );
    let explicit =
        json!({"date_from": "2020-01-05", "date_to": "2020-01-10T23:59:59", "explicitDate": true});
    assert_eq!(
        query_ids(&fixture, point("monthly_active", explicit)).await,
        ["a", "c"]
    );
}

/// A trends actors query's `day` goes with its display (`TrendsActorsQueryBuilder`): a
/// total-value display refuses one and any other needs one, PostHog's `QueryError`s, which
/// `/query/` answers as DRF validation errors (code `invalid`).
#[tokio::test]
async fn trends_actors_days_follow_the_display() {
    let fixture = fixture().await;
    fixture.seed([Event::new("visit", "a").at(at("2020-01-02T10:00:00Z"))]);
    let ask = |display: Option<&str>, day: Option<&str>| {
        let mut source = json!({"kind": "InsightActorsQuery", "source": {
            "kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "visit"}],
            "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"}}});
        if let Some(display) = display {
            source["source"]["trendsFilter"] = json!({"display": display});
        }
        if let Some(day) = day {
            source["day"] = json!(day);
        }
        json!({"query": {"kind": "ActorsQuery", "source": source}})
    };
    let required = "A `day` is required for trends actors queries without total value aggregation";
    let forbidden = "A `day` is forbidden for trends actors queries with total value aggregation";
    for (display, day, refused) in [
        (None, None, Some(required)),
        (Some("ActionsLineGraph"), None, Some(required)),
        (Some("BoldNumber"), Some("2020-01-02"), Some(forbidden)),
        (None, Some("2020-01-02"), None),
        (Some("ActionsPie"), None, None),
    ] {
        let (status, body) = fixture
            .raw(
                Method::POST,
                "/api/projects/1/query/",
                Some(ask(display, day)),
            )
            .await;
        match refused {
            Some(detail) => assert_eq!(
                (status, serde_json::from_str::<Value>(&body).unwrap()),
                (
                    400,
                    json!({"type": "validation_error", "code": "invalid", "detail": detail, "attr": null})
                )
            ),
            None => assert_eq!(status, 200, "{display:?} {day:?}: {body}"),
        }
    }
}

/// Property maths (reference §7 and §3.3, newest semantics): the persons with a matching
/// event, with or without the property, each valued by its event count
/// (`TrendsActorsQueryBuilder._get_actor_value_expr` is `count()`).
#[tokio::test]
async fn property_maths_list_the_series_persons_by_event_count() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("buy", "x")
            .at(at("2020-01-02T10:00:00Z"))
            .property("amount", 10),
        Event::new("buy", "x")
            .at(at("2020-01-03T10:00:00Z"))
            .property("amount", 30),
        Event::new("buy", "y").at(at("2020-01-03T10:00:00Z")),
        Event::new("browse", "z").at(at("2020-01-03T10:00:00Z")),
    ]);
    for math in [
        Math::Sum,
        Math::Avg,
        Math::Min,
        Math::Max,
        Math::Median,
        Math::P75,
        Math::P90,
        Math::P95,
        Math::P99,
    ] {
        let question = InsightActors::trends(Step::event("buy").math(math).math_property("amount"))
            .date_range(DateRange::between("2020-01-01", "2020-01-08"));
        assert_eq!(both(&fixture, &question).await, ["x", "y"], "{math:?}");
        let people: Vec<_> = fixture
            .client
            .insight_actors(question)
            .try_collect()
            .await
            .expect("persons");
        let values: Vec<(&str, &Value)> = people
            .iter()
            .map(|person| (person.distinct_ids[0].as_str(), &person.value_at_data_point))
            .collect();
        assert_eq!(values, [("x", &json!(2)), ("y", &json!(1))], "{math:?}");
    }
}

/// Trends breakdowns: by cohort (the bucket is a cohort id; `all` is everyone) and the none
/// bucket (`""`: the event or person property missing) of event and person breakdowns.
#[tokio::test]
async fn trends_cohort_breakdowns_and_the_none_bucket() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("visit", "a")
            .at(at("2020-01-02T10:00:00Z"))
            .property("$browser", "Chrome")
            .set("plan", "pro"),
        Event::new("visit", "b").at(at("2020-01-02T10:00:00Z")),
        Event::new("visit", "c")
            .at(at("2020-01-02T10:00:00Z"))
            .property("$browser", "Safari"),
        Event::new("other", "d").at(at("2020-01-02T10:00:00Z")),
    ]);
    let cohort = fixture
        .posthog
        .create_cohort(PROJECT, "some", &["a", "b", "d"]);
    let trends = |breakdown| {
        InsightActors::trends(Step::event("visit"))
            .date_range(DateRange::between("2020-01-01", "2020-01-08"))
            .breakdown(breakdown)
    };
    assert_eq!(
        both(&fixture, &trends(Breakdown::cohort(cohort))).await,
        ["a", "b"]
    );
    assert_eq!(
        both(&fixture, &trends(Breakdown::all_users())).await,
        ["a", "b", "c"]
    );
    assert_eq!(
        both(&fixture, &trends(Breakdown::event("$browser").value(""))).await,
        ["b"]
    );
    assert_eq!(
        both(
            &fixture,
            &trends(Breakdown::event("$browser").value("Safari"))
        )
        .await,
        ["c"]
    );
    assert_eq!(
        both(&fixture, &trends(Breakdown::person("plan").value(""))).await,
        ["b", "c"]
    );
    let narrowed =
        trends(Breakdown::cohort(cohort)).properties(PropertyFilters::new().is_set("plan"));
    assert_eq!(both(&fixture, &narrowed).await, ["a"]);
}

/// A fixture whose persons view `$pageview` at noon on the given days (`YYYY-MM-DD`,
/// space-separated).
async fn pageviews(days: &[(&str, &str)]) -> Fixture {
    let fixture = fixture().await;
    let mut events = Vec::new();
    for (who, days) in days {
        for day in days.split_whitespace() {
            events.push(Event::new("$pageview", who).at(at(&format!("{day}T12:00:00Z"))));
        }
    }
    fixture.seed(events);
    fixture
}

/// Asserts each `(status, target date, persons)` of a `$pageview` lifecycle by `interval`
/// over `from..to`, through both entry points.
async fn assert_lifecycle(
    fixture: &Fixture,
    interval: Interval,
    (from, to): (&str, &str),
    cases: &[(LifecycleType, &str, &[&str])],
) {
    for (status, day, expected) in cases {
        let question = InsightActors::lifecycle(Step::event("$pageview"), *day, *status)
            .interval(interval)
            .date_range(DateRange::between(from, to));
        assert_eq!(
            both(fixture, &question).await,
            *expected,
            "{interval:?} {status:?} {day}"
        );
    }
}

/// The lifecycle data of `test_lifecycle_query_runner.py::test_lifecycle_trend_weeks_sunday`
/// over weeks (starting on Sunday): the actors behind each bucket of PostHog's expected
/// series.
#[tokio::test]
async fn week_lifecycles() {
    let fixture = pageviews(&[
        (
            "p1",
            "2020-02-01 2020-02-05 2020-02-10 2020-02-15 2020-02-27 2020-03-02",
        ),
        ("p2", "2020-02-11 2020-02-18"),
        ("p3", "2020-02-12"),
        ("p4", "2020-02-27"),
    ])
    .await;
    // Weeks 02-02, 02-09, 02-16, 02-23, 03-01, 03-08: returning [1,1,1,0,1,0], new
    // [0,2,0,1,0,0], resurrecting [0,0,0,1,0,0], dormant [0,0,-2,-1,-1,-1].
    assert_lifecycle(
        &fixture,
        Interval::Week,
        ("2020-02-05T00:00:00Z", "2020-03-09T00:00:00Z"),
        &[
            (LifecycleType::Returning, "2020-02-02", &["p1"]),
            (LifecycleType::Returning, "2020-02-12", &["p1"]),
            (LifecycleType::Returning, "2020-02-16", &["p2"]),
            (LifecycleType::Returning, "2020-02-23", &[]),
            (LifecycleType::Returning, "2020-03-01", &["p1"]),
            (LifecycleType::New, "2020-02-09", &["p2", "p3"]),
            (LifecycleType::New, "2020-02-29", &["p4"]),
            (LifecycleType::Resurrecting, "2020-02-23", &["p1"]),
            (LifecycleType::Dormant, "2020-02-16", &["p1", "p3"]),
            (LifecycleType::Dormant, "2020-02-23", &["p2"]),
            (LifecycleType::Dormant, "2020-03-01", &["p4"]),
            (LifecycleType::Dormant, "2020-03-08", &["p1"]),
        ],
    )
    .await;
}

/// Reference §8.1 step 1 (PostHog's newest lifecycle query): personless events
/// (`$process_person_profile: false`) make no one active, even when their distinct id has a
/// person; the same events still count for trends.
#[tokio::test]
async fn lifecycle_leaves_personless_events_out() {
    let fixture = fixture().await;
    let pageview =
        |who: &str, day: &str| Event::new("$pageview", who).at(at(&format!("{day}T12:00:00Z")));
    fixture.seed(vec![
        pageview("p1", "2020-01-10"),
        pageview("p1", "2020-01-11").personless(),
        pageview("p1", "2020-01-12").personless(),
        pageview("p2", "2020-01-11"),
        pageview("p2", "2020-01-12").personless(),
    ]);
    assert_lifecycle(
        &fixture,
        Interval::Day,
        ("2020-01-10T00:00:00Z", "2020-01-13T00:00:00Z"),
        &[
            (LifecycleType::New, "2020-01-10", &["p1"]),
            (LifecycleType::Returning, "2020-01-11", &[]),
            (LifecycleType::Dormant, "2020-01-11", &["p1"]),
            (LifecycleType::New, "2020-01-11", &["p2"]),
            (LifecycleType::Returning, "2020-01-12", &[]),
            (LifecycleType::Dormant, "2020-01-12", &["p2"]),
        ],
    )
    .await;
    let trends = with_query(
        &format!("/api/projects/{PROJECT}/persons/trends/"),
        &[
            ("entity_id", "$pageview".to_owned()),
            ("date_from", "2020-01-12".to_owned()),
            ("date_to", "2020-01-12".to_owned()),
        ],
    );
    assert_eq!(insights::people(&fixture, &trends).await.1.len(), 2);
}

/// The lifecycle data of `test_lifecycle_query_runner.py::test_lifecycle_trend_months`
/// over months.
#[tokio::test]
async fn month_lifecycles() {
    let fixture = pageviews(&[
        (
            "p1",
            "2020-01-11 2020-02-12 2020-03-13 2020-05-15 2020-07-17 2020-09-19",
        ),
        ("p2", "2019-12-09 2020-02-12"),
        ("p3", "2020-02-12"),
        ("p4", "2020-05-15"),
    ])
    .await;
    // Feb..Sep: dormant [0,-2,-1,0,-2,0,-1,0], new [1,0,0,1,0,0,0,0], resurrecting
    // [1,0,0,1,0,1,0,1], returning [1,1,0,0,0,0,0,0]; October lies after the range.
    assert_lifecycle(
        &fixture,
        Interval::Month,
        ("2020-02-01T00:00:00Z", "2020-09-01T00:00:00Z"),
        &[
            (LifecycleType::Returning, "2020-02-01", &["p1"]),
            (LifecycleType::Returning, "2020-03-31", &["p1"]),
            (LifecycleType::Resurrecting, "2020-02-15", &["p2"]),
            (LifecycleType::Resurrecting, "2020-05-01", &["p1"]),
            (LifecycleType::Resurrecting, "2020-09-01", &["p1"]),
            (LifecycleType::New, "2020-02-01", &["p3"]),
            (LifecycleType::New, "2020-05-20", &["p4"]),
            (LifecycleType::Dormant, "2020-03-01", &["p2", "p3"]),
            (LifecycleType::Dormant, "2020-04-01", &["p1"]),
            (LifecycleType::Dormant, "2020-06-01", &["p1", "p4"]),
            (LifecycleType::Dormant, "2020-08-01", &["p1"]),
            (LifecycleType::Dormant, "2020-09-01", &[]),
            (LifecycleType::Dormant, "2020-10-01", &[]),
        ],
    )
    .await;
}

/// The `/query/` answer (status, JSON body) of `query`.
async fn query_answer(fixture: &Fixture, query: Value) -> (u16, Value) {
    let (status, body) = fixture
        .raw(
            Method::POST,
            "/api/projects/1/query/",
            Some(json!({"query": query})),
        )
        .await;
    (status, serde_json::from_str(&body).unwrap())
}

/// A 400 `validation_error` / `invalid_input` body.
fn invalid(detail: &str, attr: Option<&str>) -> (u16, Value) {
    (
        400,
        json!({"type": "validation_error", "code": "invalid_input", "detail": detail, "attr": attr}),
    )
}

/// An `ActionsNode` among a funnel's exclusions is the mock's actions 400, as one among its
/// series is, never an "all events" exclusion refused as containing the steps.
#[tokio::test]
async fn action_exclusions_are_the_actions_400() {
    let fixture = fixture().await;
    fixture.seed([Event::new("sign up", "a").at(at("2020-01-02T10:00:00Z"))]);
    let funnel = |exclusion: Value| {
        json!({"kind": "ActorsQuery", "source": {
            "kind": "FunnelsActorsQuery", "funnelStep": 1, "source": {
                "kind": "FunnelsQuery",
                "series": [{"kind": "EventsNode", "event": "sign up"},
                           {"kind": "EventsNode", "event": "pay"}],
                "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"},
                "funnelsFilter": {"exclusions": [exclusion]}}}})
    };
    let actions = invalid(
        "The mock does not model actions: use events entities.",
        None,
    );
    assert_eq!(
        query_answer(
            &fixture,
            funnel(json!({"kind": "ActionsNode", "id": 7, "funnelFromStep": 0, "funnelToStep": 1}))
        )
        .await,
        actions
    );
    assert_eq!(
        query_answer(
            &fixture,
            funnel(json!({"kind": "EventsNode", "event": "leave", "funnelFromStep": 0, "funnelToStep": 1}))
        )
        .await
        .0,
        200,
        "an events exclusion still runs"
    );
}

/// PostHog's 400 for a body its pydantic `QueryRequest` refuses: DRF's `ParseError` around
/// pydantic's text, one error per `(location, message, type, input repr, input type)`.
fn pydantic(errors: &[(&str, &str, &str, &str, &str)]) -> (u16, Value) {
    let mut text = format!(
        "JSON parse error - {} validation error{} for QueryRequest",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for (loc, message, kind, input, input_type) in errors {
        text.push_str(&format!(
            "\n{loc}\n  {message} [type={kind}, input_value={input}, input_type={input_type}]\n    For further information visit https://errors.pydantic.dev/2.12/v/{kind}"
        ));
    }
    (
        400,
        json!({"type": "invalid_request", "code": "parse_error", "detail": text, "attr": null}),
    )
}

/// `limit` and `offset` are pydantic `int`s: an integer, a boolean, an integral float or a
/// string of one is read, anything else is PostHog's 400 `parse_error` with pydantic's text
/// naming the field; a limit that is not positive is the default 100, one over 50 000 is
/// capped, and a negative offset is refused.
#[tokio::test]
async fn query_limits_and_offsets_must_be_integers() {
    let fixture = fixture().await;
    fixture
        .seed(["a", "b", "c"].map(|who| Event::new("visit", who).at(at("2020-01-02T10:00:00Z"))));
    let page = |name: &str, value: Value| {
        let mut query = json!({"kind": "ActorsQuery", "select": ["id"]});
        query[name] = value;
        query
    };
    let not_parsed = "Input should be a valid integer, unable to parse string as an integer";
    let fraction = "Input should be a valid integer, got a number with a fractional part";
    let not_integer = "Input should be a valid integer";
    for name in ["limit", "offset"] {
        let loc = format!("query.ActorsQuery.{name}");
        for (value, expected) in [
            (json!(1.5), (fraction, "int_from_float", "1.5", "float")),
            (json!("abc"), (not_parsed, "int_parsing", "'abc'", "str")),
            (json!([1]), (not_integer, "int_type", "[1]", "list")),
            (json!({}), (not_integer, "int_type", "{}", "dict")),
        ] {
            let (message, kind, input, input_type) = expected;
            assert_eq!(
                query_answer(&fixture, page(name, value.clone())).await,
                pydantic(&[(&loc, message, kind, input, input_type)]),
                "{name}: {value}"
            );
        }
    }
    let read = |body: &Value| {
        (
            body["limit"].clone(),
            body["offset"].clone(),
            body["results"].as_array().unwrap().len(),
        )
    };
    for (name, value, expected) in [
        ("limit", json!(2), (json!(2), json!(0), 2)),
        ("limit", json!(2.0), (json!(2), json!(0), 2)),
        ("limit", json!("2"), (json!(2), json!(0), 2)),
        ("limit", json!(" 2.0 "), (json!(2), json!(0), 2)),
        ("limit", json!(true), (json!(1), json!(0), 1)),
        ("limit", json!(-5), (json!(100), json!(0), 3)),
        ("limit", json!(0), (json!(100), json!(0), 3)),
        ("limit", json!(1_000_000), (json!(50_000), json!(0), 3)),
        ("offset", json!("1"), (json!(100), json!(1), 2)),
        ("offset", json!(null), (json!(100), json!(0), 3)),
    ] {
        let (status, body) = query_answer(&fixture, page(name, value.clone())).await;
        assert_eq!((status, read(&body)), (200, expected), "{name}: {value}");
    }
    assert_eq!(
        query_answer(&fixture, page("offset", json!(-1))).await,
        invalid("The offset must not be negative.", Some("offset"))
    );
}

/// An `ActorsQuery`'s own `properties` filter persons: an event property filter there (type
/// `event`, or no type) is a 400 naming it, while person and cohort filters narrow the list.
#[tokio::test]
async fn query_own_event_filters_are_refused() {
    let fixture = fixture().await;
    fixture.seed([Event::new("visit", "a").at(at("2020-01-02T10:00:00Z"))]);
    let refused = invalid(
        "An ActorsQuery's own properties filter persons: event property filters (type event, or no type) belong to the source's series or properties.",
        Some("properties"),
    );
    for filter in [
        json!({"key": "$browser", "value": "Chrome", "operator": "exact", "type": "event"}),
        json!({"key": "$browser", "value": "Chrome", "operator": "exact"}),
    ] {
        assert_eq!(
            query_answer(
                &fixture,
                json!({"kind": "ActorsQuery", "properties": [filter.clone()]})
            )
            .await,
            refused,
            "{filter}"
        );
    }
    let (status, body) = query_answer(
        &fixture,
        json!({"kind": "ActorsQuery", "properties": [
            {"key": "email", "value": "nobody", "operator": "exact", "type": "person"}]}),
    )
    .await;
    assert_eq!((status, body["results"].clone()), (200, json!([])));
}

/// PostHog's query models forbid extra keys: one in the request, the `ActorsQuery` or any node
/// under its source is PostHog's 400 `parse_error` naming each, while every key the models
/// define (the request's `refresh`, `client_query_id`, `name`, `async`; a node's `kind`,
/// `modifiers`, `tags`, `version`, `response`…) is accepted.
#[tokio::test]
async fn query_extra_keys_are_refused_as_pydantic_does() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("sign up", "a").at(at("2020-01-02T10:00:00Z")),
        Event::new("pay", "a").at(at("2020-01-03T10:00:00Z")),
    ]);
    let funnel = |step: Value, filter: Value| {
        json!({"kind": "ActorsQuery", "select": ["actor"], "source": {
            "kind": "FunnelsActorsQuery", "funnelStep": 2, "source": {
                "kind": "FunnelsQuery",
                "series": [step, {"kind": "EventsNode", "event": "pay"}],
                "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"},
                "funnelsFilter": filter}}})
    };
    let extra = |loc: &str, input: &str, input_type: &str| {
        (
            loc.to_owned(),
            "Extra inputs are not permitted",
            "extra_forbidden",
            input.to_owned(),
            input_type.to_owned(),
        )
    };
    let expect = |errors: Vec<(String, &str, &str, String, String)>| {
        let errors: Vec<(&str, &str, &str, &str, &str)> = errors
            .iter()
            .map(|(loc, message, kind, input, input_type)| {
                (
                    loc.as_str(),
                    *message,
                    *kind,
                    input.as_str(),
                    input_type.as_str(),
                )
            })
            .collect();
        pydantic(&errors)
    };
    let (status, body) = fixture
        .raw(
            Method::POST,
            "/api/projects/1/query/",
            Some(json!({"query": {"kind": "ActorsQuery"}, "refresh_mode": "blocking"})),
        )
        .await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        expect(vec![extra("refresh_mode", "'blocking'", "str")]),
        "a key the request does not define"
    );
    let (status, body) = fixture
        .raw(
            Method::POST,
            "/api/projects/1/query/",
            Some(json!({"refresh": "blocking"})),
        )
        .await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        expect(vec![(
            "query".to_owned(),
            "Field required",
            "missing",
            "{'refresh': 'blocking'}".to_owned(),
            "dict".to_owned()
        )]),
        "no query"
    );
    assert_eq!(
        query_answer(
            &fixture,
            json!({"kind": "ActorsQuery", "selects": ["id"], "page": 2})
        )
        .await,
        expect(vec![
            extra("query.ActorsQuery.page", "2", "int"),
            extra("query.ActorsQuery.selects", "['id']", "list"),
        ]),
        "keys the ActorsQuery does not define"
    );
    let prefix = "query.ActorsQuery.source.FunnelsActorsQuery.source.FunnelsQuery";
    assert_eq!(
        query_answer(
            &fixture,
            funnel(
                json!({"kind": "EventsNode", "event": "sign up", "properties": [
                    {"key": "plan", "value": "pro", "operator": "exact", "type": "event", "negate": true}]}),
                json!({"funnelWindowDays": 7, "exclusions": [
                    {"kind": "EventsNode", "event": "x", "funnelFromStep": 0, "funnelToStep": 1, "step": 0}]})
            )
        )
        .await,
        expect(vec![
            extra(
                &format!("{prefix}.funnelsFilter.exclusions.0.FunnelExclusionEventsNode.step"),
                "0",
                "int"
            ),
            extra(&format!("{prefix}.funnelsFilter.funnelWindowDays"), "7", "int"),
            extra(
                &format!("{prefix}.series.0.EventsNode.properties.0.EventPropertyFilter.negate"),
                "True",
                "bool"
            ),
        ]),
        "keys nested nodes do not define"
    );
    let (status, body) = fixture
        .raw(
            Method::POST,
            "/api/projects/1/query/",
            Some(json!({
                "query": funnel(
                    json!({"kind": "EventsNode", "event": "sign up", "name": "sign up",
                           "custom_name": "Signed up", "math": "total", "version": 1}),
                    json!({"funnelWindowInterval": 7, "funnelWindowIntervalUnit": "day",
                           "funnelVizType": "steps", "layout": "vertical"})
                ),
                "refresh": "blocking", "client_query_id": "q-1", "name": "persons modal",
                "async": false,
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut query = funnel(json!({"kind": "EventsNode", "event": "sign up"}), json!({}));
    query["modifiers"] = json!({"personsOnEventsMode": "person_id_override_properties_joined"});
    query["tags"] = json!({"productKey": "product_analytics"});
    query["version"] = json!(2);
    query["source"]["includeRecordings"] = json!(false);
    query["source"]["source"]["filterTestAccounts"] = json!(false);
    query["source"]["source"]["breakdownFilter"] = json!({"breakdown_limit": 25});
    let (status, body) = query_answer(&fixture, query).await;
    assert_eq!(
        (status, body["results"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{body}"
    );
}

/// Global `properties` are ANDed: a list or an `AND` group (nested ones too) filters, while
/// an `OR` group, which PostHog evaluates, is the mock's 400 on the legacy endpoints and
/// through `/query/` alike.
#[tokio::test]
async fn or_property_groups_are_refused() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("visit", "a")
            .property("plan", "pro")
            .at(at("2020-01-02T10:00:00Z")),
        Event::new("visit", "b")
            .property("plan", "free")
            .at(at("2020-01-02T10:00:00Z")),
    ]);
    let pro = json!({"key": "plan", "value": "pro", "operator": "exact", "type": "event"});
    let group =
        |kind: &str| json!({"type": "AND", "values": [{"type": kind, "values": [pro.clone()]}]});
    let legacy = |properties: Value| {
        with_query(
            "/api/projects/1/persons/trends/",
            &[
                ("entity_id", "visit".to_owned()),
                ("entity_type", "events".to_owned()),
                ("date_from", "2020-01-01".to_owned()),
                ("date_to", "2020-01-08".to_owned()),
                ("properties", properties.to_string()),
            ],
        )
    };
    assert_eq!(legacy_ids(&fixture, &legacy(group("AND"))).await, ["a"]);
    let refused = invalid("The mock evaluates AND property groups only.", None);
    let (status, body) = fixture.raw(Method::GET, &legacy(group("OR")), None).await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        refused
    );
    let query = |properties: Value| {
        json!({"kind": "ActorsQuery", "select": ["id"], "source": {
            "kind": "InsightActorsQuery", "source": {
                "kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "visit"}],
                "trendsFilter": {"display": "ActionsTable"}, "properties": properties,
                "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"}}}})
    };
    let (status, body) = query_answer(&fixture, query(group("AND"))).await;
    assert_eq!(
        (status, body["results"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    assert_eq!(query_answer(&fixture, query(group("OR"))).await, refused);
}

/// A funnel actors query's `int`s (`funnelStep`, the `funnelsFilter` steps and window, an
/// exclusion's steps) are pydantic's lax `int`s too: `"2"` and `2.0` are step 2, while a value
/// pydantic refuses is PostHog's 400 `parse_error` naming it (not the legacy endpoint's 500).
#[tokio::test]
async fn funnel_query_ints_are_pydantics() {
    let fixture = fixture().await;
    fixture.seed([
        Event::new("sign up", "a").at(at("2020-01-02T10:00:00Z")),
        Event::new("pay", "a").at(at("2020-01-03T10:00:00Z")),
        Event::new("sign up", "b").at(at("2020-01-02T10:00:00Z")),
    ]);
    let funnel = |step: Value, filter: Value| {
        json!({"kind": "ActorsQuery", "select": ["id"], "source": {
            "kind": "FunnelsActorsQuery", "funnelStep": step, "source": {
                "kind": "FunnelsQuery",
                "series": [{"kind": "EventsNode", "event": "sign up"},
                           {"kind": "EventsNode", "event": "pay"}],
                "dateRange": {"date_from": "2020-01-01", "date_to": "2020-01-08"},
                "funnelsFilter": filter}}})
    };
    for step in [json!(2), json!("2"), json!(2.0), json!(" 2 ")] {
        let filter = json!({"funnelWindowInterval": "7", "funnelWindowIntervalUnit": "day",
            "exclusions": [{"kind": "EventsNode", "event": "x", "funnelFromStep": 0.0, "funnelToStep": "1"}]});
        let (status, body) = query_answer(&fixture, funnel(step.clone(), filter)).await;
        assert_eq!(
            (status, body["results"].as_array().map(Vec::len)),
            (200, Some(1)),
            "funnelStep {step}: {body}"
        );
    }
    let prefix = "query.ActorsQuery.source.FunnelsActorsQuery";
    assert_eq!(
        query_answer(
            &fixture,
            funnel(json!("two"), json!({"funnelWindowInterval": 7.5}))
        )
        .await,
        pydantic(&[
            (
                &format!("{prefix}.funnelStep"),
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
                "'two'",
                "str"
            ),
            (
                &format!("{prefix}.source.FunnelsQuery.funnelsFilter.funnelWindowInterval"),
                "Input should be a valid integer, got a number with a fractional part",
                "int_from_float",
                "7.5",
                "float"
            ),
        ])
    );
}
