//! [`ReaderPool`]: the read-only connections the store's reads run on, off the async workers.
//!
//! WAL lets readers run beside the writer. The pool is bounded: at most [`READERS`] reads run
//! at once (the rest wait their turn, asynchronously, for a permit) and at most that many
//! connections stay open. A connection is opened only when a read finds none idle, and kept
//! for the next. Unbounded, 200 concurrent requests left 200 reader connections (402
//! descriptors) open for good.

use super::SqliteError;
use crate::store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};
use tokio::sync::Semaphore;

/// Reads that run at once, and reader connections kept open. Reads are short (an indexed
/// range of at most a page), so a few connections keep both cores busy.
pub const READERS: usize = 8;

/// Read-only connections to one database file. A clone shares the same connections and bound.
#[derive(Clone)]
pub(super) struct ReaderPool {
    path: PathBuf,
    /// Connections not in use right now; never more than [`READERS`].
    idle: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read running, [`READERS`] in all.
    reading: Arc<Semaphore>,
}

impl ReaderPool {
    /// A pool for the database at `path`, which opens its connections as reads need them.
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Arc::default(),
            reading: Arc::new(Semaphore::new(READERS)),
        }
    }

    /// Runs `read` on a pooled read-only connection, on tokio's blocking pool.
    pub(super) async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.idle);
        let path = self.path.clone();
        // Waiting here (not on a blocking thread) keeps both the running reads and the open
        // connections at READERS: a connection is only opened when none is idle, and one is
        // idle whenever a permit is free.
        let permit = Arc::clone(&self.reading)
            .acquire_owned()
            .await
            .map_err(|_closed| StoreError::Closed)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = pool.lock().map_or(None, |mut idle| idle.pop());
            let conn = match pooled {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let result = read(&conn);
            if let Ok(mut idle) = pool.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(SqliteError::ReadTask)?
    }

    /// Connections open and idle right now.
    #[cfg(test)]
    pub(super) fn idle(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    super::hold_query_plans(&conn)?;
    Ok(conn)
}
