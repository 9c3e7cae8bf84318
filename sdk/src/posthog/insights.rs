//! A typed question about the persons behind an insight: a funnel step, a trends series, a
//! lifecycle bucket or a stickiness bucket ([`InsightActors`]), built once and sent either to
//! the legacy actor endpoints (`/persons/funnel/`, `trends/`, `lifecycle/`, `stickiness/`) or
//! to `POST /query/` as an `ActorsQuery` (see `actors.rs`).

use serde_json::{Map, Value, json};

use super::filters::{PropertyFilter, PropertyFilters};
use super::generated::types::PropertyOperator;

/// An insight's time bucket: `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// An hour.
    Hour,
    /// A day (PostHog's default).
    Day,
    /// A week (starting on Sunday).
    Week,
    /// A calendar month.
    Month,
}

impl Interval {
    fn as_str(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }
}

/// The unit of a funnel's conversion window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowUnit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days (PostHog's default).
    Day,
    /// Weeks.
    Week,
    /// Months (31 days in PostHog's newest funnels).
    Month,
}

impl WindowUnit {
    fn as_str(self) -> &'static str {
        match self {
            WindowUnit::Second => "second",
            WindowUnit::Minute => "minute",
            WindowUnit::Hour => "hour",
            WindowUnit::Day => "day",
            WindowUnit::Week => "week",
            WindowUnit::Month => "month",
        }
    }
}

/// How long after a funnel's first step the later steps may happen (PostHog's default: 14
/// days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConversionWindow {
    /// How many units.
    pub value: u32,
    /// The unit.
    pub unit: WindowUnit,
}

impl ConversionWindow {
    /// A window of `value` `unit`s.
    pub fn new(value: u32, unit: WindowUnit) -> Self {
        Self { value, unit }
    }
}

/// How a funnel's steps must follow each other: `funnel_order_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderType {
    /// In order, other events allowed between steps (PostHog's default).
    Ordered,
    /// In order, with no other event between steps.
    Strict,
    /// In any order.
    Unordered,
}

impl OrderType {
    fn as_str(self) -> &'static str {
        match self {
            OrderType::Ordered => "ordered",
            OrderType::Strict => "strict",
            OrderType::Unordered => "unordered",
        }
    }
}

/// Which events give a person its funnel breakdown bucket: `breakdown_attribution_type` (and
/// `breakdown_attribution_value` for [`Attribution::Step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribution {
    /// The earliest event with a value (PostHog's default).
    FirstTouch,
    /// The latest event with a value.
    LastTouch,
    /// The funnel run per value over the events carrying it.
    AllEvents,
    /// The funnel run per value the 0-based step's events carry, that step needing an event
    /// carrying it (a person can be in several buckets; unordered funnels allow step 0 only).
    Step(u32),
}

impl Attribution {
    fn as_str(self) -> &'static str {
        match self {
            Attribution::FirstTouch => "first_touch",
            Attribution::LastTouch => "last_touch",
            Attribution::AllEvents => "all_events",
            Attribution::Step(_) => "step",
        }
    }
}

/// Which persons of a funnel: `funnel_step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunnelStep {
    /// Persons who completed step N (1-based), whatever they did after (`funnel_step=N`).
    ConvertedAt(u32),
    /// Persons who completed step N − 1 but not step N, N ≥ 2 (`funnel_step=-N`).
    DroppedOffBefore(u32),
}

impl FunnelStep {
    /// The signed number PostHog reads.
    pub fn number(self) -> i64 {
        match self {
            FunnelStep::ConvertedAt(step) => i64::from(step),
            FunnelStep::DroppedOffBefore(step) => -i64::from(step),
        }
    }
}

/// A lifecycle bucket: `lifecycle_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleType {
    /// Active for the first time in the period they were created in.
    New,
    /// Active in this period and the one before.
    Returning,
    /// Active again after at least one inactive period.
    Resurrecting,
    /// Inactive in this period after being active in the one before.
    Dormant,
}

impl LifecycleType {
    fn as_str(self) -> &'static str {
        match self {
            LifecycleType::New => "new",
            LifecycleType::Returning => "returning",
            LifecycleType::Resurrecting => "resurrecting",
            LifecycleType::Dormant => "dormant",
        }
    }
}

/// How a trends series counts: the entity's `math`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Math {
    /// Every event (PostHog's default).
    Total,
    /// Distinct persons.
    Dau,
    /// Persons active in the 7 days ending at the point.
    WeeklyActive,
    /// Persons active in the 30 days ending at the point.
    MonthlyActive,
    /// Funnel steps: only the person's first-ever matching event counts.
    FirstTimeForUser,
    /// The sum of a property ([`Step::math_property`]); the property maths below list the
    /// same persons as [`Math::Total`], each with its event count.
    Sum,
    /// The average of a property.
    Avg,
    /// The least value of a property.
    Min,
    /// The greatest value of a property.
    Max,
    /// The median of a property.
    Median,
    /// The 75th percentile of a property.
    P75,
    /// The 90th percentile of a property.
    P90,
    /// The 95th percentile of a property.
    P95,
    /// The 99th percentile of a property.
    P99,
}

impl Math {
    fn as_str(self) -> &'static str {
        match self {
            Math::Total => "total",
            Math::Dau => "dau",
            Math::WeeklyActive => "weekly_active",
            Math::MonthlyActive => "monthly_active",
            Math::FirstTimeForUser => "first_time_for_user",
            Math::Sum => "sum",
            Math::Avg => "avg",
            Math::Min => "min",
            Math::Max => "max",
            Math::Median => "median",
            Math::P75 => "p75",
            Math::P90 => "p90",
            Math::P95 => "p95",
            Math::P99 => "p99",
        }
    }
}

/// Which of PostHog's two spellings a request uses: the legacy filter's (`funnel_to_step`,
/// entities) or the query schema's (`funnelToStep`, `EventsNode`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Naming {
    Legacy,
    Query,
}

impl Naming {
    fn key(self, legacy: &'static str, query: &'static str) -> &'static str {
        match self {
            Naming::Legacy => legacy,
            Naming::Query => query,
        }
    }
}

/// A funnel step, a series or an exclusion: an event (or every event) with event property
/// filters.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    event: Option<String>,
    properties: Vec<PropertyFilter>,
    math: Option<Math>,
    math_property: Option<String>,
}

impl Step {
    /// Events named `name`.
    pub fn event(name: impl Into<String>) -> Self {
        Self {
            event: Some(name.into()),
            properties: Vec::new(),
            math: None,
            math_property: None,
        }
    }

    /// Every event ("All events", `id: null`).
    pub fn any_event() -> Self {
        Self {
            event: None,
            properties: Vec::new(),
            math: None,
            math_property: None,
        }
    }

    /// Only events whose property `key` compares to `value` by `operator`.
    #[must_use]
    pub fn property(
        mut self,
        key: &str,
        operator: PropertyOperator,
        value: impl Into<Value>,
    ) -> Self {
        self.properties.push(PropertyFilter {
            key: key.to_owned(),
            value: Some(value.into()),
            operator,
            kind: "event",
        });
        self
    }

    /// Only events whose property `key` equals `value`.
    #[must_use]
    pub fn exact(self, key: &str, value: impl Into<Value>) -> Self {
        self.property(key, PropertyOperator::Exact, value)
    }

    /// Only events of persons in cohort `cohort_id` (an entity-level cohort filter).
    #[must_use]
    pub fn in_cohort(mut self, cohort_id: i64) -> Self {
        self.properties.push(PropertyFilter {
            key: "id".to_owned(),
            value: Some(cohort_id.into()),
            operator: PropertyOperator::In,
            kind: "cohort",
        });
        self
    }

    /// Counts by `math` (trends series; [`Math::FirstTimeForUser`] on funnel steps).
    #[must_use]
    pub fn math(mut self, math: Math) -> Self {
        self.math = Some(math);
        self
    }

    /// The property a property math ([`Math::Sum`], …) aggregates.
    #[must_use]
    pub fn math_property(mut self, key: impl Into<String>) -> Self {
        self.math_property = Some(key.into());
        self
    }

    /// The legacy entity `{id, type, order, properties, math?}`, or the query's
    /// `EventsNode`.
    fn render(&self, naming: Naming, order: usize) -> Value {
        let mut step = match naming {
            Naming::Legacy => json!({
                "id": self.event,
                "type": "events",
                "order": order,
                "properties": self.properties,
            }),
            Naming::Query => json!({
                "kind": "EventsNode",
                "event": self.event,
                "properties": self.properties,
            }),
        };
        if let Some(math) = self.math {
            step["math"] = json!(math.as_str());
        }
        if let Some(key) = &self.math_property {
            step["math_property"] = json!(key);
        }
        step
    }
}

/// Events that disqualify a funnel attempt between two of its steps (0-based, `from` <
/// `to`).
#[derive(Clone, Debug, PartialEq)]
pub struct Exclusion {
    /// The excluded event.
    pub step: Step,
    /// After this step (0-based)…
    pub from_step: u32,
    /// …and before this one.
    pub to_step: u32,
}

/// Whose property a breakdown reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakdownType {
    /// The event's property (PostHog's default).
    Event,
    /// The person's property.
    Person,
    /// The person's cohorts (trends).
    Cohort,
}

/// A breakdown by a property (or by cohorts), and the bucket to list (for funnels
/// `funnel_step_breakdown`, for trends `breakdown_value`; `""` is the bucket of events or
/// persons without the property).
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    kind: BreakdownType,
    breakdown: Value,
    value: Option<Value>,
}

impl Breakdown {
    /// By the event property `property`.
    pub fn event(property: impl Into<String>) -> Self {
        Self {
            kind: BreakdownType::Event,
            breakdown: Value::String(property.into()),
            value: None,
        }
    }

    /// By the person property `property`.
    pub fn person(property: impl Into<String>) -> Self {
        Self {
            kind: BreakdownType::Person,
            breakdown: Value::String(property.into()),
            value: None,
        }
    }

    /// The members of cohort `cohort_id` (a trends cohort breakdown, its bucket already
    /// chosen).
    pub fn cohort(cohort_id: i64) -> Self {
        Self {
            kind: BreakdownType::Cohort,
            breakdown: json!([cohort_id]),
            value: Some(cohort_id.into()),
        }
    }

    /// Everyone: a trends cohort breakdown's "all users" bucket.
    pub fn all_users() -> Self {
        Self {
            kind: BreakdownType::Cohort,
            breakdown: json!(["all"]),
            value: Some("all".into()),
        }
    }

    /// Only the persons in bucket `value`.
    #[must_use]
    pub fn value(mut self, value: impl Into<Value>) -> Self {
        self.value = Some(value.into());
        self
    }

    fn kind(&self) -> &'static str {
        match self.kind {
            BreakdownType::Event => "event",
            BreakdownType::Person => "person",
            BreakdownType::Cohort => "cohort",
        }
    }

    /// The insight query's `breakdownFilter`, and the bucket as the actors query's
    /// `value_key`.
    fn query(&self, query: &mut Map<String, Value>, actors: &mut Value, value_key: &str) {
        query.insert(
            "breakdownFilter".into(),
            json!({"breakdown_type": self.kind(), "breakdown": self.breakdown}),
        );
        if let Some(value) = &self.value {
            actors[value_key] = value.clone();
        }
    }

    /// The legacy `breakdown` and `breakdown_type`, and the bucket as `value_key`.
    fn legacy(&self, params: &mut Map<String, Value>, value_key: &str) {
        params.insert("breakdown".into(), self.breakdown.clone());
        params.insert("breakdown_type".into(), json!(self.kind()));
        if let Some(value) = &self.value {
            params.insert(value_key.into(), value.clone());
        }
    }
}

/// An insight's date range: PostHog's date grammar (`2021-05-01`, `2021-05-01 12:00:00`,
/// `-7d`, `-1mStart`, `all`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    from: Option<String>,
    to: Option<String>,
    explicit: bool,
}

impl DateRange {
    /// From `from` to `to` (a date alone means its end of day, unless [`explicit`]).
    ///
    /// [`explicit`]: Self::explicit
    pub fn between(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: Some(from.into()),
            to: Some(to.into()),
            explicit: false,
        }
    }

    /// From `from` until now.
    pub fn since(from: impl Into<String>) -> Self {
        Self {
            from: Some(from.into()),
            ..Self::default()
        }
    }

    /// Uses both ends exactly as given (`explicit_date`), without rounding `to` to its end of
    /// day.
    #[must_use]
    pub fn explicit(mut self) -> Self {
        self.explicit = true;
        self
    }
}

/// The insight kinds [`InsightActors`] asks about: [`Funnel`], [`Correlation`], [`Trends`],
/// [`Lifecycle`], [`Stickiness`].
pub trait Insight: sealed::Sealed {}

mod sealed {
    use serde_json::{Map, Value};

    /// What each kind adds to a request.
    pub trait Sealed: Clone + Send + Sync + 'static {
        /// Which legacy endpoint answers it.
        const ENDPOINT: super::Endpoint;
        /// Its legacy parameters (besides dates, interval, properties, search and paging).
        fn legacy(&self, params: &mut Map<String, Value>);
        /// Its series, and the insight query's own fields.
        fn series(&self) -> Vec<&super::Step>;
        /// The `ActorsQuery` source around `query` (the insight query, series and dates
        /// already in).
        fn source(&self, query: Map<String, Value>) -> Value;
    }
}

/// The legacy endpoint of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/persons/funnel/` (sent as a POST body).
    Funnel,
    /// `/persons/funnel/correlation/` (sent as a POST body, paged by
    /// `funnel_correlation_person_limit`/`_offset`).
    Correlation,
    /// `/persons/trends/`.
    Trends,
    /// `/persons/lifecycle/`.
    Lifecycle,
    /// `/persons/stickiness/`.
    Stickiness,
}

impl Endpoint {
    /// The names of the page size and offset parameters the endpoint reads.
    pub fn paging(self) -> (&'static str, &'static str) {
        match self {
            Endpoint::Correlation => (
                "funnel_correlation_person_limit",
                "funnel_correlation_person_offset",
            ),
            _ => ("limit", "offset"),
        }
    }
}

/// What a funnel correlation asks of the funnel's persons
/// ([`InsightActors::correlated`]).
#[derive(Clone, Debug, PartialEq)]
pub enum CorrelationTarget {
    /// Those with an event of this step (not one of the funnel's) after entering and before
    /// converting, or before their window ends (`funnel_correlation_type=events`).
    Event(Step),
    /// Those the funnel counts once these filters join its own
    /// (`funnel_correlation_type=properties`).
    Properties(PropertyFilters),
}

/// The funnel's persons behind a correlation ([`InsightActors::correlated`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Correlation {
    funnel: Funnel,
    target: CorrelationTarget,
    converted: Option<bool>,
}

impl Insight for Correlation {}

impl sealed::Sealed for Correlation {
    const ENDPOINT: Endpoint = Endpoint::Correlation;

    fn legacy(&self, params: &mut Map<String, Value>) {
        self.funnel.legacy(params);
        match &self.target {
            CorrelationTarget::Event(step) => {
                params.insert("funnel_correlation_type".into(), json!("events"));
                params.insert(
                    "funnel_correlation_person_entity".into(),
                    step.render(Naming::Legacy, 0),
                );
            }
            CorrelationTarget::Properties(filters) => {
                params.insert("funnel_correlation_type".into(), json!("properties"));
                params.insert(
                    "funnel_correlation_property_values".into(),
                    json!(filters.filters()),
                );
            }
        }
        if let Some(converted) = self.converted {
            params.insert(
                "funnel_correlation_person_converted".into(),
                json!(converted.to_string()),
            );
        }
    }

    fn series(&self) -> Vec<&Step> {
        self.funnel.series()
    }

    fn source(&self, query: Map<String, Value>) -> Value {
        let mut correlation = json!({"kind": "FunnelCorrelationQuery",
                                     "source": self.funnel.source(query)});
        let mut actors = json!({"kind": "FunnelCorrelationActorsQuery"});
        match &self.target {
            CorrelationTarget::Event(step) => {
                correlation["funnelCorrelationType"] = json!("events");
                actors["funnelCorrelationPersonEntity"] = step.render(Naming::Query, 0);
            }
            CorrelationTarget::Properties(filters) => {
                correlation["funnelCorrelationType"] = json!("properties");
                actors["funnelCorrelationPropertyValues"] = json!(filters.filters());
            }
        }
        if let Some(converted) = self.converted {
            actors["funnelCorrelationPersonConverted"] = json!(converted);
        }
        actors["source"] = correlation;
        actors
    }
}

/// The persons at a funnel step ([`InsightActors::funnel`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Funnel {
    steps: Vec<Step>,
    step: FunnelStep,
    window: Option<ConversionWindow>,
    order: Option<OrderType>,
    exclusions: Vec<Exclusion>,
    breakdown: Option<Breakdown>,
    attribution: Option<Attribution>,
    custom_steps: Vec<u32>,
    entered: Option<FunnelTrends>,
    step_range: Option<(u32, u32)>,
}

/// The funnel-trends view's person selection ([`InsightActors::entered_in`]).
#[derive(Clone, Debug, PartialEq)]
struct FunnelTrends {
    period_start: String,
    drop_off: bool,
}

/// The persons behind a trends series over the whole range ([`InsightActors::trends`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Trends {
    series: Step,
    breakdown: Option<Breakdown>,
}

/// The persons in a lifecycle bucket ([`InsightActors::lifecycle`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle {
    series: Step,
    target_date: String,
    status: LifecycleType,
}

/// The persons active in exactly K intervals ([`InsightActors::stickiness`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Stickiness {
    series: Step,
    intervals: u32,
}

impl Insight for Funnel {}
impl Insight for Trends {}
impl Insight for Lifecycle {}
impl Insight for Stickiness {}

impl Funnel {
    /// The window, order and exclusions in `naming`'s spelling.
    fn filter(&self, naming: Naming) -> Map<String, Value> {
        let key = |legacy, query| naming.key(legacy, query).to_owned();
        let mut filter = Map::new();
        if let Some(window) = self.window {
            filter.insert(
                key("funnel_window_interval", "funnelWindowInterval"),
                json!(window.value),
            );
            filter.insert(
                key("funnel_window_interval_unit", "funnelWindowIntervalUnit"),
                json!(window.unit.as_str()),
            );
        }
        if let Some(order) = self.order {
            filter.insert(
                key("funnel_order_type", "funnelOrderType"),
                json!(order.as_str()),
            );
        }
        if !self.exclusions.is_empty() {
            let exclusions: Vec<Value> = self
                .exclusions
                .iter()
                .map(|exclusion| {
                    let mut step = exclusion.step.render(naming, 0);
                    step[key("funnel_from_step", "funnelFromStep")] = json!(exclusion.from_step);
                    step[key("funnel_to_step", "funnelToStep")] = json!(exclusion.to_step);
                    step
                })
                .collect();
            filter.insert(key("exclusions", "exclusions"), Value::Array(exclusions));
        }
        if let Some(attribution) = self.attribution {
            filter.insert(
                key("breakdown_attribution_type", "breakdownAttributionType"),
                json!(attribution.as_str()),
            );
            if let Attribution::Step(step) = attribution {
                filter.insert(
                    key("breakdown_attribution_value", "breakdownAttributionValue"),
                    json!(step),
                );
            }
        }
        if self.entered.is_some() {
            filter.insert(key("funnel_viz_type", "funnelVizType"), json!("trends"));
        }
        if let Some((from, to)) = self.step_range {
            filter.insert(key("funnel_from_step", "funnelFromStep"), json!(from));
            filter.insert(key("funnel_to_step", "funnelToStep"), json!(to));
        }
        filter
    }

    /// The actors-level selection (custom steps, funnel-trends entrance) in `naming`'s
    /// spelling.
    fn selection(&self, naming: Naming, into: &mut Map<String, Value>) {
        let key = |legacy, query| naming.key(legacy, query).to_owned();
        if !self.custom_steps.is_empty() {
            into.insert(
                key("funnel_custom_steps", "funnelCustomSteps"),
                json!(self.custom_steps),
            );
        }
        if let Some(entered) = &self.entered {
            into.insert(
                key("entrance_period_start", "funnelTrendsEntrancePeriodStart"),
                json!(entered.period_start),
            );
            into.insert(
                key("drop_off", "funnelTrendsDropOff"),
                json!(entered.drop_off),
            );
        }
    }
}

impl sealed::Sealed for Funnel {
    const ENDPOINT: Endpoint = Endpoint::Funnel;

    fn legacy(&self, params: &mut Map<String, Value>) {
        params.insert("funnel_step".into(), json!(self.step.number()));
        params.extend(self.filter(Naming::Legacy));
        self.selection(Naming::Legacy, params);
        if let Some(breakdown) = &self.breakdown {
            breakdown.legacy(params, "funnel_step_breakdown");
        }
    }

    fn series(&self) -> Vec<&Step> {
        self.steps.iter().collect()
    }

    fn source(&self, mut query: Map<String, Value>) -> Value {
        query.insert("kind".into(), json!("FunnelsQuery"));
        query.insert(
            "funnelsFilter".into(),
            Value::Object(self.filter(Naming::Query)),
        );
        let mut actors = Map::new();
        actors.insert("kind".into(), json!("FunnelsActorsQuery"));
        actors.insert("funnelStep".into(), json!(self.step.number()));
        self.selection(Naming::Query, &mut actors);
        let mut actors = Value::Object(actors);
        if let Some(breakdown) = &self.breakdown {
            breakdown.query(&mut query, &mut actors, "funnelStepBreakdown");
        }
        actors["source"] = Value::Object(query);
        actors
    }
}

/// The chart display the SDK's trends questions name: a table, a total-value display, so
/// PostHog counts the whole date range (a time-series display would need a `day`).
const TOTAL_VALUE_DISPLAY: &str = "ActionsTable";

/// The legacy target series of trends and stickiness: the one entity, chosen by order.
fn target(series: &Step, params: &mut Map<String, Value>) {
    params.insert("entity_type".into(), json!("events"));
    params.insert("entity_order".into(), json!(0));
    if let Some(event) = &series.event {
        params.insert("entity_id".into(), json!(event));
    }
    if let Some(math) = series.math {
        params.insert("entity_math".into(), json!(math.as_str()));
    }
}

impl sealed::Sealed for Trends {
    const ENDPOINT: Endpoint = Endpoint::Trends;

    fn legacy(&self, params: &mut Map<String, Value>) {
        target(&self.series, params);
        if let Some(breakdown) = &self.breakdown {
            breakdown.legacy(params, "breakdown_value");
        }
    }

    fn series(&self) -> Vec<&Step> {
        vec![&self.series]
    }

    fn source(&self, mut query: Map<String, Value>) -> Value {
        query.insert("kind".into(), json!("TrendsQuery"));
        // A total-value display: the question is the whole range, with no `day`.
        query.insert(
            "trendsFilter".into(),
            json!({"display": TOTAL_VALUE_DISPLAY}),
        );
        let mut actors = json!({"kind": "InsightActorsQuery", "series": 0});
        if let Some(breakdown) = &self.breakdown {
            breakdown.query(&mut query, &mut actors, "breakdown");
        }
        actors["source"] = Value::Object(query);
        actors
    }
}

impl sealed::Sealed for Lifecycle {
    const ENDPOINT: Endpoint = Endpoint::Lifecycle;

    fn legacy(&self, params: &mut Map<String, Value>) {
        params.insert("target_date".into(), json!(self.target_date));
        params.insert("lifecycle_type".into(), json!(self.status.as_str()));
    }

    fn series(&self) -> Vec<&Step> {
        vec![&self.series]
    }

    fn source(&self, mut query: Map<String, Value>) -> Value {
        query.insert("kind".into(), json!("LifecycleQuery"));
        json!({"kind": "InsightActorsQuery", "source": query, "day": self.target_date,
               "status": self.status.as_str()})
    }
}

impl sealed::Sealed for Stickiness {
    const ENDPOINT: Endpoint = Endpoint::Stickiness;

    fn legacy(&self, params: &mut Map<String, Value>) {
        target(&self.series, params);
        params.insert("stickiness_days".into(), json!(self.intervals));
    }

    fn series(&self) -> Vec<&Step> {
        vec![&self.series]
    }

    fn source(&self, mut query: Map<String, Value>) -> Value {
        query.insert("kind".into(), json!("StickinessQuery"));
        json!({"kind": "StickinessActorsQuery", "source": query, "day": self.intervals})
    }
}

/// Which persons of an insight to list, and how: one question the SDK can send to the legacy
/// endpoint ([`Client::insight_actors`](super::Client::insight_actors)) or as an
/// `ActorsQuery` ([`Client::query_actors`](super::Client::query_actors)).
///
/// ```
/// use persons_sdk::posthog::{
///     ConversionWindow, DateRange, FunnelStep, InsightActors, OrderType, Step, WindowUnit,
/// };
///
/// let dropped = InsightActors::funnel(
///     [Step::event("signed up"), Step::event("paid").exact("plan", "pro")],
///     FunnelStep::DroppedOffBefore(2),
/// )
/// .window(ConversionWindow::new(7, WindowUnit::Day))
/// .order(OrderType::Strict)
/// .date_range(DateRange::between("2021-05-01", "2021-05-31"))
/// .limit(50);
/// assert_eq!(dropped.legacy_params()["funnel_step"], -2);
/// assert_eq!(dropped.query()["source"]["funnelStep"], -2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InsightActors<K: Insight> {
    insight: K,
    dates: DateRange,
    interval: Option<Interval>,
    properties: Option<PropertyFilters>,
    search: Option<String>,
    limit: Option<u32>,
}

impl<K: Insight> InsightActors<K> {
    fn of(insight: K) -> Self {
        Self {
            insight,
            dates: DateRange::default(),
            interval: None,
            properties: None,
            search: None,
            limit: None,
        }
    }

    /// The insight's date range (PostHog's default: the last 7 days).
    #[must_use]
    pub fn date_range(mut self, dates: DateRange) -> Self {
        self.dates = dates;
        self
    }

    /// The insight's interval (PostHog's default: day).
    #[must_use]
    pub fn interval(mut self, interval: Interval) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Only persons matching these person property filters.
    #[must_use]
    pub fn properties(mut self, filters: PropertyFilters) -> Self {
        self.properties = Some(filters);
        self
    }

    /// Only persons whose email, name or distinct id contains `text` (case-insensitive).
    #[must_use]
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Persons per page (PostHog's default 100).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page size asked for, if any.
    pub fn page_size(&self) -> Option<u32> {
        self.limit
    }

    /// The legacy endpoint that answers this question.
    pub fn endpoint(&self) -> Endpoint {
        <K as sealed::Sealed>::ENDPOINT
    }

    /// The legacy parameters, as JSON values (a GET sends each non-string one as its JSON
    /// text; a funnel's POST body is this map); without paging.
    pub fn legacy_params(&self) -> Map<String, Value> {
        let series: Vec<Value> = sealed::Sealed::series(&self.insight)
            .into_iter()
            .enumerate()
            .map(|(order, step)| step.render(Naming::Legacy, order))
            .collect();
        let mut params = Map::new();
        params.insert("events".into(), Value::Array(series));
        if let Some(from) = &self.dates.from {
            params.insert("date_from".into(), json!(from));
        }
        if let Some(to) = &self.dates.to {
            params.insert("date_to".into(), json!(to));
        }
        if self.dates.explicit {
            params.insert("explicit_date".into(), json!(true));
        }
        if let Some(interval) = self.interval {
            params.insert("interval".into(), json!(interval.as_str()));
        }
        if let Some(properties) = &self.properties {
            params.insert("properties".into(), json!(properties.filters()));
        }
        if let Some(search) = &self.search {
            params.insert("search".into(), json!(search));
        }
        self.insight.legacy(&mut params);
        params
    }

    /// The `ActorsQuery` (`{"kind": "ActorsQuery", "select": ["actor"], "source": …}`) asking
    /// the same question; without paging.
    pub fn query(&self) -> Map<String, Value> {
        let series: Vec<Value> = sealed::Sealed::series(&self.insight)
            .into_iter()
            .map(|step| step.render(Naming::Query, 0))
            .collect();
        let mut range = Map::new();
        if let Some(from) = &self.dates.from {
            range.insert("date_from".into(), json!(from));
        }
        if let Some(to) = &self.dates.to {
            range.insert("date_to".into(), json!(to));
        }
        if self.dates.explicit {
            range.insert("explicitDate".into(), json!(true));
        }
        let mut insight = Map::new();
        insight.insert("series".into(), Value::Array(series));
        insight.insert("dateRange".into(), Value::Object(range));
        if let Some(interval) = self.interval {
            insight.insert("interval".into(), json!(interval.as_str()));
        }
        if let Some(properties) = &self.properties {
            insight.insert("properties".into(), json!(properties.filters()));
        }
        let mut query = Map::new();
        query.insert("kind".into(), json!("ActorsQuery"));
        query.insert("select".into(), json!(["actor"]));
        if let Some(search) = &self.search {
            query.insert("search".into(), json!(search));
        }
        query.insert("source".into(), self.insight.source(insight));
        query
    }
}

impl InsightActors<Funnel> {
    /// The persons at `step` of the funnel of `steps` (in order; at least two).
    pub fn funnel(steps: impl IntoIterator<Item = Step>, step: FunnelStep) -> Self {
        Self::of(Funnel {
            steps: steps.into_iter().collect(),
            step,
            window: None,
            order: None,
            exclusions: Vec::new(),
            breakdown: None,
            attribution: None,
            custom_steps: Vec::new(),
            entered: None,
            step_range: None,
        })
    }

    /// The conversion window (PostHog's default: 14 days).
    #[must_use]
    pub fn window(mut self, window: ConversionWindow) -> Self {
        self.insight.window = Some(window);
        self
    }

    /// How the steps must follow each other (PostHog's default: ordered).
    #[must_use]
    pub fn order(mut self, order: OrderType) -> Self {
        self.insight.order = Some(order);
        self
    }

    /// Disqualifies attempts with `step` between steps `from_step` and `to_step` (0-based).
    #[must_use]
    pub fn exclude(mut self, step: Step, from_step: u32, to_step: u32) -> Self {
        self.insight.exclusions.push(Exclusion {
            step,
            from_step,
            to_step,
        });
        self
    }

    /// Breaks the funnel down (first-touch attribution unless [`Self::attribution`] says
    /// otherwise); with a value, only that bucket.
    #[must_use]
    pub fn breakdown(mut self, breakdown: Breakdown) -> Self {
        self.insight.breakdown = Some(breakdown);
        self
    }

    /// Which events give a person its breakdown bucket.
    #[must_use]
    pub fn attribution(mut self, attribution: Attribution) -> Self {
        self.insight.attribution = Some(attribution);
        self
    }

    /// The persons whose furthest step (1-based) is one of `steps`
    /// (`funnel_custom_steps` / `funnelCustomSteps`); wins over the funnel step.
    #[must_use]
    pub fn custom_steps(mut self, steps: impl IntoIterator<Item = u32>) -> Self {
        self.insight.custom_steps = steps.into_iter().collect();
        self
    }

    /// The funnel-trends view (`funnel_viz_type=trends`): the persons whose attempts entered
    /// in the [`Self::interval`] period starting at `period_start` (PostHog's date grammar)
    /// and converted, or with `drop_off` did not (`entrance_period_start`, `drop_off`;
    /// `funnelTrendsEntrancePeriodStart`, `funnelTrendsDropOff`); replaces the funnel step.
    #[must_use]
    pub fn entered_in(mut self, period_start: impl Into<String>, drop_off: bool) -> Self {
        self.insight.entered = Some(FunnelTrends {
            period_start: period_start.into(),
            drop_off,
        });
        self
    }

    /// The steps the funnel-trends view converts between, 0-based (`funnel_from_step`,
    /// `funnel_to_step`; PostHog's defaults: the first and the last step).
    #[must_use]
    pub fn step_range(mut self, from_step: u32, to_step: u32) -> Self {
        self.insight.step_range = Some((from_step, to_step));
        self
    }
}

impl InsightActors<Funnel> {
    /// The correlation question over this funnel's persons (all who reached its step):
    /// those `target` picks, converted or not unless [`converted`] says.
    ///
    /// [`converted`]: InsightActors::<Correlation>::converted
    pub fn correlated(self, target: CorrelationTarget) -> InsightActors<Correlation> {
        InsightActors {
            insight: Correlation {
                funnel: self.insight,
                target,
                converted: None,
            },
            dates: self.dates,
            interval: self.interval,
            properties: self.properties,
            search: self.search,
            limit: self.limit,
        }
    }
}

impl InsightActors<Correlation> {
    /// Only the persons who completed the funnel (`true`) or did not (`false`).
    #[must_use]
    pub fn converted(mut self, converted: bool) -> Self {
        self.insight.converted = Some(converted);
        self
    }
}

impl InsightActors<Trends> {
    /// The persons with at least one event of `series` in the date range, each with its
    /// count as `value_at_data_point`.
    pub fn trends(series: Step) -> Self {
        Self::of(Trends {
            series,
            breakdown: None,
        })
    }

    /// Only the persons in a breakdown bucket ([`Breakdown::value`]).
    #[must_use]
    pub fn breakdown(mut self, breakdown: Breakdown) -> Self {
        self.insight.breakdown = Some(breakdown);
        self
    }
}

impl InsightActors<Lifecycle> {
    /// The persons of `series` whose status is `status` in the period holding `target_date`
    /// (any moment of it, in PostHog's date grammar).
    pub fn lifecycle(series: Step, target_date: impl Into<String>, status: LifecycleType) -> Self {
        Self::of(Lifecycle {
            series,
            target_date: target_date.into(),
            status,
        })
    }
}

impl InsightActors<Stickiness> {
    /// The persons with events of `series` in exactly `intervals` distinct intervals of the
    /// range.
    pub fn stickiness(series: Step, intervals: u32) -> Self {
        Self::of(Stickiness { series, intervals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnels_render_both_forms() {
        let funnel = InsightActors::funnel(
            [Step::event("a"), Step::any_event().exact("x", 1)],
            FunnelStep::ConvertedAt(2),
        )
        .window(ConversionWindow::new(3, WindowUnit::Hour))
        .order(OrderType::Unordered)
        .exclude(Step::event("no"), 0, 1)
        .breakdown(Breakdown::person("$browser").value("Chrome"))
        .date_range(DateRange::between("-7d", "2021-01-01").explicit())
        .search("ben");
        assert_eq!(
            Value::Object(funnel.legacy_params()),
            json!({
                "events": [
                    {"id": "a", "type": "events", "order": 0, "properties": []},
                    {"id": null, "type": "events", "order": 1,
                     "properties": [{"key": "x", "value": 1, "operator": "exact", "type": "event"}]}
                ],
                "date_from": "-7d", "date_to": "2021-01-01", "explicit_date": true, "search": "ben",
                "funnel_step": 2, "funnel_window_interval": 3, "funnel_window_interval_unit": "hour",
                "funnel_order_type": "unordered",
                "exclusions": [{"id": "no", "type": "events", "order": 0, "properties": [],
                                "funnel_from_step": 0, "funnel_to_step": 1}],
                "breakdown": "$browser", "breakdown_type": "person", "funnel_step_breakdown": "Chrome"
            })
        );
        assert_eq!(
            Value::Object(funnel.query()),
            json!({
                "kind": "ActorsQuery", "select": ["actor"], "search": "ben",
                "source": {
                    "kind": "FunnelsActorsQuery", "funnelStep": 2, "funnelStepBreakdown": "Chrome",
                    "source": {
                        "kind": "FunnelsQuery",
                        "series": [
                            {"kind": "EventsNode", "event": "a", "properties": []},
                            {"kind": "EventsNode", "event": null,
                             "properties": [{"key": "x", "value": 1, "operator": "exact", "type": "event"}]}
                        ],
                        "dateRange": {"date_from": "-7d", "date_to": "2021-01-01", "explicitDate": true},
                        "funnelsFilter": {
                            "funnelWindowInterval": 3, "funnelWindowIntervalUnit": "hour",
                            "funnelOrderType": "unordered",
                            "exclusions": [{"kind": "EventsNode", "event": "no", "properties": [],
                                            "funnelFromStep": 0, "funnelToStep": 1}]
                        },
                        "breakdownFilter": {"breakdown_type": "person", "breakdown": "$browser"}
                    }
                }
            })
        );
        assert_eq!(funnel.endpoint(), Endpoint::Funnel);
        let attributed = funnel.clone().attribution(Attribution::Step(1));
        assert_eq!(
            attributed.legacy_params()["breakdown_attribution_type"],
            "step"
        );
        assert_eq!(attributed.legacy_params()["breakdown_attribution_value"], 1);
        let filter = &attributed.query()["source"]["source"]["funnelsFilter"];
        assert_eq!(filter["breakdownAttributionType"], "step");
        assert_eq!(filter["breakdownAttributionValue"], 1);
        let last = funnel.attribution(Attribution::LastTouch).legacy_params();
        assert_eq!(last["breakdown_attribution_type"], "last_touch");
        assert!(!last.contains_key("breakdown_attribution_value"));
    }

    #[test]
    fn funnel_trends_and_custom_steps_render_both_forms() {
        let steps = ["a", "b", "c"].map(Step::event);
        let trends = InsightActors::funnel(steps.clone(), FunnelStep::ConvertedAt(1))
            .entered_in("2021-05-01", true)
            .step_range(0, 2);
        let legacy = trends.legacy_params();
        assert_eq!(
            (
                &legacy["funnel_viz_type"],
                &legacy["entrance_period_start"],
                &legacy["drop_off"],
                &legacy["funnel_from_step"],
                &legacy["funnel_to_step"],
            ),
            (
                &json!("trends"),
                &json!("2021-05-01"),
                &json!(true),
                &json!(0),
                &json!(2)
            )
        );
        let actors = &trends.query()["source"];
        assert_eq!(actors["funnelTrendsEntrancePeriodStart"], "2021-05-01");
        assert_eq!(actors["funnelTrendsDropOff"], true);
        let filter = &actors["source"]["funnelsFilter"];
        assert_eq!(
            (
                &filter["funnelVizType"],
                &filter["funnelFromStep"],
                &filter["funnelToStep"]
            ),
            (&json!("trends"), &json!(0), &json!(2))
        );
        let custom = InsightActors::funnel(steps, FunnelStep::ConvertedAt(1)).custom_steps([1, 3]);
        assert_eq!(custom.legacy_params()["funnel_custom_steps"], json!([1, 3]));
        assert_eq!(custom.query()["source"]["funnelCustomSteps"], json!([1, 3]));
        assert!(!custom.legacy_params().contains_key("funnel_viz_type"));
    }

    #[test]
    fn trends_lifecycle_and_stickiness_name_their_target() {
        let trends = InsightActors::trends(Step::event("e").math(Math::Dau))
            .breakdown(Breakdown::event("$browser").value(""))
            .interval(Interval::Week);
        let params = trends.legacy_params();
        assert_eq!(params["entity_id"], "e");
        assert_eq!(params["entity_math"], "dau");
        assert_eq!(params["entity_order"], 0);
        assert_eq!(params["breakdown_value"], "");
        assert_eq!(params["interval"], "week");
        let query = trends.query();
        assert_eq!(query["source"]["kind"], "InsightActorsQuery");
        assert_eq!(query["source"]["source"]["kind"], "TrendsQuery");
        assert_eq!(
            query["source"]["source"]["trendsFilter"],
            json!({"display": "ActionsTable"})
        );
        assert!(query["source"].get("day").is_none(), "a total value");
        assert_eq!(query["source"]["breakdown"], "");
        let lifecycle =
            InsightActors::lifecycle(Step::event("e"), "2020-01-13", LifecycleType::Dormant);
        assert_eq!(lifecycle.legacy_params()["lifecycle_type"], "dormant");
        assert_eq!(lifecycle.query()["source"]["status"], "dormant");
        assert_eq!(lifecycle.query()["source"]["day"], "2020-01-13");
        let sticky = InsightActors::stickiness(Step::any_event(), 3);
        assert_eq!(sticky.legacy_params()["stickiness_days"], 3);
        assert!(!sticky.legacy_params().contains_key("entity_id"));
        assert_eq!(sticky.query()["source"]["day"], 3);
        assert_eq!(FunnelStep::DroppedOffBefore(3).number(), -3);
    }

    #[test]
    fn correlation_questions_render_both_forms() {
        let funnel = InsightActors::funnel(
            [Step::event("a"), Step::event("b")],
            FunnelStep::ConvertedAt(1),
        );
        let question = funnel
            .clone()
            .correlated(CorrelationTarget::Event(Step::event("x")))
            .converted(false);
        assert_eq!(question.endpoint(), Endpoint::Correlation);
        assert_eq!(
            Endpoint::Correlation.paging(),
            (
                "funnel_correlation_person_limit",
                "funnel_correlation_person_offset"
            )
        );
        let params = question.legacy_params();
        assert_eq!(params["funnel_step"], 1);
        assert_eq!(params["funnel_correlation_type"], "events");
        assert_eq!(params["funnel_correlation_person_entity"]["id"], "x");
        assert_eq!(params["funnel_correlation_person_converted"], "false");
        let query = question.query();
        let actors = &query["source"];
        assert_eq!(actors["kind"], "FunnelCorrelationActorsQuery");
        assert_eq!(actors["funnelCorrelationPersonConverted"], false);
        assert_eq!(actors["funnelCorrelationPersonEntity"]["event"], "x");
        assert_eq!(actors["source"]["kind"], "FunnelCorrelationQuery");
        assert_eq!(actors["source"]["funnelCorrelationType"], "events");
        assert_eq!(actors["source"]["source"]["kind"], "FunnelsActorsQuery");
        assert_eq!(actors["source"]["source"]["source"]["kind"], "FunnelsQuery");
        let properties = funnel.correlated(CorrelationTarget::Properties(
            PropertyFilters::new().exact("plan", "pro"),
        ));
        let params = properties.legacy_params();
        assert_eq!(params["funnel_correlation_type"], "properties");
        assert_eq!(
            params["funnel_correlation_property_values"][0]["key"],
            "plan"
        );
        assert!(!params.contains_key("funnel_correlation_person_converted"));
        let query = properties.query();
        assert_eq!(
            query["source"]["funnelCorrelationPropertyValues"][0]["key"],
            "plan"
        );
        assert_eq!(
            query["source"]["source"]["funnelCorrelationType"],
            "properties"
        );
    }

    #[test]
    fn property_maths_cohort_filters_and_cohort_breakdowns_render() {
        let series = Step::event("buy")
            .math(Math::P90)
            .math_property("amount")
            .in_cohort(7);
        let trends = InsightActors::trends(series).breakdown(Breakdown::cohort(7));
        let params = trends.legacy_params();
        assert_eq!(params["entity_math"], "p90");
        assert_eq!(
            params["events"][0],
            json!({"id": "buy", "type": "events", "order": 0, "math": "p90",
                   "math_property": "amount",
                   "properties": [{"key": "id", "value": 7, "operator": "in", "type": "cohort"}]})
        );
        assert_eq!(
            (
                &params["breakdown"],
                &params["breakdown_type"],
                &params["breakdown_value"]
            ),
            (&json!([7]), &json!("cohort"), &json!(7))
        );
        let query = trends.query();
        assert_eq!(query["source"]["breakdown"], 7);
        assert_eq!(
            query["source"]["source"]["breakdownFilter"],
            json!({"breakdown_type": "cohort", "breakdown": [7]})
        );
        assert_eq!(
            query["source"]["source"]["series"][0]["math_property"],
            "amount"
        );
        let all = InsightActors::trends(Step::event("buy")).breakdown(Breakdown::all_users());
        assert_eq!(all.legacy_params()["breakdown_value"], "all");
    }
}
