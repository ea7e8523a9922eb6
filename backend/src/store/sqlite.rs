//! The embedded store: one SQLite file in WAL mode.
//!
//! Writes go through a single writer thread that owns the write connection. It blocks for the
//! first queued append, takes every other append already waiting (up to [`MAX_BATCH`]), and
//! commits them in one transaction — group commit with no added latency when idle. Only after
//! the commit does it publish the new records to fan-out, in id order, and answer the callers.
//! Reads use a small pool of read-only connections on tokio's blocking pool; WAL lets them run
//! beside the writer.
//!
//!
//! Durability is [`SyncMode`]: by default (`Full`) each commit waits for the WAL to be fsynced,
//! so a caller is answered only once its message would survive a power cut. One commit, and so
//! one sync, serves the whole batch; that is what keeps the sync's cost off throughput.

use super::{Appended, Epoch, NewMessage, Page, RoomHead, Store, StoreError};
use crate::fanout::{Fanout, Frame};
use async_trait::async_trait;
use chinwag_shared::{ChatRecord, ClientId, RoomName, RoomSummary, Username};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    thread,
    time::{SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, oneshot};

/// Most appends committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// Appends waiting for the writer; senders wait (backpressure) when it is full.
const WRITE_QUEUE: usize = 4_096;

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
    fn pragma_level(self) -> i64 {
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

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name    TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    room      TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    username  TEXT    NOT NULL,
    message   TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    client_id TEXT,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id
    ON messages (room, client_id) WHERE client_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

enum WriteJob {
    Append(NewMessage, oneshot::Sender<Result<Appended, StoreError>>),
    Close(oneshot::Sender<()>),
}

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    /// One epoch for every room: the database file's, made when the file was created.
    epoch: Epoch,
    writes: mpsc::Sender<WriteJob>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// The write connection's `synchronous` level, as read back from SQLite after setting it.
    sync: SyncMode,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, commits with `sync`, and starts the
    /// writer thread, which publishes committed records to `fanout`.
    pub fn open(path: &Path, sync: SyncMode, fanout: Arc<dyn Fanout>) -> Result<Self, StoreError> {
        let writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let sync = set_sync_mode(&writer, sync)?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        writer.execute_batch(SCHEMA)?;
        let epoch = database_epoch(&writer)?;
        let (writes, queue) = mpsc::channel(WRITE_QUEUE);
        let writer_epoch = Arc::clone(&epoch);
        thread::Builder::new()
            .name("chinwag-sqlite-writer".into())
            .spawn(move || {
                Writer {
                    conn: writer,
                    fanout,
                    epoch: writer_epoch,
                }
                .run(queue)
            })
            .map_err(|err| StoreError::TaskFailed(format!("spawn writer: {err}")))?;
        Ok(Self {
            path: path.to_owned(),
            epoch,
            writes,
            readers: Arc::default(),
            sync,
        })
    }

    /// How far each commit is synced: what SQLite reported back after [`SqliteStore::open`]
    /// set it, not merely what was asked for.
    pub fn sync_mode(&self) -> SyncMode {
        self.sync
    }

    /// Runs `read` on a pooled read-only connection, off the async workers.
    async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
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
        .map_err(|err| StoreError::TaskFailed(err.to_string()))?
    }
}

/// The database's epoch, minted the first time this file is opened. A fresh file (the old
/// one deleted or swapped) gets a new one, which is how clients learn their ids are stale.
fn database_epoch(conn: &Connection) -> Result<Epoch, StoreError> {
    let minted = format!("sqlite-{:x}", now_nanos());
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('epoch', ?1) ON CONFLICT (key) DO NOTHING",
        [minted],
    )?;
    let epoch: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |row| {
            row.get(0)
        })?;
    Ok(Epoch::from(epoch))
}

/// Sets `synchronous` on the write connection and reads it back: SQLite ignores a value it
/// does not know without an error, so only the read-back proves the promise holds.
fn set_sync_mode(conn: &Connection, wanted: SyncMode) -> Result<SyncMode, StoreError> {
    conn.pragma_update(None, "synchronous", wanted.pragma_level())?;
    let level: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    match SyncMode::from_pragma_level(level) {
        Some(applied) if applied == wanted => Ok(applied),
        _ => Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(format!(
                "PRAGMA synchronous is {level} after setting it to {} ({})",
                wanted.pragma_level(),
                wanted.name()
            )),
        ))),
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
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

    async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError> {
        let room = room.clone();
        self.read(move |conn| read_page(conn, &room, page)).await
    }

    async fn head(&self, room: &RoomName) -> Result<RoomHead, StoreError> {
        let room = room.clone();
        let last_id = self
            .read(move |conn| {
                let last: Option<i64> = conn
                    .prepare_cached("SELECT last_id FROM rooms WHERE name = ?1")?
                    .query_row([room.as_str()], |row| row.get(0))
                    .optional()?;
                Ok(last.map_or(0, to_u64))
            })
            .await?;
        Ok(RoomHead {
            last_id,
            epoch: Arc::clone(&self.epoch),
        })
    }

    async fn epoch(&self, _room: &RoomName) -> Result<Epoch, StoreError> {
        Ok(Arc::clone(&self.epoch))
    }

    fn broadcasts_every_change(&self) -> bool {
        true // one writer, in this process, publishing every commit
    }

    async fn rooms(&self) -> Result<Vec<RoomSummary>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT name, last_id FROM rooms ORDER BY name")?;
            let rows = stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            let mut rooms = Vec::new();
            for row in rows {
                let (name, last_id) = row?;
                rooms.push(RoomSummary {
                    room: parse_stored(&name, RoomName::parse)?,
                    last_id: to_u64(last_id),
                });
            }
            Ok(rooms)
        })
        .await
    }

    async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.writes.send(WriteJob::Close(done)).await.is_ok() {
            let _already_stopped = finished.await;
        }
    }
}

fn read_page(
    conn: &Connection,
    room: &RoomName,
    page: Page,
) -> Result<Vec<ChatRecord>, StoreError> {
    let (sql, bound, limit) = match page {
        Page::After { after, limit } => (
            "SELECT id, username, message, ts, client_id FROM messages
             WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3",
            after,
            limit,
        ),
        Page::Before { before, limit } => (
            "SELECT id, username, message, ts, client_id FROM messages
             WHERE room = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
            before,
            limit,
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![room.as_str(), to_i64(bound), to_i64(limit as u64)],
        StoredRow::from_row,
    )?;
    let mut records = rows
        .map(|row| row?.into_record(room))
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(page, Page::Before { .. }) {
        records.reverse();
    }
    Ok(records)
}

/// A message row as SQLite holds it, before re-validation.
struct StoredRow {
    id: i64,
    username: String,
    message: String,
    ts: i64,
    client_id: Option<String>,
}

impl StoredRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            username: row.get(1)?,
            message: row.get(2)?,
            ts: row.get(3)?,
            client_id: row.get(4)?,
        })
    }

    fn into_record(self, room: &RoomName) -> Result<ChatRecord, StoreError> {
        Ok(ChatRecord {
            id: to_u64(self.id),
            room: room.clone(),
            username: parse_stored(&self.username, Username::parse)?,
            message: self.message,
            ts: to_u64(self.ts),
            client_id: self
                .client_id
                .as_deref()
                .map(|id| parse_stored(id, ClientId::parse))
                .transpose()?,
        })
    }
}

fn parse_stored<T>(
    raw: &str,
    parse: fn(&str) -> Result<T, chinwag_shared::ValidationError>,
) -> Result<T, StoreError> {
    parse(raw).map_err(|err| StoreError::Corrupt(format!("{raw:?}: {err}")))
}

// SQLite integers are i64; ids, timestamps and limits are never negative and stay far below
// i64::MAX, so these conversions saturate instead of wrapping on corrupt data.
fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The writer thread's state: the only connection that writes.
struct Writer {
    conn: Connection,
    fanout: Arc<dyn Fanout>,
    epoch: Epoch,
}

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<WriteJob>) {
        let mut batch: Vec<(NewMessage, Reply)> = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = queue.blocking_recv() {
            let mut closing = None;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match job {
                    WriteJob::Append(message, reply) => batch.push((message, reply)),
                    WriteJob::Close(done) => {
                        closing = Some(done);
                        break;
                    }
                }
                if batch.len() < MAX_BATCH {
                    next = queue.try_recv().ok();
                }
            }
            self.commit_batch(&mut batch);
            if let Some(done) = closing {
                queue.close();
                // Appends that raced in behind the close are refused, not dropped silently.
                while let Ok(job) = queue.try_recv() {
                    if let WriteJob::Append(_, reply) = job {
                        let _caller_gone = reply.send(Err(StoreError::Closed));
                    }
                }
                let _caller_gone = done.send(());
                break;
            }
        }
        tracing::debug!("sqlite writer stopped");
    }

    /// Commits `batch` in one transaction, then publishes and answers in order. One commit is
    /// one WAL sync under [`SyncMode::Full`], however many appends the batch holds, so callers
    /// who arrive while a sync runs share the next one.
    fn commit_batch(&mut self, batch: &mut Vec<(NewMessage, Reply)>) {
        if batch.is_empty() {
            return;
        }
        match self.write_all(batch) {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    if let Appended::Stored(record) = &outcome {
                        self.fanout.publish(Frame::chat(record, &self.epoch));
                    }
                    let _caller_gone = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, batch = batch.len(), "append batch failed");
                for (_, reply) in batch.drain(..) {
                    let _caller_gone = reply.send(Err(StoreError::WriteFailed(err.to_string())));
                }
            }
        }
    }

    fn write_all(&mut self, batch: &[(NewMessage, Reply)]) -> Result<Vec<Appended>, StoreError> {
        let tx = self.conn.transaction()?;
        let ts = now_ms();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (message, _) in batch {
            outcomes.push(append_one(&tx, message, ts)?);
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

fn append_one(conn: &Connection, message: &NewMessage, ts: u64) -> Result<Appended, StoreError> {
    if let Some(client_id) = &message.client_id {
        let earlier = conn
            .prepare_cached(
                "SELECT id, username, message, ts, client_id FROM messages
                 WHERE room = ?1 AND client_id = ?2",
            )?
            .query_row(
                params![message.room.as_str(), client_id.as_str()],
                StoredRow::from_row,
            )
            .optional()?;
        if let Some(row) = earlier {
            return Ok(Appended::Duplicate(row.into_record(&message.room)?));
        }
    }
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO rooms (name, last_id) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET last_id = last_id + 1
             RETURNING last_id",
        )?
        .query_row([message.room.as_str()], |row| row.get(0))?;
    conn.prepare_cached(
        "INSERT INTO messages (room, id, username, message, ts, client_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        message.room.as_str(),
        id,
        message.username.as_str(),
        message.text.as_str(),
        to_i64(ts),
        message.client_id.as_ref().map(ClientId::as_str),
    ])?;
    Ok(Appended::Stored(ChatRecord {
        id: to_u64(id),
        room: message.room.clone(),
        username: message.username.clone(),
        message: message.text.as_str().to_owned(),
        ts,
        client_id: message.client_id.clone(),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use chinwag_shared::MessageText;

    /// Fan-out that goes nowhere: these tests look at the store alone.
    struct Nowhere;

    impl Fanout for Nowhere {
        fn publish(&self, _frame: Arc<Frame>) {}
    }

    fn message(text: &str) -> NewMessage {
        NewMessage {
            room: RoomName::parse("durable").unwrap(),
            username: Username::parse("alice").unwrap(),
            text: MessageText::parse(text).unwrap(),
            client_id: None,
        }
    }

    #[tokio::test]
    async fn each_sync_mode_is_what_sqlite_reports_on_the_write_connection() {
        for mode in [SyncMode::Full, SyncMode::Normal] {
            let dir = tempfile::tempdir().unwrap();
            let store =
                SqliteStore::open(&dir.path().join("t.db"), mode, Arc::new(Nowhere)).unwrap();
            assert_eq!(store.sync_mode(), mode);
            let appended = store.append(message("kept")).await.unwrap();
            assert!(matches!(appended, Appended::Stored(record) if record.id == 1));
            store.close().await;
        }
    }

    #[tokio::test]
    async fn reopening_with_the_other_mode_takes_the_new_one() {
        // `synchronous` belongs to the connection, not the file: nothing sticks from last time.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let first = SqliteStore::open(&path, SyncMode::Normal, Arc::new(Nowhere)).unwrap();
        first.close().await;
        let second = SqliteStore::open(&path, SyncMode::Full, Arc::new(Nowhere)).unwrap();
        assert_eq!(second.sync_mode(), SyncMode::Full);
        second.close().await;
    }

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
