//! `nodejs/tests/main/process-event.test.ts` (`processEvent` through the whole pipeline) and
//! `plugin-server/tests/worker/ingestion/timestamps.test.ts` (`parseDate()`,
//! `parseEventTimestamp()`): events sent to capture, persons read back through the API.
//! Checks of ClickHouse event rows (`$ip`, elements chains, the first-event team flag) have no
//! persons-API counterpart and are left out.

use serde_json::{Value, json};

use super::{Suite, own_properties};
use crate::support::NOW;

fn event(name: &str, distinct_id: &str, properties: Value) -> Value {
    json!({"event": name, "distinct_id": distinct_id, "properties": properties})
}

/// A person owning `distinct_id` with `properties`, made by a `$set` event.
async fn create_person(suite: &Suite, distinct_id: &str, properties: Value) {
    suite
        .ingest(json!([event(
            "$set",
            distinct_id,
            json!({"$set": properties})
        )]))
        .await;
}

/// The distinct ids of every person, oldest person first, each in storage order.
async fn distinct_ids(suite: &Suite) -> Vec<Vec<String>> {
    suite
        .persons()
        .await
        .iter()
        .map(|person| {
            person["distinct_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// `merge_dangerously`, `alias`, `alias reverse`, `alias before person`, `alias both
/// existing`: one person with the old id first.
#[tokio::test]
async fn alias_and_merge_dangerously() {
    for (name, sender, alias, old_exists, new_exists) in [
        (
            "$merge_dangerously",
            "new_distinct_id",
            "old_distinct_id",
            true,
            false,
        ),
        (
            "$create_alias",
            "new_distinct_id",
            "old_distinct_id",
            true,
            false,
        ),
        (
            "$create_alias",
            "old_distinct_id",
            "new_distinct_id",
            true,
            false,
        ),
        (
            "$create_alias",
            "new_distinct_id",
            "old_distinct_id",
            false,
            false,
        ),
        (
            "$create_alias",
            "new_distinct_id",
            "old_distinct_id",
            true,
            true,
        ),
    ] {
        let suite = Suite::new().await;
        if old_exists {
            create_person(&suite, "old_distinct_id", json!({})).await;
        }
        if new_exists {
            create_person(&suite, "new_distinct_id", json!({})).await;
        }
        suite
            .ingest(json!([event(name, sender, json!({"alias": alias}))]))
            .await;
        let mut got = distinct_ids(&suite).await;
        if !old_exists {
            got[0].sort();
            assert_eq!(got, [ids(&["new_distinct_id", "old_distinct_id"])]);
        } else {
            assert_eq!(
                got,
                [ids(&["old_distinct_id", "new_distinct_id"])],
                "{name} {sender}"
            );
        }
    }
}

/// `alias twice`
#[tokio::test]
async fn alias_twice() {
    let suite = Suite::new().await;
    create_person(&suite, "old_distinct_id", json!({})).await;
    let alias = |alias: &str| event("$create_alias", "new_distinct_id", json!({"alias": alias}));
    suite.ingest(json!([alias("old_distinct_id")])).await;
    assert_eq!(
        distinct_ids(&suite).await,
        [ids(&["old_distinct_id", "new_distinct_id"])]
    );
    create_person(&suite, "old_distinct_id_2", json!({})).await;
    assert_eq!(suite.persons().await.len(), 2);
    suite.ingest(json!([alias("old_distinct_id_2")])).await;
    assert_eq!(
        distinct_ids(&suite).await,
        [ids(&[
            "old_distinct_id",
            "new_distinct_id",
            "old_distinct_id_2"
        ])]
    );
}

/// `alias merge properties`: the target's values win.
#[tokio::test]
async fn alias_merge_properties() {
    let suite = Suite::new().await;
    create_person(
        &suite,
        "new_distinct_id",
        json!({"key_on_both": "new value both", "key_on_new": "new value"}),
    )
    .await;
    create_person(
        &suite,
        "old_distinct_id",
        json!({"key_on_both": "old value both", "key_on_old": "old value"}),
    )
    .await;
    suite
        .ingest(json!([event(
            "$create_alias",
            "new_distinct_id",
            json!({"alias": "old_distinct_id"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(
        own_properties(&persons[0]),
        json!({"key_on_both": "new value both", "key_on_new": "new value", "key_on_old": "old value"})
    );
}

/// `identify with illegal (generic) id`: `distinctId`, blanks, `NaN`, `undefined`, `None`,
/// `0` never merge; `Nan` does.
#[tokio::test]
async fn identify_with_illegal_generic_id() {
    let suite = Suite::new().await;
    create_person(&suite, "im an anonymous id", json!({})).await;
    for (distinct_id, persons) in [
        ("distinctId", 2),
        ("  ", 3),
        ("NaN", 4),
        ("undefined", 5),
        ("None", 6),
        ("0", 7),
        ("Nan", 7),
    ] {
        create_person(&suite, distinct_id, json!({})).await;
        suite
            .ingest(json!([event(
                "$identify",
                distinct_id,
                json!({"$anon_distinct_id": "im an anonymous id"})
            )]))
            .await;
        assert_eq!(suite.persons().await.len(), persons, "{distinct_id:?}");
    }
}

/// `Alias with illegal (generic) id`: the person of the illegal id is made, not merged.
#[tokio::test]
async fn alias_with_illegal_generic_id() {
    let suite = Suite::new().await;
    create_person(&suite, "user123", json!({})).await;
    suite
        .ingest(json!([event(
            "$create_alias",
            "null",
            json!({"alias": "user123"})
        )]))
        .await;
    assert_eq!(suite.persons().await.len(), 2);
}

/// `distinct with anonymous_id which was already created`, `distinct with multiple
/// anonymous_ids which were already created`
#[tokio::test]
async fn identify_absorbs_anonymous_persons_made_earlier() {
    let suite = Suite::new().await;
    create_person(&suite, "anonymous_id", json!({})).await;
    create_person(
        &suite,
        "new_distinct_id",
        json!({"email": "someone@gmail.com"}),
    )
    .await;
    let identify = |anon: &str| {
        event(
            "$identify",
            "new_distinct_id",
            json!({"$anon_distinct_id": anon}),
        )
    };
    suite.ingest(json!([identify("anonymous_id")])).await;
    let persons = suite.persons().await;
    assert_eq!(
        distinct_ids(&suite).await,
        [ids(&["anonymous_id", "new_distinct_id"])]
    );
    assert_eq!(persons[0]["properties"]["email"], "someone@gmail.com");
    assert_eq!(persons[0]["is_identified"], true);
    create_person(&suite, "anonymous_id_2", json!({})).await;
    suite.ingest(json!([identify("anonymous_id_2")])).await;
    let persons = suite.persons().await;
    assert_eq!(
        distinct_ids(&suite).await,
        [ids(&["anonymous_id", "new_distinct_id", "anonymous_id_2"])],
        "an anonymous person is absorbed even into an identified one"
    );
    assert_eq!(persons[0]["properties"]["email"], "someone@gmail.com");
}

/// `identify with the same distinct_id as anon_distinct_id`
#[tokio::test]
async fn identify_with_the_same_distinct_id_as_anon_distinct_id() {
    let suite = Suite::new().await;
    create_person(&suite, "anonymous_id", json!({})).await;
    suite
        .ingest(json!([event(
            "$identify",
            "anonymous_id",
            json!({"$anon_distinct_id": "anonymous_id"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(distinct_ids(&suite).await, [ids(&["anonymous_id"])]);
    assert_eq!(persons[0]["is_identified"], false);
}

/// `distinct team leakage`: another project's person with the same distinct id is untouched.
#[tokio::test]
async fn distinct_team_leakage() {
    let suite = Suite::new().await;
    let posthog = &suite.fixture.posthog;
    posthog
        .capture(
            2,
            persons_mock::posthog::Event::new("$set", "2").set("email", "team2@gmail.com"),
        )
        .unwrap();
    create_person(&suite, "1", json!({})).await;
    suite
        .ingest(json!([event(
            "$merge_dangerously",
            "1",
            json!({"alias": "2"})
        )]))
        .await;
    suite
        .ingest(json!([event(
            "$identify",
            "2",
            json!({"$anon_distinct_id": "1"})
        )]))
        .await;
    let persons = suite.persons().await;
    assert_eq!(persons.len(), 1);
    assert_eq!(own_properties(&persons[0]), json!({}));
    let other = posthog.person(2, "2").unwrap();
    assert_eq!(other.distinct_ids, ["2"]);
    assert_eq!(other.properties["email"], "team2@gmail.com");
}

/// `when handling $identify` › `we do not alias users if distinct id changes but we are
/// already identified`: posthog-js's sequence leaves two identified persons.
#[tokio::test]
async fn identified_users_are_not_aliased_when_the_distinct_id_changes() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([
            event("event 1", "anonymous_id", json!({})),
            event(
                "$identify",
                "initial_distinct_id",
                json!({"$anon_distinct_id": "anonymous_id"})
            ),
            event("event 2", "initial_distinct_id", json!({})),
            event("event 3", "p2_distinct_id", json!({})),
            event(
                "$identify",
                "new_distinct_id",
                json!({"$anon_distinct_id": "p2_distinct_id"})
            ),
            event("event 4", "new_distinct_id", json!({})),
            event(
                "$identify",
                "initial_distinct_id",
                json!({"$anon_distinct_id": "new_distinct_id"})
            ),
        ]))
        .await;
    let mut got = distinct_ids(&suite).await;
    for person in &mut got {
        person.sort();
    }
    got.sort();
    assert_eq!(
        got,
        [
            ids(&["anonymous_id", "initial_distinct_id"]),
            ids(&["new_distinct_id", "p2_distinct_id"])
        ]
    );
    assert!(
        suite
            .persons()
            .await
            .iter()
            .all(|p| p["is_identified"] == true)
    );
}

/// `timestamps.test.ts` › `parseDate()` › `parses %s`: every form gives 2021-10-29T00:00Z.
#[tokio::test]
async fn parse_date_forms() {
    let suite = Suite::new().await;
    for (n, timestamp) in [
        "2021-10-29",
        "2021-10-29 00:00:00",
        "2021-10-29 00:00:00.000000",
        "2021-10-29T00:00:00.000Z",
        "2021-10-29 00:00:00+00:00",
        "2021-10-29T00:00:00.000-00:00",
        "2021-10-29T00:00:00.000",
        "2021-10-29T00:00:00.000+00:00",
        "2021-W43-5",
        "2021-302",
    ]
    .into_iter()
    .enumerate()
    {
        let distinct_id = format!("d{n}");
        suite
            .ingest(json!([{"event": "e", "distinct_id": distinct_id, "timestamp": timestamp}]))
            .await;
        assert_eq!(
            suite.person(&distinct_id).await["created_at"],
            "2021-10-29T00:00:00Z",
            "{timestamp}"
        );
    }
}

/// `timestamps.test.ts` › `parseEventTimestamp()` › `reports timestamp parsing error and
/// fallbacks to DateTime.utc`: the event is kept and happens now.
#[tokio::test]
async fn an_unparsable_timestamp_falls_back_to_now() {
    let suite = Suite::new().await;
    suite
        .ingest(json!([{"event": "e", "distinct_id": "d", "timestamp": "notISO"}]))
        .await;
    let person = suite
        .fixture
        .posthog
        .person(crate::support::PROJECT, "d")
        .unwrap();
    assert_eq!(person.created_at, NOW * 1_000_000);
}

/// `timestamps.test.ts` › `parseEventTimestamp()` › `captures sent_at to adjusts timestamp`,
/// `captures timestamp with no sent_at`, `captures with time offset`: skew correction and
/// offsets, with the mock's clock as `now`.
#[tokio::test]
async fn sent_at_and_offset_adjust_the_timestamp() {
    let suite = Suite::new().await;
    let now = time_text(NOW);
    let ten_minutes_later = time_text(NOW + 600);
    let body = json!({
        "api_key": suite.fixture.token,
        "sent_at": ten_minutes_later,
        "batch": [{"event": "e", "distinct_id": "skewed", "timestamp": now}],
    });
    reqwest::Client::new()
        .post(format!("{}/batch/", suite.fixture.posthog.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    suite
        .ingest(json!([
            {"event": "e", "distinct_id": "plain", "timestamp": "2021-10-30T03:02:00.000Z"},
            {"event": "e", "distinct_id": "offset", "offset": 6000},
        ]))
        .await;
    let created = |id: &str| {
        suite
            .fixture
            .posthog
            .person(crate::support::PROJECT, id)
            .unwrap()
            .created_at
    };
    assert_eq!(created("skewed"), (NOW - 600) * 1_000_000);
    assert_eq!(created("plain"), 1_635_562_920 * 1_000_000);
    assert_eq!(created("offset"), (NOW - 6) * 1_000_000);
}

/// RFC 3339 of Unix seconds.
fn time_text(seconds: i64) -> String {
    persons_mock::Timestamp::from_unix_seconds(seconds).to_string()
}
