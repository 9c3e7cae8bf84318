//! The JSON bodies of flags: the REST serializer's, the local-evaluation definitions (built
//! once per change, with their ETag) and `/flags`'s records.

use serde_json::{Map, Value, json};

use super::evaluate::Outcome;
use super::{Flag, Flags};
use crate::posthog::time;

/// A flag as the REST API renders it (`FeatureFlagSerializer`).
pub fn flag(flag: &Flag) -> Value {
    let user = json!({
        "first_name": flag.created_by.first_name,
        "email": flag.created_by.email,
    });
    json!({
        "id": flag.id,
        "name": flag.name,
        "key": flag.key,
        "filters": flag.filters,
        "deleted": flag.deleted,
        "active": flag.active,
        "created_by": user,
        "created_at": time::render(flag.created_at.unix_micros()),
        "updated_at": time::render(flag.updated_at.unix_micros()),
        "version": flag.version,
        "last_modified_by": user,
        "ensure_experience_continuity": flag.ensure_experience_continuity,
        "experiment_set": [],
        "surveys": [],
        "features": [],
        "rollback_conditions": null,
        "performed_rollback": false,
        "can_edit": true,
        "tags": flag.tags,
        "evaluation_tags": [],
        "usage_dashboard": null,
        "analytics_dashboards": [],
        "has_enriched_analytics": false,
        "user_access_level": "editor",
        "is_remote_configuration": false,
        "has_encrypted_payloads": false,
        "status": "ACTIVE",
        "evaluation_runtime": flag.evaluation_runtime,
        "bucketing_identifier": flag.bucketing_identifier,
        "last_called_at": null,
    })
}

/// The local-evaluation definitions of a project: the body and its ETag.
#[derive(Debug)]
pub struct Definitions {
    /// The JSON body.
    pub body: Vec<u8>,
    /// The weak ETag (`W/"…"`) of the body.
    pub etag: String,
}

impl Definitions {
    /// The definitions of `flags`: every flag not deleted (inactive ones too), no cohorts (the
    /// mock's cohorts are static, which PostHog leaves out so the SDKs ask `/flags`), the
    /// group type mapping.
    pub fn build(flags: &Flags, project_id: i64, group_types: &[String]) -> Self {
        let list: Vec<Value> = flags
            .iter()
            .filter(|flag| !flag.deleted)
            .map(|flag| {
                json!({
                    "id": flag.id,
                    "team_id": project_id,
                    "name": flag.name,
                    "key": flag.key,
                    "filters": flag.filters,
                    "deleted": false,
                    "active": flag.active,
                    "ensure_experience_continuity": flag.ensure_experience_continuity,
                    "has_encrypted_payloads": false,
                    "version": flag.version,
                    "evaluation_runtime": flag.evaluation_runtime,
                    "bucketing_identifier": flag.bucketing_identifier,
                    "evaluation_tags": [],
                })
            })
            .collect();
        let mapping: Map<String, Value> = group_types
            .iter()
            .enumerate()
            .map(|(index, name)| (index.to_string(), Value::String(name.clone())))
            .collect();
        let body = json!({"flags": list, "group_type_mapping": mapping, "cohorts": {}}).to_string();
        let mut sha1 = sha1_smol::Sha1::new();
        sha1.update(body.as_bytes());
        Self {
            etag: format!("W/\"{}\"", &sha1.digest().to_string()[..16]),
            body: body.into_bytes(),
        }
    }
}

/// One flag's record in the detailed (`v>=2`) shape.
pub fn detailed(flag: &Flag, outcome: &Outcome) -> Value {
    json!({
        "key": flag.key,
        "enabled": outcome.enabled,
        "variant": if outcome.enabled { outcome.variant.clone() } else { None },
        "reason": {
            "code": outcome.reason.code(),
            "condition_index": outcome.condition_index,
            "description": outcome.reason.description(outcome.condition_index),
        },
        "metadata": {
            "id": flag.id,
            "version": flag.version,
            "description": null,
            "payload": outcome.payload(flag),
        },
    })
}

/// The legacy (`/flags?v=1`, `/decide?v=3`) maps: every value, and the payloads of the flags
/// that are on and have one.
pub fn legacy(evaluated: &[(&Flag, Outcome)]) -> (Map<String, Value>, Map<String, Value>) {
    let mut values = Map::new();
    let mut payloads = Map::new();
    for (flag, outcome) in evaluated {
        values.insert(flag.key.clone(), outcome.value());
        if let Some(payload) = outcome.payload(flag) {
            payloads.insert(flag.key.clone(), Value::String(payload.to_owned()));
        }
    }
    (values, payloads)
}
