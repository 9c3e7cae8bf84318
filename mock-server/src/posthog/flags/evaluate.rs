//! PostHog's flag evaluation ("version 1" rules of the flags service, §3 of the reference):
//! early access, holdout, condition sets in stored order, rollout and variant hashes, the
//! reason of the highest priority seen, dependencies on other flags, and the properties a
//! condition sees (stored person properties, `distinct_id`, the request's overrides on top,
//! `$initial_` filled from the current value).

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use super::continuity::Continuity;
use super::definition::{Condition, PropertyFilter, Rules, Target};
use super::groups::{Groups, group_key};
use super::hash::{holdout_hash, rollout_hash, variant_hash};
use super::operator::{Operator, matches};
use super::{Flag, Flags};

/// Keys whose `$initial_` twin is filled from them when missing.
const INITIAL_KEYS: [&str; 42] = [
    "$browser",
    "$browser_version",
    "$os",
    "$os_version",
    "$device_type",
    "$current_url",
    "$pathname",
    "$referrer",
    "$referring_domain",
    "$app_build",
    "$app_name",
    "$app_namespace",
    "$app_version",
    "$screen_height",
    "$screen_width",
    "$viewport_height",
    "$viewport_width",
    "$raw_user_agent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
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
    "epik",
    "qclid",
    "sccid",
    "irclid",
    "_kx",
];

/// Who a flag is evaluated for.
pub struct Subject<'a> {
    /// The request's distinct id (what rollouts hash).
    pub distinct_id: &'a str,
    /// The same id as a property value.
    pub distinct_id_value: Value,
    /// The request's `person_properties` (they win).
    pub overrides: &'a Map<String, Value>,
    /// The stored properties of the person owning the distinct id, if any.
    pub stored: Option<&'a Map<String, Value>>,
    /// The device id, for flags bucketed by device.
    pub device_id: Option<&'a str>,
    /// Whether the person is in a cohort (by id).
    pub in_cohort: &'a dyn Fn(i64) -> bool,
    /// The request's `groups` (group type name → group key).
    pub groups: &'a Map<String, Value>,
    /// The request's `group_properties` (group type name → properties; they win).
    pub group_properties: &'a Map<String, Value>,
    /// The project's group types and stored group properties.
    pub stored_groups: &'a Groups,
    /// Now, in Unix seconds (relative dates).
    pub now: i64,
    /// What flags with experience continuity hash.
    pub continuity: Continuity<'a>,
}

/// The group a group-aggregated condition is about.
struct Group<'g> {
    /// Its type's index.
    index: usize,
    /// Its type's name.
    name: &'g str,
    /// Its key (what the rollout hashes).
    key: String,
}

impl Subject<'_> {
    /// The group of type `index` the request names, if the type exists and the request has it.
    fn group(&self, index: i64) -> Option<Group<'_>> {
        let index = usize::try_from(index).ok()?;
        let name = self.stored_groups.types().get(index)?;
        let key = group_key(self.groups.get(name)?)?;
        Some(Group { index, name, key })
    }

    /// Property `key` of `group`: the request's, else the stored one.
    fn group_property(&self, group: &Group<'_>, key: &str) -> Option<&Value> {
        self.group_properties
            .get(group.name)
            .and_then(|properties| properties.get(key))
            .or_else(|| {
                self.stored_groups
                    .properties(group.index, &group.key)
                    .and_then(|properties| properties.get(key))
            })
    }

    /// Property `key` as a condition sees it.
    pub fn property(&self, key: &str) -> Option<&Value> {
        if let Some(value) = self.overrides.get(key) {
            return Some(value);
        }
        if key == "distinct_id" {
            return Some(&self.distinct_id_value);
        }
        if let Some(value) = self.stored.and_then(|stored| stored.get(key)) {
            return Some(value);
        }
        let current = key.strip_prefix("$initial_")?;
        if INITIAL_KEYS.contains(&current) {
            return self.property(current);
        }
        None
    }
}

/// Why a flag has its value (`reason.code`), in the flags service's priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A dependency names no flag.
    MissingDependency,
    /// The flag is disabled.
    FlagDisabled,
    /// A group flag without the group in the request.
    NoGroupType,
    /// No condition's properties matched.
    NoConditionMatch,
    /// Properties matched, rollout did not.
    OutOfRolloutBound,
    /// A condition matched.
    ConditionMatch,
    /// In a holdout.
    HoldoutConditionValue,
    /// Decided by early-access enrollment.
    SuperConditionValue,
}

impl Reason {
    /// The code PostHog sends.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MissingDependency => "missing_dependency",
            Reason::FlagDisabled => "flag_disabled",
            Reason::NoGroupType => "no_group_type",
            Reason::NoConditionMatch => "no_condition_match",
            Reason::OutOfRolloutBound => "out_of_rollout_bound",
            Reason::ConditionMatch => "condition_match",
            Reason::HoldoutConditionValue => "holdout_condition_value",
            Reason::SuperConditionValue => "super_condition_value",
        }
    }

    /// The description PostHog sends (`index` is the condition's).
    pub fn description(self, index: Option<usize>) -> String {
        match self {
            Reason::MissingDependency => {
                "Flag cannot be evaluated due to missing dependency".to_owned()
            }
            Reason::FlagDisabled => "Feature flag is disabled".to_owned(),
            Reason::NoGroupType => "No group type".to_owned(),
            Reason::NoConditionMatch => "No matching condition set".to_owned(),
            Reason::OutOfRolloutBound => "Out of rollout bound".to_owned(),
            Reason::ConditionMatch => {
                format!("Matched condition set {}", index.unwrap_or(0) + 1)
            }
            Reason::HoldoutConditionValue => "Holdout condition value".to_owned(),
            Reason::SuperConditionValue => "Super condition value".to_owned(),
        }
    }
}

/// A flag's value for a subject.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Whether it is on.
    pub enabled: bool,
    /// The variant, when on and multivariate (or in a holdout).
    pub variant: Option<String>,
    /// Why.
    pub reason: Reason,
    /// The condition that decided, if one did.
    pub condition_index: Option<usize>,
}

impl Outcome {
    fn off(reason: Reason, condition_index: Option<usize>) -> Self {
        Self {
            enabled: false,
            variant: None,
            reason,
            condition_index,
        }
    }

    /// The value the legacy shapes send: the variant, else whether it is on.
    pub fn value(&self) -> Value {
        match &self.variant {
            Some(variant) if self.enabled => Value::String(variant.clone()),
            _ => Value::Bool(self.enabled),
        }
    }

    /// The payload text of this outcome in `flag`: the variant's, else `"true"`'s; none when
    /// off.
    pub fn payload<'f>(&self, flag: &'f Flag) -> Option<&'f str> {
        if !self.enabled {
            return None;
        }
        let key = self.variant.as_deref().unwrap_or("true");
        flag.rules.payloads.get(key).and_then(Value::as_str)
    }
}

/// Evaluates a project's flags for one subject, each at most once (dependencies included).
pub struct Evaluator<'a> {
    flags: &'a Flags,
    subject: &'a Subject<'a>,
    done: FxHashMap<i64, Option<Outcome>>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator of `flags` for `subject`.
    pub fn new(flags: &'a Flags, subject: &'a Subject<'a>) -> Self {
        Self {
            flags,
            subject,
            done: FxHashMap::default(),
        }
    }

    /// The outcome of `flag` (active, not deleted).
    pub fn evaluate(&mut self, flag: &Flag) -> Outcome {
        if let Some(Some(outcome)) = self.done.get(&flag.id) {
            return outcome.clone();
        }
        self.done.insert(flag.id, None);
        let outcome = self.rules(flag);
        self.done.insert(flag.id, Some(outcome.clone()));
        outcome
    }

    fn rules(&mut self, flag: &Flag) -> Outcome {
        let rules = &flag.rules;
        if rules.feature_enrollment
            && let Some(enrolled) = self
                .subject
                .property(&format!("$feature_enrollment/{}", flag.key))
        {
            let enabled = matches!(enrolled, Value::Bool(true))
                || enrolled.as_str().is_some_and(|text| text == "true");
            return Outcome {
                enabled,
                variant: None,
                reason: Reason::SuperConditionValue,
                condition_index: Some(0),
            };
        }
        if let Some(holdout) = rules.holdout {
            let id = self.holdout_identifier(flag);
            if holdout.percentage >= 100.0 || holdout_hash(id) <= holdout.percentage / 100.0 {
                return Outcome {
                    enabled: true,
                    variant: Some(format!("holdout-{}", holdout.id)),
                    reason: Reason::HoldoutConditionValue,
                    condition_index: None,
                };
            }
        }
        let identifier = self.identifier(flag);
        let mut best = (Reason::NoGroupType, None);
        for (index, condition) in rules.conditions.iter().enumerate() {
            let group = match condition.aggregation {
                Some(group_index) => match self.subject.group(group_index) {
                    Some(group) => Some(group),
                    None => {
                        if best.0 <= Reason::NoGroupType {
                            best = (Reason::NoGroupType, Some(index));
                        }
                        continue;
                    }
                },
                None => None,
            };
            let identifier = match &group {
                Some(group) => Some(group.key.as_str()),
                None => identifier,
            };
            let seen = match self.condition(flag, condition, identifier, group.as_ref()) {
                Ok(None) => return self.matched(flag, condition, index, identifier),
                Ok(Some(reason)) => reason,
                Err(Missing) => return Outcome::off(Reason::MissingDependency, None),
            };
            if best.0 <= seen {
                best = (seen, Some(index));
            }
            if seen == Reason::OutOfRolloutBound && rules.early_exit {
                return Outcome::off(seen, Some(index));
            }
        }
        Outcome::off(best.0, best.1)
    }

    /// What the person conditions of `flag` hash (the flags service's `hashed_identifier`):
    /// the device id for device bucketing (none without one, which fails their rollout), the
    /// continuity identifier for a flag with experience continuity, else the distinct id.
    fn identifier(&self, flag: &Flag) -> Option<&'a str> {
        let subject = self.subject;
        if flag.bucketing_identifier.as_deref() == Some("device_id") {
            return subject.device_id.filter(|id| !id.is_empty());
        }
        if flag.has_experience_continuity() {
            return Some(subject.continuity.identifier(flag, subject.distinct_id));
        }
        Some(subject.distinct_id)
    }

    /// What the holdout of `flag` hashes: as its conditions, but never a stored override, and
    /// the distinct id when device bucketing has no device id.
    fn holdout_identifier(&self, flag: &Flag) -> &'a str {
        let subject = self.subject;
        if flag.has_experience_continuity() {
            return subject.continuity.holdout_identifier(subject.distinct_id);
        }
        self.identifier(flag).unwrap_or(subject.distinct_id)
    }

    /// `None` when `condition` matches, else the reason it does not.
    fn condition(
        &mut self,
        flag: &Flag,
        condition: &Condition,
        identifier: Option<&str>,
        group: Option<&Group<'_>>,
    ) -> Result<Option<Reason>, Missing> {
        for filter in &condition.properties {
            if !self.filter(filter, group)? {
                return Ok(Some(Reason::NoConditionMatch));
            }
        }
        let Some(identifier) = identifier else {
            return Ok(Some(Reason::OutOfRolloutBound));
        };
        let inside = in_rollout(&flag.key, identifier, condition.rollout);
        Ok((!inside).then_some(Reason::OutOfRolloutBound))
    }

    fn matched(
        &self,
        flag: &Flag,
        condition: &Condition,
        index: usize,
        identifier: Option<&str>,
    ) -> Outcome {
        let variant = condition
            .variant
            .clone()
            .or_else(|| hashed_variant(&flag.key, identifier.unwrap_or_default(), &flag.rules));
        Outcome {
            enabled: true,
            variant,
            reason: Reason::ConditionMatch,
            condition_index: Some(index),
        }
    }

    fn filter(
        &mut self,
        filter: &PropertyFilter,
        group: Option<&Group<'_>>,
    ) -> Result<bool, Missing> {
        let matched = match &filter.target {
            Target::Person => matches(filter, self.subject.property(&filter.key), self.subject.now),
            Target::Group(_) => group.is_some_and(|group| {
                matches(
                    filter,
                    self.subject.group_property(group, &filter.key),
                    self.subject.now,
                )
            }),
            // The flags service's `apply_cohort_membership_logic`: `in` is membership,
            // `not_in` its absence, any other operator never matches, and a flag's cohort
            // filters do not read `negation` (only filters inside a cohort's definition do).
            Target::Cohort(id) => match filter.operator {
                Operator::In => (self.subject.in_cohort)(*id),
                Operator::NotIn => !(self.subject.in_cohort)(*id),
                _ => false,
            },
            Target::Flag(id) => {
                let target = self
                    .flags
                    .by_id(*id)
                    .filter(|flag| !flag.deleted)
                    .ok_or(Missing)?;
                if self.done.get(id) == Some(&None) {
                    return Err(Missing);
                }
                let outcome = if target.active {
                    self.evaluate(target)
                } else {
                    Outcome::off(Reason::FlagDisabled, None)
                };
                let matched = match &filter.value {
                    Value::Bool(true) => outcome.enabled,
                    Value::Bool(false) => !outcome.enabled,
                    Value::String(variant) => {
                        outcome.enabled && outcome.variant.as_deref() == Some(variant)
                    }
                    _ => false,
                };
                matched != filter.negation
            }
        };
        Ok(matched)
    }
}

/// A dependency on a flag that does not exist (or a cycle).
#[derive(Debug)]
struct Missing;

/// Whether `identifier` is inside `rollout` percent of flag `key` (`None` and 100: all,
/// without hashing; else `hash <= rollout / 100`).
pub fn in_rollout(key: &str, identifier: &str, rollout: Option<f64>) -> bool {
    match rollout {
        None => true,
        Some(rollout) if rollout >= 100.0 => true,
        Some(rollout) => rollout_hash(key, identifier) <= rollout / 100.0,
    }
}

/// The variant whose cumulative range holds the variant hash (exclusive upper bounds), if
/// any.
pub fn hashed_variant(key: &str, identifier: &str, rules: &Rules) -> Option<String> {
    if rules.variants.is_empty() {
        return None;
    }
    let hash = variant_hash(key, identifier);
    let mut cumulative = 0.0;
    for variant in &rules.variants {
        cumulative += variant.rollout / 100.0;
        if hash < cumulative {
            return Some(variant.key.clone());
        }
    }
    None
}
