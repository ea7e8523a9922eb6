//! One append inside the writer's batch transaction: the author's `client_id` lookup, then
//! the room's next id and the new row.
//!
//! Only the writer thread ([`super::writer`]) calls it, on its transaction, so ids are taken
//! one at a time: [`next_id`] is the one place a record (message or change) gets its id, from
//! `rooms.last_id`, which therefore always names the room's newest record.

use super::records::{StoredRow, record_columns};
use super::values::{to_i64, to_u64};
use crate::store::{Appended, NewMessage, StoreError};
use chinwag_shared::{ChatRecord, ClientId, RoomName};
use rusqlite::{Connection, OptionalExtension, params};

/// Stores `message` at `ts` as `room`'s next record, or answers with its author's earlier
/// copy (in its current state) when the `client_id` is taken.
pub(super) fn append_one(
    conn: &Connection,
    message: &NewMessage,
    ts: u64,
) -> Result<Appended, StoreError> {
    if let Some(client_id) = &message.client_id {
        // A row from before authors were recorded (NULL) is taken as its username's: that
        // is as close as the old data allows, and `retry_of` refuses anything but the same
        // name and text. The author's own row wins if both exist.
        // INDEXED BY: without statistics the planner took the `OR` below as a reason to walk
        // the room's whole primary key, one scan of the room per append (550 µs of CPU per
        // message at 14,000 messages, against 24 µs). Named, the index is one probe, and
        // SQLite refuses the statement rather than fall back to a scan.
        // The row read is the message's current state, so a retry after an edit or a
        // deletion is answered with the new text or the tombstone.
        let earlier = conn
            .prepare_cached(concat!(
                "SELECT ",
                record_columns!(),
                " FROM messages INDEXED BY messages_author_client_id
                 WHERE room = ?1 AND client_id = ?2
                   AND (author = ?3 OR (author IS NULL AND username = ?4))
                 ORDER BY author IS NULL LIMIT 1"
            ))?
            .query_row(
                params![
                    message.room.as_str(),
                    client_id.as_str(),
                    message.author.key(),
                    message.username.as_str()
                ],
                StoredRow::from_row,
            )
            .optional()?;
        if let Some(row) = earlier {
            return Ok(Appended::retry_of(message, row.into_record(&message.room)?));
        }
    }
    let id = next_id(conn, &message.room)?;
    conn.prepare_cached(
        "INSERT INTO messages (room, id, username, message, ts, client_id, author, guest, bot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        message.room.as_str(),
        to_i64(id),
        message.username.as_str(),
        message.text.as_str(),
        to_i64(ts),
        message.client_id.as_ref().map(ClientId::as_str),
        message.client_id.as_ref().map(|_| message.author.key()),
        message.guest,
        message.bot,
    ])?;
    Ok(Appended::Stored(ChatRecord {
        id,
        room: message.room.clone(),
        username: message.username.clone(),
        message: message.text.as_str().to_owned(),
        ts,
        guest: message.guest,
        bot: message.bot,
        client_id: message.client_id.clone(),
        change: None,
        deleted: None,
        edited: None,
    }))
}

/// Takes `room`'s next id (creating the room at 1), so `rooms.last_id` moves with every
/// record, messages and change records alike.
pub(super) fn next_id(conn: &Connection, room: &RoomName) -> Result<u64, StoreError> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO rooms (name, last_id) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET last_id = last_id + 1
             RETURNING last_id",
        )?
        .query_row([room.as_str()], |row| row.get(0))?;
    Ok(to_u64(id))
}
