//! Reading an OpenAPI document (YAML or JSON) into a `serde_json::Value`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// Reads the document at `path`, as JSON when the extension is `.json` and as YAML otherwise.
pub fn load(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_json = path.extension().is_some_and(|ext| ext == "json");
    if is_json {
        serde_json::from_str(&text).context("parsing JSON")
    } else {
        serde_yaml::from_str(&text).context("parsing YAML")
    }
}
