//! The writer thread: the only connection that writes, and group commit.
//!
//! It blocks for the first queued append, takes every other append already waiting (up to
//! [`MAX_BATCH`]), and commits them in one transaction: group commit with no timer, so an idle
//! server commits at once and a busy one batches naturally. Only after the commit does it
//! publish the new records to local delivery ([`ChatPublisher`]), in id order, and answer the callers; a failed batch is
//! answered as a whole, and nothing of it is published. The store's `append` and `close` only
//! queue [`WriteJob`]s for it.

use super::SqliteError;
use super::queries::{StoredRow, to_i64, to_u64};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{Appended, Epoch, NewMessage, StoreError},
};
use chinwag_shared::{ChatRecord, ClientId};
use rusqlite::{Connection, OptionalExtension, params};
use std::{
    sync::Arc,
    thread,
    time::{SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, oneshot};

/// Most appends committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// Appends waiting for the writer; senders wait (backpressure) when it is full.
const WRITE_QUEUE: usize = 4_096;

/// What the store asks of the writer.
pub(super) enum WriteJob {
    /// Store one message and answer on the sender.
    Append(NewMessage, Reply),
    /// Commit what is queued ahead, refuse what comes after, and say when done.
    Close(oneshot::Sender<()>),
}

/// Where the writer answers one append.
pub(super) type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// Starts the writer thread on `conn`, publishing each committed record of history `epoch` to
/// `publisher`; returns where to queue its jobs. The thread ends after a [`WriteJob::Close`], or
/// when every sender is gone.
pub(super) fn start(
    conn: Connection,
    publisher: Arc<dyn ChatPublisher>,
    epoch: Epoch,
) -> Result<mpsc::Sender<WriteJob>, StoreError> {
    let (writes, queue) = mpsc::channel(WRITE_QUEUE);
    thread::Builder::new()
        .name("chinwag-sqlite-writer".into())
        .spawn(move || {
            Writer {
                conn,
                publisher,
                epoch,
            }
            .run(queue)
        })
        .map_err(SqliteError::SpawnWriter)?;
    Ok(writes)
}

/// The writer thread's state: the only connection that writes.
struct Writer {
    conn: Connection,
    publisher: Arc<dyn ChatPublisher>,
    epoch: Epoch,
}

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
                        self.publisher
                            .publish_chat(ChatFrame::new(record, &self.epoch));
                    }
                    let _caller_gone = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                let size = batch.len();
                tracing::error!(error = %err, batch = size, "append batch failed");
                let cause = Arc::new(err);
                for (_, reply) in batch.drain(..) {
                    let failed = SqliteError::BatchFailed {
                        batch: size,
                        cause: Arc::clone(&cause),
                    };
                    let _caller_gone = reply.send(Err(failed.into()));
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
                "SELECT id, username, message, ts, guest
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
        "INSERT INTO messages (room, id, username, message, ts, client_id, author, guest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        message.room.as_str(),
        id,
        message.username.as_str(),
        message.text.as_str(),
        to_i64(ts),
        message.client_id.as_ref().map(ClientId::as_str),
        message.client_id.as_ref().map(|_| message.author.key()),
        message.guest,
    ])?;
    Ok(Appended::Stored(ChatRecord {
        id: to_u64(id),
        room: message.room.clone(),
        username: message.username.clone(),
        message: message.text.as_str().to_owned(),
        ts,
        guest: message.guest,
        client_id: message.client_id.clone(),
        change: None,
        deleted: None,
        edited: None,
    }))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}
