//! The flags model end to end: PostHog's SDK consistency vectors through the evaluator, and
//! the REST API, `/flags` and the definitions through [`App::handle`].

use serde_json::{Value, json};

use super::evaluate::{Evaluator, Outcome, Reason, Subject};
use super::{FlagWrite, Flags};
use crate::Timestamp;
use crate::http::ApiRequest;
use crate::posthog::PersonalKey;
use crate::router::App;

/// posthog-python `TestConsistency.test_simple_flag_consistency` (shared by every SDK):
/// `simple-flag` at 45 % for `distinct_id_0` … `distinct_id_999`, `1` where it is on.
const SIMPLE_FLAG: [&str; 13] = [
    "01101001010110100011010010110001111000000110110001100001010101101010110010010100",
    "10001101101111101100111100101110000010011100101001000000001100100110010101110001",
    "00001101101011010111010011010110011110110010100110101000000010110010100010100010",
    "01011000010000000000000110101101010001111000001110011000001011110111001010011101",
    "00011010101111100101011101011011111000001010011000101111000011001101111011100110",
    "01001000000000011001001010010000001000000000111000101000100000001000000001010111",
    "00011101011000100001010110100010011010000001100100111000100001010001011010101001",
    "00101010100111101000001001001100001110010011110001000100111100110101001101111001",
    "00110101001000011101001001000010101100101110000110100010000111000111101101110100",
    "10111101010100110010100001010001110001011000001010011011110010010101100010110001",
    "01011010010001110000010011111000000001110011011010100010010011110010110010011010",
    "01110000010100000110111000011110110101010000111100101100000010101100111100101100",
    "1110100110001001000111101010101001001011",
];

/// posthog-python `TestConsistency.test_multivariate_flag_consistency`: `multivariate-flag` at
/// 55 % with variants 50/20/20/5/5; the digit is the variant (first … fifth), `-` off.
const MULTIVARIATE_FLAG: [&str; 13] = [
    "221--21---13-121--41-3---1111113-321-3--12-112-1--11121-22321-124-111-12-3------",
    "15-212-33----3--11-33-323--21--1----111---11-11---------111121112-2121-22-1---31",
    "--1----1-------11311--1--52-2-13153--4----3--3-1222-1311-----1112---2--1-1--1111",
    "31311233-21-21-1--151----112-233-13--1-31-311-1221---2--11-3-1-3-321--13125--1--",
    "-3-21----3--3--13--1--4432135-15-111---252112--3-25-31--4--2--1412---133-111-1-1",
    "33--1--22111-51---231413-11-3113-4511---111-1121-121-12-11-1-1-1---331--2311---2",
    "1-13-1---133----34412-1-213-3-113---421--14-131--3-1-11324-1----212-1-11-1123111",
    "---3-111311215412-4---4--3---1332121-1-----11-2--1-211132--53--1---1233--1-31---",
    "-41---3--21--2311-11--2323--1--1-2----1-3-1--2324111-1-2-----1-----1-2----2-1-3-",
    "-13-3--2-121-----2--13-1-----12---115---1-3--2-----4212-2-2-1-11-2-1-5-11---1-13",
    "--11--5--3-31133-1-----1----2121-51--411--41-23311---111-333--11-2--2-312511-15-",
    "--31124121---23--1------11-3-1-3311-2-21---2-3-1511--1---141115---2---11--112111",
    "1131-2--323-13213--11---132111-323--31-1",
];

fn flags_of(writes: Vec<FlagWrite>) -> Flags {
    let mut flags = Flags::default();
    for mut write in writes {
        let flag = flags
            .prepare(&mut write, Timestamp::from_unix_seconds(0), |_| false)
            .expect("valid flag");
        flags.insert(flag);
    }
    flags
}

fn outcome(flags: &Flags, key: &str, distinct_id: &str, overrides: &Value) -> Outcome {
    let overrides = overrides.as_object().cloned().unwrap_or_default();
    let in_cohort = |_| false;
    let empty = serde_json::Map::new();
    let groups = super::groups::Groups::default();
    let subject = Subject {
        groups: &empty,
        group_properties: &empty,
        stored_groups: &groups,
        distinct_id,
        distinct_id_value: Value::String(distinct_id.to_owned()),
        overrides: &overrides,
        stored: None,
        device_id: None,
        in_cohort: &in_cohort,
        now: 0,
        continuity: super::continuity::Continuity::default(),
    };
    let flag = flags.live(key).expect("flag");
    Evaluator::new(flags, &subject).evaluate(flag)
}

#[test]
fn simple_flag_consistency() {
    let flags = flags_of(vec![FlagWrite::new(
        "simple-flag",
        json!({"groups": [{"properties": [], "rollout_percentage": 45}]}),
    )]);
    let expected: String = SIMPLE_FLAG.concat();
    for (n, want) in expected.chars().enumerate() {
        let got = outcome(
            &flags,
            "simple-flag",
            &format!("distinct_id_{n}"),
            &json!({}),
        );
        assert_eq!(got.enabled, want == '1', "distinct_id_{n}");
    }
}

#[test]
fn multivariate_flag_consistency() {
    let variants = ["first", "second", "third", "fourth", "fifth"];
    let flags = flags_of(vec![FlagWrite::new(
        "multivariate-flag",
        json!({"groups": [{"properties": [], "rollout_percentage": 55}],
               "multivariate": {"variants": [
                   {"key": "first-variant", "rollout_percentage": 50},
                   {"key": "second-variant", "rollout_percentage": 20},
                   {"key": "third-variant", "rollout_percentage": 20},
                   {"key": "fourth-variant", "rollout_percentage": 5},
                   {"key": "fifth-variant", "rollout_percentage": 5}]}}),
    )]);
    let expected: String = MULTIVARIATE_FLAG.concat();
    for (n, want) in expected.chars().enumerate() {
        let got = outcome(
            &flags,
            "multivariate-flag",
            &format!("distinct_id_{n}"),
            &json!({}),
        );
        let want = want
            .to_digit(10)
            .map(|digit| format!("{}-variant", variants[digit as usize - 1]));
        assert_eq!(got.variant, want, "distinct_id_{n}");
        assert_eq!(got.enabled, want.is_some());
    }
}

/// posthog-python `test_feature_flag_with_variant_overrides` and the conformance corpus's
/// posthog-python's `beta-feature` cases (reference §7): conditions in stored order, a valid
/// override wins over the hash. (The corpus's `invalid_variant_override_uses_hash` cannot
/// arise here: every write, seeds included, refuses an override naming no variant.)
#[test]
fn variant_overrides_in_stored_order() {
    let flags = flags_of(vec![FlagWrite::new(
        "beta-feature",
        json!({"groups": [
                   {"properties": [{"key": "email", "type": "person", "value": "test@posthog.com"}],
                    "rollout_percentage": 100, "variant": "second-variant"},
                   {"rollout_percentage": 50, "variant": "first-variant"}],
               "multivariate": {"variants": [
                   {"key": "first-variant", "rollout_percentage": 50},
                   {"key": "second-variant", "rollout_percentage": 25},
                   {"key": "third-variant", "rollout_percentage": 25}]}}),
    )]);
    let pinned = outcome(
        &flags,
        "beta-feature",
        "test_id",
        &json!({"email": "test@posthog.com"}),
    );
    assert_eq!(pinned.variant.as_deref(), Some("second-variant"));
    assert_eq!(
        (pinned.reason, pinned.condition_index),
        (Reason::ConditionMatch, Some(0))
    );
    let rolled = outcome(&flags, "beta-feature", "example_id", &json!({}));
    assert_eq!(rolled.variant.as_deref(), Some("first-variant"));
    assert_eq!(rolled.condition_index, Some(1));
}

/// The corpus's reason rules: out of rollout beats no match, ties go to the later condition.
#[test]
fn the_highest_priority_reason_wins() {
    let flags = flags_of(vec![FlagWrite::new(
        "beta-search",
        json!({"groups": [
            {"properties": [], "rollout_percentage": 0},
            {"properties": [{"key": "plan", "value": "pro"}]}]}),
    )]);
    let off = outcome(&flags, "beta-search", "user-105", &json!({"plan": "free"}));
    assert_eq!(
        (off.enabled, off.reason, off.condition_index),
        (false, Reason::OutOfRolloutBound, Some(0))
    );
    assert_eq!(off.reason.description(None), "Out of rollout bound");
    let on = outcome(&flags, "beta-search", "user-105", &json!({"plan": "PRO"}));
    assert_eq!((on.enabled, on.condition_index), (true, Some(1)));
    assert_eq!(on.reason.description(Some(1)), "Matched condition set 2");
}

/// Flag dependencies: `flag_evaluates_to` reads the other flag's value.
#[test]
fn dependencies_read_the_other_flags_value() {
    let flags = flags_of(vec![
        FlagWrite::new(
            "base",
            json!({"groups": [{"properties": [{"key": "plan", "value": "pro"}]}]}),
        ),
        FlagWrite::new(
            "dependent",
            json!({"groups": [{"properties": [{"key": "1", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}),
        ),
        FlagWrite::new(
            "dangling",
            json!({"groups": [{"properties": [{"key": "99", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}),
        ),
    ]);
    assert!(outcome(&flags, "dependent", "u", &json!({"plan": "pro"})).enabled);
    assert!(!outcome(&flags, "dependent", "u", &json!({"plan": "free"})).enabled);
    let dangling = outcome(&flags, "dangling", "u", &json!({}));
    assert_eq!(
        (dangling.reason, dangling.condition_index),
        (Reason::MissingDependency, None)
    );
}

/// The flags service's `populate_missing_initial_properties` list, screen sizes, the raw user
/// agent and the newer click ids included: a missing `$initial_X` reads `X`.
#[test]
fn missing_initial_properties_read_the_current_ones() {
    let keys = [
        "$screen_width",
        "$raw_user_agent",
        "qclid",
        "sccid",
        "irclid",
        "_kx",
        "utm_source",
    ];
    for key in keys {
        let flags = flags_of(vec![FlagWrite::new(
            "initial",
            json!({"groups": [{"properties": [{"key": format!("$initial_{key}"), "value": "1920"}]}]}),
        )]);
        assert!(
            outcome(&flags, "initial", "u", &json!({key: "1920"})).enabled,
            "{key}"
        );
    }
}

/// The flags service's router (reference §2.1): OPTIONS is a 204 pre-flight listing its
/// methods, HEAD an empty 200, on both endpoints with or without the slash.
#[test]
fn flags_and_decide_answer_options_and_head() {
    let app = app();
    for path in [
        "/posthog/flags/",
        "/posthog/flags",
        "/posthog/decide/",
        "/posthog/decide",
    ] {
        let response = app.handle(&ApiRequest::new("OPTIONS", path));
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            (
                response.status,
                header("allow"),
                header("access-control-allow-origin"),
                response.body.is_empty()
            ),
            (204, Some("GET, POST, OPTIONS, HEAD"), Some("*"), true),
            "{path}"
        );
        let response = app.handle(&ApiRequest::new("HEAD", path));
        assert_eq!((response.status, response.body.len()), (200, 0), "{path}");
    }
}

/// A filter on flag `id` evaluating to true.
fn on(id: i64) -> Value {
    json!({"key": id.to_string(), "type": "flag", "operator": "flag_evaluates_to", "value": true})
}

/// The `(key, dependency_chain)` of each flag filter of `key` in the definitions of `flags`.
fn chains(flags: &Flags, key: &str) -> Vec<(Value, Value)> {
    let definitions = super::render::Definitions::build(flags, 1, &[]);
    let body: Value = serde_json::from_slice(&definitions.body).expect("json");
    let flag = body["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|flag| flag["key"] == key)
        .expect("flag")
        .clone();
    flag["filters"]["groups"][0]["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .filter(|property| property["type"] == "flag")
        .map(|property| {
            (
                property["key"].clone(),
                property["dependency_chain"].clone(),
            )
        })
        .collect()
}

/// PostHog's `TestFeatureFlagDependencyTransformation` (local_evaluation): flag filters name
/// their target by key, with the chain of what to evaluate first.
#[test]
fn definitions_carry_dependency_chains() {
    let rule = |properties: Vec<Value>| json!({"groups": [{"properties": properties}]});
    let flags = flags_of(vec![
        FlagWrite::new("flag-a", rule(vec![])),
        FlagWrite::new("flag-b", rule(vec![])),
        FlagWrite::new("flag-c", rule(vec![on(1), on(2)])),
        FlagWrite::new("flag-d", rule(vec![on(3)])),
        FlagWrite::new("dangling", rule(vec![on(99)])),
    ]);
    // test_flag_dependency_transformation_multiple_dependencies
    assert_eq!(
        chains(&flags, "flag-c"),
        vec![
            (json!("flag-a"), json!(["flag-a"])),
            (json!("flag-b"), json!(["flag-b"]))
        ]
    );
    assert_eq!(
        chains(&flags, "flag-d"),
        vec![(json!("flag-c"), json!(["flag-a", "flag-b", "flag-c"]))]
    );
    // test_flag_dependency_transformation_missing_dependency
    assert_eq!(chains(&flags, "dangling"), vec![(json!("99"), json!([]))]);
    // test_flag_dependency_transformation_circular_dependency (written past the API's check)
    let mut cyclic = FlagWrite::new("flag-a", rule(vec![on(4)]));
    cyclic.id = Some(1);
    let mut flags = flags;
    let flag = flags
        .prepare(&mut cyclic, Timestamp::from_unix_seconds(0), |_| false)
        .expect("valid flag");
    flags.insert(flag);
    assert_eq!(chains(&flags, "flag-a"), vec![(json!("flag-d"), json!([]))]);
    assert_eq!(chains(&flags, "flag-c")[0], (json!("flag-a"), json!([])));
    assert_eq!(chains(&flags, "flag-d"), vec![(json!("flag-c"), json!([]))]);
}

pub(super) fn app() -> App {
    let app = App::default();
    let posthog = app.posthog_at("");
    posthog.add_project_token(1, "phc_one");
    posthog.add_project_token(2, "phc_two");
    posthog.add_personal_key("phx_all", PersonalKey::all_access(1));
    posthog.add_personal_key(
        "phx_persons",
        PersonalKey::all_access(1).with_scopes(["person:read"]),
    );
    app
}

/// Creates a flag in project 1 through the REST API with the all-access key; the created flag.
fn create(app: &App, body: Value) -> Value {
    let (status, created, _) = send(
        app,
        "POST",
        "/posthog/api/projects/1/feature_flags/",
        Some("phx_all"),
        Some(body),
    );
    assert_eq!(status, 201, "{created}");
    created
}

pub(super) fn send(
    app: &App,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, String) {
    let mut request = ApiRequest::new(method, path);
    if let Some(key) = key {
        request = request.with_header("authorization", &format!("Bearer {key}"));
    }
    if let Some(body) = body {
        request = request
            .with_header("content-type", "application/json")
            .with_body(body.to_string().into_bytes());
    }
    let response = app.handle(&request);
    let text = String::from_utf8_lossy(&response.body).into_owned();
    (response.status, response.json_body(), text)
}

/// PostHog's `_check_flag_circular_dependencies` and `TestFeatureFlagDependencyDisabling`:
/// references are ids of live, active flags; no self-reference or cycle; a flag others depend
/// on cannot be disabled or deleted, nor a flag enabled while it depends on a disabled one.
#[test]
fn flag_dependencies_are_checked_on_write() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    let post = |body: Value| send(&app, "POST", base, Some("phx_all"), Some(body));
    let patch = |id: i64, body: Value| {
        send(
            &app,
            "PATCH",
            &format!("{base}{id}/"),
            Some("phx_all"),
            Some(body),
        )
    };
    let on = |reference: Value| {
        json!({"groups": [{"properties": [
            {"key": reference, "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]})
    };
    let refused = |(status, error, _): (u16, Value, String)| {
        assert_eq!(status, 400, "{error}");
        (
            error["attr"].clone(),
            error["detail"].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(
        post(json!({"key": "a", "filters": {"groups": [{}]}})).0,
        201
    );
    assert_eq!(post(json!({"key": "b", "filters": on(json!("1"))})).0, 201);
    let filters = json!("filters");
    assert_eq!(
        refused(post(json!({"key": "c", "filters": on(json!("a"))}))),
        (filters.clone(), "Flag dependencies must reference flag IDs (integers), not flag keys. Invalid reference: 'a'".to_owned())
    );
    assert_eq!(
        refused(post(json!({"key": "c", "filters": on(json!("99"))}))),
        (
            filters.clone(),
            "Flag dependency references non-existent flag with ID 99".to_owned()
        )
    );
    assert_eq!(
        refused(patch(1, json!({"filters": on(json!("1"))}))),
        (
            filters.clone(),
            "Feature flag 'a' cannot depend on itself".to_owned()
        )
    );
    assert_eq!(
        refused(patch(1, json!({"filters": on(json!("2"))}))),
        (
            filters.clone(),
            "Circular dependency detected: a → b → a".to_owned()
        )
    );
    // test_cannot_disable_flag_with_active_dependents; deletion is refused the same way.
    assert_eq!(
        refused(patch(1, json!({"active": false}))),
        (Value::Null, "Cannot disable this feature flag because other flags depend on it: b (ID: 2). Please update or disable the dependent flags first.".to_owned())
    );
    assert_eq!(
        refused(patch(1, json!({"deleted": true}))),
        (Value::Null, "Cannot delete this feature flag because other flags depend on it: b (ID: 2). Please update or delete the dependent flags first.".to_owned())
    );
    // test_cannot_enable_dependent_flag_when_dependency_disabled
    assert_eq!(patch(2, json!({"active": false})).0, 200);
    assert_eq!(patch(1, json!({"active": false})).0, 200);
    assert_eq!(
        refused(patch(2, json!({"active": true}))),
        (Value::Null, "Cannot enable this feature flag because it depends on disabled flags: a (ID: 1). Please enable the dependency flags first.".to_owned())
    );
    // test_cannot_create_dependency_on_disabled_flag
    assert_eq!(
        refused(post(json!({"key": "c", "filters": on(json!(1))}))),
        (filters, "Cannot create dependency on disabled flag 'a' (ID: 1). Flag dependencies must reference active flags only.".to_owned())
    );
}

#[test]
fn the_rest_api_creates_updates_lists_and_soft_deletes() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    let (status, created, _) = send(
        &app,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({
            "key": "beta", "name": "Beta", "filters": {"groups": [{"rollout_percentage": 100}], "payloads": {"true": {"a": 1}}}
        })),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["id"].clone(), created["version"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(created["filters"]["payloads"]["true"], json!("{\"a\": 1}"));
    let refusals = [
        (
            json!({"key": "beta"}),
            "unique",
            "There is already a feature flag with this key.",
        ),
        (
            json!({"key": "no spaces"}),
            "invalid_key",
            "Only letters, numbers, hyphens (-) & underscores (_) are allowed.",
        ),
        (
            json!({"key": "x", "filters": {}}),
            "invalid_input",
            "Feature flags must have at least one condition set (group).",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}],
                "multivariate": {"variants": [{"key": "a", "rollout_percentage": 60}]}}}),
            "invalid_input",
            "Invalid variant definitions: Variant rollout percentages must sum to 100.",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"variant": "nope"}]}}),
            "invalid_input",
            "Filters are not valid (variant override does not exist)",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "a", "value": "b", "operator": "contains"}]}]}}),
            "invalid_operator",
            "Invalid operator: contains",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}], "payloads": {"true": "hello"}}}),
            "invalid_input",
            "Payload value is not valid JSON",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "7", "type": "cohort", "value": 7}]}]}}),
            "cohort_does_not_exist",
            "Cohort with id 7 does not exist",
        ),
        // PostHog's serializer wants a string for regex, icontains, gt, … (not just a scalar).
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "seats", "operator": "gte", "value": 5}]}]}}),
            "invalid_value",
            "Invalid value for operator gte: 5",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "beta", "operator": "not_icontains", "value": true}]}]}}),
            "invalid_value",
            "Invalid value for operator not_icontains: True",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "email", "operator": "regex", "value": ["a", 1]}]}]}}),
            "invalid_value",
            "Invalid value for operator regex: ['a', 1]",
        ),
        // PostHog reads at most 9999 of a unit; a larger amount is no date (it used to pass
        // here and overflow at evaluation).
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "seen", "operator": "is_date_after", "value": "--2562047788015h"}]}]}}),
            "invalid_date",
            "Invalid date value: '--2562047788015h'",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"properties": [
                {"key": "seen", "operator": "is_date_before", "value": "-10000d"}]}]}}),
            "invalid_date",
            "Invalid date value: '-10000d'",
        ),
        // PostHog's `validate_filters` type checks (the flags service cannot read a flag
        // that fails them); each used to be read as something else.
        (
            json!({"key": "x", "filters": {"groups": [{"properties": {"key": "plan"}}]}}),
            "invalid_input",
            "groups[0].properties must be a list",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"rollout_percentage": "50"}]}}),
            "invalid_input",
            "groups[0].rollout_percentage must be a number or null, got str",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}, {"rollout_percentage": true}]}}),
            "invalid_input",
            "groups[1].rollout_percentage must be a number or null, got bool",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"rollout_percentage": 150}]}}),
            "invalid_input",
            "groups[0].rollout_percentage must be between 0 and 100, got 150",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{"variant": 1}]}}),
            "invalid_input",
            "groups[0].variant must be a string or null, got int",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}],
                "multivariate": {"variants": [{"key": "a", "rollout_percentage": 100}, {"key": "b"}]}}}),
            "invalid_input",
            "multivariate.variants[1].rollout_percentage must be a number, got null",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}],
                "multivariate": {"variants": [{"key": "a", "rollout_percentage": "100"}]}}}),
            "invalid_input",
            "multivariate.variants[0].rollout_percentage must be a number, got str",
        ),
        (
            json!({"key": "x", "filters": {"groups": [{}],
                "multivariate": {"variants": [{"rollout_percentage": 100}]}}}),
            "invalid_input",
            "multivariate.variants[0].key must be a string",
        ),
        (
            json!({"key": "x", "tags": "beta"}),
            "not_a_list",
            "Expected a list of items but got type \"str\".",
        ),
    ];
    for (body, code, detail) in refusals {
        let (status, error, _) = send(&app, "POST", base, Some("phx_all"), Some(body.clone()));
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            (error["code"].as_str(), error["detail"].as_str()),
            (Some(code), Some(detail))
        );
    }
    let (status, forbidden, _) = send(
        &app,
        "POST",
        base,
        Some("phx_persons"),
        Some(json!({"key": "y"})),
    );
    assert_eq!(
        (status, forbidden["detail"].as_str()),
        (
            403,
            Some("API key missing required scope 'feature_flag:write'")
        )
    );
    let (status, updated, _) = send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"active": false})),
    );
    assert_eq!(
        (
            status,
            updated["version"].clone(),
            updated["active"].clone()
        ),
        (200, json!(2), json!(false))
    );
    let (status, list, _) = send(
        &app,
        "GET",
        "/posthog/api/environments/1/feature_flags/",
        Some("phx_all"),
        None,
    );
    assert_eq!((status, list["count"].clone()), (200, json!(1)));
    let (status, _, body) = send(&app, "DELETE", &format!("{base}1/"), Some("phx_all"), None);
    assert_eq!((status, body.as_str()), (405, ""));
    let (status, _, _) = send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"deleted": true})),
    );
    assert_eq!(status, 200);
    let (_, list, _) = send(&app, "GET", base, Some("phx_all"), None);
    assert_eq!(list["count"], json!(0));
    // PostHog filters deleted flags out of the list only: retrieve and PATCH still reach them.
    let (status, deleted, _) = send(&app, "GET", &format!("{base}1/"), Some("phx_all"), None);
    assert_eq!((status, deleted["deleted"].clone()), (200, json!(true)));
    let (status, renamed, _) = send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"name": "still deleted"})),
    );
    assert_eq!(
        (
            status,
            renamed["deleted"].clone(),
            renamed["version"].clone()
        ),
        (200, json!(true), json!(4))
    );
    let (status, restored, _) = send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"deleted": false})),
    );
    assert_eq!((status, restored["deleted"].clone()), (200, json!(false)));
    let (_, list, _) = send(&app, "GET", base, Some("phx_all"), None);
    assert_eq!(list["count"], json!(1), "a restored flag is listed again");
    send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"deleted": true})),
    );
    let (status, again, _) = send(
        &app,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({"key": "beta"})),
    );
    assert_eq!(
        (status, again["id"].clone()),
        (201, json!(2)),
        "a deleted flag's key is free again"
    );
    // Creating a key a soft-deleted flag holds first hard-deletes that flag, as PostHog's
    // serializer does.
    let (status, _, _) = send(&app, "GET", &format!("{base}1/"), Some("phx_all"), None);
    assert_eq!(status, 404);
}

#[test]
fn flags_evaluates_with_stored_properties_under_the_request_overrides() {
    let app = app();
    let posthog = app.posthog_at("");
    posthog
        .capture(
            1,
            crate::posthog::Event::new("$identify", "user-1").set("plan", "pro"),
        )
        .expect("captured");
    let base = "/posthog/api/projects/1/feature_flags/";
    for body in [
        json!({"key": "pro-only", "filters": {"groups": [{"properties": [{"key": "plan", "value": "pro", "type": "person"}]}],
               "payloads": {"true": "{\"tier\": 1}"}}}),
        json!({"key": "off", "active": false, "filters": {"groups": [{}]}}),
    ] {
        assert_eq!(send(&app, "POST", base, Some("phx_all"), Some(body)).0, 201);
    }
    let (status, v4, _) = send(
        &app,
        "POST",
        "/posthog/flags/?v=4",
        None,
        Some(json!({"token": "phc_one", "distinct_id": "user-1"})),
    );
    assert_eq!(status, 200);
    let record = &v4["flags"]["pro-only"];
    assert_eq!(record["enabled"], json!(true));
    assert_eq!(record["reason"]["code"], json!("condition_match"));
    assert_eq!(record["metadata"]["payload"], json!("{\"tier\": 1}"));
    assert_eq!(record["metadata"]["has_experiment"], json!(false));
    assert!(
        v4["flags"].get("off").is_none(),
        "inactive flags are omitted"
    );
    let (_, v1, _) = send(
        &app,
        "POST",
        "/posthog/flags/?v=1",
        None,
        Some(json!({
        "api_key": "phc_one", "distinct_id": "user-1", "person_properties": {"plan": "free"}})),
    );
    assert_eq!(
        v1["featureFlags"],
        json!({"pro-only": false}),
        "the request's properties win"
    );
    let (_, decide, _) = send(
        &app,
        "POST",
        "/posthog/decide/?v=3",
        None,
        Some(json!({"token": "phc_one", "distinct_id": "user-1"})),
    );
    assert_eq!(
        decide["featureFlagPayloads"],
        json!({"pro-only": "{\"tier\": 1}"})
    );
    let (_, other, _) = send(
        &app,
        "POST",
        "/posthog/flags/?v=2",
        None,
        Some(json!({"token": "phc_two", "distinct_id": "user-1"})),
    );
    assert_eq!(
        other["flags"],
        json!({}),
        "another project sees none of these flags"
    );
    let (status, _, text) = send(
        &app,
        "POST",
        "/posthog/flags/?v=2",
        None,
        Some(json!({"distinct_id": "x"})),
    );
    assert_eq!(
        (status, text.as_str()),
        (
            401,
            "No API token provided. Please include a valid API token in your request."
        )
    );
    let (status, _, _) = send(
        &app,
        "POST",
        "/posthog/flags/?v=2",
        None,
        Some(json!({"token": "phc_one"})),
    );
    assert_eq!(status, 400);
    // The flags service deserializes a typed body: a field of the wrong type fails it whole.
    for wrong in [
        json!({"person_properties": "plan=pro"}),
        json!({"$properties": ["plan"]}),
        json!({"groups": "acme"}),
        json!({"group_properties": {"organization": "acme"}}),
        json!({"flag_keys_to_evaluate": "pro-only"}),
        json!({"flag_keys": ["pro-only", 1]}),
        json!({"distinct_id": true}),
    ] {
        let mut body = json!({"token": "phc_one", "distinct_id": "user-1"});
        body.as_object_mut()
            .expect("object")
            .extend(wrong.as_object().expect("object").clone());
        let (status, _, text) = send(&app, "POST", "/posthog/flags/?v=2", None, Some(body));
        assert_eq!(
            (status, text.as_str()),
            (
                400,
                "Failed to decode request: invalid JSON. Please check your request format and try again."
            ),
            "{wrong}"
        );
    }
    let (status, nulls, _) = send(
        &app,
        "POST",
        "/posthog/flags/?v=2",
        None,
        Some(
            json!({"token": "phc_one", "distinct_id": "user-1", "person_properties": null,
                    "groups": null, "flag_keys_to_evaluate": null}),
        ),
    );
    assert_eq!(
        (status, nulls["flags"]["pro-only"]["enabled"].clone()),
        (200, json!(true)),
        "null is an absent field"
    );
}

#[test]
fn definitions_need_a_flag_scoped_key_and_answer_304_to_their_etag() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    create(&app, json!({"key": "a", "filters": {"groups": [{}]}}));
    send(
        &app,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({"key": "b", "active": false})),
    );
    let (status, body, _) = send(
        &app,
        "GET",
        "/posthog/flags/definitions?token=phc_one",
        Some("phx_all"),
        None,
    );
    assert_eq!(status, 200);
    let keys: Vec<_> = body["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|flag| flag["key"].clone())
        .collect();
    assert_eq!(keys, [json!("a"), json!("b")], "inactive flags are listed");
    let (status, error, _) = send(
        &app,
        "GET",
        "/posthog/flags/definitions?token=phc_one",
        Some("phx_persons"),
        None,
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("authentication_failed"))
    );
    let (status, error, _) = send(
        &app,
        "GET",
        "/posthog/api/feature_flag/local_evaluation/?token=phc_one",
        None,
        None,
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("not_authenticated"))
    );
    let request = ApiRequest::new("GET", "/posthog/flags/definitions?token=phc_one")
        .with_header("authorization", "Bearer phx_all");
    let first = app.handle(&request);
    let etag = first
        .headers
        .iter()
        .find(|(name, _)| name == "etag")
        .map(|(_, value)| value.clone())
        .expect("etag");
    assert_eq!(
        app.handle(&request.clone().with_header("if-none-match", &etag))
            .status,
        304
    );
    send(
        &app,
        "PATCH",
        &format!("{base}1/"),
        Some("phx_all"),
        Some(json!({"name": "changed"})),
    );
    assert_eq!(
        app.handle(&request.with_header("if-none-match", &etag))
            .status,
        200,
        "a write changes the ETag"
    );
}

/// Flags are log entries: an export carries them, and loading it answers the same.
#[test]
fn an_exported_seed_brings_the_flags_back() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    send(
        &app,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({"key": "kept", "filters": {"groups": [{"rollout_percentage": 30}]}})),
    );
    send(
        &app,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({"key": "gone"})),
    );
    send(
        &app,
        "PATCH",
        &format!("{base}2/"),
        Some("phx_all"),
        Some(json!({"deleted": true})),
    );
    let seed = app.export_seed();
    let text = serde_norway::to_string(&seed).expect("yaml");
    assert!(text.contains("flag:"), "{text}");
    let copy = App::default();
    copy.load_seed(&serde_norway::from_str(&text).expect("seed"))
        .expect("loads");
    let (_, before, _) = send(&app, "GET", base, Some("phx_all"), None);
    let (_, after, _) = send(&copy, "GET", base, Some("phx_all"), None);
    assert_eq!(before, after);
    let (status, third, _) = send(
        &copy,
        "POST",
        base,
        Some("phx_all"),
        Some(json!({"key": "third"})),
    );
    assert_eq!((status, third["id"].clone()), (201, json!(3)));
}

/// A hand-written seed's flag is checked as the API checks it, naming the entry.
#[test]
fn a_seed_with_an_invalid_flag_names_it() {
    let seed = r#"
posthog:
  projects:
    - id: 1
      log:
        - flag: {key: "bad key"}
"#;
    let error = App::default()
        .load_seed(&serde_norway::from_str(seed).expect("seed"))
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("posthog.projects[0].log[0].flag.key"),
        "{error}"
    );
}

/// The example seed file's flag loads and evaluates.
#[test]
fn the_example_seed_files_flag_evaluates() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/posthog.yaml");
    let app = App::default();
    app.load_seed(&crate::Seed::from_file(&path).expect("seed file"))
        .expect("loads");
    let body = json!({"token": "phc_shop_project_token", "distinct_id": "someone",
                      "person_properties": {"plan": "pro"}});
    let (status, answer, _) = send(&app, "POST", "/posthog/flags/?v=1", None, Some(body));
    assert_eq!(status, 200);
    assert_eq!(answer["featureFlags"], json!({"new-checkout": true}));
    assert_eq!(
        answer["featureFlagPayloads"],
        json!({"new-checkout": "{\"button\": \"green\"}"})
    );
}

/// Each route and version answers its own shape (§2.1 of the reference).
#[test]
fn shapes_follow_the_endpoint_and_version() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    for body in [
        json!({"key": "on", "filters": {"groups": [{}]}}),
        json!({"key": "never", "filters": {"groups": [{"rollout_percentage": 0}]}}),
    ] {
        assert_eq!(send(&app, "POST", base, Some("phx_all"), Some(body)).0, 201);
    }
    let ask = |path: &str, body: Value| send(&app, "POST", path, None, Some(body)).1;
    let who = json!({"token": "phc_one", "distinct_id": "u"});
    let keys = ask("/posthog/decide/", who.clone());
    assert_eq!(keys["featureFlags"], json!(["on"]));
    assert_eq!(
        keys["supportedCompression"],
        json!(["gzip", "gzip-js"]),
        "config via decide"
    );
    assert_eq!(
        ask("/posthog/decide/?v=2", who.clone())["featureFlags"],
        json!({"on": true})
    );
    let legacy = ask("/posthog/decide/?v=3", who.clone());
    assert_eq!(legacy["featureFlags"], json!({"on": true, "never": false}));
    let detailed = ask("/posthog/decide/?v=4", who.clone());
    assert_eq!(
        detailed["flags"]["never"]["reason"]["code"],
        json!("out_of_rollout_bound")
    );
    let default = ask("/posthog/flags", who.clone());
    assert!(
        default["flags"].is_object() && default["config"].is_object(),
        "{default}"
    );
    let plain = ask("/posthog/flags/?v=2", who.clone());
    assert!(plain.get("config").is_none(), "{plain}");
    let only = ask(
        "/posthog/flags/?v=2",
        json!({"token": "phc_one", "distinct_id": 42, "flag_keys_to_evaluate": ["never"]}),
    );
    let keys: Vec<&String> = only["flags"]
        .as_object()
        .map(|flags| flags.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["never"], "only the asked flag: {only}");
    let (status, config, _) = send(&app, "GET", "/posthog/flags/?v=2", None, None);
    assert_eq!((status, config["flags"].clone()), (200, json!({})));
    let (status, _, text) = send(&app, "POST", "/posthog/flags/", None, None);
    assert_eq!(status, 400, "{text}");
    let (status, _, text) = send(
        &app,
        "POST",
        "/posthog/flags/",
        None,
        Some(json!({"token": "phc_nope", "distinct_id": "u"})),
    );
    assert_eq!(
        (status, text.starts_with("The provided API key is invalid")),
        (401, true)
    );
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        json!({"token": "phc_one", "distinct_id": "u"}).to_string(),
    );
    let form = ApiRequest::new("POST", "/posthog/flags/?v=2&config=true&compression=base64")
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!(
            "data={}",
            encoded.replace('+', "%2B").replace('=', "%3D")
        ));
    let answer = app.handle(&form).json_body();
    assert_eq!(
        answer["flags"]["on"]["enabled"],
        json!(true),
        "posthog-js's form: {answer}"
    );
}

/// Group flags: the group type mapping comes from `$groupidentify`, the rollout hashes the
/// group key (the corpus's `org-dashboard.42` = 0.5997…, so 60 % admits it and 59 % does
/// not), group properties are stored ones under the request's.
#[test]
fn group_flags_hash_the_group_key() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    for (key, rollout) in [("org-dashboard", 60), ("org-dashboard-59", 59)] {
        let body = json!({"key": key, "filters": {"aggregation_group_type_index": 0, "groups": [{
            "properties": [{"key": "plan", "type": "group", "group_type_index": 0, "value": "enterprise"}],
            "rollout_percentage": rollout}]}});
        assert_eq!(send(&app, "POST", base, Some("phx_all"), Some(body)).0, 201);
    }
    let definitions = |app: &App| {
        send(
            app,
            "GET",
            "/posthog/flags/definitions?token=phc_one",
            Some("phx_all"),
            None,
        )
        .1
    };
    assert_eq!(definitions(&app)["group_type_mapping"], json!({}));
    app.posthog_at("")
        .capture(
            1,
            crate::posthog::Event::new("$groupidentify", "user-1")
                .property("$group_type", "organization")
                .property("$group_key", "42")
                .property("$group_set", json!({"plan": "enterprise"})),
        )
        .expect("captured");
    assert_eq!(
        definitions(&app)["group_type_mapping"],
        json!({"0": "organization"})
    );
    let ask = |body: Value| send(&app, "POST", "/posthog/flags/?v=2", None, Some(body)).1;
    let answer =
        ask(json!({"token": "phc_one", "distinct_id": "anyone", "groups": {"organization": 42}}));
    assert_eq!(
        answer["flags"]["org-dashboard"]["enabled"],
        json!(true),
        "{answer}"
    );
    assert_eq!(
        answer["flags"]["org-dashboard-59"]["reason"]["code"],
        json!("out_of_rollout_bound")
    );
    let answer = ask(json!({"token": "phc_one", "distinct_id": "anyone"}));
    let reason = &answer["flags"]["org-dashboard"]["reason"];
    assert_eq!(
        (reason["code"].clone(), reason["condition_index"].clone()),
        (json!("no_group_type"), json!(0))
    );
    let answer = ask(
        json!({"token": "phc_one", "distinct_id": "anyone", "groups": {"organization": "42"},
                            "group_properties": {"organization": {"plan": "free"}}}),
    );
    assert_eq!(
        answer["flags"]["org-dashboard"]["reason"]["code"],
        json!("no_condition_match")
    );
}

/// The flags service's device bucketing without a device id (an absent or empty `$device_id`):
/// person conditions are skipped as out of rollout, and the holdout hashes the distinct id
/// (its `hashed_identifier` falls through; `holdout-user-31` is the corpus vector 0.0195).
#[test]
fn device_bucketing_without_a_device_id() {
    let app = app();
    let posthog = app.posthog_at("");
    let device = |key: &str, filters: Value| FlagWrite {
        bucketing_identifier: Some("device_id".to_owned()),
        ..FlagWrite::new(key, filters)
    };
    let flags = [
        device(
            "by-device",
            json!({"groups": [{"rollout_percentage": 100}]}),
        ),
        device(
            "held-out",
            json!({"groups": [{"rollout_percentage": 100}],
                   "holdout": {"id": 7, "exclusion_percentage": 50}}),
        ),
    ];
    for flag in flags {
        posthog.create_flag(1, flag).expect("valid flag");
    }
    for device_id in [None, Some("")] {
        let mut body = json!({"token": "phc_one", "distinct_id": "user-31"});
        if let Some(device_id) = device_id {
            body["$device_id"] = json!(device_id);
        }
        let (_, answer, _) = send(&app, "POST", "/posthog/flags/?v=2", None, Some(body));
        let record = &answer["flags"]["by-device"];
        assert_eq!(
            (&record["enabled"], &record["reason"]["code"]),
            (&json!(false), &json!("out_of_rollout_bound")),
            "{device_id:?}"
        );
        assert_eq!(
            answer["flags"]["held-out"]["variant"], "holdout-7",
            "{device_id:?}"
        );
    }
}

/// Static-cohort filters as the flags service's `apply_cohort_membership_logic` reads a
/// flag's cohort filters: `in` (the default) is membership of the distinct id's person,
/// `not_in` its absence (an id without a person is in no cohort), any other operator never
/// matches, and `negation` is not read. The definitions carry the filters but no cohorts, so
/// the SDKs ask `/flags`.
#[test]
fn static_cohort_filters_follow_membership() {
    let app = app();
    let posthog = app.posthog_at("");
    for id in ["member", "outsider"] {
        posthog
            .capture(
                1,
                crate::posthog::Event::new("$identify", id).set("plan", "pro"),
            )
            .expect("captured");
    }
    let cohort = posthog.create_cohort(1, "Beta", &["member"]);
    let base = "/posthog/api/projects/1/feature_flags/";
    let flags = [
        ("in", json!({"operator": "in"})),
        ("default", json!({})),
        ("not-in", json!({"operator": "not_in"})),
        ("negated-in", json!({"operator": "in", "negation": true})),
        (
            "negated-not-in",
            json!({"operator": "not_in", "negation": true}),
        ),
        ("exact", json!({"operator": "exact"})),
    ];
    for (key, extra) in &flags {
        let mut filter = json!({"key": "id", "type": "cohort", "value": cohort});
        filter
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let body = json!({"key": key, "filters": {"groups": [{"properties": [filter]}]}});
        let (status, created, _) = send(&app, "POST", base, Some("phx_all"), Some(body));
        assert_eq!(status, 201, "{created}");
    }
    let values = |distinct_id: &str| {
        let (status, body, _) = send(
            &app,
            "POST",
            "/posthog/flags/?v=1",
            None,
            Some(json!({"token": "phc_one", "distinct_id": distinct_id})),
        );
        assert_eq!(status, 200);
        body["featureFlags"].clone()
    };
    assert_eq!(
        values("member"),
        json!({"in": true, "default": true, "not-in": false, "negated-in": true,
               "negated-not-in": false, "exact": false})
    );
    let outside = json!({"in": false, "default": false, "not-in": true, "negated-in": false,
                         "negated-not-in": true, "exact": false});
    assert_eq!(values("outsider"), outside);
    assert_eq!(values("nobody"), outside, "an id without a person");
    let (_, definitions, _) = send(
        &app,
        "GET",
        "/posthog/flags/definitions?token=phc_one",
        Some("phx_all"),
        None,
    );
    assert_eq!(
        definitions["cohorts"],
        json!({}),
        "static cohorts stay out of the definitions"
    );
    assert_eq!(
        definitions["flags"][0]["filters"]["groups"][0]["properties"][0],
        json!({"key": "id", "type": "cohort", "value": cohort, "operator": "in"})
    );
}

/// `early_exit` (the corpus's `rollout_miss_early_exit`): a condition whose properties match
/// but whose rollout misses ends evaluation there, where without it a later condition may
/// still match; a condition whose properties do not match never exits.
#[test]
fn early_exit_stops_at_a_rollout_miss() {
    let groups = json!([
        {"properties": [{"key": "plan", "type": "person", "value": "pro"}], "rollout_percentage": 0},
        {"properties": [], "rollout_percentage": 100}]);
    let flags = flags_of(vec![
        FlagWrite::new("exits", json!({"groups": groups, "early_exit": true})),
        FlagWrite::new("goes-on", json!({"groups": groups})),
    ]);
    let pro = json!({"plan": "pro"});
    let exited = outcome(&flags, "exits", "user-1", &pro);
    assert_eq!(
        (exited.enabled, exited.reason, exited.condition_index),
        (false, Reason::OutOfRolloutBound, Some(0))
    );
    let went_on = outcome(&flags, "goes-on", "user-1", &pro);
    assert_eq!(
        (went_on.enabled, went_on.reason, went_on.condition_index),
        (true, Reason::ConditionMatch, Some(1))
    );
    let free = outcome(&flags, "exits", "user-1", &json!({"plan": "free"}));
    assert_eq!((free.enabled, free.condition_index), (true, Some(1)));
}

/// Early access (`feature_enrollment`): `$feature_enrollment/{key}` decides first, as
/// `super_condition_value` at index 0 (`true` or `"true"` on, anything else off); without it
/// the conditions decide.
#[test]
fn feature_enrollment_decides_first() {
    let flags = flags_of(vec![FlagWrite::new(
        "early",
        json!({"groups": [{"properties": [], "rollout_percentage": 0}], "feature_enrollment": true}),
    )]);
    for (enrolled, enabled) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
    ] {
        let result = outcome(
            &flags,
            "early",
            "user-1",
            &json!({"$feature_enrollment/early": enrolled}),
        );
        assert_eq!(
            (result.enabled, result.reason, result.condition_index),
            (enabled, Reason::SuperConditionValue, Some(0)),
            "{enrolled}"
        );
    }
    let unenrolled = outcome(&flags, "early", "user-1", &json!({}));
    assert_eq!(
        (unenrolled.enabled, unenrolled.reason),
        (false, Reason::OutOfRolloutBound)
    );
}

/// The project-scoped definitions (`/api/projects/{id}/feature_flags/local_evaluation/`):
/// the same body as `/flags/definitions`, behind the usual personal-key checks.
#[test]
fn the_project_definitions_endpoint_needs_a_flag_scope() {
    let app = app();
    let base = "/posthog/api/projects/1/feature_flags/";
    create(&app, json!({"key": "a", "filters": {"groups": [{}]}}));
    let path = format!("{base}local_evaluation/?send_cohorts");
    let (status, body, _) = send(&app, "GET", &path, Some("phx_all"), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["flags"][0]["key"], json!("a"));
    assert_eq!(
        (body["group_type_mapping"].clone(), body["cohorts"].clone()),
        (json!({}), json!({}))
    );
    let (_, feed, _) = send(
        &app,
        "GET",
        "/posthog/flags/definitions?token=phc_one",
        Some("phx_all"),
        None,
    );
    assert_eq!(body, feed, "one body for both routes");
    let (status, error, _) = send(&app, "GET", &path, Some("phx_persons"), None);
    assert_eq!(
        (status, error["detail"].as_str()),
        (
            403,
            Some("API key missing required scope 'feature_flag:read'")
        )
    );
}
