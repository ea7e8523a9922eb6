//! The embedded store: one SQLite file in WAL mode.
//!
//! Writes go through a single writer thread that owns the write connection. It blocks for the
//! first queued append, takes every other append already waiting (up to [`MAX_BATCH`]), and
//! commits them in one transaction — group commit with no added latency when idle. Only after
//! the commit does it publish the new records to fan-out, in id order, and answer the callers.
//! Reads use a small pool of read-only connections on tokio's blocking pool; WAL lets them run
//! beside the writer. The pool is bounded: at most [`READERS`] reads run at once (the rest wait
//! their turn, asynchronously) and at most that many connections stay open. Unbounded, 200
//! concurrent requests left 200 reader connections (402 descriptors) open for good.
//!
//!
//! Durability is [`SyncMode`]: by default (`Full`) each commit waits for the WAL to be fsynced,
//! so a caller is answered only once its message would survive a power cut. One commit, and so
//! one sync, serves the whole batch; that is what keeps the sync's cost off throughput.
//!
//! Schema changes are `MIGRATIONS`, applied in order on open and counted in SQLite's
//! `user_version`, so a database file written by any earlier version opens and keeps working.
//! A `client_id` is unique per room *and author* (see [`super::author`]); rows from before
//! authors were recorded have none, and count as their username's.

use super::{Appended, Epoch, NewMessage, Page, RoomCursor, RoomHead, Store, StoreError};
use crate::{delivery::frame::Frame, fanout::Fanout};
use async_trait::async_trait;
use chinwag_shared::{ChatRecord, ClientId, RoomName, RoomSummary, Username};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, params, params_from_iter, types::Value,
};
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
-- The room list, busiest first (see `RoomCursor`): one page is an index range scan, however
-- many rooms there are.
CREATE INDEX IF NOT EXISTS rooms_by_size ON rooms (last_id DESC, name DESC);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// Changes to [`SCHEMA`] (the first version's tables, kept as they were so old files and new
/// ones take the same path), in order: the database's `user_version` counts how many have
/// run. Files from before migrations existed are at 0 and have what the first one makes.
const MIGRATIONS: &[&str] = &[
    // 1. A client_id is stored once per room. (Part of the first schema: a no-op on its files.)
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id
         ON messages (room, client_id) WHERE client_id IS NOT NULL;",
    // 2. A client_id belongs to its author (issue 12): Mallory's use of Vic's id no longer
    //    makes Vic's send a "duplicate". `author` is `Author::key`, set when there is a
    //    client_id; old rows keep NULL. The unique index leads with (room, client_id), so the
    //    dedupe lookup stays one index probe, and NULL authors never collide.
    "ALTER TABLE messages ADD COLUMN author TEXT;
     DROP INDEX IF EXISTS messages_client_id;
     CREATE UNIQUE INDEX messages_author_client_id
         ON messages (room, client_id, author) WHERE client_id IS NOT NULL;",
];

enum WriteJob {
    Append(NewMessage, oneshot::Sender<Result<Appended, StoreError>>),
    Close(oneshot::Sender<()>),
}

/// Reads that run at once, and reader connections kept open. Reads are short (an indexed
/// range of at most a page), so a few connections keep both cores busy.
pub const READERS: usize = 8;

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    /// One epoch for every room: the database file's, made when the file was created.
    epoch: Epoch,
    writes: mpsc::Sender<WriteJob>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per read running, [`READERS`] in all.
    reading: Arc<tokio::sync::Semaphore>,
    /// The write connection's `synchronous` level, as read back from SQLite after setting it.
    sync: SyncMode,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, commits with `sync`, and starts the
    /// writer thread, which publishes committed records to `fanout`.
    pub fn open(path: &Path, sync: SyncMode, fanout: Arc<dyn Fanout>) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let sync = set_sync_mode(&writer, sync)?;
        writer.busy_timeout(std::time::Duration::from_secs(5))?;
        writer.execute_batch(SCHEMA)?;
        migrate(&mut writer)?;
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
            reading: Arc::new(tokio::sync::Semaphore::new(READERS)),
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
        .map_err(|err| StoreError::TaskFailed(err.to_string()))?
    }
}

/// Runs the [`MIGRATIONS`] this file has not had yet, each in its own transaction with the
/// version it brings, so a crash mid-way leaves the file at a version it fully has.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let done: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let done = usize::try_from(done).unwrap_or(0);
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "sqlite schema migrated");
    }
    Ok(())
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

    async fn has_room(&self, room: &RoomName) -> Result<bool, StoreError> {
        let room = room.clone();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM rooms WHERE name = ?1")?
                .exists([room.as_str()])?)
        })
        .await
    }

    async fn rooms(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        let after = after.cloned();
        let limit = to_i64(limit as u64);
        self.read(move |conn| {
            // A row-value comparison keeps the cursor's condition one range of the index.
            let (mut stmt, bound) = match &after {
                None => (
                    conn.prepare_cached(
                        "SELECT name, last_id FROM rooms
                         ORDER BY last_id DESC, name DESC LIMIT ?1",
                    )?,
                    vec![Value::Integer(limit)],
                ),
                Some(cursor) => (
                    conn.prepare_cached(
                        "SELECT name, last_id FROM rooms WHERE (last_id, name) < (?2, ?3)
                         ORDER BY last_id DESC, name DESC LIMIT ?1",
                    )?,
                    vec![
                        Value::Integer(limit),
                        Value::Integer(to_i64(cursor.last_id)),
                        Value::Text(cursor.room.to_string()),
                    ],
                ),
            };
            let rows = stmt.query_map(params_from_iter(bound), |row| {
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
            "SELECT id, username, message, ts FROM messages
             WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3",
            after,
            limit,
        ),
        Page::Before { before, limit } => (
            "SELECT id, username, message, ts FROM messages
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
    // Rows are decoded one at a time and reading stops at the byte budget, so a page of
    // heavy messages never sits in memory whole.
    let mut records = super::take_page(rows.map(|row| row?.into_record(room)), limit)?;
    if matches!(page, Page::Before { .. }) {
        records.reverse();
    }
    Ok(records)
}

/// A message row as SQLite holds it, before re-validation. Its `client_id` is never read
/// back: a record leaves the store as everyone but its author sees it.
struct StoredRow {
    id: i64,
    username: String,
    message: String,
    ts: i64,
}

impl StoredRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            username: row.get(1)?,
            message: row.get(2)?,
            ts: row.get(3)?,
        })
    }

    fn into_record(self, room: &RoomName) -> Result<ChatRecord, StoreError> {
        Ok(ChatRecord {
            id: to_u64(self.id),
            room: room.clone(),
            username: parse_stored(&self.username, Username::parse)?,
            message: self.message,
            ts: to_u64(self.ts),
            client_id: None,
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
        // A row from before authors were recorded (NULL) is taken as its username's: that
        // is as close as the old data allows, and `retry_of` refuses anything but the same
        // name and text. The author's own row wins if both exist.
        // INDEXED BY: without statistics the planner took the `OR` below as a reason to walk
        // the room's whole primary key, one scan of the room per append (550 µs of CPU per
        // message at 14,000 messages, against 24 µs). Named, the index is one probe, and
        // SQLite refuses the statement rather than fall back to a scan.
        let earlier = conn
            .prepare_cached(
                "SELECT id, username, message, ts
                 FROM messages INDEXED BY messages_author_client_id
                 WHERE room = ?1 AND client_id = ?2
                   AND (author = ?3 OR (author IS NULL AND username = ?4))
                 ORDER BY author IS NULL LIMIT 1",
            )?
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
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO rooms (name, last_id) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET last_id = last_id + 1
             RETURNING last_id",
        )?
        .query_row([message.room.as_str()], |row| row.get(0))?;
    conn.prepare_cached(
        "INSERT INTO messages (room, id, username, message, ts, client_id, author)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        message.room.as_str(),
        id,
        message.username.as_str(),
        message.text.as_str(),
        to_i64(ts),
        message.client_id.as_ref().map(ClientId::as_str),
        message.client_id.as_ref().map(|_| message.author.key()),
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
    use crate::store::Author;
    use chinwag_shared::MessageText;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct NoFanout;

    impl Fanout for NoFanout {
        fn publish(&self, _frame: Arc<Frame>) {}
    }

    fn message(username: &str, text: &str, client_id: &str) -> NewMessage {
        let username = Username::parse(username).unwrap();
        NewMessage {
            room: RoomName::parse("r").unwrap(),
            author: Author::name(&username),
            username,
            text: MessageText::parse(text).unwrap(),
            client_id: Some(ClientId::parse(client_id).unwrap()),
        }
    }

    /// A database as the version before authors wrote it (its schema, `user_version` 0), with
    /// one row that has a client_id.
    fn write_old_database(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO rooms (name, last_id) VALUES ('r', 1);
             INSERT INTO messages (room, id, username, message, ts, client_id)
             VALUES ('r', 1, 'ada', 'old', 1700000000000, 'c-1');",
        )
        .unwrap();
    }

    #[tokio::test]
    async fn an_old_database_migrates_and_its_rows_still_answer_their_authors_retries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        write_old_database(&path);
        let store = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();

        let retry = store.append(message("ada", "old", "c-1")).await.unwrap();
        let Appended::Duplicate(record) = retry else {
            panic!("the old row answers its author's retry: {retry:?}");
        };
        assert_eq!((record.id, record.client_id.unwrap().as_str()), (1, "c-1"));
        assert_eq!(
            store.append(message("ada", "new", "c-1")).await.unwrap(),
            Appended::Reused
        );
        let someone_else = store.append(message("bob", "mine", "c-1")).await.unwrap();
        assert!(
            matches!(&someone_else, Appended::Stored(record) if record.id == 2),
            "another author's id is another message: {someone_else:?}"
        );
        let room = RoomName::parse("r").unwrap();
        let page = store
            .page(
                &room,
                Page::After {
                    after: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        let seen: Vec<_> = page.iter().map(|r| (r.id, r.client_id.clone())).collect();
        assert_eq!(seen, [(1, None), (2, None)], "pages carry no client_id");
        store.close().await;

        // Opening it again runs nothing twice.
        let store = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();
        let again = store.append(message("bob", "mine", "c-1")).await.unwrap();
        assert!(matches!(again, Appended::Duplicate(record) if record.id == 2));
        store.close().await;
    }

    #[tokio::test]
    async fn many_concurrent_reads_use_at_most_the_pooled_connections() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(
                &dir.path().join("t.db"),
                SyncMode::Normal,
                Arc::new(NoFanout),
            )
            .unwrap(),
        );
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let (store, running, most) =
                (Arc::clone(&store), Arc::clone(&running), Arc::clone(&most));
            reads.spawn(async move {
                store
                    .read(move |_conn| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        // A slow read, so that many overlap.
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            });
        }
        while let Some(read) = reads.join_next().await {
            read.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most > 1, "reads ran side by side ({most})");
        assert!(most <= READERS, "{most} reads ran at once");
        let open = store.readers.lock().unwrap().len();
        assert!(open <= READERS, "{open} reader connections stay open");
    }

    fn plain(text: &str) -> NewMessage {
        let username = Username::parse("alice").unwrap();
        NewMessage {
            room: RoomName::parse("durable").unwrap(),
            author: Author::name(&username),
            username,
            text: MessageText::parse(text).unwrap(),
            client_id: None,
        }
    }

    #[tokio::test]
    async fn each_sync_mode_is_what_sqlite_reports_on_the_write_connection() {
        for mode in [SyncMode::Full, SyncMode::Normal] {
            let dir = tempfile::tempdir().unwrap();
            let store =
                SqliteStore::open(&dir.path().join("t.db"), mode, Arc::new(NoFanout)).unwrap();
            assert_eq!(store.sync_mode(), mode);
            let appended = store.append(plain("kept")).await.unwrap();
            assert!(matches!(appended, Appended::Stored(record) if record.id == 1));
            store.close().await;
        }
    }

    #[tokio::test]
    async fn reopening_with_the_other_mode_takes_the_new_one() {
        // `synchronous` belongs to the connection, not the file: nothing sticks from last time.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let first = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
        first.close().await;
        let second = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();
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
