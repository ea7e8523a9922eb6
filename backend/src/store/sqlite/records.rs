//! A row of the `messages` table as a [`ChatRecord`]: the columns every read of records
//! selects (`record_columns!`), how a change record's kind is stored ([`ChangeKind`]), and
//! [`StoredRow`], which validates a row on its way out.
//!
//! The page reads (`queries`) and the writer's `client_id` lookup both read through here, so
//! a retry's answer and a page show a message in the same current state: its latest text,
//! `edited`, or its tombstone. Invariant: nothing leaves without passing validation again
//! (a file edited by hand yields an error, never an invalid name inside the server), and no
//! record leaves with its `client_id`.

use super::{
    SqliteError,
    values::{parse_stored, to_u64},
};
use crate::store::StoreError;
use chinwag_shared::{Change, ChatRecord, Deletion, RoomName, Username};
use rusqlite::Row;

/// The columns [`StoredRow::from_row`] reads, in its order; every query of records selects
/// exactly these. A macro, not a const, so queries can `concat!` it into a literal and stay
/// free of a format per call (the writer's `client_id` lookup runs once per append).
macro_rules! record_columns {
    () => {
        "id, username, message, ts, guest, change_kind, target, moderator, edited, deleted_id, \
         deleted_by, bot"
    };
}
pub(super) use record_columns;

/// What a change record does, as its `change_kind` column holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChangeKind {
    /// An edit of its target.
    Edit,
    /// The deletion of its target.
    Delete,
}

impl ChangeKind {
    /// The stored form.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Edit => "edit",
            ChangeKind::Delete => "delete",
        }
    }

    /// Reads the stored form.
    fn parse(raw: &str) -> Option<Self> {
        [ChangeKind::Edit, ChangeKind::Delete]
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }
}

/// A record's row as SQLite holds it, before re-validation. Its `client_id` is never read
/// back: a record leaves the store as everyone but its author sees it.
pub(super) struct StoredRow {
    id: i64,
    username: String,
    message: String,
    ts: i64,
    guest: bool,
    change_kind: Option<String>,
    target: Option<i64>,
    moderator: bool,
    edited: Option<i64>,
    deleted_id: Option<i64>,
    deleted_by: Option<String>,
    bot: bool,
}

impl StoredRow {
    /// Reads a row selected with [`RECORD_COLUMNS`].
    pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            username: row.get(1)?,
            message: row.get(2)?,
            ts: row.get(3)?,
            guest: row.get(4)?,
            change_kind: row.get(5)?,
            target: row.get(6)?,
            moderator: row.get(7)?,
            edited: row.get(8)?,
            deleted_id: row.get(9)?,
            deleted_by: row.get(10)?,
            bot: row.get(11)?,
        })
    }

    /// The record of `room` this row holds, validated.
    pub(super) fn into_record(self, room: &RoomName) -> Result<ChatRecord, StoreError> {
        let change = self.change()?;
        let deleted = match self.deleted_id {
            None => None,
            Some(id) => Some(Deletion {
                id: to_u64(id),
                by: self
                    .deleted_by
                    .as_deref()
                    .map(|by| parse_stored(by, Username::parse))
                    .transpose()?,
            }),
        };
        Ok(ChatRecord {
            id: to_u64(self.id),
            room: room.clone(),
            username: parse_stored(&self.username, Username::parse)?,
            message: self.message,
            ts: to_u64(self.ts),
            guest: self.guest,
            bot: self.bot,
            client_id: None,
            change,
            edited: self.edited.map(to_u64),
            deleted,
        })
    }

    fn change(&self) -> Result<Option<Change>, StoreError> {
        let Some(raw) = &self.change_kind else {
            return Ok(None);
        };
        let unreadable = || SqliteError::Unreadable {
            column: "change_kind",
            raw: raw.clone(),
        };
        let target = to_u64(self.target.ok_or_else(unreadable)?);
        Ok(Some(
            match ChangeKind::parse(raw).ok_or_else(unreadable)? {
                ChangeKind::Edit => Change::Edit { target },
                ChangeKind::Delete => Change::Delete {
                    target,
                    moderator: self.moderator,
                },
            },
        ))
    }
}
