//! [`SyncMode`]: how far the writer's commits are synced before it answers, and the check that
//! SQLite took the setting.
//!
//! `synchronous` belongs to the connection, not the file, so [`set_sync_mode`] sets it on the
//! write connection at every open and reads it back: SQLite ignores a value it does not know
//! without an error, and only the read-back proves the promise made to callers holds.

use super::SqliteError;
use crate::store::StoreError;
use rusqlite::Connection;

/// How far a commit is synced before the writer answers its callers: SQLite's
/// `PRAGMA synchronous` on the write connection (the database is always in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// `synchronous = FULL`: the WAL is fsynced at every commit, so every confirmed message
    /// survives a process crash, an OS crash and a power cut. The default.
    #[default]
    Full,
    /// `synchronous = NORMAL`: the WAL is written at every commit but fsynced only at
    /// checkpoints. Confirmed messages survive a process crash (SIGKILL); an OS crash or a
    /// power cut may lose those committed since the last checkpoint's sync.
    Normal,
}

impl SyncMode {
    /// The value of SQLite's `PRAGMA synchronous` for this mode.
    pub(super) fn pragma_level(self) -> i64 {
        match self {
            Self::Normal => 1,
            Self::Full => 2,
        }
    }

    /// The mode whose `PRAGMA synchronous` value is `level`; `None` for OFF (0) and EXTRA (3),
    /// which Chinwag never sets.
    fn from_pragma_level(level: i64) -> Option<Self> {
        [Self::Normal, Self::Full]
            .into_iter()
            .find(|mode| mode.pragma_level() == level)
    }

    /// The name used by `--sqlite-sync` and in logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Normal => "normal",
        }
    }
}

/// Sets `synchronous` on the write connection and reads it back: SQLite ignores a value it
/// does not know without an error, so only the read-back proves the promise holds.
pub(super) fn set_sync_mode(conn: &Connection, wanted: SyncMode) -> Result<SyncMode, StoreError> {
    conn.pragma_update(None, "synchronous", wanted.pragma_level())?;
    let level: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    match SyncMode::from_pragma_level(level) {
        Some(applied) if applied == wanted => Ok(applied),
        _ => Err(SqliteError::SyncNotApplied { wanted, level }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragma_levels_round_trip_and_off_is_never_a_mode() {
        for mode in [SyncMode::Full, SyncMode::Normal] {
            assert_eq!(SyncMode::from_pragma_level(mode.pragma_level()), Some(mode));
        }
        assert_eq!(SyncMode::from_pragma_level(0), None);
        assert_eq!(SyncMode::from_pragma_level(3), None);
        assert_eq!(SyncMode::default(), SyncMode::Full);
    }
}
