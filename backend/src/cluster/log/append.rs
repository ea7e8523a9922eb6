//! [`Store::append`](crate::store::Store::append) on Redis: one Lua script per message.
//!
//! The script checks the author's `client_id` (an earlier copy, kept in its record's current
//! state, answers the retry), mints the room's epoch if it has none, increments `seq`, adds
//! the stream entry, remembers the `client_id` (its copy, and the copy's name in `copies` so a
//! later change can rewrite it), adds the room to the room list unless it is private, drops
//! what the trimmed history no longer needs, and publishes the record. After it, the node
//! decides whether a hit is a retry or a reuse for other text ([`Appended::retry_of`]).

use super::{
    DEDUPE_FOR, ENSURE_EPOCH, Keys, PRUNE, RedisStore, list_room, parse_record, rooms_by_name_key,
    rooms_key,
};
use crate::{
    cluster::{
        accounts::keys::private_room,
        keyspace::{self, Keyspace},
        wire::{self, ChatTemplate},
    },
    store::{Appended, Author, NewMessage, StoreError},
};
use chinwag_shared::{ChatRecord, ClientId, RoomName};
use redis::Script;
use std::sync::LazyLock;

/// KEYS: room hash, log stream, client-id key, the room's private-room hash, revised set,
/// edits set, copies set, and on one Redis the room lists (by size, by name), which on a
/// cluster live in another slot and are kept by the node ([`super::list_room`]). ARGV: the
/// record's [`ChatTemplate`] (1 before the id, 2 before the timestamp, 3 after it); the
/// payload's [`wire::chat_payload_pieces`] (4 before the id, 5 before the epoch, 6 before the
/// record); 7 stream max length, 8 dedupe seconds, 9 channel, 10 room, 11 whether there is a
/// client id ("1"/"0"), 12 the publish command ([`wire::Channels`]). Returns whether it stored,
/// the epoch, the record's JSON, and whether the room is private. The script only puts
/// numbers and the epoch into the holes: every byte of JSON and header around them comes from
/// [`wire`].
const APPEND: &str = r#"
if ARGV[11] == '1' then
  local earlier = redis.call('GET', KEYS[3])
  if earlier then
    return {0, redis.call('HGET', KEYS[1], 'epoch') or '', earlier, 1}
  end
end
"#;

const APPEND_TAIL: &str = r#"
local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local now = redis.call('TIME')
local ts = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
local json = ARGV[1] .. id .. ARGV[2] .. ts .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], id .. '-0', 'r', json)
if ARGV[11] == '1' then
  redis.call('SET', KEYS[3], json, 'EX', ARGV[8])
  -- A change finds the copy by the record's timestamp; names older than the copies go.
  redis.call('ZADD', KEYS[7], ts, id .. ' ' .. KEYS[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. (now[1] - ARGV[8]) .. '000')
  redis.call('EXPIRE', KEYS[7], ARGV[8])
end
local private = redis.call('EXISTS', KEYS[4])
if KEYS[8] then
  if private == 0 then
    redis.call('ZADD', KEYS[8], id, ARGV[10])
  end
  if id == 1 then
    redis.call('ZADD', KEYS[9], 0, ARGV[10])
  end
end
prune(KEYS[2], KEYS[5], KEYS[6], id, ARGV[7])
redis.call(ARGV[12], ARGV[9], ARGV[4] .. id .. ARGV[5] .. epoch .. ARGV[6] .. json)
return {1, epoch, json, private}
"#;

static APPEND_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{PRUNE}{APPEND}{ENSURE_EPOCH}{APPEND_TAIL}")));

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

/// Stores `message`, or finds its author's earlier copy (see the module docs).
pub async fn append(store: &RedisStore, message: NewMessage) -> Result<Appended, StoreError> {
    let room = &message.room;
    let keys = Keys::of(room);
    let template = ChatTemplate::new(&unnumbered(&message));
    let [payload_before_id, payload_before_epoch, payload_before_json] =
        wire::chat_payload_pieces(room);
    let mut invocation = APPEND_SCRIPT.prepare_invoke();
    invocation
        .key(&keys.room)
        .key(&keys.log)
        .key(client_id_key(
            room,
            &message.author,
            message.client_id.as_ref(),
        ))
        .key(private_room(room))
        .key(&keys.revised)
        .key(&keys.edits)
        .key(&keys.copies);
    let lists_kept_by_script = store.link.keyspace() == Keyspace::Single;
    if lists_kept_by_script {
        invocation.key(rooms_key()).key(rooms_by_name_key());
    }
    let fanout = wire::Channels::of(store.link.keyspace());
    invocation
        .arg(template.before_id)
        .arg(template.before_ts)
        .arg(template.after_ts)
        .arg(payload_before_id)
        .arg(payload_before_epoch)
        .arg(payload_before_json)
        .arg(store.max_len)
        .arg(DEDUPE_FOR.as_secs())
        .arg(fanout.channel(room).as_ref())
        .arg(room.as_str())
        .arg(if message.client_id.is_some() {
            "1"
        } else {
            "0"
        })
        .arg(fanout.publish_command());
    let (stored, _epoch, json, private): (i64, String, String, i64) =
        store.write_record(&invocation).await?;
    let record = parse_record(&json)?;
    if stored == 1 && !lists_kept_by_script {
        list_room(&store.link, room, record.id, private == 1).await;
    }
    Ok(if stored == 1 {
        Appended::Stored(ChatRecord {
            client_id: message.client_id,
            ..record
        })
    } else {
        Appended::retry_of(&message, record)
    })
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
