//! Private rooms in Redis: who owns one, who may enter, and which ones an account is in.
//!
//! [`super::RedisAccounts`] calls these for the hub's access rule (`hub::access`, at every
//! join, read and post) and the private-room routes. A room is made private by the script that
//! also gives it `seq` 0 in the log's room hash ([`super::super::log`]), so "private" and
//! "exists" begin together: a room with a message is never made private, a private room is
//! never made again, and the hub never takes it for a new room. Membership is kept both ways
//! (`members:{room}` and `member-of:{account}`). On one Redis one script changes both, so the
//! two sets agree. On a cluster they live in different slots (the room's, the directory's), so
//! no script can reach both: the room's set is the truth, and `member-of` an index written
//! around it, an addition before the room's set and a removal after, so the index may name a
//! room too many, never one too few; [`rooms_of`] keeps only the rooms whose members include
//! the account.

use super::{keys, missing, read, read_all, stored, write};
use crate::{
    cluster::{
        Link,
        keyspace::Keyspace,
        log::{room_key, rooms_by_name_key},
    },
    store::{
        RedisError, StoreError,
        accounts::{AccountId, MemberRoom, PrivateRoom, RoomAccess, RoomExists},
    },
};
use chinwag_shared::{RoomName, Username};
use redis::{FromRedisValue, Script, Value};
use std::{collections::BTreeSet, sync::LazyLock};

/// KEYS: 1 the room's hash in the log, 2 its private hash, 3 its members, then on one Redis
/// each member's `member-of` set in the order of ARGV from 4, and last the log's rooms by name
/// (on a cluster, the node writes those itself: [`create`]). ARGV: 1 the room, 2 the owner (''
/// for none), 3 whether a DM ('1'/'0'), then the members. Returns 1 if made, 0 if the room
/// exists.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'seq') == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'seq', 0)
if #KEYS > 3 then
  redis.call('ZADD', KEYS[#KEYS], 0, ARGV[1])
end
redis.call('HSET', KEYS[2], 'dm', ARGV[3])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'owner', ARGV[2])
end
for i = 4, #ARGV do
  redis.call('SADD', KEYS[3], ARGV[i])
  if #KEYS > 3 then
    redis.call('SADD', KEYS[i], ARGV[1])
  end
end
return 1
",
    )
});

/// KEYS: the room's private hash, its members, and on one Redis the account's `member-of` (on
/// a cluster, the node changes that itself: [`set_member`]). ARGV: the room, the account, '1'
/// to add or '0' to remove. A room that is not private has no members to change.
static SET_MEMBER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[2])
  if KEYS[3] then
    redis.call('SADD', KEYS[3], ARGV[1])
  end
else
  redis.call('SREM', KEYS[2], ARGV[2])
  if KEYS[3] then
    redis.call('SREM', KEYS[3], ARGV[1])
  end
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
    let one_script = link.keyspace() == Keyspace::Single;
    for member in &private.members {
        if one_script {
            invocation.key(keys::rooms_of(member.as_str()));
        }
        invocation.arg(member.as_str());
    }
    if one_script {
        invocation.key(rooms_by_name_key());
    } else {
        index(link, room, private.members.iter(), "SADD").await?;
    }
    let created: i64 = write(link, invocation).await?;
    if created != 1 {
        return Ok(Err(RoomExists));
    }
    if !one_script {
        let mut named = redis::cmd("ZADD");
        named
            .arg(rooms_by_name_key())
            .arg("NX")
            .arg(0)
            .arg(room.as_str());
        link.call(|mut conn| async move { named.query_async::<i64>(&mut conn).await })
            .await?;
    }
    Ok(Ok(()))
}

/// On a cluster, adds `room` to (`SADD`) or removes it from (`SREM`) the `member-of` index of
/// each of `accounts`: one pipeline, since the index is all in the directory's slot.
async fn index(
    link: &Link,
    room: &RoomName,
    accounts: impl Iterator<Item = &AccountId>,
    command: &str,
) -> Result<(), StoreError> {
    let mut changes = redis::pipe();
    for account in accounts {
        changes
            .cmd(command)
            .arg(keys::rooms_of(account.as_str()))
            .arg(room.as_str())
            .ignore();
    }
    Ok(link
        .call(|mut conn| async move { changes.query_async::<()>(&mut conn).await })
        .await?)
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
        .arg(room.as_str())
        .arg(account.as_str())
        .arg(if member { "1" } else { "0" });
    if link.keyspace() == Keyspace::Single {
        invocation.key(keys::rooms_of(account.as_str()));
        write::<i64>(link, invocation).await?;
        return Ok(());
    }
    // The index never names a room too few (see the module docs).
    if member {
        index(link, room, std::iter::once(account), "SADD").await?;
        write::<i64>(link, invocation).await?;
    } else {
        write::<i64>(link, invocation).await?;
        index(link, room, std::iter::once(account), "SREM").await?;
    }
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
    let query_of = |rooms: &[RoomName]| {
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
        query
    };
    let values: Vec<Value> = match link.keyspace() {
        Keyspace::Single => read_all(link, &query_of(rooms)).await?,
        // A pipeline stays in one slot, and each room has its own.
        Keyspace::Cluster => {
            let mut values = Vec::with_capacity(3 * rooms.len());
            for room in rooms.chunks(1) {
                values.extend(read_all::<Vec<Value>>(link, &query_of(room)).await?);
            }
            values
        }
    };
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
    if !members.contains(account.as_str()) {
        return Ok(None); // a room the cluster's index names too many (see the module docs)
    }
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
