//! The official SDKs' feature-flag calls, unmodified, against the mock: posthog-python and
//! posthog-node each ask the same questions in remote evaluation (`POST /flags`) and in local
//! evaluation (the definitions endpoint with a personal key), and both modes of both SDKs must
//! give PostHog's own expected answers; with experience continuity, both keep the anonymous
//! id's variant (passed as `person_properties.$anon_distinct_id`, as server SDKs do) and fall
//! back from local evaluation to `/flags`. The pinned packages are installed under the cargo
//! target directory on first use (see `provision` for when the tests skip instead).

use std::path::{Path, PathBuf};

use persons_mock::posthog::{Event, FlagWrite};
use serde_json::{Value, json};

use crate::provision;
use crate::support::{Fixture, PROJECT};

/// The posthog-python release (as the capture test pins it).
const POSTHOG_PYTHON: &str = "posthog==7.42.0";
/// The posthog-node release.
const POSTHOG_NODE: &str = "posthog-node@5.74.0";

/// How many of PostHog's consistency ids the scripts ask about.
const IDS: usize = 100;

/// posthog-python `TestConsistency.test_simple_flag_consistency`, its first 100 answers:
/// `simple-flag` at 45 % for `distinct_id_0` …, `1` where it is on.
const SIMPLE_FLAG: &str = "0110100101011010001101001011000111100000011011000110000101010110101011001001010010001101101111101100";
/// posthog-python `TestConsistency.test_multivariate_flag_consistency`, its first 100
/// answers: the variant's ordinal (first … fifth), `-` when off.
const MULTIVARIATE_FLAG: &str = "221--21---13-121--41-3---1111113-321-3--12-112-1--11121-22321-124-111-12-3------15-212-33----3--11-3";

/// The flags PostHog's SDK tests define, a person-property flag with a payload, an inactive
/// one, a group flag (its group type made by a `$groupidentify`), a flag depending on
/// another and one on a static cohort (of `member`, not `outsider`).
async fn fixture() -> Fixture {
    let fixture = Fixture::new().await;
    fixture.seed([
        Event::identify("member", "anon-member"),
        Event::identify("outsider", "anon-outsider"),
    ]);
    let cohort = fixture.posthog.create_cohort(PROJECT, "Beta", &["member"]);
    let variants: Vec<Value> = [
        ("first", 50),
        ("second", 20),
        ("third", 20),
        ("fourth", 5),
        ("fifth", 5),
    ]
    .iter()
    .map(|(name, share)| json!({"key": format!("{name}-variant"), "rollout_percentage": share}))
    .collect();
    let flags = [
        FlagWrite::rollout("simple-flag", 45.0),
        FlagWrite::new(
            "multivariate-flag",
            json!({"groups": [{"properties": [], "rollout_percentage": 55}],
                   "multivariate": {"variants": variants}}),
        ),
        FlagWrite::new(
            "pro-only",
            json!({"groups": [{"properties": [{"key": "plan", "type": "person", "value": "pro"}]}],
                   "payloads": {"true": {"tier": 1}}}),
        ),
        FlagWrite::rollout("retired", 100.0).inactive(),
        FlagWrite::new(
            "org-dashboard",
            json!({"aggregation_group_type_index": 0, "groups": [{
                "properties": [{"key": "plan", "type": "group", "group_type_index": 0, "value": "enterprise"}],
                "rollout_percentage": 60}]}),
        ),
        // Depends on `pro-only` (id 3): local evaluation needs the definitions' target key
        // and `dependency_chain` (posthog-python refuses a dependency without one).
        FlagWrite::new(
            "pro-beta",
            json!({"groups": [{"properties": [
                {"key": "3", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}),
        ),
        FlagWrite::new(
            "beta-cohort",
            json!({"groups": [{"properties": [
                {"key": "id", "type": "cohort", "value": cohort, "operator": "in"}]}]}),
        ),
    ];
    for flag in flags {
        fixture
            .posthog
            .create_flag(PROJECT, flag)
            .expect("valid flag");
    }
    fixture.seed([Event::new("$groupidentify", "someone")
        .property("$group_type", "organization")
        .property("$group_key", "42")]);
    fixture
}

/// What PostHog's tests expect for `distinct_id_{n}`: (simple-flag, multivariate-flag).
fn expected(n: usize) -> (Value, Value) {
    let simple = Value::Bool(SIMPLE_FLAG.as_bytes()[n] == b'1');
    let names = ["first", "second", "third", "fourth", "fifth"];
    let multivariate = match MULTIVARIATE_FLAG.as_bytes()[n] {
        b'-' => Value::Bool(false),
        digit => json!(format!("{}-variant", names[usize::from(digit - b'1')])),
    };
    (simple, multivariate)
}

/// Checks one SDK's answers: both modes agree with PostHog's expectations and each other.
fn check(sdk: &str, answers: &Value) {
    for mode in ["remote", "local"] {
        let answers = &answers[mode];
        for n in 0..IDS {
            let got = &answers["rollout"][format!("distinct_id_{n}")];
            let (simple, multivariate) = expected(n);
            assert_eq!(
                got["simple-flag"], simple,
                "{sdk} {mode} simple-flag distinct_id_{n}"
            );
            assert_eq!(
                got["multivariate-flag"], multivariate,
                "{sdk} {mode} multivariate-flag distinct_id_{n}"
            );
        }
        assert_eq!(answers["pro"], json!(true), "{sdk} {mode}");
        assert_eq!(answers["free"], json!(false), "{sdk} {mode}");
        assert_eq!(
            answers["payload"],
            json!({"tier": 1}),
            "{sdk} {mode} payload"
        );
        assert_eq!(
            answers["inactive"],
            json!(false),
            "{sdk} {mode} inactive flag"
        );
        assert_eq!(
            (&answers["dependent"], &answers["dependentFree"]),
            (&json!(true), &json!(false)),
            "{sdk} {mode} a flag depending on another"
        );
        assert_eq!(
            answers["org"],
            json!(true),
            "{sdk} {mode} group flag (the flags service's org-dashboard.42 vector)"
        );
        let enabled: serde_json::Map<String, Value> = answers["all"]
            .as_object()
            .unwrap_or_else(|| panic!("{sdk} {mode} all flags: {}", answers["all"]))
            .iter()
            .filter(|(_, value)| **value != json!(false))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        assert_eq!(
            Value::Object(enabled),
            json!({"multivariate-flag": "second-variant", "pro-only": true, "pro-beta": true}),
            "{sdk} {mode} all flags"
        );
    }
    assert_eq!(
        answers["remote"]["rollout"], answers["local"]["rollout"],
        "{sdk}: modes agree"
    );
    assert_eq!(
        (&answers["remote"]["cohort"], &answers["local"]["cohort"]),
        (&json!(true), &Value::Null),
        "{sdk}: a static cohort is evaluated remotely, never locally"
    );
    assert_eq!(
        answers["cohortFallback"],
        json!({"member": true, "outsider": false}),
        "{sdk}: local evaluation asks /flags for a static-cohort flag"
    );
}

/// Runs `program` on `script` with the fixture's host and credentials; its JSON output.
async fn run(
    fixture: &Fixture,
    program: &str,
    script: &str,
    path_var: &str,
    path: PathBuf,
) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let output = tokio::process::Command::new(program)
        .arg(script)
        .env(path_var, path)
        .env("POSTHOG_HOST", fixture.posthog.base_url())
        .env("POSTHOG_PROJECT_TOKEN", &fixture.token)
        .env("POSTHOG_PERSONAL_KEY", &fixture.key)
        .env("FLAG_IDS", IDS.to_string())
        .output()
        .await
        .expect("the interpreter runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{program} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn posthog_python_evaluates_flags_remotely_and_locally_as_posthog_does() {
    let Some(site) = provision::python_package(POSTHOG_PYTHON, "posthog") else {
        return;
    };
    let fixture = fixture().await;
    let answers = run(
        &fixture,
        "python3",
        "tests/posthog/flags_client.py",
        "PYTHONPATH",
        site,
    )
    .await;
    check("posthog-python", &answers);
    assert!(
        fixture.posthog.person(PROJECT, "caller").is_some(),
        "$feature_flag_called arrived through capture and made a person, as in PostHog"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn posthog_node_evaluates_flags_remotely_and_locally_as_posthog_does() {
    let Some(modules) = provision::npm_package(POSTHOG_NODE, "posthog-node") else {
        return;
    };
    let fixture = fixture().await;
    let answers = run(
        &fixture,
        "node",
        "tests/posthog/flags_client.mjs",
        "NODE_PATH",
        modules,
    )
    .await;
    check("posthog-node", &answers);
    assert!(
        fixture.posthog.person(PROJECT, "caller").is_some(),
        "$feature_flag_called arrived through capture and made a person, as in PostHog"
    );
}

/// Django's continuity flags with two identified users: `other_id` (from `example_id`) and
/// `user-js-2` (from `anon-js-1`), each hashing to `third-variant` on its own and to
/// `first-variant` through the anonymous id.
async fn continuity_fixture() -> Fixture {
    let fixture = Fixture::new().await;
    crate::flags::continuity_flags(&fixture).await;
    fixture.seed([
        Event::identify("other_id", "example_id"),
        Event::identify("user-js-2", "anon-js-1"),
    ]);
    fixture
}

/// Checks one SDK's continuity answers and the overrides they left.
fn check_continuity(sdk: &str, fixture: &Fixture, answers: &Value) {
    assert_eq!(
        answers,
        &json!({
            "remote": {"identified": "first-variant", "later": "first-variant"},
            "local": {"only_locally": null, "fallback": "first-variant", "later": "first-variant"}
        }),
        "{sdk}: the anonymous id's variant, remotely and through local mode's fallback"
    );
    for (distinct_id, anon_distinct_id) in [("other_id", "example_id"), ("user-js-2", "anon-js-1")]
    {
        let stored = fixture.posthog.hash_key_overrides(PROJECT, distinct_id);
        assert_eq!(
            stored.get("multivariate-flag").map(String::as_str),
            Some(anon_distinct_id),
            "{sdk}: {stored:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn posthog_python_keeps_experience_continuity() {
    let Some(site) = provision::python_package(POSTHOG_PYTHON, "posthog") else {
        return;
    };
    let fixture = continuity_fixture().await;
    let script = "tests/posthog/flags_continuity.py";
    let answers = run(&fixture, "python3", script, "PYTHONPATH", site).await;
    check_continuity("posthog-python", &fixture, &answers);
}

#[tokio::test(flavor = "multi_thread")]
async fn posthog_node_keeps_experience_continuity() {
    let Some(modules) = provision::npm_package(POSTHOG_NODE, "posthog-node") else {
        return;
    };
    let fixture = continuity_fixture().await;
    let script = "tests/posthog/flags_continuity.mjs";
    let answers = run(&fixture, "node", script, "NODE_PATH", modules).await;
    check_continuity("posthog-node", &fixture, &answers);
}
