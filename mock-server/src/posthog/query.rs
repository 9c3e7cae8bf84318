//! The persons list: candidates (an index when one serves, else the newest-first order),
//! `distinct_id`/`email`/`search`/`properties` filtering, and limit/offset paging.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::filter::Filters;
use super::person::Person;
use super::project::{PersonIndex, Project, value_text};

/// A parsed list request.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Only the owner of this distinct id.
    pub distinct_id: Option<String>,
    /// Only persons whose `email` property is exactly this.
    pub email: Option<String>,
    /// The `search` matcher.
    pub search: Option<Search>,
    /// The `properties` filters.
    pub filters: Filters,
    /// Page size.
    pub limit: usize,
    /// Persons skipped.
    pub offset: usize,
    /// Whether to count every match.
    pub count_total: bool,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<'a> {
    /// The persons of the page, re-sorted as PostHog hydrates them.
    pub persons: Vec<&'a Person>,
    /// Every match, when counted.
    pub total: Option<usize>,
}

/// `search`: a case-insensitive SQL `ILIKE '%…%'` (so `%` and `_` are wildcards) over email,
/// name, UUID and distinct ids. A pattern too big to compile matches nothing.
#[derive(Clone, Debug)]
pub struct Search(Option<Regex>);

impl Search {
    /// The matcher for `text` (already trimmed); `None` for an empty search.
    pub fn new(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let pattern: String = text
            .chars()
            .map(|c| match c {
                '%' => ".*".to_owned(),
                '_' => ".".to_owned(),
                other => regex::escape(&other.to_string()),
            })
            .collect();
        let regex = RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .dot_matches_new_line(true)
            .build()
            .ok();
        Some(Search(regex))
    }

    fn matches(&self, person: &Person) -> bool {
        let Some(regex) = &self.0 else {
            return false;
        };
        let property = |key: &str| match person.properties.get(key) {
            Some(Value::String(text)) => regex.is_match(text),
            _ => false,
        };
        property("email")
            || property("name")
            || regex.is_match(&person.uuid.to_string())
            || person.stored_distinct_ids().any(|id| regex.is_match(id))
    }
}

impl ListQuery {
    fn matches(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.email.as_ref().is_none_or(|email| {
            person
                .properties
                .get("email")
                .is_some_and(|value| value_text(value) == *email)
        }) && self
            .search
            .as_ref()
            .is_none_or(|search| search.matches(person))
            && self.filters.matches(project, index, person)
    }

    /// Candidates from an index, newest first, when one can serve the query: the owner of
    /// `distinct_id`, else the persons holding the `email` or one `exact` filter's values.
    fn indexed_candidates(&self, project: &Project) -> Option<Vec<PersonIndex>> {
        let mut candidates: Vec<PersonIndex> = if let Some(distinct_id) = &self.distinct_id {
            project.by_distinct_id(distinct_id).into_iter().collect()
        } else {
            let (key, texts) = match &self.email {
                Some(email) => ("email", vec![email.clone()]),
                None => self.filters.indexable()?,
            };
            let buckets = project.values_of(key);
            let mut found: Vec<PersonIndex> = texts
                .iter()
                .filter_map(|text| buckets?.get(text))
                .flat_map(|bucket| bucket.persons.iter().copied())
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        };
        candidates.sort_by_key(|index| std::cmp::Reverse(project.order_key(*index)));
        Some(candidates)
    }
}

/// Runs `query` over `project`: walks candidates newest first and stops at the end of the page
/// unless every match must be counted.
pub fn list<'a>(project: &'a Project, query: &ListQuery) -> Page<'a> {
    let candidates: Box<dyn Iterator<Item = PersonIndex> + 'a> =
        match query.indexed_candidates(project) {
            Some(indexes) => Box::new(indexes.into_iter()),
            None => Box::new(project.newest_first()),
        };
    let end = query.offset.saturating_add(query.limit);
    let mut persons = Vec::new();
    let mut matched = 0usize;
    for index in candidates {
        if matched >= end && !query.count_total {
            break;
        }
        let Some(person) = project.person(index) else {
            continue;
        };
        if !query.matches(project, index, person) {
            continue;
        }
        if matched >= query.offset && matched < end {
            persons.push(person);
        }
        matched += 1;
    }
    persons.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
    Page {
        persons,
        total: query.count_total.then_some(matched),
    }
}

/// Every match of `query` (up to `cap`), newest first, for CSV exports.
pub fn export<'a>(project: &'a Project, query: &ListQuery, cap: usize) -> Vec<&'a Person> {
    let all = ListQuery {
        offset: 0,
        limit: cap,
        count_total: false,
        ..query.clone()
    };
    list(project, &all).persons
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use proptest::prelude::*;

    use super::*;
    use crate::posthog::event::Event;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0..3i64).prop_map(Value::from),
            prop::sample::select(vec!["0", "1", "x", "true"]).prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ]
    }

    proptest! {
        #[test]
        fn indexed_lists_equal_a_scan(
            persons in prop::collection::vec((0..4u8, value(), 0..3i64), 1..30),
            wanted in prop::collection::vec(value(), 1..3),
            email in prop::option::of(prop::sample::select(vec!["0", "x"])),
            limit in 1usize..5,
        ) {
            let mut project = Project::new(1, Arc::new(AtomicI64::new(1)));
            for (n, (id, value, at)) in persons.into_iter().enumerate() {
                let key = if n % 2 == 0 { "k" } else { "email" };
                let event = Event::new("e", &format!("d{id}")).set(key, value).at(at);
                project.ingest(event.into_new_event(), 0).unwrap();
            }
            let filters = Filters::parse(&serde_json::json!([{"key": "k", "value": wanted}]).to_string()).unwrap();
            let query = ListQuery { email: email.map(str::to_owned), filters, limit, count_total: true, ..ListQuery::default() };
            let scanned: Vec<_> = project
                .newest_first()
                .filter(|index| query.matches(&project, *index, project.person(*index).unwrap()))
                .collect();
            let page = list(&project, &query);
            prop_assert_eq!(page.total, Some(scanned.len()));
            let mut expected: Vec<&Person> = scanned.iter().take(limit).map(|index| project.person(*index).unwrap()).collect();
            expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
            prop_assert_eq!(page.persons, expected);
        }
    }

    #[test]
    fn search_is_an_ilike_substring() {
        let matcher = |text: &str| Search::new(text).and_then(|search| search.0);
        assert!(matcher("EX%le").unwrap().is_match("an example"));
        assert!(matcher("a_c").unwrap().is_match("xabcx"));
        assert!(Search::new("").is_none());
        let huge = Search::new(&"%_".repeat(200_000)).unwrap();
        assert!(huge.0.is_none(), "too big to compile: matches nothing");
    }
}
