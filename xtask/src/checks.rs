//! Checks for what progenitor 0.15 would silently get wrong or panic on, run on the normalised
//! document before generation so that the error names the operation instead of a line in
//! progenitor's source.
//!
//! * an operation without `operationId` (progenitor errors without saying which spec);
//! * operationIds that collide once snake-cased (progenitor generates code that does not compile);
//! * more than one distinct success body, or error body, per operation (progenitor panics with
//!   `assertion failed: response_types.len() <= 1`; a 2xx with a body plus a 2xx without counts);
//! * a request body with several media types (progenitor panics with `not yet implemented`);
//! * a JSON media type with an `encoding` or without a `schema` (progenitor panics);
//! * a `*/` in any text progenitor turns into a doc comment (`description`, `summary`, `title`):
//!   a multi-line doc is printed as a `/** … */` block, which the `*/` ends early, and the
//!   generated file silently loses what follows.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use heck::ToSnakeCase;
use openapiv3::{MediaType, OpenAPI, Operation, ReferenceOr, Response, StatusCode};

/// Follow at most this many `$ref` hops before declaring a reference cycle.
const MAX_REFERENCE_HOPS: usize = 16;

/// One thing in a spec that progenitor would mishandle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The operation(s) concerned, e.g. `GET /people (listPeople)`.
    pub operation: String,
    /// What is wrong and what progenitor would do with it.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.detail)
    }
}

/// One operation of the spec, with the label used in messages.
struct OperationRef<'a> {
    /// `GET /people (listPeople)`.
    label: String,
    /// The operation itself.
    operation: &'a Operation,
}

/// Every problem found in `spec`, in document order (empty when generation is safe).
pub fn check(spec: &OpenAPI) -> Vec<Problem> {
    let mut problems = Vec::new();
    let operations = operations(spec, &mut problems);
    check_operation_ids(&operations, &mut problems);
    for op in &operations {
        check_responses(spec, op, &mut problems);
        check_request_body(spec, op, &mut problems);
    }
    check_doc_text(spec, &mut problems);
    problems
}

/// Reports every documentation text of `spec` containing `*/`, named by its JSON pointer.
fn check_doc_text(spec: &OpenAPI, problems: &mut Vec<Problem>) {
    /// Walks `value`, whose JSON pointer is `at`.
    fn walk(value: &serde_json::Value, at: &str, problems: &mut Vec<Problem>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (key, field) in fields {
                    let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    let is_doc = matches!(key.as_str(), "description" | "summary" | "title");
                    match field {
                        serde_json::Value::String(text) if is_doc && text.contains("*/") => {
                            problems.push(Problem {
                                operation: here,
                                detail: "the text contains `*/`, which ends progenitor's \
                                         `/** */` doc comment early and drops the code after it"
                                    .into(),
                            });
                        }
                        _ => walk(field, &here, problems),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{index}"), problems);
                }
            }
            _ => {}
        }
    }
    match serde_json::to_value(spec) {
        Ok(document) => walk(&document, "#", problems),
        Err(error) => problems.push(Problem {
            operation: "#".into(),
            detail: format!("the document cannot be re-serialised to look for `*/`: {error}"),
        }),
    }
}

/// The operations of `spec`; path items given as `$ref` (which progenitor rejects) are reported.
fn operations<'a>(spec: &'a OpenAPI, problems: &mut Vec<Problem>) -> Vec<OperationRef<'a>> {
    let mut operations = Vec::new();
    for (path, item) in &spec.paths.paths {
        let Some(item) = item.as_item() else {
            problems.push(Problem {
                operation: path.clone(),
                detail: "the path item is a $ref, which progenitor does not support".into(),
            });
            continue;
        };
        for (method, operation) in item.iter() {
            let id = operation
                .operation_id
                .as_deref()
                .unwrap_or("no operationId");
            operations.push(OperationRef {
                label: format!("{} {path} ({id})", method.to_uppercase()),
                operation,
            });
        }
    }
    operations
}

/// Reports operations without an operationId and operationIds that collide after snake-casing
/// (progenitor's method and builder names).
fn check_operation_ids(operations: &[OperationRef<'_>], problems: &mut Vec<Problem>) {
    let mut by_method_name: BTreeMap<String, Vec<&OperationRef<'_>>> = BTreeMap::new();
    for op in operations {
        match &op.operation.operation_id {
            None => problems.push(Problem {
                operation: op.label.clone(),
                detail: "missing operationId; progenitor needs one to name the method".into(),
            }),
            Some(id) => by_method_name
                .entry(id.to_snake_case())
                .or_default()
                .push(op),
        }
    }
    for (method_name, colliding) in by_method_name {
        if colliding.len() > 1 {
            let labels: Vec<&str> = colliding.iter().map(|op| op.label.as_str()).collect();
            problems.push(Problem {
                operation: labels.join(", "),
                detail: format!(
                    "operationIds collide as the Rust method `{method_name}`; \
                     progenitor would generate code that does not compile"
                ),
            });
        }
    }
}

/// The kind of body a response has, as progenitor classifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    /// No content.
    None,
    /// A JSON body, identified by its `$ref` or its inline schema text.
    Json(String),
    /// A body of any other media type, returned as raw bytes.
    Raw,
}

impl fmt::Display for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyKind::None => f.write_str("no body"),
            BodyKind::Json(schema) => f.write_str(schema),
            BodyKind::Raw => f.write_str("raw bytes"),
        }
    }
}

/// A response status as progenitor classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// An exact code such as `200`.
    Code(u16),
    /// A range such as `2XX`, holding its first digit.
    Range(u16),
    /// The `default` response.
    Default,
}

impl Status {
    /// The sort key progenitor uses: the code, a range's first code, `default` last.
    fn order(self) -> u16 {
        match self {
            Status::Code(code) => code,
            Status::Range(digit) => digit * 100,
            Status::Default => 1000,
        }
    }

    /// Whether progenitor counts the status among the success responses.
    fn is_success(self) -> bool {
        match self {
            Status::Code(code) => code == 101 || (200..=299).contains(&code),
            Status::Range(digit) => digit == 2,
            Status::Default => true,
        }
    }

    /// Whether progenitor counts the status among the error responses.
    fn is_error(self) -> bool {
        match self {
            Status::Code(code) => (400..=599).contains(&code),
            Status::Range(digit) => (4..=5).contains(&digit),
            Status::Default => true,
        }
    }
}

/// Reports operations with more than one distinct success body or error body.
fn check_responses(spec: &OpenAPI, op: &OperationRef<'_>, problems: &mut Vec<Problem>) {
    let mut responses: Vec<(String, Status, BodyKind)> = Vec::new();
    let declared = op
        .operation
        .responses
        .default
        .iter()
        .map(|response| ("default".to_string(), Status::Default, response))
        .chain(
            op.operation
                .responses
                .responses
                .iter()
                .map(|(status, response)| (status.to_string(), status_of(status), response)),
        );
    for (name, status, response) in declared {
        let lookup = |name: &str| spec.components.as_ref()?.responses.get(name);
        let resolved = match resolve(response, "#/components/responses/", lookup) {
            Ok(resolved) => resolved,
            Err(detail) => {
                problems.push(Problem {
                    operation: op.label.clone(),
                    detail: format!("response {name}: {detail}"),
                });
                continue;
            }
        };
        match body_kind(resolved) {
            Ok(kind) => responses.push((name, status, kind)),
            Err(detail) => problems.push(Problem {
                operation: op.label.clone(),
                detail: format!("response {name}: {detail}"),
            }),
        }
    }
    responses.sort_by_key(|(_, status, _)| status.order());

    let mut success: Vec<_> = responses.iter().filter(|r| r.1.is_success()).collect();
    // progenitor ignores `default` for success when a `2XX` range comes right before it.
    if let [.., (_, Status::Range(2), _), (_, Status::Default, _)] = success.as_slice() {
        success.pop();
    }
    let errors: Vec<_> = responses.iter().filter(|r| r.1.is_error()).collect();
    for (class, group) in [("success", success), ("error", errors)] {
        let kinds: BTreeSet<&BodyKind> = group.iter().map(|(_, _, kind)| kind).collect();
        if kinds.len() > 1 {
            let listing: Vec<String> = group
                .iter()
                .map(|(name, _, kind)| format!("{name} → {kind}"))
                .collect();
            problems.push(Problem {
                operation: op.label.clone(),
                detail: format!(
                    "{} distinct {class} response bodies ({}); progenitor supports one \
                     and panics otherwise",
                    kinds.len(),
                    listing.join(", ")
                ),
            });
        }
    }
}

/// Reports request bodies with several media types, or a JSON media type progenitor cannot handle.
fn check_request_body(spec: &OpenAPI, op: &OperationRef<'_>, problems: &mut Vec<Problem>) {
    let Some(body) = &op.operation.request_body else {
        return;
    };
    let lookup = |name: &str| spec.components.as_ref()?.request_bodies.get(name);
    let body = match resolve(body, "#/components/requestBodies/", lookup) {
        Ok(body) => body,
        Err(detail) => {
            problems.push(Problem {
                operation: op.label.clone(),
                detail: format!("request body: {detail}"),
            });
            return;
        }
    };
    if body.content.len() > 1 {
        let media_types: Vec<&str> = body.content.keys().map(String::as_str).collect();
        problems.push(Problem {
            operation: op.label.clone(),
            detail: format!(
                "request body has {} media types ({}); progenitor supports one and panics otherwise",
                media_types.len(),
                media_types.join(", ")
            ),
        });
    }
    if let Some(Err(detail)) = json_media_type(&body.content).map(json_schema_key) {
        problems.push(Problem {
            operation: op.label.clone(),
            detail: format!("request body: {detail}"),
        });
    }
}

/// Progenitor's view of a status key.
fn status_of(status: &StatusCode) -> Status {
    match status {
        StatusCode::Code(code) => Status::Code(*code),
        StatusCode::Range(digit) => Status::Range(*digit),
    }
}

/// The body kind of a (resolved) response, as progenitor classifies it.
fn body_kind(response: &Response) -> Result<BodyKind, String> {
    match json_media_type(&response.content) {
        Some(media_type) => json_schema_key(media_type).map(BodyKind::Json),
        None if response.content.is_empty() => Ok(BodyKind::None),
        None => Ok(BodyKind::Raw),
    }
}

/// The media type progenitor treats as JSON: `application/json`, parameters allowed.
fn json_media_type<'a>(
    content: impl IntoIterator<Item = (&'a String, &'a MediaType)>,
) -> Option<&'a MediaType> {
    content.into_iter().find_map(|(name, media_type)| {
        (name == "application/json" || name.starts_with("application/json;")).then_some(media_type)
    })
}

/// What identifies a JSON body's type: its `$ref`, or the text of its inline schema.
fn json_schema_key(media_type: &MediaType) -> Result<String, String> {
    if !media_type.encoding.is_empty() {
        return Err("application/json with an `encoding`, which progenitor panics on".into());
    }
    match &media_type.schema {
        Some(ReferenceOr::Reference { reference }) => Ok(reference.clone()),
        Some(schema @ ReferenceOr::Item(_)) => serde_json::to_string(schema)
            .map_err(|error| format!("cannot serialise the inline schema: {error}")),
        None => Err("application/json without a schema, which progenitor panics on".into()),
    }
}

/// Follows `$ref`s of the form `{prefix}{name}`, looking names up with `lookup`, to the item
/// they name.
fn resolve<'a, T>(
    mut item: &'a ReferenceOr<T>,
    prefix: &str,
    lookup: impl Fn(&str) -> Option<&'a ReferenceOr<T>>,
) -> Result<&'a T, String> {
    for _ in 0..MAX_REFERENCE_HOPS {
        match item {
            ReferenceOr::Item(found) => return Ok(found),
            ReferenceOr::Reference { reference } => {
                item = reference
                    .strip_prefix(prefix)
                    .and_then(&lookup)
                    .ok_or_else(|| format!("unresolvable reference {reference}"))?;
            }
        }
    }
    Err(format!(
        "more than {MAX_REFERENCE_HOPS} $ref hops (a cycle?)"
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A 3.0 document with `paths` and shared components.
    fn spec(paths: Value) -> OpenAPI {
        serde_json::from_value(json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {
                "schemas": {"A": {"type": "string"}, "B": {"type": "integer"}, "E": {"type": "object"}},
                "responses": {
                    "Err": {"description": "e", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
                    "ErrAlias": {"$ref": "#/components/responses/Err"},
                    "Other": {"description": "o", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}
                }
            }
        }))
        .unwrap()
    }

    /// A JSON response whose body is `#/components/schemas/{name}`.
    fn json_response(name: &str) -> Value {
        json!({"description": "r", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}})
    }

    /// The problems of a spec with a single `GET /a` operation answering `responses`.
    fn response_problems(responses: Value) -> Vec<Problem> {
        check(&spec(
            json!({"/a": {"get": {"operationId": "getA", "responses": responses}}}),
        ))
    }

    #[test]
    fn a_clean_spec_has_no_problems() {
        let problems = response_problems(json!({
            "200": json_response("A"),
            "201": json_response("A"),
            "400": {"$ref": "#/components/responses/Err"},
            "404": {"$ref": "#/components/responses/ErrAlias"}

        }));
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn a_comment_terminator_in_a_description_is_reported_with_its_pointer() {
        let problems = check(&spec(json!({"/a/{b}": {"get": {
            "operationId": "getA",
            "parameters": [{"name": "b", "in": "path", "required": true,
                            "description": "Accept: */* works", "schema": {"type": "string"}}],
            "responses": {"200": json_response("A")}
        }}})));
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].operation,
            "#/paths/~1a~1{b}/get/parameters/0/description"
        );
        assert!(problems[0].detail.contains("`*/`"));
    }

    #[test]
    fn missing_operation_id_is_reported() {
        let problems = check(&spec(
            json!({"/a": {"get": {"responses": {"200": json_response("A")}}}}),
        ));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].operation, "GET /a (no operationId)");
        assert!(problems[0].detail.contains("missing operationId"));
    }

    #[test]
    fn operation_ids_colliding_after_snake_casing_are_reported() {
        let problems = check(&spec(json!({
            "/a": {"get": {"operationId": "listPeople", "responses": {"200": json_response("A")}}},
            "/b": {"get": {"operationId": "list_people", "responses": {"200": json_response("A")}}},
            "/c": {"get": {"operationId": "ListPeople", "responses": {"200": json_response("A")}}}
        })));
        assert_eq!(problems.len(), 1);
        let message = problems[0].to_string();
        assert!(
            message.starts_with("GET /a (listPeople), GET /b (list_people), GET /c (ListPeople): "),
            "{message}"
        );
        assert!(message.contains("`list_people`"), "{message}");
    }

    #[test]
    fn two_success_schemas_are_reported() {
        let problems =
            response_problems(json!({"200": json_response("A"), "201": json_response("B")}));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].operation, "GET /a (getA)");
        assert!(
            problems[0].detail.contains(
                "2 distinct success response bodies (200 → #/components/schemas/A, 201 → #/components/schemas/B)"
            ),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn a_success_body_plus_an_empty_success_is_reported() {
        let problems = response_problems(json!({
            "200": json_response("A"),
            "204": {"description": "none"}
        }));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].detail.contains("204 → no body"),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn two_error_schemas_are_reported_after_resolving_response_refs() {
        let problems = response_problems(json!({
            "200": json_response("A"),
            "404": {"$ref": "#/components/responses/ErrAlias"},
            "500": {"$ref": "#/components/responses/Other"}
        }));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].detail.contains(
                "2 distinct error response bodies (404 → #/components/schemas/E, 500 → #/components/schemas/B)"
            ),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn default_counts_as_success_unless_a_2xx_range_precedes_it() {
        let problems = response_problems(json!({
            "200": json_response("A"),
            "default": {"$ref": "#/components/responses/Err"}
        }));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].detail.contains("success"));

        let problems = response_problems(json!({
            "2XX": json_response("A"),
            "default": {"$ref": "#/components/responses/Err"}
        }));
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn unresolvable_response_refs_are_reported() {
        let problems = response_problems(json!({
            "200": json_response("A"),
            "404": {"$ref": "#/components/responses/Missing"}
        }));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].detail.contains("unresolvable reference"));
    }

    #[test]
    fn request_body_with_several_media_types_is_reported() {
        let problems = check(&spec(json!({"/a": {"post": {
            "operationId": "postA",
            "requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/A"}},
                "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/A"}}
            }},
            "responses": {"200": json_response("A")}
        }}})));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].operation, "POST /a (postA)");
        assert!(
            problems[0]
                .detail
                .contains("2 media types (application/json, application/x-www-form-urlencoded)"),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn json_media_type_without_schema_is_reported() {
        let problems = response_problems(json!({
            "200": {"description": "r", "content": {"application/json": {}}}
        }));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].detail.contains("without a schema"));
    }
}
