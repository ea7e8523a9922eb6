//! One change (an edit or a deletion) inside the writer's batch transaction.
//!
//! Only the writer thread ([`super::writer`]) calls [`change_one`], on the same transaction
//! as the appends of its batch, so the check of the target, the change record's id and the
//! target's new state are one atomic step, in id order with the appends. A deletion empties
//! the message's text and the text of each of its edit records; the connection's
//! `secure_delete` zeroes the freed bytes, and the writer then checkpoints the WAL away
//! ([`super::scrub`]), so the text leaves the files, not merely the rows.

use super::append::next_id;
use super::records::ChangeKind;
use super::values::to_i64;
use crate::store::{ChangeAction, Changed, NewChange, StoreError};
use chinwag_shared::{Change, ChatRecord};
use rusqlite::{Connection, OptionalExtension, params};

/// What the target of a change is, as stored.
enum Target {
    /// No record has that id, or it is a change record.
    NoMessage,
    /// A deleted message.
    Deleted,
    /// A message that may change.
    Live,
}

/// Applies `change` at `ts`: stores its change record as the room's next record and brings
/// the message to its new state, or says why not (nothing written then).
pub(super) fn change_one(
    conn: &Connection,
    change: &NewChange,
    ts: u64,
) -> Result<Changed, StoreError> {
    match target(conn, change)? {
        Target::NoMessage => return Ok(Changed::NoSuchMessage),
        Target::Deleted => return Ok(Changed::AlreadyDeleted),
        Target::Live => {}
    }
    let id = next_id(conn, &change.room)?;
    let (kind, text, moderator) = match &change.action {
        ChangeAction::Edit(text) => (ChangeKind::Edit, text.as_str(), false),
        ChangeAction::Delete { moderator } => (ChangeKind::Delete, "", *moderator),
    };
    conn.prepare_cached(
        "INSERT INTO messages (room, id, username, message, ts, guest, change_kind, target,
                               moderator)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        change.room.as_str(),
        to_i64(id),
        change.actor.as_str(),
        text,
        to_i64(ts),
        change.guest,
        kind.as_str(),
        to_i64(change.target),
        moderator,
    ])?;
    match kind {
        ChangeKind::Edit => edit_target(conn, change, id, text)?,
        ChangeKind::Delete => delete_target(conn, change, id, moderator)?,
    }
    Ok(Changed::Stored(ChatRecord {
        id,
        room: change.room.clone(),
        username: change.actor.clone(),
        message: text.to_owned(),
        ts,
        guest: change.guest,
        bot: false,
        client_id: None,
        change: Some(match kind {
            ChangeKind::Edit => Change::Edit {
                target: change.target,
            },
            ChangeKind::Delete => Change::Delete {
                target: change.target,
                moderator,
            },
        }),
        edited: None,
        deleted: None,
    }))
}

fn target(conn: &Connection, change: &NewChange) -> Result<Target, StoreError> {
    let row: Option<(Option<String>, Option<i64>)> = conn
        .prepare_cached("SELECT change_kind, deleted_id FROM messages WHERE room = ?1 AND id = ?2")?
        .query_row(
            params![change.room.as_str(), to_i64(change.target)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None | Some((Some(_), _)) => Target::NoMessage,
        Some((None, Some(_))) => Target::Deleted,
        Some((None, None)) => Target::Live,
    })
}

fn edit_target(
    conn: &Connection,
    change: &NewChange,
    edit_id: u64,
    text: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE messages SET message = ?3, edited = ?4 WHERE room = ?1 AND id = ?2",
    )?
    .execute(params![
        change.room.as_str(),
        to_i64(change.target),
        text,
        to_i64(edit_id)
    ])?;
    Ok(())
}

fn delete_target(
    conn: &Connection,
    change: &NewChange,
    delete_id: u64,
    moderator: bool,
) -> Result<(), StoreError> {
    let (room, target) = (change.room.as_str(), to_i64(change.target));
    conn.prepare_cached(
        "UPDATE messages SET message = '', deleted_id = ?3, deleted_by = ?4
         WHERE room = ?1 AND id = ?2",
    )?
    .execute(params![
        room,
        target,
        to_i64(delete_id),
        moderator.then(|| change.actor.as_str())
    ])?;
    // Every earlier version of the text lives on in an edit record: those go too.
    conn.prepare_cached(
        "UPDATE messages SET message = ''
         WHERE room = ?1 AND target = ?2 AND change_kind = ?3 AND message <> ''",
    )?
    .execute(params![room, target, ChangeKind::Edit.as_str()])?;
    Ok(())
}
