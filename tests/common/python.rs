//! Pinned PyPI packages for the tests that drive vendors' official Python clients: installed
//! once under the cargo target directory; a failed install fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder holding `requirement` (`name==version`), whose import package is `package`,
/// installed there first if missing; put it on `PYTHONPATH`.
pub fn installed(requirement: &str, package: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("python").join(requirement.replace("==", "-"));
    if dir.join(package).join("__init__.py").exists() {
        return dir;
    }
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
        ])
        .arg(&dir)
        .arg(requirement)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "pip could not install {requirement}");
    dir
}
