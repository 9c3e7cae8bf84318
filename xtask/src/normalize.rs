//! Rewrites an OpenAPI 3.1 document into the OpenAPI 3.0 form progenitor (through `openapiv3`)
//! understands. Documents that are already 3.0 pass through unchanged.
//!
//! The walk is structural: it visits schemas only where the OpenAPI object model puts them
//! (components, parameters, headers, media types, and the sub-schemas of a schema), so a property
//! that happens to be called `type` or `const` is never mistaken for a keyword.
//!
//! | 3.1 construct | 3.0 rewrite |
//! |---|---|
//! | `openapi: 3.1.x` | `openapi: 3.0.3` |
//! | `type: [T, "null"]` | `type: T`, `nullable: true` |
//! | `oneOf`/`anyOf` with a `{type: "null"}` branch | branch dropped, `nullable: true`; a single remaining `$ref` becomes `allOf: [$ref]`, a single inline schema is merged in |
//! | `const: v` | `enum: [v]` (and `type` from `v` when missing) |
//! | `examples: [..]` in a schema | `example` (the first one) |
//! | numeric `exclusiveMinimum`/`exclusiveMaximum` | `minimum`/`maximum` plus the boolean flag |
//! | `$ref` with sibling keywords in a schema | `allOf: [$ref]` beside the siblings |
//! | `summary`/`description` beside a non-schema `$ref` | dropped |
//! | `true` schema | `{}` |
//! | `webhooks`, `jsonSchemaDialect`, `info.summary`, `info.license.identifier` | dropped |
//!
//! What 3.0 cannot express (a type array with two non-null types, `prefixItems`, `if`/`then`,
//! `false` schemas, …) is rejected with the JSON pointer of the offending schema.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

/// The OpenAPI version written into normalised documents.
const TARGET_VERSION: &str = "3.0.3";

/// Top-level keys that only exist in OpenAPI 3.1 and have no effect on a generated client.
const DROPPED_TOP_LEVEL_KEYS: [&str; 2] = ["webhooks", "jsonSchemaDialect"];

/// Schema keywords that only mean something to JSON Schema 2020-12 tooling and are removed.
const DROPPED_SCHEMA_KEYWORDS: [&str; 2] = ["$schema", "$comment"];

/// JSON Schema 2020-12 keywords that OpenAPI 3.0 has no way to express.
const UNSUPPORTED_SCHEMA_KEYWORDS: [&str; 16] = [
    "prefixItems",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
];

/// A function that normalises one kind of OpenAPI object found at a JSON pointer.
type Walker = fn(&mut Value, &str) -> Result<()>;

/// The operation keys of a path item.
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Normalises `document` to OpenAPI 3.0: 3.0 documents are returned as they are, 3.1 documents
/// are rewritten (see the module docs), anything else is an error.
pub fn normalize(mut document: Value) -> Result<Value> {
    let version = document
        .get("openapi")
        .and_then(Value::as_str)
        .context("the document has no `openapi` version string")?;
    if version.starts_with("3.0.") {
        return Ok(document);
    }
    if !version.starts_with("3.1.") {
        bail!("unsupported OpenAPI version {version}; expected 3.0.x or 3.1.x");
    }
    let root = document
        .as_object_mut()
        .context("the document is not a JSON object")?;
    root.insert("openapi".into(), TARGET_VERSION.into());
    for key in DROPPED_TOP_LEVEL_KEYS {
        root.remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    if let Some(components) = root.get_mut("components") {
        walk_components(components, "#/components")?;
    }
    for (path, item) in entries_mut(root.get_mut("paths")) {
        walk_path_item(item, &child("#/paths", &path))?;
    }
    Ok(document)
}

/// Appends `key` to the JSON pointer `pointer`, escaping `~` and `/`.
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// The entries of a JSON object (an empty list for anything else), as owned keys so that the
/// values can be walked mutably.
fn entries_mut(value: Option<&mut Value>) -> Vec<(String, &mut Value)> {
    match value {
        Some(Value::Object(map)) => map.iter_mut().map(|(k, v)| (k.clone(), v)).collect(),
        _ => Vec::new(),
    }
}

/// The elements of a JSON array (none for anything else), with their pointers.
fn elements_mut<'a>(value: Option<&'a mut Value>, pointer: &str) -> Vec<(String, &'a mut Value)> {
    match value {
        Some(Value::Array(items)) => items
            .iter_mut()
            .enumerate()
            .map(|(index, item)| (child(pointer, &index.to_string()), item))
            .collect(),
        _ => Vec::new(),
    }
}

/// Strips the `summary`/`description` that 3.1 allows beside a non-schema `$ref`; returns whether
/// `value` was a reference (whose target is normalised where it is defined).
fn is_reference(value: &mut Value) -> bool {
    match value.as_object_mut() {
        Some(map) if map.contains_key("$ref") => {
            map.retain(|key, _| key == "$ref");
            true
        }
        _ => false,
    }
}

/// Walks `components`: every map of reusable objects that can hold schemas.
fn walk_components(components: &mut Value, pointer: &str) -> Result<()> {
    let Some(map) = components.as_object_mut() else {
        return Ok(());
    };
    if map.contains_key("pathItems") {
        bail!("{pointer}/pathItems: reusable path items are not supported by OpenAPI 3.0");
    }
    let walkers: [(&str, Walker); 6] = [
        ("schemas", walk_schema),
        ("parameters", walk_parameter),
        ("headers", walk_parameter),
        ("requestBodies", walk_content_holder),
        ("responses", walk_content_holder),
        ("callbacks", walk_callback),
    ];
    for (section, walk) in walkers {
        let section_pointer = child(pointer, section);
        for (name, value) in entries_mut(map.get_mut(section)) {
            walk(value, &child(&section_pointer, &name))?;
        }
    }
    Ok(())
}

/// Walks a path item: its shared parameters and each operation.
fn walk_path_item(item: &mut Value, pointer: &str) -> Result<()> {
    if is_reference(item) {
        return Ok(());
    }
    let Some(map) = item.as_object_mut() else {
        return Ok(());
    };
    let parameters_pointer = child(pointer, "parameters");
    for (item_pointer, parameter) in elements_mut(map.get_mut("parameters"), &parameters_pointer) {
        walk_parameter(parameter, &item_pointer)?;
    }
    for method in HTTP_METHODS {
        if let Some(operation) = map.get_mut(method) {
            walk_operation(operation, &child(pointer, method))?;
        }
    }
    Ok(())
}

/// Walks an operation: parameters, request body, responses and callbacks.
fn walk_operation(operation: &mut Value, pointer: &str) -> Result<()> {
    let Some(map) = operation.as_object_mut() else {
        return Ok(());
    };
    let parameters_pointer = child(pointer, "parameters");
    for (item_pointer, parameter) in elements_mut(map.get_mut("parameters"), &parameters_pointer) {
        walk_parameter(parameter, &item_pointer)?;
    }
    if let Some(body) = map.get_mut("requestBody") {
        walk_content_holder(body, &child(pointer, "requestBody"))?;
    }
    let responses_pointer = child(pointer, "responses");
    for (status, response) in entries_mut(map.get_mut("responses")) {
        walk_content_holder(response, &child(&responses_pointer, &status))?;
    }
    let callbacks_pointer = child(pointer, "callbacks");
    for (name, callback) in entries_mut(map.get_mut("callbacks")) {
        walk_callback(callback, &child(&callbacks_pointer, &name))?;
    }
    Ok(())
}

/// Walks a callback: a map from expressions to path items.
fn walk_callback(callback: &mut Value, pointer: &str) -> Result<()> {
    if is_reference(callback) {
        return Ok(());
    }
    for (expression, item) in entries_mut(Some(callback)) {
        walk_path_item(item, &child(pointer, &expression))?;
    }
    Ok(())
}

/// Walks a parameter or a header: its `schema` or its `content`.
fn walk_parameter(parameter: &mut Value, pointer: &str) -> Result<()> {
    if is_reference(parameter) {
        return Ok(());
    }
    if let Some(schema) = parameter.get_mut("schema") {
        walk_schema(schema, &child(pointer, "schema"))?;
    }
    walk_content(parameter, pointer)
}

/// Walks a request body or a response: its `content` and (responses) its `headers`.
fn walk_content_holder(holder: &mut Value, pointer: &str) -> Result<()> {
    if is_reference(holder) {
        return Ok(());
    }
    walk_content(holder, pointer)?;
    let headers_pointer = child(pointer, "headers");
    for (name, header) in entries_mut(holder.get_mut("headers")) {
        walk_parameter(header, &child(&headers_pointer, &name))?;
    }
    Ok(())
}

/// Walks the schema of every media type in `holder.content`.
fn walk_content(holder: &mut Value, pointer: &str) -> Result<()> {
    let content_pointer = child(pointer, "content");
    for (media_type, value) in entries_mut(holder.get_mut("content")) {
        if let Some(schema) = value.get_mut("schema") {
            let media_pointer = child(&content_pointer, &media_type);
            walk_schema(schema, &child(&media_pointer, "schema"))?;
        }
    }
    Ok(())
}

/// Normalises one schema and, recursively, its sub-schemas.
fn walk_schema(schema: &mut Value, pointer: &str) -> Result<()> {
    match schema {
        Value::Bool(true) => {
            *schema = json!({});
            return Ok(());
        }
        Value::Bool(false) => {
            bail!("{pointer}: the `false` schema has no OpenAPI 3.0 equivalent")
        }
        _ => {}
    }
    let Some(map) = schema.as_object_mut() else {
        bail!("{pointer}: a schema must be an object");
    };
    if let Some(keyword) = UNSUPPORTED_SCHEMA_KEYWORDS
        .iter()
        .find(|keyword| map.contains_key(**keyword))
    {
        bail!("{pointer}: `{keyword}` has no OpenAPI 3.0 equivalent");
    }
    for keyword in DROPPED_SCHEMA_KEYWORDS {
        map.remove(keyword);
    }
    wrap_ref_with_siblings(map);
    if map.contains_key("$ref") {
        return Ok(());
    }
    for keyword in ["oneOf", "anyOf"] {
        drop_null_branches(map, keyword, pointer)?;
    }
    rewrite_type_array(map, pointer)?;
    rewrite_const(map);
    rewrite_examples(map);
    rewrite_exclusive_bounds(map);
    walk_subschemas(map, pointer)
}

/// Walks the sub-schemas of a schema: properties, items, additionalProperties, not, and the
/// members of allOf/oneOf/anyOf.
fn walk_subschemas(map: &mut Map<String, Value>, pointer: &str) -> Result<()> {
    let properties_pointer = child(pointer, "properties");
    for (name, property) in entries_mut(map.get_mut("properties")) {
        walk_schema(property, &child(&properties_pointer, &name))?;
    }
    for keyword in ["items", "not"] {
        if let Some(sub) = map.get_mut(keyword) {
            walk_schema(sub, &child(pointer, keyword))?;
        }
    }
    if let Some(sub @ Value::Object(_)) = map.get_mut("additionalProperties") {
        walk_schema(sub, &child(pointer, "additionalProperties"))?;
    }
    for keyword in ["allOf", "oneOf", "anyOf"] {
        let keyword_pointer = child(pointer, keyword);
        for (item_pointer, sub) in elements_mut(map.get_mut(keyword), &keyword_pointer) {
            walk_schema(sub, &item_pointer)?;
        }
    }
    Ok(())
}

/// `{$ref, description, …}` → `{allOf: [{$ref}], description, …}`: 3.0 ignores keywords beside
/// a `$ref`, 3.1 applies them.
fn wrap_ref_with_siblings(map: &mut Map<String, Value>) {
    if map.len() < 2 {
        return;
    }
    if let Some(reference) = map.remove("$ref") {
        push_all_of(map, json!({ "$ref": reference }));
    }
}

/// Appends `schema` to the `allOf` of `map`, creating it when missing.
fn push_all_of(map: &mut Map<String, Value>, schema: Value) {
    match map.get_mut("allOf") {
        Some(Value::Array(members)) => members.push(schema),
        _ => {
            map.insert("allOf".into(), json!([schema]));
        }
    }
}

/// Whether `schema` only admits `null` (`{type: "null"}`, `{type: ["null"]}`, `{const: null}`).
fn is_null_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.iter().all(|kind| kind == "null"),
        _ => schema.get("const").is_some_and(Value::is_null),
    }
}

/// Drops the `null` branches of `oneOf`/`anyOf` and marks the schema nullable. A single
/// remaining `$ref` becomes `allOf: [$ref]`; a single remaining inline schema is merged into the
/// parent when their keywords do not overlap, and wrapped in `allOf` otherwise.
fn drop_null_branches(map: &mut Map<String, Value>, keyword: &str, pointer: &str) -> Result<()> {
    let Some(Value::Array(branches)) = map.get_mut(keyword) else {
        return Ok(());
    };
    let before = branches.len();
    branches.retain(|branch| !is_null_schema(branch));
    if branches.len() == before {
        return Ok(());
    }
    if branches.is_empty() {
        bail!("{pointer}/{keyword}: every branch is `null`; OpenAPI 3.0 cannot express that");
    }
    if branches.len() == 1 {
        let remaining = branches.remove(0);
        map.remove(keyword);
        match remaining {
            Value::Object(inline)
                if !inline.contains_key("$ref")
                    && inline.keys().all(|key| !map.contains_key(key)) =>
            {
                map.extend(inline);
            }
            other => push_all_of(map, other),
        }
    }
    map.insert("nullable".into(), true.into());
    Ok(())
}

/// `type: [T, "null"]` → `type: T` + `nullable: true`; rejects `type: "null"` alone and type
/// arrays with several non-null types.
fn rewrite_type_array(map: &mut Map<String, Value>, pointer: &str) -> Result<()> {
    let kinds = match map.get("type") {
        Some(Value::Array(kinds)) => kinds.clone(),
        Some(Value::String(kind)) if kind == "null" => {
            bail!("{pointer}: `type: null` outside a oneOf/anyOf has no OpenAPI 3.0 equivalent")
        }
        _ => return Ok(()),
    };
    let non_null: Vec<&Value> = kinds.iter().filter(|kind| *kind != "null").collect();
    match non_null.as_slice() {
        [single] => {
            map.insert("type".into(), (*single).clone());
            if non_null.len() < kinds.len() {
                map.insert("nullable".into(), true.into());
            }
            Ok(())
        }
        [] => bail!("{pointer}: `type: [\"null\"]` has no OpenAPI 3.0 equivalent"),
        _ => bail!(
            "{pointer}: `type: {}` has several non-null types, which OpenAPI 3.0 cannot express; \
             use oneOf",
            Value::Array(kinds)
        ),
    }
}

/// `const: v` → `enum: [v]`, adding the `type` of `v` when the schema has none.
fn rewrite_const(map: &mut Map<String, Value>) {
    let Some(value) = map.remove("const") else {
        return;
    };
    if !map.contains_key("type") {
        let kind = match &value {
            Value::String(_) => Some("string"),
            Value::Bool(_) => Some("boolean"),
            Value::Number(number) if number.is_f64() => Some("number"),
            Value::Number(_) => Some("integer"),
            Value::Array(_) => Some("array"),
            Value::Object(_) => Some("object"),
            Value::Null => None,
        };
        if let Some(kind) = kind {
            map.insert("type".into(), kind.into());
        }
    }
    map.insert("enum".into(), json!([value]));
}

/// Schema `examples: [a, …]` → `example: a` (3.0 schemas carry a single example).
fn rewrite_examples(map: &mut Map<String, Value>) {
    if let Some(Value::Array(examples)) = map.remove("examples")
        && !map.contains_key("example")
        && let Some(first) = examples.into_iter().next()
    {
        map.insert("example".into(), first);
    }
}

/// Numeric `exclusiveMinimum: n` → `minimum: n` + `exclusiveMinimum: true` (likewise for the
/// maximum), keeping whichever bound is stricter when both forms are present.
fn rewrite_exclusive_bounds(map: &mut Map<String, Value>) {
    rewrite_exclusive_bound(
        map,
        "exclusiveMinimum",
        "minimum",
        |inclusive, exclusive| inclusive > exclusive,
    );
    rewrite_exclusive_bound(
        map,
        "exclusiveMaximum",
        "maximum",
        |inclusive, exclusive| inclusive < exclusive,
    );
}

/// Rewrites one numeric exclusive bound; `inclusive_is_stricter(inclusive, exclusive)` tells
/// whether an inclusive bound already present makes the exclusive one redundant.
fn rewrite_exclusive_bound(
    map: &mut Map<String, Value>,
    exclusive_key: &str,
    inclusive_key: &str,
    inclusive_is_stricter: fn(f64, f64) -> bool,
) {
    let Some(Value::Number(exclusive)) = map.get(exclusive_key).cloned() else {
        return;
    };
    let keep_inclusive = map
        .get(inclusive_key)
        .and_then(Value::as_f64)
        .zip(exclusive.as_f64())
        .is_some_and(|(inclusive, exclusive)| inclusive_is_stricter(inclusive, exclusive));
    if keep_inclusive {
        map.remove(exclusive_key);
    } else {
        map.insert(inclusive_key.into(), Value::Number(exclusive));
        map.insert(exclusive_key.into(), true.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3.1 document whose only content is `schema` at `components.schemas.S`.
    fn doc_with_schema(schema: Value) -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": schema}}
        })
    }

    /// Normalises a document holding `schema` and returns the normalised schema.
    fn normalized_schema(schema: Value) -> Value {
        let document = normalize(doc_with_schema(schema)).unwrap();
        document["components"]["schemas"]["S"].clone()
    }

    /// The error message produced for a document holding `schema`.
    fn rejection(schema: Value) -> String {
        normalize(doc_with_schema(schema)).unwrap_err().to_string()
    }

    #[test]
    fn version_becomes_3_0_3() {
        let document = normalize(doc_with_schema(json!({"type": "string"}))).unwrap();
        assert_eq!(document["openapi"], "3.0.3");
    }

    #[test]
    fn openapi_3_0_passes_through_untouched() {
        let original = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": {"$ref": "#/x", "description": "kept"}}}
        });
        assert_eq!(normalize(original.clone()).unwrap(), original);
    }

    #[test]
    fn other_versions_are_rejected() {
        let error = normalize(json!({"openapi": "2.0"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unsupported OpenAPI version 2.0"), "{error}");
        let error = normalize(json!({"swagger": "2.0"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no `openapi` version"), "{error}");
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        assert_eq!(
            normalized_schema(json!({"type": ["string", "null"], "format": "date-time"})),
            json!({"type": "string", "format": "date-time", "nullable": true})
        );
    }

    #[test]
    fn type_array_without_null_becomes_a_plain_type() {
        assert_eq!(
            normalized_schema(json!({"type": ["integer"]})),
            json!({"type": "integer"})
        );
    }

    #[test]
    fn type_array_with_two_non_null_types_is_rejected() {
        let error = rejection(json!({"type": ["string", "integer", "null"]}));
        assert!(error.contains("#/components/schemas/S"), "{error}");
        assert!(error.contains("several non-null types"), "{error}");
    }

    #[test]
    fn null_type_alone_is_rejected() {
        assert!(rejection(json!({"type": "null"})).contains("`type: null`"));
        assert!(rejection(json!({"type": ["null"]})).contains("[\"null\"]"));
    }

    #[test]
    fn one_of_ref_or_null_becomes_nullable_all_of() {
        assert_eq!(
            normalized_schema(json!({
                "description": "d",
                "oneOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]
            })),
            json!({
                "description": "d",
                "allOf": [{"$ref": "#/components/schemas/T"}],
                "nullable": true
            })
        );
    }

    #[test]
    fn any_of_inline_or_null_is_merged_and_nullable() {
        assert_eq!(
            normalized_schema(json!({
                "description": "d",
                "anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]
            })),
            json!({"description": "d", "type": "string", "maxLength": 3, "nullable": true})
        );
    }

    #[test]
    fn inline_branch_overlapping_the_parent_is_wrapped() {
        assert_eq!(
            normalized_schema(json!({
                "description": "outer",
                "oneOf": [{"type": "string", "description": "inner"}, {"type": "null"}]
            })),
            json!({
                "description": "outer",
                "allOf": [{"type": "string", "description": "inner"}],
                "nullable": true
            })
        );
    }

    #[test]
    fn one_of_with_several_branches_and_null_keeps_the_rest() {
        assert_eq!(
            normalized_schema(json!({
                "oneOf": [
                    {"$ref": "#/components/schemas/A"},
                    {"$ref": "#/components/schemas/B"},
                    {"const": null}
                ]
            })),
            json!({
                "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                "nullable": true
            })
        );
    }

    #[test]
    fn one_of_with_only_null_is_rejected() {
        assert!(rejection(json!({"oneOf": [{"type": "null"}]})).contains("every branch"));
    }

    #[test]
    fn const_becomes_a_single_value_enum_with_its_type() {
        assert_eq!(
            normalized_schema(json!({"const": "page"})),
            json!({"type": "string", "enum": ["page"]})
        );
        assert_eq!(
            normalized_schema(json!({"type": "integer", "const": 3})),
            json!({"type": "integer", "enum": [3]})
        );
        assert_eq!(
            normalized_schema(json!({"const": 1.5})),
            json!({"type": "number", "enum": [1.5]})
        );
    }

    #[test]
    fn examples_array_becomes_example() {
        assert_eq!(
            normalized_schema(json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
        assert_eq!(
            normalized_schema(json!({"type": "string", "example": "x", "examples": ["a"]})),
            json!({"type": "string", "example": "x"})
        );
    }

    #[test]
    fn media_type_examples_map_is_left_alone() {
        let document = normalize(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {
                "description": "ok",
                "content": {"application/json": {
                    "schema": {"type": "string"},
                    "examples": {"one": {"value": "x"}}
                }}
            }}}}}
        }))
        .unwrap();
        let media =
            &document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(media["examples"], json!({"one": {"value": "x"}}));
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_form() {
        assert_eq!(
            normalized_schema(
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10})
            ),
            json!({
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": true,
                "maximum": 10,
                "exclusiveMaximum": true
            })
        );
    }

    #[test]
    fn stricter_inclusive_bound_wins_over_exclusive() {
        assert_eq!(
            normalized_schema(json!({"type": "integer", "minimum": 5, "exclusiveMinimum": 0})),
            json!({"type": "integer", "minimum": 5})
        );
        assert_eq!(
            normalized_schema(json!({"type": "integer", "maximum": 5, "exclusiveMaximum": 5})),
            json!({"type": "integer", "maximum": 5, "exclusiveMaximum": true})
        );
    }

    #[test]
    fn ref_with_siblings_becomes_all_of() {
        assert_eq!(
            normalized_schema(json!({"$ref": "#/components/schemas/T", "description": "d"})),
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "description": "d"})
        );
        assert_eq!(
            normalized_schema(json!({"$ref": "#/components/schemas/T"})),
            json!({"$ref": "#/components/schemas/T"})
        );
    }

    #[test]
    fn non_schema_ref_siblings_are_dropped() {
        let document = normalize(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {
                "parameters": [{"$ref": "#/components/parameters/P", "description": "d"}],
                "responses": {"404": {"$ref": "#/components/responses/R", "summary": "s"}}
            }}}
        }))
        .unwrap();
        let operation = &document["paths"]["/a"]["get"];
        assert_eq!(
            operation["parameters"][0],
            json!({"$ref": "#/components/parameters/P"})
        );
        assert_eq!(
            operation["responses"]["404"],
            json!({"$ref": "#/components/responses/R"})
        );
    }

    #[test]
    fn three_one_only_top_level_keys_are_dropped() {
        let document = normalize(json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {
                "title": "t",
                "summary": "s",
                "version": "1",
                "license": {"name": "MIT", "identifier": "MIT"}
            },
            "webhooks": {"w": {}},
            "paths": {}
        }))
        .unwrap();
        assert_eq!(
            document,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1", "license": {"name": "MIT"}},
                "paths": {}
            })
        );
    }

    #[test]
    fn boolean_schemas() {
        assert_eq!(
            normalized_schema(json!({"type": "object", "properties": {"any": true}})),
            json!({"type": "object", "properties": {"any": {}}})
        );
        assert_eq!(
            normalized_schema(json!({"type": "object", "additionalProperties": false})),
            json!({"type": "object", "additionalProperties": false})
        );
        assert!(rejection(json!({"type": "array", "items": false})).contains("`false` schema"));
    }

    #[test]
    fn unsupported_keywords_are_rejected_with_their_pointer() {
        let error = rejection(json!({
            "type": "object",
            "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}]}}
        }));
        assert!(
            error.contains("#/components/schemas/S/properties/pair"),
            "{error}"
        );
        assert!(error.contains("`prefixItems`"), "{error}");
        assert!(rejection(json!({"if": {}, "then": {}})).contains("`if`"));
    }

    #[test]
    fn reusable_path_items_are_rejected() {
        let error = normalize(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "components": {"pathItems": {"p": {}}}
        }))
        .unwrap_err()
        .to_string();
        assert!(error.contains("pathItems"), "{error}");
    }

    #[test]
    fn schemas_are_found_everywhere_the_object_model_puts_them() {
        let nullable = json!({"type": ["string", "null"]});
        let expected = json!({"type": "string", "nullable": true});
        let document = normalize(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": nullable}],
                "post": {
                    "parameters": [{"name": "q", "in": "query", "schema": nullable}],
                    "requestBody": {"content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "type": nullable,
                            "list": {"type": "array", "items": nullable},
                            "map": {"type": "object", "additionalProperties": nullable},
                            "all": {"allOf": [nullable]}
                        }
                    }}}},
                    "responses": {"200": {
                        "description": "ok",
                        "headers": {"X-H": {"schema": nullable}},
                        "content": {"application/json": {"schema": nullable}}
                    }}
                }
            }},
            "components": {
                "parameters": {"P": {"name": "p", "in": "query", "schema": nullable}},
                "headers": {"H": {"schema": nullable}},
                "requestBodies": {"B": {"content": {"text/plain": {"schema": nullable}}}},
                "responses": {"R": {"description": "r", "content": {"application/json": {"schema": nullable}}}}
            }
        }))
        .unwrap();
        let item = &document["paths"]["/a/{id}"];
        let body = &item["post"]["requestBody"]["content"]["application/json"]["schema"];
        let response = &item["post"]["responses"]["200"];
        let components = &document["components"];
        for found in [
            &item["parameters"][0]["schema"],
            &item["post"]["parameters"][0]["schema"],
            &body["properties"]["type"],
            &body["properties"]["list"]["items"],
            &body["properties"]["map"]["additionalProperties"],
            &body["properties"]["all"]["allOf"][0],
            &response["headers"]["X-H"]["schema"],
            &response["content"]["application/json"]["schema"],
            &components["parameters"]["P"]["schema"],
            &components["headers"]["H"]["schema"],
            &components["requestBodies"]["B"]["content"]["text/plain"]["schema"],
            &components["responses"]["R"]["content"]["application/json"]["schema"],
        ] {
            assert_eq!(found, &expected);
        }
    }

    #[test]
    fn a_property_named_like_a_keyword_is_not_rewritten() {
        let schema = json!({
            "type": "object",
            "properties": {"const": {"type": "string"}, "examples": {"type": "array", "items": {"type": "string"}}}
        });
        assert_eq!(normalized_schema(schema.clone()), schema);
    }
}
