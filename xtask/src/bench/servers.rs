//! The servers under load: our release binary, the same-bytes floor (the same binary
//! answering our bytes from memory), the static wiremock floor answering with our bytes, and
//! Prism mocking a spec. Each starts on a free port and is waited for.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::runtime::Runtime;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::process::{Server, free_port};
use super::routes::Route;

/// How long Prism may take to load a spec and answer.
const PRISM_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the same-bytes floor may take to read its answers and answer.
const SAME_BYTES_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers the server's HTTP stack writes itself, whatever the answer: not recorded.
const STACK_HEADERS: [&str; 4] = ["date", "content-length", "transfer-encoding", "connection"];

/// A response as fetched once with a plain GET.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status code.
    pub status: u16,
    /// The `content-type` header, empty when absent.
    pub content_type: String,
    /// Every header but those of [`STACK_HEADERS`], in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Fetched {
    /// The start of the body as text, for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(300).collect()
    }
}

/// Plain HTTP GETs on a small current-thread runtime (which also starts the static floor).
#[derive(Debug)]
pub struct Http {
    runtime: Runtime,
    client: reqwest::Client,
}

impl Http {
    /// A client with a short timeout: every server under test is on this machine.
    pub fn new() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting a tokio runtime")?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building an HTTP client")?;
        Ok(Self { runtime, client })
    }

    /// One GET of `url` with the headers `(name, value)`.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Fetched> {
        self.runtime.block_on(async {
            let mut request = self.client.get(url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.with_context(|| format!("GET {url}"))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| !STACK_HEADERS.contains(&name.as_str()))
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect();
            let body = response
                .bytes()
                .await
                .with_context(|| format!("reading the body of GET {url}"))?;
            Ok(Fetched {
                status,
                content_type,
                headers,
                body: body.to_vec(),
            })
        })
    }

    /// GETs `url`, failing unless the answer is 200.
    pub fn get_ok(&self, url: &str, headers: &[(&str, &str)]) -> Result<Fetched> {
        let fetched = self.get(url, headers)?;
        if fetched.status != 200 {
            bail!(
                "GET {url} answered {} instead of 200: {}",
                fetched.status,
                fetched.body_excerpt()
            );
        }
        Ok(fetched)
    }
}

/// `cargo build --release -p persons-mock`; the path of the binary it builds.
pub fn build_ours(root: &Path) -> Result<PathBuf> {
    println!("bench: cargo build --release -p persons-mock");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "-p", "persons-mock"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("`cargo build --release -p persons-mock` exited with {status}");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target.join("release").join("persons-mock");
    if !binary.is_file() {
        bail!("the release build produced no {}", binary.display());
    }
    Ok(binary)
}

/// Our release binary, serving on its own port.
#[derive(Debug)]
pub struct Ours {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _server: Server,
}

impl Ours {
    /// Starts `binary` with `args` and waits (at most `timeout`) until every route answers 200.
    /// Logging is turned down to warnings (as for Prism): at info the binary writes a line
    /// per request.
    pub fn start(
        http: &Http,
        binary: &Path,
        args: &[String],
        routes: &[Route],
        log: &Path,
        timeout: Duration,
    ) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .args(["--port", &port.to_string(), "--log-level", "warn"])
            .args(args);
        let mut server = Server::spawn("persons-mock", command, log)?;
        let base = format!("http://127.0.0.1:{port}");
        server.wait_until_ready(timeout, || {
            routes.iter().all(|route| {
                http.get(&format!("{base}{}", route.ours()), &route.headers())
                    .is_ok_and(|fetched| fetched.status == 200)
            })
        })?;
        Ok(Self {
            base,
            _server: server,
        })
    }

    /// The URL of `route` on this server.
    pub fn url(&self, route: &Route) -> String {
        format!("{}{}", self.base, route.ours())
    }

    /// The URL of the admin health check: a 49-byte answer with no vendor work behind it.
    pub fn health_url(&self) -> String {
        format!("{}/_admin/health", self.base)
    }
}

/// The same-bytes floor: our binary with the hidden `--same-bytes FILE`, on the same hyper
/// server, runtime and connection handling, answering each route with the status, headers and
/// body ours gave it, from memory. The most a route could reach with those bytes to send.
pub fn start_same_bytes(
    http: &Http,
    binary: &Path,
    responses: &[(Route, Fetched)],
    answers: &Path,
    log: &Path,
) -> Result<Ours> {
    let recorded = recorded_answers(responses)?;
    std::fs::write(answers, recorded.to_string())
        .with_context(|| format!("writing {}", answers.display()))?;
    let args = ["--same-bytes".to_owned(), answers.display().to_string()];
    let routes: Vec<Route> = responses.iter().map(|(route, _)| route.clone()).collect();
    Ours::start(http, binary, &args, &routes, log, SAME_BYTES_START_TIMEOUT)
        .context("the same-bytes floor")
}

/// The file `--same-bytes` reads: one answer per route, keyed by its path and query.
pub fn recorded_answers(responses: &[(Route, Fetched)]) -> Result<serde_json::Value> {
    responses
        .iter()
        .map(|(route, fetched)| {
            let body = String::from_utf8(fetched.body.clone())
                .with_context(|| format!("{}'s answer is not UTF-8", route.label()))?;
            Ok(serde_json::json!({
                "path_and_query": route.ours(),
                "status": fetched.status,
                "headers": fetched.headers,
                "body": body,
            }))
        })
        .collect()
}

/// The floor of our transport: a wiremock server (one thread, as in-process) answering each
/// route's path, query and version with the exact bytes and content type our server returned
/// for it.
#[derive(Debug)]
pub struct StaticFloor {
    server: MockServer,
}

impl StaticFloor {
    /// Starts the floor with one mock per `(route, response)`.
    pub fn start(http: &Http, responses: &[(Route, Fetched)]) -> Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("binding a port for the static wiremock floor")?;
        let server = http.runtime.block_on(async {
            let server = MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await;
            for (route, fetched) in responses {
                let mut matches = Mock::given(method("GET")).and(path(route.ours_path()));
                for (name, value) in route.query_pairs() {
                    matches = matches.and(query_param(name, value));
                }
                // A contract's version header picks its answer over the version-less one.
                let (matches, priority) = match route.version {
                    Some(version) => (matches.and(header("Api-Version-Date", version)), 1),
                    None => (matches, 5),
                };
                matches
                    .respond_with(
                        ResponseTemplate::new(fetched.status)
                            .set_body_raw(fetched.body.clone(), &fetched.content_type),
                    )
                    .with_priority(priority)
                    .mount(&server)
                    .await;
            }
            server
        });
        Ok(Self { server })
    }

    /// The URL of `route` on the floor.
    pub fn url(&self, route: &Route) -> String {
        format!("{}{}", self.server.uri(), route.ours())
    }
}

/// Prism mocking one spec.
#[derive(Debug)]
pub struct Prism {
    /// The size of Prism's answer to the route, in bytes.
    pub response_bytes: usize,
    base: String,
    _server: Server,
}

impl Prism {
    /// Starts `prism mock` on `spec` and waits until `route` answers 200. Prism serves the
    /// spec's paths at the root, without the server URL's base path. Logging is turned down to
    /// warnings so that Prism is not measured writing a log line per request.
    pub fn start(
        http: &Http,
        prism: &Path,
        spec: &Path,
        route: &Route,
        log: &Path,
    ) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(prism);
        command
            .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--verboseLevel", "warn"])
            .arg(spec);
        let name = format!("Prism ({})", route.spec);
        let mut server = Server::spawn(&name, command, log)?;
        let base = format!("http://127.0.0.1:{port}");
        let url = format!("{base}{}", route.spec_path_and_query);
        server.wait_until_ready(PRISM_START_TIMEOUT, || {
            http.get(&url, &route.headers()).is_ok()
        })?;
        let fetched = http
            .get_ok(&url, &route.headers())
            .with_context(|| format!("{name} does not serve the list"))?;
        Ok(Self {
            response_bytes: fetched.body.len(),
            base,
            _server: server,
        })
    }

    /// The URL of `route` on Prism.
    pub fn url(&self, route: &Route) -> String {
        format!("{}{}", self.base, route.spec_path_and_query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::routes::{Credentials, list_routes};

    #[test]
    fn recorded_answers_carry_what_the_same_bytes_floor_reads() {
        let routes = list_routes(&Credentials::demo(), &["whop".to_owned()]);
        let fetched = Fetched {
            status: 200,
            content_type: "application/json".to_owned(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: "{\"data\":[\"Zoë\"]}".as_bytes().to_vec(),
        };
        let responses = vec![(routes[0].clone(), fetched.clone())];
        assert_eq!(
            recorded_answers(&responses).unwrap(),
            serde_json::json!([{
                "path_and_query": "/whop/api/v1/people?first=20&sort=ltv",
                "status": 200,
                "headers": [["content-type", "application/json"]],
                "body": "{\"data\":[\"Zoë\"]}",
            }])
        );
        let binary = Fetched {
            body: vec![0xff, 0xfe],
            ..fetched
        };
        let error = recorded_answers(&[(routes[0].clone(), binary)]).unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
    }
}
