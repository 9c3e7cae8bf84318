//! Activity-log entries written by changes made through the persons API.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::time;

/// What happened to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Properties changed through PATCH/PUT or update_property.
    Updated,
    /// The person was deleted.
    Deleted,
    /// Distinct ids were split off.
    SplitPerson,
    /// A property was deleted through delete_property.
    DeleteProperty,
}

impl Activity {
    /// The name PostHog logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Updated => "updated",
            Activity::Deleted => "deleted",
            Activity::SplitPerson => "split_person",
            Activity::DeleteProperty => "delete_property",
        }
    }
}

/// Who made a change: the owner of the personal API key, as the activity log shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// First name.
    pub first_name: String,
    /// E-mail.
    pub email: String,
}

impl Actor {
    /// The owner of a key nobody named ([`PersonalKey::all_access`](super::PersonalKey::all_access)),
    /// who makes the writes of a seed that names no `user`: Mock, `mock@posthog.local`.
    pub fn mock() -> Self {
        Self {
            first_name: "Mock".to_owned(),
            email: "mock@posthog.local".to_owned(),
        }
    }
}

/// One entry of a project's activity log.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEntry {
    /// What happened.
    pub activity: Activity,
    /// The person's numeric id.
    pub person_pk: i64,
    /// The person's UUID, as text.
    pub person_uuid: String,
    /// Who did it.
    pub actor: Actor,
    /// The change's `after` value, if the activity records one.
    pub after: Option<Value>,
    /// When, in microseconds.
    pub created_at: i64,
}

/// The JSON of one entry, in PostHog's field order.
#[derive(Debug, Serialize)]
pub struct ActivityJson<'a> {
    user: UserJson<'a>,
    activity: &'static str,
    scope: &'static str,
    item_id: String,
    detail: DetailJson<'a>,
    created_at: String,
}

#[derive(Debug, Serialize)]
struct UserJson<'a> {
    first_name: &'a str,
    email: &'a str,
}

/// PostHog's `Detail`: its five keys; `name` is the person's UUID, except for `updated`,
/// which PostHog logs without one.
#[derive(Debug, Serialize)]
struct DetailJson<'a> {
    changes: Option<Vec<ChangeJson<'a>>>,
    trigger: Option<Value>,
    name: Option<&'a str>,
    short_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChangeJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    action: &'static str,
    field: Option<&'static str>,
    before: Option<Value>,
    after: Option<&'a Value>,
}

impl<'a> ActivityJson<'a> {
    /// Renders `entry`.
    pub fn of(entry: &'a ActivityEntry) -> Self {
        let changes = match entry.activity {
            Activity::Updated => Some(vec![ChangeJson {
                kind: "Person",
                action: "changed",
                field: Some("properties"),
                before: None,
                after: None,
            }]),
            Activity::SplitPerson | Activity::DeleteProperty => Some(vec![ChangeJson {
                kind: "Person",
                action: if entry.activity == Activity::SplitPerson {
                    "split"
                } else {
                    "changed"
                },
                field: None,
                before: None,
                after: entry.after.as_ref(),
            }]),
            Activity::Deleted => None,
        };
        Self {
            user: UserJson {
                first_name: &entry.actor.first_name,
                email: &entry.actor.email,
            },
            activity: entry.activity.as_str(),
            scope: "Person",
            item_id: entry.person_pk.to_string(),
            detail: DetailJson {
                changes,
                trigger: None,
                name: (entry.activity != Activity::Updated).then_some(entry.person_uuid.as_str()),
                short_id: None,
                kind: None,
            },
            created_at: time::render(entry.created_at),
        }
    }
}
