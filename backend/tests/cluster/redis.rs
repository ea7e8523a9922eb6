//! A throwaway `redis-server` for one test: a free loopback port, no persistence, killed
//! when dropped.

use std::{net::TcpListener, process::Stdio};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

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
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
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
        let mut lines = BufReader::new(stdout).lines();
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("Ready to accept connections") {
                    return;
                }
            }
            panic!("redis-server exited before it was ready");
        })
        .await
        .expect("redis-server ready in time");
        // Keep draining its log so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Redis { child, port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} redis");
    }

    /// Freezes Redis (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused Redis (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
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
