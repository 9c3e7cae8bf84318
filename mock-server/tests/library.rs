//! The in-process library API: many servers at once with no shared state, seeds through the
//! builder, `reset()` and `reset_to_seed()`, export and load between servers, the admin API,
//! and shutdown on drop.

use std::path::Path;
use std::time::Duration;

use persons_mock::MockServer;
use persons_mock::Seed;
use persons_mock::whop::Event;

/// How many servers run at once.
const SERVERS: usize = 100;

fn example_seed(vendor: &str) -> Seed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("seeds/{vendor}.yaml"));
    Seed::from_file(&path).unwrap()
}

/// A read every vendor section of the example seeds answers with data.
async fn whop_people(mock: &MockServer) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!(
            "{}/people?account_id=biz_acme&first=50&sort=ltv",
            mock.whop().base_url()
        ))
        .bearer_auth(first_whop_key(&mock.export_seed()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn first_whop_key(seed: &Seed) -> String {
    let json = serde_json::to_value(seed).unwrap();
    json["whop"]["keys"][0]["token"]
        .as_str()
        .expect("the example Whop seed names its keys")
        .to_owned()
}

/// What a test suite does: many tests at once, each in its own runtime, each with its own
/// server, writing the same tenant id without seeing each other.
#[test]
fn a_hundred_tests_each_start_their_own_server_in_parallel() {
    // Every server stays up until all have answered, so they all run at once.
    let all_answered = std::sync::Arc::new(std::sync::Barrier::new(SERVERS));
    let threads: Vec<_> = (0..SERVERS)
        .map(|n| {
            let all_answered = std::sync::Arc::clone(&all_answered);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let mock = MockServer::start().await;
                    let key = mock.whop().create_account_key("biz_shared");
                    mock.whop()
                        .ingest(
                            "biz_shared",
                            Event::page_view().visitor(format!("wuid_{n}")),
                        )
                        .unwrap();
                    let people: serde_json::Value = reqwest::Client::new()
                        .get(format!(
                            "{}/people?account_id=biz_shared",
                            mock.whop().base_url()
                        ))
                        .bearer_auth(key)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let seen = people["data"].as_array().map_or(0, Vec::len);
                    all_answered.wait();
                    assert_eq!(seen, 1, "server {n} sees another test's data");
                    mock.uri()
                })
            })
        })
        .collect();
    let mut uris: Vec<String> = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris.len(), SERVERS);
}

#[tokio::test]
async fn dropping_the_server_closes_its_port() {
    let mock = MockServer::start().await;
    let address = mock.uri().trim_start_matches("http://").to_owned();
    assert!(std::net::TcpStream::connect(&address).is_ok());
    drop(mock);
    let mut closed = false;
    for _ in 0..50 {
        if std::net::TcpStream::connect(&address).is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "{address} still accepts connections after drop");
}

#[tokio::test]
async fn a_builder_seed_is_loaded_and_reset_to_seed_brings_it_back() {
    // Seed entries without a time happen at the clock's now: freeze it, so the reload is
    // identical even when a second ticks by in between.
    let mock = MockServer::builder()
        .clock(persons_mock::Clock::frozen_at(1_790_000_000))
        .seed(example_seed("whop"))
        .start()
        .await;
    let seeded = whop_people(&mock).await;
    assert!(!seeded["data"].as_array().unwrap().is_empty(), "{seeded}");

    mock.reset();
    assert_eq!(mock.export_seed(), Seed::default());
    mock.reset_to_seed().unwrap();
    assert_eq!(whop_people(&mock).await, seeded);
}

#[tokio::test]
async fn the_demo_tenants_are_served_in_process_beside_a_seed() {
    let mock = MockServer::builder()
        .seed(example_seed("whop"))
        .demo(true)
        .start()
        .await;
    let whop = mock.whop();
    assert_eq!(whop.person_count(persons_mock::whop::DEMO_ACCOUNT), 320);
    assert!(whop.person_count("biz_acme") > 0, "the seed is loaded too");
    let posthog = mock.posthog();
    assert!(posthog.person_count(persons_mock::posthog::DEMO_PROJECT) > 0);
    let pipedrive = mock.pipedrive();
    assert_eq!(
        pipedrive.person_count(persons_mock::pipedrive::DEMO_COMPANY),
        300
    );
    let people = reqwest::Client::new()
        .get(format!("{}/people?first=1", whop.base_url()))
        .bearer_auth(persons_mock::whop::DEMO_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(people.status(), 200);

    mock.reset();
    assert_eq!(whop.person_count(persons_mock::whop::DEMO_ACCOUNT), 0);
    mock.reset_to_seed().unwrap();
    assert_eq!(whop.person_count(persons_mock::whop::DEMO_ACCOUNT), 320);
}

#[tokio::test]
async fn an_exported_state_loads_into_another_server_and_answers_the_same() {
    let first = MockServer::start().await;
    for vendor in ["whop", "posthog", "pipedrive"] {
        first.load_seed(&example_seed(vendor)).unwrap();
    }
    let exported = first.export_seed();
    let second = MockServer::start().await;
    second
        .load_seed(&Seed::parse(&exported.to_json()).unwrap())
        .unwrap();
    assert_eq!(second.export_seed(), exported);
    assert_eq!(whop_people(&second).await, whop_people(&first).await);
}

#[tokio::test]
async fn a_seed_that_does_not_load_changes_nothing() {
    let mock = MockServer::builder()
        .seed(example_seed("whop"))
        .start()
        .await;
    let before = mock.export_seed();
    let mut broken = serde_json::to_value(example_seed("pipedrive")).unwrap();
    broken["whop"] = serde_json::json!({"accounts": [{"id": "biz_x", "log": [{"event": {"event_name": "page", "user": {"name": "nobody"}}}]}]});
    let broken: Seed = serde_json::from_value(broken).unwrap();
    let error = mock.load_seed(&broken).unwrap_err();
    assert_eq!(error.path, "whop.accounts[0].log[0].event.user", "{error}");
    assert_eq!(mock.export_seed(), before);
}

#[tokio::test]
async fn the_admin_api_is_served_in_process_too() {
    let mock = MockServer::builder().admin_token("t0ken").start().await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/_admin/health", mock.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let refused = client
        .post(format!("{}/_admin/reset", mock.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn the_guide_seed_example_loads_and_is_served() {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/mock-server.md"),
    )
    .unwrap();
    let section = &guide[guide.find("## Seed files").expect("a Seed files section")..];
    let start = section.find("```yaml\n").expect("a YAML example") + "```yaml\n".len();
    let yaml = &section[start..start + section[start..].find("```").unwrap()];
    let mock = MockServer::builder()
        .seed(Seed::from_yaml(yaml).unwrap())
        .start()
        .await;
    let client = reqwest::Client::new();
    let people: serde_json::Value = client
        .get(format!(
            "{}/people?account_id=biz_acme",
            mock.whop().base_url()
        ))
        .bearer_auth("acme_key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(people["data"][0]["ltv"], 49.0, "{people}");
    let persons: serde_json::Value = client
        .get(format!(
            "{}/api/projects/10/persons/",
            mock.posthog().base_url()
        ))
        .bearer_auth("phx_acme_key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        persons["results"][0]["properties"]["plan"], "pro",
        "{persons}"
    );
    let person: serde_json::Value = client
        .get(format!("{}/persons/1", mock.pipedrive().v1_url()))
        .header("x-api-token", "acme_pipedrive_token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person["data"]["open_deals_count"], 1, "{person}");
}
