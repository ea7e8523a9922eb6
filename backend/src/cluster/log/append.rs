//! [`Store::append`](crate::store::Store::append) on Redis: one Lua script call stores a
//! room's share of a batch ([`super::batch`] gathers the batches).
//!
//! For each message in turn, the script numbers it (the room's `seq` plus one), then keeps its
//! `client_id` copy unless one is there already (`SET … NX GET`: one command for the check
//! and the write; an earlier copy, kept in its record's current state, answers the retry, and
//! a copy stored earlier in the same call counts too, so a retry that came in the same batch
//! as its original is not stored twice). A new record then gets its stream entry. Once per
//! call it mints the room's epoch if it has none, reads Redis's clock (the batch shares one
//! timestamp, as SQLite's does), names the new copies in the hour's bucket (so a later change
//! can rewrite a copy), writes the new `seq`, publishes what it stored (as one payload once
//! every node reads those, [`wire::BatchReaders`]), adds the room to the room list unless it
//! is private, and drops what the trimmed history no longer needs. After it, the node decides
//! for each hit whether it is a retry or a reuse for other text ([`Appended::retry_of`]).
//!
//! Why one call per room rather than one per message: most of an append's cost inside Redis
//! was running a script at all (about 8 of its 13 µs, `docs/benchmarks.md`), not the commands
//! the script runs. A call may only touch one room anyway: on a cluster, all of a script's
//! keys must share a slot. Within a call, what costs is the number of commands per record
//! (each `redis.call` costs about as much again as the command itself), hence `SET … NX GET`
//! (Redis 7.0 or later), one `seq` write, one `HSET` of the copies' names and one publish per
//! call. The copies' names are a hash per hour rather than the sorted set by timestamp of
//! earlier releases: a sorted set of an hour of records cost about 2 µs per insert.

use super::{DEDUPE_FOR, ENSURE_EPOCH, Keys, PRUNE, parse_record, rooms_by_name_key, rooms_key};
use crate::{
    cluster::{
        accounts::keys::private_room,
        keyspace::{self, Keyspace},
        wire::{self, ChatTemplate},
    },
    store::{Appended, Author, NewMessage, StoreError},
};
use chinwag_shared::{ChatRecord, ClientId, RoomName};
use redis::{FromRedisValue, Script, ScriptInvocation, Value};
use std::sync::LazyLock;

/// KEYS: 1 room hash, 2 log stream, 3 the room's private-room hash, 4 revised set, 5 edits
/// set, 6 the copies' bucket for now ([`Keys::copies_bucket`]), then one client-id key per
/// message (7 .. 6+n), then on one Redis the room lists (by size, by name), which on a
/// cluster live in another slot and are kept by the node ([`super::list_room`]). ARGV: the payload's [`wire::chat_payload_pieces`] (1 before the
/// id, 2 before the epoch, 3 before the record); 4 stream max length, 5 dedupe seconds, 6
/// channel, 7 room, 8 the publish command ([`wire::Channels`]), 9 the number of messages n,
/// 10 the `B` payload's [`wire::batch_payload_prefix`] to publish the records stored as one
/// payload, or empty to publish one `C` payload each ([`wire::BatchReaders`]); then four per
/// message: its [`ChatTemplate`] (before the id, before the timestamp, after
/// it) and whether it has a client id ("1"/"0"). Returns the epoch, whether the room is
/// private, per message whether it stored (1) or found an earlier copy (0), per message the
/// earlier copy's JSON (empty for one stored), the first id stored (0 if none; the others
/// follow it one by one) and the call's timestamp. The script only puts numbers and the epoch
/// into the holes: every byte of JSON and header around them comes from [`wire`].
const APPEND_BATCH: &str = r#"
local n = tonumber(ARGV[9])
local now = redis.call('TIME')
local ts = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
local private = redis.call('EXISTS', KEYS[3])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or 0)
local stored, records, copies, batch = {}, {}, {}, {}
local first, newest = nil, nil
for i = 1, n do
  local at = 10 + (i - 1) * 4
  local has_cid = ARGV[at + 4] == '1'
  -- Lua numbers are doubles: turned into text once here rather than at each use below.
  local id = tostring(seq + 1)
  local json = ARGV[at + 1] .. id .. ARGV[at + 2] .. ts .. ARGV[at + 3]
  -- One command both looks for an earlier copy and, finding none, keeps this one.
  local earlier = has_cid and redis.call('SET', KEYS[6 + i], json, 'NX', 'GET', 'EX', ARGV[5])
  if earlier then
    stored[i], records[i] = 0, earlier
  else
    seq = seq + 1
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], id .. '-0', 'r', json)
    if has_cid then
      -- A change finds the copy by the record's id; one HSET for the call, below.
      copies[#copies + 1] = id
      copies[#copies + 1] = KEYS[6 + i]
    end
    if ARGV[10] == '' then
      redis.call(ARGV[8], ARGV[6], ARGV[1] .. id .. ARGV[2] .. epoch .. ARGV[3] .. json)
    else
      batch[#batch + 1] = json
    end
    first, newest = first or seq, seq
    -- The node knows the record it sent: only its id and timestamp come back.
    stored[i], records[i] = 1, ''
  end
end
if newest then
  -- Once per call rather than once per record: nothing in between can fail, and nothing
  -- else runs while a script does.
  redis.call('HSET', KEYS[1], 'seq', newest)
  if #batch > 0 then
    redis.call(ARGV[8], ARGV[6], ARGV[10] .. first .. ARGV[2] .. epoch .. ARGV[3]
      .. table.concat(batch, '\n'))
  end
end
if #copies > 0 then
  redis.call('HSET', KEYS[6], unpack(copies))
  -- Kept until every copy named in it has expired, whatever the clocks say.
  redis.call('EXPIRE', KEYS[6], 3 * ARGV[5])
end
if newest then
  if KEYS[7 + n] then
    if private == 0 then
      redis.call('ZADD', KEYS[7 + n], newest, ARGV[7])
    end
    if first == 1 then
      redis.call('ZADD', KEYS[8 + n], 0, ARGV[7])
    end
  end
  prune(KEYS[2], KEYS[4], KEYS[5], newest, ARGV[4])
end
return {epoch, private, stored, records, first or 0, ts}
"#;

static APPEND_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{PRUNE}{ENSURE_EPOCH}{APPEND_BATCH}")));

/// The key of `author`'s copy of the record it stored in `room` under `client_id`.
fn client_id_key(room: &RoomName, author: &Author, client_id: Option<&ClientId>) -> String {
    format!(
        "chinwag:cid:{}:{author}:{}",
        keyspace::room(room),
        client_id.map_or("", ClientId::as_str)
    )
}

/// `message` as a record before the append script numbers and stamps it, without its
/// `client_id`: what every node's members and the history see.
fn unnumbered(message: &NewMessage) -> ChatRecord {
    ChatRecord {
        id: 0,
        room: message.room.clone(),
        username: message.username.clone(),
        message: message.text.as_str().to_owned(),
        ts: 0,
        guest: message.guest,
        bot: message.bot,
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
    }
}

/// The script call that stores `messages`, in order, all in `room`, on a log keeping about
/// `max_len` records, in the `keyspace` given, publishing what it stores as one `B` payload
/// if `batched`, else one `C` payload per record.
pub(super) fn invocation(
    room: &RoomName,
    messages: &[&NewMessage],
    max_len: u64,
    keyspace: Keyspace,
    batched: bool,
) -> ScriptInvocation<'static> {
    let keys = Keys::of(room);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let [payload_before_id, payload_before_epoch, payload_before_json] =
        wire::chat_payload_pieces(room);
    let fanout = wire::Channels::of(keyspace);
    let mut invocation = APPEND_SCRIPT.prepare_invoke();
    invocation
        .key(&keys.room)
        .key(&keys.log)
        .key(private_room(room))
        .key(&keys.revised)
        .key(&keys.edits)
        .key(Keys::copies_bucket(room, now));
    for message in messages {
        invocation.key(client_id_key(
            room,
            &message.author,
            message.client_id.as_ref(),
        ));
    }
    if keyspace == Keyspace::Single {
        invocation.key(rooms_key()).key(rooms_by_name_key());
    }
    invocation
        .arg(payload_before_id)
        .arg(payload_before_epoch)
        .arg(payload_before_json)
        .arg(max_len)
        .arg(DEDUPE_FOR.as_secs())
        .arg(fanout.channel(room).as_ref())
        .arg(room.as_str())
        .arg(fanout.publish_command())
        .arg(messages.len())
        .arg(if batched {
            wire::batch_payload_prefix(room)
        } else {
            String::new()
        });
    for message in messages {
        let template = ChatTemplate::new(&unnumbered(message));
        invocation
            .arg(template.before_id)
            .arg(template.before_ts)
            .arg(template.after_ts)
            .arg(if message.client_id.is_some() {
                "1"
            } else {
                "0"
            });
    }
    invocation
}

/// What one script call did for its room.
pub(super) struct RoomAnswer {
    /// Per message, in the order given: what its append did.
    pub appended: Vec<Result<Appended, StoreError>>,
    /// The newest id stored, if any was.
    pub newest: Option<u64>,
    /// Whether the room is private (it then stays off the busiest list).
    pub private: bool,
}

/// Reads the script's `reply` to the call that stored `messages`. A reply of the wrong shape
/// is an error for them all; an earlier copy that does not parse, for its message alone.
///
/// A record stored is built here from its message, the id and the timestamp the script gave
/// it, without reading back the JSON the script made of the same three
/// ([`ChatTemplate::fill`]; the tests check the two agree).
pub(super) fn answer(
    messages: &[&NewMessage],
    reply: Value,
) -> Result<RoomAnswer, redis::RedisError> {
    let (_epoch, private, stored, records, first, ts): (
        String,
        i64,
        Vec<i64>,
        Vec<String>,
        u64,
        u64,
    ) = FromRedisValue::from_redis_value(reply)?;
    if stored.len() != messages.len() || records.len() != messages.len() {
        return Err(redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "append script answered for another number of messages",
        )));
    }
    let mut next_id = first;
    let mut newest = None;
    let appended = messages
        .iter()
        .zip(stored.into_iter().zip(records))
        .map(|(message, (stored, json))| {
            if stored == 1 {
                let id = next_id;
                next_id += 1;
                newest = Some(id);
                Ok(Appended::Stored(numbered(message, id, ts)))
            } else {
                Ok(Appended::retry_of(message, parse_record(&json)?))
            }
        })
        .collect();
    Ok(RoomAnswer {
        appended,
        newest,
        private: private == 1,
    })
}

/// `message` as stored with `id` at `ts`, as its author is answered: with its `client_id`.
fn numbered(message: &NewMessage, id: u64, ts: u64) -> ChatRecord {
    ChatRecord {
        id,
        ts,
        client_id: message.client_id.clone(),
        ..unnumbered(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{MessageText, Username};

    fn message() -> NewMessage {
        let username = Username::parse("ada").unwrap();
        NewMessage {
            guest: true,
            bot: false,
            room: RoomName::parse("general").unwrap(),
            author: Author::name(&username),
            username,
            text: MessageText::parse("hi \"there\"\n").unwrap(),
            client_id: Some(ClientId::parse("c-1").unwrap()),
        }
    }

    #[test]
    fn the_script_completes_the_template_into_a_chat_frame_without_the_client_id() {
        let message = message();
        let template = ChatTemplate::new(&unnumbered(&message));
        // What the append script does with the template.
        let json = template.fill(42, 1_700_000_000_123);
        let record = parse_record(&json).unwrap();
        assert_eq!(record.id, 42);
        assert_eq!(record.ts, 1_700_000_000_123);
        assert_eq!(record.message, "hi \"there\"\n");
        assert_eq!(record.client_id, None);
        assert!(!json.contains("c-1"), "{json}");
    }

    #[test]
    fn a_stored_record_built_by_the_node_is_the_one_the_script_stored() {
        let mut message = message();
        for text in [
            "hi \"there\"\n",
            "emoji 🦀 and \\ backslash",
            "<b>&amp;</b>",
        ] {
            message.text = MessageText::parse(text).unwrap();
            let stored =
                parse_record(&ChatTemplate::new(&unnumbered(&message)).fill(7, 123)).unwrap();
            let built = numbered(&message, 7, 123);
            assert_eq!(built.client_id, message.client_id);
            assert_eq!(
                ChatRecord {
                    client_id: None,
                    ..built
                },
                stored
            );
        }
    }

    #[test]
    fn client_id_keys_are_per_author() {
        let message = message();
        let room = &message.room;
        let client_id = message.client_id.as_ref();
        let bob = Author::name(&Username::parse("bob").unwrap());
        assert_eq!(
            client_id_key(room, &message.author, client_id),
            "chinwag:cid:general:name:ada:c-1"
        );
        assert_ne!(
            client_id_key(room, &message.author, client_id),
            client_id_key(room, &bob, client_id)
        );
    }
}
