//! The Redis engine: many Chinwag nodes behind one load balancer, sharing one Redis.
//!
//! `--redis redis://HOST:PORT` swaps the embedded engine (SQLite log, in-process fan-out,
//! local presence, the SQLite directory) for these four, behind the same traits, so sessions
//! and handlers do not change:
//!
//! - [`RedisStore`] ([`log`]): room logs as Redis streams; ids assigned atomically with the
//!   append by a Lua script, which also publishes the record to every node; the appends that
//!   wait together go as one script call per room, in one round trip.
//! - [`RedisFanout`] and [`Subscriber`] ([`broker`]): pub/sub between nodes; each node delivers
//!   to its own sessions in id order, and catches up after a lost subscription.
//! - [`RedisPresence`] ([`presence`]): cluster-wide presence as leases that lapse within
//!   seconds of a node dying.
//! - [`accounts::RedisAccounts`] ([`accounts`]): the directory (accounts, credentials,
//!   private rooms), so an account or a private room made through one node holds on all.
//! - [`RedisModeration`] ([`moderation`]): roles, slow mode, mutes and bans, the audit log
//!   and read markers, so a moderator's act through one node holds on all.
//! - [`node_registry::RedisNodes`]: every node's status under a short lease, so the
//!   operators' console on any node lists them all.
//!
//! [`link`] holds the connection, the per-command deadline and the readiness flag: while Redis
//! is unreachable, sends are answered `unavailable` (never confirmed), `/readyz` says 503, and
//! the node reconnects by itself. [`persistence`] reads whether Redis keeps what it confirms
//! (its AOF) and warns when it does not. [`wire`] is the one builder of what goes through
//! Redis: the pub/sub payloads and the chat JSON the scripts store. `docs/architecture.md` has
//! the whole picture.

pub mod accounts;
pub mod broker;
pub mod guest_names;
pub mod keyspace;
pub mod link;
pub mod log;
pub mod moderation;
pub mod node_registry;
pub mod persistence;
pub mod presence;
pub mod sharded_subscriber;
pub mod wire;

pub use broker::{RedisFanout, Subscriber};
pub use link::{Link, RedisTarget};
pub use log::RedisStore;
pub use moderation::RedisModeration;
pub use presence::RedisPresence;
pub use sharded_subscriber::ShardedSubscriber;

use crate::{
    cluster::keyspace::Keyspace,
    delivery::rooms::Rooms,
    hub::{Directory, Hub, new_rooms::NewRoomLimits},
    metrics::Metrics,
    store::{Store, StoreError},
};
use std::{
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// What a node needs to know to join a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// One Redis or a cluster.
    pub target: RedisTarget,
    /// Replicas that must have a record before it is confirmed (`--redis-wait-replicas`).
    pub wait_replicas: u32,
    /// This node's name in presence leases; unique per running node.
    pub node: Arc<str>,
    /// Records kept per room (approximately: `MAXLEN ~`).
    pub history_max_len: u64,
    /// Deadline of each Redis command.
    pub timeout: Duration,
    /// Byte budget of the recent tails kept in memory (`--recent-tail-bytes`).
    pub recent_tail_bytes: usize,
}

/// A hub on the Redis engine, letting posters create rooms within `new_rooms` (per node: each
/// node keeps its own budgets). Its background tasks (subscriber, event publisher, presence,
/// readiness ping) run on the current runtime until `stop` is cancelled.
pub fn redis_hub(
    config: &ClusterConfig,
    new_rooms: NewRoomLimits,
    metrics: Arc<Metrics>,
    stop: &CancellationToken,
) -> Result<Hub, StoreError> {
    let link = Link::open(&config.target, config.timeout)?;
    let rooms = Arc::new(
        Rooms::new(config.recent_tail_bytes).with_latency(metrics.delivery_latency.clone()),
    );
    let subscribed = Arc::new(AtomicBool::new(false));
    // The registry tells the appender when every node reads batched payloads.
    let batch_readers = Arc::new(wire::BatchReaders::default());
    let store: Arc<dyn Store> = Arc::new(
        RedisStore::new(
            link.clone(),
            config.history_max_len,
            Arc::clone(&subscribed),
        )
        .waiting_for_replicas(config.wait_replicas)
        .publishing_batches_when(Arc::clone(&batch_readers)),
    );
    let fanout = Arc::new(RedisFanout::start(link.clone(), stop.clone()));
    let presence = Arc::new(RedisPresence::start(
        link.clone(),
        Arc::clone(&rooms),
        Arc::clone(&config.node),
        stop.clone(),
    ));
    if link.keyspace() == Keyspace::Cluster {
        let subscriber = ShardedSubscriber::new(
            link.clone(),
            Arc::clone(&rooms),
            Arc::clone(&store),
            subscribed,
        );
        tokio::spawn(subscriber.run(stop.clone()));
    } else {
        let subscriber = Subscriber::new(
            link.clone(),
            Arc::clone(&rooms),
            Arc::clone(&store),
            subscribed,
        );
        tokio::spawn(subscriber.run(stop.clone()));
    }
    tokio::spawn(persistence::watch(
        link.clone(),
        Arc::clone(&metrics),
        stop.clone(),
    ));
    let accounts = Arc::new(accounts::RedisAccounts::new(link.clone()));
    let moderation = Arc::new(moderation::RedisModeration::new(link.clone()));
    let nodes = node_registry::RedisNodes::new(link.clone(), Arc::clone(&config.node))
        .telling(batch_readers);
    let guest_names =
        guest_names::RedisGuestNames::start(link.clone(), Arc::clone(&rooms), stop.clone());
    tokio::spawn(link.keep_checking(stop.clone()));
    tracing::info!(
        redis = %config.target.describe(),
        node = %config.node,
        wait_replicas = config.wait_replicas,
        "redis engine"
    );
    Ok(Hub::new(
        rooms,
        store,
        fanout,
        presence,
        metrics,
        new_rooms,
        Directory {
            accounts,
            moderation,
        },
    )
    .with_nodes(Arc::new(nodes))
    .with_guest_names(Arc::new(guest_names)))
}

#[cfg(test)]
mod tests {
    use super::RedisTarget;

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            RedisTarget::One("redis://:secret@10.0.0.1:6379".into()).describe(),
            "redis://***@10.0.0.1:6379"
        );
        assert_eq!(
            RedisTarget::One("redis://127.0.0.1:6379".into()).describe(),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(
            RedisTarget::Cluster(vec![
                "redis://:secret@10.0.0.1:7000".into(),
                "redis://10.0.0.2:7000".into()
            ])
            .describe(),
            "cluster redis://***@10.0.0.1:7000,redis://10.0.0.2:7000"
        );
    }
}
