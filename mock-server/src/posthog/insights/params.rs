//! What every insight actors endpoint reads (reference §2): the parameters (query string,
//! then the JSON body, which wins), entities, global property filters and `search`, and the
//! persons a set of event names could concern.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::super::api::Call;
use super::super::error::PostHogError;
use super::super::filter::{Filters, PropertyTest};
use super::super::log::LoggedEvent;
use super::super::person::Person;
use super::super::search::Search;
use super::super::tenant::events::Indexed;
use super::super::tenant::{PersonIndex, Project};
use super::dates::{Interval, Range};

/// The request's parameters: the query string, overlaid by the JSON body's keys.
#[derive(Debug)]
pub struct Params {
    map: Map<String, Value>,
}

impl Params {
    /// The query string's parameters (the last of a repeated name wins), and with `body` the
    /// JSON body's keys over them.
    pub fn of(call: &Call<'_>, body: bool) -> Result<Self, PostHogError> {
        let mut map: Map<String, Value> = call
            .request
            .query
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect();
        if body {
            map.extend(call.body()?);
        }
        Ok(Self { map })
    }

    /// Parameters given as a map (a `/query/` source translated to the legacy names).
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// These parameters with `name` set to `value`.
    pub fn with(&self, name: &str, value: Value) -> Self {
        let mut map = self.map.clone();
        map.insert(name.to_owned(), value);
        Self { map }
    }

    /// Parameter `name` as text (a number or boolean spelt out); `None` when absent or null.
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        match self.map.get(name)? {
            Value::Null => None,
            Value::String(text) => Some(Cow::Borrowed(text)),
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// Parameter `name` as JSON: a string is decoded when it is JSON, else kept as a string.
    pub fn json(&self, name: &str) -> Option<Value> {
        match self.map.get(name)? {
            Value::Null => None,
            Value::String(text) => {
                Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())))
            }
            other => Some(other.clone()),
        }
    }

    /// Whether `name` is `true` or `"true"`.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.map.get(name), Some(Value::Bool(true)))
            || self.text(name).is_some_and(|text| text == "true")
    }

    /// An integer parameter as Python's `int()`: absent or empty → `None`; not an integer →
    /// PostHog's `ValueError`, a 500.
    pub fn int(&self, name: &str) -> Result<Option<i64>, PostHogError> {
        match self.text(name) {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| PostHogError::server_error()),
        }
    }

    /// `interval` and the `date_from`/`date_to` range (with `explicit_date`), see
    /// [`Range::parse`].
    pub fn range(&self, now: i64) -> Result<(Interval, Range), PostHogError> {
        let interval = Interval::parse(self.text("interval").as_deref())?;
        let range = Range::parse(
            self.text("date_from").as_deref(),
            self.text("date_to").as_deref(),
            interval,
            self.flag("explicit_date"),
            now,
        );
        Ok((interval, range))
    }

    /// `limit` (default 100; 0 too) and `offset` (default 0) under the given names.
    pub fn paging(&self, limit: &str, offset: &str) -> Result<(usize, usize), PostHogError> {
        let limit = self
            .int(limit)?
            .filter(|limit| *limit > 0)
            .map_or(100, |limit| usize::try_from(limit).unwrap_or(usize::MAX));
        let offset = usize::try_from(self.int(offset)?.unwrap_or(0)).unwrap_or(0);
        Ok((limit, offset))
    }
}

/// A series or funnel step: an event name (`None`: every event) with its own filters.
#[derive(Clone, Debug)]
pub struct Entity {
    /// The event name; `None` for "All events".
    pub id: Option<String>,
    /// The `math` (`first_time_for_user`, `dau`, …).
    pub math: Option<String>,
    /// The entity's property filters (event ones by default, person ones when typed so).
    pub conditions: Conditions,
    /// The raw entity object (exclusions read their step range from it).
    pub raw: Map<String, Value>,
}

impl Entity {
    /// Parses one entity object; relative dates in its filters count back from `now`.
    pub fn parse(raw: &Value, now: i64) -> Result<Self, PostHogError> {
        let object = raw
            .as_object()
            .ok_or_else(|| PostHogError::invalid("Entities must be objects."))?
            .clone();
        let id = match object.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(other) => Some(other.to_string()),
        };
        let math = object
            .get("math")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let conditions = Conditions::parse(object.get("properties"), now)?;
        Ok(Self {
            id,
            math,
            conditions,
            raw: object,
        })
    }

    /// Parses an entity that keeps its own `type` (PostHog forces `events` or `actions` on
    /// the `events`/`actions` lists only): a funnel exclusion, a correlation person entity.
    /// `type: actions` is the mock's actions 400 ([`no_actions`]) rather than an event named
    /// by the action's id.
    pub fn parse_typed(raw: &Value, now: i64) -> Result<Self, PostHogError> {
        if raw.get("type").and_then(Value::as_str) == Some("actions") {
            return Err(no_actions());
        }
        Self::parse(raw, now)
    }

    /// The entity with its event name looked up in `project`'s index, to match the events
    /// the index gives.
    pub fn resolve(&self, project: &Project) -> Matcher<'_> {
        let name = match &self.id {
            None => Name::Any,
            Some(id) => project.event_name_id(id).map_or(Name::Unknown, Name::Is),
        };
        Matcher { entity: self, name }
    }
}

/// Which event names an entity takes, as numbers of the project's index.
#[derive(Clone, Copy, Debug)]
enum Name {
    /// "All events".
    Any,
    /// The events of this name.
    Is(u32),
    /// A name no event has.
    Unknown,
}

/// An [`Entity`] resolved against one project ([`Entity::resolve`]).
#[derive(Clone, Copy, Debug)]
pub struct Matcher<'e> {
    entity: &'e Entity,
    name: Name,
}

impl Matcher<'_> {
    /// Whether person `index` of `project` passes the entity's person and cohort filters;
    /// when it does not, none of its events are the entity's. Asked once per person, so
    /// [`Self::matches`] tests only what varies by event.
    pub fn admits(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.entity
            .conditions
            .matches_member(project, index, person)
    }

    /// Whether `event` of a person the entity [`admits`](Self::admits) is one of the
    /// entity's: its name first, so the event's properties are read only when the entity
    /// filters on them.
    pub fn matches(&self, event: &Lazy<'_>) -> bool {
        let named = match self.name {
            Name::Any => true,
            Name::Is(name) => name == event.at.name,
            Name::Unknown => false,
        };
        named && self.entity.conditions.matches_lazy(event)
    }

    /// The entity.
    pub fn entity(&self) -> &Entity {
        self.entity
    }

    /// The name number that alone decides whether an event is the entity's: some when the
    /// entity names one event that some event has, and filters on no event property.
    pub fn name_only(&self) -> Option<u32> {
        match self.name {
            Name::Is(name) if !self.entity.conditions.tests_events() => Some(name),
            Name::Is(_) | Name::Any | Name::Unknown => None,
        }
    }
}

/// An event as the project's index gives it (time, log position, name): its log entry, for
/// its properties, is read only when a filter or breakdown asks.
#[derive(Clone, Copy, Debug)]
pub struct Lazy<'p> {
    project: &'p Project,
    /// Its time, log position and name.
    pub at: Indexed,
}

impl<'p> Lazy<'p> {
    /// The event at `at` of `project`.
    pub fn new(project: &'p Project, at: Indexed) -> Self {
        Self { project, at }
    }

    /// The whole event, read from the log.
    pub fn event(&self) -> Option<LoggedEvent<'p>> {
        self.project.event_at(self.at.position)
    }

    /// Property `key` of the event.
    pub fn property(&self, key: &str) -> Option<Value> {
        self.event()?.properties.value(key)
    }

    /// Whether the event is personless (`$process_person_profile: false`).
    pub fn personless(&self) -> bool {
        self.property("$process_person_profile") == Some(Value::Bool(false))
    }
}

/// The events of person `index` from `from` to `to` (inclusive), oldest first, unread.
pub fn events_of(project: &Project, index: PersonIndex, from: i64, to: i64) -> Vec<Lazy<'_>> {
    project
        .indexed_events(index, from, to)
        .into_iter()
        .map(|at| Lazy::new(project, at))
        .collect()
}

/// The `events` entities in PostHog's order (stable by `order`, a missing or 0 order as −1);
/// a non-empty `actions` is a 400, as the mock does not model actions.
pub fn entities(params: &Params, now: i64) -> Result<Vec<Entity>, PostHogError> {
    if let Some(Value::Array(actions)) = params.json("actions")
        && !actions.is_empty()
    {
        return Err(no_actions());
    }
    let raw = match params.json("events") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(PostHogError::invalid("events must be a JSON array.")),
    };
    let mut keyed = raw
        .iter()
        .map(|item| {
            let order = item
                .get("order")
                .and_then(Value::as_i64)
                .filter(|o| *o != 0);
            Entity::parse(item, now).map(|entity| (order.unwrap_or(-1), entity))
        })
        .collect::<Result<Vec<_>, _>>()?;
    keyed.sort_by_key(|(order, _)| *order);
    Ok(keyed.into_iter().map(|(_, entity)| entity).collect())
}

/// The 400 for action entities, which the mock does not model.
pub fn no_actions() -> PostHogError {
    PostHogError::invalid("The mock does not model actions: use events entities.")
}

/// Property filters split by what they test: event properties, person properties (with
/// cohorts, through the persons list's filters).
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    event: Vec<PropertyTest>,
    person: Filters,
    person_tests: Vec<PropertyTest>,
}

impl Conditions {
    /// Whether any filter tests the event's properties (type `event`, or no type).
    pub fn tests_events(&self) -> bool {
        !self.event.is_empty()
    }

    /// Parses a filter list (a JSON array, its JSON text, an `AND` group, or the legacy
    /// `{"key": "value"}` shorthand for exact matches). An `OR` group is a 400: the mock
    /// evaluates filters ANDed only.
    pub fn parse(raw: Option<&Value>, now: i64) -> Result<Self, PostHogError> {
        let mut items = Vec::new();
        if let Some(raw) = raw {
            flatten(raw, &mut items)?;
        }
        let mut conditions = Conditions::default();
        let mut person_items = Vec::new();
        for item in items {
            match item.get("type").and_then(Value::as_str) {
                None | Some("event") => {
                    if let Some(test) = PropertyTest::parse(&item, now)? {
                        conditions.event.push(test);
                    }
                }
                Some("person") => {
                    if let Some(test) = PropertyTest::parse(&item, now)? {
                        conditions.person_tests.push(test);
                    }
                }
                Some(_) => person_items.push(item),
            }
        }
        if !person_items.is_empty() {
            let json = Value::Array(person_items).to_string();
            conditions.person = Filters::parse(&json, now)?;
        }
        Ok(conditions)
    }

    /// Whether `event`'s properties pass the event filters.
    pub fn matches_event(&self, event: &LoggedEvent<'_>) -> bool {
        self.event
            .iter()
            .all(|test| test.matches(&event.properties))
    }

    /// Whether `event`'s properties pass the event filters, reading them only if there are
    /// any.
    pub fn matches_lazy(&self, event: &Lazy<'_>) -> bool {
        self.event.is_empty()
            || event
                .event()
                .is_some_and(|event| self.matches_event(&event))
    }

    /// Whether `person`'s properties pass the person filters (not cohorts).
    pub fn matches_person(&self, person: &Person) -> bool {
        self.person_tests
            .iter()
            .all(|test| test.matches(&person.properties))
    }

    /// Whether `person` passes the person filters, cohorts included.
    pub fn matches_member(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.matches_person(person) && self.person.matches(project, index, person)
    }
}

/// Collects the filter objects of `raw` into `items`.
fn flatten(raw: &Value, items: &mut Vec<Value>) -> Result<(), PostHogError> {
    let unparsable = || PostHogError::invalid("Properties are unparsable!");
    match raw {
        Value::String(text) if text.trim().is_empty() => Ok(()),
        Value::String(text) => flatten(
            &serde_json::from_str(text).map_err(|_| unparsable())?,
            items,
        ),
        Value::Array(values) => values.iter().try_for_each(|value| flatten(value, items)),
        Value::Object(object) if object.contains_key("values") => {
            match object.get("type").and_then(Value::as_str) {
                None | Some("AND") => flatten(&object["values"], items),
                Some(_) => Err(PostHogError::invalid(
                    "The mock evaluates AND property groups only.",
                )),
            }
        }
        Value::Object(object) if object.contains_key("key") => {
            items.push(raw.clone());
            Ok(())
        }
        Value::Object(object) => {
            items.extend(object.iter().map(
                |(key, value)| serde_json::json!({"key": key, "value": value, "type": "event"}),
            ));
            Ok(())
        }
        _ => Err(unparsable()),
    }
}

/// What every insight applies besides its entities: the global `properties` and `search`.
#[derive(Debug)]
pub struct Global {
    /// The global property filters.
    pub conditions: Conditions,
    /// The `search` matcher.
    pub search: Option<Search>,
}

impl Global {
    /// Reads `properties` and `search`.
    pub fn parse(params: &Params, now: i64) -> Result<Self, PostHogError> {
        let conditions = Conditions::parse(params.json("properties").as_ref(), now)?;
        let search = params
            .text("search")
            .and_then(|text| Search::new(text.trim()));
        Ok(Self { conditions, search })
    }

    /// Whether the person passes the person filters and `search`.
    pub fn admits(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.conditions.matches_member(project, index, person)
            && self
                .search
                .as_ref()
                .is_none_or(|search| search.matches(person))
    }
}

/// The live persons that may own an event of `entities` within `range` (all persons when one
/// entity is "All events"), ascending: from the per-name daily activity sets, never the log.
/// A superset: each caller checks the person's own events.
pub fn candidates(project: &Project, entities: &[&Entity], range: Range) -> Vec<PersonIndex> {
    let mut names = Vec::with_capacity(entities.len());
    for entity in entities {
        match &entity.id {
            None => {
                let mut persons: Vec<PersonIndex> = project.newest_first().collect();
                persons.sort_unstable();
                return persons;
            }
            Some(id) => names.extend(project.event_name_id(id)),
        }
    }
    project.active_persons(&names, range.from, range.to)
}
