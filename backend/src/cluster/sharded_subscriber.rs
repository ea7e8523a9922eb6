//! Fan-out on a Redis Cluster: each node listens to the sharded channel of every room it has
//! members in, and to nothing else.
//!
//! On a cluster the scripts publish a room's records and presence with `SPUBLISH` on the
//! room's own channel ([`wire::room_channel`]), which lives in the room's slot, so only that
//! slot's shard carries it. This subscriber follows [`Rooms`]: when a room gains its first
//! member here it subscribes (`SSUBSCRIBE`, sent by the `redis` crate to the master of the
//! channel's slot), when it loses its last it unsubscribes.
//!
//! Like plain pub/sub, sharded pub/sub is at-most-once: a record published before the
//! subscription took hold, or while a failover or a slot migration moved it, is missed here.
//! So whenever Redis confirms a subscription (the first, and each renewal the crate makes by
//! itself after a reconnection or a topology change), the room is handed its newest stored
//! record through the [`Inbox`], and sessions that see a jump in ids fill the gap from the log.
//! A room whose subscription Redis ended (its slot moved away) is subscribed again on the
//! next check, within [`RECHECK`]. Nothing confirmed is lost; it may arrive late.
//!
//! The crate moves subscriptions to a slot's new master when it refreshes its map of the
//! cluster, which it does when a command meets a redirection or a lost node. A connection that
//! only listens sends no commands, so after a failover it could go on renewing its
//! subscriptions on the old master once that comes back as a replica, which never receives the
//! room's messages. So for [`PROBE_FOR`] after any sign of a changing cluster (a lost
//! connection, a subscription renewed), each check also reads one key of up to
//! [`PROBES_PER_CHECK`] rooms through this connection: a read that lands on a replica or a dead
//! node makes the crate refresh its map and resubscribe where the slots are now. A room whose
//! catch-up failed is caught up again at each check until it succeeds.
//!
//! Pushes come from the crate's connection tasks through a bounded queue
//! ([`PUSH_QUEUE`]); when it overflows, pushes are dropped and every room is caught up, as
//! after a lost subscription.

use super::{
    broker::Inbox,
    link::Link,
    log::room_key,
    wire::{self, room_channel},
};
use crate::{delivery::rooms::Rooms, store::Store};
use chinwag_shared::RoomName;
use redis::{ProtocolVersion, PushInfo, PushKind, Value, cluster_async::ClusterConnection};
use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Pushes (messages and subscription notices) waiting for this task; more are dropped, and
/// every room caught up.
const PUSH_QUEUE: usize = 65_536;

/// How often the wanted subscriptions are compared with the confirmed ones.
const RECHECK: Duration = Duration::from_secs(1);

/// How long after a sign of a changing cluster the subscriptions' slots are probed.
const PROBE_FOR: Duration = Duration::from_secs(30);

/// Rooms probed per check while probing, in turn, so a node with many rooms spreads them out.
const PROBES_PER_CHECK: usize = 256;

/// Receives the records and events of the rooms with members here, from their shards.
pub struct ShardedSubscriber {
    link: Link,
    inbox: Inbox,
    /// Whether the cluster connection is up; the node is not ready without it.
    subscribed: Arc<AtomicBool>,
    /// Rooms whose subscription Redis confirmed and has not ended since.
    confirmed: HashSet<RoomName>,
    /// Rooms whose catch-up failed, to be caught up at the next check.
    behind: HashSet<RoomName>,
    /// Until when the subscriptions' slots are probed (see the module docs).
    probing_until: Option<Instant>,
    /// Where the next probes start among the confirmed rooms.
    probe_turn: usize,
}

impl ShardedSubscriber {
    /// A subscriber delivering into `rooms`, reading missed records from `store`, keeping
    /// `subscribed` true while its connection is up.
    pub fn new(
        link: Link,
        rooms: Arc<Rooms>,
        store: Arc<dyn Store>,
        subscribed: Arc<AtomicBool>,
    ) -> Self {
        Self {
            link,
            inbox: Inbox::new(rooms, store),
            subscribed,
            confirmed: HashSet::new(),
            behind: HashSet::new(),
            probing_until: None,
            probe_turn: 0,
        }
    }

    /// Connects, follows the rooms and delivers until `stop`, connecting again with backoff
    /// while the cluster cannot be reached.
    pub async fn run(mut self, stop: CancellationToken) {
        let (pushes, mut queue) = mpsc::channel(PUSH_QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let Some(builder) = self.link.cluster_builder() else {
            tracing::error!("the sharded subscriber needs a Redis Cluster");
            return;
        };
        let dropped = Arc::clone(&overflowed);
        let client = builder
            .use_protocol(ProtocolVersion::RESP3)
            .push_sender(move |push: PushInfo| {
                if pushes.try_send(push).is_err() {
                    dropped.store(true, Ordering::Relaxed);
                }
                Ok::<(), std::convert::Infallible>(())
            })
            .build();
        let client = match client {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(error = %err, "cannot make the fan-out's cluster client");
                return;
            }
        };
        let mut delay = Duration::from_millis(50);
        let mut conn = loop {
            let timeout = self.link.timeout();
            match tokio::time::timeout(timeout, client.get_async_connection()).await {
                Ok(Ok(conn)) => break conn,
                Ok(Err(err)) => tracing::warn!(error = %err, "fan-out cannot reach the cluster"),
                Err(_elapsed) => tracing::warn!("fan-out cannot reach the cluster in time"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        };
        tracing::info!("fan-out connected to the cluster");
        self.subscribed.store(true, Ordering::Relaxed);
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.inbox.rooms().opened_or_closed() => self.follow(&mut conn).await,
                _ = recheck.tick() => {
                    if overflowed.swap(false, Ordering::Relaxed) {
                        tracing::warn!("fan-out queue overflowed; catching every room up");
                        self.inbox.catch_up_rooms().await;
                    }
                    self.follow(&mut conn).await;
                    self.catch_up_behind().await;
                    self.probe(&conn).await;
                }
                push = queue.recv() => match push {
                    Some(push) => self.on_push(push).await,
                    None => return,
                },
            }
        }
    }

    /// Subscribes to the rooms that gained members here, and to those whose subscription
    /// ended; unsubscribes from those with none left.
    async fn follow(&mut self, conn: &mut ClusterConnection) {
        let wanted = self.inbox.rooms().room_names();
        let closed: Vec<RoomName> = self
            .confirmed
            .iter()
            .filter(|room| !wanted.contains(*room))
            .cloned()
            .collect();
        for room in closed {
            self.confirmed.remove(&room);
            self.inbox.forget(&room);
            if let Err(err) = conn.sunsubscribe(room_channel(&room)).await {
                tracing::debug!(%room, error = %err, "could not unsubscribe from a room");
            }
        }
        let missing: Vec<RoomName> = wanted
            .into_iter()
            .filter(|room| !self.confirmed.contains(room))
            .collect();
        for room in missing {
            match conn.ssubscribe(room_channel(&room)).await {
                // Its confirmation push catches it up (`on_push`); this one is for the case
                // where that push was dropped.
                Ok(()) => {
                    self.confirmed.insert(room.clone());
                    self.catch_up(room).await;
                }
                Err(err) => tracing::warn!(%room, error = %err, "could not subscribe to a room"),
            }
        }
    }

    async fn on_push(&mut self, push: PushInfo) {
        match push.kind {
            PushKind::SMessage => {
                if let [_channel, Value::BulkString(payload)] = push.data.as_slice() {
                    self.inbox.on_payload(payload);
                }
            }
            PushKind::SSubscribe => {
                // The first confirmation, or a renewal after a reconnection or a failover:
                // whatever was published in between is in the log only.
                if let Some(room) = channel_room(&push.data) {
                    if !self.confirmed.insert(room.clone()) {
                        // A renewal: the crate reconnected somewhere; is it the right node?
                        self.start_probing();
                    }
                    self.catch_up(room).await;
                }
            }
            PushKind::SUnsubscribe => {
                // Ours, or Redis's when the slot moved: either way the next check decides.
                if let Some(room) = channel_room(&push.data) {
                    self.confirmed.remove(&room);
                }
            }
            PushKind::Disconnection => {
                tracing::warn!("fan-out lost a cluster connection; the crate reconnects");
                self.start_probing();
            }
            _ => {}
        }
    }
}

impl ShardedSubscriber {
    /// Hands `room` its newest record, or keeps it to try again at the next check.
    async fn catch_up(&mut self, room: RoomName) {
        if self.inbox.catch_up(&room).await {
            self.behind.remove(&room);
        } else {
            self.behind.insert(room);
        }
    }

    /// Catches up again the rooms whose catch-up failed and that still have members here.
    async fn catch_up_behind(&mut self) {
        let behind: Vec<RoomName> = self.behind.drain().collect();
        for room in behind {
            if self.confirmed.contains(&room) {
                self.catch_up(room).await;
            }
        }
    }

    fn start_probing(&mut self) {
        self.probing_until = Some(Instant::now() + PROBE_FOR);
    }

    /// While probing, reads one key in the slots of up to [`PROBES_PER_CHECK`] subscribed
    /// rooms through the subscriber's own connection, all at once. The answers do not matter:
    /// a redirection or a lost node among them makes the crate refresh its map of the cluster
    /// and move subscriptions to where the slots are now.
    async fn probe(&mut self, conn: &ClusterConnection) {
        match self.probing_until {
            Some(until) if Instant::now() < until => {}
            _ => {
                self.probing_until = None;
                return;
            }
        }
        let rooms: Vec<&RoomName> = self.confirmed.iter().collect();
        if rooms.is_empty() {
            return;
        }
        let start = self.probe_turn % rooms.len();
        let count = rooms.len().min(PROBES_PER_CHECK);
        self.probe_turn = start + count;
        let timeout = self.link.timeout();
        let probes = (0..count).map(|n| {
            let room = rooms[(start + n) % rooms.len()];
            let mut conn = conn.clone();
            let mut exists = redis::cmd("EXISTS");
            exists.arg(room_key(room));
            async move {
                let probe = exists.query_async::<i64>(&mut conn);
                let _whatever_it_says = tokio::time::timeout(timeout, probe).await;
            }
        });
        futures_util::future::join_all(probes).await;
    }
}

/// The room of a subscription notice's channel.
fn channel_room(data: &[Value]) -> Option<RoomName> {
    match data.first()? {
        Value::BulkString(channel) => wire::room_of_channel(std::str::from_utf8(channel).ok()?),
        _ => None,
    }
}
