//! The persons list: candidates (a value or `search` index when one serves, else the
//! newest-first order), `distinct_id`/`email`/`search`/`properties` filtering, and
//! limit/offset paging.

use std::cmp::Reverse;

use super::filter::Filters;
use super::person::Person;
use super::search::Search;
use super::tenant::{PersonIndex, Project, ValueBucket};

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
    /// The persons of the page with their indexes, re-sorted as PostHog hydrates them.
    pub persons: Vec<(PersonIndex, &'a Person)>,
    /// Every match, when counted.
    pub total: Option<usize>,
}

impl ListQuery {
    fn matches(&self, project: &Project, index: PersonIndex, person: &Person) -> bool {
        self.email.as_ref().is_none_or(|email| {
            person
                .properties
                .get("email")
                .is_some_and(|value| value.text() == *email)
        }) && self
            .search
            .as_ref()
            .is_none_or(|search| search.matches(person))
            && self.filters.matches(project, index, person)
    }

    /// Candidates from an index, newest first, when one can serve the query: the owner of
    /// `distinct_id`, else the persons holding the `email` or one `exact` filter's values.
    fn indexed_candidates(&self, project: &Project) -> Option<Vec<PersonIndex>> {
        let candidates: Vec<PersonIndex> = if let Some(distinct_id) = &self.distinct_id {
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
                .flat_map(ValueBucket::persons)
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        };
        Some(newest_first(project, candidates))
    }

    /// Candidates newest first: from a value index when one serves, else from the `search`
    /// trigram index (sorted when few, else picked out of the newest-first walk so a page
    /// stops early), else every person.
    fn candidates<'a>(&self, project: &'a Project) -> Box<dyn Iterator<Item = PersonIndex> + 'a> {
        if let Some(indexes) = self.indexed_candidates(project) {
            return Box::new(indexes.into_iter());
        }
        let searched = self
            .search
            .as_ref()
            .and_then(|search| project.search_candidates(search));
        let Some(found) = searched else {
            return Box::new(project.newest_first());
        };
        let few = usize::try_from(found.len())
            .is_ok_and(|len| len.saturating_mul(FEW_CANDIDATES) <= project.person_count());
        if few {
            let indexes = found.iter().map(|slot| slot as usize);
            return Box::new(newest_first(project, indexes).into_iter());
        }
        Box::new(
            project
                .newest_first()
                .filter(move |index| u32::try_from(*index).is_ok_and(|slot| found.contains(slot))),
        )
    }
}

/// `indexes` (ascending) newest first, as a stable sort by descending order key orders them:
/// each key read once, not twice per comparison.
fn newest_first(
    project: &Project,
    indexes: impl IntoIterator<Item = PersonIndex>,
) -> Vec<PersonIndex> {
    let mut keyed: Vec<_> = indexes
        .into_iter()
        .map(|index| (Reverse(project.order_key(index)), index))
        .collect();
    // Ties (persons gone, keyless) stay in ascending index order, as a stable sort keeps them.
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, index)| index).collect()
}

/// Search candidates are sorted when at most one person in this many is one; more are picked
/// out of the newest-first walk, which then stops at the end of the page.
const FEW_CANDIDATES: usize = 8;

/// Runs `query` over `project`: walks candidates newest first and stops at the end of the page
/// unless every match must be counted.
pub fn list<'a>(project: &'a Project, query: &ListQuery) -> Page<'a> {
    let candidates = query.candidates(project);
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
            persons.push((index, person));
        }
        matched += 1;
    }
    persons.sort_by(|(_, a), (_, b)| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
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
    let persons = list(project, &all).persons;
    persons.into_iter().map(|(_, person)| person).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::posthog::log::Event;

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
                project.capture(event).unwrap();
            }
            let filters = Filters::parse(&serde_json::json!([{"key": "k", "value": wanted}]).to_string(), 0).unwrap();
            let query = ListQuery { email: email.map(str::to_owned), filters, limit, count_total: true, ..ListQuery::default() };
            let scanned: Vec<_> = project
                .newest_first()
                .filter(|index| query.matches(&project, *index, project.person(*index).unwrap()))
                .collect();
            let page = list(&project, &query);
            prop_assert_eq!(page.total, Some(scanned.len()));
            let mut expected: Vec<&Person> = scanned.iter().take(limit).map(|index| project.person(*index).unwrap()).collect();
            expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
            let listed: Vec<&Person> = page.persons.iter().map(|(_, person)| *person).collect();
            prop_assert_eq!(listed, expected);
        }

        /// Lists narrowed by the `search` trigram index (sorted candidates or a filtered walk)
        /// equal a scan of every person, after identifies have merged persons.
        #[test]
        fn searched_lists_equal_a_scan(
            persons in prop::collection::vec((0..12u8, prop::sample::select(vec![
                "Ada.Lovelace@x.io", "alan@X.io", "grace", "ADA", "d1@d10",
            ]), 0..3i64), 1..40),
            merges in prop::collection::vec((0..12u8, 0..12u8), 0..4),
            search in prop::sample::select(vec![
                "ada", "ADA%x", "lov", "a_a", "x.io", "d1", "D10", "zzz", "an@", "@d1", "%",
            ]),
            limit in 1usize..5,
            count_total: bool,
        ) {
            let mut project = Project::new(1, Arc::new(AtomicI64::new(1)));
            for (id, email, at) in persons {
                let event = Event::new("e", &format!("d{id}")).set("email", email).at(at);
                project.capture(event).unwrap();
            }
            for (kept, absorbed) in merges {
                let event = Event::identify(&format!("d{kept}"), &format!("d{absorbed}")).at(5);
                project.capture(event).unwrap();
            }
            project.check_invariants().unwrap();
            let query = ListQuery { search: Search::new(search), limit, count_total, ..ListQuery::default() };
            let scanned: Vec<_> = project
                .newest_first()
                .filter(|index| query.matches(&project, *index, project.person(*index).unwrap()))
                .collect();
            let page = list(&project, &query);
            prop_assert_eq!(page.total, count_total.then_some(scanned.len()));
            let mut expected: Vec<&Person> = scanned.iter().take(limit).map(|index| project.person(*index).unwrap()).collect();
            expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.uuid.cmp(&b.uuid)));
            let listed: Vec<&Person> = page.persons.iter().map(|(_, person)| *person).collect();
            prop_assert_eq!(listed, expected);
        }
    }
}
