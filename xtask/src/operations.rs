//! The mock server's routes: every operation of every spec (hand-written ones included), with
//! the full path the mock serves it at, rendered as `mock-server/src/operations/generated.rs`:
//! the operation table, one enum per API whose variants carry their path parameters, and the
//! constructor that turns a matched table row into its variant.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result, anyhow, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;

use crate::generate::HEADER_PREFIX;
use crate::handwritten::METHODS;
use crate::layout::mount_prefix;
use crate::spec::server_path;

/// The extension that says whether an operation changes the mock's state, where its method
/// alone would say otherwise (a `POST` that only reads, a `GET` that captures events).
const WRITES_EXTENSION: &str = "x-persons-writes";

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
    /// Whether it may change the mock's state: every method but `GET`, `HEAD` and `OPTIONS`,
    /// unless the operation says otherwise with `x-persons-writes`.
    pub writes: bool,
}

impl Operation {
    /// The names of its path parameters, in path order.
    fn params(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }

    /// Its variant in its API's enum.
    fn variant(&self) -> String {
        self.id.to_upper_camel_case()
    }
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
            let writes = match operation.get(WRITES_EXTENSION) {
                None => !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS"),
                Some(Value::Bool(writes)) => *writes,
                Some(other) => {
                    bail!("{method} {path}: `{WRITES_EXTENSION}` must be a boolean, not {other}")
                }
            };
            let operation = Operation {
                api: api.to_owned(),
                method,
                path: format!("{base}{path}"),
                id: id.to_owned(),
                writes,
            };
            for param in operation.params() {
                if syn::parse_str::<syn::Ident>(&param.to_snake_case()).is_err() {
                    bail!(
                        "{} {path}: path parameter `{param}` cannot name a field",
                        operation.method
                    );
                }
            }
            operations.push(operation);
        }
    }
    Ok(operations)
}

/// The generated module: the table of `operations`, one row per line (the module is
/// `rustfmt::skip`), sorted by path then method; the `Api` enum; one enum per API; and
/// `Route::new`. Fails when two operations share a method and path (two specs mounted at the
/// same place) or an API has two operations with the same variant name — except one operation
/// (same method, path and `operationId`) that a vendor's base spec and a later contract of the
/// same vendor both describe (`whop.yaml` and `whop-current.yaml`): the base spec's row serves
/// it, and its facade tells the contracts apart by what the request says.
pub fn render(operations: &[Operation]) -> Result<String> {
    let mut sorted: BTreeMap<(&str, &str), &Operation> = BTreeMap::new();
    for operation in operations {
        let key = (operation.path.as_str(), operation.method.as_str());
        if let Some(earlier) = sorted.insert(key, operation) {
            if let Some(base) = shared_by_contracts(earlier, operation) {
                sorted.insert(key, base);
                continue;
            }
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
    let rows: Vec<&Operation> = sorted.into_values().collect();
    let apis: BTreeSet<&str> = rows.iter().map(|op| op.api.as_str()).collect();
    let mut code = format!(
        "{HEADER_PREFIX} from specs/*.yaml. Do not edit by hand.\n\n\
         use super::Operation;\n\n\
         /// Every operation of `specs/*.yaml` as the mock serves it, sorted by path and method.\n\
         pub(super) static OPERATIONS: &[Operation] = &[\n"
    );
    for op in &rows {
        writeln!(
            code,
            "    Operation {{ api: Api::{}, method: {:?}, path: {:?}, id: {:?}, writes: {} }},",
            api_variant(&op.api),
            op.method,
            op.path,
            op.id,
            op.writes
        )?;
    }
    code.push_str("];\n");
    render_api_enum(&mut code, &apis)?;
    for api in &apis {
        render_operation_enum(&mut code, api, &rows)?;
    }
    render_route(&mut code, &apis, &rows)?;
    syn::parse_file(&code).context("the operation table does not parse as Rust")?;
    Ok(code)
}

/// The base spec's row when `a` and `b` are one operation of a vendor described by its base
/// spec (named like the vendor) and by another of its contracts.
fn shared_by_contracts<'o>(a: &'o Operation, b: &'o Operation) -> Option<&'o Operation> {
    let vendor = |op: &Operation| mount_prefix(&op.api);
    if a.id != b.id || a.writes != b.writes || vendor(a) != vendor(b) {
        return None;
    }
    let is_base = |op: &Operation| format!("/{}", op.api) == vendor(op);
    match (is_base(a), is_base(b)) {
        (true, false) => Some(a),
        (false, true) => Some(b),
        _ => None,
    }
}

/// `pipedrive-v1` → `PipedriveV1`.
fn api_variant(api: &str) -> String {
    api.to_upper_camel_case()
}

/// `pipedrive-v1` → `PipedriveV1Operation`.
fn operation_enum(api: &str) -> String {
    format!("{}Operation", api_variant(api))
}

/// The operation enum of `api` as a type: with the lifetime of its path parameters, when any
/// of its operations has one.
fn operation_type(api: &str, rows: &[&Operation]) -> String {
    let borrows = rows
        .iter()
        .any(|op| op.api == api && !op.params().is_empty());
    let name = operation_enum(api);
    if borrows { format!("{name}<'a>") } else { name }
}

fn render_api_enum(code: &mut String, apis: &BTreeSet<&str>) -> Result<()> {
    code.push_str(
        "\n/// An API of `specs/`: one spec file.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n\
         pub enum Api {\n",
    );
    for api in apis {
        writeln!(
            code,
            "    /// `specs/{api}.yaml`.\n    {},",
            api_variant(api)
        )?;
    }
    code.push_str(
        "}\n\nimpl Api {\n    \
         /// The spec's file stem (`whop`, `pipedrive-v1`, …).\n    \
         pub fn name(self) -> &'static str {\n        match self {\n",
    );
    for api in apis {
        writeln!(code, "            Api::{} => {api:?},", api_variant(api))?;
    }
    code.push_str("        }\n    }\n}\n");
    Ok(())
}

fn render_operation_enum(code: &mut String, api: &str, rows: &[&Operation]) -> Result<()> {
    let mut variants = BTreeSet::new();
    writeln!(
        code,
        "\n/// An operation of `specs/{api}.yaml`, with its path parameters as the request spelled \
         them (still percent-encoded).\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq)]\n\
         pub enum {} {{",
        operation_type(api, rows)
    )?;
    for op in rows.iter().filter(|op| op.api == api) {
        let variant = op.variant();
        if !variants.insert(variant.clone()) {
            bail!("`{api}` has two operations named `{variant}` once camel-cased");
        }
        let params = op.params();
        writeln!(code, "    /// `{} {}`: `{}`.", op.method, op.path, op.id)?;
        if params.is_empty() {
            writeln!(code, "    {variant},")?;
            continue;
        }
        writeln!(code, "    {variant} {{")?;
        for param in params {
            writeln!(
                code,
                "        /// `{{{param}}}`.\n        {}: &'a str,",
                param.to_snake_case()
            )?;
        }
        code.push_str("    },\n");
    }
    code.push_str("}\n");
    Ok(())
}

fn render_route(code: &mut String, apis: &BTreeSet<&str>, rows: &[&Operation]) -> Result<()> {
    code.push_str(
        "\n/// A matched operation of any API, with its path parameters.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq)]\n\
         pub enum Route<'a> {\n",
    );
    for api in apis {
        writeln!(
            code,
            "    /// An operation of `specs/{api}.yaml`.\n    {}({}),",
            api_variant(api),
            operation_type(api, rows)
        )?;
    }
    code.push_str(
        "}\n\nimpl<'a> Route<'a> {\n    \
         /// The route of row `row` of [`OPERATIONS`] with its path parameters in path order;\n    \
         /// `None` when their number is not the row's.\n    \
         pub(super) fn new(row: usize, params: &[&'a str]) -> Option<Self> {\n        \
         Some(match (row, params) {\n",
    );
    for (row, op) in rows.iter().enumerate() {
        let params: Vec<String> = op.params().iter().map(|p| p.to_snake_case()).collect();
        let constructor = format!("{}::{}", operation_enum(&op.api), op.variant());
        let value = if params.is_empty() {
            constructor
        } else {
            format!("{constructor} {{ {} }}", params.join(", "))
        };
        writeln!(
            code,
            "            ({row}, [{}]) => Route::{}({value}),",
            params.join(", "),
            api_variant(&op.api)
        )?;
    }
    code.push_str("            _ => return None,\n        })\n    }\n}\n");
    Ok(())
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
                "/things/search": {"post": {"operationId": "searchThings", "x-persons-writes": false}},
                "/things/{thing_id}": {
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
        let rows: Vec<(&str, &str, &str, bool)> = operations
            .iter()
            .map(|op| {
                (
                    op.method.as_str(),
                    op.path.as_str(),
                    op.id.as_str(),
                    op.writes,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("POST", "/acme/api/v2/things", "addThing", true),
                ("POST", "/acme/api/v2/things/search", "searchThings", false),
                ("GET", "/acme/api/v2/things/{thing_id}", "getThing", false),
                (
                    "DELETE",
                    "/acme/api/v2/things/{thing_id}",
                    "deleteThing",
                    true
                ),
            ]
        );
        assert!(operations.iter().all(|op| op.api == "acme-v2"));
    }

    #[test]
    fn missing_ids_servers_and_bad_extensions_are_errors() {
        let mut without_id = document();
        without_id["paths"]["/things"]["post"] = json!({"summary": "no id"});
        let error = collect("acme", &without_id).unwrap_err().to_string();
        assert_eq!(error, "POST /things has no operationId");

        let mut without_server = document();
        without_server["servers"] = json!([]);
        let error = collect("acme", &without_server).unwrap_err().to_string();
        assert!(error.contains("no `servers` entry"), "{error}");

        let mut bad_writes = document();
        bad_writes["paths"]["/things"]["post"]["x-persons-writes"] = json!("yes");
        let error = collect("acme", &bad_writes).unwrap_err().to_string();
        assert!(
            error.contains("`x-persons-writes` must be a boolean"),
            "{error}"
        );
    }

    #[test]
    fn renders_sorted_rows_enums_and_routes() {
        let operations = collect("acme-v2", &document()).unwrap();
        let code = render(&operations).unwrap();
        assert!(code.starts_with(
            "// @generated by `cargo xtask codegen` from specs/*.yaml. Do not edit by hand.\n\n"
        ));
        let add = code.find("\"addThing\"").unwrap();
        let search = code.find("\"searchThings\"").unwrap();
        let delete = code.find("\"deleteThing\"").unwrap();
        let get = code.find("\"getThing\"").unwrap();
        assert!(add < search && search < delete && delete < get, "{code}");
        for expected in [
            "Operation { api: Api::AcmeV2, method: \"POST\", path: \"/acme/api/v2/things/search\", id: \"searchThings\", writes: false },",
            "pub enum AcmeV2Operation<'a> {",
            "    GetThing {\n        /// `{thing_id}`.\n        thing_id: &'a str,\n    },",
            "            (2, [thing_id]) => Route::AcmeV2(AcmeV2Operation::DeleteThing { thing_id }),",
        ] {
            assert!(code.contains(expected), "{expected}\n---\n{code}");
        }
    }

    #[test]
    fn rejects_clashes() {
        let operations = collect("acme-v2", &document()).unwrap();
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

        let mut contracts = operations.clone();
        contracts.push(Operation {
            api: "acme".into(),
            ..operations[0].clone()
        });
        let code = render(&contracts).unwrap();
        assert!(
            code.contains("path: \"/acme/api/v2/things\", id: \"addThing\"")
                && code.contains("Route::Acme(AcmeOperation::AddThing)")
                && code.contains("pub enum AcmeOperation {")
                && code.contains("Acme(AcmeOperation),")
                && !code.contains("AcmeV2Operation::AddThing"),
            "the base spec serves an operation both contracts describe:\n{code}"
        );

        let mut twins = operations.clone();
        twins.push(Operation {
            path: "/acme/api/v2/other".into(),
            id: "add_thing".into(),
            ..operations[0].clone()
        });
        let error = render(&twins).unwrap_err().to_string();
        assert!(error.contains("two operations named `AddThing`"), "{error}");
    }
}
