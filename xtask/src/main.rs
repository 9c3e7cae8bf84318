//! Project automation for the persons workspace.
//!
//! `cargo xtask codegen` turns every OpenAPI document in `specs/` into a committed
//! `sdk/src/<vendor>/generated.rs`, and all of them into the mock server's operation table
//! (`mock-server/src/operations/generated.rs`); `cargo xtask codegen --check` fails when any of
//! those files is stale. See [`codegen`] for the pipeline. `cargo xtask bench` runs the load
//! benchmark of the list endpoints (see [`bench`]).

mod bench;
mod checks;
mod codegen;
mod diff;
mod generate;
mod handwritten;
mod layout;
mod limits;
mod normalize;
mod operations;
mod spec;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command line of `cargo xtask`.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Automation for the persons workspace")]
struct Cli {
    /// The task to run.
    #[command(subcommand)]
    task: Task,
}

/// The tasks `cargo xtask` knows.
#[derive(Debug, Subcommand)]
enum Task {
    /// Generate `sdk/src/<vendor>/generated.rs` from every document in `specs/`, and the mock
    /// server's operation table from all of them.
    Codegen {
        /// Do not write anything; fail with a diff when a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Load-test the list endpoints of our release binary against a static wiremock floor and
    /// Prism, and how their latency grows with the data; writes `target/bench/report.md`.
    Bench(bench::Options),
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), PathBuf::from)
}

/// Runs the task named on the command line; any error is printed with its context chain.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Codegen { check } => {
            let mode = if check {
                codegen::Mode::Check
            } else {
                codegen::Mode::Write
            };
            codegen::run(&workspace_root(), mode)
        }
        Task::Bench(options) => bench::run(&workspace_root(), &options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
