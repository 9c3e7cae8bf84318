//! Personal API keys (`phx_…`): who owns them, which projects and scopes they reach, and how a
//! request presents one (header, body or query string).

use std::collections::{BTreeSet, HashMap};

use super::activity::Actor;
use super::error::PostHogError;
use crate::http::ApiRequest;

/// Every scope, for keys that may do anything.
pub const ALL_SCOPES: &str = "*";

/// What one personal API key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalKey {
    /// The owner's first name (rendered in activity logs).
    pub first_name: String,
    /// The owner's e-mail.
    pub email: String,
    /// The projects the owner is a member of.
    pub member_of: BTreeSet<i64>,
    /// The project `@current` means.
    pub current_project: i64,
    /// Projects the key is limited to (`None`: every project its owner reaches).
    pub scoped_projects: Option<BTreeSet<i64>>,
    /// Scopes such as `person:read` (`None`: a legacy key without scopes, allowed everything).
    pub scopes: Option<BTreeSet<String>>,
}

impl PersonalKey {
    /// A key of a member of `project` with every scope (`*`).
    pub fn all_access(project: i64) -> Self {
        let Actor { first_name, email } = Actor::mock();
        Self {
            first_name,
            email,
            member_of: [project].into(),
            current_project: project,
            scoped_projects: None,
            scopes: Some([ALL_SCOPES.to_owned()].into()),
        }
    }

    /// Limits the key to `scopes`.
    pub fn with_scopes<'a>(mut self, scopes: impl IntoIterator<Item = &'a str>) -> Self {
        self.scopes = Some(scopes.into_iter().map(str::to_owned).collect());
        self
    }

    /// Makes it a legacy key without scopes (allowed everything).
    pub fn unscoped(mut self) -> Self {
        self.scopes = None;
        self
    }

    /// Limits the key to `projects`.
    pub fn scoped_to_projects(mut self, projects: impl IntoIterator<Item = i64>) -> Self {
        self.scoped_projects = Some(projects.into_iter().collect());
        self
    }

    /// Makes the owner a member of `project` too.
    pub fn member_of(mut self, project: i64) -> Self {
        self.member_of.insert(project);
        self
    }

    /// Whether the key has scopes (scoped keys may not call actions declaring none).
    pub fn is_scoped(&self) -> bool {
        self.scopes.is_some()
    }

    /// 403 unless the key grants `scope` (`x:write` grants `x:read`; `*` grants all).
    pub fn require(&self, scope: &str) -> Result<(), PostHogError> {
        let Some(scopes) = &self.scopes else {
            return Ok(());
        };
        let write = scope
            .strip_suffix(":read")
            .map(|object| format!("{object}:write"));
        let granted = scopes.contains(ALL_SCOPES)
            || scopes.contains(scope)
            || write.is_some_and(|write| scopes.contains(&write));
        if granted {
            Ok(())
        } else {
            Err(PostHogError::forbidden(format!(
                "API key missing required scope '{scope}'"
            )))
        }
    }

    /// 403 unless the key may act on `project`.
    pub fn check_project(&self, project: i64) -> Result<(), PostHogError> {
        if let Some(scoped) = &self.scoped_projects
            && !scoped.contains(&project)
        {
            return Err(PostHogError::forbidden(format!(
                "API key does not have access to the requested project: ID {project}."
            )));
        }
        if !self.member_of.contains(&project) {
            return Err(PostHogError::forbidden(
                "You don't have access to the project.",
            ));
        }
        Ok(())
    }
}

/// Every personal API key.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, PersonalKey>,
}

impl KeyRing {
    /// Registers `token` (replacing an earlier key with the same token).
    pub fn insert(&mut self, token: String, key: PersonalKey) {
        self.keys.insert(token, key);
    }

    /// Whether `token` is a registered key.
    pub fn contains(&self, token: &str) -> bool {
        self.keys.contains_key(token)
    }

    /// Every key with its token, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PersonalKey)> {
        self.keys.iter().map(|(token, key)| (token.as_str(), key))
    }

    /// The key a request presents, looked for as PostHog does: the `Authorization: Bearer`
    /// header, then `personal_api_key` in a JSON body, then in the query string.
    pub fn authenticate(&self, request: &ApiRequest) -> Result<&PersonalKey, PostHogError> {
        let (token, location) =
            presented_key(request).ok_or_else(PostHogError::not_authenticated)?;
        self.keys
            .get(&token)
            .ok_or_else(|| PostHogError::invalid_key(location))
    }
}

/// The presented key and where it was found.
fn presented_key(request: &ApiRequest) -> Option<(String, &'static str)> {
    if let Some(token) = bearer(request.header("authorization")) {
        return Some((token, "Authorization header"));
    }
    let from_body = serde_json::from_slice::<serde_json::Value>(&request.body)
        .ok()
        .and_then(|body| body.get("personal_api_key")?.as_str().map(str::to_owned));
    if let Some(token) = from_body.filter(|token| !token.is_empty()) {
        return Some((token, "body"));
    }
    request
        .query_param("personal_api_key")
        .filter(|token| !token.is_empty())
        .map(|token| (token.to_owned(), "query string"))
}

/// The token of `Bearer <token>` (PostHog's `^Bearer\s+(\S.+)$`).
fn bearer(header: Option<&str>) -> Option<String> {
    let rest = header?.strip_prefix("Bearer")?;
    let token = rest.trim_start();
    (token.len() < rest.len()
        && token.chars().count() >= 2
        && !token.starts_with(char::is_whitespace))
    .then(|| token.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_grants_read_and_star_grants_all() {
        let writer = PersonalKey::all_access(1).with_scopes(["person:write"]);
        assert!(writer.require("person:read").is_ok());
        let missing = writer.require("cohort:read").unwrap_err();
        assert_eq!(
            (missing.status, missing.detail.as_str()),
            (403, "API key missing required scope 'cohort:read'")
        );
        assert!(
            PersonalKey::all_access(1)
                .require("activity_log:read")
                .is_ok()
        );
        assert!(
            PersonalKey::all_access(1)
                .unscoped()
                .require("anything")
                .is_ok()
        );
    }

    #[test]
    fn keys_are_found_in_header_body_then_query() {
        let mut ring = KeyRing::default();
        ring.insert("phx_a".into(), PersonalKey::all_access(1));
        let header = ApiRequest::new("GET", "/").with_header("Authorization", "Bearer phx_a");
        assert!(ring.authenticate(&header).is_ok());
        let body = ApiRequest::new("POST", "/").with_body(r#"{"personal_api_key":"phx_b"}"#);
        assert_eq!(
            ring.authenticate(&body).unwrap_err().detail,
            "Personal API key found in request body is invalid."
        );
        let query = ApiRequest::new("GET", "/?personal_api_key=phx_c");
        assert_eq!(
            ring.authenticate(&query).unwrap_err().detail,
            "Personal API key found in request query string is invalid."
        );
        let none = ApiRequest::new("GET", "/").with_header("Authorization", "Basic x");
        assert_eq!(
            ring.authenticate(&none).unwrap_err().code,
            "not_authenticated"
        );
    }

    #[test]
    fn project_scoping() {
        let key = PersonalKey::all_access(1)
            .member_of(2)
            .scoped_to_projects([1]);
        assert!(key.check_project(1).is_ok());
        assert_eq!(
            key.check_project(2).unwrap_err().detail,
            "API key does not have access to the requested project: ID 2."
        );
        assert_eq!(
            PersonalKey::all_access(1)
                .check_project(3)
                .unwrap_err()
                .detail,
            "You don't have access to the project."
        );
    }
}
