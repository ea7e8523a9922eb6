//! `chinwag backup`: a consistent copy of a live database file, through SQLite's online backup
//! API.
//!
//! The copy reads the source on a read-only connection of its own, in one step, so it is one
//! read transaction: in WAL mode that sees a single committed state (every message confirmed
//! before it began, none half-written) and never blocks the server's writer, which keeps
//! committing to the WAL meanwhile. (Copied a few pages at a time, the API would restart each
//! time the server wrote, and under steady traffic might never finish.) Only the server's WAL
//! truncation after a deletion waits for the copy, and retries. Restoring is starting a
//! server on the copy.

use rusqlite::{Connection, OpenFlags, backup::Backup};
use std::{fmt, path::Path};

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination exists: a backup never overwrites a file.
    #[error("{0} exists already; choose a new file")]
    DestinationExists(String),
    /// The source is missing or is not a database.
    #[error("cannot open the database {path}: {source}")]
    Source {
        /// The source's path.
        path: String,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// SQLite failed while copying or checking the copy.
    #[error("the backup failed: {0}")]
    Copy(#[from] rusqlite::Error),
    /// The copy does not pass SQLite's own check.
    #[error("the copy fails SQLite's integrity check: {0}")]
    Damaged(String),
}

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Database pages copied.
    pub pages: i32,
    /// Bytes in the copy.
    pub bytes: u64,
}

impl fmt::Display for Copied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "copied {} pages ({} bytes)", self.pages, self.bytes)
    }
}

/// Copies the database at `source` to a new file `dest`, consistently, and checks the copy.
pub fn backup(source: &Path, dest: &Path) -> Result<Copied, BackupError> {
    if dest.exists() {
        return Err(BackupError::DestinationExists(dest.display().to_string()));
    }
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source_err| BackupError::Source {
        path: source.display().to_string(),
        source: source_err,
    })?;
    let mut to = Connection::open(dest)?;
    let pages = {
        let copy = Backup::new(&from, &mut to)?;
        // All remaining pages in one step: one read transaction, one consistent state.
        copy.step(-1)?;
        copy.progress().pagecount
    };
    let verdict: String = to.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if verdict != "ok" {
        return Err(BackupError::Damaged(verdict));
    }
    drop(to);
    let bytes = std::fs::metadata(dest).map_or(0, |meta| meta.len());
    Ok(Copied { pages, bytes })
}
