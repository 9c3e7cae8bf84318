//! `persons-mock`: the mock server as a standalone binary. Flags are parsed here; everything
//! else lives in [`persons_mock::standalone`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use std::time::Duration;

use persons_mock::standalone::{self, ConnectionLimits, DurableOptions, Options};

/// Serve the Whop, PostHog and Pipedrive person APIs with their real semantics, in memory
/// (or durably with --data-dir). Every flag can also be set through the environment variable
/// named in its help.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PERSONS_MOCK_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PERSONS_MOCK_PORT", default_value_t = 4010)]
    port: u16,
    /// Keep the state in this directory (write-ahead log + snapshots): a restart, even after
    /// `kill -9`, comes back with every acknowledged write.
    #[arg(long, env = "PERSONS_MOCK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Load this seed file (JSON or YAML) at start; `POST /_admin/reset?to=seed` loads it again.
    #[arg(long, env = "PERSONS_MOCK_SEED", value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Start without the built-in demo tenants.
    #[arg(long, env = "PERSONS_MOCK_NO_DEMO")]
    no_demo: bool,
    /// Also serve one synthetic tenant per vendor with N generated events each (for load
    /// tests; credentials in the banner and in `persons_mock::synthetic`).
    #[arg(
        long,
        env = "PERSONS_MOCK_SYNTHETIC_EVENTS",
        default_value_t = 0,
        value_name = "N"
    )]
    synthetic_events: usize,
    /// Require `Authorization: Bearer TOKEN` on the admin API (all but /_admin/health).
    #[arg(long, env = "PERSONS_MOCK_ADMIN_TOKEN", value_name = "TOKEN")]
    admin_token: Option<String>,
    /// `fsync` the log after every write (survives power loss, not only a killed process).
    #[arg(long, env = "PERSONS_MOCK_FSYNC")]
    fsync: bool,
    /// Compact the log into a snapshot once it holds this many KiB.
    #[arg(
        long,
        env = "PERSONS_MOCK_COMPACT_KIB",
        default_value_t = 65_536,
        value_name = "KIB"
    )]
    compact_kib: u64,
    /// Seconds a client has to send a request's headers before its connection is closed
    /// (0: no limit).
    #[arg(
        long,
        env = "PERSONS_MOCK_HEADER_READ_TIMEOUT",
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    header_read_timeout: u64,
    /// Seconds a connection may stay open with no request in flight (0: no limit).
    #[arg(
        long,
        env = "PERSONS_MOCK_IDLE_TIMEOUT",
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    idle_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(
        long,
        env = "PERSONS_MOCK_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    max_connections: u32,
    /// Worker threads serving requests (default: one per core).
    #[arg(long, env = "PERSONS_MOCK_WORKERS")]
    workers: Option<usize>,
    /// Log level (off, error, warn, info, debug, trace) or tracing directives such as
    /// `info,persons_mock::request=off`.
    #[arg(long, env = "PERSONS_MOCK_LOG_LEVEL", default_value = "info")]
    log_level: String,
    /// Log format: one line of text per event, or one JSON object per line.
    #[arg(long, env = "PERSONS_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// `cargo xtask bench`'s same-bytes floor: serve only the answers recorded in FILE (a JSON
    /// array of `path_and_query`, `status`, `headers`, `body`), with no tenant or admin API.
    #[arg(
        long,
        hide = true,
        value_name = "FILE",
        conflicts_with_all = ["data_dir", "seed", "synthetic_events", "admin_token"]
    )]
    same_bytes: Option<PathBuf>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("persons-mock: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    init_logging(&args)?;
    let options = Options {
        address: format!("{}:{}", args.host, args.port),
        data_dir: args.data_dir,
        seed: args.seed,
        demo: !args.no_demo,
        synthetic_events: args.synthetic_events,
        admin_token: args.admin_token,
        durable: DurableOptions {
            sync_every_write: args.fsync,
            compact_after_bytes: args.compact_kib.saturating_mul(1024),
        },
        connections: ConnectionLimits {
            header_read_timeout: seconds(args.header_read_timeout),
            idle_timeout: seconds(args.idle_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        },
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers.max(1));
    }
    runtime.enable_all().build()?.block_on(async {
        if let Some(answers) = &args.same_bytes {
            let stop = standalone::stop_signal();
            standalone::serve_same_bytes(&options.address, answers, options.connections, stop)
                .await?;
            return Ok(());
        }
        let started = standalone::start(&options).await?;
        let stop = standalone::stop_signal();
        print!("{}", started.banner);
        started.serve_until(stop).await;
        println!("persons-mock: stopped");
        Ok(())
    })
}

/// A timeout in seconds, where 0 means none.
fn seconds(value: u64) -> Option<Duration> {
    (value > 0).then(|| Duration::from_secs(value))
}

fn init_logging(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let filter = log_filter(&args.log_level)
        .map_err(|error| format!("--log-level {}: {error}", args.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// The filter `--log-level` names: a level, or directives such as
/// `info,persons_mock::request=warn`. A bare word that is not a level (`loud`) would be read
/// by tracing as a target that never logs, so it is refused.
fn log_filter(level: &str) -> Result<tracing_subscriber::EnvFilter, String> {
    let is_level = |word: &str| {
        word.trim()
            .parse::<tracing::level_filters::LevelFilter>()
            .is_ok()
    };
    if let Some(directive) = level
        .split(',')
        .find(|directive| !directive.contains('=') && !is_level(directive))
    {
        return Err(format!(
            "`{directive}` is neither a level (off, error, warn, info, debug, trace) nor a \
             `target=level` directive"
        ));
    }
    tracing_subscriber::EnvFilter::try_new(level).map_err(|error| error.to_string())
}
