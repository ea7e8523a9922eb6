//! [`Store::restore`](crate::store::Store::restore) and the name-ordered room walk on
//! SQLite: what `chinwag import` writes and `chinwag export` reads rooms by.
//!
//! A restore writes rows exactly as the log keeps them (see `records`): a message in its
//! current state (text, `edited`, or a tombstone's `deleted_id` and `deleted_by` with no
//! text) and a change record with its `change_kind`, `target` and `moderator`. It goes
//! through a connection of its own ([`SideWriter`]) in one IMMEDIATE transaction, not through
//! the writer thread: nothing of it is published, and a server running on the same file
//! takes turns with it as with the directories. The room's `last_id` check and the inserts
//! are that one transaction, so a message posted meanwhile either comes first (and the
//! restore is refused as [`Occupied`]) or after.

use super::{
    records::ChangeKind,
    side_writer::SideWriter,
    values::{parse_stored, to_i64, to_u64},
};
use crate::store::{Occupied, StoreError};
use chinwag_shared::{Change, ChatRecord, RoomName, Username};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;

/// Writes `records` into `room` on a connection of its own to the file at `path`.
pub(super) async fn restore(
    path: &Path,
    room: &RoomName,
    records: &[ChatRecord],
) -> Result<Result<(), Occupied>, StoreError> {
    let Some(last) = records.last().map(|record| record.id) else {
        return Ok(Ok(()));
    };
    let (room, records) = (room.clone(), records.to_vec());
    SideWriter::open(path)?
        .run(move |conn| write(conn, &room, &records, last))
        .await
}

fn write(
    conn: &mut Connection,
    room: &RoomName,
    records: &[ChatRecord],
    last: u64,
) -> Result<Result<(), Occupied>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let newest: Option<i64> = tx
        .prepare_cached("SELECT last_id FROM rooms WHERE name = ?1")?
        .query_row([room.as_str()], |row| row.get(0))
        .optional()?;
    let newest = newest.map_or(0, to_u64);
    if records.first().is_some_and(|first| first.id <= newest) {
        return Ok(Err(Occupied { last_id: newest }));
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO messages (room, id, username, message, ts, guest, change_kind, target,
                               moderator, edited, deleted_id, deleted_by, bot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for record in records {
        let (kind, target, moderator) = match record.change {
            None => (None, None, false),
            Some(Change::Edit { target }) => (Some(ChangeKind::Edit), Some(target), false),
            Some(Change::Delete { target, moderator }) => {
                (Some(ChangeKind::Delete), Some(target), moderator)
            }
        };
        insert.execute(params![
            room.as_str(),
            to_i64(record.id),
            record.username.as_str(),
            record.message,
            to_i64(record.ts),
            record.guest,
            kind.map(ChangeKind::as_str),
            target.map(to_i64),
            moderator,
            record.edited.map(to_i64),
            record.deleted.as_ref().map(|deletion| to_i64(deletion.id)),
            record
                .deleted
                .as_ref()
                .and_then(|deletion| deletion.by.as_ref())
                .map(Username::as_str),
            record.bot,
        ])?;
    }
    drop(insert);
    tx.prepare_cached(
        "INSERT INTO rooms (name, last_id) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id",
    )?
    .execute(params![room.as_str(), to_i64(last)])?;
    tx.commit()?;
    Ok(Ok(()))
}

/// Up to `limit` rooms with a `rooms` row (public with a message, or private), by name,
/// after `after`.
pub(super) fn room_names(
    conn: &Connection,
    after: Option<&RoomName>,
    limit: usize,
) -> Result<Vec<RoomName>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT name FROM rooms WHERE name > ?1 ORDER BY name LIMIT ?2")?;
    let rows = stmt.query_map(
        params![after.map_or("", RoomName::as_str), to_i64(limit as u64)],
        |row| row.get::<_, String>(0),
    )?;
    let mut names = Vec::new();
    for name in rows {
        names.push(parse_stored(&name?, RoomName::parse)?);
    }
    Ok(names)
}
