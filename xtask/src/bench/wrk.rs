//! One wrk run: the command line (`wrk --latency`) and what its report says (requests per
//! second, p50/p99 latency, errors).

use std::process::Command;

use anyhow::{Context, Result, bail};

/// What one wrk run should do.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    /// The full URL to request, with its query.
    pub url: &'a str,
    /// The headers to send (the credentials, a contract's version), as `(name, value)`.
    pub headers: &'a [(&'a str, &'a str)],
    /// Open connections, kept alive for the whole run.
    pub connections: u32,
    /// How long to run, in whole seconds.
    pub seconds: u64,
}

/// The numbers wrk reports for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Completed requests per second.
    pub requests_per_sec: f64,
    /// Median latency, in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: f64,
    /// Completed requests in the whole run.
    pub requests: u64,
    /// Responses whose status was neither 2xx nor 3xx.
    pub non_success: u64,
    /// Connect, read, write and timeout errors added up.
    pub socket_errors: u64,
}

impl Measurement {
    /// Whether every request got a 2xx/3xx answer without a socket error.
    pub fn is_clean(&self) -> bool {
        self.non_success == 0 && self.socket_errors == 0
    }
}

/// Runs wrk with `load` and parses its report. Threads are `min(connections, 2)`: the
/// machine has two cores and wrk needs at least one connection per thread.
pub fn run(load: &Load<'_>) -> Result<Measurement> {
    let threads = load.connections.clamp(1, 2);
    let output = Command::new("wrk")
        .arg("--latency")
        .args(["--timeout", "10s"])
        .arg(format!("-t{threads}"))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .args(
            load.headers
                .iter()
                .flat_map(|(name, value)| ["-H".to_owned(), format!("{name}: {value}")]),
        )
        .arg(load.url)
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk against {} failed ({}): {}{}",
            load.url,
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&stdout).with_context(|| format!("reading wrk's report for {}:\n{stdout}", load.url))
}

/// Parses the report `wrk --latency` prints.
pub fn parse(report: &str) -> Result<Measurement> {
    let mut requests_per_sec = None;
    let mut p50_us = None;
    let mut p99_us = None;
    let mut requests = None;
    let mut non_success = 0;
    let mut socket_errors = 0;
    for line in report.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("Requests/sec:") {
            requests_per_sec = Some(parse_number(value.trim(), "Requests/sec")?);
        } else if let Some(value) = line.strip_prefix("50%") {
            p50_us = Some(parse_latency(value.trim())?);
        } else if let Some(value) = line.strip_prefix("99%") {
            p99_us = Some(parse_latency(value.trim())?);
        } else if let Some(value) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_success = parse_count(value.trim(), "Non-2xx or 3xx responses")?;
        } else if let Some(counts) = line.strip_prefix("Socket errors:") {
            socket_errors = parse_socket_errors(counts)?;
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = Some(parse_count(count.trim(), "requests in")?);
        }
    }
    Ok(Measurement {
        requests_per_sec: requests_per_sec.context("no `Requests/sec:` line")?,
        p50_us: p50_us.context("no `50%` latency line (was --latency passed?)")?,
        p99_us: p99_us.context("no `99%` latency line (was --latency passed?)")?,
        requests: requests.context("no `N requests in T` line")?,
        non_success,
        socket_errors,
    })
}

/// A latency as wrk prints it (`412.00us`, `1.27ms`, `2.01s`, `1.50m`) in microseconds.
fn parse_latency(text: &str) -> Result<f64> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("latency `{text}` has no unit"))?;
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        other => bail!("latency `{text}` has an unknown unit `{other}`"),
    };
    Ok(parse_number(number, "latency")? * scale)
}

/// `connect 0, read 3, write 0, timeout 2` → 5.
fn parse_socket_errors(counts: &str) -> Result<u64> {
    counts.split(',').try_fold(0, |total, item| {
        let count = item
            .split_whitespace()
            .nth(1)
            .with_context(|| format!("socket error count `{item}` has no number"))?;
        Ok(total + parse_count(count, "Socket errors")?)
    })
}

/// A decimal number such as `12345.67`.
fn parse_number(text: &str, what: &str) -> Result<f64> {
    text.parse()
        .with_context(|| format!("`{what}` is not a number: `{text}`"))
}

/// A whole count such as `1234`.
fn parse_count(text: &str, what: &str) -> Result<u64> {
    text.parse()
        .with_context(|| format!("`{what}` is not a count: `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from `wrk --latency --timeout 10s -t2 -c16 -d1s` (wrk 4.1.0, Debian) against
    /// the release binary's Whop list.
    const CLEAN: &str = include_str!("testdata/wrk-16-connections.txt");
    /// Captured the same way at one connection with a wrong API key: every answer a 401.
    const UNAUTHORISED: &str = include_str!("testdata/wrk-401.txt");

    /// Whether two microsecond values agree to a thousandth of a microsecond.
    fn close(left: f64, right: f64) -> bool {
        (left - right).abs() < 1e-3
    }

    #[test]
    fn reads_throughput_latency_and_counts() {
        let measurement = parse(CLEAN).unwrap();
        assert_eq!(measurement.requests_per_sec, 5400.89);
        assert!(close(measurement.p50_us, 2560.0), "{measurement:?}");
        assert!(close(measurement.p99_us, 9130.0), "{measurement:?}");
        assert_eq!(measurement.requests, 5473);
        assert_eq!((measurement.non_success, measurement.socket_errors), (0, 0));
        assert!(measurement.is_clean());
    }

    #[test]
    fn counts_error_responses() {
        let measurement = parse(UNAUTHORISED).unwrap();
        assert!(close(measurement.p50_us, 166.0), "{measurement:?}");
        assert!(close(measurement.p99_us, 4700.0), "{measurement:?}");
        assert_eq!(measurement.requests, 3128);
        assert_eq!(measurement.non_success, 3128);
        assert!(!measurement.is_clean());
    }

    #[test]
    fn reads_errors_and_every_latency_unit() {
        let report = "\
Running 2s test @ http://127.0.0.1:9/people
  2 threads and 64 connections
  Latency Distribution
     50%  812.00us
     75%    1.50ms
     90%    1.90s
     99%    1.02m
  5000 requests in 2.00s, 1.00MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 17
Requests/sec:   2500.50
Transfer/sec:    512.00KB
";
        let measurement = parse(report).unwrap();
        assert_eq!(measurement.requests_per_sec, 2500.5);
        assert!(close(measurement.p50_us, 812.0), "{measurement:?}");
        assert!(close(measurement.p99_us, 61_200_000.0), "{measurement:?}");
        assert_eq!(measurement.requests, 5000);
        assert_eq!(measurement.non_success, 17);
        assert_eq!(measurement.socket_errors, 10);
        assert!(!measurement.is_clean());
    }

    #[test]
    fn a_report_without_latency_is_refused() {
        let report = "  100 requests in 1.00s, 1.00KB read\nRequests/sec:    100.00\n";
        let error = parse(report).unwrap_err().to_string();
        assert!(error.contains("--latency"), "{error}");
    }

    #[test]
    fn a_latency_with_an_unknown_unit_is_refused() {
        let error = parse_latency("12.00ns").unwrap_err().to_string();
        assert!(error.contains("unknown unit `ns`"), "{error}");
        assert!(parse_latency("12.00").is_err());
    }
}
