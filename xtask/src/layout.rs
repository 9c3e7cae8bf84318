//! Where things live: the spec files in `specs/`, the generated module each one owns, the
//! mock server's operation table, and where the mock mounts each spec's API.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::generate::HEADER_PREFIX;

/// Directory of the OpenAPI documents, relative to the workspace root.
const SPECS_DIR: &str = "specs";
/// Directory the generated modules are written below, relative to the workspace root.
const SDK_SRC_DIR: &str = "sdk/src";
/// File name of every generated module.
const GENERATED_FILE: &str = "generated.rs";
/// File extensions recognised as OpenAPI documents.
const SPEC_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];
/// The mock server's table of every operation of every spec, relative to the workspace root.
pub const MOCK_OPERATIONS: &str = "mock-server/src/operations/generated.rs";

/// One OpenAPI document and the generated module it owns, both relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The API's name: the document's file stem, e.g. `pipedrive-v1`.
    pub api: String,
    /// The document, e.g. `specs/whop.yaml`.
    pub spec: PathBuf,
    /// The generated module, e.g. `sdk/src/whop/generated.rs`.
    pub output: PathBuf,
}

impl Target {
    /// The document's path as written in headers and messages (`specs/whop.yaml`).
    pub fn spec_label(&self) -> String {
        self.spec.to_string_lossy().replace('\\', "/")
    }
}

/// Every document in `specs/`, sorted by file name, with the module it generates.
pub fn targets(root: &Path) -> Result<Vec<Target>> {
    let dir = root.join(SPECS_DIR);
    let entries = fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut targets = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let is_spec = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| SPEC_EXTENSIONS.contains(&ext));
        if !is_spec {
            continue;
        }
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .with_context(|| format!("{} is not valid UTF-8", path.display()))?;
        let output = output_for(file_name)?;
        let api = Path::new(file_name)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or(file_name)
            .to_owned();
        targets.push(Target {
            api,
            spec: Path::new(SPECS_DIR).join(file_name),
            output,
        });
    }
    targets.sort_by(|a, b| a.spec.cmp(&b.spec));
    Ok(targets)
}

/// The generated module for a spec file name: the stem with `-` read as `/`
/// (`pipedrive-v1.yaml` → `sdk/src/pipedrive/v1/generated.rs`).
pub fn output_for(spec_file_name: &str) -> Result<PathBuf> {
    let stem = Path::new(spec_file_name)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .with_context(|| format!("{spec_file_name} has no file stem"))?;
    let mut output = PathBuf::from(SDK_SRC_DIR);
    for segment in stem.split('-') {
        if !is_module_name(segment) {
            bail!(
                "specs/{spec_file_name}: `{segment}` is not a valid Rust module name; \
                 name specs `<vendor>[-<version>].yaml` in lower snake case"
            );
        }
        output.push(segment);
    }
    output.push(GENERATED_FILE);
    Ok(output)
}

/// Where the mock server mounts API `api`: `/` and the vendor, the part of the name before any
/// `-` (`pipedrive-v1` → `/pipedrive`). The mock serves each operation at this prefix, then the
/// spec's server path, then the operation's path.
pub fn mount_prefix(api: &str) -> String {
    let vendor = api.split('-').next().unwrap_or(api);
    format!("/{vendor}")
}

/// Whether `segment` can name a Rust module: lower snake case, starting with a letter.
fn is_module_name(segment: &str) -> bool {
    let mut chars = segment.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Generated modules (files carrying the codegen header) that no spec in `targets` owns.
pub fn orphans(root: &Path, targets: &[Target]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect_generated(root, &root.join(SDK_SRC_DIR), &mut found)?;
    found.retain(|path| !targets.iter().any(|target| &target.output == path));
    found.sort();
    Ok(found)
}

/// Adds to `found` every generated module below `dir`, as a path relative to `root`.
fn collect_generated(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let entries = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_dir() {
            collect_generated(root, &path, found)?;
        } else if path.file_name().is_some_and(|name| name == GENERATED_FILE) {
            let text =
                fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            if text.starts_with(HEADER_PREFIX) {
                let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                found.push(relative);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_path_follows_the_spec_stem() {
        assert_eq!(
            output_for("whop.yaml").unwrap(),
            Path::new("sdk/src/whop/generated.rs")
        );
        assert_eq!(
            output_for("pipedrive-v1.yaml").unwrap(),
            Path::new("sdk/src/pipedrive/v1/generated.rs")
        );
        assert_eq!(
            output_for("posthog.json").unwrap(),
            Path::new("sdk/src/posthog/generated.rs")
        );
    }

    #[test]
    fn mount_prefix_is_the_vendor() {
        assert_eq!(mount_prefix("whop"), "/whop");
        assert_eq!(mount_prefix("pipedrive-v2"), "/pipedrive");
    }

    #[test]
    fn output_path_rejects_names_that_are_not_modules() {
        for name in ["Whop.yaml", "whop--v1.yaml", "1whop.yaml", "who p.yaml"] {
            let error = output_for(name).unwrap_err().to_string();
            assert!(
                error.contains("not a valid Rust module name"),
                "{name}: {error}"
            );
        }
    }
}
