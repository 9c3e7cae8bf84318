//! The mock server's operation table: every operation of every spec (hand-written ones
//! included), with the full path the mock serves it at, rendered as
//! `mock-server/src/operations/generated.rs`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::generate::HEADER_PREFIX;
use crate::handwritten::METHODS;
use crate::layout::mount_prefix;
use crate::spec::server_path;

/// One operation as the mock serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The spec's file stem, e.g. `pipedrive-v2`.
    pub api: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Mount prefix + server path + spec path, e.g. `/whop/api/v1/people/{person_id}`.
    pub path: String,
    /// The spec's `operationId`.
    pub id: String,
}

/// Every operation of `document`, the spec of API `api`, path by path.
pub fn collect(api: &str, document: &Value) -> Result<Vec<Operation>> {
    let base = format!("{}{}", mount_prefix(api), server_path(document)?);
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .context("the document has no `paths` object")?;
    let mut operations = Vec::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            bail!("path `{path}` does not start with `/`");
        }
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let method = method.to_uppercase();
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{method} {path} has no operationId"))?;
            operations.push(Operation {
                api: api.to_owned(),
                method,
                path: format!("{base}{path}"),
                id: id.to_owned(),
            });
        }
    }
    Ok(operations)
}

/// The generated module holding `operations`, one per line (the module is `rustfmt::skip`),
/// sorted by path then method; fails when two operations share a method and path (two specs
/// mounted at the same place).
pub fn render(operations: &[Operation]) -> Result<String> {
    let mut sorted: BTreeMap<(&str, &str), &Operation> = BTreeMap::new();
    for operation in operations {
        let key = (operation.path.as_str(), operation.method.as_str());
        if let Some(earlier) = sorted.insert(key, operation) {
            bail!(
                "{} {} is served by both `{}` ({}) and `{}` ({})",
                operation.method,
                operation.path,
                earlier.api,
                earlier.id,
                operation.api,
                operation.id
            );
        }
    }
    let rows: String = sorted
        .values()
        .map(|op| {
            format!(
                "    Operation {{ api: {:?}, method: {:?}, path: {:?}, id: {:?} }},\n",
                op.api, op.method, op.path, op.id
            )
        })
        .collect();
    let code = format!(
        "{HEADER_PREFIX} from specs/*.yaml. Do not edit by hand.\n\n\
         use super::Operation;\n\n\
         /// Every operation of `specs/*.yaml` as the mock serves it, sorted by path and method.\n\
         pub(super) static OPERATIONS: &[Operation] = &[\n{rows}];\n"
    );
    syn::parse_file(&code).context("the operation table does not parse as Rust")?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({
            "servers": [{"url": "https://api.acme.test/api/v2"}],
            "paths": {
                "/things": {"post": {"operationId": "addThing"}},
                "/things/{id}": {
                    "parameters": [],
                    "get": {"operationId": "getThing"},
                    "delete": {"operationId": "deleteThing", "x-persons-handwritten": true}
                }
            }
        })
    }

    #[test]
    fn collects_every_operation_under_mount_and_server_path() {
        let operations = collect("acme-v2", &document()).unwrap();
        let rows: Vec<(&str, &str, &str)> = operations
            .iter()
            .map(|op| (op.method.as_str(), op.path.as_str(), op.id.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("POST", "/acme/api/v2/things", "addThing"),
                ("GET", "/acme/api/v2/things/{id}", "getThing"),
                ("DELETE", "/acme/api/v2/things/{id}", "deleteThing"),
            ]
        );
        assert!(operations.iter().all(|op| op.api == "acme-v2"));
    }

    #[test]
    fn missing_ids_and_servers_are_errors() {
        let mut without_id = document();
        without_id["paths"]["/things"]["post"] = json!({"summary": "no id"});
        let error = collect("acme", &without_id).unwrap_err().to_string();
        assert_eq!(error, "POST /things has no operationId");

        let mut without_server = document();
        without_server["servers"] = json!([]);
        let error = collect("acme", &without_server).unwrap_err().to_string();
        assert!(error.contains("no `servers` entry"), "{error}");
    }

    #[test]
    fn renders_a_sorted_table_and_rejects_clashes() {
        let operations = collect("acme-v2", &document()).unwrap();
        let code = render(&operations).unwrap();
        assert!(code.starts_with(
            "// @generated by `cargo xtask codegen` from specs/*.yaml. Do not edit by hand.\n\n"
        ));
        let add = code.find("\"addThing\"").unwrap();
        let delete = code.find("\"deleteThing\"").unwrap();
        let get = code.find("\"getThing\"").unwrap();
        assert!(add < delete && delete < get, "{code}");

        let mut clash = operations.clone();
        clash.push(Operation {
            api: "acme-v3".into(),
            ..operations[0].clone()
        });
        let error = render(&clash).unwrap_err().to_string();
        assert!(
            error.contains("POST /acme/api/v2/things is served by both `acme-v2` (addThing) and `acme-v3` (addThing)"),
            "{error}"
        );
    }
}
