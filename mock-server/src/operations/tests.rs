use std::sync::Arc;

use super::*;
use crate::http::{ApiRequest, ApiResponse};
use crate::pipedrive::Pipedrive;
use crate::posthog::PostHog;
use crate::posthog::keys::PersonalKey;
use crate::router::App;
use crate::whop::Whop;

/// `(api, id)` of what `method path` hits.
fn hit(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    lookup(method, path).map(|operation| (operation.api(), operation.id()))
}

#[test]
fn looks_up_whop_operations() {
    assert_eq!(
        hit("GET", "/whop/api/v1/people"),
        Some(("whop", "listPeople"))
    );
    assert_eq!(
        hit("get", "/whop/api/v1/people/pers_1"),
        Some(("whop", "retrievePerson"))
    );
    assert_eq!(
        hit("POST", "/whop/api/v1/events"),
        Some(("whop", "createEvent"))
    );
    assert_eq!(hit("GET", "/whop/api/v1/people/"), None, "Whop has no `/?`");
    assert_eq!(hit("DELETE", "/whop/api/v1/people"), None);
}

#[test]
fn looks_up_posthog_operations_with_or_without_the_trailing_slash() {
    for path in [
        "/posthog/api/projects/1/persons/",
        "/posthog/api/projects/1/persons",
    ] {
        assert_eq!(
            hit("GET", path),
            Some(("posthog", "persons_list")),
            "{path}"
        );
    }
    assert_eq!(
        hit(
            "GET",
            "/posthog/api/environments/@current/persons/0190-abc/"
        ),
        Some(("posthog", "environments_persons_retrieve"))
    );
    assert_eq!(
        hit("POST", "/posthog/batch"),
        Some(("posthog", "capture_batch"))
    );
    assert_eq!(
        hit("GET", "/posthog/api/projects/1/persons//"),
        None,
        "an empty segment is no id"
    );
}

#[test]
fn looks_up_pipedrive_operations_by_version() {
    assert_eq!(
        hit("GET", "/pipedrive/v1/persons/7"),
        Some(("pipedrive-v1", "getPerson"))
    );
    assert_eq!(
        hit("GET", "/pipedrive/api/v2/persons/7"),
        Some(("pipedrive-v2", "getPerson"))
    );
    assert_eq!(
        hit("PATCH", "/pipedrive/api/v2/persons/7"),
        Some(("pipedrive-v2", "updatePerson"))
    );
    assert_eq!(
        hit("DELETE", "/pipedrive/api/v2/persons/7/followers/3"),
        Some(("pipedrive-v2", "deletePersonFollower"))
    );
    assert_eq!(hit("PATCH", "/pipedrive/v1/persons/7"), None);
}

#[test]
fn pipedrive_v1_is_also_found_under_its_api_alias() {
    assert_eq!(
        hit("GET", "/pipedrive/api/v1/persons/7/flow"),
        Some(("pipedrive-v1", "getPersonUpdates"))
    );
    assert_eq!(
        hit("GET", "/pipedrive/api/v1/persons"),
        Some(("pipedrive-v1", "getPersons"))
    );
    assert_eq!(hit("GET", "/pipedrive/api/v1"), None);
    assert_eq!(hit("GET", "/pipedrive/api/v1/nothing"), None);
}

#[test]
fn literal_segments_beat_parameters() {
    assert_eq!(
        hit("GET", "/pipedrive/v1/persons/search"),
        Some(("pipedrive-v1", "searchPersons"))
    );
    assert_eq!(
        hit("GET", "/pipedrive/v1/persons/collection"),
        Some(("pipedrive-v1", "getPersonsCollection"))
    );
    assert_eq!(
        hit("GET", "/posthog/api/projects/1/persons/values/"),
        Some(("posthog", "persons_values_retrieve"))
    );
    assert_eq!(
        hit("GET", "/pipedrive/api/v2/persons/7/followers/changelog"),
        Some(("pipedrive-v2", "getPersonFollowersChangelog"))
    );
}

#[test]
fn routes_carry_their_path_parameters() {
    let found = |method, path| match resolve(method, path) {
        Resolution::Found { route, .. } => Some(route),
        Resolution::WrongMethod { .. } | Resolution::NotFound => None,
    };
    assert_eq!(
        found("GET", "/whop/api/v1/people/pers_1"),
        Some(Route::Whop(WhopOperation::RetrievePerson {
            person_id: "pers_1"
        }))
    );
    assert_eq!(
        found("DELETE", "/pipedrive/api/v1/persons/7/followers/3"),
        Some(Route::PipedriveV1(
            PipedriveV1Operation::DeletePersonFollower {
                id: "7",
                follower_id: "3"
            }
        )),
        "the alias resolves as the spec path"
    );
    assert_eq!(
        found("GET", "/posthog/api/environments/@current/persons/a%40b/"),
        Some(Route::Posthog(
            PosthogOperation::EnvironmentsPersonsRetrieve {
                environment_id: "@current",
                id: "a%40b"
            }
        )),
        "parameters stay percent-encoded"
    );
}

#[test]
fn the_path_decides_before_the_method() {
    let wrong = |method, path| match resolve(method, path) {
        Resolution::WrongMethod { api, allowed } => Some((api.name(), allowed.to_vec())),
        Resolution::Found { .. } | Resolution::NotFound => None,
    };
    assert_eq!(
        wrong("DELETE", "/posthog/api/projects/1/persons/values/"),
        Some(("posthog", vec!["GET"])),
        "`values` is a collection action, not a person id, whatever the method"
    );
    assert_eq!(
        wrong("POST", "/posthog/api/projects/1/persons"),
        Some(("posthog", vec!["GET"]))
    );
    assert_eq!(
        wrong("PATCH", "/pipedrive/v1/persons/7"),
        Some(("pipedrive-v1", vec!["DELETE", "GET", "PUT"]))
    );
    assert_eq!(
        wrong("GET", "/whop/api/v1/people"),
        None,
        "a found operation is not a wrong method"
    );
    assert_eq!(
        wrong("DELETE", "/whop/api/v1/people/prsn_1"),
        Some(("whop", vec!["GET"]))
    );
    assert_eq!(resolve("GET", "/whop/api/v1/nope"), Resolution::NotFound);
}

#[test]
fn capture_takes_every_method_browsers_and_libraries_send() {
    for (method, path, id) in [
        ("GET", "/posthog/e/", "capture_event_short_get"),
        ("OPTIONS", "/posthog/e", "capture_event_short_options"),
        ("POST", "/posthog/track/", "capture_track"),
        ("GET", "/posthog/engage", "capture_engage_get"),
        ("POST", "/posthog/i/v0/e/", "capture_event"),
    ] {
        assert_eq!(hit(method, path), Some(("posthog", id)), "{method} {path}");
    }
    for csv in [
        "/posthog/api/projects/1/persons.csv",
        "/posthog/api/projects/1/persons.csv/",
    ] {
        assert_eq!(
            hit("GET", csv),
            Some(("posthog", "persons_list_csv")),
            "{csv}"
        );
    }
    let writes = |method, path| lookup(method, path).map(Operation::writes);
    assert_eq!(
        writes("GET", "/posthog/e/"),
        Some(true),
        "a beacon captures"
    );
    assert_eq!(writes("OPTIONS", "/posthog/e/"), Some(false));
    assert_eq!(
        writes("POST", "/posthog/api/projects/1/persons/batch_by_uuids/"),
        Some(false),
        "a look-up sent as POST"
    );
    assert_eq!(writes("POST", "/whop/api/v1/events"), Some(true));
}

#[test]
fn unknown_paths_hit_nothing() {
    for path in [
        "/",
        "",
        "/nope",
        "/whop/api/v1/nope",
        "/pipedrive/v3/persons",
    ] {
        assert_eq!(hit("GET", path), None, "{path}");
    }
}

#[test]
fn names_and_nearest_paths() {
    let apis: Vec<&str> = named("getPersons").iter().map(|op| op.api()).collect();
    assert_eq!(apis, ["pipedrive-v2", "pipedrive-v1"]);
    assert!(exists("listPeople"));
    assert!(!exists("listPeeple"));
    assert!(named("listPeeple").is_empty());

    let near = nearest("GET", "/whop/api/v1/peeple", 2);
    let ids: Vec<&str> = near.iter().map(|op| op.id()).collect();
    assert_eq!(ids, ["listEvents", "listPeople"]);
    assert!(nearest("GET", "/elsewhere", 3).is_empty());
}

#[test]
fn route_patterns_match_concrete_paths_and_templates() {
    let template = RoutePattern::parse("get", "/whop/api/v1/people/{id}").unwrap();
    assert!(template.matches("GET", "/whop/api/v1/people/pers_1"));
    assert!(!template.matches("POST", "/whop/api/v1/people/pers_1"));
    assert!(!template.matches("GET", "/whop/api/v1/people"));

    let concrete = RoutePattern::parse("POST", "/posthog/batch/").unwrap();
    assert!(concrete.matches("POST", "/posthog/batch"));
    assert!(concrete.matches("POST", "/posthog/batch/"));
    let exact = RoutePattern::parse("POST", "/posthog/batch").unwrap();
    assert!(!exact.matches("POST", "/posthog/batch/"));

    assert!(RoutePattern::parse("GE T", "/x").is_err());
    assert!(RoutePattern::parse("GET", "x").is_err());
    assert!(RoutePattern::parse("GET", "/x?first=1").is_err());
}

#[test]
fn the_table_covers_every_api_and_has_no_duplicates() {
    let mut apis: Vec<&str> = all().iter().map(|op| op.api()).collect();
    apis.sort_unstable();
    apis.dedup();
    assert_eq!(
        apis,
        [
            "pipedrive-v1",
            "pipedrive-v2",
            "posthog",
            "whop",
            "whop-current"
        ]
    );
    let mut routes: Vec<(&str, &str)> = all().iter().map(|op| (op.method(), op.path())).collect();
    let before = routes.len();
    routes.sort_unstable();
    routes.dedup();
    assert_eq!(routes.len(), before);
    for operation in all() {
        assert_eq!(
            lookup(operation.method(), &filled(operation.path())),
            Some(operation),
            "{operation:?}"
        );
    }
}

/// `template` with every `{param}` replaced by `1` (an id every vendor parses).
fn filled(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `response` is the vendor's answer to a `method` request on a path or method it has
/// no route for.
fn is_route_miss(api: &str, method: &str, response: &ApiResponse) -> bool {
    let body = response.json_body();
    match api {
        "whop" => {
            response.status == 404
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|message| message.starts_with("Route not found"))
        }
        // PostHog routes paths before it authenticates, so the anonymous request already
        // proved the path (its `Not found.` would be ambiguous with an unknown person here).
        // A wrong method's `Allow` leaves the method out; a handler's own 405 (a flag's refused
        // DELETE) lists it.
        "posthog" => {
            response.status == 405
                && response.headers.iter().any(|(name, allowed)| {
                    name == "allow" && !allowed.split(", ").any(|allowed| allowed == method)
                })
        }
        _ => {
            response.status == 404
                && body["error"]
                    .as_str()
                    .is_some_and(|message| message.starts_with("Unknown method or path"))
        }
    }
}

/// An operation as `(api, method, path template, id)`.
type Row = (&'static str, &'static str, &'static str, &'static str);

/// Credentials for every vendor of an app.
struct Keys {
    whop: String,
    posthog: String,
    pipedrive: String,
}

impl Keys {
    fn create(app: &Arc<App>) -> Self {
        let whop = Whop::new(Arc::clone(&app.whop), app.clock.clone(), "");
        let posthog = PostHog::new(Arc::clone(&app.posthog), app.clock.clone(), "");
        posthog.create_project(1);
        let pipedrive = Pipedrive::new(Arc::clone(&app.pipedrive), app.clock.clone(), "");
        Self {
            whop: whop.create_account_key("biz_1"),
            posthog: posthog.create_personal_key(PersonalKey::all_access(1)),
            pipedrive: pipedrive.create_company(1).1,
        }
    }

    fn sign(&self, api: &str, request: ApiRequest) -> ApiRequest {
        match api {
            "whop" | "whop-current" => {
                request.with_header("authorization", &format!("Bearer {}", self.whop))
            }
            "posthog" => request.with_header("authorization", &format!("Bearer {}", self.posthog)),
            _ => request.with_header("x-api-token", &self.pipedrive),
        }
    }
}

/// `request` in the contract of `api`: Whop's current contract takes an `Api-Version-Date`.
fn in_contract(api: &str, request: ApiRequest) -> ApiRequest {
    match api {
        "whop-current" => request.with_header("Api-Version-Date", "2026-10-15-1"),
        _ => request,
    }
}

/// Why `app` does not route `operation`, if it does not: without credentials it must not
/// answer 404 (a vendor's 401, or a handler's answer for capture), and with them it must not
/// answer the vendor's "no such route" (whatever the handler makes of dummy ids and `{}`).
fn routing_problem(app: &App, keys: &Keys, route: Row) -> Option<String> {
    let (api, method, path, id) = route;
    let path = filled(path);
    let anonymous = app.handle(&in_contract(api, ApiRequest::new(method, &path)));
    let request = in_contract(api, ApiRequest::new(method, &path))
        .with_header("content-type", "application/json")
        .with_body("{}");
    let authorised = app.handle(&keys.sign(api, request));
    let (case, response) = if anonymous.status == 404 {
        ("without credentials", anonymous)
    } else if is_route_miss(api, method, &authorised) {
        ("with credentials", authorised)
    } else {
        return None;
    };
    Some(format!(
        "{method} {path} ({id}) {case}: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    ))
}

/// The specs and the mock agree: the mock routes every operation in the table.
#[test]
fn the_mock_answers_every_operation_in_the_table() {
    let app = Arc::new(App::default());
    let keys = Keys::create(&app);
    let problems: Vec<String> = all()
        .iter()
        .filter_map(|op| routing_problem(&app, &keys, (op.api(), op.method(), op.path(), op.id())))
        .collect();
    assert!(
        problems.is_empty(),
        "operations the mock does not route:\n{}",
        problems.join("\n")
    );
}

/// The check above notices routes the mock lacks, for each vendor.
#[test]
fn the_routing_check_notices_missing_routes() {
    let app = Arc::new(App::default());
    let keys = Keys::create(&app);
    let missing = [
        ("whop", "GET", "/whop/api/v1/people/{id}/events"),
        (
            "posthog",
            "GET",
            "/posthog/api/projects/{project_id}/persons/{id}/events/",
        ),
        (
            "posthog",
            "PUT",
            "/posthog/api/projects/{project_id}/persons/",
        ),
        ("pipedrive-v1", "GET", "/pipedrive/v1/persons/{id}/nothing"),
        ("pipedrive-v2", "PUT", "/pipedrive/api/v2/persons/{id}"),
    ];
    for (api, method, path) in missing {
        assert!(
            routing_problem(&app, &keys, (api, method, path, "missing")).is_some(),
            "{method} {path} was not noticed"
        );
    }
}

/// Every 405, of every vendor, on every path of the table, with or without credentials,
/// carries `Allow` naming exactly the methods the specs give that path.
#[test]
fn every_405_carries_allow() {
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE"];
    let app = Arc::new(App::default());
    let keys = Keys::create(&app);
    let mut answered = 0;
    for operation in all() {
        let path = filled(operation.path());
        let mut allowed: Vec<&str> = all()
            .iter()
            .filter(|other| filled(other.path()) == path)
            .map(|other| other.method())
            .collect();
        allowed.sort_unstable();
        for method in METHODS.iter().filter(|method| !allowed.contains(method)) {
            for request in [
                ApiRequest::new(method, &path),
                keys.sign(operation.api(), ApiRequest::new(method, &path)),
            ] {
                let response = app.handle(&request);
                if response.status != 405 {
                    continue;
                }
                answered += 1;
                let mut allow: Vec<&str> = response
                    .headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("allow"))
                    .unwrap_or_else(|| panic!("{method} {path}: a 405 without Allow"))
                    .1
                    .split(", ")
                    .collect();
                allow.sort_unstable();
                assert_eq!(allow, allowed, "{method} {path}");
            }
        }
    }
    assert!(answered > 0, "some request got a 405");
}
