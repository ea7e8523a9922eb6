//! [`RedisNodes`]: every node of a cluster, as any of them lists them for the console.
//!
//! Each node publishes its [`NodeStatus`] once a second as a lease of [`NODE_LEASE`]:
//!
//! - `chinwag:node:{id}`: the status's JSON, expiring with the lease (`SET … PX`);
//! - `chinwag:nodes`: a sorted set, node id → when its lease ends (Unix ms), so the nodes
//!   are found without scanning the key space. Ended leases are swept from it as each node
//!   publishes.
//!
//! A node that stops (or loses Redis) stops renewing; within [`NODE_LEASE`] its key expires
//! and every node's list leaves it out. Scores are the nodes' wall clocks, which must be kept
//! in step (NTP), as for presence leases.

use super::{keyspace, link::Link};
use crate::{hub::nodes::NodeRegistry, store::StoreError};
use async_trait::async_trait;
use chinwag_shared::console::NodeStatus;
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// How long a published status lasts unless renewed: a few missed seconds, not one.
pub const NODE_LEASE: Duration = Duration::from_secs(5);

/// The most nodes listed; a cluster bigger than this lists its first ones by id.
pub const MAX_NODES: usize = 256;

/// The set of node ids, scored by lease end.
fn nodes_key() -> String {
    format!("{}nodes", keyspace::directory())
}

/// The key of node `id`'s status: a fixed prefix, and the id as the whole rest.
fn node_key(id: &str) -> String {
    format!("{}node:{id}", keyspace::directory())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The node registry in Redis.
pub struct RedisNodes {
    link: Link,
    id: Arc<str>,
}

impl RedisNodes {
    /// The registry on `link`, for node `id`.
    pub fn new(link: Link, id: Arc<str>) -> Self {
        Self { link, id }
    }
}

#[async_trait]
impl NodeRegistry for RedisNodes {
    fn this_node(&self) -> &str {
        &self.id
    }

    async fn publish(&self, status: &NodeStatus) -> Result<(), StoreError> {
        let json = serde_json::to_string(status).map_err(crate::store::Corrupt::Entry)?;
        let now = now_ms();
        let lease_ms = u64::try_from(NODE_LEASE.as_millis()).unwrap_or(u64::MAX);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(node_key(&self.id))
            .arg(json)
            .arg("PX")
            .arg(lease_ms)
            .ignore()
            .cmd("ZADD")
            .arg(nodes_key())
            .arg(now.saturating_add(lease_ms))
            .arg(&*self.id)
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(nodes_key())
            .arg("-inf")
            .arg(format!("({now}"))
            .ignore();
        // Setting the same lease again is harmless, so a lost answer may be retried.
        self.link
            .read(|mut conn| {
                let pipe = &pipe;
                async move { pipe.query_async::<()>(&mut conn).await }
            })
            .await?;
        Ok(())
    }

    async fn nodes(&self, own: &NodeStatus) -> Result<Vec<NodeStatus>, StoreError> {
        let now = now_ms();
        let mut range = redis::cmd("ZRANGEBYSCORE");
        range
            .arg(nodes_key())
            .arg(now)
            .arg("+inf")
            .arg("LIMIT")
            .arg(0)
            .arg(MAX_NODES);
        let ids: Vec<String> = self
            .link
            .read(|mut conn| {
                let range = &range;
                async move { range.query_async(&mut conn).await }
            })
            .await?;
        let mut nodes = vec![NodeStatus {
            this: true,
            ..own.clone()
        }];
        let others: Vec<&String> = ids.iter().filter(|id| **id != *self.id).collect();
        if !others.is_empty() {
            let mut get = redis::cmd("MGET");
            for id in &others {
                get.arg(node_key(id));
            }
            let statuses: Vec<Option<String>> = self
                .link
                .read(|mut conn| {
                    let get = &get;
                    async move { get.query_async(&mut conn).await }
                })
                .await?;
            for json in statuses.into_iter().flatten() {
                match serde_json::from_str::<NodeStatus>(&json) {
                    Ok(status) => nodes.push(NodeStatus {
                        this: false,
                        ..status
                    }),
                    // A node of another version, or a stray writer: left out, not fatal.
                    Err(err) => tracing::debug!(error = %err, "unreadable node status"),
                }
            }
        }
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nodes_key_is_the_prefix_and_its_whole_id() {
        assert_eq!(node_key("node-1"), "chinwag:node:node-1");
        assert_eq!(node_key("a:b"), "chinwag:node:a:b");
    }
}
