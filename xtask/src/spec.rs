//! Reading an OpenAPI document (YAML or JSON) into a `serde_json::Value`, and the path of its
//! server URL.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Reads the document at `path`, as JSON when the extension is `.json` and as YAML otherwise.
pub fn load(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_json = path.extension().is_some_and(|ext| ext == "json");
    if is_json {
        serde_json::from_str(&text).context("parsing JSON")
    } else {
        serde_norway::from_str(&text).context("parsing YAML")
    }
}

/// The path of the document's first server URL, without a trailing slash, after replacing
/// each `{variable}` with its default: `https://api.pipedrive.com/api/v2` → `/api/v2`,
/// `https://{defaultHost}` with default `api.whop.com/api/v1` → `/api/v1`,
/// `https://us.posthog.com` → `` (the root). A relative URL (`/api/v1`) is its own path.
pub fn server_path(document: &Value) -> Result<String> {
    let server = document
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|servers| servers.first())
        .context(
            "no `servers` entry; the mock serves each operation under the first server URL's path",
        )?;
    let template = server
        .get("url")
        .and_then(Value::as_str)
        .context("the first entry of `servers` has no `url`")?;
    let url = substitute_variables(template, server.get("variables"))
        .with_context(|| format!("server URL `{template}`"))?;
    let path = if url.starts_with('/') {
        url.as_str()
    } else {
        let (_, rest) = url
            .split_once("://")
            .with_context(|| format!("server URL `{url}` is neither absolute nor a path"))?;
        let host_end = rest.find('/').unwrap_or(rest.len());
        if host_end == 0 {
            bail!("server URL `{url}` has no host");
        }
        &rest[host_end..]
    };
    if path.contains(['?', '#']) {
        bail!("server URL `{url}` carries a query or fragment; only a path can prefix operations");
    }
    Ok(path.trim_end_matches('/').to_owned())
}

/// `template` with every `{name}` replaced by the `default` of `variables.name`.
fn substitute_variables(template: &str, variables: Option<&Value>) -> Result<String> {
    let mut url = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let close = rest[open..].find('}').context("a `{` without its `}`")?;
        let name = &rest[open + 1..open + close];
        let default = variables
            .and_then(|variables| variables.get(name))
            .and_then(|variable| variable.get("default"))
            .and_then(Value::as_str)
            .with_context(|| format!("variable `{name}` has no string `default`"))?;
        url.push_str(default);
        rest = &rest[open + close + 1..];
    }
    url.push_str(rest);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn server_path_reads_the_first_server() {
        let path = |servers: Value| server_path(&json!({ "servers": servers }));
        assert_eq!(
            path(json!([{"url": "https://api.pipedrive.com/api/v2/"}])).unwrap(),
            "/api/v2"
        );
        assert_eq!(
            path(json!([{"url": "https://us.posthog.com"}])).unwrap(),
            ""
        );
        assert_eq!(
            path(json!([{"url": "/v1"}, {"url": "https://x/y"}])).unwrap(),
            "/v1"
        );
        let whop = json!([{
            "url": "https://{defaultHost}",
            "variables": {"defaultHost": {"default": "api.whop.com/api/v1"}}
        }]);
        assert_eq!(path(whop).unwrap(), "/api/v1");
    }

    #[test]
    fn server_path_fails_loudly_without_a_usable_url() {
        let error = |servers: Value| {
            format!(
                "{:#}",
                server_path(&json!({ "servers": servers })).unwrap_err()
            )
        };
        assert!(error(json!([])).contains("no `servers` entry"));
        assert!(error(json!([{"description": "x"}])).contains("has no `url`"));
        assert!(error(json!([{"url": "https://{host}/v1"}])).contains("variable `host`"));
        assert!(error(json!([{"url": "https://h/{v"}])).contains("without its `}`"));
        assert!(error(json!([{"url": "api.example.com"}])).contains("neither absolute"));
        assert!(error(json!([{"url": "https:///v1"}])).contains("has no host"));
        assert!(error(json!([{"url": "https://h/v1?x=1"}])).contains("query or fragment"));
        assert!(server_path(&json!({})).is_err());
    }
}
