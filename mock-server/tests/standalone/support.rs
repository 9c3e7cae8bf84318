//! Starting the real binary, reading its banner, and talking to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The demo Pipedrive API token.
pub const PIPEDRIVE_TOKEN: &str = "pipedrive_demo_token";
/// The demo PostHog project token.
pub const POSTHOG_TOKEN: &str = "phc_demo_project_token";
/// The demo PostHog personal API key.
pub const POSTHOG_KEY: &str = "phx_demo_personal_key";
/// The demo Whop account API key.
pub const WHOP_KEY: &str = "whop_demo_key";

/// A running `persons-mock` process; killed on drop.
pub struct Binary {
    child: Child,
    /// The server's root URL.
    pub url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Binary {
    /// Starts the binary with `args` (plus `--port 0`) and waits for its banner.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// Starts the binary with `args` and environment `env`.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_persons-mock"));
        command
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_sender, url_receiver) = std::sync::mpsc::channel();
        drain(
            child.stdout.take().unwrap(),
            Arc::clone(&stdout),
            Some(url_sender),
        );
        drain(child.stderr.take().unwrap(), Arc::clone(&stderr), None);
        let url = url_receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no banner; stderr: {}", stderr.lock().unwrap()));
        Self {
            child,
            url,
            stdout,
            stderr,
        }
    }

    /// The process's resident memory now and at its peak since the last
    /// [`reset_peak_memory`](Self::reset_peak_memory), in bytes (`VmRSS`, `VmHWM` of
    /// `/proc/PID/status`).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        let kib = |key: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{key} in {status}"))
        };
        (kib("VmRSS:") * 1024, kib("VmHWM:") * 1024)
    }

    /// Starts a new peak: the kernel sets `VmHWM` back to the current `VmRSS`.
    pub fn reset_peak_memory(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("clear_refs of a child process");
    }

    /// Everything the process printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything the process logged on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// `kill -9`.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends `signal` (e.g. `TERM`) and waits for the exit; returns whether it exited cleanly.
    pub fn stop_with(mut self, signal: &str) -> (bool, String) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        (exit.success(), self.stdout())
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(
    stream: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
    url: Option<std::sync::mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        let mut listening = None;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            {
                let mut text = into.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
            if let Some(rest) = line.strip_prefix("persons-mock listening on ") {
                listening = Some(rest.trim().to_owned());
            }
            // The banner's last line (the same-bytes floor's own): the server is fully started.
            let last = ["admin API", "same-bytes floor"]
                .iter()
                .any(|start| line.trim_start().starts_with(start));
            if let (Some(sender), true) = (&url, last) {
                let _ = sender.send(listening.clone().expect("the banner starts with the URL"));
            }
        }
    });
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "persons-mock-standalone-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The data directory's current write-ahead log.
pub fn wal_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "log"))
        .expect("a write-ahead log")
}

/// An HTTP client with a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// GETs `url` with `headers`; returns status and JSON body.
pub async fn get_json(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}
