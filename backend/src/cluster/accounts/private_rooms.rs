//! Private rooms in Redis: who owns one, who may enter, and which ones an account is in.
//!
//! [`super::RedisAccounts`] calls these for the hub's access rule (`hub::access`, at every
//! join, read and post) and the private-room routes. A room is made private by the script that
//! also gives it `seq` 0 in the log's room hash ([`super::super::log`]), so "private" and
//! "exists" begin together: a room with a message is never made private, a private room is
//! never made again, and the hub never takes it for a new room. Membership is kept both ways
//! (`members:{room}` and `member-of:{account}`), always by one script, so the two sets agree.

use super::{keys, missing, read, read_all, stored, write};
use crate::{
    cluster::{
        Link,
        log::{ROOMS_BY_NAME_KEY, room_key},
    },
    store::{
        RedisError, StoreError,
        accounts::{AccountId, MemberRoom, PrivateRoom, RoomAccess, RoomExists},
    },
};
use chinwag_shared::{RoomName, Username};
use redis::{FromRedisValue, Script, Value};
use std::{collections::BTreeSet, sync::LazyLock};

/// KEYS: 1 the room's hash in the log, 2 its private hash, 3 its members, then each member's
/// `member-of` set in the order of ARGV from 4, and last the log's rooms by name. ARGV: 1 the room, 2 the owner ('' for none),
/// 3 whether a DM ('1'/'0'), then the members. Returns 1 if made, 0 if the room exists.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'seq') == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'seq', 0)
redis.call('ZADD', KEYS[#KEYS], 0, ARGV[1])
redis.call('HSET', KEYS[2], 'dm', ARGV[3])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'owner', ARGV[2])
end
for i = 4, #ARGV do
  redis.call('SADD', KEYS[3], ARGV[i])
  redis.call('SADD', KEYS[i], ARGV[1])
end
return 1
",
    )
});

/// KEYS: the room's private hash, its members, the account's `member-of`. ARGV: the room, the
/// account, '1' to add or '0' to remove. A room that is not private has no members to change.
static SET_MEMBER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('SREM', KEYS[3], ARGV[1])
end
return 1
",
    )
});

/// Makes `room` private with `private`'s owner and members, unless a room of that name exists.
pub(super) async fn create(
    link: &Link,
    room: &RoomName,
    private: &PrivateRoom,
) -> Result<Result<(), RoomExists>, StoreError> {
    let mut invocation = CREATE.prepare_invoke();
    invocation
        .key(room_key(room))
        .key(keys::private_room(room))
        .key(keys::members(room))
        .arg(room.as_str())
        .arg(private.owner.as_ref().map_or("", AccountId::as_str))
        .arg(if private.dm { "1" } else { "0" });
    for member in &private.members {
        invocation
            .key(keys::rooms_of(member.as_str()))
            .arg(member.as_str());
    }
    invocation.key(ROOMS_BY_NAME_KEY);
    let created: i64 = write(link, invocation).await?;
    Ok(if created == 1 {
        Ok(())
    } else {
        Err(RoomExists)
    })
}

/// Who may enter `room`: its owner, kind and members, read in one transaction.
pub(super) async fn access(link: &Link, room: &RoomName) -> Result<RoomAccess, StoreError> {
    let private_key = keys::private_room(room);
    let mut query = redis::pipe();
    query
        .atomic()
        .cmd("HMGET")
        .arg(&private_key)
        .arg("owner")
        .arg("dm")
        .smembers(keys::members(room));
    let ((owner, dm), members): ((Option<String>, Option<String>), BTreeSet<String>) =
        read_all(link, &query).await?;
    let Some(dm) = dm else {
        return Ok(RoomAccess::Public);
    };
    Ok(RoomAccess::Private(PrivateRoom {
        owner: owner.map(AccountId::new),
        members: members.into_iter().map(AccountId::new).collect(),
        dm: is_dm(&private_key, &dm)?,
    }))
}

/// Reads a private hash's `dm` field.
fn is_dm(key: &str, raw: &str) -> Result<bool, StoreError> {
    match raw {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(missing(key, "dm of 1 or 0")),
    }
}

/// Adds `account` to private `room`'s members, or removes it.
pub(super) async fn set_member(
    link: &Link,
    room: &RoomName,
    account: &AccountId,
    member: bool,
) -> Result<(), StoreError> {
    let mut invocation = SET_MEMBER.prepare_invoke();
    invocation
        .key(keys::private_room(room))
        .key(keys::members(room))
        .key(keys::rooms_of(account.as_str()))
        .arg(room.as_str())
        .arg(account.as_str())
        .arg(if member { "1" } else { "0" });
    write::<i64>(link, invocation).await?;
    Ok(())
}

/// One private room as read for [`rooms_of`], before names are looked up.
struct Listed {
    room: RoomName,
    dm: bool,
    /// The owner (not a DM) or the other member (a DM) whose name is shown.
    shown: Option<String>,
    last_id: u64,
}

/// The private rooms and DMs `account` is a member of, by room name.
pub(super) async fn rooms_of(
    link: &Link,
    account: &AccountId,
) -> Result<Vec<MemberRoom>, StoreError> {
    let mut index = redis::cmd("SMEMBERS");
    index.arg(keys::rooms_of(account.as_str()));
    let names: BTreeSet<String> = read(link, &index).await?;
    let rooms = names
        .iter()
        .map(|raw| stored(raw, RoomName::parse))
        .collect::<Result<Vec<_>, _>>()?;
    let mut listed = Vec::with_capacity(rooms.len());
    for (room, fields) in rooms.iter().zip(room_fields(link, &rooms).await?) {
        if let Some(room) = listing(room, account, fields)? {
            listed.push(room);
        }
    }
    let mut shown = account_names(link, listed.iter().filter_map(|room| room.shown.as_deref()))
        .await?
        .into_iter();
    listed
        .into_iter()
        .map(|room| {
            // A JWT identity has no account hash, so its name is not shown (as in SQLite).
            let name = match room.shown {
                Some(_) => shown.next().flatten(),
                None => None,
            };
            Ok(MemberRoom {
                room: room.room,
                owner: if room.dm { None } else { name.clone() },
                dm_with: if room.dm { name } else { None },
                last_id: room.last_id,
            })
        })
        .collect()
}

/// The names of the accounts `ids`, in their order, `None` for an id with no account.
async fn account_names(
    link: &Link,
    ids: impl Iterator<Item = &str>,
) -> Result<Vec<Option<Username>>, StoreError> {
    let mut query = redis::pipe();
    let mut asked = 0;
    for id in ids {
        query.hget(keys::account(id), "name");
        asked += 1;
    }
    if asked == 0 {
        return Ok(Vec::new());
    }
    let names: Vec<Option<String>> = read_all(link, &query).await?;
    names
        .into_iter()
        .map(|name| name.map(|raw| stored(&raw, Username::parse)).transpose())
        .collect()
}

/// For each of `rooms`, in one round trip: its private hash's owner and dm, its `seq`, and
/// its members.
async fn room_fields(link: &Link, rooms: &[RoomName]) -> Result<Vec<[Value; 3]>, StoreError> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = redis::pipe();
    for room in rooms {
        query
            .cmd("HMGET")
            .arg(keys::private_room(room))
            .arg("owner")
            .arg("dm")
            .hget(room_key(room), "seq")
            .smembers(keys::members(room));
    }
    let values: Vec<Value> = read_all(link, &query).await?;
    let mut values = values.into_iter();
    let mut fields = Vec::with_capacity(rooms.len());
    while let (Some(private), Some(seq), Some(members)) =
        (values.next(), values.next(), values.next())
    {
        fields.push([private, seq, members]);
    }
    Ok(fields)
}

/// `room` as `account` lists it, from its [`room_fields`]; `None` if it is no longer private
/// (its hash gone: written by something other than Chinwag, but nothing to list).
fn listing(
    room: &RoomName,
    account: &AccountId,
    [private, seq, members]: [Value; 3],
) -> Result<Option<Listed>, StoreError> {
    let (owner, dm): (Option<String>, Option<String>) = convert(private)?;
    let last_id: Option<u64> = convert(seq)?;
    let members: BTreeSet<String> = convert(members)?;
    let Some(dm) = dm else {
        return Ok(None);
    };
    let dm = is_dm(&keys::private_room(room), &dm)?;
    let shown = if dm {
        members
            .into_iter()
            .find(|member| member != account.as_str())
    } else {
        owner
    };
    Ok(Some(Listed {
        room: room.clone(),
        dm,
        shown,
        last_id: last_id.unwrap_or(0),
    }))
}

/// One reply of a pipeline read as `T`; a reply of another shape is a Redis type error, as
/// when a typed command gets one.
fn convert<T: FromRedisValue>(value: Value) -> Result<T, StoreError> {
    redis::from_redis_value(value).map_err(|err| RedisError::Refused(err.into()).into())
}
