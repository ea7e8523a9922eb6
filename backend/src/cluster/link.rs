//! The node's connection to Redis: one multiplexed connection for commands, a deadline on
//! each, and the readiness flag they keep up to date.
//!
//! Every command goes through [`Link::call`] (writes, never retried), [`Link::read`] (safe to
//! repeat: retried once after a lost connection) or [`Link::ask`] (a question whose refusal
//! says nothing about health). Each fails with a [`RedisError`] after `timeout` instead of
//! hanging while Redis is stopped or unreachable; `call` and `read` mark the node not ready on
//! failure and ready on success. The connection manager reconnects by itself (with backoff)
//! after Redis comes back; a background ping keeps the flag honest when there is no traffic.
//! Pub/sub takes a connection of its own from [`Link::client`].

use crate::store::RedisError;
use redis::{Client, aio::ConnectionManager, aio::ConnectionManagerConfig};
use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// How often the node pings Redis when nothing else talks to it.
const PING_EVERY: Duration = Duration::from_secs(1);

/// A node's handle on Redis; cheap to clone.
#[derive(Clone)]
pub struct Link {
    client: Client,
    conn: ConnectionManager,
    timeout: Duration,
    ready: Arc<AtomicBool>,
}

impl Link {
    /// A link to the Redis at `url`; connects lazily, so a node starts even while Redis is
    /// down (and reports not ready until it is up).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(2))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            conn,
            timeout,
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The client, for connections of their own (pub/sub).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The per-command deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the last command (or ping) succeeded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Runs one command (or script, or pipeline) built by `command` on the shared connection,
    /// with the deadline. Never retried: for writes, whether a lost answer means "not done"
    /// is unknowable, so the caller reports failure and the client retries (idempotently).
    pub async fn call<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let result = self.attempt(command(self.conn.clone())).await;
        self.settle(result)
    }

    /// Like [`Link::call`] for commands that are safe to repeat (reads, and writes that only
    /// ever set the same value): one retry when the connection was lost under the first try,
    /// which is what the first command after a Redis restart meets.
    pub async fn read<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let mut result = self.attempt(command(self.conn.clone())).await;
        let lost = |err: &redis::RedisError| err.is_io_error() || err.is_connection_dropped();
        if matches!(&result, Err(RedisError::Refused(err)) if lost(err)) {
            result = self.attempt(command(self.conn.clone())).await;
        }
        self.settle(result)
    }

    /// Runs one read-only command with the deadline but leaves the readiness flag alone: for
    /// questions a healthy Redis may refuse (a managed Redis that disables `CONFIG`), whose
    /// refusal must not mark the node unready.
    pub async fn ask<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.attempt(command(self.conn.clone())).await
    }

    async fn attempt<T>(
        &self,
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisError> {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(answer) => Ok(answer?),
            Err(_elapsed) => Err(RedisError::TimedOut {
                after: self.timeout,
            }),
        }
    }

    /// Keeps the readiness flag in step with an outcome, logging each change of it.
    fn settle<T>(&self, result: Result<T, RedisError>) -> Result<T, RedisError> {
        let was_ready = self.ready.swap(result.is_ok(), Ordering::Relaxed);
        match (&result, was_ready) {
            (Err(err), true) => tracing::warn!(error = %err, "redis unavailable; node not ready"),
            (Ok(_), false) => tracing::info!("redis reachable; node ready"),
            _ => {}
        }
        result
    }

    /// Pings Redis every second until `stop`, so readiness follows Redis even when idle.
    pub async fn keep_checking(self, stop: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(PING_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let ping = redis::cmd("PING");
            let _logged_by_settle = self
                .read(|mut conn| {
                    let ping = &ping;
                    async move { ping.query_async::<String>(&mut conn).await }
                })
                .await;
        }
    }
}
