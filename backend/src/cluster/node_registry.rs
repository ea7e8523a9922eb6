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
//! and every node's list leaves it out.
//!
//! Beside its status, each entry says the newest kind of fan-out payload the node reads
//! (`fanout_payloads`, [`wire::READS`]; an entry without it is a node of an earlier release,
//! which reads one payload per record). Listing the nodes (the console's sampler does, once a
//! second), a node also tells its appender ([`wire::BatchReaders`]) whether all of them read
//! batches. Scores are the nodes' wall clocks, which must be kept
//! in step (NTP), as for presence leases.

use super::{
    keyspace,
    link::Link,
    wire::{self, BatchReaders},
};
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

/// A node's registry entry: its status, and what it reads.
#[derive(serde::Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    status: &'a NodeStatus,
    fanout_payloads: u32,
}

/// What [`Entry`] says of the payloads a node reads; absent, it is an earlier release's.
#[derive(serde::Deserialize)]
struct Reads {
    #[serde(default = "one_per_record")]
    fanout_payloads: u32,
}

/// What a node that does not say reads: one `C` payload per record.
fn one_per_record() -> u32 {
    1
}

/// Whether every entry in `entries` (`None`: expired since listed) reads batches.
fn all_read_batches(entries: &[Option<String>]) -> bool {
    entries.iter().flatten().all(|json| {
        serde_json::from_str::<Reads>(json).is_ok_and(|reads| reads.fanout_payloads >= 2)
    })
}

/// The node registry in Redis.
pub struct RedisNodes {
    link: Link,
    id: Arc<str>,
    /// Told, whenever the nodes are listed, whether every node reads batched payloads.
    batch_readers: Option<Arc<BatchReaders>>,
}

impl RedisNodes {
    /// The registry on `link`, for node `id`.
    pub fn new(link: Link, id: Arc<str>) -> Self {
        Self {
            link,
            id,
            batch_readers: None,
        }
    }

    /// This registry, telling `readers` whenever it lists the nodes whether every node reads
    /// batches.
    #[must_use]
    pub fn telling(mut self, readers: Arc<BatchReaders>) -> Self {
        self.batch_readers = Some(readers);
        self
    }

    /// The ids of the nodes whose leases run, at most [`MAX_NODES`].
    async fn live_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut range = redis::cmd("ZRANGEBYSCORE");
        range
            .arg(nodes_key())
            .arg(now_ms())
            .arg("+inf")
            .arg("LIMIT")
            .arg(0)
            .arg(MAX_NODES);
        Ok(self
            .link
            .read(|mut conn| {
                let range = &range;
                async move { range.query_async(&mut conn).await }
            })
            .await?)
    }

    /// How many nodes' leases run, and the entries of those other than this one (`None` for
    /// one expired since listed).
    async fn others(&self) -> Result<(usize, Vec<Option<String>>), StoreError> {
        let ids = self.live_ids().await?;
        let others: Vec<&String> = ids.iter().filter(|id| **id != *self.id).collect();
        Ok((ids.len(), self.entries(&others).await?))
    }

    /// The registry entries of `ids`, in order (`None` for one expired since).
    async fn entries(&self, ids: &[&String]) -> Result<Vec<Option<String>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut get = redis::cmd("MGET");
        for id in ids {
            get.arg(node_key(id));
        }
        Ok(self
            .link
            .read(|mut conn| {
                let get = &get;
                async move { get.query_async(&mut conn).await }
            })
            .await?)
    }
}

#[async_trait]
impl NodeRegistry for RedisNodes {
    fn this_node(&self) -> &str {
        &self.id
    }

    async fn publish(&self, status: &NodeStatus) -> Result<(), StoreError> {
        let entry = Entry {
            status,
            fanout_payloads: wire::READS,
        };
        let json = serde_json::to_string(&entry).map_err(crate::store::Corrupt::Entry)?;
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
        let listed = self.others().await;
        if let Some(readers) = &self.batch_readers {
            // A failed read, or a full list that may leave a node out, counts as no.
            readers.set(matches!(
                &listed,
                Ok((live, entries)) if *live < MAX_NODES && all_read_batches(entries)
            ));
        }
        let (_, entries) = listed?;
        let mut nodes = vec![NodeStatus {
            this: true,
            ..own.clone()
        }];
        for json in entries.into_iter().flatten() {
            match serde_json::from_str::<NodeStatus>(&json) {
                Ok(status) => nodes.push(NodeStatus {
                    this: false,
                    ..status
                }),
                // A node of another version, or a stray writer: left out, not fatal.
                Err(err) => tracing::debug!(error = %err, "unreadable node status"),
            }
        }
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: &str) -> NodeStatus {
        NodeStatus {
            id: id.to_owned(),
            ready: true,
            connections: 3,
            version: "0.1.0".to_owned(),
            uptime_secs: 9,
            this: false,
        }
    }

    #[test]
    fn an_entry_reads_back_as_its_status_and_says_it_reads_batches() {
        let status = status("n1");
        let json = serde_json::to_string(&Entry {
            status: &status,
            fanout_payloads: wire::READS,
        })
        .unwrap();
        // What a node of an earlier release reads: the status, the new field ignored.
        assert_eq!(serde_json::from_str::<NodeStatus>(&json).unwrap(), status);
        assert!(all_read_batches(&[Some(json)]));
    }

    #[test]
    fn one_earlier_or_unreadable_entry_means_one_payload_per_record() {
        let new = serde_json::to_string(&Entry {
            status: &status("n1"),
            fanout_payloads: wire::READS,
        })
        .unwrap();
        let earlier = serde_json::to_string(&status("n2")).unwrap();
        assert!(!all_read_batches(&[Some(new.clone()), Some(earlier)]));
        assert!(!all_read_batches(&[
            Some(new.clone()),
            Some("{".to_owned())
        ]));
        // An entry that expired between listing and reading is no node any more.
        assert!(all_read_batches(&[Some(new), None]));
    }

    #[test]
    fn a_nodes_key_is_the_prefix_and_its_whole_id() {
        assert_eq!(node_key("node-1"), "chinwag:node:node-1");
        assert_eq!(node_key("a:b"), "chinwag:node:a:b");
    }
}
