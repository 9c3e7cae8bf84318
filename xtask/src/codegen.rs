//! `cargo xtask codegen [--check]`: every document in `specs/` → load → normalise to OpenAPI 3.0
//! → drop hand-written operations → check → progenitor → `sdk/src/<vendor>/generated.rs`,
//! written or compared; and every operation of every document (hand-written ones included) →
//! the mock server's operation table, `mock-server/src/operations/generated.rs`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use openapiv3::OpenAPI;

use crate::layout::{self, Target};
use crate::{checks, diff, generate, handwritten, limits, normalize, operations, spec};

/// What to do with the regenerated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write every generated module and delete generated modules whose spec is gone.
    Write,
    /// Write nothing; fail with a diff when a committed module differs from its regeneration.
    Check,
}

/// Runs code generation for the workspace at `root`.
pub fn run(root: &Path, mode: Mode) -> Result<()> {
    let targets = layout::targets(root)?;
    if targets.is_empty() {
        bail!(
            "no OpenAPI documents found in {}",
            root.join("specs").display()
        );
    }
    let mut stale = Vec::new();
    let mut table = Vec::new();
    for target in &targets {
        let document = spec::load(&root.join(&target.spec)).with_context(|| target.spec_label())?;
        let code = render(document.clone(), target).with_context(|| target.spec_label())?;
        table.extend(
            operations::collect(&target.api, &document).with_context(|| target.spec_label())?,
        );
        emit(root, &target.output, &code, mode, &mut stale)?;
    }
    let table = operations::render(&table).context("the mock server's operation table")?;
    emit(
        root,
        Path::new(layout::MOCK_OPERATIONS),
        &table,
        mode,
        &mut stale,
    )?;
    for orphan in layout::orphans(root, &targets)? {
        match mode {
            Mode::Write => {
                fs::remove_file(root.join(&orphan))
                    .with_context(|| format!("removing {}", orphan.display()))?;
                println!("removed {} (its spec is gone)", orphan.display());
            }
            Mode::Check => stale.push(format!(
                "{} is generated but no spec in specs/ produces it\n",
                orphan.display()
            )),
        }
    }
    if stale.is_empty() {
        if mode == Mode::Check {
            println!("generated code is up to date ({} spec(s))", targets.len());
        }
        return Ok(());
    }
    for report in &stale {
        eprint!("{report}");
    }
    bail!(
        "{} generated file(s) out of date relative to specs/; run `cargo xtask codegen`",
        stale.len()
    )
}

/// Writes `code` to `output` (relative to `root`) or, in check mode, adds a report to `stale`
/// when the committed file differs.
fn emit(root: &Path, output: &Path, code: &str, mode: Mode, stale: &mut Vec<String>) -> Result<()> {
    let path = root.join(output);
    match mode {
        Mode::Write => write(&path, code),
        Mode::Check => {
            if let Some(report) = compare(&path, output, code)? {
                stale.push(report);
            }
            Ok(())
        }
    }
}

/// The generated module for one target, from its loaded spec `document`.
fn render(document: serde_json::Value, target: &Target) -> Result<String> {
    let mut document = normalize::normalize(document).context("normalising to OpenAPI 3.0")?;
    handwritten::strip(&mut document);
    limits::document(&mut document);
    let api: OpenAPI =
        serde_json::from_value(document).context("reading the normalised document")?;
    let problems = checks::check(&api);
    if !problems.is_empty() {
        let listing: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        bail!(
            "{} problem(s) progenitor would mishandle:\n{}",
            problems.len(),
            listing.join("\n")
        );
    }
    generate::generate(&api, &target.spec_label())
}

/// Writes `code` to `path` (creating its directory) unless the file already holds it.
fn write(path: &Path, code: &str) -> Result<()> {
    if fs::read_to_string(path).is_ok_and(|existing| existing == code) {
        println!("unchanged {}", path.display());
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, code).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// A report when the committed file at `path` (shown as `label`) is missing or differs from
/// `code`; `None` when it is up to date. Line endings are ignored.
fn compare(path: &Path, label: &Path, code: &str) -> Result<Option<String>> {
    let label = label.display().to_string();
    let committed = match fs::read_to_string(path) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(format!("{label} is missing\n")));
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    Ok((committed != code).then(|| diff::unified(&label, &committed, code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch workspace under the system temp dir, removed on drop.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        /// A fresh, empty workspace named after `test` holding `specs/` with `files`.
        fn new(test: &str, files: &[(&str, &str)]) -> Self {
            let root = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            fs::create_dir_all(root.join("specs")).unwrap();
            for (name, text) in files {
                fs::write(root.join("specs").join(name), text).unwrap();
            }
            Self(root)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A small OpenAPI 3.1 document using the 3.1 constructs the normaliser rewrites.
    const SPEC: &str = r#"
openapi: 3.1.0
info: {title: t, version: v1, license: {name: MIT, identifier: MIT}}
servers: [{url: 'https://api.acme.test/v2'}]
webhooks: {}
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {name: limit, in: query, schema: {type: integer, exclusiveMinimum: 0, examples: [10]}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}
components:
  schemas:
    Kind: {type: string, enum: [a, b]}
    Thing:
      type: object
      required: [kind, tag]
      properties:
        name: {type: [string, 'null']}
        kind: {$ref: '#/components/schemas/Kind', description: The kind.}
        parent: {oneOf: [{$ref: '#/components/schemas/Kind'}, {type: 'null'}]}
        tag: {const: thing}
"#;

    #[test]
    fn write_then_check_round_trips() {
        let scratch = Scratch::new("round-trip", &[("acme-v2.yaml", SPEC)]);
        run(&scratch.0, Mode::Write).unwrap();
        let output = scratch.0.join("sdk/src/acme/v2/generated.rs");
        let code = fs::read_to_string(&output).unwrap();
        assert!(code.starts_with(
            "// @generated by `cargo xtask codegen` from specs/acme-v2.yaml. Do not edit by hand."
        ));
        run(&scratch.0, Mode::Check).unwrap();

        fs::write(&output, code.replace("list_things", "list_stuff")).unwrap();
        let error = run(&scratch.0, Mode::Check).unwrap_err().to_string();
        assert!(error.contains("run `cargo xtask codegen`"), "{error}");
    }

    #[test]
    fn the_mock_operation_table_is_written_and_checked() {
        let scratch = Scratch::new("operations", &[("acme-v2.yaml", SPEC)]);
        run(&scratch.0, Mode::Write).unwrap();
        let table = scratch.0.join(layout::MOCK_OPERATIONS);
        let code = fs::read_to_string(&table).unwrap();
        assert!(
            code.contains(
                r#"api: Api::AcmeV2, method: "GET", path: "/acme/v2/things", id: "listThings", writes: false"#
            ),
            "{code}"
        );
        run(&scratch.0, Mode::Check).unwrap();

        fs::write(&table, code.replace("listThings", "listStuff")).unwrap();
        let error = run(&scratch.0, Mode::Check).unwrap_err().to_string();
        assert!(error.contains("1 generated file(s) out of date"), "{error}");

        let no_server = SPEC.replace("servers: [{url: 'https://api.acme.test/v2'}]\n", "");
        fs::write(scratch.0.join("specs/acme-v2.yaml"), no_server).unwrap();
        let error = format!("{:#}", run(&scratch.0, Mode::Write).unwrap_err());
        assert!(
            error.starts_with("specs/acme-v2.yaml: no `servers` entry"),
            "{error}"
        );
    }

    #[test]
    fn check_fails_on_missing_and_orphaned_files() {
        let scratch = Scratch::new("orphans", &[("acme.yaml", SPEC)]);
        assert!(run(&scratch.0, Mode::Check).is_err());

        run(&scratch.0, Mode::Write).unwrap();
        let orphan = scratch.0.join("sdk/src/gone/generated.rs");
        fs::create_dir_all(orphan.parent().unwrap()).unwrap();
        fs::write(
            &orphan,
            format!("{} from specs/gone.yaml.\n", generate::HEADER_PREFIX),
        )
        .unwrap();
        let error = run(&scratch.0, Mode::Check).unwrap_err().to_string();
        assert!(error.contains("1 generated file(s) out of date"), "{error}");

        run(&scratch.0, Mode::Write).unwrap();
        assert!(!orphan.exists());
        run(&scratch.0, Mode::Check).unwrap();
    }

    #[test]
    fn problems_name_the_spec_and_operations() {
        let spec = SPEC.replace("operationId: listThings", "summary: no id");
        let scratch = Scratch::new("problems", &[("acme.yaml", &spec)]);
        let error = format!("{:#}", run(&scratch.0, Mode::Write).unwrap_err());
        assert!(
            error.starts_with("specs/acme.yaml: 1 problem(s)"),
            "{error}"
        );
        assert!(
            error.contains("GET /things (no operationId): missing operationId"),
            "{error}"
        );
    }
}
