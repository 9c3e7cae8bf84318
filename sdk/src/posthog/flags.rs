//! Remote feature-flag evaluation (`POST /flags/?v=2`) with the project token, as PostHog's
//! SDKs evaluate flags without a personal key: [`CaptureClient::flags`] answers every active
//! flag for one distinct id; [`FlagValues`] reads them (`is_enabled`, `variant`, `payload`,
//! `all_flags`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::capture::CaptureClient;
use crate::Error;

/// Who to evaluate flags for, and what the request knows about them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FlagsQuery {
    distinct_id: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    person_properties: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    groups: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flag_keys_to_evaluate: Option<Vec<String>>,
    #[serde(rename = "$anon_distinct_id", skip_serializing_if = "Option::is_none")]
    anon_distinct_id: Option<String>,
}

impl FlagsQuery {
    /// Flags for `distinct_id`.
    pub fn new(distinct_id: impl Into<String>) -> Self {
        Self {
            distinct_id: distinct_id.into(),
            ..Self::default()
        }
    }

    /// A person property to evaluate with (it wins over the stored one).
    #[must_use]
    pub fn person_property(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.person_properties.insert(key.to_owned(), value.into());
        self
    }

    /// A group the distinct id belongs to (`group_type` → `group_key`).
    #[must_use]
    pub fn group(mut self, group_type: &str, group_key: impl Into<Value>) -> Self {
        self.groups.insert(group_type.to_owned(), group_key.into());
        self
    }

    /// The anonymous id the distinct id was identified from (`$anon_distinct_id`, as
    /// posthog-js sends it after `identify`): flags with experience continuity keep hashing
    /// it, and PostHog stores it as the person's hash key for them.
    #[must_use]
    pub fn anon_distinct_id(mut self, anon_distinct_id: impl Into<String>) -> Self {
        self.anon_distinct_id = Some(anon_distinct_id.into());
        self
    }

    /// Evaluates only these flags.
    #[must_use]
    pub fn only<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.flag_keys_to_evaluate = Some(keys.into_iter().map(Into::into).collect());
        self
    }
}

/// The body of `POST /flags/`.
#[derive(Serialize)]
struct FlagsBody<'a> {
    token: &'a str,
    #[serde(flatten)]
    query: &'a FlagsQuery,
}

/// Why a flag has its value.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FlagReason {
    /// `condition_match`, `no_condition_match`, `out_of_rollout_bound`, …
    pub code: String,
    /// The deciding condition set, if any.
    pub condition_index: Option<u32>,
    /// PostHog's text (`Matched condition set 1`).
    pub description: Option<String>,
}

/// A flag's id, version and payload.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FlagMetadata {
    /// The flag's id.
    pub id: i64,
    /// Its version.
    pub version: i64,
    /// The payload's JSON text for the value, if any.
    pub payload: Option<String>,
}

/// One flag's evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FlagDetail {
    /// The flag's key.
    pub key: String,
    /// Whether it is on.
    pub enabled: bool,
    /// The variant of a multivariate flag that is on.
    pub variant: Option<String>,
    /// Why.
    pub reason: Option<FlagReason>,
    /// Id, version and payload.
    pub metadata: Option<FlagMetadata>,
}

/// The answer of `POST /flags/?v=2`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FlagValues {
    /// Every active flag evaluated, by key.
    pub flags: BTreeMap<String, FlagDetail>,
    /// Whether some flag could not be computed (its value is then unreliable).
    #[serde(rename = "errorsWhileComputingFlags", default)]
    pub errors_while_computing_flags: bool,
    /// PostHog's id of this evaluation.
    #[serde(rename = "requestId", default)]
    pub request_id: Option<String>,
}

impl FlagValues {
    /// Whether flag `key` is on (false for a flag the answer lacks).
    pub fn is_enabled(&self, key: &str) -> bool {
        self.flags.get(key).is_some_and(|flag| flag.enabled)
    }

    /// The variant of flag `key`, when it is on and multivariate.
    pub fn variant(&self, key: &str) -> Option<&str> {
        self.flags
            .get(key)
            .filter(|flag| flag.enabled)
            .and_then(|flag| flag.variant.as_deref())
    }

    /// The payload of flag `key` for its value, parsed from its JSON text.
    pub fn payload(&self, key: &str) -> Option<Value> {
        let text = self.flags.get(key)?.metadata.as_ref()?.payload.as_deref()?;
        serde_json::from_str(text).ok()
    }

    /// Every flag's value as the SDKs' `getAllFlags` gives it: the variant, else whether it
    /// is on.
    pub fn all_flags(&self) -> BTreeMap<&str, Value> {
        self.flags
            .iter()
            .map(|(key, flag)| {
                let value = match (&flag.variant, flag.enabled) {
                    (Some(variant), true) => Value::String(variant.clone()),
                    _ => Value::Bool(flag.enabled),
                };
                (key.as_str(), value)
            })
            .collect()
    }
}

impl CaptureClient {
    /// Evaluates the project's active flags for `query` (`POST /flags/?v=2`, the project
    /// token in the body, never gzipped). Errors are PostHog's plain-text bodies
    /// ([`ErrorBody::Capture`](super::ErrorBody::Capture)).
    pub async fn flags(&self, query: &FlagsQuery) -> Result<FlagValues, Error> {
        let body = FlagsBody {
            token: &self.project_token,
            query,
        };
        let bytes = self.post("/flags/?v=2", &body, false).await?;
        serde_json::from_slice(&bytes).map_err(|source| Error::InvalidResponse {
            body: bytes,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_read_like_the_sdks() {
        let values: FlagValues = serde_json::from_value(json!({
            "errorsWhileComputingFlags": false,
            "flags": {
                "multi": {"key": "multi", "enabled": true, "variant": "test",
                          "reason": {"code": "condition_match", "condition_index": 0, "description": "Matched condition set 1"},
                          "metadata": {"id": 1, "version": 2, "description": null, "payload": "{\"a\": 1}"}},
                "off": {"key": "off", "enabled": false, "variant": null,
                        "reason": {"code": "no_condition_match", "condition_index": 0, "description": "No matching condition set"},
                        "metadata": {"id": 2, "version": 1, "description": null, "payload": null}}
            },
            "requestId": "r"
        }))
        .unwrap();
        assert!(values.is_enabled("multi"));
        assert!(!values.is_enabled("off"));
        assert!(!values.is_enabled("missing"));
        assert_eq!(values.variant("multi"), Some("test"));
        assert_eq!(values.payload("multi"), Some(json!({"a": 1})));
        assert_eq!(values.payload("off"), None);
        assert_eq!(
            serde_json::to_value(values.all_flags()).unwrap(),
            json!({"multi": "test", "off": false})
        );
        let body = serde_json::to_value(FlagsBody {
            token: "phc_x",
            query: &FlagsQuery::new("u")
                .person_property("plan", "pro")
                .only(["multi"])
                .anon_distinct_id("anon-u"),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"token": "phc_x", "distinct_id": "u", "person_properties": {"plan": "pro"},
                   "flag_keys_to_evaluate": ["multi"], "$anon_distinct_id": "anon-u"})
        );
    }
}
