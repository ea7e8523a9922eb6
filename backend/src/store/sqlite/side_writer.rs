//! [`SideWriter`]: a write connection of its own for a directory (accounts, moderation), used
//! on tokio's blocking pool behind a mutex.
//!
//! Directory writes are rare next to chat appends, so they do not queue behind the log's
//! writer thread; WAL mode lets the connections take turns, each waiting up to the store's
//! busy timeout for the write lock. Invariant: every change made through one is a single
//! statement or one transaction, so a panic mid-way leaves the file consistent.

use super::SqliteError;
use crate::store::StoreError;
use rusqlite::Connection;
use std::{
    path::Path,
    sync::{Arc, Mutex},
};

/// One write connection to the database file, shared by clones.
#[derive(Clone)]
pub(super) struct SideWriter {
    conn: Arc<Mutex<Connection>>,
}

impl SideWriter {
    /// A connection to the database at `path`, whose schema the store has brought up to date.
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        super::hold_query_plans(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `work` on the connection on the blocking pool.
    pub(super) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection as SQLite left it, which
            // is always consistent (every change is one transaction): go on using it.
            let mut conn = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut conn)
        })
        .await
        .map_err(|err| StoreError::Sqlite(SqliteError::ReadTask(err)))?
    }
}
