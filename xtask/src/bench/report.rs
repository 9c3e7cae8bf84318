//! The Markdown report: the machine and tools, the comparison with ratios side by side, and
//! how latency grows with the number of events.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::tools::{PRISM_VERSION, Tools};
use super::wrk::Measurement;

/// Lowest acceptable ours/same-bytes throughput ratio (issue 16)…
const SAME_BYTES_TARGET: f64 = 0.5;
/// …from this many connections on (at one, a request's own latency dominates).
const SAME_BYTES_TARGET_CONNECTIONS: u32 = 16;

/// One route and connection count, measured on every server.
#[derive(Debug, Clone)]
pub struct ComparisonRow {
    /// The route's label.
    pub route: String,
    /// wrk's connection count.
    pub connections: u32,
    /// Our release binary.
    pub ours: Measurement,
    /// The same-bytes floor: our binary's server answering our bytes from memory.
    pub same_bytes: Measurement,
    /// The static wiremock floor.
    pub wiremock: Measurement,
    /// Prism, when it mocks the route's spec.
    pub prism: Option<Measurement>,
}

/// Our binary answering its health check at one connection count.
#[derive(Debug, Clone)]
pub struct CeilingRow {
    /// wrk's connection count.
    pub connections: u32,
    /// Our release binary on `GET /_admin/health`.
    pub ours: Measurement,
}

/// The size of one route's answer on ours (and the static floor) and on Prism.
#[derive(Debug, Clone)]
pub struct ResponseSize {
    /// The route's label.
    pub route: String,
    /// Bytes of our answer, which the static floor repeats.
    pub ours: usize,
    /// Bytes of Prism's answer, when Prism mocks the route.
    pub prism: Option<usize>,
}

/// One route on a tenant of a given size.
#[derive(Debug, Clone)]
pub struct ScalingRow {
    /// The route's label.
    pub route: String,
    /// Events loaded per vendor.
    pub events: u64,
    /// The measurement at the scaling connection count.
    pub measurement: Measurement,
}

/// Everything a run measured, and what it could not.
#[derive(Debug, Clone)]
pub struct Results {
    /// wrk's duration per run, in seconds.
    pub seconds: u64,
    /// The comparison matrix, route by route.
    pub comparison: Vec<ComparisonRow>,
    /// Ours with no vendor work, per connection count.
    pub ceiling: Vec<CeilingRow>,
    /// What each route's answer weighs on each server.
    pub sizes: Vec<ResponseSize>,
    /// Why Prism did not run for a route, as `(route, reason)`.
    pub prism_failures: Vec<(String, String)>,
    /// The connection count of the scaling runs.
    pub scaling_connections: u32,
    /// The scaling runs, or why they did not run.
    pub scaling: Result<Vec<ScalingRow>, String>,
}

/// The whole report as Markdown.
pub fn render(root: &Path, tools: &Tools, results: &Results) -> String {
    let mut out = String::new();
    out.push_str("# Load benchmark (`cargo xtask bench`)\n\n");
    machine(&mut out, root, tools);
    method(&mut out, results);
    comparison(&mut out, results);
    ceiling(&mut out, results);
    scaling(&mut out, results);
    out
}

/// Where and with what the numbers were taken.
fn machine(out: &mut String, root: &Path, tools: &Tools) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown", |(_, model)| model.trim());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{} GiB", kib / (1024 * 1024)),
        );
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "- taken: {}", now());
    let _ = writeln!(out, "- commit: {}", commit(root));
    let _ = writeln!(out, "- CPU: {model}, {cores} cores; memory {memory}");
    let _ = writeln!(out, "- kernel: Linux {}", kernel.trim());
    let _ = writeln!(out, "- wrk: {}", tools.wrk_version);
    let _ = writeln!(
        out,
        "- Prism: @stoplight/prism-cli {PRISM_VERSION} on Node.js {}",
        tools.node_version
    );
    let _ = writeln!(
        out,
        "- ours: persons-mock release build, {}\n",
        tools.rustc_version
    );
}

/// How the numbers were taken.
fn method(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Method\n");
    let _ = writeln!(
        out,
        "Each cell is one `wrk --latency --timeout 10s -t<min(c,2)> -c<c> -d{}s` run with the \
         route's credential header, after a 1 s warm-up of the same server and route. All \
         servers and wrk share the machine.\n",
        results.seconds
    );
    let _ = writeln!(
        out,
        "- **ours**: `target/release/persons-mock --log-level warn` with its demo data.\n\
         - **same-bytes**: the same binary with `--same-bytes FILE` (hidden): the same hyper \
         server, runtime, worker count and connection handling, answering each route with the \
         status, headers and body ours returned, from memory: the floor of our own server. \
         `ours/same-bytes` is the share of that floor our vendor work leaves.\n\
         - **static**: a `wiremock::MockServer` (one thread, the transport of the in-process \
         mock) answering each path with the exact bytes and content type ours returned: the \
         floor of our transport.\n\
         - **Prism**: `prism mock --verboseLevel warn specs/<vendor>.yaml`, one process per spec; \
         Prism serves the spec's paths at the root (without the server URL's base path) and \
         answers with examples generated from the schema.\n"
    );
}

/// The comparison table and the targets.
fn comparison(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "## List endpoints: ours, same-bytes floor, static floor, Prism\n"
    );
    let _ = writeln!(
        out,
        "| route | conns | ours req/s | ours p50 | ours p99 | same-bytes req/s | same-bytes p50 | \
         same-bytes p99 | static req/s | static p50 | static p99 | Prism req/s | Prism p50 | \
         Prism p99 | ours/same-bytes | ours/static | ours/Prism |"
    );
    let _ = writeln!(
        out,
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    let mut warnings = Vec::new();
    for row in &results.comparison {
        let prism = row.prism.as_ref();
        let prism_cells = prism.map_or_else(|| "— | — | —".to_owned(), measured_cells);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.route,
            row.connections,
            measured_cells(&row.ours),
            measured_cells(&row.same_bytes),
            measured_cells(&row.wiremock),
            prism_cells,
            ratio(row.ours.requests_per_sec, row.same_bytes.requests_per_sec),
            ratio(row.ours.requests_per_sec, row.wiremock.requests_per_sec),
            prism.map_or_else(
                || "—".to_owned(),
                |measured| ratio(row.ours.requests_per_sec, measured.requests_per_sec)
            ),
        );
        for (server, measured) in [
            ("ours", Some(&row.ours)),
            ("same-bytes", Some(&row.same_bytes)),
            ("static", Some(&row.wiremock)),
            ("Prism", prism),
        ] {
            if let Some(measured) = measured.filter(|measured| !measured.is_clean()) {
                warnings.push(format!(
                    "{} at {} connections on {server}: {} of {} responses not 2xx/3xx, {} socket errors",
                    row.route, row.connections, measured.non_success, measured.requests, measured.socket_errors
                ));
            }
        }
    }
    out.push('\n');
    sizes(out, results);
    targets(out, results);
    for (route, reason) in &results.prism_failures {
        let _ = writeln!(out, "- Prism did not run for {route}: {}", one_line(reason));
    }
    for warning in warnings {
        let _ = writeln!(out, "- ⚠ {warning}");
    }
    out.push('\n');
}

/// One line per route: how large the answers being compared are.
fn sizes(out: &mut String, results: &Results) {
    for size in &results.sizes {
        let prism = size
            .prism
            .map_or_else(|| "no answer".to_owned(), |bytes| format!("{bytes} bytes"));
        let _ = writeln!(
            out,
            "- {}: ours and both floors answer {} bytes, Prism {prism}",
            size.route, size.ours
        );
    }
}

/// The lowest ratios, and whether ours/same-bytes meets its target.
fn targets(out: &mut String, results: &Results) {
    let lowest = |other: fn(&ComparisonRow) -> Option<&Measurement>, least_connections: u32| {
        results
            .comparison
            .iter()
            .filter(|row| row.connections >= least_connections)
            .filter_map(|row| {
                other(row).map(|other| row.ours.requests_per_sec / other.requests_per_sec)
            })
            .reduce(f64::min)
    };
    let _ = match lowest(|row| Some(&row.same_bytes), SAME_BYTES_TARGET_CONNECTIONS) {
        Some(lowest) => writeln!(
            out,
            "- ours/same-bytes from {SAME_BYTES_TARGET_CONNECTIONS} connections: lowest {} \
             (target ≥ {SAME_BYTES_TARGET}×): {}",
            format_ratio(lowest),
            if lowest >= SAME_BYTES_TARGET {
                "met"
            } else {
                "**not met**"
            }
        ),
        None => writeln!(
            out,
            "- ours/same-bytes from {SAME_BYTES_TARGET_CONNECTIONS} connections: not measured"
        ),
    };
    for (what, lowest) in [
        ("ours/same-bytes", lowest(|row| Some(&row.same_bytes), 0)),
        ("ours/static", lowest(|row| Some(&row.wiremock), 0)),
        ("ours/Prism", lowest(|row| row.prism.as_ref(), 0)),
    ] {
        let _ = match lowest {
            Some(lowest) => writeln!(out, "- {what}: lowest {}", format_ratio(lowest)),
            None => writeln!(out, "- {what}: not measured"),
        };
    }
}

/// Ours on its health check: the most any route of ours can reach.
fn ceiling(out: &mut String, results: &Results) {
    if results.ceiling.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Ceiling: ours with no vendor work\n");
    let _ = writeln!(
        out,
        "`GET /_admin/health` (a 49-byte answer) on the same binary and connections: the most \
         any route of ours can reach on this machine.\n"
    );
    let _ = writeln!(out, "| conns | req/s | p50 | p99 |");
    let _ = writeln!(out, "|--:|--:|--:|--:|");
    for row in &results.ceiling {
        let _ = writeln!(
            out,
            "| {} | {} |",
            row.connections,
            measured_cells(&row.ours)
        );
    }
    out.push('\n');
}

/// The scaling table, or why there is none.
fn scaling(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Scaling: list latency by events per tenant\n");
    let rows = match &results.scaling {
        Ok(rows) if rows.is_empty() => {
            let _ = writeln!(out, "Not run (`--skip-scaling`).");
            return;
        }
        Ok(rows) => rows,
        Err(reason) => {
            let _ = writeln!(out, "**Not run**: {}", one_line(reason));
            return;
        }
    };
    let _ = writeln!(
        out,
        "Ours only, `--synthetic-events N`, {} connections.\n",
        results.scaling_connections
    );
    let _ = writeln!(
        out,
        "| route | events | req/s | p50 | p99 | p50 vs. smallest |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|");
    let mut order: Vec<&str> = Vec::new();
    for row in rows {
        if !order.contains(&row.route.as_str()) {
            order.push(&row.route);
        }
    }
    for route in order {
        let mut sized: Vec<&ScalingRow> = rows.iter().filter(|row| row.route == route).collect();
        sized.sort_by_key(|row| row.events);
        let smallest = sized[0].measurement.p50_us;
        for row in sized {
            let _ = writeln!(
                out,
                "| {route} | {} | {} | {}{} |",
                format_count(row.events),
                measured_cells(&row.measurement),
                format_ratio(row.measurement.p50_us / smallest),
                if row.measurement.is_clean() {
                    ""
                } else {
                    " ⚠ errors"
                },
            );
        }
    }
    out.push('\n');
}

/// `req/s | p50 | p99` for one measurement.
fn measured_cells(measured: &Measurement) -> String {
    format!(
        "{:.0} | {} | {}",
        measured.requests_per_sec,
        format_latency(measured.p50_us),
        format_latency(measured.p99_us)
    )
}

/// `1000000` → `1,000,000`.
fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `ours / other` as a ratio cell.
fn ratio(ours: f64, other: f64) -> String {
    format_ratio(ours / other)
}

/// `0.62×`, `3.4×`, `41×`.
fn format_ratio(ratio: f64) -> String {
    if !ratio.is_finite() {
        "—".to_owned()
    } else if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else if ratio >= 1.0 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.2}×")
    }
}

/// A latency in microseconds as `812 µs`, `1.27 ms` or `2.01 s`.
fn format_latency(us: f64) -> String {
    if us < 1e3 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// A multi-line error on one line, for a list item.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The current UTC time, RFC 3339.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The commit measured, marked when the tree has uncommitted changes.
fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    match (
        git(&["rev-parse", "--short", "HEAD"]),
        git(&["status", "--porcelain"]),
    ) {
        (Some(head), Some(changes)) if !changes.is_empty() => {
            format!("{head} with uncommitted changes")
        }
        (Some(head), _) => head,
        (None, _) => "unknown (not a git checkout)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(requests_per_sec: f64, p50_us: f64) -> Measurement {
        Measurement {
            requests_per_sec,
            p50_us,
            p99_us: p50_us * 3.0,
            requests: 1000,
            non_success: 0,
            socket_errors: 0,
        }
    }

    fn tools() -> Tools {
        Tools {
            prism: "prism".into(),
            wrk_version: "wrk 4.1.0".to_owned(),
            node_version: "v20".to_owned(),
            rustc_version: "rustc 1.88".to_owned(),
        }
    }

    fn row(
        connections: u32,
        ours: f64,
        same_bytes: f64,
        prism: Option<Measurement>,
    ) -> ComparisonRow {
        ComparisonRow {
            route: "`GET /whop/api/v1/people`".to_owned(),
            connections,
            ours: measured(ours, 1500.0),
            same_bytes: measured(same_bytes, 500.0),
            wiremock: measured(10_000.0, 800.0),
            prism,
        }
    }

    #[test]
    fn the_comparison_shows_ratios_and_whether_targets_are_met() {
        let mut unclean = measured(100.0, 90_000.0);
        unclean.non_success = 7;
        let results = Results {
            seconds: 2,
            comparison: vec![
                row(1, 2000.0, 10_000.0, None),
                row(16, 8000.0, 20_000.0, Some(unclean)),
            ],
            ceiling: vec![CeilingRow {
                connections: 16,
                ours: measured(2000.0, 100.0),
            }],
            sizes: vec![ResponseSize {
                route: "`GET /whop/api/v1/people`".to_owned(),
                ours: 9100,
                prism: Some(436),
            }],
            prism_failures: vec![("`GET /posthog`".to_owned(), "refused\nthe spec".to_owned())],
            scaling_connections: 16,
            scaling: Err("persons-mock exited".to_owned()),
        };
        let report = render(Path::new("."), &tools(), &results);
        assert!(
            report.contains(
                "| `GET /whop/api/v1/people` | 16 | 8000 | 1.50 ms | 4.50 ms | 20000 | 500 µs | \
                 1.50 ms | 10000 | 800 µs | 2.40 ms | 100 | 90.00 ms | 270.00 ms | 0.40× | \
                 0.80× | 80× |"
            ),
            "{report}"
        );
        assert!(
            report.contains(
                "| `GET /whop/api/v1/people` | 1 | 2000 | 1.50 ms | 4.50 ms | 10000 | \
                 500 µs | 1.50 ms | 10000 | 800 µs | 2.40 ms | — | — | — | 0.20× | 0.20× | — |"
            ),
            "{report}"
        );
        assert!(
            report.contains(
                "`GET /whop/api/v1/people`: ours and both floors answer 9100 bytes, Prism 436 bytes"
            ),
            "{report}"
        );
        assert!(
            report.contains(
                "ours/same-bytes from 16 connections: lowest 0.40× (target ≥ 0.5×): **not met**"
            ),
            "the one-connection cell is not held to the target: {report}"
        );
        assert!(
            report.contains("- ours/same-bytes: lowest 0.20×"),
            "{report}"
        );
        assert!(report.contains("- ours/static: lowest 0.20×"), "{report}");
        assert!(report.contains("- ours/Prism: lowest 80×"), "{report}");
        assert!(
            report.contains("| 16 | 2000 | 100 µs | 300 µs |"),
            "{report}"
        );
        assert!(report.contains("Prism did not run for `GET /posthog`: refused / the spec"));
        assert!(
            report.contains("7 of 1000 responses not 2xx/3xx"),
            "{report}"
        );
        assert!(
            report.contains("**Not run**: persons-mock exited"),
            "{report}"
        );
    }

    #[test]
    fn the_same_bytes_target_is_met_at_half_the_floor() {
        let results = Results {
            seconds: 2,
            comparison: vec![
                row(16, 5000.0, 10_000.0, None),
                row(64, 6000.0, 9000.0, None),
            ],
            ceiling: Vec::new(),
            sizes: Vec::new(),
            prism_failures: Vec::new(),
            scaling_connections: 16,
            scaling: Ok(Vec::new()),
        };
        let report = render(Path::new("."), &tools(), &results);
        assert!(
            report
                .contains("ours/same-bytes from 16 connections: lowest 0.50× (target ≥ 0.5×): met"),
            "{report}"
        );
        assert!(report.contains("- ours/Prism: not measured"), "{report}");
    }

    #[test]
    fn scaling_rows_compare_with_the_smallest_tenant() {
        let row = |route: &str, events, p50| ScalingRow {
            route: route.to_owned(),
            events,
            measurement: measured(1000.0, p50),
        };
        let mut failing = row("posthog", 1_000_000, 9000.0);
        failing.measurement.socket_errors = 2;
        let results = Results {
            seconds: 1,
            comparison: Vec::new(),
            ceiling: Vec::new(),
            sizes: Vec::new(),
            prism_failures: Vec::new(),
            scaling_connections: 16,
            scaling: Ok(vec![
                row("whop", 100_000, 2500.0),
                row("posthog", 100_000, 3000.0),
                row("whop", 10_000, 500.0),
                failing,
            ]),
        };
        let report = render(Path::new("."), &tools(), &results);
        let table: Vec<&str> = report
            .lines()
            .filter(|line| line.starts_with("| whop") || line.starts_with("| posthog"))
            .collect();
        assert_eq!(
            table,
            [
                "| whop | 10,000 | 1000 | 500 µs | 1.50 ms | 1.0× |",
                "| whop | 100,000 | 1000 | 2.50 ms | 7.50 ms | 5.0× |",
                "| posthog | 100,000 | 1000 | 3.00 ms | 9.00 ms | 1.0× |",
                "| posthog | 1,000,000 | 1000 | 9.00 ms | 27.00 ms | 3.0× ⚠ errors |",
            ]
        );
        assert!(
            report.contains("ours/same-bytes from 16 connections: not measured"),
            "{report}"
        );
    }
}
