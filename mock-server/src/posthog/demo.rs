//! The built-in demo project: a few hundred persons built through real captured events
//! (anonymous visits, identifies, aliases, property changes over time), deterministic.

use serde_json::json;

use super::{Event, FlagWrite, PersonalKey, PostHog, RecordError};

/// The demo project's id.
pub const DEMO_PROJECT: i64 = 1;
/// A personal API key with every scope on the demo project.
pub const DEMO_PERSONAL_KEY: &str = "phx_demo_personal_key";
/// The demo project's token, for capture.
pub const DEMO_PROJECT_TOKEN: &str = "phc_demo_project_token";

/// How many visitors the demo simulates.
const VISITORS: u64 = 300;
/// The demo's first event: 2025-01-01T00:00:00Z.
const START: i64 = 1_735_689_600;

const PLANS: [&str; 3] = ["free", "pro", "team"];
const BROWSERS: [&str; 4] = ["Chrome", "Firefox", "Safari", "Edge"];
const SOURCES: [&str; 3] = ["google", "newsletter", "twitter"];

/// Loads the demo project, token, key and events into `posthog`; returns how many events were
/// captured.
pub fn load(posthog: &PostHog) -> Result<usize, RecordError> {
    posthog.add_project_token(DEMO_PROJECT, DEMO_PROJECT_TOKEN);
    let mut key = PersonalKey::all_access(DEMO_PROJECT);
    key.first_name = "Demo".to_owned();
    key.email = "demo@posthog.local".to_owned();
    posthog.add_personal_key(DEMO_PERSONAL_KEY, key);
    posthog.track_last_seen(DEMO_PROJECT, true);
    let captured = posthog.capture_all(DEMO_PROJECT, events())?;
    for flag in flags() {
        posthog.create_flag(DEMO_PROJECT, flag)?;
    }
    Ok(captured)
}

/// The demo's feature flags: one of each kind (rollout, person property, multivariate with
/// payloads, inactive).
fn flags() -> [FlagWrite; 4] {
    [
        FlagWrite::rollout("new-checkout", 50.0).named("Half of everyone"),
        FlagWrite::new(
            "paid-dashboard",
            json!({"groups": [{"properties": [
                {"key": "plan", "type": "person", "operator": "exact", "value": ["pro", "team"]}
            ]}]}),
        )
        .named("Paying plans"),
        FlagWrite::new(
            "pricing-page",
            json!({
                "groups": [{"properties": [], "rollout_percentage": 100}],
                "multivariate": {"variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "annual-first", "rollout_percentage": 50}
                ]},
                "payloads": {"annual-first": {"discount": 20}}
            }),
        )
        .named("Pricing experiment"),
        FlagWrite::rollout("old-banner", 100.0)
            .named("Retired")
            .inactive(),
    ]
}

/// Every demo event, in time order per visitor.
fn events() -> Vec<Event> {
    let mut events = Vec::new();
    for visitor in 0..VISITORS {
        let pick = |options: &[&'static str], salt: u64| {
            options[((visitor * 7 + salt) % options.len() as u64) as usize]
        };
        let anon = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            visitor * 2_654_435_761 % 0xffff_ffff,
            visitor,
            visitor % 0xfff,
            visitor % 0xfff,
            visitor * 97
        );
        let at = START + i64::try_from(visitor).unwrap_or_default() * 3_600;
        events.push(
            Event::new("$pageview", &anon)
                .property("$browser", pick(&BROWSERS, 1))
                .property("$current_url", "https://example.com/")
                .property("utm_source", pick(&SOURCES, 2))
                .at(at),
        );
        events.push(
            Event::new("$pageview", &anon)
                .property("$current_url", "https://example.com/pricing")
                .at(at + 60),
        );
        if visitor % 3 == 0 {
            continue;
        }
        let user = format!("user-{visitor}");
        events.push(
            Event::identify(&user, &anon)
                .set("email", format!("{user}@example.com"))
                .set("plan", pick(&PLANS, 3))
                .set_once("signup_date", format!("2025-01-{:02}", visitor % 28 + 1))
                .at(at + 120),
        );
        if visitor % 5 == 0 {
            events.push(Event::alias(&user, &format!("crm-{visitor}")).at(at + 180));
        }
        if visitor % 4 == 0 {
            events.push(
                Event::new("$set", &user)
                    .set("plan", "team")
                    .set("seats", visitor % 20 + 1)
                    .at(at + 86_400),
            );
        }
        if visitor % 10 == 1 {
            events.push(
                Event::new("churned", &user)
                    .unset("plan")
                    .at(at + 2 * 86_400),
            );
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockServer;

    #[tokio::test]
    async fn the_demo_builds_a_few_hundred_persons_through_events() {
        let mock = MockServer::start().await;
        let posthog = mock.posthog();
        let events = load(&posthog).unwrap();
        assert!(events > 600, "{events}");
        assert_eq!(posthog.person_count(DEMO_PROJECT), VISITORS as usize);
        let identified = posthog.person(DEMO_PROJECT, "user-5").unwrap();
        assert!(identified.is_identified);
        assert!(identified.distinct_ids.contains(&"crm-5".to_owned()));
        assert_eq!(identified.distinct_ids.len(), 3);
        assert!(
            identified.last_seen_at.is_some(),
            "the demo tracks last_seen_at"
        );
        posthog.check_invariants(DEMO_PROJECT).unwrap();
        let flags = mock.posthog().flag_keys(DEMO_PROJECT);
        assert_eq!(
            flags,
            [
                "new-checkout",
                "paid-dashboard",
                "pricing-page",
                "old-banner"
            ]
        );
    }
}
