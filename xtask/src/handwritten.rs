//! Operations the SDK writes by hand: an operation marked `x-persons-handwritten: true` stays
//! in the spec (which describes the whole API) but is left out of what progenitor sees, so the
//! checks do not reject what progenitor cannot generate (e.g. `multipart/form-data` bodies).

use serde_json::Value;

/// The vendor extension that marks a hand-written operation.
pub const EXTENSION: &str = "x-persons-handwritten";

/// The HTTP methods a path item can hold operations under.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Removes every operation marked [`EXTENSION`]`: true` from `document` (and any path left
/// without operations); returns the removed operations as `METHOD /path`.
pub fn strip(document: &mut Value) -> Vec<String> {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    let mut emptied = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            let marked = item
                .get(method)
                .and_then(|operation| operation.get(EXTENSION))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if marked {
                item.remove(method);
                removed.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        if !METHODS.iter().any(|method| item.contains_key(*method)) {
            emptied.push(path.clone());
        }
    }
    for path in emptied {
        paths.remove(&path);
    }
    removed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn removes_marked_operations_and_emptied_paths() {
        let mut document = json!({
            "paths": {
                "/a": {
                    "post": {"operationId": "upload", EXTENSION: true},
                    "delete": {"operationId": "remove"}
                },
                "/b": {"post": {"operationId": "only", EXTENSION: true}, "parameters": []},
                "/c": {"get": {"operationId": "kept", EXTENSION: false}}
            }
        });
        let removed = strip(&mut document);
        assert_eq!(removed, vec!["POST /a", "POST /b"]);
        assert_eq!(
            document,
            json!({
                "paths": {
                    "/a": {"delete": {"operationId": "remove"}},
                    "/c": {"get": {"operationId": "kept", EXTENSION: false}}
                }
            })
        );
    }

    #[test]
    fn leaves_documents_without_paths_alone() {
        let mut document = json!({"openapi": "3.0.3"});
        assert!(strip(&mut document).is_empty());
        assert_eq!(document, json!({"openapi": "3.0.3"}));
    }
}
