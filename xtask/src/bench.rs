//! `cargo xtask bench`: the load benchmark of the list endpoints.
//!
//! Steps: provision wrk and Prism → build the release binary → start it with its demo data →
//! fetch each route's response once → start the same-bytes floor (the same binary answering
//! those bytes from memory) and the static wiremock floor serving them → per route, start
//! Prism on the route's spec → wrk every route × {ours, same-bytes, static, Prism} ×
//! connection count → restart ours with growing synthetic tenants and wrk the same routes →
//! write the Markdown report to `target/bench/report.md` and print it.

mod process;
mod report;
mod routes;
mod servers;
mod tools;
mod wrk;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use report::{CeilingRow, ComparisonRow, ResponseSize, Results, ScalingRow};
use routes::{Credentials, ROUTE_NAMES, Route};
use servers::{Fetched, Http, Ours, Prism, StaticFloor};
use tools::Tools;
use wrk::{Load, Measurement};

/// Connections of the scaling runs.
const SCALING_CONNECTIONS: u32 = 16;
/// Connections and length of the warm-up before each server and route is measured.
const WARM_UP: (u32, u64) = (16, 1);
/// How long our binary may take to answer with its demo data.
const DEMO_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// How long each wrk run lasts: whole seconds or minutes (`10s`, `2s`, `1m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: u64,
    /// Connection counts of the comparison, comma-separated (`--connections 1,16`).
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [1, 16, 64],
        value_parser = clap::value_parser!(u32).range(1..=1024),
    )]
    connections: Vec<u32>,
    /// Which list routes to load, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_values = ROUTE_NAMES,
        value_parser = clap::builder::PossibleValuesParser::new(ROUTE_NAMES),
    )]
    routes: Vec<String>,
    /// Events per vendor of the scaling runs' synthetic tenants, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [10_000, 100_000, 1_000_000],
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    events: Vec<u64>,
    /// Leave out the scaling runs.
    #[arg(long)]
    skip_scaling: bool,
}

/// `10s` → 10, `1m` → 60; at least one second.
fn parse_duration(text: &str) -> Result<u64, String> {
    let (number, scale) = if let Some(seconds) = text.strip_suffix('s') {
        (seconds, 1)
    } else if let Some(minutes) = text.strip_suffix('m') {
        (minutes, 60)
    } else {
        (text, 1)
    };
    match number
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(scale))
    {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(format!(
            "`{text}` is not a duration in whole seconds or minutes, such as `10s` or `1m`"
        )),
    }
}

/// The server arguments and credentials of a scaling run with `events` events per vendor.
///
/// SYNTHETIC TENANTS: the one place the scaling run names the binary's
/// `--synthetic-events N` flag (one synthetic tenant per vendor, `persons_mock::synthetic`)
/// and the credentials of those tenants. The demo tenants are left out: they are separate
/// and would only slow the start.
fn synthetic_tenants(events: u64) -> (Vec<String>, Credentials) {
    let args = vec![
        "--no-demo".to_owned(),
        "--synthetic-events".to_owned(),
        events.to_string(),
    ];
    (args, Credentials::synthetic())
}

/// Runs the benchmark for the workspace at `root`.
pub fn run(root: &Path, options: &Options) -> Result<()> {
    let bench_dir = root.join("target").join("bench");
    let logs = bench_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let tools = tools::provision(&bench_dir)?;
    let binary = servers::build_ours(root)?;
    let http = Http::new()?;
    let comparison = compare(root, &http, &binary, &tools, &logs, options)?;
    let scaling = if options.skip_scaling {
        Ok(Vec::new())
    } else {
        scale(&http, &binary, &logs, options).map_err(|error| format!("{error:#}"))
    };
    let results = Results {
        seconds: options.duration,
        comparison: comparison.rows,
        ceiling: comparison.ceiling,
        sizes: comparison.sizes,
        prism_failures: comparison.prism_failures,
        scaling_connections: SCALING_CONNECTIONS,
        scaling,
    };
    write_report(root, &bench_dir, &tools, &results)?;
    if let Err(reason) = &results.scaling {
        bail!("the scaling runs failed: {reason}");
    }
    Ok(())
}

/// What the comparison measured.
struct Comparison {
    /// Every route × connection count.
    rows: Vec<ComparisonRow>,
    /// Ours on its health check at each connection count.
    ceiling: Vec<CeilingRow>,
    /// The answers' sizes per route.
    sizes: Vec<ResponseSize>,
    /// Why Prism did not run for a route, as `(route, reason)`.
    prism_failures: Vec<(String, String)>,
}

/// The comparison matrix: every route × connection count on ours, the same-bytes floor, the
/// static floor and Prism. A route Prism cannot mock is reported, not fatal.
fn compare(
    root: &Path,
    http: &Http,
    binary: &Path,
    tools: &Tools,
    logs: &Path,
    options: &Options,
) -> Result<Comparison> {
    let routes = routes::list_routes(&Credentials::demo(), &options.routes);
    println!("bench: starting persons-mock with its demo data");
    let ours = Ours::start(
        http,
        binary,
        &[],
        &routes,
        &logs.join("persons-mock.log"),
        DEMO_START_TIMEOUT,
    )?;
    let responses = fetch_responses(http, &ours, &routes)?;
    println!("bench: starting the same-bytes floor");
    let same_bytes = servers::start_same_bytes(
        http,
        binary,
        &responses,
        &logs.join("same-bytes-answers.json"),
        &logs.join("same-bytes.log"),
    )?;
    let floor = StaticFloor::start(http, &responses)?;
    let ceiling = measure_ceiling(&ours, options)?;
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    let mut prism_failures = Vec::new();
    for (route, fetched) in &responses {
        let prism_log = logs.join(format!("prism-{}.log", route.name));
        let prism = match start_prism(root, http, tools, route, &prism_log) {
            Ok(prism) => Some(prism),
            Err(error) => {
                println!("bench: Prism cannot mock {}: {error:#}", route.spec);
                let reason = prism_failure(&error, root, &prism_log);
                prism_failures.push((route.label(), reason));
                None
            }
        };
        sizes.push(ResponseSize {
            route: route.label(),
            ours: fetched.body.len(),
            prism: prism.as_ref().map(|prism| prism.response_bytes),
        });
        let ours_url = ours.url(route);
        let same_bytes_url = same_bytes.url(route);
        let floor_url = floor.url(route);
        let prism_url = prism.as_ref().map(|prism| prism.url(route));
        for url in [
            Some(&ours_url),
            Some(&same_bytes_url),
            Some(&floor_url),
            prism_url.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            warm_up(url, route)?;
        }
        for &connections in &options.connections {
            println!("bench: {} at {connections} connections", route.label());
            let at = |url: &str| measure(url, route, connections, options.duration);
            rows.push(ComparisonRow {
                route: route.label(),
                connections,
                ours: at(&ours_url)?,
                same_bytes: at(&same_bytes_url)?,
                wiremock: at(&floor_url)?,
                prism: prism_url.as_deref().map(at).transpose()?,
            });
        }
    }
    Ok(Comparison {
        rows,
        ceiling,
        sizes,
        prism_failures,
    })
}

/// Ours answering its health check (no vendor work, a 49-byte body) at every connection
/// count: the most any route of ours can reach on this machine.
fn measure_ceiling(ours: &Ours, options: &Options) -> Result<Vec<CeilingRow>> {
    let url = ours.health_url();
    let load = |connections, seconds| {
        wrk::run(&Load {
            url: &url,
            headers: &[("accept", "application/json")],
            connections,
            seconds,
        })
    };
    let (connections, seconds) = WARM_UP;
    load(connections, seconds)?;
    options
        .connections
        .iter()
        .map(|&connections| {
            println!("bench: health check at {connections} connections");
            Ok(CeilingRow {
                connections,
                ours: load(connections, options.duration)?,
            })
        })
        .collect()
}

/// Each route's response from our server, fetched once: what the static floor serves.
fn fetch_responses(http: &Http, ours: &Ours, routes: &[Route]) -> Result<Vec<(Route, Fetched)>> {
    routes
        .iter()
        .map(|route| {
            let fetched = http
                .get_ok(&ours.url(route), &route.headers())
                .context("persons-mock does not serve a list route")?;
            Ok((route.clone(), fetched))
        })
        .collect()
}

/// Prism on the route's spec, answering the route with 200; its output goes to `log`.
fn start_prism(
    root: &Path,
    http: &Http,
    tools: &Tools,
    route: &Route,
    log: &Path,
) -> Result<Prism> {
    println!("bench: starting Prism on specs/{}", route.spec);
    let spec = root.join("specs").join(route.spec);
    Prism::start(http, &tools.prism, &spec, route, log)
}

/// Why Prism did not run, in one line for the report: what failed, Prism's own error
/// message when its log has one, and where the whole log is.
fn prism_failure(error: &anyhow::Error, root: &Path, log: &Path) -> String {
    let text = format!("{error:#}");
    let summary = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches("; its output:");
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    let said = log_text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("message:"))
        .map(|line| {
            let message = line.trim_start_matches("message:").trim_end_matches(',');
            format!("; Prism says {}", message.trim())
        })
        .unwrap_or_default();
    let shown = log.strip_prefix(root).unwrap_or(log);
    format!("{summary}{said} (log: `{}`)", shown.display())
}

/// A short run whose numbers are dropped: connections opened, caches and JITs warm.
fn warm_up(url: &str, route: &Route) -> Result<()> {
    let (connections, seconds) = WARM_UP;
    measure(url, route, connections, seconds).map(drop)
}

/// One wrk run against `url` with the route's credentials.
fn measure(url: &str, route: &Route, connections: u32, seconds: u64) -> Result<Measurement> {
    wrk::run(&Load {
        url,
        headers: &route.headers(),
        connections,
        seconds,
    })
}

/// Ours only, restarted with each synthetic tenant size, every route at
/// [`SCALING_CONNECTIONS`].
fn scale(http: &Http, binary: &Path, logs: &Path, options: &Options) -> Result<Vec<ScalingRow>> {
    let mut rows = Vec::new();
    for &events in &options.events {
        let (args, credentials) = synthetic_tenants(events);
        let routes = routes::list_routes(&credentials, &options.routes);
        println!("bench: starting persons-mock with {events} synthetic events per vendor");
        let ours = Ours::start(
            http,
            binary,
            &args,
            &routes,
            &logs.join(format!("persons-mock-{events}.log")),
            synthetic_start_timeout(events),
        )
        .with_context(|| format!("persons-mock with {events} synthetic events"))?;
        for route in &routes {
            println!("bench: {} with {events} events", route.label());
            let url = ours.url(route);
            warm_up(&url, route)?;
            rows.push(ScalingRow {
                route: route.label(),
                events,
                measurement: measure(&url, route, SCALING_CONNECTIONS, options.duration)?,
            });
        }
    }
    Ok(rows)
}

/// How long generating and loading `events` events may take: a minute plus a second per
/// thousand events.
fn synthetic_start_timeout(events: u64) -> Duration {
    Duration::from_secs(60 + events / 1_000)
}

/// Prints the report and writes it to `target/bench/report.md`.
fn write_report(root: &Path, bench_dir: &Path, tools: &Tools, results: &Results) -> Result<()> {
    let text = report::render(root, tools, results);
    let path: PathBuf = bench_dir.join("report.md");
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    println!("\n{text}");
    println!("bench: report written to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_seconds_or_minutes() {
        assert_eq!(parse_duration("10s"), Ok(10));
        assert_eq!(parse_duration("2"), Ok(2));
        assert_eq!(parse_duration("1m"), Ok(60));
        for bad in [
            "0s",
            "1.5s",
            "ms",
            "",
            "-3s",
            "10h",
            "18446744073709551615m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_prism_failure_is_one_line_with_prisms_message_and_the_log() {
        let root = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let log = root.join("target/bench/logs/prism-whop.log");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(
            &log,
            "Starting Prism\n  code: 'EPARSER',\n  message: 'Error parsing specs/whop.yaml',\n",
        )
        .unwrap();
        let error = anyhow::anyhow!(
            "Prism (whop.yaml) exited (exit status: 1) before it answered; its output:\n  code: 'EPARSER'"
        );
        let reason = prism_failure(&error, &root, &log);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            reason,
            "Prism (whop.yaml) exited (exit status: 1) before it answered; Prism says \
             'Error parsing specs/whop.yaml' (log: `target/bench/logs/prism-whop.log`)"
        );
    }
}
