//! [`Store::change`](crate::store::Store::change) on Redis: an edit or a deletion as one Lua
//! script, atomic with the check that its target is a live message.
//!
//! The node first reads the target's current JSON (and, for a deletion, its edit records),
//! judges it (a message? deleted?) and builds, in [`wire`], the change record's
//! [`ChatTemplate`], the target's [`RevisedTemplate`] and the edit records' text-free JSON.
//! The script then checks that the target's JSON is still byte for byte the one judged (else
//! the node reads again: someone changed it in between), takes the next id from `seq`,
//! appends and publishes the change record exactly as the append script does a message,
//! moves the target out of the stream into the revised set ([`super::revised`]), rewrites
//! its author's `client_id` copy, and on a deletion does the same to each edit record, text
//! removed. So the check, the id and the new state are one atomic step, like an append.

use super::{
    DEDUPE_FOR, ENSURE_EPOCH, Keys, PRUNE, RECORD_AT, RedisStore, list_room, parse_record,
    rooms_key,
};
use crate::{
    cluster::{
        accounts::keys::private_room,
        keyspace::Keyspace,
        wire::{self, ChatTemplate, RevisedTemplate, stored_json},
    },
    store::{ChangeAction, Changed, NewChange, RedisError, StoreError},
};
use chinwag_shared::{Change, ChatRecord};
use redis::Script;
use std::sync::LazyLock;

/// How many times a change reads its target again after another change got there first;
/// each retry means a change of the same message succeeded meanwhile.
const ATTEMPTS: usize = 8;

/// KEYS: log stream, revised set, edits set. ARGV: 1 the target's id, 2 "1" to return its
/// edit records too. Returns `[]` if there is no record with that id, else its current JSON
/// followed (if asked) by the JSON of each of its edit records.
const READ_TARGET: &str = r"
local target = ARGV[1]
local current = record_at(KEYS[1], KEYS[2], target)
if not current then
  return {}
end
local found = {current}
if ARGV[2] == '1' then
  for _, edit in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], target, target)) do
    local json = record_at(KEYS[1], KEYS[2], edit)
    if json then
      table.insert(found, json)
    end
  end
end
return found
";

/// KEYS: room hash, log stream, revised set, edits set, the copies' names as earlier releases
/// kept them, the room's private-room hash, the three buckets of copies' names around the
/// target's timestamp ([`Keys::copies_bucket`]), and on one Redis the rooms by size (on a cluster, the node moves the room in that
/// list afterwards: [`super::list_room`]). ARGV: 1 the target's id, 2 its JSON as the node
/// judged it, 3 its timestamp; the change record's [`ChatTemplate`] (4 before the id, 5 before
/// the timestamp, 6 after it); the target's [`RevisedTemplate`] (7 before the change's id, 8
/// after it); the payload's [`wire::chat_payload_pieces`] (9, 10, 11); 12 stream max length,
/// 13 channel, 14 `edit` or `delete`, 15 room, 16 the publish command ([`wire::Channels`]);
/// then, for a deletion, pairs of an edit record's id and its JSON without text. Like an
/// append, the change record moves the room in the room list. Returns `{0, '', '', 1}` if the
/// target changed since the node read it, else `{1, epoch, change record JSON, private}`.
const CHANGE_CHECK: &str = r"
local target = ARGV[1]
if record_at(KEYS[2], KEYS[3], target) ~= ARGV[2] then
  return {0, '', '', 1}
end
";

const CHANGE_TAIL: &str = r"
local id = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local now = redis.call('TIME')
local ts = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
local json = ARGV[4] .. id .. ARGV[5] .. ts .. ARGV[6]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[12], id .. '-0', 'r', json)
local state = ARGV[7] .. id .. ARGV[8]
redis.call('XDEL', KEYS[2], target .. '-0')
redis.call('ZREMRANGEBYSCORE', KEYS[3], target, target)
redis.call('ZADD', KEYS[3], target, state)
local function rewrite_copy(key)
  -- The copy holds the target's JSON until it expires; a key reused since holds another.
  if key and redis.call('GET', key) == ARGV[2] then
    redis.call('SET', key, state, 'XX', 'KEEPTTL')
  end
end
for bucket = 7, 9 do
  rewrite_copy(redis.call('HGET', KEYS[bucket], target))
end
-- Where releases before the buckets named the copies.
for _, copy in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], ARGV[3], ARGV[3])) do
  local of, key = string.match(copy, '^(%d+) (.+)$')
  if of == target then
    rewrite_copy(key)
  end
end
local private = redis.call('EXISTS', KEYS[6])
if KEYS[10] and private == 0 then
  redis.call('ZADD', KEYS[10], id, ARGV[15])
end
if ARGV[14] == 'edit' then
  redis.call('ZADD', KEYS[4], target, id)
else
  redis.call('ZREMRANGEBYSCORE', KEYS[4], target, target)
  for i = 17, #ARGV - 1, 2 do
    redis.call('XDEL', KEYS[2], ARGV[i] .. '-0')
    redis.call('ZREMRANGEBYSCORE', KEYS[3], ARGV[i], ARGV[i])
    redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 1])
  end
end
prune(KEYS[2], KEYS[3], KEYS[4], id, ARGV[12])
redis.call(ARGV[16], ARGV[13], ARGV[9] .. id .. ARGV[10] .. epoch .. ARGV[11] .. json)
return {1, epoch, json, private}
";

static READ_TARGET_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{RECORD_AT}{READ_TARGET}")));
static CHANGE_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{RECORD_AT}{PRUNE}{CHANGE_CHECK}{ENSURE_EPOCH}{CHANGE_TAIL}"
    ))
});

/// The target as the node read it.
struct Target {
    /// Its current JSON, exactly as stored: the script checks it is unchanged.
    json: String,
    /// The same, read.
    record: ChatRecord,
    /// Its edit records (read only for a deletion).
    edits: Vec<ChatRecord>,
}

/// `change` as its change record before the script numbers and stamps it.
fn unnumbered(change: &NewChange) -> ChatRecord {
    let (message, what) = match &change.action {
        ChangeAction::Edit(text) => (
            text.as_str().to_owned(),
            Change::Edit {
                target: change.target,
            },
        ),
        ChangeAction::Delete { moderator } => (
            String::new(),
            Change::Delete {
                target: change.target,
                moderator: *moderator,
            },
        ),
    };
    ChatRecord {
        id: 0,
        room: change.room.clone(),
        username: change.actor.clone(),
        message,
        ts: 0,
        guest: change.guest,
        bot: false,
        client_id: None,
        change: Some(what),
        edited: None,
        deleted: None,
    }
}

/// Stores `change` (see the module docs).
pub async fn change(store: &RedisStore, change: NewChange) -> Result<Changed, StoreError> {
    if change.target == 0 {
        return Ok(Changed::NoSuchMessage);
    }
    let record = unnumbered(&change);
    let deletion = matches!(change.action, ChangeAction::Delete { .. });
    for _ in 0..ATTEMPTS {
        let Some(target) = read_target(store, &change, deletion).await? else {
            return Ok(Changed::NoSuchMessage);
        };
        if !target.record.is_message() {
            return Ok(Changed::NoSuchMessage);
        }
        if target.record.deleted.is_some() {
            return Ok(Changed::AlreadyDeleted);
        }
        // A live message of this room with this id: the change applies (else the entry lies
        // about its id, and it is no message of ours).
        let Some(revised) = RevisedTemplate::new(&target.record, &record) else {
            return Ok(Changed::NoSuchMessage);
        };
        if let Some(json) = store_change(store, &change, &record, &target, &revised).await? {
            return Ok(Changed::Stored(parse_record(&json)?));
        }
    }
    Err(StoreError::Redis(RedisError::Refused(
        redis::RedisError::from((
            redis::ErrorKind::Client,
            "the message kept changing under this change; try again",
        )),
    )))
}

/// The target of `change` and, for a `deletion`, its edit records; `None` if the room has no
/// record with that id.
async fn read_target(
    store: &RedisStore,
    change: &NewChange,
    deletion: bool,
) -> Result<Option<Target>, StoreError> {
    let keys = Keys::of(&change.room);
    let mut invocation = READ_TARGET_SCRIPT.prepare_invoke();
    invocation
        .key(&keys.log)
        .key(&keys.revised)
        .key(&keys.edits)
        .arg(change.target)
        .arg(if deletion { "1" } else { "0" });
    let found: Vec<String> = store
        .link
        .read(|mut conn| {
            let invocation = &invocation;
            async move { invocation.invoke_async(&mut conn).await }
        })
        .await?;
    let mut found = found.into_iter();
    let Some(json) = found.next() else {
        return Ok(None);
    };
    let record = parse_record(&json)?;
    let edits = found
        .map(|json| parse_record(&json))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|edit| edit.change == Some(Change::Edit { target: record.id }))
        .collect();
    Ok(Some(Target {
        json,
        record,
        edits,
    }))
}

/// Runs the change script; the change record's JSON, or `None` if the target changed since
/// `target` was read.
async fn store_change(
    store: &RedisStore,
    change: &NewChange,
    record: &ChatRecord,
    target: &Target,
    revised: &RevisedTemplate,
) -> Result<Option<String>, StoreError> {
    let keys = Keys::of(&change.room);
    let template = ChatTemplate::new(record);
    let [payload_before_id, payload_before_epoch, payload_before_json] =
        wire::chat_payload_pieces(&change.room);
    let mut invocation = CHANGE_SCRIPT.prepare_invoke();
    invocation
        .key(&keys.room)
        .key(&keys.log)
        .key(&keys.revised)
        .key(&keys.edits)
        .key(&keys.copies)
        .key(private_room(&change.room));
    // The target's copy was named in the bucket of the appending node's clock, which may
    // differ from Redis's (the timestamp's) by less than a bucket.
    let stored_at = target.record.ts / 1000;
    let stretch = DEDUPE_FOR.as_secs();
    for at in [
        stored_at.saturating_sub(stretch),
        stored_at,
        stored_at.saturating_add(stretch),
    ] {
        invocation.key(Keys::copies_bucket(&change.room, at));
    }
    let list_kept_by_script = store.link.keyspace() == Keyspace::Single;
    if list_kept_by_script {
        invocation.key(rooms_key());
    }
    let channels = wire::Channels::of(store.link.keyspace());
    invocation
        .arg(change.target)
        .arg(&target.json)
        .arg(target.record.ts)
        .arg(template.before_id)
        .arg(template.before_ts)
        .arg(template.after_ts)
        .arg(&revised.before_id)
        .arg(&revised.after_id)
        .arg(payload_before_id)
        .arg(payload_before_epoch)
        .arg(payload_before_json)
        .arg(store.max_len)
        .arg(channels.channel(&change.room).as_ref())
        .arg(match change.action {
            ChangeAction::Edit(_) => "edit",
            ChangeAction::Delete { .. } => "delete",
        })
        .arg(change.room.as_str())
        .arg(channels.publish_command());
    for edit in &target.edits {
        // What a deletion leaves of an edit record: that it happened, not its text.
        invocation
            .arg(edit.id)
            .arg(stored_json(&edit.clone().scrubbed()));
    }
    let (stored, _epoch, json, private): (i64, String, String, i64) =
        store.write_record(&invocation).await?;
    if stored != 1 {
        return Ok(None);
    }
    if !list_kept_by_script {
        let id = parse_record(&json)?.id;
        list_room(&store.link, &change.room, id, private == 1).await;
    }
    Ok(Some(json))
}
