//! Starting a server under test and waiting until it says where it listens.
//!
//! `chinwag` prints one line to stdout once its socket is bound,
//! [`LISTENING_ON`]` + ADDR`; the load generator's baselines print lines of the same shape
//! with a prefix of their own. [`Running::start`] spawns a command, reads its stdout until
//! that line (bounded, failing early if the process exits), then keeps draining stdout so the
//! pipe can never fill and block the server. The child is killed when its [`Running`] drops,
//! so a failing test or run leaves nothing behind.
//!
//! [`wait_for_line`] is the same wait for any child (the cluster suite's `redis-server`).

use std::{
    io,
    net::{SocketAddr, TcpListener},
    path::Path,
    process::{ExitStatus, Stdio},
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader, Lines},
    process::{Child, ChildStderr, Command},
};

pub use chinwag_backend::server::LISTENING_ON;

/// Why a server could not be started or stopped as asked.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The program could not be spawned (missing, not executable).
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program as given.
        program: String,
        /// What the OS said.
        source: io::Error,
    },
    /// It closed stdout (exited) before printing the awaited line.
    #[error("exited before printing {awaited:?} ({status})")]
    Exited {
        /// The line prefix or text awaited.
        awaited: String,
        /// How it ended, if it has.
        status: String,
    },
    /// It printed nothing matching within the bound.
    #[error("printed no {awaited:?} within {within:?}")]
    Silent {
        /// The line prefix or text awaited.
        awaited: String,
        /// The bound.
        within: Duration,
    },
    /// It printed the line, but what follows the prefix is not a socket address.
    #[error("unexpected announcement {line:?}")]
    BadAddress {
        /// The whole line.
        line: String,
    },
    /// It did not exit within the bound after a signal (it has been killed).
    #[error("did not exit within {within:?} of SIG{signal}")]
    StillRunning {
        /// The signal sent, without `SIG`.
        signal: &'static str,
        /// The bound.
        within: Duration,
    },
    /// Reading its output, signalling or waiting for it failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A `chinwag` command: listening on `bind`, its database at `db`, serving `static_dir`,
/// logging at `warn`. Callers add their own flags.
pub fn chinwag_command(program: &Path, bind: &str, db: &Path, static_dir: &Path) -> Command {
    let mut command = Command::new(program);
    chinwag_args(&mut command, bind, db, static_dir);
    command
}

/// Adds [`chinwag_command`]'s flags to `command` (which may run `chinwag` through a wrapper
/// such as `taskset`); a later `RUST_LOG` replaces its `warn`.
pub fn chinwag_args<'a>(
    command: &'a mut Command,
    bind: &str,
    db: &Path,
    static_dir: &Path,
) -> &'a mut Command {
    command
        .args(["--bind", bind, "--static-dir"])
        .arg(static_dir)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
}

/// A running child that announced its address.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Running {
    /// Spawns `command` (stdin closed, stdout piped, killed on drop) and waits up to `within`
    /// for the stdout line that starts with `prefix` and ends in the address. Stderr is left
    /// as `command` has it (inherited, a file, or piped for [`Running::take_stderr`]).
    pub async fn start(
        mut command: Command,
        prefix: &str,
        within: Duration,
    ) -> Result<Running, LaunchError> {
        let program = format!("{:?}", command.as_std().get_program());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| LaunchError::Spawn { program, source })?;
        let pid = child.id().ok_or_else(|| exited(prefix, None))?;
        let stdout = child.stdout.take().ok_or_else(|| exited(prefix, None))?;
        let announced = wait_for_line(stdout, within, prefix, |line| {
            line.strip_prefix(prefix).map(str::to_owned)
        })
        .await;
        let rest = match announced {
            Ok(rest) => rest,
            Err(LaunchError::Exited { awaited, .. }) => {
                let status = child.try_wait()?.map(|status| status.to_string());
                return Err(LaunchError::Exited {
                    awaited,
                    status: status.unwrap_or_else(|| "still running".to_owned()),
                });
            }
            Err(err) => return Err(err),
        };
        let addr =
            rest.trim()
                .trim_end_matches('/')
                .parse()
                .map_err(|_| LaunchError::BadAddress {
                    line: format!("{prefix}{rest}"),
                })?;
        Ok(Running { child, pid, addr })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `ws://ADDR/socket` followed by `query` (`?room=…`, or empty).
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/socket{query}", self.addr)
    }

    /// `http://ADDR` followed by `path`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its stderr, once, when the command had it piped.
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// How it exited, or `None` while it runs.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Sends `signal` (`TERM`, `KILL`, `STOP`, …) to the process while it is unreaped.
    pub fn signal(&mut self, signal: &str) -> io::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Err(io::Error::other(format!("process {} has exited", self.pid)));
        }
        send_signal(self.pid, signal)
    }

    /// SIGTERM, then waits up to `within` for the exit; past that it is killed and this fails.
    pub async fn terminate(&mut self, within: Duration) -> Result<ExitStatus, LaunchError> {
        self.stop("TERM", within).await
    }

    /// SIGKILL (a crash: nothing flushed, no close frames), then waits up to `within`.
    pub async fn kill(&mut self, within: Duration) -> Result<ExitStatus, LaunchError> {
        self.stop("KILL", within).await
    }

    async fn stop(
        &mut self,
        signal: &'static str,
        within: Duration,
    ) -> Result<ExitStatus, LaunchError> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        self.signal(signal)?;
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                self.child.kill().await?;
                Err(LaunchError::StillRunning { signal, within })
            }
        }
    }
}

/// Reads `output` line by line for up to `within` until `matches` returns something, then
/// drains the rest in a task of its own (a child blocked on a full pipe would stall). `awaited`
/// names the line in errors.
pub async fn wait_for_line<T>(
    output: impl AsyncRead + Unpin + Send + 'static,
    within: Duration,
    awaited: &str,
    mut matches: impl FnMut(&str) -> Option<T>,
) -> Result<T, LaunchError> {
    let mut lines = BufReader::new(output).lines();
    let found = tokio::time::timeout(within, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(found) = matches(&line) {
                return Ok(Some(found));
            }
        }
        Ok::<_, io::Error>(None)
    })
    .await
    .map_err(|_| LaunchError::Silent {
        awaited: awaited.to_owned(),
        within,
    })??;
    let found = found.ok_or_else(|| exited(awaited, None))?;
    tokio::spawn(drain(lines));
    Ok(found)
}

async fn drain<R: AsyncRead + Unpin>(mut lines: Lines<BufReader<R>>) {
    while let Ok(Some(_)) = lines.next_line().await {}
}

fn exited(awaited: &str, status: Option<ExitStatus>) -> LaunchError {
    LaunchError::Exited {
        awaited: awaited.to_owned(),
        status: status.map_or_else(|| "stdout closed".to_owned(), |status| status.to_string()),
    }
}

/// Sends `signal` (`TERM`, `KILL`, `STOP`, `CONT`, …) to `pid` through `kill(1)`: no libc
/// binding needed, and this workspace forbids unsafe code. A negative `pid` (as text, `-PGID`)
/// is not accepted here; signal a group with `kill -- -PGID` yourself.
pub fn send_signal(pid: u32, signal: &str) -> io::Result<()> {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -{signal} {pid} failed")))
    }
}

/// A loopback port that was free a moment ago: bind port 0, read it, release it. Another
/// process may take it in between, so use it only for children that cannot bind port 0
/// themselves (Redis, nginx, chromedriver).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`Running::start`] finds in `output`: the address text after chinwag's prefix.
    async fn announced(output: &'static str) -> Result<String, LaunchError> {
        wait_for_line(
            output.as_bytes(),
            Duration::from_secs(1),
            LISTENING_ON,
            |line| line.strip_prefix(LISTENING_ON).map(str::to_owned),
        )
        .await
    }

    #[tokio::test]
    async fn the_listening_line_is_found_after_other_output_and_parsed() {
        let out = "starting\nchinwag listening on http://127.0.0.1:4321\nmore\n";
        let rest = announced(out).await.unwrap();
        assert_eq!(rest, "127.0.0.1:4321");
    }

    #[tokio::test]
    async fn output_that_ends_without_the_line_is_an_exit() {
        let err = announced("something else\n").await.unwrap_err();
        assert!(matches!(err, LaunchError::Exited { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_server_that_prints_its_address_is_started_and_stopped() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo 'bare-relay listening on ws://127.0.0.1:4321/'; sleep 30",
        ]);
        let mut running = Running::start(
            command,
            "bare-relay listening on ws://",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(running.addr, "127.0.0.1:4321".parse().unwrap());
        let status = running.terminate(Duration::from_secs(5)).await.unwrap();
        assert!(!status.success());
    }
}
