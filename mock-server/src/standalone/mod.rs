//! The standalone server behind the `persons-mock` binary: start-up data (a seed file, the
//! built-in demo), an optional data directory, the multi-threaded HTTP server and a graceful
//! stop on SIGINT or SIGTERM. The binary only parses flags, calls [`start`] and serves with
//! [`Started::serve_until`] until [`stop_signal`].

mod banner;
mod floor;
mod serve;

pub use serve::ConnectionLimits;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::Clock;
pub use crate::durable::{DurableError, DurableOptions};
use crate::router::App;
use crate::seed::{Seed, SeedError};
use crate::synthetic;

/// How to run the standalone server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where to listen.
    pub address: String,
    /// Keep the state in this directory (write-ahead log + snapshots) across restarts.
    pub data_dir: Option<PathBuf>,
    /// Load this seed file at start (and on `POST /_admin/reset?to=seed`).
    pub seed: Option<PathBuf>,
    /// Load the built-in demo tenants at start.
    pub demo: bool,
    /// Also load one synthetic tenant per vendor with this many generated events (0: none;
    /// their credentials are in the banner).
    pub synthetic_events: usize,
    /// Protect the admin API with this bearer token.
    pub admin_token: Option<String>,
    /// Data directory tuning.
    pub durable: DurableOptions,
    /// Timeouts and the cap on open connections.
    pub connections: ConnectionLimits,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The error.
        source: std::io::Error,
    },
    /// The seed file is unreadable or invalid.
    #[error("seed file {0}")]
    Seed(#[from] SeedError),
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] DurableError),
    /// Loading the start-up data failed.
    #[error("start-up data: {0}")]
    Seeding(String),
    /// The same-bytes floor's recorded answers are unreadable or invalid.
    #[error("recorded answers {0}")]
    SameBytes(String),
}

/// A started server: its address and app; [`Started::serve_until`] runs it.
#[derive(Debug)]
pub struct Started {
    listener: tokio::net::TcpListener,
    /// Where the server listens.
    pub address: SocketAddr,
    /// The app it serves.
    pub app: Arc<App>,
    connections: ConnectionLimits,
    /// What the start-up printed: base URLs, keys, and whether state was restored.
    pub banner: String,
}

/// Binds, loads or restores the state, and returns the server ready to serve.
pub async fn start(options: &Options) -> Result<Started, StartError> {
    let listen_error = |source| StartError::Listen {
        address: options.address.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(&options.address)
        .await
        .map_err(listen_error)?;
    let address = listener.local_addr().map_err(listen_error)?;
    let root = format!("http://{address}");
    let start_up = start_up_seed(options)?;
    let (seeder_root, synthetic_events) = (root.clone(), options.synthetic_events);
    let mut app = App::new(Clock::system())
        .with_admin_token(options.admin_token.clone())
        .with_seeder(Arc::new(move |app: &App| {
            app.load_seed(&start_up)
                .map_err(|error| error.to_string())?;
            load_synthetic(app, &seeder_root, synthetic_events)
        }));
    let mut banner = format!("persons-mock listening on {root}\n");
    let restored = match &options.data_dir {
        Some(dir) => {
            let restored = app.open_data_dir(dir, options.durable)?;
            banner.push_str(&format!("  data directory {}", dir.display()));
            if restored.is_empty() {
                banner.push_str(" (empty: loading the start-up data)\n");
            } else {
                banner.push_str(&format!(
                    " (restored: snapshot {}, {} logged writes replayed{})\n",
                    if restored.snapshot { "loaded" } else { "none" },
                    restored.records,
                    if restored.torn_bytes > 0 {
                        format!(
                            ", a torn last record of {} bytes dropped",
                            restored.torn_bytes
                        )
                    } else {
                        String::new()
                    }
                ));
            }
            !restored.is_empty()
        }
        None => false,
    };
    if !restored {
        app.seed().map_err(StartError::Seeding)?;
    }
    banner.push_str(&banner::describe(&app, &root));
    banner.push_str(&match app.admin_token() {
        Some(_) => format!("  admin API {root}/_admin (Bearer admin token required)\n"),
        None => format!("  admin API {root}/_admin\n"),
    });
    Ok(Started {
        listener,
        address,
        app: Arc::new(app),
        connections: options.connections,
        banner,
    })
}

impl Started {
    /// Serves until `shutdown` completes (see [`stop_signal`]), then drains requests in
    /// flight.
    pub async fn serve_until(self, shutdown: impl std::future::Future<Output = ()>) {
        serve::serve(self.listener, self.app, self.connections, shutdown).await;
    }
}

/// The same-bytes floor of `cargo xtask bench` (the binary's hidden `--same-bytes FILE`):
/// binds `address`, prints a banner and serves the answers recorded in `answers` with the
/// server's own connection handling until `shutdown` completes. No tenant, no admin API.
pub async fn serve_same_bytes(
    address: &str,
    answers: &Path,
    connections: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), StartError> {
    let floor = floor::SameBytes::from_file(answers).map_err(StartError::SameBytes)?;
    let listen_error = |source| StartError::Listen {
        address: address.to_owned(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    println!(
        "persons-mock listening on http://{bound}\n  same-bytes floor: {} recorded answers",
        floor.count()
    );
    serve::serve(listener, Arc::new(floor), connections, shutdown).await;
    Ok(())
}

/// The start-up data as one seed: the seed file, then the demo tenants generated into a
/// scratch app and exported, so that `reset?to=seed` brings back exactly the same state.
fn start_up_seed(options: &Options) -> Result<Seed, StartError> {
    let scratch = App::new(Clock::system());
    if let Some(path) = &options.seed {
        scratch
            .load_seed(&Seed::from_file(path)?)
            .map_err(|error| error.in_file(path))?;
    }
    if options.demo {
        scratch.load_demo().map_err(StartError::Seeding)?;
    }
    Ok(scratch.export_seed())
}

/// Generates the synthetic tenants (deterministic, so a reset to the seed regenerates the
/// same data rather than keeping a copy of millions of events).
fn load_synthetic(app: &App, root: &str, events: usize) -> Result<(), String> {
    if events == 0 {
        return Ok(());
    }
    synthetic::whop::load(&app.whop_at(root), events)
        .map_err(|error| format!("synthetic Whop data: {error}"))?;
    synthetic::posthog::load(&app.posthog_at(root), events)
        .map_err(|error| format!("synthetic PostHog data: {error}"))?;
    synthetic::pipedrive::load(&app.pipedrive_at(root), events)
        .map_err(|error| format!("synthetic Pipedrive data: {error}"))?;
    Ok(())
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when
/// this is called, not when the future is first polled, so a signal that arrives right after
/// the banner is printed still stops the server gracefully.
#[cfg(unix)]
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let install = |kind: SignalKind| -> Option<Signal> {
        signal(kind)
            .map_err(|error| tracing::error!(%error, "persons mock: cannot listen for a signal"))
            .ok()
    };
    let mut interrupt = install(SignalKind::interrupt());
    let mut terminate = install(SignalKind::terminate());
    async move {
        tokio::select! {
            () = received(interrupt.as_mut()) => {}
            () = received(terminate.as_mut()) => {}
        }
    }
}

/// Waits for `signal`, or forever when it could not be installed.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
