//! Servers the benchmark runs as child processes: free ports, logs to files, waiting until a
//! server answers, and stopping it when it goes out of scope.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A free TCP port on 127.0.0.1, picked by binding port 0 and letting go of it.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

/// A running child process, killed when dropped. Its stdout and stderr go to a log file.
#[derive(Debug)]
pub struct Server {
    /// What the report and errors call it, e.g. `persons-mock` or `Prism (whop.yaml)`.
    name: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `command` with its output sent to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Self> {
        let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let stderr = file
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", command.get_program()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    /// Waits until `probe` succeeds (the server answers), failing when the process exits first
    /// or `timeout` passes. `probe` is called every 200 ms.
    pub fn wait_until_ready(
        &mut self,
        timeout: Duration,
        mut probe: impl FnMut() -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().context("checking a child process")? {
                bail!(
                    "{} exited ({status}) before it answered; its output:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if probe() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} never answered within {}s (log: {}); its output:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log.display(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The process may have exited already; either way it is reaped here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
