//! [`RedisStore`]: the room logs in Redis, for many nodes at once.
//!
//! Per room (`{room}` is the validated room name):
//!
//! - `chinwag:room:{room}`: a hash with `seq` (the newest id) and `epoch`;
//! - `chinwag:log:{room}`: a stream whose entry ids are `{id}-0`, holding the record's JSON,
//!   trimmed to about `--history-max-len` entries (`MAXLEN ~`);
//! - `chinwag:cid:{room}:{author}:{client_id}`: the record its author stored under that
//!   `client_id` ([`Author::key`](crate::store::Author::key), one `:` inside, so the key
//!   splits one way), kept an hour ([`DEDUPE_FOR`]) in the record's current state, which
//!   makes that author's retries idempotent;
//! - `chinwag:copies:{room}:{n}`: those keys' names by record id, in one hash per
//!   [`DEDUPE_FOR`]-long stretch of the node's clock (`n` counts them from 1970) that expires
//!   three stretches after its last write, so a change finds its target's copy by the
//!   target's timestamp (that stretch and the two beside it, for clocks that differ). Releases
//!   before these buckets kept the names in one sorted set, `chinwag:copies:{room}` (`{id}
//!   {key}`, scored by timestamp), which changes still read until it expires;
//! - `chinwag:revised:{room}`: the current JSON of each record changed since it was stored (an
//!   edited or deleted message, an edit record of a deleted message), scored by id, whose
//!   stream entry is gone (module `revised`, which pages read it through);
//! - `chinwag:edits:{room}`: each edited message's edit record ids, scored by the message's id.
//!
//! and one sorted set of every public room with a message, `chinwag:rooms:busiest`, scored by
//! its newest id, which `GET /api/rooms` pages through busiest first, and one of every room,
//! `chinwag:rooms:by-name`, which `chinwag export` walks by name (module `restore`, which also
//! writes what `chinwag import` loads). A room exists once `seq`
//! does: reading a head mints an epoch but creates no room, and creating a private room
//! ([`super::accounts`]) sets `seq` to 0 in the same step that marks it private, so it is
//! never new again. A private room never enters the room list: the append script skips it,
//! so the list's pages stay bounded and exact without filtering anything out.
//!
//! Appends (module `append`) and a change (an edit or a deletion, module `change`) are Lua
//! scripts, so Redis runs each atomically; both take each record's id from `seq` and publish
//! it to every node in the same step. Ids are therefore strictly increasing and gapless per
//! room whatever node writes, pub/sub carries them in id order, and a record is confirmed only
//! after its script returned. Appends are group-committed (module `batch`): one task sends
//! whatever queued while its previous round trip was in flight, as one script call per room
//! that stores the room's share in order, so a busy node pays Redis's per-script cost once per
//! room and batch rather than once per message, and an idle one sends at once. A change is one
//! script call of its own. The node hands the scripts JSON and payload
//! headers as text with holes ([`super::wire`]); they fill in only ids, Redis's clock and the
//! epoch, and write no JSON of their own. The JSON stored and published has no `client_id`:
//! that is the author's alone, added back only to the author's answer. Each script that
//! appends also drops from the revised and edits sets what the stream has trimmed, so they
//! stay bounded by the history kept.
//!
//! For operators: a deletion removes the text from Redis, not only from what is served: from
//! the stream (`XDEL`, which frees the bytes only with `stream-node-max-entries 1`, which the
//! store sets, or warns it cannot: module `nodes`), from the revised set and from the
//! `client_id` copy. What Redis wrote before the deletion keeps the text until Redis rewrites
//! it: RDB snapshots taken before, and the append-only file, which holds the original append
//! until its next rewrite (`BGREWRITEAOF`, or the automatic one). Replicas apply the deletion
//! as the primary does, but build their own stream nodes: they need the setting in their own
//! configuration. Records appended by a version without changes have no `copies` entry:
//! deleting one within the hour after the upgrade may leave its `client_id` copy until it
//! expires. Likewise, during a rolling upgrade, a node of the release before the hourly
//! buckets does not find the copy of a record a newer node appended.
//!
//! The epoch is minted from Redis's clock the first time a room is read or written. If Redis
//! loses its data, the next access mints a new one and ids start again at 1.

mod append;
mod batch;
mod change;
mod nodes;
mod restore;
mod revised;

use super::{
    keyspace,
    link::{Link, slot_moving},
    wire::BatchReaders,
};
use crate::store::{
    Appended, Changed, Corrupt, Epoch, NewChange, NewMessage, Occupied, PAGE_BYTES, Page,
    RedisError, RoomCursor, RoomHead, Store, StoreError, public, record_bytes,
};
use async_trait::async_trait;
use chinwag_shared::{ChatRecord, RoomName, RoomSummary, ServerMsg};
use redis::{ErrorKind, FromRedisValue, Script, ScriptInvocation, ServerErrorKind};
use std::{
    sync::{
        Arc, LazyLock, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

pub use nodes::StreamNodes;

/// How long a `client_id` stays a guarantee against duplicates. Each key holds a copy of its
/// record (~400 B), and its hour's bucket its name (~80 B, for up to three hours), so this
/// window, not the history length, bounds that memory: an hour at 100 msg/s is ~200 MB.
/// Clients re-send within seconds of a reconnect; an hour covers a laptop that slept through
/// a train tunnel.
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

/// Defines `record_at(log, revised, id)`: the current JSON of record `id` (from the revised
/// set if it was changed, else its stream entry), or nil if the room has none.
const RECORD_AT: &str = r"
local function record_at(log, revised, id)
  local changed = redis.call('ZRANGEBYSCORE', revised, id, id)[1]
  if changed then
    return changed
  end
  local entry = redis.call('XRANGE', log, id .. '-0', id .. '-0')[1]
  if entry then
    local fields = entry[2]
    for i = 1, #fields - 1, 2 do
      if fields[i] == 'r' then
        return fields[i + 1]
      end
    end
  end
  return nil
end
";

/// Defines `prune(log, revised, edits, newest, max_len)`, run after an `XADD ... MAXLEN ~`:
/// drops from the revised and edits sets every id below both the oldest stream entry and the
/// newest `max_len` ids. Below the oldest entry everything is trimmed or revised, and the
/// newest `max_len` ids are never trimmed, so what is dropped is history no page reaches.
const PRUNE: &str = r"
local function prune(log, revised, edits, newest, max_len)
  if redis.call('EXISTS', revised, edits) == 0 then
    return
  end
  local floor = newest - tonumber(max_len) + 1
  local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
  if oldest then
    local live = tonumber(string.match(oldest[1], '^%d+'))
    if live < floor then
      floor = live
    end
  end
  if floor > 1 then
    redis.call('ZREMRANGEBYSCORE', revised, '-inf', '(' .. floor)
    redis.call('ZREMRANGEBYSCORE', edits, '-inf', '(' .. floor)
  end
end
";

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

static HEAD_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{ENSURE_EPOCH}{HEAD_TAIL}")));

/// Every room that exists (its `seq` set: a message, or made private), all at score 0, so
/// `ZRANGEBYLEX` walks them by name ([`Store::room_names`]). The append script adds a room
/// with its first record, the private-room script as it makes one; rooms made before the
/// set existed are added once per process by module `restore`.
pub(crate) fn rooms_by_name_key() -> String {
    format!("{}rooms:by-name", keyspace::directory())
}

/// Every room with a message, scored by its newest id. (Servers before the room list was paged
/// kept an unscored set at `chinwag:rooms`; it is no longer read, and may be deleted.)
fn rooms_key() -> String {
    format!("{}rooms:busiest", keyspace::directory())
}

/// The room's hash (`seq`, `epoch`); the directory's private-room script creates it too.
pub(super) fn room_key(room: &RoomName) -> String {
    format!("chinwag:room:{}", keyspace::room(room))
}

/// Keeps `room`'s place in the room lists after record `id`, on a cluster, where the lists live
/// in the directory's slot and a room's scripts cannot reach them: on the busiest list unless
/// the room is private, and on the by-name list. Best effort, after the record is confirmed: a
/// node that stops in between leaves the room's rank behind by one message, and its next
/// message puts it right. (On one Redis the scripts keep the lists in the same atomic step.)
async fn list_room(link: &Link, room: &RoomName, id: u64, private: bool) {
    let mut lists = redis::pipe();
    if !private {
        lists
            .cmd("ZADD")
            .arg(rooms_key())
            .arg("GT")
            .arg(id)
            .arg(room.as_str())
            .ignore();
    }
    lists
        .cmd("ZADD")
        .arg(rooms_by_name_key())
        .arg("NX")
        .arg(0)
        .arg(room.as_str())
        .ignore();
    let listed = link
        .call(|mut conn| async move { lists.query_async::<()>(&mut conn).await })
        .await;
    if let Err(err) = listed {
        tracing::warn!(%room, error = %err, "room list not updated; the next message will");
    }
}

/// The keys of one room's log (see the module docs).
struct Keys {
    room: String,
    log: String,
    revised: String,
    edits: String,
    /// Where releases before the buckets kept the copies' names (still read by changes).
    copies: String,
}

impl Keys {
    fn of(room: &RoomName) -> Self {
        Self {
            room: room_key(room),
            log: format!("chinwag:log:{}", keyspace::room(room)),
            revised: format!("chinwag:revised:{}", keyspace::room(room)),
            edits: format!("chinwag:edits:{}", keyspace::room(room)),
            copies: format!("chinwag:copies:{}", keyspace::room(room)),
        }
    }

    /// The bucket of copies' names for the [`DEDUPE_FOR`]-long stretch `unix_secs` falls in.
    fn copies_bucket(room: &RoomName, unix_secs: u64) -> String {
        format!(
            "chinwag:copies:{}:{}",
            keyspace::room(room),
            unix_secs / DEDUPE_FOR.as_secs()
        )
    }
}

/// Redis-backed [`Store`].
pub struct RedisStore {
    link: Link,
    max_len: u64,
    /// Replicas that must have a record before it is confirmed (`--redis-wait-replicas`).
    wait_replicas: u32,
    /// Whether this node's fan-out subscription is up (see [`super::Subscriber`]).
    subscribed: Arc<AtomicBool>,
    /// Whether every room made before [`ROOMS_BY_NAME_KEY`] existed has been added to it by
    /// this process (module `restore`).
    named: AtomicBool,
    /// Where appends queue for their batch (module `batch`), started by the first append.
    appender: OnceLock<batch::Appender>,
    /// Whether every node reads a batch published as one payload (never, unless the node
    /// registry says so: [`RedisStore::publishing_batches_when`]).
    batch_readers: Arc<BatchReaders>,
    /// The runtime the store was made on, which the appender runs on (`None` outside one:
    /// the first append's, then).
    runtime: Option<tokio::runtime::Handle>,
    /// Keeps one stream entry per node while the store lives (module `nodes`); `None` outside a
    /// runtime (nothing to run it on).
    _one_entry_per_node: Option<nodes::AbortOnDrop>,
}

impl RedisStore {
    /// A store on `link` keeping about `max_len` records per room, ready while `link`
    /// answers and `subscribed` holds. Inside a runtime it also keeps Redis at one stream
    /// entry per node for as long as it lives (module `nodes`).
    pub fn new(link: Link, max_len: u64, subscribed: Arc<AtomicBool>) -> Self {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let one_entry_per_node = runtime.as_ref().map(|runtime| {
            nodes::AbortOnDrop(runtime.spawn(nodes::keep_one_entry_per_node(link.clone())))
        });
        Self {
            link,
            max_len: max_len.max(1),
            wait_replicas: 0,
            subscribed,
            named: AtomicBool::new(false),
            appender: OnceLock::new(),
            batch_readers: Arc::new(BatchReaders::default()),
            runtime,
            _one_entry_per_node: one_entry_per_node,
        }
    }

    /// This store, confirming a record only once `replicas` replicas of its master have it.
    #[must_use]
    pub fn waiting_for_replicas(mut self, replicas: u32) -> Self {
        self.wait_replicas = replicas;
        self
    }

    /// This store, publishing each append call's records as one payload while `readers` says
    /// every node reads such payloads, and one payload per record otherwise.
    #[must_use]
    pub fn publishing_batches_when(mut self, readers: Arc<BatchReaders>) -> Self {
        self.batch_readers = readers;
        self
    }

    /// Runs a script that writes a record (a change; appends go through module `batch`, which
    /// does the same for a whole pipeline). With
    /// `--redis-wait-replicas N`, `WAIT N` follows it in the same pipeline: on the same
    /// connection, which is what `WAIT` counts the writes of, so it covers this script even
    /// when a reconnection comes between two commands. Fewer than N acknowledgements within
    /// half the deadline is [`RedisError::NotReplicated`]: the record is on the master, not
    /// confirmed; the client's retry finds it by its `client_id` and waits again.
    async fn write_record<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        // A slot on the move answers before running anything (`ASK`, `TRYAGAIN`): try again
        // while the migration finishes, within the deadline, rather than refuse the sender.
        let deadline = tokio::time::Instant::now() + self.link.timeout();
        let mut pause = Duration::from_millis(10);
        loop {
            match self.write_record_once(invocation).await {
                Err(StoreError::Redis(err))
                    if slot_moving(&err) && tokio::time::Instant::now() + pause < deadline =>
                {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                answered => return answered,
            }
        }
    }

    /// One try of [`RedisStore::write_record`].
    async fn write_record_once<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let wanted = self.wait_replicas;
        if wanted == 0 {
            return Ok(self
                .link
                .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
                .await?);
        }
        let wait_ms = u64::try_from((self.link.timeout() / 2).as_millis()).unwrap_or(u64::MAX);
        let mut pipe = redis::pipe();
        pipe.invoke_script(invocation)
            .cmd("WAIT")
            .arg(wanted)
            .arg(wait_ms.max(1));
        let (answer, acked): (T, u32) = self
            .link
            .call(|mut conn| async move {
                match pipe.query_async(&mut conn).await {
                    Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                        // The script never ran: load it (on every master) and run both again.
                        invocation.load_async(&mut conn).await?;
                        pipe.query_async(&mut conn).await
                    }
                    answered => answered,
                }
            })
            .await?;
        if acked < wanted {
            return Err(RedisError::NotReplicated { wanted, acked }.into());
        }
        Ok(answer)
    }

    /// Sets Redis's `stream-node-max-entries` to 1 now, unless it is already, so that
    /// deleting an entry frees its bytes (the store also does so by itself: module `nodes`).
    pub async fn keep_one_entry_per_node(&self) -> StreamNodes {
        nodes::one_entry_per_node(&self.link).await
    }
}

/// A stored chat frame's JSON back to its record, without a `client_id` (entries written
/// before ids were kept to their authors still hold one).
fn parse_record(json: &str) -> Result<ChatRecord, StoreError> {
    // Two passes over the text rather than serde's buffered copy of it: every page read
    // through Redis comes here, once per record.
    match ServerMsg::from_json(json) {
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
        let appender = self.appender.get_or_init(|| {
            let runtime = self
                .runtime
                .clone()
                .unwrap_or_else(tokio::runtime::Handle::current);
            batch::Appender::start(
                &runtime,
                self.link.clone(),
                self.max_len,
                self.wait_replicas,
                Arc::clone(&self.batch_readers),
            )
        });
        appender.append(message).await
    }

    async fn change(&self, change: NewChange) -> Result<Changed, StoreError> {
        change::change(self, change).await
    }

    async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError> {
        // Read in small chunks and stop at the byte budget: Redis has no "up to N bytes", and a
        // whole page of heavy messages is 8 MB held while a slow client reads it.
        const CHUNK: usize = 64;
        let keys = Keys::of(room);
        let (mut records, mut bytes) = (Vec::new(), 0);
        let (limit, mut bound) = match page {
            Page::After { after, limit } => (limit, after),
            Page::Before { before, limit } => (limit, before),
        };
        while records.len() < limit && bytes < PAGE_BYTES {
            let count = CHUNK.min(limit - records.len());
            let (chunk, exhausted) = self.read_chunk(&keys, page, bound, count).await?;
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
        invocation.key(rooms_key()).arg(limit);
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

    async fn room_names(
        &self,
        after: Option<&RoomName>,
        limit: usize,
    ) -> Result<Vec<RoomName>, StoreError> {
        if !self.named.load(Ordering::Relaxed) {
            restore::name_every_room(&self.link).await?;
            self.named.store(true, Ordering::Relaxed);
        }
        restore::room_names(&self.link, after, limit).await
    }

    async fn restore(
        &self,
        room: &RoomName,
        records: &[ChatRecord],
    ) -> Result<Result<(), Occupied>, StoreError> {
        restore::restore(self, room, records).await
    }

    fn ready(&self) -> bool {
        self.link.is_ready() && self.subscribed.load(Ordering::Relaxed)
    }

    async fn close(&self) {
        // Every confirmed append is already in Redis; those still queued in the appender
        // (module `batch`) are not confirmed, and are sent while the runtime lives.
    }
}
