//! Headless Chromium through chromedriver: the one way the browser tests and the page-load
//! benchmark start a browser.
//!
//! [`Driver`] is chromedriver on a free loopback port, in its own process group: dropping it
//! kills that whole group, chromedriver and every Chromium it launched, even when a caller
//! panics before closing its sessions (an async session close cannot run from `Drop`).
//! Browser profiles live here too, so they are deleted after the browsers writing to them are
//! dead, and so does the group's `TMPDIR`: Chromium makes scratch directories there
//! (`org.chromium.Chromium.scoped_dir.*`) that only a clean exit removes, and a killed one
//! would leave a few in `/tmp` for every browser of every run. [`Driver::open_session`] starts one headless Chromium with a fresh profile, with the
//! flags that keep it quiet on a machine without the internet.

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::{io, path::PathBuf, process::Stdio, sync::Mutex, time::Duration};
use tempfile::TempDir;
use tokio::{
    process::{Child, Command},
    time::Instant,
};

/// Environment variable naming chromedriver; default `/usr/bin/chromedriver`.
pub const CHROMEDRIVER: &str = "CHINWAG_CHROMEDRIVER";

/// Environment variable naming the Chromium binary; default `/usr/bin/chromium`.
pub const CHROMIUM: &str = "CHINWAG_CHROMIUM";

/// How long chromedriver may take to say it is ready, and a browser session to start.
const STARTUP: Duration = Duration::from_secs(10);

/// How often readiness is asked again.
const POLL: Duration = Duration::from_millis(50);

/// Why chromedriver or a browser could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ChromiumError {
    /// chromedriver could not be spawned (not installed?).
    #[error("cannot start {program}: {source} (install chromium and chromium-driver)")]
    Spawn {
        /// The program as given.
        program: String,
        /// What the OS said.
        source: io::Error,
    },
    /// chromedriver did not answer `GET /status` with ready in time.
    #[error("chromedriver at {url} not ready within {STARTUP:?}")]
    NotReady {
        /// Its WebDriver endpoint.
        url: String,
    },
    /// A temporary directory for a profile or the browsers' scratch could not be made.
    #[error("cannot create a temporary directory for the browser: {0}")]
    Profile(io::Error),
    /// chromedriver refused or failed to start a browser session.
    #[error("chromedriver started no browser session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    /// The session did not start in time.
    #[error("no browser session within {STARTUP:?}")]
    SessionTimeout,
}

/// A running chromedriver.
pub struct Driver {
    child: Child,
    /// `http://127.0.0.1:PORT`, the WebDriver endpoint.
    pub url: String,
    /// Browser profiles, removed only after the browsers using them are killed.
    profiles: Mutex<Vec<TempDir>>,
    /// The `TMPDIR` of chromedriver and its browsers, removed after they are killed.
    _scratch: TempDir,
}

impl Driver {
    /// Starts chromedriver ([`CHROMEDRIVER`]) and waits (bounded) until `GET /status` says it
    /// is ready.
    pub async fn start() -> Result<Driver, ChromiumError> {
        let program =
            std::env::var(CHROMEDRIVER).unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = chinwag_testkit::launch::free_port().map_err(|source| ChromiumError::Spawn {
            program: program.clone(),
            source,
        })?;
        let scratch = tempfile::tempdir().map_err(ChromiumError::Profile)?;
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .env("TMPDIR", scratch.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ChromiumError::Spawn {
                program: program.clone(),
                source,
            })?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: Mutex::new(Vec::new()),
            _scratch: scratch,
        };
        driver.wait_ready().await?;
        Ok(driver)
    }

    /// A fresh, empty `--user-data-dir` for one browser, deleted when the driver drops.
    pub fn new_profile(&self) -> Result<PathBuf, ChromiumError> {
        let dir = tempfile::tempdir().map_err(ChromiumError::Profile)?;
        let path = dir.path().to_path_buf();
        // A poisoned lock only means another thread panicked while pushing: the list is fine.
        let mut profiles = self
            .profiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        profiles.push(dir);
        Ok(path)
    }

    /// Starts a headless Chromium ([`CHROMIUM`]) with a fresh profile, so its own cache and
    /// localStorage, on a blank page.
    pub async fn open_session(&self) -> Result<Client, ChromiumError> {
        let profile = self.new_profile()?;
        let chromium = std::env::var(CHROMIUM).unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            // Without these Chromium floods a machine with no internet with connection
            // attempts of its own, which would also share the throttled link in a benchmark.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let connecting = builder.connect(&self.url);
        Ok(tokio::time::timeout(STARTUP, connecting)
            .await
            .map_err(|_| ChromiumError::SessionTimeout)??)
    }

    async fn wait_ready(&self) -> Result<(), ChromiumError> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let status_url = format!("{}/status", self.url);
            let ready = tokio::task::spawn_blocking(move || is_ready(&status_url))
                .await
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ChromiumError::NotReady {
                    url: self.url.clone(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (`process_group(0)`); the browsers it started
        // inherited the group. `kill_on_drop` alone would leave them orphaned.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `GET /status` answered `{"value":{"ready":true,...}}`.
fn is_ready(url: &str) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(STARTUP))
        .build()
        .into();
    let Ok(mut response) = agent.get(url).call() else {
        return false;
    };
    response
        .body_mut()
        .read_json::<serde_json::Value>()
        .is_ok_and(|status| status["value"]["ready"] == true)
}
