//! Cluster tests: several real `chinwag` nodes on one real `redis-server`.
//!
//! Each test starts its own Redis on a free loopback port (no persistence: `--save ''
//! --appendonly no`, except one AOF Redis in `persistence`) and its own nodes with `--redis`,
//! and stops them when it ends. Failures are real ones: SIGKILL of a node, SIGSTOP of Redis,
//! Redis restarted empty. `redis_cluster` is the fixture for a real Redis Cluster instead
//! (six nodes, three masters with a replica each), tested by `redis_cluster_fixture`.
//! `redis-server` and `redis-cli` must be on PATH; `cargo xtask test` installs both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts_cli;
mod api_keys;
mod authorship;
mod batch_payloads;
mod batched;
mod changes;
mod console;
mod directory;
mod failover;
mod front;
mod guest_names;
mod identity;
mod live_from_open;
mod moderation;
mod order;
mod outage;
mod persistence;
mod portability;
mod presence;
mod redis;
mod redis_cluster;
mod redis_cluster_fixture;
mod removal;
mod restore;
mod rooms;
mod sharded;
#[allow(
    dead_code,
    reason = "shared with the single-node suite; not every helper is used here"
)]
#[path = "../server/support.rs"]
mod support;
mod wire;

use redis::Redis;
use support::Server;
use tempfile::TempDir;

/// A node of a cluster, with the directory it runs in.
pub struct Node {
    pub server: Server,
    _dir: TempDir,
}

impl std::ops::Deref for Node {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

/// Starts a node named `name` on `redis`, with `extra` flags.
pub async fn node(redis: &Redis, name: &str, extra: &[&str]) -> Node {
    start_node(&["--redis", &redis.url()], name, extra).await
}

/// Starts a node named `name` on the Redis Cluster `cluster` (`--redis-cluster`, every node a
/// seed), with `extra` flags.
pub async fn cluster_node(
    cluster: &redis_cluster::RedisCluster,
    name: &str,
    extra: &[&str],
) -> Node {
    start_node(&["--redis-cluster", &cluster.seeds()], name, extra).await
}

/// Starts a node named `name` on the Redis that `engine` names, without rate limits, with
/// `extra` flags, and waits until it is ready.
async fn start_node(engine: &[&str], name: &str, extra: &[&str]) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let mut flags = engine.to_vec();
    flags.extend_from_slice(&["--node-id", name]);
    flags.extend_from_slice(&support::NO_RATE_LIMIT);
    flags.extend_from_slice(extra);
    let server = Server::start_with(dir.path(), &flags).await;
    let node = Node { server, _dir: dir };
    until_ready(&node, 200).await;
    node
}

/// Polls `/readyz` until it answers `status` (bounded). A node is ready once Redis answers
/// and its fan-out subscription is up; before that, events other nodes publish miss it.
pub async fn until_ready(node: &Node, status: u16) {
    for _ in 0..200 {
        if node.get_text("/readyz").await.0 == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("/readyz never answered {status}");
}
