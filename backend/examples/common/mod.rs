//! What the measurement examples share: the server under test, started on a free loopback
//! port with a temporary database and limits lifted for load, and small statistics helpers.
//! Each example uses only part of it.
#![allow(dead_code)]

use std::{error::Error, net::SocketAddr, path::Path, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, ChildStdout, Command},
    time::timeout,
};

/// The examples' error type: any error, reported by `main`.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The server under test: a child process on a free loopback port with a temporary database.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// Held so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(binary: &Path) -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let mut child = Command::new(binary)
            .args(["--bind", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("chinwag.db"))
            .arg("--static-dir")
            .arg(dir.path())
            .args(["--rate-per-sec", "1000000", "--rate-burst", "1000000"])
            .args(["--max-connections-per-ip", "100000"])
            .args(["--max-connections", "100000"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| {
                format!(
                    "cannot start {}: {err}; build it with `cargo build --release -p chinwag-backend`",
                    binary.display()
                )
            })?;
        let pid = child.id().ok_or("the server exited at once")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout pipe")?);
        let mut line = String::new();
        timeout(Duration::from_secs(10), stdout.read_line(&mut line))
            .await
            .map_err(|_| "the server did not say where it listens within 10 s")??;
        let addr = line
            .trim()
            .strip_prefix("chinwag listening on http://")
            .ok_or_else(|| format!("unexpected first line from the server: {line:?}"))?
            .parse()?;
        Ok(Self {
            child,
            pid,
            addr,
            _stdout: stdout,
            _dir: dir,
        })
    }

    pub async fn stop(&mut self) {
        if let Err(err) = self.child.kill().await {
            eprintln!("could not kill the server: {err}");
        }
    }
}

/// The value at quantile `q` (nearest rank) of sorted `values`.
pub fn quantile(values: &[Duration], q: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Milliseconds with two decimals, for reports.
pub fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e5).round() / 100.0
}
