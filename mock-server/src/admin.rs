//! The admin API under `/_admin`: health, reset, load a seed, export the state as a seed,
//! list tenants and keys, snapshot. Every route but `health` requires
//! `Authorization: Bearer <token>` when the server has an admin token.

use serde_json::json;

use crate::http::{ApiRequest, ApiResponse};
use crate::router::App;
use crate::seed::Seed;
use crate::tenants;

/// Where the admin API is mounted.
pub const PREFIX: &str = "/_admin";

/// Answers a request under [`PREFIX`]; `path` is the rest of it.
pub fn handle(app: &App, request: &ApiRequest, path: &str) -> ApiResponse {
    let route = path.trim_end_matches('/');
    if (request.method.as_str(), route) == ("GET", "/health") {
        return health(app);
    }
    if let Some(token) = app.admin_token()
        && request.bearer_token() != Some(token)
    {
        return error(
            401,
            "unauthorized",
            "The admin API needs `Authorization: Bearer <admin token>`.",
        );
    }
    match (request.method.as_str(), route) {
        ("GET", "/tenants") => ApiResponse::json(200, &tenants::list(app)),
        ("GET", "/export") => export(app, request),
        ("POST", "/reset") => reset(app, request),
        ("POST", "/seed") => load_seed(app, request),
        ("POST", "/snapshot") => snapshot(app),
        _ => error(
            404,
            "not_found",
            &format!(
                "No admin route {} {}{path}; see GET /_admin/health, GET /_admin/tenants, GET /_admin/export, POST /_admin/reset, POST /_admin/seed, POST /_admin/snapshot.",
                request.method, PREFIX
            ),
        ),
    }
}

fn health(app: &App) -> ApiResponse {
    ApiResponse::json(
        200,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "durable": app.is_durable(),
        }),
    )
}

fn export(app: &App, request: &ApiRequest) -> ApiResponse {
    let seed = app.export_seed();
    match request.query_param("format") {
        None | Some("json") => ApiResponse::new(200, "application/json", seed.to_json()),
        Some("yaml") => match serde_norway::to_string(&seed) {
            Ok(yaml) => ApiResponse::new(200, "application/yaml", yaml),
            Err(failure) => error(500, "export_failed", &failure.to_string()),
        },
        Some(other) => error(
            400,
            "invalid_parameter",
            &format!("`format` must be `json` or `yaml`, not `{other}`."),
        ),
    }
}

fn reset(app: &App, request: &ApiRequest) -> ApiResponse {
    match request.query_param("to") {
        None | Some("empty") => match app.reset() {
            Ok(()) => ApiResponse::json(200, &json!({"status": "reset", "to": "empty"})),
            Err(failure) => error(503, "storage_unavailable", &failure.to_string()),
        },
        Some("seed") => match app.reset_to_seed() {
            Ok(()) => ApiResponse::json(200, &json!({"status": "reset", "to": "seed"})),
            Err(failure) => error(500, "seed_failed", &failure),
        },
        Some(other) => error(
            400,
            "invalid_parameter",
            &format!("`to` must be `empty` or `seed`, not `{other}`."),
        ),
    }
}

fn load_seed(app: &App, request: &ApiRequest) -> ApiResponse {
    let replace = match request.query_param("replace") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return error(
                400,
                "invalid_parameter",
                &format!("`replace` must be `true` or `false`, not `{other}`."),
            );
        }
    };
    let Ok(text) = std::str::from_utf8(&request.body) else {
        return error(400, "invalid_seed", "The seed must be UTF-8 JSON or YAML.");
    };
    let seed = match Seed::parse(text) {
        Ok(seed) => seed,
        Err(failure) => return error(400, "invalid_seed", &failure.to_string()),
    };
    if replace {
        if let Err(failure) = App::default().load_seed(&seed) {
            return error(400, "invalid_seed", &failure.to_string());
        }
        if let Err(failure) = app.reset() {
            return error(503, "storage_unavailable", &failure.to_string());
        }
    }
    match app.load_seed(&seed) {
        Ok(()) => ApiResponse::json(200, &tenants::list(app)),
        Err(failure) => error(400, "invalid_seed", &failure.to_string()),
    }
}

fn snapshot(app: &App) -> ApiResponse {
    if !app.is_durable() {
        return error(
            409,
            "not_durable",
            "This server has no data directory (start it with --data-dir).",
        );
    }
    match app.snapshot() {
        Ok(()) => ApiResponse::json(200, &json!({"status": "snapshot written"})),
        Err(failure) => error(500, "snapshot_failed", &failure.to_string()),
    }
}

/// The admin API's error body: `{"error": {"type", "message"}}`.
fn error(status: u16, kind: &str, message: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        &json!({"error": {"type": kind, "message": message}}),
    )
}
