//! Installing the vendors' official clients for the tests that drive them: a pinned PyPI or
//! npm package, installed once under the cargo target directory.
//!
//! Those tests need python3 or node and, on their first run, the package registries. Where
//! either is missing they are skipped with a notice on the terminal, unless
//! `PERSONS_REQUIRE_OFFICIAL_CLIENTS=1` (which CI sets) makes them fail instead.

// Each test crate includes this file and uses the installers it needs.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The variable that turns a skip into a failure.
const REQUIRE: &str = "PERSONS_REQUIRE_OFFICIAL_CLIENTS";

/// Where the clients are installed: `<target>/official-clients/<package>`.
fn install_dir(package: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target
        .join("official-clients")
        .join(package.replace(['=', '@', '/'], "-"))
}

/// Serialises installs within one test binary, whose tests run in parallel.
static INSTALLING: Mutex<()> = Mutex::new(());

/// Runs `install` into a fresh staging folder beside `dir` and renames it into place, so a
/// test in another process never sees a half-installed package; `false` if it failed.
/// Whoever renames first wins: a later installer finding `dir` present discards its copy.
fn install_atomically(dir: &Path, install: impl FnOnce(&Path) -> bool) -> bool {
    let mut staging = dir.as_os_str().to_owned();
    staging.push(format!(".staging-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    if !install(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return false;
    }
    if std::fs::rename(&staging, dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    dir.exists()
}

/// The folder to put on `PYTHONPATH` for the pinned PyPI `requirement` (`name==version`),
/// installed if missing; `None` (after a notice) when it cannot be and the test may skip.
pub fn python_package(requirement: &str, module: &str) -> Option<PathBuf> {
    let dir = install_dir(requirement);
    let _installing = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if dir.join(module).join("__init__.py").exists() {
        return Some(dir);
    }
    if !runs("python3", &["-m", "pip", "--version"]) {
        return unavailable(requirement, "python3 with pip is not installed");
    }
    let installed = install_atomically(&dir, |staging| {
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--target")
            .arg(staging)
            .arg(requirement)
            .status()
            .is_ok_and(|status| status.success())
    });
    if installed {
        Some(dir)
    } else {
        unavailable(requirement, "pip could not install it (is PyPI reachable?)")
    }
}

/// The `node_modules` folder to put on `NODE_PATH` for the pinned npm `package`
/// (`name@version`), installed if missing; `None` (after a notice) when it cannot be.
pub fn npm_package(package: &str, name: &str) -> Option<PathBuf> {
    let prefix = install_dir(package);
    let modules = prefix.join("node_modules");
    let _installing = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if modules.join(name).join("package.json").exists() {
        return Some(modules);
    }
    if !runs("node", &["--version"]) || !runs("npm", &["--version"]) {
        return unavailable(package, "node and npm are not installed");
    }
    let installed = install_atomically(&prefix, |staging| {
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(staging)
            .arg(package)
            .status()
            .is_ok_and(|status| status.success())
    });
    if installed {
        Some(modules)
    } else {
        unavailable(
            package,
            "npm could not install it (is the npm registry reachable?)",
        )
    }
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Fails under `PERSONS_REQUIRE_OFFICIAL_CLIENTS=1`; otherwise tells the terminal (past the
/// test harness's capture) that the test is skipped, and why.
fn unavailable(package: &str, why: &str) -> Option<PathBuf> {
    assert!(
        std::env::var(REQUIRE).as_deref() != Ok("1"),
        "{package}: {why}, and {REQUIRE}=1 requires the official-client tests"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED an official-client test: {package}: {why}. \
         Set {REQUIRE}=1 to make this a failure. ***\n"
    );
    None
}
