//! Captured events: the normalised form the model ingests ([`NewEvent`]), what the log keeps
//! ([`StoredEvent`]) and the typed builder tests seed with ([`Event`]).

use serde_json::{Map, Value};
use uuid::Uuid;

/// Event properties lifted into person properties (`$set`, and `$set_once` as
/// `$initial_<key>`), as PostHog's ingestion does.
const LIFTED: &[&str] = &[
    "$browser",
    "$browser_version",
    "$device_type",
    "$current_url",
    "$pathname",
    "$os",
    "$os_name",
    "$os_version",
    "$referring_domain",
    "$referrer",
    "$screen_height",
    "$screen_width",
    "$viewport_height",
    "$viewport_width",
    "$raw_user_agent",
    "$app_build",
    "$app_name",
    "$app_namespace",
    "$app_version",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_name",
    "utm_term",
    "gclid",
    "gad_source",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "twclid",
    "li_fat_id",
    "mc_cid",
    "igshid",
    "ttclid",
    "rdt_cid",
    "irclid",
    "_kx",
    "epik",
    "qclid",
    "sccid",
];

/// An event ready for ingestion: top-level `$set`/`$set_once` already merged into its
/// properties, the distinct id a string, the time resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The event's UUID (`None`: the project derives one from its log position).
    pub uuid: Option<Uuid>,
    /// The event name.
    pub event: String,
    /// Who sent it.
    pub distinct_id: String,
    /// When it happened, in microseconds (`None`: the mock clock's now).
    pub timestamp: Option<i64>,
    /// Its properties, including `$set`, `$set_once`, `$unset`.
    pub properties: Map<String, Value>,
}

/// An event in a project's log.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// The event's UUID.
    pub uuid: Uuid,
    /// The event name.
    pub event: String,
    /// Who sent it.
    pub distinct_id: String,
    /// When it happened, in microseconds.
    pub timestamp: i64,
    /// Its properties.
    pub properties: Map<String, Value>,
}

/// The person-property changes an event asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropertyUpdates {
    /// Keys to set, overwriting.
    pub set: Map<String, Value>,
    /// Keys to set where missing.
    pub set_once: Map<String, Value>,
    /// Keys to remove.
    pub unset: Vec<String>,
}

impl PropertyUpdates {
    /// The updates `event` carries, with the lifted event properties added.
    pub fn of(event: &StoredEvent) -> Self {
        let object = |key: &str| match event.properties.get(key) {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        let mut set = object("$set");
        let mut set_once = object("$set_once");
        let unset = match event.properties.get("$unset") {
            Some(Value::Array(keys)) => keys
                .iter()
                .filter_map(|key| key.as_str().map(str::to_owned))
                .collect(),
            Some(Value::Object(keys)) => keys.keys().cloned().collect(),
            Some(Value::String(key)) => vec![key.clone()],
            _ => Vec::new(),
        };
        let is_server = event.properties.get("$is_server") == Some(&Value::Bool(true));
        for key in LIFTED {
            if is_server && (*key == "$os" || *key == "$os_version") {
                continue;
            }
            let Some(value) = event.properties.get(*key) else {
                continue;
            };
            if !set.contains_key(*key) {
                set.insert((*key).to_owned(), value.clone());
            }
            let initial = format!("$initial_{}", key.trim_start_matches('$'));
            set_once.entry(initial).or_insert_with(|| value.clone());
        }
        Self {
            set,
            set_once,
            unset,
        }
    }

    /// Applies `$set_once` (where the key is undefined), then `$set`, then `$unset` of the
    /// keys present before the event.
    pub fn apply_to(&self, properties: &mut Map<String, Value>) {
        let existed: Vec<bool> = self
            .unset
            .iter()
            .map(|key| properties.contains_key(key))
            .collect();
        for (key, value) in &self.set_once {
            if !properties.contains_key(key) {
                properties.insert(key.clone(), value.clone());
            }
        }
        for (key, value) in &self.set {
            properties.insert(key.clone(), value.clone());
        }
        for (key, existed) in self.unset.iter().zip(existed) {
            if existed {
                properties.remove(key);
            }
        }
    }

    /// Every key the updates name (set, set once or unset).
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .set
            .keys()
            .chain(self.set_once.keys())
            .chain(&self.unset)
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether the event changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.set_once.is_empty() && self.unset.is_empty()
    }
}

/// A typed builder of events for seeding a project from tests, as an SDK would send them.
///
/// ```
/// use persons_mock::posthog::Event;
///
/// let identify = Event::identify("user-1", "anon-1").set("email", "a@example.com");
/// let pageview = Event::new("$pageview", "anon-1").property("$browser", "Firefox");
/// # let _ = (identify, pageview);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    new: NewEvent,
}

impl Event {
    /// An event `name` by `distinct_id`, at the mock clock's now.
    pub fn new(name: &str, distinct_id: &str) -> Self {
        Self {
            new: NewEvent {
                uuid: None,
                event: name.to_owned(),
                distinct_id: distinct_id.to_owned(),
                timestamp: None,
                properties: Map::new(),
            },
        }
    }

    /// `$identify` of `distinct_id` with `$anon_distinct_id`.
    pub fn identify(distinct_id: &str, anon_distinct_id: &str) -> Self {
        Self::new("$identify", distinct_id).property("$anon_distinct_id", anon_distinct_id)
    }

    /// `$create_alias` sent as posthog-python's `alias(previous_id, alias)`.
    pub fn alias(previous_id: &str, alias: &str) -> Self {
        Self::new("$create_alias", previous_id)
            .property("distinct_id", previous_id)
            .property("alias", alias)
    }

    /// `$merge_dangerously` of `alias`'s person into `distinct_id`'s.
    pub fn merge_dangerously(distinct_id: &str, alias: &str) -> Self {
        Self::new("$merge_dangerously", distinct_id).property("alias", alias)
    }

    /// Adds an event property.
    pub fn property(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.new.properties.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a `$set` person property.
    pub fn set(self, key: &str, value: impl Into<Value>) -> Self {
        self.nested("$set", key, value.into())
    }

    /// Adds a `$set_once` person property.
    pub fn set_once(self, key: &str, value: impl Into<Value>) -> Self {
        self.nested("$set_once", key, value.into())
    }

    /// Adds a key to `$unset`.
    pub fn unset(mut self, key: &str) -> Self {
        let entry = self
            .new
            .properties
            .entry("$unset")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(keys) = entry {
            keys.push(key.into());
        }
        self
    }

    /// Marks the event personless (`$process_person_profile: false`).
    pub fn personless(self) -> Self {
        self.property("$process_person_profile", false)
    }

    /// Sets the event time, in Unix seconds.
    pub fn at(self, unix_seconds: i64) -> Self {
        self.at_micros(unix_seconds.saturating_mul(1_000_000))
    }

    /// Sets the event time, in microseconds since the epoch.
    pub fn at_micros(mut self, micros: i64) -> Self {
        self.new.timestamp = Some(micros);
        self
    }

    /// Sets the event UUID.
    pub fn uuid(mut self, uuid: Uuid) -> Self {
        self.new.uuid = Some(uuid);
        self
    }

    /// The normalised event.
    pub fn into_new_event(self) -> NewEvent {
        self.new
    }

    fn nested(mut self, object: &str, key: &str, value: Value) -> Self {
        let entry = self
            .new
            .properties
            .entry(object)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = entry {
            map.insert(key.to_owned(), value);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(properties: Value) -> StoredEvent {
        StoredEvent {
            uuid: Uuid::nil(),
            event: "$pageview".into(),
            distinct_id: "d".into(),
            timestamp: 0,
            properties: serde_json::from_value(properties).unwrap(),
        }
    }

    #[test]
    fn lifts_event_properties_without_overriding_set() {
        let updates = PropertyUpdates::of(&stored(serde_json::json!({
            "$browser": "Firefox", "utm_source": "ads", "$os": "Linux", "$is_server": true,
            "$set": {"$browser": "Chrome"}, "$unset": {"old": true}
        })));
        assert_eq!(updates.set["$browser"], "Chrome");
        assert_eq!(updates.set["utm_source"], "ads");
        assert_eq!(updates.set_once["$initial_browser"], "Firefox");
        assert_eq!(updates.set_once["$initial_utm_source"], "ads");
        assert!(!updates.set.contains_key("$os"));
        assert_eq!(updates.unset, vec!["old".to_owned()]);
    }

    #[test]
    fn builder_nests_person_updates() {
        let event = Event::new("e", "d")
            .set("a", 1)
            .set_once("b", 2)
            .unset("c")
            .into_new_event();
        assert_eq!(
            Value::Object(event.properties),
            serde_json::json!({"$set": {"a": 1}, "$set_once": {"b": 2}, "$unset": ["c"]})
        );
    }
}
