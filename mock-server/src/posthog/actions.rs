//! What every persons action shares: the call, the project it acts on, and the helpers that
//! read parameters, bodies and person ids the way PostHog does.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::activity::Actor;
use super::error::PostHogError;
use super::keys::PersonalKey;
use super::links::Url;
use super::project::{PersonIndex, Project};
use crate::http::{ApiRequest, ApiResponse, decode_segment};

/// One authorised call of an action.
#[derive(Debug)]
pub struct Call<'a> {
    /// The request.
    pub request: &'a ApiRequest,
    /// The key that made it.
    pub key: &'a PersonalKey,
    /// The path segments after `persons/`.
    pub rest: &'a [&'a str],
    /// The clock's now, in microseconds.
    pub now: i64,
    /// Whether the path ended in `persons.csv`.
    pub csv_suffix: bool,
}

/// The project an action runs on: shared for reads, exclusive for writes.
#[derive(Debug)]
pub enum Target<'a> {
    /// A read.
    Read(&'a Project),
    /// A write.
    Write(&'a mut Project),
}

impl Target<'_> {
    /// The project, for reading.
    pub fn project(&self) -> &Project {
        match self {
            Target::Read(project) => project,
            Target::Write(project) => project,
        }
    }

    /// The project, for writing (a read-only target is a bug of the route table: 500).
    pub fn project_mut(&mut self) -> Result<&mut Project, PostHogError> {
        match self {
            Target::Write(project) => Ok(project),
            Target::Read(_) => Err(PostHogError::server_error()),
        }
    }
}

impl Call<'_> {
    /// Query parameter `name`, empty counting as absent (Django's falsy `GET.get`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.request
            .query_param(name)
            .filter(|value| !value.is_empty())
    }

    /// Whether query parameter `name` is present, whatever its value.
    pub fn has_param(&self, name: &str) -> bool {
        self.request.query.iter().any(|(key, _)| key == name)
    }

    /// A positive integer parameter, or `default` when absent, malformed or not positive
    /// (DRF's pagination never answers 400 for these); one too big for `usize` saturates.
    pub fn positive_param(&self, name: &str, default: usize) -> usize {
        self.param(name)
            .and_then(saturating_usize)
            .filter(|value| *value > 0)
            .unwrap_or(default)
    }

    /// A non-negative integer parameter, 0 when absent or malformed; saturates when too big.
    pub fn offset_param(&self) -> usize {
        self.param("offset").and_then(saturating_usize).unwrap_or(0)
    }

    /// A parameter read with Python's `int(request.query_params.get(name, default))`: absent →
    /// `default`; not an integer (empty included) → 500 as the `ValueError` gives in PostHog;
    /// not positive → `default`.
    pub fn python_int(&self, name: &str, default: usize) -> Result<usize, PostHogError> {
        let Some(raw) = self.request.query_param(name) else {
            return Ok(default);
        };
        let trimmed = raw.trim();
        let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(PostHogError::server_error());
        }
        Ok(saturating_usize(trimmed)
            .filter(|value| *value > 0)
            .unwrap_or(default))
    }

    /// The JSON body as an object: `{}` when empty; 415 for a non-JSON content type; 400
    /// `parse_error` for malformed JSON; a JSON value that is not an object counts as `{}`.
    pub fn body(&self) -> Result<Map<String, Value>, PostHogError> {
        let body = &self.request.body;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        if let Some(content_type) = self.request.header("content-type")
            && !content_type.trim().starts_with("application/json")
        {
            return Err(PostHogError::unsupported_media_type(content_type));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Ok(Map::new()),
            Err(error) => Err(PostHogError::parse_error(error)),
        }
    }

    /// The scheme and host the request reached, for absolute links.
    pub fn base_url(&self) -> String {
        let host = self.request.header("host").unwrap_or("localhost");
        let scheme = self.request.header("x-forwarded-proto").unwrap_or("http");
        format!("{scheme}://{host}")
    }

    /// The person id segment (`persons/{id}/…`), percent-decoded.
    pub fn person_segment(&self) -> String {
        let raw = self.rest.first().copied().unwrap_or_default();
        decode_segment(raw).unwrap_or_else(|| raw.to_owned())
    }

    /// The request's URL, for building links; `base` is [`Call::base_url`].
    pub fn url<'a>(&'a self, base: &'a str) -> Url<'a> {
        Url {
            base,
            path: &self.request.path,
            query: &self.request.query,
        }
    }

    /// Who is acting, for the activity log.
    pub fn actor(&self) -> Actor {
        Actor {
            first_name: self.key.first_name.clone(),
            email: self.key.email.clone(),
        }
    }
}

/// A non-negative integer (`+` allowed, surrounding blanks ignored); `usize::MAX` when it is
/// all digits but too big; `None` otherwise.
fn saturating_usize(raw: &str) -> Option<usize> {
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(usize::MAX))
}

/// A person id as PostHog accepts it: numeric id or UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonId {
    /// The numeric primary key.
    Pk(i64),
    /// The UUID.
    Uuid(Uuid),
}

impl PersonId {
    /// Parses `raw`; 400 with PostHog's hint when it is neither.
    pub fn parse(raw: &str) -> Result<Self, PostHogError> {
        if let Ok(pk) = raw.parse::<i64>() {
            return Ok(PersonId::Pk(pk));
        }
        Uuid::parse_str(raw).map(PersonId::Uuid).map_err(|_| {
            PostHogError::invalid(
                "The ID provided does not look like a personID. If you are using a distinctId, please use /persons?distinct_id=<value> instead.",
            )
        })
    }

    /// The live person it names.
    pub fn find(self, project: &Project) -> Option<PersonIndex> {
        match self {
            PersonId::Pk(pk) => project.by_pk(pk),
            PersonId::Uuid(uuid) => project.by_uuid(&uuid),
        }
    }
}

/// The person named by the path: 400 for a malformed id, 404 when there is none.
pub fn path_person(project: &Project, call: &Call<'_>) -> Result<PersonIndex, PostHogError> {
    PersonId::parse(&call.person_segment())?
        .find(project)
        .ok_or_else(PostHogError::not_found)
}

/// An empty `202 Accepted`.
pub fn accepted() -> ApiResponse {
    ApiResponse::empty(202)
}
