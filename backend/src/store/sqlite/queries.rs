//! The reads: a page of a room's log, a room's newest id, the room list. Each is one indexed
//! range or probe, run by the reader pool ([`super::readers`]) on a read-only connection.
//!
//! Every row is validated again on the way out (`values::parse_stored`, [`StoredRow`]): a file
//! edited by hand yields [`StoreError::Corrupt`], never an invalid name inside the server.
//! Records leave without their `client_id`, as everyone but the author sees them, and
//! messages in their current state (edited text, tombstones).

use super::{
    records::{StoredRow, record_columns},
    values::{parse_stored, to_i64, to_u64},
};
use crate::store::{Page, RoomCursor, StoreError, take_page};
use chinwag_shared::{ChatRecord, RoomName, RoomSummary};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter, types::Value};

/// One page of `room`'s log, ascending, bounded by count and by the page byte budget.
pub(super) fn read_page(
    conn: &Connection,
    room: &RoomName,
    page: Page,
) -> Result<Vec<ChatRecord>, StoreError> {
    // The stored row is the current state (an edit rewrites its message, a deletion leaves
    // the tombstone), so a page needs no second look at the change records.
    let (sql, bound, limit) = match page {
        Page::After { after, limit } => (
            concat!(
                "SELECT ",
                record_columns!(),
                " FROM messages WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3"
            ),
            after,
            limit,
        ),
        Page::Before { before, limit } => (
            concat!(
                "SELECT ",
                record_columns!(),
                " FROM messages WHERE room = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
            ),
            before,
            limit,
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![room.as_str(), to_i64(bound), to_i64(limit as u64)],
        StoredRow::from_row,
    )?;
    // Rows are decoded one at a time and reading stops at the byte budget, so a page of
    // heavy messages never sits in memory whole.
    let mut records = take_page(rows.map(|row| row?.into_record(room)), limit)?;
    if matches!(page, Page::Before { .. }) {
        records.reverse();
    }
    Ok(records)
}

/// `room`'s newest id; 0 if it has no messages.
pub(super) fn last_id(conn: &Connection, room: &RoomName) -> Result<u64, StoreError> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT last_id FROM rooms WHERE name = ?1")?
        .query_row([room.as_str()], |row| row.get(0))
        .optional()?;
    Ok(last.map_or(0, to_u64))
}

/// Whether a message was ever stored in `room`.
pub(super) fn room_exists(conn: &Connection, room: &RoomName) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM rooms WHERE name = ?1")?
        .exists([room.as_str()])?)
}

/// Up to `limit` public rooms, busiest first, from just after `after` (see [`RoomCursor`]).
/// Private rooms are never listed: their members find them through the directory.
/// Which rooms a page of rooms lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listed {
    /// Public rooms (what everyone's room list shows).
    PublicOnly,
    /// Private rooms and direct messages too (the operators' console).
    All,
}

pub(super) fn rooms_page(
    conn: &Connection,
    after: Option<&RoomCursor>,
    limit: usize,
    private: Listed,
) -> Result<Vec<RoomSummary>, StoreError> {
    let limit = to_i64(limit as u64);
    let public_only = match private {
        Listed::PublicOnly => "AND NOT EXISTS (SELECT 1 FROM private_rooms WHERE room = name)",
        Listed::All => "",
    };
    // A row-value comparison keeps the cursor's condition one range of the index.
    let (mut stmt, bound) = match after {
        None => (
            conn.prepare_cached(&format!(
                "SELECT name, last_id FROM rooms WHERE 1 {public_only}
                 ORDER BY last_id DESC, name DESC LIMIT ?1"
            ))?,
            vec![Value::Integer(limit)],
        ),
        Some(cursor) => (
            conn.prepare_cached(&format!(
                "SELECT name, last_id FROM rooms WHERE (last_id, name) < (?2, ?3)
                   {public_only}
                 ORDER BY last_id DESC, name DESC LIMIT ?1"
            ))?,
            vec![
                Value::Integer(limit),
                Value::Integer(to_i64(cursor.last_id)),
                Value::Text(cursor.room.to_string()),
            ],
        ),
    };
    let rows = stmt.query_map(params_from_iter(bound), |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    let mut rooms = Vec::new();
    for row in rows {
        let (name, last_id) = row?;
        rooms.push(RoomSummary {
            room: parse_stored(&name, RoomName::parse)?,
            last_id: to_u64(last_id),
            mentions: None,
            unread: None,
        });
    }
    Ok(rooms)
}
