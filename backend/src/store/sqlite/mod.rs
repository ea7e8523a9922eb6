//! The embedded store: one SQLite file in WAL mode.
//!
//! [`SqliteStore`] ties together the parts, one per file: `writer` (the single writer thread
//! that owns the write connection and group-commits appends (`append`) and edits and
//! deletions (`change`), publishing only after commit, straight to local delivery through a
//! [`ChatPublisher`]), `scrub` (getting deleted texts out of the files), `readers` (a pool of
//! at most [`READERS`] read-only connections on tokio's blocking pool), `queries` and
//! `records` (the reads, rows back to records), `schema` (tables, migrations and the file's
//! epoch) and `sync_mode`. The directories in the same file, [`SqliteAccounts`] and
//! [`SqliteModeration`], write through connections of their own (`side_writer`) and read on
//! the store's pool.
//!
//! Durability is [`SyncMode`]: by default (`Full`) each commit waits for the WAL to be fsynced,
//! so a caller is answered only once its message would survive a power cut. One commit, and so
//! one sync, serves the whole batch; that is what keeps the sync's cost off throughput.
//!
//! A `client_id` is unique per room *and author* (see [`super::author`]); rows from before
//! authors were recorded have none, and count as their username's.

mod account_rows;
mod accounts;
mod api_keys;
mod append;
mod backup;
mod change;
mod error;
mod moderation;
mod queries;
mod readers;
mod records;
mod restore;
mod sanction_rows;
mod schema;
mod scrub;
mod side_writer;
mod sync_mode;
mod values;
mod writer;

#[cfg(test)]
mod account_listing_tests;
#[cfg(test)]
mod accounts_tests;
#[cfg(test)]
mod changes_tests;
#[cfg(test)]
mod migration_tests;
#[cfg(test)]
mod moderation_tests;
#[cfg(test)]
mod restore_tests;
#[cfg(test)]
mod sanctions_tests;
#[cfg(test)]
mod scrub_tests;
#[cfg(test)]
mod tests;

pub use accounts::SqliteAccounts;
pub use backup::{BackupError, Copied, backup};
pub use error::SqliteError;
pub use moderation::SqliteModeration;
pub use readers::READERS;
pub use scrub::ScrubProgress;
pub use sync_mode::SyncMode;
pub use writer::MAX_BATCH;

use super::{
    Appended, Changed, Epoch, NewChange, NewMessage, Occupied, Page, RoomCursor, RoomHead, Store,
    StoreError,
};
use crate::fanout::ChatPublisher;
use async_trait::async_trait;
use chinwag_shared::{ChatRecord, RoomName, RoomSummary};
use readers::ReaderPool;
use rusqlite::Connection;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::sync::{mpsc, oneshot, watch};
use writer::WriteJob;

/// How long a write connection waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    /// One epoch for every room: the database file's, made when the file was created.
    epoch: Epoch,
    writes: mpsc::Sender<WriteJob>,
    readers: ReaderPool,
    /// The write connection's `synchronous` level, as read back from SQLite after setting it.
    sync: SyncMode,
    /// How far deleted texts are gone from the files (see [`SqliteStore::scrubbed`]).
    scrub: watch::Receiver<ScrubProgress>,
    /// The file, which a restore opens a connection of its own to (`restore`).
    path: PathBuf,
}

/// Holds each prepared statement to the query plan it was prepared with, on every connection
/// the store opens (`SQLITE_DBCONFIG_ENABLE_QPSG`).
///
/// Without it, SQLite marks a statement for re-preparing whenever a parameter its planner
/// looked at is bound anew, and the planner looks at `LIMIT ?` (and, in this build with
/// STAT4, at values compared with indexed columns). Every page of history (`LIMIT ?3`) was
/// parsed and planned again on each read: callgrind counted the re-prepare at 47 % of the
/// server's instructions while 1,000 clients joined a room. The statements here are indexed
/// range reads whose best plan does not depend on the values, so one plan is the right one.
pub(super) fn hold_query_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(drop)
}

/// Tries of [`enable_wal`] before its refusal stands, [`WAL_RETRY`] apart.
const WAL_TRIES: u32 = 100;
/// The pause between tries of [`enable_wal`].
const WAL_RETRY: std::time::Duration = std::time::Duration::from_millis(20);

/// Puts the file in WAL mode. Switching needs the file to itself, and SQLite refuses at once
/// (`SQLITE_BUSY`, without waiting out the busy timeout, so as not to deadlock) when another
/// connection is opening it at the same moment: a server starting while `chinwag accounts …`
/// opens the file. So it tries again, bounded; once one of them has switched, the others'
/// switch is a no-op.
pub(super) fn enable_wal(conn: &Connection) -> rusqlite::Result<()> {
    let mut tries = 0;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(err, _))
                if err.code == rusqlite::ErrorCode::DatabaseBusy && tries < WAL_TRIES =>
            {
                tries += 1;
                std::thread::sleep(WAL_RETRY);
            }
            result => return result,
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, commits with `sync`, and starts the
    /// writer thread, which publishes committed records to `publisher`.
    pub fn open(
        path: &Path,
        sync: SyncMode,
        publisher: Arc<dyn ChatPublisher>,
    ) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        hold_query_plans(&conn)?;
        enable_wal(&conn)?;
        let sync = sync_mode::set_sync_mode(&conn, sync)?;
        scrub::secure_delete(&conn)?;
        conn.execute_batch(schema::SCHEMA)?;
        schema::migrate(&mut conn)?;
        let epoch = schema::database_epoch(&conn)?;
        let (writes, scrub) = writer::start(conn, BUSY_TIMEOUT, publisher, Epoch::clone(&epoch))?;
        Ok(Self {
            epoch,
            writes,
            readers: ReaderPool::new(path),
            sync,
            scrub,
            path: path.to_owned(),
        })
    }

    /// The directory (accounts, credentials, private rooms) in the same file, reading through
    /// this store's readers.
    pub fn directory(&self, path: &Path) -> Result<SqliteAccounts, StoreError> {
        SqliteAccounts::open(path, self.readers.clone())
    }

    /// The moderation directory (roles, sanctions, audit log, read markers) in the same
    /// file, reading through this store's readers.
    pub fn moderation(&self, path: &Path) -> Result<SqliteModeration, StoreError> {
        SqliteModeration::open(path, self.readers.clone())
    }

    /// Waits until the text of every deletion committed so far is gone from the database
    /// files (the WAL checkpointed and truncated since). A reader in the middle of a read
    /// delays that; the writer tries again on its own. [`StoreError::Closed`] if the writer
    /// stopped first.
    pub async fn scrubbed(&self) -> Result<(), StoreError> {
        let mut progress = self.scrub.clone();
        progress
            .wait_for(ScrubProgress::is_clean)
            .await
            .map(drop)
            .map_err(|_stopped| StoreError::Closed)
    }

    /// How far each commit is synced: what SQLite reported back after [`SqliteStore::open`]
    /// set it, not merely what was asked for.
    pub fn sync_mode(&self) -> SyncMode {
        self.sync
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn append(&self, message: NewMessage) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(WriteJob::Append(message, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn change(&self, change: NewChange) -> Result<Changed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(WriteJob::Change(change, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError> {
        let room = room.clone();
        self.readers
            .read(move |conn| queries::read_page(conn, &room, page))
            .await
    }

    async fn head(&self, room: &RoomName) -> Result<RoomHead, StoreError> {
        let room = room.clone();
        let last_id = self
            .readers
            .read(move |conn| queries::last_id(conn, &room))
            .await?;
        Ok(RoomHead {
            last_id,
            epoch: Epoch::clone(&self.epoch),
        })
    }

    async fn epoch(&self, _room: &RoomName) -> Result<Epoch, StoreError> {
        Ok(Epoch::clone(&self.epoch))
    }

    fn broadcasts_every_change(&self) -> bool {
        true // one writer, in this process, publishing every commit
    }

    async fn has_room(&self, room: &RoomName) -> Result<bool, StoreError> {
        let room = room.clone();
        self.readers
            .read(move |conn| queries::room_exists(conn, &room))
            .await
    }

    async fn rooms(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        let after = after.cloned();
        self.readers
            .read(move |conn| {
                queries::rooms_page(conn, after.as_ref(), limit, queries::Listed::PublicOnly)
            })
            .await
    }

    async fn rooms_with_private(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        let after = after.cloned();
        self.readers
            .read(move |conn| {
                queries::rooms_page(conn, after.as_ref(), limit, queries::Listed::All)
            })
            .await
    }

    async fn room_names(
        &self,
        after: Option<&RoomName>,
        limit: usize,
    ) -> Result<Vec<RoomName>, StoreError> {
        let after = after.cloned();
        self.readers
            .read(move |conn| restore::room_names(conn, after.as_ref(), limit))
            .await
    }

    async fn restore(
        &self,
        room: &RoomName,
        records: &[ChatRecord],
    ) -> Result<Result<(), Occupied>, StoreError> {
        restore::restore(&self.path, room, records).await
    }

    async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.writes.send(WriteJob::Close(done)).await.is_ok() {
            let _already_stopped = finished.await;
        }
    }
}
