//! A throwaway `redis-server` for one test: a free loopback port, no persistence, killed
//! when dropped.

use chinwag_testkit::launch::{free_port, send_signal, wait_for_line};
use std::process::Stdio;
use tokio::process::{Child, Command};

use crate::support::WAIT;

pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts Redis on a free port and waits until it accepts connections.
    pub async fn start() -> Redis {
        Self::start_with(&[]).await
    }

    /// Like [`Redis::start`], with `extra` arguments after the suite's defaults (a later
    /// directive wins, so `extra` may override them).
    pub async fn start_with(extra: &[&str]) -> Redis {
        let port = free_port().unwrap();
        Self::start_on(port, extra).await
    }

    async fn start_on(port: u16, extra: &[&str]) -> Redis {
        let mut child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "notice"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is on PATH (cargo xtask test installs it)");
        let stdout = child.stdout.take().unwrap();
        // The launcher keeps draining its log after the line, so it never blocks on a full pipe.
        let ready = "Ready to accept connections";
        wait_for_line(stdout, WAIT, ready, |line| {
            line.contains(ready).then_some(())
        })
        .await
        .expect("redis-server ready in time");
        Redis { child, port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap();
        send_signal(pid, signal).unwrap_or_else(|err| panic!("kill -{signal} redis: {err}"));
    }

    /// Freezes Redis (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    /// Thaws a paused Redis (SIGCONT).
    pub fn resume(&self) {
        self.signal("CONT");
    }

    /// Kills Redis and starts a new, empty one on the same port: every key is gone.
    pub async fn restart_empty(self) -> Redis {
        let port = self.port;
        let mut child = self.child;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        Self::start_on(port, &[]).await
    }
}
