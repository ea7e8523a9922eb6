//! Roles and settings in Redis, and the reads that hand the hub a room's or the site's rules
//! in one round trip.
//!
//! [`super::RedisModeration`] calls these for `hub::rules` (which caches what [`room`] and
//! [`site`] read) and for the acts that appoint owners, moderators and admins or set slow
//! mode. Each read is one script, so what it returns is one moment's state: the roles,
//! settings and sanctions together, the expired sanctions forgotten first
//! ([`sanctions::FORGET_EXPIRED`]). Forgetting is the only thing those scripts write, and
//! doing it twice is doing it once, so they are retried like reads after a lost connection.

use super::{keys, malformed, read_script, sanctions, write_command};
use crate::{
    cluster::Link,
    store::{
        StoreError,
        accounts::AccountId,
        moderation::{RoomRules, Scope, SiteRules},
    },
};
use chinwag_shared::RoomName;
use redis::Script;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

/// The room hash's field naming its owner.
const OWNER: &str = "owner";

/// The room hash's field holding slow mode's interval (absent when off).
const SLOW_MODE_SECS: &str = "slow_mode_secs";

/// KEYS: the room's rules hash, its moderators, its sanctions, their ends. ARGV: the hash's
/// owner and slow mode fields. Returns `{{owner, slow mode}, moderators, sanctions as field,
/// JSON, …}`.
static ROOM_RULES: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        &[
            sanctions::FORGET_EXPIRED,
            r"
forget_expired(KEYS[3], KEYS[4])
return {
  redis.call('HMGET', KEYS[1], ARGV[1], ARGV[2]),
  redis.call('SMEMBERS', KEYS[2]),
  redis.call('HGETALL', KEYS[3])
}
",
        ]
        .concat(),
    )
});

/// KEYS: the admins, the site's sanctions, their ends. Returns `{admins, sanctions as field,
/// JSON, …}`.
static SITE_RULES: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        &[
            sanctions::FORGET_EXPIRED,
            r"
forget_expired(KEYS[2], KEYS[3])
return {redis.call('SMEMBERS', KEYS[1]), redis.call('HGETALL', KEYS[2])}
",
        ]
        .concat(),
    )
});

/// What [`ROOM_RULES`] answers, before validation.
type RoomReply = (
    (Option<String>, Option<String>),
    BTreeSet<String>,
    BTreeMap<String, String>,
);

/// `room`'s owner, moderators, slow mode and sanctions in force.
pub(super) async fn room(link: &Link, room: &RoomName) -> Result<RoomRules, StoreError> {
    let scope = Scope::Room(room.clone());
    let mut invocation = ROOM_RULES.prepare_invoke();
    invocation
        .key(keys::room_rules(room))
        .key(keys::moderators(room))
        .key(keys::sanctions(&scope))
        .key(keys::sanction_ends(&scope))
        .arg(OWNER)
        .arg(SLOW_MODE_SECS);
    let ((owner, slow_mode), moderators, fields): RoomReply =
        read_script(link, &invocation).await?;
    let slow_mode_secs = match slow_mode {
        None => 0,
        Some(raw) => raw.parse().map_err(|_| {
            malformed(
                &keys::room_rules(room),
                format!("{SLOW_MODE_SECS} {raw:?} is no number of seconds"),
            )
        })?,
    };
    Ok(RoomRules {
        owner: owner.map(AccountId::new),
        moderators: moderators.into_iter().map(AccountId::new).collect(),
        slow_mode_secs,
        sanctions: sanctions::parse(&scope, fields)?,
    })
}

/// The site's admins and its sanctions in force.
pub(super) async fn site(link: &Link) -> Result<SiteRules, StoreError> {
    let mut invocation = SITE_RULES.prepare_invoke();
    invocation
        .key(keys::admins())
        .key(keys::sanctions(&Scope::Site))
        .key(keys::sanction_ends(&Scope::Site));
    let (admins, fields): (BTreeSet<String>, BTreeMap<String, String>) =
        read_script(link, &invocation).await?;
    Ok(SiteRules {
        admins: admins.into_iter().map(AccountId::new).collect(),
        sanctions: sanctions::parse(&Scope::Site, fields)?,
    })
}

/// Makes `owner` the owner of `room`.
pub(super) async fn set_owner(
    link: &Link,
    room: &RoomName,
    owner: &AccountId,
) -> Result<(), StoreError> {
    let mut command = redis::cmd("HSET");
    command
        .arg(keys::room_rules(room))
        .arg(OWNER)
        .arg(owner.as_str());
    write_command::<i64>(link, command).await?;
    Ok(())
}

/// Sets `room`'s slow mode; 0 deletes the field, so a room without it reads as off.
pub(super) async fn set_slow_mode(
    link: &Link,
    room: &RoomName,
    secs: u32,
) -> Result<(), StoreError> {
    let mut command = if secs == 0 {
        redis::cmd("HDEL")
    } else {
        redis::cmd("HSET")
    };
    command.arg(keys::room_rules(room)).arg(SLOW_MODE_SECS);
    if secs != 0 {
        command.arg(secs);
    }
    write_command::<i64>(link, command).await?;
    Ok(())
}

/// Adds `account` to the set at `key`, or removes it; whether that changed the set.
pub(super) async fn set_in(
    link: &Link,
    key: String,
    account: &AccountId,
    member: bool,
) -> Result<bool, StoreError> {
    let mut command = redis::cmd(if member { "SADD" } else { "SREM" });
    command.arg(key).arg(account.as_str());
    let changed: i64 = write_command(link, command).await?;
    Ok(changed == 1)
}
