//! [`RedisStore`]: the room logs in Redis, for many nodes at once.
//!
//! Per room, three keys (`{room}` is the validated room name):
//!
//! - `chinwag:room:{room}`: a hash with `seq` (the newest id) and `epoch`;
//! - `chinwag:log:{room}`: a stream whose entry ids are `{id}-0`, holding the record's JSON,
//!   trimmed to about `--history-max-len` entries (`MAXLEN ~`);
//! - `chinwag:cid:{room}:{author}:{client_id}`: the record its author stored under that
//!   `client_id` ([`Author::key`], one `:` inside, so the key splits one way), kept an hour
//!   ([`DEDUPE_FOR`]), which makes that author's retries idempotent.
//!
//! and one sorted set of every public room with a message, `chinwag:rooms:busiest`, scored by
//! its newest id, which `GET /api/rooms` pages through busiest first. A room exists once `seq`
//! does: reading a head mints an epoch but creates no room, and creating a private room
//! ([`super::accounts`]) sets `seq` to 0 in the same step that marks it private, so it is
//! never new again. A private room never enters the room list: the append script skips it,
//! so the list's pages stay bounded and exact without filtering anything out.
//!
//! An append is one Lua script, so Redis runs it atomically: check the author's `client_id`,
//! mint the room's epoch if it has none, increment `seq`, add the stream entry, remember the
//! `client_id`, add the room to the room list unless it is private, and publish the record to every node. The node
//! hands the script the record's JSON and the payload's header as text with holes
//! ([`super::wire`]); the script fills in only the id, Redis's clock and the epoch, so it
//! writes no JSON of its own. The JSON it stores and publishes has no `client_id`: that is the author's
//! alone, added back only to the author's answer. Whether a hit is a retry or a reuse for
//! other text is decided here, after the script ([`Appended::retry_of`]).
//! Ids are therefore strictly increasing and gapless per room whatever node appends, and
//! pub/sub carries them in id order. A message is confirmed only after the script returned.
//!
//! The epoch is minted from Redis's clock the first time a room is read or written. If Redis
//! loses its data, the next access mints a new one and ids start again at 1.

use super::{
    accounts::keys,
    link::Link,
    wire::{self, CHANNEL, ChatTemplate},
};
use crate::store::{
    Appended, Author, Changed, Corrupt, Epoch, NewChange, NewMessage, PAGE_BYTES, Page, RoomCursor,
    RoomHead, Store, StoreError, public, record_bytes,
};
use async_trait::async_trait;
use chinwag_shared::{ChatRecord, ClientId, RoomName, RoomSummary, ServerMsg};
use redis::Script;
use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// How long a `client_id` stays a guarantee against duplicates. Each key holds a copy of its
/// record (~400 B), so this window, not the history length, bounds that memory: an hour at
/// 100 msg/s is ~150 MB. Clients re-send within seconds of a reconnect; an hour covers a
/// laptop that slept through a train tunnel.
pub const DEDUPE_FOR: Duration = Duration::from_secs(60 * 60);

/// Mints the room's epoch from Redis's clock if it has none; leaves it in `epoch`.
const ENSURE_EPOCH: &str = r"
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  local now = redis.call('TIME')
  epoch = 'r' .. now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
";

/// KEYS: room hash, log stream, client-id key, rooms by size, the room's private-room hash.
/// ARGV: the record's [`ChatTemplate`] (1 before the id, 2 before the timestamp, 3 after it);
/// the payload's [`wire::chat_payload_pieces`] (4 before the id, 5 before the epoch, 6 before
/// the record); 7 stream max length, 8 dedupe seconds, 9 channel, 10 room, 11 whether there
/// is a client id ("1"/"0"). The script only puts numbers and the epoch into the holes: every
/// byte of JSON and header around them comes from [`wire`].
const APPEND: &str = r#"
if ARGV[11] == '1' then
  local earlier = redis.call('GET', KEYS[3])
  if earlier then
    return {0, redis.call('HGET', KEYS[1], 'epoch') or '', earlier}
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
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  redis.call('ZADD', KEYS[4], id, ARGV[10])
end
redis.call('PUBLISH', ARGV[9], ARGV[4] .. id .. ARGV[5] .. epoch .. ARGV[6] .. json)
return {1, epoch, json}
"#;

/// KEYS: room hash. Returns the newest id and the epoch.
const HEAD_TAIL: &str = r"
return {redis.call('HGET', KEYS[1], 'seq') or '0', epoch}
";

/// KEYS: rooms by size. ARGV: limit, the cursor's last id ('' for the first page), the
/// cursor's room. Returns `[room, last_id, ...]`, busiest first, ties by name descending (the
/// set's own order). After a cursor whose room still has its score, the page starts just past
/// it: exact. If that room moved (it got messages) or is gone, it starts past every room
/// busier than the cursor's score, so rooms tied with it may repeat, but none is passed over.
const ROOMS_PAGE: &str = r"
local start = 0
if ARGV[2] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
  if score and tonumber(score) == tonumber(ARGV[2]) then
    start = redis.call('ZREVRANK', KEYS[1], ARGV[3]) + 1
  else
    start = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[2], '+inf')
  end
end
return redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
";

static ROOMS_PAGE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(ROOMS_PAGE));

static APPEND_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{APPEND}{ENSURE_EPOCH}{APPEND_TAIL}")));
static HEAD_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{ENSURE_EPOCH}{HEAD_TAIL}")));

/// Every room with a message, scored by its newest id. (Servers before the room list was paged
/// kept an unscored set at `chinwag:rooms`; it is no longer read, and may be deleted.)
const ROOMS_KEY: &str = "chinwag:rooms:busiest";

/// The room's hash (`seq`, `epoch`); the directory's private-room script creates it too.
pub(super) fn room_key(room: &RoomName) -> String {
    format!("chinwag:room:{room}")
}

fn log_key(room: &RoomName) -> String {
    format!("chinwag:log:{room}")
}

fn client_id_key(room: &RoomName, author: &Author, client_id: Option<&ClientId>) -> String {
    format!(
        "chinwag:cid:{room}:{author}:{}",
        client_id.map_or("", ClientId::as_str)
    )
}

/// Redis-backed [`Store`].
pub struct RedisStore {
    link: Link,
    max_len: u64,
    /// Whether this node's fan-out subscription is up (see [`super::Subscriber`]).
    subscribed: Arc<AtomicBool>,
}

impl RedisStore {
    /// Up to `count` records of `room` past `bound` (exclusive) in the direction of `page`:
    /// ascending for `After`, descending for `Before`.
    async fn read_chunk(
        &self,
        room: &RoomName,
        page: Page,
        bound: u64,
        count: usize,
    ) -> Result<Vec<ChatRecord>, StoreError> {
        let (command, start, end) = match page {
            Page::After { .. } => {
                let start = if bound == 0 {
                    "-".to_owned()
                } else {
                    format!("({bound}-0")
                };
                ("XRANGE", start, "+".to_owned())
            }
            Page::Before { .. } => {
                let end = if bound == u64::MAX {
                    "+".to_owned()
                } else {
                    format!("({bound}-0")
                };
                ("XREVRANGE", end, "-".to_owned())
            }
        };
        let mut query = redis::cmd(command);
        query
            .arg(log_key(room))
            .arg(start)
            .arg(end)
            .arg("COUNT")
            .arg(count);
        let entries = self
            .link
            .read(|mut conn| {
                let query = &query;
                async move { query.query_async(&mut conn).await }
            })
            .await?;
        parse_entries(entries)
    }
    /// A store on `link` keeping about `max_len` records per room, ready while `link`
    /// answers and `subscribed` holds.
    pub fn new(link: Link, max_len: u64, subscribed: Arc<AtomicBool>) -> Self {
        Self {
            link,
            max_len: max_len.max(1),
            subscribed,
        }
    }
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
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
    }
}

/// A stored chat frame's JSON back to its record, without a `client_id` (entries written
/// before ids were kept to their authors still hold one).
fn parse_record(json: &str) -> Result<ChatRecord, StoreError> {
    match serde_json::from_str::<ServerMsg>(json) {
        Ok(ServerMsg::Chat(record)) => Ok(public(record)),
        Ok(_) => Err(Corrupt::NotChat.into()),
        Err(err) => Err(Corrupt::Entry(err).into()),
    }
}

/// Stream entries (`[id, [field, value, ...]]`) to records, in the order given.
fn parse_entries(entries: Vec<(String, Vec<String>)>) -> Result<Vec<ChatRecord>, StoreError> {
    entries
        .into_iter()
        .map(|(_, fields)| match fields.as_slice() {
            [name, json] if name == "r" => parse_record(json),
            _ => Err(Corrupt::NoRecord.into()),
        })
        .collect()
}

#[async_trait]
impl Store for RedisStore {
    async fn append(&self, message: NewMessage) -> Result<Appended, StoreError> {
        let room = &message.room;
        let template = ChatTemplate::new(&unnumbered(&message));
        let [payload_before_id, payload_before_epoch, payload_before_json] =
            wire::chat_payload_pieces(room);
        let mut invocation = APPEND_SCRIPT.prepare_invoke();
        invocation
            .key(room_key(room))
            .key(log_key(room))
            .key(client_id_key(
                room,
                &message.author,
                message.client_id.as_ref(),
            ))
            .key(ROOMS_KEY)
            .key(keys::private_room(room))
            .arg(template.before_id)
            .arg(template.before_ts)
            .arg(template.after_ts)
            .arg(payload_before_id)
            .arg(payload_before_epoch)
            .arg(payload_before_json)
            .arg(self.max_len)
            .arg(DEDUPE_FOR.as_secs())
            .arg(CHANNEL)
            .arg(room.as_str())
            .arg(if message.client_id.is_some() {
                "1"
            } else {
                "0"
            });
        let (stored, _epoch, json): (i64, String, String) = self
            .link
            .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await?;
        let record = parse_record(&json)?;
        Ok(if stored == 1 {
            Appended::Stored(ChatRecord {
                client_id: message.client_id,
                ..record
            })
        } else {
            Appended::retry_of(&message, record)
        })
    }

    async fn change(&self, _change: NewChange) -> Result<Changed, StoreError> {
        // Placeholder until the engine stores changes (issue 15, in progress).
        Err(StoreError::Closed)
    }

    async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError> {
        // Read in small chunks and stop at the byte budget: Redis has no "up to N bytes", and a
        // whole page of heavy messages is 8 MB held while a slow client reads it.
        const CHUNK: usize = 64;
        let (mut records, mut bytes) = (Vec::new(), 0);
        let (limit, mut bound) = match page {
            Page::After { after, limit } => (limit, after),
            Page::Before { before, limit } => (limit, before),
        };
        while records.len() < limit && bytes < PAGE_BYTES {
            let count = CHUNK.min(limit - records.len());
            let chunk = self.read_chunk(room, page, bound, count).await?;
            let exhausted = chunk.len() < count;
            for record in chunk {
                if bytes >= PAGE_BYTES {
                    break;
                }
                bytes += record_bytes(&record);
                bound = record.id;
                records.push(record);
            }
            if exhausted {
                break;
            }
        }
        if matches!(page, Page::Before { .. }) {
            records.reverse();
        }
        Ok(records)
    }

    async fn head(&self, room: &RoomName) -> Result<RoomHead, StoreError> {
        // Safe to repeat: it only ever sets a missing epoch.
        let mut invocation = HEAD_SCRIPT.prepare_invoke();
        invocation.key(room_key(room));
        let (last_id, epoch): (u64, String) = self
            .link
            .read(|mut conn| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(RoomHead {
            last_id,
            epoch: Epoch::from(epoch),
        })
    }

    async fn has_room(&self, room: &RoomName) -> Result<bool, StoreError> {
        let mut exists = redis::cmd("HEXISTS");
        exists.arg(room_key(room)).arg("seq");
        let exists = self
            .link
            .read(|mut conn| {
                let exists = &exists;
                async move { exists.query_async(&mut conn).await }
            })
            .await?;
        Ok(exists)
    }

    async fn rooms(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new()); // ZREVRANGE 0 -1 would mean "everything"
        }
        let mut invocation = ROOMS_PAGE_SCRIPT.prepare_invoke();
        invocation.key(ROOMS_KEY).arg(limit);
        match after {
            Some(cursor) => invocation.arg(cursor.last_id).arg(cursor.room.as_str()),
            None => invocation.arg("").arg(""),
        };
        let page: Vec<(String, String)> = self
            .link
            .read(|mut conn| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut conn).await }
            })
            .await?;
        page.into_iter()
            .map(|(room, last_id)| {
                let corrupt = || Corrupt::RoomListEntry {
                    room: room.clone(),
                    last_id: last_id.clone(),
                };
                Ok(RoomSummary {
                    room: RoomName::parse(&room).map_err(|_| corrupt())?,
                    last_id: last_id.parse().map_err(|_| corrupt())?,
                    mentions: None,
                    unread: None,
                })
            })
            .collect()
    }

    fn ready(&self) -> bool {
        self.link.is_ready() && self.subscribed.load(Ordering::Relaxed)
    }

    async fn close(&self) {
        // Every confirmed append is already in Redis; nothing is buffered here.
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
