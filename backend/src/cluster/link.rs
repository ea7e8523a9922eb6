//! The node's connection to Redis: one multiplexed connection for commands, a deadline on
//! each, and the readiness flag they keep up to date.
//!
//! The connection is either to one Redis (`--redis`) or to a Redis Cluster (`--redis-cluster`,
//! seed nodes): a [`Connection`] is one or the other, and commands do not care which. On a
//! cluster, the `redis` crate routes each command (and each script, by its first key) to the
//! master of its slot, follows `MOVED`/`ASK` redirections and topology changes by itself, and
//! keeps one connection per node; a pipeline must stay within one slot. Which keys share a
//! slot is [`super::keyspace`]'s business.
//!
//! Every command goes through [`Link::call`] (writes, never retried), [`Link::read`] (safe to
//! repeat: retried once after a lost connection) or [`Link::ask`] (a question whose refusal
//! says nothing about health). Each fails with a [`RedisError`] after `timeout` instead of
//! hanging while Redis is stopped or unreachable; `call` and `read` mark the node not ready on
//! failure and ready on success. The connection manager reconnects by itself (with backoff)
//! after Redis comes back; a background ping keeps the flag honest when there is no traffic.
//! Pub/sub takes a connection of its own from [`Link::client`].

use super::keyspace::Keyspace;
use crate::store::RedisError;
use redis::{
    Client, Cmd, ErrorKind, Pipeline, RedisFuture, ServerErrorKind, Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig},
    cluster::{ClusterClient, ClusterClientBuilder},
    cluster_async::ClusterConnection,
};
use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// A cluster client's settings: the per-command deadline, and reconnection with backoff like
/// the single connection's.
fn cluster_builder(seeds: &[String], timeout: Duration) -> ClusterClientBuilder {
    ClusterClientBuilder::new(seeds.to_vec())
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .retries(2)
        .min_retry_wait(50)
        .max_retry_wait(2_000)
}

/// Whether `err` is a cluster's answer that the command's slot is being moved to another
/// master (`ASK`, `TRYAGAIN`, or a `MOVED` the crate did not follow): the command did not run,
/// so running it again shortly is safe, even for a write.
pub fn slot_moving(err: &RedisError) -> bool {
    let RedisError::Refused(err) = err else {
        return false;
    };
    matches!(
        err.kind(),
        ErrorKind::Server(
            ServerErrorKind::Ask | ServerErrorKind::TryAgain | ServerErrorKind::Moved
        )
    )
}

/// How often the node pings Redis when nothing else talks to it.
const PING_EVERY: Duration = Duration::from_secs(1);

/// Which Redis a node runs on (`--redis` or `--redis-cluster`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One Redis, by URL.
    One(String),
    /// A Redis Cluster, by the URLs of some of its nodes.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Where it is, for logs: URLs without their passwords.
    pub fn describe(&self) -> String {
        match self {
            Self::One(url) => redact(url),
            Self::Cluster(seeds) => {
                let seeds: Vec<String> = seeds.iter().map(|seed| redact(seed)).collect();
                format!("cluster {}", seeds.join(","))
            }
        }
    }
}

/// The URL without a password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A node's handle on Redis; cheap to clone.
#[derive(Clone)]
pub struct Link {
    target: Target,
    timeout: Duration,
    ready: Arc<AtomicBool>,
}

/// What the link talks to.
#[derive(Clone)]
enum Target {
    /// One Redis: its client (for pub/sub connections of their own) and the shared connection.
    Single {
        client: Client,
        conn: ConnectionManager,
    },
    /// A Redis Cluster: its client, and the shared connection once the first command made it
    /// (made lazily, so a node starts while the cluster is down, like [`Link::new`]'s).
    Cluster {
        client: Box<ClusterClient>,
        seeds: Arc<[String]>,
        conn: Arc<tokio::sync::OnceCell<ClusterConnection>>,
    },
}

/// The connection a command runs on: one Redis's or the cluster's. Cheap to clone (both are
/// handles on multiplexed connections).
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

impl Link {
    /// A link to `target`; connects lazily, so a node starts even while Redis is down (and
    /// reports not ready until it is up). Choosing a cluster chooses its key layout for the
    /// process ([`super::keyspace::use_cluster`]).
    pub fn open(target: &RedisTarget, timeout: Duration) -> Result<Self, RedisError> {
        match target {
            RedisTarget::One(url) => Self::new(url, timeout),
            RedisTarget::Cluster(seeds) => {
                super::keyspace::use_cluster();
                Self::cluster(seeds, timeout)
            }
        }
    }

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
            target: Target::Single { client, conn },
            timeout,
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A link to the Redis Cluster that `seeds` (node URLs, any of its nodes) belong to. Like
    /// [`Link::new`], it connects on first use, so a node starts while the cluster is down.
    pub fn cluster(seeds: &[String], timeout: Duration) -> Result<Self, RedisError> {
        let client = cluster_builder(seeds, timeout).build()?;
        Ok(Self {
            target: Target::Cluster {
                client: Box::new(client),
                seeds: seeds.into(),
                conn: Arc::new(tokio::sync::OnceCell::new()),
            },
            timeout,
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Where keys live: one Redis, or a cluster's slots.
    pub fn keyspace(&self) -> Keyspace {
        match self.target {
            Target::Single { .. } => Keyspace::Single,
            Target::Cluster { .. } => Keyspace::Cluster,
        }
    }

    /// One Redis's client, for pub/sub connections of their own; `None` on a cluster.
    pub fn client(&self) -> Option<&Client> {
        match &self.target {
            Target::Single { client, .. } => Some(client),
            Target::Cluster { .. } => None,
        }
    }

    /// A builder for more clients of this link's cluster (the subscriber's, which needs a
    /// push channel of its own); `None` on one Redis.
    pub fn cluster_builder(&self) -> Option<ClusterClientBuilder> {
        match &self.target {
            Target::Single { .. } => None,
            Target::Cluster { seeds, .. } => Some(cluster_builder(seeds, self.timeout)),
        }
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
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let result = match self.connection().await {
            Ok(conn) => self.attempt(command(conn)).await,
            Err(err) => Err(err),
        };
        self.settle(result)
    }

    /// Like [`Link::call`] for commands that are safe to repeat (reads, and writes that only
    /// ever set the same value): one retry when the connection was lost under the first try,
    /// which is what the first command after a Redis restart meets.
    pub async fn read<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: Fn(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let lost = |err: &redis::RedisError| err.is_io_error() || err.is_connection_dropped();
        let mut result = match self.connection().await {
            Ok(conn) => self.attempt(command(conn)).await,
            Err(err) => Err(err),
        };
        if matches!(&result, Err(RedisError::Refused(err)) if lost(err)) {
            result = match self.connection().await {
                Ok(conn) => self.attempt(command(conn)).await,
                Err(err) => Err(err),
            };
        }
        self.settle(result)
    }

    /// Runs one read-only command with the deadline but leaves the readiness flag alone: for
    /// questions a healthy Redis may refuse (a managed Redis that disables `CONFIG`), whose
    /// refusal must not mark the node unready.
    pub async fn ask<T, F, Fut>(&self, command: F) -> Result<T, RedisError>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.attempt(command(self.connection().await?)).await
    }

    /// The shared connection; on a cluster, made by the first command that needs it (within
    /// the deadline; a failure leaves it to the next command to try again).
    async fn connection(&self) -> Result<Connection, RedisError> {
        match &self.target {
            Target::Single { conn, .. } => Ok(Connection::Single(conn.clone())),
            Target::Cluster { client, conn, .. } => {
                let made = conn.get_or_try_init(|| async {
                    self.attempt(client.get_async_connection()).await
                });
                Ok(Connection::Cluster(made.await?.clone()))
            }
        }
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
        // Missing replicas are one shard's trouble, which a master answering shows is not
        // this node's: it stays ready, and that shard's sends are refused one by one. A slot
        // on the move is routine on a cluster, not an outage.
        let answered = match &result {
            Ok(_) | Err(RedisError::NotReplicated { .. }) => true,
            Err(err) => slot_moving(err),
        };
        let was_ready = self.ready.swap(answered, Ordering::Relaxed);
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
