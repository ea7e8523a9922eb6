//! chromedriver on a free loopback port, serving any number of browser sessions.
//!
//! It runs in its own process group, and dropping the [`Driver`] kills that whole group:
//! chromedriver and every Chromium it launched, even when a test panics before closing its
//! sessions (an async session close cannot run from `Drop`). Browser profiles live here too, so
//! they are deleted after the browsers writing to them are dead.

use super::{POLL, WAIT};
use std::{path::PathBuf, process::Stdio, sync::Mutex};
use tempfile::TempDir;
use tokio::{
    process::{Child, Command},
    time::Instant,
};

/// Environment variable naming chromedriver; default `/usr/bin/chromedriver`.
pub const CHROMEDRIVER: &str = "CHINWAG_CHROMEDRIVER";

/// A running chromedriver.
pub struct Driver {
    child: Child,
    /// `http://127.0.0.1:PORT`, the WebDriver endpoint.
    pub url: String,
    /// Browser profiles, removed only after the browsers using them are killed.
    profiles: Mutex<Vec<TempDir>>,
}

impl Driver {
    /// Starts chromedriver and waits (bounded) until `GET /status` says it is ready.
    pub async fn start() -> Driver {
        let bin = std::env::var(CHROMEDRIVER).unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = chinwag_testkit::launch::free_port().expect("a free port");
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start {bin}: {err} (install chromium and chromium-driver)")
            });
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: Mutex::new(Vec::new()),
        };
        driver.wait_ready().await;
        driver
    }

    /// A fresh, empty `--user-data-dir` for one browser, deleted when the driver drops.
    pub fn new_profile(&self) -> PathBuf {
        let dir = tempfile::tempdir().expect("profile dir");
        let path = dir.path().to_path_buf();
        self.profiles.lock().expect("profiles lock").push(dir);
        path
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let status_url = format!("{}/status", self.url);
            let ready = tokio::task::spawn_blocking(move || is_ready(&status_url))
                .await
                .expect("status task");
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver at {} not ready within {WAIT:?}",
                self.url
            );
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
        .timeout_global(Some(WAIT))
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
