//! The list endpoints under load, with the credentials of the tenant they read and where
//! each one lives on our server and on Prism.
//!
//! The credentials are the mock's published constants, copied rather than imported so that
//! the xtask binary builds even while the mock server does not; a test compares them.

/// The names `--routes` accepts, in report order: Whop's list in its first contract (Era A),
/// with cursor pages (Era B) and in the current contract (Era C), then the other vendors'.
pub const ROUTE_NAMES: [&str; 6] = [
    "whop",
    "whop-b",
    "whop-current",
    "posthog",
    "pipedrive-v1",
    "pipedrive-v2",
];

/// The credentials of the tenants a server holds: what the list requests authenticate with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// A Whop API key reaching the listed account.
    pub whop_key: String,
    /// A PostHog personal API key with read access to `posthog_project`.
    pub posthog_key: String,
    /// The PostHog project whose persons are listed.
    pub posthog_project: i64,
    /// A Pipedrive API token of the listed company.
    pub pipedrive_token: String,
}

impl Credentials {
    /// The built-in demo tenants the binary loads unless `--no-demo` is given
    /// (`persons_mock::{whop,posthog,pipedrive}::demo`).
    pub fn demo() -> Self {
        Self {
            whop_key: "whop_demo_key".to_owned(),
            posthog_key: "phx_demo_personal_key".to_owned(),
            posthog_project: 1,
            pipedrive_token: "pipedrive_demo_token".to_owned(),
        }
    }

    /// The synthetic tenants `--synthetic-events N` loads (`persons_mock::synthetic`).
    pub fn synthetic() -> Self {
        Self {
            whop_key: "whop_synthetic_key".to_owned(),
            posthog_key: "phx_synthetic_personal_key".to_owned(),
            posthog_project: 2,
            pipedrive_token: "pipedrive_synthetic_token".to_owned(),
        }
    }
}

/// One list endpoint and the request that loads it.
#[derive(Debug, Clone)]
pub struct Route {
    /// Short name (`whop`, `posthog`, `pipedrive-v1`, `pipedrive-v2`).
    pub name: &'static str,
    /// The spec Prism mocks for it, under `specs/`.
    pub spec: &'static str,
    /// Where our server mounts the spec's paths (`/whop/api/v1`).
    pub mount: &'static str,
    /// The spec path with the query, as Prism serves it (`/people?first=20&sort=ltv`).
    pub spec_path_and_query: String,
    /// The credential header's name.
    pub header_name: &'static str,
    /// The credential header's value.
    pub header_value: String,
    /// The `Api-Version-Date` a Whop route sends to pick its contract.
    pub version: Option<&'static str>,
}

impl Route {
    /// Path and query on our server (and on the static floor, which copies it).
    pub fn ours(&self) -> String {
        format!("{}{}", self.mount, self.spec_path_and_query)
    }

    /// Our path without the query: what the static floor matches.
    pub fn ours_path(&self) -> String {
        let ours = self.ours();
        ours.split('?').next().unwrap_or(&ours).to_owned()
    }

    /// The query's `(name, value)` pairs (the routes' queries need no decoding).
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        let query = self
            .spec_path_and_query
            .split_once('?')
            .map_or("", |(_, query)| query);
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .collect()
    }

    /// The row label: method, our path and query, and the contract's version if any.
    pub fn label(&self) -> String {
        match self.version {
            Some(version) => format!("`GET {}` ({version})", self.ours()),
            None => format!("`GET {}`", self.ours()),
        }
    }

    /// The headers every request sends, as `(name, value)`: the credential, and the
    /// contract's version where the route has one.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        let mut headers = vec![(self.header_name, self.header_value.as_str())];
        headers.extend(self.version.map(|version| ("Api-Version-Date", version)));
        headers
    }
}

/// The list routes named in `names` (all of [`ROUTE_NAMES`] are valid), reading the tenants
/// of `credentials`, in report order.
pub fn list_routes(credentials: &Credentials, names: &[String]) -> Vec<Route> {
    let bearer = |key: &str| format!("Bearer {key}");
    let whop = |name, spec, path_and_query: &str, version| Route {
        name,
        spec,
        mount: "/whop/api/v1",
        spec_path_and_query: path_and_query.to_owned(),
        header_name: "Authorization",
        header_value: bearer(&credentials.whop_key),
        version,
    };
    let all = [
        whop("whop", "whop.yaml", "/people?first=20&sort=ltv", None),
        whop(
            "whop-b",
            "whop.yaml",
            "/people?first=20&sort=ltv&direction=desc",
            Some("2026-07-20"),
        ),
        whop(
            "whop-current",
            "whop-current.yaml",
            "/people?first=20",
            Some("2026-10-15-1"),
        ),
        Route {
            name: "posthog",
            spec: "posthog.yaml",
            mount: "/posthog",
            spec_path_and_query: format!(
                "/api/projects/{}/persons/?limit=20",
                credentials.posthog_project
            ),
            header_name: "Authorization",
            header_value: bearer(&credentials.posthog_key),
            version: None,
        },
        Route {
            name: "pipedrive-v1",
            spec: "pipedrive-v1.yaml",
            mount: "/pipedrive/v1",
            spec_path_and_query: "/persons?limit=20".to_owned(),
            header_name: "x-api-token",
            header_value: credentials.pipedrive_token.clone(),
            version: None,
        },
        Route {
            name: "pipedrive-v2",
            spec: "pipedrive-v2.yaml",
            mount: "/pipedrive/api/v2",
            spec_path_and_query: "/persons?limit=20".to_owned(),
            header_name: "x-api-token",
            header_value: credentials.pipedrive_token.clone(),
            version: None,
        },
    ];
    all.into_iter()
        .filter(|route| names.iter().any(|name| name == route.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_names_and_carry_the_credentials() {
        let names = vec![
            "pipedrive-v2".to_owned(),
            "whop-current".to_owned(),
            "whop".to_owned(),
        ];
        let routes = list_routes(&Credentials::demo(), &names);
        let picked: Vec<&str> = routes.iter().map(|route| route.name).collect();
        assert_eq!(picked, ["whop", "whop-current", "pipedrive-v2"]);
        assert_eq!(routes[0].ours(), "/whop/api/v1/people?first=20&sort=ltv");
        assert_eq!(routes[0].ours_path(), "/whop/api/v1/people");
        assert_eq!(routes[0].query_pairs(), [("first", "20"), ("sort", "ltv")]);
        assert_eq!(
            routes[0].headers(),
            [("Authorization", "Bearer whop_demo_key")]
        );
        assert_eq!(
            routes[1].headers(),
            [
                ("Authorization", "Bearer whop_demo_key"),
                ("Api-Version-Date", "2026-10-15-1")
            ]
        );
        assert_eq!(
            routes[1].label(),
            "`GET /whop/api/v1/people?first=20` (2026-10-15-1)"
        );
        assert_eq!(routes[2].ours(), "/pipedrive/api/v2/persons?limit=20");
        assert_eq!(
            routes[2].headers(),
            [("x-api-token", "pipedrive_demo_token")]
        );
    }

    #[test]
    fn every_route_has_its_own_path_and_query() {
        let names: Vec<String> = ROUTE_NAMES.iter().map(|name| (*name).to_owned()).collect();
        let routes = list_routes(&Credentials::demo(), &names);
        let mut requests: Vec<String> = routes.iter().map(Route::ours).collect();
        requests.sort();
        requests.dedup();
        assert_eq!(
            requests.len(),
            routes.len(),
            "the same-bytes floor tells routes apart by path and query"
        );
    }

    #[test]
    fn credentials_are_the_mocks_own() {
        use persons_mock::internals as synthetic;
        use persons_mock::{pipedrive, posthog, whop};
        let demo = Credentials::demo();
        assert_eq!(demo.whop_key, whop::DEMO_KEY);
        assert_eq!(demo.posthog_key, posthog::DEMO_PERSONAL_KEY);
        assert_eq!(demo.posthog_project, posthog::DEMO_PROJECT);
        assert_eq!(demo.pipedrive_token, pipedrive::DEMO_TOKEN);
        let synthetic = Credentials::synthetic();
        assert_eq!(synthetic.whop_key, synthetic::whop::KEY);
        assert_eq!(synthetic.posthog_key, synthetic::posthog::PERSONAL_KEY);
        assert_eq!(synthetic.posthog_project, synthetic::posthog::PROJECT);
        assert_eq!(synthetic.pipedrive_token, synthetic::pipedrive::TOKEN);
    }

    #[test]
    fn every_name_has_a_route_with_an_existing_spec() {
        let names: Vec<String> = ROUTE_NAMES.iter().map(|name| (*name).to_owned()).collect();
        let routes = list_routes(&Credentials::demo(), &names);
        assert_eq!(routes.len(), ROUTE_NAMES.len());
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        for route in routes {
            assert!(
                specs.join(route.spec).is_file(),
                "{} has no spec",
                route.name
            );
        }
    }
}
