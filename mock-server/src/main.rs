//! `persons-mock`: the mock server as a standalone binary, with built-in demo data.

use std::net::TcpListener;

use clap::Parser;
use persons_mock::MockServer;
use persons_mock::whop::demo;

/// Serve the Whop People mock (with demo data) over HTTP.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PERSONS_MOCK_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PERSONS_MOCK_PORT", default_value_t = 4010)]
    port: u16,
    /// Start empty, without the built-in demo data.
    #[arg(long, env = "PERSONS_MOCK_NO_DEMO")]
    no_demo: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .map_err(|error| format!("cannot listen on {}:{}: {error}", args.host, args.port))?;
    let mock = MockServer::builder().listener(listener).start().await;
    let whop = mock.whop();
    println!("persons-mock listening on {}", mock.uri());
    println!("  Whop   base URL {}", whop.base_url());
    if !args.no_demo {
        let events = demo::load(&whop)?;
        println!(
            "         account {} · API key {} · {} people from {events} demo events",
            demo::DEMO_ACCOUNT,
            demo::DEMO_KEY,
            whop.person_count(demo::DEMO_ACCOUNT),
        );
        println!(
            "         try: curl -H 'Authorization: Bearer {}' '{}/people?first=3&sort=ltv'",
            demo::DEMO_KEY,
            whop.base_url()
        );
    }
    let pipedrive = mock.pipedrive();
    println!(
        "  Pipedrive v1 {} · v2 {}",
        pipedrive.v1_url(),
        pipedrive.v2_url()
    );
    if !args.no_demo {
        use persons_mock::pipedrive::demo as pipedrive_demo;
        let persons = pipedrive_demo::load(&pipedrive)?;
        println!(
            "         company {} · API token {} · {persons} demo persons",
            pipedrive_demo::DEMO_COMPANY,
            pipedrive_demo::DEMO_TOKEN,
        );
        println!(
            "         try: curl -H 'x-api-token: {}' '{}/persons?limit=3&include_fields=open_deals_count'",
            pipedrive_demo::DEMO_TOKEN,
            pipedrive.v2_url()
        );
    }
    let posthog = mock.posthog();
    println!("  PostHog host {}", posthog.base_url());
    if !args.no_demo {
        use persons_mock::posthog::demo as posthog_demo;
        let events = posthog_demo::load(&posthog)?;
        println!(
            "         project {} · personal API key {} · project token {} · {} persons from {events} demo events",
            posthog_demo::DEMO_PROJECT,
            posthog_demo::DEMO_PERSONAL_KEY,
            posthog_demo::DEMO_PROJECT_TOKEN,
            posthog.person_count(posthog_demo::DEMO_PROJECT),
        );
        println!(
            "         try: curl -H 'Authorization: Bearer {}' '{}/api/projects/{}/persons/?limit=3'",
            posthog_demo::DEMO_PERSONAL_KEY,
            posthog.base_url(),
            posthog_demo::DEMO_PROJECT
        );
    }
    tokio::signal::ctrl_c().await?;
    println!("persons-mock: shutting down");
    Ok(())
}
