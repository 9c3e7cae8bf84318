//! `next`/`previous` links, built the two ways PostHog builds them: its own
//! `format_query_params_absolute_url` (persons list, activity) and DRF's
//! `LimitOffsetPagination` (deletion_status).

use std::collections::BTreeMap;

/// The request a link is built from: absolute base (`scheme://host`), path and query pairs.
#[derive(Clone, Copy, Debug)]
pub struct Url<'a> {
    /// `scheme://host`.
    pub base: &'a str,
    /// The raw path.
    pub path: &'a str,
    /// The decoded query pairs, in order.
    pub query: &'a [(String, String)],
}

impl Url<'_> {
    /// PostHog's `format_query_params_absolute_url`: for each `(name, value)` with a non-zero
    /// value (Python's `if offset:`), the digits of every existing `name=<digits>` are replaced,
    /// or `name=value` is appended. A zero leaves the URL as it is — the reason a list page at
    /// `offset == limit` links `previous` to itself.
    pub fn posthog(&self, rewrites: &[(&str, usize)]) -> String {
        let mut pairs = self.query.to_vec();
        for (name, value) in rewrites {
            if *value == 0 {
                continue;
            }
            let mut replaced = false;
            for (key, current) in &mut pairs {
                let digits = current.bytes().take_while(u8::is_ascii_digit).count();
                if key == name && digits > 0 {
                    current.replace_range(..digits, &value.to_string());
                    replaced = true;
                }
            }
            if !replaced {
                pairs.push(((*name).to_owned(), value.to_string()));
            }
        }
        self.with(&pairs)
    }

    /// DRF's `replace_query_param`/`remove_query_param`: each `(name, Some(value))` replaces
    /// every `name` with one `name=value`, each `(name, None)` removes `name`; the query is
    /// re-encoded with its keys sorted, as Python's `urlencode(sorted(…))` does.
    pub fn drf(&self, changes: &[(&str, Option<usize>)]) -> String {
        let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (key, value) in self.query {
            grouped.entry(key).or_default().push(value.clone());
        }
        for (name, value) in changes {
            match value {
                Some(value) => grouped.insert(name, vec![value.to_string()]),
                None => grouped.remove(name),
            };
        }
        let pairs: Vec<(String, String)> = grouped
            .into_iter()
            .flat_map(|(key, values)| values.into_iter().map(move |value| (key.to_owned(), value)))
            .collect();
        self.with(&pairs)
    }

    /// `base + path` with `pairs` as the query string (none when empty).
    fn with(&self, pairs: &[(String, String)]) -> String {
        let Url { base, path, .. } = self;
        if pairs.is_empty() {
            return format!("{base}{path}");
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{base}{path}?{encoded}")
    }
}

/// The persons list's links: `next` whenever the page is full (PostHog counts fetched ids, so
/// the last full page links to an empty one); `previous` null before `limit`.
pub fn list_links(
    url: &Url<'_>,
    offset: usize,
    limit: usize,
    fetched: usize,
) -> (Option<String>, Option<String>) {
    let next = (fetched >= limit).then(|| url.posthog(&[("offset", offset.saturating_add(limit))]));
    let previous = offset
        .checked_sub(limit)
        .map(|previous| url.posthog(&[("offset", previous)]));
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

    fn url(query: &[(String, String)]) -> Url<'_> {
        Url {
            base: "http://h",
            path: "/posthog/api/projects/1/persons/",
            query,
        }
    }

    #[test]
    fn list_links_follow_posthogs_rules() {
        let query = pairs(&[("limit", "2")]);
        let (next, previous) = list_links(&url(&query), 0, 2, 2);
        assert_eq!(
            next.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?limit=2&offset=2")
        );
        assert_eq!(previous, None);
        let query = pairs(&[("offset", "2"), ("limit", "2")]);
        let (_, previous) = list_links(&url(&query), 2, 2, 1);
        assert_eq!(
            previous.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?offset=2&limit=2"),
            "offset == limit keeps the current URL, offset in place"
        );
        let query = pairs(&[("offset", "4"), ("limit", "2")]);
        let (next, previous) = list_links(&url(&query), 4, 2, 1);
        assert_eq!(next, None);
        assert_eq!(
            previous.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?offset=2&limit=2")
        );
        let (next, _) = list_links(&url(&[]), 0, 100, 100);
        assert_eq!(
            next.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/?offset=100")
        );
        let (_, previous) = list_links(&url(&[]), usize::MAX, usize::MAX, 0);
        assert_eq!(
            previous.as_deref(),
            Some("http://h/posthog/api/projects/1/persons/")
        );
    }

    #[test]
    fn a_non_numeric_offset_is_kept_and_another_appended() {
        let query = pairs(&[("offset", "x")]);
        assert_eq!(
            url(&query).posthog(&[("offset", 5)]),
            "http://h/posthog/api/projects/1/persons/?offset=x&offset=5"
        );
    }

    #[test]
    fn drf_links_sort_keys_and_drop_offset_zero() {
        let query = pairs(&[("status", "all"), ("offset", "1"), ("a", "b")]);
        assert_eq!(
            url(&query).drf(&[("limit", Some(1)), ("offset", None)]),
            "http://h/posthog/api/projects/1/persons/?a=b&limit=1&status=all"
        );
    }
}
