//! [`RedisPresence`]: who is in a room across every node, with leases that lapse when a node
//! dies.
//!
//! Each node writes its own members' names to Redis as leases that expire [`LEASE`] after
//! they were last renewed, and renews all of them every [`RENEW_EVERY`]:
//!
//! - `chinwag:presence:{room}`: a sorted set, name → when its last lease ends (ms);
//! - `chinwag:presence:{room}:{name}`: a sorted set, node → when that node's lease ends.
//!
//! A name is in the room while any node's lease on it runs. Arrivals and departures are Lua
//! scripts, so "was anyone else holding this name?" and the change are one atomic step, and
//! `user_joined` / `user_left` go out once for the cluster, not once per node. A node that dies
//! stops renewing; within [`LEASE`] its names lapse, and the next sweep (any node with members
//! in the room runs one every [`RENEW_EVERY`]) removes them and announces who left. Every
//! `user_joined` / `user_left` a script publishes is built by the node ([`super::wire`]) and
//! passed in; that is why a sweep first reads the lapsed names, then has its script check
//! each again before removing and announcing it.
//!
//! Scores are the nodes' wall clocks, so nodes must keep their clocks in step (NTP), as any
//! lease scheme needs. Changes go through one task per node in the order they happened; the
//! caller never waits for Redis.

use super::{
    keyspace,
    link::Link,
    wire::{self, Channels},
};
use crate::{
    delivery::{
        frame::encode,
        rooms::{PresenceChange, Rooms},
    },
    hub::presence::{Presence, PresenceError},
    store::RedisError,
};
use async_trait::async_trait;
use chinwag_shared::{RoomName, ServerMsg, Username};
use redis::Script;
use std::{
    collections::BTreeSet,
    sync::{Arc, LazyLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a name stays present without being renewed.
pub const LEASE: Duration = Duration::from_secs(10);

/// How often a node renews its leases and sweeps lapsed ones.
pub const RENEW_EVERY: Duration = Duration::from_secs(3);

/// Changes waiting for the presence task; beyond it they are dropped and the next renewal
/// repairs the lists (departures then lapse with their lease).
const CHANGE_QUEUE: usize = 16_384;

/// KEYS: room set, name set. ARGV: node, name, lease end, now, key lifetime (ms), channel,
/// `user_joined` payload, publish command ([`wire::Channels`]). Publishes it if no other node
/// holds the name.
const ARRIVE: &str = r"
local held = redis.call('ZCOUNT', KEYS[2], ARGV[4], '+inf')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if held == 0 then
  redis.call(ARGV[8], ARGV[6], ARGV[7])
end
return held
";

/// KEYS: room set, name set. ARGV as for [`ARRIVE`] (the lease end and key lifetime unused),
/// with the `user_left` payload. Publishes it if no other node still holds the name.
const DEPART: &str = r"
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
local rest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #rest == 0 then
  if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then
    redis.call(ARGV[8], ARGV[6], ARGV[7])
  end
  return 1
end
redis.call('ZADD', KEYS[1], rest[2], ARGV[2])
return 0
";

/// KEYS: room set, then each candidate's name set. ARGV: now, channel, publish command, then
/// each candidate's name and `user_left` payload, in the order of KEYS. The candidates are the names the node
/// read as lapsed; the script checks each again, so a name renewed since is left alone.
/// Removes those whose every lease lapsed and publishes their payloads.
const SWEEP: &str = r"
local swept = 0
for i = 2, #KEYS do
  local name = ARGV[2 * i]
  local lease = redis.call('ZSCORE', KEYS[1], name)
  if lease and tonumber(lease) < tonumber(ARGV[1]) then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[1])
    local rest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
    if #rest == 0 then
      redis.call('ZREM', KEYS[1], name)
      redis.call(ARGV[3], ARGV[2], ARGV[2 * i + 1])
      swept = swept + 1
    else
      redis.call('ZADD', KEYS[1], rest[2], name)
    end
  end
end
return swept
";

static ARRIVE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(ARRIVE));
static DEPART_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(DEPART));
static SWEEP_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SWEEP));

fn room_key(room: &RoomName) -> String {
    format!("chinwag:presence:{}", keyspace::room(room))
}

fn holders_key(room: &RoomName, name: &Username) -> String {
    format!("chinwag:presence:{}:{name}", keyspace::room(room))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

fn lease_ms() -> u64 {
    u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX)
}

/// Cluster-wide presence.
pub struct RedisPresence {
    link: Link,
    rooms: Arc<Rooms>,
    changes: mpsc::Sender<(RoomName, PresenceChange)>,
}

impl RedisPresence {
    /// Presence for node `node`, whose task runs until `stop`.
    pub fn start(link: Link, rooms: Arc<Rooms>, node: Arc<str>, stop: CancellationToken) -> Self {
        let (changes, queue) = mpsc::channel(CHANGE_QUEUE);
        let task = PresenceTask {
            link: link.clone(),
            rooms: Arc::clone(&rooms),
            node,
            channels: Channels::of(link.keyspace()),
        };
        tokio::spawn(task.run(queue, stop));
        Self {
            link,
            rooms,
            changes,
        }
    }
}

#[async_trait]
impl Presence for RedisPresence {
    fn changed(&self, room: &RoomName, change: PresenceChange) {
        if change == PresenceChange::default() {
            return;
        }
        if self.changes.try_send((room.clone(), change)).is_err() {
            tracing::warn!(%room, "presence queue full; the next renewal repairs it");
        }
    }

    async fn users(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        let mut query = redis::cmd("ZRANGEBYSCORE");
        query.arg(room_key(room)).arg(now_ms()).arg("+inf");
        let names: Vec<String> = self
            .link
            .read(|mut conn| {
                let query = &query;
                async move { query.query_async(&mut conn).await }
            })
            .await?;
        // This node's own members count even before their arrival reached Redis.
        let mut users: BTreeSet<Username> = self.rooms.users(room).into_iter().collect();
        users.extend(names.iter().filter_map(|name| Username::parse(name).ok()));
        Ok(users.into_iter().collect())
    }

    /// The live names Redis counts, without reading them. Names of this node that have not
    /// reached Redis yet are missed (at most until the presence task runs); a count is never
    /// below this node's own, which it knows exactly.
    async fn count(&self, room: &RoomName) -> Result<u64, PresenceError> {
        let mut query = redis::cmd("ZCOUNT");
        query.arg(room_key(room)).arg(now_ms()).arg("+inf");
        let counted: u64 = self
            .link
            .read(|mut conn| {
                let query = &query;
                async move { query.query_async(&mut conn).await }
            })
            .await?;
        let here = u64::try_from(self.rooms.name_count(room)).unwrap_or(u64::MAX);
        Ok(counted.max(here))
    }
}

/// The one task that writes this node's presence.
struct PresenceTask {
    link: Link,
    rooms: Arc<Rooms>,
    node: Arc<str>,
    /// Where its announcements are published.
    channels: Channels,
}

impl PresenceTask {
    async fn run(
        self,
        mut queue: mpsc::Receiver<(RoomName, PresenceChange)>,
        stop: CancellationToken,
    ) {
        let mut renew = tokio::time::interval(RENEW_EVERY);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                change = queue.recv() => match change {
                    Some((room, change)) => self.apply(&room, change).await,
                    None => break,
                },
                _ = renew.tick() => self.renew_and_sweep().await,
            }
        }
        // Departures of the sessions that just closed: announce what can be, quickly.
        while let Ok((room, change)) = queue.try_recv() {
            self.apply(&room, change).await;
        }
    }

    async fn apply(&self, room: &RoomName, change: PresenceChange) {
        let now = now_ms();
        for event in change.events(room) {
            let (script, name) = match &event {
                ServerMsg::UserJoined { username, .. } => (&*ARRIVE_SCRIPT, username),
                ServerMsg::UserLeft { username, .. } => (&*DEPART_SCRIPT, username),
                _ => continue,
            };
            if let Err(err) = self.change_lease(script, room, name, &event, now).await {
                tracing::debug!(%room, error = %err, "presence change not recorded");
            }
        }
    }

    /// Runs the arrival or departure script for `name`, which announces `event` if the
    /// change is one for the whole cluster.
    async fn change_lease(
        &self,
        script: &Script,
        room: &RoomName,
        name: &Username,
        event: &ServerMsg,
        now: u64,
    ) -> Result<(), RedisError> {
        let mut invocation = script.prepare_invoke();
        invocation
            .key(room_key(room))
            .key(holders_key(room, name))
            .arg(&*self.node)
            .arg(name.as_str())
            .arg(now + lease_ms())
            .arg(now)
            .arg(2 * lease_ms())
            .arg(self.channels.channel(room).as_ref())
            .arg(wire::event_payload(room, &encode(event)))
            .arg(self.channels.publish_command());
        self.link
            .call(|mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await })
            .await
            .map(drop)
    }

    /// Renews every lease this node holds, then sweeps lapsed names in its rooms.
    async fn renew_and_sweep(&self) {
        let snapshot = self.rooms.presence_snapshot();
        if snapshot.is_empty() {
            return;
        }
        let now = now_ms();
        let until = now + lease_ms();
        let keep = 2 * lease_ms();
        // One pipeline on one Redis; one per room on a cluster, where each room has its slot.
        let one_pipeline = self.channels == Channels::Broadcast;
        let mut pipes = Vec::new();
        let mut pipe = redis::pipe();
        for (room, names) in &snapshot {
            for name in names {
                let holders = holders_key(room, name);
                pipe.zadd(&holders, &*self.node, until).ignore();
                pipe.pexpire(&holders, keep as i64).ignore();
                pipe.cmd("ZADD")
                    .arg(room_key(room))
                    .arg("GT")
                    .arg(until)
                    .arg(name.as_str())
                    .ignore();
            }
            pipe.pexpire(room_key(room), keep as i64).ignore();
            if !one_pipeline {
                pipes.push(std::mem::replace(&mut pipe, redis::pipe()));
            }
        }
        if !pipe.is_empty() {
            pipes.push(pipe);
        }
        for pipe in pipes {
            let renewed = self
                .link
                .call(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
                .await;
            if let Err(err) = renewed {
                tracing::debug!(error = %err, "presence leases not renewed");
                return;
            }
        }
        for (room, _) in &snapshot {
            if let Err(err) = self.sweep(room, now).await {
                tracing::debug!(%room, error = %err, "presence sweep failed");
            }
        }
    }

    /// Removes the names in `room` whose every lease lapsed before `now`, announcing each
    /// as gone. Two steps, so that the node builds every `user_left` itself: read the
    /// lapsed names, then let the script check each again and remove and announce it in one
    /// atomic step. A name that lapses between the two is swept next time.
    async fn sweep(&self, room: &RoomName, now: u64) -> Result<(), RedisError> {
        let mut lapsed = redis::cmd("ZRANGEBYSCORE");
        lapsed
            .arg(room_key(room))
            .arg("-inf")
            .arg(format!("({now}"));
        let names: Vec<String> = self
            .link
            .read(|mut conn| {
                let lapsed = &lapsed;
                async move { lapsed.query_async(&mut conn).await }
            })
            .await?;
        // Only this engine writes these sets, with validated names; anything else is left be.
        let names: Vec<Username> = names
            .iter()
            .filter_map(|name| Username::parse(name).ok())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let mut sweep = SWEEP_SCRIPT.prepare_invoke();
        sweep
            .key(room_key(room))
            .arg(now)
            .arg(self.channels.channel(room).as_ref())
            .arg(self.channels.publish_command());
        for name in &names {
            let left = ServerMsg::UserLeft {
                room: room.clone(),
                username: name.clone(),
            };
            sweep
                .key(holders_key(room, name))
                .arg(name.as_str())
                .arg(wire::event_payload(room, &encode(&left)));
        }
        self.link
            .call(|mut conn| async move { sweep.invoke_async::<i64>(&mut conn).await })
            .await
            .map(drop)
    }
}
