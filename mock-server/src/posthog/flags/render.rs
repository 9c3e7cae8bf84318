//! The JSON bodies of flags: the REST serializer's, the local-evaluation definitions (built
//! once per change, with their ETag) and `/flags`'s records.

use std::rc::Rc;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};

use super::definition::Target;
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
        let mut chains = Chains::new(flags);
        let list: Vec<Value> = flags
            .iter()
            .filter(|flag| !flag.deleted)
            .map(|flag| {
                json!({
                    "id": flag.id,
                    "team_id": project_id,
                    "name": flag.name,
                    "key": flag.key,
                    "filters": chains.filters(flag),
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

/// The dependency chains of a project's flags, worked out once per definitions build.
///
/// PostHog's feed rewrites each flag filter (`{"type": "flag", "key": "<id>"}`) to name its
/// target by key and adds `dependency_chain`: the target's own dependencies, deepest first,
/// then the target (`flag-a, flag-b, flag-c` for a filter on `flag-c` that depends on `flag-a`
/// and `flag-b`). A cycle or a missing flag anywhere below the target empties the chain, and a
/// target that is not a live flag keeps its id as key (the SDKs then ask `/flags`).
struct Chains<'f> {
    flags: &'f Flags,
    /// `None` while a flag's chain is being worked out (meeting it again is a cycle), then
    /// its chain (`Some(None)`: unresolvable).
    known: FxHashMap<i64, Option<Option<Rc<[String]>>>>,
}

impl<'f> Chains<'f> {
    fn new(flags: &'f Flags) -> Self {
        Self {
            flags,
            known: FxHashMap::default(),
        }
    }

    /// `flag`'s filters as the feed serves them.
    fn filters(&mut self, flag: &Flag) -> Value {
        let mut filters = flag.filters.clone();
        let groups = filters.get_mut("groups").and_then(Value::as_array_mut);
        for group in groups.into_iter().flatten() {
            let properties = group.get_mut("properties").and_then(Value::as_array_mut);
            for property in properties.into_iter().flatten() {
                let Some(property) = property.as_object_mut() else {
                    continue;
                };
                if property.get("type").and_then(Value::as_str) != Some("flag") {
                    continue;
                }
                let id = property.get("key").and_then(flag_id);
                let target = id.and_then(|id| self.flags.by_id(id).filter(|flag| !flag.deleted));
                if let Some(target) = target {
                    property.insert("key".to_owned(), Value::String(target.key.clone()));
                }
                let chain: Vec<Value> = id
                    .and_then(|id| self.chain(id))
                    .map(|chain| chain.iter().cloned().map(Value::String).collect())
                    .unwrap_or_default();
                property.insert("dependency_chain".to_owned(), Value::Array(chain));
            }
        }
        filters
    }

    /// The chain ending with live flag `id` (`None`: it, or a flag below it, is missing, or
    /// there is a cycle below it).
    fn chain(&mut self, id: i64) -> Option<Rc<[String]>> {
        if let Some(known) = self.known.get(&id) {
            return known.clone().flatten();
        }
        let flag = self.flags.by_id(id).filter(|flag| !flag.deleted)?;
        self.known.insert(id, None);
        let mut chain: Option<Vec<String>> = Some(Vec::new());
        let dependencies = flag.rules.conditions.iter().flat_map(|condition| {
            condition
                .properties
                .iter()
                .filter_map(|filter| match filter.target {
                    Target::Flag(dependency) => Some(dependency),
                    _ => None,
                })
        });
        for dependency in dependencies {
            match (self.chain(dependency), chain.as_mut()) {
                (Some(below), Some(chain)) => {
                    for key in below.iter() {
                        if !chain.contains(key) {
                            chain.push(key.clone());
                        }
                    }
                }
                _ => chain = None,
            }
        }
        let chain: Option<Rc<[String]>> = chain.map(|mut chain| {
            chain.push(flag.key.clone());
            chain.into()
        });
        self.known.insert(id, Some(chain.clone()));
        chain
    }
}

/// A flag filter's `key` as a flag id (text or number).
fn flag_id(key: &Value) -> Option<i64> {
    match key {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
}

/// One flag's record in the detailed (`v>=2`) shape (`has_experiment` is false: the mock has
/// no experiments).
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
            "has_experiment": false,
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
