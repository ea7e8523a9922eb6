//! A room's (or the site's) audit log in Redis: a stream whose entry ids are the audit ids, trimmed to
//! [`AUDIT_KEPT`] in the step that appends.
//!
//! [`super::RedisModeration`] calls [`append`] for each act the hub judges and [`page`] for
//! `GET /api/rooms/{room}/audit`. Ids come from a counter of their own (`INCR`), drawn by the
//! script that appends, so they strictly increase per room however many nodes append at once,
//! and are never reused after trimming. An entry's one field, `entry`, holds the
//! [`AuditEntry`]'s JSON without its id (the stream id is the one place the id lives); it is
//! read back through the entry's own validation, so a value written by something other than
//! Chinwag is [`crate::store::Corrupt::Entry`].

use super::{keys, malformed, read_command, write};
use crate::{
    cluster::Link,
    store::{
        Corrupt, StoreError,
        moderation::{AUDIT_KEPT, NewAudit, Scope},
    },
};
use chinwag_shared::moderation::AuditEntry;
use redis::Script;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// The stream field holding an entry's JSON.
const ENTRY: &str = "entry";

/// KEYS: the room's audit counter, its stream. ARGV: the entry's JSON without its id, the
/// stream field, how many entries the room keeps. Returns the new entry's id.
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[3], string.format('%d-0', id), ARGV[2], ARGV[1])
return id
",
    )
});

/// Appends `audit` to `scope`'s log, returning its id.
pub(super) async fn append(link: &Link, scope: &Scope, audit: NewAudit) -> Result<u64, StoreError> {
    let mut invocation = APPEND.prepare_invoke();
    invocation
        .key(keys::audit_last_id(scope))
        .key(keys::audit(scope))
        .arg(without_id(&audit.entry)?)
        .arg(ENTRY)
        .arg(AUDIT_KEPT);
    write(link, invocation).await
}

/// Up to `limit` entries of `scope`'s log with ids below `before` (all without it), newest
/// first.
pub(super) async fn page(
    link: &Link,
    scope: &Scope,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let end = match before {
        None => "+".to_owned(),
        Some(0) => return Ok(Vec::new()),
        Some(before) => format!("({before}-0"),
    };
    // COUNT 0 would mean "no count"; no room holds more than AUDIT_KEPT.
    let count = limit.min(AUDIT_KEPT);
    if count == 0 {
        return Ok(Vec::new());
    }
    let key = keys::audit(scope);
    let mut command = redis::cmd("XREVRANGE");
    command.arg(&key).arg(end).arg("-").arg("COUNT").arg(count);
    let entries: Vec<(String, Vec<String>)> = read_command(link, &command).await?;
    entries
        .into_iter()
        .map(|(id, fields)| parse(&key, &id, &fields))
        .collect()
}

/// `entry`'s JSON without its `id`.
fn without_id(entry: &AuditEntry) -> Result<String, StoreError> {
    // Serializing an entry (strings, numbers, enums) cannot fail; the error is kept typed
    // rather than unwrapped all the same.
    let mut value = serde_json::to_value(entry).map_err(Corrupt::Entry)?;
    if let Value::Object(fields) = &mut value {
        fields.remove("id");
    }
    Ok(value.to_string())
}

/// One stream entry (`{id}-0`, `[entry, JSON]`) back to its [`AuditEntry`].
fn parse(key: &str, stream_id: &str, fields: &[String]) -> Result<AuditEntry, StoreError> {
    let id = stream_id
        .strip_suffix("-0")
        .and_then(|id| id.parse::<u64>().ok())
        .ok_or_else(|| malformed(key, format!("entry id {stream_id:?} is no audit id")))?;
    let [field, json] = fields else {
        return Err(malformed(key, format!("entry {id} has no single {ENTRY}")));
    };
    if field != ENTRY {
        return Err(malformed(key, format!("entry {id} holds {field:?}")));
    }
    let mut body: Map<String, Value> = serde_json::from_str(json).map_err(Corrupt::Entry)?;
    body.insert("id".to_owned(), Value::from(id));
    Ok(serde_json::from_value(Value::Object(body)).map_err(Corrupt::Entry)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{Username, moderation::AuditAction};

    fn entry(id: u64) -> AuditEntry {
        AuditEntry {
            id,
            ts: 1_764_700_000_000,
            actor: Username::parse("mod").unwrap(),
            action: AuditAction::Delete,
            subject: Some(Username::parse("ada").unwrap()),
            target: Some(12),
            detail: "spam".to_owned(),
            key: None,
        }
    }

    #[test]
    fn the_stream_id_is_the_entrys_only_id() {
        let json = without_id(&entry(99)).unwrap();
        assert!(!json.contains("\"id\""), "{json}");
        let read = parse("k", "7-0", &[ENTRY.to_owned(), json]).unwrap();
        assert_eq!(read, entry(7));
    }

    #[test]
    fn entries_of_another_shape_are_errors() {
        let json = without_id(&entry(1)).unwrap();
        for (id, fields) in [
            ("7-1", vec![ENTRY.to_owned(), json.clone()]),
            ("x-0", vec![ENTRY.to_owned(), json.clone()]),
            ("7-0", vec!["r".to_owned(), json.clone()]),
            ("7-0", vec![ENTRY.to_owned()]),
            ("7-0", vec![ENTRY.to_owned(), "{".to_owned()]),
        ] {
            assert!(parse("k", id, &fields).is_err(), "{id} {fields:?}");
        }
        let bad_name = json.replace("\"ada\"", "\"\"");
        assert!(matches!(
            parse("k", "7-0", &[ENTRY.to_owned(), bad_name]),
            Err(StoreError::Corrupt(Corrupt::Entry(_)))
        ));
    }
}
