//! [`RedisGuestNames`]: a guest's name in a room, held for every node under a lease.
//!
//! - `chinwag:guest-name:{room}:{name key}`: a string naming the holder, `t:` and the digest of
//!   its client token (never the token itself); it expires [`LEASE`] after it was last
//!   renewed. The name key is the look-alike key the local rule compares by, so "ada" held on
//!   one node also refuses "Ada" on another. The key carries the room's tag, so on a cluster
//!   it lives with the room.
//!
//! A claim is one script: free, or already this holder's, and it is (re)taken; another
//! holder's, and it is refused. A release deletes the key only if it is still the holder's.
//! Every [`RENEW_EVERY`] each node claims again the names its guests hold (which also puts
//! back a key that was released by the same browser's connection through another node, or
//! lost with Redis), so a name stays held while anyone holds it, and a node that dies lets its
//! guests' names go within [`LEASE`]. Releases go through a bounded queue to the same task; one
//! that is dropped lapses with its lease.

use super::{
    keyspace,
    link::Link,
    presence::{LEASE, RENEW_EVERY},
};
use crate::{
    auth::secret,
    delivery::rooms::Rooms,
    hub::guest_names::{GuestNameError, GuestNames},
    store::RedisError,
};
use async_trait::async_trait;
use chinwag_shared::{ClientToken, RoomName, Username};
use redis::Script;
use std::sync::{Arc, LazyLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// KEYS: the name's key. ARGV: the holder, the lease (ms). Returns 1 if the holder has the
/// name now, 0 if another holder has it.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
",
    )
});

/// KEYS: the name's key. ARGV: the holder. Deletes the key if the holder still has it.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// Releases waiting for the task; more are dropped (their leases lapse).
const RELEASE_QUEUE: usize = 4_096;

/// Claims renewed at once by the task.
const RENEWALS_AT_ONCE: usize = 64;

/// The key of `name` in `room`.
fn name_key(room: &RoomName, name: &Username) -> String {
    format!(
        "chinwag:guest-name:{}:{}",
        keyspace::room(room),
        name.hold_key().as_str()
    )
}

fn lease_ms() -> u64 {
    u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX)
}

/// Guest names held in Redis, for every node.
pub struct RedisGuestNames {
    link: Link,
    releases: mpsc::Sender<(String, String)>,
}

impl RedisGuestNames {
    /// Guest names on `link`; a task renews the names `rooms`' guests hold, and makes the
    /// releases, until `stop`.
    pub fn start(link: Link, rooms: Arc<Rooms>, stop: CancellationToken) -> Self {
        let (releases, queue) = mpsc::channel(RELEASE_QUEUE);
        tokio::spawn(keep(link.clone(), rooms, queue, stop));
        Self { link, releases }
    }
}

/// How the client with `token` is written in a name's key.
fn token_holder(token: &ClientToken) -> String {
    format!("t:{}", secret::digest(token.as_str()))
}

#[async_trait]
impl GuestNames for RedisGuestNames {
    async fn claim(
        &self,
        room: &RoomName,
        name: &Username,
        token: &ClientToken,
    ) -> Result<bool, GuestNameError> {
        Ok(claim(&self.link, &name_key(room, name), &token_holder(token)).await?)
    }

    async fn held_by_another(
        &self,
        room: &RoomName,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> Result<bool, GuestNameError> {
        let mut get = redis::cmd("GET");
        get.arg(name_key(room, name));
        let holder: Option<String> = self
            .link
            .read(|mut conn| {
                let get = &get;
                async move { get.query_async(&mut conn).await }
            })
            .await?;
        Ok(match (holder, token) {
            (None, _) => false,
            (Some(holder), Some(token)) => holder != token_holder(token),
            (Some(_), None) => true,
        })
    }

    fn release(&self, room: &RoomName, name: &Username, token: &ClientToken) {
        let release = (name_key(room, name), token_holder(token));
        if self.releases.try_send(release).is_err() {
            tracing::debug!(%room, "guest name release queue full; the lease lapses instead");
        }
    }
}

/// Runs the claim script for `holder` on `key`: whether the holder has the name now.
async fn claim(link: &Link, key: &str, holder: &str) -> Result<bool, RedisError> {
    let mut invocation = CLAIM.prepare_invoke();
    invocation.key(key).arg(holder).arg(lease_ms());
    let claimed: i64 = link
        .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
        .await?;
    Ok(claimed == 1)
}

/// Makes the releases as they come, and every [`RENEW_EVERY`] claims again each name this
/// node's guests hold ([`RENEWALS_AT_ONCE`] at a time), until `stop`.
async fn keep(
    link: Link,
    rooms: Arc<Rooms>,
    mut releases: mpsc::Receiver<(String, String)>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            release = releases.recv() => match release {
                Some((key, holder)) => {
                    let mut invocation = RELEASE.prepare_invoke();
                    invocation.key(&key).arg(&holder);
                    let released = link
                        .call(|mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await })
                        .await;
                    if let Err(err) = released {
                        tracing::debug!(error = %err, "guest name not released; its lease lapses");
                    }
                }
                None => return,
            },
            _ = tick.tick() => renew(&link, &rooms).await,
        }
    }
}

/// Claims again every name this node's guests hold; one another holder has meanwhile (a
/// lease that lapsed while Redis was away) is logged: two clients then share it until one
/// leaves.
async fn renew(link: &Link, rooms: &Rooms) {
    let held = rooms.guest_names_held();
    for chunk in held.chunks(RENEWALS_AT_ONCE) {
        let claims = chunk.iter().map(|(room, name, token)| async move {
            let claimed = claim(link, &name_key(room, name), &token_holder(token)).await;
            (room, claimed)
        });
        for (room, claimed) in futures_util::future::join_all(claims).await {
            match claimed {
                Ok(true) => {}
                Ok(false) => tracing::warn!(%room, "a guest name here is held by another client"),
                Err(err) => tracing::debug!(%room, error = %err, "guest name not renewed"),
            }
        }
    }
}
