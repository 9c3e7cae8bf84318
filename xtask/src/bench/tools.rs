//! Provisioning the load tool and the competitor: wrk from Debian's packages, Prism from npm
//! (installed once under `target/bench/prism`), and the versions the report names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The Prism release the comparison runs against. Later releases (5.15.10 on) need Node.js
/// 24.14 or newer; this one runs on Node.js 18.20 and up.
pub const PRISM_VERSION: &str = "5.14.2";

/// The npm package Prism comes from.
const PRISM_PACKAGE: &str = "@stoplight/prism-cli";

/// The tools a run uses and their versions.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Prism's command (`node_modules/.bin/prism`).
    pub prism: PathBuf,
    /// `wrk -v`'s first line.
    pub wrk_version: String,
    /// `node --version`.
    pub node_version: String,
    /// `rustc --version`.
    pub rustc_version: String,
}

/// Makes sure wrk and Prism are there, installing them when missing.
pub fn provision(bench_dir: &Path) -> Result<Tools> {
    let wrk_version = ensure_wrk()?;
    let node_version = first_line_of("node", &["--version"]).context(
        "Node.js is needed to run Prism and was not found: install Node.js 18.20 or newer \
         with npm (Debian: `apt-get install -y nodejs npm`)",
    )?;
    let prism = ensure_prism(&bench_dir.join("prism"))?;
    let rustc_version = first_line_of("rustc", &["--version"])?;
    Ok(Tools {
        prism,
        wrk_version,
        node_version,
        rustc_version,
    })
}

/// wrk's version line; installs the Debian package `wrk` when the command is missing.
fn ensure_wrk() -> Result<String> {
    if let Ok(version) = wrk_version() {
        return Ok(version);
    }
    println!("bench: wrk not found; installing it with `apt-get install -y wrk`");
    let installed = apt_get(&["install", "-y", "wrk"])
        .or_else(|_| apt_get(&["update"]).and_then(|()| apt_get(&["install", "-y", "wrk"])));
    installed.context(
        "wrk is missing and `apt-get install -y wrk` failed; install the Debian/Ubuntu \
         package `wrk` (as root) and run `cargo xtask bench` again",
    )?;
    wrk_version().context("wrk was installed but `wrk -v` does not run")
}

/// `wrk -v` prints its version line, then the usage, and exits with status 1.
fn wrk_version() -> Result<String> {
    let output = Command::new("wrk")
        .arg("-v")
        .output()
        .context("running `wrk -v`")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next().unwrap_or_default();
    if !line.starts_with("wrk ") {
        bail!("`wrk -v` printed no version line");
    }
    Ok(line.split(" Copyright").next().unwrap_or(line).to_owned())
}

/// Runs `apt-get ARGS` with its output shown; fails on a non-zero exit.
fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .context("running apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

/// The Prism command under `prefix`, installed with npm unless the pinned version is there.
fn ensure_prism(prefix: &Path) -> Result<PathBuf> {
    let command = prefix.join("node_modules/.bin/prism");
    if installed_prism_version(&command).as_deref() == Some(PRISM_VERSION) {
        return Ok(command);
    }
    println!(
        "bench: installing {PRISM_PACKAGE}@{PRISM_VERSION} into {}",
        prefix.display()
    );
    std::fs::create_dir_all(prefix).with_context(|| format!("creating {}", prefix.display()))?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix)
        .arg(format!("{PRISM_PACKAGE}@{PRISM_VERSION}"))
        .stdin(Stdio::null())
        .status()
        .context("running npm (install Node.js and npm: `apt-get install -y nodejs npm`)")?;
    if !status.success() {
        bail!(
            "`npm install {PRISM_PACKAGE}@{PRISM_VERSION}` exited with {status}; \
             check that the npm registry is reachable"
        );
    }
    match installed_prism_version(&command) {
        Some(version) if version == PRISM_VERSION => Ok(command),
        Some(version) => bail!("npm installed Prism {version}, expected {PRISM_VERSION}"),
        None => bail!(
            "npm finished but `{} --version` does not run",
            command.display()
        ),
    }
}

/// What `prism --version` prints, when the command runs.
fn installed_prism_version(command: &Path) -> Option<String> {
    let output = Command::new(command).arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The first line `program args` prints on success.
fn first_line_of(program: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running `{program} {}`", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "`{program} {}` exited with {}",
            args.join(" "),
            output.status
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}
