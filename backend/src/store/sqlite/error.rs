//! [`SqliteError`]: how the embedded engine fails, beside the failures every store shares
//! ([`StoreError`]).

use super::SyncMode;
use crate::store::StoreError;
use std::sync::Arc;

/// Why the SQLite engine could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// SQLite refused (disk full, I/O error, a locked or corrupt file).
    #[error(transparent)]
    Refused(#[from] rusqlite::Error),
    /// The batch the append was committed in failed as a whole, so none of it was stored;
    /// every caller in the batch is answered with the one cause.
    #[error("a batch of {batch} appends failed: {cause}")]
    BatchFailed {
        /// How many appends the batch held.
        batch: usize,
        /// What failed, shared by every caller of the batch.
        #[source]
        cause: Arc<StoreError>,
    },
    /// `PRAGMA synchronous` read back other than it was set (SQLite ignores a value it does
    /// not know): the durability `--sqlite-sync` promises would not hold, so the store does
    /// not open.
    #[error("PRAGMA synchronous is {level} after setting it to {} ({})", wanted.pragma_level(), wanted.name())]
    SyncNotApplied {
        /// The mode asked for.
        wanted: SyncMode,
        /// The level SQLite reported instead.
        level: i64,
    },
    /// `PRAGMA secure_delete` read back off after turning it on: deleted texts would stay
    /// in the file's free space, so the store does not open.
    #[error("PRAGMA secure_delete is {level} after turning it on")]
    SecureDeleteNotApplied {
        /// The level SQLite reported.
        level: i64,
    },
    /// A stored value the engine writes itself (a change record's kind, a sanction's scope,
    /// subject or kind, an audit action) is not one it knows: a file edited by hand, or
    /// written by a newer version.
    #[error("stored {column} {raw:?} is not one this version knows")]
    Unreadable {
        /// The column it was read from.
        column: &'static str,
        /// The value as stored.
        raw: String,
    },
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    SpawnWriter(#[source] std::io::Error),
    /// A read's task on the blocking pool panicked or was cancelled.
    #[error("a read task failed: {0}")]
    ReadTask(#[from] tokio::task::JoinError),
}
