//! Experience continuity through `/flags`, with the flag keys, ids and expected values of
//! PostHog's own tests: the flags service's `test_experience_continuity_*` (rust/feature-flags
//! tests) and Django's `test_feature_flags_v2_consistent_flags*` (posthog/api/test/
//! test_decide.py). Each pair of ids hashes to different sides, so every test fails without
//! overrides.

use serde_json::{Value, json};

use super::super::tests::{app, send};
use super::{HashKeys, lookup_needed};
use crate::posthog::flags::hash::{rollout_hash, variant_hash};
use crate::posthog::log::Entry;
use crate::posthog::{Event, FlagWrite, PostHog};
use crate::router::App;

/// A boolean continuity flag at `rollout` % (the flags service's tests use 50 %).
fn experience_flag(key: &str, rollout: f64) -> FlagWrite {
    FlagWrite {
        ensure_experience_continuity: true,
        ..FlagWrite::rollout(key, rollout)
    }
}

/// Django's `test_feature_flags_v2_consistent_flags*` flags: `beta-feature` (30 %, continuity),
/// `default-flag` (everyone) and `multivariate-flag` (50/25/25, continuity).
fn decide_flags(posthog: &PostHog) {
    let variants = json!([
        {"key": "first-variant", "rollout_percentage": 50},
        {"key": "second-variant", "rollout_percentage": 25},
        {"key": "third-variant", "rollout_percentage": 25}]);
    let flags = [
        experience_flag("beta-feature", 30.0),
        FlagWrite::new("default-flag", json!({"groups": [{"properties": []}]})),
        FlagWrite {
            ensure_experience_continuity: true,
            ..FlagWrite::new(
                "multivariate-flag",
                json!({"groups": [{"properties": []}], "multivariate": {"variants": variants}}),
            )
        },
    ];
    for flag in flags {
        posthog.create_flag(1, flag).expect("valid flag");
    }
}

/// `POST /flags/?v=2` with `body` (the project token added); the `flags` records.
fn flags(app: &App, body: Value) -> Value {
    let mut body = body;
    body["token"] = json!("phc_one");
    let (status, answer, text) = send(app, "POST", "/posthog/flags/?v=2", None, Some(body));
    assert_eq!(status, 200, "{text}");
    answer["flags"].clone()
}

/// Whether `key` is on for `body`.
fn enabled(app: &App, key: &str, body: Value) -> bool {
    flags(app, body)[key]["enabled"] == json!(true)
}

/// The legacy value (`/decide/?v=2`, Django's tests' shape) of every enabled flag.
fn decide(app: &App, body: Value) -> Value {
    let mut body = body;
    body["token"] = json!("phc_one");
    let (status, answer, text) = send(app, "POST", "/posthog/decide/?v=2", None, Some(body));
    assert_eq!(status, 200, "{text}");
    answer["featureFlags"].clone()
}

fn person(app: &App, distinct_id: &str) {
    app.posthog_at("")
        .capture(1, Event::new("$pageview", distinct_id))
        .expect("captured");
}

fn log_len(app: &App) -> usize {
    crate::vendor_handle::read_lock(&app.posthog)
        .project(1)
        .map_or(0, |project| project.log().len())
}

/// The flags service's continuity flag.
const KEY: &str = "experience-flag-test";

/// An app with [`KEY`] at 50 % and a person `false_eval_user` (off on its own; on through
/// `true_eval_user`).
fn experience_app() -> (App, PostHog) {
    let app = app();
    let posthog = app.posthog_at("");
    posthog
        .create_flag(1, experience_flag(KEY, 50.0))
        .expect("valid flag");
    person(&app, "false_eval_user");
    (app, posthog)
}

/// Whether [`KEY`] is on for `false_eval_user`, with `anon_distinct_id` when given.
fn user_enabled(app: &App, anon_distinct_id: Option<&str>) -> bool {
    let mut body = json!({"distinct_id": "false_eval_user"});
    if let Some(anon_distinct_id) = anon_distinct_id {
        body["$anon_distinct_id"] = json!(anon_distinct_id);
    }
    enabled(app, KEY, body)
}

#[test]
fn the_fixture_ids_hash_to_different_sides() {
    assert!(rollout_hash(KEY, "false_eval_user") > 0.5);
    assert!(rollout_hash(KEY, "true_eval_user") <= 0.5);
    assert!(rollout_hash("merge-test-flag", "false_eval_merged_user") > 0.5);
    assert!(rollout_hash("beta-feature", "example_id") <= 0.3);
    assert!(rollout_hash("beta-feature", "other_id") > 0.3);
    assert!(variant_hash("multivariate-flag", "example_id") < 0.5);
    assert!(variant_hash("multivariate-flag", "other_id") >= 0.75);
}

/// The flags service's `test_experience_continuity_matches_python`: the override written with
/// `$anon_distinct_id` keeps holding without it.
#[test]
fn an_override_written_with_the_anonymous_id_holds_without_it() {
    let (app, posthog) = experience_app();
    assert!(!user_enabled(&app, None));
    assert!(enabled(&app, KEY, json!({"distinct_id": "true_eval_user"})));
    let before = log_len(&app);
    assert!(user_enabled(&app, Some("true_eval_user")));
    assert_eq!(
        posthog.hash_key_overrides(1, "false_eval_user"),
        [(KEY.to_owned(), "true_eval_user".to_owned())].into()
    );
    let log = crate::vendor_handle::read_lock(&app.posthog)
        .project(1)
        .map(|project| project.log()[before..].to_vec())
        .unwrap_or_default();
    assert!(
        matches!(log.as_slice(), [Entry::HashKeyOverrides(write)]
            if write.distinct_ids == ["false_eval_user", "true_eval_user"]
                && write.hash_key == "true_eval_user"),
        "one entry, through the project's apply: {log:?}"
    );
    assert!(user_enabled(&app, None));
    assert!(user_enabled(&app, Some("true_eval_user")));
    assert_eq!(log_len(&app), before + 1, "an override is written once");
}

/// The flags service's `test_experience_continuity_with_merge`: a distinct id added to the
/// person later reads the person's override.
#[test]
fn an_id_added_to_the_person_later_reads_its_override() {
    let app = app();
    let posthog = app.posthog_at("");
    let key = "merge-test-flag";
    posthog
        .create_flag(1, experience_flag(key, 50.0))
        .expect("valid");
    person(&app, "false_eval_initial");
    let body = json!({"distinct_id": "false_eval_initial", "$anon_distinct_id": "true_eval_anon"});
    assert!(enabled(&app, key, body));
    assert!(!enabled(
        &app,
        key,
        json!({"distinct_id": "false_eval_merged_user"})
    ));
    posthog
        .capture(
            1,
            Event::alias("false_eval_initial", "false_eval_merged_user"),
        )
        .expect("captured");
    assert!(enabled(
        &app,
        key,
        json!({"distinct_id": "false_eval_merged_user"})
    ));
}

/// The flags service's `test_anon_distinct_id_from_person_properties` and
/// `test_top_level_anon_distinct_id_takes_precedence`: server SDKs pass the anonymous id in
/// `person_properties`; the top-level one wins.
#[test]
fn the_anonymous_id_may_come_in_person_properties_and_the_top_level_one_wins() {
    let (app, posthog) = experience_app();
    person(&app, "precedence_test_user");
    let body = json!({"distinct_id": "false_eval_user",
                      "person_properties": {"$anon_distinct_id": "true_eval_user", "other_prop": "x"}});
    assert!(enabled(&app, KEY, body));
    assert!(user_enabled(&app, None));
    let both = json!({"distinct_id": "precedence_test_user",
                      "$anon_distinct_id": "true_eval_user",
                      "person_properties": {"$anon_distinct_id": "false_eval_user"}});
    assert!(enabled(&app, KEY, both));
    assert_eq!(
        posthog.hash_key_overrides(1, "precedence_test_user")[KEY],
        "true_eval_user"
    );
}

/// Django's `test_feature_flags_v2_consistent_flags`: an identified id of the anonymous
/// person keeps the anonymous id's values.
#[test]
fn the_identified_id_keeps_the_anonymous_values() {
    let app = app();
    let posthog = app.posthog_at("");
    decide_flags(&posthog);
    person(&app, "example_id");
    let expected =
        json!({"beta-feature": true, "default-flag": true, "multivariate-flag": "first-variant"});
    assert_eq!(decide(&app, json!({"distinct_id": "example_id"})), expected);
    posthog
        .capture(1, Event::identify("other_id", "example_id"))
        .expect("captured");
    let body = json!({"distinct_id": "other_id", "$anon_distinct_id": "example_id"});
    assert_eq!(decide(&app, body), expected);
    assert_eq!(
        decide(&app, json!({"distinct_id": "other_id"})),
        expected,
        "the override stays with the person"
    );
}

/// Django's `test_feature_flags_v2_consistent_flags_with_ingestion_delays` and
/// `…_with_delayed_new_identified_person`: overrides need a person. Without any, nothing is
/// stored and the request alone hashes the anonymous id (the flags service's fallback; the
/// old Django `/decide` answered `third-variant` here); with only the anonymous person, the
/// override hangs on it and reaches the identified id once it joins that person.
#[test]
fn overrides_need_a_person() {
    let app = app();
    let posthog = app.posthog_at("");
    decide_flags(&posthog);
    let body = json!({"distinct_id": "other_id", "$anon_distinct_id": "example_id"});
    let before = log_len(&app);
    assert_eq!(
        decide(&app, body.clone())["multivariate-flag"],
        "first-variant"
    );
    assert_eq!(log_len(&app), before, "no person, nothing written");
    let alone = decide(&app, json!({"distinct_id": "other_id"}));
    assert_eq!(
        alone,
        json!({"default-flag": true, "multivariate-flag": "third-variant"})
    );
    person(&app, "example_id");
    assert_eq!(decide(&app, body)["multivariate-flag"], "first-variant");
    assert_eq!(posthog.hash_key_overrides(1, "example_id").len(), 2);
    assert_eq!(
        decide(&app, json!({"distinct_id": "other_id"}))["multivariate-flag"],
        "third-variant",
        "other_id has no person yet"
    );
    posthog
        .capture(1, Event::identify("other_id", "example_id"))
        .expect("captured");
    assert_eq!(
        decide(&app, json!({"distinct_id": "other_id"})),
        json!({"beta-feature": true, "default-flag": true, "multivariate-flag": "first-variant"})
    );
}

/// Django's `test_feature_flags_v2_consistent_flags_with_merged_persons`: both persons get the
/// override, and it survives their merge.
#[test]
fn overrides_follow_merged_persons() {
    let app = app();
    let posthog = app.posthog_at("");
    decide_flags(&posthog);
    person(&app, "example_id");
    person(&app, "other_id");
    let body = json!({"distinct_id": "other_id", "$anon_distinct_id": "example_id"});
    assert_eq!(decide(&app, body)["multivariate-flag"], "first-variant");
    for id in ["example_id", "other_id"] {
        assert_eq!(
            posthog.hash_key_overrides(1, id)["multivariate-flag"],
            "example_id"
        );
    }
    posthog
        .capture(1, Event::identify("example_id", "other_id"))
        .expect("captured");
    posthog.check_invariants(1).expect("consistent");
    assert_eq!(
        decide(&app, json!({"distinct_id": "other_id"})),
        json!({"beta-feature": true, "default-flag": true, "multivariate-flag": "first-variant"})
    );
}

#[test]
fn overrides_go_with_their_person() {
    let (app, posthog) = experience_app();
    assert!(user_enabled(&app, Some("true_eval_user")));
    assert!(!posthog.hash_key_overrides(1, "false_eval_user").is_empty());
    let pk = posthog.person(1, "false_eval_user").expect("person").pk;
    let path = format!("/posthog/api/projects/1/persons/{pk}/");
    assert_eq!(send(&app, "DELETE", &path, Some("phx_all"), None).0, 202);
    posthog
        .check_invariants(1)
        .expect("no override on a dead person");
    person(&app, "false_eval_user");
    assert!(posthog.hash_key_overrides(1, "false_eval_user").is_empty());
    assert!(!user_enabled(&app, None));
}

/// The flags service writes (and reads) overrides only when a flag it evaluates can depend on
/// the hash (`OPTIMIZE_EXPERIENCE_CONTINUITY_LOOKUPS`); a write then covers every active
/// continuity flag; a flag whose continuity is off ignores a stale override (PostHog PR
/// #65991).
#[test]
fn overrides_are_written_for_flags_that_need_them() {
    let (app, posthog) = experience_app();
    posthog
        .create_flag(1, experience_flag("everyone", 100.0))
        .expect("valid");
    let body = |only: &str| {
        json!({"distinct_id": "false_eval_user", "$anon_distinct_id": "true_eval_user",
               "flag_keys_to_evaluate": [only]})
    };
    assert_eq!(flags(&app, body("everyone"))["everyone"]["enabled"], true);
    assert!(
        posthog.hash_key_overrides(1, "false_eval_user").is_empty(),
        "a 100 % boolean flag needs no override"
    );
    assert!(enabled(&app, KEY, body(KEY)));
    assert_eq!(
        posthog
            .hash_key_overrides(1, "false_eval_user")
            .keys()
            .collect::<Vec<_>>(),
        ["everyone", KEY],
        "the write covers every continuity flag"
    );
    let off = FlagWrite {
        id: Some(1),
        ..FlagWrite::rollout(KEY, 50.0)
    };
    posthog.create_flag(1, off).expect("valid");
    assert!(
        !user_enabled(&app, None),
        "continuity off: the distinct id's own bucket"
    );
}

#[test]
fn a_merge_keeps_the_survivors_overrides() {
    let mut keys = HashKeys::default();
    keys.insert(vec![(0, "a".to_owned()), (0, "b".to_owned())], "anon-0");
    keys.insert(vec![(1, "b".to_owned()), (1, "c".to_owned())], "anon-1");
    keys.absorb(1, 0);
    let held: Vec<(&str, &str)> = keys
        .of(1)
        .into_iter()
        .flatten()
        .map(|(key, hash_key)| (key.as_str(), hash_key.as_str()))
        .collect();
    assert_eq!(held, [("a", "anon-0"), ("b", "anon-1"), ("c", "anon-1")]);
    assert!(keys.of(0).is_none());
    assert_eq!(
        keys.missing(&[1, 2], &["a", "d"]),
        [
            (1, "d".to_owned()),
            (2, "a".to_owned()),
            (2, "d".to_owned())
        ]
    );
}

#[test]
fn lookups_follow_dependencies_and_skip_what_cannot_change() {
    let app = app();
    let posthog = app.posthog_at("");
    let target = posthog
        .create_flag(1, experience_flag(KEY, 50.0))
        .expect("valid");
    let dependent = FlagWrite::new(
        "dependent",
        json!({"groups": [{"properties": [{"key": target.to_string(), "type": "flag",
                                          "operator": "flag_evaluates_to", "value": true}]}]}),
    );
    posthog.create_flag(1, dependent).expect("valid");
    let single_variant = FlagWrite {
        ensure_experience_continuity: true,
        ..FlagWrite::new(
            "single-variant",
            json!({"groups": [{"properties": []}],
                   "multivariate": {"variants": [{"key": "only", "rollout_percentage": 100},
                                                 {"key": "never", "rollout_percentage": 0}]}}),
        )
    };
    posthog.create_flag(1, single_variant).expect("valid");
    let state = crate::vendor_handle::read_lock(&app.posthog);
    let flags = state.project(1).expect("project").flags();
    assert!(lookup_needed(flags, Some(&["dependent"])));
    assert!(!lookup_needed(flags, Some(&["single-variant"])));
    assert!(lookup_needed(flags, None));
}

/// Overrides are `hash_key_overrides` entries of the log, so exports, seeds and the data
/// directory carry them; a hand-written one applies as PostHog's write would.
#[test]
fn seeds_carry_the_overrides() {
    let (app, _) = experience_app();
    assert!(user_enabled(&app, Some("true_eval_user")));
    let text = serde_norway::to_string(&app.export_seed()).expect("yaml");
    assert!(text.contains("hash_key_overrides:"), "{text}");
    let copy = App::default();
    copy.load_seed(&serde_norway::from_str(&text).expect("seed"))
        .expect("loads");
    assert!(user_enabled(&copy, None));
    let written = r"
posthog:
  projects:
    - id: 1
      tokens: [phc_one]
      log:
        - flag: {key: experience-flag-test, ensure_experience_continuity: true,
                 filters: {groups: [{rollout_percentage: 50}]}}
        - capture: {event: $pageview, distinct_id: false_eval_user}
        - hash_key_overrides: {distinct_ids: [false_eval_user, nobody], hash_key: true_eval_user}
";
    let seeded = App::default();
    seeded
        .load_seed(&serde_norway::from_str(written).expect("seed"))
        .expect("loads");
    assert!(user_enabled(&seeded, None));
}
