//! [`Store::restore`](crate::store::Store::restore) and the name-ordered room walk on Redis:
//! what `chinwag import` writes and `chinwag export` reads rooms by.
//!
//! A restore writes each record where the append and change scripts would have left it: a
//! record in its first state as a stream entry; a record changed since (an edited or deleted
//! message, an edit record of a deleted message, which has no text) in the revised set, with
//! no stream entry; and each edit record of a message still standing in the edits set, so a
//! deletion after the import finds the edits to strip. The JSON is [`wire::stored_json`], the
//! form every script stores. One script per call checks `seq` is below the first id, writes
//! the batch, sets `seq` to the last id, and lists the room (by name; by size unless it is
//! private), so a message appended meanwhile comes wholly before (the restore is refused as
//! [`Occupied`]) or after. Nothing is published: no node's members see an import.

use super::{
    ENSURE_EPOCH, Keys, PRUNE, RedisStore, list_room, room_key, rooms_by_name_key, rooms_key,
};
use crate::{
    cluster::{Link, accounts::keys::private_room, keyspace::Keyspace, wire},
    store::{Corrupt, Occupied, StoreError},
};
use chinwag_shared::{Change, ChatRecord, RoomName};
use redis::Script;
use std::sync::LazyLock;

/// Checks before the epoch is minted, so a refused restore writes nothing at all. KEYS: room
/// hash, log stream, revised set, edits set, the room's private-room hash, and on one Redis
/// the rooms by size and by name (on a cluster the node lists the room afterwards:
/// [`super::list_room`]). ARGV: 1 stream max length, 2 room, 3 first id, 4 last id, then per
/// record its id, `s` (stream) or `r` (revised), its JSON, and the message it edits ('' if it
/// is no edit to keep in the edits set). Returns the room's `seq` if it refused, else -1 for a
/// public room and -2 for a private one.
const RESTORE_CHECK: &str = r"
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[3]) <= seq then
  return seq
end
";

const RESTORE_TAIL: &str = r"
for i = 5, #ARGV - 3, 4 do
  if ARGV[i + 1] == 's' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], ARGV[i] .. '-0', 'r', ARGV[i + 2])
  else
    redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 2])
  end
  if ARGV[i + 3] ~= '' then
    redis.call('ZADD', KEYS[4], ARGV[i + 3], ARGV[i])
  end
end
redis.call('HSET', KEYS[1], 'seq', ARGV[4])
local private = redis.call('EXISTS', KEYS[5])
if KEYS[6] then
  if private == 0 then
    redis.call('ZADD', KEYS[6], ARGV[4], ARGV[2])
  end
  redis.call('ZADD', KEYS[7], 0, ARGV[2])
end
prune(KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[4]), ARGV[1])
return -1 - private
";

static RESTORE_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRUNE}{RESTORE_CHECK}{ENSURE_EPOCH}{RESTORE_TAIL}"
    ))
});

/// Where a record lives once its room's log has been through every change it records.
fn place(record: &ChatRecord) -> (&'static str, Option<u64>) {
    let revised = record.edited.is_some() || record.deleted.is_some();
    match record.change {
        // An edit record of a deleted message lost its text to the deletion, which also
        // dropped the message's edits entry.
        Some(Change::Edit { .. }) if record.message.is_empty() => ("r", None),
        Some(Change::Edit { target }) => ("s", Some(target)),
        Some(Change::Delete { .. }) => ("s", None),
        None if revised => ("r", None),
        None => ("s", None),
    }
}

/// Writes `records` into `room` (see the module docs).
pub(super) async fn restore(
    store: &RedisStore,
    room: &RoomName,
    records: &[ChatRecord],
) -> Result<Result<(), Occupied>, StoreError> {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(Ok(()));
    };
    let keys = Keys::of(room);
    let mut invocation = RESTORE_SCRIPT.prepare_invoke();
    invocation
        .key(&keys.room)
        .key(&keys.log)
        .key(&keys.revised)
        .key(&keys.edits)
        .key(private_room(room));
    let lists_kept_by_script = store.link.keyspace() == Keyspace::Single;
    if lists_kept_by_script {
        invocation.key(rooms_key()).key(rooms_by_name_key());
    }
    invocation
        .arg(store.max_len)
        .arg(room.as_str())
        .arg(first.id)
        .arg(last.id);
    for record in records {
        let (kept, edits) = place(record);
        invocation
            .arg(record.id)
            .arg(kept)
            .arg(wire::stored_json(record))
            .arg(edits.map_or_else(String::new, |target| target.to_string()));
    }
    let seq: i64 = store
        .link
        .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
        .await?;
    if let Ok(last_id) = u64::try_from(seq) {
        return Ok(Err(Occupied { last_id }));
    }
    if !lists_kept_by_script {
        list_room(&store.link, room, last.id, seq == -2).await;
    }
    Ok(Ok(()))
}

/// Up to `limit` rooms by name after `after`.
pub(super) async fn room_names(
    link: &Link,
    after: Option<&RoomName>,
    limit: usize,
) -> Result<Vec<RoomName>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new()); // LIMIT 0 0 would not mean "none" to every Redis
    }
    let mut range = redis::cmd("ZRANGEBYLEX");
    range
        .arg(rooms_by_name_key())
        .arg(after.map_or_else(|| "-".to_owned(), |room| format!("({room}")))
        .arg("+")
        .arg("LIMIT")
        .arg(0)
        .arg(limit);
    let names: Vec<String> = link
        .read(|mut conn| {
            let range = &range;
            async move { range.query_async(&mut conn).await }
        })
        .await?;
    names
        .into_iter()
        .map(|name| {
            RoomName::parse(&name).map_err(|reason| {
                Corrupt::Value {
                    raw: name.clone(),
                    reason,
                }
                .into()
            })
        })
        .collect()
}

/// Keys [`name_every_room`] asks `SCAN` for per step.
const SCAN_COUNT: usize = 500;

/// Adds to [`rooms_by_name_key`] every room that exists (its hash has `seq`), for stores
/// written before the set existed: one `SCAN` of the keyspace, a step at a time. `ZADD` of a
/// room already there changes nothing, so `SCAN` returning a key twice, or two processes
/// doing this at once, is harmless.
pub(super) async fn name_every_room(link: &Link) -> Result<(), StoreError> {
    if link.keyspace() == Keyspace::Cluster {
        // Every room on a cluster was made by a version that lists it; and `SCAN` would walk
        // one node's keys only.
        return Ok(());
    }
    let pattern = format!("{}*", room_key_prefix());
    let mut cursor = 0_u64;
    // SCAN ends when the cursor comes back to 0; the bound only guards against a server
    // that never says so.
    for _ in 0..100_000_000_u64 {
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let (next, found): (u64, Vec<String>) = link
            .read(|mut conn| {
                let scan = &scan;
                async move { scan.query_async(&mut conn).await }
            })
            .await?;
        let rooms: Vec<RoomName> = found
            .iter()
            .filter_map(|key| key.strip_prefix(&room_key_prefix()))
            .filter_map(|name| RoomName::parse(name).ok())
            .collect();
        if !rooms.is_empty() {
            let mut exists = redis::pipe();
            for room in &rooms {
                exists.cmd("HEXISTS").arg(room_key(room)).arg("seq");
            }
            let exists: Vec<bool> = link
                .read(|mut conn| {
                    let exists = &exists;
                    async move { exists.query_async(&mut conn).await }
                })
                .await?;
            let mut add = redis::cmd("ZADD");
            add.arg(rooms_by_name_key());
            let mut any = false;
            for (room, exists) in rooms.iter().zip(exists) {
                if exists {
                    add.arg(0).arg(room.as_str());
                    any = true;
                }
            }
            if any {
                link.read(|mut conn| {
                    let add = &add;
                    async move { add.query_async::<()>(&mut conn).await }
                })
                .await?;
            }
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    Ok(())
}

/// What [`room_key`] puts before the room's name.
fn room_key_prefix() -> String {
    let probe = RoomName::default_room();
    let key = room_key(&probe);
    key.strip_suffix(probe.as_str()).unwrap_or(&key).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{Deletion, Username};

    fn record(id: u64, message: &str) -> ChatRecord {
        ChatRecord {
            id,
            room: RoomName::parse("r").unwrap(),
            username: Username::parse("ada").unwrap(),
            message: message.to_owned(),
            ts: 1,
            guest: false,
            bot: false,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn each_record_goes_where_the_scripts_would_have_left_it() {
        assert_eq!(place(&record(1, "hi")), ("s", None));
        let edited = ChatRecord {
            edited: Some(3),
            ..record(1, "hi again")
        };
        assert_eq!(place(&edited), ("r", None));
        let tombstone = ChatRecord {
            deleted: Some(Deletion { id: 4, by: None }),
            ..record(1, "")
        };
        assert_eq!(place(&tombstone), ("r", None));
        let edit = ChatRecord {
            change: Some(Change::Edit { target: 1 }),
            ..record(3, "hi again")
        };
        assert_eq!(place(&edit), ("s", Some(1)));
        let stripped = ChatRecord {
            change: Some(Change::Edit { target: 1 }),
            ..record(3, "")
        };
        assert_eq!(place(&stripped), ("r", None));
        let deletion = ChatRecord {
            change: Some(Change::Delete {
                target: 1,
                moderator: false,
            }),
            ..record(4, "")
        };
        assert_eq!(place(&deletion), ("s", None));
    }

    #[test]
    fn the_room_key_prefix_is_what_room_keys_start_with() {
        assert_eq!(room_key_prefix(), "chinwag:room:");
    }
}
