//! The persons list: candidates (an index when one serves, else the newest-first order),
//! `distinct_id`/`email`/`search`/`properties` filtering, limit/offset paging, and the
//! `next`/`previous` links built as PostHog builds them.

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
/// name, UUID and distinct ids.
#[derive(Clone, Debug)]
pub struct Search(Regex);

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
        RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .dot_matches_new_line(true)
            .build()
            .ok()
            .map(Search)
    }

    fn matches(&self, person: &Person) -> bool {
        let property = |key: &str| match person.properties.get(key) {
            Some(Value::String(text)) => self.0.is_match(text),
            _ => false,
        };
        property("email")
            || property("name")
            || self.0.is_match(&person.uuid.to_string())
            || person.stored_distinct_ids().any(|id| self.0.is_match(id))
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

    /// Candidates from an index, newest first, when one can serve the query.
    fn indexed_candidates(&self, project: &Project) -> Option<Vec<PersonIndex>> {
        let mut candidates: Vec<PersonIndex> = if let Some(distinct_id) = &self.distinct_id {
            project.by_distinct_id(distinct_id).into_iter().collect()
        } else {
            let (key, text) = match &self.email {
                Some(email) => ("email", email.clone()),
                None => self.filters.indexable()?,
            };
            project
                .values_of(key)
                .and_then(|buckets| buckets.get(&text))
                .map(|bucket| bucket.persons.iter().copied().collect())
                .unwrap_or_default()
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

/// The absolute URL of the request, with `offset` set to `offset`: PostHog's
/// `format_query_params_absolute_url` (replaces an existing `offset`, else appends one; never
/// adds `limit`).
pub fn page_url(base: &str, path: &str, query: &[(String, String)], offset: usize) -> String {
    let mut pairs: Vec<(String, String)> = query.to_vec();
    match pairs.iter_mut().find(|(key, _)| key == "offset") {
        Some((_, value)) => *value = offset.to_string(),
        None => pairs.push(("offset".to_owned(), offset.to_string())),
    }
    with_query(base, path, &pairs)
}

/// `base + path`, with `pairs` as its query string (none when empty).
pub fn with_query(base: &str, path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return format!("{base}{path}");
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{base}{path}?{encoded}")
}

/// The `next` and `previous` links of a page: `next` whenever the page is full; `previous`
/// null before the first page, and — PostHog's quirk — the current URL unchanged when
/// `offset == limit`.
pub fn links(
    base: &str,
    path: &str,
    query: &[(String, String)],
    offset: usize,
    limit: usize,
    fetched: usize,
) -> (Option<String>, Option<String>) {
    let next =
        (fetched >= limit).then(|| page_url(base, path, query, offset.saturating_add(limit)));
    let previous = match offset.checked_sub(limit) {
        None => None,
        Some(0) => Some(with_query(base, path, query)),
        Some(previous) => Some(page_url(base, path, query, previous)),
    };
    (next, previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn links_follow_posthogs_rules() {
        let base = "http://h";
        let path = "/posthog/api/projects/1/persons/";
        let (next, previous) = links(base, path, &pairs(&[("limit", "2")]), 0, 2, 2);
        assert_eq!(
            next.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?limit=2&offset=2")
        );
        assert_eq!(previous, None);
        let query = pairs(&[("limit", "2"), ("offset", "2")]);
        let (_, previous) = links(base, path, &query, 2, 2, 1);
        assert_eq!(
            previous.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?limit=2&offset=2"),
            "offset == limit keeps the current URL"
        );
        let query = pairs(&[("limit", "2"), ("offset", "4")]);
        let (next, previous) = links(base, path, &query, 4, 2, 1);
        assert_eq!(next, None);
        assert_eq!(
            previous.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?limit=2&offset=2")
        );
        let (next, _) = links(base, path, &[], 0, 100, 100);
        assert_eq!(
            next.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?offset=100")
        );
    }

    #[test]
    fn search_is_an_ilike_substring() {
        let search = Search::new("EX%le").unwrap();
        assert!(search.0.is_match("an example"));
        assert!(Search::new("a_c").unwrap().0.is_match("xabcx"));
        assert!(Search::new("").is_none());
    }
}
