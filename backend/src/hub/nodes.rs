//! The node registry: which nodes are running, as the operators' console lists them.
//!
//! Each node publishes its own [`NodeStatus`] once a second (the console's sampler,
//! `console::live`, does it); [`NodeRegistry::nodes`] reads every node's. On SQLite there is
//! one node and [`LocalNode`] answers with it alone; the Redis engine's registry
//! (`cluster::node_registry`) keeps each node's status under a lease of a few seconds, so any
//! node lists all of them and a node that dies drops out of the list on its own.

use crate::store::StoreError;
use async_trait::async_trait;
use chinwag_shared::console::NodeStatus;
use std::sync::Arc;

/// Where the nodes' statuses are kept.
#[async_trait]
pub trait NodeRegistry: Send + Sync + 'static {
    /// This node's id.
    fn this_node(&self) -> &str;

    /// Records `status` as this node's current one (renewing its lease).
    async fn publish(&self, status: &NodeStatus) -> Result<(), StoreError>;

    /// Every node running, sorted by id; this node's entry is `own` (fresher than any copy
    /// read back), marked [`NodeStatus::this`].
    async fn nodes(&self, own: &NodeStatus) -> Result<Vec<NodeStatus>, StoreError>;
}

/// The registry of a single node: itself.
pub struct LocalNode {
    id: Arc<str>,
}

impl LocalNode {
    /// The registry of the one node `id`.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self { id: id.into() }
    }
}

#[async_trait]
impl NodeRegistry for LocalNode {
    fn this_node(&self) -> &str {
        &self.id
    }

    async fn publish(&self, _status: &NodeStatus) -> Result<(), StoreError> {
        Ok(())
    }

    async fn nodes(&self, own: &NodeStatus) -> Result<Vec<NodeStatus>, StoreError> {
        Ok(vec![NodeStatus {
            this: true,
            ..own.clone()
        }])
    }
}
