//! The person-property changes an event asks for ([`PropertyUpdates`]): its `$set`,
//! `$set_once` and `$unset`, plus the event properties ingestion lifts into person properties.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::log::SharedStr;
use super::properties::{Prop, Properties};

/// Event properties lifted into person properties (`$set`, and `$set_once` under the second
/// name), as PostHog's ingestion does.
const LIFTED: &[(&str, &str)] = &[
    ("$browser", "$initial_browser"),
    ("$browser_version", "$initial_browser_version"),
    ("$device_type", "$initial_device_type"),
    ("$current_url", "$initial_current_url"),
    ("$pathname", "$initial_pathname"),
    ("$os", "$initial_os"),
    ("$os_name", "$initial_os_name"),
    ("$os_version", "$initial_os_version"),
    ("$referring_domain", "$initial_referring_domain"),
    ("$referrer", "$initial_referrer"),
    ("$screen_height", "$initial_screen_height"),
    ("$screen_width", "$initial_screen_width"),
    ("$viewport_height", "$initial_viewport_height"),
    ("$viewport_width", "$initial_viewport_width"),
    ("$raw_user_agent", "$initial_raw_user_agent"),
    ("$app_build", "$initial_app_build"),
    ("$app_name", "$initial_app_name"),
    ("$app_namespace", "$initial_app_namespace"),
    ("$app_version", "$initial_app_version"),
    ("utm_source", "$initial_utm_source"),
    ("utm_medium", "$initial_utm_medium"),
    ("utm_campaign", "$initial_utm_campaign"),
    ("utm_content", "$initial_utm_content"),
    ("utm_name", "$initial_utm_name"),
    ("utm_term", "$initial_utm_term"),
    ("gclid", "$initial_gclid"),
    ("gad_source", "$initial_gad_source"),
    ("gclsrc", "$initial_gclsrc"),
    ("dclid", "$initial_dclid"),
    ("gbraid", "$initial_gbraid"),
    ("wbraid", "$initial_wbraid"),
    ("fbclid", "$initial_fbclid"),
    ("msclkid", "$initial_msclkid"),
    ("twclid", "$initial_twclid"),
    ("li_fat_id", "$initial_li_fat_id"),
    ("mc_cid", "$initial_mc_cid"),
    ("igshid", "$initial_igshid"),
    ("ttclid", "$initial_ttclid"),
    ("rdt_cid", "$initial_rdt_cid"),
    ("irclid", "$initial_irclid"),
    ("_kx", "$initial__kx"),
    ("epik", "$initial_epik"),
    ("qclid", "$initial_qclid"),
    ("sccid", "$initial_sccid"),
];

/// `pairs` in key order, each key once with its first value.
fn first_of_each(mut pairs: Pairs<'_>) -> Pairs<'_> {
    pairs.sort_by_key(|(key, _)| *key);
    pairs.dedup_by_key(|(key, _)| *key);
    pairs
}

/// The `$initial_…` key a lifted event property is `$set_once` under (a look-up in
/// [`LIFTED`]).
fn initial_key(key: &str) -> Option<&'static str> {
    static INITIAL: LazyLock<FxHashMap<&str, &str>> =
        LazyLock::new(|| LIFTED.iter().copied().collect());
    INITIAL.get(key).copied()
}

/// Person properties whose change does not write a person on its own (ingestion's
/// `FILTERED_PERSON_UPDATE_PROPERTIES`): they change on every page view.
const FILTERED: &[&str] = &[
    "$current_url",
    "$pathname",
    "$referring_domain",
    "$referrer",
    "$screen_height",
    "$screen_width",
    "$viewport_height",
    "$viewport_width",
    "$browser",
    "$browser_version",
    "$device_type",
    "$raw_user_agent",
    "$os",
    "$os_name",
    "$os_version",
    "$geoip_postal_code",
    "$geoip_time_zone",
    "$geoip_latitude",
    "$geoip_longitude",
    "$geoip_accuracy_radius",
    "$geoip_subdivision_1_code",
    "$geoip_subdivision_1_name",
    "$geoip_subdivision_2_code",
    "$geoip_subdivision_2_name",
    "$geoip_subdivision_3_code",
    "$geoip_subdivision_3_name",
    "$geoip_city_confidence",
    "$geoip_country_confidence",
    "$geoip_postal_code_confidence",
    "$geoip_subdivision_1_confidence",
    "$geoip_subdivision_2_confidence",
];

/// Whether `changes` (see [`PropertyUpdates::changes`]) to `properties` only give existing
/// filtered properties new values: no new key, no removal, no other change. Ingestion's
/// person store then skips the write (`getPersonUpdateOutcome` answers `ignored`).
pub fn only_filtered(changes: &[(&str, Option<&Prop>)], properties: &Properties) -> bool {
    changes.iter().all(|(key, value)| {
        value.is_some() && properties.contains_key(key) && FILTERED.contains(key)
    })
}

/// Replaces every NUL character in the string values of `properties`, at any depth, with
/// U+FFFD, as ingestion's `sanitizeJsonbValue` does before Postgres stores them.
pub fn replace_nul(properties: &mut Map<String, Value>) {
    properties.values_mut().for_each(replace_nul_in);
}

/// Replaces every NUL character in the strings of `value`, at any depth, with U+FFFD.
pub fn replace_nul_in(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = text.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(replace_nul_in),
        Value::Object(map) => map.values_mut().for_each(replace_nul_in),
        _ => {}
    }
}

/// (key, value) pairs of an event's updates, inline up to a page view's lifted properties.
pub type Pairs<'a> = SmallVec<[(&'a str, &'a Prop); 8]>;

/// The person-property changes an event asks for, borrowed from its properties.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropertyUpdates<'a> {
    /// Keys to set, overwriting, in key order.
    pub set: Pairs<'a>,
    /// Keys to set where missing, in key order.
    pub set_once: Pairs<'a>,
    /// Keys to remove.
    pub unset: Vec<&'a str>,
}

impl<'a> PropertyUpdates<'a> {
    /// The updates an event with `properties` carries, with the lifted event properties added.
    pub fn of(properties: &'a Properties) -> Self {
        let (mut set, mut set_once) = (Pairs::new(), Pairs::new());
        let mut unset = Vec::new();
        let mut is_server = false;
        let mut lifted: SmallVec<[(&str, &str, &Prop); 8]> = SmallVec::new();
        // One walk: the updates and flags by name, the lifted properties by look-up.
        for (key, value) in properties.iter() {
            match (key, value) {
                ("$set", Prop::Object(map)) => set.extend(map.iter()),
                ("$set_once", Prop::Object(map)) => set_once.extend(map.iter()),
                ("$unset", Prop::Array(keys)) => {
                    unset = keys.iter().filter_map(Value::as_str).collect();
                }
                ("$unset", Prop::Object(keys)) => unset = keys.iter().map(|(key, _)| key).collect(),
                ("$unset", Prop::Str(key)) => unset = vec![&**key],
                ("$is_server", flag) => is_server = *flag == Prop::Bool(true),
                _ => {
                    if let Some(initial) = initial_key(key) {
                        lifted.push((key, initial, value));
                    }
                }
            }
        }
        // After the objects', so that theirs win (`first_of_each`).
        for (key, initial, value) in lifted {
            if is_server && (key == "$os" || key == "$os_version") {
                continue;
            }
            set.push((key, value));
            set_once.push((initial, value));
        }
        Self {
            set: first_of_each(set),
            set_once: first_of_each(set_once),
            unset,
        }
    }

    /// What the updates change in `properties`: every key whose value they would alter,
    /// with its new value (`None`: removed), in key order. `$set_once` applies where the key
    /// is undefined, then `$set`, then `$unset` of the keys present before the event.
    pub fn changes(&self, properties: &Properties) -> Vec<(&'a str, Option<&'a Prop>)> {
        let mut changes: Vec<(&'a str, Option<&'a Prop>)> =
            Vec::with_capacity(self.set_once.len() + self.set.len() + self.unset.len());
        // The keys come in order, so the held values are read in one walk.
        let mut held = properties.iter().peekable();
        self.union(|key, value, once| {
            while held.next_if(|(held, _)| *held < key).is_some() {}
            let old = held
                .peek()
                .filter(|(held, _)| *held == key)
                .map(|(_, old)| *old);
            if !(once && old.is_some()) && old != Some(value) {
                changes.push((key, Some(value)));
            }
        });
        if self.unset.is_empty() {
            return changes;
        }
        // An unset of a key held before the event always changes it, and wins over a set.
        changes.extend(
            self.unset
                .iter()
                .filter(|key| properties.contains_key(key))
                .map(|&key| (key, None)),
        );
        changes.sort_by_key(|(key, _)| *key);
        let mut last_of_each: Vec<(&'a str, Option<&'a Prop>)> = Vec::with_capacity(changes.len());
        for (key, value) in changes {
            match last_of_each.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => last_of_each.push((key, value)),
            }
        }
        last_of_each
    }

    /// Calls `each` with `$set_once`'s pairs and `$set`'s, in key order, only `$set`'s where
    /// both have a key, and whether the pair is `$set_once`'s (both lists are sorted, each
    /// key once, so this is one merge).
    fn union(&self, mut each: impl FnMut(&'a str, &'a Prop, bool)) {
        let (mut set_once, mut set) = (self.set_once.iter().peekable(), self.set.iter().peekable());
        loop {
            let (next, once) = match (set_once.peek(), set.peek()) {
                (None, None) => return,
                (Some(_), None) => (set_once.next(), true),
                (None, Some(_)) => (set.next(), false),
                (Some((first, _)), Some((second, _))) => match first.cmp(second) {
                    std::cmp::Ordering::Less => (set_once.next(), true),
                    std::cmp::Ordering::Equal => {
                        set_once.next();
                        (set.next(), false)
                    }
                    std::cmp::Ordering::Greater => (set.next(), false),
                },
            };
            if let Some(&(key, value)) = next {
                each(key, value, once);
            }
        }
    }

    /// Applies the updates to `properties` (see [`PropertyUpdates::changes`]).
    pub fn apply_to(&self, properties: &mut Properties) {
        for (key, value) in self.changes(properties) {
            match value {
                Some(value) => properties.insert(key.into(), value.clone()),
                None => properties.remove(key),
            };
        }
    }

    /// The properties of a person the event creates: `$set_once`, then `$set` over it, then
    /// `extra` over both; their keys made by `text`.
    pub fn initial_properties(
        &self,
        extra: (&str, Prop),
        mut text: impl FnMut(&str) -> SharedStr,
    ) -> Properties {
        let mut pairs = Vec::with_capacity(self.set_once.len() + self.set.len() + 1);
        let (extra_key, extra_value) = extra;
        let mut extra = Some(extra_value);
        self.union(|key, value, _| {
            if let Some(extra) = extra.take_if(|_| key >= extra_key) {
                pairs.push((text(extra_key), extra));
                if key == extra_key {
                    return;
                }
            }
            pairs.push((text(key), value.clone()));
        });
        if let Some(extra) = extra {
            pairs.push((text(extra_key), extra));
        }
        Properties::from_sorted(pairs)
    }

    /// Whether the event changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.set_once.is_empty() && self.unset.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn properties(properties: Value) -> Properties {
        serde_json::from_value(properties).unwrap()
    }

    #[test]
    fn a_created_person_takes_the_updates_and_the_extra_property_over_them() {
        let extra = |key: &str| (key.to_owned(), Prop::Str("u".into()));
        let created = |event: Value, (key, value): (String, Prop)| {
            let event = properties(event);
            let initial = PropertyUpdates::of(&event)
                .initial_properties((&key, value), |key| SharedStr::from(key));
            serde_json::to_value(&initial).unwrap()
        };
        let event = serde_json::json!({
            "$set": {"$creator_event_uuid": "x", "a": 1}, "$set_once": {"a": 0, "z": 2}
        });
        assert_eq!(
            created(event.clone(), extra("$creator_event_uuid")),
            serde_json::json!({"$creator_event_uuid": "u", "a": 1, "z": 2})
        );
        assert_eq!(
            created(event.clone(), extra("m")),
            serde_json::json!({"$creator_event_uuid": "x", "a": 1, "m": "u", "z": 2})
        );
        assert_eq!(
            created(event, extra("zz")),
            serde_json::json!({"$creator_event_uuid": "x", "a": 1, "z": 2, "zz": "u"})
        );
        assert_eq!(
            created(serde_json::json!({}), extra("k")),
            serde_json::json!({"k": "u"})
        );
    }

    #[test]
    fn lifts_event_properties_without_overriding_set() {
        let event = properties(serde_json::json!({
            "$browser": "Firefox", "utm_source": "ads", "$os": "Linux", "$is_server": true,
            "$set": {"$browser": "Chrome"}, "$unset": {"old": true}
        }));
        let updates = PropertyUpdates::of(&event);
        let text = |pairs: &[(&str, &Prop)], key: &str| {
            pairs
                .iter()
                .find(|(held, _)| *held == key)
                .and_then(|(_, value)| value.as_str().map(str::to_owned))
        };
        assert_eq!(text(&updates.set, "$browser").as_deref(), Some("Chrome"));
        assert_eq!(text(&updates.set, "utm_source").as_deref(), Some("ads"));
        assert_eq!(
            text(&updates.set_once, "$initial_browser").as_deref(),
            Some("Firefox")
        );
        assert_eq!(
            text(&updates.set_once, "$initial_utm_source").as_deref(),
            Some("ads")
        );
        assert_eq!(text(&updates.set, "$os"), None);
        assert!(updates.set.is_sorted_by_key(|(key, _)| *key));
        assert_eq!(updates.unset, vec!["old"]);
    }

    #[test]
    fn changes_name_only_the_keys_whose_values_differ() {
        let event = properties(serde_json::json!({
            "$set": {"same": 1, "new": 2, "both": "set"},
            "$set_once": {"kept": "once", "fresh": "once", "both": "once"},
            "$unset": ["gone", "absent", "new"]
        }));
        let before = properties(serde_json::json!({
            "same": 1, "kept": "old", "gone": true
        }));
        let updates = PropertyUpdates::of(&event);
        let set = |value| Some(value);
        let changes: Vec<(&str, Option<Value>)> = updates
            .changes(&before)
            .into_iter()
            .map(|(key, value)| (key, value.map(Prop::to_value)))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("both", set(serde_json::json!("set"))),
                ("fresh", set(serde_json::json!("once"))),
                ("gone", None),
                ("new", set(serde_json::json!(2))),
            ],
            "`same` and `kept` keep their values, `absent` was never there and `new` was not \
             there before the event"
        );
        let mut after = before.clone();
        updates.apply_to(&mut after);
        assert_eq!(
            serde_json::to_value(&after).unwrap(),
            serde_json::json!({"same": 1, "kept": "old", "both": "set", "fresh": "once", "new": 2})
        );
    }
}
