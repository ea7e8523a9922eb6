//! [`RedisGuestNames`]: a guest's name in a room, held for every node under a lease.
//!
//! - `chinwag:guest-name:{room}:{name key}`: a string naming the holder, `t:` and the digest of
//!   its client token (never the token itself), or `c:`, the node and the connection for a
//!   connection without one; it expires [`LEASE`] after it was last renewed. The name key is the
//!   look-alike key the local rule compares by, so "ada" held on one node also refuses "Ada" on
//!   another. The key carries the room's tag, so on a cluster it lives with the room.
//!
//! A claim is one script: free, or already this holder's, and it is (re)taken; another
//! holder's, and it is refused. Every [`RENEW_EVERY`] each node extends the leases of the
//! names its own connections hold, so a name stays held while anyone holds it here, a node
//! that dies lets its guests' names go within [`LEASE`], and a guest whose last connection
//! leaves keeps its name that long, which lets a dropped connection come back to it.

use super::{
    keyspace,
    link::Link,
    presence::{LEASE, RENEW_EVERY},
};
use crate::{
    auth::secret,
    delivery::rooms::Rooms,
    hub::guest_names::{GuestNameError, GuestNames, Holder},
};
use async_trait::async_trait;
use chinwag_shared::{ClientToken, RoomName, Username};
use redis::Script;
use std::sync::{Arc, LazyLock};
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
    node: Arc<str>,
}

impl RedisGuestNames {
    /// Guest names on `link`, whose leases for `rooms`' names a task renews until `stop`.
    pub fn start(link: Link, rooms: Arc<Rooms>, node: Arc<str>, stop: CancellationToken) -> Self {
        tokio::spawn(renew(link.clone(), rooms, stop));
        Self { link, node }
    }

    /// How `holder` is written in the name's key.
    fn holder(&self, holder: Holder<'_>) -> String {
        match holder {
            Holder::Token(token) => token_holder(token),
            Holder::Connection(session) => format!("c:{}:{session}", self.node),
        }
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
        holder: Holder<'_>,
    ) -> Result<bool, GuestNameError> {
        let mut invocation = CLAIM.prepare_invoke();
        invocation
            .key(name_key(room, name))
            .arg(self.holder(holder))
            .arg(lease_ms());
        let claimed: i64 = self
            .link
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await?;
        Ok(claimed == 1)
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
}

/// Every [`RENEW_EVERY`], extends the lease of each name this node's connections hold (an
/// account's name has no key, and extending a missing key does nothing). One pipeline per
/// room, which a cluster needs (each room has its slot) and one Redis does not mind.
async fn renew(link: Link, rooms: Arc<Rooms>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        for (room, names) in rooms.presence_snapshot() {
            let mut pipe = redis::pipe();
            for name in &names {
                pipe.cmd("PEXPIRE")
                    .arg(name_key(&room, name))
                    .arg(lease_ms())
                    .ignore();
            }
            let renewed = link
                .call(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
                .await;
            if let Err(err) = renewed {
                tracing::debug!(%room, error = %err, "guest name leases not renewed");
            }
        }
    }
}
